"""Evaluation: the panel, its score sheet and report (EVA-01..06), and the
rehab pilot that selects among passed institutions (ADM-07, M 17).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.agency import Agency, check_agency
from domain.application import Application as AdmissionApplication
from domain.base import Context
from domain.errors import RuleViolation
from domain.evaluation import Evaluation
from domain.policies.admission import require_panel_may_form
from domain.service.commanding import command
from domain.service.standing import Standing


class EvaluationCommands(Standing):
    """The evaluation of an application, and the rehab pilot."""

    # --- evaluation (EVA-01..06) ----------------------------------------------
    @command
    def form_panel(self, ctx: Context, *, evaluation: str, application: str,
                   members: list[dict[str, Any]]):
        app = self._get(AdmissionApplication, application, "application")
        if self._find(Evaluation, evaluation, "evaluation") is not None:
            raise RuleViolation("evaluation number {evaluation} is already used",
                                remedy="give the evaluation a new number",
                                key="refusal.service_evaluation.evaluation_number_already_used",
                                values={"evaluation": evaluation})
        previous = (self._get(Evaluation, app.evaluations[-1], "evaluation")
                    if app.evaluations else None)
        require_panel_may_form(app, previous, ctx.effective_on)
        members = [dict(m) for m in members]
        ev = Evaluation.form_panel(number=evaluation, application_no=application,
                                   institution_code=app.institution_code,
                                   attempt=len(app.evaluations) + 1, kind=app.kind,
                                   subtype=app.subtype, members=members,
                                   effective_on=ctx.effective_on, envelope=ctx.envelope)
        app.start_evaluation(evaluation_no=evaluation, effective_on=ctx.effective_on,
                             envelope=ctx.envelope)
        return [ev, app], {"evaluation": evaluation, "attempt": ev.attempt,
                           "form": ev.form_id, "scoring_members": len(ev.scoring_members),
                           "recused": ev.recused}

    @command
    def record_scores(self, ctx: Context, *, evaluation: str, scored_by: list[str],
                      deductions: dict[str, list[list[Any]]], awarded: dict[str, Decimal],
                      veto_failed: list[str]):
        ev = self._get(Evaluation, evaluation, "evaluation")
        ev.record_scores(scored_by=scored_by, deductions=deductions, awarded=awarded,
                         veto_failed=veto_failed, effective_on=ctx.effective_on,
                         envelope=ctx.envelope)
        return [ev], {"evaluation": evaluation, "total": ev.sheet["total"],
                      "veto_failed": ev.sheet["veto_failed"]}

    @command
    def conclude_evaluation(self, ctx: Context, *, evaluation: str, report_no: str,
                            served_on: date | None, validity_years: int | None,
                            reasons: list[str], advice: str):
        ev = self._get(Evaluation, evaluation, "evaluation")
        app = self._get(AdmissionApplication, ev.application_no, "application")
        result = ev.conclude(report_no=report_no, served_on=served_on or ctx.effective_on,
                             validity_years=validity_years, reasons=reasons, advice=advice,
                             effective_on=ctx.effective_on,
                             envelope=ctx.with_document(report_no).envelope)
        final = ev.attempt >= 2
        app.note_result(evaluation_no=evaluation, passed=result["passed"], final=final,
                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        # ADM-05 times the evaluation that acceptance starts; a re-evaluation
        # comes after the 3-month rectification (EVA-05) and has no such clock.
        due = app.evaluation_due if ev.attempt == 1 else None
        return [ev, app], {
            "evaluation": evaluation, "passed": result["passed"], "total": result["total"],
            "veto_failed": result["veto_failed"], "valid_until": result["valid_until"],
            "reevaluation_from": ev.reevaluation_from, "reapply_from": ev.reapply_from,
            "overdue": bool(due and ctx.effective_on > due), "evaluation_due": due}

    # --- the rehab pilot (ADM-07) ----------------------------------------------
    @command
    def select_rehab_pilot(self, ctx: Context, *, agency: str, institution: str):
        check_agency(agency)
        inst = self._institution_on(institution, ctx)
        if inst.kind != "rehab":
            raise RuleViolation("{institution} is a {kind} institution", rule="ADM-07",
                                remedy="only rehab institutions join the rehab pilot",
                                key="refusal.service_evaluation.institution_institution_kind",
                                values={"institution": institution, "kind": inst.kind})
        if inst.agency != agency:
            raise RuleViolation("{institution} belongs to agency {agency}, not {agency2}",
                                rule="ADM-07", remedy="select it as a pilot of {agency}",
                                key="refusal.service_evaluation.belongs_agency_not",
                                values={"institution": institution, "agency": inst.agency,
                                "agency2": agency})
        if not self.valid_pass(inst, ctx.effective_on):
            raise RuleViolation("{institution} holds no valid evaluation pass on {effective_on}",
                                rule="ADM-07",
                                remedy="M 17 selects among institutions that passed evaluation",
                                key="refusal.service_evaluation.holds_no_valid_evaluation",
                                values={"institution": institution,
                                "effective_on": ctx.effective_on})
        ag = self._find(Agency, agency, "agency") or Agency.open(agency, ctx.effective_on,
                                                                 ctx.envelope)
        ag.select_rehab_pilot(institution, ctx.effective_on, ctx.envelope)
        return [ag], {"agency": agency, "rehab_pilots": sorted(ag.rehab_pilots)}

    @command
    def release_rehab_pilot(self, ctx: Context, *, agency: str, institution: str,
                            reason: str):
        ag = self._get(Agency, agency, "agency")
        ag.release_rehab_pilot(institution, ctx.effective_on, ctx.envelope, reason)
        return [ag], {"agency": agency, "rehab_pilots": sorted(ag.rehab_pilots)}
