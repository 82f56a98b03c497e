"""Signing in and out, the language switch, the home page of an agency
(agreements by status, deadlines of the next working days, recent events
followed live, the last verification of the chain), finding an
institution, one event with its command, and "what changed" between two
recording instants."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from adapters.console import reads, views
from adapters.console.page import (CHINA, LANG_COOKIE, PREFIX, STATIC, Ctx, NotSignedIn, ask,
                                   context, facts, h, html_response, lang_of, layout, show,
                                   t, table)
from adapters.http import questions
from adapters.labels import label

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SOON_WORKING_DAYS = 5


def _safe_next(target: Optional[str]) -> str:
    """Only a console path: never another site after signing in."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and \
            "\\" not in target:
        return target
    return PREFIX + "/"


@router.get("/login")
async def login_page(request: Request, next: Optional[str] = Query(None, max_length=1000)
                     ) -> Any:
    lang = lang_of(request)
    other = "en" if lang == "zh" else "zh"
    body = (f'<main id="main" class="login"><h1>{h(t("product", lang))}</h1>'
            f'<form id="login-form" data-next="{h(_safe_next(next))}">'
            f'<label>{h(t("user", lang))} <input name="user" id="user" autocomplete="username" '
            f'required maxlength="64" autofocus></label>'
            f'<label>{h(t("password", lang))} <input name="password" id="password" '
            f'type="password" autocomplete="current-password" required maxlength="256">'
            f'</label><button type="submit" id="sign-in">{h(t("sign_in", lang))}</button>'
            f'<p class="refusal" id="login-error" role="alert" hidden></p></form>'
            f'<p><a href="{PREFIX}/lang/{other}?next={h(PREFIX)}/login" lang="{other}">'
            f'{h(t("switch_lang", lang))}</a></p></main>')
    page = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{h(t("sign_in", lang))} · {h(t("product", lang))}'
            f'</title><link rel="stylesheet" href="{STATIC}/console.css"></head><body '
            f'data-wrong="{h(t("login_failed", lang))}">{body}'
            f'<script src="{STATIC}/console.js"></script></body></html>')
    return html_response(page)


@router.get("/lang/{lang}")
async def switch_language(lang: str, next: Optional[str] = Query(None, max_length=1000)
                          ) -> RedirectResponse:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True, path="/",
                            max_age=365 * 86400)
    return response


# --- home ---------------------------------------------------------------------------------------
@router.get("/")
async def home(request: Request, as_of: Optional[str] = Query(None, max_length=10),
               known_at: Optional[str] = Query(None, max_length=40),
               agency: Optional[str] = Query(None, max_length=16)) -> Any:
    async def build(ctx: Ctx) -> Any:
        from adapters.console.page import refusal_box
        from domain.errors import LedgerError
        ctx.params = {"agency": agency or ""}
        day = ctx.day().isoformat()
        status = await ask(questions.status, request, on=day, known_at=ctx.known_at)
        rows = [r for r in status["rows"] if not agency or r["agency"] == agency]
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        tiles = "".join(f'<li><span class="n">{n}</span> {h(ctx.word("status", s))}</li>'
                        for s, n in sorted(counts.items()))
        soon = await run_in_threadpool(_soon, ctx.day())
        due = await ask(questions.deadlines, request, on=day, known_at=ctx.known_at)
        upcoming = [r for r in due["rows"] if r.get("overdue") or str(r["due"]) <= soon]
        recent = await run_in_threadpool(reads.recent_events, request.app.state.service,
                                         ctx.who)
        try:
            verified = await ask(questions.verification, request)
            check = _verification(ctx, verified)
        except LedgerError as e:
            check = refusal_box(ctx, e)
        agencies = sorted({r["agency"] for r in status["rows"]})
        chooser = ""
        if len(agencies) > 1 or agency:
            options = "".join(f'<option value="{h(a)}"{" selected" if a == agency else ""}>'
                              f'{h(a)}</option>' for a in agencies)
            chooser = (f'<form method="get" class="no-print agency-pick">'
                       f'<input type="hidden" name="as_of" value="{h(ctx.as_of or "")}">'
                       f'<input type="hidden" name="known_at" value="{h(ctx.known_at or "")}">'
                       f'<label>{h(ctx.t("agency"))} <select name="agency" id="agency">'
                       f'<option value="">{h(ctx.t("all_agencies"))}</option>{options}'
                       f'</select></label> <button type="submit">{h(ctx.t("show"))}</button>'
                       f'</form>')
        latest = max((r["notification_id"] for r in recent), default=0)
        links = {"agreement": lambda r: ctx.link(f"/agreements/{r['agreement']}"),
                 "institution": lambda r: ctx.link(f"/institutions/{r['institution']}")}
        body = (chooser +
                f'<section aria-labelledby="h-status"><h2 id="h-status">'
                f'{h(ctx.t("agreements_by_status", day=day))}</h2>'
                f'<ul class="tiles" id="status-tiles">{tiles}</ul>'
                + table(views.STATUS, rows, ctx.lang, links=links, css="status-table") +
                f'</section><section aria-labelledby="h-due"><h2 id="h-due">'
                f'{h(ctx.t("deadlines_soon", n=SOON_WORKING_DAYS, day=soon))}</h2>'
                + table(views.DEADLINES, upcoming, ctx.lang) +
                f'</section><section aria-labelledby="h-recent"><h2 id="h-recent">'
                f'{h(ctx.t("recent_events"))}</h2><p class="no-print hint">'
                f'{h(ctx.t("live_hint"))}</p><div id="recent" data-after="{latest}" '
                f'data-feed="{PREFIX}/events.json">'
                + table(views.EVENTS, recent, ctx.lang, links=_event_links(ctx),
                        css="events") +
                f'</div></section><section aria-labelledby="h-chain"><h2 id="h-chain">'
                f'{h(ctx.t("chain"))}</h2>{check}</section>')
        return layout(ctx, ctx.t("home_title", agency=agency or ctx.who.agency), body,
                      scripts=["live.js"])
    return await show(request, build)


