"""The clock's due table (issue #14, adapters/due_table.py): the store keeps,
in the same write as the registry's events, what falls due when for each
listed agreement; a tick asks it which agreements to visit. A day with
nothing due then reads the same rows and the same aggregates at 10 and at
1,000 live agreements (SUS-02: the clock still finds day 181 when it comes),
the table always answers what the registry's own index answers, and a table
that fell behind the log is not trusted and is put back by the next tick."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from adapters.settings import open_ledger
from domain.base import Envelope
from domain.registry import Registry
from tests.builders import effective_agreement, tick
from tests.conftest import Clerk

OPENED = date(2025, 1, 2)
FAR = date(2030, 1, 1)          # when something next falls due for every listed agreement
NUMBERS = ["XY-2025-001", "XY-2025-002", "XY-2025-003"]


def _listed(store, count):
    """A store whose registry lists ``count`` live agreements, nothing due
    for any before FAR (only the registry is written: a quiet tick must not
    need the agreements themselves)."""
    ledger = open_ledger(*store)
    try:
        env = Envelope(user="wang.li", role="case_officer", command_id="setup")
        registry = Registry.open(OPENED, env)
        numbers = [f"XY-2025-{k:04d}" for k in range(count)]
        for number in numbers:
            registry.list_agreement(number, OPENED, env)
        registry.note_due({n: FAR for n in numbers}, ledger.calendar_and_version()[1],
                          OPENED, env)
        ledger.save(registry)
    finally:
        ledger.close()


def _quiet_tick_reads(store, day):
    """In a freshly opened ledger, a tick to ``day``: what it recorded, the
    aggregates it loaded, and the rows its queries of the store returned."""
    ledger = open_ledger(*store)
    try:
        loaded, rows = [], []
        get, read = ledger.repository.get, ledger.recorder._read

        def counting_get(aggregate_id, **kwargs):
            loaded.append(aggregate_id)
            return get(aggregate_id, **kwargs)

        def counting_read(engine, queries):
            found = read(engine, queries)
            rows.extend(found)
            return found

        ledger.repository.get = counting_get
        ledger.recorder._read = counting_read
        recorded = tick(Clerk(ledger), day)["recorded"]
        return recorded, loaded, len(rows)
    finally:
        ledger.close()


def test_sus02_a_quiet_tick_reads_the_same_at_10_and_at_1000_live_agreements(store, tmp_path):
    url, schema = store
    other = (f"sqlite:///{tmp_path / 'thousand.sqlite'}", None) if url.startswith("sqlite") \
        else store
    if other == store:      # PostgreSQL: the second province in a schema of its own
        other = (url, _schema_beside(url, schema))
    _listed(store, 10)
    _listed(other, 1000)
    day = FAR - timedelta(days=1)
    few = _quiet_tick_reads(store, day)
    many = _quiet_tick_reads(other, day)
    assert few[0] == many[0] == []
    assert Registry.ID not in few[1] and Registry.ID not in many[1]
    assert few[1:] == many[1:]        # the same aggregates asked for, the same rows read
    assert many[2] <= 3               # the table's version, the log's, and no agreement


def test_sus02_the_quiet_ticks_query_reads_index_ranges_not_the_whole_table(tmp_path):
    """What a tick asks the due table is three index ranges (a day on or
    before the tick's, a calendar version other than the current one): a
    whole-table scan (the one OR it was) reads every agreement ever listed,
    the ended ones too. SQLite's own plan; PostgreSQL chooses by its costs."""
    from adapters import due_table
    store = (f"sqlite:///{tmp_path / 'thousand.sqlite'}", None)
    _listed(store, 1000)
    ledger = open_ledger(*store)
    try:
        sql = due_table.Sql(ledger.recorder.datastore.engine, *ledger.recorder.due_tables,
                            ledger.recorder.events_record_cls.__table__)
        statement, params = due_table.due_by_queries(sql, Registry.ID, "2029-12-31", 1)[1]
        with ledger.recorder.datastore.engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                             tuple(params))]
    finally:
        ledger.close()
    ranges = [p for p in plan if p.startswith("SEARCH")]
    assert len(ranges) == 3 and not any(p.startswith("SCAN ledger_due") for p in plan), plan


