"""The ``ledger`` command line: one module because it is one typer app whose
subcommands share their options, date parsing and store opening; the audit
subcommands live in ``cli_audit.py`` and each command's work in the adapters
it calls, so what stays here is argument handling and printing."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.table import Table

from adapters.commands import apply_parsed, parse
from adapters.describe import describe
from adapters.settings import URL_SETTING, StoreUnavailable, open_ledger
from domain.errors import LedgerError
from domain.service import _plain
from projections.deadlines import agreement_status
from projections.status import build

class _LedgerGroup(TyperGroup):
    """Every subcommand: a store that cannot be used is one line, exit 2."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except Exception as e:
            # RebuildUnfinished by name: importing the read models here would
            # slow every command, even --help
            if not (isinstance(e, StoreUnavailable) or any(
                    c.__name__ == "RebuildUnfinished" for c in type(e).__mro__)):
                raise
            typer.echo(f"{e}".rstrip(".") + ".", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(cls=_LedgerGroup, add_completion=False, no_args_is_help=True,
                  help="The agreement ledger: Shanxi work-injury insurance agreement "
                       "institutions, event-sourced.")
console = Console()

DbOption = typer.Option(None, "--db", help=f"the store: an SQLite file path or a SQLAlchemy "
                                           f"URL; default ${URL_SETTING} or ledger.sqlite")
JsonOption = typer.Option(False, "--json", help="print JSON instead of tables")


def _dump(obj: Any) -> None:
    typer.echo(json.dumps(_plain(obj), ensure_ascii=False, indent=2))


def _parse_date(text: Optional[str], name: str, *, business: bool = False) -> Optional[date]:
    """An option's date: YYYY-MM-DD only; a business date the clock may move
    to lies inside the business window (adapters/boundary.py)."""
    from adapters.boundary import parse_business_day, parse_day, printable
    if text is None:
        return None
    try:
        return parse_business_day(text) if business else parse_day(text)
    except ValueError as e:
        raise typer.BadParameter(f"{name}: {printable(e)}") from None


def _parse_instant(text: Optional[str]) -> Optional[datetime]:
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


@app.command()
def run(files: list[Path] = typer.Argument(..., help="command files, one JSON object a line"),
        keep_going: bool = typer.Option(False, "--keep-going",
                                        help="report a rejected command and go on"),
        as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Apply command files in order and report each result.

    Exit 0 when every line was applied, 1 when a line was rejected (each
    rejection names its line, rule, reason and remedy), 2 when a file or an
    option cannot be used (then nothing is applied)."""
    from adapters.boundary import UnusableFile, command_lines, printable
    for path in files:   # every file usable before anything is applied
        try:
            next(iter(command_lines(path)), None)
        except UnusableFile as e:
            typer.echo(printable(e), err=True)
            raise typer.Exit(2)
    ledger = open_ledger(db)
    rejected = 0
    clock: date | None = None  # the last date the clock was advanced to in this run
    try:
        for path in files:
            for lineno, line in command_lines(path):
                where = f"{printable(path.name)}:{lineno}"
                try:
                    if isinstance(line, LedgerError):
                        raise line
                    env, fields = parse(line)
                    advance = clock is None or env.date > clock
                    result = apply_parsed(ledger, env, fields, advance_clock=advance)
                    clock = env.date if advance else clock
                except LedgerError as e:
                    rejected += 1
                    if as_json:
                        typer.echo(json.dumps({"line": where, "rejected": e.as_dict()},
                                              ensure_ascii=False))
                    else:
                        typer.echo(typer.style(f"{where} REJECTED", fg="red") +
                                   f" {printable_lines(str(e))}")
                    if not keep_going:
                        raise typer.Exit(1)
                    continue
                if as_json:
                    typer.echo(json.dumps({"line": where, **_plain(result)}, ensure_ascii=False))
                else:
                    typer.echo(f"{where} {printable(describe(result))}")
    finally:
        _seal_and_close(ledger)
    if rejected:
        raise typer.Exit(1)


def printable_lines(text: str) -> str:
    """A multi-line refusal with each of its own lines made printable."""
    from adapters.boundary import printable
    return "\n".join(printable(part) for part in text.split("\n"))


def _seal_and_close(ledger) -> None:
    """Chain what this command recorded (AUD-05), then close the store.

    Only events that read are sealed; one that does not is named on stderr.
    A seal that fails (the database gone, a read-only role) does not hide the
    command's own outcome: its events are committed, and the next command
    that opens the store seals them."""
    import sqlalchemy as sa
    from adapters.integrity import first_line, seal
    try:
        result = seal(ledger)
        if result.blocked is not None:
            typer.echo(result.message(), err=True)
    except sa.exc.DBAPIError as e:
        typer.echo(f"not sealed yet (AUD-05): {first_line(e)}; the next command that opens "
                   "the store seals this command's events", err=True)
    finally:
        ledger.close()


def _state(db: Optional[str], as_of: Optional[str], known_at: Optional[str], **subject):
    """The status fold as of a date, as known at an instant, over one
    subject's aggregates only (``subject_state``: the subject index names
    them; the log is not replayed)."""
    from adapters.readmodels.subjects import subject_state
    day, instant = _parse_date(as_of, "--as-of"), _parse_instant(known_at)   # before the store
    ledger, view = _read_models(db)
    try:
        return subject_state(ledger, view, _position(view, instant), as_of=day, **subject)
    finally:
        ledger.close()


def _app_row(a, state) -> dict[str, Any]:
    evs = [state.evaluations[n] for n in a.evaluations if n in state.evaluations]
    return {**a.state(), "evaluation_results": [
        {"evaluation": ev.number, "attempt": ev.attempt, **(ev.result or {"open": True})}
        for ev in evs]}


@app.command()
def institution(code: str, as_of: Optional[str] = typer.Option(None, "--as-of"),
                known_at: Optional[str] = typer.Option(None, "--known-at"),
                as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """An institution with its people, bars, applications and agreements."""
    state = _state(db, as_of, known_at, institutions=[code])
    inst = state.institutions.get(code)
    if inst is None:
        typer.echo(f"unknown institution {code!r}", err=True)
        raise typer.Exit(1)
    apps = [_app_row(state.applications[n], state) for n in inst.applications
            if n in state.applications]
    ags = [agreement_status(state.agreements[n]) for n in inst.agreements
           if n in state.agreements]
    if as_json:
        _dump({"institution": {**inst.state(), "bar_facts": inst.bar_facts},
               "applications": apps, "agreements": ags})
        return
    console.print(f"[bold]{inst.code} {inst.name}[/bold]  {inst.kind}"
                  f"{'/' + inst.subtype if inst.subtype else ''}  agency {inst.agency}"
                  f"  level {inst.facts.get('level')}  {inst.facts.get('category')}")
    for p in inst.people:
        console.print(f"  {p['role']}: {p['person_id']}")
    for f in inst.bar_facts:
        console.print(f"  bar fact {f['ground']} on {f['occurred_on']}"
                      f"{' lifted ' + str(f['lifted_on']) if f['lifted_on'] else ''}: {f['note']}")
    table = Table("application", "status", "received", "accepted", "missing", "evaluations")
    for a in apps:
        table.add_row(a["number"], a["status"], str(a["received_on"]),
                      str(a["accepted_on"] or ""), ", ".join(a["missing"]),
                      ", ".join(_ev_summary(r) for r in a["evaluation_results"]))
    console.print(table)
    if ags:
        _agreement_table(ags)


def _ev_summary(r: dict[str, Any]) -> str:
    if r.get("open"):
        return f"{r['evaluation']}: open"
    return f"{r['evaluation']}: {'pass' if r['passed'] else 'fail'} {r['total']}"


def _agreement_table(rows: list[dict[str, Any]]) -> None:
    table = Table("agreement", "type", "status", "why", "term", "obligations")
    for r in rows:
        table.add_row(r["agreement"], r["type"], r["status"], r["why"],
                      f"{r['term_start']} to {r['term_end']}",
                      "; ".join(f"{o['kind']} {o['ground']}" for o in r["obligations"]))
    console.print(table)


@app.command()
def application(number: str, as_of: Optional[str] = typer.Option(None, "--as-of"),
                known_at: Optional[str] = typer.Option(None, "--known-at"),
                as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """One application with its evaluations and score sheets."""
    state = _state(db, as_of, known_at, applications=[number])
    a = state.applications.get(number)
    if a is None:
        typer.echo(f"unknown application {number!r}", err=True)
        raise typer.Exit(1)
    evs = [state.evaluations[n] for n in a.evaluations if n in state.evaluations]
    if as_json:
        _dump({"application": a.state(), "evaluations": [ev.state() for ev in evs]})
        return
    console.print(f"[bold]{a.number}[/bold] {a.institution_code} ({a.kind}) "
                  f"status {a.status}, received {a.received_on}, "
                  f"accepted {a.accepted_on or '-'}")
    if a.notice:
        n = a.notice
        console.print(f"  notice {n['notice_no']} sent {n['sent_on']}: supply by "
                      f"{n['supply_by']} ({', '.join(n['missing'])})")
    for ev in evs:
        table = Table(title=f"evaluation {ev.number} (attempt {ev.attempt}, {ev.form_id})")
        table.add_column("item")
        table.add_column("points", justify="right")
        table.add_column("deductions")
        sheet = ev.sheet or {"item_points": {}, "deductions": {}}
        for code, pts in sheet["item_points"].items():
            ded = "; ".join(f"-{amt} {why}" for amt, why in sheet["deductions"].get(code, []))
            table.add_row(code, str(pts), ded)
        console.print(table)
        if ev.result:
            r = ev.result
            console.print(f"  result {'PASS' if r['passed'] else 'FAIL'} {r['total']} on "
                          f"{r['result_on']} (report {r['report_no']}, served {r['served_on']})"
                          f"{', valid until ' + str(r['valid_until']) if r['valid_until'] else ''}")


def _read_models(db: Optional[str]):
    """Open the ledger, bring the SQL read models up to date, hand back the view."""
    from adapters.readmodels import RebuildUnfinished, catch_up, view_for
    ledger = open_ledger(db, create=False)
    try:
        catch_up(ledger)
    except RebuildUnfinished as e:
        ledger.close()
        typer.echo(f"{e}.", err=True)
        raise typer.Exit(2) from None
    except Exception:
        # An event the ledger cannot read stops the read models: named in
        # one line, never a traceback (docs/integrity.md).
        from adapters.integrity import first_unreadable
        problem = first_unreadable(ledger)
        ledger.close()
        if problem is None:
            raise
        typer.echo(f"the read models cannot pass {problem.message()}; see docs/integrity.md, "
                   "\"An event the ledger cannot read\"", err=True)
        raise typer.Exit(2) from None
    return ledger, view_for(ledger)


def _position(view, instant: Optional[datetime]) -> int:
    from adapters.readmodels import log_position
    return log_position(view, instant)


@app.command()
def status(on: str = typer.Option(..., "--on", help="the business date, YYYY-MM-DD"),
           institution_code: Optional[str] = typer.Option(None, "--institution"),
           agreement: Optional[str] = typer.Option(None, "--agreement"),
           known_at: Optional[str] = typer.Option(None, "--known-at",
                                                  help="as the ledger knew it at this instant"),
           as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Every agreement's status on a business date (active, in notice,
    suspended and why, ended and why), as known now or at an instant."""
    from adapters.readmodels import status_as_of
    day, instant = _parse_date(on, "--on"), _parse_instant(known_at)   # before the store
    ledger, view = _read_models(db)
    try:
        rows = status_as_of(view, day, _position(view, instant),
                            agreement=agreement, institution=institution_code)
    finally:
        ledger.close()
    if as_json:
        _dump(rows)
        return
    table = Table("agreement", "institution", "status", "why", "since",
                  title=f"agreements on {on}" + (f" as known at {known_at}" if known_at else ""))
    for r in rows:
        table.add_row(r["agreement"], r["institution"], r["status"], r["why"],
                      str(r["valid_from"]))
    console.print(table)


@app.command()
def ended(as_of: Optional[str] = typer.Option(None, "--as-of"),
          known_at: Optional[str] = typer.Option(None, "--known-at"),
          as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """The public list of ended agreements, with date and ground (TER-03)."""
    from adapters.readmodels import ended_as_of
    from adapters.readmodels.about import names_of
    day, instant = _parse_date(as_of, "--as-of"), _parse_instant(known_at)
    ledger, view = _read_models(db)
    try:
        rows = ended_as_of(view, day, _position(view, instant))
        names = names_of(view, (r["institution"] for r in rows))   # as last recorded
    finally:
        ledger.close()
    for r in rows:
        r["name"] = names.get(r["institution"], "")
    if as_json:
        _dump(rows)
        return
    table = Table("ended on", "agreement", "institution", "ground", "article", "breach", "reason",
                  title="agreements ended (M 39 public list)")
    for r in rows:
        table.add_row(str(r["ended_on"]), r["agreement"], f"{r['institution']} {r['name']}",
                      r["ground"], r["article"], "yes" if r["breach"] else "no", r["reason"])
    console.print(table)


@app.command()
def bars(person: Optional[str] = typer.Option(None, "--person"),
         institution_code: Optional[str] = typer.Option(None, "--institution"),
         as_of: Optional[str] = typer.Option(None, "--as-of"),
         known_at: Optional[str] = typer.Option(None, "--known-at"),
         as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """The practitioner bar register, by person or by institution (SAN-01)."""
    from adapters.readmodels import bars_as_of
    day, instant = _parse_date(as_of, "--as-of"), _parse_instant(known_at)
    ledger, view = _read_models(db)
    try:
        rows = bars_as_of(view, day, _position(view, instant),
                          person=person, institution=institution_code)
    finally:
        ledger.close()
    if as_json:
        _dump(rows)
        return
    table = Table("person", "bar", "institution", "years", "status", "from", "until", "finding")
    for r in rows:
        table.add_row(r["person"], r["bar_no"], r["institution"], str(r["years"]), r["status"],
                      str(r["approved_on"] or ""), str(r["until"] or ""), r["finding"])
    console.print(table)


@app.command()
def rebuild(db: Optional[str] = DbOption,
            batch_size: int = typer.Option(20000, "--batch-size"),
            workers: Optional[int] = typer.Option(
                None, "--workers", help="processes (default: 4 for a log of 50,000 events "
                                        "or more on a machine with 2 cores or more, else 1)")
            ) -> None:
    """Drop every SQL read model and rebuild it from the event log alone
    (AUD-02). A rebuild stopped part-way resumes where it stopped. Stop
    `ledger follow` first."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from adapters.readmodels import rebuild as rebuild_models
    ledger = open_ledger(db, create=False)
    try:
        with Progress(TextColumn("rebuilding read models"), BarColumn(),
                      TextColumn("{task.completed:,}/{task.total:,} events"),
                      TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("rebuild", total=ledger.recorder.max_notification_id() or 0)
            result = rebuild_models(ledger, batch_size=batch_size, workers=workers,
                                    progress=lambda done, total: bar.update(
                                        task, completed=done, total=max(total, done)))
    finally:
        ledger.close()
    console.print(f"rebuilt from {result['events']:,} events in {result['seconds']:.1f} s "
                  f"({result['events_per_second']:,.0f} events/s, "
                  f"{result['partitions']} process(es))")


@app.command()
def follow(seconds: Optional[float] = typer.Option(None, "--seconds",
                                                   help="stop after this long (default: never)"),
           db: Optional[str] = DbOption) -> None:
    """PostgreSQL: keep the SQL read models up to date as events arrive
    (LISTEN/NOTIFY). SQLite has no subscription: queries catch up instead."""
    from adapters.readmodels import follow as follow_events
    from adapters.settings import database_url, ledger_env
    url = database_url(db)
    if not url.startswith("postgresql"):
        typer.echo("follow needs PostgreSQL; on SQLite every query catches up by itself.",
                   err=True)
        raise typer.Exit(2)
    follow_events(ledger_env(url), seconds=seconds)


@app.command(name="verify-models")
def verify_models(as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Prove a rebuild equals the live read models and that the AUD-06 money
    identities hold at every point in history."""
    from adapters.readmodels import verify as verify_read_models
    ledger = open_ledger(db, create=False)
    try:
        result = verify_read_models(ledger)
    finally:
        ledger.close()
    if as_json:
        _dump(result)
    else:
        ok = result["rebuild_equals_live"] and not result["identities_broken"]
        console.print(("read models verified: " if ok else "READ MODELS DO NOT VERIFY: ") +
                      f"rebuild equals live: {result['rebuild_equals_live']}; "
                      f"money identities broken: {len(result['identities_broken'])}; rows "
                      + ", ".join(f"{k} {v}" for k, v in result["rows"].items()))
        for line in result["identities_broken"][:20]:
            console.print(f"  {line}")
    if not (result["rebuild_equals_live"] and not result["identities_broken"]):
        raise typer.Exit(1)


@app.command()
def deadlines(on: str = typer.Option(..., "--on", help="the business date, YYYY-MM-DD"),
              known_at: Optional[str] = typer.Option(None, "--known-at",
                                                     help="as the ledger knew it at this instant"),
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Open deadlines on a date, overdue ones flagged, as known now or at an instant."""
    from adapters.readmodels import deadlines_as_of
    day, instant = _parse_date(on, "--on"), _parse_instant(known_at)
    ledger, view = _read_models(db)
    try:
        rows = deadlines_as_of(view, day, _position(view, instant))
    finally:
        ledger.close()
    if as_json:
        _dump(rows)
        return
    table = Table("due", "subject", "what", "rule", "flag", title=f"open deadlines on {day}")
    for r in rows:
        flag = ("OVERDUE " if r["overdue"] else "") + ("provisional" if r["provisional"] else "")
        table.add_row(str(r["due"]), r["subject"], r["what"], r["rule"], flag.strip())
    console.print(table)


@app.command()
def tick(to: str = typer.Option(..., "--to", help="record consequences due up to this date"),
         user: str = typer.Option("ledger-clock", "--user"),
         as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Record every consequence of time passing up to a date, exactly once.

    Run it daily from cron (see docs/operations.md); running it twice to the
    same date records nothing the second time."""
    from domain.base import Context
    day = _parse_date(to, "--to", business=True)   # the clock never runs past the horizon
    ledger = open_ledger(db)
    try:
        result = ledger.tick(Context(f"tick:{day.isoformat()}", day, user, "system"), to=day)
    finally:
        _seal_and_close(ledger)
    if as_json:
        _dump(result)
        return
    if not result["recorded"]:
        typer.echo(f"Nothing fell due up to {day}.")
    for row in result["recorded"]:
        ground = f" ({row['ground']})" if row.get("ground") else ""
        typer.echo(f"{row['on']}  {row['agreement']}: {row['event']}{ground}")


@app.command()
def positions(as_of: Optional[str] = typer.Option(None, "--as-of"),
              known_at: Optional[str] = typer.Option(None, "--known-at"),
              agency: Optional[str] = typer.Option(None, "--agency"),
              agreement: Optional[str] = typer.Option(None, "--agreement"),
              csv_out: Optional[Path] = typer.Option(None, "--csv", help="write CSV here"),
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Fund positions per agreement and year, per agency and for the fund:
    claimed, refused, deducted, approved, paid, withheld, returned, forfeited,
    still held, to recover, recovered (yuan, exact)."""
    from adapters.readmodels import positions_as_of
    from projections.fund import MONEY_COLUMNS, as_dict, to_csv, totals
    day, instant = _parse_date(as_of, "--as-of"), _parse_instant(known_at)
    ledger, view = _read_models(db)
    try:
        rows = positions_as_of(view, day, _position(view, instant),
                               agency=agency, agreement=agreement)
    finally:
        ledger.close()
    per_agency, fund = totals(rows)
    if csv_out is not None:
        csv_out.write_text(to_csv(rows), encoding="utf-8")
    if as_json:
        _dump({"positions": [as_dict(p) for p in rows],
               "agencies": [as_dict(p) for p in per_agency.values()], "fund": as_dict(fund)})
        return
    table = Table("agreement", "year", *MONEY_COLUMNS, title="fund positions (yuan)")
    for p in rows:
        d = as_dict(p)
        table.add_row(p.agreement, str(p.year), *[d[c] for c in MONEY_COLUMNS])
    for code, p in per_agency.items():
        d = as_dict(p)
        table.add_row(f"agency {code}", "", *[d[c] for c in MONEY_COLUMNS], style="bold")
    d = as_dict(fund)
    table.add_row("fund", "", *[d[c] for c in MONEY_COLUMNS], style="bold")
    console.print(table)
    if csv_out is not None:
        console.print(f"CSV written to {csv_out}")


@app.command()
def reconcile(statement: Path = typer.Argument(..., help="the bank's statement: CSV (comma "
                                                      "or tab, UTF-8 or GB18030/GBK) or .xlsx"),
              window: int = typer.Option(3, "--window", help="days either side for a match "
                                                             "by payee and amount (0-31)"),
              csv_out: Optional[Path] = typer.Option(None, "--csv", help="write findings here"),
              fail_on: list[str] = typer.Option(
                  [], "--fail-on", metavar="KIND",
                  help="exit 1 if there are findings of this kind (repeatable): any, "
                       "amount_differences, payee_differences, duplicates, "
                       "unmatched_statement, unmatched_credits, unmatched_ledger, malformed"),
              user: str = typer.Option("finance", "--user"),
              on: Optional[str] = typer.Option(None, "--on", help="business date of the import"),
              as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Reconcile the fund account's bank statement (payments and deposit
    returns out, recoveries in) with the ledger; record the import once."""
    from adapters.boundary import parse_business_day, printable
    from adapters.reconcile import parse, report_rows, to_csv
    from domain.base import Context
    from domain.calendar import today_in_china
    from domain.reconciliation import FINDING_KINDS, Payees, ledger_items, reconcile as match

    def refuse(message: str) -> None:   # one clear line and exit 2, never a traceback
        typer.echo(f"ledger reconcile: {message}", err=True)
        raise typer.Exit(2)

    kinds = list(FINDING_KINDS) if "any" in fail_on else fail_on
    unknown = sorted(set(kinds) - set(FINDING_KINDS))
    if unknown:
        refuse(f"--fail-on {', '.join(unknown)} is not a kind of finding; use any or one of "
               f"{', '.join(FINDING_KINDS)}")
    if not 0 <= window <= 31:
        refuse(f"--window is 0 to 31 days, got {window}")
    try:   # the import's business date: inside the window a command may take effect in
        day = parse_business_day(on) if on is not None else today_in_china()
    except ValueError as e:
        refuse(f"--on: {printable(e)}")
    try:
        data = statement.read_bytes()
    except OSError as e:
        refuse(f"cannot read {printable(statement)}: {e.strerror or e}")
    try:
        parsed = parse(data)
    except ValueError as e:
        refuse(f"cannot read {printable(statement.name)}: {printable(e)}")
    ledger = open_ledger(db, create=False)   # reconciling needs the ledger it checks
    try:
        state = build(e for _, e in ledger.read_log())
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
    if csv_out is not None:
        try:
            csv_out.write_text(to_csv(rows), encoding="utf-8-sig")
        except OSError as e:
            refuse(f"cannot write {csv_out}: {e.strerror or e}")
    summary = result.summary()
    failing = sorted(k for k in kinds if summary.get(k))
    read = {"format": parsed.format, "encoding": parsed.encoding,
            "header_line": parsed.header_line, "preamble_lines": parsed.preamble_lines,
            "period": list(parsed.period) if parsed.period else None,
            "skipped": [{"line": n, "why": why} for n, why in parsed.skipped],
            "columns": parsed.columns}
    if as_json:
        _dump({"summary": summary, **read, "recorded": recorded["recorded"],
               "failing": failing, "findings": rows})
    else:
        table = Table("finding", "line", "dir", "date", "payee", "counterparty", "statement",
                      "ledger", "reference", "note",
                      title=f"reconciliation of {statement.name} ({parsed.format}, "
                            f"{parsed.encoding})")
        for r in rows:   # text from the bank's file: no control or bidi character shown raw
            table.add_row(*(printable(r[k]) for k in (
                "finding", "line", "direction", "value_date", "payee", "counterparty",
                "statement_amount", "ledger_amount", "reference", "note")))
        console.print(table)
        period = (f"; period {parsed.period[0]} to {parsed.period[1]}" if parsed.period
                  else "")
        console.print(f"header on line {parsed.header_line}; {parsed.preamble_lines} "
                      f"preamble line(s) skipped before it; {len(parsed.skipped)} summary "
                      f"or note line(s) skipped after it{period}")
        console.print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))
        console.print("import recorded" if recorded["recorded"] else
                      "this statement was imported before: nothing new recorded")
        if failing:
            console.print(f"failing (--fail-on): {', '.join(failing)}")
    if failing:
        raise typer.Exit(1)


@app.command()
def commands(as_json: bool = JsonOption) -> None:
    """List the commands a command file may hold: their group, who may give
    them and their fields (? marks an optional field). The reference of each
    is docs/commands.md."""
    from adapters.specs import GROUPS, SPECS, roles_for
    rows = [{"command": name, "group": spec.group, "roles": list(roles_for(name)),
             "fields": [{"name": info.alias or field, "required": info.is_required()}
                        for field, info in spec.model.model_fields.items()]}
            for name, spec in SPECS.items()]
    if as_json:
        _dump(rows)
        return
    for group in GROUPS:
        typer.echo(f"{group}:")
        for r in (r for r in rows if r["group"] == group):
            fields = ", ".join(f["name"] + ("" if f["required"] else "?") for f in r["fields"])
            typer.echo(f"  {r['command']}: {fields}  [{', '.join(r['roles'])}]")


def _register_extensions() -> None:
    """Sub-command groups kept in their own modules."""
    from adapters.cli_audit import register
    register(app)


_register_extensions()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
