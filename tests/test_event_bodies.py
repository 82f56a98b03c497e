"""Event bodies only assign (issue #13): a decision is taken by the public
method and recorded in the event, or as an event of its own, so a replay
reads it and never decides again. Each moved decision is tested here at its
edge, by the rule it enforces, on what the log holds."""
from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from tests.builders import ALL_MATERIALS, accepted_application, effective_agreement, \
    evaluate, register, tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)

ROOT = Path(__file__).resolve().parents[1]
AG = "XY-2025-001"

# --- the audit: what an @event body may do ---------------------------------------------
# Plain assignment, and these container operations on the event's own values.
ASSIGNING_CALLS = {"event", "append", "extend", "update", "pop", "remove", "dict", "list",
                   "set", "int", "isoformat", "items", "get", "join", "enumerate", "sorted", "setdefault"}
# Bodies that still branch, and why that is no decision of a rule.
ALLOWED = {
    # addressing: the entry the event names, by its key (the public method found it)
    "Agreement._change_reported": "the first unreported change of the kind reported",
    "Agreement._change_overdue": "the unreported change of the kind due_consequences found",
    "Agreement._suspension_corrected": "the suspension named by its command; a fold as of a "
                                       "day before its start has not seen it and appends the "
                                       "corrected one; the status the event carries, if any",
    "Claim._paid": "the batch the event names",
    "Institution._bar_fact_lifted": "the open fact of the ground the event names",
    "Person._delisted": "the open listing the delisting ends",
    "Institution._facts_amended": "where a fact is kept: the name is an attribute of its own",
    # a value the event carries, or None when it changes nothing
    "Application._result_noted": "closes only when the event carries a close reason",
    "Claim._item_corrected": "the status the event carries, None keeping the item's",
    "Claim._released": "the refusal reason the event carries, None keeping the item's",
    # history: an upcast class_version 1 event, whose frozen body decided this
    "Agreement._ended": "v1: discharged every open obligation (obligations.v1_*)",
    "Agreement._reversed": "v1: recount and status (obligations.v1_*); decision routes "
                           "to the ending or the suspension the event reverses",
    "Application._supplied": "v1: Application._v1_supplied; else the values it carries",
    "Claim._approved": "v1: every unsettled deduction; else the positions it carries",
}
V1_HELPERS = {"v1_ended_discharges", "v1_reversal_discharges", "v1_status_after_reversal",
              "_v1_supplied"}


def _event_bodies():
    for path in sorted((ROOT / "domain").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for f in cls.body:
                if isinstance(f, ast.FunctionDef) and any(
                        isinstance(d, ast.Call) and getattr(d.func, "id", "") == "event"
                        for d in f.decorator_list):
                    yield f"{cls.name}.{f.name}", f


def _branches(f: ast.FunctionDef) -> bool:
    return any(isinstance(n, (ast.If, ast.IfExp, ast.While, ast.BoolOp, ast.Match))
               or (isinstance(n, ast.comprehension) and n.ifs) for n in ast.walk(f))


def _called(f: ast.FunctionDef) -> set[str]:
    return {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "?")
            for n in ast.walk(f) if isinstance(n, ast.Call)}


def test_aud02_every_event_body_in_the_domain_only_assigns():
    """AUD-02: a body re-runs on every replay, so a rule in it would rewrite
    history when the rule changes. A body that branches is allowed only for
    the reasons ALLOWED gives; it calls nothing but container operations (a
    frozen v1 helper where ALLOWED says so)."""
    bodies = dict(_event_bodies())
    assert len(bodies) > 60
    deciding = sorted(name for name, f in bodies.items() if _branches(f) and name not in ALLOWED)
    assert deciding == [], f"event bodies that decide: {deciding}"
    for name, f in bodies.items():
        extra = _called(f) - ASSIGNING_CALLS - (V1_HELPERS if name in ALLOWED else set())
        assert not extra, f"{name} calls {sorted(extra)}: a body may only assign"
    assert set(ALLOWED) <= set(bodies), sorted(set(ALLOWED) - set(bodies))
    still = sorted(n for n in ALLOWED if not _branches(bodies[n]))
    assert still == [], f"no longer branching, take them off ALLOWED: {still}"


