"""Database engine, sessions and migrations.

The URL comes from ``SKOLBIB_DATABASE_URL``; without it skolbib uses an SQLite file under the
project's ``data/`` folder. SQLite connections get foreign keys, WAL journaling and a busy
timeout; PostgreSQL is reached through ``postgresql+psycopg://``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session

import inventory.models  # noqa: F401  (registers the tables on SQLModel.metadata)

ENV_DATABASE_URL = "SKOLBIB_DATABASE_URL"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "skolbib.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseConfigError(Exception):
    """The database URL is malformed or the database cannot be reached."""


def database_url() -> str:
    """Return the configured database URL (``SKOLBIB_DATABASE_URL`` or the default SQLite file)."""
    return os.environ.get(ENV_DATABASE_URL) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def masked(url: str | URL) -> str:
    """Render a URL with its password replaced by ``***``; never raises."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: show only the scheme
        text = str(url)
        return text.split("://", 1)[0] + "://…" if "://" in text else "<ogiltig URL>"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # pysqlite only sends BEGIN before a data-changing statement, so a SAVEPOINT opened first
    # would run outside a transaction and its RELEASE would commit. Let SQLAlchemy emit BEGIN
    # itself (SQLAlchemy's documented pysqlite recipe), so savepoints and rollbacks are real.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:  # noqa: ANN001
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for ``url`` (default :func:`database_url`).

    Raises
    ------
    DatabaseConfigError
        If the URL cannot be parsed or names an unknown driver.
    """
    text = url or database_url()
    try:
        parsed = make_url(text)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, **kwargs)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "begin", _sqlite_begin)
        else:
            kwargs.setdefault("pool_pre_ping", True)
            engine = sa.create_engine(parsed, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError, ImportError) as exc:
        raise DatabaseConfigError(
            f"ogiltig databas-URL {masked(text)}: {exc.__class__.__name__}"
        ) from exc
    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection; raise :class:`DatabaseConfigError` with a one-line reason."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        first = reason[0] if reason else exc.__class__.__name__
        raise DatabaseConfigError(
            f"kan inte ansluta till databasen {masked(engine.url)}: {first}"
        ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    """An alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Revert migrations down to ``revision``."""
    command.downgrade(alembic_config(engine), revision)
