"""Events already stored replay to the same state with today's code (AUD-02,
issue #13): the log written before the event bodies stopped deciding
(tests/data/replay_v1.sqlite.gz, tests/replay_fixture.py) is put into a
fresh store as stored bytes, and every aggregate, every agreement folded "as
of" a business date, and every read-model row after a rebuild are what the
code of the day gave."""
from __future__ import annotations

import json

import pytest

from adapters.readmodels import rebuild, view_for
from tests import replay_fixture as rf


@pytest.fixture(scope="module")
def fixture():
    return rf.read()


def _loaded(ledger, fixture, log):
    rf.load_stored(ledger, fixture[log]["events"])
    return fixture[log]


def _differences(expected, actual, limit=5):
    keys = sorted(set(expected) | set(actual))
    out = [k for k in keys if expected.get(k) != actual.get(k)]
    return [f"{k}: expected {json.dumps(expected.get(k), ensure_ascii=False)[:600]}\n"
            f"   got {json.dumps(actual.get(k), ensure_ascii=False)[:600]}" for k in out[:limit]]


@pytest.mark.parametrize("log", ["scenario", "province"])
def test_aud02_every_stored_aggregate_replays_to_the_state_it_had(ledger, fixture, log):
    recorded = _loaded(ledger, fixture, log)
    states = rf.replayed_states(ledger)
    assert len(states) == len(recorded["states"])
    assert states == recorded["states"], "\n".join(_differences(recorded["states"], states))


def test_aud02_stored_agreements_fold_as_of_each_day_as_they_did(ledger, fixture):
    recorded = _loaded(ledger, fixture, "scenario")
    folded = rf.folded_agreements(ledger)
    for day in rf.AS_OF:
        assert folded[day] == recorded["folded"][day], \
            f"as of {day}:\n" + "\n".join(_differences(recorded["folded"][day], folded[day]))


@pytest.mark.parametrize("log", ["scenario", "province"])
def test_aud02_a_rebuild_of_the_stored_log_gives_the_same_read_models(ledger, fixture, log):
    recorded = _loaded(ledger, fixture, log)
    rebuild(ledger, workers=1)
    rows = rf.snapshot_rows(view_for(ledger))
    for table, expected in recorded["snapshot"].items():
        assert rows[table] == expected, f"{table}: " + "\n".join(
            sorted(set(expected) ^ set(rows[table]))[:6])


def _changed_classes():
    """Every event class whose class_version moved past 1."""
    from domain import agreement, application, claim
    for aggregate in (agreement.Agreement, application.Application, claim.Claim):
        for value in vars(aggregate).values():
            if isinstance(value, type) and getattr(value, "class_version", 1) > 1:
                yield value


def test_aud02_the_stored_log_holds_v1_events_of_every_class_that_changed(fixture):
    """Each upcast is exercised by the replays above: the log written before
    the change holds events of every changed class, stored without a version."""
    from eventsourcing.utils import get_topic
    changed = {get_topic(cls): cls for cls in _changed_classes()}
    assert len(changed) >= 12
    seen = {}
    for log in fixture.values():
        for _, _, topic, state in log["events"]:
            if topic in changed:
                seen[topic] = seen.get(topic, 0) + 1
                assert b'"class_version"' not in state
    assert sorted(changed) == sorted(seen), sorted(set(changed) - set(seen))


def test_aud02_an_event_recorded_now_is_stored_as_version_2_and_replays(clerk, ledger):
    """AGR-06 on a real store: the late report's ChangeRecorded is stored with
    its class_version and no obligation of its own, the obligation follows it
    as its own event, and the replayed agreement holds exactly one."""
    from datetime import date

    from tests.builders import effective_agreement
    effective_agreement(clerk)
    clerk("record_change", "2025-04-10", agreement="XY-2025-001", change="address",
          approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 25), details="迁址")
    stored = [n for n in ledger.recorder.select_notifications(1, 10000)
              if n.topic.endswith("Agreement.ChangeRecorded")]
    assert len(stored) == 1 and b'"class_version":2' in bytes(stored[0].state).replace(b" ", b"")
    names = [type(e).__qualname__ for _, e in ledger.read_log()]
    assert names[names.index("Agreement.ChangeRecorded") + 1] == "Agreement.ObligationRaised"
    assert [o["rule"] for o in ledger.agreement("XY-2025-001").obligations] == ["AGR-06"]
