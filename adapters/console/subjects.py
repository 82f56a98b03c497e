"""The institution, agreement and person pages: facts, people and sister
institutions (a small graph), applications with their score sheets,
agreements with their status over time, the investigator's timeline with
filters (dates, event type, user, role), and each list as CSV or xlsx."""
from __future__ import annotations

import json
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from adapters.console import reads, views
from adapters.console.page import (PREFIX, Ctx, ask, facts, h, layout, show, table)
from adapters.http import questions
from adapters.labels import label

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def Text(n: int = 64) -> Any:
    return Query(None, max_length=n)


# --- the investigator's timeline -------------------------------------------------------------
FILTERS = ("from", "to", "type", "user", "role")


async def timeline_rows(request: Request, kind: str, key: str, f: dict[str, str], *,
                        every: bool = False) -> dict[str, Any]:
    """The history API's answer: the page the URL's offset names (every row
    for a download), with its total and the next page's offset."""
    found = await ask(questions.history, request, **{kind: key},
                      date_from=f.get("from") or None, date_to=f.get("to") or None,
                      type=[f["type"]] if f.get("type") else [],
                      user=[f["user"]] if f.get("user") else [],
                      role=[f["role"]] if f.get("role") else [],
                      limit="0" if every else None, offset=None if every else f.get("offset"))
    return found


def timeline_section(ctx: Ctx, kind: str, key: str, found: dict[str, Any],
                     f: dict[str, str]) -> str:
    from adapters.console.home import _event_links
    from adapters.timeline import RULES
    from domain.base import ROLES
    types = sorted({k.split(".")[0] for k in RULES}) + sorted(RULES)
    type_options = "".join(f'<option value="{h(x)}"{" selected" if f.get("type") == x else ""}>'
                           f'{h(ctx.word("event", x))}</option>' for x in types)
    role_options = "".join(f'<option value="{h(r)}"{" selected" if f.get("role") == r else ""}>'
                           f'{h(ctx.word("role", r))}</option>' for r in ROLES)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{h(v)}">'
                     for k, v in (("as_of", ctx.as_of), ("known_at", ctx.known_at)) if v)
    form = (f'<form method="get" class="filters no-print" aria-label="{h(ctx.t("filters"))}">'
            f'{hidden}<label>{h(label("column.from", ctx.lang))} <input type="date" '
            f'name="from" value="{h(f.get("from", ""))}"></label>'
            f'<label>{h(label("column.until", ctx.lang))} <input type="date" name="to" '
            f'value="{h(f.get("to", ""))}"></label>'
            f'<label>{h(label("column.type", ctx.lang))} <select name="type" id="f-type">'
            f'<option value="">{h(ctx.t("any"))}</option>{type_options}</select></label>'
            f'<label>{h(label("column.actor", ctx.lang))} <input name="user" maxlength="64" '
            f'value="{h(f.get("user", ""))}"></label>'
            f'<label>{h(label("column.role", ctx.lang))} <select name="role">'
            f'<option value="">{h(ctx.t("any"))}</option>{role_options}</select></label>'
            f'<button type="submit" id="filter-go">{h(ctx.t("filter"))}</button></form>')
    query = ctx.keep(**{k: f.get(k) for k in FILTERS}, kind=kind, key=key, offset=None)
    exports = (f'<p class="exports no-print">{h(ctx.t("export"))}: '
               f'<a href="{PREFIX}/export/timeline.csv{h(query)}" id="export-csv">CSV</a> · '
               f'<a href="{PREFIX}/export/timeline.xlsx{h(query)}" id="export-xlsx">xlsx</a>'
               f' · <a href="{PREFIX}/proof/casefile/{h(kind)}/{h(key)}">'
               f'{h(ctx.t("case_file"))}</a></p>')
    rows = found["rows"]
    return (f'<section aria-labelledby="h-timeline"><h2 id="h-timeline">'
            f'{h(ctx.t("timeline"))} ({found.get("total", len(rows))})</h2>{form}{exports}'
            + table(views.TIMELINE, rows, ctx.lang, links=_event_links(ctx), css="timeline")
            + pager(ctx, found) + '</section>')


def pager(ctx: Ctx, found: dict[str, Any]) -> str:
    """Which rows of how many the table shows, and links to the pages
    before and after (the page's own URL, its offset moved)."""
    from adapters.paging import Window
    rows, total = found["rows"], found.get("total", len(found["rows"]))
    window = Window(found.get("offset") or 0, found.get("limit"), total, len(rows))
    if window.limit is None or (window.offset == 0 and window.next_offset is None):
        return ""
    links = []
    for rel, offset in (("prev", window.previous_offset), ("next", window.next_offset)):
        if offset is not None:   # the first page's link drops the offset
            words = label("paging.previous" if rel == "prev" else "paging.next", ctx.lang)
            href = ctx.keep(offset=offset or None)
            links.append(f'<a rel="{rel}" id="page-{rel}" href="{h(href)}">{h(words)}</a>')
    shown = (label("paging.range", ctx.lang, first=window.offset + 1,
                   last=window.offset + window.shown, total=total) if rows else
             label("paging.past_end", ctx.lang, offset=window.offset, total=total))
    return (f'<nav class="pager no-print" aria-label="{h(label("paging.pages", ctx.lang))}">'
            f'<span class="page-range">{h(shown)}</span> {" · ".join(links)}</nav>')


