"""Read functions that hand the analysis layer tidy DataFrames.

Every function takes an open :class:`sqlmodel.Session` and returns plain pandas objects; no ORM
object leaves this module. Column names are documented in each docstring and are the contract
with :mod:`metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory.models import (
    ActionPlan,
    CatalogueItem,
    CollectionCategory,
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

GRADE_COLUMNS = [f"pupils_grade_{grade}" for grade in range(1, 10)]
PUPIL_TOTAL_PARTS = ["pupils_preschool_class", "pupils_grades_1_9", "pupils_upper_secondary"]
STAFF_HOUR_COLUMNS = [
    "hours_lis_librarian",
    "hours_teacher_librarian",
    "hours_assistant",
    "hours_other",
]
OPEN_HOUR_COLUMNS = ["open_hours_staffed_all", "open_hours_staffed_classes", "open_hours_unstaffed"]
#: Categories counted as physical holdings (e-books are licences, not shelf items).
PHYSICAL_CATEGORIES = [c.value for c in CollectionCategory if c is not CollectionCategory.E_BOOKS]


def _read(session: Session, statement: sa.Select) -> pd.DataFrame:
    return pd.read_sql(statement, session.connection())


def _years_filter(statement: sa.Select, column: sa.ColumnElement, years: Iterable[int] | None):
    if years is not None:
        statement = statement.where(column.in_([int(y) for y in years]))
    return statement


def _municipality_ids(
    session: Session, municipality: str | Iterable[str] | None
) -> list[int] | None:
    if municipality is None:
        return None
    codes = [municipality] if isinstance(municipality, str) else list(municipality)
    rows = session.execute(sa.select(Municipality.id).where(Municipality.code.in_(codes)))
    return [row[0] for row in rows]


def stage_label(frame: pd.DataFrame) -> pd.Series:
    """Stage mix as Swedish school shorthand, e.g. ``F-6``, ``7-9``, ``F-9``, ``Gy``."""
    low = np.select(
        [
            frame["has_preschool_class"],
            frame["has_grades_1_3"],
            frame["has_grades_4_6"],
            frame["has_grades_7_9"],
        ],
        ["F", "1", "4", "7"],
        default="",
    )
    high = np.select(
        [
            frame["has_grades_7_9"],
            frame["has_grades_4_6"],
            frame["has_grades_1_3"],
            frame["has_preschool_class"],
        ],
        ["9", "6", "3", "F"],
        default="",
    )
    compulsory = pd.Series(
        np.where(low != "", np.char.add(np.char.add(low, "-"), high), ""), index=frame.index
    )
    upper = np.where(frame["has_upper_secondary"], "Gy", "")
    adapted = np.where(frame["has_adapted"], "Anp", "")
    joined = compulsory.str.cat(
        [pd.Series(upper, index=frame.index), pd.Series(adapted, index=frame.index)], sep=", "
    )
    return joined.str.replace(r"(, )+", ", ", regex=True).str.strip(", ")


def school_frame(
    session: Session,
    years: Iterable[int] | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per school unit and year.

    Columns
    -------
    school_id, school_unit_code, school_name, municipality_id, municipality_code,
    municipality_name, fictional, district_id, district, organiser_type, organiser,
    has_preschool_class … has_adapted, stages (e.g. ``F-6``), x, y (EPSG:3006), year,
    pupils_preschool_class, pupils_grades_1_9, pupils_upper_secondary, pupils_grade_1 …
    pupils_grade_9, pupils_total (förskoleklass + years 1-9 + upper secondary, missing parts
    count as 0 when at least one part is known), share_foreign_background,
    share_parents_post_secondary (fractions 0..1), library_id, library_name, library_kind,
    location_class (the library that serves the school; the one on its own unit first).
    """
    statement = (
        sa.select(
            School.id.label("school_id"),
            School.school_unit_code,
            School.name.label("school_name"),
            School.municipality_id,
            Municipality.code.label("municipality_code"),
            Municipality.name.label("municipality_name"),
            Municipality.fictional,
            School.district_id,
            District.name.label("district"),
            School.organiser_type,
            School.organiser,
            School.has_preschool_class,
            School.has_grades_1_3,
            School.has_grades_4_6,
            School.has_grades_7_9,
            School.has_upper_secondary,
            School.has_adapted,
            School.x,
            School.y,
            SchoolYear.year,
            *[getattr(SchoolYear, c) for c in PUPIL_TOTAL_PARTS + GRADE_COLUMNS],
            SchoolYear.share_foreign_background,
            SchoolYear.share_parents_post_secondary,
        )
        .join(Municipality, Municipality.id == School.municipality_id)
        .outerjoin(District, District.id == School.district_id)
        .join(SchoolYear, SchoolYear.school_id == School.id)
        .order_by(SchoolYear.year, School.school_unit_code)
    )
    statement = _years_filter(statement, SchoolYear.year, years)
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(School.municipality_id.in_(ids))
    frame = _read(session, statement)
    for column in (
        "fictional",
        "has_preschool_class",
        "has_grades_1_3",
        "has_grades_4_6",
        "has_grades_7_9",
        "has_upper_secondary",
        "has_adapted",
    ):
        frame[column] = frame[column].astype(bool)
    parts = frame[PUPIL_TOTAL_PARTS]
    frame["pupils_total"] = parts.sum(axis=1, min_count=1).astype("Int64")
    frame["stages"] = stage_label(frame) if len(frame) else pd.Series(dtype=str)

    served = _serving_library(session)
    frame = frame.merge(served, on="school_id", how="left")
    frame["library_id"] = frame["library_id"].astype("Int64")
    frame["location_class"] = frame["location_class"].astype("Int64")
    return frame


