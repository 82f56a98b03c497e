"""Read-only questions the console asks that the API does not answer (yet):
an agreement's status over business time, the recent events, one event and
its command, what was recorded between two instants and how it changed the
answer for a date, the sister institutions behind shared people, a month's
claims. Each reads the same read models and event store the API reads
(adapters/readmodels), after the same catch-up, and is scoped by the same
access policy (domain/policies/access.py).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from adapters.timeline import SHANGHAI, event_type, summarize
from domain.policies.access import Principal, check_read, readable_agencies

RECENT = 25          # events on the home page
CHANGES_MAX = 500    # events listed between two instants
SIBLINGS_SPAN = 200  # notification ids searched either side for a command's other events


def caught_up(service: Any) -> tuple[Any, int]:
    """The read-model view, caught up as a question catches it up, and its position."""
    return service.view, service.read_models_at(0)


def position_at(service: Any, known_at: Optional[datetime]) -> int:
    from adapters.readmodels import log_position
    view, reached = caught_up(service)
    return log_position(view, known_at) if known_at else reached


# --- an agreement's status over time -------------------------------------------------------
def status_periods(service: Any, agreement: str, position: int) -> list[dict[str, Any]]:
    """Each period of the agreement's status over business time, as known at ``position``."""
    view = service.view
    t = view.t["status"]
    q = (sa.select(t.c.status, t.c.why, t.c.valid_from, t.c.valid_to)
         .where(t.c.agreement == agreement).where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position))
         .order_by(t.c.valid_from))
    with view.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        if r["valid_to"] and r["valid_to"].year >= 9000:
            r["valid_to"] = None        # open-ended
    return rows


# --- events ---------------------------------------------------------------------------------
def _decode(service: Any, start: int, limit: int) -> list[tuple[int, Any]]:
    ledger = service.ledger
    found = ledger.recorder.select_notifications(start=max(start, 1), limit=limit)
    return [(n.id, ledger.mapper.to_domain_event(n)) for n in found]


def _recorded(e: Any) -> datetime:
    instant = e.timestamp if e.timestamp.tzinfo else e.timestamp.replace(tzinfo=timezone.utc)
    return instant.astimezone(SHANGHAI)


def subjects_of(service: Any, events: list[tuple[int, Any]]) -> dict[int, dict[str, Any]]:
    """For each event, the institution, agreement, person and application it is
    about (the subject index rm_about: its aggregate's rows, and its own)."""
    if not events:
        return {}
    view = service.view
    t = view.t["about"]
    ids = sorted({str(e.originator_id) for _, e in events})
    nids = [n for n, _ in events]
    found: dict[int, dict[str, Any]] = {n: {} for n in nids}
    by_aggregate: dict[str, dict[str, Any]] = {}
    with view.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(sa.or_(
            sa.and_(t.c.scope == "a", t.c.originator_id.in_(ids)),
            sa.and_(t.c.scope == "e", t.c.notification_id.in_(nids))))).mappings()
        for r in rows:
            target = by_aggregate.setdefault(r["originator_id"], {}) if r["scope"] == "a" \
                else found.setdefault(r["notification_id"], {})
            for column in ("institution", "agreement", "person", "application"):
                if r[column] and column not in target:
                    target[column] = r[column]
            target.setdefault("key", r["akey"])
    for n, e in events:
        for k, v in by_aggregate.get(str(e.originator_id), {}).items():
            found[n].setdefault(k, v)
    return found


def agency_for(service: Any, about: dict[str, Any], cache: dict[tuple[str, str], Any]
               ) -> Optional[str]:
    for kind in ("agreement", "institution", "application"):
        key = about.get(kind)
        if key:
            if (kind, key) not in cache:
                cache[(kind, key)] = service.ledger.agency_of(kind, key)
            return cache[(kind, key)]
    return None


