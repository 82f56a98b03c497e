"""The list of agreements, so that time passing (``tick``) can visit each one."""
from __future__ import annotations

from datetime import date

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id


class Registry(LedgerAggregate):
    ID = stable_id("registry", "agreements")

    @classmethod
    def open(cls, effective_on: date, envelope: Envelope) -> "Registry":
        return cls._create(cls.Opened, id=cls.ID, effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        effective_on: date
        envelope: Envelope

    def __init__(self) -> None:
        self.agreements: list[str] = []
        self.ended: list[str] = []

    def list_agreement(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self._listed(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementListed")
    def _listed(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.agreements.append(number)

    @property
    def live(self) -> list[str]:
        ended = set(self.ended)
        return [n for n in self.agreements if n not in ended]

    def retire(self, number: str, effective_on: date, envelope: Envelope) -> None:
        """An ended agreement needs no more visits from the clock."""
        if number in self.agreements and number not in self.ended:
            self._retired(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementRetired")
    def _retired(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.ended.append(number)

    def reinstate(self, number: str, effective_on: date, envelope: Envelope) -> None:
        """A reversed ending (DIS-01) puts the agreement back under the clock."""
        if number in self.ended:
            self._reinstated(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementReinstated")
    def _reinstated(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.ended.remove(number)
