"""The Projection: events into read-model rows.

``ReadModels`` keeps the aggregates it has seen in memory, decodes a stored
event only as far as its path needs (``routing``), and hands it to the
handlers of the views: ``PostingRows`` (positions), ``StatusRows``,
``DeadlineRows``, ``EndedRows``, ``BarRows``, ``AboutRows``,
``SupervisionRows``, each in its view's module.
"""
from __future__ import annotations

from typing import Any, Callable
from uuid import UUID

import orjson
import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import resolve_topic

from adapters.readmodels.about import AboutRows
from adapters.readmodels.bars import BarRows
from adapters.readmodels.deadlines import DeadlineRows
from adapters.readmodels.ended import EndedRows
from adapters.readmodels.log import _instant, _stored_instant
from adapters.readmodels.positions import PostingRows
from adapters.readmodels.routing import LINKED_KINDS, MONEY_KINDS, PROJECTION, REPLAYED_KINDS
from adapters.readmodels.schema import ReadModelView
from adapters.readmodels.status import StatusRows
from adapters.readmodels.supervision import SupervisionRows
from adapters.readmodels.writer import Batch
from adapters.transcoder import event_from_parsed
from adapters.readmodels import about, bars, deadlines, ended, status, supervision
from domain.service import Ledger
from projections import postings

# The views whose rows an event of each replayed aggregate makes, in this
# order: each view's module says which aggregates' events it handles
# (``HANDLERS``), so a view is added or changed in its own module.
ROWS_OF: dict[type, tuple[Callable[..., None], ...]] = {}
for _view in (status, ended, deadlines, bars, about, supervision):
    for _cls, _handle in _view.HANDLERS.items():
        ROWS_OF[_cls] = ROWS_OF.get(_cls, ()) + (_handle,)


