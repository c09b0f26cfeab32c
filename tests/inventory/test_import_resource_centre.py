"""Importing regional resource-centre statistics: good files, idempotency, dry run, bad input.

The expected values are written out in this file; the import is checked by reading the
database back with plain SQL, never through the importer's own structures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import main
from inventory.importers.problems import ImportProblem, ImportRejectedError
from inventory.importers.resource_centre import COLUMNS, import_resource_centre
from tests.helpers import cli_argv, database_fingerprint, ensure_cli_importer
from tests.inventory.factories import small_inventory

SV_HEADER = [
    "kommunkod",
    "skolenhetskod",
    "år",
    "AV-medier utlån",
    "teknikutlån",
    "fortbildning deltagare",
    "fortbildning timmar",
]
EN_HEADER = [
    "municipality_code",
    "school_unit_code",
    "year",
    "av_media_loans",
    "technology_loans",
    "training_participants",
    "training_hours",
]

#: (kommunkod, skolenhetskod or None, year, AV loans, technology loans, participants, hours)
ROWS = [
    ("9911", None, 2024, 1234, 56, 18, 40.5),
    ("9911", "99110001", 2024, 310, 4, 6, 12.0),
    ("9911", "99110003", 2024, 0, 0, 0, 0.0),
    ("9912", None, 2024, 87, None, 3, 7.25),
    ("9911", None, 2023, 990, 41, 11, None),
]

SELECT = sa.text(
    "SELECT m.code, s.school_unit_code, r.year, r.av_media_loans, r.technology_loans,"
    " r.training_participants, r.training_hours"
    " FROM resource_centre_year r JOIN municipality m ON m.id = r.municipality_id"
    " LEFT JOIN school s ON s.id = r.school_id"
)


@pytest.fixture(autouse=True)
def _cli_importer_account(request: pytest.FixtureRequest) -> None:
    """The account CLI imports run as, created before a test reads the database's fingerprint."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
        ensure_cli_importer(request.getfixturevalue("database_url"))


def _sv_number(value: float | int | None, decimals: bool = False) -> str:
    """Swedish formatting: thousands separated by a space, decimal comma."""
    if value is None:
        return ""
    if decimals:
        return f"{value:.2f}".replace(".", ",")
    return f"{value:,}".replace(",", " ")


def sv_file(rows=ROWS) -> bytes:
    """Swedish headers, semicolons, Windows-1252, a preamble line, Swedish numbers."""
    lines = ["Resurscentrets statistik;;;;;;", ";".join(SV_HEADER)]
    for code, school, year, av, tech, people, hours in rows:
        cells = [code, school or "", str(year), _sv_number(av), _sv_number(tech)]
        cells += [_sv_number(people), _sv_number(hours, decimals=True)]
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def en_file(rows=ROWS) -> bytes:
    """English headers, commas, UTF-8 with BOM, decimal point."""
    lines = [",".join(EN_HEADER)]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def stored(session) -> set[tuple]:
    return {
        (m, s, int(y), av, tech, people, None if hours is None else float(hours))
        for m, s, y, av, tech, people, hours in session.execute(SELECT).all()
    }


def fingerprint(session) -> str:
    """Fingerprint in a fresh transaction, so writes by other connections are seen."""
    session.rollback()
    return database_fingerprint(session)


@pytest.fixture
def ids(session):
    return small_inventory(session)


