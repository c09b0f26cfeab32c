"""Planning scenarios: run a model on one year's libraries and describe the change.

A scenario is a model (:data:`MODELS`) with parameters, run on one row per library built by
:func:`build_input` from
:func:`inventory.repository.library_year_frame`. :func:`run_scenario` returns a
:class:`ScenarioRun`: per-library staffed hours and staffed hours per 100 pupils before and
after, the pupil-weighted :func:`metrics.equity.equity_summary` of staffed hours per 100 pupils
before and after, the cost change and the solver status. :func:`summarise` turns the numbers
into a short plain-language text in Swedish or English. Persistence is in
:mod:`planning.scenario_store`.

Cost change = (total hours after - total hours before) per week x ``hourly_cost_sek``
(default 350 SEK/h) x ``weeks_per_year`` (default 40, the school year). A cost-neutral
reallocation therefore costs 0.

Collection and coordination models (:data:`PLAN_MODELS`) run through the same function and
give the same :class:`ScenarioRun`, so they are saved, compared, summarised and exported like
the others; their own results are in ``ScenarioRun.detail`` (:func:`run_details` gives them as
tables):

* ``media-plan``: :func:`planning.collection.media_budget_plan` on
  :func:`planning.collection.stock_cohorts` of the year's physical collection rows (e-books
  left out, like the standards do). Staffed hours do not change; the cost change is the mean
  yearly budget minus today's physical media cost.
* ``transfers``: :func:`planning.collection.stock_transfers` on the physical categories (a
  licence cannot be sent). Staffed hours and cost do not change (the purchase list's price is
  in the numbers).
* ``clusters``: :func:`planning.coordination.shared_librarian_clusters`. A clustered library's
  LIS hours become its required hours (staffed hours = today's - LIS today + required); the
  cost change is (librarians x capacity - LIS hours today in those libraries) x hourly cost x
  weeks, travel and idle time included. The saved per-library rows hold the hours at the
  schools, so a comparison recomputed from them counts the school hours only.

No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from metrics.equity import equity_summary
from metrics.need import need_weight
from metrics.standards import load_reference_values, reference_value
from planning.collection import (
    MediaPlan,
    TransferPlan,
    media_budget_plan,
    stock_cohorts,
    stock_transfers,
)
from planning.coordination import ClusterPlan, shared_librarian_clusters
from planning.optimise import (
    DEFAULT_CAP_HOURS,
    DEFAULT_WEEKS_PER_YEAR,
    min_cost_to_standard,
    reallocate_staff_hours,
)

__all__ = [
    "COLLECTION_MODELS",
    "DEFAULT_HOURLY_COST_SEK",
    "DEFAULT_UNIT_PRICE_SEK",
    "MODELS",
    "MODEL_QUANTITIES",
    "PLAN_MODELS",
    "ScenarioRun",
    "build_input",
    "collection_defaults",
    "json_safe",
    "result_rows",
    "run_details",
    "run_scenario",
    "summarise",
]

#: Models of :func:`run_scenario`.
MODELS = ("reallocate", "min-cost", "manual", "media-plan", "transfers", "clusters")
#: Collection and coordination models (results in ``ScenarioRun.detail``).
PLAN_MODELS = ("media-plan", "transfers", "clusters")
#: Models that need the year's collection rows (``run_scenario(..., collection=...)``).
COLLECTION_MODELS = ("media-plan", "transfers")
#: Price of one item when the data cannot tell (no media cost or no acquisitions recorded);
#: a planning assumption.
DEFAULT_UNIT_PRICE_SEK = 250.0
#: Default full employer cost per staffed hour (SEK), a planning assumption.
DEFAULT_HOURLY_COST_SEK = 350.0
_EPS = 1e-6  # hours; smaller changes count as unchanged

_REALLOCATE_KEYS = ("objective", "need_weighted", "block_hours", "max_change_hours", "total_hours")
_MIN_COST_KEYS = ("standard", "value", "unit")
_COMMON_KEYS = ("hourly_cost_sek", "weeks_per_year")
_MEDIA_KEYS = (
    "budget_sek",
    "years",
    "unit_price_sek",
    "target_items_per_pupil",
    "target_recent_share",
    "weeding_age",
    "time_limit",
)
_TRANSFER_KEYS = ("target_items_per_pupil", "radius_km", "unit_price_sek", "time_limit")
_CLUSTER_KEYS = (
    "pupils_per_librarian",
    "min_hours",
    "capacity_hours",
    "speed_kmh",
    "detour_factor",
    "visits_per_week",
    "max_schools",
    "librarians",
    "time_limit",
    "mip_rel_gap",
)
_ALLOWED = {
    "reallocate": set(_REALLOCATE_KEYS) | set(_COMMON_KEYS),
    "min-cost": set(_MIN_COST_KEYS) | set(_COMMON_KEYS),
    "manual": {"hours"} | set(_COMMON_KEYS),
    "media-plan": set(_MEDIA_KEYS) | set(_COMMON_KEYS),
    "transfers": set(_TRANSFER_KEYS) | set(_COMMON_KEYS),
    "clusters": set(_CLUSTER_KEYS) | set(_COMMON_KEYS),
}


def build_input(
    library_year_frame: pd.DataFrame, year: int, municipality: str | None = None
) -> pd.DataFrame:
    """The optimiser frame for one year (and municipality code), one row per library.

    Columns: ``library_id``, ``library_name``, ``pupils`` (= ``pupils_served``),
    ``staffed_hours_week`` (= ``staffed_hours``), ``lis_hours_week``
    (= ``hours_lis_librarian``), ``need_weight`` (:func:`metrics.need.need_weight` of the
    served schools' shares; 1 where a share is unknown), ``cap_hours`` (the larger of
    40 h and the current hours, so that no library is forced down by the default cap),
    ``x``, ``y``, ``media_cost_physical_sek`` and ``acquisitions`` when present. Libraries
    whose pupils or staffed hours are missing are left out (a missing value is not 0);
    :attr:`DataFrame.attrs` ``["excluded"]`` lists their ids and ``["year"]`` holds ``year``.
    """
    frame = library_year_frame[library_year_frame["year"] == int(year)]
    if municipality is not None:
        frame = frame[frame["municipality_code"] == str(municipality)]
    usable = frame["pupils_served"].notna() & frame["staffed_hours"].notna()
    excluded = [int(i) for i in frame.loc[~usable, "library_id"]]
    frame = frame[usable]
    weights = need_weight(
        frame["share_foreign_background"].reset_index(drop=True),
        frame["share_parents_post_secondary"].reset_index(drop=True),
    )
    hours = frame["staffed_hours"].astype(float).to_numpy()
    out = pd.DataFrame(
        {
            "library_id": frame["library_id"].astype(int).to_numpy(),
            "library_name": frame["library_name"].to_numpy(),
            "pupils": frame["pupils_served"].astype(float).to_numpy(),
            "staffed_hours_week": hours,
            "lis_hours_week": frame["hours_lis_librarian"].astype(float).to_numpy(),
            "need_weight": weights["need_weight"].to_numpy(dtype=float),
            "cap_hours": np.maximum(DEFAULT_CAP_HOURS, hours),
        }
    )
    for column in ("x", "y", "media_cost_physical_sek", "acquisitions"):
        if column in frame:
            out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
    out.attrs["excluded"] = excluded
    out.attrs["year"] = int(year)
    return out


@dataclass(frozen=True)
class ScenarioRun:
    """Result of :func:`run_scenario`.

    Attributes
    ----------
    model : str
        One of :data:`MODELS`.
    params : dict
        The parameters as given (JSON-safe).
    libraries : pandas.DataFrame
        One row per library: ``library_id``, ``library_name`` (if known), ``pupils``,
        ``need_weight``, ``hours_before``, ``hours_after``, ``change_hours``,
        ``per_100_before`` and ``per_100_after`` (staffed hours per 100 pupils; NaN without
        pupils).
    equity_before, equity_after : dict
        Pupil-weighted :func:`metrics.equity.equity_summary` of staffed hours per 100 pupils
        (empty when no library has pupils, or ``after`` when the run failed).
    cost_change_sek : float
        Change of total hours x hourly cost x weeks per year (SEK per year).
    hourly_cost_sek, weeks_per_year : float
        The cost assumptions used.
    status : str
        ``optimal``, ``feasible``, ``infeasible``, ``error`` (from the optimiser) or ``ok``
        (manual and min-cost).
    message : str
        Plain English from the model.
    objective : float
        The model's objective value: the first-stage optimum for ``reallocate``, the yearly
        cost for ``min-cost``; NaN for ``manual``.
    numbers : dict
        What :func:`summarise` uses: ``n_libraries``, ``n_gainers``, ``n_losers``,
        ``hours_gained``, ``hours_lost``, ``hours_moved``, ``total_hours_before``/
        ``_after``, ``min_per_100_before``/``_after``, ``gini_before``/``_after``,
        ``mcloone_before``/``_after``, ``cost_change_sek``; the collection and coordination
        models add their own (see :func:`run_scenario`).
    detail : MediaPlan, TransferPlan, ClusterPlan or None
        The full result of a :data:`PLAN_MODELS` model.
    """

    model: str
    params: dict[str, Any]
    libraries: pd.DataFrame
    equity_before: dict[str, Any]
    equity_after: dict[str, Any]
    cost_change_sek: float
    hourly_cost_sek: float
    weeks_per_year: float
    status: str
    message: str
    objective: float
    numbers: dict[str, Any] = field(default_factory=dict)
    detail: MediaPlan | TransferPlan | ClusterPlan | None = None

    @property
    def ok(self) -> bool:
        """Whether the run produced new hours for every library."""
        return self.status in ("optimal", "feasible", "ok")


def _number(params: Mapping[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{key} must be a finite number > 0, got {value!r}")
    return number


def _manual_hours(frame: pd.DataFrame, hours: Any) -> np.ndarray:
    if not isinstance(hours, Mapping):
        raise ValueError("manual needs params['hours'] = {library_id: new hours}")
    by_text = {str(k): v for k, v in hours.items()}
    known = {str(i) for i in frame["library_id"]}
    unknown = sorted(set(by_text) - known)
    if unknown:
        raise ValueError(f"unknown library_id in hours: {', '.join(unknown)}")
    after = frame["staffed_hours_week"].astype(float).to_numpy().copy()
    for position, library_id in enumerate(frame["library_id"]):
        if str(library_id) in by_text:
            value = by_text[str(library_id)]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"hours for {library_id} must be a number") from None
            if not (math.isfinite(number) and number >= 0):
                raise ValueError(f"hours for {library_id} must be >= 0, got {value!r}")
            after[position] = number
    return after


def _equity(per_100: np.ndarray, pupils: np.ndarray) -> dict[str, Any]:
    keep = (pupils > 0) & np.isfinite(per_100)
    if not keep.any():
        return {}
    return equity_summary(per_100[keep], weights=pupils[keep])


def run_scenario(
    frame: pd.DataFrame,
    model: str,
    params: Mapping[str, Any] | None = None,
    *,
    collection: pd.DataFrame | None = None,
    catalogue_years: pd.DataFrame | None = None,
) -> ScenarioRun:
    """Run ``model`` with ``params`` on an optimiser frame (:func:`build_input`).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``library_id``, ``pupils``, ``staffed_hours_week``; optional ``need_weight``,
        ``cap_hours``, ``floor_hours``, ``lis_hours_week``, ``library_name``, ``x``, ``y``,
        ``media_cost_physical_sek``, ``acquisitions``.
    model : str
        One of :data:`MODELS`.
        ``reallocate``: :func:`planning.optimise.reallocate_staff_hours` (params
        ``objective``, ``need_weighted``, ``block_hours``, ``max_change_hours``,
        ``total_hours``). ``min-cost``: every library gets the hours missing to reach a
        standard (:func:`planning.optimise.min_cost_to_standard`; params ``standard``
        (default ``"kb_20h"``), ``value``, ``unit``). ``manual``: params
        ``{"hours": {library_id: new hours}}``; libraries not listed keep their hours.
        Every model also takes ``hourly_cost_sek`` (default 350) and ``weeks_per_year``
        (default 40).

        ``media-plan``: params of :func:`planning.collection.media_budget_plan`
        (``budget_sek``, ``years``, ``unit_price_sek``, ``target_items_per_pupil``,
        ``target_recent_share``, ``weeding_age``, ``time_limit``); defaults from
        :func:`collection_defaults`. ``transfers``: ``target_items_per_pupil`` (a number or
        ``{category: items per pupil}``; default the standard split by the scope's category
        mix), ``radius_km``, ``unit_price_sek`` (prices the purchase list), ``time_limit``;
        libraries without pupils or coordinates take no part. ``clusters``: params of
        :func:`planning.coordination.shared_librarian_clusters`; libraries without coordinates
        take no part.
    collection : pandas.DataFrame, optional
        :func:`inventory.repository.collection_years` rows of the frame's year (needed by
        :data:`COLLECTION_MODELS`).
    catalogue_years : pandas.DataFrame, optional
        :func:`inventory.repository.catalogue_year_counts`, for the age structure of the
        media plan.

    Raises
    ------
    ValueError
        Unknown model or parameter, malformed values (an infeasible reallocation or cluster
        plan is not an error: it returns ``status == "infeasible"``).
    """
    params = dict(params or {})
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    unknown = sorted(set(params) - _ALLOWED[model])
    if unknown:
        raise ValueError(
            f"unknown parameter(s) for {model}: {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(_ALLOWED[model]))})"
        )
    if frame.empty:
        raise ValueError("no libraries with both pupils and staffed hours")
    hourly = _number(params, "hourly_cost_sek", DEFAULT_HOURLY_COST_SEK)
    weeks = _number(params, "weeks_per_year", DEFAULT_WEEKS_PER_YEAR)
    before = frame["staffed_hours_week"].astype(float).to_numpy()
    objective = math.nan
    if model == "reallocate":
        options = {k: params[k] for k in _REALLOCATE_KEYS if params.get(k) is not None}
        result = reallocate_staff_hours(frame, **options)
        status, message = result.status, result.message
        objective = float(result.objective_value)
        after = result.allocation["hours_after"].to_numpy(dtype=float)
    elif model == "min-cost":
        options = {k: params[k] for k in _MIN_COST_KEYS if params.get(k) is not None}
        options.setdefault("standard", "kb_20h")
        data = frame
        if options["standard"] == "lis_1_per_300":
            data = frame.assign(lis_hours_week=frame["lis_hours_week"].fillna(0.0))
        result = min_cost_to_standard(data, hourly_cost_sek=hourly, weeks_per_year=weeks, **options)
        extra = result.table.set_index("library_id")["extra_hours_week"]
        after = before + extra.reindex(frame["library_id"]).to_numpy(dtype=float)
        status = "ok"
        totals = result.totals
        objective = float(totals["cost_sek_per_year"])
        message = (
            f"{totals['n_below_standard']} of {totals['n_libraries']} libraries below the "
            f"standard ({totals['description_en']}); {totals['extra_hours_week']:,.1f} extra "
            f"hours a week cost {totals['cost_sek_per_year']:,.0f} SEK a year"
        )
    elif model == "manual":
        after = _manual_hours(frame, params.get("hours"))
        status = "ok"
        message = "manual: hours set by hand"
    else:
        outcome = _run_plan_model(frame, model, params, collection, catalogue_years)
        after, status, message = outcome.after, outcome.status, outcome.message
        objective = outcome.objective
    pupils = frame["pupils"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_before = np.where(pupils > 0, 100.0 * before / pupils, np.nan)
        per_after = np.where(pupils > 0, 100.0 * after / pupils, np.nan)
    change = after - before
    libraries = pd.DataFrame({"library_id": frame["library_id"].to_numpy()})
    if "library_name" in frame:
        libraries["library_name"] = frame["library_name"].to_numpy()
    libraries["pupils"] = pupils
    libraries["need_weight"] = (
        frame["need_weight"].astype(float).to_numpy() if "need_weight" in frame else 1.0
    )
    libraries["hours_before"] = before
    libraries["hours_after"] = after
    libraries["change_hours"] = change
    libraries["per_100_before"] = per_before
    libraries["per_100_after"] = per_after
    for column in ("x", "y"):
        if column in frame:
            libraries[column] = frame[column].to_numpy()
    done = bool(np.isfinite(after).all())
    equity_before = _equity(per_before, pupils)
    equity_after = _equity(per_after, pupils) if done else {}
    total_change = float(np.nansum(change)) if done else math.nan
    cost = total_change * hourly * weeks if done else math.nan
    gained = np.where(change > _EPS, change, 0.0)
    lost = np.where(change < -_EPS, -change, 0.0)
    numbers = {
        "n_libraries": int(len(frame)),
        "n_gainers": int((change > _EPS).sum()) if done else 0,
        "n_losers": int((change < -_EPS).sum()) if done else 0,
        "hours_gained": float(gained.sum()) if done else math.nan,
        "hours_lost": float(lost.sum()) if done else math.nan,
        "hours_moved": float(np.abs(change).sum()) if done else math.nan,
        "total_hours_before": float(before.sum()),
        "total_hours_after": float(after.sum()) if done else math.nan,
        "min_per_100_before": equity_before.get("min", math.nan),
        "min_per_100_after": equity_after.get("min", math.nan),
        "gini_before": equity_before.get("gini", math.nan),
        "gini_after": equity_after.get("gini", math.nan),
        "mcloone_before": equity_before.get("mcloone", math.nan),
        "mcloone_after": equity_after.get("mcloone", math.nan),
        "cost_change_sek": cost,
    }
    detail = None
    if model in PLAN_MODELS:
        detail = outcome.detail
        for column, values in outcome.columns.items():
            libraries[column] = values
        numbers.update(outcome.numbers)
        cost = outcome.cost_sek
        if outcome.cost_per_hour is not None:  # hours a week, priced like the other models
            cost = outcome.cost_per_hour * hourly * weeks
        numbers["cost_change_sek"] = cost
    return ScenarioRun(
        model=model,
        params=json_safe(params),
        libraries=libraries,
        equity_before=equity_before,
        equity_after=equity_after,
        cost_change_sek=cost,
        hourly_cost_sek=hourly,
        weeks_per_year=weeks,
        status=status,
        message=message,
        objective=objective,
        numbers=numbers,
        detail=detail,
    )


# --------------------------------------------------------------------------- plan models


@dataclass(frozen=True)
class _Outcome:
    """What a collection or coordination model adds to the common scenario run."""

    after: np.ndarray  # staffed hours a week after
    status: str
    message: str
    objective: float
    detail: MediaPlan | TransferPlan | ClusterPlan
    columns: dict[str, Any]  # extra per-library columns, aligned with the frame
    numbers: dict[str, Any]
    cost_sek: float = 0.0  # yearly cost change (SEK) ...
    cost_per_hour: float | None = None  # ... or a change in hours a week, priced at the hourly cost


def collection_defaults(frame: pd.DataFrame) -> dict[str, Any]:
    """Default parameters of the collection models, from the frame and the reference values.

    ``budget_sek``: today's physical media cost of the libraries (``media_cost_physical_sek``
    summed), else the national mean media cost per pupil x pupils; ``unit_price_sek``: that
    cost per acquired item, else :data:`DEFAULT_UNIT_PRICE_SEK`; ``target_items_per_pupil``:
    the lower bound for primary school (CILIP); ``target_recent_share``: 0.5 (a median age of
    at most ten years, "good"); ``years``: 5; ``current_media_cost_sek`` (NaN if unknown).
    """
    reference = load_reference_values()
    pupils = float(pd.to_numeric(frame["pupils"], errors="coerce").fillna(0).sum())
    cost = _known_sum(frame, "media_cost_physical_sek")
    bought = _known_sum(frame, "acquisitions")
    per_pupil = reference_value(reference, "national_media_sek_per_pupil_2023")
    budget = cost if cost > 0 else per_pupil * pupils
    price = cost / bought if cost > 0 and bought > 0 else DEFAULT_UNIT_PRICE_SEK
    return {
        "budget_sek": float(round(budget, -3)) if budget >= 1000 else float(round(budget)),
        "unit_price_sek": float(round(price)),
        "target_items_per_pupil": reference_value(reference, "items_per_pupil_primary_min"),
        "target_recent_share": 0.5,
        "years": 5,
        "current_media_cost_sek": cost if cost > 0 else math.nan,
    }


def _known_sum(frame: pd.DataFrame, column: str) -> float:
    if column not in frame:
        return 0.0
    return float(pd.to_numeric(frame[column], errors="coerce").fillna(0).sum())


def _options(params: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: params[k] for k in keys if params.get(k) is not None}


def _by_library(frame: pd.DataFrame, table: pd.DataFrame, column: str) -> np.ndarray:
    """``table[column]`` aligned with the frame's libraries (NaN where a library is absent)."""
    values = table.set_index("library_id")[column]
    return frame["library_id"].map(values).to_numpy(dtype=float, na_value=np.nan)


