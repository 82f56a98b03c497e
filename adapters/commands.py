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
import itertools
import re
import time
from collections import deque
from datetime import date
from typing import Any, Iterable, Iterator, Literal, Mapping

from eventsourcing.persistence import IntegrityError
from pydantic import Field, ValidationError

from adapters.boundary import (BusinessDay, Code, Name, Spoken, as_given, check_tree,
                               load_line, not_an_object, printable)
from adapters.specs import MODELS
from adapters.specs.types import Strict, _to_domain
from domain.base import ROLES, Context
from domain.errors import InvalidCommand, LedgerError
from domain.rules import is_rule
from domain.command_record import CommandRecord
from domain.service import Ledger, unit_of_work
from domain.service.unit_of_work import MustRunAlone, UnitOfWork


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


# pydantic's error types the catalogue words (boundary.pydantic.<type>, its
# template filled from the error's ctx): the types the command models can
# raise. A type not listed is shown in pydantic's own English words, so
# that a new constraint is still refused with its reason.
PYDANTIC_WORDED = frozenset({
    "missing", "string_type", "int_type", "int_parsing", "int_from_float", "bool_type",
    "dict_type", "list_type", "tuple_type", "set_type", "float_type", "model_type",
    "literal_error", "enum", "greater_than", "greater_than_equal", "less_than",
    "less_than_equal", "string_too_short", "string_too_long", "too_short", "too_long",
    "string_pattern_mismatch"})


def _choices(expected: str) -> str:
    """pydantic's ``'a', 'b' or 'c'``, its last "or" said in the reader's language."""
    head, sep, last = expected.rpartition(" or ")
    return Spoken("boundary.choices", {"head": head, "last": last}) if sep else expected


def _problem_words(e: Mapping[str, Any]) -> str:
    """One problem's reason: our validators' own words (a ``Spoken`` raised as
    a ValueError), the catalogue's for a known type, else pydantic's."""
    msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx = e.get("ctx") or {}
    raised = ctx.get("error")
    said = raised.args[0] if isinstance(raised, ValueError) and raised.args else None
    if isinstance(said, Spoken) and str(said) == msg:
        return said
    if e["type"] == "extra_forbidden":
        return Spoken("boundary.pydantic.extra_forbidden")
    if e["type"] in PYDANTIC_WORDED:
        values = {k: v for k, v in ctx.items() if k != "error"}
        if "expected" in values:
            values["expected"] = _choices(str(values["expected"]))
        return Spoken(f"boundary.pydantic.{e['type']}", values, english=msg)
    return msg


