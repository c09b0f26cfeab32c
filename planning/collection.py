"""Collection planning: a multi-year media budget plan and stock transfers before purchase.

Two models over collection holdings per library and category
(:class:`inventory.models.CollectionCategory`):

* :func:`media_budget_plan` spreads a yearly media budget over libraries, categories and years
  so that the lowest target attainment across libraries at the end of the plan is as high as
  it can be (an LP solved by HiGHS through :func:`scipy.optimize.linprog`), with weeding by age
  as data (CREW style) and two targets: items per pupil and the share published in the last
  ten years.
* :func:`stock_transfers` moves surplus items of one library to libraries below target in the
  same category, as many as possible, and among those plans the one with the fewest
  item-kilometres (a transportation problem, two LP solves); what transfers cannot cover is a
  purchase list.

:func:`stock_cohorts` estimates the age structure (items per publication year) that the media
plan needs from the recorded collection rows and, where a library has one, its item catalogue.

Media budget plan
-----------------
Libraries ``i`` with pupils ``p_i > 0``, categories ``c``, plan years ``t = 1..N`` (calendar
years ``Y_0 + t`` after the base year ``Y_0``). A *pair* ``k = (i, c)`` has the target
``tau_k`` items: ``T_c p_i`` when the target is given per category, else ``T p_i`` split over
the categories in the proportions of the library's own holdings (the pooled proportions of all
libraries when it holds nothing); pairs with ``tau_k = 0`` are left out. Purchases ``b_{k,t}``
are new titles, published in the year they are bought.

Weeding: at the end of year ``t`` an item of category ``c`` published in year ``P`` is still on
the shelf if ``Y_t - P <= age_c`` (:data:`DEFAULT_WEEDING_AGE`; ``None`` never weeds), and it
counts as recent if ``Y_t - P <= 9``. So ``S_{k,t}`` and ``SR_{k,t}``, the existing items left
and the recent ones among them, are constants, and

    H_{k,t} = S_{k,t}  + sum_{y <= t, t - y <= age_c} b_{k,y}
    R_{k,t} = SR_{k,t} + sum_{y <= t, t - y <= min(9, age_c)} b_{k,y}

The attainment of library ``i`` in year ``t`` is

    a_{i,t} = min(1, min_c H_{k,t} / tau_k, min_c R_{k,t} / (s tau_k))

with ``s`` the target share published in the last ten years. The freshness target is written
as "recent items >= s x target size" rather than "recent / holdings >= s": that keeps the model
linear, and it does not penalise a library for holding more than its target. A library that
meets both has at least ``tau_k`` items of which at least ``s tau_k`` are recent.

Three lexicographic LP stages, each keeping the previous optimum (absolute tolerance 1e-7):

1. maximise ``z_N``, the lowest attainment in the final year (the plan's goal);
2. maximise ``sum_t z_t``, the lowest attainment of every year (the worst-off get there early);
3. maximise ``sum_{i,t} a_{i,t}`` (the rest of the budget raises the other libraries).

subject to ``z_t <= a_{i,t}``, ``a`` and ``z`` in ``[0, 1]``, the inequalities above and the
yearly budgets ``sum_k price_c b_{k,t} <= B_t`` (an unspent budget does not carry over). The
LP buys fractions of items. Purchases are rounded down and then, year by year, the pairs with
the largest fractional parts get one more item while the year's budget allows (largest
remainder rounding); the attainment reported is recomputed from those whole items.

What the plan cannot reach: per pair, the items still missing at the end
``max(tau_k - H_{k,N}, s tau_k - R_{k,N})`` (one new item counts for both targets), and what
they would cost on top of the plan.

Stock transfers
---------------
Per category ``c`` with target ``T_c`` items per pupil: surplus ``s_i = floor(items_i - T_c
p_i)`` where positive, deficit ``d_j = ceil(T_c p_j - items_j)`` where positive. Candidate pairs
``(i, j)`` are every surplus library with every deficit library, or only those within
``radius_km`` (found with :class:`scipy.spatial.cKDTree`, so the model stays sparse at national
scale); ``km_ij`` is the straight-line distance between the EPSG:3006 coordinates. Stage 1
maximises the items moved ``F* = max sum x_ij`` subject to ``sum_j x_ij <= s_i``,
``sum_i x_ij <= d_j``, ``x >= 0``; stage 2 minimises ``sum km_ij x_ij`` subject to the same and
``sum x_ij >= F*``. Both are network-flow LPs (a transportation problem with a fixed flow
value), so every vertex is whole items: stage 1 is solved by dual simplex, stage 2 by interior
point with crossover (which ends on a vertex and was about five times faster at national
scale); the solution is rounded and checked. The
purchase list is ``d_j - received_j`` per library and category.

Sources
-------
* CREW weeding: Larson, J. (2012), *CREW: A Weeding Manual for Modern Libraries*, Texas State
  Library and Archives Commission (age since publication per subject; the ages here are
  skolbib's planning defaults per category, a proxy for CREW's class-level rules).
* Collection size and age: ``data/reference_values.csv`` (items per pupil, CILIP/SLA; median
  age at most 10 years "good", i.e. at least half published in the last ten years).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from inventory.models import CollectionCategory
from planning.optimise import StageInfo

__all__ = [
    "CATEGORIES",
    "DEFAULT_WEEDING_AGE",
    "RECENT_YEARS",
    "MediaPlan",
    "TransferPlan",
    "media_budget_plan",
    "stock_cohorts",
    "stock_transfers",
]

#: Every collection category, in the order of :class:`inventory.models.CollectionCategory`.
CATEGORIES: tuple[str, ...] = tuple(c.value for c in CollectionCategory)
#: Items published in the last ``RECENT_YEARS`` calendar years count as recent.
RECENT_YEARS = 10
#: Withdrawal age in years since publication per category (``None``: never weeded by age).
#: skolbib's planning defaults in the spirit of CREW (Larson 2012): factual media age fastest;
#: e-book licences are not weeded by age.
DEFAULT_WEEDING_AGE: dict[str, int | None] = {
    "fiction": 15,
    "non_fiction": 10,
    "picture_books": 15,
    "easy_read": 10,
    "other_languages": 15,
    "audiobooks": 10,
    "e_books": None,
}
_STAGE_TOL = 1e-7  # absolute tolerance with which a later stage keeps an earlier optimum
_FLOOR_EPS = 1e-9
_KEEP_EPS = 1e-6  # fractions of an item below this are noise from the LP


# --------------------------------------------------------------------------- helpers


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _ids_text(values: Sequence[Any], limit: int = 5) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


def _require_columns(frame: Any, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")


def _numeric(frame: pd.DataFrame, name: str, column: str, ids: pd.Series, *, minimum=0.0):
    """``frame[column]`` as floats; missing, non-numeric or below ``minimum`` is an error."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{name}: {column} is missing or not a number for library "
            f"{_ids_text(ids[bad].unique())}"
        )
    if minimum is not None and (values < minimum).any():
        low = values < minimum
        raise ValueError(
            f"{name}: {column} must be >= {minimum:g} (library {_ids_text(ids[low].unique())})"
        )
    return values


