"""The README's demo runs end to end on a fresh SQLite store."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_text(tmp_path_factory):
    """The README demo, run once on a fresh SQLite store."""
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", db],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


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
