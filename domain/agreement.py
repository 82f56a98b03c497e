"""A service agreement from signing to its end (AGR, SUS, TER; M 6, 19, 35-39,
43, 45, 51; MA 42-44, 48; RA 34-36, 40; DA 35-37, 40, 42).

One module, over 600 lines, because every event class must stay nested in
``Agreement`` here so stored topics keep resolving; the rules it checks live
in agreement_terms, suspension, obligations, termination and agreement_clock.

Public methods check the rules and raise a named error with the rule id;
private ``@event`` methods only assign state. Consequences that fall due with
time (the notice ending, day 181 of a voluntary suspension, expiry, the end
of a 30-day notice, an overdue change report) are found by
:meth:`Agreement.due_consequences`, a pure function of the state, the date
and the calendar, and recorded by :meth:`Agreement.bring_up_to` dated the day
each fell due, so every replay shows the same history.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from eventsourcing.domain import event

from domain import agreement_terms as terms
from domain import obligations as ob
from domain import suspension as sus
from domain import termination as ter
from domain.agreement_clock import CHANGE_REPORT_WORKING_DAYS, due_consequences
from domain.agreement_suspending import Suspending
from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar, add_months
from domain.errors import NotFound, RuleViolation
from domain.grounds import StatutoryGround, ground

# The rules live in modules of their own (agreement_terms, suspension,
# obligations, termination, agreement_clock); these names stay importable
# from here for the callers that know them so.
from domain.agreement_terms import (CHANGE_KINDS, EARLY_END_NOTICE_DAYS,  # noqa: F401,E402
                                    RENEWAL_NOTICE_MONTHS, ROUND_CLOSES, TERM_YEARS)
from domain.obligations import AGENCY_IMPOSED  # noqa: F401,E402
from domain.suspension import (DISCIPLINARY_MONTHS, SUSPENSION_KINDS,  # noqa: F401,E402
                               VOLUNTARY_MAX_DAYS, disciplinary_end, disciplinary_months)


class Agreement(LedgerAggregate, Suspending):
    """One yearly (or two-yearly) service agreement with one institution. Its
    suspension commands are in ``Suspending`` (domain/agreement_suspending.py)."""

    @staticmethod
    def id_for(number: str):
        return stable_id("agreement", number)

    # --- AGR-01..04: signing --------------------------------------------------
    @classmethod
    def sign(cls, *, number: str, institution_code: str, agency: str, kind: str,
             agreement_type: str, term_start: date, term_years: int, basis: dict[str, Any],
             renewal_of: str | None, late_reason: str, effective_on: date,
             envelope: Envelope) -> "Agreement":
        term_end, late = terms.signed_term(
            kind=kind, agreement_type=agreement_type, term_start=term_start,
            term_years=term_years, renewal_of=renewal_of, late_reason=late_reason,
            effective_on=effective_on)
        return cls._create(cls.Signed, id=cls.id_for(number), number=number,
                           institution_code=institution_code, agency=agency, kind=kind,
                           agreement_type=agreement_type, term_start=term_start,
                           term_end=term_end, term_years=term_years, basis=basis,
                           renewal_of=renewal_of, late=late, late_reason=late_reason,
                           effective_on=effective_on, envelope=envelope)

    class Signed(LedgerAggregate.Created):
        number: str
        institution_code: str
        agency: str
        kind: str
        agreement_type: str
        term_start: date
        term_end: date
        term_years: int
        basis: dict[str, Any]
        renewal_of: str | None
        late: bool
        late_reason: str
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, institution_code: str, agency: str, kind: str,
                 agreement_type: str, term_start: date, term_end: date, term_years: int,
                 basis: dict[str, Any], renewal_of: str | None, late: bool,
                 late_reason: str, effective_on: date) -> None:
        self.number = number
        self.institution_code = institution_code
        self.agency = agency
        self.kind = kind
        self.agreement_type = agreement_type
        self.term_start = term_start
        self.term_end = term_end
        self.term_years = term_years
        self.basis = dict(basis)
        self.renewal_of = renewal_of
        self.late = late
        self.signed_on = effective_on
        self.status = "signed"
        self.filing: dict[str, Any] | None = None
        self.notice: dict[str, Any] | None = None
        self.objections: dict[str, dict[str, Any]] = {}
        self.took_effect_on: date | None = None
        self.suspensions: list[dict[str, Any]] = []
        self.obligations: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []
        self.renewal: dict[str, Any] = {"applied_on": None, "late": False, "successor": None,
                                        "objections": [], "refused_on": None}
        self.early_end: dict[str, Any] | None = None
        self.continued_on: date | None = None
        self.ending: dict[str, Any] | None = None
        self.reversals: list[dict[str, Any]] = []

    # --- derived ----------------------------------------------------------------
    @property
    def suspension(self) -> dict[str, Any] | None:
        """The suspension in force, if any."""
        if self.suspensions and sus.in_force(self.suspensions[-1]):
            return self.suspensions[-1]
        return None

    @property
    def is_ended(self) -> bool:
        return self.ending is not None or self.status == "stopped"

    @property
    def in_force(self) -> bool:
        return self.took_effect_on is not None and not self.is_ended

    def agency_imposed_suspensions(self) -> list[dict[str, Any]]:
        """TER-02: agency-imposed suspensions in this term (reversed ones excluded)."""
        return ob.counted_suspensions(self.suspensions)

    def settles_on(self, day: date) -> tuple[bool, str, str]:
        """PAY-02 / SUS-01 / TER-03: may a service dated ``day`` be settled?
        Returns (allowed, rule, why)."""
        if self.took_effect_on is None or day < max(self.took_effect_on, self.term_start):
            return False, "PAY-02", f"agreement {self.number} had not taken effect on {day}"
        if self.ending is not None and day >= self.ending["ended_on"]:
            return False, "TER-03", f"agreement {self.number} ended on {self.ending['ended_on']}"
        for s in self.suspensions:
            if s.get("reversed"):
                continue
            if s["start"] <= day and (s["resumed_on"] is None or day < s["resumed_on"]):
                return False, "SUS-01", f"agreement {self.number} was suspended ({s['kind']}) " \
                                        f"from {s['start']}"
        if self.continued_on is None and day > self.term_end and self.renewal["successor"] is None:
            return False, "PAY-02", f"agreement {self.number} expired on {self.term_end}"
        return True, "", ""

    def _require_live(self, rule: str = "TER-03") -> None:
        if self.is_ended:
            when = self.ending["ended_on"] if self.ending else self.status
            raise RuleViolation("agreement {number} has ended ({when})", rule=rule,
                                remedy="a new agreement needs a new application",
                                key="refusal.agreement.agreement_has_ended", values={"number": self.number,
                                "when": when})

    def _require_in_force(self, rule: str) -> None:
        self._require_live()
        if self.took_effect_on is None:
            raise RuleViolation("agreement {number} has not taken effect", rule=rule,
                                remedy="it takes effect when its public notice ends without an "
                                       "upheld objection (AGR-02)",
                                key="refusal.agreement.agreement_has_not_taken",
                                values={"number": self.number})

    # --- AGR-02: filing, public notice, objections, effect ---------------------
    def file_with_department(self, *, filing_ref: str, effective_on: date,
                             envelope: Envelope) -> None:
        self._require_live()
        if self.filing is not None:
            raise RuleViolation("already filed ({ref})", rule="AGR-02", remedy="nothing to do",
                                key="refusal.agreement.already_filed_ref",
                                values={"ref": self.filing['ref']})
        self._filed(filing_ref=filing_ref, effective_on=effective_on, envelope=envelope)

    @event("Filed")
    def _filed(self, filing_ref: str, effective_on: date, envelope: Envelope) -> None:
        self.filing = {"ref": filing_ref, "filed_on": effective_on}

    def start_public_notice(self, *, notice_ref: str, until: date, effective_on: date,
                            envelope: Envelope) -> None:
        self._require_live()
        terms.check_public_notice(self.filing, self.notice, until, effective_on)
        self._notice_started(notice_ref=notice_ref, until=until, effective_on=effective_on,
                             envelope=envelope)

    @event("PublicNoticeStarted")
    def _notice_started(self, notice_ref: str, until: date, effective_on: date,
                        envelope: Envelope) -> None:
        self.notice = {"ref": notice_ref, "from": effective_on, "until": until}
        self.status = "in_notice"

    def raise_objection(self, *, objection_no: str, raised_by: str, summary: str,
                        effective_on: date, envelope: Envelope) -> None:
        terms.check_objection(self.notice, self.took_effect_on is None and not self.is_ended,
                              self.objections, objection_no, effective_on)
        self._objection_raised(objection_no=objection_no, raised_by=raised_by, summary=summary,
                               effective_on=effective_on, envelope=envelope)

    @event("ObjectionRaised")
    def _objection_raised(self, objection_no: str, raised_by: str, summary: str,
                          effective_on: date, envelope: Envelope) -> None:
        self.objections[objection_no] = {"raised_on": effective_on, "by": raised_by,
                                         "summary": summary, "upheld": None, "decided_on": None}

    def decide_objection(self, *, objection_no: str, upheld: bool, reason: str,
                         effective_on: date, envelope: Envelope) -> None:
        terms.check_objection_decision(self.objections, objection_no, reason, self.number)
        self._objection_decided(objection_no=objection_no, upheld=upheld, reason=reason,
                                effective_on=effective_on, envelope=envelope)
        if upheld:
            self._stopped(reason=f"objection {objection_no} upheld: {reason}",
                          effective_on=effective_on, envelope=envelope)

    @event("ObjectionDecided")
    def _objection_decided(self, objection_no: str, upheld: bool, reason: str,
                           effective_on: date, envelope: Envelope) -> None:
        self.objections[objection_no].update(upheld=upheld, decided_on=effective_on,
                                             reason=reason)

    @event("Stopped")
    def _stopped(self, reason: str, effective_on: date, envelope: Envelope) -> None:
        self.status = "stopped"
        self.stopped = {"on": effective_on, "reason": reason}

    # --- AGR-06: changes ---------------------------------------------------------
    def record_change(self, *, change: str, approved_on: date, reported_on: date | None,
                      details: str, calendar: WorkingCalendar, effective_on: date,
                      envelope: Envelope) -> dict[str, Any]:
        self._require_live()
        terms.check_change_kind(change)
        due = calendar.add_working_days(approved_on, CHANGE_REPORT_WORKING_DAYS)
        late = reported_on is not None and reported_on > due.due
        self._change_recorded(change=change, approved_on=approved_on, reported_on=reported_on,
                              due=due.due, provisional=due.provisional, late=late,
                              details=details, v1_obligations=[], effective_on=effective_on,
                              envelope=envelope)
        if late:   # AGR-06: reported late, an M 39(6) ground
            self._raise_obligation(ob.late_change(change, approved_on, reported_on, due.due),
                                   effective_on, envelope)
        return self.changes[-1]

    class ChangeRecorded(LedgerAggregate.Event):
        """A change and when it was reported. Up to class_version 1 the body
        also raised the AGR-06 obligation of a late report; since 2 that is an
        ObligationRaised of its own, and ``v1_obligations`` (always empty in
        a new event) carries what an upcast v1 event's body raised."""
        class_version = 2
        change: str
        approved_on: date
        reported_on: date | None
        due: date
        provisional: bool
        late: bool
        details: str
        v1_obligations: list[dict[str, Any]]
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["v1_obligations"] = [] if not state["late"] else [{
                **ob.v1_late_change(state["change"], state["approved_on"],
                                    state["reported_on"], state["due"]),
                "raised_on": state["effective_on"], "discharged_on": None}]

    @event(ChangeRecorded)
    def _change_recorded(self, change: str, approved_on: date, reported_on: date | None,
                         due: date, provisional: bool, late: bool, details: str,
                         v1_obligations: list[dict[str, Any]], effective_on: date,
                         envelope: Envelope) -> None:
        self.changes.append({"change": change, "approved_on": approved_on,
                             "reported_on": reported_on, "due": due, "provisional": provisional,
                             "late": late, "details": details, "overdue_raised": late})
        self.obligations.extend(dict(o) for o in v1_obligations)

    def report_change(self, *, change: str, reported_on: date, effective_on: date,
                      envelope: Envelope) -> dict[str, Any]:
        self._require_live()
        pending = [c for c in self.changes if c["change"] == change and c["reported_on"] is None]
        if not pending:
            raise NotFound("no unreported {change} change on {number}", rule="AGR-06",
                           remedy="record the change with its approval date first",
                           key="refusal.agreement.no_unreported_change_on", values={"change": change,
                           "number": self.number})
        late = reported_on > pending[0]["due"]
        self._change_reported(change=change, reported_on=reported_on, late=late,
                              effective_on=effective_on, envelope=envelope)
        return pending[0]

    @event("ChangeReported")
    def _change_reported(self, change: str, reported_on: date, late: bool, effective_on: date,
                         envelope: Envelope) -> None:
        for c in self.changes:
            if c["change"] == change and c["reported_on"] is None:
                c["reported_on"] = reported_on
                c["late"] = late
                break

    # --- AGR-05: renewal and continuation -----------------------------------------
    def apply_for_renewal(self, *, applied_on: date, effective_on: date,
                          envelope: Envelope) -> bool:
        self._require_in_force("AGR-05")
        if self.renewal["applied_on"] is not None:
            raise RuleViolation("renewal already applied for", rule="AGR-05",
                                remedy="negotiate the renewal",
                                key="refusal.agreement.renewal_already_applied_for")
        due_by = add_months(self.term_end, -RENEWAL_NOTICE_MONTHS)
        late = applied_on > due_by
        self._renewal_applied(applied_on=applied_on, due_by=due_by, late=late,
                              effective_on=effective_on, envelope=envelope)
        return late

    @event("RenewalApplied")
    def _renewal_applied(self, applied_on: date, due_by: date, late: bool, effective_on: date,
                         envelope: Envelope) -> None:
        self.renewal.update(applied_on=applied_on, late=late, due_by=due_by)

    def object_to_renewal(self, *, raised_by: str, summary: str, effective_on: date,
                          envelope: Envelope) -> None:
        """M 51: either party objects to the agreement's content at expiry."""
        self._require_in_force("AGR-05")
        terms.check_party(raised_by, "raised_by", "AGR-05", "name the party")
        self._renewal_objected(raised_by=raised_by, summary=summary, effective_on=effective_on,
                               envelope=envelope)

    @event("RenewalObjected")
    def _renewal_objected(self, raised_by: str, summary: str, effective_on: date,
                          envelope: Envelope) -> None:
        self.renewal["objections"].append({"by": raised_by, "summary": summary,
                                           "on": effective_on})

    def refuse_renewal(self, *, reason: str, effective_on: date, envelope: Envelope) -> None:
        """M 36: the parties did not agree; the agreement ends on expiry."""
        self._require_in_force("AGR-05")
        if self.renewal["refused_on"] is not None:
            raise RuleViolation("renewal already refused", rule="AGR-05", remedy="nothing to do",
                                key="refusal.agreement.renewal_already_refused")
        self._renewal_refused(reason=reason, effective_on=effective_on, envelope=envelope)

    @event("RenewalRefused")
    def _renewal_refused(self, reason: str, effective_on: date, envelope: Envelope) -> None:
        self.renewal["refused_on"] = effective_on
        self.renewal["refusal_reason"] = reason

    def note_successor(self, *, successor: str, effective_on: date,
                       envelope: Envelope) -> None:
        self._successor_noted(successor=successor, effective_on=effective_on, envelope=envelope)

    @event("SuccessorSigned")
    def _successor_noted(self, successor: str, effective_on: date, envelope: Envelope) -> None:
        self.renewal["successor"] = successor

    # --- AGR-07: early ending with 30 days' notice -------------------------------
    def give_notice_to_end(self, *, given_by: str, reason: str, effective_on: date,
                           envelope: Envelope) -> date:
        self._require_in_force("AGR-07")
        terms.check_party(given_by, "given_by", "AGR-07", "name the party giving notice")
        if self.early_end is not None:
            raise RuleViolation("notice to end was already given on {given_on}", rule="AGR-07",
                                remedy="wait for it to run out",
                                key="refusal.agreement.notice_end_was_already",
                                values={"given_on": self.early_end['given_on']})
        ends_on = effective_on + timedelta(days=EARLY_END_NOTICE_DAYS)
        self._notice_to_end(given_by=given_by, reason=reason, ends_on=ends_on,
                            effective_on=effective_on, envelope=envelope)
        return ends_on

    @event("NoticeToEndGiven")
    def _notice_to_end(self, given_by: str, reason: str, ends_on: date, effective_on: date,
                       envelope: Envelope) -> None:
        self.early_end = {"by": given_by, "reason": reason, "given_on": effective_on,
                          "ends_on": ends_on}

    # --- SUS-01..05, AUD-01: suspension (the commands: domain/agreement_suspending.py) --
    @event("Suspended")
    def _suspended(self, kind: str, ground_code: str, start: date, requested_on: date | None,
                   planned_end: date | None, resume_by: date | None, provisional: bool,
                   notice_no: str, effective_on: date, envelope: Envelope) -> None:
        self.suspensions.append({
            "command_id": envelope.command_id,
            "kind": kind, "ground": ground_code, "start": start, "requested_on": requested_on,
            "planned_end": planned_end, "resume_by": resume_by, "provisional": provisional,
            "notice_no": notice_no, "resumption_applied_on": None, "inspection": None,
            "resumed_on": None, "reversed": False})
        self.status = "suspended"

    def _raise_obligation(self, obligation: dict[str, str], effective_on: date,
                          envelope: Envelope) -> None:
        self._obligation_raised(**obligation, effective_on=effective_on, envelope=envelope)

    @event("ObligationRaised")
    def _obligation_raised(self, kind: str, ground: str, rule: str, reason: str,
                           effective_on: date, envelope: Envelope) -> None:
        self.obligations.append({"kind": kind, "ground": ground, "rule": rule,
                                 "reason": reason, "raised_on": effective_on,
                                 "discharged_on": None})

    @event("ResumptionApplied")
    def _resumption_applied(self, applied_on: date, effective_on: date,
                            envelope: Envelope) -> None:
        self.suspensions[-1]["resumption_applied_on"] = applied_on

    @event("Inspected")
    def _inspected(self, passed: bool, report_ref: str, effective_on: date,
                   envelope: Envelope) -> None:
        self.suspensions[-1]["inspection"] = {"passed": passed, "ref": report_ref,
                                              "on": effective_on}

    @event("Resumed")
    def _resumed(self, effective_on: date, envelope: Envelope) -> None:
        self.suspensions[-1]["resumed_on"] = effective_on
        self.status = "active"

    class SuspensionCorrected(LedgerAggregate.Event):
        """AUD-01: the whole corrected suspension. ``status`` is the status it
        puts the agreement in, None to leave it; up to class_version 1 the
        body worked that out itself, and the upcast gives a v1 event the
        status its body set."""
        class_version = 2
        corrects: dict[str, Any]
        suspension: dict[str, Any]
        reason: str
        status: str | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The v1 body set "suspended" when, after the correction, the last
            # suspension was in force. One in force is always the last (SUS-01:
            # one at a time), and the correction of another leaves the status
            # as the one in force already set it: so it is the corrected one's.
            state["status"] = "suspended" if sus.in_force(state["suspension"]) else None

    @event(SuspensionCorrected)
    def _suspension_corrected(self, corrects: dict[str, Any], suspension: dict[str, Any],
                              reason: str, status: str | None, effective_on: date,
                              envelope: Envelope) -> None:
        # The suspension named by its command; a replay "as of" a day before the
        # original's start has not seen it yet, and sees the corrected one alone.
        named = [s for s in self.suspensions if s.get("command_id") == corrects["command_id"]]
        if named:
            named[0].update(suspension)
        else:
            self.suspensions.append(dict(suspension))
        self.status = status or self.status

    # --- SUS-06: breach findings --------------------------------------------------
    def record_finding(self, *, clause: str, found_on: date, facts: str, sanctions: list[str],
                       effective_on: date, envelope: Envelope) -> StatutoryGround:
        self._require_live("SUS-06")
        g = ter.check_finding(clause, sanctions, self.agreement_type)
        self._finding(clause=clause, found_on=found_on, facts=facts, sanctions=sorted(sanctions),
                      effective_on=effective_on, envelope=envelope)
        return g

    @event("BreachFound")
    def _finding(self, clause: str, found_on: date, facts: str, sanctions: list[str],
                 effective_on: date, envelope: Envelope) -> None:
        self.findings.append({"clause": clause, "found_on": found_on, "facts": facts,
                              "sanctions": list(sanctions)})

    # --- TER-01..04: termination ----------------------------------------------------
    def terminate(self, *, ground_code: str, notice_no: str, notice_on: date,
                  reported_on: date | None, report_ref: str, reason: str, effective_on: date,
                  envelope: Envelope) -> StatutoryGround:
        self._require_live()
        g = ter.check_termination(ground_code=ground_code, agreement_type=self.agreement_type,
                                  took_effect_on=self.took_effect_on, notice_no=notice_no,
                                  report_ref=report_ref, reported_on=reported_on)
        self._end(g, notice_no=notice_no, notice_on=notice_on, reported_on=reported_on,
                  report_ref=report_ref, reason=reason or g.text_en, effective_on=effective_on,
                  envelope=envelope)
        return g

    def _end(self, g: StatutoryGround, *, notice_no: str, notice_on: date | None,
             reported_on: date | None, report_ref: str, reason: str, effective_on: date,
             envelope: Envelope) -> None:
        """Record an ending (an agency's, or one that fell due) and, TER-01, the
        obligations it discharges: nothing is left to end."""
        self._ended(ground_code=g.code, article=g.article, is_breach=g.is_breach,
                    notice_no=notice_no, notice_on=notice_on, reported_on=reported_on,
                    report_ref=report_ref, reason=reason,
                    aftercare=self.agreement_type == "DA", v1_discharges=False,
                    effective_on=effective_on, envelope=envelope)
        positions = ob.open_positions(self.obligations)
        if positions:
            self._obligations_discharged(positions=positions, rule="TER-01",
                                         reason=f"the agreement ended ({g.code})",
                                         effective_on=effective_on, envelope=envelope)

    class Ended(LedgerAggregate.Event):
        """The agreement ended. Up to class_version 1 the body also discharged
        every open obligation; since 2 that is an ObligationsDischarged of
        its own, and ``v1_discharges`` (False in every new event) tells a
        replay that an upcast v1 event's body did it."""
        class_version = 2
        ground_code: str
        article: str
        is_breach: bool
        notice_no: str
        notice_on: date | None
        reported_on: date | None
        report_ref: str
        reason: str
        aftercare: bool
        v1_discharges: bool
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["v1_discharges"] = True

    @event(Ended)
    def _ended(self, ground_code: str, article: str, is_breach: bool, notice_no: str,
               notice_on: date | None, reported_on: date | None, report_ref: str, reason: str,
               aftercare: bool, v1_discharges: bool, effective_on: date,
               envelope: Envelope) -> None:
        self.ending = {"ended_on": effective_on, "ground": ground_code, "article": article,
                       "is_breach": is_breach, "notice_no": notice_no, "notice_on": notice_on,
                       "reported_on": reported_on, "report_ref": report_ref, "reason": reason,
                       "aftercare": aftercare}
        self.status = "ended"
        if v1_discharges:   # history: what the v1 body decided, frozen
            ob.v1_ended_discharges(self.obligations, effective_on)

    @event("ObligationsDischarged")
    def _obligations_discharged(self, positions: list[int], rule: str, reason: str,
                                effective_on: date, envelope: Envelope) -> None:
        for i in positions:
            self.obligations[i]["discharged_on"] = effective_on

    # --- DIS-01: compensating a reversed decision -----------------------------------
    def reverse(self, *, decision: str, dispute_no: str, outcome: str, effective_on: date,
                envelope: Envelope) -> None:
        ter.check_reversal(decision, self.ending, self.suspension)
        # DIS-01: with the ending gone the agreement is as before it: suspended
        # if a suspension is still in force; with the suspension gone, active.
        status = "suspended" if decision == "ending" and self.suspension else "active"
        self._reversed(decision=decision, dispute_no=dispute_no, outcome=outcome,
                       status=status, v1_discharges=False, effective_on=effective_on,
                       envelope=envelope)
        if decision == "suspension":
            # TER-02: fewer than 2 agency-imposed suspensions left, its obligation lapses.
            lapsed = ob.lapsed_by_reversal(self.obligations,
                                           len(self.agency_imposed_suspensions()))
            if lapsed:
                self._obligations_discharged(
                    positions=lapsed, rule="TER-02",
                    reason=f"suspension reversed (dispute {dispute_no}): fewer than 2 "
                           "agency-imposed suspensions remain in the term",
                    effective_on=effective_on, envelope=envelope)

    class DecisionReversed(LedgerAggregate.Event):
        """DIS-01: a compensating event. ``status`` is the agreement's status
        after it; up to class_version 1 the body worked it out and, for a
        reversed suspension, discharged the TER-02 obligation itself. The
        upcast gives a v1 event the status where the event alone tells it
        (a reversed suspension: active) and None where the v1 body read the
        state (a reversed ending), and ``v1_discharges`` for a suspension."""
        class_version = 2
        decision: str
        dispute_no: str
        outcome: str
        status: str | None
        v1_discharges: bool
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            suspension = state["decision"] != "ending"
            state["status"] = "active" if suspension else None
            state["v1_discharges"] = suspension

    @event(DecisionReversed)
    def _reversed(self, decision: str, dispute_no: str, outcome: str, status: str | None,
                  v1_discharges: bool, effective_on: date, envelope: Envelope) -> None:
        self.reversals.append({"decision": decision, "dispute_no": dispute_no,
                               "outcome": outcome, "on": effective_on})
        if decision == "ending":
            self.reversals[-1]["reversed_ending"] = self.ending
            self.ending = None
        else:
            self.suspensions[-1]["reversed"] = True
            self.suspensions[-1]["resumed_on"] = effective_on
        # history: a v1 reversed ending's status and a v1 reversed suspension's
        # discharge, as the v1 body decided them, frozen
        self.status = status or ob.v1_status_after_reversal(self.suspension)
        if v1_discharges:
            ob.v1_reversal_discharges(self.obligations, self.suspensions, effective_on)

    # --- time passing ---------------------------------------------------------------
    def due_consequences(self, up_to: date,
                         calendar: WorkingCalendar) -> list[tuple[date, str, dict[str, Any]]]:
        """The next consequence that falls due on or before ``up_to``
        (domain/agreement_clock.py)."""
        return due_consequences(self, up_to, calendar)

    def note_successor_effect(self, *, on: date, envelope: Envelope) -> None:
        self._successor_took_effect(successor_on=on, effective_on=on, envelope=envelope)

    @event("SuccessorTookEffect")
    def _successor_took_effect(self, successor_on: date, effective_on: date,
                               envelope: Envelope) -> None:
        self.renewal["successor_effective_on"] = successor_on

    def bring_up_to(self, up_to: date, calendar: WorkingCalendar,
                    envelope: Envelope) -> list[tuple[date, str, dict[str, Any]]]:
        """Record every consequence due by ``up_to``, each dated the day it fell
        due; returns what was recorded. Recording twice records nothing new."""
        recorded = []
        while True:
            due = self.due_consequences(up_to, calendar)
            if not due:
                return recorded
            day, what, details = due[0]
            if what == "take_effect":
                self._took_effect(effective_on=day, envelope=envelope)
            elif what == "continue":
                self._continued(effective_on=day, envelope=envelope)
            elif what == "change_overdue":
                self._change_overdue(change=details["change"], v1_obligations=[],
                                     effective_on=day, envelope=envelope)
                # AGR-06: unreported within 30 working days, an M 39(6) ground
                self._raise_obligation(ob.overdue_change(details["change"]), day, envelope)
            else:
                g = ground(details["ground"])
                self._end(g, notice_no="", notice_on=None, reported_on=None, report_ref="",
                          reason=g.text_en, effective_on=day, envelope=envelope)
            recorded.append(due[0])

    @event("TookEffect")
    def _took_effect(self, effective_on: date, envelope: Envelope) -> None:
        self.took_effect_on = effective_on
        self.status = "active"

    @event("ContinuedUnderArt51")
    def _continued(self, effective_on: date, envelope: Envelope) -> None:
        self.continued_on = effective_on

    class ChangeReportOverdue(LedgerAggregate.Event):
        """A change still unreported after its 30 working days. Up to
        class_version 1 the body also raised the AGR-06 obligation; since 2
        that is an ObligationRaised of its own, and ``v1_obligations``
        (always empty in a new event) carries what a v1 event's body raised."""
        class_version = 2
        change: str
        v1_obligations: list[dict[str, Any]]
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["v1_obligations"] = [{**ob.v1_overdue_change(state["change"]),
                                        "raised_on": state["effective_on"],
                                        "discharged_on": None}]

    @event(ChangeReportOverdue)
    def _change_overdue(self, change: str, v1_obligations: list[dict[str, Any]],
                        effective_on: date, envelope: Envelope) -> None:
        # the unreported change of that kind (the one due_consequences found)
        for c in self.changes:
            if c["change"] == change and c["reported_on"] is None:
                c["overdue_raised"] = True
        self.obligations.extend(dict(o) for o in v1_obligations)

    def state(self) -> dict[str, Any]:
        return {
            "number": self.number, "institution": self.institution_code, "agency": self.agency,
            "type": self.agreement_type, "status": self.status, "term_start": self.term_start,
            "term_end": self.term_end, "term_years": self.term_years, "signed_on": self.signed_on,
            "took_effect_on": self.took_effect_on, "suspension": self.suspension,
            "ending": self.ending, "obligations": self.obligations,
            "continued_on": self.continued_on,
        }
