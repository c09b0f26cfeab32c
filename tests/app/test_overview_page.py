"""The overview page through the real entrypoint (AppTest) on a small SQLite inventory."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from app.components.kpi import signed_delta
from app.services.overview import (
    ALL_LAW,
    CHECKLIST,
    KEY_FIGURE_SPECS,
    checklist_coverage,
    county_table,
    key_figures,
    library_table,
    map_finding,
    overview_kpis,
    school_checklist,
    school_table,
    staffing_equity,
)
from app.session import SessionUser
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
from metrics.standards import CHECKS, load_reference_values

ENTRYPOINT = "../../streamlit_app.py"
TIMEOUT = 60
#: pages show only to a signed-in user (no account row needed: read-only)
SIGNED_IN = SessionUser(username="overview-test", display_name="Test", role="projektledare")
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
# Further facts of 2024 per library (media cost, loans, catalogue, library plan).
EXTRA_2024: dict[str, dict] = {
    "Norrskolans bibliotek": {
        "media_cost_physical_sek": 24000,
        "loans": 3000,
        "catalogue_kind": "digital_pupils",
        "library_plan_adopted": True,
    },
    "Söderbiblioteket": {
        "media_cost_physical_sek": 30000,
        "media_cost_emedia_sek": 6000,
        "catalogue_kind": "none",
        "library_plan_adopted": False,
    },
    "Provskolans bokrum": {},
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
            {
                "library_id": library_id[lib.name],
                "year": year,
                **hours,
                **(EXTRA_2024[lib.name] if year == 2024 else {}),
            }
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
    at.session_state["user"] = SIGNED_IN
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
    at.session_state["user"] = SIGNED_IN
    at.context = {"locale": "en-GB"}
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "sv"
    assert at.title[0].value == "Översikt"


def test_lang_query_parameter_starts_in_english(fixture_db: str) -> None:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = SIGNED_IN
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


# --------------------------------------------------------------------------- key figures
# Independent computations from the fixture numbers (9901, 2024): each school unit carries the
# facts of the library serving it divided by the pupils of every school unit that library
# serves; pupil-weighted means over the school units; a school unit without a library counts
# with 0 for resources per pupil and is left out of the collection age.

PUPILS_9901 = {s.code: s.pupils[YEAR] for s in SCHOOLS if s.municipality == "9901"}
# CILIP/SLA lower bounds: years 1-6 (and förskoleklass) 10, years 7-9 13 items per pupil; only
# pupils_grades_1_9 is known, so F-9 splits its pupils evenly over its three bands 1-3, 4-6, 7-9.
STAGE_BOUND = {"F-3": 10.0, "F-6": 10.0, "4-6": 10.0, "7-9": 13.0, "F-9": (10 + 10 + 13) / 3}


def library_serving(code: str) -> LibraryRow | None:
    return next((lib for lib in LIBRARIES if code in lib.served), None)


def served_pupils(lib: LibraryRow) -> int:
    pupils = {s.code: s.pupils[YEAR] for s in SCHOOLS}
    return sum(pupils[code] for code in lib.served)


def per_pupil(code: str, fact) -> float | None:
    """``fact(library)`` per pupil served; 0 without a library; None when the fact is missing."""
    lib = library_serving(code)
    if lib is None:
        return 0.0
    value = fact(lib)
    return None if value is None else value / served_pupils(lib)


def weighted(values: dict[str, float | None]) -> float:
    used = {code: v for code, v in values.items() if v is not None}
    return sum(PUPILS_9901[c] * v for c, v in used.items()) / sum(PUPILS_9901[c] for c in used)


def media(lib: LibraryRow) -> float | None:
    extra = EXTRA_2024[lib.name]
    parts = [extra.get("media_cost_physical_sek"), extra.get("media_cost_emedia_sek")]
    known = [p for p in parts if p is not None]
    return float(sum(known)) if known else None


def physical_items(lib: LibraryRow) -> float:
    return float(sum(n for cat, n in lib.items[YEAR].items() if cat != "e_books"))


EXPECTED_FIGURES = {
    "staff_fte_per_1000_pupils": weighted(
        {
            c: per_pupil(c, lambda lib: sum(lib.hours[YEAR].values()) / 40 * 1000)
            for c in PUPILS_9901
        }
    ),
    "media_cost_sek_per_pupil": weighted({c: per_pupil(c, media) for c in PUPILS_9901}),
    "loans_per_pupil": weighted(
        {c: per_pupil(c, lambda lib: EXTRA_2024[lib.name].get("loans")) for c in PUPILS_9901}
    ),
    "items_per_pupil": weighted({c: per_pupil(c, physical_items) for c in PUPILS_9901}),
    # every collection row has median year = year - 8
    "median_collection_age": weighted(
        {c: (8.0 if library_serving(c) else None) for c in PUPILS_9901}
    ),
}
EXPECTED_REFERENCE = {
    "staff_fte_per_1000_pupils": 0.17,
    "media_cost_sek_per_pupil": 98.0,
    "loans_per_pupil": 11.0,
    "items_per_pupil": sum(
        PUPILS_9901[s.code] * STAGE_BOUND[s.stages] for s in SCHOOLS if s.municipality == "9901"
    )
    / sum(PUPILS_9901.values()),
    "median_collection_age": 10.0,
}


def sv_number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def test_expected_figures_are_the_hand_computed_ones() -> None:
    """Guard for the helpers above: the fixture numbers worked out by hand."""
    assert EXPECTED_FIGURES["staff_fte_per_1000_pupils"] == pytest.approx(
        (200 * 25 / 40 / 200 * 1000 + 400 * 30 / 40 / 400 * 1000 + 150 * 0) / 750
    )
    assert EXPECTED_FIGURES["media_cost_sek_per_pupil"] == pytest.approx((24000 + 36000) / 750)
    assert EXPECTED_FIGURES["loans_per_pupil"] == pytest.approx(3000 / 350)
    assert EXPECTED_FIGURES["items_per_pupil"] == pytest.approx(6000 / 750)
    assert EXPECTED_REFERENCE["items_per_pupil"] == pytest.approx(8550 / 750)


def test_key_figures_against_reference_values(fixture_db: str) -> None:
    at = run_app()
    metrics = {m.label: m for m in at.container(key="overview_key_figures").metric}
    labels = {
        "staff_fte_per_1000_pupils": "Årsverken per 1 000 elever",
        "media_cost_sek_per_pupil": "Mediekostnad per elev (kr)",
        "loans_per_pupil": "Utlån per elev",
        "items_per_pupil": "Medier per elev",
        "median_collection_age": "Beståndets medianålder (år)",
    }
    assert set(labels.values()) < set(metrics)
    for name, label in labels.items():
        decimals = KEY_FIGURE_SPECS[name].decimals
        value, reference = EXPECTED_FIGURES[name], EXPECTED_REFERENCE[name]
        metric = metrics[label]
        assert metric.value == sv_number(value, decimals), name
        difference = value - reference
        sign = "-" if difference < 0 else "+"
        assert metric.proto.delta == sign + sv_number(abs(difference), decimals), name
        assert metric.proto.delta_description == (
            f"mot referensvärdet {sv_number(reference, decimals)}"
        )
    # lower collection age is better: a negative delta is shown as good
    assert metrics[labels["median_collection_age"]].proto.color == (
        metrics[labels["staff_fte_per_1000_pupils"]].proto.color
    )


def test_key_figure_help_names_the_reference_source(fixture_db: str) -> None:
    reference = load_reference_values().set_index("key")
    at = run_app()
    metrics = {m.label: m for m in at.container(key="overview_key_figures").metric}
    fte = metrics["Årsverken per 1 000 elever"].help
    row = reference.loc["national_fte_per_1000_pupils_2023"]
    assert row["source"] in fte and row["source_url"] in fte and row["description_sv"] in fte
    items = metrics["Medier per elev"].help
    for key in ("items_per_pupil_primary_min", "items_per_pupil_upper_secondary_min"):
        assert reference.loc[key, "source"] in items


# Status of each school unit of 9901 in 2024, worked out from the fixture:
# Norrskolan's own library: 25 h (20 LIS), plan adopted, digital catalogue, 3,000 items, class 1;
# Söderbiblioteket on Söderskolan, also serving Bäckskolan (no special reasons): 30 h of a
# teacher-librarian (LIS hours not recorded), no plan, no catalogue; Friskolan Eken: no library.
EXPECTED_STATUS = {
    "law_own_unit": {
        "99010001": "pass",
        "99010002": "pass",
        "99010003": "fail",
        "99010004": "fail",
    },
    "law_staffed": {"99010001": "pass", "99010002": "pass", "99010003": "pass", "99010004": "fail"},
    "law_lis_staff": {
        "99010001": "pass",
        "99010002": "unknown",
        "99010003": "unknown",
        "99010004": "fail",
    },
    "law_library_plan": {
        "99010001": "pass",
        "99010002": "fail",
        "99010003": "fail",
        "99010004": "unknown",
    },
    "kb2012_functioning": {
        "99010001": "pass",
        "99010002": "fail",
        "99010003": "fail",
        "99010004": "fail",
    },
    ALL_LAW: {"99010001": "pass", "99010002": "fail", "99010003": "fail", "99010004": "fail"},
}


def expected_share(check: str, by_pupils: bool) -> float:
    statuses = EXPECTED_STATUS[check]
    weight = {code: (PUPILS_9901[code] if by_pupils else 1) for code in statuses}
    passed = sum(weight[code] for code, status in statuses.items() if status == "pass")
    return passed / sum(weight.values())


def test_checklist_coverage_table(fixture_db: str) -> None:
    at = run_app()
    table = at.container(key="overview_checklist").dataframe[0].value
    assert list(table["label"]) == [
        *[CHECKS[check].label_sv for check in CHECKLIST],
        "Alla fyra lagkrav uppfyllda",
    ]
    for row, check in zip(table.itertuples(), [*CHECKLIST, ALL_LAW], strict=True):
        statuses = list(EXPECTED_STATUS[check].values())
        assert row.schools == 4
        assert row.schools_pass == statuses.count("pass"), check
        assert row.schools_unknown == statuses.count("unknown"), check
        assert row.share_schools_pass == pytest.approx(100 * expected_share(check, False)), check
        assert row.share_pupils_pass == pytest.approx(100 * expected_share(check, True)), check


def test_checklist_follows_the_organiser_filter(fixture_db: str) -> None:
    at = run_app()
    at.multiselect(key="organiser_sv").select("municipal").run()
    table = at.container(key="overview_checklist").dataframe[0].value
    assert set(table["schools"]) == {3}
    staffed = table.iloc[list(CHECKLIST).index("law_staffed")]
    assert staffed["share_pupils_pass"] == pytest.approx(100.0)


def expected_gini(values: list[float], weights: list[float]) -> float:
    """G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mean), written out."""
    total = sum(weights)
    mean = sum(w * x for w, x in zip(weights, values, strict=True)) / total
    pairs = sum(
        wi * wj * abs(xi - xj)
        for wi, xi in zip(weights, values, strict=True)
        for wj, xj in zip(weights, values, strict=True)
    )
    return pairs / (2 * total**2 * mean)


def test_equity_card(fixture_db: str) -> None:
    at = run_app()
    card = at.container(key="overview_equity")
    metrics = {m.label: m.value for m in card.metric}
    per_100 = expected_hours_per_100()
    codes = list(PUPILS_9901)
    values = [per_100[c] or 0.0 for c in codes]  # no library: 0 hours
    weights = [float(PUPILS_9901[c]) for c in codes]
    assert metrics["Gini-koefficient"] == sv_number(expected_gini(values, weights), 2)
    # McLoone: sorted 0 (150 pupils), 7.5 (400), 12.5 (200); median 7.5; the bottom 375
    # pupils hold 150 * 0 + 225 * 7.5
    assert metrics["McLoone-index"] == sv_number((225 * 7.5) / (7.5 * 375), 2)
    # P5 = 0 (150 of 750 pupils have 0 hours): the ratio is infinite
    assert metrics["Federal range ratio"] == "∞"
    captions = [c.value for c in card.caption]
    assert any(c.startswith("0 = alla elever") for c in captions)
    assert any(c.startswith("P5 är 0") for c in captions)
    assert len(captions) == 1 + 3 + 1  # what is measured, one line per statistic, the P5 note


def test_equity_card_in_english(fixture_db: str) -> None:
    at = run_app(lang="en")
    card = at.container(key="overview_equity")
    assert card.header[0].value == "Equity of staffing"
    assert {m.label for m in card.metric} == {
        "Gini coefficient",
        "McLoone index",
        "Federal range ratio",
    }
    key_figures_labels = {m.label for m in at.container(key="overview_key_figures").metric}
    assert "FTE per 1,000 pupils" in key_figures_labels


def switch_to_county(at: AppTest) -> AppTest:
    at.radio(key="overview_scope_sv").set_value("county").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_county_view_puts_municipalities_side_by_side(fixture_db: str) -> None:
    at = switch_to_county(run_app())
    assert at.query_params["overview_scope"] in ("county", ["county"])
    table = at.container(key="overview_county").dataframe[0].value.set_index("municipality_code")
    assert list(table.index) == ["9901", "9902"]  # both in county 99
    here = table.loc["9901"]
    assert here["pupils"] == sum(PUPILS_9901.values())
    assert here["libraries"] == 2
    for name, value in EXPECTED_FIGURES.items():
        assert here[name] == pytest.approx(value), name
    other = table.loc["9902"]  # Provskolan, 120 pupils, a book room staffed 2 h, 350 items
    assert other["schools"] == 1 and other["pupils"] == 120
    assert other["share_pupils_staffed"] == pytest.approx(0.0)
    assert other["staff_fte_per_1000_pupils"] == pytest.approx(2 / 40 / 120 * 1000)
    assert other["items_per_pupil"] == pytest.approx(350 / 120)
    assert pd.isna(other["media_cost_sek_per_pupil"])
    assert other["gini"] == pytest.approx(0.0)
    # the municipality sections are not shown in the county view
    assert not at.get("metric")
    # the county of fictional municipalities gets the banner
    assert any(
        info.value.startswith("Fiktiva exempeldata – kommunerna i Exempellän") for info in at.info
    )


def test_county_chart_follows_the_figure_choice(fixture_db: str) -> None:
    at = switch_to_county(run_app())
    spec = chart_specs(at)[0]
    assert spec["layer"][0]["encoding"]["x"]["field"] == "share_pupils_staffed"
    assert len(spec["layer"]) == 1  # no reference value for the share
    assert spec["title"].endswith("per kommun, 2024")
    assert spec["config"]["locale"]["number"]["decimal"] == ","  # Swedish axis numbers
    at.selectbox(key="overview_county_figure_sv").select("items_per_pupil").run()
    assert not at.exception
    spec = chart_specs(at)[0]
    bars, rule = spec["layer"]
    assert bars["encoding"]["x"]["field"] == "items_per_pupil"
    assert bars["encoding"]["x"]["title"] == "Medier per elev"
    assert rule["mark"]["type"] == "rule"
    # county-wide stage bound: 9901's schools plus Provskolan (4-6, 120 pupils, bound 10)
    bound = (EXPECTED_REFERENCE["items_per_pupil"] * 750 + 120 * 10) / 870
    caption = at.container(key="overview_county").caption[-1].value
    assert f"referensvärdet {sv_number(bound, 1)}" in caption


def show_table(at: AppTest, key: str) -> pd.DataFrame:
    """Switch a chart's "show as table" on; the table under it."""
    at.toggle(key=f"{key}_as_table").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    return at.container(key=f"{key}_table").dataframe[0].value


