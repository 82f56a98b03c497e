"""Admission: applications, evaluation and the rehab pilot: ADM and EVA: from the
application to the evaluation's conclusion. Each command's fields, result
sentence and group are declared once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from adapters.boundary import Code, Day, Name, Text
from adapters.specs.spec import items_in_words, Spec
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


# --- what a case officer reads back ---------------------------------------------
def _submit_application(r: dict[str, Any]) -> str:
    if r["missing"]:
        prov = " (provisional: the holiday arrangement for that year is not known)" \
            if r.get("provisional") else ""
        text = (f"Application {r['application']} received; missing materials: "
                f"{items_in_words(r['missing'])}. The one-time notice is due by "
                f"{r['notice_due']}{prov} (ADM-04).")
    else:
        text = f"Application {r['application']} received with all five M 12 materials."
    return text


def _send_materials_notice(r: dict[str, Any]) -> str:
    late = " LATE: it was due by " + str(r["notice_due"]) if r.get("late") else \
        f" (due by {r['notice_due']})"
    text = f"One-time notice {r['notice_no']} sent for {r['application']}{late}."
    return text


def _supply_materials(r: dict[str, Any]) -> str:
    text = f"Materials supplied for {r['application']}; still missing: " \
           f"{items_in_words(r['still_missing'])}."
    if r.get("evaluation_due"):
        text += f" Evaluation now due by {r['evaluation_due']}."
    return text


def _accept_application(r: dict[str, Any]) -> str:
    text = f"Application {r['application']} accepted; the evaluation must end by " \
           f"{r['evaluation_due']} (ADM-05)."
    return text


def _request_supplement(r: dict[str, Any]) -> str:
    text = f"Supplementary materials requested for {r['application']}; the evaluation " \
           f"clock is paused (ADM-05)."
    return text


def _decline_application(r: dict[str, Any]) -> str:
    text = f"Application {r['application']} not accepted (不予受理)."
    return text


def _withdraw_application(r: dict[str, Any]) -> str:
    text = f"Application {r['application']} withdrawn."
    return text


def _exempt_from_evaluation(r: dict[str, Any]) -> str:
    text = f"Application {r['application']} exempted from evaluation under M 16 (ADM-06)."
    return text


def _form_panel(r: dict[str, Any]) -> str:
    rec = f", {len(r['recused'])} recused ({', '.join(r['recused'])})" if r["recused"] else ""
    text = f"Evaluation {r['evaluation']} (attempt {r['attempt']}, form {r['form']}): " \
           f"panel of {r['scoring_members']} scoring members{rec}."
    return text


def _record_scores(r: dict[str, Any]) -> str:
    veto = f"; veto item(s) failed: {', '.join(r['veto_failed'])}" if r["veto_failed"] else ""
    text = f"Scores recorded for {r['evaluation']}: total {r['total']} points{veto}."
    return text


def _conclude_evaluation(r: dict[str, Any]) -> str:
    if r["passed"]:
        text = f"Evaluation {r['evaluation']} PASSED with {r['total']} points; the pass " \
               f"is valid until {r['valid_until']}."
    else:
        why = f"veto item(s) {', '.join(r['veto_failed'])} failed" if r["veto_failed"] \
            else f"{r['total']} points is below 90"
        text = f"Evaluation {r['evaluation']} FAILED: {why}."
        if r.get("reapply_from"):
            text += f" The re-evaluation failed too: no new application until " \
                    f"{r['reapply_from']} (EVA-05)."
        elif r.get("reevaluation_from"):
            text += f" A re-evaluation may be organised from {r['reevaluation_from']} " \
                    f"(EVA-05)."
    if r.get("overdue"):
        text += f" The evaluation ended after its due date {r['evaluation_due']} (ADM-05)."
    return text


def _select_rehab_pilot(r: dict[str, Any]) -> str:
    text = f"Agency {r['agency']} rehab pilots: {', '.join(r['rehab_pilots'])} (ADM-07)."
    return text


SPECS = [
    Spec("submit_application", SubmitApplication, 'Applications', sentence=_submit_application),
    Spec("send_materials_notice", SendMaterialsNotice, 'Applications', sentence=_send_materials_notice),
    Spec("supply_materials", SupplyMaterials, 'Applications', sentence=_supply_materials),
    Spec("accept_application", ApplicationOnly, 'Applications', sentence=_accept_application),
    Spec("request_supplement", RequestSupplement, 'Applications', sentence=_request_supplement),
    Spec("decline_application", DeclineApplication, 'Applications', sentence=_decline_application),
    Spec("withdraw_application", WithdrawApplication, 'Applications', sentence=_withdraw_application),
    Spec("exempt_from_evaluation", ExemptFromEvaluation, 'Applications', sentence=_exempt_from_evaluation),
    Spec("form_panel", FormPanel, 'Evaluation', sentence=_form_panel),
    Spec("record_scores", RecordScores, 'Evaluation', sentence=_record_scores),
    Spec("conclude_evaluation", ConcludeEvaluation, 'Evaluation', sentence=_conclude_evaluation),
    Spec("select_rehab_pilot", SelectRehabPilot, 'Rehab pilot', sentence=_select_rehab_pilot),
    Spec("release_rehab_pilot", ReleaseRehabPilot, 'Rehab pilot'),
]
