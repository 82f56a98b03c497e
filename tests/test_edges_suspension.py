"""The pure checks of a suspension at their edges (issue #18;
domain/suspension.py): applying to resume on the last day and the day after
(SUS-02, SUS-04), an inspection the day the period ends and the day after,
resuming on the start day, a correction's start on the agreement's first day
and on the resumption (AUD-01, SUS-01), a corrected suspension counted again
(CAL-05, CAL-06), and each condition of each check on its own. A refusal is
checked whole: its class, rule, reason and remedy, as the officer reads them.

The expected days are counted by hand: 2025-08-28 is a Thursday, so
2025-08-30 is a Saturday and 2025-09-01 the Monday after.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import WorkingCalendar
from tests.refusal_words import read
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.suspension import (check_inspection, check_resume, check_resumption_application,
                               corrected, correction_of, disciplinary_months, in_force, plan)

CAL = WorkingCalendar()
AG = "XY-2025-001"


def refusal(call, *args, **kwargs):
    with pytest.raises((RuleViolation, InvalidCommand, NotFound)) as info:
        call(*args, **kwargs)
    return read(info.value)


def edge(check, s, taken_on, refused_on, *rest):
    """``check`` lets ``s`` through on ``taken_on`` and refuses it on
    ``refused_on`` (the day either side of the edge): the refusal."""
    assert check(s, taken_on, *rest) is None
    return refusal(check, s, refused_on, *rest)


def suspension(kind, **kw):
    s = {"kind": kind, "start": date(2025, 3, 1), "planned_end": None, "resume_by": None,
         "resumption_applied_on": None, "resumed_on": None, "command_id": "cmd-7"}
    if kind == "voluntary":     # 90 days asked from 1 March: 2 March to 30 May
        s.update(planned_end=date(2025, 5, 30), resume_by=date(2025, 8, 28))
    if kind == "disciplinary":  # 4 months from the notice of 10 March
        s.update(start=date(2025, 3, 10), planned_end=date(2025, 7, 10))
    return {**s, **kw}


# --- SUS-02, SUS-04: applying to resume -------------------------------------------------------
def test_sus02_a_voluntary_suspension_is_applied_to_resume_up_to_its_180th_day_not_after():
    assert edge(check_resumption_application, suspension("voluntary"), date(2025, 8, 28),
                date(2025, 8, 29), AG) == (
        "RuleViolation", "SUS-02", "the voluntary suspension's 180 days ran out on 2025-08-28",
        "the agreement ended automatically")


def test_sus04_a_disciplinary_suspension_is_applied_to_resume_from_the_day_after_its_period():
    assert edge(check_resumption_application, suspension("disciplinary"), date(2025, 7, 11),
                date(2025, 7, 10), AG) == (
        "RuleViolation", "SUS-04",
        "the disciplinary suspension runs until 2025-07-10 (its last day); an application "
        "on 2025-07-10 comes before the period is over", "apply on or after 2025-07-11")


def test_sus02_a_mandatory_suspension_is_applied_to_resume_any_day():
    assert check_resumption_application(suspension("mandatory"), date(2025, 3, 1), AG) is None


def test_sus02_resumption_is_applied_for_once_and_only_while_suspended():
    assert refusal(check_resumption_application,
                   suspension("mandatory", resumption_applied_on=date(2025, 4, 1)),
                   date(2025, 4, 2), AG) == (
        "RuleViolation", "SUS-02", "resumption already applied for",
        "record the agency's decision or inspection")
    assert refusal(check_resumption_application, None, date(2025, 4, 2), AG) == (
        "RuleViolation", "SUS-02", f"agreement {AG} is not suspended", "nothing to resume")


# --- SUS-04: the on-site inspection -----------------------------------------------------------
def test_sus04_an_inspection_is_dated_from_the_later_of_the_application_and_the_periods_end():
    applied = suspension("disciplinary", resumption_applied_on=date(2025, 7, 15))
    assert edge(check_inspection, applied, date(2025, 7, 15), date(2025, 7, 14)) == (
        "RuleViolation", "SUS-04",
        "an on-site inspection on 2025-07-14 comes before the suspension's period is over "
        "(2025-07-10 is its last day) or before the application of 2025-07-15",
        "inspect on or after 2025-07-15")


def test_sus04_an_inspection_on_the_periods_last_day_is_refused_even_after_an_early_application():
    # an application recorded inside the period (as before issue #12 allowed)
    early = suspension("disciplinary", resumption_applied_on=date(2025, 7, 1))
    assert edge(check_inspection, early, date(2025, 7, 11), date(2025, 7, 10))[1:] == (
        "SUS-04",
        "an on-site inspection on 2025-07-10 comes before the suspension's period is over "
        "(2025-07-10 is its last day) or before the application of 2025-07-01",
        "inspect on or after 2025-07-11")


@pytest.mark.parametrize("s", [None, suspension("voluntary"), suspension("mandatory")])
def test_sus04_only_a_disciplinary_suspension_ends_with_an_inspection(s):
    assert refusal(check_inspection, s, date(2025, 12, 1)) == (
        "RuleViolation", "SUS-04",
        "only a disciplinary suspension ends with an on-site inspection",
        "resume other suspensions directly")


def test_sus04_an_inspection_answers_the_institutions_application():
    assert refusal(check_inspection, suspension("disciplinary"), date(2025, 12, 1)) == (
        "RuleViolation", "SUS-04", "the institution has not applied to resume",
        "record its application first (M 45)")


# --- SUS-01, SUS-02, SUS-04: the agency resumes -----------------------------------------------
def test_sus01_a_suspension_is_resumed_from_its_start_day_not_before():
    assert edge(check_resume, suspension("mandatory"), date(2025, 3, 1), date(2025, 2, 28),
                AG) == (
        "InvalidCommand", "", "cannot resume before the suspension started",
        "resume on or after 2025-03-01")


def test_sus01_sus02_sus04_what_the_agency_may_not_resume_directly():
    assert refusal(check_resume, None, date(2025, 4, 1), AG) == (
        "RuleViolation", "SUS-01", f"agreement {AG} is not suspended", "nothing to resume")
    assert refusal(check_resume, suspension("disciplinary"), date(2025, 8, 1), AG) == (
        "RuleViolation", "SUS-04",
        "a disciplinary suspension resumes only after a passed on-site inspection",
        "record the institution's application and the inspection")
    assert refusal(check_resume, suspension("voluntary"), date(2025, 4, 1), AG) == (
        "RuleViolation", "SUS-02", "the institution has not applied to resume",
        "record its application for resumption first")
    applied = suspension("voluntary", resumption_applied_on=date(2025, 3, 20))
    assert check_resume(applied, date(2025, 4, 1), AG) is None


# --- AUD-01, SUS-01: which suspension a correction names, and when it may start ---------------
def correct_which(suspensions, **kw):
    args = dict(corrects="cmd-7", start=date(2025, 3, 3), reason="录入错误",
                took_effect_on=date(2024, 12, 28), number=AG)
    return correction_of(suspensions, **{**args, **kw})


def test_aud01_a_correction_names_the_suspension_by_the_command_that_recorded_it():
    first, second = suspension("mandatory", command_id="cmd-3"), suspension("mandatory")
    assert correct_which([first, second]) is second
    assert refusal(correct_which, [first], corrects="cmd-9") == (
        "NotFound", "AUD-01", f"no suspension of {AG} was recorded by command cmd-9",
        "name the command id that recorded it")


def test_aud01_a_correction_says_why():
    assert refusal(correct_which, [suspension("mandatory")], reason=" ") == (
        "InvalidCommand", "AUD-01", "a correction says why",
        "give the reason for the correction")


def test_sus01_a_corrected_start_lies_from_the_agreements_first_day_to_the_day_before_resuming():
    resumed = suspension("mandatory", resumed_on=date(2025, 4, 10))
    outside = ("RuleViolation", "SUS-01",
               "the corrected start lies outside the agreement's effect or after the "
               "resumption", "give a start inside the agreement's effect")
    assert correct_which([resumed], start=date(2024, 12, 28)) is resumed
    assert correct_which([resumed], start=date(2025, 4, 9)) is resumed
    assert refusal(correct_which, [resumed], start=date(2024, 12, 27)) == outside
    assert refusal(correct_which, [resumed], start=date(2025, 4, 10)) == outside
    assert correct_which([suspension("mandatory")], start=date(2026, 6, 1))["kind"] == \
        "mandatory"     # not resumed: any later start


# --- AUD-01 with SUS-02, SUS-04, CAL-05, CAL-06: a suspension counted again -------------------
def test_aud01_a_voluntary_suspension_moved_two_days_keeps_its_days_and_counts_its_180_again():
    s = suspension("voluntary")
    # day 180 from 3 March is Saturday 30 August: the day to apply moves to Monday 1 September
    assert corrected(s, start=date(2025, 3, 3), reason="录入错误", months=None,
                     calendar=CAL) == {
        **s, "start": date(2025, 3, 3), "resume_by": date(2025, 9, 1),
        "planned_end": date(2025, 6, 1),
        "corrected": {"reason": "录入错误", "was": date(2025, 3, 1),
                      "planned_end_was": date(2025, 5, 30)}}


def test_aud01_a_mandatory_suspension_corrected_keeps_no_last_day_and_no_day_to_apply():
    s = suspension("mandatory")
    assert corrected(s, start=date(2025, 2, 27), reason="录入错误", months=None,
                     calendar=CAL) == {
        **s, "start": date(2025, 2, 27), "resume_by": None, "planned_end": None,
        "corrected": {"reason": "录入错误", "was": date(2025, 3, 1), "planned_end_was": None}}


@pytest.mark.parametrize("months, last_day", [(None, date(2025, 7, 12)),
                                              (5, date(2025, 8, 12))])
def test_aud01_sus04_a_disciplinary_suspension_corrected_counts_its_months_again(months,
                                                                                last_day):
    # without months, the 4 read back from 10 March to 10 July
    s = suspension("disciplinary")
    got = corrected(s, start=date(2025, 3, 12), reason="通知日期有误", months=months,
                    calendar=CAL)
    assert (got["start"], got["planned_end"], got["resume_by"]) == \
        (date(2025, 3, 12), last_day, None)
    assert got["corrected"] == {"reason": "通知日期有误", "was": date(2025, 3, 10),
                                "planned_end_was": date(2025, 7, 10)}


def test_sus04_a_correction_refuses_months_it_cannot_read_back_or_outside_3_to_6():
    odd = suspension("disciplinary", planned_end=date(2025, 7, 20))
    assert refusal(corrected, odd, start=date(2025, 3, 12), reason="r", months=None,
                   calendar=CAL) == (
        "InvalidCommand", "SUS-04",
        "the recorded suspension's last day 2025-07-20 is no count of months from 2025-03-10",
        "give months (3 to 6) with the correction")
    assert refusal(corrected, odd, start=date(2025, 3, 12), reason="r", months=7,
                   calendar=CAL) == (
        "RuleViolation", "SUS-04", "a disciplinary suspension lasts 3 to 6 months, got 7",
        "give months between 3 and 6")


@pytest.mark.parametrize("kind", ["voluntary", "mandatory"])
def test_sus04_months_correct_only_a_disciplinary_suspension(kind):
    assert refusal(corrected, suspension(kind), start=date(2025, 3, 2), reason="r", months=4,
                   calendar=CAL) == (
        "InvalidCommand", "SUS-04",
        f"months count only a disciplinary suspension, this one is {kind}",
        "leave months out")


# --- SUS-04: months read back only from 3 to 6 ------------------------------------------------
@pytest.mark.parametrize("last_day", [date(2025, 3, 10), date(2025, 3, 9), date(2025, 5, 10),
                                      date(2025, 10, 10), date(2025, 10, 9)])
def test_sus04_no_count_below_3_or_above_6_months_is_read_back(last_day):
    # 0 months (the start itself), 2 months and 7 months from 10 March: none fits
    assert disciplinary_months(date(2025, 3, 10), last_day) is None


# --- SUS-02, SUS-03, SUS-04, SUS-06: planning a new suspension, each refusal whole ------------
def planned(kind, **kw):
    args = dict(kind=kind, ground_code="", start=date(2025, 3, 1), requested_on=None,
                planned_days=None, months=None, notice_no="", calendar=CAL)
    return plan(**{**args, **kw})


def test_sus02_cal06_a_voluntary_plan_gives_its_day_to_apply_and_whether_it_is_provisional():
    assert planned("voluntary", requested_on=date(2025, 2, 20), planned_days=90) == {
        "ground_code": "M37", "planned_end": date(2025, 5, 30), "resume_by": date(2025, 8, 28),
        "provisional": False}
    # from 1 September 2026 the 180th day is 28 February 2027, a year not yet arranged
    assert planned("voluntary", start=date(2026, 9, 1), requested_on=date(2026, 8, 20)) == {
        "ground_code": "M37", "planned_end": date(2027, 2, 28), "resume_by": date(2027, 3, 1),
        "provisional": True}


def test_sus03_sus04_a_mandatory_suspension_has_no_last_day_and_a_disciplinary_one_its_months():
    assert planned("mandatory", ground_code="M38-4") == {
        "ground_code": "M38-4", "planned_end": None, "resume_by": None, "provisional": False}
    assert planned("disciplinary", ground_code="M38-1", months=3, notice_no="暂停-1") == {
        "ground_code": "M38-1", "planned_end": date(2025, 6, 1), "resume_by": None,
        "provisional": False}


@pytest.mark.parametrize("kind, given, refused", [
    ("sleepy", {}, ("InvalidCommand", "SUS-03", "unknown suspension kind 'sleepy'",
                    "use one of voluntary, mandatory, disciplinary")),
    ("voluntary", {}, ("RuleViolation", "SUS-02",
                       "a voluntary suspension rests on the institution's request",
                       "give requested_on")),
    ("voluntary", {"requested_on": date(2025, 2, 20), "planned_days": 0},
     ("RuleViolation", "SUS-02", "a voluntary suspension lasts at most 180 days, asked 0",
      "ask for 180 days or fewer")),
    ("voluntary", {"requested_on": date(2025, 2, 20), "planned_days": 181},
     ("RuleViolation", "SUS-02", "a voluntary suspension lasts at most 180 days, asked 181",
      "ask for 180 days or fewer")),
    ("mandatory", {"ground_code": "M39-1"},
     ("RuleViolation", "SUS-03", "'M39-1' is not an M 38 ground",
      "use one of M38-1, M38-2, M38-3, M38-4")),
    ("disciplinary", {"ground_code": "MA42-1", "months": 3, "notice_no": " "},
     ("RuleViolation", "SUS-04", "a disciplinary suspension runs from a written notice",
      "give the notice number")),
    ("disciplinary", {"ground_code": "MA42-1", "months": None, "notice_no": "暂停-1"},
     ("RuleViolation", "SUS-04", "a disciplinary suspension lasts 3 to 6 months, got None",
      "give months between 3 and 6")),
    ("disciplinary", {"ground_code": "MA44-1", "months": 6, "notice_no": "暂停-1"},
     ("RuleViolation", "SUS-06", "'MA44-1' is not a breach clause or M 38 ground",
      "cite the clause found (e.g. MA42-1) or an M 38 ground")),
])
def test_sus02_sus03_sus04_sus06_each_refusal_of_a_plan_on_its_own(kind, given, refused):
    assert refusal(planned, kind, **given) == refused


# --- SUS-01: in force until resumed or reversed ---------------------------------------------------
def test_sus01_a_suspension_is_in_force_until_it_is_resumed_or_a_dispute_reverses_it():
    assert in_force(suspension("mandatory")) is True
    assert in_force(suspension("mandatory", reversed=False)) is True
    assert in_force(suspension("mandatory", reversed=True)) is False
    assert in_force(suspension("mandatory", resumed_on=date(2025, 4, 1))) is False
