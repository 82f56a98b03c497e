"""``ledger supervision``'s lists as files (issue #19 point 4, through
adapters/exports): every row under the console's Chinese headers, the xlsx
with what was asked, the complainant as the asker may read it (SUP-03), a
file that cannot be written refused with exit 2 and the store unchanged; on
both stores."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

import adapters.cli_supervision as cli
from adapters.settings import open_ledger
from domain.lead import REDACTED
from tests.conftest import Clerk
from tests.test_supervision_store import ask, count, filled  # noqa: F401  (the store's fixture)

pytestmark = pytest.mark.store


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_open_cases_to_csv_and_xlsx_a_row_per_deadline(filled, tmp_path):
    url, _ = filled
    before = count(filled)
    done = ask("cases", "--on", "2025-10-15", "--csv", str(tmp_path / "c.csv"),
               "--xlsx", str(tmp_path / "c.xlsx"), "--db", url)
    assert done.exit_code == 0, done.output
    assert "OVERDUE" in done.output and str(tmp_path / "c.csv") in done.output
    rows = read_csv(tmp_path / "c.csv")
    assert [(r["案件编号"], r["机构编码"], r["到期日"], r["规则"], r["已逾期"]) for r in rows] == \
        [("AJ-1", "TY-H001", "2025-10-14", "SUP-05", "是")]
    book = load_workbook(tmp_path / "c.xlsx")
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["案件编号", "机构编码"]
    assert sheet.max_row == 2 and sheet.cell(row=2, column=7).value.isoformat()[:10] == \
        "2025-10-14", "the due day is an Excel date"
    about = {r[0].value: r[1].value for r in book.worksheets[1].iter_rows(min_row=2)}
    assert about["查询"] == "supervision cases --on 2025-10-15" and about["行数"] == "1"
    as_json = ask("cases", "--on", "2025-10-15", "--json", "--csv", str(tmp_path / "j.csv"),
                  "--db", url)
    assert json.loads(as_json.output)[0]["case"] == "AJ-1", "JSON stays whole beside a file"
    assert read_csv(tmp_path / "j.csv") == rows
    assert count(filled) == before


def test_an_institutions_leads_and_cases_to_files_redacted_as_the_asker_reads_them(filled,
                                                                                  tmp_path):
    url, _ = filled
    done = ask("institution", "TY-H001", "--csv", str(tmp_path / "i.csv"), "--db", url)
    assert done.exit_code == 0, done.output
    leads = read_csv(tmp_path / "i.csv")
    assert [(r["线索编号"], r["来源"], r["状态"], r["案件编号"]) for r in leads] == \
        [("TS-1", "投诉", "已立案", "AJ-1")]
    assert "刘某" not in (tmp_path / "i.csv").read_text("utf-8-sig")
    assert leads[0]["投诉举报人"] == f"姓名 {REDACTED}; 联系方式 {REDACTED}"
    cases = read_csv(tmp_path / "i-cases.csv")
    assert [(r["案件编号"], r["状态"]) for r in cases] == [("AJ-1", "办理中")]
    shown = ask("institution", "TY-H001", "--role", "auditor", "--xlsx",
                str(tmp_path / "a.xlsx"), "--db", url)
    assert shown.exit_code == 0, shown.output
    sheet = load_workbook(tmp_path / "a.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("投诉举报人") + 1).value == \
        "姓名 刘某; 联系方式 13900000000"
    assert (tmp_path / "a-cases.xlsx").exists()


def test_alerts_and_a_draws_result_to_files(filled, tmp_path):
    url, schema = filled
    led = cli.supervised(open_ledger(url, schema))
    try:
        clerk = Clerk(led)
        clerk("add_expert", "2025-10-01", agency="TY", expert="E1", name="专家1", field="骨科",
              conflicts=[], _id="files-expert-1")
        instant = datetime.now(timezone.utc)
        position = led.log_position_at(instant)
        clerk("publish_draw", "2025-10-02", number="DRW-1", agency="TY", targets=1,
              per_target=1, seed_head=cli.chain_value(led, position), seed_position=position,
              seed_instant=instant, _id="files-draw-1")
    finally:
        led.close()
    recorded = ask("alerts", "--csv", str(tmp_path / "r.csv"), "--db", url)
    assert recorded.exit_code == 0 and read_csv(tmp_path / "r.csv") == []
    assert (tmp_path / "r.csv").read_text("utf-8-sig").startswith("规则,经办机构,预警数,线索")
    rerun = ask("alerts", "--known-at", instant.isoformat(), "--xlsx", str(tmp_path / "k.xlsx"),
                "--db", url)
    assert rerun.exit_code == 0, rerun.output
    about = {r[0].value: r[1].value for r in
             load_workbook(tmp_path / "k.xlsx").worksheets[1].iter_rows(min_row=2)}
    assert about["记录截至"] == str(instant)
    proof = ask("proof", "DRW-1", "--csv", str(tmp_path / "d.csv"), "--db", url)
    assert proof.exit_code == 0, proof.output
    assert read_csv(tmp_path / "d.csv") == [{"序号": "1", "机构编码": "TY-H001",
                                             "检查人员": "E1"}]


def test_a_file_that_cannot_be_written_exits_2_and_records_nothing(filled, tmp_path):
    url, _ = filled
    before = count(filled)
    done = ask("cases", "--csv", str(tmp_path / "no" / "such" / "c.csv"), "--db", url)
    assert done.exit_code == 2 and "cannot write" in done.output
    assert "Traceback" not in done.output
    assert count(filled) == before
