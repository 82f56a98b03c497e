"""Applying: basic conditions, materials, the one-time notice, acceptance and
the evaluation clock, bars, the exemption and the rehab pilot (ADM-01..07)."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from projections.deadlines import open_deadlines
from projections.status import build
from tests.builders import ALL_MATERIALS, accepted_application, evaluate, register
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)


def event_count(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def refused(rule, call, *args, **kwargs):
    """Run a command that must be refused with ``rule`` and change nothing."""
    ledger = call.__self__.ledger if hasattr(call, "__self__") else None
    with pytest.raises((RuleViolation, InvalidCommand)) as info:
        call(*args, **kwargs)
    assert info.value.rule == rule, f"expected {rule}, got {info.value.rule}: {info.value}"
    return info.value


# --- ADM-01 basic conditions -----------------------------------------------------
def test_adm01_rehab_applicant_needs_level2_rehab_or_level3_general_hospital(clerk, ledger):
    register(clerk, "TY-R001", kind="rehab", category="general", level=2)
    before = event_count(ledger)
    err = refused("ADM-01", clerk, "submit_application", "2025-02-03", number="SQ-R1",
                  institution="TY-R001", materials=ALL_MATERIALS)
    assert "M 9(2)" in err.reason
    assert event_count(ledger) == before
    register(clerk, "TY-R002", kind="rehab", category="general", level=3)
    clerk("submit_application", "2025-02-03", number="SQ-R2", institution="TY-R002",
          materials=ALL_MATERIALS)


def test_adm01_assistive_fitter_needs_three_months_in_business(clerk):
    register(clerk, "TY-A001", kind="assistive", subtype="hearing_aid",
             business_started_on=date(2024, 12, 1))
    refused("ADM-01", clerk, "submit_application", "2025-02-03", number="SQ-A1",
            institution="TY-A001", materials=ALL_MATERIALS)
    clerk("submit_application", "2025-03-01", number="SQ-A1", institution="TY-A001",
          materials=ALL_MATERIALS)


# --- ADM-02 the F1 facts and the five M 12 materials -----------------------------
def test_adm02_application_carries_f1_facts_and_the_materials_received(clerk, ledger):
    register(clerk, "TY-H001", beds=800)
    result = clerk("submit_application", "2025-01-06", number="SQ-1", institution="TY-H001",
                   materials=["application_letter", "licences"])
    assert result["missing"] == ["management_rules", "information_system", "fund_use_forecast"]
    app = ledger.application("SQ-1")
    assert app.facts["beds"] == 800 and app.facts["level"] == 3
    with pytest.raises(InvalidCommand) as info:
        clerk("submit_application", "2025-01-06", number="SQ-2", institution="TY-H001",
              materials=["a_photo"])
    assert info.value.rule == "ADM-02"


# --- ADM-03 bars, checked on the application date --------------------------------
def test_adm03_refusal_names_every_ground_and_the_date_each_lifts(clerk, ledger):
    register(clerk, "TY-H002", people=[
        {"person_id": "P-LR", "name": "张三", "role": "legal_representative"}])
    clerk("list_as_dishonest", "2024-06-01", person_id="P-LR", listed_on=date(2024, 6, 1),
          list_ref="失信〔2024〕88号")
    clerk("record_bar_fact", "2023-05-10", institution="TY-H002", ground="M11-3",
          occurred_on=date(2023, 5, 10), note="重大医疗安全事件")
    clerk("record_bar_fact", "2024-11-01", institution="TY-H002", ground="M11-7",
          occurred_on=date(2024, 11, 1), note="欠缴社会保险费")
    before = event_count(ledger)
    err = refused("ADM-03", clerk, "submit_application", "2025-03-03", number="SQ-X",
                  institution="TY-H002", materials=ALL_MATERIALS)
    articles = sorted(g.article for g in err.grounds)
    assert articles == ["M 11(1)", "M 11(3)", "M 11(7)"]
    incident = next(g for g in err.grounds if g.article == "M 11(3)")
    assert incident.lifts_on == date(2026, 5, 11)  # 3 years end on 2026-05-10 (CAL-05)
    assert event_count(ledger) == before


def test_adm03_bar_is_checked_on_the_application_date_not_today(clerk):
    register(clerk, "TY-H003")
    clerk("record_bar_fact", "2022-01-10", institution="TY-H003", ground="M11-2",
          occurred_on=date(2022, 1, 10), note="以虚假材料申请")
    refused("ADM-03", clerk, "submit_application", "2025-01-10", number="SQ-3a",
            institution="TY-H003", materials=ALL_MATERIALS)
    clerk("submit_application", "2025-01-11", number="SQ-3b", institution="TY-H003",
          materials=ALL_MATERIALS)


def test_adm03_sister_institution_ended_for_breach_bars_for_one_year(clerk):
    shared = {"person_id": "INV-1", "name": "晋康投资", "role": "investor"}
    register(clerk, "DT-H001", agency="DT", people=[shared])
    register(clerk, "TY-H004", people=[shared])
    clerk("record_bar_fact", "2024-09-30", institution="DT-H001", ground="M11-5",
          occurred_on=date(2024, 9, 30), note="因违规被解除服务协议")
    err = refused("ADM-03", clerk, "submit_application", "2025-09-30", number="SQ-4",
                  institution="TY-H004", materials=ALL_MATERIALS)
    assert [g.article for g in err.grounds] == ["M 11(4)"]
    assert err.grounds[0].lifts_on == date(2025, 10, 1)
    clerk("submit_application", "2025-10-01", number="SQ-4", institution="TY-H004",
          materials=ALL_MATERIALS)


def test_adm03_own_ending_for_violations_bars_three_years_then_while_penalty_open(clerk):
    register(clerk, "TY-H005")
    clerk("record_bar_fact", "2021-03-01", institution="TY-H005", ground="M11-5",
          occurred_on=date(2021, 3, 1), note="因违规被解除服务协议")
    clerk("record_bar_fact", "2021-03-01", institution="TY-H005", ground="M11-5-penalty",
          occurred_on=date(2021, 3, 1), note="罚款未缴清")
    err = refused("ADM-03", clerk, "submit_application", "2024-06-01", number="SQ-5",
                  institution="TY-H005", materials=ALL_MATERIALS)
    assert [g.lifts_on for g in err.grounds if g.lifts_on] == []  # penalty has no date
    clerk("lift_bar_fact", "2024-07-01", institution="TY-H005", ground="M11-5-penalty",
          lifted_on=date(2024, 7, 1), note="罚款已缴清")
    clerk("submit_application", "2024-07-02", number="SQ-5", institution="TY-H005",
          materials=ALL_MATERIALS)


def test_adm03_investigation_bars_while_it_lasts(clerk):
    register(clerk, "TY-H006")
    clerk("record_bar_fact", "2025-01-02", institution="TY-H006", ground="M11-6",
          occurred_on=date(2025, 1, 2), note="医保部门立案调查")
    refused("ADM-03", clerk, "submit_application", "2025-02-01", number="SQ-6",
            institution="TY-H006", materials=ALL_MATERIALS)
    clerk("lift_bar_fact", "2025-02-10", institution="TY-H006", ground="M11-6",
          lifted_on=date(2025, 2, 10), note="调查结束，未予处罚")
    clerk("submit_application", "2025-02-10", number="SQ-6", institution="TY-H006",
          materials=ALL_MATERIALS)


# --- ADM-04 the one-time notice ----------------------------------------------------
def test_adm04_notice_is_due_five_working_days_after_receipt_across_national_day(clerk, ledger):
    register(clerk, "TY-H007")
    result = clerk("submit_application", "2025-09-30", number="SQ-7", institution="TY-H007",
                   materials=["application_letter"])
    # Oct 1-8 2025 are rest days and Oct 11 (Sat) a make-up working day (CAL-01, CAL-02).
    assert result["notice_due"] == "2025-10-14"
    state = build(e for _, e in ledger.read_log())
    rows = open_deadlines(state, date(2025, 10, 15))
    notice = next(r for r in rows if r["rule"] == "ADM-04")
    assert notice["due"] == date(2025, 10, 14) and notice["overdue"] is True


def test_adm04_a_second_notice_for_the_same_submission_is_refused(clerk, ledger):
    register(clerk, "TY-H008")
    clerk("submit_application", "2025-03-03", number="SQ-8", institution="TY-H008",
          materials=["application_letter", "licences", "management_rules"])
    clerk("send_materials_notice", "2025-03-05", application="SQ-8", notice_no="补正-1",
          missing=["information_system", "fund_use_forecast"], supply_by=date(2025, 3, 20))
    before = event_count(ledger)
    err = refused("ADM-04", clerk, "send_materials_notice", "2025-03-06", application="SQ-8",
                  notice_no="补正-2", missing=["information_system", "fund_use_forecast"],
                  supply_by=date(2025, 3, 25))
    assert "补正-1" in err.reason
    assert event_count(ledger) == before


def test_adm04_the_notice_lists_every_missing_item_at_once(clerk):
    register(clerk, "TY-H009")
    clerk("submit_application", "2025-03-03", number="SQ-9", institution="TY-H009",
          materials=["application_letter"])
    refused("ADM-04", clerk, "send_materials_notice", "2025-03-05", application="SQ-9",
            notice_no="补正-1", missing=["licences"], supply_by=date(2025, 3, 20))


def test_adm04_a_late_notice_is_recorded_and_flagged_late(clerk):
    register(clerk, "TY-H010")
    clerk("submit_application", "2025-03-03", number="SQ-10", institution="TY-H010",
          materials=["application_letter"])
    result = clerk("send_materials_notice", "2025-03-12", application="SQ-10", notice_no="补正-9",
                   missing=["licences", "management_rules", "information_system",
                            "fund_use_forecast"], supply_by=date(2025, 3, 31))
    assert result["late"] is True and result["notice_due"] == "2025-03-10"


# --- ADM-05 acceptance and the evaluation clock -------------------------------------
def test_adm05_acceptance_needs_complete_materials(clerk):
    register(clerk, "TY-H011")
    clerk("submit_application", "2025-03-03", number="SQ-11", institution="TY-H011",
          materials=["application_letter"])
    refused("ADM-04", clerk, "accept_application", "2025-03-04", application="SQ-11")


def test_adm05_the_evaluation_clock_pauses_while_the_applicant_supplies_materials(clerk, ledger):
    accepted_application(clerk, "TY-H012", "SQ-12", on="2025-01-15")
    assert ledger.application("SQ-12").evaluation_due == date(2025, 4, 15)
    clerk("request_supplement", "2025-02-01", application="SQ-12", items=["information_system"],
          reason="信息系统对接材料不全")
    refused("ADM-05", clerk, "form_panel", "2025-02-05", evaluation="EV-12",
            application="SQ-12", members=[])
    clerk("supply_materials", "2025-02-11", application="SQ-12", items=["information_system"])
    assert ledger.application("SQ-12").evaluation_due == date(2025, 4, 25)  # 10 days paused


def test_adm05_evaluation_cannot_start_before_acceptance(clerk):
    from tests.builders import panel
    register(clerk, "TY-H013")
    clerk("submit_application", "2025-03-03", number="SQ-13", institution="TY-H013",
          materials=ALL_MATERIALS)
    refused("ADM-05", clerk, "form_panel", "2025-03-04", evaluation="EV-13",
            application="SQ-13", members=panel())


def test_adm05_an_evaluation_ending_after_three_months_is_flagged_overdue(clerk):
    accepted_application(clerk, "TY-H014", "SQ-14", on="2025-01-15")
    result = evaluate(clerk, "SQ-14", "EV-14", "2025-04-16")
    assert result["overdue"] is True


# --- ADM-06 the exemption ----------------------------------------------------------
def test_adm06_level3_general_hospital_with_designation_is_exempt(clerk, ledger):
    register(clerk, "TY-H015", level=3, category="general")
    clerk("submit_application", "2025-03-03", number="SQ-15", institution="TY-H015",
          materials=ALL_MATERIALS)
    clerk("exempt_from_evaluation", "2025-03-05", application="SQ-15",
          basic_medical_designation="晋医保定点-140100-001", fits_planning=True)
    assert ledger.application("SQ-15").status == "exempted"
    names = [type(e).__qualname__ for _, e in ledger.read_log()]
    assert "Application.Exempted" in names


def test_adm06_level1_hospital_is_not_exempt(clerk):
    register(clerk, "TY-H016", level=1, category="general")
    clerk("submit_application", "2025-03-03", number="SQ-16", institution="TY-H016",
          materials=ALL_MATERIALS)
    refused("ADM-06", clerk, "exempt_from_evaluation", "2025-03-05", application="SQ-16",
            basic_medical_designation="晋医保定点-1", fits_planning=True)


# --- ADM-07 the rehab pilot ---------------------------------------------------------
def test_adm07_an_agency_selects_at_most_two_rehab_pilots(clerk):
    for i in (1, 2, 3):
        accepted_application(clerk, f"TY-R10{i}", f"SQ-R10{i}", kind="rehab", on="2025-01-06")
        evaluate(clerk, f"SQ-R10{i}", f"EV-R10{i}", "2025-02-10")
    clerk("select_rehab_pilot", "2025-02-20", agency="TY", institution="TY-R101")
    clerk("select_rehab_pilot", "2025-02-20", agency="TY", institution="TY-R102")
    refused("ADM-07", clerk, "select_rehab_pilot", "2025-02-21", agency="TY",
            institution="TY-R103")
    clerk("release_rehab_pilot", "2025-03-01", agency="TY", institution="TY-R101",
          reason="试点机构退出")
    clerk("select_rehab_pilot", "2025-03-02", agency="TY", institution="TY-R103")


def test_adm07_only_an_institution_with_a_valid_pass_joins_the_pilot(clerk):
    accepted_application(clerk, "TY-R201", "SQ-R201", kind="rehab", on="2025-01-06")
    refused("ADM-07", clerk, "select_rehab_pilot", "2025-02-20", agency="TY",
            institution="TY-R201")
