"""Charts of a planning summary as PNG images (Altair rendered by vl-convert, no browser).

Every chart is built from the :class:`planning.summary.Summary` alone, with inline data, and
rendered with the fonts shipped in ``planning/fonts`` (DejaVu Sans, so å, ä, ö and ≥ look the
same on every machine) and the report language's number format (Swedish: ``1 234,5``).
Each builder returns ``None`` when there is nothing to draw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd
import shapely
import vl_convert

from planning.summary import Summary
from planning.summary_text import text

__all__ = [
    "FONT_DIR",
    "checklist_chart",
    "map_chart",
    "scenario_chart",
    "staffing_chart",
    "to_png",
]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu Sans"
#: d3-format locales of the report languages
_LOCALES = {"sv": "sv-SE", "en": "en-GB"}
#: Okabe-Ito colours: current state, then one per scenario
SERIES_COLOURS = ["#999999", "#0072B2", "#D55E00", "#009E73", "#CC79A7"]
LIBRARY_KINDS = ("own", "shared", "integrated", "public_special_reasons", "book_room", "none")
KIND_COLOURS = ["#0072B2", "#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#999999"]
#: Named bars per school unit up to this many; beyond, one dot per school unit.
NAMED_SCHOOLS = 40
WIDTH = 460
_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if not _fonts_registered:
        vl_convert.register_font_directory(str(FONT_DIR))
        _fonts_registered = True


def to_png(chart: alt.TopLevelMixin, lang: str, scale: float = 2.0) -> bytes:
    """PNG bytes of ``chart`` in the report font and the language's number format."""
    _register_fonts()
    spec = chart.to_dict()
    config = spec.setdefault("config", {})
    config.setdefault("font", FONT)
    return vl_convert.vegalite_to_png(spec, scale=scale, format_locale=_LOCALES[lang])


def _series_scale(labels: list[str]) -> alt.Scale:
    return alt.Scale(domain=labels, range=SERIES_COLOURS[: len(labels)])


def staffing_chart(summary: Summary) -> alt.TopLevelMixin | None:
    """Staffed hours per week per 100 pupils now and after each scenario.

    Per school unit as named bars (now) with a mark per scenario; with more than
    :data:`NAMED_SCHOOLS` school units one dot per school unit and state instead; in the county
    view one bar per municipality.
    """
    lang = summary.lang
    now = text("chart.now", lang, year=summary.year)
    if summary.scope == "county" and summary.county is not None and not summary.county.empty:
        data = pd.DataFrame(
            {
                "name": summary.county["municipality_name"].astype(str),
                "value": summary.county["staffed_hours_per_100_pupils"].astype("float64"),
            }
        ).dropna()
        if data.empty:
            return None
        return (
            alt.Chart(data, title=text("chart.staffing_county", lang))
            .mark_bar(color=SERIES_COLOURS[1])
            .encode(
                y=alt.Y("name:N", sort="-x", title=text("chart.municipality", lang)),
                x=alt.X(
                    "value:Q", title=text("equity.indicator", lang), axis=alt.Axis(format=",.1f")
                ),
            )
            .properties(width=WIDTH, height=alt.Step(16))
        )
    schools = summary.schools
    series = [("staffed_hours_per_100_pupils", now)] + [
        (f"s{i}_per_100_after", f"{item.key}: {item.name}")
        for i, item in enumerate(summary.scenarios, start=1)
    ]
    rows = []
    for column, label in series:
        part = pd.DataFrame(
            {
                "name": schools["school_name"].astype(str),
                "series": label,
                "value": schools[column].astype("float64"),
                "pupils": pd.to_numeric(schools["pupils"], errors="coerce").astype("float64"),
            }
        )
        rows.append(part)
    data = pd.concat(rows, ignore_index=True).dropna(subset=["value"])
    if data.empty:
        return None
    labels = [label for _, label in series]
    colour = alt.Color(
        "series:N",
        scale=_series_scale(labels),
        legend=alt.Legend(title=text("chart.series", lang), orient="bottom", labelLimit=300),
    )
    x = alt.X("value:Q", title=text("equity.indicator", lang), axis=alt.Axis(format=",.1f"))
    title = text("chart.staffing", lang)
    if len(schools) <= NAMED_SCHOOLS:
        order = data[data["series"] == now].sort_values("value", ascending=False)["name"].tolist()
        y = alt.Y("name:N", sort=order, title=text("chart.school", lang))
        bars = alt.Chart(data[data["series"] == now]).mark_bar().encode(y=y, x=x, color=colour)
        marks = (
            alt.Chart(data[data["series"] != now])
            .mark_tick(thickness=3, size=14)
            .encode(y=y, x=x, color=colour)
        )
        return alt.layer(bars, marks, title=title).properties(width=WIDTH, height=alt.Step(16))
    return (
        alt.Chart(data, title=title)
        .mark_circle(opacity=0.6)
        .encode(
            y=alt.Y("series:N", sort=labels, title=None),
            x=x,
            color=colour,
            size=alt.Size("pupils:Q", legend=None),
        )
        .properties(width=WIDTH, height=alt.Step(40))
    )


