"""Commands at the boundary: pydantic validates every command before the
domain sees it. A command is one JSON object:

    {"id": "c-0001", "command": "submit_application", "date": "2025-01-06",
     "actor": {"user": "wang.li", "role": "case_officer"},
     "document": "晋工伤评〔2025〕1号", "fields": {...}}

``date`` is the business date the command takes effect (CAL-04), ``document``
the notice or form it rests on (optional). Unknown commands, missing or
mistyped fields and badly formatted dates are refused with what would be
valid; nothing is recorded.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import Field, ValidationError

from adapters.boundary import BusinessDay, Code, Name, check_tree, load_line, printable
from adapters.specs import MODELS
from adapters.specs.types import Strict, _to_domain
from domain.base import ROLES, Context
from domain.errors import InvalidCommand
from domain.rules import is_rule
from domain.service import Ledger


class Actor(Strict):
    user: Code
    role: Literal[ROLES]  # type: ignore[valid-type]


class Envelope(Strict):
    id: Code = Field(description="command id; a repeated id is answered with the first result")
    command: str
    date: BusinessDay
    actor: Actor
    document: Name = ""
    fields: dict[str, Any] = Field(default_factory=dict)


def _problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(field, reason) for each problem pydantic found, in plain words."""
    out = []
    for e in error.errors():
        where = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if e["type"] == "extra_forbidden":
            msg = "not a field of this command"
        out.append((where or "(command)", msg))
    return out


def _describe(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{where}: {msg}" for where, msg in problems)


def parse(raw: str | dict[str, Any]) -> tuple[Envelope, Strict]:
    """Validate one command; raise InvalidCommand saying which field, why,
    and what would be valid. Nothing is recorded for a refused command."""
    if isinstance(raw, str):
        data = load_line(raw)
    else:
        if not isinstance(raw, dict):
            raise InvalidCommand("a command is a JSON object",
                                 remedy="write one JSON object per line")
        check_tree(raw)
        data = raw
    try:
        env = Envelope.model_validate(data)
    except ValidationError as e:
        problems = _problems(e)
        raise InvalidCommand(f"bad command envelope: {_describe(problems)}",
                             field=problems[0][0],
                             remedy="give id, command, date (YYYY-MM-DD), actor {user, role}, "
                                    "optional document, and fields") from None
    model = MODELS.get(env.command)
    if model is None:
        close = difflib.get_close_matches(env.command, MODELS, n=3, cutoff=0.6)
        raise InvalidCommand(f"unknown command {printable(env.command)!r}", field="command",
                             remedy=(f"did you mean {' or '.join(close)}? " if close else "")
                             + "`ledger commands` lists every command") from None
    try:
        fields = model.model_validate(env.fields)
    except ValidationError as e:
        problems = _problems(e, "fields")
        text = _describe(problems)
        # only a catalogued id is a cited rule: the text may echo a value shaped like one
        cited = [c for c in re.findall(r"\b[A-Z]{3}-\d{2}\b", text) if is_rule(c)]
        raise InvalidCommand(f"{env.command}: {text}", rule=cited[0] if cited else "",
                             field=problems[0][0],
                             remedy=f"see docs/commands.md#{env.command}") from None
    return env, fields


def domain_args(env: Envelope, fields: Strict) -> dict[str, Any]:
    return {name: _to_domain(getattr(fields, name)) for name in type(fields).model_fields}


def execute(ledger: Ledger, raw: str | dict[str, Any], *, advance_clock: bool = False
            ) -> dict[str, Any]:
    """Validate and apply one command; returns the ledger's answer.

    With ``advance_clock`` the consequences falling due up to the command's
    date (day 181 of a voluntary suspension, expiry, ...) are recorded first,
    as ``ledger tick`` would have done on each of those days."""
    env, fields = parse(raw)
    return apply_parsed(ledger, env, fields, advance_clock=advance_clock)


def apply_parsed(ledger: Ledger, env: Envelope, fields: Strict, *,
                 advance_clock: bool = False) -> dict[str, Any]:
    ctx = Context(command_id=env.id, effective_on=env.date, user=env.actor.user,
                  role=env.actor.role, document=env.document)
    if advance_clock and env.command != "tick":
        ledger.tick(Context(f"tick:{env.date.isoformat()}", env.date, "ledger-clock",
                            "system"), to=env.date)
    handler = getattr(ledger, env.command)
    return handler(ctx, **domain_args(env, fields))