def _year_rows(frame: pd.DataFrame, collection: pd.DataFrame | None, model: str) -> pd.DataFrame:
    """The frame's libraries' physical collection rows of the frame's year.

    E-books are left out: the standards count physical items, and a licence cannot be sent
    to another library.
    """
    if collection is None:
        raise ValueError(f"{model} needs the collection rows of the year (collection=...)")
    rows = collection[
        collection["library_id"].isin(frame["library_id"])
        & (collection["category"].astype(str) != "e_books")
    ]
    year = frame.attrs.get("year")
    if year is None:
        year = int(rows["year"].max()) if len(rows) else None
    if year is None:
        raise ValueError(f"{model}: no collection rows for these libraries")
    rows = rows[rows["year"] == int(year)]
    if rows.empty:
        raise ValueError(f"{model}: no collection rows for {year}")
    return rows.assign(year=int(year))


def _located(frame: pd.DataFrame) -> pd.Series:
    if "x" not in frame or "y" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["x"].notna() & frame["y"].notna()


def _run_plan_model(frame, model, params, collection, catalogue_years) -> _Outcome:
    if model == "media-plan":
        return _media_outcome(frame, params, _year_rows(frame, collection, model), catalogue_years)
    if model == "transfers":
        return _transfer_outcome(frame, params, _year_rows(frame, collection, model))
    return _cluster_outcome(frame, params)


