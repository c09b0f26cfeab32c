"""Importing Skolverket's "Grundskola – Slutbetyg årskurs 9, samtliga elever" (school units).

The real national file in ../shared/data/skolverket-raw is checked against an independent parse
written here with the plain ``csv`` module and hand-written number cleaning (not the project's
textfile helpers), and the county filter against the separately prepared Kalmar län extract in
../shared/data/skolverket-ak9-2025 (comma-separated, with its own integer column). Bad-input
cases use a small synthetic file in the same layout (fictional school units).
"""

from __future__ import annotations

import csv
import functools
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import repository, writes
from inventory.importers import results
from inventory.importers.problems import ImportRejectedError
from inventory.importers.pupils import import_pupils
from inventory.importers.results import import_results
from inventory.models import Municipality, School, SchoolResult, User
from inventory.writes import InventoryValidationError, Problem
from tests.conftest import shared_file
from tests.helpers import database_fingerprint, table_counts

RAW = ("skolverket-raw", "grundskola_slutbetyg_ak9_2024-25.csv")
KALMAR = ("skolverket-ak9-2025", "kalmar_lan_ak9_2024-25.csv")

PUPILS = "Antal elever"
ALL = "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen"
VOCATIONAL = "Andel (%) elever behöriga till yrkesprog."
MERIT = "Genomsnittligt meritvärde (17 ämnen)"
HEADER = [
    "Skola",
    "Skol-enhetskod",
    "Skolkommun",
    "Kommun-kod",
    "Typ av huvudman",
    "Huvudman",
    "Huvudman orgnr",
    PUPILS,
    ALL,
    VOCATIONAL,
    MERIT,
]


# --------------------------------------------------------------------------- independent parse


def count(text: str) -> int | None:
    """A published count: markers are None, '1 018' is 1018."""
    text = text.replace(" ", "").replace("\u00a0", "")
    return None if text in ("", ".", "..") else int(text)


def percent(text: str) -> float | None:
    """A published percentage as a fraction; '~100' is 100 %, markers are None."""
    if text in ("", ".", ".."):
        return None
    return float(text.lstrip("~").replace(",", ".")) / 100


def merit(text: str) -> float | None:
    return None if text in ("", ".", "..") else float(text.replace(",", "."))


@functools.cache
def independent_rows(path: Path) -> list[dict[str, str]]:
    """Data rows of the download: from the header to the first row without a school code."""
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Skola;Skol-enhetskod;"))
    header = lines[start].split(";")
    rows = []
    for fields in csv.reader(lines[start + 1 :], delimiter=";"):
        if not (len(fields[1]) == 8 and fields[1].isdigit()):
            break  # the blank line before Skolverket's notes
        rows.append(dict(zip(header, fields, strict=True)))
    return rows


def stored_results(session: Session) -> dict[str, dict]:
    """Every school result with its school unit and municipality, keyed by school unit code."""
    query = sa.select(
        School.school_unit_code,
        School.name,
        School.organiser_type,
        School.organiser,
        School.has_grades_7_9,
        Municipality.code.label("municipality_code"),
        Municipality.name.label("municipality_name"),
        SchoolResult.year,
        SchoolResult.pupils,
        SchoolResult.share_all_subjects,
        SchoolResult.share_eligible_vocational,
        SchoolResult.mean_merit_value,
        SchoolResult.suppressed,
    ).select_from(
        sa.join(School, Municipality, School.municipality_id == Municipality.id).join(
            SchoolResult, SchoolResult.school_id == School.id
        )
    )
    return {row.school_unit_code: row._asdict() for row in session.execute(query)}


def importer(engine: sa.Engine) -> list[str]:
    """``--user`` options of an account that may import (created in the database)."""
    with Session(engine) as session:
        writes.add(
            session,
            User,
            {"username": "importer", "display_name": "Import", "role": "projektledare"},
        )
        session.commit()
    return ["--user", "importer"]


def fingerprint(engine: sa.Engine) -> str:
    with Session(engine) as session:
        return database_fingerprint(session)


# --------------------------------------------------------------------------- the national file


