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
from domain.errors import InvalidCommand, NotFound, RuleViolation
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
        raise RuleViolation("a disciplinary suspension lasts 3 to 6 months, got {months}",
                            rule="SUS-04", remedy="give months between 3 and 6",
                            key="refusal.suspension.disciplinary_suspension_lasts_months",
                            values={"months": months})
    return months


def plan(*, kind: str, ground_code: str, start: date, requested_on: date | None,
         planned_days: int | None, months: int | None, notice_no: str,
         calendar: WorkingCalendar) -> dict[str, Any]:
    """A new suspension's ground, last day and day to apply by, or the rule
    it breaks: {"ground_code", "planned_end", "resume_by", "provisional"}."""
    if kind not in SUSPENSION_KINDS:
        raise InvalidCommand("unknown suspension kind {kind!r}", rule="SUS-03",
                             remedy="use one of {SUSPENSION_KINDS}",
                             key="refusal.suspension.unknown_suspension_kind", values={"kind": kind,
                             "SUSPENSION_KINDS": ', '.join(SUSPENSION_KINDS)})
    planned_end: date | None = None
    resume_by = None
    if kind == "voluntary":
        # SUS-02: the institution asks, the agency agrees, 180 days at most.
        if requested_on is None:
            raise RuleViolation("a voluntary suspension rests on the institution's request",
                                rule="SUS-02", remedy="give requested_on",
                                key="refusal.suspension.voluntary_suspension_rests_on")
        days = planned_days if planned_days is not None else VOLUNTARY_MAX_DAYS
        if not 1 <= days <= VOLUNTARY_MAX_DAYS:
            raise RuleViolation("a voluntary suspension lasts at most {VOLUNTARY_MAX_DAYS} "
                                "days, asked {days}", rule="SUS-02",
                                remedy="ask for 180 days or fewer",
                                key="refusal.suspension.voluntary_suspension_lasts_at",
                                values={"VOLUNTARY_MAX_DAYS": VOLUNTARY_MAX_DAYS, "days": days})
        planned_end = period_last_day(start, days)
        day_180 = period_last_day(start, VOLUNTARY_MAX_DAYS)   # CAL-05
        resume_by = calendar.act_deadline(day_180, rule="CAL-06")  # CAL-06
        ground_code = ground_code or "M37"
    elif kind == "mandatory":
        # SUS-03: on an M 38 ground, until the agency resumes it.
        if ground_code not in SUSPENSION_CODES:
            raise RuleViolation("{ground_code!r} is not an M 38 ground", rule="SUS-03",
                                remedy="use one of {SUSPENSION_CODES}",
                                key="refusal.suspension.not_m_ground", values={"ground_code": ground_code,
                                "SUSPENSION_CODES": ', '.join(sorted(SUSPENSION_CODES))})
    else:
        # SUS-04: from the written notice date, 3 to 6 months (M 45).
        if not notice_no.strip():
            raise RuleViolation("a disciplinary suspension runs from a written notice",
                                rule="SUS-04", remedy="give the notice number",
                                key="refusal.suspension.disciplinary_suspension_runs_from")
        months = _check_months(months)
        if ground_code not in BREACH_CODES | SUSPENSION_CODES:
            raise RuleViolation("{ground_code!r} is not a breach clause or M 38 ground",
                                rule="SUS-06",
                                remedy="cite the clause found (e.g. MA42-1) or an M 38 ground",
                                key="refusal.suspension.not_breach_clause_or",
                                values={"ground_code": ground_code})
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
            raise InvalidCommand("the recorded suspension's last day {planned_end} is no count "
                                 "of months from {start}", rule="SUS-04",
                                 remedy="give months (3 to 6) with the correction",
                                 key="refusal.suspension.recorded_suspension_s_last",
                                 values={"planned_end": planned_end, "start": s['start']})
        planned_end = disciplinary_end(start, _check_months(months))
    elif months is not None:
        raise InvalidCommand("months count only a disciplinary suspension, this one is {kind}",
                             rule="SUS-04", remedy="leave months out",
                             key="refusal.suspension.months_count_only_disciplinary",
                             values={"kind": s['kind']})
    elif planned_end is not None:
        planned_end = planned_end + (start - s["start"])   # a voluntary one's days
    return {**s, "start": start, "resume_by": resume_by, "planned_end": planned_end,
            "corrected": {"reason": reason, "was": s["start"],
                          "planned_end_was": s["planned_end"]}}


# --- resuming (SUS-01, SUS-02, SUS-04) -------------------------------------------------
def _not_suspended(s: dict[str, Any] | None, number: str, rule: str) -> dict[str, Any]:
    if s is None:
        raise RuleViolation("agreement {number} is not suspended", rule=rule,
                            remedy="nothing to resume", key="refusal.suspension.agreement_not_suspended",
                            values={"number": number})
    return s


