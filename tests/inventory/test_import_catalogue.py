"""Catalogue import: CSV/TSV/MARC21/MARCXML in, items and derived collection rows out.

Expected figures are worked out by hand for small files, and by an independent pandas
computation (a second implementation of the documented rules) for a larger random file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pymarc
import pytest
import sqlalchemy as sa
from pymarc import Field, Leader, Record, Subfield
from sqlmodel import Session

from app.cli import main
from inventory import writes
from inventory.importers import catalogue
from inventory.importers.catalogue import import_catalogue
from inventory.importers.problems import ImportRejectedError
from inventory.models import CatalogueItem, CollectionYear, Library, Municipality
from tests.helpers import cli_argv, database_fingerprint, ensure_cli_importer

YEAR = 2025
SV_HEADER = ["Streckkod", "Titel", "Utgivningsår", "Hylla", "Språk", "Medietyp", "Senaste lån"]
EN_HEADER = [
    "Barcode",
    "Title",
    "Publication year",
    "Classification",
    "Language",
    "Media type",
    "Last loan",
]
# barcode, title, year, class, language, media type, last loan
ROWS = [
    ("1001", "Pippi", "2019", "uHc", "swe", "bok", "2025-03-01"),
    ("1002", "Bilderboken", "2021", "uHcf", "swe", "bok", ""),
    ("1003", "Dinosaurier", "2010", "Qa", "swe", "bok", ""),
    ("1004", "Rymden", "2024", "523", "swe", "bok", "2025-09-30"),
    ("1005", "Harry", "2001", "823", "eng", "bok", ""),
    ("1006", "Lyssna", "2018", "Hc", "swe", "ljudbok", ""),
    ("1007", "Skärmen", "2022", "Hc", "swe", "e-bok", ""),
    ("1008", "Lätt att läsa", "2016", "Hc", "swe", "Lättläst", ""),
    ("1009", "Utan år", "", "Hc", "swe", "bok", ""),
    ("1010", "Utan klass", "2015", "", "swe", "bok", ""),
    ("1011", "Konstig", "2012", "[Fic]", "swe", "bok", ""),
    ("1012", "Svensk roman", "1998", "839.73", "swe", "bok", ""),
    ("1013", "Kitab", "2020", "Hc", "ara", "bok", ""),
    ("1014", "Fakta", "2016", "Ab", "", "bok", ""),
]
# category: (items, items_last_10_years, median_publication_year), worked out by hand for YEAR:
# recent means 2016 or later; the median is the lower median of the items with a year.
EXPECTED = {
    "fiction": (3, 1, 1998),  # 1001 (2019), 1009 (no year), 1012 (1998): [1998, 2019] -> 1998
    "non_fiction": (3, 2, 2016),  # 1003 (2010), 1004 (2024), 1014 (2016)
    "picture_books": (1, 1, 2021),  # 1002 uHcf
    "easy_read": (1, 1, 2016),  # 1008 Lättläst
    "other_languages": (2, 1, 2001),  # 1005 eng (2001), 1013 ara (2020)
    "audiobooks": (1, 1, 2018),  # 1006 ljudbok
    "e_books": (1, 1, 2022),  # 1007 e-bok
}
INCOMPLETE = {"1009": "no_year", "1010": "no_class", "1011": "unrecognised_class"}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _cli_importer_account(request: pytest.FixtureRequest) -> None:
    """The account CLI imports run as, created before a test reads the database's fingerprint."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine")
        ensure_cli_importer(request.getfixturevalue("database_url"))


def make_library(session: Session, name: str = "Ekbiblioteket") -> int:
    municipality = session.execute(sa.select(Municipality)).scalars().first()
    if municipality is None:
        municipality = writes.add(
            session,
            Municipality,
            {"code": "9911", "name": "Exempelby", "county_code": "99", "county": "Testlän"},
        )
    library = writes.add(
        session, Library, {"name": name, "municipality_id": municipality.id, "kind": "own"}
    )
    session.commit()
    return int(library.id)


