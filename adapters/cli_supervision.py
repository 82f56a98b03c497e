"""Supervision questions for the ``ledger`` CLI (SUP-01..08; issue #19).

``adapters.cli`` adds them with :func:`register` as ``ledger supervision``:

    ledger supervision cases [--on D] [--overdue]    open cases and their deadlines
    ledger supervision case NUMBER [--on D]          a case's state and deadlines
    ledger supervision lead NUMBER [--on D]          a lead's state
    ledger supervision leads [--on D]                open leads (not in a case, not set aside)
    ledger supervision institution CODE [--on D]     an institution's leads and cases
    ledger supervision alerts [--rule R] [--agency A] [--on D]
                                                     recorded alerts by rule and agency
    ledger supervision alerts --known-at T            what the rules raise on the log as
                                                     known at T (nothing recorded)
    ledger supervision seed --instant T              the chain head at T, for publish_draw
    ledger supervision proof NUMBER                  a draw re-run from the ledger and its
                                                     seed checked against the hash chain

Each takes ``--db`` and ``--json``. The questions about leads and cases are
answered by the supervision read model (adapters/readmodels/supervision.py)
and the deadlines read model, as of ``--on`` (a business date) and as known
at ``--known-at`` (an instant); they take ``--user``
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
from adapters.integrity import chain_value
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
        from adapters.refusals import refusal_text
        typer.echo(refusal_text(e), err=True)
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


def _ask_models(db: Optional[str], known_at: Optional[str], question) -> Any:
    """A question the supervision read model answers: ``question(ledger,
    view, position)`` at the log position known at ``known_at`` (now when
    None), the read models caught up first; a refusal exits 1 naming its
    rule, read models still being rebuilt exit 2."""
    from adapters.cli_queries import _position
    from adapters.readmodels import RebuildUnfinished, catch_up, view_for
    instant = _instant(known_at, "--known-at")
    ledger = _open(db)
    try:
        catch_up(ledger)
        view = view_for(ledger)
        return question(ledger, view, _position(view, instant, known_at))
    except RebuildUnfinished as e:
        typer.echo(f"{e}.", err=True)
        raise typer.Exit(2)
    except LedgerError as e:
        from adapters.refusals import refusal_text
        typer.echo(refusal_text(e), err=True)
        raise typer.Exit(1)
    finally:
        ledger.close()


def _today(on: Optional[str]) -> Any:
    from domain.calendar import today_in_china
    return _day(on, "--on") or today_in_china()


OnOption = typer.Option(None, "--on", help="the business date (default today in China)")
KnownAtOption = typer.Option(None, "--known-at", help="as the ledger knew it at this instant "
                                                      "(ISO 8601 with offset)")


def _case_line(c: dict[str, Any]) -> None:
    typer.echo(f"{c['case']}  {c['institution']} ({c['agency']})  {c['status']}  opened "
               f"{c['opened_on']}  leads {', '.join(c['leads'])}  assigned "
               f"{', '.join(c['assigned_to']) or '-'}")
    for d in c["deadlines"]:
        flag = " OVERDUE" if d["overdue"] else ""
        flag += " (provisional, CAL-01)" if d["provisional"] else ""
        typer.echo(f"    due {d['due']} [{d['rule']}] {d['what']}{flag}")


def _lead_line(lead: dict[str, Any]) -> None:
    who = ""
    if lead["complainant"]:
        who = "  complainant " + ", ".join(f"{k} {v}" for k, v in lead["complainant"].items())
    typer.echo(f"  lead {lead['lead']}  {lead['source']}  received {lead['received_on']}  "
               f"{lead['status']}{' ' + lead['case'] if lead['case'] else ''}: "
               f"{lead['allegation']}{who}")


def _show(rows: list[dict[str, Any]], as_json: bool, empty: str, line: Any,
          files: Sequence[Path]) -> None:
    """A list as JSON, or a ``line`` a row (``empty`` when none) and the files written."""
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo(empty)
    for row in rows:
        line(row)
    _say_written(files)


@app.command("cases")
def cases_command(on: Optional[str] = OnOption, known_at: Optional[str] = KnownAtOption,
                  overdue: bool = typer.Option(False, "--overdue",
                                               help="only cases with a deadline past"),
                  user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                  csv: Optional[Path] = CsvOption, xlsx: Optional[Path] = XlsxOption,
                  db: Optional[str] = DbOption) -> None:
    """Open cases and their deadlines on a day, as known now or at an instant
    (SUP-04, SUP-05); a row per deadline in the files."""
    from adapters.readmodels.supervision import cases_on
    day = _today(on)
    rows = _ask_models(db, known_at, lambda ledger, view, position: cases_on(
        view, day, position, ledger.viewer(user, role), overdue=overdue))
    files = _files(case_rows(rows), SUP_CASES, f"supervision cases --on {day}"
                   + (" --overdue" if overdue else ""), db, csv, xlsx, as_of=day,
                   known_at=known_at)
    _show(rows, as_json, "no open case", _case_line, files)


def _one(state_on: Any, number: str, on: Optional[str], known_at: Optional[str], user: str,
         role: str, db: Optional[str]) -> dict[str, Any]:
    """One lead's or case's state (``state_on``: ``lead_on`` or ``case_on``)."""
    day = _today(on)
    return _ask_models(db, known_at, lambda ledger, view, position: state_on(
        view, number, day, position, ledger.viewer(user, role)))


@app.command("case")
def case_command(number: str = typer.Argument(..., help="the case's number"),
                 on: Optional[str] = OnOption, known_at: Optional[str] = KnownAtOption,
                 user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                 db: Optional[str] = DbOption) -> None:
    """A case's state and its deadlines on a day, as known now or at an instant (SUP-04)."""
    from adapters.readmodels.supervision import case_on
    found = _one(case_on, number, on, known_at, user, role, db)
    if as_json:
        _echo_json(found)
        return
    _case_line(found)
    for s in found["steps"]:
        typer.echo(f"  {s['on']} {s['step']}: {s['summary']}" + (f" [{s['ref']}]"
                                                                 if s["ref"] else ""))
    if found["closed"]:
        typer.echo(f"  closed {found['closed']['on']}: {found['closed']['reason']}")


