"""The ``ledger`` command line: the typer app, its group (store errors in one
line, commands of other modules loaded when run, help without Python type
names), the command files and the clock; the questions on the read models
are in ``cli_queries.py``, the audit commands in ``cli_audit.py`` and what
they share in ``cli_common.py``.

Start-up is kept to typer's own (issue #14 point 4): this module imports
no domain, database or read-model code at module level; each command
imports what it needs when it runs, and ``serve``, ``user`` and
``supervision`` are imported only when asked for.
"""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

import difflib
import importlib
import json
import time
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from adapters.cli_common import DbOption, JsonOption, parse_date, parse_instant

# the sub-apps of other modules: loaded when one of their commands runs, so
# that --help and every other command do not import the service or the
# supervision domain; (module, the one line --help shows)
LAZY: dict[str, tuple[str, str]] = {
    "serve": ("adapters.cli_service", "Serve the ledger over HTTP: commands, questions, "
                                      "accounts (OpenAPI at /openapi.json)."),
    "user": ("adapters.cli_service", "Accounts of the ledger service, given on a direct store "
                                     "connection (the operator's path)."),
    "supervision": ("adapters.cli_supervision", "Leads, cases, screening alerts and the random "
                                                "draw (SUP)."),
}

# metavars for options that take a value, where the option's name says what
METAVARS = {"db": "STORE", "on": "DATE", "to": "DATE", "from": "DATE", "date_from": "DATE",
            "date_to": "DATE", "as_of": "DATE", "known_at": "INSTANT", "csv_out": "FILE",
            "xlsx_out": "FILE", "chart": "FILE", "out": "FILE", "key": "PEM",
            "pubkey": "PEM", "out_dir": "DIR", "user": "USER", "role": "ROLE",
            "institution_code": "CODE", "institution": "CODE", "agreement": "NUMBER",
            "person": "ID", "agency": "CODE", "lang": "zh|en", "files": "FILE",
            "statement": "FILE", "file": "FILE", "subject": "KIND:KEY", "code": "CODE",
            "number": "NUMBER"}


def _tidy(command: Any, ctx: Any) -> None:
    """No Python type names in help (``<bool>``, ``<list[Path]>``): a flag
    shows none, an option or argument a word for what it takes."""
    if getattr(command, "_ledger_tidy", False):
        return
    params = list(command.params)
    helper = command.get_help_option(ctx)
    for p in params + ([helper] if helper is not None else []):
        if p.param_type_name == "argument":   # its metavar names it; no type beside
            p.display_type_rich = lambda ctx: None
        if p.metavar is not None:
            continue
        if getattr(p, "is_flag", False):
            p.metavar = ""
        else:
            p.metavar = METAVARS.get(p.name, (p.name or "value").upper().replace("_", "-"))
    command._ledger_tidy = True
    for sub in getattr(command, "commands", {}).values():
        _tidy(sub, ctx)


class _LedgerGroup(TyperGroup):
    """Every subcommand: a store that cannot be used is one line, exit 2."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except Exception as e:
            # by name: importing adapters.settings or the read models here
            # would load the domain for every command, even --help
            if not any(c.__name__ in ("StoreUnavailable", "RebuildUnfinished")
                       for c in type(e).__mro__):
                raise
            typer.echo(f"{e}".rstrip(".") + ".", err=True)
            raise typer.Exit(2) from None

    def list_commands(self, ctx):  # type: ignore[no-untyped-def]
        names = super().list_commands(ctx)
        return names + [n for n in LAZY if n not in names]

    def get_command(self, ctx, cmd_name):  # type: ignore[no-untyped-def]
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in LAZY:
            # listed in help with its one line; the module loads when it runs
            command = TyperCommand(cmd_name, help=LAZY[cmd_name][1])
        if command is not None:
            _tidy(command, ctx)
        return command

    def load(self, cmd_name: str) -> None:
        """Register a lazily listed command's module (its ``register(app)``)."""
        if cmd_name not in LAZY or cmd_name in self.commands:
            return
        scratch = typer.Typer()
        importlib.import_module(LAZY[cmd_name][0]).register(scratch)
        for name, command in typer.main.get_group(scratch).commands.items():
            self.commands.setdefault(name, command)

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        if args:
            self.load(args[0])
        try:
            return self._click_resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as e:
            close = difflib.get_close_matches(args[0], self.list_commands(ctx), n=3,
                                              cutoff=0.6) if args else []
            if close:
                e.message = (e.message.rstrip(".") + ". Did you mean "
                             + " or ".join(repr(c) for c in close) + "?")
            raise

    def format_help(self, ctx, formatter):  # type: ignore[no-untyped-def]
        _tidy(self, ctx)
        return super().format_help(ctx, formatter)


