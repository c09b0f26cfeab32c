"""Import Skolverket's "Grundskola – Antal elever per årskurs" at school-unit level.

The file is read exactly as Skolverket publishes it: UTF-8 with BOM (Windows-1252 is accepted
too), preamble lines before the header ("Valt läsår: 2023/24" names the school year), ``;`` as
separator, decimal comma, ``.`` (no value) and ``..`` (suppressed) markers, counts of 1,000 or
more written with a space ("1 018"), and notes after the last data row.

What is written, all or nothing:

- municipalities (kommunkod, name from "Skolkommun", county from the first two digits) are
  created when missing; an existing municipality is left exactly as it is (its name included);
- schools (skolenhetskod, name, organiser type, organiser, municipality) are created or updated.
  Stage flags are only ever *set*: a stage whose pupil column holds a count above zero, or ``..``
  (suppressed, so there are pupils), sets ``has_preschool_class`` / ``has_grades_1_3`` /
  ``has_grades_4_6`` / ``has_grades_7_9``. A flag is never cleared, because the file shows one
  school year only (importing an older year must not undo a newer one) and the flags may have
  been set from the inventory workbook. When a school has moved to another municipality its
  district is cleared, since districts belong to a municipality;
- one ``school_year`` row per school for the year: pupils in förskoleklass, in years 1-9 and per
  year group, and the need-index inputs (share of pupils with foreign background, share with
  parents with post-secondary education) stored as fractions 0..1. ``.`` and ``..`` are stored as
  NULL, which counts as no pupils; suppressed pupil counts are reported as warnings. ``~100``
  ("close to 100 %") is stored as 100 % and counted in the report. ``pupils_upper_secondary`` is
  not in this file and is left alone.

The whole file is validated before anything is written, including rows that ``municipality`` /
``county`` filter out: the file is Skolverket's, so an error anywhere means it is damaged. Filters
combine with AND. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import writes
from inventory.importers import textfile
from inventory.importers.problems import (
    ImportProblem,
    ImportRejectedError,
    ImportReport,
    from_validation_error,
)
from inventory.models import (
    FIRST_YEAR,
    LAST_YEAR,
    Municipality,
    OrganiserType,
    School,
    SchoolYear,
)
from inventory.writes import InventoryValidationError

KIND = "pupils"

# --------------------------------------------------------------------------- the raw layout

HEADER_SCHOOL = "Skola"
HEADER_SCHOOL_UNIT_CODE = "Skol-enhetskod"
HEADER_MUNICIPALITY = "Skolkommun"
HEADER_MUNICIPALITY_CODE = "Kommun-kod"
HEADER_ORGANISER_TYPE = "Typ av huvudman"
HEADER_ORGANISER = "Huvudman"
HEADER_ORGANISER_ORG_NUMBER = "Huvudman orgnr"  # read past, not stored
HEADER_PRESCHOOL_CLASS = "Elever, förskoleklass"
HEADER_GIRLS_PRESCHOOL_CLASS = "Andel (%) flickor, förskoleklass"  # not stored
HEADER_GRADES_1_9 = "Elever, årskurs 1-9"
HEADER_GIRLS_GRADES_1_9 = "Andel (%) flickor, årskurs 1-9"  # not stored
HEADER_FOREIGN_BACKGROUND = "Andel (%) elever med utländsk bakgrund, åk 1-9"
HEADER_PARENTS_POST_SECONDARY = "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9"
HEADER_GRADE = {grade: f"Elever, årskurs {grade}" for grade in range(1, 10)}

#: the two headers that identify the header line after the preamble
REQUIRED = (HEADER_SCHOOL, HEADER_SCHOOL_UNIT_CODE)

#: text field -> header
TEXT_COLUMNS: dict[str, str] = {
    "name": HEADER_SCHOOL,
    "school_unit_code": HEADER_SCHOOL_UNIT_CODE,
    "municipality_name": HEADER_MUNICIPALITY,
    "municipality_code": HEADER_MUNICIPALITY_CODE,
    "organiser_type": HEADER_ORGANISER_TYPE,
    "organiser": HEADER_ORGANISER,
}
#: SchoolYear count field -> header
COUNT_COLUMNS: dict[str, str] = {
    "pupils_preschool_class": HEADER_PRESCHOOL_CLASS,
    "pupils_grades_1_9": HEADER_GRADES_1_9,
    **{f"pupils_grade_{grade}": header for grade, header in HEADER_GRADE.items()},
}
#: SchoolYear share field -> header (percent in the file, fraction in the database)
SHARE_COLUMNS: dict[str, str] = {
    "share_foreign_background": HEADER_FOREIGN_BACKGROUND,
    "share_parents_post_secondary": HEADER_PARENTS_POST_SECONDARY,
}
#: every column the importer needs; the others (orgnr, shares of girls) may be absent
NEEDED_COLUMNS: dict[str, str] = {**TEXT_COLUMNS, **COUNT_COLUMNS, **SHARE_COLUMNS}

#: the 21 counties (län) by their two-digit code, the first two digits of a kommunkod
COUNTIES: dict[str, str] = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}

#: "Typ av huvudman" as written (case-insensitive) -> organiser type
ORGANISER_TYPES: dict[str, OrganiserType] = {
    "kommunal": OrganiserType.MUNICIPAL,
    "enskild": OrganiserType.INDEPENDENT,
    "statlig": OrganiserType.STATE,
    "region": OrganiserType.REGION,
    "regional": OrganiserType.REGION,
}

#: stage flag -> count fields whose pupils mean the school has that stage
STAGE_FLAGS: dict[str, tuple[str, ...]] = {
    "has_preschool_class": ("pupils_preschool_class",),
    "has_grades_1_3": ("pupils_grade_1", "pupils_grade_2", "pupils_grade_3"),
    "has_grades_4_6": ("pupils_grade_4", "pupils_grade_5", "pupils_grade_6"),
    "has_grades_7_9": ("pupils_grade_7", "pupils_grade_8", "pupils_grade_9"),
}

SCHOOL_FIELDS = ("name", "organiser_type", "organiser", "municipality_id", "district_id")
SCHOOL_YEAR_FIELDS = (*COUNT_COLUMNS, *SHARE_COLUMNS)
MAX_LENGTH = {"name": 200, "organiser": 200, "municipality_name": 120}

_SCHOOL_YEAR_LINE = re.compile(r"^\s*valt\s+läsår\s*:\s*(?P<value>.*?)[\s;]*$", re.IGNORECASE)
_SCHOOL_YEAR_VALUE = re.compile(r"^(?P<first>\d{4})\s*/\s*(?P<second>\d{2})$")
#: IN-lists are chunked; one query for any real file (about 4,700 school units)
_CHUNK = 5000


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2013", "-").replace("\u00a0", " ")).strip().lower()


# --------------------------------------------------------------------------- parsing


@dataclass
class ParsedFile:
    """A validated pupils file: one row per school unit, typed, with its file line."""

    file: str
    year: int
    school_year: str
    school_year_in_file: str | None
    rows: pd.DataFrame
    suppressed_counts: pd.Series
    suppressed_shares: pd.Series
    approximate_shares: pd.Series
    warnings: list[ImportProblem] = field(default_factory=list)


def _school_year(
    preamble: Sequence[str], file: str, override: int | None
) -> tuple[int | None, str | None, list[ImportProblem]]:
    """The year (2023/24 → 2023) from ``--year`` or the "Valt läsår" preamble line."""
    problems: list[ImportProblem] = []
    in_file: str | None = None
    from_file: int | None = None
    for number, line in enumerate(preamble, start=1):
        match = _SCHOOL_YEAR_LINE.match(line)
        if not match:
            continue
        value = match.group("value")
        parsed = _SCHOOL_YEAR_VALUE.match(value)
        first = int(parsed.group("first")) if parsed else None
        if (
            parsed
            and (first + 1) % 100 == int(parsed.group("second"))
            and FIRST_YEAR <= first <= LAST_YEAR
        ):
            in_file, from_file = f"{first}/{parsed.group('second')}", first
        elif override is None:
            problems.append(ImportProblem(file, number, None, line.strip(), "school_year"))
        break
    if override is not None:
        return override, in_file, problems
    if from_file is None and not problems:
        problems.append(ImportProblem(file, None, "Valt läsår", None, "school_year"))
    return from_file, in_file, problems


def _read(raw: bytes, file: str) -> tuple[textfile.TextTable, list[str]]:
    """The table as text; rejects a file that is not ``;``-separated or ends inside a field."""
    text, _ = textfile.decode(raw, file)
    lines = text.splitlines()
    index, separator = textfile.find_header(lines, REQUIRED, file)
    if separator != ";":
        raise ImportRejectedError(
            [ImportProblem(file, index + 1, None, lines[index][:80], "separator")]
        )
    table = textfile.read_table(raw, file=file, required=REQUIRED, stop_at_short_rows=True)
    # A row cut inside a quoted first field reads as a single field, so stop_at_short_rows
    # would take it for the notes after the data and silently drop it: check the line after.
    after = int(table.line_numbers[-1])  # 0-based index of the line after the last data row
    if after < len(lines) and lines[after].count('"') % 2:
        raise ImportRejectedError(
            [ImportProblem(file, after + 1, None, lines[after][:80], "truncated")]
        )
    return table, lines


def _columns(table: textfile.TextTable) -> tuple[dict[str, str], list[ImportProblem]]:
    """Field -> header as written in the file; a problem per missing column."""
    present = {_normalise_header(str(header)): str(header) for header in table.frame.columns}
    found: dict[str, str] = {}
    problems = []
    for name, header in NEEDED_COLUMNS.items():
        actual = present.get(_normalise_header(header))
        if actual is None:
            problems.append(
                ImportProblem(
                    table.file, table.header_line, None, None, "missing_column", {"column": header}
                )
            )
        else:
            found[name] = actual
    return found, problems


def _text_problems(
    frame: pd.DataFrame, lines: np.ndarray, file: str, columns: dict[str, str]
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """Validate and normalise the text columns; returns the typed text fields."""
    problems: list[ImportProblem] = []
    out = pd.DataFrame(index=frame.index)

    def report(mask: pd.Series, name: str, code: str, params: dict | None = None) -> None:
        header = columns[name]
        for line, value in zip(lines[mask.to_numpy()], frame.loc[mask, header], strict=True):
            problems.append(ImportProblem(file, int(line), header, value, code, params or {}))

    for name in TEXT_COLUMNS:
        out[name] = frame[columns[name]].fillna("").astype(str).str.strip()

    report(~out["school_unit_code"].str.fullmatch(r"\d{8}"), "school_unit_code", "school_unit_code")
    code_ok = out["municipality_code"].str.fullmatch(r"\d{4}")
    report(~code_ok, "municipality_code", "municipality_code")
    county_ok = out["municipality_code"].str[:2].isin(list(COUNTIES))
    allowed = ", ".join(f"{code}xx" for code in COUNTIES)
    report(code_ok & ~county_ok, "municipality_code", "allowed", {"allowed": allowed})

    for name in ("name", "municipality_name", "organiser_type"):
        report(out[name].eq(""), name, "required")
    for name, maximum in MAX_LENGTH.items():
        report(out[name].str.len() > maximum, name, "text_too_long", {"max": maximum})

    kinds = (
        out["organiser_type"]
        .str.casefold()
        .map({text: kind.value for text, kind in ORGANISER_TYPES.items()})
    )
    allowed_types = "Kommunal, Enskild, Statlig, Region"
    report(
        kinds.isna() & out["organiser_type"].ne(""),
        "organiser_type",
        "allowed",
        {"allowed": allowed_types},
    )
    out["organiser_type"] = kinds
    out["organiser"] = out["organiser"].where(out["organiser"].ne(""), None)

    text_headers = [columns[name] for name in TEXT_COLUMNS]
    problems += textfile.formula_cells(frame[text_headers], file=file, line_numbers=lines)

    codes = out["school_unit_code"]
    duplicated = codes.duplicated(keep="first") & codes.ne("")
    if duplicated.any():
        first_line = pd.Series(lines, index=frame.index).groupby(codes).transform("first")
        header = columns["school_unit_code"]
        for line, value, other in zip(
            lines[duplicated.to_numpy()], codes[duplicated], first_line[duplicated], strict=True
        ):
            problems.append(
                ImportProblem(
                    file, int(line), header, value, "duplicate_in_file", {"other_row": int(other)}
                )
            )
    return out, problems


def parse_pupils_file(raw: bytes, file: str, *, year: int | None = None) -> ParsedFile:
    """Parse and validate the whole file; raise :class:`ImportRejectedError` on any error."""
    table, _ = _read(raw, file)
    frame, lines = table.frame, table.line_numbers
    found_year, in_file, problems = _school_year(table.preamble, file, year)
    columns, missing = _columns(table)
    problems += missing
    if missing:
        raise ImportRejectedError(problems)

    rows, text_problems = _text_problems(frame, lines, file, columns)
    problems += text_problems

    suppressed_counts = pd.Series(0, index=frame.index)
    for name in COUNT_COLUMNS:
        numbers, suppressed, found = textfile.parse_numbers(
            frame[columns[name]],
            file=file,
            column=columns[name],
            line_numbers=lines,
            integer=True,
            minimum=0,
            markers=True,
        )
        problems += found
        rows[name] = numbers.round().astype("Int64")
        rows[f"{name}__suppressed"] = suppressed
        suppressed_counts += suppressed.astype(int)

    suppressed_shares = pd.Series(0, index=frame.index)
    approximate = pd.Series(0, index=frame.index)
    for name in SHARE_COLUMNS:
        text = frame[columns[name]].fillna("").astype(str).str.strip()
        near = text.str.match(r"~\s*\d")  # "~100": close to 100 %
        numbers, suppressed, found = textfile.parse_numbers(
            text.str.replace(r"^~\s*(?=\d)", "", regex=True),
            file=file,
            column=columns[name],
            line_numbers=lines,
            minimum=0,
            maximum=100,
            markers=True,
        )
        problems += [replace(problem, code="percent", params={}) for problem in found]
        rows[name] = (numbers / 100).round(6)
        suppressed_shares += suppressed.astype(int)
        approximate += near.astype(int)

    if problems or found_year is None:
        raise ImportRejectedError(problems)

    for flag, names in STAGE_FLAGS.items():
        has = pd.Series(False, index=frame.index)
        for name in names:
            has |= rows[name].fillna(0).gt(0).astype(bool) | rows[f"{name}__suppressed"]
        rows[flag] = has
    rows = rows.drop(columns=[f"{name}__suppressed" for name in COUNT_COLUMNS])
    rows["line"] = lines

    warnings = []
    for name in COUNT_COLUMNS:
        text = frame[columns[name]].fillna("").astype(str).str.strip()
        for line in lines[text.eq(textfile.SUPPRESSED).to_numpy()]:
            warnings.append(
                ImportProblem(
                    file, int(line), columns[name], "..", "suppressed", severity="warning"
                )
            )
    school_year = f"{found_year}/{(found_year + 1) % 100:02d}"
    return ParsedFile(
        file=file,
        year=found_year,
        school_year=school_year,
        school_year_in_file=in_file,
        rows=rows,
        suppressed_counts=suppressed_counts,
        suppressed_shares=suppressed_shares,
        approximate_shares=approximate,
        warnings=warnings,
    )


def _argument_problems(
    file: str, year: int | None, municipality: Sequence[str] | None, county: str | None
) -> list[ImportProblem]:
    """Problems with ``--year``, ``--municipality`` and ``--county`` themselves."""
    problems = []
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        params = {"min": FIRST_YEAR, "max": LAST_YEAR}
        problems.append(ImportProblem(file, None, "--year", year, "year", params))
    for code in municipality or ():
        if not re.fullmatch(r"\d{4}", str(code).strip()):
            problems.append(ImportProblem(file, None, "--municipality", code, "municipality_code"))
    if county is not None and str(county).strip() not in COUNTIES:
        allowed = ", ".join(COUNTIES)
        problems.append(
            ImportProblem(file, None, "--county", county, "allowed", {"allowed": allowed})
        )
    return problems


def _filter_mask(
    rows: pd.DataFrame, file: str, municipality: Sequence[str] | None, county: str | None
) -> tuple[pd.Series, list[ImportProblem]]:
    """Rows kept by the filters (both apply when both are given), and warnings."""
    warnings: list[ImportProblem] = []
    keep = pd.Series(True, index=rows.index)
    if municipality:
        codes = [str(code).strip() for code in municipality]
        present = set(rows["municipality_code"])
        for code in dict.fromkeys(codes):
            if code not in present:
                warnings.append(
                    ImportProblem(
                        file,
                        None,
                        "--municipality",
                        code,
                        "unknown_municipality",
                        severity="warning",
                    )
                )
        keep &= rows["municipality_code"].isin(codes)
    if county is not None:
        keep &= rows["municipality_code"].str[:2].eq(str(county).strip())
    return keep, warnings


# --------------------------------------------------------------------------- writing


def _native(value: Any) -> Any:
    """A plain Python value for validation and the database (None for NA)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame, fields: Iterable[str]) -> list[dict[str, Any]]:
    fields = list(fields)
    columns = [frame[name].astype(object).tolist() for name in fields]
    return [
        {name: _native(value) for name, value in zip(fields, values, strict=True)}
        for values in zip(*columns, strict=True)
    ]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _select_frame(session: Session, statement_for, keys: Sequence[Any], columns) -> pd.DataFrame:
    rows: list[Any] = []
    for chunk in _chunks(list(keys)):
        rows.extend(session.execute(statement_for(chunk)).all())
    # object dtype keeps ints as ints and NULL as None (no float NaN for a nullable id)
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns), dtype=object)


