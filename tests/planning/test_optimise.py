"""Tests for planning.optimise.

Oracles:

* brute force over small integer instances: enumerate every allocation of whole blocks
  and pick the lexicographic optimum by hand (maximin: largest minimum, then fewest
  hours moved; target: smallest deviation, then fewest hours moved);
* a second LP written here with ``scipy.optimize.linprog`` in a different variable
  layout (``t`` first, an equality budget, explicit deviation and move variables) for
  continuous random instances;
* hand computation for ``min_cost_to_standard`` and the tie rule.
"""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from planning import optimise
from planning.optimise import (
    DEFAULT_CAP_HOURS,
    STATUSES,
    min_cost_to_standard,
    reallocate_staff_hours,
)

# --------------------------------------------------------------------------- helpers


def make_frame(pupils, hours, *, need=None, floor=None, cap=None, ids=None) -> pd.DataFrame:
    n = len(pupils)
    frame = pd.DataFrame(
        {
            "library_id": ids if ids is not None else [f"L{i}" for i in range(n)],
            "pupils": pupils,
            "staffed_hours_week": hours,
        }
    )
    if need is not None:
        frame["need_weight"] = need
    if floor is not None:
        frame["floor_hours"] = floor
    if cap is not None:
        frame["cap_hours"] = cap
    return frame


def bounds_of(frame, max_change):
    h0 = frame["staffed_hours_week"].to_numpy(float)
    floor = frame.get("floor_hours", pd.Series(0.0, index=frame.index)).to_numpy(float)
    cap = frame.get("cap_hours", pd.Series(DEFAULT_CAP_HOURS, index=frame.index)).to_numpy(float)
    lo, hi = floor.copy(), cap.copy()
    if max_change is not None:
        lo = np.maximum(lo, h0 - max_change)
        hi = np.minimum(hi, h0 + max_change)
    return h0, np.maximum(lo, 0), hi, floor, cap


def q_of(frame, need_weighted=True):
    pupils = frame["pupils"].to_numpy(float)
    weight = (
        frame["need_weight"].to_numpy(float)
        if need_weighted and "need_weight" in frame
        else np.ones(len(frame))
    )
    return pupils * weight / 100.0


def brute_force(frame, *, block, total, max_change, objective, need_weighted=True):
    """Lexicographic optimum by enumeration: (primary optimum, fewest moved, optimal set)."""
    h0, lo, hi, _, _ = bounds_of(frame, max_change)
    q = q_of(frame, need_weighted)
    pos = q > 0
    k_lo = np.ceil(lo / block - 1e-9).astype(int)
    k_hi = np.floor(hi / block + 1e-9).astype(int)
    target_units = total / block
    if (
        any(a > b for a, b in zip(k_lo, k_hi, strict=True))
        or abs(target_units - round(target_units)) > 1e-9
    ):
        return None
    tau = total * q / q.sum() if q.sum() > 0 else np.zeros(len(q))
    candidates = []
    for ks in itertools.product(*[range(a, b + 1) for a, b in zip(k_lo, k_hi, strict=True)]):
        if sum(ks) != round(target_units):
            continue
        hours = block * np.array(ks, dtype=float)
        moved = float(np.abs(hours - h0).sum())
        if objective == "maximin":
            primary = float(np.min(hours[pos] / q[pos])) if pos.any() else 0.0
            primary = -primary  # minimise the negative minimum
        else:
            primary = float(np.abs(hours - tau).sum())
        candidates.append((primary, moved, tuple(hours)))
    if not candidates:
        return None
    best_primary = min(c[0] for c in candidates)
    tol = 1e-9 * max(1.0, abs(best_primary))
    level_set = [c for c in candidates if c[0] <= best_primary + tol]
    best_moved = min(c[1] for c in level_set)
    optimal = {c[2] for c in level_set if c[1] <= best_moved + 1e-9}
    primary = -best_primary if objective == "maximin" else best_primary
    return primary, best_moved, optimal


def check_constraints(result, frame, *, total, max_change=None, block=None, tol=1e-7):
    alloc = result.allocation
    h0, lo, hi, floor, cap = bounds_of(frame, max_change)
    after = alloc["hours_after"].to_numpy(float)
    assert np.all(after >= floor - tol)
    assert np.all(after <= cap + tol)
    assert np.all(after >= lo - tol) and np.all(after <= hi + tol)
    if max_change is not None:
        assert np.all(np.abs(after - h0) <= max_change + tol)
    if block is not None:
        assert np.allclose(after / block, np.round(after / block), atol=1e-9)
    assert after.sum() == pytest.approx(total, abs=tol * max(1, len(after)))
    assert alloc["hours_before"].to_numpy(float) == pytest.approx(h0)
    assert alloc["library_id"].tolist() == frame["library_id"].tolist()


