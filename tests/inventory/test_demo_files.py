"""The demo as import files, loaded through the importers, equals the generator's data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from inventory import demo
from inventory.db import make_engine
from inventory.demo_files import import_demo_files, write_demo_files
from inventory.importers.workbook import inventory_frames
from tests.helpers import table_counts


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("demo_files")
    return folder, write_demo_files(folder)


def _direct(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'direct.db'}")
    SQLModel.metadata.create_all(engine)
    session = Session(engine)
    demo.load(session, demo.generate())
    session.commit()
    return session


def test_files_are_in_the_import_formats(demo_files):
    folder, written = demo_files
    assert (folder / written["workbook"]).read_bytes()[:2] == b"PK"  # an xlsx (zip) file
    assert len(written["catalogues"]) >= 3
    head = (folder / written["catalogues"][0]["file"]).read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("Streckkod;Titel;Utgivningsår")
    assert written["surveys"] and (folder / written["resource_centre"]).exists()
    assert len(written["results"]) == 7  # one Skolverket download per school year
    lines = (folder / written["results"][-1]).read_text(encoding="utf-8-sig").splitlines()
    assert lines[3] == "Valt läsår: 2025/26;;;;;;;;;;"
    assert lines[5].startswith("Skola;Skol-enhetskod;Skolkommun;Kommun-kod;Typ av huvudman;")


def test_loading_the_files_gives_the_generated_inventory(session, demo_files, tmp_path):
    folder, written = demo_files
    reports = import_demo_files(session, folder, written)
    session.commit()
    assert [r.kind for r in reports][0] == "inventory"
    direct = _direct(tmp_path)
    via_files, generated = inventory_frames(session), inventory_frames(direct)
    for sheet, frame in generated.items():
        if sheet == "collections":
            continue  # catalogue imports re-derive some rows; compared below
        pd.testing.assert_frame_equal(
            via_files[sheet].reset_index(drop=True), frame.reset_index(drop=True), obj=sheet
        )
    counts, expected = table_counts(session), table_counts(direct)
    for table in (
        "catalogue_item",
        "resource_centre_year",
        "survey",
        "survey_question",
        "survey_answer",
        "collection_year",
        "school",
        "library_year",
        "school_result",
    ):
        assert counts[table] == expected[table], table
    # the year-9 results went through Skolverket's raw layout and came back unchanged
    results_sql = sa.text(
        "SELECT s.school_unit_code, r.year, r.pupils, r.share_all_subjects,"
        " r.share_eligible_vocational, r.mean_merit_value, r.suppressed"
        " FROM school_result r JOIN school s ON s.id = r.school_id ORDER BY 1, 2"
    )
    via_results = [tuple(r) for r in session.execute(results_sql)]
    assert via_results == [tuple(r) for r in direct.execute(results_sql)]
    assert len(via_results) == len(written["results"]) * 17
    # the catalogue-derived collection rows agree with the catalogue items themselves
    rows = session.execute(
        sa.text(
            "SELECT c.library_id, SUM(c.items) FROM collection_year c"
            " WHERE c.year = 2025 AND c.library_id IN (SELECT DISTINCT library_id FROM"
            " catalogue_item) GROUP BY c.library_id ORDER BY 1"
        )
    ).all()
    items = session.execute(
        sa.text("SELECT library_id, COUNT(*) FROM catalogue_item GROUP BY library_id ORDER BY 1")
    ).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in items]
    direct.close()