def test_map_as_a_table_with_the_same_values(fixture_db: str) -> None:
    at = run_app()
    table = show_table(at, "overview_map_chart")
    # hand-computed from the fixture: 2024 staff hours 20 + 5 (Norr) and 30 (Söder), the
    # shared library serving Söderskolan (300) and Bäckskolan (100); Eken has no library
    schools = table[table["feature"] == "Skolenhet"].set_index("name")
    assert list(schools.index) == ["Bäckskolan", "Friskolan Eken", "Norrskolan", "Söderskolan"]
    assert schools["pupils"].tolist() == [100, 150, 200, 300]
    assert schools["school_unit_code"].tolist() == ["99010003", "99010004", "99010001", "99010002"]
    assert schools.loc["Norrskolan", "library_name"] == "Norrskolans bibliotek"
    assert schools.loc["Bäckskolan", "library_kind"] == "Delat skolbibliotek"
    assert schools.loc["Friskolan Eken", "library_kind"] == "–"
    hours = schools["staffed_hours"]
    assert hours.drop("Friskolan Eken").to_dict() == {
        "Bäckskolan": 30.0,
        "Norrskolan": 25.0,
        "Söderskolan": 30.0,
    }
    assert pd.isna(hours["Friskolan Eken"])
    libraries = table[table["feature"] == "Bibliotek"].set_index("name")
    assert libraries["library_kind"].to_dict() == {
        "Norrskolans bibliotek": "Eget skolbibliotek",
        "Söderbiblioteket": "Delat skolbibliotek",
    }
    assert libraries["staffed_hours"].tolist() == [25.0, 30.0]
    assert libraries["pupils_served"].tolist() == [200, 400]
    # the same points as the map draws
    [element] = at.container(key="overview_map").get("vega_lite_chart")
    drawn = [
        dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets
    ]
    school_layer = next(d for d in drawn if "code" in d.columns)
    assert sorted(school_layer["name"]) == sorted(schools.index)
    caption = at.container(key="overview_map").caption[-1].value
    assert caption == (
        "Kartan visar 4 skolenheter och 2 bibliotek: eget skolbibliotek 1, delat skolbibliotek 1."
    )


