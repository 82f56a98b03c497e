"""Screening rules over the claims (SUP-06; M 4 智能监控, M 32 智能审核).

Each rule is a small pure function of the ledger as known at an instant
(:class:`Known`, folded from the log by :func:`fold`), returning alerts. An
alert names the rule, the institution, a stable key (so a rule run again
raises the same alert once) and the events it rests on, by notification id.
An alert is a reason to look, not a finding: it becomes a lead (source
``screening``), and a case decides (SUP-04).

Re-running a rule "as known at" an earlier instant folds only the events
recorded by then (AUD-03), so it shows what the rule would have raised then.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable
from uuid import UUID

from domain.agreement import Agreement
from domain.claim import Claim
from domain.errors import InvalidCommand
from domain.person import Person

# claims_jump: a month's total above 3 times the median of the institution's
# last 6 months; 3 months of history at least, so a new institution is not flagged
JUMP_FACTOR = 3
JUMP_WINDOW_MONTHS = 6
JUMP_HISTORY_MIN = 3
# repeated_item: the same line (description, amount, practitioner) in 3 months
REPEAT_MONTHS = 3
# amounts_under_threshold: 5 items or more, and 20% of the claim's items or
# more, in the 5% just under the review threshold. The measures set no
# threshold: it is the agency's own (manual review of items from it up), given
# with the run; this default is 5,000 yuan.
REVIEW_THRESHOLD_FEN = 500_000
BAND_PERCENT = 5
BUNCH_MIN_ITEMS = 5
BUNCH_SHARE_PERCENT = 20


@dataclass
class Known:
    """The aggregates as the log had them at an instant, and for each the
    events that made it: (notification id, event class, event)."""

    by_id: dict[UUID, Any] = field(default_factory=dict)
    refs: dict[UUID, list[tuple[int, str, Any]]] = field(default_factory=dict)

    def all(self, cls: type) -> list[Any]:
        return [a for a in self.by_id.values() if isinstance(a, cls)]

    def get(self, cls: Any, key: str) -> Any:
        return self.by_id.get(cls.id_for(key))

    def refs_of(self, aggregate: Any, *names: str) -> list[tuple[int, str, Any]]:
        return [r for r in self.refs.get(aggregate.id, []) if r[1].split(".")[-1] in names]


def fold(log: Iterable[tuple[int, Any]], known_at: datetime | None = None,
         *only: type) -> Known:
    """Replay the log's events recorded by ``known_at`` (all when None), of
    the aggregates of the classes ``only`` names (all when none)."""
    topics = {f"{cls.__module__}:{cls.__qualname__}" for cls in only}
    known = Known()
    for nid, e in log:
        if known_at is not None and e.timestamp > known_at:
            continue
        current = known.by_id.get(e.originator_id)
        if current is None and (not hasattr(e, "originator_topic")
                                or (topics and e.originator_topic not in topics)):
            continue
        known.by_id[e.originator_id] = e.mutate(current)
        known.refs.setdefault(e.originator_id, []).append((nid, type(e).__qualname__, e))
    return known


@dataclass(frozen=True)
class Alert:
    rule: str
    key: str
    institution: str
    agency: str
    agreement: str
    what: str
    rests_on: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "key": self.key, "institution": self.institution,
                "agency": self.agency, "agreement": self.agreement, "what": self.what,
                "rests_on": [dict(r) for r in self.rests_on]}


def _ref(ref: tuple[int, str, Any], subject: str) -> dict[str, Any]:
    return {"notification_id": ref[0], "event": ref[1], "subject": subject}


def _item_ref(known: Known, claim: Claim, item_id: str) -> dict[str, Any]:
    """The event that last set the item: its claim's submission or a correction."""
    found = [r for r in known.refs_of(claim, "Submitted")] + \
        [r for r in known.refs_of(claim, "ItemCorrected") if r[2].item_id == item_id]
    return _ref(found[-1], f"claim {claim.agreement}:{claim.month} item {item_id}")


