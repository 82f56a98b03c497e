"""The bounded load test of the ledger service (issue #15), on PostgreSQL.

A province is generated (scripts/generate_province.py, a fixed seed) into two
fresh schemas alike, with an account and an API token for every finance
officer the month's commands name. Then a month of claims for every live
agreement (scripts/month_of_claims.py: submit, sample, reviews, approval,
payment) is posted over HTTP, on 127.0.0.1 only:

* **single**: one client, one server process, every command in date order;
* **concurrent**: 8 clients over two server processes, each client giving
  the commands of its own agreements in their order (the agreements dealt
  round-robin), then posting again a tenth of its commands, to the other
  server, which must answer each with its first result.

The two stores must then hold the same: per aggregate, the same events
(topic and content, the recording instant aside) with versions 1..n and no
gap or double; the same command records; the same fund positions (the read
models, caught up). Commands/s and latency (p50, p99) of both runs are
printed; docs/performance.md records them.

    .venv/bin/python scripts/load_service.py [--institutions 80] [--years 3]
        [--clients 8] [--db postgresql+psycopg2://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from adapters.http.credentials import hash_password, new_token  # noqa: E402
from adapters.http.service import open_service_ledger  # noqa: E402
from domain.base import Context  # noqa: E402

LEDGER = ("import typer; from adapters.cli_service import register; "
          "app = typer.Typer(); register(app); app()")
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
PASSWORD = "load test password, not a real one"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# --- the stores ---------------------------------------------------------------------------------
def make_store(url: str, schema: str, batches: list, users: list[str]) -> dict[str, str]:
    from generate_province import load
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    ledger = open_service_ledger(url, schema)
    tokens = {}
    try:
        load(ledger, batches)
        today = date.today()
        for n, user in enumerate(users):
            agency = user.split(".")[0].upper()
            ctx = Context(f"load-user-{n}", today, "os:load", "administrator")
            ledger.add_user(ctx, user=user, name=user, agency=agency, roles=["finance"],
                            password_hash=hash_password(PASSWORD, command_id=ctx.command_id,
                                                        user=user))
            token = new_token(user)
            ledger.issue_token(Context(f"load-token-{n}", today, "os:load", "administrator"),
                               user=user, token_id=token.token_id,
                               token_hash=token.token_hash, label="load")
            tokens[user] = token.text
        from adapters.readmodels import catch_up
        catch_up(ledger)
    finally:
        ledger.close()
    return tokens


def drop_store(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def position(url: str, schema: str) -> int:
    ledger = open_service_ledger(url, schema)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def contents(url: str, schema: str, after: int) -> dict[str, Any]:
    """What the run recorded: per aggregate its events (the recording
    instant aside) and versions, and the fund positions."""
    from adapters.readmodels import catch_up, log_position, positions_as_of, view_for
    from projections.fund import as_dict
    engine = sa.create_engine(url)
    aggregates: dict[str, list[tuple[int, str, str]]] = {}
    records = 0
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                f'SELECT originator_id, originator_version, topic, state FROM '
                f'"{schema}".ledger_events WHERE id > :after'), {"after": after})
            for oid, version, topic, state in rows:
                body = json.loads(bytes(state))
                body.pop("timestamp", None)
                aggregates.setdefault(str(oid), []).append(
                    (version, topic, json.dumps(body, sort_keys=True)))
                records += topic.endswith("CommandRecord.Handled")
    finally:
        engine.dispose()
    ledger = open_service_ledger(url, schema)
    try:
        catch_up(ledger)
        view = view_for(ledger)
        positions = sorted((as_dict(p) for p in positions_as_of(view, None,
                                                                  log_position(view, None))),
                           key=lambda d: (d["agreement"], d["year"]))
    finally:
        ledger.close()
    return {"aggregates": aggregates, "records": records, "positions": positions,
            "events": sum(len(v) for v in aggregates.values())}


def compare(single: dict[str, Any], concurrent: dict[str, Any]) -> list[str]:
    problems = []
    for oid, events in concurrent["aggregates"].items():
        versions = sorted(v for v, _, _ in events)
        first = versions[0]
        if versions != list(range(first, first + len(versions))):
            problems.append(f"aggregate {oid}: versions {versions[:8]}... have a gap or a double")
    a = {oid: sorted((t, s) for _, t, s in ev) for oid, ev in single["aggregates"].items()}
    b = {oid: sorted((t, s) for _, t, s in ev) for oid, ev in concurrent["aggregates"].items()}
    if set(a) != set(b):
        problems.append(f"aggregates differ: {len(set(a) ^ set(b))} only in one run")
    problems += [f"aggregate {oid}: its events differ" for oid in set(a) & set(b)
                 if a[oid] != b[oid]][:10]
    if single["records"] != concurrent["records"]:
        problems.append(f"command records: {single['records']} vs {concurrent['records']}")
    if single["positions"] != concurrent["positions"]:
        problems.append("fund positions differ")
    return problems


# --- servers and clients -----------------------------------------------------------------------------
class Server:
    def __init__(self, url: str, schema: str, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", LEDGER, "serve", "--db", url, "--schema", schema,
             "--port", str(port), "--no-tick", "--workers", "1"], cwd=ROOT,
            env={**os.environ, "LEDGER_SESSION_SECRET": uuid.uuid4().hex},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"the server on {self.base} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def post(client: httpx.Client, token: str, command: dict[str, Any]) -> tuple[float, dict]:
    body = {k: v for k, v in command.items() if k not in ("actor", "command")}
    started = time.perf_counter()
    for attempt in range(5):
        answer = client.post(f"/commands/{command['command']}", json=body,
                             headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 503:
            break
        time.sleep(0.1 * (attempt + 1))
    seconds = time.perf_counter() - started
    data = answer.json()
    if answer.status_code != 200:
        raise RuntimeError(f"{command['id']} {command['command']}: {answer.status_code} "
                           f"{data.get('reason')}")
    return seconds, data


def run_clients(bases: list[str], tokens: dict[str, str], commands: list[dict[str, Any]],
                clients: int, again: float) -> dict[str, Any]:
    agreements = sorted({c["fields"]["agreement"] for c in commands})
    owner = {a: i % clients for i, a in enumerate(agreements)}
    shares: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    for c in commands:
        shares[owner[c["fields"]["agreement"]]].append(c)
    latencies: list[float] = []
    repeats: list[bool] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        rng = random.Random(n)
        mine: list[float] = []
        first_answers = {}
        with httpx.Client(base_url=bases[n % len(bases)], timeout=120) as c:
            try:
                for command in shares[n]:
                    seconds, data = post(c, tokens[command["actor"]["user"]], command)
                    mine.append(seconds)
                    first_answers[command["id"]] = data
                    if not data.get("recorded"):
                        errors.append(f"{command['id']}: answered as a repeat the first time")
            except RuntimeError as e:
                errors.append(str(e))
        repeated = []
        if again and shares[n]:
            with httpx.Client(base_url=bases[(n + 1) % len(bases)], timeout=120) as c:
                for command in rng.sample(shares[n], max(1, int(len(shares[n]) * again))):
                    seconds, data = post(c, tokens[command["actor"]["user"]], command)
                    mine.append(seconds)
                    first = {k: v for k, v in first_answers[command["id"]].items()
                             if k not in ("recorded", "log_position")}
                    same = {k: v for k, v in data.items() if k not in ("recorded", "log_position")}
                    repeated.append(data.get("recorded") is False and same == first)
        with lock:
            latencies.extend(mine)
            repeats.extend(repeated)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    # every post counts, the repeats too: each is a command the service answered
    return {"commands": len(latencies), "seconds": wall, "errors": errors,
            "repeats": len(repeats), "repeats_answered_first": sum(repeats),
            "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_URL, help="PostgreSQL (schemas are made and "
                                                          "dropped in it)")
    parser.add_argument("--institutions", type=int, default=80)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--start-year", type=int, default=2023)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--again", type=float, default=0.1,
                        help="the share of each client's commands it posts a second time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the two schemas")
    args = parser.parse_args(argv)
    if "127.0.0.1" not in args.db and "localhost" not in args.db:
        raise SystemExit("the load test runs on this machine's PostgreSQL only")
    from generate_province import generate
    from month_of_claims import latest_business_date, live_claimants, month_of_claims, next_month
    batches = list(generate(args.seed, args.institutions, args.years, args.start_year))
    tag = uuid.uuid4().hex[:8]
    schemas = {"single": f"load_single_{tag}", "concurrent": f"load_concurrent_{tag}"}
    ledger = None
    try:
        probe = schemas["single"] + "_probe"
        make_store(args.db, probe, batches, [])
        ledger = open_service_ledger(args.db, probe)
        month = next_month(latest_business_date(ledger))
        commands = month_of_claims(live_claimants(ledger, month), month, args.seed)
        ledger.close()
        ledger = None
        drop_store(args.db, probe)
        users = sorted({c["actor"]["user"] for c in commands})
        print(f"{sum(len(b) for b in batches):,} events generated; {month:%Y-%m}: "
              f"{len(commands):,} commands of {len({c['fields']['agreement'] for c in commands})}"
              f" agreements by {len(users)} finance officers")
        results, contents_of = {}, {}
        for run, schema in schemas.items():
            tokens = make_store(args.db, schema, batches, users)
            start = position(args.db, schema)
            ports = [free_port() for _ in range(1 if run == "single" else 2)]
            servers = [Server(args.db, schema, port) for port in ports]
            try:
                if run == "single":
                    result = run_clients([s.base for s in servers], tokens, commands, 1, 0)
                else:
                    result = run_clients([s.base for s in servers], tokens, commands,
                                         args.clients, args.again)
            finally:
                for s in servers:
                    s.stop()
            result["commands_per_second"] = result["commands"] / result["seconds"]
            results[run] = result
            contents_of[run] = contents(args.db, schema, start)
            print(f"{run}: {result['commands']:,} commands in {result['seconds']:.1f} s = "
                  f"{result['commands_per_second']:.1f} commands/s; latency p50 "
                  f"{result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
                  f"{contents_of[run]['events']:,} events, {contents_of[run]['records']:,} "
                  f"command records; errors {len(result['errors'])}"
                  + (f"; repeats answered with the first answer "
                     f"{result['repeats_answered_first']}/{result['repeats']}"
                     if result["repeats"] else ""))
            for e in result["errors"][:5]:
                print(f"  {e}")
        problems = compare(contents_of["single"], contents_of["concurrent"])
        if results["concurrent"]["repeats_answered_first"] != results["concurrent"]["repeats"]:
            problems.append("a repeated command was not answered with its first answer")
        problems += results["single"]["errors"] + results["concurrent"]["errors"]
        print("same events, command records and fund positions in both runs"
              if not problems else "DIFFERENT:\n  " + "\n  ".join(problems[:20]))
        return 1 if problems else 0
    finally:
        if ledger is not None:
            ledger.close()
        if not args.keep:
            for schema in schemas.values():
                drop_store(args.db, schema)


if __name__ == "__main__":
    raise SystemExit(main())
