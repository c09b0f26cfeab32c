"""The access map: districts, school units coloured by a value, lines to their libraries.

Builds on :mod:`app.components.map` (district polygons as inline GeoJSON, SWEREF 99 TM →
WGS 84, the transverse Mercator projection on 15° E). School units are circles coloured by the
chosen value with the sequential, colour-blind safe "viridis" scheme, oriented so that a darker
colour always means weaker provision (the scale is reversed for values where lower is better,
such as distances). School units without a value are hollow grey circles. A grey line joins
each school unit to the library that serves it; libraries are squares (staffed at least 20
hours a week) or diamonds (less or unknown). No Streamlit calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

from app.components.charts import SWEDISH_LOCALE
from app.components.map import MAP_HEIGHT, PROJECTION, district_features, to_lonlat
from app.i18n import MISSING, fmt_int, fmt_number, is_missing, t
from app.services.overview import STAFFED_THRESHOLD_HOURS

LINK_COLOUR = "#6b6b6b"
LIBRARY_COLOUR = "#303030"
MISSING_COLOUR = "#9a9a9a"
POINT_STROKE = "#202020"
SCHEME = "viridis"


def _text(value: Any) -> str:
    return MISSING if is_missing(value) else str(value)


def _km(value: Any, lang: str) -> str:
    return fmt_number(value, 1, lang=lang)


def _school_points(
    table: pd.DataFrame,
    value_column: str,
    format_value: Callable[[Any], str],
    reasons: pd.Series | None,
    lang: str,
) -> pd.DataFrame:
    points = to_lonlat(table)
    reason = (
        reasons.reindex(points.index)
        if reasons is not None
        else pd.Series(None, index=points.index, dtype=object)
    )
    return pd.DataFrame(
        {
            "lon": points["lon"].astype(float),
            "lat": points["lat"].astype(float),
            "feature": t("map.school", lang=lang),
            value_column: pd.to_numeric(points[value_column], errors="coerce").astype(float),
            "name": [_text(v) for v in points["school_name"]],
            "code": [_text(v) for v in points["school_unit_code"]],
            "pupils_text": [fmt_int(v, lang=lang) for v in points["pupils"]],
            "value_text": [format_value(v) for v in points[value_column]],
            "reason_text": [_text(v) for v in reason],
            "library_text": [_text(v) for v in points["library_name"]],
            "serving_text": [_km(v, lang) for v in points["distance_serving_km"]],
            "staffed_text": [_text(v) for v in points["staffed_library_name"]],
            "staffed_km_text": [_km(v, lang) for v in points["distance_staffed_km"]],
            "access_text": [fmt_number(v, 2, lang=lang) for v in points["access_per_100_pupils"]],
        }
    ).reset_index(drop=True)


def _links(table: pd.DataFrame) -> pd.DataFrame:
    schools = to_lonlat(table)
    libraries = to_lonlat(table, x="library_x", y="library_y")
    ends = libraries[["lon", "lat"]].rename(columns={"lon": "lon2", "lat": "lat2"})
    joined = schools[["lon", "lat"]].join(ends, how="inner")
    joined = joined[(joined["lon"] != joined["lon2"]) | (joined["lat"] != joined["lat2"])]
    return joined.reset_index(drop=True)


def _library_feature(staffed: bool, lang: str) -> str:
    hours = fmt_int(STAFFED_THRESHOLD_HOURS, lang=lang)
    key = "access_map.library_staffed" if staffed else "access_map.library_other"
    return t(key, lang=lang, hours=hours)


def _library_points(libraries: pd.DataFrame, lang: str) -> pd.DataFrame:
    points = to_lonlat(libraries)
    hours = pd.to_numeric(points["staffed_hours"], errors="coerce")
    staffed = hours >= STAFFED_THRESHOLD_HOURS
    return pd.DataFrame(
        {
            "lon": points["lon"].astype(float),
            "lat": points["lat"].astype(float),
            "feature": [_library_feature(bool(s), lang) for s in staffed],
            "name": [_text(v) for v in points["library_name"]],
            "hours_text": [fmt_number(v, 1, lang=lang) for v in hours],
        }
    ).reset_index(drop=True)


def access_map(
    districts: pd.DataFrame,
    table: pd.DataFrame,
    libraries: pd.DataFrame,
    value_column: str,
    *,
    legend_title: str,
    higher_is_better: bool,
    format_value: Callable[[Any], str],
    lang: str,
    reasons: pd.Series | None = None,
    legend_format: str | None = None,
    height: int = MAP_HEIGHT,
) -> alt.LayerChart | None:
    """Layered Altair map of access for one municipality.

    Parameters
    ----------
    districts
        ``inventory.repository.districts`` rows (``district_id``, ``name``, ``geometry_wkt``).
    table
        :func:`app.services.access.access_table` rows plus ``value_column``.
    libraries
        Library sites to draw (``library_name``, ``x``, ``y``, ``staffed_hours``).
    value_column
        The column colouring the school units (its name is the encoded field).
    legend_title
        Title of the colour legend, with the unit.
    higher_is_better
        Direction of the value; the colour scale is reversed when lower is better.
    format_value
        Formats one value for the tooltip.
    reasons
        Why a school unit's value is missing (aligned with ``table``), for the tooltip.
    legend_format
        d3 format of the legend labels (e.g. ``".0%"``).

    Returns
    -------
    The chart, or ``None`` when there is neither a district polygon nor a located school unit.
    """
    features = district_features(districts)
    schools = _school_points(table, value_column, format_value, reasons, lang)
    if not features and schools.empty:
        return None
    links = _links(table)
    library_points = _library_points(libraries, lang)

    shape_domain = [
        t("map.school", lang=lang),
        _library_feature(True, lang),
        _library_feature(False, lang),
    ]
    shape = alt.Shape(
        "feature:N",
        scale=alt.Scale(domain=shape_domain, range=["circle", "square", "diamond"]),
        legend=alt.Legend(
            title=t("map.legend.feature", lang=lang), orient="bottom", labelLimit=400
        ),
    )
    school_tooltip = [
        alt.Tooltip("name:N", title=t("map.school", lang=lang)),
        alt.Tooltip("code:N", title=t("map.school_unit_code", lang=lang)),
        alt.Tooltip("pupils_text:N", title=t("map.pupils", lang=lang)),
        alt.Tooltip("value_text:N", title=legend_title),
        alt.Tooltip("library_text:N", title=t("map.serving_library", lang=lang)),
        alt.Tooltip("serving_text:N", title=t("access_map.distance_serving", lang=lang)),
        alt.Tooltip("staffed_text:N", title=t("access_map.nearest_staffed", lang=lang)),
        alt.Tooltip("staffed_km_text:N", title=t("access_map.distance_staffed", lang=lang)),
        alt.Tooltip("access_text:N", title=t("access_map.access", lang=lang)),
    ]
    layers: list[alt.Chart] = []
    if features:
        layers.append(
            alt.Chart(alt.Data(values=features))
            .mark_geoshape(fill="#e9eef3", stroke="#8a9bb0", strokeWidth=1)
            .encode(tooltip=[alt.Tooltip("properties.name:N", title=t("map.district", lang=lang))])
        )
    if not links.empty:
        layers.append(
            alt.Chart(links)
            .mark_rule(color=LINK_COLOUR, strokeWidth=1.2, opacity=0.7)
            .encode(longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q")
        )
    if not library_points.empty:
        layers.append(
            alt.Chart(library_points)
            .mark_point(filled=True, size=150, color=LIBRARY_COLOUR, opacity=0.9)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=shape,
                tooltip=[
                    alt.Tooltip("name:N", title=t("map.library", lang=lang)),
                    alt.Tooltip("hours_text:N", title=t("map.staffed_hours", lang=lang)),
                ],
            )
        )
    known = schools[schools[value_column].notna()]
    unknown = schools[schools[value_column].isna()]
    if not known.empty:
        legend = alt.Legend(title=legend_title, orient="right", titleLimit=320)
        if legend_format:
            legend = alt.Legend(
                title=legend_title, orient="right", titleLimit=320, format=legend_format
            )
        layers.append(
            alt.Chart(known)
            .mark_point(filled=True, size=90, opacity=0.95, stroke=POINT_STROKE, strokeWidth=0.7)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=shape,
                color=alt.Color(
                    f"{value_column}:Q",
                    scale=alt.Scale(scheme=SCHEME, reverse=not higher_is_better),
                    legend=legend,
                ),
                tooltip=school_tooltip,
            )
        )
    if not unknown.empty:
        layers.append(
            alt.Chart(unknown)
            .mark_point(filled=False, size=90, color=MISSING_COLOUR, strokeWidth=1.5)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=shape,
                tooltip=[
                    *school_tooltip,
                    alt.Tooltip("reason_text:N", title=t("access_map.reason", lang=lang)),
                ],
            )
        )
    chart = alt.layer(*layers).project(**PROJECTION).properties(height=height)
    if lang == "sv":
        chart = chart.configure(locale=SWEDISH_LOCALE)
    return chart.configure_view(stroke=None)