app = typer.Typer(cls=_LedgerGroup, no_args_is_help=True, rich_markup_mode="markdown",
                  help="The agreement ledger: Shanxi work-injury insurance agreement "
                       "institutions, event-sourced.\n\n"
                       "Tables and files are in Chinese; `--lang en` (or LEDGER_LANG=en) "
                       "gives English. Example: `ledger status --on 2025-09-01`")


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version
        try:
            typer.echo(f"ledger {version('agreement-ledger')}")
        except PackageNotFoundError:
            typer.echo("ledger (not installed: no version)")
        raise typer.Exit()


@app.callback()
def _options(lang: Optional[str] = typer.Option(
                 None, "--lang", metavar="zh|en",
                 help="the language of tables, files and messages (default: $LEDGER_LANG "
                      "or zh); JSON keys are English codes in both"),
             version: bool = typer.Option(False, "--version", callback=_version,
                                          is_eager=True, help="print the version and exit")
             ) -> None:
    from adapters.labels import set_lang
    try:
        set_lang(lang)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--lang") from None


def open_ledger(url: Optional[str] = None, **kw: Any):   # type: ignore[no-untyped-def]
    """adapters.settings.open_ledger, imported when a command opens the store
    (tests route it into their schema by replacing this name)."""
    from adapters.settings import open_ledger as open_store
    return open_store(url, **kw)


# the names earlier callers used
_parse_date, _parse_instant = parse_date, parse_instant


