"""Admission: applications, evaluation and the rehab pilot: ADM and EVA: from the
application to the evaluation's conclusion. Each command's fields, result
sentence and group are declared once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from adapters.boundary import Code, Day, Name, Text
from adapters.specs.spec import Spec, clause, listed, worded
from adapters.specs.types import Deduction, MaterialItem, Points, Strict


class SubmitApplication(Strict):
    number: Code
    institution: Code
    materials: list[MaterialItem]  # type: ignore[valid-type]

class SendMaterialsNotice(Strict):
    application: Code
    notice_no: Code
    missing: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]
    supply_by: Day

class SupplyMaterials(Strict):
    application: Code
    items: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]

class ApplicationOnly(Strict):
    application: Code

class RequestSupplement(Strict):
    application: Code
    items: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]
    reason: Text = Field(min_length=1)

class DeclineApplication(Strict):
    application: Code
    reasons: list[Text] = Field(min_length=1)

class WithdrawApplication(Strict):
    application: Code
    reason: Text = Field(min_length=1)

class ExemptFromEvaluation(Strict):
    application: Code
    basic_medical_designation: Text = Field(min_length=1)
    fits_planning: bool

class Member(Strict):
    member_id: Code
    name: Name = ""
    role: Literal["expert", "agency_staff", "administrative_staff"] = "expert"
    conflict: Text | None = Field(None, description="the conflict of interest, if any: recused")

class FormPanel(Strict):
    evaluation: Code
    application: Code
    members: list[Member] = Field(min_length=1)

class RecordScores(Strict):
    evaluation: Code
    scored_by: list[Code] = Field(min_length=1)
    deductions: dict[str, list[Deduction]] = Field(default_factory=dict)
    awarded: dict[str, Points] = Field(default_factory=dict)
    veto_failed: list[Literal["V1", "V2", "V3", "V4", "V5"]] = Field(default_factory=list)

    @field_validator("deductions")
    @classmethod
    def _reasons(cls, v: dict[str, list[tuple[Decimal, str]]]):
        for code, rows in v.items():
            for amount, reason in rows:
                if amount <= 0:
                    raise ValueError(f"item {code}: a deduction is a positive number of points")
                if not reason.strip():
                    raise ValueError(f"item {code}: every deduction needs its reason (EVA-06)")
        return v

class ConcludeEvaluation(Strict):
    evaluation: Code
    report_no: Code
    served_on: Day | None = None
    validity_years: Literal[1, 2] | None = None
    reasons: list[Text] = Field(default_factory=list)
    advice: Text = ""

class SelectRehabPilot(Strict):
    agency: Code
    institution: Code

class ReleaseRehabPilot(Strict):
    agency: Code
    institution: Code
    reason: Text = Field(min_length=1)


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _submit_application(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    provisional = clause("provisional", lang, r.get("provisional"))
    return {"missing": clause("materials_missing", lang, r["missing"],
                              missing=worded("material", r["missing"], lang),
                              notice_due=r.get("notice_due"), provisional=provisional)
            or clause("materials_complete", lang, True)}


def _send_materials_notice(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"timing": clause("late_due_by", lang, r.get("late"), due=r["notice_due"])
            or clause("due_by", lang, True, due=r["notice_due"])}


def _supply_materials(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"evaluation": clause("evaluation_due", lang, r.get("evaluation_due"),
                                 evaluation_due=r.get("evaluation_due"))}


def _form_panel(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"recused": clause("recused", lang, r["recused"], count=len(r["recused"]),
                              recused=listed(r["recused"], lang))}


def _veto(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"veto": clause("veto_failed", lang, r["veto_failed"],
                           veto_failed=listed(r["veto_failed"], lang))}


def _conclude_evaluation(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    if r["passed"]:
        verdict = clause("evaluation_passed", lang, True, total=r["total"],
                         valid_until=r["valid_until"])
    else:
        why = clause("veto_items_failed", lang, r["veto_failed"],
                     veto_failed=listed(r["veto_failed"], lang)) \
            or clause("below_pass_mark", lang, True, total=r["total"])
        verdict = clause("evaluation_failed", lang, True, why=why)
    then = "" if r["passed"] else (
        clause("reapply_from", lang, r.get("reapply_from"), reapply_from=r.get("reapply_from"))
        or clause("reevaluation_from", lang, r.get("reevaluation_from"),
                  reevaluation_from=r.get("reevaluation_from")))
    return {"verdict": verdict, "then": then,
            "overdue": clause("evaluation_overdue", lang, r.get("overdue"),
                              evaluation_due=r.get("evaluation_due"))}


SPECS = [
    Spec("submit_application", SubmitApplication, 'Applications', values=_submit_application),
    Spec("send_materials_notice", SendMaterialsNotice, 'Applications', values=_send_materials_notice),
    Spec("supply_materials", SupplyMaterials, 'Applications', values=_supply_materials),
    Spec("accept_application", ApplicationOnly, 'Applications'),
    Spec("request_supplement", RequestSupplement, 'Applications'),
    Spec("decline_application", DeclineApplication, 'Applications'),
    Spec("withdraw_application", WithdrawApplication, 'Applications'),
    Spec("exempt_from_evaluation", ExemptFromEvaluation, 'Applications'),
    Spec("form_panel", FormPanel, 'Evaluation', values=_form_panel),
    Spec("record_scores", RecordScores, 'Evaluation', values=_veto),
    Spec("conclude_evaluation", ConcludeEvaluation, 'Evaluation', values=_conclude_evaluation),
    Spec("select_rehab_pilot", SelectRehabPilot, 'Rehab pilot'),
    Spec("release_rehab_pilot", ReleaseRehabPilot, 'Rehab pilot'),
]
