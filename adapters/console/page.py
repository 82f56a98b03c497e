"""What every console page shares: who is asking and in which language, the
time machine's two instants read from the URL, and the HTML around a page
(navigation, the banner saying which view is shown, the print header).

Pages are rendered on the server from the same functions the API answers
with, so a page's URL is the whole question (shareable, printable) and the
browser needs script only for the live parts (recent events, charts,
uploads, command forms). Every word comes from the label catalogue
(adapters/data/labels.json, keys ``console.*`` and the shared ``column.*``,
``status.*``, ``money.*``); text from the ledger is escaped where it is put.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape
from typing import Any, Iterable, Optional, Sequence
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from adapters.labels import label, word
from adapters.tables import Column, cell, instant_text

CHINA = timezone(timedelta(hours=8))
LANG_COOKIE = "ledger_lang"
PREFIX = "/console"
STATIC = "/console/static"
# The API's answers forbid everything (adapters/http/hardening.py); a page
# loads its own styles, scripts and images, and talks to its own origin only.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class NotSignedIn(Exception):
    """The page's answer is the sign-in page (no session, or one that ended)."""


def t(key: str, lang: str, **values: Any) -> str:
    """A console word (``console.KEY``) in ``lang``."""
    return label(f"console.{key}", lang, **values)


def h(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


@dataclass
class Ctx:
    """One page's request: who, which language, which view of time."""

    request: Request
    who: Any
    lang: str
    as_of: Optional[str]        # YYYY-MM-DD as given
    known_at: Optional[str]     # an ISO instant with its zone
    csrf: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def word(self, group: str, code: Any) -> str:
        return word(group, code, self.lang)

    def day(self) -> date:
        """The business date asked about: as_of, or today in China."""
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(CHINA).date()

    def keep(self, **changes: Any) -> str:
        """The query string of this view with ``changes`` (None drops a key)."""
        query = {k: v for k, v in {"as_of": self.as_of, "known_at": self.known_at,
                                   **self.params}.items() if v}
        for k, v in changes.items():
            if v is None or v == "":
                query.pop(k, None)
            else:
                query[k] = str(v)
        return ("?" + urlencode(query)) if query else ""

    def link(self, path: str, **changes: Any) -> str:
        """A console path keeping the time machine (and nothing else of this page)."""
        query = {k: v for k, v in (("as_of", self.as_of), ("known_at", self.known_at)) if v}
        query.update({k: str(v) for k, v in changes.items() if v not in (None, "")})
        return f"{PREFIX}{path}" + (("?" + urlencode(query)) if query else "")


def known_at_param(text: Optional[str]) -> Optional[str]:
    """An instant from the URL: the form's ``YYYY-MM-DDTHH:MM[:SS]`` is China time."""
    if not text:
        return None
    text = text.strip()
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return text            # the question refuses it, naming the field
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=CHINA)
    return instant.isoformat()


def as_of_param(text: Optional[str]) -> Optional[str]:
    return text.strip() if text and text.strip() else None


def lang_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in ("zh", "en") else "zh"


def context(request: Request) -> Ctx:
    """The signed-in user's page context, or NotSignedIn."""
    from adapters.http.auth import COOKIE, principal
    from adapters.http.credentials import read_session
    from adapters.http.errors import Refusal
    try:
        who = principal(request)
    except Refusal as e:
        if e.status == 401:
            raise NotSignedIn() from None
        raise
    session = read_session(request.app.state.service.secret, request.cookies.get(COOKIE, ""))
    q = request.query_params
    return Ctx(request, who, lang_of(request), as_of_param(q.get("as_of")),
               known_at_param(q.get("known_at")), session.csrf if session else "")


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/login?" + urlencode({"next": target}), status_code=303)


# --- pieces of a page ---------------------------------------------------------------------
def yuan(value: Any) -> str:
    text = cell(value, Column("x", "money"))
    return f"¥{text}" if text and not text.startswith("-") else \
        (f"-¥{text[1:]}" if text else "")


