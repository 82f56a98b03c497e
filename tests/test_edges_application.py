"""An application's refusals, each branch on its own (issue #18), through the
public service on the in-memory store: the one-time materials notice
(ADM-04: once, before acceptance, only for what is missing, listing all of
it, a supply day after the notice, not before receipt), supplying
materials, requesting a supplement after acceptance (ADM-05), declining
(only before acceptance, with reasons), withdrawing, and M 16's exemption
(ADM-06). Each refusal changes nothing; its words are checked against the
catalogue where it is made (tests/conftest.py).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, NotFound, RuleViolation
from tests.builders import ALL_MATERIALS, accepted_application, refused, register
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

SOME = ["application_letter", "licences", "management_rules"]
REST = ["fund_use_forecast", "information_system"]


def submitted(clerk, number="SQ-1", materials=SOME, code="TY-H001", on="2025-03-03"):
    register(clerk, code, on=on)
    clerk("submit_application", on, number=number, institution=code, materials=materials)
    return number


def notice(clerk, on="2025-03-05", missing=REST, supply_by=date(2025, 3, 20), number="SQ-1",
           notice_no="补正-1"):
    return clerk("send_materials_notice", on, application=number, notice_no=notice_no,
                 missing=missing, supply_by=supply_by)


def unchanged(ledger, call):
    before = ledger.recorder.max_notification_id()
    error = call()
    assert ledger.recorder.max_notification_id() == before, "a refusal recorded something"
    return error


# --- ADM-04: the one-time notice ------------------------------------------------------------
def test_adm04_no_notice_once_the_application_is_accepted(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1")
    e = unchanged(ledger, lambda: refused("ADM-04", clerk, "send_materials_notice", "2025-01-07",
                                          application="SQ-1", notice_no="补正-1", missing=REST,
                                          supply_by=date(2025, 1, 20)))
    assert "accepted" in e.reason and "supplementary" in e.remedy


def test_adm04_no_notice_when_nothing_is_missing(clerk, ledger):
    submitted(clerk, materials=ALL_MATERIALS)
    e = unchanged(ledger, lambda: refused("ADM-04", clerk, "send_materials_notice",
                                          "2025-03-05", application="SQ-1", notice_no="补正-1",
                                          missing=[], supply_by=date(2025, 3, 20)))
    assert "nothing to notify" in e.reason and e.remedy == "accept the application"


def test_adm04_the_supply_day_lies_after_the_notice_day(clerk, ledger):
    submitted(clerk)
    for supply_by in (date(2025, 3, 4), date(2025, 3, 5)):        # the day before, of the notice
        unchanged(ledger, lambda: refused("ADM-04", clerk, "send_materials_notice", "2025-03-05",
                                          application="SQ-1", notice_no="补正-1", missing=REST,
                                          supply_by=supply_by))
    assert notice(clerk, supply_by=date(2025, 3, 6))              # the day after
    assert clerk.ledger.application("SQ-1").status == "awaiting_materials"


def test_adm04_a_notice_is_not_dated_before_the_materials_were_received(clerk, ledger):
    submitted(clerk, on="2025-03-03")
    with pytest.raises(InvalidCommand) as info:
        notice(clerk, on="2025-03-02")
    assert "2025-03-03" in info.value.remedy
    assert notice(clerk, on="2025-03-03")                          # the day of receipt


def test_adm04_the_notice_names_exactly_the_missing_items_in_any_order(clerk):
    submitted(clerk)
    refused("ADM-04", clerk, "send_materials_notice", "2025-03-05", application="SQ-1",
            notice_no="补正-1", missing=REST + ["licences"], supply_by=date(2025, 3, 20))
    assert notice(clerk, missing=list(reversed(REST)))


# --- supplying materials ----------------------------------------------------------------------
def test_supplying_nothing_or_what_was_received_is_refused_the_rest_answers_the_notice(clerk,
                                                                                        ledger):
    submitted(clerk)
    notice(clerk)
    with pytest.raises(InvalidCommand) as info:
        clerk("supply_materials", "2025-03-10", application="SQ-1", items=[])
    assert info.value.remedy == "name the items received"
    with pytest.raises(RuleViolation) as info:
        clerk("supply_materials", "2025-03-10", application="SQ-1", items=["licences"])
    assert "licences" in info.value.reason
    clerk("supply_materials", "2025-03-10", application="SQ-1", items=[REST[0]])
    assert clerk.ledger.application("SQ-1").status == "awaiting_materials"   # one still missing
    clerk("supply_materials", "2025-03-11", application="SQ-1", items=[REST[1]])
    assert clerk.ledger.application("SQ-1").status == "received"            # answered in full


def test_adm04_a_received_application_supplied_in_full_stays_received(clerk):
    submitted(clerk)
    clerk("supply_materials", "2025-03-10", application="SQ-1", items=REST)
    app = clerk.ledger.application("SQ-1")
    assert app.status == "received" and app.missing == []


# --- ADM-05: a supplement after acceptance -------------------------------------------------
def test_adm05_a_supplement_is_asked_only_of_an_accepted_application_not_already_supplying(
        clerk, ledger):
    submitted(clerk, materials=ALL_MATERIALS)
    e = unchanged(ledger, lambda: refused("ADM-05", clerk, "request_supplement", "2025-03-04",
                                          application="SQ-1", items=["licences"], reason="x"))
    assert "not accepted" in e.reason
    clerk("accept_application", "2025-03-04", application="SQ-1")
    clerk("request_supplement", "2025-03-05", application="SQ-1", items=["licences"],
          reason="执业许可证过期")
    e = refused("ADM-05", clerk, "request_supplement", "2025-03-06", application="SQ-1",
                items=["management_rules"], reason="x")
    assert "already supplying" in e.reason
    clerk("supply_materials", "2025-03-07", application="SQ-1", items=["licences"])
    assert clerk.ledger.application("SQ-1").status == "accepted"             # the clock runs again


def test_adm05_no_supplement_of_an_exempted_or_a_withdrawn_application(clerk):
    accepted_application(clerk, "TY-H001", "SQ-1", level=2, category="general")
    clerk("exempt_from_evaluation", "2025-01-10", application="SQ-1",
          basic_medical_designation="晋医保定点-0001", fits_planning=True)
    e = refused("ADM-05", clerk, "request_supplement", "2025-01-11", application="SQ-1",
                items=["licences"], reason="x")
    assert "exempted" in e.reason
    accepted_application(clerk, "TY-H002", "SQ-2")
    clerk("withdraw_application", "2025-01-08", application="SQ-2", reason="机构撤回")
    with pytest.raises(RuleViolation) as info:
        clerk("request_supplement", "2025-01-09", application="SQ-2", items=["licences"],
              reason="x")
    assert "withdrawn" in info.value.reason and info.value.remedy == "file a new application"


# --- declining and withdrawing ----------------------------------------------------------------
def test_adm05_an_accepted_application_is_not_declined_and_a_decline_gives_reasons(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1")
    e = unchanged(ledger, lambda: refused("ADM-05", clerk, "decline_application", "2025-01-07",
                                          application="SQ-1", reasons=["不符合条件"]))
    assert "evaluation" in e.reason
    submitted(clerk, "SQ-2", code="TY-H002")
    refused("ADM-01", clerk, "decline_application", "2025-03-04", application="SQ-2",
            reasons=[])
    clerk("decline_application", "2025-03-04", application="SQ-2", reasons=["不符合条件"])
    app = clerk.ledger.application("SQ-2")
    assert app.status == "declined" and not app.is_open


def test_a_closed_application_takes_no_further_step(clerk):
    submitted(clerk)
    clerk("withdraw_application", "2025-03-04", application="SQ-1", reason="机构撤回")
    for command, args in (("send_materials_notice", dict(notice_no="补正-1", missing=REST,
                                                         supply_by=date(2025, 3, 20))),
                          ("supply_materials", dict(items=REST)),
                          ("withdraw_application", dict(reason="again"))):
        with pytest.raises((RuleViolation, NotFound)) as info:
            clerk(command, "2025-03-05", application="SQ-1", **args)
        assert "withdrawn" in info.value.reason, command


# --- ADM-06: the exemption, each obstacle on its own -----------------------------------------
def exempt(clerk, number):
    return clerk("exempt_from_evaluation", "2025-03-10", application=number,
                 basic_medical_designation="晋医保定点-0001", fits_planning=True)


def test_adm06_no_exemption_once_an_evaluation_has_started(clerk, ledger):
    from tests.builders import panel
    accepted_application(clerk, "TY-H001", "SQ-1", level=2, category="general")
    clerk("form_panel", "2025-03-05", evaluation="EV-1", application="SQ-1", members=panel())
    e = unchanged(ledger, lambda: refused("ADM-06", clerk, "exempt_from_evaluation",
                                          "2025-03-10", application="SQ-1",
                                          basic_medical_designation="晋医保定点-0001",
                                          fits_planning=True))
    assert "already started" in e.reason


def test_adm04_no_exemption_while_materials_are_missing(clerk):
    submitted(clerk)
    e = refused("ADM-04", clerk, "exempt_from_evaluation", "2025-03-10", application="SQ-1",
                basic_medical_designation="晋医保定点-0001", fits_planning=True)
    assert REST[0] in e.reason
    clerk("supply_materials", "2025-03-06", application="SQ-1", items=REST)
    clerk("accept_application", "2025-03-07", application="SQ-1")
    assert exempt(clerk, "SQ-1")["status"] == "exempted"


def test_adm06_only_a_medical_agreement_is_exempted(clerk):
    accepted_application(clerk, "TY-R001", "SQ-R", kind="rehab", level=3, category="general")
    e = refused("ADM-06", clerk, "exempt_from_evaluation", "2025-03-10", application="SQ-R",
                basic_medical_designation="晋医保定点-0001", fits_planning=True)
    assert "rehab" in e.reason and e.remedy == "organise an evaluation"