def _differs(new: pd.Series, old: pd.Series) -> pd.Series:
    """Elementwise "not equal", where two missing values are equal."""
    new_values, old_values = new.astype(object).to_numpy(), old.astype(object).to_numpy()
    new_missing, old_missing = pd.isna(new_values), pd.isna(old_values)
    both = ~new_missing & ~old_missing
    equal = new_missing & old_missing
    equal[both] = new_values[both] == old_values[both]
    return pd.Series(~equal, index=new.index)


def _rejected_from(
    exc: InventoryValidationError, file: str, lines: Sequence[int], columns: dict[str, str]
) -> ImportRejectedError:
    return ImportRejectedError(from_validation_error(exc, file, list(lines), columns))


def _validate_updates(
    model, records: list[dict[str, Any]], lines: Sequence[int], file: str, columns: dict[str, str]
) -> None:
    """Run the write boundary's validation on full updated rows (updates bypass ``add_all``)."""
    problems: list[writes.Problem] = []
    for number, record in enumerate(records, start=1):
        try:
            writes.validate(model, record, row=number)
        except InventoryValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise _rejected_from(InventoryValidationError(problems), file, lines, columns)


def _bulk_update(session: Session, model, records: list[dict[str, Any]], file: str) -> None:
    """UPDATE by primary key, all rows in one executemany."""
    if not records:
        return
    try:
        with session.begin_nested():
            session.execute(sa.update(model), records)
    except sa.exc.IntegrityError as exc:
        detail = str(exc.orig).strip().splitlines()[0]
        raise ImportRejectedError(
            [ImportProblem(file, None, None, None, "database", {"detail": detail})]
        ) from None


