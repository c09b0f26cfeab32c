"""Tests for metrics.outcomes against independent computations.

Expected values are computed here without the module: the weighted correlation written out
from its definition or as ``np.corrcoef`` on ``np.repeat``-expanded data (integer weights),
weighted least squares through the normal equations with ``np.linalg.solve`` or ``np.polyfit``
on expanded data, and the bootstrap replicates recomputed one resample at a time in a loop.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics import outcomes
from metrics.outcomes import (
    analysis_sample,
    association,
    association_summary,
    associations,
    bootstrap_correlation,
    bootstrap_indices,
    fitted_line,
    need_positions,
    outcome_frame,
    weighted_least_squares,
    weighted_pearson,
)

# --------------------------------------------------------------------------- references


def pearson_by_definition(x, y, w) -> float:
    """sum w dx dy / sqrt(sum w dx^2 sum w dy^2), one term at a time."""
    total = sum(w)
    mx = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / total
    my = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / total
    sxy = sum(wi * (xi - mx) * (yi - my) for wi, xi, yi in zip(w, x, y, strict=True))
    sxx = sum(wi * (xi - mx) ** 2 for wi, xi in zip(w, x, strict=True))
    syy = sum(wi * (yi - my) ** 2 for wi, yi in zip(w, y, strict=True))
    return sxy / math.sqrt(sxx * syy)


def normal_equations(y, x, w) -> np.ndarray:
    """WLS coefficients (intercept first) from (X'WX) b = X'Wy."""
    design = np.column_stack([np.ones(len(y)), np.asarray(x, dtype=float).reshape(len(y), -1)])
    weighted = design.T * np.asarray(w, dtype=float)
    return np.linalg.solve(weighted @ design, weighted @ np.asarray(y, dtype=float))


def residuals_by_normal_equations(y, x, w) -> np.ndarray:
    design = np.column_stack([np.ones(len(y)), np.asarray(x, dtype=float).reshape(len(y), -1)])
    return np.asarray(y, dtype=float) - design @ normal_equations(y, x, w)


def percentile(values, confidence=0.95) -> tuple[float, float]:
    alpha = (1 - confidence) / 2
    low, high = np.quantile(np.asarray(values), [alpha, 1 - alpha])
    return float(low), float(high)


@pytest.fixture
def data() -> dict[str, np.ndarray]:
    """30 school units: outcome depends on need and, weakly, on the library indicator."""
    rng = np.random.default_rng(11)
    n = 30
    foreign = rng.uniform(0.05, 0.6, n)
    parents = np.clip(0.7 - 0.6 * foreign + rng.normal(0, 0.05, n), 0.05, 0.95)
    library = rng.uniform(0, 8, n)
    merit = 200 + 80 * parents - 40 * foreign + 2.5 * library + rng.normal(0, 8, n)
    pupils = rng.integers(10, 140, n)
    return {
        "x": library,
        "y": merit,
        "w": pupils,
        "z": np.column_stack([foreign, parents]),
    }


# --------------------------------------------------------------------------- weighted Pearson


def test_hand_computed_example():
    # x = 1, 2, 3, 3 and y = 2, 4, 5, 5 (weights 1, 1, 2): means 2.25 and 4,
    # sxy = 2.5 + 0 + 0.75 + 0.75 = 4, sxx = 1.5625 + 0.0625 + 2 * 0.5625 = 2.75,
    # syy = 4 + 0 + 1 + 1 = 6, r = 4 / sqrt(16.5)
    assert weighted_pearson([1, 2, 3], [2, 4, 5], [1, 1, 2]) == pytest.approx(4 / math.sqrt(16.5))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_integer_weights_equal_expanded_data(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=12), rng.normal(size=12)
    w = rng.integers(1, 9, 12)
    expected = np.corrcoef(np.repeat(x, w), np.repeat(y, w))[0, 1]
    assert weighted_pearson(x, y, w) == pytest.approx(expected, abs=1e-12)


def test_float_weights_equal_the_definition(data):
    w = data["w"] * 0.37
    expected = pearson_by_definition(data["x"], data["y"], w)
    assert weighted_pearson(data["x"], data["y"], w) == pytest.approx(expected, abs=1e-12)
    # no weights: the ordinary correlation
    assert weighted_pearson(data["x"], data["y"]) == pytest.approx(
        np.corrcoef(data["x"], data["y"])[0, 1], abs=1e-12
    )


def test_missing_and_zero_weight_rows_are_dropped():
    x = [1.0, 2.0, np.nan, 4.0, 5.0, 9.0]
    y = [2.0, 1.0, 3.0, np.nan, 6.0, -4.0]
    w = [3, 1, 2, 2, 1, 0]
    expected = pearson_by_definition([1.0, 2.0, 5.0], [2.0, 1.0, 6.0], [3, 1, 1])
    assert weighted_pearson(x, y, w) == pytest.approx(expected)
    assert weighted_pearson(pd.Series(x), pd.Series(y), pd.Series(w)) == pytest.approx(expected)


def test_degenerate_input():
    assert math.isnan(weighted_pearson([3.0, 3.0, 3.0], [1.0, 2.0, 4.0]))
    assert math.isnan(weighted_pearson([0.1 * 3] * 4, [1.0, 2.0, 4.0, 3.0]))  # rounding noise
    assert math.isnan(weighted_pearson([1.0], [2.0]))
    with pytest.raises(ValueError, match="weights"):
        weighted_pearson([1, 2], [1, 2], [1, -1])
    with pytest.raises(ValueError, match="same length"):
        weighted_pearson([1, 2], [1, 2, 3])


# --------------------------------------------------------------------------- weighted least squares


def test_wls_equals_the_normal_equations(data):
    w = data["w"] * 1.7
    fit = weighted_least_squares(data["y"], data["z"], w)
    expected = normal_equations(data["y"], data["z"], w)
    np.testing.assert_allclose(fit.coef, expected, rtol=1e-9)
    assert fit.rank == 3
    np.testing.assert_allclose(fit.residuals, data["y"] - fit.fitted)
    # the residuals are W-orthogonal to every column of the design
    design = np.column_stack([np.ones(len(w)), data["z"]])
    np.testing.assert_allclose(design.T @ (w * fit.residuals), 0, atol=1e-6)


def test_wls_with_integer_weights_equals_polyfit_on_expanded_data(data):
    fit = weighted_least_squares(data["y"], data["x"], data["w"])
    slope, intercept = np.polyfit(
        np.repeat(data["x"], data["w"]), np.repeat(data["y"], data["w"]), 1
    )
    np.testing.assert_allclose(fit.coef, [intercept, slope], rtol=1e-9)


def test_wls_without_intercept_and_collinear_columns():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.1, 3.9, 6.2, 7.8])
    w = np.array([1.0, 2.0, 1.0, 3.0])
    fit = weighted_least_squares(y, x, w, intercept=False)
    # one coefficient: sum w x y / sum w x^2
    assert fit.coef[0] == pytest.approx((w * x * y).sum() / (w * x * x).sum())
    twice = weighted_least_squares(y, np.column_stack([x, 2 * x]), w)
    once = weighted_least_squares(y, x, w)
    assert twice.rank == 2
    np.testing.assert_allclose(twice.residuals, once.residuals, atol=1e-10)
    with pytest.raises(ValueError, match="finite"):
        weighted_least_squares([1.0, np.nan, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="rows"):
        weighted_least_squares([1.0, 2.0], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_reproducible_with_a_seed(data):
    args = (data["x"], data["y"], data["w"])
    first = bootstrap_correlation(*args, n_boot=400, seed=7)
    assert bootstrap_correlation(*args, n_boot=400, seed=7) == first
    assert bootstrap_correlation(*args, n_boot=400, seed=8) != first
    np.testing.assert_array_equal(bootstrap_indices(5, 3, seed=1), bootstrap_indices(5, 3, seed=1))


def test_bootstrap_interval_equals_a_loop_over_the_resamples(data):
    x, y, w = data["x"], data["y"], data["w"]
    indices = bootstrap_indices(len(x), 300, seed=5)
    replicates = [pearson_by_definition(x[i], y[i], w[i]) for i in indices]
    got = bootstrap_correlation(x, y, w, n_boot=300, seed=5)
    np.testing.assert_allclose(got, percentile(replicates), atol=1e-12)
    low, high = got
    assert low < weighted_pearson(x, y, w) < high
    narrow = bootstrap_correlation(x, y, w, n_boot=300, seed=5, confidence=0.5)
    assert low < narrow[0] < narrow[1] < high


def test_adjusted_bootstrap_refits_the_need_regression_in_every_resample(data):
    x, y, w, z = data["x"], data["y"], data["w"], data["z"]
    indices = bootstrap_indices(len(x), 200, seed=3)
    replicates = []
    for i in indices:
        residual = residuals_by_normal_equations(y[i], z[i], w[i])
        replicates.append(pearson_by_definition(x[i], residual, w[i]))
    got = bootstrap_correlation(x, y, w, covariates=z, n_boot=200, seed=3)
    np.testing.assert_allclose(got, percentile(replicates), atol=1e-9)


def test_bootstrap_arguments_are_checked(data):
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_correlation(data["x"], data["y"], n_boot=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_correlation(data["x"], data["y"], confidence=1.5)
    assert all(math.isnan(v) for v in bootstrap_correlation([1.0], [2.0]))


def test_fitted_line_and_its_band(data):
    x, y, w = data["x"], data["y"], data["w"]
    line = fitted_line(x, y, w, points=11, n_boot=300, seed=2)
    assert list(line.columns) == ["x", "fit", "low", "high"]
    np.testing.assert_allclose(line["x"], np.linspace(x.min(), x.max(), 11))
    slope, intercept = np.polyfit(np.repeat(x, w), np.repeat(y, w), 1)
    np.testing.assert_allclose(line["fit"], intercept + slope * line["x"], rtol=1e-9)
    # the band: percentiles of the resampled lines at each x, recomputed in a loop
    lines = []
    for i in bootstrap_indices(len(x), 300, seed=2):
        b, a = np.polyfit(np.repeat(x[i], w[i]), np.repeat(y[i], w[i]), 1)
        lines.append(a + b * line["x"].to_numpy())
    low, high = np.quantile(np.array(lines), [0.025, 0.975], axis=0)
    np.testing.assert_allclose(line["low"], low, rtol=1e-8)
    np.testing.assert_allclose(line["high"], high, rtol=1e-8)
    assert (line["low"] <= line["fit"]).all() and (line["fit"] <= line["high"]).all()
    assert fitted_line([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]).empty


def test_fitted_line_of_the_need_residual(data):
    x, y, w, z = data["x"], data["y"], data["w"], data["z"]
    line = fitted_line(x, y, w, covariates=z, points=5, n_boot=50, seed=1)
    residual = residuals_by_normal_equations(y, z, w)
    slope, intercept = np.polyfit(np.repeat(x, w), np.repeat(residual, w), 1)
    np.testing.assert_allclose(line["fit"], intercept + slope * line["x"], rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------- school units


def school_rows() -> pd.DataFrame:
    """Twelve school units: seven usable and one of each reason to leave a unit out."""
    rng = np.random.default_rng(4)
    usable = 7
    frame = pd.DataFrame(
        {
            "school_id": range(1, 13),
            "school_name": [f"Skola {i}" for i in range(1, 13)],
            "pupils": [40, 25, 80, 12, 66, 31, 50] + [pd.NA, pd.NA, 8, 30, 45],
            "suppressed": [False] * usable + [True, False, False, False, False],
            "mean_merit_value": list(np.round(rng.uniform(180, 260, usable), 1))
            + [np.nan, np.nan, 230.0, 220.0, 210.0],
            "staffed_hours_per_100_pupils": list(np.round(rng.uniform(0, 9, usable), 2))
            + [3.0, 4.0, 5.0, np.nan, 2.0],
            "share_foreign_background": list(np.round(rng.uniform(0.05, 0.5, usable), 3))
            + [0.2, 0.2, 0.2, 0.2, np.nan],
            "share_parents_post_secondary": list(np.round(rng.uniform(0.2, 0.8, usable), 3))
            + [0.5, 0.5, 0.5, 0.5, 0.5],
        }
    )
    frame["pupils"] = frame["pupils"].astype("Int64")
    return frame


def test_small_and_suppressed_groups_are_left_out_and_counted():
    frame = school_rows()
    kept, excluded = analysis_sample(frame, "staffed_hours_per_100_pupils", "mean_merit_value")
    assert kept["school_id"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    # row 8: ".." (suppressed), 9: "." (no value), 10: 8 pupils, 11: no library value,
    # 12: a need input missing
    assert excluded == {
        "suppressed": 1,
        "no_outcome": 1,
        "small_group": 1,
        "no_indicator": 1,
        "no_need": 1,
        "pupils": 8 + 30 + 45,
    }
    # a lower threshold keeps the unit with 8 pupils
    kept, excluded = analysis_sample(
        frame, "staffed_hours_per_100_pupils", "mean_merit_value", min_pupils=5
    )
    assert 10 in kept["school_id"].tolist() and excluded["small_group"] == 0


def test_association_equals_independent_computations():
    frame = school_rows()
    row = association(frame, "staffed_hours_per_100_pupils", "mean_merit_value", n_boot=200, seed=9)
    used = frame.iloc[:7]
    x = used["staffed_hours_per_100_pupils"].to_numpy(float)
    y = used["mean_merit_value"].to_numpy(float)
    w = used["pupils"].to_numpy(float)
    z = used[["share_foreign_background", "share_parents_post_secondary"]].to_numpy(float)
    assert row["n_schools"] == 7 and row["pupils"] == int(w.sum())
    assert row["r"] == pytest.approx(
        np.corrcoef(np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int)))[0, 1]
    )
    slope = np.polyfit(np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int)), 1)[0]
    assert row["slope"] == pytest.approx(slope)
    residual = residuals_by_normal_equations(y, z, w)
    assert row["r_adjusted"] == pytest.approx(pearson_by_definition(x, residual, w))
    fitted = y - residual
    mean = (w * y).sum() / w.sum()
    r2 = 1 - (w * residual**2).sum() / (w * (y - mean) ** 2).sum()
    assert row["need_r2"] == pytest.approx(r2)
    for name in ("r", "slope", "r_adjusted", "slope_adjusted"):
        assert row[f"{name}_low"] <= row[name] <= row[f"{name}_high"], name
    assert row["excluded_suppressed"] == row["excluded_small_group"] == 1
    assert row["excluded_pupils"] == 83
    assert row["reason"] is None
    assert np.allclose(fitted + residual, y)
    # the same seed gives the same intervals
    again = association(
        frame, "staffed_hours_per_100_pupils", "mean_merit_value", n_boot=200, seed=9
    )
    assert again == row


def test_too_few_school_units_give_a_reason_not_a_number():
    frame = school_rows().iloc[[0, 1, 2, 7, 8]]
    row = association(frame, "staffed_hours_per_100_pupils", "mean_merit_value", n_boot=50)
    assert row["n_schools"] == 3
    assert math.isnan(row["r"]) and math.isnan(row["r_low"]) and math.isnan(row["r_adjusted"])
    assert row["reason"] == "fewer than 5 school units"
    assert row["excluded_suppressed"] == 1 and row["excluded_no_outcome"] == 1


def test_associations_table_has_a_row_per_pair_independent_of_the_others():
    frame = school_rows()
    frame["share_all_subjects"] = np.linspace(0.6, 0.95, len(frame))
    table = associations(
        frame,
        ["staffed_hours_per_100_pupils"],
        ["mean_merit_value", "share_all_subjects"],
        n_boot=100,
    )
    assert list(table.columns) == outcomes.ASSOCIATION_COLUMNS
    assert table[["indicator", "outcome"]].values.tolist() == [
        ["staffed_hours_per_100_pupils", "mean_merit_value"],
        ["staffed_hours_per_100_pupils", "share_all_subjects"],
    ]
    alone = association(frame, "staffed_hours_per_100_pupils", "share_all_subjects", n_boot=100)
    assert table.iloc[1]["r_low"] == alone["r_low"]


def test_need_positions():
    frame = school_rows()
    positions = need_positions(
        frame, "mean_merit_value", "staffed_hours_per_100_pupils", threshold=0.45
    )
    assert sorted(positions["school_id"]) == [1, 2, 3, 4, 5, 6, 7]
    used = frame.iloc[:7]
    y = used["mean_merit_value"].to_numpy(float)
    w = used["pupils"].to_numpy(float)
    z = used[["share_foreign_background", "share_parents_post_secondary"]].to_numpy(float)
    residual = pd.Series(residuals_by_normal_equations(y, z, w), index=used["school_id"])
    spread = math.sqrt((w * residual.to_numpy() ** 2).sum() / w.sum())
    by_id = positions.set_index("school_id")
    np.testing.assert_allclose(by_id["residual"], residual.loc[by_id.index], atol=1e-9)
    np.testing.assert_allclose(by_id["z"], residual.loc[by_id.index] / spread, atol=1e-9)
    assert positions["z"].is_monotonic_decreasing
    for z_value, position in zip(positions["z"], positions["position"], strict=True):
        expected = "above" if z_value >= 0.45 else "below" if z_value <= -0.45 else "expected"
        assert position == expected
    assert {"above", "below"} <= set(positions["position"])
    few = need_positions(frame.iloc[:3], "mean_merit_value", "staffed_hours_per_100_pupils")
    assert few.empty and {"predicted", "residual", "z", "position"} <= set(few.columns)


# --------------------------------------------------------------------------- joining the frames


def repository_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Small stand-ins for school_results, school_frame and library_indicators (two years)."""
    results = pd.DataFrame(
        {
            "school_id": [1, 2, 3, 4, 1],
            "year": [2024, 2024, 2024, 2024, 2023],
            "pupils": [40, 30, 20, 60, 38],
            "suppressed": [False] * 5,
            "mean_merit_value": [220.0, 230.0, 210.0, 240.0, 215.0],
            "share_all_subjects": [0.8, 0.85, 0.7, 0.9, 0.75],
            "share_eligible_vocational": [0.9, 0.92, 0.8, 0.95, 0.88],
            "share_foreign_background": [0.1, 0.2, 0.3, 0.15, 0.1],
            "share_parents_post_secondary": [0.6, 0.5, 0.4, 0.7, 0.6],
        }
    )
    schools = pd.DataFrame(
        {
            "school_id": [1, 2, 3, 4, 1],
            "year": [2024, 2024, 2024, 2024, 2023],
            "library_id": [10, 12, 11, pd.NA, 10],
            "library_name": ["A", "B", "Bokrum", None, "A"],
            "library_kind": ["own", "own", "none", None, "own"],
        }
    )
    indicators = pd.DataFrame(
        {
            "library_id": [10, 11, 10, 12],
            "year": [2024, 2024, 2023, 2024],
            "staffed_hours_per_100_pupils": [4.0, 1.0, 3.0, 6.0],
            "items_per_pupil": [10.0, 2.0, 9.0, 12.0],
        }
    )
    return results, schools, indicators


def test_outcome_frame_joins_by_school_library_and_year():
    results, schools, indicators = repository_frames()
    frame = outcome_frame(results, schools, indicators)
    assert len(frame) == len(results)
    hours = frame["staffed_hours_per_100_pupils"].tolist()
    # library 10 serves school 1 (4.0 in 2024, 3.0 in 2023), library 12 school 2; school 3's
    # "library" is of kind "none" (no provision); school 4 has no library
    assert (hours[0], hours[1], hours[4]) == (4.0, 6.0, 3.0)
    assert math.isnan(hours[2]) and math.isnan(hours[3])
    assert frame.loc[0, "library_name"] == "A"


def test_association_summary_is_the_compact_table():
    results, schools, indicators = repository_frames()
    table = association_summary(results[results["year"] == 2024], schools, indicators, n_boot=50)
    assert list(table.columns) == outcomes.SUMMARY_COLUMNS
    # KEY_INDICATORS present in the frame (two of the four) times the three outcomes
    assert len(table) == 2 * 3
    assert set(table["indicator"]) == {"staffed_hours_per_100_pupils", "items_per_pupil"}
    # two school units with a library value: too few, so no correlation, and two left out
    assert (table["n_schools"] == 2).all() and table["r"].isna().all()
    assert (table["excluded"] == 2).all()
    full = association_summary(
        results[results["year"] == 2024],
        schools,
        indicators,
        n_boot=50,
        options={"min_schools": 2},
    )
    row = full[
        (full["indicator"] == "items_per_pupil") & (full["outcome"] == "mean_merit_value")
    ].iloc[0]
    assert row["r"] == pytest.approx(1.0)  # two points are always on a line
    # the same pair through the long way
    frame = outcome_frame(results[results["year"] == 2024], schools, indicators)
    long = association(frame, "items_per_pupil", "mean_merit_value", n_boot=50, min_schools=2)
    assert row["r"] == long["r"] and row["n_schools"] == long["n_schools"] == 2
    assert row["pupils"] == long["pupils"] == 40 + 30
