"""The Personuppgifter page through AppTest: the register, the retention in force, a person's
export and erasure by an administrator (read back with SQL); absent for every other role."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from app.i18n import fmt_int
from app.session import SessionUser, session_user
from inventory import db, gdpr
from inventory.models import User
from tests.app.conftest import ENTRYPOINT, account
from tests.inventory.test_gdpr import ANNA_STRINGS, build_world, traces

TIMEOUT = 60
PAGE = "app/pages/privacy.py"


@pytest.fixture(autouse=True)
def default_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (gdpr.ENV_AUDIT_DAYS, gdpr.ENV_SURVEY_DAYS, gdpr.ENV_LOGIN_DAYS):
        monkeypatch.delenv(name, raising=False)


def open_page(user: SessionUser, lang: str = "sv") -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = user
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def option_names(at: AppTest, key: str) -> list[str]:
    """The account names of a person selectbox (options show "name – display name")."""
    return [option.split(" – ")[0] for option in at.selectbox(key=key).options]


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def test_register_and_retention_for_an_admin(writable_demo_app, monkeypatch):
    monkeypatch.setenv(gdpr.ENV_SURVEY_DAYS, "0")
    at = open_page(account(writable_demo_app, "gdpradmin", "admin"))
    assert at.title[0].value == "Personuppgifter"
    register = at.container(key="privacy_register").dataframe[0].value
    settings = gdpr.RetentionSettings(survey_answer_days=None)
    expected = gdpr.personal_data_register("sv", settings)
    assert list(register["Uppgifter"]) == [r["category"] for r in expected]
    assert list(register["Lagras i (tabell.kolumn)"]) == [r["stored_in"] for r in expected]
    assert list(register["Lagringstid"]) == [r["retention"] for r in expected]

    retention = at.container(key="privacy_retention").get("table")[0].value
    assert list(retention["Miljövariabel"]) == [
        gdpr.ENV_AUDIT_DAYS,
        gdpr.ENV_SURVEY_DAYS,
        gdpr.ENV_LOGIN_DAYS,
    ]
    assert list(retention["Dagar"]) == [fmt_int(1825, "sv"), "sparas tills vidare", "30"]
    # what the next run would delete: the demo was just written, nothing is old yet
    assert list(retention["Att gallra"]) == ["0", "0", "0"]


def test_the_page_in_english(writable_demo_app):
    at = open_page(account(writable_demo_app, "gdpradmin", "admin"), lang="en")
    assert at.title[0].value == "Personal data"
    register = at.container(key="privacy_register").dataframe[0].value
    assert list(register["Data"]) == [r["category"] for r in gdpr.personal_data_register("en")]


@pytest.mark.parametrize("role", ["projektledare", "referensgrupp", "chef"])
def test_the_page_is_absent_for_other_roles(writable_demo_app, role):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(writable_demo_app, f"x-{role}", role)
    at.run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE).run()


def test_export_a_person_for_download(writable_demo_app):
    url = writable_demo_app
    kalle = account(url, "kalle", "referensgrupp")
    admin = account(url, "gdpradmin", "admin")
    at = open_page(admin)
    assert not at.download_button
    at.selectbox(key="privacy_export_person").set_value("kalle").run()
    at.button(key="privacy_export_prepare").click().run()
    assert not at.exception, [e.message for e in at.exception]
    (download,) = at.download_button
    assert download.key == "privacy_download"
    data = json.loads(at.session_state["privacy_export"]["data"])
    assert data["account"]["id"] == kalle.id and data["account"]["username"] == "kalle"
    assert "password_hash" not in data["account"]
    logged = rows(
        url,
        "SELECT user_id, entity_id FROM audit_entry WHERE action = 'gdpr_export'",
    )
    assert logged == [(admin.id, str(kalle.id))]
    # another person chosen: the prepared download is not offered for them
    at.selectbox(key="privacy_export_person").set_value("gdpradmin").run()
    assert not at.download_button


def test_erase_a_person_after_confirmation(writable_demo_app):
    url = writable_demo_app
    kalle = account(url, "kalle", "referensgrupp")
    admin = account(url, "gdpradmin", "admin")
    at = open_page(admin)
    names = option_names(at, "privacy_erase_person")
    assert "gdpradmin" not in names and "kalle" in names  # never one's own account
    at.selectbox(key="privacy_erase_person").set_value("kalle").run()
    at.button(key="privacy_erase_preview").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = at.container(key="privacy_erase_section").markdown[0].value
    assert f"borttagen\\-{kalle.id}" in shown  # escaped Markdown
    # a wrong confirmation changes nothing
    at.text_input(key="privacy_erase_confirm").input("kalle2").run()
    at.button(key="privacy_erase_submit").click().run()
    assert [e.value for e in at.error] == ["Kontonamnet stämde inte. Inget ändrades."]
    assert rows(url, "SELECT username FROM app_user WHERE id = :id", id=kalle.id) == [("kalle",)]
    # the right one erases
    at.text_input(key="privacy_erase_confirm").input("kalle").run()
    at.button(key="privacy_erase_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert f"borttagen\\-{kalle.id}" in at.success[0].value
    assert rows(
        url,
        "SELECT username, display_name, email, active FROM app_user WHERE id = :id",
        id=kalle.id,
    ) == [(f"borttagen-{kalle.id}", "borttagen användare", None, False)]
    assert rows(
        url,
        "SELECT user_id FROM audit_entry WHERE action = 'gdpr_erase' AND entity_id = :id",
        id=str(kalle.id),
    ) == [(admin.id,)]
    # an erased account is not offered for erasure again
    assert f"borttagen-{kalle.id}" not in option_names(at, "privacy_erase_person")
    assert f"borttagen-{kalle.id}" in option_names(at, "privacy_export_person")


@pytest.fixture
def world_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The domain tests' world (no inventory) on SQLite and PostgreSQL."""
    engine = db.make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        build_world(session)
    engine.dispose()
    monkeypatch.setenv(db.ENV_DATABASE_URL, database_url)
    monkeypatch.delenv("SKOLBIB_DEMO_USER", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield database_url
    st.cache_data.clear()
    st.cache_resource.clear()


def test_erasure_through_the_page_leaves_no_trace(world_app):
    engine = db.make_engine(world_app)
    with Session(engine) as session:
        bo = session_user(
            session.execute(sa.select(User).where(User.username == "bo")).scalar_one()
        )
    at = open_page(bo)
    at.selectbox(key="privacy_erase_person").set_value("aberg").run()
    at.button(key="privacy_erase_preview").click().run()
    counts = at.container(key="privacy_erase_section").get("table")[0].value
    assert (
        dict(zip(counts["Ändring"], counts["Antal"], strict=True))["Inloggningsförsök raderas"]
        == "2"
    )
    assert traces(engine, ANNA_STRINGS)  # the preview changed nothing
    at.text_input(key="privacy_erase_confirm").input("aberg").run()
    at.button(key="privacy_erase_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert traces(engine, ANNA_STRINGS) == []
    engine.dispose()