def _check_category(values: pd.Series, name: str) -> None:
    unknown = sorted(set(values.astype(str)) - set(CATEGORIES))
    if unknown:
        raise ValueError(
            f"{name}: unknown category {', '.join(unknown)} "
            f"(expected one of {', '.join(CATEGORIES)})"
        )


def _per_category(value: Any, name: str, categories: Sequence[str], *, positive: bool) -> dict:
    """A number for every category, or a mapping that must cover ``categories``."""
    if isinstance(value, Mapping):
        unknown = sorted(set(map(str, value)) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"{name}: unknown category {', '.join(unknown)}")
        by_category = {str(k): v for k, v in value.items()}
        missing = [c for c in categories if c not in by_category]
        if missing:
            raise ValueError(
                f"{name} has no value for category {', '.join(missing)} "
                f"(given for {', '.join(sorted(by_category)) or 'none'})"
            )
    else:
        by_category = dict.fromkeys(categories, value)
    out = {}
    for category, number in by_category.items():
        if not _is_number(number):
            raise ValueError(f"{name} for {category} must be a finite number, got {number!r}")
        if number < 0 or (positive and number == 0):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"{name} for {category} must be {bound}, got {number!r}")
        out[category] = float(number)
    return out


def _lp(c, a_ub, b_ub, bounds, method, time_limit) -> tuple[str, str, np.ndarray | None, float]:
    res = linprog(
        c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method=method, options={"time_limit": time_limit}
    )
    status = {0: "optimal", 2: "infeasible"}.get(res.status, "error")
    if res.status == 1 and res.x is not None:
        status = "feasible"
    fun = float(res.fun) if res.x is not None else math.nan
    return status, str(res.message), res.x, fun


def _stage(name, method, status, message, objective, start, n_var, n_con) -> StageInfo:
    return StageInfo(
        name=name,
        model="LP",
        method=f"linprog {method}",
        status=status,
        message=message,
        objective=objective,
        mip_gap=None,
        bound=None,
        time_s=time.perf_counter() - start,
        n_variables=int(n_var),
        n_constraints=int(n_con),
    )


# --------------------------------------------------------------------------- stock transfers


@dataclass(frozen=True)
class TransferPlan:
    """Result of :func:`stock_transfers`.

    Attributes
    ----------
    transfers : pandas.DataFrame
        One row per move: ``from_library_id``, ``to_library_id``, ``category``, ``items``
        (whole items) and ``km`` (straight-line distance), ordered by category, sender, receiver.
    item_km : float
        ``sum(items x km)`` over the transfers.
    purchases : pandas.DataFrame
        What is still missing after the transfers: ``library_id``, ``category``, ``items`` (> 0).
    balance : pandas.DataFrame
        One row per input row: ``library_id``, ``category``, ``items``, ``pupils``,
        ``target_items`` (target x pupils), ``surplus``, ``deficit``, ``sent``, ``received``,
        ``purchase``, ``items_after`` (items - sent + received).
    status : str
        ``optimal``, ``feasible`` (a time limit stopped HiGHS; the plan is valid but may not be
        the shortest) or ``error``.
    message : str
        Plain English: what was moved and what is left to buy.
    stages : tuple of StageInfo
        Two stages (``max_moved``, ``min_item_km``) per category with candidate pairs.
    radius_km : float or None
        The radius used.
    """

    transfers: pd.DataFrame
    item_km: float
    purchases: pd.DataFrame
    balance: pd.DataFrame
    status: str
    message: str
    stages: tuple[StageInfo, ...] = ()
    radius_km: float | None = None

    @property
    def moved(self) -> int:
        """Items moved in all."""
        return int(self.transfers["items"].sum())


