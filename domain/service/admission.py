"""Admission: institutions, the people behind them, the facts that bar them,
their payee accounts, and applications up to evaluation (ADM-01..06, CAL-04,
PAY-06). Who may apply is decided by ``domain/policies/admission.py``.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.agency import check_agency
from domain.application import Application as AdmissionApplication
from domain.application import check_materials
from domain.base import Context
from domain.errors import RuleViolation
from domain.institution import Institution, check_kind
from domain.person import Person
from domain.policies import admission as policy
from domain.service.commanding import command
from domain.service.standing import Standing


class AdmissionCommands(Standing):
    """Institutions, people, bar facts, payee accounts, applications."""

    # --- institutions and people (ADM-02, ADM-03) ------------------------------
    @command
    def register_institution(self, ctx: Context, *, code: str, name: str, kind: str,
                             subtype: str | None, agency: str, facts: dict[str, Any],
                             people: list[dict[str, str]]):
        check_agency(agency)
        check_kind(kind, subtype)
        if self._find(Institution, code, "institution") is not None:
            raise RuleViolation("institution {code} is already registered",
                                remedy="amend its facts instead, or use another code",
                                key="refusal.service_admission.institution_already_registered",
                                values={"code": code})
        env = ctx.envelope
        links = [{"person_id": p["person_id"], "role": p["role"]} for p in people]
        inst = Institution.register(code=code, name=name, kind=kind, subtype=subtype,
                                    agency=agency, facts=facts, people=links,
                                    effective_on=ctx.effective_on, envelope=env)
        persons = self._note_people(ctx, code, people)
        return [inst, *persons], {"institution": code, "kind": kind, "subtype": subtype}

    def _note_people(self, ctx: Context, code: str,
                     people: list[dict[str, str]]) -> list[Person]:
        persons: dict[str, Person] = {}
        for p in people:
            person = persons.get(p["person_id"]) or self._find(Person, p["person_id"], "person")
            if person is None:
                person = Person.register(person_id=p["person_id"],
                                         name=p.get("name") or p["person_id"],
                                         effective_on=ctx.effective_on, envelope=ctx.envelope)
            person.note_link(code, p["role"], ctx.effective_on, ctx.envelope)
            persons[p["person_id"]] = person
        return list(persons.values())

    @command
    def amend_institution(self, ctx: Context, *, institution: str, changes: dict[str, Any]):
        inst = self._institution_on(institution, ctx)
        inst.amend_facts(changes, ctx.effective_on, ctx.envelope)
        return [inst], {"institution": institution, "changed": sorted(changes)}

    @command
    def link_person(self, ctx: Context, *, institution: str, person_id: str, name: str,
                    role: str):
        inst = self._get(Institution, institution, "institution")
        inst.link_person(person_id, role, ctx.effective_on, ctx.envelope)
        persons = self._note_people(ctx, institution,
                                    [{"person_id": person_id, "name": name, "role": role}])
        return [inst, *persons], {"institution": institution, "person": person_id, "role": role}

    @command
    def unlink_person(self, ctx: Context, *, institution: str, person_id: str, role: str):
        inst = self._get(Institution, institution, "institution")
        inst.unlink_person(person_id, role, ctx.effective_on, ctx.envelope)
        person = self._get(Person, person_id, "person")
        person.note_unlink(institution, role, ctx.effective_on, ctx.envelope)
        return [inst, person], {"institution": institution, "person": person_id, "role": role}

    @command
    def list_as_dishonest(self, ctx: Context, *, person_id: str, listed_on: date,
                          list_ref: str):
        person = self._get(Person, person_id, "person")
        person.list_as_dishonest(listed_on, list_ref, ctx.effective_on, ctx.envelope)
        return [person], {"person": person_id, "listed_on": listed_on}

    @command
    def delist_dishonest(self, ctx: Context, *, person_id: str, delisted_on: date):
        person = self._get(Person, person_id, "person")
        person.delist(delisted_on, ctx.effective_on, ctx.envelope)
        return [person], {"person": person_id, "delisted_on": delisted_on}

    @command
    def record_bar_fact(self, ctx: Context, *, institution: str, ground: str,
                        occurred_on: date, note: str):
        inst = self._get(Institution, institution, "institution")
        inst.record_bar_fact(ground, occurred_on, note, ctx.effective_on, ctx.envelope)
        return [inst], {"institution": institution, "ground": ground}

    @command
    def lift_bar_fact(self, ctx: Context, *, institution: str, ground: str,
                      lifted_on: date, note: str):
        inst = self._get(Institution, institution, "institution")
        inst.lift_bar_fact(ground, lifted_on, note, ctx.effective_on, ctx.envelope)
        return [inst], {"institution": institution, "ground": ground, "lifted_on": lifted_on}

    @command
    def record_payee_account(self, ctx: Context, *, institution: str, account_name: str,
                             bank: str, account_number: str):
        """PAY-06: the account the fund pays the institution to, from the
        command's date on; bank statements name it, not the institution code."""
        inst = self._institution_on(institution, ctx)
        replaced = inst.record_payee_account(account_name, bank, account_number,
                                             ctx.effective_on, ctx.envelope)
        return [inst], {"institution": institution, "account_name": account_name.strip(),
                        "bank": bank.strip(), "account_number": account_number.strip(),
                        "from": ctx.effective_on,
                        "replaces": replaced["account_number"] if replaced else None}

    # --- applications (ADM-01..07) ---------------------------------------------
    @command
    def submit_application(self, ctx: Context, *, number: str, institution: str,
                           materials: list[str]):
        inst = self._institution_on(institution, ctx)
        check_materials(materials)
        if self._find(AdmissionApplication, number, "application") is not None:
            raise RuleViolation("application number {number} is already used",
                                remedy="give the application a new number",
                                key="refusal.service_admission.application_number_already_used",
                                values={"number": number})
        others = [self._find(AdmissionApplication, other, "application")
                  for other in inst.applications]
        policy.require_no_open_application(institution, [a for a in others if a is not None])
        policy.require_basic_conditions(institution, inst.kind, inst.facts, ctx.effective_on)
        grounds = self.bars_on(inst, ctx.effective_on)  # ADM-03: checked on the application date
        policy.require_may_apply(institution, ctx.effective_on, grounds)
        app = AdmissionApplication.submit(
            number=number, institution_code=institution, agency=inst.agency, kind=inst.kind,
            subtype=inst.subtype, materials=materials,
            facts=dict(inst.facts),
            effective_on=ctx.effective_on, envelope=ctx.envelope)
        inst.note_application(number, ctx.effective_on, ctx.envelope)
        cal = self.calendar()
        due = app.notice_due(cal)
        return [inst, app], {"application": number, "missing": app.missing,
                             "notice_due": due.due if app.missing else None,
                             "provisional": due.provisional if app.missing else False}

    @command
    def send_materials_notice(self, ctx: Context, *, application: str, notice_no: str,
                              missing: list[str], supply_by: date):
        app = self._get(AdmissionApplication, application, "application")
        due = app.notice_due(self.calendar())
        app.send_materials_notice(notice_no=notice_no, missing=missing, supply_by=supply_by,
                                  effective_on=ctx.effective_on,
                                  envelope=ctx.with_document(notice_no).envelope)
        return [app], {"application": application, "notice_no": notice_no,
                       "notice_due": due.due, "late": ctx.effective_on > due.due,
                       "provisional": due.provisional}

    @command
    def supply_materials(self, ctx: Context, *, application: str, items: list[str]):
        app = self._get(AdmissionApplication, application, "application")
        app.supply_materials(items=items, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [app], {"application": application, "still_missing": app.missing,
                       "evaluation_due": app.evaluation_due}

    @command
    def accept_application(self, ctx: Context, *, application: str):
        app = self._get(AdmissionApplication, application, "application")
        app.accept(effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [app], {"application": application, "evaluation_due": app.evaluation_due}

    @command
    def request_supplement(self, ctx: Context, *, application: str, items: list[str],
                           reason: str):
        app = self._get(AdmissionApplication, application, "application")
        check_materials(items)
        app.request_supplement(items=items, reason=reason, effective_on=ctx.effective_on,
                               envelope=ctx.envelope)
        return [app], {"application": application, "clock": "paused"}

    @command
    def decline_application(self, ctx: Context, *, application: str, reasons: list[str]):
        app = self._get(AdmissionApplication, application, "application")
        app.decline(reasons=reasons, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [app], {"application": application, "status": app.status}

    @command
    def withdraw_application(self, ctx: Context, *, application: str, reason: str):
        app = self._get(AdmissionApplication, application, "application")
        app.withdraw(reason=reason, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [app], {"application": application, "status": app.status}

    @command
    def exempt_from_evaluation(self, ctx: Context, *, application: str,
                               basic_medical_designation: str, fits_planning: bool):
        app = self._get(AdmissionApplication, application, "application")
        app.exempt(basis={"basic_medical_designation": basic_medical_designation,
                          "fits_planning": fits_planning, "article": "M 16"},
                   effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [app], {"application": application, "status": app.status}
