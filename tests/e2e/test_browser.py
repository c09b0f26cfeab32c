"""The real app in a real browser: every page renders without an error, screenshots, two clicks.

The fixtures in ``tests/e2e/conftest.py`` build the demo database, start ``streamlit run``
headless on a free localhost port and drive the system Chromium with Playwright.

Screenshots of every page go to a temporary folder; with ``SKOLBIB_UPDATE_SCREENSHOTS=1`` the
ones named in :data:`README_SCREENSHOTS` are also copied to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from app.navigation import PAGES, ROOT, visible_pages
from app.session import SessionUser
from tests.e2e.conftest import (
    DIALOG,
    ERROR_ALERT,
    EXCEPTION,
    MAX_SCREENSHOT_HEIGHT,
    NAV_LINKS,
    SIDEBAR,
    VIEWPORT,
    page_url,
    pages_to_visit,
    wait_until_idle,
)

README_SCREENSHOTS = {"oversikt": "overview.png", "karta": "access.png"}
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"


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
