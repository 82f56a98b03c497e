"""Disputes: DIS. Each command's fields, result sentence and group are declared
once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from adapters.boundary import Code, Text
from adapters.specs.spec import Spec
from adapters.specs.types import Strict


class OpenDispute(Strict):
    number: Code
    institution: Code
    agreement: Code | None = None
    person_id: Code | None = None
    bar_no: Code | None = None
    matter: Literal["signing", "performing", "changing", "ending", "practitioner_bar"]
    route: Literal["negotiation", "coordination", "administrative_review", "litigation"]
    decision: Literal["ending", "suspension", "bar", "other"] = "other"
    summary: Text = Field(min_length=1)

class ChangeDisputeRoute(Strict):
    number: Code
    route: Literal["negotiation", "coordination", "administrative_review", "litigation"]

class RecordDisputeOutcome(Strict):
    number: Code
    outcome: Literal["decision_upheld", "decision_reversed", "settled", "withdrawn"]
    ref: Code
    summary: Text = Field(min_length=1)


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------


SPECS = [
    Spec("open_dispute", OpenDispute, 'Disputes'),
    Spec("change_dispute_route", ChangeDisputeRoute, 'Disputes'),
    Spec("record_dispute_outcome", RecordDisputeOutcome, 'Disputes'),
]