def _media_outcome(frame, params, rows, catalogue_years) -> _Outcome:
    defaults = collection_defaults(frame)
    year = int(rows["year"].iloc[0])
    options = _options(params, _MEDIA_KEYS)
    for key in ("budget_sek", "unit_price_sek", "target_items_per_pupil", "target_recent_share"):
        options.setdefault(key, defaults[key])
    if not isinstance(options["budget_sek"], list | tuple):
        options.setdefault("years", defaults["years"])
    cohorts = stock_cohorts(rows, year, catalogue_years)
    plan = media_budget_plan(cohorts, frame[["library_id", "pupils"]], base_year=year, **options)
    columns = {
        name: _by_library(frame, plan.libraries, name)
        for name in (
            "items_before",
            "items_after",
            "attainment_before",
            "attainment_after",
            "purchased_items",
            "purchased_sek",
            "items_needed",
        )
    }
    n = plan.numbers
    current = defaults["current_media_cost_sek"]
    mean_budget = n["budget_sek"] / n["n_years"]
    numbers = {
        **n,
        "current_media_cost_sek": current,
        "mean_budget_sek": mean_budget,
        "target_items_per_pupil": options["target_items_per_pupil"],
        "target_recent_share": float(options["target_recent_share"]),
        "unit_price_sek": options["unit_price_sek"],
        "n_excluded": len(plan.excluded),
    }
    cost = mean_budget - current if math.isfinite(current) else math.nan
    return _Outcome(
        after=frame["staffed_hours_week"].astype(float).to_numpy(),
        status=plan.status,
        message=plan.message,
        objective=n["min_attainment_after"],
        detail=plan,
        columns=columns,
        numbers=numbers,
        cost_sek=cost,
    )


