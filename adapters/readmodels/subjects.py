"""Per-subject questions answered from the subject index (``about``) and the
subject's own events, never the whole log.

``rm_about`` says which aggregates (and which single events) are about an
institution, agreement, person or application, as known at a log position.
Their events are then read by aggregate id (the event store's own unique
index) and by notification id, and decoded: a few hundred events of the
subject, not the million of the log. What the ledger concludes about the
subject is the status fold (``projections.status.build``) over exactly those
aggregates' events, so it is the fold over the whole log read for that
subject (the tests compare the two on generated provinces).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from uuid import UUID

import orjson
import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent

from adapters.readmodels.about import ONE, WHOLE, about_rows, listings, named_agreements

if TYPE_CHECKING:
    from adapters.readmodels.schema import ReadModelView
    from projections.status import LedgerState

# the aggregate whose creation makes a subject known
SUBJECT_AGGREGATE = {"institution": "Institution", "agreement": "Agreement",
                     "person": "Person", "application": "Application"}
# the timeline of a person spans the institutions linked in these roles (ADM-03)
SPANNING_ROLES = ("legal_representative", "principal", "actual_controller", "investor")


def read_stored(ledger: Any, position: int, *, aggregates: Iterable[str] = (),
                notifications: Iterable[int] = (), first_only: bool = False,
                with_state: bool = True) -> list[tuple[int, StoredEvent]]:
    """(notification id, stored event) of the given aggregates (every event,
    or only their creation) and single notifications, recorded by
    ``position``, in log order; not decoded (``read_events``). Without
    ``with_state`` each has an empty state (``with_states`` reads it)."""
    table = ledger.recorder.events_record_cls.__table__
    ids = sorted({UUID(str(a)) for a in aggregates})
    numbers = sorted(set(notifications))
    tests = []
    for chunk in _chunks(ids):
        tests.append(table.c.originator_id.in_(chunk))
    for chunk in _chunks(numbers):
        tests.append(table.c.id.in_(chunk))
    if not tests:
        return []
    q = sa.select(table.c.id, table.c.originator_id, table.c.originator_version,
                  table.c.topic, table.c.state if with_state else sa.literal(b"")
                  ).where(table.c.id <= position)
    q = q.where(sa.or_(*tests))
    if first_only:
        q = q.where(table.c.originator_version == 1)
    engine = ledger.recorder.datastore.engine
    with engine.connect() as conn:
        found = conn.execute(q).all()
    out = {nid: StoredEvent(originator_id=oid, originator_version=version, topic=topic,
                            state=state)
           for nid, oid, version, topic, state in found}
    return sorted(out.items(), key=lambda item: item[0])


def with_states(ledger: Any, events: list[tuple[int, StoredEvent]]
                ) -> list[tuple[int, StoredEvent]]:
    """The same stored events with their states, read by notification id."""
    table = ledger.recorder.events_record_cls.__table__
    states = {}
    with ledger.recorder.datastore.engine.connect() as conn:
        for chunk in _chunks(sorted(nid for nid, _ in events)):
            states.update(conn.execute(sa.select(table.c.id, table.c.state).where(
                table.c.id.in_(chunk))).all())
    return [(nid, StoredEvent(originator_id=e.originator_id,
                              originator_version=e.originator_version, topic=e.topic,
                              state=states[nid])) for nid, e in events]


def read_events(ledger: Any, position: int, *, aggregates: Iterable[str] = (),
                notifications: Iterable[int] = (), first_only: bool = False
                ) -> list[tuple[int, Any]]:
    """(notification id, domain event), as ``read_stored`` selects them."""
    to_domain = ledger.mapper.to_domain_event
    return [(nid, to_domain(stored)) for nid, stored in read_stored(
        ledger, position, aggregates=aggregates, notifications=notifications,
        first_only=first_only)]


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def known(rows: list[dict[str, Any]], kind: str, key: str) -> dict[str, Any] | None:
    """The row that made the subject known (its aggregate's creation)."""
    aggregate = SUBJECT_AGGREGATE[kind]
    for r in rows:
        if r["scope"] == WHOLE and r["aggregate"] == aggregate and r[kind] == key:
            return r
    return None


@dataclass
class SubjectEvents:
    """A subject's events with what each is about (``relations``, as rows)."""
    kind: str
    key: str
    position: int
    events: list[tuple[int, StoredEvent]]   # stored, in log order (not decoded)
    rows_of: dict[int, list[dict[str, Any]]]          # notification id -> its about rows
    linked: dict[str, list[str]] = field(default_factory=dict)   # a person's institutions
    spanning: set[str] = field(default_factory=set)
    whole: set[str] = field(default_factory=set)      # aggregates read in full

    def via(self, nid: int) -> str | None:
        """How the event is about the subject, as ``adapters.timeline._via`` says."""
        rows = self.rows_of.get(nid, ())
        if self.kind in ("institution", "agreement"):
            return self.key if any(r[self.kind] == self.key for r in rows) else None
        hits = sorted({r["institution"] for r in rows} & self.spanning)
        parts = (["person"] if any(r["person"] == self.key for r in rows) else []) + \
            [f"{c} ({', '.join(self.linked[c])})" for c in hits]
        return "; ".join(parts) if parts else None

    def label(self, nid: int) -> tuple[str, str]:
        """The event's aggregate name and key (the timeline's columns)."""
        r = self.rows_of[nid][0]
        return r["aggregate"], r["akey"]


def subject_events(ledger: Any, view: ReadModelView, kind: str, key: str,
                   position: int, *, with_state: bool = True) -> SubjectEvents:
    """Every event about an institution, agreement or person recorded by
    ``position`` (LookupError when the subject was not known by then); with
    empty states unless ``with_state`` (``read_stored``)."""
    rows, linked, spanning = _subject_rows(ledger, view, kind, key, position)
    whole = {r["originator_id"] for r in rows if r["scope"] == WHOLE}
    single = {r["notification_id"] for r in rows if r["scope"] == ONE}
    events = read_stored(ledger, position, aggregates=whole, notifications=single,
                         with_state=with_state)
    return _indexed(kind, key, position, events, rows, linked, spanning, whole)


def _subject_rows(ledger: Any, view: ReadModelView, kind: str, key: str, position: int
                  ) -> tuple[list[dict[str, Any]], dict[str, list[str]], set[str]]:
    """The subject index's rows about the subject (a person's through the
    institutions they span), its linked institutions and the spanning ones."""
    rows = about_rows(view, position, **{kind: key})
    if known(rows, kind, key) is None:
        raise LookupError(f"unknown {kind} {key!r}")
    if kind == "institution":
        rows += listings(view, position, rows)
    linked: dict[str, list[str]] = {}
    spanning: set[str] = set()
    if kind == "person":
        linked = person_links(ledger, known(rows, kind, key)["originator_id"], position)
        spanning = {c for c, roles in linked.items() if set(roles) & set(SPANNING_ROLES)}
        if spanning:
            theirs = about_rows(view, position, institution=sorted(spanning))
            rows += theirs + listings(view, position, theirs)
        extra = _practitioner_claims(ledger, view, key, position)
        rows += [dict(r, scope=ONE, person=key, institution=None, agreement=None)
                 for r in _claim_rows(view, extra, position)]
    return rows, linked, spanning


def _indexed(kind: str, key: str, position: int, events: list[tuple[int, StoredEvent]],
             rows: list[dict[str, Any]], linked: dict[str, list[str]], spanning: set[str],
             whole: set[str]) -> SubjectEvents:
    """``SubjectEvents`` of ``events``, each with the subject rows about it."""
    by_aggregate: dict[str, list[dict[str, Any]]] = {}
    by_event: dict[int, list[dict[str, Any]]] = {}
    seen = set()
    for r in rows:
        ident = tuple(r.values())
        if ident in seen:
            continue
        seen.add(ident)
        if r["scope"] == WHOLE:
            by_aggregate.setdefault(r["originator_id"], []).append(r)
        else:
            by_event.setdefault(r["notification_id"], []).append(r)
    rows_of = {nid: by_aggregate.get(str(e.originator_id), []) + by_event.get(nid, [])
               for nid, e in events}   # a stored event's originator id is a UUID too
    return SubjectEvents(kind, key, position, events, rows_of, linked, spanning, whole)


# --- a page of the timeline, chosen in SQL -------------------------------------------------
def subject_page(ledger: Any, view: ReadModelView, kind: str, key: str, position: int, *,
                 limit: int, offset: int = 0, date_from: date | None = None,
                 date_to: date | None = None, types: Sequence[str] = ()
                 ) -> tuple[SubjectEvents, int]:
    """The page of ``limit`` events about the subject from ``offset`` on, in
    log order, and how many there are in all, counted and chosen by the
    database: only the page's events are read whole (a person's timeline may
    span twelve thousand). The business-date filter reads the log rows
    (``rm_log``), the type filter the stored topics; events filtered by
    their envelope (user, role) must be read, so they are not paged here."""
    from adapters.timeline import _event_name, _type_matches
    rows, linked, spanning = _subject_rows(ledger, view, kind, key, position)
    whole = {r["originator_id"] for r in rows if r["scope"] == WHOLE}
    single = {r["notification_id"] for r in rows if r["scope"] == ONE}
    table = ledger.recorder.events_record_cls.__table__
    source, where = _membership(view, table, position, whole, single, date_from, date_to)
    if where is None:
        return _indexed(kind, key, position, [], rows, linked, spanning, whole), 0
    engine = ledger.recorder.datastore.engine
    with engine.connect() as conn:
        if types:   # the topics of the wanted types among the subject's own
            counted = conn.execute(sa.select(table.c.topic, sa.func.count()).select_from(
                source).where(where).group_by(table.c.topic)).all()
            topics = sorted(t for t, _ in counted if _type_matches(_event_name(t), types))
            total = sum(n for t, n in counted if t in set(topics))
            where = sa.and_(where, table.c.topic.in_(topics)) if topics else sa.false()
        else:
            total = conn.execute(sa.select(sa.func.count()).select_from(source).where(
                where)).scalar_one()
        # ordered by ``id + 0``, not ``id``: so that no planner walks the
        # primary key through the log filtering for the subject (PostgreSQL
        # chose that for a page whenever its estimate of the subject's rows
        # was off: 60 ms instead of 0.3), but finds the subject's events by
        # their index and sorts them, as many as were just counted
        ids = conn.execute(sa.select(table.c.id).select_from(source).where(where).order_by(
            table.c.id + 0).limit(limit).offset(offset)).scalars().all() if limit else []
        found = conn.execute(sa.select(table.c.id, table.c.originator_id,
                                       table.c.originator_version, table.c.topic,
                                       table.c.state).where(table.c.id.in_(ids))).all() \
            if ids else []
    events = sorted(((nid, StoredEvent(originator_id=oid, originator_version=version,
                                       topic=topic, state=state))
                     for nid, oid, version, topic, state in found), key=lambda item: item[0])
    return _indexed(kind, key, position, events, rows, linked, spanning, whole), total


def _membership(view: ReadModelView, table: sa.Table, position: int, whole: set[str],
                single: set[int], date_from: date | None, date_to: date | None
                ) -> tuple[Any, Any]:
    """The FROM and WHERE of the subject's events (``read_stored``'s), with
    the business dates from the log rows when a date filter is given."""
    tests = [table.c.originator_id.in_(chunk) for chunk in _chunks(sorted(
        UUID(str(a)) for a in whole))]
    tests += [table.c.id.in_(chunk) for chunk in _chunks(sorted(single))]
    if not tests:
        return table, None
    where = sa.and_(table.c.id <= position, sa.or_(*tests))
    source: Any = table
    if date_from or date_to:
        log = view.t["log"]
        source = table.join(log, log.c.notification_id == table.c.id)
        if date_from:
            where = sa.and_(where, log.c.effective_on >= date_from)
        if date_to:
            where = sa.and_(where, log.c.effective_on <= date_to)
    return source, where


def timeline_page(ledger: Any, subject: Any, *, limit: int | None, offset: int = 0,
                  date_from: date | None = None, date_to: date | None = None,
                  types: Sequence[str] = (), users: Sequence[str] = (),
                  roles: Sequence[str] = (), known_at: datetime | None = None,
                  position: int | None = None) -> Any:
    """``adapters.timeline.timeline`` with the page chosen in SQL
    (``subject_page``): the same rows and total, for a page's cost. The
    whole timeline (``limit`` None) and a user or role filter go the
    timeline's own way."""
    from adapters import timeline as tl
    from adapters.readmodels import catch_up, log_position, view_for
    if limit is None or users or roles:
        return tl.timeline(ledger, subject, date_from=date_from, date_to=date_to,
                           types=types, users=users, roles=roles, known_at=known_at,
                           position=position, limit=limit, offset=offset)
    subject = tl.Subject.parse(subject) if isinstance(subject, str) else subject
    tl.check_types(types)
    if limit < 0 or offset < 0:
        raise ValueError("a page's limit and offset are not negative")
    catch_up(ledger)
    view = view_for(ledger)
    if position is None:
        position = log_position(view, known_at)
    found, total = subject_page(ledger, view, subject.kind, subject.key, position,
                                limit=limit, offset=offset, date_from=date_from,
                                date_to=date_to, types=types)
    rows = page_rows(ledger, position, found)
    return tl.Timeline(subject, rows, _empty_state(), found.linked,
                       [r.notification_id for r in rows], total)


def page_rows(ledger: Any, position: int, found: SubjectEvents) -> list[Any]:
    """The timeline's rows of ``found``'s events (read with their states):
    each summarised from its top-level values, with its rule ids (folded
    for the events whose rules need their aggregate's state)."""
    from adapters import timeline as tl
    mapper = ledger.mapper
    page = [(nid, stored, shallow_event(mapper, stored)) for nid, stored in found.events]
    rules = tl._rules_in_order(ledger, position, {
        nid: stored.originator_id for nid, stored, e in page if tl.event_type(e) in tl.STATEFUL})
    rows = []
    for nid, stored, e in page:
        try:
            summary = tl.summarize(e, revive=lambda v: revive(mapper, v))
        except NotPlain:   # a value only the library's decoder may read
            e = mapper.to_domain_event(stored)
            summary = tl.summarize(e)
        name, key = found.label(nid)
        rows.append(tl._row(nid, e, name, key, summary, rules.get(nid) or tl.rules_for(e),
                            found.via(nid) or ""))
    return rows


def _empty_state() -> Any:
    from projections.status import LedgerState
    return LedgerState()


def business_dates(view: ReadModelView, notifications: Iterable[int]) -> dict[int, Any]:
    """Each event's business date from its log row (``rm_log``), by
    notification id: the date filters need no event decoded."""
    t = view.t["log"]
    out = {}
    with view.engine.connect() as conn:
        for chunk in _chunks(sorted(set(notifications))):
            out.update(conn.execute(sa.select(t.c.notification_id, t.c.effective_on).where(
                t.c.notification_id.in_(chunk))).all())
    return out


def person_links(ledger: Any, person_aggregate: str, position: int) -> dict[str, list[str]]:
    """A person's institutions and roles, ever linked or linked now (by
    ``position``), as the timeline has always listed them."""
    history: dict[str, set[str]] = {}
    person = None
    for _, e in read_events(ledger, position, aggregates=[person_aggregate]):
        if type(e).__qualname__ == "Person.LinkedToInstitution":
            history.setdefault(e.institution_code, set()).add(e.role)
        if person is None:
            person = e.mutate(None)
        else:
            e.apply(person)
    for link in getattr(person, "institutions", []):
        history.setdefault(link["code"], set()).add(link["role"])
    return {code: sorted(roles) for code, roles in sorted(history.items())}


def _practitioner_claims(ledger: Any, view: ReadModelView, person: str,
                         position: int) -> list[int]:
    """The claim submissions naming ``person`` as a practitioner: of the
    agreements ``rm_named`` lists, the submissions whose items name them."""
    agreements = named_agreements(view, person, position)
    if not agreements:
        return []
    claims = [r["originator_id"] for r in about_rows(view, position, agreement=agreements)
              if r["aggregate"] == "Claim" and r["scope"] == WHOLE]
    table = ledger.recorder.events_record_cls.__table__
    needle = orjson.dumps(person)
    found = []
    with ledger.recorder.datastore.engine.connect() as conn:
        for chunk in _chunks(sorted(UUID(c) for c in claims)):
            for nid, state in conn.execute(
                    sa.select(table.c.id, table.c.state).where(table.c.originator_id.in_(chunk))
                    .where(table.c.originator_version == 1).where(table.c.id <= position)):
                state = bytes(state)
                if needle in state and any(i.get("practitioner_id") == person
                                           for i in orjson.loads(state)["items"]):
                    found.append(nid)
    return found


def _claim_rows(view: ReadModelView, notifications: list[int],
                position: int) -> list[dict[str, Any]]:
    """The claims' own rows (aggregate and key) for those submissions."""
    if not notifications:
        return []
    t = view.t["about"]
    with view.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            sa.select(t).where(t.c.notification_id.in_(notifications))
            .where(t.c.scope == WHOLE).where(t.c.notification_id <= position)).mappings()]


