"""AUD-04 over leads and cases (issue #19, SUP-02): a lead or case belongs
to the agency it was recorded under, so a reader scoped to one agency is
answered with that agency's case deadlines only, and the province with
every agency's. The agency of a case or lead is the ledger's
``agency_of``; the deadlines question scopes its rows by it, over real
HTTP on both stores."""
from __future__ import annotations

from datetime import date

import pytest

from adapters.http.service import open_service_ledger
from domain.policies.access import Principal, check_read
from domain.roles import NotPermitted
from tests.builders import effective_agreement
from tests.conftest import Clerk
from tests.test_http_server import Server, events_in, seed

pytestmark = pytest.mark.store
CITIES = {"TY": ("TY-C001", "XY-2025-951", "TS-T1", "AJ-T1"),
          "DT": ("DT-C001", "XY-2025-952", "TS-D1", "AJ-D1")}


def cases_in_two_agencies(clerk: Clerk) -> None:
    """An institution of TY and one of DT, each with an agreement in force
    and a case opened on a complaint, waiting for the institution's
    explanation (SUP-05, due on the 5th working day after the request)."""
    for agency, (code, agreement, lead, case) in CITIES.items():
        effective_agreement(clerk, code=code, number=agreement, agency=agency)
        clerk("receive_lead", "2025-02-20", number=lead, source="complaint",
              institution=code, agreement=agreement, person_id=None,
              received_on=date(2025, 2, 19), allegation="挂床住院", reporter="injured_worker",
              complainant={"name": "刘某", "contact": "13900000000"}, origin="")
        clerk("open_case", "2025-02-20", number=case, leads=[lead], summary="核查挂床")
        clerk("request_explanation", "2025-02-21", number=case, request=f"SM-{agency}",
              question="说明不在院患者")


def test_aud04_a_case_and_a_lead_belong_to_the_agency_they_were_recorded_under(ledger):
    cases_in_two_agencies(Clerk(ledger))
    for agency, (_, _, lead, case) in CITIES.items():
        assert ledger.agency_of("case", case) == agency
        assert ledger.agency_of("lead", lead) == agency
    assert ledger.agency_of("case", "AJ-NONE") is None
    assert ledger.agency_of("lead", "TS-NONE") is None


def test_aud04_a_city_reader_is_refused_another_agencys_case_and_the_province_is_not(ledger):
    cases_in_two_agencies(Clerk(ledger))
    ty = Principal("ty.officer", "TY", ("case_officer",), False)
    check_read(ty, "case", "AJ-T1", ledger.agency_of("case", "AJ-T1"))
    with pytest.raises(NotPermitted) as refused:
        check_read(ty, "case", "AJ-D1", ledger.agency_of("case", "AJ-D1"))
    assert refused.value.rule == "AUD-04"
    province = Principal("guo.admin", "SX", ("administrator",), False)
    check_read(province, "case", "AJ-D1", ledger.agency_of("case", "AJ-D1"))


@pytest.fixture(scope="module")
def served(module_store):
    tokens = seed(*module_store)
    ledger = open_service_ledger(*module_store)
    try:
        cases_in_two_agencies(Clerk(ledger))
    finally:
        ledger.close()
    server = Server(*module_store)
    try:
        yield server, tokens, events_in(*module_store)
    finally:
        server.stop()


def _deadline_subjects(server: Server, token: str, after: int) -> set[str]:
    with server.client(token) as c:
        answered = c.get("/deadlines", params={"on": "2025-03-01", "after": after})
        assert answered.status_code == 200, answered.text
        return {r["subject"] for r in answered.json()["rows"]}


def test_aud04_a_city_reader_sees_its_own_agencys_deadlines_and_cases_only(served):
    server, tokens, after = served
    ty = _deadline_subjects(server, tokens["ty.officer"], after)
    assert {"case AJ-T1", "agreement XY-2025-951"} <= ty
    assert not {s for s in ty if s in ("case AJ-D1", "agreement XY-2025-952")}
    dt = _deadline_subjects(server, tokens["dt.officer"], after)
    assert {"case AJ-D1", "agreement XY-2025-952"} <= dt and "case AJ-T1" not in dt


def test_aud04_the_province_sees_every_agencys_case_deadlines(served):
    server, tokens, after = served
    every = _deadline_subjects(server, tokens["guo.admin"], after)
    assert {"case AJ-T1", "case AJ-D1", "agreement XY-2025-951",
            "agreement XY-2025-952"} <= every
