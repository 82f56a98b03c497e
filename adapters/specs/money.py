"""Money: claims, payment, recovery, the assessment and the deposit: PAY, ASM and
DEP. Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field

from adapters.boundary import Code, Day, Text
from adapters.labels import word
from adapters.specs.spec import Spec, ValuesFn, clause, listed
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


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _late(key: str) -> ValuesFn:
    """The result's lateness told by the catalogue's ``clause.<key>``."""
    return lambda r, lang: {"late": clause(key, lang, r.get("late"), due_by=r.get("due_by"))}


def _explanation(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"verdict": clause("accepted", lang, r["accepted"])
            or clause("not_accepted", lang, True)}


def _hold(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"hold": word("hold", r["hold"], lang)}


def _item_status(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"status": word("item_status", r["status"], lang)}


def _record_assessment(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"veto": clause("assessment_veto", lang, r["veto_failed"],
                           veto_failed=listed(r["veto_failed"], lang))}


SPECS = [
    Spec("submit_claim", SubmitClaim, 'Claims and payment', values=_late("late")),
    Spec("correct_claim_item", CorrectClaimItem, 'Claims and payment'),
    Spec("draw_sample", DrawSample, 'Claims and payment'),
    Spec("review_sampled_item", ReviewSampledItem, 'Claims and payment'),
    Spec("query_claim_item", QueryClaimItem, 'Claims and payment'),
    Spec("record_explanation", RecordExplanation, 'Claims and payment', values=_explanation),
    Spec("refuse_unexplained_item", ClaimItemRef, 'Claims and payment'),
    Spec("hold_claim_item", HoldClaimItem, 'Claims and payment', values=_hold),
    Spec("release_claim_item", ReleaseClaimItem, 'Claims and payment', values=_item_status),
    Spec("approve_claim", ClaimRef, 'Claims and payment'),
    Spec("pay_claim", PayClaim, 'Claims and payment', values=_late("paid_late")),
    Spec("order_recovery", OrderRecovery, 'Recovery, assessment and deposit'),
    Spec("record_recovery", RecordRecovery, 'Recovery, assessment and deposit'),
    Spec("record_assessment", RecordAssessment, 'Recovery, assessment and deposit', values=_record_assessment),
    Spec("clear_deposit", ClearDeposit, 'Recovery, assessment and deposit', values=_late("cleared_late")),
]
