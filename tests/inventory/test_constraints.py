"""Constraints: the write boundary names the field, the database enforces the same rules."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from inventory import writes
from inventory.db import make_engine
from inventory.models import (
    TABLE_MODELS,
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    ResourceCentreYear,
    School,
    SchoolYear,
)
from tests.helpers import database_fingerprint


def _base(session: Session) -> dict[str, int]:
    """One municipality, district, school and library to hang facts on."""
    municipality = writes.add(
        session,
        Municipality,
        {"code": "9901", "name": "Testkommun", "county_code": "99", "county": "Testlän"},
    )
    district = writes.add(session, District, {"municipality_id": municipality.id, "name": "Norr"})
    school = writes.add(
        session,
        School,
        {
            "school_unit_code": "99000001",
            "name": "Björkskolan",
            "municipality_id": municipality.id,
            "district_id": district.id,
            "organiser_type": "municipal",
        },
    )
    library = writes.add(
        session,
        Library,
        {"name": "Björkskolans bibliotek", "municipality_id": municipality.id, "kind": "own"},
    )
    writes.add(session, LibrarySchool, {"library_id": library.id, "school_id": school.id})
    writes.add(session, LibraryYear, {"library_id": library.id, "year": 2024})
    writes.add(
        session,
        CollectionYear,
        {"library_id": library.id, "year": 2024, "category": "fiction", "items": 100},
    )
    session.commit()
    return {
        "municipality": municipality.id,
        "district": district.id,
        "school": school.id,
        "library": library.id,
    }


# (model, row built from the base ids, field the error must name)
BAD_ROWS = [
    pytest.param(
        LibraryYear,
        lambda ids: {"library_id": ids["library"], "year": 2025, "hours_lis_librarian": -1},
        "hours_lis_librarian",
        id="negative-hours",
    ),
    pytest.param(
        LibraryYear,
        lambda ids: {"library_id": ids["library"], "year": 2025, "open_hours_unstaffed": 169},
        "open_hours_unstaffed",
        id="hours-above-168",
    ),
    pytest.param(
        LibraryYear,
        lambda ids: {"library_id": ids["library"], "year": 1850},
        "year",
        id="year-out-of-range",
    ),
    pytest.param(
        LibraryYear,
        lambda ids: {"library_id": 999_999, "year": 2025},
        "library_id",
        id="unknown-library",
    ),
    pytest.param(
        LibraryYear,
        lambda ids: {"library_id": ids["library"], "year": 2024},
        "library_id, year",
        id="duplicate-library-year",
    ),
    pytest.param(
        School,
        lambda ids: {
            "school_unit_code": "99000001",
            "name": "Kopia",
            "municipality_id": ids["municipality"],
            "organiser_type": "municipal",
        },
        "school_unit_code",
        id="duplicate-school-unit-code",
    ),
    pytest.param(
        School,
        lambda ids: {
            "school_unit_code": "990000012",
            "name": "Nio siffror",
            "municipality_id": ids["municipality"],
            "organiser_type": "municipal",
        },
        "school_unit_code",
        id="nine-digit-school-code",
    ),
    pytest.param(
        School,
        lambda ids: {
            "school_unit_code": "9900000A",
            "name": "Bokstav i koden",
            "municipality_id": ids["municipality"],
            "organiser_type": "municipal",
        },
        "school_unit_code",
        id="letter-in-school-code",
    ),
    pytest.param(
        Municipality,
        lambda ids: {"code": "abcd", "name": "X", "county_code": "99", "county": "Y"},
        "code",
        id="municipality-code-not-digits",
    ),
    pytest.param(
        School,
        lambda ids: {
            "school_unit_code": "99000002",
            "name": "Okänd huvudman",
            "municipality_id": ids["municipality"],
            "organiser_type": "privat",
        },
        "organiser_type",
        id="unknown-organiser-type",
    ),
    pytest.param(
        School,
        lambda ids: {
            "school_unit_code": "99000003",
            "name": "Saknar kommun",
            "organiser_type": "municipal",
        },
        "municipality_id",
        id="missing-required-field",
    ),
    pytest.param(
        SchoolYear,
        lambda ids: {"school_id": 424242, "year": 2024, "pupils_grades_1_9": 10},
        "school_id",
        id="unknown-school",
    ),
    pytest.param(
        SchoolYear,
        lambda ids: {"school_id": ids["school"], "year": 2024, "share_foreign_background": 1.5},
        "share_foreign_background",
        id="share-above-one",
    ),
    pytest.param(
        SchoolYear,
        lambda ids: {"school_id": ids["school"], "year": 2024, "pupils_grade_3": -4},
        "pupils_grade_3",
        id="negative-pupils",
    ),
    pytest.param(
        CollectionYear,
        lambda ids: {"library_id": ids["library"], "year": 2024, "category": "fiction"},
        "library_id, year, category",
        id="duplicate-collection-category",
    ),
    pytest.param(
        CollectionYear,
        lambda ids: {"library_id": ids["library"], "year": 2024, "category": "comics"},
        "category",
        id="unknown-category",
    ),
    pytest.param(
        Library,
        lambda ids: {
            "name": "Fel plats",
            "municipality_id": ids["municipality"],
            "kind": "own",
            "location_class": 4,
        },
        "location_class",
        id="location-class-4",
    ),
]


@pytest.mark.parametrize(("model", "row", "field"), BAD_ROWS)
def test_write_boundary_rejects_and_names_field(session, model, row, field):
    ids = _base(session)
    before = database_fingerprint(session)
    with pytest.raises(writes.InventoryValidationError) as caught:
        writes.add(session, model, row(ids))
    assert field in caught.value.fields, caught.value
    assert field.split(",")[0] in str(caught.value)
    session.commit()  # whatever is pending would be written now: nothing must be
    assert database_fingerprint(session) == before


def test_batch_is_all_or_nothing(session):
    ids = _base(session)
    before = database_fingerprint(session)
    rows = [
        {"library_id": ids["library"], "year": 2020, "hours_assistant": 10},
        {"library_id": ids["library"], "year": 2021, "hours_assistant": 10},
        {"library_id": ids["library"], "year": 2024},  # exists already
    ]
    with pytest.raises(writes.InventoryValidationError):
        writes.add_all(session, LibraryYear, rows)
    session.commit()
    assert database_fingerprint(session) == before


def test_batch_reports_every_bad_row_with_its_number(session):
    ids = _base(session)
    rows = [
        {"library_id": ids["library"], "year": 2020, "hours_assistant": 10},
        {"library_id": ids["library"], "year": 2021, "hours_assistant": -2},
        {"library_id": ids["library"], "year": 2022, "hours_other": 500},
    ]
    with pytest.raises(writes.InventoryValidationError) as caught:
        writes.add_all(session, LibraryYear, rows)
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {(2, "hours_assistant"), (3, "hours_other")}


def test_session_still_usable_after_rejected_row(session):
    ids = _base(session)
    with pytest.raises(writes.InventoryValidationError):
        writes.add(session, LibraryYear, {"library_id": ids["library"], "year": 2024})
    writes.add(session, LibraryYear, {"library_id": ids["library"], "year": 2019})
    session.commit()
    years = session.execute(sa.select(LibraryYear.year).order_by(LibraryYear.year)).scalars()
    assert list(years) == [2019, 2024]


# The database itself, bypassing the write boundary: raw SQL must be refused too.
RAW_VIOLATIONS = [
    pytest.param(
        "INSERT INTO library_year (library_id, year, hours_assistant) VALUES (:lib, 2030, -5)",
        id="check-negative-hours",
    ),
    pytest.param(
        "INSERT INTO library_year (library_id, year, open_hours_staffed_all)"
        " VALUES (:lib, 2030, 200)",
        id="check-hours-168",
    ),
    pytest.param(
        "INSERT INTO library_year (library_id, year) VALUES (:lib, 2024)",
        id="unique-library-year",
    ),
    pytest.param(
        "INSERT INTO library_year (library_id, year) VALUES (987654, 2030)",
        id="foreign-key",
    ),
    pytest.param(
        "INSERT INTO school (school_unit_code, name, municipality_id, organiser_type,"
        " has_preschool_class, has_grades_1_3, has_grades_4_6, has_grades_7_9,"
        " has_upper_secondary, has_adapted)"
        " VALUES ('99000001', 'Dubblett', :mun, 'municipal', false, false, false, false,"
        " false, false)",
        id="unique-school-unit-code",
    ),
    pytest.param(
        "INSERT INTO school (school_unit_code, name, municipality_id, organiser_type,"
        " has_preschool_class, has_grades_1_3, has_grades_4_6, has_grades_7_9,"
        " has_upper_secondary, has_adapted)"
        " VALUES ('99000009', NULL, :mun, 'municipal', false, false, false, false,"
        " false, false)",
        id="not-null-name",
    ),
    pytest.param(
        "INSERT INTO collection_year (library_id, year, category, items, items_last_10_years)"
        " VALUES (:lib, 2030, 'fiction', 10, 11)",
        id="check-recent-le-items",
    ),
    pytest.param(
        "INSERT INTO library (name, municipality_id, kind) VALUES ('X', :mun, 'palace')",
        id="check-kind-allowed",
    ),
]


@pytest.mark.parametrize("statement", RAW_VIOLATIONS)
def test_database_enforces_constraints(engine, statement):
    with Session(engine) as session:
        ids = _base(session)
    with engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(sa.text(statement), {"lib": ids["library"], "mun": ids["municipality"]})


def test_sqlite_foreign_keys_and_wal_are_on(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragma.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"


def test_every_bounded_field_has_a_check_constraint():
    """Each ge/le bound in the models is mirrored by a named CHECK in the table."""
    for model in TABLE_MODELS:
        names = {c.name for c in model.__table__.constraints}
        for field, info in model.model_fields.items():
            bounded = any(hasattr(m, "ge") or hasattr(m, "le") for m in info.metadata)
            if bounded and field in model.__table__.c:
                assert f"ck_{model.__tablename__}_{field}_range" in names, (model, field)


def test_all_architecture_entities_are_tables():
    names = set(SQLModel.metadata.tables)
    expected = {
        "municipality",
        "district",
        "school",
        "school_year",
        "library",
        "library_school",
        "library_year",
        "collection_year",
        "catalogue_item",
        "resource_centre_year",
        "action_plan",
        "survey",
        "survey_question",
        "survey_answer",
        "scenario",
        "scenario_result",
        "comment",
        "app_user",
        "audit_entry",
    }
    assert expected <= names


def test_municipality_level_resource_centre_row_is_unique(session):
    ids = _base(session)
    row = {"municipality_id": ids["municipality"], "year": 2024, "av_media_loans": 5}
    writes.add(session, ResourceCentreYear, row)
    session.commit()
    before = database_fingerprint(session)
    with pytest.raises(writes.InventoryValidationError) as caught:
        writes.add(session, ResourceCentreYear, row)
    assert "municipality_id" in str(caught.value) and "year" in str(caught.value)
    # a school-level row for the same municipality and year is a different fact
    writes.add(session, ResourceCentreYear, {**row, "school_id": ids["school"]})
    session.commit()
    assert database_fingerprint(session) != before


def test_rejected_batch_after_a_read_leaves_nothing_on_rollback(session):
    """A savepoint opened as the first write of a transaction must not commit on its own."""
    session.execute(sa.select(Municipality.id)).all()
    writes.add_all(
        session,
        Municipality,
        [{"code": "9988", "name": "Tillfällig", "county_code": "99", "county": "Testlän"}],
    )
    session.rollback()
    assert session.execute(sa.select(Municipality.id)).all() == []
