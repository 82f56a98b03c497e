"""What every subject's handlers share: finding aggregates by their business
key, the calendar, the log, and an agreement brought up to the command's date.

The handlers themselves live by subject in the modules beside this one and
are composed into ``Ledger`` in ``domain/service/__init__.py``.
"""
from __future__ import annotations

import copy
import hashlib
import pickle
import threading
from datetime import date
from typing import Any, Iterator, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.persistence import Transcoder

from domain.agreement import Agreement
from domain.agreement_clock import next_due_on
from domain.application import Application as AdmissionApplication
from domain.base import Context, Envelope, LedgerAggregate
from domain.calendar import WorkingCalendar
from domain.calendar_book import CalendarBook
from domain.errors import NotFound, RuleViolation
from domain.evaluation import Evaluation
from domain.institution import Institution
from domain.person import Person
from domain.reconciliation import StatementImport
from domain.registry import Registry, due_changes
from domain.service.unit_of_work import MustRunAlone, UnitOfWork
from domain.service.values import require_value_transcodings

A = TypeVar("A", bound=LedgerAggregate)
_NO_CALENDAR = WorkingCalendar()
WRITTEN_KEPT = 200_000    # events this process wrote that ``written_here`` remembers
CHECKED_EVENTS = 20_000   # other writers' events one check reads; more: trust nothing


