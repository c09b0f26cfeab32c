"""Per-library indicators for every library and inventory year.

The input is the analysis frame that :mod:`inventory` hands over
(``library_year_frame``: one row per library and year, documented column names);
the output keeps the identifying columns and adds one column per indicator plus,
for every indicator, a ``<indicator>_reason`` column that says why the value is
missing (``NaN`` / ``<NA>`` where the value is present).

Conventions
-----------
* **Denominator.** Per-pupil figures use ``pupils_served``: the pupils of every
  school unit the library serves, summed (KB's ``Population02``, "number of
  pupils", is the denominator of KB's school-library key figures). A library
  that serves several school units therefore divides by all of their pupils;
  :func:`served_pupils` computes that sum from a school list and the
  library-school links for callers that do not have it yet.
* **Missing is never 0.** A missing input gives a missing indicator with a
  reason such as ``"pupils_served missing"``, ``"no staff hours recorded"`` or
  ``"items is 0"``. A zero denominator gives a missing value (never ``inf``); a
  zero numerator over a positive denominator is a real 0.
* **Sums of parts.** ``staffed_hours`` (the four staff categories),
  ``open_hours_per_week`` (the three open-hour columns) and ``media_cost_sek``
  (physical + e-media) are the sum of the *recorded* parts and missing only when
  no part is recorded; this is the convention of ``library_year_frame`` (pandas
  ``sum(min_count=1)``). Indicators that need one specific part (LIS hours) are
  missing when that part is missing.
* **1 FTE = 40 h/week** (KB ``Arsverke01``), overridable with ``fte_hours``.

Sources
-------
* KB, Sveriges officiella biblioteksstatistik, term definitions
  (https://bibstat.kb.se/def/terms): ``Population02`` (pupils), ``Arsverke01``
  (FTE with LIS education; 1 FTE about 40 h/week), ``Utgift01/02`` (media cost),
  ``Bestand101`` (holdings), ``Open102`` (hours open per week); the key figures in
  ``libris/bibstat`` ``libstat/report_templates.py`` (per pupil, share of LIS FTE).
* KB, Skolbibliotek 2012 survey (``VAR05`` staff hours by category, ``VAR06``
  open hours staffed/unstaffed); textbooks and class sets are excluded from holdings.
* CILIP primary school library guidelines (books per pupil, renewal rate = 10 % of
  stock a year), https://primaryschoollibraryguidelines.org.uk/policy-and-planning/budgets/
* Minnesota MEMO (1999) and Texas (2005) school library standards: collection age
  (median/average age <= 10 years current, <= 15 acceptable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CONTEXT_COLUMNS",
    "FTE_HOURS_PER_WEEK",
    "ID_COLUMNS",
    "INDICATORS",
    "Indicator",
    "indicator_columns",
    "library_indicators",
    "missing_reasons",
    "served_pupils",
]

#: Hours per week in one full-time equivalent (KB ``Arsverke01``).
FTE_HOURS_PER_WEEK = 40.0

#: Identifying columns kept in the output (added as missing when absent from the input).
ID_COLUMNS = (
    "library_id",
    "library_name",
    "year",
    "municipality_code",
    "district",
    "library_kind",
    "location_class",
    "pupils_served",
)

#: Input columns passed through unchanged when present (needed by :mod:`metrics.standards`
#: and :mod:`metrics.need`).
CONTEXT_COLUMNS = (
    "host_school_id",
    "schools_served",
    "school_unit_codes",
    "staffed_hours",
    "hours_lis_librarian",
    "items",
    "catalogue_kind",
    "library_plan_adopted",
    "share_foreign_background",
    "share_parents_post_secondary",
)

STAFF_HOUR_COLUMNS = (
    "hours_lis_librarian",
    "hours_teacher_librarian",
    "hours_assistant",
    "hours_other",
)
OPEN_HOUR_COLUMNS = ("open_hours_staffed_all", "open_hours_staffed_classes", "open_hours_unstaffed")
MEDIA_COST_COLUMNS = ("media_cost_physical_sek", "media_cost_emedia_sek")


@dataclass(frozen=True)
class Indicator:
    """Description of one per-library indicator (for UI and CLI listings).

    Attributes
    ----------
    name : str
        Column name in the output of :func:`library_indicators`.
    label_sv, label_en : str
        Human-readable labels.
    unit : str
        Unit of the value (English).
    higher_is_better : bool
        Direction: ``True`` when a higher value means a better-provided library.
    numerator, denominator : str
        What is divided by what (English; ``denominator`` is ``"-"`` for plain values).
    """

    name: str
    label_sv: str
    label_en: str
    unit: str
    higher_is_better: bool
    numerator: str
    denominator: str


def _ind(*args: object) -> tuple[str, Indicator]:
    indicator = Indicator(*args)  # type: ignore[arg-type]
    return indicator.name, indicator


#: Registry of the indicators, in output order: name -> :class:`Indicator`.
INDICATORS: Mapping[str, Indicator] = dict(
    [
        _ind(
            "staffed_hours_per_week",
            "Bemannade timmar per vecka",
            "Staffed hours per week",
            "hours/week",
            True,
            "staff hours per week, all categories",
            "-",
        ),
        _ind(
            "staffed_hours_per_100_pupils",
            "Bemannade timmar per vecka per 100 elever",
            "Staffed hours per week per 100 pupils",
            "hours/week per 100 pupils",
            True,
            "staff hours per week, all categories × 100",
            "pupils served",
        ),
        _ind(
            "lis_hours_per_100_pupils",
            "Timmar med utbildad bibliotekarie per vecka per 100 elever",
            "LIS-qualified hours per week per 100 pupils",
            "hours/week per 100 pupils",
            True,
            "hours per week of librarians with an LIS degree × 100",
            "pupils served",
        ),
        _ind(
            "staff_fte_per_1000_pupils",
            "Årsverken per 1 000 elever",
            "Staff FTE per 1,000 pupils",
            "FTE per 1,000 pupils",
            True,
            "staff hours per week ÷ 40 (FTE) × 1,000",
            "pupils served",
        ),
        _ind(
            "lis_share_of_staff_hours",
            "Andel av personaltimmarna med utbildad bibliotekarie",
            "Share of staff hours that are LIS-qualified",
            "share (0–1)",
            True,
            "hours per week of librarians with an LIS degree",
            "staff hours per week, all categories",
        ),
        _ind(
            "open_hours_per_week",
            "Öppettimmar per vecka",
            "Open hours per week",
            "hours/week",
            True,
            "open hours per week: staffed for all + staffed for classes + unstaffed",
            "-",
        ),
        _ind(
            "staffed_share_of_open_hours",
            "Bemannad andel av öppettiden",
            "Staffed share of open hours",
            "share (0–1)",
            True,
            "staffed open hours per week (all pupils + classes only)",
            "open hours per week",
        ),
        _ind(
            "items_per_pupil",
            "Medier per elev",
            "Items per pupil",
            "items per pupil",
            True,
            "physical items (textbooks and class sets excluded)",
            "pupils served",
        ),
        _ind(
            "share_items_last_10_years",
            "Andel medier utgivna de senaste 10 åren",
            "Share of items published in the last 10 years",
            "share (0–1)",
            True,
            "physical items published in the last 10 years",
            "physical items",
        ),
        _ind(
            "median_publication_year",
            "Medianutgivningsår",
            "Median publication year",
            "year",
            True,
            "item-weighted median publication year",
            "-",
        ),
        _ind(
            "median_collection_age",
            "Beståndets medianålder",
            "Median collection age",
            "years",
            False,
            "inventory year − median publication year",
            "-",
        ),
        _ind(
            "media_cost_sek_per_pupil",
            "Mediekostnad per elev",
            "Media cost per pupil",
            "SEK per pupil",
            True,
            "media cost SEK (physical + e-media)",
            "pupils served",
        ),
        _ind(
            "acquisitions_per_pupil",
            "Nyförvärv per elev",
            "Acquisitions per pupil",
            "items per pupil",
            True,
            "physical items acquired in the year",
            "pupils served",
        ),
        _ind(
            "renewal_rate",
            "Förnyelsegrad",
            "Renewal rate",
            "share of stock per year",
            True,
            "physical items acquired in the year",
            "physical items",
        ),
        _ind(
            "loans_per_pupil",
            "Utlån per elev",
            "Loans per pupil",
            "loans per pupil",
            True,
            "loans in the year",
            "pupils served",
        ),
        _ind(
            "turnover",
            "Omsättning (utlån per medium)",
            "Turnover (loans per item)",
            "loans per item",
            True,
            "loans in the year",
            "physical items",
        ),
        _ind(
            "area_m2_per_100_pupils",
            "Yta i m² per 100 elever",
            "Area m² per 100 pupils",
            "m² per 100 pupils",
            True,
            "library area m² × 100",
            "pupils served",
        ),
        _ind(
            "seats_per_100_pupils",
            "Sittplatser per 100 elever",
            "Seats per 100 pupils",
            "seats per 100 pupils",
            True,
            "seats × 100",
            "pupils served",
        ),
    ]
)

# name -> (numerator column, denominator column or None, scale); the derived columns
# staffed_hours, open_hours_total, staffed_open_hours and media_cost_sek are built first.
_FORMULAS: dict[str, tuple[str, str | None, float]] = {
    "staffed_hours_per_week": ("staffed_hours", None, 1.0),
    "staffed_hours_per_100_pupils": ("staffed_hours", "pupils_served", 100.0),
    "lis_hours_per_100_pupils": ("hours_lis_librarian", "pupils_served", 100.0),
    "staff_fte_per_1000_pupils": ("staffed_hours", "pupils_served", np.nan),  # scale set at call
    "lis_share_of_staff_hours": ("hours_lis_librarian", "staffed_hours", 1.0),
    "open_hours_per_week": ("open_hours_total", None, 1.0),
    "staffed_share_of_open_hours": ("staffed_open_hours", "open_hours_total", 1.0),
    "items_per_pupil": ("items", "pupils_served", 1.0),
    "share_items_last_10_years": ("items_last_10_years", "items", 1.0),
    "median_publication_year": ("median_publication_year", None, 1.0),
    "median_collection_age": ("median_collection_age", None, 1.0),
    "media_cost_sek_per_pupil": ("media_cost_sek", "pupils_served", 1.0),
    "acquisitions_per_pupil": ("acquisitions", "pupils_served", 1.0),
    "renewal_rate": ("acquisitions", "items", 1.0),
    "loans_per_pupil": ("loans", "pupils_served", 1.0),
    "turnover": ("loans", "items", 1.0),
    "area_m2_per_100_pupils": ("area_m2", "pupils_served", 100.0),
    "seats_per_100_pupils": ("seats", "pupils_served", 100.0),
}

# Reasons for a missing input: column -> (English, Swedish). Generic columns use
# "<column> missing" / "<column> saknas".
_MISSING_TEXT: dict[str, tuple[str, str]] = {
    "staffed_hours": ("no staff hours recorded", "inga personaltimmar registrerade"),
    "open_hours_total": ("no open hours recorded", "inga öppettimmar registrerade"),
    "staffed_open_hours": (
        "no staffed open hours recorded",
        "inga bemannade öppettimmar registrerade",
    ),
    "media_cost_sek": ("no media cost recorded", "ingen mediekostnad registrerad"),
    "median_collection_age": (
        "median_publication_year missing",
        "medianutgivningsår (median_publication_year) saknas",
    ),
}
_ZERO_TEXT: dict[str, tuple[str, str]] = {
    "staffed_hours": ("staffed_hours is 0", "personaltimmar (staffed_hours) är 0"),
    "open_hours_total": ("open hours per week is 0", "öppettimmar per vecka är 0"),
}
_REASON_SEPARATOR = "; "
# Swedish names of the input columns for the Swedish reason texts.
_SV_NAMES: dict[str, str] = {
    "pupils_served": "elevantal (pupils_served)",
    "hours_lis_librarian": "timmar för utbildad bibliotekarie (hours_lis_librarian)",
    "items": "antal medier (items)",
    "items_last_10_years": "medier utgivna de senaste 10 åren (items_last_10_years)",
    "median_publication_year": "medianutgivningsår (median_publication_year)",
    "acquisitions": "nyförvärv (acquisitions)",
    "loans": "utlån (loans)",
    "area_m2": "yta m² (area_m2)",
    "seats": "sittplatser (seats)",
}


def _missing_text(column: str) -> tuple[str, str]:
    sv_name = _SV_NAMES.get(column, column)
    return _MISSING_TEXT.get(column, (f"{column} missing", f"{sv_name} saknas"))


def _zero_text(column: str) -> tuple[str, str]:
    sv_name = _SV_NAMES.get(column, column)
    return _ZERO_TEXT.get(column, (f"{column} is 0", f"{sv_name} är 0"))


def indicator_columns() -> list[str]:
    """Names of the indicator columns, in output order.

    Returns
    -------
    list of str
        The keys of :data:`INDICATORS`.
    """
    return list(INDICATORS)


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as float64 with NaN for missing (all NaN when the column is absent)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    series = frame[column]
    if not pd.api.types.is_numeric_dtype(series):
        series = pd.to_numeric(series, errors="coerce")
    return pd.Series(series.to_numpy(dtype="float64", na_value=np.nan), index=frame.index)


def _sum_parts(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    parts = pd.DataFrame({c: _numeric(frame, c) for c in columns}, index=frame.index)
    return parts.sum(axis=1, min_count=1)


def _join_reasons(index: pd.Index, conditions: list[tuple[np.ndarray, str]]) -> pd.Series:
    """Join the texts whose condition holds with '; '; missing where none holds."""
    text = pd.Series("", index=index, dtype="str")
    for mask, reason in conditions:
        text = text + np.where(mask, reason + _REASON_SEPARATOR, "")
    text = text.str.removesuffix(_REASON_SEPARATOR)
    return text.where(text != "")


def library_indicators(frame: pd.DataFrame, fte_hours: float = FTE_HOURS_PER_WEEK) -> pd.DataFrame:
    """Every per-library indicator for every library and year.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per library and year, as returned by
        ``inventory.repository.library_year_frame``. Required: ``library_id``,
        ``year``. Used when present (an absent input column counts as missing in
        every row): ``pupils_served`` (pupils of all served school units, summed),
        ``hours_lis_librarian``, ``hours_teacher_librarian``, ``hours_assistant``,
        ``hours_other`` and/or ``staffed_hours`` (their sum; computed from the
        parts when absent), ``open_hours_staffed_all``,
        ``open_hours_staffed_classes``, ``open_hours_unstaffed``, ``items``,
        ``items_last_10_years``, ``median_publication_year``, ``acquisitions``,
        ``media_cost_sek`` (or ``media_cost_physical_sek`` +
        ``media_cost_emedia_sek``), ``loans``, ``area_m2``, ``seats``. The id
        columns :data:`ID_COLUMNS` and context columns :data:`CONTEXT_COLUMNS`
        are passed through.
    fte_hours : float, default 40
        Hours per week in one FTE.

    Returns
    -------
    pandas.DataFrame
        Same row order and index as ``frame``. Columns: :data:`ID_COLUMNS` (missing
        when absent from the input), the :data:`CONTEXT_COLUMNS` that are present,
        the indicator columns of :data:`INDICATORS` (float64, ``NaN`` when
        missing, never ``inf``) and, for each indicator ``x``, ``x_reason``
        (English text, ``NaN`` when the value is present; several reasons are
        joined with ``"; "``). :func:`missing_reasons` turns the reasons into a
        long table with Swedish and English texts.

    Raises
    ------
    KeyError
        If ``library_id`` or ``year`` is missing.
    ValueError
        If ``fte_hours`` is not positive.

    Examples
    --------
    >>> f = pd.DataFrame({"library_id": [1, 2], "year": [2024, 2024],
    ...                   "pupils_served": [200, 0], "hours_lis_librarian": [20, 10],
    ...                   "hours_teacher_librarian": [10, None]})
    >>> out = library_indicators(f)
    >>> out["staffed_hours_per_100_pupils"].tolist()
    [15.0, nan]
    >>> out["staffed_hours_per_100_pupils_reason"].tolist()
    [nan, 'pupils_served is 0']
    """
    for required in ("library_id", "year"):
        if required not in frame.columns:
            raise KeyError(f"library_indicators: the frame has no column {required!r}")
    if not fte_hours > 0:
        raise ValueError(f"fte_hours must be positive, got {fte_hours}")

    data: dict[str, pd.Series] = {}
    for column in (
        "pupils_served",
        "hours_lis_librarian",
        "items",
        "items_last_10_years",
        "median_publication_year",
        "acquisitions",
        "loans",
        "area_m2",
        "seats",
    ):
        data[column] = _numeric(frame, column)
    if "staffed_hours" in frame.columns:
        data["staffed_hours"] = _numeric(frame, "staffed_hours")
    else:
        data["staffed_hours"] = _sum_parts(frame, STAFF_HOUR_COLUMNS)
    if "media_cost_sek" in frame.columns:
        data["media_cost_sek"] = _numeric(frame, "media_cost_sek")
    else:
        data["media_cost_sek"] = _sum_parts(frame, MEDIA_COST_COLUMNS)
    data["open_hours_total"] = _sum_parts(frame, OPEN_HOUR_COLUMNS)
    data["staffed_open_hours"] = _sum_parts(frame, OPEN_HOUR_COLUMNS[:2])
    data["median_collection_age"] = _numeric(frame, "year") - data["median_publication_year"]

    out = pd.DataFrame(index=frame.index)
    for column in ID_COLUMNS:
        out[column] = frame[column] if column in frame.columns else pd.NA
    for column in CONTEXT_COLUMNS:
        if column in frame.columns:
            out[column] = frame[column]

    values: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    for name, (num_col, den_col, scale) in _FORMULAS.items():
        if name == "staff_fte_per_1000_pupils":
            scale = 1000.0 / fte_hours
        numerator = data[num_col]
        conditions = [(numerator.isna().to_numpy(), _missing_text(num_col)[0])]
        if den_col is None:
            value = numerator * scale
        else:
            denominator = data[den_col]
            den_missing = denominator.isna().to_numpy()
            den_zero = (denominator == 0).to_numpy()
            conditions += [
                (den_missing, _missing_text(den_col)[0]),
                (den_zero, _zero_text(den_col)[0]),
            ]
            usable = denominator.where(denominator != 0)
            value = numerator / usable * scale
        values[name] = value.astype("float64")
        reasons[f"{name}_reason"] = _join_reasons(frame.index, conditions)
    out = pd.concat([out, pd.DataFrame(values), pd.DataFrame(reasons)], axis=1)
    return out


def missing_reasons(indicators: pd.DataFrame) -> pd.DataFrame:
    """Long table of the missing indicator values and why they are missing.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Output of :func:`library_indicators` (needs ``library_id``, ``year`` and the
        ``<indicator>_reason`` columns).

    Returns
    -------
    pandas.DataFrame
        One row per library, year and missing indicator: ``library_id``, ``year``,
        ``indicator``, ``reason_en``, ``reason_sv`` (several reasons joined with
        ``"; "``), sorted by year, library and indicator order.
    """
    reason_columns = [f"{name}_reason" for name in INDICATORS if f"{name}_reason" in indicators]
    long = indicators[["library_id", "year", *reason_columns]].melt(
        id_vars=["library_id", "year"], var_name="indicator", value_name="reason_en"
    )
    long = long[long["reason_en"].notna()].copy()
    long["indicator"] = long["indicator"].str.removesuffix("_reason")
    long["reason_sv"] = long["reason_en"].map(swedish_reasons(long["reason_en"]))
    order = {name: i for i, name in enumerate(INDICATORS)}
    long["_order"] = long["indicator"].map(order)
    long = long.sort_values(["year", "library_id", "_order"], kind="stable")
    return long.drop(columns="_order").reset_index(drop=True)


def swedish_reasons(texts: Iterable[str]) -> dict[str, str]:
    """English reason text -> Swedish, for each distinct text (joined reasons part by part)."""
    translation = _reason_translation()
    return {
        text: _REASON_SEPARATOR.join(
            translation.get(part, part) for part in text.split(_REASON_SEPARATOR)
        )
        for text in pd.unique(pd.Series(list(texts), dtype=object).dropna())
    }


def _reason_translation() -> dict[str, str]:
    columns = {c for formula in _FORMULAS.values() for c in formula[:2] if c is not None}
    table = {}
    for column in columns:
        for en, sv in (_missing_text(column), _zero_text(column)):
            table[en] = sv
    return table


def served_pupils(schools: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Pupils served per library and year: the pupils of all linked school units, summed.

    Parameters
    ----------
    schools : pandas.DataFrame
        One row per school unit and year with ``school_id``, ``school_unit_code``,
        ``year`` and ``pupils_total`` (missing allowed).
    links : pandas.DataFrame
        Library-school links with ``library_id`` and ``school_id`` (one row per
        served school unit; a school may be served by several libraries).

    Returns
    -------
    pandas.DataFrame
        ``library_id``, ``year``, ``schools_served`` (linked school units with a row
        that year), ``school_unit_codes`` (comma-separated, sorted),
        ``pupils_served`` (sum of the known counts; missing when no linked school
        has a count, as in ``library_year_frame``) and
        ``schools_missing_pupils`` (linked schools whose count is missing, so the
        sum is a lower bound when this is > 0).
    """
    merged = links[["library_id", "school_id"]].merge(
        schools[["school_id", "school_unit_code", "year", "pupils_total"]],
        on="school_id",
        how="inner",
    )
    merged["pupils_total"] = _numeric(merged, "pupils_total")
    merged["missing"] = merged["pupils_total"].isna().astype(int)
    merged["school_unit_code"] = merged["school_unit_code"].astype(str)
    merged = merged.sort_values(["library_id", "year", "school_unit_code"])
    grouped = merged.groupby(["library_id", "year"], sort=True)
    result = pd.DataFrame(
        {
            "schools_served": grouped.size(),
            "school_unit_codes": grouped["school_unit_code"].agg(",".join),
            "pupils_served": grouped["pupils_total"].sum(min_count=1),
            "schools_missing_pupils": grouped["missing"].sum(),
        }
    )
    return result.reset_index()
