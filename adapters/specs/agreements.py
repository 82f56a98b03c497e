"""Agreements: signing, effect, changes, suspension and ending: AGR, SUS and TER.
Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field

from adapters.boundary import Code, Day, Text
from adapters.labels import word
from adapters.specs.spec import Spec, clause, ground_text
from adapters.specs.types import Party, Strict


class AgreementOnly(Strict):
    agreement: Code

class SignAgreement(Strict):
    number: Code
    institution: Code
    agreement_type: Literal["MA", "RA", "DA"] | None = None
    term_start: Day
    term_years: Literal[1, 2] = 1
    renewal_of: Code | None = None
    late_reason: Text = ""

class FileAgreement(Strict):
    agreement: Code
    filing_ref: Code

class StartPublicNotice(Strict):
    agreement: Code
    notice_ref: Code
    until: Day

class RaiseObjection(Strict):
    agreement: Code
    objection_no: Code
    raised_by: Text = Field(min_length=1)
    summary: Text = Field(min_length=1)

class DecideObjection(Strict):
    agreement: Code
    objection_no: Code
    upheld: bool
    reason: Text = Field(min_length=1)

class RecordChange(Strict):
    agreement: Code
    change: Literal["name", "ownership", "legal_representative", "level", "address",
                    "service_scope", "merger"]
    approved_on: Day
    reported_on: Day | None = None
    details: Text = ""

class ReportChange(Strict):
    agreement: Code
    change: Literal["name", "ownership", "legal_representative", "level", "address",
                    "service_scope", "merger"]
    reported_on: Day

class ApplyForRenewal(Strict):
    agreement: Code
    applied_on: Day

class ObjectToRenewal(Strict):
    agreement: Code
    raised_by: Party
    summary: Text = Field(min_length=1)

class RefuseRenewal(Strict):
    agreement: Code
    reason: Text = Field(min_length=1)

class GiveNoticeToEnd(Strict):
    agreement: Code
    given_by: Party
    reason: Text = Field(min_length=1)

class SuspendAgreement(Strict):
    agreement: Code
    kind: Literal["voluntary", "mandatory", "disciplinary"]
    ground: Text = ""
    start: Day | None = None
    requested_on: Day | None = None
    planned_days: int | None = Field(None, ge=1, le=3660)
    months: int | None = Field(None, le=120)
    notice_no: Text = ""

class CorrectSuspension(Strict):
    agreement: Code
    corrects: Code = Field(description="the command id that recorded the suspension")
    start: Day
    reason: Text = Field(min_length=1)
    months: int | None = Field(None, description="disciplinary: the months (3 to 6), when "
                                                 "they are corrected too")

class ApplyForResumption(Strict):
    agreement: Code
    applied_on: Day

class RecordInspection(Strict):
    agreement: Code
    passed: bool
    report_ref: Code

class RecordBreachFinding(Strict):
    agreement: Code
    clause: Code
    found_on: Day
    facts: Text = Field(min_length=1)
    sanctions: list[Text] = Field(default_factory=list)

class TerminateAgreement(Strict):
    agreement: Code
    ground: Code
    notice_no: Text = ""
    notice_on: Day | None = None
    reported_on: Day | None = None
    report_ref: Text = ""
    reason: Text = ""


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _late(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"late": clause("late", lang, r.get("late"))}


def _sign_agreement(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"late": clause("late_renewal", lang, r["late"])}


def _record_change(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {**_late(r, lang), "provisional": clause("provisional", lang, r.get("provisional"))}


def _status(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"status": word("status", r["status"], lang)}


def _decide_objection(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {**_status(r, lang), "decision": clause("upheld", lang, r["upheld"])
            or clause("not_upheld", lang, True)}


def _record_inspection(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {**_status(r, lang), "result": clause("passed", lang, r["passed"])
            or clause("failed", lang, True)}


def _aftercare(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"aftercare": clause("aftercare", lang, r.get("aftercare"))}


def _until(r: Mapping[str, Any], lang: str) -> str:
    return clause("resume_by", lang, r.get("resume_by"), resume_by=r.get("resume_by")) \
        or clause("planned_end", lang, r.get("planned_end"), planned_end=r.get("planned_end"))


def _suspend_agreement(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    # the status the suspension puts the agreement in, which names its kind
    return {"kind": word("status", f"suspended ({r['kind']})", lang), "until": _until(r, lang),
            "obligation": clause("termination_obligation", lang,
                                 r.get("termination_obligation"))}


def _correct_suspension(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"until": _until(r, lang)}


def _clause_text(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return ground_text({"ground": r["clause"]}, lang)


def _terminate_agreement(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {**ground_text(r, lang), **_aftercare(r, lang),
            "breach": clause("as_a_breach", lang, r["breach"])}


SPECS = [
    Spec("sign_agreement", SignAgreement, 'Agreements: signing and effect', values=_sign_agreement),
    Spec("file_agreement", FileAgreement, 'Agreements: signing and effect'),
    Spec("start_public_notice", StartPublicNotice, 'Agreements: signing and effect'),
    Spec("raise_objection", RaiseObjection, 'Agreements: signing and effect'),
    Spec("decide_objection", DecideObjection, 'Agreements: signing and effect',
         values=_decide_objection),
    Spec("record_change", RecordChange, 'Agreements: changes, renewal, early end',
         values=_record_change),
    Spec("report_change", ReportChange, 'Agreements: changes, renewal, early end',
         values=_late),
    Spec("apply_for_renewal", ApplyForRenewal, 'Agreements: changes, renewal, early end',
         values=_late),
    Spec("object_to_renewal", ObjectToRenewal, 'Agreements: changes, renewal, early end'),
    Spec("refuse_renewal", RefuseRenewal, 'Agreements: changes, renewal, early end'),
    Spec("give_notice_to_end", GiveNoticeToEnd, 'Agreements: changes, renewal, early end',
         values=_aftercare),
    Spec("suspend_agreement", SuspendAgreement, 'Suspension and findings', values=_suspend_agreement),
    Spec("correct_suspension", CorrectSuspension, 'Suspension and findings',
         values=_correct_suspension),
    Spec("apply_for_resumption", ApplyForResumption, 'Suspension and findings'),
    Spec("record_inspection", RecordInspection, 'Suspension and findings',
         values=_record_inspection),
    Spec("resume_agreement", AgreementOnly, 'Suspension and findings'),
    Spec("record_breach_finding", RecordBreachFinding, 'Suspension and findings', values=_clause_text),
    Spec("terminate_agreement", TerminateAgreement, 'Termination', values=_terminate_agreement),
]
