"""Tests for metrics.trends: year-over-year change of indicators and equity statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.indicators import library_indicators
from metrics.need import equity_table
from metrics.trends import MORE_UNEQUAL_WHEN, equity_trends, indicator_trends, more_unequal_when

INDICATORS_BY_YEAR = pd.DataFrame(
    {
        "library_id": [1, 1, 1, 2, 2],
        "year": [2022, 2023, 2025, 2022, 2023],
        "items_per_pupil": [10.0, 12.0, 12.0, 0.0, 3.0],
        "median_collection_age": [10.0, 9.0, np.nan, 3.0, 4.0],
    }
)


def trends() -> pd.DataFrame:
    return indicator_trends(INDICATORS_BY_YEAR, ["items_per_pupil", "median_collection_age"])


def test_indicator_trends_columns_and_rows():
    result = trends()
    assert list(result.columns) == [
        "library_id",
        "indicator",
        "year",
        "previous_year",
        "value",
        "previous_value",
        "change",
        "relative_change",
        "improved",
    ]
    # Library 1 has 3 years (2 changes), library 2 has 2 years (1 change), 2 indicators each.
    assert len(result) == (2 + 1) * 2


# (library, indicator, year, previous year, change, relative change, improved)
INDICATOR_CASES = [
    (1, "items_per_pupil", 2023, 2022, 2.0, 0.2, True),  # 12 - 10, 2 / 10
    (1, "items_per_pupil", 2025, 2023, 0.0, 0.0, False),  # gap year 2024 shows in previous_year
    (1, "median_collection_age", 2023, 2022, -1.0, -0.1, True),  # younger collection is better
    (1, "median_collection_age", 2025, 2023, np.nan, np.nan, None),  # missing value
    (2, "items_per_pupil", 2023, 2022, 3.0, np.nan, True),  # from 0: relative change undefined
    (2, "median_collection_age", 2023, 2022, 1.0, 1 / 3, False),  # older is worse
]


@pytest.mark.parametrize(
    ("library", "indicator", "year", "previous", "change", "relative", "improved"),
    INDICATOR_CASES,
)
def test_indicator_trends_values(library, indicator, year, previous, change, relative, improved):
    result = trends().set_index(["library_id", "indicator", "year"])
    row = result.loc[(library, indicator, year)]
    assert row["previous_year"] == previous
    for got, want in ((row["change"], change), (row["relative_change"], relative)):
        if np.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want)
    if improved is None:
        assert pd.isna(row["improved"])
    else:
        assert bool(row["improved"]) is improved


def test_indicator_trends_custom_direction_and_unknown_direction():
    frame = INDICATORS_BY_YEAR.assign(custom=[1.0, 2.0, 3.0, 1.0, 1.0])
    default = indicator_trends(frame, ["custom"])
    assert default["improved"].isna().all()  # not in the registry
    custom = indicator_trends(frame, ["custom"], higher_is_better={"custom": False})
    assert custom["improved"].tolist() == [False, False, False]


def test_indicator_trends_tolerance():
    frame = INDICATORS_BY_YEAR.assign(items_per_pupil=[10.0, 10.0 + 1e-13, 12.0, 0.0, 3.0])
    result = indicator_trends(frame, ["items_per_pupil"], tolerance=1e-9)
    assert result["improved"].tolist() == [False, True, True]


def test_indicator_trends_duplicate_year_raises():
    frame = pd.concat([INDICATORS_BY_YEAR, INDICATORS_BY_YEAR.iloc[[0]]])
    with pytest.raises(ValueError, match="several rows"):
        indicator_trends(frame, ["items_per_pupil"])


# ------------------------------------------------------------------ equity trends

# (statistic, before, after, expected disparity_grew)
DIRECTION_CASES = [
    ("gini", 0.20, 0.25, True),
    ("gini", 0.25, 0.20, False),
    ("theil", 0.05, 0.06, True),
    ("atkinson_0_5", 0.10, 0.05, False),
    ("atkinson_1", 0.10, 0.11, True),
    ("atkinson_2", 0.30, 0.31, True),
    ("coefficient_of_variation", 0.30, 0.40, True),
    ("coefficient_of_variation", 0.40, 0.30, False),
    ("federal_range_ratio", 2.0, 3.0, True),
    ("restricted_range", 5.0, 4.0, False),
    ("range", 5.0, 6.0, True),
    ("palma", 1.2, 1.5, True),
    ("palma", 1.5, 1.2, False),
    ("verstegen", 1.2, 1.4, True),
    ("mcloone", 0.90, 0.80, True),  # lower McLoone = more unequal
    ("mcloone", 0.80, 0.90, False),
    ("need_adjusted_mcloone", 0.95, 0.85, True),
    ("need_adjusted_gini", 0.10, 0.05, False),
    ("gini", 0.20, 0.20, False),  # no change
    ("mean", 1.0, 2.0, None),  # a level, not a disparity
    ("median", 2.0, 1.0, None),
    ("n", 10, 12, None),
    ("gini", 0.20, np.nan, None),  # missing value
]


@pytest.mark.parametrize(("statistic", "before", "after", "grew"), DIRECTION_CASES)
def test_equity_trends_direction(statistic, before, after, grew):
    table = pd.DataFrame(
        {"year": [2023, 2024], "indicator": ["items_per_pupil"] * 2, statistic: [before, after]}
    )
    row = equity_trends(table).iloc[0]
    assert row["statistic"] == statistic
    assert row["year"] == 2024 and row["previous_year"] == 2023
    if not np.isnan(after):
        assert row["change"] == pytest.approx(after - before)
    if grew is None:
        assert pd.isna(row["disparity_grew"])
    else:
        assert bool(row["disparity_grew"]) is grew


@pytest.mark.parametrize(
    ("statistic", "direction"),
    [
        ("gini", "higher"),
        ("theil", "higher"),
        ("coefficient_of_variation", "higher"),
        ("palma", "higher"),
        ("federal_range_ratio", "higher"),
        ("mcloone", "lower"),
        ("need_adjusted_mcloone", "lower"),
        ("need_adjusted_palma", "higher"),
        ("mean", None),
        ("total_weight", None),
    ],
)
def test_more_unequal_when(statistic, direction):
    assert more_unequal_when(statistic) == direction


def test_every_disparity_statistic_of_the_summary_has_a_direction():
    from metrics.need import STATISTICS

    levels = {"min", "max", "mean", "median", "p5", "p95", "n", "n_dropped", "total_weight"}
    assert set(STATISTICS) - levels <= set(MORE_UNEQUAL_WHEN)


def test_equity_trends_long_input_and_groups():
    long = pd.DataFrame(
        {
            "district": ["N", "N", "S", "S"],
            "indicator": ["x"] * 4,
            "year": [2023, 2024, 2023, 2024],
            "statistic": ["mcloone"] * 4,
            "value": [0.9, 0.95, 0.9, 0.7],
        }
    )
    result = equity_trends(long, id_columns=["district", "indicator"]).set_index("district")
    assert bool(result.loc["N", "disparity_grew"]) is False
    assert bool(result.loc["S", "disparity_grew"]) is True
    assert result.loc["S", "relative_change"] == pytest.approx(-0.2 / 0.9)


def test_equity_trends_ignores_text_columns_and_duplicates_raise():
    table = pd.DataFrame(
        {"year": [2023, 2024], "indicator": ["x", "x"], "gini": [0.1, 0.2], "reason": [None, "r"]}
    )
    assert equity_trends(table)["statistic"].tolist() == ["gini"]
    with pytest.raises(ValueError, match="several rows"):
        equity_trends(pd.concat([table, table]))


def test_end_to_end_disparity_grew_when_one_library_lost_hours():
    # Two libraries with 100 pupils each. 2023: 10 and 10 staffed hours per 100 pupils;
    # 2024: 5 and 15. Gini 2024 = 2 * 100 * 100 * 10 / (2 * 200^2 * 10) = 0.25.
    frame = pd.DataFrame(
        {
            "library_id": [1, 2, 1, 2],
            "year": [2023, 2023, 2024, 2024],
            "pupils_served": [100, 100, 100, 100],
            "staffed_hours": [10.0, 10.0, 5.0, 15.0],
        }
    )
    indicators = library_indicators(frame)
    tables = [
        equity_table(group, ["staffed_hours_per_100_pupils"]).assign(year=year)
        for year, group in indicators.groupby("year")
    ]
    result = equity_trends(pd.concat(tables, ignore_index=True)).set_index("statistic")
    assert result.loc["gini", "previous_value"] == pytest.approx(0.0)
    assert result.loc["gini", "value"] == pytest.approx(0.25)
    assert bool(result.loc["gini", "disparity_grew"]) is True
    assert bool(result.loc["coefficient_of_variation", "disparity_grew"]) is True
    assert pd.isna(result.loc["mean", "disparity_grew"])  # the mean stayed 10
    per_library = indicator_trends(indicators, ["staffed_hours_per_100_pupils"])
    assert per_library["improved"].tolist() == [False, True]
