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
