"""Figures for the overview page: pure pandas over the repository frames, no Streamlit.

Conventions (ARCHITECTURE.md, "Indicators"): the denominator is the pupils a library serves;
where a library serves several school units their pupils are summed, and every school unit (and
so every pupil) carries the value of the library that serves it. KPIs are pupil-weighted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _ratio(numerator: pd.Series, denominator: pd.Series, scale: float = 1.0) -> pd.Series:
    """``numerator / denominator * scale`` as floats; missing where the denominator is 0 or NA."""
    top = pd.to_numeric(numerator, errors="coerce").astype("float64")
    bottom = pd.to_numeric(denominator, errors="coerce").astype("float64")
    bottom = bottom.where(bottom > 0)
    return top / bottom * scale


def library_table(libraries: pd.DataFrame) -> pd.DataFrame:
    """One row per library of a ``library_year_frame`` (one year) with per-pupil indicators.

    Adds ``staffed_hours_per_100_pupils`` (staffed hours per week per 100 pupils served) and
    ``items_per_pupil`` (physical items per pupil served); both are missing when the library
    serves no counted pupils.
    """
    frame = libraries.copy()
    frame["staffed_hours_per_100_pupils"] = _ratio(
        frame["staffed_hours"], frame["pupils_served"], 100.0
    )
    frame["items_per_pupil"] = _ratio(frame["items"], frame["pupils_served"])
    frame["pupils_served"] = pd.to_numeric(frame["pupils_served"], errors="coerce").astype("Int64")
    return frame.reindex(columns=LIBRARY_TABLE_COLUMNS).sort_values(
        "library_name", kind="stable", ignore_index=True
    )


def school_table(schools: pd.DataFrame, libraries: pd.DataFrame) -> pd.DataFrame:
    """One row per school unit of a ``school_frame`` (one year) with its library's figures.

    ``libraries`` is the ``library_year_frame`` of the same year. A school unit's staffed hours,
    staffed hours per 100 pupils and items per pupil are those of the library that serves it
    (``school_frame.library_id``), so school units sharing a library show the same values. A
    school unit without a library, or whose library has no figures that year, has them missing.
    """
    per_library = library_table(libraries)[
        ["library_id", "staffed_hours", "staffed_hours_per_100_pupils", "items_per_pupil"]
    ]
    frame = schools.rename(columns={"pupils_total": "pupils"}).copy()
    frame["library_id"] = frame["library_id"].astype("Int64")
    per_library = per_library.assign(library_id=per_library["library_id"].astype("Int64"))
    frame = frame.merge(per_library, on="library_id", how="left")
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
