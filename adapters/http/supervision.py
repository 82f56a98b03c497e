"""Supervision's questions over HTTP (SUP-02..07; issue #19 point 4): open
cases and their deadlines, an institution's leads and cases, screening
alerts by rule and agency (recorded, or re-run on the log as known at an
instant), a draw's proof and the seed a draw takes. The answers are the
ones ``ledger supervision ... --json`` gives (adapters/cli_supervision.py),
from the same ledger functions, wrapped as every answer is (its
``log_position``).

Who asks is the signed-in user: their agency scopes what they read
(SUP-02: a city's staff read their own agency's leads and cases, the
province's and those granted the province read all), and their roles
decide whether a complainant's personal data is shown (SUP-03: only to an
investigator or an auditor; the others read it redacted). A refusal of
SUP-02 is a 403, as reading another agency's subject is (AUD-04).

The draw's proof and the seed are every signed-in user's: the double
random draw is published (M 42 "双随机、一公开"), so anyone may re-run it.
The leads and cases, their deadlines and the alerts recorded are answered
by the supervision and deadlines read models (adapters/readmodels/
supervision.py), as of ``on`` (a business date) and as known at
``known_at`` (an instant), after the client's last write (``after``) as the
other read-model questions are; a re-run of the rules and a draw's proof
fold the log, as they are defined to.
"""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from adapters.boundary import printable
from adapters.http.auth import principal
from adapters.http.commands import bounded
from adapters.http.errors import ERROR_RESPONSES
from adapters.http.questions import After, Code, Day, Instant, _day, _instant, _models, answer
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.lead import SEES_PERSONAL_DATA, Viewer, check_agency
from domain.policies.access import Principal
from domain.roles import NotPermitted

router = APIRouter(prefix="/supervision", tags=["supervision"], responses=ERROR_RESPONSES)


def viewer_of(who: Principal) -> Viewer:
    """The signed-in user as supervision's questions take them: their agency,
    whether they read the province, and the role they read in (one that sees
    personal data, SUP-03, if they hold one)."""
    role = next((r for r in who.roles if r in SEES_PERSONAL_DATA),
                who.roles[0] if who.roles else "")
    return Viewer(role=role, agency=who.agency, reads_province=who.reads_province)


def _scoped(fn: Any) -> Any:
    """A SUP-02 refusal of reading is a 403, as AUD-04's is."""
    try:
        return fn()
    except RuleViolation as e:
        if e.rule != "SUP-02":
            raise
        scoped = NotPermitted(e.reason, rule=e.rule, remedy=e.remedy)
        # the reason is already filled: its key and values go across as they are
        # (given to the constructor, it would fill the reason again)
        scoped.key, scoped.values = e.key, e.values
        raise scoped from None


async def _answer(request: Request, ask: Any) -> dict[str, Any]:
    """``ask(ledger, viewer)`` in a worker thread, with the log position it reflects
    (taken first: the answer holds at least every event up to it)."""
    who = await bounded(lambda: principal(request))

    def work() -> dict[str, Any]:
        service = request.app.state.service
        position = service.log_position()
        return answer(position, **_scoped(lambda: ask(service.ledger, viewer_of(who))))
    return await bounded(work)


async def _from_models(request: Request, on: Optional[str], known_at: Optional[str],
                       after: Optional[int], ask: Any) -> dict[str, Any]:
    """``ask(ledger, view, day, position, viewer)`` on the read models at the
    position ``after`` and ``known_at`` say, on ``on`` (today in China when None)."""
    from domain.calendar import today_in_china
    who = await bounded(lambda: principal(request))
    day, instant = _day(on, "on") or today_in_china(), _instant(known_at)

    def work() -> dict[str, Any]:
        view, position = _models(request, after, instant)
        ledger = request.app.state.service.ledger
        return answer(position, **_scoped(lambda: ask(ledger, view, day, position,
                                                      viewer_of(who))))
    return await bounded(work)


@router.get("/cases", summary="Open cases and their deadlines on a day (SUP-04, SUP-05)")
async def cases(request: Request, on: Optional[str] = Day(), known_at: Optional[str] = Instant(),
                overdue: bool = Query(False, description="only cases with a deadline past"),
                after: Optional[int] = After()) -> dict[str, Any]:
    from adapters.readmodels.supervision import cases_on
    return await _from_models(request, on, known_at, after,
                              lambda ledger, view, day, position, viewer: {
                                  "on": day, "rows": cases_on(view, day, position, viewer,
                                                              overdue=overdue)})


def _one(request: Request, state_on: Any, number: str, on: Optional[str],
         known_at: Optional[str], after: Optional[int]) -> Any:
    """One lead's or case's state (``state_on``: ``lead_on`` or ``case_on``)."""
    return _from_models(request, on, known_at, after,
                        lambda ledger, view, day, position, viewer: {
                            "on": day, **state_on(view, number, day, position, viewer)})


