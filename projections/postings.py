"""The posting rules: what each money event does to the fund-position columns.

A projection handles events, one handler per event type, the way the
eventsourcing docs' projections do: a claim's or fund account's event, with
the little it needs to remember of earlier ones (each claim item's amount,
status and refusal reason), gives the change it makes to each column, in
fen. Rebuilding from the stored JSON then needs no aggregate to be decoded
and replayed, which is what makes a province rebuild in seconds
(docs/performance.md).

The aggregates stay the definition: ``money_numbers`` (projections/rows.py)
reads the same columns off a replayed Claim or FundAccount, and tests prove,
event by event over a generated province, that these rules give exactly the
difference the aggregates' own event bodies make. An event type with no rule
here is handled by that slower aggregate path (``has_rule`` is False), so a
new money event can never be silently dropped from the fund positions.

Handlers take the event's attributes as a mapping: the decoded JSON of a
stored event or a domain event's ``__dict__``; they read only whole-fen
integers, booleans and strings from it.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

Deltas = dict[str, int]


class ClaimMoney:
    """What a claim's money columns depend on: each item's amount, status and
    refusal reason (``held`` and ``refused:<reason>`` are sums over items;
    approvals and payments carry their own amounts)."""

    __slots__ = ("key", "items")

    def __init__(self, key: tuple[str, str, str, int], items: dict[str, list[Any]]) -> None:
        self.key = key         # (agency, agreement, institution, year)
        self.items = items     # item id -> [amount_fen, status, reason]

    @classmethod
    def from_aggregate(cls, claim: Any) -> "ClaimMoney":
        return cls((claim.agency, claim.agreement, claim.institution_code, claim.year),
                   {i: [row["amount_fen"], row["status"], row["reason"]]
                    for i, row in claim.items.items()})


class AccountMoney:
    """A fund account's columns are sums of its events' amounts."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[str, str, str, int]) -> None:
        self.key = key         # (agency, agreement, institution, year)

    @classmethod
    def from_aggregate(cls, account: Any) -> "AccountMoney":
        return cls((account.agency, account.agreement, account.institution_code, account.year))


_COUNTED = ("held", "refused")   # statuses with a column of their own


def _item_numbers(amount: int, status: str, reason: str) -> Deltas:
    out = {"claimed": amount}
    if status == "held":
        out["held"] = amount
    elif status == "refused":
        out[f"refused:{reason}"] = amount
    return out


def _change(deltas: Deltas, item: list[Any], amount: int, status: str, reason: str) -> None:
    """Move one item to its new amount, status and reason, adding the
    difference it makes to ``deltas``."""
    if amount == item[0] and status not in _COUNTED and item[1] not in _COUNTED:
        item[1], item[2] = status, reason   # only "claimed" counts it, and it is unchanged
        return
    for col, fen in _item_numbers(*item).items():
        deltas[col] = deltas.get(col, 0) - fen
    item[0], item[1], item[2] = amount, status, reason
    for col, fen in _item_numbers(*item).items():
        deltas[col] = deltas.get(col, 0) + fen


# --- Claim (domain/claim.py): the event bodies' effect on items and batches ----------
def claim_submitted(p: Mapping[str, Any]) -> tuple[ClaimMoney, Deltas]:
    money = ClaimMoney((p["agency"], p["agreement"], p["institution_code"],
                        int(p["month"][:4])), {})
    claimed = non_injury = 0
    for i in p["items"]:
        amount = i["amount_fen"]
        claimed += amount
        if i["injury"]:
            money.items[i["item_id"]] = [amount, "pending", ""]
        else:   # non-injury costs are refused from the start (PAY-09)
            money.items[i["item_id"]] = [amount, "refused", "non_injury"]
            non_injury += amount
    return money, {"claimed": claimed, "refused:non_injury": non_injury}


