"""SQL read models kept by the eventsourcing projection machinery (AUD-02, AUD-03).

Tables live in the ledger's own database (same schema), next to a tracking
table that records the last notification id applied, written in the same
transaction as the rows: a batch is applied exactly once, and a stopped run
resumes from the tracked position.

| table              | what                                                         |
|--------------------|--------------------------------------------------------------|
| ``rm_log``         | every event's notification id, recording instant, business date, topic, aggregate |
| ``rm_log_windows`` | each window of notification ids' earliest recording instant (``log_position``) |
| ``rm_postings``    | fund-position changes per agreement, year and column (money)  |
| ``rm_status``      | agreements' status over business time, bitemporal             |
| ``rm_deadlines``   | applications' and agreements' open deadlines, bitemporal      |
| ``rm_ended``       | the public list of ended agreements                           |
| ``rm_bars``        | the practitioner bar register                                 |

"As of" a business date filters by ``effective_on`` / validity; "as known at"
an instant becomes a log position (the last notification recorded by then)
and filters by notification id. Both together answer "what was true on D, as
the ledger knew it at T" without replaying the log.

On PostgreSQL ``follow()`` runs eventsourcing's ProjectionRunner on the
LISTEN/NOTIFY subscription; on SQLite (no subscription) ``catch_up()`` runs
before every query. ``rebuild()`` drops the tables and builds them again,
in partitions run by separate processes when the log is large
(docs/read-models.md).
"""
from __future__ import annotations

import contextlib
import gc
import io
import os
import queue
import time
import warnings
from dataclasses import dataclass, field
from operator import itemgetter
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence
from uuid import UUID

import orjson
import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.projection import Projection
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder

from adapters.transcoder import event_from_parsed
from domain.agreement import Agreement
from domain.application import Application
from domain.calendar import WorkingCalendar
from domain.calendar_book import CalendarBook
from domain.claim import Claim
from domain.evaluation import Evaluation
from domain.fund_account import FundAccount
from domain.person import Person
from domain.service import Ledger
from domain.money import SUM_MAX_FEN, check_sum
from projections import postings
from projections.deadlines import agreement_deadlines, application_deadlines, on_date
from projections.fund import Position
from projections.rows import (ended_row, money_numbers, posting_deltas, status_of,
                              timeline)

MONEY = (Claim, FundAccount)      # postings, by the posting rules
MONEY_KINDS = tuple(cls.__name__ for cls in MONEY)
# status, deadlines, public list, bars: by the aggregate's own event bodies
REPLAYED = (Agreement, Person, Application, Evaluation, CalendarBook)
REPLAYED_KINDS = tuple(cls.__name__ for cls in REPLAYED)

APP = "Ledger"
PROJECTION = "ReadModels"
FAR = date(9999, 12, 31)


def _instant(moment: datetime) -> str:
    """A fixed-width UTC form, so instants compare as strings in any database."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stored_instant(text: str) -> str:
    """``_instant`` of a stored ``datetime_iso`` (eventsourcing stamps UTC)."""
    if len(text) == 32 and text.endswith("+00:00"):
        return text[:26] + "Z"
    return _instant(datetime.fromisoformat(text))


def _windows_upsert(name: str, rows_sql: str) -> str:
    """SQL: insert ``rows_sql``'s (window, earliest instant) pairs into the
    windows table ``name``, keeping the earlier instant where a window is."""
    return (f"INSERT INTO {name} AS w (window_no, earliest_recorded_at) {rows_sql} "
            f"ON CONFLICT (window_no) DO UPDATE SET earliest_recorded_at = CASE WHEN "
            f"excluded.earliest_recorded_at < w.earliest_recorded_at THEN "
            f"excluded.earliest_recorded_at ELSE w.earliest_recorded_at END")


def _windows_of(rows: str) -> str:
    """SQL: (window, earliest instant) of the log rows of ``rows`` (a table
    with notification_id and recorded_at), window by window upwards. An
    instant still marked for ``_mend_instants`` does not count; a window
    holding only such rows gets "~", later than any instant, which the
    mending replaces (the window's row is so locked in order with the rest)."""
    return (f"SELECT notification_id / {LOG_WINDOW_IDS}, coalesce(min(CASE WHEN "
            f"substr(recorded_at, 1, 1) <> '!' THEN recorded_at END), '~') "
            f"FROM {rows} GROUP BY 1 ORDER BY 1")


def _earliest_by_window(rows: Iterable[Sequence[Any]]) -> dict[int, str]:
    """The earliest recording instant of each window (``LOG_WINDOW_IDS``) of
    log rows ``(notification id, recording instant, ...)``."""
    earliest: dict[int, str] = {}
    size = LOG_WINDOW_IDS
    for row in rows:
        window, instant = row[0] // size, row[1]
        known = earliest.get(window)
        if known is None or instant < known:
            earliest[window] = instant
    return earliest


def _deadline_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["what"], r["rule"], r["due"], bool(r["overdue_possible"]), bool(r["provisional"]),
            r["shown_until"])


def _fold_points(events: list[Any], compute: Callable[[dict[Any, Any]], list[Any]]
                 ) -> list[tuple[date, list[Any]]]:
    """[(valid_from, what ``compute`` gives)] at every business date an event
    takes effect on, folding the events effective by then in recording order;
    only the changes."""
    out: list[tuple[date, list[Any]]] = []
    for day in sorted({e.effective_on for e in events}):
        folded: dict[Any, Any] = {}
        for e in events:
            if e.effective_on <= day:
                found = folded.get(e.originator_id)
                folded[e.originator_id] = e.mutate(None) if found is None else \
                    (e.apply(found) or found)
        rows = compute(folded)
        if not out or sorted(map(_deadline_key, out[-1][1])) != sorted(map(_deadline_key, rows)):
            out.append((day, rows))
    return out


