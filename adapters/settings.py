"""Persistence settings: one setting picks the store.

``LEDGER_DATABASE_URL`` (or ``--db``) is a SQLAlchemy URL or the path of an
SQLite file. Unset, the ledger keeps its
events in ``ledger.sqlite`` in the working directory (embedded, no set-up);
``postgresql+psycopg2://postgres@127.0.0.1:5432/test`` selects PostgreSQL.
Both go through eventsourcing-sqlalchemy (eventsourcing's own PostgreSQL
module needs psycopg 3; the design card's driver is psycopg2).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:   # imported when a store is opened: naming the store needs no domain
    from domain.service import Ledger

DEFAULT_URL = "sqlite:///ledger.sqlite"
# the application whose log and tracking the read models follow (the
# events table is its name's, as eventsourcing-sqlalchemy names it)
APPLICATION = "Ledger"
URL_SETTING = "LEDGER_DATABASE_URL"


class StoreUnavailable(Exception):
    """The store named by ``--db`` or the setting cannot be used: one line
    saying which store (never its password) and why; the CLI exits 2."""


def database_url(explicit: str | None = None) -> str:
    """The SQLAlchemy URL of the store: ``--db`` or the setting, which may
    also be a plain file path (an SQLite store)."""
    url = explicit or os.environ.get(URL_SETTING) or DEFAULT_URL
    if "://" not in url:   # a file path names an SQLite store
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def shown(url: str) -> str:
    """A URL as it may be printed: the password masked."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its userinfo
        return url.split("@")[-1] if "@" in url else url


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


def _sqlite_path(url: sa.engine.URL, *, create: bool) -> None:
    """An SQLite store is a file: made (with its folder) only by a command
    that records, never by a question."""
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return
    path = Path(name)
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a folder, not a ledger store "
                               "(give the store's file, e.g. --db ledger.sqlite)")
    if path.exists():
        return
    if not create:
        raise StoreUnavailable(f"no ledger store at {path.resolve()} (looked for that file; "
                               f"give --db PATH or a URL, or set {URL_SETTING}; "
                               "`ledger run` creates a store)")
    if str(path.parent) not in ("", "."):
        path.parent.mkdir(parents=True, exist_ok=True)


def open_ledger(url: str | None = None, schema: str | None = None, *,
                create: bool = True, read_models_only: bool = False
                ) -> "Ledger | ReadModelsAtHead":
    """The ledger on its store. ``create=False`` (every question) refuses a
    store that does not exist yet instead of making an empty one.

    ``read_models_only`` (a question the read-model tables answer alone):
    when they have applied every event of the log, their view
    (``ReadModelsAtHead``) without the ledger: no aggregate, mapper or
    domain loaded, no store set-up (the triggers, the chain table and the
    seal are a command's to keep; a question writes nothing). Otherwise,
    or when the store cannot say, the ledger, for the caller to catch the
    read models up."""
    resolved = _usable(url, create=create)
    if read_models_only:
        at_head = _read_models_at_head(resolved, schema)
        if at_head is not None:
            return at_head
    from domain.service import Ledger
    try:
        ledger = Ledger(env=ledger_env(resolved, schema))
        # The hash-chain table and the append-only triggers (AUD-05): created if
        # missing, put back if someone dropped them; cheap once they exist.
        from adapters.integrity import init_store
        init_store(ledger)
    except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError) as e:
        raise StoreUnavailable(f"cannot open the store {shown(resolved)}: "
                               f"{_first_line(e)}") from None
    except ModuleNotFoundError as e:
        raise StoreUnavailable(f"cannot open the store {shown(resolved)}: no driver "
                               f"({e.name})") from None
    return ledger


def _usable(url: str | None, *, create: bool) -> str:
    """The store's URL, refused (``StoreUnavailable``) when it names no
    store the ledger can keep."""
    resolved = database_url(url)
    try:
        parsed = sa.engine.make_url(resolved)
    except sa.exc.ArgumentError:
        raise StoreUnavailable(f"{shown(resolved)} is neither a database URL nor a file "
                               "path") from None
    if parsed.get_backend_name() == "sqlite":
        _sqlite_path(parsed, create=create)
    elif parsed.get_backend_name() != "postgresql":
        raise StoreUnavailable(f"{shown(resolved)}: the ledger keeps its events in SQLite "
                               "or PostgreSQL")
    return resolved


class ReadModelsAtHead:
    """A question's store whose read models have applied every event: their
    view (``adapters.readmodels.view_for`` hands it back), nothing else."""

    def __init__(self, view: Any) -> None:
        self._read_model_view = view

    def close(self) -> None:
        self._read_model_view.engine.dispose()


def _read_models_at_head(url: str, schema: str | None) -> ReadModelsAtHead | None:
    """The read models' view when their tracked position is the log's last
    notification and no rebuild is under way; None when behind, being
    rebuilt, not made yet, or the store cannot be read so (the ledger's
    own opening then says why)."""
    # the tables on a bare engine: no datastore, recorder or ORM imported
    # for a question that only reads them (start-up, issue #14)
    from adapters.readmodels.tables import ReadModelTables, _rebuild_state
    engine = None
    try:
        engine = sa.create_engine(url)
        view = ReadModelTables(engine, schema_name=schema)
        events = sa.table(f"{APPLICATION.lower()}_events", sa.column("id"), schema=schema)
        tracking = sa.table(view.tracking_table_name, sa.column("application_name"),
                            sa.column("notification_id"), schema=schema)
        with view.engine.connect() as conn:
            head = conn.execute(sa.select(sa.func.max(events.c.id))).scalar()
            tracked = conn.execute(sa.select(sa.func.max(tracking.c.notification_id)).where(
                tracking.c.application_name == APPLICATION)).scalar()
            present = set(sa.inspect(conn).get_table_names(schema=schema))
        made = {t.name for t in view.metadata.tables.values()} | {view.rebuild_table.name}
        # every table this code's views have (a newer one is made by the ledger's path)
        if head is not None and tracked == head and made <= present \
                and _rebuild_state(view) != "in_progress":
            return ReadModelsAtHead(view)
    except (sa.exc.SQLAlchemyError, sqlite3.Error, OSError, ModuleNotFoundError):
        pass
    if engine is not None:
        engine.dispose()
    return None


def _first_line(error: BaseException) -> str:
    """The driver's own words, first line, without SQLAlchemy's wrapping."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip().splitlines()
    return text[0] if text else type(inner).__name__