class ReadModels(PostingRows, StatusRows, DeadlineRows, EndedRows, BarRows, AboutRows,
                 SupervisionRows, Projection[ReadModelView]):
    """Turns events into read-model rows. Keeps the aggregates it has seen in
    memory; an aggregate it has not seen is loaded from the event store as it
    stood just before the event (``source``)."""

    name = PROJECTION
    topics: tuple[str, ...] = ()

    def __init__(self, view: ReadModelView, source: Ledger | None = None) -> None:
        super().__init__(view)
        self.source = source
        self.aggregates: dict[Any, Any] = {}   # agreements and people, replayed
        self.money: dict[Any, Any] = {}        # claims and fund accounts: posting state
        # bitemporal tables: each key's rows still known (known_to 0), and the next id
        self.open: dict[str, dict[str, list[dict[str, Any]]]] = {
            "status": {}, "deadlines": {}, "supervision": {}}
        self.next_id: dict[str, int] = {}
        self.book: Any = None            # the CalendarBook as of the event being applied
        self.working_calendar: Any = None
        self.position = 0                # the notification being applied
        self.batch = Batch()
        self.routes: dict[str, tuple[str, int]] = {}   # stored topic -> (event name, how)
        self.keys: dict[str, str] = {}   # institutions' and agencies' codes (``about``)
        self.named_seen = set()

    # --- eventsourcing's Projection interface (the continuous runner) -----------
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.apply(domain_event, tracking.notification_id)
        self.flush(tracking)

    def flush(self, tracking: Tracking) -> None:
        if len(self.batch):
            self.view.write(self.batch, tracking)
        self.batch = Batch()

    # --- turning one event into rows ---------------------------------------------
    def apply(self, e: Any, notification_id: int) -> None:
        """A domain event (the continuous runner's path)."""
        name = type(e).__qualname__
        effective_on = getattr(e, "effective_on", None)
        day = effective_on.isoformat() if effective_on is not None else None
        self.batch.log.append((notification_id, _instant(e.timestamp), day, name,
                               str(e.originator_id)))
        kind = name.split(".", 1)[0]
        if kind in MONEY_KINDS:
            self._money(name, str(e.originator_id), e.originator_version, e.__dict__,
                        day, notification_id, hasattr(e, "originator_topic"), domain_event=e)
        elif kind in REPLAYED_KINDS:
            self._replayed(e, notification_id)
        elif kind in LINKED_KINDS:
            self._about_logged(name, str(e.originator_id), e.originator_version, e.__dict__,
                               notification_id)

    # what each stored topic needs (``_route``): its log only, a posting rule that
    # moves nothing (a claim's sample and its reviews, a booked deposit: more than
    # half of a province's events), a posting rule, its aggregate replayed, or
    # read for the subjects it names (from its stored JSON, or decoded and upcast
    # first when its event class has a later version than 1)
    LOG_ONLY, NO_POSTING, MONEY, REPLAY, LINKED, LINKED_UPCAST = range(6)

    def _route(self, topic: str) -> tuple[str, int]:
        name = topic.rpartition(":")[2]
        kind = name.split(".", 1)[0]
        if kind in MONEY_KINDS:
            how = self.NO_POSTING if postings.RULES.get(name) is postings.nothing else self.MONEY
        else:
            how = self.REPLAY if kind in REPLAYED_KINDS else \
                self.LINKED if kind in LINKED_KINDS else self.LOG_ONLY
            if how == self.LINKED and getattr(resolve_topic(topic), "class_version", 1) > 1:
                how = self.LINKED_UPCAST
        self.routes[topic] = (name, how)
        return name, how

    def apply_stored(self, notification_id: int, originator_id: str, version: int,
                     topic: str, state: bytes) -> None:
        """A stored event, decoded only as far as its read models need: money
        events by the posting rules, the replayed kinds (agreements, people,
        applications, evaluations, the calendar book) by their aggregate, every
        other event only into the log (the catch-up and rebuild path). ``state``
        is the stored JSON's bytes."""
        name, how = self.routes.get(topic) or self._route(topic)
        payload = orjson.loads(state)
        effective = payload.get("effective_on")
        day = effective["_data_"] if effective else None   # ISO, as the Date column keeps it
        self.batch.log.append((notification_id, _stored_instant(payload["timestamp"]["_data_"]),
                               day, name, originator_id))
        if how == self.LOG_ONLY or how == self.NO_POSTING:
            # a rule that moves nothing changes no posting state either: the next
            # event of the claim or account finds the state as it was
            return
        if how == self.MONEY:
            self._money(name, originator_id, version, payload, day, notification_id,
                        "originator_topic" in payload, topic, state)
        elif how == self.LINKED:
            self._about_logged(name, originator_id, version, payload, notification_id)
        elif how == self.LINKED_UPCAST:   # an older version of its event: as decoded
            e = self._event(topic, originator_id, version, payload, state)
            self._about_logged(name, originator_id, version, e.__dict__, notification_id)
        else:
            self._replayed(self._event(topic, originator_id, version, payload, state),
                           notification_id)

    def _event(self, topic: str, originator_id: str, version: int, payload: dict[str, Any],
               state: bytes) -> Any:
        """The domain event of a stored one whose JSON is already parsed."""
        if self.source is None:
            raise RuntimeError("replaying a stored event needs the ledger's mapper")
        return event_from_parsed(self.source.mapper, StoredEvent(
            originator_id=UUID(originator_id), originator_version=version, topic=topic,
            state=state), payload)

    def _stored_aggregate(self, originator_id: UUID | str, version: int) -> Any:
        if self.source is None:
            raise RuntimeError("an aggregate first seen part-way needs the event store")
        if isinstance(originator_id, str):
            originator_id = UUID(originator_id)
        return self.source.repository.get(originator_id, version=version)

    def _replayed(self, e: Any, n: int) -> None:
        """The replayed kinds: the aggregate as its own event bodies make it,
        then the rows of each view that handles it (``ROWS_OF``)."""
        if hasattr(e, "originator_topic"):
            aggregate = e.mutate(None)
        else:
            aggregate = self.aggregates.get(e.originator_id)
            if aggregate is None:
                aggregate = self._stored_aggregate(e.originator_id, e.originator_version - 1)
            e.apply(aggregate)
            aggregate.version = e.originator_version
        self.aggregates[e.originator_id] = aggregate
        self.position = n
        for handle in ROWS_OF[type(aggregate)]:
            handle(self, aggregate, e, n)

    def _events_recorded_by(self, originator_id: UUID, e: Any) -> list[Any]:
        """An aggregate's events recorded up to ``e``: its own event (up to that
        version) or another's (a calendar load: those recorded before it)."""
        if self.source is None:
            raise RuntimeError("a backdated event needs the event store to recompute from")
        own = e.originator_id == originator_id
        stored = self.source.recorder.select_events(
            originator_id, lte=e.originator_version if own else None)
        events = [self.source.mapper.to_domain_event(s) for s in stored]
        return events if own else [x for x in events if x.timestamp <= e.timestamp]

    # --- the bitemporal tables (status, deadlines): rows still known, per key ------------
    KEYS = {"status": "agreement", "deadlines": "subject", "supervision": "subject"}

    def _open_rows(self, table: str, key: str, *, new: bool = False) -> list[dict[str, Any]]:
        """The rows of ``key`` still known; read once per process (none for a
        key that its own creation event is bringing in)."""
        cache = self.open[table]
        rows = cache.get(key)
        if rows is None:
            rows = []
            if not new:
                t = self.view.t[table]
                with self.view.engine.connect() as conn:
                    found = conn.execute(sa.select(t).where(
                        t.c[self.KEYS[table]] == key).where(t.c.known_to == 0).order_by(
                        t.c.valid_from, t.c.id)).mappings().all()
                rows = [dict(r) for r in found]
            cache[key] = rows
        return rows

    def _new_row(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Give ``row`` the next id of ``table`` and add it to the batch."""
        if table not in self.next_id:
            t = self.view.t[table]
            with self.view.engine.connect() as conn:
                self.next_id[table] = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
                                       or 0) + 1
        row["id"] = self.next_id[table]
        self.next_id[table] += 1
        getattr(self.batch, table).append(row)
        self.batch.pending[table].add(row["id"])
        return row

    def _close(self, table: str, row: dict[str, Any], n: int) -> None:
        # known_to 0 means "still known"; closing records when it stopped being so.
        if row["id"] in self.batch.pending[table]:   # not written yet: close it in the batch
            row["known_to"] = n
        else:
            self.batch.closed[table].append((row["id"], n))

    def _version_at(self, originator_id: UUID, position: int) -> int:
        assert self.source is not None
        table = self.source.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        with self.view.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(table.c.originator_version)).where(
                table.c.originator_id == originator_id).where(
                table.c.id <= position)).scalar() or 0

    def _aggregate_by_key(self, cls: type, key: str) -> Any:
        found = self.aggregates.get(cls.id_for(key))
        if found is None and self.source is not None:
            version = self._version_at(cls.id_for(key), self.position)
            if version:
                found = self.source.repository.get(cls.id_for(key), version=version)
                self.aggregates[cls.id_for(key)] = found
        return found
