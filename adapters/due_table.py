"""The clock's due table (issue #14): what falls due when, one row per listed
agreement, kept in the same write as the registry events it follows from, so
that a tick asks "what is due by day D" of an index and a day with nothing
due reads no row, whether 10 or 10,000 agreements are live.

The registry aggregate (domain/registry.py) stays the record: its events say
which agreements the clock visits and when each next falls due. This table
is a copy of that state, written by the recorder in the transaction that
writes the registry's events (``apply``, from ``Registry.due_changes``), and
trusted only while it says it follows the registry's latest version:
``ledger_due_version`` holds the registry version it reflects, and ``due_by``
answers None (the tick then reads the registry, as before) when the log's
registry is at another version, e.g. a store written before the table or by
a writer that does not keep it. Such a tick puts the table back (``rebuild``)
from the registry it read.

Rows: ``visit_on`` is '' for an agreement not yet noted (visited by any
tick), the ISO day something can next fall due, or NULL when nothing can;
``calendar_version`` the calendar book version it was worked out with (a
tick under another calendar visits it again); ``ended`` a retired agreement;
``listed`` the order the registry lists them in, which is the tick's order.
"""
from __future__ import annotations

from typing import Any, Sequence
from uuid import UUID

import sqlalchemy as sa


def tables(events_table_name: str, schema: str | None) -> tuple[sa.Table, sa.Table]:
    prefix = events_table_name[:-len("_events")] if events_table_name.endswith("_events") \
        else events_table_name
    meta = sa.MetaData()
    due = sa.Table(f"{prefix}_due", meta,
                   sa.Column("number", sa.Text, primary_key=True),
                   sa.Column("listed", sa.BigInteger, nullable=False),
                   sa.Column("visit_on", sa.Text),
                   sa.Column("calendar_version", sa.BigInteger),
                   sa.Column("ended", sa.SmallInteger, nullable=False),
                   sa.Index(f"{prefix}_due_visit_on", "visit_on"),
                   sa.Index(f"{prefix}_due_calendar", "calendar_version"),
                   schema=schema)
    version = sa.Table(f"{prefix}_due_version", meta,
                       sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                       sa.Column("registry_version", sa.BigInteger),
                       schema=schema)
    return due, version


def create(engine: sa.engine.Engine, due: sa.Table, version: sa.Table) -> bool:
    """Create the tables if missing; False when they cannot be (a read-only
    store): the clock then reads the registry, as it always did."""
    try:
        with engine.connect() as conn:
            if engine.dialect.has_table(conn, version.name, schema=version.schema):
                return True
        with engine.begin() as conn:
            due.create(conn, checkfirst=True)
            version.create(conn, checkfirst=True)
            conn.execute(version.insert().values(id=1, registry_version=None))
        return True
    except sa.exc.SQLAlchemyError:
        # a read-only store, or another process creating them at this moment
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, version.name, schema=version.schema))


class Sql:
    """The statements, in the driver's own parameter style."""

    def __init__(self, engine: sa.engine.Engine, due: sa.Table, version: sa.Table,
                 events: sa.Table) -> None:
        fmt = engine.dialect.identifier_preparer.format_table
        self.dialect = engine.dialect.name
        self.mark = "?" if self.dialect == "sqlite" else "%s"
        self.due, self.version, self.events = fmt(due), fmt(version), fmt(events)

    def q(self, text: str) -> str:
        return text.replace("?", self.mark)

    def key(self, registry_id: UUID) -> Any:
        return registry_id.bytes if self.dialect == "sqlite" else str(registry_id)

    def registry_max(self) -> str:
        cast = "" if self.dialect == "sqlite" else "::uuid"
        return self.q(f"SELECT max(originator_version) FROM {self.events} "
                      f"WHERE originator_id = ?{cast}")