def _soon(day: Any) -> str:
    from domain.calendar import DEFAULT_CALENDAR
    return DEFAULT_CALENDAR.add_working_days(day, SOON_WORKING_DAYS).due.isoformat()


def _verification(ctx: Ctx, report: dict[str, Any]) -> str:
    ok = bool(report.get("ok"))
    checked = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return (f'<p class="{"ok" if ok else "refusal"}" id="chain-state">'
            f'{h(ctx.t("chain_ok" if ok else "chain_bad"))}</p>'
            + facts([(ctx.t("checked_at"), checked),
                     (ctx.t("sealed_checked"), report.get("checked")),
                     (ctx.t("unsealed"), report.get("unsealed")),
                     (ctx.t("position"), report.get("log_position")),
                     (ctx.t("chain_message"), report.get("message", ""))]))


def _event_links(ctx: Ctx) -> dict[str, Any]:
    return {"notification_id": lambda r: f"{PREFIX}/events/{r['notification_id']}",
            "event": lambda r: f"{PREFIX}/events/{r['notification_id']}",
            "subject": lambda r: ctx.link(f"/agreements/{r['agreement']}") if r.get("agreement")
            else (ctx.link(f"/institutions/{r['institution']}") if r.get("institution")
                  else None)}


@router.get("/events.json")
async def events_feed(request: Request, after: int = Query(0, ge=0, le=2**62)) -> Any:
    """The events recorded after ``after`` this user reads, as table rows (the
    home page's live list)."""
    try:
        ctx = await run_in_threadpool(context, request)
    except NotSignedIn:
        return JSONResponse({"error": "NotSignedIn"}, status_code=401)
    rows = await run_in_threadpool(reads.recent_events, request.app.state.service, ctx.who,
                                   after)
    from adapters.tables import cell
    out = []
    for r in rows:
        out.append({"notification_id": r["notification_id"],
                    "href": f"{PREFIX}/events/{r['notification_id']}",
                    "cells": [cell(r.get(c.key), c, ctx.lang) for c in views.EVENTS]})
    return JSONResponse({"rows": out})


# --- finding an institution ------------------------------------------------------------------
@router.get("/search")
async def search(request: Request, q: Optional[str] = Query(None, max_length=64),
                 as_of: Optional[str] = Query(None, max_length=10),
                 known_at: Optional[str] = Query(None, max_length=40)) -> Any:
    async def build(ctx: Ctx) -> Any:
        ctx.params = {"q": q or ""}
        found = await run_in_threadpool(reads.search, request.app.state.service, ctx.who,
                                        q) if q else []
        form = (f'<form method="get" role="search" class="search"><label>'
                f'{h(ctx.t("search_label"))} <input name="q" id="q" value="{h(q or "")}" '
                f'maxlength="64" autofocus></label><button type="submit" id="search-go">'
                f'{h(ctx.t("search"))}</button></form>')
        results = table(views.SEARCH, found, ctx.lang, links={
            "institution": lambda r: ctx.link(f"/institutions/{r['institution']}")},
            css="search-results") if q else ""
        return layout(ctx, ctx.t("nav_search"), form + results, time_bar=False)
    return await show(request, build)


