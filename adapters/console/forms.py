"""Entering commands: a form for each command the signed-in user's roles may
give, generated from the command's spec (adapters/specs: the same model that
validates a command file and the API's body). The page posts the command
line to the API (POST /commands/NAME, with the session's CSRF token); the
server stamps the actor and answers as ``ledger run --json``, and a refusal
is shown next to the field it names (rule, reason, remedy).

A field's input follows its JSON schema: a choice for a fixed set, a date,
a number, a box for yes/no, a line of text, and JSON for lists and records
(a claim's items, a panel's members), with the schema's description as help.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from adapters.console.page import PREFIX, Ctx, h, layout, show

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def commands_for(who: Any) -> list[str]:
    """The commands this user's roles may give (none for an auditor)."""
    from adapters.http.commands import ALL_SPECS
    from adapters.http.questions import ACCOUNT_NAMES
    from adapters.specs import roles_for
    held = set(who.roles)
    out = []
    for name in ALL_SPECS:
        if name in ACCOUNT_NAMES:
            if "administrator" in held:
                out.append(name)
        elif held & set(roles_for(name)):
            out.append(name)
    return out


def _command_word(ctx: Ctx, name: str) -> str:
    return ctx.word("command", name)


@router.get("/commands")
async def command_list(request: Request, agreement: Optional[str] = Query(None, max_length=64),
                       institution: Optional[str] = Query(None, max_length=64)) -> Any:
    async def build(ctx: Ctx) -> Any:
        from adapters.http.commands import ALL_SPECS
        names = commands_for(ctx.who)
        if not names:
            return layout(ctx, ctx.t("nav_commands"),
                          f'<p id="no-commands">{h(ctx.t("no_commands"))}</p>', time_bar=False)
        prefill = {k: v for k, v in (("agreement", agreement), ("institution", institution))
                   if v}
        groups: dict[str, list[str]] = {}
        for name in names:
            groups.setdefault(ALL_SPECS[name].group, []).append(name)
        from urllib.parse import urlencode
        query = ("?" + urlencode(prefill)) if prefill else ""
        parts = []
        for group, members in groups.items():
            items = "".join(f'<li><a href="{PREFIX}/commands/{n}{h(query)}">'
                            f'{h(_command_word(ctx, n))}</a> <code>{h(n)}</code></li>'
                            for n in members)
            parts.append(f'<section><h2>{h(ctx.word("group", group))}</h2><ul class="commands">'
                         f'{items}</ul></section>')
        return layout(ctx, ctx.t("nav_commands"), "".join(parts), time_bar=False)
    return await show(request, build)


@router.get("/commands/{name}")
async def command_form(request: Request, name: str) -> Any:
    async def build(ctx: Ctx) -> Any:
        from adapters.http.commands import ALL_SPECS, input_model
        from domain.errors import NotFound
        from domain.roles import NotPermitted
        if name not in ALL_SPECS:
            raise NotFound(f"no command {name!r}", remedy="choose one from the list")
        if name not in commands_for(ctx.who):
            from adapters.specs import roles_for
            raise NotPermitted(f"{ctx.who.user} holds no role that may give {name} (roles "
                               f"that may: {', '.join(roles_for(name)) or 'administrator'})",
                               rule="AUD-04", remedy="ask a user who holds such a role")
        schema = input_model(name).model_json_schema(by_alias=True)
        prefill = dict(request.query_params)
        fields = "".join(_field(ctx, key, prop, schema, key in schema.get("required", []),
                                prefill.get(key, ""))
                         for key, prop in schema.get("properties", {}).items())
        from datetime import datetime
        from adapters.console.page import CHINA
        today = datetime.now(CHINA).date().isoformat()
        body = (f'<form id="command-form" class="command" data-command="{h(name)}" novalidate>'
                f'<fieldset><legend>{h(ctx.t("envelope"))}</legend>'
                f'<div class="field" data-field="date"><label for="c-date">'
                f'{h(ctx.t("business_date"))}</label><input type="date" id="c-date" '
                f'name="date" value="{h(today)}" required><span class="error" '
                f'aria-live="polite"></span></div>'
                f'<div class="field" data-field="document"><label for="c-document">'
                f'{h(ctx.t("document"))}</label><input id="c-document" name="document" '
                f'maxlength="200"><span class="error" aria-live="polite"></span></div>'
                f'</fieldset><fieldset><legend>{h(ctx.t("fields"))}</legend>{fields}</fieldset>'
                f'<p class="refusal" id="form-error" role="alert" hidden></p>'
                f'<button type="submit" id="give">{h(ctx.t("give"))}</button></form>'
                f'<div id="command-result" aria-live="polite" hidden></div>'
                f'<p class="hint" data-refused="{h(ctx.t("refused"))}" data-reason='
                f'"{h(ctx.t("reason"))}" data-remedy="{h(ctx.t("remedy"))}" data-recorded='
                f'"{h(ctx.t("recorded"))}" data-repeat="{h(ctx.t("not_new"))}" '
                f'id="form-words">{h(ctx.t("form_hint"))}</p>')
        title = f'{_command_word(ctx, name)} ({name})'
        return layout(ctx, title, body, scripts=["forms.js"], time_bar=False)
    return await show(request, build)


