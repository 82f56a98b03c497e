"""``ledger serve`` and ``ledger user``: the ledger as an HTTP service, and
its accounts given on a direct store connection (issue #15).

``adapters.cli`` calls :func:`register`. Commands:

    ledger serve [--db URL] [--host H] [--port P] [--workers N] [--tick/--no-tick]
                 [--signing-key PEM]
    ledger user add USER --agency A --role R [--role R ...] [--name N] [--password-stdin]
    ledger user grant USER ROLE|province       ledger user revoke USER ROLE|province
    ledger user reset USER [--password-stdin]  (also ends a lock-out)
    ledger user token USER [--label L]         ledger user token USER --revoke TOKEN_ID
    ledger user show USER

``ledger user`` is the operator's path: its commands are recorded as given by
``os:<the operating-system user>`` in role ``administrator`` (no account
can be named with a colon), which is how the first administrator is made.
"""
from __future__ import annotations

import getpass
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, List, Optional

import typer

from adapters.settings import URL_SETTING, StoreUnavailable, database_url

DbOption = typer.Option(None, "--db", help=f"the store: an SQLite file path or a SQLAlchemy "
                                           f"URL; default ${URL_SETTING} or ledger.sqlite")
ROOT = Path(__file__).resolve().parents[1]
DEMO_STORE = ROOT / "out" / "demo.sqlite"
user_app = typer.Typer(no_args_is_help=True, help="Accounts of the ledger service, given on a "
                                                  "direct store connection (the operator's path).")


