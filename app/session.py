"""Who is using the app in this browser session.

:func:`current_user` answers, in this order:

1. the user signed in on the sign-in page (or by single sign-on), kept in
   ``st.session_state["user"]`` until signed out or idle longer than
   ``SKOLBIB_SESSION_TIMEOUT_MINUTES`` (default 30);
2. with single sign-on configured (``[auth]`` in ``st.secrets``) and the browser signed in with
   the identity provider: the active account whose e-mail is the identity's e-mail;
3. on a demo database only (at least one municipality, all fictional), the demo account named by
   ``SKOLBIB_DEMO_USER``, switchable in the sidebar; ignored on any other database;
4. else nobody (``None``): the app shows the sign-in page only.

Pages ask :func:`inventory.permissions.can` with :func:`current_user`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from sqlmodel import Session

from app import state
from inventory import accounts
from inventory.db import database_url
from inventory.models import Role, User

ENV_DEMO_USER = "SKOLBIB_DEMO_USER"
ENV_TIMEOUT = "SKOLBIB_SESSION_TIMEOUT_MINUTES"
#: optional request header carrying the client address set by a trusted reverse proxy
ENV_CLIENT_HEADER = "SKOLBIB_CLIENT_ADDRESS_HEADER"
DEFAULT_TIMEOUT_MINUTES = 30
USER_KEY = "user"
ACTIVITY_KEY = "user_last_activity"  # datetime (UTC) of the signed-in user's last step
NOTICE_KEY = "signin_notice"  # why the sign-in page is shown again ("timed_out", ...)
DEMO_ROLE_KEY = "filter_demo_role"  # the chosen demo account, kept by app.components.synced
DEMO_OFF_KEY = "demo_signed_out"  # set when a demo session signs out
ROLES = [role.value for role in Role]
DEFAULT_DEMO_ROLE = Role.PROJECT_LEADER.value
VIA_PASSWORD, VIA_SSO, VIA_DEMO = "password", "sso", "demo"


@dataclass(frozen=True)
class SessionUser:
    """The signed-in user as pages see it (no password hash ever lives here).

    ``via`` says how the user got in: ``"password"``, ``"sso"`` or ``"demo"``.
    """

    username: str
    display_name: str
    role: str
    id: int | None = None
    active: bool = True
    via: str = VIA_PASSWORD


def session_user(user: User, via: str = VIA_PASSWORD) -> SessionUser:
    """The :class:`SessionUser` of an account row."""
    return SessionUser(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role).value,
        id=user.id,
        active=bool(user.active),
        via=via,
    )


def session_timeout() -> timedelta:
    """The idle time after which a signed-in user is signed out (``ENV_TIMEOUT`` minutes)."""
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_TIMEOUT_MINUTES
    except ValueError:
        minutes = DEFAULT_TIMEOUT_MINUTES
    return timedelta(minutes=minutes if minutes > 0 else DEFAULT_TIMEOUT_MINUTES)


def _now() -> datetime:
    return datetime.now(UTC)


def sign_in(user: User | SessionUser, via: str = VIA_PASSWORD) -> SessionUser:
    """Keep ``user`` as this session's user, from now on."""
    signed = user if isinstance(user, SessionUser) else session_user(user, via)
    st.session_state[USER_KEY] = signed
    st.session_state[ACTIVITY_KEY] = _now()
    st.session_state.pop(NOTICE_KEY, None)
    return signed


def sign_out(notice: str | None = None) -> None:
    """Forget this session's user; ``notice`` is shown on the sign-in page.

    A demo session stays signed out (no automatic demo sign-in until the browser session
    ends); a single sign-on session is also signed out of the identity cookie.
    """
    user = st.session_state.pop(USER_KEY, None)
    st.session_state.pop(ACTIVITY_KEY, None)
    if notice is not None:
        st.session_state[NOTICE_KEY] = notice
    if demo_username() is not None:
        st.session_state[DEMO_OFF_KEY] = True
    if getattr(user, "via", None) == VIA_SSO or _sso_signed_in():
        st.logout()


def _idle_too_long() -> bool:
    last = st.session_state.get(ACTIVITY_KEY)
    if not isinstance(last, datetime):
        return False  # set directly (tests, older sessions): starts counting now
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return _now() - last > session_timeout()


def current_user() -> SessionUser | None:
    """The user of this session, or ``None`` when nobody is signed in (see module doc)."""
    user = st.session_state.get(USER_KEY)
    if isinstance(user, SessionUser):
        if _idle_too_long():
            sign_out("timed_out")
            return None
        st.session_state[ACTIVITY_KEY] = _now()
        return user
    sso = _sso_user()
    if sso is not None:
        return sso
    return demo_user()