def write_table(path: Path, header, rows, separator: str = ";") -> Path:
    lines = [separator.join(header)] + [separator.join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def collection(session: Session, library_id: int) -> dict[str, tuple]:
    rows = session.execute(
        sa.select(CollectionYear).where(CollectionYear.library_id == library_id)
    ).scalars()
    return {
        str(r.category): (r.items, r.items_last_10_years, r.median_publication_year)
        for r in rows
        if r.year == YEAR
    }


def stored_items(session: Session, library_id: int) -> pd.DataFrame:
    table = CatalogueItem.__table__
    rows = session.execute(sa.select(table).where(table.c.library_id == library_id)).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=[c.name for c in table.columns], dtype=object
    )
    return frame.set_index("item_key")


def rejected(session: Session, path: Path, **options) -> list:
    before = database_fingerprint(session)
    with pytest.raises(ImportRejectedError) as info:
        import_catalogue(session, path, year=YEAR, **options)
    assert database_fingerprint(session) == before
    return info.value.errors


# --------------------------------------------------------------------------- text files


@pytest.mark.parametrize(
    ("header", "separator", "name"),
    [(SV_HEADER, ";", "katalog.csv"), (EN_HEADER, "\t", "catalogue.tsv")],
)
def test_csv_and_tsv_with_swedish_and_english_headers(session, tmp_path, header, separator, name):
    library_id = make_library(session)
    path = write_table(tmp_path / name, header, ROWS, separator)
    report = import_catalogue(session, path, library=library_id, year=YEAR)
    session.commit()

    assert collection(session, library_id) == EXPECTED
    assert report.created == {"catalogue_item": len(ROWS), "collection_year": 7}
    assert report.notes["items"] == len(ROWS)
    assert report.notes["incomplete"] == 3
    assert report.notes["uncategorised"] == 2  # 1010 (no class), 1011 (unrecognised)
    assert report.notes["by_category"] == {k: v[0] for k, v in EXPECTED.items()}

    items = stored_items(session, library_id)
    assert len(items) == len(ROWS)
    assert items.loc["1001", "classification_system"] == "SAB"
    assert items.loc["1004", "classification_system"] == "DDC"
    assert items.loc["1011", "classification_system"] is None
    assert items.loc["1011", "classification"] == "[Fic]"
    assert items.loc["1009", "publication_year"] is None
    assert items.loc["1014", "language"] is None
    assert str(items.loc["1004", "last_loan_date"]) == "2025-09-30"
    assert items.loc["1008", "media_type"] == "Lättläst"


def test_column_mapping_overrides_and_system_column(session, tmp_path):
    library_id = make_library(session)
    header = ["Ex-nr", "Namn", "Tryckt", "Kod", "Kodsystem", "Språk", "Typ"]
    rows = [
        ("A1", "Roman", "2020", "839.7", "Dewey", "swe", "bok"),
        ("A2", "Fakta", "2011", "Ab", "kssb/8", "swe", "bok"),
        ("A3", "Saga", "2024", "Hc", "SAB", "swe", "bok"),
    ]
    path = write_table(tmp_path / "export.csv", header, rows, ",")
    columns = [
        "item_key=Ex-nr",
        "title=Namn",
        "publication_year=Tryckt",
        "classification=kod",  # case-insensitive
        "classification_system=Kodsystem",
    ]
    report = import_catalogue(session, path, library=library_id, year=YEAR, column=columns)
    session.commit()
    items = stored_items(session, library_id)
    assert items["classification_system"].to_dict() == {"A1": "DDC", "A2": "SAB", "A3": "SAB"}
    assert items["title"].to_dict() == {"A1": "Roman", "A2": "Fakta", "A3": "Saga"}
    assert report.notes["by_category"]["fiction"] == 2
    assert report.notes["by_category"]["non_fiction"] == 1
    assert collection(session, library_id)["fiction"] == (2, 2, 2020)


def test_header_named_after_the_system_and_preamble_lines(session, tmp_path):
    library_id = make_library(session)
    path = tmp_path / "ddc.csv"
    path.write_text(
        "Export från bibliotekssystemet\nDatum: 2025-11-30\n"
        "Streckkod;Titel;År;DDC\n1;Bok;2020;599\n2;Roman;2021;839.73\n",
        encoding="cp1252",
    )
    import_catalogue(session, path, library=library_id, year=YEAR)
    items = stored_items(session, library_id)
    assert items["classification_system"].tolist() == ["DDC", "DDC"]
    assert collection(session, library_id)["fiction"] == (1, 1, 2021)


