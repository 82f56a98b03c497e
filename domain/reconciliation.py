"""Reconciling the fund account's bank statement with the ledger (AUD-06).

Money leaves the fund account as the ledger's recorded payments (the 90%
paid on each approval, PAY-06) and deposit returns (DEP-01): the
statement's debits. It comes back as recoveries (PAY-08, ``record_recovery``,
which is also how a deposit returned in error is booked back): the
statement's credits. Each side is matched on its own.

A bank names the counterparty by account number and account name, never by
institution code, so a line's institution is found first by the payee
account in force on its value date (``record_payee_account``, with its
history), then by the registered name (whitespace and full-width forms
normalised), then, for older statements, by an institution code column.

A line is matched to a ledger item by reference first (the reference may
stand inside the bank's purpose text, 摘要/用途), then by institution, amount
and value date within a window. What is left over on either side is
reported, as are amount and payee differences and duplicate lines.
Matching is a pure function; the import of a statement is recorded once
(its content hash is its identity).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.institution import account_digits

DATE_WINDOW_DAYS = 3
DEBIT, CREDIT = "debit", "credit"          # out of the fund account / into it
DEBIT_KINDS = ("payment", "deposit_return")
CREDIT_KINDS = ("recovery",)

# What --fail-on may name: every summary count but "matched".
FINDING_KINDS = ("amount_differences", "payee_differences", "duplicates",
                 "unmatched_statement", "unmatched_credits", "unmatched_ledger", "malformed")


@dataclass(frozen=True)
class StatementLine:
    line_no: int                  # the line in the file as an editor shows it (xlsx: sheet row)
    value_date: date
    amount_fen: int               # above 0; the direction says which way it went
    reference: str = ""           # the reference, or the purpose text (摘要/用途) holding it
    payee: str = ""               # an institution code column (older statements)
    account_name: str = ""        # 对方户名
    account_number: str = ""      # 对方账号
    direction: str = DEBIT

    def counterparty(self) -> str:
        """The counterparty as the statement names it."""
        return " ".join(p for p in (self.account_name, self.account_number) if p) or self.payee


@dataclass(frozen=True)
class LedgerItem:
    kind: str           # "payment" or "deposit_return" (debits), "recovery" (credit)
    value_date: date
    payee: str          # institution code
    amount_fen: int
    reference: str
    source: str         # "claim XY-1:2025-03 batch 1", "deposit XY-1 2025", "recovery XY-1 2025"

    @property
    def direction(self) -> str:
        return CREDIT if self.kind in CREDIT_KINDS else DEBIT


Disbursement = LedgerItem   # the name of the debit side before credits were reconciled


@dataclass(frozen=True)
class Identified:
    """Who a line's counterparty is. ``warning`` makes a match a payee
    difference (money went to an account not in force for the institution);
    ``note`` only explains."""
    code: str | None
    how: str = ""        # "account", "name", "code", or "" when not identified
    warning: str = ""
    note: str = ""


def normal_name(text: str) -> str:
    """A name as compared: full-width forms folded (NFKC), no white space, case folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


class Payees:
    """The institutions a statement may name: their registered names and
    their payee accounts with history (from the status read model)."""

    def __init__(self, institutions: Iterable[Any]) -> None:
        self.institutions = {i.code: i for i in institutions}
        self.by_name: dict[str, list[str]] = {}
        # digits -> the institutions that ever had the account: a line is
        # checked against those only, not against every institution
        self.by_digits: dict[str, set[str]] = {}
        for inst in self.institutions.values():
            self.by_name.setdefault(normal_name(inst.name), []).append(inst.code)
            for a in inst.payee_accounts:
                self.by_digits.setdefault(account_digits(a["account_number"]), set()).add(
                    inst.code)

    def _account(self, code: str, day: date) -> dict[str, Any] | None:
        return self.institutions[code].payee_account_on(day)

    def identify(self, line: StatementLine) -> Identified:
        digits = account_digits(line.account_number)
        if digits:
            owners = sorted(code for code in self.by_digits.get(digits, ())
                            if (a := self._account(code, line.value_date)) is not None
                            and account_digits(a["account_number"]) == digits)
            if len(owners) == 1:
                return Identified(owners[0], "account")
            if len(owners) > 1:
                named = [c for c in owners if c in self.by_name.get(
                    normal_name(line.account_name), [])]
                if len(named) == 1:
                    return Identified(named[0], "account")
                return Identified(None, warning=f"account {line.account_number} is recorded "
                                                f"for {', '.join(owners)} on {line.value_date}")
        for text in (line.account_name, line.payee):
            codes = self.by_name.get(normal_name(text), []) if text else []
            if len(codes) == 1:
                return self._by_name(codes[0], line, digits)
        if line.payee:
            return Identified(line.payee, "code")
        if line.account_name or digits:
            return Identified(None, note=f"{line.counterparty()} is neither a payee account "
                                         f"in force on {line.value_date} nor a registered "
                                         "institution name")
        return Identified(None, note="the line names no counterparty")

    def _by_name(self, code: str, line: StatementLine, digits: str) -> Identified:
        """Found by name: the account on the line, if any, is checked against
        the institution's account in force (and its history)."""
        if not digits:
            return Identified(code, "name")
        inst = self.institutions[code]
        current = inst.payee_account_on(line.value_date)
        former = [a for a in inst.payee_account_history()
                  if account_digits(a["account_number"]) == digits]
        if former:
            a = former[-1]
            then = f" (then {current['account_number']})" if current else ""
            if a["from"] > line.value_date:
                return Identified(code, "name", warning=f"account {line.account_number} is "
                                  f"{code}'s payee account only from {a['from']}, not yet on "
                                  f"{line.value_date}{then}")
            return Identified(code, "name", warning=f"account {line.account_number} was "
                              f"{code}'s payee account from {a['from']} until {a['until']}, "
                              f"not on {line.value_date}{then}")
        if current is not None:
            return Identified(code, "name", warning=f"account {line.account_number} is not "
                              f"{code}'s payee account {current['account_number']} in force "
                              f"on {line.value_date}")
        return Identified(code, "name", note=f"{code} has no payee account recorded"
                          + ("" if not inst.payee_accounts else f" in force on {line.value_date}"))


