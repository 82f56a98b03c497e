"""The supervision reference's examples (adapters/specs/supervision.md)
continue the reference's story: after the worked files and every other
command's examples, each is accepted and recorded, and told in a sentence.

Until adapters/specs/__init__.py lists the supervision specs, this test adds
them to the validation itself; once listed, tests/test_reference_examples.py
applies them in the same order and this test checks the same thing twice.
SQLite only, as there: what is proven is the examples, not the store.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import adapters.specs as specs
from adapters.boundary import command_lines
from adapters.settings import open_ledger
from adapters.specs import supervision
from adapters.cli_supervision import supervised
from domain.errors import LedgerError
from tests.test_reference_examples import FILES, Run, reference_examples
from tests import supervision_fold as fold

ROOT = Path(__file__).resolve().parents[1]


def supervision_examples() -> list[tuple[str, str]]:
    """(command, line) for each example of supervision.md, in its SPECS order."""
    text = (ROOT / "adapters" / "specs" / "supervision.md").read_text(encoding="utf-8")
    parts = re.split(r"(?m)^## ([a-z_]+)\n", text)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}
    assert list(sections) == [s.name for s in supervision.SPECS], "a section per spec, in order"
    return [(name, line) for name in sections for line in sections[name].splitlines()
            if line.startswith('{"id"')]


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    for s in supervision.SPECS:
        patch.setitem(specs.MODELS, s.name, s.model)
    ledger = supervised(open_ledger(f"sqlite:///{tmp_path_factory.mktemp('sup') / 'l.sqlite'}"))
    run = Run(ledger)
    out = []
    try:
        for name in FILES:
            for _, line in command_lines(ROOT / "examples" / name):
                if not isinstance(line, LedgerError):
                    run.apply(line)
        for name, line in reference_examples():
            if name not in specs.SPECS or specs.SPECS[name].module != "supervision":
                try:
                    run.apply(line)
                except LedgerError:
                    pass    # tests/test_reference_examples.py names it; here the story goes on
        for name, line in supervision_examples():
            try:
                out.append((name, run.apply(line)))
            except LedgerError as e:
                out.append((name, e))
        yield out, ledger
    finally:
        ledger.close()
        patch.undo()


def test_sup07_every_supervision_example_is_recorded_after_the_story(answers):
    results, _ = answers
    problems = [f"{name}: {r}" for name, r in results
                if isinstance(r, LedgerError) or r.get("recorded") is not True]
    assert not problems, "\n".join(problems)
    for name, r in results:
        spec = next(s for s in supervision.SPECS if s.name == name)
        assert spec.say(r).strip(), name


def test_sup04_the_storys_case_is_closed_and_its_draw_reruns_from_the_ledger(answers):
    results, ledger = answers
    found = fold.institution_supervision(ledger, "TY-H001", ledger.viewer("os:auditor", "auditor"))
    case = next(c for c in found["cases"] if c["case"] == "AJ-TY-2026-015")
    assert case["status"] == "unfounded" and case["leads"] == ["TS-TY-2026-031",
                                                                "JB-TY-2026-007"]
    proof = ledger.draw_proof("DRW-TY-2026-12")
    assert proof["ok"], proof["checks"]
    assert json.dumps(proof["result"], ensure_ascii=False)
