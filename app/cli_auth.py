"""Who runs a ``skolbib`` command that writes or reads restricted data: ``--user NAME``.

Commands that change the inventory, the scenarios or the accounts, and commands that read what
not every role may see (the audit trail, exports), name an existing, active account with
``--user NAME`` (or ``SKOLBIB_USER``). The account's role is checked with
:func:`inventory.permissions.require`, the same check the web pages use, and the audit trail
records the account. Commands that only read what every role may see need no account.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from inventory.models import User
from inventory.permissions import denial_reason

ENV_USER = "SKOLBIB_USER"


class CliUserError(ValueError):
    """No usable account for the command; the message says what to do."""


def add_user_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--user NAME`` (default ``SKOLBIB_USER``) to ``parser``."""
    parser.add_argument(
        "--user",
        default=None,
        metavar="NAMN",
        help=f"kontot som kör kommandot (standard: miljövariabeln {ENV_USER})",
    )


def resolve_user(session: Session, username: str | None, action: str, resource: Any = None) -> User:
    """The active account ``username`` (or ``SKOLBIB_USER``), if it may perform ``action``.

    Raises
    ------
    CliUserError
        No name given, no such account, an inactive account, or a role without the right;
        the message names the account, the role and the action.
    """
    name = (username or os.environ.get(ENV_USER) or "").strip()
    if not name:
        raise CliUserError(
            f"ange --user NAMN (eller {ENV_USER}): ett aktivt konto som får {action}"
        )
    user = session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        raise CliUserError(
            f"kontot {name!r} finns inte (skapa det med: skolbib users add {name} --role ROLL)"
        )
    if not user.active:
        raise CliUserError(f"kontot {name!r} är inaktiverat")
    reason = denial_reason(user, action, resource)
    if reason is not None:
        raise CliUserError(f"kontot {name!r} ({user.role}) får inte {action}: {reason}")
    return user
