"""Everything as it stood: institutions, people, applications, evaluations,
agreements, disputes.

``build(events, as_of=..., known_at=...)`` folds the event log into plain
aggregates, re-using each event's own ``apply`` (the aggregates' ``@event``
bodies), so the read model cannot drift from the rules that wrote it.
``as_of`` keeps only events that had taken effect by that business date;
``known_at`` keeps only events recorded by that instant (AUD-03). The fold is
a pure function of the events: a rebuild gives the same state (AUD-02).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from domain.agency import Agency
from domain.agreement import Agreement
from domain.application import Application
from domain.assessment import Assessment
from domain.claim import Claim
from domain.fund_account import FundAccount
from domain.calendar import WorkingCalendar
from domain.calendar_book import CalendarBook
from domain.dispute import Dispute
from domain.evaluation import Evaluation
from domain.institution import Institution
from domain.person import Person

_TABLES = {  # aggregate class -> (table name, business key attribute)
    Institution: ("institutions", "code"),
    Person: ("persons", "person_id"),
    Application: ("applications", "number"),
    Evaluation: ("evaluations", "number"),
    Agreement: ("agreements", "number"),
    Dispute: ("disputes", "number"),
    Agency: ("agencies", "code"),
    Claim: ("claims", "_claim_key"),
    FundAccount: ("accounts", "_account_key"),
    Assessment: ("assessments", "_account_key"),
}


@dataclass
class LedgerState:
    institutions: dict[str, Institution] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)            # "agreement:YYYY-MM"
    accounts: dict[str, FundAccount] = field(default_factory=dict)    # "agreement:YYYY"
    assessments: dict[str, Assessment] = field(default_factory=dict)  # "agreement:YYYY"
    calendar_book: CalendarBook | None = None
    events_applied: int = 0
    index: dict[Any, Any] = field(default_factory=dict)  # aggregate id -> aggregate

    def calendar(self) -> WorkingCalendar:
        return self.calendar_book.calendar() if self.calendar_book else WorkingCalendar()


def visible(e: Any, as_of: date | None, known_at: datetime | None) -> bool:
    eff = getattr(e, "effective_on", None)
    if as_of is not None and eff is not None and eff > as_of:
        return False
    if known_at is not None and e.timestamp > known_at:
        return False
    return True


def build(events: Iterable[Any], *, as_of: date | None = None,
          known_at: datetime | None = None) -> LedgerState:
    state = LedgerState()
    for e in events:
        if visible(e, as_of, known_at):
            apply(state, e)
    return state


def apply(state: LedgerState, e: Any) -> None:
    """Apply one event. Events of an aggregate whose creation is not visible
    (recorded later, or effective later) are skipped with it."""
    if hasattr(e, "originator_topic"):
        aggregate = e.mutate(None)
        state.index[e.originator_id] = aggregate
        if isinstance(aggregate, CalendarBook):
            state.calendar_book = aggregate
        for cls, (table, key) in _TABLES.items():
            if isinstance(aggregate, cls):
                getattr(state, table)[_key(aggregate, key)] = aggregate
    else:
        aggregate = state.index.get(e.originator_id)
        if aggregate is None:
            return
        # Not mutate(): with as_of a later-dated event of the same aggregate
        # may be left out, so versions need not be consecutive here.
        e.apply(aggregate)
        aggregate.version = e.originator_version
    state.events_applied += 1


def _key(aggregate: Any, attr: str) -> str:
    if attr == "_claim_key":
        return f"{aggregate.agreement}:{aggregate.month}"
    if attr == "_account_key":
        return f"{aggregate.agreement}:{aggregate.year}"
    return getattr(aggregate, attr)
