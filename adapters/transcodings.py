"""How the ledger's own values are written in a stored event's JSON.

eventsourcing's JSON transcoder knows JSON's types and, through the
Application, UUIDs, decimals and instants. The ledger's events also carry
business dates, envelopes (AUD-04) and money (PAY-10): each is written as
the library's ``{"_type_": name, "_data_": ...}`` object with the name below.
Those names and forms are in every stored event and in the hash chain
(AUD-05): never rename one or change its form; a new form needs a new name,
with the old one still read.

``LedgerJSONTranscoder`` is the library's transcoder with these registered
(the reference the fast one is tested against, tests/test_transcoder.py);
``adapters.transcoder.LedgerTranscoder`` writes exactly its bytes, faster,
and is every ledger's default (``Ledger.env``, ``adapters/settings.py``).
Until the service split (issue #13) these lived in ``domain/service.py`` and
were registered by ``Ledger.register_transcodings``; the stored bytes are
the same (tests/test_service_layout.py reads a store written before).
"""
from __future__ import annotations

from datetime import date

from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding

from domain.base import Envelope
from domain.money import Money

TOPIC = "adapters.transcodings:LedgerJSONTranscoder"


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


LEDGER_TRANSCODINGS: tuple[type[Transcoding], ...] = (DateAsISO, EnvelopeAsDict, MoneyAsFen)


def register_ledger_transcodings(transcoder: Transcoder) -> None:
    for transcoding in LEDGER_TRANSCODINGS:
        transcoder.register(transcoding())  # type: ignore[attr-defined]


class LedgerJSONTranscoder(JSONTranscoder):
    """eventsourcing's ``JSONTranscoder``, its own code, knowing the ledger's
    values (the Application adds UUIDs, decimals and instants after)."""

    def __init__(self) -> None:
        super().__init__()
        register_ledger_transcodings(self)
