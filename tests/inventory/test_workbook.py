"""The inventory workbook: template, export, import (xlsx and csv), round trip and bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.cli import main
from inventory import demo, writes
from inventory.importers import workbook
from inventory.importers.problems import MESSAGES, ImportRejectedError
from inventory.importers.workbook_schema import (
    INSTRUCTIONS_TITLES,
    LISTS_TITLE,
    SHEETS,
    SHEETS_BY_KEY,
)
from inventory.models import (
    ActionPlan,
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    School,
    SchoolYear,
)
from tests.helpers import cli_argv, database_fingerprint, ensure_cli_importer
from tests.inventory.factories import small_inventory

WORKBOOK_MODELS = (
    Municipality,
    District,
    School,
    SchoolYear,
    Library,
    LibrarySchool,
    LibraryYear,
    CollectionYear,
    ActionPlan,
)
DEMO_TABLES = tuple(model.__tablename__ for model in WORKBOOK_MODELS)


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _cli_importer_account(request: pytest.FixtureRequest) -> None:
    """The account CLI imports run as, created before a test reads the database's fingerprint."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
        ensure_cli_importer(request.getfixturevalue("database_url"))


def snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every workbook table's rows with ids replaced by natural keys (independent of the code
    under test), sorted."""
    municipality = dict(session.execute(sa.select(Municipality.id, Municipality.code)).all())
    district = {
        id_: (municipality[m], name)
        for id_, m, name in session.execute(
            sa.select(District.id, District.municipality_id, District.name)
        )
    }
    school = dict(session.execute(sa.select(School.id, School.school_unit_code)).all())
    library = {
        id_: (municipality[m], name)
        for id_, m, name in session.execute(
            sa.select(Library.id, Library.municipality_id, Library.name)
        )
    }
    resolve = {
        "municipality_id": municipality,
        "district_id": district,
        "school_id": school,
        "host_school_id": school,
        "library_id": library,
    }
    out = {}
    for model in WORKBOOK_MODELS:
        rows = []
        for row in session.execute(sa.select(model.__table__)).mappings():
            rows.append(
                tuple(
                    sorted(
                        (k, resolve[k][v] if k in resolve and v is not None else v)
                        for k, v in row.items()
                        if k != "id"
                    )
                )
            )
        out[model.__tablename__] = sorted(rows, key=repr)
    return out


def fingerprint(engine: Engine) -> str:
    with Session(engine) as session:
        return database_fingerprint(session)


def empty_database(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)


def cli(capsys: pytest.CaptureFixture, url: str, *args: str) -> tuple[int, str, str]:
    code = main(cli_argv(["--database-url", url, *args]))
    out, err = capsys.readouterr()
    return code, out, err


def column_letter(ws: Any, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def edit(path: Path, sheet: str, header: str, row: int, value: Any) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    ws.cell(row=row, column=column_letter(ws, header)).value = value
    book.save(path)


def problem_line(err: str, *parts: str) -> str:
    """The line of the CLI's problem table that names every part."""
    for line in err.splitlines():
        if all(part in line for part in parts):
            return line
    raise AssertionError(f"no problem line with {parts!r} in:\n{err}")


@pytest.fixture
def small(engine: Engine, tmp_path: Path) -> Path:
    """The small hand-made inventory in the database, and its export."""
    with Session(engine) as session:
        small_inventory(session)
        path = tmp_path / "inventering.xlsx"
        workbook.export_inventory(session, path)
    return path


# --------------------------------------------------------------------------- template