def _default_targets(rows: pd.DataFrame, per_pupil: float) -> dict:
    """The standard split over categories in the proportions of the scope's holdings."""
    items = rows.groupby("category")["items"].sum(min_count=1).astype(float).fillna(0.0)
    if items.sum() <= 0:
        raise ValueError("transfers: no items recorded; give target_items_per_pupil per category")
    share = items / items.sum()
    return {str(c): round(per_pupil * float(v), 2) for c, v in share.items() if v > 0}


def _transfer_outcome(frame, params, rows) -> _Outcome:
    defaults = collection_defaults(frame)
    located = _located(frame)
    usable = frame[(frame["pupils"] > 0) & located]
    data = rows.merge(usable[["library_id", "pupils", "x", "y"]], on="library_id")
    data = data[data["items"].notna()]
    data = data.assign(items=data["items"].astype(float), category=data["category"].astype(str))
    if data.empty:
        raise ValueError("transfers: no library with pupils, coordinates and collection rows")
    target = params.get("target_items_per_pupil")
    if target is None:
        target = _default_targets(data, defaults["target_items_per_pupil"])
    price = float(params.get("unit_price_sek") or defaults["unit_price_sek"])
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"unit_price_sek must be a number > 0, got {price!r}")
    plan = stock_transfers(
        data[["library_id", "category", "items", "pupils", "x", "y"]],
        target_items_per_pupil=target,
        radius_km=params.get("radius_km"),
        **_options(params, ("time_limit",)),
    )
    per_lib = plan.balance.groupby("library_id")[
        ["items", "items_after", "sent", "received", "purchase", "target_items"]
    ].sum()
    per_lib = per_lib.reset_index()
    pupils = frame["pupils"].astype(float).to_numpy()
    before = _by_library(frame, per_lib, "items")
    after = _by_library(frame, per_lib, "items_after")
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = {
            "items_before": before,
            "items_after": after,
            "items_sent": _by_library(frame, per_lib, "sent"),
            "items_received": _by_library(frame, per_lib, "received"),
            "items_to_buy": _by_library(frame, per_lib, "purchase"),
            "items_per_pupil_before": np.where(pupils > 0, before / pupils, np.nan),
            "items_per_pupil_after": np.where(pupils > 0, after / pupils, np.nan),
        }
    balance = plan.balance
    numbers = {
        "moved": plan.moved,
        "item_km": plan.item_km,
        "n_transfers": len(plan.transfers),
        "deficit": int(balance["deficit"].sum()),
        "surplus": int(balance["surplus"].sum()),
        "purchase_items": int(balance["purchase"].sum()),
        "n_buyers": int(plan.purchases["library_id"].nunique()),
        "n_senders": int(plan.transfers["from_library_id"].nunique()),
        "n_receivers": int(plan.transfers["to_library_id"].nunique()),
        "radius_km": plan.radius_km,
        "unit_price_sek": price,
        "purchase_cost_sek": float(balance["purchase"].sum()) * price,
        "target_items_per_pupil": target,
        "n_excluded": int(len(frame) - len(usable)),
    }
    return _Outcome(
        after=frame["staffed_hours_week"].astype(float).to_numpy(),
        status=plan.status,
        message=plan.message,
        objective=plan.item_km,
        detail=plan,
        columns=columns,
        numbers=numbers,
        cost_sek=0.0,
    )


