"""Every store test runs on the embedded SQLite store and on PostgreSQL.

PostgreSQL: ``LEDGER_TEST_POSTGRES_URL`` (default the machine's local server,
database ``test``). Each test gets its own schema, dropped afterwards; a
module whose tests share one store (``module_store``) gets one schema. In CI
(``CI=true``) an unreachable PostgreSQL fails the test; elsewhere it skips.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from adapters.settings import open_ledger
from domain.base import Context

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
STORES = ["sqlite", "postgres"]


def _postgres_schema():
    import sqlalchemy as sa
    schema = "t_" + uuid.uuid4().hex[:12]
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # noqa: BLE001 - any failure to reach the server
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable: {e}")
        pytest.skip(f"PostgreSQL unreachable outside CI: {e}")
    return engine, schema


@contextlib.contextmanager
def fresh_store(kind: str, folder: Path) -> Iterator[tuple[str, str | None]]:
    """A (url, schema) pair for an empty store of ``kind``: a SQLite file in
    ``folder``, or a PostgreSQL schema of its own, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'ledger.sqlite'}", None
        return
    engine, schema = _postgres_schema()
    try:
        yield POSTGRES_URL, schema
    finally:
        import sqlalchemy as sa
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """A (url, schema) pair for a fresh, empty store."""
    with fresh_store(request.param, tmp_path) as pair:
        yield pair


@pytest.fixture(scope="module", params=STORES)
def module_store(request, tmp_path_factory):
    """A (url, schema) pair for one store a whole module's tests share (each
    store once): for tests that each write under codes and ids of their own
    and change nothing another test reads, so that what they set up, a
    server above all, is paid once a module rather than once a test."""
    with fresh_store(request.param, tmp_path_factory.mktemp("store")) as pair:
        yield pair


@pytest.fixture
def ledger(store):
    url, schema = store
    app = open_ledger(url, schema)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def memory_ledger():
    """The ledger on eventsourcing's in-memory store: rule tests prove rules,
    not storage, so they run here, fast and without a database (a module
    opts in with ``from tests.conftest import memory_ledger as ledger``).
    Store, read-model, integrity and CLI tests run on both real stores."""
    from domain.service import Ledger
    return Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


class Clerk:
    """A fake case officer who gives commands with fresh ids and a date."""

    def __init__(self, ledger, user="wang.li", role="case_officer"):
        self.ledger = ledger
        self.user = user
        self.role = role
        self.count = 0

    def ctx(self, on: str | date, document: str = "", command_id: str | None = None):
        self.count += 1
        on = date.fromisoformat(on) if isinstance(on, str) else on
        return Context(command_id or f"cmd-{self.count:05d}", on, self.user, self.role, document)

    def __call__(self, command: str, on: str | date, /, *, _document: str = "",
                 _id: str | None = None, **args):
        return getattr(self.ledger, command)(self.ctx(on, _document, _id), **args)


@pytest.fixture
def clerk(ledger):
    return Clerk(ledger)


# --- every refusal raised in a test is worded as the catalogue has it ---------------------
@pytest.fixture(autouse=True, scope="session")
def _refusals_are_worded_as_catalogued():
    import domain.errors as errors
    from tests.refusal_words import made_as_catalogued, made_unkeyed
    made = errors.LedgerError.__init__
    ground = errors.Ground.__init__

    def checked(self, reason, *, key="", values=None, remedy="", **kwargs):
        if key:
            made_as_catalogued(key, reason, remedy, values)
        else:
            made_unkeyed(reason, remedy)
        made(self, reason, key=key, values=values, remedy=remedy, **kwargs)

    def checked_ground(self, rule, reason, *args, **kwargs):
        if kwargs.get("key"):
            made_as_catalogued(kwargs["key"], reason, "", kwargs.get("values"))
        ground(self, rule, reason, *args, **kwargs)

    errors.LedgerError.__init__ = checked
    errors.Ground.__init__ = checked_ground
    try:
        yield
    finally:
        errors.LedgerError.__init__ = made
        errors.Ground.__init__ = ground


@pytest.fixture(autouse=True)
def _language_chosen_by_one_test_only():
    # `ledger --lang en` sets the process's language (labels.set_lang) and a
    # CliRunner test runs in this process: without this the next test reads
    # English wherever the CLI test happened to be last.
    yield
    from adapters.labels import set_lang
    set_lang(None)
