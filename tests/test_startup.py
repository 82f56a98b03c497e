"""A fast start (issue #14 point 4), by what is loaded and asked, not by a
clock (speed is measured in scripts/bench.py): ``ledger --help`` imports
no domain, database or read-model code (pydantic is typer's own import); a
command imports what it needs when it runs; opening a set-up store asks
two queries and changes nothing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy", "eventsourcing", "domain", "projections",
         "adapters.readmodels", "adapters.settings", "adapters.commands",
         "adapters.cli_service", "adapters.cli_supervision", "openpyxl", "matplotlib")


def loaded_after(code: str) -> set[str]:
    probe = (f"import sys\n{code}\n"
             "print('\\n'.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_ledger_help_loads_typer_and_the_cli_only():
    modules = loaded_after("from adapters.cli import app\n"
                           "try:\n    app(['--help'])\nexcept SystemExit:\n    pass")
    assert heavy(modules) == []
    assert "adapters.cli_queries" in modules and "adapters.cli_audit" in modules


def test_each_commands_help_loads_nothing_heavy_either():
    code = ("from adapters.cli import app\n"
            "for name in ['status', 'positions', 'history', 'reconcile', 'verify', 'run']:\n"
            "    try:\n        app([name, '--help'])\n    except SystemExit:\n        pass")
    assert heavy(loaded_after(code)) == []


def test_serve_user_and_supervision_load_when_asked_for():
    modules = loaded_after("from adapters.cli import app\n"
                           "try:\n    app(['supervision', '--help'])\nexcept SystemExit:\n"
                           "    pass")
    assert "adapters.cli_supervision" in modules and "adapters.cli_service" not in modules


def test_the_store_setting_is_named_once():
    from adapters.cli_common import URL_SETTING
    from adapters.settings import URL_SETTING as SETTING
    assert URL_SETTING == SETTING


def test_opening_a_set_up_store_asks_two_queries_and_changes_nothing(store):
    from adapters.integrity import engine_of, init_store
    from adapters.settings import open_ledger
    ledger = open_ledger(*store)
    try:
        asked: list[str] = []
        sa.event.listen(engine_of(ledger), "before_cursor_execute",
                        lambda conn, cursor, statement, *rest: asked.append(statement))
        done = init_store(ledger)
        assert done["chain_table_created"] is False and done["triggers_installed"] == []
        assert len(asked) == 2, asked
        assert not any(s.lstrip().upper().startswith(("CREATE", "INSERT", "DROP"))
                       for s in asked)
    finally:
        ledger.close()


def test_a_store_missing_its_triggers_gets_them_back_on_opening(store):
    from adapters.integrity import engine_of, init_store
    from adapters.settings import open_ledger
    ledger = open_ledger(*store)
    try:
        engine = engine_of(ledger)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(sa.text("DROP TRIGGER ledger_chain_no_delete"))
            else:
                conn.execute(sa.text(f'DROP TRIGGER ledger_chain_no_truncate ON '
                                     f'"{store[1]}".ledger_chain'))
        done = init_store(ledger)
        assert done["triggers_installed"] in (["ledger_chain_no_delete"],
                                              ["ledger_chain_no_truncate"])
        assert init_store(ledger)["triggers_installed"] == []
    finally:
        ledger.close()


def test_a_question_at_the_head_can_read_the_tables_without_the_recorder_or_the_projection():
    """What a question whose read models are at the log's head needs (the
    catch-up entry points, the tables on a bare engine, the status and log
    questions) loads no eventsourcing recorder, ORM or datastore, no
    projection and no ledger service: those are for applying events."""
    modules = loaded_after("from adapters.readmodels import RebuildUnfinished, catch_up, view_for\n"
                           "from adapters.readmodels import status_as_of, log_position\n"
                           "from adapters.readmodels.tables import ReadModelTables")
    for unwanted in ("eventsourcing_sqlalchemy", "sqlalchemy.orm", "sqlalchemy_utils",
                     "adapters.readmodels.projection", "adapters.readmodels.schema",
                     "domain.service", "projections.supervision", "projections.status"):
        assert unwanted not in modules, unwanted


def _collector_after(code: str) -> tuple[int, int]:
    """In a fresh interpreter, after ``code``: (a number it prints, the
    collector's frozen object count)."""
    done = subprocess.run([sys.executable, "-c", f"import gc\n{code}\n"
                           "print(gc.get_freeze_count())"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    value, frozen = done.stdout.split()[-2:]
    return int(value), int(frozen)


def test_a_ledger_process_collects_less_and_freezes_what_it_started_with():
    """`ledger` (main) sets the cyclic collector for a process that gives one
    command (adapters/collector.py): young collections every 20,000 new
    objects, not Python's 700, and what it imported frozen out of later
    collections."""
    young, frozen = _collector_after("import sys\nfrom adapters import cli\n"
                                     "sys.argv = ['ledger', '--help']\n"
                                     "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
                                     "print(gc.get_threshold()[0])")
    assert young == 20_000 and frozen > 1000


def test_the_service_once_up_freezes_what_it_holds_and_keeps_pythons_thresholds():
    """A long-lived process freezes what it started with (``settle``) but
    keeps the default thresholds, under which each request's garbage cycles
    are collected young instead of piling up."""
    same, frozen = _collector_after("from adapters.collector import settle\n"
                                    "before = gc.get_threshold()\nsettle()\n"
                                    "print(int(gc.get_threshold() == before))")
    assert same == 1 and frozen > 1000