def timeline_filters(date_from: Optional[str] = Query(None, alias="from", max_length=10),
                     to: Optional[str] = Text(10), type: Optional[str] = Text(80),
                     user: Optional[str] = Text(), role: Optional[str] = Text(32),
                     offset: Optional[str] = Text(12)) -> dict[str, str]:
    """The timeline's filters and page from the URL (a dependency of each
    page that shows one)."""
    given = {"from": date_from, "to": to, "type": type, "user": user, "role": role,
             "offset": offset}
    return {k: v for k, v in given.items() if v}


# --- an institution -----------------------------------------------------------------------------
@router.get("/institutions/{code}")
async def institution(request: Request, code: str, as_of: Optional[str] = Text(10),
                      known_at: Optional[str] = Text(40),
                      f: dict[str, str] = Depends(timeline_filters)) -> Any:

    async def build(ctx: Ctx) -> Any:
        ctx.params = dict(f)
        found = await ask(questions.institution, request, code=code, as_of=ctx.as_of,
                          known_at=ctx.known_at)
        inst = found["institution"]
        service = request.app.state.service
        position = await run_in_threadpool(reads.position_at, service, _instant(ctx))
        graph = await run_in_threadpool(reads.sisters, service, inst.get("people", []), code,
                                        position)
        apps = []
        for a in found["applications"]:
            one = await ask(questions.application, request, number=a["number"],
                            as_of=ctx.as_of, known_at=ctx.known_at)
            apps.append(one)
        answer = await ask(questions.status, request, on=ctx.day().isoformat(),
                           institution=code, known_at=ctx.known_at)
        statuses = {r["agreement"]: r for r in answer["rows"]}
        agreements = [{**a, **({"status": statuses[a["agreement"]]["status"],
                                "why": statuses[a["agreement"]]["why"]}
                               if a["agreement"] in statuses else {})}
                      for a in found["agreements"]]
        people = [{**p, "name": next((x["name"] for x in graph["persons"]
                                      if x["id"] == p["person_id"]), "")}
                  for p in inst.get("people", [])]
        history = await timeline_rows(request, "institution", code, f)
        body = (_institution_facts(ctx, inst)
                + f'<p class="no-print"><a id="to-supervision" href="'
                f'{h(ctx.link("/supervision/institutions/" + code))}">'
                f'{h(ctx.t("sup_of_institution"))}</a></p>'
                + f'<section aria-labelledby="h-people"><h2 id="h-people">{h(ctx.t("people"))}'
                f'</h2>' + table(views.PEOPLE, people, ctx.lang, links={
                    "person_id": lambda r: ctx.link(f"/persons/{r['person_id']}")})
                + _graph(ctx, graph, code) + '</section>'
                + f'<section aria-labelledby="h-agreements"><h2 id="h-agreements">'
                f'{h(ctx.t("agreements"))}</h2>'
                + table(views.AGREEMENTS, agreements, ctx.lang, css="agreements", links={
                    "agreement": lambda r: ctx.link(f"/agreements/{r['agreement']}")})
                + '</section>' + _applications(ctx, apps)
                + timeline_section(ctx, "institution", code, history, f))
        return layout(ctx, f'{inst["name"]} ({code})', body, scripts=["echarts.min.js",
                                                                       "graph.js"])
    return await show(request, build)


def _instant(ctx: Ctx) -> Any:
    from datetime import datetime
    return datetime.fromisoformat(ctx.known_at) if ctx.known_at else None


def _institution_facts(ctx: Ctx, inst: dict[str, Any]) -> str:
    f = inst.get("facts") or {}
    staff = f.get("staff") or {}
    pairs = [(label("column.institution", ctx.lang), inst["code"]),
             (label("column.name", ctx.lang), inst["name"]),
             (label("column.agency", ctx.lang), inst["agency"]),
             (ctx.t("kind"), ctx.word("kind", inst.get("kind"))),
             (ctx.t("level"), f.get("level", "")), (ctx.t("beds"), f.get("beds", "")),
             (ctx.t("licence"), f.get("licence_no", "")),
             (ctx.t("business_started"), f.get("business_started_on", "")),
             (ctx.t("staff"), ", ".join(f"{ctx.word('staff', k)} {v}"
                                        for k, v in staff.items() if v))]
    bars = inst.get("bar_facts") or []
    body = facts(pairs)
    if bars:
        body += (f'<h2>{h(ctx.t("bar_facts"))}</h2><ul class="bar-facts">' +
                 "".join(f'<li>{h(b.get("ground"))} · {h(b.get("occurred_on"))} · '
                         f'{h(b.get("note", ""))}</li>' for b in bars) + '</ul>')
    return body


