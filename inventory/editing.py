"""Editing inventory rows by hand: permission, validation, one transaction, an audit trail.

The web page's editable tables (and anything else that changes single values) call
:func:`apply_edits` or :func:`save_library_year_edits`. In that order they

1. check :func:`inventory.permissions.require` with ``inventory.edit`` — before looking at the
   data, so a user without the right learns nothing and writes nothing;
2. check that every named field is an editable column of the table;
3. validate every changed row as a whole through :func:`inventory.writes.validate` (types,
   ranges, coded values) and check its references (foreign keys) like
   :func:`inventory.writes.add_all` does, collecting every problem before giving up;
4. write all changes and one :class:`~inventory.models.AuditEntry` per changed field (who, action
   ``"edit"``, table, row id, field, old → new, one timestamp for the whole save) inside one
   savepoint, and commit: all or nothing.

Any problem raises :class:`EditValidationError` (an
:class:`~inventory.writes.InventoryValidationError`) naming the row (``problem.row`` counts the
edited rows from 1 in the order given; ``error.row_keys`` maps it back to the caller's key) and
the field; nothing is written. Values that do not change are not written and not audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from inventory import writes
from inventory.audit import actor_id, actor_name, audit_text
from inventory.models import AuditEntry, LibraryYear
from inventory.permissions import Actor, require
from inventory.writes import InventoryValidationError, Problem

EDIT_PERMISSION = "inventory.edit"
EDIT_ACTION = "edit"
CREATE_ACTION = "create"

#: LibraryYear fields a project leader may edit by hand (everything but the keys).
LIBRARY_YEAR_KEY_FIELDS = ("id", "library_id", "year")
LIBRARY_YEAR_FIELDS: tuple[str, ...] = tuple(
    name for name in LibraryYear.model_fields if name not in LIBRARY_YEAR_KEY_FIELDS
)


class EditValidationError(InventoryValidationError):
    """Edited values were rejected; nothing was written.

    ``problems[i].row`` counts the edited rows from 1 in the order the caller gave them;
    ``row_keys[row - 1]`` is the caller's key of that row.
    """

    def __init__(self, problems: Sequence[Problem], row_keys: Sequence[Hashable]):
        super().__init__(problems)
        self.row_keys = list(row_keys)

    def key_of(self, problem: Problem) -> Hashable | None:
        """The caller's key of the row a problem is about (``None`` for a general problem)."""
        if problem.row is None or not 1 <= problem.row <= len(self.row_keys):
            return None
        return self.row_keys[problem.row - 1]


class StaleEditError(EditValidationError):
    """A row changed after the editor loaded it (someone saved in between); nothing was written.

    ``problems`` name each stale row (field ``row_version``, the version the editor loaded as
    the value, and who saved it since, and when, as the expectation).
    """


#: the optimistic-locking column (see inventory.models._row_version)
VERSION_FIELD = "row_version"
#: the version a caller gives for a row that did not exist when it was loaded
NOT_LOADED = 0


@dataclass(frozen=True)
class FieldChange:
    """One changed value, as written to the audit trail."""

    entity: str
    entity_id: str
    field: str
    old_value: Any
    new_value: Any
    action: str = EDIT_ACTION


@dataclass
class EditSummary:
    """What a save did."""

    entity: str
    rows_changed: int = 0
    rows_created: int = 0
    changes: list[FieldChange] = field(default_factory=list)

    def reset(self) -> None:
        """Forget what an abandoned attempt counted."""
        self.rows_changed = self.rows_created = 0
        self.changes.clear()

    @property
    def fields_changed(self) -> int:
        """Changed values (one audit entry each)."""
        return len(self.changes)


def _columns(model: type[SQLModel]) -> dict[str, sa.Column]:
    return dict(model.__table__.columns.items())  # type: ignore[attr-defined]


def _primary_key(model: type[SQLModel]) -> str:
    keys = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    if len(keys) != 1:
        raise TypeError(f"{model.__name__} has no single-column primary key")
    return keys[0].name


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    return old == new


def _field_problems(
    model: type[SQLModel], changes: Sequence[Mapping[str, Any]], allowed: set[str]
) -> list[Problem]:
    table = model.__tablename__  # type: ignore[attr-defined]
    problems = []
    for number, fields in enumerate(changes, start=1):
        for name in fields:
            if name not in allowed:
                problems.append(
                    Problem(table, str(name), fields[name], "an editable field", number)
                )
    return problems


