"""Writing a batch of rows with its tracking record, atomically and fast:
PostgreSQL's ``COPY`` (its text format and escaping), SQLite's
``executemany``, the windows of the log, and the relaxed commits and
pragmas a rebuild may use.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from eventsourcing.persistence import Tracking

from adapters.readmodels.about import named_upsert
from adapters.readmodels.log import _earliest_by_window, _stored_instant, _windows_upsert


class BatchWriter:
    """The writing half of ``ReadModelView`` (``schema``)."""

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
            for name in ("log", "postings", "status", "deadlines", "ended", "bars", "about",
                         "names", "supervision"):
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
            if batch.named:
                rows = [(a, p, n) for (a, p), n in sorted(batch.named.items())]
                if self.stage_named:   # a partition of a rebuild: merged at its end
                    self._bulk_insert(session, self.t["named_stage"], rows)
                else:
                    self._upsert_named(session, rows)
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
        two plain statements, where the ORM's three round trips a batch
        showed in a money partition's time (docs/performance.md).
        False, and nothing written, when it is there already."""
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

    def _upsert_named(self, session: Any, rows: list[tuple[str, str, int]]) -> None:
        cursor = session.connection().connection.dbapi_connection.cursor()
        try:
            if self.engine.dialect.name == "sqlite":
                cursor.executemany(named_upsert(self._name_of("named"), "?"), rows)
            else:   # a statement a page of rows, not a round trip each
                from psycopg2.extras import execute_values
                execute_values(cursor, named_upsert(self._name_of("named")), rows,
                               page_size=2000)
        finally:
            cursor.close()

    def _name_of(self, table: str) -> str:
        return self.engine.dialect.identifier_preparer.format_table(self.t[table])

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
    supervision: list[dict[str, Any]] = field(default_factory=list)
    # bitemporal tables (status, deadlines, supervision): ids of this batch's
    # own rows, and (id, known_to) of earlier rows it closes
    pending: dict[str, set[int]] = field(default_factory=lambda: {
        "status": set(), "deadlines": set(), "supervision": set()})
    closed: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {
        "status": [], "deadlines": [], "supervision": []})
    ended: list[dict[str, Any]] = field(default_factory=list)
    ended_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    about: list[tuple[Any, ...]] = field(default_factory=list)   # rows in column order
    names: list[tuple[Any, ...]] = field(default_factory=list)
    named: dict[tuple[str, str], int] = field(default_factory=dict)   # rm_named, earliest
    bar_updates: list[tuple[tuple[str, str], dict[str, Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.log)
