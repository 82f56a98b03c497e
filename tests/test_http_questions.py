"""Every question the CLI answers, asked over real HTTP on both stores, on
both time axes (as_of, known_at; AUD-03), scoped to the asker's agency; a
bank statement reconciled; a case file signed; the hash chain's state."""
from __future__ import annotations

from datetime import date

import pytest

from adapters.http.service import open_service_ledger
from adapters.readmodels import catch_up
from adapters.signing import generate_key, save_keypair
from domain.money import Money
from tests.builders import effective_agreement
from tests.conftest import Clerk
from tests.test_http_server import Server, seed

pytestmark = pytest.mark.store
AG = "XY-2025-901"
STATEMENT = "\n".join(["交易日期,收款单位编码,金额,摘要",
                       "2025-02-24,TY-Q001,\"1,800.00\",SY202501",
                       "2025-04-26,TY-H009,\"12,000.00\",SY999"]).encode("utf-8")


@pytest.fixture(scope="module")
def asked(module_store, tmp_path_factory):
    """(server, tokens) over the seeded store with TY-Q001's agreement and a
    claim paid, signing case files; one server a store for the module: its
    tests ask, and the one that writes (a reconciliation) is the only one to
    reconcile and changes nothing the others ask about."""
    url, schema = module_store
    tokens = seed(url, schema)
    ledger = open_service_ledger(url, schema)
    try:
        clerk = Clerk(ledger)
        effective_agreement(clerk, code="TY-Q001", number=AG)
        clerk("submit_claim", "2025-02-03", agreement=AG, month="2025-01",
              items=[{"item_id": "2025-01-a", "amount_fen": Money.parse("2000.00").fen,
                      "service_date": date(2025, 1, 5), "injury": True,
                      "practitioner_id": None, "description": ""}])
        clerk("approve_claim", "2025-02-10", agreement=AG, month="2025-01")
        clerk("pay_claim", "2025-02-24", agreement=AG, month="2025-01", batch=1, ref="SY202501")
        # at the log's head before the server starts: on PostgreSQL its follower
        # would otherwise still be applying them when first asked (the answers
        # say their log position; this test reads them as complete)
        catch_up(ledger)
    finally:
        ledger.close()
    private, _ = save_keypair(generate_key(), tmp_path_factory.mktemp("keys"))
    server = Server(url, schema, extra=("--signing-key", str(private)))
    try:
        yield server, tokens
    finally:
        server.stop()


def test_aud03_every_question_answers_on_both_time_axes_and_says_its_log_position(asked):
    server, tokens = asked
    with server.client(tokens["guo.admin"]) as c:
        inst = c.get("/institutions/TY-Q001", params={"as_of": "2025-03-01"}).json()
        assert inst["institution"]["code"] == "TY-Q001" and inst["agreements"]
        assert inst["log_position"] > 0
        before = c.get("/institutions/TY-Q001", params={"as_of": "2024-01-01"})
        assert before.status_code == 404, "not yet registered on that business date"
        assert c.get("/applications/SQ-TY-Q001").json()["application"]["number"] == "SQ-TY-Q001"
        status = c.get("/status", params={"on": "2025-03-01"}).json()
        assert [r["agreement"] for r in status["rows"]] == [AG]
        assert c.get("/status", params={"on": "2025-03-01",
                                        "known_at": "2000-01-01T00:00:00+08:00"}
                     ).json()["rows"] == [], "nothing was known in 2000"
        one = c.get(f"/agreements/{AG}/status", params={"on": "2025-03-01"}).json()
        assert one["rows"][0]["status"] == "active"
        assert c.get("/agreements/NO-SUCH/status", params={"on": "2025-03-01"}
                     ).status_code == 404
        assert "rows" in c.get("/deadlines", params={"on": "2025-02-05"}).json()
        positions = c.get("/positions", params={"as_of": "2025-12-31"}).json()
        assert positions["fund"]["paid"] == "1800.00"
        assert c.get("/positions", params={"as_of": "2025-02-01"}).json()["fund"]["paid"] == \
            "0.00", "paid on 24 February"
        assert c.get("/ended").json()["rows"] == []
        assert c.get("/bars").json()["rows"] == []
        history = c.get("/history", params={"agreement": AG}).json()
        assert history["rows"] and history["subject"] == f"agreement:{AG}"
        assert c.get("/history", params={"agreement": AG, "institution": "TY-Q001"}
                     ).status_code == 422
        verification = c.get("/verification").json()
        assert verification["ok"] is True
        case = c.get(f"/casefile/agreement/{AG}")
        assert case.status_code == 200, case.text
        assert case.json()["manifest"]["subject"] == f"agreement:{AG}"


def test_aud04_lists_answer_only_the_askers_agency(asked):
    server, tokens = asked
    with server.client(tokens["dt.officer"]) as c:
        assert c.get("/status", params={"on": "2025-03-01"}).json()["rows"] == []
        assert c.get("/positions").json()["positions"] == []
        assert c.get("/positions", params={"agency": "TY"}).status_code == 403
        assert c.get(f"/agreements/{AG}/status", params={"on": "2025-03-01"}
                     ).status_code == 403
        assert c.get("/history", params={"agreement": AG}).status_code == 403
        assert c.get(f"/casefile/agreement/{AG}").status_code == 403
        assert c.get("/ended").status_code == 200, "the public list is everyone's"
    with server.client(tokens["ty.auditor"]) as c:
        assert [r["agreement"] for r in c.get("/status", params={"on": "2025-03-01"}
                                              ).json()["rows"]] == [AG]
        assert c.get("/positions").json()["fund"]["paid"] == "1800.00"


def test_a_bank_statement_is_reconciled_by_the_provinces_finance_and_recorded_once(asked):
    server, tokens = asked
    with server.client(tokens["guo.admin"]) as c:
        first = c.post("/reconcile", content=STATEMENT, headers={"content-type": "text/csv"},
                       params={"on": "2025-05-06"})
        assert first.status_code == 200, first.text
        assert first.json()["recorded"] is True
        assert first.json()["summary"]["unmatched_statement"] == 1
        again = c.post("/reconcile", content=STATEMENT, headers={"content-type": "text/csv"})
        assert again.json()["recorded"] is False
        assert c.post("/reconcile", content=STATEMENT,
                      headers={"content-type": "text/plain"}).status_code == 415
        assert c.post("/reconcile", content=b"\x00\x01garbage",
                      headers={"content-type": "text/csv"}).status_code == 422
    with server.client(tokens["ty.finance"]) as c:
        refused = c.post("/reconcile", content=STATEMENT, headers={"content-type": "text/csv"})
        assert refused.status_code == 403 and refused.json()["rule"] == "AUD-04"
    with server.client(tokens["ty.evaluator"]) as c:
        assert c.post("/reconcile", content=STATEMENT,
                      headers={"content-type": "text/csv"}).status_code == 403