def test_national_file_imports_in_full_and_twice_changes_nothing(session):
    path = shared_file(*RAW)
    rows = independent_rows(path)
    assert 1700 < len(rows) < 1800  # "about 1,750 school units" (SOURCE.md)
    assert len({row["Kommun-kod"] for row in rows}) == 290

    report = import_results(session, path)
    session.commit()
    assert report.created == {"municipality": 290, "school": len(rows), "school_result": len(rows)}
    assert report.updated == {"municipality": 0, "school": 0, "school_result": 0}
    counts = table_counts(session)
    assert (counts["school"], counts["school_result"], counts["municipality"]) == (
        len(rows),
        len(rows),
        290,
    )
    # läsår 2024/25 is stored as 2024, the pupils importer's convention
    assert report.notes["year"] == 2024 and report.notes["school_year"] == "2024/25"

    # totals and markers, independently
    pupils_by_municipality: dict[str, int] = defaultdict(int)
    for row in rows:
        pupils_by_municipality[row["Kommun-kod"]] += count(row[PUPILS]) or 0
    assert report.notes["pupils_total"] == sum(pupils_by_municipality.values())
    values = [PUPILS, ALL, VOCATIONAL, MERIT]
    assert report.notes["suppressed_values"] == sum(row[h] == ".." for row in rows for h in values)
    assert report.notes["suppressed_rows"] == sum(
        any(row[h] == ".." for h in values) for row in rows
    )
    approximate = sum(row[h].startswith("~") for row in rows for h in (ALL, VOCATIONAL))
    assert report.notes["approximate_shares"] == approximate > 300

    stored = stored_results(session)
    assert set(stored) == {row["Skol-enhetskod"] for row in rows}
    got_by_municipality: dict[str, int] = defaultdict(int)
    for got in stored.values():
        got_by_municipality[got["municipality_code"]] += got["pupils"] or 0
    assert got_by_municipality == pupils_by_municipality
    organiser = {"Kommunal": "municipal", "Enskild": "independent"}
    for row in rows:
        got = stored[row["Skol-enhetskod"]]
        assert got["name"] == row["Skola"]
        assert got["organiser_type"] == organiser[row["Typ av huvudman"]]
        assert got["organiser"] == row["Huvudman"]
        assert got["municipality_code"] == row["Kommun-kod"]
        assert got["year"] == 2024
        assert got["pupils"] == count(row[PUPILS])
        assert got["share_all_subjects"] == pytest.approx(percent(row[ALL]), abs=1e-9)
        assert got["share_eligible_vocational"] == pytest.approx(percent(row[VOCATIONAL]), abs=1e-9)
        assert got["mean_merit_value"] == pytest.approx(merit(row[MERIT]), abs=1e-9)
        assert bool(got["suppressed"]) == any(row[h] == ".." for h in values)
        assert bool(got["has_grades_7_9"]) == (row[PUPILS] == ".." or count(row[PUPILS]) > 0)

    # the same file again changes nothing
    before = database_fingerprint(session)
    again = import_results(session, path)
    session.commit()
    assert database_fingerprint(session) == before
    assert again.created == again.updated == {"municipality": 0, "school": 0, "school_result": 0}
    assert again.unchanged == {"municipality": 290, "school": len(rows), "school_result": len(rows)}


def test_county_filter_matches_the_kalmar_extract(session):
    raw = shared_file(*RAW)
    with shared_file(*KALMAR).open(encoding="utf-8", newline="") as handle:
        kalmar = list(csv.DictReader(handle))
    # the extract's own figures (SOURCE.md), checked first
    assert len(kalmar) == 39
    assert sum(int(r["antal_elever_ak9_int"] or 0) for r in kalmar) == 2_700

    report = import_results(session, raw, county="08")
    session.commit()
    assert report.notes["schools"] == 39 and report.notes["pupils_total"] == 2_700
    assert report.created == {"municipality": 12, "school": 39, "school_result": 39}
    stored = stored_results(session)
    assert set(stored) == {r["skolenhetskod"] for r in kalmar}
    by_municipality: dict[str, int] = defaultdict(int)
    for r in kalmar:
        got = stored[r["skolenhetskod"]]
        assert got["pupils"] == (
            int(r["antal_elever_ak9_int"]) if r["antal_elever_ak9_int"] else None
        )
        assert got["share_all_subjects"] == pytest.approx(percent(r["andel_uppfyllt_alla_amnen"]))
        assert got["share_eligible_vocational"] == pytest.approx(
            percent(r["andel_behoriga_yrkesprogram"])
        )
        assert got["mean_merit_value"] == pytest.approx(merit(r["meritvarde_17"]))
        by_municipality[got["municipality_name"]] += got["pupils"] or 0
    # SOURCE.md: "Kalmar kommun 879, Västervik 403, ..., Högsby 58"
    assert by_municipality["Kalmar"] == 879
    assert by_municipality["Västervik"] == 403
    assert by_municipality["Högsby"] == 58
    falkenberg = stored["99856371"]  # Falkenbergsskolan: 97;"90,7";"94,8";"247,4"
    assert (falkenberg["pupils"], falkenberg["mean_merit_value"]) == (97, 247.4)
    assert falkenberg["share_all_subjects"] == pytest.approx(0.907)
    assert stored["40648796"]["share_eligible_vocational"] == 1.0  # "~100"


