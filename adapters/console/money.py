"""Money: fund positions per agreement, agency and year with a chart over
the years (ECharts, served from the package), an agreement's monthly claims
(sample, deductions, batches); reconciling a bank statement (the upload goes
to the API's POST /reconcile from the page; its findings as xlsx here); and
proof: a case file to download, and checking one (or a checkpoint) against
a public key in the browser."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters.console import reads, views
from adapters.console.page import (PREFIX, Ctx, ask, h, layout, show, table, yuan)
from adapters.console.subjects import Text, _instant, download
from adapters.http import questions, reconcile as reconcile_api
from adapters.labels import label

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def yearly(rows: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """The chart's numbers: each series summed per year, exactly (yuan text)."""
    years: dict[int, dict[str, Decimal]] = {}
    for r in rows:
        year = years.setdefault(int(r["year"]), {s: Decimal(0) for s in views.CHART_SERIES})
        for s in views.CHART_SERIES:
            year[s] += Decimal(str(r[s]))
    return {y: {s: f"{v.quantize(Decimal('0.01'))}" for s, v in sums.items()}
            for y, sums in sorted(years.items())}


@router.get("/money")
async def money(request: Request, as_of: Optional[str] = Text(10),
                known_at: Optional[str] = Text(40), agency: Optional[str] = Text(16),
                agreement: Optional[str] = Text(64)) -> Any:
    async def build(ctx: Ctx) -> Any:
        ctx.params = {"agency": agency or "", "agreement": agreement or ""}
        found = await ask(questions.positions, request, as_of=ctx.as_of, known_at=ctx.known_at,
                          agency=agency, agreement=agreement)
        rows = found["positions"]
        chart = {"years": [], "series": [], "unit": ctx.t("yuan")}
        per_year = yearly(rows)
        chart["years"] = [str(y) for y in per_year]
        chart["series"] = [{"key": s, "name": label(f"money.{s}", ctx.lang),
                            "data": [per_year[y][s] for y in per_year]}
                           for s in views.CHART_SERIES]
        data = json.dumps(chart, ensure_ascii=False).replace("</", "<\\/")
        chart_table = table((views.Column("year", "year"),
                             *(views.Column(s, "money", header=f"money.{s}")
                               for s in views.CHART_SERIES)),
                            [{"year": y, **v} for y, v in per_year.items()], ctx.lang,
                            css="chart-data", caption=ctx.t("chart_numbers"))
        links = {"agreement": lambda r: ctx.link("/money", agreement=r["agreement"]),
                 "institution": lambda r: ctx.link(f"/institutions/{r['institution']}")}
        query = ctx.keep()
        exports = (f'<p class="exports no-print">{h(ctx.t("export"))}: '
                   f'<a href="{PREFIX}/export/positions.csv{h(query)}">CSV</a> · '
                   f'<a href="{PREFIX}/export/positions.xlsx{h(query)}">xlsx</a></p>')
        body = (f'<section aria-labelledby="h-chart"><h2 id="h-chart">{h(ctx.t("chart"))}</h2>'
                f'<div id="positions-chart" class="chart" role="img" '
                f'aria-label="{h(ctx.t("chart"))}"></div>'
                f'<script type="application/json" id="chart-data">{data}</script>'
                + chart_table + '</section>'
                f'<section aria-labelledby="h-positions"><h2 id="h-positions">'
                f'{h(ctx.t("positions"))}</h2>{exports}'
                + table(views.POSITIONS, rows, ctx.lang, links=links, css="positions")
                + f'<h3>{h(ctx.t("per_agency"))}</h3>'
                + table(views.AGENCY_POSITIONS, found["agencies"], ctx.lang, css="agencies")
                + f'<h3>{h(ctx.t("fund_total"))}</h3>'
                + table(views.AGENCY_POSITIONS, [{**found["fund"], "agency": ctx.t("fund")}],
                        ctx.lang, css="fund") + '</section>')
        if agreement:
            body += await _claims(ctx, request, agreement)
        return layout(ctx, ctx.t("money_title") + (f" · {agreement}" if agreement else ""),
                      body, scripts=["echarts.min.js", "chart.js"])
    return await show(request, build)


