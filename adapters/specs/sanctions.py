"""Practitioner bars: SAN-01. Each command's fields, result sentence and group
are declared once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any

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


# --- what a case officer reads back ---------------------------------------------
def _propose_practitioner_bar(r: dict[str, Any]) -> str:
    text = f"Bar {r['bar']} on {r['person']} for {r['years']} year(s) proposed; it takes " \
           f"effect only with the administrative department's approval (SAN-01)."
    return text


def _approve_practitioner_bar(r: dict[str, Any]) -> str:
    text = f"Bar {r['bar']} on {r['person']} approved: barred from {r['from']} to " \
           f"{r['until']}."
    return text


SPECS = [
    Spec("propose_practitioner_bar", ProposePractitionerBar, 'Practitioner bars', sentence=_propose_practitioner_bar),
    Spec("approve_practitioner_bar", ApprovePractitionerBar, 'Practitioner bars', sentence=_approve_practitioner_bar),
    Spec("report_bar_to_regulator", ReportBarToRegulator, 'Practitioner bars'),
]
