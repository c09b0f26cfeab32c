"""Need weights from a school's socio-economic profile, and vertical equity tables.

Horizontal equity asks whether equally situated pupils get equal provision;
vertical equity asks whether pupils with greater needs get appropriately more.
Berne & Stiefel make vertical equity operational with *need-weighted pupils*:
each pupil counts ``1 + sum_k w_k`` for the need categories k that apply, i.e. a
school with shares ``s_k`` of pupils in each category has
``pupils * (1 + sum_k w_k s_k)`` weighted pupils, and the usual dispersion
statistics are computed on provision per weighted pupil. Here that is
``value / need_weight`` (:func:`need_adjusted`), and :func:`equity_table` puts
the horizontal and the need-adjusted (vertical) statistics side by side.

Default need formula
--------------------
::

    need_weight = 1 + a * share_foreign_background
                    + b * (1 - share_parents_post_secondary)

with ``a = 0.5`` and ``b = 0.5`` (:class:`NeedParams`, editable). The weight is 1
for a school with no pupils of foreign background whose parents all have a
post-secondary education, and at most 1 + a + b = 2. Why these inputs: they are
the need-index inputs the inventory stores per school unit and year
(ARCHITECTURE.md, School), and parents' education level and foreign background
are background variables of Skolverket's SALSA model and of SCB's
socio-economic index for the state grant for equal schooling, which also use
further variables (sex, recent immigration, ...) **(unverified: no primary text
in the project notes)**. Why a linear sum:
it is the Berne & Stiefel need-weighted-pupil form ``1 + sum_k w_k share_k`` (the
same form as the Parrish et al. category weights quoted there), so the weight of
a library that serves several schools is the pupil-weighted mean of the schools'
weights whenever the shares are pupil-weighted means, as in
``library_year_frame``. The values a = b = 0.5 ("a pupil in a need category
counts one and a half") are a **policy default, not an estimate**: no Swedish
source prescribes them, and the municipality should set its own.

A missing input gives the neutral weight 1 with a reason, never a guess.

Sources
-------
* R. Berne and L. Stiefel (1984), *The Measurement of Equity in School Finance*;
  National Research Council, "Equity and Adequacy in Education Finance", ch. 1,
  http://books.nap.edu/openbook.php?record_id=6166&page=7 (p. 21: vertical equity
  and need weights).
* Skolverket, SALSA (local models for final grades adjusted for pupil background)
  and SCB's socio-economic index for the "statsbidrag för likvärdig skola"
  (unverified, see above); the inputs are those listed in ARCHITECTURE.md
  (School: share of pupils with foreign background, share of parents with
  post-secondary education).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from metrics.equity import equity_summary

__all__ = [
    "STATISTICS",
    "VERTICAL_PREFIX",
    "NeedParams",
    "equity_table",
    "need_adjusted",
    "need_weight",
]

#: Prefix of the need-adjusted (vertical equity) columns in :func:`equity_table`.
VERTICAL_PREFIX = "need_adjusted_"

#: Statistic columns of :func:`equity_table` (the keys of ``metrics.equity.equity_summary``).
STATISTICS: tuple[str, ...] = tuple(equity_summary([1.0]))


@dataclass(frozen=True)
class NeedParams:
    """Parameters of the need-weight formula (editable by the user).

    ``need_weight = 1 + foreign_background * share_foreign_background
    + parents_without_post_secondary * (1 - share_parents_post_secondary)``.

    Attributes
    ----------
    foreign_background : float, default 0.5
        Extra weight ``a`` of a pupil with foreign background (>= 0).
    parents_without_post_secondary : float, default 0.5
        Extra weight ``b`` of a pupil whose parents have no post-secondary
        education (>= 0).
    """

    foreign_background: float = 0.5
    parents_without_post_secondary: float = 0.5

    def __post_init__(self) -> None:
        for name in ("foreign_background", "parents_without_post_secondary"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise ValueError(f"NeedParams.{name} must be a finite number >= 0, got {value!r}")

    def formula(self) -> str:
        """The formula with the current parameters, as plain text.

        Returns
        -------
        str
            For example ``"1 + 0.5 × share_foreign_background + 0.5 × (1 −
            share_parents_post_secondary)"``.
        """
        return (
            f"1 + {self.foreign_background:g} × share_foreign_background"
            f" + {self.parents_without_post_secondary:g} × (1 − share_parents_post_secondary)"
        )


def _as_float(data: Any, name: str) -> tuple[np.ndarray, pd.Index | None]:
    index = data.index if isinstance(data, pd.Series) else None
    if hasattr(data, "to_numpy"):
        arr = np.asarray(data.to_numpy(dtype=float, na_value=np.nan))
    else:
        arr = np.asarray(data, dtype=float)
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr, index


def need_weight(
    share_foreign_background: Any,
    share_parents_post_secondary: Any,
    params: NeedParams | None = None,
) -> pd.DataFrame:
    """Need weight per school (or library) from its socio-economic profile.

    Parameters
    ----------
    share_foreign_background : array-like, shape (n,)
        Share (0..1) of pupils with foreign background; NaN/None when unknown.
    share_parents_post_secondary : array-like, shape (n,)
        Share (0..1) of pupils whose parents have a post-secondary education.
    params : NeedParams, optional
        Formula parameters; default ``NeedParams()`` (a = b = 0.5).

    Returns
    -------
    pandas.DataFrame
        Index of the first argument when it is a Series, else 0..n-1. Columns:
        ``need_weight`` (float, >= 1; exactly 1 where an input is missing),
        ``need_weight_imputed`` (bool: the neutral weight 1 was used because an
        input is missing), ``reason_en``, ``reason_sv`` (why it was imputed;
        missing otherwise).

    Raises
    ------
    ValueError
        If the inputs differ in length or a known share is outside 0..1.

    Examples
    --------
    >>> need_weight([0.2, None], [0.6, 0.5])["need_weight"].tolist()
    [1.3, 1.0]
    """
    params = params or NeedParams()
    foreign, index = _as_float(share_foreign_background, "share_foreign_background")
    post_secondary, _ = _as_float(share_parents_post_secondary, "share_parents_post_secondary")
    if foreign.shape != post_secondary.shape:
        raise ValueError(
            "share_foreign_background and share_parents_post_secondary must have the same "
            f"length, got {foreign.size} and {post_secondary.size}"
        )
    for name, arr in (
        ("share_foreign_background", foreign),
        ("share_parents_post_secondary", post_secondary),
    ):
        known = arr[~np.isnan(arr)]
        if ((known < 0) | (known > 1)).any():
            raise ValueError(f"{name} must be a share between 0 and 1")
    foreign_missing = np.isnan(foreign)
    post_missing = np.isnan(post_secondary)
    imputed = foreign_missing | post_missing
    weight = (
        1.0
        + params.foreign_background * foreign
        + params.parents_without_post_secondary * (1.0 - post_secondary)
    )
    weight = np.where(imputed, 1.0, weight)
    reason_en = _reason(
        foreign_missing,
        post_missing,
        "share_foreign_background missing",
        "share_parents_post_secondary missing",
        "; neutral weight 1 used",
    )
    reason_sv = _reason(
        foreign_missing,
        post_missing,
        "andel elever med utländsk bakgrund saknas",
        "andel elever med högutbildade föräldrar saknas",
        "; neutral vikt 1 används",
    )
    return pd.DataFrame(
        {
            "need_weight": weight,
            "need_weight_imputed": imputed,
            "reason_en": reason_en,
            "reason_sv": reason_sv,
        },
        index=index,
    )


def _reason(first: np.ndarray, second: np.ndarray, text1: str, text2: str, tail: str) -> pd.Series:
    both = f"{text1}; {text2}{tail}"
    out = np.select([first & second, first, second], [both, text1 + tail, text2 + tail], default="")
    series = pd.Series(out, dtype="str")
    return series.where(series != "").to_numpy()


def need_adjusted(values: Any, weights: Any) -> Any:
    """Need-adjusted values: value ÷ need weight (provision per need-weighted pupil).

    Parameters
    ----------
    values : array-like, shape (n,)
        Per-pupil values (NaN allowed, kept as NaN).
    weights : array-like, shape (n,)
        Need weights, > 0 (NaN allowed, gives NaN).

    Returns
    -------
    pandas.Series or numpy.ndarray
        A Series with the index of ``values`` when ``values`` is a Series, else an
        array.

    Raises
    ------
    ValueError
        If the lengths differ or a known weight is not positive.

    Examples
    --------
    >>> need_adjusted([10.0, 12.0], [1.0, 1.5]).tolist()
    [10.0, 8.0]
    """
    x, index = _as_float(values, "values")
    w, _ = _as_float(weights, "weights")
    if x.shape != w.shape:
        raise ValueError(f"values and weights must have the same length, got {x.size} and {w.size}")
    known = w[~np.isnan(w)]
    if (known <= 0).any() or np.isinf(known).any():
        raise ValueError("need weights must be positive and finite")
    result = x / w
    if isinstance(values, pd.Series):
        return pd.Series(result, index=index, name=values.name)
    return result


def _summary_row(values: np.ndarray, weights: np.ndarray | None) -> tuple[dict, str | None]:
    try:
        return equity_summary(values, weights), None
    except ValueError as error:  # nothing left after dropping, invalid values, ...
        row: dict[str, float | int] = dict.fromkeys(STATISTICS, np.nan)
        x = values
        w = np.ones_like(x) if weights is None else weights
        row["n"] = 0
        row["n_dropped"] = int((np.isnan(x) | np.isnan(w)).sum())
        row["total_weight"] = 0.0
        return row, str(error)


def equity_table(
    indicators: pd.DataFrame,
    value_columns: Sequence[str],
    weight_column: str | None = "pupils_served",
    need_weights: Any = None,
    vertical_weighting: Literal["pupils", "need_weighted_pupils"] = "pupils",
) -> pd.DataFrame:
    """Horizontal and vertical equity statistics, one row per indicator.

    Parameters
    ----------
    indicators : pandas.DataFrame
        One row per library (usually one year of :func:`metrics.indicators.library_indicators`).
    value_columns : sequence of str
        Indicator columns to summarise.
    weight_column : str or None, default "pupils_served"
        Column of pupil weights (pupil-weighted statistics); ``None`` for
        unweighted statistics (one observation per row).
    need_weights : str or array-like, optional
        Need weight per row: a column name of ``indicators`` or an array-like
        aligned with its rows (e.g. ``need_weight(...)["need_weight"]``). When
        given, the table also holds the statistics of ``value / need_weight``.
    vertical_weighting : {"pupils", "need_weighted_pupils"}, default "pupils"
        Weights of the need-adjusted statistics: the pupils (every pupil carries
        the need-adjusted value of its library; ARCHITECTURE.md) or pupils × need
        weight (every need-weighted pupil is one observation, Berne & Stiefel's
        weighted-pupil count). Ignored without ``weight_column``.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator``, the statistics of ``metrics.equity.equity_summary``
        (:data:`STATISTICS`: gini, theil, atkinson_0_5, ..., n, n_dropped,
        total_weight), with need weights the same statistics prefixed with
        ``need_adjusted_``, and ``reason`` (why the statistics are missing, e.g.
        no observation with a value and a positive weight; missing otherwise).

    Raises
    ------
    KeyError
        If a column is not in ``indicators``.
    """
    missing = [c for c in value_columns if c not in indicators.columns]
    if missing:
        raise KeyError(f"equity_table: columns not in the frame: {missing}")
    pupils = None
    if weight_column is not None:
        pupils = indicators[weight_column].to_numpy(dtype=float, na_value=np.nan)
    need = None
    if need_weights is not None:
        if isinstance(need_weights, str):
            need_weights = indicators[need_weights]
        need, _ = _as_float(need_weights, "need_weights")
        if need.size != len(indicators):
            raise ValueError(
                f"need_weights has {need.size} values for {len(indicators)} rows of indicators"
            )
    if need is not None and pupils is not None and vertical_weighting == "need_weighted_pupils":
        vertical_w = pupils * need
    elif vertical_weighting in ("pupils", "need_weighted_pupils"):
        vertical_w = pupils
    else:
        raise ValueError(f"unknown vertical_weighting {vertical_weighting!r}")

    rows = []
    for column in value_columns:
        x = indicators[column].to_numpy(dtype=float, na_value=np.nan)
        row, reason = _summary_row(x, pupils)
        reasons = [reason] if reason else []
        record: dict[str, Any] = {"indicator": column, **row}
        if need is not None:
            adjusted = need_adjusted(x, need)
            vertical, v_reason = _summary_row(adjusted, vertical_w)
            record.update({VERTICAL_PREFIX + k: v for k, v in vertical.items()})
            if v_reason and v_reason != reason:
                reasons.append(f"need-adjusted: {v_reason}")
        record["reason"] = "; ".join(reasons) if reasons else None
        rows.append(record)
    columns = ["indicator", *STATISTICS]
    if need is not None:
        columns += [VERTICAL_PREFIX + k for k in STATISTICS]
    table = pd.DataFrame(rows, columns=[*columns, "reason"])
    table["reason"] = table["reason"].astype("str").where(table["reason"].notna())
    return table
