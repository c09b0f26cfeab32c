"""The inventory workbook: template, import and export.

One declarative table (:mod:`inventory.importers.workbook_schema`) describes every sheet and
column; the template, the import, the export and the instructions sheet are all built from it.

Template
    :func:`write_template` writes an ``.xlsx`` file with an instructions sheet (every sheet and
    column with its unit, allowed values and KB-aligned definition, in Swedish and English), one
    sheet per table with a bold, frozen header row, drop-down lists for coded values and ja/nej,
    and range checks for numbers.

Import
    :func:`import_inventory` reads an ``.xlsx`` workbook (any of the data sheets, in any order) or
    a single CSV file, whose table is recognised from its headers (and its file name, when that
    is a sheet name). Headers may be Swedish or English (case and spacing ignored). Every cell is
    checked: types, ranges, allowed values, formula-like text, duplicates within a sheet,
    references to municipalities, districts, schools and libraries in the file or the database.
    Every problem of every sheet is collected before the file is rejected. Rows are numbered as
    the spreadsheet shows them (header on row 1).

    The import is an **upsert by natural key**: a row whose key (kommunkod; kommunkod + district
    name; skolenhetskod; skolenhetskod + year; kommunkod + library name; library + school unit;
    library + year; library + year + category; school unit + kind + year) already exists in the
    database updates that row, any other row is inserted. Rows in the database that the file
    does not mention are left alone; nothing is deleted. Within an updated row an empty cell
    clears the stored value (a yes/no column that cannot be empty falls back to "no"), and a
    column left out of the sheet keeps the stored values. Importing the same file twice leaves
    the database unchanged the second time.

    A key that occurs twice in a sheet is an error (``duplicate_in_file``, naming the other
    row). A key that exists in the database is not a duplicate but an update, except where the
    match would be ambiguous: a skolenhetskod identifies a school unit nationally, so a file
    that places an existing school unit in another municipality is rejected
    (``school_in_other_municipality``) rather than silently moving the school and everything
    that refers to it.

    Warnings (listed, not blocking): staffed open hours above the staff's working hours
    (``staffed_above_open``).

    Everything is written in dependency order inside one savepoint, inserts through
    :func:`inventory.writes.add_all` and updates validated with :func:`inventory.writes.validate`;
    if anything fails the savepoint is rolled back and :class:`ImportRejectedError` raised. With
    ``dry_run`` the savepoint is always rolled back, so the database's own constraints are
    checked too but nothing stays. The caller commits.

Export
    :func:`export_inventory` writes the database's inventory tables in the template's format
    (labels instead of codes, natural keys instead of ids), so the file can be re-imported into
    an empty database. Text that a spreadsheet would run as a formula is written as a text cell
    with Excel's quote prefix, so it is never evaluated.
"""

from __future__ import annotations

import csv
import enum
import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import shapely
import sqlalchemy as sa
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic_core import PydanticUndefined
from sqlmodel import Session, SQLModel

from inventory.importers.problems import (
    ImportProblem,
    ImportRejectedError,
    ImportReport,
    from_validation_error,
)
from inventory.importers.textfile import (
    FORMULA_PREFIXES,
    SEPARATORS,
    decode,
    formula_cells,
    parse_numbers,
    read_table,
)
from inventory.importers.workbook_schema import (
    BOOLEAN_LABELS,
    FALSE_WORDS,
    GENERAL_EN,
    GENERAL_SV,
    IGNORED_SHEETS,
    INSTRUCTIONS_TITLES,
    KIND_LABELS,
    LISTS_TITLE,
    SHEETS,
    TRUE_WORDS,
    Column,
    Sheet,
    normalise,
)
from inventory.models import District, Library, Municipality, School
from inventory.writes import InventoryValidationError, add_all, validate

KIND = "inventory"
XLSX_SIGNATURE = b"PK\x03\x04"
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
#: Last row covered by the template's drop-down lists and range checks.
VALIDATION_LAST_ROW = 1_048_576
DIGITS = {"school_unit_code": 8, "municipality_code": 4, "county_code": 2}
#: Unique natural key of each table in database terms (ids after resolving references).
_DB_KEYS: dict[str, tuple[str, ...]] = {
    "municipalities": ("code",),
    "districts": ("municipality_id", "name"),
    "schools": ("school_unit_code",),
    "school_years": ("school_id", "year"),
    "libraries": ("municipality_id", "name"),
    "library_schools": ("library_id", "school_id"),
    "library_years": ("library_id", "year"),
    "collections": ("library_id", "year", "category"),
    "action_plans": ("school_id", "kind", "year"),
}
_STAFF = ("hours_lis_librarian", "hours_teacher_librarian", "hours_assistant", "hours_other")
_OPEN_STAFFED = ("open_hours_staffed_all", "open_hours_staffed_classes")


# --------------------------------------------------------------------------- reading


@dataclass
class _RawSheet:
    """One sheet as found in the file: headers as written, cells as read."""

    sheet: Sheet
    title: str | None
    headers: list[str]
    frame: pd.DataFrame  # positional columns 0..n-1, object dtype
    rows: np.ndarray  # spreadsheet row number of each frame row
    header_row: int = 1


