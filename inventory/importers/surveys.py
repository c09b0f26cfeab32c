"""Import quality-survey answers (``skolbib import survey FILE [--title T] [--year Y]``).

A CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252, read by :mod:`inventory.importers.textfile`)
in one of two layouts, told apart by the headers: a file with a question or answer column
(``fråga``/``question``, ``svar``/``answer`` or ``frågetext``/``question_text``) is *long*,
any other file is *wide*.

Accepted headers (case and surrounding or repeated spaces ignored; see :data:`COLUMNS`)
-----------------------------------------------------------------------------------------
=================  ====================================  ==========================================
Swedish            English                               content
=================  ====================================  ==========================================
``enkät``          ``survey``                            survey title (≤ 200 characters)
``år``             ``year``                              survey year, 1990–2100
``fråga``          ``question``                          question code (≤ 40 characters), long only
``frågetext``      ``question_text``                     question text in Swedish, optional, long
``respondent``     ``respondent_key``                    pseudonymous respondent key (≤ 64)
``roll``           ``role``, ``respondent_role``         ``bibliotekarie``/``librarian``,
                                                         ``lärare``/``teacher``, ``rektor``/
                                                         ``principal``, ``elev``/``pupil``
``skolenhetskod``  ``school_unit_code``                  8 digits, optional
``svar``           ``answer``                            the answer, long only
=================  ====================================  ==========================================

*Long layout*: one row per answer. ``enkät`` and ``år`` are required unless ``--title`` and
``--year`` are given (then they fill the missing column or its empty cells).
*Wide layout*: one row per respondent: ``respondent``, ``roll``, optional ``skolenhetskod``, then
one column per question whose header is the question code. The survey title and year come from
``--title`` and ``--year`` (required unless the file has ``enkät``/``år`` columns). In both
layouts an empty answer cell means the question was not answered and creates no row.

Question kind: a question that already exists in the database keeps its kind. A new question is
a Likert question when every answer to it in the file is a number; each such answer must then
be a whole number from 1 to 5 (problem ``likert``). A question with any non-numeric answer is a
free-text question (all its answers are stored as text); when at least half of its answers are
1–5 the first text answer is listed as a warning (``text_question``), since it is usually a
"don't know" in a Likert question.

Respondent keys must be pseudonymous: values that contain an e-mail address or a Swedish
personal identity number (personnummer or samordningsnummer, ``YYMMDD-XXXX``, ``YYMMDDXXXX``,
``YYYYMMDD-XXXX``, ``YYYYMMDDXXXX``) are rejected (problem ``personal_data``, the value is shown
masked). A respondent must have the same role and school unit on every row of a survey.

Writing: a survey is found or created on (title, year) with ``published`` false (an existing
survey keeps its audience and published flag); questions on (survey, code), their Swedish text
updated when the file gives one that differs; answers upserted on (question, respondent). Any
error rejects the whole file and nothing is written; importing the same file again leaves the
database exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from inventory.importers.resource_centre import (
    cell_text,
    drop_formula_duplicates,
    map_columns,
    read_source,
    read_with_aliases,
    stored_values,
)
from inventory.importers.textfile import FORMULA_PREFIXES, TextTable, formula_cells
from inventory.models import (
    FIRST_YEAR,
    LAST_YEAR,
    QuestionKind,
    RespondentRole,
    School,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)
from inventory.writes import InventoryValidationError

KIND = "survey"

#: field name -> accepted headers (Swedish first, then English); matched case-insensitively
COLUMNS: dict[str, tuple[str, ...]] = {
    "survey": ("enkät", "survey"),
    "year": ("år", "year"),
    "question": ("fråga", "question"),
    "question_text": ("frågetext", "question_text"),
    "respondent": ("respondent", "respondent_key"),
    "role": ("roll", "role", "respondent_role"),
    "school_unit_code": ("skolenhetskod", "school_unit_code"),
    "answer": ("svar", "answer"),
}
LONG_ONLY = ("question", "question_text", "answer")
LONG_REQUIRED = ("question", "answer", "respondent", "role")
WIDE_REQUIRED = ("respondent", "role")

#: accepted role values (lower case) -> stored role
ROLES: dict[str, RespondentRole] = {
    "bibliotekarie": RespondentRole.LIBRARIAN,
    "lärare": RespondentRole.TEACHER,
    "rektor": RespondentRole.PRINCIPAL,
    "elev": RespondentRole.PUPIL,
    **{role.value: role for role in RespondentRole},
}
ROLE_CHOICES = "bibliotekarie, lärare, rektor, elev (librarian, teacher, principal, pupil)"
#: Swedish plural of each role, for the audience of a new survey
AUDIENCE = {
    RespondentRole.PUPIL: "elever",
    RespondentRole.TEACHER: "lärare",
    RespondentRole.PRINCIPAL: "rektorer",
    RespondentRole.LIBRARIAN: "bibliotekarier",
}

LIKERT_MIN, LIKERT_MAX = 1, 5
MAX_TITLE = 200
MAX_CODE = 40
MAX_QUESTION_TEXT = 1000
MAX_RESPONDENT = 64
MAX_TEXT_ANSWER = 5000

SCHOOL_UNIT_CODE = r"\d{8}"
#: an e-mail address anywhere in the value
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
#: a personnummer or samordningsnummer (day + 60) with or without century and separator
PERSONAL_IDENTITY_NUMBER = re.compile(
    r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+ ]?\d{4}(?!\d)"
)


def looks_personal(value: str) -> bool:
    """True when ``value`` contains an e-mail address or a Swedish personal identity number."""
    return bool(EMAIL.search(value) or PERSONAL_IDENTITY_NUMBER.search(value))


def _mask(value: str) -> str:
    """Show a rejected personal value without repeating it."""
    return value[:2] + "…" if len(value) > 2 else "…"


@dataclass
class _Parsed:
    """A validated file: one entry per file row and one per answer."""

    rows: pd.DataFrame  # line, title, year, respondent, role, school_id
    answers: pd.DataFrame  # row, line, code, text, answer, likert, kind
    question_texts: dict[tuple[str, int, str], str] = field(default_factory=dict)
    question_lines: dict[tuple[str, int, str], int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # model field -> header


def import_survey(
    session: Session,
    path: str | Path | bytes,
    *,
    dry_run: bool = False,
    title: str | None = None,
    year: int | None = None,
    file: str | None = None,
) -> ImportReport:
    """Validate a survey answer file and upsert its survey, questions and answers.

    Parameters
    ----------
    session
        Open session; rows are flushed into it, the caller commits (or rolls back for a dry
        run).
    path
        The CSV file, or its bytes (then ``file`` names it in problems).
    title, year
        Survey title and year (``--title``, ``--year``): required for the wide layout unless
        the file has ``enkät``/``år`` columns; in the long layout they fill a missing column.

    Raises
    ------
    ImportRejectedError
        With every problem found; nothing has been written to the session.
    """
    raw, name = read_source(path, file)
    anchors = [alias for key in ("respondent", "role", "question") for alias in COLUMNS[key]]
    table = read_with_aliases(raw, name, anchors)
    positions, others, problems = map_columns(table, COLUMNS)
    layout = "long" if any(key in positions for key in LONG_ONLY) else "wide"
    title = (title or "").strip() or None
    warnings: list[ImportProblem] = []
    headers = [str(h) for h in table.frame.columns]

    required = LONG_REQUIRED if layout == "long" else WIDE_REQUIRED
    for key in required:
        if key not in positions:
            problems.append(_missing(table, key))
    for key, option, flag in (("survey", title, "--title"), ("year", year, "--year")):
        if key in positions or option is not None:
            continue
        if layout == "long":
            problems.append(_missing(table, key))
        else:
            problems.append(ImportProblem(name, None, flag, None, "required"))
    if title is not None and len(title) > MAX_TITLE:
        problems.append(
            ImportProblem(name, None, "--title", title, "text_too_long", {"max": MAX_TITLE})
        )
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            ImportProblem(name, None, "--year", year, "year", {"min": FIRST_YEAR, "max": LAST_YEAR})
        )
    if layout == "long":
        known = ", ".join(aliases[0] for aliases in COLUMNS.values())
        warnings += [
            ImportProblem(
                name,
                table.header_line,
                headers[p],
                headers[p],
                "unknown_column",
                {"known": known},
                severity="warning",
            )
            for p in others
        ]
        questions: list[int] = []
    else:
        questions = others
        problems += _question_header_problems(table, questions)
        if not questions and "respondent" in positions and "role" in positions:
            problems.append(_missing(table, "question"))
    if problems:
        raise ImportRejectedError([*problems, *warnings])

    parsed, problems, more_warnings = _parse(session, table, positions, questions, title, year)
    warnings += more_warnings
    if problems:
        raise ImportRejectedError([*problems, *warnings])

    if parsed.answers.empty:
        raise ImportRejectedError([ImportProblem(name, None, None, None, "no_rows"), *warnings])
    report = ImportReport(kind=KIND, file=name, dry_run=dry_run, warnings=warnings)
    report.notes["layout"] = layout
    report.notes["respondents"] = int(
        parsed.rows[["title", "year", "respondent"]].drop_duplicates().shape[0]
    )
    _upsert(session, parsed, name, report)
    return report


def _missing(table: TextTable, key: str) -> ImportProblem:
    return ImportProblem(
        table.file,
        table.header_line,
        COLUMNS[key][0],
        None,
        "missing_column",
        {"column": " / ".join(COLUMNS[key])},
    )


def _question_header_problems(table: TextTable, questions: Sequence[int]) -> list[ImportProblem]:
    """Wide layout: question codes in the header must be present, short and not formulas."""
    problems = []
    seen: dict[str, str] = {}
    for position in questions:
        header = str(table.frame.columns[position])
        code = header.strip()
        where = (table.file, table.header_line)
        if not code:
            problems.append(ImportProblem(*where, None, header, "required"))
        elif code.startswith(FORMULA_PREFIXES):
            problems.append(ImportProblem(*where, header, header, "formula"))
        elif len(code) > MAX_CODE:
            problems.append(
                ImportProblem(*where, header, header, "text_too_long", {"max": MAX_CODE})
            )
        elif code in seen:
            problems.append(
                ImportProblem(*where, header, header, "duplicate_column", {"other": seen[code]})
            )
        else:
            seen[code] = header
    return problems


def _header(table: TextTable, positions: Mapping[str, int], key: str, flag: str = "") -> str:
    position = positions.get(key)
    if position is not None:
        return str(table.frame.columns[position])
    return flag or COLUMNS[key][0]


def _flag(
    problems: list[ImportProblem],
    table: TextTable,
    column: str,
    values: pd.Series,
    mask: pd.Series | np.ndarray,
    code: str,
    params: dict[str, Any] | None = None,
    lines: np.ndarray | None = None,
    shown: pd.Series | None = None,
) -> None:
    flags = np.asarray(mask, dtype=bool)
    lines = table.line_numbers if lines is None else lines
    shown = values if shown is None else shown
    for line, value in zip(lines[flags], shown[flags], strict=True):
        problems.append(
            ImportProblem(table.file, int(line), column, value, code, dict(params or {}))
        )


def _parse(
    session: Session,
    table: TextTable,
    positions: Mapping[str, int],
    questions: Sequence[int],
    title: str | None,
    year: int | None,
) -> tuple[_Parsed, list[ImportProblem], list[ImportProblem]]:
    """Validate every cell; build the rows and answers to write."""
    name, lines = table.file, table.line_numbers
    problems: list[ImportProblem] = []
    warnings: list[ImportProblem] = []
    used = sorted({*positions.values(), *questions})
    formulas = formula_cells(table.frame.iloc[:, used], file=name, line_numbers=lines)
    h = {key: _header(table, positions, key) for key in COLUMNS}
    h["survey"] = _header(table, positions, "survey", "--title")
    h["year"] = _header(table, positions, "year", "--year")

    # --- survey title and year per row
    titles = cell_text(table, positions.get("survey"))
    if title is not None:
        titles = titles.mask(titles.eq(""), title)
    _flag(problems, table, h["survey"], titles, titles.eq(""), "required")
    too_long = titles.str.len() > MAX_TITLE
    _flag(problems, table, h["survey"], titles, too_long, "text_too_long", {"max": MAX_TITLE})
    year_text = cell_text(table, positions.get("year"))
    if year is not None:
        year_text = year_text.mask(year_text.eq(""), str(year))
    cleaned = year_text.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    years = pd.to_numeric(cleaned.where(cleaned.ne("")), errors="coerce")
    _flag(problems, table, h["year"], year_text, year_text.eq(""), "required")
    not_whole = year_text.ne("") & (years.isna() | (years % 1 != 0))
    _flag(problems, table, h["year"], year_text, not_whole, "integer")
    out = ~not_whole & years.notna() & ((years < FIRST_YEAR) | (years > LAST_YEAR))
    bounds = {"min": FIRST_YEAR, "max": LAST_YEAR}
    _flag(problems, table, h["year"], year_text, out, "year", bounds)
    years = years.where(~not_whole & ~out)
    survey_ok = titles.ne("") & ~too_long & years.notna()

    # --- respondent, role, school unit
    respondents = cell_text(table, positions.get("respondent"))
    _flag(problems, table, h["respondent"], respondents, respondents.eq(""), "required")
    personal = respondents.map(looks_personal).astype(bool)
    masked = respondents.map(_mask)
    _flag(problems, table, h["respondent"], respondents, personal, "personal_data", shown=masked)
    long_key = ~personal & (respondents.str.len() > MAX_RESPONDENT)
    limit = {"max": MAX_RESPONDENT}
    _flag(problems, table, h["respondent"], respondents, long_key, "text_too_long", limit)

    role_text = cell_text(table, positions.get("role"))
    roles = role_text.str.lower().map(ROLES)
    _flag(problems, table, h["role"], role_text, role_text.eq(""), "required")
    bad_role = role_text.ne("") & roles.isna()
    _flag(problems, table, h["role"], role_text, bad_role, "allowed", {"allowed": ROLE_CHOICES})

    codes = cell_text(table, positions.get("school_unit_code"))
    bad_code = codes.ne("") & ~codes.str.fullmatch(SCHOOL_UNIT_CODE)
    _flag(problems, table, h["school_unit_code"], codes, bad_code, "school_unit_code")
    wanted = sorted(set(codes[codes.ne("") & ~bad_code]))
    schools: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        statement = select(School.school_unit_code, School.id).where(
            School.school_unit_code.in_(chunk)  # type: ignore[attr-defined]
        )
        schools.update(dict(session.exec(statement).all()))
    unknown = codes.ne("") & ~bad_code & ~codes.isin(list(schools))
    _flag(problems, table, h["school_unit_code"], codes, unknown, "unknown_school")

    rows = pd.DataFrame(
        {
            "line": lines,
            "title": titles.to_numpy(),
            "year": years.to_numpy(),
            "respondent": respondents.to_numpy(),
            "role": roles.to_numpy(),
            "school": codes.to_numpy(),
            "school_id": codes.map(schools).to_numpy(),
        }
    )

    # --- answers, one per non-empty answer cell
    answers = _answers(table, positions, questions)
    code_header = h["question"]
    if "question" in positions:
        a_lines = answers["line"].to_numpy()
        code_missing = answers["code"].eq("")
        _flag(
            problems, table, code_header, answers["code"], code_missing, "required", lines=a_lines
        )
        code_long = answers["code"].str.len() > MAX_CODE
        _flag(
            problems,
            table,
            code_header,
            answers["code"],
            code_long,
            "text_too_long",
            {"max": MAX_CODE},
            lines=a_lines,
        )
        text_long = answers["text"].str.len() > MAX_QUESTION_TEXT
        _flag(
            problems,
            table,
            h["question_text"],
            answers["text"],
            text_long,
            "text_too_long",
            {"max": MAX_QUESTION_TEXT},
            lines=a_lines,
        )
    answers["title"] = titles.to_numpy()[answers["row"].to_numpy()]
    answers["year"] = years.to_numpy()[answers["row"].to_numpy()]
    answers["ok"] = survey_ok.to_numpy()[answers["row"].to_numpy()] & answers["code"].ne("")
    answers["ok"] &= answers["code"].str.len() <= MAX_CODE

    problems += _duplicates(table, rows, answers, positions, h, survey_ok)
    parsed = _Parsed(rows=rows, answers=answers)
    _kinds(session, table, parsed, problems, warnings)
    for key, group in answers[answers["ok"]].groupby(["title", "year", "code"], sort=False):
        typed_key = (str(key[0]), int(key[1]), str(key[2]))
        parsed.question_lines[typed_key] = int(group["line"].iat[0])
        texts = group["text"][group["text"].ne("")]
        if len(texts):
            parsed.question_texts[typed_key] = str(texts.iat[0])
    parsed.columns = {
        "survey_id": h["survey"],
        "title": h["survey"],
        "year": h["year"],
        "code": code_header,
        "text_sv": h["question_text"],
        "respondent_key": h["respondent"],
        "respondent_role": h["role"],
        "school_id": h["school_unit_code"],
        "likert_value": h["answer"],
        "text_value": h["answer"],
    }

    problems = [*formulas, *drop_formula_duplicates(problems, formulas)]
    problems.sort(key=lambda p: (p.row or 0, _order(table, p.column)))
    return parsed, problems, warnings


def _order(table: TextTable, column: str | None) -> int:
    headers = [str(h) for h in table.frame.columns]
    return headers.index(column) if column in headers else len(headers)


def _answers(
    table: TextTable, positions: Mapping[str, int], questions: Sequence[int]
) -> pd.DataFrame:
    """Non-empty answer cells as a frame: row, line, column, code, text, answer."""
    lines = table.line_numbers
    index = np.arange(len(table.frame))
    parts = []
    if "answer" in positions:
        answer = cell_text(table, positions["answer"])
        keep = answer.ne("").to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "row": index[keep],
                    "line": lines[keep],
                    "column": str(table.frame.columns[positions["answer"]]),
                    "code": cell_text(table, positions.get("question")).to_numpy()[keep],
                    "text": cell_text(table, positions.get("question_text")).to_numpy()[keep],
                    "answer": answer.to_numpy()[keep],
                }
            )
        )
    for position in questions:
        header = str(table.frame.columns[position])
        answer = cell_text(table, position)
        keep = answer.ne("").to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "row": index[keep],
                    "line": lines[keep],
                    "column": header,
                    "code": header.strip(),
                    "text": "",
                    "answer": answer.to_numpy()[keep],
                }
            )
        )
    columns = ["row", "line", "column", "code", "text", "answer"]
    frames = [part for part in parts if len(part)]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns}).astype(
            {"row": int, "line": int}
        )
    return pd.concat(frames, ignore_index=True)[columns]


def _duplicates(
    table: TextTable,
    rows: pd.DataFrame,
    answers: pd.DataFrame,
    positions: Mapping[str, int],
    h: Mapping[str, str],
    survey_ok: pd.Series,
) -> list[ImportProblem]:
    """Duplicate answers or respondents, and respondents whose role or school changes."""
    problems: list[ImportProblem] = []
    name = table.file
    if "answer" in positions:  # long: one answer per survey, question and respondent
        first: dict[tuple, int] = {}
        for row in answers[answers["ok"]].itertuples(index=False):
            respondent = rows["respondent"].iat[row.row]
            if not respondent:
                continue
            key = (row.title, row.year, row.code, respondent)
            if key in first:
                shown = f"{row.code}; {respondent}"
                problems.append(
                    ImportProblem(
                        name,
                        int(row.line),
                        h["question"],
                        shown,
                        "duplicate_in_file",
                        {"other_row": first[key]},
                    )
                )
            else:
                first[key] = int(row.line)
    seen: dict[tuple, tuple[int, Any, str]] = {}
    valid = survey_ok.to_numpy() & rows["respondent"].ne("").to_numpy()
    for row in rows[valid].itertuples(index=False):
        key = (row.title, row.year, row.respondent)
        if key not in seen:
            seen[key] = (int(row.line), row.role, row.school)
            continue
        other, role, school = seen[key]
        if "answer" not in positions:  # wide: one row per respondent
            problems.append(
                ImportProblem(
                    name,
                    int(row.line),
                    h["respondent"],
                    row.respondent,
                    "duplicate_in_file",
                    {"other_row": other},
                )
            )
        elif pd.notna(row.role) and pd.notna(role) and row.role != role:
            problems.append(
                ImportProblem(
                    name,
                    int(row.line),
                    h["role"],
                    row.role,
                    "respondent_mismatch",
                    {"other_row": other},
                )
            )
        elif row.school != school:
            problems.append(
                ImportProblem(
                    name,
                    int(row.line),
                    h["school_unit_code"],
                    row.school,
                    "respondent_mismatch",
                    {"other_row": other},
                )
            )
    return problems


def _existing_surveys(
    session: Session, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], Survey]:
    titles = sorted({title for title, _ in keys})
    found: dict[tuple[str, int], Survey] = {}
    for start in range(0, len(titles), 500):
        chunk = titles[start : start + 500]
        statement = select(Survey).where(Survey.title.in_(chunk))  # type: ignore[attr-defined]
        for survey in session.exec(statement):
            if (survey.title, survey.year) in keys:
                found[(survey.title, survey.year)] = survey
    return found


def _existing_questions(
    session: Session, surveys: Mapping[tuple[str, int], Survey]
) -> dict[tuple[str, int, str], SurveyQuestion]:
    by_id = {survey.id: key for key, survey in surveys.items()}
    found: dict[tuple[str, int, str], SurveyQuestion] = {}
    ids = sorted(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        statement = select(SurveyQuestion).where(
            SurveyQuestion.survey_id.in_(chunk)  # type: ignore[attr-defined]
        )
        for question in session.exec(statement):
            found[(*by_id[question.survey_id], question.code)] = question
    return found


def _kinds(
    session: Session,
    table: TextTable,
    parsed: _Parsed,
    problems: list[ImportProblem],
    warnings: list[ImportProblem],
) -> None:
    """Decide each question's kind and check its answers: Likert 1..5 or text."""
    answers = parsed.answers
    text = answers["answer"].astype(str)
    cleaned = text.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    numbers = pd.to_numeric(cleaned, errors="coerce")
    numeric = numbers.notna()
    likert_ok = numeric & (numbers % 1 == 0) & numbers.between(LIKERT_MIN, LIKERT_MAX)
    answers["number"] = numbers
    answers["kind"] = None

    ok = answers["ok"]
    keys = {
        (str(t), int(y)) for t, y in zip(answers["title"][ok], answers["year"][ok], strict=True)
    }
    existing = _existing_questions(session, _existing_surveys(session, keys)) if keys else {}
    kinds: dict[tuple[str, int, str], QuestionKind] = {}
    for key, group in answers[ok].groupby(["title", "year", "code"], sort=False):
        typed_key = (str(key[0]), int(key[1]), str(key[2]))
        if typed_key in existing:
            kinds[typed_key] = QuestionKind(existing[typed_key].kind)
            continue
        if numeric[group.index].all():
            kinds[typed_key] = QuestionKind.LIKERT
            continue
        kinds[typed_key] = QuestionKind.TEXT
        if likert_ok[group.index].sum() * 2 >= len(group):
            first = group.index[~numeric[group.index]][0]
            warnings.append(
                ImportProblem(
                    table.file,
                    int(answers.at[first, "line"]),
                    str(answers.at[first, "column"]),
                    answers.at[first, "answer"],
                    "text_question",
                    severity="warning",
                )
            )
    answers["kind"] = [
        kinds.get((str(t), int(y), str(c))) if good else None
        for t, y, c, good in zip(
            answers["title"], answers["year"].fillna(0), answers["code"], ok, strict=True
        )
    ]
    is_likert = answers["kind"].eq(QuestionKind.LIKERT).to_numpy()
    bad = is_likert & ~likert_ok.to_numpy()
    for index in np.flatnonzero(bad):
        problems.append(
            ImportProblem(
                table.file,
                int(answers["line"].iat[index]),
                str(answers["column"].iat[index]),
                answers["answer"].iat[index],
                "likert",
            )
        )
    too_long = (
        answers["kind"].eq(QuestionKind.TEXT).to_numpy()
        & (text.str.len() > MAX_TEXT_ANSWER).to_numpy()
    )
    for index in np.flatnonzero(too_long):
        problems.append(
            ImportProblem(
                table.file,
                int(answers["line"].iat[index]),
                str(answers["column"].iat[index]),
                answers["answer"].iat[index],
                "text_too_long",
                {"max": MAX_TEXT_ANSWER},
            )
        )


