"""Tests for metrics.equity.

Oracles: PySAL ``inequality`` 1.1.2 (unweighted Gini, Theil, TheilD, Atkinson), the
same statistics on pupil-replicated data (``np.repeat``) for the weighted versions,
numpy's weighted ``inverted_cdf`` quantile for percentiles, and hand-worked
examples from docs/notes (McLoone, Verstegen, Palma).
"""

from __future__ import annotations

import doctest
import math
import subprocess
import sys
from pathlib import Path

import hypothesis.strategies as st
import inequality.atkinson
import inequality.gini
import inequality.theil
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from metrics import equity
from metrics.equity import (
    atkinson,
    coefficient_of_variation,
    equity_summary,
    federal_range_ratio,
    gini,
    mcloone,
    palma,
    restricted_range,
    theil,
    theil_decomposition,
    verstegen,
    weighted_percentile,
)

RTOL = 1e-9
ATOL = 1e-12
SEEDS = [0, 1, 2, 7, 42, 2024]

# Reference data from the notes (metrics-and-optimisation.md, section 1).
ONE_TO_TEN = np.arange(1, 11, dtype=float)
SCHOOL_X = [0.05, 0.10, 0.02, 0.08, 0.20, 0.01]
SCHOOL_P = [400, 250, 600, 300, 100, 350]
# Published McLoone example (posit community forum).
FORUM_X = [1000, 200, 100, 60, 45, 24]
FORUM_P = [2, 4, 6, 6, 8, 12]


def _stat_functions():
    """Scalar statistics that take (values, weights) -> float."""
    return {
        "gini": gini,
        "theil": theil,
        "atkinson_0_5": lambda x, w=None: atkinson(x, 0.5, w),
        "atkinson_1": lambda x, w=None: atkinson(x, 1.0, w),
        "atkinson_2": lambda x, w=None: atkinson(x, 2.0, w),
        "coefficient_of_variation": coefficient_of_variation,
        "mcloone": mcloone,
        "verstegen": verstegen,
        "federal_range_ratio": federal_range_ratio,
        "restricted_range": restricted_range,
        "palma": palma,
        "median": lambda x, w=None: weighted_percentile(x, 50, w),
    }


STATS = _stat_functions()


