"""Persistence settings: one setting picks the store.

``LEDGER_DATABASE_URL`` is a SQLAlchemy URL. Unset, the ledger keeps its
events in ``ledger.sqlite`` in the working directory (embedded, no set-up);
``postgresql+psycopg2://postgres@127.0.0.1:5432/test`` selects PostgreSQL.
Both go through eventsourcing-sqlalchemy (eventsourcing's own PostgreSQL
module needs psycopg 3; the design card's driver is psycopg2).
"""
from __future__ import annotations

import os
from pathlib import Path

from domain.service import Ledger

DEFAULT_URL = "sqlite:///ledger.sqlite"
URL_SETTING = "LEDGER_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get(URL_SETTING) or DEFAULT_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def ledger_env(url: str | None = None, schema: str | None = None) -> dict[str, str]:
    env = {
        # eventsourcing-sqlalchemy with a bulk insert of each batch (adapters/persistence.py)
        "PERSISTENCE_MODULE": "adapters.persistence:LedgerFactory",
        # eventsourcing's JSON, byte for byte, through orjson (adapters/transcoder.py)
        "TRANSCODER_TOPIC": "adapters.transcoder:LedgerTranscoder",
        "SQLALCHEMY_URL": database_url(url),
        "CREATE_TABLE": "y",
    }
    if schema:
        env["SQLALCHEMY_SCHEMA"] = schema
    return env


def open_ledger(url: str | None = None, schema: str | None = None) -> Ledger:
    resolved = database_url(url)
    if resolved.startswith("sqlite:///"):
        path = Path(resolved[len("sqlite:///"):])
        if path.parent and str(path.parent) not in ("", "."):
            path.parent.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(env=ledger_env(resolved, schema))
    # The hash-chain table and the append-only triggers (AUD-05): created if
    # missing, put back if someone dropped them; cheap once they exist.
    from adapters.integrity import init_store
    init_store(ledger)
    return ledger
