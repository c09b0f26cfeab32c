"""Map of districts, school units and libraries as an Altair chart (no Streamlit calls).

Geometry is stored in SWEREF 99 TM (EPSG:3006, ``x`` easting, ``y`` northing); the chart is
drawn from WGS 84 longitude/latitude (EPSG:4326) with a transverse Mercator projection centred
on 15° E, the central meridian of SWEREF 99 TM, so the map looks like Swedish official maps.

District polygons go into the chart as inline GeoJSON features
(``alt.Data(values=gdf.to_crs(4326).__geo_interface__["features"])``), never as a GeoDataFrame:
Streamlit turns a GeoDataFrame's geometry into WKT strings and the map stays blank
(streamlit#6708). Tooltip numbers are formatted for the language as text.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd

from app.i18n import MISSING, fmt_int, fmt_number, is_missing, t

SOURCE_CRS = "EPSG:3006"
DISPLAY_CRS = "EPSG:4326"
#: SWEREF 99 TM is a transverse Mercator on 15° E.
PROJECTION = {"type": "transverseMercator", "rotate": [-15, 0, 0]}
MAP_HEIGHT = 520

LIBRARY_KINDS = ("own", "shared", "integrated", "public_special_reasons", "book_room", "none")
#: Calm, colour-blind friendly colours per library kind (Okabe-Ito based), same order.
LIBRARY_KIND_COLOURS = ("#0072B2", "#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#999999")
SCHOOL_COLOUR = "#3a3a3a"
DISTRICT_FILL = "#e9eef3"
DISTRICT_STROKE = "#8a9bb0"


def district_features(districts: pd.DataFrame) -> list[dict[str, Any]]:
    """GeoJSON features (EPSG:4326) of districts with a valid ``geometry_wkt`` (EPSG:3006).

    Each feature's properties hold ``name`` and ``district_id``. Rows without geometry or with
    unreadable WKT are left out.
    """
    if districts.empty or "geometry_wkt" not in districts:
        return []
    rows = districts[districts["geometry_wkt"].notna()]
    if rows.empty:
        return []
    geometry = gpd.GeoSeries.from_wkt(
        rows["geometry_wkt"].astype(str).tolist(), crs=SOURCE_CRS, on_invalid="ignore"
    )
    frame = gpd.GeoDataFrame(
        {
            "name": rows["name"].astype(str).tolist(),
            "district_id": [int(v) for v in rows["district_id"]],
        },
        geometry=geometry,
    )
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        return []
    features = frame.to_crs(DISPLAY_CRS).__geo_interface__["features"]
    return [_plain(feature) for feature in features]


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the spec is plain JSON."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def to_lonlat(frame: pd.DataFrame, x: str = "x", y: str = "y") -> pd.DataFrame:
    """Rows of ``frame`` with known ``x``/``y`` (EPSG:3006) plus ``lon``/``lat`` (EPSG:4326)."""
    known = frame[frame[x].notna() & frame[y].notna()].copy()
    if known.empty:
        known["lon"] = pd.Series(dtype="float64")
        known["lat"] = pd.Series(dtype="float64")
        return known
    points = gpd.GeoSeries(
        gpd.points_from_xy(known[x].astype(float), known[y].astype(float)),
        crs=SOURCE_CRS,
        index=known.index,
    ).to_crs(DISPLAY_CRS)
    known["lon"] = points.x
    known["lat"] = points.y
    return known


def kind_label(kind: Any, lang: str) -> str:
    """Translated label of a library kind; ``–`` when missing."""
    if is_missing(kind):
        return MISSING
    return t(f"library_kind.{kind}", lang=lang)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]``, or an all-missing column when the frame lacks it."""
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype="object")


def _text(value: Any) -> str:
    return MISSING if is_missing(value) else str(value)


def _school_points(schools: pd.DataFrame, lang: str) -> pd.DataFrame:
    points = to_lonlat(schools)
    return pd.DataFrame(
        {
            "lon": points["lon"].astype(float),
            "lat": points["lat"].astype(float),
            "feature": t("map.school", lang=lang),
            "name": [_text(v) for v in _column(points, "school_name")],
            "code": [_text(v) for v in _column(points, "school_unit_code")],
            "pupils_text": [fmt_int(v, lang=lang) for v in _column(points, "pupils")],
            "library_text": [_text(v) for v in _column(points, "library_name")],
            "kind_text": [kind_label(v, lang) for v in _column(points, "library_kind")],
            "hours_text": [fmt_number(v, 1, lang=lang) for v in _column(points, "staffed_hours")],
        }
    ).reset_index(drop=True)


