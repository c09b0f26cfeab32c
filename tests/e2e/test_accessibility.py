"""Accessibility and intranet checks in a real browser: WCAG 2.1 AA (axe-core), no outside calls.

axe-core comes from the npm registry: the first run fetches ``axe-core`` with ``npm pack`` into
``.cache/axe-core/`` (``SKOLBIB_AXE_JS`` may point at another copy); it is injected into each page
with Playwright. Every
page is checked in Swedish and in English, signed in as the demo admin who sees every page; a
"serious" or "critical" violation fails the test with the rule, the element and axe's help text.

The same browser run records every request the pages make: anything not addressed to the app's
own host and port (fonts, map tiles, telemetry, CDNs) fails. A keyboard test tabs through the
overview page and must reach the filters and the language switch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.navigation import ROOT
from tests.e2e.conftest import (
    VIEWPORT,
    _unavailable,
    page_url,
    pages_to_visit,
    wait_until_idle,
)

AXE_VERSION = "4.10.3"
AXE_JS = Path(os.environ.get("SKOLBIB_AXE_JS", ROOT / ".cache" / "axe-core" / "axe.min.js"))
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
#: rules that fail at any impact: headings in order (axe files it as a best practice, WCAG 1.3.1)
ALWAYS_BLOCKING = ("heading-order", "page-has-heading-one", "empty-heading")
LANGUAGES = ("sv", "en")
TAB_PRESSES = 400

try:
    from playwright.sync_api import Browser, Page
except ImportError:  # pragma: no cover
    Browser = Page = object  # type: ignore[assignment,misc]


def fetch_axe(target: Path) -> None:
    """``npm pack axe-core@AXE_VERSION`` and keep its ``axe.min.js`` at ``target``."""
    npm = shutil.which("npm")
    if npm is None:
        _unavailable(f"{target} is missing and npm is not installed to fetch axe-core")
    with tempfile.TemporaryDirectory() as folder:
        packed = subprocess.run(
            [npm, "pack", "--silent", f"axe-core@{AXE_VERSION}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if packed.returncode != 0:
            _unavailable(f"npm pack axe-core@{AXE_VERSION} failed: {packed.stderr[-500:]}")
        with tarfile.open(Path(folder) / packed.stdout.strip().splitlines()[-1]) as archive:
            source = archive.extractfile("package/axe.min.js")
            assert source is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.exists():
        fetch_axe(AXE_JS)
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def recorded(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh session whose every request URL is recorded."""
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(120_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page, requests
    context.close()


def with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def blocking_violations(page: Page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        """async (args) => {
            const always = {};
            for (const rule of args.always) always[rule] = {enabled: true};
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: args.tags}, rules: always,
                resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: '
                    + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 200))}));
        }""",
        {"tags": WCAG_TAGS, "always": list(ALWAYS_BLOCKING)},
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {' | '.join(v['nodes'])}"
        for v in violations
        if v["impact"] in BLOCKING or v["id"] in ALWAYS_BLOCKING
    ]


def test_every_page_in_both_languages_has_no_serious_axe_violation(
    app_url: str, recorded: tuple[Page, list[str]], axe_source: str
) -> None:
    page, requests = recorded
    problems: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        for spec in pages_to_visit():
            page.goto(with_lang(page_url(app_url, spec), lang))
            wait_until_idle(page)
            found = blocking_violations(page, axe_source)
            if found:
                problems[f"{lang}:{spec.url_path}"] = found
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())

    own = urlsplit(app_url).netloc
    outside = sorted(
        {u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
        - {u for u in requests if urlsplit(u).netloc == own}
    )
    assert outside == [], f"requests to other hosts: {outside}"
    assert len(requests) > 20  # the recording itself worked


def focused(page: Page) -> str:
    """A short description of the focused element: its accessible label and its widget."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            if (!e) return '';
            const widget = e.closest('[data-testid^="st"]');
            const label = e.getAttribute('aria-label') || e.innerText || e.value || '';
            return (widget ? widget.getAttribute('data-testid') : '') + ' | '
                + label.trim().slice(0, 60);
        }"""
    )


def test_keyboard_alone_reaches_the_filters_and_the_language_switch(
    app_url: str, recorded: tuple[Page, list[str]]
) -> None:
    page, _ = recorded
    page.goto(f"{app_url}/")
    wait_until_idle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(TAB_PRESSES):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if len(seen) > 2 and seen[-1] == seen[0]:
            break  # round the whole page once
    reached = "\n".join(seen)
    # the language switch is one tab stop (a button group; the arrow keys move within it)
    assert "stButtonGroup | Svenska" in reached, reached
    assert "stSelectbox | Kommun" in reached, reached  # the municipality filter
    assert "stSelectbox | Inventeringsår" in reached, reached  # the year filter
    assert sum("stSidebarNavLink" in line for line in seen) >= 5, reached  # the menu
    # back to the language switch, then the arrow key and Space choose English
    for _ in range(TAB_PRESSES):
        if "stButtonGroup" in focused(page):
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    page.locator("h1", has_text="Overview").first.wait_for()