def table(columns: Sequence[Column], rows: Iterable[dict[str, Any]], lang: str, *,
          links: dict[str, Any] | None = None, caption: str = "", empty: str = "",
          css: str = "") -> str:
    """An HTML table of ``rows``: amounts as ¥1,234.56 right-aligned, never cut;
    ``links`` maps a column key to a function of the row giving its href."""
    rows = list(rows)
    links = links or {}
    head = "".join(f'<th scope="col" class="k-{c.kind}">{h(c.title(lang))}</th>'
                   for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            value = r.get(c.key)
            text = yuan(value) if c.kind == "money" else cell(value, c, lang)
            shown = h(text)
            href = links.get(c.key)
            if href and text:
                target = href(r)
                if target:
                    shown = f'<a href="{h(target)}">{shown}</a>'
            cells.append(f'<td class="k-{c.kind}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(columns)}" class="empty">'
                    f'{h(empty or label("table.empty", lang))}</td></tr>')
    cap = f"<caption>{h(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="data {css}">{cap}<thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table></div>')


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    """A definition list of (label, value) pairs; values escaped."""
    items = "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>'


def banner(ctx: Ctx) -> str:
    """Exactly which view is shown: the business date and what had been recorded."""
    day = ctx.as_of or ctx.t("today", day=ctx.day().isoformat())
    if ctx.known_at:
        try:
            shown = instant_text(ctx.known_at)
        except ValueError:
            shown = ctx.known_at
        known = ctx.t("banner_known_at", instant=shown)
        css = "banner past"
    else:
        known = ctx.t("banner_known_now")
        css = "banner"
    return (f'<p class="{css}" role="status" id="view-banner">'
            f'{h(ctx.t("banner_view", day=day))} · {h(known)}</p>')


def time_machine(ctx: Ctx) -> str:
    """The form setting as_of and known_at for this page (kept in the URL)."""
    hidden = "".join(f'<input type="hidden" name="{h(k)}" value="{h(v)}">'
                     for k, v in ctx.params.items() if v)
    known = ""
    if ctx.known_at:
        try:
            known = datetime.fromisoformat(ctx.known_at).astimezone(CHINA) \
                .strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            known = ""
    return (f'<form class="time-machine no-print" method="get" action="{h(ctx.request.url.path)}"'
            f' aria-label="{h(ctx.t("time_machine"))}">{hidden}'
            f'<label>{h(ctx.t("as_of"))} <input type="date" name="as_of" id="as-of" '
            f'value="{h(ctx.as_of or "")}"></label>'
            f'<label>{h(ctx.t("known_at"))} <input type="datetime-local" step="1" '
            f'name="known_at" id="known-at" value="{h(known)}"></label>'
            f'<button type="submit" id="apply-time">{h(ctx.t("show"))}</button>'
            f'<a href="{h(ctx.request.url.path)}{h(_params_only(ctx))}">{h(ctx.t("now"))}</a>'
            f'</form>')


def _params_only(ctx: Ctx) -> str:
    query = {k: v for k, v in ctx.params.items() if v}
    return ("?" + urlencode(query)) if query else ""


NAV = (("home", "/"), ("search", "/search"), ("money", "/money"),
       ("reconcile", "/reconcile"), ("changes", "/changes"), ("supervision", "/supervision"),
       ("proof", "/proof"), ("commands", "/commands"))


def layout(ctx: Ctx, title: str, body: str, *, scripts: Sequence[str] = (),
           time_bar: bool = True, status: int = 200) -> HTMLResponse:
    """The whole page: navigation, the time machine and its banner, the body."""
    lang = ctx.lang
    nav = "".join(f'<li><a href="{h(ctx.link(path))}">{h(t("nav_" + key, lang))}</a></li>'
                  for key, path in NAV
                  if key != "commands" or _gives_commands(ctx.who))
    other = "en" if lang == "zh" else "zh"
    switch = (f'<a class="lang" href="{PREFIX}/lang/{other}?next='
              f'{h(_quote_next(ctx.request))}" lang="{other}">{h(t("switch_lang", lang))}</a>')
    who = ctx.who
    roles = "、".join(word("role", r, lang) for r in who.roles) if lang == "zh" else \
        ", ".join(word("role", r, lang) for r in who.roles)
    user = (f'<span class="who">{h(who.user)} · {h(t("agency_of", lang, agency=who.agency))}'
            f' · {h(roles)}</span>')
    printed = (f'<p class="print-only">{h(t("printed", lang, instant=datetime.now(CHINA).strftime("%Y-%m-%d %H:%M")))}'
               f' · {h(who.user)}</p>')
    bar = (time_machine(ctx) + banner(ctx)) if time_bar else ""
    page = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<meta name="csrf-token" content="{h(ctx.csrf)}">'
            f'<title>{h(title)} · {h(t("product", lang))}</title>'
            f'<link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="{STATIC}/console.css"></head><body>'
            f'<a class="skip" href="#main">{h(t("skip", lang))}</a>'
            f'<header class="top"><span class="product">{h(t("product", lang))}</span>'
            f'<nav aria-label="{h(t("nav", lang))}"><ul>{nav}</ul></nav>{user}'
            f'<form class="logout no-print" id="logout-form" method="post" '
            f'action="{PREFIX}/logout"><button type="submit">{h(t("sign_out", lang))}</button>'
            f'</form>{switch}</header>'
            f'<main id="main" tabindex="-1"><h1>{h(title)}</h1>{printed}{bar}{body}</main>'
            f'<script src="{STATIC}/console.js"></script>'
            + "".join(f'<script src="{STATIC}/{s}"></script>' for s in scripts) +
            '</body></html>')
    return html_response(page, status)


