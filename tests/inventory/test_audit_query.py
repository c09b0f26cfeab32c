"""Reading the audit trail: filters, Swedish calendar days, order, pages and chunks.

Six hand-picked entries; the expected ids of every filter are worked out by hand below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session

from inventory import writes
from inventory.audit_query import (
    AuditFilter,
    audit_entries,
    count_entries,
    day_start,
    filter_choices,
    iter_entries,
)
from inventory.models import AuditEntry, User


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


#: (key, at UTC, username, action, entity, entity_id, field, old, new); Swedish local time in
#: the comment (CET is UTC+1 until 30 March 2025, CEST UTC+2 after).
ENTRIES = [
    # 1: 1 March 11:00
    (
        "e1",
        utc(2025, 3, 1, 10, 0),
        "anna",
        "edit",
        "library_year",
        "5",
        "hours_assistant",
        "1",
        "2",
    ),
    # 2: 10 March 00:30 (still 9 March in UTC)
    (
        "e2",
        utc(2025, 3, 9, 23, 30),
        "bertil",
        "create",
        "action_plan",
        "7",
        "status",
        None,
        "adopted",
    ),
    # 3: 10 March 23:59:59
    (
        "e3",
        utc(2025, 3, 10, 22, 59, 59),
        "anna",
        "edit",
        "action_plan",
        "7",
        "status",
        "adopted",
        "draft",
    ),
    # 4: 11 March 00:00:00
    ("e4", utc(2025, 3, 10, 23, 0, 0), "anna", "answer", "survey", "3", None, None, None),
    # 5: 1 July 00:30 (summer time)
    ("e5", utc(2025, 6, 30, 22, 30), "admin", "edit", "library_year", "5", "loans", None, "900"),
    # 6: 1 March 11:00, the same instant as 1 (written after it: a higher id)
    ("e6", utc(2025, 3, 1, 10, 0), "bertil", "edit", "library_year", "6", "seats", "10", "12"),
]


@pytest.fixture
def trail(session: Session) -> dict[str, int]:
    """The entries above, in that order; key -> id."""
    anna = writes.add(session, User, {"username": "anna", "display_name": "A", "role": "admin"})
    ids = {}
    for key, at, username, action, entity, entity_id, field, old, new in ENTRIES:
        row = writes.add(
            session,
            AuditEntry,
            {
                "at": at,
                "user_id": anna.id if username == "anna" else None,
                "username": username,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "field": field,
                "old_value": old,
                "new_value": new,
            },
        )
        ids[key] = row.id
    session.commit()
    return ids


def keys(frame: pd.DataFrame, ids: dict[str, int]) -> list[str]:
    names = {v: k for k, v in ids.items()}
    return [names[i] for i in frame["id"]]


def test_newest_first_with_ties_by_id(session, trail):
    frame = audit_entries(session)
    # 5 (July), 4, 3, 2 (March 10-11), then 6 and 1 at the same instant: the later id first
    assert keys(frame, trail) == ["e5", "e4", "e3", "e2", "e6", "e1"]
    assert count_entries(session) == 6
    assert str(frame["at"].dt.tz) == "UTC"
    first = frame.iloc[0]
    assert first["at"] == pd.Timestamp("2025-06-30 22:30", tz="UTC")
    assert (first["username"], first["field"], first["old_value"], first["new_value"]) == (
        "admin",
        "loans",
        None,
        "900",
    )
    assert frame.loc[frame["username"] == "anna", "user_id"].notna().all()
    assert frame.loc[frame["username"] != "anna", "user_id"].isna().all()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # Swedish days: 10 March runs from 9 March 23:00 UTC to 10 March 23:00 UTC
        (AuditFilter(since=date(2025, 3, 10), until=date(2025, 3, 10)), ["e3", "e2"]),
        (AuditFilter(since=date(2025, 3, 11)), ["e5", "e4"]),
        (AuditFilter(until=date(2025, 3, 9)), ["e6", "e1"]),
        # 1 July in summer time starts at 30 June 22:00 UTC
        (AuditFilter(since=date(2025, 7, 1), until=date(2025, 7, 1)), ["e5"]),
        (AuditFilter(until=date(2025, 6, 30)), ["e4", "e3", "e2", "e6", "e1"]),
        (AuditFilter(username="anna"), ["e4", "e3", "e1"]),
        (AuditFilter(username=" anna "), ["e4", "e3", "e1"]),
        (AuditFilter(username="Anna"), []),
        (AuditFilter(action="edit"), ["e5", "e3", "e6", "e1"]),
        (AuditFilter(entity="action_plan", entity_id="7"), ["e3", "e2"]),
        (AuditFilter(entity="library_year", entity_id="5"), ["e5", "e1"]),
        (AuditFilter(entity="library_year", username="bertil"), ["e6"]),
        (
            AuditFilter(since=date(2025, 3, 1), until=date(2025, 3, 10), action="edit"),
            ["e3", "e6", "e1"],
        ),
        (AuditFilter(action="", entity="  "), ["e5", "e4", "e3", "e2", "e6", "e1"]),
    ],
)
def test_filters(session, trail, filters, expected):
    assert keys(audit_entries(session, filters), trail) == expected
    assert count_entries(session, filters) == len(expected)


def test_day_start_is_swedish_midnight():
    assert day_start(date(2025, 1, 15)) == utc(2025, 1, 14, 23, 0)
    assert day_start(date(2025, 7, 15)) == utc(2025, 7, 14, 22, 0)


def test_pages_and_chunks_cover_everything_once(session, trail):
    assert keys(audit_entries(session, limit=2, offset=2), trail) == ["e3", "e2"]
    assert keys(audit_entries(session, limit=2, offset=6), trail) == []
    chunks = list(iter_entries(session, chunk=4))
    assert [len(c) for c in chunks] == [4, 2]
    assert keys(pd.concat(chunks), trail) == ["e5", "e4", "e3", "e2", "e6", "e1"]
    # a chunk boundary between the two entries of the same instant skips neither
    chunks = list(iter_entries(session, chunk=5))
    assert keys(pd.concat(chunks), trail) == ["e5", "e4", "e3", "e2", "e6", "e1"]
    filtered = list(iter_entries(session, AuditFilter(username="anna"), chunk=1))
    assert keys(pd.concat(filtered), trail) == ["e4", "e3", "e1"]
    assert list(iter_entries(session, AuditFilter(username="nobody"))) == []


def test_bad_arguments_are_refused(session, trail):
    with pytest.raises(ValueError, match="after"):
        AuditFilter(since=date(2025, 3, 2), until=date(2025, 3, 1))
    with pytest.raises(ValueError, match="expected a date"):
        AuditFilter(since="2025-03-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        audit_entries(session, limit=0)
    with pytest.raises(ValueError):
        audit_entries(session, offset=-1)


def test_filter_choices(session, trail):
    assert filter_choices(session) == {
        "username": ["admin", "anna", "bertil"],
        "action": ["answer", "create", "edit"],
        "entity": ["action_plan", "library_year", "survey"],
    }


def test_an_empty_trail(session):
    frame = audit_entries(session)
    assert frame.empty and list(frame.columns)[:3] == ["id", "at", "username"]
    assert count_entries(session) == 0