def _live_items(claim: Claim) -> list[dict[str, Any]]:
    # refused items are never paid (PAY-04, PAY-09): no risk to the fund to screen
    return [i for i in claim.items.values() if i["status"] != "refused"]


# --- the rules ---------------------------------------------------------------------------
def item_outside_agreement_effect(known: Known, **_: Any) -> list[Alert]:
    """An item dated inside a suspension or on or after an ending. Submission
    and correction refuse such items (PAY-02, SUS-01, TER-03), so one in the
    log came in before a suspension or ending dated back over it was
    recorded: the fund may have paid for days no agreement covered, and a
    recovery (PAY-08) may be owed."""
    out = []
    for claim in known.all(Claim):
        ag = known.get(Agreement, claim.agreement)
        if ag is None:
            continue
        for item in _live_items(claim):
            allowed, rule, why = ag.settles_on(item["service_date"])
            if allowed:
                continue
            cause = known.refs_of(ag, "Ended") if rule == "TER-03" else \
                known.refs_of(ag, "Suspended", "SuspensionCorrected")
            rests = [_item_ref(known, claim, item["item_id"])] + \
                [_ref(r, f"agreement {ag.number}") for r in cause[-1:]]
            out.append(Alert("item_outside_agreement_effect",
                             f"{claim.agreement}:{claim.month}:{item['item_id']}",
                             claim.institution_code, claim.agency, claim.agreement,
                             f"item {item['item_id']} dated {item['service_date']}: {why} "
                             f"({rule})", tuple(rests)))
    return out


def barred_practitioner_item(known: Known, **_: Any) -> list[Alert]:
    """An item naming a practitioner barred on its date (SAN-02). Submission
    refuses it; one in the log came in before the bar was approved with a
    start over its date."""
    out = []
    for claim in known.all(Claim):
        for item in _live_items(claim):
            person = known.get(Person, item["practitioner_id"]) \
                if item.get("practitioner_id") else None
            bar = person.barred_on(item["service_date"]) if person else None
            if bar is None:
                continue
            approved = [r for r in known.refs_of(person, "BarApproved")
                        if r[2].bar_no == bar["bar_no"]]
            out.append(Alert("barred_practitioner_item",
                             f"{claim.agreement}:{claim.month}:{item['item_id']}",
                             claim.institution_code, claim.agency, claim.agreement,
                             f"item {item['item_id']} dated {item['service_date']} names "
                             f"{person.person_id}, barred ({bar['bar_no']}) from "
                             f"{bar['approved_on']} to {bar['until']}",
                             (_item_ref(known, claim, item["item_id"]),
                              *[_ref(r, f"person {person.person_id}") for r in approved[-1:]])))
    return out


def claims_jump(known: Known, **_: Any) -> list[Alert]:
    """An institution's month claimed far above its own history: more than
    JUMP_FACTOR times the median of its previous JUMP_WINDOW_MONTHS months'
    totals, with at least JUMP_HISTORY_MIN of them. The median, not the mean,
    so one earlier big month does not hide the next."""
    months: dict[str, dict[str, list[Claim]]] = {}
    for claim in known.all(Claim):
        months.setdefault(claim.institution_code, {}).setdefault(claim.month, []).append(claim)
    out = []
    for code, by_month in months.items():
        ordered = sorted(by_month)
        for i, month in enumerate(ordered):
            history = [sum(c.claimed for c in by_month[m]) for m in ordered[:i]
                       if _months_apart(m, month) <= JUMP_WINDOW_MONTHS]
            if len(history) < JUMP_HISTORY_MIN:
                continue
            total = sum(c.claimed for c in by_month[month])
            baseline = statistics.median(history)
            if total <= JUMP_FACTOR * baseline:
                continue
            claims = by_month[month]
            out.append(Alert("claims_jump", f"{code}:{month}", code, claims[0].agency,
                             ",".join(sorted(c.agreement for c in claims)),
                             f"{month}: {total} fen claimed, over {JUMP_FACTOR} x the median "
                             f"{baseline} fen of {len(history)} earlier month(s)",
                             tuple(_ref(r, f"claim {c.agreement}:{c.month}") for c in claims
                                   for r in known.refs_of(c, "Submitted"))))
    return out


