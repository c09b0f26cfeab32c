"""The one permission check of skolbib: ``can(user, action, resource)``.

Pages, the command line and the services all call :func:`can` (or :func:`require`), so a hidden
button is never the only guard. The role table is ARCHITECTURE.md's; a resource can narrow it
(comments only on a scenario that is open for comment).
"""

from __future__ import annotations

from typing import Any, Protocol

from inventory.models import Role, ScenarioStatus

ADMIN, LEADER, REFERENCE, MANAGER = (
    Role.ADMIN,
    Role.PROJECT_LEADER,
    Role.REFERENCE_GROUP,
    Role.MANAGER,
)

#: action -> roles allowed (ARCHITECTURE.md, "People and permissions")
PERMISSIONS: dict[str, frozenset[Role]] = {
    "inventory.view": frozenset({ADMIN, LEADER, REFERENCE, MANAGER}),
    "inventory.edit": frozenset({ADMIN, LEADER}),
    "scenario.view": frozenset({ADMIN, LEADER, REFERENCE, MANAGER}),
    "scenario.create": frozenset({ADMIN, LEADER}),
    "scenario.comment": frozenset({ADMIN, LEADER, REFERENCE, MANAGER}),
    "comment.moderate": frozenset({ADMIN, LEADER}),
    "scenario.adopt": frozenset({ADMIN, MANAGER}),
    "export.summary": frozenset({ADMIN, LEADER, MANAGER}),
    "survey.publish": frozenset({ADMIN, LEADER}),
    "survey.answer": frozenset({ADMIN, LEADER, REFERENCE, MANAGER}),
    "users.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
}


class Actor(Protocol):
    """Anything with a role and an active flag (a ``User`` row, or a test double)."""

    role: Any
    active: bool


class PermissionDeniedError(PermissionError):
    """The user may not perform the action on the resource."""

    def __init__(self, action: str, role: str | None, reason: str = ""):
        self.action, self.role, self.reason = action, role, reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"role {role!r} may not {action}{detail}")


def _role(user: Actor | None) -> Role | None:
    if user is None or not getattr(user, "active", True):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def denial_reason(user: Actor | None, action: str, resource: Any = None) -> str | None:
    """``None`` when allowed, else a short English reason (for logs and messages)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    role = _role(user)
    if role is None:
        return "not signed in or account inactive"
    if role not in PERMISSIONS[action]:
        return f"the role {role.value} does not allow {action}"
    if action == "scenario.comment" and resource is not None:
        status = getattr(resource, "status", None)
        if status != ScenarioStatus.OPEN_FOR_COMMENT:
            return "the scenario is not open for comment"
    return None


def can(user: Actor | None, action: str, resource: Any = None) -> bool:
    """Whether ``user`` may perform ``action`` (on ``resource`` where that matters).

    Parameters
    ----------
    user
        The signed-in user, or ``None`` (never allowed anything).
    action
        One of :data:`PERMISSIONS` (an unknown action raises ``KeyError``: a typo must not
        silently deny or allow).
    resource
        The object acted on, where the rule depends on it (a scenario for ``scenario.comment``).
    """
    return denial_reason(user, action, resource) is None


def require(user: Actor | None, action: str, resource: Any = None) -> None:
    """Raise :class:`PermissionDeniedError` unless :func:`can` allows the action."""
    reason = denial_reason(user, action, resource)
    if reason is not None:
        role = getattr(user, "role", None)
        raise PermissionDeniedError(action, None if role is None else str(role), reason)
