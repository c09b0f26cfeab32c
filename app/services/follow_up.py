"""Figures for the follow-up page (Uppföljning): pure pandas over the repository frames.

Three parts, all over the years on record:

* **Indicator trends**: one indicator of :mod:`metrics.indicators` per library and year, the
  municipality's pupil-weighted mean (every pupil carries the value of the library that serves
  it, ARCHITECTURE.md) and the change from the previous year
  (:func:`metrics.trends.indicator_trends`).
* **Equity trends**: the Gini coefficient, McLoone index, coefficient of variation and federal
  range ratio of the indicator per year (:func:`metrics.need.equity_table`, pupil-weighted,
  optionally need-adjusted) and whether disparity grew or shrank
  (:func:`metrics.trends.equity_trends`, which knows that a *lower* McLoone is more unequal).
* **Regional resource centre** statistics per municipality (the regional comparison) and per
  school unit, as counts or per 100 pupils; and **survey** results by respondent role.

Surveys: Likert means and distributions of a group with fewer than :data:`MIN_RESPONDENTS`
answers are suppressed, so that one principal's answers cannot be read off the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from app.components.text import inline
from app.i18n import fmt_int, fmt_number, fmt_percent, t
from metrics.equity import equity_summary
from metrics.indicators import INDICATORS, library_indicators
from metrics.need import VERTICAL_PREFIX, NeedParams, equity_table, need_weight
from metrics.trends import equity_trends, indicator_trends

#: Equity statistics followed over the years (names of ``metrics.equity.equity_summary``).
EQUITY_STATISTICS: tuple[str, ...] = (
    "gini",
    "mcloone",
    "coefficient_of_variation",
    "federal_range_ratio",
)
#: Resource centre measures (columns of ``resource_centre_years``).
RESOURCE_MEASURES: tuple[str, ...] = (
    "av_media_loans",
    "technology_loans",
    "training_participants",
    "training_hours",
)
DEFAULT_INDICATOR = "staffed_hours_per_100_pupils"
#: Smallest group of respondents whose Likert figures are shown.
MIN_RESPONDENTS = 3
ALL_ROLES = "all"
#: Respondent roles in display order, then the whole group.
ROLE_ORDER: tuple[str, ...] = ("pupil", "teacher", "principal", "librarian", ALL_ROLES)
LIKERT_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Diverging, colour-blind safe Likert colours: vermilion/orange (disagree), grey, blues (agree).
LIKERT_COLOURS: tuple[str, ...] = ("#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2")
#: Okabe-Ito colours for a few lines; with more lines every line is drawn in one colour.
LINE_COLOURS: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
#: Dash patterns of those lines (solid first), so that a line is told apart without colour.
LINE_DASHES: tuple[list[int], ...] = (
    [1, 0],
    [6, 3],
    [2, 2],
    [8, 3, 2, 3],
    [1, 3],
    [10, 4],
    [4, 2, 1, 2],
)
#: Vega number locale for Swedish axis labels (decimal comma, non-breaking space).
SWEDISH_VEGA_LOCALE: dict[str, Any] = {
    "number": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", " kr"]}
}


def vega_locale(lang: str) -> dict[str, Any] | None:
    """The Vega number locale for chart axes in ``lang`` (``None``: Vega's English default)."""
    return SWEDISH_VEGA_LOCALE if lang == "sv" else None


def is_share(indicator: str) -> bool:
    """Whether the indicator is a share 0..1 (shown as a percentage)."""
    return INDICATORS[indicator].unit.startswith("share")


# --------------------------------------------------------------------------- indicator trends


def indicator_frame(library_years: pd.DataFrame) -> pd.DataFrame:
    """:func:`metrics.indicators.library_indicators` of a ``library_year_frame`` (all years)."""
    if library_years.empty:
        return library_indicators(library_years.reindex(columns=["library_id", "year"]))
    return library_indicators(library_years)


def indicator_series(indicators: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One row per library and year with a value: ``library_id``, ``library_name``, ``year``,
    ``pupils_served`` and the indicator under its own name; by year, then library name."""
    rows = indicators.dropna(subset=[indicator])
    return (
        rows[["library_id", "library_name", "year", "pupils_served", indicator]]
        .sort_values(["year", "library_name"], kind="stable")
        .reset_index(drop=True)
    )


def municipal_mean(indicators: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Pupil-weighted mean of the indicator per year over the libraries given.

    Every pupil carries the value of the library that serves it: the mean of
    :func:`metrics.equity.equity_summary` weighted by ``pupils_served``. Libraries without a
    value or without pupils are left out. Returns ``year``, the indicator (the mean),
    ``libraries`` (libraries counted) and ``pupils``; years with nothing to count are left out.
    """
    rows = []
    for year, group in indicators.groupby("year", sort=True):
        values = pd.to_numeric(group[indicator], errors="coerce").astype(float)
        pupils = pd.to_numeric(group["pupils_served"], errors="coerce").astype(float)
        usable = values.notna() & pupils.notna() & (pupils > 0)
        if not usable.any():
            continue
        summary = equity_summary(values[usable], pupils[usable])
        rows.append(
            {
                "year": int(year),
                indicator: summary["mean"],
                "libraries": int(summary["n"]),
                "pupils": summary["total_weight"],
            }
        )
    return pd.DataFrame(rows, columns=["year", indicator, "libraries", "pupils"])


def format_indicator(indicator: str, value: Any, lang: str) -> str:
    """An indicator value as in the trend chart's tooltip: shares as percentages with one
    decimal, other values with two."""
    if is_share(indicator):
        return fmt_percent(value, 1, lang=lang)
    return fmt_number(value, 2, lang=lang)


def _indicator_label(indicator: str, lang: str) -> str:
    meta = INDICATORS[indicator]
    return meta.label_sv if lang == "sv" else meta.label_en


def trend_table(
    series: pd.DataFrame, mean: pd.DataFrame, indicator: str, mean_label: str
) -> pd.DataFrame:
    """The numbers of the trend chart: one row per library and year (:func:`indicator_series`)
    and one per year for the municipal mean (:func:`municipal_mean`, named ``mean_label``).

    Returns ``series`` (library name or ``mean_label``), ``year`` and ``value``; shares are
    given in per cent (0–100), as the chart's axis shows them. Pass an empty ``series`` when
    the chart shows the mean only.
    """
    scale = 100.0 if is_share(indicator) else 1.0
    libraries = pd.DataFrame(
        {
            "series": series["library_name"].astype(str).to_numpy(),
            "year": series["year"].astype(int).to_numpy(),
            "value": series[indicator].astype(float).to_numpy() * scale,
        }
    )
    means = pd.DataFrame(
        {
            "series": mean_label,
            "year": mean["year"].astype(int).to_numpy(),
            "value": mean[indicator].astype(float).to_numpy() * scale,
        }
    )
    return pd.concat([libraries, means], ignore_index=True)


def trend_finding(mean: pd.DataFrame, indicator: str, lang: str) -> str:
    """The trend chart's finding: the municipal mean in the first and the last year on record
    (:func:`municipal_mean`); empty without a mean."""
    if mean.empty:
        return ""
    label = inline(_indicator_label(indicator, lang))
    first, last = mean.iloc[0], mean.iloc[-1]
    if len(mean) == 1:
        return t(
            "follow_up.trend_finding_one",
            lang=lang,
            indicator=label,
            value=format_indicator(indicator, first[indicator], lang),
            year=int(first["year"]),
        )
    return t(
        "follow_up.trend_finding",
        lang=lang,
        indicator=label,
        first=format_indicator(indicator, first[indicator], lang),
        first_year=int(first["year"]),
        last=format_indicator(indicator, last[indicator], lang),
        last_year=int(last["year"]),
    )


def indicator_changes(indicators: pd.DataFrame, indicator: str, year: int) -> pd.DataFrame:
    """Change of the indicator per library from the previous year on record to ``year``.

    :func:`metrics.trends.indicator_trends` rows of ``year`` with the library name:
    ``library_id``, ``library_name``, ``previous_year``, ``previous_value``, ``value``,
    ``change``, ``relative_change``, ``improved`` (missing when a value is missing). Libraries
    without an earlier year on record are left out. Sorted by library name.
    """
    columns = [
        "library_id",
        "library_name",
        "previous_year",
        "previous_value",
        "value",
        "change",
        "relative_change",
        "improved",
    ]
    if indicators.empty:
        return pd.DataFrame(columns=columns)
    trends = indicator_trends(indicators, [indicator])
    trends = trends[trends["year"] == year]
    names = indicators.drop_duplicates("library_id", keep="last")[["library_id", "library_name"]]
    result = trends.merge(names, on="library_id", how="left")
    return (
        result.sort_values(["library_name", "library_id"], kind="stable")
        .reindex(columns=columns)
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- equity trends


def equity_by_year(
    indicators: pd.DataFrame,
    indicator: str,
    need_adjusted: bool = False,
    params: NeedParams | None = None,
) -> pd.DataFrame:
    """The equity statistics of the indicator per year (pupil-weighted).

    Parameters
    ----------
    indicators
        :func:`indicator_frame` of the libraries to compare, all years.
    indicator
        Indicator column.
    need_adjusted
        Use the need-adjusted values (value ÷ need weight of :func:`metrics.need.need_weight`
        from the libraries' pupil-weighted socio-economic shares; weights pupils).
    params
        Need-weight formula; default :class:`metrics.need.NeedParams`.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``indicator``, ``year``, :data:`EQUITY_STATISTICS`, ``n``
        (libraries counted) and ``reason`` (why the statistics are missing, else missing).
    """
    columns = ["indicator", "year", *EQUITY_STATISTICS, "n", "reason"]
    rows = []
    for year, group in indicators.groupby("year", sort=True):
        if need_adjusted:
            weights = need_weight(
                _shares(group, "share_foreign_background"),
                _shares(group, "share_parents_post_secondary"),
                params,
            )["need_weight"].to_numpy()
            table = equity_table(group, [indicator], need_weights=weights)
            prefix = VERTICAL_PREFIX
        else:
            table = equity_table(group, [indicator])
            prefix = ""
        row = table.iloc[0]
        record = {"indicator": indicator, "year": int(year), "reason": row["reason"]}
        for statistic in (*EQUITY_STATISTICS, "n"):
            record[statistic] = row[prefix + statistic]
        rows.append(record)
    frame = pd.DataFrame(rows, columns=columns)
    for statistic in EQUITY_STATISTICS:
        frame[statistic] = frame[statistic].astype("float64")
    return frame


def _shares(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def equity_changes(equity: pd.DataFrame) -> pd.DataFrame:
    """:func:`metrics.trends.equity_trends` of :func:`equity_by_year` (the statistics only)."""
    wide = equity[["indicator", "year", *EQUITY_STATISTICS]]
    return equity_trends(wide)


def disparity_verdicts(changes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Whether disparity grew or shrank from the previous year on record to ``year``.

    Returns one row per statistic of :data:`EQUITY_STATISTICS` that has an earlier year:
    ``statistic``, ``previous_year``, ``previous_value``, ``value``, ``change`` and
    ``verdict``: ``"grew"`` (the statistic moved towards more inequality: higher Gini, CV and
    federal range ratio, lower McLoone), ``"shrank"``, ``"unchanged"`` or ``"unknown"`` (a
    value is missing or not finite).
    """
    rows = changes[(changes["year"] == year) & changes["statistic"].isin(EQUITY_STATISTICS)]
    verdict = []
    for change, grew in zip(rows["change"], rows["disparity_grew"], strict=True):
        if pd.isna(change) or not np.isfinite(change) or pd.isna(grew):
            verdict.append("unknown")
        elif change == 0:
            verdict.append("unchanged")
        else:
            verdict.append("grew" if bool(grew) else "shrank")
    result = rows[["statistic", "previous_year", "previous_value", "value", "change"]].copy()
    result["verdict"] = verdict
    order = {s: i for i, s in enumerate(EQUITY_STATISTICS)}
    result["_order"] = result["statistic"].map(order)
    return result.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def equity_long(equity: pd.DataFrame) -> pd.DataFrame:
    """:func:`equity_by_year` in long form for charts: ``year``, ``statistic``, ``value``
    (finite values only: an infinite ratio cannot be drawn)."""
    long = equity.melt(id_vars=["year"], value_vars=list(EQUITY_STATISTICS), var_name="statistic")
    long = long[np.isfinite(long["value"].astype(float))]
    return long.reset_index(drop=True)


def equity_chart_table(equity: pd.DataFrame) -> pd.DataFrame:
    """The numbers of the equity chart: :func:`equity_by_year`'s ``year``, statistics and
    ``n``, with the values the chart cannot draw (infinite ratios) missing, as in the chart."""
    table = equity[["year", *EQUITY_STATISTICS, "n"]].copy()
    for statistic in EQUITY_STATISTICS:
        values = table[statistic].astype(float)
        table[statistic] = values.where(np.isfinite(values))
    return table.reset_index(drop=True)


def equity_finding(equity: pd.DataFrame, lang: str) -> str:
    """The equity chart's finding: each statistic in the first and the last year on record
    that has it (finite values only, as drawn); empty when nothing can be drawn."""
    table = equity_chart_table(equity)
    parts, years = [], set()
    for statistic in EQUITY_STATISTICS:
        known = table[table[statistic].notna()]
        if known.empty:
            continue
        first, last = known.iloc[0], known.iloc[-1]
        years |= {int(first["year"]), int(last["year"])}
        name = t(f"follow_up.statistic.{statistic}", lang=lang)
        if len(known) == 1:
            parts.append(
                t(
                    "follow_up.equity_finding_part_one",
                    lang=lang,
                    statistic=name,
                    value=fmt_number(first[statistic], 3, lang=lang),
                    year=int(first["year"]),
                )
            )
        else:
            parts.append(
                t(
                    "follow_up.equity_finding_part",
                    lang=lang,
                    statistic=name,
                    first=fmt_number(first[statistic], 3, lang=lang),
                    first_year=int(first["year"]),
                    last=fmt_number(last[statistic], 3, lang=lang),
                    last_year=int(last["year"]),
                )
            )
    if not parts:
        return ""
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- resource centre


def pupils_by(schools: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``pupils`` summed over a ``school_frame`` by ``keys`` (missing when none is known)."""
    pupils = pd.to_numeric(schools["pupils_total"], errors="coerce").astype("float64")
    grouped = schools.assign(pupils=pupils).groupby(list(keys), sort=True)["pupils"]
    return grouped.sum(min_count=1).reset_index()


def _per_100(frame: pd.DataFrame) -> pd.DataFrame:
    pupils = pd.to_numeric(frame["pupils"], errors="coerce").astype("float64")
    usable = pupils.where(pupils > 0)
    for measure in RESOURCE_MEASURES:
        value = pd.to_numeric(frame[measure], errors="coerce").astype("float64")
        frame[f"{measure}_per_100_pupils"] = value / usable * 100
    return frame


def municipality_activity(centre: pd.DataFrame, pupils: pd.DataFrame | None = None) -> pd.DataFrame:
    """Resource centre statistics per municipality and year, for the regional comparison.

    A municipality-level row (``level == "municipality"``) is the municipality's figure; where
    a municipality has only school-level rows for a year, their sum is used
    (``source == "schools"``; a measure missing in every school row stays missing).

    Parameters
    ----------
    centre
        ``resource_centre_years`` (all municipalities).
    pupils
        ``municipality_code``, ``year``, ``pupils`` (e.g. :func:`pupils_by` over a
        ``school_frame``), for the per-100-pupil columns; optional.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``municipality_name``, ``fictional``, ``year``, ``source``,
        :data:`RESOURCE_MEASURES`, ``pupils`` and ``<measure>_per_100_pupils``; sorted by
        year and municipality code.
    """
    keys = ["municipality_code", "municipality_name", "fictional", "year"]
    own = centre[centre["level"] == "municipality"][[*keys, *RESOURCE_MEASURES]]
    own = own.assign(source="municipality")
    schools = centre[centre["level"] == "school"]
    summed = (
        schools.groupby(keys, sort=True)[list(RESOURCE_MEASURES)]
        .sum(min_count=1)
        .reset_index()
        .assign(source="schools")
    )
    have = set(zip(own["municipality_code"], own["year"], strict=True))
    summed = summed[
        [
            (code, year) not in have
            for code, year in zip(summed["municipality_code"], summed["year"], strict=True)
        ]
    ]
    frame = pd.concat([own, summed], ignore_index=True)
    if pupils is not None and not pupils.empty:
        frame = frame.merge(
            pupils[["municipality_code", "year", "pupils"]],
            on=["municipality_code", "year"],
            how="left",
        )
    else:
        frame["pupils"] = np.nan
    frame = _per_100(frame)
    columns = [*keys[:3], "year", "source", *RESOURCE_MEASURES, "pupils"]
    columns += [f"{m}_per_100_pupils" for m in RESOURCE_MEASURES]
    return (
        frame.sort_values(["year", "municipality_code"], kind="stable")
        .reindex(columns=columns)
        .reset_index(drop=True)
    )


def centre_finding(
    regional: pd.DataFrame, column: str, municipality: str, year: int, measure: str, lang: str
) -> str:
    """The regional chart's finding: the municipality's value of ``column`` in ``year`` and its
    place among the municipalities with a value that year (highest first).

    ``regional`` is :func:`municipality_activity` (the name comes from its rows); ``measure``
    the translated name of ``column``.
    """
    rows = regional[regional["year"] == year].dropna(subset=[column])
    names = regional.loc[regional["municipality_code"] == municipality, "municipality_name"]
    name = str(names.iloc[0]) if len(names) else municipality
    own = rows[rows["municipality_code"] == municipality]
    if own.empty:
        return t(
            "follow_up.centre_finding_missing",
            lang=lang,
            municipality=name,
            measure=inline(measure),
            year=year,
        )
    value = float(own[column].iloc[0])
    rank = int((rows[column].astype(float) > value).sum()) + 1
    # counts are whole numbers; hours have one decimal and values per 100 pupils two
    decimals = 2 if column.endswith("_per_100_pupils") else int(column == "training_hours")
    return t(
        "follow_up.centre_finding",
        lang=lang,
        measure=measure,
        municipality=name,
        value=fmt_number(value, decimals, lang=lang),
        year=year,
        rank=fmt_int(rank, lang=lang),
        n=fmt_int(len(rows), lang=lang),
    )


def school_activity(
    centre: pd.DataFrame, municipality: str, pupils: pd.DataFrame | None = None
) -> pd.DataFrame:
    """School-level resource centre rows of one municipality.

    ``pupils`` (``school_unit_code``, ``year``, ``pupils``) adds the per-100-pupil columns.
    Returns ``school_id``, ``school_unit_code``, ``school_name``, ``year``,
    :data:`RESOURCE_MEASURES`, ``pupils`` and ``<measure>_per_100_pupils``, sorted by school
    name and year.
    """
    rows = centre[(centre["level"] == "school") & (centre["municipality_code"] == municipality)]
    frame = rows[["school_id", "school_unit_code", "school_name", "year", *RESOURCE_MEASURES]]
    if pupils is not None and not pupils.empty:
        frame = frame.merge(
            pupils[["school_unit_code", "year", "pupils"]],
            on=["school_unit_code", "year"],
            how="left",
        )
    else:
        frame = frame.assign(pupils=np.nan)
    frame = _per_100(frame.copy())
    frame = frame.sort_values(["school_name", "school_unit_code", "year"], kind="stable")
    return frame.reset_index(drop=True)


def school_pivot(activity: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per school unit, one column per year (as text) with ``column``'s values."""
    if activity.empty:
        return pd.DataFrame(columns=["school_name", "school_unit_code"])
    keys = ["school_name", "school_unit_code", "year"]
    wide = activity.set_index(keys)[column].unstack("year")
    wide.columns = [str(int(c)) for c in wide.columns]
    return wide.reset_index()


# --------------------------------------------------------------------------- surveys


def _likert(answers: pd.DataFrame) -> pd.DataFrame:
    rows = answers[(answers["question_kind"] == "likert") & answers["likert_value"].notna()]
    return rows.assign(likert_value=rows["likert_value"].astype(int))


def _with_all_roles(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([rows, rows.assign(respondent_role=ALL_ROLES)], ignore_index=True)


def likert_summary(answers: pd.DataFrame, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """Likert mean per question and respondent role, and for all roles together.

    Parameters
    ----------
    answers
        ``survey_answers`` of one survey (any kinds; text answers are ignored).
    min_respondents
        Groups with fewer answers get ``suppressed`` True and no mean.

    Returns
    -------
    pandas.DataFrame
        ``question_id``, ``question_code``, ``question_sv``, ``question_en``,
        ``respondent_role`` (a role or :data:`ALL_ROLES`), ``respondents`` (answers given),
        ``mean`` (1..5; missing when suppressed), ``suppressed``; by question, then
        :data:`ROLE_ORDER`.
    """
    keys = ["question_id", "question_code", "question_sv", "question_en", "respondent_role"]
    rows = _with_all_roles(_likert(answers))
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "respondents", "mean", "suppressed"])
    summary = (
        rows.groupby(keys, sort=False, dropna=False)["likert_value"]
        .agg(respondents="size", mean="mean")
        .reset_index()
    )
    summary["suppressed"] = summary["respondents"] < min_respondents
    summary["mean"] = summary["mean"].where(~summary["suppressed"])
    order = {r: i for i, r in enumerate(ROLE_ORDER)}
    # a role not in ROLE_ORDER goes after the known roles, before "all"
    summary["_order"] = summary["respondent_role"].map(order).fillna(len(order) - 1.5)
    return (
        summary.sort_values(["question_id", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def likert_distribution(
    answers: pd.DataFrame, question_id: int, min_respondents: int = MIN_RESPONDENTS
) -> pd.DataFrame:
    """How one question was answered, per role and for all: every value 1..5 with its count
    and share of the group's answers. Groups below ``min_respondents`` are left out.

    Returns ``respondent_role``, ``likert_value``, ``count``, ``share``, ``respondents``.
    """
    rows = _with_all_roles(_likert(answers[answers["question_id"] == question_id]))
    columns = ["respondent_role", "likert_value", "count", "share", "respondents"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    counts = (
        rows.groupby(["respondent_role", "likert_value"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(LIKERT_VALUES), fill_value=0)
    )
    totals = counts.sum(axis=1)
    counts = counts[totals >= min_respondents]
    long = counts.stack().rename("count").reset_index()
    long["respondents"] = long["respondent_role"].map(totals)
    long["share"] = long["count"] / long["respondents"]
    order = {r: i for i, r in enumerate(ROLE_ORDER)}
    long["_order"] = long["respondent_role"].map(order)
    long = long.sort_values(["_order", "likert_value"], kind="stable")
    return long[columns].reset_index(drop=True)


def likert_finding(distribution: pd.DataFrame, lang: str) -> str:
    """The Likert chart's finding: of all answers to the question, the share that agree (4 or
    5) and that disagree (1 or 2). ``distribution`` is :func:`likert_distribution`; empty when
    the whole group is left out."""
    rows = distribution[distribution["respondent_role"] == ALL_ROLES]
    if rows.empty:
        return ""
    total = int(rows["respondents"].iloc[0])
    agree = int(rows.loc[rows["likert_value"] >= 4, "count"].sum())
    disagree = int(rows.loc[rows["likert_value"] <= 2, "count"].sum())
    return t(
        "follow_up.likert_finding",
        lang=lang,
        respondents=fmt_int(total, lang=lang),
        agree=fmt_percent(agree / total, lang=lang),
        disagree=fmt_percent(disagree / total, lang=lang),
    )


def text_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Non-blank free-text answers: ``question_id``, ``question_code``, ``question_sv``,
    ``question_en``, ``respondent_role``, ``text_value`` (stripped), by question and role.

    The text is returned as written; show it as plain text (``st.dataframe``), never as
    Markdown or HTML.
    """
    columns = [
        "question_id",
        "question_code",
        "question_sv",
        "question_en",
        "respondent_role",
        "text_value",
    ]
    rows = answers[answers["question_kind"] == "text"]
    text = rows["text_value"].astype("string").str.strip()
    rows = rows.assign(text_value=text)[text.notna() & (text != "")]
    order = {r: i for i, r in enumerate(ROLE_ORDER)}
    rows = rows.assign(_order=rows["respondent_role"].map(order))
    return (
        rows.sort_values(["question_id", "_order"], kind="stable")
        .reindex(columns=columns)
        .reset_index(drop=True)
    )
