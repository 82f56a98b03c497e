"""The rules of ending an agreement and of what comes before it (SUS-06,
TER-01, TER-04, DIS-01, AGR-04; M 39, 43; MA 42-44, RA 34-36, DA 35-37):
which breach clause or ground may be cited, what every ending records, which
decision a dispute may reverse.

Pure checks: ``Agreement``'s public methods ask them before recording
anything, so a refused command records nothing and names its rule.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import InvalidCommand, RuleViolation
from domain.grounds import BREACH_CLAUSES, TERMINATION_GROUNDS, StatutoryGround, ground

TERMINATION_CODES = {g.code for g in TERMINATION_GROUNDS}
BREACH_CODES = {g.code for g in BREACH_CLAUSES}


def check_finding(clause: str, sanctions: list[str], agreement_type: str) -> StatutoryGround:
    """SUS-06, AGR-04: a breach finding cites a clause of this agreement's
    type and records only the measures that clause provides."""
    try:
        g = ground(clause)
    except LookupError:
        g = None
    if g is None or clause not in BREACH_CODES:
        raise RuleViolation("{clause!r} is not a breach clause", rule="SUS-06",
                            remedy="cite an item of MA 42-43, RA 34-35 or DA 35-36",
                            key="refusal.termination.not_breach_clause", values={"clause": clause})
    if not clause.startswith(agreement_type):
        raise RuleViolation("{clause} is a clause of another agreement type; this is "
                            "{agreement_type}", rule="AGR-04",
                            remedy="cite a clause of the {agreement_type} text",
                            key="refusal.termination.clause_another_agreement_type",
                            values={"clause": clause, "agreement_type": agreement_type})
    unknown = sorted(set(sanctions) - set(g.sanctions))
    if unknown:
        raise RuleViolation("{clause} provides for {sanctions}; not {unknown}", rule="SUS-06",
                            remedy="record only the measures the clause provides",
                            key="refusal.termination.provides_for_not", values={"clause": clause,
                            "sanctions": ', '.join(g.sanctions), "unknown": ', '.join(unknown)})
    return g


def check_termination(*, ground_code: str, agreement_type: str, took_effect_on: date | None,
                      notice_no: str, report_ref: str,
                      reported_on: date | None) -> StatutoryGround:
    """TER-01, AGR-04, TER-04: the agency ends an agreement in force on a
    catalogued ground of M 39 or of its own type, with the written notice
    and the report to the administrative department (M 43)."""
    if took_effect_on is None:
        raise RuleViolation("an agreement that never took effect is not terminated", rule="TER-01",
                            remedy="record an upheld objection instead",
                            key="refusal.termination.agreement_that_never_took")
    if ground_code not in TERMINATION_CODES:
        raise RuleViolation("{ground_code!r} is not a termination ground", rule="TER-01",
                            remedy="cite an M 39 item or MA 44 / RA 36 / DA 37 item",
                            key="refusal.termination.not_termination_ground",
                            values={"ground_code": ground_code})
    if ground_code[:2] in ("MA", "RA", "DA") and not ground_code.startswith(agreement_type):
        raise RuleViolation("{ground_code} belongs to another agreement type; this is "
                            "{agreement_type}", rule="AGR-04",
                            remedy="cite M 39 or an item of {agreement_type}",
                            key="refusal.termination.belongs_another_agreement_type",
                            values={"ground_code": ground_code, "agreement_type": agreement_type})
    missing = [name for name, value in (("notice_no", notice_no.strip()),
                                        ("report_ref", report_ref.strip()),
                                        ("reported_on", reported_on)) if not value]
    if missing:
        raise RuleViolation("every ending records the written notice and the report to the "
                            "administrative department; missing {missing}", rule="TER-04",
                            remedy="give notice_no, notice_on, reported_on and report_ref (M 43)",
                            key="refusal.termination.every_ending_records_written",
                            values={"missing": ', '.join(missing)})
    return ground(ground_code)


def check_reversal(decision: str, ending: dict[str, Any] | None,
                   suspension: dict[str, Any] | None) -> None:
    """DIS-01: a dispute reverses the agency's termination, or an agency
    suspension still in force; nothing else is reversed on the agreement."""
    if decision == "ending":
        if ending is None or not ending["notice_no"]:
            raise RuleViolation("there is no agency termination to reverse", rule="DIS-01",
                                remedy="name a decision the agreement holds",
                                key="refusal.termination.there_no_agency_termination")
    elif decision == "suspension":
        if suspension is None or suspension["kind"] == "voluntary":
            raise RuleViolation("there is no agency suspension in force to reverse", rule="DIS-01",
                                remedy="name a decision the agreement holds",
                                key="refusal.termination.there_no_agency_suspension")
    else:
        raise InvalidCommand("cannot reverse {decision!r}", rule="DIS-01",
                             remedy="reverse an 'ending' or a 'suspension'",
                             key="refusal.termination.cannot_reverse_decision",
                             values={"decision": decision})
