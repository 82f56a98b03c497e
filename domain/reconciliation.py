"""Reconciling the fund's bank disbursement statement with the ledger.

The ledger's disbursements are its recorded payments (the 90% paid on each
approval, PAY-06) and deposit returns (DEP-01). A statement line is matched
to one of them by reference first, then by payee, amount and value date
within a window. What is left over on either side is reported, as are
amount differences and duplicate lines. Matching is a pure function; the
import of a statement is recorded once (its content hash is its identity).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable


from domain.base import Envelope, LedgerAggregate, stable_id

DATE_WINDOW_DAYS = 3


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    value_date: date
    payee: str          # institution code
    amount_fen: int
    reference: str


@dataclass(frozen=True)
class Disbursement:
    kind: str           # "payment" or "deposit_return"
    value_date: date
    payee: str
    amount_fen: int
    reference: str
    source: str         # "claim XY-1:2025-03 batch 1", "deposit XY-1 2025"


@dataclass
class Reconciliation:
    matched: list[tuple[StatementLine, Disbursement, str]] = field(default_factory=list)
    amount_differences: list[tuple[StatementLine, Disbursement]] = field(default_factory=list)
    duplicates: list[tuple[StatementLine, StatementLine]] = field(default_factory=list)
    unmatched_statement: list[StatementLine] = field(default_factory=list)
    unmatched_ledger: list[Disbursement] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {"matched": len(self.matched), "amount_differences": len(self.amount_differences),
                "duplicates": len(self.duplicates),
                "unmatched_statement": len(self.unmatched_statement),
                "unmatched_ledger": len(self.unmatched_ledger),
                "malformed": len(self.malformed)}


def reconcile(lines: Iterable[StatementLine], ledger: Iterable[Disbursement], *,
              window_days: int = DATE_WINDOW_DAYS,
              malformed: Iterable[tuple[int, str]] = ()) -> Reconciliation:
    result = Reconciliation(malformed=list(malformed))
    open_items = list(ledger)
    seen: dict[tuple[date, str, int, str], StatementLine] = {}
    by_ref: dict[str, StatementLine] = {}
    candidates: list[StatementLine] = []
    for line in lines:
        key = (line.value_date, line.payee, line.amount_fen, line.reference)
        if key in seen:                                       # the same line twice
            result.duplicates.append((line, seen[key]))
            continue
        if line.reference and line.reference in by_ref:       # a reference paid twice
            result.duplicates.append((line, by_ref[line.reference]))
            continue
        seen[key] = line
        if line.reference:
            by_ref[line.reference] = line
        candidates.append(line)

    rest: list[StatementLine] = []
    for line in candidates:                                   # 1. by reference
        found = next((d for d in open_items if line.reference and d.reference == line.reference),
                     None)
        if found is None:
            rest.append(line)
            continue
        open_items.remove(found)
        if found.amount_fen == line.amount_fen and found.payee == line.payee:
            result.matched.append((line, found, "reference"))
        else:
            result.amount_differences.append((line, found))
    for line in rest:                                         # 2. by payee, amount, date
        found = next((d for d in open_items if d.payee == line.payee
                      and d.amount_fen == line.amount_fen
                      and abs((d.value_date - line.value_date).days) <= window_days), None)
        if found is None:
            result.unmatched_statement.append(line)
            continue
        open_items.remove(found)
        result.matched.append((line, found, "payee+amount+date"))
    result.unmatched_ledger = open_items
    return result


def disbursements(state: Any) -> list[Disbursement]:
    """The ledger's own disbursements, from the status read model."""
    out = []
    for claim in state.claims.values():
        for b in claim.batches:
            if b["paid_on"] is not None and b["paid"]:
                out.append(Disbursement("payment", b["paid_on"], claim.institution_code,
                                        b["paid"], b["ref"],
                                        f"claim {claim.agreement}:{claim.month} batch "
                                        f"{b['batch']}"))
    for account in state.accounts.values():
        c = account.clearing
        if c is not None and c["returned"]:
            out.append(Disbursement("deposit_return", c["cleared_on"], account.institution_code,
                                    c["returned"], c.get("ref", ""),
                                    f"deposit {account.agreement} {account.year}"))
    return sorted(out, key=lambda d: (d.value_date, d.payee, d.reference))


class StatementImport(LedgerAggregate):
    """A bank statement that was reconciled: recorded once, by content."""

    @staticmethod
    def id_for(sha256: str):
        return stable_id("bank-statement", sha256)

    @classmethod
    def record(cls, *, sha256: str, file_name: str, encoding: str, lines: int,
               summary: dict[str, int], effective_on: date,
               envelope: Envelope) -> "StatementImport":
        return cls._create(cls.Imported, id=cls.id_for(sha256), sha256=sha256,
                           file_name=file_name, encoding=encoding, lines=lines,
                           summary=summary, effective_on=effective_on, envelope=envelope)

    class Imported(LedgerAggregate.Created):
        sha256: str
        file_name: str
        encoding: str
        lines: int
        summary: dict[str, int]
        effective_on: date
        envelope: Envelope

    def __init__(self, sha256: str, file_name: str, encoding: str, lines: int,
                 summary: dict[str, int], effective_on: date) -> None:
        self.sha256 = sha256
        self.file_name = file_name
        self.summary = dict(summary)
        self.imported_on = effective_on

    def state(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "file": self.file_name, "summary": self.summary,
                "imported_on": self.imported_on}
