"""Pupil outcomes beside library provision: weighted associations, need adjustment, bootstrap.

Every school unit with year-9 results carries the indicators of the library that serves it
(the convention of :mod:`metrics.equity`: each pupil carries the value of the library serving
the pupil's school unit), and the analysis asks how the school units' results vary with their
library provision.

Definitions
-----------
* **Weights.** Every statistic is weighted by the number of pupils leaving year 9 (``pupils``
  of ``school_result``): a school unit with ``p`` leavers counts like ``p`` pupils, so a
  weighted statistic with integer weights equals the unweighted one on ``np.repeat``-expanded
  data.
* **Correlation.** The weighted Pearson correlation
  ``r = sum w (x - mx)(y - my) / sqrt(sum w (x - mx)^2 * sum w (y - my)^2)`` with weighted
  means ``mx``, ``my``. The **slope** is the weighted least-squares slope of the outcome on the
  indicator, ``sum w (x - mx)(y - my) / sum w (x - mx)^2`` (outcome units per indicator unit).
* **Adjusting for need.** The outcome is regressed (weighted least squares, with an intercept)
  on the need-index inputs :data:`NEED_INPUTS` (share of pupils with foreign background, share
  with parents with post-secondary education; the inputs of :mod:`metrics.need`), and the
  residual, the part of the result that need does not predict, is correlated with the library
  indicator. This is the *semi-partial* (part) correlation: it equals the partial correlation
  times ``sqrt(1 - R^2)`` of the indicator on the need inputs, so it is smaller than the
  partial correlation when the library provision itself follows need.
* **Confidence intervals.** Percentile intervals of a school-unit (cluster) bootstrap: the
  school units are resampled with replacement, each keeping its pupils as weight, and the whole
  computation, including the need regression, is repeated on every resample. All replicates
  are computed at once (arrays of shape ``(n_boot, n)``). A seed makes them reproducible.
* **Left out.** A school unit is left out of an analysis, and counted under the first reason
  that applies (:data:`EXCLUSION_REASONS`): the outcome or the pupil count suppressed by
  Skolverket (``..``, fewer than 10 pupils behind the figure); the outcome missing otherwise
  (``.``); fewer than ``min_pupils`` (10) pupils; no value of the library indicator; a missing
  need input. Raw and need-adjusted figures use the same school units.

What it can show
----------------
An association across school units describes how results and library provision vary
*together*. It cannot show that the library causes the results: both follow the pupils'
background and the school's resources in ways the two need inputs do not capture, the
direction may run the other way (a school with good results may keep its library), and a
handful of school units gives wide intervals. Many indicator-outcome pairs examined at once
also make some look strong by chance.

Sources
-------
* Skolverket, "Grundskola – Slutbetyg årskurs 9, samtliga elever" (school-unit level): pupils,
  share meeting the grade criteria in all subjects, share eligible for vocational programmes,
  mean merit value (17 subjects); ``..`` for figures based on fewer than 10 pupils.
* B. Efron and R. Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13 (percentile
  intervals); resampling clusters (school units) rather than pupils.
* R. Frisch and F. V. Waugh (1933) for residualising on covariates; the semi-partial
  correlation as in J. Cohen et al., *Applied Multiple Regression/Correlation Analysis*.
* PySAL ``inequality`` for the style of the pure, vectorised functions here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metrics.indicators import INDICATORS

__all__ = [
    "ASSOCIATION_COLUMNS",
    "CONFIDENCE",
    "EXCLUSION_REASONS",
    "KEY_INDICATORS",
    "MIN_PUPILS",
    "MIN_SCHOOLS",
    "NEED_INPUTS",
    "N_BOOT",
    "OUTCOMES",
    "POSITIONS",
    "SUMMARY_COLUMNS",
    "WLSFit",
    "analysis_sample",
    "association",
    "association_summary",
    "associations",
    "bootstrap_correlation",
    "bootstrap_indices",
    "fitted_line",
    "need_positions",
    "outcome_frame",
    "weighted_least_squares",
    "weighted_pearson",
]

#: The outcome columns of ``school_result``, in display order.
OUTCOMES: tuple[str, ...] = ("mean_merit_value", "share_all_subjects", "share_eligible_vocational")
#: The need-index inputs the outcomes are adjusted for (school unit, same year).
NEED_INPUTS: tuple[str, ...] = ("share_foreign_background", "share_parents_post_secondary")
#: Library indicators of the compact summary (:func:`association_summary`).
KEY_INDICATORS: tuple[str, ...] = (
    "staffed_hours_per_100_pupils",
    "items_per_pupil",
    "media_cost_sek_per_pupil",
    "loans_per_pupil",
)
#: Fewest pupils a school unit needs to be included (Skolverket's own threshold).
MIN_PUPILS = 10
#: Fewest school units for a correlation (and for the need regression's three parameters).
MIN_SCHOOLS = 5
N_BOOT = 999
CONFIDENCE = 0.95

EXCLUDED_SUPPRESSED = "suppressed"
EXCLUDED_NO_OUTCOME = "no_outcome"
EXCLUDED_SMALL_GROUP = "small_group"
EXCLUDED_NO_INDICATOR = "no_indicator"
EXCLUDED_NO_NEED = "no_need"
#: Why a school unit is left out, in the order the reasons are tested.
EXCLUSION_REASONS: tuple[str, ...] = (
    EXCLUDED_SUPPRESSED,
    EXCLUDED_NO_OUTCOME,
    EXCLUDED_SMALL_GROUP,
    EXCLUDED_NO_INDICATOR,
    EXCLUDED_NO_NEED,
)

POSITION_ABOVE = "above"
POSITION_EXPECTED = "expected"
POSITION_BELOW = "below"
#: Result compared with what need predicts (:func:`need_positions`).
POSITIONS: tuple[str, ...] = (POSITION_ABOVE, POSITION_EXPECTED, POSITION_BELOW)

#: Library kinds that are no library (a school unit "served" by one has no provision).
_NOT_A_LIBRARY = ("none",)
_REASON_FEW = "fewer than {n} school units"
#: A centred sum of squares below this share of the raw one is rounding noise (no spread).
_FLAT = 1e-10


# --------------------------------------------------------------------------- helpers


def _as_float(data: Any, name: str) -> np.ndarray:
    if hasattr(data, "to_numpy"):
        arr = np.asarray(data.to_numpy(dtype=float, na_value=np.nan))
    else:
        arr = np.asarray(data, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _weights(weights: Any, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _as_float(weights, "weights")
    if w.size != n:
        raise ValueError(f"weights has {w.size} values for {n} observations")
    if (w[~np.isnan(w)] < 0).any():
        raise ValueError("weights must be 0 or more")
    return w


def _pearson_rows(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted correlation along the last axis (NaN where a variable has no spread)."""
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = x - (w * x).sum(axis=-1, keepdims=True) / total
        dy = y - (w * y).sum(axis=-1, keepdims=True) / total
        sxy = (w * dx * dy).sum(axis=-1)
        sxx = (w * dx * dx).sum(axis=-1)
        syy = (w * dy * dy).sum(axis=-1)
        r = sxy / np.sqrt(sxx * syy)
    flat = _no_spread(x, sxx, total[..., 0]) | _no_spread(y, syy, total[..., 0])
    return np.clip(np.where(flat, np.nan, r), -1.0, 1.0)


