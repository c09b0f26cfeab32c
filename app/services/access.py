"""Figures for the map and access page (Karta och tillgång): pure pandas over repository frames.

Per school unit: the planar distance to the library that serves it
(:func:`metrics.access.distance_to_serving_library`), to the nearest library staffed at least
20 hours a week (:func:`metrics.access.nearest_staffed_library`) and the two-step floating
catchment access (2SFCA, :func:`metrics.access.two_step_fca`): the staffed hours per week
within the catchment distance, shared among all the pupils within reach of each library,
shown per 100 pupils.

Decisions
---------
* Distances are straight lines in SWEREF 99 TM (EPSG:3006) metres, shown in kilometres.
* A library of kind "none" is no library. A library's location comes from the library register
  (every year); its staffed hours from the library-year frame of the chosen year. A library
  without staffed hours that year is neither a staffed library nor a supply in the 2SFCA (a
  missing figure is never 0), but its location still counts for the distance to the serving
  library.
* The 2SFCA demand is every located school unit given as ``demand`` (normally all
  municipalities, so libraries near a border share their hours with the pupils across it), not
  only the filtered school units; filters narrow what is shown, not the competition for hours.
  A school unit with an unknown number of pupils adds no demand.
* Gaps (:func:`gaps`): no library, a serving library farther than the catchment, no library
  staffed ≥ 20 h/week within the catchment, or 2SFCA access below half the pupil-weighted
  median of the school units shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.i18n import fmt_int, t
from app.services.overview import NOT_A_LIBRARY, STAFFED_THRESHOLD_HOURS
from metrics.access import (
    distance_to_serving_library,
    nearest_staffed_library,
    pupil_weighted_summary,
    two_step_fca,
)

DEFAULT_CATCHMENT_KM = 5.0
#: A school unit's access is "low" below this share of the pupil-weighted median.
LOW_ACCESS_SHARE_OF_MEDIAN = 0.5

#: Why a distance or access value is missing.
REASON_NO_COORDINATES = "no_coordinates"
REASON_NO_LIBRARY = "no_library"
REASON_LIBRARY_NOT_LOCATED = "library_not_located"
REASON_NO_STAFFED_LIBRARY = "no_staffed_library"

#: Gap flags of :func:`gaps`, in display order.
GAP_FLAGS = ("gap_no_library", "gap_serving_far", "gap_no_staffed", "gap_low_access")

ACCESS_COLUMNS = [
    "school_id",
    "school_unit_code",
    "school_name",
    "district",
    "organiser_type",
    "pupils",
    "x",
    "y",
    "library_id",
    "library_name",
    "library_kind",
    "library_x",
    "library_y",
    "distance_serving_km",
    "serving_reason",
    "staffed_library_id",
    "staffed_library_name",
    "staffed_library_hours",
    "distance_staffed_km",
    "staffed_reason",
    "staffed_within_catchment",
    "access_per_100_pupils",
    "libraries_in_reach",
    "access_reason",
]


def _float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def library_sites(libraries: pd.DataFrame, library_years: pd.DataFrame) -> pd.DataFrame:
    """Every library with its location and the year's staffed hours.

    Parameters
    ----------
    libraries
        ``inventory.repository.libraries`` rows (``library_id``, ``name``, ``kind``, ``x``,
        ``y``, ``municipality_code``).
    library_years
        ``inventory.repository.library_year_frame`` rows of one year (``library_id``,
        ``staffed_hours``); libraries without a row have missing hours.

    Returns
    -------
    ``library_id``, ``library_name``, ``library_kind``, ``municipality_code``, ``x``, ``y``,
    ``staffed_hours`` (missing when not recorded that year).
    """
    sites = libraries.rename(columns={"name": "library_name", "kind": "library_kind"})
    sites = sites.reindex(
        columns=["library_id", "library_name", "library_kind", "municipality_code", "x", "y"]
    ).copy()
    hours = library_years.reindex(columns=["library_id", "staffed_hours"]).drop_duplicates(
        "library_id"
    )
    sites["library_id"] = pd.to_numeric(sites["library_id"]).astype("Int64")
    hours = hours.assign(library_id=pd.to_numeric(hours["library_id"]).astype("Int64"))
    sites = sites.merge(hours, on="library_id", how="left")
    sites["staffed_hours"] = _float(sites["staffed_hours"])
    return sites.reset_index(drop=True)


def _located(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        np.isfinite(_float(frame["x"])) & np.isfinite(_float(frame["y"])), index=frame.index
    )


def _demand(schools: pd.DataFrame) -> pd.DataFrame:
    """Located school units as 2SFCA demand (unknown pupils add nothing)."""
    rows = schools[_located(schools)].drop_duplicates("school_id")
    return pd.DataFrame(
        {
            "school_id": rows["school_id"].to_numpy(),
            "x": _float(rows["x"]),
            "y": _float(rows["y"]),
            "pupils": np.nan_to_num(_float(rows["pupils_total"]), nan=0.0),
        }
    )


def access_table(
    schools: pd.DataFrame,
    sites: pd.DataFrame,
    catchment_km: float = DEFAULT_CATCHMENT_KM,
    *,
    demand: pd.DataFrame | None = None,
    min_hours: float = STAFFED_THRESHOLD_HOURS,
) -> pd.DataFrame:
    """Distances and 2SFCA access for every school unit in ``schools``.

    Parameters
    ----------
    schools
        ``inventory.repository.school_frame`` rows of one year to report on (``school_id``,
        ``school_unit_code``, ``school_name``, ``district``, ``organiser_type``,
        ``pupils_total``, ``x``, ``y``, ``library_id``, ``library_kind``).
    sites
        :func:`library_sites`.
    catchment_km
        2SFCA catchment and the "within reach" distance, in kilometres (inclusive).
    demand
        School units competing for the libraries' hours (same columns; default ``schools``).
        The reported school units are always added.
    min_hours
        Hours per week for a library to count as staffed (KB: 20).

    Returns
    -------
    One row per school unit, :data:`ACCESS_COLUMNS`: distances in km (missing with a reason
    code in ``serving_reason`` / ``staffed_reason``), ``staffed_within_catchment`` (missing
    for a school unit without coordinates), ``access_per_100_pupils`` (2SFCA staffed hours per
    week per 100 pupils within reach; 0 when no staffed library is in reach; missing without
    coordinates) and ``libraries_in_reach``.
    """
    if not catchment_km > 0:
        raise ValueError(f"catchment_km must be positive, got {catchment_km}")
    catchment_m = float(catchment_km) * 1000.0
    out = schools.reindex(
        columns=[
            "school_id",
            "school_unit_code",
            "school_name",
            "district",
            "organiser_type",
            "x",
            "y",
            "library_id",
        ]
    ).reset_index(drop=True)
    out["pupils"] = _float(schools["pupils_total"]) if "pupils_total" in schools else np.nan
    out["library_id"] = pd.to_numeric(out["library_id"], errors="coerce").astype("Int64")
    kinds = schools["library_kind"] if "library_kind" in schools else pd.Series(index=schools.index)
    has_library = out["library_id"].notna().to_numpy() & ~kinds.isin(NOT_A_LIBRARY).to_numpy()
    school_located = _located(out).to_numpy()

    real = sites[~sites["library_kind"].isin(NOT_A_LIBRARY)]
    located_sites = real[_located(real)].reset_index(drop=True)
    site_by_id = sites.drop_duplicates("library_id").set_index("library_id")
    out["library_name"] = out["library_id"].map(site_by_id["library_name"])
    out["library_kind"] = out["library_id"].map(site_by_id["library_kind"])
    # a library of kind "none" is no library: it has no place to draw a line to
    out["library_x"] = np.where(has_library, _float(out["library_id"].map(site_by_id["x"])), np.nan)
    out["library_y"] = np.where(has_library, _float(out["library_id"].map(site_by_id["y"])), np.nan)
    library_located = np.isfinite(out["library_x"]) & np.isfinite(out["library_y"])

    # Distance to the serving library.
    linked = school_located & has_library & library_located.to_numpy()
    serving = pd.DataFrame({"school_id": out["school_id"], "distance": np.nan})
    if linked.any():
        rows = out[linked]
        result = distance_to_serving_library(
            pd.DataFrame({"school_id": rows["school_id"], "x": rows["x"], "y": rows["y"]}),
            located_sites[["library_id", "x", "y"]],
            rows[["school_id", "library_id"]],
        )
        serving = serving.set_index("school_id")
        serving.loc[result["school_id"], "distance"] = result["distance"].to_numpy()
        serving = serving.reset_index()
    out["distance_serving_km"] = serving["distance"].to_numpy() / 1000.0
    out["serving_reason"] = np.select(
        [~school_located, ~has_library, ~library_located.to_numpy()],
        [REASON_NO_COORDINATES, REASON_NO_LIBRARY, REASON_LIBRARY_NOT_LOCATED],
        default=None,
    )
    out["serving_reason"] = out["serving_reason"].where(out["distance_serving_km"].isna())

    # Nearest staffed library.
    out["staffed_library_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["distance_staffed_km"] = np.nan
    out["staffed_library_hours"] = np.nan
    if school_located.any():
        rows = out[school_located]
        nearest = nearest_staffed_library(
            pd.DataFrame({"school_id": rows["school_id"], "x": rows["x"], "y": rows["y"]}),
            located_sites[["library_id", "x", "y", "staffed_hours"]],
            min_hours=min_hours,
        )
        out.loc[school_located, "staffed_library_id"] = pd.array(
            pd.to_numeric(nearest["library_id"], errors="coerce"), dtype="Int64"
        )
        out.loc[school_located, "distance_staffed_km"] = nearest["distance"].to_numpy() / 1000.0
        out.loc[school_located, "staffed_library_hours"] = nearest["staffed_hours"].to_numpy()
    out["staffed_library_name"] = out["staffed_library_id"].map(site_by_id["library_name"])
    out["staffed_reason"] = np.select(
        [~school_located, out["distance_staffed_km"].isna().to_numpy()],
        [REASON_NO_COORDINATES, REASON_NO_STAFFED_LIBRARY],
        default=None,
    )
    out["staffed_reason"] = out["staffed_reason"].where(out["distance_staffed_km"].isna())
    within = out["distance_staffed_km"] <= catchment_km
    out["staffed_within_catchment"] = pd.array(within, dtype="boolean")
    out.loc[~school_located, "staffed_within_catchment"] = pd.NA

    # 2SFCA over all demand.
    everyone = _demand(pd.concat([demand if demand is not None else schools, schools]))
    supply = located_sites[np.isfinite(located_sites["staffed_hours"])]
    fca = two_step_fca(
        everyone, supply[["library_id", "x", "y", "staffed_hours"]], max_distance=catchment_m
    )
    per_school = fca.schools.set_index("school_id")
    access = out["school_id"].map(per_school["accessibility"]) * 100.0
    out["access_per_100_pupils"] = _float(access)
    out["libraries_in_reach"] = pd.array(
        out["school_id"].map(per_school["libraries_in_reach"]), dtype="Int64"
    )
    out["access_reason"] = pd.Series(
        np.where(school_located, None, REASON_NO_COORDINATES), dtype=object
    )
    return out.reindex(columns=ACCESS_COLUMNS)


@dataclass(frozen=True)
class AccessSummary:
    """Pupil-weighted summaries of the school units shown (``None`` when not computable)."""

    pupils: float
    pupils_located: float
    serving_mean_km: float | None
    serving_median_km: float | None
    serving_p95_km: float | None
    share_serving_within: float | None
    staffed_mean_km: float | None
    staffed_median_km: float | None
    share_staffed_within: float | None
    access_mean: float | None
    access_median: float | None
    share_no_access: float | None


def _stat(summary: dict, key: str) -> float | None:
    value = summary.get(key)
    return None if value is None or not np.isfinite(value) else float(value)


def access_summary(table: pd.DataFrame, catchment_km: float) -> AccessSummary:
    """Pupil-weighted means, medians and shares within the catchment over ``table``.

    Shares are over the pupils of located school units: a located school unit without a
    (located) serving library or with no staffed library at all counts as not within.
    ``share_no_access`` is the share of those pupils with 2SFCA access 0.
    """
    pupils = pd.Series(_float(table["pupils"]), index=table.index)
    located = table["access_reason"].isna()
    frame = table.assign(pupils=pupils)[located & (pupils > 0)]
    serving = pupil_weighted_summary(frame, "distance_serving_km", thresholds=[catchment_km])
    staffed = pupil_weighted_summary(frame, "distance_staffed_km", thresholds=[catchment_km])
    access = pupil_weighted_summary(frame, "access_per_100_pupils", thresholds=[0.0])
    within = f"share_within_{float(catchment_km):g}"
    has_rows = not frame.empty
    return AccessSummary(
        pupils=float(pupils.sum()),
        pupils_located=float(frame["pupils"].sum()),
        serving_mean_km=_stat(serving, "mean"),
        serving_median_km=_stat(serving, "median"),
        serving_p95_km=_stat(serving, "p95"),
        share_serving_within=_stat(serving, within) if has_rows else None,
        staffed_mean_km=_stat(staffed, "mean"),
        staffed_median_km=_stat(staffed, "median"),
        share_staffed_within=_stat(staffed, within) if has_rows else None,
        access_mean=_stat(access, "mean"),
        access_median=_stat(access, "median"),
        share_no_access=_stat(access, "share_within_0") if has_rows else None,
    )


def gaps(
    table: pd.DataFrame,
    catchment_km: float,
    low_share: float = LOW_ACCESS_SHARE_OF_MEDIAN,
) -> pd.DataFrame:
    """The school units with a gap, worst first.

    Flags (:data:`GAP_FLAGS`): ``gap_no_library`` (no library, or one of kind "none"),
    ``gap_serving_far`` (serving library farther than ``catchment_km``), ``gap_no_staffed``
    (no library staffed ≥ 20 h/week within ``catchment_km``), ``gap_low_access`` (2SFCA access
    below ``low_share`` × the pupil-weighted median access of ``table``). School units without
    coordinates are left out (their distances are unknown).

    Returns
    -------
    The :func:`access_table` rows with at least one flag, plus the flags and ``gap_count``,
    sorted by number of gaps (most first), access (lowest first), distance to a staffed library
    (longest first) and name.
    """
    frame = table[table["access_reason"].isna()].copy()
    pupils = pd.Series(_float(frame["pupils"]), index=frame.index)
    access = pd.Series(_float(frame["access_per_100_pupils"]), index=frame.index)
    known = pupils > 0
    median = np.nan
    if known.any():
        median = pupil_weighted_summary(
            pd.DataFrame({"access": access[known], "pupils": pupils[known]}), "access"
        )["median"]
    frame["gap_no_library"] = frame["serving_reason"].eq(REASON_NO_LIBRARY)
    frame["gap_serving_far"] = frame["distance_serving_km"].gt(catchment_km)
    frame["gap_no_staffed"] = ~frame["staffed_within_catchment"].fillna(False).astype(bool)
    frame["gap_low_access"] = (
        access.lt(low_share * median) if np.isfinite(median) else pd.Series(False, frame.index)
    )
    frame["gap_count"] = frame[list(GAP_FLAGS)].sum(axis=1).astype(int)
    frame = frame[frame["gap_count"] > 0]
    staffed = frame["distance_staffed_km"].fillna(np.inf)
    frame = frame.assign(_staffed=-staffed).sort_values(
        ["gap_count", "access_per_100_pupils", "_staffed", "school_name"],
        ascending=[False, True, True, True],
        kind="stable",
    )
    return frame.drop(columns="_staffed").reset_index(drop=True)


def gap_pupils(gap_rows: pd.DataFrame) -> dict[str, float]:
    """Pupils affected per gap flag and in total (``"any"``)."""
    pupils = pd.Series(_float(gap_rows["pupils"]), index=gap_rows.index).fillna(0.0)
    result = {flag: float(pupils[gap_rows[flag]].sum()) for flag in GAP_FLAGS}
    result["any"] = float(pupils.sum())
    return result


#: Columns of :func:`map_rows`.
MAP_ROW_COLUMNS = [
    "feature",
    "name",
    "school_unit_code",
    "pupils",
    "value",
    "note",
    "library_name",
    "distance_serving_km",
    "staffed_library_name",
    "distance_staffed_km",
    "access_per_100_pupils",
    "staffed_hours",
]


def _located_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[_located(frame)] if len(frame) else frame


def map_rows(
    table: pd.DataFrame,
    values: pd.Series,
    reasons: pd.Series,
    libraries: pd.DataFrame,
    lang: str,
    *,
    scale: float = 1.0,
    min_hours: float = STAFFED_THRESHOLD_HOURS,
) -> pd.DataFrame:
    """What the access map draws, as a table: the located school units with the value that
    colours them, then the located libraries.

    Parameters
    ----------
    table
        :func:`access_table` rows of the school units shown.
    values, reasons
        The colouring value of each row of ``table`` and why it is missing ("" when it is not).
    libraries
        The library sites drawn (:func:`library_sites` rows).
    scale
        Factor for ``values`` (100 for a share shown in per cent, as on the legend).

    Returns
    -------
    :data:`MAP_ROW_COLUMNS`: ``feature`` (school unit, or the library's marker: staffed at least
    ``min_hours`` a week or not), ``name``, then for a school unit its code, ``pupils``,
    ``value``, ``note`` (why the value is missing), its library and the distance to it, the
    nearest staffed library and the distance to it and the 2SFCA access; for a library its
    ``staffed_hours``.
    """
    located = _located(table)
    schools = table[located]
    hours = fmt_int(min_hours, lang=lang)
    school_rows = pd.DataFrame(
        {
            "feature": t("map.school", lang=lang),
            "name": schools["school_name"].astype(str).to_numpy(),
            "school_unit_code": schools["school_unit_code"].astype(str).to_numpy(),
            "pupils": _float(schools["pupils"]),
            "value": _float(values[located]) * scale,
            "note": reasons[located].fillna("").astype(str).to_numpy(),
            "library_name": schools["library_name"].to_numpy(dtype=object),
            "distance_serving_km": _float(schools["distance_serving_km"]),
            "staffed_library_name": schools["staffed_library_name"].to_numpy(dtype=object),
            "distance_staffed_km": _float(schools["distance_staffed_km"]),
            "access_per_100_pupils": _float(schools["access_per_100_pupils"]),
            "staffed_hours": np.nan,
        }
    )
    sites = _located_rows(libraries)
    site_hours = _float(sites["staffed_hours"]) if len(sites) else np.array([])
    library_rows = pd.DataFrame(
        {
            "feature": [
                t(
                    "access_map.library_staffed" if h >= min_hours else "access_map.library_other",
                    lang=lang,
                    hours=hours,
                )
                for h in site_hours
            ],
            "name": sites["library_name"].astype(str).to_numpy(),
            "staffed_hours": site_hours,
        }
    )
    rows = pd.concat([school_rows, library_rows], ignore_index=True)
    return rows.reindex(columns=MAP_ROW_COLUMNS)


def map_finding(
    rows: pd.DataFrame,
    label: str,
    higher_is_better: bool,
    format_value: Callable[[Any], str],
    lang: str,
    *,
    scale: float = 1.0,
) -> str:
    """The access map's finding: the weakest and the strongest school unit on the colouring
    value ``label`` (by its direction) and how many school units lack a value.

    ``rows`` is :func:`map_rows` (made with ``scale``); ``format_value`` formats one unscaled
    value as the map's tooltip does.
    """
    schools = rows[rows["school_unit_code"].notna()]
    known = schools[schools["value"].notna()].sort_values(
        ["value", "name"], ascending=[higher_is_better, True], kind="stable"
    )
    missing = len(schools) - len(known)
    if known.empty:
        text = t("access.map_finding_none", lang=lang, value=label)
    else:
        weakest, strongest = known.iloc[0], known.iloc[-1]
        text = t(
            "access.map_finding",
            lang=lang,
            value=label,
            n=fmt_int(len(known), lang=lang),
            weakest=weakest["name"],
            weakest_value=format_value(weakest["value"] / scale),
            strongest=strongest["name"],
            strongest_value=format_value(strongest["value"] / scale),
        )
    if missing:
        text += " " + t("access.map_finding_missing", lang=lang, n=fmt_int(missing, lang=lang))
    return text
