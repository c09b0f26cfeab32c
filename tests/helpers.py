"""Helpers shared by tests."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlmodel import Session

from inventory.models import TABLE_MODELS


def database_fingerprint(session: Session) -> str:
    """Row counts and full content of every table: equal fingerprints mean nothing changed."""
    digest = hashlib.sha256()
    for model in TABLE_MODELS:
        table = model.__table__
        rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
    return digest.hexdigest()


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table."""
    return {
        model.__tablename__: int(
            session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        )
        for model in TABLE_MODELS
    }


CLI_IMPORTER = "importer"


def ensure_cli_importer(url: str) -> str:
    """Create the account ``importer`` (projektledare) in ``url`` unless it exists; its name."""
    from sqlmodel import Session, select

    from inventory import db, writes
    from inventory.models import User

    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            found = session.exec(select(User).where(User.username == CLI_IMPORTER)).first()
            if found is None:
                writes.add(
                    session,
                    User,
                    {"username": CLI_IMPORTER, "display_name": "Import", "role": "projektledare"},
                )
                session.commit()
    finally:
        engine.dispose()
    return CLI_IMPORTER


def cli_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """``argv`` for ``skolbib``, with ``--user importer`` added to an ``import`` command.

    Imports need an account allowed to edit the inventory; the account (role projektledare) is
    created in the database named by ``--database-url`` when it is not there yet (tests that
    compare fingerprints create it first, with :func:`ensure_cli_importer`).
    """
    argv = list(argv)
    if "import" not in argv or "--user" in argv:
        return argv
    url = argv[argv.index("--database-url") + 1]
    return [*argv, "--user", ensure_cli_importer(url)]


@contextlib.contextmanager
def demo_postgres_schema(postgres_url: str, prefix: str = "t") -> Iterator[str]:
    """A new schema of ``postgres_url``, migrated and with the demo data; its URL; then dropped."""
    import uuid

    from sqlalchemy.engine import make_url

    from inventory import db
    from inventory.demo import load_demo

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    try:
        engine = db.make_engine(text)
        db.upgrade(engine)
        with Session(engine) as session:
            load_demo(session)
        engine.dispose()
        yield text
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
