"""The real app in a real browser: every page renders without an error, screenshots, two clicks.

A module fixture builds the demo database in a temporary folder (migrations + the demo
generator), starts ``streamlit run streamlit_app.py`` headless on a free localhost port and
drives the system Chromium (``/usr/bin/chromium``; Debian package ``chromium``, which ``.ci/run``
installs) with Playwright. Browsers are never downloaded.

Screenshots of every page go to a temporary folder; with ``SKOLBIB_UPDATE_SCREENSHOTS=1`` the
ones named in :data:`README_SCREENSHOTS` are also copied to ``docs/screenshots/`` for the README.

Without Chromium (or Playwright) the tests fail with a clear message when ``CI=true`` and are
skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from app.navigation import PAGES, ROOT, visible_pages
from app.session import SessionUser
from inventory import db
from inventory.demo import load_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 120
PAGE_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1400, "height": 900}
MAX_SCREENSHOT_HEIGHT = 6000
#: url_path -> file name in docs/screenshots/ (copied with SKOLBIB_UPDATE_SCREENSHOTS=1).
README_SCREENSHOTS = {"oversikt": "overview.png", "karta": "access.png"}
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
# st.error in Streamlit 1.67: <div data-testid="stAlert"><div data-testid="stAlertContainer"
# role="alert"><div data-testid="stAlertContentError"> (warnings: stAlertContentWarning)
ERROR_ALERT = "[data-testid='stAlertContainer'] [data-testid='stAlertContentError']"
# e.g. Streamlit's "Page not found" modal for an unknown URL
DIALOG = "[role='dialog']"
SIDEBAR = "[data-testid='stSidebar']"
NAV_LINKS = "[data-testid='stSidebarNav'] a"


def _unavailable(reason: str) -> None:
    """Fail in CI (a browser test that does not run must not pass), skip elsewhere."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run)", pytrace=False)
    pytest.skip(reason)


try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install the Debian package 'chromium'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[str]:
    """A headless ``streamlit run`` on the demo data; its URL."""
    folder = tmp_path_factory.mktemp("e2e")
    database = f"sqlite:///{folder / 'demo.db'}"
    engine = db.make_engine(database)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    engine.dispose()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # signed in automatically as the demo admin, who sees every page
    env = {**os.environ, db.ENV_DATABASE_URL: database, "SKOLBIB_DEMO_USER": "admin"}
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app.py",
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not start on {url}:\n{log_path.read_text()[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (a new Streamlit session) per test."""
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    yield page
    context.close()


def wait_until_idle(page: Page) -> None:
    """Until the page has a title and the script has finished running, charts drawn."""
    page.locator("h1").first.wait_for()
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(500)  # a rerun started by a widget shows up as "running" again
    page.wait_for_selector(IDLE)
    page.wait_for_load_state("networkidle")


def errors_on(page: Page) -> list[str]:
    """Texts of exceptions, st.error boxes and modal dialogs on the page."""
    found = page.locator(f"{EXCEPTION}, {ERROR_ALERT}, {DIALOG}")
    return [found.nth(i).inner_text()[:500] for i in range(found.count())]


def full_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to the content first."""
    height = page.evaluate(
        "() => { const block = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        " return block ? block.getBoundingClientRect().top + block.scrollHeight"
        " : document.body.scrollHeight; }"
    )
    page.set_viewport_size(
        {
            "width": VIEWPORT["width"],
            "height": max(VIEWPORT["height"], min(int(height) + 40, MAX_SCREENSHOT_HEIGHT)),
        }
    )
    page.wait_for_timeout(800)  # let charts re-layout
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def page_url(app_url: str, spec) -> str:
    """Streamlit serves the default page at the root, whatever its ``url_path``."""
    return f"{app_url}/" if spec.default else f"{app_url}/{spec.url_path}"


def pages_to_visit() -> list:
    user = SessionUser(username="e2e", display_name="e2e", role="admin")
    return visible_pages(user)


def test_every_existing_page_is_visited() -> None:
    """The demo admin sees every page that exists, so the loop below covers them all."""
    existing = [spec.url_path for spec in PAGES if (ROOT / spec.path).exists()]
    assert [spec.url_path for spec in pages_to_visit()] == existing


def test_every_page_renders_without_errors(
    app_url: str, page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots")
    problems: dict[str, list[str]] = {}
    for spec in pages_to_visit():
        page.goto(page_url(app_url, spec))
        wait_until_idle(page)
        errors = errors_on(page)
        if errors:
            problems[spec.url_path] = errors
        full_page_screenshot(page, shots / f"{spec.url_path}.png")
        assert (shots / f"{spec.url_path}.png").stat().st_size > 10_000, spec.url_path
    assert not problems, problems
    if os.environ.get("SKOLBIB_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for url_path, name in README_SCREENSHOTS.items():
            shutil.copyfile(shots / f"{url_path}.png", SCREENSHOT_DIR / name)


def test_language_switch_changes_the_title(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/")
    wait_until_idle(page)
    assert page.locator("h1").first.inner_text().strip() == "Översikt"
    # st.segmented_control renders its options as role="radio" buttons
    page.locator(SIDEBAR).get_by_role("radio", name="English").click()
    page.locator("h1", has_text="Overview").first.wait_for()
    wait_until_idle(page)
    assert page.locator("h1").first.inner_text().strip() == "Overview"
    assert not errors_on(page)


def nav_targets(page: Page) -> list[str]:
    links = page.locator(NAV_LINKS)
    return [links.nth(i).get_attribute("href") or "" for i in range(links.count())]


def test_reference_group_does_not_see_reports(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/")
    wait_until_idle(page)
    before = nav_targets(page)
    assert any(href.rstrip("/").endswith("/rapporter") for href in before)
    # st.selectbox renders a combobox input labelled with the widget label
    page.locator(SIDEBAR).get_by_role("combobox", name="Demokonto").click()
    page.get_by_role("option", name="Referensgrupp", exact=True).click()
    page.wait_for_function(
        "() => ![...document.querySelectorAll(\"[data-testid='stSidebarNav'] a\")]"
        ".some(a => (a.getAttribute('href') || '').replace(/\\/$/, '').endsWith('/rapporter'))"
    )
    wait_until_idle(page)
    after = nav_targets(page)
    assert not any(href.rstrip("/").endswith("/rapporter") for href in after)
    reference = SessionUser(username="e2e", display_name="e2e", role="referensgrupp")
    assert len(after) == len(visible_pages(reference))  # reports and admin pages went away
    assert not errors_on(page)
