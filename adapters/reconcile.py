"""Reading a fund bank statement as banks export it, for reconciliation.

Formats. A CSV file, comma- or tab-separated (sniffed from the header line),
in UTF-8 (with or without BOM) or GB18030 (which includes GBK and GB2312),
or an ``.xlsx`` workbook (its first sheet). Excel 97-2003 ``.xls`` and
UTF-16 text are refused with what to save the file as instead.

Lines. Every line number is the physical line as a text editor shows it
(for xlsx, the sheet row). A CSV line is one record: a quoted field must
close on its own line (``""`` is a quote inside it, ``="0123"`` is Excel's
text form); an unclosed quote, text after a closing quote, or a line with
more or fewer fields than the header is a malformed line, reported with its
number and reason, never joined to the next line or re-split. Every other
line still reconciles. Blank lines, summary lines (合计, 小计, 本页合计 ...) and
a header repeated on a later page, and a note line with no separator
(打印日期：..., one cell of text not starting with a date) are skipped and
reported.

Preamble. Lines before the header (account name and number, the period, the
bank's title) are skipped and reported: how many, and which line was the
header. A period given there (``起止日期: 2025-04-01 至 2025-04-30``) limits
what the ledger may miss to that period.

Columns, by header name (English or Chinese, any order; full-width forms,
spaces and a unit such as ``(元)`` are ignored):

| column            | names accepted (among others: see COLUMNS)          | format |
|-------------------|-----------------------------------------------------|--------|
| value date        | value_date, 交易日期, 记账日期, 入账日期, 交易时间      | 2025-04-25, 2025/4/25, 2025年4月25日, 20250425 (a time after it is ignored) |
| debit / credit    | 借方发生额, 贷方发生额, 支出金额, 收入金额, debit, credit | yuan; one of the two on each line |
| amount            | amount, 金额, 付款金额, 交易金额                        | yuan above 0; a debit unless a direction column (借贷标志: 借/贷) says |
| counterparty name | 对方户名, 对方账户名称, 收款人名称, account_name        | the institution's account or registered name |
| counterparty acct | 对方账号, 对方账户, 收款人账号, account_number          | digits, grouped or not |
| institution code  | payee, institution, 收款单位编码, 机构编码 (older files) | the institution code |
| reference         | reference, 摘要, 用途, 附言, 备注, 业务参考号            | the reference, alone or within the purpose text; several such columns are read together |

A date, a debit or credit or amount, and one of counterparty name,
counterparty account, institution code or reference make the header.
Balances (余额) are read past. Amounts are exact fen: ``"1,234.56"`` quoted
(or in a tab-separated file) is 1234.56; an unquoted ``1,234.56`` in a
comma-separated file is refused as ambiguous, never read as 1 yuan and a
reference "234.56". An xlsx number becomes fen through its decimal text
(``Decimal(repr(value))``) and is refused with more than 2 decimals; an
account number Excel stored as a number of more than 15 digits has lost
digits and is refused.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from domain.money import Money, check_amount
from domain.reconciliation import CREDIT, DEBIT, Identified, Reconciliation, StatementLine

COLUMNS: dict[str, tuple[str, ...]] = {
    "value_date": ("value_date", "valuedate", "date", "交易日期", "记账日期", "日期", "入账日期",
                   "交易时间", "记账时间", "发生日期"),
    "payee": ("payee", "institution", "payeeinstitutioncode", "收款单位编码", "机构编码",
              "收款方", "institution_code"),
    "account_name": ("对方户名", "对方账户名称", "对方账户名", "对方名称", "对方单位", "收款人名称",
                     "收款方户名", "收款人户名", "对方户名称", "account_name", "accountname",
                     "counterparty", "counterpartyname"),
    "account_number": ("对方账号", "对方帐号", "对方账户", "对方帐户", "收款人账号", "收款方账号",
                       "收款人帐号", "account_number", "accountnumber", "counterpartyaccount"),
    "amount": ("amount", "金额", "付款金额", "交易金额", "发生额"),
    "debit": ("借方发生额", "借方金额", "借方", "支出金额", "支出", "付出金额", "debit",
              "debitamount", "withdrawal"),
    "credit": ("贷方发生额", "贷方金额", "贷方", "收入金额", "收入", "存入金额", "credit",
               "creditamount", "deposit"),
    "direction": ("借贷标志", "借贷方向", "收支方向", "借/贷", "方向", "direction", "dr/cr"),
    "reference": ("reference", "ref", "摘要", "用途", "附言", "备注", "业务参考号", "参考号",
                  "交易附言", "purpose", "memo"),
    "balance": ("余额", "账户余额", "balance"),
}
_ROLE = {name: role for role, names in COLUMNS.items() for name in names}
_DIRECTION = {"借": DEBIT, "d": DEBIT, "dr": DEBIT, "debit": DEBIT, "支出": DEBIT, "支": DEBIT,
              "出": DEBIT, "付": DEBIT, "贷": CREDIT, "c": CREDIT, "cr": CREDIT,
              "credit": CREDIT, "收入": CREDIT, "收": CREDIT, "入": CREDIT}
_SUMMARY = ("合计", "小计", "总计", "累计", "本页", "本月合计", "本日合计", "total", "subtotal")
_NUMERIC_ROLES = ("amount", "debit", "credit", "balance")
# a date in a preamble line, not inside a longer number such as an account's
_DATE = re.compile(r"(?<![0-9])(?:([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?"
                   r"|([0-9]{4})([0-9]{2})([0-9]{2}))(?![0-9])")
_PERIOD_WORDS = ("起止", "期间", "日期范围", "查询日期", "账单日期", "period", "from")
_START_WORDS, _END_WORDS = ("起始", "开始", "start"), ("终止", "结束", "截止", "end")


class Malformed(ValueError):
    """A line that cannot be read as one record of the statement."""


@dataclass
class ParsedStatement:
    lines: list[StatementLine]
    malformed: list[tuple[int, str]]
    encoding: str                 # utf-8, utf-8-sig (BOM), gbk, gb18030, or xlsx
    sha256: str
    count: int                    # data lines judged (read, or reported malformed)
    format: str = "csv"           # csv (comma), tsv (tab) or xlsx
    header_line: int = 1
    preamble_lines: int = 0       # non-blank lines before the header, skipped
    skipped: list[tuple[int, str]] = field(default_factory=list)   # summary lines and the like
    period: tuple[date, date] | None = None
    columns: dict[str, str] = field(default_factory=dict)          # role -> header as written


# --- bytes to rows --------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GBK, else GB18030; the name used."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError("the statement is UTF-16 text; save it as UTF-8 or GB18030 (GBK) "
                         "CSV, or as .xlsx")
    if b"\x00" in data:
        raise ValueError("the statement is not a text file (it holds NUL bytes); give a CSV "
                         "or .xlsx statement")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise ValueError(f"the statement starts with a UTF-8 BOM but byte {e.start + 3} "
                             "is not UTF-8") from None
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("the statement is neither UTF-8 nor GB18030 (GBK) text")


def physical_lines(text: str) -> list[tuple[int, str]]:
    """Lines as an editor numbers them: split at CR LF, LF or CR only (not at
    the other characters str.splitlines breaks on)."""
    parts = re.split(r"\r\n|\n|\r", text)
    if parts and parts[-1] == "":
        parts.pop()
    return list(enumerate(parts, start=1))


def split_fields(line: str, delimiter: str) -> list[str]:
    """One physical line's fields. A quoted field closes on the same line;
    an unclosed quote, text after a closing quote, or a quote inside an
    unquoted field is Malformed: the line is never joined with the next."""
    fields: list[str] = []
    i, n = 0, len(line)
    while True:
        j = i
        while j < n and line[j] == " ":
            j += 1
        if j < n - 1 and line[j] == "=" and line[j + 1] == '"':   # Excel's ="0123"
            j += 1
        if j < n and line[j] == '"':
            start, buf, k = j, [], j + 1
            while True:
                q = line.find('"', k)
                if q < 0:
                    raise Malformed(f"the quote opened at column {start + 1} is not closed "
                                    "on this line")
                if q + 1 < n and line[q + 1] == '"':
                    buf.append(line[k:q + 1])
                    k = q + 2
                    continue
                buf.append(line[k:q])
                i = q + 1
                break
            while i < n and line[i] == " ":
                i += 1
            fields.append("".join(buf))
            if i == n:
                return fields
            if line[i] != delimiter:
                raise Malformed(f"text after the closing quote at column {i + 1}")
            i += 1
            continue
        k = line.find(delimiter, i)
        cell = line[i:] if k < 0 else line[i:k]
        if '"' in cell:
            raise Malformed(f"a quote inside the unquoted field {cell.strip()!r}")
        fields.append(cell)
        if k < 0:
            return fields
        i = k + 1


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:  # noqa: BLE001 - a zip that is not a workbook, or a broken one
        raise ValueError(f"the statement is not a readable .xlsx workbook ({e})") from None
    sheet = book.worksheets[0]
    return [(n, list(row)) for n, row in
            enumerate(sheet.iter_rows(min_row=1, max_row=sheet.max_row, values_only=True),
                      start=1)]


# --- the header ---------------------------------------------------------------------------
def _head(cell: Any) -> str:
    h = "".join(unicodedata.normalize("NFKC", str(cell or "")).split()).lower()
    h = re.sub(r"\((元|人民币|rmb|cny)\)$", "", h)
    return h.strip("*:")


def header_roles(cells: Sequence[Any]) -> dict[str, list[int]] | None:
    """Which column is which, if ``cells`` is a statement header."""
    where: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        role = _ROLE.get(_head(cell))
        if role:
            where.setdefault(role, []).append(i)
    has = where.keys()
    if "value_date" in has and has & {"amount", "debit", "credit"} and \
            has & {"payee", "account_name", "account_number", "reference"}:
        return where
    return None


def _period(texts: Iterable[str]) -> tuple[date, date] | None:
    start = end = None
    for text in texts:
        low = text.lower()
        days = [_ymd(m) for m in _DATE.finditer(text)]
        days = [d for d in days if d is not None]
        if len(days) == 2 and any(w in low for w in _PERIOD_WORDS):
            return min(days), max(days)
        if len(days) == 1 and any(w in low for w in _START_WORDS):
            start = days[0]
        elif len(days) == 1 and any(w in low for w in _END_WORDS):
            end = days[0]
    return (start, end) if start and end and start <= end else None


def _ymd(m: re.Match[str]) -> date | None:
    g = m.groups()
    y, mo, d = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


# --- cells ----------------------------------------------------------------------------------
def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    t = str(value if value is not None else "").strip()
    m = re.fullmatch(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?"
                     r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?", t) or \
        re.fullmatch(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:[ T]?[0-9]{2}:?[0-9]{2}:?[0-9]{2})?", t)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise ValueError(f"not a date: {t!r}")


def _fen(value: Any) -> int | None:
    """A yuan amount in exact fen, signed; None when the cell is empty."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return check_amount(value * 100, f"{value} yuan")
    if isinstance(value, (float, Decimal)):
        try:   # repr: the shortest decimal that is this float, never its binary expansion
            d = Decimal(repr(value)) if isinstance(value, float) else value
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
        if not d.is_finite() or d != d.quantize(Decimal("0.01")):
            raise ValueError(f"the amount {value!r} has more than 2 decimals; fen are whole")
        return check_amount(int(d * 100), f"{d} yuan")
    t = str(value).strip()
    for mark in ("¥", "￥", "元", "RMB", "CNY", " "):
        t = t.replace(mark, "")
    if t in ("", "-", "--"):
        return None
    return Money.parse(t).fen


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).strip()


