"""Optimal reallocation of staffed hours, and the minimum cost of reaching a standard.

Two planning models over one row per library:

* :func:`reallocate_staff_hours` moves staffed hours between libraries, cost-neutral
  by default. With ``objective="maximin"`` it is lexicographic: first raise the
  lowest staffing (hours per 100 need-weighted pupils) as far as it goes, then,
  keeping that optimum, move as few hours as possible. ``objective="target"``
  brings every library as close as possible to hours proportional to its
  need-weighted pupils, then again moves as few hours as possible. Hours can come
  in whole blocks (``block_hours``, a MILP) and every library has a floor, a cap
  and optionally a maximum change. HiGHS (through :func:`scipy.optimize.linprog`
  and :func:`scipy.optimize.milp`) solves every stage.
* :func:`min_cost_to_standard` prices the extra hours that every library needs to
  meet a staffing standard, and ranks the libraries by pupils reached per krona.

Notation
--------
Libraries ``i = 1..n``. ``p_i`` pupils, ``w_i`` need weight (1 when
``need_weighted=False``), ``q_i = p_i w_i / 100`` (hundreds of need-weighted pupils),
``h0_i`` current staffed hours per week, ``H`` total hours after the change (the
current total unless ``total_hours`` is given), ``f_i`` floor, ``c_i`` cap, ``D``
maximum change per library, ``b`` block. ``P = {i : q_i > 0}`` are the libraries
with pupils. The *level* of library ``i`` is ``100 h_i / (p_i w_i) = h_i / q_i``
hours per 100 need-weighted pupils.

Each library's hours lie between

    l_i = max(f_i, h0_i - D, 0)        u_i = min(c_i, h0_i + D)

(without ``max_change_hours`` the ``D`` terms drop out). With blocks,
``h_i = b k_i`` for an integer ``k_i`` in ``[ceil(l_i / b), floor(u_i / b)]``, and
``H`` must be a whole number of blocks.

Maximin, stage 1 (M1)::

    maximise    t
    subject to  h_i - q_i t >= 0              for i in P
                sum_i h_i <= H
                l_i <= h_i <= u_i;  0 <= t <= min_{i in P} u_i / q_i

The budget is an inequality here. That is equivalent: raising a library's hours never
lowers the minimum, and ``sum_i u_i >= H`` is checked beforehand, so any solution can be
topped up to exactly ``H``. Stage 2 enforces the equality. The inequality also gives
HiGHS's primal heuristics room. The LP is solved with HiGHS's interior-point method,
which measured about 12 times faster than simplex here (0.18 s against 2.3 s at 5,000
libraries) because the ``t`` column is dense.

With blocks, M1 is a MILP in ``k``. On that compact formulation HiGHS's branch and bound
stalls: its LP bound ignores that every library rounds up to a whole block, which is
worth up to ``b`` hours a library. Measured at 5,000 libraries, the gap was still 49 %
after 30 s. So the MILP gets one more valid inequality, ``t <= t_bar``. ``t_bar`` is the
exact block optimum, computed combinatorially. Library ``i`` needs
``n_i(t) = max(k_lo_i, ceil(q_i t / b))`` blocks to reach level ``t``. Its ``j``-th
block above ``k_lo_i`` is needed as soon as ``t`` exceeds ``b (k_lo_i + j - 1) / q_i``.
Sort all such block events by that level and fund them in order from the budget
``R = K - sum_i k_lo_i``, where ``K = H / b``. The first unfunded event's level is the
largest reachable ``t``. If a library runs out of blocks first, its top level
``b k_hi_i / q_i`` is. This is greedy resource allocation (Ibaraki & Katoh 1988; it is
exact because the minimum is taken over separate increasing functions). With the bound
in place, HiGHS finds and certifies a matching integer allocation at the root (0.3 s at
5,000 libraries). If HiGHS stops short of it (time limit or gap), the stage message says
where it stopped and ``t_bar`` is used anyway. ``t_bar`` is attained by
``k_i = max(k_lo_i, ceil(q_i t_bar / b))``, so the stage is still optimal.

Maximin, stage 2 (M2). Take ``t*`` from stage 1 and fix the level at
``t_fix = t* (1 - 1e-9)`` (:data:`STAGE_TOLERANCE`). This is relaxed in steps up to
``1e-5`` only if HiGHS's first-stage value is that far above the true optimum because of
its feasibility tolerance. With blocks, ``t*`` is recomputed exactly from the integer
solution::

    minimise    sum_i |h_i - h0_i|                        (hours moved)
    subject to  h_i >= q_i t_fix   for i in P              (so the minimum is kept)
                l_i <= h_i <= u_i,  sum_i h_i = H

Target, stage 1 (T1). ``tau_i = H q_i / sum_{j in P} q_j`` (0 without pupils)::

    minimise    sum_i |h_i - tau_i|    subject to  l_i <= h_i <= u_i,  sum_i h_i = H

Target, stage 2 (T2). Take ``d*`` from T1::

    minimise    sum_i |h_i - h0_i|
    subject to  sum_i |h_i - tau_i| <= d* (1 + 1e-9) + 1e-9
                l_i <= h_i <= u_i,  sum_i h_i = H

M2, T1 and T2 are separable and convex, so they are written in incremental (segment)
form. Each library's domain ``[L_i, U_i]`` is cut at the kinks of its absolute values:
``h0_i`` and ``tau_i``, or with blocks the two block counts on either side of each.
That gives segments ``s`` of length ``lambda_s``. Each segment has one constant slope
per absolute value, and the slopes increase along the domain. The variables are
``x_s`` in ``[0, lambda_s]`` and ``h_i = L_i + sum_{s in i} x_s``. The objective is
``const + sum_s slope_s x_s``, and the model has one equality row (two for T2). Because
the slopes increase, an optimal ``x`` fills each library's segments in order, so the
model's objective is the true one. With blocks the ``x_s`` are integers. With a single
row, every basic solution is integral, so HiGHS closes M2 and T1 at the root. The model
has at most 5 ``n`` variables and the constraint matrix is a ``scipy.sparse`` CSR array.
HiGHS presolve is off for these stages: on their single long row it took 20 s at 5,000
libraries, against about 1 s without it.

Ties and determinism
--------------------
M2 rarely has a unique optimum: any library with room can give up an hour at the same
cost. So the returned allocation is the *canonical* member of M2's optimal set, computed
exactly. Start every library at its lower bound, then add hours (or blocks) in order of
increasing marginal cost in hours moved, breaking ties by lowest level first. The keys
are cost, then libraries with pupils before libraries without, then level (hours for
libraries without pupils), then ``library_id`` as text. As a result:

* hours are taken from the libraries with the most hours per 100 need-weighted pupils,
  levelled down to a common level;
* extra hours (``total_hours`` above the current total) go to those with the fewest,
  levelled up;
* libraries without pupils give up their hours first and receive them last.

This greedy is exact for separable convex costs under one sum constraint. Its hours
moved are checked against HiGHS's M2 optimum. If they ever disagree, HiGHS's vertex is
returned and ``solver.tie_break`` says so. The allocation does not depend on the row
order. The target model returns HiGHS's vertex, which is deterministic for a given input
order.

Libraries without pupils
------------------------
A library whose need-weighted pupils are 0 (``pupils == 0``) has no level. It is left
out of the minimum, out of ``min_hours_per_100`` and out of the equity figures, but it
keeps its floor, cap, maximum change and blocks. Under maximin its hours are the first
to be moved elsewhere. Under target its proportional share is 0. If no library has
pupils, maximin skips stage 1 (``objective_value`` is NaN) and only stage 2 runs.

Sources
-------
The two resource-allocation references are cited from memory; they are not in the
project notes.

* T. Ibaraki and N. Katoh (1988), *Resource Allocation Problems: Algorithmic
  Approaches*, MIT Press (greedy optimality for separable max-min and convex
  resource allocation); A. Federgruen and H. Groenevelt (1986), "The greedy procedure
  for resource allocation problems", *Operations Research* 34(6).
* Q. Huangfu and J. A. J. Hall (2018), "Parallelizing the dual revised simplex
  method", *Math. Prog. Comp.* 10 (HiGHS); https://highs.dev
* Standards: KB Skolbibliotek 2012 (staffed at least 20 h/week); Svensk
  biblioteksförening / DIK, "Bemanna skolbiblioteken" (2018: 1 librarian per 300
  pupils in compulsory school); 1 FTE = 40 h/week (KB ``Arsverke01``). The values are
  read from ``data/reference_values.csv`` (:mod:`metrics.standards`).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from metrics.equity import equity_summary
from metrics.standards import load_reference_values, reference_value

__all__ = [
    "DEFAULT_CAP_HOURS",
    "DEFAULT_FLOOR_HOURS",
    "DEFAULT_WEEKS_PER_YEAR",
    "OBJECTIVES",
    "STAGE_TOLERANCE",
    "STANDARDS",
    "STATUSES",
    "ReallocationResult",
    "SolverInfo",
    "StageInfo",
    "Standard",
    "StandardCostResult",
    "min_cost_to_standard",
    "reallocate_staff_hours",
]

#: Default ``cap_hours`` of a library (1 FTE a week) when the frame has no such column.
DEFAULT_CAP_HOURS = 40.0
#: Default ``floor_hours``.
DEFAULT_FLOOR_HOURS = 0.0
#: Default working weeks per year for :func:`min_cost_to_standard` (the school year).
DEFAULT_WEEKS_PER_YEAR = 40.0
#: Objectives of :func:`reallocate_staff_hours`.
OBJECTIVES = ("maximin", "target")
#: Values of ``status``: ``optimal`` (within ``mip_rel_gap`` for MILPs), ``feasible``
#: (a time limit stopped HiGHS; best allocation found, gap in ``solver``),
#: ``infeasible`` (the parameters admit no allocation; ``message`` names the binding
#: constraint) and ``error`` (the solver failed).
STATUSES = ("optimal", "feasible", "infeasible", "error")
#: Relative tolerance with which a later lexicographic stage keeps an earlier optimum.
STAGE_TOLERANCE = 1e-9

_REQUIRED = ("library_id", "pupils", "staffed_hours_week")
_SNAP = 1e-9  # tolerance when rounding hours to whole blocks
_CHANGE_EPS = 1e-6  # hours; smaller changes count as "unchanged" in the summary
_BACKOFF = (1e-9, 1e-8, 1e-7, 1e-6, 1e-5)
_MAX_STEPS = 20_000_000  # unit steps the exact tie-break may enumerate (block models)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StageInfo:
    """What HiGHS did in one stage of a model.

    Attributes
    ----------
    name : str
        ``"maximin"`` (M1), ``"min_moved"`` (M2 / T2) or ``"min_deviation"`` (T1).
    model : str
        ``"LP"`` or ``"MILP"``.
    method : str
        The scipy entry point and HiGHS method, e.g. ``"linprog highs-ipm"``.
    status : str
        ``"optimal"``, ``"feasible"`` (time limit, best found), ``"infeasible"`` or ``"error"``.
    message : str
        HiGHS's message, plus notes (bounds, fallbacks).
    objective : float
        The stage optimum (hours per 100 need-weighted pupils for ``maximin``, hours
        otherwise).
    mip_gap : float or None
        HiGHS's relative MIP gap, ``None`` for an LP.
    bound : float or None
        For the block maximin, the exact combinatorial bound ``t_bar`` given to HiGHS.
    time_s : float
        Wall time of the stage, model building included.
    n_variables, n_constraints : int
        Size of the model passed to HiGHS.
    """

    name: str
    model: str
    method: str
    status: str
    message: str
    objective: float
    mip_gap: float | None
    bound: float | None
    time_s: float
    n_variables: int
    n_constraints: int


@dataclass(frozen=True)
class SolverInfo:
    """Solver report of a :func:`reallocate_staff_hours` run.

    Attributes
    ----------
    name : str
        ``"HiGHS"``.
    interface : str
        ``"scipy <version>"``.
    stages : tuple of StageInfo
        The lexicographic stages in order.
    mip_gap : float or None
        The largest MIP gap over the MILP stages (``None`` if none is a MILP).
    time_s : float
        Total wall time (validation, models and tie-break).
    tie_break : str
        How the allocation was chosen among equally good ones.
    time_limit : float
        The per-stage time limit in seconds.
    mip_rel_gap : float
        The relative MIP gap at which HiGHS may stop.
    """

    name: str
    interface: str
    stages: tuple[StageInfo, ...]
    mip_gap: float | None
    time_s: float
    tie_break: str
    time_limit: float
    mip_rel_gap: float


@dataclass(frozen=True)
class ReallocationResult:
    """Result of :func:`reallocate_staff_hours`.

    Attributes
    ----------
    allocation : pandas.DataFrame
        One row per library, in the input order. Columns: ``library_id``,
        ``pupils``, ``need_weight`` (the weight used), ``hours_before``,
        ``hours_after``, ``change_hours``, ``hours_per_100_before`` and
        ``hours_per_100_after`` (hours per 100 need-weighted pupils; NaN without
        pupils), ``lower_bound_hours``, ``upper_bound_hours`` (``l_i``, ``u_i``). When
        infeasible, ``hours_after`` and what depends on it are NaN.
    min_hours_per_100 : float
        The achieved minimum of ``hours_per_100_after`` over libraries with pupils.
    hours_moved : float
        Sum over libraries of ``|hours_after - hours_before|``. A transfer between two
        libraries counts twice, once lost and once gained.
    status : str
        One of :data:`STATUSES`.
    message : str
        Plain English: what was achieved, or the binding constraint.
    objective : str
        ``"maximin"`` or ``"target"``.
    objective_value : float
        The first-stage optimum: ``t*`` (hours per 100 need-weighted pupils) for
        maximin, the total absolute deviation from the proportional target (hours)
        for target. NaN when infeasible, or for maximin without pupils.
    solver : SolverInfo
        Stages, times and gaps.
    summary_data : dict
        The numbers a plain-language summary needs (see :func:`reallocate_staff_hours`).
    """

    allocation: pd.DataFrame
    min_hours_per_100: float
    hours_moved: float
    status: str
    message: str
    objective: str
    objective_value: float
    solver: SolverInfo
    summary_data: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- input


@dataclass
class _Problem:
    ids: np.ndarray  # library ids as given (object)
    rank: np.ndarray  # rank of str(library_id): the last tie-break key
    pupils: np.ndarray
    weight: np.ndarray  # need weight used (1 when need_weighted=False)
    q: np.ndarray  # hundreds of need-weighted pupils
    h0: np.ndarray
    floor: np.ndarray
    cap: np.ndarray
    lo: np.ndarray  # l_i in hours
    hi: np.ndarray  # u_i in hours
    total: float  # H in hours
    block: float | None
    max_change: float | None

    @property
    def n(self) -> int:
        return int(self.h0.size)

    @property
    def pos(self) -> np.ndarray:
        return self.q > 0


def _is_number(value: Any) -> bool:
    """A finite real number (numpy scalars included, bool excluded)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _ids_text(ids: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _also(ids: np.ndarray) -> str:
    """`` (also X, Y)`` for the other libraries that break the same constraint."""
    return f" (also {_ids_text(ids[1:])})" if len(ids) > 1 else ""


def _fmt(x: float) -> str:
    return f"{x:,.6g}"


def _column(frame: pd.DataFrame, name: str, ids: np.ndarray, default: float | None) -> np.ndarray:
    """A numeric column as float; NaN gets ``default`` (required when ``default`` is None)."""
    if name not in frame.columns:
        return np.full(len(frame), float(default))
    raw = frame[name]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        raise ValueError(f"{name} is not a number for library {_ids_text(ids[bad])}")
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(arr)
    if missing.any():
        if default is None:
            raise ValueError(f"{name} is missing for library {_ids_text(ids[missing])}")
        arr = np.where(missing, default, arr)
    if np.isinf(arr).any():
        raise ValueError(f"{name} must be finite (library {_ids_text(ids[np.isinf(arr)])})")
    if (arr < 0).any():
        raise ValueError(f"{name} must not be negative (library {_ids_text(ids[arr < 0])})")
    return arr


def _library_ids(frame: pd.DataFrame, required: tuple[str, ...] = _REQUIRED) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the required column(s) {missing}")
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    ids = frame["library_id"]
    if ids.isna().any():
        raise ValueError(f"library_id is missing in {int(ids.isna().sum())} row(s)")
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"duplicate library_id: {_ids_text(np.asarray(duplicated, dtype=object))}")
    return ids.to_numpy(dtype=object)


