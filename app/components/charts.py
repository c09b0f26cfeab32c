"""Altair charts for the comparison page, and indicator labels, units and number formats.

Every chart takes already translated titles and the language; it encodes the indicator under
its own column name (``staffed_hours_per_100_pupils`` etc.), so the chart spec names the
indicator shown. Colours are colour-blind safe: one blue for bars and points, orange for the
school unit picked in the profile (also a black outline on its bar and a diamond for its point),
and reference lines in the Okabe-Ito palette, each also with its own dash pattern so that colour
is never the only cue. Tooltip numbers are formatted for
the language as text; axis labels follow a Swedish number locale (decimal comma) in Swedish.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from app.i18n import MISSING, fmt_int, fmt_number, fmt_percent, is_missing, t
from metrics.indicators import INDICATORS

#: Okabe & Ito (2008) colour-blind safe palette.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
BAR_COLOUR = "#0072B2"
HIGHLIGHT_COLOUR = "#E69F00"
#: Outline of the highlighted bar, so that it stands out without colour.
OUTLINE_COLOUR = "#000000"
#: Reference-line colours: black for the median, then vermilion, bluish green, purple, sky blue.
LINE_COLOURS = ("#000000", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442")
LINE_DASHES = ([6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 4])
#: Vega number locale for Swedish axis labels (decimal comma, non-breaking space).
SWEDISH_LOCALE = {
    "number": {
        "decimal": ",",
        "thousands": "\u00a0",
        "grouping": [3],
        "currency": ["", "\u00a0kr"],
    }
}
ROW_HEIGHT = 22
CHART_HEIGHT = 320

#: Decimals shown for each indicator (shares are shown as percentages with these decimals).
DECIMALS: dict[str, int] = {
    "staffed_hours_per_week": 1,
    "staffed_hours_per_100_pupils": 2,
    "lis_hours_per_100_pupils": 2,
    "staff_fte_per_1000_pupils": 2,
    "lis_share_of_staff_hours": 0,
    "open_hours_per_week": 1,
    "staffed_share_of_open_hours": 0,
    "items_per_pupil": 1,
    "share_items_last_10_years": 0,
    "median_publication_year": 0,
    "median_collection_age": 1,
    "media_cost_sek_per_pupil": 0,
    "acquisitions_per_pupil": 2,
    "renewal_rate": 1,
    "loans_per_pupil": 1,
    "turnover": 2,
    "area_m2_per_100_pupils": 1,
    "seats_per_100_pupils": 1,
}


def indicator_label(name: str, lang: str) -> str:
    """The indicator's label in ``lang`` (from the registry of :mod:`metrics.indicators`)."""
    meta = INDICATORS[name]
    return meta.label_sv if lang == "sv" else meta.label_en


def indicator_unit(name: str, lang: str) -> str:
    """The indicator's unit in ``lang``."""
    return t(f"indicator_unit.{name}", lang=lang)


def axis_title(name: str, lang: str) -> str:
    """``Label (unit)`` for an axis or legend; just the label when it already names the unit."""
    label, unit = indicator_label(name, lang), indicator_unit(name, lang)
    return label if unit.lower() in label.lower() else f"{label} ({unit})"


def is_share(name: str) -> bool:
    """Whether the indicator is a share (0–1), shown as a percentage."""
    return INDICATORS[name].unit.startswith("share")


def format_value(name: str, value: Any, lang: str) -> str:
    """One indicator value as text in ``lang``; ``–`` when missing."""
    if is_missing(value):
        return MISSING
    decimals = DECIMALS.get(name, 1)
    if is_share(name):
        return fmt_percent(value, decimals, lang=lang)
    return fmt_number(value, decimals, lang=lang)


def axis_format(name: str) -> str | None:
    """d3 format of an axis showing ``name`` (percent for shares, plain year for years)."""
    if is_share(name):
        return ".0%"
    if name == "median_publication_year":
        return "d"
    return None


