"""A small hand-made inventory with numbers simple enough to check by hand."""

from __future__ import annotations

from sqlmodel import Session

from inventory import writes
from inventory.models import (
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    School,
    SchoolYear,
)


def small_inventory(session: Session) -> dict[str, int]:
    """Two municipalities; a library serving two schools; a book room; one year with gaps.

    Exempelby (9911): Ekskolan (F-6, 100+200 pupils in 2024) and Granskolan (7-9, 300 in 2024)
    share "Ekbiblioteket" hosted by Ekskolan (staff 10+5+4+1 = 20 h/week); Almskolan (F-3,
    20+30 pupils) has a book room with no staff hours recorded. Övrigby (9912) has one school
    and no library. 2023 repeats 2024 with other numbers for Ekbiblioteket only.
    """
    m1 = writes.add(
        session,
        Municipality,
        {
            "code": "9911",
            "name": "Exempelby",
            "county_code": "99",
            "county": "Testlän",
            "fictional": True,
        },
    )
    m2 = writes.add(
        session,
        Municipality,
        {"code": "9912", "name": "Övrigby", "county_code": "99", "county": "Testlän"},
    )
    north, south = writes.add_all(
        session,
        District,
        [
            {"municipality_id": m1.id, "name": "Norr"},
            {"municipality_id": m1.id, "name": "Söder"},
        ],
    )
    common = {"municipality_id": m1.id, "organiser_type": "municipal"}
    ek, gran, alm = writes.add_all(
        session,
        School,
        [
            {
                **common,
                "school_unit_code": "99110001",
                "name": "Ekskolan",
                "district_id": north.id,
                "has_preschool_class": True,
                "has_grades_1_3": True,
                "has_grades_4_6": True,
                "x": 580000.0,
                "y": 6300000.0,
            },
            {
                **common,
                "school_unit_code": "99110002",
                "name": "Granskolan",
                "district_id": south.id,
                "has_grades_7_9": True,
                "x": 581000.0,
                "y": 6299000.0,
            },
            {
                **common,
                "school_unit_code": "99110003",
                "name": "Almskolan",
                "district_id": south.id,
                "has_preschool_class": True,
                "has_grades_1_3": True,
                "organiser_type": "independent",
            },
        ],
    )
    other = writes.add(
        session,
        School,
        {
            "school_unit_code": "99120001",
            "name": "Björken",
            "municipality_id": m2.id,
            "organiser_type": "municipal",
            "has_grades_7_9": True,
        },
    )
    writes.add_all(
        session,
        SchoolYear,
        [
            {
                "school_id": ek.id,
                "year": 2024,
                "pupils_preschool_class": 100,
                "pupils_grades_1_9": 200,
                "share_foreign_background": 0.10,
                "share_parents_post_secondary": 0.60,
            },
            {
                "school_id": gran.id,
                "year": 2024,
                "pupils_grades_1_9": 300,
                "share_foreign_background": 0.40,
                "share_parents_post_secondary": 0.30,
            },
            {
                "school_id": alm.id,
                "year": 2024,
                "pupils_preschool_class": 20,
                "pupils_grades_1_9": 30,
            },
            {"school_id": other.id, "year": 2024, "pupils_grades_1_9": 77},
            {
                "school_id": ek.id,
                "year": 2023,
                "pupils_preschool_class": 90,
                "pupils_grades_1_9": 210,
            },
            {"school_id": gran.id, "year": 2023, "pupils_grades_1_9": 290},
        ],
    )
    ekbib, bokrum = writes.add_all(
        session,
        Library,
        [
            {
                "name": "Ekbiblioteket",
                "municipality_id": m1.id,
                "kind": "shared",
                "location_class": 1,
                "host_school_id": ek.id,
                "x": 580010.0,
                "y": 6300010.0,
            },
            {
                "name": "Almskolans bokrum",
                "municipality_id": m1.id,
                "kind": "book_room",
                "location_class": 1,
                "host_school_id": alm.id,
            },
        ],
    )
    writes.add_all(
        session,
        LibrarySchool,
        [
            {"library_id": ekbib.id, "school_id": ek.id},
            {"library_id": ekbib.id, "school_id": gran.id, "special_reasons": None},
            {"library_id": bokrum.id, "school_id": alm.id},
        ],
    )
    writes.add_all(
        session,
        LibraryYear,
        [
            {
                "library_id": ekbib.id,
                "year": 2024,
                "hours_lis_librarian": 10,
                "hours_teacher_librarian": 5,
                "hours_assistant": 4,
                "hours_other": 1,
                "open_hours_staffed_all": 20,
                "open_hours_unstaffed": 10,
                "media_cost_physical_sek": 40000,
                "media_cost_emedia_sek": 5000,
                "loans": 6000,
            },
            {"library_id": ekbib.id, "year": 2023, "hours_lis_librarian": 0, "hours_assistant": 8},
            {"library_id": bokrum.id, "year": 2024},
        ],
    )
    writes.add_all(
        session,
        CollectionYear,
        [
            {
                "library_id": ekbib.id,
                "year": 2024,
                "category": "fiction",
                "items": 3000,
                "items_last_10_years": 1500,
                "median_publication_year": 2012,
            },
            {
                "library_id": ekbib.id,
                "year": 2024,
                "category": "non_fiction",
                "items": 1000,
                "items_last_10_years": 200,
                "median_publication_year": 2001,
            },
            {"library_id": ekbib.id, "year": 2024, "category": "e_books", "items": 250},
            {"library_id": bokrum.id, "year": 2024, "category": "fiction", "items": 400},
        ],
    )
    session.commit()
    return {
        "ekbib": ekbib.id,
        "bokrum": bokrum.id,
        "ek": ek.id,
        "gran": gran.id,
        "alm": alm.id,
        "other": other.id,
    }
