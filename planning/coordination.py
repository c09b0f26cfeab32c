"""Shared-librarian clusters: small schools grouped around one LIS librarian each.

:func:`shared_librarian_clusters` takes the schools (here: their libraries) whose pupils are too
few to staff a library alone, and groups them into clusters, each served by one librarian based
at one of the cluster's schools (the *hub*). Every school gets at least its required hours; a
librarian's week (``capacity_hours``, 40 h = 1 FTE) holds the required hours of the cluster's
schools plus the travel between the hub and the other schools. Among the groupings with the
given (or the smallest possible) number of librarians, the one with the least travel is chosen.

Model
-----
Schools ``i`` with pupils ``p_i > 0``. Required hours ``r_i = max(min_hours, C p_i / P)`` with
``C`` the capacity (hours a week) and ``P`` pupils per librarian (the staffing standard, 300 in
compulsory school); schools with ``r_i >= C`` are staffed alone and left out. Travel from hub
``j`` to school ``i`` takes ``t_ij = v x 2 x f d_ij / s`` hours a week: ``v`` visits a week,
there and back, ``d_ij`` straight-line km between the EPSG:3006 coordinates times the detour
factor ``f``, at ``s`` km/h. A capacitated p-median (MILP, HiGHS through
:func:`scipy.optimize.milp`) over binary ``x_ij`` (school ``i`` belongs to hub ``j``;
``x_jj = 1`` opens hub ``j``), on the pairs with ``r_i + t_ij + r_j <= C`` only::

    minimise    sum t_ij x_ij                                   (travel, hours a week)
    subject to  sum_j x_ij = 1                        every school in one cluster
                x_ij <= x_jj                          only open hubs
                sum_i (r_i + t_ij) x_ij <= C x_jj     the librarian's week
                sum_i x_ij <= K x_jj                  at most K schools (optional)
                sum_j x_jj = p                        p librarians

Without ``librarians`` the number ``p`` is the smallest possible: a first MILP minimises
``sum_j x_jj``. Lower bound ``LB = max(ceil(sum r / C), ceil(n / K))``.

Heuristic start
---------------
scipy's ``milp`` takes no starting solution, so the heuristic enters in three ways. A greedy
construction (seed the unassigned school with the most required hours, add the nearest
schools while the week allows) and a local search (move a school to a closer hub with room,
re-centre each cluster on its best hub, dissolve the smallest cluster into the others) give a
feasible grouping. Its number of librarians bounds the first MILP from above (the MILP asks
for fewer; "infeasible" then proves the heuristic count minimal, and ``LB`` equal to it proves
it without a solve). Its travel is a cut-off ``sum t x <= travel_heuristic`` for the second
MILP, which prunes the search. And when HiGHS stops at the time limit without a better
grouping, the heuristic grouping is returned with the gap to HiGHS's proven bound. The limit
on schools per librarian makes the MILP much harder (the linking rows above are the strong
formulation; the LP bound still weakens), which is what the time limit and the gap are for.

Coordination gain
-----------------
Today, the same schools have ``lis_hours_week`` of librarian time: ``F = sum lis / C`` FTE, and
a school reaches the staffing standard when its own hours are at least ``r_i``. The plan uses
``p`` FTE and every school in it reaches the standard. :attr:`ClusterPlan.gain` has both sides:
FTE, pupils reaching the standard and pupils per FTE.

Sources
-------
* Staffing standard: Svensk biblioteksförening / DIK (2018), one librarian per 300 pupils in
  compulsory school; 1 FTE = 40 h a week (KB); ``data/reference_values.csv``.
* Capacitated p-median: ReVelle, C. S. and Swain, R. W. (1970), "Central facilities location",
  *Geographical Analysis* 2(1) (the p-median; capacities as in the standard textbook form).
  The test suite checks the uncapacitated case against PySAL ``spopt.locate.PMedian``.
* The detour factor (straight line to road distance, 1.3 by default) is a planning assumption.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from planning.optimise import StageInfo

__all__ = ["ClusterPlan", "shared_librarian_clusters"]

_EPS = 1e-9
_MAX_PASSES = 100
_NEAREST = 5  # nearest hubs per school kept in the restricted model
_RESTRICTED_SHARE = 0.3  # of the time limit spent on the restricted model


@dataclass(frozen=True)
class ClusterPlan:
    """Result of :func:`shared_librarian_clusters`.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per clustered school: ``library_id``, ``hub_id`` (the ``library_id`` of its
        cluster's hub), ``is_hub``, ``pupils``, ``required_hours``, ``km`` (one way, straight
        line x detour), ``travel_hours`` (a week), ``lis_hours_before``. Empty when infeasible.
    clusters : pandas.DataFrame
        One row per librarian: ``hub_id``, ``n_schools``, ``pupils``, ``required_hours``,
        ``travel_hours``, ``load_hours`` (required + travel), ``idle_hours`` (capacity - load).
    excluded : pandas.DataFrame
        ``library_id``, ``reason``: ``staffed_alone`` (enough pupils for a librarian of its
        own) or ``no_pupils``.
    librarians : int
        Librarians (FTE) in the plan; 0 when infeasible.
    lower_bound : int
        ``max(ceil(sum r / C), ceil(n / K))``.
    travel_hours : float
        Total travel a week.
    heuristic_travel_hours : float
        Travel of the heuristic grouping with the same number of librarians (NaN if none).
    status : str
        ``optimal`` (within ``mip_rel_gap``), ``feasible`` (time limit; ``mip_gap`` says how far
        from optimal at most), ``infeasible`` (``message`` says why) or ``error``.
    message : str
        Plain English.
    mip_gap : float or None
        Proven relative gap of the travel stage.
    gain : dict
        ``n_schools``, ``pupils``, ``fte_before``, ``fte_after``, ``pupils_at_standard_before``,
        ``pupils_at_standard_after``, ``pupils_per_fte_before``, ``pupils_per_fte_after``,
        ``n_lis_unknown`` (schools without a recorded LIS figure, counted as 0 h).
    stages : tuple of StageInfo
    """

    assignments: pd.DataFrame
    clusters: pd.DataFrame
    excluded: pd.DataFrame
    librarians: int
    lower_bound: int
    travel_hours: float
    heuristic_travel_hours: float
    status: str
    message: str
    mip_gap: float | None
    gain: dict[str, Any] = field(default_factory=dict)
    stages: tuple[StageInfo, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the plan assigns every school."""
        return self.status in ("optimal", "feasible")


