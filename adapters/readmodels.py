"""SQL read models kept by the eventsourcing projection machinery (AUD-02, AUD-03).

Tables live in the ledger's own database (same schema), next to a tracking
table that records the last notification id applied, written in the same
transaction as the rows: a batch is applied exactly once, and a stopped run
resumes from the tracked position.

| table              | what                                                         |
|--------------------|--------------------------------------------------------------|
| ``rm_log``         | every event's notification id, recording instant, business date, topic, aggregate |
| ``rm_postings``    | fund-position changes per agreement, year and column (money)  |
| ``rm_status``      | agreements' status over business time, bitemporal             |
| ``rm_ended``       | the public list of ended agreements                           |
| ``rm_bars``        | the practitioner bar register                                 |

"As of" a business date filters by ``effective_on`` / validity; "as known at"
an instant becomes a log position (the last notification recorded by then)
and filters by notification id. Both together answer "what was true on D, as
the ledger knew it at T" without replaying the log.

On PostgreSQL ``follow()`` runs eventsourcing's ProjectionRunner on the
LISTEN/NOTIFY subscription; on SQLite (no subscription) ``catch_up()`` runs
before every query.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator, Sequence

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.projection import Projection
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder

from domain.agreement import Agreement
from domain.claim import Claim
from domain.fund_account import FundAccount
from domain.person import Person
from domain.service import Ledger
from projections.fund import Position
from projections.rows import (ended_row, money_numbers, posting_deltas, posting_key, status_of,
                              timeline)

APP = "Ledger"
PROJECTION = "ReadModels"
FAR = date(9999, 12, 31)


def _instant(moment: datetime) -> str:
    """A fixed-width UTC form, so instants compare as strings in any database."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["log"] = sa.Table(
        f"{prefix}_log", metadata,
        sa.Column("notification_id", sa.BigInteger, primary_key=True),
        sa.Column("recorded_at", sa.String(32), nullable=False, index=True),
        sa.Column("effective_on", sa.Date, nullable=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("originator_id", sa.String(36), nullable=False, index=True))
    t["postings"] = sa.Table(
        f"{prefix}_postings", metadata,
        sa.Column("notification_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("col", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Index(f"{prefix}_postings_agreement", "agreement", "year"))
    t["status"] = sa.Table(
        f"{prefix}_status", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_status_agreement", "agreement", "valid_from"))
    t["ended"] = sa.Table(
        f"{prefix}_ended", metadata,
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("ended_on", sa.Date, nullable=False),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("article", sa.String(64), nullable=False),
        sa.Column("breach", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Index(f"{prefix}_ended_agreement", "agreement"))
    t["bars"] = sa.Table(
        f"{prefix}_bars", metadata,
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("bar_no", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("years", sa.Integer, nullable=False),
        sa.Column("finding", sa.Text, nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("approved_on", sa.Date, nullable=True),
        sa.Column("approved_known_from", sa.BigInteger, nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("person", "bar_no"))
    return t


class ReadModelView(SQLAlchemyTrackingRecorder):
    """The materialised view: the read-model tables and their tracking record."""

    prefix = "rm"

    def __init__(self, datastore: Any, *, tracking_table_name: str = "readmodels_tracking",
                 schema_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(datastore=datastore, tracking_table_name=tracking_table_name,
                         schema_name=schema_name, **kwargs)
        self.metadata = sa.MetaData(schema=schema_name)
        self.t = _tables(self.metadata, self.prefix)

    @property
    def engine(self) -> sa.Engine:
        assert self.datastore.engine is not None
        return self.datastore.engine

    def create_table(self) -> None:
        super().create_table()
        self.metadata.create_all(self.engine, checkfirst=True)

    def drop(self) -> None:
        """Drop every read model and its tracking record (for a rebuild)."""
        self.metadata.drop_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.tracking_table))
        self.metadata.create_all(self.engine, checkfirst=True)

    def write(self, batch: "Batch", tracking: Tracking) -> None:
        """Apply one batch of rows and move the tracking record, atomically."""
        with self.transaction(commit=True) as session:
            known = self.max_tracking_id(tracking.application_name)
            if known is not None and tracking.notification_id <= known:
                return  # already applied: exactly once
            for name in ("log", "postings", "status", "ended", "bars"):
                rows = getattr(batch, name)
                if rows:
                    session.execute(sa.insert(self.t[name]), rows)
            for row_id, known_to in batch.status_closed:
                session.execute(sa.update(self.t["status"]).where(
                    self.t["status"].c.id == row_id).values(known_to=known_to))
            for key, values in batch.ended_updates:
                session.execute(sa.update(self.t["ended"]).where(
                    self.t["ended"].c.agreement == key).where(
                    self.t["ended"].c.reversed_on.is_(None)).values(**values))
            for (person, bar_no), values in batch.bar_updates:
                session.execute(sa.update(self.t["bars"]).where(
                    self.t["bars"].c.person == person).where(
                    self.t["bars"].c.bar_no == bar_no).values(**values))
            self._insert_tracking(session, tracking)


@dataclass
class Batch:
    log: list[dict[str, Any]] = field(default_factory=list)
    postings: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)
    status_closed: list[tuple[int, int]] = field(default_factory=list)
    ended: list[dict[str, Any]] = field(default_factory=list)
    ended_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    bar_updates: list[tuple[tuple[str, str], dict[str, Any]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.log)


class ReadModels(Projection[ReadModelView]):
    """Turns events into read-model rows. Keeps the aggregates it has seen in
    memory; an aggregate it has not seen is loaded from the event store as it
    stood just before the event (``source``)."""

    name = PROJECTION
    topics: tuple[str, ...] = ()

    def __init__(self, view: ReadModelView, source: Ledger | None = None) -> None:
        super().__init__(view)
        self.source = source
        self.aggregates: dict[Any, Any] = {}
        self.numbers: dict[Any, dict[str, int]] = {}
        self.open_status: dict[str, list[dict[str, Any]]] = {}
        self.next_status_id: int | None = None
        self.batch = Batch()

    # --- eventsourcing's Projection interface (the continuous runner) -----------
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.apply(domain_event, tracking.notification_id)
        self.flush(tracking)

    def flush(self, tracking: Tracking) -> None:
        if len(self.batch):
            self.view.write(self.batch, tracking)
        self.batch = Batch()

    # --- turning one event into rows ---------------------------------------------
    def _aggregate_before(self, e: Any) -> Any:
        if hasattr(e, "originator_topic"):
            return None
        found = self.aggregates.get(e.originator_id)
        if found is None and self.source is not None:
            found = self.source.repository.get(e.originator_id,
                                               version=e.originator_version - 1)
            self.aggregates[e.originator_id] = found
            self.numbers[e.originator_id] = money_numbers(found)
        return found

    def apply(self, e: Any, notification_id: int) -> None:
        b = self.batch
        b.log.append({"notification_id": notification_id,
                      "recorded_at": _instant(e.timestamp),
                      "effective_on": getattr(e, "effective_on", None),
                      "topic": type(e).__qualname__, "originator_id": str(e.originator_id)})
        aggregate = self._aggregate_before(e)
        if aggregate is None:
            aggregate = e.mutate(None)
        else:
            e.apply(aggregate)
            aggregate.version = e.originator_version
        self.aggregates[e.originator_id] = aggregate
        if isinstance(aggregate, (Claim, FundAccount)):
            after = money_numbers(aggregate)
            deltas = posting_deltas(self.numbers.get(e.originator_id, {}), after)
            self.numbers[e.originator_id] = after
            key = posting_key(aggregate)
            for col, amount in deltas.items():
                b.postings.append({**key, "notification_id": notification_id, "col": col,
                                   "amount": amount, "effective_on": e.effective_on})
        elif isinstance(aggregate, Agreement):
            self._status(aggregate, e, notification_id)
            self._ended(aggregate, e, notification_id)
        elif isinstance(aggregate, Person):
            self._bars(aggregate, e, notification_id)

    def _status(self, ag: Agreement, e: Any, n: int) -> None:
        """Bitemporal status: a new knowledge version of the agreement's
        timeline whenever what it says changes."""
        rows = self._open_rows(ag.number)
        status, why = status_of(ag, e.effective_on)
        tail = rows[-1] if rows else None
        if tail is not None and e.effective_on >= tail["valid_from"]:
            if (tail["status"], tail["why"]) == (status, why):
                return
            self._close(tail, n)
            rows.pop()
            if e.effective_on > tail["valid_from"]:
                rows.append(self._row(ag, tail["valid_from"], e.effective_on, tail["status"],
                                      tail["why"], n))
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        if tail is None and not hasattr(e, "originator_topic"):
            pass  # first sight of an older agreement: recompute its timeline below
        elif tail is None:
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        # A backdated event: recompute the whole timeline as now known.
        for row in rows:
            self._close(row, n)
        rows.clear()
        events = self._events_of(ag, e)
        points = timeline(events)
        for i, (start, st, wy) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else FAR
            rows.append(self._row(ag, start, end, st, wy, n))

    def _events_of(self, ag: Agreement, e: Any) -> list[Any]:
        if self.source is None:
            raise RuntimeError("a backdated event needs the event store to recompute from")
        stored = self.source.recorder.select_events(e.originator_id, lte=e.originator_version)
        return [self.source.mapper.to_domain_event(s) for s in stored]

    def _open_rows(self, agreement: str) -> list[dict[str, Any]]:
        rows = self.open_status.get(agreement)
        if rows is None:
            t = self.view.t["status"]
            with self.view.engine.connect() as conn:
                found = conn.execute(sa.select(t).where(t.c.agreement == agreement).where(
                    t.c.known_to == 0).order_by(t.c.valid_from)).mappings().all()
            rows = [dict(r) for r in found]
            self.open_status[agreement] = rows
        return rows

    def _row(self, ag: Agreement, start: date, end: date, status: str, why: str,
             n: int) -> dict[str, Any]:
        if self.next_status_id is None:
            t = self.view.t["status"]
            with self.view.engine.connect() as conn:
                self.next_status_id = (conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
                                       or 0) + 1
        row = {"id": self.next_status_id, "agreement": ag.number,
               "institution": ag.institution_code, "agency": ag.agency, "valid_from": start,
               "valid_to": end, "status": status, "why": why, "known_from": n, "known_to": 0}
        self.next_status_id += 1
        self.batch.status.append(row)
        return row

    def _close(self, row: dict[str, Any], n: int) -> None:
        # known_to 0 means "still known"; closing records when it stopped being so.
        if row in self.batch.status:
            row["known_to"] = n
        else:
            self.batch.status_closed.append((row["id"], n))

    def _ended(self, ag: Agreement, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Agreement.Ended":
            self.batch.ended.append({**ended_row(ag), "known_from": n, "reversed_on": None,
                                     "reversed_known_from": None})
        elif name == "Agreement.DecisionReversed" and e.decision == "ending":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
            for row in self.batch.ended:
                if row["agreement"] == ag.number and row["reversed_on"] is None:
                    row.update(values)
                    return
            self.batch.ended_updates.append((ag.number, values))

    def _bars(self, person: Person, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Person.BarProposed":
            bar = person.bars[e.bar_no]
            self.batch.bars.append({"person": person.person_id, "bar_no": e.bar_no,
                                    "institution": bar["institution"], "years": bar["years"],
                                    "finding": bar["finding"], "proposed_on": e.effective_on,
                                    "approved_on": None, "approved_known_from": None,
                                    "until": None, "reversed_on": None,
                                    "reversed_known_from": None, "known_from": n})
            return
        if name == "Person.BarApproved":
            values = {"approved_on": e.effective_on, "approved_known_from": n,
                      "until": e.until}
        elif name == "Person.BarReversed":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
        else:
            return
        for row in self.batch.bars:
            if (row["person"], row["bar_no"]) == (person.person_id, e.bar_no):
                row.update(values)
                return
        self.batch.bar_updates.append(((person.person_id, e.bar_no), values))


# --- running the projection ------------------------------------------------------------
def view_for(ledger: Ledger) -> ReadModelView:
    """The ledger's read-model view, made (and its tables created) once."""
    view = getattr(ledger, "_read_model_view", None)
    if view is None:
        recorder = ledger.recorder
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)  # see verify()
            view = ReadModelView(recorder.datastore, schema_name=recorder.schema_name)  # type: ignore[attr-defined]
        view.create_table()
        ledger._read_model_view = view  # type: ignore[attr-defined]
    return view


def _stored_batches(ledger: Ledger, after: int, size: int) -> Iterator[list[tuple[int, Any]]]:
    """Raw rows from the events table in log order, decoded in bulk."""
    table = ledger.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    engine = ledger.recorder.datastore.engine  # type: ignore[attr-defined]
    position = after
    to_event = ledger.mapper.to_domain_event
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(table.c.id, table.c.originator_id, table.c.originator_version,
                          table.c.topic, table.c.state)
                .where(table.c.id > position).order_by(table.c.id).limit(size)).all()
        if not rows:
            return
        yield [(r[0], to_event(StoredEvent(
            originator_id=r[1], originator_version=r[2], topic=r[3],
            state=bytes(r[4]) if isinstance(r[4], memoryview) else r[4]))) for r in rows]
        position = rows[-1][0]


def catch_up(ledger: Ledger, *, batch_size: int = 5000,
             progress: Callable[[int, int], None] | None = None,
             stop_after_batches: int | None = None,
             projection: ReadModels | None = None) -> int:
    """Apply every event after the tracked position; returns how many."""
    view = projection.view if projection else view_for(ledger)
    projection = projection or ReadModels(view, source=ledger)
    start = view.max_tracking_id(APP) or 0
    total = (ledger.recorder.max_notification_id() or 0) - start
    done = 0
    for batches, rows in enumerate(_stored_batches(ledger, start, batch_size), 1):
        for notification_id, event in rows:
            projection.apply(event, notification_id)
        projection.flush(Tracking(APP, rows[-1][0]))
        done += len(rows)
        if progress:
            progress(done, total)
        if stop_after_batches is not None and batches >= stop_after_batches:
            break
    return done


def rebuild(ledger: Ledger, *, batch_size: int = 5000,
            progress: Callable[[int, int], None] | None = None,
            stop_after_batches: int | None = None) -> dict[str, Any]:
    """Drop the read models and build them again from the log alone. A
    rebuild that was stopped part-way is resumed from its tracked position
    (``ledger rebuild`` again) and ends in the same state."""
    view = view_for(ledger)
    meta = _meta(view)
    if _rebuild_state(view, meta) != "in_progress":
        view.drop()
        meta.create(view.engine, checkfirst=True)
        _set_rebuild_state(view, meta, "in_progress")
    started = time.perf_counter()
    n = catch_up(ledger, batch_size=batch_size, progress=progress,
                 stop_after_batches=stop_after_batches)
    seconds = time.perf_counter() - started
    complete = (view.max_tracking_id(APP) or 0) >= (ledger.recorder.max_notification_id() or 0)
    if complete:
        _set_rebuild_state(view, meta, "done")
    return {"events": n, "seconds": seconds, "complete": complete,
            "events_per_second": n / seconds if seconds else 0.0}


def _meta(view: ReadModelView) -> sa.Table:
    md = sa.MetaData(schema=view.metadata.schema)
    table = sa.Table(f"{view.prefix}_rebuild", md,
                     sa.Column("name", sa.String(32), primary_key=True),
                     sa.Column("state", sa.String(16), nullable=False))
    table.create(view.engine, checkfirst=True)
    return table


def _rebuild_state(view: ReadModelView, meta: sa.Table) -> str | None:
    with view.engine.connect() as conn:
        return conn.execute(sa.select(meta.c.state).where(meta.c.name == "readmodels")).scalar()


def _set_rebuild_state(view: ReadModelView, meta: sa.Table, state: str) -> None:
    with view.engine.begin() as conn:
        conn.execute(sa.delete(meta).where(meta.c.name == "readmodels"))
        conn.execute(sa.insert(meta).values(name="readmodels", state=state))


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
    runner = ProjectionRunner(application_class=Ledger, projection_class=ReadModels,
                              view_class=ReadModelView, env=env)
    runner.projection.source = runner.app
    return runner


# --- queries on both time axes ------------------------------------------------------------
def log_position(view: ReadModelView, known_at: datetime | None) -> int:
    """The last notification recorded by ``known_at`` (everything when None)."""
    t = view.t["log"]
    q = sa.select(sa.func.max(t.c.notification_id))
    if known_at is not None:
        q = q.where(t.c.recorded_at <= _instant(known_at))
    with view.engine.connect() as conn:
        return conn.execute(q).scalar() or 0


def status_as_of(view: ReadModelView, on: date, position: int,
                 agreement: str | None = None,
                 institution: str | None = None) -> list[dict[str, Any]]:
    t = view.t["status"]
    q = (sa.select(t.c.agreement, t.c.institution, t.c.agency, t.c.status, t.c.why,
                   t.c.valid_from)
         .where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if institution:
        q = q.where(t.c.institution == institution)
    with view.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(t.c.agreement)).mappings()]


def positions_as_of(view: ReadModelView, on: date | None, position: int, *,
                    agreement: str | None = None, year: int | None = None,
                    agency: str | None = None) -> list[Position]:
    t = view.t["postings"]
    q = (sa.select(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col,
                   sa.func.sum(t.c.amount))
         .where(t.c.notification_id <= position)
         .group_by(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col))
    if on is not None:
        q = q.where(t.c.effective_on <= on)
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if year:
        q = q.where(t.c.year == year)
    if agency:
        q = q.where(t.c.agency == agency)
    rows: dict[tuple[str, int], Position] = {}
    with view.engine.connect() as conn:
        for agency_, agreement_, institution, year_, col, amount in conn.execute(q):
            p = rows.setdefault((agreement_, year_),
                                Position(agency_, agreement_, institution, year_))
            amount = int(amount)
            if col.startswith("refused:"):
                reason = col.split(":", 1)[1]
                p.refused_by_reason[reason] = p.refused_by_reason.get(reason, 0) + amount
                p.refused += amount
            else:
                setattr(p, col, getattr(p, col) + amount)
    for p in rows.values():
        p.still_held = p.withheld - p.returned - p.forfeited
        p.approved_unpaid = p.approved - p.paid - p.withheld
    return sorted(rows.values(), key=lambda p: (p.agency, p.agreement, p.year))


def ended_as_of(view: ReadModelView, on: date | None, position: int) -> list[dict[str, Any]]:
    t = view.t["ended"]
    q = sa.select(t).where(t.c.known_from <= position)
    if on is not None:
        q = q.where(t.c.ended_on <= on)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.ended_on, t.c.agreement)).mappings():
            reversed_ = r["reversed_on"] is not None and \
                (on is None or r["reversed_on"] <= on) and r["reversed_known_from"] <= position
            if not reversed_:
                rows.append(dict(r))
    return rows


def bars_as_of(view: ReadModelView, on: date | None, position: int, *,
               person: str | None = None, institution: str | None = None
               ) -> list[dict[str, Any]]:
    t = view.t["bars"]
    q = sa.select(t).where(t.c.known_from <= position)
    if person:
        q = q.where(t.c.person == person)
    if institution:
        q = q.where(t.c.institution == institution)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.person, t.c.bar_no)).mappings():
            row = dict(r)
            approved = row["approved_on"] is not None and \
                row["approved_known_from"] <= position and \
                (on is None or row["approved_on"] <= on)
            reversed_ = row["reversed_on"] is not None and \
                row["reversed_known_from"] <= position and \
                (on is None or row["reversed_on"] <= on)
            row["status"] = "reversed" if reversed_ else (
                "approved" if approved else "awaiting approval")
            if not approved:
                row["approved_on"] = row["until"] = None
            rows.append(row)
    return rows


# --- proof: rebuild equals live, and the money identities hold at every point ---------------
def snapshot(view: ReadModelView) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, in a canonical order (row ids left out)."""
    out = {}
    with view.engine.connect() as conn:
        for name, table in view.t.items():
            cols = [c for c in table.columns if c.name != "id"]
            rows = conn.execute(sa.select(*cols)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def money_identities_at_every_point(view: ReadModelView) -> list[str]:
    """AUD-06 over history: walking each agreement-year's postings in log
    order, approved >= paid + withheld, withheld >= returned + forfeited,
    recovered <= to recover, and no figure below zero, at every step."""
    t = view.t["postings"]
    broken = []
    running: dict[tuple[str, int], dict[str, int]] = {}
    with view.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.agreement, t.c.year, t.c.col, t.c.amount,
                                      t.c.notification_id)
                            .order_by(t.c.notification_id)).all()
    for i, (agreement, year, col, amount, n) in enumerate(rows):
        s = running.setdefault((agreement, year), {})
        s[col] = s.get(col, 0) + int(amount)
        last_of_event = i + 1 == len(rows) or rows[i + 1][4] != n
        if not last_of_event:
            continue
        g = lambda c: s.get(c, 0)  # noqa: E731
        problems = []
        if g("paid") + g("withheld") > g("approved"):
            problems.append("paid + withheld exceeds approved")
        if g("returned") + g("forfeited") > g("withheld"):
            problems.append("returned + forfeited exceeds withheld")
        if g("recovered") > g("to_recover"):
            problems.append("recovered exceeds to recover")
        if any(v < 0 for v in s.values()):
            problems.append("a figure below zero")
        for p in problems:
            broken.append(f"{agreement} {year} after notification {n}: {p}")
    return broken


def verify(ledger: Ledger) -> dict[str, Any]:
    """Rebuild into scratch tables and compare with the live read models;
    check the money identities over all of history (AUD-02, AUD-06)."""
    live = view_for(ledger)
    catch_up(ledger)
    recorder = ledger.recorder

    class ScratchView(ReadModelView):
        prefix = "rv"

    with warnings.catch_warnings():
        # eventsourcing-sqlalchemy names every tracking record class alike; a
        # second view in one process only replaces SQLAlchemy's string lookup.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        scratch = ScratchView(recorder.datastore,
                              tracking_table_name="readmodels_verify_tracking",
                              schema_name=recorder.schema_name)  # type: ignore[attr-defined]
    scratch.create_table()
    scratch.drop()
    catch_up(ledger, projection=ReadModels(scratch, source=ledger))
    a, b = snapshot(live), snapshot(scratch)
    differences = [name for name in a if a[name] != b[name]]
    scratch.metadata.drop_all(scratch.engine)
    with scratch.engine.begin() as conn:
        conn.execute(sa.delete(scratch.tracking_table))
    broken = money_identities_at_every_point(live)
    return {"rebuild_equals_live": not differences, "differences": differences,
            "identities_broken": broken, "rows": {k: len(v) for k, v in a.items()}}
