"""`ledger run`'s lines in units of work (adapters/commands.py ``apply_lines``,
domain/service/unit_of_work.py): several commands in one transaction, and
nothing else different. The same command file applied line by line (the
loop ``ledger run`` had) and in units gives the same events, aggregates,
command records, read models and hash chain, and the same answer byte for
byte on every line, on both stores; a refusal in the middle of a unit, a
repeated id within one, a command that reads the log and a race lost at
the unit's write each end as one line given alone would.
(No timing here: speed is measured in scripts/bench.py.)"""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

import pytest

from adapters.boundary import command_lines
from adapters.commands import apply_lines, apply_parsed, parse
from adapters.settings import open_ledger
from domain.errors import LedgerError
from domain.service import _plain, unit_of_work
from eventsourcing.persistence import IntegrityError
from tests.conftest import _postgres_schema

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from generate_province import generate, load  # noqa: E402
from month_of_claims import (latest_business_date, live_claimants,  # noqa: E402
                             month_of_claims, next_month)

EXAMPLES = [ROOT / "examples" / f for f in ("admission.jsonl", "lifecycle.jsonl",
                                            "reference.jsonl")]


# --- two fresh stores of one kind ----------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request, tmp_path):
    """Two fresh, empty stores of the same kind: (url, schema) each."""
    if request.param == "sqlite":
        yield [(f"sqlite:///{tmp_path / f'{n}.sqlite'}", None) for n in ("a", "b")]
        return
    made = [_postgres_schema() for _ in range(2)]
    try:
        yield [(str(engine.url), schema) for engine, schema in made]
    finally:
        import sqlalchemy as sa
        for engine, schema in made:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


@pytest.fixture
def two_ledgers(two_stores):
    ledgers = [open_ledger(url, schema) for url, schema in two_stores]
    try:
        yield ledgers
    finally:
        for ledger in ledgers:
            ledger.close()


# --- the drivers: the loop `ledger run` had, and the new one ------------------------------------
def shown(where: Any, answer: Any) -> str:
    """A line's answer as `ledger run --json` prints it."""
    if isinstance(answer, LedgerError):
        return json.dumps({"line": where, "rejected": answer.as_dict()}, ensure_ascii=False)
    return json.dumps({"line": where, **_plain(answer)}, ensure_ascii=False)


def line_by_line(ledger, lines: Iterable[tuple[Any, Any]]) -> list[str]:
    """The reference: each line parsed and applied alone, the clock advanced
    before each new date, as `ledger run`'s loop did before units of work."""
    out, clock = [], None
    for where, line in lines:
        try:
            if isinstance(line, LedgerError):
                raise line
            env, fields = parse(line)
            advance = clock is None or env.date > clock
            result = apply_parsed(ledger, env, fields, advance_clock=advance)
            clock = env.date if advance else clock
        except LedgerError as e:
            out.append(shown(where, e))
            continue
        out.append(shown(where, result))
    return out


def in_units(ledger, lines: Iterable[tuple[Any, Any]], **kw: Any) -> list[str]:
    """The run's loop over ``apply_lines``, as `ledger run --keep-going` has it."""
    return [shown(where, answer) for where, answer in apply_lines(ledger, lines, **kw)]


def file_lines(paths: list[Path]) -> Iterator[tuple[str, Any]]:
    for path in paths:
        for lineno, line in command_lines(path):
            yield f"{path.name}:{lineno}", line


# --- what a store holds, without recording instants --------------------------------------------
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


def _without_instants(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_instants(v) for k, v in value.items()
                if k not in ("timestamp", "_created_on", "_modified_on")}
    if isinstance(value, (list, tuple)):
        return [_without_instants(v) for v in value]
    if isinstance(value, datetime) or (isinstance(value, str) and INSTANT.fullmatch(value)):
        return "<instant>"
    return value


def stored(ledger) -> dict[str, Any]:
    """The log (position, aggregate, version, topic, body), every aggregate's
    state, the read models and the hash chain's length, instants left out."""
    from adapters.integrity import seal, verify
    from adapters.readmodels import catch_up, snapshot, view_for
    log, ids = [], []
    for position, event in ledger.read_log():
        log.append((position, str(event.originator_id), event.originator_version,
                    type(event).__qualname__, _without_instants(vars(event))))
        ids.append(event.originator_id)
    aggregates = {str(i): _without_instants(vars(ledger.repository.get(i)))
                  for i in dict.fromkeys(ids)}
    catch_up(ledger)
    models = {name: [_without_instants(list(row)) for row in rows]
              for name, rows in snapshot(view_for(ledger)).items()}
    seal(ledger)
    report = verify(ledger)
    return {"log": log, "aggregates": aggregates, "read_models": models,
            "chain": (report.ok, report.checked, report.unsealed)}


