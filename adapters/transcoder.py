"""The event transcoder: eventsourcing's JSON, byte for byte, made fast.

eventsourcing's ``JSONTranscoder`` hands every value the standard library's
JSON encoder does not know (a date, an instant, the envelope, money) to a
Python callback, and every decoded object to a Python hook: about 25 µs an
event, half of a bulk load's time (docs/performance.md). This transcoder
writes and reads exactly the same JSON with ``orjson``: a short walk over
the event's state replaces each registered type by the library's own
``{"_type_": name, "_data_": ...}`` object (the same transcodings, in the
same key order) and ``orjson`` writes the rest; reading, ``orjson`` parses
and the walk turns those objects back, innermost first, as the library's
object hook does.

Whatever the walk cannot vouch for goes to the library's own code, so the
stored bytes and the decoded values never differ from it (a property test
compares them on random states): floats (the two libraries may format them
differently, and ``orjson`` reads an over-long integer as a float), keys
that are not strings, subclasses of the built-in types, unregistered
types, and anything ``orjson`` refuses.

Selected by ``TRANSCODER_TOPIC=adapters.transcoder:LedgerTranscoder``
(``adapters/settings.py``); the ledger's transcodings (dates, envelopes,
money) are registered by its base, ``adapters.transcodings.LedgerJSONTranscoder``.
"""
from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, find_id_convertor
from eventsourcing.utils import resolve_topic

from adapters.transcodings import LedgerJSONTranscoder

TOPIC = "adapters.transcoder:LedgerTranscoder"

# Values both libraries write the same way without a callback.
_PLAIN = frozenset({str, int, bool, type(None)})


class _NotPlain(Exception):
    """The walk met something only the library's own encoder may decide."""


class LedgerTranscoder(LedgerJSONTranscoder):
    """``JSONTranscoder``'s bytes and values, through ``orjson``."""

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._plain(obj))
        except (_NotPlain, orjson.JSONEncodeError):
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (_NotPlain, orjson.JSONDecodeError):
            return super().decode(data)

    # --- encoding: registered types to the library's {"_type_", "_data_"} objects ----
    def _plain(self, o: Any) -> Any:
        t = type(o)
        if t in _PLAIN:
            return o
        if t is dict:
            out = None
            for k, v in o.items():
                if type(k) is not str:
                    raise _NotPlain
                if type(v) in _PLAIN:
                    continue
                w = self._plain(v)
                if w is not v:
                    if out is None:
                        out = dict(o)    # same key order; only changed values are replaced
                    out[k] = w
            return o if out is None else out
        if t is list or t is tuple:      # the library writes both as arrays
            return [v if type(v) in _PLAIN else self._plain(v) for v in o]
        transcoding = self.types.get(t)
        if transcoding is None:          # float, a subclass, an unregistered type
            raise _NotPlain
        return {"_type_": transcoding.name, "_data_": self._plain(transcoding.encode(o))}

    # --- decoding: the library's object hook, innermost objects first ---------------------
    def _revive(self, o: Any) -> Any:
        t = type(o)
        if t is dict:
            for k, v in o.items():
                tv = type(v)
                if tv is dict:
                    data = v.get("_data_")
                    if type(data) is str and len(v) == 2 and "_type_" in v:
                        # a leaf (a date, an instant, a decimal): no walk below it
                        transcoding = self.names.get(v["_type_"])
                        o[k] = transcoding.decode(data) if transcoding is not None \
                            else self._decode_obj(v)   # the library's error, unregistered
                    else:
                        o[k] = self._revive(v)   # replaces a value: the dict keeps its size
                elif tv is list:
                    o[k] = self._revive(v)
                elif tv is float:            # maybe an integer orjson could not hold
                    raise _NotPlain
            if len(o) == 2 and "_type_" in o and "_data_" in o:
                return self._decode_obj(o)   # the library's hook: its errors, its names
            return o
        if t is list:
            for i, v in enumerate(o):
                tv = type(v)
                if tv is dict or tv is list:
                    o[i] = self._revive(v)
                elif tv is float:
                    raise _NotPlain
            return o
        if t is float:
            raise _NotPlain
        return o

def event_from_parsed(mapper: Mapper[Any], stored: StoredEvent, parsed: dict[str, Any]) -> Any:
    """``mapper.to_domain_event(stored)``, reusing ``parsed``: the stored
    state already read by ``orjson.loads`` (a rebuild reads every event's
    dates from it, and need not parse it twice). ``parsed`` is consumed.
    Anything but this transcoder's plain JSON goes the library's whole way."""
    transcoder = mapper.transcoder
    if mapper.cipher or mapper.compressor or not isinstance(transcoder, LedgerTranscoder):
        return mapper.to_domain_event(stored)
    try:
        event_state = transcoder._revive(parsed)
    except _NotPlain:
        return mapper.to_domain_event(stored)
    # the rest of Mapper.to_domain_event (eventsourcing 9.5), as it is there
    cls = resolve_topic(stored.topic)
    id_convertor = find_id_convertor(cls, type(stored.originator_id))
    event_state["originator_id"] = id_convertor(stored.originator_id)
    event_state["originator_version"] = stored.originator_version
    class_version = getattr(cls, "class_version", 1)
    from_version = event_state.pop("class_version", 1)
    while from_version < class_version:
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
        from_version += 1
    domain_event = object.__new__(cls)
    object.__setattr__(domain_event, "__dict__", event_state)
    return domain_event
