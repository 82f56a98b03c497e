"""Supervision in the console (SUP; issue #19 point 4): open cases with their
deadlines and the screening alerts by rule and agency on one page, an
institution's leads and cases, a draw with its proof, each list as CSV or
xlsx. The pages answer from the API's supervision routes
(adapters/http/supervision.py), so they scope and redact as it does
(SUP-02, SUP-03); the time machine's business date is the cases' day, its
"as known at" is the instant the open cases and an institution's leads and
cases are read as known at (the supervision read model), and it re-runs the
screening rules on the log as it stood then (nothing recorded). A draw's
proof is the log as it now is."""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from adapters.console import views
from adapters.console.page import PREFIX, Ctx, ask, facts, h, layout, show, table
from adapters.console.subjects import download
from adapters.http import supervision as api
from adapters.labels import label
from adapters.tables import instant_text

router = APIRouter(prefix=PREFIX + "/supervision", include_in_schema=False)
HOME = "/supervision"


def Text(n: int = 64) -> Any:
    return Query(None, max_length=n)


def _exports(ctx: Ctx, what: str, anchor: str, **params: Any) -> str:
    query = ctx.keep(**params)
    return (f'<p class="exports no-print">{h(ctx.t("export"))}: '
            f'<a href="{PREFIX}{HOME}/export/{what}.csv{h(query)}" id="{anchor}-csv">CSV</a> · '
            f'<a href="{PREFIX}{HOME}/export/{what}.xlsx{h(query)}" id="{anchor}-xlsx">xlsx</a>'
            f'</p>')


def _section(anchor: str, title: str, body: str) -> str:
    return (f'<section aria-labelledby="h-{anchor}"><h2 id="h-{anchor}">{h(title)}</h2>'
            f'{body}</section>')


def _lookup(ctx: Ctx) -> str:
    """Forms that open an institution's leads and cases, or a draw's proof."""
    def form(action: str, name: str, key: str, field: str) -> str:
        return (f'<form method="get" class="search no-print" action="{PREFIX}{HOME}/{action}">'
                f'<label>{h(ctx.t(key))} <input name="{name}" id="{field}" maxlength="64" '
                f'required></label><button type="submit" id="{field}-go">'
                f'{h(ctx.t("sup_find"))}</button></form>')
    return form("find", "code", "sup_institution_code", "sup-code") + \
        form("find", "number", "sup_draw_number", "sup-draw")


@router.get("/find")
async def find(code: Optional[str] = Text(), number: Optional[str] = Text()) -> Any:
    """The lookup forms' answer: the institution's page, or the draw's."""
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse
    if code and code.strip():
        path = f"/institutions/{quote(code.strip(), safe='')}"
    elif number and number.strip():
        path = f"/draws/{quote(number.strip(), safe='')}"
    else:
        path = ""
    return RedirectResponse(f"{PREFIX}{HOME}{path}", status_code=303)


# --- the page: open cases and alerts ----------------------------------------------------------
async def _cases(request: Request, ctx: Ctx) -> list[dict[str, Any]]:
    found = await ask(api.cases, request, on=ctx.day().isoformat(), known_at=ctx.known_at)
    return views.case_rows(found["rows"])


async def _alerts(request: Request, ctx: Ctx) -> tuple[Any, list[dict[str, Any]]]:
    """The columns and rows: alerts recorded, or re-run as known at the time machine's instant."""
    found = await ask(api.alerts, request, known_at=ctx.known_at)
    if ctx.known_at:
        return views.SUP_ALERTS, views.alert_rows(found["alerts"])
    return views.SUP_ALERT_COUNTS, found["rows"]


@router.get("")
async def overview(request: Request, as_of: Optional[str] = Text(10),
                   known_at: Optional[str] = Text(40)) -> Any:

    async def build(ctx: Ctx) -> Any:
        cases = await _cases(request, ctx)
        columns, alerts = await _alerts(request, ctx)
        inst = {"institution": lambda r: ctx.link(f"{HOME}/institutions/{r['institution']}")}
        now_only = f'<p class="note">{h(ctx.t("sup_as_known_at"))}</p>' if ctx.known_at \
            else ""
        alerts_title = ctx.t("sup_alerts_rerun", instant=instant_text(ctx.known_at)) \
            if ctx.known_at \
            else ctx.t("sup_alerts")
        body = (_lookup(ctx)
                + _section("sup-cases", ctx.t("sup_open_cases", day=ctx.day().isoformat()),
                           now_only + _exports(ctx, "cases", "cases-export")
                           + table(views.SUP_CASES, cases, ctx.lang, links=inst,
                                   css="sup-cases"))
                + _section("sup-alerts", alerts_title, _exports(ctx, "alerts", "alerts-export")
                           + table(columns, alerts, ctx.lang, links=inst, css="sup-alerts")))
        return layout(ctx, ctx.t("sup_title"), body)
    return await show(request, build)


# --- an institution's leads and cases ---------------------------------------------------------
async def _institution(request: Request, ctx: Ctx, code: str) -> dict[str, Any]:
    return await ask(api.institution, request, code=code, on=ctx.day().isoformat(),
                     known_at=ctx.known_at)