def assert_same_store(a, b) -> None:
    left, right = stored(a), stored(b)
    assert left["chain"][0] and right["chain"][0]
    for part in ("log", "aggregates", "read_models", "chain"):
        assert left[part] == right[part], part


# --- the same file, line by line and in units ---------------------------------------------------
def test_the_examples_in_units_leave_what_they_leave_line_by_line(two_ledgers):
    alone, units = two_ledgers
    expected = line_by_line(alone, file_lines(EXAMPLES))
    # small units, so their edges fall all over the files (ticks, refusals, repeats)
    got = in_units(units, file_lines(EXAMPLES), batch=7, seconds=60)
    assert got == expected
    assert_same_store(alone, units)


def _province_and_month(ledgers) -> list[dict[str, Any]]:
    months = list(generate(3, institutions=8, years=2, start_year=2024))
    for ledger in ledgers:
        load(ledger, months)
    month = next_month(latest_business_date(ledgers[0]))
    return month_of_claims(live_claimants(ledgers[0], month), month, seed=3)


def test_a_month_of_claims_in_units_with_refusals_and_repeats_inside_them(two_ledgers):
    alone, units = two_ledgers
    commands = _province_and_month(two_ledgers)
    lines: list[tuple[str, Any]] = [(f"claims:{i}", c) for i, c in enumerate(commands, 1)]
    submit = next(i for i, (_, c) in enumerate(lines) if c["command"] == "submit_claim")
    first = lines[submit][1]
    twice = {**first, "id": first["id"] + "-again"}       # PAY-01: one claim a month
    reused = {**lines[submit + 1][1], "fields": {**lines[submit + 1][1]["fields"]}}
    reused["id"] = first["id"]                              # an id used for another command
    lines[submit + 3:submit + 3] = [("twice", twice), ("repeat", first), ("reused", reused),
                                    ("broken", '{"id": "x", "command": "no_such"}')]
    lines.append(("repeat-later", first))                 # in another unit: from the store
    expected = line_by_line(alone, lines)
    got = in_units(units, lines, batch=50, seconds=60)
    assert got == expected
    answers = {json.loads(a)["line"]: json.loads(a) for a in got}
    assert answers["twice"]["rejected"]["rule"] == "PAY-01"
    assert answers["repeat"]["recorded"] is False
    assert {k: v for k, v in answers["repeat"].items() if k not in ("line", "recorded")} == \
        {k: v for k, v in answers[lines[submit][0]].items() if k not in ("line", "recorded")}
    assert answers["repeat-later"] == {**answers["repeat"], "line": "repeat-later"}
    assert answers["reused"]["rejected"]["error"] == "Conflict"
    assert answers["broken"]["rejected"]["error"] == "InvalidCommand"
    assert_same_store(alone, units)


# --- a refusal inside a unit -------------------------------------------------------------------
def _claims_of_one_agreement(ledger) -> list[dict[str, Any]]:
    months = list(generate(3, institutions=8, years=2, start_year=2024))
    load(ledger, months)
    month = next_month(latest_business_date(ledger))
    claimant = live_claimants(ledger, month)[0]
    return month_of_claims([claimant], month, seed=3)


def _records(ledger, commands: list[dict[str, Any]]) -> dict[str, bool]:
    from domain.service.commanding import command_record
    return {c["id"]: command_record(ledger, c["id"]) is not None for c in commands}


