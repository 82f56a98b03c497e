"""Rebuilding the read models from the log alone (AUD-02): in one process,
or in partitions forked from this one (the replayed aggregates, the
log-only events in SQL, the money events split by aggregate id), each
resumable under its own tracking record.
"""
from __future__ import annotations

import contextlib
import gc
import os
import queue
import time
from typing import Any, Callable, Iterator, Sequence

import sqlalchemy as sa
from eventsourcing.persistence import Tracking

from adapters.readmodels.about import merge_named
from adapters.readmodels.log import _windows_of, _windows_upsert
from adapters.readmodels.logsql import _log_rows_sql, _windows
from adapters.readmodels.projection import ReadModels
from adapters.readmodels.routing import APP, LINKED, MONEY, REPLAYED
from adapters.readmodels.schema import ReadModelView, _rebuild_state, _set_rebuild_state, analyze
from adapters.readmodels.runner import RebuildUnfinished, _apply_log, view_for
from adapters.readmodels.writer import Batch, _sqlite_relaxed_commit
from domain.service import Ledger
from projections import postings

REPLAY_PARTITION, LOG_PARTITION = 0, 1   # the others (2 ..) share the money events
PARTITION_LAYOUT = "5"   # recorded in a rebuild's plan: resume only what this layout began
# ("5": leads and cases moved from the log-only partition to the replaying one)


def _partition_sql(dialect: str, k: int, partitions: int) -> str:
    """The events of partition ``k`` of ``partitions`` (at least 3):

    - 0: the aggregates that are replayed (agreements, people, applications,
      evaluations, the calendar book: their read-model subjects depend on
      each other, as an evaluation's deadlines are its application's and a
      calendar load recomputes provisional ones): the longest partition;
    - 1: every event that only makes a log row (a sample, its reviews, a
      booked deposit: more than half of a province), written by SQL alone
      (``_log_rows_sql``);
    - 2 and on: the claims' and fund accounts' events that post money, and
      the few read for the subjects they name (institutions, disputes,
      agencies, the registry, assessments: ``about``), split by their
      aggregate id's last byte.

    Each aggregate's events, and each read-model subject's rows, so belong
    to exactly one partition."""
    replayed = " OR ".join(_starts_with(dialect, p) for p in _topic_prefixes(REPLAYED))
    linked = " OR ".join(_starts_with(dialect, p) for p in _topic_prefixes(LINKED))
    money = " OR ".join(_starts_with(dialect, p) for p in _topic_prefixes(MONEY))
    silent = ", ".join(f"'{t}'" for t in _no_posting_topics())
    posting = f"(({money}) AND topic NOT IN ({silent}) OR {linked})"
    if k == REPLAY_PARTITION:
        return f" AND ({replayed})"
    if k == LOG_PARTITION:
        return f" AND NOT ({replayed}) AND NOT {posting}"
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
    # LIKE with a constant prefix is cheaper per row than starts_with();
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
    Stop ``ledger follow`` while rebuilding. A second rebuild of the same
    store started meanwhile is refused (``RebuildRunning``): resuming what
    the first is still writing would apply events twice."""
    with rebuild_lock(ledger):
        return _rebuild(ledger, batch_size=batch_size, progress=progress,
                        stop_after_batches=stop_after_batches, workers=workers)


class RebuildRunning(RebuildUnfinished):
    """Another rebuild of the same store is running."""


@contextlib.contextmanager
def rebuild_lock(ledger: Ledger) -> Iterator[None]:
    """Held for a whole rebuild: PostgreSQL's session advisory lock (on a
    connection of its own, keyed by the schema) or, on SQLite, an exclusive
    lock on a file beside the database. Never waits: a second rebuild is
    refused (``RebuildRunning``). Forked partitions inherit the
    file lock and never touch the PostgreSQL connection (they leave with
    ``os._exit``). A lock that is taken is tried again for up to
    ``LOCK_GRACE_SECONDS`` before the refusal: a rebuild just killed lets go
    only when the last of its processes has ended (or PostgreSQL has seen
    its connection close), a moment after its leader is reaped."""
    url = str(ledger.env.get("SQLALCHEMY_URL") or "")
    refusal = RebuildRunning("another `ledger rebuild` is running on this store: wait for it "
                             "to finish (one rebuild at a time)")
    if url.startswith("postgresql"):
        # the schema the ledger's tables are in: named, or the search path's first
        key = sa.text("SELECT hashtext('agreement-ledger rebuild ' || "
                      "coalesce(:schema, current_schema()))").bindparams(
            schema=ledger.env.get("SQLALCHEMY_SCHEMA") or None)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        conn = engine.connect()
        try:
            k = conn.execute(key).scalar()

            def take() -> bool:
                got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": k}).scalar()
                conn.commit()
                return bool(got)
            if not _within_grace(take):
                raise refusal
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": k})
                conn.commit()
        finally:
            conn.close()
            engine.dispose()
        return
    if not url.startswith("sqlite:///") or ":memory:" in url or url == "sqlite:///":
        yield   # an in-memory store has one process
        return
    import fcntl
    with open(url[len("sqlite:///"):] + ".rebuild-lock", "a") as f:
        def take() -> bool:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True
        if not _within_grace(take):
            raise refusal
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


LOCK_GRACE_SECONDS = 3.0


def _within_grace(take: Callable[[], bool]) -> bool:
    """``take()`` until it is true or ``LOCK_GRACE_SECONDS`` have passed."""
    deadline = time.monotonic() + LOCK_GRACE_SECONDS
    while not take():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _analyze_log(ledger: Ledger) -> None:
    """PostgreSQL: fresh planner statistics for the log's own table too, as
    ``create_indexes`` gathers them for the read models. A timeline's page
    is chosen from the events table by originator and id; a store never
    analysed (a server with autovacuum off, or just after a bulk load) had
    the planner walk the primary key through the whole log for each page
    (60 ms for a page instead of 0.3, docs/performance.md). A rebuild is
    what an operator runs after loading or restoring a store."""
    engine = ledger.recorder.datastore.engine
    if engine is not None and engine.dialect.name == "postgresql":
        analyze(engine, ledger.recorder.events_record_cls.__table__)


def _rebuild(ledger: Ledger, *, batch_size: int,
             progress: Callable[[int, int], None] | None,
             stop_after_batches: int | None, workers: int | None) -> dict[str, Any]:
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
        merge_named(view)   # a partitioned rebuild's staged rows (none otherwise)
        if (view.max_tracking_id(APP) or 0) < target:
            view.write(Batch(), Tracking(APP, target))   # the partitions together reached it
        view.create_indexes()
        _analyze_log(ledger)
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
    everything imported (a fresh interpreter would spend a second of CPU
    importing, which two cores feel). The parent first closes
    its pooled connections (SQLite must not see a connection cross a fork),
    and each child opens its own ledger and leaves with ``os._exit``, so
    that no inherited connection is ever used or closed by it."""
    url = str(ledger.env.get("SQLALCHEMY_URL"))
    schema = ledger.env.get("SQLALCHEMY_SCHEMA") or None
    ledger.recorder.datastore.engine.dispose()  # type: ignore[attr-defined]
    # Parent and children share the parent's memory until either writes to
    # a page; a collector pass over the parent's objects writes to every one
    # of them, so they are frozen out of collection while the workers run
    # (a large parent otherwise slows every worker: docs/performance.md).
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
        view.stage_named = True
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
