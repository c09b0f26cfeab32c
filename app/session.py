"""Who is using the app in this browser session.

Two modes, chosen by ``SKOLBIB_AUTH``:

``demo`` (default)
    No sign-in. A role picker in the sidebar lets one person look at the app as each role; the
    app says so. Meant for a laptop with the demo data, never for real inventories with users.
``accounts``
    Local accounts with hashed passwords; the signed-in user is kept in session state by the
    sign-in page.

Either way pages ask :func:`inventory.permissions.can` with :func:`current_user`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from inventory.models import Role

ENV_AUTH = "SKOLBIB_AUTH"
DEMO_ROLE_KEY = "filter_demo_role"  # kept by app.components.synced
USER_KEY = "user"
ROLES = [role.value for role in Role]
DEFAULT_DEMO_ROLE = Role.PROJECT_LEADER.value


@dataclass(frozen=True)
class SessionUser:
    """The signed-in user as pages see it (no password hash ever lives here)."""

    username: str
    display_name: str
    role: str
    id: int | None = None
    active: bool = True


def auth_mode() -> str:
    """``"demo"`` or ``"accounts"`` (from ``SKOLBIB_AUTH``; anything else counts as accounts)."""
    value = os.environ.get(ENV_AUTH, "demo").strip().lower()
    return "demo" if value in ("", "demo") else "accounts"


def current_user() -> SessionUser | None:
    """The user of this session, or ``None`` when nobody is signed in."""
    user = st.session_state.get(USER_KEY)
    if isinstance(user, SessionUser):
        return user
    if auth_mode() == "demo":
        role = st.session_state.get(DEMO_ROLE_KEY, DEFAULT_DEMO_ROLE)
        if role not in ROLES:
            role = DEFAULT_DEMO_ROLE
        return SessionUser(username=f"demo-{role}", display_name=f"Demo ({role})", role=role)
    return None
