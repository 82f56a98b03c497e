"""The read models' upkeep from the command line: ``rebuild`` (with
progress on standard error), ``follow`` (saying what it applied) and
``verify-models``. Registered by ``cli_queries.register``."""
# Annotations are evaluated here, not kept as strings (no ``from __future__
# import annotations``): typer reads every command's annotations each time it
# builds the command line, and evaluating strings was a third of a question's cost.

import threading
from typing import Optional

import typer

from adapters.cli_common import DbOption, JsonOption, dump, refuse

app = typer.Typer()


def _open(db: Optional[str], **kw):   # type: ignore[no-untyped-def]
    from adapters import cli
    return cli.open_ledger(db, **kw)


def _label(key: str, **values) -> str:   # type: ignore[no-untyped-def]
    from adapters.labels import label
    return label(key, **values)


@app.command()
def rebuild(db: Optional[str] = DbOption,
            batch_size: int = typer.Option(20000, "--batch-size", metavar="N",
                                           help="events a batch"),
            workers: Optional[int] = typer.Option(
                None, "--workers", metavar="N",
                help="processes (default: 4 for a log of 50,000 events or more on a machine "
                     "with 2 cores or more, else 1)")) -> None:
    """Drop every SQL read model and rebuild it from the event log alone
    (AUD-02). A rebuild stopped part-way resumes where it stopped. Stop
    `ledger follow` first.

    Example: `ledger rebuild --workers 4`
    """
    from adapters.progress import progress
    from adapters.readmodels import rebuild as rebuild_models
    ledger = _open(db, create=False)
    try:
        total = ledger.recorder.max_notification_id() or 0
        with progress(_label("cli.rebuilding"), total=total) as steps:
            done = [0]

            def report(n: int, of: int) -> None:
                steps.total(max(of, n))
                steps.advance(n - done[0])
                done[0] = n
            result = rebuild_models(ledger, batch_size=batch_size, workers=workers,
                                    progress=report)
    finally:
        ledger.close()
    typer.echo(_label("cli.rebuilt", events=f"{result['events']:,}",
                      seconds=f"{result['seconds']:.1f}",
                      rate=f"{result['events_per_second']:,.0f}",
                      processes=result["partitions"]))


@app.command()
def follow(seconds: Optional[float] = typer.Option(None, "--seconds", metavar="S",
                                                   help="stop after this long (default: never)"),
           every: float = typer.Option(10.0, "--every", metavar="S",
                                       help="say what was applied this often"),
           db: Optional[str] = DbOption) -> None:
    """PostgreSQL: keep the SQL read models up to date as events arrive
    (LISTEN/NOTIFY), saying on standard error what it applied. SQLite has
    no subscription: queries catch up instead.

    Example: `ledger follow --db postgresql+psycopg2://ledger@db/ledger`
    """
    from adapters.readmodels import follow as follow_events
    from adapters.settings import database_url, ledger_env
    url = database_url(db)
    if not url.startswith("postgresql"):
        refuse("follow needs PostgreSQL; on SQLite every query catches up by itself.")
    ledger = _open(db, create=False)
    stop = threading.Event()
    start = _tracked(ledger)
    typer.echo(_label("cli.following", position=start), err=True)

    def tell() -> None:   # what the runner applied since the last word, on stderr
        seen = start
        while not stop.wait(every):
            now = _tracked(ledger)
            if now != seen:
                typer.echo(_label("cli.applied", first=seen + 1, last=now, n=now - seen),
                           err=True)
                seen = now
    teller = threading.Thread(target=tell, daemon=True)
    teller.start()
    try:
        follow_events(ledger_env(url), seconds=seconds)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        teller.join(timeout=every + 1)
        end = _tracked(ledger)
        ledger.close()
        typer.echo(_label("cli.followed", n=end - start, last=end), err=True)


def _tracked(ledger) -> int:   # type: ignore[no-untyped-def]
    from adapters.readmodels import APP, view_for
    return view_for(ledger).max_tracking_id(APP) or 0


@app.command(name="verify-models")
def verify_models(as_json: bool = JsonOption, db: Optional[str] = DbOption) -> None:
    """Prove a rebuild equals the live read models and that the AUD-06 money
    identities hold at every point in history.

    Example: `ledger verify-models`
    """
    from adapters.progress import progress
    from adapters.readmodels import verify as verify_read_models
    ledger = _open(db, create=False)
    try:
        with progress(_label("cli.verifying_models")):
            result = verify_read_models(ledger)
    finally:
        ledger.close()
    ok = result["rebuild_equals_live"] and not result["identities_broken"]
    if as_json:
        dump(result)
    else:
        from adapters.labels import said
        from adapters.readmodels.verify import verdict
        typer.echo(said(verdict(result)))
        for line in result["identities_broken"][:20]:
            typer.echo(f"  {said(line)}")
    if not ok:
        raise typer.Exit(1)