@app.command()
def run(files: list[Path] = typer.Argument(..., metavar="FILE",
                                           help="command files, one JSON object a line"),
        keep_going: bool = typer.Option(False, "--keep-going",
                                        help="report a rejected command and go on"),
        timings: bool = typer.Option(False, "--timings",
                                     help="at the end, one JSON line on stderr: the lines "
                                          "answered and the seconds of the commands and of "
                                          "their seal, start-up excluded"),
        as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Apply command files in order and report each result.

    Exit 0 when every line was applied, 1 when a line was rejected (each
    rejection names its line, rule, reason and remedy), 2 when a file or an
    option cannot be used (then nothing is applied).

    Example: `ledger run examples/admission.jsonl --keep-going`
    """
    from adapters.boundary import UnusableFile, command_lines, printable
    from adapters.describe import describe
    from domain.errors import LedgerError
    from domain.service import _plain
    for path in files:   # every file usable before anything is applied
        try:
            next(iter(command_lines(path)), None)
        except UnusableFile as e:
            typer.echo(printable(e), err=True)
            raise typer.Exit(2)
    from adapters.cli_service import direct_store_actor
    from adapters.commands import apply_lines
    ledger = open_ledger(db)
    # the hot path's own clock (scripts/bench.py): from the opened store to
    # the last answer, then the seal of what they recorded; start-up (imports,
    # opening the store, sealing what an earlier process left) is not in it
    started = time.perf_counter()
    rejected = answered = 0
    try:
        lines = ((f"{printable(path.name)}:{lineno}", line)
                 for path in files for lineno, line in command_lines(path))
        # each answer comes once its unit of work is written (adapters/commands.py),
        # so nothing printed can be undone by a later conflict
        for where, answer in apply_lines(ledger, lines, via=direct_store_actor()):
            answered += 1
            if isinstance(answer, LedgerError):
                rejected += 1
                if as_json:
                    typer.echo(json.dumps({"line": where, "rejected": answer.as_dict()},
                                          ensure_ascii=False))
                else:
                    from adapters.refusals import refusal
                    head, body = refusal(where, answer)
                    typer.echo(typer.style(head, fg="red") + printable_lines(body))
                if not keep_going:
                    raise typer.Exit(1)
                continue
            if as_json:
                typer.echo(json.dumps({"line": where, **_plain(answer)}, ensure_ascii=False))
            else:
                typer.echo(f"{where} {printable(describe(answer))}")
    finally:
        sealing = time.perf_counter()
        _seal_and_close(ledger)
        if timings:
            typer.echo(json.dumps({"lines": answered, "rejected": rejected,
                                   "commands_seconds": sealing - started,
                                   "seal_seconds": time.perf_counter() - sealing}), err=True)
    if rejected:
        raise typer.Exit(1)


def printable_lines(text: str) -> str:
    """A multi-line refusal with each of its own lines made printable."""
    from adapters.boundary import printable
    return "\n".join(printable(part) for part in text.split("\n"))


def _seal_and_close(ledger) -> None:  # type: ignore[no-untyped-def]
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
            from adapters.labels import said
            typer.echo(said(result.message()), err=True)
    except sa.exc.DBAPIError as e:
        typer.echo(f"not sealed yet (AUD-05): {first_line(e)}; the next command that opens "
                   "the store seals this command's events", err=True)
    finally:
        ledger.close()


@app.command()
def tick(to: str = typer.Option(..., "--to", metavar="DATE",
                                help="record consequences due up to this date"),
         user: str = typer.Option("ledger-clock", "--user", help="who records them"),
         as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Record every consequence of time passing up to a date, exactly once.

    Run it daily from cron (see docs/operations.md); running it twice to the
    same date records nothing the second time.

    Example: `ledger tick --to 2025-12-31`
    """
    from adapters.labels import label, word
    from domain.base import Context
    day = parse_date(to, "--to", business=True)   # the clock never runs past the horizon
    ledger = open_ledger(db)
    try:
        result = ledger.tick(Context(f"tick:{day.isoformat()}", day, user, "system"), to=day)
    finally:
        _seal_and_close(ledger)
    if as_json:
        from adapters.cli_common import dump
        dump(result)
        return
    if not result["recorded"]:
        typer.echo(label("cli.nothing_due", day=day))
    for row in result["recorded"]:
        ground = f" ({row['ground']})" if row.get("ground") else ""
        event = word("event", f"Agreement.{row['event']}")
        typer.echo(f"{row['on']}  {row['agreement']}: {event}{ground}")


@app.command()
def commands(as_json: bool = JsonOption) -> None:
    """List the commands a command file may hold: their group, who may give
    them and their fields (? marks an optional field). The reference of each
    is docs/commands.md.

    Example: `ledger commands --json`
    """
    from adapters.specs import GROUPS, SPECS, roles_for
    rows = [{"command": name, "group": spec.group, "roles": list(roles_for(name)),
             "fields": [{"name": info.alias or field, "required": info.is_required()}
                        for field, info in spec.model.model_fields.items()]}
            for name, spec in SPECS.items()]
    if as_json:
        from adapters.cli_common import dump
        dump(rows)
        return
    for group in GROUPS:
        typer.echo(f"{group}:")
        for r in (r for r in rows if r["group"] == group):
            fields = ", ".join(f["name"] + ("" if f["required"] else "?") for f in r["fields"])
            typer.echo(f"  {r['command']}: {fields}  [{', '.join(r['roles'])}]")


def _register_extensions() -> None:
    """Sub-command groups kept in their own modules (``serve``, ``user`` and
    ``supervision`` are listed in LAZY and load when run)."""
    from adapters.cli_audit import register as audit
    from adapters.cli_queries import register as queries
    queries(app)
    audit(app)


_register_extensions()


def main() -> None:
    from adapters.collector import for_one_command
    for_one_command()
    app()


if __name__ == "__main__":
    main()
