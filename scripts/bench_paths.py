"""The bench's measures of what users do every day (issue #14), each through
a public entry point so the bench follows the code as it changes:

- ``run_month``: ``ledger run`` (a subprocess, as a user runs it) of a month
  of claims for every live agreement (scripts/month_of_claims.py);
- ``tick_costs``: ``Ledger.tick`` over days with nothing due and over a
  month-end, each in a freshly opened ledger as a cron ``ledger tick`` is;
- ``subject_questions``: ``ledger institution``, ``application`` and
  ``history --institution / --agreement / --person`` (its default page, and
  whole with ``--all``) through the CLI app in process (typer's runner),
  over random subjects, each kind in a forked child that reports its peak
  memory;
- ``startup``: wall time of ``ledger --help`` and of one query beside a bare
  interpreter importing the same libraries.
"""
from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
LEDGER = Path(sys.executable).parent / "ledger"
BARE_IMPORTS = "import typer, rich, sqlalchemy, eventsourcing, pydantic"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def max_notification(url: str, table: str = "ledger_events") -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar_one() or 0
    finally:
        engine.dispose()


# --- ledger run of a month of claims ------------------------------------------------------
def month_file(url: str, out: Path, seed: int, limit: int | None = None) -> dict[str, Any]:
    """Write the month of claims of the store's live agreements (untimed)."""
    from adapters.settings import open_ledger
    from month_of_claims import (latest_business_date, live_claimants, month_of_claims,
                                 next_month, write_commands)
    ledger = open_ledger(url, create=False)
    try:
        month = next_month(latest_business_date(ledger))
        claimants = live_claimants(ledger, month)
    finally:
        ledger.close()
    if limit is not None:
        claimants = claimants[:limit]
    commands = month_of_claims(claimants, month, seed)
    write_commands(commands, out, f"{month:%Y-%m} claims of {len(claimants)} agreements")
    return {"month": month, "agreements": len(claimants), "commands": len(commands),
            "path": out}