def random_small_instance(rng):
    n = int(rng.integers(1, 5))
    pupils = rng.choice([0, 40, 100, 150, 200, 333, 512], size=n)
    need = rng.choice([1.0, 1.2, 1.5, 2.0], size=n)
    hours = rng.integers(0, 7, size=n).astype(float)
    floor = rng.choice([0.0, 0.0, 1.0, 2.0], size=n)
    cap = rng.integers(3, 11, size=n).astype(float)
    block = float(rng.choice([1.0, 2.0]))
    max_change = [None, None, 1.0, 2.0, 3.0][int(rng.integers(0, 5))]
    # None: cost-neutral (the current total)
    total = None if rng.random() < 0.5 else float(block * rng.integers(0, int(12 // block) + 1))
    frame = make_frame(pupils, hours, need=need, floor=floor, cap=cap)
    return frame, block, max_change, total


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("objective", ["maximin", "target"])
@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_small_integer_instances(objective, seed):
    rng = np.random.default_rng(1000 + seed)
    checked = feasible = 0
    for _ in range(25):
        frame, block, max_change, total = random_small_instance(rng)
        need_weighted = bool(rng.random() < 0.7)
        h_total = frame["staffed_hours_week"].sum() if total is None else total
        expected = brute_force(
            frame,
            block=block,
            total=h_total,
            max_change=max_change,
            objective=objective,
            need_weighted=need_weighted,
        )
        result = reallocate_staff_hours(
            frame,
            total_hours=total,
            need_weighted=need_weighted,
            objective=objective,
            block_hours=block,
            max_change_hours=max_change,
            mip_rel_gap=0.0,
        )
        checked += 1
        if expected is None:
            assert result.status == "infeasible", (frame, block, max_change, total)
            assert result.allocation["hours_after"].isna().all()
            assert result.message.startswith("infeasible: ")
            continue
        feasible += 1
        assert result.status == "optimal", result.message
        primary, moved, optimal_set = expected
        after = tuple(result.allocation["hours_after"].to_numpy(float))
        assert after in optimal_set, (frame, block, max_change, total, after, optimal_set)
        assert result.hours_moved == pytest.approx(moved, abs=1e-9)
        if objective == "maximin":
            q = q_of(frame, need_weighted)
            if (q > 0).any():
                assert result.min_hours_per_100 == pytest.approx(primary, rel=1e-9)
                assert result.objective_value == pytest.approx(primary, rel=1e-9)
            else:
                assert math.isnan(result.objective_value)
        else:
            assert result.objective_value == pytest.approx(primary, abs=1e-7)
        check_constraints(result, frame, total=h_total, max_change=max_change, block=block)
    assert checked == 25 and feasible > 0


# --------------------------------------------------------------------------- independent LP


def independent_maximin(frame, total, max_change):
    """Maximin in a different layout: x = [t, h_1..h_n], equality budget, linprog dual simplex."""
    h0, lo, hi, _, _ = bounds_of(frame, max_change)
    q = q_of(frame)
    n = len(h0)
    pos = np.flatnonzero(q > 0)
    # q_i t - h_i <= 0
    a_ub = sparse.lil_array((pos.size, n + 1))
    for r, i in enumerate(pos):
        a_ub[r, 0] = q[i]
        a_ub[r, 1 + i] = -1.0
    a_eq = np.concatenate([[0.0], np.ones(n)])[None, :]
    c = np.zeros(n + 1)
    c[0] = -1.0
    res = linprog(
        c,
        A_ub=a_ub.tocsr(),
        b_ub=np.zeros(pos.size),
        A_eq=a_eq,
        b_eq=[total],
        bounds=[(0, None)] + list(zip(lo, hi, strict=True)),
        method="highs-ds",
    )
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    t_star = -res.fun
    # stage 2: y = [h, up, down], h - up + down = h0, h_i >= q_i t* (1 - 1e-9)
    lower = np.where(q > 0, np.maximum(lo, q * t_star * (1 - 1e-9)), lo)
    eye = sparse.identity(n, format="csr")
    a_eq2 = sparse.vstack(
        [
            sparse.hstack([eye, -eye, eye]),
            sparse.hstack([sparse.csr_array(np.ones((1, n))), sparse.csr_array((1, 2 * n))]),
        ]
    ).tocsr()
    res2 = linprog(
        np.concatenate([np.zeros(n), np.ones(2 * n)]),
        A_eq=a_eq2,
        b_eq=np.concatenate([h0, [total]]),
        bounds=list(zip(lower, hi, strict=True)) + [(0, None)] * (2 * n),
        method="highs-ds",
    )
    assert res2.status == 0, res2.message
    return t_star, res2.fun


def independent_target(frame, total, max_change):
    """Target model: x = [h, e, d] with e >= |h - tau| and d >= |h - h0|, two linprog calls."""
    h0, lo, hi, _, _ = bounds_of(frame, max_change)
    q = q_of(frame)
    n = len(h0)
    tau = total * q / q.sum()
    eye = sparse.identity(n, format="csr")
    zero = sparse.csr_array((n, n))
    # h - e <= tau ; -h - e <= -tau ; h - d <= h0 ; -h - d <= -h0
    a_ub = sparse.vstack(
        [
            sparse.hstack([eye, -eye, zero]),
            sparse.hstack([-eye, -eye, zero]),
            sparse.hstack([eye, zero, -eye]),
            sparse.hstack([-eye, zero, -eye]),
        ]
    ).tocsr()
    b_ub = np.concatenate([tau, -tau, h0, -h0])
    a_eq = np.concatenate([np.ones(n), np.zeros(2 * n)])[None, :]
    bounds = list(zip(lo, hi, strict=True)) + [(0, None)] * (2 * n)
    res = linprog(
        np.concatenate([np.zeros(n), np.ones(n), np.zeros(n)]),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=[total],
        bounds=bounds,
        method="highs-ds",
    )
    if res.status == 2:
        return None
    dev = res.fun
    row = np.concatenate([np.zeros(n), np.ones(n), np.zeros(n)])[None, :]
    res2 = linprog(
        np.concatenate([np.zeros(2 * n), np.ones(n)]),
        A_ub=sparse.vstack([a_ub, sparse.csr_array(row)]).tocsr(),
        b_ub=np.concatenate([b_ub, [dev + 1e-7]]),
        A_eq=a_eq,
        b_eq=[total],
        bounds=bounds,
        method="highs-ds",
    )
    assert res2.status == 0, res2.message
    return dev, res2.fun


def random_continuous_instance(rng, n):
    pupils = rng.integers(20, 900, size=n).astype(float)
    pupils[rng.random(n) < 0.1] = 0.0
    need = rng.uniform(1.0, 2.0, size=n)
    hours = np.round(rng.lognormal(np.log(0.03), 0.8, size=n) * np.maximum(pupils, 50), 1)
    hours[rng.random(n) < 0.1] = 0.0
    floor = np.where(rng.random(n) < 0.3, rng.uniform(0, 4, n).round(1), 0.0)
    cap = np.where(rng.random(n) < 0.3, rng.uniform(15, 40, n).round(1), 40.0)
    cap = np.maximum(cap, floor)
    frame = make_frame(pupils, hours, need=need, floor=floor, cap=cap)
    max_change = [None, 5.0, 10.0][int(rng.integers(0, 3))]
    total = None if rng.random() < 0.6 else float(hours.sum() * rng.uniform(0.8, 1.2))
    return frame, max_change, total


@pytest.mark.parametrize("n", [5, 20, 80])
@pytest.mark.parametrize("seed", range(8))
def test_maximin_matches_independent_lp(n, seed):
    rng = np.random.default_rng(seed * 31 + n)
    frame, max_change, total = random_continuous_instance(rng, n)
    h_total = float(frame["staffed_hours_week"].sum()) if total is None else total
    result = reallocate_staff_hours(frame, total_hours=total, max_change_hours=max_change)
    expected = independent_maximin(frame, h_total, max_change)
    if expected is None:
        assert result.status == "infeasible"
        return
    t_star, moved = expected
    assert result.status == "optimal", result.message
    assert result.objective_value == pytest.approx(t_star, rel=1e-7)
    assert result.min_hours_per_100 == pytest.approx(t_star, rel=1e-7)
    assert result.hours_moved == pytest.approx(moved, rel=1e-6, abs=1e-6)
    check_constraints(result, frame, total=h_total, max_change=max_change)


@pytest.mark.parametrize("n", [5, 20, 80])
@pytest.mark.parametrize("seed", range(6))
def test_target_matches_independent_lp(n, seed):
    rng = np.random.default_rng(seed * 17 + n)
    frame, max_change, total = random_continuous_instance(rng, n)
    h_total = float(frame["staffed_hours_week"].sum()) if total is None else total
    result = reallocate_staff_hours(
        frame, total_hours=total, max_change_hours=max_change, objective="target"
    )
    expected = independent_target(frame, h_total, max_change)
    if expected is None:
        assert result.status == "infeasible"
        return
    dev, moved = expected
    assert result.status == "optimal", result.message
    assert result.objective_value == pytest.approx(dev, rel=1e-6, abs=1e-6)
    assert result.hours_moved == pytest.approx(moved, rel=1e-5, abs=1e-5)
    check_constraints(result, frame, total=h_total, max_change=max_change)


def block_maximin_by_levels(frame, block, total, max_change):
    """Largest candidate level b*k/q_i whose block requirement fits the budget (bisection)."""
    _, lo, hi, _, _ = bounds_of(frame, max_change)
    q = q_of(frame)
    pos = q > 0
    k_lo, k_hi = np.ceil(lo / block - 1e-9), np.floor(hi / block + 1e-9)
    levels = np.unique(
        np.concatenate(
            [block * np.arange(k_lo[i], k_hi[i] + 1) / q[i] for i in np.flatnonzero(pos)]
        )
    )

    def fits(t):
        need = np.where(pos, np.maximum(k_lo, np.ceil(q * t / block - 1e-9)), k_lo)
        return bool(np.all(need <= k_hi)) and need.sum() <= total / block

    lo_i, hi_i = 0, levels.size - 1
    while lo_i < hi_i:
        mid = (lo_i + hi_i + 1) // 2
        lo_i, hi_i = (mid, hi_i) if fits(levels[mid]) else (lo_i, mid - 1)
    return levels[lo_i]


@pytest.mark.parametrize("seed", range(4))
def test_block_maximin_on_medium_instances_matches_level_search(seed):
    rng = np.random.default_rng(500 + seed)
    frame, _, _ = random_continuous_instance(rng, 300)
    max_change = [None, 6.0][seed % 2]
    frame["staffed_hours_week"] = np.round(frame["staffed_hours_week"])
    frame["floor_hours"] = 2 * np.floor(frame["floor_hours"] / 2)
    frame["cap_hours"] = np.maximum(
        2 * np.floor(frame["cap_hours"] / 2), 2 * np.ceil(frame["staffed_hours_week"] / 2)
    )
    total = 2 * math.floor(frame["staffed_hours_week"].sum() / 2)
    result = reallocate_staff_hours(
        frame, total_hours=total, block_hours=2, max_change_hours=max_change
    )
    assert result.status == "optimal", result.message
    expected = block_maximin_by_levels(frame, 2.0, total, max_change)
    assert result.min_hours_per_100 == pytest.approx(expected, rel=1e-12)
    assert result.solver.mip_gap is not None and result.solver.mip_gap <= 1e-4
    check_constraints(result, frame, total=total, max_change=max_change, block=2.0)
    # stage 2 is the exact minimum of hours moved for that level (canonical greedy vs HiGHS)
    assert result.hours_moved <= result.solver.stages[-1].objective + 1e-6


# --------------------------------------------------------------------------- properties


@pytest.fixture
def medium_frame():
    rng = np.random.default_rng(7)
    frame, _, _ = random_continuous_instance(rng, 120)
    frame["staffed_hours_week"] = np.round(frame["staffed_hours_week"])
    frame["floor_hours"] = np.floor(frame["floor_hours"] / 2) * 2
    frame["cap_hours"] = np.maximum(
        np.floor(frame["cap_hours"] / 2) * 2, 2 * np.ceil(frame["staffed_hours_week"] / 2)
    )
    return frame


@pytest.mark.parametrize("objective", ["maximin", "target"])
@pytest.mark.parametrize(
    ("block", "max_change"), [(None, None), (None, 6.0), (2.0, 6.0), (1.0, None)]
)
def test_every_constraint_respected(medium_frame, objective, block, max_change):
    total = 2 * math.floor(medium_frame["staffed_hours_week"].sum() / 2)
    result = reallocate_staff_hours(
        medium_frame,
        total_hours=total,
        objective=objective,
        block_hours=block,
        max_change_hours=max_change,
    )
    assert result.status == "optimal", result.message
    check_constraints(result, medium_frame, total=total, max_change=max_change, block=block)
    if objective == "maximin":
        levels = result.allocation["hours_per_100_after"].dropna()
        assert levels.min() == pytest.approx(result.min_hours_per_100)
        assert result.min_hours_per_100 >= result.objective_value * (1 - 1e-8)


@pytest.mark.parametrize("objective", ["maximin", "target"])
@pytest.mark.parametrize("block", [None, 2.0])
def test_deterministic(medium_frame, objective, block):
    total = 2 * math.floor(medium_frame["staffed_hours_week"].sum() / 2)
    kwargs = {"total_hours": total, "objective": objective, "block_hours": block}
    first = reallocate_staff_hours(medium_frame, **kwargs)
    second = reallocate_staff_hours(medium_frame.copy(), **kwargs)
    pd.testing.assert_frame_equal(first.allocation, second.allocation)
    assert first.hours_moved == second.hours_moved
    assert first.summary_data == second.summary_data or _same_dict(
        first.summary_data, second.summary_data
    )


def _same_dict(a, b):
    return a.keys() == b.keys() and all(
        (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k]
        for k in a
    )


@pytest.mark.parametrize("block", [None, 2.0])
def test_maximin_allocation_does_not_depend_on_row_order(medium_frame, block):
    total = 2 * math.floor(medium_frame["staffed_hours_week"].sum() / 2)
    base = reallocate_staff_hours(medium_frame, total_hours=total, block_hours=block)
    shuffled = medium_frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    other = reallocate_staff_hours(shuffled, total_hours=total, block_hours=block)
    a = base.allocation.set_index("library_id")["hours_after"]
    b = other.allocation.set_index("library_id")["hours_after"].reindex(a.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-7)


@pytest.mark.parametrize("objective", ["maximin", "target"])
@pytest.mark.parametrize("block", [None, 1.0])
def test_cost_neutral_by_default(medium_frame, objective, block):
    result = reallocate_staff_hours(medium_frame, objective=objective, block_hours=block)
    before = medium_frame["staffed_hours_week"].sum()
    assert result.allocation["hours_after"].sum() == pytest.approx(before, abs=1e-6)
    assert result.summary_data["cost_neutral"]
    assert result.summary_data["hours_gained"] == pytest.approx(
        result.summary_data["hours_lost"], abs=1e-6
    )
    assert result.hours_moved == pytest.approx(
        result.summary_data["hours_gained"] + result.summary_data["hours_lost"]
    )


def test_total_hours_changes_the_total(medium_frame):
    before = medium_frame["staffed_hours_week"].sum()
    result = reallocate_staff_hours(medium_frame, total_hours=before + 50)
    assert result.allocation["hours_after"].sum() == pytest.approx(before + 50)
    assert not result.summary_data["cost_neutral"]
    assert result.summary_data["hours_gained"] - result.summary_data["hours_lost"] == (
        pytest.approx(50)
    )


def test_need_weighting_changes_the_levels():
    frame = make_frame([100, 100], [10, 10], need=[1.0, 2.0])
    weighted = reallocate_staff_hours(frame)
    # equal hours per 100 need-weighted pupils: 20 h split 1:2
    assert weighted.allocation["hours_after"].tolist() == pytest.approx([20 / 3, 40 / 3])
    assert weighted.min_hours_per_100 == pytest.approx(20 / 3)
    plain = reallocate_staff_hours(frame, need_weighted=False)
    assert plain.allocation["hours_after"].tolist() == pytest.approx([10, 10])
    assert plain.hours_moved == pytest.approx(0)
    assert plain.allocation["need_weight"].tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------- ties


def test_hours_are_taken_evenly_from_the_top():
    # C (no hours) may gain at most 2 h; A and B are equally rich: each gives 1 h
    frame = make_frame([100, 100, 100], [10, 10, 0])
    result = reallocate_staff_hours(frame, max_change_hours=2)
    assert result.allocation["hours_after"].tolist() == pytest.approx([9, 9, 2])
    assert result.hours_moved == pytest.approx(4)
    # A is richer: it alone gives the 2 h
    frame = make_frame([100, 100, 100], [12, 10, 0])
    result = reallocate_staff_hours(frame, max_change_hours=2)
    assert result.allocation["hours_after"].tolist() == pytest.approx([10, 10, 2])


def test_blocks_are_taken_from_the_top():
    frame = make_frame([100, 100, 100, 100], [10, 10, 14, 0])
    result = reallocate_staff_hours(frame, max_change_hours=4, block_hours=2)
    # D gains 4 h; the richest (C at 14) gives 4 down to 10, A and B stay
    assert result.allocation["hours_after"].tolist() == [10, 10, 10, 4]


def test_libraries_without_pupils_give_first():
    frame = make_frame([100, 100, 0], [10, 0, 5])
    result = reallocate_staff_hours(frame, max_change_hours=2)
    assert result.allocation["hours_after"].tolist() == pytest.approx([10, 2, 3])
    assert result.min_hours_per_100 == pytest.approx(2)
    assert math.isnan(result.allocation["hours_per_100_after"].iloc[2])


# --------------------------------------------------------------------------- degenerate


def test_zero_pupils_are_excluded_from_the_minimum():
    frame = make_frame([0, 100, 100], [0, 4, 6], floor=[1, 0, 0])
    result = reallocate_staff_hours(frame)
    assert result.status == "optimal"
    after = result.allocation["hours_after"].tolist()
    assert after == pytest.approx([1, 4.5, 4.5])  # floor kept, rest levelled
    assert result.min_hours_per_100 == pytest.approx(4.5)
    assert result.summary_data["n_libraries_without_pupils"] == 1


@pytest.mark.parametrize("objective", ["maximin", "target"])
def test_all_libraries_without_pupils(objective):
    frame = make_frame([0, 0], [3, 5])
    result = reallocate_staff_hours(frame, objective=objective)
    assert result.status == "optimal"
    assert result.hours_moved == pytest.approx(0)
    assert math.isnan(result.min_hours_per_100)
    if objective == "maximin":
        assert math.isnan(result.objective_value)
        assert "no library has pupils" in result.message


@pytest.mark.parametrize("block", [None, 2.0])
def test_one_library(block):
    frame = make_frame([250], [6])
    result = reallocate_staff_hours(frame, block_hours=block)
    assert result.allocation["hours_after"].tolist() == [6]
    assert result.hours_moved == 0
    assert result.min_hours_per_100 == pytest.approx(2.4)
    more = reallocate_staff_hours(frame, total_hours=10, block_hours=block)
    assert more.allocation["hours_after"].tolist() == pytest.approx([10])
    assert more.hours_moved == pytest.approx(4)


@pytest.mark.parametrize("objective", ["maximin", "target"])
@pytest.mark.parametrize("block", [None, 2.0])
def test_all_equal_nothing_moves(objective, block):
    frame = make_frame([200] * 5, [8] * 5, need=[1.3] * 5)
    result = reallocate_staff_hours(frame, objective=objective, block_hours=block)
    assert result.status == "optimal"
    assert result.hours_moved == pytest.approx(0, abs=1e-9)
    assert result.allocation["hours_after"].tolist() == pytest.approx([8] * 5)
    assert result.summary_data["n_gainers"] == 0
    assert result.summary_data["n_losers"] == 0


def test_current_above_default_cap_is_brought_down():
    frame = make_frame([100, 100], [50, 10])
    result = reallocate_staff_hours(frame)
    assert result.allocation["hours_after"].max() <= DEFAULT_CAP_HOURS + 1e-9
    assert result.allocation["hours_after"].sum() == pytest.approx(60)


# --------------------------------------------------------------------------- infeasible


@pytest.mark.parametrize(
    ("frame_kwargs", "kwargs", "needle"),
    [
        (
            {"floor": [60, 60], "cap": [100, 100]},
            {"total_hours": 100},
            "sum of floor_hours 120 exceeds total_hours 100",
        ),
        ({"cap": [30, 50]}, {"total_hours": 100}, "sum of cap_hours 80 is below total_hours 100"),
        ({}, {"total_hours": 50, "max_change_hours": 5}, "max_change_hours 5 cannot move enough"),
        ({}, {"total_hours": 2, "max_change_hours": 5}, "max_change_hours 5 cannot move enough"),
        ({"floor": [30, 0], "cap": [20, 40]}, {}, "floor_hours exceeds cap_hours for library L0"),
        ({"cap": [4, 40]}, {"max_change_hours": 2}, "cannot bring library L0 from 10 h down"),
        ({"floor": [0, 20]}, {"max_change_hours": 2}, "cannot bring library L1 from 6 h up"),
        (
            {"cap": [4, 1]},
            {"max_change_hours": 2, "total_hours": 5},
            "cannot bring library L0 from 10 h down to its cap_hours 4 (also L1)",
        ),
        ({}, {"block_hours": 3}, "total_hours 16 is not a whole multiple of block_hours 3"),
        (
            {"floor": [3, 0], "cap": [3, 40]},
            {"block_hours": 2},
            "no multiple of block_hours 2 lies between",
        ),
        (
            {"floor": [1, 1]},
            {"block_hours": 2, "total_hours": 2},
            "with block_hours 2 the smallest allowed allocations",
        ),
    ],
)
def test_infeasible_names_the_binding_constraint(frame_kwargs, kwargs, needle):
    frame = make_frame([100, 200], [10, 6], **frame_kwargs)
    result = reallocate_staff_hours(frame, **kwargs)
    assert result.status == "infeasible"
    assert needle in result.message, result.message
    assert result.allocation["hours_after"].isna().all()
    assert math.isnan(result.hours_moved)
    assert math.isnan(result.objective_value)
    assert result.solver.stages == ()


def test_statuses_are_documented(medium_frame):
    assert reallocate_staff_hours(medium_frame).status in STATUSES


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda f: f.drop(columns="pupils"), "required column"),
        (lambda f: f.assign(pupils=[-1, 100]), "pupils must not be negative"),
        (lambda f: f.assign(staffed_hours_week=[-1.0, 2.0]), "must not be negative"),
        (lambda f: f.assign(staffed_hours_week=[np.nan, 2.0]), "staffed_hours_week is missing"),
        (lambda f: f.assign(pupils=["many", 100]), "pupils is not a number"),
        (lambda f: f.assign(library_id=["A", "A"]), "duplicate library_id: A"),
        (lambda f: f.assign(library_id=[None, "A"]), "library_id is missing"),
        (lambda f: f.assign(need_weight=[0.0, 1.0]), "need_weight must be > 0"),
        (lambda f: f.assign(floor_hours=[-2.0, 0.0]), "floor_hours must not be negative"),
        (lambda f: f.iloc[:0], "no rows"),
    ],
)
def test_malformed_frames_raise(mutate, needle):
    frame = mutate(make_frame([100, 200], [10.0, 6.0]))
    with pytest.raises(ValueError, match=needle):
        reallocate_staff_hours(frame)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"objective": "fair"},
        {"block_hours": 0},
        {"max_change_hours": -1},
        {"total_hours": -5},
        {"total_hours": float("nan")},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        reallocate_staff_hours(make_frame([100, 200], [10, 6]), **kwargs)


