"""Tests for metrics.access.

Oracles: PySAL ``access`` 1.1.10.post3 (``Access.two_stage_fca`` /
``enhanced_two_stage_fca`` with ``weights.step_fn`` / ``weights.gaussian``), given a
dense brute-force origin-destination table of the same inputs; brute-force
nearest neighbours with numpy; hand-computed distances; the worked example of
docs/notes (metrics-and-optimisation.md, section 3). No database.
"""

from __future__ import annotations

import doctest
import logging
import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from access import Access
from access import weights as pysal_weights

from metrics import access as access_module
from metrics.access import (
    FCAResult,
    distance_to_serving_library,
    enhanced_two_step_fca,
    gaussian_decay,
    nearest_staffed_library,
    pupil_weighted_summary,
    step_decay,
    two_step_fca,
)
from metrics.equity import equity_summary

RTOL = 1e-9
SEEDS = [0, 1, 7, 42, 2024]
SIDE = 50_000.0  # metres; random layouts live in a 50 km square


# --- helpers


def random_layout(seed: int, n_schools: int = 300, n_libraries: int = 80):
    """Random schools and libraries in EPSG:3006-like metres; a few libraries unstaffed."""
    rng = np.random.default_rng(seed)
    schools = pd.DataFrame(
        {
            "school_id": [f"S{i:05d}" for i in range(n_schools)],
            "x": 500_000 + rng.uniform(0, SIDE, n_schools),
            "y": 6_300_000 + rng.uniform(0, SIDE, n_schools),
            "pupils": rng.integers(20, 900, n_schools),
        }
    )
    hours = rng.uniform(0, 40, n_libraries)
    hours[rng.random(n_libraries) < 0.15] = 0.0
    libraries = pd.DataFrame(
        {
            "library_id": np.arange(n_libraries) * 3 + 1001,
            "x": 500_000 + rng.uniform(0, SIDE, n_libraries),
            "y": 6_300_000 + rng.uniform(0, SIDE, n_libraries),
            "staffed_hours": hours,
        }
    )
    return schools, libraries


def dense_distances(schools: pd.DataFrame, libraries: pd.DataFrame) -> np.ndarray:
    """Brute-force n x m planar distances (small inputs only)."""
    dx = schools["x"].to_numpy()[:, None] - libraries["x"].to_numpy()[None, :]
    dy = schools["y"].to_numpy()[:, None] - libraries["y"].to_numpy()[None, :]
    return np.hypot(dx, dy)


def long_costs(schools, libraries, cost: np.ndarray) -> pd.DataFrame:
    n, m = cost.shape
    return pd.DataFrame(
        {
            "school_id": np.repeat(schools["school_id"].to_numpy(), m),
            "library_id": np.tile(libraries["library_id"].to_numpy(), n),
            "cost": cost.ravel(),
        }
    )


def pysal_access(schools, libraries, cost_df: pd.DataFrame) -> Access:
    """PySAL Access object: school = origin (demand), library = destination (supply)."""
    result = Access(
        demand_df=schools.set_index("school_id")[["pupils"]],
        demand_value="pupils",
        supply_df=libraries.set_index("library_id")[["staffed_hours"]],
        supply_value="staffed_hours",
        cost_df=cost_df,
        cost_origin="school_id",
        cost_dest="library_id",
        cost_name="cost",
    )
    logging.getLogger("access").setLevel(logging.WARNING)  # PySAL logs at INFO
    return result


def pysal_planar(schools, libraries) -> Access:
    """PySAL Access on the dense brute-force planar distances of the same inputs."""
    return pysal_access(
        schools, libraries, long_costs(schools, libraries, dense_distances(schools, libraries))
    )


def assert_matches_pysal(ours: FCAResult, theirs: pd.DataFrame) -> None:
    """Same values to RTOL; PySAL's NaN (nothing in reach) is our 0 with no pairs."""
    column = theirs.columns[0]
    expected = theirs[column].reindex(ours.accessibility.index)
    nothing_in_reach = ours.schools["libraries_in_reach"].to_numpy() == 0
    np.testing.assert_array_equal(expected.isna().to_numpy(), nothing_in_reach)
    np.testing.assert_allclose(
        ours.accessibility.to_numpy(), expected.fillna(0.0).to_numpy(), rtol=RTOL, atol=0
    )