# --- helpers -----------------------------------------------------------------------------
def events(ledger, name=None):
    out = [e for _, e in ledger.read_log()]
    return [e for e in out if name is None or type(e).__qualname__ == name]


def names_since(ledger, before):
    return [type(e).__qualname__ for n, e in ledger.read_log() if n > before]


def position(ledger):
    return ledger.recorder.max_notification_id() or 0


def suspend(clerk, on, kind, ground="", months=None, requested_on=None, agreement=AG):
    return clerk("suspend_agreement", on, agreement=agreement, kind=kind, ground=ground,
                 start=None, requested_on=date.fromisoformat(requested_on) if requested_on
                 else None, planned_days=None, months=months, notice_no=f"通知-{on}")


def terminate(clerk, on, ground="M39-6", agreement=AG):
    d = date.fromisoformat(on)
    return clerk("terminate_agreement", on, agreement=agreement, ground=ground,
                 notice_no=f"解除-{on}", notice_on=d, reported_on=d, report_ref=f"报告-{on}",
                 reason="")


def reverse(clerk, on, decision, number="争-1"):
    clerk("open_dispute", on, number=number, institution="TY-H001", agreement=AG,
          person_id=None, bar_no=None, matter="ending" if decision == "ending" else "performing",
          route="administrative_review", decision=decision, summary="申请复议")
    clerk("record_dispute_outcome", on, number=number, outcome="decision_reversed",
          ref=f"复议-{number}", summary="撤销")


def record_change(clerk, on, change, reported_on, approved_on=date(2025, 2, 10)):
    return clerk("record_change", on, agreement=AG, change=change, approved_on=approved_on,
                 reported_on=reported_on, details="变更")


# --- AGR-06 ------------------------------------------------------------------------------
def test_agr06_a_change_reported_on_its_30th_working_day_raises_nothing_the_day_after_raises_its_own_event(
        clerk, ledger):
    effective_agreement(clerk)
    # approved 2025-02-10: the 30th working day is 2025-03-24 (a Monday)
    before = position(ledger)
    assert record_change(clerk, "2025-03-24", "name", date(2025, 3, 24))["late"] is False
    assert "Agreement.ObligationRaised" not in names_since(ledger, before)
    before = position(ledger)
    assert record_change(clerk, "2025-03-25", "address", date(2025, 3, 25))["late"] is True
    assert names_since(ledger, before).count("Agreement.ObligationRaised") == 1
    recorded = events(ledger, "Agreement.ChangeRecorded")
    assert [e.v1_obligations for e in recorded] == [[], []]
    [raised] = events(ledger, "Agreement.ObligationRaised")
    assert (raised.rule, raised.ground, raised.effective_on) == \
        ("AGR-06", "M39-6", date(2025, 3, 25))
    assert [o["ground"] for o in ledger.agreement(AG).obligations] == ["M39-6"]


def test_agr06_an_unreported_change_is_overdue_the_day_after_its_30th_working_day_in_two_events(
        clerk, ledger):
    effective_agreement(clerk)
    record_change(clerk, "2025-02-20", "level", None)
    tick(clerk, "2025-03-24")
    assert events(ledger, "Agreement.ChangeReportOverdue") == []
    tick(clerk, "2025-03-25")
    [overdue] = events(ledger, "Agreement.ChangeReportOverdue")
    [raised] = events(ledger, "Agreement.ObligationRaised")
    assert overdue.v1_obligations == []
    assert (overdue.effective_on, raised.effective_on, raised.rule) == \
        (date(2025, 3, 25), date(2025, 3, 25), "AGR-06")
    tick(clerk, "2025-03-26")
    assert len(events(ledger, "Agreement.ObligationRaised")) == 1