def _graph(ctx: Ctx, graph: dict[str, Any], code: str) -> str:
    """The people and the institutions they link (ECharts draws it; the list
    beneath says the same for print and screen readers)."""
    data = json.dumps({**graph, "self": code, "roles": {
        r: ctx.word("person_role", r) for r in {x["role"] for x in graph["links"]} if r}},
        ensure_ascii=False).replace("</", "<\\/")
    sisters = [i for i in graph["institutions"] if i["code"] != code]
    items = "".join(f'<li><a href="{h(ctx.link("/institutions/" + i["code"]))}">'
                    f'{h(i["code"])}</a> {h(i["name"])}</li>' for i in sisters)
    return (f'<h3>{h(ctx.t("sisters"))}</h3>'
            f'<div id="sister-graph" class="chart graph" role="img" '
            f'aria-label="{h(ctx.t("sisters"))}"></div>'
            f'<script type="application/json" id="graph-data">{data}</script>'
            f'<ul class="sisters">{items or "<li>" + h(ctx.t("no_sisters")) + "</li>"}</ul>')


def _applications(ctx: Ctx, apps: list[dict[str, Any]]) -> str:
    parts = [f'<section aria-labelledby="h-apps"><h2 id="h-apps">{h(ctx.t("applications"))}'
             f'</h2>']
    rows = [{**a["application"], "evaluation_list": ", ".join(a["application"]["evaluations"])}
            for a in apps]
    parts.append(table(views.APPLICATIONS, rows, ctx.lang))
    for a in apps:
        for ev in a["evaluations"]:
            parts.append(_score_sheet(ctx, ev))
    parts.append('</section>')
    return "".join(parts)


def _score_sheet(ctx: Ctx, ev: dict[str, Any]) -> str:
    sheet = ev.get("sheet") or {}
    result = ev.get("result") or {}
    points = sheet.get("item_points") or {}
    deductions = sheet.get("deductions") or {}
    rows = "".join(
        f'<tr><td class="k-code">{h(item)}</td><td class="k-int">{h(p)}</td>'
        f'<td>{h("; ".join(f"-{d[0]} {d[1]}" for d in deductions.get(item, [])))}</td></tr>'
        for item, p in points.items())
    verdict = ""
    if result:
        verdict = ctx.t("passed" if result.get("passed") else "failed",
                        total=result.get("total", ""))
    return (f'<details class="score-sheet" open><summary>{h(ctx.t("score_sheet"))} '
            f'{h(ev["number"])} · {h(ev.get("form_id", ""))} · {h(verdict)}</summary>'
            f'<table class="data"><thead><tr><th>{h(ctx.t("item"))}</th>'
            f'<th class="k-int">{h(ctx.t("points"))}</th><th>{h(ctx.t("deductions"))}</th>'
            f'</tr></thead><tbody>{rows}</tbody><tfoot><tr><th>{h(ctx.t("total"))}</th>'
            f'<td class="k-int">{h(sheet.get("total", ""))}</td><td>'
            f'{h("; ".join(result.get("reasons") or []))}</td></tr></tfoot></table>'
            f'</details>')