# --------------------------------------------------------------------------- input


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    if not _is_number(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _whole(name: str, value: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if not (_is_number(value) and float(value).is_integer() and value >= minimum):
        raise ValueError(f"{name} must be a whole number >= {minimum} or None, got {value!r}")
    return int(value)


def _column(frame: pd.DataFrame, name: str, ids: pd.Series) -> np.ndarray:
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        shown = ", ".join(str(i) for i in ids[bad].tolist()[:5])
        raise ValueError(f"{name} is missing or not a number for library {shown}")
    return values


# --------------------------------------------------------------------------- heuristic


@dataclass
class _Instance:
    r: np.ndarray  # required hours
    t: np.ndarray  # travel hours a week, t[i, j]: school i served from hub j
    ok: np.ndarray  # allowed pairs (bool, n x n)
    cap: float
    k_max: int | None

    @property
    def n(self) -> int:
        return int(self.r.size)

    def cost(self, hub_of: np.ndarray) -> float:
        return float(self.t[np.arange(self.n), hub_of].sum())

    def loads(self, hub_of: np.ndarray) -> np.ndarray:
        return np.bincount(
            hub_of, weights=self.r + self.t[np.arange(self.n), hub_of], minlength=self.n
        )


def _greedy(inst: _Instance) -> np.ndarray:
    """Seed the unassigned school with the most required hours; add the nearest that fit."""
    n = inst.n
    hub_of = np.full(n, -1)
    for seed in np.lexsort((np.arange(n), -inst.r)):
        if hub_of[seed] >= 0:
            continue
        hub_of[seed] = seed
        load, count = inst.r[seed], 1
        free = np.flatnonzero((hub_of < 0) & inst.ok[:, seed])
        for i in free[np.lexsort((free, inst.t[free, seed]))]:
            if inst.k_max is not None and count >= inst.k_max:
                break
            extra = inst.r[i] + inst.t[i, seed]
            if load + extra <= inst.cap + _EPS:
                hub_of[i] = seed
                load += extra
                count += 1
    return hub_of


def _recentre(inst: _Instance, hub_of: np.ndarray) -> bool:
    """Move each cluster's hub to the member with the least travel that still fits."""
    changed = False
    for hub in np.unique(hub_of):
        members = np.flatnonzero(hub_of == hub)
        best, best_cost = hub, inst.t[members, hub].sum()
        for candidate in members:
            if not inst.ok[members, candidate].all():
                continue
            cost = inst.t[members, candidate].sum()
            if cost < best_cost - _EPS and inst.r[members].sum() + cost <= inst.cap + _EPS:
                best, best_cost = candidate, cost
        if best != hub:
            hub_of[members] = best
            changed = True
    return changed


def _relocate(inst: _Instance, hub_of: np.ndarray) -> bool:
    """Move single schools to a hub with room that is closer than their own."""
    changed = False
    loads = inst.loads(hub_of)
    counts = np.bincount(hub_of, minlength=inst.n)
    hubs = np.unique(hub_of)
    for i in range(inst.n):
        own = hub_of[i]
        if own == i:
            continue
        options = hubs[inst.ok[i, hubs] & (hubs != own)]
        if inst.k_max is not None:
            options = options[counts[options] < inst.k_max]
        gain = inst.t[i, own] - inst.t[i, options]
        fits = loads[options] + inst.r[i] + inst.t[i, options] <= inst.cap + _EPS
        options, gain = options[fits & (gain > _EPS)], gain[fits & (gain > _EPS)]
        if options.size:
            target = options[np.argmax(gain)]
            loads[own] -= inst.r[i] + inst.t[i, own]
            loads[target] += inst.r[i] + inst.t[i, target]
            counts[own] -= 1
            counts[target] += 1
            hub_of[i] = target
            changed = True
    return changed


def _dissolve(inst: _Instance, hub_of: np.ndarray) -> bool:
    """Try to spread the members of one cluster over the others (one librarian fewer)."""
    hubs = np.unique(hub_of)
    loads = inst.loads(hub_of)
    for hub in hubs[np.argsort(loads[hubs], kind="stable")]:
        trial = hub_of.copy()
        others = hubs[hubs != hub]
        room = loads.copy()
        counts = np.bincount(hub_of, minlength=inst.n)
        members = np.flatnonzero(hub_of == hub)
        for i in members[np.argsort(-inst.r[members], kind="stable")]:
            options = others[inst.ok[i, others]]
            if inst.k_max is not None:
                options = options[counts[options] < inst.k_max]
            fits = room[options] + inst.r[i] + inst.t[i, options] <= inst.cap + _EPS
            options = options[fits]
            if options.size == 0:
                break
            target = options[np.argmin(inst.t[i, options])]
            trial[i] = target
            room[target] += inst.r[i] + inst.t[i, target]
            counts[target] += 1
        else:
            hub_of[:] = trial
            return True
    return False


def _swap(inst: _Instance, hub_of: np.ndarray) -> bool:
    """Exchange two schools of different clusters when both weeks still fit and travel falls."""
    changed = False
    idx = np.arange(inst.n)
    loads = inst.loads(hub_of)
    members = np.flatnonzero(hub_of != idx)
    for i in members:
        a = hub_of[i]
        others = members[(hub_of[members] != a) & (members != i)]
        b = hub_of[others]
        ok = inst.ok[i, b] & inst.ok[others, a]
        saving = inst.t[i, a] + inst.t[others, b] - inst.t[i, b] - inst.t[others, a]
        load_a = loads[a] - inst.r[i] - inst.t[i, a] + inst.r[others] + inst.t[others, a]
        load_b = loads[b] - inst.r[others] - inst.t[others, b] + inst.r[i] + inst.t[i, b]
        fits = ok & (load_a <= inst.cap + _EPS) & (load_b <= inst.cap + _EPS)
        good = np.flatnonzero(fits & (saving > _EPS))
        if good.size:
            best = good[np.argmax(saving[good])]
            j, bj = others[best], b[best]
            loads[a], loads[bj] = load_a[best], load_b[best]
            hub_of[i], hub_of[j] = bj, a
            changed = True
    return changed


def _improve(inst: _Instance, hub_of: np.ndarray) -> np.ndarray:
    for _ in range(_MAX_PASSES):
        moved = _relocate(inst, hub_of)
        moved |= _swap(inst, hub_of)
        moved |= _recentre(inst, hub_of)
        if not moved:
            break
    return hub_of


def _open_more(inst: _Instance, hub_of: np.ndarray, p: int) -> np.ndarray:
    """Open hubs until there are ``p``: the school with the longest trip becomes its own hub."""
    while np.unique(hub_of).size < p:
        idx = np.arange(inst.n)
        travel = np.where(hub_of == idx, -np.inf, inst.t[idx, hub_of])
        i = int(np.argmax(travel))
        hub_of[i] = i
        _improve(inst, hub_of)
    return hub_of


def _heuristic(inst: _Instance, p: int | None) -> np.ndarray | None:
    """A feasible grouping with ``p`` hubs (the fewest the heuristic finds if ``p`` is None)."""
    hub_of = _improve(inst, _greedy(inst))
    target = 1 if p is None else p
    while np.unique(hub_of).size > target and _dissolve(inst, hub_of):
        _improve(inst, hub_of)
    count = np.unique(hub_of).size
    if p is None:
        return hub_of
    if count > p:
        return None
    return _open_more(inst, hub_of, p)


def _seeded(inst: _Instance, p: int) -> np.ndarray | None:
    """``p`` hubs chosen as an uncapacitated p-median would (greedy adding), then schools
    assigned by regret: the school that would lose most by missing its nearest hub with room
    goes first. None when some school finds no hub with room."""
    n = inst.n
    near = np.full(n, np.inf)
    hubs: list[int] = []
    for _ in range(p):
        free = np.setdiff1d(np.arange(n), hubs)
        reach = np.where(inst.ok[:, free], inst.t[:, free], np.inf)
        totals = np.minimum(near[:, None], reach)
        totals[free, np.arange(free.size)] = 0.0
        totals = np.where(np.isinf(totals), 1e9, totals).sum(0)
        j = int(free[np.argmin(totals)])
        hubs.append(j)
        near = np.minimum(near, np.where(inst.ok[:, j], inst.t[:, j], np.inf))
    hub_arr = np.array(hubs)
    hub_of = np.full(n, -1)
    hub_of[hub_arr] = hub_arr
    loads = np.zeros(n)
    loads[hub_arr] = inst.r[hub_arr]
    counts = np.zeros(n, dtype=int)
    counts[hub_arr] = 1
    while (hub_of < 0).any():
        waiting = np.flatnonzero(hub_of < 0)
        cost = np.where(inst.ok[np.ix_(waiting, hub_arr)], inst.t[np.ix_(waiting, hub_arr)], np.inf)
        room = loads[hub_arr][None, :] + inst.r[waiting][:, None] + cost <= inst.cap + _EPS
        if inst.k_max is not None:
            room &= (counts[hub_arr] < inst.k_max)[None, :]
        cost = np.where(room, cost, np.inf)
        ordered = np.sort(cost, axis=1)
        if np.isinf(ordered[:, 0]).any():
            return None
        second = ordered[:, 1] if ordered.shape[1] > 1 else np.full(waiting.size, np.inf)
        regret = np.where(np.isinf(second), 1e9, second - ordered[:, 0])
        pick = int(np.lexsort((waiting, -regret))[0])
        i, h = waiting[pick], hub_arr[np.argmin(cost[pick])]
        hub_of[i] = h
        loads[h] += inst.r[i] + inst.t[i, h]
        counts[h] += 1
    return _improve(inst, hub_of)


def _start(inst: _Instance, p: int, found: np.ndarray | None) -> np.ndarray | None:
    """The best heuristic grouping with exactly ``p`` hubs: from ``found`` (the grouping that
    gave the count, if any), from the greedy, or from p-median seeds."""
    options = []
    if found is not None and np.unique(found).size <= p:
        options.append(_open_more(inst, _improve(inst, found.copy()), p))
    for candidate in (_heuristic(inst, p), _seeded(inst, p)):
        if candidate is not None:
            options.append(candidate)
    return min(options, key=inst.cost) if options else None


# --------------------------------------------------------------------------- MILP


def _model(inst: _Instance):
    """Pairs, constraint blocks and the self-pair index of the p-median MILP."""
    n = inst.n
    pi, pj = np.nonzero(inst.ok)
    n_x = pi.size
    self_of = np.full(n, -1)
    diagonal = pi == pj
    self_of[pi[diagonal]] = np.flatnonzero(diagonal)
    cost = inst.t[pi, pj]
    cols = np.arange(n_x)
    blocks = []
    # every school in exactly one cluster
    blocks.append((sparse.csr_array((np.ones(n_x), (pi, cols)), shape=(n, n_x)), 1.0, 1.0))
    # x_ij - x_jj <= 0 for i != j
    off = np.flatnonzero(~diagonal)
    rows = np.concatenate([np.arange(off.size), np.arange(off.size)])
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(off.size), -np.ones(off.size)]),
            (rows, np.concatenate([off, self_of[pj[off]]])),
        ),
        shape=(off.size, n_x),
    )
    blocks.append((link, -np.inf, 0.0))
    # sum_i (r_i + t_ij) x_ij - C x_jj <= 0
    weight = inst.r[pi] + cost - np.where(diagonal, inst.cap, 0.0)
    blocks.append((sparse.csr_array((weight, (pj, cols)), shape=(n, n_x)), -np.inf, 0.0))
    if inst.k_max is not None:
        count = np.ones(n_x) - np.where(diagonal, inst.k_max, 0.0)
        blocks.append((sparse.csr_array((count, (pj, cols)), shape=(n, n_x)), -np.inf, 0.0))
    hubs = sparse.csr_array((np.ones(n), (np.zeros(n, int), self_of)), shape=(1, n_x))
    return pi, pj, cost, blocks, hubs


