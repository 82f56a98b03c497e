"""An investigation case, from its leads to its conclusion (SUP-04, SUP-05;
M 18, 29, 32).

A case is opened on one or more open leads about one institution, assigned
to the officers who run it, and investigated step by step: calls (电话询问),
on-site inspections (实地检查), network monitoring (网络监控) (M 29), and
requests for explanation, which the institution answers within 5 working
days (M 32, counted as PAY-04). It closes as *founded*, naming the
findings, suspensions, endings or bars it led to (each checked against the
ledger by the service), or as *unfounded* with the reason. A closed case
takes no more steps; a new lead opens a new case.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar
from domain.errors import InvalidCommand, RuleViolation

STEPS = ("call", "on_site_inspection", "network_monitoring")   # M 29
EXPLAIN_WORKING_DAYS = 5                                       # M 32 "5个工作日内"
CONCLUSIONS = ("founded", "unfounded")
# what a founded case may name as the decision it led to, and the subject it is on
OUTCOME_KINDS = {"finding": "agreement", "suspension": "agreement",
                 "termination": "agreement", "bar": "person"}


class Case(LedgerAggregate):
    """One case, found by its number."""

    @staticmethod
    def id_for(number: str):
        return stable_id("case", number)

    @classmethod
    def open(cls, *, number: str, institution_code: str, agency: str, leads: list[str],
             summary: str, effective_on: date, envelope: Envelope) -> "Case":
        if not leads or len(set(leads)) != len(leads):
            raise InvalidCommand("a case is opened on one or more leads, each once", rule="SUP-04",
                                 remedy="name the leads it investigates",
                                 key="refusal.case.case_opened_on_one")
        if not summary.strip():
            raise InvalidCommand("a case says what it investigates", rule="SUP-04",
                                 remedy="give a summary", key="refusal.case.case_says_what_it")
        return cls._create(cls.Opened, id=cls.id_for(number), number=number,
                           institution_code=institution_code, agency=agency, leads=list(leads),
                           summary=summary, effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        number: str
        institution_code: str
        agency: str
        leads: list[str]
        summary: str
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, institution_code: str, agency: str, leads: list[str],
                 summary: str, effective_on: date) -> None:
        self.number = number
        self.institution_code = institution_code
        self.agency = agency
        self.leads = list(leads)
        self.summary = summary
        self.opened_on = effective_on
        self.assigned_to: list[str] = []
        self.steps: list[dict[str, Any]] = []
        self.requests: dict[str, dict[str, Any]] = {}
        self.closed: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def _require_open(self) -> None:
        if self.closed is not None:
            raise RuleViolation("case {number} was closed on {on}", rule="SUP-04",
                                remedy="a new lead opens a new case",
                                key="refusal.case.case_was_closed_on", values={"number": self.number,
                                "on": self.closed['on']})

    def _require_not_before_opening(self, on: date, what: str) -> None:
        if on < self.opened_on:
            raise RuleViolation("{what} on {on} comes before case {number} was opened "
                                "({opened_on})", rule="SUP-04",
                                remedy="date it on or after {opened_on}",
                                key="refusal.case.on_comes_before_case", values={"what": what, "on": on,
                                "number": self.number, "opened_on": self.opened_on})

    # --- leads and officers ------------------------------------------------------------
    def add_lead(self, *, lead: str, effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        if lead in self.leads:
            raise RuleViolation("lead {lead} is already in case {number}", rule="SUP-04",
                                remedy="name another lead", key="refusal.case.lead_already_in_case",
                                values={"lead": lead, "number": self.number})
        self._lead_added(lead=lead, effective_on=effective_on, envelope=envelope)

    @event("LeadAdded")
    def _lead_added(self, lead: str, effective_on: date, envelope: Envelope) -> None:
        self.leads.append(lead)

    def assign(self, *, officers: list[str], effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        if not officers or len(set(officers)) != len(officers):
            raise InvalidCommand("a case is assigned to one or more officers, each once",
                                 rule="SUP-04", remedy="name the officers",
                                 key="refusal.case.case_assigned_one_or")
        self._assigned(officers=list(officers), effective_on=effective_on, envelope=envelope)

    @event("Assigned")
    def _assigned(self, officers: list[str], effective_on: date, envelope: Envelope) -> None:
        self.assigned_to = officers

    # --- steps (M 29) ------------------------------------------------------------------
    def record_step(self, *, step: str, summary: str, ref: str, effective_on: date,
                    envelope: Envelope) -> None:
        self._require_open()
        if step not in STEPS:
            raise InvalidCommand("unknown step {step!r}", rule="SUP-04",
                                 remedy="use one of {STEPS} (M 29); a request for explanation "
                                        "is request_explanation", key="refusal.case.unknown_step_step",
                                 values={"step": step, "STEPS": ', '.join(STEPS)})
        if not summary.strip():
            raise InvalidCommand("a step says what was done and found", rule="SUP-04",
                                 remedy="give a summary", key="refusal.case.step_says_what_was")
        self._require_not_before_opening(effective_on, f"the {step}")
        self._step_recorded(step=step, summary=summary, ref=ref, effective_on=effective_on,
                            envelope=envelope)

    @event("StepRecorded")
    def _step_recorded(self, step: str, summary: str, ref: str, effective_on: date,
                       envelope: Envelope) -> None:
        self.steps.append({"step": step, "summary": summary, "ref": ref, "on": effective_on})

    # --- requests for explanation (SUP-05; M 32) --------------------------------------------
    def request_explanation(self, *, request: str, question: str, calendar: WorkingCalendar,
                            effective_on: date, envelope: Envelope) -> date:
        self._require_open()
        if request in self.requests:
            raise RuleViolation("case {number} already has request {request}", rule="SUP-05",
                                remedy="give the request a new number",
                                key="refusal.case.case_already_has_request", values={"number": self.number,
                                "request": request})
        if not question.strip():
            raise InvalidCommand("a request says what is to be explained", rule="SUP-05",
                                 remedy="give the question",
                                 key="refusal.case.request_says_what_explained")
        self._require_not_before_opening(effective_on, "the request")
        due = calendar.add_working_days(effective_on, EXPLAIN_WORKING_DAYS)   # CAL-02
        self._explanation_requested(request=request, question=question, explain_by=due.due,
                                    provisional=due.provisional, effective_on=effective_on,
                                    envelope=envelope)
        return due.due

    @event("ExplanationRequested")
    def _explanation_requested(self, request: str, question: str, explain_by: date,
                               provisional: bool, effective_on: date,
                               envelope: Envelope) -> None:
        self.requests[request] = {"request": request, "question": question,
                                  "asked_on": effective_on, "explain_by": explain_by,
                                  "provisional": provisional, "answered_on": None,
                                  "late": None, "summary": ""}

    def record_explanation(self, *, request: str, summary: str, effective_on: date,
                           envelope: Envelope) -> bool:
        """The institution's explanation, received on ``effective_on``; True
        when it came within the time (SUP-05)."""
        self._require_open()
        r = self.requests.get(request)
        if r is None:
            raise RuleViolation("case {number} has no request {request}", rule="SUP-05",
                                remedy="name a request of this case",
                                key="refusal.case.case_has_no_request", values={"number": self.number,
                                "request": request})
        if r["answered_on"] is not None:
            raise RuleViolation("request {request} was answered on {answered_on}", rule="SUP-05",
                                remedy="record a further request instead",
                                key="refusal.case.request_was_answered_on", values={"request": request,
                                "answered_on": r['answered_on']})
        if effective_on < r["asked_on"]:
            raise RuleViolation("an explanation on {effective_on} comes before the request "
                                "({asked_on})", rule="SUP-05",
                                remedy="date it on the day it was received",
                                key="refusal.case.explanation_on_comes_before",
                                values={"effective_on": effective_on, "asked_on": r['asked_on']})
        late = effective_on > r["explain_by"]
        self._explained(request=request, summary=summary, late=late, effective_on=effective_on,
                        envelope=envelope)
        return not late

    @event("ExplanationReceived")
    def _explained(self, request: str, summary: str, late: bool, effective_on: date,
                   envelope: Envelope) -> None:
        self.requests[request].update(answered_on=effective_on, late=late, summary=summary)

    def waiting_for(self, on: date) -> list[dict[str, Any]]:
        """Requests unanswered and still within their time on ``on``."""
        return [r for r in self.requests.values()
                if r["answered_on"] is None and on <= r["explain_by"]]

    # --- closing -----------------------------------------------------------------------
    def close(self, *, conclusion: str, reason: str, outcomes: list[dict[str, str]],
              effective_on: date, envelope: Envelope) -> None:
        """``outcomes`` are checked against the ledger by the service; here
        only their shape and what a conclusion needs."""
        self._require_open()
        if conclusion not in CONCLUSIONS:
            raise InvalidCommand("unknown conclusion {conclusion!r}", rule="SUP-04",
                                 remedy="use one of {CONCLUSIONS}",
                                 key="refusal.case.unknown_conclusion_conclusion",
                                 values={"conclusion": conclusion,
                                 "CONCLUSIONS": ', '.join(CONCLUSIONS)})
        for o in outcomes:
            if o.get("kind") not in OUTCOME_KINDS or not o.get("subject") or not o.get("ref"):
                raise InvalidCommand("an outcome is a kind ({OUTCOME_KINDS}), a subject and a "
                                     "ref", rule="SUP-04",
                                     remedy="name the agreement or person and the decision",
                                     key="refusal.case.outcome_kind_subject_and",
                                     values={"OUTCOME_KINDS": ', '.join(OUTCOME_KINDS)})
        if conclusion == "founded" and not outcomes:
            raise RuleViolation("a founded case names the decisions it led to", rule="SUP-04",
                                remedy="record the finding, suspension, ending or bar first, "
                                       "then name it", key="refusal.case.founded_case_names_decisions")
        if conclusion == "unfounded" and outcomes:
            raise RuleViolation("an unfounded case led to no decision", rule="SUP-04",
                                remedy="close it as founded, or leave out the outcomes",
                                key="refusal.case.unfounded_case_led_no")
        if not reason.strip():
            raise InvalidCommand("closing a case says why", rule="SUP-04",
                                 remedy="give the reason or the facts established",
                                 key="refusal.case.closing_case_says_why")
        self._require_not_before_opening(effective_on, "closing")
        waiting = self.waiting_for(effective_on)
        if waiting:
            # SUP-05 (M 32): the institution is heard before the case is decided
            last = max(r["explain_by"] for r in waiting)
            raise RuleViolation("request(s) {value} may still be answered (until {last})",
                                rule="SUP-05",
                                remedy="record the explanation, or close after {last}",
                                key="refusal.case.request_s_may_still",
                                values={"value": ', '.join((r['request'] for r in waiting)),
                                "last": last})
        self._closed(conclusion=conclusion, reason=reason, outcomes=list(outcomes),
                     effective_on=effective_on, envelope=envelope)

    @event("Closed")
    def _closed(self, conclusion: str, reason: str, outcomes: list[dict[str, str]],
                effective_on: date, envelope: Envelope) -> None:
        self.closed = {"conclusion": conclusion, "reason": reason, "outcomes": outcomes,
                       "on": effective_on}

    def state(self) -> dict[str, Any]:
        return {"case": self.number, "institution": self.institution_code,
                "agency": self.agency, "leads": list(self.leads), "summary": self.summary,
                "opened_on": self.opened_on, "assigned_to": list(self.assigned_to),
                "steps": list(self.steps), "requests": list(self.requests.values()),
                "status": "open" if self.closed is None else self.closed["conclusion"],
                "closed": self.closed}


def case_deadlines(case: Case, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """A case's deadlines, shaped as projections/deadlines.py's
    ``agreement_deadlines`` rows so the deadlines view can list them
    (``on_date`` there applies the day asked). The last day is counted
    again with ``calendar``, as that view counts the AGR-06 report: a year
    whose arrangement was loaded after the request makes it final."""
    rows: list[dict[str, Any]] = []
    if case.closed is not None:
        return rows
    for r in case.requests.values():
        if r["answered_on"] is not None:
            continue
        d = calendar.add_working_days(r["asked_on"], EXPLAIN_WORKING_DAYS)
        rows.append({"subject": f"case {case.number}",
                     "what": f"institution explains (request {r['request']}): {r['question']}",
                     "rule": "SUP-05", "due": d.due, "overdue_possible": True,
                     "provisional": d.provisional, "shown_until": None})
    return rows