def _project(aggregate: Any, events: Any) -> Any:
    """The library's ``project_aggregate`` without its per-event
    ``isinstance`` on a runtime-checkable protocol (a fifth of a load's
    Python time): every event of the ledger's aggregates mutates."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _written_key(topic: Any, state: Any) -> bytes:
    digest = hashlib.blake2b(bytes(state), digest_size=16)
    digest.update(topic.encode("utf-8") if isinstance(topic, str) else bytes(topic))
    return digest.digest()


class LedgerRepository(Repository):
    """The library's repository, asking the snapshot store only for the
    aggregates the ledger snapshots (``Ledger.snapshotting_intervals``: the
    Registry). Every other load would otherwise begin with a look-up that
    never finds anything."""

    snapshotted: frozenset = frozenset({Registry.ID})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()
        # Units of work read cached aggregates without a fast-forward read each
        # when the cache is known current: ``seen`` is the last notification
        # checked for other writers' events, ``current`` the cached aggregates
        # no event after their caching has touched (``bring_forward``).
        self.seen: int | None = None
        self.current: set[Any] = set()

    @property
    def unit(self) -> UnitOfWork | None:
        """The unit of work open in this thread (unit_of_work.py), if any."""
        return getattr(self._local, "unit", None)

    @unit.setter
    def unit(self, unit: UnitOfWork | None) -> None:
        self._local.unit = unit

    def get(self, aggregate_id, *, version=None, projector_func=None,  # type: ignore[override]
            fastforward_skipping: bool = False, deepcopy_from_cache: bool = True):
        unit = self.unit if version is None else None
        if unit is not None:
            # the open unit's own object: loaded once, as its commands leave it
            return unit.get(aggregate_id, lambda: self._unit_load(
                aggregate_id, projector_func, fastforward_skipping))
        return self._get_stored(aggregate_id, projector_func, fastforward_skipping,
                                deepcopy_from_cache, version)

    def _unit_load(self, aggregate_id, projector_func, fastforward_skipping: bool):  # type: ignore[no-untyped-def]
        """A unit's first load of an aggregate: the cached object as it is
        when it is known current, else read (or brought forward) from the
        store, which makes it current as of now."""
        if self.cache and aggregate_id in self.current:
            try:
                return self.cache.get(aggregate_id)
            except KeyError:      # the cache let it go
                self.current.discard(aggregate_id)
        found = self._get_stored(aggregate_id, projector_func, fastforward_skipping,
                                 deepcopy_from_cache=False)
        if self.seen is not None and self.cache:
            self.current.add(aggregate_id)
        return found

    def bring_forward(self, recorder: Any, written: dict[int, bytes]) -> None:
        """Before a unit of work: which cached aggregates other writers have
        changed since the last check, in one query of the log after ``seen``
        (each of them would otherwise cost a fast-forward read when loaded).
        Their events (any not in ``written``, this process's own) take them
        out of ``current``. A unit's reads are then those of the store as it
        was at this check, which is what a unit's reads have always been
        (unit_of_work.py): a write on a stale copy still loses at commit. A
        store whose log cannot be asked so trusts nothing, and every load
        is brought forward from the store as before."""
        since = getattr(recorder, "events_since", None)
        if since is None or not self.cache:
            self.current.clear()
            self.seen = None
            return
        rows = since(self.seen, CHECKED_EVENTS) if self.seen is not None else None
        if rows is None or len(rows) >= CHECKED_EVENTS:
            # the first check, or too much written meanwhile: start from now
            self.current.clear()
            latest = since(None, 0)
            self.seen = latest[0][0] if latest else None
            return
        for notification_id, aggregate_id in rows:
            if notification_id not in written:
                self.current.discard(aggregate_id)
        if rows:
            self.seen = rows[-1][0]

    def _get_stored(self, aggregate_id, projector_func, fastforward_skipping: bool,  # type: ignore[no-untyped-def]
                    deepcopy_from_cache: bool, version=None):
        # A cached aggregate is handed out as a copy made by pickling (two to
        # three times quicker than deepcopy on these plain dicts and lists).
        found = super().get(aggregate_id, version=version, deepcopy_from_cache=False,
                            fastforward_skipping=fastforward_skipping,
                            projector_func=projector_func or _project)
        if version is None and self.cache and deepcopy_from_cache and self.deepcopy_from_cache:
            try:
                return pickle.loads(pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
            except (pickle.PicklingError, TypeError, AttributeError):
                return copy.deepcopy(found)
        return found

    def evict(self, *aggregate_ids: Any) -> None:
        """Forget cached copies that proved stale (another writer got there first)."""
        self.current.difference_update(aggregate_ids)
        if self.cache:
            for aggregate_id in aggregate_ids:
                try:
                    self.cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass

    def _reconstruct_aggregate(self, aggregate_id, version, projector_func):  # type: ignore[override]
        if aggregate_id in self.snapshotted:
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        aggregate = projector_func(None, self.event_store.get(originator_id=aggregate_id,
                                                              lte=version))
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} "
                                         "not found.")
        return aggregate


class LedgerCore(Application):
    """Loading and saving for the handlers; no command of its own."""

    def construct_repository(self) -> Repository:
        # The library's own, with its settings (the aggregate cache among them,
        # Ledger.env); only the snapshot look-ups differ (LedgerRepository).
        base = super().construct_repository()
        repository = LedgerRepository(base.event_store, snapshot_store=base.snapshot_store,
                                      fastforward=base.fastforward,
                                      fastforward_skipping=base.fastforward_skipping,
                                      deepcopy_from_cache=base.deepcopy_from_cache)
        repository.cache = base.cache
        return repository

    def construct_transcoder(self) -> Transcoder:
        # The stored form of the ledger's values is the adapters' business
        # (adapters/transcodings.py); the domain only refuses to run on a
        # store that could not keep them, before anything is written.
        transcoder = super().construct_transcoder()
        require_value_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """The library's atomic write; inside a unit of work (unit_of_work.py)
        the events are collected for the unit's one write instead."""
        unit = self.repository.unit   # type: ignore[attr-defined]
        if unit is None:
            return super().save(*objs, **kwargs)
        unit.stage(objs)
        return []

    def _record(self, processing: Any) -> Any:
        """The library's record, told what the registry's events in it change
        in the clock's due table, which a store that keeps one writes in the
        same transaction (adapters/due_table.py; other stores ignore it)."""
        changes = due_changes(processing.events)
        if changes is not None:
            processing.saved_kwargs["due_changes"] = changes
        # what is written now is newer than its cached copy (a unit's commit
        # puts its own objects back as current once written)
        self.repository.current.difference_update(  # type: ignore[attr-defined]
            e.originator_id for e in processing.events)
        recordings = super()._record(processing)
        written = self.__dict__.setdefault("_written", {})
        for recording in recordings:
            n = recording.notification
            written[n.id] = _written_key(n.topic, n.state)
        while len(written) > WRITTEN_KEPT:
            del written[next(iter(written))]
        return recordings

    def written_here(self, notification_id: int, topic: Any, state: Any) -> bool:
        """Whether this process wrote exactly these bytes as this event, from
        a domain event its own mapper encoded (the last ``WRITTEN_KEPT``): a
        seal at the end of a run may take them as read without decoding
        them again (AUD-05: the chain vouches only for what the ledger wrote)."""
        key = self.__dict__.get("_written", {}).get(notification_id)
        return key is not None and key == _written_key(topic, state)

    # --- finding aggregates by business key ----------------------------------------
    def _find(self, cls: type[A], key: str, what: str) -> A | None:
        try:
            return self.repository.get(cls.id_for(key))  # type: ignore[attr-defined]
        except AggregateNotFoundError:
            return None

    def _ask_at_once(self, aggregate_ids: list[Any]) -> None:
        """Inside a unit of work, which of these aggregates the store has, in
        one query; the unit remembers the others as absent, so a command that
        looks up many (a claim's practitioners) does not ask for each. What
        the store has is still loaded one by one, when asked for."""
        unit = getattr(self.repository, "unit", None)   # none on a stand-in repository
        if unit is None:
            return
        recorded = getattr(self.recorder, "recorded_originators", None)
        if recorded is None:
            return
        ids = set(aggregate_ids) - unit.absent - set(unit.identity)
        if len(ids) > 1:
            unit.absent.update(ids - recorded(ids))

    def _get(self, cls: type[A], key: str, what: str, remedy: str = "") -> A:
        found = self._find(cls, key, what)
        if found is None:
            raise NotFound(f"unknown {what} {key!r}",
                           remedy=remedy or f"register the {what} first, or check the {what} code")
        return found

    def _institution_on(self, code: str, ctx: Context) -> Institution:
        """The institution an act of the agency names (an application, an
        agreement, a payee account, a dispute...), which must have existed
        on the act's business date (CAL-04): no act on an institution takes
        effect before the day it started business (its F1 fact). Facts about
        its past (people, bar facts) do not come here."""
        inst = self._get(Institution, code, "institution")
        started = inst.facts.get("business_started_on")
        if isinstance(started, date) and ctx.effective_on < started:
            raise RuleViolation("{code} started business on {started}; an act on it cannot take "
                                "effect on {effective_on}, before that", rule="CAL-04",
                                remedy="date the command on or after {started}, or amend the "
                                       "institution's business_started_on if it is wrong",
                                key="refusal.service_core.started_business_on_act", values={"code": code,
                                "started": started, "effective_on": ctx.effective_on})
        return inst

    def _registry(self, ctx: Context) -> Registry:
        try:
            return self.repository.get(Registry.ID)
        except AggregateNotFoundError:
            return Registry.open(ctx.effective_on, ctx.envelope)

    def _due_notes(self, aggregates: list[LedgerAggregate], ctx: Context,
                   envelope: Envelope | None = None) -> list[LedgerAggregate]:
        """The registry, when the clock's index must change with these
        aggregates: for every agreement among them that changed, the first day
        something can now fall due for it (``next_due_on``), saved with it in
        the same write. Empty when nothing changed (the common case: a claim,
        a review); the registry is then only read, never copied."""
        changed = [a for a in aggregates if isinstance(a, Agreement) and a.pending_events]
        if not changed:
            return []
        cal, cal_version = self.calendar_and_version()
        dates = {a.number: next_due_on(a, cal) for a in changed}
        registry = next((a for a in aggregates if isinstance(a, Registry)), None)
        if registry is None:
            try:
                current: Registry = self.repository.get(Registry.ID, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                return []     # no agreement listed yet: nothing to index
            if not current.changed_due(dates, cal_version):
                return []
            registry = self.repository.get(Registry.ID)
            extra: list[LedgerAggregate] = [registry]
        else:
            extra = []
        registry.note_due(dates, cal_version, ctx.effective_on, envelope or ctx.envelope)
        return extra

    # --- the calendar and the log ----------------------------------------------------
    def calendar(self) -> WorkingCalendar:
        return self.calendar_and_version()[0]

    def calendar_and_version(self) -> tuple[WorkingCalendar, int]:
        """The working calendar and the version of the book it is made from
        (0: no year loaded). Made once per version of the book: the book is
        asked only whether it has changed, and never copied for that."""
        try:
            book: CalendarBook = self.repository.get(CalendarBook.ID, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return _NO_CALENDAR, 0
        made = self.__dict__.get("_calendar_made")
        if made is None or made[1] != book.version:
            made = self.__dict__["_calendar_made"] = (book.calendar(), book.version)
        return made

    def read_log(self, start: int = 1, *, batch: int = 1000) -> Iterator[tuple[int, Any]]:
        """Every stored event in log order with its notification id. Inside a
        unit of work holding events not yet written the log would lack them:
        the command is given again alone (``MustRunAlone``)."""
        unit = self.repository.unit   # type: ignore[attr-defined]
        if unit is not None and unit.events:
            raise MustRunAlone("the log is read while a unit of work holds unwritten events")
        position = start
        while True:
            notifications = self.recorder.select_notifications(start=position, limit=batch)
            if not notifications:
                return
            for n in notifications:
                yield n.id, self.mapper.to_domain_event(n)
            position = notifications[-1].id + 1

    # --- an agreement as of the command's date -----------------------------------------
    def _clock(self, ctx: Context) -> Envelope:
        return Envelope(user="ledger-clock", role="system", command_id=ctx.command_id,
                        document="")

    def _up_to_date(self, number: str, ctx: Context) -> tuple[Agreement, list[LedgerAggregate]]:
        """The agreement with every consequence due by the command's date
        recorded first (dated the day each fell due), and what else changed."""
        agreement = self._get(Agreement, number, "agreement")
        touched = self._advance(agreement, ctx.effective_on, self._clock(ctx))
        return agreement, touched

    def _advance(self, agreement: Agreement, up_to: date, envelope: Envelope,
                 cal: WorkingCalendar | None = None) -> list[LedgerAggregate]:
        cal = cal or self.calendar()
        touched: list[LedgerAggregate] = []
        successor = agreement.renewal["successor"]
        if (not agreement.is_ended and successor is not None
                and agreement.renewal.get("successor_effective_on") is None):
            # AGR-05, M 51: the renewal's effect first, so that the expiry is
            # decided knowing it (the same log whichever is brought up first)
            renewal = self._get(Agreement, successor, "agreement")
            for day, what, _ in renewal.bring_up_to(up_to, cal, envelope):
                if what == "take_effect":
                    agreement.note_successor_effect(on=max(day, renewal.term_start),
                                                    envelope=envelope)
            if renewal.pending_events:
                touched.append(renewal)
        for day, what, _ in agreement.bring_up_to(up_to, cal, envelope):
            if what == "take_effect" and agreement.renewal_of:
                predecessor = self._get(Agreement, agreement.renewal_of, "agreement")
                predecessor.note_successor_effect(on=max(day, agreement.term_start),
                                                  envelope=envelope)
                predecessor.bring_up_to(up_to, cal, envelope)
                touched.append(predecessor)
        return touched

    # --- reading aggregates for queries -----------------------------------------------
    def institution(self, code: str) -> Institution:
        return self._get(Institution, code, "institution")

    def application(self, number: str) -> AdmissionApplication:
        return self._get(AdmissionApplication, number, "application")

    def evaluation(self, number: str) -> Evaluation:
        return self._get(Evaluation, number, "evaluation")

    def person(self, person_id: str) -> Person:
        return self._get(Person, person_id, "person")

    def statement_import(self, sha256: str) -> StatementImport | None:
        return self._find(StatementImport, sha256, "statement")

    def agreement(self, number: str) -> Agreement:
        return self._get(Agreement, number, "agreement")
