"""Supervision's questions over real HTTP on both stores (SUP-02..07; issue
#19 point 4): the same answers as ``ledger supervision ... --json``, scoped
to the asker's agency (a lead about another agency's institution is refused
for that agency's staff, SUP-02), the complainant redacted for a case
officer and shown to an investigator and an auditor (SUP-03), alerts
recorded and re-run as known at an instant (SUP-06), a draw's proof and
seed (SUP-07)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
import typer
from typer.testing import CliRunner

from adapters.http.credentials import hash_password, new_token
from adapters.http.service import open_service_ledger
from domain.base import Context
from domain.lead import REDACTED
from domain.money import Money
from tests.builders import effective_agreement
from tests.conftest import Clerk
from tests.test_http_server import PASSWORD, Server, events_in, seed

pytestmark = pytest.mark.store
INSTITUTION, AG = "TY-Q001", "XY-2025-901"
COMPLAINANT = {"name": "刘某", "contact": "13900000000"}
INVESTIGATOR = ("ty.investigator", "TY", ["investigator"])


def supervision_store(url: str, schema: str | None) -> dict[str, object]:
    """The HTTP tests' users and a TY investigator; a TY institution with a
    complaint (its complainant named), a case on it waiting for an
    explanation, a screening alert recorded as a lead, an expert pool and a
    published draw. Returns the users' tokens and the draw's seed."""
    from adapters.cli_supervision import chain_value
    tokens = seed(url, schema)
    ledger = open_service_ledger(url, schema)
    try:
        user, agency, roles = INVESTIGATOR
        ctx = Context("seed-user-investigator", date.today(), "os:test", "administrator")
        ledger.add_user(ctx, user=user, name=user, agency=agency, roles=roles,
                        password_hash=hash_password(PASSWORD, command_id=ctx.command_id,
                                                    user=user))
        token = new_token(user)
        ledger.issue_token(Context("seed-token-investigator", date.today(), "os:test",
                                   "administrator"), user=user, token_id=token.token_id,
                           token_hash=token.token_hash, label="test")
        tokens[user] = token.text
        clerk = Clerk(ledger)
        effective_agreement(clerk, code=INSTITUTION, number=AG)
        clerk("receive_lead", "2025-02-20", number="TS-1", source="complaint",
              institution=INSTITUTION, agreement=AG, person_id=None,
              received_on=date(2025, 2, 19), allegation="挂床住院", reporter="injured_worker",
              complainant=COMPLAINANT, origin="")
        clerk("open_case", "2025-02-20", number="AJ-1", leads=["TS-1"], summary="核查挂床")
        clerk("request_explanation", "2025-02-21", number="AJ-1", request="SM-1",
              question="说明不在院患者")
        clerk("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
              items=[{"item_id": "b", "amount_fen": Money.parse("100.00").fen,
                      "service_date": date(2025, 3, 20), "injury": True,
                      "practitioner_id": None, "description": "住院费用"}])
        clerk("suspend_agreement", "2025-04-10", agreement=AG, kind="mandatory",
              ground="M38-2", start=date(2025, 3, 15), requested_on=None, planned_days=None,
              months=None, notice_no="中止-1")
        clerk("run_screening", "2025-04-11", rules=[], known_at=None, threshold_fen=None)
        for i in (1, 2):
            clerk("add_expert", "2025-04-11", agency="TY", expert=f"E{i}", name=f"专家{i}",
                  field="骨科", conflicts=[])
        instant = datetime.now(timezone.utc)
        position = ledger.log_position_at(instant)
        head = chain_value(ledger, position)
        clerk("publish_draw", "2025-04-15", number="DRW-1", agency="TY", targets=1,
              per_target=1, seed_head=head, seed_position=position, seed_instant=instant)
    finally:
        ledger.close()
    return {"tokens": tokens, "instant": instant, "head": head, "position": position}


@pytest.fixture(scope="module")
def store(module_store):
    """The module's tests only ask (sup05 checks that a question records
    nothing): one store of each kind, and one server on it, for them all."""
    return module_store


@pytest.fixture(scope="module")
def served(store):
    made = supervision_store(*store)
    server = Server(*store)
    try:
        # the questions answer from the read models, which PostgreSQL's runner
        # follows on its own: each test starts once they hold every event
        with server.client(made["tokens"]["guo.admin"]) as c:
            assert c.get("/deadlines", params={"on": "2025-01-01",
                                               "after": events_in(*store)}).status_code == 200
        yield server, made
    finally:
        server.stop()


def cli_json(store, *args):
    """``ledger supervision ARGS --json`` on the test's store, parsed."""
    import adapters.cli_supervision as cli
    from adapters.settings import open_ledger
    url, schema = store
    root = typer.Typer()
    root.command("noop")(lambda: None)
    cli.register(root)
    original = cli.open_ledger
    cli.open_ledger = lambda u=None, **kw: open_ledger(u, schema, **kw)
    try:
        done = CliRunner().invoke(root, ["supervision", *args, "--json", "--db", url])
    finally:
        cli.open_ledger = original
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def test_sup05_open_cases_and_their_deadlines_are_the_clis_answer(served, store):
    server, made = served
    before = events_in(*store)
    with server.client(made["tokens"]["ty.officer"]) as c:
        late = c.get("/supervision/cases", params={"on": "2025-03-10"}).json()
        assert late["log_position"] >= before and late["on"] == "2025-03-10"
        assert [(r["case"], r["deadlines"][0]["rule"], r["deadlines"][0]["overdue"])
                for r in late["rows"]] == [("AJ-1", "SUP-05", True)]
        in_time = c.get("/supervision/cases", params={"on": "2025-02-24"}).json()
        assert in_time["rows"][0]["deadlines"][0]["overdue"] is False
        assert c.get("/supervision/cases", params={"on": "2025/03/10"}).status_code == 422
    assert late["rows"] == cli_json(store, "cases", "--on", "2025-03-10")
    assert events_in(*store) == before, "a question records nothing"


