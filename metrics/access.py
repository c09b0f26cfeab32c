"""Spatial access from schools to libraries: distances and floating catchment areas.

Two families of measures, all pure numpy/pandas/scipy:

* **Distances.** :func:`distance_to_serving_library` gives the distance from each
  school to the library that serves it (the nearest of its linked libraries);
  :func:`nearest_staffed_library` gives the distance to the nearest library
  staffed at least ``min_hours`` a week (KB's threshold is 20 h/week), found with a
  :class:`scipy.spatial.cKDTree`.
* **Floating catchment areas.** :func:`two_step_fca` (2SFCA, Luo & Wang 2003) and
  :func:`enhanced_two_step_fca` (E2SFCA, Luo & Qi 2009) relate the staffed hours of
  each library to the pupils within its catchment and give every school the
  staffed hours per pupil it can reach.

Input frames and units
----------------------
``schools``
    ``school_id`` (unique), ``x``, ``y`` (planar coordinates in metres, EPSG:3006
    SWEREF 99 TM) and ``pupils`` (non-negative).
``libraries``
    ``library_id`` (unique), ``x``, ``y`` (EPSG:3006 metres) and ``staffed_hours``
    (staffed hours per week, non-negative).
``links``
    ``school_id`` -> ``library_id``: which library (or libraries) serves which
    school. A library may serve several schools and a school may be linked to
    several libraries.
``travel_times`` (optional everywhere)
    A long origin-destination table with ``school_id`` (origin), ``library_id``
    (destination) and ``minutes``. When it is given it replaces the planar
    distance: every cost, cut-off and band is then in minutes, a pair missing from
    the table is unreachable, and ``x``/``y`` are not needed. Rows whose ids are not
    in the input frames are ignored; rows with a missing ``minutes`` are dropped.

Planar distance is ``numpy.hypot(dx, dy)`` in metres; a cut-off ``max_distance`` is
inclusive (a pair at exactly ``max_distance`` is in reach), as in PySAL ``access``.

Floating catchment areas
------------------------
With ``f`` the distance-decay weight (1 for plain 2SFCA) and ``d0`` the cut-off,
library ``j`` with staffed hours ``S_j`` gets the ratio

    ``R_j = S_j / sum_{i: d_ij <= d0} f(d_ij) P_i``

and school ``i`` gets ``A_i = sum_{j: d_ij <= d0} f(d_ij) R_j``: staffed hours per
week per pupil within reach. E2SFCA is the same with a step (travel-time bands,
Luo & Qi's weights 1, 0.68, 0.22 for 0-10, 10-20, 20-30 minutes) or a Gaussian
decay applied in both steps.

Only the pairs within the cut-off are ever built: the neighbour search is a
KD-tree ``sparse_distance_matrix`` (or the rows of the travel-time table), so
memory grows with the number of pairs in reach, not with schools x libraries.
The number of pairs is reported in :attr:`FCAResult.n_pairs`.

Differences from PySAL ``access`` (whose results these functions reproduce to
rounding on the same inputs; see ``tests/metrics/test_access.py``):

* A school with no library in reach gets accessibility **0.0** (no staffed hours
  reachable), where PySAL gives NaN; ``libraries_in_reach`` is 0 for it.
* A library with no pupils in its catchment cannot pass its hours on; PySAL drops
  it silently, here its ratio is NaN, ``in_reach`` is False and its hours are
  summed in :attr:`FCAResult.unreached_hours`. Plain 2SFCA conserves the reached
  supply (``sum_i P_i A_i`` equals the hours of the libraries in reach); with a
  decay weight the total is inflated or deflated (Paez et al. 2019).
* A cut-off is mandatory (that is what keeps the problem sparse).

Sources
-------
* W. Luo and F. Wang (2003), "Measures of spatial accessibility to health care in a
  GIS environment: synthesis and a case study in the Chicago region",
  *Environment and Planning B* 30(6), 865-884 (2SFCA).
* W. Luo and Y. Qi (2009), "An enhanced two-step floating catchment area (E2SFCA)
  method for measuring spatial accessibility to primary care physicians",
  *Health & Place* 15(4), 1100-1107 (E2SFCA, bands 10/20/30 min, weights
  1/0.68/0.22).
* A. Paez, C. D. Higgins and S. F. Vivona (2019), "Demand and level of service
  inflation in Floating Catchment Area (FCA) methods", *PLOS ONE* 14(6), e0218773.
* PySAL ``access`` (J. Saxon et al.), https://github.com/pysal/access,
  ``Access.two_stage_fca`` / ``enhanced_two_stage_fca`` and ``access.weights``
  (``step_fn``, ``gaussian``), used as the test oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from metrics.equity import equity_summary

__all__ = [
    "KB_STAFFED_MIN_HOURS",
    "LUO_QI_BANDS",
    "LUO_QI_WEIGHTS",
    "FCAResult",
    "distance_to_serving_library",
    "enhanced_two_step_fca",
    "gaussian_decay",
    "nearest_staffed_library",
    "pupil_weighted_summary",
    "step_decay",
    "two_step_fca",
]

SCHOOL_ID = "school_id"
LIBRARY_ID = "library_id"
PUPILS = "pupils"
STAFFED_HOURS = "staffed_hours"
MINUTES = "minutes"

#: KB statistics threshold for a staffed school library (0.5 FTE), hours per week.
KB_STAFFED_MIN_HOURS = 20.0
#: Luo & Qi (2009) travel-time bands in minutes (upper bounds, inclusive).
LUO_QI_BANDS = (10.0, 20.0, 30.0)
#: Luo & Qi (2009) weights for :data:`LUO_QI_BANDS` (Gaussian, beta = 100).
LUO_QI_WEIGHTS = (1.0, 0.68, 0.22)

# Relative slack for the KD-tree search radius; pairs are then filtered exactly with
# numpy.hypot <= cut-off, so the result does not depend on the tree's rounding.
_RADIUS_SLACK = 1e-9

Decay = Callable[[np.ndarray], np.ndarray]


# --- validation helpers


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}")


def _id_index(frame: pd.DataFrame, column: str, name: str) -> pd.Index:
    ids = pd.Index(frame[column])
    if ids.hasnans:
        raise ValueError(f"{name}.{column} has missing values")
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise ValueError(f"{name}.{column} must be unique; duplicated: {dup}")
    return ids


def _float_column(frame: pd.DataFrame, column: str, name: str, *, nonneg: bool) -> np.ndarray:
    arr = np.asarray(frame[column].to_numpy(dtype=float, na_value=np.nan), dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}.{column} must be finite (no NaN or infinite values)")
    if nonneg and (arr < 0).any():
        raise ValueError(f"{name}.{column} must be non-negative")
    return arr


def _coordinates(frame: pd.DataFrame, name: str) -> np.ndarray:
    _require_columns(frame, ["x", "y"], name)
    x = _float_column(frame, "x", name, nonneg=False)
    y = _float_column(frame, "y", name, nonneg=False)
    return np.column_stack([x, y]) if x.size else np.empty((0, 2))


def _cutoff(value: float | None, name: str = "max_distance") -> float:
    if value is None:
        return math.inf
    value = float(value)
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value}")
    return value


def _take_ids(ids: pd.Index, pos: np.ndarray) -> pd.Series:
    """Ids at positions ``pos`` (-1 = missing), integers kept as nullable Int64."""
    found = pos >= 0
    out = pd.Series(ids.take(np.where(found, pos, 0)) if len(ids) else [None] * pos.size)
    if found.all():
        return out
    if pd.api.types.is_integer_dtype(out.dtype) or pd.api.types.is_bool_dtype(out.dtype):
        out = out.astype("Int64" if pd.api.types.is_integer_dtype(out.dtype) else "boolean")
    elif not (
        pd.api.types.is_object_dtype(out.dtype)
        or pd.api.types.is_string_dtype(out.dtype)
        or pd.api.types.is_float_dtype(out.dtype)
    ):
        out = out.astype(object)
    out[~found] = None
    return out


# --- neighbour pairs (sparse)


@dataclass(frozen=True)
class _Pairs:
    """School-library pairs within reach, sorted by (school, library)."""

    school: np.ndarray  # positions into the schools frame (intp)
    library: np.ndarray  # positions into the libraries frame (intp)
    cost: np.ndarray  # metres or minutes

    @property
    def size(self) -> int:
        return int(self.school.size)

    def subset(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(self.school[mask], self.library[mask], self.cost[mask])


def _empty_pairs() -> _Pairs:
    return _Pairs(np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, float))


def _sorted_pairs(i: np.ndarray, j: np.ndarray, cost: np.ndarray, n_libraries: int) -> _Pairs:
    i = i.astype(np.intp, copy=False)
    j = j.astype(np.intp, copy=False)
    # One integer key per pair: a single argsort is much faster than np.lexsort.
    order = np.argsort(i.astype(np.int64) * max(n_libraries, 1) + j)
    return _Pairs(i[order], j[order], cost[order])


def _planar_pairs(school_xy: np.ndarray, library_xy: np.ndarray, max_distance: float) -> _Pairs:
    """All pairs with planar distance <= max_distance, from two KD-trees (no dense matrix)."""
    if not math.isfinite(max_distance):
        raise ValueError("a finite max_distance is needed for the sparse neighbour search")
    if len(school_xy) == 0 or len(library_xy) == 0:
        return _empty_pairs()
    radius = max_distance * (1.0 + _RADIUS_SLACK) + _RADIUS_SLACK
    found = cKDTree(school_xy).sparse_distance_matrix(
        cKDTree(library_xy), radius, output_type="ndarray"
    )
    i = found["i"].astype(np.intp)
    j = found["j"].astype(np.intp)
    del found  # free the structured array before computing distances
    d = school_xy[i, 0]
    d -= library_xy[j, 0]
    dy = school_xy[i, 1]
    dy -= library_xy[j, 1]
    np.hypot(d, dy, out=d)
    del dy
    keep = d <= max_distance
    return _sorted_pairs(i[keep], j[keep], d[keep], len(library_xy))


def _table_pairs(
    travel_times: pd.DataFrame,
    school_ids: pd.Index,
    library_ids: pd.Index,
    max_cost: float = math.inf,
) -> _Pairs:
    """Pairs from a long travel-time table, restricted to known ids and cost <= max_cost."""
    _require_columns(travel_times, [SCHOOL_ID, LIBRARY_ID, MINUTES], "travel_times")
    i = school_ids.get_indexer(pd.Index(travel_times[SCHOOL_ID]))
    j = library_ids.get_indexer(pd.Index(travel_times[LIBRARY_ID]))
    cost = np.asarray(travel_times[MINUTES].to_numpy(dtype=float, na_value=np.nan), dtype=float)
    known = (i >= 0) & (j >= 0)
    if len(travel_times) and len(school_ids) and len(library_ids) and not known.any():
        raise ValueError(
            "no row of travel_times matches both a school_id and a library_id of the inputs; "
            "check that the id columns have the same type (e.g. str vs int)"
        )
    valid = known & ~np.isnan(cost)
    if np.isinf(cost[valid]).any() or (cost[valid] < 0).any():
        raise ValueError("travel_times.minutes must be finite and non-negative")
    keys = i[valid].astype(np.int64) * max(len(library_ids), 1) + j[valid]
    if np.unique(keys).size != keys.size:
        raise ValueError("travel_times has more than one row for the same school_id, library_id")
    keep = valid & (cost <= max_cost)
    return _sorted_pairs(i[keep], j[keep], cost[keep], len(library_ids))


def _pairs(
    schools: pd.DataFrame,
    libraries: pd.DataFrame,
    school_ids: pd.Index,
    library_ids: pd.Index,
    max_cost: float,
    travel_times: pd.DataFrame | None,
) -> _Pairs:
    if travel_times is not None:
        return _table_pairs(travel_times, school_ids, library_ids, max_cost)
    return _planar_pairs(
        _coordinates(schools, "schools"), _coordinates(libraries, "libraries"), max_cost
    )


def _first_per_school(pairs: _Pairs, n_schools: int) -> tuple[np.ndarray, np.ndarray]:
    """Library position and cost of the lowest-cost pair per school (-1 / NaN if none).

    NaN costs sort last; ties go to the lower library position.
    """
    library = np.full(n_schools, -1, dtype=np.intp)
    cost = np.full(n_schools, np.nan)
    if pairs.size == 0:
        return library, cost
    sort_cost = np.where(np.isnan(pairs.cost), np.inf, pairs.cost)
    # Stable sorts: by cost, then by school; equal costs keep the (school, library) order.
    order = np.argsort(sort_cost, kind="stable")
    order = order[np.argsort(pairs.school[order], kind="stable")]
    school_sorted = pairs.school[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = school_sorted[1:] != school_sorted[:-1]
    chosen = order[first]
    library[pairs.school[chosen]] = pairs.library[chosen]
    cost[pairs.school[chosen]] = pairs.cost[chosen]
    return library, cost


def _school_frame(schools: pd.DataFrame, school_ids: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame({SCHOOL_ID: school_ids.to_numpy()})
    if PUPILS in schools.columns:
        out[PUPILS] = schools[PUPILS].to_numpy()
    return out


# --- distances


def distance_to_serving_library(
    schools: pd.DataFrame,
    libraries: pd.DataFrame,
    links: pd.DataFrame,
    *,
    travel_times: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Distance from each school to the library that serves it.

    Parameters
    ----------
    schools : DataFrame
        ``school_id`` (unique), ``x``, ``y`` in EPSG:3006 metres; ``pupils`` is
        copied to the result when present. ``x``/``y`` are not needed with
        ``travel_times``.
    libraries : DataFrame
        ``library_id`` (unique), ``x``, ``y`` in EPSG:3006 metres (not needed with
        ``travel_times``).
    links : DataFrame
        ``school_id`` -> ``library_id``, one row per serving relation. Rows for
        schools that are not in ``schools`` are ignored; a linked library that is
        not in ``libraries`` raises ValueError.
    travel_times : DataFrame, optional
        ``school_id``, ``library_id``, ``minutes``; replaces the planar distance. A
        link whose pair is missing from the table has an unknown (NaN) cost.

    Returns
    -------
    DataFrame
        One row per school, in input order: ``school_id``, ``pupils`` (if given),
        ``library_id`` (the linked library with the lowest cost; missing if the
        school has no link), ``distance`` (metres, or minutes with
        ``travel_times``; NaN if no link or no known cost) and ``n_libraries``
        (number of linked libraries).

    Examples
    --------
    >>> schools = pd.DataFrame({"school_id": ["A", "B"], "x": [0.0, 0.0], "y": [0.0, 10.0],
    ...                         "pupils": [100, 50]})
    >>> libraries = pd.DataFrame({"library_id": [1, 2], "x": [3.0, 0.0], "y": [4.0, 0.0]})
    >>> links = pd.DataFrame({"school_id": ["A", "A"], "library_id": [1, 2]})
    >>> distance_to_serving_library(schools, libraries, links)
      school_id  pupils  library_id  distance  n_libraries
    0         A     100           2       0.0            2
    1         B      50        <NA>       NaN            0
    """
    _require_columns(schools, [SCHOOL_ID], "schools")
    _require_columns(libraries, [LIBRARY_ID], "libraries")
    _require_columns(links, [SCHOOL_ID, LIBRARY_ID], "links")
    school_ids = _id_index(schools, SCHOOL_ID, "schools")
    library_ids = _id_index(libraries, LIBRARY_ID, "libraries")
    n = len(school_ids)

    link_rows = links[[SCHOOL_ID, LIBRARY_ID]].dropna()
    i = school_ids.get_indexer(pd.Index(link_rows[SCHOOL_ID]))
    j = library_ids.get_indexer(pd.Index(link_rows[LIBRARY_ID]))
    ours = i >= 0
    unknown = ours & (j < 0)
    if unknown.any():
        bad = pd.unique(link_rows[LIBRARY_ID].to_numpy()[unknown])[:5].tolist()
        raise ValueError(f"links refers to library_id(s) not in libraries: {bad}")
    i, j = i[ours], j[ours]
    if i.size:
        key = np.unique(i.astype(np.int64) * len(library_ids) + j)
        i, j = (key // len(library_ids)).astype(np.intp), (key % len(library_ids)).astype(np.intp)

    if travel_times is not None:
        table = _table_pairs(travel_times, school_ids, library_ids)
        m = max(len(library_ids), 1)
        # _table_pairs sorts by (school, library), so these keys are already sorted.
        table_key = table.school.astype(np.int64) * m + table.library
        link_key = i.astype(np.int64) * m + j
        cost = np.full(i.size, np.nan)
        if table_key.size:
            pos = np.minimum(np.searchsorted(table_key, link_key), table_key.size - 1)
            hit = table_key[pos] == link_key
            cost[hit] = table.cost[pos[hit]]
    else:
        sxy = _coordinates(schools, "schools")
        lxy = _coordinates(libraries, "libraries")
        cost = np.hypot(sxy[i, 0] - lxy[j, 0], sxy[i, 1] - lxy[j, 1])

    library, distance = _first_per_school(_Pairs(i, j, cost), n)
    out = _school_frame(schools, school_ids)
    out[LIBRARY_ID] = _take_ids(library_ids, library).array
    out["distance"] = distance
    out["n_libraries"] = np.bincount(i, minlength=n).astype(np.int64)
    return out


def nearest_staffed_library(
    schools: pd.DataFrame,
    libraries: pd.DataFrame,
    min_hours: float = KB_STAFFED_MIN_HOURS,
    max_distance: float | None = None,
    *,
    travel_times: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Nearest library staffed at least ``min_hours`` a week, for every school.

    Planar distances use a :class:`scipy.spatial.cKDTree` built on the staffed
    libraries only (one nearest-neighbour query per school, O(n log m)).

    Parameters
    ----------
    schools : DataFrame
        ``school_id`` (unique), ``x``, ``y`` in EPSG:3006 metres (not needed with
        ``travel_times``); ``pupils`` is copied to the result when present.
    libraries : DataFrame
        ``library_id`` (unique), ``x``, ``y`` in EPSG:3006 metres (not needed with
        ``travel_times``) and ``staffed_hours`` per week (a missing value counts as
        not staffed).
    min_hours : float, default 20
        A library counts as staffed when ``staffed_hours >= min_hours`` (KB's
        statistics threshold is 20 h/week, i.e. 0.5 FTE).
    max_distance : float, optional
        Search no further than this (inclusive; metres, or minutes with
        ``travel_times``). Schools with no staffed library in reach get NaN.
    travel_times : DataFrame, optional
        ``school_id``, ``library_id``, ``minutes``; replaces the planar distance.
        Pairs missing from the table are unreachable.

    Returns
    -------
    DataFrame
        One row per school, in input order: ``school_id``, ``pupils`` (if given),
        ``library_id`` (missing when none in reach), ``distance`` (metres or
        minutes; NaN when none in reach) and ``staffed_hours`` of that library.

    Examples
    --------
    >>> schools = pd.DataFrame({"school_id": [1, 2], "x": [0.0, 100.0], "y": [0.0, 0.0]})
    >>> libraries = pd.DataFrame({"library_id": ["a", "b"], "x": [10.0, 90.0],
    ...                           "y": [0.0, 0.0], "staffed_hours": [5.0, 30.0]})
    >>> nearest_staffed_library(schools, libraries)[["school_id", "library_id", "distance"]]
       school_id library_id  distance
    0          1          b      90.0
    1          2          b      10.0
    """
    _require_columns(schools, [SCHOOL_ID], "schools")
    _require_columns(libraries, [LIBRARY_ID, STAFFED_HOURS], "libraries")
    school_ids = _id_index(schools, SCHOOL_ID, "schools")
    library_ids = _id_index(libraries, LIBRARY_ID, "libraries")
    cutoff = _cutoff(max_distance)
    hours = np.asarray(libraries[STAFFED_HOURS].to_numpy(dtype=float, na_value=np.nan))
    with np.errstate(invalid="ignore"):
        staffed = hours >= float(min_hours)
    n = len(school_ids)

    if travel_times is not None:
        pairs = _table_pairs(travel_times, school_ids, library_ids, cutoff)
        library, distance = _first_per_school(pairs.subset(staffed[pairs.library]), n)
    else:
        sxy = _coordinates(schools, "schools")
        lxy_all = _coordinates(libraries, "libraries")
        staffed_pos = np.flatnonzero(staffed)
        library = np.full(n, -1, dtype=np.intp)
        distance = np.full(n, np.nan)
        if n and staffed_pos.size:
            lxy = lxy_all[staffed_pos]
            bound = cutoff * (1.0 + _RADIUS_SLACK) + _RADIUS_SLACK
            _, k = cKDTree(lxy).query(sxy, k=1, distance_upper_bound=bound)
            hit = k < staffed_pos.size
            d = np.hypot(sxy[hit, 0] - lxy[k[hit], 0], sxy[hit, 1] - lxy[k[hit], 1])
            ok = d <= cutoff
            rows = np.flatnonzero(hit)[ok]
            library[rows] = staffed_pos[k[hit][ok]]
            distance[rows] = d[ok]

    out = _school_frame(schools, school_ids)
    out[LIBRARY_ID] = _take_ids(library_ids, library).array
    out["distance"] = distance
    found_hours = np.full(n, np.nan)
    found_hours[library >= 0] = hours[library[library >= 0]]
    out[STAFFED_HOURS] = found_hours
    return out


# --- distance decay


def step_decay(bands: Sequence[float], weights: Sequence[float]) -> Decay:
    """Vectorised step weight: ``weights[k]`` for ``bands[k-1] < cost <= bands[k]``.

    Costs up to ``bands[0]`` get ``weights[0]``; costs beyond the last band get 0.
    Same as PySAL ``access.weights.step_fn(dict(zip(bands, weights)))``, but taking
    and returning arrays.

    Parameters
    ----------
    bands : sequence of float
        Strictly increasing, non-negative upper bounds (inclusive).
    weights : sequence of float
        Non-negative weight per band, same length as ``bands``.

    Returns
    -------
    callable
        ``f(cost: ndarray) -> ndarray`` of weights.

    Examples
    --------
    >>> f = step_decay([10, 20, 30], [1, 0.68, 0.22])
    >>> f(np.array([0, 10, 10.5, 30, 31])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """
    b = np.asarray(bands, dtype=float)
    w = np.asarray(weights, dtype=float)
    if b.ndim != 1 or b.size == 0 or w.shape != b.shape:
        raise ValueError("bands and weights must be non-empty sequences of the same length")
    if not (np.isfinite(b).all() and np.isfinite(w).all()):
        raise ValueError("bands and weights must be finite")
    if (b < 0).any() or (np.diff(b) <= 0).any():
        raise ValueError("bands must be non-negative and strictly increasing")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    padded = np.append(w, 0.0)

    def decay(cost: np.ndarray) -> np.ndarray:
        return padded[np.searchsorted(b, np.asarray(cost, dtype=float), side="left")]

    return decay


def gaussian_decay(sigma: float) -> Decay:
    """Vectorised Gaussian weight ``exp(-cost**2 / (2 sigma**2))`` (1 at cost 0).

    Same as PySAL ``access.weights.gaussian(sigma)`` (no normalising constant).

    Parameters
    ----------
    sigma : float
        Width, in the unit of the cost (metres or minutes); positive.

    Returns
    -------
    callable
        ``f(cost: ndarray) -> ndarray`` of weights.

    Examples
    --------
    >>> round(float(gaussian_decay(20)(np.array([20.0]))[0]), 6)
    0.606531
    """
    sigma = float(sigma)
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number, got {sigma}")
    two_sigma_sq = 2.0 * sigma * sigma

    def decay(cost: np.ndarray) -> np.ndarray:
        c = np.asarray(cost, dtype=float)
        return np.exp(-(c * c) / two_sigma_sq)

    return decay


# --- floating catchment areas


@dataclass(frozen=True)
class FCAResult:
    """Result of a floating catchment area computation.

    Attributes
    ----------
    schools : DataFrame
        One row per school, input order: ``school_id``, ``pupils``,
        ``accessibility`` (staffed hours per week per pupil within reach; 0 when
        no library is in reach) and ``libraries_in_reach`` (pairs within the
        cut-off).
    libraries : DataFrame
        One row per library, input order: ``library_id``, ``staffed_hours``,
        ``catchment_pupils`` (decay-weighted pupils within reach), ``ratio``
        (staffed hours per catchment pupil, ``R_j``; NaN when no pupils are in
        reach) and ``in_reach`` (``catchment_pupils > 0``).
    n_pairs : int
        Number of school-library pairs within the cut-off that were stored; the
        memory used grows with this, never with schools x libraries.
    unreached_hours : float
        Staffed hours of libraries with no pupils in reach (PySAL drops these
        silently).
    max_distance : float
        The cut-off used (metres, or minutes with a travel-time table).
    method : str
        ``"2SFCA"`` or ``"E2SFCA"``.
    """

    schools: pd.DataFrame
    libraries: pd.DataFrame
    n_pairs: int
    unreached_hours: float
    max_distance: float
    method: str

    @property
    def accessibility(self) -> pd.Series:
        """Accessibility per school as a Series indexed by ``school_id``."""
        return pd.Series(
            self.schools["accessibility"].to_numpy(),
            index=pd.Index(self.schools[SCHOOL_ID], name=SCHOOL_ID),
            name="accessibility",
        )


def _fca(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    max_distance: float,
    decay: Decay | None,
    travel_times: pd.DataFrame | None,
    method: str,
) -> FCAResult:
    _require_columns(demand, [SCHOOL_ID, PUPILS], "demand")
    _require_columns(supply, [LIBRARY_ID, STAFFED_HOURS], "supply")
    school_ids = _id_index(demand, SCHOOL_ID, "demand")
    library_ids = _id_index(supply, LIBRARY_ID, "supply")
    pupils = _float_column(demand, PUPILS, "demand", nonneg=True)
    hours = _float_column(supply, STAFFED_HOURS, "supply", nonneg=True)
    cutoff = _cutoff(max_distance)
    if travel_times is None and not math.isfinite(cutoff):
        raise ValueError("max_distance is required for planar distances (sparse search)")
    n, m = len(school_ids), len(library_ids)

    pairs = _pairs(demand, supply, school_ids, library_ids, cutoff, travel_times)
    if decay is None:
        weight = np.ones(pairs.size)
    else:
        weight = np.asarray(decay(pairs.cost), dtype=float)
        if weight.shape != pairs.cost.shape:
            raise ValueError(
                "decay must be vectorised: called with an array of costs it must return an "
                f"array of the same shape, got shape {weight.shape}"
            )
        if not (np.isfinite(weight).all() and (weight >= 0).all()):
            raise ValueError("decay weights must be finite and non-negative")

    # Step 1: decay-weighted pupils in each library's catchment and the supply ratio.
    catchment = np.bincount(pairs.library, weights=weight * pupils[pairs.school], minlength=m)
    in_reach = catchment > 0
    ratio = np.full(m, np.nan)
    np.divide(hours, catchment, out=ratio, where=in_reach)
    # Step 2: decay-weighted sum of the ratios within each school's catchment.
    usable = np.where(in_reach, ratio, 0.0)
    accessibility = np.bincount(pairs.school, weights=weight * usable[pairs.library], minlength=n)

    schools_out = pd.DataFrame(
        {
            SCHOOL_ID: school_ids.to_numpy(),
            PUPILS: demand[PUPILS].to_numpy(),
            "accessibility": accessibility,
            "libraries_in_reach": np.bincount(pairs.school, minlength=n).astype(np.int64),
        }
    )
    libraries_out = pd.DataFrame(
        {
            LIBRARY_ID: library_ids.to_numpy(),
            STAFFED_HOURS: supply[STAFFED_HOURS].to_numpy(),
            "catchment_pupils": catchment,
            "ratio": ratio,
            "in_reach": in_reach,
        }
    )
    return FCAResult(
        schools=schools_out,
        libraries=libraries_out,
        n_pairs=pairs.size,
        unreached_hours=float(hours[~in_reach].sum()),
        max_distance=cutoff,
        method=method,
    )


def two_step_fca(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    max_distance: float | None,
    decay: Decay | None = None,
    *,
    travel_times: pd.DataFrame | None = None,
) -> FCAResult:
    """Two-step floating catchment area (2SFCA): staffed hours per pupil within reach.

    ``R_j = S_j / sum_{i: d_ij <= d0} f(d_ij) P_i`` and
    ``A_i = sum_{j: d_ij <= d0} f(d_ij) R_j`` with ``f = 1`` unless ``decay`` is
    given (Luo & Wang 2003). Equals PySAL
    ``Access.two_stage_fca(max_cost=d0, weight_fn=f)`` with the school as origin and
    the library as destination, except that schools with no library in reach get
    0 instead of NaN.

    Parameters
    ----------
    demand : DataFrame
        Schools: ``school_id`` (unique), ``x``, ``y`` (EPSG:3006 metres; not
        needed with ``travel_times``), ``pupils`` (non-negative).
    supply : DataFrame
        Libraries: ``library_id`` (unique), ``x``, ``y`` (not needed with
        ``travel_times``), ``staffed_hours`` per week (non-negative).
    max_distance : float
        Catchment cut-off ``d0``, inclusive; metres, or minutes with
        ``travel_times``. Required for planar distances; with ``travel_times``
        ``None`` means every row of the table is in reach.
    decay : callable, optional
        Vectorised distance-decay weight ``f(cost_array) -> weight_array``, e.g.
        :func:`step_decay` or :func:`gaussian_decay`. PySAL's scalar weight
        functions are not vectorised and cannot be passed here.
    travel_times : DataFrame, optional
        ``school_id``, ``library_id``, ``minutes``; replaces the planar distance
        (only its rows are candidate pairs, so it can itself be sparse).

    Returns
    -------
    FCAResult
        Per-school accessibility, per-library ratios, the number of stored pairs
        and the hours of libraries with no pupils in reach.

    Examples
    --------
    The worked example of the design notes (PySAL gives the same numbers):

    >>> demand = pd.DataFrame({"school_id": ["A", "B", "C"], "pupils": [100, 200, 300]})
    >>> supply = pd.DataFrame({"library_id": ["L1", "L2"], "staffed_hours": [20.0, 10.0]})
    >>> tt = pd.DataFrame({"school_id": ["A", "A", "B", "B", "C", "C"],
    ...                    "library_id": ["L1", "L2"] * 3,
    ...                    "minutes": [1, 5, 2, 2, 6, 1.5]})
    >>> r = two_step_fca(demand, supply, 3, travel_times=tt)
    >>> r.accessibility.round(6).tolist()
    [0.066667, 0.086667, 0.02]
    """
    return _fca(demand, supply, max_distance, decay, travel_times, "2SFCA")


def enhanced_two_step_fca(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    bands: Sequence[float] | None = None,
    weights: Sequence[float] = LUO_QI_WEIGHTS,
    *,
    sigma: float | None = None,
    max_distance: float | None = None,
    travel_times: pd.DataFrame | None = None,
) -> FCAResult:
    """Enhanced 2SFCA (Luo & Qi 2009): 2SFCA with distance-decay weights in both steps.

    Either a step decay over ``bands`` (``weights[k]`` for
    ``bands[k-1] < cost <= bands[k]``) or a Gaussian decay of width ``sigma``.
    Equals PySAL ``Access.enhanced_two_stage_fca(max_cost=..., weight_fn=...)`` with
    ``access.weights.step_fn`` / ``gaussian``, except for schools with no library in
    reach (0 here, NaN there).

    Parameters
    ----------
    demand, supply : DataFrame
        As for :func:`two_step_fca`.
    bands : sequence of float, optional
        Upper bounds of the distance (metres) or travel-time (minutes) bands,
        strictly increasing. With ``travel_times`` and neither ``bands`` nor
        ``sigma`` given, Luo & Qi's 10/20/30-minute bands are used; with planar
        distances ``bands`` or ``sigma`` must be given (e.g.
        ``bands=(2_000, 5_000, 10_000)`` metres).
    weights : sequence of float, default (1.0, 0.68, 0.22)
        Weight per band (Luo & Qi's Gaussian-derived values by default).
    sigma : float, optional
        Gaussian decay width instead of bands (same unit as the cost).
    max_distance : float, optional
        Cut-off, inclusive. Defaults to the last band, or to ``3 * sigma``
        (weight 0.011) for the Gaussian. With bands, a smaller ``max_distance``
        truncates the last band.
    travel_times : DataFrame, optional
        ``school_id``, ``library_id``, ``minutes``; replaces the planar distance.

    Returns
    -------
    FCAResult
        As for :func:`two_step_fca`, with ``method == "E2SFCA"``.

    Examples
    --------
    The worked example of the design notes (PySAL: A 0.058859, B 0.073802, C 0.031179):

    >>> demand = pd.DataFrame({"school_id": ["A", "B", "C"], "pupils": [100, 200, 300]})
    >>> supply = pd.DataFrame({"library_id": ["L1", "L2"], "staffed_hours": [20.0, 10.0]})
    >>> tt = pd.DataFrame({"school_id": ["A", "A", "B", "B", "C", "C"],
    ...                    "library_id": ["L1", "L2"] * 3,
    ...                    "minutes": [1, 5, 2, 2, 6, 1.5]})
    >>> r = enhanced_two_step_fca(demand, supply, bands=(2, 4, 6), travel_times=tt)
    >>> r.accessibility.round(6).tolist()
    [0.058859, 0.073802, 0.031179]
    """
    if bands is not None and sigma is not None:
        raise ValueError("give either bands (step decay) or sigma (Gaussian decay), not both")
    if bands is None and sigma is None:
        if travel_times is None:
            raise ValueError(
                "planar distances need bands (metres, e.g. (2000, 5000, 10000)) or sigma; "
                "Luo & Qi's default bands are in minutes and apply only with travel_times"
            )
        bands = LUO_QI_BANDS
    if bands is not None:
        decay = step_decay(bands, weights)
        last_band = float(np.max(np.asarray(bands, dtype=float)))
        cutoff = last_band if max_distance is None else min(_cutoff(max_distance), last_band)
    else:
        width = float(sigma)  # type: ignore[arg-type]
        decay = gaussian_decay(width)
        cutoff = 3.0 * width if max_distance is None else _cutoff(max_distance)
    return _fca(demand, supply, cutoff, decay, travel_times, "E2SFCA")


# --- summaries


def pupil_weighted_summary(
    frame: pd.DataFrame,
    column: str = "distance",
    weight: str | None = PUPILS,
    *,
    by: str | Sequence[str] | None = None,
    thresholds: Sequence[float] = (),
) -> dict[str, Any] | pd.DataFrame:
    """Pupil-weighted equity statistics of an access column.

    Wraps :func:`metrics.equity.equity_summary`: every pupil carries the value of
    the school (distance, minutes, accessibility, ...). Rows with a missing value
    (e.g. no staffed library within ``max_distance``) are dropped from the
    statistics and counted in ``n_dropped``.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`distance_to_serving_library`,
        :func:`nearest_staffed_library` or ``FCAResult.schools``.
    column : str, default "distance"
        The value column (``"accessibility"`` for an FCA result).
    weight : str or None, default "pupils"
        Weight column; ``None`` for unweighted (one observation per school).
    by : str or list of str, optional
        Grouping column(s) (district, municipality, organiser); the result is
        then a DataFrame with one row per group.
    thresholds : sequence of float, optional
        For each ``t``, adds ``share_within_<t>``: the share of all pupils
        (missing values count as not within) whose value is ``<= t``.

    Returns
    -------
    dict or DataFrame
        The :func:`~metrics.equity.equity_summary` keys plus the shares; all
        statistics NaN (``n`` = 0) when no row has a value.

    Examples
    --------
    >>> f = pd.DataFrame({"distance": [0.0, 500.0, float("nan")], "pupils": [100, 300, 50]})
    >>> s = pupil_weighted_summary(f, thresholds=[1000])
    >>> s["mean"], s["n_dropped"], round(s["share_within_1000"], 4)
    (375.0, 1, 0.8889)
    """
    _require_columns(frame, [column] + ([weight] if weight else []), "frame")
    if by is not None:
        keys = [by] if isinstance(by, str) else list(by)
        _require_columns(frame, keys, "frame")
        rows = {
            name: _summary(group, column, weight, thresholds)
            for name, group in frame.groupby(keys if len(keys) > 1 else keys[0], sort=True)
        }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.names = keys
        return out
    return _summary(frame, column, weight, thresholds)


def _summary(
    frame: pd.DataFrame, column: str, weight: str | None, thresholds: Sequence[float]
) -> dict[str, Any]:
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    w = None if weight is None else frame[weight].to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values) & (np.ones_like(values, bool) if w is None else ~np.isnan(w))
    if present.any():
        result: dict[str, Any] = equity_summary(values, w)
    else:
        template = equity_summary([1.0])
        result = dict.fromkeys(template, math.nan)
        result.update(n=0, n_dropped=int(values.size), total_weight=0.0)
    w_all = np.ones_like(values) if w is None else np.nan_to_num(w, nan=0.0)
    total = float(w_all.sum())
    for t in thresholds:
        with np.errstate(invalid="ignore"):
            within = float(w_all[values <= float(t)].sum())
        result[f"share_within_{float(t):g}"] = within / total if total > 0 else math.nan
    return result
