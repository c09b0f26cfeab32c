"""Sign-in through the real entrypoint (AppTest), on SQLite and PostgreSQL: the sign-in page,
wrong and right passwords, throttling, sign-out, idle timeout, demo accounts and single sign-on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from app.navigation import ROOT, visible_pages
from app.session import ACTIVITY_KEY, USER_KEY, SessionUser
from inventory import accounts, db, writes
from inventory.accounts import COMMAND_LINE, DEMO_PASSWORD, create_user
from inventory.models import Municipality
from tests.app.conftest import ENTRYPOINT
from tests.inventory.factories import small_inventory

TIMEOUT = 60
PASSWORD = "ett-långt-lösenord"
SSO_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "skolbib-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://login.example.org/v2.0/.well-known/openid-configuration",
}


def _clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def municipality(session: Session, code: str, *, fictional: bool) -> None:
    writes.add(
        session,
        Municipality,
        {
            "code": code,
            "name": f"K{code}",
            "county_code": "99",
            "county": "L",
            "fictional": fictional,
        },
    )
    session.commit()


@pytest.fixture
def app_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A small inventory with real data (not a demo database) and three accounts."""
    engine = db.make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        small_inventory(session)
        session.commit()
        create_user(
            session, COMMAND_LINE, "anna", "admin", password=PASSWORD, display_name="Anna A"
        )
        create_user(session, COMMAND_LINE, "bo", "chef", password=PASSWORD, display_name="Bo B")
        create_user(
            session,
            COMMAND_LINE,
            "cilla",
            "referensgrupp",
            password=None,
            display_name="Cilla C",
            email="cilla@kommun.se",
        )
    engine.dispose()
    monkeypatch.setenv(db.ENV_DATABASE_URL, database_url)
    monkeypatch.delenv("SKOLBIB_DEMO_USER", raising=False)
    monkeypatch.delenv("SKOLBIB_SESSION_TIMEOUT_MINUTES", raising=False)
    _clear()
    yield database_url
    _clear()


def open_app(**session_state) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.form_submit_button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def registered(at: AppTest) -> set[str]:
    """The page scripts st.navigation registered in the last run (AppTest's own registry,
    which switch_page() uses too); the entrypoint alone when no navigation ran."""
    return {
        str(Path(info["script_path"]).resolve().relative_to(ROOT))
        for info in at._registered_pages.values()
    }


def pages_of(role: str) -> set[str]:
    return {spec.path for spec in visible_pages(SessionUser("x", "x", role))}


def on_sign_in_page(at: AppTest) -> bool:
    return (
        at.title[0].value == "Logga in"
        # besides the sign-in form only the accessibility statement, which must be open to all
        # (the sign-in form is a function page: its script path is the entrypoint's folder)
        and registered(at) <= {".", "streamlit_app.py", "app/pages/accessibility.py"}
        and len(at.text_input(key="signin_password").value) == 0
    )


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- password sign-in


def test_nobody_signed_in_sees_only_the_sign_in_page(app_db):
    at = open_app()
    assert on_sign_in_page(at)
    assert not at.sidebar.button  # no sign-out, no demo switch
    assert USER_KEY not in at.session_state
    # the other pages are not registered at all, so they cannot be opened by their path
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/overview.py")
    assert not at.selectbox  # the overview's filters never ran


def test_the_accessibility_statement_is_open_without_signing_in(app_db):
    at = open_app()
    at.switch_page("app/pages/accessibility.py").run()
    assert not at.exception
    assert at.title[0].value == "Tillgänglighetsredogörelse"
    assert USER_KEY not in at.session_state


def test_wrong_password_and_unknown_user_get_the_same_message(app_db):
    at = open_app()
    submit(at, "bo", "fel-lösenord-123")
    assert [e.value for e in at.error] == ["Fel användarnamn eller lösenord."]
    assert on_sign_in_page(at)  # and the password field is empty again
    submit(at, "ingen-sadan", PASSWORD)
    assert [e.value for e in at.error] == ["Fel användarnamn eller lösenord."]
    assert USER_KEY not in at.session_state
    assert rows(app_db, "SELECT username, success FROM login_attempt ORDER BY id") == [
        ("bo", False),
        ("ingen-sadan", False),
    ]


def test_right_password_shows_the_navigation_of_the_role(app_db):
    at = submit(open_app(), "Bo", PASSWORD)
    assert at.title[0].value == "Översikt"
    assert registered(at) == pages_of("chef")
    assert "app/pages/users.py" not in registered(at)
    assert [t.value for t in at.sidebar.text] == ["Bo B (Chef)"]
    assert "signin_password" not in at.session_state  # the typed password is gone
    with pytest.raises(ValueError):
        at.switch_page("app/pages/users.py").run()

    admin = submit(open_app(), "anna", PASSWORD)
    assert registered(admin) == pages_of("admin") and "app/pages/users.py" in registered(admin)


def test_sign_out_returns_to_the_sign_in_page(app_db):
    at = submit(open_app(), "bo", PASSWORD)
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert on_sign_in_page(at)
    assert USER_KEY not in at.session_state
    assert [i.value for i in at.info] == ["Du är utloggad."]


def test_idle_timeout_signs_out(app_db, monkeypatch):
    at = submit(open_app(), "bo", PASSWORD)
    at.session_state[ACTIVITY_KEY] = datetime.now(UTC) - timedelta(minutes=31)  # default 30
    at.run()
    assert on_sign_in_page(at) and USER_KEY not in at.session_state
    assert "utan aktivitet" in at.info[0].value

    monkeypatch.setenv("SKOLBIB_SESSION_TIMEOUT_MINUTES", "60")
    at = submit(open_app(), "bo", PASSWORD)
    at.session_state[ACTIVITY_KEY] = datetime.now(UTC) - timedelta(minutes=31)
    at.run()
    assert at.title[0].value == "Översikt"
    # every step counts as activity: the clock was reset by that run
    assert datetime.now(UTC) - at.session_state[ACTIVITY_KEY] < timedelta(minutes=1)