def test_sup02_another_agencys_staff_are_refused_its_leads_and_read_none_of_its_cases(served):
    server, made = served
    with server.client(made["tokens"]["dt.officer"]) as c:
        refused = c.get(f"/supervision/institutions/{INSTITUTION}")
        assert refused.status_code == 403, refused.text
        assert refused.json()["rule"] == "SUP-02" and "TS-1" not in refused.text
        assert c.get("/supervision/cases", params={"on": "2025-03-10"}).json()["rows"] == []
        assert c.get("/supervision/alerts").json()["rows"] == []
        other = c.get("/supervision/alerts", params={"agency": "TY"})
        assert other.status_code == 403 and other.json()["rule"] == "SUP-02"
        own = c.get("/supervision/institutions/DT-H001").json()
        assert (own["agency"], own["leads"], own["cases"]) == ("DT", [], [])
    with server.client(made["tokens"]["guo.admin"]) as c:   # the province reads all
        assert [r["case"] for r in c.get("/supervision/cases").json()["rows"]] == ["AJ-1"]
    with server.client() as c:
        assert c.get("/supervision/cases").status_code == 401


def test_sup03_the_complainant_is_redacted_for_a_case_officer_and_shown_to_investigators(
        served, store):
    server, made = served
    tokens = made["tokens"]
    seen = {}
    for user in ("ty.officer", "ty.investigator", "ty.auditor", "guo.admin"):
        with server.client(tokens[user]) as c:
            found = c.get(f"/supervision/institutions/{INSTITUTION}")
            assert found.status_code == 200, found.text
            seen[user] = found.json()
    complaint = {u: next(x for x in f["leads"] if x["lead"] == "TS-1")["complainant"]
                 for u, f in seen.items()}
    assert complaint["ty.officer"] == {"name": REDACTED, "contact": REDACTED}
    assert "刘某" not in json.dumps(seen["ty.officer"], ensure_ascii=False)
    assert complaint["ty.investigator"] == complaint["ty.auditor"] == COMPLAINANT
    assert complaint["guo.admin"]["name"] == REDACTED, "an administrator is no investigator"
    assert seen["ty.officer"]["cases"][0]["case"] == "AJ-1"
    answer = {k: v for k, v in seen["ty.investigator"].items()
              if k not in ("log_position", "on")}
    assert answer == cli_json(store, "institution", INSTITUTION, "--role", "investigator")
    with server.client(tokens["ty.officer"]) as c:
        assert c.get("/supervision/institutions/TY-NOPE").status_code == 404


def test_sup06_alerts_recorded_by_rule_and_agency_and_re_run_as_known_at(served, store):
    server, made = served
    with server.client(made["tokens"]["ty.auditor"]) as c:
        recorded = c.get("/supervision/alerts").json()["rows"]
        assert [(r["rule"], r["agency"], r["alerts"]) for r in recorded] == \
            [("item_outside_agreement_effect", "TY", 1)]
        assert recorded == cli_json(store, "alerts")
        assert c.get("/supervision/alerts", params={"rule": "claims_jump"}).json()["rows"] == []
        now = c.get("/supervision/alerts",
                    params={"known_at": datetime.now(timezone.utc).isoformat()}).json()
        assert [a["rule"] for a in now["alerts"]] == ["item_outside_agreement_effect"]
        assert [r["event"] for r in now["alerts"][0]["rests_on"]] == \
            ["Claim.Submitted", "Agreement.Suspended"]
        then = c.get("/supervision/alerts", params={"known_at": "2000-01-01T00:00:00+08:00"})
        assert then.json()["alerts"] == [], "nothing was known in 2000"
        assert c.get("/supervision/alerts", params={"known_at": "2025-01-01T00:00:00"}
                     ).status_code == 422
        unknown = c.get("/supervision/alerts", params={"known_at": "2025-01-01T00:00:00+08:00",
                                                       "rule": "made_up"})
        assert unknown.status_code == 422 and unknown.json()["rule"] == "SUP-06"


