"""What a new agreement rests on (AGR-01, AGR-03, AGR-05, ADM-07): policies
over the institution, its earlier agreements and their assessments.

Each takes plain values or aggregates' public state, never the store.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping, Protocol

from domain.errors import RuleViolation

# AGR-03 (M 34): "连续三年考核优秀" allows a 2-year term; excellent is 90 or more.
EXCELLENT = Decimal(90)
EXCELLENT_YEARS = 3
LONG_TERM_YEARS = 2


class EarlierAgreement(Protocol):
    number: str
    institution_code: str
    agency: str
    status: str
    took_effect_on: date | None
    ending: Mapping[str, Any] | None
    renewal: Mapping[str, Any]

    @property
    def is_ended(self) -> bool: ...


# --- AGR-03: the term -------------------------------------------------------------------
def excellent_years_considered(scores: Mapping[int, Decimal], term_start: date) -> list[int]:
    """AGR-03: the three years that decide a 2-year term. A renewal for year Y
    is usually signed before Y-1's assessment exists (it is done in Y's first
    quarter), so the last three assessed years count when the latest of them
    is Y-1 or Y-2; otherwise Y-1, Y-2, Y-3, and any missing year fails."""
    latest = max((y for y in scores if y <= term_start.year - 1), default=None)
    if latest is None or latest < term_start.year - 2:
        latest = term_start.year - 1
    return [latest - k for k in range(EXCELLENT_YEARS)]


def require_term_allowed(term_years: int, scores: Mapping[int, Decimal],
                         term_start: date) -> None:
    """AGR-03: a 2-year term needs an excellent (90 or more) annual
    assessment in each of the three years considered; a missing year fails."""
    if term_years != LONG_TERM_YEARS:
        return
    considered = excellent_years_considered(scores, term_start)
    short = [y for y in considered if scores.get(y, Decimal(-1)) < EXCELLENT]
    if short:
        raise RuleViolation("a 2-year agreement needs annual assessments of 90 or more in each "
                            "of {years}; not met for {short}", rule="AGR-03",
                            remedy="sign for 1 year",
                            key="refusal.policies_agreements.year_agreement_needs_annual",
                            values={"years": ', '.join(map(str, sorted(considered))),
                                    "short": ', '.join(map(str, sorted(short)))})


# --- AGR-05: renewal, and one agreement at a time ---------------------------------------
def require_renewable(predecessor: EarlierAgreement, institution: str) -> None:
    """AGR-05: a renewal continues the institution's own agreement, in force
    (TER-03 once it has ended), not refused renewal and not renewed yet."""
    number = predecessor.number
    if predecessor.institution_code != institution:
        raise RuleViolation("{number} belongs to {institution_code}", rule="AGR-05",
                            remedy="renew the institution's own agreement",
                            key="refusal.policies_agreements.belongs_number_institution_code",
                            values={"number": number,
                            "institution_code": predecessor.institution_code})
    if predecessor.is_ended:
        when = predecessor.ending["ended_on"] if predecessor.ending else predecessor.status
        raise RuleViolation("agreement {number} has ended ({when})", rule="TER-03",
                            remedy="a new agreement needs a new application",
                            key="refusal.policies_agreements.agreement_has_ended",
                            values={"number": number, "when": when})
    if predecessor.took_effect_on is None:
        raise RuleViolation("agreement {number} has not taken effect", rule="AGR-05",
                            remedy="it takes effect when its public notice ends without an "
                                   "upheld objection (AGR-02)",
                            key="refusal.policies_agreements.agreement_has_not_taken",
                            values={"number": number})
    if predecessor.renewal["refused_on"] is not None:
        raise RuleViolation("renewal of {number} was refused", rule="AGR-05",
                            remedy="a new agreement needs a new application",
                            key="refusal.policies_agreements.renewal_was_refused",
                            values={"number": number})
    if predecessor.renewal["successor"]:
        raise RuleViolation("{number} was already renewed by {successor}", rule="AGR-05",
                            remedy="nothing to do",
                            key="refusal.policies_agreements.was_already_renewed_by",
                            values={"number": number,
                            "successor": predecessor.renewal['successor']})


def require_no_live_agreement(institution: str, agency: str,
                              agreements: Iterable[EarlierAgreement]) -> None:
    """AGR-05: a new agreement (not a renewal) while the institution holds a
    live one with the same agency is a renewal in disguise."""
    for other in agreements:
        if not other.is_ended and other.agency == agency:
            raise RuleViolation("{institution} already holds agreement {number}", rule="AGR-05",
                                remedy="renew it (renewal_of) instead",
                                key="refusal.policies_agreements.already_holds_agreement",
                                values={"institution": institution, "number": other.number})


# --- AGR-01: what the agreement rests on -------------------------------------------------
def admission_basis(code: str, on: date, valid_pass: Any | None,
                    exempted_applications: Iterable[str]) -> dict[str, Any]:
    """AGR-01: a pass valid on the signing date (EVA-04), else the latest
    M 16 exemption (ADM-06); refused when there is neither.
    ``exempted_applications`` are the exempted application numbers, latest first."""
    if valid_pass is not None:
        return {"evaluation": valid_pass.number, "valid_until": valid_pass.result["valid_until"],
                "article": "M 15"}
    for number in exempted_applications:
        return {"exemption": number, "article": "M 16"}
    raise RuleViolation("{code} holds no valid evaluation pass or exemption on {on}",
                        rule="AGR-01",
                        remedy="an agreement rests on a pass valid on the signing date (EVA-04) "
                               "or an M 16 exemption (ADM-06)",
                        key="refusal.policies_agreements.holds_no_valid_evaluation", values={"code": code,
                        "on": on})


def require_no_bar_to_sign(code: str, on: date, grounds: tuple | list) -> None:
    """AGR-01: no agreement is signed while a ground of ADM-03 bars the institution."""
    if grounds:
        raise RuleViolation("{code} is barred on {on}", rule="AGR-01", grounds=tuple(grounds),
                            remedy="sign once every ground has lifted",
                            key="refusal.policies_agreements.barred_on_code_on", values={"code": code,
                            "on": on})


def require_rehab_pilot(code: str, kind: str, agency: str, pilots: Iterable[str]) -> None:
    """ADM-07: during the rehab pilot only the agency's selected pilots sign
    a rehab agreement."""
    if kind == "rehab" and code not in set(pilots):
        raise RuleViolation("{code} is not a rehab pilot of agency {agency}", rule="ADM-07",
                            remedy="the agency selects 1-2 passed rehab institutions first",
                            key="refusal.policies_agreements.not_rehab_pilot_agency", values={"code": code,
                            "agency": agency})