@pytest.fixture
def worked_example():
    """Design-notes example: A, B, C with 100/200/300 pupils; L1 20 h, L2 10 h."""
    demand = pd.DataFrame({"school_id": ["A", "B", "C"], "pupils": [100, 200, 300]})
    supply = pd.DataFrame({"library_id": ["L1", "L2"], "staffed_hours": [20.0, 10.0]})
    travel = pd.DataFrame(
        {
            "school_id": ["A", "A", "B", "B", "C", "C"],
            "library_id": ["L1", "L2"] * 3,
            "minutes": [1.0, 5.0, 2.0, 2.0, 6.0, 1.5],
        }
    )
    return demand, supply, travel


# --- 2SFCA / E2SFCA against PySAL access


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("max_distance", [3_000.0, 8_000.0])
def test_two_step_fca_matches_pysal(seed, max_distance):
    schools, libraries = random_layout(seed)
    ours = two_step_fca(schools, libraries, max_distance)
    a = pysal_planar(schools, libraries)
    assert_matches_pysal(ours, a.two_stage_fca(max_cost=max_distance))
    # the layouts exercise both "nothing in reach" and multi-library catchments
    reach = ours.schools["libraries_in_reach"]
    if max_distance == 3_000.0:
        assert (reach == 0).any()
    assert (reach > 1).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_enhanced_two_step_fca_step_bands_matches_pysal(seed):
    schools, libraries = random_layout(seed)
    bands, w = (2_500.0, 5_000.0, 9_000.0), (1.0, 0.68, 0.22)
    ours = enhanced_two_step_fca(schools, libraries, bands=bands, weights=w)
    a = pysal_planar(schools, libraries)
    theirs = a.enhanced_two_stage_fca(
        max_cost=9_000.0, weight_fn=pysal_weights.step_fn(dict(zip(bands, w, strict=True)))
    )
    assert ours.method == "E2SFCA"
    assert_matches_pysal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_enhanced_two_step_fca_gaussian_matches_pysal(seed):
    schools, libraries = random_layout(seed)
    ours = enhanced_two_step_fca(schools, libraries, sigma=3_000.0, max_distance=7_500.0)
    a = pysal_planar(schools, libraries)
    theirs = a.enhanced_two_stage_fca(max_cost=7_500.0, weight_fn=pysal_weights.gaussian(3_000.0))
    assert_matches_pysal(ours, theirs)


def test_gaussian_default_cut_off_is_three_sigma():
    schools, libraries = random_layout(3)
    default = enhanced_two_step_fca(schools, libraries, sigma=2_000.0)
    explicit = enhanced_two_step_fca(schools, libraries, sigma=2_000.0, max_distance=6_000.0)
    assert default.max_distance == 6_000.0
    pd.testing.assert_frame_equal(default.schools, explicit.schools)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_two_step_fca_with_decay_matches_pysal(seed):
    schools, libraries = random_layout(seed)
    ours = two_step_fca(schools, libraries, 8_000.0, decay=gaussian_decay(4_000.0))
    a = pysal_planar(schools, libraries)
    theirs = a.two_stage_fca(max_cost=8_000.0, weight_fn=pysal_weights.gaussian(4_000.0))
    assert_matches_pysal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_travel_time_matrix_matches_pysal(seed):
    """A sparse, asymmetric travel-time table (not planar) replaces the distances."""
    schools, libraries = random_layout(seed, n_schools=200, n_libraries=60)
    rng = np.random.default_rng(seed + 100)
    cost = dense_distances(schools, libraries) / 500.0 + rng.uniform(0, 15, (200, 60))
    table = long_costs(schools, libraries, cost)
    table = table[rng.random(len(table)) < 0.6].rename(columns={"cost": "minutes"})
    # rows for unknown ids are ignored
    extra = pd.DataFrame({"school_id": ["nope"], "library_id": [1001], "minutes": [1.0]})
    table_with_extra = pd.concat([table, extra], ignore_index=True)

    ours = two_step_fca(schools, libraries, 40.0, travel_times=table_with_extra)
    a = pysal_access(schools, libraries, table.rename(columns={"minutes": "cost"}))
    assert_matches_pysal(ours, a.two_stage_fca(max_cost=40.0))

    e_ours = enhanced_two_step_fca(schools, libraries, travel_times=table)  # Luo & Qi bands
    e_theirs = a.enhanced_two_stage_fca(max_cost=30.0)  # PySAL's default is Luo & Qi too
    assert_matches_pysal(e_ours, e_theirs)