def _audience(roles: Sequence[Any]) -> str:
    """Swedish audience text from the roles that answered, e.g. "Elever och lärare"."""
    present = [AUDIENCE[role] for role in AUDIENCE if role in set(roles)]
    if not present:
        return "Okänd"
    text = present[0] if len(present) == 1 else ", ".join(present[:-1]) + " och " + present[-1]
    return text[0].upper() + text[1:]


def _upsert(session: Session, parsed: _Parsed, name: str, report: ImportReport) -> None:
    """Write surveys, questions and answers; all or nothing."""
    rows = parsed.rows.assign(year=parsed.rows["year"].astype(int))
    answers = parsed.answers
    answers = answers.assign(
        respondent=rows["respondent"].to_numpy()[answers["row"].to_numpy()],
        role=rows["role"].to_numpy()[answers["row"].to_numpy()],
        school_id=rows["school_id"].to_numpy()[answers["row"].to_numpy()],
        year=answers["year"].astype(int),
    )
    survey_keys = {(str(t), int(y)) for t, y in zip(rows["title"], rows["year"], strict=True)}
    surveys = _existing_surveys(session, survey_keys)
    questions = _existing_questions(session, surveys)
    existing_answers: dict[tuple[int, str], SurveyAnswer] = {}
    ids = sorted(survey.id for survey in surveys.values())
    for start in range(0, len(ids), 500):
        statement = select(SurveyAnswer).where(
            SurveyAnswer.survey_id.in_(ids[start : start + 500])  # type: ignore[attr-defined]
        )
        for answer in session.exec(statement):
            existing_answers[(answer.question_id, answer.respondent_key)] = answer

    created = {"survey": 0, "survey_question": 0, "survey_answer": 0}
    updated = dict.fromkeys(created, 0)
    unchanged = dict.fromkeys(created, 0)
    columns = parsed.columns
    savepoint = session.begin_nested()
    stage = "survey"
    lines: list[int] = []
    try:
        # surveys
        new_surveys = sorted(survey_keys - set(surveys))
        first_line = rows.groupby(["title", "year"], sort=False)["line"].first()
        role_sets = rows.groupby(["title", "year"], sort=False)["role"].agg(list)
        lines = [int(first_line[key]) for key in new_surveys]
        written = writes.add_all(
            session,
            Survey,
            [
                {
                    "title": title,
                    "year": year,
                    "audience": _audience(role_sets[(title, year)]),
                    "published": False,
                }
                for title, year in new_surveys
            ],
        )
        surveys.update(dict(zip(new_surveys, written, strict=True)))
        created["survey"] = len(written)
        unchanged["survey"] = len(survey_keys) - len(written)

        # questions
        stage = "survey_question"
        new_questions: list[tuple[str, int, str]] = []
        new_rows: list[dict[str, Any]] = []
        lines = []
        kinds = answers.groupby(["title", "year", "code"], sort=False)["kind"].first()
        for key, kind in kinds.items():
            typed_key = (str(key[0]), int(key[1]), str(key[2]))
            text = parsed.question_texts.get(typed_key)
            question = questions.get(typed_key)
            if question is None:
                new_questions.append(typed_key)
                lines.append(parsed.question_lines[typed_key])
                new_rows.append(
                    {
                        "survey_id": surveys[typed_key[:2]].id,
                        "code": typed_key[2],
                        "text_sv": text or typed_key[2],
                        "kind": str(kind),
                    }
                )
            elif text is not None and text != question.text_sv:
                writes.validate(SurveyQuestion, {**stored_values(question), "text_sv": text})
                question.text_sv = text
                updated["survey_question"] += 1
            else:
                unchanged["survey_question"] += 1
        written_questions = writes.add_all(session, SurveyQuestion, new_rows)
        questions.update(dict(zip(new_questions, written_questions, strict=True)))
        created["survey_question"] = len(written_questions)

        # answers
        stage = "survey_answer"
        new_answers: list[dict[str, Any]] = []
        lines = []
        for row in answers.itertuples(index=False):
            question = questions[(row.title, row.year, row.code)]
            likert = row.kind == QuestionKind.LIKERT
            values = {
                "respondent_role": str(row.role),
                "school_id": None if pd.isna(row.school_id) else int(row.school_id),
                "likert_value": int(row.number) if likert else None,
                "text_value": None if likert else str(row.answer),
            }
            answer = existing_answers.get((question.id, row.respondent))
            if answer is None:
                new_answers.append(
                    {
                        "survey_id": question.survey_id,
                        "question_id": question.id,
                        "respondent_key": row.respondent,
                        **values,
                    }
                )
                lines.append(int(row.line))
                continue
            changed = {key: value for key, value in values.items() if getattr(answer, key) != value}
            if not changed:
                unchanged["survey_answer"] += 1
                continue
            try:
                writes.validate(SurveyAnswer, {**stored_values(answer), **changed}, row=1)
            except InventoryValidationError as exc:
                raise _RejectedError(
                    from_validation_error(exc, name, [int(row.line)], columns)
                ) from None
            for key, value in changed.items():
                setattr(answer, key, value)
            updated["survey_answer"] += 1
        created["survey_answer"] = len(writes.add_all(session, SurveyAnswer, new_answers))
        session.flush()
    except _RejectedError as exc:
        savepoint.rollback()
        raise ImportRejectedError(exc.problems) from None
    except InventoryValidationError as exc:
        savepoint.rollback()
        problems = from_validation_error(exc, name, lines, columns)
        raise ImportRejectedError(problems) from None
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        detail = f"{stage}: {str(exc.orig).splitlines()[0]}"
        raise ImportRejectedError(
            [ImportProblem(name, None, None, None, "database", {"detail": detail})]
        ) from None
    savepoint.commit()
    report.created.update(created)
    report.updated.update(updated)
    report.unchanged.update(unchanged)


class _RejectedError(Exception):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")