# --- TER-02 ------------------------------------------------------------------------------
def test_ter02_the_first_agency_suspension_raises_nothing_the_second_its_own_event_the_third_nothing_new(
        clerk, ledger):
    effective_agreement(clerk)
    counts = []
    for on, resume_on in (("2025-02-03", "2025-02-10"), ("2025-03-03", "2025-03-10"),
                          ("2025-04-01", "2025-04-10")):
        suspend(clerk, on, "mandatory", ground="M38-1")
        counts.append(len(events(ledger, "Agreement.ObligationRaised")))
        clerk("resume_agreement", resume_on, agreement=AG)
    assert counts == [0, 1, 1]
    [raised] = events(ledger, "Agreement.ObligationRaised")
    assert (raised.rule, raised.effective_on) == ("TER-02", date(2025, 3, 3))


def test_ter02_dis01_reversing_the_second_suspension_lets_the_obligation_lapse_in_its_own_event(
        clerk, ledger):
    effective_agreement(clerk)
    record_change(clerk, "2025-04-10", "name", date(2025, 3, 25))     # AGR-06 stays open
    suspend(clerk, "2025-05-05", "mandatory", ground="M38-1")
    clerk("resume_agreement", "2025-05-20", agreement=AG)
    suspend(clerk, "2025-06-02", "disciplinary", ground="MA42-1", months=3)
    reverse(clerk, "2025-07-01", "suspension")
    [reversed_] = events(ledger, "Agreement.DecisionReversed")
    assert (reversed_.status, reversed_.v1_discharges) == ("active", False)
    [discharged] = events(ledger, "Agreement.ObligationsDischarged")
    assert (discharged.positions, discharged.rule, discharged.effective_on) == \
        ([1], "TER-02", date(2025, 7, 1))
    ag = ledger.agreement(AG)
    assert [(o["rule"], o["discharged_on"]) for o in ag.obligations] == \
        [("AGR-06", None), ("TER-02", date(2025, 7, 1))]
    assert ag.status == "active"


def test_ter02_dis01_with_two_agency_suspensions_left_after_a_reversal_the_obligation_stands(
        clerk, ledger):
    effective_agreement(clerk)
    for on, resume_on in (("2025-02-03", "2025-02-10"), ("2025-03-03", "2025-03-10")):
        suspend(clerk, on, "mandatory", ground="M38-1")
        clerk("resume_agreement", resume_on, agreement=AG)
    suspend(clerk, "2025-04-01", "mandatory", ground="M38-2")
    reverse(clerk, "2025-05-01", "suspension")
    assert events(ledger, "Agreement.ObligationsDischarged") == []
    assert ledger.agreement(AG).obligations[0]["discharged_on"] is None


# --- TER-01 ------------------------------------------------------------------------------
def test_ter01_an_ending_discharges_the_open_obligations_in_an_event_of_its_own(clerk, ledger):
    effective_agreement(clerk)
    record_change(clerk, "2025-04-10", "name", date(2025, 3, 25))
    for on, resume_on in (("2025-05-05", "2025-05-20"), ("2025-06-02", None)):
        suspend(clerk, on, "mandatory", ground="M38-1")
        if resume_on:
            clerk("resume_agreement", resume_on, agreement=AG)
    terminate(clerk, "2025-07-01", "M39-1")
    [ended] = events(ledger, "Agreement.Ended")
    assert ended.v1_discharges is False
    [discharged] = events(ledger, "Agreement.ObligationsDischarged")
    assert (discharged.positions, discharged.rule, discharged.effective_on) == \
        ([0, 1], "TER-01", date(2025, 7, 1))
    assert all(o["discharged_on"] == date(2025, 7, 1)
               for o in ledger.agreement(AG).obligations)


def test_ter01_an_ending_with_no_open_obligation_records_no_discharge(clerk, ledger):
    effective_agreement(clerk)
    terminate(clerk, "2025-07-01", "M39-3")
    assert events(ledger, "Agreement.ObligationsDischarged") == []