def _item_corrected(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
    item = m.items[p["item_id"]]
    status, reason = item[1], item[2]
    if not p["injury"]:
        status, reason = "refused", "non_injury"
    elif reason == "non_injury":
        status, reason = "pending", ""
    _change(d, item, p["amount_fen"], status, reason)


def _status(status: str, reason: str | None = None) -> Callable[..., None]:
    def handle(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
        item = m.items[p["item_id"]]
        _change(d, item, item[0], status, item[2] if reason is None else reason)
    return handle


def _explained(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
    item = m.items[p["item_id"]]
    if p["accepted"]:
        _change(d, item, item[0], "pending", "")
    else:
        _change(d, item, item[0], "refused", "noncompliant")


def _released(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
    item = m.items[p["item_id"]]
    if p["accident"]:
        _change(d, item, item[0], "refused", "medical_accident")   # never paid
    else:
        _change(d, item, item[0], "pending", item[2])


def _approved(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
    items = m.items
    for i in p["items"]:
        item = items[i]
        if item[1] in _COUNTED:
            _change(d, item, item[0], "approved", item[2])
        else:   # _change's own shortcut, without the call: most of a claim's items
            item[1] = "approved"
    d["approved"] = d.get("approved", 0) + p["approved"]
    d["deducted"] = d.get("deducted", 0) + p["deducted"]


def _paid(m: ClaimMoney, p: Mapping[str, Any], d: Deltas) -> None:
    d["paid"] = d.get("paid", 0) + p["paid"]
    d["withheld"] = d.get("withheld", 0) + p["withheld"]


def nothing(m: Any, p: Mapping[str, Any], d: Deltas) -> None:
    """The event moves no fund-position column (the sample, its review - a
    deduction counts when it is approved - and the deposit booked on the
    account, which the claim's payment already counts as withheld)."""


def fund_account_opened(p: Mapping[str, Any]) -> tuple[AccountMoney, Deltas]:
    return AccountMoney((p["agency"], p["agreement"], p["institution_code"], p["year"])), {}


def _adds(**columns: str) -> Callable[..., None]:
    """column=field: the column grows by the event's field."""
    def handle(m: AccountMoney, p: Mapping[str, Any], d: Deltas) -> None:
        for col, name in columns.items():
            d[col] = d.get(col, 0) + p[name]
    return handle


CREATED: dict[str, Callable[[Mapping[str, Any]], tuple[Any, Deltas]]] = {
    "Claim.Submitted": claim_submitted,
    "FundAccount.Opened": fund_account_opened,
}

RULES: dict[str, Callable[[Any, Mapping[str, Any], Deltas], None]] = {
    "Claim.ItemCorrected": _item_corrected,
    "Claim.SampleDrawn": nothing,
    "Claim.SampleItemReviewed": nothing,
    "Claim.ItemQueried": _status("queried"),
    "Claim.ItemExplained": _explained,
    "Claim.ItemRefusedUnexplained": _status("refused", "query_unexplained"),
    "Claim.ItemHeld": _status("held"),
    "Claim.HoldReleased": _released,
    "Claim.Approved": _approved,
    "Claim.Paid": _paid,
    "FundAccount.DepositWithheld": nothing,
    "FundAccount.DepositCleared": _adds(returned="returned", forfeited="forfeited"),
    "FundAccount.DepositForfeited": _adds(forfeited="amount_fen"),
    "FundAccount.RecoveryOrdered": _adds(to_recover="amount_fen"),
    "FundAccount.Recovered": _adds(recovered="amount_fen"),
}


def has_rule(event_name: str) -> bool:
    return event_name in CREATED or event_name in RULES


def from_aggregate(aggregate: Any) -> Any:
    """The posting state of a Claim or FundAccount replayed by the domain."""
    return (ClaimMoney if hasattr(aggregate, "items") else AccountMoney).from_aggregate(aggregate)


def created(event_name: str, payload: Mapping[str, Any]) -> tuple[Any, Deltas]:
    state, deltas = CREATED[event_name](payload)
    return state, {k: v for k, v in sorted(deltas.items()) if v}


def apply(event_name: str, state: Any, payload: Mapping[str, Any]) -> Deltas:
    """The non-zero column changes the event makes, in column order."""
    deltas: Deltas = {}
    RULES[event_name](state, payload, deltas)
    return {k: v for k, v in sorted(deltas.items()) if v}
