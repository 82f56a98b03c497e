"""Signing, public notice and effect, term, changes, renewal and the early end
(AGR-01..07), read by the status projection."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from projections.deadlines import agreement_status
from projections.status import build
from tests.builders import (refused, ALL_MATERIALS, accepted_application, effective_agreement, evaluate,
                            register, tick)
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)



def sign(clerk, on, number, institution, term_start="2025-01-01", years=1, renewal_of=None,
         late_reason="", agreement_type=None):
    return clerk("sign_agreement", on, number=number, institution=institution,
                 agreement_type=agreement_type, term_start=date.fromisoformat(term_start),
                 term_years=years, renewal_of=renewal_of, late_reason=late_reason)


def status_on(ledger, number, on):
    state = build((e for _, e in ledger.read_log()), as_of=date.fromisoformat(on))
    return agreement_status(state.agreements[number])


# --- AGR-01 ---------------------------------------------------------------------------
def test_agr01_signing_needs_a_valid_pass_or_an_exemption(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    refused("AGR-01", clerk, "sign_agreement", "2024-12-20", number="XY-1",
            institution="TY-H001", agreement_type=None, term_start=date(2025, 1, 1),
            term_years=1, renewal_of=None, late_reason="")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    result = sign(clerk, "2024-12-20", "XY-1", "TY-H001")
    assert result["basis"]["evaluation"] == "EV-1"


def test_agr01_an_expired_pass_cannot_found_an_agreement(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2023-10-09")
    evaluate(clerk, "SQ-1", "EV-1", "2023-11-15", validity_years=1)  # valid to 2024-11-15
    err = refused("AGR-01", clerk, "sign_agreement", "2024-11-16", number="XY-1",
                  institution="TY-H001", agreement_type=None, term_start=date(2025, 1, 1),
                  term_years=1, renewal_of=None, late_reason="")
    assert "EVA-04" in err.remedy


def test_agr01_an_exempted_hospital_signs_without_evaluation(clerk):
    register(clerk, "TY-H002", level=3, category="general")
    clerk("submit_application", "2025-01-06", number="SQ-2", institution="TY-H002",
          materials=ALL_MATERIALS)
    clerk("exempt_from_evaluation", "2025-01-08", application="SQ-2",
          basic_medical_designation="晋医保定点-1", fits_planning=True)
    assert sign(clerk, "2025-01-10", "XY-2", "TY-H002")["basis"]["article"] == "M 16"


def test_agr01_a_barred_institution_cannot_sign(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    clerk("record_bar_fact", "2024-12-01", institution="TY-H001", ground="M11-6",
          occurred_on=date(2024, 12, 1), note="医保部门立案调查")
    err = refused("AGR-01", clerk, "sign_agreement", "2024-12-20", number="XY-1",
                  institution="TY-H001", agreement_type=None, term_start=date(2025, 1, 1),
                  term_years=1, renewal_of=None, late_reason="")
    assert err.grounds and err.grounds[0].article == "M 11(6)"


def test_agr01_a_renewal_signed_after_15_march_is_flagged_late_with_its_reason(clerk):
    effective_agreement(clerk, "TY-H001", "XY-2025")
    clerk("apply_for_renewal", "2025-09-01", agreement="XY-2025", applied_on=date(2025, 9, 1))
    refused("AGR-01", clerk, "sign_agreement", "2026-03-16", number="XY-2026",
            institution="TY-H001", agreement_type=None, term_start=date(2026, 1, 1),
            term_years=1, renewal_of="XY-2025", late_reason="")
    late = sign(clerk, "2026-03-16", "XY-2026", "TY-H001", term_start="2026-01-01",
                renewal_of="XY-2025", late_reason="年度考核结果3月中旬才公布")
    assert late["late"] is True
    on_time = status_on(clerk.ledger, "XY-2025", "2026-03-16")
    assert on_time["status"].startswith("active (continued under M 51)")


# --- AGR-02 ---------------------------------------------------------------------------
def test_agr02_the_agreement_takes_effect_when_the_notice_ends_without_objection(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    sign(clerk, "2024-12-20", "XY-1", "TY-H001")
    refused("AGR-02", clerk, "start_public_notice", "2024-12-20", agreement="XY-1",
            notice_ref="公示-1", until=date(2024, 12, 27))
    clerk("file_agreement", "2024-12-20", agreement="XY-1", filing_ref="备案-1")
    clerk("start_public_notice", "2024-12-20", agreement="XY-1", notice_ref="公示-1",
          until=date(2024, 12, 27))
    tick(clerk, "2024-12-27")
    assert ledger.agreement("XY-1").took_effect_on is None
    tick(clerk, "2025-01-05")
    assert ledger.agreement("XY-1").took_effect_on == date(2024, 12, 28)
    assert status_on(ledger, "XY-1", "2024-12-27")["status"] == "in notice"
    assert status_on(ledger, "XY-1", "2024-12-28")["status"] == "active"


def test_agr02_an_upheld_objection_stops_the_agreement(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    sign(clerk, "2024-12-20", "XY-1", "TY-H001")
    clerk("file_agreement", "2024-12-20", agreement="XY-1", filing_ref="备案-1")
    clerk("start_public_notice", "2024-12-20", agreement="XY-1", notice_ref="公示-1",
          until=date(2024, 12, 27))
    clerk("raise_objection", "2024-12-23", agreement="XY-1", objection_no="异议-1",
          raised_by="群众来信", summary="该院存在挂床住院")
    tick(clerk, "2025-01-10")
    assert ledger.agreement("XY-1").took_effect_on is None  # pending objection holds it
    clerk("decide_objection", "2025-01-12", agreement="XY-1", objection_no="异议-1",
          upheld=True, reason="核查属实")
    tick(clerk, "2025-02-01")
    assert ledger.agreement("XY-1").took_effect_on is None
    assert status_on(ledger, "XY-1", "2025-02-01")["status"] == "stopped"


def test_agr02_a_dismissed_objection_lets_it_take_effect_after_the_decision(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    sign(clerk, "2024-12-20", "XY-1", "TY-H001")
    clerk("file_agreement", "2024-12-20", agreement="XY-1", filing_ref="备案-1")
    clerk("start_public_notice", "2024-12-20", agreement="XY-1", notice_ref="公示-1",
          until=date(2024, 12, 27))
    clerk("raise_objection", "2024-12-23", agreement="XY-1", objection_no="异议-1",
          raised_by="同行", summary="匿名举报")
    clerk("decide_objection", "2025-01-03", agreement="XY-1", objection_no="异议-1",
          upheld=False, reason="查无实据")
    tick(clerk, "2025-01-10")
    assert ledger.agreement("XY-1").took_effect_on == date(2025, 1, 4)


# --- AGR-03, AGR-04 ---------------------------------------------------------------------
def test_agr03_a_two_year_term_needs_three_excellent_years(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2024-10-08")
    evaluate(clerk, "SQ-1", "EV-1", "2024-11-15")
    err = refused("AGR-03", clerk, "sign_agreement", "2024-12-20", number="XY-1",
                  institution="TY-H001", agreement_type=None, term_start=date(2025, 1, 1),
                  term_years=2, renewal_of=None, late_reason="")
    assert "2022, 2023, 2024" in err.reason


def test_agr04_the_agreement_type_follows_the_institution_kind(clerk):
    accepted_application(clerk, "TY-A001", "SQ-A", on="2024-10-08", kind="assistive",
                         subtype="optical_aid")
    evaluate(clerk, "SQ-A", "EV-A", "2024-11-15")
    refused("AGR-04", clerk, "sign_agreement", "2024-12-20", number="XY-A",
            institution="TY-A001", agreement_type="MA", term_start=date(2025, 1, 1),
            term_years=1, renewal_of=None, late_reason="")
    assert sign(clerk, "2024-12-20", "XY-A", "TY-A001")["type"] == "DA"


# --- AGR-05 ---------------------------------------------------------------------------
def test_agr05_a_renewal_applied_for_later_than_three_months_before_expiry_is_late(clerk):
    effective_agreement(clerk)
    result = clerk("apply_for_renewal", "2025-10-10", agreement="XY-2025-001",
                   applied_on=date(2025, 10, 10))
    assert result["late"] is True and result["due_by"] == "2025-09-30"


def test_agr05_expiry_after_a_refused_renewal_ends_the_agreement_without_breach(clerk, ledger):
    effective_agreement(clerk)
    clerk("refuse_renewal", "2025-11-20", agreement="XY-2025-001", reason="考核不合格，协商未达成一致")
    tick(clerk, "2026-01-05")
    ag = ledger.agreement("XY-2025-001")
    assert ag.ending["ground"] == "EXPIRY" and ag.ending["ended_on"] == date(2026, 1, 1)
    assert ag.ending["is_breach"] is False


def test_agr05_with_no_objection_and_no_new_agreement_the_old_one_continues(clerk, ledger):
    effective_agreement(clerk)
    tick(clerk, "2026-02-01")
    ag = ledger.agreement("XY-2025-001")
    assert ag.ending is None and ag.continued_on == date(2026, 1, 1)


def test_agr05_a_renewal_that_takes_effect_replaces_the_old_agreement(clerk, ledger):
    effective_agreement(clerk)
    clerk("apply_for_renewal", "2025-09-15", agreement="XY-2025-001",
          applied_on=date(2025, 9, 15))
    sign(clerk, "2025-12-10", "XY-2026-001", "TY-H001", term_start="2026-01-01",
         renewal_of="XY-2025-001")
    clerk("file_agreement", "2025-12-10", agreement="XY-2026-001", filing_ref="备案-2026")
    clerk("start_public_notice", "2025-12-11", agreement="XY-2026-001", notice_ref="公示-2026",
          until=date(2025, 12, 18))
    tick(clerk, "2026-01-02")
    old, new = ledger.agreement("XY-2025-001"), ledger.agreement("XY-2026-001")
    assert new.took_effect_on == date(2025, 12, 19)
    assert old.ending["ground"] == "RENEWED" and old.ending["ended_on"] == date(2026, 1, 1)


def test_agr05_an_objection_at_expiry_ends_the_agreement_if_no_new_one_is_signed(clerk, ledger):
    effective_agreement(clerk)
    clerk("object_to_renewal", "2025-12-01", agreement="XY-2025-001", raised_by="agency",
          summary="结算标准需重新协商")
    tick(clerk, "2026-01-01")
    assert ledger.agreement("XY-2025-001").ending["ground"] == "EXPIRY"


# --- AGR-06 ---------------------------------------------------------------------------
def test_agr06_a_change_reported_after_30_working_days_is_flagged_as_an_m39_6_ground(clerk,
                                                                                     ledger):
    effective_agreement(clerk)
    on_time = clerk("record_change", "2025-03-10", agreement="XY-2025-001",
                    change="legal_representative", approved_on=date(2025, 2, 10),
                    reported_on=date(2025, 3, 10), details="法人变更为李四")
    assert on_time["late"] is False and on_time["due"] == "2025-03-24"
    late = clerk("record_change", "2025-04-10", agreement="XY-2025-001", change="address",
                 approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 25), details="迁址")
    assert late["late"] is True
    obligations = ledger.agreement("XY-2025-001").obligations
    assert [o["ground"] for o in obligations] == ["M39-6"]


def test_agr06_an_unreported_change_raises_the_obligation_by_itself(clerk, ledger):
    effective_agreement(clerk)
    clerk("record_change", "2025-02-20", agreement="XY-2025-001", change="level",
          approved_on=date(2025, 2, 10), reported_on=None, details="卫健委批准升为三级")
    tick(clerk, "2025-03-24")
    assert ledger.agreement("XY-2025-001").obligations == []
    tick(clerk, "2025-03-25")
    obligation = ledger.agreement("XY-2025-001").obligations[0]
    assert obligation["ground"] == "M39-6" and obligation["raised_on"] == date(2025, 3, 25)


# --- AGR-07 ---------------------------------------------------------------------------
def test_agr07_either_party_ends_early_with_30_days_notice(clerk, ledger):
    effective_agreement(clerk)
    result = clerk("give_notice_to_end", "2025-05-06", agreement="XY-2025-001",
                   given_by="institution", reason="医院整体搬迁")
    assert result["ends_on"] == "2025-06-05"
    tick(clerk, "2025-06-04")
    assert ledger.agreement("XY-2025-001").ending is None  # both keep performing
    tick(clerk, "2025-06-05")
    ending = ledger.agreement("XY-2025-001").ending
    assert ending["ground"] == "EARLY-NOTICE" and ending["ended_on"] == date(2025, 6, 5)


def test_agr07_an_assistive_fitter_keeps_its_after_care_duty_after_the_end(clerk, ledger):
    effective_agreement(clerk, "TY-A001", "XY-A", kind="assistive", subtype="prosthetic_orthotic")
    clerk("give_notice_to_end", "2025-05-06", agreement="XY-A", given_by="agency",
          reason="区域规划调整")
    tick(clerk, "2025-06-10")
    row = status_on(ledger, "XY-A", "2025-06-10")
    assert row["status"] == "ended" and row["aftercare_duty"] is True
