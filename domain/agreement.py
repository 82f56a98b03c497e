"""A service agreement from signing to its end (AGR, SUS, TER; M 6, 19, 35-39,
43, 45, 51; MA 42-44, 48; RA 34-36, 40; DA 35-37, 40, 42).

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

from domain import obligations as ob
from domain import suspension as sus
from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar, add_months, add_years, period_last_day
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.grounds import AGREEMENT_TYPES, TERMINATION_GROUNDS, StatutoryGround, ground
# the suspension and obligation rules live in their own modules; these names
# stay importable from here for the callers that know them so
from domain.obligations import AGENCY_IMPOSED  # noqa: F401
from domain.suspension import (DISCIPLINARY_MONTHS, SUSPENSION_KINDS,  # noqa: F401
                               VOLUNTARY_MAX_DAYS, disciplinary_end, disciplinary_months)

ROUND_CLOSES = (3, 15)              # AGR-01: "每年3月15日之前" (M 6)
TERM_YEARS = (1, 2)                 # AGR-03: 1 year; 2 after three excellent years (M 19)
CHANGE_REPORT_WORKING_DAYS = 30     # AGR-06: "30个工作日内" (M 35)
RENEWAL_NOTICE_MONTHS = 3           # AGR-05: "协议期满前3个月" (M 36)
EARLY_END_NOTICE_DAYS = 30          # AGR-07: "提前30日书面通知" (MA 48, RA 40, DA 42)
CHANGE_KINDS = ("name", "ownership", "legal_representative", "level", "address",
                "service_scope", "merger")

_TERMINATION_CODES = {g.code for g in TERMINATION_GROUNDS}
_BREACH_CODES = sus.BREACH_CODES


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


class Agreement(LedgerAggregate):
    """One yearly (or two-yearly) service agreement with one institution."""

    @staticmethod
    def id_for(number: str):
        return stable_id("agreement", number)

    # --- AGR-01..04: signing --------------------------------------------------
    @classmethod
    def sign(cls, *, number: str, institution_code: str, agency: str, kind: str,
             agreement_type: str, term_start: date, term_years: int, basis: dict[str, Any],
             renewal_of: str | None, late_reason: str, effective_on: date,
             envelope: Envelope) -> "Agreement":
        expected = AGREEMENT_TYPES[kind]
        if agreement_type != expected:
            raise RuleViolation(f"a {kind} institution signs a {expected} agreement, not "
                                f"{agreement_type}", rule="AGR-04",
                                remedy=f"use agreement_type {expected}")
        if term_years not in TERM_YEARS:
            raise InvalidCommand(f"term of {term_years} years", rule="AGR-03",
                                 remedy="a term is 1 year, or 2 after three excellent years")
        if term_start < effective_on - timedelta(days=366):
            raise InvalidCommand("the term cannot start more than a year before signing",
                                 rule="AGR-01", remedy="check term_start")
        # The round for the term's year closes on 15 March of that year (M 6).
        round_close = date(term_start.year, *ROUND_CLOSES)
        late = renewal_of is not None and effective_on > round_close
        if late and not late_reason.strip():
            raise RuleViolation(f"a renewal signed after {round_close} is late and needs its "
                                "reason recorded", rule="AGR-01",
                                remedy="give late_reason (why the yearly round was missed)")
        term_end = add_years(term_start, term_years) - timedelta(days=1)
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
            raise RuleViolation(f"agreement {self.number} has ended ({when})", rule=rule,
                                remedy="a new agreement needs a new application")

    def _require_in_force(self, rule: str) -> None:
        self._require_live()
        if self.took_effect_on is None:
            raise RuleViolation(f"agreement {self.number} has not taken effect", rule=rule,
                                remedy="it takes effect when its public notice ends "
                                       "without an upheld objection (AGR-02)")

    # --- AGR-02: filing, public notice, objections, effect ---------------------
    def file_with_department(self, *, filing_ref: str, effective_on: date,
                             envelope: Envelope) -> None:
        self._require_live()
        if self.filing is not None:
            raise RuleViolation(f"already filed ({self.filing['ref']})", rule="AGR-02",
                                remedy="nothing to do")
        self._filed(filing_ref=filing_ref, effective_on=effective_on, envelope=envelope)

    @event("Filed")
    def _filed(self, filing_ref: str, effective_on: date, envelope: Envelope) -> None:
        self.filing = {"ref": filing_ref, "filed_on": effective_on}

    def start_public_notice(self, *, notice_ref: str, until: date, effective_on: date,
                            envelope: Envelope) -> None:
        self._require_live()
        if self.filing is None:
            raise RuleViolation("file the agreement with the administrative department before "
                                "the public notice", rule="AGR-02",
                                remedy="record the filing first (报行政部门备案)")
        if self.notice is not None:
            raise RuleViolation("the public notice has already started", rule="AGR-02",
                                remedy="record objections or wait for it to end")
        if until < effective_on:
            raise InvalidCommand("the notice cannot end before it starts", rule="AGR-02",
                                 remedy="give a later notice end date")
        self._notice_started(notice_ref=notice_ref, until=until, effective_on=effective_on,
                             envelope=envelope)

    @event("PublicNoticeStarted")
    def _notice_started(self, notice_ref: str, until: date, effective_on: date,
                        envelope: Envelope) -> None:
        self.notice = {"ref": notice_ref, "from": effective_on, "until": until}
        self.status = "in_notice"

    def raise_objection(self, *, objection_no: str, raised_by: str, summary: str,
                        effective_on: date, envelope: Envelope) -> None:
        if self.notice is None or self.took_effect_on is not None or self.is_ended:
            raise RuleViolation("objections are raised during the public notice", rule="AGR-02",
                                remedy="raise it while the agreement is in notice")
        if effective_on > self.notice["until"]:
            raise RuleViolation(f"the notice ended on {self.notice['until']}", rule="AGR-02",
                                remedy="an objection after the notice is a dispute (DIS-01)")
        if objection_no in self.objections:
            raise RuleViolation(f"objection {objection_no} already recorded", rule="AGR-02",
                                remedy="use a new objection number")
        self._objection_raised(objection_no=objection_no, raised_by=raised_by, summary=summary,
                               effective_on=effective_on, envelope=envelope)

    @event("ObjectionRaised")
    def _objection_raised(self, objection_no: str, raised_by: str, summary: str,
                          effective_on: date, envelope: Envelope) -> None:
        self.objections[objection_no] = {"raised_on": effective_on, "by": raised_by,
                                         "summary": summary, "upheld": None, "decided_on": None}

    def decide_objection(self, *, objection_no: str, upheld: bool, reason: str,
                         effective_on: date, envelope: Envelope) -> None:
        found = self.objections.get(objection_no)
        if found is None:
            raise NotFound(f"no objection {objection_no} on {self.number}", rule="AGR-02",
                           remedy="name a recorded objection")
        if found["upheld"] is not None:
            raise RuleViolation(f"objection {objection_no} is already decided", rule="AGR-02",
                                remedy="a reversal goes through a dispute (DIS-01)")
        if not reason.strip():
            raise InvalidCommand("a decision on an objection gives its reason", rule="AGR-02",
                                 remedy="state why it is upheld or dismissed")
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
        if change not in CHANGE_KINDS:
            raise InvalidCommand(f"unknown change {change!r}", rule="AGR-06",
                                 remedy=f"use one of {', '.join(CHANGE_KINDS)}")
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
            raise NotFound(f"no unreported {change} change on {self.number}", rule="AGR-06",
                           remedy="record the change with its approval date first")
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
                                remedy="negotiate the renewal")
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
        if raised_by not in ("agency", "institution"):
            raise InvalidCommand("raised_by is agency or institution", rule="AGR-05",
                                 remedy="name the party")
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
            raise RuleViolation("renewal already refused", rule="AGR-05", remedy="nothing to do")
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
        if given_by not in ("agency", "institution"):
            raise InvalidCommand("given_by is agency or institution", rule="AGR-07",
                                 remedy="name the party giving notice")
        if self.early_end is not None:
            raise RuleViolation(f"notice to end was already given on {self.early_end['given_on']}",
                                rule="AGR-07", remedy="wait for it to run out")
        ends_on = effective_on + timedelta(days=EARLY_END_NOTICE_DAYS)
        self._notice_to_end(given_by=given_by, reason=reason, ends_on=ends_on,
                            effective_on=effective_on, envelope=envelope)
        return ends_on

    @event("NoticeToEndGiven")
    def _notice_to_end(self, given_by: str, reason: str, ends_on: date, effective_on: date,
                       envelope: Envelope) -> None:
        self.early_end = {"by": given_by, "reason": reason, "given_on": effective_on,
                          "ends_on": ends_on}

    # --- SUS-01..05: suspension ----------------------------------------------------
    def suspend(self, *, kind: str, ground_code: str, start: date, requested_on: date | None,
                planned_days: int | None, months: int | None, notice_no: str,
                calendar: WorkingCalendar, effective_on: date,
                envelope: Envelope) -> dict[str, Any]:
        self._require_in_force("SUS-01")
        if self.suspension is not None:
            raise RuleViolation(f"agreement {self.number} is already suspended since "
                                f"{self.suspension['start']}", rule="SUS-01",
                                remedy="resume it first")
        if kind not in SUSPENSION_KINDS:
            raise InvalidCommand(f"unknown suspension kind {kind!r}", rule="SUS-03",
                                 remedy=f"use one of {', '.join(SUSPENSION_KINDS)}")
        if start < self.took_effect_on:  # type: ignore[operator]
            raise InvalidCommand("a suspension cannot start before the agreement took effect",
                                 rule="SUS-01", remedy=f"start on or after {self.took_effect_on}")
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

    def apply_for_resumption(self, *, applied_on: date, effective_on: date,
                             envelope: Envelope) -> None:
        self._require_live("SUS-02")
        s = self.suspension
        if s is None:
            raise RuleViolation(f"agreement {self.number} is not suspended", rule="SUS-02",
                                remedy="nothing to resume")
        if s["resumption_applied_on"] is not None:
            raise RuleViolation("resumption already applied for", rule="SUS-02",
                                remedy="record the agency's decision or inspection")
        if s["kind"] == "voluntary" and applied_on > s["resume_by"]:
            raise RuleViolation(f"the voluntary suspension's 180 days ran out on {s['resume_by']}",
                                rule="SUS-02", remedy="the agreement ended automatically")
        # SUS-04: "暂停服务协议期满，经协议机构申请" - the application follows the
        # period, so its last day is still too early.
        if s["kind"] == "disciplinary" and applied_on <= s["planned_end"]:
            raise RuleViolation(f"the disciplinary suspension runs until {s['planned_end']} "
                                f"(its last day); an application on {applied_on} comes "
                                "before the period is over", rule="SUS-04",
                                remedy=f"apply on or after "
                                       f"{s['planned_end'] + timedelta(days=1)}")
        self._resumption_applied(applied_on=applied_on, effective_on=effective_on,
                                 envelope=envelope)

    @event("ResumptionApplied")
    def _resumption_applied(self, applied_on: date, effective_on: date,
                            envelope: Envelope) -> None:
        self.suspensions[-1]["resumption_applied_on"] = applied_on

    def record_inspection(self, *, passed: bool, report_ref: str, effective_on: date,
                          envelope: Envelope) -> None:
        """SUS-04: the on-site inspection after a disciplinary suspension."""
        s = self.suspension
        if s is None or s["kind"] != "disciplinary":
            raise RuleViolation("only a disciplinary suspension ends with an on-site inspection",
                                rule="SUS-04", remedy="resume other suspensions directly")
        if s["resumption_applied_on"] is None:
            raise RuleViolation("the institution has not applied to resume", rule="SUS-04",
                                remedy="record its application first (M 45)")
        # SUS-04: a passed inspection resumes the agreement on its own date, so
        # one dated inside the period (or before the application it answers)
        # would resume service while the suspension still runs.
        earliest = max(s["planned_end"] + timedelta(days=1), s["resumption_applied_on"])
        if effective_on < earliest:
            raise RuleViolation(f"an on-site inspection on {effective_on} comes before the "
                                f"suspension's period is over ({s['planned_end']} is its last "
                                f"day) or before the application of "
                                f"{s['resumption_applied_on']}", rule="SUS-04",
                                remedy=f"inspect on or after {earliest}")
        self._inspected(passed=passed, report_ref=report_ref, effective_on=effective_on,
                        envelope=envelope)
        if passed:
            self._resumed(effective_on=effective_on, envelope=envelope)
        else:
            # TER-01 item 1: rectification failed during the suspension.
            self._raise_obligation(ob.failed_inspection(report_ref), effective_on, envelope)

    @event("Inspected")
    def _inspected(self, passed: bool, report_ref: str, effective_on: date,
                   envelope: Envelope) -> None:
        self.suspensions[-1]["inspection"] = {"passed": passed, "ref": report_ref,
                                              "on": effective_on}

    def resume(self, *, effective_on: date, envelope: Envelope) -> None:
        self._require_live("SUS-01")
        s = self.suspension
        if s is None:
            raise RuleViolation(f"agreement {self.number} is not suspended", rule="SUS-01",
                                remedy="nothing to resume")
        if s["kind"] == "disciplinary":
            raise RuleViolation("a disciplinary suspension resumes only after a passed on-site "
                                "inspection", rule="SUS-04",
                                remedy="record the institution's application and the inspection")
        if s["kind"] == "voluntary" and s["resumption_applied_on"] is None:
            raise RuleViolation("the institution has not applied to resume", rule="SUS-02",
                                remedy="record its application for resumption first")
        if effective_on < s["start"]:
            raise InvalidCommand("cannot resume before the suspension started",
                                 remedy=f"resume on or after {s['start']}")
        self._resumed(effective_on=effective_on, envelope=envelope)

    @event("Resumed")
    def _resumed(self, effective_on: date, envelope: Envelope) -> None:
        self.suspensions[-1]["resumed_on"] = effective_on
        self.status = "active"

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
        found = [s for s in self.suspensions if s.get("command_id") == corrects]
        if not found:
            raise NotFound(f"no suspension of {self.number} was recorded by command {corrects}",
                           rule="AUD-01", remedy="name the command id that recorded it")
        if not reason.strip():
            raise InvalidCommand("a correction says why", rule="AUD-01",
                                 remedy="give the reason for the correction")
        s = found[0]
        if start < self.took_effect_on or (s["resumed_on"] and start >= s["resumed_on"]):  # type: ignore[operator]
            raise RuleViolation("the corrected start lies outside the agreement's effect or "
                                "after the resumption", rule="SUS-01",
                                remedy="give a start inside the agreement's effect")
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
        try:
            g = ground(clause)
        except LookupError:
            g = None
        if g is None or clause not in _BREACH_CODES:
            raise RuleViolation(f"{clause!r} is not a breach clause", rule="SUS-06",
                                remedy="cite an item of MA 42-43, RA 34-35 or DA 35-36")
        if not clause.startswith(self.agreement_type):
            raise RuleViolation(f"{clause} is a clause of another agreement type; this is "
                                f"{self.agreement_type}", rule="AGR-04",
                                remedy=f"cite a clause of the {self.agreement_type} text")
        unknown = sorted(set(sanctions) - set(g.sanctions))
        if unknown:
            raise RuleViolation(f"{clause} provides for {', '.join(g.sanctions)}; not "
                                f"{', '.join(unknown)}", rule="SUS-06",
                                remedy="record only the measures the clause provides")
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
        if self.took_effect_on is None:
            raise RuleViolation("an agreement that never took effect is not terminated",
                                rule="TER-01", remedy="record an upheld objection instead")
        if ground_code not in _TERMINATION_CODES:
            raise RuleViolation(f"{ground_code!r} is not a termination ground", rule="TER-01",
                                remedy="cite an M 39 item or MA 44 / RA 36 / DA 37 item")
        if ground_code[:2] in ("MA", "RA", "DA") and not ground_code.startswith(self.agreement_type):
            raise RuleViolation(f"{ground_code} belongs to another agreement type; this is "
                                f"{self.agreement_type}", rule="AGR-04",
                                remedy=f"cite M 39 or an item of {self.agreement_type}")
        missing = [name for name, value in (("notice_no", notice_no.strip()),
                                            ("report_ref", report_ref.strip()),
                                            ("reported_on", reported_on)) if not value]
        if missing:
            raise RuleViolation("every ending records the written notice and the report to the "
                                f"administrative department; missing {', '.join(missing)}",
                                rule="TER-04", remedy="give notice_no, notice_on, reported_on "
                                                      "and report_ref (M 43)")
        g = ground(ground_code)
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
        if decision == "ending":
            if self.ending is None or not self.ending["notice_no"]:
                raise RuleViolation("there is no agency termination to reverse", rule="DIS-01",
                                    remedy="name a decision the agreement holds")
        elif decision == "suspension":
            if self.suspension is None or self.suspension["kind"] == "voluntary":
                raise RuleViolation("there is no agency suspension in force to reverse",
                                    rule="DIS-01", remedy="name a decision the agreement holds")
        else:
            raise InvalidCommand(f"cannot reverse {decision!r}", rule="DIS-01",
                                 remedy="reverse an 'ending' or a 'suspension'")
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
        """The next consequence that falls due on or before ``up_to``, as
        (due date, what, details); empty when none. One at a time, because
        each changes what follows (an ending stops every later one)."""
        if self.is_ended:
            return []
        found: list[tuple[date, str, dict[str, Any]]] = []
        # AGR-02: the notice ends without an upheld objection: effect the next day.
        if self.took_effect_on is None:
            if self.notice is not None:
                pending = [o for o in self.objections.values() if o["upheld"] is None]
                day = self.notice["until"] + timedelta(days=1)
                if not pending:
                    decided = [o["decided_on"] for o in self.objections.values()]
                    day = max([day, *[d + timedelta(days=1) for d in decided]])
                    found.append((day, "take_effect", {}))
            return [c for c in found if c[0] <= up_to][:1]
        s = self.suspension
        # SUS-02 / CAL-05 / CAL-06: no resumption application by the end of the
        # last day to act ends the agreement the next day.
        if s is not None and s["kind"] == "voluntary" and s["resumption_applied_on"] is None:
            last = calendar.act_deadline(period_last_day(s["start"], VOLUNTARY_MAX_DAYS))
            found.append((last.due + timedelta(days=1), "end", {"ground": "AUTO-SUS-180"}))
        # AGR-07: 30 days' notice runs out.
        if self.early_end is not None:
            found.append((self.early_end["ends_on"], "end", {"ground": "EARLY-NOTICE"}))
        # AGR-06: a change not reported within 30 working days.
        for c in self.changes:
            if c["reported_on"] is None and not c["overdue_raised"]:
                due = calendar.add_working_days(c["approved_on"], CHANGE_REPORT_WORKING_DAYS)
                found.append((due.due + timedelta(days=1), "change_overdue",
                              {"change": c["change"]}))
        # Expiry: SUS-05, renewal (AGR-05), M 51 continuation.
        expiry = self.term_end + timedelta(days=1)
        successor_on = self.renewal.get("successor_effective_on")
        refused_on = self.renewal["refused_on"]
        if self.continued_on is None:
            if s is not None:                        # SUS-05: suspended through expiry
                found.append((expiry, "end", {"ground": "AUTO-SUS-EXPIRY"}))
            elif successor_on is not None and successor_on <= expiry:
                found.append((expiry, "end", {"ground": "RENEWED"}))
            elif refused_on is not None or self.renewal["objections"]:
                found.append((expiry, "end", {"ground": "EXPIRY"}))   # M 36, M 51
            else:
                found.append((expiry, "continue", {}))                # M 51
        else:
            if successor_on is not None:
                found.append((successor_on, "end", {"ground": "RENEWED"}))
            if refused_on is not None:
                found.append((refused_on, "end", {"ground": "EXPIRY"}))
        found.sort(key=lambda c: c[0])
        return [c for c in found if c[0] <= up_to][:1]

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
