"""Termination on statutory grounds, the obligation after a 2nd agency-imposed
suspension, the public list, endings that bar and endings that do not
(TER-01..05, ADM-03 items 4-5), practitioner bars (SAN-01..02) and disputes
(DIS-01)."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, RuleViolation
from projections.deadlines import bar_register, open_deadlines, public_ended_list
from projections.status import build
from tests.builders import refused, ALL_MATERIALS, effective_agreement, register, tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

AG = "XY-2025-001"



def terminate(clerk, on, ground, agreement=AG, **kw):
    args = dict(agreement=agreement, ground=ground, notice_no=f"解除-{on}",
                notice_on=date.fromisoformat(on), reported_on=date.fromisoformat(on),
                report_ref=f"报告-{on}", reason="")
    args.update(kw)
    return clerk("terminate_agreement", on, **args)


def suspend(clerk, on, kind, ground="", months=None, agreement=AG, requested_on=None):
    return clerk("suspend_agreement", on, agreement=agreement, kind=kind, ground=ground,
                 start=None, requested_on=requested_on, planned_days=None, months=months,
                 notice_no=f"通知-{on}")


def state(ledger, on=None):
    return build((e for _, e in ledger.read_log()),
                 as_of=date.fromisoformat(on) if on else None)


@pytest.fixture
def agreement(clerk):
    return effective_agreement(clerk)


# --- TER-01, TER-04 ------------------------------------------------------------------
def test_ter01_an_agreement_is_ended_only_on_a_catalogued_ground(clerk, agreement):
    refused("TER-01", clerk, "terminate_agreement", "2025-05-01", agreement=AG,
            ground="M39-99", notice_no="解除-1", notice_on=date(2025, 5, 1),
            reported_on=date(2025, 5, 2), report_ref="报告-1", reason="")
    refused("AGR-04", clerk, "terminate_agreement", "2025-05-01", agreement=AG,
            ground="DA37-1", notice_no="解除-1", notice_on=date(2025, 5, 1),
            reported_on=date(2025, 5, 2), report_ref="报告-1", reason="")
    result = terminate(clerk, "2025-05-01", "M39-3")
    assert result["article"] == "M 39(3)" and result["breach"] is True


def test_ter04_every_ending_records_notice_and_report_to_the_department(clerk, ledger,
                                                                        agreement):
    err = refused("TER-04", clerk, "terminate_agreement", "2025-05-01", agreement=AG,
                  ground="M39-3", notice_no="解除-1", notice_on=date(2025, 5, 1),
                  reported_on=None, report_ref="", reason="")
    assert "reported_on" in err.reason and "report_ref" in err.reason
    terminate(clerk, "2025-05-01", "M39-3", reported_on=date(2025, 5, 3), report_ref="晋人社报-9")
    ending = ledger.agreement(AG).ending
    assert (ending["notice_no"], ending["reported_on"], ending["report_ref"]) == \
        ("解除-2025-05-01", date(2025, 5, 3), "晋人社报-9")


# --- TER-02 ----------------------------------------------------------------------------
def test_ter02_a_second_agency_imposed_suspension_raises_the_obligation_to_end(clerk, ledger,
                                                                               agreement):
    suspend(clerk, "2025-03-01", "mandatory", ground="M38-2")
    clerk("resume_agreement", "2025-04-01", agreement=AG)
    result = suspend(clerk, "2025-06-01", "disciplinary", ground="MA43-1", months=3)
    assert result["termination_obligation"] is True
    rows = open_deadlines(state(ledger), date(2025, 6, 2))
    assert any(r["rule"] == "TER-02" and "M39-1" in r["what"] for r in rows)
    terminate(clerk, "2025-06-15", "M39-1")
    assert all(o["discharged_on"] for o in ledger.agreement(AG).obligations)


def test_ter02_a_voluntary_suspension_does_not_count(clerk, ledger, agreement):
    suspend(clerk, "2025-02-01", "voluntary", requested_on=date(2025, 1, 25))
    clerk("apply_for_resumption", "2025-03-01", agreement=AG, applied_on=date(2025, 3, 1))
    clerk("resume_agreement", "2025-03-01", agreement=AG)
    result = suspend(clerk, "2025-06-01", "mandatory", ground="M38-1")
    assert result["termination_obligation"] is False
    assert ledger.agreement(AG).obligations == []


# --- TER-03 ----------------------------------------------------------------------------
def test_ter03_an_ended_agreement_settles_nothing_and_is_on_the_public_list(clerk, ledger,
                                                                            agreement):
    terminate(clerk, "2025-05-01", "M39-3", reason="伪造住院病历骗取工伤保险基金")
    ag = ledger.agreement(AG)
    assert ag.settles_on(date(2025, 4, 30))[0] is True
    assert ag.settles_on(date(2025, 5, 1))[:2] == (False, "TER-03")
    rows = public_ended_list(state(ledger))
    assert [(r["agreement"], r["ended_on"], r["ground"]) for r in rows] == \
        [(AG, date(2025, 5, 1), "M39-3")]
    assert public_ended_list(state(ledger, "2025-04-30")) == []


# --- TER-05 and ADM-03 items 4 and 5 ------------------------------------------------------
def test_ter05_an_expiry_bars_nothing(clerk, ledger, agreement):
    clerk("refuse_renewal", "2025-11-01", agreement=AG, reason="双方未达成一致")
    tick(clerk, "2026-01-02")
    assert ledger.agreement(AG).ending["ground"] == "EXPIRY"
    clerk("submit_application", "2026-02-01", number="SQ-NEW", institution="TY-H001",
          materials=ALL_MATERIALS)


def test_ter05_an_automatic_ending_bars_nothing(clerk, ledger, agreement):
    suspend(clerk, "2025-03-01", "voluntary", requested_on=date(2025, 2, 20))
    tick(clerk, "2025-09-01")
    assert ledger.agreement(AG).ending["ground"] == "AUTO-SUS-180"
    clerk("submit_application", "2025-09-02", number="SQ-NEW", institution="TY-H001",
          materials=ALL_MATERIALS)


def test_adm03_ended_for_violations_bars_the_institution_3_years_and_a_sister_1_year(clerk):
    investor = {"person_id": "INV-9", "name": "晋阳投资", "role": "investor"}
    effective_agreement(clerk, "TY-H001", AG, people=[investor])
    register(clerk, "TY-H009", people=[investor])
    terminate(clerk, "2025-05-01", "M39-3")
    own = refused("ADM-03", clerk, "submit_application", "2028-05-01", number="SQ-A",
                  institution="TY-H001", materials=ALL_MATERIALS)
    assert own.grounds[0].article == "M 11(5)" and own.grounds[0].lifts_on == date(2028, 5, 2)
    sister = refused("ADM-03", clerk, "submit_application", "2026-05-01", number="SQ-B",
                     institution="TY-H009", materials=ALL_MATERIALS)
    assert sister.grounds[0].article == "M 11(4)"
    clerk("submit_application", "2026-05-02", number="SQ-B", institution="TY-H009",
          materials=ALL_MATERIALS)
    clerk("submit_application", "2028-05-02", number="SQ-A", institution="TY-H001",
          materials=ALL_MATERIALS)


def test_ter05_an_agreed_ending_at_the_institutions_request_bars_nothing(clerk, agreement):
    result = terminate(clerk, "2025-05-01", "M39-12")
    assert result["breach"] is False
    clerk("submit_application", "2025-06-01", number="SQ-NEW", institution="TY-H001",
          materials=ALL_MATERIALS)


# --- time passing --------------------------------------------------------------------
def test_tick_twice_to_the_same_date_records_nothing_the_second_time(clerk, ledger, agreement):
    clerk("give_notice_to_end", "2025-05-06", agreement=AG, given_by="institution",
          reason="停业")
    first = tick(clerk, "2025-07-01")
    count = ledger.recorder.max_notification_id()
    second = tick(clerk, "2025-07-01")
    assert first["recorded"] and second["recorded"] == []
    assert ledger.recorder.max_notification_id() == count


def test_replaying_the_log_shows_the_automatic_ending_on_the_same_day(store):
    """A store test among rule tests: a second process replays the stored log."""
    from adapters.settings import open_ledger
    from tests.conftest import Clerk
    first = open_ledger(*store)
    try:
        clerk = Clerk(first)
        effective_agreement(clerk)
        suspend(clerk, "2025-03-01", "voluntary", requested_on=date(2025, 2, 20))
        tick(clerk, "2025-12-01")
    finally:
        first.close()
    again = open_ledger(*store)
    try:
        replayed = state(again)
    finally:
        again.close()
    assert replayed.agreements[AG].ending["ended_on"] == date(2025, 8, 29)


# --- SAN-01, SAN-02 -------------------------------------------------------------------
def test_san01_a_practitioner_bar_takes_effect_only_with_approval(clerk, ledger, agreement):
    refused("SAN-01", clerk, "propose_practitioner_bar", "2025-04-01", bar_no="停-1",
            person_id="DOC-1", name="刘医生", institution="TY-H001", years=6,
            finding="虚开检查单")
    clerk("propose_practitioner_bar", "2025-04-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=2, finding="虚开检查单骗取基金")
    person = ledger.person("DOC-1")
    assert person.barred_on(date(2025, 4, 2)) is None  # proposed, not approved
    refused("SAN-01", clerk, "report_bar_to_regulator", "2025-04-02", bar_no="停-1",
            person_id="DOC-1", regulator="太原市卫健委", report_ref="通报-1")
    result = clerk("approve_practitioner_bar", "2025-04-15", bar_no="停-1", person_id="DOC-1",
                   approval_ref="并人社函〔2025〕12号")
    assert result["from"] == "2025-04-15" and result["until"] == "2027-04-15"
    clerk("report_bar_to_regulator", "2025-04-16", bar_no="停-1", person_id="DOC-1",
          regulator="太原市卫健委", report_ref="通报-1")
    register_rows = bar_register(state(ledger), institution="TY-H001")
    assert [(r["person"], r["status"]) for r in register_rows] == [("DOC-1", "approved")]
    assert bar_register(state(ledger), person_id="DOC-1")[0]["reported"]["regulator"] == \
        "太原市卫健委"


def test_san02_services_inside_an_approved_bar_are_barred(clerk, ledger, agreement):
    clerk("propose_practitioner_bar", "2025-04-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=1, finding="冒名住院")
    clerk("approve_practitioner_bar", "2025-04-15", bar_no="停-1", person_id="DOC-1",
          approval_ref="批-1")
    person = ledger.person("DOC-1")
    assert person.barred_on(date(2025, 4, 14)) is None
    assert person.barred_on(date(2025, 4, 15))["bar_no"] == "停-1"
    assert person.barred_on(date(2026, 4, 15)) is not None
    assert person.barred_on(date(2026, 4, 16)) is None


# --- DIS-01 --------------------------------------------------------------------------
def test_dis01_a_reversed_termination_is_a_new_compensating_event(clerk, ledger, agreement):
    terminate(clerk, "2025-05-01", "M39-5")
    clerk("open_dispute", "2025-05-10", number="争-1", institution="TY-H001", agreement=AG,
          person_id=None, bar_no=None, matter="ending", route="administrative_review",
          decision="ending", summary="医院认为未拒绝检查")
    clerk("change_dispute_route", "2025-07-01", number="争-1", route="litigation")
    clerk("record_dispute_outcome", "2025-10-20", number="争-1", outcome="decision_reversed",
          ref="(2025)晋0105行初88号", summary="法院撤销解除决定")
    ag = ledger.agreement(AG)
    assert ag.ending is None and ag.status == "active"
    names = [type(e).__qualname__ for _, e in ledger.read_log()]
    assert names.count("Agreement.Ended") == 1 and "Agreement.DecisionReversed" in names
    assert public_ended_list(state(ledger, "2025-06-01"))[0]["agreement"] == AG
    assert public_ended_list(state(ledger, "2025-10-20")) == []


def test_dis01_a_reversed_bar_stops_barring_from_the_outcome(clerk, ledger, agreement):
    clerk("propose_practitioner_bar", "2025-04-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=3, finding="虚开处方")
    clerk("approve_practitioner_bar", "2025-04-15", bar_no="停-1", person_id="DOC-1",
          approval_ref="批-1")
    clerk("open_dispute", "2025-05-01", number="争-2", institution="TY-H001", agreement=None,
          person_id="DOC-1", bar_no="停-1", matter="practitioner_bar", route="coordination",
          decision="bar", summary="本人申辩")
    clerk("record_dispute_outcome", "2025-06-01", number="争-2", outcome="decision_reversed",
          ref="协调-1", summary="行政部门协调撤销")
    person = ledger.person("DOC-1")
    assert person.barred_on(date(2025, 5, 31)) is not None
    assert person.barred_on(date(2025, 6, 1)) is None


def test_dis01_an_upheld_decision_changes_nothing(clerk, ledger, agreement):
    terminate(clerk, "2025-05-01", "M39-5")
    clerk("open_dispute", "2025-05-10", number="争-3", institution="TY-H001", agreement=AG,
          person_id=None, bar_no=None, matter="ending", route="negotiation", decision="ending",
          summary="协商")
    clerk("record_dispute_outcome", "2025-06-01", number="争-3", outcome="decision_upheld",
          ref="复议-1", summary="维持")
    assert ledger.agreement(AG).ending is not None
    refused("DIS-01", clerk, "record_dispute_outcome", "2025-06-02", number="争-3",
            outcome="decision_reversed", ref="复议-2", summary="再议")


def test_tick_retires_a_predecessor_that_ends_when_its_renewal_takes_effect(clerk, ledger,
                                                                            agreement):
    from domain.registry import Registry
    tick(clerk, "2026-01-05")                     # continued under M 51
    clerk("sign_agreement", "2026-02-01", number="XY-2026", institution="TY-H001",
          agreement_type=None, term_start=date(2026, 3, 1), term_years=1, renewal_of=AG,
          late_reason="续签协商延后")
    clerk("file_agreement", "2026-02-01", agreement="XY-2026", filing_ref="备-2026")
    clerk("start_public_notice", "2026-02-02", agreement="XY-2026", notice_ref="公示-2026",
          until=date(2026, 2, 9))
    tick(clerk, "2026-03-05")
    assert ledger.agreement(AG).ending["ground"] == "RENEWED"
    assert AG not in ledger.repository.get(Registry.ID).live