def check_resumption_application(s: dict[str, Any] | None, applied_on: date,
                                 number: str) -> None:
    """SUS-02, SUS-04: may the institution apply to resume the suspension in
    force ``s`` on ``applied_on``?"""
    s = _not_suspended(s, number, "SUS-02")
    if s["resumption_applied_on"] is not None:
        raise RuleViolation("resumption already applied for", rule="SUS-02",
                            remedy="record the agency's decision or inspection",
                            key="refusal.suspension.resumption_already_applied_for")
    if s["kind"] == "voluntary" and applied_on > s["resume_by"]:
        raise RuleViolation("the voluntary suspension's 180 days ran out on {resume_by}",
                            rule="SUS-02", remedy="the agreement ended automatically",
                            key="refusal.suspension.voluntary_suspension_s_days",
                            values={"resume_by": s['resume_by']})
    # SUS-04: "暂停服务协议期满，经协议机构申请" - the application follows the
    # period, so its last day is still too early.
    if s["kind"] == "disciplinary" and applied_on <= s["planned_end"]:
        raise RuleViolation("the disciplinary suspension runs until {planned_end} (its last "
                            "day); an application on {applied_on} comes before the period is "
                            "over", rule="SUS-04", remedy="apply on or after {planned_end2}",
                            key="refusal.suspension.disciplinary_suspension_runs_until",
                            values={"planned_end": s['planned_end'], "applied_on": applied_on,
                            "planned_end2": s['planned_end'] + timedelta(days=1)})


def check_inspection(s: dict[str, Any] | None, effective_on: date) -> None:
    """SUS-04: may an on-site inspection dated ``effective_on`` answer ``s``?"""
    if s is None or s["kind"] != "disciplinary":
        raise RuleViolation("only a disciplinary suspension ends with an on-site inspection",
                            rule="SUS-04", remedy="resume other suspensions directly",
                            key="refusal.suspension.only_disciplinary_suspension_ends")
    if s["resumption_applied_on"] is None:
        raise RuleViolation("the institution has not applied to resume", rule="SUS-04",
                            remedy="record its application first (M 45)",
                            key="refusal.suspension.institution_has_not_applied_2")
    # SUS-04: a passed inspection resumes the agreement on its own date, so
    # one dated inside the period (or before the application it answers)
    # would resume service while the suspension still runs.
    earliest = max(s["planned_end"] + timedelta(days=1), s["resumption_applied_on"])
    if effective_on < earliest:
        raise RuleViolation("an on-site inspection on {effective_on} comes before the "
                            "suspension's period is over ({planned_end} is its last day) or "
                            "before the application of {resumption_applied_on}", rule="SUS-04",
                            remedy="inspect on or after {earliest}",
                            key="refusal.suspension.on_site_inspection_on",
                            values={"effective_on": effective_on, "planned_end": s['planned_end'],
                            "resumption_applied_on": s['resumption_applied_on'],
                            "earliest": earliest})


def check_resume(s: dict[str, Any] | None, effective_on: date, number: str) -> None:
    """SUS-01, SUS-02, SUS-04: may the agency resume ``s`` on ``effective_on``?"""
    s = _not_suspended(s, number, "SUS-01")
    if s["kind"] == "disciplinary":
        raise RuleViolation("a disciplinary suspension resumes only after a passed on-site "
                            "inspection", rule="SUS-04",
                            remedy="record the institution's application and the inspection",
                            key="refusal.suspension.disciplinary_suspension_resumes_only")
    if s["kind"] == "voluntary" and s["resumption_applied_on"] is None:
        raise RuleViolation("the institution has not applied to resume", rule="SUS-02",
                            remedy="record its application for resumption first",
                            key="refusal.suspension.institution_has_not_applied")
    if effective_on < s["start"]:
        raise InvalidCommand("cannot resume before the suspension started",
                             remedy="resume on or after {start}",
                             key="refusal.suspension.cannot_resume_before_suspension",
                             values={"start": s['start']})


def correction_of(suspensions: list[dict[str, Any]], *, corrects: str, start: date,
                  reason: str, took_effect_on: date, number: str) -> dict[str, Any]:
    """AUD-01, SUS-01: the recorded suspension a correction names (by the
    command that recorded it), if the correction may be made."""
    found = [s for s in suspensions if s.get("command_id") == corrects]
    if not found:
        raise NotFound("no suspension of {number} was recorded by command {corrects}",
                       rule="AUD-01", remedy="name the command id that recorded it",
                       key="refusal.suspension.no_suspension_was_recorded", values={"number": number,
                       "corrects": corrects})
    if not reason.strip():
        raise InvalidCommand("a correction says why", rule="AUD-01",
                             remedy="give the reason for the correction",
                             key="refusal.suspension.correction_says_why")
    s = found[0]
    if start < took_effect_on or (s["resumed_on"] and start >= s["resumed_on"]):
        raise RuleViolation("the corrected start lies outside the agreement's effect or after "
                            "the resumption", rule="SUS-01",
                            remedy="give a start inside the agreement's effect",
                            key="refusal.suspension.corrected_start_lies_outside")
    return s
