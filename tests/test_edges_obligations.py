"""What obliges or entitles the agency to end an agreement, and what
discharges it (AGR-06, TER-01, TER-02 with DIS-01; domain/obligations.py),
each condition on its own and each count at its limit (issue #18).

An obligation is recorded as the dict these functions give, so each is
checked whole: a changed ground, rule or reason would be recorded for ever.
The ``v1_*`` copies are the record of what events of class_version 1
decided; they are held here to exactly what they gave then.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain import obligations as ob

DAY = date(2025, 6, 1)


def obligation(ground="M39-1", rule="TER-02", discharged_on=None):
    return {"kind": "must_terminate", "ground": ground, "rule": rule, "reason": "",
            "discharged_on": discharged_on}


# --- what is raised -------------------------------------------------------------------------
@pytest.mark.parametrize("late", [ob.late_change, ob.v1_late_change])
def test_agr06_a_change_reported_late_may_end_the_agreement_on_m39_6(late):
    assert late("address", date(2025, 2, 10), date(2025, 3, 25), date(2025, 3, 24)) == {
        "kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
        "reason": "address change approved 2025-02-10 reported late on 2025-03-25 "
                  "(due 2025-03-24)"}


@pytest.mark.parametrize("overdue", [ob.overdue_change, ob.v1_overdue_change])
def test_agr06_a_change_never_reported_may_end_the_agreement_on_m39_6(overdue):
    assert overdue("level") == {
        "kind": "may_terminate", "ground": "M39-6", "rule": "AGR-06",
        "reason": "level change not reported within 30 working days of approval"}


def test_ter02_a_second_agency_suspension_must_end_the_agreement_on_m39_1():
    assert ob.second_agency_suspension() == {
        "kind": "must_terminate", "ground": "M39-1", "rule": "TER-02",
        "reason": "second agency-imposed suspension in this term"}


def test_ter01_a_failed_inspection_must_end_the_agreement_on_m39_1():
    assert ob.failed_inspection("检查-7") == {
        "kind": "must_terminate", "ground": "M39-1", "rule": "TER-01",
        "reason": "rectification failed during the suspension (inspection 检查-7)"}


# --- TER-02: counting the agency's suspensions ---------------------------------------------
MANDATORY, DISCIPLINARY = {"kind": "mandatory"}, {"kind": "disciplinary"}
VOLUNTARY, REVERSED = {"kind": "voluntary"}, {"kind": "mandatory", "reversed": True}


def test_ter02_only_agency_suspensions_not_reversed_are_counted():
    assert ob.counted_suspensions([MANDATORY, VOLUNTARY, REVERSED, DISCIPLINARY]) == \
        [MANDATORY, DISCIPLINARY]


@pytest.mark.parametrize("kind, before, raised", [
    ("mandatory", [], False),                          # the first
    ("disciplinary", [MANDATORY], True),               # the second
    ("mandatory", [MANDATORY, DISCIPLINARY], False),   # the third: raised already
    ("voluntary", [MANDATORY], False),                 # the institution's own
    ("mandatory", [VOLUNTARY], False),                 # the first the agency imposed
    ("mandatory", [REVERSED], False),                  # the one before was reversed
])
def test_ter02_the_second_agency_suspension_and_only_it_raises_the_obligation(kind, before,
                                                                             raised):
    assert ob.raises_second_suspension(kind, before) is raised


# --- what discharges ---------------------------------------------------------------------------
def test_ter01_an_ending_discharges_every_obligation_still_open():
    held = [obligation(), obligation(discharged_on=DAY), obligation("M39-6", "AGR-06")]
    assert ob.open_positions(held) == [0, 2]
    assert ob.open_positions([]) == []


def test_ter02_dis01_a_reversal_leaving_one_suspension_lapses_only_the_open_ter02_obligation():
    held = [obligation(),                                 # lapses
            obligation(rule="TER-01"),                    # a failed inspection stays
            obligation("M39-6", "TER-02"),                # another ground stays
            obligation(discharged_on=DAY),                # discharged already
            obligation()]                                 # lapses
    assert ob.lapsed_by_reversal(held, remaining=1) == [0, 4]
    assert ob.lapsed_by_reversal(held, remaining=0) == [0, 4]
    assert ob.lapsed_by_reversal(held, remaining=2) == []   # two still stand: it stands


# --- the frozen v1 bodies ------------------------------------------------------------------------
def test_v1_an_ending_discharged_every_open_obligation_on_its_day():
    held = [obligation(), obligation(discharged_on=date(2025, 1, 2))]
    ob.v1_ended_discharges(held, DAY)
    assert [o["discharged_on"] for o in held] == [DAY, date(2025, 1, 2)]


def test_v1_a_reversal_left_the_agreement_suspended_only_with_a_suspension_in_force():
    assert ob.v1_status_after_reversal(MANDATORY) == "suspended"
    assert ob.v1_status_after_reversal(None) == "active"


@pytest.mark.parametrize("suspensions, lapsed", [
    ([MANDATORY], True),
    ([MANDATORY, VOLUNTARY, REVERSED], True),
    ([MANDATORY, DISCIPLINARY], False),
])
def test_v1_a_reversal_discharged_the_ter02_obligation_below_two_suspensions(suspensions,
                                                                            lapsed):
    held = [obligation(), obligation(rule="TER-01"), obligation("M39-6", "TER-02"),
            obligation(discharged_on=date(2025, 1, 2))]
    ob.v1_reversal_discharges(held, suspensions, DAY)
    assert [o["discharged_on"] for o in held] == \
        [DAY if lapsed else None, None, None, date(2025, 1, 2)]
