"""Every list of the command line as a finance office gets it (issue #17),
on the demo's store: each table at 60, 80 and 200 columns holds every code,
date and amount whole; --csv round-trips through the csv module; --xlsx
holds numbers and dates under Chinese headers with a sheet saying what was
asked; --limit pages; --lang en speaks English; JSON keeps its codes.

One store for the module (the demo takes seconds to build): rendering does
not depend on the store, which the query tests cover on both."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from typer.testing import CliRunner

from adapters import lists
from adapters.cli import app
from adapters.tables import cell

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
WHOLE = {"code", "date", "money", "int", "year", "instant"}

# (arguments, the JSON rows' key or None for a list, the columns the table shows)
LISTS = {
    "status": (["status", "--on", "2025-09-01"], None, lists.STATUS),
    "ended": (["ended"], None, lists.ENDED),
    "bars": (["bars"], None, lists.BARS),
    "deadlines": (["deadlines", "--on", "2025-03-01"], None, lists.DEADLINES),
    "positions": (["positions", "--as-of", "2026-02-10"], "positions", lists.POSITIONS),
    "history": (["history", "--institution", "TY-H001"], "rows", lists.TIMELINE),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db",
                           f"sqlite:///{path}"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return str(path)


def ask(db, *args, width=200, lang=None):
    env = {"COLUMNS": str(width), "LEDGER_PROGRESS": "never"}
    result = runner.invoke(app, [*(["--lang", lang] if lang else []), *args, "--db", db],
                           env=env)
    return result


def json_rows(db, name):
    args, key, _ = LISTS[name]
    result = ask(db, *args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return data[key] if key else data


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("width", [60, 80, 200])
def test_every_code_date_and_amount_of_each_list_appears_whole(db, name, width):
    args, _, columns = LISTS[name]
    rows = json_rows(db, name)
    assert rows, name                                     # the demo has some of each
    result = ask(db, *args, width=width)
    assert result.exit_code == 0, result.output
    text = result.output
    assert max(cell_len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    checked = 0
    for row in rows:
        for column in columns:
            if column.kind in WHOLE and row.get(column.key) not in (None, ""):
                value = cell(row[column.key], column)
                assert value in text, (name, width, column.key, value)
                checked += 1
    assert checked >= len(rows)


def test_money_is_right_aligned_with_thousands_separators(db):
    text = ask(db, "positions", "--as-of", "2026-02-10", width=400).output
    assert "2,998,865.40" in text and "2998865.40" not in text
    line = next(l for l in text.splitlines() if "XY-JZ-2025-001" in l)
    assert line.split("│")[5].endswith("2,998,865.40 ")


def test_headers_and_statuses_are_chinese_and_english_on_request(db):
    zh = ask(db, "status", "--on", "2025-09-01").output
    assert "协议编号" in zh and "履行中" in zh and "active" not in zh
    en = ask(db, "status", "--on", "2025-09-01", lang="en").output
    assert "agreement" in en and "active" in en and "协议编号" not in en
    assert json_rows(db, "status")[0]["status"] in ("active", "ended")   # codes stay codes


def test_csv_of_each_list_round_trips_through_the_csv_module(db, tmp_path):
    for name, (args, _, columns) in LISTS.items():
        path = tmp_path / f"{name}.csv"
        assert ask(db, *args, "--csv", str(path)).exit_code == 0
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw, name
        read = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert read[0] == [c.title() for c in columns], name
        rows = json_rows(db, name)
        assert len(read) == len(rows) + 1, name
        key = next(c.key for c in columns if c.kind == "code")
        at = [c.key for c in columns].index(key)
        assert [r[at] for r in read[1:]] == [str(r[key]) for r in rows], name


def test_xlsx_holds_numbers_and_dates_under_chinese_headers(db, tmp_path):
    path = tmp_path / "positions.xlsx"
    assert ask(db, "positions", "--as-of", "2026-02-10", "--xlsx", str(path)).exit_code == 0
    book = load_workbook(path)
    sheet = book["positions"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["经办机构", "协议编号", "机构编码", "年度"]
    first = json_rows(db, "positions")[0]
    claimed = headers.index(lists.POSITIONS[4].title())
    assert Decimal(str(sheet.cell(row=2, column=claimed + 1).value)) == Decimal(first["claimed"])
    assert sheet.cell(row=2, column=claimed + 1).number_format == "#,##0.00"
    about = {r[0].value: r[1].value for r in book["查询说明"].iter_rows(min_row=2)}
    assert about["业务日期截至"] == "2026-02-10" and about["查询"] == "positions"
    assert about["数据库"].endswith("demo.sqlite") and about["记录截至"] == "当前"
    ended = tmp_path / "ended.xlsx"
    assert ask(db, "ended", "--xlsx", str(ended)).exit_code == 0
    cell_ = load_workbook(ended).active["A2"]
    assert isinstance(cell_.value, datetime) and cell_.number_format == "yyyy-mm-dd"


def test_the_chart_is_drawn(db, tmp_path):
    png = tmp_path / "p.png"
    assert ask(db, "positions", "--chart", str(png)).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    wrong = ask(db, "positions", "--chart", str(tmp_path / "p.jpg"))
    assert wrong.exit_code == 2 and ".png or .svg" in wrong.output


def test_limit_and_page_show_part_and_say_so_and_files_get_every_row(db, tmp_path):
    rows = json_rows(db, "history")
    path = tmp_path / "h.csv"
    first = ask(db, "history", "--institution", "TY-H001", "--limit", "2", "--csv", str(path))
    assert first.exit_code == 0 and f"共 {len(rows)} 条" in first.output
    assert "第 1–2 条" in first.output and "--page 2" in first.output
    assert len(list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))) == len(rows) + 1
    second = json.loads(ask(db, "history", "--institution", "TY-H001", "--limit", "2",
                            "--page", "2", "--json").output)["rows"]
    assert [r["notification_id"] for r in second] == [r["notification_id"] for r in rows[2:4]]


def test_filters_narrow_the_lists(db):
    ty = json.loads(ask(db, "status", "--on", "2025-09-01", "--agency", "TY", "--json").output)
    assert ty and {r["agency"] for r in ty} == {"TY"}
    ended = json.loads(ask(db, "status", "--on", "2025-09-01", "--status", "ended",
                           "--json").output)
    assert ended and {r["status"] for r in ended} == {"ended"}
    breach = json.loads(ask(db, "ended", "--breach", "--json").output)
    assert breach and all(r["breach"] for r in breach)
    late = json.loads(ask(db, "ended", "--from", "2030-01-01", "--json").output)
    assert late == []


def test_an_unknown_institution_agency_or_agreement_is_named(db):
    for args, says in [(["status", "--on", "2025-09-01", "--institution", "TY-NOPE"],
                        "账本中没有机构 TY-NOPE"),
                       (["status", "--on", "2025-09-01", "--agreement", "XY-NOPE"],
                        "账本中没有协议 XY-NOPE"),
                       (["institution", "TY-NOPE"], "账本中没有机构 TY-NOPE"),
                       (["positions", "--agency", "ZZ"], "unknown agency 'ZZ'")]:
        result = ask(db, *args)
        assert result.exit_code in (1, 2) and says in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_known_at_before_anything_was_recorded_says_when_the_first_event_was(db):
    result = ask(db, "status", "--on", "2025-09-01", "--known-at",
                 "2020-01-01T00:00:00+08:00")
    assert result.exit_code == 1
    assert "2020-01-01T00:00:00+08:00 时账本尚无记录：第一条事件记录于 " in result.output
    year = date.today().year
    assert str(year) in result.output.split("第一条事件记录于")[1]
    history = ask(db, "history", "--institution", "TY-H001", "--known-at",
                  "2020-01-01T00:00:00+08:00")
    assert history.exit_code == 1 and "第一条事件记录于" in history.output


def test_a_mistyped_command_or_event_type_gets_the_closest(db):
    typo = ask(db, "stauts", "--on", "2025-09-01")
    assert typo.exit_code == 2 and "Did you mean 'status'?" in typo.output
    event = ask(db, "history", "--institution", "TY-H001", "--type", "Agreement.Suspnded")
    assert event.exit_code == 2 and "did you mean 'Agreement.Suspended'" in event.output


def test_checkpoint_check_without_a_trusted_key_says_it_is_only_self_consistent(db, tmp_path):
    assert runner.invoke(app, ["keygen", "--out-dir", str(tmp_path)]).exit_code == 0
    cp = tmp_path / "cp.json"
    assert ask(db, "checkpoint", "export", "--key", str(tmp_path / "ledger-signing.key"),
               "--out", str(cp)).exit_code == 0
    bare = ask(db, "checkpoint", "check", str(cp))
    assert bare.exit_code == 0 and "签名仅是自洽的" in bare.output
    english = ask(db, "checkpoint", "check", str(cp), lang="en")
    assert "only self-consistent" in english.output
    trusted = ask(db, "checkpoint", "check", str(cp), "--pubkey",
                  str(tmp_path / "ledger-signing.pub"))
    assert trusted.exit_code == 0 and "自洽" not in trusted.output


def test_help_has_an_example_per_command_and_no_python_type_names():
    from typer.main import get_group
    group = get_group(app)
    names = [n for n in group.list_commands(None) if n not in ("serve", "user", "supervision")]
    for name in names + ["checkpoint export", "checkpoint check"]:
        result = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, name
        text = result.output
        for python in ("<bool>", "<str>", "<list[", "<path>", "<int>", "<float>"):
            assert python not in text, (name, python)
        if name != "checkpoint":
            assert "Example:" in text, name
    top = runner.invoke(app, ["--help"]).output
    assert "--version" in top and "--install-completion" in top and "--lang" in top
    for name in ("status", "positions", "institution"):
        text = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert "answer as the ledger knew it at this recording instant" in text, name


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("ledger 0.")


def test_progress_of_long_work_goes_to_standard_error_and_json_stays_clean(db):
    env = {"COLUMNS": "80", "LEDGER_PROGRESS": "always"}
    result = runner.invoke(app, ["history", "--institution", "TY-H001", "--json", "--db", db],
                           env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"]
    assert "读取 institution:TY-H001" in result.stderr
    verify = runner.invoke(app, ["verify", "--chain-only", "--db", db], env=env)
    assert "核验哈希链" in verify.stderr and "核验哈希链" not in verify.stdout
