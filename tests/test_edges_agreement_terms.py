"""The pure checks of an agreement's terms at their edges (issue #18;
domain/agreement_terms.py): the signing (AGR-01, 03, 04), the filing and the
public notice (AGR-02), an objection on the notice's last day and the day
after, its decision, a change's kind (AGR-06) and the party (AGR-05, 07).
Each condition on its own, and each refusal whole (class, rule, reason,
remedy: what the officer reads). tests/test_edges_agreement.py holds the
signing's dates at their edges.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.agreement_terms import (check_change_kind, check_objection,
                                    check_objection_decision, check_party,
                                    check_public_notice, signed_term)
from tests.refusal_words import read
from domain.errors import InvalidCommand, NotFound, RuleViolation


def refusal(call, *args, **kwargs):
    with pytest.raises((RuleViolation, InvalidCommand, NotFound)) as info:
        call(*args, **kwargs)
    return read(info.value)


def term(**kw):
    args = dict(kind="medical", agreement_type="MA", term_start=date(2026, 1, 1), term_years=1,
                renewal_of="XY-2025", late_reason="", effective_on=date(2026, 3, 15))
    return signed_term(**{**args, **kw})


# --- AGR-01, AGR-03, AGR-04: the signing ------------------------------------------------------
@pytest.mark.parametrize("given, refused", [
    ({"kind": "rehab", "agreement_type": "MA"},
     ("RuleViolation", "AGR-04", "a rehab institution signs a RA agreement, not MA",
      "use agreement_type RA")),
    ({"term_years": 3},
     ("InvalidCommand", "AGR-03", "term of 3 years",
      "a term is 1 year, or 2 after three excellent years")),
    ({"term_start": date(2025, 3, 13), "renewal_of": None, "effective_on": date(2026, 3, 15)},
     ("InvalidCommand", "AGR-01", "the term cannot start more than a year before signing",
      "check term_start")),
    ({"effective_on": date(2026, 3, 16), "late_reason": " "},
     ("RuleViolation", "AGR-01",
      "a renewal signed after 2026-03-15 is late and needs its reason recorded",
      "give late_reason (why the yearly round was missed)")),
])
def test_agr01_agr03_agr04_each_refusal_of_a_signing_on_its_own(given, refused):
    assert refusal(term, **given) == refused


def test_agr01_a_term_starting_366_days_before_signing_is_the_last_one_taken():
    # 2025-03-14 is 366 days before 2026-03-15 (2025 is not a leap year)
    assert term(term_start=date(2025, 3, 14), renewal_of=None) == (date(2026, 3, 13), False)


# --- AGR-02: the filing and the public notice -------------------------------------------------
FILED = {"ref": "备案-1"}


def test_agr02_a_filed_agreement_is_noticed_once_for_a_period_ending_on_or_after_its_start():
    assert check_public_notice(FILED, None, date(2025, 1, 10), date(2025, 1, 10)) is None
    assert refusal(check_public_notice, FILED, None, date(2025, 1, 9), date(2025, 1, 10)) == (
        "InvalidCommand", "AGR-02", "the notice cannot end before it starts",
        "give a later notice end date")


def test_agr02_the_filing_comes_before_the_notice_and_the_notice_is_given_once():
    assert refusal(check_public_notice, None, None, date(2025, 1, 17), date(2025, 1, 10)) == (
        "RuleViolation", "AGR-02",
        "file the agreement with the administrative department before the public notice",
        "record the filing first (报行政部门备案)")
    assert refusal(check_public_notice, FILED, {"until": date(2025, 1, 17)},
                   date(2025, 1, 24), date(2025, 1, 20)) == (
        "RuleViolation", "AGR-02", "the public notice has already started",
        "record objections or wait for it to end")


# --- AGR-02: objections -----------------------------------------------------------------------
NOTICE = {"until": date(2025, 1, 17)}


def test_agr02_an_objection_is_raised_up_to_the_notices_last_day_not_the_day_after():
    assert check_objection(NOTICE, True, {}, "异议-1", date(2025, 1, 17)) is None
    assert refusal(check_objection, NOTICE, True, {}, "异议-1", date(2025, 1, 18)) == (
        "RuleViolation", "AGR-02", "the notice ended on 2025-01-17",
        "an objection after the notice is a dispute (DIS-01)")


@pytest.mark.parametrize("notice, in_notice", [(None, True), (NOTICE, False), (None, False)])
def test_agr02_an_objection_needs_a_notice_and_the_agreement_in_it(notice, in_notice):
    assert refusal(check_objection, notice, in_notice, {}, "异议-1", date(2025, 1, 12)) == (
        "RuleViolation", "AGR-02", "objections are raised during the public notice",
        "raise it while the agreement is in notice")


def test_agr02_an_objection_number_is_recorded_once():
    assert refusal(check_objection, NOTICE, True, {"异议-1": {}}, "异议-1",
                   date(2025, 1, 12)) == (
        "RuleViolation", "AGR-02", "objection 异议-1 already recorded",
        "use a new objection number")


def test_agr02_a_recorded_objection_is_decided_once_with_its_reason():
    pending = {"异议-1": {"upheld": None}}
    assert check_objection_decision(pending, "异议-1", "查无实据", "XY-1") is None
    assert refusal(check_objection_decision, pending, "异议-2", "查无实据", "XY-1") == (
        "NotFound", "AGR-02", "no objection 异议-2 on XY-1", "name a recorded objection")
    assert refusal(check_objection_decision, pending, "异议-1", " ", "XY-1") == (
        "InvalidCommand", "AGR-02", "a decision on an objection gives its reason",
        "state why it is upheld or dismissed")
    for upheld in (True, False):
        assert refusal(check_objection_decision, {"异议-1": {"upheld": upheld}}, "异议-1",
                       "再议", "XY-1") == (
            "RuleViolation", "AGR-02", "objection 异议-1 is already decided",
            "a reversal goes through a dispute (DIS-01)")


# --- AGR-06 changes, AGR-05 and AGR-07 parties ------------------------------------------------
@pytest.mark.parametrize("change", ["name", "ownership", "legal_representative", "level",
                                    "address", "service_scope", "merger"])
def test_agr06_each_change_m35_names_is_a_change_kind(change):
    assert check_change_kind(change) is None


def test_agr06_a_change_m35_does_not_name_is_refused():
    assert refusal(check_change_kind, "colour") == (
        "InvalidCommand", "AGR-06", "unknown change 'colour'",
        "use one of name, ownership, legal_representative, level, address, service_scope, "
        "merger")


def test_agr05_agr07_a_party_is_the_agency_or_the_institution():
    for party in ("agency", "institution"):
        assert check_party(party, "given_by", "AGR-07", "name the party") is None
    # the one refusal here without a message key yet (so no Chinese): its words alone
    with pytest.raises(InvalidCommand) as info:
        check_party("patient", "given_by", "AGR-07", "name the party")
    e = info.value
    assert (e.rule, e.reason, e.remedy) == (
        "AGR-07", "given_by is agency or institution", "name the party")
