"""Pupil outcomes beside library provision for the comparison page (Jämförelse).

Pure pandas/Altair over the repository frames; the statistics are :mod:`metrics.outcomes`
(pupil-weighted correlation with a school-unit bootstrap interval, the same after adjusting
the outcome for need, and school units above or below what their need predicts). This module
picks the school units of the chosen scope, turns the figures into chart data, tables and a
one-sentence finding in the page's language, and draws the scatter plot with its fitted line
and band. Colour is never the only cue: a school unit's position relative to its need is shown
by the point's shape as well, and spelled out in the tooltip and the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import altair as alt
import pandas as pd

from app.components.charts import axis_format, axis_title, format_value, indicator_label, localized
from app.i18n import MISSING, fmt_int, fmt_number, fmt_percent, is_missing, t
from metrics import outcomes as oc
from metrics.indicators import INDICATORS

#: Outcomes offered on the page, in order (columns of ``school_result``).
OUTCOMES: tuple[str, ...] = oc.OUTCOMES
#: Which school units the analysis covers: the municipality's (after the page filters) or
#: every municipality's in the database.
SCOPES: tuple[str, ...] = ("municipality", "all")
#: A school unit is above / below what need predicts at one residual standard deviation.
POSITION_THRESHOLD = 1.0
#: The values each outcome can take (lines and bands are clipped to them).
OUTCOME_RANGE: dict[str, tuple[float, float]] = {
    "mean_merit_value": (0.0, 340.0),
    "share_all_subjects": (0.0, 1.0),
    "share_eligible_vocational": (0.0, 1.0),
}
N_BOOT = oc.N_BOOT
SEED = 0
#: |r| below these is "no clear", "weak", "moderate"; above the last "strong".
STRENGTH_BOUNDS: tuple[tuple[float, str], ...] = ((0.1, "none"), (0.3, "weak"), (0.5, "moderate"))
#: Shapes and colours (Okabe & Ito) of the positions: shape and colour carry the same meaning.
POSITION_SHAPES = {"above": "triangle-up", "expected": "circle", "below": "triangle-down"}
POSITION_COLOURS = {"above": "#009E73", "expected": "#0072B2", "below": "#D55E00"}
LINE_COLOUR = "#000000"
BAND_COLOUR = "#56B4E9"
CHART_HEIGHT = 320


# --------------------------------------------------------------------------- the data


def analysis_frame(
    results: pd.DataFrame, schools: pd.DataFrame, indicators: pd.DataFrame
) -> pd.DataFrame:
    """Per school unit with results: the outcomes, need inputs and library indicators.

    :func:`metrics.outcomes.outcome_frame` of ``school_results``, ``school_frame`` and
    ``library_indicators`` of one year, plus a unique ``label`` per school unit.
    """
    frame = oc.outcome_frame(results, schools, indicators)
    names = frame["school_name"].fillna("").astype(str)
    codes = frame["school_unit_code"].astype(str)
    duplicated = names.duplicated(keep=False)
    frame["label"] = names.where(~duplicated, names + " (" + codes + ")")
    return frame


def in_scope(
    frame: pd.DataFrame, scope: str, municipality: str, school_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """The school units of ``scope``: ``"municipality"`` keeps ``municipality``'s units (and,
    when given, only ``school_codes``, the units the page filters leave); ``"all"`` keeps all."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    if scope == "all":
        return frame
    kept = frame[frame["municipality_code"].astype(str) == str(municipality)]
    if school_codes is not None:
        kept = kept[kept["school_unit_code"].astype(str).isin({str(c) for c in school_codes})]
    return kept


def points(
    frame: pd.DataFrame, indicator: str, outcome: str, *, adjusted: bool
) -> tuple[pd.DataFrame, float]:
    """The school units of a scatter plot and the shift added to need-adjusted values.

    Returns
    -------
    points : pandas.DataFrame
        ``label``, ``school_unit_code``, ``library_name``, ``x`` (the indicator), ``y`` (the
        outcome, or with ``adjusted`` the outcome need predicts away: residual + shift),
        ``pupils``, ``predicted``, ``residual``, ``z`` and ``position`` (above / expected /
        below what need predicts; every point has one).
    shift : float
        The pupil-weighted mean outcome of the points (added to the residuals so the adjusted
        values stay on the outcome's scale); NaN without points.
    """
    positions = oc.need_positions(frame, outcome, indicator, threshold=POSITION_THRESHOLD)
    columns = ["label", "school_unit_code", "library_name", "x", "y", "pupils"]
    columns += ["predicted", "residual", "z", "position"]
    if positions.empty:
        return pd.DataFrame(columns=columns), float("nan")
    pupils = positions["pupils"].astype("float64")
    value = positions[outcome].astype("float64")
    shift = float((pupils * value).sum() / pupils.sum())
    data = pd.DataFrame(
        {
            "label": positions["label"],
            "school_unit_code": positions["school_unit_code"].astype(str),
            "library_name": positions["library_name"],
            "x": positions[indicator].astype("float64"),
            "y": positions["residual"] + shift if adjusted else value,
            "pupils": pupils,
            "predicted": positions["predicted"],
            "residual": positions["residual"],
            "z": positions["z"],
            "position": positions["position"],
        }
    )
    return data.reset_index(drop=True)[columns], shift


