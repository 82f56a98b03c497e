"""How a command is handled: its role, its fingerprint, its record.

Every recording command goes through ``command``: the role is checked
(AUD-04), then the command id is looked up. A repeated id is answered with
the first result and records nothing new, or refused as a ``Conflict`` when
it was used for a different command; a new id runs the handler and saves its
aggregates together with the command's own record in one atomic write, so a
rejected command records nothing.

A write that loses a race (another writer stored the next version of one of
its aggregates first: the store's optimistic concurrency refuses it) is run
again from the start on fresh copies, a few times with a short random pause
(``RETRIES``): it then succeeds, or is refused by the rule that now applies
(an agreement the winner ended refuses a suspension, TER-03), or is answered
as the winner was when the winner had the same command id. Only a write that
keeps losing is refused, as ``Contended``; nothing of it is recorded. The clock (``tick``) goes through
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
import operator
import random
import time
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

RETRIES = 5                 # attempts of a write that loses races, in all
BACKOFF_SECONDS = 0.005     # the first pause's upper bound; doubled each time


class Contended(Conflict):
    """Other writers kept changing what the command writes: after ``RETRIES``
    attempts nothing of it is recorded, and giving it again is safe. The
    rule is AUD-01's: each version of an aggregate is one immutable event,
    so the store refuses to record a second one over another writer's, and
    the command is never half recorded."""

    rule = "AUD-01"


def pause_before_retry(attempt: int) -> None:
    """A short random pause, so that two losers do not collide again in step."""
    time.sleep(random.uniform(0, BACKOFF_SECONDS * (2 ** attempt)))


def save_or_lose(app: "LedgerCore", aggregates: list[Any]) -> bool:
    """Save atomically; False when a concurrent writer stored one of these
    aggregates' versions first (their cached copies are then dropped).
    Inside a unit of work (unit_of_work.py) the refusal goes to the unit's
    caller instead: a retry would be handed the unit's own objects, not
    fresh ones, so the unit is discarded and its commands given alone."""
    try:
        app.save(*aggregates)
    except IntegrityError:
        if app.repository.unit is not None:  # type: ignore[attr-defined]
            raise
        app.repository.evict(*[a.id for a in aggregates])  # type: ignore[attr-defined]
        return False
    return True


def contended(name: str, what: str) -> Contended:
    return Contended("{name}: {what} kept changing under other writers; after {RETRIES} "
                     "attempts nothing of it is recorded (each version of a record is written "
                     "once, never over another writer's)",
                     remedy="give the command again (with the same id: it is safe)",
                     key="refusal.service_commanding.kept_changing_under_other", values={"name": name,
                     "what": what, "RETRIES": RETRIES})


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _str_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _plain(value: Any) -> Any:
    """A JSON-able, canonical form of a command's arguments or result."""
    if type(value) in _AS_IS:   # most values: every command's fingerprint walks its fields
        return value
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            ordered = sorted(value.items(), key=operator.itemgetter(0))
        else:
            ordered = sorted(value.items(), key=_str_key)
        return {str(k): _plain(v) for k, v in ordered}
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
        raise Conflict("command id {command_id} was already used for a different {name} command",
                       remedy="give this command a new command id",
                       key="refusal.service_commanding.command_id_was_already",
                       values={"command_id": record.command_id, "name": record.name})
    return {**record.result, "recorded": False}


def command(method: Handler) -> Callable[..., dict[str, Any]]:
    """Make a handler idempotent and atomic: ``method(self, ctx, **args)``
    returns the aggregates to save and the result to answer with."""
    name = method.__name__

    @functools.wraps(method)
    def handle(self: "LedgerCore", ctx: Context, **args: Any) -> dict[str, Any]:
        check_role(name, ctx.role)
        fp = fingerprint(name, ctx, args)
        for attempt in range(RETRIES):
            if attempt:
                pause_before_retry(attempt - 1)
            # Each attempt from the start: a race lost may have been lost to
            # the same command id, answered then as the winner was.
            earlier = command_record(self, ctx.command_id)
            if earlier is not None:
                return replay_answer(earlier, fp, name)
            aggregates, result = method(self, ctx, **args)
            aggregates = [*aggregates, *self._due_notes(aggregates, ctx)]
            result = _plain({"command": name, "command_id": ctx.command_id, **result})
            record = CommandRecord.handled(command_id=ctx.command_id, name=name,
                                           fingerprint=fp, result=result,
                                           effective_on=ctx.effective_on,
                                           envelope=ctx.envelope)
            if save_or_lose(self, [*aggregates, record]):
                return {**result, "recorded": True}
        raise contended(name, "what it changes")

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
