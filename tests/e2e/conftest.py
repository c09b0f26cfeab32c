"""Browser fixtures shared by the end-to-end tests: the system Chromium and a running app.

A module fixture builds the demo database in a temporary folder (migrations + the demo
generator), starts ``streamlit run streamlit_app.py`` headless on a free localhost port and
drives the system Chromium (``/usr/bin/chromium``; Debian package ``chromium``, which ``.ci/run``
installs) with Playwright. Browsers are never downloaded. Without Chromium (or Playwright) the
tests fail with a clear message when ``CI=true`` and are skipped with the reason otherwise.
"""

from __future__ import annotations

import os
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

from app.navigation import ROOT
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install the Debian package 'chromium'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
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


def page_url(app_url: str, spec) -> str:
    """Streamlit serves the default page at the root, whatever its ``url_path``."""
    return f"{app_url}/" if spec.default else f"{app_url}/{spec.url_path}"


def pages_to_visit() -> list:
    """Every page the demo admin (who sees them all) can open, in menu order."""
    from app.navigation import visible_pages
    from app.session import SessionUser

    return visible_pages(SessionUser(username="e2e", display_name="e2e", role="admin"))
