"""The pure checks before a breach finding, a termination and a dispute's
reversal (SUS-06, AGR-04, TER-01, TER-04, DIS-01; domain/termination.py),
each condition of each check tried on its own (issue #18).

A refusal is what an officer reads, so each is checked whole: its class, its
rule, its reason and its remedy, as the officer sees them.
"""
from __future__ import annotations

from datetime import date

import pytest

from tests.refusal_words import read
from domain.errors import InvalidCommand, RuleViolation
from domain.termination import check_finding, check_reversal, check_termination


def refusal(call, *args, **kwargs):
    with pytest.raises((RuleViolation, InvalidCommand)) as info:
        call(*args, **kwargs)
    return read(info.value)


# --- SUS-06, AGR-04: a breach finding ----------------------------------------------------------
def test_sus06_a_finding_cites_a_breach_clause_of_its_type_with_the_measures_it_provides():
    g = check_finding("MA43-2", ["refund", "suspend"], "MA")
    assert (g.code, g.article) == ("MA43-2", "MA 43(2)")
    assert check_finding("DA35-4", [], "DA").code == "DA35-4"


@pytest.mark.parametrize("clause", ["MA99-1", "M39-3", "MA44-1", ""])
def test_sus06_an_uncatalogued_clause_or_a_termination_ground_is_no_breach_clause(clause):
    # M39-3 and MA44-1 are catalogued grounds, but of termination, not of breach
    assert refusal(check_finding, clause, [], "MA") == (
        "RuleViolation", "SUS-06", f"{clause!r} is not a breach clause",
        "cite an item of MA 42-43, RA 34-35 or DA 35-36")


def test_agr04_a_finding_cites_a_clause_of_its_own_agreement_type():
    assert refusal(check_finding, "RA34-1", [], "MA") == (
        "RuleViolation", "AGR-04", "RA34-1 is a clause of another agreement type; this is MA",
        "cite a clause of the MA text")


def test_sus06_a_finding_records_only_the_measures_its_clause_provides():
    assert refusal(check_finding, "MA42-1", ["suspend", "refund", "interview", "fine"],
                   "MA") == (
        "RuleViolation", "SUS-06",
        "MA42-1 provides for interview, rectify, suspend; not fine, refund",
        "record only the measures the clause provides")


# --- TER-01, AGR-04, TER-04: a termination ---------------------------------------------------
def terminate(**kw):
    args = dict(ground_code="M39-3", agreement_type="MA", took_effect_on=date(2025, 1, 1),
                notice_no="解除-1", report_ref="报-1", reported_on=date(2025, 6, 16))
    return check_termination(**{**args, **kw})


def test_ter01_an_agreement_in_force_is_ended_on_an_m39_ground_or_one_of_its_own_type():
    assert terminate().code == "M39-3"
    assert terminate(ground_code="RA36-2", agreement_type="RA").code == "RA36-2"


def test_ter01_an_agreement_that_never_took_effect_is_not_terminated():
    assert refusal(terminate, took_effect_on=None) == (
        "RuleViolation", "TER-01", "an agreement that never took effect is not terminated",
        "record an upheld objection instead")


@pytest.mark.parametrize("code", ["M39-15", "MA42-1", "m39-3"])
def test_ter01_only_a_catalogued_termination_ground_ends_an_agreement(code):
    assert refusal(terminate, ground_code=code) == (
        "RuleViolation", "TER-01", f"{code!r} is not a termination ground",
        "cite an M 39 item or MA 44 / RA 36 / DA 37 item")


@pytest.mark.parametrize("code, own", [("RA36-1", "MA"), ("DA37-1", "MA"), ("MA44-1", "RA")])
def test_agr04_a_ground_of_another_agreement_type_is_refused(code, own):
    assert refusal(terminate, ground_code=code, agreement_type=own) == (
        "RuleViolation", "AGR-04", f"{code} belongs to another agreement type; this is {own}",
        f"cite M 39 or an item of {own}")


@pytest.mark.parametrize("missing, given", [
    ("notice_no", {"notice_no": " "}),
    ("report_ref", {"report_ref": ""}),
    ("reported_on", {"reported_on": None}),
    ("notice_no, report_ref, reported_on",
     {"notice_no": "", "report_ref": " ", "reported_on": None}),
])
def test_ter04_every_ending_records_its_notice_and_its_report_each_on_its_own(missing, given):
    assert refusal(terminate, **given) == (
        "RuleViolation", "TER-04",
        "every ending records the written notice and the report to the administrative "
        f"department; missing {missing}",
        "give notice_no, notice_on, reported_on and report_ref (M 43)")


# --- DIS-01: what a dispute may reverse --------------------------------------------------------
AGENCY_ENDING = {"notice_no": "解除-1"}


def test_dis01_an_agency_termination_and_an_agency_suspension_may_be_reversed():
    assert check_reversal("ending", AGENCY_ENDING, None) is None
    for kind in ("mandatory", "disciplinary"):
        assert check_reversal("suspension", None, {"kind": kind}) is None


@pytest.mark.parametrize("ending", [None, {"notice_no": ""}])
def test_dis01_no_ending_or_one_by_time_passing_is_no_termination_to_reverse(ending):
    # an expiry or the 180-day cap records no notice: nothing the agency decided
    assert refusal(check_reversal, "ending", ending, {"kind": "mandatory"}) == (
        "RuleViolation", "DIS-01", "there is no agency termination to reverse",
        "name a decision the agreement holds")


@pytest.mark.parametrize("suspension", [None, {"kind": "voluntary"}])
def test_dis01_no_suspension_or_the_institutions_own_is_no_agency_suspension(suspension):
    assert refusal(check_reversal, "suspension", AGENCY_ENDING, suspension) == (
        "RuleViolation", "DIS-01", "there is no agency suspension in force to reverse",
        "name a decision the agreement holds")


@pytest.mark.parametrize("decision", ["finding", "Ending", ""])
def test_dis01_only_an_ending_or_a_suspension_is_reversed(decision):
    assert refusal(check_reversal, decision, AGENCY_ENDING, {"kind": "mandatory"}) == (
        "InvalidCommand", "DIS-01", f"cannot reverse {decision!r}",
        "reverse an 'ending' or a 'suspension'")
