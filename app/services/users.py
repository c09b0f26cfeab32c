"""Sign-in and user administration for the pages: sessions opened here, rules in
:mod:`inventory.accounts` (permission checks, audit, hashing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from app import state
from app.session import SessionUser, forget_cached_accounts, session_user
from inventory import accounts

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """``text`` with Markdown characters escaped, for user text inside a Markdown message."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True)
class SignInContext:
    """What the sign-in page tells: whether any account exists, the demo accounts."""

    accounts: int
    demo_accounts: list[str]


def sign_in_context() -> SignInContext:
    """How many accounts exist, and the demo accounts of a demo database."""
    with Session(state.get_engine()) as session:
        count = accounts.account_count(session)
        demo = [u.username for u in accounts.demo_sign_in_accounts(session)]
    return SignInContext(count, demo)


@dataclass(frozen=True)
class SignInOutcome:
    """The result of a sign-in attempt as the page needs it."""

    status: accounts.SignInStatus
    user: SessionUser | None
    minutes_left: int


def try_sign_in(username: str, password: str, client: str) -> SignInOutcome:
    """:func:`inventory.accounts.authenticate` in a session of its own."""
    with Session(state.get_engine()) as session:
        result = accounts.authenticate(session, username, password, client)
        user = None if result.user is None else session_user(result.user)
    return SignInOutcome(result.status, user, result.minutes_left())


def users_frame() -> pd.DataFrame:
    """Every account (no password hashes), ordered by username."""
    with Session(state.get_engine()) as session:
        rows = accounts.list_users(session)
    columns = [
        "username",
        "display_name",
        "email",
        "role",
        "active",
        "has_password",
        "last_login_at",
        "created_at",
    ]
    return pd.DataFrame(rows, columns=[*columns, "id", "password_changed_at"])[columns]


def _write(function: Any, actor: SessionUser, *args: Any, **kwargs: Any) -> None:
    with Session(state.get_engine()) as session:
        try:
            function(session, actor, *args, **kwargs)
        except Exception:
            session.rollback()
            raise
    forget_cached_accounts()


def add_user(
    actor: SessionUser,
    username: str,
    role: str,
    *,
    display_name: str,
    email: str,
    password: str,
    repeated: str,
) -> None:
    """Create an account; an empty password makes a single sign-on account (needs e-mail)."""
    if password != repeated:
        raise accounts.AccountError("passwords_differ")
    _write(
        accounts.create_user,
        actor,
        username,
        role,
        password=password or None,
        display_name=display_name,
        email=email,
    )


def set_role(actor: SessionUser, username: str, role: str) -> None:
    """Give ``username`` the role ``role``."""
    _write(accounts.set_role, actor, username, role)


def set_active(actor: SessionUser, username: str, active: bool) -> None:
    """Deactivate or reactivate ``username``."""
    _write(accounts.set_active, actor, username, active)


def set_details(actor: SessionUser, username: str, display_name: str, email: str) -> None:
    """Change the display name and e-mail of ``username``."""
    _write(accounts.set_details, actor, username, display_name=display_name, email=email)


def reset_password(actor: SessionUser, username: str, password: str, repeated: str) -> None:
    """Give ``username`` a new password (typed twice)."""
    if password != repeated:
        raise accounts.AccountError("passwords_differ")
    _write(accounts.reset_password, actor, username, password)
