"""Output a finance office can use (labels, tables, exports): every code,
date and amount whole at any width; files Excel reads as numbers and dates."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from rich.console import Console

from adapters import labels
from adapters.exports import to_csv, write_csv, write_xlsx
from adapters.labels import UnknownLabel, label, word
from adapters.tables import Column, render, yuan_text

COLUMNS = [Column("agreement", "code"), Column("institution", "code"),
           Column("year", "year"), Column("ended_on", "date"),
           Column("claimed", "money", header="money.claimed"),
           Column("paid", "money", header="money.paid"),
           Column("status", "word", group="status"), Column("reason", "text"),
           Column("recorded_at", "instant")]
ROWS = [
    {"agreement": "TY-AG-2025-000173", "institution": "TY-R0001-HOSP", "year": 2025,
     "ended_on": date(2025, 11, 30), "claimed": "2998865.37", "paid": 123456789001,
     "status": "in notice", "reason": "未按规定报告变更事项，逾期未改正" * 4,
     "recorded_at": datetime(2026, 3, 1, 1, 30, 5, 123456, tzinfo=timezone.utc)},
    {"agreement": "DT-AG-2024-000001", "institution": "DT-F0002", "year": 2024,
     "ended_on": date(2024, 1, 1), "claimed": Decimal("0.01"), "paid": 0,
     "status": "active", "reason": "", "recorded_at": "2026-03-01T23:59:59.000001Z"},
]
WHOLE = ["TY-AG-2025-000173", "TY-R0001-HOSP", "DT-AG-2024-000001", "DT-F0002",
         "2025-11-30", "2024-01-01", "2,998,865.37", "1,234,567,890.01", "0.01", "0.00",
         "2026-03-01 09:30:05", "2026-03-02 07:59:59"]


def rendered(width: int, lang: str = "zh") -> str:
    out = io.StringIO()
    render(ROWS, COLUMNS, console=Console(file=out, width=width, force_terminal=False),
           title="fund", lang=lang)
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 200])
def test_every_code_date_and_amount_appears_whole_at_any_width(width):
    text = rendered(width)
    assert max(cell_len(line.rstrip()) for line in text.splitlines()) <= width
    for value in WHOLE:
        assert value in text, (width, value)
    # free text folds onto further lines but keeps every character
    assert re.sub(r"[\s│]", "", text).count("逾期未改正") == 4


def test_amounts_are_right_aligned_with_thousands_separators():
    lines = [l for l in rendered(200).splitlines() if "TY-AG" in l or "DT-AG" in l]
    cells = [l.split("│")[5] for l in lines]            # the claimed column
    assert cells[0].endswith("2,998,865.37 ") and cells[1].endswith("0.01 ")
    assert len(cells[0]) == len(cells[1])


def test_too_narrow_a_terminal_gets_one_record_per_block_not_cut_values():
    text = rendered(60)
    assert "第 1 条" in text and "第 2 条" in text
    assert "…" not in text


def test_headers_and_statuses_are_chinese_by_default_and_english_on_request():
    assert "协议编号" in rendered(200) and "整改通知期" in rendered(200)
    english = rendered(200, "en")
    assert "agreement" in english and "in notice" in english and "协议编号" not in english


def test_the_language_setting_and_its_refusal(monkeypatch):
    monkeypatch.setenv(labels.LANG_SETTING, "en")
    assert label("column.agreement") == "agreement"
    labels.set_lang("zh")
    try:
        assert label("column.agreement") == "协议编号"
    finally:
        labels.set_lang(None)
    with pytest.raises(ValueError):
        labels.set_lang("fr")


def test_an_unknown_label_key_is_an_error_and_an_unknown_code_is_shown_as_it_is():
    with pytest.raises(UnknownLabel):
        label("column.agreemnet")
    assert word("status", "active (continued under M 51)") == "active (continued under M 51)"


def test_every_label_has_chinese_and_english():
    for key, entry in labels.catalogue().items():
        assert set(entry) == {"zh", "en"} and all(entry.values()), key
        # Chinese words, or Chinese punctuation around what it is filled with
        words = re.sub(r"\{\w+\}", "", entry["zh"])
        assert re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", entry["zh"]) \
            or not re.search(r"[A-Za-z]", words) and words.strip(" -\n") == "", key


@pytest.mark.parametrize("value,text", [(1, "0.01"), (-1, "-0.01"), (10**12, "10,000,000,000.00"),
                                         ("1234567.8", "1,234,567.80"), ("1,234.56", "1,234.56"),
                                         (Decimal("0.10"), "0.10"), (None, "")])
def test_yuan_text_is_exact(value, text):
    assert yuan_text(value) == text


def test_csv_opens_in_excel_and_round_trips(tmp_path):
    path = write_csv(ROWS, COLUMNS, tmp_path / "f.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["协议编号", "机构编码"]
    assert rows[1][3:6] == ["2025-11-30", "2998865.37", "1234567890.01"]
    assert rows[1][8] == "2026-03-01 09:30:05" and rows[2][8] == "2026-03-02 07:59:59"
    assert rows[1][7] == ROWS[0]["reason"]                  # text with commas of its own kept
    assert to_csv(ROWS, COLUMNS).count("\r\n") == 3


def test_xlsx_holds_numbers_and_dates_with_a_frozen_bold_header_and_what_was_asked(tmp_path):
    path = write_xlsx(ROWS, COLUMNS, tmp_path / "f.xlsx", sheet="positions",
                      about={"store": "sqlite:///x.sqlite", "question": "positions",
                             "as_of": "2025-12-31", "known_at": None})
    book = load_workbook(path)
    ws = book["positions"]
    assert [c.value for c in ws[1]][:3] == ["协议编号", "机构编码", "年度"]
    assert ws["A1"].font.bold and ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws["C2"].value == 2025
    assert ws["D2"].value == datetime(2025, 11, 30) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == pytest.approx(2998865.37) and ws["E2"].number_format == "#,##0.00"
    assert ws["F2"].value == pytest.approx(1234567890.01)
    assert ws["I2"].value == datetime(2026, 3, 1, 9, 30, 5)
    about = {r[0].value: r[1].value for r in book["查询说明"].iter_rows(min_row=2)}
    assert about["数据库"] == "sqlite:///x.sqlite" and about["业务日期截至"] == "2025-12-31"
    assert about["记录截至"] == "当前" and about["行数"] == "2" and about["导出人"]


def _position(year, claimed, paid):
    zero = "0.00"
    return {"year": year, "claimed": claimed, "approved": claimed, "paid": paid,
            "withheld": zero, "still_held": zero, "to_recover": zero, "recovered": zero}


def test_positions_chart_sums_years_exactly_and_writes_png_and_svg(tmp_path):
    from adapters.charts import ChartUnusable, positions_chart, yearly
    rows = [_position(2024, "0.01", "0.01"), _position(2024, "100.02", "90.00"),
            _position(2025, "12345678.99", "1")]
    assert yearly(rows)[2024]["claimed"] == Decimal("100.03")
    png = positions_chart(rows, tmp_path / "f.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = positions_chart(rows, tmp_path / "f.svg", lang="en")
    assert b"<svg" in svg.read_bytes()[:500]
    with pytest.raises(ChartUnusable):
        positions_chart(rows, tmp_path / "f.jpg")


def test_progress_goes_to_standard_error_only_when_asked(monkeypatch, capsys):
    from adapters.progress import progress
    monkeypatch.setenv("LEDGER_PROGRESS", "never")
    with progress("校验", total=3) as steps:
        for _ in range(3):
            steps.advance()
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("LEDGER_PROGRESS", "always")
    with progress("校验", total=3) as steps:
        steps.say("校验哈希链")
        steps.advance(3)
    out, err = capsys.readouterr()
    assert out == "" and "校验哈希链" in err and "3/3" in err


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)",
                                  "\tcmd", "\rcmd"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text(tmp_path, text):
    rows = [{"agreement": "TY-AG-1", "reason": text, "claimed": "-1.00"}]
    cols = [Column("agreement", "code"), Column("reason", "text"),
            Column("claimed", "money", header="money.claimed")]
    line = list(csv.reader(io.StringIO(to_csv(rows, cols), newline="")))[1]
    assert line[1] == "'" + text and line[2] == "-1.00"      # amounts stay numbers
    ws = load_workbook(write_xlsx(rows, cols, tmp_path / "f.xlsx", about={}))["ledger"]
    # (XML keeps a carriage return as a line feed: the guard is the apostrophe)
    assert ws["B2"].value.replace("\n", "\r") == ("'" + text).replace("\n", "\r")
    assert ws["B2"].data_type == "s"
    assert ws["C2"].value == -1


def test_ordinary_text_is_written_as_it_is():
    rows = [{"agreement": "TY-AG-1", "reason": "逾期未改正 = 终止", "claimed": "1"}]
    cols = [Column("agreement", "code"), Column("reason", "text")]
    assert list(csv.reader(io.StringIO(to_csv(rows, cols))))[1] == ["TY-AG-1", "逾期未改正 = 终止"]
