"""Page logic of Synpunkter (comments): writes, messages, escaping and small figures.

Every write runs :mod:`planning.comments` in a transaction of its own
(:func:`planning.comments.run_write`), then clears the cached reads. A comment needs an author
account (``user.id``); without one the write is refused with ``account_required``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from app import state
from app.components.text import escape_markdown
from app.i18n import t
from inventory.permissions import PermissionDeniedError
from inventory.writes import InventoryValidationError
from planning import comments
from planning.comments import CommentError, Thread

__all__ = [
    "ERRORS",
    "STATUSES",
    "STATUS_BADGES",
    "answer",
    "change_status",
    "error_message",
    "escape_markdown",
    "export_file_name",
    "filter_threads",
    "hide",
    "post",
    "status_counts",
    "versions_for_comment",
]

#: thread statuses in display order
STATUSES: tuple[str, ...] = ("open", "answered", "resolved")
#: status -> (icon, badge colour); the badge also carries the status in words
STATUS_BADGES: dict[str, tuple[str, str]] = {
    "open": (":material/radio_button_unchecked:", "orange"),
    "answered": (":material/forum:", "blue"),
    "resolved": (":material/check_circle:", "green"),
}
#: what a write may raise that the page explains (database errors included)
ERRORS: tuple[type[Exception], ...] = (
    CommentError,
    PermissionDeniedError,
    InventoryValidationError,
    LookupError,
    *state.DATABASE_ERRORS,
)


def _write(operation) -> Any:  # noqa: ANN001
    result = comments.run_write(state.get_engine(), operation)
    state.clear_data_caches()
    return result


def post(user: Any, scenario_id: int, text: str, school_id: int | None = None) -> int:
    """Write a comment on the scenario (or one school); return its id."""
    return _write(
        lambda s: comments.add_comment(s, user, scenario_id, text, school_id=school_id).id
    )


def answer(user: Any, scenario_id: int, comment_id: int, text: str) -> int:
    """Reply to ``comment_id`` on the version ``scenario_id``; return the reply's id."""
    return _write(lambda s: comments.reply(s, user, comment_id, text, scenario_id=scenario_id).id)


def change_status(user: Any, comment_id: int, status: str) -> None:
    """Set a thread's status (moderators)."""
    _write(lambda s: comments.set_status(s, user, comment_id, status).id)


def hide(user: Any, comment_id: int, reason: str) -> None:
    """Hide a comment with a reason (moderators)."""
    _write(lambda s: comments.hide(s, user, comment_id, reason).id)


def error_message(exc: BaseException) -> str:
    """A translated one-line explanation of a refused or failed write."""
    if isinstance(exc, CommentError):
        details = {k: v.isoformat() if isinstance(v, date) else v for k, v in exc.details.items()}
        return t(f"comments.error.{exc.code}", **details)
    if isinstance(exc, PermissionDeniedError):
        if exc.action == "scenario.comment" and "not open" in exc.reason:
            return t("comments.error.not_open")
        return t("comments.error.permission")
    if isinstance(exc, InventoryValidationError):
        return t("comments.error.invalid", reason=str(exc))
    if isinstance(exc, LookupError):
        return t("comments.error.not_found")
    return t("comments.error.database", reason=state.error_reason(exc))


def versions_for_comment(table: pd.DataFrame) -> pd.DataFrame:
    """The versions the page offers (every status but draft), indexed by id: versions open
    for comment first, then by name and newest version first."""
    shown = table[table["status"] != "draft"]
    order = shown.assign(_open=shown["status"] == "open_for_comment").sort_values(
        ["_open", "name", "version"], ascending=[False, True, False], kind="stable"
    )
    return order.drop(columns="_open").set_index("id")


def status_counts(threads: Iterable[Thread]) -> dict[str, int]:
    """Threads per status (every status of :data:`STATUSES`, zero when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    for thread in threads:
        counts[thread.status] = counts.get(thread.status, 0) + 1
    return counts


def filter_threads(
    threads: Iterable[Thread], status: str | None = None, school_id: int | None = None
) -> list[Thread]:
    """Threads with the status (``None``: any) about the school (``None``: any)."""
    return [
        thread
        for thread in threads
        if (status is None or thread.status == status)
        and (school_id is None or thread.root.school_id == school_id)
    ]


def export_file_name(name: str, version: int) -> str:
    """``synpunkter-<name in ASCII letters, digits and dashes>-v<version>.csv``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "scenario"
    return f"synpunkter-{slug}-v{int(version)}.csv"
