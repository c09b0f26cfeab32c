"""Problems found in an import file, and what an import reports back.

Every importer collects :class:`ImportProblem` objects instead of stopping at the first one, so
a municipality sees the whole list at once. Errors reject the file (:class:`ImportRejectedError`,
nothing is written); warnings are listed but do not block. Each problem names the file, sheet,
row and column, the value found and what was expected, in Swedish or English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from inventory.writes import InventoryValidationError

Severity = Literal["error", "warning"]
LANGUAGES = ("sv", "en")

#: message code -> text per language; ``{name}`` placeholders come from ``ImportProblem.params``
MESSAGES: dict[str, dict[str, str]] = {
    "sv": {
        "encoding": "en textfil i UTF-8 (med eller utan BOM) eller Windows-1252",
        "not_text": "en CSV- eller textfil, inte en binärfil",
        "not_spreadsheet": "en Excel-arbetsbok (.xlsx) eller en CSV-fil",
        "empty_file": "en fil med rubrikrad och minst en datarad",
        "no_header": "en rubrikrad som börjar med {header}",
        "no_rows": "minst en datarad efter rubrikraden",
        "separator": "semikolon (;) som kolumnavgränsare",
        "missing_column": "kolumnen {column}",
        "unknown_column": "en känd kolumn ({known})",
        "field_count": "{expected} fält på raden, hittade {found}",
        "integer": "ett heltal",
        "number": "ett tal (decimalkomma eller decimalpunkt)",
        "non_negative": "ett tal som är 0 eller större",
        "range": "ett tal från {min} till {max}",
        "percent": "en andel i procent, 0–100",
        "year": "ett år från {min} till {max}",
        "school_year": "ett läsår som 2023/24",
        "school_unit_code": "en skolenhetskod med exakt 8 siffror",
        "municipality_code": "en kommunkod med exakt 4 siffror",
        "required": "ett värde (obligatoriskt)",
        "allowed": "ett av värdena {allowed}",
        "boolean": "ja/nej (ja, nej, 1, 0, true, false)",
        "date": "ett datum som ÅÅÅÅ-MM-DD",
        "text_too_long": "högst {max} tecken",
        "formula": "text som inte börjar med =, +, - eller @ (ser ut som en kalkylbladsformel)",
        "unknown_school": "en skolenhetskod som finns i databasen eller i filen",
        "unknown_library": "ett bibliotek som finns i databasen eller i filen",
        "unknown_municipality": "en kommunkod som finns i databasen eller i filen",
        "duplicate_in_file": "en unik rad; samma nyckel finns redan på rad {other_row}",
        "duplicate_in_database": "en ny rad; nyckeln finns redan i databasen",
        "truncated": "en komplett fil; raden slutar mitt i ett fält",
        "marc_record": "en giltig MARC21-post ({detail})",
        "database": "ett värde som databasen godtar ({detail})",
        "staffed_above_open": "bemannade öppettimmar högst lika många som bemannade arbetstimmar",
        "suppressed": "värdet är skyddat av sekretess (..) och räknas som inga elever",
        "hours_above_open": "personaltimmar som ryms inom veckans öppettider",
        "likert": "ett svarsvärde från 1 till 5",
        "language": "en språkkod med tre bokstäver enligt ISO 639-2 (t.ex. swe, eng, ara)",
        "more_problems": "samma problem på {count} rader till (visas inte)",
        "duplicate_column": "en kolumn som bara finns en gång; samma kolumn som {other}",
        "school_in_municipality": (
            "en skolenhet i kommunen {municipality} (skolenheten hör till en annan kommun)"
        ),
        "personal_data": (
            "en pseudonym respondentnyckel, inte en e-postadress eller ett personnummer "
            "(enkätsvar får inte innehålla personuppgifter)"
        ),
        "respondent_mismatch": "samma roll och skolenhet som för respondenten på rad {other_row}",
        "text_question": (
            "svar från 1 till 5; frågan har textsvar och sparas därför som fritextfråga"
        ),
        "unknown_sheet": "ett känt blad ({known})",
        "unknown_district": "ett skolområde i skolenhetens kommun (i databasen eller i filen)",
        "school_in_other_municipality": (
            "samma kommun som skolenheten redan har i databasen ({municipality}); "
            "en skolenhetskod kan inte flyttas till en annan kommun"
        ),
        "recent_above_items": "högst lika många som antal medier ({items})",
        "county_code": "en länskod med exakt 2 siffror",
        "wkt": "en geometri i WKT, t.ex. POLYGON ((…)), i SWEREF 99 TM",
    },
    "en": {
        "encoding": "a text file in UTF-8 (with or without BOM) or Windows-1252",
        "not_text": "a CSV or text file, not a binary file",
        "not_spreadsheet": "an Excel workbook (.xlsx) or a CSV file",
        "empty_file": "a file with a header row and at least one data row",
        "no_header": "a header row starting with {header}",
        "no_rows": "at least one data row after the header",
        "separator": "semicolon (;) as the column separator",
        "missing_column": "the column {column}",
        "unknown_column": "a known column ({known})",
        "field_count": "{expected} fields on the row, found {found}",
        "integer": "a whole number",
        "number": "a number (decimal comma or point)",
        "non_negative": "a number of 0 or more",
        "range": "a number from {min} to {max}",
        "percent": "a percentage, 0–100",
        "year": "a year from {min} to {max}",
        "school_year": "a school year such as 2023/24",
        "school_unit_code": "a school unit code of exactly 8 digits",
        "municipality_code": "a municipality code of exactly 4 digits",
        "required": "a value (required)",
        "allowed": "one of {allowed}",
        "boolean": "yes/no (ja, nej, yes, no, 1, 0, true, false)",
        "date": "a date such as YYYY-MM-DD",
        "text_too_long": "at most {max} characters",
        "formula": "text that does not start with =, +, - or @ (looks like a spreadsheet formula)",
        "unknown_school": "a school unit code present in the database or the file",
        "unknown_library": "a library present in the database or the file",
        "unknown_municipality": "a municipality code present in the database or the file",
        "duplicate_in_file": "a unique row; the same key is already on row {other_row}",
        "duplicate_in_database": "a new row; the key already exists in the database",
        "truncated": "a complete file; the row ends inside a field",
        "marc_record": "a valid MARC21 record ({detail})",
        "database": "a value the database accepts ({detail})",
        "staffed_above_open": "staffed open hours no more than staffed working hours",
        "suppressed": "the value is suppressed for confidentiality (..) and counts as no pupils",
        "hours_above_open": "staff hours that fit within the week's opening hours",
        "likert": "an answer value from 1 to 5",
        "language": "a three-letter ISO 639-2 language code (such as swe, eng, ara)",
        "more_problems": "the same problem on {count} more rows (not shown)",
        "duplicate_column": "a column that appears only once; the same column as {other}",
        "school_in_municipality": (
            "a school unit in municipality {municipality} (this unit belongs to another one)"
        ),
        "personal_data": (
            "a pseudonymous respondent key, not an e-mail address or a personal identity "
            "number (survey answers must not carry personal data)"
        ),
        "respondent_mismatch": (
            "the same role and school unit as for this respondent on row {other_row}"
        ),
        "text_question": (
            "answers from 1 to 5; the question has text answers, so it is stored as free text"
        ),
        "unknown_sheet": "a known sheet ({known})",
        "unknown_district": (
            "a district of the school unit's municipality (in the database or the file)"
        ),
        "school_in_other_municipality": (
            "the municipality the school unit already has in the database ({municipality}); "
            "a school unit code cannot move to another municipality"
        ),
        "recent_above_items": "no more than the number of items ({items})",
        "county_code": "a county code of exactly 2 digits",
        "wkt": "a WKT geometry such as POLYGON ((…)) in SWEREF 99 TM",
    },
}

HEADERS = {
    "sv": {
        "severity": "Typ",
        "file": "Fil",
        "sheet": "Blad",
        "row": "Rad",
        "column": "Kolumn",
        "value": "Värde",
        "expected": "Förväntat",
        "error": "fel",
        "warning": "varning",
    },
    "en": {
        "severity": "Type",
        "file": "File",
        "sheet": "Sheet",
        "row": "Row",
        "column": "Column",
        "value": "Value",
        "expected": "Expected",
        "error": "error",
        "warning": "warning",
    },
}


@dataclass(frozen=True)
class ImportProblem:
    """One problem in an import file.

    Parameters
    ----------
    file
        File name as the user gave it.
    row
        Row number as a spreadsheet program shows it (the header is row 1 in a plain CSV;
        preamble lines count), or ``None`` for a problem with the whole file.
    column
        Column header as written in the file, or ``None``.
    value
        The value found (shown as text).
    code
        Key into :data:`MESSAGES`; ``params`` fill its placeholders.
    """

    file: str
    row: int | None
    column: str | None
    value: Any
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    severity: Severity = "error"

    def expected(self, lang: str = "sv") -> str:
        """What was expected, in ``lang``."""
        template = MESSAGES[lang].get(self.code, self.code)
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    def describe(self, lang: str = "sv") -> str:
        """One line: file, sheet, row, column, value and expectation."""
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(("rad " if lang == "sv" else "row ") + str(self.row))
        if self.column:
            parts.append(("kolumn " if lang == "sv" else "column ") + repr(self.column))
        found = "värde" if lang == "sv" else "value"
        expected = "förväntat" if lang == "sv" else "expected"
        shown = _show(self.value)
        return f"{', '.join(parts)}: {found} {shown!r}: {expected} {self.expected(lang)}"


def _show(value: Any) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class ImportRejectedError(Exception):
    """The file was rejected; nothing was written. ``problems`` holds errors and warnings."""

    def __init__(self, problems: Sequence[ImportProblem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        first = errors[0].describe("en") if errors else "rejected"
        super().__init__(f"{len(errors)} problem(s); first: {first}")

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "warning"]


def problems_frame(problems: Iterable[ImportProblem], lang: str = "sv") -> pd.DataFrame:
    """The problems as a table with translated headers (for the web page and the CLI)."""
    labels = HEADERS[lang]
    rows = [
        {
            labels["severity"]: labels[p.severity],
            labels["file"]: p.file,
            labels["sheet"]: p.sheet or "",
            labels["row"]: "" if p.row is None else p.row,
            labels["column"]: p.column or "",
            labels["value"]: _show(p.value),
            labels["expected"]: p.expected(lang),
        }
        for p in problems
    ]
    columns = [labels[k] for k in ("severity", "file", "sheet", "row", "column", "value")]
    return pd.DataFrame(rows, columns=[*columns, labels["expected"]])


def format_problems(problems: Iterable[ImportProblem], lang: str = "sv") -> str:
    """Plain-text table of problems for a terminal."""
    frame = problems_frame(problems, lang)
    if frame.empty:
        return ""
    if not frame[HEADERS[lang]["sheet"]].astype(bool).any():
        frame = frame.drop(columns=[HEADERS[lang]["sheet"]])
    return frame.to_string(index=False)


def from_validation_error(
    exc: InventoryValidationError, file: str, rows: Sequence[int], columns: dict[str, str]
) -> list[ImportProblem]:
    """Map write-boundary problems (row numbers within a batch) back to file rows and headers.

    Parameters
    ----------
    rows
        File row number of each batch row, in batch order.
    columns
        Field name → column header in the file.
    """
    problems = []
    for problem in exc.problems:
        row = rows[problem.row - 1] if problem.row and problem.row <= len(rows) else None
        field_name = problem.field or ""
        problems.append(
            ImportProblem(
                file=file,
                row=row,
                column=columns.get(field_name, field_name or None),
                value=problem.value,
                code="database",
                params={"detail": problem.expected},
            )
        )
    return problems


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: str
    file: str
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    warnings: list[ImportProblem] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def summary_lines(self, lang: str = "sv") -> list[str]:
        """Short human summary, one line per table touched."""
        sv = lang == "sv"
        head = (
            ("Provkörning – inget sparades: " if sv else "Dry run – nothing saved: ")
            if self.dry_run
            else ""
        )
        lines = [f"{head}{self.file} ({self.kind})"]
        tables = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        for table in tables:
            created, updated = self.created.get(table, 0), self.updated.get(table, 0)
            same = self.unchanged.get(table, 0)
            if sv:
                lines.append(f"  {table}: {created} nya, {updated} ändrade, {same} oförändrade")
            else:
                lines.append(f"  {table}: {created} new, {updated} updated, {same} unchanged")
        for key, value in self.notes.items():
            lines.append(f"  {key}: {value}")
        if self.warnings:
            lines.append(f"  {'varningar' if sv else 'warnings'}: {len(self.warnings)}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": len(self.warnings),
            "notes": self.notes,
        }