def test_map_finding_counts_what_has_no_coordinates() -> None:
    schools = pd.DataFrame(
        {"school_name": ["A", "B"], "x": [1.0, None], "y": [2.0, None], "library_kind": ["own"] * 2}
    )
    libraries = pd.DataFrame({"library_name": ["L"], "library_kind": ["book_room"], "x": [None]})
    libraries["y"] = None
    assert map_finding(schools, libraries, "sv") == (
        "Kartan visar 1 skolenheter och inga bibliotek. Saknar koordinater och visas inte på "
        "kartan: 1 skolenheter och 1 bibliotek."
    )
    assert map_finding(schools.iloc[:1], libraries.assign(x=3.0, y=4.0), "en") == (
        "The map shows 1 school units and 1 libraries: book room 1."
    )


def test_county_chart_as_a_table_and_its_finding(fixture_db: str) -> None:
    at = switch_to_county(run_app())
    table = show_table(at, "overview_county_chart").set_index("municipality_name")
    # Exempelkommun: 600 of 750 pupils have a library staffed >= 20 h (25 h and 30 h);
    # Provkommun: its book room has 2 h
    assert table["share_pupils_staffed"].to_dict() == pytest.approx(
        {"Exempelkommun": 80.0, "Provkommun": 0.0}
    )
    assert table["group"].to_dict() == {
        "Exempelkommun": "Vald kommun",
        "Provkommun": "Övriga kommuner",
    }
    # the selected municipality is named as such on its bar, not only darker
    bars = chart_specs(at)[0]["layer"][0]
    name = bars["encoding"]["y"]["field"]
    [element] = at.container(key="overview_county").get("vega_lite_chart")
    [drawn] = [
        dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in element.proto.datasets
    ]
    assert sorted(drawn[name]) == ["Exempelkommun (vald)", "Provkommun"]
    caption = at.container(key="overview_county").caption[-1].value
    assert "från 0\xa0% (Provkommun) till 80\xa0% (Exempelkommun); Exempelkommun har 80\xa0%." in (
        caption
    )
    at.selectbox(key="overview_county_figure_sv").select("items_per_pupil").run()
    assert not at.exception
    table = show_table(at, "overview_county_chart").set_index("municipality_name")
    assert table["items_per_pupil"].to_dict() == pytest.approx(
        {"Exempelkommun": 6000 / 750, "Provkommun": 350 / 120}
    )
    caption = at.container(key="overview_county").caption[-1].value
    # both are below the county-wide stage bound 9750 / 870 = 11.2
    assert caption.startswith(
        "Medier per elev varierar från 2,9 (Provkommun) till 8,0 (Exempelkommun); "
        "Exempelkommun har 8,0. 0 av 2 kommuner når referensvärdet."
    )