_KIND_PRIORITY = {
    "own": 0,
    "shared": 1,
    "integrated": 2,
    "public_special_reasons": 3,
    "book_room": 4,
    "none": 5,
}


def _serving_library(session: Session) -> pd.DataFrame:
    links = _read(
        session,
        sa.select(
            LibrarySchool.school_id,
            Library.id.label("library_id"),
            Library.name.label("library_name"),
            Library.kind.label("library_kind"),
            Library.location_class,
            Library.host_school_id,
        ).join(Library, Library.id == LibrarySchool.library_id),
    )
    if links.empty:
        return pd.DataFrame(
            columns=["school_id", "library_id", "library_name", "library_kind", "location_class"]
        )
    links["on_own_unit"] = links["host_school_id"] == links["school_id"]
    links["priority"] = links["library_kind"].map(_KIND_PRIORITY).fillna(9)
    links = links.sort_values(
        ["school_id", "on_own_unit", "priority", "library_id"], ascending=[True, False, True, True]
    )
    first = links.drop_duplicates("school_id")
    return first[["school_id", "library_id", "library_name", "library_kind", "location_class"]]


def library_year_frame(
    session: Session,
    years: Iterable[int] | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per library and inventory year (for every library-year on record).

    Columns
    -------
    library_id, library_name, library_kind, location_class, host_school_id,
    municipality_id, municipality_code, municipality_name, fictional, district (of the host
    school, else of the largest served school), year;
    schools_served (count), school_unit_codes (comma-separated), pupils_served (sum of the
    served schools' pupils_total that year; missing when no served school has a count);
    hours_lis_librarian, hours_teacher_librarian, hours_assistant, hours_other (staff hours per
    week by category), staffed_hours (their sum), open_hours_staffed_all,
    open_hours_staffed_classes, open_hours_unstaffed; items (physical holdings, all categories
    but e-books), items_last_10_years, e_books, acquisitions, weeded,
    median_publication_year (item-weighted median of the category medians);
    media_cost_physical_sek, media_cost_emedia_sek, media_cost_sek; loans, area_m2, seats,
    pupil_computers, catalogue_kind, library_plan_adopted; x, y (EPSG:3006);
    share_foreign_background, share_parents_post_secondary (pupil-weighted means over served
    schools).
    """
    statement = (
        sa.select(
            Library.id.label("library_id"),
            Library.name.label("library_name"),
            Library.kind.label("library_kind"),
            Library.location_class,
            Library.host_school_id,
            Library.municipality_id,
            Municipality.code.label("municipality_code"),
            Municipality.name.label("municipality_name"),
            Municipality.fictional,
            Library.x,
            Library.y,
            LibraryYear.year,
            *[getattr(LibraryYear, c) for c in STAFF_HOUR_COLUMNS + OPEN_HOUR_COLUMNS],
            LibraryYear.media_cost_physical_sek,
            LibraryYear.media_cost_emedia_sek,
            LibraryYear.loans,
            LibraryYear.area_m2,
            LibraryYear.seats,
            LibraryYear.pupil_computers,
            LibraryYear.catalogue_kind,
            LibraryYear.library_plan_adopted,
        )
        .join(Municipality, Municipality.id == Library.municipality_id)
        .join(LibraryYear, LibraryYear.library_id == Library.id)
        .order_by(LibraryYear.year, Library.id)
    )
    statement = _years_filter(statement, LibraryYear.year, years)
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(Library.municipality_id.in_(ids))
    frame = _read(session, statement)
    frame["fictional"] = frame["fictional"].astype(bool)
    frame["staffed_hours"] = frame[STAFF_HOUR_COLUMNS].sum(axis=1, min_count=1)
    media = frame[["media_cost_physical_sek", "media_cost_emedia_sek"]]
    frame["media_cost_sek"] = media.sum(axis=1, min_count=1)

    frame = frame.merge(_served_pupils(session, years), on=["library_id", "year"], how="left")
    frame["schools_served"] = frame["schools_served"].fillna(0).astype(int)
    frame = frame.merge(_library_district(session), on="library_id", how="left")
    frame = frame.merge(_collection_totals(session, years), on=["library_id", "year"], how="left")
    return frame


def _served_pupils(session: Session, years: Iterable[int] | None) -> pd.DataFrame:
    statement = (
        sa.select(
            LibrarySchool.library_id,
            School.school_unit_code,
            SchoolYear.year,
            *[getattr(SchoolYear, c) for c in PUPIL_TOTAL_PARTS],
            SchoolYear.share_foreign_background,
            SchoolYear.share_parents_post_secondary,
        )
        .join(School, School.id == LibrarySchool.school_id)
        .join(SchoolYear, SchoolYear.school_id == School.id)
    )
    statement = _years_filter(statement, SchoolYear.year, years)
    links = _read(session, statement)
    columns = [
        "library_id",
        "year",
        "schools_served",
        "school_unit_codes",
        "pupils_served",
        "share_foreign_background",
        "share_parents_post_secondary",
    ]
    if links.empty:
        return pd.DataFrame(columns=columns)
    links["pupils"] = links[PUPIL_TOTAL_PARTS].sum(axis=1, min_count=1)
    shares = ["share_foreign_background", "share_parents_post_secondary"]
    for share in shares:
        known = links[share].notna() & links["pupils"].notna()
        links[f"{share}_w"] = links[share].where(known) * links["pupils"].where(known)
        links[f"{share}_n"] = links["pupils"].where(known)
    grouped = links.sort_values("school_unit_code").groupby(["library_id", "year"])
    result = grouped.agg(
        schools_served=("school_unit_code", "size"),
        school_unit_codes=("school_unit_code", ",".join),
        **{f"{s}_w": (f"{s}_w", "sum") for s in shares},
        **{f"{s}_n": (f"{s}_n", "sum") for s in shares},
    )
    # missing when no served school has a count (a plain sum would say 0)
    result["pupils_served"] = grouped["pupils"].sum(min_count=1)
    result = result.reset_index()
    for share in shares:
        denominator = result[f"{share}_n"].where(result[f"{share}_n"] > 0)
        result[share] = result[f"{share}_w"] / denominator
    return result[columns]


def _library_district(session: Session) -> pd.DataFrame:
    """District of the host school, else of the served school with most pupils on record."""
    links = _read(
        session,
        sa.select(
            Library.id.label("library_id"),
            Library.host_school_id,
            LibrarySchool.school_id,
            District.name.label("district"),
            sa.func.coalesce(sa.func.max(SchoolYear.pupils_grades_1_9), 0).label("size"),
        )
        .join(LibrarySchool, LibrarySchool.library_id == Library.id)
        .join(School, School.id == LibrarySchool.school_id)
        .outerjoin(District, District.id == School.district_id)
        .outerjoin(SchoolYear, SchoolYear.school_id == School.id)
        .group_by(Library.id, Library.host_school_id, LibrarySchool.school_id, District.name),
    )
    if links.empty:
        return pd.DataFrame(columns=["library_id", "district"])
    links["is_host"] = links["host_school_id"] == links["school_id"]
    links = links.sort_values(
        ["library_id", "is_host", "size", "school_id"], ascending=[True, False, False, True]
    )
    return links.drop_duplicates("library_id")[["library_id", "district"]]


def _collection_totals(session: Session, years: Iterable[int] | None) -> pd.DataFrame:
    statement = sa.select(
        CollectionYear.library_id,
        CollectionYear.year,
        CollectionYear.category,
        CollectionYear.items,
        CollectionYear.items_last_10_years,
        CollectionYear.median_publication_year,
        CollectionYear.acquisitions,
        CollectionYear.weeded,
    )
    statement = _years_filter(statement, CollectionYear.year, years)
    rows = _read(session, statement)
    columns = [
        "library_id",
        "year",
        "items",
        "items_last_10_years",
        "e_books",
        "acquisitions",
        "weeded",
        "median_publication_year",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    physical = rows[rows["category"].isin(PHYSICAL_CATEGORIES)]
    keys = ["library_id", "year"]
    summed = ["items", "items_last_10_years", "acquisitions", "weeded"]
    totals = physical.groupby(keys)[summed].sum(min_count=1)  # all missing stays missing
    median = _weighted_median_year(physical, keys)
    e_books = (
        rows[rows["category"] == CollectionCategory.E_BOOKS.value]
        .groupby(keys)["items"]
        .sum(min_count=1)
        .rename("e_books")
    )
    result = totals.join(median, how="left").join(e_books, how="outer").reset_index()
    return result[columns]


def _weighted_median_year(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Item-weighted median of the category medians per group (the lower median)."""
    known = rows.dropna(subset=["median_publication_year", "items"])
    known = known[known["items"] > 0].sort_values([*keys, "median_publication_year"])
    if known.empty:
        empty = pd.MultiIndex.from_arrays([[] for _ in keys], names=keys)
        return pd.Series(dtype=float, index=empty, name="median_publication_year")
    cumulative = known.groupby(keys)["items"].cumsum()
    half = known.groupby(keys)["items"].transform("sum") / 2
    reached = known[cumulative >= half]
    first = reached.groupby(keys)["median_publication_year"].first()
    return first.astype(float).rename("median_publication_year")


def catalogue_item_counts(session: Session) -> pd.DataFrame:
    """Items per library in the item catalogue: ``library_id``, ``library_name``, ``items``."""
    statement = (
        sa.select(
            Library.id.label("library_id"),
            Library.name.label("library_name"),
            sa.func.count(CatalogueItem.id).label("items"),
        )
        .join(CatalogueItem, CatalogueItem.library_id == Library.id)
        .group_by(Library.id, Library.name)
        .order_by(Library.id)
    )
    return _read(session, statement)


def library_year_versions(
    session: Session, library_ids: Iterable[int], year: int
) -> dict[int, int]:
    """``{library_id: row_version}`` of the libraries' rows for ``year`` (absent: no row).

    An editor keeps these from when it loaded the table, so a save can be refused when someone
    else saved a row in between (:class:`inventory.editing.StaleEditError`).
    """
    ids = [int(i) for i in library_ids]
    if not ids:
        return {}
    rows = session.execute(
        sa.select(LibraryYear.library_id, LibraryYear.row_version).where(
            LibraryYear.year == int(year), LibraryYear.library_id.in_(ids)
        )
    )
    return {int(library_id): int(version) for library_id, version in rows}


def municipalities(session: Session) -> pd.DataFrame:
    """All municipalities: ``municipality_id, code, name, county_code, county, fictional``."""
    frame = _read(
        session,
        sa.select(
            Municipality.id.label("municipality_id"),
            Municipality.code,
            Municipality.name,
            Municipality.county_code,
            Municipality.county,
            Municipality.fictional,
            Municipality.boundary_wkt,
        ).order_by(Municipality.code),
    )
    frame["fictional"] = frame["fictional"].astype(bool)
    return frame


def districts(session: Session, municipality: str | None = None) -> pd.DataFrame:
    """Districts: ``district_id, municipality_code, name, geometry_wkt`` (WKT in EPSG:3006)."""
    statement = (
        sa.select(
            District.id.label("district_id"),
            Municipality.code.label("municipality_code"),
            District.name,
            District.geometry_wkt,
        )
        .join(Municipality, Municipality.id == District.municipality_id)
        .order_by(District.id)
    )
    if municipality is not None:
        statement = statement.where(Municipality.code == municipality)
    return _read(session, statement)


def libraries(session: Session, municipality: str | None = None) -> pd.DataFrame:
    """Libraries: ``library_id, name, kind, location_class, host_school_id, x, y,
    municipality_code``."""
    statement = (
        sa.select(
            Library.id.label("library_id"),
            Library.name,
            Library.kind,
            Library.location_class,
            Library.host_school_id,
            Library.x,
            Library.y,
            Municipality.code.label("municipality_code"),
        )
        .join(Municipality, Municipality.id == Library.municipality_id)
        .order_by(Library.id)
    )
    if municipality is not None:
        statement = statement.where(Municipality.code == municipality)
    return _read(session, statement)


def inventory_years(session: Session) -> list[int]:
    """Sorted years with school or library facts."""
    years = session.execute(
        sa.union(sa.select(SchoolYear.year), sa.select(LibraryYear.year))
    ).scalars()
    return sorted({int(y) for y in years})


def summary_counts(session: Session) -> dict:
    """Counts over the whole database, as printed by ``skolbib info``.

    Keys: ``municipalities``, ``districts``, ``schools``, ``libraries``, ``library_years``,
    ``catalogue_items``, ``years`` (sorted ints) and ``pupils_by_year`` (year as a string →
    förskoleklass + years 1-9 + upper secondary summed over all schools).
    """

    def count(model) -> int:  # noqa: ANN001
        return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())

    pupils = (
        sa.func.coalesce(SchoolYear.pupils_preschool_class, 0)
        + sa.func.coalesce(SchoolYear.pupils_grades_1_9, 0)
        + sa.func.coalesce(SchoolYear.pupils_upper_secondary, 0)
    )
    rows = session.execute(
        sa.select(SchoolYear.year, sa.func.sum(pupils)).group_by(SchoolYear.year)
    ).all()
    return {
        "municipalities": count(Municipality),
        "districts": count(District),
        "schools": count(School),
        "libraries": count(Library),
        "library_years": count(LibraryYear),
        "catalogue_items": count(CatalogueItem),
        "years": inventory_years(session),
        "pupils_by_year": {str(int(year)): int(total or 0) for year, total in sorted(rows)},
    }


# --------------------------------------------------------------------------- collections


def _library_ids_filter(statement: sa.Select, column: sa.ColumnElement, ids: Iterable[int] | None):
    if ids is not None:
        statement = statement.where(column.in_([int(i) for i in ids]))
    return statement


def _as_int64(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame


def collection_years(
    session: Session,
    years: Iterable[int] | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per library, year and collection category (as recorded, e-books included).

    Columns
    -------
    library_id, library_name, municipality_code (of the library), year, category (a
    :class:`~inventory.models.CollectionCategory` value), items, items_last_10_years,
    median_publication_year, acquisitions, weeded (``Int64``; missing stays missing).
    ``municipality`` keeps the libraries of those municipality codes.
    """
    statement = (
        sa.select(
            Library.id.label("library_id"),
            Library.name.label("library_name"),
            Municipality.code.label("municipality_code"),
            CollectionYear.year,
            CollectionYear.category,
            CollectionYear.items,
            CollectionYear.items_last_10_years,
            CollectionYear.median_publication_year,
            CollectionYear.acquisitions,
            CollectionYear.weeded,
        )
        .join(Library, Library.id == CollectionYear.library_id)
        .join(Municipality, Municipality.id == Library.municipality_id)
        .order_by(CollectionYear.year, Library.id, CollectionYear.category)
    )
    statement = _years_filter(statement, CollectionYear.year, years)
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(Library.municipality_id.in_(ids))
    frame = _read(session, statement)
    counts = ["items", "items_last_10_years", "median_publication_year", "acquisitions", "weeded"]
    return _as_int64(frame, ["library_id", "year", *counts])


def catalogue_items(
    session: Session, library_ids: Iterable[int] | None = None, incomplete_only: bool = False
) -> pd.DataFrame:
    """Items of the item-level catalogue, one row per item.

    ``library_ids`` keeps those libraries (default: all). With ``incomplete_only`` only the
    items lacking a publication year or a classification (missing or blank) are returned.

    Columns
    -------
    library_id, library_name, item_key, title, classification_system, classification,
    publication_year (``Int64``), language, media_type, last_loan_date (``datetime64``, NaT
    when never lent); ordered by library and item key.
    """
    statement = (
        sa.select(
            CatalogueItem.library_id,
            Library.name.label("library_name"),
            CatalogueItem.item_key,
            CatalogueItem.title,
            CatalogueItem.classification_system,
            CatalogueItem.classification,
            CatalogueItem.publication_year,
            CatalogueItem.language,
            CatalogueItem.media_type,
            CatalogueItem.last_loan_date,
        )
        .join(Library, Library.id == CatalogueItem.library_id)
        .order_by(CatalogueItem.library_id, CatalogueItem.item_key)
    )
    statement = _library_ids_filter(statement, CatalogueItem.library_id, library_ids)
    if incomplete_only:
        blank = sa.func.trim(sa.func.coalesce(CatalogueItem.classification, "")) == ""
        statement = statement.where(sa.or_(CatalogueItem.publication_year.is_(None), blank))
    frame = _read(session, statement)
    frame = _as_int64(frame, ["library_id", "publication_year"])
    frame["last_loan_date"] = pd.to_datetime(frame["last_loan_date"])
    return frame


def catalogue_year_counts(
    session: Session, library_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Catalogue items per library, publication year and media type (counted in the database).

    Columns
    -------
    library_id, publication_year (``Int64``; missing counts the items without a year),
    media_type (as exported; missing when not given), items; ordered by library, year
    (missing last) and media type.
    """
    statement = sa.select(
        CatalogueItem.library_id,
        CatalogueItem.publication_year,
        CatalogueItem.media_type,
        sa.func.count(CatalogueItem.id).label("items"),
    ).group_by(CatalogueItem.library_id, CatalogueItem.publication_year, CatalogueItem.media_type)
    statement = _library_ids_filter(statement, CatalogueItem.library_id, library_ids)
    frame = _as_int64(_read(session, statement), ["library_id", "publication_year", "items"])
    return frame.sort_values(
        ["library_id", "publication_year", "media_type"], na_position="last", ignore_index=True
    )


# --------------------------------------------------------------------------- follow-up


def resource_centre_years(
    session: Session,
    years: Iterable[int] | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Regional resource centre statistics, one row per municipality or school unit and year.

    Columns
    -------
    municipality_code, municipality_name, fictional, level (``"municipality"`` for a row about
    the municipality as a whole, ``"school"`` for a row about one of its school units),
    school_id, school_unit_code, school_name (missing on municipality rows), year,
    av_media_loans, technology_loans, training_participants (``Int64``), training_hours
    (float); ordered by year, municipality code, level and school unit code.
    """
    statement = (
        sa.select(
            Municipality.code.label("municipality_code"),
            Municipality.name.label("municipality_name"),
            Municipality.fictional,
            ResourceCentreYear.school_id,
            School.school_unit_code,
            School.name.label("school_name"),
            ResourceCentreYear.year,
            ResourceCentreYear.av_media_loans,
            ResourceCentreYear.technology_loans,
            ResourceCentreYear.training_participants,
            ResourceCentreYear.training_hours,
        )
        .join(Municipality, Municipality.id == ResourceCentreYear.municipality_id)
        .outerjoin(School, School.id == ResourceCentreYear.school_id)
    )
    statement = _years_filter(statement, ResourceCentreYear.year, years)
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(ResourceCentreYear.municipality_id.in_(ids))
    frame = _read(session, statement)
    frame["fictional"] = frame["fictional"].astype(bool)
    frame.insert(3, "level", np.where(frame["school_id"].isna(), "municipality", "school"))
    frame = _as_int64(
        frame,
        ["school_id", "year", "av_media_loans", "technology_loans", "training_participants"],
    )
    frame["training_hours"] = pd.to_numeric(frame["training_hours"]).astype("float64")
    return frame.sort_values(
        ["year", "municipality_code", "level", "school_unit_code"],
        na_position="first",
        ignore_index=True,
    )


def surveys(session: Session) -> pd.DataFrame:
    """Every survey with its size.

    Columns
    -------
    survey_id, title, year, audience, published (bool), questions, answers (answer rows),
    respondents (distinct respondent keys); newest year first, then by title.
    """
    questions = (
        sa.select(SurveyQuestion.survey_id, sa.func.count(SurveyQuestion.id).label("questions"))
        .group_by(SurveyQuestion.survey_id)
        .subquery()
    )
    answers = (
        sa.select(
            SurveyAnswer.survey_id,
            sa.func.count(SurveyAnswer.id).label("answers"),
            sa.func.count(sa.distinct(SurveyAnswer.respondent_key)).label("respondents"),
        )
        .group_by(SurveyAnswer.survey_id)
        .subquery()
    )
    statement = (
        sa.select(
            Survey.id.label("survey_id"),
            Survey.title,
            Survey.year,
            Survey.audience,
            Survey.published,
            sa.func.coalesce(questions.c.questions, 0).label("questions"),
            sa.func.coalesce(answers.c.answers, 0).label("answers"),
            sa.func.coalesce(answers.c.respondents, 0).label("respondents"),
        )
        .outerjoin(questions, questions.c.survey_id == Survey.id)
        .outerjoin(answers, answers.c.survey_id == Survey.id)
        .order_by(Survey.year.desc(), Survey.title)
    )
    frame = _read(session, statement)
    frame["published"] = frame["published"].astype(bool)
    return _as_int64(frame, ["survey_id", "year", "questions", "answers", "respondents"])


def survey_answers(
    session: Session,
    survey_id: int | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Survey answers in long form, one row per answer, with the question and school unit.

    ``survey_id`` keeps one survey (default: all). ``municipality`` keeps the answers given
    for a school unit of those municipality codes (answers without a school unit are then
    left out).

    Columns
    -------
    survey_id, survey_title, survey_year, question_id, question_code, question_sv,
    question_en (missing when not translated), question_kind (``"likert"``/``"text"``),
    respondent_key (pseudonymous), respondent_role, school_id, school_unit_code,
    school_name, municipality_code (missing without a school unit), likert_value (``Int64``,
    1..5), text_value; ordered by survey, question (in the order added) and respondent.
    """
    statement = (
        sa.select(
            Survey.id.label("survey_id"),
            Survey.title.label("survey_title"),
            Survey.year.label("survey_year"),
            SurveyQuestion.id.label("question_id"),
            SurveyQuestion.code.label("question_code"),
            SurveyQuestion.text_sv.label("question_sv"),
            SurveyQuestion.text_en.label("question_en"),
            SurveyQuestion.kind.label("question_kind"),
            SurveyAnswer.respondent_key,
            SurveyAnswer.respondent_role,
            SurveyAnswer.school_id,
            School.school_unit_code,
            School.name.label("school_name"),
            Municipality.code.label("municipality_code"),
            SurveyAnswer.likert_value,
            SurveyAnswer.text_value,
        )
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .outerjoin(School, School.id == SurveyAnswer.school_id)
        .outerjoin(Municipality, Municipality.id == School.municipality_id)
        .order_by(Survey.id, SurveyQuestion.id, SurveyAnswer.respondent_key)
    )
    if survey_id is not None:
        statement = statement.where(SurveyAnswer.survey_id == int(survey_id))
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(School.municipality_id.in_(ids))
    frame = _read(session, statement)
    return _as_int64(
        frame, ["survey_id", "survey_year", "question_id", "school_id", "likert_value"]
    )


# --------------------------------------------------------------------------- action plans


def action_plans(
    session: Session,
    years: Iterable[int] | None = None,
    municipality: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Action plans of school units, one row per school unit, year and plan kind on record.

    Columns
    -------
    action_plan_id, school_id, school_unit_code, school_name, municipality_code, district,
    year, kind (``library_plan``, ``reading_promotion``, ``media_information_literacy``),
    status (``missing``, ``draft``, ``adopted``, ``under_revision``), adopted_date
    (``datetime64``, NaT when missing), document_link; ordered by year, school unit code and
    kind. A school unit with no row for a kind has nothing on record (not the same as a row
    with status ``missing``).
    """
    statement = (
        sa.select(
            ActionPlan.id.label("action_plan_id"),
            ActionPlan.school_id,
            School.school_unit_code,
            School.name.label("school_name"),
            Municipality.code.label("municipality_code"),
            District.name.label("district"),
            ActionPlan.year,
            ActionPlan.kind,
            ActionPlan.status,
            ActionPlan.adopted_date,
            ActionPlan.document_link,
        )
        .join(School, School.id == ActionPlan.school_id)
        .join(Municipality, Municipality.id == School.municipality_id)
        .outerjoin(District, District.id == School.district_id)
        .order_by(ActionPlan.year, School.school_unit_code, ActionPlan.kind)
    )
    statement = _years_filter(statement, ActionPlan.year, years)
    ids = _municipality_ids(session, municipality)
    if ids is not None:
        statement = statement.where(School.municipality_id.in_(ids))
    frame = _read(session, statement)
    frame["adopted_date"] = pd.to_datetime(frame["adopted_date"])
    return _as_int64(frame, ["action_plan_id", "school_id", "year"])


# --------------------------------------------------------------------------- pupil outcomes


def school_results(
    session: Session,
    years: Iterable[int] | None = None,
    municipalities: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Skolverket's year-9 final grades, one row per school unit and year, with its need inputs.

    ``years`` keeps those school years (2024 is 2024/25); ``municipalities`` keeps the school
    units of those municipality codes.

    Columns
    -------
    school_id, school_unit_code, school_name, municipality_code, municipality_name, fictional,
    year, pupils (``Int64``: pupils leaving year 9; missing when suppressed or not given),
    share_all_subjects, share_eligible_vocational (fractions 0..1), mean_merit_value (0..340),
    suppressed (bool: at least one value was suppressed by Skolverket),
    share_foreign_background, share_parents_post_secondary (the school unit's need inputs of
    the same year from ``school_year``; missing when there is no such row); ordered by year and
    school unit code.
    """
    statement = (
        sa.select(
            School.id.label("school_id"),
            School.school_unit_code,
            School.name.label("school_name"),
            Municipality.code.label("municipality_code"),
            Municipality.name.label("municipality_name"),
            Municipality.fictional,
            SchoolResult.year,
            SchoolResult.pupils,
            SchoolResult.share_all_subjects,
            SchoolResult.share_eligible_vocational,
            SchoolResult.mean_merit_value,
            SchoolResult.suppressed,
            SchoolYear.share_foreign_background,
            SchoolYear.share_parents_post_secondary,
        )
        .join(School, School.id == SchoolResult.school_id)
        .join(Municipality, Municipality.id == School.municipality_id)
        .outerjoin(
            SchoolYear,
            sa.and_(
                SchoolYear.school_id == SchoolResult.school_id, SchoolYear.year == SchoolResult.year
            ),
        )
        .order_by(SchoolResult.year, School.school_unit_code)
    )
    statement = _years_filter(statement, SchoolResult.year, years)
    ids = _municipality_ids(session, municipalities)
    if ids is not None:
        statement = statement.where(School.municipality_id.in_(ids))
    frame = _read(session, statement)
    for column in ("fictional", "suppressed"):
        frame[column] = frame[column].astype(bool)
    floats = [
        "share_all_subjects",
        "share_eligible_vocational",
        "mean_merit_value",
        "share_foreign_background",
        "share_parents_post_secondary",
    ]
    frame[floats] = frame[floats].apply(pd.to_numeric, errors="coerce").astype("float64")
    return _as_int64(frame, ["school_id", "year", "pupils"])
