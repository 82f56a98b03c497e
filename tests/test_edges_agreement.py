"""Agreement, suspension and settlement rules at their edges (issue #18):
the day before, of and after each date a rule turns on, and each count's
limit minus, at and plus one. Pure functions are called directly; what
needs an agreement goes through the public service on the in-memory store.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.agreement_terms import signed_term
from domain.calendar import WorkingCalendar
from domain.errors import InvalidCommand, RuleViolation
from domain.suspension import disciplinary_end, disciplinary_months, plan
from tests.builders import effective_agreement
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

CAL = WorkingCalendar()
AG = "XY-2025-001"


def term(**kw):
    args = dict(kind="medical", agreement_type="MA", term_start=date(2026, 1, 1), term_years=1,
                renewal_of="XY-2025", late_reason="", effective_on=date(2026, 3, 15))
    return signed_term(**{**args, **kw})


# --- AGR-01, AGR-03: the yearly round closes on 15 March; a term is 1 or 2 years ---------------
def test_agr01_a_renewal_signed_on_15_march_is_on_time_and_on_16_march_late():
    assert term(effective_on=date(2026, 3, 15)) == (date(2026, 12, 31), False)
    with pytest.raises(RuleViolation) as info:
        term(effective_on=date(2026, 3, 16))
    assert info.value.rule == "AGR-01" and "2026-03-15" in info.value.reason
    assert term(effective_on=date(2026, 3, 16), late_reason="评估延误") == \
        (date(2026, 12, 31), True)


def test_agr01_a_first_agreement_is_never_a_late_renewal():
    assert term(renewal_of=None, effective_on=date(2026, 6, 1)) == (date(2026, 12, 31), False)


def test_agr01_a_term_starts_at_most_366_days_before_signing():
    assert term(term_start=date(2025, 3, 15), renewal_of=None,
                effective_on=date(2026, 3, 16))[0] == date(2026, 3, 14)
    with pytest.raises(InvalidCommand) as info:
        term(term_start=date(2025, 3, 14), renewal_of=None, effective_on=date(2026, 3, 16))
    assert info.value.rule == "AGR-01"


@pytest.mark.parametrize("years, last_day", [(1, date(2026, 12, 31)), (2, date(2027, 12, 31))])
def test_agr03_a_term_of_one_or_two_years_ends_the_day_before_its_anniversary(years, last_day):
    assert term(term_years=years)[0] == last_day


@pytest.mark.parametrize("years", [0, 3])
def test_agr03_no_term_is_shorter_than_one_year_or_longer_than_two(years):
    with pytest.raises(InvalidCommand) as info:
        term(term_years=years)
    assert info.value.rule == "AGR-03"


def test_agr04_each_kind_signs_its_own_agreement_type():
    assert term(kind="rehab", agreement_type="RA")[1] is False
    assert term(kind="assistive", agreement_type="DA")[1] is False
    for kind, wrong in (("medical", "RA"), ("rehab", "MA"), ("assistive", "MA")):
        with pytest.raises(RuleViolation) as info:
            term(kind=kind, agreement_type=wrong)
        assert info.value.rule == "AGR-04"


# --- SUS-02: a voluntary suspension lasts 1 to 180 days --------------------------------------
def voluntary(days, start=date(2025, 3, 1)):
    return plan(kind="voluntary", ground_code="", start=start, requested_on=date(2025, 2, 20),
                planned_days=days, months=None, notice_no="", calendar=CAL)


def test_sus02_a_voluntary_suspension_of_180_days_is_allowed_and_181_refused():
    assert voluntary(180)["planned_end"] == date(2025, 8, 28)   # CAL-05: day 1 is 2 March
    assert voluntary(1)["planned_end"] == date(2025, 3, 2)
    for days in (0, 181):
        with pytest.raises(RuleViolation) as info:
            voluntary(days)
        assert info.value.rule == "SUS-02"


def test_sus02_without_days_it_runs_180_and_the_day_to_apply_moves_off_a_rest_day():
    # 180 days from 2025-03-01 end on Thursday 2025-08-28, a working day
    p = voluntary(None)
    assert p["planned_end"] == p["resume_by"] == date(2025, 8, 28) and p["ground_code"] == "M37"
    # from 2025-04-05 the 180th day is Saturday 2025-10-02, inside the National Day
    # holiday: the last day to apply is the next working day, 2025-10-09 (CAL-06)
    assert voluntary(None, start=date(2025, 4, 5))["resume_by"] == date(2025, 10, 9)


def test_sus02_a_voluntary_suspension_rests_on_the_institutions_request():
    with pytest.raises(RuleViolation) as info:
        plan(kind="voluntary", ground_code="", start=date(2025, 3, 1), requested_on=None,
             planned_days=30, months=None, notice_no="", calendar=CAL)
    assert info.value.rule == "SUS-02"


# --- SUS-03, SUS-04, SUS-06: mandatory grounds and 3 to 6 months of discipline ----------------
def disciplinary(months, notice_no="暂停-1", ground="MA42-1", start=date(2025, 8, 31)):
    return plan(kind="disciplinary", ground_code=ground, start=start, requested_on=None,
                planned_days=None, months=months, notice_no=notice_no, calendar=CAL)


@pytest.mark.parametrize("months, last_day", [(3, date(2025, 11, 30)), (6, date(2026, 2, 28))])
def test_sus04_three_to_six_months_from_the_notice_end_on_the_same_day_or_the_months_last(
        months, last_day):
    assert disciplinary(months)["planned_end"] == last_day
    assert disciplinary_months(date(2025, 8, 31), last_day) == months


@pytest.mark.parametrize("months", [2, 7, None])
def test_sus04_a_disciplinary_suspension_is_never_shorter_than_3_or_longer_than_6_months(months):
    with pytest.raises(RuleViolation) as info:
        disciplinary(months)
    assert info.value.rule == "SUS-04"


def test_sus04_a_disciplinary_suspension_runs_from_a_written_notice():
    with pytest.raises(RuleViolation) as info:
        disciplinary(3, notice_no=" ")
    assert info.value.rule == "SUS-04"


def test_sus04_the_months_of_a_recorded_suspension_are_read_back_by_either_counting():
    start = date(2025, 3, 10)
    assert disciplinary_end(start, 4) == date(2025, 7, 10)
    assert disciplinary_months(start, date(2025, 7, 10)) == 4
    assert disciplinary_months(start, date(2025, 7, 9)) == 4     # the rule before issue #12
    assert disciplinary_months(start, date(2025, 7, 8)) is None
    assert disciplinary_months(start, date(2025, 6, 10)) == 3
    assert disciplinary_months(start, date(2025, 9, 11)) is None


def test_sus06_a_disciplinary_suspension_cites_a_breach_clause_or_an_m38_ground():
    assert disciplinary(3, ground="M38-2")["ground_code"] == "M38-2"
    with pytest.raises(RuleViolation) as info:
        disciplinary(3, ground="MA99-9")
    assert info.value.rule == "SUS-06"


def test_sus03_a_mandatory_suspension_rests_on_one_of_the_m38_grounds():
    ok = plan(kind="mandatory", ground_code="M38-1", start=date(2025, 3, 1), requested_on=None,
              planned_days=None, months=None, notice_no="", calendar=CAL)
    assert ok["planned_end"] is None and ok["resume_by"] is None
    for wrong_kind, ground in (("mandatory", "M39-1"), ("sleepy", "M38-1")):
        with pytest.raises((RuleViolation, InvalidCommand)) as info:
            plan(kind=wrong_kind, ground_code=ground, start=date(2025, 3, 1), requested_on=None,
                 planned_days=None, months=None, notice_no="", calendar=CAL)
        assert info.value.rule == "SUS-03"


# --- PAY-02, SUS-01, TER-03: which service days an agreement settles ---------------------------
def test_pay02_sus01_ter03_a_service_is_settled_from_effect_outside_a_suspension_and_before_the_end(
        clerk, ledger):
    # signed 2024-12-20, notice until 2024-12-27: in force from 2024-12-28, term from 2025-01-01
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-10", agreement=AG, kind="mandatory", ground="M38-2",
          start=None, requested_on=None, planned_days=None, months=None, notice_no="中止-1")
    clerk("resume_agreement", "2025-04-10", agreement=AG)
    clerk("terminate_agreement", "2025-06-15", agreement=AG, ground="M39-3", notice_no="解除-1",
          notice_on=date(2025, 6, 15), reported_on=date(2025, 6, 16), report_ref="报-1",
          reason="骗保")
    ag = ledger.agreement(AG)

    def rule_on(day):
        allowed, rule, _ = ag.settles_on(date.fromisoformat(day))
        return "settled" if allowed else rule
    assert rule_on("2024-12-31") == "PAY-02"          # in force, but before the term starts
    assert rule_on("2025-01-01") == "settled"
    assert rule_on("2025-03-09") == "settled"
    assert rule_on("2025-03-10") == "SUS-01"          # the first day of the suspension
    assert rule_on("2025-04-09") == "SUS-01"
    assert rule_on("2025-04-10") == "settled"         # the day it resumed
    assert rule_on("2025-06-14") == "settled"
    assert rule_on("2025-06-15") == "TER-03"          # the day it ended


def test_pay02_nothing_is_settled_before_the_public_notice_ends_or_after_expiry(clerk, ledger):
    effective_agreement(clerk, term_start="2025-01-01", signed_on="2025-01-10")
    ag = ledger.agreement(AG)
    assert ag.took_effect_on == date(2025, 1, 18)   # the day after the notice's last day
    assert ag.settles_on(date(2025, 1, 17))[:2] == (False, "PAY-02")
    assert ag.settles_on(date(2025, 1, 18))[0] is True
    assert ag.settles_on(date(2025, 12, 31))[0] is True
    assert ag.settles_on(date(2026, 1, 1))[:2] == (False, "PAY-02")   # expired, not continued
