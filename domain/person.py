"""People behind institutions: legal representatives, principals, actual
controllers, investors and practitioners (ADM-03 items 1 and 4; SAN-01)."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation


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
                                 remedy="give the ID card number or credit code, and the name")
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
            raise RuleViolation(f"{self.person_id} is already on the dishonesty list",
                                rule="ADM-03", remedy="record the delisting first")
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
            raise RuleViolation(f"{self.person_id} is not on the dishonesty list",
                                rule="ADM-03", remedy="only a listed person can be delisted")
        if delisted_on < open_entries[0]["listed_on"]:
            raise InvalidCommand("delisting cannot precede listing",
                                 remedy=f"use a date on or after {open_entries[0]['listed_on']}")
        self._delisted(delisted_on=delisted_on, effective_on=effective_on, envelope=envelope)

    @event("Delisted")
    def _delisted(self, delisted_on: date, effective_on: date, envelope: Envelope) -> None:
        for e in self.dishonesty:
            if e["delisted_on"] is None:
                e["delisted_on"] = delisted_on

    def state(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name,
                "institutions": self.institutions,
                "dishonesty": [{k: (v.isoformat() if isinstance(v, date) else v)
                                for k, v in e.items()} for e in self.dishonesty]}