def _problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(field, reason) for each problem pydantic found, in plain words; the
    field is its path in the command, as code (``fields.kind``)."""
    out = []
    for e in error.errors():
        where = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(e["loc"]))
        out.append((where or "(command)", _problem_words(e)))
    return out


def _describe(problems: list[tuple[str, str]]) -> Spoken:
    return Spoken("boundary.problem_sep", parts=tuple(
        Spoken("boundary.problem", {"where": where, "msg": msg}) for where, msg in problems))


def parse(raw: str | dict[str, Any]) -> tuple[Envelope, Strict]:
    """Validate one command; raise InvalidCommand saying which field, why,
    and what would be valid. Nothing is recorded for a refused command."""
    if isinstance(raw, str):
        data = load_line(raw)
    else:
        if not isinstance(raw, dict):
            raise not_an_object()
        check_tree(raw)
        data = raw
    try:
        env = Envelope.model_validate(data)
    except ValidationError as e:
        problems = _problems(e)
        raise InvalidCommand("bad command envelope: {problems}", field=problems[0][0],
                             remedy="give id, command, date (YYYY-MM-DD), actor {{user, role}}, "
                                    "optional document, and fields",
                             key="boundary.bad_envelope",
                             values={"problems": _describe(problems)}) from None
    model = MODELS.get(env.command)
    if model is None:
        close = difflib.get_close_matches(env.command, MODELS, n=3, cutoff=0.6)
        guess = Spoken("boundary.did_you_mean", {"close": Spoken(
            "boundary.or", parts=tuple(close))}) if close else as_given()
        raise InvalidCommand("unknown command {command!r}", field="command",
                             remedy="{guess}`ledger commands` lists every command",
                             key="boundary.unknown_command",
                             values={"command": printable(env.command), "guess": guess}) from None
    try:
        fields = model.model_validate(env.fields)
    except ValidationError as e:
        problems = _problems(e, "fields")
        text = _describe(problems)
        # only a catalogued id is a cited rule: the text may echo a value shaped like one
        cited = [c for c in re.findall(r"\b[A-Z]{3}-\d{2}\b", text) if is_rule(c)]
        raise InvalidCommand("{command}: {problems}", rule=cited[0] if cited else "",
                             field=problems[0][0], remedy="see docs/commands.md#{command}",
                             key="boundary.bad_fields",
                             values={"command": env.command, "problems": text}) from None
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
                 advance_clock: bool = False, via: str = "") -> dict[str, Any]:
    ctx = Context(command_id=env.id, effective_on=env.date, user=env.actor.user,
                  role=env.actor.role, document=env.document, via=via)
    if advance_clock and env.command != "tick":
        ledger.tick(Context(f"tick:{env.date.isoformat()}", env.date, "ledger-clock",
                            "system"), to=env.date)
    handler = getattr(ledger, env.command)
    return handler(ctx, **domain_args(env, fields))


# --- a run of command lines -----------------------------------------------------------------
BATCH_COMMANDS = 200     # commands of one transaction at most
# and about this long, so that answers keep coming while a file runs; under
# load a commit costs several milliseconds, which a shorter unit shares among
# fewer commands (docs/performance.md, "Commands")
BATCH_SECONDS = 0.25

Answer = dict[str, Any] | LedgerError
NumberedLine = tuple[Any, "str | dict[str, Any] | LedgerError"]


def apply_lines(ledger: Ledger, numbered_lines: Iterable[NumberedLine], *,
                batch: int | None = None, seconds: float | None = None, via: str = ""
                ) -> Iterator[tuple[Any, Answer]]:
    """Apply command lines in order, as ``ledger run`` does: ``(key, line)``
    in, ``(key, answer)`` out, the answer the ledger's result or the
    ``LedgerError`` that refused the line (a line ``command_lines`` could not
    read comes in as its refusal and goes out as it). The clock is advanced
    to each new date before that date's first command (``execute``).

    The lines are applied in units of work of up to ``batch`` commands or
    about ``seconds`` (``BATCH_COMMANDS``, ``BATCH_SECONDS`` unless given;
    domain/service/unit_of_work.py), each written in one
    transaction; a line's answer is given only after the unit holding it is
    written, so nothing answered can be undone, and a caller that stops at a
    refusal leaves every later line unapplied. A refused line ends its unit:
    what came before it is written and the refusal answered, exactly as one
    write a command would have left the store. A unit that loses a race at
    its write is discarded and its lines applied again one by one (each
    with the retry of ``commanding.py``). ``batch=1``: every line on its own.
    ``via`` is recorded in each event's envelope (``ledger run``: the
    direct store connection and the operating-system user)."""
    batch = BATCH_COMMANDS if batch is None else batch
    seconds = BATCH_SECONDS if seconds is None else seconds
    run = _Run(ledger, via)
    lines = iter(numbered_lines)
    while True:
        answered = False
        for key, answer in (run.alone_lines(lines) if batch <= 1 else
                            run.unit(lines, batch, seconds)):
            answered = True
            yield key, answer
        if not answered:
            return


class _Run:
    """One run's lines and its clock: the last date the clock was advanced
    to (only a line applied moves it, as a line given alone always did)."""

    def __init__(self, ledger: Ledger, via: str = "") -> None:
        self.ledger, self.via = ledger, via
        self.clock: date | None = None
        # lines read (and parsed) ahead of the unit that will apply them, with
        # the id of each one's command record
        self.ahead: deque[tuple[Any, tuple[Envelope, Strict] | LedgerError, Any]] = deque()

    def read_ahead(self, lines: Iterator[NumberedLine], batch: int, unit: UnitOfWork) -> None:
        """Up to ``batch`` lines parsed, and in one query which of their
        command ids the store has not recorded yet: the unit need not ask
        for each (its ``absent`` entries; one recorded meanwhile by another
        writer makes the unit's write lose, and its lines are given alone).
        Reading ahead applies nothing."""
        for key, line in itertools.islice(lines, max(0, batch - len(self.ahead))):
            parsed = _parsed(line)
            record_id = None if isinstance(parsed, LedgerError) else \
                CommandRecord.id_for(parsed[0].id)
            self.ahead.append((key, parsed, record_id))
        recorded = getattr(self.ledger.recorder, "recorded_originators", None)
        if recorded is None:
            return
        ids = {record_id for _, _, record_id in self.ahead if record_id is not None}
        unit.absent.update(ids - recorded(ids))

    def alone(self, env: Envelope, fields: Strict) -> Answer:
        advance = self.clock is None or env.date > self.clock
        try:
            result = apply_parsed(self.ledger, env, fields, advance_clock=advance,
                                  via=self.via)
        except LedgerError as e:
            return e
        self.clock = env.date if advance else self.clock
        return result

    def alone_lines(self, lines: Iterator[NumberedLine]) -> Iterator[tuple[Any, Answer]]:
        for key, line in lines:
            parsed = _parsed(line)
            yield key, parsed if isinstance(parsed, LedgerError) else self.alone(*parsed)

    def unit(self, lines: Iterator[NumberedLine], batch: int, seconds: float
             ) -> Iterator[tuple[Any, Answer]]:
        """One unit of work: its lines applied, written, then answered; then
        the line that ended it early, if one did."""
        ledger, clock_before = self.ledger, self.clock
        applied: list[tuple[Any, tuple[Envelope, Strict], dict[str, Any]]] = []
        # the line that ended the unit early: (key, its command or None, its
        # refusal or None: then it is given alone once the unit is written)
        last: tuple[Any, tuple[Envelope, Strict] | None, LedgerError | None] | None = None
        unit = unit_of_work.begin(ledger)
        try:
            self.read_ahead(lines, batch, unit)
            started = time.perf_counter()
            while self.ahead:
                key, parsed, _ = self.ahead.popleft()
                if isinstance(parsed, LedgerError):
                    last = key, None, parsed
                    break
                env, fields = parsed
                advance = self.clock is None or env.date > self.clock
                unit.start_command()
                try:
                    result = apply_parsed(ledger, env, fields, advance_clock=advance,
                                          via=self.via)
                except LedgerError as e:
                    unit.refused()       # it may have changed what it was handed
                    last = key, parsed, e
                    break
                except MustRunAlone:
                    unit.refused()
                    last = key, parsed, None
                    break
                except IntegrityError:
                    last = key, parsed, None     # a write lost inside the unit: as below
                    raise
                self.clock = env.date if advance else self.clock
                applied.append((key, parsed, result))
                if unit.handed_out_changed():
                    break
                if len(applied) >= batch or time.perf_counter() - started >= seconds:
                    break
            unit_of_work.commit(ledger, unit)
        except IntegrityError:
            # lost a race at the write: nothing of the unit was written, so
            # each line is applied again alone and answered as it is written;
            # a refusal is asked again too, as it was judged on the unit's state
            unit_of_work.discard(ledger, unit)
            self.clock = clock_before
            for key, parsed, _ in applied:
                yield key, self.alone(*parsed)
            if last is not None:
                key, parsed, refusal = last
                yield key, refusal if parsed is None else self.alone(*parsed)
            return
        finally:
            unit_of_work.discard(ledger, unit)   # nothing left of it once written
        for key, _, result in applied:
            yield key, result
        if last is not None:
            key, parsed, refusal = last
            yield key, refusal if refusal is not None else self.alone(*parsed)


def _parsed(line: "str | dict[str, Any] | LedgerError") -> tuple[Envelope, Strict] | LedgerError:
    if isinstance(line, LedgerError):
        return line
    try:
        return parse(line)
    except LedgerError as e:
        return e