def test_missing_optional_values_take_defaults():
    frame = make_frame([100, 100], [10, 0], need=[np.nan, 1.0], cap=[np.nan, 5])
    result = reallocate_staff_hours(frame)
    assert result.allocation["need_weight"].tolist() == [1.0, 1.0]
    assert result.allocation["upper_bound_hours"].tolist() == [DEFAULT_CAP_HOURS, 5.0]
    assert result.allocation["hours_after"].tolist() == pytest.approx([5, 5])


# --------------------------------------------------------------------------- reporting


def test_solver_info_and_summary(medium_frame):
    total = 2 * math.floor(medium_frame["staffed_hours_week"].sum() / 2)
    lp = reallocate_staff_hours(medium_frame, total_hours=total)
    assert [s.name for s in lp.solver.stages] == ["maximin", "min_moved"]
    assert all(s.model == "LP" for s in lp.solver.stages)
    assert lp.solver.mip_gap is None
    assert lp.solver.name == "HiGHS"
    mip = reallocate_staff_hours(medium_frame, total_hours=total, block_hours=2)
    assert all(s.model == "MILP" for s in mip.solver.stages)
    assert mip.solver.mip_gap is not None and mip.solver.mip_gap <= 1e-4
    assert mip.solver.stages[0].bound == pytest.approx(mip.objective_value)
    s = mip.summary_data
    alloc = mip.allocation
    change = alloc["hours_after"] - alloc["hours_before"]
    assert s["n_gainers"] == int((change > 1e-6).sum())
    assert s["n_losers"] == int((change < -1e-6).sum())
    assert s["n_gainers"] + s["n_losers"] + s["n_unchanged"] == len(alloc)
    assert s["hours_moved"] == pytest.approx(change.abs().sum())
    assert s["largest_gain_hours"] == pytest.approx(change.max())
    assert s["min_hours_per_100_after"] == pytest.approx(mip.min_hours_per_100)
    assert s["min_hours_per_100_after"] >= s["min_hours_per_100_before"]
    assert s["gini_after"] <= s["gini_before"]
    assert s["total_hours_after"] == pytest.approx(total)
    assert "hours moved" in mip.message


