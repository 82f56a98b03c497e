"""Sanctions on practitioners: a bar proposed, approved by the department
and reported to the regulator (SAN-01); claims naming a barred practitioner
are refused in ``claims.py`` (SAN-02).
"""
from __future__ import annotations

from domain.base import Context
from domain.person import Person
from domain.service.commanding import command
from domain.service.core import LedgerCore


class SanctionCommands(LedgerCore):
    """Practitioner bars."""

    # --- SAN-01..02: practitioner bars --------------------------------------------
    @command
    def propose_practitioner_bar(self, ctx: Context, *, bar_no: str, person_id: str,
                                 name: str, institution: str, years: int, finding: str):
        self._institution_on(institution, ctx)
        person = self._find(Person, person_id, "person") or Person.register(
            person_id=person_id, name=name or person_id, effective_on=ctx.effective_on,
            envelope=ctx.envelope)
        person.note_link(institution, "practitioner", ctx.effective_on, ctx.envelope)
        person.propose_bar(bar_no=bar_no, institution_code=institution, years=years,
                           finding=finding, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [person], {"bar": bar_no, "person": person_id, "years": years,
                          "in_effect": False}

    @command
    def approve_practitioner_bar(self, ctx: Context, *, bar_no: str, person_id: str,
                                 approval_ref: str):
        person = self._get(Person, person_id, "person")
        bar = person.approve_bar(bar_no=bar_no, approval_ref=approval_ref,
                                 effective_on=ctx.effective_on,
                                 envelope=ctx.with_document(approval_ref).envelope)
        return [person], {"bar": bar_no, "person": person_id, "from": bar["approved_on"],
                          "until": bar["until"]}

    @command
    def report_bar_to_regulator(self, ctx: Context, *, bar_no: str, person_id: str,
                                regulator: str, report_ref: str):
        person = self._get(Person, person_id, "person")
        person.report_bar(bar_no=bar_no, regulator=regulator, report_ref=report_ref,
                          effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [person], {"bar": bar_no, "regulator": regulator}