def _cluster_outcome(frame, params) -> _Outcome:
    located = _located(frame)
    data = frame[located]
    if data.empty:
        raise ValueError("clusters: no library has coordinates")
    if "lis_hours_week" not in data:
        data = data.assign(lis_hours_week=np.nan)
    plan = shared_librarian_clusters(
        data[["library_id", "pupils", "x", "y", "lis_hours_week"]],
        **_options(params, _CLUSTER_KEYS),
    )
    before = frame["staffed_hours_week"].astype(float).to_numpy()
    assigned = plan.assignments
    required = _by_library(frame, assigned, "required_hours")
    lis = (
        frame["lis_hours_week"].astype(float).fillna(0.0).to_numpy()
        if ("lis_hours_week" in frame)
        else np.zeros(len(frame))
    )
    in_cluster = np.isfinite(required)
    if plan.ok:
        after = np.where(in_cluster, before - lis + np.nan_to_num(required), before)
    else:
        after = np.full(len(frame), np.nan)
    role = pd.Series("outside", index=frame.index)
    alone = set(plan.excluded.loc[plan.excluded["reason"] == "staffed_alone", "library_id"])
    role[frame["library_id"].isin(alone).to_numpy()] = "staffed_alone"
    hubs = set(assigned.loc[assigned["is_hub"].astype(bool), "library_id"])
    role[in_cluster] = "member"
    role[frame["library_id"].isin(hubs).to_numpy()] = "hub"
    capacity = float(params.get("capacity_hours") or 40.0)
    columns = {
        "cluster_role": role.to_numpy(),
        "hub_id": _by_library(frame, assigned, "hub_id"),
        "required_hours": required,
        "travel_hours": _by_library(frame, assigned, "travel_hours"),
        "lis_hours_before": np.where(in_cluster, lis, np.nan),
    }
    numbers = {
        **plan.gain,
        "librarians": plan.librarians,
        "lower_bound": plan.lower_bound,
        "travel_hours": plan.travel_hours,
        "heuristic_travel_hours": plan.heuristic_travel_hours,
        "mip_gap": plan.mip_gap,
        "capacity_hours": capacity,
        "n_staffed_alone": len(alone),
        "n_excluded": int(len(frame) - len(data)),
    }
    lis_clustered = float(lis[in_cluster].sum())
    cost_hours = plan.librarians * capacity - lis_clustered if plan.ok else math.nan
    return _Outcome(
        after=after,
        status=plan.status,
        message=plan.message,
        objective=plan.travel_hours,
        detail=plan,
        columns=columns,
        numbers=numbers,
        cost_per_hour=cost_hours,
    )