def _solve(c, blocks, time_limit, mip_rel_gap):
    constraints = [LinearConstraint(a, lb, ub) for a, lb, ub in blocks]
    n_rows = sum(a.shape[0] for a, _, _ in blocks)
    res = milp(
        c,
        integrality=np.ones(c.size),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap},
    )
    gap = getattr(res, "mip_gap", None)
    gap = None if gap is None or not np.isfinite(gap) else float(gap)
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else float(bound)
    return res, gap, bound, n_rows


def _stage(name, status, message, objective, gap, bound, start, n_var, n_con) -> StageInfo:
    return StageInfo(
        name=name,
        model="MILP",
        method="milp (HiGHS branch and cut)",
        status=status,
        message=message,
        objective=objective,
        mip_gap=gap,
        bound=bound,
        time_s=time.perf_counter() - start,
        n_variables=int(n_var),
        n_constraints=int(n_con),
    )


def _lp_relaxation(cost: np.ndarray, blocks) -> tuple[np.ndarray | None, float | None]:
    """The LP relaxation's solution and optimum (a proven lower bound on the travel)."""
    eq = [(a, lb) for a, lb, ub in blocks if lb == ub]
    le = [(a, ub) for a, lb, ub in blocks if lb != ub]
    res = linprog(
        cost,
        A_ub=sparse.vstack([a for a, _ in le]).tocsr() if le else None,
        b_ub=np.concatenate([np.broadcast_to(b, a.shape[0]) for a, b in le]) if le else None,
        A_eq=sparse.vstack([a for a, _ in eq]).tocsr() if eq else None,
        b_eq=np.concatenate([np.broadcast_to(b, a.shape[0]) for a, b in eq]) if eq else None,
        bounds=(0, 1),
        method="highs",
    )
    return (res.x, float(res.fun)) if res.status == 0 else (None, None)


