"""Evaluation: the panel, the F2 form, scores, the pass mark, the fail and the
re-evaluation, the written report (EVA-01..06)."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from tests.builders import refused, ALL_MATERIALS, accepted_application, evaluate, panel, register, scorers
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)



@pytest.fixture
def accepted(clerk):
    return accepted_application(clerk, "TY-H100", "SQ-100", on="2025-01-06")


# --- EVA-01 the panel ------------------------------------------------------------
@pytest.mark.parametrize("size", [5, 6, 8])
def test_eva01_a_panel_needs_an_odd_number_of_at_least_seven(clerk, accepted, size):
    refused("EVA-01", clerk, "form_panel", "2025-01-20", evaluation="EV-100",
            application=accepted, members=panel(size))


def test_eva01_recused_members_do_not_count_toward_the_seven(clerk, accepted):
    # 8 members with one conflict leaves 7 scoring members: valid.
    result = clerk("form_panel", "2025-01-20", evaluation="EV-100", application=accepted,
                   members=panel(8, conflicts=("E08",)))
    assert result["scoring_members"] == 7 and result["recused"] == ["E08"]


def test_eva01_seven_members_with_one_conflict_is_too_few(clerk, accepted):
    refused("EVA-01", clerk, "form_panel", "2025-01-20", evaluation="EV-100",
            application=accepted, members=panel(7, conflicts=("E03",)))


def test_eva01_a_recused_member_cannot_score(clerk, accepted):
    clerk("form_panel", "2025-01-20", evaluation="EV-100", application=accepted,
          members=panel(8, conflicts=("E08",)))
    refused("EVA-01", clerk, "record_scores", "2025-01-21", evaluation="EV-100",
            scored_by=scorers(8), deductions={}, awarded={}, veto_failed=[])


# --- EVA-02 the form follows kind and subtype -----------------------------------
@pytest.mark.parametrize("kind, subtype, form_id", [
    ("medical", None, "F2-medical"),
    ("rehab", None, "F2-rehab"),
    ("assistive", "prosthetic_orthotic", "F2-assistive-prosthetic_orthotic"),
    ("assistive", "hearing_aid", "F2-assistive-hearing_aid"),
    ("assistive", "optical_aid", "F2-assistive-optical_aid"),
    ("assistive", "artificial_eye", "F2-assistive-artificial_eye"),
])
def test_eva02_the_evaluation_uses_the_form_of_the_institutions_kind(clerk, kind, subtype,
                                                                    form_id):
    accepted_application(clerk, "TY-X1", "SQ-X1", kind=kind, subtype=subtype, on="2025-01-06")
    result = clerk("form_panel", "2025-01-20", evaluation="EV-X1", application="SQ-X1",
                   members=panel())
    assert result["form"] == form_id


def test_eva02_an_item_of_another_form_is_refused(clerk, accepted):
    clerk("form_panel", "2025-01-20", evaluation="EV-100", application=accepted, members=panel())
    refused("EVA-02", clerk, "record_scores", "2025-01-21", evaluation="EV-100",
            scored_by=scorers(), deductions={"6.1": [["1", "康复医师不足"]]}, awarded={},
            veto_failed=[])


# --- EVA-03 veto, bounds, computed total ----------------------------------------
def test_eva03_a_failed_veto_item_fails_whatever_the_points(clerk, accepted):
    result = evaluate(clerk, accepted, "EV-100", "2025-02-10", veto_failed=["V4"],
                      passed_expected=False)
    assert result["passed"] is False and result["total"] == "100"
    assert result["veto_failed"] == ["V4"]


def test_eva03_a_score_above_the_items_maximum_is_refused(clerk, accepted):
    clerk("form_panel", "2025-01-20", evaluation="EV-100", application=accepted, members=panel())
    err = refused("EVA-03", clerk, "record_scores", "2025-01-21", evaluation="EV-100",
                  scored_by=scorers(), deductions={}, awarded={"7": "16"}, veto_failed=[])
    assert "15" in err.reason + err.remedy


def test_eva03_deductions_stop_at_zero_within_the_item(clerk, accepted, ledger):
    clerk("form_panel", "2025-01-20", evaluation="EV-100", application=accepted, members=panel())
    result = clerk("record_scores", "2025-01-21", evaluation="EV-100", scored_by=scorers(),
                   deductions={"7": [["10", "药品配备率不足"], ["10", "耗材无追溯"]]},
                   awarded={}, veto_failed=[])
    assert result["total"] == "85"  # item 7 is worth 15: 20 deducted stops at 0
    assert ledger.evaluation("EV-100").sheet["item_points"]["7"] == 0


# --- EVA-04 pass mark and validity ----------------------------------------------
def test_eva04_ninety_points_pass_and_eighty_nine_and_a_half_fail(clerk, ledger):
    accepted_application(clerk, "TY-H101", "SQ-101", on="2025-01-06")
    ok = evaluate(clerk, "SQ-101", "EV-101", "2025-02-10", deductions={"6": [["10", "床位不足"]]})
    assert ok["passed"] is True and ok["total"] == "90"
    accepted_application(clerk, "TY-H102", "SQ-102", on="2025-01-06")
    ko = evaluate(clerk, "SQ-102", "EV-102", "2025-02-10",
                  deductions={"6": [["10.5", "床位不足"]]}, passed_expected=False)
    assert ko["passed"] is False and ko["total"] == "89.5"


def test_eva04_a_pass_is_valid_for_one_or_two_years_from_the_result(clerk, ledger, accepted):
    clerk("form_panel", "2025-02-10", evaluation="EV-100", application=accepted, members=panel())
    clerk("record_scores", "2025-02-10", evaluation="EV-100", scored_by=scorers(),
          deductions={}, awarded={}, veto_failed=[])
    refused("EVA-04", clerk, "conclude_evaluation", "2025-02-10", evaluation="EV-100",
            report_no="RPT-1", served_on=None, validity_years=3, reasons=[], advice="")
    clerk("conclude_evaluation", "2025-02-10", evaluation="EV-100", report_no="RPT-1",
          served_on=None, validity_years=2, reasons=[], advice="")
    ev = ledger.evaluation("EV-100")
    assert ev.pass_valid_on(date(2027, 2, 10)) and not ev.pass_valid_on(date(2027, 2, 11))


# --- EVA-05 fail, re-evaluation after 3 months, 1-year bar after the second fail -
def test_eva05_a_fail_needs_reasons_and_rectification_advice(clerk, accepted):
    clerk("form_panel", "2025-02-10", evaluation="EV-100", application=accepted, members=panel())
    clerk("record_scores", "2025-02-10", evaluation="EV-100", scored_by=scorers(),
          deductions={"9": [["20", "无大型设备"]]}, awarded={}, veto_failed=[])
    refused("EVA-05", clerk, "conclude_evaluation", "2025-02-10", evaluation="EV-100",
            report_no="RPT-1", served_on=None, validity_years=None, reasons=[], advice="")


def test_eva05_re_evaluation_waits_three_months_from_service_of_the_result(clerk, accepted):
    evaluate(clerk, accepted, "EV-100", "2025-02-10", served_on="2025-02-12",
             deductions={"9": [["20", "无大型设备"]]}, passed_expected=False)
    # 3 months from service end on 2025-05-12 (CAL-03); re-evaluation from the next day.
    err = refused("EVA-05", clerk, "form_panel", "2025-05-12", evaluation="EV-100b",
                  application=accepted, members=panel())
    assert "2025-05-13" in err.reason
    clerk("form_panel", "2025-05-13", evaluation="EV-100b", application=accepted,
          members=panel())


def test_eva05_a_failed_re_evaluation_bars_a_new_application_for_one_year(clerk, accepted):
    evaluate(clerk, accepted, "EV-100", "2025-02-10", deductions={"9": [["20", "无设备"]]},
             passed_expected=False)
    second = evaluate(clerk, accepted, "EV-100b", "2025-05-12",
                      deductions={"9": [["15", "设备仍不足"]]}, passed_expected=False)
    assert second["reapply_from"] == "2026-05-13"
    refused("EVA-05", clerk, "form_panel", "2025-09-01", evaluation="EV-100c",
            application=accepted, members=panel())
    err = refused("ADM-03", clerk, "submit_application", "2026-05-12", number="SQ-100b",
                  institution="TY-H100", materials=ALL_MATERIALS)
    assert any(g.rule == "EVA-05" and g.lifts_on == date(2026, 5, 13) for g in err.grounds)
    clerk("submit_application", "2026-05-13", number="SQ-100b", institution="TY-H100",
          materials=ALL_MATERIALS)


# --- EVA-06 the written report and the working papers ----------------------------
def test_eva06_every_evaluation_closes_with_a_written_report(clerk, accepted):
    clerk("form_panel", "2025-02-10", evaluation="EV-100", application=accepted, members=panel())
    refused("EVA-03", clerk, "conclude_evaluation", "2025-02-10", evaluation="EV-100",
            report_no="RPT-1", served_on=None, validity_years=1, reasons=[], advice="")
    clerk("record_scores", "2025-02-10", evaluation="EV-100", scored_by=scorers(),
          deductions={}, awarded={}, veto_failed=[])
    refused("EVA-06", clerk, "conclude_evaluation", "2025-02-10", evaluation="EV-100",
            report_no=" ", served_on=None, validity_years=1, reasons=[], advice="")


def test_eva06_the_working_papers_keep_each_deduction_and_its_reason(clerk, ledger, accepted):
    evaluate(clerk, accepted, "EV-100", "2025-02-10",
             deductions={"8": [["2", "药品出入库账目不清"], ["1.5", "耗材无追溯码"]]})
    scored = [e for _, e in ledger.read_log() if type(e).__qualname__ == "Evaluation.Scored"]
    assert len(scored) == 1
    from decimal import Decimal
    assert scored[0].deductions["8"] == [[Decimal("2"), "药品出入库账目不清"],
                                         [Decimal("1.5"), "耗材无追溯码"]]
    assert scored[0].total == Decimal("96.5")