_MUNICIPALITY_COLUMNS = {
    "code": HEADER_MUNICIPALITY_CODE,
    "name": HEADER_MUNICIPALITY,
    "county_code": HEADER_MUNICIPALITY_CODE,
    "county": HEADER_MUNICIPALITY_CODE,
}
_SCHOOL_COLUMNS = {
    "school_unit_code": HEADER_SCHOOL_UNIT_CODE,
    "name": HEADER_SCHOOL,
    "organiser_type": HEADER_ORGANISER_TYPE,
    "organiser": HEADER_ORGANISER,
    "municipality_id": HEADER_MUNICIPALITY_CODE,
    "district_id": HEADER_MUNICIPALITY_CODE,
    "has_preschool_class": HEADER_PRESCHOOL_CLASS,
    "has_grades_1_3": HEADER_GRADE[1],
    "has_grades_4_6": HEADER_GRADE[4],
    "has_grades_7_9": HEADER_GRADE[7],
}
_SCHOOL_YEAR_COLUMNS = {**COUNT_COLUMNS, **SHARE_COLUMNS, "school_id": HEADER_SCHOOL_UNIT_CODE}


def _write_municipalities(
    session: Session, rows: pd.DataFrame, file: str, report: ImportReport
) -> dict[str, int]:
    """Municipality id by code; missing municipalities are created, existing ones untouched."""
    first = rows.drop_duplicates("municipality_code")
    codes = first["municipality_code"].tolist()
    ids: dict[str, int] = dict(
        session.execute(
            sa.select(Municipality.code, Municipality.id).where(Municipality.code.in_(codes))
        ).all()
    )
    new = first[~first["municipality_code"].isin(list(ids))]
    records = [
        {"code": code, "name": name, "county_code": code[:2], "county": COUNTIES[code[:2]]}
        for code, name in zip(new["municipality_code"], new["municipality_name"], strict=True)
    ]
    try:
        created = writes.add_all(session, Municipality, records)
    except InventoryValidationError as exc:
        raise _rejected_from(exc, file, new["line"].tolist(), _MUNICIPALITY_COLUMNS) from None
    ids.update({obj.code: obj.id for obj in created})
    report.created["municipality"] = len(created)
    report.updated["municipality"] = 0
    report.unchanged["municipality"] = len(codes) - len(created)
    return ids


