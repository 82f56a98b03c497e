"""Money rules at their edges (issue #18), on the domain itself: a monthly
Claim and a FundAccount driven through their public methods, with odd fen
amounts through every split, the day before, of and after every due day,
and each limit minus, at and plus one fen.

The expected figures are worked out by hand here from the measures' wording
(10% withheld and 90% paid, half up to the fen; the deposit returned by score
band; 5x deductions), never by calling the code under test again.

One file over 600 lines because it is one table of edges for the two money
aggregates, read top to bottom as the measures list the money rules.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.base import Envelope
from domain.calendar import WorkingCalendar
from domain.claim import Claim, sample_size, withheld_part
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.fund_account import FundAccount, return_percent
from domain.money import (AMOUNT_MAX_FEN, CLAIM_TOTAL_MAX_FEN, SUM_MAX_FEN, AmountOutOfBounds,
                          Money, check_amount, check_sum, require_within)

ENV = Envelope("li.na", "finance", "c-1")
CAL = WorkingCalendar()


def item(item_id, fen, day="2025-03-10", injury=True):
    return {"item_id": item_id, "amount_fen": fen, "service_date": date.fromisoformat(day),
            "injury": injury, "practitioner_id": None, "description": "住院费用"}


def claim(*items, month="2025-03", on=date(2025, 4, 3), networked=False):
    return Claim.submit(agreement="XY-1", institution_code="TY-H001", agency="TY", month=month,
                        items=list(items) or [item("a", 100000)], networked=networked,
                        effective_on=on, envelope=ENV)


def account(agreement_type="MA", year=2025):
    return FundAccount.open(agreement="XY-1", institution_code="TY-H001", agency="TY",
                            agreement_type=agreement_type, year=year,
                            effective_on=date(year, 1, 1), envelope=ENV)


def rule_of(error_info):
    return error_info.value.rule


# --- PAY-10: whole fen, and the bounds of one amount ----------------------------------------
def test_pay10_money_adds_subtracts_negates_and_multiplies_in_whole_fen():
    a, b = Money(12345), Money(-99)
    assert a + b == Money(12246) and a - b == Money(12444) and -a == Money(-12345)
    assert a.times(5) == Money(61725) and Money.zero() == Money(0)
    assert Money(1) < Money(2) and not Money(2) < Money(2)


def test_pay10_money_prints_as_yuan_with_two_decimals_and_its_sign():
    assert str(Money(123456789)) == "1,234,567.89" and Money(123456789).yuan() == "1234567.89"
    assert str(Money(-5)) == "-0.05" and Money(-5).yuan() == "-0.05"
    assert str(Money(100)) == "1.00" and Money(0).yuan() == "0.00" and str(Money(0)) == "0.00"
    assert Money(-100000).yuan() == "-1000.00" and str(Money(-100000)) == "-1,000.00"


def test_pay10_money_holds_an_int_and_nothing_else():
    for wrong, named in ((1.0, "float"), (Decimal(1), "Decimal"), ("1", "str"), (True, "bool")):
        with pytest.raises(TypeError) as info:
            Money(wrong)   # type: ignore[arg-type]
        assert str(info.value) == f"Money holds whole fen as int, got {named}"


def test_pay10_parse_reads_yuan_exactly_with_separators_only_in_their_places():
    assert Money.parse("1,234.5").fen == 123450 and Money.parse(" -12.34 ").fen == -1234
    assert Money.parse("0.01").fen == 1 and Money.parse("7").fen == 700
    for wrong in ("1,2,3", "12,34", "1.234", "１２", "", "-", "1e3"):
        with pytest.raises(ValueError) as info:
            Money.parse(wrong)
        # what a clerk reads at the CLI: the text they typed and how to write it
        assert str(info.value) == f"not a yuan amount: {wrong!r}; write ASCII digits with " \
            "at most 2 decimals, e.g. 1234.56 or 1,234.56"


def test_pay10_parse_takes_15_digits_of_whole_yuan_and_refuses_16_before_counting():
    """Leading zeros make a long digit string a small amount: 15 digits are
    still read (and may pass), the 16th is refused unread."""
    assert Money.parse("0" * 14 + "1").fen == 100
    with pytest.raises(AmountOutOfBounds, match="beyond the limit"):
        Money.parse("0" * 15 + "1")


def test_pay10_one_amount_is_at_most_100_million_yuan_to_the_fen():
    assert check_amount(AMOUNT_MAX_FEN) == AMOUNT_MAX_FEN
    assert check_amount(-AMOUNT_MAX_FEN) == -AMOUNT_MAX_FEN
    assert Money.parse("100000000.00").fen == AMOUNT_MAX_FEN
    with pytest.raises(AmountOutOfBounds, match="an amount of 100,000,000.01"):
        check_amount(AMOUNT_MAX_FEN + 1)
    with pytest.raises(AmountOutOfBounds):
        check_amount(-AMOUNT_MAX_FEN - 1)
    with pytest.raises(AmountOutOfBounds, match="whole fen, got float"):
        check_amount(1.0)   # type: ignore[arg-type]
    with pytest.raises(AmountOutOfBounds, match=r"^'100000000.01' of 100,000,000.01 yuan"):
        Money.parse(" 100000000.01 ")   # the refusal names the amount as typed, trimmed


def test_pay10_require_within_refuses_one_fen_past_its_limit_with_the_rule():
    require_within(AMOUNT_MAX_FEN, "x")
    require_within(-AMOUNT_MAX_FEN, "x")
    require_within(500, "x", limit=500)
    with pytest.raises(InvalidCommand) as info:
        require_within(AMOUNT_MAX_FEN + 1, "item a")
    assert info.value.rule == "PAY-10" and "item a of 100,000,000.01" in info.value.reason
    with pytest.raises(InvalidCommand) as info:
        require_within(-501, "x", limit=500)
    assert (info.value.reason, info.value.remedy) == (
        "x of -5.01 yuan is beyond the limit of 5.00 yuan",
        "give at most 5.00 yuan; split a larger sum into the claims or recoveries it belongs to")


def test_pay10_a_kept_sum_is_whole_fen_within_ten_trillion_yuan():
    assert check_sum(SUM_MAX_FEN) == SUM_MAX_FEN and check_sum(-SUM_MAX_FEN) == -SUM_MAX_FEN
    for wrong in (SUM_MAX_FEN + 1, -SUM_MAX_FEN - 1, 1.0, Decimal(1)):
        with pytest.raises(AmountOutOfBounds, match="a kept sum of"):
            check_sum(wrong)   # type: ignore[arg-type]


def test_pay10_a_claim_item_is_one_fen_or_more_and_the_claim_at_most_a_billion_yuan():
    assert claim(item("a", 1)).claimed == 1
    for wrong in (0, -1, 1.5):
        with pytest.raises(InvalidCommand) as info:
            claim(item("a", wrong))
        assert rule_of(info) == "PAY-10"
    with pytest.raises(InvalidCommand):
        claim(item("a", AMOUNT_MAX_FEN + 1))
    ten = [item(f"i{n}", AMOUNT_MAX_FEN) for n in range(10)]
    assert claim(*ten).claimed == CLAIM_TOTAL_MAX_FEN
    with pytest.raises(InvalidCommand) as info:
        claim(*ten, item("one-more", 1))
    assert rule_of(info) == "PAY-10"


# --- PAY-01: one claim for a month, booked after it starts, due by the 5th ------------------
def test_pay01_a_claim_is_submitted_from_the_first_day_of_its_month_never_before():
    assert claim(item("a", 100, "2025-03-01"), on=date(2025, 3, 1)).submitted_on == \
        date(2025, 3, 1)
    with pytest.raises(RuleViolation) as info:
        claim(item("a", 100, "2025-03-01"), on=date(2025, 2, 28))
    assert rule_of(info) == "PAY-01"


def test_pay01_an_item_is_dated_inside_its_service_month_first_and_last_day_included():
    c = claim(item("first", 100, "2025-03-01"), item("last", 100, "2025-03-31"))
    assert set(c.items) == {"first", "last"}
    for outside in ("2025-02-28", "2025-04-01"):
        with pytest.raises(RuleViolation) as info:
            claim(item("x", 100, outside))
        assert rule_of(info) == "PAY-01"


def test_pay01_a_non_networked_claim_is_on_time_on_the_5th_and_late_on_the_6th():
    on_time = claim(on=date(2025, 4, 5))
    late = claim(on=date(2025, 4, 6))
    assert on_time.due_by == late.due_by == date(2025, 4, 5)
    assert (on_time.late, late.late) == (False, True)
    december = claim(item("d", 100, "2025-12-31"), month="2025-12", on=date(2026, 1, 5))
    assert december.due_by == date(2026, 1, 5) and not december.late


def test_pay01_a_networked_claim_has_no_5th_to_miss():
    c = claim(on=date(2025, 6, 30), networked=True)
    assert c.due_by is None and c.late is False


def test_pay01_a_claim_lists_items_each_with_its_own_id():
    for items in ([], [item("a", 100), item("a", 200)]):
        with pytest.raises(InvalidCommand) as info:
            Claim.submit(agreement="XY-1", institution_code="TY-H001", agency="TY",
                         month="2025-03", items=items, networked=False,
                         effective_on=date(2025, 4, 3), envelope=ENV)
        assert rule_of(info) == "PAY-01"
    with pytest.raises(InvalidCommand) as info:
        claim(month="2025-13")
    assert rule_of(info) == "PAY-01"


# --- PAY-09: non-injury costs are refused from the start ------------------------------------
def test_pay09_a_non_injury_item_is_refused_and_kept_out_of_the_sample():
    c = claim(item("w", 1001), item("n", 333, injury=False))
    assert c.items["n"]["status"] == "refused" and c.items["n"]["reason"] == "non_injury"
    assert c.items["w"]["status"] == "pending" and c.items["w"]["reason"] == ""
    assert c.refused_by_reason() == {"non_injury": 333} and c.claimed == 1334
    assert c.draw_sample(seed="s", effective_on=date(2025, 4, 8), envelope=ENV) == ["w"]
    assert c.sample["population"] == 1


# --- PAY-03: the 20% sample and five-fold deductions ---------------------------------------
def test_pay03_the_sample_is_a_fifth_rounded_half_up_and_at_least_one():
    # 20% of 2 is 0.4 (-> 0 -> at least 1), of 3 is 0.6 (-> 1), of 7 is 1.4, of 8 is 1.6
    assert [sample_size(n) for n in (0, 1, 2, 3, 7, 8, 12, 13, 100)] == \
        [0, 1, 1, 1, 1, 2, 2, 3, 20]


def test_pay03_a_sample_is_drawn_once_and_never_after_approval():
    c = claim(*[item(f"i{n}", 100) for n in range(5)])
    first = c.draw_sample(seed="晋", effective_on=date(2025, 4, 8), envelope=ENV)
    assert len(first) == 1 and c.sample["seed"] == "晋"
    with pytest.raises(RuleViolation) as info:
        c.draw_sample(seed="again", effective_on=date(2025, 4, 8), envelope=ENV)
    assert rule_of(info) == "PAY-03"
    unsampled = claim()
    unsampled.approve(effective_on=date(2025, 4, 9), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        unsampled.draw_sample(seed="late", effective_on=date(2025, 4, 10), envelope=ENV)
    assert rule_of(info) == "PAY-03"


def test_pay03_without_a_seed_the_sample_is_drawn_from_the_claims_own_key():
    a = claim(*[item(f"i{n}", 100) for n in range(10)])
    b = claim(*[item(f"i{n}", 100) for n in range(10)])
    drawn = a.draw_sample(seed=None, effective_on=date(2025, 4, 8), envelope=ENV)
    assert drawn == b.draw_sample(seed=None, effective_on=date(2025, 4, 8), envelope=ENV)
    import hashlib
    assert a.sample["seed"] == hashlib.sha256(b"XY-1:2025-03").hexdigest()[:16]


def _sampled_claim(*amounts):
    c = claim(*[item(f"i{n}", fen) for n, fen in enumerate(amounts)])
    [target] = c.draw_sample(seed="s", effective_on=date(2025, 4, 8), envelope=ENV)
    return c, target


def test_pay03_a_non_compliant_odd_amount_is_deducted_five_times_to_the_fen():
    c, target = _sampled_claim(100001, 100001, 100001, 100001, 100001)
    assert c.review_sampled_item(item_id=target, noncompliant_fen=333, reason="超标准收费",
                                 effective_on=date(2025, 4, 9), envelope=ENV) == 1665
    assert c.deductions == [{"item_id": target, "noncompliant": 333, "deducted": 1665,
                             "reason": "超标准收费", "batch": None}]
    batch = c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    assert (batch["gross"], batch["deducted"], batch["excess"], batch["approved"]) == \
        (500005, 1665, 0, 498340)


def test_pay03_the_non_compliant_part_lies_between_nothing_and_the_whole_item():
    c, target = _sampled_claim(*[1001] * 5)
    for wrong in (-1, 1002):
        with pytest.raises(InvalidCommand) as info:
            c.review_sampled_item(item_id=target, noncompliant_fen=wrong, reason="x",
                                  effective_on=date(2025, 4, 9), envelope=ENV)
        assert rule_of(info) == "PAY-03"
    with pytest.raises(InvalidCommand) as info:   # a deduction says why
        c.review_sampled_item(item_id=target, noncompliant_fen=1, reason=" ",
                              effective_on=date(2025, 4, 9), envelope=ENV)
    assert rule_of(info) == "PAY-03"
    assert c.review_sampled_item(item_id=target, noncompliant_fen=1001, reason="虚构",
                                 effective_on=date(2025, 4, 9), envelope=ENV) == 5005
    with pytest.raises(RuleViolation) as info:   # reviewed once
        c.review_sampled_item(item_id=target, noncompliant_fen=0, reason="",
                              effective_on=date(2025, 4, 9), envelope=ENV)
    assert rule_of(info) == "PAY-03"


def test_pay03_a_compliant_sampled_item_gives_no_deduction_and_needs_no_reason():
    c, target = _sampled_claim(*[1001] * 5)
    assert c.review_sampled_item(item_id=target, noncompliant_fen=0, reason="",
                                 effective_on=date(2025, 4, 9), envelope=ENV) == 0
    assert c.deductions == [] and c.sample["reviewed"] == [target]
    assert c.approve(effective_on=date(2025, 4, 10), envelope=ENV)["approved"] == 5005


def test_pay03_only_sampled_items_are_reviewed_and_every_one_before_approval():
    c = claim(*[item(f"i{n}", 1000) for n in range(10)])
    assert len(c.draw_sample(seed="s", effective_on=date(2025, 4, 8), envelope=ENV)) == 2
    other = next(i for i in c.items if i not in c.sample["items"])
    with pytest.raises(RuleViolation) as info:
        c.review_sampled_item(item_id=other, noncompliant_fen=0, reason="",
                              effective_on=date(2025, 4, 9), envelope=ENV)
    assert rule_of(info) == "PAY-03"
    first, second = c.sample["items"]
    c.review_sampled_item(item_id=first, noncompliant_fen=0, reason="",
                          effective_on=date(2025, 4, 9), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    assert rule_of(info) == "PAY-03" and second in info.value.reason
    with pytest.raises(NotFound):
        c.review_sampled_item(item_id="nope", noncompliant_fen=0, reason="",
                              effective_on=date(2025, 4, 9), envelope=ENV)


def test_pay08_a_deduction_beyond_the_payable_leaves_nothing_approved_and_the_rest_to_recover():
    c = claim(item("only", 101))
    c.draw_sample(seed="s", effective_on=date(2025, 4, 8), envelope=ENV)
    c.review_sampled_item(item_id="only", noncompliant_fen=101, reason="虚构",
                          effective_on=date(2025, 4, 9), envelope=ENV)
    batch = c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    # 5 x 1.01 = 5.05 deducted from 1.01 payable: 1.01 taken, 4.04 ordered back
    assert (batch["gross"], batch["deducted"], batch["excess"], batch["approved"]) == \
        (101, 101, 404, 0)


# --- PAY-06: 90% paid and 10% withheld, by the 25th -------------------------------------------
@pytest.mark.parametrize("approved, withheld", [
    (0, 0), (1, 0), (4, 0), (5, 1), (6, 1), (14, 1), (15, 2), (100005, 10001), (100004, 10000),
    (99999, 10000), (123456789, 12345679)])
def test_pay06_ten_percent_is_withheld_rounded_half_up_to_the_fen(approved, withheld):
    assert withheld_part(approved) == withheld
    # half up of a tenth in whole numbers: (approved + 5) // 10
    assert withheld == (approved + 5) // 10


def test_pay06_an_odd_approval_is_paid_90_percent_and_withholds_10_percent_to_the_fen():
    c = claim(item("a", 100005), item("b", 1))
    batch = c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    assert batch["approved"] == 100006
    paid = c.pay(batch=1, ref="社银-1", effective_on=date(2025, 4, 20), envelope=ENV)
    assert (paid["paid"], paid["withheld"]) == (90005, 10001)
    assert (c.approved, c.paid, c.withheld) == (100006, 90005, 10001)


def test_pay06_the_first_approval_is_paid_by_the_25th_of_the_next_month_late_on_the_26th():
    on_time, late = claim(), claim()
    for c in (on_time, late):
        assert c.approve(effective_on=date(2025, 4, 25), envelope=ENV)["pay_by"] == \
            date(2025, 4, 25)
    assert on_time.pay(batch=1, ref="r", effective_on=date(2025, 4, 25),
                       envelope=ENV)["late"] is False
    assert late.pay(batch=1, ref="r", effective_on=date(2025, 4, 26),
                    envelope=ENV)["late"] is True


def test_pay06_an_approval_after_the_25th_is_paid_by_the_next_months_25th():
    c = claim()
    assert c.approve(effective_on=date(2025, 4, 26), envelope=ENV)["pay_by"] == \
        date(2025, 5, 25)
    before_month_end = claim()
    assert before_month_end.approve(effective_on=date(2025, 4, 1),
                                    envelope=ENV)["pay_by"] == date(2025, 4, 25)


def test_pay06_a_later_approval_is_paid_by_the_25th_of_its_own_month_or_the_next():
    def second_batch(on):
        c = claim(item("a", 100), item("q", 100))
        c.query_item(item_id="q", question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                     envelope=ENV)
        c.approve(effective_on=date(2025, 4, 8), envelope=ENV)
        c.pay(batch=1, ref="r1", effective_on=date(2025, 4, 9), envelope=ENV)
        c.record_explanation(item_id="q", accepted=True, effective_on=date(2025, 4, 10),
                             envelope=ENV)
        return c.approve(effective_on=on, envelope=ENV)
    assert second_batch(date(2025, 6, 25))["pay_by"] == date(2025, 6, 25)
    assert second_batch(date(2025, 6, 26))["pay_by"] == date(2025, 7, 25)
    december = second_batch(date(2025, 12, 26))
    assert december["batch"] == 2 and december["pay_by"] == date(2026, 1, 25)


def test_pay06_payment_is_on_or_after_approval_once_per_approval():
    c = claim()
    c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    with pytest.raises(InvalidCommand) as info:
        c.pay(batch=1, ref="r", effective_on=date(2025, 4, 9), envelope=ENV)
    assert rule_of(info) == "PAY-06"
    c.pay(batch=1, ref="r", effective_on=date(2025, 4, 10), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        c.pay(batch=1, ref="r2", effective_on=date(2025, 4, 11), envelope=ENV)
    assert rule_of(info) == "PAY-06" and "2025-04-10" in info.value.reason
    with pytest.raises(NotFound) as info:
        c.pay(batch=2, ref="r", effective_on=date(2025, 4, 11), envelope=ENV)
    assert rule_of(info) == "PAY-06"


def test_pay06_an_unpaid_approval_is_paid_before_the_next_and_nothing_approves_nothing():
    c = claim(item("a", 100), item("q", 100))
    c.query_item(item_id="q", question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                 envelope=ENV)
    c.approve(effective_on=date(2025, 4, 8), envelope=ENV)
    c.record_explanation(item_id="q", accepted=True, effective_on=date(2025, 4, 9), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        c.approve(effective_on=date(2025, 4, 10), envelope=ENV)
    assert rule_of(info) == "PAY-06" and "approval 1" in info.value.reason
    c.pay(batch=1, ref="r", effective_on=date(2025, 4, 10), envelope=ENV)
    assert c.approve(effective_on=date(2025, 4, 11), envelope=ENV)["items"] == ["q"]
    c.pay(batch=2, ref="r2", effective_on=date(2025, 4, 12), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        c.approve(effective_on=date(2025, 4, 13), envelope=ENV)
    assert rule_of(info) == "PAY-06"


# --- PAY-04: the 5 working days to explain --------------------------------------------------
def test_pay04_an_unexplained_item_is_refused_the_day_after_its_5th_working_day_not_on_it():
    c = claim(item("q", 30001), item("ok", 70001))
    # queried Monday 2025-04-07: the 5th working day after is Monday 2025-04-14
    assert c.query_item(item_id="q", question="手术记录与收费不符", calendar=CAL,
                        effective_on=date(2025, 4, 7), envelope=ENV) == date(2025, 4, 14)
    with pytest.raises(RuleViolation) as info:
        c.refuse_unexplained(item_id="q", effective_on=date(2025, 4, 14), envelope=ENV)
    assert rule_of(info) == "PAY-04" and "2025-04-14" in info.value.reason
    c.refuse_unexplained(item_id="q", effective_on=date(2025, 4, 15), envelope=ENV)
    assert c.refused_by_reason() == {"query_unexplained": 30001}
    assert c.approve(effective_on=date(2025, 4, 16), envelope=ENV)["approved"] == 70001


def test_pay04_only_a_pending_item_is_queried_and_only_a_queried_one_explained_or_refused():
    c = claim(item("q", 100), item("n", 100, injury=False))
    with pytest.raises(RuleViolation) as info:
        c.query_item(item_id="n", question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                     envelope=ENV)
    assert rule_of(info) == "PAY-04"
    for call in (c.record_explanation, c.refuse_unexplained):
        kwargs = {"accepted": True} if call == c.record_explanation else {}
        with pytest.raises(RuleViolation) as info:
            call(item_id="q", effective_on=date(2025, 4, 20), envelope=ENV, **kwargs)
        assert rule_of(info) == "PAY-04"


def test_pay04_an_explanation_accepted_pays_the_item_and_one_rejected_never_does():
    c = claim(item("yes", 101), item("no", 203))
    for i in ("yes", "no"):
        c.query_item(item_id=i, question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                     envelope=ENV)
    c.record_explanation(item_id="yes", accepted=True, effective_on=date(2025, 4, 8),
                         envelope=ENV)
    c.record_explanation(item_id="no", accepted=False, effective_on=date(2025, 4, 8),
                         envelope=ENV)
    assert c.items["yes"]["query"]["explained_on"] == date(2025, 4, 8)
    assert c.refused_by_reason() == {"noncompliant": 203}
    assert c.approve(effective_on=date(2025, 4, 9), envelope=ENV)["items"] == ["yes"]


# --- PAY-05, PAY-07: holds -----------------------------------------------------------------
def test_pay05_a_disputed_item_waits_for_the_finding_and_a_medical_accident_is_never_paid():
    c = claim(item("d", 50001), item("e", 50003), item("p", 7))
    for i in ("d", "e"):
        c.hold_item(item_id=i, hold="medical_dispute", ref="纠纷-1",
                    effective_on=date(2025, 4, 7), envelope=ENV)
    assert c.held == 100004 and c.items["d"]["hold"]["from"] == date(2025, 4, 7)
    with pytest.raises(RuleViolation) as info:
        c.release_hold(item_id="d", medical_accident=None, effective_on=date(2025, 4, 8),
                       envelope=ENV)
    assert rule_of(info) == "PAY-05"
    c.release_hold(item_id="d", medical_accident=True, effective_on=date(2025, 4, 9),
                   envelope=ENV)
    c.release_hold(item_id="e", medical_accident=False, effective_on=date(2025, 4, 9),
                   envelope=ENV)
    assert c.refused_by_reason() == {"medical_accident": 50001} and c.held == 0
    assert c.items["d"]["hold"]["until"] == date(2025, 4, 9)
    assert c.items["e"]["status"] == "pending" and c.items["e"]["reason"] == ""
    assert c.approve(effective_on=date(2025, 4, 10), envelope=ENV)["approved"] == 50010


def test_pay07_an_investigation_hold_is_released_without_an_accident_finding():
    c = claim(item("i", 99))
    c.hold_item(item_id="i", hold="investigation", ref="案-1", effective_on=date(2025, 4, 7),
                envelope=ENV)
    with pytest.raises(RuleViolation) as info:   # held already
        c.hold_item(item_id="i", hold="investigation", ref="案-2",
                    effective_on=date(2025, 4, 7), envelope=ENV)
    assert rule_of(info) == "PAY-07"
    with pytest.raises(RuleViolation) as info:   # nothing payable while held
        c.approve(effective_on=date(2025, 4, 8), envelope=ENV)
    assert rule_of(info) == "PAY-06"
    c.release_hold(item_id="i", medical_accident=None, effective_on=date(2025, 4, 9),
                   envelope=ENV)
    assert c.items["i"]["status"] == "pending"
    with pytest.raises(RuleViolation) as info:
        c.release_hold(item_id="i", medical_accident=None, effective_on=date(2025, 4, 9),
                       envelope=ENV)
    assert rule_of(info) == "PAY-05"


def test_pay05_a_hold_is_a_medical_dispute_or_an_investigation_on_a_pending_item():
    c = claim(item("i", 99), item("n", 5, injury=False))
    with pytest.raises(InvalidCommand) as info:
        c.hold_item(item_id="i", hold="rumour", ref="", effective_on=date(2025, 4, 7),
                    envelope=ENV)
    assert rule_of(info) == "PAY-05"
    with pytest.raises(RuleViolation) as info:
        c.hold_item(item_id="n", hold="medical_dispute", ref="", effective_on=date(2025, 4, 7),
                    envelope=ENV)
    assert rule_of(info) == "PAY-05"


# --- AUD-01 and PAY-09: correcting an item ------------------------------------------------------
def test_aud01_an_item_corrected_keeps_what_it_was_and_a_settled_one_is_not_corrected():
    c = claim(item("a", 1000), item("b", 2001))
    c.correct_item(item_id="a", amount_fen=999, service_date=date(2025, 3, 31), injury=True,
                   reason="录入错误", corrects="c-0", effective_on=date(2025, 4, 4), envelope=ENV)
    assert c.items["a"]["corrected"] == {"reason": "录入错误", "was": 1000}
    assert c.claimed == 3000 and c.items["a"]["status"] == "pending"
    for bad in ({"reason": " "}, {"amount_fen": 0}, {"service_date": date(2025, 4, 1)}):
        args = dict(item_id="a", amount_fen=5, service_date=date(2025, 3, 3), injury=True,
                    reason="x", corrects="c-0", effective_on=date(2025, 4, 4), envelope=ENV)
        with pytest.raises((InvalidCommand, RuleViolation)) as info:
            c.correct_item(**{**args, **bad})
        assert rule_of(info) in ("AUD-01", "PAY-10", "PAY-01")
    c.approve(effective_on=date(2025, 4, 5), envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        c.correct_item(item_id="b", amount_fen=5, service_date=date(2025, 3, 3), injury=True,
                       reason="x", corrects="c-0", effective_on=date(2025, 4, 6), envelope=ENV)
    assert rule_of(info) == "AUD-01"


def test_pay09_an_item_corrected_to_non_injury_is_refused_and_back_is_pending_again():
    c = claim(item("a", 1001), item("b", 7))
    c.correct_item(item_id="a", amount_fen=1001, service_date=date(2025, 3, 3), injury=False,
                   reason="非工伤", corrects="c-0", effective_on=date(2025, 4, 4), envelope=ENV)
    assert c.refused_by_reason() == {"non_injury": 1001}
    c.correct_item(item_id="a", amount_fen=1003, service_date=date(2025, 3, 3), injury=True,
                   reason="复核为工伤", corrects="c-0", effective_on=date(2025, 4, 5),
                   envelope=ENV)
    assert c.items["a"]["status"] == "pending" and c.refused_by_reason() == {}
    assert c.approve(effective_on=date(2025, 4, 6), envelope=ENV)["approved"] == 1010


def test_pay10_a_correction_keeps_the_claim_within_a_billion_yuan():
    ten = [item(f"i{n}", AMOUNT_MAX_FEN) for n in range(9)] + [item("last", AMOUNT_MAX_FEN - 1)]
    c = claim(*ten)
    c.correct_item(item_id="last", amount_fen=AMOUNT_MAX_FEN, service_date=date(2025, 3, 3),
                   injury=True, reason="x", corrects="c-0", effective_on=date(2025, 4, 4),
                   envelope=ENV)
    assert c.claimed == CLAIM_TOTAL_MAX_FEN
    c2 = claim(*ten, item("small", 1))
    with pytest.raises(InvalidCommand) as info:
        c2.correct_item(item_id="small", amount_fen=2, service_date=date(2025, 3, 3),
                        injury=True, reason="x", corrects="c-0", effective_on=date(2025, 4, 4),
                        envelope=ENV)
    assert rule_of(info) == "PAY-10"


# --- DEP-01, DEP-02, DEP-04: clearing the deposit by score --------------------------------------
@pytest.mark.parametrize("score, percent", [
    ("100", 100), ("90", 100), ("89.99", 90), ("80", 90), ("79.99", 80), ("70", 80),
    ("69.99", 70), ("60", 70), ("59.99", 0), ("0", 0)])
def test_dep01_the_deposit_is_returned_by_the_band_its_score_falls_in(score, percent):
    assert return_percent(Decimal(score)) == percent


def _withheld(acc, *amounts):
    for n, fen in enumerate(amounts, 1):
        acc.withhold(claim="XY-1:2025-03", batch=n, amount_fen=fen,
                     effective_on=date(2025, 4, 20), envelope=ENV)


@pytest.mark.parametrize("score, returned", [
    ("90", 10001), ("89.99", 9001), ("79.99", 8001), ("60", 7001), ("59.99", 0)])
def test_dep04_an_odd_deposit_is_returned_half_up_and_the_rest_forfeited_to_the_fen(score,
                                                                                   returned):
    acc = account()
    _withheld(acc, 5000, 5001)                # 100.01 yuan held
    cleared = acc.clear(score=Decimal(score), assessment="评估-2025-001", ref="清算-1",
                        effective_on=date(2026, 3, 1), envelope=ENV)
    # 90% of 100.01 = 90.009 -> 90.01; 80% = 80.008 -> 80.01; 70% = 70.007 -> 70.01
    assert (cleared["returned"], cleared["forfeited"]) == (returned, 10001 - returned)
    assert (acc.returned, acc.forfeited, acc.held) == (returned, 10001 - returned, 0)


def test_dep02_clearing_is_due_by_31_march_of_the_next_year_and_flagged_from_1_april():
    on_time, late = account(), account()
    for acc in (on_time, late):
        _withheld(acc, 100)
    a = on_time.clear(score=Decimal(95), assessment="A", ref="r", effective_on=date(2026, 3, 31),
                      envelope=ENV)
    b = late.clear(score=Decimal(95), assessment="A", ref="r", effective_on=date(2026, 4, 1),
                   envelope=ENV)
    assert a["due_by"] == b["due_by"] == date(2026, 3, 31)
    assert (a["late"], b["late"]) == (False, True)
    assert a["cleared_on"] == date(2026, 3, 31) and a["assessment"] == "A"


def test_dep04_a_deposit_is_cleared_once():
    acc = account()
    _withheld(acc, 100)
    acc.clear(score=Decimal(95), assessment="A", ref="r", effective_on=date(2026, 3, 1),
              envelope=ENV)
    with pytest.raises(RuleViolation) as info:
        acc.clear(score=Decimal(95), assessment="A", ref="r", effective_on=date(2026, 3, 2),
                  envelope=ENV)
    assert rule_of(info) == "DEP-04" and "2026-03-01" in info.value.reason


# --- DEP-03: an assistive agreement loses half on suspension, all on termination --------------
def test_dep03_half_of_an_odd_deposit_is_lost_rounded_half_up_then_all_the_rest():
    acc = account("DA")
    _withheld(acc, 10001)
    assert acc.forfeit_share(percent=50, clause="DA36", effective_on=date(2025, 5, 1),
                             envelope=ENV) == 5001   # 50.005 -> 50.01
    assert acc.held == 5000
    assert acc.forfeit_share(percent=100, clause="DA37", effective_on=date(2025, 6, 1),
                             envelope=ENV) == 5000
    assert (acc.held, acc.forfeited) == (0, 10001)
    assert [f["clause"] for f in acc.forfeits] == ["DA36", "DA37"]
    assert acc.forfeit_share(percent=50, clause="DA36", effective_on=date(2025, 7, 1),
                             envelope=ENV) == 0 and len(acc.forfeits) == 2


def test_dep03_nothing_is_lost_after_clearing_and_only_assistive_agreements_lose_it():
    acc = account("DA")
    _withheld(acc, 1000)
    acc.clear(score=Decimal(95), assessment="A", ref="r", effective_on=date(2026, 3, 1),
              envelope=ENV)
    _withheld(acc, 500)   # a late payment's deposit after clearing
    assert acc.forfeit_share(percent=50, clause="DA36", effective_on=date(2026, 4, 1),
                             envelope=ENV) == 0 and acc.forfeits == []
    with pytest.raises(RuleViolation) as info:
        account("MA").forfeit_share(percent=50, clause="DA36", effective_on=date(2025, 5, 1),
                                    envelope=ENV)
    assert rule_of(info) == "DEP-03"


# --- PAY-08, AUD-06: recovery never exceeds what is owed -------------------------------------
def test_pay08_recovery_is_above_zero_and_at_most_what_is_outstanding_to_the_fen():
    acc = account()
    for wrong in (0, -1):
        with pytest.raises(InvalidCommand) as info:
            acc.order_recovery(amount_fen=wrong, ground="MA43-1", ref="追-0",
                               effective_on=date(2025, 7, 1), envelope=ENV)
        assert rule_of(info) == "PAY-08"
    acc.order_recovery(amount_fen=1, ground="MA43-1", ref="追-1", effective_on=date(2025, 7, 1),
                       envelope=ENV)
    acc.order_recovery(amount_fen=50000, ground="MA43-1", ref="追-2",
                       effective_on=date(2025, 7, 2), envelope=ENV)
    assert acc.outstanding == 50001
    with pytest.raises(InvalidCommand) as info:
        acc.record_recovery(amount_fen=0, ref="收-0", effective_on=date(2025, 7, 3), envelope=ENV)
    assert rule_of(info) == "PAY-08"
    with pytest.raises(RuleViolation) as info:
        acc.record_recovery(amount_fen=50002, ref="收-1", effective_on=date(2025, 7, 3),
                            envelope=ENV)
    assert rule_of(info) == "AUD-06" and "500.01" in info.value.reason
    acc.record_recovery(amount_fen=50001, ref="收-1", effective_on=date(2025, 7, 3), envelope=ENV)
    assert (acc.to_recover, acc.recovered, acc.outstanding) == (50001, 50001, 0)
    assert [r["kind"] for r in acc.recoveries] == ["ordered", "ordered", "recovered"]
    with pytest.raises(RuleViolation):
        acc.record_recovery(amount_fen=1, ref="收-2", effective_on=date(2025, 7, 4), envelope=ENV)


# --- AUD-01, PAY-10, PAY-01: a correction, each condition on its own ----------------------------
def _correct(c, item_id="a", **change):
    args = dict(item_id=item_id, amount_fen=5, service_date=date(2025, 3, 3), injury=True,
                reason="录入错误", corrects="c-0", effective_on=date(2025, 4, 4), envelope=ENV)
    return c.correct_item(**{**args, **change})


@pytest.mark.parametrize("change, kind, rule", [
    ({"reason": " \t"}, InvalidCommand, "AUD-01"),
    ({"amount_fen": 0}, InvalidCommand, "PAY-10"),
    ({"amount_fen": -1}, InvalidCommand, "PAY-10"),
    ({"amount_fen": 5.0}, InvalidCommand, "PAY-10"),
    ({"service_date": date(2025, 2, 28)}, RuleViolation, "PAY-01"),     # the day before the month
    ({"service_date": date(2025, 4, 1)}, RuleViolation, "PAY-01"),      # the day after it
])
def test_aud01_a_correction_is_refused_for_each_fault_alone_and_changes_nothing(change, kind,
                                                                              rule):
    c = claim(item("a", 1000))
    with pytest.raises(kind) as info:
        _correct(c, **change)
    assert rule_of(info) == rule and info.value.remedy
    assert c.items["a"]["amount_fen"] == 1000 and "corrected" not in c.items["a"]


@pytest.mark.parametrize("day", [date(2025, 3, 1), date(2025, 3, 31)])
def test_pay10_a_correction_to_one_fen_on_the_months_first_or_last_day_is_taken(day):
    c = claim(item("a", 1000))
    assert _correct(c, amount_fen=1, service_date=day)["amount_fen"] == 1
    assert c.claimed == 1 and c.items["a"]["service_date"] == day


def test_aud01_a_queried_or_held_item_is_corrected_and_keeps_its_status():
    c = claim(item("q", 100), item("h", 100))
    c.query_item(item_id="q", question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                 envelope=ENV)
    c.hold_item(item_id="h", hold="medical_dispute", ref="", effective_on=date(2025, 4, 7),
                envelope=ENV)
    assert _correct(c, "q", amount_fen=99)["status"] == "queried"
    assert _correct(c, "h", amount_fen=98)["status"] == "held"
    assert c.claimed == 197


def test_aud01_an_item_refused_for_anything_but_non_injury_is_settled_and_not_corrected():
    c = claim(item("q", 100), item("n", 100, injury=False))
    c.query_item(item_id="q", question="?", calendar=CAL, effective_on=date(2025, 4, 7),
                 envelope=ENV)
    c.refuse_unexplained(item_id="q", effective_on=date(2025, 5, 30), envelope=ENV)
    assert c.items["q"]["status"] == "refused"
    with pytest.raises(RuleViolation) as info:
        _correct(c, "q", amount_fen=99)
    assert rule_of(info) == "AUD-01" and "q" in info.value.reason
    assert c.items["q"]["amount_fen"] == 100
    assert _correct(c, "n", amount_fen=99)["status"] == "pending"   # refused as non-injury


def test_a_claims_state_says_every_sum_by_what_became_of_each_item():
    """What `ledger` and the read models read of a claim: each sum by what
    became of its items (odd fen: 1,001 approved, 10% withheld rounds to 100),
    its batches and its own dates."""
    c = claim(item("a", 1001), item("b", 2002), item("n", 7, injury=False))
    c.hold_item(item_id="b", hold="medical_dispute", ref="", effective_on=date(2025, 4, 7),
                envelope=ENV)
    c.approve(effective_on=date(2025, 4, 8), envelope=ENV)
    c.pay(batch=1, ref="r1", effective_on=date(2025, 4, 9), envelope=ENV)
    batch = {"batch": 1, "items": ["a"], "gross": 1001, "deducted": 0, "excess": 0,
             "approved": 1001, "pay_by": date(2025, 4, 25), "approved_on": date(2025, 4, 8),
             "paid": 901, "withheld": 100, "paid_on": date(2025, 4, 9), "ref": "r1",
             "late": False}
    assert c.state() == {"agreement": "XY-1", "month": "2025-03", "claimed": 3010,
                         "refused": {"non_injury": 7}, "held": 2002, "deducted": 0,
                         "approved": 1001, "paid": 901, "withheld": 100, "batches": [batch],
                         "sample": None, "late": False, "due_by": date(2025, 4, 5)}