def test_county_view_with_organiser_filter(fixture_db: str) -> None:
    at = switch_to_county(run_app())
    at.multiselect(key="organiser_sv").select("independent").run()
    table = at.container(key="overview_county").dataframe[0].value.set_index("municipality_code")
    assert table.loc["9901", "schools"] == 1  # Friskolan Eken, without a library
    assert table.loc["9901", "libraries"] == 0
    assert table.loc["9901", "staff_fte_per_1000_pupils"] == pytest.approx(0.0)
    assert table.loc["9902", "schools"] == 0


def test_unreadable_reference_values_show_a_warning(
    fixture_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path):
        raise ValueError(f"{path}: reference values that are not numbers: ['x']")

    monkeypatch.setattr("app.state_overview.load_reference_values", broken)
    at = run_app()
    assert at.warning and "Referensvärdena kunde inte läsas" in at.warning[0].value
    metrics = at.container(key="overview_key_figures").metric
    assert metrics and all(not m.proto.delta for m in metrics)


# --------------------------------------------------------------------------- services


def test_key_figures_on_a_hand_made_frame() -> None:
    schools = pd.DataFrame(
        {
            "school_unit_code": ["A", "B", "C", "D", "E"],
            "pupils_total": pd.array([100, 300, 50, None, 50], dtype="Int64"),
            "library_id": pd.array([1, 2, None, 1, 3], dtype="Int64"),
            "library_kind": ["own", "shared", None, "own", "none"],
            "has_grades_1_3": [True, False, True, True, False],
            "has_grades_7_9": [False, True, False, False, True],
            "pupils_grades_1_9": [100, 300, 50, None, 50],
        }
    )
    indicators = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 9],
            "staff_fte_per_1000_pupils": [2.0, 1.0, 5.0, 100.0],
            "median_collection_age": [4.0, None, 1.0, 0.0],
        }
    )
    reference = load_reference_values()
    specs = (
        KEY_FIGURE_SPECS["staff_fte_per_1000_pupils"],
        KEY_FIGURE_SPECS["median_collection_age"],
    )
    fte, age = key_figures(schools, indicators, reference, specs)
    # D has no pupil count; C has no library and E a library of kind "none": they count 0
    assert fte.value == pytest.approx((100 * 2.0 + 300 * 1.0 + 50 * 0 + 50 * 0) / 500)
    assert fte.pupils == 500
    assert fte.reference == pytest.approx(0.17)
    assert fte.difference == pytest.approx(fte.value - 0.17)
    # B's library has no age; C and E have no library: only A counts
    assert age.value == pytest.approx(4.0)
    assert age.pupils == 100
    assert age.higher_is_better is False


