"""Supervision questions for the ``ledger`` CLI (SUP-01..08; issue #19).

``adapters.cli`` adds them with :func:`register` as ``ledger supervision``:

    ledger supervision cases [--on D]                open cases and their deadlines
    ledger supervision institution CODE              an institution's leads and cases
    ledger supervision alerts [--rule R] [--agency A]   recorded alerts by rule and agency
    ledger supervision alerts --known-at T            what the rules raise on the log as
                                                     known at T (nothing recorded)
    ledger supervision seed --instant T              the chain head at T, for publish_draw
    ledger supervision proof NUMBER                  a draw re-run from the ledger and its
                                                     seed checked against the hash chain

Each takes ``--db`` and ``--json``; the questions about leads take ``--user``
and ``--role`` (who asks: personal data is shown only to investigators and
auditors, SUP-03; a user with an account reads their agency's, SUP-02).
The lists take ``--csv FILE`` and ``--xlsx FILE`` (every row, the console's
columns: adapters/console/views.py; an institution's writes its leads, and
its cases beside them as ``NAME-cases.csv``/``.xlsx``). A refused question
exits 1 with the rule; bad input exits 2.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Sequence

import typer

from adapters.cli_audit import DbOption, JsonOption, _date as _day, _echo_json
from adapters.cli_common import CsvOption, XlsxOption, write_list
from adapters.console.views import (SUP_ALERT_COUNTS, SUP_ALERTS, SUP_CASES, SUP_DRAW,
                                    SUP_INSTITUTION_CASES, SUP_LEADS, alert_rows, case_rows,
                                    draw_rows, institution_case_rows, lead_rows)
from adapters.settings import StoreUnavailable, open_ledger
from domain.errors import LedgerError
from domain.service.supervision import SupervisionCommands

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Leads, cases, screening alerts and the random draw (SUP).")

UserOption = typer.Option("operator", "--user", help="who asks")
RoleOption = typer.Option("case_officer", "--role", help="the role they ask in")


def supervised(ledger: Any) -> Any:
    """The ledger with the supervision handlers. Until domain/service
    composes SupervisionCommands into Ledger, the opened ledger takes a
    subclass that adds them: the mixin holds methods only, no state."""
    if not isinstance(ledger, SupervisionCommands):
        ledger.__class__ = type("SupervisedLedger", (type(ledger), SupervisionCommands), {})
    return ledger


def _open(db: Optional[str]) -> Any:
    try:
        return supervised(open_ledger(db, create=False))
    except StoreUnavailable as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2)


def _instant(text: Optional[str], name: str) -> Optional[datetime]:
    if text is None:
        return None
    from adapters.specs.supervision import _instant as parse
    try:
        return parse(text)
    except ValueError as e:
        raise typer.BadParameter(f"{name}: {e}") from None


def _ask(db: Optional[str], question) -> Any:
    """Run a question on the store; a refusal exits 1 naming its rule."""
    ledger = _open(db)
    try:
        return question(ledger)
    except LedgerError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1)
    finally:
        ledger.close()


def _files(rows: list[dict[str, Any]], columns: Sequence[Any], question: str,
           db: Optional[str], csv: Optional[Path], xlsx: Optional[Path], *,
           as_of: Any = None, known_at: Any = None) -> list[Path]:
    """Every row to the files asked for (adapters/exports through cli_common)."""
    return write_list(rows, columns, question=question, store=db, csv=csv, xlsx=xlsx,
                      as_of=as_of, known_at=known_at, sheet="supervision")


def _beside(path: Optional[Path], suffix: str) -> Optional[Path]:
    """``leads.csv`` -> ``leads-cases.csv``: a second list's file next to the first."""
    return None if path is None else path.with_name(f"{path.stem}-{suffix}{path.suffix}")


def _say_written(files: Sequence[Path]) -> None:
    from adapters.labels import label
    for path in files:
        typer.echo(label("cli.written", path=path))


