"""Hostile and careless requests over real HTTP, on both stores: path
traversal and injection in every parameter are harmless, an oversized body
is 413, the wrong content type 415, unreadable JSON 400, and none of them
records anything or shows a stack trace. Also: a batch answered line by
line, and a question asked right after a command sees it (read your writes).

The tests share one server a store (``served``): none touches an account, and
each records under institution codes and command ids of its own."""
from __future__ import annotations

import json

import pytest

from tests.test_http_access import register
from tests.test_http_server import command_lines, events_in, served, without_actor  # noqa: F401

pytestmark = pytest.mark.store
HOSTILE = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "' OR '1'='1", "1; DROP TABLE "
           "ledger_events; --", "\u202etxt.exe", "%00", "<script>alert(1)</script>",
           "${jndi:ldap://x}", "x" * 70, "TY-H001' --", "\\\\server\\share"]
ROUTES = ["/institutions/{}", "/applications/{}", "/agreements/{}/status?on=2025-09-01",
          "/status?on={}", "/status?on=2025-09-01&institution={}",
          "/status?on=2025-09-01&agreement={}", "/deadlines?on={}", "/positions?as_of={}",
          "/positions?agency={}", "/positions?agreement={}", "/ended?as_of={}",
          "/ended?known_at={}", "/bars?person={}", "/bars?institution={}",
          "/history?institution={}", "/history?agreement={}", "/history?from={}&agreement=A",
          "/casefile/institution/{}", "/casefile/{}/x", "/status?on=2025-09-01&after={}"]


def _no_trace(response) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text
    text = response.text
    assert "Traceback" not in text and 'File "' not in text and "sqlalchemy" not in text.lower()
    body = response.json()
    if response.status_code >= 400:
        assert body["error"] and body["reason"]


def test_traversal_and_injection_in_every_parameter_are_harmless(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    with server.client(tokens["guo.admin"]) as c:
        for route in ROUTES:
            for value in HOSTILE:
                response = c.get(route.format(value))
                assert response.status_code in (200, 400, 403, 404, 422, 503), \
                    (route, value, response.status_code, response.text)
                _no_trace(response)
        still = c.get("/institutions/TY-H001")
        assert still.status_code == 200
    assert events_in(server.url, server.schema) == before


def test_an_oversized_body_is_413_and_records_nothing(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    big = json.dumps({**register(), "document": "x" * (2 << 20)})
    with server.client(tokens["guo.admin"]) as c:
        answer = c.post("/commands/register_institution", content=big,
                        headers={"content-type": "application/json"})
        assert answer.status_code == 413
        _no_trace(answer)
        chunks = (b"x" * 65536 for _ in range(40))   # no Content-Length: counted as it comes
        streamed = c.post("/commands", content=chunks,
                          headers={"content-type": "application/json"})
        assert streamed.status_code == 413
    assert events_in(server.url, server.schema) == before


def test_wrong_content_types_and_unreadable_json_are_refused_clearly(served):
    server, tokens = served
    before = events_in(server.url, server.schema)
    body = json.dumps(register())
    with server.client(tokens["guo.admin"]) as c:
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            answer = c.post("/commands/register_institution", content=body,
                            headers={"content-type": kind})
            assert answer.status_code == 415, kind
            _no_trace(answer)
        for raw, status in ((b"{", 400), (b"[1, 2]", 400), (b'{"id": "a", "id": "b"}', 400),
                            (b"\xff\xfe", 400), (b'{"id": NaN}', 400),
                            (b'{"id": "c", "date": "2025-09-01", "fields": {"code": 1}}', 422),
                            (b'{"id": "c", "date": "2025-13-01", "fields": {}}', 422)):
            answer = c.post("/commands/register_institution", content=raw,
                            headers={"content-type": "application/json"})
            assert answer.status_code == status, (raw, answer.text)
            _no_trace(answer)
        unknown = c.post("/commands", json={"id": "u1", "command": "regster_institution",
                                            "date": "2025-09-01", "fields": {}})
        assert unknown.status_code == 422 and "register_institution" in unknown.json()["remedy"]
        assert c.get("/nowhere").status_code == 404
        assert c.delete("/commands").status_code == 405
    assert events_in(server.url, server.schema) == before


def test_errors_carry_the_status_that_fits(served):
    server, tokens = served
    with server.client(tokens["guo.admin"]) as c:
        assert c.post("/commands/register_institution", json=register()).status_code == 200
        conflict = c.post("/commands/register_institution",
                          json={**register(), "document": "another"})
        assert conflict.status_code == 409 and conflict.json()["error"] == "Conflict"
        missing = c.post("/commands/amend_institution", json={
            "id": "m1", "date": "2025-09-01", "fields": {"institution": "NO-SUCH",
                                                         "changes": {"beds": 1}}})
        assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
        rule = c.post("/commands/register_institution",
                      json=register("TY-N009", cid="early") | {"date": "2019-01-01"})
        assert rule.status_code == 422


def test_a_batch_is_answered_line_by_line_as_ledger_run_json(served):
    server, tokens = served
    lines = [{**register(f"TY-B00{n}", cid=f"b-{n}"), "command": "register_institution"}
             for n in range(1, 4)]
    body = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()
    ndjson = {"content-type": "application/x-ndjson"}
    with server.client(tokens["guo.admin"]) as c:
        first = c.post("/batch", content=body, headers=ndjson)
        assert first.status_code == 200, first.text
        assert [line["line"] for line in first.json()["lines"]] == [1, 2, 3]
        assert all(line["recorded"] for line in first.json()["lines"])
        again = c.post("/batch", content=body, headers=ndjson).json()
        assert again["rejected"] == 0 and again["applied"] == 3
        assert not any(line["recorded"] for line in again["lines"]), "the first answers"
        before = events_in(server.url, server.schema)
        bad = b'{"id": "b9", "date": "2025-09-01", "command": "accept_application", ' \
              b'"fields": {"application": "NO-SUCH"}}\n' + body
        refused = c.post("/batch", content=bad, headers=ndjson)
        assert refused.status_code == 404
        assert refused.json()["lines"][0]["rejected"]["error"] == "NotFound"
        assert len(refused.json()["lines"]) == 1, "stops at the first rejection"
        going = c.post("/batch", content=bad, headers=ndjson, params={"keep_going": True})
        assert going.json()["applied"] == 3 and going.json()["rejected"] == 1
        seeded = json.dumps(without_actor(command_lines()[0]), ensure_ascii=False).encode()
        conflict = c.post("/batch", content=seeded, headers=ndjson)
        assert conflict.status_code == 409, "an id the seed gave as another user"
    assert events_in(server.url, server.schema) == before


def test_a_question_right_after_a_command_sees_it(served):
    server, tokens = served
    with server.client(tokens["guo.admin"]) as c:
        written = c.post("/commands/register_institution", json=register("TY-N100", cid="w1"))
        position = written.json()["log_position"]
        assert int(written.headers["x-ledger-position"]) == position
        history = c.get("/history", params={"institution": "TY-N100"})
        assert history.status_code == 200 and history.json()["rows"]
        status = c.get("/status", params={"on": "2025-09-01", "after": position})
        assert status.json()["log_position"] >= position
        header = c.get("/ended", headers={"X-Ledger-After": str(position)})
        assert header.json()["log_position"] >= position