def _hub_of(x: np.ndarray, pi: np.ndarray, pj: np.ndarray, n: int) -> np.ndarray:
    chosen = x > 0.5
    hub_of = np.full(n, -1)
    hub_of[pi[chosen]] = pj[chosen]
    return hub_of


def _fewest(inst, lower, heuristic, time_limit, mip_rel_gap):
    """The fewest librarians: the heuristic count unless a MILP finds fewer."""
    p_h = int(np.unique(heuristic).size)
    if p_h <= lower:
        return p_h, heuristic, None
    start = time.perf_counter()
    pi, pj, _, blocks, hubs = _model(inst)
    blocks = [*blocks, (hubs, float(lower), float(p_h - 1))]
    c = hubs.toarray().ravel()
    res, gap, bound, n_rows = _solve(c, blocks, time_limit, mip_rel_gap)
    if res.status == 2:
        status, note, p, hub_of = "optimal", "fewer is infeasible", p_h, heuristic
    elif res.x is not None:
        hub_of = _hub_of(res.x, pi, pj, inst.n)
        p = int(np.unique(hub_of).size)
        status = "optimal" if res.status == 0 else "feasible"
        note = "HiGHS found fewer than the heuristic"
    else:
        status, note, p, hub_of = "feasible", "no grouping with fewer found", p_h, heuristic
    stage = _stage(
        "min_librarians",
        status,
        f"{res.message}; {note}",
        float(p),
        gap if res.x is not None else None,
        bound,
        start,
        c.size,
        n_rows,
    )
    return p, hub_of, stage