def localized(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """The chart with the language's number locale (Swedish decimal comma on the axes)."""
    if lang == "sv":
        return chart.configure(locale=SWEDISH_LOCALE)
    return chart


def _axis(name: str, title: str) -> alt.Axis:
    fmt = axis_format(name)
    return alt.Axis(title=title, format=fmt) if fmt else alt.Axis(title=title)


def reference_layer(
    lines: pd.DataFrame, channel: str, lang: str, legend_title: str
) -> alt.Chart | None:
    """Rules at ``lines.value`` (``channel`` "x" or "y"), coloured and dashed by ``label``.

    ``lines`` has ``label`` (already translated, unique), ``value`` and ``value_text``.
    """
    if lines.empty:
        return None
    labels = lines["label"].tolist()
    colours = [LINE_COLOURS[i % len(LINE_COLOURS)] for i in range(len(labels))]
    dashes = [LINE_DASHES[i % len(LINE_DASHES)] for i in range(len(labels))]
    position = alt.X if channel == "x" else alt.Y
    return (
        alt.Chart(lines)
        .mark_rule(strokeWidth=2)
        .encode(
            position("value:Q"),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=labels, range=colours),
                legend=alt.Legend(
                    title=legend_title, orient="bottom", direction="vertical", labelLimit=520
                ),
            ),
            strokeDash=alt.StrokeDash(
                "label:N", scale=alt.Scale(domain=labels, range=dashes), legend=None
            ),
            tooltip=[
                alt.Tooltip("label:N", title=t("chart.reference", lang=lang)),
                alt.Tooltip("value_text:N", title=t("chart.value", lang=lang)),
            ],
        )
    )


def _layered(base: alt.Chart, rules: alt.Chart | None) -> alt.LayerChart:
    layers = [base] if rules is None else [base, rules]
    return alt.layer(*layers).resolve_scale(color="independent")