def _text_rank(ids: np.ndarray) -> np.ndarray:
    order = np.argsort(np.array([str(i) for i in ids], dtype=object), kind="stable")
    rank = np.empty(ids.size, dtype=np.int64)
    rank[order] = np.arange(ids.size)
    return rank


def _prepare(
    frame: pd.DataFrame,
    *,
    total_hours: float | None,
    need_weighted: bool,
    block_hours: float | None,
    max_change_hours: float | None,
) -> _Problem:
    ids = _library_ids(frame)
    pupils = _column(frame, "pupils", ids, None)
    h0 = _column(frame, "staffed_hours_week", ids, None)
    weight = _column(frame, "need_weight", ids, 1.0) if need_weighted else np.ones(ids.size)
    if need_weighted and (weight <= 0).any():
        raise ValueError(f"need_weight must be > 0 (library {_ids_text(ids[weight <= 0])})")
    floor = _column(frame, "floor_hours", ids, DEFAULT_FLOOR_HOURS)
    cap = _column(frame, "cap_hours", ids, DEFAULT_CAP_HOURS)
    for name, value in (("block_hours", block_hours), ("max_change_hours", max_change_hours)):
        if value is not None and not _is_number(value):
            raise ValueError(f"{name} must be a finite number or None, got {value!r}")
    if block_hours is not None and block_hours <= 0:
        raise ValueError(f"block_hours must be > 0, got {block_hours!r}")
    if max_change_hours is not None and max_change_hours < 0:
        raise ValueError(f"max_change_hours must be >= 0, got {max_change_hours!r}")
    if total_hours is None:
        total = float(h0.sum())
    else:
        if not _is_number(total_hours):
            raise ValueError(f"total_hours must be a finite number, got {total_hours!r}")
        if total_hours < 0:
            raise ValueError(f"total_hours must be >= 0, got {total_hours!r}")
        total = float(total_hours)
    lo = floor.copy()
    hi = cap.copy()
    if max_change_hours is not None:
        lo = np.maximum(lo, h0 - max_change_hours)
        hi = np.minimum(hi, h0 + max_change_hours)
    return _Problem(
        ids=ids,
        rank=_text_rank(ids),
        pupils=pupils,
        weight=weight,
        q=pupils * weight / 100.0,
        h0=h0,
        floor=floor,
        cap=cap,
        lo=np.maximum(lo, 0.0),
        hi=hi,
        total=total,
        block=None if block_hours is None else float(block_hours),
        max_change=None if max_change_hours is None else float(max_change_hours),
    )


