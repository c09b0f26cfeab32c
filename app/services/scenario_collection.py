"""Pure helpers for the collection and coordination scenarios (media plan, stock transfers,
shared-librarian clusters) on the Scenarier page and in ``skolbib scenario run``.

Parameters from the page's inputs, default input tables, the tables a page or a spreadsheet
shows (library names and category labels filled in, headers in the chosen language), chart and
map data, and CSV bytes in the Swedish Excel dialect (``;`` between cells, decimal comma,
UTF-8 with BOM, every text cell through :func:`planning.cells.safe_frame`). No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.i18n import t
from planning.cells import safe_frame
from planning.collection import CATEGORIES, DEFAULT_WEEDING_AGE
from planning.scenario import ScenarioRun, run_details

__all__ = [
    "category_label",
    "category_targets",
    "cluster_lines",
    "csv_bytes",
    "export_tables",
    "file_stem",
    "flow_lines",
    "params_from_inputs",
    "timeline_frame",
    "weeding_table",
]

#: Physical categories first (the standards count physical items); e-books last.
_CATEGORIES = tuple(c for c in CATEGORIES if c != "e_books") + ("e_books",)


def category_label(category: str, lang: str) -> str:
    """The category's name in ``lang`` (the collections page's labels)."""
    return t(f"collections.category.{category}", lang=lang)


def _number(value: Any, default: float | None = None) -> float | None:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def category_targets(
    collection: pd.DataFrame, data: pd.DataFrame, per_pupil: float, lang: str
) -> pd.DataFrame:
    """The transfer targets to start from, one row per physical category held.

    Only the libraries that take part in transfers count (in ``data``, with pupils and
    coordinates); e-books are left out as the model leaves them out. Columns: ``category``,
    ``label``, ``current`` (items per pupil today, those libraries together) and ``target``
    (``per_pupil`` split in the proportions of their holdings, to two decimals, as
    :func:`planning.scenario.run_scenario` does by default).
    """
    located = data["x"].notna() & data["y"].notna() if "x" in data and "y" in data else False
    usable = data[(data["pupils"] > 0) & located]
    rows = collection[
        collection["library_id"].isin(usable["library_id"])
        & (collection["category"].astype(str) != "e_books")
    ]
    items = (
        pd.to_numeric(rows["items"], errors="coerce").groupby(rows["category"].astype(str)).sum()
    )
    items = items[items > 0]
    order = [c for c in _CATEGORIES if c in items.index]
    items = items.reindex(order)
    total = float(items.sum())
    pupils = float(usable["pupils"].sum())
    return pd.DataFrame(
        {
            "category": order,
            "label": [category_label(c, lang) for c in order],
            "current": (items / pupils).round(2).to_numpy() if pupils > 0 else np.nan,
            "target": (per_pupil * items / total).round(2).to_numpy() if total > 0 else 0.0,
        }
    )


def weeding_table(lang: str) -> pd.DataFrame:
    """``category``, ``label``, ``age`` (years since publication; NaN: never weeded by age)."""
    return pd.DataFrame(
        {
            "category": list(_CATEGORIES),
            "label": [category_label(c, lang) for c in _CATEGORIES],
            "age": [
                np.nan if DEFAULT_WEEDING_AGE[c] is None else float(DEFAULT_WEEDING_AGE[c])
                for c in _CATEGORIES
            ],
        }
    )


def _table_mapping(table: pd.DataFrame | None, column: str, *, blank: Any) -> dict[str, Any]:
    if table is None:
        return {}
    out = {}
    for category, value in zip(table["category"], table[column], strict=True):
        number = _number(value)
        out[str(category)] = blank if number is None else number
    return out


def params_from_inputs(model: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Model parameters from the page's inputs; 0 means "no limit" or "the fewest".

    ``media-plan``: ``years``, ``budget_sek`` (a year), ``unit_price_sek``,
    ``target_items_per_pupil``, ``recent_percent`` and ``weeding`` (a :func:`weeding_table`,
    an empty age meaning never). ``transfers``: ``targets`` (a :func:`category_targets`
    table), ``radius_km``, ``unit_price_sek``. ``clusters``: ``pupils_per_librarian``,
    ``min_hours``, ``speed_kmh``, ``detour_factor``, ``visits_per_week``, ``max_schools``,
    ``librarians``, ``time_limit``, ``hourly_cost_sek``.
    """
    if model == "media-plan":
        return {
            "years": int(values.get("years", 5)),
            "budget_sek": float(values["budget_sek"]),
            "unit_price_sek": float(values["unit_price_sek"]),
            "target_items_per_pupil": float(values.get("target_items_per_pupil", 10.0)),
            "target_recent_share": float(values.get("recent_percent", 50.0)) / 100.0,
            "weeding_age": _table_mapping(values.get("weeding"), "age", blank=None),
        }
    if model == "transfers":
        targets = _table_mapping(values.get("targets"), "target", blank=0.0)
        params: dict[str, Any] = {"unit_price_sek": float(values["unit_price_sek"])}
        if targets:
            params["target_items_per_pupil"] = targets
        radius = _number(values.get("radius_km"), 0.0)
        if radius:
            params["radius_km"] = radius
        return params
    if model == "clusters":
        params = {
            key: float(values[key])
            for key in (
                "pupils_per_librarian",
                "min_hours",
                "speed_kmh",
                "detour_factor",
                "visits_per_week",
                "time_limit",
                "hourly_cost_sek",
            )
            if key in values
        }
        for key in ("max_schools", "librarians"):
            count = int(values.get(key) or 0)
            if count:
                params[key] = count
        return params
    raise ValueError(f"unknown model {model!r}")


