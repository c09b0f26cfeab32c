"""The Användare page through AppTest on SQLite and PostgreSQL: an admin lists, adds and changes
accounts; every change is in the database (read back with SQL) and in the audit trail, never a
password; the page does not exist for the other roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from app.session import ROLES, SessionUser, session_user
from inventory import db
from inventory.accounts import COMMAND_LINE, create_user, find_user, verify_password
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 60
PAGE = "app/pages/users.py"
PASSWORD = "ett-långt-lösenord"
NEW_PASSWORD = "ett-annat-lösenord-77"


@pytest.fixture
def users_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An admin "anna" and a manager "bo" (no inventory: the page needs none)."""
    engine = db.make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        create_user(
            session, COMMAND_LINE, "anna", "admin", password=PASSWORD, display_name="Anna A"
        )
        create_user(session, COMMAND_LINE, "bo", "chef", password=PASSWORD, display_name="Bo B")
    engine.dispose()
    monkeypatch.setenv(db.ENV_DATABASE_URL, database_url)
    monkeypatch.delenv("SKOLBIB_DEMO_USER", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield database_url
    st.cache_data.clear()
    st.cache_resource.clear()


def signed_in(url: str, username: str) -> SessionUser:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return session_user(find_user(session, username))
    finally:
        engine.dispose()


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def open_page(url: str, username: str = "anna") -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = signed_in(url, username)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table(at: AppTest):
    return at.container(key="users_table").dataframe[0].value


def submit(at: AppTest, key: str) -> AppTest:
    [button] = [b for b in at.get("form_submit_button") if b.key == key]
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def audit(url: str) -> list[tuple]:
    return rows(
        url,
        "SELECT username, action, field, old_value, new_value FROM audit_entry "
        "WHERE username = 'anna' ORDER BY id",
    )


def test_admin_sees_every_account_without_hashes(users_db):
    at = open_page(users_db)
    assert at.title[0].value == "Användare"
    shown = table(at)
    expected = rows(
        users_db, "SELECT username, display_name, role, active FROM app_user ORDER BY username"
    )
    assert [(r.username, r.display_name, r.role, r.active) for r in shown.itertuples()] == [
        (u, d, {"admin": "Administratör", "chef": "Chef"}[r], a) for u, d, r, a in expected
    ]
    assert "password_hash" not in shown.columns
    assert "$argon2" not in shown.to_csv()


def test_admin_adds_a_user(users_db):
    at = open_page(users_db)
    at.text_input(key="users_add_username").input("Cilla")
    at.text_input(key="users_add_display_name").input("Cilla C")
    at.text_input(key="users_add_email").input("cilla@kommun.se")
    at.selectbox(key="users_add_role").select("referensgrupp")
    at.text_input(key="users_add_password").input(PASSWORD)
    at.text_input(key="users_add_repeat").input(PASSWORD)
    submit(at, "users_add_submit")
    assert [s.value for s in at.success] == ["Användaren cilla har lagts till."]
    assert "cilla" in set(table(at)["username"])
    [(role, email, hashed)] = rows(
        users_db, "SELECT role, email, password_hash FROM app_user WHERE username = 'cilla'"
    )
    assert (role, email) == ("referensgrupp", "cilla@kommun.se")
    assert hashed.startswith("$argon2id$") and verify_password(hashed, PASSWORD)
    assert ("anna", "create", "password", None, "***") in audit(users_db)
    assert PASSWORD not in repr(rows(users_db, "SELECT * FROM audit_entry"))


@pytest.mark.parametrize(
    ("password", "repeated", "message"),
    [
        (PASSWORD, PASSWORD + "x", "lösenorden stämmer inte överens"),
        ("elva-tecken", "elva-tecken", "minst 12 tecken"),
    ],
)
def test_bad_new_user_is_refused_and_nothing_written(users_db, password, repeated, message):
    at = open_page(users_db)
    before = rows(users_db, "SELECT * FROM app_user ORDER BY id")
    at.text_input(key="users_add_username").input("dora")
    at.text_input(key="users_add_password").input(password)
    at.text_input(key="users_add_repeat").input(repeated)
    submit(at, "users_add_submit")
    assert message in at.error[0].value
    assert rows(users_db, "SELECT * FROM app_user ORDER BY id") == before


def test_admin_changes_role_details_active_and_password(users_db):
    at = open_page(users_db)
    at.selectbox(key="users_selected").select("bo").run()
    at.selectbox(key="users_role_bo").select("projektledare")
    submit(at, "users_role_submit")
    assert [s.value for s in at.success] == ["bo har nu rollen Projektledare."]
    at.text_input(key="users_email_bo").input("bo@kommun.se")
    submit(at, "users_details_submit")
    at.button(key="users_deactivate").click().run()
    assert not at.exception
    assert rows(users_db, "SELECT role, email, active FROM app_user WHERE username = 'bo'") == [
        ("projektledare", "bo@kommun.se", False)
    ]
    at.button(key="users_reactivate").click().run()
    at.text_input(key="users_new_password").input(NEW_PASSWORD)
    at.text_input(key="users_new_repeat").input(NEW_PASSWORD)
    submit(at, "users_password_submit")
    assert [s.value for s in at.success] == ["bo har fått ett nytt lösenord."]
    [(active, hashed)] = rows(
        users_db, "SELECT active, password_hash FROM app_user WHERE username = 'bo'"
    )
    assert active == True  # noqa: E712 (SQLite gives 1)
    assert verify_password(hashed, NEW_PASSWORD) and not verify_password(hashed, PASSWORD)
    assert audit(users_db) == [
        ("anna", "edit", "role", "chef", "projektledare"),
        ("anna", "edit", "email", None, "bo@kommun.se"),
        ("anna", "edit", "active", "true", "false"),
        ("anna", "edit", "active", "false", "true"),
        ("anna", "edit", "password", "***", "***"),
    ]
    assert NEW_PASSWORD not in repr(rows(users_db, "SELECT * FROM audit_entry"))


def test_admin_cannot_demote_or_deactivate_themselves(users_db):
    at = open_page(users_db)
    at.selectbox(key="users_selected").select("anna").run()
    at.selectbox(key="users_role_anna").select("chef")
    submit(at, "users_role_submit")
    assert "ditt eget konto" in at.error[0].value
    at.button(key="users_deactivate").click().run()
    assert "ditt eget konto" in at.error[0].value
    assert rows(users_db, "SELECT role, active FROM app_user WHERE username = 'anna'") == [
        ("admin", True)
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_the_page_is_absent_for_other_roles(users_db, role):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = SessionUser("x", "X", role)
    at.run()
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page(PAGE).run()