def test_module_doctests():
    failures, _ = doctest.testmod(optimise, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


# --------------------------------------------------------------------------- min cost to standard


def test_kb_20h_by_hand():
    frame = make_frame([300, 100, 0, 50], [10, 25, 5, 19], ids=["A", "B", "C", "D"])
    result = min_cost_to_standard(frame, standard="kb_20h", hourly_cost_sek=400)
    table = result.table.set_index("library_id")
    assert table.loc["A", "extra_hours_week"] == 10
    assert table.loc["A", "cost_sek_per_year"] == 10 * 400 * 40
    assert table.loc["B", "extra_hours_week"] == 0
    assert table.loc["C", "extra_hours_week"] == 15
    assert table.loc["D", "cost_sek_per_year"] == 1 * 400 * 40
    # per krona: D 50/16000 > A 300/160000 > C 0/240000; B meets the standard
    assert result.table["library_id"].tolist() == ["D", "A", "C", "B"]
    assert result.table["rank"].tolist()[:3] == [1, 2, 3]
    assert pd.isna(result.table["rank"].iloc[3])
    assert table.loc["D", "pupils_per_sek"] == pytest.approx(50 / 16_000)
    assert result.table["cumulative_cost_sek"].tolist() == [16_000, 176_000, 416_000, 416_000]
    assert result.table["cumulative_pupils_reached"].tolist() == [50, 350, 350, 350]
    totals = result.totals
    assert totals["extra_hours_week"] == 26
    assert totals["cost_sek_per_year"] == 26 * 400 * 40
    assert totals["pupils_reached"] == 350
    assert totals["n_below_standard"] == 3
    assert totals["n_below_standard_without_pupils"] == 1
    assert totals["extra_fte"] == pytest.approx(26 / 40)
    assert totals["share_of_pupils_reached"] == pytest.approx(350 / 450)


def test_lis_1_per_300_by_hand():
    frame = make_frame([300, 150, 600], [40, 40, 40], ids=["A", "B", "C"])
    frame["lis_hours_week"] = [20.0, 25.0, 100.0]
    result = min_cost_to_standard(
        frame, standard="lis_1_per_300", hourly_cost_sek=500, weeks_per_year=45
    )
    table = result.table.set_index("library_id")
    assert table.loc["A", "required_hours"] == pytest.approx(40)
    assert table.loc["A", "extra_hours_week"] == pytest.approx(20)
    assert table.loc["B", "required_hours"] == pytest.approx(20)
    assert table.loc["B", "extra_hours_week"] == 0
    assert table.loc["C", "required_hours"] == pytest.approx(80)
    assert table.loc["C", "extra_hours_week"] == 0
    assert result.totals["cost_sek_per_year"] == pytest.approx(20 * 500 * 45)
    assert result.standard.hours_column == "lis_hours_week"


def test_user_standards_by_hand():
    frame = make_frame([200, 400], [3, 10], ids=["A", "B"])
    per_pupil = min_cost_to_standard(frame, standard="user", value=2, hourly_cost_sek=300)
    table = per_pupil.table.set_index("library_id").loc[["A", "B"]]
    assert table["required_hours"].tolist() == pytest.approx([4, 8])
    assert table["extra_hours_week"].tolist() == pytest.approx([1, 0])
    assert per_pupil.totals["cost_sek_per_year"] == pytest.approx(1 * 300 * 40)
    assert "per 100 pupils" in per_pupil.totals["description_en"]
    flat = min_cost_to_standard(
        frame, standard="user", value=12, unit="hours_per_week", hourly_cost_sek=300
    )
    table = flat.table.set_index("library_id").loc[["A", "B"]]
    assert table["extra_hours_week"].tolist() == pytest.approx([9, 2])
    # B: 400 pupils for 2 h beats A: 200 pupils for 9 h
    assert flat.table["library_id"].tolist() == ["B", "A"]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"standard": "kb_20h", "value": 3}, "only used with standard 'user'"),
        ({"standard": "user"}, "needs a finite value"),
        ({"standard": "user", "value": 2, "unit": "fte"}, "unit must be one of"),
        ({"standard": "lis_1_per_300"}, "lis_hours_week"),
        ({"standard": "kb_20h", "hourly_cost_sek": 0}, "hourly_cost_sek"),
        ({"standard": "kb_20h", "weeks_per_year": -1}, "weeks_per_year"),
        ({"standard": "gold"}, "standard must be one of"),
    ],
)
def test_min_cost_validation(kwargs, needle):
    frame = make_frame([100], [5])
    kwargs = {"hourly_cost_sek": 400, **kwargs}
    with pytest.raises(ValueError, match=needle):
        min_cost_to_standard(frame, **kwargs)


