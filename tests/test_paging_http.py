"""``GET /history`` answers a page of the timeline (AUD-04), oldest first,
with its total and the link to the next; ``limit=0`` every row; a limit or
offset that cannot be is refused (422) in the catalogue's words, on both
stores, over real HTTP."""
from __future__ import annotations

import pytest

from tests import test_http_server

pytestmark = pytest.mark.store
served = test_http_server.served   # the fixture: a seeded store served over HTTP


def test_aud04_the_history_route_pages_with_the_total_and_the_next_link(served):
    server, tokens = served
    with server.client(tokens["guo.admin"]) as c:
        answered = c.get("/history", params={"institution": "TY-H001", "limit": "0"})
        assert answered.status_code == 200, answered.text
        whole = answered.json()
        rows = whole["rows"]
        assert len(rows) > 4 and whole["total"] == len(rows) and whole["next"] is None
        default = c.get("/history", params={"institution": "TY-H001"}).json()
        assert default["limit"] == 50 and default["rows"] == rows[:50]
        seen, link, pages = [], "/history?institution=TY-H001&limit=2", 0
        while link:   # the next links walk the whole timeline, two rows a page
            page = c.get(link).json()
            assert page["total"] == len(rows) and len(page["rows"]) <= 2
            seen += page["rows"]
            link, pages = page["next"], pages + 1
            assert pages <= len(rows)
        assert seen == rows and pages == (len(rows) + 1) // 2
        exact = c.get("/history", params={"institution": "TY-H001", "limit": len(rows)}).json()
        assert exact["rows"] == rows and exact["next"] is None
        short = c.get("/history", params={"institution": "TY-H001",
                                          "limit": len(rows) - 1}).json()
        assert short["rows"] == rows[:-1] and short["next_offset"] == len(rows) - 1
        past = c.get("/history", params={"institution": "TY-H001", "offset": len(rows) + 3})
        assert past.status_code == 200 and past.json()["rows"] == []
        for params, field in [({"limit": "-1"}, "limit"), ({"limit": "1001"}, "limit"),
                              ({"limit": "x"}, "limit"), ({"offset": "-5"}, "offset"),
                              ({"offset": "1.5"}, "offset")]:
            refused = c.get("/history", params={"institution": "TY-H001", **params})
            assert refused.status_code == 422, (params, refused.text)
            body = refused.json()
            assert "须为" in str(body) and field in str(body), body
