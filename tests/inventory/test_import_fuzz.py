"""Fuzzing the text importers: whatever the bytes, only the documented rejection comes out.

Each example is imported into a fresh SQLite database with a small inventory; the importer
must either succeed or raise ``ImportRejectedError``, and a rejection must leave the database
exactly as it was.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel

from inventory.db import make_engine
from inventory.importers.problems import ImportRejectedError
from inventory.importers.pupils import import_pupils
from inventory.importers.resource_centre import import_resource_centre
from inventory.importers.surveys import import_survey
from inventory.importers.workbook import import_inventory
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

PUPILS_HEADER = (
    "Skola;Skol-enhetskod;Skolkommun;Kommun-kod;Typ av huvudman;Huvudman;Huvudman orgnr;"
    "Elever, förskoleklass;Andel (%) flickor, förskoleklass;Elever, årskurs 1-9;"
    "Andel (%) flickor, årskurs 1-9;Andel (%) elever med utländsk bakgrund, åk 1-9;"
    "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9;Elever, årskurs 1;"
    "Elever, årskurs 2;Elever, årskurs 3;Elever, årskurs 4;Elever, årskurs 5;"
    "Elever, årskurs 6;Elever, årskurs 7;Elever, årskurs 8;Elever, årskurs 9;"
)
PUPILS_PREAMBLE = "\ufeffStatistik från Skolverket\n\nGrundskola\nValt läsår: 2023/24\n\n"
RESOURCE_HEADER = "kommunkod;skolenhetskod;år;AV-medier utlån;teknikutlån"
SURVEY_HEADER = "enkät;år;fråga;respondent;roll;skolenhetskod;svar"
WORKBOOK_HEADER = "Bibliotek;Kommunkod;År;Timmar bibliotekarie"

# cells that exercise the parsers: numbers Swedish style, markers, codes, formulas, quotes
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            ".",
            "..",
            "0",
            "12",
            "1 018",
            "12,5",
            "-3",
            "169",
            "abc",
            "9911",
            "99110001",
            "990000012",
            "2024",
            "1800",
            '=HYPERLINK("x")',
            "@SUM(A1)",
            '"',
            '""',
            "Kommunal",
            "Enskild",
            "lärare",
            "elev",
            "r1",
            "7",
            "~100",
            "\u00a0",
            "Ekbiblioteket",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
SEPARATORS = st.sampled_from([";", ",", "\t", ";;"])
_counter = itertools.count()


def _rows(header: str, width: int):
    return st.lists(
        st.tuples(st.lists(CELLS, min_size=max(1, width - 2), max_size=width + 2), SEPARATORS),
        max_size=6,
    ).map(lambda rows: header + "\n" + "\n".join(sep.join(cells) for cells, sep in rows))


def _file(header: str, width: int, preamble: str = ""):
    text = _rows(header, width).map(lambda body: preamble + body)
    encoded = st.tuples(text, st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"])).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    )
    cut = st.tuples(encoded, st.integers(min_value=0, max_value=400)).map(
        lambda pair: pair[0][: pair[1]] if pair[1] else pair[0]
    )
    return st.one_of(encoded, cut, st.binary(max_size=200))


IMPORTERS = [
    pytest.param(import_pupils, _file(PUPILS_HEADER, 21, PUPILS_PREAMBLE), ".csv", id="pupils"),
    pytest.param(import_resource_centre, _file(RESOURCE_HEADER, 5), ".csv", id="resource"),
    pytest.param(import_survey, _file(SURVEY_HEADER, 7), ".csv", id="survey"),
    pytest.param(import_inventory, _file(WORKBOOK_HEADER, 4), ".csv", id="workbook-csv"),
]


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        small_inventory(session)
    engine.dispose()
    return url


@pytest.mark.parametrize(("importer", "files", "suffix"), IMPORTERS)
def test_importer_only_raises_the_documented_error(importer, files, suffix, fuzz_db, tmp_path):
    engine = make_engine(fuzz_db)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=files)
    def check(data: bytes) -> None:
        path = Path(tmp_path) / f"fuzz_{next(_counter)}{suffix}"
        path.write_bytes(data)
        with Session(engine) as session:
            before = database_fingerprint(session)
            try:
                importer(session, path)
            except ImportRejectedError as exc:
                assert exc.errors, "a rejection must name at least one error"
                for problem in exc.errors:
                    assert problem.file and problem.expected("sv") and problem.expected("en")
                session.rollback()
                assert database_fingerprint(session) == before
            else:
                session.rollback()

    check()
    engine.dispose()