def _names(run: ScenarioRun) -> pd.Series:
    lib = run.libraries
    names = lib["library_name"] if "library_name" in lib else lib["library_id"].astype(str)
    return pd.Series(names.astype(str).to_numpy(), index=lib["library_id"].to_numpy())


def _name_of(run: ScenarioRun, ids: pd.Series) -> list[str]:
    names = _names(run)
    return [str(names.get(i, i)) for i in ids]


def timeline_frame(run: ScenarioRun) -> pd.DataFrame:
    """Media plan: ``library_name``, ``year``, ``attainment_pct`` (0..100) per library and
    year, the base year first."""
    timeline = run_details(run)["timeline"]
    return pd.DataFrame(
        {
            "library_name": _name_of(run, timeline["library_id"]),
            "year": timeline["year"].astype(int).to_numpy(),
            "attainment_pct": (100 * timeline["attainment"]).to_numpy(dtype=float),
        }
    )


def flow_lines(run: ScenarioRun, lang: str) -> pd.DataFrame:
    """Transfers with coordinates: ``from_name``, ``to_name``, ``category_label``, ``items``,
    ``km``, ``from_x``, ``from_y``, ``to_x``, ``to_y`` (EPSG:3006)."""
    moves = run_details(run)["transfers"]
    where = run.libraries.set_index("library_id")[["x", "y"]]
    return pd.DataFrame(
        {
            "from_name": _name_of(run, moves["from_library_id"]),
            "to_name": _name_of(run, moves["to_library_id"]),
            "category_label": [category_label(c, lang) for c in moves["category"]],
            "items": moves["items"].to_numpy(),
            "km": moves["km"].to_numpy(),
            "from_x": where.loc[moves["from_library_id"], "x"].to_numpy(),
            "from_y": where.loc[moves["from_library_id"], "y"].to_numpy(),
            "to_x": where.loc[moves["to_library_id"], "x"].to_numpy(),
            "to_y": where.loc[moves["to_library_id"], "y"].to_numpy(),
        }
    )


def cluster_lines(run: ScenarioRun) -> pd.DataFrame:
    """Clusters: one row per school with ``library_name``, ``hub_name``, ``is_hub``,
    ``pupils``, ``required_hours``, ``travel_hours``, ``x``, ``y``, ``hub_x``, ``hub_y``."""
    assigned = run_details(run)["assignments"]
    where = run.libraries.set_index("library_id")[["x", "y"]]
    return pd.DataFrame(
        {
            "library_name": _name_of(run, assigned["library_id"]),
            "hub_name": _name_of(run, assigned["hub_id"]),
            "is_hub": assigned["is_hub"].astype(bool).to_numpy(),
            "pupils": assigned["pupils"].to_numpy(dtype=float),
            "required_hours": assigned["required_hours"].to_numpy(dtype=float),
            "travel_hours": assigned["travel_hours"].to_numpy(dtype=float),
            "x": where.loc[assigned["library_id"], "x"].to_numpy(),
            "y": where.loc[assigned["library_id"], "y"].to_numpy(),
            "hub_x": where.loc[assigned["hub_id"], "x"].to_numpy(),
            "hub_y": where.loc[assigned["hub_id"], "y"].to_numpy(),
        }
    )


