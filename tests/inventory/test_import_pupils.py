"""Importing Skolverket's "Grundskola – Antal elever per årskurs" (school-unit level).

The real national file in ../shared/data/skolverket-raw is checked against an independent parse
written here with the plain ``csv`` module and hand-written number cleaning (not the project's
textfile helpers). Bad-input cases use a small synthetic file in the same layout (fictional
schools), so they run without the shared data.
"""

from __future__ import annotations

import csv
import functools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import writes
from inventory.importers import pupils
from inventory.importers.problems import ImportRejectedError
from inventory.importers.pupils import import_pupils
from inventory.models import District, Municipality, School, SchoolYear
from inventory.writes import InventoryValidationError, Problem
from tests.conftest import shared_file
from tests.helpers import cli_argv, database_fingerprint, ensure_cli_importer, table_counts

RAW = ("skolverket-raw", "grundskola_elever_per_arskurs_2023-24.csv")
KALMAR = ("skolverket-elever-grundskola", "kalmar_lan_elever_per_arskurs_2023-24.csv")

PRESCHOOL = "Elever, förskoleklass"
GRADES = "Elever, årskurs 1-9"
GRADE = [f"Elever, årskurs {grade}" for grade in range(1, 10)]
COUNT_HEADERS = [PRESCHOOL, GRADES, *GRADE]
FOREIGN = "Andel (%) elever med utländsk bakgrund, åk 1-9"
PARENTS = "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9"
HEADER = [
    "Skola",
    "Skol-enhetskod",
    "Skolkommun",
    "Kommun-kod",
    "Typ av huvudman",
    "Huvudman",
    "Huvudman orgnr",
    PRESCHOOL,
    "Andel (%) flickor, förskoleklass",
    GRADES,
    "Andel (%) flickor, årskurs 1-9",
    FOREIGN,
    PARENTS,
    *GRADE,
]


# --------------------------------------------------------------------------- independent parse


