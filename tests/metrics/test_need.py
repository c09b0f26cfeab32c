"""Tests for metrics.need: need weights, need-adjusted values and the equity table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.need import (
    STATISTICS,
    VERTICAL_PREFIX,
    NeedParams,
    equity_table,
    need_adjusted,
    need_weight,
)

# (share foreign background, share parents post-secondary, expected weight with a = b = 0.5)
WEIGHT_CASES = [
    (0.0, 1.0, 1.0),  # no need at all
    (1.0, 0.0, 2.0),  # 1 + 0.5 + 0.5
    (0.3, 0.6, 1.35),  # 1 + 0.15 + 0.5 * 0.4
    (0.5, 0.5, 1.5),  # 1 + 0.25 + 0.25
    (0.1, 0.9, 1.1),  # 1 + 0.05 + 0.05
]


@pytest.mark.parametrize(("foreign", "post", "expected"), WEIGHT_CASES)
def test_default_formula(foreign, post, expected):
    result = need_weight([foreign], [post])
    assert result.loc[0, "need_weight"] == pytest.approx(expected, rel=1e-12)
    assert not result.loc[0, "need_weight_imputed"]
    assert pd.isna(result.loc[0, "reason_en"])


@pytest.mark.parametrize(
    ("params", "foreign", "post", "expected"),
    [
        (NeedParams(1.0, 0.0), 0.4, 0.2, 1.4),  # only foreign background counts
        (NeedParams(0.0, 2.0), 0.4, 0.2, 2.6),  # 1 + 2 * 0.8
        (NeedParams(0.2, 0.3), 0.5, 0.5, 1.25),  # 1 + 0.1 + 0.15
    ],
)
def test_editable_parameters(params, foreign, post, expected):
    assert need_weight([foreign], [post], params)["need_weight"].iloc[0] == pytest.approx(expected)


def test_vectorised_and_keeps_series_index():
    foreign = pd.Series([0.0, 1.0, 0.3], index=["a", "b", "c"])
    post = pd.Series([1.0, 0.0, 0.6], index=["a", "b", "c"])
    result = need_weight(foreign, post)
    assert list(result.index) == ["a", "b", "c"]
    np.testing.assert_allclose(result["need_weight"], [1.0, 2.0, 1.35])


@pytest.mark.parametrize(
    ("foreign", "post", "reason_part"),
    [
        (None, 0.5, "share_foreign_background missing"),
        (0.5, None, "share_parents_post_secondary missing"),
        (None, None, "share_foreign_background missing; share_parents_post_secondary missing"),
        (np.nan, 0.5, "share_foreign_background missing"),
    ],
)
def test_missing_input_gives_neutral_weight_with_reason(foreign, post, reason_part):
    result = need_weight(pd.Series([foreign, 0.2], dtype=object), pd.Series([post, 0.4]))
    assert result.loc[0, "need_weight"] == 1.0
    assert bool(result.loc[0, "need_weight_imputed"])
    assert reason_part in result.loc[0, "reason_en"]
    assert "neutral weight 1" in result.loc[0, "reason_en"]
    assert "saknas" in result.loc[0, "reason_sv"]
    # The complete row is unaffected: 1 + 0.1 + 0.3.
    assert result.loc[1, "need_weight"] == pytest.approx(1.4)


def test_nullable_float_input():
    result = need_weight(
        pd.array([0.2, None], dtype="Float64"), pd.array([0.6, 0.6], dtype="Float64")
    )
    assert result["need_weight"].tolist() == pytest.approx([1.3, 1.0])


@pytest.mark.parametrize(("foreign", "post"), [(1.2, 0.5), (-0.1, 0.5), (0.5, 1.01)])
def test_shares_outside_0_1_raise(foreign, post):
    with pytest.raises(ValueError, match="between 0 and 1"):
        need_weight([foreign], [post])


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="same length"):
        need_weight([0.1, 0.2], [0.5])


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf")])
def test_params_validated(bad):
    with pytest.raises(ValueError, match="NeedParams"):
        NeedParams(foreign_background=bad)


def test_formula_text():
    assert NeedParams(0.25, 0.75).formula() == (
        "1 + 0.25 × share_foreign_background + 0.75 × (1 − share_parents_post_secondary)"
    )


# ------------------------------------------------------------------ need_adjusted


def test_need_adjusted_divides():
    np.testing.assert_allclose(need_adjusted([10.0, 12.0, 3.0], [1.0, 1.5, 2.0]), [10.0, 8.0, 1.5])


def test_need_adjusted_keeps_series_and_nan():
    values = pd.Series([4.0, np.nan, 6.0], index=[5, 6, 7], name="items_per_pupil")
    result = need_adjusted(values, [2.0, 1.0, np.nan])
    assert list(result.index) == [5, 6, 7]
    assert result.name == "items_per_pupil"
    assert result.iloc[0] == 2.0 and math.isnan(result.iloc[1]) and math.isnan(result.iloc[2])


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_need_adjusted_rejects_non_positive_weights(weight):
    with pytest.raises(ValueError, match="positive"):
        need_adjusted([1.0], [weight])


# ------------------------------------------------------------------ equity_table


def two_libraries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_id": [1, 2],
            "items_per_pupil": [2.0, 4.0],
            "loans_per_pupil": [np.nan, 5.0],
            "pupils_served": [100, 300],
            "need": [1.0, 2.0],
        }
    )


def test_equity_table_horizontal_pupil_weighted():
    table = equity_table(two_libraries(), ["items_per_pupil"]).set_index("indicator")
    row = table.loc["items_per_pupil"]
    # mean = (100 * 2 + 300 * 4) / 400 = 3.5
    assert row["mean"] == pytest.approx(3.5)
    # Gini = sum_i sum_j p_i p_j |x_i - x_j| / (2 P^2 mu) = 2 * 100 * 300 * 2 / (2 * 400^2 * 3.5)
    assert row["gini"] == pytest.approx(120000 / 1120000)
    # CV: variance = (100 * 1.5^2 + 300 * 0.5^2) / 400 = 0.75, sd = 0.8660, / 3.5
    assert row["coefficient_of_variation"] == pytest.approx(math.sqrt(0.75) / 3.5)
    assert row["n"] == 2 and row["total_weight"] == 400
    assert pd.isna(row["reason"])
    assert not any(c.startswith(VERTICAL_PREFIX) for c in table.columns)
    assert list(table.columns) == [*STATISTICS, "reason"]


def test_equity_table_unweighted():
    table = equity_table(two_libraries(), ["items_per_pupil"], weight_column=None)
    # mean of 2 and 4 = 3; Gini = 2 * |2 - 4| / (2 * 2^2 * 3) = 1/6
    assert table.loc[0, "mean"] == pytest.approx(3.0)
    assert table.loc[0, "gini"] == pytest.approx(1 / 6)
    assert table.loc[0, "total_weight"] == 2


def test_equity_table_vertical_equity_when_extra_matches_need():
    # Adjusted values 2 / 1 = 2 and 4 / 2 = 2: perfectly vertically equitable.
    table = equity_table(two_libraries(), ["items_per_pupil"], need_weights="need")
    row = table.iloc[0]
    assert row["gini"] > 0
    assert row[VERTICAL_PREFIX + "gini"] == pytest.approx(0.0)
    assert row[VERTICAL_PREFIX + "coefficient_of_variation"] == pytest.approx(0.0)
    assert row[VERTICAL_PREFIX + "mean"] == pytest.approx(2.0)
    assert row[VERTICAL_PREFIX + "mcloone"] == pytest.approx(1.0)


def test_equity_table_need_weights_as_array_and_need_weighted_pupils():
    f = two_libraries().assign(items_per_pupil=[3.0, 3.0])
    table = equity_table(
        f, ["items_per_pupil"], need_weights=[1.0, 1.5], vertical_weighting="need_weighted_pupils"
    )
    # Adjusted 3 and 2, weighted by 100 * 1 and 300 * 1.5 = 450: mean = (300 + 900) / 550
    assert table.loc[0, VERTICAL_PREFIX + "mean"] == pytest.approx(1200 / 550)
    assert table.loc[0, VERTICAL_PREFIX + "total_weight"] == pytest.approx(550)
    pupils = equity_table(f, ["items_per_pupil"], need_weights=[1.0, 1.5])
    # Weighted by pupils: (100 * 3 + 300 * 2) / 400 = 2.25
    assert pupils.loc[0, VERTICAL_PREFIX + "mean"] == pytest.approx(2.25)


def test_equity_table_counts_dropped_and_reports_empty():
    f = two_libraries()
    f["empty"] = np.nan
    table = equity_table(f, ["loans_per_pupil", "empty"], need_weights="need").set_index(
        "indicator"
    )
    assert table.loc["loans_per_pupil", "n"] == 1
    assert table.loc["loans_per_pupil", "n_dropped"] == 1
    assert table.loc["empty", "n"] == 0
    assert math.isnan(table.loc["empty", "gini"])
    assert math.isnan(table.loc["empty", VERTICAL_PREFIX + "gini"])
    assert "no observations" in table.loc["empty", "reason"]


def test_equity_table_zero_pupils_row_is_ignored():
    f = two_libraries().assign(pupils_served=[0, 300])
    table = equity_table(f, ["items_per_pupil"])
    assert table.loc[0, "n"] == 1
    assert table.loc[0, "mean"] == 4.0


def test_equity_table_bad_inputs():
    with pytest.raises(KeyError, match="nope"):
        equity_table(two_libraries(), ["nope"])
    with pytest.raises(ValueError, match="need_weights"):
        equity_table(two_libraries(), ["items_per_pupil"], need_weights=[1.0])
    with pytest.raises(ValueError, match="vertical_weighting"):
        equity_table(
            two_libraries(), ["items_per_pupil"], need_weights="need", vertical_weighting="x"
        )