# --- one event and its command ----------------------------------------------------------------
@router.get("/events/{nid}")
async def event_page(request: Request, nid: int) -> Any:
    async def build(ctx: Ctx) -> Any:
        import json
        row = await run_in_threadpool(reads.one_event, request.app.state.service, ctx.who, nid)
        command = row["command"]
        info = facts([(ctx.t("position"), row["notification_id"]),
                      (ctx.t("event_type"), f'{ctx.word("event", row["event"])} ({row["event"]})'),
                      (label("column.recorded_at", ctx.lang), _instant(row["recorded_at"])),
                      (ctx.t("business_date"), row["effective_on"] or ""),
                      (ctx.t("given_by"), f'{row["user"]} · {ctx.word("role", row["role"])}'),
                      (ctx.t("command_id"), row["command_id"]),
                      (ctx.t("document"), row["document"] or "—"),
                      (ctx.t("subject"), row["subject"])])
        cmd = ""
        if command:
            cmd = (f'<h2>{h(ctx.t("the_command"))}: <code>{h(command["name"])}</code></h2>'
                   f'<pre class="result">{h(json.dumps(command["result"], ensure_ascii=False, indent=1, default=str))}</pre>')
        siblings = table(views.EVENTS, row["siblings"], ctx.lang, links=_event_links(ctx),
                         css="siblings")
        body = (info + f'<h2>{h(ctx.t("event_fields"))}</h2><p class="summary">'
                f'{h(row["fields"])}</p>' + cmd +
                f'<h2>{h(ctx.t("same_command"))}</h2>' + siblings)
        return layout(ctx, ctx.t("event_title", n=nid), body, time_bar=False)
    return await show(request, build)


def _instant(value: Any) -> str:
    from adapters.tables import instant_text
    return instant_text(value)


# --- what changed -----------------------------------------------------------------------------
@router.get("/changes")
async def what_changed(request: Request, since: Optional[str] = Query(None, max_length=40),
                       until: Optional[str] = Query(None, max_length=40),
                       on: Optional[str] = Query(None, max_length=10)) -> Any:
    async def build(ctx: Ctx) -> Any:
        from adapters.console.page import known_at_param
        from domain.errors import InvalidCommand
        start, end = known_at_param(since), known_at_param(until)
        day = on or ctx.day().isoformat()
        ctx.params = {"since": since or "", "until": until or "", "on": on or ""}
        form = (f'<form method="get" class="changes-form no-print">'
                f'<label>{h(ctx.t("since"))} <input type="datetime-local" step="1" '
                f'name="since" id="since" value="{h(_local(start))}" required></label>'
                f'<label>{h(ctx.t("until"))} <input type="datetime-local" step="1" '
                f'name="until" id="until" value="{h(_local(end))}"></label>'
                f'<label>{h(ctx.t("for_date"))} <input type="date" name="on" id="on" '
                f'value="{h(day)}"></label><button type="submit" id="changes-go">'
                f'{h(ctx.t("show"))}</button></form>')
        if not start:
            return layout(ctx, ctx.t("nav_changes"), form + f'<p>{h(ctx.t("changes_hint"))}</p>',
                          time_bar=False)
        try:
            since_at = datetime.fromisoformat(start)
            until_at = datetime.fromisoformat(end) if end else None
            on_day = datetime.fromisoformat(day).date()
        except ValueError:
            raise InvalidCommand("since, until: an instant YYYY-MM-DDTHH:MM:SS; on: a date "
                                 "YYYY-MM-DD", field="since") from None
        found = await run_in_threadpool(reads.changes, request.app.state.service, ctx.who,
                                        since_at, until_at, on_day)
        for r in found["events"]:
            change = r.get("changed")
            r["change_text"] = (f'{ctx.word("status", change[0] or "—")} → '
                                f'{ctx.word("status", change[1] or "—")}') if change else ""
        said = ctx.t("changes_said", since=_shown(start), until=_shown(end) if end else
                     ctx.t("now"), day=day)
        body = (form + f'<p class="banner" id="view-banner">{h(said)}</p>'
                f'<h2>{h(ctx.t("answer_changes", day=day))}</h2>'
                + table(views.STATUS_CHANGES, found["status_changes"], ctx.lang,
                        css="status-changes", links={
                            "agreement": lambda r: ctx.link(f"/agreements/{r['agreement']}",
                                                            as_of=day)}) +
                f'<h2>{h(ctx.t("recorded_between"))}</h2>'
                + table(views.CHANGES, found["events"], ctx.lang, links=_event_links(ctx),
                        css="changes"))
        if found["truncated"]:
            body += f'<p class="hint">{h(ctx.t("truncated", n=reads.CHANGES_MAX))}</p>'
        return layout(ctx, ctx.t("nav_changes"), body, time_bar=False)
    return await show(request, build)


def _local(instant: Optional[str]) -> str:
    if not instant:
        return ""
    try:
        return datetime.fromisoformat(instant).astimezone(CHINA).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return ""


def _shown(instant: Optional[str]) -> str:
    return _local(instant).replace("T", " ")


def changes_link(since: str, until: str, on: str) -> str:
    return f"{PREFIX}/changes?" + urlencode({"since": since, "until": until, "on": on})
