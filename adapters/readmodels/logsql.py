"""Log SQL: reading the events table in windows of notification ids with
the driver's own cursor, and the log rows computed by the database itself,
reading the stored JSON by the byte layout the ledger's transcoder writes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from adapters.readmodels.log import _windows_of, _windows_upsert

if TYPE_CHECKING:
    from domain.service import Ledger


def _stored_batches(ledger: Ledger, after: int, size: int, *, upto: int | None = None,
                    where: str = "") -> Iterator[tuple[int, list[tuple[int, str, int, str, bytes]]]]:
    """Rows of the events table in log order, read with the driver's own
    cursor (no ORM objects), a window of ``size`` notification ids at a
    time: (the window's last id, [(notification id, originator id, version,
    topic, state)]). ``where`` narrows them to one partition
    (``_partition_sql``), so a window may hold few rows or none.

    Windows of ids, not ``ORDER BY id LIMIT n``: PostgreSQL, not yet
    analysed after a bulk load, planned the LIMIT as a sort of every later
    row, for every batch. PostgreSQL hands the state over as text (its bytea
    travels as hex, twice the size), which the driver gives as the bytes it
    received (``_state_as_bytes``: ``orjson`` reads bytes, so the claims'
    Chinese text need not be decoded into a str only to be encoded back),
    and the id as text. (What each of these saved: docs/performance.md.)"""
    table = ledger.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    name = engine.dialect.identifier_preparer.format_table(table)
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = (f"id, {_SQLITE_UUID_TEXT.format(h='hex(originator_id)')}, originator_version, "
               f"topic, state" if sqlite else
               "id, originator_id::text, originator_version, topic::text, "
               "convert_from(state, 'UTF8')::varchar")
    sql = (f"SELECT {columns} FROM {name} WHERE id > {mark} AND id <= {mark}{where} "
           f"ORDER BY id")
    last = upto if upto is not None else (ledger.recorder.max_notification_id() or 0)
    raw = engine.raw_connection()
    try:
        for position, end in _windows(after, last, size):
            cursor = raw.cursor()
            if not sqlite:
                _state_as_bytes(cursor)
            cursor.execute(sql, (position, end))
            rows = cursor.fetchall()
            cursor.close()
            raw.rollback()   # no snapshot held open between windows
            yield end, rows
    finally:
        raw.close()


def _state_as_bytes(cursor: Any) -> None:
    """psycopg2: this cursor gives ``varchar`` results (the state, as
    ``_stored_batches`` selects it) as bytes, undecoded."""
    import psycopg2.extensions as pg
    global _VARCHAR_AS_BYTES
    if _VARCHAR_AS_BYTES is None:
        _VARCHAR_AS_BYTES = pg.new_type((1043,), "VARCHAR_AS_BYTES", pg.BYTES)  # 1043: varchar
    pg.register_type(_VARCHAR_AS_BYTES, cursor)


_VARCHAR_AS_BYTES: Any = None


def _windows(after: int, last: int, size: int) -> Iterator[tuple[int, int]]:
    """(after, up to) of each window of ``size`` notification ids up to ``last``."""
    for position in range(after, last, size):
        yield position, min(position + size, last)


# SQLite keeps an aggregate id as 16 bytes; its canonical text, made by the
# database (``{h}``: the id's hex digits)
_SQLITE_UUID_TEXT = ("lower(substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-' || "
                     "substr({h}, 13, 4) || '-' || substr({h}, 17, 4) || '-' || substr({h}, 21))")


# How the ledger's transcoder lays out every event's JSON (eventsourcing's
# own layout, byte for byte): the recording instant is the first key, and a
# ledger event ends with its business date and then its envelope.
_INSTANT_HEAD = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_INSTANT_WIDTH = 32            # 2026-03-01T01:30:00.000123+00:00
_DAY_KEY = b',"effective_on":{"_type_":"date_iso","_data_":"'
_DAY_WIDTH = 10                # 2026-03-01
_ENVELOPE_HEAD = b'"},"envelope":{"_type_":"envelope","_data_":{'
_TAIL_BYTES = 320              # where the business date is looked for, from the end


def _bytea(data: bytes) -> str:
    return f"'\\x{data.hex()}'::bytea"


def _pg_instant_and_day() -> tuple[str, str]:
    """PostgreSQL expressions of an event's recording instant (text) and
    business date (date), read off the stored bytes where they lie when the
    ledger's transcoder wrote them, and parsed as JSON only when they are
    not found there: parsing every log-only event would cost the rebuild's
    server about as much again as writing its row. (Columns used: ``state``; ``n``, its length;
    ``a``, where ``_DAY_KEY`` starts in it, or 0.)

    Why reading the bytes is exact: every unescaped ``"`` in JSON delimits a
    string, so each pattern here, whose quotes follow no backslash, is read
    as structure, not as string content. The instant is the first key of the
    outermost object, and its 32 bytes hold no quote or backslash, so they
    are the whole string, unescaped. For the business date: after its
    10 bytes (no backslash: nothing escaped) come the envelope's head, then
    only bytes that are not ``}``, then ``}}}`` ending the document. The
    envelope's head opens two objects; with no ``}`` between them and the
    end, the last three close them and the outermost one, so the key holding
    the date is a key of the outermost object. Anything else (another
    layout, a longer envelope, a nested key) is parsed."""
    at = len(_INSTANT_HEAD) + 1
    quote, backslash = _bytea(b'"'), _bytea(b"\\")
    closing, brace, end = _bytea(b'"}'), _bytea(b"}"), _bytea(b"}}}")
    piece = f"substring(state from {at} for {_INSTANT_WIDTH})"
    instant = (f"CASE WHEN substring(state from 1 for {len(_INSTANT_HEAD)}) = "
               f"{_bytea(_INSTANT_HEAD)} AND substring(state from {at + _INSTANT_WIDTH} for 2) "
               f"= {closing} AND position({quote} in {piece}) = 0 AND "
               f"position({backslash} in {piece}) = 0 THEN convert_from({piece}, 'UTF8') "
               f"ELSE convert_from(state, 'UTF8')::jsonb -> 'timestamp' ->> '_data_' END")
    head_at = len(_DAY_KEY) + _DAY_WIDTH
    rest_at = head_at + len(_ENVELOPE_HEAD)
    day_piece = f"substring(state from a + {len(_DAY_KEY)} for {_DAY_WIDTH})"
    # the length given to substring is never negative, whichever test runs first
    rest = f"substring(state from a + {rest_at} for greatest(n - a - {rest_at + 2}, 0))"
    day = (f"CASE WHEN a > 0 AND substring(state from a + {head_at} for "
           f"{len(_ENVELOPE_HEAD)}) = {_bytea(_ENVELOPE_HEAD)} AND substring(state from n - 2) "
           f"= {end} AND position({brace} in {rest}) = 0 AND "
           f"position({backslash} in {day_piece}) = 0 "
           f"THEN convert_from({day_piece}, 'UTF8')::date "
           f"ELSE (convert_from(state, 'UTF8')::jsonb -> 'effective_on' ->> '_data_')::date END")
    return instant, day


def _log_rows_sql(dialect: str, events: str, log: str, where: str,
                  windows: str | None = None) -> str:
    """INSERT ... SELECT of the log rows of a window of events (two
    parameters: after, up to), computed by the database as ``apply_stored``
    computes them: the recording instant in ``_stored_instant``'s fixed-width
    UTC form (an instant in any other form is marked with a leading ``!``
    and mended by ``_mend_instants``), the business date's ISO text, the
    event name after the topic's colon, the aggregate id as text.

    PostgreSQL (``windows``: rm_log_windows' name) also notes the rows'
    windows (``_windows_of``) and returns how many rows it wrote."""
    utc = ("CASE WHEN length(ts) = 32 AND substr(ts, 27) = '+00:00' "
           "THEN substr(ts, 1, 26) || 'Z' "
           "WHEN length(ts) = 25 AND substr(ts, 20) = '+00:00' "
           "THEN substr(ts, 1, 19) || '.000000Z' ELSE '!' || ts END")
    columns = "notification_id, recorded_at, effective_on, topic, originator_id"
    if dialect == "sqlite":
        # MATERIALIZED: parse each state once (a flattened subquery would run
        # json_extract again for every use of its result)
        oid = _SQLITE_UUID_TEXT.format(h="h")
        import sqlite3
        hint = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
        return (f"WITH w AS {hint}(SELECT id, topic, hex(originator_id) AS h, "
                f"json_extract(CAST(state AS TEXT), '$.timestamp._data_') AS ts, "
                f"json_extract(CAST(state AS TEXT), '$.effective_on._data_') AS day "
                f"FROM {events} WHERE id > ? AND id <= ?{where}) "
                f"INSERT INTO {log} ({columns}) SELECT id, {utc}, day, "
                f"substr(topic, instr(topic, ':') + 1), {oid} FROM w")
    instant, day = _pg_instant_and_day()
    # OFFSET 0 keeps each subquery's columns computed once (flattened, every
    # use of ``p`` or ``ts`` would compute it again)
    insert = (f"INSERT INTO {log} ({columns}) SELECT id, {utc}, day, "
            f"substr(topic, strpos(topic, ':') + 1), originator_id::text "
            f"FROM (SELECT id, topic, originator_id, {instant} AS ts, {day} AS day "
            f"FROM (SELECT id, topic, originator_id, state, n, "
            f"CASE WHEN p > 0 THEN p + greatest(n - {_TAIL_BYTES}, 0) ELSE 0 END AS a "
            f"FROM (SELECT id, topic, originator_id, state, octet_length(state) AS n, "
            f"position({_bytea(_DAY_KEY)} in substring(state from "
            f"octet_length(state) - {_TAIL_BYTES - 1})) AS p "
            f"FROM {events} WHERE id > %s AND id <= %s{where} OFFSET 0) AS located) AS placed "
            f"OFFSET 0) AS q")
    if windows is None:
        return insert
    noted = _windows_upsert(windows, _windows_of("written"))
    return (f"WITH written AS ({insert} RETURNING notification_id, recorded_at), "
            f"noted AS ({noted}) SELECT count(*) FROM written")
