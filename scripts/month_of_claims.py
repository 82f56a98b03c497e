"""A month of claims as a command file, for every live agreement of a store.

For each agreement in the registry's live list that may settle services in
the month (``Agreement.settles_on``: in effect, not suspended, not ended),
the month's claim as an agency's finance office gives it to ``ledger run``:
``submit_claim`` (8-25 items, about 7% not work-injury costs, a third naming
the treating practitioner) in the first days of the next month,
``draw_sample`` a few days later, ``review_sampled_item`` for every sampled
item (about 4% with a non-compliant amount), ``approve_claim``, and
``pay_claim`` on the 20th-25th. The commands are sorted by date, each
claim's own in their order, so the run's clock moves forward only.

Which items the sample draws is decided by the claim itself (PAY-03, a
seed per claim): the generator submits each claim to an in-memory
``Claim`` and draws its sample there, so the reviews name exactly the
sampled items. Only ``random.Random(seed)`` decides anything else.

The month defaults to the one after the store's latest business date (a
generated province ends on 31 March: its April). Reading the store is not
part of any measurement: every live agreement is loaded once.

    .venv/bin/python scripts/month_of_claims.py --db sqlite:////tmp/province.sqlite \\
        --out /tmp/april.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import zlib
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from domain.base import Envelope  # noqa: E402
from domain.calendar import add_months  # noqa: E402
from domain.claim import Claim  # noqa: E402

__all__ = ["month_of_claims", "live_claimants", "latest_business_date", "next_month",
           "write_commands"]

ITEMS = (8, 25, 25)      # low, high, mode: as scripts/generate_province.py
NON_INJURY = 0.07
WITH_PRACTITIONER = 0.3
NONCOMPLIANT = 0.04
REASONS = ["超标准收取床位费", "重复收费", "分解收费", "超出工伤保险药品目录", "无医嘱收费"]
WHAT = ["工伤门诊", "工伤住院", "工伤手术", "工伤住院复查", "康复训练", "辅助器具配置"]


def latest_business_date(ledger) -> date:
    """The greatest business date any recorded event takes effect on (the
    read models' log, brought up to date first)."""
    import sqlalchemy as sa

    from adapters.readmodels import catch_up, view_for
    catch_up(ledger)
    view = view_for(ledger)
    with view.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(view.t["log"].c.effective_on))).scalar_one()


def live_claimants(ledger, month: date) -> list[dict[str, Any]]:
    """Every live agreement (registry order) that may settle at least one day
    of ``month``: its number, institution, agency, networked settlement and
    the days it may settle."""
    from domain.agreement import Agreement
    from domain.institution import Institution
    from domain.registry import Registry
    registry = ledger.repository.get(Registry.ID)
    days = [month + timedelta(days=k) for k in range((add_months(month, 1) - month).days)]
    # What the run's own clock will have recorded by the end of the next
    # month (an ending, a successor taking effect) decides which days may be
    # settled: each agreement is brought up to then in memory, never saved.
    until = add_months(month, 2) - timedelta(days=1)
    envelope = Envelope(user="bench", role="system", command_id="bench-preview")
    agreements: dict[str, Any] = {}
    for number in registry.live:
        ag = agreements.get(number) or ledger.repository.get(Agreement.id_for(number))
        agreements[number] = ag
        for predecessor in ledger._advance(ag, until, envelope):   # ended by its successor
            agreements[predecessor.number] = predecessor
    out = []
    institutions: dict[str, Any] = {}
    for number in registry.live:
        ag = agreements[number]
        open_days = [d for d in days if ag.settles_on(d)[0]]
        if not open_days:
            continue
        code = ag.institution_code
        if code not in institutions:
            institutions[code] = ledger.repository.get(Institution.id_for(code))
        out.append({"agreement": number, "institution": code, "agency": ag.agency,
                    "networked": bool(institutions[code].facts.get("networked_settlement")),
                    "days": open_days})
    return out


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _items(rng: Random, month: date, days: list[date], code: str) -> list[dict[str, Any]]:
    low, high, mode = ITEMS
    n = min(high, int(rng.triangular(low, high + 1, mode)))
    # the practitioners are nobody the ledger knows: each is looked up (SAN-02), none barred
    practitioners = [f"14{zlib.crc32(f'{code}-{k}'.encode()):010d}{k:06d}" for k in range(4)]
    items = []
    for k, served in enumerate(sorted(rng.choice(days) for _ in range(n)), 1):
        injury = rng.random() >= NON_INJURY
        item = {"item_id": f"{month:%Y%m}-{k:03d}",
                "amount": _yuan(int((60 + rng.lognormvariate(6.5, 1.3)) * 100)),
                "service_date": served.isoformat(), "injury": injury,
                "description": rng.choice(WHAT) if injury else "非工伤门诊"}
        if rng.random() < WITH_PRACTITIONER:
            item["practitioner_id"] = rng.choice(practitioners)
        items.append(item)
    if not any(i["injury"] for i in items):
        items[0]["injury"] = True
    return items


