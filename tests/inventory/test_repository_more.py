"""The read frames for collections, follow-up and action plans, on the hand-made inventory.

Every expected value below is counted by hand from the rows this module adds to
:func:`tests.inventory.factories.small_inventory`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlmodel import Session, select

from inventory import repository
from inventory.models import (
    ActionPlan,
    CatalogueItem,
    Municipality,
    ResourceCentreYear,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)
from inventory.writes import add_all
from tests.inventory.factories import small_inventory

# (item_key, title, classification, publication_year) for Ekbiblioteket; two incomplete items
EK_ITEMS = [
    ("E1", "Alfa", "Hc", 2020),
    ("E2", "Beta", "Hc", 2020),
    ("E3", "Gamma", "Dk", 2001),
    ("E4", "Delta", None, 2015),  # no classification
    ("E5", "Epsilon", "Hc", None),  # no publication year
    ("E6", "Zeta", "  ", 1999),  # blank classification
]
ROOM_ITEMS = [("B1", "Eta", "Hc", 2010)]


def _municipality_id(session: Session, code: str) -> int:
    return session.exec(select(Municipality.id).where(Municipality.code == code)).one()


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    ids = small_inventory(session)
    m1 = _municipality_id(session, "9911")
    m2 = _municipality_id(session, "9912")
    add_all(
        session,
        CatalogueItem,
        [
            {
                "library_id": ids["ekbib"],
                "item_key": key,
                "title": title,
                "classification_system": "SAB",
                "classification": cls,
                "publication_year": year,
                "last_loan_date": date(2024, 5, 2) if key == "E1" else None,
                "media_type": {"E1": "bok", "E2": "E-bok"}.get(key),
            }
            for key, title, cls, year in EK_ITEMS
        ]
        + [
            {
                "library_id": ids["bokrum"],
                "item_key": key,
                "title": title,
                "classification": cls,
                "publication_year": year,
            }
            for key, title, cls, year in ROOM_ITEMS
        ],
    )
    add_all(
        session,
        ResourceCentreYear,
        [
            {"municipality_id": m1, "year": 2024, "av_media_loans": 100, "training_hours": 7.5},
            {"municipality_id": m1, "school_id": ids["ek"], "year": 2024, "av_media_loans": 40},
            {"municipality_id": m1, "school_id": ids["gran"], "year": 2024, "technology_loans": 3},
            {"municipality_id": m2, "year": 2024, "training_participants": 12},
            {"municipality_id": m1, "year": 2023, "av_media_loans": 80},
        ],
    )
    first, second = add_all(
        session,
        Survey,
        [
            {"title": "Enkät", "year": 2023, "audience": "Elever", "published": True},
            {"title": "Enkät", "year": 2024, "audience": "Lärare"},
        ],
    )
    likert, text = add_all(
        session,
        SurveyQuestion,
        [
            {"survey_id": second.id, "code": "q1", "text_sv": "Fråga ett", "kind": "likert"},
            {
                "survey_id": second.id,
                "code": "q2",
                "text_sv": "Fråga två",
                "text_en": "Question two",
                "kind": "text",
            },
        ],
    )
    add_all(
        session,
        SurveyAnswer,
        [
            {
                "survey_id": second.id,
                "question_id": likert.id,
                "respondent_key": "r1",
                "respondent_role": "teacher",
                "school_id": ids["ek"],
                "likert_value": 4,
            },
            {
                "survey_id": second.id,
                "question_id": likert.id,
                "respondent_key": "r2",
                "respondent_role": "pupil",
                "school_id": ids["other"],
                "likert_value": 2,
            },
            {
                "survey_id": second.id,
                "question_id": likert.id,
                "respondent_key": "r3",
                "respondent_role": "pupil",
                "likert_value": 5,
            },
            {
                "survey_id": second.id,
                "question_id": text.id,
                "respondent_key": "r1",
                "respondent_role": "teacher",
                "school_id": ids["ek"],
                "text_value": "Mer böcker",
            },
        ],
    )
    add_all(
        session,
        ActionPlan,
        [
            {
                "school_id": ids["ek"],
                "year": 2024,
                "kind": "library_plan",
                "status": "adopted",
                "adopted_date": date(2024, 3, 1),
                "document_link": "https://example.org/ek.pdf",
            },
            {"school_id": ids["ek"], "year": 2024, "kind": "reading_promotion", "status": "draft"},
            {"school_id": ids["gran"], "year": 2024, "kind": "library_plan", "status": "missing"},
            {"school_id": ids["ek"], "year": 2023, "kind": "library_plan", "status": "draft"},
            {"school_id": ids["other"], "year": 2024, "kind": "library_plan", "status": "adopted"},
        ],
    )
    session.commit()
    return {**ids, "survey_2023": first.id, "survey_2024": second.id}


def test_collection_years_rows_per_category(session, ids):
    frame = repository.collection_years(session, years=[2024], municipality="9911")
    # Ekbiblioteket: fiction, non_fiction, e_books; book room: fiction
    assert len(frame) == 4
    ek = frame[frame["library_id"] == ids["ekbib"]].set_index("category")
    assert ek.loc["fiction", "items"] == 3000
    assert ek.loc["fiction", "items_last_10_years"] == 1500
    assert ek.loc["non_fiction", "median_publication_year"] == 2001
    assert ek.loc["e_books", "items"] == 250
    assert pd.isna(ek.loc["e_books", "items_last_10_years"])  # missing stays missing
    assert set(frame["municipality_code"]) == {"9911"}
    assert ek["library_name"].unique().tolist() == ["Ekbiblioteket"]
    assert repository.collection_years(session, years=[2023]).empty
    assert repository.collection_years(session, municipality="9912").empty


def test_catalogue_items_by_library_and_incomplete(session, ids):
    every = repository.catalogue_items(session)
    assert len(every) == len(EK_ITEMS) + len(ROOM_ITEMS)
    ek = repository.catalogue_items(session, library_ids=[ids["ekbib"]])
    assert ek["item_key"].tolist() == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert ek["library_name"].unique().tolist() == ["Ekbiblioteket"]
    assert pd.isna(ek.set_index("item_key").loc["E5", "publication_year"])
    assert ek.set_index("item_key").loc["E1", "last_loan_date"] == pd.Timestamp("2024-05-02")
    assert pd.isna(ek.set_index("item_key").loc["E2", "last_loan_date"])
    incomplete = repository.catalogue_items(session, incomplete_only=True)
    # E4 (no class), E5 (no year), E6 (blank class); the book room's item is complete
    assert incomplete["item_key"].tolist() == ["E4", "E5", "E6"]
    assert repository.catalogue_items(session, library_ids=[]).empty


def test_catalogue_year_counts(session, ids):
    counts = repository.catalogue_year_counts(session, library_ids=[ids["ekbib"]])
    got = {
        (None if pd.isna(y) else int(y), None if pd.isna(m) else m): int(n)
        for y, m, n in zip(
            counts["publication_year"], counts["media_type"], counts["items"], strict=True
        )
    }
    # E1 and E2 share the year 2020 but not the media type
    assert got == {
        (1999, None): 1,
        (2001, None): 1,
        (2015, None): 1,
        (2020, "E-bok"): 1,
        (2020, "bok"): 1,
        (None, None): 1,
    }
    assert pd.isna(counts["publication_year"].iloc[-1])  # missing year last
    both = repository.catalogue_year_counts(session)
    assert int(both["items"].sum()) == 7
    assert set(both["library_id"]) == {ids["ekbib"], ids["bokrum"]}


def test_resource_centre_years_levels_and_filters(session, ids):
    frame = repository.resource_centre_years(session, years=[2024])
    assert len(frame) == 4
    assert frame["level"].tolist() == ["municipality", "school", "school", "municipality"]
    assert frame["municipality_code"].tolist() == ["9911", "9911", "9911", "9912"]
    top = frame.iloc[0]
    assert top["av_media_loans"] == 100 and top["training_hours"] == 7.5
    assert pd.isna(top["school_unit_code"]) and pd.isna(top["technology_loans"])
    school = frame.iloc[1]
    assert school["school_name"] == "Ekskolan" and school["av_media_loans"] == 40
    assert bool(top["fictional"]) is True and bool(frame.iloc[3]["fictional"]) is False
    local = repository.resource_centre_years(session, municipality="9911")
    assert sorted(local["year"].unique()) == [2023, 2024]
    assert len(local) == 4


def test_surveys_counts(session, ids):
    frame = repository.surveys(session)
    # newest first
    assert frame["year"].tolist() == [2024, 2023]
    newest = frame.iloc[0]
    assert newest["questions"] == 2 and newest["answers"] == 4 and newest["respondents"] == 3
    assert bool(newest["published"]) is False
    oldest = frame.iloc[1]
    assert oldest["questions"] == 0 and oldest["answers"] == 0 and oldest["respondents"] == 0


def test_survey_answers_long_form_and_municipality(session, ids):
    frame = repository.survey_answers(session, survey_id=ids["survey_2024"])
    assert len(frame) == 4
    assert frame["question_code"].tolist() == ["q1", "q1", "q1", "q2"]
    assert frame["question_kind"].tolist() == ["likert"] * 3 + ["text"]
    assert frame["likert_value"].tolist()[:3] == [4, 2, 5]
    assert pd.isna(frame["question_en"].iloc[0]) and frame["question_en"].iloc[3] == (
        "Question two"
    )
    assert frame["text_value"].iloc[3] == "Mer böcker"
    local = repository.survey_answers(session, ids["survey_2024"], municipality="9911")
    # r2 answered for Björken (9912) and r3 for no school unit
    assert local["respondent_key"].tolist() == ["r1", "r1"]
    assert local["school_unit_code"].unique().tolist() == ["99110001"]
    assert repository.survey_answers(session, survey_id=ids["survey_2023"]).empty


def test_action_plans_rows_and_filters(session, ids):
    frame = repository.action_plans(session, years=[2024], municipality="9911")
    assert len(frame) == 3
    assert list(zip(frame["school_unit_code"], frame["kind"], frame["status"], strict=True)) == [
        ("99110001", "library_plan", "adopted"),
        ("99110001", "reading_promotion", "draft"),
        ("99110002", "library_plan", "missing"),
    ]
    first = frame.iloc[0]
    assert first["adopted_date"] == pd.Timestamp("2024-03-01")
    assert first["document_link"] == "https://example.org/ek.pdf"
    assert first["district"] == "Norr" and first["school_name"] == "Ekskolan"
    assert pd.isna(frame.iloc[1]["adopted_date"]) and pd.isna(frame.iloc[1]["document_link"])
    assert len(repository.action_plans(session)) == 5
    assert repository.action_plans(session, years=[2023])["status"].tolist() == ["draft"]
    other = repository.action_plans(session, municipality="9912")
    assert other["school_name"].tolist() == ["Björken"] and pd.isna(other["district"].iloc[0])
