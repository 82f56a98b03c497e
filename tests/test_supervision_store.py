"""Leads and cases on both stores, and the supervision questions of the CLI
(``ledger supervision``): stored and read back, personal data redacted for
a case officer, a refused question exits 1 and bad input 2, and nothing is
written by a question."""
from __future__ import annotations

import json
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

import adapters.cli_supervision as cli
from adapters.settings import open_ledger
from domain.lead import REDACTED
from tests.builders import effective_agreement
from tests.conftest import Clerk

AG = "XY-2025-001"


@pytest.fixture
def filled(store, monkeypatch):
    """A store with a complaint, its case and an overdue request; the CLI
    routed into the test's schema."""
    url, schema = store
    monkeypatch.setattr(cli, "open_ledger", lambda u=None, **kw: open_ledger(u, schema, **kw))
    led = cli.supervised(open_ledger(url, schema))
    try:
        clerk = Clerk(led)
        effective_agreement(clerk)
        clerk("receive_lead", "2025-09-29", number="TS-1", source="complaint",
              institution="TY-H001", agreement=AG, person_id=None,
              received_on=date(2025, 9, 28), allegation="挂床住院", reporter="injured_worker",
              complainant={"name": "刘某", "contact": "13900000000"}, origin="")
        clerk("open_case", "2025-09-29", number="AJ-1", leads=["TS-1"], summary="核查挂床")
        clerk("request_explanation", "2025-09-30", number="AJ-1", request="SM-1",
              question="说明不在院患者")
    finally:
        led.close()
    return url, schema


def ask(*args):
    root = typer.Typer()
    root.command("noop")(lambda: None)   # a group needs a command of its own to take sub-apps
    cli.register(root)
    cli.register(root)                   # registering twice adds it once
    return CliRunner().invoke(root, ["supervision", *args])


def count(store):
    led = open_ledger(*store)
    try:
        return led.recorder.max_notification_id()
    finally:
        led.close()


def test_sup05_open_cases_and_their_deadline_on_the_store(filled):
    url, _ = filled
    before = count(filled)
    on_time = json.loads(ask("cases", "--on", "2025-10-14", "--json", "--db", url).output)
    assert [(c["case"], c["deadlines"][0]["due"], c["deadlines"][0]["overdue"])
            for c in on_time] == [("AJ-1", "2025-10-14", False)]
    late = ask("cases", "--on", "2025-10-15", "--db", url)
    assert late.exit_code == 0 and "due 2025-10-14 [SUP-05]" in late.output
    assert "OVERDUE" in late.output
    assert count(filled) == before


def test_sup03_a_case_officer_reads_the_complaint_redacted_an_investigator_in_full(filled):
    url, _ = filled
    officer = json.loads(ask("institution", "TY-H001", "--json", "--db", url).output)
    assert officer["leads"][0]["complainant"] == {"name": REDACTED, "contact": REDACTED}
    assert officer["cases"][0]["case"] == "AJ-1"
    text = ask("institution", "TY-H001", "--role", "investigator", "--db", url)
    assert text.exit_code == 0 and "刘某" in text.output and "in case AJ-1" in text.output
    assert "刘某" not in ask("institution", "TY-H001", "--db", url).output


def test_sup04_a_case_closed_on_the_store_reads_back_with_its_steps(filled):
    url, schema = filled
    led = cli.supervised(open_ledger(url, schema))
    try:
        clerk = Clerk(led)
        clerk("record_case_step", "2025-10-09", number="AJ-1", step="on_site_inspection",
              summary="2名不在院", ref="笔录-1", _id="step-1")
        clerk("record_case_explanation", "2025-10-10", number="AJ-1", request="SM-1",
              summary="外出检查", _id="expl-1")
        clerk("close_case", "2025-10-10", number="AJ-1", conclusion="unfounded",
              reason="医嘱外出", outcomes=[], _id="close-1")
    finally:
        led.close()
    found = json.loads(ask("institution", "TY-H001", "--json", "--db", url).output)
    case = found["cases"][0]
    assert (case["status"], case["steps"][0]["ref"], case["requests"][0]["late"]) == \
        ("unfounded", "笔录-1", False)
    assert json.loads(ask("cases", "--on", "2025-10-15", "--json", "--db", url).output) == []


