"""Running the projection: the ledger's view, catching up from the tracked
position (every query on SQLite), and following new events on PostgreSQL's
LISTEN/NOTIFY subscription with eventsourcing's ProjectionRunner.
"""
from __future__ import annotations

import contextlib
import gc
import warnings
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa
from eventsourcing.persistence import Tracking

from adapters.readmodels.logsql import _stored_batches
from adapters.readmodels.routing import APP
from adapters.readmodels.tables import _rebuild_state
from adapters.readmodels.writer import Batch

if TYPE_CHECKING:   # the projection and the ledger are imported where events are applied:
    # a question whose read models are at the log's head loads neither (start-up, issue #14)
    from adapters.readmodels.projection import ReadModels
    from adapters.readmodels.schema import ReadModelView
    from domain.service import Ledger


def view_for(ledger: Ledger) -> ReadModelView:
    """The ledger's read-model view, made (and its tables created) once."""
    view = getattr(ledger, "_read_model_view", None)
    if view is None:   # the writing view (an eventsourcing recorder): not a question's at the head
        from adapters.readmodels.schema import ReadModelView, _set_rebuild_state
        recorder = ledger.recorder
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)  # see verify()
            view = ReadModelView(recorder.datastore, schema_name=recorder.schema_name)  # type: ignore[attr-defined]
        if not view.tables_present():   # else made before: nothing to create, fill or mark
            if view.lacks_supervision() and _logs_leads_or_cases(ledger):
                # built when leads and cases made only log rows: their records
                # and a case's deadlines can only come from the whole log, so
                # queries refuse until `ledger rebuild` (marked before the
                # table is made, so that no crash in between can forget it)
                view.rebuild_table.create(view.engine, checkfirst=True)
                _set_rebuild_state(view, "in_progress")
            view.create_table()
        ledger._read_model_view = view  # type: ignore[attr-defined]
    return view


def _logs_leads_or_cases(ledger: Ledger) -> bool:
    from eventsourcing.utils import get_topic

    from domain.case import Case
    from domain.lead import Lead
    table = ledger.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    topics = [get_topic(cls.Received if cls is Lead else cls.Opened) for cls in (Lead, Case)]
    with ledger.recorder.datastore.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(sa.select(sa.literal(1)).where(
            table.c.topic.in_(topics)).limit(1)).first() is not None


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
    start = view.max_tracking_id(APP) or 0
    if projection is None:
        if _rebuild_state(view) == "in_progress":
            raise RebuildUnfinished("the read models are being rebuilt, or a rebuild stopped "
                                    "part-way: run `ledger rebuild` to finish it")
        if start == (ledger.recorder.max_notification_id() or 0):
            return 0   # nothing to apply: no projection made, nor the domain it handles loaded
        from adapters.readmodels.projection import ReadModels
        projection = ReadModels(view, source=ledger)
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

    from adapters.readmodels.projection import ReadModels
    from adapters.readmodels.schema import ReadModelView
    from domain.service import Ledger
    runner = ProjectionRunner(application_class=Ledger, projection_class=ReadModels,
                              view_class=ReadModelView, env=env)
    runner.projection.source = runner.app
    return runner
