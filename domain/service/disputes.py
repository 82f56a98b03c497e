"""Disputes over the agency's decisions, their route and outcome; a reversal
is a compensating event on what it reverses, never an edit (DIS-01).
"""
from __future__ import annotations

from domain.agreement import Agreement
from domain.base import Context, LedgerAggregate
from domain.dispute import Dispute
from domain.errors import NotFound, RuleViolation
from domain.person import Person
from domain.service.commanding import command
from domain.service.core import LedgerCore


class DisputeCommands(LedgerCore):
    """Disputes (DIS-01)."""

    # --- DIS-01: disputes -------------------------------------------------------------
    @command
    def open_dispute(self, ctx: Context, *, number: str, institution: str,
                     agreement: str | None, person_id: str | None, bar_no: str | None,
                     matter: str, route: str, decision: str, summary: str):
        self._institution_on(institution, ctx)
        if self._find(Dispute, number, "dispute") is not None:
            raise RuleViolation("dispute number {number} is already used", rule="DIS-01",
                                remedy="give the dispute a new number",
                                key="refusal.service_disputes.dispute_number_already_used",
                                values={"number": number})
        if agreement:
            self._get(Agreement, agreement, "agreement")
        if decision == "bar":
            person = self._get(Person, person_id or "", "person")
            if bar_no not in person.bars:
                raise NotFound("{person_id} has no bar {bar_no}", rule="DIS-01",
                               remedy="name the disputed bar", key="refusal.service_disputes.has_no_bar",
                               values={"person_id": person_id, "bar_no": bar_no})
        dispute = Dispute.open(number=number, institution_code=institution, agreement=agreement,
                               person_id=person_id, bar_no=bar_no, matter=matter, route=route,
                               decision=decision, summary=summary,
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [dispute], {"dispute": number, "route": route}

    @command
    def change_dispute_route(self, ctx: Context, *, number: str, route: str):
        dispute = self._get(Dispute, number, "dispute")
        dispute.escalate(route=route, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [dispute], {"dispute": number, "route": route}

    @command
    def record_dispute_outcome(self, ctx: Context, *, number: str, outcome: str, ref: str,
                               summary: str):
        dispute = self._get(Dispute, number, "dispute")
        dispute.decide(outcome=outcome, ref=ref, summary=summary, effective_on=ctx.effective_on,
                       envelope=ctx.with_document(ref).envelope)
        changed: list[LedgerAggregate] = [dispute]
        if outcome == "decision_reversed":
            # DIS-01: a compensating event on what is reversed, never an edit.
            if dispute.decision == "bar":
                person = self._get(Person, dispute.person_id or "", "person")
                person.reverse_bar(bar_no=dispute.bar_no or "", dispute_no=number,
                                   effective_on=ctx.effective_on, envelope=ctx.envelope)
                changed.append(person)
            else:
                if not dispute.agreement:
                    raise RuleViolation("the dispute names no agreement", rule="DIS-01",
                                        remedy="open the dispute on the agreement",
                                        key="refusal.service_disputes.dispute_names_no_agreement")
                ag, touched = self._up_to_date(dispute.agreement, ctx)
                ag.reverse(decision=dispute.decision, dispute_no=number, outcome=summary,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
                changed += [ag, *touched]
                if dispute.decision == "ending":
                    registry = self._registry(ctx)
                    registry.reinstate(dispute.agreement, ctx.effective_on, ctx.envelope)
                    changed.append(registry)
        return changed, {"dispute": number, "outcome": outcome}