def test_throttling_message_gives_the_minutes_left(app_db):
    at = open_app()
    for _ in range(5):
        submit(at, "bo", "fel-lösenord-123")
    submit(at, "bo", PASSWORD)  # right, but the account is locked for five minutes
    assert [e.value for e in at.error] == [
        "För många misslyckade inloggningsförsök. Försök igen om 5 minuter."
    ]
    assert on_sign_in_page(at)
    # the other account, from the same (local) address, is locked as well
    submit(at, "anna", PASSWORD)
    assert "Försök igen om 5 minuter" in at.error[0].value


def test_deactivated_account_is_refused_and_signed_out(app_db):
    at = submit(open_app(), "bo", PASSWORD)
    assert at.title[0].value == "Översikt"
    with session_on(app_db) as session:
        accounts.set_active(session, COMMAND_LINE, "bo", False)
    at.run()
    assert on_sign_in_page(at)
    assert "inte längre aktivt" in at.info[0].value
    submit(at, "bo", PASSWORD)
    assert [e.value for e in at.error] == ["Kontot är inaktiverat. Be din administratör om hjälp."]


def test_first_admin_hint_when_there_is_no_account(database_url, monkeypatch):
    engine = db.make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv(db.ENV_DATABASE_URL, database_url)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "admin")  # no demo data: ignored
    _clear()
    at = open_app()
    assert on_sign_in_page(at)
    assert "skolbib users add NAMN --role admin" in at.info[0].value
    assert "12 tecken" in at.info[0].value
    _clear()


# --------------------------------------------------------------------------- demo accounts


@pytest.fixture
def demo_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Fictional municipalities only, with the demo accounts."""
    engine = db.make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        municipality(session, "9901", fictional=True)
        assert accounts.ensure_demo_accounts(session) == list(accounts.DEMO_ACCOUNTS)
    engine.dispose()
    monkeypatch.setenv(db.ENV_DATABASE_URL, database_url)
    _clear()
    yield database_url
    _clear()


def test_demo_user_is_signed_in_on_a_demo_database(demo_db, monkeypatch):
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "chef")
    at = open_app()
    assert registered(at) == pages_of("chef")
    assert at.selectbox(key="demo_role_sv").value == "chef"
    assert [t.value for t in at.sidebar.text] == ["Demo – chef (Chef)"]
    at.selectbox(key="demo_role_sv").select("admin").run()
    assert not at.exception
    assert registered(at) == pages_of("admin")
    at.switch_page("app/pages/users.py").run()
    assert not at.exception and at.title[0].value == "Användare"
    # signing out of a demo session stays signed out; the demo password works on the form
    at.sidebar.button(key="sign_out").click().run()
    assert on_sign_in_page(at)
    assert "skolbib-demo" in at.info[-1].value
    submit(at, "referensgrupp", DEMO_PASSWORD)
    assert registered(at) == pages_of("referensgrupp")


def test_demo_user_is_ignored_on_a_database_with_real_data(demo_db, monkeypatch):
    with session_on(demo_db) as session:
        municipality(session, "0180", fictional=False)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "admin")
    at = open_app(filter_demo_role="admin")
    assert on_sign_in_page(at)
    assert not at.selectbox  # no demo switch
    submit(at, "admin", DEMO_PASSWORD)  # nor does the published demo password work
    assert on_sign_in_page(at)
    assert "bara med exempeldata" in at.error[0].value


def test_demo_database_of_the_page_tests_has_the_demo_accounts(demo_database):
    assert rows(demo_database, "SELECT username, role FROM app_user ORDER BY id")[:4] == [
        ("admin", "admin"),
        ("projektledare", "projektledare"),
        ("referensgrupp", "referensgrupp"),
        ("chef", "chef"),
    ]


# --------------------------------------------------------------------------- single sign-on


def sso_app(user: dict) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.secrets["auth"] = SSO_SECRETS
    at.user = user
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_sso_button_shown_when_auth_is_configured(app_db):
    at = sso_app({"is_logged_in": False})
    assert on_sign_in_page(at)
    assert at.button(key="signin_sso_default").label == "Logga in med organisationens konto"
    plain = open_app()
    assert not [b for b in plain.button if (b.key or "").startswith("signin_sso")]


def test_sso_identity_gets_the_role_of_the_account_with_that_email(app_db):
    at = sso_app({"is_logged_in": True, "email": "Cilla@Kommun.SE", "name": "Cilla"})
    assert registered(at) == pages_of("referensgrupp")
    assert [t.value for t in at.sidebar.text] == ["Cilla C (Referensgrupp)"]
    assert rows(app_db, "SELECT last_login_at IS NOT NULL FROM app_user WHERE username = 'cilla'")[
        0
    ][0]


def test_sso_identity_without_an_account_gets_no_access(app_db):
    at = sso_app({"is_logged_in": True, "email": "okand@kommun.se"})
    assert on_sign_in_page(at)
    assert "ingen behörighet" in at.error[0].value
    assert "administratör" in at.error[0].value
    with session_on(app_db) as session:  # an inactive account is no access either
        accounts.set_active(session, COMMAND_LINE, "cilla", False)
    inactive = sso_app({"is_logged_in": True, "email": "cilla@kommun.se"})
    assert on_sign_in_page(inactive) and "ingen behörighet" in inactive.error[0].value
