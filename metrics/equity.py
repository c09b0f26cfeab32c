"""Pupil-weighted equity statistics for school-finance style analysis.

Every pupil carries the value (staffed hours per pupil, items per pupil, SEK per
pupil, ...) of the library that serves the pupil, so each statistic is computed
over the pupil-level distribution: a school with value ``x_i`` and ``p_i`` pupils
counts exactly like ``x_i`` repeated ``p_i`` times (``np.repeat(x, p)``).
``weights=None`` gives the unweighted (one observation per row) statistic.

Conventions used throughout
---------------------------
* **Input.** One-dimensional array-likes of equal length. Rows where the value
  or the weight is NaN are dropped (:func:`equity_summary` reports how many in
  ``n_dropped``); rows with zero weight represent no pupils and are ignored.
  Negative values, negative weights, infinite values or weights, a total weight
  of zero and empty input (after dropping) raise :class:`ValueError`.
* **Percentiles** are weighted *lower* percentiles: the smallest value whose
  cumulative weight share is >= p/100, i.e. numpy's
  ``np.quantile(x, p / 100, weights=w, method="inverted_cdf")``. The median
  used by McLoone and Verstegen is ``weighted_percentile(x, 50, w)``.
* **McLoone** uses the sum of the values of exactly the bottom 50 % of pupils,
  the school on the median split so that exactly half the pupils count,
  divided by ``median * W / 2``. This reproduces the published posit-forum
  example (values 1000, 200, 100, 60, 45, 24, weights 2, 4, 6, 6, 8, 12 give
  603 / (45 * 19) = 0.7053). **Verstegen** is the same for the top 50 %.
  **Palma** splits the schools that straddle the 40 % and the 90 % boundaries
  in the same way.
* **Gini** is the population form (no n/(n-1) correction), as in PySAL.
  **Theil** is Theil T (GE(1)) with 0 * ln 0 = 0. **Atkinson** with
  ``epsilon >= 1`` is undefined for zero values and raises ValueError.
* **Undefined results.** Where a statistic is 0/0 (typically all values zero,
  so the mean or the median is zero) the function returns ``nan``. Where a
  ratio has a positive numerator and a zero denominator (e.g. the federal range
  ratio with P5 = 0, or Palma when the bottom 40 % of pupils hold nothing) it
  returns ``inf``.

All functions are vectorised numpy and cost O(n log n) (one sort).

Sources
-------
* R. Berne and L. Stiefel (1984), *The Measurement of Equity in School
  Finance*; summarised in National Research Council, "Equity and Adequacy in
  Education Finance", ch. 1,
  http://books.nap.edu/openbook.php?record_id=6166&page=7 (p. 18 horizontal
  equity, p. 21 vertical equity and weights).
* L. O. Picus, "Understanding Equity Statistics",
  https://cdn.slideserve.com/landen/understanding-equity-statistics (range,
  restricted range, federal range ratio, coefficient of variation, Gini).
* McLoone index worked example, posit community forum,
  https://forum.posit.co/t/how-to-calculate-mcloone-index/52862
* A. Cobham and A. Sumner, Palma ratio, Center for Global Development,
  https://international.cgdev.org/publication/it-all-about-tails-palma-measure-income-inequality
* PySAL ``inequality`` (Gini, Theil, TheilD, Atkinson), whose unweighted
  results these functions reproduce.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "atkinson",
    "coefficient_of_variation",
    "equity_summary",
    "federal_range_ratio",
    "gini",
    "mcloone",
    "palma",
    "restricted_range",
    "theil",
    "theil_decomposition",
    "verstegen",
    "weighted_percentile",
]


# --- helpers


@dataclass(frozen=True)
class _Data:
    """Cleaned observations sorted ascending by value."""

    x: np.ndarray  # values, sorted ascending
    w: np.ndarray  # weights in the same order (all > 0)
    cum_before: np.ndarray  # cumulative weight strictly before each observation
    total_weight: float
    total: float  # sum of w * x
    mean: float
    n_dropped: int
    order: np.ndarray  # permutation from the cleaned input order to sorted order
    keep: np.ndarray  # boolean mask of input rows that were used

    @property
    def n(self) -> int:
        return int(self.x.size)


def _as_1d_float(data: Any, name: str) -> np.ndarray:
    if hasattr(data, "to_numpy"):  # pandas Series / extension arrays with pd.NA
        arr = np.asarray(data.to_numpy(dtype=float, na_value=np.nan))
    else:
        arr = np.asarray(data, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {arr.shape}")
    return arr


def _prepare(values: Any, weights: Any = None) -> _Data:
    x = _as_1d_float(values, "values")
    if weights is None:
        w = np.ones_like(x)
    else:
        w = _as_1d_float(weights, "weights")
        if w.shape != x.shape:
            raise ValueError(
                f"values and weights must have the same length, got {x.size} and {w.size}"
            )
    nan_rows = np.isnan(x) | np.isnan(w)
    n_dropped = int(nan_rows.sum())
    valid = ~nan_rows
    if not valid.any():
        raise ValueError("no observations left after dropping rows with NaN value or weight")
    xv, wv = x[valid], w[valid]
    if np.isinf(xv).any():
        raise ValueError("values must be finite")
    if np.isinf(wv).any():
        raise ValueError("weights must be finite")
    if (xv < 0).any():
        raise ValueError("values must be non-negative")
    if (wv < 0).any():
        raise ValueError("weights must be non-negative")
    keep = valid & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        raise ValueError("total weight is zero: no observation has a positive weight")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    total_weight = float(cum[-1])
    cum_before = np.concatenate(([0.0], cum[:-1]))
    total = float(np.dot(w, x))
    return _Data(
        x=x,
        w=w,
        cum_before=cum_before,
        total_weight=total_weight,
        total=total,
        mean=total / total_weight,
        n_dropped=n_dropped,
        order=order,
        keep=keep,
    )


def _ratio(num: float, den: float) -> float:
    """num / den with 0/0 -> nan and positive/0 -> inf, without warnings."""
    if den == 0:
        return math.nan if num == 0 else math.inf
    return float(num / den)


def _percentile(d: _Data, p: float) -> float:
    p = float(p)
    if not 0 <= p <= 100:
        raise ValueError(f"p must be between 0 and 100, got {p}")
    # Same arithmetic as numpy's weighted inverted_cdf: cdf normalised to 1,
    # searchsorted(side="left") for q, capped at the last observation.
    cdf = (d.cum_before + d.w) / d.total_weight
    idx = int(np.searchsorted(cdf, p / 100.0, side="left"))
    return float(d.x[min(idx, d.n - 1)])


def _lower_sum(d: _Data, share: float) -> float:
    """Sum of values held by the bottom ``share`` of the weight (straddler split)."""
    cut = share * d.total_weight
    counted = np.clip(cut - d.cum_before, 0.0, d.w)
    return float(np.dot(counted, d.x))


def _gini(d: _Data) -> float:
    if d.total == 0:
        return math.nan
    big_w = d.total_weight
    num = float(np.dot(d.w * d.x, 2.0 * d.cum_before + d.w - big_w))
    return num / (big_w * d.total)


def _theil(d: _Data) -> float:
    if d.total == 0:
        return math.nan
    pos = d.x > 0
    x, w = d.x[pos], d.w[pos]
    return float(np.dot(w * x, np.log(x / d.mean)) / d.total)


def _atkinson(d: _Data, epsilon: float) -> float:
    epsilon = float(epsilon)
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be non-negative, got {epsilon}")
    if epsilon >= 1 and (d.x == 0).any():
        raise ValueError(
            f"Atkinson index with epsilon={epsilon:g} (>= 1) is undefined when a value is zero; "
            "use epsilon < 1 or remove the zero values"
        )
    if d.mean == 0:
        return math.nan
    shares = d.w / d.total_weight
    if epsilon == 1:
        ede = math.exp(float(np.dot(shares, np.log(d.x))))
        return 1.0 - ede / d.mean
    power = 1.0 - epsilon
    ratio = float(np.dot(shares, (d.x / d.mean) ** power)) ** (1.0 / power)
    return 1.0 - ratio


def _cv(d: _Data) -> float:
    if d.mean == 0:
        return math.nan
    var = float(np.dot(d.w, (d.x - d.mean) ** 2)) / d.total_weight
    return math.sqrt(var) / d.mean


def _mcloone(d: _Data) -> float:
    median = _percentile(d, 50)
    half = d.total_weight / 2.0
    return _ratio(_lower_sum(d, 0.5), median * half)


def _verstegen(d: _Data) -> float:
    median = _percentile(d, 50)
    half = d.total_weight / 2.0
    return _ratio(d.total - _lower_sum(d, 0.5), median * half)


def _palma(d: _Data) -> float:
    top = d.total - _lower_sum(d, 0.9)
    bottom = _lower_sum(d, 0.4)
    # Guard against a tiny negative from floating-point cancellation.
    return _ratio(max(top, 0.0), bottom)


def _restricted_range(d: _Data) -> float:
    return _percentile(d, 95) - _percentile(d, 5)


def _federal_range_ratio(d: _Data) -> float:
    return _ratio(_restricted_range(d), _percentile(d, 5))


# --- public API


def weighted_percentile(values: Any, p: float, weights: Any = None) -> float:
    """Weighted lower percentile (inverted CDF).

    The smallest value whose cumulative weight share is >= ``p / 100``; equal to
    ``np.quantile(values, p / 100, weights=weights, method="inverted_cdf")``.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values, one per school (NaN rows are dropped).
    p : float
        Percentile, between 0 and 100 inclusive.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The percentile; always one of the observed values.

    Examples
    --------
    >>> weighted_percentile([1, 2, 3, 4], 50)
    2.0
    >>> weighted_percentile([1, 2, 3, 4], 50, weights=[1, 1, 1, 5])
    4.0
    """
    return _percentile(_prepare(values, weights), p)


def gini(values: Any, weights: Any = None) -> float:
    """Gini coefficient (population form), pupil-weighted.

    ``G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)``, computed in O(n log n)
    after sorting. With unit weights it equals PySAL ``inequality.gini.Gini``.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        0 (all equal) ... 1 - 1/W; ``nan`` if the mean is zero.

    Examples
    --------
    >>> round(gini([1, 2, 3, 4, 5]), 6)
    0.266667
    >>> round(gini([0.05, 0.10, 0.02, 0.08, 0.20, 0.01],
    ...            weights=[400, 250, 600, 300, 100, 350]), 6)
    0.442943
    """
    return _gini(_prepare(values, weights))


def theil(values: Any, weights: Any = None) -> float:
    """Theil T index (GE(1)), pupil-weighted.

    ``T = sum_i (w_i / W) (x_i / mu) ln(x_i / mu)`` with ``0 ln 0 = 0``.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values; zeros are allowed.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        0 (all equal) ... ln W; ``nan`` if the mean is zero.

    Examples
    --------
    >>> round(theil([1, 2, 3, 4, 5]), 7)
    0.1196876
    >>> round(theil([0, 0, 0, 10]), 7)  # ln 4
    1.3862944
    """
    return _theil(_prepare(values, weights))


def theil_decomposition(values: Any, groups: Any, weights: Any = None) -> dict[str, float]:
    """Theil T split into between-group and within-group parts.

    ``between = sum_g s_g ln(mu_g / mu)`` and ``within = sum_g s_g T_g``, where
    ``s_g`` is group g's share of the weighted total ``sum w x``, ``mu_g`` its
    weighted mean and ``T_g`` its own Theil T; ``total = between + within``.
    With unit weights this matches PySAL ``inequality.theil.TheilD``.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    groups : array-like, shape (n,)
        Group label per row (district, municipality, organiser, ...). Labels
        may be of any hashable type; a missing label (None/NaN) on a row that
        is used raises ValueError (rows dropped for a NaN value or weight may
        have a missing label).
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    dict
        ``{"total": float, "between": float, "within": float}``; all ``nan``
        if the mean is zero.

    Examples
    --------
    >>> r = theil_decomposition([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1])
    >>> {k: round(v, 7) for k, v in r.items()}
    {'total': 0.1293825, 'between': 0.0948776, 'within': 0.0345049}
    """
    g = groups.to_numpy() if hasattr(groups, "to_numpy") else np.asarray(groups)
    if g.ndim != 1:
        raise ValueError(f"groups must be one-dimensional, got an array of shape {g.shape}")
    d = _prepare(values, weights)
    if g.size != d.keep.size:
        raise ValueError(
            f"values and groups must have the same length, got {d.keep.size} and {g.size}"
        )
    codes, _ = pd.factorize(g, use_na_sentinel=True)
    codes = codes[d.keep][d.order]
    if (codes < 0).any():
        raise ValueError("groups contains missing labels; give every used row a group")
    if d.total == 0:
        return {"total": math.nan, "between": math.nan, "within": math.nan}
    n_groups = int(codes.max()) + 1
    wx = d.w * d.x
    group_weight = np.bincount(codes, weights=d.w, minlength=n_groups)
    group_total = np.bincount(codes, weights=wx, minlength=n_groups)
    occupied = group_total > 0
    group_share = group_total[occupied] / d.total
    group_mean = group_total[occupied] / group_weight[occupied]
    between = float(np.dot(group_share, np.log(group_mean / d.mean)))
    # within = sum_g s_g T_g = sum_i (w_i x_i / S) ln(x_i / mu_g(i)), since s_g / (W_g mu_g) = 1 / S
    pos = d.x > 0
    mean_of_row = np.zeros(n_groups)
    mean_of_row[occupied] = group_mean
    within = float(np.dot(wx[pos], np.log(d.x[pos] / mean_of_row[codes[pos]])) / d.total)
    return {"total": _theil(d), "between": between, "within": within}


def atkinson(values: Any, epsilon: float = 0.5, weights: Any = None) -> float:
    """Atkinson index with inequality aversion ``epsilon``, pupil-weighted.

    ``A = 1 - [sum (w_i/W) (x_i/mu)^(1-eps)]^(1/(1-eps))``; for ``eps = 1``
    ``A = 1 - exp(sum (w_i/W) ln x_i) / mu``.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values; zeros are allowed only for ``epsilon < 1``.
    epsilon : float, default 0.5
        Inequality aversion, >= 0 (0 gives 0).
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        0 (all equal) ... 1; ``nan`` if the mean is zero (``epsilon < 1``).

    Raises
    ------
    ValueError
        If ``epsilon >= 1`` and a value is zero, or ``epsilon < 0``.

    Examples
    --------
    >>> round(atkinson([10, 20, 30, 40, 50], 0.5), 5)
    0.06315
    >>> round(atkinson([10, 20, 30, 40, 50], 1), 5)
    0.13161
    """
    return _atkinson(_prepare(values, weights), epsilon)


def coefficient_of_variation(values: Any, weights: Any = None) -> float:
    """Coefficient of variation: population standard deviation / mean, pupil-weighted.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        ``sigma_w / mu`` with ``sigma_w^2 = sum w (x - mu)^2 / W``; ``nan`` if the
        mean is zero.

    Examples
    --------
    >>> round(coefficient_of_variation(range(1, 11)), 6)
    0.522233
    """
    return _cv(_prepare(values, weights))


def mcloone(values: Any, weights: Any = None) -> float:
    """McLoone index: the bottom half relative to the median.

    Sum of the values of exactly the bottom 50 % of pupils divided by
    ``median * W / 2``; the school on the median is split so that exactly half
    the pupils count. 1 means equal below the median, < 1 unequal.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The index; ``nan`` if the (lower, weighted) median is zero.

    Examples
    --------
    Published example (posit forum): 603 / (45 * 19).

    >>> round(mcloone([1000, 200, 100, 60, 45, 24], weights=[2, 4, 6, 6, 8, 12]), 4)
    0.7053
    """
    return _mcloone(_prepare(values, weights))


def verstegen(values: Any, weights: Any = None) -> float:
    """Verstegen index: the top half relative to the median.

    Sum of the values of exactly the top 50 % of pupils divided by
    ``median * W / 2`` (the school on the median split as in :func:`mcloone`).
    1 means equal above the median, > 1 unequal.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The index; ``nan`` if the median and the top half are zero, ``inf`` if
        only the median is zero.

    Examples
    --------
    >>> round(verstegen(range(1, 11)), 6)
    1.6
    """
    return _verstegen(_prepare(values, weights))


def federal_range_ratio(values: Any, weights: Any = None) -> float:
    """Federal range ratio ``(P95 - P5) / P5`` with weighted lower percentiles.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The ratio; ``nan`` if P5 = P95 = 0, ``inf`` if only P5 is zero.

    Examples
    --------
    >>> federal_range_ratio(range(1, 11))
    9.0
    """
    return _federal_range_ratio(_prepare(values, weights))


def restricted_range(values: Any, weights: Any = None) -> float:
    """Restricted range ``P95 - P5`` with weighted lower percentiles.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The restricted range, in the unit of ``values``.

    Examples
    --------
    >>> restricted_range(range(1, 11))
    9.0
    """
    return _restricted_range(_prepare(values, weights))


def palma(values: Any, weights: Any = None) -> float:
    """Palma ratio: share held by the top 10 % of pupils / share held by the bottom 40 %.

    The schools that straddle the 40 % and the 90 % pupil boundaries are split
    so that exactly 40 % and 10 % of the pupils count.

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    float
        The ratio; ``nan`` if the total is zero, ``inf`` if only the bottom 40 %
        hold nothing.

    Examples
    --------
    >>> palma([0.05, 0.10, 0.02, 0.08, 0.20, 0.01], weights=[400, 250, 600, 300, 100, 350])
    2.4
    """
    return _palma(_prepare(values, weights))


def equity_summary(values: Any, weights: Any = None) -> dict[str, float | int]:
    """All equity statistics in one dictionary (one sort, one validation).

    Parameters
    ----------
    values : array-like, shape (n,)
        Non-negative values; NaN rows are dropped and counted.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils). ``None`` means unweighted.

    Returns
    -------
    dict
        ``gini``, ``theil``, ``atkinson_0_5``, ``atkinson_1``, ``atkinson_2``
        (``nan`` when a value is zero), ``coefficient_of_variation``,
        ``mcloone``, ``verstegen``, ``federal_range_ratio``,
        ``restricted_range``, ``range``, ``palma``, ``min``, ``max``, ``mean``
        (weighted), ``median``, ``p5``, ``p95`` (weighted lower percentiles),
        ``n`` (observations used: non-NaN rows with positive weight),
        ``n_dropped`` (rows dropped for a NaN value or weight) and
        ``total_weight``.

    Examples
    --------
    >>> s = equity_summary([1.0, 2.0, float("nan"), 4.0], weights=[1, 1, 1, 2])
    >>> s["n"], s["n_dropped"], s["total_weight"], s["median"]
    (3, 1, 4.0, 2.0)
    """
    d = _prepare(values, weights)
    has_zero = bool((d.x == 0).any())
    p5 = _percentile(d, 5)
    p95 = _percentile(d, 95)
    return {
        "gini": _gini(d),
        "theil": _theil(d),
        "atkinson_0_5": _atkinson(d, 0.5),
        "atkinson_1": math.nan if has_zero else _atkinson(d, 1.0),
        "atkinson_2": math.nan if has_zero else _atkinson(d, 2.0),
        "coefficient_of_variation": _cv(d),
        "mcloone": _mcloone(d),
        "verstegen": _verstegen(d),
        "federal_range_ratio": _ratio(p95 - p5, p5),
        "restricted_range": p95 - p5,
        "range": float(d.x[-1] - d.x[0]),
        "palma": _palma(d),
        "min": float(d.x[0]),
        "max": float(d.x[-1]),
        "mean": d.mean,
        "median": _percentile(d, 50),
        "p5": p5,
        "p95": p95,
        "n": d.n,
        "n_dropped": d.n_dropped,
        "total_weight": d.total_weight,
    }
