"""Alembic environment for skolbib: runs on the engine handed over by inventory.db."""

from alembic import context
from sqlmodel import SQLModel

import inventory.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from inventory.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
