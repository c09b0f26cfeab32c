"""Import regional resource-centre statistics (``skolbib import resource-centre FILE``).

One row per municipality or school unit and year: AV media loans, technology loans and
in-service training participants and hours, as the regional resource centre (regionalt
resurscentrum) reports them. The file is a CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252,
read by :mod:`inventory.importers.textfile`) with a header row in Swedish or English; any
preamble lines before the header are skipped.

Accepted headers (case and surrounding or repeated spaces ignored; see :data:`COLUMNS`)
-----------------------------------------------------------------------------------------
==========================  ==========================  =========================================
Swedish                     English                     content
==========================  ==========================  =========================================
``kommunkod``               ``municipality_code``       4 digits, required
``skolenhetskod``           ``school_unit_code``        8 digits; empty (or no column) = the row
                                                        is for the whole municipality
``år``                      ``year``                    1990–2100, required
``AV-medier utlån``         ``av_media_loans``          whole number ≥ 0
``teknikutlån``             ``technology_loans``        whole number ≥ 0
``fortbildning deltagare``  ``training_participants``   whole number ≥ 0
``fortbildning timmar``     ``training_hours``          number ≥ 0 (decimal comma or point)
==========================  ==========================  =========================================

At least one of the four value columns must be present. A value column that is absent leaves
the stored value as it is; an empty cell in a present column stores "no value" (NULL). Other
columns are listed as warnings and ignored.

Validation (every problem is collected; any error rejects the whole file, nothing is written):
code formats, year range, whole non-negative numbers, formula-like cells, the municipality and
school unit exist in the database, the school unit belongs to the municipality on the row, and no
key (municipality, school unit or none, year) appears twice in the file.

Writing is an upsert on (municipality, school unit or NULL, year): rows that exist are updated
when a value differs and counted as unchanged otherwise, new rows are created, so importing the
same file twice leaves the database exactly as after the first import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from inventory import writes
from inventory.importers.problems import (
    ImportProblem,
    ImportRejectedError,
    ImportReport,
    from_validation_error,
)
from inventory.importers.textfile import TextTable, formula_cells, parse_numbers, read_table
from inventory.models import FIRST_YEAR, LAST_YEAR, Municipality, ResourceCentreYear, School
from inventory.writes import InventoryValidationError

KIND = "resource-centre"
TABLE = ResourceCentreYear.__tablename__

#: field name -> accepted headers (Swedish first, then English); matched case-insensitively
COLUMNS: dict[str, tuple[str, ...]] = {
    "municipality_code": ("kommunkod", "municipality_code"),
    "school_unit_code": ("skolenhetskod", "school_unit_code"),
    "year": ("år", "year"),
    "av_media_loans": ("AV-medier utlån", "av_media_loans"),
    "technology_loans": ("teknikutlån", "technology_loans"),
    "training_participants": ("fortbildning deltagare", "training_participants"),
    "training_hours": ("fortbildning timmar", "training_hours"),
}
REQUIRED = ("municipality_code", "year")
#: value columns: field -> whole number?
VALUES: dict[str, bool] = {
    "av_media_loans": True,
    "technology_loans": True,
    "training_participants": True,
    "training_hours": False,
}

MUNICIPALITY_CODE = re.compile(r"^\d{4}$")
SCHOOL_UNIT_CODE = re.compile(r"^\d{8}$")


# --------------------------------------------------------------------------- shared helpers


def normalise_header(text: object) -> str:
    """Header as compared with the aliases: lower case, spaces collapsed, no BOM."""
    return " ".join(str(text).replace("\ufeff", "").lower().split())


def read_source(source: str | Path | bytes, file: str | None) -> tuple[bytes, str]:
    """File bytes and the name to show in problems."""
    if isinstance(source, bytes):
        return source, file or "<data>"
    path = Path(source)
    return path.read_bytes(), file or path.name


def read_with_aliases(raw: bytes, file: str, anchors: Sequence[str]) -> TextTable:
    """Read a table whose header line contains any one of ``anchors`` (tried in order).

    Errors other than a missing header (empty, binary, undecodable file, no data rows, wrong
    field counts) are raised at once.
    """
    for anchor in anchors:
        try:
            return read_table(raw, file=file, required=[anchor])
        except ImportRejectedError as exc:
            if all(problem.code == "no_header" for problem in exc.problems):
                continue
            raise
    header = " / ".join(anchors)
    raise ImportRejectedError(
        [ImportProblem(file, None, None, None, "no_header", {"header": header})]
    )


def map_columns(
    table: TextTable, aliases: Mapping[str, Sequence[str]]
) -> tuple[dict[str, int], list[int], list[ImportProblem]]:
    """Field -> column position, positions of other columns, and duplicate-column problems."""
    lookup = {normalise_header(alias): name for name, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    others: list[int] = []
    problems: list[ImportProblem] = []
    headers = list(table.frame.columns)
    for position, header in enumerate(headers):
        name = lookup.get(normalise_header(header))
        if name is None:
            others.append(position)
        elif name in found:
            problems.append(
                ImportProblem(
                    table.file,
                    table.header_line,
                    str(header),
                    header,
                    "duplicate_column",
                    {"other": headers[found[name]]},
                )
            )
        else:
            found[name] = position
    return found, others, problems


def cell_text(table: TextTable, position: int | None) -> pd.Series:
    """Stripped text of the column at ``position`` (empty strings when it is absent)."""
    if position is None:
        return pd.Series("", index=table.frame.index, dtype=object)
    return table.frame.iloc[:, position].fillna("").astype(str).str.strip()


def drop_formula_duplicates(
    problems: list[ImportProblem], formulas: list[ImportProblem]
) -> list[ImportProblem]:
    """Keep one problem per cell flagged as a formula (the formula problem)."""
    cells = {(p.row, p.column) for p in formulas}
    return [p for p in problems if (p.row, p.column) not in cells]


def stored_values(obj: Any) -> dict[str, Any]:
    """Column values of a loaded row, as the database returned them (for re-validation)."""
    return {column.name: getattr(obj, column.name) for column in obj.__table__.columns}


# --------------------------------------------------------------------------- import


def import_resource_centre(
    session: Session,
    path: str | Path | bytes,
    *,
    dry_run: bool = False,
    file: str | None = None,
) -> ImportReport:
    """Validate a resource-centre statistics file and upsert it into ``resource_centre_year``.

    Parameters
    ----------
    session
        Open session; rows are flushed into it, the caller commits (or rolls back for a dry
        run).
    path
        The CSV file, or its bytes (then ``file`` names it in problems).
    dry_run
        Only recorded in the report; the caller decides whether to commit.

    Raises
    ------
    ImportRejectedError
        With every problem found; nothing has been written to the session.
    """
    raw, name = read_source(path, file)
    anchors = [
        alias
        for field in ("municipality_code", "school_unit_code", "year")
        for alias in COLUMNS[field]
    ]
    table = read_with_aliases(raw, name, anchors)
    positions, others, problems = map_columns(table, COLUMNS)
    warnings: list[ImportProblem] = []
    headers = list(table.frame.columns)
    known = ", ".join(aliases[0] for aliases in COLUMNS.values())
    for position in others:
        warnings.append(
            ImportProblem(
                name,
                table.header_line,
                str(headers[position]),
                headers[position],
                "unknown_column",
                {"known": known},
                severity="warning",
            )
        )
    for field in REQUIRED:
        if field not in positions:
            problems.append(
                ImportProblem(
                    name,
                    table.header_line,
                    COLUMNS[field][0],
                    None,
                    "missing_column",
                    {"column": " / ".join(COLUMNS[field])},
                )
            )
    if not any(field in positions for field in VALUES):
        columns = ", ".join(COLUMNS[field][0] for field in VALUES)
        problems.append(
            ImportProblem(
                name, table.header_line, None, None, "missing_column", {"column": columns}
            )
        )
    if problems:
        raise ImportRejectedError([*problems, *warnings])

    rows, row_problems = _parse_rows(session, table, positions)
    problems += row_problems
    if problems:
        raise ImportRejectedError([*problems, *warnings])

    report = ImportReport(kind=KIND, file=name, dry_run=dry_run, warnings=warnings)
    school_level = sum(row["school_id"] is not None for row in rows)
    report.notes["municipality_level"] = len(rows) - school_level
    report.notes["school_level"] = school_level
    _upsert(session, rows, table, positions, report)
    return report


def _header(table: TextTable, positions: Mapping[str, int], field: str) -> str:
    position = positions.get(field)
    return str(table.frame.columns[position]) if position is not None else COLUMNS[field][0]


def _parse_rows(
    session: Session, table: TextTable, positions: Mapping[str, int]
) -> tuple[list[dict[str, Any]], list[ImportProblem]]:
    """Validate every cell; return one dict per row (with ``_line``) and the problems."""
    name, lines = table.file, table.line_numbers
    used = table.frame.iloc[:, sorted(positions.values())]
    formulas = formula_cells(used, file=name, line_numbers=lines)
    problems: list[ImportProblem] = []

    municipality = cell_text(table, positions.get("municipality_code"))
    school = cell_text(table, positions.get("school_unit_code"))
    m_header = _header(table, positions, "municipality_code")
    s_header = _header(table, positions, "school_unit_code")
    y_header = _header(table, positions, "year")

    m_empty = municipality.eq("")
    m_bad = ~m_empty & ~municipality.str.fullmatch(MUNICIPALITY_CODE.pattern)
    s_bad = school.ne("") & ~school.str.fullmatch(SCHOOL_UNIT_CODE.pattern)
    problems += _cells(name, lines, m_header, municipality, m_empty, "required")
    problems += _cells(name, lines, m_header, municipality, m_bad, "municipality_code")
    problems += _cells(name, lines, s_header, school, s_bad, "school_unit_code")

    year_text = cell_text(table, positions.get("year"))
    years, _, year_problems = parse_numbers(
        year_text, file=name, column=y_header, line_numbers=lines, integer=True
    )
    problems += year_problems
    y_empty = year_text.eq("")
    y_range = years.notna() & ((years < FIRST_YEAR) | (years > LAST_YEAR))
    problems += _cells(name, lines, y_header, year_text, y_empty, "required")
    problems += _cells(
        name, lines, y_header, year_text, y_range, "year", {"min": FIRST_YEAR, "max": LAST_YEAR}
    )
    years = years.where(~y_range)

    values: dict[str, pd.Series] = {}
    for field, whole in VALUES.items():
        if field not in positions:
            continue
        numbers, _, number_problems = parse_numbers(
            cell_text(table, positions[field]),
            file=name,
            column=_header(table, positions, field),
            line_numbers=lines,
            integer=whole,
            minimum=0,
        )
        problems += number_problems
        values[field] = numbers

    # references: municipality and school unit exist, the school is in the municipality
    m_codes = sorted(set(municipality[~m_empty & ~m_bad]))
    s_codes = sorted(set(school[school.ne("") & ~s_bad]))
    municipalities = _lookup(session, Municipality, Municipality.code, m_codes)
    schools = _lookup(session, School, School.school_unit_code, s_codes)
    m_known = municipality.map(lambda code: code in municipalities)
    s_known = school.map(lambda code: code in schools)
    m_unknown = ~m_empty & ~m_bad & ~m_known
    s_unknown = school.ne("") & ~s_bad & ~s_known
    problems += _cells(name, lines, m_header, municipality, m_unknown, "unknown_municipality")
    problems += _cells(name, lines, s_header, school, s_unknown, "unknown_school")
    elsewhere = pd.Series(
        [
            bool(m in municipalities and s in schools)
            and schools[s].municipality_id != municipalities[m].id
            for m, s in zip(municipality, school, strict=True)
        ],
        index=school.index,
        dtype=bool,
    )
    for line, m, s in zip(
        lines[elsewhere.to_numpy()], municipality[elsewhere], school[elsewhere], strict=True
    ):
        problems.append(
            ImportProblem(
                name, int(line), s_header, s, "school_in_municipality", {"municipality": m}
            )
        )

    # one row per key within the file
    key_ok = m_known & ~(school.ne("") & ~s_known) & ~elsewhere & years.notna()
    first: dict[tuple[str, str, int], int] = {}
    for index in np.flatnonzero(key_ok.to_numpy()):
        key = (municipality.iat[index], school.iat[index], int(years.iat[index]))
        line = int(lines[index])
        if key in first:
            shown = "; ".join(str(part) for part in key if part != "")
            problems.append(
                ImportProblem(
                    name,
                    line,
                    s_header if key[1] else m_header,
                    shown,
                    "duplicate_in_file",
                    {"other_row": first[key]},
                )
            )
        else:
            first[key] = line

    problems = [*formulas, *drop_formula_duplicates(problems, formulas)]
    problems.sort(key=lambda p: (p.row or 0, _headers_order(table, p.column)))
    if problems:
        return [], problems

    rows = []
    for index in range(len(table.frame)):
        m, s = municipality.iat[index], school.iat[index]
        row: dict[str, Any] = {
            "_line": int(lines[index]),
            "municipality_id": municipalities[m].id,
            "school_id": schools[s].id if s else None,
            "year": int(years.iat[index]),
        }
        for field, series in values.items():
            value = series.iat[index]
            if pd.isna(value):
                row[field] = None
            else:
                row[field] = int(value) if VALUES[field] else float(value)
        rows.append(row)
    return rows, []


def _headers_order(table: TextTable, column: str | None) -> int:
    """Position of ``column`` in the file (for sorting problems left to right)."""
    headers = [str(h) for h in table.frame.columns]
    return headers.index(column) if column in headers else len(headers)


def _cells(
    file: str,
    lines: np.ndarray,
    column: str,
    values: pd.Series,
    mask: pd.Series,
    code: str,
    params: dict[str, Any] | None = None,
) -> list[ImportProblem]:
    flags = mask.fillna(False).astype(bool).to_numpy()
    return [
        ImportProblem(file, int(line), column, value, code, dict(params or {}))
        for line, value in zip(lines[flags], values[flags], strict=True)
    ]


def _lookup(session: Session, model: type, column: Any, codes: Sequence[str]) -> dict[str, Any]:
    """Rows of ``model`` by code, queried in chunks."""
    found: dict[str, Any] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for obj in session.exec(select(model).where(column.in_(chunk))):
            found[getattr(obj, column.key)] = obj
    return found


def _upsert(
    session: Session,
    rows: list[dict[str, Any]],
    table: TextTable,
    positions: Mapping[str, int],
    report: ImportReport,
) -> None:
    """Create, update or leave each row; all or nothing."""
    name = table.file
    columns = {field: _header(table, positions, field) for field in COLUMNS}
    columns["municipality_id"] = columns["municipality_code"]
    columns["school_id"] = columns["school_unit_code"]
    fields = [field for field in VALUES if field in positions]

    municipality_ids = sorted({row["municipality_id"] for row in rows})
    years = sorted({row["year"] for row in rows})
    existing: dict[tuple[int, int | None, int], ResourceCentreYear] = {}
    for start in range(0, len(municipality_ids), 500):
        chunk = municipality_ids[start : start + 500]
        statement = select(ResourceCentreYear).where(
            ResourceCentreYear.municipality_id.in_(chunk),  # type: ignore[attr-defined]
            ResourceCentreYear.year.in_(years),  # type: ignore[attr-defined]
        )
        for obj in session.exec(statement):
            existing[(obj.municipality_id, obj.school_id, obj.year)] = obj

    new: list[dict[str, Any]] = []
    new_lines: list[int] = []
    changes: list[tuple[ResourceCentreYear, dict[str, Any]]] = []
    problems: list[ImportProblem] = []
    unchanged = 0
    for row in rows:
        line = row.pop("_line")
        obj = existing.get((row["municipality_id"], row["school_id"], row["year"]))
        if obj is None:
            new.append(row)
            new_lines.append(line)
            continue
        changed = {f: row[f] for f in fields if _differs(getattr(obj, f), row[f])}
        if not changed:
            unchanged += 1
            continue
        merged = {**stored_values(obj), **changed}
        try:
            writes.validate(ResourceCentreYear, merged, row=1)
        except InventoryValidationError as exc:
            problems += from_validation_error(exc, name, [line], columns)
            continue
        changes.append((obj, changed))
    if problems:
        raise ImportRejectedError(problems)

    savepoint = session.begin_nested()
    try:
        for obj, changed in changes:
            for field, value in changed.items():
                setattr(obj, field, value)
        if new:
            writes.add_all(session, ResourceCentreYear, new)
        session.flush()
    except InventoryValidationError as exc:
        savepoint.rollback()
        raise ImportRejectedError(from_validation_error(exc, name, new_lines, columns)) from None
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        detail = str(exc.orig).splitlines()[0]
        raise ImportRejectedError(
            [ImportProblem(name, None, None, None, "database", {"detail": detail})]
        ) from None
    savepoint.commit()
    report.created[TABLE] = len(new)
    report.updated[TABLE] = len(changes)
    report.unchanged[TABLE] = unchanged


def _differs(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is not new
    return float(old) != float(new)
