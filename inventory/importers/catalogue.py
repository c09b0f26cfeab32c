"""Import an item-level catalogue export from a library system, and derive the collection rows.

``skolbib import catalogue FILE --library ID [--year Y]`` reads one library's export, stores
its items (``catalogue_item``) and derives that library's ``collection_year`` rows for the
inventory year, the way collection-analysis tools (Follett TitleWise, Mackin) summarise a MARC
upload. Items that cannot be analysed are listed (Follett's "Incomplete Records").

Formats, detected by content, not by file name
-----------------------------------------------
- **MARC21 (ISO 2709)**: the first five bytes are digits (the record length) and the file
  holds the record terminator ``0x1D``. Read with pymarc, record by record; a record pymarc
  cannot decode (broken directory, wrong length, bad encoding) is a ``marc_record`` problem
  naming the record number.
- **MARCXML**: XML with the MARC21 slim namespace or ``<record>``/``<collection>`` elements.
- **Delimited text** otherwise: CSV or TSV, ``,`` ``;`` or tab, UTF-8 (BOM optional) or
  Windows-1252, preamble lines before the header allowed, as :mod:`.textfile` reads them.

Column mapping (text files)
---------------------------
Headers are matched to fields ignoring case, spaces, ``_``, ``-`` and ``.``; the first alias
in :data:`ALIASES` that is present wins and ``--column FIELD=HEADER`` overrides. Only the item
key is required; a missing publication-year or classification column is a warning (every item
then lands in the incomplete list). A header named ``DDC``/``Dewey`` or ``SAB``/``KSSB`` also
says which system its values are in. Extra columns are ignored. MARC files have the fixed
mapping below; ``--column`` does not apply to them.

MARC mapping
------------
- item key: each 952 $p (Koha item barcode) is one item, so a record with three copies gives
  three items; without 952 items, each 852 $p (MARC holdings barcode); a record without either
  is one item keyed by its 001 control number;
- title 245 $a (trailing ISBD punctuation removed);
- publication year 008/07-10 when it is four digits, else the first four-digit year in
  260 $c or 264 $c;
- classification: 084 $a with $2 ``kssb…`` (or no $2) as SAB, else 082 $a as DDC (SAB first
  because that is what most Swedish school libraries shelve by);
- language 041 $a (first three letters), else 008/35-37;
- media type from leader/06-07 with 007/00 and 008/23 for electronic resources ("book",
  "e-book", "audiobook", "music", "video", "computer file", "map", "score", "serial",
  "other"); last loan date 952 $s (Koha's "date last checked out").

Row numbers in problems are the file's line numbers for text files (the header line counts) and
record numbers (1-based) for MARC.

Validation (errors reject the whole file; nothing is written)
-------------------------------------------------------------
The same rules as the ``CatalogueItem`` fields: item key required, at most 64 characters, unique
in the file (``duplicate_in_file``); title at most 500, classification and media type at most 40
characters; classification system DDC or SAB (``Dewey`` and ``kssb…`` accepted); language a
three-letter ISO 639-2 code (two-letter codes and Swedish/English names of common languages are
translated); publication year a whole number from 1400 to the inventory year + 1; last loan date
``YYYY-MM-DD`` (a time after it is ignored); formula-like text (``=HYPERLINK(...)``) in any text
column is rejected (project policy); the library must exist and the year be within
1990..2100. More than 100 problems of one kind in one column are summarised in one line.

Categories (one per item, the first rule that matches)
-------------------------------------------------------
In the spirit of KB's statistics, where fiction is SAB H / DDC 800-899 (HCG04):

1. ``e_books``: media type says e-book (e-bok, ebok, e-book, ebook, elektronisk bok, ...);
2. ``audiobooks``: media type says audiobook (ljudbok, talbok, Daisy, e-ljudbok, mp3-bok,
   audiobook, ...; e-audiobooks count as audiobooks);
3. ``other_languages``: a language other than Swedish (``swe``); ``und``, ``mul``, ``zxx``,
   ``mis`` and an empty language count as unknown, i.e. not other;
4. ``easy_read``: media type says lättläst / easy read, or the optional ``lättläst`` flag
   column is true;
5. ``picture_books``: media type says bilderbok / picture book, or an SAB class whose main part
   (after the lower-case audience prefix such as ``u`` for children) starts with ``Hcf``
   (bilderböcker; ``uHcf``). Comics (``Hcg``) stay fiction. DDC has no picture-book class;
6. ``fiction``: SAB classes starting with ``H`` (after the prefix), DDC 800-899;
7. ``non_fiction``: any other recognised SAB or DDC class.

An item with none of these signals (no or an unrecognisable class, Swedish or unknown language,
a plain media type) is uncategorised: stored, listed as incomplete, counted in no category.
Classification system when no column says: DDC if the class starts with a digit, SAB if it
starts with a letter; a DDC class must start with three digits and an SAB class with an upper
case letter after at most two lower-case prefix letters, else it is "unrecognised".

Derived collection rows
-----------------------
For the inventory year Y and each category: ``items`` (items of the category),
``items_last_10_years`` (publication year >= Y - 9, i.e. Y-9..Y+1: the ten calendar years up to
and including Y, plus next year's announced titles) and ``median_publication_year`` (the lower
median of the items' publication years, always a real year of an item; NULL without years).
Items without a year count in ``items`` but not in the two year figures. ``acquisitions`` and
``weeded`` are never touched. The five physical categories are always written (0 when the
export has none, since a catalogue export is the whole holding); ``e_books`` and ``audiobooks``
are written only when the export has at least one, because licensed e-media often live outside
the library system and are entered by hand.

Snapshot semantics
------------------
A catalogue import is a full snapshot of the library's items: afterwards the library's items are
exactly the file's. It is applied as a diff on the item key (unchanged rows keep their ids,
changed rows are updated, new ones inserted, missing ones deleted), so importing the same file
twice leaves the database identical. ``dry_run`` computes the same report without writing.

Incomplete records
------------------
Items without a publication year (``no_year``), without a classification (``no_class``) or with
one that is neither DDC nor SAB (``unrecognised_class``). ``incomplete_out`` writes them as a
``;``-separated UTF-8 (BOM) CSV for Excel, cells starting with ``= + - @`` prefixed with ``'``.
It is written in a dry run too (it changes nothing in the database).

Why the catalogue takes a vectorised path
-----------------------------------------
Every other table goes through :func:`inventory.writes.add_all` (one pydantic validation and one
ORM object per row). A catalogue export has up to a million items; a million model validations
and ORM objects take minutes and gigabytes, so the catalogue keeps the same rules but applies
them by column:

- the text is parsed with pyarrow, and only when that is exactly what
  :func:`.textfile.read_table` would return (same header line, one line per row, no blank
  lines, no line breaks inside quotes, every row with the header's number of fields, decodable);
  otherwise ``read_table`` itself reads the file and names the offending rows;
- the ``CatalogueItem`` field rules above run as pandas/numpy column operations, and the parsing
  rules (year, date, language, classification system, category) once per distinct value (a
  catalogue has a few hundred distinct years and media types, not a million);
- rows are written with the compiled Core ``insert(CatalogueItem.__table__)`` as one DB-API
  ``executemany`` fed by a generator (SQLite; with a larger page cache for the duration) or
  psycopg ``COPY`` (PostgreSQL), in item-key order so the unique index is appended to, on the
  session's own connection inside its transaction and a savepoint. The database's CHECK,
  UNIQUE and foreign-key constraints still apply; a violation rejects the file;
- a re-import reads the stored items in partitions, cast to text in SQL, and compares them with
  the file, so memory stays bounded.

The few ``collection_year`` rows go through :mod:`inventory.writes`. ``benchmarks/
bench_import.py`` measures a million-item CSV against ``pandas.read_csv`` of the same file.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
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
    CatalogueItem,
    CollectionCategory,
    CollectionYear,
    Library,
)
from inventory.writes import InventoryValidationError

KIND = "catalogue"
FORMAT_TEXT, FORMAT_MARC, FORMAT_MARCXML = "text", "marc21", "marcxml"

#: Every field a file can map, in display order.
FIELDS = (
    "item_key",
    "title",
    "publication_year",
    "classification",
    "classification_system",
    "language",
    "media_type",
    "last_loan_date",
    "easy_read",
)
#: Field -> accepted headers (normalised: lower case, ``_ - .`` as spaces), first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "item_key": (
        "item key",
        "streckkod",
        "barcode",
        "exemplar id",
        "exemplarid",
        "exemplarnummer",
        "exemplarnr",
        "item id",
        "itemid",
        "item barcode",
        "id",
    ),
    "title": ("titel", "title", "huvudtitel"),
    "publication_year": (
        "publication year",
        "utgivningsår",
        "utgivningsar",
        "utgivningsåret",
        "publiceringsår",
        "tryckår",
        "pub year",
        "year",
        "år",
    ),
    "classification": (
        "classification",
        "klassifikation",
        "klassifikationskod",
        "hylla",
        "hyllsignum",
        "klass",
        "call number",
        "ddc",
        "dewey",
        "sab",
        "kssb",
    ),
    "classification_system": (
        "classification system",
        "klassifikationssystem",
        "klassifikationsschema",
    ),
    "language": ("language", "språk", "sprak", "språkkod", "lang"),
    "media_type": (
        "media type",
        "medietyp",
        "mediatyp",
        "materialtyp",
        "exemplartyp",
        "item type",
        "itemtype",
        "format",
        "typ",
        "type",
    ),
    "last_loan_date": (
        "last loan date",
        "last loan",
        "senaste lån",
        "senaste lan",
        "senast utlånad",
        "senaste utlån",
        "last checkout",
        "last checked out",
        "date last borrowed",
    ),
    "easy_read": ("easy read", "lättläst", "lattlast"),
}
#: A classification column named after its system implies the system for every value.
_SYSTEM_FROM_HEADER = {"ddc": "DDC", "dewey": "DDC", "sab": "SAB", "kssb": "SAB"}
#: Text fields and their maximum length (CatalogueItem); checked for formula-like text too.
TEXT_LIMITS = {
    "item_key": 64,
    "title": 500,
    "classification": 40,
    "classification_system": 40,
    "language": 3,
    "media_type": 40,
}
#: Columns stored in catalogue_item besides id and library_id, in insert order.
ITEM_COLUMNS = (
    "item_key",
    "title",
    "classification_system",
    "classification",
    "publication_year",
    "language",
    "media_type",
    "last_loan_date",
)
MIN_PUBLICATION_YEAR = 1400
RECENT_YEARS = 10
MAX_PROBLEMS_PER_KIND = 100
INSERT_CHUNK = 50_000
#: SQLite page cache during the bulk insert (KiB).
SQLITE_CACHE_KIB = 131_072
CATEGORIES = tuple(category.value for category in CollectionCategory)
#: Written even when the export has none of them (see the module docstring).
ALWAYS_WRITTEN = ("fiction", "non_fiction", "picture_books", "easy_read", "other_languages")
UNKNOWN_LANGUAGES = frozenset({"und", "mul", "zxx", "mis"})
#: Two-letter codes and names of languages common in Swedish schools -> ISO 639-2/B.
LANGUAGE_NAMES = {
    "sv": "swe", "svenska": "swe", "swedish": "swe",
    "en": "eng", "engelska": "eng", "english": "eng",
    "ar": "ara", "arabiska": "ara", "arabic": "ara",
    "so": "som", "somaliska": "som", "somali": "som",
    "fi": "fin", "finska": "fin", "finnish": "fin",
    "fa": "per", "persiska": "per", "persian": "per",
    "ti": "tir", "tigrinja": "tir", "tigrinya": "tir",
    "uk": "ukr", "ukrainska": "ukr", "ukrainian": "ukr",
    "pl": "pol", "polska": "pol", "polish": "pol",
    "es": "spa", "spanska": "spa", "spanish": "spa",
    "de": "ger", "tyska": "ger", "german": "ger",
    "fr": "fre", "franska": "fre", "french": "fre",
    "ru": "rus", "ryska": "rus", "russian": "rus",
    "tr": "tur", "turkiska": "tur", "turkish": "tur",
    "ku": "kur", "kurdiska": "kur", "kurdish": "kur",
    "bs": "bos", "bosniska": "bos", "hr": "hrv", "kroatiska": "hrv", "sr": "srp",
    "serbiska": "srp", "sq": "alb", "albanska": "alb", "no": "nor", "norska": "nor",
    "da": "dan", "danska": "dan", "se": "sme", "nordsamiska": "sme", "samiska": "smi",
    "meänkieli": "fit", "jiddisch": "yid", "romani": "rom", "zh": "chi", "kinesiska": "chi",
}  # fmt: skip
_TRUE = frozenset({"ja", "j", "yes", "y", "1", "true", "sant", "x"})
_FALSE = frozenset({"nej", "n", "no", "0", "false", "falskt"})
REASONS = {
    "no_year": "utgivningsår saknas",
    "no_class": "klassifikation saknas",
    "unrecognised_class": "klassifikationen är varken DDC eller SAB",
}
INCOMPLETE_COLUMNS = (
    "row",
    "item_key",
    "title",
    "publication_year",
    "classification",
    "language",
    "media_type",
    "category",
    "reason",
    "reason_sv",
)

_MEDIA_KINDS = (  # checked in this order; the first pattern that matches gives the kind
    (
        "audiobook",
        re.compile(
            r"ljud ?-?bok|ljudböcker|talbok|talböcker|daisy|audio ?-?books?|talking books?"
            r"|mp3 ?-?bok|cd ?-?bok|spoken word"
        ),
    ),
    (
        "e_book",
        re.compile(
            r"\be ?-? ?bok|\be ?-? ?böcker|\be ?-? ?books?\b"
            r"|elektronisk bok|electronic book|digital bok"
        ),
    ),
    ("easy_read", re.compile(r"lättläst|lattlast|easy ?-?read")),
    ("picture_book", re.compile(r"bilderbok|bilderböcker|picture ?-?books?")),
)
_DDC = re.compile(r"^(\d{3})")
_SAB = re.compile(r"^[a-zåäö]{0,2}([A-ZÅÄÖ][A-Za-zåäöÅÄÖ]*)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T].*)?$")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_BINARY_SIGNATURES = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\x7fELF")
_MARCXML_HINT = re.compile(rb"<(?:[\w-]+:)?(?:record|collection)[\s>]")


# --------------------------------------------------------------------------- parsed input


@dataclass
class ParsedCatalogue:
    """A catalogue file as text cells, one row per item, before validation.

    ``frame`` has one column per mapped field (a subset of :data:`FIELDS`); ``rows`` gives each
    item's line number (text) or record number (MARC); ``headers`` names each field's column as
    the file does, for problems.
    """

    file: str
    format: str
    frame: pd.DataFrame
    rows: np.ndarray
    headers: dict[str, str]
    implied_system: str | None = None
    warnings: list[ImportProblem] = field(default_factory=list)


def detect_format(raw: bytes) -> str:
    """``marc21``, ``marcxml`` or ``text``, from the bytes (never from the file name)."""
    if len(raw) >= 24 and raw[:5].isdigit() and b"\x1d" in raw:
        return FORMAT_MARC
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and (
        b"www.loc.gov/MARC21/slim" in head or _MARCXML_HINT.search(head) is not None
    ):
        return FORMAT_MARCXML
    return FORMAT_TEXT


def _normalise(header: str) -> str:
    return " ".join(re.sub(r"[_\-.]", " ", header).casefold().split())


def _parse_overrides(
    column: Sequence[str] | None, file: str
) -> tuple[dict[str, str], list[ImportProblem]]:
    overrides: dict[str, str] = {}
    problems = []
    for spec in column or ():
        name, sep, header = spec.partition("=")
        name = name.strip()
        if not sep or name not in FIELDS or not header.strip():
            problems.append(
                ImportProblem(
                    file, None, None, spec, "unknown_column", {"known": ", ".join(FIELDS)}
                )
            )
            continue
        overrides[name] = header.strip()
    return overrides, problems


def _key_headers(overrides: dict[str, str]) -> list[str]:
    if "item_key" in overrides:
        return [_normalise(overrides["item_key"])]
    return list(ALIASES["item_key"])


def _split_header(line: str) -> list[tuple[str, list[str]]]:
    """The line split by each plausible separator, most cells first."""
    candidates = []
    for separator in textfile.SEPARATORS:
        if separator in line:
            cells = next(csv.reader([line], delimiter=separator))
            candidates.append((separator, [cell.strip() for cell in cells]))
    candidates.sort(key=lambda item: -len(item[1]))
    if not candidates:
        candidates.append((";", [line.strip()]))
    return candidates


def _find_header(lines: Sequence[str], keys: Sequence[str]) -> tuple[int, str, list[str]] | None:
    """Index, separator and cells of the first line holding an item-key header."""
    wanted = set(keys)
    for index, line in enumerate(lines[:200]):
        for separator, cells in _split_header(line):
            if wanted & {_normalise(cell) for cell in cells}:
                return index, separator, cells
    return None


def _key_column_problem(file: str, overrides: dict[str, str]) -> ImportProblem:
    shown = overrides.get("item_key") or " / ".join(("streckkod", "barcode", "exemplar-id", "id"))
    return ImportProblem(file, None, None, None, "missing_column", {"column": shown})


def _read_text(raw: bytes, file: str, overrides: dict[str, str]) -> textfile.TextTable:
    """Read a delimited file: pyarrow when that is exactly equivalent, else ``read_table``."""
    if raw.startswith(_BINARY_SIGNATURES) or b"\x00" in raw[:4096]:
        raise ImportRejectedError([ImportProblem(file, None, None, None, "not_text")])
    head = raw[:262_144]
    if len(head) < len(raw) and b"\n" in head:
        head = head[: head.rindex(b"\n")]
    try:
        encoding = "utf-8-sig"
        text = head.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        text = head.decode(encoding, errors="replace")
    lines = text.splitlines()
    found = _find_header(lines, _key_headers(overrides))
    if found is None:
        raise ImportRejectedError([_key_column_problem(file, overrides)])
    index, separator, cells = found
    table = _fast_table(raw, file, index, separator, cells, encoding)
    if table is not None:
        return table
    return textfile.read_table(raw, file=file, required=[_cells_key(cells, overrides)])


def _cells_key(cells: Sequence[str], overrides: dict[str, str]) -> str:
    """The header cell that identifies the header line (the item key's column)."""
    keys = _key_headers(overrides)
    normalised = [_normalise(cell) for cell in cells]
    for key in keys:
        if key in normalised:
            return cells[normalised.index(key)]
    return cells[0]


def _fast_table(
    raw: bytes, file: str, index: int, separator: str, cells: list[str], encoding: str
) -> textfile.TextTable | None:
    """Parse with pyarrow; ``None`` when the result could differ from ``read_table``'s."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    header = list(cells)
    while header and header[-1] == "":
        header.pop()
    if not header or "" in header or len(set(header)) != len(header) or len(header) != len(cells):
        return None
    # line numbers are exact only when every body line is one row: count the body's lines
    offset = 0
    for _ in range(index + 1):
        offset = raw.find(b"\n", offset) + 1
        if offset == 0:
            return None
    end = len(raw)
    while end > offset and raw[end - 1] in b"\r\n\t ":  # trailing blank lines are skipped
        end -= 1
    expected_rows = raw.count(b"\n", offset, end) + 1 if end > offset else 0
    names = [f"c{i}" for i in range(len(header))]
    try:
        arrow = pcsv.read_csv(
            pa.py_buffer(raw),
            read_options=pcsv.ReadOptions(
                column_names=names,
                skip_rows=index + 1,
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                block_size=1 << 22,
            ),
            parse_options=pcsv.ParseOptions(delimiter=separator, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if arrow.num_rows != expected_rows:
        return None
    frame = arrow.rename_columns(header).to_pandas()
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    line_numbers = np.arange(index + 2, index + 2 + len(frame))
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        line_numbers = line_numbers[~blank]
    if frame.empty:
        raise ImportRejectedError([ImportProblem(file, None, None, None, "no_rows")])
    return textfile.TextTable(
        file=file,
        frame=frame,
        line_numbers=line_numbers,
        header_line=index + 1,
        separator=separator,
        encoding=encoding,
        preamble=[],
    )


def _map_columns(
    headers: Sequence[str], overrides: dict[str, str], file: str
) -> tuple[dict[str, str], list[ImportProblem], list[ImportProblem]]:
    """Field -> file header; problems (missing override or key); warnings (no year/class)."""
    by_normalised: dict[str, str] = {}
    for header in headers:
        by_normalised.setdefault(_normalise(header), header)
    mapping: dict[str, str] = {}
    problems = []
    for name, header in overrides.items():
        actual = by_normalised.get(_normalise(header))
        if actual is None:
            problems.append(
                ImportProblem(file, None, header, None, "missing_column", {"column": header})
            )
        else:
            mapping[name] = actual
    used = set(mapping.values())
    for name in FIELDS:
        if name in mapping or name in overrides:
            continue
        for alias in ALIASES[name]:
            actual = by_normalised.get(alias)
            if actual is not None and actual not in used:
                mapping[name] = actual
                used.add(actual)
                break
    if "item_key" not in mapping and "item_key" not in overrides:
        problems.append(_key_column_problem(file, overrides))
    warnings = [
        ImportProblem(
            file,
            None,
            None,
            None,
            "missing_column",
            {"column": shown},
            severity="warning",
        )
        for name, shown in (
            ("publication_year", "utgivningsår / publication year"),
            ("classification", "klassifikation / hylla / classification"),
        )
        if name not in mapping and name not in overrides
    ]
    return mapping, problems, warnings


def parse_text(raw: bytes, file: str, column: Sequence[str] | None = None) -> ParsedCatalogue:
    """Read a CSV/TSV export and map its columns to :data:`FIELDS`."""
    overrides, problems = _parse_overrides(column, file)
    if problems:
        raise ImportRejectedError(problems)
    table = _read_text(raw, file, overrides)
    mapping, problems, warnings = _map_columns(list(table.frame.columns), overrides, file)
    if problems:
        raise ImportRejectedError(problems)
    frame = pd.DataFrame({name: table.frame[header] for name, header in mapping.items()})
    implied = None
    if "classification" in mapping and "classification_system" not in mapping:
        implied = _SYSTEM_FROM_HEADER.get(_normalise(mapping["classification"]))
    return ParsedCatalogue(
        file=file,
        format=FORMAT_TEXT,
        frame=frame,
        rows=np.asarray(table.line_numbers),
        headers=mapping,
        implied_system=implied,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- MARC

MARC_HEADERS = {
    "item_key": "001 / 852 $p / 952 $p",
    "title": "245 $a",
    "publication_year": "008/07-10 (260/264 $c)",
    "classification": "084 $a / 082 $a",
    "classification_system": "084 $2",
    "language": "041 $a / 008/35-37",
    "media_type": "leader/06-07",
    "last_loan_date": "952 $s",
}
_LEADER_MEDIA = {
    "a": "book",
    "t": "book",
    "i": "audiobook",
    "j": "music",
    "g": "video",
    "m": "computer file",
    "e": "map",
    "f": "map",
    "c": "score",
    "d": "score",
}


def _subfield(record: Any, tags: Sequence[str], code: str) -> str | None:
    for tag in tags:
        for marc_field in record.get_fields(tag):
            for value in marc_field.get_subfields(code):
                if value and value.strip():
                    return value.strip()
    return None


def _control(record: Any, tag: str) -> str:
    fields = record.get_fields(tag)
    return (fields[0].data or "") if fields else ""


def _marc_year(record: Any) -> str | None:
    fixed = _control(record, "008")
    date1 = fixed[7:11]
    if len(date1) == 4 and date1.isdigit() and fixed[6:7] != "b":
        return date1
    for tag in ("260", "264"):
        for marc_field in record.get_fields(tag):
            for value in marc_field.get_subfields("c"):
                match = _YEAR_IN_TEXT.search(value)
                if match:
                    return match.group(1)
    return None


def _marc_class(record: Any) -> tuple[str | None, str | None]:
    for marc_field in record.get_fields("084"):
        sources = [s.strip().lower() for s in marc_field.get_subfields("2")]
        if sources and not any(s.startswith("kssb") for s in sources):
            continue
        for value in marc_field.get_subfields("a"):
            if value.strip():
                return value.strip(), "SAB"
    value = _subfield(record, ("082",), "a")
    if value:
        return value.replace("/", "").replace("'", ""), "DDC"
    return None, None


def _marc_language(record: Any) -> str | None:
    value = _subfield(record, ("041",), "a")
    if value:
        return value[:3]
    code = _control(record, "008")[35:38].strip(" |")
    return code or None


def _marc_media(record: Any) -> str:
    leader = str(record.leader)
    kind, level = leader[6:7], leader[7:8]
    physical = _control(record, "007")[:1]
    form = _control(record, "008")[23:24]
    if kind in ("a", "t"):
        if physical == "c" or form in ("o", "q", "s"):
            return "e-book"
        if level in ("b", "i", "s"):
            return "serial"
    if kind == "i" and physical not in ("", "s", "c"):
        return "other"
    return _LEADER_MEDIA.get(kind, "other")


def _marc_items(record: Any) -> list[dict[str, str | None]]:
    title = _subfield(record, ("245",), "a")
    classification, system = _marc_class(record)
    base = {
        "title": title.rstrip(" /:;,.=").strip() if title else None,
        "publication_year": _marc_year(record),
        "classification": classification,
        "classification_system": system,
        "language": _marc_language(record),
        "media_type": _marc_media(record),
        "last_loan_date": None,
    }
    items = []
    for tag in ("952", "852"):
        for marc_field in record.get_fields(tag):
            barcodes = [v.strip() for v in marc_field.get_subfields("p") if v.strip()]
            if not barcodes:
                continue
            loans = [v.strip() for v in marc_field.get_subfields("s") if v.strip()]
            items.append(
                {
                    **base,
                    "item_key": barcodes[0],
                    "last_loan_date": loans[0] if tag == "952" and loans else None,
                }
            )
        if items:  # Koha's 952 items; 852 holdings only when there are none
            break
    if not items:
        items.append({**base, "item_key": _control(record, "001").strip() or None})
    return items


def _marc_records(raw: bytes, file: str, fmt: str) -> Iterator[tuple[int, Any, str | None]]:
    """(record number, record or None, error detail)."""
    import pymarc

    if fmt == FORMAT_MARC:
        # exports often end with a line break or Ctrl-Z after the last record terminator
        reader = pymarc.MARCReader(
            raw.rstrip(b"\r\n\x1a\x00 "), to_unicode=True, utf8_handling="strict"
        )
        for number, record in enumerate(reader, start=1):
            if record is None:
                exc = reader.current_exception
                detail = f"{type(exc).__name__}: {exc}".rstrip(": ") if exc else "?"
                yield number, None, detail
            else:
                yield number, record, None
        return
    try:
        records = pymarc.parse_xml_to_array(io.BytesIO(raw), strict=False)
    except Exception as exc:  # xml.sax.SAXParseException and pymarc's own errors
        raise ImportRejectedError(
            [
                ImportProblem(
                    file,
                    None,
                    None,
                    None,
                    "marc_record",
                    {"detail": f"{type(exc).__name__}: {exc}"},
                )
            ]
        ) from None
    for number, record in enumerate(records, start=1):
        yield number, record, None


def parse_marc(raw: bytes, file: str, fmt: str) -> ParsedCatalogue:
    """Read MARC21 (ISO 2709) or MARCXML records into item rows."""
    items: list[dict[str, str | None]] = []
    rows: list[int] = []
    problems = []
    for number, record, detail in _marc_records(raw, file, fmt):
        if record is None:
            problems.append(
                ImportProblem(file, number, None, None, "marc_record", {"detail": detail})
            )
            continue
        try:
            record_items = _marc_items(record)
        except Exception as exc:  # a field pymarc decoded but that is not shaped as MARC says
            problems.append(
                ImportProblem(
                    file, number, None, None, "marc_record", {"detail": f"{type(exc).__name__}"}
                )
            )
            continue
        items.extend(record_items)
        rows.extend([number] * len(record_items))
    if problems:
        raise ImportRejectedError(problems)
    if not items:
        raise ImportRejectedError([ImportProblem(file, None, None, None, "no_rows")])
    columns = [name for name in FIELDS if name != "easy_read"]
    frame = pd.DataFrame(items, columns=columns, dtype=object)
    return ParsedCatalogue(
        file=file,
        format=fmt,
        frame=frame,
        rows=np.asarray(rows),
        headers=dict(MARC_HEADERS),
    )


def parse_catalogue(raw: bytes, file: str, column: Sequence[str] | None = None) -> ParsedCatalogue:
    """Detect the format and read the file; raises :class:`ImportRejectedError`."""
    if not raw or raw.isspace():  # (no copy of a large file, unlike strip())
        raise ImportRejectedError([ImportProblem(file, None, None, None, "empty_file")])
    fmt = detect_format(raw)
    if fmt == FORMAT_TEXT:
        return parse_text(raw, file, column)
    return parse_marc(raw, file, fmt)


# --------------------------------------------------------------------------- validation


@dataclass
class Items:
    """Validated items, one row per item.

    ``frame`` holds :data:`ITEM_COLUMNS` (item key and title as strings, the other columns as
    Python objects with ``None`` for missing); ``years`` the publication years as floats (NaN
    when missing); ``easy`` the easy-read flag; ``rows`` the file row of each item; ``order``
    the positions in item-key order; ``values`` per-row codes and distinct values of the
    low-cardinality columns (media type, classification, language), for the categories.
    """

    frame: pd.DataFrame
    years: np.ndarray
    easy: np.ndarray
    rows: np.ndarray
    headers: dict[str, str]
    order: np.ndarray
    values: dict[str, tuple[np.ndarray, list[Any]]]


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """The field's cells as strings with NA for empty cells (all NA when the field is absent)."""
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[name].astype("string")
    return text.where(text != "")


def _by_value(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 for NA) and distinct values: checks run once per distinct value."""
    codes, uniques = pd.factorize(values)
    return np.asarray(codes), uniques.astype(object).tolist()


def _take(table: Sequence[Any], codes: np.ndarray, missing: Any = None) -> np.ndarray:
    """``table[code]`` per row as an object array; code -1 gives ``missing``."""
    lookup = np.empty(len(table) + 1, dtype=object)
    lookup[: len(table)] = list(table)
    lookup[-1] = missing
    return lookup[codes]


def _row_problems(
    codes: np.ndarray, per_value: dict[int, ImportProblem], rows: np.ndarray
) -> list[ImportProblem]:
    """One problem per row whose value is one of the problem values (given per value)."""
    if not per_value:
        return []
    bad = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)
    bad[list(per_value)] = True
    flags = bad[codes]
    return [
        replace(per_value[int(code)], row=int(row))
        for row, code in zip(rows[flags], codes[flags], strict=True)
    ]


def _plain(values: pd.Series) -> list[Any]:
    """Python values with None for NA (for problems)."""
    return [None if pd.isna(value) else value for value in values.astype(object).tolist()]


def _flagged(
    mask: pd.Series | np.ndarray,
    values: pd.Series,
    rows: np.ndarray,
    file: str,
    column: str,
    code: str,
    params: dict[str, Any] | None = None,
) -> list[ImportProblem]:
    flags = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
    if not flags.any():
        return []
    return [
        ImportProblem(file, int(row), column, value, code, dict(params or {}))
        for row, value in zip(rows[flags], _plain(values[flags]), strict=True)
    ]


def _capped(problems: list[ImportProblem]) -> list[ImportProblem]:
    """Problems in row order, at most :data:`MAX_PROBLEMS_PER_KIND` per (code, column)."""
    ordered = sorted(problems, key=lambda p: (p.row is not None, p.row or 0))
    seen: Counter[tuple[str, str | None]] = Counter()
    kept, extra = [], Counter()
    for problem in ordered:
        key = (problem.code, problem.column)
        seen[key] += 1
        if seen[key] <= MAX_PROBLEMS_PER_KIND:
            kept.append(problem)
        else:
            extra[key] += 1
    for (_code, column), count in extra.items():
        kept.append(
            ImportProblem(ordered[0].file, None, column, None, "more_problems", {"count": count})
        )
    return kept


def _formula_problems(
    cells: dict[str, pd.Series], rows: np.ndarray, headers: dict[str, str], file: str
) -> list[ImportProblem]:
    """:func:`.textfile.formula_cells` on the text columns, run on the rows that could hold one."""
    names = [name for name in TEXT_LIMITS if name in cells]
    suspect = np.zeros(len(rows), dtype=bool)
    for name in names:
        starts = cells[name].str.startswith(textfile.FORMULA_PREFIXES)
        suspect |= np.asarray(starts.fillna(False), dtype=bool)
    if not suspect.any():
        return []
    subset = pd.DataFrame(
        {headers[name]: cells[name][suspect].astype(object).fillna("") for name in names}
    )
    return textfile.formula_cells(subset, file=file, line_numbers=rows[suspect])


def _canonical_system(value: str) -> str | None:
    upper = value.upper()
    if upper in ("DDC", "DEWEY"):
        return "DDC"
    if upper.startswith(("SAB", "KSSB")):
        return "SAB"
    return None


def _inferred_system(value: str) -> str | None:
    first = value[:1]
    if first.isdigit():
        return "DDC"
    return "SAB" if first.isalpha() else None


def _canonical_language(value: str) -> str:
    lowered = value.lower()
    return LANGUAGE_NAMES.get(lowered, lowered)


def _iso_date(value: str) -> str | None:
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _per_value(
    codes: np.ndarray,
    uniques: list[str],
    convert: Any,
    rows: np.ndarray,
    problem: ImportProblem,
) -> tuple[np.ndarray, list[ImportProblem]]:
    """Convert each distinct value; values converting to None are problems on every row."""
    converted = [convert(value) for value in uniques]
    bad = {
        i: replace(problem, value=value)
        for i, (value, result) in enumerate(zip(uniques, converted, strict=True))
        if result is None
    }
    return _take(converted, codes), _row_problems(codes, bad, rows)


def _year_values(
    cells: pd.Series, rows: np.ndarray, file: str, column: str, maximum: int
) -> tuple[np.ndarray, list[ImportProblem]]:
    """Publication years (float, NaN when missing) with :func:`.textfile.parse_numbers` rules."""
    codes, uniques = _by_value(cells)
    numbers, _, found = textfile.parse_numbers(
        pd.Series(uniques, dtype=object),
        file=file,
        column=column,
        line_numbers=np.arange(len(uniques)),
        integer=True,
        minimum=MIN_PUBLICATION_YEAR,
        maximum=maximum,
    )
    params = {"min": MIN_PUBLICATION_YEAR, "max": maximum}
    per_value = {
        int(p.row): (replace(p, code="year", params=params) if p.code == "range" else p)
        for p in found
        if p.row is not None
    }
    table = np.append(numbers.to_numpy(dtype=float), np.nan)
    return table[codes], _row_problems(codes, per_value, rows)


def _duplicates(
    key: pd.Series, rows: np.ndarray, file: str, column: str
) -> tuple[np.ndarray, list[ImportProblem]]:
    """Positions in item-key order (also the insert order) and repeated keys as problems.

    The sort is stable, so within equal keys the first is the earliest row; equal keys are
    adjacent, so repeats are found without hashing a million keys a second time.
    """
    filled = key.fillna("").astype("string")
    order = np.asarray(filled.argsort(kind="stable"))
    ordered = filled.take(order).reset_index(drop=True)
    present = np.asarray(key.notna(), dtype=bool)[order]
    repeat = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same = pd.Series(ordered.iloc[1:].array == ordered.iloc[:-1].array)
        repeat[1:] = same.fillna(False).to_numpy(dtype=bool) & present[1:]
    if not repeat.any():
        return order, []
    starts = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(order))))
    later, first = order[repeat], order[starts[repeat]]
    ordered = ordered[repeat].to_numpy(dtype=object)
    return order, [
        ImportProblem(
            file, int(rows[i]), column, value, "duplicate_in_file", {"other_row": int(rows[j])}
        )
        for i, j, value in zip(later, first, ordered.tolist(), strict=True)
    ]


def validate_items(parsed: ParsedCatalogue, year: int) -> tuple[Items, list[ImportProblem]]:
    """Apply the ``CatalogueItem`` field rules, once per column (or per distinct value)."""
    file, rows, raw = parsed.file, parsed.rows, parsed.frame
    headers = {name: parsed.headers.get(name, name) for name in FIELDS}
    cells = {name: _text(raw, name) for name in FIELDS}
    present = {name: cells[name] for name in FIELDS if name in raw}
    problems: list[ImportProblem] = []

    key = cells["item_key"]
    problems += _flagged(key.isna(), key, rows, file, headers["item_key"], "required")
    for name in ("item_key", "title", "classification", "media_type"):
        limit = TEXT_LIMITS[name]
        if name in present:
            too_long = present[name].str.len() > limit
            problems += _flagged(
                too_long, cells[name], rows, file, headers[name], "text_too_long", {"max": limit}
            )
    problems += _formula_problems(present, rows, headers, file)

    order, found = _duplicates(key, rows, file, headers["item_key"])
    problems += found

    codes, uniques = _by_value(cells["classification_system"])
    allowed = ImportProblem(
        file, None, headers["classification_system"], None, "allowed", {"allowed": "DDC, SAB"}
    )
    given_system, found = _per_value(codes, uniques, _canonical_system, rows, allowed)
    problems += found

    values: dict[str, tuple[np.ndarray, list[Any]]] = {}
    codes, uniques = _by_value(cells["language"])
    language_problem = ImportProblem(file, None, headers["language"], None, "language")
    languages = [_canonical_language(value) for value in uniques]
    bad = {
        i: replace(language_problem, value=value)
        for i, (value, code) in enumerate(zip(uniques, languages, strict=True))
        if not re.fullmatch(r"[a-z]{3}", code)
    }
    language = _take(languages, codes)
    values["language"] = (codes, languages)
    problems += _row_problems(codes, bad, rows)

    maximum = min(year + 1, LAST_YEAR)
    years, found = _year_values(
        cells["publication_year"], rows, file, headers["publication_year"], maximum
    )
    problems += found

    codes, uniques = _by_value(cells["last_loan_date"])
    date_problem = ImportProblem(file, None, headers["last_loan_date"], None, "date")
    loans, found = _per_value(codes, uniques, _iso_date, rows, date_problem)
    problems += found

    codes, uniques = _by_value(cells["easy_read"].str.lower())
    flags = [True if v in _TRUE else False if v in _FALSE else None for v in uniques]
    boolean = ImportProblem(file, None, headers["easy_read"], None, "boolean")
    bad = {
        i: replace(boolean, value=value)
        for i, (value, flag) in enumerate(zip(uniques, flags, strict=True))
        if flag is None
    }
    problems += _row_problems(codes, bad, rows)
    easy = np.array([flag is True for flag in flags] + [False], dtype=bool)[codes]

    codes, uniques = _by_value(cells["classification"])
    classification = _take(uniques, codes)
    values["classification"] = (codes, uniques)
    inferred = _take([_inferred_system(value) for value in uniques], codes)
    system = np.where(pd.isna(given_system), parsed.implied_system, given_system)
    system = np.where(pd.isna(system), inferred, system)
    system[codes < 0] = None

    codes, uniques = _by_value(cells["media_type"])
    media = _take(uniques, codes)
    values["media_type"] = (codes, uniques)
    publication = np.nan_to_num(years).astype(np.int64).astype(object)
    publication[np.isnan(years)] = None
    frame = pd.DataFrame(
        {
            "item_key": key,
            "title": cells["title"],
            "classification_system": pd.Series(system, index=raw.index, dtype=object),
            "classification": pd.Series(classification, index=raw.index, dtype=object),
            "publication_year": pd.Series(publication, index=raw.index, dtype=object),
            "language": pd.Series(language, index=raw.index, dtype=object),
            "media_type": pd.Series(media, index=raw.index, dtype=object),
            "last_loan_date": pd.Series(loans, index=raw.index, dtype=object),
        }
    )
    items = Items(
        frame=frame,
        years=years,
        easy=easy,
        rows=rows,
        headers=headers,
        order=order,
        values=values,
    )
    return items, problems


# --------------------------------------------------------------------------- categories

_MEDIA_NONE, _MEDIA_AUDIO, _MEDIA_EBOOK, _MEDIA_EASY, _MEDIA_PICTURE = range(5)
_MEDIA_CODES = {
    "audiobook": _MEDIA_AUDIO,
    "e_book": _MEDIA_EBOOK,
    "easy_read": _MEDIA_EASY,
    "picture_book": _MEDIA_PICTURE,
}
_CLASS_NONE, _CLASS_PICTURE, _CLASS_FICTION, _CLASS_NON_FICTION = range(4)
_SYSTEM_CODES = {"DDC": 1, "SAB": 2}
#: Incomplete-record reasons as bits.
_NO_YEAR, _NO_CLASS, _UNRECOGNISED = 1, 2, 4
_REASON_BITS = (
    (_NO_YEAR, "no_year"),
    (_NO_CLASS, "no_class"),
    (_UNRECOGNISED, "unrecognised_class"),
)


def media_kind(value: str) -> str | None:
    """``audiobook``, ``e_book``, ``easy_read``, ``picture_book`` or None, from a media type."""
    text = value.casefold()
    for kind, pattern in _MEDIA_KINDS:
        if pattern.search(text):
            return kind
    return None


def class_kind(system: str | None, value: str) -> str | None:
    """``picture_book``, ``fiction``, ``non_fiction`` or None (not a DDC or SAB class)."""
    if system == "DDC":
        match = _DDC.match(value)
        if not match:
            return None
        return "fiction" if 800 <= int(match.group(1)) <= 899 else "non_fiction"
    if system != "SAB":
        return None
    match = _SAB.match(value)
    if not match:
        return None
    main = match.group(1)
    if main.startswith("Hcf"):
        return "picture_book"
    return "fiction" if main.startswith("H") else "non_fiction"


_CLASS_CODES = {None: _CLASS_NONE, "picture_book": _CLASS_PICTURE, "fiction": _CLASS_FICTION}
_CLASS_CODES["non_fiction"] = _CLASS_NON_FICTION


def derive_categories(items: Items) -> tuple[np.ndarray, np.ndarray]:
    """Category index into :data:`CATEGORIES` per item (-1: undecided) and reason bits.

    The rules are in the module docstring; they run once per distinct value.
    """
    frame = items.frame
    codes, uniques = items.values["media_type"]
    table = np.array([_MEDIA_CODES.get(media_kind(v), _MEDIA_NONE) for v in uniques] + [0])
    media = table[codes]

    system = frame["classification_system"].to_numpy(dtype=object)
    system_code = np.zeros(len(frame), dtype=np.int64)
    for name, number in _SYSTEM_CODES.items():
        system_code[system == name] = number
    class_codes, class_values = items.values["classification"]
    pairs = np.where(class_codes >= 0, class_codes * 3 + system_code, -1)
    distinct, inverse = np.unique(pairs, return_inverse=True)
    systems = (None, "DDC", "SAB")
    kinds = np.array(
        [
            _CLASS_NONE
            if pair < 0
            else _CLASS_CODES[class_kind(systems[pair % 3], class_values[pair // 3])]
            for pair in distinct.tolist()
        ],
        dtype=np.int64,
    )
    kind = kinds[inverse.reshape(-1)] if len(frame) else np.zeros(0, dtype=np.int64)

    codes, uniques = items.values["language"]
    other_table = np.array(
        [v != "swe" and v not in UNKNOWN_LANGUAGES for v in uniques] + [False], dtype=bool
    )
    other = other_table[codes]

    index = {name: number for number, name in enumerate(CATEGORIES)}
    conditions = [
        media == _MEDIA_EBOOK,
        media == _MEDIA_AUDIO,
        other,
        (media == _MEDIA_EASY) | items.easy,
        (media == _MEDIA_PICTURE) | (kind == _CLASS_PICTURE),
        kind == _CLASS_FICTION,
        kind == _CLASS_NON_FICTION,
    ]
    order = [
        "e_books",
        "audiobooks",
        "other_languages",
        "easy_read",
        "picture_books",
        "fiction",
        "non_fiction",
    ]
    category = np.select(conditions, [index[name] for name in order], default=-1)

    reasons = np.zeros(len(frame), dtype=np.int64)
    reasons[np.isnan(items.years)] |= _NO_YEAR
    reasons[class_codes < 0] |= _NO_CLASS
    reasons[(class_codes >= 0) & (kind == _CLASS_NONE)] |= _UNRECOGNISED
    return category.astype(np.int64), reasons


def _lower_median(values: np.ndarray) -> int | None:
    if values.size == 0:
        return None
    ordered = np.sort(values)
    return int(ordered[(values.size - 1) // 2])


def collection_figures(items: Items, category: np.ndarray, year: int) -> pd.DataFrame:
    """Per category: items, items_last_10_years and the lower-median publication year."""
    years = items.years
    dated = ~np.isnan(years)
    recent = dated & (np.nan_to_num(years) >= year - (RECENT_YEARS - 1))
    rows = []
    for number, name in enumerate(CATEGORIES):
        mask = category == number
        count = int(mask.sum())
        if count == 0 and name not in ALWAYS_WRITTEN:
            continue
        rows.append(
            {
                "category": name,
                "items": count,
                "items_last_10_years": int((mask & recent).sum()),
                "median_publication_year": _lower_median(years[mask & dated]),
            }
        )
    return pd.DataFrame(
        rows, columns=["category", "items", "items_last_10_years", "median_publication_year"]
    )


# --------------------------------------------------------------------------- writing


def _rows(library_id: int, frame: pd.DataFrame, positions: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """The rows at ``positions`` (in item-key order, so the unique index is appended to).

    The frame is put in that order first (pyarrow's ``take`` for the string columns), so the
    Python objects are then created and read in memory order; the tuples come straight from
    ``zip`` objects chained in C, one Python step per chunk, not per row.
    """
    return itertools.chain.from_iterable(_row_chunks(library_id, frame, positions))


def _row_chunks(
    library_id: int, frame: pd.DataFrame, positions: np.ndarray
) -> Iterator[Iterator[tuple[Any, ...]]]:
    ordered = frame[list(ITEM_COLUMNS)].take(positions)
    for start in range(0, len(ordered), INSERT_CHUNK):
        part = ordered.iloc[start : start + INSERT_CHUNK]
        columns = [
            part[name].to_numpy()
            if part[name].dtype == object  # already Python objects with None for missing
            else part[name].to_numpy(dtype=object, na_value=None)
            for name in ITEM_COLUMNS
        ]
        yield zip(itertools.repeat(library_id, len(part)), *columns, strict=True)


def _insert_items(
    session: Session, library_id: int, frame: pd.DataFrame, positions: np.ndarray
) -> None:
    """Bulk insert of the rows at ``positions``: psycopg COPY on PostgreSQL, else the compiled
    Core insert as one DB-API executemany. Both run on the session's own DB-API connection, so
    they are part of its transaction.
    """
    if len(positions) == 0:
        return
    table = CatalogueItem.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    driver = connection.connection.driver_connection
    names = ["library_id", *ITEM_COLUMNS]
    dialect = connection.dialect
    if dialect.name == "postgresql":
        preparer = dialect.identifier_preparer
        statement = (
            f"COPY {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(name) for name in names)}) FROM STDIN"
        )
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in _rows(library_id, frame, positions):
                copy.write_row(row)
        return
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=names)
    if list(compiled.positiontup or ()) != names:  # a dialect with named parameters
        rows = [dict(zip(names, r, strict=True)) for r in _rows(library_id, frame, positions)]
        connection.execute(sa.insert(table), rows)
        return
    cursor = driver.cursor()
    sqlite = dialect.name == "sqlite"
    try:
        if sqlite:  # a larger page cache for the bulk insert, put back afterwards
            cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        try:
            cursor.executemany(str(compiled), _rows(library_id, frame, positions))
        finally:
            if sqlite:
                cursor.execute(f"PRAGMA cache_size = {int(cache)}")
    finally:
        cursor.close()


def _compared(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The file's stored columns as text (None for missing), as the database returns them."""
    out = {}
    for name in ITEM_COLUMNS:
        values = frame[name]
        if name == "publication_year":
            codes, uniques = _by_value(values)
            out[name] = _take([str(int(v)) for v in uniques], codes)
        elif values.dtype == object:
            out[name] = values.to_numpy()
        else:
            out[name] = values.to_numpy(dtype=object, na_value=None)
    return out


@dataclass
class ItemPlan:
    """What a snapshot import changes: new items (positions in item-key order), changed items
    (with ``id``), deleted ids."""

    new: np.ndarray
    changed: pd.DataFrame
    deleted_ids: list[int]
    unchanged: int


def _stored_batches(session: Session, library_id: int) -> Iterator[list[tuple[Any, ...]]]:
    """The library's stored items as DB-API tuples (id, then :data:`ITEM_COLUMNS` as text).

    Read on the session's own DB-API connection (a server-side cursor on PostgreSQL), in
    batches, without building a SQLAlchemy row per item. The year and the date are cast to
    text in SQL, so both databases return exactly what :func:`_compared` makes of the file.
    """
    table = CatalogueItem.__table__  # type: ignore[attr-defined]
    columns = [
        sa.cast(table.c[name], sa.String)
        if name in ("publication_year", "last_loan_date")
        else table.c[name]
        for name in ITEM_COLUMNS
    ]
    statement = sa.select(table.c.id, *columns).where(table.c.library_id == int(library_id))
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name=f"skolbib_catalogue_{int(library_id)}")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(INSERT_CHUNK):
            yield batch
    finally:
        cursor.close()


def _text_array(values: Sequence[Any]) -> Any:
    """Text cells as a pyarrow array with ``\\0`` for missing (so missing equals missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(pa.array(values, type=pa.string(), from_pandas=True), "\0")


def plan_items(session: Session, library_id: int, items: Items) -> ItemPlan:
    """The diff between the library's stored items and the file, by item key.

    Stored rows are read in batches and compared with the file's as pyarrow arrays, so memory
    stays bounded however large the stored catalogue is.
    """
    import pyarrow.compute as pc

    frame = items.frame
    size = len(frame)
    matched = np.zeros(size, dtype=bool)
    differs = np.zeros(size, dtype=bool)
    stored_id = np.zeros(size, dtype=np.int64)
    deleted: list[int] = []
    new_values: dict[str, Any] | None = None
    new_keys: pd.Index | None = None
    for batch in _stored_batches(session, library_id):
        if new_values is None:
            compared = _compared(frame)
            new_keys = pd.Index(compared["item_key"], dtype=object)
            new_values = {name: _text_array(compared[name]) for name in ITEM_COLUMNS[1:]}
        columns = list(zip(*batch, strict=True))
        ids = np.asarray(columns[0], dtype=np.int64)
        position = new_keys.get_indexer(np.asarray(columns[1], dtype=object))
        hit = position >= 0
        deleted.extend(int(i) for i in ids[~hit])
        where = position[hit]
        changed = np.zeros(len(where), dtype=bool)
        for name, values in zip(ITEM_COLUMNS[1:], columns[2:], strict=True):
            old = _text_array(values).filter(hit)
            unequal = pc.not_equal(old, new_values[name].take(where))
            changed |= unequal.to_numpy(zero_copy_only=False)
        matched[where] = True
        differs[where] = changed
        stored_id[where] = ids[hit]
    update = matched & differs
    return ItemPlan(
        new=items.order[~matched[items.order]],
        changed=frame[update].assign(id=stored_id[update]),
        deleted_ids=deleted,
        unchanged=int((matched & ~differs).sum()),
    )


def _apply_items(session: Session, library_id: int, items: Items, plan: ItemPlan) -> None:
    table = CatalogueItem.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    ids = plan.deleted_ids
    for start in range(0, len(ids), 5000):
        connection.execute(sa.delete(table).where(table.c.id.in_(ids[start : start + 5000])))
    if not plan.changed.empty:
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("item_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in ITEM_COLUMNS})
        )
        columns = {
            name: plan.changed[name].to_numpy(dtype=object, na_value=None) for name in ITEM_COLUMNS
        }
        records = []
        for index, item_id in enumerate(plan.changed["id"].tolist()):
            record = {f"new_{name}": columns[name][index] for name in ITEM_COLUMNS}
            loan = record["new_last_loan_date"]
            record["new_last_loan_date"] = date.fromisoformat(loan) if loan else None
            record["item_id"] = int(item_id)
            records.append(record)
        connection.execute(statement, records)
    _insert_items(session, library_id, items.frame, plan.new)


def _write_collections(
    session: Session,
    library_id: int,
    year: int,
    figures: pd.DataFrame,
    report: ImportReport,
    dry_run: bool,
) -> None:
    """Upsert the derived figures; acquisitions and weeded are left as they are."""
    existing = {
        str(getattr(row.category, "value", row.category)): row
        for row in session.execute(
            sa.select(CollectionYear).where(
                CollectionYear.library_id == library_id, CollectionYear.year == year
            )
        ).scalars()
    }
    new_rows, updated, unchanged = [], 0, 0
    for record in figures.to_dict("records"):
        median = record["median_publication_year"]
        values = {
            "items": int(record["items"]),
            "items_last_10_years": int(record["items_last_10_years"]),
            "median_publication_year": None if pd.isna(median) else int(median),
        }
        row = existing.get(record["category"])
        if row is None:
            new_rows.append(
                {"library_id": library_id, "year": year, "category": record["category"], **values}
            )
        elif all(getattr(row, name) == value for name, value in values.items()):
            unchanged += 1
        else:
            updated += 1
            if not dry_run:
                table = CollectionYear.__table__  # type: ignore[attr-defined]
                current = {column.name: getattr(row, column.name) for column in table.columns}
                writes.validate(CollectionYear, {**current, **values})
                for name, value in values.items():
                    setattr(row, name, value)
    if not dry_run:
        writes.add_all(session, CollectionYear, new_rows)
        session.flush()
    report.created["collection_year"] = len(new_rows)
    report.updated["collection_year"] = updated
    report.unchanged["collection_year"] = unchanged


# --------------------------------------------------------------------------- incomplete list


def _formula_safe(values: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("")
    risky = text.str.startswith(textfile.FORMULA_PREFIXES).fillna(False)
    return text.where(~risky, "'" + text)


def incomplete_frame(items: Items, category: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    """The incomplete records: file row, the item's fields, category and reasons."""
    mask = reasons > 0
    frame = items.frame.loc[mask]
    codes = [";".join(code for bit, code in _REASON_BITS if value & bit) for value in range(8)]
    texts = ["; ".join(REASONS[c] for c in text.split(";") if c) for text in codes]
    names = np.array([*CATEGORIES, ""], dtype=object)
    return pd.DataFrame(
        {
            "row": items.rows[mask],
            "item_key": frame["item_key"].astype(object),
            "title": frame["title"].astype(object),
            "publication_year": frame["publication_year"],
            "classification": frame["classification"],
            "language": frame["language"],
            "media_type": frame["media_type"].astype(object),
            "category": names[category[mask]],
            "reason": np.asarray(codes, dtype=object)[reasons[mask]],
            "reason_sv": np.asarray(texts, dtype=object)[reasons[mask]],
        },
        columns=list(INCOMPLETE_COLUMNS),
    )


def write_incomplete(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the incomplete list as ``;``-separated UTF-8 (BOM) CSV, formula-safe."""
    safe = pd.DataFrame({name: _formula_safe(frame[name]) for name in frame.columns})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    safe.to_csv(path, sep=";", index=False, encoding="utf-8-sig")


# --------------------------------------------------------------------------- entry point


def _context_problems(
    session: Session, library: int | None, year: int, file: str
) -> list[ImportProblem]:
    problems = []
    if library is None or session.get(Library, library) is None:
        problems.append(ImportProblem(file, None, "--library", library, "unknown_library"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            ImportProblem(file, None, "--year", year, "year", {"min": FIRST_YEAR, "max": LAST_YEAR})
        )
    return problems


def _notes(
    parsed: ParsedCatalogue,
    library: int,
    year: int,
    figures: pd.DataFrame,
    category: np.ndarray,
    reasons: np.ndarray,
    deleted: int,
) -> dict[str, Any]:
    return {
        "format": parsed.format,
        "library": library,
        "year": year,
        "items": len(category),
        "deleted": deleted,
        "incomplete": int((reasons > 0).sum()),
        "no_year": int(((reasons & _NO_YEAR) > 0).sum()),
        "no_class": int(((reasons & _NO_CLASS) > 0).sum()),
        "unrecognised_class": int(((reasons & _UNRECOGNISED) > 0).sum()),
        "uncategorised": int((category < 0).sum()),
        "by_category": {str(r["category"]): int(r["items"]) for r in figures.to_dict("records")},
    }


def import_catalogue(
    session: Session,
    path: str | Path,
    *,
    dry_run: bool = False,
    library: int | None = None,
    year: int | None = None,
    column: Sequence[str] | None = None,
    incomplete_out: str | Path | None = None,
) -> ImportReport:
    """Import one library's catalogue export (CSV/TSV, MARC21 or MARCXML) into ``session``.

    Parameters
    ----------
    session
        Open session; the caller commits (or rolls back).
    path
        The export file.
    dry_run
        Validate and compute the report (and the incomplete list) without writing.
    library
        ``library.id`` whose catalogue this is.
    year
        Inventory year of the derived ``collection_year`` rows; default this calendar year.
    column
        ``FIELD=HEADER`` overrides of the column mapping (text files).
    incomplete_out
        Where to write the incomplete-records CSV.

    Returns
    -------
    ImportReport
        Created/updated/unchanged rows per table; ``notes`` has the counts (items, deleted,
        incomplete and why, uncategorised, items by category).

    Raises
    ------
    ImportRejectedError
        With every problem found (file, row, column, value, expected); nothing is written.
    """
    path = Path(path)
    file = path.name
    year = date.today().year if year is None else int(year)
    context = _context_problems(session, library, year, file)
    try:
        parsed = parse_catalogue(path.read_bytes(), file, column)
    except ImportRejectedError as exc:
        raise ImportRejectedError(context + exc.problems) from None
    bound_year = year if FIRST_YEAR <= year <= LAST_YEAR else date.today().year
    items, problems = validate_items(parsed, bound_year)
    if context or problems:
        raise ImportRejectedError(_capped(context + problems) + parsed.warnings)
    assert library is not None  # checked by _context_problems

    category, reasons = derive_categories(items)
    figures = collection_figures(items, category, year)

    report = ImportReport(kind=KIND, file=file, dry_run=dry_run, warnings=list(parsed.warnings))
    savepoint = session.begin_nested()
    try:
        plan = plan_items(session, library, items)
        if not dry_run:
            _apply_items(session, library, items, plan)
        _write_collections(session, library, year, figures, report, dry_run)
    except InventoryValidationError as exc:
        savepoint.rollback()
        raise ImportRejectedError(from_validation_error(exc, file, [], {})) from None
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ImportRejectedError(
            [ImportProblem(file, None, None, None, "database", {"detail": detail})]
        ) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()

    report.created["catalogue_item"] = len(plan.new)
    report.updated["catalogue_item"] = len(plan.changed)
    report.unchanged["catalogue_item"] = plan.unchanged
    report.notes = _notes(parsed, library, year, figures, category, reasons, len(plan.deleted_ids))
    if incomplete_out is not None:
        write_incomplete(incomplete_frame(items, category, reasons), incomplete_out)
        report.notes["incomplete_out"] = str(incomplete_out)
    return report
