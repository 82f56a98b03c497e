"""A bank statement posted for reconciliation (the fund's account; what
``ledger reconcile`` does): read as the CLI reads it (adapters/reconcile.py),
matched with the ledger's payments, deposit returns and recoveries
(domain/reconciliation.py), and its import recorded once, by content.

The fund's account is the province's: its statement is reconciled by the
provincial agency's finance staff or administrators.
"""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from adapters.boundary import parse_business_day, printable
from adapters.http.auth import principal
from adapters.http.commands import bounded
from adapters.http.errors import ERROR_RESPONSES, Refusal
from domain.base import Context
from domain.errors import InvalidCommand
from domain.policies.access import RULE, choose_role
from domain.roles import NotPermitted

router = APIRouter(responses=ERROR_RESPONSES)
TYPES = {"text/csv": "statement.csv", "text/tab-separated-values": "statement.tsv",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "statement.xlsx"}


@router.post("/reconcile", summary="Reconcile a bank statement of the fund's account",
             openapi_extra={"requestBody": {"required": True, "content": {
                 kind: {"schema": {"type": "string", "format": "binary"}} for kind in TYPES}}})
async def reconcile(request: Request, window: int = Query(3, ge=0, le=31),
                    on: Optional[str] = Query(None, max_length=10),
                    name: Optional[str] = Query(None, min_length=1, max_length=120)
                    ) -> dict[str, Any]:
    data = await request.body()
    who = await bounded(lambda: principal(request))
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in TYPES:
        raise Refusal(415, "UnsupportedMediaType", f"/reconcile reads {', '.join(TYPES)}",
                      "send the bank's CSV or .xlsx file as it is")
    role = choose_role(who, "record_statement_import")
    if not who.provincial:
        raise NotPermitted(f"the fund's account is the province's; {who.user} works for "
                           f"{who.agency}", rule=RULE, remedy="ask the provincial agency's "
                                                              "finance staff")
    try:
        day = parse_business_day(on) if on is not None else None
    except ValueError as e:
        raise InvalidCommand(f"on: {printable(e)}", field="on") from None
    file_name = name or TYPES[kind]
    return await bounded(lambda: _reconcile(request, who.user, role, data, window, day,
                                            file_name))


def _reconcile(request: Request, user: str, role: str, data: bytes, window: int, day: Any,
               file_name: str) -> dict[str, Any]:
    from adapters.reconcile import parse, report_rows
    from domain.calendar import today_in_china
    from domain.reconciliation import Payees, ledger_items, reconcile as match
    from domain.service import _plain
    from projections.status import build
    service = request.app.state.service
    try:
        parsed = parse(data)
    except ValueError as e:
        raise InvalidCommand(f"cannot read the statement: {printable(e)}",
                             remedy="send the bank's file as downloaded") from None
    ledger = service.ledger
    state = build(e for _, e in ledger.read_log())
    result = match(parsed.lines, ledger_items(state), payees=Payees(state.institutions.values()),
                   window_days=window, malformed=parsed.malformed, period=parsed.period)
    recorded = False
    if ledger.statement_import(parsed.sha256) is None:
        with service.writing():
            recorded = ledger.record_statement_import(
                Context(f"statement:{parsed.sha256}", day or today_in_china(), user, role,
                        file_name), sha256=parsed.sha256, file_name=file_name,
                encoding=parsed.encoding, lines=parsed.count,
                summary=result.summary())["recorded"]
    return {"log_position": service.log_position(), "summary": result.summary(),
            "format": parsed.format, "encoding": parsed.encoding, "recorded": recorded,
            "findings": _plain(report_rows(result))}
