"""The overview page through the real entrypoint (AppTest) on a small SQLite inventory."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from app.services.overview import library_table, overview_kpis, school_table
from inventory.db import ENV_DATABASE_URL, make_engine
from inventory.models import (
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    School,
    SchoolYear,
)
from inventory.writes import add_all

ENTRYPOINT = "../../streamlit_app.py"
TIMEOUT = 60
YEAR = 2024

# Square districts in SWEREF 99 TM near Kalmar (x easting, y northing).
NORTH = "POLYGON((580000 6290000, 600000 6290000, 600000 6300000, 580000 6300000, 580000 6290000))"
SOUTH = "POLYGON((580000 6280000, 600000 6280000, 600000 6290000, 580000 6290000, 580000 6280000))"


class SchoolRow(NamedTuple):
    code: str
    name: str
    municipality: str
    district: str | None
    organiser_type: str
    stages: str
    pupils: dict[int, int]  # year -> pupils (years 1-9)
    x: float | None
    y: float | None


class LibraryRow(NamedTuple):
    name: str
    municipality: str
    kind: str
    host: str  # school unit code of the host school
    served: list[str]  # school unit codes
    hours: dict[int, dict[str, float]]  # year -> staff hours per week by category
    items: dict[int, dict[str, int]]  # year -> items by collection category


# fmt: off
SCHOOLS = [
    SchoolRow("99010001", "Norrskolan", "9901", "Norr", "municipal", "F-6",
              {2023: 190, 2024: 200}, 585000.0, 6295000.0),
    SchoolRow("99010002", "Söderskolan", "9901", "Söder", "municipal", "7-9",
              {2023: 280, 2024: 300}, 590000.0, 6285000.0),
    SchoolRow("99010003", "Bäckskolan", "9901", "Söder", "municipal", "F-3",
              {2023: 90, 2024: 100}, 595000.0, 6283000.0),
    # no library at all
    SchoolRow("99010004", "Friskolan Eken", "9901", "Norr", "independent", "F-9",
              {2023: 140, 2024: 150}, 592000.0, 6297000.0),
    # the non-fictional municipality, no district, no coordinates
    SchoolRow("99020001", "Provskolan", "9902", None, "municipal", "4-6",
              {2023: 110, 2024: 120}, None, None),
]
LIBRARIES = [
    LibraryRow("Norrskolans bibliotek", "9901", "own", "99010001", ["99010001"],
               {2023: {"hours_lis_librarian": 10.0},
                2024: {"hours_lis_librarian": 20.0, "hours_assistant": 5.0}},
               {2023: {"fiction": 1800},
                2024: {"fiction": 2000, "non_fiction": 1000, "e_books": 500}}),
    LibraryRow("Söderbiblioteket", "9901", "shared", "99010002", ["99010002", "99010003"],
               {2023: {"hours_teacher_librarian": 24.0},
                2024: {"hours_teacher_librarian": 30.0}},
               {2023: {"fiction": 2800}, 2024: {"fiction": 3000}}),
    LibraryRow("Provskolans bokrum", "9902", "book_room", "99020001", ["99020001"],
               {2023: {"hours_other": 2.0}, 2024: {"hours_other": 2.0}},
               {2023: {"fiction": 300}, 2024: {"fiction": 350}}),
]
STAGE_FLAGS = {
    "F-3": ["has_preschool_class", "has_grades_1_3"],
    "F-6": ["has_preschool_class", "has_grades_1_3", "has_grades_4_6"],
    "F-9": ["has_preschool_class", "has_grades_1_3", "has_grades_4_6", "has_grades_7_9"],
    "4-6": ["has_grades_4_6"],
    "7-9": ["has_grades_7_9"],
}
MUNICIPALITIES = [
    {"code": "9901", "name": "Exempelkommun", "county_code": "99", "county": "Exempellän",
     "fictional": True},
    {"code": "9902", "name": "Provkommun", "county_code": "99", "county": "Exempellän",
     "fictional": False},
]
# fmt: on


def fill_fixture(session: Session) -> None:
    """Two municipalities (9901 fictional, 9902 not), two districts with polygons, five school
    units, three libraries, two inventory years; written through the validated write boundary."""
    mun = {m.code: m.id for m in add_all(session, Municipality, MUNICIPALITIES)}
    districts = add_all(
        session,
        District,
        [
            {"municipality_id": mun["9901"], "name": "Norr", "geometry_wkt": NORTH},
            {"municipality_id": mun["9901"], "name": "Söder", "geometry_wkt": SOUTH},
        ],
    )
    district_id = {d.name: d.id for d in districts}
    schools = add_all(
        session,
        School,
        [
            {
                "school_unit_code": s.code,
                "name": s.name,
                "municipality_id": mun[s.municipality],
                "district_id": district_id.get(s.district),
                "organiser_type": s.organiser_type,
                "x": s.x,
                "y": s.y,
                **dict.fromkeys(STAGE_FLAGS[s.stages], True),
            }
            for s in SCHOOLS
        ],
    )
    school_id = {s.school_unit_code: s.id for s in schools}
    add_all(
        session,
        SchoolYear,
        [
            {"school_id": school_id[s.code], "year": year, "pupils_grades_1_9": pupils}
            for s in SCHOOLS
            for year, pupils in s.pupils.items()
        ],
    )
    location = {s.code: (s.x, s.y) for s in SCHOOLS}
    libraries = add_all(
        session,
        Library,
        [
            {
                "name": lib.name,
                "municipality_id": mun[lib.municipality],
                "kind": lib.kind,
                "location_class": 1,
                "host_school_id": school_id[lib.host],
                "x": location[lib.host][0],
                "y": location[lib.host][1],
            }
            for lib in LIBRARIES
        ],
    )
    library_id = {lib.name: lib.id for lib in libraries}
    add_all(
        session,
        LibrarySchool,
        [
            {"library_id": library_id[lib.name], "school_id": school_id[code]}
            for lib in LIBRARIES
            for code in lib.served
        ],
    )
    add_all(
        session,
        LibraryYear,
        [
            {"library_id": library_id[lib.name], "year": year, **hours}
            for lib in LIBRARIES
            for year, hours in lib.hours.items()
        ],
    )
    add_all(
        session,
        CollectionYear,
        [
            {
                "library_id": library_id[lib.name],
                "year": year,
                "category": category,
                "items": n,
                # every row has a median year: see the report about _collection_totals
                "median_publication_year": year - 8,
            }
            for lib in LIBRARIES
            for year, categories in lib.items.items()
            for category, n in categories.items()
        ],
    )
    session.commit()


def expected_hours_per_100(year: int = YEAR) -> dict[str, float | None]:
    """Independent computation from the fixture numbers: each school unit carries its library's
    staffed hours over the pupils of all school units that library serves, times 100."""
    result: dict[str, float | None] = dict.fromkeys(s.code for s in SCHOOLS)
    pupils = {s.code: s.pupils[year] for s in SCHOOLS}
    for lib in LIBRARIES:
        served_pupils = sum(pupils[code] for code in lib.served)
        for code in lib.served:
            result[code] = sum(lib.hours[year].values()) / served_pupils * 100
    return result


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def fixture_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'overview.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        fill_fixture(session)
    engine.dispose()
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    _clear_caches()
    yield url
    _clear_caches()


def run_app(lang: str | None = None, municipality: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    if municipality is not None:
        at.selectbox(key="municipality_sv").select(municipality).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def schools_frame(at: AppTest):
    return at.container(key="overview_schools").dataframe[0]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def test_overview_renders_in_swedish_by_default(fixture_db: str) -> None:
    at = run_app()
    assert at.title[0].value == "Översikt"
    assert at.session_state["lang"] == "sv"
    assert at.selectbox(key="municipality_sv").value == "9901"
    assert at.selectbox(key="year_sv").value == YEAR


def test_fictional_banner_only_for_fictional_municipality(fixture_db: str) -> None:
    at = run_app()
    assert any(info.value.startswith("Fiktiva exempeldata – ") for info in at.info)
    at.selectbox(key="municipality_sv").select("9902").run()
    assert not at.exception
    assert not any("Fiktiva exempeldata" in info.value for info in at.info)


def test_schools_table_rows_and_hours_per_100_pupils(fixture_db: str) -> None:
    at = run_app()
    table = schools_frame(at).value
    expected = expected_hours_per_100()
    in_9901 = [s.code for s in SCHOOLS if s.municipality == "9901"]
    assert len(table) == len(in_9901)
    assert set(table["school_unit_code"]) == set(in_9901)
    for code, value in zip(
        table["school_unit_code"], table["staffed_hours_per_100_pupils"], strict=True
    ):
        if expected[code] is None:
            assert pd.isna(value), code
        else:
            assert value == pytest.approx(expected[code]), code
    # a column header in Swedish
    column_config = json.loads(schools_frame(at).proto.columns)
    assert column_config["staffed_hours_per_100_pupils"]["label"] == (
        "Bemannade timmar per 100 elever"
    )


def test_kpis_match_fixture(fixture_db: str) -> None:
    at = run_app()
    metrics = {m.label: m.value for m in at.metric}
    pupils = {s.code: s.pupils[YEAR] for s in SCHOOLS if s.municipality == "9901"}
    per_100 = expected_hours_per_100()
    total = sum(pupils.values())
    staffed = sum(
        pupils[code]
        for lib in LIBRARIES
        if lib.municipality == "9901" and sum(lib.hours[YEAR].values()) >= 20
        for code in lib.served
    )
    # pupils without a library count with 0 hours
    mean = sum(pupils[c] * (per_100[c] or 0.0) for c in pupils) / total
    assert metrics["Skolenheter"] == "4"
    assert metrics["Elever"] == f"{total}"
    assert metrics["Bibliotek"] == "2"
    assert metrics["Elever med bibliotek bemannat ≥ 20 h/vecka"] == (
        f"{round(staffed / total * 100)}\xa0%"
    )
    assert metrics["Bemannade timmar per 100 elever"] == f"{mean:.1f}".replace(".", ",")


def test_map_chart_has_district_geoshapes(fixture_db: str) -> None:
    at = run_app()
    specs = chart_specs(at)
    assert len(specs) == 1
    spec = specs[0]
    layers = spec["layer"]
    geo = [layer for layer in layers if layer["mark"]["type"] == "geoshape"]
    assert len(geo) == 1
    features = geo[0]["data"]["values"]
    assert {f["properties"]["name"] for f in features} == {"Norr", "Söder"}
    lon, lat = features[0]["geometry"]["coordinates"][0][0]
    assert 10 < lon < 25 and 55 < lat < 70
    assert spec["projection"]["type"] == "transverseMercator"


def test_english_switch_changes_texts(fixture_db: str) -> None:
    at = run_app(lang="en")
    assert at.title[0].value == "Overview"
    assert any(info.value.startswith("Fictional example data – ") for info in at.info)
    column_config = json.loads(schools_frame(at).proto.columns)
    assert column_config["staffed_hours_per_100_pupils"]["label"] == "Staffed hours per 100 pupils"
    # switching back through the widget
    at.segmented_control(key="lang").set_value("sv").run()
    assert not at.exception
    assert at.title[0].value == "Översikt"


def test_swedish_by_default_even_for_an_english_browser(fixture_db: str) -> None:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.context = {"locale": "en-GB"}
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "sv"
    assert at.title[0].value == "Översikt"


def test_lang_query_parameter_starts_in_english(fixture_db: str) -> None:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert at.title[0].value == "Overview"


def test_empty_database_shows_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    _clear_caches()
    at = run_app()
    assert at.title[0].value == "Översikt"
    assert at.info and "inga kommuner" in at.info[0].value
    _clear_caches()


def test_missing_tables_show_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DATABASE_URL, f"sqlite:///{tmp_path / 'no_tables.db'}")
    _clear_caches()
    at = run_app()
    assert at.error and "Databasen kunde inte läsas" in at.error[0].value
    _clear_caches()


def test_services_agree_with_fixture_directly(fixture_db: str) -> None:
    """The pure service functions on the repository frames give the fixture's numbers."""
    from inventory import repository

    engine = make_engine(fixture_db)
    with Session(engine) as session:
        libraries = repository.library_year_frame(session, years=[YEAR])
        schools = school_table(repository.school_frame(session, [YEAR], "9901"), libraries)
        here = library_table(libraries[libraries["municipality_code"] == "9901"])
    engine.dispose()
    expected = expected_hours_per_100()
    got = dict(
        zip(schools["school_unit_code"], schools["staffed_hours_per_100_pupils"], strict=True)
    )
    assert got["99010001"] == pytest.approx(expected["99010001"])
    assert pd.isna(got["99010004"])
    kpis = overview_kpis(schools, here)
    assert kpis.schools == 4 and kpis.libraries == 2