def _headed(frame: pd.DataFrame, prefix: str, lang: str) -> pd.DataFrame:
    return frame.rename(columns={c: t(f"{prefix}.{c}", lang=lang) for c in frame.columns})


def export_tables(run: ScenarioRun, lang: str) -> dict[str, pd.DataFrame]:
    """The model's lists for a spreadsheet, headers in ``lang``, by kind (:func:`file_stem`
    gives the file name, the catalog key ``collection_models.download.<kind>`` the label).

    ``media-plan``: the purchases per library, category and year, and what is still missing
    at the end; ``transfers``: the transfer list (for the staff who pack the boxes, sorted by
    sending library) and the purchase list; ``clusters``: every school with its cluster.
    """
    details = run_details(run)
    prefix = "collection_models.export"
    if run.model == "media-plan":
        buy, short = details["purchases"], details["shortfall"]
        purchases = pd.DataFrame(
            {
                "library": _name_of(run, buy["library_id"]),
                "category": [category_label(c, lang) for c in buy["category"]],
                "year": buy["year"].to_numpy(),
                "items": buy["items"].to_numpy(),
                "cost_sek": buy["cost_sek"].round(0).to_numpy(),
            }
        )
        missing = pd.DataFrame(
            {
                "library": _name_of(run, short["library_id"]),
                "category": [category_label(c, lang) for c in short["category"]],
                "items": short["items_needed"].to_numpy(),
                "cost_sek": short["extra_sek"].round(0).to_numpy(),
            }
        )
        return {
            "media_purchases": _headed(purchases, prefix, lang),
            "media_shortfall": _headed(missing, prefix, lang),
        }
    if run.model == "transfers":
        moves = details["transfers"].sort_values(
            ["from_library_id", "to_library_id", "category"], kind="stable"
        )
        transfers = pd.DataFrame(
            {
                "from_id": moves["from_library_id"].to_numpy(),
                "from_library": _name_of(run, moves["from_library_id"]),
                "to_id": moves["to_library_id"].to_numpy(),
                "to_library": _name_of(run, moves["to_library_id"]),
                "category": [category_label(c, lang) for c in moves["category"]],
                "items": moves["items"].to_numpy(),
                "km": moves["km"].round(1).to_numpy(),
            }
        )
        buy = details["purchases"]
        purchases = pd.DataFrame(
            {
                "library_id": buy["library_id"].to_numpy(),
                "library": _name_of(run, buy["library_id"]),
                "category": [category_label(c, lang) for c in buy["category"]],
                "items": buy["items"].to_numpy(),
            }
        )
        return {
            "transfers": _headed(transfers, prefix, lang),
            "transfer_purchases": _headed(purchases, prefix, lang),
        }
    if run.model == "clusters":
        assigned = details["assignments"]
        schools = pd.DataFrame(
            {
                "library": _name_of(run, assigned["library_id"]),
                "hub": _name_of(run, assigned["hub_id"]),
                "pupils": assigned["pupils"].to_numpy(),
                "required_hours": assigned["required_hours"].round(1).to_numpy(),
                "travel_hours": assigned["travel_hours"].round(2).to_numpy(),
                "km": assigned["km"].round(1).to_numpy(),
            }
        ).sort_values(["hub", "library"], kind="stable")
        return {"clusters": _headed(schools, prefix, lang)}
    return {}


def file_stem(kind: str, lang: str) -> str:
    """The file name (without ``.csv``) of an :func:`export_tables` kind in ``lang``."""
    return t(f"collection_models.export.file.{kind}", lang=lang)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV for Excel with Swedish settings: ``;``, decimal comma, UTF-8 BOM,
    CRLF line ends; text that a spreadsheet would run as a formula is defused."""
    return (
        safe_frame(frame)
        .to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
        .encode("utf-8-sig")
    )
