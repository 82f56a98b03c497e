"""AUD-06 reconciliation reads a statement as the bank wrote it: every
finding names the line a text editor shows (an xlsx file's sheet row); a
line that cannot be read is reported on its own and never swallows or
re-splits the next; amounts are exact fen (PAY-10), and an unquoted
thousands separator is refused as ambiguous rather than read as 1 yuan.

These run the parser and the matching on fakes (no store): the ledger's
three payments of tests/test_reconcile.py as LedgerItems."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from adapters.reconcile import parse, split_fields, Malformed
from domain.reconciliation import LedgerItem, reconcile

PAID = [LedgerItem("payment", date(2025, 2, 24), "TY-H001", 180000, "SY202501",
                   "claim XY-2025-001:2025-01 batch 1"),
        LedgerItem("payment", date(2025, 3, 24), "TY-H001", 270000, "SY202502",
                   "claim XY-2025-001:2025-02 batch 1"),
        LedgerItem("payment", date(2025, 4, 24), "TY-H001", 360000, "SY202503",
                   "claim XY-2025-001:2025-03 batch 1")]

HEADER = "交易日期,收款单位编码,金额,摘要"
GOOD = ["2025-02-24,TY-H001,\"1,800.00\",SY202501",
        "2025-03-24,TY-H001,2700.00,SY202502",
        "2025-04-24,TY-H001,3600,SY202503"]


def run(data: bytes):
    parsed = parse(data)
    return parsed, reconcile(parsed.lines, PAID, malformed=parsed.malformed,
                             period=parsed.period)


def matched_lines(result) -> list[int]:
    return sorted(line.line_no for line, _, _ in result.matched)


def malformed(result) -> dict[int, str]:
    return dict(result.malformed)


# --- encodings ----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding, reported", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gbk")])
def test_aud06_utf8_with_and_without_bom_and_gbk_statements_reconcile(encoding, reported):
    parsed, result = run("\n".join([HEADER, *GOOD]).encode(encoding))
    assert parsed.encoding == reported
    assert matched_lines(result) == [2, 3, 4] and not result.malformed


def test_aud06_a_gb18030_statement_with_characters_outside_gbk_reconciles():
    text = "\r\n".join(["交易日期,收款单位编码,金额,参考号,备注",
                        "2025-02-24,TY-H001,\"1,800.00\",SY202501,𠀀䶮 工伤医疗费",
                        "2025-03-24,TY-H001,2700.00,SY202502,"])
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")                      # the statement is GB18030 only
    parsed, result = run(text.encode("gb18030"))
    assert parsed.encoding == "gb18030"
    assert matched_lines(result) == [2, 3]
    assert parsed.lines[0].reference == "SY202501 𠀀䶮 工伤医疗费"


def test_aud06_utf16_and_xls_files_are_refused_with_what_to_save_them_as():
    with pytest.raises(ValueError, match="UTF-16"):
        parse("\n".join([HEADER, *GOOD]).encode("utf-16"))
    with pytest.raises(ValueError, match=r"\.xls workbook; save it as \.xlsx"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


# --- separators, preamble -----------------------------------------------------------------
def test_aud06_a_tab_separated_statement_is_sniffed_and_its_unquoted_separators_are_plain():
    rows = ["交易日期\t收款单位编码\t金额\t摘要",
            "2025-02-24\tTY-H001\t1,800.00\tSY202501",     # no comma splits a tab file
            "2025-03-24\tTY-H001\t2,700.00",              # one field short
            "2025-04-24\tTY-H001\t3,600.00\tSY202503"]
    parsed, result = run("\n".join(rows).encode("utf-8"))
    assert parsed.format == "tsv"
    assert matched_lines(result) == [2, 4]
    assert malformed(result) == {3: "3 fields, the header has 4"}


def test_aud06_a_preamble_before_the_header_is_skipped_and_reported_with_the_header_line():
    rows = ["中国建设银行 账户交易明细",
            "账号：1405 0160 0000 5000 1234,户名：太原市社会保险中心",
            "",
            "起止日期：2025-02-01 至 2025-04-30",
            HEADER,
            *GOOD,
            "2025-04-25,TY-H001,12.00,SY999"]
    parsed, result = run("\n".join(rows).encode("gbk"))
    assert (parsed.header_line, parsed.preamble_lines) == (5, 3)
    assert parsed.period == (date(2025, 2, 1), date(2025, 4, 30))
    assert matched_lines(result) == [6, 7, 8]
    assert [line.line_no for line in result.unmatched_statement] == [9]


def test_aud06_a_period_in_the_preamble_limits_what_the_ledger_may_miss():
    rows = ["起止日期：2025-03-01 至 2025-03-31", HEADER, GOOD[1]]
    parsed, result = run("\n".join(rows).encode("utf-8"))
    # SY202501 (2025-02-24) and SY202503 (2025-04-24) lie outside March
    assert result.unmatched_ledger == [] and matched_lines(result) == [3]


def test_aud06_without_a_header_the_statement_is_refused_naming_the_columns_wanted():
    with pytest.raises(ValueError, match="no header line names a value date"):
        parse("日期,说明\n2025-02-24,x\n".encode("utf-8"))


# --- malformed lines: reported on their own, with their physical numbers -------------------
def test_aud06_an_unterminated_quote_is_one_malformed_line_and_a_duplicate_after_it_is_reported():
    rows = [HEADER,
            GOOD[0],
            "2025-03-24,TY-H001,\"2,700.00,SY202502",         # the quote never closes
            "2025-03-24,TY-H001,\"2,700.00\",SY202502",
            "2025-03-24,TY-H001,\"2,700.00\",SY202502",       # paid twice
            GOOD[2]]
    parsed, result = run("\r\n".join(rows).encode("gbk"))
    assert malformed(result) == {3: "the quote opened at column 20 is not closed on this line"}
    assert matched_lines(result) == [2, 4, 6]
    assert [(d.line_no, first.line_no) for d, first, _ in result.duplicates] == [(5, 4)]


def test_aud06_a_quote_closed_on_a_later_line_does_not_join_the_lines_between():
    rows = [HEADER, "2025-02-24,TY-H001,\"1,800.00,SY202501", GOOD[1],
            "x\",TY-H001,1.00,Z", GOOD[2]]
    parsed, result = run("\n".join(rows).encode("utf-8"))
    assert sorted(malformed(result)) == [2, 4]
    assert "a quote inside the unquoted field" in malformed(result)[4]
    assert matched_lines(result) == [3, 5]


def test_aud06_extra_and_missing_fields_are_malformed_lines_never_re_split():
    rows = [HEADER,
            "2025-02-24,TY-H001,1800.00,SY202501,extra",
            "2025-03-24,TY-H001,2700.00",
            GOOD[2]]
    parsed, result = run("\n".join(rows).encode("utf-8"))
    assert malformed(result) == {2: "5 fields, the header has 4",
                                 3: "3 fields, the header has 4"}
    assert matched_lines(result) == [4]


def test_pay10_an_unquoted_thousands_separator_is_refused_as_ambiguous():
    rows = [HEADER,
            "2025-02-24,TY-H001,1,800.00,SY202501",      # one field too many
            "2025-03-24,TY-H001,2,700.00",               # as many fields as the header
            "2025-04-24,TY-H001,1,234,567.89,SY202503"]   # two separators
    parsed, result = run("\n".join(rows).encode("utf-8"))
    why = malformed(result)
    assert sorted(why) == [2, 3, 4] and not parsed.lines
    assert "the amount 1,800.00 has an unquoted thousands separator" in why[2]
    assert 'quote it as "1,800.00"' in why[2]
    assert "the amount 2,700.00 has an unquoted thousands separator" in why[3]
    assert "1,234,567.89" in why[4]


def test_pay10_a_quoted_thousands_separator_is_read_exactly():
    parsed, result = run("\n".join([HEADER, "2025-02-24,TY-H001,\"1,800.00\",SY202501",
                                    "2025-03-24,TY-H001,\"2,700.5\",SY202502"]).encode())
    assert [line.amount_fen for line in parsed.lines] == [180000, 270050]
    assert matched_lines(result) == [2] and len(result.amount_differences) == 1


def test_pay10_an_amount_with_three_decimals_or_a_stray_separator_is_malformed():
    rows = [HEADER, "2025-02-24,TY-H001,1800.001,SY202501",
            "2025-03-24,TY-H001,\"27,00.00\",SY202502"]
    parsed, result = run("\n".join(rows).encode("utf-8"))
    assert sorted(malformed(result)) == [2, 3]
    assert "not a yuan amount" in malformed(result)[2]


def test_aud06_excel_text_cells_and_quoted_quotes_are_one_field_each():
    assert split_fields('="0123","say ""hi""",x', ",") == ["0123", 'say "hi"', "x"]
    with pytest.raises(Malformed, match="text after the closing quote"):
        split_fields('"a"b,c', ",")


