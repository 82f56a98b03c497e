"""Reconciling the fund's bank statement with recorded payments and deposit
returns (AUD-06): by reference, then payee + amount + date; GBK and UTF-8.
Statement formats: test_reconcile_formats.py; bank exports and payee
accounts: test_reconcile_bank.py."""
from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from domain.money import Money
from tests.builders import effective_agreement

runner = CliRunner()
AG = "XY-2025-001"


@pytest.fixture(autouse=True)
def schema_aware_open(monkeypatch, store):
    import adapters.cli as cli
    from adapters import settings
    monkeypatch.setattr(cli, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))


def pay_months(clerk):
    """Three paid months: 1,800.00 / 2,700.00 / 3,600.00 paid after the 10% withheld."""
    effective_agreement(clerk)
    for m, yuan in ((1, "2000.00"), (2, "3000.00"), (3, "4000.00")):
        month = f"2025-{m:02d}"
        clerk("submit_claim", f"2025-{m + 1:02d}-03", agreement=AG, month=month,
              items=[{"item_id": f"{month}-a", "amount_fen": Money.parse(yuan).fen,
                      "service_date": date(2025, m, 5), "injury": True,
                      "practitioner_id": None, "description": ""}])
        clerk("approve_claim", f"2025-{m + 1:02d}-10", agreement=AG, month=month)
        clerk("pay_claim", f"2025-{m + 1:02d}-24", agreement=AG, month=month, batch=1,
              ref=f"SY2025{m:02d}")


STATEMENT = [
    "交易日期,收款单位编码,金额,摘要",
    "2025-02-24,TY-H001,\"1,800.00\",SY202501",      # matched by reference
    "2025-03-24,TY-H001,\"2,700.50\",SY202502",      # amount difference
    "2025-03-24,TY-H001,\"2,700.50\",SY202502",      # duplicate of the line above
    "2025/4/25,TY-H001,3600,",                       # matched by payee + amount + date
    "2025-04-26,TY-H009,\"12,000.00\",SY999",        # on the statement only
    "2025-13-40,TY-H001,100.00,BAD",                 # malformed
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_statement_reconciles_each_kind_of_finding_in_gbk_and_utf8(clerk, store, tmp_path,
                                                                      encoding):
    pay_months(clerk)
    path = tmp_path / "statement.csv"
    path.write_bytes("\n".join(STATEMENT).encode(encoding))
    out = tmp_path / "findings.csv"
    result = runner.invoke(app, ["reconcile", str(path), "--db", store[0], "--json",
                                 "--csv", str(out), "--on", "2025-05-06"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["encoding"] == encoding
    assert data["summary"] == {"matched": 2, "amount_differences": 1, "payee_differences": 0,
                               "duplicates": 1, "unmatched_statement": 1,
                               "unmatched_credits": 0, "unmatched_ledger": 0, "malformed": 1}
    assert data["header_line"] == 1 and data["preamble_lines"] == 0 and data["format"] == "csv"
    lines = {f["reference"]: f["line"] for f in data["findings"] if f["finding"] == "matched"}
    assert lines == {"SY202501": 2, "": 5}
    assert [f["line"] for f in data["findings"] if f["finding"] == "duplicate"] == [4]
    findings = {(f["finding"], f["reference"]) for f in data["findings"]}
    assert ("matched", "SY202501") in findings and ("amount difference", "SY202502") in findings
    assert ("on the statement only", "SY999") in findings
    malformed = [f for f in data["findings"] if f["finding"] == "malformed line"]
    assert malformed[0]["line"] == 7
    assert "statement minus ledger = 0.50" in out.read_text(encoding="utf-8-sig")


def test_a_payment_missing_from_the_statement_is_reported_on_the_ledger_side(clerk, store,
                                                                             tmp_path):
    pay_months(clerk)
    path = tmp_path / "partial.csv"
    path.write_text("value_date,payee,amount,reference\n2025-02-24,TY-H001,1800.00,SY202501\n",
                    encoding="utf-8")
    data = json.loads(runner.invoke(app, ["reconcile", str(path), "--db", store[0],
                                          "--json"]).output)
    assert data["summary"]["unmatched_ledger"] == 2
    refs = sorted(f["reference"] for f in data["findings"] if f["finding"] == "in the ledger only")
    assert refs == ["SY202502", "SY202503"]


def test_importing_the_same_statement_twice_records_nothing_new(clerk, store, tmp_path, ledger):
    pay_months(clerk)
    path = tmp_path / "statement.csv"
    path.write_bytes("\n".join(STATEMENT).encode("utf-8"))
    first = json.loads(runner.invoke(app, ["reconcile", str(path), "--db", store[0],
                                           "--json"]).output)
    count = ledger.recorder.max_notification_id()
    second = json.loads(runner.invoke(app, ["reconcile", str(path), "--db", store[0], "--json",
                                            "--user", "another.clerk"]).output)
    assert first["recorded"] is True and second["recorded"] is False
    assert ledger.recorder.max_notification_id() == count
    assert first["summary"] == second["summary"]


def test_a_deposit_return_is_a_disbursement_too(clerk, store, tmp_path):
    pay_months(clerk)
    clerk("record_assessment", "2026-01-20", agreement=AG, year=2025, deductions={},
          awarded={}, veto_failed=[], survey=None, employer_views=["好"],
          supervisor_views=["好"], satisfaction="95%")
    clerk("clear_deposit", "2026-02-10", agreement=AG, year=2025, ref="DEPRET-1")
    path = tmp_path / "deposit.csv"
    path.write_text("value_date,payee,amount,reference\n2026-02-11,TY-H001,900.00,DEPRET-1\n",
                    encoding="utf-8")
    data = json.loads(runner.invoke(app, ["reconcile", str(path), "--db", store[0],
                                          "--json"]).output)
    matched = [f for f in data["findings"] if f["finding"] == "matched"]
    assert matched[0]["ledger_source"] == f"deposit {AG} 2025"