def _edit(
    session: Session,
    user: Actor,
    model: type[SQLModel],
    changes: Mapping[Any, Mapping[str, Any]],
    row_keys: Sequence[Hashable],
    *,
    allowed: set[str],
    at: datetime,
    summary: EditSummary,
    created: frozenset[Any] | set[Any] = frozenset(),
    expected_versions: Mapping[Any, int] | None = None,
) -> None:
    """Validate and apply ``changes`` (primary key -> field -> value) to the session.

    Raises :class:`EditValidationError` before touching anything, :class:`StaleEditError` when
    a row's ``row_version`` is not the one in ``expected_versions``; the caller holds the
    savepoint and commits.
    """
    table = model.__tablename__  # type: ignore[attr-defined]
    ids = list(changes)
    problems = _field_problems(model, [changes[i] for i in ids], allowed)
    if problems:
        raise EditValidationError(problems, row_keys)
    key = _primary_key(model)
    column = _columns(model)[key]
    found = {
        getattr(obj, key): obj
        for obj in session.execute(sa.select(model).where(column.in_(ids))).scalars()
    }
    validated: list[tuple[SQLModel, SQLModel]] = []
    for number, identity in enumerate(ids, start=1):
        obj = found.get(identity)
        if obj is None:
            problems.append(Problem(table, key, identity, f"an existing {table}.{key}", number))
            continue
        current = {name: getattr(obj, name) for name in _columns(model)}
        try:
            new = writes.validate(model, {**current, **changes[identity]}, row=number)
        except InventoryValidationError as exc:
            problems.extend(exc.problems)
            continue
        validated.append((obj, new))
    if problems:
        raise EditValidationError(problems, row_keys)
    versioned = VERSION_FIELD in _columns(model)
    if versioned and expected_versions:
        _check_versions(session, model, ids, found, expected_versions, row_keys)
    # references of the new values, one query per foreign key as at the write boundary (every
    # row validated, so the check numbers the rows in the order of ``ids``)
    problems = writes.reference_problems(session, [new for _, new in validated])
    if problems:
        raise EditValidationError(problems, row_keys)

    audit: list[dict[str, Any]] = []
    for obj, new in validated:
        identity = getattr(obj, key)
        action = CREATE_ACTION if identity in created else EDIT_ACTION
        changed = False
        for name in changes[identity]:
            old_value, new_value = getattr(obj, name), getattr(new, name)
            if _same(old_value, new_value):
                continue
            setattr(obj, name, new_value)
            changed = True
            change = FieldChange(table, str(identity), name, old_value, new_value, action)
            summary.changes.append(change)
            audit.append(
                {
                    "at": at,
                    "user_id": actor_id(user),
                    "username": actor_name(user),
                    "action": action,
                    "entity": table,
                    "entity_id": str(identity),
                    "field": name,
                    "old_value": audit_text(old_value),
                    "new_value": audit_text(new_value),
                }
            )
        if changed and identity not in created:
            summary.rows_changed += 1
        if changed and versioned:
            _bump_version(session, model, obj, key, ids.index(identity) + 1, row_keys)
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        raise EditValidationError([writes.integrity_problem(exc, table, None)], row_keys) from None
    if audit:
        writes.add_all(session, AuditEntry, audit)