def event_row(nid: int, e: Any, about: dict[str, Any]) -> dict[str, Any]:
    env = getattr(e, "envelope", None)
    return {"notification_id": nid, "recorded_at": _recorded(e),
            "effective_on": getattr(e, "effective_on", None), "event": event_type(e),
            "subject": about.get("agreement") or about.get("institution") or
            about.get("application") or about.get("person") or about.get("key") or "",
            "agreement": about.get("agreement"), "institution": about.get("institution"),
            "user": getattr(env, "user", ""), "role": getattr(env, "role", ""),
            "command_id": getattr(env, "command_id", ""),
            "document": getattr(env, "document", ""), "summary": summarize(e, 160)}


def _readable(service: Any, who: Principal, rows: list[tuple[int, Any]]
              ) -> list[dict[str, Any]]:
    about = subjects_of(service, rows)
    allowed = readable_agencies(who)
    cache: dict[tuple[str, str], Any] = {}
    out = []
    for nid, e in rows:
        if event_type(e) == "CommandRecord.Handled":
            continue          # the command's own record: shown on the event's page
        subject = about.get(nid, {})
        if allowed is not None:
            agency = agency_for(service, subject, cache)
            if agency is None or agency not in allowed:
                continue
        out.append(event_row(nid, e, subject))
    return out


def recent_events(service: Any, who: Principal, after: int = 0, limit: int = RECENT
                  ) -> list[dict[str, Any]]:
    """The latest events this user may read, newest first; only those after
    ``after`` when given (the home page's live list asks every few seconds)."""
    caught_up(service)
    top = service.log_position()
    out: list[dict[str, Any]] = []
    end = top
    window = limit * 4
    while end > after and len(out) < limit:
        start = max(after + 1, end - window + 1, 1)
        rows = _decode(service, start, end - start + 1)
        out = sorted(_readable(service, who, rows), key=lambda r: -r["notification_id"]) + out
        end = start - 1
        if after == 0 and top - end > 20 * window:
            break              # a province of one agency's few events among many: enough
    out.sort(key=lambda r: -r["notification_id"])
    return out[:limit]


def one_event(service: Any, who: Principal, nid: int) -> dict[str, Any]:
    """One event with its command: who gave it, when it was recorded, on which
    document, the command's record and every other event the command caused."""
    from domain.errors import NotFound
    from domain.service.commanding import command_record
    caught_up(service)
    found = _decode(service, nid, 1)
    if not found or found[0][0] != nid:
        raise NotFound(f"no event at log position {nid}", remedy="check the number")
    _, e = found[0]
    about = subjects_of(service, found).get(nid, {})
    _check(service, who, about)
    row = event_row(nid, e, about)
    row["fields"] = summarize(e, 4000)
    command_id = row["command_id"]
    around = _decode(service, nid - SIBLINGS_SPAN, 2 * SIBLINGS_SPAN + 1)
    same = [(n, x) for n, x in around
            if getattr(getattr(x, "envelope", None), "command_id", None) == command_id]
    siblings = [r for r in (event_row(n, x, a) for (n, x), a in
                            zip(same, [subjects_of(service, same).get(n, {}) for n, _ in same]))]
    record = command_record(service.ledger, command_id) if command_id else None
    row["command"] = {"name": record.name, "result": record.result} if record else None
    row["siblings"] = siblings
    return row


def _check(service: Any, who: Principal, about: dict[str, Any]) -> None:
    for kind in ("agreement", "institution", "application"):
        key = about.get(kind)
        if key:
            check_read(who, kind, key, service.ledger.agency_of(kind, key))
            return
    if about.get("person") and readable_agencies(who) is not None:
        check_read(who, "person", about["person"], "?")