@dataclass
class Reconciliation:
    matched: list[tuple[StatementLine, LedgerItem, str]] = field(default_factory=list)
    amount_differences: list[tuple[StatementLine, LedgerItem]] = field(default_factory=list)
    payee_differences: list[tuple[StatementLine, LedgerItem, str]] = field(default_factory=list)
    duplicates: list[tuple[StatementLine, StatementLine, str]] = field(default_factory=list)
    unmatched_statement: list[StatementLine] = field(default_factory=list)   # debits
    unmatched_credits: list[StatementLine] = field(default_factory=list)
    unmatched_ledger: list[LedgerItem] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    identified: dict[int, Identified] = field(default_factory=dict)          # by line number

    def summary(self) -> dict[str, int]:
        return {"matched": len(self.matched), "amount_differences": len(self.amount_differences),
                "payee_differences": len(self.payee_differences),
                "duplicates": len(self.duplicates),
                "unmatched_statement": len(self.unmatched_statement),
                "unmatched_credits": len(self.unmatched_credits),
                "unmatched_ledger": len(self.unmatched_ledger),
                "malformed": len(self.malformed)}


def names_reference(text: str, ref: str) -> bool:
    """``ref`` is the line's reference, or stands in its purpose text as a
    whole word: 'SY202501 1月工伤医疗费' names SY202501, 'SY2025011' does not."""
    if not ref or not text:
        return False
    if text.strip() == ref:
        return True
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(ref)}(?![0-9A-Za-z])", text) is not None


def _word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class _References:
    """The ledger's references, found in a line's purpose text as
    ``names_reference`` finds them, by looking up the text's substrings that
    start and end at word edges (a few dozen a line) instead of testing
    every reference against every line."""

    def __init__(self, items: list[LedgerItem]) -> None:
        self.refs: dict[str, list[int]] = {}
        for n, item in enumerate(items):
            if item.reference:
                self.refs.setdefault(item.reference, []).append(n)
        self.lengths = sorted({len(r) for r in self.refs})

    def named(self, text: str) -> list[int]:
        """Positions (in ledger order) of the items whose reference the text names."""
        found: set[int] = set(self.refs.get(text.strip(), ()))
        size = len(text)
        for i in range(size):
            if i and _word(text[i - 1]):
                continue
            for k in self.lengths:
                j = i + k
                if j > size:
                    break
                if j < size and _word(text[j]):
                    continue
                found.update(self.refs.get(text[i:j], ()))
        return sorted(found)