def line(
    frame: pd.DataFrame,
    indicator: str,
    outcome: str,
    *,
    adjusted: bool,
    shift: float = 0.0,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> pd.DataFrame:
    """The fitted line (``x``, ``fit``, ``low``, ``high``) over the same school units as
    :func:`points`; for ``adjusted`` the line of the need residual, moved up by ``shift``."""
    kept, _ = oc.analysis_sample(frame, indicator, outcome)
    if len(kept) < oc.MIN_SCHOOLS:
        return pd.DataFrame(columns=["x", "fit", "low", "high"], dtype=float)
    covariates = kept[list(oc.NEED_INPUTS)].to_numpy(dtype=float) if adjusted else None
    fitted = oc.fitted_line(
        kept[indicator].to_numpy(dtype=float),
        kept[outcome].to_numpy(dtype=float),
        kept["pupils"].to_numpy(dtype=float),
        covariates=covariates,
        n_boot=n_boot,
        seed=seed,
    )
    if adjusted and not fitted.empty:
        fitted[["fit", "low", "high"]] += shift
    # a line or band beyond what the outcome can be (a share over 100 %) is not drawn there
    fitted[["fit", "low", "high"]] = fitted[["fit", "low", "high"]].clip(*OUTCOME_RANGE[outcome])
    return fitted


def associations(
    frame: pd.DataFrame, outcome: str, *, n_boot: int = N_BOOT, seed: int = SEED
) -> pd.DataFrame:
    """:func:`metrics.outcomes.associations` of every indicator with ``outcome``."""
    return oc.associations(frame, list(INDICATORS), [outcome], n_boot=n_boot, seed=seed)


def association_row(table: pd.DataFrame, indicator: str) -> pd.Series:
    """The row of ``indicator`` in an :func:`associations` table."""
    return table[table["indicator"] == indicator].iloc[0]


# --------------------------------------------------------------------------- words and numbers


def outcome_label(outcome: str, lang: str) -> str:
    return t(f"outcomes.outcome.{outcome}", lang=lang)


def inline(label: str) -> str:
    """A label inside a sentence: "Medier per elev" -> "medier per elev" (not "LIS-...")."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def format_outcome(outcome: str, value: Any, lang: str) -> str:
    """An outcome value: shares as percentages, the merit value with one decimal."""
    if is_missing(value):
        return MISSING
    if outcome.startswith("share_"):
        return fmt_percent(value, 1, lang=lang)
    return fmt_number(value, 1, lang=lang)


def strength(r: float) -> str:
    """``none``, ``weak``, ``moderate`` or ``strong`` by the size of ``r``."""
    size = abs(float(r))
    for bound, name in STRENGTH_BOUNDS:
        if size < bound:
            return name
    return "strong"


def finding(
    row: Mapping[str, Any], indicator: str, outcome: str, lang: str, *, adjusted: bool
) -> str:
    """One or two sentences stating what the chart shows (the main finding).

    Names the strength and direction of the pupil-weighted correlation, its 95 % interval and
    whether the interval includes zero, and the number of school units and pupils.
    """
    suffix = "_adjusted" if adjusted else ""
    r, low, high = row[f"r{suffix}"], row[f"r{suffix}_low"], row[f"r{suffix}_high"]
    common = {
        "indicator": inline(indicator_label(indicator, lang)),
        "outcome": inline(outcome_label(outcome, lang)),
        "n": fmt_int(row["n_schools"], lang=lang),
        "pupils": fmt_int(row["pupils"], lang=lang),
    }
    if is_missing(r):
        return t("outcomes.finding_missing", lang=lang, min=oc.MIN_SCHOOLS, **common)
    size = strength(r)
    direction = "positive" if r > 0 else "negative"
    key = "outcomes.strength.none" if size == "none" else f"outcomes.strength.{size}.{direction}"
    words = t(key, lang=lang)
    text = t(
        f"outcomes.finding{suffix}",
        lang=lang,
        strength=inline(words) if adjusted else words,  # after "After adjusting for need:"
        r=fmt_number(r, 2, lang=lang),
        low=fmt_number(low, 2, lang=lang),
        high=fmt_number(high, 2, lang=lang),
        **common,
    )
    if is_missing(low) or is_missing(high):
        return text
    note = "outcomes.ci_includes_zero" if low <= 0 <= high else "outcomes.ci_excludes_zero"
    return f"{text} {t(note, lang=lang)}"


def left_out_text(row: Mapping[str, Any], lang: str) -> str:
    """How many school units are left out, and why (empty when none is)."""
    counts = {name: int(row[f"excluded_{name}"]) for name in oc.EXCLUSION_REASONS}
    total = sum(counts.values())
    if total == 0:
        return ""
    parts = [
        t(f"outcomes.excluded.{name}", lang=lang, n=fmt_int(count, lang=lang))
        for name, count in counts.items()
        if count
    ]
    return t("outcomes.left_out", lang=lang, n=fmt_int(total, lang=lang), reasons="; ".join(parts))


def _interval(low: Any, high: Any, decimals: int, lang: str) -> str:
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{fmt_number(low, decimals, lang=lang)} – {fmt_number(high, decimals, lang=lang)}"


def coefficient_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The :func:`associations` table for display: one row per indicator, text in ``lang``.

    Columns: ``indicator`` (label), ``n_schools``, ``r``, ``r_interval``, ``r_adjusted``,
    ``r_adjusted_interval``, ``slope_adjusted``, ``slope_adjusted_interval`` (the slope and its
    interval with the same decimals, more for small slopes).
    """
    slope = table["slope_adjusted"]
    low, high = table["slope_adjusted_low"], table["slope_adjusted_high"]
    return pd.DataFrame(
        {
            "indicator": [indicator_label(name, lang) for name in table["indicator"]],
            "n_schools": table["n_schools"].astype(int).to_numpy(),
            "r": [fmt_number(v, 2, lang=lang) for v in table["r"]],
            "r_interval": [
                _interval(a, b, 2, lang)
                for a, b in zip(table["r_low"], table["r_high"], strict=True)
            ],
            "r_adjusted": [fmt_number(v, 2, lang=lang) for v in table["r_adjusted"]],
            "r_adjusted_interval": [
                _interval(a, b, 2, lang)
                for a, b in zip(table["r_adjusted_low"], table["r_adjusted_high"], strict=True)
            ],
            "slope_adjusted": [
                fmt_number(v, _slope_decimals(v, a, b), lang=lang)
                for v, a, b in zip(slope, low, high, strict=True)
            ],
            "slope_adjusted_interval": [
                _interval(a, b, _slope_decimals(v, a, b), lang)
                for v, a, b in zip(slope, low, high, strict=True)
            ],
        }
    )


def _slope_decimals(*values: Any) -> int:
    """Decimals for slopes: 1 from 10 up, 2 from 0.1 up, else 4 (the largest value decides)."""
    known = [abs(float(v)) for v in values if not is_missing(v)]
    if not known or max(known) >= 10:
        return 1
    return 2 if max(known) >= 0.1 else 4


def position_label(position: str, lang: str) -> str:
    return t(f"outcomes.position.{position}", lang=lang)


def points_table(data: pd.DataFrame, indicator: str, outcome: str, lang: str) -> pd.DataFrame:
    """The points of a chart with the chart's numbers, for "show as table".

    Columns: ``school``, ``library``, ``indicator`` (x), ``outcome`` (y), ``pupils`` and
    ``position`` (in words, in ``lang``); shares (of the indicator or the outcome) are given in
    per cent, as the axes show them.
    """
    x_scale = 100.0 if INDICATORS[indicator].unit.startswith("share") else 1.0
    y_scale = 100.0 if outcome.startswith("share_") else 1.0
    return pd.DataFrame(
        {
            "school": data["label"].to_numpy(),
            "library": [MISSING if is_missing(v) else str(v) for v in data["library_name"]],
            "indicator": data["x"].astype(float).to_numpy() * x_scale,
            "outcome": data["y"].astype(float).to_numpy() * y_scale,
            "pupils": data["pupils"].astype(float).to_numpy(),
            "position": [position_label(p, lang) for p in data["position"]],
        }
    )


def positions_table(data: pd.DataFrame, indicator: str, outcome: str, lang: str) -> pd.DataFrame:
    """School units above or below what their need predicts, beside their library provision.

    Columns: ``school``, ``position``, ``result``, ``predicted``, ``difference``, ``library``,
    ``indicator`` (its value), ordered from furthest above to furthest below.
    """
    shown = data[data["position"] != "expected"].sort_values("z", ascending=False)
    difference = [
        ("+" if v > 0 else "") + format_outcome(outcome, v, lang) for v in shown["residual"]
    ]
    return pd.DataFrame(
        {
            "school": shown["label"].to_numpy(),
            "position": [position_label(p, lang) for p in shown["position"]],
            "result": [
                format_outcome(outcome, v, lang) for v in shown["residual"] + shown["predicted"]
            ],
            "predicted": [format_outcome(outcome, v, lang) for v in shown["predicted"]],
            "difference": difference,
            "library": [MISSING if is_missing(v) else str(v) for v in shown["library_name"]],
            "indicator": [format_value(indicator, v, lang) for v in shown["x"]],
        }
    )


# --------------------------------------------------------------------------- the chart


def scatter_chart(
    data: pd.DataFrame,
    fitted: pd.DataFrame,
    indicator: str,
    outcome: str,
    *,
    lang: str,
    title: str,
    y_title: str,
) -> alt.TopLevelMixin:
    """School units (points sized by pupils) with the fitted line and its 95 % band.

    The indicator is encoded under its own name on the x axis, the outcome under its own name
    on the y axis; the position relative to need is shape and colour (both in the legend).
    """
    labels = {p: position_label(p, lang) for p in oc.POSITIONS}
    domain = [labels[p] for p in oc.POSITIONS]
    table = data.assign(
        position_label=data["position"].map(labels),
        x_text=[format_value(indicator, v, lang) for v in data["x"]],
        y_text=[format_outcome(outcome, v, lang) for v in data["y"]],
        pupils_text=[fmt_int(v, lang=lang) for v in data["pupils"]],
        library_text=[MISSING if is_missing(v) else str(v) for v in data["library_name"]],
    ).rename(columns={"x": indicator, "y": outcome})
    x_axis = alt.Axis(
        title=axis_title(indicator, lang), format=axis_format(indicator) or alt.Undefined
    )
    y_format = ".0%" if outcome.startswith("share_") else alt.Undefined
    y_axis = alt.Axis(title=y_title, format=y_format)
    scale = alt.Scale(zero=False)
    dots = (
        alt.Chart(table)
        .mark_point(filled=True, opacity=0.85)
        .encode(
            x=alt.X(f"{indicator}:Q", axis=x_axis, scale=scale),
            y=alt.Y(f"{outcome}:Q", axis=y_axis, scale=scale),
            size=alt.Size(
                "pupils:Q",
                title=t("outcomes.chart.pupils", lang=lang),
                scale=alt.Scale(range=[40, 400], zero=False),
            ),
            shape=alt.Shape(
                "position_label:N",
                scale=alt.Scale(domain=domain, range=[POSITION_SHAPES[p] for p in oc.POSITIONS]),
                title=t("outcomes.chart.position", lang=lang),
            ),
            color=alt.Color(
                "position_label:N",
                scale=alt.Scale(domain=domain, range=[POSITION_COLOURS[p] for p in oc.POSITIONS]),
                title=t("outcomes.chart.position", lang=lang),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=t("outcomes.chart.school", lang=lang)),
                alt.Tooltip("library_text:N", title=t("outcomes.chart.library", lang=lang)),
                alt.Tooltip("x_text:N", title=indicator_label(indicator, lang)),
                alt.Tooltip("y_text:N", title=y_title),
                alt.Tooltip("pupils_text:N", title=t("outcomes.chart.pupils", lang=lang)),
                alt.Tooltip("position_label:N", title=t("outcomes.chart.position", lang=lang)),
            ],
        )
    )
    layers: list[alt.Chart] = []
    if not fitted.empty:
        band_data = fitted.rename(columns={"x": indicator})
        layers.append(
            alt.Chart(band_data)
            .mark_area(opacity=0.25, color=BAND_COLOUR)
            .encode(x=alt.X(f"{indicator}:Q"), y=alt.Y("low:Q"), y2="high:Q")
        )
        layers.append(
            alt.Chart(band_data)
            .mark_line(color=LINE_COLOUR, strokeWidth=2)
            .encode(x=alt.X(f"{indicator}:Q"), y=alt.Y("fit:Q"))
        )
    chart = alt.layer(*layers, dots).properties(title=title, height=CHART_HEIGHT)
    return localized(chart, lang)


def no_results_years(results_years: Iterable[int]) -> list[int]:
    """Sorted school years that have results (for the "no results this year" hint)."""
    return sorted({int(y) for y in results_years if not pd.isna(y)})


__all__ = [
    "OUTCOMES",
    "SCOPES",
    "analysis_frame",
    "association_row",
    "associations",
    "coefficient_table",
    "finding",
    "format_outcome",
    "in_scope",
    "inline",
    "left_out_text",
    "line",
    "no_results_years",
    "outcome_label",
    "points",
    "points_table",
    "position_label",
    "positions_table",
    "scatter_chart",
    "strength",
]