def _key_text(length: int) -> sa.types.TypeEngine[str]:
    """Text that is looked up or sorted by its bytes: PostgreSQL's "C"
    collation (SQLite's own order; a locale's costs twice as much to index,
    and could order rows differently from SQLite)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["log"] = sa.Table(
        f"{prefix}_log", metadata,
        # INTEGER on SQLite: the primary key is then the row id, not one more index
        sa.Column("notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        # 27 characters (``_instant``); room for an instant in another form, marked
        # for ``_mend_instants`` while a partitioned rebuild writes it. No index:
        # an instant is looked up through rm_log_windows (``log_position``)
        sa.Column("recorded_at", _key_text(48), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=True),
        sa.Column("topic", sa.String(200), nullable=False),
        # no index: no query looks the log up by aggregate (investigators
        # follow the event store itself), and building one cost a rebuild ~1 s
        sa.Column("originator_id", sa.String(36), nullable=False))
    # the earliest recording instant among the log rows of each window of
    # LOG_WINDOW_IDS notification ids: where an "as known at" instant's
    # position lies, found without reading the whole log (``log_position``)
    t["log_windows"] = sa.Table(
        f"{prefix}_log_windows", metadata,
        sa.Column("window_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("earliest_recorded_at", _key_text(32), nullable=False))
    t["postings"] = sa.Table(
        f"{prefix}_postings", metadata,
        sa.Column("notification_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("col", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Index(f"{prefix}_postings_agreement", "agreement", "year"))
    t["status"] = sa.Table(
        f"{prefix}_status", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_status_agreement", "agreement", "valid_from"))
    t["deadlines"] = sa.Table(
        f"{prefix}_deadlines", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("subject", _key_text(96), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("overdue_possible", sa.Boolean, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("shown_until", sa.Date, nullable=True),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_deadlines_subject", "subject", "valid_from"),
        sa.Index(f"{prefix}_deadlines_valid", "valid_from", "valid_to"))
    t["ended"] = sa.Table(
        f"{prefix}_ended", metadata,
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("ended_on", sa.Date, nullable=False),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("article", sa.String(64), nullable=False),
        sa.Column("breach", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Index(f"{prefix}_ended_agreement", "agreement"))
    t["bars"] = sa.Table(
        f"{prefix}_bars", metadata,
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("bar_no", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("years", sa.Integer, nullable=False),
        sa.Column("finding", sa.Text, nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("approved_on", sa.Date, nullable=True),
        sa.Column("approved_known_from", sa.BigInteger, nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("person", "bar_no"))
    return t


LOG_WINDOW_IDS = 1024   # notification ids a row of rm_log_windows speaks for
ANALYZE_STATISTICS_TARGET = 30   # the rebuild's ANALYZE on PostgreSQL (its default: 100)


class ReadModelView(SQLAlchemyTrackingRecorder):
    """The materialised view: the read-model tables and their tracking record."""

    prefix = "rm"
    # a rebuild's batches need not wait for the disk (``_relaxed_commit``)
    relaxed_commits = False

    def __init__(self, datastore: Any, *, tracking_table_name: str = "readmodels_tracking",
                 schema_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(datastore=datastore, tracking_table_name=tracking_table_name,
                         schema_name=schema_name, **kwargs)
        self.metadata = sa.MetaData(schema=schema_name)
        self.t = _tables(self.metadata, self.prefix)
        # the rebuild's own state and plan: outside ``metadata``, so that
        # dropping the read models for a rebuild keeps it
        self.rebuild_table = sa.Table(
            f"{self.prefix}_rebuild", sa.MetaData(schema=schema_name),
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("state", sa.String(16), nullable=False))

    @property
    def engine(self) -> sa.Engine:
        assert self.datastore.engine is not None
        return self.datastore.engine

    def create_table(self) -> None:
        super().create_table()
        w = self.t["log_windows"]
        windows_were_there = sa.inspect(self.engine).has_table(w.name, schema=w.schema)
        self.metadata.create_all(self.engine, checkfirst=True)
        self.rebuild_table.create(self.engine, checkfirst=True)
        if not windows_were_there:
            self._fill_windows()
            self._drop_instants_index()

    def _drop_instants_index(self) -> None:
        """Read models built when rm_log's recording instants had an index
        (before rm_log_windows): it is only a cost now."""
        log = self.t["log"]
        prep = self.engine.dialect.identifier_preparer
        for found in sa.inspect(self.engine).get_indexes(log.name, schema=log.schema):
            if found["column_names"] == ["recorded_at"]:
                name = prep.quote(found["name"])
                if log.schema is not None:
                    name = f"{prep.quote_schema(log.schema)}.{name}"
                with self.engine.begin() as conn:
                    conn.execute(sa.text(f"DROP INDEX {name}"))

    def _fill_windows(self) -> None:
        """Read models built before rm_log_windows existed: its rows from the log's."""
        log = self.engine.dialect.identifier_preparer.format_table(self.t["log"])
        with self.engine.begin() as conn:
            conn.execute(sa.text(_windows_upsert(self.windows_name(), _windows_of(log))))

    # An index whose keys arrive in random order (postings by agreement, the
    # bitemporal rows by agreement or subject) is dropped while a rebuild
    # fills its table from the start and built again at its end: building it
    # once costs a fraction of keeping it up to date row by row. Those whose
    # keys arrive in log order (postings by position) are kept:
    # each partition appends to them, which costs next to nothing. A rebuild
    # that resumes builds them all first: its projections, starting with
    # nothing in memory, look rows up by agreement and subject.
    # PostgreSQL drops the log-order ones too: its server keeps an index
    # entry for about as much CPU as a row costs Python, and it builds all
    # of them at the end side by side (``create_indexes``).
    BULK_INDEXES = (("postings", "agreement"), ("status", "agreement"),
                    ("deadlines", "subject"), ("deadlines", "valid_from"))
    LOG_ORDER_INDEXES = (("postings", "notification_id"),)

    def drop_bulk_indexes(self) -> None:
        drop = self.BULK_INDEXES
        if self.engine.dialect.name == "postgresql":
            drop += self.LOG_ORDER_INDEXES
        for table, column in drop:
            for index in self.t[table].indexes:
                if index.columns[0].name == column:
                    index.drop(self.engine, checkfirst=True)

    def create_indexes(self, tables: Sequence[str] | None = None) -> None:
        """Build the indexes a rebuild dropped (of ``tables``, or all), and on
        PostgreSQL gather fresh statistics for the planner."""
        chosen = [self.t[name] for name in (tables if tables is not None else self.t)]
        if self.engine.dialect.name != "postgresql":   # SQLite: one writer at a time
            for table in chosen:
                for index in table.indexes:
                    index.create(self.engine, checkfirst=True)
            return
        # PostgreSQL builds each table's indexes, then analyses it, in a
        # connection of its own: the tables side by side, on every core
        # (the server does the work; the threads wait)
        from concurrent.futures import ThreadPoolExecutor
        prep = self.engine.dialect.identifier_preparer

        def build(table: sa.Table) -> None:
            for index in table.indexes:
                index.create(self.engine, checkfirst=True)
            with self.engine.begin() as conn:
                # a sample of 9,000 rows, not 30,000: the read models' queries
                # look rows up by key through an index, which statistics this
                # coarse choose as well, and the default's sample was a fifth
                # of building the indexes; autovacuum's analyses later use the
                # server's own setting
                conn.execute(sa.text(f"SET LOCAL default_statistics_target = "
                                     f"{ANALYZE_STATISTICS_TARGET}"))
                conn.execute(sa.text(f"ANALYZE {prep.format_table(table)}"))
        with ThreadPoolExecutor(max_workers=max(1, len(chosen))) as pool:
            list(pool.map(build, chosen))

    def drop(self) -> None:
        """Drop every read model and its tracking record (for a rebuild)."""
        self.metadata.drop_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.tracking_table))
        self.metadata.create_all(self.engine, checkfirst=True)

    def write(self, batch: "Batch", tracking: Tracking) -> None:
        """Apply one batch of rows and move the tracking record, atomically."""
        with self.transaction(commit=True) as session:
            cursor = session.connection().connection.dbapi_connection.cursor()
            try:
                if not self._advance_tracking(cursor, tracking):
                    return  # already applied: exactly once
                if self.relaxed_commits:
                    _relaxed_commit(self.engine, cursor)
            finally:
                cursor.close()
            for name in ("log", "postings", "status", "deadlines", "ended", "bars"):
                rows = getattr(batch, name)
                if rows:
                    self._bulk_insert(session, self.t[name], rows)
            if batch.log:
                cursor = session.connection().connection.dbapi_connection.cursor()
                try:
                    self._note_windows(cursor, _earliest_by_window(batch.log))
                finally:
                    cursor.close()
            for name, closed in batch.closed.items():
                if closed:
                    self._bulk_close(session, self.t[name], closed)
            for key, values in batch.ended_updates:
                session.execute(sa.update(self.t["ended"]).where(
                    self.t["ended"].c.agreement == key).where(
                    self.t["ended"].c.reversed_on.is_(None)).values(**values))
            for (person, bar_no), values in batch.bar_updates:
                session.execute(sa.update(self.t["bars"]).where(
                    self.t["bars"].c.person == person).where(
                    self.t["bars"].c.bar_no == bar_no).values(**values))

    def write_log_sql(self, sql: str, after: int, end: int, tracking: Tracking) -> int:
        """PostgreSQL: run ``_log_rows_sql`` for the events after ``after`` up
        to ``end`` and move the tracking record, atomically; returns the rows
        written (SQLite stages its rows instead: ``_SQLiteLogStage``)."""
        with self.transaction(commit=True) as session:
            cursor = session.connection().connection.dbapi_connection.cursor()
            try:
                if not self._advance_tracking(cursor, tracking):
                    return 0  # already applied: exactly once
                if self.relaxed_commits:
                    _relaxed_commit(self.engine, cursor)
                cursor.execute(sql, (after, end))
                written = cursor.fetchone()[0]   # it also notes the windows, and counts
                self._mend_instants(cursor, after, end)
            finally:
                cursor.close()
        return written

    def _advance_tracking(self, cursor: Any, tracking: Tracking) -> bool:
        """Move this projection's tracking record (the library's table and
        row) to ``tracking``, in the caller's transaction, through the driver:
        the ORM's three round trips a batch were a tenth of a money
        partition. False, and nothing written, when it is there already."""
        table = self.engine.dialect.identifier_preparer.format_table(self.tracking_table)
        postgres = self.engine.dialect.name == "postgresql"
        mark = "%s" if postgres else "?"
        name, position = tracking.application_name, tracking.notification_id
        cursor.execute(f"SELECT notification_id FROM {table} WHERE application_name = {mark}"
                       + (" FOR UPDATE" if postgres else ""), (name,))
        found = cursor.fetchone()
        if found is not None and position <= found[0]:
            return False
        if found is None:
            cursor.execute(f"INSERT INTO {table} (application_name, notification_id) "
                           f"VALUES ({mark}, {mark})", (name, position))
        else:
            cursor.execute(f"UPDATE {table} SET notification_id = {mark} "
                           f"WHERE application_name = {mark}", (position, name))
        return True

    def _mend_instants(self, cursor: Any, after: int, end: int) -> None:
        """Recording instants that SQL could not put in the fixed-width UTC
        form (an offset other than UTC's): ``_stored_instant`` does it."""
        name = self.engine.dialect.identifier_preparer.format_table(self.t["log"])
        mark = "?" if self.engine.dialect.name == "sqlite" else "%s"
        cursor.execute(f"SELECT notification_id, recorded_at FROM {name} WHERE "
                       f"notification_id > {mark} AND notification_id <= {mark} AND "
                       f"substr(recorded_at, 1, 1) = '!'", (after, end))
        mended = {}
        for n, text in cursor.fetchall():
            instant = _stored_instant(text[1:])
            cursor.execute(f"UPDATE {name} SET recorded_at = {mark} WHERE notification_id = "
                           f"{mark}", (instant, n))
            mended[n] = instant
        self._note_windows(cursor, _earliest_by_window(mended.items()))

    def windows_name(self) -> str:
        return self.engine.dialect.identifier_preparer.format_table(self.t["log_windows"])

    def _note_windows(self, cursor: Any, earliest: dict[int, str]) -> None:
        """Keep rm_log_windows' earliest instants for log rows just written
        (in the caller's transaction), window by window upwards: every
        writer takes the windows' row locks in one order, so partitions
        writing side by side never deadlock."""
        if earliest:
            mark = "?" if self.engine.dialect.name == "sqlite" else "%s"
            cursor.executemany(_windows_upsert(self.windows_name(), f"VALUES ({mark}, {mark})"),
                               sorted(earliest.items()))

    def _bulk_insert(self, session: Any, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows through the driver on the session's own connection (so
        in the same transaction as the tracking record): PostgreSQL's COPY,
        SQLite's executemany. Values are the ones SQLAlchemy would store."""
        cols = [c.name for c in table.columns]
        # Rows are tuples in column order with ISO dates (log, postings: the
        # hot path) or dicts holding date objects (the bitemporal tables and
        # the few others).
        dicts = isinstance(rows[0], dict)
        name = self.engine.dialect.identifier_preparer.format_table(table)
        cursor = session.connection().connection.dbapi_connection.cursor()
        try:
            if self.engine.dialect.name == "postgresql":
                if dicts:
                    rows = list(map(itemgetter(*cols), rows))
                short = table.name[len(self.prefix) + 1:]    # "rm_log" -> "log"
                text = _copy_text(short, rows, len(cols))
                cursor.copy_expert(f"COPY {name} ({', '.join(cols)}) FROM STDIN",
                                   io.StringIO(text), size=1 << 20)
            else:
                # dicts by name, as they are: the driver's adapter writes a date
                # as the ISO text SQLAlchemy's SQLite Date type stores (booleans
                # as 0/1, as SQLAlchemy does)
                marks = ", ".join(f":{c}" for c in cols) if dicts else ", ".join("?" * len(cols))
                cursor.executemany(
                    f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def _bulk_close(self, session: Any, table: sa.Table, closed: list[tuple[int, int]]) -> None:
        """known_to of many rows at once, through the driver (same transaction)."""
        name = self.engine.dialect.identifier_preparer.format_table(table)
        cursor = session.connection().connection.dbapi_connection.cursor()
        pairs = [(known_to, row_id) for row_id, known_to in closed]
        try:
            if self.engine.dialect.name == "postgresql":
                from psycopg2.extras import execute_values   # one statement, not one a row
                execute_values(cursor, f"UPDATE {name} AS t SET known_to = v.known_to "
                               "FROM (VALUES %s) AS v (known_to, id) WHERE t.id = v.id",
                               pairs, page_size=10000)
            else:
                cursor.executemany(f"UPDATE {name} SET known_to = ? WHERE id = ?", pairs)
        finally:
            cursor.close()


def _relaxed_commit(engine: sa.Engine, cursor: Any) -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to
    reach the disk. Safe for read models: a crash can lose only the last
    transactions, each with its own tracking record, so the projection
    resumes before them and writes them again."""
    if engine.dialect.name == "postgresql":
        cursor.execute("SET LOCAL synchronous_commit = off")


def _register_sqlite_date_adapter() -> None:
    """Python 3.11's sqlite3 writes a date as its ISO text by a default
    adapter that 3.12 deprecates; the bitemporal rows rely on it, so it is
    registered here explicitly."""
    import sqlite3
    sqlite3.register_adapter(date, date.isoformat)


_register_sqlite_date_adapter()


def _sqlite_relaxed_commit(dbapi_connection: Any, _record: Any) -> None:
    """SQLite in WAL mode: commits reach the disk at checkpoints, not each
    time (``_relaxed_commit``'s reasoning: the tracking records keep a
    rebuild exact after a crash)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA mmap_size = 4294967296")
    cursor.execute("PRAGMA wal_autocheckpoint = 16384")
    cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NULL = "\\N"


def _flag(value: Any) -> Any:
    """COPY's form of a boolean (anything else as it is, for the checks to see)."""
    return "t" if value is True else "f" if value is False else value


# The hot tables' rows as COPY text lines, and how many NULLs a line writes
# (rm_log: only a missing business date; rm_deadlines: only a missing
# "shown until"; the others: none).
_COPY_FORMATS: dict[str, tuple[Callable[[Sequence[Any]], str], Callable[[Sequence[Any]], int]]] = {
    "log": (lambda r: f"{r[0]}\t{r[1]}\t{_NULL if r[2] is None else r[2]}\t{r[3]}\t{r[4]}\n",
            lambda r: r[2] is None),
    "postings": (lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\n",
                 lambda r: 0),
    "status": (lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t"
                         f"{r[8]}\t{r[9]}\n",
               lambda r: 0),
    "deadlines": (lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{_flag(r[5])}\t"
                            f"{_flag(r[6])}\t{_NULL if r[7] is None else r[7]}\t{r[8]}\t"
                            f"{r[9]}\t{r[10]}\t{r[11]}\n",
                  lambda r: r[7] is None),
}


def _generic_line(row: Sequence[Any]) -> str:
    return "\t".join([_NULL if v is None else str(_flag(v)) for v in row]) + "\n"


def _copy_text(table: str, rows: Sequence[Sequence[Any]], width: int) -> str:
    """COPY text of many rows, formatted in one go (str() gives COPY's own
    form of ints, ISO dates and booleans) and checked in one go. The only
    backslashes may be the NULLs written: a field holding a tab, newline,
    carriage return or backslash changes a count, and a None the format
    does not write as NULL, or a boolean it does not write as t or f, shows
    as "None", "True" or "False" (so does a field that says so: harmless,
    it is only escaped). Every row is then escaped field by field instead."""
    line, writes_nulls = _COPY_FORMATS.get(table, (_generic_line, lambda r: r.count(None)))
    text = "".join(map(line, rows))
    if text.count("\\") != sum(map(writes_nulls, rows)) or "None" in text or \
            "True" in text or "False" in text or \
            text.count("\n") != len(rows) or text.count("\t") != (width - 1) * len(rows) or \
            "\r" in text:
        return "".join(map(_copy_line, rows))
    return text


def _copy_line(row: Sequence[Any]) -> str:
    """One row of PostgreSQL's COPY text format, every field escaped."""
    return "\t".join(_copy_value(v) for v in row) + "\n"


def _copy_value(value: Any) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Batch:
    log: list[dict[str, Any]] = field(default_factory=list)
    postings: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    # bitemporal tables (status, deadlines): ids of this batch's own rows, and
    # (id, known_to) of earlier rows it closes
    pending: dict[str, set[int]] = field(default_factory=lambda: {"status": set(),
                                                                  "deadlines": set()})
    closed: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {"status": [],
                                                                            "deadlines": []})
    ended: list[dict[str, Any]] = field(default_factory=list)
    ended_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    bar_updates: list[tuple[tuple[str, str], dict[str, Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.log)


class ReadModels(Projection[ReadModelView]):
    """Turns events into read-model rows. Keeps the aggregates it has seen in
    memory; an aggregate it has not seen is loaded from the event store as it
    stood just before the event (``source``)."""

    name = PROJECTION
    topics: tuple[str, ...] = ()

    def __init__(self, view: ReadModelView, source: Ledger | None = None) -> None:
        super().__init__(view)
        self.source = source
        self.aggregates: dict[Any, Any] = {}   # agreements and people, replayed
        self.money: dict[Any, Any] = {}        # claims and fund accounts: posting state
        # bitemporal tables: each key's rows still known (known_to 0), and the next id
        self.open: dict[str, dict[str, list[dict[str, Any]]]] = {"status": {}, "deadlines": {}}
        self.next_id: dict[str, int] = {}
        self.book: Any = None            # the CalendarBook as of the event being applied
        self.working_calendar: Any = None
        self.position = 0                # the notification being applied
        self.batch = Batch()
        self.routes: dict[str, tuple[str, int]] = {}   # stored topic -> (event name, how)

    # --- eventsourcing's Projection interface (the continuous runner) -----------
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.apply(domain_event, tracking.notification_id)
        self.flush(tracking)

    def flush(self, tracking: Tracking) -> None:
        if len(self.batch):
            self.view.write(self.batch, tracking)
        self.batch = Batch()

    # --- turning one event into rows ---------------------------------------------
    def apply(self, e: Any, notification_id: int) -> None:
        """A domain event (the continuous runner's path)."""
        name = type(e).__qualname__
        effective_on = getattr(e, "effective_on", None)
        day = effective_on.isoformat() if effective_on is not None else None
        self.batch.log.append((notification_id, _instant(e.timestamp), day, name,
                               str(e.originator_id)))
        kind = name.split(".", 1)[0]
        if kind in MONEY_KINDS:
            self._money(name, str(e.originator_id), e.originator_version, e.__dict__,
                        day, notification_id, hasattr(e, "originator_topic"), domain_event=e)
        elif kind in REPLAYED_KINDS:
            self._replayed(e, notification_id)

    # what each stored topic needs (``_route``): its log only, a posting rule that
    # moves nothing (a claim's sample and its reviews, a booked deposit: more than
    # half of a province's events), a posting rule, or its aggregate replayed
    LOG_ONLY, NO_POSTING, MONEY, REPLAY = range(4)

    def _route(self, topic: str) -> tuple[str, int]:
        name = topic.rpartition(":")[2]
        kind = name.split(".", 1)[0]
        if kind in MONEY_KINDS:
            how = self.NO_POSTING if postings.RULES.get(name) is postings.nothing else self.MONEY
        else:
            how = self.REPLAY if kind in REPLAYED_KINDS else self.LOG_ONLY
        self.routes[topic] = (name, how)
        return name, how

    def apply_stored(self, notification_id: int, originator_id: str, version: int,
                     topic: str, state: bytes) -> None:
        """A stored event, decoded only as far as its read models need: money
        events by the posting rules, the replayed kinds (agreements, people,
        applications, evaluations, the calendar book) by their aggregate, every
        other event only into the log (the catch-up and rebuild path). ``state``
        is the stored JSON's bytes."""
        name, how = self.routes.get(topic) or self._route(topic)
        payload = orjson.loads(state)
        effective = payload.get("effective_on")
        day = effective["_data_"] if effective else None   # ISO, as the Date column keeps it
        self.batch.log.append((notification_id, _stored_instant(payload["timestamp"]["_data_"]),
                               day, name, originator_id))
        if how == self.LOG_ONLY or how == self.NO_POSTING:
            # a rule that moves nothing changes no posting state either: the next
            # event of the claim or account finds the state as it was
            return
        if how == self.MONEY:
            self._money(name, originator_id, version, payload, day, notification_id,
                        "originator_topic" in payload, topic, state)
        else:
            self._replayed(self._event(topic, originator_id, version, payload, state),
                           notification_id)

    def _event(self, topic: str, originator_id: str, version: int, payload: dict[str, Any],
               state: bytes) -> Any:
        """The domain event of a stored one whose JSON is already parsed."""
        if self.source is None:
            raise RuntimeError("replaying a stored event needs the ledger's mapper")
        return event_from_parsed(self.source.mapper, StoredEvent(
            originator_id=UUID(originator_id), originator_version=version, topic=topic,
            state=state), payload)

    def _money(self, name: str, originator_id: str, version: int, payload: Any,
               day: str, n: int, is_created: bool, topic: str | None = None,
               state: bytes | None = None, domain_event: Any = None) -> None:
        """Postings of a claim or fund-account event by its posting rule; an
        event with no rule is replayed on its aggregate instead."""
        if is_created and name in postings.CREATED:
            money, deltas = postings.created(name, payload)
            if not deltas:
                # a zero posting: the account exists from its opening day, so its
                # agreement-year has a (zero) position before any money moves, as
                # the fold gives it
                deltas = {"returned": 0}
        elif not is_created and name in postings.RULES:
            money = self.money.get(originator_id)
            if money is None:   # first sight since this process started: as it stood before
                money = postings.from_aggregate(self._stored_aggregate(originator_id,
                                                                       version - 1))
            deltas = postings.apply(name, money, payload)
        else:
            e = domain_event if domain_event is not None else \
                self._event(topic, originator_id, version, payload, state)
            before = None if is_created else self._stored_aggregate(originator_id, version - 1)
            numbers = money_numbers(before) if before is not None else {}
            after = e.mutate(None) if before is None else (e.apply(before) or before)
            deltas = posting_deltas(numbers, money_numbers(after))
            money = postings.from_aggregate(after)
        self.money[originator_id] = money
        agency, agreement, institution, year = money.key
        append = self.batch.postings.append
        for col, amount in deltas.items():
            if type(amount) is not int or not -SUM_MAX_FEN <= amount <= SUM_MAX_FEN:
                # PAY-10: stop here rather than let SQLite keep a float or
                # PostgreSQL refuse the row on every later query
                check_sum(amount, f"posting {col} of event #{n}")
            append((n, agency, agreement, institution, year, col, amount, day))

    def _stored_aggregate(self, originator_id: UUID | str, version: int) -> Any:
        if self.source is None:
            raise RuntimeError("an aggregate first seen part-way needs the event store")
        if isinstance(originator_id, str):
            originator_id = UUID(originator_id)
        return self.source.repository.get(originator_id, version=version)

    def _replayed(self, e: Any, n: int) -> None:
        """The replayed kinds: the aggregate as its own event bodies make it,
        then its rows (status, public list, deadlines, bars)."""
        if hasattr(e, "originator_topic"):
            aggregate = e.mutate(None)
        else:
            aggregate = self.aggregates.get(e.originator_id)
            if aggregate is None:
                aggregate = self._stored_aggregate(e.originator_id, e.originator_version - 1)
            e.apply(aggregate)
            aggregate.version = e.originator_version
        self.aggregates[e.originator_id] = aggregate
        self.position = n
        if isinstance(aggregate, Agreement):
            self._status(aggregate, e, n)
            self._ended(aggregate, e, n)
            self._agreement_deadlines(aggregate, e, n)
        elif isinstance(aggregate, Person):
            self._bars(aggregate, e, n)
        elif isinstance(aggregate, Application):
            self._application_deadlines(aggregate, e, n)
        elif isinstance(aggregate, Evaluation):
            application = self._aggregate_by_key(Application, aggregate.application_no)
            if application is not None:
                self._application_deadlines(application, e, n)
        elif isinstance(aggregate, CalendarBook):
            self.book, self.working_calendar = aggregate, None
            if not hasattr(e, "originator_topic"):
                self._recompute_provisional(e, n)

    def _status(self, ag: Agreement, e: Any, n: int) -> None:
        """Bitemporal status: a new knowledge version of the agreement's
        timeline whenever what it says changes."""
        rows = self._open_rows("status", ag.number, new=hasattr(e, "originator_topic"))
        status, why = status_of(ag, e.effective_on)
        tail = rows[-1] if rows else None
        if tail is not None and e.effective_on >= tail["valid_from"]:
            if (tail["status"], tail["why"]) == (status, why):
                return
            self._close("status", tail, n)
            rows.pop()
            if e.effective_on > tail["valid_from"]:
                rows.append(self._row(ag, tail["valid_from"], e.effective_on, tail["status"],
                                      tail["why"], n))
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        if tail is None and not hasattr(e, "originator_topic"):
            pass  # first sight of an older agreement: recompute its timeline below
        elif tail is None:
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        # A backdated event: recompute the whole timeline as now known.
        for row in rows:
            self._close("status", row, n)
        rows.clear()
        events = self._events_recorded_by(e.originator_id, e)
        points = timeline(events)
        for i, (start, st, wy) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else FAR
            rows.append(self._row(ag, start, end, st, wy, n))

    def _events_recorded_by(self, originator_id: UUID, e: Any) -> list[Any]:
        """An aggregate's events recorded up to ``e``: its own event (up to that
        version) or another's (a calendar load: those recorded before it)."""
        if self.source is None:
            raise RuntimeError("a backdated event needs the event store to recompute from")
        own = e.originator_id == originator_id
        stored = self.source.recorder.select_events(
            originator_id, lte=e.originator_version if own else None)
        events = [self.source.mapper.to_domain_event(s) for s in stored]
        return events if own else [x for x in events if x.timestamp <= e.timestamp]

    # --- the bitemporal tables (status, deadlines): rows still known, per key ------------
    KEYS = {"status": "agreement", "deadlines": "subject"}

    def _open_rows(self, table: str, key: str, *, new: bool = False) -> list[dict[str, Any]]:
        """The rows of ``key`` still known; read once per process (none for a
        key that its own creation event is bringing in)."""
        cache = self.open[table]
        rows = cache.get(key)
        if rows is None:
            rows = []
            if not new:
                t = self.view.t[table]
                with self.view.engine.connect() as conn:
                    found = conn.execute(sa.select(t).where(
                        t.c[self.KEYS[table]] == key).where(t.c.known_to == 0).order_by(
                        t.c.valid_from, t.c.id)).mappings().all()
                rows = [dict(r) for r in found]
            cache[key] = rows
        return rows

    def _new_row(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Give ``row`` the next id of ``table`` and add it to the batch."""
        if table not in self.next_id:
            t = self.view.t[table]
            with self.view.engine.connect() as conn:
                self.next_id[table] = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
                                       or 0) + 1
        row["id"] = self.next_id[table]
        self.next_id[table] += 1
        getattr(self.batch, table).append(row)
        self.batch.pending[table].add(row["id"])
        return row

    def _close(self, table: str, row: dict[str, Any], n: int) -> None:
        # known_to 0 means "still known"; closing records when it stopped being so.
        if row["id"] in self.batch.pending[table]:   # not written yet: close it in the batch
            row["known_to"] = n
        else:
            self.batch.closed[table].append((row["id"], n))

    def _row(self, ag: Agreement, start: date, end: date, status: str, why: str,
             n: int) -> dict[str, Any]:
        return self._new_row("status", {
            "agreement": ag.number, "institution": ag.institution_code, "agency": ag.agency,
            "valid_from": start, "valid_to": end, "status": status, "why": why,
            "known_from": n, "known_to": 0})

    # --- deadlines: bitemporal, per subject, like status --------------------------------
    def _calendar(self) -> Any:
        if self.working_calendar is None:
            if self.book is None and self.source is not None:
                # first use in this process: the book as it stood at this log position
                version = self._version_at(CalendarBook.ID, self.position)
                if version:
                    self.book = self.source.repository.get(CalendarBook.ID, version=version)
            self.working_calendar = self.book.calendar() if self.book is not None \
                else WorkingCalendar()
        return self.working_calendar

    def _version_at(self, originator_id: UUID, position: int) -> int:
        assert self.source is not None
        table = self.source.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        with self.view.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(table.c.originator_version)).where(
                table.c.originator_id == originator_id).where(
                table.c.id <= position)).scalar() or 0

    def _aggregate_by_key(self, cls: type, key: str) -> Any:
        found = self.aggregates.get(cls.id_for(key))
        if found is None and self.source is not None:
            version = self._version_at(cls.id_for(key), self.position)
            if version:
                found = self.source.repository.get(cls.id_for(key), version=version)
                self.aggregates[cls.id_for(key)] = found
        return found

    def _evaluations_of(self, application: Application) -> list[Any]:
        found = (self._aggregate_by_key(Evaluation, number) for number in application.evaluations)
        return [ev for ev in found if ev is not None]

    def _application_deadlines(self, a: Application, e: Any, n: int) -> None:
        rows = application_deadlines(a, self._evaluations_of(a), self._calendar())
        subject = f"application {a.number}"
        self._open_rows("deadlines", subject, new=hasattr(e, "originator_topic") and
                        isinstance(e, Application.Event))
        self._deadlines(subject, rows, e.effective_on, n,
                        lambda: self._application_timeline(a, e))

    def _agreement_deadlines(self, ag: Agreement, e: Any, n: int) -> None:
        rows = agreement_deadlines(ag, self._calendar())
        subject = f"agreement {ag.number}"
        self._open_rows("deadlines", subject, new=hasattr(e, "originator_topic"))
        self._deadlines(subject, rows, e.effective_on, n,
                        lambda: self._agreement_timeline(ag, e))

    def _recompute_provisional(self, e: Any, n: int) -> None:
        """CAL-01: a year's official arrangement is loaded; every subject whose
        open deadlines were computed provisionally gets them again, from the
        load's business date on."""
        t = self.view.t["deadlines"]
        with self.view.engine.connect() as conn:
            subjects = set(conn.execute(sa.select(t.c.subject).where(t.c.known_to == 0).where(
                t.c.provisional.is_(True))).scalars())
        for subject, rows in self.open["deadlines"].items():
            if any(r["provisional"] and r["known_to"] == 0 for r in rows):
                subjects.add(subject)
            elif subject in subjects:
                subjects.discard(subject)   # this run already knows it better than the table
        cal = self._calendar()
        for subject in sorted(subjects):
            kind, number = subject.split(" ", 1)
            if kind == "agreement":
                ag = self._aggregate_by_key(Agreement, number)
                if ag is not None:
                    self._deadlines(subject, agreement_deadlines(ag, cal), e.effective_on, n,
                                    lambda ag=ag: self._agreement_timeline(ag, e))
            else:
                a = self._aggregate_by_key(Application, number)
                if a is not None:
                    self._deadlines(subject, application_deadlines(a, self._evaluations_of(a), cal),
                                    e.effective_on, n,
                                    lambda a=a: self._application_timeline(a, e))

    def _agreement_timeline(self, ag: Agreement, e: Any) -> list[tuple[date, list[Any]]]:
        """The agreement's events recorded up to ``e`` (which may be the
        agreement's own event or a calendar load)."""
        events = self._events_recorded_by(Agreement.id_for(ag.number), e)
        cal = self._calendar()
        return _fold_points(events, lambda folded: agreement_deadlines(
            folded[events[0].originator_id], cal))

    def _application_timeline(self, a: Application, e: Any) -> list[tuple[date, list[Any]]]:
        """The application's and its evaluations' events, in recording order."""
        ids = [Application.id_for(a.number)] + [Evaluation.id_for(x) for x in a.evaluations]
        events = sorted((x for i in ids for x in self._events_recorded_by(i, e)),
                        key=lambda x: x.timestamp)
        cal = self._calendar()

        def deadlines(folded: dict[Any, Any]) -> list[Any]:
            app = folded.get(ids[0])
            if app is None:
                return []
            evaluations = [folded[Evaluation.id_for(x)] for x in app.evaluations
                           if Evaluation.id_for(x) in folded]
            return application_deadlines(app, evaluations, cal)
        return _fold_points(events, deadlines)

    def _deadlines(self, subject: str, rows: list[dict[str, Any]], day: date, n: int,
                   recompute: Callable[[], list[tuple[date, list[dict[str, Any]]]]]) -> None:
        """A new knowledge version of the subject's deadlines whenever they
        change: in business-date order by closing the open tail; a backdated
        event by recomputing the subject's timeline from its events."""
        known = self._open_rows("deadlines", subject)
        points = [r["valid_from"] for r in known] + \
            [r["valid_to"] for r in known if r["valid_to"] != FAR]
        if not points or day >= max(points):
            tail = [r for r in known if r["valid_to"] == FAR]
            if sorted(map(_deadline_key, tail)) == sorted(map(_deadline_key, rows)):
                return
            for r in tail:
                self._close("deadlines", r, n)
                known.remove(r)
                if r["valid_from"] < day:
                    known.append(self._deadline_row(r, r["valid_from"], day, n))
            known.extend(self._deadline_row(r, day, FAR, n) for r in rows)
            return
        for r in known:
            self._close("deadlines", r, n)
        known.clear()
        timeline_ = recompute()
        for i, (start, rs) in enumerate(timeline_):
            end = timeline_[i + 1][0] if i + 1 < len(timeline_) else FAR
            known.extend(self._deadline_row(r, start, end, n) for r in rs)

    def _deadline_row(self, r: dict[str, Any], start: date, end: date,
                      n: int) -> dict[str, Any]:
        return self._new_row("deadlines", {
            "subject": r["subject"], "what": r["what"], "rule": r["rule"], "due": r["due"],
            "overdue_possible": r["overdue_possible"], "provisional": r["provisional"],
            "shown_until": r["shown_until"], "valid_from": start, "valid_to": end,
            "known_from": n, "known_to": 0})

    def _ended(self, ag: Agreement, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Agreement.Ended":
            self.batch.ended.append({**ended_row(ag), "known_from": n, "reversed_on": None,
                                     "reversed_known_from": None})
        elif name == "Agreement.DecisionReversed" and e.decision == "ending":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
            for row in self.batch.ended:
                if row["agreement"] == ag.number and row["reversed_on"] is None:
                    row.update(values)
                    return
            self.batch.ended_updates.append((ag.number, values))

    def _bars(self, person: Person, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Person.BarProposed":
            bar = person.bars[e.bar_no]
            self.batch.bars.append({"person": person.person_id, "bar_no": e.bar_no,
                                    "institution": bar["institution"], "years": bar["years"],
                                    "finding": bar["finding"], "proposed_on": e.effective_on,
                                    "approved_on": None, "approved_known_from": None,
                                    "until": None, "reversed_on": None,
                                    "reversed_known_from": None, "known_from": n})
            return
        if name == "Person.BarApproved":
            values = {"approved_on": e.effective_on, "approved_known_from": n,
                      "until": e.until}
        elif name == "Person.BarReversed":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
        else:
            return
        for row in self.batch.bars:
            if (row["person"], row["bar_no"]) == (person.person_id, e.bar_no):
                row.update(values)
                return
        self.batch.bar_updates.append(((person.person_id, e.bar_no), values))


# --- running the projection ------------------------------------------------------------
def view_for(ledger: Ledger) -> ReadModelView:
    """The ledger's read-model view, made (and its tables created) once."""
    view = getattr(ledger, "_read_model_view", None)
    if view is None:
        recorder = ledger.recorder
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)  # see verify()
            view = ReadModelView(recorder.datastore, schema_name=recorder.schema_name)  # type: ignore[attr-defined]
        view.create_table()
        ledger._read_model_view = view  # type: ignore[attr-defined]
    return view


def _stored_batches(ledger: Ledger, after: int, size: int, *, upto: int | None = None,
                    where: str = "") -> Iterator[tuple[int, list[tuple[int, str, int, str, bytes]]]]:
    """Rows of the events table in log order, read with the driver's own
    cursor (no ORM objects), a window of ``size`` notification ids at a
    time: (the window's last id, [(notification id, originator id, version,
    topic, state)]). ``where`` narrows them to one partition
    (``_partition_sql``), so a window may hold few rows or none.

    Windows of ids, not ``ORDER BY id LIMIT n``: PostgreSQL, not yet
    analysed after a bulk load, planned the LIMIT as a sort of every later
    row, about a second a batch. PostgreSQL hands the state over as text
    (its bytea travels as hex, twice the size), which the driver gives as
    the bytes it received (``_state_as_bytes``: decoding the claims' Chinese
    text into a str only for ``orjson`` to encode it back cost a tenth of a
    money partition's parsing), and the id as text."""
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

REPLAY_PARTITION, LOG_PARTITION = 0, 1   # the others (2 ..) share the money events
PARTITION_LAYOUT = "2"   # recorded in a rebuild's plan: resume only what this layout began


def _partition_sql(dialect: str, k: int, partitions: int) -> str:
    """The events of partition ``k`` of ``partitions`` (at least 3):

    - 0: the aggregates that are replayed (agreements, people, applications,
      evaluations, the calendar book: their read-model subjects depend on
      each other, as an evaluation's deadlines are its application's and a
      calendar load recomputes provisional ones);
    - 1: every event that only makes a log row (a sample, its reviews, a
      booked deposit, an institution's or the registry's events: more than
      half of a province), written by SQL alone (``_log_rows_sql``);
    - 2 and on: the claims' and fund accounts' events that post money, split
      by their aggregate id's last byte.

    Each aggregate's events, and each read-model subject's rows, so belong
    to exactly one partition."""
    replayed = " OR ".join(_starts_with(dialect, p) for p in _topic_prefixes(REPLAYED))
    money = " OR ".join(_starts_with(dialect, p) for p in _topic_prefixes(MONEY))
    silent = ", ".join(f"'{t}'" for t in _no_posting_topics())
    posting = f"({money}) AND topic NOT IN ({silent})"
    if k == REPLAY_PARTITION:
        return f" AND ({replayed})"
    if k == LOG_PARTITION:
        return f" AND NOT ({replayed}) AND NOT ({posting})"
    shares = partitions - 2
    lo, hi = 256 * (k - 2) // shares, 256 * (k - 1) // shares
    if dialect == "sqlite":   # the 16 bytes of the id as a BLOB: compare its last byte
        byte = "substr(originator_id, 16, 1)"
        bounds = f"{byte} >= x'{lo:02x}'" + (f" AND {byte} < x'{hi:02x}'" if hi < 256 else "")
    else:
        byte = "get_byte(uuid_send(originator_id), 15)"
        bounds = f"{byte} >= {lo} AND {byte} < {hi}"
    return f" AND {bounds} AND {posting}"   # the cheaper test first


def _starts_with(dialect: str, prefix: str) -> str:
    """SQL: the topic begins with ``prefix`` (which ends with a dot). SQLite
    compares bytes, so a range is the cheapest test (no string made per
    row); PostgreSQL's collation may not, so it matches a pattern."""
    if dialect == "sqlite":
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"(topic >= '{prefix}' AND topic < '{after}')"
    # LIKE with a constant prefix costs a third of starts_with() per row;
    # "_" is LIKE's any-character, so it is escaped, and "%%" is the driver's
    # "%" (the statement has parameters)
    return f"topic LIKE '{prefix.replace('_', chr(92) + '_')}%%'"


def _topic_prefixes(classes: Sequence[type]) -> list[str]:
    from eventsourcing.utils import get_topic
    return [get_topic(cls) + "." for cls in classes]


def _no_posting_topics() -> list[str]:
    """Stored topics of the money events whose posting rule moves nothing."""
    from eventsourcing.utils import get_topic
    aggregates = {cls.__name__: cls for cls in MONEY}
    out = []
    for name, rule in sorted(postings.RULES.items()):
        if rule is postings.nothing:
            kind, event_name = name.split(".", 1)
            out.append(get_topic(getattr(aggregates[kind], event_name)))
    return out


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
    not found there: parsing every log-only event cost the rebuild's server
    as much as writing its row. (Columns used: ``state``; ``n``, its length;
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


class RebuildUnfinished(RuntimeError):
    """The read models are being rebuilt, or a rebuild stopped part-way."""


def catch_up(ledger: Ledger, *, batch_size: int = 5000,
             progress: Callable[[int, int], None] | None = None,
             stop_after_batches: int | None = None,
             projection: ReadModels | None = None) -> int:
    """Apply every event after the tracked position; returns how many.
    Refuses while a rebuild is unfinished: half-built read models would give
    wrong answers, and applying events beside the rebuild's own partitions
    would count them twice."""
    view = projection.view if projection else view_for(ledger)
    if projection is None:
        if _rebuild_state(view) == "in_progress":
            raise RebuildUnfinished("the read models are being rebuilt, or a rebuild stopped "
                                    "part-way: run `ledger rebuild` to finish it")
    projection = projection or ReadModels(view, source=ledger)
    start = view.max_tracking_id(APP) or 0
    return _apply_log(ledger, projection, APP, start, batch_size=batch_size, progress=progress,
                      stop_after_batches=stop_after_batches)[0]


def _apply_log(ledger: Ledger, projection: ReadModels, tracking_name: str, start: int, *,
               batch_size: int, upto: int | None = None, where: str = "",
               progress: Callable[[int, int], None] | None = None,
               stop_after_batches: int | None = None,
               write_turn: Callable[[], Any] = contextlib.nullcontext) -> tuple[int, bool]:
    """Apply the stored events after ``start`` (up to ``upto``, of one
    partition when ``where`` says so), tracking them under ``tracking_name``.
    Returns how many, and whether it reached the end.

    Batches are written one at a time and in log order, each with its
    tracking record in the same transaction, so a run stopped anywhere has
    applied a prefix of the log exactly once and the next run resumes after
    it. (Reading, applying and writing in threads was measured slower: the
    drivers give up the interpreter lock for every row and wait to get it
    back. Parallelism comes from partitions in processes instead.)"""
    last = upto if upto is not None else (ledger.recorder.max_notification_id() or 0)
    total = max(0, last - start)
    done = 0
    write = projection.view.write
    apply = projection.apply_stored
    collecting = gc.isenabled()
    gc.disable()   # millions of short-lived rows: the cyclic collector only costs here
    finished = True
    try:
        batches = 0
        for end, rows in _stored_batches(ledger, start, batch_size, upto=last, where=where):
            batches += 1
            for notification_id, originator_id, version, topic, state in rows:
                apply(notification_id, originator_id, version, topic, state)
            batch, projection.batch = projection.batch, Batch()
            if rows:   # every event of this partition up to ``end`` is applied
                with write_turn():
                    write(batch, Tracking(tracking_name, end))
            done += len(rows)
            if progress:
                progress(done, total)
            if stop_after_batches is not None and batches >= stop_after_batches:
                finished = False
                break
    finally:
        if collecting:
            gc.enable()
    return done, finished


PARALLEL_FROM_EVENTS = 50_000   # below this, starting processes costs more than it saves


def rebuild(ledger: Ledger, *, batch_size: int = 20000,
            progress: Callable[[int, int], None] | None = None,
            stop_after_batches: int | None = None,
            workers: int | None = None) -> dict[str, Any]:
    """Drop the read models and build them again from the log alone (AUD-02).

    A large log is rebuilt by ``workers`` processes, each applying one
    partition of it (``_partition_sql``) under its own tracking record; a
    small one in this process. The events to rebuild are the log as it
    stood when the rebuild began; later ones are caught up afterwards as
    usual. A rebuild that was stopped part-way (killed, or
    ``stop_after_batches``) resumes where each partition stopped when run
    again, with the partitioning it began with, and ends in the same state.
    Stop ``ledger follow`` while rebuilding."""
    import multiprocessing
    view = view_for(ledger)
    state = _rebuild_state(view)
    plan = (_rebuild_state(view, "plan") or "").split("/")
    if state == "in_progress" and len(plan) == 3 and plan[2] == PARTITION_LAYOUT:
        partitions, target = int(plan[0]), int(plan[1])
        view.create_indexes()   # see BULK_INDEXES
    else:   # a new rebuild (or one begun with another partition layout: begun again)
        target = ledger.recorder.max_notification_id() or 0
        partitions = workers or _default_workers(ledger, target)
        if partitions == 2:
            partitions = 3   # the replayed, the log-only and the money events apart
        if partitions > 1 and "fork" not in multiprocessing.get_all_start_methods():
            raise ValueError("a rebuild in partitions forks its workers: this system cannot")
        view.drop()
        view.drop_bulk_indexes()
        _set_rebuild_state(view, f"{partitions}/{target}/{PARTITION_LAYOUT}", "plan")
        _set_rebuild_state(view, "in_progress")
    started = time.perf_counter()
    if partitions == 1:
        projection = ReadModels(view, source=ledger)
        n, complete = _apply_log(ledger, projection, APP, view.max_tracking_id(APP) or 0,
                                 batch_size=batch_size, upto=target, progress=progress,
                                 stop_after_batches=stop_after_batches)
    else:
        n, complete = _rebuild_in_partitions(ledger, partitions, target, batch_size=batch_size,
                                             progress=progress,
                                             stop_after_batches=stop_after_batches)
    if complete:
        if (view.max_tracking_id(APP) or 0) < target:
            view.write(Batch(), Tracking(APP, target))   # the partitions together reached it
        view.create_indexes()
        _set_rebuild_state(view, "done")
    seconds = time.perf_counter() - started
    return {"events": n, "seconds": seconds, "complete": complete, "partitions": partitions,
            "events_per_second": n / seconds if seconds else 0.0}


def _default_workers(ledger: Ledger, events: int) -> int:
    import multiprocessing
    url = str(ledger.env.get("SQLALCHEMY_URL") or "")
    if events < PARALLEL_FROM_EVENTS or ":memory:" in url or url in ("sqlite://", "sqlite:///") \
            or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    # one process replays agreements, people and applications, one writes the
    # log-only events in SQL, two share the money (docs/performance.md)
    return 4 if (os.cpu_count() or 1) >= 2 else 1


def _rebuild_in_partitions(ledger: Ledger, partitions: int, target: int, *, batch_size: int,
                           progress: Callable[[int, int], None] | None,
                           stop_after_batches: int | None) -> tuple[int, bool]:
    """Fork one worker per partition: each starts in milliseconds with
    everything imported (a fresh interpreter costs about a second of CPU,
    a tenth of a province's rebuild on two cores). The parent first closes
    its pooled connections (SQLite must not see a connection cross a fork),
    and each child opens its own ledger and leaves with ``os._exit``, so
    that no inherited connection is ever used or closed by it."""
    url = str(ledger.env.get("SQLALCHEMY_URL"))
    schema = ledger.env.get("SQLALCHEMY_SCHEMA") or None
    ledger.recorder.datastore.engine.dispose()  # type: ignore[attr-defined]
    # Parent and children share the parent's memory until either writes to
    # a page; a collector pass over the parent's objects writes to every one
    # of them, so they are frozen out of collection while the workers run
    # (a parent holding 3 GiB of objects slowed a rebuild by a quarter).
    gc.freeze()
    try:
        return _fork_partitions(url, schema, partitions, target, batch_size=batch_size,
                                progress=progress, stop_after_batches=stop_after_batches)
    finally:
        gc.unfreeze()


def _fork_partitions(url: str, schema: str | None, partitions: int, target: int, *,
                     batch_size: int, progress: Callable[[int, int], None] | None,
                     stop_after_batches: int | None) -> tuple[int, bool]:
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    reports = ctx.Queue()
    processes = [ctx.Process(target=_forked_partition,
                             args=(url, schema, k, partitions, target, batch_size,
                                   stop_after_batches, reports))
                 for k in range(partitions)]
    for p in processes:
        p.start()
    done = [0] * partitions
    finished: dict[int, bool] = {}
    errors: dict[int, str] = {}
    try:
        while len(finished) + len(errors) < partitions:
            try:
                k, report = reports.get(timeout=0.5)
            except queue.Empty:
                for k, p in enumerate(processes):   # a worker that died without a word
                    if p.exitcode is not None and k not in finished and k not in errors:
                        errors[k] = f"exit code {p.exitcode}"
                continue
            if "error" in report:
                errors[k] = report["error"]
                continue
            done[k] = report["done"]
            if "finished" in report:
                finished[k] = report["finished"]
            if progress:
                progress(sum(done), target)
    finally:
        for p in processes:
            p.join()
        _remove_write_turn(url)
    if errors:
        k = min(errors)
        raise RuntimeError(f"rebuild partition {k} failed:\n{errors[k]}")
    return sum(done), all(finished.values())


def _forked_partition(url: str, schema: str | None, k: int, partitions: int, target: int,
                      batch_size: int, stop_after_batches: int | None, reports: Any) -> None:
    code = 0
    try:
        rebuild_partition(url, schema, k, partitions, target, batch_size, stop_after_batches,
                          lambda report: reports.put((k, report)))
    except BaseException:   # noqa: BLE001 - told to the parent, which raises it
        import traceback
        reports.put((k, {"error": traceback.format_exc()}))
        code = 1
    finally:
        reports.close()
        reports.join_thread()   # the reports are sent before the process ends
        os._exit(code)


def _remove_write_turn(url: str) -> None:
    if url.startswith("sqlite:///"):   # the partitions' write-turn file (_sqlite_write_turn)
        with contextlib.suppress(OSError):
            os.remove(url[len("sqlite:///"):] + ".rebuild-turn")


def rebuild_partition(url: str, schema: str | None, k: int, partitions: int, target: int,
                      batch_size: int, stop_after_batches: int | None,
                      report: Callable[[dict[str, Any]], None]) -> None:
    """One rebuild process: the events of partition ``k``, under its own
    tracking record, so that it resumes on its own."""
    from adapters.settings import open_ledger
    ledger = open_ledger(url, schema)
    try:
        view = view_for(ledger)
        view.relaxed_commits = True
        if view.engine.dialect.name == "sqlite":
            sa.event.listen(view.engine, "connect", _sqlite_relaxed_commit)
            view.engine.dispose()   # every connection from now on has it
        name = f"{APP}/{k + 1}of{partitions}"
        where = _partition_sql(view.engine.dialect.name, k, partitions)
        start = view.max_tracking_id(name) or 0
        progress = lambda d, _t: report({"done": d})  # noqa: E731
        if k == LOG_PARTITION:
            n, finished = _apply_log_sql(ledger, view, name, start, batch_size=batch_size,
                                         upto=target, where=where, progress=progress,
                                         stop_after_batches=stop_after_batches,
                                         write_turn=_sqlite_write_turn(url))
        else:
            n, finished = _apply_log(
                ledger, ReadModels(view, source=ledger), name, start, batch_size=batch_size,
                upto=target, where=where, progress=progress,
                stop_after_batches=stop_after_batches, write_turn=_sqlite_write_turn(url))
        report({"done": n, "finished": finished})
    finally:
        ledger.close()


def _apply_log_sql(ledger: Ledger, view: ReadModelView, tracking_name: str, start: int, *,
                   batch_size: int, upto: int, where: str,
                   progress: Callable[[int, int], None],
                   stop_after_batches: int | None,
                   write_turn: Callable[[], Any] = contextlib.nullcontext) -> tuple[int, bool]:
    """The log-only partition: each window of ids in one statement, with its
    tracking record in the same transaction (resumable like ``_apply_log``).
    The events are read and their rows written inside the database: no
    Python object per event."""
    table = ledger.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    events = view.engine.dialect.identifier_preparer.format_table(table)
    staged = _SQLiteLogStage(view, events, where) if view.engine.dialect.name == "sqlite" \
        else None
    sql = _log_rows_sql(view.engine.dialect.name, events,
                        view.engine.dialect.identifier_preparer.format_table(view.t["log"]),
                        where, view.windows_name())
    size = batch_size * 2   # about half of the events are this partition's
    done = 0
    try:
        for batches, (position, end) in enumerate(_windows(start, upto, size), 1):
            tracking = Tracking(tracking_name, end)
            done += staged.write(position, end, tracking, write_turn) if staged is not None \
                else view.write_log_sql(sql, position, end, tracking)
            progress(done, upto)
            if stop_after_batches is not None and batches >= stop_after_batches:
                return done, end >= upto
    finally:
        if staged is not None:
            staged.raw.close()
    return done, True


class _SQLiteLogStage:
    """SQLite lets one connection write at a time, and ``INSERT ... SELECT``
    would hold that turn while it parses every event of a window. So the
    rows are made into a temporary table first (writing only this
    connection's temporary database, no turn needed), then copied in with
    the tracking record, atomically, in the turn. One connection does both:
    a temporary table is its own."""

    def __init__(self, view: ReadModelView, events: str, where: str) -> None:
        self.view = view
        log = view.engine.dialect.identifier_preparer.format_table(view.t["log"])
        self.raw = view.engine.raw_connection()
        cursor = self.raw.cursor()
        cursor.execute("DROP TABLE IF EXISTS temp.log_stage")
        cursor.execute(f"CREATE TEMP TABLE log_stage AS SELECT * FROM {log} WHERE 0")
        cursor.close()
        self.raw.commit()
        self.stage_sql = _log_rows_sql("sqlite", events, "temp.log_stage", where)
        self.copy_sql = f"INSERT INTO {log} SELECT * FROM temp.log_stage"
        self.windows_sql = _windows_upsert(view.windows_name(), _windows_of("temp.log_stage"))

    def write(self, after: int, end: int, tracking: Tracking,
              write_turn: Callable[[], Any]) -> int:
        cursor = self.raw.cursor()
        try:
            cursor.execute("DELETE FROM temp.log_stage")
            cursor.execute(self.stage_sql, (after, end))
            self.raw.commit()
            with write_turn():
                if not self.view._advance_tracking(cursor, tracking):
                    self.raw.rollback()
                    return 0   # already applied: exactly once
                cursor.execute(self.copy_sql)
                written = cursor.execute("SELECT changes()").fetchone()[0]
                cursor.execute(self.windows_sql)
                self.view._mend_instants(cursor, after, end)
                self.raw.commit()
            return written
        except BaseException:
            self.raw.rollback()
            raise
        finally:
            cursor.close()


def _sqlite_write_turn(url: str) -> Callable[[], Any]:
    """SQLite lets one writer in at a time and makes the others poll, sleeping
    up to 100 ms between tries; partitions that take turns on a file lock
    are woken the moment it is free instead. PostgreSQL needs no turns."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return contextlib.nullcontext
    try:
        import fcntl
    except ImportError:   # not POSIX: SQLite's own polling still keeps writes apart
        return contextlib.nullcontext
    path = url[len("sqlite:///"):] + ".rebuild-turn"

    @contextlib.contextmanager
    def turn() -> Iterator[None]:
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    return turn


def _rebuild_state(view: ReadModelView, what: str = "") -> str | None:
    """"in_progress" or "done" (``what`` empty); the plan ("partitions/last
    notification id") of the rebuild under way (``what`` = "plan")."""
    name = "readmodels" + (f".{what}" if what else "")
    with view.engine.connect() as conn:
        meta = view.rebuild_table
        return conn.execute(sa.select(meta.c.state).where(meta.c.name == name)).scalar()


def _set_rebuild_state(view: ReadModelView, state: str, what: str = "") -> None:
    name = "readmodels" + (f".{what}" if what else "")
    meta = view.rebuild_table
    with view.engine.begin() as conn:
        conn.execute(sa.delete(meta).where(meta.c.name == name))
        conn.execute(sa.insert(meta).values(name=name, state=state))


def follow(env: dict[str, str], *, seconds: float | None = None) -> None:
    """PostgreSQL: follow new events continuously with eventsourcing's
    ProjectionRunner on the LISTEN/NOTIFY subscription."""
    runner = start_runner(env)
    try:
        runner.run_forever(timeout=seconds)
    except TimeoutError:
        pass
    finally:
        runner.stop()


def start_runner(env: dict[str, str]) -> Any:
    """eventsourcing's ProjectionRunner over the ledger and the read models,
    started (it subscribes from the tracked position). PostgreSQL only."""
    from eventsourcing.projection import ProjectionRunner
    runner = ProjectionRunner(application_class=Ledger, projection_class=ReadModels,
                              view_class=ReadModelView, env=env)
    runner.projection.source = runner.app
    return runner


# --- queries on both time axes ------------------------------------------------------------
def log_position(view: ReadModelView, known_at: datetime | None) -> int:
    """The last notification recorded by ``known_at`` (everything when None).

    Recording instants follow notification ids only nearly (an event is
    stamped when made, numbered when committed), so the answer is the
    greatest id among all rows recorded by then. Asked of the log alone, a
    database scans from one end until it is sure: on a province, 40 to 300 ms
    an instant. rm_log_windows keeps each window's earliest instant, so the
    last window holding a row recorded by then is found among a thousandth
    as many rows, and the answer among that window's rows."""
    t, w = view.t["log"], view.t["log_windows"]
    with view.engine.connect() as conn:
        if known_at is None:
            return conn.execute(sa.select(sa.func.max(t.c.notification_id))).scalar() or 0
        instant = _instant(known_at)
        below = None
        while True:   # the first window found holds a row recorded by then
            q = sa.select(w.c.window_no).where(w.c.earliest_recorded_at <= instant)
            if below is not None:
                q = q.where(w.c.window_no < below)
            window = conn.execute(q.order_by(w.c.window_no.desc()).limit(1)).scalar()
            if window is None:
                return 0
            # the instant tested inside the aggregate: the window's rows are
            # read by position (a planner given "recorded_at <= x" to use took
            # the instants' index instead, through every earlier row)
            found = conn.execute(sa.select(sa.func.max(sa.case(
                (t.c.recorded_at <= instant, t.c.notification_id)))).where(
                t.c.notification_id >= window * LOG_WINDOW_IDS).where(
                t.c.notification_id < (window + 1) * LOG_WINDOW_IDS)).scalar()
            if found is not None:
                return found
            below = window


def status_as_of(view: ReadModelView, on: date, position: int,
                 agreement: str | None = None,
                 institution: str | None = None) -> list[dict[str, Any]]:
    t = view.t["status"]
    q = (sa.select(t.c.agreement, t.c.institution, t.c.agency, t.c.status, t.c.why,
                   t.c.valid_from)
         .where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if institution:
        q = q.where(t.c.institution == institution)
    with view.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(t.c.agreement)).mappings()]


def positions_as_of(view: ReadModelView, on: date | None, position: int, *,
                    agreement: str | None = None, year: int | None = None,
                    agency: str | None = None) -> list[Position]:
    t = view.t["postings"]
    q = (sa.select(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col,
                   sa.func.sum(t.c.amount))
         .where(t.c.notification_id <= position)
         .group_by(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col))
    if on is not None:
        q = q.where(t.c.effective_on <= on)
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if year:
        q = q.where(t.c.year == year)
    if agency:
        q = q.where(t.c.agency == agency)
    rows: dict[tuple[str, int], Position] = {}
    with view.engine.connect() as conn:
        for agency_, agreement_, institution, year_, col, amount in conn.execute(q):
            p = rows.setdefault((agreement_, year_),
                                Position(agency_, agreement_, institution, year_))
            amount = check_sum(int(amount), f"{col} of {agreement_} {year_}")
            if col.startswith("refused:"):
                reason = col.split(":", 1)[1]
                p.refused_by_reason[reason] = p.refused_by_reason.get(reason, 0) + amount
                p.refused += amount
            else:
                setattr(p, col, getattr(p, col) + amount)
    for p in rows.values():
        p.still_held = p.withheld - p.returned - p.forfeited
        p.approved_unpaid = p.approved - p.paid - p.withheld
    return sorted(rows.values(), key=lambda p: (p.agency, p.agreement, p.year))


def deadlines_as_of(view: ReadModelView, on: date, position: int, *,
                    subject: str | None = None) -> list[dict[str, Any]]:
    """Open deadlines on ``on`` as the ledger knew them at ``position``: each
    subject's deadlines as its events effective by ``on`` say (AUD-03)."""
    t = view.t["deadlines"]
    q = (sa.select(t).where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if subject:
        q = q.where(t.c.subject == subject)
    with view.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    return on_date(rows, on)


def ended_as_of(view: ReadModelView, on: date | None, position: int) -> list[dict[str, Any]]:
    t = view.t["ended"]
    q = sa.select(t).where(t.c.known_from <= position)
    if on is not None:
        q = q.where(t.c.ended_on <= on)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.ended_on, t.c.agreement)).mappings():
            reversed_ = r["reversed_on"] is not None and \
                (on is None or r["reversed_on"] <= on) and r["reversed_known_from"] <= position
            if not reversed_:
                rows.append(dict(r))
    return rows


def bars_as_of(view: ReadModelView, on: date | None, position: int, *,
               person: str | None = None, institution: str | None = None
               ) -> list[dict[str, Any]]:
    t = view.t["bars"]
    q = sa.select(t).where(t.c.known_from <= position)
    if person:
        q = q.where(t.c.person == person)
    if institution:
        q = q.where(t.c.institution == institution)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.person, t.c.bar_no)).mappings():
            row = dict(r)
            approved = row["approved_on"] is not None and \
                row["approved_known_from"] <= position and \
                (on is None or row["approved_on"] <= on)
            reversed_ = row["reversed_on"] is not None and \
                row["reversed_known_from"] <= position and \
                (on is None or row["reversed_on"] <= on)
            row["status"] = "reversed" if reversed_ else (
                "approved" if approved else "awaiting approval")
            if not approved:
                row["approved_on"] = row["until"] = None
            rows.append(row)
    return rows


# --- proof: rebuild equals live, and the money identities hold at every point ---------------
def snapshot(view: ReadModelView) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, in a canonical order (row ids left out)."""
    out = {}
    with view.engine.connect() as conn:
        for name, table in view.t.items():
            cols = [c for c in table.columns if c.name != "id"]
            rows = conn.execute(sa.select(*cols)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def money_identities_at_every_point(view: ReadModelView) -> list[str]:
    """AUD-06 over history: walking each agreement-year's postings in log
    order, approved >= paid + withheld, withheld >= returned + forfeited,
    recovered <= to recover, and no figure below zero, at every step."""
    t = view.t["postings"]
    broken = []
    running: dict[tuple[str, int], dict[str, int]] = {}
    with view.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.agreement, t.c.year, t.c.col, t.c.amount,
                                      t.c.notification_id)
                            .order_by(t.c.notification_id)).all()
    for i, (agreement, year, col, amount, n) in enumerate(rows):
        s = running.setdefault((agreement, year), {})
        s[col] = s.get(col, 0) + int(amount)
        last_of_event = i + 1 == len(rows) or rows[i + 1][4] != n
        if not last_of_event:
            continue
        g = lambda c: s.get(c, 0)  # noqa: E731
        problems = []
        if g("paid") + g("withheld") > g("approved"):
            problems.append("paid + withheld exceeds approved")
        if g("returned") + g("forfeited") > g("withheld"):
            problems.append("returned + forfeited exceeds withheld")
        if g("recovered") > g("to_recover"):
            problems.append("recovered exceeds to recover")
        if any(v < 0 for v in s.values()):
            problems.append("a figure below zero")
        for p in problems:
            broken.append(f"{agreement} {year} after notification {n}: {p}")
    return broken


def verify(ledger: Ledger) -> dict[str, Any]:
    """Rebuild into scratch tables and compare with the live read models;
    check the money identities over all of history (AUD-02, AUD-06)."""
    live = view_for(ledger)
    catch_up(ledger)
    recorder = ledger.recorder

    class ScratchView(ReadModelView):
        prefix = "rv"

    with warnings.catch_warnings():
        # eventsourcing-sqlalchemy names every tracking record class alike; a
        # second view in one process only replaces SQLAlchemy's string lookup.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        scratch = ScratchView(recorder.datastore,
                              tracking_table_name="readmodels_verify_tracking",
                              schema_name=recorder.schema_name)  # type: ignore[attr-defined]
    scratch.create_table()
    scratch.drop()
    catch_up(ledger, projection=ReadModels(scratch, source=ledger))
    a, b = snapshot(live), snapshot(scratch)
    differences = [name for name in a if a[name] != b[name]]
    scratch.metadata.drop_all(scratch.engine)
    with scratch.engine.begin() as conn:
        conn.execute(sa.delete(scratch.tracking_table))
    broken = money_identities_at_every_point(live)
    return {"rebuild_equals_live": not differences, "differences": differences,
            "identities_broken": broken, "rows": {k: len(v) for k, v in a.items()}}
