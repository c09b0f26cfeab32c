"""Saving, listing, loading, copying and comparing scenarios (tables ``scenario`` and
``scenario_result``).

Every saved run is a new version: the version is one more than the highest version saved
under the same name, so earlier versions stay as history. Per library, ``scenario_result``
holds three quantities, each with ``before`` and ``after``: ``staffed_hours`` (hours a
week), ``staffed_hours_per_100_pupils`` and ``pupils`` (the weights, equal before and after;
stored so that the comparison can recompute the pupil-weighted equity figures from the saved
rows alone). Writes go through :mod:`inventory.writes` and are checked with
:func:`inventory.permissions.require` (``scenario.create``); the caller commits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import writes
from inventory.models import Library, Municipality, Scenario, ScenarioResult
from inventory.permissions import require
from metrics.equity import equity_summary
from planning.lifecycle import record_created
from planning.optimise import DEFAULT_WEEKS_PER_YEAR
from planning.scenario import (
    DEFAULT_HOURLY_COST_SEK,
    ScenarioRun,
    json_safe,
    result_rows,
    summarise,
)

__all__ = [
    "QUANTITIES",
    "SavedScenario",
    "compare_scenarios",
    "copy_scenario",
    "list_scenarios",
    "load_scenario",
    "save_scenario",
]

#: quantity name -> column pair of ScenarioRun.libraries
QUANTITIES: dict[str, tuple[str, str]] = {
    "staffed_hours": ("hours_before", "hours_after"),
    "staffed_hours_per_100_pupils": ("per_100_before", "per_100_after"),
    "pupils": ("pupils", "pupils"),
}


@dataclass(frozen=True)
class SavedScenario:
    """A saved scenario: its row and its per-library results (one row per library).

    ``libraries`` has ``library_id``, ``library_name``, ``hours_before``, ``hours_after``,
    ``change_hours``, ``per_100_before``, ``per_100_after`` and ``pupils``.
    """

    scenario: Scenario
    libraries: pd.DataFrame


def _next_version(session: Session, name: str) -> int:
    current = session.execute(
        sa.select(sa.func.max(Scenario.version)).where(Scenario.name == name)
    ).scalar_one()
    return int(current or 0) + 1


def _municipality_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = session.execute(
        sa.select(Municipality.id).where(Municipality.code == str(code))
    ).scalar_one_or_none()
    if found is None:
        raise ValueError(f"unknown municipality code {code!r}")
    return int(found)


def save_scenario(
    session: Session,
    user: Any,
    name: str,
    run: ScenarioRun,
    base_year: int,
    municipality_code: str | None = None,
) -> Scenario:
    """Save ``run`` as the next version of ``name``; return the new row (caller commits).

    The row starts as a ``draft``; its first history step (:func:`planning.lifecycle.history`)
    and an audit entry are written with it.

    Raises
    ------
    inventory.permissions.PermissionDeniedError
        Unless the user may ``scenario.create`` (nothing is written).
    inventory.writes.InventoryValidationError
        A rejected value (nothing is written).
    """
    require(user, "scenario.create")
    municipality_id = _municipality_id(session, municipality_code)
    parameters = dict(run.params)
    parameters.setdefault("hourly_cost_sek", run.hourly_cost_sek)
    parameters.setdefault("weeks_per_year", run.weeks_per_year)
    objective = run.objective if math.isfinite(run.objective) else None
    savepoint = session.begin_nested()
    try:
        scenario = writes.add(
            session,
            Scenario,
            {
                "name": name,
                "model": run.model,
                "parameters": json_safe(parameters),
                "base_year": int(base_year),
                "municipality_id": municipality_id,
                "version": _next_version(session, name),
                "author_id": getattr(user, "id", None),
                "solver_status": run.status,
                "objective": objective,
                "summary_sv": summarise(run, "sv"),
                "summary_en": summarise(run, "en"),
            },
        )
        # the quantities every model has, plus a collection model's own (items, attainment)
        rows = [{"scenario_id": scenario.id, **row} for row in result_rows(run, QUANTITIES)]
        writes.add_all(session, ScenarioResult, rows)
        record_created(session, user, scenario)
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return scenario


def list_scenarios(session: Session) -> pd.DataFrame:
    """Every saved version: ``id``, ``name``, ``version``, ``model``, ``base_year``,
    ``municipality_code``, ``status``, ``solver_status``, ``objective``, ``author_id``,
    ``parent_id``, ``created_at``; ordered by name and version."""
    statement = (
        sa.select(
            Scenario.id,
            Scenario.name,
            Scenario.version,
            Scenario.model,
            Scenario.base_year,
            Municipality.code.label("municipality_code"),
            Scenario.status,
            Scenario.solver_status,
            Scenario.objective,
            Scenario.author_id,
            Scenario.parent_id,
            Scenario.created_at,
        )
        .outerjoin(Municipality, Municipality.id == Scenario.municipality_id)
        .order_by(Scenario.name, Scenario.version)
    )
    rows = session.execute(statement).all()
    columns = [
        "id",
        "name",
        "version",
        "model",
        "base_year",
        "municipality_code",
        "status",
        "solver_status",
        "objective",
        "author_id",
        "parent_id",
        "created_at",
    ]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["status"] = frame["status"].astype(str) if len(frame) else frame["status"]
    return frame


def load_scenario(session: Session, name: str, version: int | None = None) -> SavedScenario:
    """The scenario ``name`` (the latest version unless ``version``) with its results.

    Raises
    ------
    LookupError
        No such scenario (or version).
    """
    statement = sa.select(Scenario).where(Scenario.name == name)
    if version is not None:
        statement = statement.where(Scenario.version == int(version))
    scenario = session.execute(
        statement.order_by(Scenario.version.desc()).limit(1)
    ).scalar_one_or_none()
    if scenario is None:
        which = name if version is None else f"{name} version {version}"
        raise LookupError(f"no scenario {which}")
    rows = session.execute(
        sa.select(
            ScenarioResult.library_id,
            Library.name,
            ScenarioResult.quantity,
            ScenarioResult.before,
            ScenarioResult.after,
        )
        .join(Library, Library.id == ScenarioResult.library_id)
        .where(ScenarioResult.scenario_id == scenario.id)
        .order_by(ScenarioResult.library_id)
    ).all()
    long = pd.DataFrame(
        [tuple(r) for r in rows], columns=["library_id", "library_name", "quantity", "b", "a"]
    )
    libraries = pd.DataFrame(
        {"library_id": pd.Series(dtype="int64"), "library_name": pd.Series(dtype=object)}
    )
    if not long.empty:
        libraries = long[["library_id", "library_name"]].drop_duplicates("library_id")
        for quantity, (before, after) in QUANTITIES.items():
            part = long[long["quantity"] == quantity].set_index("library_id")
            if quantity == "pupils":
                libraries["pupils"] = libraries["library_id"].map(part["b"]).astype(float)
                continue
            libraries[before] = libraries["library_id"].map(part["b"]).astype(float)
            libraries[after] = libraries["library_id"].map(part["a"]).astype(float)
        libraries["change_hours"] = libraries["hours_after"] - libraries["hours_before"]
        libraries = libraries.reset_index(drop=True)
    return SavedScenario(scenario=scenario, libraries=libraries)


def copy_scenario(session: Session, user: Any, name: str, new_name: str) -> Scenario:
    """Copy the latest version of ``name`` as the next version of ``new_name``
    (``parent_id`` = the source row; status draft). Caller commits.

    Raises
    ------
    PermissionDeniedError, LookupError, InventoryValidationError
    """
    require(user, "scenario.create")
    source = load_scenario(session, name)
    old = source.scenario
    savepoint = session.begin_nested()
    try:
        copy = writes.add(
            session,
            Scenario,
            {
                "name": new_name,
                "model": old.model,
                "parameters": dict(old.parameters or {}),
                "base_year": old.base_year,
                "municipality_id": old.municipality_id,
                "version": _next_version(session, new_name),
                "parent_id": old.id,
                "author_id": getattr(user, "id", None),
                "solver_status": old.solver_status,
                "objective": old.objective,
                "summary_sv": old.summary_sv,
                "summary_en": old.summary_en,
            },
        )
        results = session.execute(
            sa.select(ScenarioResult).where(ScenarioResult.scenario_id == old.id)
        ).scalars()
        writes.add_all(
            session,
            ScenarioResult,
            [
                {
                    "scenario_id": copy.id,
                    "library_id": r.library_id,
                    "quantity": r.quantity,
                    "before": r.before,
                    "after": r.after,
                }
                for r in results
            ],
        )
        record_created(session, user, copy, f"copy of {old.name} version {old.version}")
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return copy


def _equity(values: pd.Series, pupils: pd.Series) -> dict[str, float]:
    keep = values.notna() & pupils.notna() & (pupils > 0)
    if not keep.any():
        return {}
    return equity_summary(values[keep].to_numpy(float), weights=pupils[keep].to_numpy(float))


def compare_scenarios(session: Session, names: Sequence[str]) -> pd.DataFrame:
    """One row per scenario (latest version of each name), recomputed from the saved rows.

    Columns: ``name``, ``version``, ``model``, ``base_year``, ``status`` (solver status),
    ``min_per_100_before``, ``min_per_100_after`` (staffed hours per 100 pupils),
    ``gini_before``, ``gini_after``, ``mcloone_before``, ``mcloone_after`` (pupil-weighted),
    ``hours_moved`` (sum of absolute changes, hours a week), ``cost_change_sek`` (total
    change x the scenario's hourly cost x weeks per year).

    Raises
    ------
    LookupError
        A name that was never saved.
    """
    rows = []
    for name in names:
        saved = load_scenario(session, name)
        s, lib = saved.scenario, saved.libraries
        params = s.parameters or {}
        hourly = params.get("hourly_cost_sek") or DEFAULT_HOURLY_COST_SEK
        weeks = params.get("weeks_per_year") or DEFAULT_WEEKS_PER_YEAR
        row: dict[str, Any] = {
            "name": s.name,
            "version": s.version,
            "model": s.model,
            "base_year": s.base_year,
            "status": s.solver_status,
        }
        if lib.empty:
            rows.append(row)
            continue
        before = _equity(lib["per_100_before"], lib["pupils"])
        after = _equity(lib["per_100_after"], lib["pupils"])
        for key in ("min", "gini", "mcloone"):
            out = "min_per_100" if key == "min" else key
            row[f"{out}_before"] = before.get(key, np.nan)
            row[f"{out}_after"] = after.get(key, np.nan)
        change = lib["change_hours"]
        done = change.notna().all()
        row["hours_moved"] = float(change.abs().sum()) if done else np.nan
        row["cost_change_sek"] = float(change.sum()) * hourly * weeks if done else np.nan
        rows.append(row)
    columns = [
        "name",
        "version",
        "model",
        "base_year",
        "status",
        "min_per_100_before",
        "min_per_100_after",
        "gini_before",
        "gini_after",
        "mcloone_before",
        "mcloone_after",
        "hours_moved",
        "cost_change_sek",
    ]
    return pd.DataFrame(rows, columns=columns)
