"""The record of a handled command, so that a repeated command id is answered
with the first result and records nothing new (idempotency, AUD-04)."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.base import Envelope, LedgerAggregate, stable_id


class CommandRecord(LedgerAggregate):
    @staticmethod
    def id_for(command_id: str):
        return stable_id("command", command_id)

    @classmethod
    def handled(cls, *, command_id: str, name: str, fingerprint: str, result: dict[str, Any],
                effective_on: date, envelope: Envelope) -> "CommandRecord":
        return cls._create(cls.Handled, id=cls.id_for(command_id), command_id=command_id,
                           name=name, fingerprint=fingerprint, result=result,
                           effective_on=effective_on, envelope=envelope)

    class Handled(LedgerAggregate.Created):
        command_id: str
        name: str
        fingerprint: str
        result: dict[str, Any]
        effective_on: date
        envelope: Envelope

    def __init__(self, command_id: str, name: str, fingerprint: str,
                 result: dict[str, Any]) -> None:
        self.command_id = command_id
        self.name = name
        self.fingerprint = fingerprint
        self.result = result
