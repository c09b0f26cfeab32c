"""The map and access page (Karta och tillgång) through the real entrypoint on the demo data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.i18n import fmt_number
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


def test_map_as_a_table_with_the_same_values(demo_app: str) -> None:
    at = open_page()
    year = at.selectbox(key="year_sv").value
    at.toggle(key="access_map_chart_as_table").set_value(True).run()
    assert not at.exception
    table = at.container(key="access_map_chart_table").dataframe[0].value
    schools = table[table["school_unit_code"].notna()].set_index("school_unit_code")
    # the school units on the map (those with coordinates), with the service's figures
    expected = expected_table(demo_app, year, 5.0)
    expected = expected[expected["x"].notna() & expected["y"].notna()]
    expected = expected.set_index("school_unit_code")
    assert sorted(schools.index) == sorted(expected.index)
    for column in ("distance_serving_km", "distance_staffed_km", "access_per_100_pupils"):
        got = schools[column].astype(float)
        want = expected.loc[schools.index, column].astype(float)
        assert got.isna().tolist() == want.isna().tolist(), column
        assert got.dropna().tolist() == pytest.approx(want.dropna().tolist()), column
    # the colouring value (access by default) is the access column
    assert schools["value"].tolist() == pytest.approx(schools["access_per_100_pupils"].tolist())
    # plain SQL: the distance to the serving library is the straight line between the two
    engine = make_engine(demo_app)
    with engine.connect() as connection:
        pairs = pd.read_sql(
            sa.text(
                "SELECT s.school_unit_code, s.x, s.y, l.x AS lx, l.y AS ly, l.name"
                " FROM school s JOIN library_school ls ON ls.school_id = s.id"
                " JOIN library l ON l.id = ls.library_id JOIN municipality m"
                " ON m.id = s.municipality_id WHERE m.code = '9901' AND l.kind <> 'none'"
            ),
            connection,
        )
        hours = pd.read_sql(
            sa.text(
                "SELECT l.name, ly.hours_lis_librarian + ly.hours_teacher_librarian"
                " + ly.hours_assistant + ly.hours_other AS hours FROM library_year ly"
                " JOIN library l ON l.id = ly.library_id WHERE ly.year = :year"
            ),
            connection,
            params={"year": year},
        )
    engine.dispose()
    single = pairs[~pairs["school_unit_code"].duplicated(keep=False)].dropna()
    assert len(single) > 10
    for row in single.itertuples():
        km = ((row.x - row.lx) ** 2 + (row.y - row.ly) ** 2) ** 0.5 / 1000
        assert schools.loc[row.school_unit_code, "distance_serving_km"] == pytest.approx(km)
        assert schools.loc[row.school_unit_code, "library_name"] == row.name
    # the libraries drawn, with their staffed hours and marker
    libraries = table[table["school_unit_code"].isna()].set_index("name")
    by_name = hours.dropna().set_index("name")["hours"]
    for name, row in libraries.iterrows():
        if name in by_name:
            assert row["staffed_hours"] == pytest.approx(by_name[name]), name
            staffed = by_name[name] >= 20
            assert row["feature"].startswith(
                "Bibliotek bemannat ≥ 20" if staffed else "Bibliotek bemannat < 20"
            ), name
    # the finding names the weakest and the strongest school unit
    access = schools["access_per_100_pupils"].dropna()
    weakest = min(schools.loc[access.index[access == access.min()], "name"])  # ties: by name
    caption = at.container(key="access_map").caption[0].value
    assert f"Svagast: {weakest} ({fmt_number(access.min(), 2, lang='sv')})" in caption
    assert caption.startswith(f"{len(access)} skolenheter på kartan har ett värde")


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
    assert at.container(key="access_gaps").header[0].value == "Where the gaps are"
    colour = coloured_field(map_spec(at))
    assert colour == "access_per_100_pupils"
    at.slider(key="access_catchment_en").set_value(3.0).run()
    at.segmented_control(key="lang").set_value("sv").run()
    assert not at.exception
    assert at.title[0].value == "Karta och tillgång"
    assert at.slider(key="access_catchment_sv").value == 3.0
