"""An agreement's own steps, each refusal on its own branch (issue #18), through
the public service on the in-memory store: filing once (AGR-02), renewal
applied for once and late from the day after its due day, objected to or
refused by a party, refused once (AGR-05), notice to end given once by a
party, 30 days ahead (AGR-07), and none of these before the agreement has
taken effect. Each refusal's words are checked against the catalogue where
it is made (tests/conftest.py).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.agreement_terms import EARLY_END_NOTICE_DAYS, PARTIES
from domain.errors import InvalidCommand
from tests.builders import accepted_application, effective_agreement, evaluate, refused
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

NUMBER = "XY-2025-001"
DUE_BY = date(2025, 9, 30)        # three months before the term's last day, 2025-12-31


def signed_not_in_force(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-01")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    clerk("sign_agreement", "2024-12-20", number=NUMBER, institution="TY-H001",
          agreement_type=None, term_start=date(2025, 1, 1), term_years=1, renewal_of=None,
          late_reason="")


@pytest.mark.parametrize("command, args, rule", [
    ("apply_for_renewal", dict(applied_on=date(2024, 12, 21)), "AGR-05"),
    ("object_to_renewal", dict(raised_by="agency", summary="x"), "AGR-05"),
    ("refuse_renewal", dict(reason="x"), "AGR-05"),
    ("give_notice_to_end", dict(given_by="institution", reason="x"), "AGR-07"),
])
def test_an_agreement_not_yet_in_effect_takes_no_renewal_or_notice_step(clerk, command, args,
                                                                         rule):
    signed_not_in_force(clerk)
    e = refused(rule, clerk, command, "2024-12-21", agreement=NUMBER, **args)
    assert "has not taken effect" in e.reason and "AGR-02" in e.remedy


def test_agr02_an_agreement_is_filed_once(clerk):
    signed_not_in_force(clerk)
    clerk("file_agreement", "2024-12-20", agreement=NUMBER, filing_ref="备案-1")
    e = refused("AGR-02", clerk, "file_agreement", "2024-12-21", agreement=NUMBER,
                filing_ref="备案-2")
    assert "备案-1" in e.reason and e.remedy == "nothing to do"


@pytest.mark.parametrize("applied_on, late", [(DUE_BY - timedelta(days=1), False),
                                              (DUE_BY, False), (DUE_BY + timedelta(days=1), True)])
def test_agr05_renewal_is_late_from_the_day_after_three_months_before_the_end(clerk, applied_on,
                                                                            late):
    effective_agreement(clerk)
    done = clerk("apply_for_renewal", applied_on, agreement=NUMBER, applied_on=applied_on)
    assert done["late"] is late and done["due_by"] == DUE_BY.isoformat()


def test_agr05_renewal_is_applied_for_once_and_refused_once(clerk):
    effective_agreement(clerk)
    clerk("apply_for_renewal", "2025-09-01", agreement=NUMBER, applied_on=date(2025, 9, 1))
    e = refused("AGR-05", clerk, "apply_for_renewal", "2025-09-02", agreement=NUMBER,
                applied_on=date(2025, 9, 2))
    assert "already applied" in e.reason
    assert clerk("refuse_renewal", "2025-10-01", agreement=NUMBER,
                 reason="协商未果")["ends_on"] == "2026-01-01"
    e = refused("AGR-05", clerk, "refuse_renewal", "2025-10-02", agreement=NUMBER, reason="x")
    assert "already refused" in e.reason


@pytest.mark.parametrize("command, field, rule, args", [
    ("object_to_renewal", "raised_by", "AGR-05", dict(summary="x")),
    ("give_notice_to_end", "given_by", "AGR-07", dict(reason="x")),
])
def test_a_renewal_objection_and_a_notice_to_end_come_from_a_party(clerk, command, field, rule,
                                                                   args):
    effective_agreement(clerk)
    with pytest.raises(InvalidCommand) as info:
        clerk(command, "2025-06-02", agreement=NUMBER, **{field: "hospital"}, **args)
    assert info.value.rule == rule and field in info.value.reason and info.value.remedy
    assert clerk(command, "2025-06-02", agreement=NUMBER, **{field: PARTIES[0]}, **args)


def test_agr07_notice_to_end_runs_30_days_and_is_given_once(clerk):
    effective_agreement(clerk)
    done = clerk("give_notice_to_end", "2025-06-02", agreement=NUMBER, given_by="institution",
                 reason="机构搬迁")
    assert done["ends_on"] == (date(2025, 6, 2) + timedelta(days=EARLY_END_NOTICE_DAYS)).isoformat()
    assert done["ends_on"] == "2025-07-02" and done["aftercare"] is False
    e = refused("AGR-07", clerk, "give_notice_to_end", "2025-06-03", agreement=NUMBER,
                given_by="agency", reason="x")
    assert "2025-06-02" in e.reason and e.remedy == "wait for it to run out"
