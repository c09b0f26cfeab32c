"""Tests for inventory.demo: determinism, the promised contents, loading and idempotence.

Properties are checked twice and independently: on the generated frames with plain pandas and
shapely, and after loading with SQL (and the repository's read frames), on SQLite and, when
``SKOLBIB_TEST_POSTGRES_URL`` is set, PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from inventory import demo, repository
from inventory.db import make_engine
from inventory.models import (
    ActionPlan,
    CatalogueItem,
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    ResourceCentreYear,
    School,
    SchoolResult,
    SchoolYear,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)
from inventory.writes import InventoryValidationError

EXEMPEL = demo.DEMO_MUNICIPALITY_CODE
YEARS = list(range(2019, 2026))
STAFF = ["hours_lis_librarian", "hours_teacher_librarian", "hours_assistant", "hours_other"]
PUPIL_PARTS = ["pupils_preschool_class", "pupils_grades_1_9", "pupils_upper_secondary"]
GRADES = [f"pupils_grade_{g}" for g in range(1, 10)]
MODELS = {
    "municipality": Municipality,
    "district": District,
    "school": School,
    "school_year": SchoolYear,
    "library": Library,
    "library_school": LibrarySchool,
    "library_year": LibraryYear,
    "collection_year": CollectionYear,
    "catalogue_item": CatalogueItem,
    "resource_centre_year": ResourceCentreYear,
    "action_plan": ActionPlan,
    "school_result": SchoolResult,
    "survey": Survey,
    "survey_question": SurveyQuestion,
    "survey_answer": SurveyAnswer,
}
NATURAL_KEYS = {
    "municipality": ["code"],
    "district": ["municipality_code", "name"],
    "school": ["school_unit_code"],
    "school_year": ["school_unit_code", "year"],
    "library": ["municipality_code", "name"],
    "library_school": ["municipality_code", "library", "school_unit_code"],
    "library_year": ["municipality_code", "library", "year"],
    "collection_year": ["municipality_code", "library", "year", "category"],
    "catalogue_item": ["municipality_code", "library", "item_key"],
    "resource_centre_year": ["municipality_code", "school_unit_code", "year"],
    "action_plan": ["school_unit_code", "kind", "year"],
    "school_result": ["school_unit_code", "year"],
    "survey": ["title", "year"],
    "survey_question": ["survey_title", "survey_year", "code"],
    "survey_answer": ["survey_title", "survey_year", "question_code", "respondent_key"],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """generate() output for the default seed, computed once for the module."""
    return demo.generate(demo.DEFAULT_SEED)


# --------------------------------------------------------------------------- helpers


def stage(row: pd.Series) -> str:
    """Stage shorthand from the flags, written independently of the generator."""
    if row["has_upper_secondary"]:
        return "Gy"
    if row["has_adapted"]:
        return "Anp"
    low = "F" if row["has_preschool_class"] else "1" if row["has_grades_1_3"] else "4"
    if not row["has_grades_1_3"] and not row["has_grades_4_6"]:
        low = "7"
    high = "9" if row["has_grades_7_9"] else "6" if row["has_grades_4_6"] else "3"
    return f"{low}-{high}"


def with_totals(school_year: pd.DataFrame) -> pd.DataFrame:
    return school_year.assign(total=school_year[PUPIL_PARTS].fillna(0).sum(axis=1).astype(int))


def served_pupils(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Pupils per library and year: the sum over the schools it serves."""
    totals = with_totals(tables["school_year"])[["school_unit_code", "year", "total"]]
    links = tables["library_school"].merge(totals, on="school_unit_code")
    grouped = links.groupby(["municipality_code", "library", "year"])["total"].sum()
    return grouped.rename("pupils").reset_index()


