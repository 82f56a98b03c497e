"""An evaluation's score sheet and conclusion, each refusal on its own branch
(issue #18), through the public service on the in-memory store: one sheet,
signed by exactly the panel members not recused (EVA-01), never after the
conclusion (EVA-06); a conclusion from the sheet (EVA-03) with its written
report (EVA-06), served on or after its day (EVA-05), a pass valid for 1 or
2 years and a fail for none (EVA-04).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from tests.builders import accepted_application, panel, refused, scorers
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

ON = "2025-03-03"


def paneled(clerk, conflicts=(), n=7):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2025-02-03")
    clerk("form_panel", ON, evaluation="EV-1", application="SQ-1",
          members=panel(n, conflicts=conflicts))


def scores(clerk, scored_by=None, on=ON):
    return clerk("record_scores", on, evaluation="EV-1",
                 scored_by=scorers() if scored_by is None else scored_by, deductions={},
                 awarded={}, veto_failed=[])


def conclude(clerk, on=ON, report_no="RPT-1", served_on=None, validity_years=1, reasons=(),
             advice=""):
    return clerk("conclude_evaluation", on, evaluation="EV-1", report_no=report_no,
                 served_on=served_on, validity_years=validity_years, reasons=list(reasons),
                 advice=advice)


def concluded_or_refused(clerk, fits, rule, **kwargs):
    """A scored evaluation concluded with ``kwargs``: taken, or refused with
    ``rule`` (the error)."""
    paneled(clerk)
    scores(clerk)
    if fits:
        assert conclude(clerk, **kwargs)
        return None
    with pytest.raises(InvalidCommand) as info:
        conclude(clerk, **kwargs)
    assert info.value.rule == rule
    return info.value


# --- EVA-01, EVA-06: the score sheet --------------------------------------------------------
def test_eva01_a_recused_member_does_not_score(clerk):
    paneled(clerk, conflicts=("E03",), n=8)     # 7 score once E03 is recused
    e = refused("EVA-01", clerk, "record_scores", ON, evaluation="EV-1", scored_by=scorers(8),
                deductions={}, awarded={}, veto_failed=[])
    assert "E03" in e.reason
    assert scores(clerk, scorers(8, recused=("E03",)))


def test_eva01_only_panel_members_score_and_every_one_of_them_signs(clerk):
    paneled(clerk)
    e = refused("EVA-01", clerk, "record_scores", ON, evaluation="EV-1",
                scored_by=scorers() + ["E99"], deductions={}, awarded={}, veto_failed=[])
    assert "E99" in e.reason
    e = refused("EVA-01", clerk, "record_scores", ON, evaluation="EV-1",
                scored_by=scorers()[:-1], deductions={}, awarded={}, veto_failed=[])
    assert "E07" in e.remedy
    assert scores(clerk, list(reversed(scorers())) + ["E01"])   # order and repeats aside


def test_eva06_one_score_sheet_and_none_after_the_conclusion(clerk):
    paneled(clerk)
    scores(clerk)
    e = refused("EVA-06", clerk, "record_scores", ON, evaluation="EV-1", scored_by=scorers(),
                deductions={}, awarded={}, veto_failed=[])
    assert "already has a score sheet" in e.reason
    conclude(clerk)
    e = refused("EVA-06", clerk, "record_scores", ON, evaluation="EV-1", scored_by=scorers(),
                deductions={}, awarded={}, veto_failed=[])
    assert "concluded" in e.reason


# --- EVA-03..06: the conclusion ---------------------------------------------------------------
def test_eva03_no_conclusion_without_a_score_sheet(clerk):
    paneled(clerk)
    e = refused("EVA-03", clerk, "conclude_evaluation", ON, evaluation="EV-1", report_no="RPT-1",
                served_on=None, validity_years=1, reasons=[], advice="")
    assert "no score sheet" in e.reason


def test_eva06_a_conclusion_has_its_written_report_and_comes_once(clerk):
    paneled(clerk)
    scores(clerk)
    with pytest.raises(InvalidCommand) as info:
        conclude(clerk, report_no="  ")
    assert info.value.rule == "EVA-06" and info.value.remedy == "give the report number"
    conclude(clerk)
    e = refused("EVA-06", clerk, "conclude_evaluation", ON, evaluation="EV-1",
                report_no="RPT-2", served_on=None, validity_years=1, reasons=[], advice="")
    assert "already concluded" in e.reason


@pytest.mark.parametrize("served_on, fits", [(date(2025, 3, 2), False), (date(2025, 3, 3), True),
                                             (date(2025, 3, 4), True)])
def test_eva05_the_result_is_served_on_or_after_the_day_it_is_decided(clerk, served_on, fits):
    concluded_or_refused(clerk, fits, "EVA-05", served_on=served_on)


@pytest.mark.parametrize("years, fits", [(0, False), (1, True), (2, True), (3, False),
                                         (None, False)])
def test_eva04_a_pass_is_valid_for_1_or_2_years(clerk, years, fits):
    error = concluded_or_refused(clerk, fits, "EVA-04", validity_years=years)
    assert fits or "1 or 2" in error.remedy


def test_eva04_a_fail_has_no_validity(clerk):
    paneled(clerk)
    clerk("record_scores", ON, evaluation="EV-1", scored_by=scorers(),
          deductions={}, awarded={}, veto_failed=["V1"])
    with pytest.raises((InvalidCommand, RuleViolation)) as info:
        conclude(clerk, validity_years=1, reasons=["不合格"], advice="整改")
    assert info.value.rule == "EVA-04"
