"""What every ledger event carries, and the base aggregate.

Every event holds the business date it takes effect (``effective_on``, which
may lie in the past) and an :class:`Envelope` saying who recorded it, under
which command and on which document (AUD-04, CAL-04). The instant it was
recorded is the event's ``timestamp``, set when the event is created and kept
by the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:shanxi-work-injury:agreement-ledger")

ROLES = ("case_officer", "evaluator", "finance", "auditor", "investigator",
         "administrator", "system")


@dataclass(frozen=True)
class Envelope:
    """Who recorded an event, under which command, resting on which document
    (AUD-04)."""

    user: str
    role: str
    command_id: str
    document: str = ""
    # the path the command came by, when it is not the signed-in service:
    # ``os:NAME`` for a direct store connection (``ledger run``), so that who
    # recorded what (AUD-04) says whether a server or an operator stood behind it
    via: str = ""

    def as_dict(self) -> dict[str, str]:
        data = {"user": self.user, "role": self.role,
                "command_id": self.command_id, "document": self.document}
        if self.via:      # events recorded before ``via`` keep their stored bytes
            data["via"] = self.via
        return data

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> "Envelope":
        return cls(user=data["user"], role=data["role"],
                   command_id=data["command_id"], document=data.get("document", ""),
                   via=data.get("via", ""))


@dataclass(frozen=True)
class Context:
    """A command's context: its id, its business date and who gives it."""

    command_id: str
    effective_on: date
    user: str
    role: str
    document: str = ""
    via: str = ""         # Envelope.via

    @property
    def envelope(self) -> Envelope:
        return Envelope(self.user, self.role, self.command_id, self.document, self.via)

    def with_document(self, document: str) -> "Context":
        return Context(self.command_id, self.effective_on, self.user, self.role,
                       document or self.document, self.via)


@lru_cache(maxsize=65536)   # pure; a command finds the same few aggregates again and again
def stable_id(kind: str, key: str) -> UUID:
    """Aggregates are found by their business key (an institution code, an
    application number): the id is a name-based UUID of kind and key."""
    return uuid5(LEDGER_NAMESPACE, f"{kind}:{key.strip()}")


class LedgerAggregate(Aggregate):
    """Base for the ledger's aggregates. Subclasses check rules in public
    methods and emit events through private ``@event`` methods that only
    assign state: those bodies re-run on every replay."""

    class Event(Aggregate.Event):
        pass

    class Created(Aggregate.Created):
        pass