def revalidate() -> SessionUser | None:
    """Re-read the signed-in account: sign out a deleted or deactivated one, pick up a new
    role or display name. Called once per run by the entrypoint."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, SessionUser) or user.id is None:
        return current_user()
    try:
        with Session(state.get_engine()) as session:
            row = session.get(User, user.id)
    except state.DATABASE_ERRORS:
        return current_user()  # the page reports the database problem itself
    if row is None or not row.active:
        sign_out("inactive")
        return None
    fresh = replace(user, role=Role(row.role).value, display_name=row.display_name)
    if fresh != user:
        st.session_state[USER_KEY] = fresh
    return current_user()


# --------------------------------------------------------------------------- demo accounts


def demo_username() -> str | None:
    """The demo account named by ``SKOLBIB_DEMO_USER`` (``None`` when unset or not a demo
    account name)."""
    name = os.environ.get(ENV_DEMO_USER, "").strip().lower()
    return name if name in accounts.DEMO_ACCOUNTS else None


@st.cache_data(ttl=state.DATA_TTL_SECONDS, max_entries=4, show_spinner=False)
def _demo_accounts(url: str) -> dict[str, SessionUser]:
    with Session(state.engine_for(url)) as session:
        found = accounts.demo_sign_in_accounts(session)
        return {u.username: session_user(u, VIA_DEMO) for u in found}


def demo_accounts() -> dict[str, SessionUser]:
    """The demo accounts one may switch between: empty unless ``SKOLBIB_DEMO_USER`` is set,
    the database is a demo database and the session has not signed out."""
    if demo_username() is None or st.session_state.get(DEMO_OFF_KEY):
        return {}
    try:
        return _demo_accounts(database_url())
    except state.DATABASE_ERRORS:
        return {}


def demo_user() -> SessionUser | None:
    """The demo account signed in automatically (the one chosen in the sidebar switch)."""
    found = demo_accounts()
    if not found:
        return None
    chosen = st.session_state.get(DEMO_ROLE_KEY, demo_username())
    return found.get(chosen) or found.get(demo_username() or "")


def forget_cached_accounts() -> None:
    """After an account change: the demo switch re-reads the accounts."""
    _demo_accounts.clear()


# --------------------------------------------------------------------------- single sign-on


def _auth_secrets() -> dict[str, Any] | None:
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return None
    return dict(auth) if auth else None


def sso_providers() -> list[str | None]:
    """The configured identity providers: ``[None]`` for a single unnamed ``[auth]``
    provider, the names of ``[auth.<name>]`` sections otherwise, ``[]`` without ``[auth]``."""
    auth = _auth_secrets()
    if not auth:
        return []
    named = [name for name, value in auth.items() if hasattr(value, "keys")]
    if named:
        return named
    return [None] if "client_id" in auth else []


def _sso_signed_in() -> bool:
    if not sso_providers():
        return False
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):  # st.user without is_logged_in: not signed in
        return False


def sso_email() -> str | None:
    """The e-mail of the identity signed in with the identity provider, if any.

    The ``email`` claim, else ``preferred_username`` when it is an address (Entra ID puts the
    sign-in address there when no e-mail claim is configured).
    """
    if not _sso_signed_in():
        return None
    for claim in ("email", "preferred_username"):
        value = st.user.get(claim)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


def _sso_user() -> SessionUser | None:
    email = sso_email()
    if email is None:
        return None
    try:
        with Session(state.get_engine()) as session:
            user = accounts.user_for_email(session, email)
            if user is None:
                return None
            accounts.mark_signed_in(session, user)
            return sign_in(user, VIA_SSO)
    except state.DATABASE_ERRORS:
        return None


def sso_without_access() -> str | None:
    """The identity's e-mail when it is signed in but has no active account here."""
    if st.session_state.get(USER_KEY) is not None:
        return None
    return sso_email()


# --------------------------------------------------------------------------- client address


def client_address() -> str:
    """The client's address for sign-in throttling.

    Behind a reverse proxy every connection comes from the proxy; set
    ``SKOLBIB_CLIENT_ADDRESS_HEADER`` (e.g. ``X-Real-IP``) to the header that proxy sets. Its
    last comma-separated entry is used (the one the nearest proxy added).
    """
    header = os.environ.get(ENV_CLIENT_HEADER, "").strip()
    if header:
        try:
            value = st.context.headers.get(header)
        except Exception:
            value = None
        if isinstance(value, str) and value.strip():
            return value.split(",")[-1].strip()[:100] or "unknown"
    try:
        address = st.context.ip_address
    except Exception:
        address = None
    # None on localhost; not a string where there is no browser connection (AppTest)
    return address[:100] if isinstance(address, str) and address else "local"
