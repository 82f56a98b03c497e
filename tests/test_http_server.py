"""The ledger as an HTTP service, tested over real HTTP: a server process
(``ledger serve``, uvicorn on 127.0.0.1 and a free port) on each store,
SQLite and PostgreSQL: one a module for tests that share it (``served``),
one a test for a test that changes accounts (``fresh_served``).

This module holds the harness the other tests/test_http_*.py import (the
server, its users and a seeded store) and the tests of serving itself.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from adapters.commands import execute
from adapters.http.credentials import hash_password, new_token
from adapters.http.service import open_service_ledger
from domain.base import Context

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "admission.jsonl"
PASSWORD = "correct horse battery staple"
# `ledger serve` and `ledger user` alone (adapters/cli.py registers them too)
LEDGER = ("import typer; from adapters.cli_service import register; "
          "app = typer.Typer(); register(app); app()")
# Any answer says a server is serving (uvicorn listens only once the app's
# startup is done). The tests wait for a route there is not, which costs
# nothing, rather than for /openapi.json, which costs half a second of CPU
# to build in each server, most of which are never asked for it.
NO_ROUTE = "/no-such-route"
USERS = {   # user: (agency, roles)
    "guo.admin": ("SX", ["administrator"]),
    "ty.officer": ("TY", ["case_officer"]),
    "dt.officer": ("DT", ["case_officer"]),
    "ty.evaluator": ("TY", ["evaluator"]),
    "ty.auditor": ("TY", ["auditor"]),
    "ty.finance": ("TY", ["finance"]),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_lines(path: Path = EXAMPLES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def without_actor(line: dict) -> dict:
    return {k: v for k, v in line.items() if k != "actor"}


def seed(url: str, schema: str | None) -> dict[str, str]:
    """The admission example (TY's institutions), one DT institution, and
    the users; returns each user's API token."""
    ledger = open_service_ledger(url, schema)
    tokens = {}
    try:
        lines = command_lines()
        for line in lines:
            execute(ledger, line, advance_clock=True)
        dt = next(x for x in lines if x["command"] == "register_institution")
        dt = {**dt, "id": "dt-adm-001", "fields": {**dt["fields"], "code": "DT-H001",
                                                   "agency": "DT"}}
        execute(ledger, dt)
        today = date.today()
        for n, (user, (agency, roles)) in enumerate(USERS.items()):
            ctx = Context(f"seed-user-{n}", today, "os:test", "administrator")
            ledger.add_user(ctx, user=user, name=user, agency=agency, roles=roles,
                            password_hash=hash_password(PASSWORD, command_id=ctx.command_id,
                                                        user=user))
            token = new_token(user)
            ledger.issue_token(Context(f"seed-token-{n}", today, "os:test", "administrator"),
                               user=user, token_id=token.token_id, token_hash=token.token_hash,
                               label="test")
            tokens[user] = token.text
    finally:
        ledger.close()
    return tokens


class Server:
    """``ledger serve`` in a process of its own."""

    def __init__(self, url: str, schema: str | None, workers: int = 1, port: int | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        self.url, self.schema = url, schema
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-c", LEDGER, "serve", "--db", url, "--port", str(self.port),
                "--no-tick", "--workers", str(workers), *extra]
        if schema:
            args += ["--schema", schema]
        env = {**os.environ, "LEDGER_SESSION_SECRET": "test-secret-" + str(self.port)}
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server stopped: " + self.process.stdout.read())
            try:
                if httpx.get(self.base + NO_ROUTE, timeout=2).status_code == 404:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start within 60 s")

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read() if self.process.stdout else ""


def events_in(url: str, schema: str | None) -> int:
    ledger = open_service_ledger(url, schema)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


@contextlib.contextmanager
def serving(url: str, schema: str | None, **options) -> Iterator[tuple[Server, dict[str, str]]]:
    """(server, tokens by user) over the store, seeded."""
    tokens = seed(url, schema)
    server = Server(url, schema, **options)
    try:
        yield server, tokens
    finally:
        server.stop()


@pytest.fixture(scope="module")
def served(module_store):
    """(server, tokens by user) over a seeded store, SQLite and PostgreSQL,
    one server a module: a test on it writes under institution codes and
    command ids no other test of its module uses, and changes no account,
    token or lock-out (those take ``fresh_served``)."""
    with serving(*module_store) as pair:
        yield pair


@pytest.fixture
def fresh_served(store):
    """(server, tokens by user) over a seeded store of the test's own: for a
    test that changes the seeded users' accounts, tokens or lock-outs."""
    with serving(*store) as pair:
        yield pair


# --- serving ----------------------------------------------------------------------------------
@pytest.mark.store
def test_the_openapi_document_lists_a_route_for_every_command_spec(served):
    from adapters.http.commands import ALL_SPECS
    server, _ = served
    document = httpx.get(server.base + "/openapi.json").json()
    for name in ALL_SPECS:
        assert f"/commands/{name}" in document["paths"], name
    for path in ("/status", "/deadlines", "/positions", "/ended", "/bars", "/history",
                 "/institutions/{code}", "/applications/{number}", "/reconcile", "/batch",
                 "/verification", "/casefile/{kind}/{key}", "/login"):
        assert path in document["paths"], path
    schema = document["components"]["schemas"]["RegisterInstitutionCommand"]
    assert "actor" not in schema["properties"], "the server decides the actor"


@pytest.mark.store
def test_every_answer_carries_the_security_headers_and_no_server_banner(served):
    server, tokens = served
    with server.client(tokens["guo.admin"]) as c:
        for response in (c.get("/me"), c.get("/nowhere"), httpx.get(server.base + "/me")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert "default-src 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store"
            assert "server" not in response.headers
            assert response.headers["content-type"].startswith("application/json")


def test_serve_refuses_a_store_it_cannot_use_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-c", LEDGER, "serve", "--db",
                           str(tmp_path), "--no-tick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "folder" in done.stderr