def checklist_chart(summary: Summary) -> alt.TopLevelMixin | None:
    """Share of pupils whose school unit meets each requirement of the checklist."""
    rows = [
        {"label": item.label, "share": 100.0 * item.share_pupils_pass}
        for item in summary.checklist
        if item.share_pupils_pass is not None
    ]
    if not rows:
        return None
    lang = summary.lang
    return (
        alt.Chart(pd.DataFrame(rows), title=text("chart.checklist", lang))
        .mark_bar(color=SERIES_COLOURS[1])
        .encode(
            y=alt.Y(
                "label:N",
                sort=None,
                title=None,
                axis=alt.Axis(labelLimit=260),
            ),
            x=alt.X(
                "share:Q",
                title=text("chart.share_pupils", lang),
                scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(format=",.0f"),
            ),
        )
        .properties(width=WIDTH - 160, height=alt.Step(22))
    )


def scenario_chart(summary: Summary) -> alt.TopLevelMixin | None:
    """The Gini coefficient before and after each chosen scenario."""
    lang = summary.lang
    before, after = text("scenario.before", lang), text("scenario.after", lang)
    rows = []
    for item in summary.scenarios:
        label = f"{item.key}: {item.name}"
        rows.append({"scenario": label, "when": before, "gini": item.gini_before})
        rows.append({"scenario": label, "when": after, "gini": item.gini_after})
    data = pd.DataFrame(rows, columns=["scenario", "when", "gini"]).dropna()
    if data.empty:
        return None
    return (
        alt.Chart(data, title=text("chart.scenarios", lang))
        .mark_bar()
        .encode(
            y=alt.Y("scenario:N", title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("when:N", sort=[before, after]),
            x=alt.X("gini:Q", title=text("equity.gini", lang), axis=alt.Axis(format=",.3f")),
            color=alt.Color(
                "when:N",
                sort=[before, after],
                scale=alt.Scale(domain=[before, after], range=SERIES_COLOURS[:2]),
                legend=alt.Legend(title=text("chart.when", lang), orient="bottom"),
            ),
        )
        .properties(width=WIDTH - 120, height=alt.Step(14))
    )


def _features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return [plain(f) for f in frame.to_crs("EPSG:4326").__geo_interface__["features"]]


def map_chart(summary: Summary) -> alt.TopLevelMixin | None:
    """Districts and school units (sized by pupils, coloured by library kind).

    Drawn from WGS 84 with a transverse Mercator on 15° E, as SWEREF 99 TM maps are.
    """
    lang = summary.lang
    schools = summary.schools[summary.schools["x"].notna() & summary.schools["y"].notna()]
    if schools.empty:
        return None
    points = gpd.GeoSeries(
        gpd.points_from_xy(schools["x"].astype(float), schools["y"].astype(float)),
        crs="EPSG:3006",
    ).to_crs("EPSG:4326")
    missing_kind = text("library_kind.none", lang)
    data = pd.DataFrame(
        {
            "lon": points.x.to_numpy(),
            "lat": points.y.to_numpy(),
            "kind": schools["library_kind"].fillna(missing_kind).astype(str).to_numpy(),
            "pupils": pd.to_numeric(schools["pupils"], errors="coerce").fillna(0).to_numpy(float),
        }
    )
    kinds = [text(f"library_kind.{kind}", lang) for kind in LIBRARY_KINDS]
    projection = {"type": "transverseMercator", "rotate": [-15, 0, 0]}
    layers: list[alt.Chart] = []
    districts = summary.districts
    if not districts.empty and districts["geometry_wkt"].notna().any():
        rows = districts[districts["geometry_wkt"].notna()]
        shapes = gpd.GeoDataFrame(
            {"name": rows["name"].astype(str).tolist()},
            geometry=gpd.GeoSeries.from_wkt(
                rows["geometry_wkt"].astype(str).tolist(), crs="EPSG:3006", on_invalid="ignore"
            ),
        )
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty]
        # d3-geo reads a counter-clockwise ring as "the whole globe but this polygon"
        shapes = shapes.set_geometry(shapely.orient_polygons(shapes.geometry, exterior_cw=True))
        if not shapes.empty:
            layers.append(
                alt.Chart(alt.Data(values=_features(shapes)))
                .mark_geoshape(fill="#e9eef3", stroke="#8a9bb0", strokeWidth=0.8)
                .project(**projection)
            )
    layers.append(
        alt.Chart(data)
        .mark_circle(opacity=0.85, stroke="white", strokeWidth=0.5)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            size=alt.Size(
                "pupils:Q",
                legend=None,
                scale=alt.Scale(range=[20, 300] if len(data) <= 200 else [6, 60]),
            ),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=kinds, range=KIND_COLOURS),
                legend=alt.Legend(title=text("col.library_kind", lang), orient="right"),
            ),
        )
        .project(**projection)
    )
    return alt.layer(*layers).properties(width=WIDTH - 120, height=420)