def test_items_reference_is_the_pupil_weighted_stage_bound() -> None:
    schools = pd.DataFrame(
        {
            "school_unit_code": ["A", "B"],
            "pupils_total": [100, 300],
            "library_id": pd.array([1, 1], dtype="Int64"),
            "library_kind": ["own", "own"],
            "has_grades_1_3": [True, False],
            "has_grades_7_9": [False, True],
            "pupils_grades_1_9": [100, 300],
        }
    )
    indicators = pd.DataFrame({"library_id": [1], "items_per_pupil": [12.0]})
    (items,) = key_figures(
        schools, indicators, load_reference_values(), (KEY_FIGURE_SPECS["items_per_pupil"],)
    )
    assert items.value == pytest.approx(12.0)
    assert items.reference == pytest.approx((100 * 10 + 300 * 13) / 400)


def test_key_figures_without_reference_table() -> None:
    schools = pd.DataFrame(
        {"pupils_total": [10], "library_id": pd.array([1], dtype="Int64"), "library_kind": ["own"]}
    )
    indicators = pd.DataFrame({"library_id": [1], "loans_per_pupil": [3.0]})
    (loans,) = key_figures(schools, indicators, None, (KEY_FIGURE_SPECS["loans_per_pupil"],))
    assert loans.value == pytest.approx(3.0)
    assert loans.reference is None and loans.difference is None


