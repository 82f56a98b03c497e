"""The ledger's persistence module: eventsourcing-sqlalchemy with a bulk insert.

eventsourcing-sqlalchemy's application recorder builds one ORM object per
stored event and lets the session flush them, which costs about 100 µs an
event (measured in docs/performance.md). This recorder keeps everything else
of the library (its tables, the PostgreSQL ``LOCK TABLE ... EXCLUSIVE`` that
makes insert order equal commit order, the ``NOTIFY`` its subscription
listens for, the tracking recorders, its error classes) and writes the rows
of one ``insert_events`` call through the driver on the session's own
connection, in the same transaction: SQLite's ``executemany``, PostgreSQL's
binary ``COPY``. The notification ids come back in the order the events
were given.

Selected by ``PERSISTENCE_MODULE=adapters.persistence:LedgerFactory``
(``adapters/settings.py`` sets it).
"""
from __future__ import annotations

import io
import struct
from typing import Any, Iterable, Sequence
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore, transactions
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import (SQLAlchemyAggregateRecorder,
                                                SQLAlchemyApplicationRecorder)
from sqlalchemy.orm import Session

from adapters import due_table

TOPIC = "adapters.persistence:LedgerFactory"


class DriverSelect:
    """One aggregate's events read through the driver: the library's
    ``select_events`` builds an ORM query in a session of its own for each
    look-up, about 0.4 ms of Python before the database is asked, and a
    command looks up several aggregates (docs/performance.md, "Commands").
    The same rows, in the same order, with the same bounds; inside a
    transaction already open in this context the library's own path runs, so
    a read in a write sees that write's session."""

    datastore: SQLAlchemyDatastore
    events_record_cls: Any

    def select_events(self, originator_id: UUID | str, gt: int | None = None,
                      lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> list[StoredEvent]:
        engine = self.datastore.engine
        dialect = engine.dialect.name if engine is not None else ""
        if dialect not in ("sqlite", "postgresql") or transactions.get(None) is not None:
            return super().select_events(originator_id, gt=gt, lte=lte,  # type: ignore[misc]
                                         desc=desc, limit=limit)
        uid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        sql, params = _select_sql(self._table_name(), dialect, uid, gt, lte, desc, limit)
        rows = self._read(engine, [(sql, params)])
        return [StoredEvent(originator_id=uid, originator_version=v, topic=t,
                            state=bytes(s) if not isinstance(s, bytes) else s)
                for v, t, s in rows]

    def recorded_originators(self, originator_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these aggregates have events stored, in one query (a run
        of command lines asks it for its command ids at once: each miss
        would otherwise be a look-up of its own)."""
        ids = list(originator_ids)
        engine = self.datastore.engine
        dialect = engine.dialect.name if engine is not None else ""
        if not ids:
            return set()
        if dialect not in ("sqlite", "postgresql") or transactions.get(None) is not None:
            return {i for i in ids if self.select_events(i, limit=1)}
        name = self._table_name()
        parts = [ids[start:start + 500] for start in range(0, len(ids), 500)]
        if dialect == "sqlite":
            rows = self._read(engine, [(f"SELECT DISTINCT originator_id FROM {name} WHERE "
                                        f"originator_id IN ({', '.join('?' * len(part))})",
                                        [i.bytes for i in part]) for part in parts])
            found = {UUID(bytes=bytes(row[0])) for row in rows}
        else:
            rows = self._read(engine, [(f"SELECT DISTINCT originator_id FROM {name} WHERE "
                                        "originator_id = ANY(%s::uuid[])",
                                        ([str(i) for i in part],)) for part in parts])
            found = {UUID(str(row[0])) for row in rows}
        return found

    def events_since(self, after: int | None, limit: int) -> list[tuple[int, UUID]] | None:
        """(notification id, aggregate id) of the events stored after
        notification ``after``, in order, at most ``limit``; with ``after``
        None, only the latest notification id (aggregate id None). None
        where the driver path does not apply (the caller then trusts nothing)."""
        engine = self.datastore.engine
        dialect = engine.dialect.name if engine is not None else ""
        if dialect not in ("sqlite", "postgresql") or transactions.get(None) is not None:
            return None
        name = self._table_name()
        if after is None:
            (latest,), = self._read(engine, [(f"SELECT coalesce(max(id), 0) FROM {name}", ())])
            return [(int(latest), None)]   # type: ignore[list-item]
        mark = "?" if dialect == "sqlite" else "%s"
        rows = self._read(engine, [(f"SELECT id, originator_id FROM {name} WHERE id > {mark} "
                                    f"ORDER BY id LIMIT {int(limit)}", (after,))])
        if dialect == "sqlite":
            return [(int(i), UUID(bytes=bytes(o))) for i, o in rows]
        return [(int(i), o if isinstance(o, UUID) else UUID(str(o))) for i, o in rows]

    @staticmethod
    def _read(engine: Any, queries: list[tuple[str, Any]]) -> list[Any]:
        """The rows of these queries on one pooled connection. On PostgreSQL
        the connection is put in autocommit for them: a read alone needs no
        transaction, and psycopg2 would otherwise send BEGIN before it and the
        pool a ROLLBACK after it, three round trips for one (measured in
        docs/performance.md, "Commands")."""
        raw = engine.raw_connection()
        try:
            dbapi = raw.dbapi_connection
            switched = (engine.dialect.name == "postgresql"
                        and getattr(dbapi, "autocommit", None) is False)
            if switched:
                dbapi.autocommit = True
            try:
                cursor = raw.cursor()
                try:
                    rows: list[Any] = []
                    for sql, params in queries:
                        cursor.execute(sql, params)
                        rows.extend(cursor.fetchall())
                    return rows
                finally:
                    cursor.close()
            finally:
                if switched:
                    try:
                        dbapi.autocommit = False
                    except Exception:  # noqa: BLE001 - a broken connection: never reused
                        raw.invalidate()
        finally:
            raw.close()

    def _table_name(self) -> str:
        name = self.__dict__.get("_driver_table_name")
        if name is None:
            engine = self.datastore.engine
            table = self.events_record_cls.__table__
            name = self.__dict__["_driver_table_name"] = \
                engine.dialect.identifier_preparer.format_table(table)  # type: ignore[union-attr]
        return name


def _select_sql(name: str, dialect: str, uid: UUID, gt: int | None, lte: int | None,
                desc: bool, limit: int | None) -> tuple[str, tuple[Any, ...]]:
    mark, key = ("?", uid.bytes) if dialect == "sqlite" else ("%s", str(uid))
    where = [f"originator_id = {mark}" + ("" if dialect == "sqlite" else "::uuid")]
    params: list[Any] = [key]
    if gt is not None:
        where.append(f"originator_version > {mark}")
        params.append(gt)
    if lte is not None:
        where.append(f"originator_version <= {mark}")
        params.append(lte)
    sql = (f"SELECT originator_version, topic, state FROM {name} WHERE {' AND '.join(where)} "
           f"ORDER BY originator_version{' DESC' if desc else ''}")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, tuple(params)


class DriverSelectAggregateRecorder(DriverSelect, SQLAlchemyAggregateRecorder):
    """The snapshots' recorder, reading through the driver too."""


class BulkApplicationRecorder(DriverSelect, SQLAlchemyApplicationRecorder):
    """Inserts a batch of stored events through the driver, in one go, and
    reads one aggregate's events through it (``DriverSelect``). Keeps the
    clock's due table in the same write (adapters/due_table.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.due_tables = due_table.tables(self.events_table_name, self.schema_name)
        self._due_sql: due_table.Sql | None = None    # set once the tables exist

    def create_table(self) -> None:
        super().create_table()
        engine = self.datastore.engine
        if engine is not None and engine.dialect.name in ("sqlite", "postgresql") and \
                due_table.create(engine, *self.due_tables):
            self._due_sql = due_table.Sql(engine, *self.due_tables,
                                          self.events_record_cls.__table__)  # type: ignore

    def due_by(self, registry_id: UUID, day: str, calendar_version: int) -> list[str] | None:
        """The agreements a tick to ``day`` must visit, from the due table;
        None when the table does not follow the registry's latest version
        (then the registry answers) or cannot be read here."""
        sql = self._due_sql
        if sql is None or transactions.get(None) is not None:
            return None
        queries = due_table.due_by_queries(sql, registry_id, day, calendar_version)
        # one connection; a registry written between the two queries is a
        # later state of the same table, as a tick begun a moment later reads
        (table_version, log_version), *rows = self._read(self.datastore.engine, queries)
        if table_version is None or table_version != log_version:
            return None
        return [row[0] for row in rows]

    def rebuild_due(self, registry_id: UUID, version: int,
                    rows: list[tuple[str, int, str | None, int | None, int]]) -> bool:
        """Put the due table back from the registry at ``version``
        (due_table.rebuild); False when it could not be, harmlessly."""
        sql, engine = self._due_sql, self.datastore.engine
        if sql is None or engine is None or transactions.get(None) is not None:
            return False
        raw = engine.raw_connection()
        try:
            done = due_table.rebuild(raw.dbapi_connection, sql, registry_id, version, rows)
            (raw.commit if done else raw.rollback)()
            return done
        except engine.dialect.dbapi.Error:  # type: ignore[union-attr]
            raw.rollback()     # a writer got the lock first (SQLite): the next tick retries
            return False
        finally:
            raw.close()

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        table = self.events_record_cls.__table__  # type: ignore[attr-defined]
        engine = self.datastore.engine
        assert engine is not None
        write = {"sqlite": _sqlite_insert, "postgresql": _postgres_copy}.get(engine.dialect.name)
        if write is None:   # another database: the library's own recorder
            return super()._insert_stored_events(session, stored_events, **kwargs)
        if self._has_autoincrementing_ids:
            self._lock_table(session)
        dbapi = session.connection().connection.dbapi_connection
        name = engine.dialect.identifier_preparer.format_table(table)
        try:
            ids = write(dbapi, name, stored_events)
        except engine.dialect.dbapi.IntegrityError as e:  # type: ignore[union-attr]
            # the same (aggregate, version) twice: eventsourcing's optimistic
            # concurrency error, as the library's own recorder raises it
            raise IntegrityError(e) from e
        changes = kwargs.get("due_changes")
        if changes is not None and self._due_sql is not None:
            cursor = dbapi.cursor()
            try:
                due_table.apply(cursor, self._due_sql, changes)
            finally:
                cursor.close()
        self._notify_channel(session)
        return ids


def _sqlite_insert(dbapi: Any, name: str, events: Sequence[StoredEvent]) -> list[int]:
    """executemany, then the ids: SQLite gives each new row max(rowid) + 1 and
    this transaction holds the write lock, so they are the last len(events)."""
    cursor = dbapi.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {name} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            [(e.originator_id.bytes, e.originator_version, e.topic, e.state) for e in events])
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
    finally:
        cursor.close()
    return list(range(last - len(events) + 1, last + 1))


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)


def _postgres_copy(dbapi: Any, name: str, events: Sequence[StoredEvent]) -> list[int]:
    """Binary COPY (no text escaping of the JSON state), then the ids: the
    table is locked EXCLUSIVE, so the rows above the old maximum are ours,
    numbered by the sequence in COPY order."""
    buf = io.BytesIO()
    buf.write(_COPY_HEADER)
    pack = struct.pack
    for e in events:
        topic = e.topic.encode("utf8")
        state = bytes(e.state)
        buf.write(pack(f"!hi16siqi{len(topic)}si", 4, 16, e.originator_id.bytes, 8,
                       e.originator_version, len(topic), topic, len(state)))
        buf.write(state)
    buf.write(pack("!h", -1))
    buf.seek(0)
    cursor = dbapi.cursor()
    try:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {name}")
        before = cursor.fetchone()[0]
        cursor.copy_expert(f"COPY {name} (originator_id, originator_version, topic, state) "
                           "FROM STDIN WITH (FORMAT binary)", buf, size=1 << 20)
        cursor.execute(f"SELECT id FROM {name} WHERE id > %s ORDER BY id", (before,))
        ids = [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()
    if len(ids) != len(events):
        raise IntegrityError(f"expected {len(events)} new notification ids, found {len(ids)}")
    return ids


SQLITE_CACHE_KIB = 65536   # per connection; the default 2 MiB thrashes on a province's index


class LedgerDatastore(SQLAlchemyDatastore):
    """eventsourcing-sqlalchemy's datastore, with a page cache for SQLite that
    holds the (aggregate, version) index of a province: with SQLite's 2 MiB
    default, loading a million events slowed from 19k to 12k events/s as
    that index outgrew the cache."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.engine is not None and self.is_sqlite_filedb:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    cursor.close()


class LedgerFactory(SQLAlchemyFactory):
    datastore_class = LedgerDatastore
    application_recorder_class = BulkApplicationRecorder
    aggregate_recorder_class = DriverSelectAggregateRecorder