def _last_writer(session: Session, table: str, identity: Any) -> str:
    """Who last changed the row and when, from the audit trail (for the stale-edit message)."""
    entry = session.execute(
        sa.select(AuditEntry.username, AuditEntry.at)
        .where(AuditEntry.entity == table, AuditEntry.entity_id == str(identity))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return "the version you loaded (changed since by someone else); reload"
    at = entry.at.strftime("%Y-%m-%d %H:%M") if entry.at else "?"
    return f"the version you loaded (changed since by {entry.username} at {at}); reload"


def _check_versions(
    session: Session,
    model: type[SQLModel],
    ids: Sequence[Any],
    found: Mapping[Any, SQLModel],
    expected_versions: Mapping[Any, int],
    row_keys: Sequence[Hashable],
) -> None:
    table = model.__tablename__  # type: ignore[attr-defined]
    problems = []
    for number, identity in enumerate(ids, start=1):
        if identity not in expected_versions:
            continue
        current = getattr(found[identity], VERSION_FIELD)
        if current != expected_versions[identity]:
            expected = _last_writer(session, table, identity)
            problems.append(
                Problem(table, VERSION_FIELD, expected_versions[identity], expected, number)
            )
    if problems:
        raise StaleEditError(problems, row_keys)


def _bump_version(
    session: Session,
    model: type[SQLModel],
    obj: SQLModel,
    key: str,
    number: int,
    row_keys: Sequence[Hashable],
) -> None:
    """Raise the row's version, but only if nobody raised it since it was read.

    The conditional UPDATE takes the row lock, so of two concurrent saves of one row the second
    waits, then finds the version moved and is refused instead of overwriting the first.
    """
    table = model.__table__  # type: ignore[attr-defined]
    current = getattr(obj, VERSION_FIELD)
    statement = (
        sa.update(table)
        .where(table.c[key] == getattr(obj, key), table.c[VERSION_FIELD] == current)
        .values({VERSION_FIELD: current + 1})
    )
    with session.no_autoflush:
        result = session.connection().execute(statement)
    if result.rowcount != 1:
        identity = getattr(obj, key)
        expected = _last_writer(session, table.name, identity)
        raise StaleEditError(
            [Problem(table.name, VERSION_FIELD, current, expected, number)], row_keys
        )
    set_committed_value(obj, VERSION_FIELD, current + 1)


#: attempts of a save that met SQLite's writer lock after its read began (see :func:`_run`)
SQLITE_WRITE_ATTEMPTS = 6


def _sqlite_write_conflict(session: Session, exc: sa.exc.OperationalError) -> bool:
    return session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig).lower()


def _run(
    session: Session,
    work: Callable[[], None],
    row_keys: Sequence[Hashable],
    commit: bool,
    summary: EditSummary,
) -> None:
    """Run ``work()`` inside one savepoint; roll it all back on any problem.

    SQLite refuses a write in a transaction whose reads began before another writer committed
    ("database is locked", without waiting). When this save owns its transaction (``commit``),
    it starts over in a new one: the rows are read again, so a row someone else saved in the
    meantime is refused as stale rather than overwritten.
    """
    for attempt in range(SQLITE_WRITE_ATTEMPTS):
        savepoint = session.begin_nested()
        try:
            work()
        except InventoryValidationError as exc:
            savepoint.rollback()
            if isinstance(exc, EditValidationError):
                raise
            raise EditValidationError(exc.problems, row_keys) from None
        except sa.exc.OperationalError as exc:
            savepoint.rollback()
            last = attempt == SQLITE_WRITE_ATTEMPTS - 1
            if not commit or last or not _sqlite_write_conflict(session, exc):
                raise
            session.rollback()
            summary.reset()
            time.sleep(0.02 * 2**attempt)
            continue
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        if commit:
            session.commit()
        return


def apply_edits(
    session: Session,
    user: Actor | None,
    model: type[SQLModel],
    changes: Mapping[Any, Mapping[str, Any]],
    *,
    fields: Sequence[str] | None = None,
    commit: bool = True,
    expected_versions: Mapping[Any, int] | None = None,
) -> EditSummary:
    """Change existing rows of ``model`` and audit every changed value; all or nothing.

    Parameters
    ----------
    session
        Open session. With ``commit`` (the default) the save is committed; otherwise it stays
        in the session's transaction for the caller to commit or roll back.
    user
        The user making the change (a ``User`` row, ``app.session.SessionUser`` or anything
        with ``role``, ``active`` and ideally ``username`` and ``id``).
    model
        Table model, e.g. :class:`~inventory.models.LibraryYear`.
    changes
        Primary key -> field name -> new value. Rows are numbered from 1 in this order in
        problems.
    fields
        The fields that may be changed (default: every column but the primary key).
    expected_versions
        Primary key -> the ``row_version`` the editor loaded (tables with that column). A row
        saved by someone else since is refused with :class:`StaleEditError` instead of being
        overwritten. Every changed row's version goes up by one.

    Returns
    -------
    EditSummary
        Rows and values changed; unchanged values are neither written nor audited.

    Raises
    ------
    PermissionDeniedError
        The user may not edit the inventory (checked first; nothing is read or written).
    EditValidationError
        A field is not editable, a row does not exist, a value is invalid or refers to nothing;
        every problem is listed and nothing is written.
    """
    require(user, EDIT_PERMISSION)
    key = _primary_key(model)
    allowed = set(fields) if fields is not None else set(_columns(model)) - {key}
    allowed.discard(key)
    summary = EditSummary(entity=model.__tablename__)  # type: ignore[attr-defined]
    if not changes:
        return summary
    row_keys = list(changes)
    at = datetime.now(UTC)

    def work() -> None:
        _edit(
            session,
            user,
            model,
            changes,
            row_keys,
            allowed=allowed,
            at=at,
            summary=summary,
            expected_versions=expected_versions,
        )

    _run(session, work, row_keys, commit, summary)
    return summary


