"""Who may do what through the service (issue #15), over real HTTP on both
stores: the server decides the actor (AUD-04), roles and agencies are
enforced, sessions and tokens end when they should, failed logins lock the
user out, and no refused request records anything.

The tests share one server a store (``served``), each recording under an
institution code and command ids of its own; a test that changes a seeded
user's grants, tokens, password or lock-out has a server of its own
(``fresh_served``)."""
from __future__ import annotations

import json

import httpx
import pytest

from tests.test_http_server import PASSWORD, events_in, fresh_served, served  # noqa: F401

pytestmark = pytest.mark.store

INSTITUTION = {"code": "TY-N001", "name": "太原新医院", "kind": "medical", "agency": "TY",
               "facts": {"credit_code": "12140100405700999K", "ownership": "public",
                         "category": "general", "non_profit": True, "public": True,
                         "licence_no": "PDY40113-14010517A9999", "licence_date": "2021-04-16",
                         "level": 2, "legal_person": True, "business_started_on": "2001-09-01"},
               "people": []}


def register(code: str = "TY-N001", agency: str = "TY", cid: str = "http-001") -> dict:
    return {"id": cid, "date": "2025-09-01", "document": "F1-TEST",
            "fields": {**INSTITUTION, "code": code, "agency": agency}}


def test_aud04_unauthenticated_requests_are_answered_401_and_record_nothing(served):
    server, _ = served
    before = events_in(server.url, server.schema)
    with server.client() as c:
        for response in (c.get("/status", params={"on": "2025-09-01"}), c.get("/me"),
                         c.post("/commands/register_institution", json=register()),
                         c.get("/institutions/TY-H001")):
            assert response.status_code == 401
            assert response.json()["error"] == "NotSignedIn"
            assert response.headers["www-authenticate"] == "Bearer"
    assert events_in(server.url, server.schema) == before


def test_aud04_a_command_is_stamped_with_the_signed_in_user_and_their_role(served):
    server, tokens = served
    with server.client(tokens["ty.officer"]) as c:
        answer = c.post("/commands/register_institution", json=register())
        assert answer.status_code == 200, answer.text
        assert answer.json()["recorded"] is True
        history = c.get("/history", params={"institution": "TY-N001"})
        assert history.status_code == 200, history.text
    first = history.json()["rows"][0]
    assert (first["user"], first["role"]) == ("ty.officer", "case_officer")