def _sampled(claimant: dict[str, Any], month: str, submit: dict[str, Any], seed: str,
             on: date) -> tuple[list[str], dict[str, int]]:
    """The items the claim's own sample draws (PAY-03), and their amounts."""
    from adapters.commands import domain_args, parse
    env, fields = parse(submit)
    args = domain_args(env, fields)
    envelope = Envelope(user="bench", role="finance", command_id=submit["id"])
    claim = Claim.submit(agreement=claimant["agreement"], institution_code=claimant["institution"],
                         agency=claimant["agency"], month=month, items=args["items"],
                         networked=claimant["networked"], effective_on=env.date,
                         envelope=envelope)
    chosen = claim.draw_sample(seed=seed, effective_on=on, envelope=envelope)
    return chosen, {i: claim.items[i]["amount_fen"] for i in chosen}


def month_of_claims(claimants: Iterable[dict[str, Any]], month: date,
                    seed: int = 7) -> list[dict[str, Any]]:
    """The commands of ``month``'s claims for ``claimants`` (``live_claimants``),
    sorted by date; within a date, in the order each claim needs them."""
    rng = Random(seed)
    key = f"{month:%Y-%m}"
    nxt = add_months(month, 1)
    dated: list[tuple[date, int, dict[str, Any]]] = []
    serial = 0

    def give(on: date, command: str, user: str, fields: dict[str, Any], document: str = ""):
        nonlocal serial
        serial += 1
        cmd = {"id": f"bench-{key}-{serial:06d}", "command": command, "date": on.isoformat(),
               "actor": {"user": user, "role": "finance"}, "fields": fields}
        if document:
            cmd["document"] = document
        dated.append((on, serial, cmd))
        return cmd

    for c in claimants:
        ref = {"agreement": c["agreement"], "month": key}
        user = f"{c['agency'].lower()}.finance{rng.randint(1, 2)}"
        submitted = nxt + timedelta(days=rng.randint(0, 9 if c["networked"] else 4))
        sampled_on = submitted + timedelta(days=rng.randint(1, 6))
        reviewed_on = sampled_on + timedelta(days=rng.randint(0, 2))
        approved_on = reviewed_on + timedelta(days=rng.randint(1, 5))
        paid_on = max(approved_on + timedelta(days=1), nxt + timedelta(days=rng.randint(19, 24)))
        submit = give(submitted, "submit_claim", user,
                      {**ref, "items": _items(rng, month, c["days"], c["institution"])},
                      document=f"{c['institution']}-{key}-结算申报")
        sample_seed = f"{c['agreement']}-{key}"
        chosen, amounts = _sampled(c, key, submit, sample_seed, sampled_on)
        give(sampled_on, "draw_sample", user, {**ref, "seed": sample_seed})
        for item_id in chosen:
            review = {**ref, "item_id": item_id, "noncompliant": "0"}
            if rng.random() < NONCOMPLIANT:
                review["noncompliant"] = _yuan(max(1, int(amounts[item_id] * rng.uniform(0.03, 0.3))))
                review["reason"] = rng.choice(REASONS)
            give(reviewed_on, "review_sampled_item", user, review)
        give(approved_on, "approve_claim", user, dict(ref))
        pay_ref = f"社银直发-{c['agency']}-{month:%Y%m}-{c['agreement'][-4:]}-1"
        give(paid_on, "pay_claim", user, {**ref, "batch": 1, "ref": pay_ref}, document=pay_ref)
    dated.sort(key=lambda t: (t[0], t[1]))
    return [cmd for _, _, cmd in dated]


def write_commands(commands: list[dict[str, Any]], path: Path, about: str = "") -> Path:
    lines = [f"# {line}" for line in about.splitlines()]
    lines += [json.dumps(c, ensure_ascii=False) for c in commands]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def next_month(day: date) -> date:
    return add_months(day.replace(day=1), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the store (SQLAlchemy URL or SQLite path)")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema of the store")
    parser.add_argument("--month", default=None,
                        help="YYYY-MM (default: the month after the latest business date)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="command file to write")
    args = parser.parse_args(argv)
    from adapters.settings import open_ledger
    ledger = open_ledger(args.db, args.schema, create=False)
    try:
        month = (date.fromisoformat(args.month + "-01") if args.month
                 else next_month(latest_business_date(ledger)))
        claimants = live_claimants(ledger, month)
    finally:
        ledger.close()
    commands = month_of_claims(claimants, month, args.seed)
    write_commands(commands, args.out, f"{month:%Y-%m} claims of {len(claimants)} live "
                                       f"agreements (scripts/month_of_claims.py, seed {args.seed})")
    print(f"{len(commands):,} commands for {len(claimants):,} agreements' {month:%Y-%m} claims "
          f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
