"""The supervision read model (``rm_supervision``) and a case's deadlines on
the deadlines read model (``rm_deadlines``) answer what the fold over the
log answers, on both stores: on every day of a case's life, as known at
every log position, live (caught up command by command) and after a
rebuild in one process and in partitions (AUD-02, AUD-03; SUP-01..06).

The history has events out of business-date order on purpose: a lead
recorded days after it was received and put into a case dated before the
lead's own recording, a lead added to a case with a date before the case
was opened, and a request for explanation whose last day falls in a year
whose official arrangement is loaded later (CAL-01), so both the in-order
path and the recomputing path of each view are taken.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from adapters.readmodels import (RebuildUnfinished, catch_up, deadlines_as_of, log_position,
                                 rebuild, records_as_of, snapshot, verify, view_for)
from adapters.readmodels.supervision import (alerts_on, case_on, cases_on, institution_on,
                                             lead_on, leads_on)
from domain.errors import NotFound, RuleViolation
from domain.lead import REDACTED, Viewer
from domain.service.supervision import alerts_by_rule, open_cases
from projections.deadlines import open_deadlines
from projections.status import build
from projections.supervision import records
from tests.builders import effective_agreement

AG, DT_AG = "XY-2025-001", "XY-2025-002"
AUDITOR = Viewer("auditor")
COMPLAINANT = {"name": "刘某", "contact": "13900000000"}


def _complaint(clerk, number, on, *, received, institution="TY-H001"):
    clerk("receive_lead", on, number=number, source="complaint", institution=institution,
          agreement=None, person_id=None, received_on=date.fromisoformat(received),
          allegation="挂床住院", reporter="injured_worker", complainant=COMPLAINANT, origin="")


def history(clerk, ledger) -> None:
    """Leads and cases of two agencies, caught up after every command."""
    def step(*args, **kw):
        clerk(*args, **kw)
        catch_up(ledger)
    effective_agreement(clerk)
    effective_agreement(clerk, code="DT-H001", number=DT_AG, agency="DT")
    catch_up(ledger)
    _complaint(clerk, "TS-1", "2025-03-03", received="2025-03-01")
    catch_up(ledger)
    step("open_case", "2025-03-04", number="AJ-1", leads=["TS-1"], summary="核查挂床")
    step("assign_case", "2025-03-04", number="AJ-1", officers=["wang.li"])
    step("request_explanation", "2025-03-05", number="AJ-1", request="SM-1",
         question="说明不在院患者")
    # recorded on 10 March, received on 2 March: the case takes it dated 6 March
    _complaint(clerk, "TS-2", "2025-03-10", received="2025-03-02")
    catch_up(ledger)
    step("add_lead_to_case", "2025-03-06", number="AJ-1", lead="TS-2")
    step("record_case_step", "2025-03-11", number="AJ-1", step="on_site_inspection",
         summary="2名不在院", ref="笔录-1")
    step("record_case_explanation", "2025-03-14", number="AJ-1", request="SM-1",
         summary="外出检查")
    step("close_case", "2025-03-17", number="AJ-1", conclusion="unfounded", reason="医嘱外出",
         outcomes=[])
    # a second case, its lead added with a date before the case was opened
    _complaint(clerk, "TS-3", "2025-04-01", received="2025-04-01")
    _complaint(clerk, "TS-4", "2025-04-01", received="2025-04-01")
    catch_up(ledger)
    step("open_case", "2025-04-08", number="AJ-2", leads=["TS-3"], summary="核查")
    step("add_lead_to_case", "2025-04-02", number="AJ-2", lead="TS-4")
    step("request_explanation", "2025-04-09", number="AJ-2", request="SM-2", question="说明")
    # a DT complaint, still open; a screening alert, one set aside
    _complaint(clerk, "TS-DT", "2025-04-10", received="2025-04-09", institution="DT-H001")
    catch_up(ledger)
    step("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
         items=[{"item_id": "b", "amount_fen": 10000, "service_date": date(2025, 3, 20),
                 "injury": True, "practitioner_id": None, "description": "住院费用"}])
    step("suspend_agreement", "2025-04-10", agreement=AG, kind="mandatory", ground="M38-2",
         start=date(2025, 3, 15), requested_on=None, planned_days=None, months=None,
         notice_no="中止-1")
    step("run_screening", "2025-04-11", rules=[], known_at=None, threshold_fen=None)
    screening = [n for n, in _numbers(ledger) if n.startswith("SCR-")]
    assert screening
    step("set_lead_aside", "2025-04-12", number=screening[0], reason="已核实为系统更正")
    # a request at the end of 2026: its 5th working day lies in 2027, not
    # yet loaded (provisional, CAL-01); then 2027 is loaded
    _complaint(clerk, "TS-5", "2026-12-28", received="2026-12-28")
    catch_up(ledger)
    step("open_case", "2026-12-28", number="AJ-3", leads=["TS-5"], summary="核查")
    step("request_explanation", "2026-12-29", number="AJ-3", request="SM-3", question="说明")
    step("load_calendar_year", "2027-01-02",
         arrangement={"year": 2027, "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
                      "workdays": [], "source": "国办发明电〔2026〕 test"})


def _numbers(ledger):
    view = view_for(ledger)
    t = view.t["supervision"]
    with view.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.subject).where(t.c.kind == "lead").distinct())
        return sorted((s.split(" ", 1)[1],) for s, in rows)


@pytest.fixture
def supervised(ledger, clerk):
    history(clerk, ledger)
    return ledger


DAYS = [date(2025, 3, 1) + timedelta(days=k) for k in range(0, 50)] + \
    [date(2026, 12, 27) + timedelta(days=k) for k in range(0, 16)]


def _sql_records(view, day, position):
    return {f"{kind} {r['lead' if kind == 'lead' else 'case']}": r
            for kind in ("lead", "case") for r in records_as_of(view, day, position, kind=kind)}


def _cuts(log):
    """Every log position from the first lead on, by its recording instant."""
    first = next(i for i, (_, e) in enumerate(log) if type(e).__qualname__ == "Lead.Received")
    return [(n, e.timestamp) for n, e in log[first:]]


def test_aud03_leads_and_cases_on_every_day_as_known_at_every_position_are_the_folds(
        supervised):
    view = view_for(supervised)
    log = list(supervised.read_log())
    for n, instant in _cuts(log)[::3] + [_cuts(log)[-1]]:
        events = [e for _, e in log if e.timestamp <= instant]
        position = log_position(view, instant)
        for day in DAYS[::2]:
            assert _sql_records(view, day, position) == records(events, as_of=day), (n, day)


def test_aud03_a_cases_deadlines_on_the_deadlines_table_are_the_folds_on_both_axes(supervised):
    view = view_for(supervised)
    log = list(supervised.read_log())
    seen = set()
    for n, instant in _cuts(log)[::2] + [_cuts(log)[-1]]:
        events = [e for _, e in log if e.timestamp <= instant]
        position = log_position(view, instant)
        for day in DAYS:
            folded = open_deadlines(build(events, as_of=day), day)
            assert deadlines_as_of(view, day, position) == folded, (n, day)
            case_rows = [r for r in folded if r["subject"].startswith("case ")]
            assert deadlines_as_of(view, day, position, kind="case") == case_rows
            seen.update((r["subject"], r["due"], r["overdue"], r["provisional"])
                        for r in case_rows)
    # the deadlines compared include one overdue, one in time, and one
    # provisional then final once 2027 is loaded
    assert ("case AJ-1", date(2025, 3, 12), True, False) in seen
    assert ("case AJ-1", date(2025, 3, 12), False, False) in seen
    assert any(s == "case AJ-3" and provisional for s, _, _, provisional in seen)
    assert any(s == "case AJ-3" and not provisional for s, _, _, provisional in seen)


@pytest.mark.parametrize("workers", [1, 3])
def test_aud02_a_rebuild_equals_the_live_supervision_and_deadlines_tables(supervised, workers):
    live = snapshot(view_for(supervised))
    assert live["supervision"] and any(r[0].startswith("case ") for r in live["deadlines"])
    result = rebuild(supervised, batch_size=7, workers=workers)
    assert result["complete"] and result["partitions"] == workers
    rebuilt = snapshot(view_for(supervised))
    assert rebuilt["supervision"] == live["supervision"]
    assert rebuilt["deadlines"] == live["deadlines"]
    assert rebuilt == live


def test_aud02_ledger_verify_compares_the_supervision_table_too(supervised):
    result = verify(supervised)
    assert result["rebuild_equals_live"] is True, result["differences"]
    assert result["rows"]["supervision"] > 10
    view = view_for(supervised)
    t = view.t["supervision"]
    with view.engine.begin() as conn:   # a live row tampered with: verify says so
        conn.execute(sa.update(t).where(t.c.subject == "lead TS-1").values(status="x"))
    assert verify(supervised)["differences"] == ["supervision"]


def test_aud02_read_models_built_before_leads_had_their_table_wait_for_a_rebuild(supervised):
    view = view_for(supervised)
    view.t["supervision"].drop(view.engine)
    del supervised._read_model_view
    with pytest.raises(RebuildUnfinished):
        catch_up(supervised)
    rebuild(supervised, workers=1)
    catch_up(supervised)
    assert records_as_of(view_for(supervised), date(2025, 3, 20),
                         log_position(view_for(supervised), None), kind="case", number="AJ-1")


# --- the questions from the read model --------------------------------------------------------
def _now(ledger):
    view = view_for(ledger)
    return view, log_position(view, None)


def test_sup04_a_cases_state_as_of_a_day_and_as_known_at_an_instant(supervised):
    view, now = _now(supervised)
    on_6 = case_on(view, "AJ-1", date(2025, 3, 6), now, AUDITOR)
    assert (on_6["status"], on_6["leads"]) == ("open", ["TS-1", "TS-2"])
    assert [(d["rule"], d["due"], d["overdue"]) for d in on_6["deadlines"]] == \
        [("SUP-05", date(2025, 3, 12), False)]
    assert case_on(view, "AJ-1", date(2025, 3, 17), now, AUDITOR)["status"] == "unfounded"
    log = list(supervised.read_log())
    before_ts2 = next(n for n, e in log if type(e).__qualname__ == "Case.LeadAdded") - 1
    assert case_on(view, "AJ-1", date(2025, 3, 20), before_ts2, AUDITOR)["leads"] == ["TS-1"]
    with pytest.raises(NotFound):
        case_on(view, "AJ-1", date(2025, 3, 3), now, AUDITOR)   # not opened yet
    # AJ-2 was opened on 8 April; TS-4 joined it with a date before that
    assert case_on(view, "AJ-2", date(2025, 4, 8), now, AUDITOR)["leads"] == ["TS-3", "TS-4"]


def test_sup01_a_leads_state_on_a_day_redacted_for_a_case_officer(supervised):
    view, now = _now(supervised)
    # TS-2 was received on 2 March, recorded on 10 March, into AJ-1 from 6 March:
    # as of 8 March it is not yet on record (its recording takes effect on the 10th)
    with pytest.raises(NotFound):
        lead_on(view, "TS-2", date(2025, 3, 8), now, AUDITOR)
    lead = lead_on(view, "TS-2", date(2025, 3, 10), now, AUDITOR)
    assert (lead["status"], lead["case"], lead["complainant"]) == ("in case", "AJ-1",
                                                                   COMPLAINANT)
    officer = lead_on(view, "TS-2", date(2025, 3, 10), now, Viewer("case_officer"))
    assert officer["complainant"] == {"name": REDACTED, "contact": REDACTED}


def test_sup02_a_lead_about_another_agencys_institution_is_refused_for_that_agencys_staff(
        supervised):
    view, now = _now(supervised)
    dt, ty = Viewer("case_officer", "DT"), Viewer("case_officer", "TY")
    with pytest.raises(RuleViolation) as info:
        lead_on(view, "TS-1", date(2025, 3, 20), now, dt)
    assert info.value.rule == "SUP-02"
    with pytest.raises(RuleViolation):
        case_on(view, "AJ-1", date(2025, 3, 20), now, dt)
    with pytest.raises(RuleViolation):
        institution_on(view, "TY-H001", "TY", date(2025, 3, 20), now, dt)
    assert lead_on(view, "TS-DT", date(2025, 4, 10), now, dt)["lead"] == "TS-DT"
    with pytest.raises(RuleViolation):
        lead_on(view, "TS-DT", date(2025, 4, 10), now, ty)
    # the lists leave another agency's out
    assert [r["lead"] for r in leads_on(view, date(2025, 4, 20), now, dt)] == ["TS-DT"]
    assert "TS-DT" not in [r["lead"] for r in leads_on(view, date(2025, 4, 20), now, ty)]
    assert cases_on(view, date(2025, 4, 10), now, dt) == []
    assert [c["case"] for c in cases_on(view, date(2025, 4, 10), now, ty)] == ["AJ-2"]
    assert alerts_on(view, date(2025, 4, 20), now, dt) == []


def test_sup05_open_and_overdue_cases_on_a_day_are_the_folds(supervised):
    view, now = _now(supervised)
    events = [e for _, e in supervised.read_log()]
    for day in DAYS:
        folded = records(events, as_of=day)
        cases = [r for s, r in folded.items() if s.startswith("case ")]
        deadlines = [d for d in open_deadlines(build(events, as_of=day), day)
                     if d["subject"].startswith("case ")]
        for overdue in (False, True):
            assert cases_on(view, day, now, AUDITOR, overdue=overdue) == \
                open_cases(cases, deadlines, AUDITOR, overdue=overdue), (day, overdue)
    assert [c["case"] for c in cases_on(view, date(2025, 3, 13), now, AUDITOR,
                                        overdue=True)] == ["AJ-1"]
    assert cases_on(view, date(2025, 3, 12), now, AUDITOR, overdue=True) == []


def test_sup01_open_leads_and_an_institutions_leads_and_cases_as_of_a_day(supervised):
    view, now = _now(supervised)
    assert [r["lead"] for r in leads_on(view, date(2025, 3, 3), now, AUDITOR)] == ["TS-1"]
    assert leads_on(view, date(2025, 3, 4), now, AUDITOR, institution="TY-H001") == []
    found = institution_on(view, "TY-H001", "TY", date(2025, 3, 20), now, AUDITOR)
    assert [r["lead"] for r in found["leads"]] == ["TS-1", "TS-2"]
    assert [(c["case"], c["status"]) for c in found["cases"]] == [("AJ-1", "unfounded")]


def test_sup06_alerts_recorded_by_rule_and_agency_are_the_folds(supervised):
    view, now = _now(supervised)
    events = [e for _, e in supervised.read_log()]
    for day in (date(2025, 4, 10), date(2025, 4, 11), date(2025, 4, 12)):
        leads = [r for s, r in records(events, as_of=day).items() if s.startswith("lead ")]
        assert alerts_on(view, day, now, AUDITOR) == alerts_by_rule(leads, AUDITOR), day
    assert alerts_on(view, date(2025, 4, 10), now, AUDITOR) == []
    assert alerts_on(view, date(2025, 4, 11), now, AUDITOR)[0]["agency"] == "TY"
