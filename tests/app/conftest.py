"""Fixtures for page tests: one demo database per test run, caches cleared around each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session

from inventory import db
from inventory.demo import load_demo

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
    monkeypatch.setenv("SKOLBIB_AUTH", "demo")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_database
    st.cache_data.clear()
    st.cache_resource.clear()