def test_pupils_and_results_of_one_school_year_line_up(session, tmp_path):
    """Both importers store läsår 2024/25 as 2024: one school, one year, both tables."""
    pupils_file = tmp_path / "elever.csv"
    pupils_file.write_bytes(
        encode(
            [
                "Statistik från Skolverket, https://www.skolverket.se",
                "",
                "Grundskola - Antal elever per årskurs",
                "Valt läsår: 2024/25",
                "",
                "Skola;Skol-enhetskod;Skolkommun;Kommun-kod;Typ av huvudman;Huvudman;"
                "Huvudman orgnr;Elever, förskoleklass;Andel (%) flickor, förskoleklass;"
                "Elever, årskurs 1-9;Andel (%) flickor, årskurs 1-9;"
                "Andel (%) elever med utländsk bakgrund, åk 1-9;"
                "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9;"
                + ";".join(f"Elever, årskurs {g}" for g in range(1, 10))
                + ";",
                "Åsköns skola;99000001;Ale;1440;Kommunal;Ale kommun;2120001439;.;.;150;48,0;"
                "12,0;55,0;.;.;.;.;.;.;50;50;50;",
            ]
        )
    )
    import_pupils(session, pupils_file)
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    report = import_results(session, path)
    session.commit()
    assert report.notes["year"] == 2024
    frame = repository.school_frame(session)
    assert frame["year"].tolist() == [2024]
    result = repository.school_results(session, years=[2024])
    row = result[result["school_unit_code"] == "99000001"].iloc[0]
    assert row["year"] == 2024 and row["pupils"] == 48
    assert row["share_foreign_background"] == pytest.approx(0.12)


