"""Every JSON example in the docs is applied by a test (issue #13).

The command reference's examples (adapters/specs/*.md, one section a command)
continue a story: ``examples/admission.jsonl``, ``examples/lifecycle.jsonl``
and ``examples/reference.jsonl`` are run first, as one ``ledger run`` would,
and then every example in the order ``adapters.specs.SPECS`` lists the
commands. Each must be accepted and recorded: an example that names an
agreement no file creates, or repeats something already done, teaches a
reader a command that would be refused. The JSON lines written by hand
elsewhere in the docs (the envelope example of docs/commands.md, the README)
are applied too, unless they are one of the reference's examples.

SQLite only: what is proven here is the examples, not the store (every store
test runs on both).
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.boundary import command_lines
from adapters.commands import apply_parsed, parse
from adapters.settings import open_ledger
from adapters.specs import SPECS, describe
from adapters.specs.reference import BEGIN, END, section_text
from domain.errors import LedgerError

ROOT = Path(__file__).resolve().parents[1]
FILES = ("admission.jsonl", "lifecycle.jsonl", "reference.jsonl")


def reference_examples() -> list[tuple[str, str]]:
    """(command, line) for every JSON example of the reference, in SPECS order."""
    return [(name, line) for name in SPECS for line in section_text(name).splitlines()
            if line.startswith('{"id"')]


def hand_written_examples() -> list[tuple[str, str]]:
    """(where, line) for every JSON command line of the docs outside the
    generated reference: README.md and docs/*.md."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        if BEGIN in text:   # the generated part is the reference's examples
            text = text[:text.index(BEGIN)] + text[text.index(END) + len(END):]
        found += [(path.name, line.strip()) for line in text.splitlines()
                  if line.strip().startswith('{"id"')]
    return found


class Run:
    """Lines applied as one ``ledger run`` applies them (adapters/cli.py): the
    clock moves only to a date later than every date seen so far."""

    def __init__(self, ledger):
        self.ledger = ledger
        self.clock: date | None = None

    def apply(self, line: str) -> dict[str, Any]:
        env, fields = parse(line)
        advance = self.clock is None or env.date > self.clock
        result = apply_parsed(self.ledger, env, fields, advance_clock=advance)
        self.clock = env.date if advance else self.clock
        return result


def _recorded(result: dict[str, Any]) -> bool:
    # tick keeps no command record: its `recorded` is the list of what fell due
    return isinstance(result.get("recorded"), list) if result.get("command") == "tick" \
        else result.get("recorded") is True


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The three files, then every reference example, then the hand-written
    examples, on one fresh SQLite store: what each line answered."""
    ledger = open_ledger(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ledger.sqlite'}")
    run = Run(ledger)
    answers: dict[str, list[tuple[str, Any]]] = {"files": [], "reference": [], "hand": []}
    try:
        for name in FILES:
            for lineno, line in command_lines(ROOT / "examples" / name):
                where = f"{name}:{lineno}"
                try:
                    if isinstance(line, LedgerError):
                        raise line
                    answers["files"].append((where, run.apply(line)))
                except LedgerError as e:
                    answers["files"].append((where, e))
        # a second run of the file answers every id with its first result
        answers["again"] = [(f"reference.jsonl:{n}", run.apply(line)) for n, line in
                            command_lines(ROOT / "examples" / "reference.jsonl")]
        applied = set()
        for name, line in reference_examples():
            where = f"{name} example {json.loads(line)['id']}"
            try:
                answers["reference"].append((where, run.apply(line)))
            except LedgerError as e:
                answers["reference"].append((where, e))
            applied.add(json.dumps(json.loads(line), sort_keys=True))
        for where, line in hand_written_examples():
            if json.dumps(json.loads(line), sort_keys=True) in applied:
                continue    # the reference's own example, applied above
            try:
                answers["hand"].append((where, run.apply(line)))
            except LedgerError as e:
                answers["hand"].append((where, e))
    finally:
        ledger.close()
    return answers


def _problems(answers: list[tuple[str, Any]]) -> list[str]:
    out = []
    for where, result in answers:
        if isinstance(result, LedgerError):
            out.append(f"{where}: REJECTED {result}")
        elif not _recorded(result):
            out.append(f"{where}: recorded nothing new ({result.get('command_id')} repeats an id)")
        elif not describe(result).strip():
            out.append(f"{where}: no sentence for {result}")
    return out


def test_the_worked_files_run_clean_one_after_another(story):
    assert {where.split(":")[0] for where, _ in story["files"]} == set(FILES)
    assert _problems(story["files"]) == []


def test_the_reference_story_run_again_records_nothing_new(story):
    assert story["again"] and all(result["recorded"] is False for _, result in story["again"])


def test_every_json_example_of_the_reference_is_recorded_after_the_worked_files(story):
    assert len(story["reference"]) == len(reference_examples()) >= len(SPECS)
    assert _problems(story["reference"]) == []
    told = {where.split()[0]: describe(result, "en") for where, result in story["reference"]}
    assert told["decline_application"] == "Application SQ-2025-007 not accepted (不予受理)."
    assert re.match(r"Agreement XY-TY-2026-001 ended on ground MA44-1", told["terminate_agreement"])


def test_every_hand_written_json_example_is_applied_or_is_a_reference_example(story):
    written = hand_written_examples()
    assert written, "docs/commands.md's envelope example is found"
    assert _problems(story["hand"]) == []


def test_every_command_id_is_used_once_across_the_files_and_the_examples():
    ids = [json.loads(line)["id"] for name in FILES
           for _, line in command_lines(ROOT / "examples" / name) if isinstance(line, str)]
    ids += [json.loads(line)["id"] for _, line in reference_examples()]
    ids += [json.loads(line)["id"] for _, line in hand_written_examples()
            if line not in {x for _, x in reference_examples()}]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
