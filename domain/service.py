"""The application service: one method per command.

Each command method checks the rules against the aggregates it loads, lets
them emit events, and saves everything (the events and the command's own
record) in one atomic write. A repeated command id is answered with the first
result and records nothing new; a rejected command raises a named error and
records nothing.
"""
from __future__ import annotations

import functools
import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Transcoder, Transcoding

from domain.agency import Agency, check_agency
from domain.agreement import Agreement
from domain.application import Application as AdmissionApplication
from domain.application import MATERIALS, check_materials
from domain.bars import BarFact, Ending, Listing, application_bars
from domain.base import Context, Envelope, LedgerAggregate
from domain.calendar import WorkingCalendar, YearArrangement, add_months
from domain.calendar_book import CalendarBook
from domain.assessment import Assessment
from domain.claim import Claim, month_key
from domain.command_record import CommandRecord
from domain.fund_account import FundAccount
from domain.dispute import Dispute
from domain.errors import Conflict, Ground, InvalidCommand, NotFound, RuleViolation
from domain.evaluation import Evaluation
from domain.institution import SISTER_LINK_ROLES, Institution, check_kind
from domain.money import Money, require_within
from domain.grounds import AGREEMENT_TYPES
from domain.person import Person
from domain.reconciliation import StatementImport
from domain.registry import Registry
from domain.roles import check_role

A = TypeVar("A", bound=LedgerAggregate)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnvelopeAsDict(Transcoding):
    type = Envelope
    name = "envelope"

    def encode(self, obj: Envelope) -> dict[str, str]:
        return obj.as_dict()

    def decode(self, data: dict[str, str]) -> Envelope:
        return Envelope.from_dict(data)


class MoneyAsFen(Transcoding):
    type = Money
    name = "money_fen"

    def encode(self, obj: Money) -> int:
        return obj.fen

    def decode(self, data: int) -> Money:
        return Money(int(data))