def reconcile(lines: Iterable[StatementLine], ledger: Iterable[LedgerItem], *,
              payees: Payees | None = None, window_days: int = DATE_WINDOW_DAYS,
              malformed: Iterable[tuple[int, str]] = (),
              period: tuple[date, date] | None = None) -> Reconciliation:
    """Match statement lines with ledger items. With ``period`` (the dates
    the statement covers) only ledger items dated in it can be missing from
    the statement; items up to ``window_days`` outside it may still match."""
    result = Reconciliation(malformed=sorted(malformed))
    items = list(ledger)
    if period is not None:
        start, end = period
        items = [i for i in items if abs(_days_outside(i.value_date, start, end)) <= window_days]
    references = _References(items)
    claimed: dict[int, StatementLine] = {}       # item position -> the line that took it
    seen: dict[tuple[Any, ...], StatementLine] = {}
    rest: list[StatementLine] = []
    for line in lines:
        who = payees.identify(line) if payees else Identified(line.payee or None,
                                                               "code" if line.payee else "")
        result.identified[line.line_no] = who
        key = (line.direction, line.value_date, line.payee, normal_name(line.account_name),
               account_digits(line.account_number), line.amount_fen, line.reference)
        if key in seen:                                       # the same line twice
            result.duplicates.append((line, seen[key], f"repeats line {seen[key].line_no}"))
            continue
        seen[key] = line
        # 1. by reference, in statement order: a reference taken by an earlier
        # line is a payment made twice
        named = [n for n in references.named(line.reference)
                 if items[n].direction == line.direction] if line.reference else []
        # one reference may cover a batch paid to several institutions: the
        # item of this payee and amount first, then of this payee
        found = min((n for n in named if n not in claimed), default=None,
                    key=lambda n: (items[n].payee != who.code,
                                   items[n].amount_fen != line.amount_fen, n))
        if found is None and named:
            first = claimed[named[0]]
            result.duplicates.append((line, first, f"reference {items[named[0]].reference} "
                                                   f"is on line {first.line_no} already"))
            continue
        if found is None:
            rest.append(line)
            continue
        claimed[found] = line
        item = items[found]
        if item.amount_fen != line.amount_fen:
            result.amount_differences.append((line, item))
        elif who.code != item.payee and (who.code or line.counterparty()):
            result.payee_differences.append((line, item, _payee_note(line, who, item)))
        elif who.warning:
            result.payee_differences.append((line, item, who.warning))
        else:
            result.matched.append((line, item, "reference"))
    # 2. by payee, amount and date: the open items of each (direction, payee, amount)
    by_key: dict[tuple[str, str, int], list[int]] = {}
    for n, item in enumerate(items):
        if n not in claimed:
            by_key.setdefault((item.direction, item.payee, item.amount_fen), []).append(n)
    for line in rest:
        who = result.identified[line.line_no]
        near = sorted((abs((items[n].value_date - line.value_date).days), n)
                      for n in by_key.get((line.direction, who.code or "", line.amount_fen), ())
                      if n not in claimed and who.code is not None
                      and abs((items[n].value_date - line.value_date).days) <= window_days)
        if not near:
            (result.unmatched_credits if line.direction == CREDIT
             else result.unmatched_statement).append(line)
            continue
        found = near[0][1]
        claimed[found] = line
        if who.warning:
            result.payee_differences.append((line, items[found], who.warning))
        else:
            result.matched.append((line, items[found], "payee+amount+date"))
    result.unmatched_ledger = [i for n, i in enumerate(items) if n not in claimed and (
        period is None or _days_outside(i.value_date, *period) == 0)]
    return result


def _days_outside(day: date, start: date, end: date) -> int:
    """How many days ``day`` lies before (negative) or after the period; 0 inside."""
    if day < start:
        return (day - start).days
    if day > end:
        return (day - end).days
    return 0


def _payee_note(line: StatementLine, who: Identified, item: LedgerItem) -> str:
    if who.code is None:
        return f"the ledger paid {item.payee}; the statement's counterparty " \
               f"{line.counterparty()} is not identified" + (f" ({who.warning})"
                                                              if who.warning else "")
    return f"the ledger paid {item.payee}; the statement's counterparty " \
           f"{line.counterparty()} is {who.code} (by {who.how})"


def ledger_items(state: Any) -> list[LedgerItem]:
    """The ledger's own money movements through the fund account, from the
    status read model: payments and deposit returns out, recoveries in."""
    out = []
    for claim in state.claims.values():
        for b in claim.batches:
            if b["paid_on"] is not None and b["paid"]:
                out.append(LedgerItem("payment", b["paid_on"], claim.institution_code,
                                      b["paid"], b["ref"],
                                      f"claim {claim.agreement}:{claim.month} batch "
                                      f"{b['batch']}"))
    for account in state.accounts.values():
        c = account.clearing
        if c is not None and c["returned"]:
            out.append(LedgerItem("deposit_return", c["cleared_on"], account.institution_code,
                                  c["returned"], c.get("ref", ""),
                                  f"deposit {account.agreement} {account.year}"))
        for r in account.recoveries:
            if r["kind"] == "recovered":
                out.append(LedgerItem("recovery", r["on"], account.institution_code,
                                      r["amount"], r["ref"],
                                      f"recovery {account.agreement} {account.year}"))
    return sorted(out, key=lambda d: (d.value_date, d.payee, d.reference))


def disbursements(state: Any) -> list[LedgerItem]:
    """The debit side only (payments and deposit returns)."""
    return [i for i in ledger_items(state) if i.direction == DEBIT]


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