def _schema_beside(url, schema):
    name = f"{schema}_b"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    _drop_later.append((url, name))
    return name


_drop_later: list[tuple[str, str]] = []


def teardown_function():
    while _drop_later:
        url, name = _drop_later.pop()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def _life(clerk):
    """Agreements signed, one suspended voluntarily, one ended by the clock at
    day 181, a calendar year loaded (every noted day worked out again)."""
    for k, number in enumerate(NUMBERS, 1):
        effective_agreement(clerk, code=f"TY-H00{k}", number=number)
    for number in NUMBERS[:2]:
        clerk("suspend_agreement", "2025-03-01", agreement=number, kind="voluntary",
              ground="", start=date(2025, 3, 1), requested_on=date(2025, 3, 1),
              planned_days=None, months=None, notice_no=f"申请-{number}")
    clerk("apply_for_resumption", "2025-04-01", agreement=NUMBERS[0],
          applied_on=date(2025, 4, 1))
    tick(clerk, "2025-09-30")
    clerk.role = "administrator"
    clerk("load_calendar_year", "2025-10-01",
          arrangement={"year": 2026, "holidays": ["2026-01-01"], "workdays": []})


def _table(ledger):
    due, _ = ledger.recorder.due_tables
    engine = ledger.recorder.datastore.engine
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(due.c.number, due.c.visit_on, due.c.calendar_version, due.c.ended)
            .order_by(due.c.listed))]


def _index(ledger):
    registry = ledger.repository.get(Registry.ID)
    return [(n, v, c, e) for n, _, v, c, e in registry.due_rows()]


def test_sus02_the_due_table_answers_what_the_registry_index_answers(ledger):
    clerk = Clerk(ledger)
    _life(clerk)
    assert _table(ledger) == _index(ledger)
    registry = ledger.repository.get(Registry.ID)
    assert NUMBERS[1] in registry.ended        # ended by the clock (SUS-02), in both
    version = ledger.calendar_and_version()[1]
    for day in [date(2025, 10, 1) + timedelta(days=d) for d in range(0, 900, 30)]:
        by_registry = [n for n in registry.live if registry.needs_visit(n, day, version)]
        assert ledger.recorder.due_by(Registry.ID, day.isoformat(), version) == by_registry
    # under the calendar before the year was loaded every live agreement is visited
    assert ledger.recorder.due_by(Registry.ID, "2025-10-02", version - 1) == registry.live


def test_sus02_a_table_behind_the_log_is_not_trusted_and_the_next_tick_puts_it_back(
        ledger, monkeypatch):
    """A writer that does not keep the table (a service from before it):
    the registry moves on without it. The tick then reads the registry,
    records what is due as it would have, and makes the table current."""
    import domain.service.core as core
    clerk = Clerk(ledger)
    effective_agreement(clerk, code="TY-H001", number=NUMBERS[0])
    monkeypatch.setattr(core, "due_changes", lambda events: None)
    effective_agreement(clerk, code="TY-H002", number=NUMBERS[1])
    clerk("suspend_agreement", "2025-03-01", agreement=NUMBERS[1], kind="voluntary",
          ground="", start=date(2025, 3, 1), requested_on=date(2025, 3, 1),
          planned_days=None, months=None, notice_no="申请-2")
    monkeypatch.undo()
    version = ledger.calendar_and_version()[1]
    assert ledger.recorder.due_by(Registry.ID, "2025-09-30", version) is None
    recorded = tick(clerk, "2025-09-30")["recorded"]
    assert [(r["agreement"], r["event"]) for r in recorded] == [(NUMBERS[1], "Ended")]
    assert _table(ledger) == _index(ledger)
    assert ledger.recorder.due_by(Registry.ID, "2025-09-30", version) == []
