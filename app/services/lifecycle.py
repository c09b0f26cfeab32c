"""Page logic of a scenario's lifecycle (on Scenarier): perform a step, label statuses, history.

Each step runs :mod:`planning.lifecycle` in its own transaction, commits, and clears the cached
reads (:func:`app.state.clear_data_caches`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from app import state
from app.i18n import t
from app.services.comments import escape_markdown
from inventory.permissions import PermissionDeniedError
from inventory.writes import InventoryValidationError
from planning import lifecycle
from planning.comments import comment_window, local_time
from planning.lifecycle import DeadlineError, LifecycleError, TransitionError

__all__ = [
    "DEFAULT_COMMENT_DAYS",
    "ERRORS",
    "STATUS_ICONS",
    "allowed",
    "default_deadline",
    "error_message",
    "facts",
    "history_table",
    "perform",
    "status_label",
    "version_labels",
]

#: a symbol per status, so that the status never depends on colour alone
STATUS_ICONS: dict[str, str] = {
    "draft": "📝",
    "open_for_comment": "💬",
    "revised": "🔄",
    "adopted": "✅",
    "archived": "🗄️",
}
#: the default comment period, in days
DEFAULT_COMMENT_DAYS = 21
ERRORS: tuple[type[Exception], ...] = (
    LifecycleError,
    PermissionDeniedError,
    InventoryValidationError,
    LookupError,
    *state.DATABASE_ERRORS,
)


def status_label(status: Any, lang: str | None = None) -> str:
    """Symbol and words of a lifecycle status, e.g. ``💬 Ute på remiss``."""
    if status is None or (isinstance(status, float) and pd.isna(status)):
        return "–"
    code = str(status)
    return f"{STATUS_ICONS.get(code, '')} {t(f'lifecycle.status.{code}', lang=lang)}".strip()


def allowed(user: Any, status: Any) -> list[str]:
    """The operations ``user`` may perform on a version in ``status``, in display order."""
    return lifecycle.allowed_operations(user, status)


def version_labels(rows: pd.DataFrame) -> dict[int, str]:
    """``{id: "name – version N – status"}`` for the rows of a scenario table indexed by id,
    in the session's language (for a select box's ``format_func``)."""
    return {
        int(scenario_id): t(
            "lifecycle.option",
            name=row["name"],
            version=int(row["version"]),
            status=status_label(row["status"]),
        )
        for scenario_id, row in rows.iterrows()
    }


def facts(row: pd.Series) -> str:
    """One caption line about a version: status, comment deadline and who adopted it when.

    The adopter's name is escaped for Markdown.
    """
    deadline = comment_window(row).deadline
    adopted_at, adopted_by = row.get("adopted_at"), row.get("adopted_by")
    text = t(
        "lifecycle.facts",
        status=status_label(row["status"]),
        version=int(row["version"]),
        deadline=deadline.isoformat() if deadline else "–",
    )
    if adopted_at is not None and pd.notna(adopted_at):
        when = local_time(pd.Timestamp(adopted_at).to_pydatetime())
        who = escape_markdown(adopted_by) if pd.notna(adopted_by) else "–"
        text += " " + t("lifecycle.adopted_by", user=who, at=when)
    return text


def default_deadline(today: date | None = None) -> date:
    """Today plus :data:`DEFAULT_COMMENT_DAYS`."""
    return (today or lifecycle.local_today()) + timedelta(days=DEFAULT_COMMENT_DAYS)


def perform(
    user: Any,
    operation: str,
    scenario_id: int,
    *,
    deadline: date | None = None,
    note: str | None = None,
) -> tuple[str, int, str]:
    """Run one lifecycle operation (``open_for_comment``, ``revise``, ``adopt``, ``archive``).

    Returns the ``(name, version, status)`` of the row it leaves behind (the new version for
    ``revise``). Raises what the :mod:`planning.lifecycle` function raises; nothing is saved
    then.
    """
    note = note.strip() if note and note.strip() else None
    with Session(state.get_engine()) as session:
        if operation == "open_for_comment":
            row = lifecycle.open_for_comment(session, user, scenario_id, deadline, note=note)
        elif operation == "revise":
            row = lifecycle.revise(session, user, scenario_id, note=note)
        elif operation == "adopt":
            row = lifecycle.adopt(session, user, scenario_id, note=note)
        elif operation == "archive":
            row = lifecycle.archive(session, user, scenario_id, note=note)
        else:
            raise ValueError(f"unknown lifecycle operation {operation!r}")
        session.flush()
        result = (row.name, int(row.version), str(row.status))
        session.commit()
    state.clear_data_caches()
    return result


def error_message(exc: BaseException) -> str:
    """A translated one-line explanation of a refused or failed step."""
    if isinstance(exc, TransitionError):
        key = "lifecycle.error.stale" if "meanwhile" in str(exc) else "lifecycle.error.transition"
        return t(key, source=status_label(exc.from_status), target=status_label(exc.to_status))
    if isinstance(exc, DeadlineError):
        return t("lifecycle.error.deadline")
    if isinstance(exc, PermissionDeniedError):
        return t("lifecycle.error.permission")
    if isinstance(exc, LifecycleError | InventoryValidationError):
        return t("lifecycle.error.invalid", reason=str(exc))
    if isinstance(exc, LookupError):
        return t("lifecycle.error.not_found")
    return t("lifecycle.error.database", reason=state.error_reason(exc))


def history_table(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The history for display: ``at`` (Swedish time, text), ``version``, ``step``
    (from → to in words), ``username``, ``note``; newest first."""
    rows = frame.sort_values("at", ascending=False, kind="stable")
    steps = [
        status_label(target, lang)
        if source is None or pd.isna(source)
        else f"{status_label(source, lang)} → {status_label(target, lang)}"
        for source, target in zip(rows["from_status"], rows["to_status"], strict=True)
    ]
    return pd.DataFrame(
        {
            "at": [local_time(ts.to_pydatetime()) for ts in rows["at"]],
            "version": rows["version"].astype("int64").to_numpy(),
            "step": steps,
            "username": rows["username"].to_numpy(),
            "note": rows["note"].to_numpy(),
        }
    )
