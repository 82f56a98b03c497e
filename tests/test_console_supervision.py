"""Supervision in the console (issue #19 point 4), in Debian's headless
chromium as tests/test_console.py drives it: an investigator finds the open
case with its overdue deadline and downloads the list, reads the alerts,
opens an institution's leads (the complainant shown to them, SUP-03) and a
draw's proof. Without a browser: a case officer reads the same page
redacted, another agency's staff are refused it (SUP-02), a bad export is
refused. The store is the HTTP supervision tests' (SQLite; the API's tests
run on both stores)."""
from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.test_console import ConsoleServer, browser  # noqa: F401  (the browser fixture)
from tests.test_http_server import PASSWORD
from tests.test_http_supervision import INSTITUTION, supervision_store


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('supervision') / 'ledger.sqlite'}"
    supervision_store(url, None)
    server = ConsoleServer(url)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def signed_in(server, user: str):
    """An HTTP client holding ``user``'s session cookie, as a browser would."""
    with httpx.Client(base_url=server.base, timeout=60) as client:
        answer = client.post("/login", json={"user": user, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        yield client


def test_an_investigator_follows_cases_alerts_a_lead_and_a_draw(browser, served):
    context = browser.new_context(viewport={"width": 1360, "height": 900},
                                  accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the browser's own request for /favicon.ico (the sign-in page names none) is no page's
    page.on("console", lambda m: errors.append(f"{m.text} {m.location['url']}")
            if m.type == "error" and not m.location["url"].endswith("/favicon.ico") else None)
    try:
        page.goto(served.base + "/console/login")
        page.fill("#user", "ty.investigator")
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(served.base + "/console/")
        with page.expect_navigation():
            page.click("nav >> text=监督检查")
        page.fill("#as-of", "2025-03-10")
        with page.expect_navigation():
            page.click("#apply-time")
        cases = page.locator("table.sup-cases tbody tr")
        assert cases.count() == 1
        assert "AJ-1" in cases.inner_text() and "已逾期" in page.inner_text("table.sup-cases")
        assert "是" in cases.locator("td").nth(9).inner_text()
        with page.expect_download() as got:
            page.click("#cases-export-csv")
        rows = list(csv.DictReader(io.StringIO(
            Path(got.value.path()).read_bytes().decode("utf-8-sig"))))
        assert [(r["案件编号"], r["到期日"], r["已逾期"]) for r in rows] == \
            [("AJ-1", cases.locator("td").nth(6).inner_text(), "是")]
        assert "item_outside_agreement_effect" in page.inner_text("table.sup-alerts")
        page.fill("#sup-code", INSTITUTION)
        with page.expect_navigation():
            page.click("#sup-code-go")
        leads = page.inner_text("table.sup-leads")
        assert "TS-1" in leads and "刘某" in leads, "an investigator reads the complainant"
        assert "AJ-1" in page.inner_text("table.sup-inst-cases")
        with page.expect_navigation():
            page.click("nav >> text=监督检查")
        page.fill("#sup-draw", "DRW-1")
        with page.expect_navigation():
            page.click("#sup-draw-go")
        assert page.get_attribute("#draw-verdict", "data-ok") == "true"
        assert page.locator("#draw-checks li.ok").count() == 5
        assert page.locator("table.draw-result tbody tr").count() == 1
        with page.expect_download() as got:
            page.click("#draw-export-xlsx")
        from openpyxl import load_workbook
        sheet = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).worksheets[0]
        assert [c.value for c in sheet[1]] == ["序号", "机构编码", "检查人员"]
        assert sheet.cell(row=2, column=2).value == \
            page.locator("table.draw-result tbody td").nth(1).inner_text()
        assert not errors, errors
    finally:
        context.close()


def test_a_case_officer_reads_the_lead_redacted_and_another_agency_is_refused(served):
    with signed_in(served, "ty.officer") as c:
        page = c.get(f"/console/supervision/institutions/{INSTITUTION}")
        assert page.status_code == 200 and "TS-1" in page.text
        assert "刘某" not in page.text and "SUP-03" in page.text
        export = c.get("/console/supervision/export/leads.csv", params={"code": INSTITUTION})
        assert export.status_code == 200 and "刘某" not in export.content.decode("utf-8-sig")
        assert c.get("/console/supervision/export/nothing.csv").status_code == 422
        assert c.get("/console/supervision/export/cases.pdf").status_code == 422
    with signed_in(served, "dt.officer") as c:
        refused = c.get(f"/console/supervision/institutions/{INSTITUTION}")
        assert refused.status_code == 403 and "SUP-02" in refused.text
        assert "TS-1" not in refused.text
        listed = c.get("/console/supervision", params={"as_of": "2025-03-10"})
        assert listed.status_code == 200 and "AJ-1" not in listed.text
