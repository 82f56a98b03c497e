"""GET /deadlines scoped to the asker's agency (AUD-04) over real HTTP on
both stores: a row's subject is its kind and number ("application
SQ-…", "agreement XY-…"), and the agency is that subject's, so an
agency-scoped officer reads their agency's open deadlines and no other's."""
from __future__ import annotations

import contextlib

import pytest

from adapters.http.service import open_service_ledger
from adapters.readmodels import catch_up
from tests.builders import accepted_application, effective_agreement
from tests.conftest import Clerk
from tests.test_http_server import Server, seed

pytestmark = pytest.mark.store
TY_AGREEMENT, TY_APPLICATION, DT_APPLICATION = "XY-2025-951", "SQ-TY-S953", "SQ-DT-S952"
ON = "2025-03-01"


@pytest.fixture(scope="module")
def asked(module_store):
    """(server, tokens) over the seeded store with a TY agreement in force
    and an application of TY's and one of DT's waiting for evaluation."""
    url, schema = module_store
    tokens = seed(url, schema)
    with contextlib.closing(open_service_ledger(url, schema)) as ledger:
        clerk = Clerk(ledger)
        effective_agreement(clerk, code="TY-S951", number=TY_AGREEMENT)
        accepted_application(clerk, "TY-S953", TY_APPLICATION, on="2025-02-20")
        accepted_application(clerk, "DT-S952", DT_APPLICATION, on="2025-02-20", agency="DT")
        # at the log's head before the server starts: on PostgreSQL its
        # follower would otherwise still be applying them when first asked
        catch_up(ledger)
    server = Server(url, schema)
    try:
        yield server, tokens
    finally:
        server.stop()


def subjects(server: Server, token: str) -> set[str]:
    with server.client(token) as c:
        answer = c.get("/deadlines", params={"on": ON})
        assert answer.status_code == 200, answer.text
        return {r["subject"] for r in answer.json()["rows"]}


def test_aud04_an_agency_officer_reads_their_agencys_deadlines_and_not_anothers(asked):
    server, tokens = asked
    everyone = subjects(server, tokens["guo.admin"])   # the province's administrator: all
    ty = {f"agreement {TY_AGREEMENT}", f"application {TY_APPLICATION}"}
    dt = {f"application {DT_APPLICATION}"}
    assert ty | dt <= everyone, everyone
    seen_by_ty = subjects(server, tokens["ty.officer"])
    assert ty <= seen_by_ty and not dt & seen_by_ty
    seen_by_dt = subjects(server, tokens["dt.officer"])
    assert dt <= seen_by_dt and not ty & seen_by_dt
    assert all(s.split(" ", 1)[1].startswith("SQ-DT") for s in seen_by_dt), seen_by_dt
