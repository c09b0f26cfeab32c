"""School units and libraries of a planning summary for a GIS: GeoPackage and GeoJSON.

The GeoPackage has two point layers, ``schools`` and ``libraries``, in SWEREF 99 TM
(EPSG:3006, the coordinates skolbib stores). The GeoJSON is one FeatureCollection in WGS 84
longitude/latitude (EPSG:4326), as RFC 7946 requires, with a ``layer`` property
(``schools`` or ``libraries``) on every feature. Attributes are the summary's table columns
under their code names (``staffed_hours_per_100_pupils``, ``s1_hours_after``...) plus, per
chosen scenario, ``s1_name`` with the scenario's name. Rows without coordinates are left out.
Text attributes pass :func:`planning.cells.safe_frame`, since attribute tables are often opened
in a spreadsheet.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planning.cells import safe_frame
from planning.summary import Summary

__all__ = ["GEOJSON_CRS", "GPKG_CRS", "layers", "render_geojson", "render_gpkg"]

GPKG_CRS = "EPSG:3006"
GEOJSON_CRS = "EPSG:4326"
LAYERS = ("schools", "libraries")


def _layer(frame: pd.DataFrame, summary: Summary) -> gpd.GeoDataFrame:
    located = frame[frame["x"].notna() & frame["y"].notna()].reset_index(drop=True)
    attributes = located.drop(columns=["x", "y"])
    for index, item in enumerate(summary.scenarios, start=1):
        attributes[f"s{index}_name"] = item.name
    attributes = safe_frame(attributes)
    return gpd.GeoDataFrame(
        attributes,
        geometry=gpd.points_from_xy(located["x"].astype(float), located["y"].astype(float)),
        crs=GPKG_CRS,
    )


def layers(summary: Summary) -> dict[str, gpd.GeoDataFrame]:
    """``{"schools": ..., "libraries": ...}`` as GeoDataFrames in EPSG:3006."""
    return {
        "schools": _layer(summary.schools, summary),
        "libraries": _layer(summary.libraries, summary),
    }


def render_gpkg(summary: Summary) -> bytes:
    """A GeoPackage (bytes) with the layers ``schools`` and ``libraries`` in EPSG:3006."""
    with tempfile.TemporaryDirectory(prefix="skolbib-gpkg-") as folder:
        path = Path(folder) / "summary.gpkg"
        for name, frame in layers(summary).items():
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def render_geojson(summary: Summary) -> bytes:
    """One RFC 7946 FeatureCollection (EPSG:4326) of school units and libraries, UTF-8."""
    features = []
    for name, frame in layers(summary).items():
        wgs84 = frame.to_crs(GEOJSON_CRS)
        collection = json.loads(wgs84.to_json(na="null", drop_id=True))
        for feature in collection["features"]:
            feature["properties"] = {"layer": name, **feature["properties"]}
            features.append(feature)
    document = {"type": "FeatureCollection", "features": features}
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
