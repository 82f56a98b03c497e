"""The suspension commands of an agreement (SUS-01..04, AUD-01; M 37, 38, 45):
suspend, apply to resume, inspect, resume, correct a recorded suspension.

``Suspending`` is a base of ``Agreement`` holding these public methods, so
``domain/agreement.py`` keeps one idea a section and its size. They check
the rules (``domain/suspension.py``, ``domain/obligations.py``) and record
through Agreement's own private ``@event`` methods, whose event classes stay
nested in ``Agreement``: a stored event's topic never moves.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain import obligations as ob
from domain import suspension as sus
from domain.base import Envelope
from domain.calendar import WorkingCalendar
from domain.errors import InvalidCommand, RuleViolation
from domain.suspension import SUSPENSION_KINDS


class Suspending:
    """Agreement's suspension commands (see the module's docstring)."""

    # what Agreement provides (its state and its event methods)
    number: str
    took_effect_on: date | None
    suspensions: list[dict[str, Any]]
    suspension: Any
    _require_live: Any
    _require_in_force: Any
    _suspended: Any
    _raise_obligation: Any
    _resumption_applied: Any
    _inspected: Any
    _resumed: Any
    _suspension_corrected: Any

    def suspend(self, *, kind: str, ground_code: str, start: date, requested_on: date | None,
                planned_days: int | None, months: int | None, notice_no: str,
                calendar: WorkingCalendar, effective_on: date,
                envelope: Envelope) -> dict[str, Any]:
        self._require_in_force("SUS-01")
        if self.suspension is not None:
            raise RuleViolation("agreement {number} is already suspended since {start}",
                                rule="SUS-01", remedy="resume it first",
                                key="refusal.agreement_suspending.agreement_already_suspended_since",
                                values={"number": self.number, "start": self.suspension['start']})
        if kind not in SUSPENSION_KINDS:
            raise InvalidCommand("unknown suspension kind {kind!r}", rule="SUS-03",
                                 remedy="use one of {SUSPENSION_KINDS}",
                                 key="refusal.agreement_suspending.unknown_suspension_kind",
                                 values={"kind": kind,
                                 "SUSPENSION_KINDS": ', '.join(SUSPENSION_KINDS)})
        if start < self.took_effect_on:  # type: ignore[operator]
            raise InvalidCommand("a suspension cannot start before the agreement took effect",
                                 rule="SUS-01", remedy="start on or after {took_effect_on}",
                                 key="refusal.agreement_suspending.suspension_cannot_start_before",
                                 values={"took_effect_on": self.took_effect_on})
        planned = sus.plan(kind=kind, ground_code=ground_code, start=start,
                           requested_on=requested_on, planned_days=planned_days, months=months,
                           notice_no=notice_no, calendar=calendar)
        # TER-02: the 2nd agency-imposed suspension in one term raises the obligation.
        second = ob.raises_second_suspension(kind, self.suspensions)
        self._suspended(kind=kind, start=start, requested_on=requested_on, notice_no=notice_no,
                        effective_on=effective_on, envelope=envelope, **planned)
        if second:
            self._raise_obligation(ob.second_agency_suspension(), effective_on, envelope)
        return self.suspensions[-1]

    def apply_for_resumption(self, *, applied_on: date, effective_on: date,
                             envelope: Envelope) -> None:
        self._require_live("SUS-02")
        sus.check_resumption_application(self.suspension, applied_on, self.number)
        self._resumption_applied(applied_on=applied_on, effective_on=effective_on,
                                 envelope=envelope)

    def record_inspection(self, *, passed: bool, report_ref: str, effective_on: date,
                          envelope: Envelope) -> None:
        """SUS-04: the on-site inspection after a disciplinary suspension."""
        sus.check_inspection(self.suspension, effective_on)
        self._inspected(passed=passed, report_ref=report_ref, effective_on=effective_on,
                        envelope=envelope)
        if passed:
            self._resumed(effective_on=effective_on, envelope=envelope)
        else:
            # TER-01 item 1: rectification failed during the suspension.
            self._raise_obligation(ob.failed_inspection(report_ref), effective_on, envelope)

    def resume(self, *, effective_on: date, envelope: Envelope) -> None:
        self._require_live("SUS-01")
        sus.check_resume(self.suspension, effective_on, self.number)
        self._resumed(effective_on=effective_on, envelope=envelope)

    # --- AUD-01: correcting a recorded suspension ------------------------------------
    def correct_suspension(self, *, corrects: str, start: date, reason: str,
                           calendar: WorkingCalendar, effective_on: date,
                           envelope: Envelope, months: int | None = None) -> dict[str, Any]:
        """A new event that names the suspension it corrects (by the command
        that recorded it) and why; the original stays in the log. A
        disciplinary suspension's last day is counted again from the
        corrected start (SUS-04, CAL-05): this is how an operator corrects one
        recorded with the end a day early (issue #12, docs/interpretation.md)."""
        self._require_live("AUD-01")
        s = sus.correction_of(self.suspensions, corrects=corrects, start=start, reason=reason,
                              took_effect_on=self.took_effect_on,  # type: ignore[arg-type]
                              number=self.number)
        corrected = sus.corrected(s, start=start, reason=reason, months=months,
                                  calendar=calendar)
        # The correction carries the whole corrected suspension, dated from the
        # earlier of the two starts, so a replay "as of" any day sees it whole,
        # and the status it puts the agreement in (SUS-01: suspended while it
        # is in force), so a replay need not ask.
        self._suspension_corrected(
            corrects={"event": "Agreement.Suspended", "command_id": corrects,
                      "start": s["start"]},
            suspension=corrected, reason=reason,
            status="suspended" if sus.in_force(corrected) else None,
            effective_on=min(start, s["start"]), envelope=envelope)
        return self.suspensions[[x.get("command_id") for x in self.suspensions].index(corrects)]
