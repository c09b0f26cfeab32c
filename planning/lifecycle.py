"""The lifecycle of a saved scenario: draft → open for comment → revised → adopted → archived.

Every allowed step is in :data:`TRANSITIONS`; anything else raises :class:`TransitionError`
naming both statuses. Each step is checked with :func:`inventory.permissions.require`
(``scenario.adopt`` to adopt, ``scenario.create`` for everything else), changes the row with a
conditional ``UPDATE … WHERE status = <from>`` (so two people acting at once cannot both move
the same version), and writes one :class:`~inventory.models.ScenarioEvent` and one audit entry
in the caller's transaction; the caller commits.

Revising keeps the version that was out for comment unchanged: :func:`revise` copies it
(parameters and per-library results) as the next version of the same name with status
``revised`` and ``parent_id`` pointing back, and archives the old version. The next version is
one more than the highest version saved under the name (not necessarily the old version + 1,
when a newer draft was saved meanwhile). A comment stays linked to the version it was made on.
Adopting a version archives any other adopted version of the same name, so at most one version
of a name is adopted at a time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import audit, writes
from inventory.models import Municipality, Scenario, ScenarioEvent, ScenarioResult, User
from inventory.models import ScenarioStatus as S
from inventory.permissions import can, require

__all__ = [
    "OPERATIONS",
    "TRANSITIONS",
    "DeadlineError",
    "LifecycleError",
    "StaleTransitionError",
    "TransitionError",
    "adopt",
    "allowed_operations",
    "archive",
    "history",
    "local_today",
    "open_for_comment",
    "record_created",
    "revise",
    "scenario_table",
]

#: The one table of allowed steps: (from, to). ``revised`` as a target means "a new version".
TRANSITIONS: frozenset[tuple[S, S]] = frozenset(
    {
        (S.DRAFT, S.OPEN_FOR_COMMENT),
        (S.DRAFT, S.ARCHIVED),
        (S.OPEN_FOR_COMMENT, S.REVISED),
        (S.OPEN_FOR_COMMENT, S.ADOPTED),
        (S.OPEN_FOR_COMMENT, S.ARCHIVED),
        (S.REVISED, S.OPEN_FOR_COMMENT),
        (S.REVISED, S.ADOPTED),
        (S.REVISED, S.ARCHIVED),
        (S.ADOPTED, S.ARCHIVED),
    }
)

#: operation name -> (target status, permission it needs)
OPERATIONS: dict[str, tuple[S, str]] = {
    "open_for_comment": (S.OPEN_FOR_COMMENT, "scenario.create"),
    "revise": (S.REVISED, "scenario.create"),
    "adopt": (S.ADOPTED, "scenario.adopt"),
    "archive": (S.ARCHIVED, "scenario.create"),
}

#: comment deadlines are calendar days in Sweden
TIMEZONE = ZoneInfo("Europe/Stockholm")


class LifecycleError(ValueError):
    """A lifecycle step was refused; nothing was written."""


class TransitionError(LifecycleError):
    """The step from ``from_status`` to ``to_status`` is not in :data:`TRANSITIONS`."""

    def __init__(self, from_status: Any, to_status: Any, detail: str = ""):
        self.from_status = S(from_status)
        self.to_status = S(to_status)
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"a scenario cannot go from {self.from_status.value} to {self.to_status.value}{extra}"
        )


class StaleTransitionError(TransitionError):
    """Someone else changed the scenario's status between reading and writing it."""

    def __init__(self, from_status: Any, to_status: Any):
        super().__init__(from_status, to_status, "its status was changed meanwhile; reload")


class DeadlineError(LifecycleError):
    """The comment deadline is missing or already past."""


def local_today() -> date:
    """Today's date in Sweden (comment deadlines are Swedish calendar days)."""
    return datetime.now(TIMEZONE).date()


def _now() -> datetime:
    return datetime.now(UTC)


def _scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, int(scenario_id))
    if scenario is None:
        raise LookupError(f"no scenario with id {scenario_id}")
    return scenario


def _event(
    session: Session,
    user: Any,
    scenario: Scenario,
    from_status: S | None,
    to_status: S,
    note: str | None,
) -> ScenarioEvent:
    return writes.add(
        session,
        ScenarioEvent,
        {
            "scenario_id": scenario.id,
            "user_id": audit.actor_id(user),
            "username": audit.actor_name(user),
            "from_status": from_status,
            "to_status": to_status,
            "version": scenario.version,
            "note": note or None,
        },
    )