def _neighbourhood(inst: _Instance, p: int, start_plan: np.ndarray):
    """Pairs worth keeping in a restricted model, and the LP relaxation's bound.

    The support of the LP relaxation, each school's :data:`_NEAREST` nearest allowed hubs and
    the start plan's own pairs.
    """
    pi, pj, cost, blocks, hubs = _model(inst)
    x, bound = _lp_relaxation(cost, [*blocks, (hubs, float(p), float(p))])
    keep = np.eye(inst.n, dtype=bool)
    if x is not None:
        used = x > 1e-6
        keep[pi[used], pj[used]] = True
    reach = np.where(inst.ok, inst.t, np.inf)
    nearest = np.argsort(reach, axis=1, kind="stable")[:, :_NEAREST]
    keep[np.repeat(np.arange(inst.n), nearest.shape[1]), nearest.ravel()] = True
    keep[np.arange(inst.n), start_plan] = True
    return keep & inst.ok, bound


def _travel_milp(inst, p, start_plan, time_limit, mip_rel_gap, name, lp_bound=None):
    """One MILP over ``inst``'s pairs with exactly ``p`` hubs; ``start_plan``'s travel as
    cut-off and fallback."""
    start = time.perf_counter()
    pi, pj, cost, blocks, hubs = _model(inst)
    blocks = [*blocks, (hubs, float(p), float(p))]
    upper = None
    if start_plan is not None:
        upper = inst.cost(start_plan)
        row = sparse.csr_array(cost[None, :])
        blocks.append((row, -np.inf, upper + 1e-6 * max(1.0, upper)))
    res, gap, bound, n_rows = _solve(cost, blocks, time_limit, mip_rel_gap)
    if res.x is not None:
        hub_of = _hub_of(res.x, pi, pj, inst.n)
        status = "optimal" if res.status == 0 else "feasible"
        note = ""
    elif start_plan is not None and res.status != 2:
        hub_of = start_plan
        status = "feasible"
        if bound is None:  # HiGHS reports no bound without a solution: the LP relaxation is one
            bound = lp_bound if lp_bound is not None else _lp_relaxation(cost, blocks[:-1])[1]
        gap = None if bound is None or upper <= 0 else max(0.0, (upper - bound) / upper)
        note = "; no better grouping found in time, the heuristic grouping is used"
    elif start_plan is not None:  # the cut-off excludes nothing better: the heuristic is optimal
        hub_of, status, gap, note = start_plan, "optimal", 0.0, "; the heuristic is optimal"
    else:
        hub_of, status, note = None, "infeasible" if res.status == 2 else "error", ""
    objective = inst.cost(hub_of) if hub_of is not None else math.nan
    stage = _stage(
        name, status, f"{res.message}{note}", objective, gap, bound, start, cost.size, n_rows
    )
    return hub_of, status, gap, stage