# --- an agreement --------------------------------------------------------------------------------
@router.get("/agreements/{number}")
async def agreement(request: Request, number: str, as_of: Optional[str] = Text(10),
                    known_at: Optional[str] = Text(40),
                    f: dict[str, str] = Depends(timeline_filters)) -> Any:

    async def build(ctx: Ctx) -> Any:
        ctx.params = dict(f)
        day = ctx.day().isoformat()
        found = await ask(questions.agreement_status, request, number=number, on=day,
                          known_at=ctx.known_at)
        row = found["rows"][0] if found["rows"] else {}
        service = request.app.state.service
        position = await run_in_threadpool(reads.position_at, service, _instant(ctx))
        periods = await run_in_threadpool(reads.status_periods, service, number, position)
        money = await ask(questions.positions, request, agreement=number, as_of=ctx.as_of,
                          known_at=ctx.known_at)
        history = await timeline_rows(request, "agreement", number, f)
        status_word = ctx.word("status", row.get("status")) if row else ctx.t("not_yet")
        head = (f'<p class="status-now" id="status-now" data-status="{h(row.get("status", ""))}">'
                f'{h(ctx.t("status_on", day=day))}: <strong>{h(status_word)}</strong>'
                f'{(" — " + h(row.get("why"))) if row.get("why") else ""}</p>'
                + facts([(label("column.institution", ctx.lang), row.get("institution", "")),
                         (label("column.agency", ctx.lang), row.get("agency", "")),
                         (label("column.since", ctx.lang), row.get("valid_from", ""))]))
        inst = row.get("institution")
        links = ('<p class="no-print">'
                 + (f'<a href="{h(ctx.link("/institutions/" + inst))}">{h(ctx.t("to_institution"))}'
                    f'</a> · ' if inst else "")
                 + f'<a href="{h(ctx.link("/money", agreement=number))}">{h(ctx.t("nav_money"))}'
                 f'</a> · <a href="{PREFIX}/commands?agreement={h(number)}">'
                 f'{h(ctx.t("give_command"))}</a></p>')
        body = (head + links + _periods(ctx, periods)
                + f'<section><h2>{h(ctx.t("positions"))}</h2>'
                + table(views.POSITIONS, money["positions"], ctx.lang, css="positions")
                + '</section>' + timeline_section(ctx, "agreement", number, history, f))
        return layout(ctx, ctx.t("agreement_title", number=number), body,
                      scripts=["timeline.js"])
    return await show(request, build)


def _periods(ctx: Ctx, periods: list[dict[str, Any]]) -> str:
    """The status over business time: a bar per period (sized by script from
    its days) above the same periods as a table."""
    bars = "".join(
        f'<li class="period s-{h(str(p["status"]).split(" ")[0])}" '
        f'data-from="{h(p["valid_from"])}" data-to="{h(p["valid_to"] or "")}" '
        f'title="{h(p["why"])}"><span>{h(ctx.word("status", p["status"]))}</span>'
        f'<small>{h(p["valid_from"])}</small></li>' for p in periods)
    return (f'<section aria-labelledby="h-periods"><h2 id="h-periods">'
            f'{h(ctx.t("status_over_time"))}</h2><ol class="status-line" id="status-line">'
            f'{bars}</ol>' + table(views.PERIODS, periods, ctx.lang, css="periods")
            + '</section>')


# --- a person ----------------------------------------------------------------------------------
@router.get("/persons/{person}")
async def person(request: Request, person: str,
                 f: dict[str, str] = Depends(timeline_filters)) -> Any:

    async def build(ctx: Ctx) -> Any:
        ctx.params = dict(f)
        history = await timeline_rows(request, "person", person, f)
        linked = history.get("linked_institutions") or {}
        items = "".join(f'<li><a href="{h(ctx.link("/institutions/" + c))}">{h(c)}</a> '
                        f'{h("、".join(ctx.word("person_role", r) for r in roles))}</li>'
                        for c, roles in linked.items())
        body = (f'<section><h2>{h(ctx.t("linked_institutions"))}</h2><ul>{items}</ul>'
                f'</section>' + timeline_section(ctx, "person", person, history, f))
        return layout(ctx, ctx.t("person_title", person=person), body, time_bar=False)
    return await show(request, build)


# --- exports -------------------------------------------------------------------------------------
@router.get("/export/timeline.{fmt}")
async def export_timeline(request: Request, fmt: str, kind: str = Query(..., max_length=16),
                          key: str = Query(..., max_length=64),
                          f: dict[str, str] = Depends(timeline_filters)) -> Any:

    async def build(ctx: Ctx) -> Any:
        from domain.errors import InvalidCommand
        if kind not in ("institution", "agreement", "person"):
            raise InvalidCommand("kind: institution, agreement or person", field="kind")
        found = await timeline_rows(request, kind, key, f, every=True)
        return download(ctx, fmt, found["rows"], views.TIMELINE, f"timeline-{kind}-{key}",
                        question=f"history --{kind} {key}")
    return await show(request, build)


def download(ctx: Ctx, fmt: str, rows: list[dict[str, Any]], columns: Any, name: str, *,
             question: str) -> Response:
    """Rows as the house CSV (UTF-8 with BOM, CRLF) or xlsx (with what was asked)."""
    import tempfile
    from pathlib import Path
    from adapters.exports import to_csv, write_xlsx
    from domain.errors import InvalidCommand
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:80]
    if fmt == "csv":
        data = to_csv(rows, columns, ctx.lang).encode("utf-8-sig")
        kind = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.xlsx"
            write_xlsx(rows, columns, path, sheet=safe[:31], lang=ctx.lang, about={
                "store": ctx.t("this_console"), "question": question,
                "as_of": ctx.as_of, "known_at": ctx.known_at})
            data = path.read_bytes()
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise InvalidCommand("an export is .csv or .xlsx", field="format")
    return Response(data, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="{safe}.{fmt}"'})