def library_years(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    libraries = tables["library"].rename(columns={"name": "library"})
    frame = tables["library_year"].merge(libraries, on=["municipality_code", "library"])
    frame = frame.merge(served_pupils(tables), on=["municipality_code", "library", "year"])
    return frame.assign(staffed=frame[STAFF].sum(axis=1))


def weighted_median_age(collections: pd.DataFrame, year: int) -> pd.Series:
    """Item-weighted median of the physical categories' median ages per library."""
    rows = collections[(collections["year"] == year) & (collections["category"] != "e_books")]
    rows = rows.dropna(subset=["median_publication_year"])

    def median(group: pd.DataFrame) -> float:
        group = group.sort_values("median_publication_year")
        cumulative = group["items"].cumsum()
        half = group["items"].sum() / 2
        return float(group.loc[cumulative >= half, "median_publication_year"].iloc[0])

    keys = ["municipality_code", "library"]
    medians = rows.groupby(keys)[["median_publication_year", "items"]].apply(median)
    return year - medians


def canonical(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<null>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_digests(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every demo table, ids replaced by natural keys."""
    keys: dict[str, dict[int, str]] = {}
    natural = {
        "municipality": ["code"],
        "district": ["municipality_id", "name"],
        "school": ["school_unit_code"],
        "library": ["municipality_id", "name"],
        "survey": ["title", "year"],
        "survey_question": ["survey_id", "code"],
    }
    digests = {}
    with engine.connect() as connection:
        for name, model in MODELS.items():
            table = model.__table__
            foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
            lines = []
            for row in connection.execute(sa.select(table)).mappings():
                values = {
                    column: keys[foreign[column]][value]
                    if column in foreign and value is not None
                    else canonical(value)
                    for column, value in row.items()
                    if column != "id"
                }
                line = "|".join(f"{c}={values[c]}" for c in sorted(values))
                lines.append(line)
                if name in natural:
                    keys.setdefault(name, {})[row["id"]] = "/".join(
                        values[c] for c in natural[name]
                    )
            text = "\n".join(sorted(lines))
            digests[name] = (len(lines), hashlib.sha256(text.encode()).hexdigest())
    return digests


def count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(tables):
    again = demo.generate(demo.DEFAULT_SEED)
    assert list(again) == list(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_other_seed_gives_other_data(tables):
    other = demo.generate(7)
    assert list(other) == list(tables)
    for name in ("school", "school_year", "library_year", "collection_year", "catalogue_item"):
        assert not other[name].equals(tables[name]), name
    # the fixed design (municipalities, the Exempelkommun schools) stays the same
    assert other["municipality"]["code"].tolist() == tables["municipality"]["code"].tolist()


def test_frames_use_natural_keys_only(tables):
    assert set(tables) == set(demo.TABLES) == set(NATURAL_KEYS)
    for name, frame in tables.items():
        assert len(frame) > 0, name
        assert not [c for c in frame.columns if c == "id" or c.endswith("_id")], name
        assert not frame.duplicated(NATURAL_KEYS[name]).any(), name


# --------------------------------------------------------------------------- geography


def test_fictional_municipalities_in_a_county_that_does_not_exist(tables):
    municipalities = tables["municipality"]
    assert municipalities["fictional"].all()
    assert set(municipalities["county_code"]) == {"99"}
    assert set(municipalities["county"]) == {"Exempellän"}
    names = dict(zip(municipalities["code"], municipalities["name"], strict=True))
    assert names[EXEMPEL] == "Exempelkommun"
    others = [code for code in names if code != EXEMPEL]
    assert 2 <= len(others) <= 3
    assert all(code.startswith("99") for code in names)
    boundary = shapely.from_wkt(municipalities.set_index("code").loc[EXEMPEL, "boundary_wkt"])
    minx, miny, maxx, maxy = boundary.bounds
    assert 550_000 < minx < maxx < 610_000
    assert 6_280_000 < miny < maxy < 6_340_000


def test_districts_partition_each_municipality(tables):
    districts = tables["district"]
    assert (districts["municipality_code"] == EXEMPEL).sum() >= 4
    boundaries = tables["municipality"].set_index("code")["boundary_wkt"]
    for code, group in districts.groupby("municipality_code"):
        polygons = [shapely.from_wkt(wkt) for wkt in group["geometry_wkt"]]
        assert all(p.geom_type == "Polygon" and p.is_valid for p in polygons)
        boundary = shapely.from_wkt(boundaries[code])
        union = shapely.union_all(polygons)
        assert union.symmetric_difference(boundary).area < 1e-4 * boundary.area
        overlap = sum(p.area for p in polygons) - union.area
        assert overlap < 1e-4 * boundary.area


def test_every_school_lies_in_its_district(tables):
    polygons = {
        (row.municipality_code, row.name): shapely.from_wkt(row.geometry_wkt)
        for row in tables["district"].itertuples()
    }
    for school in tables["school"].itertuples():
        point = shapely.Point(school.x, school.y)
        assert polygons[(school.municipality_code, school.district)].contains(point), school.name


# --------------------------------------------------------------------------- schools


def test_exempelkommun_schools(tables):
    schools = tables["school"]
    local = schools[schools["municipality_code"] == EXEMPEL]
    assert len(local) >= 30
    assert schools["school_unit_code"].str.fullmatch(r"99\d{6}").all()
    assert schools["school_unit_code"].is_unique and schools["name"].is_unique
    stages = set(local.apply(stage, axis=1))
    assert {"F-3", "F-6", "4-6", "4-9", "7-9", "F-9", "Gy", "Anp"} <= stages
    upper = local[local["has_upper_secondary"]]
    assert len(upper) >= 1
    assert not upper[["has_preschool_class", "has_grades_1_3", "has_grades_7_9"]].any().any()
    independent = local[local["organiser_type"] == "independent"]
    assert len(independent) >= 3
    assert set(local.loc[local["organiser_type"] == "municipal", "organiser"]) == {"Exempelkommun"}
    assert set(schools["district"].dropna()) >= {"Centrum", "Norra", "Södra", "Östra"}


def test_other_municipalities_have_a_few_schools_with_every_frame(tables):
    schools = tables["school"]
    library_codes = set(tables["library"]["municipality_code"])
    for code in set(schools["municipality_code"]) - {EXEMPEL}:
        codes = set(schools.loc[schools["municipality_code"] == code, "school_unit_code"])
        assert 6 <= len(codes) <= 12
        assert codes <= set(tables["school_year"]["school_unit_code"])
        assert code in library_codes
        for name in ("library_year", "collection_year"):
            assert (tables[name]["municipality_code"] == code).any(), name


def test_pupil_counts(tables):
    school_year = with_totals(tables["school_year"])
    schools = tables["school"].set_index("school_unit_code")
    assert sorted(school_year["year"].unique()) == YEARS
    assert (school_year.groupby("school_unit_code").size() == len(YEARS)).all()
    grades = school_year[GRADES]
    has_grades = grades.notna().any(axis=1)
    assert (
        grades.sum(axis=1)[has_grades] == school_year.loc[has_grades, "pupils_grades_1_9"]
    ).all()
    assert school_year.loc[~has_grades, "pupils_grades_1_9"].isna().all()
    for row in school_year.merge(
        schools, left_on="school_unit_code", right_index=True
    ).itertuples():
        assert pd.isna(row.pupils_grade_1) != row.has_grades_1_3
        assert pd.isna(row.pupils_grade_8) != row.has_grades_7_9
        assert pd.isna(row.pupils_preschool_class) != row.has_preschool_class
        assert pd.isna(row.pupils_upper_secondary) != row.has_upper_secondary
    local = school_year[school_year["school_unit_code"].str.startswith("9901")]
    assert local["total"].between(20, 900).all()
    assert local["total"].min() < 40 and local["total"].max() > 800
    change = local.sort_values("year").groupby("school_unit_code")["total"].pct_change().dropna()
    assert (change != 0).mean() > 0.5 and change.abs().max() < 0.2


def test_need_inputs_vary_by_district_and_are_negatively_correlated(tables):
    school_year = tables["school_year"]
    shares = school_year[["share_foreign_background", "share_parents_post_secondary"]]
    assert shares.notna().all().all() and shares.stack().between(0, 1).all()
    assert shares.corr().iloc[0, 1] < -0.3
    frame = school_year.merge(tables["school"], on="school_unit_code")
    local = frame[frame["municipality_code"] == EXEMPEL]
    by_district = local.groupby("district")["share_foreign_background"].mean()
    assert by_district.max() - by_district.min() > 0.2


# --------------------------------------------------------------------------- libraries


def test_library_kinds_and_service(tables):
    libraries = tables["library"]
    links = tables["library_school"]
    local = libraries[libraries["municipality_code"] == EXEMPEL].set_index("name")
    kinds = local["kind"].value_counts()
    assert kinds["own"] >= 15 and kinds["book_room"] >= 1 and kinds["integrated"] == 1
    public = local[(local["kind"] == "public_special_reasons") & local["host_school_code"].isna()]
    assert len(public) == 1
    integrated = local[local["kind"] == "integrated"].iloc[0]
    assert pd.isna(integrated["host_school_code"])
    assert (integrated["x"], integrated["y"]) == (public.iloc[0]["x"], public.iloc[0]["y"])
    public_links = links[links["library"] == public.index[0]]
    assert len(public_links) >= 1 and public_links["special_reasons"].str.len().gt(20).all()
    assert public.iloc[0]["location_class"] in (2, 3)
    shared = local[local["kind"] == "shared"]
    assert len(shared) >= 1 and (shared["location_class"] == 2).all()
    for name, library in shared.iterrows():
        served = set(links.loc[links["library"] == name, "school_unit_code"])
        assert library["host_school_code"] in served and len(served) >= 2
    assert set(zip(links["municipality_code"], links["library"], strict=True)) == set(
        zip(libraries["municipality_code"], libraries["name"], strict=True)
    )
    schools = tables["school"]
    unserved = set(schools.loc[schools["municipality_code"] == EXEMPEL, "school_unit_code"]) - set(
        links["school_unit_code"]
    )
    assert len(unserved) >= 1


def test_staffed_hours(tables):
    frame = library_years(tables)
    assert frame["staffed"].min() == 0 and frame["staffed"].max() == 40
    last = frame[frame["year"] == 2025]
    assert (last["staffed"] >= 20).sum() >= 5
    assert 1 <= (last["staffed"] == 40).sum() <= 5
    assert (last["staffed"] == 0).sum() >= 3
    wide = frame.set_index(["municipality_code", "library", "year"])["staffed"].unstack("year")
    assert (wide[2025] > wide[2019]).any() and (wide[2025] < wide[2019]).any()


def test_library_plans_missing_and_adopted_after_the_new_law(tables):
    keys = ["municipality_code", "library", "year"]
    plans = tables["library_year"].set_index(keys)["library_plan_adopted"].unstack("year")
    adopted = plans.astype("boolean").fillna(False).astype(bool)
    assert (~adopted[2025]).any()  # False or not reported
    assert (~adopted[2024] & adopted[2025]).any()


def test_figures_scatter_around_the_national_means(tables):
    frame = library_years(tables)
    local = frame[frame["municipality_code"] == EXEMPEL]
    media = (local["media_cost_physical_sek"] + local["media_cost_emedia_sek"]) / local["pupils"]
    assert 50 <= media.mean() <= 200
    assert media.max() / media.min() > 3
    loans = (frame["loans"] / frame["pupils"]).dropna()
    assert 6 <= loans.mean() <= 20
    real = frame[frame["kind"] != "book_room"]
    open_hours = real[
        ["open_hours_staffed_all", "open_hours_staffed_classes", "open_hours_unstaffed"]
    ].sum(axis=1)
    assert 28 <= open_hours.mean() <= 38
    assert (
        (frame["open_hours_staffed_all"] <= frame["staffed"] + 0.5)
        .where(frame["kind"] != "public_special_reasons", True)
        .all()
    )


def test_collections(tables):
    collections = tables["collection_year"]
    assert set(collections["category"]) == {
        "fiction",
        "non_fiction",
        "picture_books",
        "easy_read",
        "other_languages",
        "audiobooks",
        "e_books",
    }
    assert (collections.groupby(["municipality_code", "library", "year"]).size() == 7).all()
    assert (collections["items_last_10_years"] <= collections["items"]).all()
    ordered = collections.sort_values("year")
    keys = ["municipality_code", "library", "category"]
    previous = ordered.groupby(keys)["items"].shift()
    flow = previous + ordered["acquisitions"] - ordered["weeded"]
    assert (flow.dropna() == ordered.loc[flow.notna(), "items"]).all()
    ages = weighted_median_age(collections, 2025)
    assert ages.min() < 6 and ages.max() > 20
    physical = collections[(collections["year"] == 2025) & (collections["category"] != "e_books")]
    items = physical.groupby(["municipality_code", "library"])["items"].sum()
    kinds = tables["library"].set_index(["municipality_code", "name"])["kind"]
    assert (items[kinds[kinds == "book_room"].index] < 1000).all()
    pupils = served_pupils(tables)
    pupils = pupils[pupils["year"] == 2025].set_index(["municipality_code", "library"])["pupils"]
    per_pupil = items / pupils
    assert per_pupil.between(3, 25).all() and per_pupil.min() < 5 and per_pupil.max() > 20


def test_catalogue_items(tables):
    items = tables["catalogue_item"]
    local = items[items["municipality_code"] == EXEMPEL]
    per_library = local.groupby("library").size()
    assert len(per_library) >= 3 and per_library.sum() >= 20_000
    assert not items.duplicated(["municipality_code", "library", "item_key"]).any()
    collections = tables["collection_year"]
    last = collections[
        (collections["year"] == 2025) & (collections["municipality_code"] == EXEMPEL)
    ]
    assert (last.groupby("library")["items"].sum()[per_library.index] == per_library).all()
    assert set(items["classification_system"]) == {"DDC", "SAB"}
    assert items["language"].str.fullmatch(r"[a-z]{3}").all()
    assert {"swe", "eng", "ara", "som", "fin"} <= set(items["language"])
    assert set(items["media_type"]) == {"book", "audiobook", "e-book"}
    assert items["publication_year"].between(1950, 2025).all()
    lent = items.dropna(subset=["last_loan_date"])
    assert 0.3 < len(lent) / len(items) < 0.99
    assert all(isinstance(d, date) for d in lent["last_loan_date"])
    assert (lent["last_loan_date"] <= demo.CATALOGUE_EXPORT_DATE).all()
    assert (lent["last_loan_date"].map(lambda d: d.year) >= lent["publication_year"]).all()


def test_resource_centre_rows_for_every_municipality_and_year(tables):
    centre = tables["resource_centre_year"]
    municipal = centre[centre["school_unit_code"].isna()]
    assert len(municipal) == len(tables["municipality"]) * len(YEARS)
    school_level = centre.dropna(subset=["school_unit_code"])
    assert set(school_level["municipality_code"]) == {EXEMPEL}
    assert (school_level.groupby("school_unit_code").size() == len(YEARS)).all()


def test_action_plans(tables):
    plans = tables["action_plan"]
    assert set(plans["kind"]) == {"library_plan", "reading_promotion", "media_information_literacy"}
    assert set(plans["status"]) == {"missing", "draft", "adopted", "under_revision"}
    assert (plans["adopted_date"].notna() == (plans["status"] == "adopted")).all()
    links = plans["document_link"].dropna()
    assert links.str.match(r"https://[a-z]+\.example/").all()
    last = plans[(plans["year"] == 2025) & (plans["kind"] == "library_plan")]
    assert (last["status"] == "missing").any()


def test_surveys(tables):
    assert sorted(tables["survey"]["year"]) == [2024, 2025]
    questions = tables["survey_question"]
    assert (questions.groupby("survey_year").size() >= 6).all()
    answers = tables["survey_answer"].merge(
        questions,
        left_on=["survey_title", "survey_year", "question_code"],
        right_on=["survey_title", "survey_year", "code"],
    )
    assert 200 <= len(answers) == len(tables["survey_answer"])
    likert = answers[answers["kind"] == "likert"]
    assert likert["likert_value"].between(1, 5).all() and likert["text_value"].isna().all()
    text = answers[answers["kind"] == "text"]
    assert text["text_value"].str.len().gt(5).all() and text["likert_value"].isna().all()
    assert set(answers["respondent_role"]) == {"librarian", "teacher", "principal", "pupil"}
    assert answers["respondent_key"].str.fullmatch(r"r\d{4}").all()


def test_school_results_for_every_school_unit_with_year_9(tables):
    schools = tables["school"]
    senior = schools[schools["has_grades_7_9"] & ~schools["has_adapted"]]
    results = tables["school_result"]
    assert set(results["school_unit_code"]) == set(senior["school_unit_code"])
    assert len(results) == len(senior) * len(YEARS)
    cohorts = tables["school_year"].set_index(["school_unit_code", "year"])["pupils_grade_9"]
    keyed = results.set_index(["school_unit_code", "year"])
    assert (keyed["pupils"] == cohorts.loc[keyed.index]).all()  # all cohorts have 10 or more
    assert not results["suppressed"].any()
    assert results["mean_merit_value"].between(160, 300).all()
    assert results["share_all_subjects"].between(0.3, 1).all()
    assert (results["share_eligible_vocational"] >= results["share_all_subjects"]).all()
    # whole pupils: the share times the cohort is a count (Skolverket rounds to 0.1 %)
    met = results["share_all_subjects"] * results["pupils"]
    assert (abs(met - met.round()) <= results["pupils"] * 0.0005 + 1e-9).all()
    # "~100": 1-4 pupils not eligible is stored as 100 %, as the importer stores it
    assert (results["share_eligible_vocational"] == 1.0).sum() > 0

    # a weak association: results follow need, and staffed hours per 100 pupils a little
    need = tables["school_year"][
        ["school_unit_code", "year", "share_foreign_background", "share_parents_post_secondary"]
    ]
    frame = results.merge(need, on=["school_unit_code", "year"])
    libraries = library_years(tables)
    per_100 = libraries.assign(per_100=libraries["staffed"] / libraries["pupils"] * 100)
    served = tables["library_school"].merge(
        per_100[["municipality_code", "library", "year", "per_100"]],
        on=["municipality_code", "library"],
    )
    frame = frame.merge(
        served[["school_unit_code", "year", "per_100"]], on=["school_unit_code", "year"]
    )
    assert len(frame) == len(results)
    design = np.column_stack(
        [
            np.ones(len(frame)),
            frame["share_foreign_background"],
            frame["share_parents_post_secondary"],
            frame["per_100"],
        ]
    )
    coef, *_ = np.linalg.lstsq(design, frame["mean_merit_value"].to_numpy(), rcond=None)
    assert coef[2] > 40  # parents with post-secondary education: higher merit values
    assert 0.5 < coef[3] < 8  # staffed hours per 100 pupils: weakly higher
    raw = np.corrcoef(frame["per_100"], frame["mean_merit_value"])[0, 1]
    assert 0 < raw < 0.6


# --------------------------------------------------------------------------- loading


@pytest.fixture(scope="module")
def reference_digests(
    tables: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str]]:
    """Checksums of the demo loaded into a fresh SQLite database of its own."""
    path = Path(tmp_path_factory.mktemp("reference")) / "reference.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            demo.load(session, tables)
            session.commit()
        return table_digests(engine)
    finally:
        engine.dispose()


def test_load_writes_every_row_and_sql_sees_the_properties(session, tables):
    counts = demo.load(session, tables)
    session.commit()
    assert counts == {name: len(frame) for name, frame in tables.items()}
    assert {name: count(session, MODELS[name]) for name in MODELS} == counts

    def scalar(sql: str) -> object:
        return session.execute(sa.text(sql), {"code": EXEMPEL}).scalar_one()

    in_exempel = "JOIN municipality m ON m.id = s.municipality_id WHERE m.code = :code"
    assert scalar(f"SELECT count(*) FROM school s {in_exempel}") >= 30
    assert (
        scalar(
            "SELECT count(*) FROM district d JOIN municipality m ON m.id = d.municipality_id "
            "WHERE m.code = :code"
        )
        >= 4
    )
    assert scalar("SELECT count(*) FROM municipality WHERE code <> :code") in (2, 3)
    assert scalar(f"SELECT count(*) FROM school s {in_exempel} AND s.has_upper_secondary") >= 1
    assert (
        scalar(f"SELECT count(*) FROM school s {in_exempel} AND s.organiser_type = 'independent'")
        >= 3
    )
    years = session.execute(sa.text("SELECT DISTINCT year FROM school_year ORDER BY year"))
    assert [y for (y,) in years] == YEARS

    total = (
        "coalesce(y.pupils_preschool_class, 0) + coalesce(y.pupils_grades_1_9, 0)"
        " + coalesce(y.pupils_upper_secondary, 0)"
    )
    low, high = session.execute(
        sa.text(
            f"SELECT min({total}), max({total}) FROM school_year y "
            f"JOIN school s ON s.id = y.school_id {in_exempel}"
        ),
        {"code": EXEMPEL},
    ).one()
    assert 20 <= low < 40 and 800 < high <= 900

    staffed = "hours_lis_librarian + hours_teacher_librarian + hours_assistant + hours_other"
    low, high = session.execute(
        sa.text(f"SELECT min({staffed}), max({staffed}) FROM library_year")
    ).one()
    assert (low, high) == (0, 40)
    kinds = {k for (k,) in session.execute(sa.text("SELECT DISTINCT kind FROM library"))}
    assert {"own", "shared", "integrated", "public_special_reasons", "book_room"} <= kinds
    assert (
        scalar(
            "SELECT count(*) FROM library_school ls JOIN library l ON l.id = ls.library_id "
            "WHERE l.kind = 'public_special_reasons' AND ls.special_reasons IS NOT NULL"
        )
        >= 1
    )
    assert (
        scalar(
            "SELECT count(*) FROM library_school ls JOIN library l ON l.id = ls.library_id "
            "WHERE l.kind = 'shared' AND l.location_class = 2 AND ls.school_id <> l.host_school_id"
        )
        >= 1
    )
    assert (
        scalar(
            f"SELECT count(*) FROM school s {in_exempel} AND NOT EXISTS "
            "(SELECT 1 FROM library_school ls WHERE ls.school_id = s.id)"
        )
        >= 1
    )
    assert (
        scalar(
            "SELECT count(*) FROM library_year WHERE year = 2025 "
            "AND (library_plan_adopted IS NULL OR NOT library_plan_adopted)"
        )
        >= 1
    )
    catalogue = session.execute(
        sa.text(
            "SELECT l.name, count(*) FROM catalogue_item c JOIN library l ON l.id = c.library_id "
            "JOIN municipality m ON m.id = l.municipality_id WHERE m.code = :code GROUP BY l.name"
        ),
        {"code": EXEMPEL},
    ).all()
    assert len(catalogue) >= 3 and sum(n for _, n in catalogue) >= 20_000
    for model in (ResourceCentreYear, ActionPlan, Survey, SurveyQuestion, SurveyAnswer):
        assert count(session, model) > 0

    polygons = {
        (row.municipality_code, row.name): shapely.from_wkt(row.geometry_wkt)
        for row in repository.districts(session).itertuples()
    }
    schools = repository.school_frame(session, years=[2025])
    for school in schools.itertuples():
        point = shapely.Point(school.x, school.y)
        assert polygons[(school.municipality_code, school.district)].contains(point)

    frame = repository.library_year_frame(session, years=[2025], municipality=EXEMPEL)
    assert frame["staffed_hours"].min() == 0 and frame["staffed_hours"].max() == 40
    age = 2025 - frame["median_publication_year"]
    assert age.min() < 6 and age.max() > 20
    assert 50 <= (frame["media_cost_sek"] / frame["pupils_served"]).mean() <= 200


def test_load_demo_is_reproducible_and_idempotent(engine, tables, reference_digests):
    """A fresh database gets exactly the reference contents; a second call writes nothing."""
    with Session(engine) as session:
        first = demo.load_demo(session)
    assert first == {
        "loaded": True,
        "counts": {name: len(frame) for name, frame in tables.items()},
    }
    digests = table_digests(engine)
    assert digests == reference_digests
    with Session(engine) as session:
        assert demo.load_demo(session) == {"loaded": False, "counts": {}}
        assert demo.load_demo(session, seed=7) == {"loaded": False, "counts": {}}
    assert table_digests(engine) == digests


def test_load_validates_through_the_write_boundary(session, tables):
    small = {name: frame for name, frame in tables.items() if name != "catalogue_item"}
    broken = small["library_year"].copy()
    broken.loc[broken.index[3], "hours_other"] = 500.0
    with pytest.raises(InventoryValidationError) as error:
        demo.load(session, {**small, "library_year": broken})
    assert "hours_other" in error.value.fields
    session.rollback()
    assert count(session, LibraryYear) == 0


def test_load_numbers_rows_across_catalogue_chunks(session, tables):
    items = tables["catalogue_item"].head(demo.CATALOGUE_CHUNK + 10).copy()
    items.loc[items.index[demo.CATALOGUE_CHUNK + 4], "language"] = "svenska"
    small = {name: frame for name, frame in tables.items() if name != "catalogue_item"}
    with pytest.raises(InventoryValidationError) as error:
        demo.load(session, {**small, "catalogue_item": items})
    assert [(p.field, p.row) for p in error.value.problems] == [
        ("language", demo.CATALOGUE_CHUNK + 5)
    ]


def test_load_names_an_unknown_reference(session, tables):
    with pytest.raises(InventoryValidationError) as error:
        demo.load(session, {"school_year": tables["school_year"].head(3)})
    assert error.value.fields == ["school_unit_code"]
    assert re.search(r"99\d{6}", str(error.value))
