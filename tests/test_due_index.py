"""The clock's index (issue #14): the registry keeps, per live agreement, the
first day something can fall due for it (``agreement_clock.next_due_on``),
noted in the same write as the agreement; a tick loads only the agreements
with something due by its date, and records exactly what a tick visiting
every agreement records (SUS-02, AGR-02)."""
from __future__ import annotations

from datetime import date, timedelta

from adapters.settings import open_ledger
from domain.agreement import Agreement
from domain.agreement_clock import next_due_on
from domain.registry import Registry
from tests.builders import effective_agreement, tick
from tests.conftest import Clerk

NUMBERS = ["XY-2025-001", "XY-2025-002", "XY-2025-003"]


def agreements(clerk):
    for k, number in enumerate(NUMBERS, 1):
        effective_agreement(clerk, code=f"TY-H00{k}", number=number)


def loads(ledger):
    """The agreements the ledger loads from now on, by id."""
    seen = []
    get = ledger.repository.get
    ids = {Agreement.id_for(n): n for n in NUMBERS}

    def counting(aggregate_id, **kwargs):
        if aggregate_id in ids:
            seen.append(ids[aggregate_id])
        return get(aggregate_id, **kwargs)

    ledger.repository.get = counting
    return seen


def voluntary(clerk, number, on="2025-03-01"):
    clerk("suspend_agreement", on, agreement=number, kind="voluntary", ground="",
          start=date.fromisoformat(on), requested_on=date.fromisoformat(on),
          planned_days=None, months=None, notice_no=f"申请-{number}")


def test_sus02_a_tick_loads_only_the_agreement_with_something_due(memory_ledger):
    clerk = Clerk(memory_ledger)
    agreements(clerk)
    voluntary(clerk, NUMBERS[1])
    registry = memory_ledger.repository.get(Registry.ID)
    cal, version = memory_ledger.calendar_and_version()
    for number in NUMBERS:   # noted with each write of the agreement
        ag = memory_ledger.agreement(number)
        assert registry.due_on[number] == [next_due_on(ag, cal).isoformat(), version]
    day_181 = date.fromisoformat(registry.due_on[NUMBERS[1]][0])
    seen = loads(memory_ledger)
    assert tick(clerk, day_181 - timedelta(days=1))["recorded"] == []
    assert seen == []        # nothing due: no agreement loaded
    result = tick(clerk, day_181)
    assert [(r["agreement"], r["event"], r["ground"]) for r in result["recorded"]][:1] == \
        [(NUMBERS[1], "Ended", "AUTO-SUS-180")]
    assert seen == [NUMBERS[1]]
    after = memory_ledger.repository.get(Registry.ID)
    assert NUMBERS[1] not in after.live and NUMBERS[1] not in after.due_on


def test_sus02_a_resumption_applied_moves_the_noted_day_on(memory_ledger):
    clerk = Clerk(memory_ledger)
    agreements(clerk)
    voluntary(clerk, NUMBERS[0])
    suspended = memory_ledger.repository.get(Registry.ID).due_on[NUMBERS[0]][0]
    clerk("apply_for_resumption", "2025-04-01", agreement=NUMBERS[0],
          applied_on=date(2025, 4, 1))
    noted = memory_ledger.repository.get(Registry.ID).due_on[NUMBERS[0]][0]
    assert noted > suspended          # now the expiry: day 181 no longer ends it
    assert tick(clerk, date.fromisoformat(suspended))["recorded"] == []


def test_cal01_a_year_loaded_makes_the_next_tick_visit_every_agreement_again(memory_ledger):
    clerk = Clerk(memory_ledger, role="administrator")
    agreements(clerk)
    clerk("load_calendar_year", "2025-02-01",
          arrangement={"year": 2026, "holidays": ["2026-01-01"], "workdays": []})
    seen = loads(memory_ledger)
    tick(clerk, "2025-02-02")
    assert sorted(seen) == NUMBERS    # noted with the old calendar: worked out again
    seen.clear()
    tick(clerk, "2025-02-03")
    assert seen == []


def test_a_store_written_before_the_index_is_ticked_as_before_and_warms_itself(
        store, monkeypatch):
    """A registry with no noted days (every store written before this): the
    first tick visits every live agreement as the old tick did and notes
    them; the next visits none. Both record what a full visit records."""
    url, schema = store
    monkeypatch.setattr(Registry, "note_due", lambda *args, **kwargs: False)  # the old service
    ledger = open_ledger(url, schema)
    clerk = Clerk(ledger)
    agreements(clerk)
    voluntary(clerk, NUMBERS[2])
    ledger.close()
    monkeypatch.undo()

    ledger = open_ledger(url, schema)
    try:
        clerk = Clerk(ledger)
        assert ledger.repository.get(Registry.ID).due_on == {}
        seen = loads(ledger)
        assert tick(clerk, "2025-03-02")["recorded"] == []
        assert seen == NUMBERS
        noted = ledger.repository.get(Registry.ID).due_on
        assert sorted(noted) == NUMBERS
        seen.clear()
        day_181 = date.fromisoformat(noted[NUMBERS[2]][0])
        assert tick(clerk, day_181 - timedelta(days=1))["recorded"] == []
        assert seen == []
        ended = tick(clerk, day_181)["recorded"]
        assert ended[0]["agreement"] == NUMBERS[2] and ended[0]["event"] == "Ended"
        assert seen == [NUMBERS[2]]
    finally:
        ledger.close()