def test_a_stop_at_a_refusal_leaves_the_later_lines_of_its_unit_unapplied(ledger):
    commands = _claims_of_one_agreement(ledger)
    submit, draw = commands[0], commands[1]
    assert (submit["command"], draw["command"]) == ("submit_claim", "draw_sample")
    twice = {**submit, "id": "twice"}
    lines = [("submit", submit), ("twice", twice), ("draw", draw)]
    answers = []
    for where, answer in apply_lines(ledger, lines, batch=200, seconds=60):
        answers.append((where, answer))
        if isinstance(answer, LedgerError):
            break        # as `ledger run` without --keep-going stops
    assert [w for w, _ in answers] == ["submit", "twice"]
    assert answers[0][1]["recorded"] is True
    assert answers[1][1].rule == "PAY-01"
    assert _records(ledger, [submit, twice, draw]) == {submit["id"]: True, "twice": False,
                                                       draw["id"]: False}
    # going on from there applies the rest, on the state the refusal left
    rest = list(apply_lines(ledger, [("draw", draw)]))
    assert rest[0][1]["recorded"] is True


def test_a_command_refused_after_changing_a_mapped_aggregate_changes_nothing(ledger):
    """The map's own object was changed, then the command refused: the
    later lines see the claim as stored, not as the refused command left it."""
    from domain.claim import Claim
    from domain.errors import RuleViolation
    commands = _claims_of_one_agreement(ledger)
    submit, draw = commands[0], commands[1]
    real = type(ledger).draw_sample

    def draw_then_refuse(ctx, **args):
        claim = ledger.repository.get(Claim.id_for(Claim.key(args["agreement"],
                                                              args["month"])))
        claim.draw_sample(seed="meddled", effective_on=ctx.effective_on, envelope=ctx.envelope)
        raise RuleViolation("refused after drawing", rule="PAY-03")

    ledger.draw_sample = draw_then_refuse
    meddle = {**draw, "id": "meddle"}
    lines = [("submit", submit), ("meddle", meddle)]
    answers = list(apply_lines(ledger, lines, batch=200, seconds=60))
    assert answers[1][1].reason == "refused after drawing"
    ledger.draw_sample = real.__get__(ledger)
    drawn = list(apply_lines(ledger, [("draw", draw)], batch=200, seconds=60))
    assert drawn[0][1]["recorded"] is True and drawn[0][1]["seed"] != "meddled"
    claim = ledger.repository.get(Claim.id_for(Claim.key(draw["fields"]["agreement"],
                                                          draw["fields"]["month"])))
    assert claim.sample["seed"] == drawn[0][1]["seed"]


# --- a command that reads the log ----------------------------------------------------------------
def test_a_command_reading_the_log_runs_after_the_unit_before_it_is_written(two_ledgers):
    alone, units = two_ledgers
    lines = []
    for where, line in file_lines(EXAMPLES[:2]):     # up to the April claim of XY-JZ-2025-101
        lines.append((where, line))
        if '"jz-lc-018"' in line:
            break
    # May's claim bunched just under the review threshold: the screening finds it
    # only if it reads a log that holds the claim (SUP-06)
    items = [{"item_id": f"M{i}", "amount": "4890.00", "service_date": f"2025-05-0{i}",
              "injury": True, "description": "工伤门诊"} for i in range(1, 7)]
    claim = {"id": "may-claim", "command": "submit_claim", "date": "2025-05-09",
             "actor": {"user": "wang.fang", "role": "case_officer"},
             "fields": {"agreement": "XY-JZ-2025-101", "month": "2025-05", "items": items}}
    screening = {"id": "scr-1", "command": "run_screening", "date": "2025-05-09",
                 "actor": {"user": "zhang.min", "role": "case_officer"},
                 "fields": {"rules": ["amounts_under_threshold"]}}
    lines += [("claim", claim), ("screening", screening)]
    written = []
    real_commit = unit_of_work.commit

    def commit(app, unit):
        written.append(len(unit.events))
        return real_commit(app, unit)

    unit_of_work.commit = commit
    try:
        got = in_units(units, lines, batch=500, seconds=60)
    finally:
        unit_of_work.commit = real_commit
    assert got == line_by_line(alone, lines)
    answer = json.loads(got[-1])
    assert answer["alerts"] == 1 and len(answer["new_leads"]) == 1
    assert written[0] > 0        # the lines before it were written before it read the log
    assert_same_store(alone, units)