def _move(
    session: Session,
    user: Any,
    scenario: Scenario,
    to_status: S,
    note: str | None = None,
    **values: Any,
) -> ScenarioEvent:
    """Move ``scenario`` to ``to_status`` if nobody moved it first; event and audit entry."""
    from_status = S(scenario.status)
    if (from_status, to_status) not in TRANSITIONS:
        raise TransitionError(from_status, to_status)
    changed = session.execute(
        sa.update(Scenario)
        .where(Scenario.id == scenario.id, Scenario.status == from_status.value)
        .values(status=to_status.value, updated_at=_now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        session.expire(scenario)
        raise StaleTransitionError(from_status, to_status)
    session.expire(scenario)
    audit.record(
        session,
        user,
        "status",
        "scenario",
        scenario.id,
        field="status",
        old=from_status,
        new=to_status,
    )
    return _event(session, user, scenario, from_status, to_status, note)


def _checked_note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > 2000:
        raise LifecycleError(f"the note has {len(note)} characters; at most 2000 are allowed")
    return note


def record_created(
    session: Session, user: Any, scenario: Scenario, note: str | None = None
) -> None:
    """The first history step of a newly saved scenario row: ``draft`` (event and audit entry)."""
    audit.record(
        session, user, "create", "scenario", scenario.id, new=f"{scenario.name} v{scenario.version}"
    )
    _event(session, user, scenario, None, S(scenario.status), note)


def _savepoint(session: Session, work):  # noqa: ANN001, ANN202
    """Run ``work()`` in a savepoint: on any error nothing of it stays in the session."""
    savepoint = session.begin_nested()
    try:
        result = work()
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def open_for_comment(
    session: Session,
    user: Any,
    scenario_id: int,
    deadline: date,
    *,
    note: str | None = None,
    today: date | None = None,
) -> Scenario:
    """Open a draft or revised version for comment until ``deadline`` (inclusive).

    Raises
    ------
    PermissionDeniedError
        Without ``scenario.create``.
    DeadlineError
        ``deadline`` is not a date, or is before today (Swedish time).
    TransitionError
        The version is not a draft or revised.
    LookupError
        No such scenario.
    """
    require(user, "scenario.create")
    if not isinstance(deadline, date) or isinstance(deadline, datetime):
        raise DeadlineError(f"the comment deadline must be a date, got {deadline!r}")
    today = today or local_today()
    if deadline < today:
        raise DeadlineError(
            f"the comment deadline {deadline.isoformat()} is before today ({today.isoformat()})"
        )
    note = _checked_note(note)
    scenario = _scenario(session, scenario_id)

    def work() -> Scenario:
        old = scenario.comment_deadline
        _move(session, user, scenario, S.OPEN_FOR_COMMENT, note, comment_deadline=deadline)
        audit.record(
            session,
            user,
            "edit",
            "scenario",
            scenario.id,
            field="comment_deadline",
            old=old,
            new=deadline,
        )
        return scenario

    return _savepoint(session, work)


def _next_version(session: Session, name: str) -> int:
    current = session.execute(
        sa.select(sa.func.max(Scenario.version)).where(Scenario.name == name)
    ).scalar_one()
    return int(current or 0) + 1


def revise(session: Session, user: Any, scenario_id: int, note: str | None = None) -> Scenario:
    """Make the next version of a scenario that was open for comment; archive the old one.

    The new row has the same name, the next free version, ``parent_id`` = the old row, status
    ``revised`` and copies of the parameters, summaries and per-library results. Returns it.

    Raises
    ------
    PermissionDeniedError, TransitionError, LookupError
    """
    require(user, "scenario.create")
    note = _checked_note(note)
    old = _scenario(session, scenario_id)
    from_status = S(old.status)
    if (from_status, S.REVISED) not in TRANSITIONS:
        raise TransitionError(from_status, S.REVISED)

    def work() -> Scenario:
        version = _next_version(session, old.name)
        new = writes.add(
            session,
            Scenario,
            {
                "name": old.name,
                "model": old.model,
                "parameters": dict(old.parameters or {}),
                "base_year": old.base_year,
                "municipality_id": old.municipality_id,
                "status": S.REVISED,
                "version": version,
                "parent_id": old.id,
                "author_id": audit.actor_id(user),
                "solver_status": old.solver_status,
                "objective": old.objective,
                "summary_sv": old.summary_sv,
                "summary_en": old.summary_en,
            },
        )
        results = session.execute(
            sa.select(ScenarioResult).where(ScenarioResult.scenario_id == old.id)
        ).scalars()
        writes.add_all(
            session,
            ScenarioResult,
            [
                {
                    "scenario_id": new.id,
                    "library_id": r.library_id,
                    "quantity": r.quantity,
                    "before": r.before,
                    "after": r.after,
                }
                for r in results
            ],
        )
        old_version = old.version
        _move(session, user, old, S.ARCHIVED, f"revised as version {version}")
        audit.record(
            session,
            user,
            "create",
            "scenario",
            new.id,
            new=f"{new.name} v{version} (revision of v{old_version})",
        )
        audit.record(
            session,
            user,
            "status",
            "scenario",
            new.id,
            field="status",
            old=from_status,
            new=S.REVISED,
        )
        _event(session, user, new, from_status, S.REVISED, note)
        return new

    return _savepoint(session, work)


def adopt(session: Session, user: Any, scenario_id: int, note: str | None = None) -> Scenario:
    """Mark a version open for comment or revised as adopted (who and when are recorded).

    Any other adopted version of the same name is archived ("superseded").

    Raises
    ------
    PermissionDeniedError
        Without ``scenario.adopt``.
    TransitionError, LookupError
    """
    require(user, "scenario.adopt")
    note = _checked_note(note)
    scenario = _scenario(session, scenario_id)

    def work() -> Scenario:
        _move(
            session,
            user,
            scenario,
            S.ADOPTED,
            note,
            adopted_by_id=audit.actor_id(user),
            adopted_at=_now(),
        )
        others = session.execute(
            sa.select(Scenario).where(
                Scenario.name == scenario.name,
                Scenario.id != scenario.id,
                Scenario.status == S.ADOPTED.value,
            )
        ).scalars()
        for other in list(others):
            _move(session, user, other, S.ARCHIVED, f"superseded by version {scenario.version}")
        return scenario

    return _savepoint(session, work)


def archive(session: Session, user: Any, scenario_id: int, note: str | None = None) -> Scenario:
    """Archive a version (from any status but archived).

    Raises
    ------
    PermissionDeniedError, TransitionError, LookupError
    """
    require(user, "scenario.create")
    note = _checked_note(note)
    scenario = _scenario(session, scenario_id)

    def work() -> Scenario:
        _move(session, user, scenario, S.ARCHIVED, note)
        return scenario

    return _savepoint(session, work)


def allowed_operations(user: Any, status: Any) -> list[str]:
    """The operations of :data:`OPERATIONS` that ``user`` may perform on a version in ``status``."""
    current = S(status)
    return [
        name
        for name, (target, action) in OPERATIONS.items()
        if (current, target) in TRANSITIONS and can(user, action)
    ]


HISTORY_COLUMNS = [
    "at",
    "scenario_id",
    "version",
    "from_status",
    "to_status",
    "username",
    "note",
]


def history(session: Session, name: str) -> pd.DataFrame:
    """Every lifecycle step of every version of ``name``, oldest first.

    Columns: :data:`HISTORY_COLUMNS` (``at`` in UTC; ``from_status`` is ``None`` for the
    first step of a row).
    """
    rows = session.execute(
        sa.select(
            ScenarioEvent.at,
            ScenarioEvent.scenario_id,
            ScenarioEvent.version,
            ScenarioEvent.from_status,
            ScenarioEvent.to_status,
            ScenarioEvent.username,
            ScenarioEvent.note,
        )
        .join(Scenario, Scenario.id == ScenarioEvent.scenario_id)
        .where(Scenario.name == name)
        .order_by(ScenarioEvent.at, ScenarioEvent.id)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=HISTORY_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    for column in ("from_status", "note"):  # missing stays None, not NaN
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), None)
    return frame


SCENARIO_COLUMNS = [
    "id",
    "name",
    "version",
    "status",
    "model",
    "base_year",
    "municipality_id",
    "municipality_code",
    "municipality_name",
    "comment_deadline",
    "adopted_by",
    "adopted_at",
    "parent_id",
    "created_at",
]


def scenario_table(session: Session) -> pd.DataFrame:
    """Every saved version with its lifecycle fields, ordered by name and version.

    Columns: :data:`SCENARIO_COLUMNS` (``adopted_by`` is the adopter's username).
    """
    adopter = sa.orm.aliased(User)
    rows = session.execute(
        sa.select(
            Scenario.id,
            Scenario.name,
            Scenario.version,
            Scenario.status,
            Scenario.model,
            Scenario.base_year,
            Scenario.municipality_id,
            Municipality.code,
            Municipality.name,
            Scenario.comment_deadline,
            adopter.username,
            Scenario.adopted_at,
            Scenario.parent_id,
            Scenario.created_at,
        )
        .outerjoin(Municipality, Municipality.id == Scenario.municipality_id)
        .outerjoin(adopter, adopter.id == Scenario.adopted_by_id)
        .order_by(Scenario.name, Scenario.version)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=SCENARIO_COLUMNS)
    frame["status"] = frame["status"].astype(str) if len(frame) else frame["status"]
    return frame