def run_month(url: str, path: Path, commands: int) -> dict[str, Any]:
    """``ledger run --keep-going --timings`` of the file, two figures:

    - the whole process's wall time (start-up: imports, opening the store,
      sealing what was pending; every command; the seal), as a user waits;
    - the hot path, the run's own clock (``--timings``): every command and
      the seal of what they recorded, from the opened store on. The naive
      baseline is timed so too, after its set-up (scripts/bench_anchors.py).
    """
    before = max_notification(url)
    started = time.perf_counter()
    done = subprocess.run([str(LEDGER), "run", str(path), "--keep-going", "--timings",
                           "--db", url], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    out = done.stdout.splitlines()
    rejected = [line for line in out if "被拒绝" in line or "REJECTED" in line]
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"ledger run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    timings = orjson.loads(done.stderr.strip().splitlines()[-1])
    if timings["lines"] != commands:
        raise SystemExit(f"ledger run answered {timings['lines']} of {commands} lines")
    hot = timings["commands_seconds"] + timings["seal_seconds"]
    events = max_notification(url) - before
    return {"commands": commands, "rejected": len(rejected), "first_rejections": rejected[:3],
            "events": events, "seconds": seconds, "commands_per_second": commands / seconds,
            "events_per_second": events / seconds,
            "hot_seconds": hot, "commands_seconds": timings["commands_seconds"],
            "seal_seconds": timings["seal_seconds"], "hot_commands_per_second": commands / hot,
            "hot_events_per_second": events / hot}


# --- the clock ----------------------------------------------------------------------------
def _tick(url: str, day: date) -> tuple[float, int]:
    """One tick to ``day`` in a freshly opened ledger: (ms, consequences)."""
    from adapters.settings import open_ledger
    from domain.base import Context
    ledger = open_ledger(url, create=False)
    try:
        started = time.perf_counter()
        result = ledger.tick(Context(f"tick:{day.isoformat()}", day, "ledger-clock", "system"),
                             to=day)
        ms = (time.perf_counter() - started) * 1000
    finally:
        ledger.close()
    return ms, len(result["recorded"])


def live_agreements(url: str) -> int:
    from adapters.settings import open_ledger
    from domain.registry import Registry
    ledger = open_ledger(url, create=False)
    try:
        return len(ledger.repository.get(Registry.ID).live)
    finally:
        ledger.close()


def tick_costs(url: str, samples: int = 7) -> dict[str, Any]:
    """Ticks on consecutive days after the store's latest business date (the
    first, untimed, records whatever had fallen due), then over the next
    month-end: the median ms of the days with nothing due, and the ms of the
    ticks to the month's last day and to the next month's first."""
    from adapters.settings import open_ledger
    from month_of_claims import latest_business_date, next_month
    ledger = open_ledger(url, create=False)
    try:
        clock = latest_business_date(ledger)
    finally:
        ledger.close()
    day = clock + timedelta(days=1)
    _tick(url, day)
    quiet, busy = [], 0
    for _ in range(samples):
        day += timedelta(days=1)
        ms, recorded = _tick(url, day)
        if recorded:
            busy += 1
        else:
            quiet.append(ms)
    month_end = next_month(day) - timedelta(days=1)
    if month_end > day:
        _tick(url, month_end - timedelta(days=1))
    end_ms, end_recorded = _tick(url, month_end)
    first_ms, first_recorded = _tick(url, month_end + timedelta(days=1))
    return {"live": live_agreements(url), "quiet_ms": statistics.median(quiet) if quiet else None,
            "quiet_samples": len(quiet), "busy_days": busy,
            "month_end": month_end, "month_end_ms": end_ms, "month_end_recorded": end_recorded,
            "month_first_ms": first_ms, "month_first_recorded": first_recorded}


# --- the per-subject questions --------------------------------------------------------------
INSTITUTION = ("domain.institution:Institution.Registered", "code")
AGREEMENT = ("domain.agreement:Agreement.Signed", "number")
PERSON = ("domain.person:Person.Registered", "person_id")
# kind: (the events naming its subjects, the field, the CLI arguments). A
# timeline is asked as users ask it, a page (``history``'s default: 50 rows,
# adapters/paging.py), and whole (``--all``, what an export writes)
KINDS = {
    "institution": (*INSTITUTION, lambda s: ["institution", s, "--json"]),
    "application": ("domain.application:Application.Submitted", "number",
                    lambda s: ["application", s, "--json"]),
    "institution timeline": (*INSTITUTION, lambda s: ["history", "--institution", s, "--json"]),
    "agreement timeline": (*AGREEMENT, lambda s: ["history", "--agreement", s, "--json"]),
    "person timeline": (*PERSON, lambda s: ["history", "--person", s, "--json"]),
    "institution timeline, whole": (*INSTITUTION, lambda s: ["history", "--institution", s,
                                                             "--all", "--json"]),
    "agreement timeline, whole": (*AGREEMENT, lambda s: ["history", "--agreement", s, "--all",
                                                         "--json"]),
    "person timeline, whole": (*PERSON, lambda s: ["history", "--person", s, "--all", "--json"]),
}


def subjects(url: str, kind: str) -> list[str]:
    """Every subject of a kind, from the events that create them (untimed)."""
    topic, field, _ = KINDS[kind]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT state FROM ledger_events WHERE topic = :t"),
                                {"t": topic})
            return sorted({orjson.loads(state)[field] for (state,) in rows})
    finally:
        engine.dispose()