def _least_travel(inst, p, start_plan, time_limit, mip_rel_gap):
    """Least travel with exactly ``p`` librarians, starting from the heuristic ``start_plan``.

    A restricted model (:func:`_neighbourhood`) gets :data:`_RESTRICTED_SHARE` of the time and
    usually improves the start a lot, quickly; the full model gets the rest, with the better
    travel as its cut-off.
    """
    stages = []
    lp_bound = None
    full_time = time_limit
    if start_plan is not None:
        keep, lp_bound = _neighbourhood(inst, p, start_plan)
        if keep.sum() < inst.ok.sum():
            sub = replace(inst, ok=keep)
            budget = _RESTRICTED_SHARE * time_limit
            found, _, _, stage = _travel_milp(
                sub, p, start_plan, budget, mip_rel_gap, "min_travel_restricted"
            )
            stages.append(stage)
            full_time = time_limit - budget
            if found is not None and inst.cost(found) < inst.cost(start_plan) - _EPS:
                start_plan = found
    hub_of, status, gap, stage = _travel_milp(
        inst, p, start_plan, full_time, mip_rel_gap, "min_travel", lp_bound
    )
    stages.append(stage)
    return hub_of, status, gap, stages


# --------------------------------------------------------------------------- main


def shared_librarian_clusters(
    frame: pd.DataFrame,
    *,
    pupils_per_librarian: float = 300.0,
    min_hours: float = 4.0,
    capacity_hours: float = 40.0,
    speed_kmh: float = 40.0,
    detour_factor: float = 1.3,
    visits_per_week: float = 1.0,
    max_schools: int | None = None,
    librarians: int | None = None,
    time_limit: float = 30.0,
    mip_rel_gap: float = 1e-3,
) -> ClusterPlan:
    """Clusters of small schools, one shared LIS librarian each, with the least travel.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per school (library): ``library_id``, ``pupils``, ``x``, ``y`` (EPSG:3006
        metres); optional ``lis_hours_week`` (today's librarian hours, for the gain).
    pupils_per_librarian : float
        The staffing standard; a school needs ``capacity_hours x pupils / pupils_per_librarian``
        hours a week, at least ``min_hours``. Schools needing a full week are left out.
    min_hours, capacity_hours : float
        Fewest hours a clustered school gets; a librarian's week including travel.
    speed_kmh, detour_factor, visits_per_week : float
        Travel time: visits x there and back x straight-line km x detour / speed.
    max_schools : int, optional
        At most this many schools per librarian (the hub included).
    librarians : int, optional
        Number of librarians; the fewest that can serve every school when None.
    time_limit : float
        Seconds HiGHS may spend on each MILP stage.
    mip_rel_gap : float
        Relative gap at which HiGHS may stop.

    Returns
    -------
    ClusterPlan
        ``status == "infeasible"`` (not an exception) when the schools cannot be served by
        ``librarians``; ``message`` says why.

    Raises
    ------
    ValueError
        Missing columns or values, duplicated libraries, parameters out of range.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in ("library_id", "pupils", "x", "y") if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(missing)}")
    if frame["library_id"].duplicated().any():
        dup = frame.loc[frame["library_id"].duplicated(), "library_id"].iloc[0]
        raise ValueError(f"library {dup} appears twice")
    ppl = _positive("pupils_per_librarian", pupils_per_librarian)
    cap = _positive("capacity_hours", capacity_hours)
    low = _positive("min_hours", min_hours, allow_zero=True)
    if low >= cap:
        raise ValueError(f"min_hours ({low:g}) must be below capacity_hours ({cap:g})")
    speed = _positive("speed_kmh", speed_kmh)
    detour = _positive("detour_factor", detour_factor)
    if detour < 1:
        raise ValueError(f"detour_factor must be >= 1 (roads are not shorter), got {detour:g}")
    visits = _positive("visits_per_week", visits_per_week)
    k_max = _whole("max_schools", max_schools, 1)
    wanted = _whole("librarians", librarians, 1)
    _positive("time_limit", time_limit)
    _positive("mip_rel_gap", mip_rel_gap, allow_zero=True)

    ids = frame["library_id"]
    pupils = _column(frame, "pupils", ids)
    if (pupils < 0).any():
        raise ValueError("pupils must be >= 0")
    required = np.maximum(low, cap * pupils / ppl)
    alone = (pupils > 0) & (required >= cap - _EPS)
    clustered = (pupils > 0) & ~alone
    excluded = pd.DataFrame(
        {
            "library_id": ids[~clustered].to_numpy(),
            "reason": np.where(alone[~clustered], "staffed_alone", "no_pupils"),
        }
    )
    sub = frame[clustered]
    sub_ids = sub["library_id"]
    xy = np.column_stack([_column(sub, "x", sub_ids), _column(sub, "y", sub_ids)])
    r = required[clustered]
    p_i = pupils[clustered]
    lis = (
        pd.to_numeric(sub["lis_hours_week"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if "lis_hours_week" in sub
        else np.full(len(sub), np.nan)
    )
    n = int(clustered.sum())
    if n == 0:
        raise ValueError("no school with pupils needs less than a full librarian: nothing to share")
    km = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000.0 * detour
    travel = visits * 2.0 * km / speed
    allowed = r[:, None] + travel + r[None, :] <= cap + _EPS
    np.fill_diagonal(allowed, True)
    if k_max == 1:
        allowed = np.eye(n, dtype=bool)
    inst = _Instance(r=r, t=travel, ok=allowed, cap=cap, k_max=k_max)
    lower = max(math.ceil(r.sum() / cap - 1e-9), math.ceil(n / k_max) if k_max else 1)

    stages: list[StageInfo] = []
    if wanted is not None and (wanted < lower or wanted > n):
        reason = (
            f"{n} schools need {r.sum():,.1f} h a week before any travel, at least {lower} "
            f"librarians of {cap:g} h" + (f" (at most {k_max} schools each)" if k_max else "")
            if wanted < lower
            else f"{wanted} librarians for {n} schools: at most one hub per school"
        )
        return _result(
            ids=sub_ids,
            inst=inst,
            hub_of=None,
            km=km,
            pupils=p_i,
            lis=lis,
            excluded=excluded,
            lower=lower,
            heuristic=math.nan,
            status="infeasible",
            message=reason,
            gap=None,
            stages=stages,
        )
    heuristic = _heuristic(inst, None)
    found = None
    if wanted is None:
        p, found, stage = _fewest(inst, lower, heuristic, time_limit, mip_rel_gap)
        if stage is not None:
            stages.append(stage)
    else:
        p = wanted
    plan_start = _start(inst, p, found)
    heuristic_cost = inst.cost(plan_start) if plan_start is not None else math.nan
    hub_of, status, gap, travel_stages = _least_travel(inst, p, plan_start, time_limit, mip_rel_gap)
    stages.extend(travel_stages)
    if hub_of is None:
        message = (
            f"no grouping of the {n} schools into {p} clusters fits in "
            f"{cap:g} h a week per librarian (required hours plus travel)"
            + (f" with at most {k_max} schools each" if k_max else "")
            + f"; the heuristic needs {np.unique(heuristic).size}"
        )
    else:
        message = f"{n} schools in {p} clusters, {inst.cost(hub_of):,.1f} h of travel a week" + (
            "" if gap is None else f" (gap {gap:.2%})"
        )
    return _result(
        ids=sub_ids,
        inst=inst,
        hub_of=hub_of,
        km=km,
        pupils=p_i,
        lis=lis,
        excluded=excluded,
        lower=lower,
        heuristic=heuristic_cost,
        status=status,
        message=message,
        gap=gap,
        stages=stages,
    )


def _result(
    *, ids, inst, hub_of, km, pupils, lis, excluded, lower, heuristic, status, message, gap, stages
) -> ClusterPlan:
    lis_known = np.nan_to_num(lis, nan=0.0)
    fte_before = float(lis_known.sum() / inst.cap)
    at_standard = float(pupils[lis_known >= inst.r - 1e-9].sum())
    gain = {
        "n_schools": inst.n,
        "pupils": float(pupils.sum()),
        "fte_before": fte_before,
        "pupils_at_standard_before": at_standard,
        "pupils_per_fte_before": at_standard / fte_before if fte_before > 0 else math.nan,
        "n_lis_unknown": int(np.isnan(lis).sum()),
        "fte_after": math.nan,
        "pupils_at_standard_after": math.nan,
        "pupils_per_fte_after": math.nan,
    }
    columns = ["hub_id", "n_schools", "pupils", "required_hours", "travel_hours"]
    if hub_of is None:
        assignments = pd.DataFrame(
            columns=[
                "library_id",
                "hub_id",
                "is_hub",
                "pupils",
                "required_hours",
                "km",
                "travel_hours",
                "lis_hours_before",
            ]
        )
        clusters = pd.DataFrame(columns=[*columns, "load_hours", "idle_hours"])
        return ClusterPlan(
            assignments=assignments,
            clusters=clusters,
            excluded=excluded,
            librarians=0,
            lower_bound=int(lower),
            travel_hours=math.nan,
            heuristic_travel_hours=heuristic,
            status=status,
            message=message,
            mip_gap=gap,
            gain=gain,
            stages=tuple(stages),
        )
    idx = np.arange(inst.n)
    id_values = ids.to_numpy()
    assignments = pd.DataFrame(
        {
            "library_id": id_values,
            "hub_id": id_values[hub_of],
            "is_hub": hub_of == idx,
            "pupils": pupils,
            "required_hours": inst.r,
            "km": km[idx, hub_of],
            "travel_hours": inst.t[idx, hub_of],
            "lis_hours_before": lis,
        }
    )
    clusters = (
        assignments.groupby("hub_id", sort=True)
        .agg(
            n_schools=("library_id", "size"),
            pupils=("pupils", "sum"),
            required_hours=("required_hours", "sum"),
            travel_hours=("travel_hours", "sum"),
        )
        .reset_index()
    )
    clusters["load_hours"] = clusters["required_hours"] + clusters["travel_hours"]
    clusters["idle_hours"] = inst.cap - clusters["load_hours"]
    p = len(clusters)
    gain.update(
        {
            "fte_after": float(p),
            "pupils_at_standard_after": float(pupils.sum()),
            "pupils_per_fte_after": float(pupils.sum()) / p,
        }
    )
    return ClusterPlan(
        assignments=assignments,
        clusters=clusters,
        excluded=excluded,
        librarians=p,
        lower_bound=int(lower),
        travel_hours=inst.cost(hub_of),
        heuristic_travel_hours=heuristic,
        status=status,
        message=message,
        mip_gap=gap,
        gain=gain,
        stages=tuple(stages),
    )
