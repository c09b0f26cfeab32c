"""Hand edits of inventory rows: permission first, validation, all or nothing, audit trail.

The database is read back with plain SQL, never through the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from inventory.editing import (
    LIBRARY_YEAR_FIELDS,
    EditValidationError,
    apply_edits,
    audit_text,
    save_library_year_edits,
)
from inventory.models import Library, LibraryYear
from inventory.permissions import PermissionDeniedError
from inventory.writes import InventoryValidationError
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    active: bool = True
    id: int | None = None


LEADER = Person("anna.leder", "projektledare")
ADMIN = Person("admin", "admin")


def library_year(session: Session, library_id: int, year: int) -> dict | None:
    row = (
        session.execute(
            sa.text("SELECT * FROM library_year WHERE library_id = :l AND year = :y"),
            {"l": library_id, "y": year},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def audit_rows(session: Session) -> list[dict]:
    rows = session.execute(
        sa.text(
            "SELECT username, action, entity, entity_id, field, old_value, new_value, at"
            " FROM audit_entry ORDER BY id"
        )
    ).mappings()
    return [dict(row) for row in rows]


def test_edits_are_written_and_every_changed_value_audited(session):
    ids = small_inventory(session)
    row_id = library_year(session, ids["ekbib"], 2024)["id"]

    summary = save_library_year_edits(
        session,
        LEADER,
        {
            (ids["ekbib"], 2024): {
                "hours_assistant": 12,
                "loans": 6500,
                "library_plan_adopted": True,
                "hours_lis_librarian": 10,  # unchanged: neither written nor audited
            }
        },
    )

    session.expire_all()
    row = library_year(session, ids["ekbib"], 2024)
    assert row["hours_assistant"] == 12
    assert row["loans"] == 6500
    assert bool(row["library_plan_adopted"]) is True
    assert row["hours_lis_librarian"] == 10
    assert summary.rows_changed == 1 and summary.rows_created == 0
    assert summary.fields_changed == 3

    entries = audit_rows(session)
    assert [(e["field"], e["old_value"], e["new_value"]) for e in entries] == [
        ("hours_assistant", "4.0", "12.0"),
        ("loans", "6000", "6500"),
        ("library_plan_adopted", None, "true"),
    ]
    for entry in entries:
        assert entry["username"] == "anna.leder"
        assert entry["action"] == "edit"
        assert entry["entity"] == "library_year"
        assert entry["entity_id"] == str(row_id)
    assert len({entry["at"] for entry in entries}) == 1  # one save, one moment


def test_clearing_a_value_stores_null_and_audits_the_old_value(session):
    ids = small_inventory(session)
    save_library_year_edits(session, ADMIN, {(ids["ekbib"], 2024): {"open_hours_unstaffed": None}})
    session.expire_all()
    assert library_year(session, ids["ekbib"], 2024)["open_hours_unstaffed"] is None
    [entry] = audit_rows(session)
    assert (entry["old_value"], entry["new_value"]) == ("10.0", None)


def test_negative_hours_are_rejected_naming_row_and_field_and_nothing_is_written(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)

    with pytest.raises(EditValidationError) as caught:
        save_library_year_edits(
            session, LEADER, {(ids["ekbib"], 2024): {"hours_assistant": -3, "loans": 7000}}
        )

    error = caught.value
    assert isinstance(error, InventoryValidationError)
    assert error.fields == ["hours_assistant"]
    [problem] = error.problems
    assert problem.value == -3
    assert error.key_of(problem) == (ids["ekbib"], 2024)
    session.rollback()
    assert database_fingerprint(session) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hours_other", 169),  # more hours than a week has
        ("seats", 12.5),  # not a whole number
        ("media_cost_physical_sek", "många"),
        ("catalogue_kind", "card_index"),  # not a coded value
    ],
)
def test_out_of_range_and_wrong_type_values_are_rejected(session, field, value):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    with pytest.raises(EditValidationError) as caught:
        save_library_year_edits(session, LEADER, {(ids["ekbib"], 2024): {field: value}})
    assert caught.value.fields == [field]
    session.rollback()
    assert database_fingerprint(session) == before


@pytest.mark.parametrize(
    "user",
    [
        Person("rg", "referensgrupp"),
        Person("boss", "chef"),
        Person("former", "projektledare", active=False),
        None,
    ],
)
def test_users_without_the_edit_right_are_refused_and_nothing_is_written(session, user):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    with pytest.raises(PermissionDeniedError):
        save_library_year_edits(session, user, {(ids["ekbib"], 2024): {"hours_assistant": 12}})
    with pytest.raises(PermissionDeniedError):
        apply_edits(session, user, Library, {ids["ekbib"]: {"location_class": 2}})
    # refused before looking at the data: even a nonsense edit raises the permission error
    with pytest.raises(PermissionDeniedError):
        save_library_year_edits(session, user, {(999, 1): {"no_such_field": -1}})
    session.rollback()
    assert database_fingerprint(session) == before


def test_a_multi_row_save_is_all_or_nothing(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    edits = {
        (ids["ekbib"], 2024): {"hours_assistant": 6},  # valid
        (ids["bokrum"], 2024): {"seats": -1},  # invalid
        (ids["ekbib"], 2023): {"hours_other": 200},  # invalid
    }
    with pytest.raises(EditValidationError) as caught:
        save_library_year_edits(session, LEADER, edits)
    error = caught.value
    # every problem of every row is listed, each with its row key
    assert sorted((error.key_of(p), p.field) for p in error.problems) == sorted(
        [((ids["bokrum"], 2024), "seats"), ((ids["ekbib"], 2023), "hours_other")]
    )
    session.rollback()
    assert database_fingerprint(session) == before

    good = {key: value for key, value in edits.items() if key == (ids["ekbib"], 2024)}
    good[(ids["bokrum"], 2024)] = {"seats": 4}
    summary = save_library_year_edits(session, LEADER, good)
    session.expire_all()
    assert summary.rows_changed == 2
    assert library_year(session, ids["ekbib"], 2024)["hours_assistant"] == 6
    assert library_year(session, ids["bokrum"], 2024)["seats"] == 4
    assert len(audit_rows(session)) == 2


def test_a_library_without_a_row_for_the_year_gets_one(session):
    ids = small_inventory(session)
    assert library_year(session, ids["bokrum"], 2023) is None
    summary = save_library_year_edits(
        session,
        LEADER,
        {
            (ids["bokrum"], 2023): {"hours_other": 2, "loans": None},
            (ids["bokrum"], 2022): {"loans": None},  # sets nothing: no row is created
        },
    )
    session.expire_all()
    row = library_year(session, ids["bokrum"], 2023)
    assert row["hours_other"] == 2 and row["loans"] is None
    assert library_year(session, ids["bokrum"], 2022) is None
    assert summary.rows_created == 1 and summary.rows_changed == 0
    [entry] = audit_rows(session)
    assert (entry["action"], entry["field"], entry["old_value"], entry["new_value"]) == (
        "create",
        "hours_other",
        None,
        "2.0",
    )
    assert entry["entity_id"] == str(row["id"])


def test_a_failed_save_removes_the_rows_it_created(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    with pytest.raises(EditValidationError) as caught:
        save_library_year_edits(
            session,
            LEADER,
            {
                (ids["bokrum"], 2023): {"hours_other": 2},
                (ids["ekbib"], 2024): {"hours_other": -1},
            },
        )
    assert caught.value.key_of(caught.value.problems[0]) == (ids["ekbib"], 2024)
    session.rollback()
    assert database_fingerprint(session) == before


def test_keys_and_unknown_fields_cannot_be_edited(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    assert "year" not in LIBRARY_YEAR_FIELDS and "library_id" not in LIBRARY_YEAR_FIELDS
    for field in ("year", "library_id", "id", "colour"):
        with pytest.raises(EditValidationError) as caught:
            save_library_year_edits(session, LEADER, {(ids["ekbib"], 2024): {field: 2000}})
        assert caught.value.fields == [field]
    session.rollback()
    assert database_fingerprint(session) == before


def test_a_library_that_does_not_exist_is_named(session):
    small_inventory(session)
    with pytest.raises(EditValidationError) as caught:
        save_library_year_edits(session, LEADER, {(9999, 2024): {"loans": 5}})
    assert caught.value.fields == ["library_id"]
    assert caught.value.key_of(caught.value.problems[0]) == (9999, 2024)


def test_generic_edits_check_references_and_existence(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    with pytest.raises(EditValidationError) as caught:
        apply_edits(session, LEADER, Library, {ids["ekbib"]: {"host_school_id": 999_999}})
    assert caught.value.fields == ["host_school_id"]
    with pytest.raises(EditValidationError) as caught:
        apply_edits(session, LEADER, Library, {123_456: {"location_class": 2}})
    assert caught.value.fields == ["id"]
    with pytest.raises(EditValidationError) as caught:
        apply_edits(
            session, LEADER, Library, {ids["ekbib"]: {"name": "x"}}, fields=["location_class"]
        )
    assert caught.value.fields == ["name"]
    session.rollback()
    assert database_fingerprint(session) == before

    summary = apply_edits(
        session,
        LEADER,
        Library,
        {ids["ekbib"]: {"location_class": 2, "host_school_id": ids["gran"]}},
    )
    session.expire_all()
    row = session.execute(
        sa.text("SELECT location_class, host_school_id FROM library WHERE id = :i"),
        {"i": ids["ekbib"]},
    ).one()
    assert tuple(row) == (2, ids["gran"])
    assert summary.rows_changed == 1 and summary.fields_changed == 2
    assert {(e["entity"], e["field"]) for e in audit_rows(session)} == {
        ("library", "location_class"),
        ("library", "host_school_id"),
    }


def test_without_commit_the_caller_decides(session):
    ids = small_inventory(session)
    before = database_fingerprint(session)
    row_id = library_year(session, ids["ekbib"], 2024)["id"]
    apply_edits(session, LEADER, LibraryYear, {row_id: {"loans": 1}}, commit=False)
    assert library_year(session, ids["ekbib"], 2024)["loans"] == 1
    session.rollback()
    assert database_fingerprint(session) == before


def test_audit_text():
    assert audit_text(None) is None
    assert audit_text(True) == "true"
    assert audit_text(0) == "0"
    assert audit_text(2.5) == "2.5"
    from inventory.models import CatalogueKind

    assert audit_text(CatalogueKind.MANUAL) == "manual"