def test_sup06_alerts_by_rule_and_as_known_at_on_the_store(filled):
    url, _ = filled
    assert ask("alerts", "--db", url).output.strip() == "no alert recorded"
    result = ask("alerts", "--known-at", "2025-01-01T00:00:00+08:00", "--json", "--db", url)
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_a_question_refused_exits_1_and_bad_input_exits_2(filled):
    url, _ = filled
    refused = ask("institution", "TY-NOPE", "--db", url)
    assert refused.exit_code == 1 and "TY-NOPE" in refused.output
    assert ask("cases", "--on", "2025/10/15", "--db", url).exit_code == 2
    assert ask("alerts", "--known-at", "2025-01-01T00:00:00", "--db", url).exit_code == 2
    assert ask("alerts", "--known-at", "yesterday", "--db", url).exit_code == 2


def test_sup01_a_lead_a_case_and_the_open_leads_on_a_day_as_known_at_an_instant(filled):
    """``ledger supervision lead/case/leads`` answer from the read model on
    both axes: before the case was opened (as of a day, or as known at an
    instant) the lead is open and the case unknown (exit 1)."""
    url, schema = filled
    led = open_ledger(url, schema)
    try:
        opened = next(e for _, e in led.read_log() if type(e).__qualname__ == "Case.Opened")
    finally:
        led.close()
    from datetime import timedelta
    before = (opened.timestamp - timedelta(microseconds=1)).isoformat()
    lead = json.loads(ask("lead", "TS-1", "--on", "2025-10-01", "--json", "--db", url).output)
    assert (lead["status"], lead["case"], lead["complainant"]["name"]) == \
        ("in case", "AJ-1", REDACTED)
    then = json.loads(ask("lead", "TS-1", "--on", "2025-10-01", "--known-at", before,
                          "--role", "auditor", "--json", "--db", url).output)
    assert (then["status"], then["complainant"]["name"]) == ("open", "刘某")
    case = json.loads(ask("case", "AJ-1", "--on", "2025-10-15", "--json", "--db", url).output)
    assert [(d["due"], d["overdue"]) for d in case["deadlines"]] == [("2025-10-14", True)]
    assert ask("case", "AJ-1", "--known-at", before, "--db", url).exit_code == 1
    assert ask("case", "AJ-1", "--on", "2025-09-28", "--db", url).exit_code == 1
    assert json.loads(ask("leads", "--on", "2025-10-01", "--json", "--db", url).output) == []
    open_then = json.loads(ask("leads", "--on", "2025-10-01", "--known-at", before, "--json",
                               "--db", url).output)
    assert [r["lead"] for r in open_then] == ["TS-1"]
    assert [c["case"] for c in json.loads(ask("cases", "--on", "2025-10-15", "--overdue",
                                              "--json", "--db", url).output)] == ["AJ-1"]
    assert json.loads(ask("cases", "--on", "2025-10-14", "--overdue", "--json", "--db",
                          url).output) == []
    assert ask("lead", "TS-1", "--on", "2025/10/01", "--db", url).exit_code == 2


def test_sup05_ledger_deadlines_lists_the_cases_request_beside_the_agreements(filled,
                                                                            monkeypatch):
    """The case's deadline is a row of the deadlines read model: ``ledger
    deadlines`` lists it, overdue the day after its 5th working day, and as
    known before the request it is not there (AUD-03)."""
    import adapters.cli as root_cli
    from adapters.cli import app
    url, schema = filled
    monkeypatch.setattr(root_cli, "open_ledger",
                        lambda u=None, **kw: open_ledger(u, schema, **kw))

    def deadlines(*args):
        done = CliRunner().invoke(app, ["deadlines", *args, "--rule", "SUP-05", "--json",
                                        "--db", url])
        assert done.exit_code == 0, done.output
        return json.loads(done.output)
    assert [(r["subject"], r["due"], r["overdue"]) for r in deadlines("--on", "2025-10-15")] \
        == [("case AJ-1", "2025-10-14", True)]
    assert deadlines("--on", "2025-10-14")[0]["overdue"] is False
    led = open_ledger(url, schema)
    try:
        asked = next(e for _, e in led.read_log()
                     if type(e).__qualname__ == "Case.ExplanationRequested")
    finally:
        led.close()
    from datetime import timedelta
    before = (asked.timestamp - timedelta(microseconds=1)).isoformat()
    assert deadlines("--on", "2025-10-15", "--known-at", before) == []
