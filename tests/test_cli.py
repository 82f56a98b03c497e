"""The command line: command files, bad input, idempotent re-runs, queries."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.settings import open_ledger

runner = CliRunner()

ACTOR = {"user": "li.na", "role": "case_officer"}
FACTS = {"category": "general", "level": 3, "licence_no": "PDY-1", "beds": 900}


def line(cid, command, date, **fields):
    return json.dumps({"id": cid, "command": command, "date": date, "actor": ACTOR,
                       "fields": fields}, ensure_ascii=False)


GOOD = [
    line("c1", "register_institution", "2025-01-06", code="TY-H001", name="山西省人民医院",
         kind="medical", agency="TY", facts=FACTS,
         people=[{"person_id": "P1", "name": "王一", "role": "legal_representative"}]),
    line("c2", "submit_application", "2025-01-06", number="SQ-1", institution="TY-H001",
         materials=["application_letter", "licences"]),
    line("c3", "send_materials_notice", "2025-01-08", application="SQ-1", notice_no="补-1",
         missing=["management_rules", "information_system", "fund_use_forecast"],
         supply_by="2025-01-20"),
]


def run(tmp_path, db, lines, *extra):
    path = tmp_path / "commands.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return runner.invoke(app, ["run", str(path), "--db", db, *extra])


def count(store) -> int:
    ledger = open_ledger(*store)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


@pytest.fixture
def db(store):
    return store[0]


@pytest.fixture(autouse=True)
def schema_aware_open(monkeypatch, store):
    """The CLI opens the ledger by URL; route it into the test's schema."""
    import adapters.cli as cli
    from adapters import settings
    monkeypatch.setattr(cli, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))


def test_a_command_file_is_applied_in_order_and_reported_in_words(tmp_path, db, store):
    result = run(tmp_path, db, GOOD)
    assert result.exit_code == 0, result.output
    assert "已就申请 SQ-1 送达一次性告知 补-1" in result.output
    assert count(store) > 0


def test_re_running_the_same_file_records_nothing_new_and_prints_the_same(tmp_path, db, store):
    first = run(tmp_path, db, GOOD)
    n = count(store)
    second = run(tmp_path, db, GOOD)
    assert second.exit_code == 0
    assert count(store) == n
    strip = lambda out: [l.replace("（此前已记录，未新增记录）", "")
                         for l in out.splitlines()]
    assert strip(first.output) == strip(second.output)
    assert "（此前已记录，未新增记录）" in second.output


@pytest.mark.parametrize("bad, expect", [
    (line("x1", "sign_everything", "2025-01-09"), "未知的命令"),
    (line("x2", "submit_application", "2025-01-09", number="SQ-2"), "institution：缺少此字段"),
    (line("x3", "submit_application", "2025-01-09", number="SQ-2", institution="TY-H001",
          materials="licences"), "materials"),
    (line("x4", "submit_application", "2025-01-09", number="SQ-2", institution="NOPE",
          materials=[]), "unknown institution 'NOPE'"),
    (line("x5", "submit_application", "09/01/2025", number="SQ-2", institution="TY-H001",
          materials=[]), "date"),
    (line("x6", "send_materials_notice", "2025-01-09", application="SQ-1", notice_no="补-2",
          missing=["management_rules", "information_system", "fund_use_forecast"],
          supply_by="2025-01-25"), "[ADM-04]"),
    ("{not json", "不是 JSON 对象"),
])
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(tmp_path, db, store, bad,
                                                                  expect):
    assert run(tmp_path, db, GOOD).exit_code == 0
    n = count(store)
    result = run(tmp_path, db, [bad])
    assert result.exit_code == 1
    assert "被拒绝" in result.output and expect in result.output, result.output
    assert count(store) == n


def test_a_score_above_an_items_maximum_is_refused_with_eva03(tmp_path, db, store):
    members = [{"member_id": f"E{i}"} for i in range(7)]
    lines = GOOD + [
        line("c4", "supply_materials", "2025-01-10", application="SQ-1",
             items=["management_rules", "information_system", "fund_use_forecast"]),
        line("c5", "accept_application", "2025-01-10", application="SQ-1"),
        line("c6", "form_panel", "2025-02-01", evaluation="EV-1", application="SQ-1",
             members=members),
    ]
    assert run(tmp_path, db, lines).exit_code == 0
    n = count(store)
    result = run(tmp_path, db, [line("c7", "record_scores", "2025-02-02", evaluation="EV-1",
                                     scored_by=[m["member_id"] for m in members],
                                     awarded={"6": "21"})])
    assert result.exit_code == 1 and "[EVA-03]" in result.output, result.output
    assert count(store) == n
    floats = run(tmp_path, db, [line("c8", "record_scores", "2025-02-02", evaluation="EV-1",
                                     scored_by=[m["member_id"] for m in members],
                                     awarded={"6": 19.5})])
    assert floats.exit_code == 1 and "不要用浮点数" in floats.output


def test_keep_going_reports_a_rejection_and_applies_the_rest(tmp_path, db, store):
    bad = line("x1", "accept_application", "2025-01-07", application="SQ-404")
    result = run(tmp_path, db, [GOOD[0], bad, GOOD[1]], "--keep-going")
    assert result.exit_code == 1
    assert "被拒绝" in result.output and "已接收申请 SQ-1" in result.output