# --------------------------------------------------------------------------- feasibility


def _infeasibility(pb: _Problem) -> str | None:
    """Why no allocation exists (naming the binding constraint), or None.

    Exact: the only coupling constraint is the total, so a solution exists if and
    only if every library's range (on the block lattice) is non-empty, the total is a
    whole number of blocks and sum(lower) <= total <= sum(upper).
    """
    ids, h0, total, dmax, b = pb.ids, pb.h0, pb.total, pb.max_change, pb.block
    bad = pb.floor > pb.cap
    if bad.any():
        i = np.flatnonzero(bad)
        return (
            f"floor_hours exceeds cap_hours for library {ids[i[0]]} "
            f"(floor {_fmt(pb.floor[i[0]])} h, cap {_fmt(pb.cap[i[0]])} h){_also(ids[i])}"
        )
    if dmax is not None:
        down = h0 - dmax > pb.cap
        if down.any():
            i = np.flatnonzero(down)
            return (
                f"max_change_hours {_fmt(dmax)} cannot bring library {ids[i[0]]} from "
                f"{_fmt(h0[i[0]])} h down to its cap_hours {_fmt(pb.cap[i[0]])}{_also(ids[i])}"
            )
        up = h0 + dmax < pb.floor
        if up.any():
            i = np.flatnonzero(up)
            return (
                f"max_change_hours {_fmt(dmax)} cannot bring library {ids[i[0]]} from "
                f"{_fmt(h0[i[0]])} h up to its floor_hours {_fmt(pb.floor[i[0]])}{_also(ids[i])}"
            )
    lo, hi = pb.lo, pb.hi
    if b is not None:
        k_lo, k_hi = _lattice_bounds(lo, hi, b)
        empty = k_lo > k_hi
        if empty.any():
            i = np.flatnonzero(empty)
            return (
                f"no multiple of block_hours {_fmt(b)} lies between the lower bound "
                f"{_fmt(lo[i[0]])} h and the upper bound {_fmt(hi[i[0]])} h of library "
                f"{ids[i[0]]} (floor_hours, cap_hours, max_change_hours){_also(ids[i])}"
            )
        blocks = total / b
        if abs(blocks - round(blocks)) > _SNAP * max(1.0, blocks):
            below, above = math.floor(blocks) * b, math.ceil(blocks) * b
            return (
                f"total_hours {_fmt(total)} is not a whole multiple of block_hours {_fmt(b)} "
                f"(use {_fmt(below)} or {_fmt(above)})"
            )
    tol = _SNAP * max(1.0, total)
    if pb.floor.sum() > total + tol:
        return f"sum of floor_hours {_fmt(pb.floor.sum())} exceeds total_hours {_fmt(total)}"
    if pb.cap.sum() < total - tol:
        return f"sum of cap_hours {_fmt(pb.cap.sum())} is below total_hours {_fmt(total)}"
    if lo.sum() > total + tol:
        return (
            f"max_change_hours {_fmt(dmax)} cannot move enough hours: libraries may give up "
            f"at most {_fmt(float(np.maximum(h0 - lo, 0).sum()))} h, so the total cannot "
            f"fall below {_fmt(lo.sum())} h (total_hours {_fmt(total)})"
        )
    if hi.sum() < total - tol:
        return (
            f"max_change_hours {_fmt(dmax)} cannot move enough hours: libraries may take on "
            f"at most {_fmt(float(np.maximum(hi - h0, 0).sum()))} h more, so the total cannot "
            f"exceed {_fmt(hi.sum())} h (total_hours {_fmt(total)})"
        )
    if b is not None:
        k_lo, k_hi = _lattice_bounds(lo, hi, b)
        if b * k_lo.sum() > total + tol:
            return (
                f"with block_hours {_fmt(b)} the smallest allowed allocations (lower bounds "
                f"rounded up to whole blocks) sum to {_fmt(b * k_lo.sum())} h, above "
                f"total_hours {_fmt(total)}"
            )
        if b * k_hi.sum() < total - tol:
            return (
                f"with block_hours {_fmt(b)} the largest allowed allocations (upper bounds "
                f"rounded down to whole blocks) sum to {_fmt(b * k_hi.sum())} h, below "
                f"total_hours {_fmt(total)}"
            )
    return None


def _lattice_bounds(lo: np.ndarray, hi: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    return np.ceil(lo / b - _SNAP), np.floor(hi / b + _SNAP)


# --------------------------------------------------------------------------- HiGHS calls


def _status(scipy_status: int, has_x: bool) -> str:
    if scipy_status == 0:
        return "optimal"
    if scipy_status == 2:
        return "infeasible"
    if scipy_status == 1 and has_x:
        return "feasible"
    return "error"


def _run_lp(c, a_ub, b_ub, a_eq, b_eq, bounds, method, time_limit, presolve=True):
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=bounds,
        method=method,
        options={"time_limit": time_limit, "presolve": presolve},
    )
    return _status(res.status, res.x is not None), res.message, res.x, None


def _run_milp(c, integrality, lb, ub, a, a_lb, a_ub, time_limit, mip_rel_gap, presolve=True):
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        constraints=LinearConstraint(a, a_lb, a_ub),
        options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "presolve": presolve},
    )
    gap = getattr(res, "mip_gap", None)
    gap = None if gap is None or not np.isfinite(gap) else float(gap)
    return _status(res.status, res.x is not None), res.message, res.x, gap


# --------------------------------------------------------------------------- stage 1: maximin


