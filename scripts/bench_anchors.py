"""The bench's anchors: what the same machine does, in the same run, with
the library used plainly (issue #14). Ratios to these carry over between
days; this machine's absolute speed does not (it varies threefold).

- ``naive_baseline``: a small eventsourcing Application with its own tiny
  aggregate that loads, changes and saves one aggregate per command (no
  cache, no snapshots: the library's defaults), on the same kind of store;
- ``library_replay``: every notification of the ledger's log read through
  the recorder (``select_notifications``) and mapped to a domain event by
  the application's own mapper;
- ``raw_select_json``: the same rows' JSON by a plain SQL select and
  ``orjson.loads``, nothing else.
"""
from __future__ import annotations

import random
import time
import uuid
from typing import Any

import orjson
import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Tally(Aggregate):
    """The naive baseline's aggregate: a count and the last note."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.note = ""

    @event("Counted")
    def count_up(self, amount: int, note: str) -> None:
        self.count += amount
        self.note = note


class NaiveTallies(Application):
    """Loads, changes and saves one aggregate per command (its own table,
    ``naivetallies_events``, beside the ledger's)."""

    def count(self, tally_id: uuid.UUID, amount: int, note: str) -> None:
        tally: Tally = self.repository.get(tally_id)
        tally.count_up(amount, note)
        self.save(tally)


def naive_baseline(url: str, schema: str | None = None, *, aggregates: int = 200,
                   commands: int = 2000, seed: int = 7) -> dict[str, float]:
    """Commands/s and events/s of load-change-save, one event a command;
    the aggregates (created first, untimed) reach about
    ``commands / aggregates`` events each."""
    env = {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": url,
           "CREATE_TABLE": "y"}
    if schema:
        env["SQLALCHEMY_SCHEMA"] = schema
    app = NaiveTallies(env=env)
    try:
        rng = random.Random(seed)
        ids = []
        for k in range(aggregates):
            tally = Tally(name=f"tally-{k}")
            app.save(tally)
            ids.append(tally.id)
        started = time.perf_counter()
        for k in range(commands):
            app.count(rng.choice(ids), rng.randint(1, 9), f"note {k}")
        seconds = time.perf_counter() - started
    finally:
        app.close()
    return {"commands": commands, "seconds": seconds, "commands_per_second": commands / seconds,
            "events_per_second": commands / seconds}


def library_replay(ledger, limit: int = 10000) -> dict[str, float]:
    """The library's own replay of the whole log: notifications read a page
    at a time and each mapped to its domain event (upcasts included)."""
    select, to_event = ledger.recorder.select_notifications, ledger.mapper.to_domain_event
    started = time.perf_counter()
    events, start = 0, 1
    while True:
        page = select(start=start, limit=limit)
        if not page:
            break
        for notification in page:
            to_event(notification)
        events += len(page)
        start = page[-1].id + 1
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "events_per_second": events / seconds}


def raw_select_json(url: str, schema: str | None = None, table: str = "ledger_events",
                    batch: int = 10000) -> dict[str, float]:
    """Every stored event's ``state`` by one plain select (streamed), each
    decoded by ``orjson``: the floor any replay stands on."""
    engine = sa.create_engine(url)
    name = f'"{schema}".{table}' if schema else table
    try:
        with engine.connect() as conn:
            started = time.perf_counter()
            rows = 0
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(
                sa.text(f"SELECT id, topic, state FROM {name} ORDER BY id"))
            loads = orjson.loads
            for part in result.partitions():
                for _id, _topic, state in part:
                    loads(state)
                rows += len(part)
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def anchors(url: str, schema: str | None, ledger, *, naive_commands: int) -> dict[str, Any]:
    naive = naive_baseline(url, schema, commands=naive_commands)
    replay = library_replay(ledger)
    raw = raw_select_json(url, schema)
    return {"naive": naive, "replay": replay, "raw": raw}
