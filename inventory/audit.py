"""The audit trail: one :class:`~inventory.models.AuditEntry` per change (who, when, old, new).

Every service that writes calls :func:`record` inside the same transaction as the write, so an
entry exists exactly when the change does.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from inventory.models import AuditEntry


def audit_text(value: Any) -> str | None:
    """A value as stored in the audit trail: ``None`` stays ``None``; codes, not enum names."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def actor_name(user: Any) -> str:
    """The name recorded for ``user`` (its username; its role when it has none)."""
    name = getattr(user, "username", None) or getattr(user, "role", None) or "unknown"
    return str(name)[:254]


def actor_id(user: Any) -> int | None:
    """The account id of ``user``, or ``None`` for a user without an account row."""
    value = getattr(user, "id", None)
    return value if isinstance(value, int) else None


def record(
    session: Session,
    user: Any,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry to ``session`` (flushed, not committed: the caller's write commits it).

    Parameters
    ----------
    user
        Who did it (a ``User`` row, a ``SessionUser``, anything with ``username``/``id``).
    action
        What was done: ``"create"``, ``"edit"``, ``"delete"``, ``"import"``, ``"status"``, …
    entity, entity_id
        The table name and the row's key.
    field, old, new
        The changed field and its values before and after (stored as text by
        :func:`audit_text`).
    """
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        user_id=actor_id(user),
        username=actor_name(user),
        action=action[:80],
        entity=entity[:80],
        entity_id=None if entity_id is None else str(entity_id)[:80],
        field=None if field is None else field[:80],
        old_value=audit_text(old),
        new_value=audit_text(new),
    )
    session.add(entry)
    session.flush()
    return entry