def _random_data(seed: int, n: int = 40, zeros: bool = False, zero_weights: bool = True):
    """Positive values with ties, integer weights (some zero), and a grouping."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.lognormal(mean=0.0, sigma=0.8, size=n), 2)
    x[: n // 5] = x[n // 5 : 2 * (n // 5)]  # force ties
    rng.shuffle(x)
    if zeros:
        x[rng.choice(n, size=3, replace=False)] = 0.0
    low = 0 if zero_weights else 1
    w = rng.integers(low, 25, size=n)
    w[0] = max(w[0], 1)
    groups = rng.choice(np.array(["north", "south", "east", "west"]), size=n)
    return x, w, groups


# --- reference vectors


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("range", 9.0),
        ("restricted_range", 9.0),
        ("federal_range_ratio", 9.0),
        ("coefficient_of_variation", 0.522233),
        ("mcloone", 0.6),
        ("verstegen", 1.6),
        ("gini", 0.3),
        ("theil", 0.151303),
        ("atkinson_0_5", 0.082139),
        ("atkinson_1", 0.176595),
        ("atkinson_2", 0.379242),
        ("palma", 1.0),
        ("p5", 1.0),
        ("p95", 10.0),
        ("median", 5.0),
        ("mean", 5.5),
    ],
)
def test_one_to_ten_vector(name, expected):
    assert equity_summary(ONE_TO_TEN)[name] == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize(
    ("name", "expected", "tol"),
    [
        ("mean", 0.05225, 1e-12),
        ("p5", 0.01, 0.0),
        ("median", 0.05, 0.0),
        ("p95", 0.10, 0.0),
        ("restricted_range", 0.09, 1e-12),
        ("federal_range_ratio", 9.0, 1e-12),
        ("coefficient_of_variation", 0.880682, 5e-7),
        ("mcloone", 0.36, 1e-12),  # 18 / (0.05 * 1000)
        ("verstegen", 1.73, 1e-12),  # 86.5 / (0.05 * 1000)
        ("gini", 0.442943, 5e-7),
        ("theil", 0.335946, 5e-7),
        ("atkinson_0_5", 0.164293, 5e-7),
        ("atkinson_1", 0.312090, 5e-7),
        ("palma", 2.4, 1e-12),  # 30 / 12.5
        ("range", 0.19, 1e-12),
        ("min", 0.01, 0.0),
        ("max", 0.20, 0.0),
        ("total_weight", 2000.0, 0.0),
        ("n", 6, 0.0),
    ],
)
def test_school_example_vector(name, expected, tol):
    assert equity_summary(SCHOOL_X, SCHOOL_P)[name] == pytest.approx(expected, abs=tol)


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        (gini, 0.442943),
        (coefficient_of_variation, 0.880682),
        (federal_range_ratio, 9.0),
        (mcloone, 0.36),
        (verstegen, 1.73),
        (palma, 2.4),
    ],
)
def test_school_example_public_functions(func, expected):
    assert func(SCHOOL_X, SCHOOL_P) == pytest.approx(expected, abs=5e-7)


# --- McLoone / Verstegen / Palma


def test_mcloone_published_example():
    # Sorted: 24 x12, 45 x8, ... ; W = 38, half = 19, median 45 (cum share 20/38 >= .5).
    # Bottom 19 pupils: 12 * 24 + 7 * 45 = 603  ->  603 / (45 * 19).
    assert mcloone(FORUM_X, FORUM_P) == pytest.approx(603 / (45 * 19), rel=RTOL)
    assert round(mcloone(FORUM_X, FORUM_P), 4) == 0.7053
    assert weighted_percentile(FORUM_X, 50, FORUM_P) == 45.0


def test_verstegen_published_example():
    # Top 19 pupils: 1 * 45 + 6 * 60 + 6 * 100 + 4 * 200 + 2 * 1000 = 3805.
    assert verstegen(FORUM_X, FORUM_P) == pytest.approx(3805 / (45 * 19), rel=RTOL)


@pytest.mark.parametrize(
    ("x", "w", "expected_mcloone", "expected_verstegen"),
    [
        # equal values -> both exactly 1
        ([3.0, 3.0, 3.0], [5, 1, 2], 1.0, 1.0),
        # two pupils, unweighted: median = 1 (lower), bottom = 1, top = 3
        ([1.0, 3.0], None, 1.0, 3.0),
        # straddling school on the median: x=[1,2,4], w=[1,2,1], W=4, half=2, median 2
        # bottom: 1*1 + 1*2 = 3 -> 3/(2*2); top: 1*2 + 1*4 = 6 -> 6/(2*2)
        ([1.0, 2.0, 4.0], [1, 2, 1], 0.75, 1.5),
        # order of input rows does not matter
        ([4.0, 1.0, 2.0], [1, 1, 2], 0.75, 1.5),
    ],
)
def test_mcloone_verstegen_hand_worked(x, w, expected_mcloone, expected_verstegen):
    assert mcloone(x, w) == pytest.approx(expected_mcloone, rel=RTOL)
    assert verstegen(x, w) == pytest.approx(expected_verstegen, rel=RTOL)


@pytest.mark.parametrize(
    ("x", "w", "expected"),
    [
        (SCHOOL_X, SCHOOL_P, 30 / 12.5),
        (ONE_TO_TEN, None, 10 / 10),
        ([2.0, 2.0], [3, 7], 1 / 4),  # equal values: 10 % / 40 %
        # W = 10: bottom 4 pupils = 1*2 + 2*2 = 6 (school 2 split 2 of 5),
        # top 1 pupil = 10 (school 3 has exactly one pupil) -> 10 / 6
        ([1.0, 2.0, 10.0], [2, 5, 3], (1 * 10.0) / (2 * 1.0 + 2 * 2.0)),
        # 90 % boundary inside the top school: W=20, top 2 pupils of a school of 5 at 8
        ([1.0, 4.0, 8.0], [8, 7, 5], (2 * 8.0) / (8 * 1.0)),
    ],
)
def test_palma_hand_worked(x, w, expected):
    assert palma(x, w) == pytest.approx(expected, rel=RTOL)


# --- against PySAL (unweighted)

PYSAL_VECTORS = [
    np.array([1, 2, 3, 4, 5], dtype=float),
    np.array([10, 20, 30, 40, 50], dtype=float),
    np.array([3, 3, 3, 3], dtype=float),
    np.array(SCHOOL_X),
    ONE_TO_TEN,
    *[_random_data(seed)[0] for seed in SEEDS],
]
PYSAL_IDS = ["1..5", "10..50", "equal", "school", "1..10", *[f"seed{s}" for s in SEEDS]]


@pytest.mark.parametrize("x", PYSAL_VECTORS, ids=PYSAL_IDS)
def test_gini_matches_pysal(x):
    assert gini(x) == pytest.approx(inequality.gini.Gini(x).g, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("x", PYSAL_VECTORS, ids=PYSAL_IDS)
def test_theil_matches_pysal(x):
    assert theil(x) == pytest.approx(float(inequality.theil.Theil(x).T), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("epsilon", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("x", PYSAL_VECTORS, ids=PYSAL_IDS)
def test_atkinson_matches_pysal(x, epsilon):
    expected = inequality.atkinson.atkinson(x, epsilon)
    assert atkinson(x, epsilon) == pytest.approx(expected, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize(
    "x",
    [np.array([0, 0, 0, 10], dtype=float), _random_data(3, zeros=True)[0]],
    ids=["0-0-0-10", "random-with-zeros"],
)
def test_gini_theil_with_zeros_match_pysal(x):
    # PySAL replaces zeros by a tiny number; 0 * ln 0 = 0 gives the same result.
    assert gini(x) == pytest.approx(inequality.gini.Gini(x).g, rel=RTOL)
    assert theil(x) == pytest.approx(float(inequality.theil.Theil(x).T), rel=RTOL)


def test_theil_zeros_known_values():
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75, rel=RTOL)
    assert theil([0, 0, 0, 10]) == pytest.approx(math.log(4), rel=RTOL)


def test_theil_decomposition_notes_vector():
    result = theil_decomposition([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1])
    assert set(result) == {"total", "between", "within"}
    assert result["total"] == pytest.approx(0.1293825, abs=5e-8)
    assert result["between"] == pytest.approx(0.0948776, abs=5e-8)
    assert result["within"] == pytest.approx(0.0345049, abs=5e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_theil_decomposition_matches_pysal(seed):
    x, _, groups = _random_data(seed)
    codes = pd.factorize(groups)[0]
    ref = inequality.theil.TheilD(x, codes)
    result = theil_decomposition(x, groups)
    assert result["total"] == pytest.approx(float(ref.T), rel=RTOL)
    assert result["between"] == pytest.approx(float(np.squeeze(ref.bg)), rel=RTOL, abs=ATOL)
    assert result["within"] == pytest.approx(float(np.squeeze(ref.wg)), rel=RTOL, abs=ATOL)
    assert result["between"] + result["within"] == pytest.approx(result["total"], rel=RTOL)


# --- weighted == repeated


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(STATS))
def test_weighted_equals_repeated(seed, name):
    x, w, _ = _random_data(seed)
    func = STATS[name]
    assert func(x, w) == pytest.approx(func(np.repeat(x, w)), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("name", "oracle"),
    [
        ("gini", lambda y: inequality.gini.Gini(y).g),
        ("theil", lambda y: float(inequality.theil.Theil(y).T)),
        ("atkinson_0_5", lambda y: inequality.atkinson.atkinson(y, 0.5)),
        ("atkinson_1", lambda y: inequality.atkinson.atkinson(y, 1.0)),
        ("atkinson_2", lambda y: inequality.atkinson.atkinson(y, 2.0)),
    ],
)
def test_weighted_equals_pysal_on_repeated(seed, name, oracle):
    x, w, _ = _random_data(seed)
    assert STATS[name](x, w) == pytest.approx(oracle(np.repeat(x, w)), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_with_zero_values_equals_repeated(seed):
    x, w, _ = _random_data(seed, zeros=True)
    for name in ["gini", "theil", "atkinson_0_5", "coefficient_of_variation", "palma"]:
        func = STATS[name]
        assert func(x, w) == pytest.approx(func(np.repeat(x, w)), rel=RTOL, abs=ATOL), name


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_theil_decomposition_equals_pysal_on_repeated(seed):
    x, w, groups = _random_data(seed)
    codes = pd.factorize(groups)[0]
    ref = inequality.theil.TheilD(np.repeat(x, w), np.repeat(codes, w))
    result = theil_decomposition(x, groups, w)
    assert result["total"] == pytest.approx(float(ref.T), rel=RTOL)
    assert result["between"] == pytest.approx(float(np.squeeze(ref.bg)), rel=RTOL, abs=ATOL)
    assert result["within"] == pytest.approx(float(np.squeeze(ref.wg)), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_summary_weighted_equals_repeated(seed):
    x, w, _ = _random_data(seed)
    weighted = equity_summary(x, w)
    repeated = equity_summary(np.repeat(x, w))
    assert weighted["n"] == int((w > 0).sum())
    assert repeated["n"] == int(w.sum())
    for key in set(weighted) - {"n"}:
        assert weighted[key] == pytest.approx(repeated[key], rel=RTOL, abs=ATOL), key


# --- percentiles


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [0, 0.5, 1, 5, 10, 25, 33.3, 40, 50, 60, 75, 90, 95, 99, 100])
def test_weighted_percentile_matches_numpy(seed, p):
    x, w, _ = _random_data(seed)
    expected = np.quantile(x, p / 100, weights=w, method="inverted_cdf")
    assert weighted_percentile(x, p, w) == expected
    assert weighted_percentile(x, p) == np.quantile(x, p / 100, method="inverted_cdf")
    assert weighted_percentile(x, p, w) == weighted_percentile(np.repeat(x, w), p)


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 0.01), (5, 0.01), (17.5, 0.01), (17.6, 0.02), (50, 0.05), (95, 0.10), (100, 0.20)],
)
def test_weighted_percentile_school_example(p, expected):
    # cumulative shares (sorted): .175 .475 .675 .825 .95 1.0
    assert weighted_percentile(SCHOOL_X, p, SCHOOL_P) == expected


@pytest.mark.parametrize("p", [-1, 100.01, float("nan")])
def test_weighted_percentile_rejects_bad_p(p):
    with pytest.raises(ValueError, match="p must be between 0 and 100"):
        weighted_percentile([1, 2, 3], p)


# --- errors and edge cases

ALL_FUNCTIONS = [
    *STATS.values(),
    lambda x, w=None: weighted_percentile(x, 50, w),
    lambda x, w=None: theil_decomposition(x, ["a"] * len(x), w),
    equity_summary,
]


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
@pytest.mark.parametrize(
    ("x", "w", "message"),
    [
        ([1.0, -0.5, 2.0], None, "values must be non-negative"),
        ([1.0, 2.0, 3.0], [1, -1, 1], "weights must be non-negative"),
        ([1.0, 2.0, 3.0], [1, 2], "same length"),
        ([], None, "no observations left"),
        ([np.nan, np.nan], None, "no observations left"),
        ([1.0, 2.0], [np.nan, np.nan], "no observations left"),
        ([1.0, 2.0], [0, 0], "total weight is zero"),
        ([1.0, np.inf], None, "values must be finite"),
        ([1.0, 2.0], [1, np.inf], "weights must be finite"),
        ([[1.0, 2.0], [3.0, 4.0]], None, "one-dimensional"),
    ],
    ids=[
        "negative-value",
        "negative-weight",
        "length-mismatch",
        "empty",
        "all-nan-values",
        "all-nan-weights",
        "zero-weights",
        "inf-value",
        "inf-weight",
        "2d",
    ],
)
def test_invalid_input_raises(func, x, w, message):
    with pytest.raises(ValueError, match=message):
        func(x, w)


@pytest.mark.parametrize("epsilon", [1.0, 1.5, 2.0])
def test_atkinson_zero_value_with_high_epsilon_raises(epsilon):
    with pytest.raises(ValueError, match=r"undefined when a value is zero"):
        atkinson([0.0, 1.0, 2.0], epsilon)


def test_atkinson_zero_value_with_low_epsilon_is_fine():
    # (sum (1/3) (x/mu)^0.5)^2 with x/mu = 0, 1, 2
    expected = 1 - ((1 + math.sqrt(2)) / 3) ** 2
    assert atkinson([0.0, 1.0, 2.0], 0.5) == pytest.approx(expected, rel=RTOL)


def test_atkinson_zero_weight_zero_value_is_ignored():
    # A zero value with zero weight represents no pupils, so epsilon = 1 is defined.
    assert atkinson([0.0, 1.0, 2.0], 1.0, [0, 1, 1]) == pytest.approx(atkinson([1.0, 2.0], 1.0))


@pytest.mark.parametrize("epsilon", [-0.5, float("nan")])
def test_atkinson_rejects_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match="epsilon must be non-negative"):
        atkinson([1.0, 2.0], epsilon)


def test_summary_atkinson_high_epsilon_nan_with_zeros():
    s = equity_summary([0.0, 1.0, 2.0])
    assert math.isnan(s["atkinson_1"])
    assert math.isnan(s["atkinson_2"])
    assert s["atkinson_0_5"] == pytest.approx(atkinson([0.0, 1.0, 2.0], 0.5))


@pytest.mark.parametrize(
    ("x", "w", "n", "n_dropped"),
    [
        ([1.0, np.nan, 3.0, 4.0], None, 3, 1),
        ([1.0, 2.0, 3.0, 4.0], [1, np.nan, 1, 1], 3, 1),
        ([np.nan, 2.0, 3.0, 4.0], [1, np.nan, 1, 1], 2, 2),
        ([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 1], 3, 0),  # zero weight: not used, not "dropped"
    ],
)
def test_nan_rows_dropped_and_counted(x, w, n, n_dropped):
    s = equity_summary(x, w)
    assert s["n"] == n
    assert s["n_dropped"] == n_dropped
    xa = np.asarray(x, dtype=float)
    wa = np.ones_like(xa) if w is None else np.asarray(w, dtype=float)
    keep = ~(np.isnan(xa) | np.isnan(wa))
    assert s["gini"] == pytest.approx(gini(xa[keep], wa[keep]), rel=RTOL)
    assert gini(x, w) == s["gini"]


def test_pandas_input_with_missing_values():
    x = pd.Series([0.05, 0.10, None, 0.02, 0.08, 0.20, 0.01], dtype="Float64")
    p = pd.Series([400, 250, 10, 600, 300, 100, 350], dtype="Int64")
    s = equity_summary(x, p)
    assert s["n_dropped"] == 1
    assert s["gini"] == pytest.approx(0.442943, abs=5e-7)
    assert s["palma"] == pytest.approx(2.4, rel=RTOL)


def test_all_zero_values_give_nan_where_undefined():
    s = equity_summary([0.0, 0.0, 0.0], [1, 2, 3])
    for key in [
        "gini",
        "theil",
        "atkinson_0_5",
        "atkinson_1",
        "atkinson_2",
        "coefficient_of_variation",
        "mcloone",
        "verstegen",
        "federal_range_ratio",
        "palma",
    ]:
        assert math.isnan(s[key]), key
    assert s["range"] == 0.0
    assert s["restricted_range"] == 0.0
    assert s["mean"] == 0.0
    assert all(math.isnan(v) for v in theil_decomposition([0, 0], ["a", "b"]).values())


def test_zero_denominator_with_positive_numerator_is_inf():
    x = [0.0, 0.0, 0.0, 10.0]
    assert federal_range_ratio(x) == math.inf  # P5 = 0, P95 = 10
    assert palma(x) == math.inf  # bottom 40 % hold nothing
    assert verstegen(x) == math.inf  # median 0
    assert math.isnan(mcloone(x))  # bottom half and median both 0


def test_equal_values_are_perfectly_equal():
    s = equity_summary([4.0, 4.0, 4.0], [10, 20, 30])
    assert s["gini"] == 0.0
    assert s["theil"] == pytest.approx(0.0, abs=ATOL)
    assert s["coefficient_of_variation"] == 0.0
    assert s["mcloone"] == 1.0
    assert s["verstegen"] == 1.0
    assert s["federal_range_ratio"] == 0.0
    assert s["palma"] == pytest.approx(0.25, rel=RTOL)


def test_single_observation():
    s = equity_summary([7.0], [12])
    assert s["n"] == 1
    assert s["gini"] == 0.0
    assert s["median"] == s["p5"] == s["p95"] == 7.0


def test_theil_decomposition_group_errors():
    with pytest.raises(ValueError, match="same length"):
        theil_decomposition([1, 2, 3], ["a", "b"])
    with pytest.raises(ValueError, match="missing labels"):
        theil_decomposition([1, 2, 3], ["a", None, "b"])
    # a missing label on a row that is dropped anyway is fine
    result = theil_decomposition([1, np.nan, 3], ["a", None, "b"])
    assert result["total"] == pytest.approx(theil([1, 3]), rel=RTOL)


def test_theil_decomposition_single_group_and_singletons():
    x, w, _ = _random_data(5)
    one = theil_decomposition(x, np.zeros(len(x)), w)
    assert one["between"] == pytest.approx(0.0, abs=ATOL)
    assert one["within"] == pytest.approx(one["total"], rel=RTOL)
    each = theil_decomposition(x, np.arange(len(x)), w)
    assert each["within"] == pytest.approx(0.0, abs=ATOL)
    assert each["between"] == pytest.approx(each["total"], rel=RTOL)


# --- summary


def test_equity_summary_keys_and_consistency():
    x, w, _ = _random_data(11)
    s = equity_summary(x, w)
    expected_keys = {
        "gini",
        "theil",
        "atkinson_0_5",
        "atkinson_1",
        "atkinson_2",
        "coefficient_of_variation",
        "mcloone",
        "verstegen",
        "federal_range_ratio",
        "restricted_range",
        "range",
        "palma",
        "min",
        "max",
        "mean",
        "median",
        "p5",
        "p95",
        "n",
        "n_dropped",
        "total_weight",
    }
    assert set(s) == expected_keys
    for name, func in STATS.items():
        assert s[name] == func(x, w), name
    assert s["p5"] == weighted_percentile(x, 5, w)
    assert s["p95"] == weighted_percentile(x, 95, w)
    assert s["mean"] == pytest.approx(np.average(x, weights=w), rel=RTOL)
    assert s["total_weight"] == w.sum()
    assert s["range"] == s["max"] - s["min"]
    assert isinstance(s["n"], int)
    assert isinstance(s["n_dropped"], int)
    assert all(isinstance(v, float) for k, v in s.items() if k not in {"n", "n_dropped"})


# --- property test

_value = st.one_of(st.just(0.0), st.integers(1, 100_000).map(lambda i: i / 100))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_value, st.integers(0, 6)), min_size=1, max_size=25).filter(
        lambda rows: any(w > 0 for _, w in rows)
    )
)
def test_property_weighted_equals_repeated(rows):
    x = np.array([v for v, _ in rows])
    w = np.array([p for _, p in rows])
    weighted = equity_summary(x, w)
    repeated = equity_summary(np.repeat(x, w))
    for key in set(weighted) - {"n"}:
        np.testing.assert_allclose(weighted[key], repeated[key], rtol=RTOL, atol=1e-10, err_msg=key)
    groups = np.arange(len(x)) % 3
    if weighted["mean"] > 0:
        dec_w = theil_decomposition(x, groups, w)
        dec_r = theil_decomposition(np.repeat(x, w), np.repeat(groups, w))
        for key in dec_w:
            np.testing.assert_allclose(dec_w[key], dec_r[key], rtol=RTOL, atol=1e-10)


# --- module hygiene


def test_docstring_examples():
    result = doctest.testmod(equity, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0


def test_every_public_function_has_numpydoc_sections():
    for name in equity.__all__:
        doc = getattr(equity, name).__doc__
        assert doc, name
        assert "Parameters\n    ----------" in doc, name
        assert "Returns\n    -------" in doc, name


def test_metrics_imports_no_project_layers_or_streamlit():
    code = (
        "import sys, metrics.equity; "
        "bad = sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'inventory', 'planning', 'streamlit', 'app'}); "
        "print(','.join(bad))"
    )
    root = Path(equity.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout.strip()
    assert out == ""
