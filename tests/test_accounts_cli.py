"""``ledger user``: accounts given on a direct store connection, the
operator's path that makes the first administrator (issue #15). The
commands themselves run on both stores through tests/test_http_*.py; here
the command line on an SQLite file."""
from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from adapters.cli_service import direct_store_actor, register
from adapters.http.service import open_service_ledger

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ledger_app():
    app = typer.Typer()

    @app.command()
    def version() -> None:   # a second command, so typer keeps subcommand names
        typer.echo("ledger")
    register(app)
    return app


def run(app, store, *args, stdin: str | None = None):
    return CliRunner().invoke(app, [*args, "--db", store[0]], input=stdin)


@pytest.fixture
def sqlite_store(tmp_path):
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}", None


def test_aud04_the_first_administrator_is_added_by_the_operating_system_user(ledger_app,
                                                                              sqlite_store):
    added = run(ledger_app, sqlite_store, "user", "add", "guo.hui", "--agency", "SX",
                "--role", "administrator", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "已添加用户 guo.hui，所属经办机构 SX，角色：管理员" in added.output
    assert PASSWORD not in added.output
    ledger = open_service_ledger(sqlite_store[0], None)
    try:
        events = [e for _, e in ledger.read_log()]
        account = ledger.account("guo.hui")
    finally:
        ledger.close()
    assert events[-1].envelope.user == direct_store_actor()
    assert direct_store_actor().startswith("os:")
    assert account.password_hash.startswith("$argon2id$")
    shown = run(ledger_app, sqlite_store, "user", "show", "guo.hui")
    assert json.loads(shown.output)["roles"] == ["administrator"]
    assert "argon2" not in shown.output


def test_user_grant_revoke_token_and_reset_on_the_operators_path(ledger_app, sqlite_store):
    run(ledger_app, sqlite_store, "user", "add", "wu.audit", "--agency", "TY", "--role",
        "auditor", "--password-stdin", stdin=PASSWORD + "\n")
    assert run(ledger_app, sqlite_store, "user", "grant", "wu.audit", "province").exit_code == 0
    assert run(ledger_app, sqlite_store, "user", "grant", "wu.audit",
               "investigator").exit_code == 0
    token = run(ledger_app, sqlite_store, "user", "token", "wu.audit", "--label", "batch")
    assert token.exit_code == 0 and token.output.strip().splitlines()[-1].startswith("lt1.")
    state = json.loads(run(ledger_app, sqlite_store, "user", "show", "wu.audit").output)
    assert state["reads_province"] and state["roles"] == ["auditor", "investigator"]
    token_id = state["tokens"][0]["token_id"]
    assert run(ledger_app, sqlite_store, "user", "token", "wu.audit", "--revoke",
               token_id).exit_code == 0
    again = run(ledger_app, sqlite_store, "user", "token", "wu.audit", "--revoke", token_id)
    assert again.exit_code == 1 and "没有有效的令牌" in again.output
    assert "\\u000a" not in again.output       # the remedy on a line of its own
    short = run(ledger_app, sqlite_store, "user", "reset", "wu.audit", "--password-stdin",
                stdin="short\n")
    assert short.exit_code == 2 and "12 to 256" in short.output
    reset = run(ledger_app, sqlite_store, "user", "reset", "wu.audit", "--password-stdin",
                stdin=PASSWORD + "!\n")
    assert reset.exit_code == 0, reset.output
    unknown = run(ledger_app, sqlite_store, "user", "grant", "nobody", "finance")
    assert unknown.exit_code == 1 and "未知的用户 'nobody'" in unknown.output
