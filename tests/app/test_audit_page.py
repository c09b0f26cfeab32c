"""The audit-trail page (Ändringslogg) through the entrypoint: admins only, filters, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from inventory import db, writes
from inventory.models import AuditEntry
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/audit.py"
TIMEOUT = 60
SCRIPT = "<script>alert(1)</script>"


def add_entries(url: str, count: int = 0) -> list[int]:
    """Three known entries, plus ``count`` filler edits by "robot" spread over older days."""
    base = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    rows = [
        {"at": base, "username": "anna", "action": "edit", "entity": "action_plan",
         "entity_id": "7", "field": "status", "old_value": "draft", "new_value": "adopted"},
        {"at": base + timedelta(days=1), "username": "=HYPERLINK(\"http://x\")",
         "action": "create", "entity": "survey", "entity_id": "2", "field": "title",
         "new_value": SCRIPT},
        {"at": base + timedelta(days=2), "username": "bertil", "action": "answer",
         "entity": "survey", "entity_id": "2"},
    ] + [
        {"at": base - timedelta(days=1 + i), "username": "robot", "action": "edit",
         "entity": "library_year", "entity_id": str(i), "field": "loans", "new_value": str(i)}
        for i in range(count)
    ]  # fmt: skip
    engine = db.make_engine(url)
    with Session(engine) as session:
        ids = [row.id for row in writes.add_all(session, AuditEntry, rows)]
        session.commit()
    engine.dispose()
    return ids


def open_page(url: str, role: str = "admin", lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(url, f"konto-{role}", role)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at: AppTest):
    return at.container(key="audit_entries").dataframe[0].value


def db_ids(url: str, where: str = "1 = 1") -> list[int]:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        ids = [
            r[0]
            for r in connection.execute(
                sa.text(f"SELECT id FROM audit_entry WHERE {where} ORDER BY at DESC, id DESC")
            )
        ]
    engine.dispose()
    return ids


def test_admin_sees_the_trail_newest_first_as_plain_text(writable_demo_app):
    mine = add_entries(writable_demo_app)
    at = open_page(writable_demo_app)
    assert at.title[0].value == "Ändringslogg"
    everything = table(at)
    assert everything["id"].tolist() == db_ids(writable_demo_app)[:100]
    shown = everything[everything["id"].isin(mine)]
    assert shown["id"].tolist() == mine[::-1]
    assert shown["action"].tolist() == ["Svarade", "Skapade", "Ändrade"]
    assert shown["entity"].tolist() == ["Enkät", "Enkät", "Handlingsplan"]
    # Swedish time: 12 March 09:00 UTC is 10:00 in Stockholm
    assert str(shown["at"].iloc[0]) == "2025-03-12 10:00:00"
    # user text only in the grid, never in Markdown
    assert SCRIPT in shown["new_value"].tolist()
    assert all(SCRIPT not in m.value for m in at.markdown)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Ladda ned CSV", "Ladda ned JSON"]


def test_filters_narrow_the_table(writable_demo_app):
    add_entries(writable_demo_app)
    at = open_page(writable_demo_app)
    at.selectbox(key="audit_username").select("anna").run()
    assert not at.exception
    assert table(at)["username"].tolist() == ["anna"]
    at.selectbox(key="audit_username").set_value(None)
    at.selectbox(key="audit_entity").select("survey").run()
    assert table(at)["id"].tolist() == db_ids(writable_demo_app, "entity = 'survey'")
    at.text_input(key="audit_entity_id").set_value("999").run()
    assert [i.value for i in at.info] == ["Inga poster i ändringsloggen matchar urvalet."]
    at.text_input(key="audit_entity_id").set_value("").run()
    # 11 March in Swedish time: only the survey created that day
    at.date_input(key="audit_since").set_value(datetime(2025, 3, 11).date())
    at.date_input(key="audit_until").set_value(datetime(2025, 3, 11).date()).run()
    assert table(at)["field"].tolist() == ["title"]
    at.date_input(key="audit_since").set_value(datetime(2025, 3, 12).date()).run()
    assert at.error and "ligger efter" in at.error[0].value
    assert not _has(at, "audit_entries")


def _has(at: AppTest, key: str) -> bool:
    try:
        at.get_by_key(key)
    except KeyError:
        return False
    return True


def test_paging(writable_demo_app):
    add_entries(writable_demo_app, count=150)
    at = open_page(writable_demo_app)
    everything = db_ids(writable_demo_app)
    assert len(everything) > 150
    assert table(at)["id"].tolist() == everything[:100]
    at.number_input(key="audit_page").set_value(2).run()
    assert not at.exception
    assert table(at)["id"].tolist() == everything[100:200]
    caption = at.container(key="audit_entries").caption[-1].value
    last = min(200, len(everything))
    assert caption == f"Visar post 101–{last} av {len(everything)}, de senaste först."
    # a narrower selection with one page sends the reader back to page 1
    at.selectbox(key="audit_username").select("anna").run()
    assert at.number_input(key="audit_page").value == 1
    assert table(at)["username"].tolist() == ["anna"]


@pytest.mark.parametrize("role", ["projektledare", "referensgrupp", "chef"])
def test_absent_for_everybody_but_admins(writable_demo_app, role):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(writable_demo_app, f"konto-{role}", role)
    at.run()
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page(PAGE).run()
    # the page checks the permission itself too
    direct = AppTest.from_file(str(Path(ENTRYPOINT).parent / PAGE), default_timeout=TIMEOUT)
    direct.session_state["user"] = account(writable_demo_app, f"konto-{role}", role)
    direct.run()
    assert not direct.exception
    assert [e.value for e in direct.error] == ["Bara administratörer kan läsa ändringsloggen."]
    assert not direct.dataframe and not direct.get("download_button")


def test_english(writable_demo_app):
    mine = add_entries(writable_demo_app)
    at = open_page(writable_demo_app, lang="en")
    assert at.title[0].value == "Audit trail"
    shown = table(at)
    assert shown[shown["id"].isin(mine)]["action"].tolist() == ["Answered", "Created", "Changed"]
