"""Commands through the service: one route per command, derived from the
specs (adapters/specs), a route for any command line, and a batch of lines,
answered as ``ledger run --json`` answers (idempotent by command id).

The body is the command file's JSON without ``actor``: the server decides
the actor (AUD-04). It stamps the signed-in user and the least-privileged of
their roles that may give the command (``domain/policies/access.py``),
refuses a body that names an actor of its own, and refuses a command on
another agency's institution or agreement before the ledger sees it. The
line is read as ``ledger run`` reads one (adapters/boundary.py: strict JSON,
sizes, characters) and validated by the same spec, so the service accepts
exactly what a command file may hold.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError, create_model
from starlette.concurrency import run_in_threadpool

from adapters.boundary import LINE_BYTES_MAX, load_line
from adapters.commands import Envelope, apply_parsed, domain_args, parse
from adapters.http.auth import principal, refuse
from adapters.http.credentials import hash_password, new_token
from adapters.http.errors import ERROR_RESPONSES, Refusal, body_of, status_of, unreadable
from adapters.specs import SPECS
from adapters.specs import accounts as account_specs
from adapters.specs.types import _to_domain
from domain.base import Context
from domain.errors import InvalidCommand, LedgerError
from domain.policies.access import RULE, Principal, check_act, choose_role, subjects
from domain.roles import NotPermitted

HANDLER_SECONDS = 60.0
CONCURRENCY_RETRIES = 5
# every command the service takes: the ledger's, then the accounts' (until the
# specs list them too)
ALL_SPECS = {**SPECS, **{s.name: s for s in account_specs.SPECS if s.name not in SPECS}}
# the account commands take their typed form (a password, not its hash) here,
# whether or not adapters/specs lists them among the ledger's
ACCOUNT_COMMANDS = frozenset(s.name for s in account_specs.SPECS)
router = APIRouter()


def input_model(name: str) -> type:
    """What a client sends for a command: its spec's fields, or for an
    account command the typed form (a password, not its hash)."""
    return account_specs.INPUTS.get(name) or ALL_SPECS[name].model


async def bounded(fn: Callable[[], Any]) -> Any:
    """A handler's work in a thread, answered within HANDLER_SECONDS."""
    try:
        return await asyncio.wait_for(run_in_threadpool(fn), HANDLER_SECONDS)
    except asyncio.TimeoutError:
        raise Refusal(503, "Timeout", f"no answer within {HANDLER_SECONDS:.0f} s; the command "
                      "may still be recorded", "give it again with the same id: a repeated "
                      "id is answered with its first result") from None


def json_object(request: Request, body: bytes) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refusal(415, "UnsupportedMediaType", f"{request.url.path} reads "
                      "application/json", "send the command as one JSON object")
    return _line(body)


def _line(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise unreadable("the body is not UTF-8", "send UTF-8 JSON") from None
    try:
        return load_line(text)
    except InvalidCommand as e:
        raise unreadable(e.reason, e.remedy) from None


@dataclass
class Prepared:
    name: str
    ctx: Context
    apply: Callable[[], dict[str, Any]]
    shown_once: dict[str, Any] = field(default_factory=dict)   # a new token's text


def prepare(service: Any, who: Principal, data: dict[str, Any]) -> Prepared:
    """Validate a command line for the signed-in user, stamp the actor and
    check the agency; refuse with the ledger's errors, nothing recorded."""
    if "actor" in data:
        raise NotPermitted("the service decides who gives a command: a body may not name "
                           "an actor", rule=RULE, field="actor",
                           remedy="leave out actor; the command is given as the signed-in user")
    name = data.get("command")
    known = isinstance(name, str) and name in ALL_SPECS
    role = choose_role(who, name) if known else who.roles[0]
    data = {**data, "actor": {"user": who.user, "role": role}}
    ledger = service.ledger
    if not known or name not in ACCOUNT_COMMANDS:
        env, fields = parse(data)        # refuses an unknown command, naming the close ones
        args = domain_args(env, fields)
        check_act(who, env.command, [(k, key, ledger.agency_of(k, key))
                                     for k, key in subjects(env.command, args)])
        ctx = Context(env.id, env.date, who.user, role, env.document)
        return Prepared(env.command, ctx, lambda: apply_parsed(ledger, env, fields))
    env, args = _account_command(data, name)
    ctx = Context(env.id, env.date, who.user, role, env.document)
    shown: dict[str, Any] = {}
    if "password" in args:
        args["password_hash"] = hash_password(args.pop("password"), command_id=env.id,
                                              user=args["user"])
    if name == "issue_token":
        token = new_token(args["user"])
        args.update(token_id=token.token_id, token_hash=token.token_hash)
        shown["token"] = token.text
    handler = getattr(ledger, name)
    return Prepared(name, ctx, lambda: handler(ctx, **args), shown)


def _account_command(data: dict[str, Any], name: str) -> tuple[Envelope, dict[str, Any]]:
    try:
        env = Envelope.model_validate(data)
        fields = input_model(name).model_validate(env.fields)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidCommand(f"{name}: {where}: {first['msg']}", field=where,
                             remedy=f"see docs/commands.md#{name}") from None
    return env, {k: _to_domain(getattr(fields, k)) for k in type(fields).model_fields}


def run_one(request: Request, who: Principal, data: dict[str, Any]) -> dict[str, Any]:
    service = request.app.state.service
    prepared = prepare(service, who, data)
    result = _apply_retrying(service, prepared)
    if prepared.name == "reset_password" and result.get("recorded"):
        service.access.write("unlock", user=data["fields"]["user"],
                             reason=f"password reset by {who.user}")
    return {**result, **prepared.shown_once, "log_position": service.log_position()}


def _apply_retrying(service: Any, prepared: Prepared) -> dict[str, Any]:
    """Apply a command; when another worker saved an aggregate it touches in
    between (the registry, a fund account), apply it again on the new state:
    the handler loads its aggregates afresh, and a command record saved
    meanwhile under the same id is answered as the first answer."""
    for attempt in range(CONCURRENCY_RETRIES):
        try:
            with service.writing():
                return prepared.apply()
        except IntegrityError:
            if attempt == CONCURRENCY_RETRIES - 1:
                # the situation of a run's Contended loser: each version of an
                # aggregate is one event, so the store refused a second one
                raise Refusal(503, "Busy", "other commands kept changing what this one "
                              "changes", "give it again with the same id",
                              rule="AUD-01") from None
    raise AssertionError("unreachable")


def refused(request: Request, who: Principal | None, error: Exception) -> JSONResponse:
    status = status_of(error) if isinstance(error, LedgerError) else error.status
    refuse(request, Refusal(status, "", str(getattr(error, "reason", error))),
           who.user if who else None)
    return JSONResponse(body_of(error), status_code=status)


def _answer(result: dict[str, Any]) -> JSONResponse:
    return JSONResponse(result, headers={"X-Ledger-Position": str(result["log_position"])})


async def _command(request: Request, name: str | None) -> JSONResponse:
    body = await request.body()
    who = await run_in_threadpool(principal, request)
    data = json_object(request, body)
    if name is not None:
        if data.get("command", name) != name:
            raise Refusal(422, "InvalidCommand", f"the body names the command "
                          f"{data['command']!r} on the route of {name}",
                          f"POST it to /commands/{data['command']}, or leave command out")
        data = {**data, "command": name}
    try:
        return _answer(await bounded(lambda: run_one(request, who, data)))
    except LedgerError as e:
        return refused(request, who, e)


@router.post("/commands", responses=ERROR_RESPONSES, tags=["commands"],
             summary="Give any command: a command line without actor",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"$ref": "#/components/schemas/AnyCommand"}}}}})
