"""People behind institutions: legal representatives, principals, actual
controllers, investors and practitioners (ADM-03 items 1 and 4; SAN-01)."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import add_years
from domain.errors import InvalidCommand, NotFound, RuleViolation

BAR_YEARS = (1, 5)  # SAN-01: "停止1-5年工伤保险服务资格" (M 44)


class Person(LedgerAggregate):
    """A natural or legal person, found by a stable key (ID or credit code)."""

    @staticmethod
    def id_for(person_id: str):
        return stable_id("person", person_id)

    @classmethod
    def register(cls, *, person_id: str, name: str, effective_on: date,
                 envelope: Envelope) -> "Person":
        if not person_id.strip() or not name.strip():
            raise InvalidCommand("a person needs an id and a name",
                                 remedy="give the ID card number or credit code, and the name",
                                 key="refusal.person.person_needs_id_and")
        return cls._create(cls.Registered, id=cls.id_for(person_id), person_id=person_id,
                           name=name, effective_on=effective_on, envelope=envelope)

    class Registered(LedgerAggregate.Created):
        person_id: str
        name: str
        effective_on: date
        envelope: Envelope

    def __init__(self, person_id: str, name: str) -> None:
        self.person_id = person_id
        self.name = name
        self.institutions: list[dict[str, str]] = []  # {"code", "role"}
        self.dishonesty: list[dict[str, Any]] = []    # {"listed_on", "delisted_on", "list_ref"}
        self.bars: dict[str, dict[str, Any]] = {}     # bar number -> practitioner bar (SAN-01)

    def note_link(self, institution_code: str, role: str, effective_on: date,
                  envelope: Envelope) -> None:
        link = {"code": institution_code, "role": role}
        if link not in self.institutions:
            self._linked(institution_code=institution_code, role=role,
                         effective_on=effective_on, envelope=envelope)

    @event("LinkedToInstitution")
    def _linked(self, institution_code: str, role: str, effective_on: date,
                envelope: Envelope) -> None:
        self.institutions.append({"code": institution_code, "role": role})

    def note_unlink(self, institution_code: str, role: str, effective_on: date,
                    envelope: Envelope) -> None:
        if {"code": institution_code, "role": role} in self.institutions:
            self._unlinked(institution_code=institution_code, role=role,
                           effective_on=effective_on, envelope=envelope)

    @event("UnlinkedFromInstitution")
    def _unlinked(self, institution_code: str, role: str, effective_on: date,
                  envelope: Envelope) -> None:
        self.institutions.remove({"code": institution_code, "role": role})

    def is_listed_on(self, on: date) -> bool:
        return any(e["listed_on"] <= on and (e["delisted_on"] is None or on < e["delisted_on"])
                   for e in self.dishonesty)

    def list_as_dishonest(self, listed_on: date, list_ref: str, effective_on: date,
                          envelope: Envelope) -> None:
        # ADM-03 item 1: barred while listed.
        if any(e["delisted_on"] is None for e in self.dishonesty):
            raise RuleViolation("{person_id} is already on the dishonesty list", rule="ADM-03",
                                remedy="record the delisting first",
                                key="refusal.person.already_on_dishonesty_list",
                                values={"person_id": self.person_id})
        self._listed(listed_on=listed_on, list_ref=list_ref, effective_on=effective_on,
                     envelope=envelope)

    @event("ListedAsDishonest")
    def _listed(self, listed_on: date, list_ref: str, effective_on: date,
                envelope: Envelope) -> None:
        self.dishonesty.append({"listed_on": listed_on, "delisted_on": None,
                                "list_ref": list_ref})

    def delist(self, delisted_on: date, effective_on: date, envelope: Envelope) -> None:
        open_entries = [e for e in self.dishonesty if e["delisted_on"] is None]
        if not open_entries:
            raise RuleViolation("{person_id} is not on the dishonesty list", rule="ADM-03",
                                remedy="only a listed person can be delisted",
                                key="refusal.person.not_on_dishonesty_list",
                                values={"person_id": self.person_id})
        if delisted_on < open_entries[0]["listed_on"]:
            raise InvalidCommand("delisting cannot precede listing",
                                 remedy="use a date on or after {listed_on}",
                                 key="refusal.person.delisting_cannot_precede_listing",
                                 values={"listed_on": open_entries[0]['listed_on']})
        self._delisted(delisted_on=delisted_on, effective_on=effective_on, envelope=envelope)

    @event("Delisted")
    def _delisted(self, delisted_on: date, effective_on: date, envelope: Envelope) -> None:
        for e in self.dishonesty:
            if e["delisted_on"] is None:
                e["delisted_on"] = delisted_on

    # --- SAN-01: practitioner bars ---------------------------------------------
    def propose_bar(self, *, bar_no: str, institution_code: str, years: int, finding: str,
                    effective_on: date, envelope: Envelope) -> None:
        if bar_no in self.bars:
            raise RuleViolation("bar {bar_no} already recorded", rule="SAN-01",
                                remedy="use a new bar number", key="refusal.person.bar_already_recorded",
                                values={"bar_no": bar_no})
        if not BAR_YEARS[0] <= years <= BAR_YEARS[1]:
            raise RuleViolation("a practitioner bar lasts 1 to 5 years, got {years}",
                                rule="SAN-01", remedy="give years between 1 and 5 (M 44)",
                                key="refusal.person.practitioner_bar_lasts_years", values={"years": years})
        if not finding.strip():
            raise InvalidCommand("a bar rests on a finding of fraud against the fund",
                                 rule="SAN-01", remedy="describe the finding",
                                 key="refusal.person.bar_rests_on_finding")
        self._bar_proposed(bar_no=bar_no, institution_code=institution_code, years=years,
                           finding=finding, effective_on=effective_on, envelope=envelope)

    @event("BarProposed")
    def _bar_proposed(self, bar_no: str, institution_code: str, years: int, finding: str,
                      effective_on: date, envelope: Envelope) -> None:
        self.bars[bar_no] = {"bar_no": bar_no, "institution": institution_code, "years": years,
                             "finding": finding, "proposed_on": effective_on,
                             "approved_on": None, "approval_ref": "", "until": None,
                             "reported": None, "reversed_on": None}

    def _bar(self, bar_no: str) -> dict[str, Any]:
        bar = self.bars.get(bar_no)
        if bar is None:
            raise NotFound("{person_id} has no bar {bar_no}", rule="SAN-01",
                           remedy="name a proposed bar", key="refusal.person.has_no_bar",
                           values={"person_id": self.person_id, "bar_no": bar_no})
        return bar

    def approve_bar(self, *, bar_no: str, approval_ref: str, effective_on: date,
                    envelope: Envelope) -> dict[str, Any]:
        """SAN-01: the bar takes effect only with the administrative department's
        approval, from the approval date."""
        bar = self._bar(bar_no)
        if bar["approved_on"] is not None:
            raise RuleViolation("bar {bar_no} was approved on {approved_on}", rule="SAN-01",
                                remedy="nothing to do", key="refusal.person.bar_was_approved_on",
                                values={"bar_no": bar_no, "approved_on": bar['approved_on']})
        if not approval_ref.strip():
            raise InvalidCommand("the approval's reference is needed", rule="SAN-01",
                                 remedy="give the administrative department's approval number",
                                 key="refusal.person.approval_s_reference_needed")
        until = add_years(effective_on, bar["years"])
        self._bar_approved(bar_no=bar_no, approval_ref=approval_ref, until=until,
                           effective_on=effective_on, envelope=envelope)
        return self.bars[bar_no]

    @event("BarApproved")
    def _bar_approved(self, bar_no: str, approval_ref: str, until: date, effective_on: date,
                      envelope: Envelope) -> None:
        self.bars[bar_no].update(approved_on=effective_on, approval_ref=approval_ref,
                                 until=until)

    def report_bar(self, *, bar_no: str, regulator: str, report_ref: str, effective_on: date,
                   envelope: Envelope) -> None:
        bar = self._bar(bar_no)
        if bar["approved_on"] is None:
            raise RuleViolation("report a bar to the regulator once it is approved", rule="SAN-01",
                                remedy="record the approval first",
                                key="refusal.person.report_bar_regulator_once")
        self._bar_reported(bar_no=bar_no, regulator=regulator, report_ref=report_ref,
                           effective_on=effective_on, envelope=envelope)

    @event("BarReported")
    def _bar_reported(self, bar_no: str, regulator: str, report_ref: str, effective_on: date,
                      envelope: Envelope) -> None:
        self.bars[bar_no]["reported"] = {"regulator": regulator, "ref": report_ref,
                                         "on": effective_on}

    def reverse_bar(self, *, bar_no: str, dispute_no: str, effective_on: date,
                    envelope: Envelope) -> None:
        bar = self._bar(bar_no)
        if bar["reversed_on"] is not None:
            raise RuleViolation("bar {bar_no} is already reversed", rule="DIS-01",
                                remedy="nothing to do", key="refusal.person.bar_already_reversed",
                                values={"bar_no": bar_no})
        self._bar_reversed(bar_no=bar_no, dispute_no=dispute_no, effective_on=effective_on,
                           envelope=envelope)

    @event("BarReversed")
    def _bar_reversed(self, bar_no: str, dispute_no: str, effective_on: date,
                      envelope: Envelope) -> None:
        self.bars[bar_no]["reversed_on"] = effective_on
        self.bars[bar_no]["reversed_by"] = dispute_no

    def barred_on(self, day: date) -> dict[str, Any] | None:
        """SAN-02: the approved bar covering ``day``, if any."""
        for bar in self.bars.values():
            if bar["approved_on"] is None or day < bar["approved_on"] or day > bar["until"]:
                continue
            if bar["reversed_on"] is not None and day >= bar["reversed_on"]:
                continue
            return bar
        return None

    def state(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name,
                "institutions": self.institutions,
                "dishonesty": [{k: (v.isoformat() if isinstance(v, date) else v)
                                for k, v in e.items()} for e in self.dishonesty]}
