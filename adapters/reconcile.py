"""Importing a fund bank disbursement statement and reconciling it.

The statement is a CSV file, UTF-8 (with or without BOM) or GBK, with a
header row naming four columns (English or Chinese names accepted):

| column       | names accepted                         | format                      |
|--------------|----------------------------------------|-----------------------------|
| value date   | value_date, 交易日期, 记账日期            | 2025-04-25, 2025/4/25, 20250425 |
| payee        | payee, institution, 收款单位编码, 机构编码 | the institution code        |
| amount       | amount, 金额, 付款金额                   | yuan, thousands separators allowed: 1,234.56 |
| reference    | reference, 摘要, 业务参考号, 参考号        | the payment's reference     |

A line that cannot be read is reported with its line number; the rest of
the file still reconciles.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.money import Money
from domain.reconciliation import Reconciliation, StatementLine

COLUMNS = {
    "value_date": ("value_date", "value date", "交易日期", "记账日期", "日期"),
    "payee": ("payee", "institution", "payee institution code", "收款单位编码", "机构编码",
              "收款方"),
    "amount": ("amount", "金额", "付款金额", "交易金额"),
    "reference": ("reference", "ref", "摘要", "业务参考号", "参考号", "附言"),
}


@dataclass
class ParsedStatement:
    lines: list[StatementLine]
    malformed: list[tuple[int, str]]
    encoding: str
    sha256: str
    count: int


def decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("the statement is neither UTF-8 nor GBK")


def _date(text: str) -> date:
    t = text.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _amount(text: str) -> int:
    t = text.strip().replace("¥", "").replace("￥", "").replace("元", "").replace(" ", "")
    fen = Money.parse(t).fen
    if fen <= 0:
        raise ValueError(f"a disbursement is above 0: {text!r}")
    return fen


def parse(data: bytes) -> ParsedStatement:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        raise ValueError("the statement is empty")
    header = [h.strip().lower() for h in rows[0]]
    where: dict[str, int] = {}
    for name, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                where[name] = i
                break
    missing = [n for n in COLUMNS if n not in where]
    if missing:
        raise ValueError(f"the header lacks {', '.join(missing)}; found {rows[0]}")
    lines, malformed = [], []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) < len(header):
                raise ValueError(f"{len(row)} fields, the header has {len(header)}")
            payee = row[where["payee"]].strip()
            if not payee:
                raise ValueError("no payee")
            lines.append(StatementLine(line_no, _date(row[where["value_date"]]), payee,
                                       _amount(row[where["amount"]]),
                                       row[where["reference"]].strip()))
        except ValueError as e:
            malformed.append((line_no, str(e)))
    return ParsedStatement(lines, malformed, encoding, hashlib.sha256(data).hexdigest(),
                           len(rows) - 1)


def report_rows(r: Reconciliation) -> list[dict[str, Any]]:
    """One row per finding, for the table and the CSV."""
    out: list[dict[str, Any]] = []

    def row(kind, line=None, item=None, note=""):
        out.append({
            "finding": kind, "line": line.line_no if line else "",
            "value_date": (line.value_date if line else item.value_date).isoformat(),
            "payee": line.payee if line else item.payee,
            "statement_amount": Money(line.amount_fen).yuan() if line else "",
            "ledger_amount": Money(item.amount_fen).yuan() if item else "",
            "reference": line.reference if line else item.reference,
            "ledger_source": item.source if item else "", "note": note})

    for line, item, how in r.matched:
        row("matched", line, item, f"by {how}")
    for line, item in r.amount_differences:
        diff = Money(line.amount_fen - item.amount_fen).yuan()
        row("amount difference", line, item, f"statement minus ledger = {diff}")
    for line, first in r.duplicates:
        row("duplicate", line, None, f"repeats line {first.line_no}")
    for line in r.unmatched_statement:
        row("on the statement only", line, None, "no recorded payment or return")
    for item in r.unmatched_ledger:
        row("in the ledger only", None, item, f"{item.kind} not on the statement")
    for line_no, why in r.malformed:
        out.append({"finding": "malformed line", "line": line_no, "value_date": "",
                    "payee": "", "statement_amount": "", "ledger_amount": "",
                    "reference": "", "ledger_source": "", "note": why})
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    fields = ["finding", "line", "value_date", "payee", "statement_amount", "ledger_amount",
              "reference", "ledger_source", "note"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
