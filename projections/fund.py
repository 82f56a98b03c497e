"""Fund positions: every fen between the fund and the institutions, for every
agreement and year, with totals per agency and for the fund (AUD-06).

A pure function of the status read model, so it answers "as of" a business
date and "as known at" an instant exactly as the model it is given.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Iterable

from domain.claim import REFUSAL_REASONS
from domain.money import Money
from projections.status import LedgerState

MONEY_COLUMNS = ("claimed", "refused", "held", "deducted", "approved", "paid", "withheld",
                 "returned", "forfeited", "still_held", "to_recover", "recovered")


@dataclass
class Position:
    agency: str
    agreement: str
    institution: str
    year: int
    claimed: int = 0
    refused: int = 0
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    held: int = 0            # claim items on hold (PAY-05, PAY-07), not yet payable
    deducted: int = 0        # 5x deductions taken from payments (PAY-03)
    approved: int = 0
    paid: int = 0
    withheld: int = 0
    returned: int = 0
    forfeited: int = 0
    still_held: int = 0      # deposit withheld, neither returned nor forfeited
    to_recover: int = 0
    recovered: int = 0
    approved_unpaid: int = 0

    def add(self, other: "Position") -> None:
        for name in MONEY_COLUMNS + ("approved_unpaid",):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, fen in other.refused_by_reason.items():
            self.refused_by_reason[reason] = self.refused_by_reason.get(reason, 0) + fen

    def identities(self) -> list[str]:
        """AUD-06: the money identities; returns the ones that fail."""
        broken = []
        if self.approved != self.paid + self.withheld + self.approved_unpaid:
            broken.append("approved = paid + withheld (+ approved, not yet paid)")
        if self.withheld != self.returned + self.forfeited + self.still_held:
            broken.append("withheld = returned + forfeited + still held")
        if self.recovered > self.to_recover:
            broken.append("recovered <= to recover")
        if self.refused != sum(self.refused_by_reason.values()):
            broken.append("refused = sum of refusals by reason")
        return broken


def positions(state: LedgerState) -> list[Position]:
    rows: dict[tuple[str, int], Position] = {}

    def row(agreement: str, institution: str, agency: str, year: int) -> Position:
        key = (agreement, year)
        if key not in rows:
            rows[key] = Position(agency, agreement, institution, year)
        return rows[key]

    for claim in state.claims.values():
        p = row(claim.agreement, claim.institution_code, claim.agency, claim.year)
        p.claimed += claim.claimed
        for reason, fen in claim.refused_by_reason().items():
            p.refused_by_reason[reason] = p.refused_by_reason.get(reason, 0) + fen
            p.refused += fen
        p.held += claim.held
        p.deducted += claim.deducted
        p.approved += claim.approved
        p.paid += claim.paid
        p.withheld += claim.withheld
        p.approved_unpaid += sum(b["approved"] for b in claim.batches if b["paid_on"] is None)
    for account in state.accounts.values():
        p = row(account.agreement, account.institution_code, account.agency, account.year)
        p.returned += account.returned
        p.forfeited += account.forfeited
        p.still_held += account.held
        p.to_recover += account.to_recover
        p.recovered += account.recovered
    return sorted(rows.values(), key=lambda p: (p.agency, p.agreement, p.year))


def totals(rows: Iterable[Position]) -> tuple[dict[str, Position], Position]:
    """Totals per agency and for the whole fund."""
    per_agency: dict[str, Position] = {}
    fund = Position("ALL", "", "", 0)
    for p in rows:
        per_agency.setdefault(p.agency, Position(p.agency, "", "", 0)).add(p)
        fund.add(p)
    return per_agency, fund


def as_dict(p: Position) -> dict[str, Any]:
    """Yuan strings for people and JSON: exact, never floats (PAY-10)."""
    out: dict[str, Any] = {"agency": p.agency, "agreement": p.agreement,
                           "institution": p.institution, "year": p.year}
    for name in MONEY_COLUMNS + ("approved_unpaid",):
        out[name] = Money(getattr(p, name)).yuan()
    out["refused_by_reason"] = {r: Money(f).yuan() for r, f in sorted(p.refused_by_reason.items())}
    return out


def to_csv(rows: Iterable[Position]) -> str:
    reasons = sorted(REFUSAL_REASONS)
    header = ["agency", "agreement", "institution", "year", *MONEY_COLUMNS,
              *[f"refused_{r}" for r in reasons], "approved_unpaid"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for p in rows:
        d = as_dict(p)
        writer.writerow([d["agency"], d["agreement"], d["institution"], d["year"],
                         *[d[c] for c in MONEY_COLUMNS],
                         *[Money(p.refused_by_reason.get(r, 0)).yuan() for r in reasons],
                         d["approved_unpaid"]])
    return buf.getvalue()
