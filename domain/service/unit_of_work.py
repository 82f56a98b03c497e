"""Several commands written in one transaction (``ledger run``'s batches,
issue #14): a commit to disk is most of what one command costs
(docs/performance.md, "Commands"), so a run of command lines shares it.

While a unit is open on a ledger (in the thread that opened it), ``save``
writes nothing: it collects each aggregate's new events, in the order the
writes would have been made one by one, and keeps the aggregate in the
unit's identity map. ``repository.get`` reads that map first, so every later
command of the unit checks its rules against the state the earlier ones
left, and a repeated command id finds the record an earlier command of the
unit made. ``commit`` writes every collected event in one atomic insert:
the log holds the same events, in the same order, as if each save had been
its own write, and the snapshots are taken as ``Application.save`` takes
them. A lost race (another writer stored a version of one of these
aggregates first) raises the store's ``IntegrityError`` from ``commit``
with nothing written; the caller applies the unit's commands again one by
one (``adapters/commands.py``), each with its own retry (``commanding.py``).

What the unit cannot see: the log itself. A command that reads it
(screening, the draw's seed) while the unit holds events not yet written
would read a log without them, so ``read_log`` refuses with
``MustRunAlone`` and the caller commits first and gives that command alone.

An aggregate handed out from the map is the map's own object, not a copy:
a command refused after changing one (an agreement brought up to date,
then a rule broken) leaves the map wrong, so the caller then commits what
the unit collected before that command and drops the map
(``UnitOfWork.tainted``); ``handed_out_changed`` finds a command that changed
a mapped aggregate without saving it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError

if TYPE_CHECKING:
    from domain.service.core import LedgerCore


class MustRunAlone(Exception):
    """A command read the log while the unit held events not yet written: it
    is given again alone once they are. Not a refusal: nothing is answered."""


class UnitOfWork:
    """The events collected for one write, and the identity map of the
    aggregates they came from."""

    def __init__(self) -> None:
        self.identity: dict[UUID, Any] = {}
        self.events: list[Any] = []
        self.handed_out: list[Any] = []
        self.tainted = False     # a mapped aggregate may hold changes never collected

    def stage(self, objs: tuple[Any, ...]) -> None:
        for obj in objs:
            if obj is None:
                continue
            self.events.extend(obj.collect_events())
            self.identity[obj.id] = obj

    def mapped(self, aggregate_id: Any) -> Any:
        found = self.identity.get(aggregate_id)
        if found is not None:
            self.handed_out.append(found)
        return found

    def start_command(self) -> None:
        self.handed_out.clear()

    def handed_out_changed(self) -> bool:
        """Whether the command just applied changed an aggregate of the map
        without saving it (such changes would have been lost one by one)."""
        return any(a.pending_events for a in self.handed_out)


def begin(app: "LedgerCore") -> UnitOfWork:
    if app.repository.unit is not None:   # type: ignore[attr-defined]
        raise RuntimeError("a unit of work is already open on this ledger")
    unit = UnitOfWork()
    app.repository.unit = unit   # type: ignore[attr-defined]
    return unit


def close(app: "LedgerCore") -> None:
    """Forget the open unit, if any, and anything it had not written."""
    app.repository.unit = None   # type: ignore[attr-defined]


def commit(app: "LedgerCore", unit: UnitOfWork) -> None:
    """Close the unit and write its events in one atomic insert, then take
    the snapshots their versions call for. On a lost race nothing is
    written, the cached copies of its aggregates are dropped and the
    store's ``IntegrityError`` is raised."""
    close(app)
    if not unit.events:
        return
    processing = ProcessingEvent()
    processing.events = unit.events
    processing.aggregates = dict(unit.identity)
    try:
        recordings = app._record(processing)
    except IntegrityError:
        app.repository.evict(*unit.identity)   # type: ignore[attr-defined]
        raise
    app._take_snapshots(processing)
    app._notify(recordings)
    cache = app.repository.cache
    if cache is not None and not unit.tainted:
        # each mapped aggregate is exactly what is now stored: the next
        # command's load finds it current instead of replaying its events
        for aggregate_id, aggregate in unit.identity.items():
            cache.put(aggregate_id, aggregate)