def test_sup07_a_draws_proof_and_its_seed_re_run_from_the_ledger(served, store):
    server, made = served
    with server.client(made["tokens"]["dt.officer"]) as c:   # published: anyone may check it
        proof = c.get("/supervision/draws/DRW-1/proof").json()
        assert proof["ok"] is True and proof["checks"]["seed_is_chain_head"] is True
        assert [r["institution"] for r in proof["result"]][0] in proof["population"]
        assert c.get("/supervision/draws/DRW-9/proof").status_code == 404
        seed_fields = c.get("/supervision/seed",
                            params={"instant": made["instant"].isoformat()}).json()
        assert (seed_fields["seed_head"], seed_fields["seed_position"]) == \
            (made["head"], made["position"])
        assert c.get("/supervision/seed", params={"instant": "2025-03-01"}).status_code == 422
    answer = {k: v for k, v in proof.items() if k != "log_position"}
    assert answer == cli_json(store, "proof", "DRW-1")


def test_sup04_a_case_and_a_lead_on_a_day_as_known_at_an_instant_are_the_clis_answer(
        served, store):
    """The read model's answers over HTTP: a case with its deadline, a lead,
    the open leads and the overdue cases, as of a day and as known at an
    instant before the case was opened (SUP-01, SUP-04, SUP-05; AUD-03)."""
    server, made = served
    with server.client(made["tokens"]["ty.investigator"]) as c:
        case = c.get("/supervision/cases/AJ-1", params={"on": "2025-03-10"}).json()
        assert (case["status"], case["leads"], case["deadlines"][0]["overdue"]) == \
            ("open", ["TS-1"], True)
        assert c.get("/supervision/cases/AJ-1", params={"on": "2025-02-19"}).status_code == 404
        lead = c.get("/supervision/leads/TS-1", params={"on": "2025-02-20"}).json()
        assert (lead["status"], lead["case"], lead["complainant"]) == \
            ("in case", "AJ-1", COMPLAINANT)
        overdue = c.get("/supervision/cases", params={"on": "2025-03-01", "overdue": True})
        assert [r["case"] for r in overdue.json()["rows"]] == ["AJ-1"]
        assert c.get("/supervision/cases", params={"on": "2025-02-28", "overdue": True}
                     ).json()["rows"] == []
        leads = c.get("/supervision/leads", params={"on": "2025-04-11"}).json()["rows"]
        assert [r["source"] for r in leads] == ["screening"]   # TS-1 is in a case
        now = c.get("/supervision/leads/TS-1").json()["log_position"]
        before_case = c.get("/supervision/cases", params={"on": "2025-03-10",
                                                          "known_at": _before_case(store)})
        assert before_case.json()["rows"] == [] and before_case.json()["log_position"] < now
        lead_then = c.get("/supervision/leads/TS-1", params={"on": "2025-03-10",
                                                             "known_at": _before_case(store)})
        assert lead_then.json()["status"] == "open"
    with server.client(made["tokens"]["ty.officer"]) as c:
        redacted = c.get("/supervision/leads/TS-1", params={"on": "2025-02-20"}).json()
        assert redacted["complainant"] == {"name": REDACTED, "contact": REDACTED}
    with server.client(made["tokens"]["dt.officer"]) as c:
        refused = c.get("/supervision/leads/TS-1", params={"on": "2025-02-20"})
        assert refused.status_code == 403 and refused.json()["rule"] == "SUP-02"
        assert c.get("/supervision/cases/AJ-1").status_code == 403
    assert {k: v for k, v in case.items() if k not in ("log_position", "on")} == \
        cli_json(store, "case", "AJ-1", "--on", "2025-03-10", "--role", "investigator")
    assert cli_json(store, "cases", "--on", "2025-03-01", "--overdue") == \
        overdue.json()["rows"]


def _before_case(store):
    """A microsecond before the case was recorded: as known then, the lead
    was on record and the case not yet."""
    from datetime import timedelta

    from adapters.settings import open_ledger
    ledger = open_ledger(*store)
    try:
        log = list(ledger.read_log())
    finally:
        ledger.close()
    opened = next(e for _, e in log if type(e).__qualname__ == "Case.Opened")
    return (opened.timestamp - timedelta(microseconds=1)).isoformat()


def test_sup05_the_deadlines_question_lists_the_cases_request(served, store):
    """GET /deadlines answers from the deadlines read model, where a case's
    request for explanation is a row (SUP-05), overdue from the day after
    its 5th working day."""
    server, made = served
    after = events_in(*store)   # answered once the read models have every event
    with server.client(made["tokens"]["guo.admin"]) as c:   # the province reads all
        rows = c.get("/deadlines", params={"on": "2025-03-01", "after": after}).json()["rows"]
        assert [(r["due"], r["overdue"]) for r in rows if r["subject"] == "case AJ-1"] == \
            [("2025-02-28", True)]
        rows = c.get("/deadlines", params={"on": "2025-02-28", "after": after}).json()["rows"]
        assert [r["overdue"] for r in rows if r["subject"] == "case AJ-1"] == [False]