def _write_schools(
    session: Session, rows: pd.DataFrame, file: str, report: ImportReport
) -> pd.Series:
    """School id per row (same index as ``rows``); schools are created or updated."""
    flags = list(STAGE_FLAGS)
    old_columns = ["id", "school_unit_code", *SCHOOL_FIELDS, *flags]
    old = _select_frame(
        session,
        lambda chunk: sa.select(*(getattr(School, name) for name in old_columns)).where(
            School.school_unit_code.in_(chunk)
        ),
        rows["school_unit_code"].tolist(),
        old_columns,
    ).set_index("school_unit_code")

    codes = rows["school_unit_code"]
    exists = codes.isin(old.index)
    new_rows = rows[~exists]
    records = _records(
        new_rows, ["school_unit_code", "name", "organiser_type", "organiser", "municipality_id"]
    )
    for record, values in zip(records, _records(new_rows, flags), strict=True):
        record.update(values)
    try:
        created = writes.add_all(session, School, records)
    except InventoryValidationError as exc:
        raise _rejected_from(exc, file, new_rows["line"].tolist(), _SCHOOL_COLUMNS) from None
    ids = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    ids[~exists] = [obj.id for obj in created]

    current = rows[exists]
    before = old.loc[current["school_unit_code"]].set_axis(current.index)
    ids[exists] = before["id"].astype("Int64")
    after = pd.DataFrame(index=current.index)
    for name in ("name", "organiser_type", "organiser", "municipality_id"):
        after[name] = current[name]
    moved = current["municipality_id"].to_numpy() != before["municipality_id"].to_numpy()
    after["district_id"] = before["district_id"].where(~moved, None)
    for flag in flags:
        after[flag] = before[flag].astype(bool) | current[flag].astype(bool)
    changed = pd.Series(False, index=current.index)
    for name in (*SCHOOL_FIELDS, *flags):
        changed |= _differs(after[name], before[name])
    if changed.any():
        updates = _records(after[changed], [*SCHOOL_FIELDS, *flags])
        for record, school_id in zip(updates, before.loc[changed, "id"], strict=True):
            record["id"] = int(school_id)
        full = [
            {**record, "school_unit_code": code}
            for record, code in zip(updates, current.loc[changed, "school_unit_code"], strict=True)
        ]
        lines = current.loc[changed, "line"].tolist()
        _validate_updates(School, full, lines, file, _SCHOOL_COLUMNS)
        _bulk_update(session, School, updates, file)
    report.created["school"] = len(created)
    report.updated["school"] = int(changed.sum())
    report.unchanged["school"] = int((~changed).sum())
    return ids


