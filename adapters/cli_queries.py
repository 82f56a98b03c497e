"""The ``ledger`` questions on the read models (institution, application,
status, ended, bars, deadlines, positions), the bank reconciliation, and the
read models' upkeep (rebuild, follow, verify-models).

Every list goes through ``cli_common.show_list``: a table in the
catalogue's words that never cuts a code, date or amount, ``--limit`` and
``--page``, ``--csv`` and ``--xlsx`` with every row, JSON with English keys.
The store is opened through ``adapters.cli.open_ledger`` (tests route it).
"""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import typer

from adapters.cli_common import (AgencyOption, AsOfOption, CsvOption, DbOption,
                                 InstitutionOption, JsonOption, KnownAtOption, LimitOption,
                                 PageOption, XlsxOption, check_agency, dump, out, parse_date,
                                 parse_instant, refuse, show_list, write_list)

app = typer.Typer()


def _open(db: Optional[str], **kw: Any):   # type: ignore[no-untyped-def]
    from adapters import cli
    return cli.open_ledger(db, **kw)


def _label(key: str, **values: Any) -> str:
    from adapters.labels import label
    return label(key, **values)


def _read_models(db: Optional[str], *,   # type: ignore[no-untyped-def]
                 tables_only: bool = False):
    """Open the ledger, bring the SQL read models up to date (with progress
    once there is a batch to apply), hand back the view. ``tables_only``
    (a question the tables answer alone): read models already at the log's
    head are answered from without the ledger (``open_ledger``'s
    ``read_models_only``)."""
    from adapters.readmodels import RebuildUnfinished, catch_up, view_for
    from adapters.settings import ReadModelsAtHead
    ledger = _open(db, create=False, read_models_only=tables_only)
    if isinstance(ledger, ReadModelsAtHead):   # at the log's head: nothing to catch up
        return ledger, view_for(ledger)
    try:
        with catching_up() as report:
            catch_up(ledger, progress=report)
    except RebuildUnfinished as e:
        ledger.close()
        refuse(f"{e}.")
    except Exception:
        # An event the ledger cannot read stops the read models: named in
        # one line, never a traceback (docs/integrity.md).
        from adapters.integrity import first_unreadable
        problem = first_unreadable(ledger)
        ledger.close()
        if problem is None:
            raise
        refuse(f"the read models cannot pass {problem.message()}; see docs/integrity.md, "
               "\"An event the ledger cannot read\"")
    return ledger, view_for(ledger)


@contextlib.contextmanager
def catching_up() -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback that shows a bar from its first
    call: a query with nothing to apply shows (and imports) nothing."""
    with contextlib.ExitStack() as stack:
        state: dict[str, Any] = {}

        def report(done: int, total: int) -> None:
            if "steps" not in state:
                from adapters.progress import progress
                state["steps"] = stack.enter_context(progress(_label("cli.catching_up")))
                state["done"] = 0
            state["steps"].total(max(total, done))
            state["steps"].advance(done - state["done"])
            state["done"] = done
        yield report


def _position(view: Any, instant: Optional[datetime], known_at: Optional[str]) -> int:
    """The log position known at ``instant``; an instant before the first
    recorded event is answered with when that was, not an empty table."""
    from adapters.readmodels import log_position
    position = log_position(view, instant)
    if instant is not None and position == 0:
        import sqlalchemy as sa
        from adapters.tables import instant_text
        t = view.t["log"]
        with view.engine.connect() as conn:
            first = conn.execute(sa.select(sa.func.min(t.c.recorded_at))).scalar()
        refuse(_label("cli.nothing_known", known_at=known_at,
                      first=instant_text(first) if first else _label("cli.never")), 1)
    return position


def _known_institution(view: Any, code: Optional[str]) -> None:
    if code is None:
        return
    from adapters.readmodels.about import names_of
    if code not in names_of(view, [code]):
        refuse(_label("cli.unknown_institution", code=code), 1)


def _title(key: str, known_at: Optional[str], **values: Any) -> str:
    title = _label(key, **values)
    return title + (_label("cli.known_at", known_at=known_at) if known_at else "")


@app.command()
def status(on: str = typer.Option(..., "--on", metavar="DATE",
                                  help="the business date, YYYY-MM-DD"),
           institution_code: Optional[str] = InstitutionOption,
           agreement: Optional[str] = typer.Option(None, "--agreement", metavar="NUMBER",
                                                   help="one agreement"),
           agency: Optional[str] = AgencyOption,
           state: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                               help="only this status: active, in notice, "
                                                    "signed, suspended, ended, stopped"),
           known_at: Optional[str] = KnownAtOption, limit: int = LimitOption,
           page: int = PageOption, csv_out: Optional[Path] = CsvOption,
           xlsx_out: Optional[Path] = XlsxOption,
           as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Every agreement's status on a business date (active, in notice,
    suspended and why, ended and why), as known now or at an instant.

    Example: `ledger status --on 2025-09-01 --agency TY --xlsx status.xlsx`
    """
    from adapters.lists import STATUS
    from adapters.readmodels import status_as_of
    day, instant = parse_date(on, "--on"), parse_instant(known_at)   # before the store
    check_agency(agency)
    ledger, view = _read_models(db, tables_only=True)
    try:
        position = _position(view, instant, known_at)
        _known_institution(view, institution_code)
        rows = status_as_of(view, day, position, agreement=agreement,
                            institution=institution_code)
    finally:
        ledger.close()
    if agreement and not rows:
        refuse(_label("cli.unknown_agreement", number=agreement), 1)
    rows = [r for r in rows if (not agency or r["agency"] == agency)
            and (not state or r["status"].split(" (")[0] == state)]
    show_list(rows, STATUS, title=_title("cli.title_status", known_at, on=day),
              question=f"status --on {day}", store=db, as_json=as_json, limit=limit,
              page=page, csv=csv_out, xlsx=xlsx_out, as_of=day, known_at=known_at)