@dataclass
class _Parsed:
    """A sheet after parsing: typed values by field name, the headers they came from."""

    sheet: Sheet
    title: str | None
    rows: np.ndarray
    values: dict[str, list[Any]]  # field -> Python values (None when empty or invalid)
    headers: dict[str, str]  # field -> header as written
    lang: str

    def __len__(self) -> int:
        return len(self.rows)

    def header(self, name: str) -> str:
        return self.headers.get(name) or self.sheet.column(name).header(self.lang)


@dataclass
class _Problems:
    """Problems collected over the whole file."""

    file: str
    items: list[ImportProblem] = field(default_factory=list)

    def add(
        self,
        code: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        col: str | None = None,
        value: Any = None,
        severity: str = "error",
        **params: Any,
    ) -> None:
        self.items.append(
            ImportProblem(
                self.file,
                row,
                col,
                value,
                code,
                params,
                sheet,
                severity,  # type: ignore[arg-type]
            )
        )

    @property
    def errors(self) -> bool:
        return any(p.severity == "error" for p in self.items)


def _reject(file: str, code: str, **params: Any) -> ImportRejectedError:
    return ImportRejectedError([ImportProblem(file, None, None, None, code, params)])


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_for_title(title: str) -> Sheet | None:
    wanted = normalise(title).replace("_", " ")
    for sheet in SHEETS:
        names = {normalise(n).replace("_", " ") for n in (sheet.sv, sheet.en, sheet.key)}
        if wanted in names:
            return sheet
    return None


def _known_sheets() -> str:
    return ", ".join(f"{s.sv} ({s.en})" for s in SHEETS)


def _aliases(sheet: Sheet) -> dict[str, Column]:
    """Normalised header -> column: the Swedish and English header and the field name."""
    aliases: dict[str, Column] = {}
    for column in sheet.columns:
        for name in (column.field, column.en, column.sv):
            aliases[normalise(name)] = column
    return aliases


def _read_xlsx(data: bytes, file: str, problems: _Problems) -> list[_RawSheet]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any zip that is not a readable workbook
        raise _reject(file, "not_spreadsheet") from None
    sheets: list[_RawSheet] = []
    try:
        for worksheet in book.worksheets:
            if not hasattr(worksheet, "iter_rows"):
                continue  # a chart sheet
            if normalise(worksheet.title) in IGNORED_SHEETS:
                continue
            worksheet.reset_dimensions()
            cells = [
                (number, row)
                for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
                if any(not _is_empty(v) for v in row)
            ]
            if not cells:
                continue  # an empty sheet, whatever its name
            sheet = _sheet_for_title(worksheet.title)
            if sheet is None:
                problems.add(
                    "unknown_sheet",
                    sheet=worksheet.title,
                    value=worksheet.title,
                    known=_known_sheets(),
                )
                continue
            width = max(len(row) for _, row in cells)
            padded = [(*row, *([None] * (width - len(row)))) for _, row in cells]
            headers = ["" if _is_empty(v) else str(v).strip() for v in padded[0]]
            frame = pd.DataFrame(padded[1:], columns=range(width), dtype=object)
            rows = np.asarray([number for number, _ in cells[1:]], dtype=int)
            sheets.append(_RawSheet(sheet, worksheet.title, headers, frame, rows, cells[0][0]))
    finally:
        book.close()
    return sheets


def _csv_sheet(text: str, stem: str) -> tuple[Sheet, list[str]] | None:
    """The sheet a CSV file holds and its recognised headers, from the first header-like line.

    Preference: the sheet named by the file name, then a sheet whose required columns are all
    present, then the fewest unrecognised headers, then the most recognised ones.
    """
    by_name = _sheet_for_title(stem)
    for line in text.splitlines()[:50]:
        candidates = []
        for separator in SEPARATORS:
            if separator not in line:
                continue
            cells = [cell.strip() for cell in next(csv.reader([line], delimiter=separator))]
            written = [cell for cell in cells if cell]
            present = {normalise(cell) for cell in written}
            for sheet in SHEETS:
                aliases = _aliases(sheet)
                matched = [cell for cell in written if normalise(cell) in aliases]
                if not matched:
                    continue
                complete = all(
                    present & {normalise(c.sv), normalise(c.en), normalise(c.field)}
                    for c in sheet.columns
                    if c.required
                )
                score = (
                    sheet is by_name,
                    complete,
                    len(matched) - len(written),
                    len(matched),
                    -len(sheet.columns),
                )
                candidates.append((score, sheet, matched))
        if candidates:
            _, sheet, matched = max(candidates, key=lambda candidate: candidate[0])
            return sheet, matched
    return None


def _read_csv(data: bytes, file: str, stem: str) -> list[_RawSheet]:
    text, _ = decode(data, file)
    found = _csv_sheet(text, stem)
    if found is None:
        raise _reject(file, "no_header", header=_known_sheets_headers())
    sheet, matched = found
    table = read_table(data, file=file, required=matched)
    headers = [str(h) for h in table.frame.columns]
    frame = pd.DataFrame(table.frame.to_numpy(dtype=object), columns=range(len(headers)))
    rows = np.asarray(table.line_numbers, dtype=int)
    return [_RawSheet(sheet, None, headers, frame, rows, table.header_line)]


