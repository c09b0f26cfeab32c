"""The action-plans page (Handlingsplaner) through the entrypoint, on the demo database."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.session import ROLES
from inventory import repository
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT

PAGE = "app/pages/action_plans.py"
TIMEOUT = 60
KINDS = ("library_plan", "reading_promotion", "media_information_literacy")


def open_page(role: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def matrix(at: AppTest):
    return at.container(key="action_plans_matrix").dataframe[0]


def _expected(url: str, year: int) -> tuple[int, dict[str, int]]:
    """School units of 9901 that year and how many have each status of the library plan."""
    engine = make_engine(url)
    with Session(engine) as session:
        schools = repository.school_frame(session, years=[year], municipality="9901")
        plans = repository.action_plans(session, years=[year], municipality="9901")
    engine.dispose()
    library = plans[plans["kind"] == "library_plan"]
    counts = library["status"].value_counts().to_dict()
    counts["not_recorded"] = len(schools) - len(library)
    return len(schools), counts


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Handlingsplaner"
    assert any(info.value.startswith("Fiktiva exempeldata") for info in at.info)
    for key in ("action_plans_coverage", "action_plans_matrix", "action_plans_status"):
        assert at.get_by_key(key) is not None
    assert len(at.get("vega_lite_chart")) == 1


def test_matrix_statuses_links_and_coverage(demo_app):
    at = open_page()
    year = at.selectbox(key="year_sv").value
    schools, counts = _expected(demo_app, year)
    table = matrix(at).value
    assert len(table) == schools
    shown = table["library_plan_status"].value_counts().to_dict()
    labels = {
        "adopted": "✅ Antagen",
        "under_revision": "🔄 Under revidering",
        "draft": "📝 Utkast",
        "missing": "❌ Saknas",
        "not_recorded": "➖ Ingen uppgift",
    }
    assert shown == {labels[s]: n for s, n in counts.items() if n}
    config = json.loads(matrix(at).proto.columns)
    for kind in KINDS:
        assert config[f"{kind}_document_link"]["type_config"]["type"] == "link"
    assert config["library_plan_status"]["label"] == "Biblioteksplan"
    # a document link only where a plan has one
    links = table["library_plan_document_link"].notna()
    assert links.any() and not links.all()
    metrics = {m.label: m.value for m in at.metric}
    adopted = counts.get("adopted", 0)
    assert metrics["Skolenheter"] == str(schools)
    assert metrics["Skolenheter med antagen biblioteksplan"] == (
        f"{round(adopted / schools * 100)}\xa0%"
    )
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["x"]["field"] == "schools"
    assert spec["title"].startswith("Skolenheter efter planernas status")


def test_year_filter_changes_the_table(demo_app):
    at = open_page()
    before = matrix(at).value
    at.selectbox(key="year_sv").select(2024).run()
    assert not at.exception
    after = matrix(at).value
    assert at.get_by_key("action_plans_matrix") is not None
    assert not before["library_plan_status"].equals(after["library_plan_status"])
    _, counts = _expected(demo_app, 2024)
    assert (after["library_plan_status"] == "📝 Utkast").sum() == counts.get("draft", 0)
    # no plans recorded before 2023: a message, and every unit "no information"
    at.selectbox(key="year_sv").select(2019).run()
    assert not at.exception
    assert any("Inga handlingsplaner är registrerade för 2019" in i.value for i in at.info)
    oldest = matrix(at).value
    for kind in KINDS:
        assert (oldest[f"{kind}_status"] == "➖ Ingen uppgift").all()


def test_district_filter_narrows_the_table(demo_app):
    at = open_page()
    everything = matrix(at).value
    district = everything["district"].dropna().iloc[0]
    at.multiselect(key="district_sv").select(district).run()
    assert not at.exception
    narrowed = matrix(at).value
    assert 0 < len(narrowed) < len(everything)
    assert (narrowed["district"] == district).all()


def test_english_switch(demo_app):
    at = open_page(lang="en")
    assert at.title[0].value == "Action plans"
    assert (
        at.container(key="action_plans_matrix")
        .subheader[0]
        .value.startswith("Plans per school unit")
    )
    config = json.loads(matrix(at).proto.columns)
    assert config["library_plan_status"]["label"] == "Library plan"
    assert (
        matrix(at)
        .value["library_plan_status"]
        .str.contains("Adopted|Missing|Draft|revision|No information")
    ).all()