def _candidate_pairs(
    xy_from: np.ndarray, xy_to: np.ndarray, radius_m: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (into ``xy_from``, ``xy_to``) and their distance in km."""
    if radius_m is None:
        i, j = np.meshgrid(np.arange(len(xy_from)), np.arange(len(xy_to)), indexing="ij")
        i, j = i.ravel(), j.ravel()
        metres = np.hypot(*(xy_from[i] - xy_to[j]).T)
    else:
        found = cKDTree(xy_from).sparse_distance_matrix(
            cKDTree(xy_to), radius_m, output_type="ndarray"
        )
        i, j, metres = found["i"], found["j"], found["v"]
        order = np.lexsort((j, i))
        i, j, metres = i[order], j[order], metres[order]
    return i.astype(np.int64), j.astype(np.int64), metres / 1000.0


def _transport(
    supply: np.ndarray,
    demand: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
    km: np.ndarray,
    category: str,
    time_limit: float,
) -> tuple[np.ndarray, str, list[StageInfo]]:
    """Whole items per candidate pair: most items moved, then fewest item-km."""
    n_s, n_p = supply.size, pi.size
    rows = np.concatenate([pi, n_s + pj])
    cols = np.concatenate([np.arange(n_p), np.arange(n_p)])
    a_ub = sparse.csr_array((np.ones(2 * n_p), (rows, cols)), shape=(n_s + demand.size, n_p))
    b_ub = np.concatenate([supply, demand])
    stages = []
    start = time.perf_counter()
    status, message, x, fun = _lp(-np.ones(n_p), a_ub, b_ub, (0, None), "highs-ds", time_limit)
    moved = round(-fun) if x is not None else 0
    stages.append(
        _stage(f"max_moved:{category}", "highs-ds", status, message, moved, start, n_p, len(b_ub))
    )
    if x is None or moved == 0:
        return np.zeros(n_p), status, stages
    start = time.perf_counter()
    a2 = sparse.vstack([a_ub, -sparse.csr_array(np.ones((1, n_p)))]).tocsr()
    b2 = np.append(b_ub, -float(moved))
    # Interior point with crossover ends on a vertex, so on whole items, and took a fifth of
    # dual simplex's time on this row-plus-flow model (0.7 s against 3.2 s for 45,000 pairs);
    # should a vertex ever come back fractional, dual simplex solves it again.
    method = "highs-ipm"
    status2, message2, x2, fun2 = _lp(km, a2, b2, (0, None), method, time_limit)
    if x2 is not None and np.abs(x2 - np.rint(x2)).max() > 1e-6:
        method = "highs-ds"
        status2, message2, x2, fun2 = _lp(km, a2, b2, (0, None), method, time_limit)
    stages.append(
        _stage(f"min_item_km:{category}", method, status2, message2, fun2, start, n_p, len(b2))
    )
    if x2 is None:  # keep the stage-1 plan: as many items moved, only not the shortest
        x2, status2 = x, "feasible" if status2 != "error" else "error"
    items = _whole(x2, supply, demand, pi, pj)
    worst = "error" if "error" in (status, status2) else status2
    if "feasible" in (status, status2) and worst != "error":
        worst = "feasible"
    return items, worst, stages


def _whole(x: np.ndarray, supply, demand, pi, pj) -> np.ndarray:
    """Round a network-flow vertex to whole items, never above a supply or a demand."""
    items = np.rint(x)
    items[items < 0] = 0
    for side, index in ((supply, pi), (demand, pj)):
        used = np.bincount(index, weights=items, minlength=side.size)
        over = np.flatnonzero(used > side + 0.5)
        for k in over:  # only after numerical trouble: trim the largest flows first
            members = np.flatnonzero(index == k)
            excess = used[k] - side[k]
            for m in members[np.argsort(-items[members], kind="stable")]:
                cut = min(items[m], excess)
                items[m] -= cut
                excess -= cut
                if excess <= 0:
                    break
    return items


def stock_transfers(
    frame: pd.DataFrame,
    *,
    target_items_per_pupil: float | Mapping[str, float],
    radius_km: float | None = None,
    time_limit: float = 120.0,
) -> TransferPlan:
    """Transfers of surplus items to libraries below target, before anything is bought.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per library and category: ``library_id``, ``category`` (a
        :data:`CATEGORIES` value), ``items``, ``pupils``, ``x``, ``y`` (EPSG:3006 metres).
    target_items_per_pupil : float or mapping
        Items per pupil in every category, or ``{category: items per pupil}`` covering every
        category in ``frame``.
    radius_km : float, optional
        Only libraries at most this far apart (straight line) exchange items.
    time_limit : float
        Seconds HiGHS may spend on each LP.

    Returns
    -------
    TransferPlan
        Transfers (as many items as possible are moved, and among those plans the one with the
        fewest item-kilometres), the total item-km and the purchases still needed.

    Raises
    ------
    ValueError
        Missing columns, a duplicated library and category, missing or negative items or
        pupils, missing coordinates, an unknown category or a bad target or radius.
    """
    _require_columns(frame, "frame", ("library_id", "category", "items", "pupils", "x", "y"))
    if frame["library_id"].isna().any():
        raise ValueError("frame: library_id is missing in some rows")
    _check_category(frame["category"], "frame")
    ids = frame["library_id"]
    duplicated = frame.duplicated(["library_id", "category"])
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise ValueError(
            f"frame: library {first['library_id']} has category {first['category']} twice"
        )
    items = _numeric(frame, "frame", "items", ids)
    pupils = _numeric(frame, "frame", "pupils", ids)
    xy = np.column_stack(
        [
            _numeric(frame, "frame", "x", ids, minimum=None),
            _numeric(frame, "frame", "y", ids, minimum=None),
        ]
    )
    if radius_km is not None and not (_is_number(radius_km) and radius_km > 0):
        raise ValueError(f"radius_km must be a finite number > 0 or None, got {radius_km!r}")
    categories = [c for c in CATEGORIES if c in set(frame["category"].astype(str))]
    targets = _per_category(
        target_items_per_pupil, "target_items_per_pupil", categories, positive=False
    )
    category = frame["category"].astype(str).to_numpy()
    target_items = np.array([targets[c] for c in category]) * pupils
    # a tolerance so that 12 x 25 = 300.0000000001 does not make a one-item deficit
    diff = items - target_items
    surplus = np.maximum(np.floor(diff + _FLOOR_EPS), 0.0)
    deficit = np.maximum(np.ceil(-diff - _FLOOR_EPS), 0.0)
    sent = np.zeros(len(frame))
    received = np.zeros(len(frame))
    radius_m = None if radius_km is None else float(radius_km) * 1000.0
    parts, stages, statuses = [], [], []
    for name in categories:
        rows = np.flatnonzero(category == name)
        givers = rows[surplus[rows] > 0]
        takers = rows[deficit[rows] > 0]
        if givers.size == 0 or takers.size == 0:
            continue
        pi, pj, km = _candidate_pairs(xy[givers], xy[takers], radius_m)
        if pi.size == 0:
            continue
        flow, status, info = _transport(
            surplus[givers], deficit[takers], pi, pj, km, name, time_limit
        )
        stages.extend(info)
        statuses.append(status)
        used = flow > 0
        np.add.at(sent, givers[pi[used]], flow[used])
        np.add.at(received, takers[pj[used]], flow[used])
        parts.append(
            pd.DataFrame(
                {
                    "from_library_id": ids.to_numpy()[givers[pi[used]]],
                    "to_library_id": ids.to_numpy()[takers[pj[used]]],
                    "category": name,
                    "items": flow[used].astype(np.int64),
                    "km": km[used],
                }
            )
        )
    columns = ["from_library_id", "to_library_id", "category", "items", "km"]
    transfers = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    transfers = transfers.astype({"items": "int64", "km": "float64"})
    purchase = deficit - received
    balance = pd.DataFrame(
        {
            "library_id": ids.to_numpy(),
            "category": category,
            "items": items,
            "pupils": pupils,
            "target_items": target_items,
            "surplus": surplus.astype(np.int64),
            "deficit": deficit.astype(np.int64),
            "sent": sent.astype(np.int64),
            "received": received.astype(np.int64),
            "purchase": purchase.astype(np.int64),
            "items_after": items - sent + received,
        }
    )
    buy = balance[balance["purchase"] > 0]
    purchases = buy[["library_id", "category"]].assign(items=buy["purchase"]).reset_index(drop=True)
    item_km = float((transfers["items"] * transfers["km"]).sum())
    status = "optimal"
    if "error" in statuses:
        status = "error"
    elif "feasible" in statuses:
        status = "feasible"
    moved = int(transfers["items"].sum())
    where = "" if radius_km is None else f" within {radius_km:g} km"
    message = (
        f"{moved:,} items moved{where} ({item_km:,.0f} item-km) out of a deficit of "
        f"{int(deficit.sum()):,}; {int(purchase.sum()):,} items left to buy"
    )
    return TransferPlan(
        transfers=transfers[columns].reset_index(drop=True),
        item_km=item_km,
        purchases=purchases,
        balance=balance,
        status=status,
        message=message,
        stages=tuple(stages),
        radius_km=None if radius_km is None else float(radius_km),
    )


# --------------------------------------------------------------------------- cohorts


def stock_cohorts(
    collection: pd.DataFrame,
    base_year: int,
    catalogue_years: pd.DataFrame | None = None,
    older_span_years: int = 10,
) -> pd.DataFrame:
    """Estimated items per library, category and publication year at the end of ``base_year``.

    The recorded rows say how many items a category holds and how many of them were published
    in the last ten years, not when each was published. Within each of those two bands the
    items are spread over publication years: in the shape of the library's item catalogue
    where it has catalogued items in that band (all categories pooled), else evenly — the
    recent items over the last ten years, the older ones over the ``older_span_years`` before.
    A missing ``items_last_10_years`` counts every item as older (the cautious reading).

    Parameters
    ----------
    collection : pandas.DataFrame
        :func:`inventory.repository.collection_years` rows (``library_id``, ``year``,
        ``category``, ``items``, ``items_last_10_years``); rows of other years are ignored.
    base_year : int
        The inventory year whose holdings are split.
    catalogue_years : pandas.DataFrame, optional
        :func:`inventory.repository.catalogue_year_counts` (``library_id``,
        ``publication_year``, ``items``).
    older_span_years : int
        Years over which older items are spread when there is no catalogue.

    Returns
    -------
    pandas.DataFrame
        ``library_id``, ``category``, ``publication_year``, ``items`` (float; an estimate).
    """
    _require_columns(
        collection, "collection", ("library_id", "year", "category", "items", "items_last_10_years")
    )
    rows = collection[pd.to_numeric(collection["year"], errors="coerce") == int(base_year)]
    rows = rows[pd.to_numeric(rows["items"], errors="coerce").fillna(0) > 0]
    columns = ["library_id", "category", "publication_year", "items"]
    if rows.empty:
        return pd.DataFrame(columns=columns).astype({"items": "float64"})
    total = pd.to_numeric(rows["items"], errors="coerce").to_numpy(dtype=float)
    recent = pd.to_numeric(rows["items_last_10_years"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    recent = np.clip(np.nan_to_num(recent, nan=0.0), 0.0, total)
    y0 = int(base_year)
    recent_years = np.arange(y0 - RECENT_YEARS + 1, y0 + 1)
    older_years = np.arange(y0 - RECENT_YEARS - older_span_years + 1, y0 - RECENT_YEARS + 1)
    shapes = _catalogue_shapes(catalogue_years, y0, recent_years, older_years)
    parts = []
    for band_items, band_years, band in (
        (recent, recent_years, 0),
        (total - recent, older_years, 1),
    ):
        even = np.full(band_years.size, 1.0 / band_years.size)
        weights = np.vstack(
            [shapes.get((int(lib), band), even) for lib in rows["library_id"].to_numpy()]
        )
        spread = band_items[:, None] * weights
        parts.append(
            pd.DataFrame(
                {
                    "library_id": np.repeat(rows["library_id"].to_numpy(), band_years.size),
                    "category": np.repeat(rows["category"].astype(str).to_numpy(), band_years.size),
                    "publication_year": np.tile(band_years, len(rows)),
                    "items": spread.ravel(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[out["items"] > 0]
    out["library_id"] = out["library_id"].astype("int64")
    return out.sort_values(columns[:3], ignore_index=True)[columns]


def _catalogue_shapes(
    catalogue_years: pd.DataFrame | None,
    y0: int,
    recent_years: np.ndarray,
    older_years: np.ndarray,
) -> dict[tuple[int, int], np.ndarray]:
    """Per (library, band) the share of catalogued items per publication year of the band."""
    if catalogue_years is None or catalogue_years.empty:
        return {}
    cat = catalogue_years.dropna(subset=["publication_year"])
    years = cat["publication_year"].astype(int).to_numpy()
    # the importer counts next year's announced titles as recent; they belong to year y0 here
    years = np.minimum(years, y0)
    cat = cat.assign(
        publication_year=np.clip(years, older_years[0], y0),
        items=pd.to_numeric(cat["items"], errors="coerce").fillna(0.0),
    )
    counts = cat.groupby(["library_id", "publication_year"])["items"].sum()
    shapes = {}
    for library_id, per_year in counts.groupby(level=0):
        by_year = per_year.droplevel(0)
        for band, band_years in ((0, recent_years), (1, older_years)):
            weights = by_year.reindex(band_years, fill_value=0.0).to_numpy(dtype=float)
            if weights.sum() > 0:
                shapes[(int(library_id), band)] = weights / weights.sum()
    return shapes


# --------------------------------------------------------------------------- media budget plan


@dataclass(frozen=True)
class MediaPlan:
    """Result of :func:`media_budget_plan`.

    Attributes
    ----------
    purchases : pandas.DataFrame
        ``library_id``, ``category``, ``year`` (calendar), ``items`` (whole items > 0),
        ``cost_sek``.
    timeline : pandas.DataFrame
        One row per library and year, the base year first: ``library_id``, ``year``,
        ``attainment`` (0..1, the smaller of the two targets over the library's categories),
        ``size_attainment`` and ``recent_attainment`` (the same, uncapped, per target),
        ``items``, ``recent_items``, ``target_items`` (over the planned categories).
    libraries : pandas.DataFrame
        One row per planned library: ``library_id``, ``pupils``, ``target_items``,
        ``items_before``, ``items_after``, ``recent_before``, ``recent_after``,
        ``attainment_before``, ``attainment_after``, ``purchased_items``, ``purchased_sek``,
        ``items_needed`` and ``extra_sek`` (what is still missing at the end, and its cost).
    shortfall : pandas.DataFrame
        Pairs still below target at the end: ``library_id``, ``category``, ``items_needed``,
        ``extra_sek``.
    budget : pandas.DataFrame
        ``year``, ``budget_sek``, ``spent_sek``, ``unspent_sek``.
    numbers : dict
        ``base_year``, ``final_year``, ``n_libraries``, ``min_attainment_before``,
        ``min_attainment_after`` (whole items), ``lp_min_attainment`` (stage 1 optimum),
        ``n_below_before``, ``n_below_after``, ``worst_library_id``, ``budget_sek``,
        ``spent_sek``, ``unspent_sek``, ``purchased_items``, ``weeded_items`` (existing and
        bought items withdrawn by the end), ``extra_items_needed``,
        ``extra_sek_needed``, ``year_all_reached`` (first year every library reaches both
        targets, or None).
    status : str
        ``optimal``, ``feasible`` (time limit; the best plan found) or ``error``.
    message : str
        Plain English.
    stages : tuple of StageInfo
    excluded : list
        Library ids left out (no pupils, or no pupil figure).
    """

    purchases: pd.DataFrame
    timeline: pd.DataFrame
    libraries: pd.DataFrame
    shortfall: pd.DataFrame
    budget: pd.DataFrame
    numbers: dict[str, Any]
    status: str
    message: str
    stages: tuple[StageInfo, ...] = ()
    excluded: list[Any] = field(default_factory=list)


@dataclass
class _Plan:
    """Everything :func:`media_budget_plan` needs, as arrays over pairs k and libraries i."""

    lib_ids: np.ndarray  # (L,)
    pupils: np.ndarray  # (L,)
    pair_lib: np.ndarray  # (K,) index into lib_ids
    pair_cat: np.ndarray  # (K,) category name
    tau: np.ndarray  # (K,) target items
    price: np.ndarray  # (K,)
    life: np.ndarray  # (K,) weeding age (inf: never)
    stock: np.ndarray  # (K, N+1) existing items left at t = 0..N
    stock_recent: np.ndarray  # (K, N+1)
    budgets: np.ndarray  # (N,)
    share: float
    base_year: int

    @property
    def n_years(self) -> int:
        return int(self.budgets.size)


def _windows(plan: _Plan, recent: bool) -> np.ndarray:
    """Boolean (K, N, N): purchase of year y (axis 2) still counts in year t (axis 1)."""
    n = plan.n_years
    t = np.arange(1, n + 1)[:, None]
    y = np.arange(1, n + 1)[None, :]
    age = (t - y)[None, :, :]
    life = plan.life[:, None, None]
    if recent:
        life = np.minimum(life, RECENT_YEARS - 1)
    return (y <= t)[None, :, :] & (age <= life)


def _evaluate(plan: _Plan, buy: np.ndarray) -> dict[str, np.ndarray]:
    """Holdings, recent items and attainment per year t = 0..N for purchases ``buy`` (K, N)."""
    keep = np.einsum("kty,ky->kt", _windows(plan, False).astype(float), buy)
    keep_recent = np.einsum("kty,ky->kt", _windows(plan, True).astype(float), buy)
    held = plan.stock.copy()
    recent = plan.stock_recent.copy()
    held[:, 1:] += keep
    recent[:, 1:] += keep_recent
    size_ratio = held / plan.tau[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        recent_ratio = (
            recent / (plan.share * plan.tau[:, None])
            if plan.share > 0
            else np.full_like(held, np.inf)
        )
    n_lib, n_t = plan.lib_ids.size, plan.n_years + 1
    size_min = np.full((n_lib, n_t), np.inf)
    recent_min = np.full((n_lib, n_t), np.inf)
    np.minimum.at(size_min, plan.pair_lib, size_ratio)
    np.minimum.at(recent_min, plan.pair_lib, recent_ratio)
    attainment = np.minimum(1.0, np.minimum(size_min, recent_min))
    return {
        "held": held,
        "recent": recent,
        "size_min": size_min,
        "recent_min": recent_min,
        "attainment": attainment,
    }


def _prepare_plan(
    stock: pd.DataFrame,
    pupils: pd.DataFrame,
    *,
    base_year: int,
    budget_sek: Any,
    years: int | None,
    unit_price_sek: Any,
    target_items_per_pupil: Any,
    target_recent_share: float,
    weeding_age: Mapping[str, Any] | None,
) -> tuple[_Plan, list[Any]]:
    _require_columns(stock, "stock", ("library_id", "category", "publication_year", "items"))
    _require_columns(pupils, "pupils", ("library_id", "pupils"))
    _check_category(stock["category"], "stock")
    if not (_is_number(base_year) and float(base_year).is_integer()):
        raise ValueError(f"base_year must be a whole year, got {base_year!r}")
    base_year = int(base_year)
    if isinstance(budget_sek, Sequence) and not isinstance(budget_sek, str):
        budgets = list(budget_sek)
        if years is not None and int(years) != len(budgets):
            raise ValueError(f"budget_sek has {len(budgets)} yearly values but years is {years}")
    else:
        n = 5 if years is None else years
        if not (_is_number(n) and float(n).is_integer() and 1 <= n <= 30):
            raise ValueError(f"years must be a whole number from 1 to 30, got {years!r}")
        budgets = [budget_sek] * int(n)
    if not budgets:
        raise ValueError("budget_sek must give at least one year")
    for number in budgets:
        if not (_is_number(number) and number >= 0):
            raise ValueError(f"budget_sek must be finite numbers >= 0, got {number!r}")
    if not (_is_number(target_recent_share) and 0 <= target_recent_share <= 1):
        raise ValueError(
            f"target_recent_share must be a number from 0 to 1, got {target_recent_share!r}"
        )
    ages = dict(DEFAULT_WEEDING_AGE)
    if weeding_age is not None:
        if not isinstance(weeding_age, Mapping):
            raise ValueError("weeding_age must be a mapping {category: years or None}")
        unknown = sorted(set(map(str, weeding_age)) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"weeding_age: unknown category {', '.join(unknown)}")
        for key, value in weeding_age.items():
            if value is not None and not (_is_number(value) and value >= 0):
                raise ValueError(
                    f"weeding_age for {key} must be a number of years >= 0 or None, got {value!r}"
                )
            ages[str(key)] = value

    # pupils per library; no pupils (or none known) means no target
    if pupils["library_id"].duplicated().any():
        dup = pupils.loc[pupils["library_id"].duplicated(), "library_id"]
        raise ValueError(f"pupils: library {_ids_text(dup.unique())} appears twice")
    counts = pd.to_numeric(pupils["pupils"], errors="coerce")
    if (counts < 0).any():
        raise ValueError(
            f"pupils must be >= 0 (library {_ids_text(pupils.loc[counts < 0, 'library_id'])})"
        )
    planned = pupils[counts > 0]
    excluded = pupils.loc[~(counts > 0), "library_id"].tolist()
    excluded += sorted(set(stock["library_id"]) - set(pupils["library_id"]), key=str)
    lib_ids = planned["library_id"].to_numpy()
    lib_pupils = pd.to_numeric(planned["pupils"]).to_numpy(dtype=float)
    if lib_ids.size == 0:
        raise ValueError("no library with pupils to plan for")
    position = {lib: n for n, lib in enumerate(lib_ids.tolist())}

    stock = stock[stock["library_id"].isin(position)]
    items = _numeric(stock, "stock", "items", stock["library_id"])
    published = _numeric(stock, "stock", "publication_year", stock["library_id"], minimum=None)
    if (published > base_year + 1).any():
        raise ValueError(f"stock: a publication year is after {base_year + 1}")
    held = pd.DataFrame(
        {
            "lib": stock["library_id"].map(position).to_numpy(),
            "category": stock["category"].astype(str).to_numpy(),
            "year": published,
            "items": items,
        }
    )

    # target items per pair
    if isinstance(target_items_per_pupil, Mapping):
        per_cat = _per_category(
            target_items_per_pupil, "target_items_per_pupil", [], positive=False
        )
        pairs = [(n, c, per_cat[c] * lib_pupils[n]) for n in range(lib_ids.size) for c in per_cat]
    else:
        if not (_is_number(target_items_per_pupil) and target_items_per_pupil > 0):
            raise ValueError(
                f"target_items_per_pupil must be a number > 0 or a mapping per category, "
                f"got {target_items_per_pupil!r}"
            )
        by_pair = held.groupby(["lib", "category"])["items"].sum()
        own_mix = {n: part.droplevel(0) for n, part in by_pair.groupby(level=0)}
        pooled = held.groupby("category")["items"].sum()
        pooled = pooled[pooled > 0] / pooled.sum() if pooled.sum() > 0 else None
        pairs = []
        for n in range(lib_ids.size):
            own = own_mix.get(n)
            mix = own / own.sum() if own is not None and own.sum() > 0 else pooled
            if mix is None:
                raise ValueError(
                    "no library holds any items: give target_items_per_pupil per category"
                )
            total = float(target_items_per_pupil) * lib_pupils[n]
            pairs += [(n, c, total * float(share)) for c, share in mix.items() if share > 0]
    pairs = [p for p in pairs if p[2] > 0]
    if not pairs:
        raise ValueError("every target is 0: nothing to plan")
    pair_lib = np.array([p[0] for p in pairs], dtype=np.int64)
    pair_cat = np.array([p[1] for p in pairs], dtype=object)
    tau = np.array([p[2] for p in pairs], dtype=float)
    prices = _per_category(unit_price_sek, "unit_price_sek", sorted(set(pair_cat)), positive=True)
    life = np.array(
        [np.inf if ages.get(c) is None else float(ages[c]) for c in pair_cat], dtype=float
    )

    # existing items left (and recent) at t = 0..N
    n_years = len(budgets)
    key = {(n, c): k for k, (n, c, _) in enumerate(pairs)}
    pair_of_row = np.array(
        [key.get((n, c), -1) for n, c in zip(held["lib"], held["category"], strict=True)],
        dtype=np.int64,
    )
    use = pair_of_row >= 0
    row_pair, row_year, row_items = pair_of_row[use], held["year"].to_numpy()[use], items[use]
    stock_left = np.zeros((tau.size, n_years + 1))
    stock_recent = np.zeros((tau.size, n_years + 1))
    for t in range(n_years + 1):
        age = base_year + t - row_year
        alive = np.ones(row_pair.size, bool) if t == 0 else age <= life[row_pair]
        recent = alive & (age <= RECENT_YEARS - 1)
        stock_left[:, t] = np.bincount(row_pair, weights=row_items * alive, minlength=tau.size)
        stock_recent[:, t] = np.bincount(row_pair, weights=row_items * recent, minlength=tau.size)
    plan = _Plan(
        lib_ids=lib_ids,
        pupils=lib_pupils,
        pair_lib=pair_lib,
        pair_cat=pair_cat,
        tau=tau,
        price=np.array([prices[c] for c in pair_cat]),
        life=life,
        stock=stock_left,
        stock_recent=stock_recent,
        budgets=np.array(budgets, dtype=float),
        share=float(target_recent_share),
        base_year=base_year,
    )
    return plan, excluded


def _plan_lp(plan: _Plan) -> tuple[sparse.csr_array, np.ndarray, int, int]:
    """The inequality rows ``A v <= b`` over ``v = [b (K*N), a (L*N), z (N)]``."""
    n_k, n_l, n = plan.tau.size, plan.lib_ids.size, plan.n_years
    a_off, z_off = n_k * n, n_k * n + n_l * n
    blocks_r, blocks_c, blocks_v, rhs = [], [], [], []
    row = 0
    targets = [(False, 1.0)] + ([(True, plan.share)] if plan.share > 0 else [])
    for recent, share in targets:
        # share a_{i,t} - (1/tau) sum_y b_{k,y} <= S_{k,t} / tau   for k, t = 1..N
        k, t, y = np.nonzero(_windows(plan, recent))
        base = row + np.arange(n_k * n)
        kk, tt = np.divmod(np.arange(n_k * n), n)
        blocks_r += [base, row + k * n + t]
        blocks_c += [a_off + plan.pair_lib[kk] * n + tt, k * n + y]
        blocks_v += [np.full(n_k * n, share), -1.0 / plan.tau[k]]
        source = plan.stock_recent if recent else plan.stock
        rhs.append((source[:, 1:] / plan.tau[:, None]).ravel())
        row += n_k * n
    # yearly budgets
    kk, tt = np.divmod(np.arange(n_k * n), n)
    blocks_r.append(row + tt)
    blocks_c.append(np.arange(n_k * n))
    blocks_v.append(plan.price[kk])
    rhs.append(plan.budgets)
    row += n
    # z_t - a_{i,t} <= 0
    ii, tt = np.divmod(np.arange(n_l * n), n)
    blocks_r += [row + np.arange(n_l * n), row + np.arange(n_l * n)]
    blocks_c += [z_off + tt, a_off + ii * n + tt]
    blocks_v += [np.ones(n_l * n), -np.ones(n_l * n)]
    rhs.append(np.zeros(n_l * n))
    row += n_l * n
    a = sparse.csr_array(
        (np.concatenate(blocks_v), (np.concatenate(blocks_r), np.concatenate(blocks_c))),
        shape=(row, z_off + n),
    )
    return a, np.concatenate(rhs), a_off, z_off


def _round_purchases(plan: _Plan, x: np.ndarray) -> np.ndarray:
    """Whole items from the LP's purchases ``x`` (K, N), within every year's budget.

    Round down; then, year by year, what is left of the budget rounds up the pairs the LP
    bought a fraction of, the pair furthest below its target at the end of the plan first
    (fewer items lost where the minimum is decided). Last, what is still left buys the items
    that whole-item targets still lack at the end (a target of 123.4 items needs 124), the
    latest years first, where such an item is still on the shelf and recent at the end.
    """
    buy = np.floor(x + _KEEP_EPS)
    buy[buy < 0] = 0
    n = plan.n_years
    ev = _evaluate(plan, buy)
    held, recent = ev["held"][:, -1].copy(), ev["recent"][:, -1].copy()
    cheapest = float(plan.price.min())
    for t in range(n):
        left = plan.budgets[t] - float(plan.price @ buy[:, t])
        age_at_end = n - 1 - t
        lasts = age_at_end <= plan.life
        fresh = age_at_end <= np.minimum(plan.life, RECENT_YEARS - 1)
        fraction = x[:, t] - buy[:, t]
        candidates = np.flatnonzero(fraction > _KEEP_EPS)
        ratio = held[candidates] / plan.tau[candidates]
        if plan.share > 0:
            ratio = np.minimum(ratio, recent[candidates] / (plan.share * plan.tau[candidates]))
        ratio = np.where(lasts[candidates], ratio, np.inf)
        for k in candidates[np.lexsort((candidates, -fraction[candidates], ratio))]:
            if left < cheapest - 1e-9:
                break
            if plan.price[k] <= left + 1e-9:
                buy[k, t] += 1
                left -= plan.price[k]
                held[k] += lasts[k]
                recent[k] += fresh[k]
    share_tau = plan.share * plan.tau
    for t in range(n - 1, -1, -1):
        left = plan.budgets[t] - float(plan.price @ buy[:, t])
        age_at_end = n - 1 - t
        lasts = age_at_end <= plan.life
        fresh = age_at_end <= np.minimum(plan.life, RECENT_YEARS - 1)
        missing = np.maximum(
            np.where(lasts, plan.tau - held, 0.0), np.where(fresh, share_tau - recent, 0.0)
        )
        short = np.flatnonzero(missing > _KEEP_EPS)
        ratio = held[short] / plan.tau[short]
        if plan.share > 0:
            ratio = np.minimum(ratio, recent[short] / share_tau[short])
        for k in short[np.lexsort((short, ratio))]:
            count = min(math.ceil(missing[k] - _KEEP_EPS), math.floor(left / plan.price[k] + 1e-9))
            if count > 0:
                buy[k, t] += count
                left -= count * plan.price[k]
                held[k] += count * lasts[k]
                recent[k] += count * fresh[k]
    return buy


def media_budget_plan(
    stock: pd.DataFrame,
    pupils: pd.DataFrame,
    *,
    base_year: int,
    budget_sek: float | Sequence[float],
    unit_price_sek: float | Mapping[str, float],
    target_items_per_pupil: float | Mapping[str, float] = 10.0,
    target_recent_share: float = 0.5,
    weeding_age: Mapping[str, float | None] | None = None,
    years: int | None = None,
    time_limit: float = 120.0,
) -> MediaPlan:
    """Purchases per library, category and year that maximise the lowest target attainment.

    Parameters
    ----------
    stock : pandas.DataFrame
        Items per library, category and publication year at the end of ``base_year``
        (``library_id``, ``category``, ``publication_year``, ``items``), e.g.
        :func:`stock_cohorts`.
    pupils : pandas.DataFrame
        ``library_id``, ``pupils`` (held for the plan's years). Libraries without pupils are
        left out (``MediaPlan.excluded``).
    base_year : int
        The year the stock describes; the plan covers the years after it.
    budget_sek : float or sequence of float
        The media budget of each plan year (one number is repeated for ``years`` years,
        default 5).
    unit_price_sek : float or mapping
        Price of one item, or ``{category: price}``.
    target_items_per_pupil : float or mapping
        Items per pupil over the library's collection (split over categories by the library's
        own holdings), or ``{category: items per pupil}``.
    target_recent_share : float
        Share of the target published in the last ten years (0 switches it off).
    weeding_age : mapping, optional
        ``{category: years or None}`` over :data:`DEFAULT_WEEDING_AGE`.
    years : int, optional
        Plan length when ``budget_sek`` is one number.
    time_limit : float
        Seconds HiGHS may spend on each of the three LP stages.

    Raises
    ------
    ValueError
        Missing columns, unknown categories, negative or missing values, a budget that does not
        match ``years``, a missing unit price, no library with pupils.
    """
    plan, excluded = _prepare_plan(
        stock,
        pupils,
        base_year=base_year,
        budget_sek=budget_sek,
        years=years,
        unit_price_sek=unit_price_sek,
        target_items_per_pupil=target_items_per_pupil,
        target_recent_share=target_recent_share,
        weeding_age=weeding_age,
    )
    n_k, n_l, n = plan.tau.size, plan.lib_ids.size, plan.n_years
    a_ub, b_ub, a_off, z_off = _plan_lp(plan)
    n_var = z_off + n
    bounds = np.zeros((n_var, 2))
    bounds[:a_off, 1] = np.inf
    bounds[a_off:, 1] = 1.0
    stages, x, statuses = [], None, []
    rows, rhs = a_ub, b_ub
    objectives = {
        "max_min_final": np.eye(1, n_var, z_off + n - 1).ravel(),
        "max_min_every_year": np.concatenate([np.zeros(z_off), np.ones(n)]),
        "max_sum_attainment": np.concatenate([np.zeros(a_off), np.ones(n_l * n), np.zeros(n)]),
    }
    lp_min = math.nan
    for name, gain in objectives.items():
        start = time.perf_counter()
        status, message, found, fun = _lp(-gain, rows, rhs, bounds, "highs", time_limit)
        stages.append(_stage(name, "highs", status, message, -fun, start, n_var, rows.shape[0]))
        statuses.append(status)
        if found is None:
            break
        x = found
        if name == "max_min_final":
            lp_min = -fun
        # keep this optimum in the next stage
        rows = sparse.vstack([rows, -sparse.csr_array(gain[None, :])]).tocsr()
        rhs = np.append(rhs, fun + _STAGE_TOL * max(1.0, abs(fun)))
    if x is None:
        raise RuntimeError(f"HiGHS found no media plan: {stages[-1].message}")
    buy = _round_purchases(plan, x[:a_off].reshape(n_k, n))
    status = "optimal" if all(s == "optimal" for s in statuses) else "feasible"
    return _media_result(plan, buy, lp_min, status, tuple(stages), excluded)


def _media_result(plan, buy, lp_min, status, stages, excluded) -> MediaPlan:
    n_k, n = buy.shape
    years = plan.base_year + np.arange(n + 1)
    ev = _evaluate(plan, buy)
    lib = plan.lib_ids
    # purchases
    k, t = np.nonzero(buy > 0)
    purchases = pd.DataFrame(
        {
            "library_id": lib[plan.pair_lib[k]],
            "category": plan.pair_cat[k].astype(str),
            "year": years[t + 1],
            "items": buy[k, t].astype(np.int64),
            "cost_sek": buy[k, t] * plan.price[k],
        }
    ).sort_values(["library_id", "year", "category"], ignore_index=True)

    # timeline per library and year
    def by_lib(values: np.ndarray) -> np.ndarray:
        columns = range(values.shape[1])
        return np.column_stack(
            [np.bincount(plan.pair_lib, weights=values[:, j], minlength=lib.size) for j in columns]
        )

    held, recent = by_lib(ev["held"]), by_lib(ev["recent"])
    target = np.bincount(plan.pair_lib, weights=plan.tau, minlength=lib.size)
    timeline = pd.DataFrame(
        {
            "library_id": np.repeat(lib, n + 1),
            "year": np.tile(years, lib.size),
            "attainment": ev["attainment"].ravel(),
            "size_attainment": ev["size_min"].ravel(),
            "recent_attainment": np.where(
                np.isinf(ev["recent_min"]), np.nan, ev["recent_min"]
            ).ravel(),
            "items": held.ravel(),
            "recent_items": recent.ravel(),
            "target_items": np.repeat(target, n + 1),
        }
    )
    # what is still missing at the end
    final_held, final_recent = ev["held"][:, -1], ev["recent"][:, -1]
    missing = np.maximum(plan.tau - final_held, plan.share * plan.tau - final_recent)
    needed = np.ceil(np.maximum(missing, 0.0) - _FLOOR_EPS)
    needed[needed < 0] = 0
    short = np.flatnonzero(needed > 0)
    shortfall = pd.DataFrame(
        {
            "library_id": lib[plan.pair_lib[short]],
            "category": plan.pair_cat[short].astype(str),
            "items_needed": needed[short].astype(np.int64),
            "extra_sek": needed[short] * plan.price[short],
        }
    )
    spent_pair = buy * plan.price[:, None]
    attainment = ev["attainment"]
    libraries = pd.DataFrame(
        {
            "library_id": lib,
            "pupils": plan.pupils,
            "target_items": target,
            "items_before": held[:, 0],
            "items_after": held[:, -1],
            "recent_before": recent[:, 0],
            "recent_after": recent[:, -1],
            "attainment_before": attainment[:, 0],
            "attainment_after": attainment[:, -1],
            "purchased_items": np.bincount(plan.pair_lib, weights=buy.sum(1), minlength=lib.size),
            "purchased_sek": np.bincount(
                plan.pair_lib, weights=spent_pair.sum(1), minlength=lib.size
            ),
            "items_needed": np.bincount(plan.pair_lib, weights=needed, minlength=lib.size),
            "extra_sek": np.bincount(
                plan.pair_lib, weights=needed * plan.price, minlength=lib.size
            ),
        }
    )
    spent = spent_pair.sum(0)
    budget = pd.DataFrame(
        {
            "year": years[1:],
            "budget_sek": plan.budgets,
            "spent_sek": spent,
            "unspent_sek": plan.budgets - spent,
        }
    )
    reached = np.flatnonzero((attainment >= 1 - 1e-9).all(axis=0))
    worst = int(np.argmin(attainment[:, -1]))
    numbers = {
        "base_year": int(plan.base_year),
        "final_year": int(years[-1]),
        "n_years": int(n),
        "n_libraries": int(lib.size),
        "min_attainment_before": float(attainment[:, 0].min()),
        "min_attainment_after": float(attainment[:, -1].min()),
        "lp_min_attainment": float(lp_min),
        "n_below_before": int((attainment[:, 0] < 1 - 1e-9).sum()),
        "n_below_after": int((attainment[:, -1] < 1 - 1e-9).sum()),
        "worst_library_id": _plain(lib[worst]),
        "budget_sek": float(plan.budgets.sum()),
        "spent_sek": float(spent.sum()),
        "unspent_sek": float(plan.budgets.sum() - spent.sum()),
        "purchased_items": int(buy.sum()),
        "weeded_items": float(plan.stock[:, 0].sum() + buy.sum() - ev["held"][:, -1].sum()),
        "extra_items_needed": int(needed.sum()),
        "extra_sek_needed": float((needed * plan.price).sum()),
        "year_all_reached": int(years[reached[0]]) if reached.size else None,
    }
    message = (
        f"lowest attainment {numbers['min_attainment_before']:.1%} in {plan.base_year} -> "
        f"{numbers['min_attainment_after']:.1%} in {years[-1]}; "
        f"{numbers['n_below_after']} of {lib.size} libraries below target at the end; "
        f"{numbers['extra_items_needed']:,} more items (SEK {numbers['extra_sek_needed']:,.0f}) "
        "would reach every target"
    )
    return MediaPlan(
        purchases=purchases,
        timeline=timeline,
        libraries=libraries,
        shortfall=shortfall,
        budget=budget,
        numbers=numbers,
        status=status,
        message=message,
        stages=stages,
        excluded=list(excluded),
    )