def ranking_chart(
    rows: pd.DataFrame,
    indicator: str,
    lines: pd.DataFrame,
    *,
    lang: str,
    title: str,
    unit_title: str,
    highlight: str | None = None,
) -> alt.TopLevelMixin:
    """Horizontal bars, best first, with reference lines.

    Parameters
    ----------
    rows
        :func:`app.services.comparison.ranking` rows with a value (``id``, ``label``, the
        indicator, ``pupils``, ``pupils_served``, ``library_name``), in display order.
    lines
        Reference lines: ``label``, ``value``, ``value_text``.
    title
        Chart title; ``unit_title`` is the y-axis title (school unit or library).
    highlight
        ``id`` of a bar to draw in orange (the school unit of the profile).
    """
    data = rows.assign(
        value_text=[format_value(indicator, v, lang) for v in rows[indicator]],
        pupils_text=[fmt_int(v, lang=lang) for v in rows["pupils"]],
        served_text=[fmt_int(v, lang=lang) for v in rows["pupils_served"]],
        library_text=[MISSING if is_missing(v) else str(v) for v in rows["library_name"]],
        highlighted=rows["id"].astype(str) == str(highlight),
    )[
        [
            "id",
            "label",
            indicator,
            "value_text",
            "pupils_text",
            "served_text",
            "library_text",
            "highlighted",
        ]
    ]
    bars = (
        alt.Chart(data)
        .mark_bar(stroke=OUTLINE_COLOUR)
        .encode(
            x=alt.X(f"{indicator}:Q", axis=_axis(indicator, axis_title(indicator, lang))),
            y=alt.Y("label:N", sort=data["label"].tolist(), title=unit_title),
            color=alt.Color(
                "highlighted:N",
                scale=alt.Scale(domain=[False, True], range=[BAR_COLOUR, HIGHLIGHT_COLOUR]),
                legend=None,
            ),
            strokeWidth=alt.condition(alt.datum.highlighted, alt.value(2.5), alt.value(0)),
            tooltip=[
                alt.Tooltip("label:N", title=unit_title),
                alt.Tooltip("value_text:N", title=indicator_label(indicator, lang)),
                alt.Tooltip("pupils_text:N", title=t("chart.pupils", lang=lang)),
                alt.Tooltip("library_text:N", title=t("chart.library", lang=lang)),
                alt.Tooltip("served_text:N", title=t("chart.pupils_served", lang=lang)),
            ],
        )
    )
    rules = reference_layer(lines, "x", lang, t("chart.reference_lines", lang=lang))
    chart = _layered(bars, rules).properties(
        title=title, height=max(CHART_HEIGHT // 2, ROW_HEIGHT * len(data))
    )
    return localized(chart, lang)


def distribution_chart(
    rows: pd.DataFrame,
    indicator: str,
    lines: pd.DataFrame,
    *,
    lang: str,
    title: str,
) -> alt.TopLevelMixin:
    """Pupil-weighted histogram: the pupils (bar height) whose library has a value in each bin.

    ``rows`` are :func:`app.services.comparison.distribution` rows (``label``, the indicator,
    ``pupils``).
    """
    bins = (
        alt.Chart(rows)
        .mark_bar(color=BAR_COLOUR, opacity=0.85)
        .encode(
            x=alt.X(
                f"{indicator}:Q",
                bin=alt.Bin(maxbins=20),
                axis=_axis(indicator, axis_title(indicator, lang)),
            ),
            y=alt.Y("sum(pupils):Q", title=t("chart.pupils", lang=lang)),
            tooltip=[
                alt.Tooltip(f"{indicator}:Q", bin=True, title=indicator_label(indicator, lang)),
                alt.Tooltip("sum(pupils):Q", title=t("chart.pupils", lang=lang), format=",d"),
                alt.Tooltip("count():Q", title=t("chart.schools", lang=lang)),
            ],
        )
    )
    rules = reference_layer(lines, "x", lang, t("chart.reference_lines", lang=lang))
    chart = _layered(bins, rules).properties(title=title, height=CHART_HEIGHT)
    return localized(chart, lang)


def scatter_chart(
    rows: pd.DataFrame,
    indicator: str,
    axis: str,
    lines: pd.DataFrame,
    *,
    lang: str,
    title: str,
    x_title: str,
    unit_title: str,
    highlight: str | None = None,
) -> alt.TopLevelMixin:
    """The indicator (y) against pupils or need weight (x, column ``axis``), one point per row.

    ``lines`` are drawn as horizontal reference lines.
    """
    data = rows.assign(
        value_text=[format_value(indicator, v, lang) for v in rows[indicator]],
        x_text=[
            fmt_int(v, lang=lang) if axis == "pupils" else fmt_number(v, 2, lang=lang)
            for v in rows[axis]
        ],
        highlighted=rows["id"].astype(str) == str(highlight),
    )[["id", "label", indicator, axis, "value_text", "x_text", "highlighted"]]
    points = (
        alt.Chart(data)
        .mark_point(filled=True, opacity=0.85)
        .encode(
            x=alt.X(f"{axis}:Q", title=x_title, scale=alt.Scale(zero=axis == "pupils")),
            y=alt.Y(f"{indicator}:Q", axis=_axis(indicator, axis_title(indicator, lang))),
            color=alt.Color(
                "highlighted:N",
                scale=alt.Scale(domain=[False, True], range=[BAR_COLOUR, HIGHLIGHT_COLOUR]),
                legend=None,
            ),
            shape=alt.Shape(
                "highlighted:N",
                scale=alt.Scale(domain=[False, True], range=["circle", "diamond"]),
                legend=None,
            ),
            size=alt.condition(alt.datum.highlighted, alt.value(170), alt.value(70)),
            tooltip=[
                alt.Tooltip("label:N", title=unit_title),
                alt.Tooltip("value_text:N", title=indicator_label(indicator, lang)),
                alt.Tooltip("x_text:N", title=x_title),
            ],
        )
    )
    rules = reference_layer(lines, "y", lang, t("chart.reference_lines", lang=lang))
    chart = _layered(points, rules).properties(title=title, height=CHART_HEIGHT)
    return localized(chart, lang)


def line_frame(
    labels: Sequence[str], values: Sequence[float], name: str, lang: str
) -> pd.DataFrame:
    """Reference lines as a frame (``label``, ``value``, ``value_text``), missing values dropped."""
    frame = pd.DataFrame({"label": list(labels), "value": list(values)}, dtype=object)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame[frame["value"].notna()].drop_duplicates("label").reset_index(drop=True)
    frame["value_text"] = [format_value(name, v, lang) for v in frame["value"]]
    return frame
