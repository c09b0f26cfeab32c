"""Fixtures for page tests: one demo database per test run, caches cleared around each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session, select

from app.session import SessionUser
from inventory import db, writes
from inventory.demo import load_demo
from inventory.models import User

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of an SQLite database migrated to head and filled with the demo data (read-only use)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    engine.dispose()
    return url


@pytest.fixture
def demo_app(demo_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the app at the demo database, with fresh caches, in demo sign-in mode."""
    monkeypatch.setenv(db.ENV_DATABASE_URL, demo_database)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "projektledare")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_database
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def writable_demo_app(
    demo_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Like ``demo_app`` but on a private copy of the demo database, for tests that write."""
    source = Path(demo_database.removeprefix("sqlite:///"))
    target = tmp_path / "demo-copy.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv(db.ENV_DATABASE_URL, url)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "projektledare")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def account(url: str, username: str, role: str) -> SessionUser:
    """Get or create the account ``username`` with ``role`` in ``url``; its session user."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                user = writes.add(
                    session, User, {"username": username, "display_name": username, "role": role}
                )
                session.commit()
            return SessionUser(
                id=user.id, username=user.username, display_name=user.display_name, role=role
            )
    finally:
        engine.dispose()
