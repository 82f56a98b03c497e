"""Practitioner bars: SAN-01. Each command's fields, result sentence and group
are declared once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from pydantic import Field

from adapters.boundary import Code, Name, Text
from adapters.specs.spec import Spec
from adapters.specs.types import Strict


class ProposePractitionerBar(Strict):
    bar_no: Code
    person_id: Code
    name: Name = ""
    institution: Code
    years: int = Field(ge=1, le=100)
    finding: Text = Field(min_length=1)

class ApprovePractitionerBar(Strict):
    bar_no: Code
    person_id: Code
    approval_ref: Code

class ReportBarToRegulator(Strict):
    bar_no: Code
    person_id: Code
    regulator: Text = Field(min_length=1)
    report_ref: Code


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------


SPECS = [
    Spec("propose_practitioner_bar", ProposePractitionerBar, 'Practitioner bars'),
    Spec("approve_practitioner_bar", ApprovePractitionerBar, 'Practitioner bars'),
    Spec("report_bar_to_regulator", ReportBarToRegulator, 'Practitioner bars'),
]
