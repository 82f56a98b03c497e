"""Agreements: signing, effect, changes, suspension and ending: AGR, SUS and TER.
Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adapters.boundary import Code, Day, Text
from adapters.specs.spec import Spec
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


# --- what a case officer reads back ---------------------------------------------
def _sign_agreement(r: dict[str, Any]) -> str:
    late = " — a LATE renewal, reason recorded (AGR-01)" if r["late"] else ""
    text = f"Agreement {r['agreement']} ({r['type']}) signed for {r['term_start']} to " \
           f"{r['term_end']}{late}."
    return text


def _file_agreement(r: dict[str, Any]) -> str:
    text = f"Agreement {r['agreement']} filed with the administrative department " \
           f"({r['filing_ref']})."
    return text


def _start_public_notice(r: dict[str, Any]) -> str:
    text = f"Agreement {r['agreement']} publicly noticed until {r['notice_until']}; it takes " \
           f"effect the next day if no objection is upheld (AGR-02)."
    return text


def _suspend_agreement(r: dict[str, Any]) -> str:
    text = f"Agreement {r['agreement']} suspended ({r['kind']}) from {r['start']}"
    if r.get("resume_by"):
        text += f"; the institution must apply to resume by {r['resume_by']} or the " \
                f"agreement ends the next day (SUS-02)"
    elif r.get("planned_end"):
        text += f" until {r['planned_end']}"
    text += "."
    if r.get("termination_obligation"):
        text += " This is the 2nd agency-imposed suspension in the term: the agency " \
                "must now end the agreement (TER-02, M 39(1))."
    return text


def _resume_agreement(r: dict[str, Any]) -> str:
    text = f"Agreement {r['agreement']} resumed."
    return text


def _record_breach_finding(r: dict[str, Any]) -> str:
    text = f"Breach finding on {r['agreement']} under {r['article']}: " \
           f"{', '.join(r['sanctions'])}."
    return text


def _terminate_agreement(r: dict[str, Any]) -> str:
    text = f"Agreement {r['agreement']} ended on ground {r['ground']} ({r['article']}); " \
           f"listed publicly{' as a breach' if r['breach'] else ''} (TER-03, TER-04)."
    return text


SPECS = [
    Spec("sign_agreement", SignAgreement, 'Agreements: signing and effect', sentence=_sign_agreement),
    Spec("file_agreement", FileAgreement, 'Agreements: signing and effect', sentence=_file_agreement),
    Spec("start_public_notice", StartPublicNotice, 'Agreements: signing and effect', sentence=_start_public_notice),
    Spec("raise_objection", RaiseObjection, 'Agreements: signing and effect'),
    Spec("decide_objection", DecideObjection, 'Agreements: signing and effect'),
    Spec("record_change", RecordChange, 'Agreements: changes, renewal, early end'),
    Spec("report_change", ReportChange, 'Agreements: changes, renewal, early end'),
    Spec("apply_for_renewal", ApplyForRenewal, 'Agreements: changes, renewal, early end'),
    Spec("object_to_renewal", ObjectToRenewal, 'Agreements: changes, renewal, early end'),
    Spec("refuse_renewal", RefuseRenewal, 'Agreements: changes, renewal, early end'),
    Spec("give_notice_to_end", GiveNoticeToEnd, 'Agreements: changes, renewal, early end'),
    Spec("suspend_agreement", SuspendAgreement, 'Suspension and findings', sentence=_suspend_agreement),
    Spec("correct_suspension", CorrectSuspension, 'Suspension and findings'),
    Spec("apply_for_resumption", ApplyForResumption, 'Suspension and findings'),
    Spec("record_inspection", RecordInspection, 'Suspension and findings'),
    Spec("resume_agreement", AgreementOnly, 'Suspension and findings', sentence=_resume_agreement),
    Spec("record_breach_finding", RecordBreachFinding, 'Suspension and findings', sentence=_record_breach_finding),
    Spec("terminate_agreement", TerminateAgreement, 'Termination', sentence=_terminate_agreement),
]
