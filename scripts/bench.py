"""Benchmark on a generated province (issue: audit replay speed).

Generates a province with a seed (scripts/generate_province.py: about a
million events from 1,000 institutions over 10 years), then on each store:

- bulk load rate (events/s into the event store),
- full rebuild rate of the SQL read models (events/s; the median of
  ``--rebuild-runs`` partitioned rebuilds, with the share of CPU the host
  stole during each),
- p50/p99 latency of an as-of status query and an as-of fund position query
  (random agreement, random business date; half of them "as known at" a
  random recording instant, whose log position the query looks up),
- that a rebuild equals the live read models and the money identities hold.

Targets on a 2-core machine: load >= 20,000 events/s, rebuild >= 100,000
events/s, as-of queries p99 <= 20 ms. Prints its figures; no timed unit test.

    .venv/bin/python scripts/bench.py                       # SQLite and PostgreSQL
    .venv/bin/python scripts/bench.py --stores sqlite --institutions 100 --years 3
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import sqlalchemy as sa  # noqa: E402

from adapters.readmodels import (catch_up, log_position,  # noqa: E402
                                 money_identities_at_every_point, positions_as_of, rebuild, status_as_of, verify, view_for)
from adapters.settings import open_ledger  # noqa: E402
from generate_province import generate, load  # noqa: E402

POSTGRES_URL = os.environ.get("LEDGER_BENCH_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def cpu_ticks() -> tuple[int, int]:
    """(busy, stolen) clock ticks of the whole machine so far (/proc/stat):
    a virtual machine's host can take CPU from it, which slows a run
    without showing in the process's own figures."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal, steal


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, stolen = after[0] - before[0], after[1] - before[1]
    return 100.0 * stolen / busy if busy else 0.0


def queries(ledger, n: int, rng: random.Random) -> dict[str, float]:
    view = view_for(ledger)
    with view.engine.connect() as conn:
        agreements = [r[0] for r in conn.execute(
            sa.select(view.t["status"].c.agreement).distinct())]
        pairs = [tuple(r) for r in conn.execute(
            sa.select(view.t["postings"].c.agreement, view.t["postings"].c.year).distinct())]
        first_day, last_day = conn.execute(
            sa.select(sa.func.min(view.t["log"].c.effective_on),
                      sa.func.max(view.t["log"].c.effective_on))).one()
        first_at, last_at = (datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=timezone.utc) for x in conn.execute(   # (reads the whole log, untimed)
            sa.select(sa.func.min(view.t["log"].c.recorded_at),
                      sa.func.max(view.t["log"].c.recorded_at))).one())
    span = (last_day - first_day).days

    def a_day() -> date:
        return first_day + timedelta(days=rng.randrange(span + 1))

    def known_at() -> datetime | None:
        """Half the questions "as known at" a random recording instant (its
        log position looked up as part of the query, as the CLI does), half
        as known now."""
        return first_at + (last_at - first_at) * rng.random() if rng.random() < 0.5 else None

    status_ms, fund_ms = [], []
    for _ in range(n):
        agreement = rng.choice(agreements)
        at = known_at()
        t = time.perf_counter()
        status_as_of(view, a_day(), log_position(view, at), agreement=agreement)
        status_ms.append((time.perf_counter() - t) * 1000)
        agreement, year = rng.choice(pairs)
        at = known_at()
        t = time.perf_counter()
        positions_as_of(view, a_day(), log_position(view, at), agreement=agreement, year=year)
        fund_ms.append((time.perf_counter() - t) * 1000)
    return {"status_p50_ms": statistics.median(status_ms),
            "status_p99_ms": percentile(status_ms, 99),
            "fund_p50_ms": statistics.median(fund_ms), "fund_p99_ms": percentile(fund_ms, 99)}


def load_store(name: str, url: str, schema: str | None, batches: list) -> dict[str, float]:
    ledger = open_ledger(url, schema)
    try:
        loaded = load(ledger, batches)
        print(f"  [{name}] loaded {loaded['events']:,} events in {loaded['seconds']:.1f} s: "
              f"{loaded['events_per_second']:,.0f} events/s", flush=True)
        return loaded
    finally:
        ledger.close()


