"""The service split by subject (issue #13) changed no command and no stored
byte: every command keeps its name and signature, a log written before the
split reads back to the same read models on both stores, and the command
files that wrote it, given again, are recognised line by line (the same
fingerprints) and record nothing. The clock is a command like the others:
role-checked, though it keeps no record.

The fixture (tests/data/service_before.*) was written by the service as it
stood before the split (commit d3a2337): the two example files as they were
then, run into an SQLite store, and its read models' snapshot. Never
regenerate it with later code: it is the "before".
"""
from __future__ import annotations

import inspect
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from typer.testing import CliRunner

from adapters.readmodels import rebuild, snapshot, view_for
from adapters.settings import open_ledger
from domain.base import Context
from domain.roles import NotPermitted
from domain.service import COMMANDS, Ledger
from tests.builders import effective_agreement, tick

DATA = Path(__file__).parent / "data"
BEFORE = DATA / "service_before.sqlite"
FILES = [DATA / "service_before.admission.jsonl", DATA / "service_before.lifecycle.jsonl"]
ROOT = Path(__file__).resolve().parents[1]
MODULE_LINES = 600


# --- the commands keep their names and signatures ---------------------------------------
def test_every_command_of_the_command_files_is_a_ledger_method_of_the_same_name():
    from adapters.commands import MODELS
    missing = sorted(name for name in MODELS if not callable(getattr(Ledger, name, None)))
    assert not missing
    assert set(MODELS) <= set(COMMANDS)


def test_every_public_method_of_the_ledger_before_the_split_keeps_its_signature():
    before = json.loads((DATA / "service_before.methods.json").read_text())["methods"]
    # eventsourcing's hook, which the ledger overrode to register its
    # transcodings; those are the adapters' now (adapters/transcodings.py)
    del before["register_transcodings"]
    assert not any("register_transcodings" in vars(cls) for cls in Ledger.__mro__
                   if cls.__module__.startswith("domain."))
    now = {name: str(inspect.signature(getattr(Ledger, name)))
           for name in before if hasattr(Ledger, name)}
    assert sorted(set(before) - set(now)) == []
    assert {n: s for n, s in now.items() if s != before[n]} == {}


def test_the_ledger_keeps_its_name_module_and_helpers_callers_import():
    from domain.service import _plain, fingerprint   # noqa: F401 - imported by adapters
    assert (Ledger.__module__, Ledger.__qualname__, Ledger.name) == \
        ("domain.service", "Ledger", "Ledger")