def _ask(url: str, kind: str, chosen: list[str], budget: float) -> dict[str, Any]:
    """In the child: each question through the CLI app, until done or out of time."""
    from typer.testing import CliRunner

    from adapters.cli import app
    runner, argv = CliRunner(), KINDS[kind][2]
    if chosen:   # untimed: the imports a subcommand makes when it first runs (see startup)
        runner.invoke(app, [*argv(chosen[0]), "--db", url])
    # the collector as a ledger process sets it once started (`ledger` in
    # main(), the service in its lifespan): adapters/collector.py
    from adapters.collector import settle
    settle()
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ms: list[float] = []
    cpu: list[float] = []   # the question's own CPU: what a loaded machine's wall time hides
    failed = 0
    deadline = time.perf_counter() + budget
    for subject in chosen:
        started, used = time.perf_counter(), time.process_time()
        result = runner.invoke(app, [*argv(subject), "--db", url])
        ms.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        if result.exit_code != 0:
            failed += 1
        if time.perf_counter() > deadline:
            break
    return {"asked": len(ms), "failed": failed, "ms": ms, "cpu_ms": cpu,
            "rss_at_fork_mb": rss_start,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def subject_questions(url: str, n: int, seed: int, budget: float) -> dict[str, Any]:
    """p50/p99 of each kind of question over ``n`` random subjects (or as
    many as ``budget`` seconds allow), each kind in a child forked from a
    small server process, so that its peak memory is the questions' own."""
    rng = random.Random(seed)
    out = {}
    for kind in KINDS:
        pool = subjects(url, kind)
        chosen = [rng.choice(pool) for _ in range(n)] if pool else []
        r = in_child(_ask, url, kind, chosen, budget, start="forkserver")
        ms, cpu = r.pop("ms"), r.pop("cpu_ms")
        r.update(p50_ms=statistics.median(ms) if ms else None,
                 p99_ms=percentile(ms, 99) if ms else None, max_ms=max(ms) if ms else None,
                 cpu_p50_ms=statistics.median(cpu) if cpu else None,
                 cpu_p99_ms=percentile(cpu, 99) if cpu else None)
        out[kind] = r
        print(f"    {kind}: {r['asked']} asked ({r['failed']} refused) p50 "
              f"{r['p50_ms'] or 0:,.1f} ms, p99 {r['p99_ms'] or 0:,.1f} ms (CPU p50 "
              f"{r['cpu_p50_ms'] or 0:,.1f}, p99 {r['cpu_p99_ms'] or 0:,.1f} ms), peak "
              f"{r['peak_mb']:,.0f} MB (the child held {r['rss_at_fork_mb']:,.0f} MB when "
              f"forked)", flush=True)
    return out


# --- start-up ------------------------------------------------------------------------------
def _wall(argv: list[str], runs: int) -> float:
    times = []
    for k in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-2000:]}")
        if k:   # the first run only warms the file cache
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def startup(runs: int = 7) -> dict[str, Any]:
    """Median wall ms of a bare interpreter importing the CLI's libraries,
    of ``ledger --help`` and of ``ledger status --on`` on the demo store."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = f"sqlite:///{tmp}/demo.sqlite"
        made = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", demo],
                              capture_output=True, cwd=ROOT)
        if made.returncode != 0:
            raise SystemExit(f"the demo store failed:\n{made.stderr.decode()[-2000:]}")
        bare = _wall([sys.executable, "-c", BARE_IMPORTS], runs)
        help_ = _wall([str(LEDGER), "--help"], runs)
        query = _wall([str(LEDGER), "status", "--on", "2025-12-31", "--db", demo], runs)
    return {"bare_ms": bare, "help_ms": help_, "query_ms": query,
            "help_ratio": help_ / bare, "query_ratio": query / bare}


# --- forked children -----------------------------------------------------------------------
def _child_entry(results: Any, work: Callable[..., Any], args: tuple) -> None:
    try:
        results.put((True, work(*args)))
    except BaseException:   # noqa: BLE001 - told to the parent, which stops
        import traceback
        results.put((False, traceback.format_exc()))


def in_child(work: Callable[..., Any], *args: Any, start: str = "fork") -> Any:
    """``work(*args)`` in a forked process; its result (a failure stops the
    bench). ``start="forkserver"`` forks it from multiprocessing's fork
    server, an interpreter started small (``work`` must then be a
    module-level function): what the child's ``getrusage`` reports as its
    peak is its own work's, not the bench's memory copied at the fork."""
    import multiprocessing
    ctx = multiprocessing.get_context(start)
    results = ctx.Queue()
    child = ctx.Process(target=_child_entry, args=(results, work, args))
    child.start()
    ok, result = results.get()
    child.join()
    if not ok:
        raise SystemExit(f"a measurement in a child process failed:\n{result}")
    return result


__all__ = ["month_file", "run_month", "tick_costs", "subject_questions", "startup", "in_child",
           "percentile"]
