"""Admission evaluation (评估): the panel, the F2 score sheet and the written
report that closes it (EVA-01..06; M 13, 15)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import add_months, add_years
from domain.errors import InvalidCommand, RuleViolation
from domain.forms import Form, ScoreError, f2_form_for, score_items

PANEL_MIN = 7                 # EVA-01: "一般为7人以上单数"
PASS_MARK = Decimal(90)       # EVA-04: "得分90分以上的为合格"
VALIDITY_YEARS = (1, 2)       # EVA-04: "评审结果有效期1-2年"
REEVALUATION_WAIT_MONTHS = 3  # EVA-05: "整改3个月后可再次组织评估"
SECOND_FAIL_BAR_YEARS = 1     # EVA-05: "评估仍不合格的,1年内不得再次申请"


def check_panel(members: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """EVA-01: returns (scoring members, recused members)."""
    ids = [m["member_id"] for m in members]
    if len(set(ids)) != len(ids):
        raise InvalidCommand("a panel member is listed twice", rule="EVA-01",
                             remedy="list each member once",
                             key="refusal.evaluation.panel_member_listed_twice")
    recused = [m["member_id"] for m in members if m.get("conflict")]
    scoring = [i for i in ids if i not in recused]
    if len(scoring) < PANEL_MIN or len(scoring) % 2 == 0:
        raise RuleViolation("the panel has {scoring} scoring member(s) after {recused} "
                            "recusal(s); M 13 needs an odd number of at least {PANEL_MIN}",
                            rule="EVA-01",
                            remedy="add or remove members so that an odd number of 7 or more "
                                   "can score", key="refusal.evaluation.panel_has_scoring_member",
                            values={"scoring": len(scoring), "recused": len(recused),
                            "PANEL_MIN": PANEL_MIN})
    return scoring, recused


class Evaluation(LedgerAggregate):
    """One evaluation of one application (the first, or the re-evaluation)."""

    @staticmethod
    def id_for(number: str):
        return stable_id("evaluation", number)

    @classmethod
    def form_panel(cls, *, number: str, application_no: str, institution_code: str,
                   attempt: int, kind: str, subtype: str | None,
                   members: list[dict[str, Any]], effective_on: date,
                   envelope: Envelope) -> "Evaluation":
        scoring, recused = check_panel(members)
        form = f2_form_for(kind, subtype)
        return cls._create(cls.PanelFormed, id=cls.id_for(number), number=number,
                           application_no=application_no, institution_code=institution_code,
                           attempt=attempt, form_id=form.form_id, kind=kind, subtype=subtype,
                           members=members, recused=recused, effective_on=effective_on,
                           envelope=envelope)

    class PanelFormed(LedgerAggregate.Created):
        number: str
        application_no: str
        institution_code: str
        attempt: int
        form_id: str
        kind: str
        subtype: str | None
        members: list[dict[str, Any]]
        recused: list[str]
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, application_no: str, institution_code: str, attempt: int,
                 form_id: str, kind: str, subtype: str | None, members: list[dict[str, Any]],
                 recused: list[str], effective_on: date) -> None:
        self.number = number
        self.application_no = application_no
        self.institution_code = institution_code
        self.attempt = attempt
        self.form_id = form_id
        self.kind = kind
        self.subtype = subtype
        self.members = [dict(m) for m in members]
        self.recused = list(recused)
        self.formed_on = effective_on
        self.sheet: dict[str, Any] | None = None
        self.result: dict[str, Any] | None = None

    @property
    def form(self) -> Form:
        return f2_form_for(self.kind, self.subtype)

    @property
    def scoring_members(self) -> list[str]:
        return [m["member_id"] for m in self.members if m["member_id"] not in self.recused]

    # --- the score sheet (EVA-02, EVA-03, EVA-06 working papers) ---------------
    def record_scores(self, *, scored_by: list[str], deductions: dict[str, list[list[Any]]],
                      awarded: dict[str, Decimal], veto_failed: list[str],
                      effective_on: date, envelope: Envelope) -> None:
        if self.result is not None:
            raise RuleViolation("evaluation {number} is concluded", rule="EVA-06",
                                remedy="a concluded evaluation is not re-scored",
                                key="refusal.evaluation.evaluation_concluded_number",
                                values={"number": self.number})
        if self.sheet is not None:
            raise RuleViolation("evaluation {number} already has a score sheet", rule="EVA-06",
                                remedy="conclude the evaluation; its working papers stay as "
                                       "recorded", key="refusal.evaluation.evaluation_already_has_score",
                                values={"number": self.number})
        blocked = sorted(set(scored_by) & set(self.recused))
        if blocked:
            raise RuleViolation("recused member(s) cannot score: {blocked}", rule="EVA-01",
                                remedy="remove recused members from scored_by",
                                key="refusal.evaluation.recused_member_s_cannot",
                                values={"blocked": ', '.join(blocked)})
        strangers = sorted(set(scored_by) - {m["member_id"] for m in self.members})
        if strangers:
            raise RuleViolation("not on the panel: {strangers}", rule="EVA-01",
                                remedy="only panel members score", key="refusal.evaluation.not_on_panel",
                                values={"strangers": ', '.join(strangers)})
        if sorted(set(scored_by)) != sorted(self.scoring_members):
            raise RuleViolation("every non-recused panel member signs the score sheet",
                                rule="EVA-01", remedy="scored_by must be {scoring_members}",
                                key="refusal.evaluation.every_non_recused_panel",
                                values={"scoring_members": ', '.join(self.scoring_members)})
        result = self._score(deductions, awarded, veto_failed)
        self._scored(scored_by=sorted(scored_by),
                     deductions={k: [[Decimal(a), r] for a, r in v] for k, v in deductions.items()},
                     awarded=dict(awarded), veto_failed=sorted(veto_failed),
                     item_points=dict(result.item_points), total=result.total,
                     effective_on=effective_on, envelope=envelope)

    def _score(self, deductions, awarded, veto_failed):
        try:
            return score_items(self.form, kind=self.kind,
                               deductions={k: [(Decimal(a), r) for a, r in v]
                                           for k, v in deductions.items()},
                               awarded=awarded, veto_failed=veto_failed)
        except ScoreError as e:
            raise RuleViolation(str(e), rule=getattr(e, "rule", "EVA-03"),
                                remedy=getattr(e, "remedy", "")) from None

    @event("Scored")
    def _scored(self, scored_by: list[str], deductions: dict[str, Any],
                awarded: dict[str, Decimal], veto_failed: list[str],
                item_points: dict[str, Decimal], total: Decimal, effective_on: date,
                envelope: Envelope) -> None:
        self.sheet = {"scored_by": list(scored_by), "deductions": deductions,
                      "awarded": dict(awarded), "veto_failed": list(veto_failed),
                      "item_points": dict(item_points), "total": total,
                      "scored_on": effective_on}

    # --- the result and the written report (EVA-04..06) ------------------------
    def conclude(self, *, report_no: str, served_on: date, validity_years: int | None,
                 reasons: list[str], advice: str, effective_on: date,
                 envelope: Envelope) -> dict[str, Any]:
        if self.result is not None:
            raise RuleViolation("evaluation {number} is already concluded", rule="EVA-06",
                                remedy="nothing to do",
                                key="refusal.evaluation.evaluation_already_concluded",
                                values={"number": self.number})
        if self.sheet is None:
            raise RuleViolation("no score sheet: the total is computed from it", rule="EVA-03",
                                remedy="record the panel's scores first",
                                key="refusal.evaluation.no_score_sheet_total")
        if not report_no.strip():
            raise InvalidCommand("a written evaluation report closes every evaluation",
                                 rule="EVA-06", remedy="give the report number",
                                 key="refusal.evaluation.written_evaluation_report_closes")
        if served_on < effective_on:
            raise InvalidCommand("the result cannot be served before it is decided", rule="EVA-05",
                                 remedy="serve on or after {effective_on}",
                                 key="refusal.evaluation.result_cannot_served_before",
                                 values={"effective_on": effective_on})
        total = Decimal(self.sheet["total"])
        passed = total >= PASS_MARK and not self.sheet["veto_failed"]  # EVA-03, EVA-04
        valid_until = None
        if passed:
            if validity_years not in VALIDITY_YEARS:
                raise InvalidCommand("a pass is valid for 1 or 2 years, set by the agency",
                                     rule="EVA-04", remedy="give validity_years 1 or 2",
                                     key="refusal.evaluation.pass_valid_for_or")
            valid_until = add_years(effective_on, validity_years)
        else:
            if validity_years:
                raise InvalidCommand("a fail has no validity", rule="EVA-04",
                                     remedy="leave validity_years empty",
                                     key="refusal.evaluation.fail_has_no_validity")
            if not reasons or not advice.strip():
                raise InvalidCommand("a fail is served with its reasons and rectification advice",
                                     rule="EVA-05", remedy="give reasons and advice",
                                     key="refusal.evaluation.fail_served_with_its")
        self._concluded(report_no=report_no, served_on=served_on, total=total, passed=passed,
                        veto_failed=list(self.sheet["veto_failed"]),
                        validity_years=validity_years, valid_until=valid_until,
                        reasons=list(reasons), advice=advice, effective_on=effective_on,
                        envelope=envelope)
        return dict(self.result or {})

    @event("Concluded")
    def _concluded(self, report_no: str, served_on: date, total: Decimal, passed: bool,
                   veto_failed: list[str], validity_years: int | None,
                   valid_until: date | None, reasons: list[str], advice: str,
                   effective_on: date, envelope: Envelope) -> None:
        self.result = {"report_no": report_no, "result_on": effective_on,
                       "served_on": served_on, "total": total, "passed": passed,
                       "veto_failed": list(veto_failed), "validity_years": validity_years,
                       "valid_until": valid_until, "reasons": list(reasons), "advice": advice}

    # --- derived dates ---------------------------------------------------------
    @property
    def reevaluation_from(self) -> date | None:
        """EVA-05: a failed result may be re-evaluated once 3 months of
        rectification have passed since service: the months end on the
        corresponding day (CAL-03, CAL-05), so the first day allowed is the next."""
        if self.result is None or self.result["passed"]:
            return None
        return add_months(self.result["served_on"], REEVALUATION_WAIT_MONTHS) + timedelta(days=1)

    @property
    def reapply_from(self) -> date | None:
        """EVA-05: a failed re-evaluation bars a new application for 1 year;
        the first day one may apply again is the day after that year ends."""
        if self.result is None or self.result["passed"] or self.attempt < 2:
            return None
        return add_years(self.result["served_on"], SECOND_FAIL_BAR_YEARS) + timedelta(days=1)

    def pass_valid_on(self, on: date) -> bool:
        """EVA-04: the pass is valid from the result date through the day its
        1 or 2 years end (CAL-05: counted from the day after the result)."""
        r = self.result
        return bool(r and r["passed"] and r["result_on"] <= on <= r["valid_until"])

    def state(self) -> dict[str, Any]:
        return {"number": self.number, "application": self.application_no,
                "attempt": self.attempt, "form_id": self.form_id,
                "members": [m["member_id"] for m in self.members], "recused": self.recused,
                "sheet": self.sheet, "result": self.result}