def test_fallback_reader_handles_quoted_line_breaks(session, tmp_path):
    """A line break inside a quoted title: the slow, exact reader keeps the file's rows."""
    library_id = make_library(session)
    path = tmp_path / "quoted.csv"
    path.write_text(
        'Streckkod;Titel;Utgivningsår;Hylla\n1;"Två\nrader";2020;Hc\n\n2;Bok;=1+1;Hc\n',
        encoding="utf-8",
    )
    errors = rejected(session, path, library=library_id)
    assert [(p.row, p.column, p.code) for p in errors] == [(5, "Utgivningsår", "integer")]


def independent_figures(frame: pd.DataFrame, year: int) -> dict[str, tuple]:
    """The documented rules re-implemented with pandas string methods."""
    media = frame["media"].str.lower()
    klass = frame["klass"]
    language = frame["lang"]
    fiction = klass.str.match(r"^u?H") | klass.str.match(r"^8\d\d")
    category = np.select(
        [
            media.str.contains("e-bok"),
            media.str.contains("ljudbok"),
            language.ne("swe") & language.ne(""),
            media.str.contains("lättläst"),
            klass.str.match(r"^u?Hcf"),
            fiction,
            klass.ne(""),
        ],
        [
            "e_books",
            "audiobooks",
            "other_languages",
            "easy_read",
            "picture_books",
            "fiction",
            "non_fiction",
        ],
        default="",
    )
    years = pd.to_numeric(frame["year"], errors="coerce")
    data = pd.DataFrame({"category": category, "year": years})
    data = data[data["category"] != ""]
    result = {}
    for name, group in data.groupby("category"):
        dated = group["year"].dropna()
        median = dated.quantile(0.5, interpolation="lower") if len(dated) else None
        result[name] = (
            len(group),
            int((dated >= year - 9).sum()),
            None if median is None else int(median),
        )
    for name in ("fiction", "non_fiction", "picture_books", "easy_read", "other_languages"):
        result.setdefault(name, (0, 0, None))
    return result


def test_figures_match_an_independent_pandas_computation(session, tmp_path):
    library_id = make_library(session)
    rng = np.random.default_rng(7)
    n = 600
    classes = np.array(["Hc", "uHc", "uHcf", "Hcg", "Ab", "Pb", "599.7", "839.73", "004", ""])
    frame = pd.DataFrame(
        {
            "key": [f"X{i:05d}" for i in range(n)],
            "title": [f"Titel {i}" for i in range(n)],
            "year": np.where(rng.random(n) < 0.05, "", (YEAR - rng.integers(0, 40, n)).astype(str)),
            "klass": classes[rng.integers(0, len(classes), n)],
            "lang": np.array(["swe"] * 8 + ["eng", "ara", "som", ""])[rng.integers(0, 12, n)],
            "media": np.array(["bok"] * 8 + ["Ljudbok", "e-bok", "lättläst"])[
                rng.integers(0, 11, n)
            ],
        }
    )
    path = tmp_path / "random.csv"
    frame.rename(
        columns={
            "key": "streckkod",
            "title": "titel",
            "year": "utgivningsår",
            "klass": "klassifikation",
            "lang": "språk",
            "media": "medietyp",
        }
    ).to_csv(path, sep=";", index=False)
    import_catalogue(session, path, library=library_id, year=YEAR)
    assert collection(session, library_id) == independent_figures(frame, YEAR)


def test_incomplete_list_is_written_formula_safe(session, tmp_path):
    library_id = make_library(session)
    rows = [*ROWS, ("1015", "-5", "", "Hc", "swe", "bok", "")]
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, rows)
    out = tmp_path / "ut" / "ofullstandiga.csv"
    report = import_catalogue(session, path, library=library_id, year=YEAR, incomplete_out=str(out))
    listed = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(listed.columns) == list(catalogue.INCOMPLETE_COLUMNS)
    assert dict(zip(listed["item_key"], listed["reason"], strict=True)) == {
        **INCOMPLETE,
        "1015": "no_year",
    }
    by_key = listed.set_index("item_key")
    assert by_key.loc["1015", "title"] == "'-5"  # would be a formula in a spreadsheet
    assert by_key.loc["1009", "row"] == "10"  # the header is line 1
    assert by_key.loc["1009", "category"] == "fiction"
    assert by_key.loc["1010", "category"] == ""
    assert by_key.loc["1011", "reason_sv"] == catalogue.REASONS["unrecognised_class"]
    assert report.notes["incomplete"] == 4
    assert report.notes["incomplete_out"] == str(out)


