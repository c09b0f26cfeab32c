"""Comments on scenarios (synpunkter): write, reply, set the status, hide, list, export.

Rules
-----
- Commenting needs ``scenario.comment`` on the scenario, which :mod:`inventory.permissions`
  allows only while the version is ``open_for_comment``; moderating (status, hiding) needs
  ``comment.moderate``; reading and exporting need ``scenario.view``.
- The comment deadline (``Scenario.comment_deadline``) is the last Swedish calendar day on which
  comments are taken. After it, new comments and replies are refused with
  :class:`CommentError` ``deadline_passed``; a moderator may still reply to existing comments
  (answering the reference group is what happens after the deadline) until the version leaves
  ``open_for_comment``.
- Every comment records the version it was made on (``scenario_version``). Comments of all
  versions of a scenario name are listed together, so comments made before a revision stay
  visible, and can be answered and resolved, on the revised version.
- The status (open, answered, resolved) belongs to a thread and is kept on its first comment.
  A reply by a moderator marks the comment it answers, and the thread, ``answered`` when open.
- Hiding keeps the comment: it records who, why and when. Moderators still read the text;
  everybody else sees only that a moderator hid it, and why.
- Text is stored exactly as typed; pages escape it when they show it, and the export passes
  every cell through :func:`planning.cells.safe_cell`.

Write functions take an open session and leave the commit to the caller; each write is audited
in the same transaction. :func:`run_write` runs one write in its own transaction and retries it
when SQLite reports a lock conflict.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventory import audit, writes
from inventory.models import Comment, CommentStatus, Role, Scenario, School, User
from inventory.models import ScenarioStatus as S
from inventory.permissions import can, require
from planning.cells import safe_cell
from planning.lifecycle import TIMEZONE, local_today

__all__ = [
    "MAX_REASON_LENGTH",
    "MAX_TEXT_LENGTH",
    "CommentError",
    "CommentView",
    "Thread",
    "add_comment",
    "comment_window",
    "comments_csv",
    "hide",
    "list_comments",
    "reply",
    "run_write",
    "scenario_schools",
    "set_status",
]

MAX_TEXT_LENGTH = 5000
MAX_REASON_LENGTH = 1000

T = TypeVar("T")


class CommentError(ValueError):
    """A refused comment action; nothing was written.

    ``code`` names the reason (pages translate it), ``details`` holds the values the message
    names (``deadline``, ``length``, ``limit``, …).
    """

    def __init__(self, code: str, message: str, **details: Any):
        self.code = code
        self.details = details
        super().__init__(message)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CommentView:
    """One comment as a given reader may see it.

    ``text`` is ``None`` when the comment is hidden and the reader may not moderate; the
    hiding reason is shown to everybody.
    """

    id: int
    scenario_id: int
    scenario_version: int
    thread_id: int
    reply_to_id: int | None
    school_id: int | None
    school_name: str | None
    school_unit_code: str | None
    author: str
    author_role: str
    status: str
    created_at: datetime
    text: str | None
    hidden: bool
    hidden_reason: str | None
    hidden_by: str | None
    hidden_at: datetime | None


@dataclass(frozen=True)
class Thread:
    """A top-level comment and its replies (oldest first); the thread status is the root's."""

    root: CommentView
    replies: tuple[CommentView, ...]

    @property
    def status(self) -> str:
        return self.root.status


def _scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, int(scenario_id))
    if scenario is None:
        raise LookupError(f"no scenario with id {scenario_id}")
    return scenario


def _comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, int(comment_id))
    if comment is None:
        raise LookupError(f"no comment with id {comment_id}")
    return comment


