"""Several workers on PostgreSQL (issue #15): one of them holds the
service's advisory lock and runs the read-model follower, the daily tick
and the sealing; the tick records what fell due once however many workers
start, and a command given to any worker reaches the read models without
anyone asking for it."""
from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from adapters.commands import execute
from adapters.http.background import lock_key
from adapters.http.service import open_service_ledger
from domain.calendar import today_in_china
from tests.conftest import POSTGRES_URL, _postgres_schema
from tests.test_http_access import register
from tests.test_http_server import ROOT, Server, seed

LIFECYCLE = ROOT / "examples" / "lifecycle.jsonl"


@pytest.fixture
def postgres_schema():
    engine, schema = _postgres_schema()
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _tick_events(schema: str) -> int:
    ledger = open_service_ledger(POSTGRES_URL, schema)
    try:
        today = today_in_china().isoformat()
        return sum(1 for _, e in ledger.read_log()
                   if getattr(getattr(e, "envelope", None), "command_id", "") == f"tick:{today}")
    finally:
        ledger.close()


def _lock_holders(schema: str) -> int:
    key = lock_key(type("S", (), {"schema": schema})())
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            # a bigint advisory key is held as two 32-bit halves
            return conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = :hi AND objid = :lo"),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).scalar()
    finally:
        engine.dispose()


def test_two_workers_tick_once_follow_once_and_take_over_from_each_other(postgres_schema):
    schema = postgres_schema
    tokens = seed(POSTGRES_URL, schema)
    ledger = open_service_ledger(POSTGRES_URL, schema)
    try:   # an agreement whose voluntary suspension runs out with nobody to tick it
        for line in LIFECYCLE.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and '"tick"' not in line:
                execute(ledger, json.loads(line))
    finally:
        ledger.close()
    assert _tick_events(schema) == 0
    server = Server(POSTGRES_URL, schema, workers=2, extra=("--tick",))
    try:
        deadline = time.monotonic() + 30
        while _tick_events(schema) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        ticked = _tick_events(schema)
        assert ticked > 0, "the service ticks to today when it starts"
        assert _lock_holders(schema) == 1, "one worker holds the background lock"
        with server.client(tokens["guo.admin"]) as c:
            position = c.post("/commands/register_institution",
                              json=register("TY-W001", cid="w-1")).json()["log_position"]
            seen = 0
            while seen < position and time.monotonic() < deadline + 30:
                seen = c.get("/ended").json()["log_position"]   # no `after`: the follower's
                time.sleep(0.2)
            assert seen >= position, "the follower brought the read models up to date"
    finally:
        server.stop()
    first = Server(POSTGRES_URL, schema, extra=("--tick",))
    second = Server(POSTGRES_URL, schema, extra=("--tick",))
    try:
        time.sleep(2)
        assert _tick_events(schema) == ticked, "a second start records nothing new"
        assert _lock_holders(schema) == 1
        first.stop()   # the holder goes: the other takes its duties over
        with second.client(tokens["guo.admin"]) as c:
            position = c.post("/commands/register_institution",
                              json=register("TY-W002", cid="w-2")).json()["log_position"]
            deadline = time.monotonic() + 30
            seen = 0
            while seen < position and time.monotonic() < deadline:
                seen = c.get("/ended").json()["log_position"]
                time.sleep(0.2)
        assert seen >= position and _lock_holders(schema) == 1
    finally:
        first.stop()
        second.stop()
