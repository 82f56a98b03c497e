"""The materialised view: every read model's table (each defined in its
view's module), its tracking table, the rebuild's own state, and which
indexes a rebuild drops and builds again.
"""
from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder

from adapters.readmodels.log import _windows_of, _windows_upsert
from adapters.readmodels.tables import _definitions, _rebuild_state
from adapters.readmodels.writer import BatchWriter

ANALYZE_STATISTICS_TARGET = 30   # the rebuild's ANALYZE on PostgreSQL (its default: 100)

__all__ = ["ReadModelView", "_rebuild_state", "_set_rebuild_state", "ANALYZE_STATISTICS_TARGET",
           "analyze"]


def analyze(engine: sa.Engine, table: sa.Table) -> None:
    """PostgreSQL's planner statistics of ``table``, gathered now. A sample
    of 9,000 rows, not 30,000: the queries look rows up by key through an
    index, which statistics this coarse choose as well, and a larger sample
    costs a rebuild time at its end; autovacuum's analyses later use the
    server's own setting."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"SET LOCAL default_statistics_target = "
                             f"{ANALYZE_STATISTICS_TARGET}"))
        conn.execute(sa.text(f"ANALYZE {engine.dialect.identifier_preparer.format_table(table)}"))


class ReadModelView(BatchWriter, SQLAlchemyTrackingRecorder):
    """The materialised view: the read-model tables and their tracking record."""

    prefix = "rm"
    # a rebuild's batches need not wait for the disk (``_relaxed_commit``)
    relaxed_commits = False
    stage_named = False   # a rebuild's partitions stage rm_named's rows (``merge_named``)

    def __init__(self, datastore: Any, *, tracking_table_name: str = "readmodels_tracking",
                 schema_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(datastore=datastore, tracking_table_name=tracking_table_name,
                         schema_name=schema_name, **kwargs)
        self.metadata, self.t, self.rebuild_table = _definitions(self.prefix, schema_name)

    @property
    def engine(self) -> sa.Engine:
        assert self.datastore.engine is not None
        return self.datastore.engine

    def create_table(self) -> None:
        super().create_table()
        w, about = self.t["log_windows"], self.t["about"]
        inspector = sa.inspect(self.engine)
        windows_were_there = inspector.has_table(w.name, schema=w.schema)
        about_was_there = inspector.has_table(about.name, schema=about.schema)
        self.metadata.create_all(self.engine, checkfirst=True)
        self.rebuild_table.create(self.engine, checkfirst=True)
        if not windows_were_there:
            self._fill_windows()
            self._drop_instants_index()
        if not about_was_there and (self.max_tracking_id("Ledger") or 0) > 0:
            # read models built before the subject index: it can only come
            # from the whole log, so queries refuse until `ledger rebuild`
            _set_rebuild_state(self, "in_progress")

    def tables_present(self) -> bool:
        """Every table of the view, its tracking and its rebuild state there
        (one question): ``create_table`` would then change nothing."""
        names = {t.name for t in self.metadata.tables.values()} | {
            self.rebuild_table.name, self.tracking_table.name}
        present = sa.inspect(self.engine).get_table_names(schema=self.metadata.schema)
        return names <= set(present)

    def lacks_supervision(self) -> bool:
        """Read models built, and tracked, before ``rm_supervision`` existed
        (``runner.view_for`` asks before creating the tables)."""
        inspector = sa.inspect(self.engine)
        sup, tracking = self.t["supervision"], self.tracking_table
        # the supervision table first: on read models built since, one question
        return not inspector.has_table(sup.name, schema=sup.schema) and \
            inspector.has_table(tracking.name, schema=tracking.schema) and \
            (self.max_tracking_id("Ledger") or 0) > 0

    def _drop_instants_index(self) -> None:
        """Read models built when rm_log's recording instants had an index
        (before rm_log_windows; docs/read-models.md): no query uses it, and
        every write would keep it."""
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
                    ("deadlines", "subject"), ("deadlines", "valid_from"),
                    *(("about", c) for c in ("institution", "agreement", "person",
                                             "application")))
    LOG_ORDER_INDEXES = (("postings", "notification_id"),)
    # SQLite builds the indexes at the end one after another, on the rebuild's
    # critical path: the subject index's few rows (one per aggregate or link)
    # cost less kept up to date by the partitions as they write them
    SQLITE_KEPT = ("about",)

    def drop_bulk_indexes(self) -> None:
        drop = self.BULK_INDEXES
        if self.engine.dialect.name == "postgresql":
            drop += self.LOG_ORDER_INDEXES
        else:
            drop = tuple((t, c) for t, c in drop if t not in self.SQLITE_KEPT)
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

        def build(table: sa.Table) -> None:
            for index in table.indexes:
                index.create(self.engine, checkfirst=True)
            analyze(self.engine, table)
        with ThreadPoolExecutor(max_workers=max(1, len(chosen))) as pool:
            list(pool.map(build, chosen))

    def drop(self) -> None:
        """Drop every read model and its tracking record (for a rebuild)."""
        self.metadata.drop_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.tracking_table))
        self.metadata.create_all(self.engine, checkfirst=True)


def _set_rebuild_state(view: ReadModelView, state: str, what: str = "") -> None:
    name = "readmodels" + (f".{what}" if what else "")
    meta = view.rebuild_table
    with view.engine.begin() as conn:
        conn.execute(sa.delete(meta).where(meta.c.name == name))
        conn.execute(sa.insert(meta).values(name=name, state=state))
