"""Suspension: voluntary with the 180-day cap, mandatory, disciplinary, past
expiry, breach findings (SUS-01..06), with time passing by itself."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from tests.builders import refused, effective_agreement, tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

AG = "XY-2025-001"



def suspend(clerk, on, kind, ground="", start=None, requested_on=None, planned_days=None,
            months=None, notice_no="", agreement=AG):
    return clerk("suspend_agreement", on, agreement=agreement, kind=kind, ground=ground,
                 start=date.fromisoformat(start) if start else None,
                 requested_on=date.fromisoformat(requested_on) if requested_on else None,
                 planned_days=planned_days, months=months, notice_no=notice_no)


@pytest.fixture
def agreement(clerk):
    return effective_agreement(clerk)


# --- SUS-01 -------------------------------------------------------------------------
def test_sus01_no_service_dated_inside_a_suspension_is_settled(clerk, ledger, agreement):
    suspend(clerk, "2025-03-01", "mandatory", ground="M38-2", notice_no="中止-1")
    clerk("resume_agreement", "2025-04-01", agreement=AG)
    ag = ledger.agreement(AG)
    assert ag.settles_on(date(2025, 2, 28))[0] is True
    allowed, rule, _ = ag.settles_on(date(2025, 3, 15))
    assert (allowed, rule) == (False, "SUS-01")
    assert ag.settles_on(date(2025, 4, 1))[0] is True


# --- SUS-02 and CAL-05/06: the 180-day cap -------------------------------------------
def test_voluntary_suspension_ends_agreement_after_180_days(clerk, ledger, agreement):
    """SUS-02, CAL-05: from 2025-03-01, day 180 is 2025-08-28; with no application to
    resume the agreement ends by itself on 2025-08-29, with no operator action."""
    result = suspend(clerk, "2025-03-01", "voluntary", start="2025-03-01",
                     requested_on="2025-02-20")
    assert result["resume_by"] == "2025-08-28"
    tick(clerk, "2025-08-28")
    assert ledger.agreement(AG).ending is None
    recorded = tick(clerk, "2025-09-30")["recorded"]
    assert [(r["event"], r["on"], r["ground"]) for r in recorded] == \
        [("Ended", "2025-08-29", "AUTO-SUS-180")]
    ending = ledger.agreement(AG).ending
    assert ending["ended_on"] == date(2025, 8, 29) and ending["is_breach"] is False
    system = [e for _, e in ledger.read_log() if type(e).__qualname__ == "Agreement.Ended"]
    assert system[0].envelope.role == "system"


def test_voluntary_suspension_resumption_applied_on_day_180_keeps_the_agreement(clerk, ledger,
                                                                                agreement):
    """SUS-02: an application by the end of day 180 keeps it alive."""
    suspend(clerk, "2025-03-01", "voluntary", start="2025-03-01", requested_on="2025-02-20")
    clerk("apply_for_resumption", "2025-08-28", agreement=AG, applied_on=date(2025, 8, 28))
    tick(clerk, "2025-10-31")
    assert ledger.agreement(AG).ending is None
    clerk("resume_agreement", "2025-09-05", agreement=AG)
    assert ledger.agreement(AG).status == "active"


def test_voluntary_suspension_day_180_on_a_holiday_moves_to_the_next_working_day(clerk, ledger,
                                                                                 agreement):
    """SUS-02 with CAL-06: from 2025-04-04, day 180 is 2025-10-01 (National Day), so the
    institution has until 2025-10-09; the agreement ends on 2025-10-10."""
    result = suspend(clerk, "2025-04-04", "voluntary", start="2025-04-04",
                     requested_on="2025-04-01")
    assert result["resume_by"] == "2025-10-09"
    tick(clerk, "2025-10-09")
    assert ledger.agreement(AG).ending is None
    clerk("apply_for_resumption", "2025-10-09", agreement=AG, applied_on=date(2025, 10, 9))
    tick(clerk, "2025-10-20")
    assert ledger.agreement(AG).ending is None


def test_voluntary_suspension_unanswered_past_the_holiday_ends_the_day_after(clerk, ledger,
                                                                             agreement):
    suspend(clerk, "2025-04-04", "voluntary", start="2025-04-04", requested_on="2025-04-01")
    tick(clerk, "2025-10-10")
    assert ledger.agreement(AG).ending["ended_on"] == date(2025, 10, 10)
    refused("SUS-02", clerk, "apply_for_resumption", "2025-10-10", agreement=AG,
            applied_on=date(2025, 10, 10))


def test_sus02_a_voluntary_suspension_longer_than_180_days_is_refused(clerk, agreement):
    refused("SUS-02", clerk, "suspend_agreement", "2025-03-01", agreement=AG, kind="voluntary",
            ground="", start=date(2025, 3, 1), requested_on=date(2025, 2, 20),
            planned_days=181, months=None, notice_no="")
    refused("SUS-02", clerk, "suspend_agreement", "2025-03-01", agreement=AG, kind="voluntary",
            ground="", start=date(2025, 3, 1), requested_on=None, planned_days=30, months=None,
            notice_no="")


def test_sus02_a_command_after_day_181_finds_the_ending_already_recorded(clerk, ledger,
                                                                         agreement):
    """No tick ran; the next command on the agreement records the due ending first."""
    suspend(clerk, "2025-03-01", "voluntary", start="2025-03-01", requested_on="2025-02-20")
    refused("SUS-02", clerk, "apply_for_resumption", "2025-09-02", agreement=AG,
            applied_on=date(2025, 9, 2))
    names = [type(e).__qualname__ for _, e in ledger.read_log()]
    assert "Agreement.Ended" not in names  # a refused command records nothing, not even that
    tick(clerk, "2025-09-02")
    assert ledger.agreement(AG).ending["ended_on"] == date(2025, 8, 29)


# --- SUS-03 ----------------------------------------------------------------------------
def test_sus03_a_mandatory_suspension_rests_on_an_m38_ground(clerk, agreement):
    refused("SUS-03", clerk, "suspend_agreement", "2025-03-01", agreement=AG, kind="mandatory",
            ground="M39-3", start=None, requested_on=None, planned_days=None, months=None,
            notice_no="中止-1")
    result = suspend(clerk, "2025-03-01", "mandatory", ground="M38-1", notice_no="中止-1")
    assert result["kind"] == "mandatory" and result["planned_end"] is None


# --- SUS-04 ----------------------------------------------------------------------------
def test_sus04_a_disciplinary_suspension_lasts_3_to_6_months_from_the_written_notice(clerk,
                                                                                    agreement):
    """SUS-04 with CAL-05: the months count from the day after the notice, so
    3 months from a notice on 2025-03-01 end at the end of 2025-06-01."""
    for months in (2, 7):   # the limits -1 and +1
        refused("SUS-04", clerk, "suspend_agreement", "2025-03-01", agreement=AG,
                kind="disciplinary", ground="MA42-1", start=None, requested_on=None,
                planned_days=None, months=months, notice_no="暂停-1")
    refused("SUS-04", clerk, "suspend_agreement", "2025-03-01", agreement=AG,
            kind="disciplinary", ground="MA42-1", start=None, requested_on=None,
            planned_days=None, months=3, notice_no="")
    result = suspend(clerk, "2025-03-01", "disciplinary", ground="MA42-1", months=3,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2025-06-01"


def test_sus04_disciplinary_suspension_of_6_months_is_the_upper_limit(clerk, agreement):
    result = suspend(clerk, "2025-03-01", "disciplinary", ground="MA42-1", months=6,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2025-09-01"


def test_sus04_disciplinary_suspension_of_3_months_from_31_august_ends_30_november(
        clerk, ledger, agreement):
    """The issue's case: day one is 1 September (CAL-05), and 30 November is
    the last day (CAL-03), not 29 November."""
    result = suspend(clerk, "2025-08-31", "disciplinary", ground="MA42-1", months=3,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2025-11-30"
    assert ledger.agreement(AG).suspension["planned_end"] == date(2025, 11, 30)


@pytest.mark.parametrize("notice_day, months, last_day", [
    ("2025-11-30", 3, "2026-02-28"),    # no 30 February: the month's last day (CAL-03)
    ("2024-11-30", 3, "2025-02-28"),    # 2025 is no leap year
    ("2023-11-30", 3, "2024-02-29"),    # 2024 is
    ("2025-01-31", 1, "2025-02-28"),
    ("2025-01-31", 2, "2025-03-31"),
    ("2025-01-31", 3, "2025-04-30"),
    ("2025-01-31", 4, "2025-05-31"),
    ("2025-01-31", 5, "2025-06-30"),
    ("2025-01-31", 6, "2025-07-31"),
    ("2025-02-28", 3, "2025-05-28"),    # not the month's end: the same day-of-month
    ("2025-08-31", 6, "2026-02-28"),    # CAL-03's own example
])
def test_sus04_cal03_cal05_a_disciplinary_suspension_ends_on_month_ends(notice_day, months,
                                                                       last_day):
    """The domain rule alone (1 to 6 months, so the month ends of every length
    are covered; suspend_agreement itself takes 3 to 6)."""
    from domain.agreement import disciplinary_end
    assert disciplinary_end(date.fromisoformat(notice_day), months) == \
        date.fromisoformat(last_day)


def test_sus04_a_disciplinary_suspension_from_30_november_ends_on_the_last_day_of_february(
        clerk, ledger):
    effective_agreement(clerk, term_start="2025-06-01", signed_on="2025-05-20")
    result = suspend(clerk, "2025-11-30", "disciplinary", ground="MA42-1", months=3,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2026-02-28" and result["past_expiry"] is False


def test_sus04_on_the_last_day_of_the_period_it_is_still_suspended_and_nothing_resumes_it(
        clerk, ledger, agreement):
    """Day before, day of and day after the last day (2025-11-30): the
    application follows the period (M 45 "暂停服务协议期满，经协议机构申请"), and
    service dated on the last day is not settled (SUS-01)."""
    suspend(clerk, "2025-08-31", "disciplinary", ground="MA42-1", months=3, notice_no="暂停-1")
    for day in ("2025-11-29", "2025-11-30"):
        err = refused("SUS-04", clerk, "apply_for_resumption", day, agreement=AG,
                      applied_on=date.fromisoformat(day))
        assert "2025-11-30" in str(err) and "2025-12-01" in err.remedy
    clerk("apply_for_resumption", "2025-12-01", agreement=AG, applied_on=date(2025, 12, 1))
    ag = ledger.agreement(AG)
    assert ag.status == "suspended"
    assert ag.settles_on(date(2025, 11, 30))[:2] == (False, "SUS-01")


def test_sus04_an_inspection_dated_inside_the_period_does_not_resume_it(clerk, ledger,
                                                                        agreement):
    """A passed inspection resumes on its own date, so it may not be dated on
    the period's last day (nor before the application it answers)."""
    suspend(clerk, "2025-08-31", "disciplinary", ground="MA42-1", months=3, notice_no="暂停-1")
    clerk("apply_for_resumption", "2025-12-02", agreement=AG, applied_on=date(2025, 12, 2))
    for day in ("2025-11-30", "2025-12-01"):     # the last day; the day before the application
        err = refused("SUS-04", clerk, "record_inspection", day, agreement=AG, passed=True,
                      report_ref="验收-1")
        assert "2025-12-02" in err.remedy
    clerk("record_inspection", "2025-12-02", agreement=AG, passed=True, report_ref="验收-1")
    ag = ledger.agreement(AG)
    assert ag.status == "active" and ag.suspensions[-1]["resumed_on"] == date(2025, 12, 2)
    assert ag.settles_on(date(2025, 12, 1))[:2] == (False, "SUS-01")
    assert ag.settles_on(date(2025, 12, 2))[0] is True


