"""The bench's month of claims (scripts/month_of_claims.py) is a command file
the ledger accepts line by line: every claim of every live agreement is
submitted, sampled, reviewed, approved and paid, with every rule checked.
(No timing here: speed is measured in scripts/bench.py.)"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from adapters.commands import execute
from adapters.settings import open_ledger

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from generate_province import generate, load  # noqa: E402
from month_of_claims import (latest_business_date, live_claimants,  # noqa: E402
                             month_of_claims, next_month, write_commands)


def _province(ledger) -> tuple[date, list[dict]]:
    load(ledger, generate(3, institutions=8, years=2, start_year=2024))
    month = next_month(latest_business_date(ledger))
    claimants = live_claimants(ledger, month)
    return month, month_of_claims(claimants, month, seed=3)


def test_a_month_of_claims_for_every_live_agreement_is_accepted_command_by_command(store):
    url, schema = store
    ledger = open_ledger(url, schema)
    try:
        month, commands = _province(ledger)
        claimants = {c["agreement"] for c in live_claimants(ledger, month)}
        assert month == date(2026, 4, 1) and len(claimants) >= 5
        kinds = {c["command"] for c in commands}
        assert kinds == {"submit_claim", "draw_sample", "review_sampled_item", "approve_claim",
                         "pay_claim"}
        clock = None
        for c in commands:   # as `ledger run` gives them: the clock moves with the dates
            day = date.fromisoformat(c["date"])
            execute(ledger, c, advance_clock=clock is None or day > clock)
            clock = max(clock or day, day)
        paid = {c["fields"]["agreement"] for c in commands if c["command"] == "pay_claim"}
        assert paid == claimants
    finally:
        ledger.close()


def test_ledger_run_applies_the_month_of_claims_file_without_a_rejection(tmp_path):
    url = f"sqlite:///{tmp_path / 'province.sqlite'}"
    ledger = open_ledger(url)
    try:
        month, commands = _province(ledger)
    finally:
        ledger.close()
    path = write_commands(commands, tmp_path / "claims.jsonl", f"{month:%Y-%m} claims")
    from adapters.cli import app
    result = CliRunner().invoke(app, ["run", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    assert "被拒绝" not in result.output and "REJECTED" not in result.output
    assert len(result.output.strip().splitlines()) == len(commands)