def _no_spread(values: np.ndarray, sum_squares: np.ndarray, total: np.ndarray) -> np.ndarray:
    """A (numerically) constant variable: its spread is rounding noise or there is no weight."""
    scale = np.max(np.abs(values), axis=-1) ** 2 + 1e-300
    return ~(total > 0) | ~(sum_squares > 1e-20 * scale * total)


def _line_rows(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares intercept and slope of ``y`` on ``x`` along the last axis."""
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * x).sum(axis=-1, keepdims=True) / total
        my = (w * y).sum(axis=-1, keepdims=True) / total
        dx = x - mx
        sxx = (w * dx * dx).sum(axis=-1)
        slope = (w * dx * (y - my)).sum(axis=-1) / sxx
    slope = np.where(_no_spread(x, sxx, total[..., 0]), np.nan, slope)
    return my[..., 0] - slope * mx[..., 0], slope


def _design(covariates: np.ndarray, n: int) -> np.ndarray:
    matrix = np.asarray(covariates, dtype=float).reshape(n, -1)
    return np.column_stack([np.ones(n), matrix])


def _residual_rows(y: np.ndarray, design: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares residuals of ``y`` (..., n) on ``design`` (..., n, k), batched.

    The normal equations are solved with the pseudo-inverse, so a resample whose design is
    singular (e.g. the same school unit drawn many times) still gets its exact projection.
    """
    weighted = design * w[..., None]
    gram = np.swapaxes(weighted, -1, -2) @ design
    moment = (weighted * y[..., None]).sum(axis=-2)
    beta = (np.linalg.pinv(gram) @ moment[..., None])[..., 0]
    return y - (design @ beta[..., None])[..., 0]


def _interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite replicates; NaN when fewer than half are finite."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size < max(1, replicates.size // 2):
        return float("nan"), float("nan")
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _check_bootstrap(n_boot: int, confidence: float) -> None:
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


# --------------------------------------------------------------------------- statistics


def weighted_pearson(x: Any, y: Any, weights: Any = None) -> float:
    """Weighted Pearson correlation of ``x`` and ``y``.

    Parameters
    ----------
    x, y : array-like, shape (n,)
        Values; a row where either value or the weight is NaN is dropped.
    weights : array-like, shape (n,), optional
        Non-negative weights (pupils); default 1 for every row.

    Returns
    -------
    float
        ``sum w dx dy / sqrt(sum w dx^2 * sum w dy^2)`` with deviations from the weighted
        means; NaN with fewer than two rows of positive weight or when a variable is constant.

    Raises
    ------
    ValueError
        Lengths differ or a weight is negative.

    Examples
    --------
    >>> round(weighted_pearson([1, 2, 3], [2, 4, 5], [1, 1, 2]), 4)
    0.9847
    """
    xs, ys = _as_float(x, "x"), _as_float(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same length, got {xs.size} and {ys.size}")
    w = _weights(weights, xs.size)
    keep = ~(np.isnan(xs) | np.isnan(ys) | np.isnan(w)) & (w > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(_pearson_rows(xs[keep], ys[keep], w[keep]))


@dataclass(frozen=True)
class WLSFit:
    """A weighted least-squares fit.

    Attributes
    ----------
    coef : numpy.ndarray, shape (k,)
        Coefficients; the intercept first when the fit has one.
    fitted, residuals : numpy.ndarray, shape (n,)
        Fitted values and ``y - fitted``, in the order of the input.
    rank : int
        Rank of the weighted design matrix (less than ``k`` when columns are collinear;
        the coefficients are then the minimum-norm solution, the residuals still exact).
    """

    coef: np.ndarray
    fitted: np.ndarray
    residuals: np.ndarray
    rank: int


def weighted_least_squares(
    y: Any,
    X: Any,  # noqa: N803
    weights: Any = None,
    *,
    intercept: bool = True,
) -> WLSFit:
    """Weighted least squares: minimise ``sum w (y - X b)^2``.

    Solved as ordinary least squares on rows scaled by ``sqrt(w)`` (``numpy.linalg.lstsq``,
    an orthogonal decomposition), not through the normal equations.

    Parameters
    ----------
    y : array-like, shape (n,)
        Response; must be finite.
    X : array-like, shape (n,) or (n, k)
        Regressors; must be finite.
    weights : array-like, shape (n,), optional
        Non-negative weights; default 1.
    intercept : bool, default True
        Add a column of ones in front of ``X``.

    Returns
    -------
    WLSFit

    Raises
    ------
    ValueError
        Shapes disagree, a value is not finite or a weight is negative.

    Examples
    --------
    >>> fit = weighted_least_squares([1.0, 3.0, 5.0], [0.0, 1.0, 2.0], [1, 2, 1])
    >>> [round(float(c), 6) for c in fit.coef]
    [1.0, 2.0]
    """
    ys = _as_float(y, "y")
    n = ys.size
    matrix = np.asarray(X.to_numpy(dtype=float) if hasattr(X, "to_numpy") else X, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] != n:
        raise ValueError(f"X must have {n} rows, got shape {matrix.shape}")
    w = _weights(weights, n)
    if not (np.isfinite(ys).all() and np.isfinite(matrix).all() and np.isfinite(w).all()):
        raise ValueError("y, X and weights must be finite (drop missing rows first)")
    design = np.column_stack([np.ones(n), matrix]) if intercept else matrix
    root = np.sqrt(w)
    coef, _, rank, _ = np.linalg.lstsq(design * root[:, None], ys * root, rcond=None)
    fitted = design @ coef
    return WLSFit(coef=coef, fitted=fitted, residuals=ys - fitted, rank=int(rank))


def _resample_counts(indices: np.ndarray, n: int) -> np.ndarray:
    """How often each of the ``n`` rows is drawn in each resample, shape (n_boot, n)."""
    rows = indices.shape[0]
    flat = (indices + (np.arange(rows) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(float)


def _replicates(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    covariates: np.ndarray | None,
    indices: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlation, intercept and slope of ``y`` on ``x`` on every resample (rows of
    ``indices``); with ``covariates``, of the residual of ``y`` on them (refitted each time).

    A resample is the original rows weighted by how often each was drawn (``count * w``), so
    every statistic is built from weighted sums over the ``n`` rows, and one matrix product
    ``(n_boot, n) @ (n, m)`` gives them all without copying the resampled data. The residual
    sums come from the normal equations: ``e'We = y'Wy - b'Z'Wy`` and ``x'We = x'Wy - b'Z'Wx``
    with ``b = (Z'WZ)^+ Z'Wy`` (the pseudo-inverse keeps a resample whose design is singular
    exact). Variables are centred first, so no sum of squares loses precision.
    """
    n = x.size
    weights = _resample_counts(indices, n) * w
    x0, y0 = x - x.mean(), y - y.mean()
    features = [np.ones(n), x0, y0, x0 * x0, y0 * y0, x0 * y0]
    k = 0
    if covariates is not None:
        z = _design(covariates - covariates.mean(axis=0), n)
        k = z.shape[1]
        features += [z[:, i] * z[:, j] for i in range(k) for j in range(k)]
        features += [z[:, i] * y0 for i in range(k)] + [z[:, i] * x0 for i in range(k)]
    sums = weights @ np.column_stack(features)
    total, sx, sy, sxx, syy, sxy = sums[:, :6].T
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = sx / total, sy / total
        cxx = sxx - total * mx**2
        if covariates is None:
            mean = my + y.mean()
            cyy = syy - total * my**2
            cxy = sxy - total * mx * my
        else:
            gram = sums[:, 6 : 6 + k * k].reshape(-1, k, k)
            zy = sums[:, 6 + k * k : 6 + k * k + k]
            zx = sums[:, 6 + k * k + k :]
            beta = (np.linalg.pinv(gram) @ zy[..., None])[..., 0]
            mean = (sy - (beta * gram[:, 0, :]).sum(axis=1)) / total  # row 0 of Z'WZ is 1'WZ
            cyy = syy - (beta * zy).sum(axis=1) - total * mean**2
            cxy = sxy - (beta * zx).sum(axis=1) - total * mx * mean
        # no spread: what is left is rounding noise (a resample of one row drawn n times)
        flat = ~(cxx > _FLAT * sxx) | ~(cyy > _FLAT * syy)
        slope = np.where(flat, np.nan, cxy / cxx)
        r = np.where(flat, np.nan, cxy / np.sqrt(cxx * cyy))
    intercept = mean - slope * (mx + x.mean())
    return np.clip(r, -1.0, 1.0), intercept, slope


def bootstrap_indices(n: int, n_boot: int = N_BOOT, seed: Any = None) -> np.ndarray:
    """Row indices of ``n_boot`` resamples of ``n`` rows with replacement, shape (n_boot, n).

    ``seed`` is anything ``numpy.random.default_rng`` accepts; the same seed gives the same
    resamples.
    """
    return np.random.default_rng(seed).integers(0, n, size=(int(n_boot), int(n)))


def bootstrap_correlation(
    x: Any,
    y: Any,
    weights: Any = None,
    *,
    covariates: Any = None,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    seed: Any = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the weighted correlation of ``x`` and ``y``.

    Parameters
    ----------
    x, y : array-like, shape (n,)
        Finite values (select the rows first, e.g. with :func:`analysis_sample`).
    weights : array-like, shape (n,), optional
        Pupils; default 1.
    covariates : array-like, shape (n,) or (n, k), optional
        When given, ``y`` is replaced by its weighted least-squares residual on the covariates
        (with an intercept) in every resample: the interval of the need-adjusted correlation.
    n_boot : int, default 999
        Resamples of the rows (school units), drawn with replacement.
    confidence : float, default 0.95
    seed : optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    (float, float)
        Lower and upper bound; NaN when fewer than half the resamples give a correlation.
    """
    _check_bootstrap(n_boot, confidence)
    xs, ys = _as_float(x, "x"), _as_float(y, "y")
    w = _weights(weights, xs.size)
    z = None if covariates is None else np.asarray(covariates, dtype=float).reshape(xs.size, -1)
    if xs.size < 2:
        return float("nan"), float("nan")
    r, _, _ = _replicates(xs, ys, w, z, bootstrap_indices(xs.size, n_boot, seed))
    return _interval(r, confidence)


def fitted_line(
    x: Any,
    y: Any,
    weights: Any = None,
    *,
    covariates: Any = None,
    points: int = 50,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    seed: Any = None,
) -> pd.DataFrame:
    """The weighted regression line of ``y`` on ``x`` with a pointwise bootstrap band.

    Parameters
    ----------
    x, y, weights, covariates, n_boot, confidence, seed
        As in :func:`bootstrap_correlation`; with ``covariates`` the line is that of the
        residual of ``y`` on the covariates (refitted in every resample).
    points : int, default 50
        Points on the line, evenly spaced from the smallest to the largest ``x``.

    Returns
    -------
    pandas.DataFrame
        ``x``, ``fit`` (the line), ``low``, ``high`` (percentile band of the resampled lines
        at that ``x``). Empty when there are fewer than two rows or ``x`` is constant.
    """
    _check_bootstrap(n_boot, confidence)
    xs, ys = _as_float(x, "x"), _as_float(y, "y")
    w = _weights(weights, xs.size)
    columns = ["x", "fit", "low", "high"]
    if xs.size < 2:
        return pd.DataFrame(columns=columns, dtype=float)
    z = None if covariates is None else np.asarray(covariates, dtype=float).reshape(xs.size, -1)
    target = ys if z is None else _residual_rows(ys, _design(z, xs.size), w)
    intercept, slope = _line_rows(xs, target, w)
    if not np.isfinite(slope):
        return pd.DataFrame(columns=columns, dtype=float)
    grid = np.linspace(xs.min(), xs.max(), int(points))
    _, intercepts, slopes = _replicates(xs, ys, w, z, bootstrap_indices(xs.size, n_boot, seed))
    lines = intercepts[:, None] + slopes[:, None] * grid[None, :]
    ok = np.isfinite(slopes)
    alpha = (1.0 - confidence) / 2.0
    if ok.sum() >= max(1, slopes.size // 2):
        low, high = np.quantile(lines[ok], [alpha, 1.0 - alpha], axis=0)
    else:
        low = high = np.full(grid.size, np.nan)
    return pd.DataFrame(
        {"x": grid, "fit": intercept + slope * grid, "low": low, "high": high}, columns=columns
    )


# --------------------------------------------------------------------------- per school unit


def outcome_frame(
    results: pd.DataFrame, schools: pd.DataFrame, indicators: pd.DataFrame
) -> pd.DataFrame:
    """Per school unit and year: the results beside the indicators of the library serving it.

    Parameters
    ----------
    results : pandas.DataFrame
        ``inventory.repository.school_results`` rows: ``school_id``, ``year``, ``pupils``,
        the :data:`OUTCOMES`, ``suppressed`` and the :data:`NEED_INPUTS`.
    schools : pandas.DataFrame
        ``inventory.repository.school_frame`` rows (``school_id``, ``year``, ``library_id``,
        ``library_name``, ``library_kind``): which library serves each school unit.
    indicators : pandas.DataFrame
        ``metrics.indicators.library_indicators`` rows (``library_id``, ``year`` and the
        indicator columns) of every municipality (a school may be served across a border).

    Returns
    -------
    pandas.DataFrame
        The rows of ``results`` in their order with ``library_id``, ``library_name``,
        ``library_kind`` and every indicator column of ``indicators`` (NaN when the school
        unit has no library, a library of kind ``"none"`` or no figures that year).
    """
    keys = ["school_id", "year"] if "year" in schools and "year" in results else ["school_id"]
    links = schools.reindex(columns=[*keys, "library_id", "library_name", "library_kind"])
    links = links.drop_duplicates(keys)
    names = [c for c in indicators.columns if c in INDICATORS]
    lib_keys = ["library_id", "year"] if "year" in indicators and "year" in keys else ["library_id"]
    values = indicators[[*lib_keys, *names]].drop_duplicates(lib_keys)
    base = results.drop(
        columns=[c for c in results.columns if c in names or c.startswith("library_")]
    )
    merged = base.merge(links, on=keys, how="left")
    merged["library_id"] = pd.to_numeric(merged["library_id"], errors="coerce").astype("Int64")
    values = values.assign(library_id=pd.to_numeric(values["library_id"]).astype("Int64"))
    merged = merged.merge(values, on=lib_keys, how="left")
    no_library = merged["library_id"].isna() | merged["library_kind"].isin(_NOT_A_LIBRARY)
    for name in names:
        merged[name] = pd.to_numeric(merged[name], errors="coerce").astype("float64")
        merged.loc[no_library, name] = np.nan
    merged.index = results.index
    return merged


def analysis_sample(
    frame: pd.DataFrame,
    indicator: str,
    outcome: str,
    *,
    min_pupils: int = MIN_PUPILS,
    need_inputs: Sequence[str] = NEED_INPUTS,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The school units an analysis uses, and how many are left out for each reason.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`outcome_frame` rows (one year): ``pupils``, ``suppressed``, ``outcome``,
        ``indicator`` and the ``need_inputs``.
    indicator, outcome : str
        Column names.
    min_pupils : int, default 10
        School units with fewer pupils are left out (Skolverket suppresses figures based on
        fewer than 10 pupils).

    Returns
    -------
    kept : pandas.DataFrame
        The rows used (same index as ``frame``).
    excluded : dict
        :data:`EXCLUSION_REASONS` -> number of school units left out, each counted once under
        the first reason that applies, plus ``pupils`` (known pupils of those left out).
    """
    pupils = pd.to_numeric(frame["pupils"], errors="coerce").astype("float64")
    value = pd.to_numeric(frame[outcome], errors="coerce").astype("float64")
    library = pd.to_numeric(frame[indicator], errors="coerce").astype("float64")
    suppressed = frame["suppressed"].fillna(False).astype(bool)
    need_missing = pd.Series(False, index=frame.index)
    for name in need_inputs:
        need_missing |= pd.to_numeric(frame[name], errors="coerce").isna()
    absent = value.isna() | pupils.isna()
    reason = pd.Series(
        np.select(
            [
                absent & suppressed,
                absent,
                pupils < min_pupils,
                library.isna(),
                need_missing,
            ],
            list(EXCLUSION_REASONS),
            default="",
        ),
        index=frame.index,
    )
    kept = frame[reason.eq("")]
    excluded = {name: int(reason.eq(name).sum()) for name in EXCLUSION_REASONS}
    excluded["pupils"] = int(pupils[reason.ne("")].fillna(0).sum())
    return kept, excluded


def _arrays(
    kept: pd.DataFrame, indicator: str, outcome: str, need_inputs: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = kept[indicator].to_numpy(dtype=float, na_value=np.nan)
    y = kept[outcome].to_numpy(dtype=float, na_value=np.nan)
    w = kept["pupils"].to_numpy(dtype=float, na_value=np.nan)
    z = kept[list(need_inputs)].to_numpy(dtype=float, na_value=np.nan)
    return x, y, w, z


def association(
    frame: pd.DataFrame,
    indicator: str,
    outcome: str,
    *,
    min_pupils: int = MIN_PUPILS,
    min_schools: int = MIN_SCHOOLS,
    need_inputs: Sequence[str] = NEED_INPUTS,
    n_boot: int = N_BOOT,
    confidence: float = CONFIDENCE,
    seed: Any = 0,
) -> dict[str, Any]:
    """Raw and need-adjusted association of one library indicator with one outcome.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`outcome_frame` rows of one year.
    indicator, outcome : str
        A library indicator column and one of :data:`OUTCOMES`.
    min_pupils, need_inputs
        See :func:`analysis_sample`.
    min_schools : int, default 5
        Fewer school units give NaN statistics and a ``reason``.
    n_boot, confidence, seed
        See :func:`bootstrap_correlation`; raw and adjusted figures share the resamples.

    Returns
    -------
    dict
        ``indicator``, ``outcome``, ``n_schools``, ``pupils``; ``r``, ``r_low``, ``r_high``
        (weighted correlation and its interval), ``slope``, ``slope_low``, ``slope_high``
        (outcome units per indicator unit); the same with the suffix ``_adjusted`` for the
        residual of the outcome on the need inputs; ``need_r2`` (weighted R^2 of the need
        regression); ``excluded_<reason>`` per :data:`EXCLUSION_REASONS`,
        ``excluded_pupils``; ``reason`` (why the statistics are missing, else None).
    """
    _check_bootstrap(n_boot, confidence)
    kept, excluded = analysis_sample(
        frame, indicator, outcome, min_pupils=min_pupils, need_inputs=need_inputs
    )
    x, y, w, z = _arrays(kept, indicator, outcome, need_inputs)
    row: dict[str, Any] = {
        "indicator": indicator,
        "outcome": outcome,
        "n_schools": int(x.size),
        "pupils": int(w.sum()) if x.size else 0,
    }
    stats = ["r", "slope", "r_adjusted", "slope_adjusted"]
    for name in stats:
        row[name] = row[f"{name}_low"] = row[f"{name}_high"] = float("nan")
    row["need_r2"] = float("nan")
    row["reason"] = None
    if x.size < max(2, min_schools):
        row["reason"] = _REASON_FEW.format(n=max(2, min_schools))
    else:
        fit = weighted_least_squares(y, z, w)
        residual = fit.residuals
        row["need_r2"] = _r_squared(y, residual, w)
        row["r"] = float(_pearson_rows(x, y, w))
        row["slope"] = float(_line_rows(x, y, w)[1])
        row["r_adjusted"] = float(_pearson_rows(x, residual, w))
        row["slope_adjusted"] = float(_line_rows(x, residual, w)[1])
        indices = bootstrap_indices(x.size, n_boot, seed)
        for suffix, covariates in (("", None), ("_adjusted", z)):
            r, _, slope = _replicates(x, y, w, covariates, indices)
            row[f"r{suffix}_low"], row[f"r{suffix}_high"] = _interval(r, confidence)
            row[f"slope{suffix}_low"], row[f"slope{suffix}_high"] = _interval(slope, confidence)
        if np.isnan(row["r"]):
            row["reason"] = "no spread in the indicator or the outcome"
    for name in EXCLUSION_REASONS:
        row[f"excluded_{name}"] = excluded[name]
    row["excluded_pupils"] = excluded["pupils"]
    return row


def _r_squared(y: np.ndarray, residual: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    mean = (w * y).sum() / total
    spread = (w * (y - mean) ** 2).sum()
    if not spread > 0:
        return float("nan")
    return float(1.0 - (w * residual**2).sum() / spread)


#: Column order of :func:`associations`.
ASSOCIATION_COLUMNS = [
    "indicator",
    "outcome",
    "n_schools",
    "pupils",
    "r",
    "r_low",
    "r_high",
    "slope",
    "slope_low",
    "slope_high",
    "r_adjusted",
    "r_adjusted_low",
    "r_adjusted_high",
    "slope_adjusted",
    "slope_adjusted_low",
    "slope_adjusted_high",
    "need_r2",
    *(f"excluded_{name}" for name in EXCLUSION_REASONS),
    "excluded_pupils",
    "reason",
]


def associations(
    frame: pd.DataFrame,
    indicators: Iterable[str],
    outcomes: Iterable[str] = OUTCOMES,
    **options: Any,
) -> pd.DataFrame:
    """:func:`association` for every indicator and outcome, one row each.

    Every pair is computed with the same ``seed`` (default 0), so a pair's figures do not
    depend on which other pairs are asked for. ``options`` go to :func:`association`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ASSOCIATION_COLUMNS`; indicators in the order given, outcomes within.
    """
    rows = [
        association(frame, indicator, outcome, **options)
        for indicator in indicators
        for outcome in outcomes
    ]
    return pd.DataFrame(rows, columns=ASSOCIATION_COLUMNS)


def need_positions(
    frame: pd.DataFrame,
    outcome: str,
    indicator: str,
    *,
    threshold: float = 1.0,
    min_pupils: int = MIN_PUPILS,
    min_schools: int = MIN_SCHOOLS,
    need_inputs: Sequence[str] = NEED_INPUTS,
) -> pd.DataFrame:
    """School units whose results are above or below what their need predicts.

    The outcome is regressed on the need inputs (weighted by pupils) over the school units of
    :func:`analysis_sample`; a school unit's *residual* is its result minus the prediction and
    its *z* the residual in units of the pupil-weighted residual standard deviation
    ``sqrt(sum w e^2 / sum w)``.

    Parameters
    ----------
    threshold : float, default 1.0
        ``z >= threshold`` is ``"above"``, ``z <= -threshold`` ``"below"``, else
        ``"expected"``.

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``frame`` (all columns) with ``predicted``, ``residual``, ``z`` and
        ``position`` (:data:`POSITIONS`), sorted by ``z`` from highest to lowest; empty (with
        those columns) with fewer than ``min_schools`` school units.
    """
    kept, _ = analysis_sample(
        frame, indicator, outcome, min_pupils=min_pupils, need_inputs=need_inputs
    )
    out = kept.copy()
    columns = ["predicted", "residual", "z", "position"]
    if len(kept) < max(2, min_schools):
        return out.iloc[0:0].assign(**{c: pd.Series(dtype=float) for c in columns})
    _, y, w, z = _arrays(kept, indicator, outcome, need_inputs)
    fit = weighted_least_squares(y, z, w)
    spread = float(np.sqrt((w * fit.residuals**2).sum() / w.sum()))
    scores = fit.residuals / spread if spread > 0 else np.zeros_like(fit.residuals)
    out["predicted"] = fit.fitted
    out["residual"] = fit.residuals
    out["z"] = scores
    out["position"] = np.select(
        [scores >= threshold, scores <= -threshold],
        [POSITION_ABOVE, POSITION_BELOW],
        default=POSITION_EXPECTED,
    )
    return out.sort_values("z", ascending=False, kind="stable")


# --------------------------------------------------------------------------- the summary hook

#: Column order of :func:`association_summary`.
SUMMARY_COLUMNS = [
    "indicator",
    "outcome",
    "n_schools",
    "pupils",
    "r",
    "r_low",
    "r_high",
    "r_adjusted",
    "r_adjusted_low",
    "r_adjusted_high",
    "excluded",
]


def association_summary(
    results: pd.DataFrame,
    schools: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    indicator_names: Sequence[str] = KEY_INDICATORS,
    outcomes: Sequence[str] = OUTCOMES,
    n_boot: int = N_BOOT,
    seed: Any = 0,
    options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A compact table of the associations between library provision and pupil outcomes.

    Built for summaries: give it the repository frames of one year and it joins them
    (:func:`outcome_frame`) and runs :func:`associations`.

    Parameters
    ----------
    results : pandas.DataFrame
        ``inventory.repository.school_results(session, years=[year], municipalities=...)``.
    schools : pandas.DataFrame
        ``inventory.repository.school_frame(session, years=[year])``.
    indicators : pandas.DataFrame
        ``metrics.indicators.library_indicators(repository.library_year_frame(session,
        years=[year]))``.
    indicator_names : sequence of str, default :data:`KEY_INDICATORS`
    outcomes : sequence of str, default :data:`OUTCOMES`
    n_boot, seed
        Bootstrap resamples and seed (reproducible by default).
    options : mapping, optional
        Further keyword options of :func:`association` (``min_pupils``, ``min_schools``,
        ``confidence``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`: ``indicator``, ``outcome``, ``n_schools``, ``pupils``,
        ``r`` with ``r_low``/``r_high`` (95 % bootstrap interval), ``r_adjusted`` (after
        adjusting the outcome for need) with its interval, and ``excluded`` (school units
        left out: suppressed, small, or without a value). One row per indicator and outcome.
    """
    frame = outcome_frame(results, schools, indicators)
    names = [name for name in indicator_names if name in frame.columns]
    table = associations(frame, names, outcomes, n_boot=n_boot, seed=seed, **dict(options or {}))
    table["excluded"] = table[[f"excluded_{name}" for name in EXCLUSION_REASONS]].sum(axis=1)
    return table[SUMMARY_COLUMNS]
