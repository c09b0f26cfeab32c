"""The alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from inventory import db


def _diff(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def _check_names(engine: sa.Engine) -> set[str]:
    inspector = sa.inspect(engine)
    return {
        check["name"]
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def test_migrated_schema_equals_models(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    assert _diff(engine) == []
    model_tables = set(SQLModel.metadata.tables)
    assert model_tables <= set(sa.inspect(engine).get_table_names())
    expected_checks = {
        c.name
        for table in SQLModel.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint)
    }
    # alembic's comparison ignores CHECK constraints, so compare them by name
    assert expected_checks <= _check_names(engine)
    engine.dispose()


def test_upgrade_is_repeatable_and_downgrade_removes_everything(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    db.upgrade(engine)  # already at head: nothing to do, no error
    head = ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    db.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
