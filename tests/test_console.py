"""The auditors' console in a real headless Chromium (Debian's ``chromium``,
driven by Playwright with ``executable_path``: a test tool's own browser
download fails here), against a server the test starts: the demo's store
(scripts/demo.py, its accounts one per role) served by uvicorn on 127.0.0.1
and a free port, on SQLite; the main flow once more on PostgreSQL.

The pages' screenshots go to docs/screenshots/ (the README shows two).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.test_http_server import Server

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "demo-password-2025"
CHINA = timezone(timedelta(hours=8))
IN_CI = os.environ.get("CI", "").lower() == "true"


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:   # CI installs it; elsewhere say what is missing
        if IN_CI:
            pytest.fail(f"Playwright is required in CI: {e}")
        pytest.skip(f"Playwright not installed: {e}")
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Debian's chromium is required in CI (.ci/run installs it)")
        pytest.skip("no chromium on this machine")
    return sync_playwright


class ConsoleServer(Server):
    """The service with its console, in a process of its own (uvicorn on the
    console's app factory; waited for and stopped as ``ledger serve`` is)."""

    def __init__(self, url: str, schema: str | None = None, key: Path | None = None) -> None:
        from tests.test_http_server import free_port
        self.url, self.schema = url, schema
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_SERVICE_TICK": "0",
               "LEDGER_SESSION_SECRET": f"console-test-{self.port}"}
        if schema:
            env["LEDGER_SERVICE_SCHEMA"] = schema
        if key:
            env["LEDGER_SIGNING_KEY"] = str(key)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "adapters.console.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._wait()


