"""The read frames, checked against the hand-made inventory in factories.py."""

from __future__ import annotations

import pandas as pd
import pytest

from inventory import repository
from tests.inventory.factories import small_inventory


@pytest.fixture
def ids(session):
    return small_inventory(session)


def test_library_year_frame_sums_served_pupils_and_staff(session, ids):
    frame = repository.library_year_frame(session, years=[2024])
    assert len(frame) == 2
    ek = frame.set_index("library_id").loc[ids["ekbib"]]
    # Ekskolan 100 + 200, Granskolan 300
    assert ek["pupils_served"] == 600
    assert ek["schools_served"] == 2
    assert ek["school_unit_codes"] == "99110001,99110002"
    assert ek["staffed_hours"] == 20
    assert ek["media_cost_sek"] == 45000
    # physical items exclude e-books; recent items summed
    assert ek["items"] == 4000 and ek["items_last_10_years"] == 1700 and ek["e_books"] == 250
    # item-weighted median of category medians: 3000 items at 2012 hold the middle
    assert ek["median_publication_year"] == 2012
    # pupil-weighted share over the two served schools: (0.1*300 + 0.4*300) / 600
    assert ek["share_foreign_background"] == pytest.approx(0.25)
    assert ek["district"] == "Norr"  # the host school's district
    assert ek["municipality_code"] == "9911" and bool(ek["fictional"]) is True


def test_library_year_frame_keeps_missing_as_missing(session, ids):
    frame = repository.library_year_frame(session, years=[2024]).set_index("library_id")
    room = frame.loc[ids["bokrum"]]
    assert pd.isna(room["staffed_hours"])  # no hours recorded is not zero hours
    assert pd.isna(room["media_cost_sek"])
    assert room["pupils_served"] == 50
    assert pd.isna(room["share_foreign_background"])


def test_library_year_frame_filters_years_and_municipality(session, ids):
    both = repository.library_year_frame(session)
    assert sorted(both["year"].unique()) == [2023, 2024]
    y2023 = repository.library_year_frame(session, years=[2023])
    assert list(y2023["library_id"]) == [ids["ekbib"]]
    assert y2023["pupils_served"].iloc[0] == 90 + 210 + 290
    assert y2023["staffed_hours"].iloc[0] == 8
    assert repository.library_year_frame(session, municipality="9912").empty


def test_school_frame_totals_stages_and_serving_library(session, ids):
    frame = repository.school_frame(session, years=[2024]).set_index("school_unit_code")
    assert len(frame) == 4
    assert frame.loc["99110001", "pupils_total"] == 300
    assert frame.loc["99110001", "stages"] == "F-6"
    assert frame.loc["99110002", "stages"] == "7-9"
    assert frame.loc["99110003", "stages"] == "F-3"
    assert frame.loc["99110002", "library_name"] == "Ekbiblioteket"
    assert frame.loc["99110003", "library_kind"] == "book_room"
    assert pd.isna(frame.loc["99120001", "library_id"])
    assert frame.loc["99110002", "district"] == "Söder"
    only = repository.school_frame(session, municipality=["9912"])
    assert list(only["school_name"]) == ["Björken"]


def test_summary_counts(session, ids):
    counts = repository.summary_counts(session)
    assert counts["municipalities"] == 2
    assert counts["schools"] == 4
    assert counts["libraries"] == 2
    assert counts["catalogue_items"] == 0
    assert counts["years"] == [2023, 2024]
    assert counts["pupils_by_year"] == {"2023": 590, "2024": 300 + 300 + 50 + 77}


def test_empty_database_gives_empty_frames(session):
    assert repository.library_year_frame(session).empty
    assert repository.school_frame(session).empty
    assert repository.summary_counts(session)["years"] == []


def test_collection_without_median_years_gives_missing_median(session, ids):
    from inventory import writes
    from inventory.models import CollectionYear, LibraryYear

    writes.add(
        session,
        CollectionYear,
        {"library_id": ids["bokrum"], "year": 2023, "category": "fiction", "items": 10},
    )
    session.commit()
    frame = repository.library_year_frame(session, years=[2023])
    assert frame["items"].isna().all()  # the book room has no library year 2023
    writes.add(session, LibraryYear, {"library_id": ids["bokrum"], "year": 2023})
    session.commit()
    frame = repository.library_year_frame(session, years=[2023]).set_index("library_id")
    assert frame.loc[ids["bokrum"], "items"] == 10
    assert pd.isna(frame.loc[ids["bokrum"], "median_publication_year"])
