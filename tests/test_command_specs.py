"""A command is declared once (issue #13): its spec in adapters/specs/ gives
the validation, the handler, the roles, the result sentence and the
reference. These tests prove that everything derived agrees with the specs."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.commands import parse
from adapters.specs import GROUPS, MODELS, SPECS, describe, roles_for
from adapters.specs.reference import replace_in, section_text
from domain.service import Ledger

PAGE = Path(__file__).resolve().parents[1] / "docs" / "commands.md"


def test_the_command_reference_in_docs_is_generated_from_the_specs():
    current = PAGE.read_text(encoding="utf-8")
    assert replace_in(current) == current, "run: python scripts/commands_doc.py"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_spec_has_its_handler_taking_exactly_its_fields(name):
    handler = getattr(Ledger, name, None)
    assert handler is not None, f"Ledger has no handler {name}"
    params = [p for p in inspect.signature(handler).parameters.values()
              if p.kind is p.KEYWORD_ONLY]
    assert {p.name for p in params} == set(SPECS[name].model.model_fields), \
        "the handler's keyword arguments are the spec's fields"


def test_every_ledger_command_handler_has_a_spec():
    handlers = {n for n in dir(Ledger)     # dir(): the handlers may come from mixins
                if not n.startswith("_") and callable(f := getattr(Ledger, n))
                and "ctx" in inspect.signature(f).parameters}
    # the statement import is recorded by `ledger reconcile`, never from a command file
    assert handlers - set(SPECS) == {"record_statement_import"}


def _field_table(text: str) -> set[str]:
    """The names in the first column of the section's table of fields."""
    names, inside = set(), False
    for line in text.splitlines():
        if line.startswith("| field |"):
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                break
            names.update(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return names


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_command_has_its_reference_and_its_table_names_its_fields(name):
    text = section_text(name)
    assert text, f"adapters/specs/{SPECS[name].module}.md has no section for {name}"
    fields = {info.alias or f for f, info in SPECS[name].model.model_fields.items()}
    assert _field_table(text) == fields, "the reference's table of fields is the model's"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_json_example_in_the_reference_is_a_valid_command_of_its_section(name):
    examples = [json.loads(x) for x in section_text(name).splitlines() if x.startswith('{"id"')]
    assert examples, f"{name} has no example"
    for example in examples:
        env, _ = parse(example)
        assert env.command == name


def test_the_groups_and_roles_come_from_the_specs():
    from adapters.cli import app
    result = CliRunner().invoke(app, ["commands", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [r["command"] for r in listed] == list(SPECS)
    assert {r["group"] for r in listed} == set(GROUPS)
    pay = next(r for r in listed if r["command"] == "record_payee_account")
    assert pay["roles"] == ["finance", "administrator"] == list(roles_for(pay["command"]))
    assert set(MODELS) == set(SPECS)


def test_a_result_is_told_in_its_specs_sentence_and_a_repeat_says_so():
    result = {"command": "withdraw_application", "application": "SQ-1", "recorded": True}
    assert describe(result) == "申请 SQ-1 已撤回。"
    assert describe(result, "en") == "Application SQ-1 withdrawn."
    assert describe({**result, "recorded": False}, "en").endswith(
        "(already recorded earlier; nothing new)")
    assert describe({"command": "file_agreement", "agreement": "XY-1", "filing_ref": "备-1",
                     "recorded": True}, "en").startswith("Agreement XY-1 filed")
