"""Reading delimited text files the way Swedish municipalities produce them.

Shared by every CSV importer: encoding detection (UTF-8 with or without BOM, else
Windows-1252), separator detection (``;``, ``,`` or tab), preamble lines before the header,
Swedish numbers (decimal comma, space or non-breaking space as thousands separator), the
statistics markers ``.`` (no value) and ``..`` (suppressed), and formula-like text that would
run in a spreadsheet. Parsing is vectorised; every failure becomes an
:class:`~inventory.importers.problems.ImportProblem` with the file's own row number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from inventory.importers.problems import ImportProblem, ImportRejectedError

SEPARATORS = (";", ",", "\t")
NO_VALUE = "."
SUPPRESSED = ".."
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BINARY_SIGNATURES = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\x7fELF")


@dataclass
class TextTable:
    """A delimited table as text: every cell a ``str`` (empty string for an empty cell).

    ``line_numbers[i]`` is the 1-based line of ``frame.iloc[i]`` in the file, so problems can
    name the row a user sees in a text editor or spreadsheet program.
    """

    file: str
    frame: pd.DataFrame
    line_numbers: np.ndarray
    header_line: int
    separator: str
    encoding: str
    preamble: list[str]


def decode(data: bytes, file: str) -> tuple[str, str]:
    """Decode file bytes: UTF-8 (BOM optional), else Windows-1252; reject binary files."""
    if not data.strip():
        raise ImportRejectedError([ImportProblem(file, None, None, None, "empty_file")])
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:4096]:
        raise ImportRejectedError([ImportProblem(file, None, None, None, "not_text")])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportRejectedError([ImportProblem(file, None, None, None, "encoding")])


def _split(line: str, separator: str) -> list[str]:
    return next(csv.reader([line], delimiter=separator))


def find_header(lines: Sequence[str], required: Sequence[str], file: str) -> tuple[int, str]:
    """Index of the first line that contains every ``required`` header, and its separator.

    Header matching ignores case and surrounding spaces.
    """
    wanted = [name.strip().lower() for name in required]
    for index, line in enumerate(lines[:200]):
        for separator in SEPARATORS:
            if separator not in line:
                continue
            cells = [cell.strip().lower() for cell in _split(line, separator)]
            if all(name in cells for name in wanted):
                return index, separator
    raise ImportRejectedError(
        [ImportProblem(file, None, None, None, "no_header", {"header": ", ".join(required)})]
    )


def read_table(
    data: bytes | str | Path,
    *,
    file: str | None = None,
    required: Sequence[str],
    stop_at_short_rows: bool = False,
) -> TextTable:
    """Parse a delimited file into a :class:`TextTable` of strings.

    Parameters
    ----------
    data
        File bytes, text or a path.
    file
        Name to use in problems (default: the path's name).
    required
        Headers that identify the header line (found after any preamble lines).
    stop_at_short_rows
        Stop at the first row with a single field (Skolverket files end with notes).

    Raises
    ------
    ImportRejectedError
        Empty, binary or undecodable file; no header; a row with the wrong number of fields;
        a quoted field left open at the end of the file.
    """
    if isinstance(data, Path):
        name = file or data.name
        raw = data.read_bytes()
    else:
        name = file or "<data>"
        raw = data.encode("utf-8") if isinstance(data, str) else data
    text, encoding = decode(raw, name)
    lines = text.splitlines()
    header_index, separator = find_header(lines, required, name)
    header = [cell.strip() for cell in _split(lines[header_index], separator)]
    while header and header[-1] == "":
        header.pop()  # Skolverket ends every line with a separator

    body = lines[header_index + 1 :]
    if stop_at_short_rows:
        body = _without_notes(body, separator, name, header_index + 2)
    body_text = "\n".join(body)
    if body_text.count('"') % 2:
        raise ImportRejectedError([ImportProblem(name, None, None, None, "truncated")])

    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[ImportProblem] = []
    reader = csv.reader(io.StringIO(body_text), delimiter=separator)
    for row in reader:
        line_number = header_index + 2 + reader.line_num - 1
        if not any(cell.strip() for cell in row):
            continue
        while len(row) > len(header) and row[-1] == "":
            row = row[:-1]
        if len(row) != len(header):
            problems.append(
                ImportProblem(
                    name,
                    line_number,
                    None,
                    separator.join(row)[:80],
                    "field_count",
                    {"expected": len(header), "found": len(row)},
                )
            )
            continue
        rows.append([cell.strip() for cell in row])
        numbers.append(line_number)
    if problems:
        raise ImportRejectedError(problems)
    if not rows:
        raise ImportRejectedError([ImportProblem(name, None, None, None, "no_rows")])
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    return TextTable(
        file=name,
        frame=frame,
        line_numbers=np.asarray(numbers),
        header_line=header_index + 1,
        separator=separator,
        encoding=encoding,
        preamble=lines[:header_index],
    )


def _without_notes(body: list[str], separator: str, file: str, first_line: int) -> list[str]:
    """Drop the notes after the data (Skolverket ends its files with one-field text lines).

    The data ends at the last line with more than one field; blank lines inside the data are
    kept (and skipped later). A note line that opens a quote means the file was cut inside a
    field, which is reported rather than silently dropped.
    """
    last = -1
    for offset, line in enumerate(body):
        if line.strip() and len(_split(line, separator)) > 1:
            last = offset
    for offset, line in enumerate(body[last + 1 :], start=last + 1):
        if line.lstrip().startswith('"') and line.count('"') % 2:
            raise ImportRejectedError(
                [ImportProblem(file, first_line + offset, None, line[:80], "truncated")]
            )
    return body[: last + 1]


def parse_numbers(
    values: pd.Series,
    *,
    file: str,
    column: str,
    line_numbers: np.ndarray,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    markers: bool = False,
    sheet: str | None = None,
) -> tuple[pd.Series, pd.Series, list[ImportProblem]]:
    """Parse Swedish-formatted numbers.

    Returns
    -------
    numbers
        Float series (NaN where empty, a marker or invalid).
    suppressed
        Boolean series: the cell held ``..``.
    problems
        One per invalid or out-of-range cell.
    """
    text = values.fillna("").astype(str).str.strip()
    suppressed = text.eq(SUPPRESSED) if markers else pd.Series(False, index=text.index)
    empty = text.eq("") | (text.eq(NO_VALUE) if markers else False) | suppressed
    cleaned = text.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    numbers = pd.to_numeric(cleaned.where(~empty), errors="coerce")
    invalid = ~empty & numbers.isna()
    code = "integer" if integer else "number"
    if integer:
        fractional = numbers.notna() & (numbers % 1 != 0)
        invalid |= fractional
    out_of_range = pd.Series(False, index=text.index)
    if minimum is not None:
        out_of_range |= numbers < minimum
    if maximum is not None:
        out_of_range |= numbers > maximum
    problems = [
        ImportProblem(file, int(line), column, value, code, sheet=sheet)
        for line, value in zip(line_numbers[invalid.to_numpy()], text[invalid], strict=True)
    ]
    range_code, params = _range_message(minimum, maximum)
    problems += [
        ImportProblem(file, int(line), column, value, range_code, params, sheet=sheet)
        for line, value in zip(
            line_numbers[(out_of_range & ~invalid).to_numpy()],
            text[out_of_range & ~invalid],
            strict=True,
        )
    ]
    numbers = numbers.where(~invalid & ~out_of_range)
    return numbers, suppressed, problems


def _range_message(minimum: float | None, maximum: float | None) -> tuple[str, dict]:
    if maximum is None:
        return "non_negative", {}
    return "range", {"min": _fmt(minimum), "max": _fmt(maximum)}


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else str(value)


def formula_cells(
    frame: pd.DataFrame, *, file: str, line_numbers: np.ndarray, sheet: str | None = None
) -> list[ImportProblem]:
    """Text cells that a spreadsheet would run as a formula (``=HYPERLINK(...)`` and the like).

    Numbers such as ``-3`` are left to the number parsers, which report them properly.
    """
    problems = []
    for column in frame.columns:
        text = frame[column].fillna("").astype(str)
        starts = text.str.startswith(FORMULA_PREFIXES)
        numeric = pd.to_numeric(
            text.str.replace(r"[\s\u00a0]", "", regex=True).str.replace(",", "."),
            errors="coerce",
        ).notna()
        flagged = starts & ~numeric
        for line, value in zip(line_numbers[flagged.to_numpy()], text[flagged], strict=True):
            problems.append(ImportProblem(file, int(line), column, value, "formula", sheet=sheet))
    return problems
