"""Import Skolverket's "Grundskola – Slutbetyg årskurs 9, samtliga elever" at school-unit level.

The file is read exactly as Skolverket publishes it: UTF-8 with BOM (Windows-1252 is accepted
too), preamble lines padded with ``;`` ("Valt läsår: 2024/25" names the school year), ``;`` as
separator, decimal comma, ``.`` (no value / not applicable) and ``..`` (suppressed: fewer than
10 pupils behind the figure) markers, ``~100`` ("close to 100 %": 1-4 pupils not eligible) and
Skolverket's report description after a blank line at the end.

Per school unit the file gives the number of pupils leaving year 9, the share meeting the grade
criteria in all subjects, the share eligible for the vocational programmes of upper secondary
school and the mean merit value (17 subjects, 0-340).

What is written, all or nothing:

- municipalities (kommunkod, name, county) are created when missing, exactly as the pupils
  importer (:mod:`inventory.importers.pupils`) does; an existing municipality is left as it is
  (and accepted whatever its county code, such as the fictional demo county 99);
- school units that are not in the database yet are created (name, organiser type, organiser,
  municipality, ``has_grades_7_9``), so a results file can be imported before or without the
  pupils file. An existing school unit keeps its name, organiser and municipality: the pupils
  file and the inventory workbook own those. The only change made to an existing school unit
  is to *set* ``has_grades_7_9`` when the file shows year-9 leavers (a count or ``..``); it is
  never cleared. A school unit whose municipality in the database differs from the file's is
  reported as a warning, and its result is stored all the same (the result belongs to the
  school unit code);
- one ``school_result`` row per school unit and year: ``pupils``, ``share_all_subjects`` and
  ``share_eligible_vocational`` (fractions 0..1), ``mean_merit_value``; ``.`` and ``..`` are
  stored as NULL and ``suppressed`` says that at least one of the four values was ``..``.
  ``~100`` is stored as 100 % (the value Skolverket shows; the true share is 1-4 pupils lower)
  and counted in the report.

The school year follows the pupils importer: läsår 2024/25 is stored as year 2024, so pupils
and results of one school year line up. The whole file is validated before anything is written,
including rows that ``municipality`` / ``county`` filter out. Importing the same file twice
changes nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import writes
from inventory.importers import textfile
from inventory.importers.problems import ImportProblem, ImportRejectedError, ImportReport

# The layout of the school columns, the "Valt läsår" line, the filters and the municipality
# writes are the same as in Skolverket's pupils download, so they are shared with that importer.
from inventory.importers.pupils import (
    TEXT_COLUMNS,
    _argument_problems,
    _bulk_update,
    _differs,
    _filter_mask,
    _records,
    _rejected_from,
    _school_year,
    _select_frame,
    _text_problems,
    _validate_updates,
    _write_municipalities,
)
from inventory.models import Municipality, School, SchoolResult
from inventory.writes import InventoryValidationError

KIND = "results"

HEADER_PUPILS = "Antal elever"
HEADER_ALL_SUBJECTS = "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen"
HEADER_ELIGIBLE_VOCATIONAL = "Andel (%) elever behöriga till yrkesprog."
HEADER_MERIT = "Genomsnittligt meritvärde (17 ämnen)"

#: SchoolResult share field -> header (percent in the file, fraction in the database)
SHARE_COLUMNS: dict[str, str] = {
    "share_all_subjects": HEADER_ALL_SUBJECTS,
    "share_eligible_vocational": HEADER_ELIGIBLE_VOCATIONAL,
}
#: every SchoolResult value field -> header
VALUE_COLUMNS: dict[str, str] = {
    "pupils": HEADER_PUPILS,
    **SHARE_COLUMNS,
    "mean_merit_value": HEADER_MERIT,
}
#: other spellings Skolverket has used for a header (normalised comparison)
ALIASES: dict[str, tuple[str, ...]] = {
    "share_eligible_vocational": ("Andel (%) elever behöriga till yrkesprogram",),
}
NEEDED_COLUMNS: dict[str, str] = {**TEXT_COLUMNS, **VALUE_COLUMNS}
REQUIRED = (TEXT_COLUMNS["name"], TEXT_COLUMNS["school_unit_code"])
RESULT_FIELDS = (*VALUE_COLUMNS, "suppressed")
MAX_MERIT_VALUE = 340
#: the selection the file must be, when its preamble names one
SELECTION = "Grundskola - Slutbetyg årskurs 9, samtliga elever"

_CODE = re.compile(r"^\s*\d{8}\s*$")
_RESULT_COLUMNS = {**VALUE_COLUMNS, "school_id": TEXT_COLUMNS["school_unit_code"]}
_SCHOOL_COLUMNS = {
    "school_unit_code": TEXT_COLUMNS["school_unit_code"],
    "name": TEXT_COLUMNS["name"],
    "organiser_type": TEXT_COLUMNS["organiser_type"],
    "organiser": TEXT_COLUMNS["organiser"],
    "municipality_id": TEXT_COLUMNS["municipality_code"],
    "has_grades_7_9": HEADER_PUPILS,
}


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2013", "-").replace("\u00a0", " ")).strip().lower()


# --------------------------------------------------------------------------- parsing


@dataclass
class ParsedResults:
    """A validated results file: one row per school unit, typed, with its file line."""

    file: str
    year: int
    school_year: str
    school_year_in_file: str | None
    rows: pd.DataFrame
    suppressed_values: pd.Series
    approximate_shares: pd.Series


def _split(line: str) -> list[str]:
    return next(iter(csv.reader([line], delimiter=";")), [])


def _data_lines(raw: bytes, file: str) -> str:
    """The file's text up to the end of the data, without Skolverket's notes after it.

    The notes follow the last data row after a blank line (every cell empty) and are padded
    with ``;`` like the data, so they cannot be told apart by their number of fields. The data
    ends at the first blank line after the last line with a school unit code (8 digits) in the
    code column; anything else before that blank line is kept and validated, so a damaged or
    cut-off row is reported rather than dropped.
    """
    text, _ = textfile.decode(raw, file)
    lines = text.splitlines()
    index, separator = textfile.find_header(lines, REQUIRED, file)
    if separator != ";":
        raise ImportRejectedError(
            [ImportProblem(file, index + 1, None, lines[index][:80], "separator")]
        )
    header = [_normalise_header(cell) for cell in _split(lines[index])]
    code_column = header.index(_normalise_header(TEXT_COLUMNS["school_unit_code"]))
    body = lines[index + 1 :]
    cells = [_split(line) for line in body]
    last_data = -1
    for offset, row in enumerate(cells):
        if len(row) > code_column and _CODE.match(row[code_column]):
            last_data = offset
    end = len(body)
    for offset in range(last_data + 1, len(body)):
        if not any(cell.strip() for cell in cells[offset]):
            end = offset
            break
    return "\n".join(lines[: index + 1 + end])


def _selection_problems(preamble: Sequence[str], file: str) -> list[ImportProblem]:
    """A preamble that names another selection of the statistics (e.g. girls only)."""
    for number, line in enumerate(preamble, start=1):
        title = _normalise_header(line.strip().rstrip(";"))
        if "slutbetyg" in title and "samtliga elever" not in title:
            params = {"allowed": SELECTION}
            return [ImportProblem(file, number, None, line.strip().rstrip(";"), "allowed", params)]
    return []


def _columns(table: textfile.TextTable) -> tuple[dict[str, str], list[ImportProblem]]:
    """Field -> header as written in the file; a problem per missing column."""
    present = {_normalise_header(str(header)): str(header) for header in table.frame.columns}
    found: dict[str, str] = {}
    problems = []
    for name, header in NEEDED_COLUMNS.items():
        spellings = (header, *ALIASES.get(name, ()))
        actual = next(
            (present[key] for key in map(_normalise_header, spellings) if key in present), None
        )
        if actual is None:
            problems.append(
                ImportProblem(
                    table.file, table.header_line, None, None, "missing_column", {"column": header}
                )
            )
        else:
            found[name] = actual
    return found, problems


def parse_results_file(
    raw: bytes,
    file: str,
    *,
    year: int | None = None,
    known_municipalities: Collection[str] = (),
) -> ParsedResults:
    """Parse and validate the whole file; raise :class:`ImportRejectedError` on any error.

    Parameters
    ----------
    raw
        The file's bytes as downloaded.
    file
        Its name, for the problems.
    year
        School year to store (2024 for 2024/25); default: the "Valt läsår" line.
    known_municipalities
        Municipality codes already in the database: accepted whatever their county (the
        fictional demo municipalities are in county 99); any other code must start with a
        real county code, since its municipality will be created.
    """
    table = textfile.read_table(_data_lines(raw, file), file=file, required=REQUIRED)
    frame, lines = table.frame, table.line_numbers
    found_year, in_file, problems = _school_year(table.preamble, file, year)
    problems += _selection_problems(table.preamble, file)
    columns, missing = _columns(table)
    problems += missing
    if missing:
        raise ImportRejectedError(problems)

    rows, text_problems = _text_problems(frame, lines, file, columns)
    known = set(known_municipalities)
    problems += [
        problem
        for problem in text_problems
        if not (
            problem.code == "allowed"
            and problem.column == columns["municipality_code"]
            and problem.value in known
        )
    ]

    suppressed = pd.Series(0, index=frame.index)
    numbers, marked, found = textfile.parse_numbers(
        frame[columns["pupils"]],
        file=file,
        column=columns["pupils"],
        line_numbers=lines,
        integer=True,
        minimum=0,
        markers=True,
    )
    problems += found
    rows["pupils"] = numbers.round().astype("Int64")
    suppressed += marked.astype(int)
    # year-9 leavers: a count above zero, or ".." (suppressed, so there are some)
    rows["has_leavers"] = numbers.fillna(0).gt(0) | marked

    approximate = pd.Series(0, index=frame.index)
    for name in SHARE_COLUMNS:
        cells = frame[columns[name]].fillna("").astype(str).str.strip()
        near = cells.str.match(r"~\s*\d")  # "~100": close to 100 %
        numbers, marked, found = textfile.parse_numbers(
            cells.str.replace(r"^~\s*(?=\d)", "", regex=True),
            file=file,
            column=columns[name],
            line_numbers=lines,
            minimum=0,
            maximum=100,
            markers=True,
        )
        problems += [replace(problem, code="percent", params={}) for problem in found]
        rows[name] = (numbers / 100).round(6)
        suppressed += marked.astype(int)
        approximate += near.astype(int)

    numbers, marked, found = textfile.parse_numbers(
        frame[columns["mean_merit_value"]],
        file=file,
        column=columns["mean_merit_value"],
        line_numbers=lines,
        minimum=0,
        maximum=MAX_MERIT_VALUE,
        markers=True,
    )
    problems += found
    rows["mean_merit_value"] = numbers.round(6)
    suppressed += marked.astype(int)

    if problems or found_year is None:
        raise ImportRejectedError(problems)

    rows["suppressed"] = suppressed.gt(0)
    rows["line"] = lines
    school_year = f"{found_year}/{(found_year + 1) % 100:02d}"
    return ParsedResults(
        file=file,
        year=found_year,
        school_year=school_year,
        school_year_in_file=in_file,
        rows=rows,
        suppressed_values=suppressed,
        approximate_shares=approximate,
    )


# --------------------------------------------------------------------------- writing


def _write_schools(
    session: Session, rows: pd.DataFrame, file: str, report: ImportReport
) -> pd.Series:
    """School id per row (same index as ``rows``); missing school units are created."""
    old_columns = ["id", "school_unit_code", "municipality_id", "has_grades_7_9"]
    old = _select_frame(
        session,
        lambda chunk: sa.select(*(getattr(School, name) for name in old_columns)).where(
            School.school_unit_code.in_(chunk)
        ),
        rows["school_unit_code"].tolist(),
        old_columns,
    ).set_index("school_unit_code")

    exists = rows["school_unit_code"].isin(old.index)
    new_rows = rows[~exists].assign(has_grades_7_9=rows.loc[~exists, "has_leavers"])
    records = _records(
        new_rows,
        [
            "school_unit_code",
            "name",
            "organiser_type",
            "organiser",
            "municipality_id",
            "has_grades_7_9",
        ],
    )
    try:
        created = writes.add_all(session, School, records)
    except InventoryValidationError as exc:
        raise _rejected_from(exc, file, new_rows["line"].tolist(), _SCHOOL_COLUMNS) from None
    ids = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    ids[~exists] = [obj.id for obj in created]

    current = rows[exists]
    before = old.loc[current["school_unit_code"]].set_axis(current.index)
    ids[exists] = before["id"].astype("Int64")
    flag = current["has_leavers"].astype(bool) & ~before["has_grades_7_9"].astype(bool)
    if flag.any():
        updates = [
            {"id": int(school_id), "has_grades_7_9": True} for school_id in before.loc[flag, "id"]
        ]
        _bulk_update(session, School, updates, file)

    moved = current["municipality_id"].to_numpy() != before["municipality_id"].to_numpy()
    if moved.any():
        codes = _municipality_codes(session, before.loc[moved, "municipality_id"].tolist())
        header = TEXT_COLUMNS["municipality_code"]
        for line, value, old_id in zip(
            current.loc[moved, "line"],
            current.loc[moved, "municipality_code"],
            before.loc[moved, "municipality_id"],
            strict=True,
        ):
            report.warnings.append(
                ImportProblem(
                    file,
                    int(line),
                    header,
                    value,
                    "school_in_other_municipality",
                    {"municipality": codes.get(int(old_id), str(old_id))},
                    severity="warning",
                )
            )
    report.created["school"] = len(created)
    report.updated["school"] = int(flag.sum())
    report.unchanged["school"] = int((~flag).sum())
    return ids


def _municipality_codes(session: Session, ids: Sequence[int]) -> dict[int, str]:
    statement = sa.select(Municipality.id, Municipality.code).where(
        Municipality.id.in_([int(i) for i in set(ids)])
    )
    return {int(key): code for key, code in session.execute(statement).all()}


def _write_results(
    session: Session, rows: pd.DataFrame, year: int, file: str, report: ImportReport
) -> None:
    fields = list(RESULT_FIELDS)
    old_columns = ["id", "school_id", *fields]
    old = _select_frame(
        session,
        lambda chunk: sa.select(*(getattr(SchoolResult, name) for name in old_columns)).where(
            SchoolResult.year == year, SchoolResult.school_id.in_(chunk)
        ),
        [int(school_id) for school_id in rows["school_id"]],
        old_columns,
    ).set_index("school_id")

    exists = rows["school_id"].isin(old.index)
    new_rows = rows[~exists]
    records = _records(new_rows, ["school_id", *fields])
    for record in records:
        record["year"] = year
    try:
        created = writes.add_all(session, SchoolResult, records)
    except InventoryValidationError as exc:
        raise _rejected_from(exc, file, new_rows["line"].tolist(), _RESULT_COLUMNS) from None

    current = rows[exists]
    before = old.loc[current["school_id"]].set_axis(current.index)
    before = before.assign(suppressed=before["suppressed"].astype(bool))
    changed = pd.Series(False, index=current.index)
    for name in fields:
        changed |= _differs(current[name], before[name])
    if changed.any():
        updates = _records(current[changed], fields)
        for record, row_id, school_id in zip(
            updates, before.loc[changed, "id"], current.loc[changed, "school_id"], strict=True
        ):
            record.update(id=int(row_id), school_id=int(school_id), year=year)
        lines = current.loc[changed, "line"].tolist()
        _validate_updates(SchoolResult, updates, lines, file, _RESULT_COLUMNS)
        _bulk_update(session, SchoolResult, updates, file)
    report.created["school_result"] = len(created)
    report.updated["school_result"] = int(changed.sum())
    report.unchanged["school_result"] = int((~changed).sum())


# --------------------------------------------------------------------------- entry point


def import_results(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    year: int | None = None,
    municipality: Sequence[str] | None = None,
    county: str | None = None,
) -> ImportReport:
    """Import Skolverket's year-9 final grades file (school-unit level) into ``session``.

    Parameters
    ----------
    session
        Open session; the caller commits (or rolls back).
    path
        The file exactly as downloaded from Skolverket.
    dry_run
        Validate and compute the report, but undo every write before returning.
    year
        School year to store (2024 for 2024/25); default: the file's "Valt läsår" line.
    municipality
        Only these kommunkoder.
    county
        Only this county (two digits, the start of the kommunkod).

    Returns
    -------
    ImportReport
        Rows created, updated and unchanged per table (``municipality``, ``school``,
        ``school_result``) and notes: ``year``, ``school_year``, ``rows_in_file``,
        ``rows_filtered_out``, ``schools``, ``pupils_total`` (known counts),
        ``suppressed_rows`` (rows with at least one ``..``), ``suppressed_values``,
        ``approximate_shares`` (``~100`` stored as 100 %).

    Raises
    ------
    ImportRejectedError
        With every problem found (file, row, column, value, expected); nothing is written.
    """
    path = Path(path)
    file = path.name
    arguments = _argument_problems(file, year, municipality, county)
    known = session.execute(sa.select(Municipality.code)).scalars().all()
    try:
        parsed = parse_results_file(path.read_bytes(), file, year=year, known_municipalities=known)
    except ImportRejectedError as exc:
        raise ImportRejectedError([*arguments, *exc.problems]) from None
    if arguments:
        raise ImportRejectedError(arguments)
    keep, filter_warnings = _filter_mask(parsed.rows, file, municipality, county)
    rows = parsed.rows[keep].copy()

    report = ImportReport(kind=KIND, file=file, dry_run=dry_run)
    report.warnings = list(filter_warnings)
    report.notes = {
        "year": parsed.year,
        "school_year": parsed.school_year,
        "rows_in_file": len(parsed.rows),
        "rows_filtered_out": int((~keep).sum()),
        "schools": len(rows),
        "pupils_total": int(rows["pupils"].fillna(0).sum()),
        "suppressed_rows": int(rows["suppressed"].sum()),
        "suppressed_values": int(parsed.suppressed_values[keep].sum()),
        "approximate_shares": int(parsed.approximate_shares[keep].sum()),
    }
    if parsed.school_year_in_file and parsed.school_year_in_file != parsed.school_year:
        report.notes["school_year_in_file"] = parsed.school_year_in_file

    savepoint = session.begin_nested()
    try:
        if rows.empty:
            for table in ("municipality", "school", "school_result"):
                report.created[table] = report.updated[table] = report.unchanged[table] = 0
        else:
            municipality_ids = _write_municipalities(session, rows, file, report)
            rows["municipality_id"] = rows["municipality_code"].map(municipality_ids)
            rows["school_id"] = _write_schools(session, rows, file, report)
            _write_results(session, rows, parsed.year, file, report)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


__all__ = ["KIND", "ParsedResults", "import_results", "parse_results_file"]