def _known_sheets_headers() -> str:
    return " / ".join(", ".join(c.sv for c in s.key_columns) for s in SHEETS)


def _read(path: Path, problems: _Problems) -> list[_RawSheet]:
    data = path.read_bytes()
    file = problems.file
    if data.startswith(XLSX_SIGNATURE) and zipfile.is_zipfile(io.BytesIO(data)):
        return _read_xlsx(data, file, problems)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise _reject(file, "empty_file" if not data.strip() else "not_spreadsheet")
    return _read_csv(data, file, path.stem)


# --------------------------------------------------------------------------- parsing


def _cell_text(value: Any) -> str:
    """A cell as text the parsers understand (numbers with a decimal point, ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _lang_of(headers: Sequence[str], sheet: Sheet) -> str:
    """Language of most recognised headers (Swedish on a tie)."""
    sv = {normalise(c.sv) for c in sheet.columns}
    en = {normalise(c.en) for c in sheet.columns} - sv
    found = [normalise(h) for h in headers]
    return "en" if sum(h in en for h in found) > sum(h in sv for h in found) else "sv"


def _parse_sheet(raw: _RawSheet, problems: _Problems) -> _Parsed:
    sheet, file = raw.sheet, problems.file
    aliases = _aliases(sheet)
    lang = _lang_of(raw.headers, sheet)
    title = raw.title or sheet.title(lang)
    header_row = raw.header_row
    known = ", ".join(c.header(lang) for c in sheet.columns)
    mapped: dict[str, tuple[int, str]] = {}
    for position, header in enumerate(raw.headers):
        column = aliases.get(normalise(header)) if header else None
        if column is None:
            if not header and raw.frame[position].map(_is_empty).all():
                continue  # an unused column without a header
            problems.add(
                "unknown_column",
                sheet=title,
                row=header_row,
                col=header or get_column_letter(position + 1),
                value=header,
                known=known,
            )
        elif column.field in mapped:
            problems.add(
                "duplicate_column",
                sheet=title,
                row=header_row,
                col=header,
                value=header,
                other=mapped[column.field][1],
            )
        else:
            mapped[column.field] = (position, header)
    for column in sheet.columns:
        if column.required and column.field not in mapped:
            header = column.header(lang)
            problems.add("missing_column", sheet=title, col=header, column=header)

    rows = raw.rows
    headers = {name: header for name, (_, header) in mapped.items()}
    texts = pd.DataFrame(
        {header: raw.frame[position].map(_cell_text) for _, (position, header) in mapped.items()},
        index=raw.frame.index,
        dtype=object,
    )
    formula = formula_cells(texts, file=file, line_numbers=rows, sheet=title)
    problems.items.extend(formula)
    flagged = {(p.row, p.column) for p in formula}
    values: dict[str, list[Any]] = {}
    for name, (position, header) in mapped.items():
        column = sheet.column(name)
        text = texts[header].astype(str)
        if flagged:
            text = text.where([(int(r), header) not in flagged for r in rows], "")
        values[name] = _parse_column(
            column, text, raw.frame[position], rows, header, title, problems
        )
        if column.required:
            for number, is_empty in zip(rows, text.eq("").to_numpy(), strict=True):
                if is_empty and (int(number), header) not in flagged:
                    problems.add("required", sheet=title, row=int(number), col=header)
    return _Parsed(sheet, title, rows, values, headers, lang)


def _parse_column(
    column: Column,
    text: pd.Series,
    raw: pd.Series,
    rows: np.ndarray,
    header: str,
    title: str,
    problems: _Problems,
) -> list[Any]:
    """Typed Python values of one column (None where empty or invalid); problems recorded."""
    file = problems.file
    kind = column.kind
    empty = text.eq("")

    def report(mask: pd.Series, code: str, **params: Any) -> None:
        selected = mask.to_numpy(dtype=bool)
        for number, value in zip(rows[selected], text[selected], strict=True):
            problems.add(code, sheet=title, row=int(number), col=header, value=value, **params)

    if kind in {"integer", "number", "year", "share"}:
        percent = text.str.endswith("%") if kind == "share" else pd.Series(False, text.index)
        numbers, _, found = parse_numbers(
            text.str.rstrip("%").str.strip() if kind == "share" else text,
            file=file,
            column=header,
            line_numbers=rows,
            integer=kind in {"integer", "year"},
            minimum=column.minimum,
            maximum=column.maximum if kind != "share" else None,
            sheet=title,
        )
        if kind == "year":
            found = [
                replace(p, code="year", params={"min": column.minimum, "max": column.maximum})
                if p.code in {"range", "non_negative"}
                else p
                for p in found
            ]
        problems.items.extend(found)
        if kind == "share":
            numbers = numbers.where(~percent, numbers / 100)
            outside = numbers.notna() & ((numbers < 0) | (numbers > 1))
            report(outside, "range", min=0, max=1)
            numbers = numbers.where(~outside)
        if kind in {"integer", "year"}:
            return [None if pd.isna(v) else int(v) for v in numbers]
        return [None if pd.isna(v) else float(v) for v in numbers]
    if kind == "boolean":
        words = text.str.casefold()
        true, false = words.isin(TRUE_WORDS), words.isin(FALSE_WORDS)
        report(~empty & ~true & ~false, "boolean")
        return [True if t else (False if f else None) for t, f in zip(true, false, strict=True)]
    if kind == "date":
        parsed = pd.to_datetime(text.where(~empty), format="%Y-%m-%d", errors="coerce")
        report(~empty & parsed.isna(), "date")
        return [None if pd.isna(v) else v.date() for v in parsed]
    if kind == "choice":
        lookup: dict[str, Any] = {}
        for choice in column.choices:
            for label in (str(choice.code), choice.en, choice.sv):
                lookup[normalise(label)] = choice.code
        codes = [lookup.get(normalise(v)) if v else None for v in text]
        unknown = pd.Series([c is None for c in codes], index=text.index) & ~empty
        report(unknown, "allowed", allowed=", ".join(c.sv for c in column.choices))
        return codes
    if kind in DIGITS:
        width = DIGITS[kind]
        numeric = raw.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
        padded = text.where(~numeric.to_numpy(dtype=bool), text.str.zfill(width))
        valid = padded.str.fullmatch(rf"\d{{{width}}}")
        report(~empty & ~valid, kind)
        return [p if ok else None for p, ok in zip(padded, valid & ~empty, strict=True)]
    # text and WKT: kept exactly as written (surrounding spaces removed)
    out: list[Any] = [None if e else v for v, e in zip(text, empty, strict=True)]
    if column.max_length:
        long = text.str.len() > column.max_length
        report(long, "text_too_long", max=column.max_length)
        out = [None if too else v for v, too in zip(out, long, strict=True)]
    if kind == "wkt" and any(v is not None for v in out):
        geometries = shapely.from_wkt(np.asarray(out, dtype=object), on_invalid="ignore")
        invalid = pd.Series(
            [v is not None and g is None for v, g in zip(out, geometries, strict=True)],
            index=text.index,
        )
        report(invalid, "wkt")
        out = [None if bad else v for v, bad in zip(out, invalid, strict=True)]
    return out


# --------------------------------------------------------------------------- checks


@dataclass
class _Keys:
    """Natural key -> database id; starts from the database, grows as rows are inserted."""

    municipality: dict[str, int] = field(default_factory=dict)
    district: dict[tuple[str, str], int] = field(default_factory=dict)
    school: dict[str, int] = field(default_factory=dict)
    school_municipality: dict[str, str] = field(default_factory=dict)
    library: dict[tuple[str, str], int] = field(default_factory=dict)


def _database_keys(session: Session) -> _Keys:
    keys = _Keys()
    keys.municipality = dict(session.execute(sa.select(Municipality.code, Municipality.id)).all())
    code_of = {id_: code for code, id_ in keys.municipality.items()}
    for id_, municipality_id, name in session.execute(
        sa.select(District.id, District.municipality_id, District.name)
    ):
        keys.district[(code_of[municipality_id], name)] = id_
    for id_, code, municipality_id in session.execute(
        sa.select(School.id, School.school_unit_code, School.municipality_id)
    ):
        keys.school[code] = id_
        keys.school_municipality[code] = code_of[municipality_id]
    for id_, municipality_id, name in session.execute(
        sa.select(Library.id, Library.municipality_id, Library.name)
    ):
        keys.library[(code_of[municipality_id], name)] = id_
    return keys


def _file_keys(parsed: Sequence[_Parsed]) -> dict[str, set]:
    found: dict[str, set] = {
        "municipality": set(),
        "district": set(),
        "school": set(),
        "library": set(),
    }
    for sheet in parsed:
        v = sheet.values
        if sheet.sheet.key == "municipalities" and "code" in v:
            found["municipality"].update(c for c in v["code"] if c)
        elif sheet.sheet.key == "schools" and "school_unit_code" in v:
            found["school"].update(c for c in v["school_unit_code"] if c)
        elif sheet.sheet.key in {"districts", "libraries"} and {"municipality_code", "name"} <= set(
            v
        ):
            target = "district" if sheet.sheet.key == "districts" else "library"
            found[target].update(
                (m, n) for m, n in zip(v["municipality_code"], v["name"], strict=True) if m and n
            )
    return found


def _check_references(parsed: Sequence[_Parsed], keys: _Keys, problems: _Problems) -> None:
    in_file = _file_keys(parsed)
    municipalities = in_file["municipality"] | set(keys.municipality)
    schools = in_file["school"] | set(keys.school)
    districts = in_file["district"] | set(keys.district)
    libraries = in_file["library"] | set(keys.library)
    for sheet in parsed:
        values = sheet.values
        towns = values.get("municipality_code", [None] * len(sheet))
        for column in sheet.sheet.columns:
            if column.reference is None or column.field not in values:
                continue
            header = sheet.header(column.field)
            for number, value, town in zip(sheet.rows, values[column.field], towns, strict=True):
                if value is None:
                    continue
                code = None
                if column.reference == "municipality" and value not in municipalities:
                    code = "unknown_municipality"
                elif column.reference == "school" and value not in schools:
                    code = "unknown_school"
                elif column.reference == "district" and town in municipalities:
                    code = None if (town, value) in districts else "unknown_district"
                elif column.reference == "library" and town in municipalities:
                    code = None if (town, value) in libraries else "unknown_library"
                if code:
                    problems.add(code, sheet=sheet.title, row=int(number), col=header, value=value)
        if sheet.sheet.key == "schools" and {"school_unit_code", "municipality_code"} <= set(
            values
        ):
            header = sheet.header("municipality_code")
            for number, code, town in zip(
                sheet.rows, values["school_unit_code"], towns, strict=True
            ):
                stored = keys.school_municipality.get(code)
                if town and stored and stored != town:
                    problems.add(
                        "school_in_other_municipality",
                        sheet=sheet.title,
                        row=int(number),
                        col=header,
                        value=town,
                        municipality=stored,
                    )


def _check_duplicates(parsed: Sequence[_Parsed], problems: _Problems) -> None:
    for sheet in parsed:
        names = [c.field for c in sheet.sheet.key_columns]
        if not all(name in sheet.values for name in names):
            continue
        header = ", ".join(sheet.header(name) for name in names)
        seen: dict[tuple, int] = {}
        columns = [sheet.values[name] for name in names]
        for number, key in zip(sheet.rows, zip(*columns, strict=True), strict=True):
            if any(part is None for part in key):
                continue
            if key in seen:
                problems.add(
                    "duplicate_in_file",
                    sheet=sheet.title,
                    row=int(number),
                    col=header,
                    value=" / ".join(str(part) for part in key),
                    other_row=seen[key],
                )
            else:
                seen[key] = int(number)


def _check_rows(parsed: Sequence[_Parsed], problems: _Problems) -> None:
    """Checks across columns of one row: errors and warnings."""
    for sheet in parsed:
        values = sheet.values
        if sheet.sheet.key == "collections" and {"items", "items_last_10_years"} <= set(values):
            header = sheet.header("items_last_10_years")
            for number, items, recent in zip(
                sheet.rows, values["items"], values["items_last_10_years"], strict=True
            ):
                if items is not None and recent is not None and recent > items:
                    problems.add(
                        "recent_above_items",
                        sheet=sheet.title,
                        row=int(number),
                        col=header,
                        value=recent,
                        items=items,
                    )
        staff = [values[name] for name in _STAFF if name in values]
        staffed_open = [values[name] for name in _OPEN_STAFFED if name in values]
        if sheet.sheet.key != "library_years" or not staff or not staffed_open:
            continue
        header = sheet.header(next(name for name in _OPEN_STAFFED if name in values))
        for position, number in enumerate(sheet.rows):
            open_hours = [col[position] for col in staffed_open if col[position] is not None]
            hours = sum(col[position] or 0.0 for col in staff)
            if open_hours and sum(open_hours) > hours:
                problems.add(
                    "staffed_above_open",
                    sheet=sheet.title,
                    row=int(number),
                    col=header,
                    value=f"{_number(sum(open_hours))} > {_number(hours)}",
                    severity="warning",
                )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


# --------------------------------------------------------------------------- writing


class _WriteFailedError(Exception):
    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _model_rows(sheet: _Parsed, keys: _Keys) -> list[dict[str, Any]]:
    """Rows as model field values, references resolved to ids."""
    model = sheet.sheet.model
    fields = model.model_fields
    towns = sheet.values.get("municipality_code", [None] * len(sheet))
    rows: list[dict[str, Any]] = [{} for _ in range(len(sheet))]
    for name, values in sheet.values.items():
        column = sheet.sheet.column(name)
        reference = column.reference
        for data, value, town in zip(rows, values, towns, strict=True):
            if reference is None:
                info = fields[name]
                if value is None and info.default not in (None, PydanticUndefined):
                    value = info.default  # a yes/no column that cannot be empty: "no"
                data[name] = value
            elif reference == "municipality":
                if "municipality_id" in fields:
                    data["municipality_id"] = keys.municipality[value]
            elif reference == "school":
                target = "school_id" if name == "school_unit_code" else "host_school_id"
                data[target] = None if value is None else keys.school[value]
            elif reference == "district":
                data["district_id"] = None if value is None else keys.district[(town, value)]
            elif reference == "library":
                data["library_id"] = keys.library[(town, value)]
    return rows


def _column_map(sheet: _Parsed) -> dict[str, str]:
    """Model field (ids included) -> header in the file, for write-boundary problems."""
    columns = dict(sheet.headers)
    ids = {
        "municipality_code": "municipality_id",
        "school_unit_code": "school_id",
        "host_school_code": "host_school_id",
        "district": "district_id",
        "library": "library_id",
    }
    for name, target in ids.items():
        if name in sheet.headers:
            columns.setdefault(target, sheet.headers[name])
    return columns


def _remember(sheet: _Parsed, index: int, obj: SQLModel, keys: _Keys) -> None:
    values = sheet.values
    key = sheet.sheet.key
    if key == "municipalities":
        keys.municipality[values["code"][index]] = obj.id  # type: ignore[attr-defined]
    elif key == "schools":
        keys.school[values["school_unit_code"][index]] = obj.id  # type: ignore[attr-defined]
    elif key in {"districts", "libraries"}:
        natural = (values["municipality_code"][index], values["name"][index])
        target = keys.district if key == "districts" else keys.library
        target[natural] = obj.id  # type: ignore[attr-defined]


def _existing(session: Session, sheet: Sheet, rows: Sequence[Mapping[str, Any]]) -> dict:
    """Stored rows with the same natural keys as ``rows``, by key (queried in chunks)."""
    model = sheet.model
    names = _DB_KEYS[sheet.key]
    wanted = sorted({row[names[0]] for row in rows if row.get(names[0]) is not None})
    found = {}
    attribute = getattr(model, names[0])
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for obj in session.scalars(sa.select(model).where(attribute.in_(chunk))):
            found[tuple(_plain(getattr(obj, name)) for name in names)] = obj
    return found


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _write_sheet(
    session: Session, sheet: _Parsed, keys: _Keys, report: ImportReport, file: str
) -> None:
    model = sheet.sheet.model
    table = sheet.sheet.table
    rows = _model_rows(sheet, keys)
    names = _DB_KEYS[sheet.sheet.key]
    columns = _column_map(sheet)
    existing = _existing(session, sheet.sheet, rows)
    new: list[int] = []
    updated = unchanged = 0
    problems: list[ImportProblem] = []
    for index, data in enumerate(rows):
        obj = existing.get(tuple(data.get(name) for name in names))
        if obj is None:
            new.append(index)
            continue
        changes = {
            name: value for name, value in data.items() if _plain(getattr(obj, name)) != value
        }
        if not changes:
            unchanged += 1
            continue
        current = {name: _plain(getattr(obj, name)) for name in model.model_fields}
        try:
            validate(model, {**current, **data}, row=1)
        except InventoryValidationError as exc:
            found = from_validation_error(exc, file, [int(sheet.rows[index])], columns)
            problems.extend(replace(p, sheet=sheet.title) for p in found)
            continue
        for name, value in changes.items():
            setattr(obj, name, value)
        updated += 1
    if problems:
        raise _WriteFailedError(problems)
    if new:
        try:
            written = add_all(session, model, [rows[index] for index in new])
        except InventoryValidationError as exc:
            numbers = [int(sheet.rows[index]) for index in new]
            found = from_validation_error(exc, file, numbers, columns)
            raise _WriteFailedError([replace(p, sheet=sheet.title) for p in found]) from None
        for index, obj in zip(new, written, strict=True):
            _remember(sheet, index, obj, keys)
    session.flush()
    report.created[table] = report.created.get(table, 0) + len(new)
    report.updated[table] = report.updated.get(table, 0) + updated
    report.unchanged[table] = report.unchanged.get(table, 0) + unchanged


def _order(parsed: Iterable[_Parsed]) -> list[_Parsed]:
    position = {sheet.key: index for index, sheet in enumerate(SHEETS)}
    return sorted(parsed, key=lambda p: position[p.sheet.key])


def _sorted(problems: Iterable[ImportProblem]) -> list[ImportProblem]:
    titles: dict[str | None, int] = {None: -1}
    for sheet in SHEETS:
        titles.setdefault(sheet.sv, len(titles))
        titles.setdefault(sheet.en, len(titles))
    return sorted(problems, key=lambda p: (titles.get(p.sheet, len(titles)), p.row or 0))


def import_inventory(session: Session, path: str | Path, dry_run: bool = False) -> ImportReport:
    """Validate an inventory workbook (or one CSV sheet) and upsert it in one transaction.

    Parameters
    ----------
    session
        Open session; the caller commits (or rolls back).
    path
        ``.xlsx`` workbook with any of the data sheets, or a CSV file holding one of them.
    dry_run
        Validate everything, including the database's constraints, and keep nothing.

    Returns
    -------
    ImportReport
        Rows created, updated and unchanged per table; warnings.

    Raises
    ------
    ImportRejectedError
        With every problem of every sheet (and the warnings); nothing was written.
    """
    path = Path(path)
    problems = _Problems(path.name)
    raws = _read(path, problems)
    if not raws and not problems.items:
        raise _reject(problems.file, "empty_file")
    parsed = _order(_parse_sheet(raw, problems) for raw in raws)
    if parsed and not any(len(sheet) for sheet in parsed):
        problems.add("no_rows")
    keys = _database_keys(session)
    _check_references(parsed, keys, problems)
    _check_duplicates(parsed, problems)
    _check_rows(parsed, problems)
    if problems.errors:
        raise ImportRejectedError(_sorted(problems.items))
    warnings = _sorted(p for p in problems.items if p.severity == "warning")
    report = ImportReport(KIND, problems.file, dry_run=dry_run, warnings=warnings)
    report.notes["sheets"] = ", ".join(sheet.title or "" for sheet in parsed)
    savepoint = session.begin_nested()
    try:
        for sheet in parsed:
            if len(sheet):
                _write_sheet(session, sheet, keys, report, problems.file)
    except _WriteFailedError as exc:
        savepoint.rollback()
        raise ImportRejectedError([*exc.problems, *warnings]) from None
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        detail = str(exc.orig).splitlines()[0]
        problem = ImportProblem(problems.file, None, None, None, "database", {"detail": detail})
        raise ImportRejectedError([problem, *warnings]) from None
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


# --------------------------------------------------------------------------- export


def inventory_frames(session: Session) -> dict[str, pd.DataFrame]:
    """The database's inventory tables by sheet key, with natural keys instead of ids.

    Columns are the schema's field names; values are stored codes (not labels) as Python
    objects; rows are sorted by natural key.
    """
    municipality = dict(session.execute(sa.select(Municipality.id, Municipality.code)).all())
    district = dict(session.execute(sa.select(District.id, District.name)).all())
    school = dict(session.execute(sa.select(School.id, School.school_unit_code)).all())
    library = {
        id_: (municipality[town], name)
        for id_, town, name in session.execute(
            sa.select(Library.id, Library.municipality_id, Library.name)
        )
    }
    frames = {}
    for sheet in SHEETS:
        records = []
        for obj in session.scalars(sa.select(sheet.model)):
            record = {}
            for column in sheet.columns:
                name, reference = column.field, column.reference
                if reference is None:
                    value = _plain(getattr(obj, name))
                elif reference == "municipality":
                    owner = getattr(obj, "municipality_id", None)
                    value = (
                        municipality[owner]
                        if owner is not None
                        else (
                            library[obj.library_id][0]  # type: ignore[attr-defined]
                        )
                    )
                elif reference == "school":
                    owner = getattr(
                        obj, "school_id" if name == "school_unit_code" else "host_school_id"
                    )
                    value = None if owner is None else school[owner]
                elif reference == "district":
                    owner = obj.district_id  # type: ignore[attr-defined]
                    value = None if owner is None else district[owner]
                else:
                    value = library[obj.library_id][1]  # type: ignore[attr-defined]
                record[name] = value
            records.append(record)
        names = [c.field for c in sheet.key_columns]
        records.sort(key=lambda r: tuple(r[name] for name in names))
        frames[sheet.key] = pd.DataFrame(
            records, columns=[c.field for c in sheet.columns], dtype=object
        )
    return frames


def export_inventory(session: Session, path: str | Path, lang: str = "sv") -> dict[str, int]:
    """Write the inventory tables to a workbook in the template's format; rows per sheet.

    The file re-imports with :func:`import_inventory` (into the same or an empty database).
    """
    frames = inventory_frames(session)
    _write_workbook(Path(path), frames, lang)
    return {key: len(frame) for key, frame in frames.items()}


def write_template(path: str | Path, lang: str = "sv") -> None:
    """Write the empty inventory workbook: instructions, one sheet per table, drop-downs."""
    _write_workbook(Path(path), None, lang)


# --------------------------------------------------------------------------- workbook writer

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
#: Fixed document dates so the same content gives the same workbook properties.
_DOCUMENT_DATE = datetime(2025, 1, 1)
_INSTRUCTION_HEADERS = (
    ("Blad", "Sheet"),
    ("Kolumn", "Column"),
    ("Typ", "Type"),
    ("Enhet", "Unit"),
    ("Obligatorisk", "Required"),
    ("Tillåtna värden", "Allowed values"),
    ("Beskrivning", "Description"),
)


def _allowed(column: Column, lang: str) -> str:
    if column.kind in {"choice", "boolean"}:
        return "; ".join(column.labels(lang))
    if column.kind in DIGITS:
        digits = DIGITS[column.kind]
        return f"{digits} siffror" if lang == "sv" else f"{digits} digits"
    if column.minimum is not None and column.maximum is not None:
        return f"{_number(column.minimum)}–{_number(column.maximum)}"
    if column.minimum is not None:
        return f"≥ {_number(column.minimum)}"
    if column.kind == "share":
        return "0–1"
    if column.max_length:
        return (
            f"högst {column.max_length} tecken"
            if lang == "sv"
            else (f"at most {column.max_length} characters")
        )
    return ""


def _instructions(ws: Any) -> None:
    """Every sheet and column with type, unit, allowed values and definition, sv and en."""
    ws.append([f"{INSTRUCTIONS_TITLES['sv']} / {INSTRUCTIONS_TITLES['en']}"])
    ws["A1"].font = Font(bold=True, size=14)
    for line in (*GENERAL_SV, *GENERAL_EN):
        ws.append([line])
    ws.append([])
    header = [label for pair in _INSTRUCTION_HEADERS for label in pair]
    ws.append(header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = _BOLD
    yes_no = {True: ("ja", "yes"), False: ("nej", "no")}
    for sheet in SHEETS:
        ws.append(
            [
                sheet.sv,
                sheet.en,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                sheet.help_sv,
                sheet.help_en,
            ]
        )
        for cell in ws[ws.max_row][:2]:
            cell.font = _BOLD
        for column in sheet.columns:
            ws.append(
                [
                    sheet.sv,
                    sheet.en,
                    column.sv,
                    column.en,
                    KIND_LABELS["sv"][column.kind],
                    KIND_LABELS["en"][column.kind],
                    column.unit_sv,
                    column.unit_en,
                    *yes_no[column.required],
                    _allowed(column, "sv"),
                    _allowed(column, "en"),
                    column.help_sv,
                    column.help_en,
                ]
            )
    widths = (16, 16, 26, 26, 10, 12, 16, 16, 12, 10, 30, 30, 70, 70)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row[10:]:
            cell.alignment = _WRAP
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _lists(ws: Any, lang: str) -> dict[tuple[str, ...], str]:
    """Write each distinct list of labels in its own column; labels -> range formula."""
    ranges: dict[tuple[str, ...], str] = {}
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.kind not in {"choice", "boolean"}:
                continue
            labels = tuple(column.labels(lang))
            if labels in ranges:
                continue
            letter = get_column_letter(len(ranges) + 1)
            for row, label in enumerate(labels, start=1):
                ws[f"{letter}{row}"] = label
            ranges[labels] = f"'{LISTS_TITLE}'!${letter}$1:${letter}${len(labels)}"
    return ranges


def _validation(column: Column, lang: str, ranges: Mapping[tuple[str, ...], str]) -> Any:
    sv = lang == "sv"
    if column.kind in {"choice", "boolean"}:
        validation = DataValidation(
            type="list", formula1=ranges[tuple(column.labels(lang))], allow_blank=True
        )
        validation.error = (
            "Välj ett värde i listan: " if sv else "Pick a value from the list: "
        ) + ("; ".join(column.labels(lang)))[:200]
    elif column.kind in {"integer", "year", "number", "share"} and column.minimum is not None:
        kind = "decimal" if column.kind in {"number", "share"} else "whole"
        if column.maximum is not None:
            validation = DataValidation(
                type=kind,
                operator="between",
                formula1=_number(column.minimum).replace(",", "."),
                formula2=_number(column.maximum).replace(",", "."),
                allow_blank=True,
            )
        else:
            validation = DataValidation(
                type=kind,
                operator="greaterThanOrEqual",
                formula1=_number(column.minimum).replace(",", "."),
                allow_blank=True,
            )
        validation.error = ("Tillåtet: " if sv else "Allowed: ") + _allowed(column, lang)
    elif column.kind == "share":
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True
        )
        validation.error = ("Tillåtet: " if sv else "Allowed: ") + "0–1"
    else:
        return None
    validation.errorTitle = column.header(lang)[:32]
    validation.showErrorMessage = True
    return validation


def _cell_value(column: Column, value: Any, lang: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if column.kind == "boolean":
        return BOOLEAN_LABELS[lang][0 if value else 1]
    if column.kind == "choice":
        for choice in column.choices:
            if choice.code == value:
                return choice.sv if lang == "sv" else choice.en
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _data_sheet(
    ws: Any,
    sheet: Sheet,
    frame: pd.DataFrame | None,
    lang: str,
    ranges: Mapping[tuple[str, ...], str],
) -> None:
    ws.append([column.header(lang) for column in sheet.columns])
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = _BOLD
        note = "\n".join(
            part
            for part in (
                column.help_sv if lang == "sv" else column.help_en,
                column.unit(lang),
                _allowed(column, lang),
                ("Obligatorisk." if lang == "sv" else "Required.") if column.required else "",
            )
            if part
        )
        cell.comment = Comment(note, "skolbib", width=320, height=160)
        ws.column_dimensions[letter].width = min(max(len(column.header(lang)) + 4, 12), 48)
        if column.kind in DIGITS:
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        validation = _validation(column, lang, ranges)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
    ws.freeze_panes = "A2"
    if frame is None:
        return
    texts = [c.kind in DIGITS or c.kind in {"text", "wkt"} for c in sheet.columns]
    dates = [c.kind == "date" for c in sheet.columns]
    for number, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        row = [
            _cell_value(column, value, lang)
            for column, value in zip(sheet.columns, values, strict=True)
        ]
        ws.append(row)
        for index, value in enumerate(row):
            if value is None:
                continue
            if texts[index] and isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                cell = ws.cell(row=number, column=index + 1)
                cell.value = value
                cell.data_type = "s"  # text, never a formula
                cell.quotePrefix = True
            elif dates[index]:
                ws.cell(row=number, column=index + 1).number_format = "yyyy-mm-dd"


def _write_workbook(path: Path, frames: Mapping[str, pd.DataFrame] | None, lang: str) -> None:
    if lang not in {"sv", "en"}:
        raise ValueError(f"lang must be 'sv' or 'en', not {lang!r}")
    book = openpyxl.Workbook()
    book.remove(book.active)
    _instructions(book.create_sheet(INSTRUCTIONS_TITLES[lang]))
    lists = book.create_sheet(LISTS_TITLE)
    ranges = _lists(lists, lang)
    for sheet in SHEETS:
        frame = None if frames is None else frames.get(sheet.key)
        _data_sheet(book.create_sheet(sheet.title(lang)), sheet, frame, lang, ranges)
    book.move_sheet(lists, offset=len(book.sheetnames) - 1 - book.index(lists))
    lists.sheet_state = "hidden"
    book.active = 0
    book.properties.creator = "skolbib"
    book.properties.created = _DOCUMENT_DATE
    book.properties.modified = _DOCUMENT_DATE
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
