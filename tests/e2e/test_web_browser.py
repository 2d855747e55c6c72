"""The dashboard in a real headless Chromium (Playwright with the system's chromium): log in, filter,
open a study, see charts drawn with data, download PNG/SVG/CSV/XLSX, and roles at work."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402

from kerma.store import open_store  # noqa: E402
from kerma.web.app import create_app  # noqa: E402
from tests.web.conftest import PASSWORD, make_users  # noqa: E402
from tests.web.seed import CT1_DLP, CT2_DLP, seed  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    mp = pytest.MonkeyPatch()
    mp.setenv("KERMA_SITE_SECRET", "test-site-secret-0123456789abcdef")
    mp.setenv("KERMA_VIEWER_URL", "https://pacs.example/viewer?StudyInstanceUIDs={study_instance_uid}")
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'kerma.db'}")
    seed(engine)
    make_users(engine)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def page_for(browser: object, base_url: str, who: str):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
    page = ctx.new_page()
    page.goto(base_url + "/studies")
    assert "/login" in page.url  # not logged in: sent to the login page, with the way back
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/studies")
    return page


def test_filter_sort_open_study_and_export(browser: object, base_url: str, tmp_path: Path) -> None:
    page = page_for(browser, base_url, "mpe")
    page.select_option("select[name=modality]", ["CT"])
    page.click("#study-filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.studies tbody tr")
    assert rows.count() == len(CT1_DLP) + len(CT2_DLP)
    page.click("th a:has-text('DLP')")  # sort by DLP, highest first
    page.wait_for_load_state()
    first_dlp = page.locator("table.studies tbody tr").first.locator("td.num").last.inner_text()
    assert first_dlp.replace("\u202f", "") == "1000"
    with page.expect_download() as dl:
        page.click("a:has-text('CSV')")
    path = tmp_path / "studies.csv"
    dl.value.save_as(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("study_instance_uid,") and len(lines) == 1 + len(CT1_DLP) + len(CT2_DLP)
    with page.expect_download() as dl:
        page.click("a:has-text('XLSX')")
    assert dl.value.suggested_filename.endswith(".xlsx")
    page.locator("table.studies tbody tr").first.locator("a").first.click()
    page.wait_for_load_state()
    assert "total DLP" in page.inner_text("main")
    assert "1\u202f000\u00a0mGy·cm" in page.inner_text(".kpis")
    link = page.locator("a:has-text('Open images in the viewer')")
    assert link.get_attribute("href", timeout=2000).startswith(
        "https://pacs.example/viewer?StudyInstanceUIDs=1.2."
    )  # type: ignore[union-attr]


def test_charts_render_and_download(browser: object, base_url: str, tmp_path: Path) -> None:
    page = page_for(browser, base_url, "viewer")
    page.goto(base_url + "/charts?chart=boxplot&modality=CT&from=2025-01-01&to=2025-03-31")
    figure = page.locator("figure.chart")
    assert figure.locator("svg rect").count() >= 2  # one box per room
    assert "CT1" in figure.inner_text()
    box = figure.locator("svg").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100  # drawn, not just present
    with page.expect_download() as dl:
        page.click("[data-download=png]")
    png = tmp_path / "chart.png"
    dl.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
    with page.expect_download() as dl:
        page.click("[data-download=svg]")
    svg = tmp_path / "chart.svg"
    dl.value.save_as(svg)
    assert "<svg" in svg.read_text(encoding="utf-8")
    with page.expect_download() as dl:
        page.click("figure.chart a:has-text('CSV')")
    csv_path = tmp_path / "chart.csv"
    dl.value.save_as(csv_path)
    assert "CT1" in csv_path.read_text(encoding="utf-8")
    page.click("nav.tabs a:has-text('Modality load')")
    page.wait_for_load_state()
    assert page.locator("figure.chart svg rect").count() > 7 * 24


def test_viewer_cannot_reach_admin_or_identities(browser: object, base_url: str) -> None:
    page = page_for(browser, base_url, "viewer")
    assert page.locator("header nav a:has-text('Admin')").count() == 0
    page.goto(base_url + "/admin")
    assert "needs the role admin" in page.inner_text("main")
    page.goto(base_url + "/studies")
    page.locator("table.studies tbody tr").first.locator("td.mono a").click()
    page.wait_for_load_state()
    assert "Dose history" in page.inner_text("h1")
    assert page.locator("a:has-text('Show identity')").count() == 0
    page.goto(page.url + "/identity")
    assert "needs the role viewer + pid" in page.inner_text("main")
    assert "Doe^" not in page.content()


def test_pid_sees_identity_and_admin_sees_audit(browser: object, base_url: str) -> None:
    page = page_for(browser, base_url, "pid")
    page.locator("table.studies tbody tr").first.locator("td.mono a").click()
    page.wait_for_load_state()
    page.click("a:has-text('Show identity')")
    page.wait_for_load_state()
    assert "Doe^" in page.inner_text("main")
    admin = page_for(browser, base_url, "admin")
    admin.goto(base_url + "/admin/audit?group=identity")
    assert "identity.view" in admin.inner_text("main") and "pid" in admin.inner_text("main")


def test_logout(browser: object, base_url: str) -> None:
    page = page_for(browser, base_url, "viewer")
    page.click("button:has-text('Log out')")
    page.wait_for_url(base_url + "/login")
    page.goto(base_url + "/studies")
    assert "/login" in page.url
