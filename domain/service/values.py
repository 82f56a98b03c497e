"""The values the ledger's events carry besides JSON's own, which any store of
the ledger must be able to keep.

How they are kept is the adapters' business (adapters/transcodings.py, where
the stored names ``date_iso``, ``envelope`` and ``money_fen`` live); the
domain only names them (and ``Ledger.env`` names the adapters' transcoder by
topic as its default), so that a ledger opened on a transcoder that does not
know one stops at once with a remedy, instead of failing on its first save,
or on the first command that happens to carry a date.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.base import Envelope
from domain.money import Money

# eventsourcing's Application registers the last three on every JSON transcoder.
EVENT_VALUE_TYPES: tuple[type, ...] = (date, Envelope, Money, datetime, Decimal, UUID)


class UnstorableValues(RuntimeError):
    """The store's transcoder cannot keep a value the events carry: a
    set-up error, raised before anything is read or written."""


def require_value_transcodings(transcoder: Any) -> None:
    """Refuse a transcoder with a registry of types (eventsourcing's
    ``JSONTranscoder`` and its subclasses) that lacks one of ours."""
    known = getattr(transcoder, "types", None)
    if known is None:   # a transcoder of another design: it answers for itself
        return
    missing = [t.__name__ for t in EVENT_VALUE_TYPES if t not in known]
    if missing:
        raise UnstorableValues(
            f"the store's transcoder ({type(transcoder).__name__}) cannot keep "
            f"{', '.join(missing)}, which the ledger's events carry: leave TRANSCODER_TOPIC "
            "unset (the ledger's default) or set it to adapters.transcoder:LedgerTranscoder "
            "or adapters.transcodings:LedgerJSONTranscoder")