def test_staffing_equity_against_the_definitions() -> None:
    schools = pd.DataFrame(
        {
            "pupils_total": [100, 300, 50, 200],
            "library_id": pd.array([1, 2, None, 3], dtype="Int64"),
            "library_kind": ["own", "own", None, "own"],
        }
    )
    indicators = pd.DataFrame(
        {"library_id": [1, 2, 3], "staffed_hours_per_100_pupils": [10.0, 5.0, None]}
    )
    summary = staffing_equity(schools, indicators)
    # library 3 has no value: left out; the school without a library counts with 0
    values, weights = [10.0, 5.0, 0.0], [100.0, 300.0, 50.0]
    assert summary["schools"] == 3 and summary["pupils"] == 450
    assert summary["gini"] == pytest.approx(expected_gini(values, weights))
    # sorted 0 (50), 5 (300), 10 (100): median 5; bottom 225 pupils: 50 * 0 + 175 * 5
    assert summary["mcloone"] == pytest.approx(175 * 5 / (5 * 225))
    assert math.isinf(summary["federal_range_ratio"])  # P5 = 0 (50 of 450 pupils)
    assert staffing_equity(schools.iloc[[3]], indicators) is None


def test_checklist_coverage_counts_only_the_given_schools() -> None:
    checklist = pd.DataFrame(
        {
            "school_unit_code": ["A", "B", "C", "A", "B", "C", "Z"],
            "check": ["law_staffed"] * 3 + [ALL_LAW] * 3 + ["law_staffed"],
            "status": ["pass", "unknown", "fail", "pass", "fail", "fail", "pass"],
        }
    )
    schools = pd.DataFrame(
        {"school_unit_code": ["A", "B", "C"], "pupils_total": pd.array([100, 300, None], "Int64")}
    )
    coverage = checklist_coverage(checklist, schools).set_index("check")
    assert list(coverage.index) == ["law_staffed", ALL_LAW]  # Z is not among the schools
    staffed = coverage.loc["law_staffed"]
    assert (staffed["schools"], staffed["schools_pass"], staffed["schools_unknown"]) == (3, 1, 1)
    assert staffed["share_schools_pass"] == pytest.approx(1 / 3)
    # C's pupils are unknown: pupil shares over A and B
    assert staffed["share_pupils_pass"] == pytest.approx(100 / 400)
    assert checklist_coverage(checklist, schools.iloc[[]]).empty


