"""Screening rules over the claims (SUP-06): each rule has a case that raises
it and one that does not, at its edges; a rule re-run as known at an instant
shows what it would have raised then; alerts become leads once, naming the
events they rest on. In memory: these prove rules, not storage."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.lead import Viewer
from domain.money import Money
from domain.screening import REVIEW_THRESHOLD_FEN, screen
from tests.builders import refused
# the supervised ledger with its staff accounts, shared with the lead and case tests
from tests.test_supervision import AG, agreement, as_user, clerk, ledger  # noqa: F401
from tests import supervision_fold as fold

AUDITOR = Viewer("auditor")




def item(item_id, yuan, day, practitioner=None, description="住院费用"):
    return {"item_id": item_id, "amount_fen": Money.parse(yuan).fen,
            "service_date": date.fromisoformat(day), "injury": True,
            "practitioner_id": practitioner, "description": description}


def claim(clerk, month, items, on=None):
    year, m = int(month[:4]), int(month[5:])
    on = on or (date(year + m // 12, m % 12 + 1, 3))
    return clerk("submit_claim", on, agreement=AG, month=month, items=items)


def alerts(ledger, rule, **kw):
    return [a for a in ledger.screening_alerts(AUDITOR, [rule], **kw)]


def keys(ledger, rule, **kw):
    return [a.key for a in alerts(ledger, rule, **kw)]


# --- item_outside_agreement_effect --------------------------------------------------------------
def test_sup06_an_item_inside_a_suspension_recorded_after_the_claim_is_raised(clerk, ledger,
                                                                              agreement):
    claim(clerk, "2025-03", [item("a", "100.00", "2025-03-14"), item("b", "100.00", "2025-03-15"),
                             item("c", "100.00", "2025-03-20")])
    assert keys(ledger, "item_outside_agreement_effect") == []
    before = datetime.now(timezone.utc)
    clerk("suspend_agreement", "2025-04-10", agreement=AG, kind="mandatory", ground="M38-2",
          start=date(2025, 3, 15), requested_on=None, planned_days=None, months=None,
          notice_no="中止-1")
    found = alerts(ledger, "item_outside_agreement_effect")
    assert [a.key for a in found] == [f"{AG}:2025-03:b", f"{AG}:2025-03:c"]   # not a (03-14)
    assert [r["event"] for r in found[0].rests_on] == ["Claim.Submitted", "Agreement.Suspended"]
    log = dict(ledger.read_log())
    assert type(log[found[0].rests_on[1]["notification_id"]]).__qualname__ == \
        "Agreement.Suspended"
    # as known before the suspension was recorded, the rule raised nothing
    assert keys(ledger, "item_outside_agreement_effect", known_at=before) == []


def test_sup06_an_item_on_or_after_an_ending_recorded_after_the_claim_is_raised(clerk, ledger,
                                                                                agreement):
    claim(clerk, "2025-03", [item("a", "100.00", "2025-03-14"), item("b", "100.00", "2025-03-15")])
    clerk("terminate_agreement", "2025-03-15", agreement=AG, ground="M39-3", notice_no="解除-1",
          notice_on=date(2025, 3, 15), reported_on=date(2025, 3, 16), report_ref="报-1",
          reason="骗保")
    found = alerts(ledger, "item_outside_agreement_effect")
    assert [a.key for a in found] == [f"{AG}:2025-03:b"]
    assert found[0].rests_on[1]["event"] == "Agreement.Ended"


# --- barred_practitioner_item ------------------------------------------------------------------------
def test_sup06_an_item_by_a_practitioner_barred_after_the_claim_is_raised(clerk, ledger,
                                                                           agreement):
    claim(clerk, "2025-02", [item("f", "100.00", "2025-02-28", practitioner="DOC-1")])
    claim(clerk, "2025-03", [item("m", "100.00", "2025-03-01", practitioner="DOC-1"),
                             item("n", "100.00", "2025-03-01", practitioner="DOC-2"),
                             item("o", "100.00", "2025-03-02")])
    clerk("propose_practitioner_bar", "2025-02-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=1, finding="冒名住院")
    assert keys(ledger, "barred_practitioner_item") == []     # proposed, not approved
    clerk("approve_practitioner_bar", "2025-03-01", bar_no="停-1", person_id="DOC-1",
          approval_ref="批-1")
    found = alerts(ledger, "barred_practitioner_item")
    assert [a.key for a in found] == [f"{AG}:2025-03:m"]      # not f (the day before)
    assert [r["event"] for r in found[0].rests_on] == ["Claim.Submitted", "Person.BarApproved"]


# --- claims_jump ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("april,raised", [("3000.00", False), ("3000.01", True)])
def test_sup06_a_month_above_three_times_the_institutions_median_is_raised(clerk, ledger,
                                                                           agreement, april,
                                                                           raised):
    for month, yuan in (("2025-01", "900.00"), ("2025-02", "1000.00"), ("2025-03", "5000.00")):
        claim(clerk, month, [item(month, yuan, f"{month}-10")])
    claim(clerk, "2025-04", [item("apr", april, "2025-04-10")])
    assert keys(ledger, "claims_jump") == (["TY-H001:2025-04"] if raised else [])


def test_sup06_no_jump_is_raised_without_three_months_of_history(clerk, ledger, agreement):
    claim(clerk, "2025-01", [item("jan", "100.00", "2025-01-10")])
    claim(clerk, "2025-02", [item("feb", "100.00", "2025-02-10")])
    claim(clerk, "2025-03", [item("mar", "90000.00", "2025-03-10")])
    assert keys(ledger, "claims_jump") == []


# --- repeated_item ---------------------------------------------------------------------------------------
def test_sup06_the_same_line_in_three_months_is_raised_and_in_two_it_is_not(clerk, ledger,
                                                                           agreement):
    claim(clerk, "2025-01", [item("j", "350.00", "2025-01-05", "DOC-7", "康复理疗 10次")])
    claim(clerk, "2025-02", [item("f", "350.00", "2025-02-05", "DOC-7", "康复理疗  10次"),
                             item("g", "351.00", "2025-02-06", "DOC-7", "康复理疗 10次")])
    assert keys(ledger, "repeated_item") == []
    claim(clerk, "2025-03", [item("m", "350.00", "2025-03-05", "DOC-7", "康复理疗 10次")])
    found = alerts(ledger, "repeated_item")
    assert [a.key for a in found] == [f"{AG}:康复理疗 10次:35000:DOC-7"]
    assert len(found[0].rests_on) == 3 and "2025-01, 2025-02, 2025-03" in found[0].what


# --- amounts_under_threshold ---------------------------------------------------------------------------
def _bunch(under, others):
    rows = [item(f"u{i}", "4999.99" if i % 2 else "4750.00", "2025-03-10") for i in range(under)]
    rows += [item(f"o{i}", "100.00", "2025-03-11") for i in range(others)]
    return rows


@pytest.mark.parametrize("under,others,raised", [(5, 20, True), (4, 0, False),
                                                 (5, 21, False)])
def test_sup06_amounts_bunched_just_under_the_review_threshold_are_raised(
        clerk, ledger, agreement, under, others, raised):
    claim(clerk, "2025-03", _bunch(under, others))
    assert keys(ledger, "amounts_under_threshold") == ([f"{AG}:2025-03"] if raised else [])


def test_sup06_the_threshold_itself_and_below_the_band_are_not_under_it(clerk, ledger,
                                                                         agreement):
    claim(clerk, "2025-03", [item(f"t{i}", "5000.00", "2025-03-10") for i in range(5)]
          + [item(f"b{i}", "4749.99", "2025-03-10") for i in range(5)])
    assert keys(ledger, "amounts_under_threshold") == []
    assert REVIEW_THRESHOLD_FEN == 500_000
    # a threshold one fen higher, given with the run, puts the 5000.00 items just under it
    assert keys(ledger, "amounts_under_threshold", threshold_fen=500_001) == [f"{AG}:2025-03"]


# --- run_screening: alerts become leads, once ----------------------------------------------------------
def test_sup06_alerts_are_recorded_as_leads_once_naming_their_events(clerk, ledger, agreement):
    claim(clerk, "2025-03", [item("b", "100.00", "2025-03-20")])
    clerk("suspend_agreement", "2025-04-10", agreement=AG, kind="mandatory", ground="M38-2",
          start=date(2025, 3, 15), requested_on=None, planned_days=None, months=None,
          notice_no="中止-1")
    first = clerk("run_screening", "2025-04-11", rules=[], known_at=None, threshold_fen=None)
    assert first["alerts"] == 1 and len(first["new_leads"]) == 1
    again = clerk("run_screening", "2025-04-12", rules=[], known_at=None, threshold_fen=None)
    assert again["alerts"] == 1 and again["new_leads"] == []
    lead = fold.institution_supervision(ledger, "TY-H001", AUDITOR)["leads"][0]
    assert (lead["source"], lead["origin"], lead["agreement"]) == \
        ("screening", "item_outside_agreement_effect", AG)
    assert [r["event"] for r in lead["rests_on"]] == ["Claim.Submitted", "Agreement.Suspended"]
    assert fold.alerts_by_rule(ledger, AUDITOR) == [{"rule": "item_outside_agreement_effect",
                                               "agency": "TY", "alerts": 1,
                                               "leads": first["new_leads"]}]
    # an alert is a prompt, not an accusation: it may be set aside with the reason
    clerk("set_lead_aside", "2025-04-12", number=first["new_leads"][0], reason="已追回")


def test_sup06_a_city_agencys_staff_screen_only_their_own_institutions(clerk, ledger,
                                                                        agreement):
    claim(clerk, "2025-03", [item("b", "100.00", "2025-03-20")])
    clerk("suspend_agreement", "2025-04-10", agreement=AG, kind="mandatory", ground="M38-2",
          start=date(2025, 3, 15), requested_on=None, planned_days=None, months=None,
          notice_no="中止-1")
    dt = as_user(ledger, "dt.officer")
    assert dt("run_screening", "2025-04-11", rules=[], known_at=None,
              threshold_fen=None)["alerts"] == 0
    assert fold.alerts_by_rule(ledger, ledger.viewer("dt.officer", "auditor")) == []
    assert as_user(ledger, "ty.officer")("run_screening", "2025-04-11", rules=[], known_at=None,
                                         threshold_fen=None)["alerts"] == 1


def test_sup06_an_unknown_rule_or_an_instant_without_its_zone_is_refused(clerk, ledger,
                                                                          agreement):
    refused("SUP-06", clerk, "run_screening", "2025-04-11", rules=["made_up"], known_at=None,
            threshold_fen=None)
    refused("SUP-06", clerk, "run_screening", "2025-04-11", rules=[],
            known_at=datetime(2025, 4, 1), threshold_fen=None)
    assert screen(ledger.known_at(), []) == []