def test_same_file_twice_leaves_the_database_identical(session, tmp_path):
    library_id = make_library(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, ROWS)
    import_catalogue(session, path, library=library_id, year=YEAR)
    session.commit()
    first = database_fingerprint(session)
    report = import_catalogue(session, path, library=library_id, year=YEAR)
    session.commit()
    assert database_fingerprint(session) == first
    assert report.created == {"catalogue_item": 0, "collection_year": 0}
    assert report.updated == {"catalogue_item": 0, "collection_year": 0}
    assert report.unchanged == {"catalogue_item": len(ROWS), "collection_year": 7}


def test_a_new_export_replaces_the_snapshot_and_keeps_acquisitions(session, tmp_path):
    library_id = make_library(session)
    other_id = make_library(session, "Granbiblioteket")
    writes.add(
        session,
        CollectionYear,
        {
            "library_id": library_id,
            "year": YEAR,
            "category": "fiction",
            "items": 99,
            "acquisitions": 12,
            "weeded": 3,
        },
    )
    session.commit()
    import_catalogue(
        session,
        write_table(tmp_path / "other.csv", SV_HEADER, ROWS[:2]),
        library=other_id,
        year=YEAR,
    )
    import_catalogue(
        session, write_table(tmp_path / "v1.csv", SV_HEADER, ROWS), library=library_id, year=YEAR
    )
    session.commit()
    ids = stored_items(session, library_id)["id"].to_dict()

    changed = [row for row in ROWS if row[0] not in ("1003", "1005")]  # two weeded
    changed[0] = ("1001", "Pippi", "2020", "uHc", "swe", "bok", "2025-03-01")  # corrected year
    changed.append(("2001", "Ny bok", "2025", "Hc", "swe", "bok", ""))
    report = import_catalogue(
        session,
        write_table(tmp_path / "v2.csv", SV_HEADER, changed),
        library=library_id,
        year=YEAR,
    )
    session.commit()
    assert report.created["catalogue_item"] == 1
    assert report.updated["catalogue_item"] == 1
    assert report.unchanged["catalogue_item"] == len(ROWS) - 3
    assert report.notes["deleted"] == 2
    items = stored_items(session, library_id)
    assert set(items.index) == {row[0] for row in changed}
    assert items.loc["1001", "publication_year"] == 2020
    assert items.loc["1001", "id"] == ids["1001"]  # updated in place
    assert items.loc["1012", "id"] == ids["1012"]
    assert len(stored_items(session, other_id)) == 2  # other libraries untouched
    fiction = session.execute(
        sa.select(CollectionYear).where(
            CollectionYear.library_id == library_id,
            CollectionYear.year == YEAR,
            CollectionYear.category == "fiction",
        )
    ).scalar_one()
    assert (fiction.items, fiction.acquisitions, fiction.weeded) == (4, 12, 3)
    assert collection(session, library_id)["non_fiction"] == (2, 2, 2016)


def test_dry_run_writes_nothing_but_reports(session, tmp_path):
    library_id = make_library(session)
    before = database_fingerprint(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, ROWS)
    report = import_catalogue(session, path, dry_run=True, library=library_id, year=YEAR)
    assert database_fingerprint(session) == before
    assert report.dry_run
    assert report.created == {"catalogue_item": len(ROWS), "collection_year": 7}


# --------------------------------------------------------------------------- MARC


def fixed_field(date1: str, language: str = "swe", form: str = " ") -> str:
    """A 40-character 008 for books: date1 at 07-10, form of item at 23, language at 35-37."""
    material = f"     {form}           "  # 18-34
    value = f"250101s{date1}    sw {material}{language} d"
    assert len(value) == 40 and value[7:11] == date1 and value[35:38] == language
    assert value[23] == form
    return value