def subject_state(ledger: Any, view: ReadModelView, position: int, *,
                  institutions: Iterable[str] = (), applications: Iterable[str] = (),
                  agreements: Iterable[str] = (), persons: Iterable[str] = (),
                  as_of: date | None = None) -> LedgerState:
    """The status fold (``projections.status.build``, as of ``as_of``) over
    the aggregates of the given subjects: an institution with its
    applications, evaluations and agreements; an application with its
    evaluations; an agreement; a person."""
    from projections.status import build
    wanted = {"Institution", "Application", "Evaluation", "Agreement", "Person"}
    aggregates = set()
    for column, keys in (("institution", institutions), ("application", applications),
                         ("agreement", agreements), ("person", persons)):
        keys = sorted(set(keys))
        if not keys:
            continue
        for r in about_rows(view, position, **{column: keys}):
            if r["scope"] != WHOLE or r["aggregate"] not in wanted:
                continue
            if column == "agreement" and r["aggregate"] != "Agreement":
                continue
            if column == "person" and r["aggregate"] != "Person":
                continue
            aggregates.add(r["originator_id"])
    return build((e for _, e in read_events(ledger, position, aggregates=aggregates)),
                 as_of=as_of)


# --- decoding for the timeline -------------------------------------------------------------
def shallow_event(mapper: Any, stored: StoredEvent) -> Any:
    """``mapper.to_domain_event(stored)`` with only the top-level values
    revived (instants, dates, amounts, the envelope): arrays and plain
    objects stay as parsed, for ``revive`` to turn when they are read (a
    claim's summary reads its first items, not its twenty). For reading
    only: never apply it to an aggregate. Anything but this transcoder's
    plain JSON of an event's current version is decoded the library's whole
    way (``to_domain_event``)."""
    from eventsourcing.persistence import find_id_convertor
    from eventsourcing.utils import resolve_topic

    from adapters.transcoder import LedgerTranscoder, _NotPlain
    transcoder = mapper.transcoder
    if mapper.cipher or mapper.compressor or not isinstance(transcoder, LedgerTranscoder):
        return mapper.to_domain_event(stored)
    cls = resolve_topic(stored.topic)
    try:
        state = orjson.loads(stored.state)
        if state.get("class_version", 1) != getattr(cls, "class_version", 1):
            raise _NotPlain   # upcast: the library's way
        for k, v in state.items():
            t = type(v)
            if t is dict and len(v) == 2 and "_type_" in v and "_data_" in v:
                data = v["_data_"]
                found = transcoder.names.get(v["_type_"]) if type(data) is str else None
                state[k] = found.decode(data) if found is not None else transcoder._revive(v)
            elif t is float:
                raise _NotPlain
    except (_NotPlain, orjson.JSONDecodeError):
        return mapper.to_domain_event(stored)
    state.pop("class_version", None)
    state["originator_id"] = find_id_convertor(cls, type(stored.originator_id))(
        stored.originator_id)
    state["originator_version"] = stored.originator_version
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event


def revive(mapper: Any, value: Any) -> Any:
    """A value ``shallow_event`` left as parsed, as the transcoder decodes it
    (``NotPlain`` when only the library's own decoder may say)."""
    from adapters.transcoder import _NotPlain
    try:
        return mapper.transcoder._revive(value)
    except _NotPlain:
        raise NotPlain from None


class NotPlain(Exception):
    """A value the fast decoder cannot vouch for: decode the whole event."""
