"""Several app processes on one PostgreSQL database: a write in one is seen in the other.

This is the multi-user deployment: several ``streamlit run`` processes (behind a reverse proxy
with sticky sessions) share one PostgreSQL database. The test migrates a PostgreSQL schema,
loads the demo data, starts two headless ``streamlit run`` processes on it (signed in
automatically as the demo project leader) and drives Debian's Chromium with Playwright:

1. app B opens Handlingsplaner, so its process caches the plans;
2. app A opens the same page and saves another status for a school unit's library plan in the
   edit form;
3. app B is reloaded and must show A's new coverage figure (its cache is still warm: without
   the check of the database's data version in :mod:`app.state`, B would show the old figure
   for the cache's lifetime), and plain SQL confirms that exactly one plan changed.

PostgreSQL only, by design: several processes on one SQLite file is not a supported deployment.
Without Chromium or Playwright the test fails when ``CI=true`` and is skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from app.i18n import t
from app.navigation import ROOT
from inventory import db
from inventory.demo import DEMO_MUNICIPALITY_CODE
from tests.e2e.conftest import (
    ERROR_ALERT,
    EXCEPTION,
    PAGE_TIMEOUT_MS,
    START_TIMEOUT_S,
    VIEWPORT,
    _free_port,
    _healthy,
    wait_until_idle,
)
from tests.helpers import demo_postgres_schema

KPI_LABEL = t("action_plans.kpi.library_plan_schools", lang="sv")
STATUS_LABEL = t("action_plans.edit.status", lang="sv")
SAVE_LABEL = t("action_plans.edit.save", lang="sv")
ADOPTED = t("action_plans.status.adopted", lang="sv")
DRAFT = t("action_plans.status.draft", lang="sv")


@pytest.fixture(scope="module")
def shared_database(postgres_database: str) -> Iterator[str]:
    """A schema of the run's PostgreSQL database, migrated, with the demo data; its URL."""
    with demo_postgres_schema(postgres_database, "mp") as url:
        yield url


def start_app(database: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, db.ENV_DATABASE_URL: database, "SKOLBIB_DEMO_USER": "projektledare"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
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
    return process, f"http://127.0.0.1:{port}"


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def two_apps(
    shared_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Two ``streamlit run`` processes on the one database; their URLs."""
    folder = tmp_path_factory.mktemp("multi-process")
    started = [start_app(shared_database, folder / f"app-{name}.log") for name in "ab"]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        for (process, url), name in zip(started, "ab", strict=True):
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / f"app-{name}.log").read_text()[-3000:]
                    pytest.fail(f"app {name} did not start on {url}:\n{log}", pytrace=False)
                time.sleep(0.3)
        yield started[0][1], started[1][1]
    finally:
        for process, _ in started:
            stop_app(process)


def errors_on(page: Page) -> list[str]:
    found = page.locator(f"{EXCEPTION}, {ERROR_ALERT}")
    return [found.nth(i).inner_text()[:500] for i in range(found.count())]


def choose(page: Page, box, option: str) -> None:
    """Pick ``option`` in the selectbox ``box``; a rerun that lands just after the click can
    close the list again, so the click is repeated until the option shows."""
    wanted = page.get_by_role("option").filter(has_text=option).first
    for _ in range(5):
        box.get_by_role("combobox").click()
        try:
            wanted.wait_for(timeout=5_000)
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            wait_until_idle(page)
            continue
        wanted.click()
        return
    pytest.fail(f"the option {option!r} never showed")


def coverage_figure(page: Page) -> str:
    """The shown value of the KPI "school units with an adopted library plan"."""
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.get_by_text(KPI_LABEL, exact=True)
    )
    return card.locator("[data-testid='stMetricValue']").inner_text().strip()


def adopted_library_plans(database: str) -> int:
    engine = db.make_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT COUNT(*) FROM action_plan p JOIN school s ON s.id = p.school_id"
                    " JOIN municipality m ON m.id = s.municipality_id"
                    " WHERE m.code = :code AND p.kind = 'library_plan' AND p.status = 'adopted'"
                    " AND p.year = (SELECT MAX(year) FROM action_plan)"
                ),
                {"code": DEMO_MUNICIPALITY_CODE},
            ).scalar()
    finally:
        engine.dispose()


def test_a_write_in_one_app_process_is_seen_in_the_other(
    browser: Browser, two_apps: tuple[str, str], shared_database: str
) -> None:
    app_a, app_b = two_apps
    contexts = [browser.new_context(viewport=VIEWPORT, locale="sv-SE") for _ in range(2)]
    try:
        page_a, page_b = (context.new_page() for context in contexts)
        for page in (page_a, page_b):
            page.set_default_timeout(PAGE_TIMEOUT_MS)

        page_b.goto(f"{app_b}/handlingsplaner")  # B's process caches the plans
        wait_until_idle(page_b)
        before = coverage_figure(page_b)
        page_a.goto(f"{app_a}/handlingsplaner")
        wait_until_idle(page_a)
        assert coverage_figure(page_a) == before
        assert not errors_on(page_a) and not errors_on(page_b)
        adopted_before = adopted_library_plans(shared_database)

        # the edit form shows the first school unit's library plan; flip its status
        box = page_a.locator("[data-testid='stSelectbox']").filter(has_text=STATUS_LABEL)
        target = DRAFT if ADOPTED in box.inner_text() else ADOPTED
        choose(page_a, box, target)
        page_a.get_by_role("button", name=SAVE_LABEL).click()
        page_a.locator("[data-testid='stAlertContentSuccess']").first.wait_for()
        wait_until_idle(page_a)
        after = coverage_figure(page_a)
        assert after != before
        expected = adopted_before + (1 if target == ADOPTED else -1)
        assert adopted_library_plans(shared_database) == expected

        page_b.reload()  # a new session in B's process, whose cache is still warm
        wait_until_idle(page_b)
        assert coverage_figure(page_b) == after
        assert not errors_on(page_a) and not errors_on(page_b)
    finally:
        for context in contexts:
            context.close()
