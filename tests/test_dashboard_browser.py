"""The dashboard in a real browser: Playwright driving Debian's chromium against `serve`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from server_process import SandboxProcess

from facturas_sandbox.tenants import DEMO_ADMIN_TOKEN

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow

if not Path(CHROMIUM).exists():
    message = "the dashboard test needs Debian's chromium: apt-get install chromium"
    if os.environ.get("SANDBOX_REQUIRE_BROWSER"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

# Flags for a closed network (no background connections to the outside) and running as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_KEY = {"Authorization": "Bearer fv_live_demo_rw_0000000000000000000000"}


def test_the_dashboard_shows_apis_and_a_tenants_live_journal_faults_and_clock(tmp_path: Path) -> None:
    with SandboxProcess(None) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1360, "height": 1000})
        page.goto(f"{server.base}/_sandbox/")
        assert page.locator("#apis").get_by_text(f"{server.base}/facturovia/api").is_visible()
        assert page.locator("#apis").get_by_text("fv_live_demo_rw_0000000000000000000000").is_visible()

        page.fill("#admin-token", DEMO_ADMIN_TOKEN)
        page.click("#tenant-form button[type=submit]")
        page.wait_for_selector("#tenant:not(.hidden)")
        assert "real time" in page.inner_text("#clock-mode")

        # Traffic from an integrator shows up in the journal with its verdict.
        assert httpx.get(f"{server.base}/facturovia/api/invoices", headers=DEMO_KEY).status_code == 200
        page.wait_for_selector("#journal-rows tr", timeout=10_000)
        first = page.locator("#journal-rows tr").first
        assert "GET /facturovia/api/invoices" in first.inner_text()
        assert "conforms" in first.inner_text()

        # A fault added in the page breaks the next call, which the journal then shows.
        page.select_option("#fault-api", "facturovia")
        page.fill("#fault-status", "503")
        page.fill("#fault-times", "1")
        page.click("#fault-form button[type=submit]")
        page.wait_for_selector("#fault-rows tr")
        assert httpx.get(f"{server.base}/facturovia/api/clients", headers=DEMO_KEY).status_code == 503
        page.wait_for_function("document.querySelector('#journal-rows tr td:nth-child(4)').textContent === '503'")
        assert page.locator("#fault-rows tr").count() == 0  # the rule was used up

        # The clock freezes from the page.
        page.fill("#freeze-at", "2026-12-31T10:00:00")
        page.click("#freeze-form button[type=submit]")
        page.wait_for_function("document.querySelector('#clock-mode').textContent === '(frozen)'")
        assert page.inner_text("#clock-now").startswith("2026-12-31T10:00:00")

        screenshot = tmp_path / "dashboard.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000
        keep = os.environ.get("SANDBOX_SCREENSHOT")
        if keep:
            shutil.copy(screenshot, keep)
        browser.close()
