"""Editing a school unit's action plans: permission, validation, optimistic locking, audit.

A project leader sets the status, adoption date and document link of one plan (library plan,
reading-promotion plan or MIL plan) of one school unit and year, or creates the plan when none
is on record. :func:`save_plan`, in that order,

1. checks ``inventory.edit`` (before reading anything);
2. validates the values (coded status, date, an ``http``/``https`` document link only);
3. claims the row with a conditional no-op ``UPDATE`` (the row lock on PostgreSQL, the write
   lock on SQLite), so nobody can save between the check and the write;
4. refuses the save with :class:`StalePlanError` when the plan's ``row_version`` is not the
   one the editor loaded (someone saved in between), naming who changed it and when;
5. writes the changed fields with ``UPDATE ... WHERE id = :id AND row_version = :expected``,
   checking the row count, bumps ``row_version`` and records one audit entry per changed field.

Everything happens in one savepoint; on any refusal nothing changes. The editor should load
the plan (:func:`load_plan`) in one session and save in a fresh one, as the page does: on
SQLite a transaction that has read an older snapshot cannot write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from inventory import audit, writes
from inventory.models import (
    ActionPlan,
    ActionPlanKind,
    ActionPlanStatus,
    AuditEntry,
    School,
)
from inventory.permissions import Actor, require
from inventory.writes import InventoryValidationError, Problem

EDIT_PERMISSION = "inventory.edit"
ENTITY = ActionPlan.__tablename__
#: The fields a person edits, in display order.
EDITABLE_FIELDS: tuple[str, ...] = ("status", "adopted_date", "document_link")
LINK_SCHEMES: tuple[str, ...] = ("http", "https")
LINK_MAX_LENGTH = 1000
LINK_EXPECTED = "an http:// or https:// address with a host name, at most 1000 characters"

_TABLE: sa.Table = ActionPlan.__table__  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- links


def clean_document_link(value: Any) -> str | None:
    """A document link as stored: stripped, ``None`` when blank.

    Raises
    ------
    ValueError
        Unless the text is an absolute ``http``/``https`` address with a host, without spaces
        or control characters, of at most :data:`LINK_MAX_LENGTH` characters. ``javascript:``,
        ``data:`` and relative addresses are refused.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(LINK_EXPECTED)
    text = value.strip()
    if not text:
        return None
    if len(text) > LINK_MAX_LENGTH or any(c.isspace() or ord(c) < 32 for c in text):
        raise ValueError(LINK_EXPECTED)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise ValueError(LINK_EXPECTED) from None
    if parts.scheme.lower() not in LINK_SCHEMES or not host:
        raise ValueError(LINK_EXPECTED)
    return text