def test_travel_time_without_cut_off_uses_every_row(worked_example):
    demand, supply, travel = worked_example
    everything = two_step_fca(demand, supply, None, travel_times=travel)
    assert everything.n_pairs == 6
    assert math.isinf(everything.max_distance)


def test_worked_example_from_notes(worked_example):
    demand, supply, travel = worked_example
    r = two_step_fca(demand, supply, 3, travel_times=travel)
    np.testing.assert_allclose(
        r.accessibility.to_numpy(), [20 / 300, 20 / 300 + 10 / 500, 10 / 500]
    )
    np.testing.assert_allclose(r.libraries["ratio"].to_numpy(), [20 / 300, 10 / 500])
    np.testing.assert_allclose(r.libraries["catchment_pupils"].to_numpy(), [300, 500])
    e = enhanced_two_step_fca(
        demand, supply, bands=(2, 4, 6), weights=(1, 0.68, 0.22), travel_times=travel
    )
    np.testing.assert_allclose(
        e.accessibility.to_numpy(), [0.058859, 0.073802, 0.031179], atol=5e-7
    )
    np.testing.assert_allclose(e.libraries["catchment_pupils"].to_numpy(), [366, 522])


def test_cut_off_is_inclusive_like_pysal():
    """Exact 3-4-5 distances: the pair at exactly max_distance is in reach."""
    schools = pd.DataFrame(
        {"school_id": [1, 2], "x": [0.0, 30.0], "y": [0.0, 40.0], "pupils": [10, 30]}
    )
    libraries = pd.DataFrame({"library_id": [9], "x": [0.0], "y": [0.0], "staffed_hours": [20.0]})
    ours = two_step_fca(schools, libraries, 50.0)
    assert ours.n_pairs == 2
    np.testing.assert_allclose(ours.accessibility.to_numpy(), [0.5, 0.5])
    a = pysal_planar(schools, libraries)
    assert_matches_pysal(ours, a.two_stage_fca(max_cost=50.0))
    assert two_step_fca(schools, libraries, 49.999).n_pairs == 1
    # step bands are inclusive too: 50 m is in the first band (weight 1)
    e = enhanced_two_step_fca(schools, libraries, bands=(50.0, 100.0), weights=(1.0, 0.5))
    np.testing.assert_allclose(e.accessibility.to_numpy(), [0.5, 0.5])


