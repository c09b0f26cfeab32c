"""The audit trail as files and as a table to show: pure functions, no Streamlit.

CSV is written in the dialect Swedish Excel opens directly: UTF-8 with a byte-order mark,
``;`` between fields, CRLF line ends, and every cell through :func:`planning.cells.safe_cell`
(a username or a value such as ``=HYPERLINK(...)`` must never run as a formula). JSON is one
array of objects, UTF-8. Times are Swedish local time with their UTC offset (ISO 8601).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, BinaryIO

import pandas as pd

from inventory.audit_query import LOCAL_ZONE
from planning.cells import safe_cell

#: Columns of the exported files, in this order.
EXPORT_COLUMNS: list[str] = [
    "at",
    "username",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "user_id",
    "id",
]
CSV_DELIMITER = ";"
BOM = "\ufeff"
FORMATS: tuple[str, ...] = ("csv", "json")
MIME_TYPES = {"csv": "text/csv", "json": "application/json"}


def _plain(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(LOCAL_ZONE).isoformat(timespec="seconds")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def export_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of an :func:`inventory.audit_query.audit_entries` frame as plain dictionaries of
    :data:`EXPORT_COLUMNS` (times as ISO 8601 Swedish local time, missing as ``None``)."""
    return [
        {name: _plain(value) for name, value in zip(EXPORT_COLUMNS, row, strict=True)}
        for row in frame.reindex(columns=EXPORT_COLUMNS).itertuples(index=False, name=None)
    ]


def write_csv(frames: Iterable[pd.DataFrame], out: BinaryIO) -> int:
    """Write the header and every row of ``frames`` as CSV to ``out``; return the row count."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        text.write(BOM)
        writer = csv.writer(text, delimiter=CSV_DELIMITER, lineterminator="\r\n")
        writer.writerow([safe_cell(name) for name in EXPORT_COLUMNS])
        count = 0
        for frame in frames:
            for record in export_records(frame):
                writer.writerow(
                    ["" if record[n] is None else safe_cell(record[n]) for n in EXPORT_COLUMNS]
                )
                count += 1
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return count


def write_json(frames: Iterable[pd.DataFrame], out: BinaryIO) -> int:
    """Write every row of ``frames`` as one JSON array to ``out``; return the row count."""
    out.write(b"[")
    count = 0
    for frame in frames:
        for record in export_records(frame):
            out.write(b",\n" if count else b"\n")
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=False).encode("utf-8"))
            count += 1
    out.write(b"\n]\n" if count else b"]\n")
    return count


def export_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """The whole ``frame`` as a file of format ``fmt`` (``"csv"`` or ``"json"``)."""
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {FORMATS}, got {fmt!r}")
    buffer = io.BytesIO()
    (write_csv if fmt == "csv" else write_json)([frame], buffer)
    return buffer.getvalue()


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The entries to show on the page: local time without zone (Sweden), newest first."""
    shown = frame.reindex(columns=EXPORT_COLUMNS).copy()
    shown["at"] = shown["at"].dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    return shown


def page_count(total: int, page_size: int) -> int:
    """Pages needed for ``total`` rows (at least one, so an empty trail has page 1)."""
    return max(1, -(-int(total) // int(page_size)))