def apply(cursor: Any, sql: Sql, changes: tuple[int, int, list[tuple[Any, ...]]]) -> None:
    """The registry events being written (``Registry.due_changes``), applied in
    their write's transaction, after its events are inserted: the events
    table's lock (PostgreSQL) or the database's (SQLite) is held, so no other
    writer of the registry is between. Applied only to a table that follows
    the registry's version just before them; a table behind stays behind (and
    is not trusted) until a tick puts it back."""
    first, last, ops = changes
    if first == 1:      # the registry is created by this write: nothing before it
        cursor.execute(f"DELETE FROM {sql.due}")
    else:
        lock = "" if sql.dialect == "sqlite" else " FOR UPDATE"
        cursor.execute(f"SELECT registry_version FROM {sql.version} WHERE id = 1{lock}")
        row = cursor.fetchone()
        if row is None or row[0] != first - 1:
            return
    for op in ops:
        kind, number = op[0], op[1]
        if kind == "listed":
            cursor.execute(sql.q(f"INSERT INTO {sql.due} (number, listed, visit_on, "
                                 "calendar_version, ended) VALUES (?, ?, '', NULL, 0) "
                                 "ON CONFLICT (number) DO NOTHING"), (number, op[2]))
        elif kind == "retired":
            cursor.execute(sql.q(f"UPDATE {sql.due} SET ended = 1, visit_on = NULL, "
                                 "calendar_version = NULL WHERE number = ?"), (number,))
        elif kind == "reinstated":
            cursor.execute(sql.q(f"UPDATE {sql.due} SET ended = 0, visit_on = '', "
                                 "calendar_version = NULL WHERE number = ?"), (number,))
        else:   # noted
            cursor.execute(sql.q(f"UPDATE {sql.due} SET visit_on = ?, calendar_version = ? "
                                 "WHERE number = ?"), (op[2], op[3], number))
    cursor.execute(sql.q(f"UPDATE {sql.version} SET registry_version = ? WHERE id = 1"),
                   (last,))


def due_by_queries(sql: Sql, registry_id: UUID, day: str, calendar_version: int
                   ) -> list[tuple[str, Sequence[Any]]]:
    """Two queries: one row (the registry version the table follows, the
    log's latest), then the agreements a tick to ``day`` must visit, in the
    registry's order: an index range, never a scan of the live list."""
    return [
        (f"SELECT (SELECT registry_version FROM {sql.version} WHERE id = 1), "
         f"({sql.registry_max()})", (sql.key(registry_id),)),
        # three index ranges, not one OR: the planner scanned the whole
        # table for the OR (every agreement ever listed, the ended ones too),
        # so a quiet tick grew with the registry; an ended row has no day
        # and no calendar version, so no range finds it
        (sql.q(f"SELECT number FROM ("
               f"SELECT number, listed FROM {sql.due} WHERE visit_on <= ? AND ended = 0 UNION "
               f"SELECT number, listed FROM {sql.due} WHERE calendar_version < ? AND ended = 0 "
               f"UNION SELECT number, listed FROM {sql.due} WHERE calendar_version > ? "
               "AND ended = 0) AS due ORDER BY listed"),
         (day, calendar_version, calendar_version)),
    ]


def rebuild(conn: Any, sql: Sql, registry_id: UUID, version: int,
            rows: list[tuple[str, int, str | None, int | None, int]]) -> bool:
    """The table put back from the registry at ``version`` (its ``due_rows``),
    if the log's registry is still at that version: under the table's lock
    (PostgreSQL; a writer of the registry waits for it, then applies its own
    events on top) or the database's (SQLite: the first statement writes).
    False when the registry moved on meanwhile: the next tick tries again."""
    cursor = conn.cursor()
    try:
        if sql.dialect == "postgresql":
            cursor.execute(f"LOCK TABLE {sql.due} IN EXCLUSIVE MODE")
            cursor.execute(f"LOCK TABLE {sql.version} IN EXCLUSIVE MODE")
        cursor.execute(f"UPDATE {sql.version} SET registry_version = NULL WHERE id = 1")
        cursor.execute(sql.registry_max(), (sql.key(registry_id),))
        if cursor.fetchone()[0] != version:
            return False
        cursor.execute(f"DELETE FROM {sql.due}")
        cursor.executemany(sql.q(f"INSERT INTO {sql.due} (number, listed, visit_on, "
                                 "calendar_version, ended) VALUES (?, ?, ?, ?, ?)"), rows)
        cursor.execute(sql.q(f"UPDATE {sql.version} SET registry_version = ? WHERE id = 1"),
                       (version,))
        return True
    finally:
        cursor.close()
