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
| ``rm_about``       | which aggregates and events are about which subject (timeline) |
| ``rm_named``       | the practitioners a claim of each agreement names            |
| ``rm_names``       | institutions' names as recorded                               |
| ``rm_supervision`` | leads' and cases' records over business time, bitemporal      |

"As of" a business date filters by ``effective_on`` / validity; "as known at"
an instant becomes a log position (the last notification recorded by then)
and filters by notification id. Both together answer "what was true on D, as
the ledger knew it at T" without replaying the log.

On PostgreSQL ``follow()`` runs eventsourcing's ProjectionRunner on the
LISTEN/NOTIFY subscription; on SQLite (no subscription) ``catch_up()`` runs
before every query. ``rebuild()`` drops the tables and builds them again,
in partitions run by separate processes when the log is large
(docs/read-models.md).

One module per view, each with its table(s), its handlers and its as-of
query, and a pointer to the pure fold in ``projections/`` that defines it:
``log`` (rm_log, rm_log_windows, ``log_position``), ``positions``
(rm_postings), ``status``, ``deadlines``, ``ended``, ``bars``, ``about``,
``subjects``, ``supervision``. Under them
a small engine: ``routing`` (which path an event takes), ``columns``,
``schema`` (the view: tables, tracking, indexes), ``writer`` (batches,
COPY, commits), ``projection`` (``ReadModels``), ``logsql`` (reading the
log, log rows in SQL), ``runner`` (catch-up, follow), ``rebuild``
(partitions, forking, resume); ``verify`` on top. This package re-exports
what callers use.
"""
from __future__ import annotations

from adapters.readmodels.bars import bars_as_of
from adapters.readmodels.columns import FAR
from adapters.readmodels.deadlines import deadlines_as_of
from adapters.readmodels.ended import ended_as_of
from adapters.readmodels.log import LOG_WINDOW_IDS, _instant, _stored_instant, log_position
from adapters.readmodels.positions import positions_as_of
from adapters.readmodels.projection import ReadModels
from adapters.readmodels.rebuild import RebuildRunning, rebuild, rebuild_lock, rebuild_partition
from adapters.readmodels.routing import APP, MONEY, PROJECTION, REPLAYED
from adapters.readmodels.runner import RebuildUnfinished, catch_up, follow, start_runner, view_for
from adapters.readmodels.schema import ReadModelView
from adapters.readmodels.status import status_as_of
from adapters.readmodels.supervision import records_as_of
from adapters.readmodels.verify import money_identities_at_every_point, snapshot, verify
from adapters.readmodels.writer import Batch, _copy_text, _copy_value

__all__ = ["APP", "Batch", "FAR", "LOG_WINDOW_IDS", "MONEY", "PROJECTION", "REPLAYED",
           "ReadModelView", "ReadModels", "RebuildRunning", "RebuildUnfinished", "bars_as_of",
           "catch_up", "deadlines_as_of", "ended_as_of", "follow", "log_position",
           "money_identities_at_every_point", "positions_as_of", "rebuild", "rebuild_lock",
           "rebuild_partition", "records_as_of", "snapshot", "start_runner", "status_as_of",
           "verify",
           "view_for", "_copy_text", "_copy_value", "_instant", "_stored_instant"]
