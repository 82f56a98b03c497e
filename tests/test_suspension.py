"""Suspension: voluntary with the 180-day cap, mandatory, disciplinary, past
expiry, breach findings (SUS-01..06), with time passing by itself."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from tests.builders import refused, effective_agreement, tick

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
    refused("SUS-04", clerk, "suspend_agreement", "2025-03-01", agreement=AG,
            kind="disciplinary", ground="MA42-1", start=None, requested_on=None,
            planned_days=None, months=7, notice_no="暂停-1")
    refused("SUS-04", clerk, "suspend_agreement", "2025-03-01", agreement=AG,
            kind="disciplinary", ground="MA42-1", start=None, requested_on=None,
            planned_days=None, months=3, notice_no="")
    result = suspend(clerk, "2025-03-01", "disciplinary", ground="MA42-1", months=3,
                     notice_no="暂停-1")
    assert result["planned_end"] == "2025-05-31"


def test_sus04_only_a_passed_on_site_inspection_resumes_it(clerk, ledger, agreement):
    suspend(clerk, "2025-03-01", "disciplinary", ground="MA43-2", months=3, notice_no="暂停-1")
    refused("SUS-04", clerk, "resume_agreement", "2025-06-02", agreement=AG)
    refused("SUS-04", clerk, "apply_for_resumption", "2025-05-20", agreement=AG,
            applied_on=date(2025, 5, 20))
    clerk("apply_for_resumption", "2025-06-02", agreement=AG, applied_on=date(2025, 6, 2))
    clerk("record_inspection", "2025-06-10", agreement=AG, passed=True, report_ref="验收-1")
    assert ledger.agreement(AG).status == "active"


def test_sus04_a_failed_inspection_raises_the_obligation_to_end_under_m39_1(clerk, ledger,
                                                                           agreement):
    suspend(clerk, "2025-03-01", "disciplinary", ground="MA43-2", months=3, notice_no="暂停-1")
    clerk("apply_for_resumption", "2025-06-02", agreement=AG, applied_on=date(2025, 6, 2))
    clerk("record_inspection", "2025-06-10", agreement=AG, passed=False, report_ref="验收-1")
    ag = ledger.agreement(AG)
    assert ag.status == "suspended"
    assert [(o["kind"], o["ground"]) for o in ag.obligations] == [("must_terminate", "M39-1")]


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