def _write_school_years(
    session: Session, rows: pd.DataFrame, year: int, file: str, report: ImportReport
) -> None:
    fields = list(SCHOOL_YEAR_FIELDS)
    old_columns = ["id", "school_id", *fields]
    old = _select_frame(
        session,
        lambda chunk: sa.select(*(getattr(SchoolYear, name) for name in old_columns)).where(
            SchoolYear.year == year, SchoolYear.school_id.in_(chunk)
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
        created = writes.add_all(session, SchoolYear, records)
    except InventoryValidationError as exc:
        raise _rejected_from(exc, file, new_rows["line"].tolist(), _SCHOOL_YEAR_COLUMNS) from None

    current = rows[exists]
    before = old.loc[current["school_id"]].set_axis(current.index)
    changed = pd.Series(False, index=current.index)
    for name in fields:
        changed |= _differs(current[name], before[name])
    if changed.any():
        updates = _records(current[changed], fields)
        for record, row_id, school_id in zip(
            updates, before.loc[changed, "id"], current.loc[changed, "school_id"], strict=True
        ):
            record["id"] = int(row_id)
            record["school_id"] = int(school_id)
            record["year"] = year
        lines = current.loc[changed, "line"].tolist()
        _validate_updates(SchoolYear, updates, lines, file, _SCHOOL_YEAR_COLUMNS)
        _bulk_update(session, SchoolYear, updates, file)
    report.created["school_year"] = len(created)
    report.updated["school_year"] = int(changed.sum())
    report.unchanged["school_year"] = int((~changed).sum())


# --------------------------------------------------------------------------- entry point


def import_pupils(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    year: int | None = None,
    municipality: Sequence[str] | None = None,
    county: str | None = None,
) -> ImportReport:
    """Import Skolverket's pupils-per-year-group file (school-unit level) into ``session``.

    Parameters
    ----------
    session
        Open session; the caller commits (or rolls back).
    path
        The file exactly as downloaded from Skolverket.
    dry_run
        Validate and compute the report, but undo every write before returning (the report's
        counts are what a real import would do).
    year
        School year to store (2023 for 2023/24); default: the file's "Valt läsår" line.
    municipality
        Only these kommunkoder.
    county
        Only this county (two digits, the start of the kommunkod).

    Raises
    ------
    ImportRejectedError
        With every problem found (file, row, column, value, expected); nothing is written.
    """
    path = Path(path)
    file = path.name
    arguments = _argument_problems(file, year, municipality, county)
    try:
        parsed = parse_pupils_file(path.read_bytes(), file, year=year)
    except ImportRejectedError as exc:
        raise ImportRejectedError([*arguments, *exc.problems]) from None
    if arguments:
        raise ImportRejectedError(arguments)
    keep, filter_warnings = _filter_mask(parsed.rows, file, municipality, county)
    rows = parsed.rows[keep].copy()

    report = ImportReport(kind=KIND, file=file, dry_run=dry_run)
    kept_lines = set(rows["line"].tolist())
    report.warnings = [w for w in parsed.warnings if w.row in kept_lines] + filter_warnings
    preschool = int(rows["pupils_preschool_class"].fillna(0).sum())
    grades = int(rows["pupils_grades_1_9"].fillna(0).sum())
    report.notes = {
        "year": parsed.year,
        "school_year": parsed.school_year,
        "rows_in_file": len(parsed.rows),
        "rows_filtered_out": int((~keep).sum()),
        "schools": len(rows),
        "pupils_total": preschool + grades,
        "pupils_preschool_class": preschool,
        "pupils_grades_1_9": grades,
        "suppressed_pupil_counts": int(parsed.suppressed_counts[keep].sum()),
        "suppressed_need_shares": int(parsed.suppressed_shares[keep].sum()),
        "approximate_need_shares": int(parsed.approximate_shares[keep].sum()),
    }
    if parsed.school_year_in_file and parsed.school_year_in_file != parsed.school_year:
        report.notes["school_year_in_file"] = parsed.school_year_in_file

    savepoint = session.begin_nested()
    try:
        if rows.empty:
            for table in ("municipality", "school", "school_year"):
                report.created[table] = report.updated[table] = report.unchanged[table] = 0
        else:
            municipality_ids = _write_municipalities(session, rows, file, report)
            rows["municipality_id"] = rows["municipality_code"].map(municipality_ids)
            rows["school_id"] = _write_schools(session, rows, file, report)
            _write_school_years(session, rows, parsed.year, file, report)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report
