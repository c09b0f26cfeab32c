"""Planning scenarios: run a model on one year's libraries and describe the change.

A scenario is a model (``"reallocate"``, ``"min-cost"`` or ``"manual"``) with parameters,
run on one row per library built by :func:`build_input` from
:func:`inventory.repository.library_year_frame`. :func:`run_scenario` returns a
:class:`ScenarioRun`: per-library staffed hours and staffed hours per 100 pupils before and
after, the pupil-weighted :func:`metrics.equity.equity_summary` of staffed hours per 100 pupils
before and after, the cost change and the solver status. :func:`summarise` turns the numbers
into a short plain-language text in Swedish or English. Persistence is in
:mod:`planning.scenario_store`.

Cost change = (total hours after - total hours before) per week x ``hourly_cost_sek``
(default 350 SEK/h) x ``weeks_per_year`` (default 40, the school year). A cost-neutral
reallocation therefore costs 0.

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
from planning.optimise import (
    DEFAULT_CAP_HOURS,
    DEFAULT_WEEKS_PER_YEAR,
    min_cost_to_standard,
    reallocate_staff_hours,
)

__all__ = [
    "DEFAULT_HOURLY_COST_SEK",
    "MODELS",
    "ScenarioRun",
    "build_input",
    "json_safe",
    "run_scenario",
    "summarise",
]

#: Models of :func:`run_scenario`.
MODELS = ("reallocate", "min-cost", "manual")
#: Default full employer cost per staffed hour (SEK), a planning assumption.
DEFAULT_HOURLY_COST_SEK = 350.0
_EPS = 1e-6  # hours; smaller changes count as unchanged

_REALLOCATE_KEYS = ("objective", "need_weighted", "block_hours", "max_change_hours", "total_hours")
_MIN_COST_KEYS = ("standard", "value", "unit")
_COMMON_KEYS = ("hourly_cost_sek", "weeks_per_year")
_ALLOWED = {
    "reallocate": set(_REALLOCATE_KEYS) | set(_COMMON_KEYS),
    "min-cost": set(_MIN_COST_KEYS) | set(_COMMON_KEYS),
    "manual": {"hours"} | set(_COMMON_KEYS),
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
    ``x``, ``y`` when present. Libraries whose pupils or staffed hours are missing are left
    out (a missing value is not 0); :attr:`DataFrame.attrs` ``["excluded"]`` lists their ids.
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
    for column in ("x", "y"):
        if column in frame:
            out[column] = frame[column].astype(float).to_numpy()
    out.attrs["excluded"] = excluded
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
        ``mcloone_before``/``_after``, ``cost_change_sek``.
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
    frame: pd.DataFrame, model: str, params: Mapping[str, Any] | None = None
) -> ScenarioRun:
    """Run ``model`` with ``params`` on an optimiser frame (:func:`build_input`).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``library_id``, ``pupils``, ``staffed_hours_week``; optional ``need_weight``,
        ``cap_hours``, ``floor_hours``, ``lis_hours_week``, ``library_name``.
    model : {"reallocate", "min-cost", "manual"}
        ``reallocate``: :func:`planning.optimise.reallocate_staff_hours` (params
        ``objective``, ``need_weighted``, ``block_hours``, ``max_change_hours``,
        ``total_hours``). ``min-cost``: every library gets the hours missing to reach a
        standard (:func:`planning.optimise.min_cost_to_standard`; params ``standard``
        (default ``"kb_20h"``), ``value``, ``unit``). ``manual``: params
        ``{"hours": {library_id: new hours}}``; libraries not listed keep their hours.
        Every model also takes ``hourly_cost_sek`` (default 350) and ``weeks_per_year``
        (default 40).

    Raises
    ------
    ValueError
        Unknown model or parameter, malformed values (an infeasible reallocation is not an
        error: it returns ``status == "infeasible"``).
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
    else:
        after = _manual_hours(frame, params.get("hours"))
        status = "ok"
        message = "manual: hours set by hand"
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
    )


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
    before → after, and the cost change — all read from ``run.numbers``.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'sv' or 'en', got {lang!r}")
    text = _TEXT[lang]
    n = run.numbers
    if not run.ok:
        return text["failed"].format(status=run.status, message=run.message)
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
