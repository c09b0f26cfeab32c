"""Figures for the overview page: pure pandas over the repository frames, no Streamlit.

Conventions (ARCHITECTURE.md, "Indicators"): the denominator is the pupils a library serves;
where a library serves several school units their pupils are summed, and every school unit (and
so every pupil) carries the value of the library that serves it. KPIs are pupil-weighted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.components.text import inline
from app.i18n import MISSING, fmt_int, fmt_number, fmt_percent, is_missing, t
from inventory.models import LibraryKind
from metrics.equity import equity_summary
from metrics.equity import gini as equity_gini
from metrics.indicators import INDICATORS, library_indicators
from metrics.standards import (
    reference_value,
    school_checks,
    stage_items_per_pupil_bound,
    standards_score,
)

#: KB's threshold for a staffed school library (hours per week).
STAFFED_THRESHOLD_HOURS = 20.0
#: Library kinds that are not a library (a placeholder for "no library").
NOT_A_LIBRARY = ("none",)

SCHOOL_TABLE_COLUMNS = [
    "school_id",
    "school_name",
    "school_unit_code",
    "district",
    "stages",
    "organiser_type",
    "organiser",
    "pupils",
    "library_id",
    "library_name",
    "library_kind",
    "staffed_hours",
    "staffed_hours_per_100_pupils",
    "items_per_pupil",
    "x",
    "y",
]

LIBRARY_TABLE_COLUMNS = [
    "library_id",
    "library_name",
    "library_kind",
    "location_class",
    "district",
    "schools_served",
    "school_unit_codes",
    "pupils_served",
    "staffed_hours",
    "hours_lis_librarian",
    "staffed_hours_per_100_pupils",
    "items",
    "items_per_pupil",
    "x",
    "y",
]


def _ids(values: pd.Series) -> np.ndarray:
    """Library ids as float64 (NaN when missing), for positional lookups."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def lookup_indicators(
    indicators: pd.DataFrame, library_ids: pd.Series, columns: list[str]
) -> pd.DataFrame:
    """``columns`` of ``indicators`` (one row per library) for each id in ``library_ids``.

    Returns float columns (NaN where the id is missing or unknown) aligned with
    ``library_ids``'s index. A positional lookup rather than a merge: this runs on every
    rerun, against the indicators of every library of the country.
    """
    table = indicators.drop_duplicates("library_id")
    positions = pd.Index(_ids(table["library_id"])).get_indexer(_ids(library_ids))
    found = positions >= 0
    out = pd.DataFrame(index=library_ids.index)
    for column in columns:
        source = pd.to_numeric(table[column], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        values = np.full(len(positions), np.nan)
        values[found] = source[positions[found]]
        out[column] = values
    return out


def library_table(libraries: pd.DataFrame, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per library of a ``library_year_frame`` (one year) with per-pupil indicators.

    Adds ``staffed_hours_per_100_pupils`` (staffed hours per week per 100 pupils served) and
    ``items_per_pupil`` (physical items per pupil served) from
    :func:`metrics.indicators.library_indicators` (pass ``indicators`` when already computed
    for the year, for these libraries or more); both are missing when the library serves no
    counted pupils.
    """
    if indicators is None:
        indicators = library_indicators(libraries)
    columns = ["staffed_hours_per_100_pupils", "items_per_pupil"]
    frame = libraries.drop(columns=columns, errors="ignore").copy()
    values = lookup_indicators(indicators, frame["library_id"], columns)
    for column in columns:
        frame[column] = values[column]
    frame["library_id"] = frame["library_id"].astype("Int64")
    frame["pupils_served"] = pd.to_numeric(frame["pupils_served"], errors="coerce").astype("Int64")
    return frame.reindex(columns=LIBRARY_TABLE_COLUMNS).sort_values(
        "library_name", kind="stable", ignore_index=True
    )


def school_table(
    schools: pd.DataFrame, libraries: pd.DataFrame, indicators: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per school unit of a ``school_frame`` (one year) with its library's figures.

    ``libraries`` is the ``library_year_frame`` of the same year (``indicators`` its
    :func:`metrics.indicators.library_indicators`, computed when ``None``). A school unit's
    staffed hours, staffed hours per 100 pupils and items per pupil are those of the library
    that serves it (``school_frame.library_id``), so school units sharing a library show the
    same values. A school unit without a library, or whose library has no figures that year,
    has them missing.
    """
    if indicators is None:
        indicators = library_indicators(libraries)
    frame = schools.rename(columns={"pupils_total": "pupils"}).copy()
    values = lookup_indicators(
        indicators,
        frame["library_id"],
        ["staffed_hours_per_week", "staffed_hours_per_100_pupils", "items_per_pupil"],
    )
    frame["staffed_hours"] = values["staffed_hours_per_week"]
    frame["staffed_hours_per_100_pupils"] = values["staffed_hours_per_100_pupils"]
    frame["items_per_pupil"] = values["items_per_pupil"]
    frame["library_id"] = frame["library_id"].astype("Int64")
    frame["pupils"] = frame["pupils"].astype("Int64")
    return frame.reindex(columns=SCHOOL_TABLE_COLUMNS).sort_values(
        ["school_name", "school_unit_code"], kind="stable", ignore_index=True
    )


@dataclass(frozen=True)
class OverviewKpis:
    """Headline figures of one municipality and year (``None`` when they cannot be computed)."""

    schools: int
    pupils: int | None
    libraries: int
    share_pupils_staffed: float | None
    staffed_hours_per_100_pupils: float | None


def overview_kpis(
    schools: pd.DataFrame,
    libraries: pd.DataFrame,
    threshold: float = STAFFED_THRESHOLD_HOURS,
) -> OverviewKpis:
    """Headline figures from :func:`school_table` and the year's ``library_year_frame``.

    - ``schools``: school units; ``pupils``: their pupils (missing counts ignored).
    - ``libraries``: libraries with figures that year, kind "none" excluded.
    - ``share_pupils_staffed``: pupils whose library is staffed at least ``threshold`` hours a
      week, over all pupils whose status is known; a school unit without a library counts as
      not staffed, one whose library has no staffing figure is left out.
    - ``staffed_hours_per_100_pupils``: pupil-weighted mean of the school units' staffed hours
      per 100 pupils; a school unit without a library counts with 0, one whose library has no
      figure is left out. Equal to total staffed hours of the libraries over total pupils when
      each library serves exactly the listed school units.
    """
    pupils = pd.to_numeric(schools["pupils"], errors="coerce").astype("float64")
    has_library = schools["library_id"].notna() & ~schools["library_kind"].isin(NOT_A_LIBRARY)
    hours = pd.to_numeric(schools["staffed_hours"], errors="coerce").astype("float64")
    per_100 = pd.to_numeric(schools["staffed_hours_per_100_pupils"], errors="coerce").astype(
        "float64"
    )

    known = pupils.notna()
    status_known = known & (~has_library | hours.notna())
    staffed = has_library & (hours >= threshold)
    denominator = pupils[status_known].sum()
    share = float(pupils[status_known & staffed].sum() / denominator) if denominator > 0 else None

    value = per_100.where(has_library, 0.0)
    value_known = known & value.notna() & (pupils > 0)
    weight = pupils[value_known].sum()
    mean = (
        float(np.average(value[value_known], weights=pupils[value_known])) if weight > 0 else None
    )

    kinds = libraries["library_kind"] if "library_kind" in libraries else pd.Series(dtype=str)
    counted = libraries.loc[~kinds.isin(NOT_A_LIBRARY), "library_id"].nunique()
    return OverviewKpis(
        schools=int(schools["school_id"].nunique()),
        pupils=int(pupils.sum()) if known.any() else None,
        libraries=int(counted),
        share_pupils_staffed=share,
        staffed_hours_per_100_pupils=mean,
    )


def default_municipality(codes: list[str], preferred: str = "9901") -> str | None:
    """The demo municipality (``9901``, Exempelkommun) when present, else the first code."""
    if not codes:
        return None
    return preferred if preferred in codes else codes[0]


# --------------------------------------------------------------------------- key figures

#: Reference key of the staffed-hours threshold (KB statistics: staffed at least 20 h/week).
STAFFED_THRESHOLD_KEY = "kb_statistics_staffed_hours"
#: Pseudo reference key: the CILIP/SLA lower bound of items per pupil for the schools' stages
#: (:func:`metrics.standards.stage_items_per_pupil_bound`), pupil-weighted.
STAGE_ITEMS_BOUND = "items_per_pupil_stage_bound"
_STAGE_BOUND_KEYS = (
    "items_per_pupil_primary_min",
    "items_per_pupil_11_16_min",
    "items_per_pupil_upper_secondary_min",
)


@dataclass(frozen=True)
class KeyFigureSpec:
    """One key figure: a :func:`metrics.indicators.library_indicators` column and its reference.

    ``zero_without_library``: pupils whose school unit has no library (or one of kind "none")
    count with 0 (resources per pupil), instead of being left out (collection age).
    ``source_keys``: reference rows whose description and source explain the reference value.
    """

    name: str
    decimals: int
    reference_key: str | None
    zero_without_library: bool
    source_keys: tuple[str, ...] = ()


#: The key figures of the overview, in display order.
KEY_FIGURES: tuple[KeyFigureSpec, ...] = (
    KeyFigureSpec("staffed_hours_per_100_pupils", 1, None, True),
    KeyFigureSpec(
        "staff_fte_per_1000_pupils",
        2,
        "national_fte_per_1000_pupils_2023",
        True,
        ("national_fte_per_1000_pupils_2023", "fte_hours_per_week"),
    ),
    KeyFigureSpec(
        "media_cost_sek_per_pupil",
        0,
        "national_media_sek_per_pupil_2023",
        True,
        ("national_media_sek_per_pupil_2023",),
    ),
    KeyFigureSpec(
        "loans_per_pupil",
        1,
        "national_loans_per_pupil_2023",
        True,
        ("national_loans_per_pupil_2023",),
    ),
    KeyFigureSpec("items_per_pupil", 1, STAGE_ITEMS_BOUND, True, _STAGE_BOUND_KEYS),
    KeyFigureSpec(
        "median_collection_age",
        1,
        "median_age_good",
        False,
        ("median_age_good", "median_age_acceptable"),
    ),
)
KEY_FIGURE_SPECS: dict[str, KeyFigureSpec] = {spec.name: spec for spec in KEY_FIGURES}


@dataclass(frozen=True)
class KeyFigure:
    """A computed key figure (``None`` when it cannot be computed) and its reference value."""

    name: str
    value: float | None
    reference: float | None
    higher_is_better: bool
    decimals: int
    pupils: int  # pupils whose value is counted

    @property
    def difference(self) -> float | None:
        """``value - reference``, or ``None`` when either is missing."""
        if self.value is None or self.reference is None:
            return None
        return self.value - self.reference


def _pupils(schools: pd.DataFrame) -> pd.Series:
    column = "pupils_total" if "pupils_total" in schools else "pupils"
    return pd.to_numeric(schools[column], errors="coerce").astype("float64")


def _has_library(schools: pd.DataFrame) -> pd.Series:
    kind = schools["library_kind"] if "library_kind" in schools else pd.Series(index=schools.index)
    return schools["library_id"].notna() & ~kind.isin(NOT_A_LIBRARY)


def served_values(
    schools: pd.DataFrame, indicators: pd.DataFrame, columns: list[str]
) -> pd.DataFrame:
    """Each school unit with the ``columns`` of the library that serves it.

    Parameters
    ----------
    schools
        ``school_frame`` rows (or :func:`school_table` rows) of one year: ``library_id``,
        ``library_kind`` and ``pupils_total`` (or ``pupils``).
    indicators
        :func:`metrics.indicators.library_indicators` of the same year (any superset of the
        serving libraries: a school may be served across a municipal border).

    Returns
    -------
    pandas.DataFrame
        Same index as ``schools``: ``pupils`` (float, NaN when unknown), ``has_library`` (a
        serving library that is not of kind "none") and one float column per name in
        ``columns`` (NaN when the school has no library or its library has no value).
    """
    values = lookup_indicators(indicators, schools["library_id"], columns)
    out = pd.DataFrame(
        {"pupils": _pupils(schools), "has_library": _has_library(schools)}, index=schools.index
    )
    for column in columns:
        out[column] = values[column]
    return out


def _grouped_mean(
    values: np.ndarray, pupils: np.ndarray, codes: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pupil-weighted mean per group code and the pupils counted, over usable rows."""
    usable = ~np.isnan(values) & ~np.isnan(pupils) & (pupils > 0)
    weight = np.bincount(codes[usable], weights=pupils[usable], minlength=groups)
    total = np.bincount(codes[usable], weights=values[usable] * pupils[usable], minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weight > 0, total / weight, np.nan)
    return mean, weight


def pupil_weighted_mean(values: pd.Series, pupils: pd.Series) -> float | None:
    """``sum(value × pupils) / sum(pupils)`` over rows with a value and a positive pupil count."""
    codes = np.zeros(len(values), dtype=np.intp)
    mean, _ = _grouped_mean(
        values.to_numpy(dtype="float64", na_value=np.nan),
        pupils.to_numpy(dtype="float64", na_value=np.nan),
        codes,
        1,
    )
    return None if np.isnan(mean[0]) else float(mean[0])


def _figure_values(served: pd.DataFrame, spec: KeyFigureSpec) -> pd.Series:
    values = served[spec.name]
    if spec.zero_without_library:
        return values.where(served["has_library"], 0.0)
    return values.where(served["has_library"])


def _group_codes(schools: pd.DataFrame, by: str | None) -> tuple[np.ndarray, pd.Index]:
    if by is None:
        return np.zeros(len(schools), dtype=np.intp), pd.Index([None], dtype="object")
    codes, uniques = pd.factorize(schools[by], sort=True, use_na_sentinel=False)
    return codes.astype(np.intp), pd.Index(uniques, name=by)


def key_figure_table(
    schools: pd.DataFrame,
    indicators: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    by: str | None = None,
    specs: tuple[KeyFigureSpec, ...] = KEY_FIGURES,
) -> pd.DataFrame:
    """Pupil-weighted key figures and their reference values, per group of school units.

    Every pupil carries the value of the library that serves the pupil's school unit (the
    library indicator of :func:`metrics.indicators.library_indicators`); a figure is the
    pupil-weighted mean over the school units with a value. Pupils without a library count
    with 0 where ``spec.zero_without_library`` and are left out otherwise; pupils whose
    library has no value are left out. Reference values come from ``reference``
    (:func:`metrics.standards.load_reference_values`); the one of :data:`STAGE_ITEMS_BOUND`
    is the pupil-weighted mean of the school units' stage bounds
    (:func:`metrics.standards.stage_items_per_pupil_bound`).

    Parameters
    ----------
    schools
        ``school_frame`` rows of one year (with the stage columns for the items bound).
    indicators
        ``library_indicators`` of that year.
    reference
        The reference table; ``None`` gives no reference values.
    by
        Column of ``schools`` to group by (e.g. ``municipality_code``); ``None``: one group.

    Returns
    -------
    pandas.DataFrame
        One row per group (index: the group values; ``[None]`` without ``by``) and, per spec
        ``x``: ``x`` (the figure, NaN when not computable), ``x_reference`` and ``x_pupils``
        (pupils counted).
    """
    codes, groups = _group_codes(schools, by)
    served = served_values(schools, indicators, [spec.name for spec in specs])
    pupils = served["pupils"].to_numpy(dtype="float64", na_value=np.nan)
    bound = None
    # a dict rather than metrics.standards.reference_value: the lookup runs on every rerun
    values_by_key = (
        {} if reference is None else dict(zip(reference["key"], reference["value"], strict=True))
    )
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        values = _figure_values(served, spec).to_numpy(dtype="float64", na_value=np.nan)
        out[spec.name], out[f"{spec.name}_pupils"] = _grouped_mean(
            values, pupils, codes, len(groups)
        )
        if spec.reference_key is None or reference is None:
            ref = np.full(len(groups), np.nan)
        elif spec.reference_key == STAGE_ITEMS_BOUND:
            if bound is None:
                bound = stage_items_per_pupil_bound(schools, reference).to_numpy(dtype="float64")
            ref, _ = _grouped_mean(bound, pupils, codes, len(groups))
        else:
            ref = np.full(len(groups), float(values_by_key[spec.reference_key]))
        out[f"{spec.name}_reference"] = ref
    return pd.DataFrame(out, index=groups)


def key_figures(
    schools: pd.DataFrame,
    indicators: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    specs: tuple[KeyFigureSpec, ...] = KEY_FIGURES,
) -> list[KeyFigure]:
    """The key figures of one set of school units (see :func:`key_figure_table`)."""
    row = key_figure_table(schools, indicators, reference, None, specs).iloc[0]

    def number(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    return [
        KeyFigure(
            name=spec.name,
            value=number(row[spec.name]) if len(schools) else None,
            reference=number(row[f"{spec.name}_reference"]),
            higher_is_better=INDICATORS[spec.name].higher_is_better,
            decimals=spec.decimals,
            pupils=int(row[f"{spec.name}_pupils"]) if len(schools) else 0,
        )
        for spec in specs
    ]


def staffed_threshold(reference: pd.DataFrame | None) -> float:
    """Staffed hours a week that count as a staffed library (reference table, else 20)."""
    if reference is None:
        return STAFFED_THRESHOLD_HOURS
    return reference_value(reference, STAFFED_THRESHOLD_KEY)


# --------------------------------------------------------------------------- equity

#: The equity statistics shown on the overview, in display order.
EQUITY_STATISTICS = ("gini", "mcloone", "federal_range_ratio")
#: The indicator whose distribution over pupils the equity card describes.
EQUITY_INDICATOR = "staffed_hours_per_100_pupils"


def staffing_equity(schools: pd.DataFrame, indicators: pd.DataFrame) -> dict[str, float] | None:
    """:func:`metrics.equity.equity_summary` of staffed hours per week per 100 pupils.

    Pupil-weighted over school units: each school unit carries its library's
    ``staffed_hours_per_100_pupils`` with its own pupils as weight; a school unit without a
    library counts with 0, one whose library has no value is left out. ``None`` when no
    school unit has both a value and pupils. The result also holds ``schools`` (school units
    counted) and ``pupils`` (their pupils).
    """
    served = served_values(schools, indicators, [EQUITY_INDICATOR])
    values = served[EQUITY_INDICATOR].where(served["has_library"], 0.0)
    usable = values.notna() & served["pupils"].notna() & (served["pupils"] > 0)
    if not usable.any():
        return None
    summary = dict(equity_summary(values[usable], weights=served.loc[usable, "pupils"]))
    summary["schools"] = int(usable.sum())
    summary["pupils"] = float(served.loc[usable, "pupils"].sum())
    return summary


# --------------------------------------------------------------------------- checklist

#: The skollag checklist (2 kap. 36 §) and KB's functioning school library, in display order.
CHECKLIST = (
    "law_own_unit",
    "law_staffed",
    "law_lis_staff",
    "law_library_plan",
    "kb2012_functioning",
)
LAW_CHECKS = CHECKLIST[:4]
#: Pseudo check: a school unit that passes all four legal checks.
ALL_LAW = "all_law"
CHECKLIST_COLUMNS = [
    "check",
    "schools",
    "schools_pass",
    "schools_fail",
    "schools_unknown",
    "share_schools_pass",
    "pupils",
    "pupils_pass",
    "share_pupils_pass",
]


def school_checklist(
    schools: pd.DataFrame,
    indicators: pd.DataFrame,
    reference: pd.DataFrame,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status of every school unit on each check of :data:`CHECKLIST` and on :data:`ALL_LAW`.

    The checks come from :func:`metrics.standards.school_checks` (each school unit judged by
    the library that serves it); :data:`ALL_LAW` is "pass" when
    :func:`metrics.standards.standards_score` over the four legal checks has them all met,
    "fail" when one fails and "unknown" otherwise.

    Returns
    -------
    pandas.DataFrame
        Long format: ``school_unit_code`` (str), ``check``, ``status``.
    """
    columns = ["school_unit_code", "check", "status"]
    if schools.empty:
        return pd.DataFrame(columns=columns)
    checks = school_checks(schools, indicators, reference, links)
    checks = checks[checks["check"].isin(CHECKLIST)]
    score = standards_score(checks[checks["check"].isin(LAW_CHECKS)])
    all_law = pd.DataFrame(
        {
            "school_unit_code": score["school_unit_code"],
            "check": ALL_LAW,
            "status": np.select(
                [score["met"] == score["total"], score["failed"] > 0], ["pass", "fail"], "unknown"
            ),
        }
    )
    long = pd.concat([checks[columns], all_law], ignore_index=True)
    long["school_unit_code"] = long["school_unit_code"].astype(str)
    return long


def checklist_coverage(checklist: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Share of the school units in ``schools`` and of their pupils that pass each check.

    ``checklist`` is :func:`school_checklist` output for these school units or a superset
    (e.g. the whole municipality, computed once); only the rows of ``schools`` (by
    ``school_unit_code``) are counted. "Unknown" counts as not passing in the shares (the
    ``schools_unknown`` column shows how many are unknown). Pupil shares are over the pupils
    of the school units with a known count.

    Returns
    -------
    pandas.DataFrame
        One row per check of :data:`CHECKLIST` and :data:`ALL_LAW` (:data:`CHECKLIST_COLUMNS`);
        empty when there are no school units.
    """
    if schools.empty:
        return pd.DataFrame(columns=CHECKLIST_COLUMNS)
    pupils_by_code = pd.Series(
        _pupils(schools).to_numpy(), index=schools["school_unit_code"].astype(str)
    )
    long = checklist[checklist["school_unit_code"].isin(pupils_by_code.index)]
    pupils = long["school_unit_code"].map(pupils_by_code).astype("float64")
    passed = long["status"] == "pass"
    frame = pd.DataFrame(
        {
            "check": long["check"],
            "schools": 1,
            "schools_pass": passed.astype(int),
            "schools_fail": (long["status"] == "fail").astype(int),
            "schools_unknown": (long["status"] == "unknown").astype(int),
            "pupils": pupils.fillna(0.0),
            "pupils_pass": pupils.where(passed).fillna(0.0),
        }
    )
    totals = frame.groupby("check").sum().reindex([*CHECKLIST, ALL_LAW]).dropna(how="all")
    totals = totals.reset_index()
    for column in ("schools", "schools_pass", "schools_fail", "schools_unknown"):
        totals[column] = totals[column].astype(int)
    totals["share_schools_pass"] = totals["schools_pass"] / totals["schools"]
    totals["share_pupils_pass"] = totals["pupils_pass"] / totals["pupils"].where(
        totals["pupils"] > 0
    )
    return totals[CHECKLIST_COLUMNS]


# --------------------------------------------------------------------------- county view

COUNTY_COLUMNS = [
    "municipality_code",
    "municipality_name",
    "schools",
    "pupils",
    "libraries",
    "share_pupils_staffed",
    *[spec.name for spec in KEY_FIGURES],
    "gini",
]


def county_municipalities(municipalities: pd.DataFrame, code: str) -> pd.DataFrame:
    """The municipalities in the same county as ``code`` (just ``code`` without a county)."""
    frame = municipalities.set_index("code", drop=False)
    county = frame.loc[code, "county_code"]
    if county is None or (isinstance(county, float) and np.isnan(county)):
        return frame.loc[[code]].reset_index(drop=True)
    return frame[frame["county_code"] == county].reset_index(drop=True)


def county_table(
    schools: pd.DataFrame,
    library_years: pd.DataFrame,
    indicators: pd.DataFrame,
    municipalities: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    narrowed: bool = False,
) -> pd.DataFrame:
    """Key figures per municipality, side by side (one row per municipality).

    The same definitions as the municipality view (:func:`overview_kpis`,
    :func:`key_figure_table`, :func:`staffing_equity`), computed for all municipalities at
    once.

    Parameters
    ----------
    schools
        ``school_frame`` rows of one year (already filtered by stage/organiser when
        ``narrowed``); rows of municipalities not in ``municipalities`` are ignored.
    library_years, indicators
        ``library_year_frame`` and its ``library_indicators`` for that year (all
        municipalities: a school may be served across a border).
    municipalities
        ``code`` and ``name`` of the municipalities to show, in display order.
    reference
        The reference table (staffed-hours threshold and reference values); ``None``: defaults.
    narrowed
        Count only the libraries that serve the given school units (as the overview does when
        a filter is set); otherwise every library of the municipality with figures that year.

    Returns
    -------
    pandas.DataFrame
        :data:`COUNTY_COLUMNS`: counts, ``share_pupils_staffed``, the :data:`KEY_FIGURES` and
        the Gini coefficient of staffed hours per 100 pupils; missing where not computable.
    """
    codes = list(municipalities["code"])
    rows = schools[schools["municipality_code"].isin(codes)]
    figures = key_figure_table(rows, indicators, reference, by="municipality_code")

    served = served_values(rows, indicators, ["staffed_hours_per_week", EQUITY_INDICATOR])
    pupils = served["pupils"]
    hours = served["staffed_hours_per_week"]
    has_library = served["has_library"]
    known = pupils.notna() & (~has_library | hours.notna())
    staffed = has_library & (hours >= staffed_threshold(reference))
    group = rows["municipality_code"]
    status_pupils = pupils.where(known).groupby(group).sum()
    staffed_pupils = pupils.where(known & staffed).groupby(group).sum()
    share = (staffed_pupils / status_pupils.where(status_pupils > 0)).astype("float64")

    equity_values = served[EQUITY_INDICATOR].where(has_library, 0.0)
    gini: dict[str, float] = {}
    for code, index in rows.groupby("municipality_code").groups.items():
        usable = equity_values[index].notna() & pupils[index].notna() & (pupils[index] > 0)
        if usable.any():
            gini[code] = equity_gini(equity_values[index][usable], pupils[index][usable])

    libraries = library_years[~library_years["library_kind"].isin(NOT_A_LIBRARY)]
    if narrowed:
        pairs = rows[["municipality_code", "library_id"]].dropna()
        keep = set(zip(pairs["municipality_code"], pairs["library_id"].astype(int), strict=True))
        libraries = libraries[
            [
                (code, int(library)) in keep
                for code, library in zip(
                    libraries["municipality_code"], libraries["library_id"], strict=True
                )
            ]
        ]
    library_counts = libraries.groupby("municipality_code")["library_id"].nunique()

    frame = pd.DataFrame(
        {
            "municipality_code": codes,
            "municipality_name": list(municipalities["name"]),
        }
    )
    by_code = frame["municipality_code"]
    frame["schools"] = by_code.map(rows.groupby("municipality_code")["school_id"].nunique())
    frame["schools"] = frame["schools"].fillna(0)
    frame["pupils"] = by_code.map(pupils.groupby(group).sum(min_count=1))
    frame["libraries"] = by_code.map(library_counts).fillna(0)
    frame["share_pupils_staffed"] = by_code.map(share)
    for spec in KEY_FIGURES:
        frame[spec.name] = by_code.map(figures[spec.name])
    frame["gini"] = by_code.map(gini)
    for column in COUNTY_COLUMNS[5:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("schools", "pupils", "libraries"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    return frame[COUNTY_COLUMNS]


def county_finding(
    table: pd.DataFrame,
    figure: str,
    label: str,
    code: str,
    reference: float | None,
    lang: str,
) -> str:
    """The county chart's finding: the range of ``figure`` over the municipalities, the value of
    the selected one (``code``) and how many reach the ``reference`` value.

    ``table`` is :func:`county_table`; ``label`` the figure's translated name. Shares are given
    as percentages, the other figures with the decimals of the key figure (2 for the Gini
    coefficient). Empty when no municipality has a value.
    """
    values = pd.Series(
        pd.to_numeric(table[figure], errors="coerce").to_numpy(dtype=float),
        index=table["municipality_name"].astype(str).to_numpy(),
    )
    known = values.dropna()
    if known.empty:
        return ""
    decimals = KEY_FIGURE_SPECS[figure].decimals if figure in KEY_FIGURE_SPECS else 2

    def text(value: float) -> str:
        if figure == "share_pupils_staffed":
            return fmt_percent(value, 0, lang=lang)
        return fmt_number(value, decimals, lang=lang)

    own = table.loc[table["municipality_code"] == code, figure]
    own_value = pd.to_numeric(own, errors="coerce").iloc[0] if len(own) else np.nan
    own_name = table.loc[table["municipality_code"] == code, "municipality_name"]
    parts = [
        t(
            "overview.county_finding",
            lang=lang,
            figure=label,
            low=text(known.min()),
            low_name=known.idxmin(),
            high=text(known.max()),
            high_name=known.idxmax(),
            municipality=own_name.iloc[0] if len(own_name) else code,
            value=text(own_value),
        )
    ]
    if reference is not None and figure in INDICATORS:
        higher = INDICATORS[figure].higher_is_better
        meet = int((known >= reference).sum() if higher else (known <= reference).sum())
        parts.append(
            t(
                "overview.county_finding_reference",
                lang=lang,
                meet=fmt_int(meet, lang=lang),
                n=fmt_int(len(known), lang=lang),
            )
        )
    return " ".join(parts)


def _kind_label(kind: object, lang: str) -> str:
    """A library kind in words (as on the map); ``–`` when missing."""
    return MISSING if is_missing(kind) else t(f"library_kind.{kind}", lang=lang)


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "x" not in frame or "y" not in frame:
        return frame.iloc[0:0]
    return frame[frame["x"].notna() & frame["y"].notna()]


def map_table(schools: pd.DataFrame, libraries: pd.DataFrame, lang: str) -> pd.DataFrame:
    """What the overview map draws, as a table: one row per located school unit, then one per
    located library (rows without coordinates are not on the map and not here).

    ``schools`` and ``libraries`` are :func:`school_table` and :func:`library_table` rows.
    Returns ``feature`` (school unit or library, translated), ``name``, ``school_unit_code``,
    ``pupils`` (a school unit's), ``library_name`` (the library serving a school unit),
    ``library_kind`` (translated: the serving library's for a school unit), ``staffed_hours``
    (per week) and ``pupils_served`` (a library's).
    """
    here = _located(schools)
    located = _located(libraries)
    school_rows = pd.DataFrame(
        {
            "feature": t("map.school", lang=lang),
            "name": here["school_name"].astype(str).to_numpy(),
            "school_unit_code": here["school_unit_code"].astype(str).to_numpy(),
            "pupils": pd.array(here["pupils"], dtype="Int64"),
            "library_name": here["library_name"].to_numpy(dtype=object),
            "library_kind": [_kind_label(k, lang) for k in here["library_kind"]],
            "staffed_hours": pd.to_numeric(here["staffed_hours"], errors="coerce").to_numpy(),
            "pupils_served": pd.array([pd.NA] * len(here), dtype="Int64"),
        }
    )
    library_rows = pd.DataFrame(
        {
            "feature": t("map.library", lang=lang),
            "name": located["library_name"].astype(str).to_numpy(),
            "school_unit_code": None,
            "pupils": pd.array([pd.NA] * len(located), dtype="Int64"),
            "library_name": None,
            "library_kind": [_kind_label(k, lang) for k in located["library_kind"]],
            "staffed_hours": pd.to_numeric(located["staffed_hours"], errors="coerce").to_numpy(),
            "pupils_served": pd.array(located["pupils_served"], dtype="Int64"),
        }
    )
    return pd.concat([school_rows, library_rows], ignore_index=True)


def map_finding(schools: pd.DataFrame, libraries: pd.DataFrame, lang: str) -> str:
    """The overview map's finding: the school units and libraries it shows, the libraries by
    kind, and the ones left off for want of coordinates."""
    here, located = _located(schools), _located(libraries)
    kinds = located["library_kind"].value_counts() if len(located) else pd.Series(dtype=int)
    order = [kind.value for kind in LibraryKind]
    listed = [
        t(
            "overview.map_finding_kind",
            lang=lang,
            kind=inline(_kind_label(kind, lang)),
            n=fmt_int(kinds[kind], lang=lang),
        )
        for kind in (*order, *sorted(set(kinds.index) - set(order)))
        if kind in kinds.index
    ]
    text = t(
        "overview.map_finding" if listed else "overview.map_finding_no_libraries",
        lang=lang,
        schools=fmt_int(len(here), lang=lang),
        libraries=fmt_int(len(located), lang=lang),
        kinds=", ".join(listed),
    )
    left_off_schools, left_off_libraries = len(schools) - len(here), len(libraries) - len(located)
    if left_off_schools or left_off_libraries:
        text += " " + t(
            "overview.map_unlocated",
            lang=lang,
            schools=fmt_int(left_off_schools, lang=lang),
            libraries=fmt_int(left_off_libraries, lang=lang),
        )
    return text
