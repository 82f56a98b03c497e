"""A fund account statement as a Chinese bank exports it, and the payee
accounts it is reconciled by (PAY-06, AUD-06).

A bank names the counterparty by account name and number (对方户名,
对方账号), splits debits from credits (借方发生额 / 贷方发生额) and never
carries the agency's institution code; so each institution's payee account
is a recorded fact with its history (``record_payee_account``), and a line
is matched by the account in force on its value date, then by the
registered name."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from domain.base import Context
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.money import Money
from domain.roles import NotPermitted
from tests.builders import effective_agreement, refused

runner = CliRunner()
AG = "XY-2025-001"
NAME = "太原市第一人民医院"
ACCOUNT = "6222 0212 0000 1234 567"
STATEMENTS = Path(__file__).parent / "data" / "statements"
BANK_EXPORT = STATEMENTS / "icbc-fund-account-2025-02-04.csv"
BANK_HEADER = "交易日期,摘要,用途,借方发生额,贷方发生额,余额,对方户名,对方账号"


@pytest.fixture(autouse=True)
def schema_aware_open(monkeypatch, store):
    import adapters.cli as cli
    from adapters import settings
    monkeypatch.setattr(cli, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))


def finance(ledger, on, n=[0], role="finance", command_id=None, **fields):
    n[0] += 1
    ctx = Context(command_id or f"fin-{n[0]:04d}", date.fromisoformat(on), "li.juan", role)
    return ledger.record_payee_account(ctx, **fields)


def account(number=ACCOUNT, name=NAME, bank="中国工商银行太原迎泽支行"):
    return {"account_name": name, "bank": bank, "account_number": number}


def paid_year(clerk, name=NAME):
    """Three months paid (1,800.00 / 2,700.00 / 3,600.00 on the 24th) and
    500.00 recovered on 2025-04-10."""
    effective_agreement(clerk, name=name)
    for m, yuan in ((1, "2000.00"), (2, "3000.00"), (3, "4000.00")):
        month = f"2025-{m:02d}"
        clerk("submit_claim", f"2025-{m + 1:02d}-03", agreement=AG, month=month,
              items=[{"item_id": f"{month}-a", "amount_fen": Money.parse(yuan).fen,
                      "service_date": date(2025, m, 5), "injury": True,
                      "practitioner_id": None, "description": ""}])
        clerk("approve_claim", f"2025-{m + 1:02d}-10", agreement=AG, month=month)
        clerk("pay_claim", f"2025-{m + 1:02d}-24", agreement=AG, month=month, batch=1,
              ref=f"SY2025{m:02d}")
    clerk("order_recovery", "2025-04-01", agreement=AG, year=2025, amount_fen=50000,
          ground="PAY-08", ref="晋工伤追〔2025〕3号")
    clerk("record_recovery", "2025-04-10", agreement=AG, year=2025, amount_fen=50000,
          ref="并社银收-2025-0410-01")


def reconcile(store, path, *extra):
    result = runner.invoke(app, ["reconcile", str(path), "--db", store[0], "--json",
                                 "--on", "2025-05-06", *extra])
    return result, (json.loads(result.output) if result.exit_code in (0, 1) else None)


def by_line(data):
    return {f["line"]: f for f in data["findings"] if f["line"] != ""}


# --- the bank's own export ------------------------------------------------------------------
def test_aud06_a_gbk_bank_export_reconciles_payments_and_a_recovery_with_no_institution_code(
        clerk, ledger, store):
    paid_year(clerk)
    finance(ledger, "2025-01-06", institution="TY-H001", **account())
    assert b"TY-H001" not in BANK_EXPORT.read_bytes()
    result, data = reconcile(store, BANK_EXPORT)
    assert result.exit_code == 0, result.output
    assert (data["format"], data["encoding"], data["header_line"], data["preamble_lines"]) == \
        ("csv", "gbk", 6, 5)
    assert data["period"] == ["2025-02-01", "2025-04-30"]
    assert [s["line"] for s in data["skipped"]] == [12, 13]     # 合计 and 打印日期
    assert "payee" not in data["columns"]
    assert data["summary"] == {"matched": 4, "amount_differences": 0, "payee_differences": 0,
                               "duplicates": 0, "unmatched_statement": 0,
                               "unmatched_credits": 1, "unmatched_ledger": 0, "malformed": 0}
    lines = by_line(data)
    assert lines[7]["note"] == "by reference, payee by account"
    assert lines[7]["ledger_source"] == f"claim {AG}:2025-01 batch 1"
    assert lines[8]["note"] == "by reference, payee by account"     # 2月工伤医疗费SY202502
    assert (lines[9]["direction"], lines[9]["ledger_source"], lines[9]["note"]) == \
        ("credit", f"recovery {AG} 2025", "by payee+amount+date, payee by account")
    assert lines[10]["note"] == "by payee+amount+date, payee by account"
    assert (lines[11]["finding"], lines[11]["statement_amount"]) == \
        ("credit on the statement only", "12.34")                   # the bank's interest
    assert all(f["payee"] == "TY-H001" for n, f in lines.items() if n != 11)


def test_aud06_without_a_recorded_account_the_registered_name_identifies_the_payee(
        clerk, store):
    paid_year(clerk)
    result, data = reconcile(store, BANK_EXPORT)
    assert data["summary"]["matched"] == 4
    assert by_line(data)[7]["note"] == "by reference, payee by name"


def test_aud06_the_name_matches_after_normalising_white_space_and_full_width_forms(
        clerk, store, tmp_path):
    paid_year(clerk, name="太原市第一人民医院（东院）")
    path = tmp_path / "s.csv"
    path.write_bytes("\n".join([
        BANK_HEADER,
        "2025-04-24,转账,3月医疗费,3600.00,,0,太原市 第一人民医院　(东院),"]).encode("gbk"))
    result, data = reconcile(store, path)
    assert by_line(data)[2]["note"] == "by payee+amount+date, payee by name"


def test_aud06_a_recovery_credit_is_matched_by_its_reference_and_an_unknown_credit_reported(
        clerk, store, tmp_path):
    paid_year(clerk)
    path = tmp_path / "credits.csv"
    path.write_bytes("\n".join([
        BANK_HEADER,
        f"2025-04-11,转账收入,退回 并社银收-2025-0410-01,,500.00,0,{NAME},",
        f"2025-04-12,转账收入,退回保证金,,900.00,0,{NAME},"]).encode("utf-8"))
    result, data = reconcile(store, path)
    lines = by_line(data)
    assert (lines[2]["finding"], lines[2]["note"]) == ("matched", "by reference, payee by name")
    assert lines[3]["finding"] == "credit on the statement only"


# --- the account's history decides ----------------------------------------------------------
def test_pay06_a_line_paid_to_an_account_not_in_force_on_its_value_date_is_a_payee_difference(
        clerk, ledger, store, tmp_path):
    paid_year(clerk)
    finance(ledger, "2025-01-06", institution="TY-H001", **account())
    finance(ledger, "2025-04-01", institution="TY-H001", **account("6222 0212 0000 9999 001"))
    path = tmp_path / "history.csv"
    path.write_bytes("\n".join([
        BANK_HEADER,
        f"2025-02-24,转账,SY202501,1800.00,,0,{NAME},6222021200001234567",  # A in force
        f"2025-03-24,转账,SY202502,2700.00,,0,{NAME},9558800000000000001",  # never its account
        f"2025-04-24,转账,SY202503,3600.00,,0,{NAME},6222021200001234567",  # A, replaced 04-01
    ]).encode("gbk"))
    result, data = reconcile(store, path)
    lines = by_line(data)
    assert lines[2]["finding"] == "matched"
    assert lines[3]["finding"] == "payee difference"
    assert f"account 9558800000000000001 is not TY-H001's payee account {ACCOUNT} in force " \
           "on 2025-03-24" in lines[3]["note"]
    assert lines[4]["finding"] == "payee difference"
    assert "was TY-H001's payee account from 2025-01-06 until 2025-04-01, not on 2025-04-24" \
        in lines[4]["note"]


def test_pay06_a_later_record_replaces_the_account_from_its_date_and_keeps_the_history(
        clerk, ledger):
    effective_agreement(clerk, name=NAME)
    first = finance(ledger, "2025-01-06", institution="TY-H001", **account())
    assert first["recorded"] is True and first["replaces"] is None
    second = finance(ledger, "2025-04-01", institution="TY-H001",
                     **account("6222-0212-0000-9999-001", bank="中国银行太原分行"))
    assert second["replaces"] == ACCOUNT
    inst = ledger.institution("TY-H001")
    on = inst.payee_account_on
    assert on(date(2025, 1, 5)) is None                                  # before the first
    assert on(date(2025, 3, 31))["account_number"] == ACCOUNT            # day before
    assert on(date(2025, 4, 1))["account_number"] == "6222-0212-0000-9999-001"   # day of
    assert on(date(2025, 4, 2))["bank"] == "中国银行太原分行"               # day after
    # a backdated record holds from its own date until the next one
    finance(ledger, "2025-02-01", institution="TY-H001", **account("6222 0000 0000 0002"))
    inst = ledger.institution("TY-H001")
    assert [(a["account_number"], a["from"], a["until"]) for a in
            inst.payee_account_history()] == [
        (ACCOUNT, date(2025, 1, 6), date(2025, 2, 1)),
        ("6222 0000 0000 0002", date(2025, 2, 1), date(2025, 4, 1)),
        ("6222-0212-0000-9999-001", date(2025, 4, 1), None)]
    # the read model reconciliation uses knows them, as of any day
    from projections.status import build
    state = build(e for _, e in ledger.read_log())
    assert len(state.institutions["TY-H001"].payee_accounts) == 3
    march = build((e for _, e in ledger.read_log()), as_of=date(2025, 3, 1))
    assert march.institutions["TY-H001"].payee_account_on(date(2025, 4, 2))["account_number"] \
        == "6222 0000 0000 0002"


def test_pay06_the_payee_account_command_is_refused_and_records_nothing_when_invalid(
        clerk, ledger):
    effective_agreement(clerk, name=NAME)
    before = ledger.recorder.max_notification_id()
    with pytest.raises(NotFound, match="unknown institution 'TY-H999'"):
        finance(ledger, "2025-01-06", institution="TY-H999", **account())
    for role in ("case_officer", "evaluator", "auditor"):
        with pytest.raises(NotPermitted):
            finance(ledger, "2025-01-06", role=role, institution="TY-H001", **account())
    for number in ("12345", "1" * 33, "6222 02AB 0000", "-622202120000"):
        with pytest.raises(InvalidCommand) as info:
            finance(ledger, "2025-01-06", institution="TY-H001", **account(number))
        assert info.value.rule == "PAY-06"
    for empty in ({"name": " "}, {"bank": ""}):
        with pytest.raises(InvalidCommand):
            finance(ledger, "2025-01-06", institution="TY-H001", **account(**empty))
    assert ledger.recorder.max_notification_id() == before
    # the limits themselves are accepted: 6 and 32 digits; an administrator may
    assert finance(ledger, "2025-01-06", institution="TY-H001", **account("123456"))["recorded"]
    assert finance(ledger, "2025-01-07", role="administrator", institution="TY-H001",
                   **account("1" * 32))["recorded"]


def test_pay06_recording_the_account_already_in_force_is_refused(clerk, ledger):
    effective_agreement(clerk, name=NAME)
    finance(ledger, "2025-01-06", institution="TY-H001", **account())
    with pytest.raises(RuleViolation) as info:
        finance(ledger, "2025-03-01", institution="TY-H001",
                **account("6222021200001234567"))                # the same digits, ungrouped
    assert info.value.rule == "PAY-06" and "already paid to this account" in str(info.value)
    again = finance(ledger, "2025-01-06", command_id="fin-same", institution="TY-H001",
                    **account("6222 0000 1111 2222"))
    assert finance(ledger, "2025-01-06", command_id="fin-same", institution="TY-H001",
                   **account("6222 0000 1111 2222"))["recorded"] is False
    assert again["recorded"] is True


def test_pay06_a_command_file_records_the_payee_account_and_says_so(clerk, store, tmp_path):
    effective_agreement(clerk, name=NAME)
    line = {"id": "fin-acct-1", "command": "record_payee_account", "date": "2025-01-06",
            "actor": {"user": "li.juan", "role": "finance"},
            "fields": {"institution": "TY-H001", **account()}}
    bad = {**line, "id": "fin-acct-2", "fields": {**line["fields"], "account_number": "6222x"}}
    path = tmp_path / "accounts.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--db", store[0]])
    assert result.exit_code == 0, result.output
    assert f"自 2025-01-06 起，基金向 TY-H001 支付至 {NAME}（中国工商银行太原迎泽支行，" \
           f"账号 {ACCOUNT}）（PAY-06）。" in result.output
    path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--db", store[0]])
    assert result.exit_code == 1 and "account_number" in result.output


# --- exit codes for automation ----------------------------------------------------------------
def test_aud06_fail_on_exits_1_only_for_the_kinds_named(clerk, ledger, store):
    paid_year(clerk)
    finance(ledger, "2025-01-06", institution="TY-H001", **account())
    result, _ = reconcile(store, BANK_EXPORT, "--fail-on", "malformed", "--fail-on",
                          "duplicates")
    assert result.exit_code == 0
    result, data = reconcile(store, BANK_EXPORT, "--fail-on", "malformed", "--fail-on",
                             "unmatched_credits")
    assert result.exit_code == 1 and data["failing"] == ["unmatched_credits"]
    result, data = reconcile(store, BANK_EXPORT, "--fail-on", "any")
    assert result.exit_code == 1


@pytest.mark.parametrize("args, says", [
    (["--fail-on", "everything"], "--fail-on everything is not a kind of finding"),
    (["--window", "-1"], "--window is 0 to 31 days, got -1"),
    (["--on", "2025-13-01"], "--on: '2025-13-01' is not a calendar date"),
    (["--on", "2020-01-01"], "--on: 2020-01-01 lies outside"),
])
def test_aud06_bad_options_exit_2_with_one_line(store, args, says):
    result = runner.invoke(app, ["reconcile", str(BANK_EXPORT), "--db", store[0], *args])
    assert result.exit_code == 2
    assert says in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", [None, b"", "\ufeff日期,说明\n".encode(), b"PK\x03\x04junk"])
def test_aud06_an_unreadable_statement_exits_2_with_one_line(store, tmp_path, content):
    path = tmp_path / "statement.csv"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["reconcile", str(path), "--db", store[0]])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("ledger reconcile: cannot read")
    assert len(result.output.strip().splitlines()) == 1
