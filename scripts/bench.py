"""Benchmark on a generated province (issues: audit replay speed, #14).

Generates a province with a seed (scripts/generate_province.py: about a
million events from 1,000 institutions over 10 years), then on each store,
in one run (sections, ``--sections``):

- ``rebuild``: bulk load rate (events/s into the event store); full rebuild
  rate of the SQL read models (events/s; the median of ``--rebuild-runs``
  partitioned rebuilds, with the share of CPU the host stole during each);
  p50/p99 latency of an as-of status query and an as-of fund position query
  (random agreement, random business date; half of them "as known at" a
  random recording instant, whose log position the query looks up); that a
  rebuild equals the live read models and the money identities hold;
- ``anchors``: the same run's naive baseline (an eventsourcing Application
  loading, changing and saving one aggregate per command, on the same kind
  of store), the library's notification-log replay of the province, raw
  SQL select + JSON decode of the same rows (scripts/bench_anchors.py);
- ``run``: ``ledger run`` of a month of claims for every live agreement
  (scripts/month_of_claims.py): commands/s and events/s of its hot path
  (every command and their seal, by the run's own clock, ``--timings``;
  the naive baseline is timed so too, after its set-up) and of the whole
  process (start-up included, as a user waits), each with its ratio to the
  naive baseline; the target applies to the hot path;
- ``tick``: a tick over days with nothing due on a small province (about 10
  live agreements) and on this one, and over a month-end;
- ``subjects``: ``ledger institution``, ``application`` and ``history
  --institution / --agreement / --person`` over random subjects, each
  timeline as its default page of 50 and whole (``--all``): p50/p99 and each
  kind's peak memory in a child process;
- ``startup``: ``ledger --help`` and ``ledger status`` on the demo store
  beside a bare interpreter importing the same libraries (store-independent).

Only ratios compare between runs: this machine's speed varies threefold
from day to day. The final table gives every figure, its target and whether
it is met. Prints its figures; no timed unit test.

    .venv/bin/python scripts/bench.py                       # SQLite and PostgreSQL
    .venv/bin/python scripts/bench.py --stores sqlite --institutions 50 --years 2 \\
        --sections anchors,run,tick                          # sections in a minute
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
from bench_paths import in_child, percentile  # noqa: E402
from bench_report import report  # noqa: E402
from generate_province import generate, load  # noqa: E402

POSTGRES_URL = os.environ.get("LEDGER_BENCH_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SECTIONS = ("rebuild", "anchors", "run", "tick", "subjects", "startup")


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
    single = in_child(_rebuild_once, url, schema)
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


def measure_paths(name: str, url: str, small_url: str | None, args: argparse.Namespace,
                  work: Path, sections: set[str]) -> dict:
    """The sections of issue #14 on one store, in order: anchors (before
    anything changes the province), the month of claims, the clock, the
    per-subject questions."""
    import bench_anchors
    import bench_paths
    out: dict = {}
    for store in (url, small_url):   # untimed: a bulk-loaded province is not sealed yet
        if store is not None:        # (AUD-05); opening the ledger seals what is pending
            open_ledger(store).close()
    if "anchors" in sections:
        ledger = open_ledger(url)
        try:
            out["anchors"] = a = bench_anchors.anchors(url, None, ledger,
                                                       naive_commands=args.naive_commands)
        finally:
            ledger.close()
        print(f"  [{name}] naive baseline {a['naive']['commands_per_second']:,.0f} commands/s "
              f"({a['naive']['commands']:,} commands, one event each); library replay "
              f"{a['replay']['events_per_second']:,.0f} events/s ({a['replay']['events']:,} "
              f"events); raw select + JSON {a['raw']['rows_per_second']:,.0f} rows/s", flush=True)
    if "run" in sections:
        made = bench_paths.month_file(url, work / f"{name}-claims.jsonl", args.seed,
                                      args.run_agreements)
        print(f"  [{name}] {made['month']:%Y-%m} claims of {made['agreements']:,} live agreements: "
              f"{made['commands']:,} commands", flush=True)
        out["run"] = r = bench_paths.run_month(url, made["path"], made["commands"])
        print(f"  [{name}] ledger run, whole process: {r['seconds']:.1f} s, "
              f"{r['commands_per_second']:,.1f} commands/s, {r['events_per_second']:,.0f} "
              f"events/s ({r['events']:,} events, {r['rejected']} rejected"
              f"{': ' + r['first_rejections'][0] if r['rejected'] else ''})", flush=True)
        print(f"  [{name}] ledger run, hot path (its own clock, start-up excluded): commands "
              f"{r['commands_seconds']:.1f} s + their seal {r['seal_seconds']:.2f} s, "
              f"{r['hot_commands_per_second']:,.1f} commands/s, "
              f"{r['hot_events_per_second']:,.0f} events/s; start-up "
              f"{r['seconds'] - r['hot_seconds']:.1f} s", flush=True)
    if "tick" in sections:
        out["tick"] = {}
        for which, store in (("small", small_url), ("province", url)):
            out["tick"][which] = t = bench_paths.tick_costs(store, args.tick_samples)
            print(f"  [{name}] tick, {which} ({t['live']:,} live agreements): nothing due "
                  f"{t['quiet_ms'] or 0:,.1f} ms (median of {t['quiet_samples']}); to "
                  f"{t['month_end']} {t['month_end_ms']:,.1f} ms ({t['month_end_recorded']} "
                  f"recorded), to the 1st {t['month_first_ms']:,.1f} ms "
                  f"({t['month_first_recorded']} recorded)", flush=True)
    if "subjects" in sections:
        print(f"  [{name}] per-subject questions ({args.subjects:,} random subjects a kind, "
              f"at most {args.subject_seconds:.0f} s a kind):", flush=True)
        out["subjects"] = bench_paths.subject_questions(url, args.subjects, args.seed,
                                                        args.subject_seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--institutions", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--start-year", type=int, default=None,
                        help="default: the province ends on 31 March 2026, so that its next "
                             "month's claims lie inside the business window")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--rebuild-runs", type=int, default=3,
                        help="partitioned rebuilds per store; the table shows their median")
    parser.add_argument("--naive-commands", type=int, default=2000)
    parser.add_argument("--run-agreements", type=int, default=None,
                        help="claims of only the first N live agreements (default: every one)")
    parser.add_argument("--tick-institutions", type=int, default=8,
                        help="the small province of the tick comparison (about 10 live "
                             "agreements)")
    parser.add_argument("--tick-samples", type=int, default=7)
    parser.add_argument("--subjects", type=int, default=1000, help="random subjects a kind")
    parser.add_argument("--subject-seconds", type=float, default=120.0,
                        help="stop a kind of question after this long")
    parser.add_argument("--startup-runs", type=int, default=7)
    args = parser.parse_args()
    if args.start_year is None:
        args.start_year = 2026 - args.years
    sections = set(args.sections.split(","))
    if sections - set(SECTIONS):
        parser.error(f"unknown sections {', '.join(sorted(sections - set(SECTIONS)))}; "
                     f"give some of {', '.join(SECTIONS)}")

    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}")
    stores: dict[str, str] = {}
    small: dict[str, str] = {}
    results: dict[str, dict] = {}
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for store in args.stores.split(","):
            stores[store] = _store(stack, store, work, "bench")
            if "tick" in sections:
                small[store] = _store(stack, store, work, "small")
        # The province is generated and loaded by a child process: its
        # objects (about 1.5 GiB even when let go, the allocator keeping its
        # arenas) would otherwise sit in the process the rebuilds fork their
        # workers from, and every worker's allocation into a shared page
        # copies it (PostgreSQL's rebuild ran about a tenth slower so). A
        # `ledger rebuild` is a small process of its own.
        events, loads = in_child(_generate_and_load, args, stores, small)
        for store in stores:
            results[store] = {"events": events, "load": loads[store]}
        for store, url in stores.items():
            if "rebuild" in sections:
                results[store].update(measure_store(store, url, None, args.queries, args.seed,
                                                    args.rebuild_runs))
            results[store].update(measure_paths(store, url, small.get(store), args, work,
                                                sections))
        startup = None
        if "startup" in sections:
            import bench_paths
            startup = bench_paths.startup(args.startup_runs)
            print(f"start-up (demo store, median of {args.startup_runs}): bare imports "
                  f"{startup['bare_ms']:,.0f} ms, ledger --help {startup['help_ms']:,.0f} ms "
                  f"({startup['help_ratio']:.2f}x), ledger status {startup['query_ms']:,.0f} ms "
                  f"({startup['query_ratio']:.2f}x)", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the measuring process: {peak:,.0f} MiB\n")
    print(report(results, startup))


def _store(stack: contextlib.ExitStack, kind: str, work: Path, name: str) -> str:
    """A fresh store's URL: an SQLite file, or a PostgreSQL database of its
    own (a database, not a schema: the ``ledger`` CLI the bench runs takes a
    URL), dropped at the end."""
    if kind == "sqlite":
        return f"sqlite:///{work}/{name}.sqlite"
    if kind != "postgres":
        raise SystemExit(f"unknown store {kind!r}: give sqlite and/or postgres")
    database = f"{name}_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    stack.callback(_drop_database, server, database)
    return sa.engine.make_url(POSTGRES_URL).set(database=database).render_as_string(
        hide_password=False)


def _drop_database(server: sa.Engine, database: str) -> None:
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    server.dispose()


def _rebuild_once(url: str, schema: str | None) -> dict:
    ledger = open_ledger(url, schema)
    try:
        return rebuild(ledger, batch_size=20000, workers=1)
    finally:
        ledger.close()


def _generate_and_load(args: argparse.Namespace, stores: dict[str, str],
                       small: dict[str, str]) -> tuple[int, dict[str, float]]:
    t = time.perf_counter()
    batches = list(generate(args.seed, institutions=args.institutions, years=args.years,
                            start_year=args.start_year))
    events = sum(len(b) for b in batches)
    print(f"generated {events:,} events (seed {args.seed}, {args.institutions} institutions, "
          f"{args.years} years from {args.start_year}) in {time.perf_counter() - t:.1f} s",
          flush=True)
    loads = {store: load_store(store, url, None, batches)["events_per_second"]
             for store, url in stores.items()}
    if small:
        few = list(generate(args.seed, institutions=args.tick_institutions, years=args.years,
                            start_year=args.start_year))
        for url in small.values():
            ledger = open_ledger(url)
            try:
                load(ledger, few)
            finally:
                ledger.close()
        print(f"  the tick's small province: {sum(len(b) for b in few):,} events "
              f"({args.tick_institutions} institutions)", flush=True)
    print(f"  peak memory generating and loading: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB", flush=True)
    return events, loads


if __name__ == "__main__":
    main()