def run_details(run: ScenarioRun) -> dict[str, pd.DataFrame]:
    """The result tables of a :data:`PLAN_MODELS` run by name (empty for the other models).

    ``media-plan``: ``purchases``, ``timeline``, ``shortfall``, ``budget``; ``transfers``:
    ``transfers``, ``purchases``, ``balance``; ``clusters``: ``assignments``, ``clusters``,
    ``excluded``.
    """
    detail = run.detail
    if isinstance(detail, MediaPlan):
        names = ("purchases", "timeline", "shortfall", "budget")
    elif isinstance(detail, TransferPlan):
        names = ("transfers", "purchases", "balance")
    elif isinstance(detail, ClusterPlan):
        names = ("assignments", "clusters", "excluded")
    else:
        return {}
    return {name: getattr(detail, name) for name in names}


#: Per-library quantities a plan model adds to the stored ones: name -> (before, after) column
#: of ``ScenarioRun.libraries``. :func:`result_rows` gives the rows to store.
MODEL_QUANTITIES: dict[str, dict[str, tuple[str, str]]] = {
    "media-plan": {
        "collection_items": ("items_before", "items_after"),
        "collection_target_attainment": ("attainment_before", "attainment_after"),
    },
    "transfers": {
        "collection_items": ("items_before", "items_after"),
        "collection_items_per_pupil": ("items_per_pupil_before", "items_per_pupil_after"),
    },
    "clusters": {"lis_hours": ("lis_hours_before", "required_hours")},
}


def result_rows(run: ScenarioRun, quantities: Mapping[str, tuple[str, str]]) -> list[dict]:
    """Rows ``library_id, quantity, before, after`` for ``quantities`` plus the model's own.

    ``quantities`` are the stored ones common to every model (``scenario_store.QUANTITIES``);
    :data:`MODEL_QUANTITIES` adds the plan models' own. NaN becomes ``None``.
    """
    wanted = {**quantities, **MODEL_QUANTITIES.get(run.model, {})}
    rows = []
    for record in run.libraries.to_dict(orient="records"):
        for quantity, (before, after) in wanted.items():
            rows.append(
                {
                    "library_id": int(record["library_id"]),
                    "quantity": quantity,
                    "before": json_safe(_float_or_none(record.get(before))),
                    "after": json_safe(_float_or_none(record.get(after))),
                }
            )
    return rows


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf as ``None``, numpy scalars as Python numbers, keys as text."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- summary


