"""The README's demo runs end to end on a fresh SQLite store."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The README demo, run once on a fresh SQLite store: (what it printed, the store)."""
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    # the demo narrates in English, so its results are told in English too
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", db],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "LEDGER_LANG": "en"})
    assert out.returncode == 0, out.stderr
    return out.stdout, db


@pytest.fixture(scope="module")
def demo_text(demo_run):
    return demo_run[0]


def section(text: str, title: str) -> list[str]:
    """The lines of the demo's table headed '== title', up to the blank line."""
    block = text.split(f"\n== {title}", 1)[1].split("\n\n", 1)[0]
    return block.splitlines()[1:]


def cli(db: str, *args: str):
    """What `ledger ... --json` answers on the same store."""
    from typer.testing import CliRunner

    from adapters.cli import app
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_demo_runs_and_tells_what_happened_in_words(demo_text):
    text = demo_text
    assert "PASSED with 95 points" in text
    assert "REFUSED [ADM-04]" in text and "REFUSED [ADM-03]" in text and "M 11(4)" in text
    assert "The re-evaluation failed too" in text


def test_the_demo_shows_a_suspension_an_automatic_ending_and_a_listed_termination(demo_text):
    text = demo_text
    assert "XY-TY-2025-004 ended on 2025-10-29 (AUTO-SUS-180)" in text
    assert "must now end the agreement (TER-02, M 39(1))" in text
    listed = text.split("== Public list of ended agreements")[1].split("==")[0]
    assert "XY-TY-2025-001" in listed and "M39-1" in listed and "not a breach" in listed


def test_the_demo_settles_a_year_of_claims_and_returns_90_percent_on_a_score_of_85(demo_text):
    text = demo_text
    assert text.count("withheld") >= 12 and "LATE (after the 25th)" in text
    assert "deducted 5x = 6,000.00 (PAY-03)" in text
    assert "assessed for 2025 on form F6-medical-rehab: 85 points" in text
    assert "90% returned" in text and "AUD-06 broken" not in text
    fund_table = text.split("== Fund positions")[1].split("==")[0]
    assert "XY-JZ-2025-001 2025" in fund_table and "6000.00" in fund_table


# --- the demo prints what the CLI answers (issue #12) ----------------------------------------
# Each expected line is made here from the CLI's JSON, so a demo that folded the
# log its own way (it once showed, "on 2025-12-31", a status "continued under
# M 51" and 4 deadlines where the CLI shows "active" and 6) fails on the rows.
def test_aud03_the_demo_s_agreements_on_31_december_are_what_ledger_status_answers(demo_run):
    text, db = demo_run
    rows = cli(db, "status", "--on", "2025-12-31")
    assert section(text, "Agreements on 2025-12-31") == [
        f"  {r['valid_from']}  {r['agreement']}  {r['institution']:8} {r['status']:12} "
        f"{r['why']}" for r in rows]
    jz = next(r for r in rows if r["agreement"] == "XY-JZ-2025-001")
    assert jz["status"] == "active"   # its M 51 continuation begins on 2026-01-01


def test_aud03_the_demo_s_open_deadlines_are_what_ledger_deadlines_answers(demo_run):
    text, db = demo_run
    rows = cli(db, "deadlines", "--on", "2025-12-31")
    assert section(text, "Open deadlines on 2025-12-31") == [
        f"  {r['due']}  [{r['rule']}] {r['subject']}: {r['what']}"
        f"{' OVERDUE' if r['overdue'] else ''}{' provisional' if r['provisional'] else ''}"
        for r in rows]
    assert ("2025-12-31", "agreement XY-JZ-2025-001", "term ends") in \
        [(r["due"], r["subject"], r["what"]) for r in rows]


def test_aud03_the_demo_s_fund_positions_are_what_ledger_positions_answers(demo_run):
    from projections.fund import MONEY_COLUMNS
    text, db = demo_run
    answer = cli(db, "positions", "--as-of", "2026-02-10")
    labelled = [(f"{p['agreement']} {p['year']}", p) for p in answer["positions"]] + \
        [(f"agency {p['agency']}", p) for p in answer["agencies"]] + [("fund", answer["fund"])]
    expected = ["  " + f"{label:22}" + "".join(f"{p[c]:>13}" for c in MONEY_COLUMNS)
                for label, p in labelled]
    assert section(text, "Fund positions on 2026-02-10")[1:] == expected   # after the header
    assert answer["fund"]["returned"] == "235078.09" and answer["fund"]["deducted"] == "6000.00"


def test_aud03_the_demo_s_ended_list_and_bars_are_what_ledger_ended_and_bars_answer(demo_run):
    text, db = demo_run
    ended = cli(db, "ended")
    assert section(text, "Public list of ended agreements") == [
        f"  {r['ended_on']}  {r['agreement']}  {r['name']}  {r['ground']} ({r['article']}, "
        f"{'breach' if r['breach'] else 'not a breach'}): {r['reason']}" for r in ended]
    bars = cli(db, "bars")
    assert section(text, "Practitioner bars") == [
        f"  {r['person']}  {r['bar_no']}  {r['institution']}  {r['years']} years  "
        f"{r['status']} {r['approved_on']} to {r['until']}: {r['finding']}" for r in bars]


def test_sus04_the_demo_s_disciplinary_suspension_of_3_months_from_1_august_ends_1_november(
        demo_text):
    """CAL-05: the months count from the day after the notice of 2025-08-01."""
    assert "suspended (disciplinary) from 2025-08-01 until 2025-11-01." in demo_text


def test_after_the_demo_a_rebuild_equals_the_live_read_models_and_the_chain_verifies(store):
    """AUD-02 and AUD-05 on the README demo's store, SQLite and PostgreSQL."""
    from adapters.integrity import verify as verify_chain
    from adapters.readmodels import catch_up, verify
    from adapters.settings import open_ledger
    db, schema = store
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", db,
                          *(["--schema", schema] if schema else [])],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    ledger = open_ledger(db, schema)
    try:
        catch_up(ledger)
        result = verify(ledger)
        assert result["rebuild_equals_live"] and result["identities_broken"] == []
        assert verify_chain(ledger).ok
    finally:
        ledger.close()
