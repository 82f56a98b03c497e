"""The questions the service answers, each on both time axes (``as_of`` a
business date, ``known_at`` an instant; AUD-03), from the functions the CLI
answers them with: the SQL read models where they exist, the fold over the
log (projections/) for the rest. This module is the one place that says
which answers which, so that a faster read model is put in by changing one
function here.

Every answer says the log position it reflects. A client that has just
given a command sends its answer's ``log_position`` as ``after`` (or the
``X-Ledger-After`` header) and is answered only once the read models have
reached it (read your writes, bounded: 503 after a few seconds).

Reading is scoped (domain/policies/access.py): an agency's user reads that
agency's institutions, applications, agreements, deadlines and positions;
the province's, and those granted the province, read all. The public list of
ended agreements and the practitioner bar register are province-wide.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from adapters.boundary import parse_day, printable
from adapters.http.auth import principal
from adapters.http.commands import ALL_SPECS, bounded
from adapters.http.errors import ERROR_RESPONSES, Refusal
from adapters.specs import roles_for
from domain.errors import InvalidCommand, NotFound
from domain.policies.access import Principal, check_read, readable_agencies
from domain.service import _plain

router = APIRouter(responses=ERROR_RESPONSES)


# a parameter's declaration is made anew for each route: FastAPI keeps its name in it
def Code() -> Any:
    return Query(None, min_length=1, max_length=64)


def Day() -> Any:
    return Query(None, max_length=10, description="a business date, YYYY-MM-DD")


def Instant() -> Any:
    return Query(None, max_length=40, description="an ISO instant with its zone, e.g. "
                                                  "2025-03-01T12:00:00+08:00")


def After() -> Any:
    return Query(None, ge=0, le=2**62, description="a log position: answer once it is "
                                                   "reached")


# --- parameters ----------------------------------------------------------------------------
def _day(text: Optional[str], name: str) -> Optional[date]:
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError as e:
        raise InvalidCommand(f"{name}: {printable(e)}", field=name,
                             remedy="give a date as YYYY-MM-DD") from None


def _instant(text: Optional[str]) -> Optional[datetime]:
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise InvalidCommand(f"known_at: {printable(text)[:40]!r} is not an ISO instant with "
                             "its zone", field="known_at",
                             remedy="e.g. 2025-03-01T12:00:00+08:00")
    return instant


def _after(request: Request, after: Optional[int]) -> int:
    header = request.headers.get("x-ledger-after")
    if after is None and header is not None:
        if not header.isdigit() or len(header) > 18:
            raise InvalidCommand("X-Ledger-After is a log position (a whole number)",
                                 field="X-Ledger-After", remedy="send the log_position of "
                                 "your last command's answer")
        after = int(header)
    return after or 0


def _models(request: Request, after: Optional[int], known_at: Optional[datetime]
            ) -> tuple[Any, int]:
    """The read-model view and the position to answer at."""
    from adapters.readmodels import log_position
    service = request.app.state.service
    reached = service.read_models_at(_after(request, after))
    view = service.view
    return view, (log_position(view, known_at) if known_at else reached)


def _fold(request: Request, as_of: Optional[date], known_at: Optional[datetime]
          ) -> tuple[Any, int]:
    """Everything as it stood, folded from the log (projections/status.py)."""
    from projections.status import build
    ledger = request.app.state.service.ledger
    log = list(ledger.read_log())
    return build((e for _, e in log), as_of=as_of, known_at=known_at), \
        (log[-1][0] if log else 0)


def _agency(request: Request, kind: str, key: str) -> Optional[str]:
    return request.app.state.service.ledger.agency_of(kind, key)


def _scoped(who: Principal, rows: list[dict[str, Any]], agency_of: Any) -> list[dict[str, Any]]:
    allowed = readable_agencies(who)
    return rows if allowed is None else [r for r in rows if agency_of(r) in allowed]


def answer(position: int, **parts: Any) -> dict[str, Any]:
    return {"log_position": position, **_plain(parts)}


# --- who and what -------------------------------------------------------------------------------
@router.get("/me", summary="The signed-in user: agency, roles, tokens")
def me(request: Request) -> dict[str, Any]:
    who = principal(request)
    return request.app.state.service.ledger.account(who.user).state()


@router.get("/commands", summary="Every command, its group and who may give it")
def commands() -> list[dict[str, Any]]:
    from adapters.http.commands import input_model
    return [{"command": name, "group": spec.group,
             "roles": [r for r in roles_for(name) if name not in ACCOUNT_NAMES
                       or r == "administrator"],
             "fields": list(input_model(name).model_fields)}
            for name, spec in ALL_SPECS.items()]


ACCOUNT_NAMES = {n for n, s in ALL_SPECS.items() if s.group == "Accounts"}


# --- institutions and applications (the fold over the log) -----------------------------------
async def _folded(request: Request, kind: str, key: str, as_of: Optional[str],
                  known_at: Optional[str], tell: Any) -> dict[str, Any]:
    """A subject as it stood, read from the fold if the asker may read it."""
    who = await bounded(lambda: principal(request))
    day, instant = _day(as_of, "as_of"), _instant(known_at)

    def work() -> dict[str, Any]:
        check_read(who, kind, key, _agency(request, kind, key))
        state, position = _fold(request, day, instant)
        found = getattr(state, f"{kind}s").get(key)
        if found is None:
            raise NotFound(f"unknown {kind} {key!r}", remedy=f"check the {kind}'s code or "
                                                             "number, and the as_of date")
        return answer(position, **tell(state, found))
    return await bounded(work)


@router.get("/institutions/{code}", summary="An institution with its people, bar facts, "
                                            "applications and agreements")
async def institution(request: Request, code: str, as_of: Optional[str] = Day(),
                      known_at: Optional[str] = Instant()) -> dict[str, Any]:
    from projections.deadlines import agreement_status
    return await _folded(request, "institution", code, as_of, known_at, lambda state, inst: {
        "institution": {**inst.state(), "bar_facts": inst.bar_facts},
        "applications": [state.applications[n].state() for n in inst.applications
                         if n in state.applications],
        "agreements": [agreement_status(state.agreements[n]) for n in inst.agreements
                       if n in state.agreements]})


@router.get("/applications/{number}", summary="An application with its evaluations")
async def application(request: Request, number: str, as_of: Optional[str] = Day(),
                      known_at: Optional[str] = Instant()) -> dict[str, Any]:
    return await _folded(request, "application", number, as_of, known_at, lambda state, a: {
        "application": a.state(),
        "evaluations": [state.evaluations[n].state() for n in a.evaluations
                        if n in state.evaluations]})


# --- the read models ------------------------------------------------------------------------------
async def _from_models(request: Request, day_text: Optional[str], day_name: str,
                       known_at: Optional[str], after: Optional[int], ask: Any) -> dict[str, Any]:
    """A question the SQL read models answer: ``ask(who, view, day, position)``
    at the position the client's last write and ``known_at`` say."""
    who = await bounded(lambda: principal(request))
    day, instant = _day(day_text, day_name), _instant(known_at)

    def work() -> dict[str, Any]:
        view, position = _models(request, after, instant)
        return answer(position, **ask(who, view, day, position))
    return await bounded(work)


