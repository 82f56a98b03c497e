"""Leads and cases (SUP-01..05) and the expert pool (SUP-08), on the
in-memory store: rule tests prove rules, not storage.

Until domain/service/__init__.py composes SupervisionCommands into Ledger,
these tests compose it themselves, with the accounts (domain/service/accounts.py)
that say which agency a user works for (SUP-02).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.base import Context
from domain.case import case_deadlines
from domain.errors import NotFound, RuleViolation
from domain.lead import REDACTED, Viewer
from domain.service import Ledger
from domain.service.accounts import AccountCommands
from domain.service.supervision import SupervisionCommands
from projections.deadlines import on_date
from tests.builders import effective_agreement, refused, register
from tests.conftest import Clerk
from tests import supervision_fold as fold

AG = "XY-2025-001"
# user -> (agency, reads the province)
STAFF = {"ty.officer": ("TY", False), "dt.officer": ("DT", False), "sx.officer": ("SX", False),
         "dt.auditor": ("DT", True)}
# accounts record only a hash; no one logs in here, so any argon2-shaped value does
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c3VwZXJ2aXNpb24$not-a-real-hash"


class SupervisedLedger(Ledger, SupervisionCommands, AccountCommands):
    """The ledger with the supervision handlers and the accounts, as it will be
    once composed."""


def staffed_ledger() -> SupervisedLedger:
    """An in-memory ledger with the STAFF accounts, added by the operator."""
    led = SupervisedLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for user, (agency, province) in STAFF.items():
        roles = ["auditor"] if user.endswith("auditor") else ["case_officer"]
        led.add_user(Context(f"add-{user}", date(2025, 1, 2), "os:root", "administrator"),
                     user=user, name=user, agency=agency, roles=roles,
                     password_hash=PASSWORD_HASH)
        if province:
            led.grant_province_read(Context(f"read-{user}", date(2025, 1, 2), "os:root",
                                            "administrator"), user=user)
    return led


@pytest.fixture
def ledger():
    return staffed_ledger()


@pytest.fixture
def clerk(ledger):
    return Clerk(ledger)


@pytest.fixture
def agreement(clerk):
    return effective_agreement(clerk)


class UserClerk(Clerk):
    """A clerk whose command ids carry the user, so several clerks share a ledger."""

    def ctx(self, on, document="", command_id=None):
        return super().ctx(on, document, command_id or f"{self.user}-{self.count + 1:05d}")


def as_user(ledger, user, role="case_officer"):
    return UserClerk(ledger, user=user, role=role)


def complaint(clerk, number="TS-1", on="2025-03-03", institution="TY-H001", received="",
              **kw):
    fields = dict(number=number, source="complaint", institution=institution, agreement=None,
                  person_id=None, received_on=date.fromisoformat(received or on),
                  allegation="挂床住院", reporter="injured_worker",
                  complainant={"name": "刘某", "contact": "13900000000"}, origin="")
    fields.update(kw)
    return clerk("receive_lead", on, **fields)


def open_case(clerk, number="AJ-1", leads=("TS-1",), on="2025-03-04"):
    return clerk("open_case", on, number=number, leads=list(leads), summary="核查挂床住院")


# --- SUP-01: leads ---------------------------------------------------------------------------
def test_sup01_a_complaint_is_recorded_with_its_source_subject_date_and_allegation(
        clerk, ledger, agreement):
    result = complaint(clerk, agreement=AG, received="2025-03-01")
    assert result["recorded"] and result["lead"] == "TS-1"
    lead = fold.institution_supervision(ledger, "TY-H001", Viewer("auditor"))["leads"][0]
    assert (lead["source"], lead["agreement"], lead["received_on"], lead["allegation"],
            lead["status"]) == ("complaint", AG, date(2025, 3, 1), "挂床住院", "open")


def test_sup01_a_lead_is_recorded_on_or_after_the_day_it_came_in(clerk, agreement):
    refused("SUP-01", clerk, "receive_lead", "2025-03-03", number="TS-1", source="complaint",
            institution="TY-H001", agreement=None, person_id=None,
            received_on=date(2025, 3, 4), allegation="x", reporter="public", complainant=None,
            origin="")
    assert complaint(clerk, on="2025-03-03", received="2025-03-03")["recorded"]
    assert complaint(clerk, number="TS-2", on="2025-03-03", received="2025-03-02")["recorded"]


def test_sup01_a_complaint_or_report_says_who_made_it_and_a_referral_its_notice(clerk,
                                                                                agreement):
    refused("SUP-01", clerk, "receive_lead", "2025-03-03", number="JB-1", source="report",
            institution="TY-H001", agreement=None, person_id=None, received_on=date(2025, 3, 3),
            allegation="伪造病历", reporter=None, complainant=None, origin="")
    refused("SUP-01", clerk, "receive_lead", "2025-03-03", number="ZB-1", source="referral",
            institution="TY-H001", agreement=None, person_id=None, received_on=date(2025, 3, 3),
            allegation="联审互查发现违约", reporter=None, complainant=None, origin="")
    assert clerk("receive_lead", "2025-03-03", number="ZB-1", source="referral",
                 institution="TY-H001", agreement=None, person_id=None,
                 received_on=date(2025, 3, 3), allegation="联审互查发现违约", reporter=None,
                 complainant=None, origin="晋人社监〔2025〕3号")["recorded"]


def test_sup01_screening_and_draw_leads_come_only_from_their_own_commands(clerk, agreement):
    for source in ("screening", "draw"):
        refused("SUP-01", clerk, "receive_lead", "2025-03-03", number=f"X-{source}",
                source=source, institution="TY-H001", agreement=None, person_id=None,
                received_on=date(2025, 3, 3), allegation="x", reporter=None, complainant=None,
                origin="claims_jump")


def test_sup01_a_complaint_is_never_set_aside_it_goes_into_a_case(clerk, agreement):
    complaint(clerk)
    refused("SUP-01", clerk, "set_lead_aside", "2025-03-05", number="TS-1", reason="不属实")
    open_case(clerk)
    refused("SUP-04", clerk, "set_lead_aside", "2025-03-05", number="TS-1", reason="x")


def test_sup01_the_lead_number_is_new_and_the_agreement_the_institutions_own(clerk, agreement):
    effective_agreement(clerk, "TY-H002", "XY-2025-002")
    complaint(clerk)
    refused("SUP-01", clerk, "receive_lead", "2025-03-03", number="TS-1", source="complaint",
            institution="TY-H001", agreement=None, person_id=None,
            received_on=date(2025, 3, 3), allegation="x", reporter="public", complainant=None,
            origin="")
    refused("SUP-01", clerk, "receive_lead", "2025-03-03", number="TS-9", source="complaint",
            institution="TY-H001", agreement="XY-2025-002", person_id=None,
            received_on=date(2025, 3, 3), allegation="x", reporter="public", complainant=None,
            origin="")


# --- SUP-02: whose leads ------------------------------------------------------------------------
def test_sup02_a_lead_about_another_agencys_institution_is_refused_for_that_agencys_staff(
        clerk, ledger, agreement):
    register(clerk, "DT-H001", agency="DT", on="2025-01-06")
    dt = as_user(ledger, "dt.officer")
    refused("SUP-02", dt, "receive_lead", "2025-03-03", number="TS-1", source="complaint",
            institution="TY-H001", agreement=None, person_id=None,
            received_on=date(2025, 3, 3), allegation="x", reporter="public", complainant=None,
            origin="")
    assert complaint(dt, number="TS-DT", institution="DT-H001")["recorded"]
    assert complaint(as_user(ledger, "ty.officer"))["recorded"]
    assert complaint(as_user(ledger, "sx.officer"), number="TS-SX")["recorded"]
    # and nothing done on a TY lead by DT staff: no case, no setting aside
    refused("SUP-02", dt, "open_case", "2025-03-04", number="AJ-1", leads=["TS-1"],
            summary="x")


def test_sup02_another_agencys_institution_is_not_read_unless_the_reader_reads_the_province(
        clerk, ledger, agreement):
    complaint(clerk)
    with pytest.raises(RuleViolation) as info:
        fold.institution_supervision(ledger, "TY-H001", ledger.viewer("dt.officer", "case_officer"))
    assert info.value.rule == "SUP-02"
    for user in ("ty.officer", "sx.officer", "dt.auditor"):
        found = fold.institution_supervision(ledger, "TY-H001", ledger.viewer(user, "auditor"))
        assert [lead["lead"] for lead in found["leads"]] == ["TS-1"]
    open_case(clerk)
    dt = ledger.viewer("dt.officer", "case_officer")
    assert fold.open_cases(ledger, dt, date(2025, 3, 5)) == []
    assert len(fold.open_cases(ledger, ledger.viewer("ty.officer", "case_officer"),
                               date(2025, 3, 5))) == 1


# --- SUP-03: personal data -------------------------------------------------------------------------
@pytest.mark.parametrize("role,sees", [("investigator", True), ("auditor", True),
                                       ("case_officer", False), ("administrator", False),
                                       ("finance", False), ("evaluator", False)])
def test_sup03_a_complainants_personal_data_is_shown_only_to_investigators_and_auditors(
        clerk, ledger, agreement, role, sees):
    result = complaint(clerk)
    assert "刘某" not in str(result)
    shown = fold.institution_supervision(ledger, "TY-H001", Viewer(role))["leads"][0]["complainant"]
    if sees:
        assert shown == {"name": "刘某", "contact": "13900000000"}
    else:
        assert shown == {"name": REDACTED, "contact": REDACTED}


# --- SUP-04: cases ----------------------------------------------------------------------------------
def test_sup04_a_case_opens_on_open_leads_about_one_institution(clerk, ledger, agreement):
    effective_agreement(clerk, "TY-H002", "XY-2025-002")
    complaint(clerk)
    complaint(clerk, number="TS-2", institution="TY-H002")
    refused("SUP-04", clerk, "open_case", "2025-03-04", number="AJ-1", leads=["TS-1", "TS-2"],
            summary="x")
    refused("SUP-04", clerk, "open_case", "2025-03-02", number="AJ-1", leads=["TS-1"],
            summary="x")   # before the lead came in
    assert open_case(clerk)["leads"] == ["TS-1"]
    refused("SUP-04", clerk, "open_case", "2025-03-04", number="AJ-2", leads=["TS-1"],
            summary="x")   # already in AJ-1
    refused("SUP-04", clerk, "open_case", "2025-03-04", number="AJ-1", leads=["TS-2"],
            summary="x")   # number used
    complaint(clerk, number="TS-3", on="2025-03-05")
    clerk("add_lead_to_case", "2025-03-05", number="AJ-1", lead="TS-3")
    found = fold.institution_supervision(ledger, "TY-H001", Viewer("auditor"))
    assert found["cases"][0]["leads"] == ["TS-1", "TS-3"]
    assert {lead["lead"]: lead["case"] for lead in found["leads"]} == {"TS-1": "AJ-1",
                                                                      "TS-3": "AJ-1"}


def test_sup04_steps_are_dated_from_the_cases_opening_and_only_while_it_is_open(clerk, ledger,
                                                                              agreement):
    complaint(clerk)
    open_case(clerk, on="2025-03-04")
    clerk("assign_case", "2025-03-04", number="AJ-1", officers=["wang.li", "zhang.min"])
    refused("SUP-04", clerk, "record_case_step", "2025-03-03", number="AJ-1",
            step="on_site_inspection", summary="x", ref="")
    clerk("record_case_step", "2025-03-04", number="AJ-1", step="call", summary="电话询问科室",
          ref="")
    clerk("record_case_step", "2025-03-05", number="AJ-1", step="on_site_inspection",
          summary="12名住院患者中2名不在院", ref="笔录-1")
    refused("SUP-04", clerk, "record_case_step", "2025-03-05", number="AJ-1", step="visit",
            summary="x", ref="")
    clerk("close_case", "2025-03-06", number="AJ-1", conclusion="unfounded",
          reason="外出检查有医嘱", outcomes=[])
    refused("SUP-04", clerk, "record_case_step", "2025-03-07", number="AJ-1", step="call",
            summary="x", ref="")
    refused("SUP-04", clerk, "assign_case", "2025-03-07", number="AJ-1", officers=["x"])
    state = fold.institution_supervision(ledger, "TY-H001", Viewer("auditor"))["cases"][0]
    assert [s["step"] for s in state["steps"]] == ["call", "on_site_inspection"]
    assert state["assigned_to"] == ["wang.li", "zhang.min"] and state["status"] == "unfounded"


def test_sup04_a_founded_case_names_decisions_the_ledger_holds_on_its_institution(
        clerk, ledger, agreement):
    complaint(clerk)
    open_case(clerk)
    refused("SUP-04", clerk, "close_case", "2025-03-10", number="AJ-1", conclusion="founded",
            reason="挂床属实", outcomes=[])
    refused("SUP-04", clerk, "close_case", "2025-03-10", number="AJ-1", conclusion="founded",
            reason="挂床属实", outcomes=[{"kind": "suspension", "subject": AG,
                                          "ref": "中止-1"}])   # not recorded yet
    clerk("suspend_agreement", "2025-03-10", agreement=AG, kind="disciplinary",
          ground="MA42-1", start=None, requested_on=None, planned_days=None, months=3,
          notice_no="中止-1")
    refused("SUP-04", clerk, "close_case", "2025-03-10", number="AJ-1", conclusion="unfounded",
            reason="x", outcomes=[{"kind": "suspension", "subject": AG, "ref": "中止-1"}])
    result = clerk("close_case", "2025-03-10", number="AJ-1", conclusion="founded",
                   reason="挂床属实", outcomes=[{"kind": "suspension", "subject": AG,
                                                 "ref": "中止-1"}])
    assert result["outcomes"] == [f"suspension {AG} 中止-1"]
    assert fold.open_cases(ledger, Viewer("auditor"), date(2025, 3, 11)) == []


def test_sup04_an_outcome_on_another_institutions_agreement_is_refused(clerk, agreement):
    effective_agreement(clerk, "TY-H002", "XY-2025-002")
    clerk("record_breach_finding", "2025-03-08", agreement="XY-2025-002", clause="MA42-1",
          found_on=date(2025, 3, 8), facts="x", sanctions=["interview"])
    complaint(clerk)
    open_case(clerk)
    refused("SUP-04", clerk, "close_case", "2025-03-10", number="AJ-1", conclusion="founded",
            reason="x", outcomes=[{"kind": "finding", "subject": "XY-2025-002",
                                   "ref": "MA42-1"}])


# --- SUP-05: requests for explanation ---------------------------------------------------------------
@pytest.fixture
def requested(clerk, agreement):
    """A request on Tuesday 2025-09-30: the National Day holidays run 1-8
    October and Saturday 11 October is a make-up working day, so the 5
    working days are 9, 10, 11, 13 and 14 October (CAL-01, CAL-02)."""
    complaint(clerk, on="2025-09-29")
    open_case(clerk, on="2025-09-29")
    result = clerk("request_explanation", "2025-09-30", number="AJ-1", request="SM-1",
                   question="说明不在院患者的费用")
    assert result["explain_by"] == "2025-10-14"
    return result


@pytest.mark.parametrize("on,late", [("2025-10-13", False), ("2025-10-14", False),
                                     ("2025-10-15", True)])
def test_sup05_an_explanation_is_in_time_up_to_the_fifth_working_day(clerk, requested, on,
                                                                   late):
    assert clerk("record_case_explanation", on, number="AJ-1", request="SM-1",
                 summary="外出检查")["late"] is late


def test_sup05_a_case_is_not_closed_while_a_request_may_still_be_answered(clerk, requested):
    for day in ("2025-10-13", "2025-10-14"):
        refused("SUP-05", clerk, "close_case", day, number="AJ-1", conclusion="unfounded",
                reason="x", outcomes=[])
    assert clerk("close_case", "2025-10-15", number="AJ-1", conclusion="unfounded",
                 reason="未在期限内说明，经核查不属实", outcomes=[])["recorded"]


def test_sup05_an_explanation_answers_a_request_of_the_case_once(clerk, requested):
    refused("SUP-05", clerk, "record_case_explanation", "2025-10-09", number="AJ-1",
            request="SM-9", summary="")
    refused("SUP-05", clerk, "request_explanation", "2025-10-09", number="AJ-1",
            request="SM-1", question="again")
    clerk("record_case_explanation", "2025-10-09", number="AJ-1", request="SM-1", summary="")
    refused("SUP-05", clerk, "record_case_explanation", "2025-10-10", number="AJ-1",
            request="SM-1", summary="")
    assert clerk("close_case", "2025-10-09", number="AJ-1", conclusion="unfounded",
                 reason="说明成立", outcomes=[])["recorded"]


def test_sup05_the_cases_deadline_is_a_row_the_deadlines_view_takes(clerk, ledger, requested):
    case = ledger._get(__import__("domain.case", fromlist=["Case"]).Case, "AJ-1", "case")
    rows = case_deadlines(case, ledger.calendar())
    assert set(rows[0]) == {"subject", "what", "rule", "due", "overdue_possible",
                            "provisional", "shown_until"}
    assert [r["overdue"] for day in ("2025-10-13", "2025-10-14", "2025-10-15")
            for r in on_date(rows, date.fromisoformat(day))] == [False, False, True]
    cases = fold.open_cases(ledger, Viewer("auditor"), date(2025, 10, 15))
    assert cases[0]["deadlines"][0]["due"] == date(2025, 10, 14)
    assert cases[0]["deadlines"][0]["overdue"] is True
    clerk("record_case_explanation", "2025-10-15", number="AJ-1", request="SM-1", summary="")
    assert case_deadlines(ledger._get(type(case), "AJ-1", "case"), ledger.calendar()) == []


# --- SUP-08: the expert pool --------------------------------------------------------------------------
def test_sup08_an_expert_joins_a_pool_once_with_conflicts_on_known_institutions(clerk, ledger,
                                                                               agreement):
    with pytest.raises(NotFound):
        clerk("add_expert", "2025-03-01", agency="TY", expert="E1", name="李", field="骨科",
              conflicts=["TY-NOPE"])
    clerk("add_expert", "2025-03-01", agency="TY", expert="E1", name="李", field="骨科",
          conflicts=["TY-H001"])
    refused("SUP-08", clerk, "add_expert", "2025-03-02", agency="TY", expert="E1", name="李",
            field="骨科", conflicts=[])
    register(clerk, "TY-H009", on="2025-01-06")
    clerk("declare_expert_conflict", "2025-03-03", agency="TY", expert="E1",
          institution="TY-H009")
    refused("SUP-08", clerk, "declare_expert_conflict", "2025-03-03", agency="TY",
            expert="E2", institution="TY-H009")
    refused("SUP-08", clerk, "remove_expert", "2025-02-28", agency="TY", expert="E1",
            reason="调离")
    clerk("remove_expert", "2025-04-01", agency="TY", expert="E1", reason="调离")
    from domain.expert_pool import ExpertPool
    pool = ledger._get(ExpertPool, "TY", "expert pool")
    assert [e["expert"] for e in pool.members_on(date(2025, 3, 31))] == ["E1"]
    assert pool.members_on(date(2025, 3, 31))[0]["conflicts"] == ["TY-H001", "TY-H009"]
    assert pool.members_on(date(2025, 4, 1)) == []
    assert pool.members_on(date(2025, 2, 28)) == []
