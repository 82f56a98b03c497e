"""Time passing at its edges (issue #18): every kind of consequence the clock
records (AGR-02's effect, SUS-02's 180-day cap, SUS-05, AGR-05 and M 51 at
expiry, AGR-06, AGR-07) is ticked the day before it falls due, on the day and
first on the day after, through the public service only.

Ticking the day before and then the day proves the clock remembers the right
day to come back (a day noted one late would skip the agreement on its due
day); ticking first on the day after proves the consequence is dated the day
it fell due, not the day the clock ran. The expected days are counted by hand
in each test from the measures' wording.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.builders import accepted_application, effective_agreement, evaluate, tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

AG = "XY-2025-001"
ONE_DAY = timedelta(days=1)
# The effective_agreement builder: signed 2024-12-20, in force from 2024-12-28,
# term 2025-01-01 to 2025-12-31, so expiry (the day after the term) is 2026-01-01.
EXPIRY = date(2026, 1, 1)
PATHS = ["ticked the day before, then on the day", "ticked first the day after"]


def seen(recorded):
    return sorted((r["agreement"], r["event"], r["on"], r["ground"]) for r in recorded)


def falls_due(clerk, due: date, expected: list[tuple[str, str, str | None]], path: str):
    """Nothing is recorded before ``due``; ``expected`` (agreement, event,
    ground) is recorded dated ``due`` whether the clock reaches it on the day
    or only later."""
    if path == PATHS[0]:
        assert tick(clerk, due - ONE_DAY)["recorded"] == [], "recorded a day early"
        recorded = tick(clerk, due)["recorded"]
    else:
        recorded = tick(clerk, due + ONE_DAY)["recorded"]
    assert seen(recorded) == sorted((a, e, due.isoformat(), g) for a, e, g in expected)


def signed_in_notice(clerk, number=AG, code="TY-H001", signed_on="2024-12-20",
                     until=date(2024, 12, 27), term_start="2025-01-01", renewal_of=None):
    """Signed, filed and in its public notice until ``until``; no tick yet."""
    if renewal_of is None:
        accepted_application(clerk, code, f"SQ-{code}", on="2024-10-08")
        evaluate(clerk, f"SQ-{code}", f"EV-{code}", "2024-11-15")
    clerk("sign_agreement", signed_on, number=number, institution=code, agreement_type=None,
          term_start=date.fromisoformat(term_start), term_years=1, renewal_of=renewal_of,
          late_reason="")
    clerk("file_agreement", signed_on, agreement=number, filing_ref=f"备案-{number}")
    clerk("start_public_notice", signed_on, agreement=number, notice_ref=f"公示-{number}",
          until=until)
    return number


def suspend(clerk, on, kind, *, start=None, requested_on=None, ground="", notice_no=""):
    return clerk("suspend_agreement", on, agreement=AG, kind=kind, ground=ground,
                 start=start, requested_on=requested_on, planned_days=None, months=None,
                 notice_no=notice_no)


def objection(clerk, raised_on, decided_on=None, upheld=False, *, tick_before=None):
    """An objection raised in the notice and, when ``decided_on``, decided
    (a tick on ``tick_before`` first, while it is still pending)."""
    clerk("raise_objection", raised_on, agreement=AG, objection_no="异议-1",
          raised_by="同行", summary="匿名举报")
    if tick_before:
        assert tick(clerk, tick_before)["recorded"] == [], "a pending objection holds it"
    if decided_on:
        clerk("decide_objection", decided_on, agreement=AG, objection_no="异议-1",
              upheld=upheld, reason="核查属实" if upheld else "查无实据")


# --- AGR-02: in force the day after the public notice's last day -----------------------------
@pytest.mark.parametrize("path", PATHS)
def test_agr02_a_notice_until_27_december_puts_the_agreement_in_force_on_the_28th(clerk, path):
    signed_in_notice(clerk)
    falls_due(clerk, date(2024, 12, 28), [(AG, "TookEffect", None)], path)


@pytest.mark.parametrize("path", PATHS)
def test_agr02_an_objection_dismissed_after_the_notice_puts_it_in_force_the_day_after(clerk,
                                                                                      path):
    signed_in_notice(clerk)
    objection(clerk, "2024-12-23", "2025-01-03", tick_before="2025-01-02")
    falls_due(clerk, date(2025, 1, 4), [(AG, "TookEffect", None)], path)


@pytest.mark.parametrize("path", PATHS)
def test_agr02_an_objection_dismissed_inside_the_notice_leaves_the_day_after_the_notice(clerk,
                                                                                        path):
    # dismissed on 24 December: the later of the two days, 28 December, counts
    signed_in_notice(clerk)
    objection(clerk, "2024-12-22", "2024-12-24")
    falls_due(clerk, date(2024, 12, 28), [(AG, "TookEffect", None)], path)


def test_agr02_a_pending_or_upheld_objection_means_nothing_ever_falls_due(clerk):
    signed_in_notice(clerk)
    objection(clerk, "2024-12-22", "2025-02-03", upheld=True, tick_before="2025-02-01")
    for day in ("2025-02-04", "2026-01-02"):
        assert tick(clerk, day)["recorded"] == []


# --- SUS-02 with CAL-05 and CAL-06: the 180-day cap ------------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_sus02_unanswered_from_1_march_the_agreement_ends_on_29_august(clerk, path):
    # CAL-05: day 1 is 2 March, day 180 is Thursday 28 August, a working day
    effective_agreement(clerk)
    suspend(clerk, "2025-03-01", "voluntary", start=date(2025, 3, 1),
            requested_on=date(2025, 2, 20))
    falls_due(clerk, date(2025, 8, 29), [(AG, "Ended", "AUTO-SUS-180")], path)


@pytest.mark.parametrize("path", PATHS)
def test_sus02_cal06_day_180_in_the_national_day_holiday_ends_it_after_the_next_working_day(
        clerk, path):
    # from 4 April day 180 is 1 October; the last day to apply is Thursday 9 October
    effective_agreement(clerk)
    suspend(clerk, "2025-04-04", "voluntary", start=date(2025, 4, 4),
            requested_on=date(2025, 4, 1))
    falls_due(clerk, date(2025, 10, 10), [(AG, "Ended", "AUTO-SUS-180")], path)


def test_sus02_an_application_on_the_last_day_means_the_cap_never_falls_due(clerk):
    effective_agreement(clerk)
    suspend(clerk, "2025-03-01", "voluntary", start=date(2025, 3, 1),
            requested_on=date(2025, 2, 20))
    clerk("apply_for_resumption", "2025-08-28", agreement=AG, applied_on=date(2025, 8, 28))
    assert tick(clerk, "2025-08-29")["recorded"] == []
    assert tick(clerk, "2025-12-31")["recorded"] == []


# --- AGR-07: 30 days' notice to end early ----------------------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_agr07_notice_given_on_6_may_ends_the_agreement_on_5_june(clerk, path):
    effective_agreement(clerk)
    clerk("give_notice_to_end", "2025-05-06", agreement=AG, given_by="agency", reason="搬迁")
    falls_due(clerk, date(2025, 6, 5), [(AG, "Ended", "EARLY-NOTICE")], path)


# --- AGR-06: a change unreported for 30 working days -----------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_agr06_a_change_approved_on_10_february_is_overdue_on_25_march(clerk, path):
    # 30 working days from Monday 10 February 2025 end on Monday 24 March
    effective_agreement(clerk)
    clerk("record_change", "2025-02-20", agreement=AG, change="level",
          approved_on=date(2025, 2, 10), reported_on=None, details="升为三级")
    falls_due(clerk, date(2025, 3, 25),
              [(AG, "ChangeReportOverdue", None), (AG, "ObligationRaised", None)], path)


def test_agr06_a_change_reported_in_time_never_falls_due(clerk):
    effective_agreement(clerk)
    clerk("record_change", "2025-03-24", agreement=AG, change="level",
          approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 24), details="升为三级")
    assert tick(clerk, "2025-03-25")["recorded"] == []


# --- expiry: M 51 continuation, AGR-05 renewal refused or objected, SUS-05 --------------------
@pytest.mark.parametrize("path", PATHS)
def test_agr05_with_no_objection_the_agreement_continues_under_m51_on_expiry(clerk, path):
    effective_agreement(clerk)
    falls_due(clerk, EXPIRY, [(AG, "ContinuedUnderArt51", None)], path)


@pytest.mark.parametrize("path", PATHS)
def test_agr05_a_renewal_refused_ends_the_agreement_on_expiry(clerk, path):
    effective_agreement(clerk)
    clerk("refuse_renewal", "2025-11-20", agreement=AG, reason="协商未达成一致")
    falls_due(clerk, EXPIRY, [(AG, "Ended", "EXPIRY")], path)


@pytest.mark.parametrize("path", PATHS)
def test_agr05_an_objection_to_renewal_ends_the_agreement_on_expiry(clerk, path):
    effective_agreement(clerk)
    clerk("object_to_renewal", "2025-12-01", agreement=AG, raised_by="agency",
          summary="结算标准需重新协商")
    falls_due(clerk, EXPIRY, [(AG, "Ended", "EXPIRY")], path)


@pytest.mark.parametrize("path", PATHS)
def test_sus05_a_suspension_running_at_expiry_ends_the_agreement_on_expiry(clerk, path):
    effective_agreement(clerk)
    suspend(clerk, "2025-12-01", "mandatory", ground="M38-2", notice_no="中止-1")
    falls_due(clerk, EXPIRY, [(AG, "Ended", "AUTO-SUS-EXPIRY")], path)


@pytest.mark.parametrize("path", PATHS)
def test_sus05_before_sus02_a_voluntary_suspension_whose_180th_day_is_past_expiry(clerk, path):
    # from 1 October 2025 the 180 days run to 30 March 2026: expiry comes first
    effective_agreement(clerk)
    suspend(clerk, "2025-10-01", "voluntary", start=date(2025, 10, 1),
            requested_on=date(2025, 9, 20))
    falls_due(clerk, EXPIRY, [(AG, "Ended", "AUTO-SUS-EXPIRY")], path)


def test_sus05_a_suspension_resumed_the_day_before_expiry_lets_it_continue(clerk):
    effective_agreement(clerk)
    suspend(clerk, "2025-12-01", "mandatory", ground="M38-2", notice_no="中止-1")
    clerk("resume_agreement", "2025-12-31", agreement=AG)
    assert seen(tick(clerk, EXPIRY)["recorded"]) == \
        [(AG, "ContinuedUnderArt51", "2026-01-01", None)]


# --- AGR-05: the renewal in force on, before or after expiry ----------------------------------
RENEWAL = "XY-2026-001"


def renewal_in_notice(clerk, until: date):
    effective_agreement(clerk)
    clerk("apply_for_renewal", "2025-09-15", agreement=AG, applied_on=date(2025, 9, 15))
    signed_in_notice(clerk, RENEWAL, signed_on="2025-12-10", until=until,
                     term_start="2026-01-01", renewal_of=AG)


@pytest.mark.parametrize("path", PATHS)
def test_agr05_a_renewal_in_force_before_expiry_ends_the_old_agreement_on_expiry(clerk, path):
    renewal_in_notice(clerk, until=date(2025, 12, 18))
    assert seen(tick(clerk, "2025-12-19")["recorded"]) == \
        [(RENEWAL, "TookEffect", "2025-12-19", None)]
    falls_due(clerk, EXPIRY, [(AG, "Ended", "RENEWED")], path)


@pytest.mark.parametrize("path", PATHS)
def test_agr05_a_renewal_in_force_on_the_expiry_day_itself_ends_the_old_one_that_day(clerk,
                                                                                     ledger, path):
    # the notice's last day is 31 December: the renewal is in force on 1 January,
    # and the old agreement ends that day. (Read from the agreements, not the
    # tick's list: see docs/testing.md, "Found by the edge tests", on what that
    # list leaves out and on the M 51 continuation it records the same day.)
    renewal_in_notice(clerk, until=date(2025, 12, 31))
    if path == PATHS[0]:
        assert tick(clerk, EXPIRY - ONE_DAY)["recorded"] == []
        tick(clerk, EXPIRY)
    else:
        tick(clerk, EXPIRY + ONE_DAY)
    old, new = ledger.agreement(AG), ledger.agreement(RENEWAL)
    assert new.took_effect_on == EXPIRY
    assert (old.ending["ended_on"], old.ending["ground"]) == (EXPIRY, "RENEWED")


def test_agr05_m51_a_renewal_in_force_the_day_after_expiry_ends_the_continued_one_then(clerk,
                                                                                      ledger):
    renewal_in_notice(clerk, until=date(2026, 1, 1))
    assert tick(clerk, "2025-12-31")["recorded"] == []
    assert seen(tick(clerk, EXPIRY)["recorded"]) == \
        [(AG, "ContinuedUnderArt51", "2026-01-01", None)]
    assert ledger.agreement(AG).ending is None
    tick(clerk, "2026-01-02")
    old, new = ledger.agreement(AG), ledger.agreement(RENEWAL)
    assert new.took_effect_on == date(2026, 1, 2) and old.continued_on == EXPIRY
    assert (old.ending["ended_on"], old.ending["ground"]) == (date(2026, 1, 2), "RENEWED")


def test_m51_a_continued_agreement_refused_renewal_ends_on_the_day_of_the_refusal(clerk,
                                                                                   ledger):
    effective_agreement(clerk)
    tick(clerk, EXPIRY)
    assert tick(clerk, "2026-02-09")["recorded"] == []
    assert clerk("refuse_renewal", "2026-02-10", agreement=AG,
                 reason="协商未达成一致")["ends_on"] == "2026-02-10"
    ending = ledger.agreement(AG).ending
    assert (ending["ended_on"], ending["ground"]) == (date(2026, 2, 10), "EXPIRY")
    assert tick(clerk, "2026-02-11")["recorded"] == []


def test_an_ended_agreement_has_nothing_more_falling_due(clerk):
    effective_agreement(clerk)
    clerk("give_notice_to_end", "2025-05-06", agreement=AG, given_by="agency", reason="搬迁")
    clerk("record_change", "2025-05-07", agreement=AG, change="level",
          approved_on=date(2025, 5, 7), reported_on=None, details="升为三级")
    assert seen(tick(clerk, "2025-06-05")["recorded"]) == \
        [(AG, "Ended", "2025-06-05", "EARLY-NOTICE")]
    # the change's 30 working days run out in June and expiry is in January: nothing
    assert tick(clerk, "2026-03-01")["recorded"] == []


def test_agr06_agr07_on_the_day_the_notice_runs_out_an_overdue_change_falls_due_no_more(clerk,
                                                                                        ledger):
    # the change approved on 10 February is overdue on 25 March; notice given on
    # 23 February runs out the same day: the agreement ends, nothing follows it
    effective_agreement(clerk)
    clerk("record_change", "2025-02-20", agreement=AG, change="level",
          approved_on=date(2025, 2, 10), reported_on=None, details="升为三级")
    clerk("give_notice_to_end", "2025-02-23", agreement=AG, given_by="institution",
          reason="搬迁")
    assert seen(tick(clerk, "2025-03-25")["recorded"]) == \
        [(AG, "Ended", "2025-03-25", "EARLY-NOTICE")]
    assert ledger.agreement(AG).obligations == []