def test_overview_kpis_edge_cases() -> None:
    """Hand-made school table: a library without a staffing figure is left out, a school unit
    without a library (or with kind "none") counts as 0 hours and not staffed."""
    schools = pd.DataFrame(
        {
            "school_id": [1, 2, 3, 4, 5],
            "pupils": pd.array([100, 300, 50, 50, None], dtype="Int64"),
            "library_id": pd.array([10, 11, None, 12, 10], dtype="Int64"),
            "library_kind": ["own", "shared", None, "none", "own"],
            "staffed_hours": [20.0, None, None, 0.0, 20.0],
            "staffed_hours_per_100_pupils": [20.0, None, None, None, 20.0],
        }
    )
    libraries = pd.DataFrame(
        {"library_id": [10, 11, 12], "library_kind": ["own", "shared", "none"]}
    )
    kpis = overview_kpis(schools, libraries)
    assert kpis.schools == 5
    assert kpis.pupils == 500
    assert kpis.libraries == 2  # kind "none" is not a library
    # known status: 100 (staffed) + 50 (no library) + 50 (kind none); 300 unknown
    assert kpis.share_pupils_staffed == pytest.approx(100 / 200)
    # pupil-weighted: (100 * 20 + 50 * 0 + 50 * 0) / 200
    assert kpis.staffed_hours_per_100_pupils == pytest.approx(10.0)


