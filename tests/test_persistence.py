"""The bulk-insert recorder keeps the event store's contract on both stores:
ids in the order given, contiguous after what was there, a conflicting
version refused with eventsourcing's IntegrityError and nothing recorded."""
from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from adapters.persistence import BulkApplicationRecorder


def stored(originator, version, body=b'{"x":1}'):
    return StoredEvent(originator_id=originator, originator_version=version,
                       topic="tests:Thing.Happened", state=body)


def test_the_ledger_writes_through_the_bulk_recorder(ledger):
    assert isinstance(ledger.recorder, BulkApplicationRecorder)


def test_a_batch_gets_notification_ids_in_the_order_given(ledger):
    rec = ledger.recorder
    a, b = uuid.uuid4(), uuid.uuid4()
    first = rec.insert_events([stored(a, 1), stored(b, 1)])
    batch = [stored(b, 2, b'{"n":"\xe5\xb7\xa5\\t\\n"}'), stored(a, 2), stored(a, 3)]
    ids = rec.insert_events(batch)
    assert ids == [first[-1] + 1, first[-1] + 2, first[-1] + 3]
    found = rec.select_notifications(start=ids[0], limit=10)
    assert [(n.id, n.originator_id, n.originator_version, n.state) for n in found] == \
        [(i, e.originator_id, e.originator_version, e.state) for i, e in zip(ids, batch)]


def test_a_version_recorded_twice_is_refused_and_nothing_of_the_batch_is_kept(ledger):
    rec = ledger.recorder
    a = uuid.uuid4()
    rec.insert_events([stored(a, 1)])
    before = rec.max_notification_id()
    with pytest.raises(IntegrityError):
        rec.insert_events([stored(a, 2), stored(a, 1)])
    assert rec.max_notification_id() == before
    assert [e.originator_version for e in rec.select_events(a)] == [1]


from hypothesis import example, given, settings, strategies as st  # noqa: E402

from adapters.readmodels import _copy_text, _copy_value  # noqa: E402

FIELD = st.one_of(st.none(), st.integers(-10**12, 10**12),
                  st.text(alphabet=st.sampled_from("ab工\\\t\n\rN.-: "), max_size=6))


def reference(rows):
    """COPY text escaped field by field: the definition the fast path must equal."""
    return "".join("\t".join(_copy_value(v) for v in r) + "\n" for r in rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[FIELD] * 8), max_size=5))
@example([(1, None, 0, 0, 0, 0, 0, 0)])    # a None the format writes as "None": caught
@example([(1, "None", 0, 0, 0, 0, 0, 0)])  # a field that says so: escaped, the same text
def test_copy_text_of_postings_rows_equals_field_by_field_escaping(rows):
    assert _copy_text("postings", rows, 8) == reference(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[FIELD] * 5), max_size=5))
@example([(None, 0, None, 0, "\\N")])   # a literal \N hiding a None the format cannot write
def test_copy_text_of_log_rows_equals_field_by_field_escaping(rows):
    assert _copy_text("log", rows, 5) == reference(rows)


FIELD_OR_FLAG = st.one_of(FIELD, st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[FIELD_OR_FLAG] * 10), max_size=5))
def test_copy_text_of_status_rows_equals_field_by_field_escaping(rows):
    assert _copy_text("status", rows, 10) == reference(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[FIELD_OR_FLAG] * 12), max_size=5))
@example([(1, "s", "w", "r", "2025-01-01", True, False, None, "d", "d", 1, 2)])
def test_copy_text_of_deadline_rows_equals_field_by_field_escaping(rows):
    assert _copy_text("deadlines", rows, 12) == reference(rows)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[FIELD_OR_FLAG] * 4), max_size=5))
def test_copy_text_of_any_other_table_equals_field_by_field_escaping(rows):
    assert _copy_text("ended", rows, 4) == reference(rows)


def test_aud05_a_ledger_knows_the_exact_bytes_it_wrote_and_no_others(store):
    """``written_here`` (what a seal may take as read without decoding again)
    holds for each event this process wrote, byte for byte, and for nothing
    else: not altered bytes, not another topic, not events another process
    wrote."""
    from adapters.settings import open_ledger
    from tests.builders import effective_agreement
    from tests.conftest import Clerk
    ledger = open_ledger(*store)
    try:
        effective_agreement(Clerk(ledger))
        written = ledger.recorder.select_notifications(start=1, limit=1000)
        assert written and all(ledger.written_here(n.id, n.topic, n.state) for n in written)
        n = written[-1]
        assert not ledger.written_here(n.id, n.topic, bytes(n.state) + b" ")
        assert not ledger.written_here(n.id, written[0].topic, n.state)
        assert not ledger.written_here(n.id + 1, n.topic, n.state)
    finally:
        ledger.close()
    other = open_ledger(*store)
    try:
        assert not other.written_here(n.id, n.topic, n.state)
    finally:
        other.close()
