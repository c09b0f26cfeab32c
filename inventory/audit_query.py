"""Reading the audit trail: filtered, newest first, a page at a time or in chunks for export.

Dates in filters are Swedish calendar days: ``since`` counts from 00:00 of that day and
``until`` through 23:59:59.999999 of that day, Europe/Stockholm time, whatever the server's
zone. Timestamps are stored in UTC and come back as timezone-aware UTC values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory.models import AuditEntry

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
#: Columns of every frame returned here, in this order.
COLUMNS: list[str] = [
    "id",
    "at",
    "username",
    "user_id",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
]
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
EXPORT_CHUNK = 5_000

_TABLE: sa.Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; ``None`` (or blank text) means no condition.

    Raises
    ------
    ValueError
        ``since`` is after ``until``.
    """

    since: date | None = None
    until: date | None = None
    username: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise ValueError(f"{name}: expected a date, got {value!r}")
        if self.since and self.until and _day(self.since) > _day(self.until):
            since, until = _day(self.since).isoformat(), _day(self.until).isoformat()
            raise ValueError(f"since {since} is after until {until}")


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def day_start(day: date) -> datetime:
    """00:00 of ``day`` in Sweden, as a UTC timestamp."""
    return datetime.combine(_day(day), time(0), LOCAL_ZONE).astimezone(UTC)


def _conditions(filters: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.since is not None:
        conditions.append(_TABLE.c.at >= day_start(filters.since))
    if filters.until is not None:
        conditions.append(_TABLE.c.at < day_start(_day(filters.until) + timedelta(days=1)))
    for name in ("username", "action", "entity", "entity_id"):
        value = getattr(filters, name)
        if isinstance(value, str):
            value = value.strip()
        if value:
            conditions.append(_TABLE.c[name] == str(value))
    return conditions


def _frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame([dict(r) for r in rows], columns=COLUMNS)
    # SQLite hands back naive UTC values, PostgreSQL aware ones: make both aware UTC
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["id"] = frame["id"].astype("int64")
    frame["user_id"] = frame["user_id"].astype("Int64")
    for name in COLUMNS[2:]:
        if name != "user_id":
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def count_entries(session: Session, filters: AuditFilter | None = None) -> int:
    """How many entries match ``filters``."""
    statement = sa.select(sa.func.count()).select_from(_TABLE)
    conditions = _conditions(filters or AuditFilter())
    if conditions:
        statement = statement.where(*conditions)
    return int(session.execute(statement).scalar_one())


def audit_entries(
    session: Session,
    filters: AuditFilter | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of matching entries, newest first (ties by id, newest first).

    Parameters
    ----------
    filters
        The conditions (default: none).
    limit
        Rows to return, 1 to :data:`MAX_LIMIT`; a big trail is read page by page.
    offset
        Matching rows to skip.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; ``at`` is a timezone-aware UTC timestamp, ``user_id`` ``Int64``.
    """
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise ValueError(f"limit: expected 1 to {MAX_LIMIT}, got {limit}")
    if int(offset) < 0:
        raise ValueError(f"offset: expected 0 or more, got {offset}")
    statement = (
        sa.select(*(_TABLE.c[name] for name in COLUMNS))
        .where(*_conditions(filters or AuditFilter()))
        .order_by(_TABLE.c.at.desc(), _TABLE.c.id.desc())
        .limit(int(limit))
        .offset(int(offset))
    )
    return _frame(session.execute(statement).mappings().all())


def iter_entries(
    session: Session, filters: AuditFilter | None = None, *, chunk: int = EXPORT_CHUNK
) -> Iterator[pd.DataFrame]:
    """Every matching entry, newest first, in frames of at most ``chunk`` rows.

    Reads by keyset (``(at, id)`` below the last row seen), so a long export neither skips
    nor repeats a row when entries are added meanwhile (new ones are newer and not included).
    """
    conditions = _conditions(filters or AuditFilter())
    last: tuple[datetime, int] | None = None
    while True:
        statement = sa.select(*(_TABLE.c[name] for name in COLUMNS)).where(*conditions)
        if last is not None:
            at, identity = last
            statement = statement.where(
                sa.or_(_TABLE.c.at < at, sa.and_(_TABLE.c.at == at, _TABLE.c.id < identity))
            )
        statement = statement.order_by(_TABLE.c.at.desc(), _TABLE.c.id.desc()).limit(chunk)
        rows = session.execute(statement).mappings().all()
        if not rows:
            return
        tail = rows[-1]
        last = (tail["at"], tail["id"])
        yield _frame(rows)
        if len(rows) < chunk:
            return


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The usernames, actions and entities present in the trail, sorted (for filter lists)."""
    return {
        name: [
            value
            for value in session.execute(
                sa.select(_TABLE.c[name]).distinct().order_by(_TABLE.c[name])
            ).scalars()
            if value is not None
        ]
        for name in ("username", "action", "entity")
    }
