"""What the SQL read models store, as pure functions of aggregate states.

The adapters persist these rows with tracking records; nothing here knows a
database. Money is kept as postings: every event that moves money yields the
change it makes to each fund-position column, dated by the event's business
date, so a position "as of" a date and "as known at" a log position is a sum
over postings (AUD-03), and a rebuild sums to the same figures (AUD-02).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.agreement import Agreement
from domain.claim import Claim
from domain.fund_account import FundAccount
from projections.deadlines import agreement_status

# Posting columns. still_held and approved-unpaid are derived from them.
CLAIM_COLUMNS = ("claimed", "held", "deducted", "approved", "paid", "withheld")
ACCOUNT_COLUMNS = ("returned", "forfeited", "to_recover", "recovered")


def money_numbers(aggregate: Any) -> dict[str, int]:
    """The fund-position figures one aggregate contributes, column -> fen."""
    if isinstance(aggregate, Claim):
        out = {"claimed": aggregate.claimed, "held": aggregate.held,
               "deducted": aggregate.deducted, "approved": aggregate.approved,
               "paid": aggregate.paid, "withheld": aggregate.withheld}
        for reason, fen in aggregate.refused_by_reason().items():
            out[f"refused:{reason}"] = fen
        return out
    if isinstance(aggregate, FundAccount):
        return {"returned": aggregate.returned, "forfeited": aggregate.forfeited,
                "to_recover": aggregate.to_recover, "recovered": aggregate.recovered}
    return {}


def posting_deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The non-zero changes from ``before`` to ``after``."""
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(keys)
            if after.get(k, 0) != before.get(k, 0)}


def posting_key(aggregate: Any) -> dict[str, Any] | None:
    if isinstance(aggregate, (Claim, FundAccount)):
        return {"agency": aggregate.agency, "agreement": aggregate.agreement,
                "institution": aggregate.institution_code, "year": aggregate.year}
    return None


def status_of(agreement: Agreement, on: date | None = None) -> tuple[str, str]:
    row = agreement_status(agreement, on)
    return row["status"], row["why"]


def timeline(events: list[Any]) -> list[tuple[date, str, str]]:
    """An agreement's status over business time, as its events say now:
    [(valid_from, status, why)], one entry per change. Each point folds the
    events effective by then, in log order (the same rule as ``build``)."""
    points = {e.effective_on for e in events}
    whole = None
    for e in events:   # dates inside the facts (a corrected start) are change points too
        whole = e.mutate(None) if whole is None else (e.apply(whole) or whole)
    if isinstance(whole, Agreement):
        for s in whole.suspensions:
            points.add(s["start"])
            if s["resumed_on"]:
                points.add(s["resumed_on"])
    out: list[tuple[date, str, str]] = []
    for day in sorted(points):
        aggregate = None
        for e in events:
            if e.effective_on <= day:
                if aggregate is None:
                    aggregate = e.mutate(None)
                else:
                    e.apply(aggregate)
        if aggregate is None:
            continue
        status, why = status_of(aggregate, day)
        if not out or out[-1][1:] != (status, why):
            out.append((day, status, why))
    return out


def ended_row(agreement: Agreement) -> dict[str, Any] | None:
    e = agreement.ending
    if e is None:
        return None
    return {"agreement": agreement.number, "institution": agreement.institution_code,
            "agency": agreement.agency, "ended_on": e["ended_on"], "ground": e["ground"],
            "article": e["article"], "breach": bool(e["is_breach"]), "reason": e["reason"]}
