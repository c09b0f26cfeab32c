"""Importing survey answers in long and wide layout: good files, idempotency, dry run, bad input.

The expected answers are written out in this file; the import is checked by reading the
database back with plain SQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import main
from inventory.importers.problems import ImportRejectedError
from inventory.importers.surveys import COLUMNS, import_survey, looks_personal
from tests.helpers import cli_argv, database_fingerprint, ensure_cli_importer
from tests.inventory.factories import small_inventory

TITLE = "Skolbiblioteksenkät 2024"
YEAR = 2024
TEXTS = {"open": "Biblioteket är öppet när jag behöver det.", "wish": "Vad saknar du?"}
ROLE_SV = {
    "pupil": "elev",
    "teacher": "lärare",
    "principal": "rektor",
    "librarian": "bibliotekarie",
}

#: respondent -> (role, school unit code or None, {question code: answer})
RESPONDENTS = {
    "r001": ("pupil", "99110001", {"open": 4, "staff": 5, "wish": "Fler serier"}),
    "r002": ("teacher", "99110002", {"open": 2, "staff": 3, "wish": "Längre öppettider; gärna"}),
    "r003": ("principal", None, {"open": 5, "staff": 1}),
    "r004": ("librarian", "99120001", {"open": 1, "wish": "Mer tid för undervisning"}),
}
KINDS = {"open": "likert", "staff": "likert", "wish": "text"}

SELECT = sa.text(
    "SELECT v.title, v.year, q.code, a.respondent_key, a.respondent_role, s.school_unit_code,"
    " a.likert_value, a.text_value"
    " FROM survey_answer a JOIN survey_question q ON q.id = a.question_id"
    " JOIN survey v ON v.id = a.survey_id AND v.id = q.survey_id"
    " LEFT JOIN school s ON s.id = a.school_id"
)


@pytest.fixture(autouse=True)
def _cli_importer_account(request: pytest.FixtureRequest) -> None:
    """The account CLI imports run as, created before a test reads the database's fingerprint."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
        ensure_cli_importer(request.getfixturevalue("database_url"))


def expected_answers(title: str = TITLE, year: int = YEAR) -> set[tuple]:
    return {
        (
            title,
            year,
            code,
            key,
            role,
            school,
            value if KINDS[code] == "likert" else None,
            value if KINDS[code] == "text" else None,
        )
        for key, (role, school, answers) in RESPONDENTS.items()
        for code, value in answers.items()
    }


def stored(session) -> set[tuple]:
    return {tuple(row) for row in session.execute(SELECT).all()}


def _quote(text: str, separator: str) -> str:
    return f'"{text}"' if separator in text or '"' in text else text


