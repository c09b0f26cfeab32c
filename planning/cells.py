"""Spreadsheet-safe cell values: neutralise text a spreadsheet would run as a formula.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel and
LibreOffice as a formula (CSV injection, OWASP). Every CSV and XLSX skolbib writes passes user text
through :func:`safe_cell`, which prefixes such text with an apostrophe, the convention both
programs show as plain text. Numbers are left alone: a negative number is a number, not a formula.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text starting like a formula; then ``"'" + value``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return ESCAPE + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through :func:`safe_cell`."""
    result = frame.copy()
    for column in result.columns:
        series = result[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            result[column] = series.map(safe_cell)
    result.columns = [safe_cell(str(c)) if isinstance(c, str) else c for c in result.columns]
    return result