def _library_points(libraries: pd.DataFrame, lang: str) -> pd.DataFrame:
    points = to_lonlat(libraries)
    return pd.DataFrame(
        {
            "lon": points["lon"].astype(float),
            "lat": points["lat"].astype(float),
            "feature": t("map.library", lang=lang),
            "name": [_text(v) for v in _column(points, "library_name")],
            "kind_text": [kind_label(v, lang) for v in _column(points, "library_kind")],
            "hours_text": [fmt_number(v, 1, lang=lang) for v in _column(points, "staffed_hours")],
            "pupils_served_text": [fmt_int(v, lang=lang) for v in _column(points, "pupils_served")],
        }
    ).reset_index(drop=True)


def overview_map(
    districts: pd.DataFrame,
    schools: pd.DataFrame,
    libraries: pd.DataFrame,
    lang: str,
    height: int = MAP_HEIGHT,
) -> alt.LayerChart | None:
    """Districts, school units and libraries of one municipality as a layered Altair chart.

    Parameters
    ----------
    districts
        ``inventory.repository.districts`` rows: ``district_id``, ``name``, ``geometry_wkt``.
    schools
        One row per school unit with ``x``, ``y`` (EPSG:3006), ``school_name``,
        ``school_unit_code``, ``pupils``, ``library_name``, ``library_kind``, ``staffed_hours``
        (the overview's school table).
    libraries
        One row per library with ``x``, ``y``, ``library_name``, ``library_kind``,
        ``staffed_hours``, ``pupils_served``.
    lang
        ``"sv"`` or ``"en"``: legend titles, labels and tooltip number format.

    Returns
    -------
    The chart, or ``None`` when there is neither a district polygon nor a located point.
    """
    features = district_features(districts)
    school_points = _school_points(schools, lang)
    library_points = _library_points(libraries, lang)
    if not features and school_points.empty and library_points.empty:
        return None

    shape = alt.Shape(
        "feature:N",
        scale=alt.Scale(
            domain=[t("map.school", lang=lang), t("map.library", lang=lang)],
            range=["circle", "square"],
        ),
        legend=alt.Legend(title=t("map.legend.feature", lang=lang), orient="bottom"),
    )
    kind_labels = [t(f"library_kind.{kind}", lang=lang) for kind in LIBRARY_KINDS]
    layers: list[alt.Chart] = []
    if features:
        layers.append(
            alt.Chart(alt.Data(values=features))
            .mark_geoshape(fill=DISTRICT_FILL, stroke=DISTRICT_STROKE, strokeWidth=1)
            .encode(tooltip=[alt.Tooltip("properties.name:N", title=t("map.district", lang=lang))])
        )
    if not school_points.empty:
        layers.append(
            alt.Chart(school_points)
            .mark_point(filled=True, size=55, opacity=0.85, color=SCHOOL_COLOUR)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=shape,
                tooltip=[
                    alt.Tooltip("name:N", title=t("map.school", lang=lang)),
                    alt.Tooltip("code:N", title=t("map.school_unit_code", lang=lang)),
                    alt.Tooltip("pupils_text:N", title=t("map.pupils", lang=lang)),
                    alt.Tooltip("library_text:N", title=t("map.serving_library", lang=lang)),
                    alt.Tooltip("kind_text:N", title=t("map.library_kind", lang=lang)),
                    alt.Tooltip("hours_text:N", title=t("map.staffed_hours", lang=lang)),
                ],
            )
        )
    if not library_points.empty:
        layers.append(
            alt.Chart(library_points)
            .mark_point(filled=True, size=140, opacity=0.9, stroke="white", strokeWidth=1)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=shape,
                color=alt.Color(
                    "kind_text:N",
                    scale=alt.Scale(domain=kind_labels, range=list(LIBRARY_KIND_COLOURS)),
                    legend=alt.Legend(
                        title=t("map.legend.library_kind", lang=lang), orient="bottom"
                    ),
                ),
                tooltip=[
                    alt.Tooltip("name:N", title=t("map.library", lang=lang)),
                    alt.Tooltip("kind_text:N", title=t("map.library_kind", lang=lang)),
                    alt.Tooltip("hours_text:N", title=t("map.staffed_hours", lang=lang)),
                    alt.Tooltip("pupils_served_text:N", title=t("map.pupils_served", lang=lang)),
                ],
            )
        )
    return (
        alt.layer(*layers)
        .project(**PROJECTION)
        .properties(height=height)
        .configure_view(stroke=None)
    )