def long_sv() -> bytes:
    """Long layout, Swedish headers and roles, semicolons, Windows-1252, question texts."""
    lines = ["enkät;år;fråga;frågetext;respondent;roll;skolenhetskod;svar"]
    for key, (role, school, answers) in RESPONDENTS.items():
        for code, value in answers.items():
            cells = [TITLE, str(YEAR), code, TEXTS.get(code, ""), key, ROLE_SV[role]]
            cells += [school or "", _quote(str(value), ";")]
            lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def long_en() -> bytes:
    """Long layout, English headers and roles, commas, UTF-8, answers in another order."""
    lines = ["survey,year,question,question_text,respondent,role,school_unit_code,answer"]
    for key, (role, school, answers) in reversed(RESPONDENTS.items()):
        for code, value in answers.items():
            cells = [TITLE, str(YEAR), code, TEXTS.get(code, ""), key, role.upper()]
            cells += [school or "", _quote(str(value), ",")]
            lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def wide(lang: str) -> bytes:
    """Wide layout: one row per respondent, one column per question code."""
    separator = ";" if lang == "sv" else "\t"
    head = ["respondent", "roll" if lang == "sv" else "role"]
    head += ["skolenhetskod" if lang == "sv" else "school_unit_code", *KINDS]
    lines = [separator.join(head)]
    for key, (role, school, answers) in RESPONDENTS.items():
        cells = [key, ROLE_SV[role] if lang == "sv" else role, school or ""]
        cells += [_quote(str(answers.get(code, "")), separator) for code in KINDS]
        lines.append(separator.join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def fingerprint(session) -> str:
    """Fingerprint in a fresh transaction, so writes by other connections are seen."""
    session.rollback()
    return database_fingerprint(session)


@pytest.fixture
def ids(session):
    return small_inventory(session)


def write(tmp_path: Path, data: bytes, name: str = "enkat.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(cli_argv(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- good files

GOOD = {
    "long swedish": (long_sv, {}),
    "long english": (long_en, {}),
    "wide swedish": (lambda: wide("sv"), {"title": TITLE, "year": YEAR}),
    "wide english": (lambda: wide("en"), {"title": TITLE, "year": YEAR}),
}


@pytest.mark.parametrize("case", list(GOOD))
def test_good_file_is_stored_as_written(session, ids, tmp_path, case):
    make, options = GOOD[case]
    report = import_survey(session, write(tmp_path, make()), **options)
    session.commit()
    assert stored(session) == expected_answers()
    assert report.notes["layout"] == case.split()[0]
    assert report.notes["respondents"] == 4
    assert report.created == {"survey": 1, "survey_question": 3, "survey_answer": 10}
    surveys = session.execute(sa.text("SELECT title, year, audience, published FROM survey")).all()
    assert [(t, y, bool(p)) for t, y, _, p in surveys] == [(TITLE, YEAR, False)]
    assert surveys[0][2] == "Elever, lärare, rektorer och bibliotekarier"
    questions = dict(session.execute(sa.text("SELECT code, kind FROM survey_question")).all())
    assert questions == KINDS
    texts = dict(session.execute(sa.text("SELECT code, text_sv FROM survey_question")).all())
    if case.startswith("long"):
        assert texts == {"open": TEXTS["open"], "staff": "staff", "wish": TEXTS["wish"]}
    else:
        assert texts == {code: code for code in KINDS}  # the code stands in for the text


@pytest.mark.parametrize("case", list(GOOD))
def test_reimport_leaves_database_identical(session, ids, tmp_path, case):
    make, options = GOOD[case]
    path = write(tmp_path, make())
    import_survey(session, path, **options)
    session.commit()
    first = fingerprint(session)
    report = import_survey(session, path, **options)
    session.commit()
    assert fingerprint(session) == first
    assert report.created == {"survey": 0, "survey_question": 0, "survey_answer": 0}
    assert report.updated == {"survey": 0, "survey_question": 0, "survey_answer": 0}
    assert report.unchanged == {"survey": 1, "survey_question": 3, "survey_answer": 10}


def test_layouts_and_languages_give_the_same_database(session, ids, tmp_path):
    import_survey(session, write(tmp_path, long_en()))
    session.commit()
    first = fingerprint(session)
    report = import_survey(session, write(tmp_path, wide("sv"), "w.csv"), title=TITLE, year=YEAR)
    session.commit()
    assert report.unchanged["survey_answer"] == 10
    assert fingerprint(session) == first


def test_changed_answer_updates_and_new_answer_is_added(session, ids, tmp_path):
    import_survey(session, write(tmp_path, long_sv()))
    session.commit()
    data = (
        b"respondent;roll;skolenhetskod;open;staff\n"
        b"r001;elev;99110001;3;5\n"  # open 4 -> 3
        b"r005;elev;;2;\n"
    )
    report = import_survey(session, write(tmp_path, data, "w.csv"), title=TITLE, year=YEAR)
    session.commit()
    assert report.created["survey_answer"] == 1
    assert report.updated["survey_answer"] == 1
    assert report.unchanged["survey_answer"] == 1
    expected = expected_answers() - {(TITLE, YEAR, "open", "r001", "pupil", "99110001", 4, None)}
    expected |= {
        (TITLE, YEAR, "open", "r001", "pupil", "99110001", 3, None),
        (TITLE, YEAR, "open", "r005", "pupil", None, 2, None),
    }
    assert stored(session) == expected


def test_existing_survey_keeps_published_flag_and_audience(session, ids, tmp_path):
    import_survey(session, write(tmp_path, long_sv()))
    session.execute(sa.text("UPDATE survey SET published = true, audience = 'Alla'"))
    session.commit()
    import_survey(session, write(tmp_path, wide("en"), "w.csv"), title=TITLE, year=YEAR)
    session.commit()
    row = session.execute(sa.text("SELECT audience, published FROM survey")).one()
    assert (row[0], bool(row[1])) == ("Alla", True)


def test_mostly_likert_question_with_text_answer_becomes_text_with_warning(session, ids, tmp_path):
    data = b"respondent;roll;q1\na1;elev;4\na2;elev;vet ej\na3;elev;5\n"
    report = import_survey(session, write(tmp_path, data), title="E", year=2025)
    session.commit()
    assert [(w.row, w.column, w.code, w.severity) for w in report.warnings] == [
        (3, "q1", "text_question", "warning")
    ]
    kinds = session.execute(sa.text("SELECT code, kind FROM survey_question")).all()
    assert kinds == [("q1", "text")]
    texts = {
        tuple(r)
        for r in session.execute(sa.text("SELECT likert_value, text_value FROM survey_answer"))
    }
    assert texts == {(None, "4"), (None, "vet ej"), (None, "5")}


def test_long_layout_can_take_title_and_year_from_options(session, ids, tmp_path):
    data = "fråga;respondent;roll;svar\nq1;x1;lärare;2\n".encode()
    import_survey(session, write(tmp_path, data), title="Lärarenkät", year=2023)
    session.commit()
    assert stored(session) == {("Lärarenkät", 2023, "q1", "x1", "teacher", None, 2, None)}


def test_column_aliases():
    assert COLUMNS["respondent"][0] == "respondent"
    assert COLUMNS["role"][:2] == ("roll", "role")
    assert COLUMNS["answer"] == ("svar", "answer")


@pytest.mark.parametrize(
    ("value", "personal"),
    [
        ("anna.svensson@skolan.se", True),
        ("elev 850101-1234", True),
        ("8501011234", True),
        ("19850101-1234", True),
        ("198501011234", True),
        ("850161-1234", True),  # samordningsnummer: day + 60
        ("r0001", False),
        ("R-2024-0117", False),
        ("1234567890", False),  # month 56 is no date
        ("abc123", False),
    ],
)
def test_personal_data_pattern(value, personal):
    assert looks_personal(value) is personal


# --------------------------------------------------------------------------- command line


def test_cli_dry_run_then_import(database_url, session, ids, tmp_path, capsys):
    path = write(tmp_path, wide("sv"))
    before = fingerprint(session)
    code, out, err = run_cli(
        capsys, "--database-url", database_url, "import", "survey", str(path),
        "--title", TITLE, "--year", str(YEAR), "--dry-run", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] is True
    assert report["created"] == {"survey": 1, "survey_question": 3, "survey_answer": 10}
    assert fingerprint(session) == before

    code, out, err = run_cli(
        capsys, "--database-url", database_url, "import", "survey", str(path),
        "--title", TITLE, "--year", str(YEAR), "--lang", "en",
    )  # fmt: skip
    assert code == 0, err
    assert "survey_answer: 10 new" in out
    session.rollback()
    assert stored(session) == expected_answers()
    after = fingerprint(session)
    code, out, _ = run_cli(
        capsys, "--database-url", database_url, "import", "survey", str(path),
        "--title", TITLE, "--year", str(YEAR), "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["unchanged"]["survey_answer"] == 10
    assert fingerprint(session) == after


# --------------------------------------------------------------------------- bad input

LONG_HEAD = "enkät;år;fråga;respondent;roll;skolenhetskod;svar"
LONG_OK = f"{TITLE};{YEAR};open;r001;elev;99110001;4"  # valid: nothing of it may be written


def bad_long(*lines: str) -> str:
    return "\n".join([LONG_HEAD, LONG_OK, *lines]) + "\n"


WIDE_HEAD = "respondent;roll;skolenhetskod;open;wish"
WIDE_OK = "r001;elev;99110001;4;Fler serier"

#: name -> (file content, import options, expected (row, column, code) among the errors)
BAD = {
    "e-mail as respondent": (
        bad_long(f"{TITLE};{YEAR};open;anna.svensson@skolan.se;elev;99110001;4"),
        {},
        (3, "respondent", "personal_data"),
    ),
    "personnummer as respondent": (
        bad_long(f"{TITLE};{YEAR};open;850101-1234;elev;99110001;4"),
        {},
        (3, "respondent", "personal_data"),
    ),
    "12-digit personnummer in wide layout": (
        f"{WIDE_HEAD}\n{WIDE_OK}\n198501011234;lärare;;3;\n",
        {"title": TITLE, "year": YEAR},
        (3, "respondent", "personal_data"),
    ),
    "likert 7": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;99110001;7"),
        {},
        (3, "svar", "likert"),
    ),
    "likert 0 in wide layout": (
        f"{WIDE_HEAD}\n{WIDE_OK}\nr002;lärare;;0;\n",
        {"title": TITLE, "year": YEAR},
        (3, "open", "likert"),
    ),
    "likert 3,5": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;99110001;3,5"),
        {},
        (3, "svar", "likert"),
    ),
    "formula cell": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;99110001;=1+4"),
        {},
        (3, "svar", "formula"),
    ),
    "formula as respondent": (
        bad_long(f'{TITLE};{YEAR};open;"=HYPERLINK(""x"")";elev;;4'),
        {},
        (3, "respondent", "formula"),
    ),
    "wide layout without --title": (
        f"{WIDE_HEAD}\n{WIDE_OK}\n",
        {"year": YEAR},
        (None, "--title", "required"),
    ),
    "wide layout without --year": (
        f"{WIDE_HEAD}\n{WIDE_OK}\n",
        {"title": TITLE},
        (None, "--year", "required"),
    ),
    "unknown school": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;99119999;4"),
        {},
        (3, "skolenhetskod", "unknown_school"),
    ),
    "9-digit school code": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;991100011;4"),
        {},
        (3, "skolenhetskod", "school_unit_code"),
    ),
    "unknown role": (
        bad_long(f"{TITLE};{YEAR};open;r002;vaktmästare;;4"),
        {},
        (3, "roll", "allowed"),
    ),
    "year 1800": (
        bad_long(f"{TITLE};1800;open;r002;elev;;4"),
        {},
        (3, "år", "year"),
    ),
    "text as year": (
        bad_long(f"{TITLE};i år;open;r002;elev;;4"),
        {},
        (3, "år", "integer"),
    ),
    "duplicate answer": (
        bad_long(f"{TITLE};{YEAR};open;r002;elev;;4", f"{TITLE};{YEAR};open;r001;elev;99110001;5"),
        {},
        (4, "fråga", "duplicate_in_file"),
    ),
    "duplicate respondent in wide layout": (
        f"{WIDE_HEAD}\n{WIDE_OK}\nr001;elev;99110001;3;\n",
        {"title": TITLE, "year": YEAR},
        (3, "respondent", "duplicate_in_file"),
    ),
    "respondent changes role": (
        bad_long(f"{TITLE};{YEAR};staff;r001;lärare;99110001;4"),
        {},
        (3, "roll", "respondent_mismatch"),
    ),
    "empty respondent": (
        bad_long(f"{TITLE};{YEAR};open;;elev;;4"),
        {},
        (3, "respondent", "required"),
    ),
    "empty file": ("", {}, (None, None, "empty_file")),
    "header only": (f"{LONG_HEAD}\n", {}, (None, None, "no_rows")),
    "missing required column": (
        "enkät;år;fråga;respondent;skolenhetskod;svar\nE;2024;q;r1;;4\n",
        {},
        (1, "roll", "missing_column"),
    ),
    "no answers at all": (
        "respondent;roll;q1\nr1;elev;\n",
        {"title": TITLE, "year": YEAR},
        (None, None, "no_rows"),
    ),
    "duplicate question column": (
        "respondent;roll;q1;q1\nr1;elev;1;2\n",
        {"title": TITLE, "year": YEAR},
        (1, "q1", "duplicate_column"),
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_rejected_and_nothing_written(session, ids, tmp_path, case):
    content, options, expected = BAD[case]
    import_survey(session, write(tmp_path, long_sv(), "first.csv"))
    session.commit()  # existing answers that a bad file must not touch either
    before = fingerprint(session)
    with pytest.raises(ImportRejectedError) as caught:
        import_survey(session, write(tmp_path, content.encode("utf-8")), **options)
    errors = caught.value.errors
    found = [(p.row, p.column, p.code) for p in errors]
    assert expected in found, [p.describe("en") for p in errors]
    assert all(p.file == "enkat.csv" for p in errors)
    assert all(p.expected("sv") and p.expected("en") for p in caught.value.problems)
    assert database_fingerprint(session) == before  # not even flushed into this session
    assert fingerprint(session) == before


def test_text_answer_to_existing_likert_question_is_rejected(session, ids, tmp_path):
    import_survey(session, write(tmp_path, long_sv(), "first.csv"))
    session.commit()
    before = fingerprint(session)
    data = bad_long(f"{TITLE};{YEAR};staff;r009;elev;;ganska bra").encode()
    with pytest.raises(ImportRejectedError) as caught:
        import_survey(session, write(tmp_path, data))
    assert [(p.row, p.column, p.code) for p in caught.value.errors] == [(3, "svar", "likert")]
    assert fingerprint(session) == before


def test_personal_data_is_not_repeated_in_the_problem(session, ids, tmp_path):
    content, options, _ = BAD["personnummer as respondent"]
    with pytest.raises(ImportRejectedError) as caught:
        import_survey(session, write(tmp_path, content.encode()), **options)
    (problem,) = caught.value.errors
    assert "1234" not in str(problem.value)
    assert "personnummer" in problem.expected("sv")
    assert "personal identity number" in problem.expected("en")


@pytest.mark.parametrize(
    "case",
    ["e-mail as respondent", "personnummer as respondent", "likert 7", "formula cell",
     "wide layout without --title", "unknown school", "9-digit school code", "year 1800",
     "duplicate answer", "empty file", "header only", "missing required column"],
)  # fmt: skip
def test_cli_exits_2_naming_row_and_column(database_url, session, ids, tmp_path, capsys, case):
    content, options, (row, column, _) = BAD[case]
    path = write(tmp_path, content.encode("utf-8"))
    before = fingerprint(session)
    args = ["--database-url", database_url, "import", "survey", str(path), "--lang", "en"]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert "enkat.csv: file rejected, nothing saved." in err
    lines = err.splitlines()
    if row is not None:
        assert any(column in line and str(row) in line.split() for line in lines), err
    elif column is not None:
        assert any(column in line for line in lines[1:]), err
    assert "850101-1234" not in err and "anna.svensson" not in err
    assert fingerprint(session) == before