def _plain(value: Any) -> Any:
    """A JSON-able, canonical form of a command's arguments or result."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return value.yuan()
    if isinstance(value, UUID):
        return str(value)
    return value


def fingerprint(name: str, ctx: Context, args: dict[str, Any]) -> str:
    """What makes a command the same command: its name, date, who gives it,
    the document it rests on and its fields."""
    text = json.dumps({"command": name, "effective_on": ctx.effective_on.isoformat(),
                       "user": ctx.user, "role": ctx.role, "document": ctx.document,
                       "args": _plain(args)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def excellent_years_considered(scores: dict[int, Decimal], term_start: date) -> list[int]:
    """AGR-03: the three years that decide a 2-year term. A renewal for year Y
    is usually signed before Y-1's assessment exists (it is done in Y's first
    quarter), so the last three assessed years count when the latest of them
    is Y-1 or Y-2; otherwise Y-1, Y-2, Y-3, and any missing year fails."""
    latest = max((y for y in scores if y <= term_start.year - 1), default=None)
    if latest is None or latest < term_start.year - 2:
        latest = term_start.year - 1
    return [latest - k for k in (0, 1, 2)]


def command(method: Callable[..., tuple[list[LedgerAggregate], dict[str, Any]]]):
    """Make a handler idempotent and atomic: ``method(self, ctx, **args)``
    returns the aggregates to save and the result to answer with."""
    name = method.__name__

    @functools.wraps(method)
    def handle(self: "Ledger", ctx: Context, **args: Any) -> dict[str, Any]:
        check_role(name, ctx.role)
        fp = fingerprint(name, ctx, args)
        earlier = self._command_record(ctx.command_id)
        if earlier is not None:
            return self._replay_answer(earlier, fp, name)
        aggregates, result = method(self, ctx, **args)
        result = _plain({"command": name, "command_id": ctx.command_id, **result})
        record = CommandRecord.handled(command_id=ctx.command_id, name=name, fingerprint=fp,
                                       result=result, effective_on=ctx.effective_on,
                                       envelope=ctx.envelope)
        try:
            self.save(*aggregates, record)
        except IntegrityError:
            # Someone else handled the same command id first: answer as they did.
            earlier = self._command_record(ctx.command_id)
            if earlier is None:
                raise
            return self._replay_answer(earlier, fp, name)
        return {**result, "recorded": True}

    handle.is_command = True  # type: ignore[attr-defined]
    return handle


class Ledger(Application):
    """The agreement ledger's application service."""

    name = "Ledger"
    snapshotting_intervals = {Registry: 100}

    def register_transcodings(self, transcoder: Transcoder) -> None:  # type: ignore[override]
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())
        transcoder.register(EnvelopeAsDict())
        transcoder.register(MoneyAsFen())

    # --- plumbing --------------------------------------------------------------
    def _command_record(self, command_id: str) -> CommandRecord | None:
        try:
            return self.repository.get(CommandRecord.id_for(command_id))
        except AggregateNotFoundError:
            return None

    @staticmethod
    def _replay_answer(record: CommandRecord, fp: str, name: str) -> dict[str, Any]:
        if record.fingerprint != fp:
            raise Conflict(
                f"command id {record.command_id} was already used for a different "
                f"{record.name} command", remedy="give this command a new command id")
        return {**record.result, "recorded": False}

    def _find(self, cls: type[A], key: str, what: str) -> A | None:
        try:
            return self.repository.get(cls.id_for(key))  # type: ignore[attr-defined]
        except AggregateNotFoundError:
            return None

    def _get(self, cls: type[A], key: str, what: str, remedy: str = "") -> A:
        found = self._find(cls, key, what)
        if found is None:
            raise NotFound(f"unknown {what} {key!r}",
                           remedy=remedy or f"register the {what} first, or check the {what} code")
        return found

    def calendar(self) -> WorkingCalendar:
        try:
            book: CalendarBook = self.repository.get(CalendarBook.ID)
        except AggregateNotFoundError:
            return WorkingCalendar()
        return book.calendar()

    def read_log(self, start: int = 1, *, batch: int = 1000) -> Iterator[tuple[int, Any]]:
        """Every stored event in log order with its notification id."""
        position = start
        while True:
            notifications = self.recorder.select_notifications(start=position, limit=batch)
            if not notifications:
                return
            for n in notifications:
                yield n.id, self.mapper.to_domain_event(n)
            position = notifications[-1].id + 1

    # --- calendar (CAL-01) -----------------------------------------------------
    @command
    def load_calendar_year(self, ctx: Context, *, arrangement: dict[str, Any]):
        try:
            year = YearArrangement.from_mapping(arrangement)
        except ValueError as e:
            raise InvalidCommand(str(e), rule="CAL-01",
                                 remedy="give year, holidays and make-up workdays as ISO dates "
                                        "within that year") from None
        try:
            book = self.repository.get(CalendarBook.ID)
        except AggregateNotFoundError:
            book = CalendarBook.open(ctx.effective_on, ctx.envelope)
        book.load_year(year, ctx.effective_on, ctx.envelope)
        return [book], {"year": year.year, "holidays": len(year.holidays),
                        "workdays": len(year.workdays)}

    # --- institutions and people (ADM-02, ADM-03) ------------------------------
    @command
    def register_institution(self, ctx: Context, *, code: str, name: str, kind: str,
                             subtype: str | None, agency: str, facts: dict[str, Any],
                             people: list[dict[str, str]]):
        check_agency(agency)
        check_kind(kind, subtype)
        if self._find(Institution, code, "institution") is not None:
            raise RuleViolation(f"institution {code} is already registered",
                                remedy="amend its facts instead, or use another code")
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

    # --- who may apply (ADM-01, ADM-03, EVA-05) --------------------------------
    def sister_codes(self, inst: Institution) -> set[str]:
        """Institutions sharing a legal representative or investor (ADM-03 item 4)."""
        codes: set[str] = set()
        for pid in inst.person_ids(SISTER_LINK_ROLES):
            person = self._find(Person, pid, "person")
            if person is None:
                continue
            codes |= {link["code"] for link in person.institutions
                      if link["role"] in SISTER_LINK_ROLES}
        codes.discard(inst.code)
        return codes

    def breach_endings(self, inst: Institution) -> list[Ending]:
        """Agreements of this institution ended (解除) by an agency for breach or
        violation: the ledger's own endings, and earlier ones recorded as M 11(5)
        bar facts. Expiry, automatic and agreed endings bar nothing (TER-05)."""
        endings = [Ending(inst.code, f["occurred_on"], "M11-5")
                   for f in inst.bar_facts
                   if f["ground"] == "M11-5" and f["lifted_on"] is None]
        for number in inst.agreements:
            agreement = self._find(Agreement, number, "agreement")
            if agreement is not None and agreement.ending and agreement.ending["is_breach"]:
                endings.append(Ending(inst.code, agreement.ending["ended_on"],
                                      agreement.ending["ground"]))
        return endings

    def bars_on(self, inst: Institution, on: date) -> list:
        listings = []
        for p in inst.people:
            person = self._find(Person, p["person_id"], "person")
            if person is None:
                continue
            for entry in person.dishonesty:
                listings.append(Listing(person.person_id, p["role"], entry["listed_on"],
                                        entry["delisted_on"]))
        facts = [BarFact(f["ground"], f["occurred_on"], f["lifted_on"], f["note"])
                 for f in inst.bar_facts if f["ground"] != "M11-5"]
        sister_endings: list[Ending] = []
        for code in sorted(self.sister_codes(inst)):
            sister = self._find(Institution, code, "institution")
            if sister is not None:
                sister_endings += self.breach_endings(sister)
        return application_bars(on, institution_code=inst.code, facts=facts,
                                listings=listings, own_endings=self.breach_endings(inst),
                                sister_endings=sister_endings,
                                second_fail_served_on=self._second_fails(inst))

    def _second_fails(self, inst: Institution) -> list[date]:
        served = []
        for number in inst.applications:
            app = self._find(AdmissionApplication, number, "application")
            if app is None or len(app.evaluations) < 2:
                continue
            ev = self._find(Evaluation, app.evaluations[-1], "evaluation")
            if ev is not None and ev.result and not ev.result["passed"]:
                served.append(ev.result["served_on"])
        return served

    @staticmethod
    def basic_conditions(inst: Institution, facts: dict[str, Any], on: date) -> list[str]:
        """ADM-01: the kind's basic conditions that the F1 facts do not meet."""
        problems: list[str] = []
        level = int(facts.get("level") or 0)
        category = facts.get("category", "")
        if not facts.get("licence_no"):
            problems.append("no practice or business licence number (M 8-10)")
        if inst.kind == "rehab" and not ((category == "rehab" and level >= 2)
                                         or (category == "general" and level >= 3)):
            problems.append(f"rehab needs a level-2 rehab specialty hospital or a level-3 "
                            f"general hospital; this is {category or 'unknown'} level {level} "
                            f"(M 9(2))")
        if inst.kind == "assistive":
            if not facts.get("legal_person"):
                problems.append("an assistive institution must be a legal person (M 10(2))")
            started = facts.get("business_started_on")
            if started is None or (date.fromisoformat(str(started)) > add_months(on, -3)):
                problems.append(f"an assistive institution needs 3 or more months in the "
                                f"business; started {started or 'unknown'} (M 10(2))")
        return problems

    # --- applications (ADM-01..07) ---------------------------------------------
    @command
    def submit_application(self, ctx: Context, *, number: str, institution: str,
                           materials: list[str]):
        inst = self._institution_on(institution, ctx)
        check_materials(materials)
        if self._find(AdmissionApplication, number, "application") is not None:
            raise RuleViolation(f"application number {number} is already used",
                                remedy="give the application a new number")
        for other in inst.applications:
            app = self._find(AdmissionApplication, other, "application")
            if app is not None and app.is_open and app.status not in ("passed", "exempted"):
                raise RuleViolation(f"{institution} has application {other} open "
                                    f"({app.status})", rule="ADM-05",
                                    remedy="withdraw it or wait for its result")
        problems = self.basic_conditions(inst, inst.facts, ctx.effective_on)
        if problems:
            raise RuleViolation(f"{institution} does not meet the basic conditions for a "
                                f"{inst.kind} agreement: " + "; ".join(problems),
                                rule="ADM-01",
                                remedy="amend the institution's F1 facts if they are wrong")
        grounds = self.bars_on(inst, ctx.effective_on)  # ADM-03: checked on the application date
        if grounds:
            raise RuleViolation(
                f"{institution} may not apply on {ctx.effective_on}: "
                f"{len(grounds)} ground(s) under M 11", rule="ADM-03", grounds=tuple(grounds),
                remedy="apply again once every ground has lifted (dates above); grounds "
                       "without a date lift only when the fact is recorded as ended")
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

    # --- evaluation (EVA-01..06) ----------------------------------------------
    @command
    def form_panel(self, ctx: Context, *, evaluation: str, application: str,
                   members: list[dict[str, Any]]):
        app = self._get(AdmissionApplication, application, "application")
        if self._find(Evaluation, evaluation, "evaluation") is not None:
            raise RuleViolation(f"evaluation number {evaluation} is already used",
                                remedy="give the evaluation a new number")
        if not app.is_open:
            raise RuleViolation(f"application {application} is {app.status}",
                                rule="EVA-05" if app.status == "closed" else "ADM-05",
                                remedy="file a new application")
        if app.accepted_on is None:
            raise RuleViolation("the application is not accepted: the evaluation clock has "
                                "not started", rule="ADM-05", remedy="accept the application")
        if app.exemption is not None:
            raise RuleViolation("the application was exempted from evaluation", rule="ADM-06",
                                remedy="an exempted application is not evaluated")
        if app.is_paused:
            raise RuleViolation("the applicant is still supplying materials", rule="ADM-05",
                                remedy="record the supplied materials first")
        if app.evaluations:
            previous = self._get(Evaluation, app.evaluations[-1], "evaluation")
            if previous.result is None:
                raise RuleViolation(f"evaluation {previous.number} is still open",
                                    rule="EVA-06", remedy="conclude it with its report first")
            if previous.result["passed"]:
                raise RuleViolation("the application already passed", rule="EVA-04",
                                    remedy="sign the agreement")
            wait_until = previous.reevaluation_from
            if wait_until is not None and ctx.effective_on < wait_until:
                raise RuleViolation(
                    f"the failed result was served on {previous.result['served_on']}; a "
                    f"re-evaluation may be organised from {wait_until}", rule="EVA-05",
                    grounds=(), remedy=f"form the panel on or after {wait_until}")
        members = [dict(m) for m in members]
        ev = Evaluation.form_panel(number=evaluation, application_no=application,
                                   institution_code=app.institution_code,
                                   attempt=len(app.evaluations) + 1, kind=app.kind,
                                   subtype=app.subtype, members=members,
                                   effective_on=ctx.effective_on, envelope=ctx.envelope)
        app.start_evaluation(evaluation_no=evaluation, effective_on=ctx.effective_on,
                             envelope=ctx.envelope)
        return [ev, app], {"evaluation": evaluation, "attempt": ev.attempt,
                           "form": ev.form_id, "scoring_members": len(ev.scoring_members),
                           "recused": ev.recused}

    @command
    def record_scores(self, ctx: Context, *, evaluation: str, scored_by: list[str],
                      deductions: dict[str, list[list[Any]]], awarded: dict[str, Decimal],
                      veto_failed: list[str]):
        ev = self._get(Evaluation, evaluation, "evaluation")
        ev.record_scores(scored_by=scored_by, deductions=deductions, awarded=awarded,
                         veto_failed=veto_failed, effective_on=ctx.effective_on,
                         envelope=ctx.envelope)
        return [ev], {"evaluation": evaluation, "total": ev.sheet["total"],
                      "veto_failed": ev.sheet["veto_failed"]}

    @command
    def conclude_evaluation(self, ctx: Context, *, evaluation: str, report_no: str,
                            served_on: date | None, validity_years: int | None,
                            reasons: list[str], advice: str):
        ev = self._get(Evaluation, evaluation, "evaluation")
        app = self._get(AdmissionApplication, ev.application_no, "application")
        result = ev.conclude(report_no=report_no, served_on=served_on or ctx.effective_on,
                             validity_years=validity_years, reasons=reasons, advice=advice,
                             effective_on=ctx.effective_on,
                             envelope=ctx.with_document(report_no).envelope)
        final = ev.attempt >= 2
        app.note_result(evaluation_no=evaluation, passed=result["passed"], final=final,
                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        # ADM-05 times the evaluation that acceptance starts; a re-evaluation
        # comes after the 3-month rectification (EVA-05) and has no such clock.
        due = app.evaluation_due if ev.attempt == 1 else None
        return [ev, app], {
            "evaluation": evaluation, "passed": result["passed"], "total": result["total"],
            "veto_failed": result["veto_failed"], "valid_until": result["valid_until"],
            "reevaluation_from": ev.reevaluation_from, "reapply_from": ev.reapply_from,
            "overdue": bool(due and ctx.effective_on > due), "evaluation_due": due}

    # --- the rehab pilot (ADM-07) ----------------------------------------------
    @command
    def select_rehab_pilot(self, ctx: Context, *, agency: str, institution: str):
        check_agency(agency)
        inst = self._institution_on(institution, ctx)
        if inst.kind != "rehab":
            raise RuleViolation(f"{institution} is a {inst.kind} institution", rule="ADM-07",
                                remedy="only rehab institutions join the rehab pilot")
        if inst.agency != agency:
            raise RuleViolation(f"{institution} belongs to agency {inst.agency}, not {agency}",
                                rule="ADM-07", remedy=f"select it as a pilot of {inst.agency}")
        if not self.valid_pass(inst, ctx.effective_on):
            raise RuleViolation(f"{institution} holds no valid evaluation pass on "
                                f"{ctx.effective_on}", rule="ADM-07",
                                remedy="M 17 selects among institutions that passed evaluation")
        ag = self._find(Agency, agency, "agency") or Agency.open(agency, ctx.effective_on,
                                                                 ctx.envelope)
        ag.select_rehab_pilot(institution, ctx.effective_on, ctx.envelope)
        return [ag], {"agency": agency, "rehab_pilots": sorted(ag.rehab_pilots)}

    @command
    def release_rehab_pilot(self, ctx: Context, *, agency: str, institution: str,
                            reason: str):
        ag = self._get(Agency, agency, "agency")
        ag.release_rehab_pilot(institution, ctx.effective_on, ctx.envelope, reason)
        return [ag], {"agency": agency, "rehab_pilots": sorted(ag.rehab_pilots)}

    def valid_pass(self, inst: Institution, on: date) -> Evaluation | None:
        """EVA-04: the evaluation whose pass is valid on ``on``, if any."""
        for number in reversed(inst.applications):
            app = self._find(AdmissionApplication, number, "application")
            for ev_no in reversed(app.evaluations if app else []):
                ev = self._find(Evaluation, ev_no, "evaluation")
                if ev is not None and ev.pass_valid_on(on):
                    return ev
        return None

    # --- agreements: signing and effect (AGR-01..04, ADM-07) ---------------------
    def annual_scores(self, inst: Institution) -> dict[int, Decimal]:
        """Year -> annual assessment total over the institution's agreements (ASM)."""
        scores: dict[int, Decimal] = {}
        for number in inst.agreements:
            ag = self._find(Agreement, number, "agreement")
            if ag is None:
                continue
            # Its term, and the years it went on under M 51 until it ended.
            last = ag.ending["ended_on"].year if ag.ending else (
                ag.term_end.year + 10 if ag.continued_on else ag.term_end.year)
            for year in range(ag.term_start.year, last + 1):
                found = self._find(Assessment, Assessment.key(number, year), "assessment")
                if found is not None:
                    scores[year] = found.total
        return scores

    def _registry(self, ctx: Context) -> Registry:
        try:
            return self.repository.get(Registry.ID)
        except AggregateNotFoundError:
            return Registry.open(ctx.effective_on, ctx.envelope)

    def _clock(self, ctx: Context) -> Envelope:
        return Envelope(user="ledger-clock", role="system", command_id=ctx.command_id,
                        document="")

    def _up_to_date(self, number: str, ctx: Context) -> tuple[Agreement, list[LedgerAggregate]]:
        """The agreement with every consequence due by the command's date
        recorded first (dated the day each fell due), and what else changed."""
        agreement = self._get(Agreement, number, "agreement")
        touched = self._advance(agreement, ctx.effective_on, self._clock(ctx))
        return agreement, touched

    def _advance(self, agreement: Agreement, up_to: date,
                 envelope: Envelope) -> list[LedgerAggregate]:
        cal = self.calendar()
        touched: list[LedgerAggregate] = []
        for day, what, _ in agreement.bring_up_to(up_to, cal, envelope):
            if what == "take_effect" and agreement.renewal_of:
                predecessor = self._get(Agreement, agreement.renewal_of, "agreement")
                predecessor.note_successor_effect(on=max(day, agreement.term_start),
                                                  envelope=envelope)
                predecessor.bring_up_to(up_to, cal, envelope)
                touched.append(predecessor)
        return touched

    @command
    def sign_agreement(self, ctx: Context, *, number: str, institution: str,
                       agreement_type: str | None, term_start: date, term_years: int,
                       renewal_of: str | None, late_reason: str):
        inst = self._institution_on(institution, ctx)
        if self._find(Agreement, number, "agreement") is not None:
            raise RuleViolation(f"agreement number {number} is already used",
                                remedy="give the agreement a new number")
        agreement_type = agreement_type or AGREEMENT_TYPES[inst.kind]
        touched: list[LedgerAggregate] = []
        if renewal_of:
            predecessor, touched = self._up_to_date(renewal_of, ctx)
            if predecessor.institution_code != institution:
                raise RuleViolation(f"{renewal_of} belongs to {predecessor.institution_code}",
                                    rule="AGR-05", remedy="renew the institution's own agreement")
            predecessor._require_in_force("AGR-05")
            if predecessor.renewal["refused_on"] is not None:
                raise RuleViolation(f"renewal of {renewal_of} was refused", rule="AGR-05",
                                    remedy="a new agreement needs a new application")
            if predecessor.renewal["successor"]:
                raise RuleViolation(f"{renewal_of} was already renewed by "
                                    f"{predecessor.renewal['successor']}", rule="AGR-05",
                                    remedy="nothing to do")
            basis = {"renewal_of": renewal_of, "article": "M 36"}
            touched = [predecessor, *touched]
        else:
            basis = self._admission_basis(inst, ctx.effective_on)
            for number_ in inst.agreements:
                other = self._find(Agreement, number_, "agreement")
                if other is not None and not other.is_ended and other.agency == inst.agency:
                    raise RuleViolation(f"{institution} already holds agreement {number_}",
                                        rule="AGR-05", remedy="renew it (renewal_of) instead")
        grounds = self.bars_on(inst, ctx.effective_on)  # AGR-01: no bar (ADM-03)
        if grounds:
            raise RuleViolation(f"{institution} is barred on {ctx.effective_on}", rule="AGR-01",
                                grounds=tuple(grounds),
                                remedy="sign once every ground has lifted")
        if inst.kind == "rehab":  # ADM-07: only the agency's selected pilots
            pilots = self._find(Agency, inst.agency, "agency")
            if pilots is None or institution not in pilots.rehab_pilots:
                raise RuleViolation(f"{institution} is not a rehab pilot of agency {inst.agency}",
                                    rule="ADM-07",
                                    remedy="the agency selects 1-2 passed rehab institutions first")
        if term_years == 2:  # AGR-03: three consecutive excellent years
            last3 = excellent_years_considered(self.annual_scores(inst), term_start)
            scores = self.annual_scores(inst)
            short = [y for y in last3 if scores.get(y, Decimal(-1)) < 90]
            if short:
                raise RuleViolation(
                    f"a 2-year agreement needs annual assessments of 90 or more in each of "
                    f"{', '.join(map(str, sorted(last3)))}; not met for "
                    f"{', '.join(map(str, sorted(short)))}", rule="AGR-03",
                    remedy="sign for 1 year")
        agreement = Agreement.sign(number=number, institution_code=institution,
                                   agency=inst.agency, kind=inst.kind,
                                   agreement_type=agreement_type, term_start=term_start,
                                   term_years=term_years, basis=basis, renewal_of=renewal_of,
                                   late_reason=late_reason, effective_on=ctx.effective_on,
                                   envelope=ctx.envelope)
        if renewal_of:
            touched[0].note_successor(successor=number, effective_on=ctx.effective_on,
                                      envelope=ctx.envelope)
        inst.note_agreement(number, ctx.effective_on, ctx.envelope)
        registry = self._registry(ctx)
        registry.list_agreement(number, ctx.effective_on, ctx.envelope)
        return [agreement, inst, registry, *touched], {
            "agreement": number, "type": agreement_type, "term_start": term_start,
            "term_end": agreement.term_end, "late": agreement.late, "basis": basis}

    def _admission_basis(self, inst: Institution, on: date) -> dict[str, Any]:
        """AGR-01: a valid evaluation pass (EVA-04) or an exemption (ADM-06)."""
        ev = self.valid_pass(inst, on)
        if ev is not None:
            return {"evaluation": ev.number, "valid_until": ev.result["valid_until"],
                    "article": "M 15"}
        for number in reversed(inst.applications):
            app = self._find(AdmissionApplication, number, "application")
            if app is not None and app.exemption is not None:
                return {"exemption": number, "article": "M 16"}
        raise RuleViolation(f"{inst.code} holds no valid evaluation pass or exemption on {on}",
                            rule="AGR-01",
                            remedy="an agreement rests on a pass valid on the signing date "
                                   "(EVA-04) or an M 16 exemption (ADM-06)")

    @command
    def file_agreement(self, ctx: Context, *, agreement: str, filing_ref: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.file_with_department(filing_ref=filing_ref, effective_on=ctx.effective_on,
                                envelope=ctx.with_document(filing_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "filing_ref": filing_ref}

    @command
    def start_public_notice(self, ctx: Context, *, agreement: str, notice_ref: str,
                            until: date):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.start_public_notice(notice_ref=notice_ref, until=until, effective_on=ctx.effective_on,
                               envelope=ctx.with_document(notice_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "notice_until": until}

    @command
    def raise_objection(self, ctx: Context, *, agreement: str, objection_no: str,
                        raised_by: str, summary: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.raise_objection(objection_no=objection_no, raised_by=raised_by, summary=summary,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "objection": objection_no}

    @command
    def decide_objection(self, ctx: Context, *, agreement: str, objection_no: str,
                         upheld: bool, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.decide_objection(objection_no=objection_no, upheld=upheld, reason=reason,
                            effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "objection": objection_no,
                                "upheld": upheld, "status": ag.status}

    # --- AGR-05..07: changes, renewal, early ending ----------------------------
    @command
    def record_change(self, ctx: Context, *, agreement: str, change: str, approved_on: date,
                      reported_on: date | None, details: str):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.record_change(change=change, approved_on=approved_on, reported_on=reported_on,
                               details=details, calendar=self.calendar(),
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "change": change, "due": row["due"],
                                "late": row["late"], "provisional": row["provisional"]}

    @command
    def report_change(self, ctx: Context, *, agreement: str, change: str, reported_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.report_change(change=change, reported_on=reported_on,
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "change": change, "due": row["due"],
                                "late": row["late"]}

    @command
    def apply_for_renewal(self, ctx: Context, *, agreement: str, applied_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        late = ag.apply_for_renewal(applied_on=applied_on, effective_on=ctx.effective_on,
                                    envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "late": late,
                                "due_by": ag.renewal["due_by"]}

    @command
    def object_to_renewal(self, ctx: Context, *, agreement: str, raised_by: str,
                          summary: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.object_to_renewal(raised_by=raised_by, summary=summary,
                             effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "raised_by": raised_by}

    @command
    def refuse_renewal(self, ctx: Context, *, agreement: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.refuse_renewal(reason=reason, effective_on=ctx.effective_on, envelope=ctx.envelope)
        touched += self._advance(ag, ctx.effective_on, self._clock(ctx))
        return [ag, *touched], {"agreement": agreement, "ends_on": ag.term_end
                                + timedelta(days=1) if not ag.continued_on else ctx.effective_on}

    @command
    def give_notice_to_end(self, ctx: Context, *, agreement: str, given_by: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ends_on = ag.give_notice_to_end(given_by=given_by, reason=reason,
                                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "ends_on": ends_on,
                                "aftercare": ag.agreement_type == "DA"}

    # --- SUS-01..06: suspension and findings ------------------------------------
    @command
    def suspend_agreement(self, ctx: Context, *, agreement: str, kind: str, ground: str,
                          start: date | None, requested_on: date | None,
                          planned_days: int | None, months: int | None, notice_no: str):
        ag, touched = self._up_to_date(agreement, ctx)
        # The suspension takes effect on its start, which may lie before the
        # day it is recorded (a late-recorded, backdated suspension).
        row = ag.suspend(kind=kind, ground_code=ground, start=start or ctx.effective_on,
                         requested_on=requested_on, planned_days=planned_days, months=months,
                         notice_no=notice_no, calendar=self.calendar(),
                         effective_on=start or ctx.effective_on,
                         envelope=ctx.with_document(notice_no).envelope)
        obligation = next((o for o in ag.obligations if o["rule"] == "TER-02"
                           and o["discharged_on"] is None), None)
        if ag.agreement_type == "DA" and ground.startswith("DA36"):
            touched += self._deposit_losses(ag, ground, 50, ctx)   # DEP-03
        return [ag, *touched], {"agreement": agreement, "kind": kind, "start": row["start"],
                                "planned_end": row["planned_end"], "resume_by": row["resume_by"],
                                "provisional": row["provisional"],
                                "past_expiry": bool(row["planned_end"]
                                                    and row["planned_end"] > ag.term_end),
                                "termination_obligation": obligation is not None}

    @command
    def correct_suspension(self, ctx: Context, *, agreement: str, corrects: str, start: date,
                           reason: str, months: int | None = None):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.correct_suspension(corrects=corrects, start=start, reason=reason,
                                    months=months, calendar=self.calendar(),
                                    effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "corrects": corrects,
                                "start": row["start"], "resume_by": row["resume_by"],
                                "planned_end": row["planned_end"]}

    @command
    def apply_for_resumption(self, ctx: Context, *, agreement: str, applied_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.apply_for_resumption(applied_on=applied_on, effective_on=ctx.effective_on,
                                envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "applied_on": applied_on}

    @command
    def record_inspection(self, ctx: Context, *, agreement: str, passed: bool,
                          report_ref: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.record_inspection(passed=passed, report_ref=report_ref,
                             effective_on=ctx.effective_on,
                             envelope=ctx.with_document(report_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "passed": passed, "status": ag.status}

    @command
    def resume_agreement(self, ctx: Context, *, agreement: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.resume(effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "status": ag.status}

    @command
    def record_breach_finding(self, ctx: Context, *, agreement: str, clause: str,
                              found_on: date, facts: str, sanctions: list[str]):
        ag, touched = self._up_to_date(agreement, ctx)
        g = ag.record_finding(clause=clause, found_on=found_on, facts=facts,
                              sanctions=sanctions, effective_on=ctx.effective_on,
                              envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "clause": clause,
                                "article": g.article, "sanctions": sorted(sanctions)}

    # --- TER-01..05: termination -------------------------------------------------
    @command
    def terminate_agreement(self, ctx: Context, *, agreement: str, ground: str,
                            notice_no: str, notice_on: date | None, reported_on: date | None,
                            report_ref: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        g = ag.terminate(ground_code=ground, notice_no=notice_no,
                         notice_on=notice_on or ctx.effective_on, reported_on=reported_on,
                         report_ref=report_ref, reason=reason, effective_on=ctx.effective_on,
                         envelope=ctx.with_document(notice_no).envelope)
        registry = self._registry(ctx)
        registry.retire(agreement, ctx.effective_on, ctx.envelope)
        if ag.agreement_type == "DA" and ground.startswith("DA37"):
            touched += self._deposit_losses(ag, ground, 100, ctx)  # DEP-03
        return [ag, registry, *touched], {"agreement": agreement, "ground": ground,
                                          "article": g.article, "breach": g.is_breach,
                                          "aftercare": ag.agreement_type == "DA"}

    # --- money: claims, review, payment (PAY-01..10) ------------------------------
    def _account(self, ag: Agreement, year: int, ctx: Context) -> FundAccount:
        return self._find(FundAccount, FundAccount.key(ag.number, year), "fund account") or \
            FundAccount.open(agreement=ag.number, institution_code=ag.institution_code,
                             agency=ag.agency, agreement_type=ag.agreement_type, year=year,
                             effective_on=ctx.effective_on, envelope=ctx.envelope)

    def _claim(self, agreement: str, month: str) -> Claim:
        return self._get(Claim, Claim.key(agreement, month), "claim",
                         remedy="submit the month's claim first")

    @command
    def submit_claim(self, ctx: Context, *, agreement: str, month: str,
                     items: list[dict[str, Any]]):
        ag, touched = self._up_to_date(agreement, ctx)
        if self._find(Claim, Claim.key(agreement, month), "claim") is not None:
            raise RuleViolation(f"agreement {agreement} already has its claim for {month}",
                                rule="PAY-01", remedy="one claim per agreement and service month")
        inst = self._get(Institution, ag.institution_code, "institution")
        grounds = []
        for item in items:
            allowed, rule, why = ag.settles_on(item["service_date"])  # PAY-02, SUS-01, TER-03
            if not allowed:
                grounds.append(Ground(rule, f"item {item['item_id']} dated "
                                      f"{item['service_date']}: {why} (PAY-02)"))
            practitioner = item.get("practitioner_id")
            if practitioner:
                person = self._find(Person, practitioner, "person")
                bar = person.barred_on(item["service_date"]) if person else None
                if bar is not None:  # SAN-02
                    grounds.append(Ground("SAN-02", f"item {item['item_id']}: practitioner "
                                          f"{practitioner} is barred ({bar['bar_no']}) from "
                                          f"{bar['approved_on']} to {bar['until']}",
                                          "M 44", bar["until"]))
        if grounds:
            raise RuleViolation(f"{len(grounds)} item(s) of the {month} claim cannot be settled",
                                rule=grounds[0].rule, grounds=tuple(grounds),
                                remedy="remove those items; costs outside the agreement's "
                                       "effect, inside a suspension or by a barred practitioner "
                                       "are never settled")
        claim = Claim.submit(agreement=agreement, institution_code=ag.institution_code,
                             agency=ag.agency, month=month, items=items,
                             networked=bool(inst.facts.get("networked_settlement")),
                             effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim, ag, *touched], {
            "agreement": agreement, "month": month, "claimed": Money(claim.claimed),
            "non_injury": Money(claim.refused_by_reason().get("non_injury", 0)),
            "late": claim.late, "due_by": claim.due_by}

    @command
    def correct_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           amount_fen: int, service_date: date, injury: bool, corrects: str,
                           reason: str):
        claim = self._claim(agreement, month)
        ag = self._get(Agreement, agreement, "agreement")
        allowed, rule, why = ag.settles_on(service_date)  # the corrected date is checked too
        if not allowed:
            raise RuleViolation(f"item {item_id} corrected to {service_date}: {why}", rule=rule,
                                remedy="a correction cannot bring in what could not be claimed")
        row = claim.correct_item(item_id=item_id, amount_fen=amount_fen,
                                 service_date=service_date, injury=injury, reason=reason,
                                 corrects=corrects, effective_on=ctx.effective_on,
                                 envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "amount": Money(row["amount_fen"]), "was": Money(row["corrected"]["was"])}

    @command
    def draw_sample(self, ctx: Context, *, agreement: str, month: str, seed: str | None):
        claim = self._claim(agreement, month)
        chosen = claim.draw_sample(seed=seed, effective_on=ctx.effective_on,
                                   envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "seed": claim.sample["seed"],
                         "sampled": chosen, "population": claim.sample["population"]}

    @command
    def review_sampled_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                            noncompliant_fen: int, reason: str):
        claim = self._claim(agreement, month)
        deducted = claim.review_sampled_item(item_id=item_id, noncompliant_fen=noncompliant_fen,
                                             reason=reason, effective_on=ctx.effective_on,
                                             envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "noncompliant": Money(noncompliant_fen), "deducted": Money(deducted)}

    @command
    def query_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                         question: str):
        claim = self._claim(agreement, month)
        due = claim.query_item(item_id=item_id, question=question, calendar=self.calendar(),
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "explain_by": due}

    @command
    def record_explanation(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           accepted: bool):
        claim = self._claim(agreement, month)
        claim.record_explanation(item_id=item_id, accepted=accepted,
                                 effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "accepted": accepted}

    @command
    def refuse_unexplained_item(self, ctx: Context, *, agreement: str, month: str,
                                item_id: str):
        claim = self._claim(agreement, month)
        claim.refuse_unexplained(item_id=item_id, effective_on=ctx.effective_on,
                                 envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id}

    @command
    def hold_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                        hold: str, ref: str):
        claim = self._claim(agreement, month)
        claim.hold_item(item_id=item_id, hold=hold, ref=ref, effective_on=ctx.effective_on,
                        envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id, "hold": hold}

    @command
    def release_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           medical_accident: bool | None):
        claim = self._claim(agreement, month)
        claim.release_hold(item_id=item_id, medical_accident=medical_accident,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "status": claim.items[item_id]["status"]}

    @command
    def approve_claim(self, ctx: Context, *, agreement: str, month: str):
        claim = self._claim(agreement, month)
        batch = claim.approve(effective_on=ctx.effective_on, envelope=ctx.envelope)
        changed: list[LedgerAggregate] = [claim]
        if batch["excess"]:
            # PAY-03/PAY-08: a 5x deduction beyond the month's payable amount is owed back.
            ag = self._get(Agreement, agreement, "agreement")
            account = self._account(ag, claim.year, ctx)
            account.order_recovery(amount_fen=batch["excess"], ground="PAY-03",
                                   ref=f"{agreement}:{month}:{batch['batch']}",
                                   effective_on=ctx.effective_on, envelope=ctx.envelope)
            changed.append(account)
        return changed, {"agreement": agreement, "month": month, "batch": batch["batch"],
                         "gross": Money(batch["gross"]), "deducted": Money(batch["deducted"]),
                         "approved": Money(batch["approved"]), "excess": Money(batch["excess"]),
                         "pay_by": batch["pay_by"]}

    @command
    def pay_claim(self, ctx: Context, *, agreement: str, month: str, batch: int, ref: str):
        claim = self._claim(agreement, month)
        row = claim.pay(batch=batch, ref=ref, effective_on=ctx.effective_on,
                        envelope=ctx.with_document(ref).envelope)
        ag = self._get(Agreement, agreement, "agreement")
        account = self._account(ag, claim.year, ctx)
        account.withhold(claim=Claim.key(agreement, month), batch=batch,
                         amount_fen=row["withheld"], effective_on=ctx.effective_on,
                         envelope=ctx.envelope)
        return [claim, account], {"agreement": agreement, "month": month, "batch": batch,
                                  "approved": Money(row["approved"]), "paid": Money(row["paid"]),
                                  "withheld": Money(row["withheld"]), "late": row["late"],
                                  "pay_by": row["pay_by"], "ref": ref}

    @command
    def order_recovery(self, ctx: Context, *, agreement: str, year: int, amount_fen: int,
                       ground: str, ref: str):
        require_within(amount_fen, "an amount to recover")
        ag = self._get(Agreement, agreement, "agreement")
        account = self._account(ag, year, ctx)
        account.order_recovery(amount_fen=amount_fen, ground=ground, ref=ref,
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [account], {"agreement": agreement, "year": year,
                           "to_recover": Money(account.to_recover),
                           "outstanding": Money(account.outstanding)}

    @command
    def record_recovery(self, ctx: Context, *, agreement: str, year: int, amount_fen: int,
                        ref: str):
        require_within(amount_fen, "a recovered amount")
        account = self._get(FundAccount, FundAccount.key(agreement, year), "fund account",
                            remedy="order the recovery first")
        account.record_recovery(amount_fen=amount_fen, ref=ref, effective_on=ctx.effective_on,
                                envelope=ctx.envelope)
        return [account], {"agreement": agreement, "year": year,
                           "recovered": Money(account.recovered),
                           "outstanding": Money(account.outstanding)}

    # --- annual assessment and deposit clearing (ASM, DEP) ----------------------------
    @command
    def record_assessment(self, ctx: Context, *, agreement: str, year: int,
                          deductions: dict[str, list[list[Any]]], awarded: dict[str, Decimal],
                          veto_failed: list[str], survey: dict[str, Decimal] | None,
                          employer_views: list[str], supervisor_views: list[str],
                          satisfaction: str):
        ag = self._get(Agreement, agreement, "agreement")
        if self._find(Assessment, Assessment.key(agreement, year), "assessment") is not None:
            raise RuleViolation(f"{agreement} is already assessed for {year}", rule="ASM-01",
                                remedy="one assessment per agreement and year")
        # A year the agreement was in force: its term, and the months it went
        # on under M 51 (continued) until it ended.
        last_year = ag.ending["ended_on"].year if ag.ending else (
            ctx.effective_on.year if ag.continued_on else ag.term_end.year)
        if ag.took_effect_on is None or not ag.term_start.year <= year <= last_year:
            raise RuleViolation(f"agreement {agreement} was not in force in {year}",
                                rule="ASM-01", remedy="assess a year the agreement was in force")
        assessment = Assessment.record(
            agreement=agreement, institution_code=ag.institution_code, kind=ag.kind, year=year,
            deductions=deductions, awarded=awarded, veto_failed=veto_failed, survey=survey,
            employer_views=employer_views, supervisor_views=supervisor_views,
            satisfaction=satisfaction, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [assessment], {"agreement": agreement, "year": year, "form": assessment.form_id,
                              "total": assessment.total, "veto_failed": assessment.veto_failed}

    @command
    def clear_deposit(self, ctx: Context, *, agreement: str, year: int, ref: str | None):
        ag = self._get(Agreement, agreement, "agreement")
        assessment = self._find(Assessment, Assessment.key(agreement, year), "assessment")
        if assessment is None:
            raise RuleViolation(f"{agreement} has no {year} assessment", rule="DEP-01",
                                remedy="the score decides the return: record the assessment "
                                       "first")
        account = self._account(ag, year, ctx)
        ref = ref or f"DEP-{agreement}-{year}"   # the bank transfer's reference
        row = account.clear(score=assessment.total, assessment=Assessment.key(agreement, year),
                            ref=ref, effective_on=ctx.effective_on,
                            envelope=ctx.with_document(ref).envelope)
        return [account], {"agreement": agreement, "year": year, "score": row["score"],
                           "percent": row["percent"], "returned": Money(row["returned"]),
                           "forfeited": Money(row["forfeited"]), "due_by": row["due_by"],
                           "late": row["late"], "ref": ref}

    def _deposit_losses(self, ag: Agreement, clause: str, percent: int,
                        ctx: Context) -> list[FundAccount]:
        """DEP-03: a DA 36 suspension takes 50% of the deposit held, a DA 37
        termination all of it, from every year not yet cleared."""
        touched = []
        for year in range(ag.term_start.year, ag.term_end.year + 1):
            account = self._find(FundAccount, FundAccount.key(ag.number, year), "fund account")
            if account is not None and account.forfeit_share(
                    percent=percent, clause=clause, effective_on=ctx.effective_on,
                    envelope=ctx.envelope):
                touched.append(account)
        return touched

    # --- reconciliation with the bank (AUD-06) ------------------------------------
    @command
    def record_statement_import(self, ctx: Context, *, sha256: str, file_name: str,
                                encoding: str, lines: int, summary: dict[str, int]):
        """Record that a bank statement was reconciled. The same statement (by
        content) is recorded once; a second import records nothing new."""
        if self._find(StatementImport, sha256, "statement") is not None:
            found = self._get(StatementImport, sha256, "statement")
            return [], {"sha256": sha256, "already_imported_on": found.imported_on,
                        "summary": found.summary}
        record = StatementImport.record(sha256=sha256, file_name=file_name, encoding=encoding,
                                        lines=lines, summary=summary,
                                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [record], {"sha256": sha256, "summary": summary}

    # --- time passing --------------------------------------------------------------
    def tick(self, ctx: Context, *, to: date) -> dict[str, Any]:
        """Record every consequence due by ``to`` for every agreement, each dated
        the day it fell due. Running it again records nothing new."""
        try:
            registry: Registry = self.repository.get(Registry.ID)
        except AggregateNotFoundError:
            return {"command": "tick", "to": to.isoformat(), "recorded": []}
        envelope = Envelope(user=ctx.user, role="system", command_id=ctx.command_id,
                            document="")
        recorded: list[dict[str, Any]] = []
        for number in list(registry.live):
            ag = self._get(Agreement, number, "agreement")
            before = len(ag.pending_events)
            touched = self._advance(ag, to, envelope)
            if len(ag.pending_events) == before:
                continue
            for e in ag.pending_events:
                recorded.append({"agreement": number, "event": type(e).__name__,
                                 "on": e.effective_on.isoformat(),
                                 "ground": getattr(e, "ground_code", None)})
            for changed in (ag, *touched):   # a predecessor may end with its successor
                if isinstance(changed, Agreement) and changed.is_ended:
                    registry.retire(changed.number, to, envelope)
            self.save(ag, *touched)
        if registry.pending_events:
            self.save(registry)
        return {"command": "tick", "to": to.isoformat(), "recorded": recorded}

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

    # --- DIS-01: disputes -------------------------------------------------------------
    @command
    def open_dispute(self, ctx: Context, *, number: str, institution: str,
                     agreement: str | None, person_id: str | None, bar_no: str | None,
                     matter: str, route: str, decision: str, summary: str):
        self._institution_on(institution, ctx)
        if self._find(Dispute, number, "dispute") is not None:
            raise RuleViolation(f"dispute number {number} is already used", rule="DIS-01",
                                remedy="give the dispute a new number")
        if agreement:
            self._get(Agreement, agreement, "agreement")
        if decision == "bar":
            person = self._get(Person, person_id or "", "person")
            if bar_no not in person.bars:
                raise NotFound(f"{person_id} has no bar {bar_no}", rule="DIS-01",
                               remedy="name the disputed bar")
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
                                        remedy="open the dispute on the agreement")
                ag, touched = self._up_to_date(dispute.agreement, ctx)
                ag.reverse(decision=dispute.decision, dispute_no=number, outcome=summary,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
                changed += [ag, *touched]
                if dispute.decision == "ending":
                    registry = self._registry(ctx)
                    registry.reinstate(dispute.agreement, ctx.effective_on, ctx.envelope)
                    changed.append(registry)
        return changed, {"dispute": number, "outcome": outcome}

    # --- reading aggregates for queries -----------------------------------------
    def _institution_on(self, code: str, ctx: Context) -> Institution:
        """The institution an act of the agency names (an application, an
        agreement, a payee account, a dispute...), which must have existed
        on the act's business date (CAL-04): no act on an institution takes
        effect before the day it started business (its F1 fact). Facts about
        its past (people, bar facts) do not come here."""
        inst = self._get(Institution, code, "institution")
        started = inst.facts.get("business_started_on")
        if isinstance(started, date) and ctx.effective_on < started:
            raise RuleViolation(f"{code} started business on {started}; an act on it cannot "
                                f"take effect on {ctx.effective_on}, before that",
                                rule="CAL-04",
                                remedy=f"date the command on or after {started}, or amend the "
                                       "institution's business_started_on if it is wrong")
        return inst

    def institution(self, code: str) -> Institution:
        return self._get(Institution, code, "institution")

    def application(self, number: str) -> AdmissionApplication:
        return self._get(AdmissionApplication, number, "application")

    def evaluation(self, number: str) -> Evaluation:
        return self._get(Evaluation, number, "evaluation")

    def person(self, person_id: str) -> Person:
        return self._get(Person, person_id, "person")

    def statement_import(self, sha256: str) -> StatementImport | None:
        return self._find(StatementImport, sha256, "statement")

    def agreement(self, number: str) -> Agreement:
        return self._get(Agreement, number, "agreement")


COMMANDS: dict[str, Callable[..., dict[str, Any]]] = {
    name: fn for name, fn in vars(Ledger).items() if getattr(fn, "is_command", False)
}
