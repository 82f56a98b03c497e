"""Admission rules at their edges (issue #18): each condition of a compound
rule on its own, through the public service on the in-memory store.

ADM-06's exemption (M 16) needs four things at once: a level-2 or level-3
hospital, general or TCM, with the basic medical insurance designation, that
the agency confirms fits the planning. Each is broken here alone and must be
refused naming it; ADM-01's rehab conditions likewise (a level-1 rehab
hospital, a level-2 general one).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.bars import Listing, application_bars
from domain.policies.admission import basic_conditions
from tests.builders import ALL_MATERIALS, accepted_application, refused, register
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)


def exempt(clerk, application, designation="晋医保定点-0001", planning=True):
    return clerk("exempt_from_evaluation", "2025-01-10", application=application,
                 basic_medical_designation=designation, fits_planning=planning)


def test_adm06_a_level_2_general_hospital_designated_and_in_the_planning_is_exempt(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", level=2, category="general")
    assert exempt(clerk, "SQ-1")["status"] == "exempted"


def test_adm06_a_level_3_tcm_hospital_is_exempt_too(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", level=3, category="tcm")
    assert exempt(clerk, "SQ-1")["status"] == "exempted"


@pytest.mark.parametrize("facts, basis, named", [
    ({"level": 1}, {}, "level is 1, not level 2 or 3"),
    ({"level": 4}, {}, "level is 4, not level 2 or 3"),
    ({"category": "specialty"}, {}, "category is specialty"),
    ({}, {"designation": ""}, "no Shanxi basic medical insurance designation"),
    ({}, {"planning": False}, "has not confirmed it fits the planning"),
])
def test_adm06_each_condition_of_the_exemption_missing_alone_refuses_it(clerk, facts, basis,
                                                                        named):
    accepted_application(clerk, "TY-H001", "SQ-1", **{"level": 3, "category": "general",
                                                      **facts})
    err = refused("ADM-06", clerk, "exempt_from_evaluation", "2025-01-10", application="SQ-1",
                  basic_medical_designation=basis.get("designation", "晋医保定点-0001"),
                  fits_planning=basis.get("planning", True))
    assert named in err.reason
    assert err.reason.count(";") == 0, "only the broken condition is named"


def test_adm06_a_rehab_application_is_never_exempted(clerk):
    accepted_application(clerk, "TY-R001", "SQ-R", kind="rehab", level=3, category="general")
    err = refused("ADM-06", clerk, "exempt_from_evaluation", "2025-01-10", application="SQ-R",
                  basic_medical_designation="晋医保定点-0002", fits_planning=True)
    assert "only medical agreements" in err.reason


def test_adm06_an_application_with_a_panel_formed_is_no_longer_exempted(clerk):
    from tests.builders import panel
    accepted_application(clerk, "TY-H001", "SQ-1")
    clerk("form_panel", "2025-01-08", evaluation="EV-1", application="SQ-1", members=panel())
    refused("ADM-06", clerk, "exempt_from_evaluation", "2025-01-10", application="SQ-1",
            basic_medical_designation="晋医保定点-0001", fits_planning=True)


# --- ADM-01: rehab and assistive conditions, one at a time ------------------------------------
@pytest.mark.parametrize("category, level, ok", [
    ("rehab", 1, False), ("rehab", 2, True), ("rehab", 3, True),
    ("general", 2, False), ("general", 3, True), ("specialty", 3, False)])
def test_adm01_a_rehab_applicant_is_a_level_2_rehab_or_level_3_general_hospital(category,
                                                                                  level, ok):
    facts = {"licence_no": "PDY-1", "category": category, "level": level}
    assert (basic_conditions("rehab", facts, date(2025, 1, 6)) == []) is ok


def test_adm01_a_level_1_rehab_hospital_is_refused_through_the_service(clerk):
    register(clerk, "TY-R001", kind="rehab", level=1)
    err = refused("ADM-01", clerk, "submit_application", "2025-01-06", number="SQ-R",
                  institution="TY-R001", materials=ALL_MATERIALS)
    assert "rehab level 1" in err.reason


def test_adm01_medical_and_assistive_applicants_need_only_their_own_conditions():
    medical = {"licence_no": "PDY-1", "category": "specialty", "level": 1}
    assert basic_conditions("medical", medical, date(2025, 1, 6)) == []
    fitter = {"licence_no": "PDY-1", "legal_person": True,
              "business_started_on": date(2024, 10, 6)}
    assert basic_conditions("assistive", fitter, date(2025, 1, 6)) == []
    assert len(basic_conditions("assistive", {**fitter, "legal_person": False},
                                date(2025, 1, 6))) == 1
    assert len(basic_conditions("assistive", {**fitter, "business_started_on": None},
                                date(2025, 1, 6))) == 1
    assert len(basic_conditions("assistive", {**fitter, "business_started_on": "2024-10-07"},
                                date(2025, 1, 6))) == 1
    assert len(basic_conditions("medical", {**medical, "licence_no": ""},
                                date(2025, 1, 6))) == 1


# --- ADM-03: a dishonesty listing bars from its first day until the day it is lifted -------------
@pytest.mark.parametrize("on, barred", [
    (date(2024, 12, 31), False), (date(2025, 1, 1), True), (date(2025, 6, 30), True),
    (date(2025, 7, 1), False)])
def test_adm03_a_listed_representative_bars_from_the_listing_day_to_the_day_before_delisting(
        on, barred):
    listing = Listing("P-1", "legal_representative", date(2025, 1, 1), date(2025, 7, 1))
    grounds = application_bars(on, institution_code="TY-H001", facts=[], listings=[listing],
                               own_endings=[], sister_endings=[], second_fail_served_on=[])
    assert bool(grounds) is barred
    if barred:
        assert grounds[0].rule == "ADM-03" and grounds[0].lifts_on == date(2025, 7, 1)


def test_adm03_a_listing_never_lifted_bars_without_an_end():
    listing = Listing("P-1", "legal_representative", date(2025, 1, 1), None)
    [ground] = application_bars(date(2030, 1, 1), institution_code="TY-H001", facts=[],
                                listings=[listing], own_endings=[], sister_endings=[],
                                second_fail_served_on=[])
    assert ground.lifts_on is None