@router.get("/status", summary="Agreements' status on a business date")
async def status(request: Request, on: str = Query(..., max_length=10),
                 institution: Optional[str] = Code(), agreement: Optional[str] = Code(),
                 known_at: Optional[str] = Instant(), after: Optional[int] = After()
                 ) -> dict[str, Any]:
    return await _from_models(request, on, "on", known_at, after,
                              lambda who, view, day, position: _status(
                                  who, view, day, position, institution, agreement))


def _status(who: Principal, view: Any, day: date, position: int, institution: Optional[str],
            agreement: Optional[str]) -> dict[str, Any]:
    from adapters.readmodels import status_as_of
    rows = status_as_of(view, day, position, agreement=agreement, institution=institution)
    return {"on": day, "rows": _scoped(who, rows, lambda r: r["agency"])}


@router.get("/agreements/{number}/status", summary="One agreement's status on a date")
async def agreement_status(request: Request, number: str, on: str = Query(..., max_length=10),
                           known_at: Optional[str] = Instant(), after: Optional[int] = After()
                           ) -> dict[str, Any]:
    def ask(who: Principal, view: Any, day: date, position: int) -> dict[str, Any]:
        agency = _agency(request, "agreement", number)
        if agency is None:
            raise NotFound(f"unknown agreement {number!r}", remedy="check the agreement number")
        check_read(who, "agreement", number, agency)
        return _status(who, view, day, position, None, number)
    return await _from_models(request, on, "on", known_at, after, ask)


