"""The comparison page (Jämförelse) through the real entrypoint (AppTest) on the demo data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.session import ROLES
from inventory import repository
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 60
PAGE = "app/pages/comparison.py"


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


def ranking_spec(at: AppTest) -> dict:
    charts = at.container(key="comparison_ranking").get("vega_lite_chart")
    assert charts, "no ranking chart"
    return json.loads(charts[0].proto.spec)


def bars(spec: dict) -> dict:
    return next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")


def ranked_labels(at: AppTest) -> list[str]:
    return bars(ranking_spec(at))["encoding"]["y"]["sort"]


def demo_frames(url: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = make_engine(url)
    with Session(engine) as session:
        schools = repository.school_frame(session, years=[year], municipality="9901")
        libraries = repository.library_year_frame(session, years=[year])
    engine.dispose()
    return schools, libraries


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app: str, role: str) -> None:
    at = open_page(role)
    assert at.title[0].value == "Jämförelse"
    assert any(info.value.startswith("Fiktiva exempeldata – ") for info in at.info)
    for part in ("ranking", "distribution", "scatter", "profile"):
        assert at.container(key=f"comparison_{part}"), part
    outcomes = at.container(key="comparison_outcomes").get("vega_lite_chart")
    assert len(outcomes) == 2  # pupil outcomes: unadjusted and adjusted for need
    assert len(at.get("vega_lite_chart")) == 3 + len(outcomes)


def test_indicator_choice_changes_the_chart_field(demo_app: str) -> None:
    at = open_page()
    spec = ranking_spec(at)
    assert bars(spec)["encoding"]["x"]["field"] == "staffed_hours_per_100_pupils"
    assert spec["title"].startswith("Bemannade timmar per vecka per 100 elever")
    at.selectbox(key="comparison_indicator_sv").select("items_per_pupil").run()
    assert not at.exception
    spec = ranking_spec(at)
    assert bars(spec)["encoding"]["x"]["field"] == "items_per_pupil"
    # the distribution and the scatter follow
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    fields = json.dumps(specs)
    assert "staffed_hours_per_100_pupils" not in fields
    # reference lines: the municipal median and the items-per-pupil lower bounds
    rules = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    labels = rules["encoding"]["color"]["scale"]["domain"]
    assert labels[0].startswith("Median i Exempelkommun")
    assert any("medier per elev (nedre gräns)" in label for label in labels)


def test_staffed_hours_has_the_20_hour_line(demo_app: str) -> None:
    at = open_page()
    at.selectbox(key="comparison_indicator_sv").select("staffed_hours_per_week").run()
    spec = ranking_spec(at)
    rules = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert any(
        "minst 20 timmar" in label for label in rules["encoding"]["color"]["scale"]["domain"]
    )


def test_school_bars_match_the_libraries(demo_app: str) -> None:
    at = open_page()
    libraries = ranked_labels(at)
    at.radio(key="comparison_unit_sv").set_value("school").run()
    assert not at.exception
    schools_shown = ranked_labels(at)
    year = at.selectbox(key="year_sv").value
    schools, library_years = demo_frames(demo_app, year)
    here = library_years[library_years["municipality_code"] == "9901"]
    assert set(libraries) == set(here["library_name"])
    with_library = schools[schools["library_id"].notna()]
    assert set(schools_shown) == set(with_library["school_name"])
    # the best school unit's bar carries its library's staffed hours per 100 pupils served
    top = with_library[with_library["school_name"] == schools_shown[0]].iloc[0]
    library = library_years[library_years["library_id"] == top["library_id"]].iloc[0]
    best = library["staffed_hours"] / library["pupils_served"] * 100
    per_library = library_years["staffed_hours"] / library_years["pupils_served"] * 100
    served = library_years["library_id"].isin(with_library["library_id"])
    assert best == pytest.approx(per_library[served].max())


def test_a_filter_narrows_the_ranking(demo_app: str) -> None:
    at = open_page()
    at.radio(key="comparison_unit_sv").set_value("school").run()
    everything = ranked_labels(at)
    at.multiselect(key="stage_sv").select("7-9").run()
    assert not at.exception
    narrowed = ranked_labels(at)
    assert 0 < len(narrowed) < len(everything)
    year = at.selectbox(key="year_sv").value
    schools, _ = demo_frames(demo_app, year)
    senior = schools[schools["has_grades_7_9"] & schools["library_id"].notna()]
    assert set(narrowed) == set(senior["school_name"])


def test_school_profile_shows_the_chosen_school(demo_app: str) -> None:
    at = open_page()
    year = at.selectbox(key="year_sv").value
    schools, library_years = demo_frames(demo_app, year)
    chosen = schools[schools["school_name"] == "Lindängsskolan"].iloc[0]
    at.selectbox(key="comparison_school_sv").select(chosen["school_unit_code"]).run()
    assert not at.exception
    profile = at.container(key="comparison_profile")
    assert profile.header[0].value == "Skolprofil: Lindängsskolan"
    table = profile.dataframe[0].value
    assert len(table) == 18
    library = library_years[library_years["library_id"] == chosen["library_id"]].iloc[0]
    row = table[table["indicator"] == "Bemannade timmar per vecka"].iloc[0]
    assert row["value"] == f"{library['staffed_hours']:.1f}".replace(".", ",")
    assert row["reference_value"] == "20,0"
    assert row["peer_rank"] == "–" or " av " in row["peer_rank"]
    # the picked school is highlighted when the bars are school units
    at.radio(key="comparison_unit_sv").set_value("school").run()
    assert not at.exception
    assert at.container(key="comparison_profile").header[0].value.endswith("Lindängsskolan")


def test_missing_values_show_a_dash_and_the_reason(demo_app: str) -> None:
    at = open_page()
    at.selectbox(key="comparison_indicator_sv").select("loans_per_pupil").run()
    at.radio(key="comparison_unit_sv").set_value("school").run()
    assert not at.exception
    missing = at.container(key="comparison_ranking").dataframe[0].value
    assert len(missing) > 0
    assert (missing["value"] == "–").all()
    reasons = set(missing["reason"])
    assert "skolenheten har inget skolbibliotek" in reasons
    assert "utlån (loans) saknas" in reasons
    assert not set(missing["label"]) & set(ranked_labels(at))


def test_scatter_axis_switches_to_need_weight(demo_app: str) -> None:
    at = open_page()
    scatter = json.loads(
        at.container(key="comparison_scatter").get("vega_lite_chart")[0].proto.spec
    )
    points = next(layer for layer in scatter["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["x"]["field"] == "pupils"
    at.radio(key="comparison_axis_sv").set_value("need_weight").run()
    assert not at.exception
    scatter = json.loads(
        at.container(key="comparison_scatter").get("vega_lite_chart")[0].proto.spec
    )
    points = next(layer for layer in scatter["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["x"]["field"] == "need_weight"
    assert points["encoding"]["x"]["title"].startswith("Behovsvikt")


def test_english_switch(demo_app: str) -> None:
    at = open_page(lang="en")
    assert at.title[0].value == "Comparison"
    assert any(info.value.startswith("Fictional example data – ") for info in at.info)
    spec = ranking_spec(at)
    assert spec["title"].startswith("Staffed hours per week per 100 pupils")
    assert "locale" not in spec.get("config", {})
    assert at.container(key="comparison_ranking").header[0].value.startswith("Ranking")
    # the indicator survives the switch back to Swedish
    at.selectbox(key="comparison_indicator_en").select("loans_per_pupil").run()
    at.segmented_control(key="lang").set_value("sv").run()
    assert not at.exception
    assert at.title[0].value == "Jämförelse"
    assert at.selectbox(key="comparison_indicator_sv").value == "loans_per_pupil"
    spec = ranking_spec(at)
    assert spec["config"]["locale"]["number"]["decimal"] == ","
