"""The ledger's lists as people get them: a table at the terminal's width,
a CSV file and an xlsx workbook, the same columns and headers in each.

The columns of a list the console also shows are the console's
(adapters/console/views.py), so a file from either holds the same thing
under the same headers; the lists only the command line has (the public
list of ended agreements, the bar register, a score sheet) are here. Words
come from the label catalogue (adapters/labels.py), tables from
adapters/tables.py (never a cut code, date or amount), files from
adapters/exports.py (one CSV convention, xlsx with its "about" sheet).

Text from outside the ledger (a bank's statement, a recorded note) that a
spreadsheet would run as a formula is written as text by adapters/exports.py
itself, for every file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from adapters.console import views
from adapters.labels import label
from adapters.tables import Column

STATUS = views.STATUS
DEADLINES = (*views.DEADLINES, Column("provisional", "bool", header="cli.provisional"))
TIMELINE = views.TIMELINE
POSITIONS = (Column("agency", "code"), *views.POSITIONS)
FINDINGS = (*views.FINDINGS[:-1], Column("ledger_source", "text", header="cli.ledger_source"),
            views.FINDINGS[-1])
APPLICATIONS = views.APPLICATIONS
AGREEMENTS = (*views.AGREEMENTS, Column("obligations", "text"))
ENDED = (Column("ended_on", "date"), Column("agreement", "code"), Column("institution", "code"),
         Column("name", "text"), Column("agency", "code"), Column("ground", "code"),
         Column("article", "code"), Column("breach", "bool"), Column("reason", "text"))
BARS = (Column("person", "code"), Column("bar_no", "code", header="column.bar"),
        Column("institution", "code"), Column("years", "int"),
        Column("status", "word", group="bar_status"),
        Column("approved_on", "date", header="column.from"), Column("until", "date"),
        Column("finding", "text"))
SHEET = (Column("item", "code", header="cli.item"), Column("points", "text", header="cli.points"),
         Column("deductions", "text", header="cli.deductions"))

@dataclass(frozen=True)
class Page:
    """``--limit`` rows from ``--page`` (1 is the first); limit 0 is every row."""
    limit: int = 0
    page: int = 1

    def __post_init__(self) -> None:
        if self.limit < 0 or self.page < 1:
            raise ValueError("--limit is 0 (every row) or more, --page 1 or more")

    def of(self, rows: list[Any]) -> list[Any]:
        if not self.limit:
            return rows
        start = (self.page - 1) * self.limit
        return rows[start:start + self.limit]

    def note(self, total: int, shown: int) -> str | None:
        """What the table leaves out, or None when it shows every row."""
        if shown == total:
            return None
        first = (self.page - 1) * self.limit + 1 if shown else 0
        return label("cli.paged", first=first, last=first + shown - 1 if shown else 0,
                     total=total, next=self.page + 1)


def write_files(rows: list[dict[str, Any]], columns: Sequence[Column], *,
                csv: Path | None, xlsx: Path | None, about: dict[str, Any],
                sheet: str) -> list[Path]:
    """Every row to the files asked for (the table may show a page of them)."""
    from adapters.exports import write_csv, write_xlsx
    written = []
    if csv is not None:
        written.append(write_csv(rows, columns, csv))
    if xlsx is not None:
        written.append(write_xlsx(rows, columns, xlsx, about=about, sheet=sheet))
    return written
