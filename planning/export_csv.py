"""The planning summary's per-school table (before and after each scenario) as CSV.

Two dialects:

``excel``
    For a Swedish Excel: UTF-8 with a byte-order mark, ``;`` between fields, a decimal comma,
    CRLF line ends. Numbers carry no thousands separator, so Excel reads them as numbers.
``plain``
    UTF-8 without a byte-order mark, ``,`` between fields, a decimal point, LF line ends.

Headers are in the summary's language. Text that a spreadsheet would run as a formula is
neutralised with :func:`planning.cells.safe_frame` while the numbers are still numbers, so a
negative number (``-1,5``) is written as a number and only text is prefixed. Decimals are
rounded to :data:`DECIMALS` places; missing values are empty fields.
"""

from __future__ import annotations

import pandas as pd

from planning.cells import safe_frame
from planning.summary import Summary, column_label

__all__ = ["DECIMALS", "DIALECTS", "labelled_schools", "render_csv"]

DIALECTS = ("excel", "plain")
#: Decimal places kept in the CSV.
DECIMALS = 4


def labelled_schools(summary: Summary) -> pd.DataFrame:
    """:attr:`Summary.schools` with headers in the summary's language and floats rounded."""
    frame = summary.schools.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(DECIMALS) + 0.0  # + 0.0: no "-0"
    frame.columns = [column_label(c, summary.lang, summary.scenarios) for c in frame.columns]
    return frame


def render_csv(summary: Summary, dialect: str = "excel") -> bytes:
    """The per-school table as CSV bytes in ``dialect`` (:data:`DIALECTS`)."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, got {dialect!r}")
    # neutralise before anything becomes text: numbers stay numbers
    frame = safe_frame(labelled_schools(summary))
    if dialect == "excel":
        body = frame.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n")
        return body.encode("utf-8-sig")
    return frame.to_csv(sep=",", index=False, lineterminator="\n").encode("utf-8")