def test_library_without_pupils_in_reach_is_reported_not_silently_dropped():
    schools = pd.DataFrame(
        {"school_id": ["a", "b"], "x": [0.0, 100.0], "y": [0.0, 0.0], "pupils": [100, 300]}
    )
    libraries = pd.DataFrame(
        {
            "library_id": ["near", "far"],
            "x": [50.0, 90_000.0],
            "y": [0.0, 0.0],
            "staffed_hours": [40.0, 5.0],
        }
    )
    r = two_step_fca(schools, libraries, 1_000.0)
    assert r.unreached_hours == 5.0
    assert r.libraries["in_reach"].tolist() == [True, False]
    assert math.isnan(r.libraries["ratio"].iloc[1])
    # plain 2SFCA conserves the reached supply: sum of pupils x accessibility = 40 h
    assert float((r.schools["pupils"] * r.schools["accessibility"]).sum()) == pytest.approx(40.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_plain_2sfca_conserves_reached_supply(seed):
    schools, libraries = random_layout(seed)
    r = two_step_fca(schools, libraries, 5_000.0)
    reached = libraries["staffed_hours"].to_numpy()[r.libraries["in_reach"].to_numpy()].sum()
    total = float((r.schools["pupils"] * r.schools["accessibility"]).sum())
    assert total == pytest.approx(reached, rel=1e-12)
    assert r.unreached_hours == pytest.approx(libraries["staffed_hours"].sum() - reached)


def test_pair_count_equals_brute_force():
    schools, libraries = random_layout(11)
    d = dense_distances(schools, libraries)
    for cut in (0.0, 1_000.0, 4_000.0, 20_000.0):
        assert two_step_fca(schools, libraries, cut).n_pairs == int((d <= cut).sum())


# --- sparsity


def test_neighbour_search_is_sparse():
    """5,000 schools x 4,000 libraries: far fewer pairs than n x m, and no dense array.

    A dense float64 n x m matrix would take 160 MB; the whole computation must
    peak far below that (tracemalloc sees numpy's allocations).
    """
    rng = np.random.default_rng(5)
    n, m = 5_000, 4_000
    schools = pd.DataFrame(
        {
            "school_id": np.arange(n),
            "x": rng.uniform(0, 500_000, n),
            "y": rng.uniform(6_200_000, 7_200_000, n),
            "pupils": rng.integers(20, 1_000, n),
        }
    )
    libraries = pd.DataFrame(
        {
            "library_id": np.arange(m),
            "x": rng.uniform(0, 500_000, m),
            "y": rng.uniform(6_200_000, 7_200_000, m),
            "staffed_hours": rng.uniform(0, 40, m),
        }
    )
    tracemalloc.start()
    try:
        r = two_step_fca(schools, libraries, 10_000.0)
        e = enhanced_two_step_fca(schools, libraries, bands=(3_000.0, 6_000.0, 10_000.0))
        nearest_staffed_library(schools, libraries, max_distance=10_000.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense_bytes = n * m * 8
    assert r.n_pairs == e.n_pairs
    assert 0 < r.n_pairs < n * m / 100
    assert peak < dense_bytes / 10, f"peak {peak / 1e6:.1f} MB vs dense {dense_bytes / 1e6:.0f} MB"


def test_planar_fca_requires_a_cut_off():
    schools, libraries = random_layout(0, 10, 5)
    with pytest.raises(ValueError, match="max_distance is required"):
        two_step_fca(schools, libraries, None)


# --- nearest staffed library


def brute_force_nearest(schools, libraries, min_hours, max_distance=math.inf):
    d = dense_distances(schools, libraries)
    d[:, libraries["staffed_hours"].to_numpy() < min_hours] = np.inf
    k = d.argmin(axis=1)
    best = d[np.arange(len(d)), k]
    ok = best <= max_distance
    return np.where(ok, libraries["library_id"].to_numpy()[k], -1), np.where(ok, best, np.nan)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("max_distance", [None, 4_000.0])
def test_nearest_staffed_library_matches_brute_force(seed, max_distance):
    schools, libraries = random_layout(seed)
    got = nearest_staffed_library(schools, libraries, min_hours=20, max_distance=max_distance)
    ids, dist = brute_force_nearest(
        schools, libraries, 20, math.inf if max_distance is None else max_distance
    )
    assert got["school_id"].tolist() == schools["school_id"].tolist()
    assert got["pupils"].tolist() == schools["pupils"].tolist()
    np.testing.assert_array_equal(got["library_id"].fillna(-1).to_numpy(dtype=np.int64), ids)
    np.testing.assert_allclose(got["distance"].to_numpy(), dist, rtol=1e-12, equal_nan=True)
    assert (got["staffed_hours"].dropna() >= 20).all()
    if max_distance is not None:
        assert got["library_id"].isna().any()  # some schools have none within 4 km


def test_nearest_staffed_library_min_hours_and_missing_hours():
    schools = pd.DataFrame({"school_id": [1], "x": [0.0], "y": [0.0], "pupils": [10]})
    libraries = pd.DataFrame(
        {
            "library_id": ["a", "b", "c", "d"],
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": [0.0, 0.0, 0.0, 0.0],
            "staffed_hours": [19.99, np.nan, 20.0, 40.0],
        }
    )
    assert nearest_staffed_library(schools, libraries)["library_id"].tolist() == ["c"]
    assert nearest_staffed_library(schools, libraries, min_hours=30)["library_id"].tolist() == ["d"]
    assert nearest_staffed_library(schools, libraries, min_hours=0)["library_id"].tolist() == ["a"]
    none = nearest_staffed_library(schools, libraries, min_hours=100)
    assert none["library_id"].isna().all() and none["distance"].isna().all()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_nearest_staffed_library_with_travel_times(seed):
    schools, libraries = random_layout(seed, 120, 40)
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(1, 90, (120, 40))
    minutes[rng.random((120, 40)) < 0.3] = np.nan  # pairs missing from the table
    table = long_costs(schools, libraries, minutes).rename(columns={"cost": "minutes"}).dropna()
    got = nearest_staffed_library(
        schools.drop(columns=["x", "y"]),
        libraries.drop(columns=["x", "y"]),
        max_distance=45,
        travel_times=table,
    )
    masked = np.where(np.isnan(minutes), np.inf, minutes)
    masked[:, libraries["staffed_hours"].to_numpy() < 20] = np.inf
    k = masked.argmin(axis=1)
    best = masked[np.arange(120), k]
    ok = best <= 45
    np.testing.assert_allclose(
        got["distance"].to_numpy(), np.where(ok, best, np.nan), equal_nan=True
    )
    np.testing.assert_array_equal(
        got["library_id"].fillna(-1).to_numpy(dtype=np.int64),
        np.where(ok, libraries["library_id"].to_numpy()[k], -1),
    )


# --- serving library


@pytest.fixture
def small_municipality():
    schools = pd.DataFrame(
        {
            "school_id": ["10000001", "10000002", "10000003", "10000004"],
            "x": [0.0, 300.0, 1_000.0, 5_000.0],
            "y": [0.0, 400.0, 1_000.0, 5_000.0],
            "pupils": [120, 340, 80, 500],
        }
    )
    libraries = pd.DataFrame(
        {
            "library_id": [1, 2, 3],
            "x": [0.0, 1_000.0, 4_000.0],
            "y": [0.0, 0.0, 5_000.0],
            "staffed_hours": [30.0, 10.0, 25.0],
        }
    )
    links = pd.DataFrame(
        {
            "school_id": ["10000001", "10000002", "10000003", "10000003", "99999999"],
            "library_id": [1, 1, 1, 2, 3],
        }
    )
    return schools, libraries, links


def test_distance_to_serving_library_by_hand(small_municipality):
    schools, libraries, links = small_municipality
    got = distance_to_serving_library(schools, libraries, links)
    assert list(got.columns) == ["school_id", "pupils", "library_id", "distance", "n_libraries"]
    # own library in the building; 3-4-5 triangle x 100; two links -> the nearer (1,000 m to
    # library 2 vs 1,414 m to library 1); no link at all (the link of an unknown school is ignored)
    assert got["library_id"].tolist()[:3] == [1, 1, 2]
    assert pd.isna(got["library_id"].iloc[3])
    np.testing.assert_allclose(
        got["distance"].to_numpy(), [0.0, 500.0, 1_000.0, np.nan], equal_nan=True
    )
    assert got["n_libraries"].tolist() == [1, 1, 2, 0]
    assert got["pupils"].tolist() == [120, 340, 80, 500]


def test_distance_to_serving_library_with_travel_times(small_municipality):
    schools, libraries, links = small_municipality
    travel = pd.DataFrame(
        {
            "school_id": ["10000001", "10000003", "10000003", "10000004"],
            "library_id": [1, 1, 2, 3],
            "minutes": [2.0, 7.5, 9.0, 12.0],
        }
    )
    got = distance_to_serving_library(
        schools[["school_id", "pupils"]], libraries[["library_id"]], links, travel_times=travel
    )
    # school 2's pair is missing from the table -> NaN; school 3: by travel time library 1 wins
    assert got["library_id"].tolist()[:3] == [1, 1, 1]
    np.testing.assert_allclose(
        got["distance"].to_numpy(), [2.0, np.nan, 7.5, np.nan], equal_nan=True
    )


def test_distance_to_serving_library_unknown_library_raises(small_municipality):
    schools, libraries, links = small_municipality
    bad = pd.concat([links, pd.DataFrame({"school_id": ["10000004"], "library_id": [77]})])
    with pytest.raises(ValueError, match="77"):
        distance_to_serving_library(schools, libraries, bad)


# --- summaries


def test_pupil_weighted_summary_uses_equity_summary(small_municipality):
    schools, libraries, links = small_municipality
    frame = distance_to_serving_library(schools, libraries, links)
    got = pupil_weighted_summary(frame, thresholds=[500, 2_000])
    expected = equity_summary(frame["distance"], frame["pupils"])
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, nan_ok=True), key
    assert got["n_dropped"] == 1
    assert got["share_within_500"] == pytest.approx((120 + 340) / 1040)
    assert got["share_within_2000"] == pytest.approx((120 + 340 + 80) / 1040)


def test_pupil_weighted_summary_by_group_and_empty_group():
    frame = pd.DataFrame(
        {
            "accessibility": [0.1, 0.2, np.nan, 0.05],
            "pupils": [100, 300, 50, 40],
            "municipality": ["0880", "0880", "0860", "0861"],
        }
    )
    out = pupil_weighted_summary(frame, "accessibility", by="municipality")
    assert list(out.index) == ["0860", "0861", "0880"]
    assert out.loc["0880", "mean"] == pytest.approx((10 + 60) / 400)
    assert out.loc["0860", "n"] == 0 and math.isnan(out.loc["0860", "mean"])
    unweighted = pupil_weighted_summary(frame, "accessibility", weight=None)
    assert unweighted["mean"] == pytest.approx((0.1 + 0.2 + 0.05) / 3)


def test_fca_result_summary(worked_example):
    demand, supply, travel = worked_example
    r = two_step_fca(demand, supply, 3, travel_times=travel)
    s = pupil_weighted_summary(r.schools, "accessibility")
    # pupil-weighted mean of 2SFCA = reached hours / pupils = 30 / 600
    assert s["mean"] == pytest.approx(30 / 600)


# --- decay functions and validation


def test_step_decay_matches_pysal_step_fn():
    bands, w = [10.0, 20.0, 30.0], [1.0, 0.68, 0.22]
    ours = step_decay(bands, w)
    theirs = pysal_weights.step_fn(dict(zip(bands, w, strict=True)))
    x = np.array([0.0, 5.0, 10.0, 10.000001, 19.9, 20.0, 25.0, 30.0, 30.5, 100.0])
    np.testing.assert_array_equal(ours(x), [theirs(v) for v in x])


def test_gaussian_decay_matches_pysal():
    x = np.linspace(0, 100, 41)
    np.testing.assert_allclose(gaussian_decay(20)(x), pysal_weights.gaussian(20)(x), rtol=1e-15)


@pytest.mark.parametrize(
    ("bands", "w"),
    [([], []), ([10, 5], [1, 1]), ([10, 20], [1]), ([10, 20], [1, -0.5]), ([-1, 5], [1, 1])],
)
def test_step_decay_rejects_bad_bands(bands, w):
    with pytest.raises(ValueError):
        step_decay(bands, w)


def test_enhanced_needs_bands_or_sigma_for_planar():
    schools, libraries = random_layout(0, 10, 5)
    with pytest.raises(ValueError, match="bands"):
        enhanced_two_step_fca(schools, libraries)
    with pytest.raises(ValueError, match="not both"):
        enhanced_two_step_fca(schools, libraries, bands=(1, 2, 3), sigma=2.0)


def test_input_validation():
    schools, libraries = random_layout(0, 10, 5)
    dup = pd.concat([schools, schools.iloc[:1]])
    with pytest.raises(ValueError, match="unique"):
        two_step_fca(dup, libraries, 1_000)
    with pytest.raises(ValueError, match="missing column"):
        two_step_fca(schools.drop(columns="pupils"), libraries, 1_000)
    negative = schools.assign(pupils=-schools["pupils"])
    with pytest.raises(ValueError, match="non-negative"):
        two_step_fca(negative, libraries, 1_000)
    with pytest.raises(ValueError, match="finite"):
        two_step_fca(schools.assign(x=np.nan), libraries, 1_000)
    with pytest.raises(ValueError, match="max_distance"):
        two_step_fca(schools, libraries, -1)
    with pytest.raises(ValueError, match="vectorised"):
        two_step_fca(schools, libraries, 1e9, decay=lambda c: 1.0)


def test_travel_time_table_validation(worked_example):
    demand, supply, travel = worked_example
    with pytest.raises(ValueError, match="more than one row"):
        two_step_fca(demand, supply, 10, travel_times=pd.concat([travel, travel.iloc[:1]]))
    with pytest.raises(ValueError, match="same type"):
        two_step_fca(demand, supply, 10, travel_times=travel.assign(school_id=[1, 1, 2, 2, 3, 3]))
    with pytest.raises(ValueError, match="non-negative"):
        two_step_fca(demand, supply, 10, travel_times=travel.assign(minutes=-travel["minutes"]))
    # missing minutes: the pair is unreachable
    r = two_step_fca(
        demand, supply, 10, travel_times=travel.assign(minutes=[1.0, None, 2, 2, 6, 1.5])
    )
    assert r.n_pairs == 5


def test_empty_inputs():
    schools, libraries = random_layout(0, 5, 3)
    r = two_step_fca(schools, libraries.iloc[:0], 1_000)
    assert r.n_pairs == 0 and (r.accessibility == 0).all()
    got = nearest_staffed_library(schools, libraries.iloc[:0])
    assert got["library_id"].isna().all()


def test_docstring_examples():
    result = doctest.testmod(access_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
