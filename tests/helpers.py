"""Helpers shared by tests."""

from __future__ import annotations

import hashlib

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