def save_library_year_edits(
    session: Session,
    user: Actor | None,
    edits: Mapping[tuple[int, int], Mapping[str, Any]],
    *,
    commit: bool = True,
    expected_versions: Mapping[tuple[int, int], int] | None = None,
) -> EditSummary:
    """Save hand edits of library-year facts, keyed by ``(library_id, year)``.

    A library without a row for that year gets one (audited as action ``"create"``, one entry
    per value set, old value empty); existing rows are changed (action ``"edit"``). Only the
    fields of :data:`LIBRARY_YEAR_FIELDS` may be edited. Rows are numbered from 1 in the order
    of ``edits``; :attr:`EditValidationError.row_keys` holds the ``(library_id, year)`` keys.
    ``expected_versions`` maps a key to the ``row_version`` the editor loaded (:data:`NOT_LOADED`
    for a row that did not exist then); a row saved or created by someone else since is refused
    with :class:`StaleEditError`.

    Raises
    ------
    PermissionDeniedError
        Checked first; nothing is read or written.
    EditValidationError
        Every problem of every row; nothing is written (a row created for the save is removed
        again).
    """
    require(user, EDIT_PERMISSION)
    summary = EditSummary(entity=LibraryYear.__tablename__)
    row_keys = [(int(library_id), int(year)) for library_id, year in edits]
    if not row_keys:
        return summary
    values = [edits[key] for key in edits]
    problems = _field_problems(LibraryYear, values, set(LIBRARY_YEAR_FIELDS))
    if problems:
        raise EditValidationError(problems, row_keys)
    library_ids = sorted({library_id for library_id, _ in row_keys})
    existing = {
        (library_id, year): identity
        for identity, library_id, year in session.execute(
            sa.select(LibraryYear.id, LibraryYear.library_id, LibraryYear.year).where(
                LibraryYear.library_id.in_(library_ids)
            )
        )
    }
    # a library without a row for the year gets one only if the edit sets a value
    missing = [
        key
        for key, value in zip(row_keys, values, strict=True)
        if key not in existing and any(v is not None for v in value.values())
    ]
    kept = [i for i, key in enumerate(row_keys) if key in existing or key in missing]
    row_keys, values = [row_keys[i] for i in kept], [values[i] for i in kept]
    if not row_keys:
        return summary
    expected_versions = dict(expected_versions or {})
    appeared = [
        Problem(
            LibraryYear.__tablename__,
            VERSION_FIELD,
            NOT_LOADED,
            _last_writer(session, LibraryYear.__tablename__, existing[key]),
            number,
        )
        for number, key in enumerate(row_keys, start=1)
        if key in existing and expected_versions.get(key) == NOT_LOADED
    ]
    if appeared:  # created by someone else after the editor loaded the year
        raise StaleEditError(appeared, row_keys)
    at = datetime.now(UTC)

    def work() -> None:
        created: set[int] = set()
        if missing:
            try:
                rows = writes.add_all(
                    session,
                    LibraryYear,
                    [{"library_id": library_id, "year": year} for library_id, year in missing],
                )
            except InventoryValidationError as exc:
                positions = [row_keys.index(key) + 1 for key in missing]
                raise EditValidationError(
                    [
                        Problem(
                            p.table,
                            p.field,
                            p.value,
                            p.expected,
                            positions[p.row - 1] if p.row else None,
                        )
                        for p in exc.problems
                    ],
                    row_keys,
                ) from None
            for key, row in zip(missing, rows, strict=True):
                existing[key] = row.id
                created.add(row.id)
            summary.rows_created = len(rows)
        changes = {existing[key]: value for key, value in zip(row_keys, values, strict=True)}
        versions = {
            existing[key]: expected_versions[key]
            for key in row_keys
            if key in expected_versions and existing[key] not in created
        }
        _edit(
            session,
            user,
            LibraryYear,
            changes,
            row_keys,
            allowed=set(LIBRARY_YEAR_FIELDS),
            at=at,
            summary=summary,
            created=created,
            expected_versions=versions,
        )

    _run(session, work, row_keys, commit, summary)
    return summary
