"""The write boundary: every row is validated before it reaches the database.

Table models do not validate on construction, so :func:`add` and :func:`add_all` run
``Model.model_validate`` on the incoming data, check that every foreign key points at an
existing row, and insert inside a savepoint. Any problem, whether found here or by the
database's own constraints, becomes an :class:`InventoryValidationError` that names the table,
the field, the value and what was expected; the savepoint is rolled back so nothing is
half-written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from inventory.models import CHECK_FIELDS, TABLE_MODELS

M = TypeVar("M", bound=SQLModel)

_TABLES = {model.__tablename__: model for model in TABLE_MODELS}


@dataclass(frozen=True)
class Problem:
    """One rejected value: where it is, what was found and what was expected."""

    table: str
    field: str | None
    value: Any
    expected: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.field}" if self.field else self.table
        row = f" row {self.row}" if self.row is not None else ""
        return f"{where}{row}: value {self.value!r}: expected {self.expected}"


class InventoryValidationError(ValueError):
    """Rows were rejected; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid data")

    @property
    def fields(self) -> list[str | None]:
        return [p.field for p in self.problems]


def validate(model: type[M], data: Mapping[str, Any], row: int | None = None) -> M:
    """Validate ``data`` as a ``model`` row; raise :class:`InventoryValidationError`."""
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        problems = [
            Problem(
                table=model.__tablename__,
                field=".".join(str(part) for part in error["loc"]) or None,
                value=error.get("input"),
                expected=error["msg"],
                row=row,
            )
            for error in exc.errors()
        ]
        raise InventoryValidationError(problems) from None


def reference_problems(session: Session, objects: Sequence[SQLModel]) -> list[Problem]:
    """Rows whose foreign keys point at nothing (one query per foreign key, not per row)."""
    if not objects:
        return []
    table: sa.Table = objects[0].__table__  # type: ignore[attr-defined]
    problems = []
    for fk in table.foreign_keys:
        values = {getattr(obj, fk.parent.name) for obj in objects} - {None}
        if not values:
            continue
        target = fk.column.table
        found: set[Any] = set()
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            found.update(
                session.execute(sa.select(fk.column).where(fk.column.in_(chunk))).scalars()
            )
        # rows inserted in the same batch may reference each other (e.g. reply_to)
        if target is table:
            found.update(getattr(obj, fk.column.name) for obj in objects)
        for number, obj in enumerate(objects, start=1):
            value = getattr(obj, fk.parent.name)
            if value is not None and value not in found:
                expected = f"an existing {target.name}.{fk.column.name}"
                problems.append(Problem(table.name, fk.parent.name, value, expected, number))
    return problems


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (\w+)\.(\w+)")


def integrity_problem(exc: sa.exc.IntegrityError, table: str, row: int | None) -> Problem:
    """Translate a database constraint violation into a :class:`Problem`."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    message = str(orig)
    constraint = getattr(diag, "constraint_name", None) if diag else None
    column = getattr(diag, "column_name", None) if diag else None
    if constraint is None:
        for pattern in (_SQLITE_CHECK,):
            match = pattern.search(message)
            if match:
                constraint = match.group(1)
    if constraint in CHECK_FIELDS:
        model, field = CHECK_FIELDS[constraint]
        return Problem(model.__tablename__, field, None, f"a value allowed by {constraint}", row)
    match = _SQLITE_UNIQUE.search(message)
    if match:
        columns = [part.strip().split(".", 1)[-1] for part in match.group(1).split(",")]
        return Problem(table, ", ".join(columns), None, "a value not already present", row)
    if constraint and constraint.startswith("uq_"):
        model = _TABLES.get(table)
        columns = _unique_columns(model, constraint) if model else []
        field = ", ".join(columns) or constraint
        return Problem(table, field, None, "a value not already present", row)
    match = _SQLITE_NOT_NULL.search(message)
    if match or column:
        return Problem(table, column or match.group(2), None, "a value (required)", row)
    if constraint and constraint.startswith("fk_") or "FOREIGN KEY" in message:
        return Problem(
            table, None, None, f"existing referenced rows ({message.splitlines()[0]})", row
        )
    return Problem(table, None, None, message.splitlines()[0], row)


def _unique_columns(model: type[SQLModel], constraint: str) -> list[str]:
    table = model.__table__  # type: ignore[attr-defined]
    for item in (*table.constraints, *table.indexes):
        if item.name == constraint:
            return [c.name for c in item.columns]
    return []


def add(session: Session, model: type[M], data: Mapping[str, Any]) -> M:
    """Validate and insert one row; return it with its id.

    Raises
    ------
    InventoryValidationError
        Naming the field when a value is out of range, a reference is unknown or a natural
        key already exists. The session is left as it was before the call.
    """
    return add_all(session, model, [data])[0]


def add_all(session: Session, model: type[M], rows: Iterable[Mapping[str, Any]]) -> list[M]:
    """Validate every row first, then insert all of them or none.

    Parameters
    ----------
    session
        Open session; the caller commits.
    model
        Table model to write.
    rows
        Mappings of field name to value. Row numbers in errors count from 1.
    """
    objects: list[M] = []
    problems: list[Problem] = []
    for number, data in enumerate(rows, start=1):
        try:
            objects.append(validate(model, data, row=number))
        except InventoryValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InventoryValidationError(problems)
    problems.extend(reference_problems(session, objects))
    if problems:
        raise InventoryValidationError(problems)
    savepoint = session.begin_nested()
    try:
        session.add_all(objects)
        session.flush()
    except sa.exc.IntegrityError as exc:
        savepoint.rollback()
        for obj in objects:
            if obj in session:
                session.expunge(obj)
        raise InventoryValidationError(
            [integrity_problem(exc, model.__tablename__, None)]
        ) from None
    savepoint.commit()
    return objects