def build_demo(url: str, schema: str | None = None) -> str:
    args = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", url]
    if schema:
        args += ["--schema", schema]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def browser():
    # Playwright's launch gives the browser a fresh profile of its own (a
    # temporary user-data-dir, removed on close): it refuses one passed in
    sync_playwright = _playwright()
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(server, store url, what the demo printed) on SQLite, signing case files."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    folder = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    printed = build_demo(url)
    key = Ed25519PrivateKey.generate()
    (folder / "signing.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "public.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    server = ConsoleServer(url, key=folder / "signing.pem")
    server.public_pem = (folder / "public.pem").read_text()
    try:
        yield server, url, printed
    finally:
        server.stop()


def sign_in(browser, server, user: str):
    """A fresh browser context signed in as ``user``; its page on the home page."""
    context = browser.new_context(viewport={"width": 1360, "height": 900},
                                  accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(server.base + "/console/")
    assert "/console/login" in page.url             # not signed in: the sign-in page
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")                 # by keyboard
    page.wait_for_url(server.base + "/console/")
    return context, page


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def across_the_suspension(page) -> None:
    """On XY-TY-2025-001's page, the time machine's as-of before and after its
    suspension of 2025-06-02 (M38-2) shows active, then suspended."""
    for day, status in (("2025-05-15", "active"), ("2025-06-15", "suspended")):
        page.fill("#as-of", day)
        with page.expect_navigation():
            page.click("#apply-time")
        assert f"as_of={day}" in page.url and status_shown(page) == status


def status_shown(page) -> str:
    """The agreement page's status code, without its kind: 'suspended (mandatory)'."""
    return page.get_attribute("#status-now", "data-status").split(" (")[0]


# --- the tests ----------------------------------------------------------------------------------
def test_the_demo_prints_the_command_that_serves_it_and_one_account_per_role(demo):
    _, url, printed = demo
    tail = printed.split("== The console", 1)[1]
    assert url in tail and "adapters.console.app:create_app" in tail or "ledger serve" in tail
    from domain.base import ROLES
    for role in set(ROLES) - {"system"}:
        assert f" {role} " in tail, role


def test_sign_in_see_the_home_page_and_find_an_institution(browser, demo):
    server, _, _ = demo
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        assert page.locator("h1").inner_text().startswith("TY")
        assert page.locator("#status-tiles li").count() >= 1
        assert page.locator("#recent tbody tr").count() >= 1
        assert "通过" in page.locator("#chain-state").inner_text()
        page.goto(server.base + "/console/?as_of=2025-12-31")      # the demo's year end
        assert page.locator("table.data").nth(1).locator("tbody tr").count() >= 1   # due
        shoot(page, "home")
        with page.expect_navigation():
            page.click("text=查找机构")
        page.fill("#q", "康复")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        with page.expect_navigation():
            page.click(".search-results >> text=TY-R001")
        assert "山西康复医院" in page.locator("h1").inner_text()
        assert page.locator(".score-sheet").count() >= 2          # a fail and a pass
        page.wait_for_selector("#sister-graph svg")               # drawn by ECharts
        assert page.locator("table.timeline tbody tr").count() > 5
        shoot(page, "institution")
        with page.expect_download() as got:
            page.click("#export-xlsx")
        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
        assert book.active.max_row == page.locator("table.timeline tbody tr").count() + 1
        assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
    finally:
        context.close()


def test_moving_as_of_across_a_suspension_changes_the_status(browser, demo):
    server, _, _ = demo
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        page.goto(server.base + "/console/agreements/XY-TY-2025-001")
        across_the_suspension(page)
        assert "2025-06-15" in page.locator("#view-banner").inner_text()
        assert page.locator("#status-line li.s-suspended").count() == 2
        shoot(page, "agreement")
    finally:
        context.close()


def test_known_at_before_a_backdated_suspension_shows_the_earlier_answer_and_what_changed(
        browser, demo):
    server, _, _ = demo
    before = datetime.now(CHINA).replace(microsecond=0)
    time.sleep(1.2)
    context, page = sign_in(browser, server, "ty.officer")
    try:   # the case officer records, today, a suspension from 2025-11-03
        page.goto(server.base + "/console/commands/suspend_agreement?agreement=XY-TY-2025-002")
        page.fill("#c-date", "2025-11-03")
        page.select_option("#f-kind", "mandatory")
        page.fill("#f-ground", "M38-2")
        page.fill("#f-notice_no", "中止〔2025〕9号")
        page.click("#give")
        page.wait_for_selector("#recorded")
    finally:
        context.close()
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        page.goto(server.base + "/console/agreements/XY-TY-2025-002?as_of=2025-11-15")
        assert status_shown(page) == "suspended"
        page.fill("#known-at", before.strftime("%Y-%m-%dT%H:%M:%S"))
        with page.expect_navigation():
            page.click("#apply-time")
        assert status_shown(page) == "active"
        banner = page.locator("#view-banner")
        assert "past" in banner.get_attribute("class")
        assert before.strftime("%Y-%m-%d %H:%M:%S") in banner.inner_text()
        assert "2025-11-15" in banner.inner_text()
        page.goto(server.base + "/console/changes")
        page.fill("#since", before.strftime("%Y-%m-%dT%H:%M:%S"))
        page.fill("#on", "2025-11-15")
        with page.expect_navigation():
            page.click("#changes-go")
        changes = page.locator("table.status-changes tbody tr")
        assert changes.count() == 1 and "XY-TY-2025-002" in changes.inner_text()
        listed = page.locator("table.changes tbody tr", has_text="中止或暂停协议")
        assert listed.count() == 1
        assert "生效 → 中止" in listed.inner_text() or "→" in listed.inner_text()
        shoot(page, "changes")
        with page.expect_navigation():
            listed.locator("a").first.click()                    # the event opens to its command
        assert "suspend_agreement" in page.locator("main").inner_text()
        assert "ty.officer" in page.locator("dl.facts").inner_text()
    finally:
        context.close()


def _cli_positions(url: str, as_of: str) -> dict:
    done = subprocess.run([sys.executable, "-c", "from adapters.cli import app; app()",
                           "positions", "--as-of", as_of, "--json", "--db", url],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_fund_chart_shows_the_numbers_ledger_positions_gives(browser, demo):
    from adapters.console.views import CHART_SERIES
    server, url, _ = demo
    expected: dict[str, dict[str, Decimal]] = {}
    for row in _cli_positions(url, "2026-02-10")["positions"]:
        year = expected.setdefault(str(row["year"]), {s: Decimal(0) for s in CHART_SERIES})
        for s in CHART_SERIES:
            year[s] += Decimal(row[s])
    context, page = sign_in(browser, server, "sx.finance")
    try:
        page.goto(server.base + "/console/money?as_of=2026-02-10")
        page.wait_for_selector("#positions-chart svg")
        option = page.evaluate("""() => {
            const o = echarts.getInstanceByDom(document.getElementById('positions-chart'))
                .getOption();
            return {years: o.xAxis[0].data, series: o.series.map(s => [s.id, s.data])};
        }""")
        assert option["years"] == sorted(expected)
        for key, data in option["series"]:
            assert [Decimal(v) for v in data] == [expected[y][key] for y in option["years"]], key
        shown = page.locator("table.chart-data tbody tr").first.inner_text()
        assert "¥2,350,780.44" in shown                       # paid in 2025, as the demo says
        page.goto(server.base + "/console/money?as_of=2026-02-10&agreement=XY-JZ-2025-001")
        assert page.locator("table.claims tbody tr").count() == 12
        shoot(page, "money")
    finally:
        context.close()


def _statement(url: str) -> bytes:
    """A GBK bank statement of the demo's fund account: two payments as paid,
    one with the wrong amount, one unknown, one malformed line."""
    from adapters.settings import open_ledger
    from projections.status import build
    ledger = open_ledger(url)
    try:
        state = build(e for _, e in ledger.read_log())
    finally:
        ledger.close()
    batches = [b for c in state.claims.values() for b in c.batches][:3]
    lines = ["交易日期,收款单位编码,金额,摘要"]
    for n, b in enumerate(batches):
        paid = Decimal(b["paid"]) / 100 + (Decimal("0.50") if n == 2 else 0)
        lines.append(f"{b['paid_on']},JZ-H001,{paid},{b['ref']}")
    lines += ["2025-04-26,TY-H009,12000.00,未知付款", "2025-13-40,JZ-H001,100.00,BAD"]
    return "\n".join(lines).encode("gbk")


def test_a_gbk_statement_uploaded_shows_its_findings_and_downloads_them(browser, demo, tmp_path):
    server, url, _ = demo
    statement = tmp_path / "对账单.csv"
    statement.write_bytes(_statement(url))
    context, page = sign_in(browser, server, "sx.finance")
    try:
        with page.expect_navigation():
            page.click("text=银行对账")
        page.set_input_files("#statement", str(statement))
        page.click("#reconcile-go")
        page.wait_for_selector("#findings")
        summary = {li.get_attribute("data-key"): int(li.locator(".n").inner_text())
                   for li in page.locator("#reconcile-summary li").all()}
        assert summary["matched"] == 2 and summary["amount_differences"] == 1
        assert summary["unmatched_statement"] == 1 and summary["malformed"] == 1
        assert "gbk" in page.locator("#reconcile-result").inner_text().lower()
        malformed = page.locator('#findings tr[data-finding="malformed line"]')
        assert "6" in malformed.locator("td").nth(1).inner_text()       # its line number
        assert "¥" in page.locator('#findings tr[data-finding="matched"]').first.inner_text()
        shoot(page, "reconciliation")
        with page.expect_download() as got:
            page.click("#findings-xlsx")
        from openpyxl import load_workbook
        rows = list(load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
                    .active.iter_rows(values_only=True))
        assert len(rows) == 1 + page.locator("#findings tbody tr").count()
    finally:
        context.close()


def test_an_auditor_sees_no_command_forms(browser, demo):
    server, _, _ = demo
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        assert page.locator("nav >> text=录入指令").count() == 0
        page.goto(server.base + "/console/commands")
        assert page.locator("#no-commands").count() == 1
        assert page.locator("form#command-form").count() == 0
        response = page.goto(server.base + "/console/commands/suspend_agreement")
        assert response.status == 403 and page.locator("form#command-form").count() == 0
        assert "AUD-04" in page.locator(".refusal").inner_text()
    finally:
        context.close()


def test_a_finance_user_is_refused_a_command_of_another_agency_next_to_the_field(browser, demo):
    server, url, _ = demo
    from tests.test_http_server import events_in
    recorded = events_in(url, None)
    context, page = sign_in(browser, server, "jz.finance")
    try:
        page.goto(server.base + "/console/commands/draw_sample?agreement=XY-TY-2025-002")
        page.fill("#f-month", "2025-11")
        page.click("#give")
        error = page.locator('.field[data-field="agreement"] .error')
        error.wait_for()
        text = error.inner_text()
        assert "AUD-04" in text and "TY" in text and "办法" in text       # rule, reason, remedy
        assert events_in(url, None) == recorded                      # nothing recorded
    finally:
        context.close()


def test_the_english_switch_and_the_print_stylesheet(browser, demo):
    server, _, _ = demo
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        with page.expect_navigation():
            page.click("a.lang")
        assert page.locator("h1").inner_text().startswith("Home of")
        page.emulate_media(media="print")
        assert page.locator("header.top").is_hidden()
        assert page.locator(".print-only").first.is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        context.close()


def test_a_case_file_exported_checks_against_the_public_key_and_an_edited_one_does_not(
        browser, demo, tmp_path):
    server, _, _ = demo
    context, page = sign_in(browser, server, "ty.auditor")
    try:
        page.goto(server.base + "/console/proof")
        page.fill("#case-form input[name=key]", "TY-R001")
        with page.expect_download() as got:
            page.click("#case-form button")
        case = tmp_path / "case.json"
        got.value.save_as(case)
        page.set_input_files("#proof-file", str(case))
        page.fill("#public-key", server.public_pem)
        page.click("#verify-go")
        assert page.locator("#verify-verdict").inner_text() == "核验通过"
        edited = tmp_path / "edited.json"
        edited.write_text(case.read_text(encoding="utf-8").replace("山西康复医院", "山西康复医阮",
                                                                    1), encoding="utf-8")
        page.set_input_files("#proof-file", str(edited))
        page.click("#verify-go")
        from playwright.sync_api import expect   # waits; the page's policy forbids eval
        expect(page.locator("#verify-verdict")).to_have_text("核验未通过")
    finally:
        context.close()


@pytest.mark.store
def test_the_main_flow_on_postgresql(browser):
    from tests.conftest import POSTGRES_URL, _postgres_schema
    engine, schema = _postgres_schema()
    server = None
    try:
        build_demo(POSTGRES_URL, schema)
        server = ConsoleServer(POSTGRES_URL, schema)
        context, page = sign_in(browser, server, "ty.auditor")
        try:
            for step in (lambda: page.click("text=查找机构"),
                         lambda: page.fill("#q", "TY-H001") or page.keyboard.press("Enter"),
                         lambda: page.click(".search-results >> text=TY-H001"),
                         lambda: page.click("table.agreements >> text=XY-TY-2025-001")):
                with page.expect_navigation():
                    step()
            across_the_suspension(page)
        finally:
            context.close()
    finally:
        if server is not None:
            server.stop()
        import sqlalchemy as sa
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


