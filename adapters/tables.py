"""Tables that never lose a digit.

A column has a kind: codes, dates, instants, amounts and whole numbers are
never cut or wrapped (an agreement number or a yuan amount read wrongly is
worse than a wide table); only free text folds onto further lines, keeping
every character. Amounts are right-aligned with thousands separators and
two decimals, computed from exact values (fen, ``Decimal`` or yuan text),
never floats. When the terminal is too narrow for the unbreakable columns
the table becomes one record per block (``label  value`` lines), which fits
any width without cutting.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adapters.labels import label, said, word

KINDS = ("code", "date", "instant", "money", "int", "year", "text", "word", "bool")
CHINA = timezone(timedelta(hours=8), "CST")
_UNBREAKABLE = {"code", "date", "instant", "money", "int", "year", "bool"}
_RIGHT = {"money", "int", "year"}


@dataclass(frozen=True)
class Column:
    """One column: the row key it shows, its kind, its header's label key
    (``column.<key>`` unless given), and for kind ``word`` the label group
    its codes belong to (``status``)."""
    key: str
    kind: str = "text"
    header: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    def title(self, lang: str | None = None) -> str:
        return label(self.header or f"column.{self.key}", lang)


def yuan_text(value: Any) -> str:
    """``1234567.8`` yuan (text or Decimal) or ``123456780`` fen (int) as
    ``1,234,567.80``; exact, never through a float."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise TypeError("an amount is not a truth value")
    if isinstance(value, int):
        amount = Decimal(value) / 100
    elif hasattr(value, "fen"):                       # domain.money.Money
        amount = Decimal(value.fen) / 100
    else:
        try:
            amount = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            return str(value)
    return f"{amount.quantize(Decimal('0.01')):,}"


def instant_text(value: Any) -> str:
    """A recording instant in China time, to the second: what Excel and a
    reader both take as a time (``2026-03-01 09:30:05``)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


def cell(value: Any, column: Column, lang: str | None = None) -> str:
    kind = column.kind
    if value is None:
        return ""
    if kind == "money":
        return yuan_text(value)
    if kind == "instant":
        return instant_text(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "bool":
        return label("word.yes" if value else "word.no", lang)
    if kind == "word":
        return word(column.group or column.key, value, lang)
    if kind == "int":
        return f"{value:,}" if isinstance(value, int) else str(value)
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value) if (lang or "zh") == "zh" else \
            "; ".join(str(v) for v in value)
    return said(value, lang)     # words kept to be said (a timeline's summary) in the reader's


def _widths(cells: list[list[str]], titles: list[str]) -> list[int]:
    return [max([cell_len(t)] + [cell_len(r[i]) for r in cells]) for i, t in enumerate(titles)]


def render(rows: Iterable[dict[str, Any]], columns: Sequence[Column], *,
           console: Console, title: str | None = None, lang: str | None = None) -> None:
    """Print ``rows`` as a table at the console's width, or as blocks when
    the unbreakable columns do not fit it."""
    rows = list(rows)
    titles = [c.title(lang) for c in columns]
    cells = [[cell(r.get(c.key), c, lang) for c in columns] for r in rows]
    if not rows:
        if title:
            console.print(title)
        console.print(label("table.empty", lang))
        return
    widths = _widths(cells, titles)
    # rich's border and padding: 3 cells a column plus one
    unbreakable = sum(w + 3 for w, c in zip(widths, columns) if c.kind in _UNBREAKABLE)
    folding = sum(min(w, 8) + 3 for w, c in zip(widths, columns) if c.kind not in _UNBREAKABLE)
    if unbreakable + folding + 1 > console.width:
        _blocks(cells, titles, console=console, title=title, lang=lang)
        return
    table = Table(title=title, title_justify="left")
    for c, t, w in zip(columns, titles, widths):
        if c.kind in _UNBREAKABLE:
            table.add_column(t, justify="right" if c.kind in _RIGHT else "left",
                             no_wrap=True, min_width=w, overflow="fold")
        else:
            table.add_column(t, overflow="fold")
    for r in cells:
        table.add_row(*(Text(v, justify="right" if c.kind in _RIGHT else "left")
                        for v, c in zip(r, columns)))
    console.print(table)


def _blocks(cells: list[list[str]], titles: list[str], *, console: Console,
            title: str | None, lang: str | None) -> None:
    if title:
        console.print(title)
    pad = max(cell_len(t) for t in titles)
    for n, r in enumerate(cells, 1):
        console.print(f"— {label('table.record', lang, n=n)} —")
        for t, v in zip(titles, r):
            console.print(Text(t + " " * (pad - cell_len(t)) + "  " + v), overflow="fold",
                          crop=False)