def test_min_cost_rejects_missing_hours():
    frame = make_frame([100, 50], [5, np.nan])
    with pytest.raises(ValueError, match="staffed_hours_week is missing for library L1"):
        min_cost_to_standard(frame, standard="kb_20h", hourly_cost_sek=400)


def test_numpy_scalars_are_accepted():
    frame = make_frame([100, 300], [4, 4])
    result = reallocate_staff_hours(
        frame, total_hours=np.int64(8), block_hours=np.float64(2), max_change_hours=np.int32(4)
    )
    assert result.status == "optimal"
    assert result.allocation["hours_after"].tolist() == [2, 6]


def test_block_stage_one_falls_back_to_the_exact_bound(medium_frame, monkeypatch):
    total = 2 * math.floor(medium_frame["staffed_hours_week"].sum() / 2)
    expected = reallocate_staff_hours(medium_frame, total_hours=total, block_hours=2)
    real = optimise._run_milp
    calls = []

    def stalled_first_stage(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # stage 1: HiGHS hits its time limit without a solution
            return "error", "Time limit reached.", None, None
        return real(*args, **kwargs)

    monkeypatch.setattr(optimise, "_run_milp", stalled_first_stage)
    result = reallocate_staff_hours(medium_frame, total_hours=total, block_hours=2)
    assert result.status == "optimal"
    assert "bound is attained" in result.solver.stages[0].message
    assert result.objective_value == expected.objective_value
    pd.testing.assert_frame_equal(result.allocation, expected.allocation)


@pytest.mark.parametrize("kwargs", [{"time_limit": 0}, {"mip_rel_gap": 1.5}])
def test_bad_solver_options_raise(kwargs):
    with pytest.raises(ValueError, match="time_limit"):
        reallocate_staff_hours(make_frame([100], [4]), **kwargs)