async def any_command(request: Request) -> JSONResponse:
    return await _command(request, None)


class BatchAnswer(BaseModel):
    """Each line's answer, as ``ledger run --json`` gives it: the result,
    or ``rejected`` with the refusal; the status is the first refusal's."""

    lines: list[dict[str, Any]]
    applied: int
    rejected: int
    log_position: int


# a batch refused line by line answers with its lines; one refused whole, with the error
BATCH_RESPONSES = {status: {"description": about["description"], "content": {
    "application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/ErrorBody"},
                                              {"$ref": "#/components/schemas/BatchAnswer"}]}}}}
    for status, about in ERROR_RESPONSES.items()}


@router.post("/batch", responses=BATCH_RESPONSES, tags=["commands"], response_model=BatchAnswer,
             summary="Give command lines (NDJSON), answered line by line as ledger run --json",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}}}}})
async def batch(request: Request, keep_going: bool = False) -> JSONResponse:
    body = await request.body()
    who = await run_in_threadpool(principal, request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-ndjson":
        raise Refusal(415, "UnsupportedMediaType", "/batch reads application/x-ndjson",
                      "send one command a line, each a JSON object without actor")
    return await bounded(lambda: _batch(request, who, body, keep_going))


def _batch(request: Request, who: Principal, body: bytes, keep_going: bool) -> JSONResponse:
    lines: list[dict[str, Any]] = []
    status = 200
    for number, raw in enumerate(body.split(b"\n"), 1):
        if not raw.strip() or raw.lstrip().startswith(b"#"):
            continue
        try:
            if len(raw) > LINE_BYTES_MAX:
                raise unreadable(f"line {number} holds {len(raw):,} bytes, more than the "
                                 f"{LINE_BYTES_MAX:,} one command may")
            lines.append({"line": number, **run_one(request, who, _line(raw.rstrip(b"\r")))})
        except (LedgerError, Refusal) as e:
            failed = refused(request, who, e)
            status = failed.status_code if status == 200 else status
            lines.append({"line": number, "rejected": body_of(e)})
            if not keep_going:
                break
    position = request.app.state.service.log_position()
    rejected = sum(1 for line in lines if "rejected" in line)
    return JSONResponse({"lines": lines, "applied": len(lines) - rejected,
                         "rejected": rejected, "log_position": position}, status_code=status,
                        headers={"X-Ledger-Position": str(position)})


def _route(name: str) -> Callable[..., Any]:
    async def one_command(request: Request) -> JSONResponse:
        return await _command(request, name)
    one_command.__name__ = f"command_{name}"
    return one_command


def command_body_model(name: str) -> type:
    """The body a command's route reads, for the OpenAPI document."""
    return create_model(
        "".join(part.title() for part in name.split("_")) + "Command",
        id=(str, Field(min_length=1, max_length=64, description="command id")),
        date=(date, Field(description="the business date it takes effect (YYYY-MM-DD)")),
        document=(str, Field("", max_length=200)),
        fields=(input_model(name), ...),
        __config__={"extra": "forbid"})


for _name, _spec in ALL_SPECS.items():
    router.add_api_route(
        f"/commands/{_name}", _route(_name), methods=["POST"], responses=ERROR_RESPONSES,
        tags=[_spec.group], summary=_name.replace("_", " "),
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{command_body_model(_name).__name__}"}}}}})
