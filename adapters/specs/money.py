"""Money: claims, payment, recovery, the assessment and the deposit: PAY, ASM and
DEP. Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adapters.boundary import Code, Day, Text
from adapters.specs.spec import Spec
from adapters.specs.types import Deduction, Fen, Month, Points, Strict


class ClaimItem(Strict):
    item_id: Code
    amount_fen: Fen = Field(alias="amount")
    service_date: Day
    injury: bool = True
    practitioner_id: Code | None = None
    description: Text = ""

class SubmitClaim(Strict):
    agreement: Code
    month: Month
    items: list[ClaimItem] = Field(min_length=1)

class ClaimRef(Strict):
    agreement: Code
    month: Month

class CorrectClaimItem(ClaimRef):
    item_id: Code
    amount_fen: Fen = Field(alias="amount")
    service_date: Day
    injury: bool = True
    corrects: Code = Field(description="the command id that submitted the claim")
    reason: Text = Field(min_length=1)

class DrawSample(ClaimRef):
    seed: Code | None = None

class ReviewSampledItem(ClaimRef):
    item_id: Code
    noncompliant_fen: Fen = Field(alias="noncompliant")
    reason: Text = ""

class QueryClaimItem(ClaimRef):
    item_id: Code
    question: Text = Field(min_length=1)

class RecordExplanation(ClaimRef):
    item_id: Code
    accepted: bool

class ClaimItemRef(ClaimRef):
    item_id: Code

class HoldClaimItem(ClaimRef):
    item_id: Code
    hold: Literal["medical_dispute", "investigation"]
    ref: Code

class ReleaseClaimItem(ClaimRef):
    item_id: Code
    medical_accident: bool | None = None

class PayClaim(ClaimRef):
    batch: int = Field(1, ge=1, le=1000)
    ref: Code

class OrderRecovery(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    amount_fen: Fen = Field(alias="amount")
    ground: Text = Field(min_length=1)
    ref: Code

class RecordRecovery(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    amount_fen: Fen = Field(alias="amount")
    ref: Code

class RecordAssessment(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    deductions: dict[str, list[Deduction]] = Field(default_factory=dict)
    awarded: dict[str, Points] = Field(default_factory=dict)
    veto_failed: list[Text] = Field(default_factory=list)
    survey: dict[str, Points] | None = None
    employer_views: list[Text] = Field(default_factory=list)
    supervisor_views: list[Text] = Field(default_factory=list)
    satisfaction: Text = ""

class ClearDeposit(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    ref: Code | None = Field(None, description="the bank transfer's reference for the return")


# --- what a case officer reads back ---------------------------------------------
def _pay_claim(r: dict[str, Any]) -> str:
    late = " LATE: after the 25th" if r["late"] else ""
    text = f"{r['agreement']} {r['month']}: {r['paid']} yuan paid, {r['withheld']} yuan " \
           f"withheld as deposit{late}."
    return text


def _record_assessment(r: dict[str, Any]) -> str:
    text = f"{r['agreement']} assessed for {r['year']} on form {r['form']}: {r['total']} " \
           f"points" + (f" (veto {', '.join(r['veto_failed'])}: the year scores 0)"
                        if r["veto_failed"] else "") + "."
    return text


def _clear_deposit(r: dict[str, Any]) -> str:
    late = " LATE (due by " + str(r["due_by"]) + ")" if r["late"] else ""
    text = f"{r['agreement']} {r['year']} deposit cleared on a score of {r['score']}: " \
           f"{r['percent']}% returned = {r['returned']} yuan, {r['forfeited']} yuan " \
           f"forfeited to the fund (DEP-01){late}."
    return text


SPECS = [
    Spec("submit_claim", SubmitClaim, 'Claims and payment'),
    Spec("correct_claim_item", CorrectClaimItem, 'Claims and payment'),
    Spec("draw_sample", DrawSample, 'Claims and payment'),
    Spec("review_sampled_item", ReviewSampledItem, 'Claims and payment'),
    Spec("query_claim_item", QueryClaimItem, 'Claims and payment'),
    Spec("record_explanation", RecordExplanation, 'Claims and payment'),
    Spec("refuse_unexplained_item", ClaimItemRef, 'Claims and payment'),
    Spec("hold_claim_item", HoldClaimItem, 'Claims and payment'),
    Spec("release_claim_item", ReleaseClaimItem, 'Claims and payment'),
    Spec("approve_claim", ClaimRef, 'Claims and payment'),
    Spec("pay_claim", PayClaim, 'Claims and payment', sentence=_pay_claim),
    Spec("order_recovery", OrderRecovery, 'Recovery, assessment and deposit'),
    Spec("record_recovery", RecordRecovery, 'Recovery, assessment and deposit'),
    Spec("record_assessment", RecordAssessment, 'Recovery, assessment and deposit', sentence=_record_assessment),
    Spec("clear_deposit", ClearDeposit, 'Recovery, assessment and deposit', sentence=_clear_deposit),
]
