"""Rebuild speed of this checkout against another commit, in one run.

This machine's speed drifts by a third within an hour, so two bench runs
compare badly; this script compares two versions of the code on the SAME
stores in the SAME minutes: the older commit is checked out in a git
worktree, generates and loads the province (the newer code must read what
the older wrote), and the two versions then rebuild the read models of one
SQLite file and one PostgreSQL schema in turns (before, after; then after,
before, ...), each in a fresh process, each followed by as-of queries.
Prints every run and the medians; record them in docs/performance.md.

    .venv/bin/python scripts/bench_against.py 2e3e467 --runs 3
    .venv/bin/python scripts/bench_against.py HEAD~3 --institutions 100 --years 3 --stores sqlite
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("LEDGER_BENCH_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/test")

LOAD = """
import json, domain, adapters.settings as s
from generate_province import generate, load
assert domain.__file__.startswith({tree!r}), domain.__file__
batches = list(generate({seed}, institutions={institutions}, years={years}))
rates = {{}}
for name, (url, schema) in {stores!r}.items():
    ledger = s.open_ledger(url, schema)
    rates[name] = load(ledger, batches)['events_per_second']
    ledger.close()
print(json.dumps({{'events': sum(len(b) for b in batches), 'load': rates}}))
"""

REBUILD = """
import json, random, sys, domain
sys.argv = ['bench']
import bench
from adapters.settings import open_ledger
from adapters.readmodels import rebuild
assert domain.__file__.startswith({tree!r}), domain.__file__
ledger = open_ledger({url!r}, {schema!r})
rebuilt = rebuild(ledger, batch_size=20000)
asked = bench.queries(ledger, {queries}, random.Random({seed}))
ledger.close()
print(json.dumps({{'rebuild': rebuilt['events_per_second'], **asked}}))
"""


def in_tree(tree: Path, code: str) -> dict:
    """``code`` run by this project's interpreter with ``tree``'s sources first."""
    env = dict(os.environ, PYTHONPATH=f"{tree}:{tree / 'scripts'}")
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the run in {tree} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("against", help="the older commit (any git revision)")
    parser.add_argument("--runs", type=int, default=3, help="rebuilds per version and store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--institutions", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(before), commit],
                       cwd=ROOT, check=True)
        trees = {f"before ({commit})": before, "after (this checkout)": ROOT}
        stores: dict[str, tuple[str, str | None]] = {}
        engine = None
        try:
            for store in args.stores.split(","):
                if store == "sqlite":
                    stores[store] = (f"sqlite:///{tmp}/bench.sqlite", None)
                elif store == "postgres":
                    schema = "against_" + uuid.uuid4().hex[:8]
                    engine = sa.create_engine(POSTGRES_URL)
                    with engine.begin() as conn:
                        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                    stores[store] = (POSTGRES_URL, schema)
            loaded = in_tree(before, LOAD.format(tree=str(before), seed=args.seed,
                                                 institutions=args.institutions,
                                                 years=args.years, stores=stores))
            print(f"{loaded['events']:,} events generated and loaded by {commit}: "
                  + ", ".join(f"{s} {r:,.0f} ev/s" for s, r in loaded["load"].items()), flush=True)
            results: dict[tuple[str, str], list[dict]] = {(t, s): [] for t in trees for s in stores}
            for run in range(args.runs):
                order = list(trees) if run % 2 == 0 else list(reversed(trees))
                for store, (url, schema) in stores.items():
                    for tree in order:
                        r = in_tree(trees[tree], REBUILD.format(
                            tree=str(trees[tree]), url=url, schema=schema,
                            queries=args.queries, seed=args.seed))
                        results[tree, store].append(r)
                        print(f"run {run + 1} {store:8} {tree:24} rebuild {r['rebuild']:>9,.0f} ev/s"
                              f"  status p99 {r['status_p99_ms']:.2f} ms"
                              f"  fund p99 {r['fund_p99_ms']:.2f} ms", flush=True)
            print(f"\n{'store':8} {'code':24} {'rebuild ev/s median (range)':>30} "
                  f"{'status p99':>11} {'fund p99':>9}")
            for (tree, store), rs in results.items():
                rates = [r["rebuild"] for r in rs]
                print(f"{store:8} {tree:24} {statistics.median(rates):>12,.0f} "
                      f"({min(rates):,.0f}-{max(rates):,.0f})".ljust(70)
                      + f"{statistics.median(r['status_p99_ms'] for r in rs):>6.2f} ms"
                      f"{statistics.median(r['fund_p99_ms'] for r in rs):>7.2f} ms")
        finally:
            if engine is not None:
                with engine.begin() as conn:
                    for _, schema in stores.values():
                        if schema:
                            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)


if __name__ == "__main__":
    main()
