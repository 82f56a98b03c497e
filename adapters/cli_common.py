"""What every ``ledger`` subcommand shares: its options (with their help and
metavars), date and instant parsing, JSON output, and how a list reaches
the reader (a table in the catalogue's words, a page of it, CSV and xlsx).

Kept free of the domain, the database and the read models: ``ledger
--help`` imports this module and typer, nothing else (issue #14 point 4);
each command imports what it needs when it runs.
"""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional, Sequence

import typer

# adapters.settings.URL_SETTING, not imported from there: that module loads
# the domain (tests/test_startup.py keeps the two equal)
URL_SETTING = "LEDGER_DATABASE_URL"

DbOption = typer.Option(None, "--db", metavar="STORE",
                        help=f"the store: an SQLite file path or a SQLAlchemy URL; default "
                             f"${URL_SETTING} or ledger.sqlite")
JsonOption = typer.Option(False, "--json", help="print JSON (English keys) instead of a table")
AsOfOption = typer.Option(None, "--as-of", metavar="DATE",
                          help="the business date the answer is for, YYYY-MM-DD "
                               "(default: every date recorded)")
KnownAtOption = typer.Option(None, "--known-at", metavar="INSTANT",
                             help="answer as the ledger knew it at this recording instant, "
                                  "e.g. 2025-03-01T12:00:00+08:00 (default: now)")
CsvOption = typer.Option(None, "--csv", metavar="FILE",
                         help="also write every row as CSV (UTF-8 with BOM, opens in Excel)")
XlsxOption = typer.Option(None, "--xlsx", metavar="FILE",
                          help="also write every row as an .xlsx workbook, with a sheet "
                               "saying what was asked")
LimitOption = typer.Option(0, "--limit", metavar="N", min=0,
                           help="show N rows (0: all); files still get every row")
PageOption = typer.Option(1, "--page", metavar="P", min=1, help="with --limit: which page")
InstitutionOption = typer.Option(None, "--institution", metavar="CODE",
                                 help="one institution's only, by its code")
AgencyOption = typer.Option(None, "--agency", metavar="CODE",
                            help="one agency's only, e.g. TY (SX is the province)")


def refuse(message: str, code: int = 2) -> None:
    """One clear line on standard error and the exit code; never a traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def parse_date(text: Optional[str], name: str, *, business: bool = False) -> Optional[date]:
    """An option's date: YYYY-MM-DD only; a business date the clock may move
    to lies inside the business window (adapters/boundary.py)."""
    if text is None:
        return None
    from adapters.boundary import Spoken, parse_business_day, parse_day, printable
    try:
        return parse_business_day(text) if business else parse_day(text)
    except ValueError as e:
        # the boundary's words in the reader's language; any other error as it is
        why = e.args[0].say() if e.args and isinstance(e.args[0], Spoken) else e
        raise typer.BadParameter(f"{name}: {printable(why)}") from None


def parse_instant(text: Optional[str]) -> Optional[datetime]:
    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        from adapters.boundary import printable
        raise typer.BadParameter(f"--known-at must be an ISO instant such as "
                                 f"2025-03-01T12:00:00+08:00, got {printable(repr(text))}")
    if instant.tzinfo is None:
        raise typer.BadParameter("--known-at needs a timezone, e.g. 2025-03-01T12:00:00+08:00")
    return instant


def check_agency(code: Optional[str]) -> None:
    """An agency code that is not one of Shanxi's is named as such (not an
    empty table)."""
    if code is None:
        return
    from domain.agency import AGENCIES
    if code not in AGENCIES:
        refuse(f"unknown agency {code!r}: the agencies are {', '.join(AGENCIES)}")


def plain(obj: Any) -> Any:
    """Dates, Decimals and dataclasses as JSON takes them."""
    from domain.service import _plain
    return _plain(obj)


def dump(obj: Any) -> None:
    typer.echo(json.dumps(plain(obj), ensure_ascii=False, indent=2, default=str))


def out():   # type: ignore[no-untyped-def]
    """The console tables are printed on: standard output as it is now (a
    test's runner replaces it), its width the terminal's or $COLUMNS."""
    from rich.console import Console
    return Console(highlight=False)


def say(key: str, **values: Any) -> None:
    """A sentence of the catalogue on standard output."""
    from adapters.labels import label
    typer.echo(label(key, **values))


def write_list(rows: list[dict[str, Any]], columns: Sequence[Any], *, question: str,
               store: Optional[str], csv: Optional[Path] = None, xlsx: Optional[Path] = None,
               as_of: Any = None, known_at: Any = None, sheet: str = "") -> list[Path]:
    """Every row to the files asked for, the xlsx with what was asked."""
    if csv is None and xlsx is None:
        return []
    from adapters.lists import write_files
    about = {"store": _store_shown(store), "question": question,
             "as_of": as_of, "known_at": known_at}
    try:
        return write_files(rows, columns, csv=csv, xlsx=xlsx, about=about,
                           sheet=sheet or question.split()[0])
    except OSError as e:
        refuse(f"cannot write {e.filename}: {e.strerror or e}")
        raise   # unreachable: refuse exits


def show_list(rows: list[dict[str, Any]], columns: Sequence[Any], *, title: str,
              question: str, store: Optional[str], as_json: bool = False,
              limit: int = 0, page: int = 1, csv: Optional[Path] = None,
              xlsx: Optional[Path] = None, as_of: Any = None, known_at: Any = None,
              sheet: str = "", written: Sequence[Path] = ()) -> None:
    """A list: every row to the files asked for, then a page of it as JSON
    or as a table in the current language."""
    from adapters.labels import label
    from adapters.lists import Page
    try:
        paging = Page(limit, page)
    except ValueError as e:
        refuse(str(e))
    files = list(written) + write_list(rows, columns, question=question, store=store, csv=csv,
                                       xlsx=xlsx, as_of=as_of, known_at=known_at, sheet=sheet)
    shown = paging.of(rows)
    if as_json:
        dump(shown)
        return
    from adapters.tables import render
    render(shown, columns, console=out(), title=title)
    note = paging.note(len(rows), len(shown))
    if note:
        typer.echo(note)
    for path in files:
        typer.echo(label("cli.written", path=path))


def _store_shown(store: Optional[str]) -> str:
    from adapters.settings import database_url, shown
    return shown(database_url(store))