def _account(value: Any) -> str:
    """An account number; one Excel kept as a number beyond 15 digits lost digits."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise ValueError(f"the account number {value!r} was stored as a number and lost "
                             "digits; export the account column as text")
        return str(int(value))
    return _text(value).lstrip("'\t").strip()


def _thousands_split(cells: Sequence[str], where: dict[str, list[int]],
                     width: int) -> str | None:
    """An unquoted 1,234.56 in a comma-separated line: it reads as several
    fields; say so rather than read 1 yuan and a reference of 234.56."""
    extra = len(cells) - width
    roles = {i: r for r, idx in where.items() for i in idx}
    for role in ("amount", "debit", "credit"):
        for i in where.get(role, []):
            if i >= len(cells) or not re.fullmatch(r"-?[0-9]{1,3}", cells[i].strip()):
                continue
            if extra > 0:
                parts = [c.strip() for c in cells[i:i + extra + 1]]
            elif i + 1 < len(cells) and roles.get(i + 1) not in _NUMERIC_ROLES:
                parts = [cells[i].strip(), cells[i + 1].strip()]   # took the next column's place
            else:
                continue
            joined = ",".join(parts)
            if re.fullmatch(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?", joined):
                return (f"the amount {joined} has an unquoted thousands separator: in a "
                        f"comma-separated file it is ambiguous (it splits into {len(parts)} "
                        f"fields); quote it as \"{joined}\" or write {joined.replace(',', '')}")
    return None


def _one(cells: Sequence[Any], where: dict[str, list[int]], role: str) -> Any:
    idx = where.get(role)
    return cells[idx[0]] if idx else None


def statement_line(line_no: int, cells: Sequence[Any], where: dict[str, list[int]],
                   counterparty_roles: set[str]) -> StatementLine:
    value_date = _date(_one(cells, where, "value_date"))
    if where.keys() & {"debit", "credit"}:
        debit, credit = _fen(_one(cells, where, "debit")), _fen(_one(cells, where, "credit"))
        if (debit or 0) < 0 or (credit or 0) < 0:
            raise ValueError("a negative debit or credit; the column says the direction")
        if debit and credit:
            raise ValueError(f"both a debit ({Money(debit)}) and a credit ({Money(credit)}) "
                             "on one line")
        if not debit and not credit:
            raise ValueError("no debit or credit amount above 0")
        amount, direction = (debit, DEBIT) if debit else (credit, CREDIT)
    else:
        amount = _fen(_one(cells, where, "amount"))
        direction = DEBIT
        if "direction" in where:
            flag = _head(_one(cells, where, "direction"))
            if flag not in _DIRECTION:
                raise ValueError(f"the direction {flag!r} is neither 借 (debit) nor 贷 (credit)")
            direction = _DIRECTION[flag]
        if amount is None or amount <= 0:
            raise ValueError("the amount must be above 0 (a negative amount needs debit and "
                             "credit columns or a 借贷 direction column)")
    reference = " ".join(t for t in (_text(cells[i]) for i in where.get("reference", [])) if t)
    payee = _text(_one(cells, where, "payee"))
    account_name = _text(_one(cells, where, "account_name"))
    account_number = _account(_one(cells, where, "account_number"))
    if counterparty_roles == {"payee"} and not payee:
        raise ValueError("no payee")
    return StatementLine(line_no, value_date, amount, reference, payee, account_name,
                         account_number, direction)


def _is_summary(cells: Sequence[Any]) -> bool:
    first = next((_head(c) for c in cells if _text(c)), "")
    return first.startswith(_SUMMARY)


# --- the statement ----------------------------------------------------------------------------
def parse(data: bytes) -> ParsedStatement:
    """Read a statement's lines; raise ValueError if it cannot be read at all."""
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ValueError("the statement is empty")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValueError("the statement is an Excel 97-2003 .xls workbook; save it as .xlsx "
                         "or CSV")
    if data[:4] == b"PK\x03\x04":
        rows: list[tuple[int, Any]] = _xlsx_rows(data)
        encoding, fmt, delimiter = "xlsx", "xlsx", None
    else:
        text, encoding = decode(data)
        rows = physical_lines(text)
        fmt, delimiter = "csv", ","
    found = None
    for k, (no, raw) in enumerate(rows):
        for delim in ((None,) if delimiter is None else ("\t", ",")):
            if delim is not None and delim not in raw:
                continue
            try:
                cells = raw if delim is None else split_fields(raw, delim)
            except Malformed:
                continue
            where = header_roles(cells)
            if where:
                found = (k, cells, where, delim)
                break
        if found:
            break
    if found is None:
        wanted = "a value date, a debit/credit or amount, and a counterparty or reference"
        raise ValueError(f"no header line names {wanted} (e.g. 交易日期, 借方发生额, 贷方发生额, "
                         f"对方户名, 对方账号, 摘要; or value_date, payee, amount, reference)")
    k, header, where, delimiter = found
    if delimiter == "\t":
        fmt = "tsv"
    preamble = [raw if delimiter is not None else " ".join(_text(c) for c in raw)
                for _, raw in rows[:k]]
    heads = [_head(c) for c in header]
    width = len(header)
    counterparty = where.keys() & {"payee", "account_name", "account_number"}
    lines: list[StatementLine] = []
    malformed: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    for no, raw in rows[k + 1:]:
        if delimiter is not None:
            if not raw.strip():
                continue
            try:
                cells: list[Any] = split_fields(raw, delimiter)
            except Malformed as e:
                malformed.append((no, str(e)))
                continue
        else:
            cells = list(raw)
        if not any(_text(c) for c in cells):
            continue
        if _is_summary(cells):
            skipped.append((no, f"summary line {_text(next(c for c in cells if _text(c)))!r}"))
            continue
        if [_head(c) for c in cells[:width]] == heads:
            skipped.append((no, "the header repeated"))
            continue
        filled = [c for c in cells if _text(c)]
        if width > 1 and len(filled) == 1 and (delimiter is None or len(cells) == 1) \
                and not _DATE.match(_text(filled[0])):
            # a note such as 打印日期：2025-05-06 has no separator: it is not a
            # record cut short (that would start with its date)
            skipped.append((no, f"a note, not a record: {_text(filled[0])[:40]!r}"))
            continue
        if delimiter is None:                       # a sheet row: as wide as the sheet
            if any(_text(c) for c in cells[width:]):
                malformed.append((no, f"a value beyond the header's {width} columns"))
                continue
            cells = (cells + [None] * width)[:width]
        try:
            if delimiter is not None and len(cells) != width:
                raise ValueError((_thousands_split(cells, where, width) if delimiter == ","
                                  else None) or f"{len(cells)} fields, the header has {width}")
            if delimiter == ",":
                ambiguous = _thousands_split(cells, where, width)
                if ambiguous:
                    raise ValueError(ambiguous)
            lines.append(statement_line(no, cells, where, set(counterparty)))
        except ValueError as e:
            malformed.append((no, str(e)))
    return ParsedStatement(
        lines, malformed, encoding, digest, len(lines) + len(malformed), fmt,
        header_line=rows[k][0], preamble_lines=sum(1 for t in preamble if t.strip()),
        skipped=skipped, period=_period(preamble),
        columns={role: ", ".join(_text(header[i]) for i in idx) for role, idx in where.items()})


