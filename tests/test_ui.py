"""The Dagster UI in a real browser: dagster-webserver on localhost, headless Chromium via Playwright.

The screenshots are kept in test-artifacts/ for people to look at."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.homes import run_refresh
from tests.fixtures.network import free_port
from tests.fixtures.workbooks import good

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and Dagster (or drives a browser)

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def webserver(zhome):
    from tests.fixtures.workbooks import row, workbook

    good(zhome.inbox, "a.xlsx")
    # Thái Bình's December: a growth claim the warehouse cannot check (no 2018), an info finding
    workbook(zhome.inbox / "b.xlsx", [row("INV_NEW_PROJ", "25", growth="12")],
             meta=[("ma_tinh", "34"), ("ky_bao_cao", "2019-12"), ("trang_thai", "uoc")])
    assert run_refresh(zhome)
    assert run_refresh(zhome)  # nothing new, started anyway (as from the UI): the checks keep real results
    port = free_port()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    proc = subprocess.Popen([str(webserver), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/server_info", timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("dagster-webserver did not start within 180 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_asset_graph_and_check_results_in_the_browser(webserver):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        # Dagster's first-visit "join the community" dialog can open at any moment and cover the page:
        # Playwright dismisses it whenever it shows up before an action.
        page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
        # the catalogue draws only the rows in view: a page tall enough for every asset
        page.set_viewport_size({"width": 1920, "height": 8000})
        page.goto(f"{webserver}/assets", wait_until="networkidle", timeout=120_000)
        page.get_by_text("fct_investment", exact=True).first.wait_for(timeout=60_000)
        page.get_by_text("dq_findings", exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "ui-assets.png"))
        page.set_viewport_size({"width": 1920, "height": 1080})

        page.goto(f"{webserver}/assets/published_warehouse?view=lineage", wait_until="networkidle", timeout=120_000)
        page.get_by_text("dq_findings").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "ui-lineage.png"))

        page.goto(f"{webserver}/assets/fct_investment?view=checks", wait_until="networkidle", timeout=120_000)
        page.locator("text=unique_fct_investment_figure_key >> visible=true").first.wait_for(timeout=60_000)
        page.get_by_placeholder("Filter checks").fill("reported_figures_consistent")
        page.locator("text=Succeeded >> visible=true").first.click()
        page.locator("text=fct_investment_reported_figures_consistent >> visible=true").first.wait_for(timeout=60_000)
        page.locator("text=rows_clean >> visible=true").first.wait_for(timeout=60_000)
        page.locator("text=Passed >> visible=true").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "ui-checks.png"))
        # after the run with nothing new, no check of the facts shows "Skipped"
        page.goto(f"{webserver}/assets/fct_investment?view=checks", wait_until="networkidle", timeout=120_000)
        page.locator("text=unique_fct_investment_figure_key >> visible=true").first.wait_for(timeout=60_000)
        assert page.locator("text=Skipped >> visible=true").count() == 0

        # Which boards' reports are wrong this period: the findings asset, per reporter by name and period.
        page.goto(f"{webserver}/assets/dq_findings", wait_until="networkidle", timeout=120_000)
        page.locator("text=findings_by_reporter >> visible=true").first.wait_for(timeout=60_000)
        page.locator("text=latest_period_errors >> visible=true").first.wait_for(timeout=60_000)
        page.locator("text=Thái Bình >> visible=true").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "ui-findings-by-reporter.png"))
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_data_docs_work_offline_and_name_the_files_they_checked(zhome, tmp_path):
    """GX's Data Docs with every request off the machine refused: the pages still load their styles
    and scripts (zonestat's copies), and a batch's page says which files it checked."""
    from playwright.sync_api import sync_playwright

    from ingest.pipeline import ingest_paths

    files = [good(tmp_path, "a.xlsx"), tmp_path / "ban_nhap.csv"]
    files[1].write_text("ma_tinh,ky_bao_cao\n79,2024-03\n", encoding="utf-8")
    ingest_paths(zhome, files)
    site = zhome.gx / "data_docs"
    page_file = next((site / "validations" / "zonestat_submissions").rglob("*.html"))
    ARTIFACTS.mkdir(exist_ok=True)
    off_the_machine: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.route("http*://**", lambda route: (off_the_machine.append(route.request.url), route.abort()))
        page = context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        for shown in (site / "index.html", page_file):
            page.goto(shown.as_uri(), wait_until="load")
            assert page.evaluate("typeof window.jQuery") == "function"
            assert page.evaluate("typeof window.jQuery.fn.bootstrapTable") == "function"
            assert page.evaluate("typeof window.vegaEmbed") == "function"
            # Bootstrap's stylesheet is applied: its navbar is a flex box
            assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "flex"
        assert "a.xlsx, ban_nhap.csv" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "data-docs-offline.png"), full_page=False)
        browser.close()
    assert off_the_machine == [] and failed == []