def _lineage(session: Session, scenario: Scenario) -> list[int]:
    """Ids of every version saved under the scenario's name."""
    return list(
        session.execute(sa.select(Scenario.id).where(Scenario.name == scenario.name)).scalars()
    )


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def list_comments(session: Session, user: Any, scenario_id: int) -> list[Thread]:
    """The threads on every version of the scenario's name, oldest first.

    Raises
    ------
    PermissionDeniedError
        Without ``scenario.view``.
    LookupError
        No such scenario.
    """
    require(user, "scenario.view")
    scenario = _scenario(session, scenario_id)
    moderator = can(user, "comment.moderate")
    author = sa.orm.aliased(User)
    hider = sa.orm.aliased(User)
    rows = session.execute(
        sa.select(
            Comment,
            School.name,
            School.school_unit_code,
            author.display_name,
            hider.display_name,
        )
        .join(author, author.id == Comment.author_id)
        .outerjoin(School, School.id == Comment.school_id)
        .outerjoin(hider, hider.id == Comment.hidden_by_id)
        .where(Comment.scenario_id.in_(_lineage(session, scenario)))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    parent = {c.id: c.reply_to_id for c, *_ in rows}

    def root_of(comment_id: int) -> int:
        seen = set()
        while parent.get(comment_id) is not None and comment_id not in seen:
            seen.add(comment_id)
            comment_id = parent[comment_id]  # type: ignore[assignment]
        return comment_id

    views: dict[int, CommentView] = {}
    for c, school_name, school_code, author_name, hider_name in rows:
        hidden = c.hidden_at is not None
        views[c.id] = CommentView(
            id=c.id,
            scenario_id=c.scenario_id,
            scenario_version=c.scenario_version,
            thread_id=root_of(c.id),
            reply_to_id=c.reply_to_id,
            school_id=c.school_id,
            school_name=school_name,
            school_unit_code=school_code,
            author=author_name,
            author_role=str(c.author_role),
            status=str(c.status),
            created_at=_utc(c.created_at),
            text=None if hidden and not moderator else c.text,
            hidden=hidden,
            hidden_reason=c.hidden_reason,
            hidden_by=hider_name,
            hidden_at=_utc(c.hidden_at),
        )
    threads = []
    for view in views.values():
        if view.reply_to_id is None:
            replies = tuple(v for v in views.values() if v.thread_id == view.id and v.id != view.id)
            threads.append(Thread(root=view, replies=replies))
    return threads


def scenario_schools(session: Session, scenario_id: int) -> list[tuple[int, str, str]]:
    """``(id, name, school unit code)`` of the schools one may comment on, by name.

    The schools of the scenario's municipality; every school when the scenario covers all.
    """
    scenario = _scenario(session, scenario_id)
    statement = sa.select(School.id, School.name, School.school_unit_code).order_by(
        School.name, School.id
    )
    if scenario.municipality_id is not None:
        statement = statement.where(School.municipality_id == scenario.municipality_id)
    return [(int(i), str(n), str(c)) for i, n, c in session.execute(statement).all()]


@dataclass(frozen=True)
class CommentWindow:
    """Whether a version takes comments now: ``open`` (status), ``deadline``, ``passed``."""

    open: bool
    deadline: date | None
    passed: bool

    @property
    def accepting(self) -> bool:
        return self.open and not self.passed


def comment_window(scenario: Any, today: date | None = None) -> CommentWindow:
    """The comment window of ``scenario`` (anything with ``status`` and ``comment_deadline``)."""
    deadline = scenario.comment_deadline
    if isinstance(deadline, str):
        deadline = date.fromisoformat(deadline)
    elif isinstance(deadline, datetime):  # a pandas Timestamp, or NaT for none
        deadline = None if deadline != deadline else deadline.date()
    elif not isinstance(deadline, date):  # None, NaN
        deadline = None
    today = today or local_today()
    return CommentWindow(
        open=str(scenario.status) == S.OPEN_FOR_COMMENT.value,
        deadline=deadline,
        passed=deadline is not None and today > deadline,
    )


# --------------------------------------------------------------------------- writing


def _checked_text(text: Any, *, what: str, limit: int) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CommentError(f"{what}_empty", f"the {what} is empty", limit=limit)
    if len(text) > limit:
        raise CommentError(
            f"{what}_too_long",
            f"the {what} has {len(text)} characters; at most {limit} are allowed",
            length=len(text),
            limit=limit,
        )
    if "\x00" in text:
        raise CommentError("nul", f"the {what} contains a NUL character (U+0000)")
    return text


def add_comment(
    session: Session,
    user: Any,
    scenario_id: int,
    text: str,
    *,
    school_id: int | None = None,
    reply_to_id: int | None = None,
    today: date | None = None,
) -> Comment:
    """Add a comment on the whole scenario, on one school, or a reply (caller commits).

    Parameters
    ----------
    user
        The author: an account (``id``) allowed ``scenario.comment`` on the scenario.
    text
        1 to :data:`MAX_TEXT_LENGTH` characters, not only white space; stored as typed.
    school_id
        A school of the scenario's municipality; a reply without one takes its parent's.
    reply_to_id
        A visible comment on any version of the same scenario name.
    today
        The Swedish date to check the deadline against (default: today).

    Raises
    ------
    PermissionDeniedError
        Not allowed to comment (role, inactive, or the version is not open for comment).
    CommentError
        ``account_required``, ``deadline_passed``, ``text_empty``, ``text_too_long``, ``nul``,
        ``school_elsewhere``, ``reply_elsewhere``, ``reply_hidden``.
    LookupError
        No such scenario, school or comment.
    """
    scenario = _scenario(session, scenario_id)
    require(user, "scenario.comment", scenario)
    author_id = audit.actor_id(user)
    if author_id is None:
        raise CommentError("account_required", "commenting needs a signed-in account")
    moderator = can(user, "comment.moderate")
    window = comment_window(scenario, today)
    if window.passed and not (moderator and reply_to_id is not None):
        raise CommentError(
            "deadline_passed",
            f"the comment period ended on {window.deadline.isoformat()}",  # type: ignore[union-attr]
            deadline=window.deadline,
        )
    _checked_text(text, what="text", limit=MAX_TEXT_LENGTH)
    parent = None
    if reply_to_id is not None:
        parent = _comment(session, reply_to_id)
        if parent.scenario_id not in _lineage(session, scenario):
            raise CommentError(
                "reply_elsewhere",
                f"comment {reply_to_id} belongs to another scenario",
                comment=reply_to_id,
            )
        if parent.hidden_at is not None:
            raise CommentError(
                "reply_hidden", f"comment {reply_to_id} is hidden", comment=reply_to_id
            )
        if school_id is None:
            school_id = parent.school_id
    if school_id is not None:
        school = session.get(School, int(school_id))
        if school is None:
            raise LookupError(f"no school with id {school_id}")
        if (
            scenario.municipality_id is not None
            and school.municipality_id != scenario.municipality_id
        ):
            raise CommentError(
                "school_elsewhere",
                f"school {school.name} ({school.school_unit_code}) is not in the scenario's "
                "municipality",
                school=school.name,
            )
    savepoint = session.begin_nested()
    try:
        comment = writes.add(
            session,
            Comment,
            {
                "scenario_id": scenario.id,
                "school_id": school_id,
                "author_id": author_id,
                "author_role": Role(user.role),
                "text": text,
                "reply_to_id": reply_to_id,
                "scenario_version": scenario.version,
            },
        )
        audit.record(session, user, "create", "comment", comment.id, field="text", new=text)
        if parent is not None and moderator:
            root = parent
            while root.reply_to_id is not None:
                root = _comment(session, root.reply_to_id)
            for target in {parent.id: parent, root.id: root}.values():
                if target.status == CommentStatus.OPEN:
                    _set(session, user, target, CommentStatus.ANSWERED)
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return comment


def reply(
    session: Session,
    user: Any,
    comment_id: int,
    text: str,
    *,
    scenario_id: int | None = None,
    today: date | None = None,
) -> Comment:
    """Reply to ``comment_id`` on ``scenario_id`` (default: the comment's own version).

    Pass the version currently open for comment to answer a comment made on an earlier one.
    Raises what :func:`add_comment` raises.
    """
    target = _comment(session, comment_id)
    return add_comment(
        session,
        user,
        target.scenario_id if scenario_id is None else scenario_id,
        text,
        reply_to_id=target.id,
        today=today,
    )


def _set(session: Session, user: Any, comment: Comment, status: CommentStatus) -> None:
    old = CommentStatus(comment.status)
    comment.status = status
    session.add(comment)
    session.flush()
    audit.record(
        session, user, "status", "comment", comment.id, field="status", old=old, new=status
    )


def set_status(session: Session, user: Any, comment_id: int, status: Any) -> Comment:
    """Set a thread's status (open, answered or resolved) on its first comment (caller commits).

    Setting the status it already has changes nothing.

    Raises
    ------
    PermissionDeniedError
        Without ``comment.moderate``.
    CommentError
        ``unknown_status``, ``status_on_reply`` (the status is kept on a thread's first
        comment).
    LookupError
        No such comment.
    """
    require(user, "comment.moderate")
    try:
        wanted = CommentStatus(status)
    except ValueError:
        raise CommentError(
            "unknown_status",
            f"unknown status {status!r}; expected one of {[s.value for s in CommentStatus]}",
            status=status,
        ) from None
    comment = _comment(session, comment_id)
    if comment.reply_to_id is not None:
        raise CommentError(
            "status_on_reply",
            f"comment {comment_id} is a reply; set the status on the thread's first comment",
            comment=comment_id,
        )
    if comment.status != wanted:
        _set(session, user, comment, wanted)
    return comment


def hide(session: Session, user: Any, comment_id: int, reason: str) -> Comment:
    """Hide a comment with a reason; the text is kept (caller commits).

    Raises
    ------
    PermissionDeniedError
        Without ``comment.moderate``.
    CommentError
        ``reason_empty``, ``reason_too_long``, ``nul``, ``already_hidden``.
    LookupError
        No such comment.
    """
    require(user, "comment.moderate")
    _checked_text(reason, what="reason", limit=MAX_REASON_LENGTH)
    comment = _comment(session, comment_id)
    if comment.hidden_at is not None:
        raise CommentError(
            "already_hidden", f"comment {comment_id} is already hidden", comment=comment_id
        )
    comment.hidden_by_id = audit.actor_id(user)
    comment.hidden_reason = reason
    comment.hidden_at = datetime.now(UTC)
    session.add(comment)
    session.flush()
    audit.record(session, user, "hide", "comment", comment.id, field="hidden_reason", new=reason)
    return comment


# --------------------------------------------------------------------------- transactions


def _sqlite_locked(exc: sa.exc.OperationalError) -> bool:
    message = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in message or "database is busy" in message


def run_write(engine: Engine, operation: Callable[[Session], T], *, attempts: int = 30) -> T:
    """Run ``operation(session)`` in a transaction of its own and commit; return its result.

    SQLite lets one writer at a time; a transaction that read before writing can be refused
    at once with "database is locked" when another writer committed meanwhile (its snapshot
    is stale, so the busy timeout does not wait). Such a refusal rolls back and runs the whole
    operation again, after a short random pause, up to ``attempts`` times. Any other error is
    raised as it is. Return plain values (ids), not rows: the session is closed afterwards.
    """
    for attempt in range(1, attempts + 1):
        with Session(engine) as session:
            try:
                result = operation(session)
                session.commit()
                return result
            except sa.exc.OperationalError as exc:
                session.rollback()
                if (
                    engine.dialect.name != "sqlite"
                    or not _sqlite_locked(exc)
                    or attempt == attempts
                ):
                    raise
        time.sleep(random.uniform(0.005, 0.05) * min(attempt, 10))  # noqa: S311 (jitter)
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- export

#: export headings and values per language
EXPORT_TEXTS: dict[str, dict[str, Any]] = {
    "sv": {
        "columns": [
            "Nr",
            "Tråd",
            "Svar på",
            "Scenario",
            "Version",
            "Skolenhet",
            "Skolenhetskod",
            "Författare",
            "Roll",
            "Trådens status",
            "Skriven",
            "Synpunkt",
            "Dold",
            "Skäl",
            "Dold av",
            "Dold den",
        ],
        "status": {"open": "öppen", "answered": "besvarad", "resolved": "löst"},
        "role": {
            "admin": "admin",
            "projektledare": "projektledare",
            "referensgrupp": "referensgrupp",
            "chef": "chef",
        },
        "yes": "ja",
        "no": "nej",
        "whole": "hela scenariot",
    },
    "en": {
        "columns": [
            "No",
            "Thread",
            "Reply to",
            "Scenario",
            "Version",
            "School unit",
            "School unit code",
            "Author",
            "Role",
            "Thread status",
            "Written",
            "Comment",
            "Hidden",
            "Reason",
            "Hidden by",
            "Hidden at",
        ],
        "status": {"open": "open", "answered": "answered", "resolved": "resolved"},
        "role": {
            "admin": "admin",
            "projektledare": "project leader",
            "referensgrupp": "reference group",
            "chef": "manager",
        },
        "yes": "yes",
        "no": "no",
        "whole": "whole scenario",
    },
}


def local_time(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in Swedish time; empty for ``None``."""
    if value is None:
        return ""
    return _utc(value).astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]


def comments_csv(session: Session, user: Any, scenario_id: int, lang: str = "sv") -> bytes:
    """Every comment on the scenario's name as CSV for Swedish Excel.

    UTF-8 with a byte-order mark, ``;`` between fields, CRLF line ends, one row per comment
    in thread order; every cell passes through :func:`planning.cells.safe_cell`. Hidden text is
    left out unless the user may moderate (as on the page).

    Raises
    ------
    PermissionDeniedError
        Without ``scenario.view``.
    LookupError
        No such scenario.
    """
    texts = EXPORT_TEXTS[lang]
    scenario = _scenario(session, scenario_id)
    threads = list_comments(session, user, scenario_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in texts["columns"]])
    for thread in threads:
        for view in (thread.root, *thread.replies):
            row = [
                view.id,
                view.thread_id,
                view.reply_to_id if view.reply_to_id is not None else "",
                scenario.name,
                view.scenario_version,
                view.school_name or texts["whole"],
                view.school_unit_code or "",
                view.author,
                texts["role"].get(view.author_role, view.author_role),
                texts["status"].get(thread.status, thread.status),
                local_time(view.created_at),
                view.text or "",
                texts["yes"] if view.hidden else texts["no"],
                view.hidden_reason or "",
                view.hidden_by or "",
                local_time(view.hidden_at),
            ]
            writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