def marc_record(
    control: str,
    *,
    date1: str = "2019",
    language: str = "swe",
    title: str = "Titel /",
    sab: str | None = None,
    ddc: str | None = None,
    kind: str = "a",
    form: str = " ",
    items: tuple[tuple[str, str | None], ...] = (),
    extra: tuple[Field, ...] = (),
) -> Record:
    record = Record(force_utf8=True)
    record.leader = Leader(f"00000n{kind}m a2200000 a 4500")
    record.add_field(Field(tag="001", data=control))
    record.add_field(Field(tag="008", data=fixed_field(date1, language, form)))
    record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    if ddc:
        record.add_field(Field(tag="082", indicators=["0", "4"], subfields=[Subfield("a", ddc)]))
    if sab:
        subfields = [Subfield("a", sab), Subfield("2", "kssb/8")]
        record.add_field(Field(tag="084", indicators=[" ", " "], subfields=subfields))
    for field in extra:
        record.add_field(field)
    for barcode, loan in items:
        subfields = [Subfield("p", barcode)] + ([Subfield("s", loan)] if loan else [])
        record.add_field(Field(tag="952", indicators=[" ", " "], subfields=subfields))
    return record


def marc_records() -> list[Record]:
    imprint = Field(tag="264", indicators=[" ", "1"], subfields=[Subfield("c", "c2015")])
    return [
        # two copies (952 $p) of one title: two items
        marc_record("m1", sab="uHc", items=(("B1", "2025-01-15"), ("B2", None))),
        # 008 date unknown: the year comes from 264 $c; English -> other languages
        marc_record("m2", date1="uuuu", language="eng", ddc="599.75", extra=(imprint,)),
        marc_record("m3", date1="2005", ddc="599.7"),
        marc_record("m4", date1="2021", sab="Hc", kind="i"),  # nonmusical sound: audiobook
        marc_record("m5", date1="2023", sab="Hc", form="o"),  # online: e-book
        marc_record("m6", date1="2020", sab="uHcf"),  # picture book
        marc_record("m7", date1="    "),  # no year, no class
        marc_record("m8", date1="2010", sab="Hc", ddc="839.7"),  # SAB preferred: fiction
    ]


MARC_EXPECTED = {
    "fiction": (3, 2, 2019),  # B1, B2 (2019), m8 (2010): lower median of [2010, 2019, 2019]
    "non_fiction": (1, 0, 2005),
    "picture_books": (1, 1, 2020),
    "easy_read": (0, 0, None),
    "other_languages": (1, 0, 2015),
    "audiobooks": (1, 1, 2021),
    "e_books": (1, 1, 2023),
}


def write_marc(path: Path, records: list[Record]) -> Path:
    path.write_bytes(b"".join(record.as_marc() for record in records))
    return path


def write_marcxml(path: Path, records: list[Record]) -> Path:
    buffer = io.BytesIO()
    writer = pymarc.XMLWriter(buffer)
    for record in records:
        writer.write(record)
    writer.close(close_fh=False)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("writer", [write_marc, write_marcxml], ids=["marc21", "marcxml"])
def test_marc21_and_marcxml(session, tmp_path, writer):
    library_id = make_library(session)
    path = writer(tmp_path / "export.dat", marc_records())  # the name says nothing
    out = tmp_path / "incomplete.csv"
    report = import_catalogue(session, path, library=library_id, year=YEAR, incomplete_out=out)
    session.commit()
    assert report.notes["format"] == ("marc21" if writer is write_marc else "marcxml")
    assert collection(session, library_id) == MARC_EXPECTED
    items = stored_items(session, library_id)
    assert sorted(items.index) == ["B1", "B2", "m2", "m3", "m4", "m5", "m6", "m7", "m8"]
    assert str(items.loc["B1", "last_loan_date"]) == "2025-01-15"
    assert items.loc["B2", "last_loan_date"] is None
    assert items.loc["B1", "title"] == "Titel"
    assert items.loc["m2", "publication_year"] == 2015
    assert items.loc["m2", "language"] == "eng"
    assert items.loc["m8", "classification"] == "Hc"
    assert items.loc["m4", "media_type"] == "audiobook"
    assert items.loc["m5", "media_type"] == "e-book"
    listed = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert listed[["row", "item_key", "reason"]].values.tolist() == [
        ["7", "m7", "no_year;no_class"]
    ]


def test_marc_record_with_broken_directory_names_the_record(session, tmp_path):
    library_id = make_library(session)
    records = [record.as_marc() for record in marc_records()[:3]]
    broken = bytearray(records[1])
    broken[27:31] = b"XXXX"  # the first directory entry's field length
    path = tmp_path / "broken.mrc"
    path.write_bytes(records[0] + bytes(broken) + records[2])
    errors = rejected(session, path, library=library_id)
    assert [(p.row, p.code) for p in errors] == [(2, "marc_record")]
    assert "ValueError" in errors[0].expected("en")


