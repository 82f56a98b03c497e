"""Supervision: SUP. Leads, cases, the expert pool, screening and the
double-random draw. Each command's fields, result sentence and group are
declared once here (adapters/specs/__init__.py lists the module; the groups
are "Screening and the draw" and "Leads and cases", in that order, so the
reference's story has a drawn target to set aside).
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Mapping

from pydantic import BeforeValidator, Field

from adapters.boundary import Code, Day, Name, Text
from adapters.labels import word
from adapters.specs.spec import Spec, clause, listed
from adapters.specs.types import Fen, Strict
from domain.screening import RULES as SCREENING_RULES


def _instant(value: Any) -> datetime:
    """An instant is ISO 8601 with its offset (2026-12-01T00:00:00+08:00): a
    local time without one names no instant."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str):
        raise ValueError("an instant is written like 2026-12-01T00:00:00+08:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise ValueError("an instant carries its offset, e.g. +08:00")
    return parsed


Instant = Annotated[datetime, BeforeValidator(_instant)]
Source = Literal["complaint", "report", "referral"]
Reporter = Literal["staff", "employer", "injured_worker", "public"]
ScreeningRule = Literal[tuple(SCREENING_RULES)]  # type: ignore[valid-type]


class Complainant(Strict):
    name: Name = ""
    contact: Name = ""
    id_no: Name = ""


class ReceiveLead(Strict):
    number: Code
    source: Source
    institution: Code
    agreement: Code | None = None
    person_id: Code | None = None
    received_on: Day
    allegation: Text = Field(min_length=1)
    reporter: Reporter | None = None
    complainant: Complainant | None = None
    origin: Name = ""

class SetLeadAside(Strict):
    number: Code
    reason: Text = Field(min_length=1)

class OpenCase(Strict):
    number: Code
    leads: list[Code] = Field(min_length=1, max_length=100)
    summary: Text = Field(min_length=1)

class AddLeadToCase(Strict):
    number: Code
    lead: Code

class AssignCase(Strict):
    number: Code
    officers: list[Code] = Field(min_length=1, max_length=20)

class RecordCaseStep(Strict):
    number: Code
    step: Literal["call", "on_site_inspection", "network_monitoring"]
    summary: Text = Field(min_length=1)
    ref: Name = ""

class RequestExplanation(Strict):
    number: Code
    request: Code
    question: Text = Field(min_length=1)

class RecordCaseExplanation(Strict):
    number: Code
    request: Code
    summary: Text = ""

class Outcome(Strict):
    kind: Literal["finding", "suspension", "termination", "bar"]
    subject: Code
    ref: Code

class CloseCase(Strict):
    number: Code
    conclusion: Literal["founded", "unfounded"]
    reason: Text = Field(min_length=1)
    outcomes: list[Outcome] = Field(default_factory=list, max_length=50)

class AddExpert(Strict):
    agency: Code
    expert: Code
    name: Name = Field(min_length=1)
    field: Name = ""
    conflicts: list[Code] = Field(default_factory=list, max_length=200)

class DeclareExpertConflict(Strict):
    agency: Code
    expert: Code
    institution: Code

class RemoveExpert(Strict):
    agency: Code
    expert: Code
    reason: Text = Field(min_length=1)

class RunScreening(Strict):
    rules: list[ScreeningRule] = Field(default_factory=list)
    known_at: Instant | None = None
    threshold_fen: Fen | None = Field(default=None, alias="threshold")

class PublishDraw(Strict):
    number: Code
    agency: Code
    targets: int = Field(ge=1, le=10_000)
    per_target: int = Field(ge=1, le=20)
    seed_head: str = Field(pattern=r"^[0-9a-f]{64}$")
    seed_position: int = Field(ge=0)
    seed_instant: Instant


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _record_case_explanation(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"timing": clause("explained_late", lang, r["late"])
            or clause("explained_in_time", lang, True)}


def _close_case(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    # each outcome is "<kind> <subject> <ref>" (domain/service/supervision.py)
    outcomes = [" ".join([word("outcome_kind", kind, lang), *rest])
                for kind, *rest in (o.split(" ") for o in r["outcomes"])]
    return {"led": clause("case_led_to", lang, outcomes, outcomes=listed(outcomes, lang))}


def _run_screening(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    new = r["new_leads"]
    return {"count": len(new), "leads": clause("new_leads", lang, new,
                                               new_leads=listed(new, lang))}


def _step(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"step": word("case_step", r["step"], lang)}


LEADS = "Leads and cases"
DRAW = "Screening and the draw"
SPECS = [
    Spec("add_expert", AddExpert, DRAW),
    Spec("declare_expert_conflict", DeclareExpertConflict, DRAW),
    Spec("remove_expert", RemoveExpert, DRAW),
    Spec("run_screening", RunScreening, DRAW, values=_run_screening),
    Spec("publish_draw", PublishDraw, DRAW),
    Spec("receive_lead", ReceiveLead, LEADS),
    Spec("set_lead_aside", SetLeadAside, LEADS),
    Spec("open_case", OpenCase, LEADS),
    Spec("add_lead_to_case", AddLeadToCase, LEADS),
    Spec("assign_case", AssignCase, LEADS),
    Spec("record_case_step", RecordCaseStep, LEADS, values=_step),
    Spec("request_explanation", RequestExplanation, LEADS),
    Spec("record_case_explanation", RecordCaseExplanation, LEADS,
         values=_record_case_explanation),
    Spec("close_case", CloseCase, LEADS, values=_close_case),
]