def test_overview_kpis_without_pupils() -> None:
    schools = pd.DataFrame(
        {
            "school_id": [1],
            "pupils": pd.array([None], dtype="Int64"),
            "library_id": pd.array([None], dtype="Int64"),
            "library_kind": [None],
            "staffed_hours": [None],
            "staffed_hours_per_100_pupils": [None],
        }
    )
    kpis = overview_kpis(schools, pd.DataFrame({"library_id": [], "library_kind": []}))
    assert kpis.pupils is None
    assert kpis.share_pupils_staffed is None
    assert kpis.staffed_hours_per_100_pupils is None


def _demo_loader():
    try:
        demo = importlib.import_module("inventory.demo")
    except ImportError:
        return None
    return getattr(demo, "load_demo", None)


def test_overview_renders_demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_demo = _demo_loader()
    if load_demo is None:
        pytest.skip(
            "inventory/demo.py with load_demo(session) is not there yet "
            "(the demo generator is being written separately)"
        )
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_demo(session)
        session.commit()
    engine.dispose()
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    _clear_caches()
    at = run_app()
    assert at.title[0].value == "Översikt"
    assert at.selectbox(key="municipality_sv").value == "9901"
    assert any(info.value.startswith("Fiktiva exempeldata – ") for info in at.info)
    assert len(schools_frame(at).value) > 0
    specs = chart_specs(at)
    assert specs and any(layer["mark"]["type"] == "geoshape" for layer in specs[0]["layer"])
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    _clear_caches()