def test_format_detection_by_content():
    record = marc_records()[0]
    assert catalogue.detect_format(record.as_marc()) == "marc21"
    assert catalogue.detect_format(pymarc.record_to_xml(record, namespace=True)) == "marcxml"
    assert catalogue.detect_format(b"10000;Titel\n1;a\n") == "text"


@pytest.mark.parametrize(
    ("system", "value", "kind"),
    [
        ("SAB", "Hc", "fiction"),
        ("SAB", "uHc.01", "fiction"),
        ("SAB", "uHcf", "picture_book"),
        ("SAB", "Hcg", "fiction"),
        ("SAB", "Ab", "non_fiction"),
        ("SAB", "hc", None),
        ("DDC", "839.73", "fiction"),
        ("DDC", "899", "fiction"),
        ("DDC", "900", "non_fiction"),
        ("DDC", "79", None),
        (None, "[Fic]", None),
    ],
)
def test_class_kind_rules(system, value, kind):
    assert catalogue.class_kind(system, value) == kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("bok", None),
        ("Ljudbok", "audiobook"),
        ("E-ljudbok", "audiobook"),
        ("Daisy", "audiobook"),
        ("CD-bok", "audiobook"),
        ("e-bok", "e_book"),
        ("E-book", "e_book"),
        ("Lättläst", "easy_read"),
        ("Bilderbok", "picture_book"),
        ("Musik-CD", None),
        ("Faktabok", None),
    ],
)
def test_media_kind_rules(value, kind):
    assert catalogue.media_kind(value) == kind


def test_bom_crlf_and_quoted_separators(session, tmp_path):
    library_id = make_library(session)
    path = tmp_path / "windows.csv"
    text = 'Streckkod;Titel;Utgivningsår;Hylla\r\n1;"Bok; del 2";2020;Hc\r\n2; Annan ;2021;Ab\r\n'
    path.write_bytes(text.encode("utf-8-sig"))
    import_catalogue(session, path, library=library_id, year=YEAR)
    items = stored_items(session, library_id)
    assert items["title"].to_dict() == {"1": "Bok; del 2", "2": "Annan"}


# --------------------------------------------------------------------------- bad input


def test_unknown_library(session, tmp_path):
    make_library(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, ROWS)
    errors = rejected(session, path, library=9999)
    assert [(p.column, p.value, p.code) for p in errors] == [("--library", 9999, "unknown_library")]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [ROWS[0], ROWS[1], ("1001",) + ROWS[2][1:], ROWS[3], ("1001",) + ROWS[4][1:]],
            [
                (4, "Streckkod", "1001", "duplicate_in_file"),
                (6, "Streckkod", "1001", "duplicate_in_file"),
            ],
        ),
        (
            [ROWS[0], ("1002", "Framtiden", "3000", "Hc", "swe", "bok", "")],
            [(3, "Utgivningsår", "3000", "year")],
        ),
        (
            [("1002", "Okänd", "okänt", "Hc", "swe", "bok", ""), ROWS[0]],
            [(2, "Utgivningsår", "okänt", "integer")],
        ),
        (
            [ROWS[0], ("1002", '=HYPERLINK("http://x")', "2020", "Hc", "swe", "bok", "")],
            [(3, "Titel", '=HYPERLINK("http://x")', "formula")],
        ),
        (
            [("1002", "Bok", "2020", "Hc", "swe", "bok", "2025-13-01")],
            [(2, "Senaste lån", "2025-13-01", "date")],
        ),
        (
            [("1002", "Bok", "2020", "Hc", "svenska!", "bok", "")],
            [(2, "Språk", "svenska!", "language")],
        ),
        ([("", "Bok", "2020", "Hc", "swe", "bok", "")], [(2, "Streckkod", None, "required")]),
    ],
    ids=["duplicate", "year-3000", "text-year", "formula", "date", "language", "no-key"],
)
def test_bad_rows_are_rejected_naming_row_and_column(session, tmp_path, rows, expected):
    library_id = make_library(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, rows)
    errors = rejected(session, path, library=library_id)
    assert [(p.row, p.column, p.value, p.code) for p in errors] == expected
    if expected[0][3] == "duplicate_in_file":
        assert [p.params for p in errors] == [{"other_row": 2}, {"other_row": 2}]
    if expected[0][3] == "year":
        assert errors[0].params == {"min": 1400, "max": YEAR + 1}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"  \n", "empty_file"),
        ("Streckkod;Titel;Utgivningsår\n".encode(), "no_rows"),
        (b"Titel;Utgivningsar\nBok;2020\n", "missing_column"),
        (b"PK\x03\x04 not a catalogue", "not_text"),
    ],
    ids=["empty", "blank", "header-only", "no-key-column", "binary"],
)
def test_bad_files_are_rejected(session, tmp_path, content, code):
    library_id = make_library(session)
    path = tmp_path / "katalog.csv"
    path.write_bytes(content)
    errors = rejected(session, path, library=library_id)
    assert [p.code for p in errors] == [code]


