"""Pure helpers for the scenarios page (Scenarier): parameters from widgets, chart data.

No Streamlit here; the page lays out widgets and calls these with their values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CHANGE_KINDS", "change_kinds", "manual_hours", "params_from_inputs", "ranking_frame"]

#: change category of a library (catalog keys scenarios.change.<kind>)
CHANGE_KINDS = ("gain", "loss", "same")
_EPS = 1e-6


def params_from_inputs(model: str, values: dict[str, Any]) -> dict[str, Any]:
    """Model parameters from the page's inputs; 0 means "not set" for block and max change.

    ``values`` may hold ``objective``, ``need_weighted``, ``block_hours``,
    ``max_change_hours``, ``standard``, ``value``, ``hourly_cost_sek`` and ``hours``; only the
    ones the model takes are kept.
    """
    params: dict[str, Any] = {"hourly_cost_sek": float(values.get("hourly_cost_sek", 350.0))}
    if model == "reallocate":
        params["objective"] = values.get("objective", "maximin")
        params["need_weighted"] = bool(values.get("need_weighted", True))
        for key in ("block_hours", "max_change_hours"):
            number = values.get(key)
            if number:
                params[key] = float(number)
    elif model == "min-cost":
        params["standard"] = values.get("standard", "kb_20h")
        if params["standard"] == "user":
            params["value"] = float(values.get("value", 3.0))
    elif model == "manual":
        params["hours"] = dict(values.get("hours") or {})
    else:
        raise ValueError(f"unknown model {model!r}")
    return params


def manual_hours(edited: pd.DataFrame) -> dict[str, float]:
    """``{library_id: new hours}`` for the rows of an edited table whose hours changed.

    ``edited`` has ``library_id``, ``hours_before`` and ``hours_after``; an emptied cell keeps
    the current hours.
    """
    after = edited["hours_after"].astype(float)
    before = edited["hours_before"].astype(float)
    changed = after.notna() & ((after - before).abs() > _EPS)
    return {
        str(int(i)): float(h)
        for i, h in zip(edited.loc[changed, "library_id"], after[changed], strict=True)
    }


def change_kinds(change_hours: pd.Series) -> list[str]:
    """``gain``, ``loss`` or ``same`` per value (changes under 1e-6 h count as the same)."""
    values = change_hours.astype(float).to_numpy()
    return np.select([values > _EPS, values < -_EPS], ["gain", "loss"], "same").tolist()


def ranking_frame(libraries: pd.DataFrame) -> pd.DataFrame:
    """Libraries with pupils, ranked by staffed hours per 100 pupils after (highest first).

    Columns: ``library_name``, ``per_100_before``, ``per_100_after``, ``change_hours``,
    ``change`` (``gain``/``loss``/``same``) and ``rank`` (1 = highest after).
    """
    frame = libraries[libraries["pupils"] > 0].copy()
    if "library_name" not in frame:
        frame["library_name"] = frame["library_id"].astype(str)
    frame["change"] = change_kinds(frame["change_hours"])
    frame = frame.sort_values(
        ["per_100_after", "library_name"], ascending=[False, True], kind="stable"
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    columns = ["library_name", "per_100_before", "per_100_after", "change_hours", "change"]
    return frame[[*columns, "rank"]].reset_index(drop=True)


def change_counts(libraries: pd.DataFrame) -> dict[str, int]:
    """How many libraries (with pupils) gain, lose or keep their hours."""
    kinds = ranking_frame(libraries)["change"]
    return {kind: int((kinds == kind).sum()) for kind in CHANGE_KINDS}


def lowest_per_100(libraries: pd.DataFrame) -> tuple[float, float]:
    """The lowest hours per 100 pupils before and after, over libraries with pupils."""
    frame = ranking_frame(libraries)
    return float(frame["per_100_before"].min()), float(frame["per_100_after"].min())
