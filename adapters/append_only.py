"""Append-only triggers on the events and chain tables (AUD-01, AUD-05):
UPDATE and DELETE refused on both stores, TRUNCATE too on PostgreSQL
(docs/integrity.md, "The append-only store"). Given an engine and the
tables; ``adapters.integrity.install_append_only`` finds them for a ledger."""
from __future__ import annotations

import sqlalchemy as sa

REFUSAL = "agreement ledger: the event store is append-only (AUD-01, AUD-05)"


def _trigger_names(table: str) -> dict[str, str]:
    return {"update": f"{table}_no_update", "delete": f"{table}_no_delete",
            "update_delete": f"{table}_no_update_delete", "truncate": f"{table}_no_truncate"}


def qualified(engine: sa.engine.Engine, table: sa.Table) -> str:
    quote = engine.dialect.identifier_preparer.quote
    return (f"{quote(table.schema)}." if table.schema else "") + quote(table.name)


def install_sqlite(engine: sa.engine.Engine, tables: list[sa.Table]) -> list[str]:
    wanted = {}
    for t in tables:
        names = _trigger_names(t.name)
        for op in ("update", "delete"):
            wanted[names[op]] = (t.name, op.upper())
    with engine.connect() as conn:
        present = {r[0] for r in conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    missing = [n for n in wanted if n not in present]
    if not missing:
        return []
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for name in missing:
            table, op = wanted[name]
            message = f"{REFUSAL}: {op} on {table} refused".replace("'", "''")
            conn.execute(sa.text(
                f"CREATE TRIGGER IF NOT EXISTS {quote(name)} BEFORE {op} ON {quote(table)} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"))
    return missing


def install_postgres(engine: sa.engine.Engine, tables: list[sa.Table]) -> list[str]:
    schema = tables[0].schema
    quote = engine.dialect.identifier_preparer.quote
    function = (f"{quote(schema)}." if schema else "") + "ledger_refuse_change"
    query = sa.text(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = COALESCE(:schema, current_schema()) AND c.relname = :table "
        "AND NOT t.tgisinternal")

    def missing(conn) -> list[tuple[sa.Table, str, str]]:
        out = []
        for t in tables:
            present = {r[0] for r in conn.execute(query, {"schema": schema, "table": t.name})}
            names = _trigger_names(t.name)
            for op in ("update_delete", "truncate"):
                if names[op] not in present:
                    out.append((t, op, names[op]))
        return out

    with engine.connect() as conn:
        if not missing(conn):
            return []
    installed = []
    with engine.begin() as conn:
        # Serialise concurrent start-ups; re-check under the lock.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7326051)"))
        todo = missing(conn)
        if not todo:
            return []
        conn.execute(sa.text(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $f$\n"
            "BEGIN\n"
            f"  RAISE EXCEPTION '{REFUSAL}: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, "
            "TG_TABLE_NAME\n"
            "    USING HINT = 'events are never changed: record a correcting event instead';\n"
            "END\n$f$"))
        for table, op, name in todo:
            target = qualified(engine, table)
            if op == "truncate":
                when = "BEFORE TRUNCATE ON " + target + " FOR EACH STATEMENT"
            else:
                when = "BEFORE UPDATE OR DELETE ON " + target + " FOR EACH ROW"
            conn.execute(sa.text(f"CREATE TRIGGER {quote(name)} {when} "
                                 f"EXECUTE FUNCTION {function}()"))
            installed.append(name)
    return installed