def safe_document_link(value: Any) -> str | None:
    """``value`` when it is a valid document link (see :func:`clean_document_link`), else
    ``None``: what a page may render as a link (never a ``javascript:`` address)."""
    try:
        return clean_document_link(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class PlanSnapshot:
    """One plan as an editor loads it; ``id`` and ``row_version`` are ``None`` when no plan of
    that kind is on record for the school unit and year (the editor then creates one)."""

    school_id: int
    school_name: str
    year: int
    kind: str
    status: str
    adopted_date: date | None
    document_link: str | None
    id: int | None = None
    row_version: int | None = None

    @property
    def exists(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class LastChange:
    """Who last changed a plan, and when (from the audit trail)."""

    username: str
    at: datetime


def _kind(value: Any) -> ActionPlanKind:
    try:
        return ActionPlanKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ActionPlanKind)
        raise InventoryValidationError(
            [Problem(ENTITY, "kind", value, f"one of {allowed}")]
        ) from None


def _school_name(session: Session, school_id: int) -> str:
    name = session.execute(sa.select(School.name).where(School.id == school_id)).scalar()
    if name is None:
        raise InventoryValidationError(
            [Problem(ENTITY, "school_id", school_id, "an existing school.id")]
        )
    return name


def _current(session: Session, school_id: int, year: int, kind: ActionPlanKind) -> Any:
    return session.execute(
        sa.select(_TABLE).where(
            _TABLE.c.school_id == school_id, _TABLE.c.year == year, _TABLE.c.kind == kind.value
        )
    ).first()


def _snapshot(school_id: int, name: str, year: int, kind: ActionPlanKind, row: Any) -> PlanSnapshot:
    if row is None:
        return PlanSnapshot(
            school_id, name, year, kind.value, ActionPlanStatus.MISSING.value, None, None
        )
    return PlanSnapshot(
        school_id=school_id,
        school_name=name,
        year=year,
        kind=kind.value,
        status=str(row.status),
        adopted_date=row.adopted_date,
        document_link=row.document_link,
        id=row.id,
        row_version=row.row_version,
    )


def load_plan(session: Session, school_id: int, year: int, kind: str) -> PlanSnapshot:
    """The plan of ``kind`` of a school unit and year as it is now (read straight from the
    database, never from a cache: the editor keeps its ``row_version``).

    Raises
    ------
    InventoryValidationError
        The kind is unknown or the school unit does not exist.
    """
    plan_kind = _kind(kind)
    name = _school_name(session, int(school_id))
    return _snapshot(
        int(school_id), name, int(year), plan_kind, _current(session, school_id, year, plan_kind)
    )


def last_change(session: Session, plan_id: int) -> LastChange | None:
    """The newest audit entry about the plan ``plan_id`` (``None`` when there is none)."""
    row = session.execute(
        sa.select(AuditEntry.username, AuditEntry.at)
        .where(AuditEntry.entity == ENTITY, AuditEntry.entity_id == str(plan_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite returns naive UTC
    return LastChange(row.username, at)


# --------------------------------------------------------------------------- saving


class StalePlanError(InventoryValidationError):
    """The plan changed after the editor loaded it; nothing was written.

    ``current`` is the plan as it is now (to reload), ``changed_by``/``changed_at`` the last
    change in the audit trail (``None`` when the trail does not say).
    """

    def __init__(
        self,
        current: PlanSnapshot,
        expected_version: int | None,
        last: LastChange | None,
    ):
        self.current = current
        self.expected_version = expected_version
        self.changed_by = last.username if last else None
        self.changed_at = last.at if last else None
        who = self.changed_by or "someone"
        when = f" at {self.changed_at.isoformat(timespec='minutes')}" if self.changed_at else ""
        expected = (
            f"row_version {expected_version}" if expected_version is not None else "no plan yet"
        )
        found = f"row_version {current.row_version}" if current.exists else "the plan was removed"
        super().__init__(
            [
                Problem(
                    ENTITY,
                    "row_version",
                    found,
                    f"{expected} (the {current.kind} of {current.school_name} {current.year} was "
                    f"changed by {who}{when} after it was opened: reload)",
                )
            ]
        )


@dataclass(frozen=True)
class FieldChange:
    """One changed value (as audited)."""

    field: str
    old: Any
    new: Any


@dataclass
class SaveResult:
    """What a save did: the plan as saved, whether it was created, the changed fields."""

    plan: PlanSnapshot
    created: bool = False
    changes: list[FieldChange] = field(default_factory=list)


def _values(status: Any, adopted_date: Any, document_link: Any) -> dict[str, Any]:
    problems: list[Problem] = []
    try:
        status_value = ActionPlanStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in ActionPlanStatus)
        problems.append(Problem(ENTITY, "status", status, f"one of {allowed}"))
        status_value = None
    if isinstance(adopted_date, datetime):
        adopted_date = adopted_date.date()
    if adopted_date is not None and not isinstance(adopted_date, date):
        problems.append(Problem(ENTITY, "adopted_date", adopted_date, "a date or nothing"))
    try:
        link = clean_document_link(document_link)
    except ValueError:
        problems.append(Problem(ENTITY, "document_link", document_link, LINK_EXPECTED))
        link = None
    if problems:
        raise InventoryValidationError(problems)
    return {"status": status_value, "adopted_date": adopted_date, "document_link": link}


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return str(getattr(old, "value", old)) == str(getattr(new, "value", new))


class _StaleSignalError(Exception):
    """Internal signal: roll back, then raise :class:`StalePlanError`."""


def save_plan(
    session: Session,
    user: Actor | None,
    *,
    school_id: int,
    year: int,
    kind: str,
    status: str,
    adopted_date: date | None = None,
    document_link: str | None = None,
    expected_version: int | None,
    commit: bool = True,
) -> SaveResult:
    """Save one plan as edited; create it when none is on record.

    Parameters
    ----------
    session
        A session that has not read anything in its current transaction (see the module
        docstring). With ``commit`` the save is committed.
    user
        Who saves (needs ``inventory.edit``).
    school_id, year, kind
        Which plan.
    status, adopted_date, document_link
        The values as edited (the whole plan, not only the changes).
    expected_version
        The ``row_version`` the editor loaded; ``None`` when it loaded no plan (a new one).

    Returns
    -------
    SaveResult
        Unchanged values are neither written nor audited; when nothing changed the version
        stays.

    Raises
    ------
    PermissionDeniedError
        Checked first.
    InventoryValidationError
        A value is invalid (every problem named); nothing was read or written.
    StalePlanError
        Somebody saved (or created) the plan after the editor loaded it; nothing was written.
    """
    require(user, EDIT_PERMISSION)
    plan_kind = _kind(kind)
    values = _values(status, adopted_date, document_link)
    school_id, year = int(school_id), int(year)
    row = {"school_id": school_id, "year": year, "kind": plan_kind, **values}
    writes.validate(ActionPlan, {**row, "row_version": 1})  # year range, lengths
    natural_key = ((_TABLE.c.school_id == school_id) & (_TABLE.c.year == year)) & (
        _TABLE.c.kind == plan_kind.value
    )
    at = datetime.now(UTC)
    created_id: int | None = None
    changes: list[FieldChange] = []
    savepoint = session.begin_nested()
    try:
        # claim first: the row lock (PostgreSQL) or write lock (SQLite) is held from here on,
        # so the version read below cannot change before the write
        claimed = session.execute(
            sa.update(_TABLE).where(natural_key).values(row_version=_TABLE.c.row_version)
        ).rowcount
        name = _school_name(session, school_id)
        current = _current(session, school_id, year, plan_kind) if claimed else None
        if current is None:
            if expected_version is not None:
                raise _StaleSignalError
            created_id = _create(session, user, row, at)
            changes = [
                FieldChange(f, None, values[f]) for f in EDITABLE_FIELDS if values[f] is not None
            ]
        else:
            if expected_version is None or current.row_version != expected_version:
                raise _StaleSignalError
            changes = [
                FieldChange(f, getattr(current, f), values[f])
                for f in EDITABLE_FIELDS
                if not _same(getattr(current, f), values[f])
            ]
            if changes:
                _update(session, user, current.id, expected_version, changes, at)
    except _StaleSignalError:
        savepoint.rollback()
        now = load_plan(session, school_id, year, plan_kind.value)
        last = last_change(session, now.id) if now.exists else None
        if commit:
            session.rollback()  # ends the transaction and releases the claim
        raise StalePlanError(now, expected_version, last) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    if commit:
        session.commit()
    if created_id is not None:
        plan_id, version = created_id, 1
    else:
        plan_id = current.id
        version = expected_version + 1 if changes else expected_version
    saved = PlanSnapshot(
        school_id=school_id,
        school_name=name,
        year=year,
        kind=plan_kind.value,
        status=values["status"].value,
        adopted_date=values["adopted_date"],
        document_link=values["document_link"],
        id=plan_id,
        row_version=version,
    )
    return SaveResult(plan=saved, created=created_id is not None, changes=changes)


def _create(session: Session, user: Actor | None, row: dict[str, Any], at: datetime) -> int:
    """Insert a new plan (row version 1) and audit every value set; return its id."""
    try:
        created = writes.add(session, ActionPlan, {**row, "row_version": 1})
    except InventoryValidationError as exc:
        if any(p.expected == "a value not already present" for p in exc.problems):
            raise _StaleSignalError from None  # created by someone else since the editor loaded
        raise
    for name in EDITABLE_FIELDS:
        if row[name] is not None:
            audit.record(
                session, user, "create", ENTITY, created.id, field=name, new=row[name], at=at
            )
    return created.id


def _update(
    session: Session,
    user: Actor | None,
    plan_id: int,
    expected_version: int,
    changes: list[FieldChange],
    at: datetime,
) -> None:
    """The conditional write: only the row still at ``expected_version`` is changed."""
    written = session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.id == plan_id, _TABLE.c.row_version == expected_version)
        .values(**{c.field: c.new for c in changes}, row_version=expected_version + 1)
    ).rowcount
    if written != 1:
        raise _StaleSignalError
    for change in changes:
        audit.record(
            session,
            user,
            "edit",
            ENTITY,
            plan_id,
            field=change.field,
            old=change.old,
            new=change.new,
            at=at,
        )


def plan_changes(snapshot: PlanSnapshot, edited: Mapping[str, Any]) -> list[str]:
    """The editable fields whose edited value differs from the loaded snapshot (for the page's
    "nothing to save" message); values are compared as :func:`save_plan` compares them."""
    changed = []
    for name in EDITABLE_FIELDS:
        new = edited.get(name)
        if name == "document_link" and isinstance(new, str):
            new = new.strip() or None
        if not _same(getattr(snapshot, name), new):
            changed.append(name)
    return changed
