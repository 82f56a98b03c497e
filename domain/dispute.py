"""Disputes over signing, performing, changing or ending an agreement, and
over practitioner bars (DIS-01; M 40). An outcome that reverses a decision
is recorded as a new compensating event on what it reverses, never an edit."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation

MATTERS = ("signing", "performing", "changing", "ending", "practitioner_bar")
ROUTES = ("negotiation", "coordination", "administrative_review", "litigation")  # M 40
OUTCOMES = ("decision_upheld", "decision_reversed", "settled", "withdrawn")
DECISIONS = ("ending", "suspension", "bar", "other")


class Dispute(LedgerAggregate):
    @staticmethod
    def id_for(number: str):
        return stable_id("dispute", number)

    @classmethod
    def open(cls, *, number: str, institution_code: str, agreement: str | None,
             person_id: str | None, bar_no: str | None, matter: str, route: str,
             decision: str, summary: str, effective_on: date,
             envelope: Envelope) -> "Dispute":
        if matter not in MATTERS:
            raise InvalidCommand("unknown matter {matter!r}", rule="DIS-01",
                                 remedy="use one of {MATTERS}",
                                 key="refusal.dispute.unknown_matter_matter", values={"matter": matter,
                                 "MATTERS": ', '.join(MATTERS)})
        if route not in ROUTES:
            raise InvalidCommand("unknown route {route!r}", rule="DIS-01",
                                 remedy="use one of {ROUTES} (M 40)",
                                 key="refusal.dispute.unknown_route_route_2", values={"route": route,
                                 "ROUTES": ', '.join(ROUTES)})
        if decision not in DECISIONS:
            raise InvalidCommand("unknown decision {decision!r}", rule="DIS-01",
                                 remedy="use one of {DECISIONS}",
                                 key="refusal.dispute.unknown_decision_decision",
                                 values={"decision": decision, "DECISIONS": ', '.join(DECISIONS)})
        return cls._create(cls.Opened, id=cls.id_for(number), number=number,
                           institution_code=institution_code, agreement=agreement,
                           person_id=person_id, bar_no=bar_no, matter=matter, route=route,
                           decision=decision, summary=summary, effective_on=effective_on,
                           envelope=envelope)

    class Opened(LedgerAggregate.Created):
        number: str
        institution_code: str
        agreement: str | None
        person_id: str | None
        bar_no: str | None
        matter: str
        route: str
        decision: str
        summary: str
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, institution_code: str, agreement: str | None,
                 person_id: str | None, bar_no: str | None, matter: str, route: str,
                 decision: str, summary: str, effective_on: date) -> None:
        self.number = number
        self.institution_code = institution_code
        self.agreement = agreement
        self.person_id = person_id
        self.bar_no = bar_no
        self.matter = matter
        self.routes = [{"route": route, "on": effective_on}]
        self.decision = decision
        self.summary = summary
        self.outcome: dict[str, Any] | None = None

    def escalate(self, *, route: str, effective_on: date, envelope: Envelope) -> None:
        if self.outcome is not None:
            raise RuleViolation("dispute {number} is closed", rule="DIS-01",
                                remedy="open a new dispute", key="refusal.dispute.dispute_closed_number",
                                values={"number": self.number})
        if route not in ROUTES:
            raise InvalidCommand("unknown route {route!r}", rule="DIS-01",
                                 remedy="use one of {ROUTES}", key="refusal.dispute.unknown_route_route",
                                 values={"route": route, "ROUTES": ', '.join(ROUTES)})
        self._escalated(route=route, effective_on=effective_on, envelope=envelope)

    @event("RouteChanged")
    def _escalated(self, route: str, effective_on: date, envelope: Envelope) -> None:
        self.routes.append({"route": route, "on": effective_on})

    def decide(self, *, outcome: str, ref: str, summary: str, effective_on: date,
               envelope: Envelope) -> None:
        if self.outcome is not None:
            raise RuleViolation("dispute {number} already has its outcome", rule="DIS-01",
                                remedy="a further appeal is a new dispute",
                                key="refusal.dispute.dispute_already_has_its",
                                values={"number": self.number})
        if outcome not in OUTCOMES:
            raise InvalidCommand("unknown outcome {outcome!r}", rule="DIS-01",
                                 remedy="use one of {OUTCOMES}",
                                 key="refusal.dispute.unknown_outcome_outcome", values={"outcome": outcome,
                                 "OUTCOMES": ', '.join(OUTCOMES)})
        if outcome == "decision_reversed" and self.decision == "other":
            raise RuleViolation("only an ending, a suspension or a bar can be reversed in the "
                                "ledger", rule="DIS-01",
                                remedy="record the outcome as settled, or name the decision",
                                key="refusal.dispute.only_ending_suspension_or")
        self._decided(outcome=outcome, ref=ref, summary=summary, effective_on=effective_on,
                      envelope=envelope)

    @event("OutcomeRecorded")
    def _decided(self, outcome: str, ref: str, summary: str, effective_on: date,
                 envelope: Envelope) -> None:
        self.outcome = {"outcome": outcome, "ref": ref, "summary": summary, "on": effective_on}