@router.get("/deadlines", summary="Open deadlines on a date, overdue ones flagged")
async def deadlines(request: Request, on: str = Query(..., max_length=10),
                    known_at: Optional[str] = Instant(), after: Optional[int] = After()
                    ) -> dict[str, Any]:
    def ask(who: Principal, view: Any, day: date, position: int) -> dict[str, Any]:
        from adapters.readmodels import deadlines_as_of
        seen: dict[str, Optional[str]] = {}

        def agency(row: dict[str, Any]) -> Optional[str]:
            # a row's subject is its kind and number ("agreement XY-2025-001",
            # "application …", "case …"): the agency is the subject's by both
            key = row["subject"]
            if key not in seen:
                kind, _, number = key.partition(" ")
                seen[key] = _agency(request, kind, number)
            return seen[key]
        return {"on": day, "rows": _scoped(who, deadlines_as_of(view, day, position), agency)}
    return await _from_models(request, on, "on", known_at, after, ask)


@router.get("/positions", summary="Fund positions per agreement and year, agency and fund")
async def positions(request: Request, as_of: Optional[str] = Day(),
                    known_at: Optional[str] = Instant(), agency: Optional[str] = Code(),
                    agreement: Optional[str] = Code(), after: Optional[int] = After()
                    ) -> dict[str, Any]:
    def ask(who: Principal, view: Any, day: Optional[date], position: int) -> dict[str, Any]:
        from adapters.readmodels import positions_as_of
        from projections.fund import as_dict, totals
        chosen = agency
        if readable_agencies(who) is not None:
            if agency is not None:
                check_read(who, "agency", agency, agency)
            chosen = who.agency
        rows = positions_as_of(view, day, position, agency=chosen, agreement=agreement)
        per_agency, fund = totals(rows)
        return {"positions": [as_dict(p) for p in rows],
                "agencies": [as_dict(p) for p in per_agency.values()], "fund": as_dict(fund)}
    return await _from_models(request, as_of, "as_of", known_at, after, ask)


@router.get("/ended", summary="The public list of ended agreements (TER-03)")
async def ended(request: Request, as_of: Optional[str] = Day(),
                known_at: Optional[str] = Instant(), after: Optional[int] = After()
                ) -> dict[str, Any]:
    from adapters.readmodels import ended_as_of
    return await _from_models(request, as_of, "as_of", known_at, after,
                              lambda who, view, day, position: {
                                  "rows": ended_as_of(view, day, position)})


@router.get("/bars", summary="The practitioner bar register (SAN-01)")
async def bars(request: Request, person: Optional[str] = Code(),
               institution: Optional[str] = Code(), as_of: Optional[str] = Day(),
               known_at: Optional[str] = Instant(), after: Optional[int] = After()
               ) -> dict[str, Any]:
    from adapters.readmodels import bars_as_of
    return await _from_models(request, as_of, "as_of", known_at, after,
                              lambda who, view, day, position: {"rows": bars_as_of(
                                  view, day, position, person=person, institution=institution)})


# --- history, case files, verification ----------------------------------------------------------
def _subject(request: Request, who: Principal, kind: str, key: str) -> Any:
    from adapters.timeline import Subject
    if kind == "person":
        if readable_agencies(who) is not None:
            raise Refusal(403, "NotPermitted", "a person's history spans every agency; only "
                          "the province, or a user granted the province, reads it",
                          "ask an administrator of the province", rule="AUD-04")
    else:
        check_read(who, kind, key, _agency(request, kind, key))
    return Subject(kind, key)