def _lattice_maximin_bound(
    q: np.ndarray, k_lo: np.ndarray, k_hi: np.ndarray, budget: float, b: float
) -> float:
    """Exact block optimum of M1: ``max t`` with ``sum_i max(k_lo_i, ceil(q_i t / b)) <= K``.

    ``q > 0`` (libraries with pupils only); ``budget = K - sum(k_lo)`` over all libraries.
    Block ``j`` above ``k_lo_i`` is needed once ``t`` exceeds ``b (k_lo_i + j - 1) / q_i``;
    the events are funded in order of that level and the first unfunded one stops ``t``.
    """
    cap_level = float(np.min(b * k_hi / q))
    counts = (k_hi - k_lo).astype(np.int64)
    total_events = int(counts.sum())
    if budget >= total_events:
        return cap_level
    lib = np.repeat(np.arange(q.size), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    step = np.arange(total_events) - first  # 0-based index of the block above k_lo
    level = b * (k_lo[lib] + step) / q[lib]
    r = int(round(budget))
    stop = np.partition(level, r)[r]
    return min(float(stop), cap_level)


def _maximin_stage1(pb: _Problem, time_limit: float, mip_rel_gap: float) -> tuple[StageInfo, float]:
    """Solve M1; return the stage report and the level ``t*`` to keep in stage 2."""
    start = time.perf_counter()
    pos = pb.pos
    idx = np.flatnonzero(pos)
    n, m = pb.n, idx.size
    scale = pb.block if pb.block is not None else 1.0
    if pb.block is not None:
        lower, upper = _lattice_bounds(pb.lo, pb.hi, pb.block)
        budget = round(pb.total / pb.block)
    else:
        lower, upper, budget = pb.lo, pb.hi, pb.total
    t_cap = float(np.min(scale * upper[idx] / pb.q[idx]))
    # rows 0..m-1: scale*x_i - q_i t >= 0; row m: sum x <= budget
    rows = np.concatenate([np.arange(m), np.arange(m), np.full(n, m)])
    cols = np.concatenate([idx, np.full(m, n), np.arange(n)])
    vals = np.concatenate([np.full(m, scale), -pb.q[idx], np.ones(n)])
    a = sparse.csr_array((vals, (rows, cols)), shape=(m + 1, n + 1))
    c = np.zeros(n + 1)
    c[-1] = -1.0
    bound = None
    if pb.block is None:
        a_ub = sparse.vstack([-a[:m], a[m:]]).tocsr()
        b_ub = np.concatenate([np.zeros(m), [budget]])
        bounds = np.column_stack([np.append(lower, 0.0), np.append(upper, t_cap)])
        status, message, x, gap = _run_lp(
            c, a_ub, b_ub, None, None, bounds, "highs-ipm", time_limit
        )
        model, method = "LP", "linprog highs-ipm"
        t_star = float(x[-1]) if x is not None else math.nan
        note = ""
    else:
        bound = _lattice_maximin_bound(
            pb.q[idx], lower[idx], upper[idx], budget - float(lower.sum()), pb.block
        )
        integrality = np.append(np.ones(n), 0)
        lb = np.append(lower, 0.0)
        ub = np.append(upper, bound * (1 + 1e-12))
        a_lb = np.concatenate([np.zeros(m), [-np.inf]])
        a_ub = np.concatenate([np.full(m, np.inf), [budget]])
        status, message, x, gap = _run_milp(
            c, integrality, lb, ub, a, a_lb, a_ub, time_limit, mip_rel_gap
        )
        model, method = "MILP", "milp (HiGHS branch and cut)"
        note = f"; exact block bound t <= {bound:.10g} added"
        t_star = math.nan
        if x is not None:
            k = np.round(x[:n])
            if np.all(k >= lower - 0.5) and np.all(k <= upper + 0.5) and k.sum() <= budget + 0.5:
                t_star = float(np.min(scale * k[idx] / pb.q[idx]))
        if not (t_star >= bound * (1 - STAGE_TOLERANCE)):
            # HiGHS stopped short of the bound (time limit or gap). The bound is attained by
            # k_i = max(k_lo_i, ceil(q_i t_bar / b)), so it is the exact optimum all the same.
            note += (
                f"; HiGHS stopped at t = {t_star:.10g} ({status}); the bound is attained by "
                "the greedy block allocation and is used"
            )
            t_star = bound
            status = "optimal"
    info = StageInfo(
        name="maximin",
        model=model,
        method=method,
        status=status,
        message=str(message) + note,
        objective=t_star,
        mip_gap=gap,
        bound=bound,
        time_s=time.perf_counter() - start,
        n_variables=n + 1,
        n_constraints=m + 1,
    )
    return info, t_star


# --------------------------------------------------------------------------- separable stages


@dataclass
class _Separable:
    """Incremental (segment) form of a separable convex model in units of ``scale`` hours."""

    lib: np.ndarray  # library of each segment
    length: np.ndarray
    slopes: list[np.ndarray]  # one slope array per anchor (cost |scale x - anchor|)
    consts: list[float]  # cost of each anchor at the lower bounds
    lower: np.ndarray


def _segments(lower, upper, anchors, scale, integral) -> _Separable:
    n = lower.size
    points = [lower, upper]
    for a in anchors:
        z = a / scale
        if integral:
            f = np.floor(z)
            points += [f, f + 1]
        else:
            points.append(z)
    pts = np.clip(np.column_stack(points), lower[:, None], upper[:, None])
    pts.sort(axis=1)
    start, end = pts[:, :-1], pts[:, 1:]
    length = end - start
    keep = length > 0
    lib = np.broadcast_to(np.arange(n)[:, None], start.shape)[keep]
    s, e, ln = start[keep], end[keep], length[keep]
    slopes, consts = [], []
    for a in anchors:
        ai = a[lib]
        slopes.append((np.abs(scale * e - ai) - np.abs(scale * s - ai)) / ln)
        consts.append(float(np.abs(scale * lower - a).sum()))
    return _Separable(lib=lib, length=ln, slopes=slopes, consts=consts, lower=lower)


def _solve_separable(
    name: str,
    sep: _Separable,
    units_total: float,
    objective: int,
    integral: bool,
    time_limit: float,
    mip_rel_gap: float,
    limit: tuple[int, float] | None = None,
) -> tuple[StageInfo, np.ndarray | None, float]:
    """min const + slope·x  s.t. sum x = units_total - sum(lower) [, slope2·x <= limit]."""
    start = time.perf_counter()
    n_seg = sep.length.size
    rhs = units_total - float(sep.lower.sum())
    rows = [np.ones(n_seg)]
    lb_rows, ub_rows = [rhs], [rhs]
    if limit is not None:
        which, value = limit
        rows.append(sep.slopes[which])
        lb_rows.append(-np.inf)
        ub_rows.append(value - sep.consts[which])
    c = sep.slopes[objective]
    if n_seg == 0:  # every library is fixed by its bounds
        x = np.zeros(0)
        status = "optimal" if abs(rhs) <= _SNAP * max(1.0, units_total) else "infeasible"
        message, gap = "no free variables", None
    else:
        a = sparse.csr_array(np.vstack(rows))
        if integral:
            status, message, x, gap = _run_milp(
                c,
                np.ones(n_seg),
                np.zeros(n_seg),
                sep.length,
                a,
                np.array(lb_rows),
                np.array(ub_rows),
                time_limit,
                mip_rel_gap,
                presolve=False,  # HiGHS presolve is quadratic on one long row (20 s at n=5000)
            )
        else:
            a_eq, b_eq = a[:1], np.array([rhs])
            a_ub = a[1:] if limit is not None else None
            b_ub = np.array(ub_rows[1:]) if limit is not None else None
            status, message, x, gap = _run_lp(
                c,
                a_ub,
                b_ub,
                a_eq,
                b_eq,
                np.column_stack([np.zeros(n_seg), sep.length]),
                "highs",
                time_limit,
                presolve=False,
            )
    units = None
    value = math.nan
    if x is not None:
        if integral:
            x = np.round(x)
        x = np.clip(x, 0.0, sep.length)
        units = sep.lower + np.bincount(sep.lib, weights=x, minlength=sep.lower.size)
        value = sep.consts[objective] + float(c @ x)
    info = StageInfo(
        name=name,
        model="MILP" if integral else "LP",
        method="milp (HiGHS branch and cut)" if integral else "linprog highs",
        status=status,
        message=str(message),
        objective=value,
        mip_gap=gap,
        bound=None,
        time_s=time.perf_counter() - start,
        n_variables=int(n_seg),
        n_constraints=len(rows),
    )
    return info, units, value


# --------------------------------------------------------------------------- canonical tie-break


def _water_fill(a: np.ndarray, b: np.ndarray, q: np.ndarray, target: float) -> np.ndarray:
    """``clip(q z, a, b)`` with the level ``z`` chosen so that the sum is ``target``.

    Exact (piecewise-linear breakpoints, O(n log n)); needs ``q > 0`` and
    ``sum(a) <= target <= sum(b)``.
    """
    base = float(a.sum())
    if a.size == 0 or target <= base:
        return a.copy()
    if target >= float(b.sum()):
        return b.copy()
    events = np.concatenate([a / q, b / q])
    dslope = np.concatenate([q, -q])
    order = np.argsort(events, kind="stable")
    z, ds = events[order], dslope[order]
    slope = np.cumsum(ds)  # slope of the sum just after each event
    widths = np.diff(z)
    g = base + np.concatenate([[0.0], np.cumsum(slope[:-1] * widths)])  # sum at each event
    e = int(np.searchsorted(g, target, side="right")) - 1
    e = min(max(e, 0), z.size - 1)
    level = z[e] + (target - g[e]) / slope[e] if slope[e] > 0 else z[e]
    return np.clip(q * level, a, b)


def _canonical_continuous(pb: _Problem, lower: np.ndarray) -> np.ndarray:
    upper, h0, pos = pb.hi, pb.h0, pb.pos
    kept = np.clip(h0, lower, upper)
    if kept.sum() >= pb.total:  # hours must be given up: fill from the lower bounds to `kept`
        a, b, need = lower, kept, pb.total - float(lower.sum())
    else:  # hours to hand out: fill from `kept` towards the upper bounds
        a, b, need = kept, upper, pb.total - float(kept.sum())
    out = a.copy()
    cap_pos = float((b[pos] - a[pos]).sum())
    if need <= cap_pos:
        out[pos] = _water_fill(a[pos], b[pos], pb.q[pos], float(a[pos].sum()) + need)
    else:
        out[pos] = b[pos]
        zero = ~pos
        out[zero] = _water_fill(
            a[zero], b[zero], np.ones(int(zero.sum())), float(a[zero].sum()) + need - cap_pos
        )
    return out


def _canonical_blocks(pb: _Problem, k_lower: np.ndarray, k_upper: np.ndarray) -> np.ndarray | None:
    b, h0, pos = pb.block, pb.h0, pb.pos
    counts = (k_upper - k_lower).astype(np.int64)
    total = int(counts.sum())
    need = int(round(pb.total / b - k_lower.sum()))
    if total > _MAX_STEPS:
        return None
    lib = np.repeat(np.arange(pb.n), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = k_lower[lib] + (np.arange(total) - first)  # the step goes from k to k + 1
    cost = np.round(np.abs(b * (k + 1) - h0[lib]) - np.abs(b * k - h0[lib]), 9)
    with np.errstate(divide="ignore"):
        level = np.where(pos[lib], b * (k + 1) / np.where(pos, pb.q, 1.0)[lib], b * (k + 1))
    zero_flag = (~pos[lib]).astype(np.int8)
    order = np.lexsort((pb.rank[lib], level, zero_flag, cost))
    taken = lib[order[:need]]
    return k_lower + np.bincount(taken, minlength=pb.n)


# --------------------------------------------------------------------------- models


def _stage_status(stages: list[StageInfo]) -> str:
    statuses = [s.status for s in stages]
    for s in ("error", "infeasible", "feasible"):
        if s in statuses:
            return s
    return "optimal"


def _run_maximin(
    pb: _Problem, time_limit: float, mip_rel_gap: float
) -> tuple[list[StageInfo], np.ndarray | None, float, str]:
    stages: list[StageInfo] = []
    integral = pb.block is not None
    scale = pb.block if integral else 1.0
    if integral:
        lower, upper = _lattice_bounds(pb.lo, pb.hi, pb.block)
        units_total = float(round(pb.total / pb.block))
    else:
        lower, upper, units_total = pb.lo, pb.hi, pb.total
    pos = pb.pos
    t_star = math.nan
    lower2 = lower
    if pos.any():
        info, t_star = _maximin_stage1(pb, time_limit, mip_rel_gap)
        stages.append(info)
        if info.status in ("error", "infeasible") or not math.isfinite(t_star):
            return stages, None, t_star, "canonical not applied (stage 1 failed)"
        for rel in _BACKOFF:
            t_fix = t_star * (1.0 - rel)
            need = pb.q * t_fix / scale
            if integral:
                need = np.ceil(need - _SNAP)
            lower2 = np.where(pos, np.maximum(lower, np.minimum(need, upper)), lower)
            over = integral and bool(np.any(pos & (need > upper)))
            if not over and lower2.sum() <= units_total + _SNAP * max(1.0, units_total):
                break
        else:
            stages.append(
                StageInfo(
                    "min_moved",
                    "MILP" if integral else "LP",
                    "-",
                    "error",
                    "could not keep the stage-1 optimum within tolerance",
                    math.nan,
                    None,
                    None,
                    0.0,
                    0,
                    0,
                )
            )
            return stages, None, t_star, "canonical not applied"
    sep = _segments(lower2, upper, [pb.h0], scale, integral)
    info, units, moved = _solve_separable(
        "min_moved", sep, units_total, 0, integral, time_limit, mip_rel_gap
    )
    stages.append(info)
    if units is None:
        return stages, None, t_star, "canonical not applied (stage 2 failed)"
    # canonical member of the optimal set (exact greedy; see module docstring)
    canon = _canonical_blocks(pb, lower2, upper) if integral else _canonical_continuous(pb, lower2)
    tie = (
        "canonical: hours taken from the highest levels and given to the lowest, "
        "libraries without pupils first to give and last to receive, then library_id"
    )
    if canon is None:
        return stages, scale * units, t_star, "HiGHS vertex (problem too large to enumerate)"
    canon_moved = float(np.abs(scale * canon - pb.h0).sum())
    tol = 1e-6 * max(1.0, moved)
    consistent = (
        canon_moved <= moved + tol
        and abs(float(canon.sum()) - units_total) <= 1e-6 * max(1.0, units_total)
        and np.all(canon >= lower2 - 1e-9)
        and np.all(canon <= upper + 1e-9)
    )
    if not consistent:
        return stages, scale * units, t_star, "HiGHS vertex (canonical tie-break disagreed)"
    return stages, scale * canon, t_star, tie


def _proportional_target(pb: _Problem) -> np.ndarray:
    total_q = float(pb.q.sum())
    if total_q <= 0:
        return np.zeros(pb.n)
    return pb.total * pb.q / total_q


def _run_target(
    pb: _Problem, time_limit: float, mip_rel_gap: float
) -> tuple[list[StageInfo], np.ndarray | None, float, str]:
    integral = pb.block is not None
    scale = pb.block if integral else 1.0
    if integral:
        lower, upper = _lattice_bounds(pb.lo, pb.hi, pb.block)
        units_total = float(round(pb.total / pb.block))
    else:
        lower, upper, units_total = pb.lo, pb.hi, pb.total
    tau = _proportional_target(pb)
    sep1 = _segments(lower, upper, [tau], scale, integral)
    info1, units1, dev = _solve_separable(
        "min_deviation", sep1, units_total, 0, integral, time_limit, mip_rel_gap
    )
    stages = [info1]
    if units1 is None:
        return stages, None, dev, "HiGHS vertex"
    # the deviation of the reconstructed allocation is at most the LP's count (convexity)
    dev = float(np.abs(scale * units1 - tau).sum())
    sep2 = _segments(lower, upper, [pb.h0, tau], scale, integral)
    limit = dev * (1 + STAGE_TOLERANCE) + STAGE_TOLERANCE
    info2, units2, _ = _solve_separable(
        "min_moved", sep2, units_total, 0, integral, time_limit, mip_rel_gap, (1, limit)
    )
    stages.append(info2)
    if units2 is None:
        return stages, None, dev, "HiGHS vertex"
    return stages, scale * units2, dev, "HiGHS vertex (deterministic for a given input order)"


# --------------------------------------------------------------------------- summary


def _levels(hours: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q > 0, hours / np.where(q > 0, q, 1.0), np.nan)


def _equity(levels: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    keep = ~np.isnan(levels)
    if not keep.any() or weights[keep].sum() <= 0:
        return {"gini": math.nan, "coefficient_of_variation": math.nan, "mcloone": math.nan}
    s = equity_summary(levels[keep], weights[keep])
    return {k: float(s[k]) for k in ("gini", "coefficient_of_variation", "mcloone")}


def _summary(
    pb: _Problem, after: np.ndarray | None, objective: str, status: str, need_weighted: bool
) -> dict[str, Any]:
    pos = pb.pos
    before_lv = _levels(pb.h0, pb.q)
    tau = _proportional_target(pb)
    weights = pb.pupils * pb.weight
    data: dict[str, Any] = {
        "objective": objective,
        "status": status,
        "need_weighted": need_weighted,
        "block_hours": pb.block,
        "max_change_hours": pb.max_change,
        "n_libraries": pb.n,
        "n_libraries_with_pupils": int(pos.sum()),
        "n_libraries_without_pupils": int((~pos).sum()),
        "pupils_total": float(pb.pupils.sum()),
        "need_weighted_pupils_total": float(weights.sum()),
        "total_hours_before": float(pb.h0.sum()),
        "total_hours_after": math.nan,
        "cost_neutral": bool(abs(pb.total - pb.h0.sum()) <= _SNAP * max(1.0, pb.total)),
        "min_hours_per_100_before": float(np.nanmin(before_lv)) if pos.any() else math.nan,
        "max_hours_per_100_before": float(np.nanmax(before_lv)) if pos.any() else math.nan,
        "mean_hours_per_100_before": (
            float(pb.h0[pos].sum() / pb.q[pos].sum()) if pos.any() else math.nan
        ),
        "worst_library_before": pb.ids[np.nanargmin(before_lv)] if pos.any() else None,
        "target_deviation_before": float(np.abs(pb.h0 - tau).sum()),
    }
    for k, v in _equity(before_lv, weights).items():
        data[f"{k}_before"] = v
    if after is None:
        for key in (
            "min_hours_per_100_after",
            "max_hours_per_100_after",
            "mean_hours_per_100_after",
            "hours_moved",
            "hours_gained",
            "hours_lost",
            "target_deviation_after",
            "gini_after",
            "coefficient_of_variation_after",
            "mcloone_after",
            "largest_gain_hours",
            "largest_loss_hours",
            "pupils_in_gaining_libraries",
            "pupils_in_losing_libraries",
        ):
            data[key] = math.nan
        data.update(
            n_gainers=0,
            n_losers=0,
            n_unchanged=pb.n,
            worst_library_after=None,
            largest_gain_library=None,
            largest_loss_library=None,
            n_at_floor=0,
            n_at_cap=0,
            n_raised_to_minimum=0,
        )
        return data
    after_lv = _levels(after, pb.q)
    change = after - pb.h0
    gain = change > _CHANGE_EPS
    loss = change < -_CHANGE_EPS
    data.update(
        total_hours_after=float(after.sum()),
        min_hours_per_100_after=float(np.nanmin(after_lv)) if pos.any() else math.nan,
        max_hours_per_100_after=float(np.nanmax(after_lv)) if pos.any() else math.nan,
        mean_hours_per_100_after=(
            float(after[pos].sum() / pb.q[pos].sum()) if pos.any() else math.nan
        ),
        worst_library_after=pb.ids[np.nanargmin(after_lv)] if pos.any() else None,
        hours_moved=float(np.abs(change).sum()),
        hours_gained=float(change[gain].sum()),
        hours_lost=float(-change[loss].sum()),
        n_gainers=int(gain.sum()),
        n_losers=int(loss.sum()),
        n_unchanged=int(pb.n - gain.sum() - loss.sum()),
        pupils_in_gaining_libraries=float(pb.pupils[gain].sum()),
        pupils_in_losing_libraries=float(pb.pupils[loss].sum()),
        largest_gain_library=pb.ids[int(np.argmax(change))] if gain.any() else None,
        largest_gain_hours=float(change.max()) if gain.any() else 0.0,
        largest_loss_library=pb.ids[int(np.argmin(change))] if loss.any() else None,
        largest_loss_hours=float(-change.min()) if loss.any() else 0.0,
        n_raised_to_minimum=_n_raised_to_minimum(gain, after_lv),
        n_at_floor=int((np.abs(after - pb.floor) <= _CHANGE_EPS).sum()),
        n_at_cap=int((np.abs(after - pb.cap) <= _CHANGE_EPS).sum()),
        target_deviation_after=float(np.abs(after - tau).sum()),
    )
    for k, v in _equity(after_lv, weights).items():
        data[f"{k}_after"] = v
    return data


def _n_raised_to_minimum(gain: np.ndarray, levels: np.ndarray) -> int:
    if np.isnan(levels).all():
        return 0
    low = float(np.nanmin(levels))
    at_min = np.abs(np.nan_to_num(levels, nan=np.inf) - low) <= 1e-6 * max(1.0, low)
    return int((gain & at_min).sum())


def _allocation_frame(pb: _Problem, after: np.ndarray | None) -> pd.DataFrame:
    hours_after = np.full(pb.n, np.nan) if after is None else after
    return pd.DataFrame(
        {
            "library_id": pb.ids,
            "pupils": pb.pupils,
            "need_weight": pb.weight,
            "hours_before": pb.h0,
            "hours_after": hours_after,
            "change_hours": hours_after - pb.h0,
            "hours_per_100_before": _levels(pb.h0, pb.q),
            "hours_per_100_after": _levels(hours_after, pb.q),
            "lower_bound_hours": pb.lo,
            "upper_bound_hours": pb.hi,
        }
    )


def reallocate_staff_hours(
    frame: pd.DataFrame,
    *,
    total_hours: float | None = None,
    need_weighted: bool = True,
    objective: Literal["maximin", "target"] = "maximin",
    block_hours: float | None = None,
    max_change_hours: float | None = None,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
) -> ReallocationResult:
    """Reallocate staffed hours between libraries, exactly, with HiGHS.

    The models (M1/M2 for maximin, T1/T2 for target), the exact block bound, the tie
    rule and the treatment of libraries without pupils are written out in the
    module docstring (:mod:`planning.optimise`).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per library. Required columns: ``library_id`` (unique, not missing),
        ``pupils`` (>= 0) and ``staffed_hours_week`` (>= 0). Optional columns:
        ``need_weight`` (> 0, default 1, used only when ``need_weighted``),
        ``floor_hours`` (>= 0, default :data:`DEFAULT_FLOOR_HOURS`) and ``cap_hours``
        (>= 0, default :data:`DEFAULT_CAP_HOURS` = 40). A missing value (NaN) in an
        optional column takes the default; a missing value in a required column is an
        error. A library above its cap is brought down to it (and one below its floor
        up to it); those forced changes count in ``hours_moved``.
    total_hours : float, optional
        Total hours after the change. Default: the current total (cost-neutral).
    need_weighted : bool, default True
        Measure staffing per 100 *need-weighted* pupils (``pupils * need_weight``).
        With False, per 100 pupils and ``need_weight`` is ignored.
    objective : {"maximin", "target"}, default "maximin"
        ``"maximin"``: maximise the lowest hours per 100 need-weighted pupils, then
        minimise the hours moved. ``"target"``: minimise the total absolute deviation
        from hours proportional to need-weighted pupils, then minimise the hours moved.
    block_hours : float, optional
        Hours come in whole blocks of this size (e.g. 2): a MILP. The total must then
        be a whole number of blocks.
    max_change_hours : float, optional
        No library gains or loses more than this many hours.
    time_limit : float, default 60
        HiGHS time limit per stage in seconds. When it stops a stage, ``status`` is
        ``"feasible"`` and the gap is in ``solver``.
    mip_rel_gap : float, default 1e-4
        Relative gap at which HiGHS may call a MILP stage optimal.

    Returns
    -------
    ReallocationResult
        ``allocation``, ``min_hours_per_100``, ``hours_moved``, ``status``,
        ``message``, ``objective_value``, ``solver`` and ``summary_data``.
        ``summary_data`` has: ``objective``, ``status``, ``need_weighted``,
        ``block_hours``, ``max_change_hours``, ``n_libraries``,
        ``n_libraries_with_pupils``, ``n_libraries_without_pupils``, ``pupils_total``,
        ``need_weighted_pupils_total``, ``total_hours_before``, ``total_hours_after``,
        ``cost_neutral``, ``min_/max_/mean_hours_per_100_before`` and ``..._after``
        (mean = total hours / hundreds of need-weighted pupils, over libraries with
        pupils), ``worst_library_before``, ``worst_library_after``, ``hours_moved``,
        ``hours_gained``, ``hours_lost``, ``n_gainers``, ``n_losers``,
        ``n_unchanged`` (changes under 1e-6 h count as unchanged),
        ``pupils_in_gaining_libraries``, ``pupils_in_losing_libraries``,
        ``largest_gain_library``, ``largest_gain_hours``, ``largest_loss_library``,
        ``largest_loss_hours``, ``n_raised_to_minimum`` (gainers that end at the
        minimum level), ``n_at_floor``, ``n_at_cap``,
        ``target_deviation_before``/``_after`` (sum of absolute deviations from the
        proportional target, hours) and need-weighted-pupil-weighted ``gini``,
        ``coefficient_of_variation`` and ``mcloone`` of the levels,
        ``_before``/``_after`` (:func:`metrics.equity.equity_summary`).

    Raises
    ------
    ValueError
        For a malformed frame (missing column, missing or negative value, duplicate
        ``library_id``, no rows, ``need_weight <= 0``) or a malformed argument
        (negative ``total_hours``, ``block_hours <= 0``, negative
        ``max_change_hours``, unknown ``objective``). Parameter combinations with no
        solution are not errors: they return ``status == "infeasible"``.

    Examples
    --------
    >>> frame = pd.DataFrame({"library_id": ["A", "B", "C"], "pupils": [100, 200, 100],
    ...                       "staffed_hours_week": [10, 2, 0]})
    >>> result = reallocate_staff_hours(frame)
    >>> result.status, result.allocation["hours_after"].round(6).tolist()
    ('optimal', [3.0, 6.0, 3.0])
    >>> round(result.min_hours_per_100, 6), round(result.hours_moved, 6)
    (3.0, 14.0)
    """
    start = time.perf_counter()
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if not (time_limit > 0 and 0 <= mip_rel_gap < 1):
        raise ValueError("time_limit must be > 0 and mip_rel_gap in [0, 1)")
    pb = _prepare(
        frame,
        total_hours=total_hours,
        need_weighted=need_weighted,
        block_hours=block_hours,
        max_change_hours=max_change_hours,
    )
    reason = _infeasibility(pb)
    stages: list[StageInfo] = []
    after = None
    objective_value = math.nan
    tie = "-"
    if reason is None:
        runner = _run_maximin if objective == "maximin" else _run_target
        stages, after, objective_value, tie = runner(pb, time_limit, mip_rel_gap)
        status = _stage_status(stages)
        if after is None and status == "optimal":
            status = "error"
    else:
        status = "infeasible"
    gaps = [s.mip_gap for s in stages if s.model == "MILP" and s.mip_gap is not None]
    solver = SolverInfo(
        name="HiGHS",
        interface=f"scipy {scipy.__version__}",
        stages=tuple(stages),
        mip_gap=max(gaps) if gaps else None,
        time_s=time.perf_counter() - start,
        tie_break=tie,
        time_limit=float(time_limit),
        mip_rel_gap=float(mip_rel_gap),
    )
    summary = _summary(pb, after, objective, status, need_weighted)
    if status == "infeasible":
        failed = [s for s in stages if s.status == "infeasible"]
        message = "infeasible: " + (reason or (failed[0].message if failed else "no solution"))
        if reason is None:
            after = None
    elif after is None:
        message = "solver error: " + "; ".join(f"{s.name}: {s.message}" for s in stages)
    else:
        message = _message(status, summary, objective, objective_value, solver)
    min_after = summary["min_hours_per_100_after"]
    return ReallocationResult(
        allocation=_allocation_frame(pb, after),
        min_hours_per_100=float(min_after) if after is not None else math.nan,
        hours_moved=float(summary["hours_moved"]) if after is not None else math.nan,
        status=status,
        message=message,
        objective=objective,
        objective_value=float(objective_value),
        solver=solver,
        summary_data=summary,
    )


def _libraries(count: int) -> str:
    return f"{count} {'library' if count == 1 else 'libraries'}"


def _message(status, summary, objective, value, solver) -> str:
    unit = (
        "hours per 100 need-weighted pupils" if summary["need_weighted"] else "hours per 100 pupils"
    )
    if status == "optimal":
        parts = ["optimal"]
    else:
        parts = [f"best found before the time limit (MIP gap {solver.mip_gap or 0:.3%})"]
    if objective == "maximin" and math.isfinite(summary["min_hours_per_100_after"]):
        parts.append(
            f"the lowest staffing goes from {summary['min_hours_per_100_before']:.3f} to "
            f"{summary['min_hours_per_100_after']:.3f} {unit}"
        )
    elif objective == "maximin":
        parts.append("no library has pupils, so there is no minimum to raise")
    else:
        parts.append(
            "the total deviation from hours proportional to need-weighted pupils goes from "
            f"{summary['target_deviation_before']:,.1f} to {value:,.1f} hours"
        )
    parts.append(
        f"{summary['hours_moved']:,.1f} hours moved (sum of absolute changes): "
        f"{_libraries(summary['n_gainers'])} gain {summary['hours_gained']:,.1f} h, "
        f"{_libraries(summary['n_losers'])} lose {summary['hours_lost']:,.1f} h"
    )
    return "; ".join(parts)


# --------------------------------------------------------------------------- standards


@dataclass(frozen=True)
class Standard:
    """A staffing standard for :func:`min_cost_to_standard`.

    Attributes
    ----------
    name : str
        ``"kb_20h"``, ``"lis_1_per_300"`` or ``"user"``.
    hours_column : str
        The frame column that must reach the requirement.
    description_en, description_sv : str
        What the standard requires.
    source : str
        Where it comes from.
    """

    name: str
    hours_column: str
    description_en: str
    description_sv: str
    source: str


#: The named standards (``"user"`` is completed by ``value`` and ``unit``).
STANDARDS: Mapping[str, Standard] = {
    "kb_20h": Standard(
        "kb_20h",
        "staffed_hours_week",
        "staffed at least 20 hours a week",
        "bemannat minst 20 timmar per vecka",
        "KB, Skolbibliotek 2012 (kb2012_min_staffed_hours)",
    ),
    "lis_1_per_300": Standard(
        "lis_1_per_300",
        "lis_hours_week",
        "LIS-qualified librarian hours equal to 1 FTE (40 h/week) per 300 pupils",
        "bibliotekarietimmar (BoI-examen) motsvarande 1 årsarbetskraft (40 h/vecka) per 300 elever",
        "Svensk biblioteksförening / DIK 2018 (pupils_per_librarian_compulsory; "
        "fte_hours_per_week)",
    ),
    "user": Standard(
        "user",
        "staffed_hours_week",
        "user-defined staffed hours",
        "egen nivå för bemannade timmar",
        "user",
    ),
}

_USER_UNITS = ("hours_per_100_pupils", "hours_per_week")


@dataclass(frozen=True)
class StandardCostResult:
    """Result of :func:`min_cost_to_standard`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per library, ranked: ``rank`` (1 = most pupils reached per krona;
        ``<NA>`` for libraries that already meet the standard, listed last by
        ``library_id``), ``library_id``, ``pupils``, ``current_hours``,
        ``required_hours``, ``extra_hours_week``, ``extra_fte``, ``cost_sek_per_year``,
        ``pupils_reached`` (pupils of libraries that need hours, else 0),
        ``pupils_per_sek`` (pupils reached per krona; NaN when nothing is needed),
        ``pupils_per_100k_sek``, ``cumulative_cost_sek`` and
        ``cumulative_pupils_reached`` (in rank order: what a budget buys).
    totals : dict
        ``standard``, ``description_en``, ``description_sv``, ``n_libraries``,
        ``n_below_standard``, ``n_below_standard_without_pupils``,
        ``n_meeting_standard``, ``extra_hours_week``, ``extra_fte``,
        ``cost_sek_per_year``, ``pupils_reached``, ``pupils_total``,
        ``share_of_pupils_reached``, ``pupils_per_sek``, ``hourly_cost_sek``,
        ``weeks_per_year``, ``fte_hours_per_week``.
    standard : Standard
        The standard applied.
    """

    table: pd.DataFrame
    totals: dict[str, Any]
    standard: Standard


def min_cost_to_standard(
    frame: pd.DataFrame,
    *,
    standard: Literal["kb_20h", "lis_1_per_300", "user"],
    hourly_cost_sek: float,
    value: float | None = None,
    unit: Literal["hours_per_100_pupils", "hours_per_week"] = "hours_per_100_pupils",
    weeks_per_year: float = DEFAULT_WEEKS_PER_YEAR,
    reference: pd.DataFrame | None = None,
) -> StandardCostResult:
    """Extra hours and SEK per year so that every library meets a staffing standard.

    Nothing is moved: every library below the standard gets exactly the missing
    hours (the cheapest way, since libraries are independent), and the libraries are
    ranked by pupils reached per krona so that a smaller budget can be spent where it
    reaches most pupils.

    Requirement ``r_i`` per library, compared with ``hours_column``:

    * ``"kb_20h"``: ``staffed_hours_week >= 20`` (KB's functioning school library;
      reference key ``kb2012_min_staffed_hours``). Libraries without pupils are
      included, since the standard is per library, and rank last.
    * ``"lis_1_per_300"``: ``lis_hours_week >= 40 * pupils / 300``. That is 1 LIS-qualified
      librarian FTE per 300 pupils (keys ``fte_hours_per_week`` and
      ``pupils_per_librarian_compulsory``).
    * ``"user"``: ``staffed_hours_week >= value * pupils / 100`` with
      ``unit="hours_per_100_pupils"`` (default), or ``staffed_hours_week >= value``
      with ``unit="hours_per_week"``.

    ``extra_i = max(0, r_i - current_i)`` hours per week.
    ``cost_i = extra_i * hourly_cost_sek * weeks_per_year`` SEK per year.
    ``pupils_per_sek_i = pupils_i / cost_i``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per library. Required: ``library_id`` (unique), ``pupils`` (>= 0) and
        the standard's hours column (``staffed_hours_week``, or ``lis_hours_week`` for
        ``"lis_1_per_300"``), >= 0 and not missing. From
        ``inventory.repository.library_year_frame``: ``pupils_served`` → ``pupils``,
        ``staffed_hours`` → ``staffed_hours_week``, ``hours_lis_librarian`` →
        ``lis_hours_week``.
    standard : {"kb_20h", "lis_1_per_300", "user"}
        See above (:data:`STANDARDS`).
    hourly_cost_sek : float
        Full employer cost per worked hour (salary, social fees and so on), > 0.
    value : float, optional
        The user standard's level, > 0. Required for ``"user"`` and only allowed there.
    unit : {"hours_per_100_pupils", "hours_per_week"}, default "hours_per_100_pupils"
        Unit of ``value`` (``"user"`` only).
    weeks_per_year : float, default 40
        Working weeks that the extra hours are paid for. 40 is the school year: 178
        school days, about 36 weeks, plus staff days. Use about 45–47 for staff employed
        all year, with holidays paid through the hourly cost.
    reference : pandas.DataFrame, optional
        Reference table (:func:`metrics.standards.load_reference_values`). Default:
        the project's ``data/reference_values.csv``.

    Returns
    -------
    StandardCostResult
        ``table`` (per library, ranked), ``totals`` and ``standard``.

    Raises
    ------
    ValueError
        For a malformed frame, an unknown standard or unit, a missing or misplaced
        ``value``, or a non-positive ``hourly_cost_sek`` or ``weeks_per_year``.

    Examples
    --------
    >>> frame = pd.DataFrame({"library_id": ["A", "B"], "pupils": [300, 100],
    ...                       "staffed_hours_week": [10, 25]})
    >>> r = min_cost_to_standard(frame, standard="kb_20h", hourly_cost_sek=400)
    >>> r.table[["library_id", "extra_hours_week", "cost_sek_per_year"]].values.tolist()
    [['A', 10.0, 160000.0], ['B', 0.0, 0.0]]
    """
    if standard not in STANDARDS:
        raise ValueError(f"standard must be one of {tuple(STANDARDS)}, got {standard!r}")
    for name, number in (("hourly_cost_sek", hourly_cost_sek), ("weeks_per_year", weeks_per_year)):
        if not (_is_number(number) and number > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {number!r}")
    if standard == "user":
        if value is None or not _is_number(value):
            raise ValueError("standard 'user' needs a finite value")
        if value <= 0:
            raise ValueError(f"value must be > 0, got {value!r}")
        if unit not in _USER_UNITS:
            raise ValueError(f"unit must be one of {_USER_UNITS}, got {unit!r}")
    elif value is not None:
        raise ValueError(f"value is only used with standard 'user', not {standard!r}")
    spec = STANDARDS[standard]
    ids = _library_ids(frame, ("library_id", "pupils", spec.hours_column))
    pupils = _column(frame, "pupils", ids, None)
    current = _column(frame, spec.hours_column, ids, None)
    reference = load_reference_values() if reference is None else reference
    fte = reference_value(reference, "fte_hours_per_week")
    if standard == "kb_20h":
        required = np.full(ids.size, reference_value(reference, "kb2012_min_staffed_hours"))
    elif standard == "lis_1_per_300":
        per = reference_value(reference, "pupils_per_librarian_compulsory")
        required = fte * pupils / per
    elif unit == "hours_per_week":
        required = np.full(ids.size, float(value))
        spec = Standard(
            "user",
            spec.hours_column,
            f"staffed at least {value:g} hours a week",
            f"bemannat minst {value:g} timmar per vecka",
            "user",
        )
    else:
        required = float(value) * pupils / 100.0
        spec = Standard(
            "user",
            spec.hours_column,
            f"staffed at least {value:g} hours a week per 100 pupils",
            f"bemannat minst {value:g} timmar per vecka per 100 elever",
            "user",
        )
    extra = np.maximum(required - current, 0.0)
    extra = np.where(extra <= _SNAP * np.maximum(1.0, required), 0.0, extra)
    cost = extra * float(hourly_cost_sek) * float(weeks_per_year)
    below = extra > 0
    reached = np.where(below, pupils, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_sek = np.where(below, reached / np.where(below, cost, 1.0), np.nan)
    table = pd.DataFrame(
        {
            "library_id": ids,
            "pupils": pupils,
            "current_hours": current,
            "required_hours": required,
            "extra_hours_week": extra,
            "extra_fte": extra / fte,
            "cost_sek_per_year": cost,
            "pupils_reached": reached,
            "pupils_per_sek": per_sek,
            "pupils_per_100k_sek": per_sek * 100_000,
        }
    )
    text = np.array([str(i) for i in ids], dtype=object)
    # needing libraries first: most pupils per krona, then cheaper, then library_id
    order = np.lexsort((text, cost, -np.nan_to_num(per_sek, nan=0.0), ~below))
    table = table.iloc[order].reset_index(drop=True)
    n_below = int(below.sum())
    table.insert(
        0,
        "rank",
        pd.array(list(range(1, n_below + 1)) + [pd.NA] * (ids.size - n_below), dtype="Int64"),
    )
    table["cumulative_cost_sek"] = table["cost_sek_per_year"].cumsum()
    table["cumulative_pupils_reached"] = table["pupils_reached"].cumsum()
    total_cost = float(cost.sum())
    pupils_total = float(pupils.sum())
    totals = {
        "standard": standard,
        "description_en": spec.description_en,
        "description_sv": spec.description_sv,
        "n_libraries": int(ids.size),
        "n_below_standard": n_below,
        "n_below_standard_without_pupils": int((below & (pupils == 0)).sum()),
        "n_meeting_standard": int(ids.size - n_below),
        "extra_hours_week": float(extra.sum()),
        "extra_fte": float(extra.sum() / fte),
        "cost_sek_per_year": total_cost,
        "pupils_reached": float(reached.sum()),
        "pupils_total": pupils_total,
        "share_of_pupils_reached": (
            float(reached.sum() / pupils_total) if pupils_total else math.nan
        ),
        "pupils_per_sek": float(reached.sum() / total_cost) if total_cost > 0 else math.nan,
        "hourly_cost_sek": float(hourly_cost_sek),
        "weeks_per_year": float(weeks_per_year),
        "fte_hours_per_week": fte,
    }
    return StandardCostResult(table=table, totals=totals, standard=spec)