@app.command("cases")
def cases_command(on: Optional[str] = typer.Option(None, "--on", help="the day (default today "
                                                                     "in China)"),
                  user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                  csv: Optional[Path] = CsvOption, xlsx: Optional[Path] = XlsxOption,
                  db: Optional[str] = DbOption) -> None:
    """Open cases and their deadlines (SUP-04, SUP-05); a row per deadline in
    the files."""
    from domain.calendar import today_in_china
    day = _day(on, "--on") or today_in_china()
    rows = _ask(db, lambda ledger: ledger.open_cases(ledger.viewer(user, role), day))
    files = _files(case_rows(rows), SUP_CASES, f"supervision cases --on {day}", db, csv, xlsx,
                   as_of=day)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no open case")
    for c in rows:
        typer.echo(f"{c['case']}  {c['institution']} ({c['agency']})  opened {c['opened_on']}"
                   f"  leads {', '.join(c['leads'])}  assigned {', '.join(c['assigned_to']) or '-'}")
        for d in c["deadlines"]:
            flag = " OVERDUE" if d["overdue"] else ""
            flag += " (provisional, CAL-01)" if d["provisional"] else ""
            typer.echo(f"    due {d['due']} [{d['rule']}] {d['what']}{flag}")
    _say_written(files)


@app.command("institution")
def institution_command(code: str = typer.Argument(..., help="the institution's code"),
                        user: str = UserOption, role: str = RoleOption,
                        as_json: bool = JsonOption, csv: Optional[Path] = CsvOption,
                        xlsx: Optional[Path] = XlsxOption,
                        db: Optional[str] = DbOption) -> None:
    """An institution's leads and cases (SUP-02, SUP-03); the files hold its
    leads, and its cases in NAME-cases beside them."""
    found = _ask(db, lambda ledger: ledger.institution_supervision(code,
                                                                   ledger.viewer(user, role)))
    question = f"supervision institution {code} --role {role}"
    files = _files(lead_rows(found["leads"]), SUP_LEADS, question, db, csv, xlsx) + \
        _files(institution_case_rows(found["cases"]), SUP_INSTITUTION_CASES, question, db,
               _beside(csv, "cases"), _beside(xlsx, "cases"))
    if as_json:
        _echo_json(found)
        return
    typer.echo(f"{found['institution']} ({found['agency']}): {len(found['leads'])} lead(s), "
               f"{len(found['cases'])} case(s)")
    for lead in found["leads"]:
        who = ""
        if lead["complainant"]:
            who = "  complainant " + ", ".join(f"{k} {v}" for k, v in lead["complainant"].items())
        typer.echo(f"  lead {lead['lead']}  {lead['source']}  received {lead['received_on']}  "
                   f"{lead['status']}{' ' + lead['case'] if lead['case'] else ''}: "
                   f"{lead['allegation']}{who}")
    for c in found["cases"]:
        typer.echo(f"  case {c['case']}  {c['status']}  opened {c['opened_on']}  "
                   f"leads {', '.join(c['leads'])}")
    _say_written(files)


@app.command("alerts")
def alerts_command(rule: Optional[str] = typer.Option(None, "--rule", help="one screening rule"),
                   agency: Optional[str] = typer.Option(None, "--agency", help="one agency"),
                   known_at: Optional[str] = typer.Option(
                       None, "--known-at", help="re-run the rules on the log as known at this "
                                                "instant (ISO 8601 with offset); records nothing"),
                   user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                   csv: Optional[Path] = CsvOption, xlsx: Optional[Path] = XlsxOption,
                   db: Optional[str] = DbOption) -> None:
    """Screening alerts by rule and agency (SUP-06)."""
    instant = _instant(known_at, "--known-at")
    question = "supervision alerts" + (f" --rule {rule}" if rule else "") + \
        (f" --agency {agency}" if agency else "")
    if instant is None:
        rows = _ask(db, lambda ledger: ledger.alerts_by_rule(ledger.viewer(user, role),
                                                             rule=rule, agency=agency))
        files = _files(rows, SUP_ALERT_COUNTS, question, db, csv, xlsx)
        if as_json:
            _echo_json(rows)
            return
        if not rows:
            typer.echo("no alert recorded")
        for r in rows:
            typer.echo(f"{r['rule']}  {r['agency']}  {r['alerts']} alert(s): "
                       f"{', '.join(r['leads'])}")
        _say_written(files)
        return
    alerts = _ask(db, lambda ledger: [a.as_dict() for a in ledger.screening_alerts(
        ledger.viewer(user, role), [rule] if rule else [], known_at=instant)
        if agency is None or a.agency == agency])
    files = _files(alert_rows(alerts), SUP_ALERTS, question, db, csv, xlsx, known_at=instant)
    if as_json:
        _echo_json(alerts)
        return
    typer.echo(f"as known at {instant.isoformat()}: {len(alerts)} alert(s)")
    for a in alerts:
        rests = ", ".join(f"#{r['notification_id']} {r['event']}" for r in a["rests_on"])
        typer.echo(f"  {a['rule']}  {a['institution']} ({a['agency']})  {a['what']}  "
                   f"[rests on {rests}]")
    _say_written(files)