def html_response(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status,
                        headers={"Content-Security-Policy": PAGE_CSP})


def _quote_next(request: Request) -> str:
    from urllib.parse import quote
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(target, safe="")


def _gives_commands(who: Any) -> bool:
    from adapters.console.forms import commands_for
    return bool(commands_for(who))


def refusal_box(ctx: Ctx, error: Exception) -> str:
    """A refusal as the API gives it: rule, reason, remedy."""
    from adapters.http.errors import body_of
    from adapters.refusals import reason_words, remedy_words
    from domain.errors import LedgerError
    from domain.rules import RULES
    body = body_of(error)
    rule = body.get("rule")
    if isinstance(error, LedgerError):     # the domain's words in the page's language
        reason, remedy = reason_words(error, ctx.lang), remedy_words(error, ctx.lang)
    else:
        reason, remedy = body.get("reason"), body.get("remedy")
    title = body.get("rule_title")
    if rule in RULES and ctx.lang == "zh" and RULES[rule].title_zh:
        title = RULES[rule].title_zh
    parts = [f'<p class="refusal" role="alert"><strong>{h(ctx.t("refused"))}</strong>']
    if rule:
        parts.append(f' <span class="rule">{h(rule)}</span>')
        if title:
            parts.append(f' {h(title)}')
    parts.append(f'<br>{h(ctx.t("reason"))}: {h(reason)}')
    if remedy:
        parts.append(f'<br>{h(ctx.t("remedy"))}: {h(remedy)}')
    parts.append("</p>")
    return "".join(parts)


def status_code_of(error: Exception) -> int:
    from adapters.http.errors import Refusal, status_of
    from domain.errors import LedgerError
    if isinstance(error, Refusal):
        return error.status
    if isinstance(error, LedgerError):
        return status_of(error)
    return 500


async def show(request: Request, build: Any) -> Any:
    """A page's answer: ``await build(ctx)``; not signed in leads to the sign-in
    page, a refusal is shown as the API words it (rule, reason, remedy)."""
    from starlette.concurrency import run_in_threadpool
    from adapters.http.errors import Refusal
    from domain.errors import LedgerError
    try:
        ctx = await run_in_threadpool(context, request)
    except NotSignedIn:
        return sign_in_redirect(request)
    try:
        return await build(ctx)
    except (LedgerError, Refusal) as e:
        if isinstance(e, Refusal) and e.status == 401:
            return sign_in_redirect(request)
        return layout(ctx, ctx.t("refused"), refusal_box(ctx, e), status=status_code_of(e))


async def ask(fn: Any, request: Request, **given: Any) -> Any:
    """An API route function called as the API calls it: every parameter it
    takes that is not given is None (a list: empty)."""
    import inspect
    params = {}
    for name, p in inspect.signature(fn).parameters.items():
        if name == "request":
            continue
        if name in given:
            params[name] = given[name]
        else:
            default = getattr(p.default, "default", p.default)
            params[name] = [] if isinstance(default, list) else None
    result = fn(request, **params)
    return await result if inspect.isawaitable(result) else result