def measure_store(name: str, url: str, schema: str | None, n_queries: int, seed: int,
                  rebuild_runs: int) -> dict[str, float]:
    # in a child, as the generation: the single process's read models (its
    # aggregates, claims and rows) must not stay in the process the
    # partitioned rebuilds fork from
    single = _in_child(_rebuild_once, url, schema)
    ledger = open_ledger(url, schema)
    try:
        print(f"  [{name}] rebuilt read models in one process in {single['seconds']:.1f} s: "
              f"{single['events_per_second']:,.0f} events/s", flush=True)
        rates = []
        for run in range(rebuild_runs):
            ticks = cpu_ticks()
            rebuilt = rebuild(ledger, batch_size=20000)
            rates.append(rebuilt["events_per_second"])
            print(f"  [{name}] rebuilt read models in {rebuilt['partitions']} processes in "
                  f"{rebuilt['seconds']:.1f} s: {rebuilt['events_per_second']:,.0f} events/s "
                  f"(run {run + 1} of {rebuild_runs}; CPU stolen by the host: "
                  f"{steal_share(ticks, cpu_ticks()):.0f}%)", flush=True)
        q = queries(ledger, n_queries, random.Random(seed))
        print(f"  [{name}] as-of status query p50 {q['status_p50_ms']:.2f} ms, "
              f"p99 {q['status_p99_ms']:.2f} ms; as-of fund position query p50 "
              f"{q['fund_p50_ms']:.2f} ms, p99 {q['fund_p99_ms']:.2f} ms", flush=True)
        t = time.perf_counter()
        broken = money_identities_at_every_point(view_for(ledger))
        print(f"  [{name}] AUD-06 identities at every point: "
              f"{'hold' if not broken else f'{len(broken)} broken'} "
              f"({time.perf_counter() - t:.1f} s)", flush=True)
        assert catch_up(ledger) == 0
        t = time.perf_counter()
        proof = verify(ledger)
        print(f"  [{name}] rebuild equals live: {proof['rebuild_equals_live']} "
              f"({time.perf_counter() - t:.1f} s; rows {proof['rows']})", flush=True)
        return {"rebuild": statistics.median(rates), "rebuild_range": (min(rates), max(rates)),
                "rebuild_single": single["events_per_second"],
                **q, "equal": proof["rebuild_equals_live"]}
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--institutions", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--rebuild-runs", type=int, default=3,
                        help="partitioned rebuilds per store; the table shows their median")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    stores = {}
    results: dict[str, dict] = {}
    with contextlib.ExitStack() as stack:
        for store in args.stores.split(","):
            if store == "sqlite":
                tmp = stack.enter_context(tempfile.TemporaryDirectory())
                stores[store] = (f"sqlite:///{tmp}/bench.sqlite", None)
            elif store == "postgres":
                schema = "bench_" + uuid.uuid4().hex[:8]
                engine = sa.create_engine(POSTGRES_URL)
                with engine.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                stack.callback(_drop_schema, engine, schema)
                stores[store] = (POSTGRES_URL, schema)
        # The province is generated and loaded by a child process: its
        # objects (about 1.5 GiB even when let go, the allocator keeping its
        # arenas) would otherwise sit in the process the rebuilds fork their
        # workers from, and every worker's allocation into a shared page
        # copies it (PostgreSQL's rebuild ran about a tenth slower so). A
        # `ledger rebuild` is a small process of its own.
        events, loads = _in_child(_generate_and_load, args, stores)
        for store in stores:
            results[store] = {"events": events, "load": loads[store]}
        for store, (url, schema) in stores.items():
            results[store].update(measure_store(store, url, schema, args.queries, args.seed,
                                                args.rebuild_runs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the measuring process: {peak:,.0f} MiB")
    print(f"{'store':10} {'events':>10} {'load ev/s':>12} {'rebuild ev/s':>14} "
          f"{'(range)':>17} {'(1 process)':>12} {'status p99 ms':>14} {'fund p99 ms':>12} "
          f"{'rebuild=live':>13}")
    for store, r in results.items():
        low, high = r["rebuild_range"]
        print(f"{store:10} {r['events']:>10,} {r['load']:>12,.0f} {r['rebuild']:>14,.0f} "
              f"{f'{low:,.0f}-{high:,.0f}':>17} {r['rebuild_single']:>12,.0f} "
              f"{r['status_p99_ms']:>14.2f} {r['fund_p99_ms']:>12.2f} {str(r['equal']):>13}")
    print("targets:   load >= 20,000  rebuild >= 100,000  as-of p99 <= 20 ms")


def _rebuild_once(url: str, schema: str | None) -> dict:
    ledger = open_ledger(url, schema)
    try:
        return rebuild(ledger, batch_size=20000, workers=1)
    finally:
        ledger.close()


def _generate_and_load(args: argparse.Namespace,
                       stores: dict[str, tuple[str, str | None]]) -> tuple[int, dict[str, float]]:
    t = time.perf_counter()
    batches = list(generate(args.seed, institutions=args.institutions, years=args.years))
    events = sum(len(b) for b in batches)
    print(f"generated {events:,} events (seed {args.seed}, {args.institutions} institutions, "
          f"{args.years} years) in {time.perf_counter() - t:.1f} s", flush=True)
    loads = {store: load_store(store, url, schema, batches)["events_per_second"]
             for store, (url, schema) in stores.items()}
    print(f"  peak memory generating and loading: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB", flush=True)
    return events, loads


def _in_child(work, *args):
    """``work(*args)`` in a forked process; its result."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()

    def run() -> None:
        try:
            results.put((True, work(*args)))
        except BaseException:   # noqa: BLE001 - told to the parent, which stops
            import traceback
            results.put((False, traceback.format_exc()))
    child = ctx.Process(target=run)
    child.start()
    ok, result = results.get()
    child.join()
    if not ok:
        raise SystemExit(f"generating and loading the province failed:\n{result}")
    return result


def _drop_schema(engine: sa.Engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


if __name__ == "__main__":
    main()