@app.command()
def ended(as_of: Optional[str] = AsOfOption, known_at: Optional[str] = KnownAtOption,
          agency: Optional[str] = AgencyOption,
          institution_code: Optional[str] = InstitutionOption,
          breach: Optional[bool] = typer.Option(None, "--breach/--no-breach",
                                                help="only ends for a breach, or only others"),
          date_from: Optional[str] = typer.Option(None, "--from", metavar="DATE",
                                                  help="ended on or after this date"),
          date_to: Optional[str] = typer.Option(None, "--to", metavar="DATE",
                                                help="ended on or before this date"),
          limit: int = LimitOption, page: int = PageOption,
          csv_out: Optional[Path] = CsvOption, xlsx_out: Optional[Path] = XlsxOption,
          as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """The public list of ended agreements, with date and ground (TER-03).

    Example: `ledger ended --breach --from 2025-01-01 --csv ended.csv`
    """
    from adapters.lists import ENDED
    from adapters.readmodels import ended_as_of
    from adapters.readmodels.about import names_of
    day, instant = parse_date(as_of, "--as-of"), parse_instant(known_at)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    check_agency(agency)
    ledger, view = _read_models(db, tables_only=True)
    try:
        position = _position(view, instant, known_at)
        _known_institution(view, institution_code)
        rows = ended_as_of(view, day, position)
        names = names_of(view, (r["institution"] for r in rows))   # as last recorded
    finally:
        ledger.close()
    for r in rows:
        r["name"] = names.get(r["institution"], "")
    rows = [r for r in rows if (not agency or r["agency"] == agency)
            and (not institution_code or r["institution"] == institution_code)
            and (breach is None or bool(r["breach"]) == breach)
            and (not start or str(r["ended_on"]) >= start.isoformat())
            and (not end or str(r["ended_on"]) <= end.isoformat())]
    show_list(rows, ENDED, title=_title("cli.title_ended", known_at), question="ended",
              store=db, as_json=as_json, limit=limit, page=page, csv=csv_out, xlsx=xlsx_out,
              as_of=day, known_at=known_at)


@app.command()
def bars(person: Optional[str] = typer.Option(None, "--person", metavar="ID",
                                              help="one person's bars"),
         institution_code: Optional[str] = InstitutionOption,
         state: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                             help="awaiting approval, approved or reversed"),
         as_of: Optional[str] = AsOfOption, known_at: Optional[str] = KnownAtOption,
         limit: int = LimitOption, page: int = PageOption,
         csv_out: Optional[Path] = CsvOption, xlsx_out: Optional[Path] = XlsxOption,
         as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """The practitioner bar register, by person or by institution (SAN-01).

    Example: `ledger bars --institution TY-H001`
    """
    from adapters.lists import BARS
    from adapters.readmodels import bars_as_of
    day, instant = parse_date(as_of, "--as-of"), parse_instant(known_at)
    ledger, view = _read_models(db, tables_only=True)
    try:
        position = _position(view, instant, known_at)
        _known_institution(view, institution_code)
        rows = bars_as_of(view, day, position, person=person, institution=institution_code)
    finally:
        ledger.close()
    rows = [r for r in rows if not state or r["status"] == state]
    show_list(rows, BARS, title=_title("cli.title_bars", known_at), question="bars",
              store=db, as_json=as_json, limit=limit, page=page, csv=csv_out, xlsx=xlsx_out,
              as_of=day, known_at=known_at)


@app.command()
def deadlines(on: str = typer.Option(..., "--on", metavar="DATE",
                                     help="the business date, YYYY-MM-DD"),
              overdue: bool = typer.Option(False, "--overdue", help="only overdue ones"),
              rule: Optional[str] = typer.Option(None, "--rule", metavar="RULE",
                                                 help="only this rule's, e.g. ADM-04"),
              known_at: Optional[str] = KnownAtOption, limit: int = LimitOption,
              page: int = PageOption, csv_out: Optional[Path] = CsvOption,
              xlsx_out: Optional[Path] = XlsxOption,
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Open deadlines on a date, overdue ones flagged, as known now or at an instant.

    Example: `ledger deadlines --on 2025-02-10 --overdue`
    """
    from adapters.lists import DEADLINES
    from adapters.readmodels import deadlines_as_of
    day, instant = parse_date(on, "--on"), parse_instant(known_at)
    ledger, view = _read_models(db, tables_only=True)
    try:
        rows = deadlines_as_of(view, day, _position(view, instant, known_at))
    finally:
        ledger.close()
    rows = [r for r in rows if (not overdue or r["overdue"]) and (not rule or r["rule"] == rule)]
    show_list(rows, DEADLINES, title=_title("cli.title_deadlines", known_at, on=day),
              question=f"deadlines --on {day}", store=db, as_json=as_json, limit=limit,
              page=page, csv=csv_out, xlsx=xlsx_out, as_of=day, known_at=known_at)


@app.command()
def positions(as_of: Optional[str] = AsOfOption, known_at: Optional[str] = KnownAtOption,
              agency: Optional[str] = AgencyOption,
              agreement: Optional[str] = typer.Option(None, "--agreement", metavar="NUMBER",
                                                      help="one agreement's"),
              year: Optional[int] = typer.Option(None, "--year", metavar="YEAR",
                                                 help="one settlement year's"),
              limit: int = LimitOption, page: int = PageOption,
              csv_out: Optional[Path] = CsvOption, xlsx_out: Optional[Path] = XlsxOption,
              chart: Optional[Path] = typer.Option(None, "--chart", metavar="FILE",
                                                   help="draw the years' positions as a "
                                                        ".png or .svg chart"),
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Fund positions per agreement and year, per agency and for the fund:
    claimed, refused, deducted, approved, paid, withheld, returned, forfeited,
    still held, to recover, recovered (yuan, exact).

    Example: `ledger positions --as-of 2025-06-30 --xlsx positions.xlsx --chart positions.png`
    """
    from adapters.charts import SUFFIXES, positions_chart
    from adapters.lists import POSITIONS
    from adapters.readmodels import positions_as_of
    from projections.fund import as_dict, totals
    day, instant = parse_date(as_of, "--as-of"), parse_instant(known_at)
    check_agency(agency)
    if chart is not None and chart.suffix.lower() not in SUFFIXES:
        refuse(f"--chart: a chart is written as {' or '.join(SUFFIXES)}, not "
               f"{chart.suffix or 'a file without a suffix'}")
    ledger, view = _read_models(db, tables_only=True)
    try:
        rows = positions_as_of(view, day, _position(view, instant, known_at),
                               agency=agency, agreement=agreement, year=year)
    finally:
        ledger.close()
    if agreement and not rows:
        refuse(_label("cli.unknown_agreement", number=agreement), 1)
    per_agency, fund = totals(rows)
    listed = [as_dict(p) for p in rows]
    # the files hold the agreements' rows; the totals are their sums
    written = write_list(listed, POSITIONS, question="positions", store=db, csv=csv_out,
                         xlsx=xlsx_out, as_of=day, known_at=known_at)
    if chart is not None:
        positions_chart(listed, chart)
        written.append(chart)
    if as_json:
        dump({"positions": listed, "agencies": [as_dict(p) for p in per_agency.values()],
              "fund": as_dict(fund)})
        return
    shown = listed + [{**as_dict(p), "agreement": _label("cli.agency_total", agency=code),
                       "year": None} for code, p in per_agency.items()] + \
        [{**as_dict(fund), "agency": "", "agreement": _label("cli.fund_total"), "year": None}]
    show_list(shown, POSITIONS, title=_title("cli.title_positions", known_at),
              question="positions", store=db, limit=limit, page=page, written=written)


def _app_row(a: Any, state: Any) -> dict[str, Any]:
    evs = [state.evaluations[n] for n in a.evaluations if n in state.evaluations]
    return {**a.state(), "evaluation_results": [
        {"evaluation": ev.number, "attempt": ev.attempt, **(ev.result or {"open": True})}
        for ev in evs]}


def _ev_summary(r: dict[str, Any]) -> str:
    if r.get("open"):
        return f"{r['evaluation']}: {_label('cli.open')}"
    return f"{r['evaluation']}: {_label('cli.pass' if r['passed'] else 'cli.fail')} {r['total']}"


def _state(db: Optional[str], as_of: Optional[str], known_at: Optional[str], **subject: Any):
    """The status fold as of a date, as known at an instant, over one
    subject's aggregates only (``subject_state``: the subject index names
    them; the log is not replayed)."""
    from adapters.progress import progress
    from adapters.readmodels.subjects import subject_state
    day, instant = parse_date(as_of, "--as-of"), parse_instant(known_at)   # before the store
    ledger, view = _read_models(db)
    try:
        position = _position(view, instant, known_at)
        with progress(_label("cli.reading", subject=", ".join(
                f"{k} {' '.join(v)}" for k, v in subject.items()))):
            return subject_state(ledger, view, position, as_of=day, **subject)
    finally:
        ledger.close()


@app.command()
def institution(code: str = typer.Argument(..., metavar="CODE", help="the institution's code"),
                as_of: Optional[str] = AsOfOption, known_at: Optional[str] = KnownAtOption,
                as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """An institution with its people, bars, applications and agreements.

    Example: `ledger institution TY-H001 --as-of 2025-03-01`
    """
    from adapters.labels import word
    from adapters.lists import AGREEMENTS, APPLICATIONS
    from adapters.tables import render
    from projections.deadlines import agreement_status
    state = _state(db, as_of, known_at, institutions=[code])
    inst = state.institutions.get(code)
    if inst is None:
        refuse(_label("cli.unknown_institution", code=code), 1)
    apps = [_app_row(state.applications[n], state) for n in inst.applications
            if n in state.applications]
    ags = [agreement_status(state.agreements[n]) for n in inst.agreements
           if n in state.agreements]
    if as_json:
        dump({"institution": {**inst.state(), "bar_facts": inst.bar_facts},
              "applications": apps, "agreements": ags})
        return
    console = out()
    facts = inst.facts
    console.print(f"[bold]{inst.code} {inst.name}[/bold]  {word('kind', inst.kind)}"
                  f"{'/' + inst.subtype if inst.subtype else ''}  "
                  f"{_label('column.agency')} {inst.agency}  "
                  f"{_label('cli.level', level=facts.get('level'))}  {facts.get('category')}",
                  highlight=False)
    for p in inst.people:
        console.print(f"  {word('person_role', p['role'])}: {p['person_id']}", highlight=False)
    for f in inst.bar_facts:
        lifted = _label("cli.lifted", on=f["lifted_on"]) if f["lifted_on"] else ""
        console.print(f"  {_label('cli.bar_fact', ground=f['ground'], on=f['occurred_on'])}"
                      f"{lifted}: {f['note']}", highlight=False)
    for a in apps:
        a["evaluation_list"] = ", ".join(_ev_summary(r) for r in a["evaluation_results"])
    render(apps, APPLICATIONS, console=console, title=_label("cli.title_applications"))
    if ags:
        from adapters.list_words import in_words, said_why
        for r in ags:
            r["obligations"] = "; ".join(f"{o['kind']} {o['ground']}" for o in r["obligations"])
        render(in_words(ags, "why", said_why), AGREEMENTS, console=console,
               title=_label("cli.title_agreements"))


@app.command()
def application(number: str = typer.Argument(..., metavar="NUMBER",
                                             help="the application's number"),
                as_of: Optional[str] = AsOfOption, known_at: Optional[str] = KnownAtOption,
                as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """One application with its evaluations and score sheets.

    Example: `ledger application SQ-2025-001 --json`
    """
    from adapters.labels import word
    from adapters.lists import SHEET
    from adapters.tables import render
    state = _state(db, as_of, known_at, applications=[number])
    a = state.applications.get(number)
    if a is None:
        refuse(_label("cli.unknown_application", number=number), 1)
    evs = [state.evaluations[n] for n in a.evaluations if n in state.evaluations]
    if as_json:
        dump({"application": a.state(), "evaluations": [ev.state() for ev in evs]})
        return
    console = out()
    console.print(f"[bold]{a.number}[/bold] {a.institution_code} ({word('kind', a.kind)}) "
                  + _label("cli.application_line", status=word("application_status", a.status),
                           received=a.received_on, accepted=a.accepted_on or "-"),
                  highlight=False)
    if a.notice:
        n = a.notice
        console.print("  " + _label("cli.notice_line", notice=n["notice_no"], sent=n["sent_on"],
                                    by=n["supply_by"], missing=", ".join(n["missing"])),
                      highlight=False)
    for ev in evs:
        sheet = ev.sheet or {"item_points": {}, "deductions": {}}
        rows = [{"item": code, "points": str(pts), "deductions": "; ".join(
                    f"-{amt} {why}" for amt, why in sheet["deductions"].get(code, []))}
                for code, pts in sheet["item_points"].items()]
        render(rows, SHEET, console=console, title=_label(
            "cli.title_evaluation", number=ev.number, attempt=ev.attempt, form=ev.form_id))
        if ev.result:
            r = ev.result
            console.print("  " + _label(
                "cli.result_line", result=_label("cli.pass" if r["passed"] else "cli.fail"),
                total=r["total"], on=r["result_on"], report=r["report_no"],
                served=r["served_on"]) + (_label("cli.valid_until", until=r["valid_until"])
                                          if r["valid_until"] else ""), highlight=False)


@app.command()
def reconcile(statement: Path = typer.Argument(..., metavar="FILE",
                                             help="the bank's statement: CSV (comma or tab, "
                                                  "UTF-8 or GB18030/GBK) or .xlsx"),
              window: int = typer.Option(3, "--window", metavar="DAYS",
                                         help="days either side for a match by payee and "
                                              "amount (0-31)"),
              fail_on: list[str] = typer.Option(
                  [], "--fail-on", metavar="KIND",
                  help="exit 1 if there are findings of this kind (repeatable): any, "
                       "amount_differences, payee_differences, duplicates, "
                       "unmatched_statement, unmatched_credits, unmatched_ledger, malformed"),
              finding: Optional[str] = typer.Option(None, "--finding", metavar="KIND",
                                                    help="show only this kind of finding, "
                                                         "e.g. duplicate"),
              user: str = typer.Option("finance", "--user", help="who records the import"),
              on: Optional[str] = typer.Option(None, "--on", metavar="DATE",
                                               help="business date of the import"),
              limit: int = LimitOption, page: int = PageOption,
              csv_out: Optional[Path] = typer.Option(None, "--csv", metavar="FILE",
                                                     help="write every finding as CSV"),
              xlsx_out: Optional[Path] = XlsxOption,
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Reconcile the fund account's bank statement (payments and deposit
    returns out, recoveries in) with the ledger; record the import once.

    Example: `ledger reconcile bank-2025-04.xlsx --xlsx findings.xlsx --fail-on duplicates`
    """
    from adapters.boundary import parse_business_day, printable
    from adapters.lists import FINDINGS
    from adapters.progress import progress
    from adapters.reconcile import parse, report_rows
    from domain.base import Context
    from domain.calendar import today_in_china
    from domain.reconciliation import FINDING_KINDS, Payees, ledger_items, reconcile as match
    from projections.status import build

    def stop(message: str) -> None:   # one clear line and exit 2, never a traceback
        refuse(f"ledger reconcile: {message}")

    kinds = list(FINDING_KINDS) if "any" in fail_on else fail_on
    unknown = sorted(set(kinds) - set(FINDING_KINDS))
    if unknown:
        stop(f"--fail-on {', '.join(unknown)} is not a kind of finding; use any or one of "
             f"{', '.join(FINDING_KINDS)}")
    if not 0 <= window <= 31:
        stop(f"--window is 0 to 31 days, got {window}")
    try:   # the import's business date: inside the window a command may take effect in
        day = parse_business_day(on) if on is not None else today_in_china()
    except ValueError as e:
        stop(f"--on: {printable(e)}")
    try:
        data = statement.read_bytes()
    except OSError as e:
        stop(f"cannot read {printable(statement)}: {e.strerror or e}")
    try:
        parsed = parse(data)
    except ValueError as e:
        stop(f"cannot read {printable(statement.name)}: {printable(e)}")
    ledger = _open(db, create=False)   # reconciling needs the ledger it checks
    try:
        with progress(_label("cli.reconciling", lines=parsed.count)) as steps:
            state = build(e for _, e in ledger.read_log())
            steps.say(_label("cli.matching", lines=parsed.count))
            result = match(parsed.lines, ledger_items(state),
                           payees=Payees(state.institutions.values()), window_days=window,
                           malformed=parsed.malformed, period=parsed.period)
        if ledger.statement_import(parsed.sha256) is not None:
            recorded = {"recorded": False}   # the same statement, by content: nothing new
        else:
            recorded = ledger.record_statement_import(
                Context(f"statement:{parsed.sha256}", day, user, "finance", statement.name),
                sha256=parsed.sha256, file_name=statement.name, encoding=parsed.encoding,
                lines=parsed.count, summary=result.summary())
    finally:
        ledger.close()
    rows = report_rows(result)
    summary = result.summary()
    failing = sorted(k for k in kinds if summary.get(k))
    read = {"format": parsed.format, "encoding": parsed.encoding,
            "header_line": parsed.header_line, "preamble_lines": parsed.preamble_lines,
            "period": list(parsed.period) if parsed.period else None,
            "skipped": [{"line": n, "why": why} for n, why in parsed.skipped],
            "columns": parsed.columns}
    shown = [r for r in rows if not finding or r["finding"] == finding.replace("_", " ")]
    # text from the bank's file: no control or bidi character shown raw
    printed = [{k: printable(v) if isinstance(v, str) else v for k, v in r.items()}
               for r in shown]
    title = _label("cli.title_reconcile", file=printable(statement.name),
                   format=parsed.format, encoding=parsed.encoding)
    written = write_list(shown, FINDINGS, question=f"reconcile {statement.name}", store=db,
                         csv=csv_out, xlsx=xlsx_out, sheet="reconcile")
    if as_json:
        dump({"summary": summary, **read, "recorded": recorded["recorded"],
              "failing": failing, "findings": rows})
    else:
        show_list(printed, FINDINGS, title=title, question=f"reconcile {statement.name}",
                  store=db, limit=limit, page=page, written=written)
        period = (_label("cli.period", first=parsed.period[0], last=parsed.period[1])
                  if parsed.period else "")
        typer.echo(_label("cli.statement_read", header=parsed.header_line,
                          preamble=parsed.preamble_lines, skipped=len(parsed.skipped)) + period)
        typer.echo("; ".join(f"{_label('cli.kind_' + k)} {v}" for k, v in summary.items()))
        typer.echo(_label("cli.import_recorded" if recorded["recorded"] else
                          "cli.import_seen"))
        if failing:
            typer.echo(_label("cli.failing", kinds=", ".join(failing)))
    if failing:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add these commands to the ``ledger`` app (once), in the order help lists them."""
    from adapters import cli_history, cli_models
    present = {c.name for c in root.registered_commands}
    for info in (app.registered_commands + cli_history.app.registered_commands
                 + cli_models.app.registered_commands):
        name = info.name or info.callback.__name__.replace("_", "-")
        if name not in present:
            root.registered_commands.append(info)
