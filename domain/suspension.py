"""The rules of a suspension (SUS-01..04, SUS-06, AUD-01; M 37, 38, 45; CAL-03,
CAL-05, CAL-06): how long each kind lasts, what it must rest on, how a
correction counts it again, and whether one is in force.

Pure functions: ``Agreement.suspend`` and ``Agreement.correct_suspension``
ask them and record what they answer (the last day, the day to apply by) in
the event, so a replay never counts a period again.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import WorkingCalendar, add_months, period_last_day
from domain.errors import InvalidCommand, RuleViolation
from domain.grounds import BREACH_CLAUSES, MANDATORY_SUSPENSION_GROUNDS

VOLUNTARY_MAX_DAYS = 180            # SUS-02: "原则上不得超过180日" (M 37)
DISCIPLINARY_MONTHS = (3, 6)        # SUS-04: "暂停服务3-6月" (M 45)
SUSPENSION_KINDS = ("voluntary", "mandatory", "disciplinary")

SUSPENSION_CODES = {g.code for g in MANDATORY_SUSPENSION_GROUNDS}
BREACH_CODES = {g.code for g in BREACH_CLAUSES}


def disciplinary_end(notice_day: date, months: int) -> date:
    """SUS-04 with CAL-05 and CAL-03: the last day of a disciplinary suspension
    of ``months`` from the written notice (M 45 "自通知之日起暂停服务3-6月").
    The period starts the day after the notice (art. 201), so it ends on the
    notice's day-of-month ``months`` later, or that month's last day when the
    day does not exist (art. 202): 2025-08-31 + 3 -> 2025-11-30. Not moved off
    rest days: CAL-06 is for a period to act, and this one is a sanction."""
    return add_months(notice_day, months)


def disciplinary_months(start: date, planned_end: date) -> int | None:
    """The months of a recorded disciplinary suspension, read back from its
    start and last day, by this rule or by the one before it (one day
    earlier, up to this fix of issue #12); None when neither fits."""
    for months in range(DISCIPLINARY_MONTHS[0], DISCIPLINARY_MONTHS[1] + 1):
        end = disciplinary_end(start, months)
        if planned_end in (end, end - timedelta(days=1)):
            return months
    return None


def in_force(s: dict[str, Any]) -> bool:
    """SUS-01: neither resumed nor reversed."""
    return s["resumed_on"] is None and not s.get("reversed")


def _check_months(months: int | None) -> int:
    if months is None or not DISCIPLINARY_MONTHS[0] <= months <= DISCIPLINARY_MONTHS[1]:
        raise RuleViolation(f"a disciplinary suspension lasts 3 to 6 months, got {months}",
                            rule="SUS-04", remedy="give months between 3 and 6")
    return months


def plan(*, kind: str, ground_code: str, start: date, requested_on: date | None,
         planned_days: int | None, months: int | None, notice_no: str,
         calendar: WorkingCalendar) -> dict[str, Any]:
    """A new suspension's ground, last day and day to apply by, or the rule
    it breaks: {"ground_code", "planned_end", "resume_by", "provisional"}."""
    if kind not in SUSPENSION_KINDS:
        raise InvalidCommand(f"unknown suspension kind {kind!r}", rule="SUS-03",
                             remedy=f"use one of {', '.join(SUSPENSION_KINDS)}")
    planned_end: date | None = None
    resume_by = None
    if kind == "voluntary":
        # SUS-02: the institution asks, the agency agrees, 180 days at most.
        if requested_on is None:
            raise RuleViolation("a voluntary suspension rests on the institution's request",
                                rule="SUS-02", remedy="give requested_on")
        days = planned_days if planned_days is not None else VOLUNTARY_MAX_DAYS
        if not 1 <= days <= VOLUNTARY_MAX_DAYS:
            raise RuleViolation(f"a voluntary suspension lasts at most {VOLUNTARY_MAX_DAYS} "
                                f"days, asked {days}", rule="SUS-02",
                                remedy="ask for 180 days or fewer")
        planned_end = period_last_day(start, days)
        day_180 = period_last_day(start, VOLUNTARY_MAX_DAYS)   # CAL-05
        resume_by = calendar.act_deadline(day_180, rule="CAL-06")  # CAL-06
        ground_code = ground_code or "M37"
    elif kind == "mandatory":
        # SUS-03: on an M 38 ground, until the agency resumes it.
        if ground_code not in SUSPENSION_CODES:
            raise RuleViolation(f"{ground_code!r} is not an M 38 ground", rule="SUS-03",
                                remedy=f"use one of {', '.join(sorted(SUSPENSION_CODES))}")
    else:
        # SUS-04: from the written notice date, 3 to 6 months (M 45).
        if not notice_no.strip():
            raise RuleViolation("a disciplinary suspension runs from a written notice",
                                rule="SUS-04", remedy="give the notice number")
        months = _check_months(months)
        if ground_code not in BREACH_CODES | SUSPENSION_CODES:
            raise RuleViolation(f"{ground_code!r} is not a breach clause or M 38 ground",
                                rule="SUS-06",
                                remedy="cite the clause found (e.g. MA42-1) or an M 38 ground")
        planned_end = disciplinary_end(start, months)
    return {"ground_code": ground_code, "planned_end": planned_end,
            "resume_by": resume_by.due if resume_by else None,
            "provisional": bool(resume_by and resume_by.provisional)}


def corrected(s: dict[str, Any], *, start: date, reason: str, months: int | None,
              calendar: WorkingCalendar) -> dict[str, Any]:
    """AUD-01: the recorded suspension ``s`` with its start corrected, its day
    to apply by and last day counted again (SUS-02, SUS-04, CAL-05): the
    whole corrected suspension, as the correction's event carries it."""
    resume_by = None
    if s["kind"] == "voluntary":
        resume_by = calendar.act_deadline(period_last_day(start, VOLUNTARY_MAX_DAYS)).due
    planned_end = s["planned_end"]
    if s["kind"] == "disciplinary":
        months = months if months is not None else disciplinary_months(s["start"], planned_end)
        if months is None:
            raise InvalidCommand(f"the recorded suspension's last day {planned_end} is no "
                                 f"count of months from {s['start']}", rule="SUS-04",
                                 remedy="give months (3 to 6) with the correction")
        planned_end = disciplinary_end(start, _check_months(months))
    elif months is not None:
        raise InvalidCommand(f"months count only a disciplinary suspension, this one is "
                             f"{s['kind']}", rule="SUS-04", remedy="leave months out")
    elif planned_end is not None:
        planned_end = planned_end + (start - s["start"])   # a voluntary one's days
    return {**s, "start": start, "resume_by": resume_by, "planned_end": planned_end,
            "corrected": {"reason": reason, "was": s["start"],
                          "planned_end_was": s["planned_end"]}}
