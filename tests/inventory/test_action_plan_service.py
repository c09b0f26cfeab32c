"""Action-plan edits: permission first, link validation, optimistic locking, audit per field.

The database is read back with plain SQL, never through the code under test.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventory import writes
from inventory.action_plan_service import (
    StalePlanError,
    clean_document_link,
    load_plan,
    safe_document_link,
    save_plan,
)
from inventory.models import User
from inventory.permissions import PermissionDeniedError
from inventory.writes import InventoryValidationError
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

YEAR = 2024
KIND = "library_plan"


@pytest.fixture
def world(engine: Engine) -> dict:
    """The small inventory and three accounts: two project leaders and a reference-group member."""
    with Session(engine) as session:
        ids = small_inventory(session)
        people = writes.add_all(
            session,
            User,
            [
                {"username": "anna", "display_name": "Anna", "role": "projektledare"},
                {"username": "bertil", "display_name": "Bertil", "role": "projektledare"},
                {"username": "rut", "display_name": "Rut", "role": "referensgrupp"},
            ],
        )
        session.commit()
        ids.update({p.username: p for p in people})
        for person in people:
            session.expunge(person)
    return ids


def plan_row(engine: Engine, school_id: int, kind: str = KIND) -> dict | None:
    with engine.connect() as connection:
        row = (
            connection.execute(
                sa.text(
                    "SELECT id, status, adopted_date, document_link, row_version FROM action_plan"
                    " WHERE school_id = :s AND year = :y AND kind = :k"
                ),
                {"s": school_id, "y": YEAR, "k": kind},
            )
            .mappings()
            .first()
        )
    return None if row is None else dict(row)


def audit_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT username, action, entity, entity_id, field, old_value, new_value"
                    " FROM audit_entry ORDER BY id"
                )
            )
        ]


def fingerprint(engine: Engine) -> str:
    with Session(engine) as session:
        return database_fingerprint(session)


def load(engine: Engine, school_id: int, kind: str = KIND):
    with Session(engine) as session:
        return load_plan(session, school_id, YEAR, kind)


def save(engine: Engine, user: User, school_id: int, expected: int | None, **values):
    values.setdefault("status", "draft")
    with Session(engine) as session:
        return save_plan(
            session,
            user,
            school_id=school_id,
            year=YEAR,
            kind=values.pop("kind", KIND),
            expected_version=expected,
            **values,
        )


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    "link",
    [
        "https://kommun.se/plan.pdf",
        "http://intranat.example/biblioteksplan?id=3#s2",
        "  HTTPS://Kommun.se/a  ",
    ],
)
def test_http_and_https_links_are_accepted(link):
    assert clean_document_link(link) == link.strip()
    assert safe_document_link(link) == link.strip()


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://kommun.se/plan.pdf",
        "//kommun.se/plan.pdf",
        "kommun.se/plan.pdf",
        "https://",
        "http:///plan.pdf",
        "https://kommun.se/en plan.pdf",
        "https://kommun.se/\nplan",
        "https://[::1",
        "https://kommun.se/" + "a" * 1000,
    ],
)
def test_other_links_are_refused_and_never_rendered(link):
    with pytest.raises(ValueError):
        clean_document_link(link)
    assert safe_document_link(link) is None


def test_blank_link_means_none():
    assert clean_document_link("   ") is None
    assert clean_document_link(None) is None


# --------------------------------------------------------------------------- create and edit


def test_a_missing_plan_is_created_with_an_audit_entry_per_value(engine, world):
    snapshot = load(engine, world["ek"])
    assert not snapshot.exists and snapshot.row_version is None
    assert snapshot.school_name == "Ekskolan"
    result = save(
        engine,
        world["anna"],
        world["ek"],
        None,
        status="adopted",
        adopted_date=date(2024, 3, 12),
        document_link=" https://kommun.se/ek.pdf ",
    )
    row = plan_row(engine, world["ek"])
    assert row["status"] == "adopted"
    assert str(row["adopted_date"]) == "2024-03-12"
    assert row["document_link"] == "https://kommun.se/ek.pdf"
    assert row["row_version"] == 1
    assert result.created and result.plan.row_version == 1 and result.plan.id == row["id"]
    plan_id = str(row["id"])
    assert audit_rows(engine) == [
        ("anna", "create", "action_plan", plan_id, "status", None, "adopted"),
        ("anna", "create", "action_plan", plan_id, "adopted_date", None, "2024-03-12"),
        (
            "anna",
            "create",
            "action_plan",
            plan_id,
            "document_link",
            None,
            "https://kommun.se/ek.pdf",
        ),
    ]


def test_an_edit_changes_only_what_changed_and_bumps_the_version(engine, world):
    save(engine, world["anna"], world["ek"], None, status="draft")
    first = load(engine, world["ek"])
    assert first.row_version == 1
    result = save(
        engine,
        world["bertil"],
        world["ek"],
        1,
        status="adopted",
        adopted_date=date(2024, 5, 2),
        document_link=None,
    )
    row = plan_row(engine, world["ek"])
    assert (row["status"], str(row["adopted_date"]), row["row_version"]) == (
        "adopted",
        "2024-05-02",
        2,
    )
    assert [c.field for c in result.changes] == ["status", "adopted_date"]
    plan_id = str(row["id"])
    assert audit_rows(engine)[1:] == [
        ("bertil", "edit", "action_plan", plan_id, "status", "draft", "adopted"),
        ("bertil", "edit", "action_plan", plan_id, "adopted_date", None, "2024-05-02"),
    ]
    # saving the same values again writes nothing and keeps the version
    before = fingerprint(engine)
    again = save(
        engine, world["bertil"], world["ek"], 2, status="adopted", adopted_date=date(2024, 5, 2)
    )
    assert again.changes == [] and again.plan.row_version == 2
    assert fingerprint(engine) == before


def test_a_stale_edit_is_refused_and_the_other_save_stays(engine, world):
    save(engine, world["anna"], world["ek"], None, status="draft")
    # Anna opens the editor ...
    opened = load(engine, world["ek"])
    assert opened.row_version == 1
    # ... Bertil saves in between ...
    save(
        engine,
        world["bertil"],
        world["ek"],
        1,
        status="under_revision",
        document_link="https://kommun.se/ny.pdf",
    )
    after_bertil = fingerprint(engine)
    # ... and Anna's save, based on version 1, is refused
    with pytest.raises(StalePlanError) as caught:
        save(engine, world["anna"], world["ek"], opened.row_version, status="adopted")
    error = caught.value
    assert error.changed_by == "bertil"
    assert error.changed_at is not None and error.changed_at.tzinfo is not None
    assert error.current.row_version == 2 and error.current.status == "under_revision"
    assert "Ekskolan" in str(error) and "bertil" in str(error)
    assert fingerprint(engine) == after_bertil
    row = plan_row(engine, world["ek"])
    assert (row["status"], row["document_link"], row["row_version"]) == (
        "under_revision",
        "https://kommun.se/ny.pdf",
        2,
    )
    # reloading gives the current version, and then the save goes through
    reloaded = load(engine, world["ek"])
    save(engine, world["anna"], world["ek"], reloaded.row_version, status="adopted")
    assert plan_row(engine, world["ek"])["row_version"] == 3


def test_a_plan_created_by_someone_else_meanwhile_is_stale(engine, world):
    opened = load(engine, world["gran"])
    assert not opened.exists
    save(engine, world["bertil"], world["gran"], None, status="draft")
    before = fingerprint(engine)
    with pytest.raises(StalePlanError) as caught:
        save(engine, world["anna"], world["gran"], None, status="adopted")
    assert caught.value.changed_by == "bertil"
    assert fingerprint(engine) == before


def test_a_concurrent_save_waits_for_the_first_and_is_then_refused(engine, world):
    """Two editors on version 1: the first holds its claim; the second blocks behind it and,
    once the first commits, is refused instead of overwriting (no lost update)."""
    save(engine, world["anna"], world["alm"], None, status="draft")
    first = Session(engine)
    outcome: dict = {}

    def second() -> None:
        try:
            save(engine, world["bertil"], world["alm"], 1, status="missing")
        except Exception as exc:  # recorded for the main thread
            outcome["error"] = exc
        else:
            outcome["saved"] = True

    try:
        save_plan(
            first,
            world["anna"],
            school_id=world["alm"],
            year=YEAR,
            kind=KIND,
            status="adopted",
            expected_version=1,
            commit=False,
        )
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second save should wait for the first one's claim"
        first.commit()
    finally:
        first.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), StalePlanError), outcome
    assert outcome["error"].changed_by == "anna"
    row = plan_row(engine, world["alm"])
    assert (row["status"], row["row_version"]) == ("adopted", 2)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"document_link": "javascript:alert(1)"}, "document_link"),
        ({"document_link": "ftp://kommun.se/plan.pdf"}, "document_link"),
        ({"status": "antagen"}, "status"),
        ({"adopted_date": "2024-01-01"}, "adopted_date"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(engine, world, values, field):
    save(engine, world["anna"], world["ek"], None, status="draft")
    before = fingerprint(engine)
    with pytest.raises(InventoryValidationError) as caught:
        save(engine, world["anna"], world["ek"], 1, **{"status": "adopted", **values})
    assert not isinstance(caught.value, StalePlanError)
    assert caught.value.fields == [field]
    assert fingerprint(engine) == before


def test_unknown_school_and_kind_are_refused(engine, world):
    before = fingerprint(engine)
    with pytest.raises(InventoryValidationError) as caught:
        save(engine, world["anna"], 999_999, None)
    assert caught.value.fields == ["school_id"]
    with pytest.raises(InventoryValidationError) as caught:
        save(engine, world["anna"], world["ek"], None, kind="budget_plan")
    assert caught.value.fields == ["kind"]
    assert fingerprint(engine) == before


def test_a_reference_group_member_may_not_edit(engine, world):
    before = fingerprint(engine)
    with pytest.raises(PermissionDeniedError):
        save(engine, world["rut"], world["ek"], None, status="adopted")
    with pytest.raises(PermissionDeniedError):
        save(engine, None, world["ek"], None, status="adopted")
    assert fingerprint(engine) == before