def test_county_table_agrees_with_the_municipality_view(fixture_db: str) -> None:
    from inventory import repository
    from metrics.indicators import library_indicators

    reference = load_reference_values()
    engine = make_engine(fixture_db)
    with Session(engine) as session:
        library_years = repository.library_year_frame(session, years=[YEAR])
        schools = repository.school_frame(session, years=[YEAR])
        municipalities = repository.municipalities(session)
        links = pd.read_sql(
            "SELECT ls.school_id, ls.library_id, ls.special_reasons, l.host_school_id, "
            "l.kind AS library_kind FROM library_school ls JOIN library l ON l.id = ls.library_id",
            session.connection(),
        )
    engine.dispose()
    indicators = library_indicators(library_years)
    table = county_table(schools, library_years, indicators, municipalities, reference)
    for row in table.itertuples():
        rows = schools[schools["municipality_code"] == row.municipality_code]
        kpis = overview_kpis(
            school_table(rows, library_years, indicators),
            library_table(
                library_years[library_years["municipality_code"] == row.municipality_code]
            ),
        )
        assert (row.schools, row.pupils, row.libraries) == (
            kpis.schools,
            kpis.pupils,
            kpis.libraries,
        )
        assert row.share_pupils_staffed == pytest.approx(kpis.share_pupils_staffed)
        for figure in key_figures(rows, indicators, reference):
            expected = math.nan if figure.value is None else figure.value
            assert getattr(row, figure.name) == pytest.approx(expected, nan_ok=True)
        assert row.gini == pytest.approx(staffing_equity(rows, indicators)["gini"])
    # the school checklist of the whole municipality, through the service
    checklist = school_checklist(
        schools[schools["municipality_code"] == "9901"], indicators, reference, links
    )
    status = checklist.set_index(["check", "school_unit_code"])["status"]
    for check, expected in EXPECTED_STATUS.items():
        for code, value in expected.items():
            assert status[(check, code)] == value, (check, code)


