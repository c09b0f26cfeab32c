"""Role-gated navigation and the shared filters, through AppTest on the demo data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import PAGES, visible_pages
from app.session import ROLES, SessionUser
from inventory.permissions import can
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 60


def start(role: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("role", ROLES)
def test_visible_pages_follow_the_permission_check(role):
    user = SessionUser(username="x", display_name="x", role=role)
    shown = {spec.url_path for spec in visible_pages(user)}
    for spec in PAGES:
        if spec.url_path in shown:
            assert can(user, spec.action)
    assert "oversikt" in shown
    assert ("rapporter" in shown) == (role != "referensgrupp")


def test_nobody_signed_in_sees_no_page():
    assert visible_pages(None) == []


@pytest.mark.parametrize("role", ROLES)
def test_every_visible_page_renders_for_every_role(demo_app, role):
    at = start(role)
    user = SessionUser(username="x", display_name="x", role=role)
    for spec in visible_pages(user):
        at.switch_page(spec.path).run()
        assert not at.exception, (role, spec.path, [e.message for e in at.exception])
        assert at.title, (role, spec.path)


def test_reference_group_cannot_reach_reports(demo_app):
    at = start("referensgrupp")
    with pytest.raises(ValueError):
        at.switch_page("app/pages/reports.py").run()
    manager = start("chef")
    manager.switch_page("app/pages/reports.py").run()
    assert not manager.exception


def _school_rows(at: AppTest):
    return at.container(key="overview_schools").dataframe[0].value


def test_stage_filter_narrows_the_school_table(demo_app):
    at = start()
    everything = _school_rows(at)
    at.multiselect(key="stage_sv").select("7-9").run()
    assert not at.exception
    narrowed = _school_rows(at)
    assert 0 < len(narrowed) < len(everything)
    # every remaining school teaches years 7-9 (stage label ends in 9 or contains 7-9)
    assert narrowed["stages"].str.contains("9").all()
    assert at.query_params["stage"] in ("7-9", ["7-9"])  # the link carries the code


def test_filters_come_from_the_link(demo_app):
    at = start(stage="7-9", organiser="independent", year="2023")
    assert at.selectbox(key="year_sv").value == 2023
    rows = _school_rows(at)
    assert len(rows) > 0
    assert set(rows["organiser_type"]) == {"Enskild"}


def test_filters_survive_a_language_switch(demo_app):
    at = start()
    at.multiselect(key="organiser_sv").select("independent").run()
    before = len(_school_rows(at))
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    assert at.multiselect(key="organiser_en").value == ["independent"]
    assert len(_school_rows(at)) == before
    assert at.title[0].value == "Overview"


def test_demo_role_survives_a_language_switch(demo_app):
    at = start("chef")
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="demo_role_en").value == "chef"
