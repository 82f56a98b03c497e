"""Lists as files a finance office opens: one CSV convention and xlsx.

CSV: UTF-8 with a byte-order mark (without it Excel on a Chinese Windows
reads UTF-8 as GBK), comma-separated, CRLF line ends, quoted as the csv
module quotes; amounts as plain decimals (``1234.56``: a thousands
separator would make Excel read text), dates ``YYYY-MM-DD`` and instants
``YYYY-MM-DD HH:MM:SS`` in China time, which Excel parses as dates and
times. xlsx: the same columns with a frozen bold header and filters,
amounts as numbers with the format ``#,##0.00``, dates and instants as
Excel dates, and a second sheet saying what was asked (the store, as of,
as known at, when and by whom), so a file passed on still says what it is.
Headers come from the label catalogue, in the current language.
"""
from __future__ import annotations

import csv
import getpass
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from adapters.labels import label, said, word
from adapters.tables import CHINA, Column, instant_text

YUAN_FORMAT = "#,##0.00"
# A cell a spreadsheet would run as a formula (CSV injection): written with a
# leading apostrophe, as text. Every file goes through ``plain``, so every
# export (the CLI's lists, the console's downloads, reconciliation findings
# from a bank's file, a lead's allegation) is guarded in this one place.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
INSTANT_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value) / 100
    if hasattr(value, "fen"):
        return Decimal(value.fen) / 100
    return Decimal(str(value).replace(",", ""))


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(CHINA).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, as text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def plain(value: Any, column: Column, lang: str | None = None) -> Any:
    """A cell as a spreadsheet value: Decimal, date, datetime, int or text
    (text never a formula)."""
    kind = column.kind
    if value is None:
        return None
    if kind == "money":
        return _amount(value)
    if kind == "date":
        return _date(value)
    if kind == "instant":
        return _instant(value)
    if kind in ("int", "year"):
        return value if isinstance(value, int) else int(value)
    if kind == "bool":
        return label("word.yes" if value else "word.no", lang)
    if kind == "word":
        return word(column.group or column.key, value, lang)
    if isinstance(value, (list, tuple)):
        return spreadsheet_safe("; ".join(str(v) for v in value))
    return spreadsheet_safe(said(value, lang))   # a timeline's summary in the reader's words


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[Column],
           lang: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title(lang) for c in columns])
    for r in rows:
        line = []
        for c in columns:
            v = plain(r.get(c.key), c, lang)
            if isinstance(v, Decimal):
                v = f"{v.quantize(Decimal('0.01'))}"
            elif isinstance(v, datetime):
                v = instant_text(v)
            elif isinstance(v, date):
                v = v.isoformat()
            line.append("" if v is None else v)
        writer.writerow(line)
    return out.getvalue()


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[Column], path: Path | str,
              lang: str | None = None) -> Path:
    path = Path(path)
    path.write_bytes(to_csv(rows, columns, lang).encode("utf-8-sig"))
    return path


def write_xlsx(rows: Iterable[dict[str, Any]], columns: Sequence[Column], path: Path | str, *,
               about: dict[str, Any], sheet: str = "", lang: str | None = None) -> Path:
    """``about`` says what was asked: keys of the ``about.`` labels (store,
    question, as_of, known_at); when and by whom are added here."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    rows = list(rows)
    book = Workbook()
    ws = book.active
    ws.title = (sheet or "ledger")[:31]
    ws.append([c.title(lang) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([plain(r.get(c.key), c, lang) for c in columns])
    formats = {"money": YUAN_FORMAT, "date": DATE_FORMAT, "instant": INSTANT_FORMAT}
    for i, c in enumerate(columns, 1):
        fmt = formats.get(c.kind)
        letter = ws.cell(row=1, column=i).column_letter
        width = max([len(c.title(lang)) * 2] + [len(str(ws.cell(row=n, column=i).value or ""))
                                                for n in range(2, min(len(rows), 200) + 2)])
        ws.column_dimensions[letter].width = min(max(width + 2, 10), 60)
        if fmt:
            for n in range(2, len(rows) + 2):
                ws.cell(row=n, column=i).number_format = fmt
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    info = book.create_sheet(label("about.sheet", lang)[:31])
    info.append([label("about.key", lang), label("about.value", lang)])
    for cell in info[1]:
        cell.font = Font(bold=True)
    facts = {**about, "rows": len(rows),
             "made_at": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
             "made_by": _who()}
    for key, value in facts.items():
        info.append([label(f"about.{key}", lang),
                     label("about.now", lang) if value in (None, "") else str(value)])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    book.save(path)
    return path


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:   # noqa: BLE001 - no user name in a bare container
        return "?"