# --- a race lost at the unit's write -------------------------------------------------------------
def test_a_unit_that_loses_a_race_at_its_write_is_applied_again_line_by_line(store):
    url, schema = store
    ours, theirs = open_ledger(url, schema), open_ledger(url, schema)
    try:
        commands = _claims_of_one_agreement(ours)
        submit, draw, *reviews = commands[:5]
        assert [c["command"] for c in reviews[:1]] == ["review_sampled_item"]
        list(apply_lines(ours, [("submit", submit), ("draw", draw)]))

        real_review = ours.review_sampled_item

        def review_then_theirs(ctx, **args):
            answer = real_review(ctx, **args)
            if ctx.command_id == reviews[0]["id"]:
                # the other writer changes the same claim after our unit read it
                from adapters.commands import execute
                execute(theirs, {**reviews[1], "id": "theirs"})
            return answer

        ours.review_sampled_item = review_then_theirs
        lines = [("review-1", reviews[0]), ("review-2", reviews[1]), ("review-3", reviews[2])]
        lost = []
        real_commit = unit_of_work.commit

        def commit(app, unit):
            try:
                return real_commit(app, unit)
            except IntegrityError:
                lost.append(len(unit.events))
                raise

        unit_of_work.commit = commit
        try:
            answers = list(apply_lines(ours, lines, batch=200, seconds=60))
        finally:
            unit_of_work.commit = real_commit
        assert lost, "the unit's write did not lose the race"
        assert [w for w, _ in answers] == ["review-1", "review-2", "review-3"]
        assert answers[0][1]["recorded"] is True
        # review-2 names the item the other writer reviewed: refused by the
        # claim as it now stands, never recorded twice
        assert isinstance(answers[1][1], LedgerError)
        assert answers[2][1]["recorded"] is True
        assert _records(ours, [reviews[0], reviews[1], reviews[2]]) == \
            {reviews[0]["id"]: True, reviews[1]["id"]: False, reviews[2]["id"]: True}
    finally:
        ours.close()
        theirs.close()


def test_a_unit_broken_off_by_an_unexpected_error_writes_nothing_and_leaves_no_trace(ledger):
    """Not a refusal (a bug, an interrupt): the error goes to the caller,
    nothing of the unit is written and the cache holds none of its changes."""
    from domain.claim import Claim
    commands = _claims_of_one_agreement(ledger)
    submit, draw = commands[0], commands[1]
    list(apply_lines(ledger, [("submit", submit)]))
    claim_id = Claim.id_for(Claim.key(draw["fields"]["agreement"], draw["fields"]["month"]))
    real = type(ledger).draw_sample

    def draw_then_break(ctx, **args):
        real(ledger, ctx, **args)                # the unit's claim now holds a drawn sample
        raise KeyboardInterrupt

    ledger.draw_sample = draw_then_break
    with pytest.raises(KeyboardInterrupt):
        list(apply_lines(ledger, [("draw", draw)]))
    del ledger.draw_sample
    assert ledger.repository.get(claim_id).sample is None
    assert _records(ledger, [draw]) == {draw["id"]: False}
    assert list(apply_lines(ledger, [("draw", draw)]))[0][1]["recorded"] is True


def test_a_write_refused_inside_a_unit_gives_its_lines_alone_with_their_retry(ledger):
    """The store refuses every write of the agreement (as if other writers
    always got there first): inside the unit the retry would be handed the
    unit's own, already changed, agreement; given alone it meets fresh copies
    and ends as Contended, and the next line is applied."""
    from tests.builders import effective_agreement
    from tests.conftest import Clerk
    effective_agreement(Clerk(ledger))
    real_save = ledger.save

    def save(*aggregates, **kwargs):
        if any(type(a).__name__ == "Agreement" for a in aggregates):
            raise IntegrityError("forced: another writer stored this version first")
        return real_save(*aggregates, **kwargs)

    ledger.save = save
    suspend = {"id": "run-1", "command": "suspend_agreement", "date": "2025-03-03",
               "actor": {"user": "wang.li", "role": "case_officer"}, "document": "中止-1",
               "fields": {"agreement": "XY-2025-001", "kind": "mandatory", "ground": "M38-2",
                          "notice_no": "中止-1"}}
    tick = {"id": "run-2", "command": "tick", "date": "2025-03-04",
            "actor": {"user": "wang.li", "role": "case_officer"}, "fields": {"to": "2025-03-04"}}
    answers = list(apply_lines(ledger, [("suspend", suspend), ("tick", tick)]))
    assert [w for w, _ in answers] == ["suspend", "tick"]
    assert type(answers[0][1]).__name__ == "Contended", answers[0][1]
    assert answers[0][1].rule == "AUD-01"
    assert answers[1][1]["command"] == "tick"