def test_template_sheets_headers_instructions_and_drop_downs(tmp_path):
    path = tmp_path / "mall.xlsx"
    workbook.write_template(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Instruktioner"
    for sheet in SHEETS:
        ws = book[sheet.sv]
        assert [c.value for c in ws[1]] == [c.sv for c in sheet.columns]
        assert ws.max_row == 1
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
    assert set(book.sheetnames) == {
        "Instruktioner",
        LISTS_TITLE,
        *(sheet.sv for sheet in SHEETS),
    }
    assert {"skolenheter", "bibliotek", "biblioteksår", "bestånd", "handlingsplaner"} <= set(
        book.sheetnames
    )
    assert book[LISTS_TITLE].sheet_state == "hidden"

    rows = [
        " | ".join(str(v) for v in row if v)
        for row in book["Instruktioner"].iter_rows(values_only=True)
    ]
    text = "\n".join(rows)
    # every column of every sheet is described, in both languages
    for sheet in SHEETS:
        for column in sheet.columns:
            assert any(
                f"{sheet.sv} | {sheet.en} | {column.sv} | {column.en}" in row for row in rows
            ), (sheet.key, column.field)
    assert "hyllmeter × 40" in text and "shelf-metres × 40" in text
    assert "Läromedel och klassuppsättningar räknas inte" in text
    assert "Textbooks and class sets are excluded" in text
    teacher = next(row for row in rows if "timmar lärarbibliotekarie" in row)
    assert "KB räknar lärarbibliotekarier som biblioteksassistenter (Arsverke02)" in teacher
    assert "KB counts teacher-librarians as library assistants (Arsverke02)" in teacher
    lis = next(row for row in rows if "timmar bibliotekarie med BoI-examen" in row)
    assert "Arsverke01" in lis and "timmar per vecka" in lis

    # drop-down lists for every coded and yes/no column, pointing at the labels
    lists = book[LISTS_TITLE]
    for sheet in SHEETS:
        ws = book[sheet.sv]
        validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(sheet.columns, start=1):
            if column.kind not in {"choice", "boolean"}:
                continue
            letter = openpyxl.utils.get_column_letter(index)
            dv = validations[f"{letter}2"]
            assert dv.type == "list"
            match = re.fullmatch(r"'listor'!\$([A-Z]+)\$1:\$\1\$(\d+)", dv.formula1)
            assert match, dv.formula1
            labels = [lists[f"{match.group(1)}{r}"].value for r in range(1, int(match[2]) + 1)]
            assert labels == column.labels("sv")
    kinds = SHEETS_BY_KEY["libraries"].column("kind").labels("sv")
    assert kinds == [
        "eget skolbibliotek",
        "delat med andra skolenheter",
        "integrerat med folkbiblioteket",
        "folkbibliotek (särskilda skäl)",
        "bokrum",
        "inget bibliotek",
    ]
    hours = {str(dv.sqref): dv for dv in book["biblioteksår"].data_validations.dataValidation}
    lis_letter = openpyxl.utils.get_column_letter(
        column_letter(book["biblioteksår"], "timmar bibliotekarie med BoI-examen")
    )
    dv = hours[f"{lis_letter}2:{lis_letter}1048576"]
    assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "168")


def test_template_is_deterministic_and_english(tmp_path):
    def cells(path: Path) -> list:
        book = openpyxl.load_workbook(path)
        return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]

    workbook.write_template(tmp_path / "a.xlsx")
    workbook.write_template(tmp_path / "b.xlsx")
    assert cells(tmp_path / "a.xlsx") == cells(tmp_path / "b.xlsx")

    workbook.write_template(tmp_path / "en.xlsx", lang="en")
    book = openpyxl.load_workbook(tmp_path / "en.xlsx")
    assert book.sheetnames[0] == INSTRUCTIONS_TITLES["en"]
    libraries = book["libraries"]
    assert [c.value for c in libraries[1]][:3] == ["name", "municipality code", "kind"]


def test_cli_writes_template(tmp_path, capsys):
    out = tmp_path / "sub" / "mall.xlsx"
    assert main(["template", "inventory", "--out", str(out)]) == 0
    assert "Mall skriven" in capsys.readouterr().out
    assert "bestånd" in openpyxl.load_workbook(out).sheetnames


# --------------------------------------------------------------------------- round trip


def test_demo_round_trip_into_empty_database(engine, tmp_path):
    tables = demo.generate()
    with Session(engine) as session:
        demo.load(session, {name: tables[name] for name in DEMO_TABLES})
        session.commit()
        before = snapshot(session)
        counts = workbook.export_inventory(session, tmp_path / "backup.xlsx")
    assert counts["collections"] == len(tables["collection_year"])
    assert all(before[name] for name in DEMO_TABLES)

    empty_database(engine)
    with Session(engine) as session:
        report = workbook.import_inventory(session, tmp_path / "backup.xlsx")
        session.commit()
        assert snapshot(session) == before
    assert report.created == {name: len(before[name]) for name in DEMO_TABLES}
    assert report.warnings  # the public library's own staff are not in the inventory
    assert {w.code for w in report.warnings} == {"staffed_above_open"}

    # the same file again: nothing changes
    once = fingerprint(engine)
    with Session(engine) as session:
        again = workbook.import_inventory(session, tmp_path / "backup.xlsx")
        session.commit()
    assert fingerprint(engine) == once
    assert sum(again.created.values()) == sum(again.updated.values()) == 0
    assert again.unchanged == report.created


