"""Time passing on an agreement: which consequence falls due next (AGR-02,
AGR-05, AGR-06, AGR-07, SUS-02, SUS-05; M 36, 37, 51; CAL-05, CAL-06).

``due_consequences`` is a pure function of the agreement's state, the date
and the calendar; ``Agreement.bring_up_to`` records what it answers, each
dated the day it fell due, so a replay reads those days from the log and
never counts them again.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import WorkingCalendar, period_last_day
from domain.suspension import VOLUNTARY_MAX_DAYS

CHANGE_REPORT_WORKING_DAYS = 30     # AGR-06: "30个工作日内" (M 35)


def due_consequences(ag: Any, up_to: date,
                     calendar: WorkingCalendar) -> list[tuple[date, str, dict[str, Any]]]:
    """The next consequence that falls due on or before ``up_to``, as
    (due date, what, details); empty when none. One at a time, because
    each changes what follows (an ending stops every later one)."""
    return [c for c in _candidates(ag, calendar) if c[0] <= up_to][:1]


def next_due_on(ag: Any, calendar: WorkingCalendar) -> date | None:
    """The first day a consequence can fall due for the agreement as it
    stands (None: none can until a command changes it). The clock's index
    (``Registry.due_on``) keeps it, so a tick visits only the agreements with
    something due: after ``bring_up_to(day)`` it is always later than ``day``,
    because it is the day ``due_consequences`` would answer next."""
    candidates = _candidates(ag, calendar)
    return candidates[0][0] if candidates else None


def _candidates(ag: Any, calendar: WorkingCalendar) -> list[tuple[date, str, dict[str, Any]]]:
    """Every consequence the agreement's state would bring, earliest first."""
    if ag.is_ended:
        return []
    found: list[tuple[date, str, dict[str, Any]]] = []
    # AGR-02: the notice ends without an upheld objection: effect the next day.
    if ag.took_effect_on is None:
        if ag.notice is not None:
            pending = [o for o in ag.objections.values() if o["upheld"] is None]
            day = ag.notice["until"] + timedelta(days=1)
            if not pending:
                decided = [o["decided_on"] for o in ag.objections.values()]
                day = max([day, *[d + timedelta(days=1) for d in decided]])
                found.append((day, "take_effect", {}))
        return found
    s = ag.suspension
    # SUS-02 / CAL-05 / CAL-06: no resumption application by the end of the
    # last day to act ends the agreement the next day.
    if s is not None and s["kind"] == "voluntary" and s["resumption_applied_on"] is None:
        last = calendar.act_deadline(period_last_day(s["start"], VOLUNTARY_MAX_DAYS))
        found.append((last.due + timedelta(days=1), "end", {"ground": "AUTO-SUS-180"}))
    # AGR-07: 30 days' notice runs out.
    if ag.early_end is not None:
        found.append((ag.early_end["ends_on"], "end", {"ground": "EARLY-NOTICE"}))
    # AGR-06: a change not reported within 30 working days.
    for c in ag.changes:
        if c["reported_on"] is None and not c["overdue_raised"]:
            due = calendar.add_working_days(c["approved_on"], CHANGE_REPORT_WORKING_DAYS)
            found.append((due.due + timedelta(days=1), "change_overdue",
                          {"change": c["change"]}))
    # Expiry: SUS-05, renewal (AGR-05), M 51 continuation.
    expiry = ag.term_end + timedelta(days=1)
    successor_on = ag.renewal.get("successor_effective_on")
    refused_on = ag.renewal["refused_on"]
    if ag.continued_on is None:
        if s is not None:                        # SUS-05: suspended through expiry
            found.append((expiry, "end", {"ground": "AUTO-SUS-EXPIRY"}))
        elif successor_on is not None and successor_on <= expiry:
            found.append((expiry, "end", {"ground": "RENEWED"}))
        elif refused_on is not None or ag.renewal["objections"]:
            found.append((expiry, "end", {"ground": "EXPIRY"}))   # M 36, M 51
        else:
            found.append((expiry, "continue", {}))                # M 51
    else:
        if successor_on is not None:
            found.append((successor_on, "end", {"ground": "RENEWED"}))
        if refused_on is not None:
            found.append((refused_on, "end", {"ground": "EXPIRY"}))
    found.sort(key=lambda c: c[0])
    return found
