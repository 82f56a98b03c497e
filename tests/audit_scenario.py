"""Shared scenes for the audit tests (AUD-04, AUD-05): sister institutions
behind one legal representative, tampering helpers that act as a DBA would."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.builders import ALL_MATERIALS, effective_agreement, register, tick
from tests.conftest import POSTGRES_URL

ZHANG = {"person_id": "P-ZHANG", "name": "张伟", "role": "legal_representative"}
AG = "XY-2025-001"


def sisters(clerk):
    """张伟 is legal representative of TY-H001 (an agreement in force, then a
    disciplinary suspension) and investor in TY-H002 (an application with
    missing materials and the one-time notice); TY-H003 is unrelated."""
    effective_agreement(clerk, "TY-H001", AG, people=[ZHANG])
    clerk("register_institution", "2025-01-06", _document="F1-TY-H002", code="TY-H002",
          name="太原康宁医院", kind="medical", subtype=None, agency="TY",
          facts=_facts(), people=[{**ZHANG, "role": "investor"}])
    clerk("submit_application", "2025-01-06", _document="F1-TY-H002", number="SQ-H002",
          institution="TY-H002", materials=ALL_MATERIALS[:3])
    clerk("send_materials_notice", "2025-01-08", application="SQ-H002", notice_no="补正-2025-01",
          missing=ALL_MATERIALS[3:], supply_by=date(2025, 1, 20))
    register(clerk, "TY-H003", on="2025-01-06")
    clerk("suspend_agreement", "2025-03-03", agreement=AG, kind="disciplinary",
          ground="MA42-1", start=None, requested_on=None, planned_days=None, months=3,
          notice_no="暂停-2025-07")
    tick(clerk, "2025-03-10")


def _facts():
    from tests.builders import facts
    return facts(licence_no="PDY00002-14")


# --- acting as a DBA on the database itself -------------------------------------------------
def is_postgres(store) -> bool:
    return store[0].startswith("postgresql")


def table(store, name: str) -> str:
    schema = store[1]
    return f'"{schema}".{name}' if schema else name


def dba_engine(store, ledger):
    """SQLite: whoever can write the file (the ledger's own engine).
    PostgreSQL: a separate connection as the superuser ``postgres``."""
    if is_postgres(store):
        return sa.create_engine(POSTGRES_URL)
    return ledger.recorder.datastore.engine


def drop_guards(conn, store, name: str = "ledger_events") -> None:
    """Remove our own append-only triggers, as a DBA with DDL rights could."""
    if is_postgres(store):
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}_no_update_delete "
                             f"ON {table(store, name)}"))
    else:
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}_no_update"))
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}_no_delete"))


def dba(store, ledger, *statements, params=None, name: str = "ledger_events"):
    """Run statements with the append-only triggers dropped first."""
    engine = dba_engine(store, ledger)
    try:
        with engine.begin() as conn:
            drop_guards(conn, store, name)
            for sql in statements:
                conn.execute(sa.text(sql), params or {})
    finally:
        if engine is not ledger.recorder.datastore.engine:
            engine.dispose()


def flip_one_byte(store, ledger, nid: int) -> tuple[bytes, bytes]:
    """Change one byte of event ``nid``'s stored state (the recording user's
    name: wang.li -> wang.lj) directly in the database."""
    engine = ledger.recorder.datastore.engine
    with engine.connect() as conn:
        state = bytes(conn.execute(sa.text(f"SELECT state FROM {table(store, 'ledger_events')} "
                                           "WHERE id = :id"), {"id": nid}).scalar_one())
    at = state.find(b"wang.li")
    at = at + 6 if at >= 0 else len(state) // 2
    changed = state[:at] + bytes([state[at] ^ 0x03]) + state[at + 1:]
    dba(store, ledger, f"UPDATE {table(store, 'ledger_events')} SET state = :s WHERE id = :id",
        params={"s": changed, "id": nid})
    return state, changed
