"""The Inventering editor refuses a save when someone else saved the same row after it loaded."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.services.inventory_page import editor_key
from inventory.db import make_engine
from inventory.editing import save_library_year_edits
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/inventory.py"


def hours(url: str, library_id: int, year: int) -> float | None:
    engine = make_engine(url)
    with engine.connect() as connection:
        value = connection.execute(
            sa.text("SELECT hours_assistant FROM library_year WHERE library_id = :l AND year = :y"),
            {"l": library_id, "y": year},
        ).scalar_one()
    engine.dispose()
    return value


def test_a_save_over_someone_elses_newer_save_is_refused_and_theirs_kept(writable_demo_app):
    url = writable_demo_app
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state["user"] = account(url, "anna", "projektledare")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    year = at.session_state["filter_year"]
    key = editor_key(
        at.session_state["filter_municipality"], year, at.session_state["inventory_editor_version"]
    )
    library_id = at.session_state["inventory_editor_rows"][key][0]
    before = hours(url, library_id, year)

    # Bo saves the same row in another session after Anna's editor loaded it
    bo = account(url, "bo", "projektledare")
    engine = make_engine(url)
    with Session(engine) as session:
        theirs = 21 if before != 21 else 22
        save_library_year_edits(session, bo, {(library_id, year): {"hours_assistant": theirs}})
    engine.dispose()

    at.session_state[key] = {
        "edited_rows": {0: {"hours_assistant": 3}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="inventory_save").click().run()
    assert not at.exception, [e.message for e in at.exception]

    message = at.container(key="inventory_stale").error[0].value
    name = at.container(key="inventory_years").data_editor[0].value["library_name"].iloc[0]
    assert name in message and "någon annan" in message
    assert hours(url, library_id, year) == theirs
    # Anna's edit is still in the editor, not silently dropped
    assert at.session_state["inventory_editor_version"] == 0
    assert at.session_state[key]["edited_rows"] == {0: {"hours_assistant": 3}}