def test_english_export_round_trip_and_update(engine, small, tmp_path):
    with Session(engine) as session:
        before = snapshot(session)
        workbook.export_inventory(session, tmp_path / "en.xlsx", lang="en")
    book = openpyxl.load_workbook(tmp_path / "en.xlsx")
    assert [c.value for c in book["library_years"][1]][:3] == [
        "library",
        "municipality code",
        "year",
    ]
    empty_database(engine)
    with Session(engine) as session:
        workbook.import_inventory(session, tmp_path / "en.xlsx")
        session.commit()
        assert snapshot(session) == before

    # an edited cell updates that row; an emptied cell clears the value
    edit(small, "bestånd", "antal medier", 2, 450)
    edit(small, "bestånd", "medianutgivningsår", 4, None)
    with Session(engine) as session:
        report = workbook.import_inventory(session, small)
        session.commit()
        assert report.updated["collection_year"] == 2
        assert sum(report.updated.values()) == 2
        rows = session.execute(
            sa.select(
                Library.name,
                CollectionYear.category,
                CollectionYear.items,
                CollectionYear.median_publication_year,
            )
            .join(Library)
            .order_by(Library.name, CollectionYear.category)
        ).all()
    assert rows[0] == ("Almskolans bokrum", "fiction", 450, None)
    assert rows[1][3] is None  # Ekbiblioteket e-books never had one
    assert rows[2] == ("Ekbiblioteket", "fiction", 3000, None)


def test_csv_single_sheet_swedish_and_english(engine, tmp_path):
    with Session(engine) as session:
        small_inventory(session)
    schools = tmp_path / "nya.csv"
    schools.write_text(
        "skolenhetskod;Namn;KOMMUNKOD;typ av huvudman;skolområde;åk 4–6;x;y\n"
        "99110009;Lindskolan;9911;enskild;Norr;ja;580100,5;6300100\n",
        encoding="utf-8",
    )
    years = tmp_path / "timmar.csv"
    years.write_text(
        "library,municipality code,year,hours LIS-qualified librarian,open staffed all pupils\n"
        'Ekbiblioteket,9911,2025,"12,5",10\n',
        encoding="cp1252",
    )
    with Session(engine) as session:
        first = workbook.import_inventory(session, schools)
        second = workbook.import_inventory(session, years)
        session.commit()
        school = session.execute(
            sa.select(School).where(School.school_unit_code == "99110009")
        ).scalar_one()
        assert (school.name, school.organiser_type, school.has_grades_4_6) == (
            "Lindskolan",
            "independent",
            True,
        )
        assert school.x == 580100.5 and school.has_grades_7_9 is False
        assert session.get(District, school.district_id).name == "Norr"
        year = session.execute(sa.select(LibraryYear).where(LibraryYear.year == 2025)).scalar_one()
        assert (year.hours_lis_librarian, year.open_hours_staffed_all) == (12.5, 10.0)
    assert first.created == {"school": 1}
    assert second.created == {"library_year": 1}


