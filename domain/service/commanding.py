"""How a command is handled: its role, its fingerprint, its record.

Every recording command goes through ``command``: the role is checked
(AUD-04), then the command id is looked up. A repeated id is answered with
the first result and records nothing new, or refused as a ``Conflict`` when
it was used for a different command; a new id runs the handler and saves its
aggregates together with the command's own record in one atomic write, so a
rejected command records nothing. The clock (``tick``) goes through
``clock_command`` instead: the same role check, but no record, because
letting time pass is idempotent by its nature (see there).

The fingerprint and ``_plain`` are part of the stored form: every command
record holds a fingerprint, and a repeated command is compared by it. Change
neither without a migration; tests/test_service_layout.py re-runs command
files against a store written before the service was split.
"""
from __future__ import annotations

import functools
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.base import Context, LedgerAggregate
from domain.command_record import CommandRecord
from domain.errors import Conflict
from domain.money import Money
from domain.roles import check_role

if TYPE_CHECKING:
    from domain.service.core import LedgerCore

Handler = Callable[..., tuple[list[LedgerAggregate], dict[str, Any]]]


def _plain(value: Any) -> Any:
    """A JSON-able, canonical form of a command's arguments or result."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return value.yuan()
    if isinstance(value, UUID):
        return str(value)
    return value


def fingerprint(name: str, ctx: Context, args: dict[str, Any]) -> str:
    """What makes a command the same command: its name, date, who gives it,
    the document it rests on and its fields."""
    text = json.dumps({"command": name, "effective_on": ctx.effective_on.isoformat(),
                       "user": ctx.user, "role": ctx.role, "document": ctx.document,
                       "args": _plain(args)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def command_record(app: "LedgerCore", command_id: str) -> CommandRecord | None:
    """The record of an earlier command with this id, if there was one."""
    try:
        return app.repository.get(CommandRecord.id_for(command_id))
    except AggregateNotFoundError:
        return None


def replay_answer(record: CommandRecord, fp: str, name: str) -> dict[str, Any]:
    """The first answer to a repeated command id, or a Conflict when the id
    was used for a different command."""
    if record.fingerprint != fp:
        raise Conflict(
            f"command id {record.command_id} was already used for a different "
            f"{record.name} command", remedy="give this command a new command id")
    return {**record.result, "recorded": False}


def command(method: Handler) -> Callable[..., dict[str, Any]]:
    """Make a handler idempotent and atomic: ``method(self, ctx, **args)``
    returns the aggregates to save and the result to answer with."""
    name = method.__name__

    @functools.wraps(method)
    def handle(self: "LedgerCore", ctx: Context, **args: Any) -> dict[str, Any]:
        check_role(name, ctx.role)
        fp = fingerprint(name, ctx, args)
        earlier = command_record(self, ctx.command_id)
        if earlier is not None:
            return replay_answer(earlier, fp, name)
        aggregates, result = method(self, ctx, **args)
        result = _plain({"command": name, "command_id": ctx.command_id, **result})
        record = CommandRecord.handled(command_id=ctx.command_id, name=name, fingerprint=fp,
                                       result=result, effective_on=ctx.effective_on,
                                       envelope=ctx.envelope)
        try:
            self.save(*aggregates, record)
        except IntegrityError:
            # Someone else handled the same command id first: answer as they did.
            earlier = command_record(self, ctx.command_id)
            if earlier is None:
                raise
            return replay_answer(earlier, fp, name)
        return {**result, "recorded": True}

    handle.is_command = True  # type: ignore[attr-defined]
    handle.keeps_record = True  # type: ignore[attr-defined]
    return handle


def clock_command(method: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """The clock's path: the role check of every command (AUD-04), and no
    command record.

    A record would make the clock wrong, not safer. The clock's id is its
    date (``tick:YYYY-MM-DD``), given by cron, by ``ledger run`` before each
    new date and by a ``tick`` line; a record under it would answer the
    night's run with the morning's result and skip what fell due since (a
    backdated suspension recorded at noon whose day 181 has passed), and
    would refuse the same date given by another user as a Conflict. What
    makes a tick idempotent is the aggregates: each consequence is recorded
    once, by the agreement it follows from, so a tick run again records
    nothing. Its events carry the tick's id, user and role ``system`` in
    their envelope, which is what an auditor reads (AUD-04)."""
    name = method.__name__

    @functools.wraps(method)
    def handle(self: "LedgerCore", ctx: Context, **args: Any) -> dict[str, Any]:
        check_role(name, ctx.role)
        return method(self, ctx, **args)

    handle.is_command = True  # type: ignore[attr-defined]
    handle.keeps_record = False  # type: ignore[attr-defined]
    return handle