def test_no_module_of_the_service_or_the_policies_passes_600_lines():
    for folder in ("domain/service", "domain/policies"):
        for path in sorted((ROOT / folder).glob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= MODULE_LINES, f"{path.relative_to(ROOT)}: {lines} lines"


# --- a log written before the split -----------------------------------------------------
def _canonical(snap: dict) -> dict:
    """Rows as JSON values, sorted: the two stores return dates, decimals and
    booleans as different Python types, and the stored snapshot is JSON."""
    out = {}
    for name, rows in snap.items():
        rows = json.loads(json.dumps(rows, default=str))
        out[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def _copy_before(store, tmp_path):
    """The store written before the split, on the test's store: the SQLite
    file itself, or its stored events, byte for byte, into PostgreSQL."""
    url, schema = store
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        shutil.copyfile(BEFORE, path)
        return open_ledger(url, schema)
    ledger = open_ledger(url, schema)
    with sqlite3.connect(BEFORE) as conn:
        rows = conn.execute("SELECT originator_id, originator_version, topic, state "
                            "FROM ledger_events ORDER BY id").fetchall()
    ledger.recorder.insert_events([StoredEvent(UUID(bytes=bytes(o)), v, t, bytes(s))
                                   for o, v, t, s in rows])
    return ledger


def _run(store, monkeypatch, files) -> tuple[int, str]:
    import adapters.cli as cli
    from adapters import settings
    monkeypatch.setattr(cli, "open_ledger",
                        lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    result = CliRunner().invoke(cli.app, ["run", *map(str, files), "--db", store[0]])
    return result.exit_code, result.output


def test_aud02_a_log_written_before_the_split_rebuilds_the_same_read_models(store, tmp_path):
    ledger = _copy_before(store, tmp_path)
    try:
        assert ledger.recorder.max_notification_id() == 154
        rebuild(ledger, workers=1)
        now = _canonical(snapshot(view_for(ledger)))
    finally:
        ledger.close()
    before = _canonical(json.loads((DATA / "service_before.snapshot.json").read_text()))
    # views added since (the per-subject index, names) have tests of their
    # own against the fold; every view the snapshot holds must be unchanged
    assert set(now) >= set(before)
    now = {k: v for k, v in now.items() if k in before}
    assert {k: len(v) for k, v in now.items()} == {k: len(v) for k, v in before.items()}
    assert now == before


def test_aud01_the_files_that_wrote_it_are_answered_from_their_records(store, tmp_path,
                                                                       monkeypatch):
    """Same fingerprints: a changed one would be refused as a Conflict (exit 1)."""
    ledger = _copy_before(store, tmp_path)
    ledger.close()
    code, output = _run(store, monkeypatch, FILES)
    assert code == 0, output
    given = [json.loads(line) for path in FILES
             for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    recorded = [c for c in given if c["command"] != "tick"]   # the clock keeps no record
    answered = [line for line in output.splitlines()
                if line.endswith("（此前已记录，未新增记录）")]
    assert len(answered) == len(recorded) == 57, output
    ledger = open_ledger(*store)
    try:
        assert ledger.recorder.max_notification_id() == 154
    finally:
        ledger.close()


# --- the clock is a command ---------------------------------------------------------------
@pytest.fixture
def clock_clerk(memory_ledger):
    from tests.conftest import Clerk
    clerk = Clerk(memory_ledger)
    effective_agreement(clerk)   # XY-2025-001, in force from 2025-03-01
    return clerk


@pytest.mark.parametrize("role", ["finance", "evaluator", "auditor", "investigator"])
def test_aud04_a_role_that_may_not_record_it_cannot_let_time_pass(clock_clerk, role):
    ledger = clock_clerk.ledger
    count = ledger.recorder.max_notification_id()
    with pytest.raises(NotPermitted):
        ledger.tick(Context("tick:2025-12-31", date(2025, 12, 31), "li.fin", role),
                    to=date(2025, 12, 31))
    assert ledger.recorder.max_notification_id() == count


@pytest.mark.parametrize("role", ["system", "administrator", "case_officer"])
def test_aud04_the_clock_stamps_what_it_records_as_the_system(clock_clerk, role):
    ledger = clock_clerk.ledger
    clock_clerk("suspend_agreement", "2025-04-01", agreement="XY-2025-001", kind="voluntary",
                ground="", start=None, requested_on=date(2025, 3, 25),
                planned_days=None, months=None, notice_no="中止-1")
    result = ledger.tick(Context("tick:2025-12-31", date(2025, 12, 31), "ops.wang", role),
                         to=date(2025, 12, 31))
    assert [r["event"] for r in result["recorded"]] == ["Ended"]
    ended = [e for _, e in ledger.read_log() if type(e).__qualname__ == "Agreement.Ended"][-1]
    assert (ended.envelope.user, ended.envelope.role, ended.envelope.command_id) == \
        ("ops.wang", "system", "tick:2025-12-31")


def test_sus02_a_tick_run_again_records_nothing_and_keeps_no_command_record(clock_clerk):
    ledger = clock_clerk.ledger
    clock_clerk("suspend_agreement", "2025-04-01", agreement="XY-2025-001", kind="voluntary",
                ground="", start=None, requested_on=date(2025, 3, 25),
                planned_days=None, months=None, notice_no="中止-1")
    first = tick(clock_clerk, "2025-12-31")
    count = ledger.recorder.max_notification_id()
    again = tick(clock_clerk, "2025-12-31")
    assert first["recorded"] and again["recorded"] == []
    assert ledger.recorder.max_notification_id() == count
    assert not [e for _, e in ledger.read_log()
                if type(e).__qualname__ == "CommandRecord.Handled"
                and e.command_id.startswith("tick:")]


def test_sus02_the_same_days_tick_given_later_records_what_fell_due_since(clock_clerk):
    """Why the clock keeps no record: a record would answer the night's tick
    with the morning's (empty) result and miss the ending a backdated
    suspension recorded at noon made due."""
    nothing = tick(clock_clerk, "2025-12-31")
    assert nothing["recorded"] == []
    clock_clerk("suspend_agreement", "2025-12-31", agreement="XY-2025-001", kind="voluntary",
                ground="", start=date(2025, 4, 1), requested_on=date(2025, 3, 25),
                planned_days=None, months=None, notice_no="中止-1")
    later = tick(clock_clerk, "2025-12-31")
    assert [(r["event"], r["on"], r["ground"]) for r in later["recorded"]] == \
        [("Ended", "2025-09-29", "AUTO-SUS-180")]   # day 180 of 2025-04-01 is 2025-09-28
