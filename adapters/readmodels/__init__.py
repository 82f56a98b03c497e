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
``tables`` (the definitions, and the tables on a bare engine for a
question at the log's head), ``schema`` (the writing view: tracking,
indexes), ``writer`` (batches,
COPY, commits), ``projection`` (``ReadModels``), ``logsql`` (reading the
log, log rows in SQL), ``runner`` (catch-up, follow), ``rebuild``
(partitions, forking, resume); ``verify`` on top. This package re-exports
what callers use, each imported when first asked.
"""
from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any

# each re-exported name and the submodule that defines it: imported when a
# caller first asks (a module ``__getattr__``), so that a question on one
# table loads that view's module, not every view, the projection and the
# domain they handle (start-up, issue #14)
_WHERE = {
    "bars_as_of": "bars", "FAR": "columns", "deadlines_as_of": "deadlines",
    "ended_as_of": "ended", "LOG_WINDOW_IDS": "log", "_instant": "log",
    "_stored_instant": "log", "log_position": "log", "positions_as_of": "positions",
    "ReadModels": "projection", "RebuildRunning": "rebuild", "rebuild": "rebuild",
    "rebuild_lock": "rebuild", "rebuild_partition": "rebuild", "APP": "routing",
    "MONEY": "routing", "PROJECTION": "routing", "REPLAYED": "routing",
    "RebuildUnfinished": "runner", "catch_up": "runner", "follow": "runner",
    "start_runner": "runner", "view_for": "runner", "ReadModelView": "schema",
    "status_as_of": "status", "records_as_of": "supervision",
    "money_identities_at_every_point": "verify", "snapshot": "verify", "verify": "verify",
    "Batch": "writer", "_copy_text": "writer", "_copy_value": "writer",
}

__all__ = sorted(_WHERE)


# submodules named as the function they define and this package re-exports:
# the import system binds a submodule on its package when it is first
# imported, and callers ask the package for the function (as the eager
# re-exports bound it), so the function is what the package keeps
_SHADOWED = ("rebuild", "verify")


class _Package(ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{where}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