def test_queries_print_tables_and_json(tmp_path, db, store):
    run(tmp_path, db, GOOD)
    table = runner.invoke(app, ["institution", "TY-H001", "--db", db])
    assert table.exit_code == 0 and "SQ-1" in table.output
    data = json.loads(runner.invoke(app, ["institution", "TY-H001", "--db", db, "--json"]).output)
    assert data["applications"][0]["status"] == "awaiting_materials"
    deadlines = json.loads(runner.invoke(app, ["deadlines", "--on", "2025-01-21", "--db", db,
                                               "--json"]).output)
    assert [d["rule"] for d in deadlines] == ["ADM-04"]
    assert deadlines[0]["due"] == "2025-01-20" and deadlines[0]["overdue"] is True
    before = json.loads(runner.invoke(app, ["institution", "TY-H001", "--db", db, "--json",
                                            "--as-of", "2025-01-07"]).output)
    assert before["applications"][0]["notice"] is None


def _sign_and_notice_lines():
    from tests.builders import facts
    members = [{"member_id": f"E{i}"} for i in range(7)]
    f = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts().items()}
    return [
        line("a1", "register_institution", "2024-10-08", code="TY-H009", name="医院九",
             kind="medical", agency="TY", facts=f, people=[]),
        line("a2", "submit_application", "2024-10-08", number="SQ-9", institution="TY-H009",
             materials=["application_letter", "licences", "management_rules",
                        "information_system", "fund_use_forecast"]),
        line("a3", "accept_application", "2024-10-08", application="SQ-9"),
        line("a4", "form_panel", "2024-11-15", evaluation="EV-9", application="SQ-9",
             members=members),
        line("a5", "record_scores", "2024-11-15", evaluation="EV-9",
             scored_by=[m["member_id"] for m in members]),
        line("a6", "conclude_evaluation", "2024-11-15", evaluation="EV-9", report_no="R-9",
             validity_years=1),
        line("a7", "sign_agreement", "2024-12-20", number="XY-9", institution="TY-H009",
             term_start="2025-01-01"),
        line("a8", "file_agreement", "2024-12-20", agreement="XY-9", filing_ref="F-9"),
        line("a9", "start_public_notice", "2024-12-20", agreement="XY-9", notice_ref="N-9",
             until="2024-12-27"),
        line("b1", "suspend_agreement", "2025-03-01", agreement="XY-9", kind="voluntary",
             start="2025-03-01", requested_on="2025-02-20"),
    ]


def test_run_advances_the_clock_so_a_later_command_sees_the_automatic_ending(tmp_path, db,
                                                                            store):
    lines = _sign_and_notice_lines() + [
        line("b2", "apply_for_resumption", "2025-09-01", agreement="XY-9",
             applied_on="2025-09-01")]
    result = run(tmp_path, db, lines)
    assert result.exit_code == 1 and "[SUS-02]" in result.output, result.output
    status = json.loads(runner.invoke(app, ["status", "--on", "2025-08-29", "--db", db,
                                            "--json"]).output)
    assert status[0]["status"] == "ended" and status[0]["valid_from"] == "2025-08-29"
    before = json.loads(runner.invoke(app, ["status", "--on", "2025-08-28", "--db", db,
                                            "--json"]).output)
    assert before[0]["status"] == "suspended (voluntary)"


def test_tick_records_due_consequences_once_and_the_public_list_shows_them(tmp_path, db, store):
    assert run(tmp_path, db, _sign_and_notice_lines()).exit_code == 0
    first = runner.invoke(app, ["tick", "--to", "2025-12-31", "--db", db])
    assert "2025-08-29  XY-9: 协议终止 (AUTO-SUS-180)" in first.output, first.output
    n = count(store)
    second = runner.invoke(app, ["tick", "--to", "2025-12-31", "--db", db])
    assert "截至 2025-12-31 没有到期事项" in second.output and count(store) == n
    english = runner.invoke(app, ["--lang", "en", "tick", "--to", "2025-12-31", "--db", db])
    assert "Nothing fell due up to 2025-12-31" in english.output
    listed = json.loads(runner.invoke(app, ["ended", "--db", db, "--json"]).output)
    assert [(r["agreement"], r["ground"], r["breach"]) for r in listed] == \
        [("XY-9", "AUTO-SUS-180", False)]
    table = runner.invoke(app, ["ended", "--db", db])
    assert "XY-9" in table.output


@pytest.mark.parametrize("example", ["admission.jsonl", "lifecycle.jsonl"])
def test_every_worked_example_file_applies_with_no_rejection(db, store, example):
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "examples" / example
    result = runner.invoke(app, ["run", str(path), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert count(store) > 0


def test_queries_refuse_while_a_rebuild_is_unfinished_and_answer_after_it(tmp_path, db, store):
    from adapters.readmodels import rebuild
    assert run(tmp_path, db, GOOD).exit_code == 0
    ledger = open_ledger(*store)
    try:
        assert rebuild(ledger, batch_size=1, stop_after_batches=2, workers=1)["complete"] is False
    finally:
        ledger.close()
    refused = runner.invoke(app, ["status", "--on", "2025-02-01", "--db", db])
    assert refused.exit_code == 2
    assert "ledger rebuild" in refused.output
    assert runner.invoke(app, ["rebuild", "--db", db]).exit_code == 0
    assert runner.invoke(app, ["deadlines", "--on", "2025-01-10", "--db", db]).exit_code == 0