async def _claims(ctx: Ctx, request: Request, agreement: str) -> str:
    from domain.policies.access import check_read
    service = request.app.state.service
    agency = await run_in_threadpool(service.ledger.agency_of, "agreement", agreement)
    check_read(ctx.who, "agreement", agreement, agency)
    position = await run_in_threadpool(reads.position_at, service, _instant(ctx))
    claims = await run_in_threadpool(reads.claims_of, service, agreement, position,
                                     ctx.day() if ctx.as_of else None)
    rows = [claim_row(ctx, c) for c in claims]
    return (f'<section aria-labelledby="h-claims"><h2 id="h-claims">'
            f'{h(ctx.t("claims_of", agreement=agreement))}</h2>'
            + table(views.CLAIMS, rows, ctx.lang, css="claims") + '</section>')


def claim_row(ctx: Ctx, c: dict[str, Any]) -> dict[str, Any]:
    sample = c.get("sample") or {}
    batches = c.get("batches") or []
    batch_text = "; ".join(
        ctx.t("batch_line", batch=b["batch"], approved=yuan(b.get("approved", 0)),
              paid=yuan(b.get("paid") or 0), on=b.get("paid_on") or "—",
              ref=b.get("ref") or "—") for b in batches)
    return {**c, "refused_total": sum((c.get("refused") or {}).values()),
            "sample_items": ", ".join(sample.get("items", [])), "batch_text": batch_text}


@router.get("/export/positions.{fmt}")
async def export_positions(request: Request, fmt: str, as_of: Optional[str] = Text(10),
                           known_at: Optional[str] = Text(40), agency: Optional[str] = Text(16),
                           agreement: Optional[str] = Text(64)) -> Any:
    async def build(ctx: Ctx) -> Any:
        found = await ask(questions.positions, request, as_of=ctx.as_of, known_at=ctx.known_at,
                          agency=agency, agreement=agreement)
        return download(ctx, fmt, found["positions"], views.POSITIONS, "positions",
                        question="positions")
    return await show(request, build)


# --- reconciliation ------------------------------------------------------------------------------
FINDING_KINDS = ("matched", "amount difference", "payee difference", "duplicate",
                 "on the statement only", "credit on the statement only", "in the ledger only",
                 "malformed line")


@router.get("/reconcile")
async def reconcile_page(request: Request) -> Any:
    async def build(ctx: Ctx) -> Any:
        words = {"columns": [c.title(ctx.lang) for c in views.FINDINGS],
                 "keys": [c.key for c in views.FINDINGS],
                 "kinds": [c.kind for c in views.FINDINGS],
                 "findings": {k: ctx.word("finding", k) for k in FINDING_KINDS},
                 "directions": {d: ctx.word("direction", d) for d in ("debit", "credit")},
                 "summary": {k: ctx.t(f"summary_{k}") for k in (
                     "matched", "amount_differences", "payee_differences", "duplicates",
                     "unmatched_statement", "unmatched_credits", "unmatched_ledger",
                     "malformed")},
                 "encoding": ctx.t("encoding"), "refused": ctx.t("refused"),
                 "reason": ctx.t("reason"), "remedy": ctx.t("remedy")}
        data = json.dumps(words, ensure_ascii=False).replace("</", "<\\/")
        body = (f'<form id="reconcile-form" class="upload no-print">'
                f'<label>{h(ctx.t("statement_file"))} <input type="file" id="statement" '
                f'name="statement" accept=".csv,.tsv,.txt,.xlsx" required></label>'
                f'<label>{h(ctx.t("window_days"))} <input type="number" id="window" min="0" '
                f'max="31" value="3"></label>'
                f'<button type="submit" id="reconcile-go">{h(ctx.t("reconcile"))}</button>'
                f'<button type="button" id="findings-xlsx" disabled>'
                f'{h(ctx.t("download_xlsx"))}</button></form>'
                f'<p class="hint no-print">{h(ctx.t("reconcile_hint"))}</p>'
                f'<div id="reconcile-result" aria-live="polite"></div>'
                f'<script type="application/json" id="reconcile-words">{data}</script>')
        return layout(ctx, ctx.t("nav_reconcile"), body, scripts=["reconcile.js"],
                      time_bar=False)
    return await show(request, build)


