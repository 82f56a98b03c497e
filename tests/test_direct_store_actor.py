"""AUD-04: a command given on a direct store connection (``ledger run``)
records that it came that way and which operating-system user gave it; the
signed-in service's commands and every event stored before keep the
envelope they had (no ``via`` key, the same bytes)."""
from __future__ import annotations

import getpass
from pathlib import Path

from typer.testing import CliRunner

from adapters import cli
from adapters.settings import open_ledger
from domain.base import Context, Envelope

ROOT = Path(__file__).resolve().parents[1]


def test_aud04_ledger_run_records_the_direct_store_connection_and_os_user(tmp_path):
    db = tmp_path / "run.sqlite"
    result = CliRunner().invoke(cli.app, ["run", str(ROOT / "examples" / "admission.jsonl"),
                                          "--keep-going", "--db", str(db)])
    assert "Traceback" not in result.output
    ledger = open_ledger(str(db), create=False)
    try:
        envelopes = [e.envelope for _, e in ledger.read_log() if hasattr(e, "envelope")]
    finally:
        ledger.close()
    assert envelopes
    assert {env.via for env in envelopes} == {f"os:{getpass.getuser()}"}
    assert all(env.user != env.via for env in envelopes)   # the line's actor stays


def test_aud04_an_envelope_without_a_path_keeps_its_stored_form():
    env = Context("c-1", __import__("datetime").date(2025, 1, 2), "zhang.min",
                  "case_officer", "文1").envelope
    assert env.as_dict() == {"user": "zhang.min", "role": "case_officer",
                             "command_id": "c-1", "document": "文1"}
    assert Envelope.from_dict(env.as_dict()) == env
    via = Envelope("zhang.min", "case_officer", "c-1", "文1", "os:ops")
    assert via.as_dict()["via"] == "os:ops" and Envelope.from_dict(via.as_dict()) == via