def test_sus04_an_inspection_the_day_after_the_period_resumes_it(clerk, ledger, agreement):
    suspend(clerk, "2025-08-31", "disciplinary", ground="MA42-1", months=3, notice_no="暂停-1")
    clerk("apply_for_resumption", "2025-12-01", agreement=AG, applied_on=date(2025, 12, 1))
    clerk("record_inspection", "2025-12-01", agreement=AG, passed=True, report_ref="验收-1")
    assert ledger.agreement(AG).status == "active"


def test_sus04_the_deadline_table_shows_the_period_s_last_day(clerk, ledger, agreement):
    from projections.deadlines import open_deadlines
    from projections.status import build
    suspend(clerk, "2025-08-31", "disciplinary", ground="MA42-1", months=3, notice_no="暂停-1")
    state = build(e for _, e in ledger.read_log())
    rows = [r for r in open_deadlines(state, date(2025, 9, 1)) if r["rule"] == "SUS-04"]
    assert [r["due"] for r in rows] == [date(2025, 11, 30)]


def test_sus04_aud01_a_suspension_recorded_with_the_old_end_keeps_it_until_corrected(
        clerk, ledger, agreement):
    """A Suspended event recorded before the fix carries its last day one day
    early; replaying it keeps that day (nothing recomputes it from start and
    months). An operator's correction (AUD-01) counts it again and names the
    original, which stays in the log."""
    command_id = _suspended_as_before_the_fix(clerk, ledger, "2025-08-31", months=3)
    assert ledger.agreement(AG).suspension["planned_end"] == date(2025, 11, 29)
    result = clerk("correct_suspension", "2025-09-05", agreement=AG, corrects=command_id,
                   start=date(2025, 8, 31), reason="CAL-05: 期间自通知次日起算")
    assert result["planned_end"] == "2025-11-30"
    ag = ledger.agreement(AG)
    assert ag.suspension["planned_end"] == date(2025, 11, 30)
    assert ag.suspension["corrected"]["planned_end_was"] == date(2025, 11, 29)
    names = [type(e).__qualname__ for _, e in ledger.read_log()]
    assert names.count("Agreement.Suspended") == 1 and "Agreement.SuspensionCorrected" in names
    refused("SUS-04", clerk, "apply_for_resumption", "2025-11-30", agreement=AG,
            applied_on=date(2025, 11, 30))