def _resolve(prop: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return schema.get("$defs", {}).get(prop["$ref"].split("/")[-1], prop)
    return prop


def _kind(prop: dict[str, Any], schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(input kind, the property without its ``null`` alternative)."""
    prop = _resolve(prop, schema)
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if options:
        inner = _resolve(options[0], schema)
        prop = {**inner, **{k: v for k, v in prop.items() if k not in ("anyOf",)}}
    if "enum" in prop:
        return "choice", prop
    kind = prop.get("type")
    if kind == "string" and prop.get("format") == "date":
        return "date", prop
    if kind in ("integer", "number"):
        return "number", prop
    if kind == "boolean":
        return "bool", prop
    if kind in ("array", "object") or "properties" in prop:
        return "json", prop
    return "text", prop


def _field(ctx: Ctx, key: str, prop: dict[str, Any], schema: dict[str, Any], required: bool,
           value: str) -> str:
    kind, prop = _kind(prop, schema)
    ident = f"f-{key}"
    need = " required" if required else ""
    mark = ' <abbr title="required">*</abbr>' if required else ""
    help_text = prop.get("description", "")
    default = prop.get("default")
    shown = value or ("" if default in (None, "", [], {}) else
                      (json.dumps(default, ensure_ascii=False) if kind == "json"
                       else str(default)))
    attrs = f'id="{ident}" name="{h(key)}" data-kind="{kind}"{need}'
    if kind == "choice":
        options = "".join(f'<option value="{h(o)}"{" selected" if str(o) == shown else ""}>'
                          f'{h(ctx.word("choice", o))}</option>' for o in prop["enum"])
        blank = "" if required else '<option value=""></option>'
        control = f'<select {attrs}>{blank}{options}</select>'
    elif kind == "date":
        control = f'<input type="date" {attrs} value="{h(shown)}">'
    elif kind == "number":
        control = f'<input inputmode="decimal" {attrs} value="{h(shown)}">'
    elif kind == "bool":
        checked = " checked" if shown.lower() in ("true", "1", "yes") else ""
        control = f'<input type="checkbox" {attrs}{checked}>'
    elif kind == "json":
        control = (f'<textarea {attrs} rows="4" cols="60" spellcheck="false">{h(shown)}'
                   f'</textarea>')
        help_text = (help_text + " " if help_text else "") + ctx.t("json_hint")
    else:
        limit = prop.get("maxLength")
        control = f'<input {attrs} value="{h(shown)}"' + \
            (f' maxlength="{int(limit)}"' if limit else "") + ">"
    help_html = f'<small class="help">{h(help_text)}</small>' if help_text else ""
    return (f'<div class="field" data-field="{h(key)}"><label for="{ident}">{h(key)}{mark}'
            f'</label>{control}{help_html}<span class="error" aria-live="polite"></span></div>')