def _months_apart(earlier: str, later: str) -> int:
    return (int(later[:4]) - int(earlier[:4])) * 12 + int(later[5:]) - int(earlier[5:])


def repeated_item(known: Known, **_: Any) -> list[Alert]:
    """The same line (description, amount, practitioner) claimed by one
    agreement in REPEAT_MONTHS months or more: a template billed every
    month rather than a service given."""
    seen: dict[tuple[str, str, int, str], list[tuple[Claim, dict[str, Any]]]] = {}
    for claim in known.all(Claim):
        for item in _live_items(claim):
            text = " ".join(str(item.get("description") or "").split())
            if not text:
                continue
            key = (claim.agreement, text, item["amount_fen"], item.get("practitioner_id") or "")
            seen.setdefault(key, []).append((claim, item))
    out = []
    for (agreement, text, amount, practitioner), rows in sorted(seen.items()):
        months = sorted({c.month for c, _ in rows})
        if len(months) < REPEAT_MONTHS:
            continue
        first = rows[0][0]
        out.append(Alert("repeated_item", f"{agreement}:{text}:{amount}:{practitioner}",
                         first.institution_code, first.agency, agreement,
                         f"{text!r} at {amount} fen" + (f" by {practitioner}" if practitioner
                                                        else "")
                         + f" claimed in {len(months)} months: {', '.join(months)}",
                         tuple(_item_ref(known, c, i["item_id"]) for c, i in
                               sorted(rows, key=lambda r: (r[0].month, r[1]["item_id"])))))
    return out


def amounts_under_threshold(known: Known, *, threshold_fen: int = REVIEW_THRESHOLD_FEN,
                            **_: Any) -> list[Alert]:
    """Amounts bunched just under the review threshold: at least
    BUNCH_MIN_ITEMS items, and BUNCH_SHARE_PERCENT% of the claim's items, in
    the BAND_PERCENT% below it. Splitting or trimming bills to stay under
    the line that triggers a manual review leaves this shape."""
    low = threshold_fen - threshold_fen * BAND_PERCENT // 100
    out = []
    for claim in known.all(Claim):
        items = _live_items(claim)
        under = [i for i in items if low <= i["amount_fen"] < threshold_fen]
        if len(under) < BUNCH_MIN_ITEMS or len(under) * 100 < BUNCH_SHARE_PERCENT * len(items):
            continue
        out.append(Alert("amounts_under_threshold", f"{claim.agreement}:{claim.month}",
                         claim.institution_code, claim.agency, claim.agreement,
                         f"{len(under)} of {len(items)} items between {low} and "
                         f"{threshold_fen - 1} fen, just under the review threshold "
                         f"{threshold_fen} fen",
                         tuple(_item_ref(known, claim, i["item_id"]) for i in
                               sorted(under, key=lambda i: i["item_id"]))))
    return out


RULES: dict[str, Callable[..., list[Alert]]] = {
    f.__name__: f for f in (item_outside_agreement_effect, barred_practitioner_item,
                            claims_jump, repeated_item, amounts_under_threshold)}


def screen(known: Known, rules: Iterable[str] = (), *,
           threshold_fen: int = REVIEW_THRESHOLD_FEN) -> list[Alert]:
    """The alerts of the named rules (every rule when none is named), by rule and key."""
    names = list(rules) or list(RULES)
    unknown = [n for n in names if n not in RULES]
    if unknown:
        raise InvalidCommand("unknown screening rule(s) {unknown}", rule="SUP-06",
                             remedy="use one of {RULES}", key="refusal.screening.unknown_screening_rule_s",
                             values={"unknown": ', '.join(unknown), "RULES": ', '.join(RULES)})
    alerts = [a for n in names for a in RULES[n](known, threshold_fen=threshold_fen)]
    return sorted(alerts, key=lambda a: (a.rule, a.key))
