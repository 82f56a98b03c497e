"""Edge cases found in review: roles, fact changes, odd numbers, statuses."""
from __future__ import annotations

from datetime import date

import pytest

from adapters.commands import parse
from domain.errors import Conflict, InvalidCommand, LedgerError, RuleViolation
from domain.roles import NotPermitted
from tests.builders import ALL_MATERIALS, accepted_application, evaluate, register
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)


def test_auditors_and_investigators_record_nothing(clerk, ledger):
    clerk.role = "auditor"
    with pytest.raises(NotPermitted):
        register(clerk, "TY-H001")
    assert ledger.recorder.max_notification_id() is None


def test_an_evaluator_records_evaluations_only(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1")
    clerk.role = "evaluator"
    with pytest.raises(NotPermitted):
        clerk("withdraw_application", "2025-01-07", application="SQ-1", reason="x")


def test_the_same_command_id_from_another_user_is_a_conflict(clerk):
    register(clerk, "TY-H001")
    clerk("submit_application", "2025-01-07", _id="c-1", number="SQ-1", institution="TY-H001",
          materials=ALL_MATERIALS)
    clerk.user = "someone.else"
    with pytest.raises(Conflict):
        clerk("submit_application", "2025-01-07", _id="c-1", number="SQ-1",
              institution="TY-H001", materials=ALL_MATERIALS)


def _line(command, **fields):
    return {"id": "x", "command": command, "date": "2025-01-07",
            "actor": {"user": "u", "role": "case_officer"}, "fields": fields}


@pytest.mark.parametrize("points", ["NaN", "Infinity", "1e400"])
def test_points_that_are_not_finite_numbers_are_refused_at_the_boundary(points):
    with pytest.raises(InvalidCommand) as info:
        parse(_line("record_scores", evaluation="E", scored_by=["a"], awarded={"6": points}))
    assert "not a number of points" in str(info.value)


def test_an_unknown_or_mistyped_fact_change_is_refused_at_the_boundary():
    with pytest.raises(InvalidCommand):
        parse(_line("amend_institution", institution="TY-H001", changes={"levle": 3}))
    with pytest.raises(InvalidCommand):
        parse(_line("amend_institution", institution="TY-H001", changes={"level": "three"}))
    _, fields = parse(_line("amend_institution", institution="TY-H001", changes={"level": 2}))
    assert fields.changes == {"level": 2}


def test_a_rule_cited_in_a_boundary_message_becomes_the_rejections_rule():
    with pytest.raises(InvalidCommand) as info:
        parse(_line("record_scores", evaluation="E", scored_by=["a"],
                    deductions={"6": [["2", " "]]}))
    assert info.value.rule == "EVA-06"


def test_adm05_a_supplement_is_asked_only_while_the_evaluation_runs(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1")
    evaluate(clerk, "SQ-1", "EV-1", "2025-02-10")
    with pytest.raises(RuleViolation) as info:
        clerk("request_supplement", "2025-02-11", application="SQ-1", items=["licences"],
              reason="补充")
    assert info.value.rule == "ADM-05"


def test_adm05_the_clock_stays_paused_until_every_requested_item_is_supplied(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2025-01-15")
    clerk("request_supplement", "2025-02-01", application="SQ-1",
          items=["licences", "information_system"], reason="补充")
    clerk("supply_materials", "2025-02-05", application="SQ-1", items=["licences"])
    assert ledger.application("SQ-1").is_paused
    clerk("supply_materials", "2025-02-11", application="SQ-1", items=["information_system"])
    app = ledger.application("SQ-1")
    assert not app.is_paused and app.evaluation_due == date(2025, 4, 25)


def test_adm06_an_exemption_needs_complete_materials(clerk):
    register(clerk, "TY-H001")
    clerk("submit_application", "2025-01-07", number="SQ-1", institution="TY-H001",
          materials=["application_letter"])
    with pytest.raises(RuleViolation) as info:
        clerk("exempt_from_evaluation", "2025-01-08", application="SQ-1",
              basic_medical_designation="定点-1", fits_planning=True)
    assert info.value.rule == "ADM-04"


def test_adm07_a_pilot_is_selected_by_its_own_agency(clerk):
    accepted_application(clerk, "TY-R001", "SQ-R1", kind="rehab")
    evaluate(clerk, "SQ-R1", "EV-R1", "2025-02-10")
    with pytest.raises(RuleViolation) as info:
        clerk("select_rehab_pilot", "2025-02-20", agency="DT", institution="TY-R001")
    assert info.value.rule == "ADM-07"


def test_adm03_a_lifted_m11_5_ending_no_longer_bars(clerk):
    register(clerk, "TY-H001")
    clerk("record_bar_fact", "2024-01-10", institution="TY-H001", ground="M11-5",
          occurred_on=date(2024, 1, 10), note="解除服务协议")
    with pytest.raises(LedgerError):
        clerk("submit_application", "2025-01-10", number="SQ-1", institution="TY-H001",
              materials=ALL_MATERIALS)
    clerk("lift_bar_fact", "2025-02-01", institution="TY-H001", ground="M11-5",
          lifted_on=date(2025, 2, 1), note="法院判决撤销解除决定")
    clerk("submit_application", "2025-02-02", number="SQ-1", institution="TY-H001",
          materials=ALL_MATERIALS)
