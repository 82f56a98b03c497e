"""The annual assessment of an agreement on its F6 form (ASM-01..04; M 34,
47, 48; annex 6). The total is computed from the item scores; a veto sets the
year to 0; the views of employers and social supervisors and the injured
workers' satisfaction are recorded with it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation
from domain.forms import ScoreError, f6_form_for, score_items, survey_to_assistive_item5


class Assessment(LedgerAggregate):
    @staticmethod
    def key(agreement: str, year: int) -> str:
        return f"{agreement}:{year}"

    @staticmethod
    def id_for(key: str):
        return stable_id("assessment", key)

    @classmethod
    def record(cls, *, agreement: str, institution_code: str, kind: str, year: int,
               deductions: dict[str, list[list[Any]]], awarded: dict[str, Decimal],
               veto_failed: list[str], survey: dict[str, Decimal] | None,
               employer_views: list[str], supervisor_views: list[str], satisfaction: str,
               effective_on: date, envelope: Envelope) -> "Assessment":
        form = f6_form_for(kind)
        if not employer_views or not supervisor_views:
            raise RuleViolation("the views of employers with many injured workers and of social "
                                "supervisors are recorded with the assessment", rule="ASM-04",
                                remedy="give employer_views and supervisor_views (M 48)",
                                key="refusal.assessment.views_employers_with_many")
        awarded = dict(awarded)
        if kind == "assistive":
            if not survey:
                raise RuleViolation("the assistive form's service quality (20 points) comes "
                                    "from the satisfaction survey", rule="ASM-01",
                                    remedy="give the survey answers Q1-Q7",
                                    key="refusal.assessment.assistive_form_s_service")
            if "5" in awarded or "5" in deductions:
                raise RuleViolation("item 5 is the survey total, not scored directly",
                                    rule="ASM-01", remedy="give the survey answers instead",
                                    key="refusal.assessment.item_survey_total_not")
            try:
                awarded["5"] = survey_to_assistive_item5(survey)
            except (ScoreError, LookupError, ValueError) as e:
                raise RuleViolation(str(e), rule=getattr(e, "rule", "ASM-01"),
                                    remedy=getattr(e, "remedy", "answer Q1-Q7 on their scales"))
        elif not satisfaction.strip():
            raise RuleViolation("a satisfaction measure of injured workers' views is recorded",
                                rule="ASM-04", remedy="give satisfaction (M 47)",
                                key="refusal.assessment.satisfaction_measure_injured_workers")
        try:
            result = score_items(form, kind=kind,
                                 deductions={k: [(Decimal(a), r) for a, r in v]
                                             for k, v in deductions.items()},
                                 awarded=awarded, veto_failed=veto_failed)
        except ScoreError as e:
            raise RuleViolation(str(e), rule=getattr(e, "rule", "ASM-03"),
                                remedy=getattr(e, "remedy", "")) from None
        return cls._create(cls.Recorded, id=cls.id_for(cls.key(agreement, year)),
                           agreement=agreement, institution_code=institution_code, kind=kind,
                           year=year, form_id=form.form_id,
                           deductions={k: [[Decimal(a), r] for a, r in v]
                                       for k, v in deductions.items()},
                           awarded=awarded, veto_failed=sorted(veto_failed),
                           survey=dict(survey or {}), item_points=dict(result.item_points),
                           total=result.total, employer_views=list(employer_views),
                           supervisor_views=list(supervisor_views), satisfaction=satisfaction,
                           effective_on=effective_on, envelope=envelope)

    class Recorded(LedgerAggregate.Created):
        agreement: str
        institution_code: str
        kind: str
        year: int
        form_id: str
        deductions: dict[str, Any]
        awarded: dict[str, Decimal]
        veto_failed: list[str]
        survey: dict[str, Decimal]
        item_points: dict[str, Decimal]
        total: Decimal
        employer_views: list[str]
        supervisor_views: list[str]
        satisfaction: str
        effective_on: date
        envelope: Envelope

    def __init__(self, agreement: str, institution_code: str, kind: str, year: int,
                 form_id: str, item_points: dict[str, Decimal], total: Decimal,
                 veto_failed: list[str], effective_on: date) -> None:
        self.agreement = agreement
        self.institution_code = institution_code
        self.kind = kind
        self.year = year
        self.form_id = form_id
        self.item_points = dict(item_points)
        self.total = Decimal(total)   # ASM-02: 0 after a veto (computed by the form)
        self.veto_failed = list(veto_failed)
        self.assessed_on = effective_on

    def state(self) -> dict[str, Any]:
        return {"agreement": self.agreement, "year": self.year, "form": self.form_id,
                "total": self.total, "veto_failed": self.veto_failed}
