"""Change from year to year: per library and indicator, and per equity statistic.

:func:`indicator_trends` gives, for every library and indicator, the change from
the previous inventory year on record (absolute and relative) and whether it is
an improvement (using the indicator's direction in
:data:`metrics.indicators.INDICATORS`). :func:`equity_trends` does the same for
the equity statistics of :func:`metrics.need.equity_table` computed year by year
and flags where disparity grew, with the direction of each statistic:

* **higher = more unequal**: Gini, Theil (and its between/within parts),
  Atkinson, coefficient of variation, federal range ratio, restricted range,
  range, Palma, Verstegen (1 = equal above the median, > 1 unequal);
* **lower = more unequal**: McLoone (1 = equal below the median, < 1 unequal);
* no direction (``disparity_grew`` missing): the levels (min, max, mean, median,
  P5, P95) and the counts (n, n_dropped, total_weight).

Need-adjusted statistics (prefix ``need_adjusted_``) have the direction of the
plain statistic. The same idea as LibPAS trend reports and the Kentucky SEEK
ten-year equity analysis (Picus, Odden & Fermanich 2001), which follow the
school-finance statistics of Berne & Stiefel (1984) over time.

Sources
-------
* R. Berne and L. Stiefel (1984); National Research Council, "Equity and
  Adequacy in Education Finance", ch. 1, http://books.nap.edu/openbook.php?record_id=6166&page=7
* Picus, Odden & Fermanich (2001), Kentucky SEEK 10-year equity analysis,
  https://info.5y1.org/acceptable-coefficient-of-variation_1_05389b.html
* LibPAS (Counting Opinions) trend reports,
  https://www.thelibrarymarketplace.com/pages/libpas-library-performance-assessment-system
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from metrics.indicators import INDICATORS
from metrics.need import VERTICAL_PREFIX

__all__ = ["MORE_UNEQUAL_WHEN", "equity_trends", "indicator_trends", "more_unequal_when"]

#: Direction of each disparity statistic: "higher" or "lower" value = more unequal.
MORE_UNEQUAL_WHEN: Mapping[str, str] = {
    "gini": "higher",
    "theil": "higher",
    "theil_between": "higher",
    "theil_within": "higher",
    "atkinson_0_5": "higher",
    "atkinson_1": "higher",
    "atkinson_2": "higher",
    "coefficient_of_variation": "higher",
    "federal_range_ratio": "higher",
    "restricted_range": "higher",
    "range": "higher",
    "palma": "higher",
    "verstegen": "higher",
    "mcloone": "lower",
}

_CHANGE_COLUMNS = ["previous_year", "value", "previous_value", "change", "relative_change"]


def more_unequal_when(statistic: str) -> str | None:
    """Direction of a statistic: ``"higher"``, ``"lower"`` or ``None`` (not a disparity).

    Parameters
    ----------
    statistic : str
        Name as in ``metrics.equity.equity_summary``, optionally prefixed with
        ``need_adjusted_``.

    Returns
    -------
    str or None
        ``"higher"`` when a higher value means more unequal, ``"lower"`` when a
        lower value does (McLoone), ``None`` for levels and counts.
    """
    return MORE_UNEQUAL_WHEN.get(statistic.removeprefix(VERTICAL_PREFIX))


def _changes(long: pd.DataFrame, keys: list[str], year: str) -> pd.DataFrame:
    """Add previous-year value and change within each key group; keep rows with a previous."""
    long = long.sort_values([*keys, year], kind="stable")
    grouped = long.groupby(keys, sort=False, dropna=False)
    long["previous_year"] = grouped[year].shift(1)
    long["previous_value"] = grouped["value"].shift(1)
    long = long[long["previous_year"].notna()].copy()
    long["previous_year"] = long["previous_year"].astype(long[year].dtype)
    value = long["value"].to_numpy(dtype="float64", na_value=np.nan)
    previous = long["previous_value"].to_numpy(dtype="float64", na_value=np.nan)
    long["value"] = value
    long["previous_value"] = previous
    with np.errstate(invalid="ignore"):
        change = value - previous
    long["change"] = change
    usable = np.isfinite(previous) & (previous != 0)
    safe_previous = np.abs(np.where(usable, previous, 1.0))
    with np.errstate(invalid="ignore"):
        long["relative_change"] = np.where(usable, change / safe_previous, np.nan)
    return long


def _directional_flag(change: np.ndarray, direction: pd.Series, tolerance: float) -> pd.Series:
    """True where change went in ``direction`` ("higher"/"lower") by more than tolerance."""
    up = change > tolerance
    down = change < -tolerance
    flag = np.where(direction.to_numpy() == "higher", up, down)
    known = ~np.isnan(change) & direction.notna().to_numpy()
    return pd.Series(flag, index=direction.index, dtype="boolean").where(known)


def indicator_trends(
    indicators: pd.DataFrame,
    columns: Sequence[str],
    id_column: str = "library_id",
    year_column: str = "year",
    higher_is_better: Mapping[str, bool] | None = None,
    tolerance: float = 0.0,
) -> pd.DataFrame:
    """Change of each indicator per library from one inventory year to the next.

    Parameters
    ----------
    indicators : pandas.DataFrame
        One row per library and year (:func:`metrics.indicators.library_indicators`).
    columns : sequence of str
        Indicator columns.
    id_column, year_column : str
        Library and year columns.
    higher_is_better : mapping, optional
        Direction per column; default from :data:`metrics.indicators.INDICATORS`
        (columns not in the registry get ``improved`` missing).
    tolerance : float, default 0
        Changes with absolute value <= tolerance count as no change.

    Returns
    -------
    pandas.DataFrame
        One row per library, indicator and year that has an earlier year on
        record (the first year has nothing to compare with): ``library_id``,
        ``indicator``, ``year``, ``previous_year`` (the latest earlier year on
        record, so gaps are visible), ``value``, ``previous_value``, ``change``
        (value − previous), ``relative_change`` (change ÷ |previous|; missing
        when the previous value is 0 or missing) and ``improved`` (boolean;
        missing when either value is missing or the direction is unknown).

    Raises
    ------
    ValueError
        If a library has two rows for the same year.
    KeyError
        If a column is missing.
    """
    missing = [c for c in (id_column, year_column, *columns) if c not in indicators.columns]
    if missing:
        raise KeyError(f"indicator_trends: columns not in the frame: {missing}")
    if indicators.duplicated([id_column, year_column]).any():
        raise ValueError(f"indicator_trends: several rows for one {id_column} and year")
    long = indicators[[id_column, year_column, *columns]].melt(
        id_vars=[id_column, year_column], var_name="indicator", value_name="value"
    )
    long = _changes(long, [id_column, "indicator"], year_column)
    directions = {name: ind.higher_is_better for name, ind in INDICATORS.items()}
    directions.update(higher_is_better or {})
    direction = long["indicator"].map(
        {k: ("higher" if v else "lower") for k, v in directions.items()}
    )
    long["improved"] = _directional_flag(long["change"].to_numpy(), direction, tolerance)
    order = {c: i for i, c in enumerate(columns)}
    long["_order"] = long["indicator"].map(order)
    long = long.sort_values([id_column, "_order", year_column], kind="stable")
    result = long[[id_column, "indicator", year_column, *_CHANGE_COLUMNS, "improved"]]
    return result.reset_index(drop=True)


def equity_trends(
    equity_by_year: pd.DataFrame,
    id_columns: Sequence[str] = ("indicator",),
    year_column: str = "year",
    tolerance: float = 0.0,
) -> pd.DataFrame:
    """Change of each equity statistic from year to year, and whether disparity grew.

    Parameters
    ----------
    equity_by_year : pandas.DataFrame
        Either wide: one row per year and indicator with the statistic columns
        of :func:`metrics.need.equity_table` (e.g. the tables of several years
        concatenated with a ``year`` column); non-numeric columns such as
        ``reason`` are ignored. Or long: ``year``, the ``id_columns``,
        ``statistic`` and ``value``.
    id_columns : sequence of str, default ("indicator",)
        Columns identifying a series besides the statistic (add e.g. a grouping).
    year_column : str, default "year"
        The year column.
    tolerance : float, default 0
        Changes with absolute value <= tolerance do not count as growth.

    Returns
    -------
    pandas.DataFrame
        One row per series, statistic and year with an earlier year: the
        ``id_columns``, ``statistic``, ``year``, ``previous_year``, ``value``,
        ``previous_value``, ``change``, ``relative_change`` (change ÷ |previous|,
        missing when the previous value is 0 or not finite),
        ``more_unequal_when`` (``"higher"``, ``"lower"`` or missing) and
        ``disparity_grew`` (boolean: the statistic moved towards more
        inequality; missing for levels/counts or when a value is missing).
        ``change`` may be ``inf`` when a ratio statistic became infinite.

    Raises
    ------
    ValueError
        If a series has two rows for the same year.
    """
    id_columns = list(id_columns)
    if {"statistic", "value"} <= set(equity_by_year.columns):
        long = equity_by_year[[*id_columns, year_column, "statistic", "value"]].copy()
    else:
        stats = [
            c
            for c in equity_by_year.columns
            if c not in (*id_columns, year_column)
            and pd.api.types.is_numeric_dtype(equity_by_year[c])
        ]
        long = equity_by_year[[*id_columns, year_column, *stats]].melt(
            id_vars=[*id_columns, year_column], var_name="statistic", value_name="value"
        )
    keys = [*id_columns, "statistic"]
    if long.duplicated([*keys, year_column]).any():
        raise ValueError("equity_trends: several rows for one series, statistic and year")
    statistic_order = {s: i for i, s in enumerate(pd.unique(long["statistic"]))}
    long = _changes(long, keys, year_column)
    direction = long["statistic"].map(more_unequal_when)
    long["more_unequal_when"] = direction.astype("str")
    long["disparity_grew"] = _directional_flag(long["change"].to_numpy(), direction, tolerance)
    long["_order"] = long["statistic"].map(statistic_order)
    long = long.sort_values([*id_columns, "_order", year_column], kind="stable")
    result = long[
        [*id_columns, "statistic", year_column, *_CHANGE_COLUMNS]
        + ["more_unequal_when", "disparity_grew"]
    ]
    return result.reset_index(drop=True)
