"""Indicators and equity statistics of one inventory year, as plain data.

Joins the inventory's library-year frame with :mod:`metrics`; used by ``skolbib metrics`` and
the web pages. Values that JSON cannot hold (NaN, ±inf) become ``None``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlmodel import Session

from inventory.repository import library_year_frame
from metrics.equity import equity_summary
from metrics.indicators import INDICATORS, library_indicators

ID_FIELDS = (
    "library_id",
    "library_name",
    "municipality_code",
    "district",
    "library_kind",
    "pupils_served",
)


def json_value(value: Any) -> Any:
    """A JSON-safe scalar: ``None`` for missing, NaN and infinite values; Python numbers."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def latest_year(frame: pd.DataFrame) -> int | None:
    return int(frame["year"].max()) if not frame.empty else None


def metrics_report(
    session: Session, year: int | None = None, municipality: list[str] | None = None
) -> dict[str, Any]:
    """Per-library indicators and the pupil-weighted equity summary of each indicator.

    Parameters
    ----------
    year
        Inventory year; default the latest year with library facts.
    municipality
        Municipality codes to include; default all.

    Returns
    -------
    dict
        ``year``; ``libraries``: one object per library with its ids, name and every indicator;
        ``equity``: indicator name → :func:`metrics.equity.equity_summary` weighted by pupils
        served (``None`` where the indicator has no usable value).
    """
    if year is None:
        year = latest_year(library_year_frame(session, municipality=municipality))
    if year is None:
        return {"year": None, "libraries": [], "equity": {}}
    indicators = library_indicators(
        library_year_frame(session, years=[year], municipality=municipality)
    )
    names = list(INDICATORS)
    libraries = [
        {field: json_value(row.get(field)) for field in (*ID_FIELDS, *names)}
        for row in indicators.to_dict(orient="records")
    ]
    equity: dict[str, Any] = {}
    for name in names:
        values = pd.to_numeric(indicators[name], errors="coerce")
        weights = pd.to_numeric(indicators["pupils_served"], errors="coerce")
        usable = values.notna() & weights.notna()
        try:
            summary = equity_summary(values[usable].to_numpy(), weights[usable].to_numpy())
        except ValueError:
            equity[name] = None
            continue
        equity[name] = {key: json_value(value) for key, value in summary.items()}
    return {"year": int(year), "libraries": libraries, "equity": equity}