@router.get("/institutions/{code}")
async def institution(request: Request, code: str, as_of: Optional[str] = Text(10),
                      known_at: Optional[str] = Text(40)) -> Any:

    async def build(ctx: Ctx) -> Any:
        found = await _institution(request, ctx, code)
        leads = views.lead_rows(found["leads"], ctx.lang)
        cases = views.institution_case_rows(found["cases"])
        body = (facts([(label("column.institution", ctx.lang), code),
                       (label("column.agency", ctx.lang), found["agency"])])
                + f'<p class="no-print"><a href="{h(ctx.link("/institutions/" + code))}">'
                f'{h(ctx.t("to_institution"))}</a></p>'
                + _section("sup-leads", ctx.t("sup_leads"),
                           f'<p class="note">{h(ctx.t("sup_redacted_note"))}</p>'
                           + _exports(ctx, "leads", "leads-export", code=code)
                           + table(views.SUP_LEADS, leads, ctx.lang, css="sup-leads"))
                + _section("sup-inst-cases", ctx.t("sup_cases"),
                           _exports(ctx, "institution-cases", "inst-cases-export", code=code)
                           + table(views.SUP_INSTITUTION_CASES, cases, ctx.lang,
                                   css="sup-inst-cases")))
        return layout(ctx, ctx.t("sup_institution_title", code=code), body)
    return await show(request, build)


# --- a draw and its proof ---------------------------------------------------------------------
@router.get("/draws/{number}")
async def draw(request: Request, number: str) -> Any:

    async def build(ctx: Ctx) -> Any:
        proof = await ask(api.draw_proof, request, number=number)
        seed = proof["seed"]
        pool = "".join(
            f'<li><code>{h(e["expert"])}</code>'
            + (f' ({h(ctx.t("sup_conflicts", codes=", ".join(e["conflicts"])))})'
               if e["conflicts"] else "") + '</li>' for e in proof["pool"])
        checks = "".join(
            f'<li class="{"ok" if ok else "failed"}" data-check="{h(name)}">'
            f'{"✓" if ok else "✗"} {h(ctx.word("draw_check", name))}</li>'
            for name, ok in proof["checks"].items())
        verdict = ctx.t("sup_ok") if proof["ok"] else ctx.t("sup_failed")
        body = (f'<p class="{"ok" if proof["ok"] else "refusal"}" id="draw-verdict" '
                f'data-ok="{str(proof["ok"]).lower()}">{h(verdict)}</p>'
                + facts([(label("column.agency", ctx.lang), proof["agency"]),
                         (ctx.t("sup_drawn_on"), proof["drawn_on"]),
                         (label("column.recorded_at", ctx.lang),
                          instant_text(proof["recorded_at"])),
                         (ctx.t("sup_seed"), ctx.t("sup_seed_text", head=seed["head"],
                                                   position=seed["position"],
                                                   instant=instant_text(seed["instant"])))])
                + _section("draw-result", ctx.t("sup_result"),
                           _exports(ctx, "draw", "draw-export", number=number)
                           + table(views.SUP_DRAW, views.draw_rows(proof), ctx.lang, links={
                               "institution": lambda r: ctx.link(
                                   f"{HOME}/institutions/{r['institution']}")},
                               css="draw-result"))
                + _section("draw-checks", ctx.t("sup_checks"),
                           f'<ul class="checks" id="draw-checks">{checks}</ul>')
                + _section("draw-population", ctx.t("sup_population",
                                                    n=len(proof["population"])),
                           '<p class="population">' + h(", ".join(proof["population"]))
                           + '</p>')
                + _section("draw-pool", ctx.t("sup_pool", n=len(proof["pool"])),
                           f'<ul class="pool">{pool}</ul>'))
        return layout(ctx, ctx.t("sup_draw_title", number=number), body, time_bar=False)
    return await show(request, build)


# --- exports ----------------------------------------------------------------------------------
@router.get("/export/{what}.{fmt}")
async def export(request: Request, what: str, fmt: str, code: Optional[str] = Text(),
                 number: Optional[str] = Text(), as_of: Optional[str] = Text(10),
                 known_at: Optional[str] = Text(40)) -> Any:

    async def build(ctx: Ctx) -> Any:
        from domain.errors import InvalidCommand
        if what == "cases":
            rows, columns = await _cases(request, ctx), views.SUP_CASES
            question = f"supervision cases --on {ctx.day().isoformat()}"
        elif what == "alerts":
            columns, rows = await _alerts(request, ctx)
            question = "supervision alerts" + (f" --known-at {ctx.known_at}"
                                               if ctx.known_at else "")
        elif what in ("leads", "institution-cases") and code:
            found = await _institution(request, ctx, code)
            rows, columns = (views.lead_rows(found["leads"], ctx.lang), views.SUP_LEADS) \
                if what == "leads" else \
                (views.institution_case_rows(found["cases"]), views.SUP_INSTITUTION_CASES)
            question = f"supervision institution {code} --on {ctx.day().isoformat()}"
        elif what == "draw" and number:
            proof = await ask(api.draw_proof, request, number=number)
            rows, columns = views.draw_rows(proof), views.SUP_DRAW
            question = f"supervision proof {number}"
        else:
            raise InvalidCommand("an export is of cases, alerts, leads or institution-cases "
                                 "(with code) or draw (with number)", field="what")
        name = "-".join(x for x in ("supervision", what, code or number or "") if x)
        # a lead's allegation is someone's words: exports.plain keeps it text
        return download(ctx, fmt, rows, columns, name, question=question)
    return await show(request, build)