@router.post("/reconcile/findings.xlsx")
async def findings_xlsx(request: Request, window: int = Query(3, ge=0, le=31)) -> Any:
    """The statement's findings as xlsx: the same statement reconciled by the
    API's own function (its import is recorded once, by content)."""
    async def build(ctx: Ctx) -> Any:
        found = await ask(reconcile_api.reconcile, request, window=window)
        rows = [{**r, "line": str(r["line"])} for r in found["findings"]]
        return download(ctx, "xlsx", rows, views.FINDINGS, "reconciliation",
                        question="reconcile")
    return await show(request, build)


# --- proof ---------------------------------------------------------------------------------------
@router.get("/proof")
async def proof(request: Request, kind: Optional[str] = Text(16),
                key: Optional[str] = Text(64)) -> Any:
    async def build(ctx: Ctx) -> Any:
        kinds = "".join(f'<option value="{k}"{" selected" if k == kind else ""}>'
                        f'{h(label("column." + k, ctx.lang))}</option>'
                        for k in ("institution", "agreement", "person"))
        export = (f'<section><h2>{h(ctx.t("export_case"))}</h2>'
                  f'<form method="get" id="case-form" action="{PREFIX}/proof/casefile">'
                  f'<label>{h(label("column.subject", ctx.lang))} <select name="kind">{kinds}'
                  f'</select></label> <label>{h(ctx.t("code"))} <input name="key" required '
                  f'maxlength="64" value="{h(key or "")}"></label> <button type="submit">'
                  f'{h(ctx.t("download"))}</button></form></section>')
        check = (f'<section><h2>{h(ctx.t("check_proof"))}</h2><form id="verify-form">'
                 f'<label>{h(ctx.t("proof_file"))} <input type="file" id="proof-file" '
                 f'accept=".json" required></label><label>{h(ctx.t("public_key"))} '
                 f'<textarea id="public-key" rows="4" cols="70" required></textarea></label>'
                 f'<button type="submit" id="verify-go">{h(ctx.t("check"))}</button></form>'
                 f'<div id="verify-result" aria-live="polite" data-ok="{h(ctx.t("proof_ok"))}"'
                 f' data-bad="{h(ctx.t("proof_bad"))}"></div></section>')
        return layout(ctx, ctx.t("nav_proof"), export + check, scripts=["proof.js"],
                      time_bar=False)
    return await show(request, build)


@router.get("/proof/casefile")
async def casefile_query(request: Request, kind: str = Query(..., max_length=16),
                         key: str = Query(..., max_length=64)) -> Any:
    return await casefile(request, kind, key)


@router.get("/proof/casefile/{kind}/{key}")
async def casefile(request: Request, kind: str, key: str) -> Any:
    async def build(ctx: Ctx) -> Any:
        case = await ask(questions.casefile, request, kind=kind, key=key)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)[:64]
        from adapters.casefile import serialise
        return Response(serialise(case), media_type="application/json", headers={
                            "Content-Disposition": f'attachment; filename="case-{kind}-{safe}.json"'})
    return await show(request, build)


@router.post("/proof/check")
async def check_proof(request: Request) -> Any:
    """A case file or checkpoint checked against a PEM public key, as
    ``ledger verify-case`` / ``verify-checkpoint`` check it."""
    async def build(ctx: Ctx) -> Any:
        body = await request.body()
        from adapters.console.proof import check_document
        try:
            given = json.loads(body)
            text, pem = str(given["document"]), str(given["public_key"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"ok": False, "message": ctx.t("proof_unreadable")},
                                status_code=400)
        ok, message = await run_in_threadpool(check_document, request.app.state.service.ledger,
                                              text, pem, ctx.lang)
        return JSONResponse({"ok": ok, "message": message})
    return await show(request, build)