def _num(value: float, lang: str, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "sv":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


_TEXT = {
    "sv": {
        "failed": "Scenariot gav ingen lösning ({status}): {message}",
        "change": (
            "{gainers} av {n} bibliotek får fler timmar (sammanlagt {gained} tim/vecka) och "
            "{losers} får färre (sammanlagt {lost} tim/vecka)."
        ),
        "none": "Inget bibliotek får ändrade timmar ({n} bibliotek).",
        "minimum": (
            "Lägsta bemanning går från {before} till {after} timmar per vecka per 100 elever."
        ),
        "equity": (
            "Gini-koefficienten går från {gini_before} till {gini_after} (lägre är jämnare) "
            "och McLoone-index från {mc_before} till {mc_after} (högre är jämnare)."
        ),
        "cost_zero": "Kostnaden är oförändrad (lika många timmar totalt).",
        "cost_up": "Kostnaden ökar med {cost} kr per år ({hourly} kr/tim, {weeks} veckor).",
        "cost_down": "Kostnaden minskar med {cost} kr per år ({hourly} kr/tim, {weeks} veckor).",
    },
    "en": {
        "failed": "The scenario has no solution ({status}): {message}",
        "change": (
            "{gainers} of {n} libraries gain hours ({gained} h/week in all) and {losers} "
            "lose hours ({lost} h/week in all)."
        ),
        "none": "No library's hours change ({n} libraries).",
        "minimum": "The lowest staffing goes from {before} to {after} hours a week per 100 pupils.",
        "equity": (
            "The Gini coefficient goes from {gini_before} to {gini_after} (lower is more even) "
            "and the McLoone index from {mc_before} to {mc_after} (higher is more even)."
        ),
        "cost_zero": "The cost is unchanged (the same total hours).",
        "cost_up": "The cost rises by SEK {cost} a year ({hourly} SEK/h, {weeks} weeks).",
        "cost_down": "The cost falls by SEK {cost} a year ({hourly} SEK/h, {weeks} weeks).",
    },
}


def summarise(run: ScenarioRun, lang: str = "sv") -> str:
    """A short plain-language summary (Swedish ``"sv"`` or English ``"en"``) of a run.

    Who gains and who loses (counts and hours), the lowest staffing, Gini and McLoone
    before → after, and the cost change — all read from ``run.numbers``. The plan models say
    what their plan does and, plainly, what it cannot reach.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'sv' or 'en', got {lang!r}")
    text = _TEXT[lang]
    n = run.numbers
    if not run.ok:
        return text["failed"].format(status=run.status, message=run.message)
    if run.model in _PLAN_SUMMARIES:
        return _PLAN_SUMMARIES[run.model](run, lang)
    parts = []
    if n["n_gainers"] or n["n_losers"]:
        parts.append(
            text["change"].format(
                gainers=n["n_gainers"],
                losers=n["n_losers"],
                n=n["n_libraries"],
                gained=_num(n["hours_gained"], lang),
                lost=_num(n["hours_lost"], lang),
            )
        )
    else:
        parts.append(text["none"].format(n=n["n_libraries"]))
    if math.isfinite(n["min_per_100_before"]):
        parts.append(
            text["minimum"].format(
                before=_num(n["min_per_100_before"], lang, 2),
                after=_num(n["min_per_100_after"], lang, 2),
            )
        )
        parts.append(
            text["equity"].format(
                gini_before=_num(n["gini_before"], lang, 3),
                gini_after=_num(n["gini_after"], lang, 3),
                mc_before=_num(n["mcloone_before"], lang, 3),
                mc_after=_num(n["mcloone_after"], lang, 3),
            )
        )
    cost = n["cost_change_sek"]
    if abs(cost) < 0.5:
        parts.append(text["cost_zero"])
    else:
        parts.append(
            text["cost_up" if cost > 0 else "cost_down"].format(
                cost=_num(abs(cost), lang, 0),
                hourly=_num(run.hourly_cost_sek, lang, 0),
                weeks=_num(run.weeks_per_year, lang, 0),
            )
        )
    return " ".join(parts)


# --------------------------------------------------------------------------- plan summaries


def _pct(value: float, lang: str, decimals: int = 0, floor: bool = False) -> str:
    """A share as a percentage; ``floor`` never rounds 99.6 % up to a "100 %" not reached."""
    if value is None or not math.isfinite(value):
        return "–"
    percent = 100 * value
    if floor:
        percent = math.floor(percent * 10**decimals + 1e-9) / 10**decimals
    number = _num(percent, lang, decimals)
    return f"{number}\u00a0%" if lang == "sv" else f"{number}%"


_PLAN_TEXT = {
    "sv": {
        "media_reached": (
            "Med en mediebudget på sammanlagt {budget} kr över {years} år ({price} kr per medium) "
            "når alla {n} bibliotek båda målen – {target} medier per elev, varav minst "
            "{share} utgivna de senaste tio åren – senast {year}."
        ),
        "media_short": (
            "Med en mediebudget på sammanlagt {budget} kr över {years} år ({price} kr per medium) "
            "går den lägsta måluppfyllelsen från {before} ({base}) till {after} ({final}). Målen "
            "är {target} medier per elev, varav minst {share} utgivna de senaste tio åren."
        ),
        "media_gap": (
            "Budgeten räcker inte: {below} av {n} bibliotek når inte målen till {final}. Det "
            "saknas då {items} medier, ungefär {extra} kr utöver planen."
        ),
        "media_weeded": "Gallringen efter ålder tar bort {weeded} medier under perioden.",
        "media_unspent": "{unspent} kr av budgeten behövs inte för målen.",
        "transfers": (
            "{moved} medier kan flyttas mellan {senders} bibliotek med överskott och "
            "{receivers} under målet{radius} innan något köps: {shipments} försändelser, "
            "sammanlagt {item_km} mediekilometer. Det täcker {covered} av underskottet på "
            "{deficit} medier."
        ),
        "transfers_none": (
            "Inga medier kan flyttas{radius}: inget bibliotek med överskott har ett bibliotek "
            "under målet inom räckhåll i samma kategori."
        ),
        "transfers_buy": (
            "{buy} medier återstår att köpa hos {buyers} bibliotek (ungefär {cost} kr vid "
            "{price} kr per medium)."
        ),
        "transfers_done": "Inget behöver köpas: överföringarna täcker hela underskottet.",
        "radius": " inom {km} km",
        "clusters": (
            "{n} skolor har för få elever för en egen skolbibliotekarie ({pupils} elever). De kan "
            "dela på {librarians} à {cap} timmar per vecka, restid inräknad; restiden blir "
            "sammanlagt {travel} timmar per vecka."
        ),
        "clusters_gain": (
            "I dag når {before} av {pupils} elever bemanningsnormen med {fte_before} årsverken "
            "bibliotekarie; med planen når alla normen med {fte}."
        ),
        "clusters_gap": (
            "Beräkningen stoppade vid tidsgränsen: restiden är högst {gap} längre än den kortaste "
            "möjliga."
        ),
        "librarians": ("en bibliotekarie", "{p} bibliotekarier"),
        "fte": ("1 årsverke", "{p} årsverken"),
        "clusters_cost_up": "Kostnaden ökar med {cost} kr per år.",
        "clusters_cost_down": "Kostnaden minskar med {cost} kr per år.",
    },
    "en": {
        "media_reached": (
            "With a media budget of SEK {budget} in all over {years} years (SEK {price} an item) "
            "every one of the {n} libraries reaches both targets – {target} items per pupil, "
            "at least {share} of them published in the last ten years – by {year}."
        ),
        "media_short": (
            "With a media budget of SEK {budget} in all over {years} years (SEK {price} an item) "
            "the lowest target attainment goes from {before} ({base}) to {after} ({final}). The "
            "targets are {target} items per pupil, at least {share} of them published in the "
            "last ten years."
        ),
        "media_gap": (
            "The budget is not enough: {below} of {n} libraries do not reach the targets by "
            "{final}. They would still lack {items} items, about SEK {extra} on top of the plan."
        ),
        "media_weeded": "Weeding by age withdraws {weeded} items over the period.",
        "media_unspent": "SEK {unspent} of the budget is not needed for the targets.",
        "transfers": (
            "{moved} items can move from {senders} libraries with a surplus to {receivers} "
            "below target{radius} before anything is bought: {shipments} shipments, "
            "{item_km} item-kilometres in all. That covers {covered} of the deficit of "
            "{deficit} items."
        ),
        "transfers_none": (
            "No items can move{radius}: no library with a surplus has a library below target "
            "within reach in the same category."
        ),
        "transfers_buy": (
            "{buy} items remain to be bought by {buyers} libraries (about SEK {cost} at "
            "SEK {price} an item)."
        ),
        "transfers_done": "Nothing needs buying: the transfers cover the whole deficit.",
        "radius": " within {km} km",
        "clusters": (
            "{n} schools have too few pupils for a school librarian of their own ({pupils} "
            "pupils). They can share {librarians} of {cap} hours a week, travel included; "
            "travel comes to {travel} hours a week in all."
        ),
        "clusters_gain": (
            "Today {before} of {pupils} pupils reach the staffing standard with {fte_before} FTE "
            "of librarians; with the plan all of them do, with {fte}."
        ),
        "clusters_gap": (
            "The search stopped at the time limit: the travel is at most {gap} above the "
            "shortest possible."
        ),
        "librarians": ("one librarian", "{p} librarians"),
        "fte": ("1 FTE", "{p} FTE"),
        "clusters_cost_up": "The cost rises by SEK {cost} a year.",
        "clusters_cost_down": "The cost falls by SEK {cost} a year.",
    },
}


def _target_text(target: Any, lang: str) -> str:
    if isinstance(target, Mapping):
        return _num(sum(float(v) for v in target.values()), lang, 1)
    return _num(float(target), lang, 1)


def _summary_media(run: ScenarioRun, lang: str) -> str:
    text, n = _PLAN_TEXT[lang], run.numbers
    common = {
        "budget": _num(n["budget_sek"], lang, 0),
        "years": n["n_years"],
        "price": _num(_mean_price(n["unit_price_sek"]), lang, 0),
        "n": n["n_libraries"],
        "target": _target_text(n["target_items_per_pupil"], lang),
        "share": _pct(n["target_recent_share"], lang),
    }
    parts = []
    if n["year_all_reached"] is not None and n["n_below_after"] == 0:
        parts.append(text["media_reached"].format(year=n["year_all_reached"], **common))
        if n["unspent_sek"] >= 0.5:
            parts.append(text["media_unspent"].format(unspent=_num(n["unspent_sek"], lang, 0)))
    else:
        parts.append(
            text["media_short"].format(
                before=_pct(n["min_attainment_before"], lang, floor=True),
                after=_pct(n["min_attainment_after"], lang, floor=True),
                base=n["base_year"],
                final=n["final_year"],
                **common,
            )
        )
        parts.append(
            text["media_gap"].format(
                below=n["n_below_after"],
                n=n["n_libraries"],
                final=n["final_year"],
                items=_num(n["extra_items_needed"], lang, 0),
                extra=_num(n["extra_sek_needed"], lang, 0),
            )
        )
    if n.get("weeded_items", 0) >= 0.5:
        parts.append(text["media_weeded"].format(weeded=_num(n["weeded_items"], lang, 0)))
    return " ".join(parts)


def _mean_price(price: Any) -> float:
    """One price, or the mean of the prices per category."""
    if isinstance(price, Mapping):
        return float(np.mean([float(v) for v in price.values()]))
    return float(price)


def _summary_transfers(run: ScenarioRun, lang: str) -> str:
    text, n = _PLAN_TEXT[lang], run.numbers
    radius = (
        "" if n["radius_km"] is None else text["radius"].format(km=_num(n["radius_km"], lang, 0))
    )
    if n["moved"] > 0:
        covered = n["moved"] / n["deficit"] if n["deficit"] else math.nan
        parts = [
            text["transfers"].format(
                moved=_num(n["moved"], lang, 0),
                senders=n["n_senders"],
                receivers=n["n_receivers"],
                radius=radius,
                shipments=n["n_transfers"],
                item_km=_num(n["item_km"], lang, 0),
                covered=_pct(covered, lang),
                deficit=_num(n["deficit"], lang, 0),
            )
        ]
    else:
        parts = [text["transfers_none"].format(radius=radius)]
    if n["purchase_items"] > 0:
        parts.append(
            text["transfers_buy"].format(
                buy=_num(n["purchase_items"], lang, 0),
                buyers=n["n_buyers"],
                cost=_num(n["purchase_cost_sek"], lang, 0),
                price=_num(n["unit_price_sek"], lang, 0),
            )
        )
    else:
        parts.append(text["transfers_done"])
    return " ".join(parts)


def _summary_clusters(run: ScenarioRun, lang: str) -> str:
    text, n = _PLAN_TEXT[lang], run.numbers
    p = n["librarians"]
    parts = [
        text["clusters"].format(
            n=n["n_schools"],
            pupils=_num(n["pupils"], lang, 0),
            librarians=text["librarians"][p != 1].format(p=p),
            cap=_num(n["capacity_hours"], lang, 0),
            travel=_num(n["travel_hours"], lang, 1),
        ),
        text["clusters_gain"].format(
            before=_num(n["pupils_at_standard_before"], lang, 0),
            pupils=_num(n["pupils"], lang, 0),
            fte_before=_num(n["fte_before"], lang, 1),
            fte=text["fte"][p != 1].format(p=p),
        ),
    ]
    if run.status == "feasible" and n.get("mip_gap") is not None:
        parts.append(text["clusters_gap"].format(gap=_pct(n["mip_gap"], lang, 1)))
    cost = run.cost_change_sek
    if math.isfinite(cost) and abs(cost) >= 0.5:
        key = "clusters_cost_up" if cost > 0 else "clusters_cost_down"
        parts.append(text[key].format(cost=_num(abs(cost), lang, 0)))
    return " ".join(parts)


_PLAN_SUMMARIES = {
    "media-plan": _summary_media,
    "transfers": _summary_transfers,
    "clusters": _summary_clusters,
}