def direct_store_actor() -> str:
    """Who gives a command on a direct store connection: the operating-system
    user, marked as such (``os:NAME``), never a service account's name."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:60]
    return f"os:{cleaned or 'unknown'}"


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


# --- ledger serve -------------------------------------------------------------------------------
def _store(db: Optional[str]) -> str:
    """The store to serve: --db, the setting, or the demo store (built on first use)."""
    if db or os.environ.get(URL_SETTING):
        return database_url(db)
    if not DEMO_STORE.exists() and (ROOT / "scripts" / "demo.py").exists():
        typer.echo(f"building the demo store at {DEMO_STORE} (scripts/demo.py) ...", err=True)
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db",
                               f"sqlite:///{DEMO_STORE}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            _fail(f"could not build the demo store: {done.stderr.strip()[-300:]}")
    return f"sqlite:///{DEMO_STORE}"


def serve_command(db: Optional[str] = DbOption,
                  host: str = typer.Option("127.0.0.1", "--host",
                                           help="the address to listen on"),
                  port: int = typer.Option(8000, "--port", min=1, max=65535),
                  workers: Optional[int] = typer.Option(
                      None, "--workers", min=1, max=64,
                      help="worker processes (PostgreSQL; default 2; SQLite always 1)"),
                  tick: bool = typer.Option(True, "--tick/--no-tick",
                                            help="advance the clock to today once a day"),
                  signing_key: Optional[Path] = typer.Option(
                      None, "--signing-key", help="Ed25519 private key (PEM) that signs "
                                                  "case files"),
                  schema: Optional[str] = typer.Option(None, "--schema", hidden=True)) -> None:
    """Serve the ledger over HTTP: commands, questions, accounts (OpenAPI at
    /openapi.json). Without --db or $LEDGER_DATABASE_URL it serves the demo
    store. Create the first administrator with `ledger user add` first."""
    import uvicorn

    from adapters.http.service import (KEY_SETTING, SCHEMA_SETTING, SECRET_SETTING,
                                       TICK_SETTING, open_service_ledger)
    url = _store(db)
    try:   # the store usable, its tables made, before any worker starts
        open_service_ledger(url, schema).close()
    except StoreUnavailable as e:
        _fail(f"{e}".rstrip(".") + ".")
    if signing_key is not None and not signing_key.is_file():
        _fail(f"--signing-key {signing_key}: no such file")
    sqlite = url.startswith("sqlite")
    if sqlite and workers not in (None, 1):
        typer.echo("SQLite takes one writer at a time: serving with 1 worker.", err=True)
    count = 1 if sqlite else (workers or 2)
    os.environ.update({URL_SETTING: url, TICK_SETTING: "1" if tick else "0"})
    os.environ.setdefault(SECRET_SETTING, secrets.token_hex(32))   # shared by the workers
    if schema:
        os.environ[SCHEMA_SETTING] = schema
    if signing_key is not None:
        os.environ[KEY_SETTING] = str(signing_key.resolve())
    from adapters.settings import shown
    typer.echo(f"serving {shown(url)} on http://{host}:{port} with {count} worker(s); "
               f"OpenAPI at /openapi.json", err=True)
    uvicorn.run("adapters.http.app:create_app", factory=True, host=host, port=port,
                workers=count, timeout_keep_alive=5, limit_concurrency=256,
                h11_max_incomplete_event_size=16 * 1024, timeout_graceful_shutdown=10,
                server_header=False, log_level="warning")


# --- ledger user --------------------------------------------------------------------------------
def _password(from_stdin: bool) -> str:
    from adapters.specs.accounts import PASSWORD_CHARS
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    low, high = PASSWORD_CHARS
    if not low <= len(password) <= high:
        _fail(f"a password holds {low} to {high} characters")
    return password


def _give(db: Optional[str], command: str, document: str, **args: Any) -> dict[str, Any]:
    """Give an account command as the operator, seal it, close the store."""
    from adapters.http.service import open_service_ledger
    from adapters.integrity import seal
    from domain.base import Context
    from domain.calendar import today_in_china
    from domain.errors import LedgerError
    ledger = open_service_ledger(db, None)
    try:
        ctx = Context(f"user:{uuid.uuid4()}", today_in_china(), direct_store_actor(),
                      "administrator", document)
        if "password" in args:
            from adapters.http.credentials import hash_password
            args["password_hash"] = hash_password(args.pop("password"),
                                                  command_id=ctx.command_id, user=args["user"])
        try:
            result = getattr(ledger, command)(ctx, **args)
        except LedgerError as e:
            from adapters.cli import printable_lines     # the remedy on its own line
            from adapters.refusals import refusal_text
            typer.echo(printable_lines(refusal_text(e)), err=True)
            raise typer.Exit(1)
        seal(ledger)
        return result
    finally:
        ledger.close()


def _say(result: dict[str, Any]) -> None:
    from adapters.specs.accounts import SPECS
    spec = next(s for s in SPECS if s.name == result["command"])
    typer.echo(spec.say(result))


DocumentOption = typer.Option("", "--document", help="the notice or form the change rests on")


@user_app.command("add")
def user_add(user: str, agency: str = typer.Option(..., "--agency", help="SX for the province"),
             roles: List[str] = typer.Option(..., "--role", help="repeatable"),
             name: str = typer.Option("", "--name"),
             password_stdin: bool = typer.Option(False, "--password-stdin",
                                                 help="read the password from stdin"),
             document: str = DocumentOption, db: Optional[str] = DbOption) -> None:
    """Add a user of the service (the first administrator, for one)."""
    password = _password(password_stdin)
    _say(_give(db, "add_user", document, user=user, name=name, agency=agency,
               roles=list(roles), password=password))


@user_app.command("grant")
def user_grant(user: str, role: str = typer.Argument(..., help="a role, or `province` to read "
                                                               "the whole province"),
               document: str = DocumentOption, db: Optional[str] = DbOption) -> None:
    """Grant a role (or reading the province) to a user."""
    _role_change(db, "grant", user, role, document)


@user_app.command("revoke")
def user_revoke(user: str, role: str = typer.Argument(..., help="a role, or `province`"),
                document: str = DocumentOption, db: Optional[str] = DbOption) -> None:
    """Revoke a role (or reading the province) from a user."""
    _role_change(db, "revoke", user, role, document)


def _role_change(db: Optional[str], verb: str, user: str, role: str, document: str) -> None:
    if role == "province":
        _say(_give(db, f"{verb}_province_read", document, user=user))
    else:
        _say(_give(db, f"{verb}_role", document, user=user, role=role))


@user_app.command("reset")
def user_reset(user: str, password_stdin: bool = typer.Option(False, "--password-stdin"),
               document: str = DocumentOption, db: Optional[str] = DbOption) -> None:
    """Set a user's password (their sessions end; a lock-out ends too)."""
    password = _password(password_stdin)
    _say(_give(db, "reset_password", document, user=user, password=password))
    from adapters.http.accesslog import AccessLog
    log = AccessLog.beside(database_url(db), None)
    try:
        log.write("unlock", user=user, reason=f"password reset by {direct_store_actor()}")
    finally:
        log.close()


@user_app.command("token")
def user_token(user: str, label: str = typer.Option("", "--label"),
               revoke: Optional[str] = typer.Option(None, "--revoke", metavar="TOKEN_ID"),
               document: str = DocumentOption, db: Optional[str] = DbOption) -> None:
    """Issue an API token (printed once; only its hash is kept), or revoke one."""
    if revoke:
        _say(_give(db, "revoke_token", document, user=user, token_id=revoke))
        return
    from adapters.http.credentials import new_token
    token = new_token(user)
    _say(_give(db, "issue_token", document, user=user, token_id=token.token_id,
               token_hash=token.token_hash, label=label))
    typer.echo(token.text)


@user_app.command("show")
def user_show(user: str, db: Optional[str] = DbOption) -> None:
    """A user's agency, roles and tokens (never a hash)."""
    from adapters.http.service import open_service_ledger
    ledger = open_service_ledger(db, None, create=False)
    try:
        account = ledger.account(user)
    finally:
        ledger.close()
    if account is None:
        typer.echo(f"unknown user {user!r}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(account.state(), ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``user`` to the ``ledger`` app (once)."""
    present = {c.name for c in app.registered_commands} | \
              {g.name for g in app.registered_groups}
    if "serve" not in present:
        app.command("serve")(serve_command)
    if "user" not in present:
        app.add_typer(user_app, name="user")
