"""Several commands written in one transaction (``ledger run``'s batches,
issue #14): a commit to disk is most of what one command costs
(docs/performance.md, "Commands"), so a run of command lines shares it.

While a unit is open on a ledger, ``save`` writes nothing: it collects each
aggregate's new events, in the order the writes would have been made one by
one. ``repository.get`` answers from the unit's identity map: an aggregate
is loaded once per unit (brought forward by the events stored since, as
the cache does), and every later command of the unit gets that same object,
so each checks its rules against the state the earlier ones left, and a
repeated command id finds the record an earlier command of the unit made.
An aggregate the store did not have is not asked for again (``absent``).
``commit`` writes every collected event in one atomic insert: the log holds
the same events, in the same order, as if each save had been its own
write, and the snapshots are taken as ``Application.save`` takes them.

What a unit read may be changed by another writer meanwhile, as between a
command's read and its write: a write on it is refused at commit
(optimistic concurrency) with the store's ``IntegrityError``, nothing of
the unit is written, and the caller applies the unit's commands again one
by one (``adapters/commands.py``), each with its own retry
(``commanding.py``); a read-only look-up sees the store as it was when the
unit asked.

The map's objects are the aggregate cache's own (no copy is made for each
command: copying was a fifth of a command's time), so whatever may have
changed them without being written leaves the cache: all of them when the
unit is discarded, and those a refused command was handed (an agreement
brought up to date, then a rule broken; ``suspect``) when the caller
writes what came before it and ends the unit. A unit is for a ledger that
serves one thread while it is open (``ledger run``), since another thread
would read those objects from the cache.

What the unit cannot see is the log itself. A command that reads it
(screening, the draw's seed) while the unit holds events not yet written
would read a log without them, so ``read_log`` refuses with
``MustRunAlone`` and the caller writes the unit first and gives that
command alone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

if TYPE_CHECKING:
    from domain.service.core import LedgerCore


class MustRunAlone(Exception):
    """A command read the log while the unit held events not yet written: it
    is given again alone once they are. Not a refusal: nothing is answered."""


class UnitOfWork:
    """The events collected for one write, and the identity map of the
    aggregates the unit's commands were handed."""

    def __init__(self) -> None:
        self.identity: dict[UUID, Any] = {}
        # ids the store had no aggregate for when the unit asked (a practitioner
        # never registered, a command id not used yet): not asked again
        self.absent: set[UUID] = set()
        self.events: list[Any] = []
        self.handed_out: list[Any] = []     # to the command being applied
        self.suspect: set[UUID] = set()     # may hold changes never collected

    def stage(self, objs: tuple[Any, ...]) -> None:
        for obj in objs:
            if obj is None:
                continue
            self.events.extend(obj.collect_events())
            self.identity[obj.id] = obj
            self.absent.discard(obj.id)

    def get(self, aggregate_id: Any, load: Callable[[], Any]) -> Any:
        """The unit's object for this id, loaded once (``load``); a miss is
        remembered."""
        found = self.identity.get(aggregate_id)
        if found is None:
            if aggregate_id in self.absent:
                raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} not found.")
            try:
                found = load()
            except AggregateNotFoundError:
                self.absent.add(aggregate_id)
                raise
            self.identity[aggregate_id] = found
        self.handed_out.append(found)
        return found

    def start_command(self) -> None:
        self.handed_out.clear()

    def refused(self) -> None:
        """The command being applied was refused: what it was handed may
        hold its changes."""
        self.suspect.update(a.id for a in self.handed_out)

    def handed_out_changed(self) -> bool:
        """Whether the command just applied changed an aggregate of the map
        without saving it (such changes would have been lost one by one);
        if so, those become suspect."""
        changed = [a.id for a in self.handed_out if a.pending_events]
        self.suspect.update(changed)
        return bool(changed)


def begin(app: "LedgerCore") -> UnitOfWork:
    if app.repository.unit is not None:   # type: ignore[attr-defined]
        raise RuntimeError("a unit of work is already open on this ledger")
    # one look at the log for other writers' events instead of a fast-forward
    # read of each cached aggregate the unit loads (core.LedgerRepository)
    app.repository.bring_forward(app.recorder,   # type: ignore[attr-defined]
                                 app.__dict__.get("_written", {}))
    unit = UnitOfWork()
    app.repository.unit = unit   # type: ignore[attr-defined]
    return unit


def discard(app: "LedgerCore", unit: UnitOfWork) -> None:
    """Close the unit without writing it: every object it was handed leaves
    the cache, since any may hold the unit's unwritten changes."""
    if app.repository.unit is unit:   # type: ignore[attr-defined]
        app.repository.unit = None   # type: ignore[attr-defined]
    app.repository.evict(*unit.identity)   # type: ignore[attr-defined]
    unit.identity.clear()


def commit(app: "LedgerCore", unit: UnitOfWork) -> None:
    """Close the unit and write its events in one atomic insert, then take
    the snapshots their versions call for. On a lost race nothing is
    written, the unit is discarded and the store's ``IntegrityError`` raised."""
    app.repository.unit = None   # type: ignore[attr-defined]
    if unit.events:
        processing = ProcessingEvent()
        processing.events = unit.events
        processing.aggregates = dict(unit.identity)
        try:
            recordings = app._record(processing)
        except BaseException:
            discard(app, unit)
            raise
        app._take_snapshots(processing)
        app._notify(recordings)
    app.repository.evict(*unit.suspect)   # type: ignore[attr-defined]
    cache = app.repository.cache
    if cache is not None:
        # what the unit made is what is now stored: the next unit's load
        # finds it current instead of reading it back
        for aggregate_id, aggregate in unit.identity.items():
            if aggregate_id not in unit.suspect:
                cache.put(aggregate_id, aggregate)
                if app.repository.seen is not None:   # type: ignore[attr-defined]
                    app.repository.current.add(aggregate_id)   # type: ignore[attr-defined]
    unit.identity.clear()
