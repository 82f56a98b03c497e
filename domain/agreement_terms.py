"""The rules of an agreement's terms before and around its performance
(AGR-01..07; M 6, 19, 35, 36, 51; MA 48, RA 40, DA 42): the yearly round and
its term, the type that matches the institution, filing and public notice,
objections, changes, renewal and the early end.

Pure checks and counts: ``Agreement``'s public methods ask them and record
what they answer (the term's last day, lateness, due dates) in the event.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.calendar import add_years
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.grounds import AGREEMENT_TYPES

ROUND_CLOSES = (3, 15)              # AGR-01: "每年3月15日之前" (M 6)
TERM_YEARS = (1, 2)                 # AGR-03: 1 year; 2 after three excellent years (M 19)
RENEWAL_NOTICE_MONTHS = 3           # AGR-05: "协议期满前3个月" (M 36)
EARLY_END_NOTICE_DAYS = 30          # AGR-07: "提前30日书面通知" (MA 48, RA 40, DA 42)
CHANGE_KINDS = ("name", "ownership", "legal_representative", "level", "address",
                "service_scope", "merger")
PARTIES = ("agency", "institution")


def signed_term(*, kind: str, agreement_type: str, term_start: date, term_years: int,
                renewal_of: str | None, late_reason: str,
                effective_on: date) -> tuple[date, bool]:
    """AGR-01, AGR-03, AGR-04: the term's last day and whether the signing
    is a late renewal, or the rule the signing breaks."""
    expected = AGREEMENT_TYPES[kind]
    if agreement_type != expected:
        raise RuleViolation("a {kind} institution signs a {expected} agreement, not "
                            "{agreement_type}", rule="AGR-04",
                            remedy="use agreement_type {expected}",
                            key="refusal.agreement_terms.institution_signs_agreement_not",
                            values={"kind": kind, "expected": expected,
                            "agreement_type": agreement_type})
    if term_years not in TERM_YEARS:
        raise InvalidCommand("term of {term_years} years", rule="AGR-03",
                             remedy="a term is 1 year, or 2 after three excellent years",
                             key="refusal.agreement_terms.term_years_term_years",
                             values={"term_years": term_years})
    if term_start < effective_on - timedelta(days=366):
        raise InvalidCommand("the term cannot start more than a year before signing",
                             rule="AGR-01", remedy="check term_start",
                             key="refusal.agreement_terms.term_cannot_start_more")
    # The round for the term's year closes on 15 March of that year (M 6).
    round_close = date(term_start.year, *ROUND_CLOSES)
    late = renewal_of is not None and effective_on > round_close
    if late and not late_reason.strip():
        raise RuleViolation("a renewal signed after {round_close} is late and needs its reason "
                            "recorded", rule="AGR-01",
                            remedy="give late_reason (why the yearly round was missed)",
                            key="refusal.agreement_terms.renewal_signed_after_late",
                            values={"round_close": round_close})
    return add_years(term_start, term_years) - timedelta(days=1), late


def check_public_notice(filing: dict[str, Any] | None, notice: dict[str, Any] | None,
                        until: date, effective_on: date) -> None:
    """AGR-02: filed first, noticed once, for a period that ends after it starts."""
    if filing is None:
        raise RuleViolation("file the agreement with the administrative department before the "
                            "public notice", rule="AGR-02",
                            remedy="record the filing first (报行政部门备案)",
                            key="refusal.agreement_terms.file_agreement_with_administrative")
    if notice is not None:
        raise RuleViolation("the public notice has already started", rule="AGR-02",
                            remedy="record objections or wait for it to end",
                            key="refusal.agreement_terms.public_notice_has_already")
    if until < effective_on:
        raise InvalidCommand("the notice cannot end before it starts", rule="AGR-02",
                             remedy="give a later notice end date",
                             key="refusal.agreement_terms.notice_cannot_end_before")


def check_objection(notice: dict[str, Any] | None, in_notice: bool,
                    objections: dict[str, Any], objection_no: str, effective_on: date) -> None:
    """AGR-02: an objection is raised during the public notice, once."""
    if notice is None or not in_notice:
        raise RuleViolation("objections are raised during the public notice", rule="AGR-02",
                            remedy="raise it while the agreement is in notice",
                            key="refusal.agreement_terms.objections_are_raised_during")
    if effective_on > notice["until"]:
        raise RuleViolation("the notice ended on {until}", rule="AGR-02",
                            remedy="an objection after the notice is a dispute (DIS-01)",
                            key="refusal.agreement_terms.notice_ended_on",
                            values={"until": notice['until']})
    if objection_no in objections:
        raise RuleViolation("objection {objection_no} already recorded", rule="AGR-02",
                            remedy="use a new objection number",
                            key="refusal.agreement_terms.objection_already_recorded",
                            values={"objection_no": objection_no})


def check_objection_decision(objections: dict[str, Any], objection_no: str, reason: str,
                             number: str) -> None:
    """AGR-02: a recorded objection is decided once, with its reason."""
    found = objections.get(objection_no)
    if found is None:
        raise NotFound("no objection {objection_no} on {number}", rule="AGR-02",
                       remedy="name a recorded objection", key="refusal.agreement_terms.no_objection_on",
                       values={"objection_no": objection_no, "number": number})
    if found["upheld"] is not None:
        raise RuleViolation("objection {objection_no} is already decided", rule="AGR-02",
                            remedy="a reversal goes through a dispute (DIS-01)",
                            key="refusal.agreement_terms.objection_already_decided",
                            values={"objection_no": objection_no})
    if not reason.strip():
        raise InvalidCommand("a decision on an objection gives its reason", rule="AGR-02",
                             remedy="state why it is upheld or dismissed",
                             key="refusal.agreement_terms.decision_on_objection_gives")


def check_change_kind(change: str) -> None:
    """AGR-06: the changes M 35 names."""
    if change not in CHANGE_KINDS:
        raise InvalidCommand("unknown change {change!r}", rule="AGR-06",
                             remedy="use one of {CHANGE_KINDS}",
                             key="refusal.agreement_terms.unknown_change_change", values={"change": change,
                             "CHANGE_KINDS": ', '.join(CHANGE_KINDS)})


def check_party(party: str, field: str, rule: str, remedy: str) -> None:
    """AGR-05, AGR-07: the agency or the institution."""
    if party not in PARTIES:
        raise InvalidCommand(f"{field} is agency or institution", rule=rule, remedy=remedy)
