"""Leads and cases as they stood on a business date as known at an instant:
the pure fold that defines the supervision read model (``rm_supervision``,
adapters/readmodels/supervision.py), which tests hold equal to it.

A lead's record is ``Lead.record()`` (personal data and all: a reader's view
is ``domain.lead.lead_view``), a case's is ``Case.state()``, each the
aggregate folded by its own event bodies over the events recorded by the
instant that had taken effect by the day (``projections.status.build``: an
event of an aggregate whose creation had not yet taken effect is left out
with it).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Iterable

from domain.case import Case
from domain.lead import Lead
from projections.status import build

KINDS: dict[type, str] = {Lead: "lead", Case: "case"}


def record_of(aggregate: Any) -> dict[str, Any]:
    """What the read model keeps of a lead or a case."""
    return aggregate.record() if isinstance(aggregate, Lead) else aggregate.state()


def subject_of(aggregate: Any) -> str:
    return f"{KINDS[type(aggregate)]} {aggregate.number}"


def records(events: Iterable[Any], *, as_of: date | None = None,
            known_at: datetime | None = None) -> dict[str, dict[str, Any]]:
    """{"lead L": record, "case C": record} of every lead and case on
    ``as_of`` as known at ``known_at`` (each axis unbounded when None)."""
    state = build(events, as_of=as_of, known_at=known_at)
    return {subject_of(a): record_of(a) for a in state.index.values()
            if type(a) in KINDS}


def timeline(events: list[Any], compute: Callable[[dict[Any, Any]], Any]
             ) -> list[tuple[date, Any]]:
    """[(day, what ``compute`` gives of the aggregates folded as of day)] at
    every business date one of ``events`` (in recording order) takes effect
    on, a point each: the read model's rows for a subject whose events came
    out of business-date order."""
    out = []
    for day in sorted({e.effective_on for e in events}):
        out.append((day, compute(build(events, as_of=day).index)))
    return out


def leads_and_cases(events: Iterable[Any], *, as_of: date | None = None,
                    known_at: datetime | None = None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records of the leads and of the cases, as ``records`` folds them:
    what domain/service/supervision.py's questions take."""
    found = records(events, as_of=as_of, known_at=known_at)
    return ([r for s, r in found.items() if s.startswith("lead ")],
            [r for s, r in found.items() if s.startswith("case ")])