def test_ter01_sus02_day_181_of_a_voluntary_suspension_ends_and_discharges_in_two_events(
        clerk, ledger):
    effective_agreement(clerk)
    record_change(clerk, "2025-04-10", "name", date(2025, 3, 25))
    suspend(clerk, "2025-04-15", "voluntary", requested_on="2025-04-10")
    tick(clerk, "2025-11-01")
    [ended] = events(ledger, "Agreement.Ended")
    [discharged] = events(ledger, "Agreement.ObligationsDischarged")
    assert ended.ground_code == "AUTO-SUS-180"
    assert (discharged.positions, discharged.effective_on) == ([0], ended.effective_on)


# --- DIS-01 ------------------------------------------------------------------------------
def test_dis01_a_reversed_ending_returns_the_agreement_to_the_suspension_still_in_force(
        clerk, ledger):
    effective_agreement(clerk)
    suspend(clerk, "2025-05-05", "mandatory", ground="M38-1")
    terminate(clerk, "2025-06-01", "M39-3")
    reverse(clerk, "2025-07-01", "ending")
    [reversed_] = events(ledger, "Agreement.DecisionReversed")
    assert reversed_.status == "suspended"
    assert ledger.agreement(AG).status == "suspended"


def test_dis01_a_reversed_ending_without_a_suspension_returns_it_to_active(clerk, ledger):
    effective_agreement(clerk)
    terminate(clerk, "2025-06-01", "M39-3")
    reverse(clerk, "2025-07-01", "ending")
    assert events(ledger, "Agreement.DecisionReversed")[0].status == "active"
    assert ledger.agreement(AG).status == "active"


# --- AUD-01 ------------------------------------------------------------------------------
def test_aud01_sus01_a_correction_carries_the_status_its_suspension_puts_the_agreement_in(
        clerk, ledger):
    effective_agreement(clerk)
    suspend(clerk, "2025-03-03", "mandatory", ground="M38-1")
    first = ledger.agreement(AG).suspensions[-1]["command_id"]
    clerk("correct_suspension", "2025-03-05", agreement=AG, corrects=first,
          start=date(2025, 3, 2), reason="通知书日期为3月2日")
    clerk("resume_agreement", "2025-03-20", agreement=AG)
    clerk("correct_suspension", "2025-03-25", agreement=AG, corrects=first,
          start=date(2025, 3, 1), reason="通知书日期为3月1日")
    statuses = [e.status for e in events(ledger, "Agreement.SuspensionCorrected")]
    assert statuses == ["suspended", None]      # in force; resumed, status kept
    assert ledger.agreement(AG).status == "active"


# --- ADM-04, ADM-05 -----------------------------------------------------------------------
def test_adm04_the_item_that_completes_the_notice_receives_the_application(clerk, ledger):
    register(clerk, "TY-H001", on="2025-01-06")
    clerk("submit_application", "2025-01-06", number="SQ-1", institution="TY-H001",
          materials=ALL_MATERIALS[:2])
    clerk("send_materials_notice", "2025-01-08", application="SQ-1", notice_no="补正-1",
          missing=ALL_MATERIALS[2:], supply_by=date(2025, 1, 20))
    clerk("supply_materials", "2025-01-10", application="SQ-1", items=ALL_MATERIALS[2:4])
    clerk("supply_materials", "2025-01-15", application="SQ-1", items=ALL_MATERIALS[4:])
    supplied = events(ledger, "Application.MaterialsSupplied")
    assert [(e.status, e.resumes_clock) for e in supplied] == [(None, False), ("received", False)]
    assert ledger.application("SQ-1").status == "received"