@router.get("/history", summary="The timeline of an institution, agreement or person (AUD-04)")
async def history(request: Request, institution: Optional[str] = Code(),
                  agreement: Optional[str] = Code(), person: Optional[str] = Code(),
                  date_from: Optional[str] = Query(None, alias="from", max_length=10),
                  date_to: Optional[str] = Query(None, alias="to", max_length=10),
                  type: list[str] = Query([], max_length=20),
                  user: list[str] = Query([], max_length=20,
                                          description="only events recorded by this user"),
                  role: list[str] = Query([], max_length=20,
                                          description="only events recorded in this role"),
                  limit: Optional[str] = Query(None, max_length=12, description=(
                      "rows a page, oldest first: 50 unless given, at most 1000; 0 gives "
                      "every row")),
                  offset: Optional[str] = Query(None, max_length=12, description=(
                      "rows to skip: the answer's next_offset is the next page's"))
                  ) -> dict[str, Any]:
    who = await bounded(lambda: principal(request))
    given = [(k, v) for k, v in (("institution", institution), ("agreement", agreement),
                                 ("person", person)) if v]
    if len(given) != 1:
        raise InvalidCommand("give exactly one of institution, agreement, person",
                             remedy="e.g. /history?agreement=XY-JZ-2025-101")
    start, end = _day(date_from, "from"), _day(date_to, "to")
    size, skip = _page(limit, offset)

    def work() -> dict[str, Any]:
        from adapters.paging import Window
        from adapters.readmodels.subjects import timeline_page
        subject = _subject(request, who, *given[0])
        service = request.app.state.service
        try:
            with service.read_models_turn():   # the timeline catches the read models up
                tl = timeline_page(service.ledger, subject, date_from=start, date_to=end,
                                   types=[t[:80] for t in type], users=[u[:64] for u in user],
                                   roles=[r[:32] for r in role], limit=size, offset=skip)
        except LookupError as e:
            raise NotFound(str(e).strip("'\""), remedy="check the code or number") from None
        position = max((r.notification_id for r in tl.rows), default=0)
        window = Window(skip, size, tl.total, len(tl.rows))
        following = window.next_offset
        return answer(position, subject=str(subject), linked_institutions=tl.linked,
                      **window.as_dict(), next=None if following is None else _next_page(
                          request, following, size), rows=[r.as_dict() for r in tl.rows])
    return await bounded(work)


def _page(limit: Optional[str], offset: Optional[str]) -> tuple[Optional[int], int]:
    """(rows a page or None for every row, rows to skip) from the query; a
    number that cannot be is refused (422) in the catalogue's words."""
    from adapters.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, number
    try:
        size = number("limit", limit, DEFAULT_LIMIT, MAX_LIMIT)
    except ValueError as e:
        raise InvalidCommand(str(e), field="limit", remedy=f"e.g. limit={DEFAULT_LIMIT}") \
            from None
    try:
        skip = number("offset", offset, 0, MAX_OFFSET)
    except ValueError as e:
        raise InvalidCommand(str(e), field="offset", remedy="e.g. offset=50") from None
    return (size or None), (skip if size else 0)


def _next_page(request: Request, offset: int, limit: Optional[int]) -> str:
    """The path and query of the next page (this one's, the offset moved on)."""
    url = request.url.include_query_params(offset=offset, limit=limit)
    return f"{url.path}?{url.query}"


@router.get("/casefile/{kind}/{key}", summary="A signed case file of a subject (verifies "
                                              "offline with ledger verify-case)")
async def casefile(request: Request, kind: str, key: str) -> dict[str, Any]:
    who = await bounded(lambda: principal(request))
    if kind not in ("institution", "agreement", "person"):
        raise NotFound(f"no case files of {printable(kind)[:20]!r}",
                       remedy="/casefile/institution/CODE, /casefile/agreement/NO or "
                              "/casefile/person/ID")

    def work() -> dict[str, Any]:
        from adapters.casefile import build_case
        from adapters.integrity import IntegrityProblem
        subject = _subject(request, who, kind, key)
        service = request.app.state.service
        try:
            return build_case(service.ledger, subject, service.signing_key())
        except LookupError as e:
            raise NotFound(str(e).strip("'\""), remedy="check the code or number") from None
        except IntegrityProblem as e:
            raise Refusal(409, "IntegrityProblem", str(e), "see docs/integrity.md",
                          rule="AUD-05") from None
    return await bounded(work)


@router.get("/verification", summary="The hash chain's state (AUD-05): the first event that "
                                     "does not match, if any")
async def verification(request: Request) -> dict[str, Any]:
    await bounded(lambda: principal(request))

    def work() -> dict[str, Any]:
        from adapters.integrity import verify
        service = request.app.state.service
        report = verify(service.ledger, seal_unsealed=False)
        return {"log_position": service.log_position(), **_plain(report.as_dict()),
                "message": report.message()}
    return await bounded(work)

