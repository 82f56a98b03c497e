"""The fast transcoder stores exactly what eventsourcing's own JSONTranscoder
stores and reads back exactly what it reads (AUD-05's hash chain and every
stored byte depend on it), on random event states."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import JSONTranscoder
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.transcoder import TOPIC, LedgerTranscoder
from adapters.transcodings import TOPIC as LIBRARY_TOPIC
from adapters.transcodings import LedgerJSONTranscoder
from domain.base import Envelope
from domain.money import Money
from domain.service import Ledger


def _transcoders() -> tuple[JSONTranscoder, JSONTranscoder]:
    popo = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    # the library's own code (LedgerJSONTranscoder only registers the ledger's types)
    library = Ledger(env={**popo, "TRANSCODER_TOPIC": LIBRARY_TOPIC}).mapper.transcoder
    fast = Ledger(env={**popo, "TRANSCODER_TOPIC": TOPIC}).mapper.transcoder
    assert type(library) is LedgerJSONTranscoder and type(fast) is LedgerTranscoder
    assert not {"encode", "decode"} & set(vars(LedgerJSONTranscoder))
    return library, fast


LIBRARY, FAST = _transcoders()

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), text,
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=False),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))])),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.uuids(),
    st.integers(min_value=-10 ** 12, max_value=10 ** 12).map(Money),
    st.builds(Envelope, text, text, text, text),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(text, inner, max_size=4),
        st.dictionaries(st.integers(0, 9), inner, min_size=1, max_size=2)),
    max_leaves=20)
states = st.dictionaries(text, values, max_size=8)


def _outcome(call, *args):
    try:
        return "ok", call(*args)
    except Exception as e:   # the same failure, if it fails: compared by type
        return "error", type(e)


@settings(max_examples=400, deadline=None)
@given(states)
@example({"timestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
          "effective_on": date(2026, 1, 2), "amount": Money(123),
          "envelope": Envelope("u", "finance", "c-1", "凭证"),
          "items": [{"item_id": "1", "amount_fen": 5, "injury": True}]})
@example({"control": "\x00\x1f\x7f\b\f\n\r\t\"\\\u2028é"})
@example({"big": 2 ** 64, "small": -(2 ** 63) - 1})
@example({"float": 1e16, "infinite": float("inf")})
def test_fast_transcoder_stores_the_library_bytes_and_reads_its_values(state):
    assert _outcome(FAST.encode, state) == _outcome(LIBRARY.encode, state)
    kind, stored = _outcome(LIBRARY.encode, state)
    if kind == "ok":
        assert FAST.decode(stored) == LIBRARY.decode(stored)


@pytest.mark.parametrize("stored", [
    b'{"n":123456789012345678901234567890}',          # orjson would give a float
    b'{"x":NaN,"y":Infinity}',                         # the library reads these; orjson does not
    b'{"a":1,"a":{"_type_":"date_iso","_data_":"2026-01-02"}}',
    b'{"_type_":"money_fen","_data_":5,"extra":1}',     # three keys: not a transcoded value
    b'[{"_type_":"envelope","_data_":{"user":"u","role":"r","command_id":"c"}}]',
])
def test_fast_transcoder_reads_what_the_library_reads(stored):
    assert repr(FAST.decode(stored)) == repr(LIBRARY.decode(stored))


def test_an_unregistered_type_is_refused_as_the_library_refuses_it():
    class Unknown:
        pass
    with pytest.raises(TypeError):
        FAST.encode({"x": Unknown()})
    with pytest.raises(Exception) as fast_error:
        FAST.decode(b'{"x":{"_type_":"nobody","_data_":1}}')
    with pytest.raises(Exception) as library_error:
        LIBRARY.decode(b'{"x":{"_type_":"nobody","_data_":1}}')
    assert type(fast_error.value) is type(library_error.value)


def test_a_stored_ledger_event_decodes_to_the_same_event():
    stored = json.dumps({"timestamp": {"_type_": "datetime_iso",
                                       "_data_": "2026-12-02T04:19:44.018101+00:00"},
                         "effective_on": {"_type_": "date_iso", "_data_": "2016-01-04"},
                         "score": {"_type_": "decimal_str", "_data_": "85.50"},
                         "who": {"_type_": "uuid_hex",
                                 "_data_": UUID(int=7).hex}},
                        separators=(",", ":")).encode()
    decoded = FAST.decode(stored)
    assert decoded == LIBRARY.decode(stored)
    assert decoded["score"] == Decimal("85.50") and decoded["who"] == UUID(int=7)
    assert FAST.encode(decoded) == stored
