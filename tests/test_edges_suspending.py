"""What the suspension commands record (issue #18; domain/agreement_suspending.py):
each event dated the command's day and stamped with its envelope (AUD-04),
the inspection's outcome and report, the obligation a failed one raises
(TER-01), the correction naming what it corrects and dated from the earlier
start (AUD-01), and each command refused under its own rule once the
agreement has ended. Through the public service on the in-memory store.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import NotFound
from tests.builders import effective_agreement, refused, tick
from tests.refusal_words import read
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

AG = "XY-2025-001"


def recorded_since(ledger, before):
    """(event name, event) of every Agreement event after notification ``before``."""
    out = []
    for n, e in ledger.read_log():
        if n > before and type(e).__qualname__.startswith("Agreement."):
            out.append((type(e).__qualname__.split(".")[1], e))
    return out


def last_id(ledger):
    return ledger.recorder.max_notification_id()


def stamped(e, clerk, command_id, on):
    env = e.envelope
    return (env.user, env.role, env.command_id, e.effective_on) == \
        (clerk.user, clerk.role, command_id, date.fromisoformat(on))


def disciplinary(clerk, ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-10", agreement=AG, kind="disciplinary", ground="MA42-1",
          start=None, requested_on=None, planned_days=None, months=4, notice_no="暂停-1")
    clerk("apply_for_resumption", "2025-07-11", _id="apply-1", agreement=AG,
          applied_on=date(2025, 7, 11))


def test_sus02_aud04_an_application_to_resume_is_dated_and_stamped_by_its_command(clerk,
                                                                                  ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-01", agreement=AG, kind="voluntary", ground="",
          start=date(2025, 3, 1), requested_on=date(2025, 2, 20), planned_days=None,
          months=None, notice_no="")
    before = last_id(ledger)
    clerk("apply_for_resumption", "2025-04-02", _id="apply-1", agreement=AG,
          applied_on=date(2025, 4, 1))
    [(name, e)] = recorded_since(ledger, before)
    assert name == "ResumptionApplied" and e.applied_on == date(2025, 4, 1)
    assert stamped(e, clerk, "apply-1", "2025-04-02")


def inspected(clerk, ledger, passed, report_ref):
    """An inspection on 15 July after the suspension of 10 March to 10 July:
    the Inspected event checked, and the event that followed it."""
    disciplinary(clerk, ledger)
    before = last_id(ledger)
    clerk("record_inspection", "2025-07-15", _id="insp-1", agreement=AG, passed=passed,
          report_ref=report_ref)
    [(name, i), (then, e)] = recorded_since(ledger, before)
    assert (name, i.passed, i.report_ref) == ("Inspected", passed, report_ref)
    assert stamped(i, clerk, "insp-1", "2025-07-15") and stamped(e, clerk, "insp-1", "2025-07-15")
    return then, e


def test_sus04_aud04_a_passed_inspection_records_its_report_and_resumes_that_day(clerk, ledger):
    assert inspected(clerk, ledger, True, "检查-7")[0] == "Resumed"
    assert ledger.agreement(AG).status == "active"


def test_ter01_a_failed_inspection_raises_the_obligation_to_end_naming_its_report(clerk, ledger):
    raised, o = inspected(clerk, ledger, False, "检查-8")
    assert (raised, o.kind, o.ground, o.rule, o.reason) == (
        "ObligationRaised", "must_terminate", "M39-1", "TER-01",
        "rectification failed during the suspension (inspection 检查-8)")
    assert ledger.agreement(AG).status == "suspended"


def test_aud01_a_correction_names_what_it_corrects_and_is_dated_from_the_earlier_start(clerk,
                                                                                      ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-05", _id="sus-1", agreement=AG, kind="mandatory",
          ground="M38-2", start=date(2025, 3, 5), requested_on=None, planned_days=None,
          months=None, notice_no="中止-1")
    before = last_id(ledger)
    clerk("correct_suspension", "2025-03-20", _id="fix-1", agreement=AG, corrects="sus-1",
          start=date(2025, 3, 3), reason="通知书落款日期为3月3日")
    [(name, e)] = recorded_since(ledger, before)
    assert name == "SuspensionCorrected"
    assert e.corrects == {"event": "Agreement.Suspended", "command_id": "sus-1",
                          "start": date(2025, 3, 5)}
    assert (e.reason, e.status, e.suspension["start"]) == \
        ("通知书落款日期为3月3日", "suspended", date(2025, 3, 3))
    assert stamped(e, clerk, "fix-1", "2025-03-03")    # the earlier of 3 and 5 March
    # moved later, it is dated from the start it corrects (3 March, as the first left it)
    before = last_id(ledger)
    clerk("correct_suspension", "2025-03-21", _id="fix-2", agreement=AG, corrects="sus-1",
          start=date(2025, 3, 6), reason="改回")
    [(_, later)] = recorded_since(ledger, before)
    assert later.corrects["start"] == date(2025, 3, 3)
    assert stamped(later, clerk, "fix-2", "2025-03-03")


def test_aud01_a_resumed_suspension_corrected_leaves_the_agreement_active(clerk, ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-05", _id="sus-1", agreement=AG, kind="mandatory",
          ground="M38-2", start=date(2025, 3, 5), requested_on=None, planned_days=None,
          months=None, notice_no="中止-1")
    clerk("resume_agreement", "2025-04-01", agreement=AG)
    before = last_id(ledger)
    clerk("correct_suspension", "2025-04-10", agreement=AG, corrects="sus-1",
          start=date(2025, 3, 4), reason="录入错误")
    [(_, e)] = recorded_since(ledger, before)
    assert e.status is None and ledger.agreement(AG).status == "active"


def test_sus01_sus02_aud01_an_ended_agreement_is_neither_resumed_nor_corrected(clerk, ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-01", _id="sus-1", agreement=AG, kind="voluntary",
          ground="", start=date(2025, 3, 1), requested_on=date(2025, 2, 20),
          planned_days=None, months=None, notice_no="")
    tick(clerk, "2025-09-01")               # SUS-02: ended on 29 August
    refused("SUS-01", clerk, "resume_agreement", "2025-09-02", agreement=AG)
    refused("AUD-01", clerk, "correct_suspension", "2025-09-02", agreement=AG,
            corrects="sus-1", start=date(2025, 3, 2), reason="录入错误")
    err = refused("SUS-02", clerk, "apply_for_resumption", "2025-09-02", agreement=AG,
                  applied_on=date(2025, 8, 20))
    assert err.reason == f"agreement {AG} has ended (2025-08-29)"


def test_sus01_sus03_each_refusal_of_suspend_whole(clerk, ledger):
    effective_agreement(clerk)
    args = dict(agreement=AG, ground="M38-2", start=None, requested_on=None,
                planned_days=None, months=None, notice_no="中止-1")
    for kind, on, start, refused_as in (
            ("sleepy", "2025-03-05", None,
             ("InvalidCommand", "SUS-03", "unknown suspension kind 'sleepy'",
              "use one of voluntary, mandatory, disciplinary")),
            ("mandatory", "2025-03-05", date(2024, 12, 27),
             ("InvalidCommand", "SUS-01",
              "a suspension cannot start before the agreement took effect",
              "start on or after 2024-12-28"))):
        err = refused(refused_as[1], clerk, "suspend_agreement", on,
                      **{**args, "kind": kind, "start": start})
        assert read(err) == refused_as
    clerk("suspend_agreement", "2025-03-05", **{**args, "kind": "mandatory"})
    err = refused("SUS-01", clerk, "suspend_agreement", "2025-03-06",
                  **{**args, "kind": "mandatory"})
    assert read(err) == ("RuleViolation", "SUS-01",
                         f"agreement {AG} is already suspended since 2025-03-05",
                         "resume it first")


def test_sus01_sus02_aud01_the_checks_name_the_agreement_and_the_resumption_is_stamped(clerk,
                                                                                    ledger):
    effective_agreement(clerk)
    for command, kw in (("resume_agreement", {}),
                        ("apply_for_resumption", {"applied_on": date(2025, 3, 1)})):
        rule = "SUS-01" if command == "resume_agreement" else "SUS-02"
        err = refused(rule, clerk, command, "2025-03-02", agreement=AG, **kw)
        assert err.reason == f"agreement {AG} is not suspended"
    with pytest.raises(NotFound) as info:
        clerk("correct_suspension", "2025-03-02", agreement=AG, corrects="sus-9",
              start=date(2025, 3, 1), reason="录入错误")
    assert info.value.reason == f"no suspension of {AG} was recorded by command sus-9"
    clerk("suspend_agreement", "2025-03-05", _id="sus-1", agreement=AG, kind="voluntary",
          ground="", start=date(2025, 3, 1), requested_on=date(2025, 2, 20), planned_days=90,
          months=None, notice_no="")
    # moved to 3 March: day 180 is Saturday 30 August, the day to apply Monday 1 September
    row = clerk("correct_suspension", "2025-03-06", agreement=AG, corrects="sus-1",
                start=date(2025, 3, 3), reason="录入错误")
    assert row["resume_by"] == "2025-09-01"
    assert ledger.agreement(AG).suspension["corrected"]["reason"] == "录入错误"
    clerk("apply_for_resumption", "2025-04-01", agreement=AG, applied_on=date(2025, 4, 1))
    before = last_id(ledger)
    clerk("resume_agreement", "2025-04-03", _id="res-1", agreement=AG)
    [(name, e)] = recorded_since(ledger, before)
    assert name == "Resumed" and stamped(e, clerk, "res-1", "2025-04-03")


def test_sus01_an_agreement_still_in_its_public_notice_is_not_suspended(clerk, ledger):
    from tests.test_edges_clock import signed_in_notice
    signed_in_notice(clerk)                  # in notice until 27 December, no tick yet
    err = refused("SUS-01", clerk, "suspend_agreement", "2024-12-24", agreement=AG,
                  kind="mandatory", ground="M38-2", start=None, requested_on=None,
                  planned_days=None, months=None, notice_no="中止-1")
    assert read(err)[2] == f"agreement {AG} has not taken effect"
