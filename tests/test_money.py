"""Claims, review, payment, recovery, assessment and deposit clearing
(PAY-01..10, ASM-01..04, DEP-01..04, AUD-06, AGR-03)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.claim import sample_size, withheld_part
from domain.errors import InvalidCommand, RuleViolation
from domain.fund_account import return_percent
from domain.money import Money
from projections.fund import positions, totals
from projections.status import build
from tests.builders import refused, effective_agreement, tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

AG = "XY-2025-001"
VIEWS = dict(employer_views=["太钢集团：服务规范"], supervisor_views=["社会监督员：无投诉"],
             satisfaction="满意度 93%")



def item(item_id, yuan, day, injury=True, practitioner=None):
    return {"item_id": item_id, "amount_fen": Money.parse(yuan).fen,
            "service_date": date.fromisoformat(day), "injury": injury,
            "practitioner_id": practitioner, "description": "住院费用"}


def fund(ledger, as_of=None):
    state = build((e for _, e in ledger.read_log()),
                  as_of=date.fromisoformat(as_of) if as_of else None)
    rows = positions(state)
    return {(p.agreement, p.year): p for p in rows}, totals(rows)


@pytest.fixture
def agreement(clerk):
    return effective_agreement(clerk)


def month_claim(clerk, month="2025-03", items=None, on="2025-04-03"):
    items = items or [item(f"{month}-{i}", "1000.00", f"{month}-1{i}") for i in range(5)]
    return clerk("submit_claim", on, agreement=AG, month=month, items=items)


# --- PAY-01, PAY-09, PAY-10 ----------------------------------------------------------
def test_pay01_one_claim_per_agreement_and_month_due_by_the_5th(clerk, agreement):
    result = month_claim(clerk, on="2025-04-07")
    assert result["late"] is True and result["due_by"] == "2025-04-05"
    refused("PAY-01", clerk, "submit_claim", "2025-04-08", agreement=AG, month="2025-03",
            items=[item("x", "1.00", "2025-03-02")])
    refused("PAY-01", clerk, "submit_claim", "2025-04-08", agreement=AG, month="2025-04",
            items=[item("y", "1.00", "2025-03-02")])


def test_pay09_non_injury_costs_are_never_fund_payable(clerk, ledger, agreement):
    result = month_claim(clerk, items=[item("a", "800.00", "2025-03-03"),
                                       item("b", "200.00", "2025-03-03", injury=False)])
    assert result["non_injury"] == "200.00"
    batch = clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    assert batch["approved"] == "800.00"
    (rows, _) = fund(ledger)
    assert rows[(AG, 2025)].refused_by_reason == {"non_injury": 20000}


def test_pay10_amounts_are_exact_fen_and_never_floats():
    assert Money.parse("1,234.56").fen == 123456 and Money.parse("0.1").fen == 10
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money.parse("1.234")


# --- PAY-02, SUS-01, SAN-02 ----------------------------------------------------------
def test_pay02_an_item_dated_inside_a_suspension_is_refused_and_positions_do_not_move(
        clerk, ledger, agreement):
    """SUS-01 / PAY-02."""
    month_claim(clerk, month="2025-02", items=[item("f1", "500.00", "2025-02-10")],
                on="2025-03-03")
    clerk("suspend_agreement", "2025-03-10", agreement=AG, kind="mandatory", ground="M38-2",
          start=None, requested_on=None, planned_days=None, months=None, notice_no="中止-1")
    before, _ = fund(ledger)
    err = refused("SUS-01", clerk, "submit_claim", "2025-04-03", agreement=AG, month="2025-03",
                  items=[item("m1", "300.00", "2025-03-05"), item("m2", "700.00", "2025-03-12")])
    assert [g.rule for g in err.grounds] == ["SUS-01"] and "m2" in err.grounds[0].reason
    after, _ = fund(ledger)
    assert after[(AG, 2025)].claimed == before[(AG, 2025)].claimed == 50000


def test_pay02_items_before_effect_or_after_the_end_are_refused(clerk, agreement):
    clerk("terminate_agreement", "2025-06-15", agreement=AG, ground="M39-3",
          notice_no="解除-1", notice_on=date(2025, 6, 15), reported_on=date(2025, 6, 16),
          report_ref="报-1", reason="骗保")
    err = refused("TER-03", clerk, "submit_claim", "2025-07-01", agreement=AG, month="2025-06",
                  items=[item("j1", "100.00", "2025-06-10"), item("j2", "100.00", "2025-06-20")])
    assert [g.reason.split(" ")[1] for g in err.grounds] == ["j2"]


def test_san02_an_item_by_a_barred_practitioner_is_refused(clerk, agreement):
    clerk("propose_practitioner_bar", "2025-02-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=1, finding="冒名住院")
    clerk("approve_practitioner_bar", "2025-02-20", bar_no="停-1", person_id="DOC-1",
          approval_ref="批-1")
    err = refused("SAN-02", clerk, "submit_claim", "2025-04-01", agreement=AG, month="2025-03",
                  items=[item("d1", "100.00", "2025-03-02", practitioner="DOC-1")])
    assert err.grounds[0].rule == "SAN-02"


# --- PAY-03 -------------------------------------------------------------------------
def test_pay03_a_20_percent_sample_is_drawn_reproducibly_from_a_recorded_seed(clerk, ledger,
                                                                             agreement):
    items = [item(f"i{n:02d}", "100.00", "2025-03-03") for n in range(10)]
    month_claim(clerk, items=items)
    first = clerk("draw_sample", "2025-04-08", agreement=AG, month="2025-03", seed="晋-2025-03")
    assert len(first["sampled"]) == 2 and first["seed"] == "晋-2025-03"
    import random
    again = sorted(random.Random("晋-2025-03").sample(sorted(i["item_id"] for i in items), 2))
    assert first["sampled"] == again
    replayed = build(e for _, e in ledger.read_log()).claims[f"{AG}:2025-03"].sample
    assert replayed["items"] == first["sampled"] and replayed["seed"] == "晋-2025-03"


def test_pay03_non_compliant_sampled_amounts_are_deducted_five_times(clerk, ledger, agreement):
    month_claim(clerk, items=[item(f"i{n}", "1000.00", "2025-03-03") for n in range(5)])
    sampled = clerk("draw_sample", "2025-04-08", agreement=AG, month="2025-03", seed="s")
    [target] = sampled["sampled"]
    refused("PAY-03", clerk, "approve_claim", "2025-04-09", agreement=AG, month="2025-03")
    other = next(f"i{n}" for n in range(5) if f"i{n}" != target)
    refused("PAY-03", clerk, "review_sampled_item", "2025-04-09", agreement=AG,
            month="2025-03", item_id=other, noncompliant_fen=100, reason="不在样本中")
    result = clerk("review_sampled_item", "2025-04-09", agreement=AG, month="2025-03",
                   item_id=target, noncompliant_fen=12000, reason="超标准收取床位费")
    assert result["deducted"] == "600.00"
    batch = clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    assert (batch["gross"], batch["deducted"], batch["approved"]) == \
        ("5000.00", "600.00", "4400.00")


def test_pay03_a_deduction_beyond_the_payable_is_ordered_back(clerk, ledger, agreement):
    month_claim(clerk, items=[item("only", "100.00", "2025-03-03")])
    clerk("draw_sample", "2025-04-08", agreement=AG, month="2025-03", seed="s")
    clerk("review_sampled_item", "2025-04-09", agreement=AG, month="2025-03", item_id="only",
          noncompliant_fen=10000, reason="虚构服务")
    batch = clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    assert (batch["approved"], batch["excess"]) == ("0.00", "400.00")
    rows, _ = fund(ledger)
    assert rows[(AG, 2025)].to_recover == 40000  # PAY-08


# --- PAY-04 ---------------------------------------------------------------------------
def test_pay04_an_unexplained_query_is_refused_only_after_5_working_days(clerk, ledger,
                                                                         agreement):
    month_claim(clerk, items=[item("q", "300.00", "2025-03-03"), item("ok", "700.00",
                                                                      "2025-03-04")])
    result = clerk("query_claim_item", "2025-04-30", agreement=AG, month="2025-03", item_id="q",
                   question="手术记录与收费不符")
    assert result["explain_by"] == "2025-05-12"  # 1-5 May off, 27 Apr and 10 May worked (CAL-01)
    refused("PAY-04", clerk, "refuse_unexplained_item", "2025-05-12", agreement=AG,
            month="2025-03", item_id="q")
    clerk("refuse_unexplained_item", "2025-05-13", agreement=AG, month="2025-03", item_id="q")
    batch = clerk("approve_claim", "2025-05-14", agreement=AG, month="2025-03")
    assert batch["approved"] == "700.00"
    rows, _ = fund(ledger)
    assert rows[(AG, 2025)].refused_by_reason == {"query_unexplained": 30000}


def test_pay04_an_explained_query_is_payable_and_a_confirmed_one_is_not(clerk, agreement):
    month_claim(clerk, items=[item("a", "300.00", "2025-03-03"), item("b", "200.00",
                                                                      "2025-03-04")])
    for i in ("a", "b"):
        clerk("query_claim_item", "2025-04-08", agreement=AG, month="2025-03", item_id=i,
              question="请说明")
    clerk("record_explanation", "2025-04-10", agreement=AG, month="2025-03", item_id="a",
          accepted=True)
    clerk("record_explanation", "2025-04-10", agreement=AG, month="2025-03", item_id="b",
          accepted=False)
    assert clerk("approve_claim", "2025-04-11", agreement=AG, month="2025-03")["approved"] == \
        "300.00"


# --- PAY-05, PAY-07 ---------------------------------------------------------------------
def test_pay05_a_disputed_amount_found_to_be_a_medical_accident_is_never_paid(clerk, ledger,
                                                                              agreement):
    month_claim(clerk, items=[item("d", "5000.00", "2025-03-03"), item("n", "100.00",
                                                                       "2025-03-04")])
    clerk("hold_claim_item", "2025-04-08", agreement=AG, month="2025-03", item_id="d",
          hold="medical_dispute", ref="医疗纠纷-1")
    refused("PAY-05", clerk, "release_claim_item", "2025-04-09", agreement=AG, month="2025-03",
            item_id="d", medical_accident=None)
    first = clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    assert first["approved"] == "100.00"
    clerk("pay_claim", "2025-04-20", agreement=AG, month="2025-03", batch=1, ref="社银-1")
    clerk("release_claim_item", "2025-08-01", agreement=AG, month="2025-03", item_id="d",
          medical_accident=True)
    refused("PAY-06", clerk, "approve_claim", "2025-08-02", agreement=AG, month="2025-03")
    rows, _ = fund(ledger)
    assert rows[(AG, 2025)].refused_by_reason == {"medical_accident": 500000}


def test_pay07_an_investigation_hold_is_paid_when_the_investigation_ends(clerk, ledger,
                                                                         agreement):
    month_claim(clerk, items=[item("h", "2000.00", "2025-03-03"), item("n", "1000.00",
                                                                       "2025-03-04")])
    clerk("hold_claim_item", "2025-04-08", agreement=AG, month="2025-03", item_id="h",
          hold="investigation", ref="立案-1")
    clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    clerk("pay_claim", "2025-04-25", agreement=AG, month="2025-03", batch=1, ref="社银-1")
    rows, _ = fund(ledger)
    assert rows[(AG, 2025)].held == 200000
    clerk("release_claim_item", "2025-06-03", agreement=AG, month="2025-03", item_id="h",
          medical_accident=None)
    second = clerk("approve_claim", "2025-06-04", agreement=AG, month="2025-03")
    assert second["batch"] == 2 and second["approved"] == "2000.00"
    paid = clerk("pay_claim", "2025-06-20", agreement=AG, month="2025-03", batch=2, ref="社银-2")
    assert (paid["paid"], paid["withheld"], paid["late"]) == ("1800.00", "200.00", False)


# --- PAY-06 ----------------------------------------------------------------------------
def test_pay06_ninety_percent_is_paid_by_the_25th_and_ten_percent_withheld(clerk, ledger,
                                                                           agreement):
    month_claim(clerk, items=[item("a", "1234.57", "2025-03-03")])
    clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    paid = clerk("pay_claim", "2025-04-25", agreement=AG, month="2025-03", batch=1, ref="社银-1")
    # withheld = round-half-up(123456.57 fen x 10%) = 12346 fen; paid = the rest
    assert (paid["withheld"], paid["paid"], paid["late"]) == ("123.46", "1111.11", False)
    refused("PAY-06", clerk, "pay_claim", "2025-04-26", agreement=AG, month="2025-03", batch=1,
            ref="社银-2")
    month_claim(clerk, month="2025-04", items=[item("b", "100.00", "2025-04-03")],
                on="2025-05-03")
    clerk("approve_claim", "2025-05-10", agreement=AG, month="2025-04")
    late = clerk("pay_claim", "2025-05-26", agreement=AG, month="2025-04", batch=1, ref="社银-3")
    assert late["late"] is True and late["pay_by"] == "2025-05-25"


@given(approved=st.integers(min_value=0, max_value=10**12))
def test_pay06_the_withheld_tenth_is_rounded_half_up_to_the_fen(approved):
    # half up of approved / 10 in whole numbers, independent of Decimal quantize
    assert withheld_part(approved) == (approved + 5) // 10


# --- PAY-08 -----------------------------------------------------------------------------
def test_pay08_recovery_records_what_is_owed_recovered_and_outstanding(clerk, ledger,
                                                                       agreement):
    ordered = clerk("order_recovery", "2025-07-01", agreement=AG, year=2025, amount_fen=500000,
                    ground="MA43-1", ref="追回-1")
    assert ordered["outstanding"] == "5000.00"
    clerk("record_recovery", "2025-07-20", agreement=AG, year=2025, amount_fen=200000,
          ref="收款-1")
    refused("AUD-06", clerk, "record_recovery", "2025-07-21", agreement=AG, year=2025,
            amount_fen=300001, ref="收款-2")
    rows, _ = fund(ledger)
    p = rows[(AG, 2025)]
    assert (p.to_recover, p.recovered) == (500000, 200000) and p.identities() == []


# --- ASM ----------------------------------------------------------------------------------
def test_asm01_the_assessment_total_is_computed_on_the_kinds_f6_form(clerk, ledger, agreement):
    result = clerk("record_assessment", "2026-01-20", agreement=AG, year=2025,
                   deductions={"5.5": [["10", "过度检查"]], "3.4": [["5", "未核验身份"]]},
                   awarded={}, veto_failed=[], survey=None, **VIEWS)
    assert result["total"] == "85" and result["form"] == "F6-medical-rehab"
    refused("ASM-01", clerk, "record_assessment", "2026-01-21", agreement=AG, year=2025,
            deductions={}, awarded={}, veto_failed=[], survey=None, **VIEWS)


def test_asm01_an_assistive_assessment_takes_item_5_from_the_survey(clerk, ledger):
    effective_agreement(clerk, "TY-A001", "XY-A", kind="assistive", subtype="hearing_aid")
    survey = {"Q1": "4", "Q2": "3", "Q3": "1", "Q4": "2", "Q5": "2", "Q6": "3", "Q7": "3"}
    refused("ASM-01", clerk, "record_assessment", "2026-01-20", agreement="XY-A", year=2025,
            deductions={}, awarded={}, veto_failed=[], survey=None, **VIEWS)
    result = clerk("record_assessment", "2026-01-20", agreement="XY-A", year=2025,
                   deductions={}, awarded={}, veto_failed=[],
                   survey={k: Decimal(v) for k, v in survey.items()}, **VIEWS)
    assert result["total"] == "98" and result["form"] == "F6-assistive"


def test_asm02_a_veto_sets_the_year_to_zero(clerk, agreement):
    result = clerk("record_assessment", "2026-01-20", agreement=AG, year=2025, deductions={},
                   awarded={}, veto_failed=["V1"], survey=None, **VIEWS)
    assert result["total"] == "0"


def test_asm03_an_item_score_above_its_maximum_is_refused(clerk, agreement):
    refused("ASM-03", clerk, "record_assessment", "2026-01-20", agreement=AG, year=2025,
            deductions={}, awarded={"5.5": Decimal(15)}, veto_failed=[], survey=None, **VIEWS)


def test_asm04_employer_and_supervisor_views_are_recorded_with_the_assessment(clerk, ledger,
                                                                              agreement):
    refused("ASM-04", clerk, "record_assessment", "2026-01-20", agreement=AG, year=2025,
            deductions={}, awarded={}, veto_failed=[], survey=None, employer_views=[],
            supervisor_views=["无"], satisfaction="90%")
    clerk("record_assessment", "2026-01-20", agreement=AG, year=2025, deductions={}, awarded={},
          veto_failed=[], survey=None, **VIEWS)
    recorded = [e for _, e in ledger.read_log() if type(e).__qualname__ == "Assessment.Recorded"]
    assert recorded[0].employer_views == VIEWS["employer_views"]
    assert recorded[0].satisfaction == "满意度 93%"


# --- DEP ------------------------------------------------------------------------------------
def paid_year(clerk, months=("2025-01", "2025-02", "2025-03")):
    for m in months:
        y, mo = map(int, m.split("-"))
        nxt = f"{y + (mo == 12)}-{(mo % 12) + 1:02d}"
        month_claim(clerk, month=m, items=[item(f"{m}-a", "10000.00", f"{m}-10")],
                    on=f"{nxt}-03")
        clerk("approve_claim", f"{nxt}-10", agreement=AG, month=m)
        clerk("pay_claim", f"{nxt}-20", agreement=AG, month=m, batch=1, ref=f"社银-{m}")


def test_dep01_a_score_of_85_returns_90_percent_and_forfeits_the_rest(clerk, ledger, agreement):
    paid_year(clerk)
    refused("DEP-01", clerk, "clear_deposit", "2026-02-01", agreement=AG, year=2025, ref=None)
    clerk("record_assessment", "2026-01-20", agreement=AG, year=2025,
          deductions={"5.5": [["10", "过度检查"]], "3.4": [["5", "未核验身份"]]}, awarded={},
          veto_failed=[], survey=None, **VIEWS)
    result = clerk("clear_deposit", "2026-02-01", agreement=AG, year=2025, ref=None)
    assert (result["percent"], result["returned"], result["forfeited"]) == \
        (90, "2700.00", "300.00")
    assert result["late"] is False
    rows, _ = fund(ledger)
    p = rows[(AG, 2025)]
    assert (p.withheld, p.returned, p.forfeited, p.still_held) == (300000, 270000, 30000, 0)


@pytest.mark.parametrize("score, percent", [("90", 100), ("89.99", 90), ("80", 90),
                                            ("79.5", 80), ("70", 80), ("69", 70), ("60", 70),
                                            ("59.99", 0), ("0", 0)])
def test_dep01_the_score_band_decides_the_share_returned(score, percent):
    assert return_percent(Decimal(score)) == percent


def test_dep02_clearing_after_the_end_of_march_is_flagged_late(clerk, agreement):
    """DEP-02: clearing is due by the end of March of the next year."""
    paid_year(clerk, ("2025-01",))
    clerk("record_assessment", "2026-01-20", agreement=AG, year=2025, deductions={}, awarded={},
          veto_failed=[], survey=None, **VIEWS)
    result = clerk("clear_deposit", "2026-04-01", agreement=AG, year=2025, ref=None)
    assert result["late"] is True and result["due_by"] == "2026-03-31"


def test_dep04_a_deposit_is_cleared_once_only(clerk, agreement):
    paid_year(clerk, ("2025-01",))
    clerk("record_assessment", "2026-01-20", agreement=AG, year=2025, deductions={}, awarded={},
          veto_failed=[], survey=None, **VIEWS)
    clerk("clear_deposit", "2026-02-01", agreement=AG, year=2025, ref=None)
    refused("DEP-04", clerk, "clear_deposit", "2026-02-02", agreement=AG, year=2025, ref=None)


def test_dep03_an_assistive_agreement_loses_half_on_da36_and_all_on_da37(clerk, ledger):
    global AG
    effective_agreement(clerk, "TY-A001", "XY-A", kind="assistive", subtype="prosthetic_orthotic")
    AG, saved = "XY-A", AG
    try:
        paid_year(clerk, ("2025-01", "2025-02"))   # withheld 2 x 1000.00
        clerk("suspend_agreement", "2025-04-01", agreement="XY-A", kind="disciplinary",
              ground="DA36-1", start=None, requested_on=None, planned_days=None, months=3,
              notice_no="暂停-1")
        rows, _ = fund(ledger)
        assert (rows[("XY-A", 2025)].forfeited, rows[("XY-A", 2025)].still_held) == \
            (100000, 100000)
        clerk("terminate_agreement", "2025-05-01", agreement="XY-A", ground="DA37-1",
              notice_no="解除-1", notice_on=date(2025, 5, 1), reported_on=date(2025, 5, 2),
              report_ref="报-1", reason="")
        rows, _ = fund(ledger)
        assert (rows[("XY-A", 2025)].forfeited, rows[("XY-A", 2025)].still_held) == (200000, 0)
    finally:
        AG = saved


# --- AGR-03 with recorded assessments ----------------------------------------------------
def test_agr03_three_excellent_years_allow_a_two_year_agreement(clerk, ledger):
    from tests.test_agreement import sign
    effective_agreement(clerk, "TY-H001", "XY-2022", term_start="2022-01-01",
                        signed_on="2021-12-20")
    number = "XY-2022"
    for year, score_deduction in ((2022, None), (2023, None), (2024, "5")):
        if year > 2022:
            sign(clerk, f"{year - 1}-12-01", f"XY-{year}", "TY-H001",
                 term_start=f"{year}-01-01", renewal_of=number)
            clerk("file_agreement", f"{year - 1}-12-01", agreement=f"XY-{year}",
                  filing_ref=f"备-{year}")
            clerk("start_public_notice", f"{year - 1}-12-02", agreement=f"XY-{year}",
                  notice_ref=f"公示-{year}", until=date(year - 1, 12, 9))
            tick(clerk, f"{year}-01-02")
            number = f"XY-{year}"
        clerk("record_assessment", f"{year + 1}-01-15", agreement=number, year=year,
              deductions={"5.5": [[score_deduction, "过度检查"]]} if score_deduction else {},
              awarded={}, veto_failed=[], survey=None, **VIEWS)
    assert ledger.annual_scores(ledger.institution("TY-H001")) == \
        {2022: Decimal(100), 2023: Decimal(100), 2024: Decimal(95)}
    result = sign(clerk, "2024-12-20", "XY-2025", "TY-H001", term_start="2025-01-01", years=2,
                  renewal_of="XY-2024")
    assert result["term_end"] == "2026-12-31"


def test_agr03_any_year_below_90_in_the_last_three_refuses_two_years(clerk, ledger):
    effective_agreement(clerk, "TY-H001", "XY-2024", term_start="2024-01-01",
                        signed_on="2023-12-20")
    clerk("record_assessment", "2025-01-15", agreement="XY-2024", year=2024,
          deductions={"5.5": [["14", "过度检查"]]}, awarded={}, veto_failed=[], survey=None,
          **VIEWS)
    err = refused("AGR-03", clerk, "sign_agreement", "2024-12-20", number="XY-2025",
                  institution="TY-H001", agreement_type=None, term_start=date(2025, 1, 1),
                  term_years=2, renewal_of="XY-2024", late_reason="")
    assert "2022, 2023, 2024" in err.reason


# --- AUD-06 property: the identities hold at every step ---------------------------------------
@settings(max_examples=100, deadline=None)
@given(approved=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=8),
       score=st.decimals(min_value=0, max_value=100, places=2))
def test_aud06_paid_plus_withheld_is_approved_and_returned_plus_forfeited_plus_held_is_withheld(
        approved, score):
    """Each amount approved and paid by a Claim, its withheld part booked on
    the FundAccount and cleared by score: the identities on what they hold
    (tests/test_money_domain_properties.py drives longer random histories)."""
    from domain.base import Envelope
    from domain.claim import Claim
    from domain.fund_account import FundAccount
    env = Envelope("li.na", "finance", "c-1")
    account = FundAccount.open(agreement=AG, institution_code="TY-H001", agency="TY",
                               agreement_type="MA", year=2025, effective_on=date(2025, 1, 1),
                               envelope=env)
    for n, fen in enumerate(approved):
        month = f"2025-{n + 1:02d}"
        claim = Claim.submit(agreement=AG, institution_code="TY-H001", agency="TY", month=month,
                             items=[item("a", "0.01", f"{month}-03")], networked=True,
                             effective_on=date(2025, n + 2, 1), envelope=env)
        claim.correct_item(item_id="a", amount_fen=fen, service_date=date(2025, n + 1, 3),
                           injury=True, reason="金额", corrects="c-0",
                           effective_on=date(2025, n + 2, 1), envelope=env)
        claim.approve(effective_on=date(2025, n + 2, 2), envelope=env)
        batch = claim.pay(batch=1, ref="r", effective_on=date(2025, n + 2, 3), envelope=env)
        assert batch["approved"] == fen and batch["paid"] + batch["withheld"] == fen
        account.withhold(claim=f"{AG}:{month}", batch=1, amount_fen=batch["withheld"],
                         effective_on=date(2025, n + 2, 3), envelope=env)
    assert account.withheld == sum((fen + 5) // 10 for fen in approved)
    cleared = account.clear(score=score, assessment="A", ref="r", effective_on=date(2026, 3, 1),
                            envelope=env)
    assert account.withheld == account.returned + account.forfeited + account.held
    assert account.held == 0 and cleared["returned"] == account.returned
    assert 0 <= account.returned <= account.withheld


def test_pay03_sample_size_is_20_percent_rounded_half_up_and_never_empty():
    assert [sample_size(n) for n in (0, 1, 2, 5, 7, 8, 10, 13)] == [0, 1, 1, 1, 1, 2, 2, 3]


def test_agr03_a_renewal_signed_before_the_years_assessment_counts_the_last_three_assessed(
        clerk, ledger):
    """AGR-03: signed in December 2025 for 2026, before 2025 is assessed:
    2022-2024, all excellent, allow two years."""
    from tests.test_agreement import sign
    effective_agreement(clerk, "TY-H001", "XY-2022", term_start="2022-01-01",
                        signed_on="2021-12-20")
    clerk("apply_for_renewal", "2022-09-01", agreement="XY-2022", applied_on=date(2022, 9, 1))
    tick(clerk, "2025-12-01")                     # neither objected: continued under M 51
    for year in (2022, 2023, 2024):
        clerk("record_assessment", f"{year + 1}-01-15", agreement="XY-2022", year=year,
              deductions={}, awarded={}, veto_failed=[], survey=None, **VIEWS)
    result = sign(clerk, "2025-12-10", "XY-2026", "TY-H001", term_start="2026-01-01", years=2,
                  renewal_of="XY-2022")
    assert result["term_end"] == "2027-12-31"


def test_asm01_a_year_in_force_under_m51_continuation_is_assessed_and_cleared(clerk, ledger):
    effective_agreement(clerk)
    tick(clerk, "2026-01-02")                     # continued under M 51 from 2026-01-01
    month_claim(clerk, month="2026-01", items=[item("c", "1000.00", "2026-01-05")],
                on="2026-02-03")
    clerk("approve_claim", "2026-02-10", agreement=AG, month="2026-01")
    clerk("pay_claim", "2026-02-20", agreement=AG, month="2026-01", batch=1, ref="社银-c")
    clerk("record_assessment", "2027-01-15", agreement=AG, year=2026, deductions={},
          awarded={}, veto_failed=[], survey=None, **VIEWS)
    result = clerk("clear_deposit", "2027-02-01", agreement=AG, year=2026, ref=None)
    assert result["returned"] == "100.00"


def test_pay02_a_claim_records_what_had_fallen_due_on_its_agreement(clerk, ledger):
    """The automatic ending found while checking a claim is saved with it."""
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-01", agreement=AG, kind="voluntary", ground="",
          start=None, requested_on=date(2025, 2, 20), planned_days=None, months=None,
          notice_no="")
    clerk("apply_for_resumption", "2025-04-01", agreement=AG, applied_on=date(2025, 4, 1))
    clerk("resume_agreement", "2025-04-01", agreement=AG)
    clerk("give_notice_to_end", "2025-05-06", agreement=AG, given_by="institution",
          reason="停业")
    month_claim(clerk, month="2025-05", items=[item("m", "100.00", "2025-05-10")],
                on="2025-06-10")
    assert ledger.agreement(AG).ending["ended_on"] == date(2025, 6, 5)