@pytest.mark.parametrize(
    ("difference", "decimals", "lang", "expected"),
    [
        (1.666, 2, "sv", "+1,67"),
        (-18.0, 0, "sv", "-18"),
        (-1234.5, 1, "en", "-1,234.5"),
        (0.004, 2, "sv", "0"),
        (-0.004, 2, "sv", "0"),
        (None, 1, "sv", None),
    ],
)
def test_signed_delta(difference, decimals, lang, expected) -> None:
    assert signed_delta(difference, decimals, lang=lang) == expected


def test_keys_built_at_run_time_exist_in_both_languages() -> None:
    """The page builds some catalogue keys from names; the i18n test only sees literal keys."""
    from app.i18n import LANGUAGES, has_key
    from app.services.overview import EQUITY_STATISTICS, KEY_FIGURES

    keys = [f"overview.scope.{scope}" for scope in ("municipality", "county")]
    keys += [f"overview.figure.{name}" for name in ("share_pupils_staffed", "gini")]
    for spec in KEY_FIGURES:
        keys.append(f"overview.figure.{spec.name}")
        if spec.name != "staffed_hours_per_100_pupils":  # uses kpi.hours_per_100(_help)
            keys.append(f"overview.figure.{spec.name}_help")
    for name in EQUITY_STATISTICS:
        keys += [f"overview.equity.{name}", f"overview.equity.{name}_explain"]
    missing = [(lang, key) for lang in LANGUAGES for key in keys if not has_key(key, lang)]
    assert missing == []


def test_county_view_in_english(fixture_db: str) -> None:
    at = run_app(lang="en")
    at.radio(key="overview_scope_en").set_value("county").run()
    assert not at.exception
    county = at.container(key="overview_county")
    assert county.header[0].value == "The municipalities of Exempellän"
    assert county.caption[-1].value.endswith("There is no reference value for this key figure.")
    at.selectbox(key="overview_county_figure_en").select("media_cost_sek_per_pupil").run()
    assert not at.exception
    spec = chart_specs(at)[0]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Media cost per pupil (SEK)"
    assert "locale" not in spec.get("config", {})  # Swedish number format only in Swedish
    assert (
        at.container(key="overview_county")
        .caption[-1]
        .value.endswith("The dashed line is the reference value 98.")
    )
