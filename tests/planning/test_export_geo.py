"""planning.export_geo: the GeoPackage and GeoJSON read back with geopandas, pyogrio and json."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer

from planning.cells import FORMULA_PREFIXES
from planning.export_geo import render_geojson, render_gpkg
from planning.summary import SCENARIO_FIELDS, SummaryRequest
from tests.planning.test_summary import (
    DEMO_SCENARIOS,
    PAYLOADS,
    demo_database,
    demo_summary,
    payload_summary,
)

SWEREF_TO_WGS84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory):
    url = demo_database(tmp_path_factory.mktemp("demo-geo"))
    return demo_summary(url, SummaryRequest("9901", 2025, "municipality", DEMO_SCENARIOS, "sv"))


@pytest.fixture(scope="module")
def gpkg(summary, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("gpkg") / "summary.gpkg"
    path.write_bytes(render_gpkg(summary))
    return str(path)


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["x"].notna() & frame["y"].notna()].reset_index(drop=True)


def test_geopackage_layers_crs_and_attributes(summary, gpkg):
    assert sorted(pyogrio.list_layers(gpkg)[:, 0]) == ["libraries", "schools"]
    schools = gpd.read_file(gpkg, layer="schools")
    assert schools.crs.to_epsg() == 3006
    expected = _located(summary.schools)
    assert len(schools) == len(expected) > 20
    # the geometry is the stored SWEREF 99 TM point
    assert schools.geometry.x.to_numpy() == pytest.approx(expected["x"].to_numpy())
    assert schools.geometry.y.to_numpy() == pytest.approx(expected["y"].to_numpy())
    assert list(schools["school_unit_code"]) == list(expected["school_unit_code"])
    assert list(schools["school_name"]) == list(expected["school_name"])
    for column in ["staffed_hours_per_100_pupils", "s1_per_100_after", "s2_hours_after"]:
        assert schools[column].to_numpy() == pytest.approx(
            expected[column].to_numpy(dtype=float), nan_ok=True
        )
    assert schools["pupils"].sum() == expected["pupils"].sum()
    assert set(schools["s1_name"]) == {DEMO_SCENARIOS[0]}
    assert set(schools["s2_name"]) == {DEMO_SCENARIOS[1]}
    libraries = gpd.read_file(gpkg, layer="libraries")
    assert libraries.crs.to_epsg() == 3006
    assert len(libraries) == len(_located(summary.libraries))
    assert {f"s1_{name}" for name in SCENARIO_FIELDS} <= set(libraries.columns)
    assert pyogrio.read_info(gpkg, layer="schools")["geometry_type"] == "Point"


def test_geojson_is_rfc7946_wgs84(summary):
    document = json.loads(render_geojson(summary))
    assert document["type"] == "FeatureCollection" and "crs" not in document
    layers = [feature["properties"]["layer"] for feature in document["features"]]
    assert layers.count("schools") == len(_located(summary.schools))
    assert layers.count("libraries") == len(_located(summary.libraries))
    first = _located(summary.schools).iloc[0]
    feature = document["features"][0]
    assert feature["properties"]["school_unit_code"] == first["school_unit_code"]
    lon, lat = SWEREF_TO_WGS84.transform(first["x"], first["y"])
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-9)
    for feature in document["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 10 < lon < 25 and 55 < lat < 70  # Sweden, longitude first
        for value in feature["properties"].values():
            assert not (isinstance(value, float) and math.isnan(value))
    frame = gpd.read_file(render_geojson(summary).decode())
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(document["features"])


def test_rows_without_coordinates_are_left_out(session):
    summary = payload_summary(session)
    # Almskolan and its book room have no coordinates in the small inventory
    schools = json.loads(render_geojson(summary))["features"]
    names = {f["properties"].get("school_name") for f in schools}
    assert "Almskolan" not in names
    assert summary.schools["school_name"].eq("Almskolan").any()


def test_formula_payloads_neutralised(session, tmp_path):
    summary = payload_summary(session)
    path = tmp_path / "payload.gpkg"
    path.write_bytes(render_gpkg(summary))
    texts = []
    for layer in ("schools", "libraries"):
        frame = gpd.read_file(path, layer=layer)
        for column in frame.columns.drop("geometry"):
            texts += [v for v in frame[column] if isinstance(v, str)]
    for feature in json.loads(render_geojson(summary))["features"]:
        texts += [v for v in feature["properties"].values() if isinstance(v, str)]
    assert texts and not [t for t in texts if t.startswith(FORMULA_PREFIXES)]
    for key in ("school", "school2", "library", "scenario"):
        assert "'" + PAYLOADS[key] in texts, key
    # numbers stay numbers: the shared library's change of -1.5 hours
    frame = gpd.read_file(path, layer="libraries")
    assert frame["s1_change_hours"].min() == pytest.approx(-1.5)
