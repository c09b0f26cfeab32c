"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

``SKOLBIB_TEST_POSTGRES_URL`` (set by ``.ci/run``) points at a PostgreSQL server; this test run
creates its own uniquely named database there and drops it at the end, and every test gets its
own schema in it, so nothing depends on what an earlier run left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from inventory.db import make_engine

POSTGRES_ENV = "SKOLBIB_TEST_POSTGRES_URL"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BACKENDS = ["sqlite", "postgresql"]


def shared_file(*parts: str) -> Path:
    """Path of a real data file in ../shared/data; skip the test with the reason if absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data file {path} is not present (../shared/data beside the project)")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a database created for this test run only; dropped afterwards."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests not selected")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"skolbib_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL: an SQLite file, or a fresh schema in the run's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'skolbib.db'}"
        return
    base = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database with every table created from the models."""
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