# --- what changed between two instants ---------------------------------------------------------
def changes(service: Any, who: Principal, since: datetime, until: Optional[datetime],
            on: date) -> dict[str, Any]:
    """The events recorded after ``since`` and by ``until`` (now when None),
    and how each changed the status answer for business date ``on``."""
    from adapters.readmodels import log_position, status_as_of
    view, reached = caught_up(service)
    first = log_position(view, since)
    last = log_position(view, until) if until else reached
    rows = _readable(service, who, _decode(service, first + 1, min(max(last - first, 0),
                                                                    CHANGES_MAX)))
    rows = [r for r in rows if r["notification_id"] <= last]
    for r in rows:
        agreement = r.get("agreement")
        if agreement and r["event"].startswith(("Agreement.", "Registry.")):
            before = status_as_of(view, on, r["notification_id"] - 1, agreement=agreement)
            after = status_as_of(view, on, r["notification_id"], agreement=agreement)
            b = before[0]["status"] if before else None
            a = after[0]["status"] if after else None
            r["changed"] = (b, a) if b != a else None
    allowed = readable_agencies(who)
    then = {x["agreement"]: x for x in status_as_of(view, on, first)}
    now = {x["agreement"]: x for x in status_as_of(view, on, last)}
    differ = []
    for number in sorted(set(then) | set(now)):
        b, a = then.get(number), now.get(number)
        agency = (a or b)["agency"]
        if allowed is not None and agency not in allowed:
            continue
        if (b or {}).get("status") != (a or {}).get("status") or \
                (b or {}).get("why") != (a or {}).get("why"):
            differ.append({"agreement": number, "institution": (a or b)["institution"],
                           "before": (b or {}).get("status"), "after": (a or {}).get("status"),
                           "why": (a or {}).get("why") or (b or {}).get("why")})
    return {"from_position": first, "to_position": last, "events": rows,
            "status_changes": differ, "truncated": last - first > CHANGES_MAX}


# --- people and sister institutions -------------------------------------------------------------
def sisters(service: Any, people: Iterable[dict[str, Any]], code: str, position: int
            ) -> dict[str, Any]:
    """The institutions linked to this one's people (ADM-03: sisters through a
    shared legal representative or investor): nodes and links for a graph."""
    from adapters.readmodels.about import about_rows, names_of
    people = [p for p in people if p.get("person_id")]
    persons = sorted({p["person_id"] for p in people})
    links: dict[tuple[str, str], str] = {}
    for p in people:
        links[(p["person_id"], code)] = p.get("role", "")
    if persons:
        for r in about_rows(service.view, position, person=persons):
            if r["institution"] and r["person"]:
                links.setdefault((r["person"], r["institution"]), "")
    institutions = sorted({i for _, i in links})
    names = names_of(service.view, institutions, position) if institutions else {}
    return {"persons": [{"id": p["person_id"], "name": p.get("name", "")} for p in people],
            "institutions": [{"code": i, "name": names.get(i, "")} for i in institutions],
            "links": [{"person": p, "institution": i, "role": role}
                      for (p, i), role in sorted(links.items())]}


# --- a month's claims ----------------------------------------------------------------------------
def claims_of(service: Any, agreement: str, position: int, as_of: Optional[date]
              ) -> list[dict[str, Any]]:
    """Every monthly claim of an agreement (sample, deductions, batches), as of a date."""
    from adapters.readmodels.about import about_rows
    from adapters.readmodels.subjects import read_events
    from projections.status import build
    ids = {r["originator_id"] for r in about_rows(service.view, position, agreement=[agreement])
           if r["aggregate"] == "Claim" and r["scope"] == "a"}
    if not ids:
        return []
    state = build((e for _, e in read_events(service.ledger, position, aggregates=ids)),
                  as_of=as_of)
    return [c.state() for _, c in sorted(state.claims.items())]


# --- finding an institution ----------------------------------------------------------------------
def search(service: Any, who: Principal, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Institutions whose code or recorded name holds ``text``, that this user reads."""
    caught_up(service)
    view = service.view
    t = view.t["names"]
    needle = f"%{text.strip()}%"
    q = (sa.select(t.c.institution, t.c.name, t.c.notification_id)
         .where(sa.or_(t.c.institution.ilike(needle), t.c.name.like(needle)))
         .order_by(t.c.institution).limit(limit * 4))
    latest: dict[str, tuple[int, str]] = {}
    with view.engine.connect() as conn:
        for code, name, n in conn.execute(q):
            if code not in latest or n > latest[code][0]:
                latest[code] = (n, name)
    allowed = readable_agencies(who)
    out = []
    for code, (_, name) in sorted(latest.items()):
        agency = service.ledger.agency_of("institution", code)
        if allowed is None or agency in allowed:
            out.append({"institution": code, "name": name, "agency": agency})
    return out[:limit]
