"""The overview map: inline GeoJSON in EPSG:4326 and points reprojected from EPSG:3006."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pyproj import Transformer

from app.components.map import district_features, overview_map, to_lonlat

NORTH = "POLYGON((580000 6290000, 600000 6290000, 600000 6300000, 580000 6300000, 580000 6290000))"
SOUTH = "POLYGON((580000 6280000, 600000 6280000, 600000 6290000, 580000 6290000, 580000 6280000))"
TO_WGS84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


@pytest.fixture
def districts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": [1, 2, 3],
            "municipality_code": ["9901"] * 3,
            "name": ["Norr", "Söder", "Utan gräns"],
            "geometry_wkt": [NORTH, SOUTH, None],
        }
    )


@pytest.fixture
def schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_name": ["Norrskolan", "Söderskolan", "Okänd plats"],
            "school_unit_code": ["99010001", "99010002", "99010003"],
            "pupils": pd.array([1200, 300, 50], dtype="Int64"),
            "library_name": ["Norrskolans bibliotek", None, None],
            "library_kind": ["own", None, None],
            "staffed_hours": [25.5, None, None],
            "x": [585000.0, 590000.0, None],
            "y": [6295000.0, 6285000.0, None],
        }
    )


@pytest.fixture
def libraries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_name": ["Norrskolans bibliotek", "Stadsbiblioteket"],
            "library_kind": ["own", "public_special_reasons"],
            "staffed_hours": [25.5, 40.0],
            "pupils_served": pd.array([1200, None], dtype="Int64"),
            "x": [585000.0, 598000.0],
            "y": [6295000.0, 6281000.0],
        }
    )


def _layers(chart) -> list[dict]:
    return chart.to_dict()["layer"]


def _values(chart, layer: dict) -> list[dict]:
    data = layer["data"]
    if "values" in data:
        return data["values"]
    return chart.to_dict()["datasets"][data["name"]]


def test_district_features_are_geojson_in_wgs84(districts: pd.DataFrame) -> None:
    features = district_features(districts)
    assert [f["properties"]["name"] for f in features] == ["Norr", "Söder"]
    ring = features[0]["geometry"]["coordinates"][0]
    expected = [
        TO_WGS84.transform(x, y)
        for x, y in [(580000, 6290000), (600000, 6290000), (600000, 6300000), (580000, 6300000)]
    ]
    for (lon, lat), (elon, elat) in zip(ring[:4], expected, strict=True):
        assert lon == pytest.approx(elon, abs=1e-7)
        assert lat == pytest.approx(elat, abs=1e-7)
    json.dumps(features)  # plain JSON, no tuples or numpy scalars left


def test_unreadable_or_missing_geometry_is_left_out() -> None:
    frame = pd.DataFrame(
        {"district_id": [1, 2], "name": ["Trasig", "Tom"], "geometry_wkt": ["POLYGON((1 2", None]}
    )
    assert district_features(frame) == []


def test_chart_has_inline_geoshape_layer(
    districts: pd.DataFrame, schools: pd.DataFrame, libraries: pd.DataFrame
) -> None:
    chart = overview_map(districts, schools, libraries, lang="sv")
    spec = chart.to_dict()
    geo = [layer for layer in spec["layer"] if layer["mark"]["type"] == "geoshape"]
    assert len(geo) == 1
    features = geo[0]["data"]["values"]  # inline, not a named or URL dataset
    assert {f["type"] for f in features} == {"Feature"}
    assert {f["properties"]["name"] for f in features} == {"Norr", "Söder"}
    for feature in features:
        for lon, lat in feature["geometry"]["coordinates"][0]:
            assert 10.0 < lon < 25.0  # Swedish longitudes, not SWEREF metres
            assert 55.0 < lat < 70.0
    assert spec["projection"] == {"type": "transverseMercator", "rotate": [-15, 0, 0]}


def test_points_are_reprojected_like_pyproj(
    districts: pd.DataFrame, schools: pd.DataFrame, libraries: pd.DataFrame
) -> None:
    chart = overview_map(districts, schools, libraries, lang="sv")
    points = [layer for layer in _layers(chart) if layer["mark"]["type"] == "point"]
    school_layer, library_layer = points
    school_rows = _values(chart, school_layer)
    assert [row["name"] for row in school_rows] == ["Norrskolan", "Söderskolan"]  # no x/y: left out
    for row, (x, y) in zip(
        school_rows, [(585000.0, 6295000.0), (590000.0, 6285000.0)], strict=True
    ):
        lon, lat = TO_WGS84.transform(x, y)
        assert row["lon"] == pytest.approx(lon, abs=1e-9)
        assert row["lat"] == pytest.approx(lat, abs=1e-9)
    library_rows = _values(chart, library_layer)
    lon, lat = TO_WGS84.transform(598000.0, 6281000.0)
    assert library_rows[1]["lon"] == pytest.approx(lon, abs=1e-9)
    assert library_rows[1]["lat"] == pytest.approx(lat, abs=1e-9)
    assert school_layer["encoding"]["longitude"]["field"] == "lon"
    assert school_layer["encoding"]["latitude"]["field"] == "lat"


def test_to_lonlat_keeps_index_and_drops_unknown(schools: pd.DataFrame) -> None:
    result = to_lonlat(schools)
    assert list(result.index) == [0, 1]
    lon, lat = TO_WGS84.transform(585000.0, 6295000.0)
    assert result.loc[0, "lon"] == pytest.approx(lon)
    assert result.loc[0, "lat"] == pytest.approx(lat)


def test_tooltips_and_legends_are_translated(
    districts: pd.DataFrame, schools: pd.DataFrame, libraries: pd.DataFrame
) -> None:
    sv = overview_map(districts, schools, libraries, lang="sv")
    en = overview_map(districts, schools, libraries, lang="en")
    sv_school, sv_library = [la for la in _layers(sv) if la["mark"]["type"] == "point"]
    en_school, en_library = [la for la in _layers(en) if la["mark"]["type"] == "point"]

    assert sv_library["encoding"]["color"]["legend"]["title"] == "Bibliotekstyp"
    assert en_library["encoding"]["color"]["legend"]["title"] == "Library kind"
    assert sv_school["encoding"]["shape"]["scale"]["domain"] == ["Skolenhet", "Bibliotek"]
    assert en_school["encoding"]["shape"]["scale"]["domain"] == ["School unit", "Library"]
    assert "Eget skolbibliotek" in sv_library["encoding"]["color"]["scale"]["domain"]

    sv_titles = [tip["title"] for tip in sv_school["encoding"]["tooltip"]]
    assert "Bemannade timmar per vecka" in sv_titles
    en_titles = [tip["title"] for tip in en_library["encoding"]["tooltip"]]
    assert en_titles == ["Library", "Library kind", "Staffed hours per week", "Pupils served"]

    norr = _values(sv, sv_school)[0]
    assert norr["pupils_text"] == "1\xa0200"
    assert norr["hours_text"] == "25,5"
    assert norr["kind_text"] == "Eget skolbibliotek"
    assert _values(sv, sv_school)[1]["hours_text"] == "–"
    assert _values(en, en_school)[0]["pupils_text"] == "1,200"
    assert _values(en, en_library)[1]["kind_text"] == "Public library (special reasons)"
    assert _values(en, en_library)[1]["pupils_served_text"] == "–"


def test_nothing_to_draw_gives_none() -> None:
    empty_districts = pd.DataFrame(columns=["district_id", "name", "geometry_wkt"])
    no_points = pd.DataFrame({"x": [None], "y": [None], "school_name": ["A"]})
    assert overview_map(empty_districts, no_points, no_points.iloc[0:0], lang="sv") is None


def test_districts_only(districts: pd.DataFrame) -> None:
    none = pd.DataFrame(columns=["x", "y"])
    chart = overview_map(districts, none, none, lang="en")
    assert [layer["mark"]["type"] for layer in _layers(chart)] == ["geoshape"]