@pytest.fixture(autouse=True)
def _cli_importer_account(request: pytest.FixtureRequest) -> None:
    """The account CLI imports run as, created before a test reads the database's fingerprint."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
        ensure_cli_importer(request.getfixturevalue("database_url"))


def count(text: str) -> int:
    """A pupil count as published: '.' and '..' are no pupils, '1 018' is 1018."""
    text = text.replace(" ", "").replace("\u00a0", "")
    return 0 if text in (".", "..") else int(text)


def share(text: str) -> float | None:
    """A published percentage as a fraction; '~100' is 100 %, markers are None."""
    if text in (".", ".."):
        return None
    return float(text.lstrip("~").replace(",", ".")) / 100


@functools.cache
def independent_rows(path: Path) -> list[dict[str, str]]:
    """Data rows of a Skolverket download, read with nothing but the csv module."""
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Skola;Skol-enhetskod;"))
    header = lines[start].split(";")
    rows = []
    for fields in csv.reader(lines[start + 1 :], delimiter=";"):
        if len(fields) < len(HEADER):
            break  # the blank line before Skolverket's notes
        rows.append(dict(zip(header, fields, strict=False)))
    return rows


def db_rows(session: Session) -> dict[str, dict]:
    """Every imported school with its municipality and school year, keyed by school unit code."""
    query = sa.select(
        School.school_unit_code,
        School.name,
        School.organiser_type,
        School.organiser,
        School.has_preschool_class,
        School.has_grades_1_3,
        School.has_grades_4_6,
        School.has_grades_7_9,
        Municipality.code.label("municipality_code"),
        Municipality.name.label("municipality_name"),
        Municipality.county_code,
        Municipality.county,
        SchoolYear.year,
        SchoolYear.pupils_preschool_class,
        SchoolYear.pupils_grades_1_9,
        *(getattr(SchoolYear, f"pupils_grade_{grade}") for grade in range(1, 10)),
        SchoolYear.share_foreign_background,
        SchoolYear.share_parents_post_secondary,
    ).select_from(
        sa.join(School, Municipality, School.municipality_id == Municipality.id).join(
            SchoolYear, SchoolYear.school_id == School.id
        )
    )
    return {row.school_unit_code: row._asdict() for row in session.execute(query)}


def fingerprint(engine: sa.Engine) -> str:
    with Session(engine) as session:
        return database_fingerprint(session)


# --------------------------------------------------------------------------- the national file


def test_national_file_imports_in_full_and_twice_changes_nothing(session, engine):
    path = shared_file(*RAW)
    rows = independent_rows(path)
    codes = {row["Kommun-kod"] for row in rows}
    assert len(codes) == 290
    assert 4500 < len(rows) < 5000

    started = time.perf_counter()
    report = import_pupils(session, path)
    session.commit()
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"national import took {elapsed:.1f} s"

    assert report.created == {"municipality": 290, "school": len(rows), "school_year": len(rows)}
    assert report.updated == {"municipality": 0, "school": 0, "school_year": 0}
    assert table_counts(session)["school"] == len(rows)
    assert table_counts(session)["municipality"] == 290
    assert table_counts(session)["school_year"] == len(rows)

    # totals per municipality and overall, independently
    expected_total: dict[str, int] = defaultdict(int)
    for row in rows:
        expected_total[row["Kommun-kod"]] += count(row[PRESCHOOL]) + count(row[GRADES])
    stored = db_rows(session)
    got_total: dict[str, int] = defaultdict(int)
    for row in stored.values():
        got_total[row["municipality_code"]] += (row["pupils_preschool_class"] or 0) + (
            row["pupils_grades_1_9"] or 0
        )
    assert got_total == expected_total
    assert report.notes["pupils_total"] == sum(expected_total.values())
    assert report.notes["schools"] == report.notes["rows_in_file"] == len(rows)
    assert report.notes["year"] == 2023 and report.notes["school_year"] == "2023/24"

    # suppressed values, independently
    suppressed_counts = sum(row[h] == ".." for row in rows for h in COUNT_HEADERS)
    suppressed_shares = sum(row[h] == ".." for row in rows for h in (FOREIGN, PARENTS))
    assert report.notes["suppressed_pupil_counts"] == suppressed_counts
    assert len(report.warnings) == suppressed_counts
    assert report.notes["suppressed_need_shares"] == suppressed_shares > 0
    approximate = sum(row[h].startswith("~") for row in rows for h in (FOREIGN, PARENTS))
    assert report.notes["approximate_need_shares"] == approximate

    # every school, value by value
    assert set(stored) == {row["Skol-enhetskod"] for row in rows}
    organiser = {"Kommunal": "municipal", "Enskild": "independent"}
    for row in rows:
        got = stored[row["Skol-enhetskod"]]
        assert got["name"] == row["Skola"]
        assert got["organiser_type"] == organiser[row["Typ av huvudman"]]
        assert got["organiser"] == row["Huvudman"]
        assert got["municipality_code"] == row["Kommun-kod"]
        assert got["county_code"] == row["Kommun-kod"][:2]
        assert got["year"] == 2023
        for field, header in [
            ("pupils_preschool_class", PRESCHOOL),
            ("pupils_grades_1_9", GRADES),
            *((f"pupils_grade_{g}", GRADE[g - 1]) for g in range(1, 10)),
        ]:
            assert (got[field] or 0) == count(row[header]), (row["Skol-enhetskod"], field)
            assert (got[field] is None) == (row[header] in (".", ".."))
        for field, header in [
            ("share_foreign_background", FOREIGN),
            ("share_parents_post_secondary", PARENTS),
        ]:
            assert got[field] == pytest.approx(share(row[header]), abs=1e-9)
        grades = [count(row[h]) for h in GRADE]
        assert got["has_preschool_class"] == (count(row[PRESCHOOL]) > 0)
        assert got["has_grades_1_3"] == any(grades[0:3])
        assert got["has_grades_4_6"] == any(grades[3:6])
        assert got["has_grades_7_9"] == any(grades[6:9])
    names = {got["municipality_code"]: got["municipality_name"] for got in stored.values()}
    assert names["1440"] == "Ale" and names["0880"] == "Kalmar"
    counties = {got["county_code"]: got["county"] for got in stored.values()}
    assert counties["08"] == "Kalmar län" and counties["25"] == "Norrbottens län"
    assert len(counties) == 21

    # a second import of the same file changes nothing
    before = database_fingerprint(session)
    again = import_pupils(session, path)
    session.commit()
    assert database_fingerprint(session) == before
    assert again.created == {"municipality": 0, "school": 0, "school_year": 0}
    assert again.updated == {"municipality": 0, "school": 0, "school_year": 0}
    assert again.unchanged == {"municipality": 290, "school": len(rows), "school_year": len(rows)}


# --------------------------------------------------------------------------- filters and --year


def test_county_filter_matches_the_kalmar_extract(session):
    raw = shared_file(*RAW)
    extract = shared_file(*KALMAR)
    with extract.open(encoding="utf-8", newline="") as handle:
        kalmar = list(csv.DictReader(handle))
    # the figures in the extract's SOURCE.md, checked independently first
    assert len(kalmar) == 135
    assert sum(count(r["elever_fklass"]) + count(r["elever_ak1_9"]) for r in kalmar) == 27_526
    assert Counter(r["typ_av_huvudman"] for r in kalmar) == {"Kommunal": 121, "Enskild": 14}

    report = import_pupils(session, raw, county="08")
    session.commit()
    assert report.notes["schools"] == 135
    assert report.notes["pupils_total"] == 27_526
    assert report.notes["rows_filtered_out"] == len(independent_rows(raw)) - 135
    assert report.created == {"municipality": 12, "school": 135, "school_year": 135}

    stored = db_rows(session)
    assert set(stored) == {r["skolenhetskod"] for r in kalmar}
    assert {r["county"] for r in stored.values()} == {"Kalmar län"}
    assert Counter(r["organiser_type"] for r in stored.values()) == {
        "municipal": 121,
        "independent": 14,
    }
    in_kalmar = [r for r in stored.values() if r["municipality_code"] == "0880"]
    assert len(in_kalmar) == 27
    total = sum(
        (r["pupils_preschool_class"] or 0) + (r["pupils_grades_1_9"] or 0) for r in in_kalmar
    )
    assert total == 8_481


def test_municipality_filter_combines_with_county(session):
    raw = shared_file(*RAW)
    report = import_pupils(session, raw, municipality=["0880", "0881", "0999"])
    session.commit()
    assert report.created == {"municipality": 2, "school": 27 + 14, "school_year": 27 + 14}
    assert {(w.column, w.value, w.code) for w in report.warnings} == {
        ("--municipality", "0999", "unknown_municipality")
    }
    # both filters apply: Ale is not in Kalmar län
    none = import_pupils(session, raw, municipality=["1440"], county="08")
    assert none.notes["schools"] == 0
    assert none.created == {"municipality": 0, "school": 0, "school_year": 0}


def test_year_override(session):
    raw = shared_file(*RAW)
    report = import_pupils(session, raw, year=2022, municipality=["0880"])
    session.commit()
    assert report.notes["year"] == 2022
    assert report.notes["school_year"] == "2022/23"
    assert report.notes["school_year_in_file"] == "2023/24"
    years = session.execute(sa.select(SchoolYear.year)).scalars().all()
    assert years == [2022] * 27
    # the file's own year adds a second school year; the schools are unchanged
    second = import_pupils(session, raw, municipality=["0880"])
    session.commit()
    assert second.created == {"municipality": 0, "school": 0, "school_year": 27}
    assert second.unchanged["school"] == 27
    assert Counter(session.execute(sa.select(SchoolYear.year)).scalars()) == {2022: 27, 2023: 27}


@pytest.mark.parametrize(
    ("options", "column", "code"),
    [
        ({"county": "99"}, "--county", "allowed"),
        ({"county": "8"}, "--county", "allowed"),
        ({"municipality": ["880"]}, "--municipality", "municipality_code"),
        ({"year": 1800}, "--year", "year"),
    ],
)
def test_bad_options_are_rejected(session, tmp_path, options, column, code):
    path = tmp_path / "elever.csv"
    path.write_bytes(synthetic_file())
    with pytest.raises(ImportRejectedError) as caught:
        import_pupils(session, path, **options)
    assert [(p.column, p.code) for p in caught.value.errors] == [(column, code)]


# --------------------------------------------------------------------------- a synthetic file

PREAMBLE = [
    "Statistik från Skolverket, https://www.skolverket.se",
    "",
    "Grundskola - Antal elever per årskurs",
    "Valt läsår: 2023/24",
    "",
]
#: fictional school units in the raw layout; line 7 is the first data row
ROWS = [
    "Åsköns skola;99000001;Ale;1440;Kommunal;Ale kommun;2120001439;22;..;261;47,5;4,6;70,1;"
    "22;25;22;23;25;47;25;24;48",
    "Ängsö friskola;99000002;Ale;1440;Enskild;Ängsö Friskola AB;5560000001;.;.;195;49,7;~100;"
    "57,4;.;.;.;65;65;65;.;.;.",
    "Östra skolan;99000003;Kalmar;0880;Kommunal;Kalmar kommun;2120000000;45;48,9;1 018;50,8;"
    "..;66,3;110;110;110;112;112;112;118;117;117",
    "Norra skolan;99000004;Kalmar;0880;Kommunal;Kalmar kommun;2120000000;..;.;30;..;..;..;"
    "..;10;10;.;.;.;.;.;.",
]
NOTES = ["", "Rapportbeskrivning och definitioner etc.", "Uppgifterna avser oktober."]


def synthetic_lines() -> list[str]:
    return [*PREAMBLE, ";".join(HEADER) + ";", *(row + ";" for row in ROWS), *NOTES]


def encode(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def synthetic_file() -> bytes:
    return encode(synthetic_lines())


def set_field(lines: list[str], line: int, header: str, value: str) -> list[str]:
    """Replace one cell; ``line`` is the 1-based line number in the file."""
    lines = list(lines)
    cells = lines[line - 1].split(";")
    cells[HEADER.index(header)] = value
    lines[line - 1] = ";".join(cells)
    return lines


def drop_column(lines: list[str], header: str) -> list[str]:
    index = HEADER.index(header)
    out = []
    for number, line in enumerate(lines, start=1):
        if 6 <= number <= 6 + len(ROWS):
            cells = line.split(";")
            del cells[index]
            line = ";".join(cells)
        out.append(line)
    return out


def test_synthetic_file_values(session, tmp_path):
    path = tmp_path / "elever.csv"
    path.write_bytes(synthetic_file())
    report = import_pupils(session, path)
    session.commit()
    assert report.created == {"municipality": 2, "school": 4, "school_year": 4}
    stored = db_rows(session)
    east = stored["99000003"]
    assert east["pupils_grades_1_9"] == 1018  # "1 018"
    assert east["share_foreign_background"] is None  # ".."
    assert east["share_parents_post_secondary"] == pytest.approx(0.663)
    assert stored["99000002"]["share_foreign_background"] == 1.0  # "~100"
    assert stored["99000002"]["organiser_type"] == "independent"
    assert stored["99000002"]["pupils_preschool_class"] is None  # "."
    north = stored["99000004"]
    assert north["pupils_preschool_class"] is None and north["pupils_grade_1"] is None  # ".."
    assert north["has_preschool_class"] and north["has_grades_1_3"]  # suppressed means pupils
    assert not north["has_grades_4_6"] and not north["has_grades_7_9"]
    assert report.notes["suppressed_pupil_counts"] == 2
    assert report.notes["suppressed_need_shares"] == 3
    assert report.notes["approximate_need_shares"] == 1
    assert report.notes["pupils_total"] == 22 + 261 + 195 + 45 + 1018 + 30
    assert sorted((w.row, w.column, w.code) for w in report.warnings) == [
        (10, PRESCHOOL, "suppressed"),
        (10, GRADE[0], "suppressed"),
    ]
    assert stored["99000001"]["name"] == "Åsköns skola"
    assert stored["99000001"]["county"] == "Västra Götalands län"


def test_updates_keep_municipality_names_and_stage_flags(session, tmp_path):
    ale = writes.add(
        session,
        Municipality,
        {"code": "1440", "name": "Ale kommun", "county_code": "14", "county": "Västra Götaland"},
    )
    district = writes.add(session, District, {"municipality_id": ale.id, "name": "Nödinge"})
    writes.add(
        session,
        School,
        {
            "school_unit_code": "99000001",
            "name": "Åsköns skola",
            "municipality_id": ale.id,
            "district_id": district.id,
            "organiser_type": "municipal",
            "organiser": "Ale kommun",
            "has_grades_7_9": True,
            "has_adapted": True,
        },
    )
    session.commit()
    path = tmp_path / "elever.csv"
    path.write_bytes(synthetic_file())
    first = import_pupils(session, path)
    session.commit()
    assert first.created == {"municipality": 1, "school": 3, "school_year": 4}
    assert first.unchanged["municipality"] == 1
    # the existing school: flags from the file are set, the others stay
    assert first.updated["school"] == 1
    school = session.execute(sa.select(School).where(School.school_unit_code == "99000001")).one()[
        0
    ]
    session.refresh(school)
    assert school.has_preschool_class and school.has_grades_1_3 and school.has_grades_7_9
    assert school.has_adapted and school.district_id == district.id
    assert session.get(Municipality, ale.id).name == "Ale kommun"

    # a newer download: one name and one count changed, one school moved to Kalmar
    lines = set_field(synthetic_lines(), 8, "Skola", "Ängsö friskola F-9")
    lines = set_field(lines, 9, "Elever, årskurs 4", "113")
    lines = set_field(lines, 7, "Kommun-kod", "0880")
    path.write_bytes(encode(lines))
    second = import_pupils(session, path)
    session.commit()
    assert second.created == {"municipality": 0, "school": 0, "school_year": 0}
    assert second.updated == {"municipality": 0, "school": 2, "school_year": 1}
    assert second.unchanged == {"municipality": 2, "school": 2, "school_year": 3}
    stored = db_rows(session)
    assert stored["99000002"]["name"] == "Ängsö friskola F-9"
    assert stored["99000003"]["pupils_grade_4"] == 113
    assert stored["99000001"]["municipality_code"] == "0880"
    session.refresh(school)
    assert school.district_id is None  # a district belongs to the old municipality
    before = database_fingerprint(session)
    third = import_pupils(session, path)
    session.commit()
    assert third.updated == {"municipality": 0, "school": 0, "school_year": 0}
    assert database_fingerprint(session) == before


def test_dry_run_writes_nothing_even_if_the_caller_commits(session, engine, tmp_path):
    path = tmp_path / "elever.csv"
    path.write_bytes(synthetic_file())
    before = fingerprint(engine)
    report = import_pupils(session, path, dry_run=True)
    session.commit()
    assert report.dry_run
    assert report.created == {"municipality": 2, "school": 4, "school_year": 4}
    assert fingerprint(engine) == before


def test_a_failed_write_leaves_nothing_behind(session, engine, tmp_path, monkeypatch):
    path = tmp_path / "elever.csv"
    path.write_bytes(synthetic_file())
    add_all = writes.add_all

    def failing(session, model, rows):
        if model is SchoolYear:
            problem = Problem("school_year", "pupils_grade_1", -1, "a value of 0 or more", row=2)
            raise InventoryValidationError([problem])
        return add_all(session, model, rows)

    monkeypatch.setattr(pupils.writes, "add_all", failing)
    before = fingerprint(engine)
    with pytest.raises(ImportRejectedError) as caught:
        import_pupils(session, path)
    session.commit()  # even a commit by the caller keeps nothing: the import rolled itself back
    assert fingerprint(engine) == before
    [problem] = caught.value.errors
    assert (problem.row, problem.column, problem.code) == (8, GRADE[0], "database")


def test_cp1252_file_is_decoded(session, tmp_path):
    path = tmp_path / "elever.csv"
    path.write_bytes(encode(synthetic_lines(), "cp1252"))
    import_pupils(session, path)
    session.commit()
    stored = db_rows(session)
    assert stored["99000001"]["name"] == "Åsköns skola"
    assert stored["99000002"]["organiser"] == "Ängsö Friskola AB"
    assert stored["99000003"]["name"] == "Östra skolan"


def test_header_case_and_spacing_are_tolerated(session, tmp_path):
    lines = synthetic_lines()
    lines[5] = ";".join(f" {h.upper()}  " for h in HEADER).replace(", ", ",  ") + ";"
    path = tmp_path / "elever.csv"
    path.write_bytes(encode(lines))
    report = import_pupils(session, path)
    assert report.created["school"] == 4


# --------------------------------------------------------------------------- bad input

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256))


def _truncated_quoted(lines: list[str]) -> bytes:
    cells = lines[8].split(";")
    cut = ";".join(cells[:5]) + ';"Kalmar kom'
    return encode([*lines[:8], cut])


def _truncated_first_field(lines: list[str]) -> bytes:
    return encode([*lines[:8], '"Östra sk'])


#: name -> (make file bytes from the synthetic lines, row, column, message code)
BAD: dict[str, tuple[Callable[[list[str]], bytes], int | None, str | None, str]] = {
    "nine_digit_school_code": (
        lambda lines: encode(set_field(lines, 8, "Skol-enhetskod", "990000021")),
        8,
        "Skol-enhetskod",
        "school_unit_code",
    ),
    "three_digit_municipality_code": (
        lambda lines: encode(set_field(lines, 9, "Kommun-kod", "880")),
        9,
        "Kommun-kod",
        "municipality_code",
    ),
    "unknown_county": (
        lambda lines: encode(set_field(lines, 9, "Kommun-kod", "9980")),
        9,
        "Kommun-kod",
        "allowed",
    ),
    "text_in_count": (
        lambda lines: encode(set_field(lines, 9, "Elever, årskurs 3", "tjugo")),
        9,
        "Elever, årskurs 3",
        "integer",
    ),
    "fraction_in_count": (
        lambda lines: encode(set_field(lines, 7, GRADES, "261,5")),
        7,
        GRADES,
        "integer",
    ),
    "negative_count": (
        lambda lines: encode(set_field(lines, 10, GRADES, "-3")),
        10,
        GRADES,
        "non_negative",
    ),
    "percentage_120": (
        lambda lines: encode(set_field(lines, 7, FOREIGN, "120,0")),
        7,
        FOREIGN,
        "percent",
    ),
    "unknown_organiser_type": (
        lambda lines: encode(set_field(lines, 8, "Typ av huvudman", "Kyrklig")),
        8,
        "Typ av huvudman",
        "allowed",
    ),
    "empty_school_name": (
        lambda lines: encode(set_field(lines, 8, "Skola", "")),
        8,
        "Skola",
        "required",
    ),
    "missing_school_year": (
        lambda lines: encode([line for line in lines if not line.startswith("Valt")]),
        None,
        "Valt läsår",
        "school_year",
    ),
    "malformed_school_year": (
        lambda lines: encode([*lines[:3], "Valt läsår: 2023/25", *lines[4:]]),
        4,
        None,
        "school_year",
    ),
    "comma_separator": (
        lambda lines: encode([*lines[:5], ",".join(HEADER), *lines[6:]]),
        6,
        None,
        "separator",
    ),
    "missing_column": (
        lambda lines: encode(drop_column(lines, "Kommun-kod")),
        6,
        None,
        "missing_column",
    ),
    "duplicate_school_code": (
        lambda lines: encode(set_field(lines, 10, "Skol-enhetskod", "99000001")),
        10,
        "Skol-enhetskod",
        "duplicate_in_file",
    ),
    "empty_file": (lambda lines: b"", None, None, "empty_file"),
    "header_only": (lambda lines: encode(lines[:6]), None, None, "no_rows"),
    "field_count": (
        lambda lines: encode([*lines[:8], "Kort rad;99000009;Ale;1440", *lines[8:]]),
        9,
        None,
        "field_count",
    ),
    "truncated_in_quoted_field": (_truncated_quoted, None, None, "truncated"),
    "truncated_in_quoted_first_field": (_truncated_first_field, 9, None, "truncated"),
    "png": (lambda lines: PNG, None, None, "not_text"),
    "zip": (lambda lines: ZIP, None, None, "not_text"),
    "formula": (
        lambda lines: encode(set_field(lines, 7, "Skola", '=HYPERLINK("http://x","y")')),
        7,
        "Skola",
        "formula",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_rejected_with_row_and_column(
    case, session, engine, database_url, tmp_path, capsys
):
    make, row, column, code = BAD[case]
    good = tmp_path / "elever.csv"
    good.write_bytes(synthetic_file())
    import_pupils(session, good, municipality=["1440"])  # something to leave unchanged
    session.commit()
    before = fingerprint(engine)

    bad = tmp_path / "trasig.csv"
    bad.write_bytes(make(synthetic_lines()))
    with pytest.raises(ImportRejectedError) as caught:
        import_pupils(session, bad)
    session.rollback()
    found = {(p.row, p.column, p.code) for p in caught.value.errors}
    assert (row, column, code) in found, found
    assert {p.file for p in caught.value.problems} == {"trasig.csv"}
    if case == "duplicate_school_code":
        [problem] = caught.value.errors
        assert problem.params == {"other_row": 7}
    if case == "missing_column":
        [problem] = caught.value.errors
        assert problem.params == {"column": "Kommun-kod"}
    assert fingerprint(engine) == before

    status = main(
        cli_argv(["--database-url", database_url, "import", "pupils", str(bad), "--lang", "en"])
    )
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "trasig.csv: file rejected, nothing saved." in err
    assert "Row" in err and "Column" in err and "Expected" in err
    if row is not None:
        assert str(row) in err
    if column is not None:
        assert column in err
    assert fingerprint(engine) == before


def test_bad_lines_in_the_real_file_head(session, engine, tmp_path):
    lines = shared_file(*RAW).read_bytes().decode("utf-8-sig").splitlines()[:16]
    good = tmp_path / "huvud.csv"
    good.write_bytes(encode(lines, "cp1252"))  # the real rows in Windows-1252: accepted
    report = import_pupils(session, good)
    session.commit()
    assert report.created["school"] == 10
    stored = db_rows(session)
    for row in csv.reader(lines[6:], delimiter=";"):
        assert stored[row[1]]["name"] == row[0]
        assert stored[row[1]]["organiser"] == row[5]  # å ä ö decoded correctly
    before = fingerprint(engine)
    bad = tmp_path / "trasig.csv"
    bad.write_bytes(
        encode(set_field(set_field(lines, 8, "Skol-enhetskod", "123456789"), 12, PARENTS, "120,0"))
    )
    with pytest.raises(ImportRejectedError) as caught:
        import_pupils(session, bad)
    session.rollback()
    assert {(p.row, p.column, p.code) for p in caught.value.errors} == {
        (8, "Skol-enhetskod", "school_unit_code"),
        (12, PARENTS, "percent"),
    }
    assert fingerprint(engine) == before


# --------------------------------------------------------------------------- the command line


def test_cli_end_to_end(database_url, engine, capsys):
    raw = shared_file(*RAW)
    args = ["--database-url", database_url, "import", "pupils", str(raw)]

    before = fingerprint(engine)
    assert main(cli_argv([*args, "--county", "08", "--dry-run", "--json"])) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True
    assert dry["created"] == {"municipality": 12, "school": 135, "school_year": 135}
    assert fingerprint(engine) == before

    assert main(cli_argv([*args, "--county", "08", "--json"])) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["dry_run"] is False
    assert done["created"] == dry["created"]
    assert done["notes"]["pupils_total"] == 27_526
    assert done["notes"]["school_year"] == "2023/24"
    with Session(engine) as session:
        assert table_counts(session)["school"] == 135

    assert main(cli_argv([*args, "--municipality", "0880", "--municipality", "0881"])) == 0
    out = capsys.readouterr().out
    assert "school: 0 nya, 0 ändrade, 41 oförändrade" in out
    assert "pupils_total" in out

    after = fingerprint(engine)
    assert main(cli_argv([*args, "--county", "08", "--lang", "en"])) == 0
    out = capsys.readouterr().out
    assert "school: 0 new, 0 updated, 135 unchanged" in out
    assert fingerprint(engine) == after
