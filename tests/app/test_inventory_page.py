"""The Inventering page through AppTest: editing and saving, read-only roles, import, templates,
completeness.

Tests that write get their own copy of the demo database (the shared one is read by other
tests); the database is read back with plain SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import make_url
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.services.inventory_page import EDITABLE_COLUMNS, editor_key
from app.session import ROLES
from inventory import db
from tests.app.conftest import ENTRYPOINT
from tests.helpers import database_fingerprint

TIMEOUT = 60
PAGE = "app/pages/inventory.py"
EDITORS = ("admin", "projektledare")
READERS = ("referensgrupp", "chef")


@pytest.fixture
def writable_app(demo_database: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the demo database (SQLite backup API, WAL-safe) for tests that write."""
    target = tmp_path / "inventory-page.db"
    source = sqlite3.connect(make_url(demo_database).database)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    url = f"sqlite:///{target}"
    monkeypatch.setenv(db.ENV_DATABASE_URL, url)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "projektledare")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(role: str = "projektledare", lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["filter_demo_role"] = role
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def current_key(at: AppTest) -> str:
    return editor_key(
        at.session_state["filter_municipality"],
        at.session_state["filter_year"],
        at.session_state["inventory_editor_version"],
    )


def fetch(url: str, sql: str, **params) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def fingerprint(url: str) -> str:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return database_fingerprint(session)
    finally:
        engine.dispose()


def button_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


# --------------------------------------------------------------------------- every role


@pytest.mark.parametrize("role", ROLES)
def test_page_renders_its_four_tabs_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Inventering"
    assert [tab.label for tab in at.tabs] == [
        "Biblioteksår",
        "Import",
        "Mallar",
        "Fullständighet",
    ]
    assert at.info  # the fictional-data banner at least
    # the templates are for everybody
    assert len(at.get_by_key("inventory_templates").get("download_button")) == 2
    years = at.container(key="inventory_years")
    if role in EDITORS:
        assert len(years.data_editor) == 1
        assert "inventory_save" in button_keys(at)
    else:
        assert len(years.data_editor) == 0
        assert len(years.dataframe) == 1
        assert "inventory_save" not in button_keys(at)


def test_the_editor_shows_the_libraries_of_the_municipality_and_year(demo_app):
    at = open_page()
    table = at.container(key="inventory_years").data_editor[0].value
    engine = db.make_engine(demo_app)
    with engine.connect() as connection:
        expected = connection.execute(
            sa.text(
                "SELECT l.name FROM library l JOIN municipality m ON m.id = l.municipality_id"
                " WHERE m.code = :code"
            ),
            {"code": at.session_state["filter_municipality"]},
        ).scalars()
        expected = sorted(expected)
    engine.dispose()
    assert sorted(table["library_name"]) == expected
    assert set(EDITABLE_COLUMNS) <= set(table.columns)


# --------------------------------------------------------------------------- saving


def test_project_leader_edits_a_cell_and_saves(writable_app):
    at = open_page("projektledare")
    key = current_key(at)
    library_id = at.session_state["inventory_editor_rows"][key][0]
    year = at.session_state["filter_year"]
    [(before,)] = fetch(
        writable_app,
        "SELECT hours_assistant FROM library_year WHERE library_id = :l AND year = :y",
        l=library_id,
        y=year,
    )
    new = 12 if before != 12 else 13

    at.session_state[key] = {
        "edited_rows": {0: {"hours_assistant": new}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    at.button(key="inventory_save").click().run()
    assert not at.exception, [e.message for e in at.exception]

    [(after,)] = fetch(
        writable_app,
        "SELECT hours_assistant FROM library_year WHERE library_id = :l AND year = :y",
        l=library_id,
        y=year,
    )
    assert after == new
    audit = fetch(
        writable_app,
        "SELECT username, action, entity, field, old_value, new_value FROM audit_entry "
        "WHERE entity <> 'app_user'",  # the demo accounts' own creation is audited too
    )
    assert audit == [
        (
            "projektledare",
            "edit",
            "library_year",
            "hours_assistant",
            None if before is None else str(float(before)),
            str(float(new)),
        )
    ]
    assert [toast.value for toast in at.toast] == ["Sparat: 1 värden i 1 bibliotek."]
    # a fresh editor (new key, no pending delta) that shows the saved value
    assert at.session_state["inventory_editor_version"] == 1
    table = at.container(key="inventory_years").data_editor[0].value
    assert table["hours_assistant"].iloc[0] == new


def test_a_bad_value_shows_the_error_table_and_changes_nothing(writable_app):
    before = fingerprint(writable_app)
    at = open_page("admin")
    key = current_key(at)
    at.session_state[key] = {
        "edited_rows": {0: {"hours_assistant": -5}, 1: {"loans": 10}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="inventory_save").click().run()
    assert not at.exception, [e.message for e in at.exception]

    errors = at.container(key="inventory_errors")
    assert errors.error
    table = errors.dataframe[0].value
    first_library = at.container(key="inventory_years").data_editor[0].value["library_name"]
    assert table["library"].tolist() == [first_library.iloc[0]]
    assert table["field"].tolist() == ["Timmar biblioteksassistent"]
    assert table["value"].tolist() == ["-5"]
    assert table["expected"].tolist() == ["ett antal timmar per vecka från 0 till 168"]
    assert fingerprint(writable_app) == before
    # the edit is still there to correct
    assert at.session_state["inventory_editor_version"] == 0


def test_reference_group_sees_no_save_button_and_no_import_controls(demo_app):
    at = open_page("referensgrupp")
    keys = button_keys(at)
    assert not keys & {"inventory_save", "inventory_import_check", "inventory_import_confirm"}
    assert len(at.file_uploader) == 0
    importer = at.container(key="inventory_import")
    assert [i.value for i in importer.info] == [
        "Bara projektledare och administratörer kan läsa in filer."
    ]
    assert len(at.data_editor) == 0


# --------------------------------------------------------------------------- import


def test_import_tab_offers_every_kind_with_its_options(demo_app):
    at = open_page("projektledare")
    importer = at.container(key="inventory_import")
    kind = importer.selectbox(key="inventory_import_kind")
    assert kind.options == [
        "Elevstatistik (Skolverket)",
        "Inventeringsarbetsbok",
        "Katalogexport från biblioteksdatasystem",
        "Regionala resurscentrets statistik",
        "Enkätsvar",
        "Slutbetyg årskurs 9 (Skolverket)",
    ]
    assert len(importer.file_uploader) == 1
    assert at.button(key="inventory_import_check").disabled  # no file yet
    assert at.button(key="inventory_import_confirm").disabled

    kind.select("catalogue").run()
    assert not at.exception
    library = at.selectbox(key="inventory_option_catalogue_library")
    assert library.options  # the libraries of the municipality
    assert (
        at.number_input(key="inventory_option_catalogue_year").value
        == (at.session_state["filter_year"])
    )

    at.selectbox(key="inventory_import_kind").select("pupils").run()
    assert at.multiselect(key="inventory_option_pupils_municipality").value == [
        at.session_state["filter_municipality"]
    ]


def resource_centre_csv(code: str, school: str, year: int) -> bytes:
    lines = [
        "kommunkod;skolenhetskod;år;AV-medier utlån;teknikutlån;fortbildning deltagare;"
        "fortbildning timmar",
        f"{code};;{year};1 234;56;18;40,5",
        f"{code};{school};{year};310;4;6;12,0",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_upload_check_then_confirm_imports_the_file(writable_app):
    at = open_page("projektledare")
    code = at.session_state["filter_municipality"]
    [(school,)] = fetch(
        writable_app,
        "SELECT s.school_unit_code FROM school s JOIN municipality m ON m.id = s.municipality_id"
        " WHERE m.code = :code ORDER BY s.school_unit_code LIMIT 1",
        code=code,
    )
    year = 2010  # no resource-centre figures on record that year
    query = "SELECT count(*) FROM resource_centre_year WHERE year = :y"
    before = fingerprint(writable_app)

    at.selectbox(key="inventory_import_kind").select("resource-centre").run()
    at.file_uploader[0].upload("resurscentrum.csv", resource_centre_csv(code, school, year))
    at.run()
    assert not at.exception
    at.button(key="inventory_import_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    result = at.container(key="inventory_import_result")
    assert result.success
    summary = result.code[0].value
    assert "resurscentrum.csv" in summary and "2 nya" in summary
    assert fingerprint(writable_app) == before  # the check was a dry run
    assert not at.button(key="inventory_import_confirm").disabled

    at.button(key="inventory_import_confirm").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert fetch(writable_app, query, y=year) == [(2,)]
    audit = fetch(
        writable_app, "SELECT action, entity, username FROM audit_entry WHERE entity <> 'app_user'"
    )
    assert audit == [("import", "resource-centre", "projektledare")]
    assert at.toast and at.toast[0].value.startswith("Importen är sparad.")
    assert len(at.file_uploader) == 1 and at.file_uploader[0].value is None  # a fresh uploader


def test_a_rejected_upload_shows_the_problem_table(writable_app):
    before = fingerprint(writable_app)
    at = open_page("admin")
    at.selectbox(key="inventory_import_kind").select("resource-centre").run()
    bad = resource_centre_csv("0000", "1234", 2010)
    at.file_uploader[0].upload("fel.csv", bad)
    at.run()
    at.button(key="inventory_import_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    result = at.container(key="inventory_import_result")
    assert result.error
    problems = result.dataframe[0].value
    assert set(problems["Fil"]) == {"fel.csv"}
    assert "Kolumn" in problems.columns and len(problems) >= 2
    assert at.button(key="inventory_import_confirm").disabled
    assert fingerprint(writable_app) == before


# --------------------------------------------------------------------------- completeness


def test_completeness_lists_every_school_unit_and_narrows_to_gaps(demo_app):
    at = open_page("chef")
    complete = at.container(key="inventory_completeness")
    matrix = complete.get_by_key("inventory_completeness_matrix").dataframe[0].value
    [(schools,)] = fetch(
        demo_app,
        "SELECT count(*) FROM school s JOIN municipality m ON m.id = s.municipality_id"
        " JOIN school_year y ON y.school_id = s.id WHERE m.code = :code AND y.year = :year",
        code=at.session_state["filter_municipality"],
        year=at.session_state["filter_year"],
    )
    assert len(matrix) == schools
    assert set(matrix["pupils"]) <= {"✓", "saknas", "–"}
    gaps = int((matrix["missing_count"] > 0).sum())

    at.toggle(key="inventory_gaps_only").set_value(True).run()
    narrowed = at.get_by_key("inventory_completeness_matrix").dataframe[0].value
    assert len(narrowed) == gaps
    assert (narrowed["missing_count"] > 0).all()
    summary = at.get_by_key("inventory_completeness_summary").dataframe[0].value
    assert len(summary) == 14


def test_english_switch_changes_headings(demo_app):
    at = open_page("projektledare", lang="en")
    assert at.title[0].value == "Inventory"
    assert [tab.label for tab in at.tabs] == [
        "Library years",
        "Import",
        "Templates",
        "Completeness",
    ]
    assert at.button(key="inventory_save").label == "Save"
