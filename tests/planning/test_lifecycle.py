"""planning.lifecycle on SQLite and PostgreSQL: every step for every role, history, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from inventory import writes
from inventory.models import AuditEntry, Scenario, ScenarioEvent, ScenarioResult, User
from inventory.permissions import PermissionDeniedError
from planning import lifecycle
from planning.lifecycle import StaleTransitionError, TransitionError
from planning.scenario import run_scenario
from planning.scenario_store import copy_scenario, load_scenario, save_scenario
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

STATUSES = ["draft", "open_for_comment", "revised", "adopted", "archived"]
ROLES = ["admin", "projektledare", "referensgrupp", "chef"]
# Written out from the issue, independently of lifecycle.TRANSITIONS:
# draft → open for comment → revised (new version) → adopted → archived; a revised version may
# go out for comment again; adopting only from open for comment or revised; anything but an
# archived version may be archived.
ALLOWED = {
    ("draft", "open_for_comment"),
    ("draft", "archived"),
    ("open_for_comment", "revised"),
    ("open_for_comment", "adopted"),
    ("open_for_comment", "archived"),
    ("revised", "open_for_comment"),
    ("revised", "adopted"),
    ("revised", "archived"),
    ("adopted", "archived"),
}
# operation -> (target status, roles allowed by ARCHITECTURE.md's role table)
OPERATIONS = {
    "open_for_comment": ("open_for_comment", {"admin", "projektledare"}),
    "revise": ("revised", {"admin", "projektledare"}),
    "adopt": ("adopted", {"admin", "chef"}),
    "archive": ("archived", {"admin", "projektledare"}),
}
TODAY = date(2025, 3, 10)


def _users(session: Session) -> dict[str, User]:
    users = {
        role: writes.add(session, User, {"username": role, "display_name": role, "role": role})
        for role in ROLES
    }
    session.commit()
    return users


def _frame(ids: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_id": [ids["ekbib"], ids["bokrum"]],
            "pupils": [600.0, 50.0],
            "staffed_hours_week": [20.0, 0.0],
            "need_weight": [1.0, 1.0],
        }
    )


def _row(session: Session, name: str, status: str, version: int = 1) -> Scenario:
    row = writes.add(
        session,
        Scenario,
        {
            "name": name,
            "model": "manual",
            "base_year": 2024,
            "status": status,
            "version": version,
            "parameters": {"hours": {"1": 5}},
        },
    )
    session.commit()
    return row


def _perform(session, user, operation: str, scenario_id: int):
    if operation == "open_for_comment":
        return lifecycle.open_for_comment(
            session, user, scenario_id, TODAY + timedelta(days=14), today=TODAY
        )
    return getattr(lifecycle, operation)(session, user, scenario_id, note=f"{operation} note")


def _count(session, model, *where) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar()


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("source", STATUSES)
def test_every_step_for_every_role(session, source, operation):
    users = _users(session)
    target, roles = OPERATIONS[operation]
    for role in ROLES:
        row = _row(session, f"{role} {source} {operation}", source)
        before = database_fingerprint(session)
        if role not in roles:
            with pytest.raises(PermissionDeniedError):
                _perform(session, users[role], operation, row.id)
        elif (source, target) not in ALLOWED:
            with pytest.raises(TransitionError) as raised:
                _perform(session, users[role], operation, row.id)
            # the message names both statuses
            assert f"from {source} to {target}" in str(raised.value)
        else:
            result = _perform(session, users[role], operation, row.id)
            session.commit()
            old = session.get(Scenario, row.id)
            session.refresh(old)
            events = (
                session.execute(
                    sa.select(ScenarioEvent).where(ScenarioEvent.scenario_id == result.id)
                )
                .scalars()
                .all()
            )
            assert [(e.from_status, e.to_status, e.username) for e in events] == [
                (source, target, role)
            ]
            audits = (
                session.execute(
                    sa.select(AuditEntry).where(
                        AuditEntry.entity == "scenario",
                        AuditEntry.entity_id == str(result.id),
                        AuditEntry.field == "status",
                    )
                )
                .scalars()
                .all()
            )
            assert [(a.old_value, a.new_value, a.username) for a in audits] == [
                (source, target, role)
            ]
            if operation == "revise":
                # a new row, the next version; the old one archived
                assert (result.name, result.version, result.parent_id) == (row.name, 2, row.id)
                assert result.status == "revised" and old.status == "archived"
            else:
                assert result.id == row.id and old.status == target
            continue
        session.rollback()
        assert database_fingerprint(session) == before, (role, source, operation)


def test_allowed_operations_follow_the_table_and_the_roles(session):
    users = _users(session)
    for role in ROLES:
        for source in STATUSES:
            expected = [
                operation
                for operation, (target, roles) in OPERATIONS.items()
                if (source, target) in ALLOWED and role in roles
            ]
            assert lifecycle.allowed_operations(users[role], source) == expected, (role, source)
    assert lifecycle.allowed_operations(None, "draft") == []


def test_the_whole_path_with_history_and_audit(session):
    ids = small_inventory(session)
    users = _users(session)
    leader, manager = users["projektledare"], users["chef"]
    run = run_scenario(_frame(ids), "manual", {"hours": {str(ids["bokrum"]): 5}})
    first = save_scenario(session, leader, "Plan A", run, 2024, "9911")
    session.commit()
    assert first.status == "draft"

    deadline = TODAY + timedelta(days=21)
    lifecycle.open_for_comment(session, leader, first.id, deadline, today=TODAY)
    session.commit()
    session.refresh(first)
    assert (first.status, first.comment_deadline) == ("open_for_comment", deadline)

    second = lifecycle.revise(session, leader, first.id, note="Almskolan får 3 h i stället")
    session.commit()
    session.refresh(first)
    assert (first.status, second.status, second.version) == ("archived", "revised", 2)
    assert second.parameters == first.parameters and second.comment_deadline is None
    # the per-library results are copied row by row
    assert load_scenario(session, "Plan A", 2).libraries.equals(
        load_scenario(session, "Plan A", 1).libraries
    )
    assert _count(session, ScenarioResult, ScenarioResult.scenario_id == second.id) == 2 * 3

    lifecycle.adopt(session, manager, second.id, note="Beslut i nämnden")
    session.commit()
    session.refresh(second)
    assert second.status == "adopted" and second.adopted_by_id == manager.id
    assert second.adopted_at is not None

    lifecycle.archive(session, leader, second.id)
    session.commit()

    history = lifecycle.history(session, "Plan A")
    steps = list(zip(history["version"], history["from_status"], history["to_status"], strict=True))
    assert steps == [
        (1, None, "draft"),
        (1, "draft", "open_for_comment"),
        (1, "open_for_comment", "archived"),
        (2, "open_for_comment", "revised"),
        (2, "revised", "adopted"),
        (2, "adopted", "archived"),
    ]
    assert history["username"].tolist() == [
        "projektledare",
        "projektledare",
        "projektledare",
        "projektledare",
        "chef",
        "projektledare",
    ]
    notes = dict(zip(history["to_status"], history["note"], strict=False))
    assert notes["revised"] == "Almskolan får 3 h i stället"
    assert notes["adopted"] == "Beslut i nämnden"
    assert history["at"].is_monotonic_increasing
    assert str(history["at"].dt.tz) == "UTC"

    # one audit entry per status change, plus creations and the deadline
    audit = pd.read_sql(
        sa.select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.field, AuditEntry.new_value)
        .where(AuditEntry.entity == "scenario")
        .order_by(AuditEntry.id),
        session.connection(),
    )
    assert audit[audit["field"] == "status"]["new_value"].tolist() == [
        "open_for_comment",
        "archived",
        "revised",
        "adopted",
        "archived",
    ]
    assert audit[audit["action"] == "create"]["entity_id"].tolist() == [
        str(first.id),
        str(second.id),
    ]
    deadline_rows = audit[audit["field"] == "comment_deadline"]
    assert deadline_rows["new_value"].tolist() == [deadline.isoformat()]


def test_copy_starts_its_own_history_as_draft(session):
    ids = small_inventory(session)
    leader = _users(session)["projektledare"]
    run = run_scenario(_frame(ids), "manual", {"hours": {}})
    save_scenario(session, leader, "Plan A", run, 2024)
    copy_scenario(session, leader, "Plan A", "Plan B")
    session.commit()
    history = lifecycle.history(session, "Plan B")
    assert history[["from_status", "to_status"]].values.tolist() == [[None, "draft"]]
    assert history["note"].tolist() == ["copy of Plan A version 1"]


def test_revise_takes_the_next_free_version_and_adopting_supersedes(session):
    users = _users(session)
    leader, manager = users["projektledare"], users["chef"]
    v1 = _row(session, "Plan", "open_for_comment", 1)
    _row(session, "Plan", "draft", 2)  # a newer draft saved meanwhile
    v3 = lifecycle.revise(session, leader, v1.id)
    session.commit()
    assert v3.version == 3 and v3.parent_id == v1.id
    lifecycle.adopt(session, manager, v3.id)
    session.commit()
    v4 = _row(session, "Plan", "revised", 4)
    lifecycle.adopt(session, manager, v4.id)
    session.commit()
    statuses = dict(
        session.execute(
            sa.select(Scenario.version, Scenario.status).where(Scenario.name == "Plan")
        ).all()
    )
    assert statuses == {1: "archived", 2: "draft", 3: "archived", 4: "adopted"}
    last = lifecycle.history(session, "Plan").iloc[-1]
    assert (last["version"], last["to_status"]) == (3, "archived")
    assert last["note"] == "superseded by version 4" and last["username"] == "chef"


def test_deadline_must_be_a_date_from_today(session):
    leader = _users(session)["projektledare"]
    row = _row(session, "Plan", "draft")
    before = database_fingerprint(session)
    for bad in (TODAY - timedelta(days=1), "2025-04-01", None):
        with pytest.raises(lifecycle.DeadlineError):
            lifecycle.open_for_comment(session, leader, row.id, bad, today=TODAY)
    assert database_fingerprint(session) == before
    lifecycle.open_for_comment(session, leader, row.id, TODAY, today=TODAY)  # today is fine
    session.commit()
    assert session.get(Scenario, row.id).comment_deadline == TODAY


def test_unknown_scenario_and_long_note(session):
    leader = _users(session)["projektledare"]
    with pytest.raises(LookupError):
        lifecycle.archive(session, leader, 999)
    row = _row(session, "Plan", "draft")
    with pytest.raises(lifecycle.LifecycleError, match="2000"):
        lifecycle.archive(session, leader, row.id, note="x" * 2001)


def test_a_step_taken_meanwhile_is_refused(engine):
    with Session(engine) as session:
        leader_id = _users(session)["projektledare"].id
        row_id = _row(session, "Plan", "open_for_comment").id
    with Session(engine, expire_on_commit=False) as stale:
        user = stale.get(User, leader_id)
        scenario = stale.get(Scenario, row_id)
        assert scenario.status == "open_for_comment"
        stale.commit()  # ends the read; the loaded row stays as it was
        with Session(engine) as other:
            lifecycle.adopt(other, _admin(other), row_id)
            other.commit()
        before = _events(engine)
        with pytest.raises(StaleTransitionError, match="meanwhile"):
            lifecycle.archive(stale, user, row_id)
        stale.rollback()
    assert _events(engine) == before


def _admin(session: Session) -> User:
    return session.execute(sa.select(User).where(User.username == "admin")).scalar_one()


def _events(engine) -> int:
    with Session(engine) as session:
        return _count(session, ScenarioEvent)
