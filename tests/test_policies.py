"""The rules that look across aggregates, called directly as the pure
policies they are (domain/policies): no store, no service, fakes with the
attributes a policy reads. Each at its edges: the day before, of and after;
a score at the limit and one hundredth under it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import Ground, RuleViolation
from domain.policies import admission as adm
from domain.policies import agreements as agr

ON = date(2025, 6, 15)


def refused(rule: str, call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as e:
        call(*args, **kwargs)
    assert e.value.rule == rule, str(e.value)
    assert e.value.remedy, "a refusal says what would make it valid"
    return e.value


# --- fakes ------------------------------------------------------------------------------
@dataclass
class FakeApplication:
    number: str = "SQ-1"
    status: str = "accepted"
    is_open: bool = True
    accepted_on: date | None = date(2025, 1, 10)
    exemption: dict[str, Any] | None = None
    evaluations: list[str] = field(default_factory=list)
    is_paused: bool = False


@dataclass
class FakeEvaluation:
    number: str = "EV-1"
    result: dict[str, Any] | None = None
    reevaluation_from: date | None = None


@dataclass
class FakePerson:
    person_id: str
    institutions: list[dict[str, Any]] = field(default_factory=list)
    dishonesty: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeAgreement:
    number: str = "XY-2025-001"
    institution_code: str = "TY-H001"
    agency: str = "TY"
    status: str = "active"
    took_effect_on: date | None = date(2025, 1, 1)
    ending: dict[str, Any] | None = None
    renewal: dict[str, Any] = field(default_factory=lambda: {"refused_on": None,
                                                              "successor": None})

    @property
    def is_ended(self) -> bool:
        return self.ending is not None or self.status == "stopped"


# --- ADM-01: basic conditions ------------------------------------------------------------
def assistive(started: date | None) -> dict[str, Any]:
    return {"licence_no": "L-1", "legal_person": True, "business_started_on": started}


def test_adm01_an_assistive_fitter_needs_3_months_in_business_to_the_day():
    assert adm.basic_conditions("assistive", assistive(date(2025, 3, 14)), ON) == []
    assert adm.basic_conditions("assistive", assistive(date(2025, 3, 15)), ON) == []
    assert adm.basic_conditions("assistive", assistive(date(2025, 3, 16)), ON) != []
    assert adm.basic_conditions("assistive", assistive(None), ON) != []


def test_adm01_three_months_back_from_a_months_last_day_is_the_shorter_months_last_day():
    on = date(2025, 5, 31)            # CAL-03: 3 months before is 2025-02-28
    assert adm.basic_conditions("assistive", assistive(date(2025, 2, 28)), on) == []
    assert adm.basic_conditions("assistive", assistive(date(2025, 3, 1)), on) != []


def test_adm01_an_assistive_fitter_must_be_a_legal_person():
    facts = {**assistive(date(2020, 1, 1)), "legal_person": False}
    assert any("legal person" in p for p in adm.basic_conditions("assistive", facts, ON))


@pytest.mark.parametrize("category, level, ok", [
    ("rehab", 1, False), ("rehab", 2, True), ("rehab", 3, True),
    ("general", 2, False), ("general", 3, True), ("", 3, False)])
def test_adm01_rehab_needs_a_level_2_rehab_or_a_level_3_general_hospital(category, level, ok):
    facts = {"licence_no": "L-1", "category": category, "level": level}
    assert (adm.basic_conditions("rehab", facts, ON) == []) is ok


def test_adm01_every_kind_needs_a_licence_and_the_refusal_names_every_problem():
    assert adm.basic_conditions("medical", {"licence_no": "L-1"}, ON) == []
    e = refused("ADM-01", adm.require_basic_conditions, "TY-R001", "rehab",
                {"category": "general", "level": 2}, ON)
    assert "licence" in e.reason and "level-3 general" in e.reason


# --- ADM-05: one application at a time ---------------------------------------------------
@pytest.mark.parametrize("status", ["received", "awaiting_materials", "accepted", "supplying",
                                    "evaluating"])
def test_adm05_an_application_in_hand_stops_the_next(status):
    e = refused("ADM-05", adm.require_no_open_application, "TY-H001",
                [FakeApplication(number="SQ-7", status=status)])
    assert "SQ-7" in e.reason and status in e.reason


@pytest.mark.parametrize("app", [FakeApplication(status="passed"),
                                 FakeApplication(status="exempted"),
                                 FakeApplication(status="closed", is_open=False),
                                 FakeApplication(status="declined", is_open=False)])
def test_adm05_a_passed_exempted_or_closed_application_does_not(app):
    adm.require_no_open_application("TY-H001", [app])


# --- ADM-05, ADM-06, EVA-04..06: forming a panel -----------------------------------------
def test_eva05_a_re_evaluation_is_organised_from_the_day_after_3_months():
    failed = FakeEvaluation(result={"passed": False, "served_on": date(2025, 3, 15)},
                            reevaluation_from=date(2025, 6, 16))
    app = FakeApplication(status="evaluating", evaluations=["EV-1"])
    e = refused("EVA-05", adm.require_panel_may_form, app, failed, date(2025, 6, 15))
    assert "2025-06-16" in e.remedy
    adm.require_panel_may_form(app, failed, date(2025, 6, 16))
    adm.require_panel_may_form(app, failed, date(2025, 6, 17))


@pytest.mark.parametrize("app, previous, rule", [
    (FakeApplication(status="closed", is_open=False), None, "EVA-05"),
    (FakeApplication(status="declined", is_open=False), None, "ADM-05"),
    (FakeApplication(accepted_on=None), None, "ADM-05"),
    (FakeApplication(exemption={"article": "M 16"}), None, "ADM-06"),
    (FakeApplication(is_paused=True), None, "ADM-05"),
    (FakeApplication(evaluations=["EV-1"]), FakeEvaluation(result=None), "EVA-06"),
    (FakeApplication(evaluations=["EV-1"]),
     FakeEvaluation(result={"passed": True, "served_on": ON}), "EVA-04"),
])
def test_adm05_a_panel_needs_an_accepted_application_with_no_evaluation_in_hand(app, previous,
                                                                                 rule):
    refused(rule, adm.require_panel_may_form, app, previous, ON)


def test_adm05_a_first_panel_on_an_accepted_application_may_form():
    adm.require_panel_may_form(FakeApplication(), None, ON)


# --- ADM-03: who may not apply -------------------------------------------------------------
def test_adm03_sisters_share_a_legal_representative_or_an_investor_only():
    people = [FakePerson("P1", institutions=[
                  {"code": "TY-H001", "role": "legal_representative"},
                  {"code": "TY-H002", "role": "legal_representative"},
                  {"code": "TY-H003", "role": "practitioner"}]),
              FakePerson("P2", institutions=[{"code": "TY-H004", "role": "investor"},
                                             {"code": "TY-H005", "role": "principal"}])]
    assert adm.sister_codes("TY-H001", people) == {"TY-H002", "TY-H004"}


def test_adm03_only_breach_endings_and_unlifted_m11_5_facts_bar():
    facts = [{"ground": "M11-5", "occurred_on": date(2023, 5, 1), "lifted_on": None},
             {"ground": "M11-5", "occurred_on": date(2022, 5, 1), "lifted_on": date(2023, 1, 1)},
             {"ground": "M11-6", "occurred_on": date(2024, 5, 1), "lifted_on": None}]
    endings = [{"is_breach": True, "ended_on": date(2024, 8, 1), "ground": "M39-1"},
               {"is_breach": False, "ended_on": date(2024, 12, 2), "ground": "AUTO-SUS-180"},
               None]
    found = adm.breach_endings("TY-H001", facts, endings)
    assert [(e.ended_on, e.ground) for e in found] == \
        [(date(2023, 5, 1), "M11-5"), (date(2024, 8, 1), "M39-1")]   # TER-05: not the rest


def grounds_on(on: date, role: str, listed_on: date, delisted_on: date | None) -> list[Ground]:
    person = FakePerson("P1", dishonesty=[{"listed_on": listed_on, "delisted_on": delisted_on}])
    return adm.application_grounds(on, institution_code="TY-H001",
                                   people=[{"person_id": "P1", "role": role}],
                                   persons={"P1": person}, bar_facts=[], own_endings=[],
                                   sister_endings=[], second_fail_served_on=[])


def test_adm03_a_listed_legal_representative_bars_from_the_day_listed_to_the_day_delisted():
    listed, delisted = date(2025, 3, 1), date(2025, 6, 1)
    assert grounds_on(date(2025, 2, 28), "legal_representative", listed, delisted) == []
    assert len(grounds_on(listed, "legal_representative", listed, delisted)) == 1
    assert len(grounds_on(date(2025, 5, 31), "legal_representative", listed, delisted)) == 1
    assert grounds_on(delisted, "legal_representative", listed, delisted) == []
    assert grounds_on(listed, "investor", listed, None) == []   # item 1 names three roles


def test_adm03_the_refusal_names_every_ground_with_the_day_it_lifts():
    grounds = [Ground("ADM-03", "one", "M 11(1)", None),
               Ground("EVA-05", "two", "M 15", date(2026, 3, 16))]
    e = refused("ADM-03", adm.require_may_apply, "TY-H001", ON, grounds)
    assert e.grounds == tuple(grounds) and "2 ground(s)" in e.reason
    adm.require_may_apply("TY-H001", ON, [])


def test_eva05_a_second_failure_is_counted_from_its_service_day_and_a_pass_is_not():
    results = [{"passed": False, "served_on": date(2025, 3, 15)},
               {"passed": True, "served_on": date(2025, 4, 1)}, None]
    assert adm.second_fails(results) == [date(2025, 3, 15)]


# --- AGR-03: the 2-year term ----------------------------------------------------------------
def scores(**by_year: str) -> dict[int, Decimal]:
    return {int(y[1:]): Decimal(v) for y, v in by_year.items()}


def test_agr03_the_three_years_are_the_last_assessed_when_the_latest_is_y1_or_y2():
    start = date(2026, 1, 1)
    assert agr.excellent_years_considered(scores(y2023="95", y2024="95", y2025="95"), start) \
        == [2025, 2024, 2023]
    assert agr.excellent_years_considered(scores(y2022="95", y2023="95", y2024="95"), start) \
        == [2024, 2023, 2022]
    # the latest is Y-3: the years are Y-1..Y-3, and the two missing ones fail
    assert agr.excellent_years_considered(scores(y2023="95"), start) == [2025, 2024, 2023]
    assert agr.excellent_years_considered({}, start) == [2025, 2024, 2023]


def test_agr03_excellent_is_90_points_not_a_hundredth_less():
    start = date(2026, 1, 1)
    agr.require_term_allowed(2, scores(y2023="90", y2024="90.00", y2025="99"), start)
    e = refused("AGR-03", agr.require_term_allowed, 2,
                scores(y2023="90", y2024="89.99", y2025="99"), start)
    assert "not met for 2024" in e.reason and e.remedy == "sign for 1 year"


def test_agr03_a_missing_year_fails_and_a_1_year_term_needs_no_scores():
    start = date(2026, 1, 1)
    refused("AGR-03", agr.require_term_allowed, 2, scores(y2024="95", y2025="95"), start)
    agr.require_term_allowed(1, {}, start)


# --- AGR-05: renewal, and one live agreement ---------------------------------------------------
def test_agr05_a_renewal_continues_the_institutions_own_agreement_in_force():
    agr.require_renewable(FakeAgreement(), "TY-H001")
    refused("AGR-05", agr.require_renewable, FakeAgreement(), "TY-H002")
    refused("AGR-05", agr.require_renewable, FakeAgreement(took_effect_on=None,
                                                           status="signed"), "TY-H001")
    e = refused("TER-03", agr.require_renewable,
                FakeAgreement(ending={"ended_on": date(2025, 9, 29)}), "TY-H001")
    assert "2025-09-29" in e.reason


def test_agr05_a_refused_or_already_renewed_agreement_is_not_renewed_again():
    refused("AGR-05", agr.require_renewable,
            FakeAgreement(renewal={"refused_on": date(2025, 11, 1), "successor": None}),
            "TY-H001")
    e = refused("AGR-05", agr.require_renewable,
                FakeAgreement(renewal={"refused_on": None, "successor": "XY-2026-001"}),
                "TY-H001")
    assert "XY-2026-001" in e.reason


def test_agr05_a_new_agreement_beside_a_live_one_with_the_same_agency_is_refused():
    refused("AGR-05", agr.require_no_live_agreement, "TY-H001", "TY", [FakeAgreement()])
    agr.require_no_live_agreement("TY-H001", "TY", [
        FakeAgreement(ending={"ended_on": date(2025, 9, 29)}), FakeAgreement(agency="JZ")])


# --- AGR-01 and ADM-07: what signing rests on ----------------------------------------------------
def test_agr01_an_agreement_rests_on_a_valid_pass_else_the_latest_exemption():
    ev = FakeEvaluation(result={"valid_until": date(2026, 3, 14)})
    assert agr.admission_basis("TY-H001", ON, ev, ["SQ-2"]) == \
        {"evaluation": "EV-1", "valid_until": date(2026, 3, 14), "article": "M 15"}
    assert agr.admission_basis("TY-H001", ON, None, iter(["SQ-3", "SQ-2"])) == \
        {"exemption": "SQ-3", "article": "M 16"}
    refused("AGR-01", agr.admission_basis, "TY-H001", ON, None, [])


def test_agr01_no_agreement_is_signed_while_a_ground_bars():
    ground = Ground("ADM-03", "under investigation", "M 11(6)", None)
    e = refused("AGR-01", agr.require_no_bar_to_sign, "TY-H001", ON, [ground])
    assert e.grounds == (ground,)
    agr.require_no_bar_to_sign("TY-H001", ON, [])


def test_adm07_only_the_agencys_selected_pilots_sign_a_rehab_agreement():
    agr.require_rehab_pilot("TY-R001", "rehab", "TY", ["TY-R001"])
    refused("ADM-07", agr.require_rehab_pilot, "TY-R002", "rehab", "TY", ["TY-R001"])
    agr.require_rehab_pilot("TY-H001", "medical", "TY", [])