def test_unknown_column_override_is_rejected(session, tmp_path):
    library_id = make_library(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, ROWS)
    errors = rejected(session, path, library=library_id, column=["shelf=Hylla"])
    assert [p.code for p in errors] == ["unknown_column"]
    errors = rejected(session, path, library=library_id, column=["title=Namn"])
    assert [(p.column, p.code) for p in errors] == [("Namn", "missing_column")]


def test_many_bad_rows_are_summarised(session, tmp_path):
    library_id = make_library(session)
    rows = [(str(i), "Bok", "okänt", "Hc", "swe", "bok", "") for i in range(250)]
    errors = rejected(session, write_table(tmp_path / "k.csv", SV_HEADER, rows), library=library_id)
    assert len(errors) == catalogue.MAX_PROBLEMS_PER_KIND + 1
    assert errors[-1].code == "more_problems" and errors[-1].params == {"count": 150}
    assert [p.row for p in errors[:3]] == [2, 3, 4]


# --------------------------------------------------------------------------- command line


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(cli_argv(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_end_to_end(engine, database_url, tmp_path, capsys):
    with Session(engine) as session:
        library_id = make_library(session)
        before = database_fingerprint(session)
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, ROWS)
    out = tmp_path / "ofullstandiga.csv"
    common = [
        "import",
        "catalogue",
        str(path),
        "--library",
        str(library_id),
        "--year",
        "2025",
        "--database-url",
        database_url,
    ]

    code, stdout, _ = run(capsys, *common, "--dry-run", "--json")
    assert code == 0
    assert json.loads(stdout)["dry_run"] is True
    with Session(engine) as session:
        assert database_fingerprint(session) == before

    code, stdout, _ = run(capsys, *common, "--incomplete-out", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["created"]["catalogue_item"] == len(ROWS)
    assert report["notes"]["by_category"]["fiction"] == 3
    assert out.exists()
    with Session(engine) as session:
        assert collection(session, library_id) == EXPECTED
        after = database_fingerprint(session)

    bad = write_table(tmp_path / "trasig.csv", SV_HEADER, [ROWS[0], ("1002", "X", "3000")])
    code, _, stderr = run(
        capsys,
        "import",
        "catalogue",
        str(bad),
        "--library",
        str(library_id),
        "--year",
        "2025",
        "--database-url",
        database_url,
        "--lang",
        "en",
    )
    assert code == 2
    assert "trasig.csv" in stderr and "rejected" in stderr
    code, _, stderr = run(
        capsys,
        "import",
        "catalogue",
        str(bad),
        "--library",
        str(library_id),
        "--year",
        "2025",
        "--database-url",
        database_url,
    )
    assert code == 2
    assert "avvisades" in stderr
    with Session(engine) as session:
        assert database_fingerprint(session) == after


def test_cli_rejects_bad_values_with_row_and_column(engine, database_url, tmp_path, capsys):
    with Session(engine) as session:
        library_id = make_library(session)
        before = database_fingerprint(session)
    rows = [ROWS[0], ("1002", "Framtiden", "3000", "Hc", "swe", "bok", "")]
    path = write_table(tmp_path / "katalog.csv", SV_HEADER, rows)
    code, _, stderr = run(
        capsys,
        "import",
        "catalogue",
        str(path),
        "--library",
        str(library_id),
        "--year",
        "2025",
        "--database-url",
        database_url,
        "--lang",
        "en",
    )
    assert code == 2
    line = next(line for line in stderr.splitlines() if "3000" in line)
    assert "katalog.csv" in line and " 3 " in line and "Utgivningsår" in line
    assert "a year from 1400 to 2026" in line
    with Session(engine) as session:
        assert database_fingerprint(session) == before