def _suspended_as_before_the_fix(clerk, ledger, on, *, months):
    """A fake of the code before the fix: the same Suspended event, its last
    day counted with the notice day as day one. Returns its command id."""
    from datetime import timedelta

    from domain.calendar import add_months
    ag = ledger.agreement(AG)
    start = date.fromisoformat(on)
    ctx = clerk.ctx(on, "暂停-1")
    ag._suspended(kind="disciplinary", ground_code="MA42-1", start=start, requested_on=None,
                  planned_end=add_months(start, months) - timedelta(days=1), resume_by=None,
                  provisional=False, notice_no="暂停-1", effective_on=start,
                  envelope=ctx.envelope)
    ledger.save(ag)
    return ctx.command_id


def test_sus04_aud01_a_corrected_start_counts_the_months_again(clerk, ledger, agreement):
    """Moving the start by a day must count months, not shift days: from
    2025-11-30 the end is 2026-02-28, from 2025-11-29 it is 2026-02-28 too."""
    result = suspend(clerk, "2025-11-30", "disciplinary", ground="MA42-1", months=3,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2026-02-28"
    command_id = ledger.agreement(AG).suspensions[-1]["command_id"]
    result = clerk("correct_suspension", "2025-12-02", agreement=AG, corrects=command_id,
                   start=date(2025, 11, 29), reason="通知书落款日期为11月29日")
    assert result["planned_end"] == "2026-02-28"
    result = clerk("correct_suspension", "2025-12-02", agreement=AG, corrects=command_id,
                   start=date(2025, 11, 29), reason="暂停期限应为4个月", months=4)
    assert result["planned_end"] == "2026-03-29"
    for months in (2, 7):
        refused("SUS-04", clerk, "correct_suspension", "2025-12-02", agreement=AG,
                corrects=command_id, start=date(2025, 11, 29), reason="?", months=months)


def test_sus04_months_correct_only_a_disciplinary_suspension(clerk, ledger, agreement):
    suspend(clerk, "2025-03-01", "mandatory", ground="M38-2", notice_no="中止-1")
    command_id = ledger.agreement(AG).suspensions[-1]["command_id"]
    refused("SUS-04", clerk, "correct_suspension", "2025-03-05", agreement=AG,
            corrects=command_id, start=date(2025, 3, 2), reason="录入有误", months=3)


# --- SUS-05 ----------------------------------------------------------------------------
def test_sus05_a_suspension_reaching_past_expiry_ends_the_agreement(clerk, ledger, agreement):
    result = suspend(clerk, "2025-10-01", "voluntary", start="2025-10-01",
                     requested_on="2025-09-20", planned_days=120)
    assert result["past_expiry"] is True
    recorded = tick(clerk, "2026-01-15")["recorded"]
    assert [(r["on"], r["ground"]) for r in recorded] == [("2026-01-01", "AUTO-SUS-EXPIRY")]


# --- SUS-06 ----------------------------------------------------------------------------
def test_sus06_a_breach_finding_is_recorded_with_its_clause_and_sanctions(clerk, ledger,
                                                                          agreement):
    result = clerk("record_breach_finding", "2025-04-01", agreement=AG, clause="MA42-1",
                   found_on=date(2025, 3, 28), facts="未按规定核验工伤职工身份",
                   sanctions=["interview", "rectify"])
    assert result["article"].startswith("MA 42")
    refused("SUS-06", clerk, "record_breach_finding", "2025-04-01", agreement=AG,
            clause="MA42-1", found_on=date(2025, 3, 28), facts="同上", sanctions=["terminate"])
    refused("AGR-04", clerk, "record_breach_finding", "2025-04-01", agreement=AG,
            clause="DA35-1", found_on=date(2025, 3, 28), facts="同上", sanctions=[])
    assert ledger.agreement(AG).findings[0]["clause"] == "MA42-1"