@app.command("lead")
def lead_command(number: str = typer.Argument(..., help="the lead's number"),
                 on: Optional[str] = OnOption, known_at: Optional[str] = KnownAtOption,
                 user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                 db: Optional[str] = DbOption) -> None:
    """A lead's state on a day, as known now or at an instant (SUP-01; the
    complainant shown only to investigators and auditors, SUP-03)."""
    from adapters.readmodels.supervision import lead_on
    found = _one(lead_on, number, on, known_at, user, role, db)
    if as_json:
        _echo_json(found)
        return
    _lead_line(found)


@app.command("leads")
def leads_command(on: Optional[str] = OnOption, known_at: Optional[str] = KnownAtOption,
                  institution: Optional[str] = typer.Option(None, "--institution",
                                                            help="one institution's"),
                  user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                  csv: Optional[Path] = CsvOption, xlsx: Optional[Path] = XlsxOption,
                  db: Optional[str] = DbOption) -> None:
    """Open leads on a day (not yet in a case nor set aside), as known now or
    at an instant (SUP-01; M 18)."""
    from adapters.readmodels.supervision import leads_on
    day = _today(on)
    rows = _ask_models(db, known_at, lambda ledger, view, position: leads_on(
        view, day, position, ledger.viewer(user, role), institution=institution))
    files = _files(lead_rows(rows), SUP_LEADS, f"supervision leads --on {day} --role {role}",
                   db, csv, xlsx, as_of=day, known_at=known_at)
    _show(rows, as_json, "no open lead", _lead_line, files)


@app.command("institution")
def institution_command(code: str = typer.Argument(..., help="the institution's code"),
                        on: Optional[str] = OnOption, known_at: Optional[str] = KnownAtOption,
                        user: str = UserOption, role: str = RoleOption,
                        as_json: bool = JsonOption, csv: Optional[Path] = CsvOption,
                        xlsx: Optional[Path] = XlsxOption,
                        db: Optional[str] = DbOption) -> None:
    """An institution's leads and cases on a day, as known now or at an
    instant (SUP-02, SUP-03); the files hold its leads, and its cases in
    NAME-cases beside them."""
    from adapters.readmodels.supervision import institution_on
    day = _today(on)
    found = _ask_models(db, known_at, lambda ledger, view, position: institution_on(
        view, code, _agency_of(ledger, code), day, position, ledger.viewer(user, role)))
    question = f"supervision institution {code} --on {day} --role {role}"
    files = _files(lead_rows(found["leads"]), SUP_LEADS, question, db, csv, xlsx, as_of=day,
                   known_at=known_at) + \
        _files(institution_case_rows(found["cases"]), SUP_INSTITUTION_CASES, question, db,
               _beside(csv, "cases"), _beside(xlsx, "cases"), as_of=day, known_at=known_at)
    if as_json:
        _echo_json(found)
        return
    typer.echo(f"{found['institution']} ({found['agency']}): {len(found['leads'])} lead(s), "
               f"{len(found['cases'])} case(s)")
    for lead in found["leads"]:
        _lead_line(lead)
    for c in found["cases"]:
        typer.echo(f"  case {c['case']}  {c['status']}  opened {c['opened_on']}  "
                   f"leads {', '.join(c['leads'])}")
    _say_written(files)


def _agency_of(ledger: Any, code: str) -> str:
    """The institution's agency, which scopes its leads and cases (SUP-02)."""
    from domain.errors import NotFound
    agency = ledger.agency_of("institution", code)
    if agency is None:
        raise NotFound(f"unknown institution {code!r}", remedy="check the institution code")
    return agency


@app.command("alerts")
def alerts_command(rule: Optional[str] = typer.Option(None, "--rule", help="one screening rule"),
                   agency: Optional[str] = typer.Option(None, "--agency", help="one agency"),
                   on: Optional[str] = typer.Option(None, "--on", help="the alerts recorded "
                                                    "by this business date (default today)"),
                   known_at: Optional[str] = typer.Option(
                       None, "--known-at", help="re-run the rules on the log as known at this "
                                                "instant (ISO 8601 with offset); records nothing"),
                   user: str = UserOption, role: str = RoleOption, as_json: bool = JsonOption,
                   csv: Optional[Path] = CsvOption, xlsx: Optional[Path] = XlsxOption,
                   db: Optional[str] = DbOption) -> None:
    """Screening alerts by rule and agency (SUP-06): those recorded as leads
    by a day, or what the rules raise re-run on the log as known at an instant."""
    instant = _instant(known_at, "--known-at")
    question = "supervision alerts" + (f" --rule {rule}" if rule else "") + \
        (f" --agency {agency}" if agency else "")
    if instant is None:
        from adapters.readmodels.supervision import alerts_on
        day = _today(on)
        rows = _ask_models(db, None, lambda ledger, view, position: alerts_on(
            view, day, position, ledger.viewer(user, role), rule=rule, agency=agency))
        files = _files(rows, SUP_ALERT_COUNTS, question, db, csv, xlsx, as_of=day)
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
