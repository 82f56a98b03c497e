"""The timeline's summaries in the reader's words (issue #17): a person reads
each field by its Chinese name with its codes in words (the M 12 materials
as the measures name them, statuses, roles, kinds) and amounts in yuan; JSON
keeps ``field=value`` with the codes, as it always had."""
from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest
from typer.testing import CliRunner

import domain
from adapters.boundary import command_lines
from adapters.cli import app
from adapters.labels import catalogue
from adapters.settings import open_ledger
from adapters.summaries import BY_AGGREGATE, FIELD_GROUPS, Summary
from adapters.timeline import _SKIP, Subject, timeline
from domain.application import MATERIALS
from domain.base import LedgerAggregate
from domain.errors import LedgerError
from tests.test_reference_examples import FILES, ROOT, Run


def event_fields() -> set[str]:
    """Every field of every event the domain records (those a summary shows)."""
    found: set[str] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for aggregate in vars(module).values():
            if not (inspect.isclass(aggregate) and issubclass(aggregate, LedgerAggregate)):
                continue
            for event in vars(aggregate).values():
                if inspect.isclass(event) and issubclass(event, LedgerAggregate.Event):
                    for cls in event.__mro__:
                        found.update(getattr(cls, "__annotations__", {}))
    return found - _SKIP


def test_every_field_an_event_records_has_its_name_in_the_catalogue():
    assert sorted(f for f in event_fields() if f"event_field.{f}" not in catalogue()) == []


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('summaries') / 'ledger.sqlite'}"
    ledger = open_ledger(url)
    run = Run(ledger)
    try:
        for name in FILES:
            for _, line in command_lines(ROOT / "examples" / name):
                try:
                    run.apply(line)
                except LedgerError:
                    continue     # test_reference_examples names any refusal
        rows = [r for code in ("TY-H001", "TY-R001", "TY-A001")
                for r in timeline(ledger, Subject("institution", code)).rows]
    finally:
        ledger.close()
    return url, rows


def test_a_summary_is_english_field_value_text_and_chinese_words_said(store):
    _, rows = store
    notice = next(r for r in rows if r.event == "Application.MaterialsNoticeSent")
    assert isinstance(notice.summary, Summary)
    assert "missing=[" in notice.summary and "fund_use_forecast" in notice.summary
    zh = notice.summary.say("zh")
    assert "缺少材料：" in zh and MATERIALS["fund_use_forecast"].split(" (")[0] in zh
    assert "fund_use_forecast" not in zh and "=" not in zh
    assert notice.summary.say("en") == str(notice.summary)


def test_no_summary_leaves_a_field_name_or_a_worded_code_in_english(store):
    _, rows = store
    problems = []
    for row in rows:
        zh = row.summary.say("zh")
        for name, value in row.summary.pieces:
            aggregate = row.event.split(".")[0]
            worded = name in FIELD_GROUPS or aggregate in BY_AGGREGATE.get(name, {})
            if f"{name}=" in zh or f"{name}：" in zh:
                problems.append(f"{row.event}: field {name} in {zh}")
            raw = dict(p.split("=", 1) for p in str(row.summary).split("; ") if "=" in p)
            if worded and raw.get(name, "-") not in ("-", "") and value == raw[name]:
                problems.append(f"{row.event}: {name}={value} has no words")
    assert problems == []


def test_ledger_history_shows_chinese_summaries_and_its_json_keeps_the_codes(store):
    url, _ = store
    env = {"COLUMNS": "2000", "LEDGER_PROGRESS": "never"}
    table = CliRunner().invoke(app, ["history", "--institution", "TY-H001", "--all",
                                     "--db", url], env=env)
    assert table.exit_code == 0, table.output
    assert "缺少材料：" in table.output and "missing=" not in table.output
    english = CliRunner().invoke(app, ["--lang", "en", "history", "--institution", "TY-H001",
                                       "--all", "--db", url], env=env)
    assert "missing=[" in english.output
    data = json.loads(CliRunner().invoke(app, ["history", "--institution", "TY-H001",
                                               "--json", "--all", "--db", url], env=env).output)
    assert any("missing=[" in r["summary"] for r in data["rows"])