@router.get("/cases/{number}", summary="A case's state and deadlines on a day (SUP-04)")
async def case(request: Request, number: str, on: Optional[str] = Day(),
               known_at: Optional[str] = Instant(), after: Optional[int] = After()
               ) -> dict[str, Any]:
    from adapters.readmodels.supervision import case_on
    return await _one(request, case_on, number, on, known_at, after)


@router.get("/leads", summary="Open leads on a day: not in a case, not set aside (SUP-01)")
async def leads(request: Request, on: Optional[str] = Day(), known_at: Optional[str] = Instant(),
                institution: Optional[str] = Code(), after: Optional[int] = After()
                ) -> dict[str, Any]:
    from adapters.readmodels.supervision import leads_on
    return await _from_models(request, on, known_at, after,
                              lambda ledger, view, day, position, viewer: {
                                  "on": day, "rows": leads_on(view, day, position, viewer,
                                                              institution=institution)})


@router.get("/leads/{number}", summary="A lead's state on a day (SUP-01, SUP-03)")
async def lead(request: Request, number: str, on: Optional[str] = Day(),
               known_at: Optional[str] = Instant(), after: Optional[int] = After()
               ) -> dict[str, Any]:
    from adapters.readmodels.supervision import lead_on
    return await _one(request, lead_on, number, on, known_at, after)


@router.get("/institutions/{code}", summary="An institution's leads and cases (SUP-02, "
                                            "SUP-03)")
async def institution(request: Request, code: str, on: Optional[str] = Day(),
                      known_at: Optional[str] = Instant(), after: Optional[int] = After()
                      ) -> dict[str, Any]:
    from adapters.cli_supervision import _agency_of
    from adapters.readmodels.supervision import institution_on
    return await _from_models(request, on, known_at, after,
                              lambda ledger, view, day, position, viewer: {
                                  "on": day, **institution_on(view, code, _agency_of(ledger, code),
                                                              day, position, viewer)})


@router.get("/alerts", summary="Screening alerts by rule and agency recorded by a day; with "
                               "known_at, what the rules raise on the log as known then "
                               "(SUP-06)")
async def alerts(request: Request, rule: Optional[str] = Code(), agency: Optional[str] = Code(),
                 on: Optional[str] = Day(), known_at: Optional[str] = Instant(),
                 after: Optional[int] = After()) -> dict[str, Any]:
    instant = _instant(known_at)

    def scope(viewer: Viewer) -> None:
        if agency is not None and not viewer.reads_province:
            check_agency(viewer.agency, agency, f"agency {agency}'s alerts")   # SUP-02
    if instant is None:
        from adapters.readmodels.supervision import alerts_on

        def recorded(ledger: Any, view: Any, day: Any, position: int,
                     viewer: Viewer) -> dict[str, Any]:
            scope(viewer)
            return {"on": day, "rows": alerts_on(view, day, position, viewer, rule=rule,
                                                 agency=agency)}
        return await _from_models(request, on, None, after, recorded)

    def ask(ledger: Any, viewer: Viewer) -> dict[str, Any]:
        scope(viewer)
        found = ledger.screening_alerts(viewer, [rule] if rule else [], known_at=instant)
        return {"known_at": instant,
                "alerts": [a.as_dict() for a in found if agency is None or a.agency == agency]}
    return await _answer(request, ask)


@router.get("/draws/{number}/proof", summary="A draw re-run from the ledger, its seed checked "
                                             "against the hash chain (SUP-07)")
async def draw_proof(request: Request, number: str) -> dict[str, Any]:
    from adapters.cli_supervision import checked_proof
    return await _answer(request, lambda ledger, viewer: checked_proof(ledger, number))


@router.get("/seed", summary="The seed fields of publish_draw: the chain head at an instant "
                             "(SUP-07)")
async def seed(request: Request, instant: str = Query(..., max_length=40,
                                                      description="an ISO instant with its "
                                                                  "zone")) -> dict[str, Any]:
    from adapters.cli_supervision import seed_fields
    from adapters.specs.supervision import _instant as parse
    try:
        at = parse(instant)
    except ValueError as e:
        raise InvalidCommand(f"instant: {printable(e)}", field="instant",
                             remedy="e.g. 2025-03-01T12:00:00+08:00") from None

    def ask(ledger: Any, viewer: Viewer) -> dict[str, Any]:
        try:
            return seed_fields(ledger, at)
        except LookupError as e:
            raise NotFound(str(e).strip("'\""), rule="SUP-07",
                           remedy="run `ledger verify` to seal the chain") from None
    return await _answer(request, ask)
