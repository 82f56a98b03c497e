"""Can the ledger read this stored event? Asked of every event before it is
sealed (AUD-05), so that the hash chain never vouches for bytes the ledger
did not write or cannot read.

An event is *readable* when the application's own mapper and transcoder
decode it (exactly as ``Ledger.read_log`` does) into a ledger event: a class
nested in one of the domain's aggregates, with its business date (CAL-04),
who recorded it under which command (AUD-04) and its recording instant.
Those are the parts every read model, timeline and case file relies on;
checking them costs a few microseconds beyond the decode itself. What the
event says (its amounts, its dates' order) is the domain's business, not
this check's: an event that decodes cleanly but says something false is
exactly as trustworthy as the database's access control (docs/integrity.md,
"The trusted window").
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from adapters.labels import Said
from domain.base import ROLES, Envelope, LedgerAggregate

# domain.<module>:<Aggregate>.<Event>: checked before the topic is resolved,
# because resolving imports the module it names and a stored topic is data.
LEDGER_TOPIC = re.compile(r"domain(\.[A-Za-z_]\w*)+:[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_MAX_REASON = 200


def _text(value: Any) -> str | None:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _uuid(value: Any) -> UUID | None:
    """The originator id however the driver returns it (UUID on PostgreSQL,
    16 bytes on SQLite, text elsewhere)."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, memoryview):
        value = bytes(value)
    try:
        if isinstance(value, (bytes, bytearray)) and len(value) == 16:
            return UUID(bytes=bytes(value))
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _short(error: BaseException) -> str:
    """The innermost cause: the mapper wraps the decoder's error in a message
    that repeats the topic and ids the caller names already."""
    while error.__cause__ is not None or (error.__context__ is not None
                                          and not error.__suppress_context__):
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON - 3] + "..."


def why_unreadable(ledger: Any, originator_id: Any, originator_version: Any, topic: Any,
                   state: bytes) -> Said | None:
    """None when the stored event decodes into a well-formed ledger event;
    otherwise why not, in words an operator can act on (English as text, the
    reader's language with ``say()``). Never raises."""
    topic_text = _text(topic)
    if topic_text is None or not LEDGER_TOPIC.fullmatch(topic_text):
        return Said("readable.topic", {"topic": repr(topic)})
    oid = _uuid(originator_id)
    if oid is None:
        return Said("readable.aggregate_id", {"value": repr(originator_id)})
    try:
        version = int(originator_version)
    except (TypeError, ValueError):
        return Said("readable.version", {"value": repr(originator_version)})
    if version < 1:
        return Said("readable.version_below_1", {"value": version})
    stored = StoredEvent(originator_id=oid, originator_version=version, topic=topic_text,
                         state=bytes(state))
    try:
        event = ledger.mapper.to_domain_event(stored)
    except Exception as e:  # noqa: BLE001 - whatever the bytes make the decoder raise
        return Said("readable.no_decode", {"error": _short(e)})
    if not isinstance(event, LedgerAggregate.Event):
        return Said("readable.not_ledger_event", {"cls": type(event).__qualname__})
    fields = vars(event)
    effective_on = fields.get("effective_on")
    if not isinstance(effective_on, date) or isinstance(effective_on, datetime):
        return Said("readable.no_date")
    envelope = fields.get("envelope")
    if not isinstance(envelope, Envelope) or not envelope.user or not envelope.command_id:
        return Said("readable.no_envelope")
    if envelope.role not in ROLES:
        return Said("readable.role", {"role": repr(envelope.role)})
    timestamp = fields.get("timestamp")
    if not isinstance(timestamp, datetime) or timestamp.tzinfo is None:
        return Said("readable.no_timestamp")
    return None
