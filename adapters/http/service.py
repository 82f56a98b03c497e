"""What one worker of the service holds: the ledger on its store, the access
log, the session secret, and the wait for the read models (read your
writes).

Configured by the environment, so that every worker uvicorn starts reads the
same settings ``ledger serve`` was given (adapters/cli_service.py):

=============================  ================================================
``LEDGER_DATABASE_URL``        the store (adapters/settings.py)
``LEDGER_SERVICE_SCHEMA``      a PostgreSQL schema for the store (tests)
``LEDGER_SESSION_SECRET``      the key of session cookies (``ledger serve`` makes one)
``LEDGER_SERVICE_TICK``        ``1``: the daily tick runs in the service
``LEDGER_SIGNING_KEY``         an Ed25519 key (PEM) to sign case files with
``LEDGER_ACCESS_LOG_URL``      the access log's database (default: the store's)
=============================  ================================================
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from adapters.http.accesslog import AccessLog
from adapters.http.errors import Refusal
from adapters.settings import database_url, ledger_env, open_ledger
from domain.service import Ledger
from domain.service.accounts import AccountCommands

SCHEMA_SETTING = "LEDGER_SERVICE_SCHEMA"
SECRET_SETTING = "LEDGER_SESSION_SECRET"
TICK_SETTING = "LEDGER_SERVICE_TICK"
KEY_SETTING = "LEDGER_SIGNING_KEY"
WAIT_SECONDS = 10.0       # how long a question waits for its turn to catch the read models up


def read_models_lock_key(schema: str | None) -> int:
    text = f"ledger-read-models:{schema or 'public'}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def service_ledger_class() -> type:
    """The ledger with its account commands. Once ``domain/service`` composes
    AccountCommands into ``Ledger`` this is ``Ledger`` itself."""
    if issubclass(Ledger, AccountCommands):
        return Ledger
    return type("Ledger", (Ledger, AccountCommands), {"__module__": Ledger.__module__})


def open_service_ledger(url: str | None, schema: str | None, *, create: bool = True) -> Any:
    """The ledger on its store, as open_ledger opens it (checks, tables,
    append-only triggers), with the account commands."""
    cls = service_ledger_class()
    ledger = open_ledger(url, schema, create=create)
    if isinstance(ledger, cls):
        return ledger
    ledger.close()
    return cls(env=ledger_env(database_url(url), schema))


class Service:
    def __init__(self, url: str | None = None, schema: str | None = None) -> None:
        self.url = database_url(url)
        self.schema = schema if schema is not None else os.environ.get(SCHEMA_SETTING) or None
        self.sqlite = self.url.startswith("sqlite")
        self.ledger = open_service_ledger(self.url, self.schema)
        self.access = AccessLog.beside(self.url, self.schema)
        secret = os.environ.get(SECRET_SETTING)
        # a worker started alone gets a secret of its own: its sessions end with it
        self.secret = secret.encode() if secret else secrets.token_bytes(32)
        self.tick = os.environ.get(TICK_SETTING, "0") == "1"
        self.signing_key_path = os.environ.get(KEY_SETTING) or None
        # SQLite takes one writer at a time: a worker's threads take turns
        # (the service runs as one worker on SQLite); PostgreSQL serialises
        # what must be serialised itself (command ids, aggregate versions)
        self._turn = threading.Lock() if self.sqlite else None
        self._view = None
        self._lock_engine: Any = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        if self._turn is None:
            yield
            return
        with self._turn:
            yield

    @property
    def view(self) -> Any:
        if self._view is None:
            from adapters.readmodels import view_for
            self._view = view_for(self.ledger)
        return self._view

    def log_position(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    @contextlib.contextmanager
    def read_models_turn(self) -> Iterator[None]:
        """One catch-up of the read models at a time, across every worker
        (a PostgreSQL advisory lock; on SQLite the worker's write turn): two
        applying the same events at once would collide on the log's keys."""
        if self.sqlite:
            with self.writing():
                yield
            return
        import sqlalchemy as sa
        if self._lock_engine is None:
            self._lock_engine = sa.create_engine(self.url, pool_size=2, max_overflow=8)
        key = {"k": read_models_lock_key(self.schema)}
        deadline = time.monotonic() + WAIT_SECONDS
        with self._lock_engine.connect() as conn:
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), key).scalar():
                conn.commit()
                if time.monotonic() > deadline:
                    raise self._not_caught_up("the read models are being brought up to date")
                time.sleep(0.02)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), key)
                conn.commit()

    def catch_up(self) -> int:
        """Apply what the read models lack; their position after."""
        from adapters.readmodels import APP, catch_up
        with self.read_models_turn():
            catch_up(self.ledger)
        return self.view.max_tracking_id(APP) or 0

    def read_models_at(self, after: int) -> int:
        """The read models' position, once it has reached ``after`` (the
        client's last write). On SQLite every question catches up; on
        PostgreSQL the background keeps them up to date and a question that
        finds them short of ``after`` catches up itself, within WAIT_SECONDS."""
        from adapters.readmodels import APP
        if self.sqlite:
            return self.catch_up()
        position = self.view.max_tracking_id(APP) or 0
        return position if position >= after else self.catch_up()

    def _not_caught_up(self, why: str) -> Refusal:
        return Refusal(503, "NotCaughtUp", f"{why}; no answer within {WAIT_SECONDS:.0f} s",
                       "ask again in a moment", headers={"Retry-After": "1"})

    def signing_key(self) -> Any:
        if not self.signing_key_path:
            raise Refusal(503, "NoSigningKey", "this service signs no case files",
                          f"start `ledger serve` with --signing-key PEM (or {KEY_SETTING})")
        from adapters.integrity import load_private_key
        return load_private_key(Path(self.signing_key_path))

    def close(self) -> None:
        if self._lock_engine is not None:
            self._lock_engine.dispose()
        self.access.close()
        self.ledger.close()