def write(tmp_path: Path, data: bytes, name: str = "resurscentrum.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(cli_argv(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize("make", [sv_file, en_file], ids=["swedish", "english"])
def test_good_file_is_stored_as_written(session, ids, tmp_path, make):
    report = import_resource_centre(session, write(tmp_path, make()))
    session.commit()
    assert stored(session) == set(ROWS)
    assert report.created == {"resource_centre_year": 5}
    assert report.updated == {"resource_centre_year": 0}
    assert report.unchanged == {"resource_centre_year": 0}
    assert report.notes["municipality_level"] == 3 and report.notes["school_level"] == 2
    assert report.warnings == []
    # school-level rows point at the right school of the right municipality
    pairs = session.execute(
        sa.text(
            "SELECT r.school_id, s.municipality_id, r.municipality_id FROM resource_centre_year r"
            " JOIN school s ON s.id = r.school_id"
        )
    ).all()
    assert {school for school, _, _ in pairs} == {ids["ek"], ids["alm"]}
    assert all(home == own for _, home, own in pairs)


def test_reimport_is_idempotent_and_languages_agree(session, ids, tmp_path):
    import_resource_centre(session, write(tmp_path, sv_file()))
    session.commit()
    first = fingerprint(session)
    report = import_resource_centre(session, write(tmp_path, en_file(), "en.csv"))
    session.commit()
    assert fingerprint(session) == first
    assert report.created == {"resource_centre_year": 0}
    assert report.updated == {"resource_centre_year": 0}
    assert report.unchanged == {"resource_centre_year": 5}


def test_changed_values_update_and_absent_columns_are_kept(session, ids, tmp_path):
    import_resource_centre(session, write(tmp_path, sv_file()))
    session.commit()
    # only two value columns; one row changes, one is new, one is identical
    data = (
        "kommunkod;skolenhetskod;år;AV-medier utlån;fortbildning timmar\n"
        "9911;;2024;2000;40,5\n"
        "9911;99110001;2024;310;12\n"
        "9912;;2023;5;\n"
    ).encode()
    report = import_resource_centre(session, write(tmp_path, data, "partial.csv"))
    session.commit()
    assert report.created == {"resource_centre_year": 1}
    assert report.updated == {"resource_centre_year": 1}
    assert report.unchanged == {"resource_centre_year": 1}
    expected = set(ROWS) - {ROWS[0]}
    expected |= {
        ("9911", None, 2024, 2000, 56, 18, 40.5),
        ("9912", None, 2023, 5, None, None, None),
    }
    assert stored(session) == expected


def test_unknown_column_is_a_warning_not_an_error(session, ids, tmp_path):
    data = "kommunkod;år;teknikutlån;kommentar\n9912;2025;3;hej\n".encode()
    report = import_resource_centre(session, write(tmp_path, data))
    session.commit()
    assert stored(session) == {("9912", None, 2025, None, 3, None, None)}
    assert [(w.row, w.column, w.code, w.severity) for w in report.warnings] == [
        (1, "kommentar", "unknown_column", "warning")
    ]


def test_header_aliases_are_documented_in_both_languages():
    assert COLUMNS["municipality_code"] == ("kommunkod", "municipality_code")
    assert [names[0] for names in COLUMNS.values()] == SV_HEADER
    assert [names[1] for names in COLUMNS.values()] == EN_HEADER


def test_header_matching_ignores_case_and_spaces(session, ids, tmp_path):
    data = "KOMMUNKOD ; År ;av-medier   UTLÅN\n9911;2022;7\n".encode()
    import_resource_centre(session, write(tmp_path, data))
    assert stored(session) == {("9911", None, 2022, 7, None, None, None)}


# --------------------------------------------------------------------------- command line


def test_cli_import_and_dry_run(database_url, session, ids, tmp_path, capsys):
    path = write(tmp_path, sv_file())
    before = fingerprint(session)
    code, out, err = run_cli(
        capsys, "--database-url", database_url, "import", "resource-centre", str(path),
        "--dry-run", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] is True
    assert report["created"] == {"resource_centre_year": 5}
    assert fingerprint(session) == before

    code, out, err = run_cli(
        capsys, "--database-url", database_url, "import", "resource-centre", str(path)
    )
    assert code == 0, err
    assert "resource_centre_year: 5 nya" in out
    session.rollback()
    assert stored(session) == set(ROWS)
    after = fingerprint(session)
    code, out, _ = run_cli(
        capsys, "--database-url", database_url, "import", "resource-centre", str(path), "--json"
    )
    assert code == 0
    assert json.loads(out)["unchanged"] == {"resource_centre_year": 5}
    assert fingerprint(session) == after


def test_cli_import_needs_an_active_account_allowed_to_edit(
    database_url, session, ids, tmp_path, capsys
):
    from inventory import writes
    from inventory.models import User

    path = write(tmp_path, sv_file())
    writes.add(session, User, {"username": "ref", "display_name": "R", "role": "referensgrupp"})
    session.commit()
    before = fingerprint(session)
    argv = ["--database-url", database_url, "import", "resource-centre", str(path)]
    for extra, message in (([], "ange --user"), (["--user", "ref"], "får inte inventory.edit")):
        code = main([*argv, *extra])  # not run_cli: that one adds an account
        assert code == 2 and message in capsys.readouterr().err
        session.rollback()
        assert fingerprint(session) == before

    code, _, err = run_cli(capsys, *argv, "--user", "importer")
    assert code == 0, err
    session.rollback()
    audit = session.execute(
        sa.text("SELECT username, action, entity, new_value FROM audit_entry")
    ).all()
    assert [(u, a, e) for u, a, e, _ in audit] == [("importer", "import", "resource-centre")]
    assert json.loads(audit[0][3])["created"] == {"resource_centre_year": 5}


# --------------------------------------------------------------------------- bad input

HEAD = ";".join(SV_HEADER)
GOOD = "9911;;2024;100;2;3;4,5"  # a valid first row: nothing of it may be written either


def bad(*lines: str) -> str:
    """The Swedish header, a valid row, then ``lines``."""
    return "\n".join([HEAD, GOOD, *lines]) + "\n"


#: name -> (file content, expected (row, column, code) among the errors)
BAD = {
    "unknown school": (bad("9911;99119999;2024;1;1;1;1"), (3, "skolenhetskod", "unknown_school")),
    "school of another municipality": (
        bad("9911;99120001;2024;1;1;1;1"),
        (3, "skolenhetskod", "school_in_municipality"),
    ),
    "unknown municipality": (bad("9999;;2024;1;1;1;1"), (3, "kommunkod", "unknown_municipality")),
    "negative loans": (bad("9912;;2024;-5;1;1;1"), (3, "AV-medier utlån", "non_negative")),
    "text in a number column": (bad("9912;;2024;1;många;1;1"), (3, "teknikutlån", "integer")),
    "fraction of a participant": (
        bad("9912;;2024;1;1;2,5;1"),
        (3, "fortbildning deltagare", "integer"),
    ),
    "negative hours": (bad("9912;;2024;1;1;2;-0,5"), (3, "fortbildning timmar", "non_negative")),
    "year 1800": (bad("9912;;1800;1;1;1;1"), (3, "år", "year")),
    "empty year": (bad("9912;;;1;1;1;1"), (3, "år", "required")),
    "9-digit school code": (
        bad("9911;991100011;2024;1;1;1;1"),
        (3, "skolenhetskod", "school_unit_code"),
    ),
    "5-digit municipality code": (
        bad("99111;;2024;1;1;1;1"),
        (3, "kommunkod", "municipality_code"),
    ),
    "duplicate rows": (
        bad("9912;;2024;1;1;1;1", "9911;;2024;5;5;5;5"),
        (4, "kommunkod", "duplicate_in_file"),
    ),
    "formula cell": (bad("9912;;2024;=2+3;1;1;1"), (3, "AV-medier utlån", "formula")),
    "empty file": ("", (None, None, "empty_file")),
    "header only": (f"{HEAD}\n", (None, None, "no_rows")),
    "missing required column": ("kommunkod;AV-medier utlån\n9911;5\n", (1, "år", "missing_column")),
    "no value column": ("kommunkod;år\n9911;2024\n", (1, None, "missing_column")),
    "english headers": (
        ",".join(EN_HEADER) + "\n9911,,2024,1,1,1,1\n9911,99120001,2024,-1,1,1,1\n",
        (3, "av_media_loans", "non_negative"),
    ),
}


def _matches(problem: ImportProblem, expected: tuple) -> bool:
    return (problem.row, problem.column, problem.code) == expected


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_rejected_and_nothing_written(session, ids, tmp_path, case):
    content, expected = BAD[case]
    import_resource_centre(session, write(tmp_path, sv_file(ROWS[:1]), "first.csv"))
    session.commit()  # an existing row that a bad file must not touch either
    before = fingerprint(session)
    with pytest.raises(ImportRejectedError) as caught:
        import_resource_centre(session, write(tmp_path, content.encode("utf-8")))
    errors = caught.value.errors
    assert any(_matches(p, expected) for p in errors), [p.describe("en") for p in errors]
    assert all(p.file == "resurscentrum.csv" for p in errors)
    assert all(p.expected("sv") and p.expected("en") for p in caught.value.problems)
    assert database_fingerprint(session) == before  # not even flushed into this session
    assert fingerprint(session) == before


def test_duplicate_names_the_other_row(session, ids, tmp_path):
    content, _ = BAD["duplicate rows"]
    with pytest.raises(ImportRejectedError) as caught:
        import_resource_centre(session, write(tmp_path, content.encode()))
    (problem,) = caught.value.errors
    assert problem.params == {"other_row": 2}
    assert "2" in problem.expected("sv") and "row 2" in problem.expected("en")


def test_text_and_formula_reported_once_per_cell(session, ids, tmp_path):
    content, _ = BAD["formula cell"]
    with pytest.raises(ImportRejectedError) as caught:
        import_resource_centre(session, write(tmp_path, content.encode()))
    assert [(p.row, p.column, p.code) for p in caught.value.errors] == [
        (3, "AV-medier utlån", "formula")
    ]


@pytest.mark.parametrize(
    "case",
    ["unknown school", "school of another municipality", "negative loans", "year 1800",
     "9-digit school code", "duplicate rows", "formula cell", "missing required column",
     "text in a number column", "empty file", "header only"],
)  # fmt: skip
def test_cli_exits_2_naming_row_and_column(database_url, session, ids, tmp_path, capsys, case):
    content, (row, column, _) = BAD[case]
    path = write(tmp_path, content.encode("utf-8"))
    before = fingerprint(session)
    code, out, err = run_cli(
        capsys, "--database-url", database_url, "import", "resource-centre", str(path),
        "--lang", "en",
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert "resurscentrum.csv: file rejected, nothing saved." in err
    if row is not None:
        assert any(column in line and str(row) in line.split() for line in err.splitlines()), err
    else:
        assert "resurscentrum.csv" in err.splitlines()[-1]
    assert fingerprint(session) == before


def test_cp1252_file_with_swedish_letters_in_headers(session, ids, tmp_path):
    data = "kommunkod;år;teknikutlån\n9911;2021;12\n".encode("cp1252")
    import_resource_centre(session, write(tmp_path, data))
    assert stored(session) == {("9911", None, 2021, None, 12, None, None)}


def test_bytes_source_is_named_in_problems(session, ids):
    with pytest.raises(ImportRejectedError) as caught:
        import_resource_centre(session, b"kommunkod;\xc3\xa5r;teknikutl\xc3\xa5n\n9911;2021;-1\n",
                               file="upload.csv")  # fmt: skip
    (problem,) = caught.value.errors
    assert (problem.file, problem.row, problem.column) == ("upload.csv", 2, "teknikutlån")
