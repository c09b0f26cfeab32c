"""The map and access page (Karta och tillgång) through the real entrypoint on the demo data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.services.access import access_table, library_sites
from app.session import ROLES
from inventory import repository
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 60
PAGE = "app/pages/access.py"


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


def map_spec(at: AppTest) -> dict:
    charts = at.container(key="access_map").get("vega_lite_chart")
    assert charts, "no map"
    return json.loads(charts[0].proto.spec)


def coloured_field(spec: dict) -> str:
    for layer in spec["layer"]:
        colour = layer.get("encoding", {}).get("color", {})
        if colour.get("type") == "quantitative":
            return colour["field"]
    raise AssertionError("no quantitative colour")


def access_rows(at: AppTest) -> pd.DataFrame:
    return at.container(key="access_table").dataframe[0].value


def expected_table(url: str, year: int, km: float) -> pd.DataFrame:
    """The service on the repository frames, read without the app."""
    engine = make_engine(url)
    with Session(engine) as session:
        everyone = repository.school_frame(session, years=[year])
        sites = library_sites(
            repository.libraries(session), repository.library_year_frame(session, years=[year])
        )
    engine.dispose()
    here = everyone[everyone["municipality_code"] == "9901"]
    return access_table(here, sites, km, demand=everyone)


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app: str, role: str) -> None:
    at = open_page(role)
    assert at.title[0].value == "Karta och tillgång"
    for part in ("map", "table", "gaps", "kpis"):
        assert at.container(key=f"access_{part}"), part
    spec = map_spec(at)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert "geoshape" in marks and "rule" in marks
    assert spec["projection"]["type"] == "transverseMercator"


def test_map_links_each_school_to_its_library(demo_app: str) -> None:
    at = open_page()
    spec = map_spec(at)
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert {"longitude", "latitude", "longitude2", "latitude2"} <= set(rule["encoding"])
    assert coloured_field(spec) == "access_per_100_pupils"
    colour = next(
        layer["encoding"]["color"]
        for layer in spec["layer"]
        if layer.get("encoding", {}).get("color", {}).get("type") == "quantitative"
    )
    assert colour["scale"]["scheme"] == "viridis"
    assert "timmar/vecka per 100 elever" in colour["legend"]["title"]


def test_colour_choice_changes_the_map_field(demo_app: str) -> None:
    at = open_page()
    at.selectbox(key="access_colour_sv").select("distance_staffed_km").run()
    assert not at.exception
    spec = map_spec(at)
    assert coloured_field(spec) == "distance_staffed_km"
    colour = next(
        layer["encoding"]["color"]
        for layer in spec["layer"]
        if layer.get("encoding", {}).get("color", {}).get("type") == "quantitative"
    )
    assert colour["scale"]["reverse"] is True  # farther is worse: darker
    assert colour["legend"]["title"].endswith("(km)")
    at.selectbox(key="access_colour_sv").select("items_per_pupil").run()
    assert not at.exception
    assert coloured_field(map_spec(at)) == "items_per_pupil"


def test_table_matches_the_service(demo_app: str) -> None:
    at = open_page()
    rows = access_rows(at)
    year = at.selectbox(key="year_sv").value
    expected = expected_table(demo_app, year, 5.0)
    assert len(rows) == len(expected)
    got = dict(zip(rows["school_unit_code"], rows["access_per_100_pupils"], strict=True))
    for code, value in zip(
        expected["school_unit_code"], expected["access_per_100_pupils"], strict=True
    ):
        assert got[code] == pytest.approx(value), code
    metrics = {m.label: m.value for m in at.metric}
    assert "Elever med bibliotek bemannat ≥ 20 h/vecka inom 5 km" in metrics


def test_catchment_slider_changes_access(demo_app: str) -> None:
    at = open_page()
    before = access_rows(at).set_index("school_unit_code")["access_per_100_pupils"]
    at.slider(key="access_catchment_sv").set_value(2.0).run()
    assert not at.exception
    after = access_rows(at).set_index("school_unit_code")["access_per_100_pupils"]
    assert not before.equals(after)
    year = at.selectbox(key="year_sv").value
    expected = expected_table(demo_app, year, 2.0).set_index("school_unit_code")
    for code, value in after.items():
        assert value == pytest.approx(expected.loc[code, "access_per_100_pupils"]), code
    assert any(m.label.endswith("inom 2 km") for m in at.metric)


def test_gaps_table_lists_the_worst_first(demo_app: str) -> None:
    at = open_page()
    gaps = at.container(key="access_gaps")
    table = gaps.dataframe[0].value
    assert len(table) > 0
    assert table["gaps"].str.len().gt(0).all()
    # the school unit without a library is among the gaps
    assert table["gaps"].str.contains("Inget skolbibliotek").any()
    affected = {m.label: m.value for m in gaps.metric}
    total = int(affected["Elever i skolenheter med någon lucka"].replace("\xa0", ""))
    assert total == int(table["pupils"].sum())


def test_a_filter_narrows_the_table(demo_app: str) -> None:
    at = open_page()
    everything = access_rows(at)
    at.multiselect(key="district_sv").select("Norra").run()
    assert not at.exception
    narrowed = access_rows(at)
    assert 0 < len(narrowed) < len(everything)
    assert (narrowed["district"] == "Norra").all()
    # filters narrow what is shown, not the competition for hours
    both = everything.set_index("school_unit_code")["access_per_100_pupils"]
    for code, value in narrowed.set_index("school_unit_code")["access_per_100_pupils"].items():
        assert value == pytest.approx(both[code])


def test_english_switch(demo_app: str) -> None:
    at = open_page(lang="en")
    assert at.title[0].value == "Map and access"
    assert at.container(key="access_gaps").subheader[0].value == "Where the gaps are"
    colour = coloured_field(map_spec(at))
    assert colour == "access_per_100_pupils"
    at.slider(key="access_catchment_en").set_value(3.0).run()
    at.segmented_control(key="lang").set_value("sv").run()
    assert not at.exception
    assert at.title[0].value == "Karta och tillgång"
    assert at.slider(key="access_catchment_sv").value == 3.0