def test_year_override(session, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    report = import_results(session, path, year=2023)
    session.commit()
    assert report.notes["year"] == 2023
    assert report.notes["school_year"] == "2023/24"
    assert report.notes["school_year_in_file"] == "2024/25"
    second = import_results(session, path)
    session.commit()
    assert second.created == {"municipality": 0, "school": 0, "school_result": 4}
    years = session.execute(sa.select(SchoolResult.year)).scalars().all()
    assert sorted(years) == [2023] * 4 + [2024] * 4


# --------------------------------------------------------------------------- a synthetic file

PREAMBLE = [
    "Statistik från Skolverket, https://www.skolverket.se;;;;;;;;;;",
    ";;;;;;;;;;",
    "Grundskola - Slutbetyg årskurs 9, samtliga elever;;;;;;;;;;",
    "Valt läsår: 2024/25;;;;;;;;;;",
    ";;;;;;;;;;",
]
#: fictional school units in the raw layout; line 7 is the first data row
ROWS = [
    'Åsköns skola;99000001;Ale;1440;Kommunal;Ale kommun;2120001439;48;"72,9";"81,4";"221,6"',
    'Ängsö friskola;99000002;Ale;1440;Enskild;Ängsö Friskola AB;5560000001;26;"80,8";~100;"222,5"',
    "Östra skolan;99000003;Kalmar;0880;Kommunal;Kalmar kommun;2120000000;1 018;87;.;.",
    "Norra skolan;99000004;Kalmar;0880;Kommunal;Kalmar kommun;2120000000;..;..;..;..",
]
NOTES = [
    ";;;;;;;;;;",
    "Rapportbeskrivning och definitioner etc.  ;;;;;;;;;;",
    ";;;;;;;;;;",
    "Antal elever;Antal elever som har avslutat årskurs 9, dvs elever med slutbetyg;;;;;;;;;",
    ";Observera att om antalet EJ behöriga är 1-4, så visas andelen behöriga som ~100.;;;;;;;;;",
]


def synthetic_lines() -> list[str]:
    return [*PREAMBLE, ";".join(HEADER), *ROWS, *NOTES]


def encode(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def synthetic_file() -> bytes:
    return encode(synthetic_lines())


def set_field(lines: list[str], line: int, header: str, value: str) -> list[str]:
    """Replace one cell; ``line`` is the 1-based line number in the file."""
    lines = list(lines)
    cells = next(csv.reader([lines[line - 1]], delimiter=";"))
    cells[HEADER.index(header)] = value
    buffer: list[str] = []
    writer = csv.writer(_Lines(buffer), delimiter=";", lineterminator="")
    writer.writerow(cells)
    lines[line - 1] = buffer[0]
    return lines


class _Lines:
    def __init__(self, buffer: list[str]) -> None:
        self.buffer = buffer

    def write(self, text: str) -> None:
        self.buffer.append(text)


def test_synthetic_file_values(session, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    report = import_results(session, path)
    session.commit()
    assert report.created == {"municipality": 2, "school": 4, "school_result": 4}
    stored = stored_results(session)
    first = stored["99000001"]
    assert (first["pupils"], first["mean_merit_value"]) == (48, 221.6)
    assert first["share_all_subjects"] == pytest.approx(0.729)
    assert first["share_eligible_vocational"] == pytest.approx(0.814)
    assert not first["suppressed"]
    assert stored["99000002"]["share_eligible_vocational"] == 1.0  # "~100"
    assert stored["99000002"]["organiser_type"] == "independent"
    east = stored["99000003"]
    assert east["pupils"] == 1018  # "1 018"
    assert east["share_all_subjects"] == pytest.approx(0.87)
    assert east["share_eligible_vocational"] is None and east["mean_merit_value"] is None  # "."
    assert not east["suppressed"]  # "." is not suppression
    north = stored["99000004"]
    assert north["pupils"] is None and north["mean_merit_value"] is None
    assert north["suppressed"] and north["has_grades_7_9"]  # ".." means some leavers
    assert all(row["has_grades_7_9"] for row in stored.values())
    assert report.notes["suppressed_rows"] == 1
    assert report.notes["suppressed_values"] == 4
    assert report.notes["approximate_shares"] == 1
    assert report.notes["pupils_total"] == 48 + 26 + 1018
    assert report.warnings == []
    assert stored["99000001"]["municipality_name"] == "Ale"

    # the repository's read frame: filters by municipality and year, types kept
    kalmar = repository.school_results(session, years=[2024], municipalities=["0880"])
    assert kalmar["school_unit_code"].tolist() == ["99000003", "99000004"]
    assert kalmar["pupils"].dtype == "Int64" and kalmar["pupils"].isna().tolist() == [False, True]
    assert kalmar["suppressed"].tolist() == [False, True]
    assert kalmar["share_foreign_background"].isna().all()  # no school_year rows imported
    assert repository.school_results(session, years=[2023]).empty
    assert len(repository.school_results(session, municipalities="1440")) == 2


def test_existing_schools_keep_their_facts(session, tmp_path):
    kalmar = writes.add(
        session,
        Municipality,
        {"code": "0880", "name": "Kalmar kommun", "county_code": "08", "county": "Kalmar län"},
    )
    vaxjo = writes.add(
        session,
        Municipality,
        {"code": "0780", "name": "Växjö", "county_code": "07", "county": "Kronobergs län"},
    )
    writes.add(
        session,
        School,
        {
            "school_unit_code": "99000003",
            "name": "Östra skolan 7-9",
            "municipality_id": kalmar.id,
            "organiser_type": "municipal",
            "organiser": "Kalmar kommun",
        },
    )
    writes.add(
        session,
        School,
        {
            "school_unit_code": "99000001",
            "name": "Åsköns skola",
            "municipality_id": vaxjo.id,
            "organiser_type": "municipal",
            "has_grades_7_9": True,
        },
    )
    session.commit()
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    report = import_results(session, path)
    session.commit()
    assert report.created == {"municipality": 1, "school": 2, "school_result": 4}
    # the only change to an existing school: year-9 leavers set has_grades_7_9
    assert report.updated["school"] == 1 and report.unchanged["school"] == 1
    stored = stored_results(session)
    assert stored["99000003"]["name"] == "Östra skolan 7-9"
    assert stored["99000003"]["has_grades_7_9"]
    assert stored["99000003"]["municipality_name"] == "Kalmar kommun"  # not renamed
    # a school unit the database places in another municipality: kept there, with a warning
    assert stored["99000001"]["municipality_code"] == "0780"
    [warning] = report.warnings
    assert (warning.row, warning.column, warning.value, warning.code) == (
        7,
        "Kommun-kod",
        "1440",
        "school_in_other_municipality",
    )
    assert warning.params == {"municipality": "0780"} and warning.severity == "warning"


def test_a_newer_download_updates_the_results(session, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    import_results(session, path)
    session.commit()
    lines = set_field(synthetic_lines(), 7, MERIT, "225,0")
    lines = set_field(lines, 10, PUPILS, "9")
    path.write_bytes(encode(lines))
    report = import_results(session, path)
    session.commit()
    assert report.updated == {"municipality": 0, "school": 0, "school_result": 2}
    assert report.unchanged["school_result"] == 2
    stored = stored_results(session)
    assert stored["99000001"]["mean_merit_value"] == 225.0
    assert stored["99000004"]["pupils"] == 9 and stored["99000004"]["suppressed"]
    before = database_fingerprint(session)
    import_results(session, path)
    session.commit()
    assert database_fingerprint(session) == before


def test_dry_run_writes_nothing_even_if_the_caller_commits(session, engine, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    before = fingerprint(engine)
    report = import_results(session, path, dry_run=True)
    session.commit()
    assert report.dry_run
    assert report.created == {"municipality": 2, "school": 4, "school_result": 4}
    assert fingerprint(engine) == before


def test_a_failed_write_leaves_nothing_behind(session, engine, tmp_path, monkeypatch):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    add_all = writes.add_all

    def failing(session, model, rows):
        if model is SchoolResult:
            problem = Problem("school_result", "mean_merit_value", 400, "0 to 340", row=2)
            raise InventoryValidationError([problem])
        return add_all(session, model, rows)

    monkeypatch.setattr(results.writes, "add_all", failing)
    before = fingerprint(engine)
    with pytest.raises(ImportRejectedError) as caught:
        import_results(session, path)
    session.commit()  # the import rolled itself back: a commit keeps nothing
    assert fingerprint(engine) == before
    [problem] = caught.value.errors
    assert (problem.row, problem.column, problem.code) == (8, MERIT, "database")


def test_cp1252_file_and_a_file_without_notes(session, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(encode([*PREAMBLE, ";".join(HEADER), *ROWS], "cp1252"))
    report = import_results(session, path)
    session.commit()
    assert report.created["school_result"] == 4
    assert stored_results(session)["99000002"]["organiser"] == "Ängsö Friskola AB"


def test_a_municipality_in_the_database_is_accepted_whatever_its_county(session, tmp_path):
    """The demo's fictional municipalities (county 99) take results; a new 99xx code does not."""
    writes.add(
        session,
        Municipality,
        {"code": "9901", "name": "Exempelkommun", "county_code": "99", "county": "Exempellän"},
    )
    session.commit()
    lines = set_field(set_field(synthetic_lines(), 7, "Kommun-kod", "9901"), 7, "Skolkommun", "X")
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(encode(lines))
    report = import_results(session, path)
    session.commit()
    assert report.created["municipality"] == 2 and report.unchanged["municipality"] == 1
    first = stored_results(session)["99000001"]
    assert (first["municipality_code"], first["municipality_name"]) == ("9901", "Exempelkommun")
    path.write_bytes(encode(set_field(lines, 8, "Kommun-kod", "9902")))
    with pytest.raises(ImportRejectedError) as caught:
        import_results(session, path)
    assert [(p.row, p.value, p.code) for p in caught.value.errors] == [(8, "9902", "allowed")]


# --------------------------------------------------------------------------- bad input

#: name -> (make file bytes from the synthetic lines, row, column, message code)
BAD: dict[str, tuple[Callable[[list[str]], bytes], int | None, str | None, str]] = {
    "text_in_pupils": (
        lambda lines: encode(set_field(lines, 7, PUPILS, "fyrtio")),
        7,
        PUPILS,
        "integer",
    ),
    "negative_pupils": (
        lambda lines: encode(set_field(lines, 8, PUPILS, "-3")),
        8,
        PUPILS,
        "non_negative",
    ),
    "percentage_120": (
        lambda lines: encode(set_field(lines, 7, ALL, "120,0")),
        7,
        ALL,
        "percent",
    ),
    "merit_above_340": (
        lambda lines: encode(set_field(lines, 8, MERIT, "341,5")),
        8,
        MERIT,
        "range",
    ),
    "merit_as_text": (
        lambda lines: encode(set_field(lines, 8, MERIT, "högt")),
        8,
        MERIT,
        "number",
    ),
    "nine_digit_school_code": (
        lambda lines: encode(set_field(lines, 8, "Skol-enhetskod", "990000021")),
        8,
        "Skol-enhetskod",
        "school_unit_code",
    ),
    "duplicate_school_code": (
        lambda lines: encode(set_field(lines, 10, "Skol-enhetskod", "99000001")),
        10,
        "Skol-enhetskod",
        "duplicate_in_file",
    ),
    "missing_merit_column": (
        lambda lines: encode(
            [";".join(c for i, c in enumerate(line.split(";")) if i != 10) for line in lines]
        ),
        6,
        None,
        "missing_column",
    ),
    "girls_only_selection": (
        lambda lines: encode(
            [*lines[:2], "Grundskola - Slutbetyg årskurs 9, flickor;;;", *lines[3:]]
        ),
        3,
        None,
        "allowed",
    ),
    "missing_school_year": (
        lambda lines: encode([line for line in lines if not line.startswith("Valt")]),
        None,
        "Valt läsår",
        "school_year",
    ),
    "comma_separator": (
        lambda lines: encode([*lines[:5], ",".join(HEADER), *lines[6:]]),
        6,
        None,
        "separator",
    ),
    "row_cut_off_at_the_end": (
        lambda lines: encode([*lines[:9], "Norra skolan;99000004;Kalmar;0880"]),
        10,
        None,
        "field_count",
    ),
    "damaged_row_before_the_notes": (
        lambda lines: encode([*lines[:10], "Ny skola;9900;Kalmar;0880;;;;;;;", *lines[10:]]),
        11,
        "Skol-enhetskod",
        "school_unit_code",
    ),
    "unknown_county": (
        lambda lines: encode(set_field(lines, 9, "Kommun-kod", "9980")),
        9,
        "Kommun-kod",
        "allowed",
    ),
    "formula": (
        lambda lines: encode(set_field(lines, 7, "Skola", '=HYPERLINK("http://x","y")')),
        7,
        "Skola",
        "formula",
    ),
    "empty_file": (lambda lines: b"", None, None, "empty_file"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_rejected_with_row_and_column(
    case, session, engine, database_url, tmp_path, capsys
):
    make, row, column, code = BAD[case]
    bad = tmp_path / "trasig.csv"
    argv = ["--database-url", database_url, "import", "results", str(bad), "--lang", "en"]
    argv += importer(engine)
    good = tmp_path / "slutbetyg.csv"
    good.write_bytes(synthetic_file())
    import_results(session, good, municipality=["1440"])  # something to leave unchanged
    session.commit()
    before = fingerprint(engine)

    bad.write_bytes(make(synthetic_lines()))
    with pytest.raises(ImportRejectedError) as caught:
        import_results(session, bad)
    session.rollback()
    found = {(p.row, p.column, p.code) for p in caught.value.errors}
    assert (row, column, code) in found, found
    assert {p.file for p in caught.value.problems} == {"trasig.csv"}
    if case == "missing_merit_column":
        [problem] = caught.value.errors
        assert problem.params == {"column": MERIT}
    assert fingerprint(engine) == before

    status = main(argv)
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


def test_bad_year_option_is_rejected(session, tmp_path):
    path = tmp_path / "slutbetyg.csv"
    path.write_bytes(synthetic_file())
    with pytest.raises(ImportRejectedError) as caught:
        import_results(session, path, year=1800)
    assert [(p.column, p.code) for p in caught.value.errors] == [("--year", "year")]


# --------------------------------------------------------------------------- the command line


def test_cli_imports_the_national_file(database_url, engine, capsys):
    raw = shared_file(*RAW)
    args = ["--database-url", database_url, "import", "results", str(raw), *importer(engine)]
    before = fingerprint(engine)
    assert main([*args, "--county", "08", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True
    assert dry["created"] == {"municipality": 12, "school": 39, "school_result": 39}
    assert fingerprint(engine) == before

    assert main([*args, "--year", "2025", "--municipality", "0880", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["notes"]["year"] == 2025 and done["notes"]["school_year_in_file"] == "2024/25"
    with Session(engine) as session:
        rows = session.execute(sa.select(SchoolResult.year, SchoolResult.pupils)).all()
    kalmar = [r for r in independent_rows(raw) if r["Kommun-kod"] == "0880"]
    assert len(rows) == len(kalmar)
    assert {year for year, _ in rows} == {2025}
    assert sum(p or 0 for _, p in rows) == sum(count(r[PUPILS]) or 0 for r in kalmar) == 879