def test_dry_run_validates_and_keeps_nothing(engine, small, database_url, capsys):
    edit(small, "biblioteksår", "timmar lärarbibliotekarie", 4, 7)
    edit(small, "bestånd", "antal medier", 2, 999)
    before = fingerprint(engine)
    code, out, err = cli(capsys, database_url, "import", "inventory", str(small), "--dry-run")
    assert code == 0, err
    assert "Provkörning" in out and "1 ändrade" in out
    assert fingerprint(engine) == before
    code, out, _ = cli(capsys, database_url, "import", "inventory", str(small), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["updated"]["library_year"] == summary["updated"]["collection_year"] == 1
    assert summary["dry_run"] is False
    assert fingerprint(engine) != before


def test_warnings_are_listed_but_do_not_block(engine, small, database_url, capsys):
    # Ekbiblioteket 2024 (row 4): 20 staff hours, now 30 staffed open hours
    edit(small, "biblioteksår", "öppet bemannat för alla elever", 4, 30)
    code, out, err = cli(capsys, database_url, "import", "inventory", str(small))
    assert code == 0, err
    line = problem_line(out, "varning", "biblioteksår", "4", "öppet bemannat för alla elever")
    assert "30 > 20" in line
    with Session(engine) as session:
        hours = session.execute(
            sa.select(LibraryYear.open_hours_staffed_all)
            .where(LibraryYear.year == 2024)
            .join(Library)
            .where(Library.name == "Ekbiblioteket")
        ).scalar_one()
    assert hours == 30


def test_formula_text_is_exported_as_text_and_rejected_on_import(engine, tmp_path):
    with Session(engine) as session:
        ids = small_inventory(session)
        link = session.get(LibrarySchool, (ids["ekbib"], ids["gran"]))
        link.special_reasons = '=HYPERLINK("http://x.example")'
        session.commit()
        workbook.export_inventory(session, tmp_path / "x.xlsx")
        book = openpyxl.load_workbook(tmp_path / "x.xlsx")
        ws = book["bibliotek_skolenheter"]
        cell = next(c for c in ws["D"] if c.value and str(c.value).startswith("="))
        assert cell.data_type == "s" and cell.quotePrefix
        with pytest.raises(ImportRejectedError) as caught:
            workbook.import_inventory(session, tmp_path / "x.xlsx")
    assert [p.code for p in caught.value.errors] == ["formula"]


# --------------------------------------------------------------------------- bad input


def _set(sheet: str, header: str, row: int, value: Any) -> Callable[[Path], None]:
    return lambda path: edit(path, sheet, header, row, value)


def _append_copy(sheet: str, row: int) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        book = openpyxl.load_workbook(path)
        ws = book[sheet]
        ws.append([cell.value for cell in ws[row]])
        book.save(path)

    return change


def _add_column(sheet: str, header: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        book = openpyxl.load_workbook(path)
        ws = book[sheet]
        ws.cell(row=1, column=ws.max_column + 1).value = header
        ws.cell(row=2, column=ws.max_column).value = "blå"
        book.save(path)

    return change


def _drop_column(sheet: str, header: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        book = openpyxl.load_workbook(path)
        ws = book[sheet]
        ws.delete_cols(column_letter(ws, header))
        book.save(path)

    return change


def _replace(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _empty_workbook(path: Path) -> None:
    openpyxl.Workbook().save(path)


def _header_only(path: Path) -> None:
    workbook.write_template(path)


H = "timmar lärarbibliotekarie"
# (change, sheet, row, column, message code); row/column None where the problem has none
BAD_INPUT = {
    "negative hours": (_set("biblioteksår", H, 3, -3), "biblioteksår", 3, H, "range"),
    "hours 169": (_set("biblioteksår", H, 3, 169), "biblioteksår", 3, H, "range"),
    "text in number": (
        _set("biblioteksår", "utlån", 4, "många"),
        "biblioteksår",
        4,
        "utlån",
        "integer",
    ),
    "unknown school": (
        _set("elever", "skolenhetskod", 3, "99119999"),
        "elever",
        3,
        "skolenhetskod",
        "unknown_school",
    ),
    "9-digit code": (
        _set("skolenheter", "skolenhetskod", 2, "991100011"),
        "skolenheter",
        2,
        "skolenhetskod",
        "school_unit_code",
    ),
    "year 1800": (_set("biblioteksår", "år", 2, 1800), "biblioteksår", 2, "år", "year"),
    "duplicate row": (
        _append_copy("bestånd", 3),
        "bestånd",
        6,
        "bibliotek, kommunkod, år, kategori",
        "duplicate_in_file",
    ),
    "unknown header": (_add_column("bibliotek", "färg"), "bibliotek", 1, "färg", "unknown_column"),
    "missing column": (
        _drop_column("bibliotek", "typ"),
        "bibliotek",
        None,
        "typ",
        "missing_column",
    ),
    "unknown kind": (_set("bibliotek", "typ", 2, "slott"), "bibliotek", 2, "typ", "allowed"),
    "formula": (
        _set("skolenheter", "huvudman", 3, '=HYPERLINK("x")'),
        "skolenheter",
        3,
        "huvudman",
        "formula",
    ),
    "school moved": (
        _set("skolenheter", "kommunkod", 5, "9911"),
        "skolenheter",
        5,
        "kommunkod",
        "school_in_other_municipality",
    ),
    "unknown library": (
        _set("bestånd", "bibliotek", 2, "Slottsbiblioteket"),
        "bestånd",
        2,
        "bibliotek",
        "unknown_library",
    ),
    "pdf renamed": (
        _replace(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        None,
        None,
        None,
        "not_spreadsheet",
    ),
    "text renamed": (
        _replace(b"skolenhetskod;namn\n1;a\n"),
        None,
        None,
        None,
        "not_spreadsheet",
    ),
    "empty workbook": (_empty_workbook, None, None, None, "empty_file"),
    "header only": (_header_only, None, None, None, "no_rows"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_by_the_cli(case, engine, small, database_url, capsys):
    change, sheet, row, column, code = BAD_INPUT[case]
    change(small)
    before = fingerprint(engine)
    status, out, err = cli(capsys, database_url, "import", "inventory", str(small), "--lang", "sv")
    assert status == 2, out
    assert "filen avvisades, inget sparades" in err
    expected = MESSAGES["sv"][code].split("{")[0].strip()  # the message up to its first value
    if sheet is None:  # a problem with the whole file
        problem_line(err, small.name, expected)
    else:
        parts = [sheet, column] if row is None else [sheet, f" {row} ", column]
        problem_line(err, small.name, *parts, expected)
    assert fingerprint(engine) == before


def test_every_problem_of_every_sheet_is_reported_at_once(engine, small):
    edit(small, "biblioteksår", H, 3, -3)
    edit(small, "bibliotek", "typ", 2, "slott")
    edit(small, "elever", "år", 2, "tjugo")
    with Session(engine) as session, pytest.raises(ImportRejectedError) as caught:
        workbook.import_inventory(session, small)
    found = {(p.sheet, p.row, p.column, p.code) for p in caught.value.errors}
    assert found == {
        ("biblioteksår", 3, H, "range"),
        ("bibliotek", 2, "typ", "allowed"),
        ("elever", 2, "år", "integer"),
    }


def test_references_to_rows_in_the_same_file_and_rows_numbered_as_shown(engine, tmp_path):
    """A new municipality, school and library in one workbook; blank rows keep numbering."""
    path = tmp_path / "ny.xlsx"
    workbook.write_template(path)
    book = openpyxl.load_workbook(path)
    book["kommuner"].append(["0180", "Stockholm", "01", "Stockholms län", "nej", None])
    book["skolenheter"].append(["01800001", "Nyskolan", "0180", None, "kommunal"])
    book["bibliotek"].append(
        ["Nyskolans bibliotek", "0180", "eget skolbibliotek", "1 i skolans lokaler", "01800001"]
    )
    ws = book["bestånd"]
    ws.append(["Nyskolans bibliotek", "0180", 2025, "skönlitteratur", 100, 20])
    ws.append([])
    ws.append(["Nyskolans bibliotek", "0180", 2025, "facklitteratur", 10, 30])
    book.save(path)
    with Session(engine) as session, pytest.raises(ImportRejectedError) as caught:
        workbook.import_inventory(session, path)
    (problem,) = caught.value.errors
    assert (problem.sheet, problem.row, problem.column, problem.code) == (
        "bestånd",
        4,
        "medier utgivna senaste 10 åren",
        "recent_above_items",
    )
    edit(path, "bestånd", "medier utgivna senaste 10 åren", 4, 3)
    with Session(engine) as session:
        report = workbook.import_inventory(session, path)
        session.commit()
        library = session.execute(sa.select(Library)).scalar_one()
        assert session.get(School, library.host_school_id).school_unit_code == "01800001"
    assert report.created == {
        "municipality": 1,
        "school": 1,
        "library": 1,
        "collection_year": 2,
    }


def test_writes_go_through_the_write_boundary(engine, small, monkeypatch):
    """A problem found only at the write boundary rolls back every earlier sheet."""
    calls = []
    original = writes.add_all

    def failing(session, model, rows):
        calls.append(model.__tablename__)
        if model is LibraryYear:
            raise writes.InventoryValidationError(
                [writes.Problem("library_year", "loans", -1, "something else", 1)]
            )
        return original(session, model, rows)

    monkeypatch.setattr(workbook, "add_all", failing)
    edit(small, "kommuner", "kommunkod", 3, "9913")  # a new municipality is inserted first
    edit(small, "biblioteksår", "år", 4, 2030)  # a new library year fails
    before = fingerprint(engine)
    with Session(engine) as session:
        with pytest.raises(ImportRejectedError) as caught:
            workbook.import_inventory(session, small)
        session.rollback()
    assert calls == ["municipality", "library_year"]
    (problem,) = caught.value.errors
    assert (problem.sheet, problem.row, problem.column) == ("biblioteksår", 4, "utlån")
    assert fingerprint(engine) == before