def test_aud04_a_body_claiming_an_actor_is_refused_and_records_nothing(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    claimed = {**register(), "actor": {"user": "ledger-clock", "role": "administrator"}}
    with server.client(tokens["ty.officer"]) as c:
        for route in ("/commands/register_institution", "/commands"):
            body = claimed if route.endswith("institution") else \
                {**claimed, "command": "register_institution"}
            answer = c.post(route, json=body)
            assert answer.status_code == 403
            assert answer.json()["rule"] == "AUD-04" and answer.json()["field"] == "actor"
    assert events_in(server.url, server.schema) == before


def test_aud04_a_role_that_may_not_give_the_command_is_refused_403_with_the_rule(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    for user in ("ty.evaluator", "ty.auditor", "ty.finance"):
        with server.client(tokens[user]) as c:
            answer = c.post("/commands/register_institution", json=register(cid=f"r-{user}"))
        assert answer.status_code == 403, user
        body = answer.json()
        assert body["error"] == "NotPermitted" and body["rule"] == "AUD-04"
        assert user in body["reason"] and body["remedy"]
    assert events_in(server.url, server.schema) == before


def test_aud04_an_agency_acts_only_on_its_own_institutions(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    amend = {"id": "dt-amend-1", "date": "2025-09-01",
             "fields": {"institution": "TY-H001", "changes": {"beds": 1}}}
    with server.client(tokens["dt.officer"]) as c:
        answer = c.post("/commands/amend_institution", json=amend)
        assert answer.status_code == 403
        assert answer.json()["rule"] == "AUD-04"
        assert "TY-H001 belongs to agency TY" in answer.json()["reason"]
        elsewhere = c.post("/commands/register_institution",
                           json=register("TY-N002", "TY", "dt-reg-1"))
        assert elsewhere.status_code == 403
        assert c.get("/institutions/TY-H001").status_code == 403
        own = c.get("/institutions/DT-H001")
        assert own.status_code == 200 and own.json()["institution"]["agency"] == "DT"
    assert events_in(server.url, server.schema) == before
    with server.client(tokens["guo.admin"]) as c:   # the province acts on every agency
        answer = c.post("/commands/amend_institution", json={**amend, "id": "sx-amend-1"})
        assert answer.status_code == 200, answer.text


def test_aud04_an_agencys_auditor_reads_only_their_agency_until_granted_the_province(fresh_served):
    server, tokens = fresh_served
    with server.client(tokens["ty.auditor"]) as c:
        assert c.get("/institutions/TY-H001").status_code == 200
        refused = c.get("/institutions/DT-H001")
        assert refused.status_code == 403 and refused.json()["rule"] == "AUD-04"
        assert c.get("/history", params={"person": "140103196805120017"}).status_code == 403
    with server.client(tokens["guo.admin"]) as c:
        granted = c.post("/commands/grant_province_read",
                         json={"id": "g-1", "date": "2025-09-01",
                               "fields": {"user": "ty.auditor"}})
        assert granted.status_code == 200, granted.text
    with server.client(tokens["ty.auditor"]) as c:
        assert c.get("/institutions/DT-H001").status_code == 200


def test_aud04_a_revoked_token_is_refused(fresh_served):
    server, tokens = fresh_served
    with server.client(tokens["ty.officer"]) as c:
        me = c.get("/me").json()
    token_id = me["tokens"][0]["token_id"]
    with server.client(tokens["guo.admin"]) as c:
        revoked = c.post("/commands/revoke_token", json={
            "id": "rt-1", "date": "2025-09-01",
            "fields": {"user": "ty.officer", "token_id": token_id}})
        assert revoked.status_code == 200, revoked.text
    with server.client(tokens["ty.officer"]) as c:
        answer = c.get("/me")
    assert answer.status_code == 401 and "revoked" in answer.json()["reason"]
    forged = tokens["ty.officer"][:-4] + "AAAA"
    with server.client(tokens["dt.officer"][:-4] + "AAAA") as c:
        assert c.get("/me").status_code == 401
    with server.client(forged) as c:
        assert c.get("/me").status_code == 401


def test_a_cookie_session_is_httponly_samesite_and_needs_its_csrf_token_to_write(served):
    server, _ = served
    before = events_in(server.url, server.schema)
    with server.client() as c:
        login = c.post("/login", json={"user": "ty.officer", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert PASSWORD not in login.text
        csrf = login.json()["csrf_token"]
        assert c.get("/me").json()["user"] == "ty.officer"
        mine = register("TY-N003", cid="cookie-1")   # not the stamped test's TY-N001
        without = c.post("/commands/register_institution", json=mine)
        assert without.status_code == 403 and "CSRF" in without.json()["reason"]
        assert events_in(server.url, server.schema) == before
        written = c.post("/commands/register_institution", json=mine,
                         headers={"X-CSRF-Token": csrf})
        assert written.status_code == 200, written.text
        assert written.json()["recorded"] is True
        out = c.post("/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 200


def test_a_password_reset_ends_earlier_sessions(fresh_served):
    server, tokens = fresh_served
    with server.client() as c:
        c.post("/login", json={"user": "ty.officer", "password": PASSWORD})
        assert c.get("/me").status_code == 200
        with server.client(tokens["guo.admin"]) as admin:
            reset = admin.post("/commands/reset_password", json={
                "id": "rp-1", "date": "2025-09-01",
                "fields": {"user": "ty.officer", "password": "another long password"}})
            assert reset.status_code == 200, reset.text
            assert "another long password" not in reset.text
        assert c.get("/me").status_code == 401
        assert c.post("/login", json={"user": "ty.officer",
                                      "password": "another long password"}).status_code == 200


def test_repeated_failed_logins_lock_the_user_out_and_go_to_the_access_log(fresh_served):
    from adapters.http.accesslog import FAILURES_MAX, AccessLog
    server, tokens = fresh_served
    with server.client() as c:
        for _ in range(FAILURES_MAX):
            wrong = c.post("/login", json={"user": "ty.officer", "password": "wrong guess"})
            assert wrong.status_code == 401
        locked = c.post("/login", json={"user": "ty.officer", "password": PASSWORD})
        assert locked.status_code == 429 and locked.json()["error"] == "LockedOut"
        assert "retry-after" in locked.headers
        other = c.post("/login", json={"user": "dt.officer", "password": PASSWORD})
        assert other.status_code == 200, "a lock-out is the user's, not everyone's"
    with server.client(tokens["guo.admin"]) as admin:   # a reset unlocks
        admin.post("/commands/reset_password", json={
            "id": "rp-2", "date": "2025-09-01",
            "fields": {"user": "ty.officer", "password": PASSWORD + "!"}})
    with server.client() as c:
        again = c.post("/login", json={"user": "ty.officer", "password": PASSWORD + "!"})
        assert again.status_code == 200
    log = AccessLog.beside(server.url, server.schema)
    try:
        kinds = [r["kind"] for r in reversed(log.rows("ty.officer"))]
        text = json.dumps(log.rows(limit=1000), default=str)
    finally:
        log.close()
    assert kinds.count("login_failed") == FAILURES_MAX
    assert "locked" in kinds and "unlock" in kinds and kinds[-1] == "login"
    assert PASSWORD not in text and "wrong guess" not in text
    assert all(token not in text for token in tokens.values())


def test_an_account_command_is_an_administrators_and_scoped_by_their_agency(fresh_served):
    server, tokens = fresh_served
    before = events_in(server.url, server.schema)
    add = {"id": "au-1", "date": "2025-09-01",
           "fields": {"user": "new.one", "agency": "DT", "roles": ["administrator"],
                      "password": "a long enough password"}}
    with server.client(tokens["ty.officer"]) as c:
        answer = c.post("/commands/add_user", json=add)
        assert answer.status_code == 403 and answer.json()["rule"] == "AUD-04"
    assert events_in(server.url, server.schema) == before
    with server.client(tokens["guo.admin"]) as c:
        added = c.post("/commands/add_user", json=add)
        assert added.status_code == 200, added.text
        assert "a long enough password" not in added.text
        again = c.post("/commands/add_user", json=add)
        assert again.json()["recorded"] is False, "the same id and password: the first answer"
        token = c.post("/commands/issue_token", json={
            "id": "it-1", "date": "2025-09-01", "fields": {"user": "new.one"}}).json()
    assert token["token"].startswith("lt1.")
    with httpx.Client(base_url=server.base, headers={
            "Authorization": f"Bearer {token['token']}"}) as c:
        assert c.get("/me").json()["agency"] == "DT"
        other = c.post("/commands/grant_role", json={
            "id": "gr-1", "date": "2025-09-01",
            "fields": {"user": "ty.officer", "role": "finance"}})
        assert other.status_code == 403, "a DT administrator manages DT's accounts only"
