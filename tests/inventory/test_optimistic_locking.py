"""Optimistic locking of hand edits: a save based on an outdated row is refused, not applied.

Two editors load the same library year; the first saves; the second's save names the row and who
saved in between, and the database keeps the first save. Versions are read back with plain SQL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from inventory import writes
from inventory.editing import (
    NOT_LOADED,
    StaleEditError,
    apply_edits,
    save_library_year_edits,
)
from inventory.models import ActionPlan
from inventory.writes import InventoryValidationError
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    active: bool = True
    id: int | None = None


ANNA = Person("anna", "projektledare")
BO = Person("bo", "projektledare")


def version_and_hours(session: Session, library_id: int, year: int) -> tuple[int, float | None]:
    row = session.execute(
        sa.text(
            "SELECT row_version, hours_assistant FROM library_year"
            " WHERE library_id = :l AND year = :y"
        ),
        {"l": library_id, "y": year},
    ).one()
    return row[0], row[1]


def test_a_new_row_starts_at_version_one_and_each_changing_save_adds_one(session):
    ids = small_inventory(session)
    key = (ids["ekbib"], 2024)
    assert version_and_hours(session, *key)[0] == 1

    save_library_year_edits(
        session, ANNA, {key: {"hours_assistant": 3}}, expected_versions={key: 1}
    )
    assert version_and_hours(session, *key) == (2, 3)

    # a save that changes nothing leaves the version alone
    save_library_year_edits(
        session, ANNA, {key: {"hours_assistant": 3}}, expected_versions={key: 2}
    )
    assert version_and_hours(session, *key) == (2, 3)


def test_the_second_of_two_editors_is_refused_and_the_first_save_kept(session):
    ids = small_inventory(session)
    key = (ids["ekbib"], 2024)
    loaded = version_and_hours(session, *key)[0]  # both editors load version 1

    save_library_year_edits(
        session, ANNA, {key: {"hours_assistant": 5}}, expected_versions={key: loaded}
    )
    before = database_fingerprint(session)
    with pytest.raises(StaleEditError) as caught:
        save_library_year_edits(
            session, BO, {key: {"hours_assistant": 9}}, expected_versions={key: loaded}
        )

    session.rollback()
    assert database_fingerprint(session) == before
    assert version_and_hours(session, *key) == (2, 5)
    problem = caught.value.problems[0]
    assert problem.field == "row_version" and problem.row == 1
    assert "anna" in problem.expected  # who saved in between is named
    assert isinstance(caught.value, InventoryValidationError)


def test_a_row_created_by_someone_else_after_loading_is_refused(session):
    ids = small_inventory(session)
    key = (ids["ekbib"], 2030)  # no row for 2030 when both load the year
    save_library_year_edits(
        session, ANNA, {key: {"hours_assistant": 4}}, expected_versions={key: NOT_LOADED}
    )
    with pytest.raises(StaleEditError):
        save_library_year_edits(
            session, BO, {key: {"hours_assistant": 8}}, expected_versions={key: NOT_LOADED}
        )
    session.rollback()
    assert version_and_hours(session, *key)[1] == 4


def test_generic_edits_of_action_plans_are_locked_too(session):
    ids = small_inventory(session)
    school_id = session.execute(sa.text("SELECT min(id) FROM school")).scalar_one()
    plan_id = writes.add(
        session,
        ActionPlan,
        {"school_id": school_id, "year": 2024, "kind": "library_plan", "status": "draft"},
    ).id
    session.commit()
    apply_edits(
        session,
        ANNA,
        ActionPlan,
        {plan_id: {"document_link": "https://a.example/plan"}},
        expected_versions={plan_id: 1},
    )
    with pytest.raises(StaleEditError):
        apply_edits(
            session,
            BO,
            ActionPlan,
            {plan_id: {"document_link": "https://b.example/plan"}},
            expected_versions={plan_id: 1},
        )
    session.rollback()
    row = session.execute(
        sa.text("SELECT row_version, document_link FROM action_plan WHERE id = :i"), {"i": plan_id}
    ).one()
    assert tuple(row) == (2, "https://a.example/plan")
    assert ids  # the inventory exists


def test_without_expected_versions_the_last_save_still_bumps_the_version(session):
    ids = small_inventory(session)
    key = (ids["ekbib"], 2024)
    save_library_year_edits(session, ANNA, {key: {"hours_assistant": 1}})
    save_library_year_edits(session, BO, {key: {"hours_assistant": 2}})
    assert version_and_hours(session, *key) == (3, 2)


def test_concurrent_saves_of_one_row_from_one_loaded_version_let_exactly_one_win(engine):
    """Eight editors in eight threads, each with its own session, all loaded version 1."""
    with Session(engine) as session:
        ids = small_inventory(session)
        session.commit()
    key = (ids["ekbib"], 2024)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)
    lock = threading.Lock()

    def editor(hours: int) -> None:
        hours += 10  # never the stored value, so every save changes the row
        person = Person(f"editor{hours}", "projektledare")
        with Session(engine) as session:
            barrier.wait()
            try:
                save_library_year_edits(
                    session, person, {key: {"hours_assistant": hours}}, expected_versions={key: 1}
                )
                result = f"saved:{hours}"
            except StaleEditError:
                result = "stale"
            except sa.exc.OperationalError as exc:
                result = f"busy: {exc.orig}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=editor, args=(h,)) for h in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    saved = [o for o in outcomes if o.startswith("saved")]
    assert len(saved) == 1, outcomes
    assert outcomes.count("stale") == 7, outcomes
    with Session(engine) as session:
        version, hours = version_and_hours(session, *key)
    assert version == 2
    assert hours == int(saved[0].split(":")[1])