def chain_value(ledger: Any, position: int) -> str:
    """The hash chain's value after event ``position`` (the genesis value for 0),
    sealing what is new first so the chain reaches it."""
    import sqlalchemy as sa

    from adapters.integrity import GENESIS, chain_table, engine_of, seal
    if position == 0:
        return GENESIS.hex()
    seal(ledger)
    table = chain_table(ledger)
    with engine_of(ledger).connect() as conn:
        row = conn.execute(sa.select(table.c.chain).where(
            table.c.notification_id == position)).first()
    if row is None:
        raise LookupError(f"event #{position} is not sealed: run `ledger verify`")
    return row.chain


def seed_fields(ledger: Any, at: datetime) -> dict[str, Any]:
    """The seed fields of a publish_draw command for the stated instant
    ``at``: the chain head after the last event recorded by then (SUP-07).
    LookupError when that event is not sealed."""
    position = ledger.log_position_at(at)
    return {"seed_head": chain_value(ledger, position), "seed_position": position,
            "seed_instant": at.isoformat()}


def checked_proof(ledger: Any, number: str) -> dict[str, Any]:
    """A draw's proof (domain/service/supervision.py's draw_proof) with the
    check only the adapters can make: its seed is the hash chain's value
    after the event it names. The CLI, the API and the console answer this."""
    proof = ledger.draw_proof(number)
    try:
        head = chain_value(ledger, proof["seed"]["position"])
    except LookupError:
        head = None
    proof["checks"]["seed_is_chain_head"] = head == proof["seed"]["head"]
    proof["ok"] = all(proof["checks"].values())
    return proof


@app.command("seed")
def seed_command(instant: str = typer.Option(..., "--instant", help="the stated instant "
                                                                    "(ISO 8601 with offset)"),
                 db: Optional[str] = DbOption) -> None:
    """The seed fields of a publish_draw command: the hash chain's head at
    the stated instant and the event it belongs to (SUP-07), as JSON."""
    at = _instant(instant, "--instant")
    ledger = _open(db)
    try:
        fields = seed_fields(ledger, at)
    except LookupError as e:
        typer.echo(str(e).strip("'\""), err=True)
        raise typer.Exit(1)
    finally:
        ledger.close()
    _echo_json(fields)


@app.command("proof")
def proof_command(number: str = typer.Argument(..., help="the draw's number"),
                  as_json: bool = JsonOption, csv: Optional[Path] = CsvOption,
                  xlsx: Optional[Path] = XlsxOption, db: Optional[str] = DbOption) -> None:
    """A draw's proof (SUP-07): its seed, population, pool and result; the
    draw re-run from its event and from the log as known when it was
    recorded; and its seed checked against the hash chain. Exit 1 when any
    check fails. --csv/--xlsx write its result (target, inspectors)."""
    proof = _ask(db, lambda ledger: checked_proof(ledger, number))
    files = _files(draw_rows(proof), SUP_DRAW, f"supervision proof {number}", db, csv, xlsx)
    if as_json:
        _echo_json(proof)
    else:
        typer.echo(f"draw {proof['draw']} ({proof['agency']}) on {proof['drawn_on']}, recorded "
                   f"{proof['recorded_at']}")
        typer.echo(f"  seed: chain head {proof['seed']['head']} after event "
                   f"#{proof['seed']['position']}, instant {proof['seed']['instant']}")
        typer.echo(f"  population ({len(proof['population'])}): "
                   f"{', '.join(proof['population'])}")
        typer.echo(f"  pool ({len(proof['pool'])}): " + ", ".join(
            e["expert"] + (f" (not {', '.join(e['conflicts'])})" if e["conflicts"] else "")
            for e in proof["pool"]))
        for i, r in enumerate(proof["result"], start=1):
            typer.echo(f"  {i}. {r['institution']}: {', '.join(r['inspectors'])}")
        typer.echo("  checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}"
                                           for k, v in proof["checks"].items()))
        _say_written(files)
    if not proof["ok"]:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``ledger supervision`` to the ``ledger`` app (once)."""
    if "supervision" not in {g.name for g in root.registered_groups}:
        root.add_typer(app, name="supervision")
