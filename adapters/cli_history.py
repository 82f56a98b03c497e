"""``ledger history``: the investigator's timeline of an institution, an
agreement or a person (AUD-04), a page at a time (``adapters/paging.py``:
50 rows from ``--offset``, or ``--page``, ``--limit``, ``--all``), chosen by
the database (``adapters/readmodels/subjects.timeline_page``); ``--csv``
and ``--xlsx`` get every row. Registered with the questions
(``cli_queries.register``), before the audit commands.
"""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

from pathlib import Path
from typing import Optional

import typer

from adapters.cli_common import (CsvOption, DbOption, JsonOption, KnownAtOption, XlsxOption,
                                 dump, out, parse_date, parse_instant, refuse, write_list)
from adapters.cli_queries import _label, _position

app = typer.Typer()


# --- the investigator's timeline, a page at a time ------------------------------------------
PageLimitOption = typer.Option(None, "--limit", metavar="N",
                               help="show N rows (default 50; 0: all); files still get every row")
OffsetOption = typer.Option(None, "--offset", metavar="N",
                            help="skip the first N rows (the next page: the offset it names)")


@app.command("history")   # named: the audit commands' older history then stands aside
def history(institution: Optional[str] = typer.Option(None, "--institution", metavar="CODE",
                                                      help="institution code"),
            agreement: Optional[str] = typer.Option(None, "--agreement", metavar="NUMBER",
                                                    help="agreement number"),
            person: Optional[str] = typer.Option(None, "--person", metavar="ID",
                                                 help="person id: spans linked institutions"),
            date_from: Optional[str] = typer.Option(None, "--from", metavar="DATE",
                                                    help="business date from"),
            date_to: Optional[str] = typer.Option(None, "--to", metavar="DATE",
                                                  help="business date to"),
            types: Optional[list[str]] = typer.Option(
                None, "--type", metavar="TYPE",
                help="event type, e.g. Agreement.Suspended, Suspended or Agreement (repeatable)"),
            users: Optional[list[str]] = typer.Option(
                None, "--user", metavar="USER", help="only events recorded by this user "
                                                     "(repeatable)"),
            roles: Optional[list[str]] = typer.Option(
                None, "--role", metavar="ROLE", help="only events recorded in this role "
                                                     "(repeatable)"),
            known_at: Optional[str] = KnownAtOption,
            limit: Optional[str] = PageLimitOption, offset: Optional[str] = OffsetOption,
            page: Optional[str] = typer.Option(None, "--page", metavar="P",
                                               help="with --limit: which page (1 the first)"),
            every: bool = typer.Option(False, "--all", help="every row, not a page"),
            csv_out: Optional[Path] = CsvOption, xlsx_out: Optional[Path] = XlsxOption,
            as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """An investigator's timeline of an institution, agreement or person (AUD-04).

    Each event with who recorded it (user, role), when (China time), the
    business date, the command, the document and the rules involved. A
    person's timeline spans every institution they represent or invest in.
    Oldest first, 50 rows a page (`--offset`, `--page`, `--limit`, `--all`);
    `--csv` and `--xlsx` get every row.

    Example: `ledger history --person 11140100MB1957330X --from 2025-01-01 --xlsx p.xlsx`
    """
    from adapters import cli_audit
    from adapters.lists import TIMELINE
    from adapters.paging import Window
    from adapters.progress import progress
    from adapters.readmodels.subjects import timeline_page
    from adapters.tables import Column
    from adapters.timeline import check_types
    subject = cli_audit._subject(institution, agreement, person)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    instant = parse_instant(known_at)
    size, skip = _page_asked(limit, offset, page, every)
    try:
        check_types(types or ())
    except ValueError as e:
        refuse(f"ledger history: {cli_audit._closest_types(types or ())}{e}")
    whole = size is None or csv_out is not None or xlsx_out is not None   # files: every row
    ledger = cli_audit._open(db)
    try:
        with progress(_label("cli.reading", subject=str(subject))):
            try:
                tl = timeline_page(ledger, subject, date_from=start, date_to=end,
                                   types=types or (), users=users or (), roles=roles or (),
                                   known_at=instant, limit=None if whole else size,
                                   offset=0 if whole else skip)
            finally:   # before the first event (the subject unknown then): say when that was
                if instant is not None:
                    from adapters.readmodels import view_for
                    _position(view_for(ledger), instant, known_at)
    except LookupError as e:
        refuse(str(e).strip("'\""), 1)
    finally:
        ledger.close()
    rows = [r.as_dict() for r in tl.rows]
    # people read each summary's words in their language; JSON keeps field=value
    read = [{**r, "summary": cli_audit._said(r["summary"])} for r in rows]
    page_of = (lambda found: found) if not whole or size is None else \
        (lambda found: found[skip:skip + size])
    shown = page_of(rows)
    window = Window(0 if size is None else skip, size, tl.total, len(shown))
    columns = TIMELINE + ((Column("via", "code", header="cli.via"),)
                          if subject.kind == "person" else ())
    asked = " ".join(["history", f"--{subject.kind}", subject.key]
                     + [f"--from {start}"] * bool(start) + [f"--to {end}"] * bool(end)
                     + [f"--type {t}" for t in types or ()])
    written = write_list(read, columns, question=asked, store=db, csv=csv_out, xlsx=xlsx_out,
                         known_at=known_at, sheet="timeline")
    if as_json:
        dump({"subject": str(subject), "linked_institutions": tl.linked, **window.as_dict(),
              "rows": shown})
        return
    if tl.linked:
        from adapters.labels import word
        typer.echo(_label("cli.linked", institutions="; ".join(
            f"{c} ({', '.join(word('person_role', r) for r in roles)})"
            for c, roles in tl.linked.items())))
    from adapters.tables import render
    render(page_of(read), columns, console=out(),
           title=_label("cli.title_history", subject=subject, n=tl.total))
    note = window.note()
    if note:
        typer.echo(note)
    for path in written:
        typer.echo(_label("cli.written", path=path))


def _page_asked(limit: Optional[str], offset: Optional[str], page: Optional[str],
                every: bool) -> tuple[Optional[int], int]:
    """(rows a page or None for all, the offset) from --limit, --offset,
    --page and --all; a number that cannot be is refused (exit 2)."""
    from adapters.paging import DEFAULT_LIMIT, MAX_OFFSET, number
    if every and (limit is not None or offset is not None or page is not None):
        refuse(_label("paging.one_way"))
    try:
        size = number("--limit", limit, DEFAULT_LIMIT, MAX_OFFSET)
        skip = number("--offset", offset, 0, MAX_OFFSET)
        nth = number("--page", page, 1, MAX_OFFSET)
    except ValueError as e:
        refuse(str(e))
    if page is not None and nth < 1:
        refuse(_label("paging.bad_number", name="--page", low=1, high=MAX_OFFSET, got=page))
    if every or size == 0:
        return None, 0
    return size, skip if offset is not None else (nth - 1) * size
