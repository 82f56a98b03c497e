"""The supervision questions answered by the fold over the log (the
definition the read model is held to: tests/test_supervision_read_model.py),
for the rule tests on the in-memory store, which has no read models."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.lead import Viewer
from domain.service import supervision as questions
from projections.deadlines import open_deadlines
from projections.status import build
from projections.supervision import leads_and_cases


def _events(ledger: Any) -> list[Any]:
    return [e for _, e in ledger.read_log()]


def institution_supervision(ledger: Any, code: str, viewer: Viewer,
                            on: date | None = None) -> dict[str, Any]:
    from domain.errors import NotFound
    agency = ledger.agency_of("institution", code)
    if agency is None:
        raise NotFound(f"unknown institution {code!r}")
    leads, cases = leads_and_cases(_events(ledger), as_of=on)
    return questions.institution_supervision(code, agency, leads, cases, viewer)


def open_cases(ledger: Any, viewer: Viewer, on: date, **kw: Any) -> list[dict[str, Any]]:
    events = _events(ledger)
    _, cases = leads_and_cases(events, as_of=on)
    deadlines = [d for d in open_deadlines(build(events, as_of=on), on)
                 if d["subject"].startswith("case ")]
    return questions.open_cases(cases, deadlines, viewer, **kw)


def alerts_by_rule(ledger: Any, viewer: Viewer, **kw: Any) -> list[dict[str, Any]]:
    leads, _ = leads_and_cases(_events(ledger))
    return questions.alerts_by_rule(leads, viewer, **kw)
