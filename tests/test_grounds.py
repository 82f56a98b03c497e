"""The statutory ground catalogues (ADM-03, SUS-03, SUS-06, TER-01, TER-05, AGR-04)."""
from __future__ import annotations

import pytest

from domain.grounds import (AGREEMENT_TYPES, ALL_GROUNDS, APPLICATION_BARS, BREACH_CLAUSES,
                            ENDINGS, MANDATORY_SUSPENSION_GROUNDS, NON_BREACH_ENDINGS,
                            TERMINATION_GROUNDS, StatutoryGround, ground)


def test_every_ground_code_is_unique():
    codes = [g.code for g in ALL_GROUNDS]
    assert len(codes) == len(set(codes))


def test_every_ground_has_an_article_a_rule_and_both_texts():
    for g in ALL_GROUNDS:
        assert isinstance(g, StatutoryGround)
        assert g.article and g.rule and g.text_zh and g.text_en, g.code


def test_m11_has_eight_items_with_the_bar_years_of_adm_03():
    # ADM-03: M 11 items (1)-(8); items 2, 3 and 5 bar 3 years, item 4 one
    # year, the rest while the state lasts.
    assert [g.code for g in APPLICATION_BARS] == [f"M11-{i}" for i in range(1, 9)]
    assert all(g.rule == "ADM-03" for g in APPLICATION_BARS)
    assert {g.code: g.bar_years for g in APPLICATION_BARS} == {
        "M11-1": None, "M11-2": 3, "M11-3": 3, "M11-4": 1,
        "M11-5": 3, "M11-6": None, "M11-7": None, "M11-8": None,
    }


def test_m38_has_four_mandatory_suspension_grounds_that_suspend():
    # SUS-03
    assert [g.code for g in MANDATORY_SUSPENSION_GROUNDS] == [f"M38-{i}" for i in range(1, 5)]
    assert all(g.rule == "SUS-03" and g.sanctions == ("suspend",)
               for g in MANDATORY_SUSPENSION_GROUNDS)


def test_m39_has_fourteen_items_under_ter_01():
    m39 = [g for g in TERMINATION_GROUNDS if g.code.startswith("M39-")]
    assert [g.code for g in m39] == [f"M39-{i}" for i in range(1, 15)]
    assert all(g.rule == "TER-01" and "terminate" in g.sanctions for g in m39)


def test_agreement_ending_clauses_have_one_ground_per_item():
    # TER-01: MA 44 (5 items), RA 36 (3 items), DA 37 (7 items)
    codes = {g.code for g in TERMINATION_GROUNDS}
    assert {f"MA44-{i}" for i in range(1, 6)} <= codes
    assert {f"RA36-{i}" for i in range(1, 4)} <= codes
    assert {f"DA37-{i}" for i in range(1, 8)} <= codes
    assert not {"MA44-6", "RA36-4", "DA37-8"} & codes


def test_a_da_37_ending_forfeits_the_whole_deposit():
    # DEP-03 via DA 37
    assert all("deposit_all" in g.sanctions
               for g in TERMINATION_GROUNDS if g.code.startswith("DA37-"))


def test_non_breach_endings_are_not_breaches():
    # TER-05
    assert [g.code for g in NON_BREACH_ENDINGS] == [
        "EXPIRY", "AUTO-SUS-180", "AUTO-SUS-EXPIRY", "EARLY-NOTICE", "RENEWED"]
    assert not any(g.is_breach for g in NON_BREACH_ENDINGS)
    assert {g.rule for g in NON_BREACH_ENDINGS} == {"AGR-05", "SUS-02", "SUS-05", "AGR-07"}


def test_m39_12_the_institutions_own_request_is_not_a_breach():
    assert ground("M39-12").is_breach is False


def test_every_other_termination_ground_is_a_breach():
    assert [g.code for g in TERMINATION_GROUNDS if not g.is_breach] == ["M39-12"]


def test_only_endings_carry_the_breach_flag():
    ending_codes = {g.code for g in ENDINGS}
    assert not any(g.is_breach for g in ALL_GROUNDS if g.code not in ending_codes)


def test_breach_clauses_cover_ma_42_43_ra_34_35_and_da_35_36_with_their_sanctions():
    # SUS-06
    counts: dict[str, int] = {}
    for g in BREACH_CLAUSES:
        assert g.rule == "SUS-06" and g.sanctions, g.code
        counts[g.code.split("-")[0]] = counts.get(g.code.split("-")[0], 0) + 1
    assert counts == {"MA42": 6, "MA43": 10, "RA34": 6, "RA35": 8, "DA35": 4, "DA36": 4}
    assert ground("MA42-1").sanctions == ("interview", "rectify", "suspend")
    assert "refuse_payment" in ground("MA43-3").sanctions
    assert ground("DA36-4").sanctions == ("suspend", "deposit_50", "rectify")
    assert "suspend" not in ground("DA35-1").sanctions


def test_agreement_types_match_institution_kinds():
    # AGR-04
    assert AGREEMENT_TYPES == {"medical": "MA", "rehab": "RA", "assistive": "DA"}


def test_lookup_returns_the_ground_with_its_citation():
    g = ground("MA44-3")
    assert g.article == "MA 44(3)" and g.rule == "TER-01" and g.is_breach


def test_lookup_of_an_unknown_code_raises_lookup_error_listing_valid_codes():
    with pytest.raises(LookupError) as info:
        ground("M39-15")
    message = str(info.value)
    assert "M39-15" in message
    for code in ("M11-1", "M39-14", "EXPIRY", "DA36-4"):
        assert code in message


def test_grounds_are_immutable():
    with pytest.raises(AttributeError):
        ground("M11-4").bar_years = 2  # type: ignore[misc]