def test_aud06_summary_lines_and_a_repeated_header_are_skipped_and_reported():
    rows = [HEADER, GOOD[0], "本页合计,,\"1,800.00\",", HEADER, GOOD[1], "合计,,\"4,500.00\","]
    parsed, result = run("\n".join(rows).encode("gbk"))
    assert [n for n, _ in parsed.skipped] == [3, 4, 6]
    assert matched_lines(result) == [2, 5] and not result.malformed


def test_aud06_blank_lines_are_counted_in_the_line_numbers():
    parsed, result = run("\n".join([HEADER, "", GOOD[0], "  ", "", GOOD[1]]).encode())
    assert matched_lines(result) == [3, 6]


# --- xlsx -----------------------------------------------------------------------------------
def xlsx(rows) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_aud06_an_xlsx_statement_reconciles_by_sheet_row_with_exact_fen():
    data = xlsx([
        ["账户明细查询"],                                            # row 1: preamble
        ["起止日期", "2025-02-01 至 2025-04-30"],                     # row 2
        [],                                                          # row 3
        ["交易日期", "摘要", "借方发生额", "贷方发生额", "对方户名", "收款单位编码"],  # row 4
        [datetime(2025, 2, 24, 10, 31), "SY202501", 1800.0, None, "某医院", "TY-H001"],
        [date(2025, 3, 24), "SY202502", 2700, None, "某医院", "TY-H001"],
        ["2025-04-24", "SY202503", 3600.004, None, "某医院", "TY-H001"],        # 3 decimals
        [date(2025, 4, 24), "SY202503", "3,600.00", None, "某医院", "TY-H001"],
        [date(2025, 4, 25), "X", -5.0, None, "某医院", "TY-H001"],              # negative
    ])
    parsed, result = run(data)
    assert (parsed.format, parsed.encoding, parsed.header_line, parsed.preamble_lines) == \
        ("xlsx", "xlsx", 4, 2)
    assert parsed.period == (date(2025, 2, 1), date(2025, 4, 30))
    assert matched_lines(result) == [5, 6, 8]
    assert sorted(malformed(result)) == [7, 9]
    assert "more than 2 decimals" in malformed(result)[7]
    assert "negative" in malformed(result)[9]


def test_aud06_an_xlsx_account_number_excel_kept_as_a_number_is_refused():
    data = xlsx([["交易日期", "借方发生额", "对方账号", "用途"],
                 [date(2025, 2, 24), 1800, 6.222021200001235e18, "SY202501"],
                 [date(2025, 3, 24), 2700, "6222021200001234567", "SY202502"]])
    parsed, result = run(data)
    assert "lost digits" in malformed(result)[2]
    assert parsed.lines[0].account_number == "6222021200001234567"


def test_pay10_an_xlsx_number_becomes_fen_through_its_decimal_text_never_a_float():
    from adapters.reconcile import _fen
    assert (_fen(1800.0), _fen(2700.5), _fen(0.01), _fen(12)) == (180000, 270050, 1, 1200)
    with pytest.raises(ValueError, match="more than 2 decimals"):
        _fen(0.1 + 0.2)                         # 0.30000000000000004: not a number of fen
    with pytest.raises(ValueError, match="beyond the limit"):
        _fen(1e12)
