"""What obliges (or entitles) the agency to end an agreement, and what
discharges it (AGR-06, TER-01, TER-02; M 39).

Pure functions of an agreement's state. ``Agreement``'s public methods ask
them and record the answer as its own event (``Agreement.ObligationRaised``,
``Agreement.ObligationsDischarged``), so a replay reads the decision from the
log and never asks these rules again: changing a rule here changes what is
decided from now on, never what was recorded (issue #13).

An obligation is the dict an ``ObligationRaised`` event appends to
``Agreement.obligations``; it is named by its position in that list, which
only ever grows.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

# TER-02: suspensions the agency imposes count toward M 39(1); a voluntary one,
# asked for by the institution itself, does not (docs/interpretation.md).
AGENCY_IMPOSED = ("mandatory", "disciplinary")


def late_change(change: str, approved_on: date, reported_on: date | None,
                due: date) -> dict[str, str]:
    """AGR-06: a change reported after its 30 working days is an M 39(6)
    ground the agency may end the agreement on."""
    return {"kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
            "reason": f"{change} change approved {approved_on} reported late on "
                      f"{reported_on} (due {due})"}


def overdue_change(change: str) -> dict[str, str]:
    """AGR-06: a change still unreported the day after its 30 working days."""
    return {"kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
            "reason": f"{change} change not reported within 30 working days of approval"}


def second_agency_suspension() -> dict[str, str]:
    """TER-02: the 2nd agency-imposed suspension in one term (M 39(1))."""
    return {"kind": "must_terminate", "ground": "M39-1", "rule": "TER-02",
            "reason": "second agency-imposed suspension in this term"}


def failed_inspection(report_ref: str) -> dict[str, str]:
    """TER-01 item 1: rectification failed during the suspension (M 39(1))."""
    return {"kind": "must_terminate", "ground": "M39-1", "rule": "TER-01",
            "reason": f"rectification failed during the suspension (inspection {report_ref})"}


def counted_suspensions(suspensions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """TER-02: the agency-imposed suspensions of the term, reversed ones excluded."""
    return [s for s in suspensions if s["kind"] in AGENCY_IMPOSED and not s.get("reversed")]


def raises_second_suspension(kind: str, suspensions: list[dict[str, Any]]) -> bool:
    """TER-02: does a suspension of ``kind``, added to ``suspensions`` (those
    recorded before it), make the 2nd agency-imposed one? The 3rd and later
    raise nothing new: the obligation is already there."""
    return kind in AGENCY_IMPOSED and len(counted_suspensions(suspensions)) == 1


def open_positions(obligations: list[dict[str, Any]]) -> list[int]:
    """TER-01: an ending discharges every obligation still open: there is
    nothing left to end."""
    return [i for i, o in enumerate(obligations) if o["discharged_on"] is None]


def lapsed_by_reversal(obligations: list[dict[str, Any]], remaining: int) -> list[int]:
    """TER-02 with DIS-01: once a reversed suspension leaves fewer than 2
    agency-imposed suspensions in the term, the obligation it raised no
    longer stands. ``remaining`` is the count after the reversal."""
    if remaining >= 2:
        return []
    return [i for i, o in enumerate(obligations)
            if o["ground"] == "M39-1" and o["rule"] == "TER-02" and o["discharged_on"] is None]


# --- history: what the bodies of class_version 1 events decided ---------------------------
# Up to issue #13 some bodies of Agreement events decided things: ChangeRecorded
# and ChangeReportOverdue raised the AGR-06 obligation, Ended discharged every
# open obligation, DecisionReversed recounted suspensions and chose the status.
# Their stored events are upcast to carry what those bodies did, and where
# that depended on the aggregate's state (which an upcast cannot see) a flag
# that makes the replay run these copies of those bodies. They are frozen as
# they were: the record of what was decided then, which must not follow the
# rules above if those change (tests/test_replay_compat.py holds them to it).
def v1_late_change(change: str, approved_on: date, reported_on: date | None,
                   due: date) -> dict[str, str]:
    return {"kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
            "reason": f"{change} change approved {approved_on} reported late on "
                      f"{reported_on} (due {due})"}


def v1_overdue_change(change: str) -> dict[str, str]:
    return {"kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
            "reason": f"{change} change not reported within 30 working days of approval"}


def v1_ended_discharges(obligations: list[dict[str, Any]], day: date) -> None:
    for o in obligations:
        if o["discharged_on"] is None:
            o["discharged_on"] = day


def v1_status_after_reversal(suspension_in_force: dict[str, Any] | None) -> str:
    return "suspended" if suspension_in_force else "active"


def v1_reversal_discharges(obligations: list[dict[str, Any]],
                           suspensions: list[dict[str, Any]], day: date) -> None:
    still = len([s for s in suspensions
                 if s["kind"] in ("mandatory", "disciplinary") and not s.get("reversed")])
    for o in obligations:
        if o["ground"] == "M39-1" and o["rule"] == "TER-02" and still < 2 \
                and o["discharged_on"] is None:
            o["discharged_on"] = day