# --- the findings -------------------------------------------------------------------------
FIELDS = ["finding", "line", "direction", "value_date", "payee", "counterparty",
          "statement_amount", "ledger_amount", "reference", "ledger_source", "note"]


def report_rows(r: Reconciliation) -> list[dict[str, Any]]:
    """One row per finding, for the table and the CSV."""
    out: list[dict[str, Any]] = []

    def row(kind: str, line: StatementLine | None = None, item: Any = None,
            note: str = "") -> None:
        who = r.identified.get(line.line_no) if line else None
        payee = (who.code if who and who.code else (line.payee if line else "")) if line \
            else item.payee
        explain = [note] + ([who.note] if who and who.note and kind != "matched" else [])
        out.append({
            "finding": kind, "line": line.line_no if line else "",
            "direction": line.direction if line else item.direction,
            "value_date": (line.value_date if line else item.value_date).isoformat(),
            "payee": payee or "", "counterparty": line.counterparty() if line else "",
            "statement_amount": Money(line.amount_fen).yuan() if line else "",
            "ledger_amount": Money(item.amount_fen).yuan() if item else "",
            "reference": line.reference if line else item.reference,
            "ledger_source": item.source if item else "",
            "note": "; ".join(t for t in explain if t)})

    for line, item, how in r.matched:
        who = r.identified.get(line.line_no) or Identified(None)
        row("matched", line, item, f"by {how}" + (f", payee by {who.how}" if who.how else ""))
    for line, item in r.amount_differences:
        diff = Money(line.amount_fen - item.amount_fen).yuan()
        row("amount difference", line, item, f"statement minus ledger = {diff}")
    for line, item, why in r.payee_differences:
        row("payee difference", line, item, why)
    for line, first, why in r.duplicates:
        row("duplicate", line, None, why)
    for line in r.unmatched_statement:
        row("on the statement only", line, None, "no recorded payment or deposit return")
    for line in r.unmatched_credits:
        row("credit on the statement only", line, None, "no recorded recovery")
    for item in r.unmatched_ledger:
        row("in the ledger only", None, item, f"{item.kind} not on the statement")
    for line_no, why in r.malformed:
        out.append({**{k: "" for k in FIELDS}, "finding": "malformed line", "line": line_no,
                    "note": why})
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The findings as the house CSV (adapters/exports.py: UTF-8 text, CRLF,
    plain decimal amounts) under the catalogue's headers; text from the
    bank's file that a spreadsheet would run as a formula stays text."""
    from adapters.exports import to_csv as house_csv
    from adapters.lists import FINDINGS
    return house_csv(rows, FINDINGS)