def test_adm05_only_the_last_missing_item_runs_the_evaluation_clock_again(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2025-01-15")
    clerk("request_supplement", "2025-02-01", application="SQ-1",
          items=["information_system", "licences"], reason="材料不全")
    clerk("supply_materials", "2025-02-05", application="SQ-1", items=["licences"])
    clerk("supply_materials", "2025-02-11", application="SQ-1", items=["information_system"])
    supplied = events(ledger, "Application.MaterialsSupplied")
    assert [(e.status, e.resumes_clock) for e in supplied] == [(None, False), ("accepted", True)]
    app = ledger.application("SQ-1")
    assert app.pauses == [[date(2025, 2, 1), date(2025, 2, 11)]]
    assert app.evaluation_due == date(2025, 4, 25)


# --- EVA-05 ------------------------------------------------------------------------------
def test_eva05_the_first_fail_leaves_the_application_open_the_failed_re_evaluation_closes_it(
        clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2025-01-06")
    evaluate(clerk, "SQ-1", "EV-1", "2025-02-10", veto_failed=["V1"], passed_expected=False)
    evaluate(clerk, "SQ-1", "EV-2", "2025-05-20", veto_failed=["V1"], passed_expected=False)
    noted = events(ledger, "Application.ResultNoted")
    assert [(e.status, e.close_reason) for e in noted] == \
        [("failed", None), ("closed", "re-evaluation failed (EVA-05)")]
    assert ledger.application("SQ-1").closed_on == noted[1].effective_on


def test_eva04_a_pass_carries_its_status_and_closes_nothing(clerk, ledger):
    accepted_application(clerk, "TY-H001", "SQ-1", on="2025-01-06")
    evaluate(clerk, "SQ-1", "EV-1", "2025-02-10")
    [noted] = events(ledger, "Application.ResultNoted")
    assert (noted.status, noted.close_reason) == ("passed", None)


# --- PAY-03, PAY-04, PAY-05, PAY-09: claims ---------------------------------------------------
def _claim(clerk, n=10):
    effective_agreement(clerk)
    items = [{"item_id": f"i{k}", "amount_fen": 10001 + k, "service_date": date(2025, 1, 5 + k),
              "injury": True, "practitioner_id": None, "description": "工伤门诊"}
             for k in range(1, n + 1)]
    clerk("submit_claim", "2025-02-03", _id="claim-1", agreement=AG, month="2025-01",
          items=items)


def _claim_of(ledger):
    from domain.claim import Claim
    return ledger.repository.get(Claim.id_for(Claim.key(AG, "2025-01")))


def test_pay09_a_correction_to_non_injury_refuses_the_item_and_one_back_makes_it_pending(
        clerk, ledger):
    _claim(clerk)

    def correct(item_id, injury, amount):
        clerk("correct_claim_item", "2025-02-04", agreement=AG, month="2025-01",
              item_id=item_id, amount_fen=amount, service_date=date(2025, 1, 6),
              injury=injury, corrects="claim-1", reason="录入有误")
    correct("i1", False, 20001)
    correct("i1", True, 20001)
    correct("i1", True, 20003)       # pending stays pending: nothing to carry
    corrected = events(ledger, "Claim.ItemCorrected")
    assert [(e.status, e.status_reason) for e in corrected] == \
        [("refused", "non_injury"), ("pending", ""), (None, None)]
    item = _claim_of(ledger).items["i1"]
    assert (item["status"], item["reason"], item["amount_fen"]) == ("pending", "", 20003)


def test_pay03_a_sampled_item_one_fen_non_compliant_gives_a_deduction_none_gives_none(
        clerk, ledger):
    _claim(clerk)
    clerk("draw_sample", "2025-02-05", agreement=AG, month="2025-01", seed="s")
    first, second = _claim_of(ledger).sample["items"][:2]
    for item_id, fen in ((first, 0), (second, 1)):
        clerk("review_sampled_item", "2025-02-06", agreement=AG, month="2025-01",
              item_id=item_id, noncompliant_fen=fen, reason="重复收费")
    reviewed = events(ledger, "Claim.SampleItemReviewed")
    assert reviewed[0].deductions == []
    assert [(d["item_id"], d["noncompliant"], d["deducted"]) for d in reviewed[1].deductions] \
        == [(second, 1, 5)]


def test_pay03_an_approval_carries_the_deductions_it_settles(clerk, ledger):
    _claim(clerk)
    clerk("draw_sample", "2025-02-05", agreement=AG, month="2025-01", seed="s")
    for n, item_id in enumerate(_claim_of(ledger).sample["items"]):
        clerk("review_sampled_item", "2025-02-06", agreement=AG, month="2025-01",
              item_id=item_id, noncompliant_fen=3 if n == 0 else 0, reason="重复收费")
    clerk("approve_claim", "2025-02-10", agreement=AG, month="2025-01")
    [approved] = events(ledger, "Claim.Approved")
    assert approved.deductions == [0]
    assert _claim_of(ledger).deductions[0]["batch"] == 1


def test_pay04_an_accepted_explanation_makes_the_item_payable_a_rejected_one_refuses_it(
        clerk, ledger):
    _claim(clerk)
    for item_id, accepted in (("i1", True), ("i2", False)):
        clerk("query_claim_item", "2025-02-05", agreement=AG, month="2025-01", item_id=item_id,
              question="请说明")
        clerk("record_explanation", "2025-02-06", agreement=AG, month="2025-01",
              item_id=item_id, accepted=accepted)
    explained = events(ledger, "Claim.ItemExplained")
    assert [(e.status, e.status_reason) for e in explained] == \
        [("pending", ""), ("refused", "noncompliant")]


def test_pay05_a_medical_accident_is_refused_a_released_hold_is_payable_with_its_reason(
        clerk, ledger):
    _claim(clerk)
    for item_id, accident in (("i1", True), ("i2", False)):
        clerk("hold_claim_item", "2025-02-05", agreement=AG, month="2025-01", item_id=item_id,
              hold="medical_dispute", ref=f"纠纷-{item_id}")
        clerk("release_claim_item", "2025-03-01", agreement=AG, month="2025-01",
              item_id=item_id, medical_accident=accident)
    released = events(ledger, "Claim.HoldReleased")
    assert [(e.status, e.status_reason) for e in released] == \
        [("refused", "medical_accident"), ("pending", None)]
    items = _claim_of(ledger).items
    assert (items["i1"]["status"], items["i1"]["reason"]) == ("refused", "medical_accident")
    assert (items["i2"]["status"], items["i2"]["reason"]) == ("pending", "")


# --- AUD-02: new events carry class_version 2 ---------------------------------------------------
@pytest.mark.parametrize("cls_path", [
    "domain.agreement:Agreement.ChangeRecorded", "domain.agreement:Agreement.ChangeReportOverdue",
    "domain.agreement:Agreement.Ended", "domain.agreement:Agreement.DecisionReversed",
    "domain.agreement:Agreement.SuspensionCorrected",
    "domain.application:Application.MaterialsSupplied",
    "domain.application:Application.ResultNoted", "domain.claim:Claim.ItemCorrected",
    "domain.claim:Claim.SampleItemReviewed", "domain.claim:Claim.ItemExplained",
    "domain.claim:Claim.HoldReleased", "domain.claim:Claim.Approved"])
def test_aud02_a_changed_event_class_is_version_2_with_its_upcast(cls_path):
    from eventsourcing.utils import resolve_topic
    cls = resolve_topic(cls_path)
    assert cls.class_version == 2 and callable(cls.upcast_v1_v2)


def test_ter02_dis01_the_timeline_names_the_rule_each_discharge_enforces(clerk, ledger):
    """AUD-04: an investigator sees a discharge as its own row with its rule:
    TER-02 when a reversal lets the obligation lapse, TER-01 for an ending."""
    from adapters.timeline import rules_for
    effective_agreement(clerk)
    for on, resume_on in (("2025-05-05", "2025-05-20"), ("2025-06-02", None)):
        suspend(clerk, on, "mandatory", ground="M38-1")
        if resume_on:
            clerk("resume_agreement", resume_on, agreement=AG)
    reverse(clerk, "2025-07-01", "suspension")
    suspend(clerk, "2025-08-01", "mandatory", ground="M38-2")
    terminate(clerk, "2025-09-01", "M39-1")
    discharges = events(ledger, "Agreement.ObligationsDischarged")
    assert [rules_for(e) for e in discharges] == [("TER-01", "TER-02"), ("TER-01",)]
