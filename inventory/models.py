"""SQLModel tables of the skolbib inventory.

Every entity of the data model in ARCHITECTURE.md is a table here. Table models do not validate
on construction (SQLModel behaviour), so writes go through :mod:`inventory.writes`, which calls
``Model.model_validate`` and checks references before anything reaches the database. The
database still enforces the same rules as a last line: NOT NULL, CHECK constraints generated
from the field bounds and coded-value enums below, UNIQUE natural keys and foreign keys (on
SQLite too, see :mod:`inventory.db`).

Coordinates are stored as planar x/y in SWEREF 99 TM (EPSG:3006); polygons as WKT in the same
reference system. Shares are fractions in 0..1, money in whole SEK, hours per week in 0..168.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import annotated_types
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

FIRST_YEAR = 1990
LAST_YEAR = 2100
HOURS_PER_WEEK = 168


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- coded values


class OrganiserType(enum.StrEnum):
    """Huvudman: municipal (kommunal) or independent (enskild)."""

    MUNICIPAL = "municipal"
    INDEPENDENT = "independent"
    STATE = "state"
    REGION = "region"


class LibraryKind(enum.StrEnum):
    """How a school's pupils get their library (ARCHITECTURE.md, Library.kind)."""

    OWN = "own"  # own school library on the unit
    SHARED = "shared"  # shared with other school units
    INTEGRATED = "integrated"  # integrated with the public library by political decision
    PUBLIC_SPECIAL_REASONS = "public_special_reasons"  # public library under "särskilda skäl"
    BOOK_ROOM = "book_room"  # book room only
    NONE = "none"


class LocationClass(enum.IntEnum):
    """KB VAR01: 1 in the school, 2 reachable within a lesson, 3 further."""

    IN_SCHOOL = 1
    WITHIN_LESSON = 2
    FURTHER = 3


class CatalogueKind(enum.StrEnum):
    """KB VAR03: how the collection is catalogued."""

    NONE = "none"
    MANUAL = "manual"
    DIGITAL_STAFF = "digital_staff"
    DIGITAL_TEACHERS = "digital_teachers"
    DIGITAL_PUPILS = "digital_pupils"


class CollectionCategory(enum.StrEnum):
    FICTION = "fiction"
    NON_FICTION = "non_fiction"
    PICTURE_BOOKS = "picture_books"
    EASY_READ = "easy_read"
    OTHER_LANGUAGES = "other_languages"
    AUDIOBOOKS = "audiobooks"
    E_BOOKS = "e_books"


class ClassificationSystem(enum.StrEnum):
    DDC = "DDC"
    SAB = "SAB"


class ActionPlanKind(enum.StrEnum):
    LIBRARY_PLAN = "library_plan"
    READING_PROMOTION = "reading_promotion"
    MIL = "media_information_literacy"


class ActionPlanStatus(enum.StrEnum):
    MISSING = "missing"
    DRAFT = "draft"
    ADOPTED = "adopted"
    UNDER_REVISION = "under_revision"


class RespondentRole(enum.StrEnum):
    LIBRARIAN = "librarian"
    TEACHER = "teacher"
    PRINCIPAL = "principal"
    PUPIL = "pupil"


class QuestionKind(enum.StrEnum):
    LIKERT = "likert"
    TEXT = "text"


class ScenarioStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN_FOR_COMMENT = "open_for_comment"
    REVISED = "revised"
    ADOPTED = "adopted"
    ARCHIVED = "archived"


class CommentStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"


class Role(enum.StrEnum):
    ADMIN = "admin"
    PROJECT_LEADER = "projektledare"
    REFERENCE_GROUP = "referensgrupp"
    MANAGER = "chef"


# --------------------------------------------------------------------------- field helpers


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        index=True,
        nullable=nullable,
        ondelete=ondelete,
    )


def _year() -> Any:
    return Field(ge=FIRST_YEAR, le=LAST_YEAR, index=True)


def _hours(nullable: bool = True) -> Any:
    """Hours per week, 0..168."""
    return Field(default=None if nullable else 0, ge=0, le=HOURS_PER_WEEK)


def _count(nullable: bool = True) -> Any:
    return Field(default=None if nullable else 0, ge=0)


def _share() -> Any:
    return Field(default=None, ge=0, le=1)


def _row_version() -> Any:
    """Optimistic-locking counter: every hand edit bumps it; a stale edit is refused."""
    return Field(default=1, ge=1, sa_column_kwargs={"server_default": "1"})


def _code(default: Any = ..., nullable: bool = False) -> Any:
    return Field(default=default, sa_type=sa.String(40), nullable=nullable)


# --------------------------------------------------------------------------- geography


class Municipality(SQLModel, table=True):
    """Kommun, keyed by its 4-digit kommunkod."""

    __tablename__ = "municipality"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, min_length=4, max_length=4, schema_extra={"pattern": r"^\d{4}$"})
    name: str = Field(min_length=1, max_length=120)
    county_code: str = Field(min_length=2, max_length=2, schema_extra={"pattern": r"^\d{2}$"})
    county: str = Field(min_length=1, max_length=120)
    fictional: bool = Field(default=False)
    boundary_wkt: str | None = Field(default=None, sa_type=sa.Text)


class District(SQLModel, table=True):
    """Skolområde within a municipality; optional polygon (WKT, EPSG:3006)."""

    __tablename__ = "district"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = _fk("municipality.id")
    name: str = Field(min_length=1, max_length=120)
    geometry_wkt: str | None = Field(default=None, sa_type=sa.Text)


# --------------------------------------------------------------------------- schools


class School(SQLModel, table=True):
    """Skolenhet, keyed by its 8-digit skolenhetskod."""

    __tablename__ = "school"
    id: int | None = Field(default=None, primary_key=True)
    school_unit_code: str = Field(
        unique=True, min_length=8, max_length=8, schema_extra={"pattern": r"^\d{8}$"}
    )
    name: str = Field(min_length=1, max_length=200)
    municipality_id: int = _fk("municipality.id")
    district_id: int | None = _fk("district.id", nullable=True)
    organiser_type: OrganiserType = _code()
    organiser: str | None = Field(default=None, max_length=200)
    has_preschool_class: bool = Field(default=False)
    has_grades_1_3: bool = Field(default=False)
    has_grades_4_6: bool = Field(default=False)
    has_grades_7_9: bool = Field(default=False)
    has_upper_secondary: bool = Field(default=False)
    has_adapted: bool = Field(default=False)
    x: float | None = Field(default=None)
    y: float | None = Field(default=None)


class SchoolYear(SQLModel, table=True):
    """Pupils of a school unit in one school year (2023/24 is year 2023) and its need inputs.

    The need-index inputs are per year because Skolverket publishes them per school year.
    """

    __tablename__ = "school_year"
    __table_args__ = (sa.UniqueConstraint("school_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = _fk("school.id", ondelete="CASCADE")
    year: int = _year()
    pupils_preschool_class: int | None = _count()
    pupils_grades_1_9: int | None = _count()
    pupils_upper_secondary: int | None = _count()
    pupils_grade_1: int | None = _count()
    pupils_grade_2: int | None = _count()
    pupils_grade_3: int | None = _count()
    pupils_grade_4: int | None = _count()
    pupils_grade_5: int | None = _count()
    pupils_grade_6: int | None = _count()
    pupils_grade_7: int | None = _count()
    pupils_grade_8: int | None = _count()
    pupils_grade_9: int | None = _count()
    share_foreign_background: float | None = _share()
    share_parents_post_secondary: float | None = _share()


# --------------------------------------------------------------------------- libraries


class Library(SQLModel, table=True):
    """A school library, book room, integrated or public library that serves school units."""

    __tablename__ = "library"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=200)
    municipality_id: int = _fk("municipality.id")
    kind: LibraryKind = _code()
    location_class: int | None = Field(default=None, ge=1, le=3)
    host_school_id: int | None = _fk("school.id", nullable=True)
    x: float | None = Field(default=None)
    y: float | None = Field(default=None)


class LibrarySchool(SQLModel, table=True):
    """Which school units a library serves (many-to-many), with documented special reasons."""

    __tablename__ = "library_school"
    library_id: int = Field(foreign_key="library.id", primary_key=True, ondelete="CASCADE")
    school_id: int = Field(foreign_key="school.id", primary_key=True, ondelete="CASCADE")
    special_reasons: str | None = Field(default=None, max_length=2000)


class LibraryYear(SQLModel, table=True):
    """Facts of one library in one inventory year (KB statistics definitions where they exist)."""

    __tablename__ = "library_year"
    __table_args__ = (sa.UniqueConstraint("library_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    library_id: int = _fk("library.id", ondelete="CASCADE")
    year: int = _year()
    hours_lis_librarian: float | None = _hours()
    hours_teacher_librarian: float | None = _hours()
    hours_assistant: float | None = _hours()
    hours_other: float | None = _hours()
    open_hours_staffed_all: float | None = _hours()
    open_hours_staffed_classes: float | None = _hours()
    open_hours_unstaffed: float | None = _hours()
    area_m2: float | None = Field(default=None, ge=0)
    seats: int | None = _count()
    pupil_computers: int | None = _count()
    media_cost_physical_sek: int | None = _count()
    media_cost_emedia_sek: int | None = _count()
    loans: int | None = _count()
    catalogue_kind: CatalogueKind | None = _code(default=None, nullable=True)
    library_plan_adopted: bool | None = None
    talking_book_permit: bool | None = None
    minority_language_titles: bool | None = None
    other_language_titles: bool | None = None
    adapted_media: bool | None = None
    row_version: int = _row_version()


class CollectionYear(SQLModel, table=True):
    """Holdings of one category in one library and year (textbooks and class sets excluded)."""

    __tablename__ = "collection_year"
    __table_args__ = (
        sa.UniqueConstraint("library_id", "year", "category"),
        sa.CheckConstraint(
            "items_last_10_years IS NULL OR items IS NULL OR items_last_10_years <= items",
            name="recent_le_items",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    library_id: int = _fk("library.id", ondelete="CASCADE")
    year: int = _year()
    category: CollectionCategory = _code()
    items: int | None = _count()
    items_last_10_years: int | None = _count()
    median_publication_year: int | None = Field(default=None, ge=1400, le=LAST_YEAR)
    acquisitions: int | None = _count()
    weeded: int | None = _count()


class CatalogueItem(SQLModel, table=True):
    """One item from a library system export (optional, large)."""

    __tablename__ = "catalogue_item"
    __table_args__ = (sa.UniqueConstraint("library_id", "item_key"),)
    id: int | None = Field(default=None, primary_key=True)
    library_id: int = _fk("library.id", ondelete="CASCADE")
    item_key: str = Field(min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=500)
    classification_system: ClassificationSystem | None = _code(default=None, nullable=True)
    classification: str | None = Field(default=None, max_length=40)
    publication_year: int | None = Field(default=None, ge=1400, le=LAST_YEAR)
    language: str | None = Field(default=None, max_length=3)
    media_type: str | None = Field(default=None, max_length=40)
    last_loan_date: date | None = None


class ResourceCentreYear(SQLModel, table=True):
    """Regional resource centre statistics for a municipality, or one of its schools, per year."""

    __tablename__ = "resource_centre_year"
    __table_args__ = (
        sa.UniqueConstraint("municipality_id", "school_id", "year"),
        # NULLs are distinct in UNIQUE constraints, so municipality-level rows need their own
        sa.Index(
            "uq_resource_centre_year_municipality_level",
            "municipality_id",
            "year",
            unique=True,
            sqlite_where=sa.text("school_id IS NULL"),
            postgresql_where=sa.text("school_id IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = _fk("municipality.id")
    school_id: int | None = _fk("school.id", nullable=True, ondelete="CASCADE")
    year: int = _year()
    av_media_loans: int | None = _count()
    technology_loans: int | None = _count()
    training_participants: int | None = _count()
    training_hours: float | None = Field(default=None, ge=0)


class ActionPlan(SQLModel, table=True):
    """Library plan, reading-promotion or MIL plan of a school unit."""

    __tablename__ = "action_plan"
    __table_args__ = (sa.UniqueConstraint("school_id", "kind", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = _fk("school.id", ondelete="CASCADE")
    year: int = _year()
    kind: ActionPlanKind = _code()
    status: ActionPlanStatus = _code()
    adopted_date: date | None = None
    document_link: str | None = Field(default=None, max_length=1000)
    row_version: int = _row_version()


# --------------------------------------------------------------------------- surveys


class Survey(SQLModel, table=True):
    __tablename__ = "survey"
    __table_args__ = (sa.UniqueConstraint("title", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(min_length=1, max_length=200)
    year: int = _year()
    audience: str = Field(min_length=1, max_length=200)
    published: bool = Field(default=False)
    #: the app role the survey is published to (None: imported survey, not answered in the app)
    audience_role: Role | None = _code(default=None, nullable=True)
    #: anonymous surveys store no link from an answer to its respondent
    anonymous: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    closes_on: date | None = None
    published_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_by_id: int | None = _fk("app_user.id", nullable=True)


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    __table_args__ = (sa.UniqueConstraint("survey_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = _fk("survey.id", ondelete="CASCADE")
    code: str = Field(min_length=1, max_length=40)
    text_sv: str = Field(min_length=1, max_length=1000)
    text_en: str | None = Field(default=None, max_length=1000)
    kind: QuestionKind = _code()


class SurveyAnswer(SQLModel, table=True):
    """One answer; respondents are pseudonymous keys, never names."""

    __tablename__ = "survey_answer"
    __table_args__ = (sa.UniqueConstraint("question_id", "respondent_key"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = _fk("survey.id", ondelete="CASCADE")
    question_id: int = _fk("survey_question.id", ondelete="CASCADE")
    respondent_key: str = Field(min_length=1, max_length=64)
    respondent_role: RespondentRole = _code()
    school_id: int | None = _fk("school.id", nullable=True)
    likert_value: int | None = Field(default=None, ge=1, le=5)
    text_value: str | None = Field(default=None, max_length=5000)


class SurveyParticipation(SQLModel, table=True):
    """That a user has answered a survey in the app (answers themselves carry no user link)."""

    __tablename__ = "survey_participation"
    __table_args__ = (sa.UniqueConstraint("survey_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = _fk("survey.id", ondelete="CASCADE")
    user_id: int = _fk("app_user.id", ondelete="CASCADE")
    answered_at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))


# --------------------------------------------------------------------------- people


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, min_length=1, max_length=254)
    display_name: str = Field(min_length=1, max_length=200)
    #: e-mail address; single sign-on users are matched on it (the membership key)
    email: str | None = Field(default=None, unique=True, max_length=254)
    role: Role = _code()
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))
    last_login_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    password_changed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, for throttling per account and per client address."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True), index=True)
    username: str = Field(max_length=254, index=True)
    client: str = Field(max_length=100, index=True)
    success: bool = Field(default=False)


class AuditEntry(SQLModel, table=True):
    """Who changed what, old → new, when."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True), index=True)
    user_id: int | None = _fk("app_user.id", nullable=True)
    username: str = Field(min_length=1, max_length=254)
    action: str = Field(min_length=1, max_length=80)
    entity: str = Field(min_length=1, max_length=80)
    entity_id: str | None = Field(default=None, max_length=80)
    field: str | None = Field(default=None, max_length=80)
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)


# --------------------------------------------------------------------------- scenarios


class Scenario(SQLModel, table=True):
    __tablename__ = "scenario"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=200)
    model: str = Field(min_length=1, max_length=60)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    base_year: int = _year()
    municipality_id: int | None = _fk("municipality.id", nullable=True)
    status: ScenarioStatus = _code(default=ScenarioStatus.DRAFT)
    version: int = Field(default=1, ge=1)
    parent_id: int | None = _fk("scenario.id", nullable=True)
    author_id: int | None = _fk("app_user.id", nullable=True)
    solver_status: str | None = Field(default=None, max_length=200)
    objective: float | None = None
    summary_sv: str | None = Field(default=None, sa_type=sa.Text)
    summary_en: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))
    comment_deadline: date | None = None
    adopted_by_id: int | None = _fk("app_user.id", nullable=True)
    adopted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ScenarioEvent(SQLModel, table=True):
    """One step of a scenario's lifecycle (its history: who moved it from what to what, when)."""

    __tablename__ = "scenario_event"
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = _fk("scenario.id", ondelete="CASCADE")
    at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))
    user_id: int | None = _fk("app_user.id", nullable=True)
    username: str = Field(min_length=1, max_length=254)
    from_status: ScenarioStatus | None = _code(default=None, nullable=True)
    to_status: ScenarioStatus = _code()
    version: int = Field(default=1, ge=1)
    note: str | None = Field(default=None, max_length=2000)


class ScenarioResult(SQLModel, table=True):
    """Per-library before/after value of one quantity in a scenario."""

    __tablename__ = "scenario_result"
    __table_args__ = (sa.UniqueConstraint("scenario_id", "library_id", "quantity"),)
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = _fk("scenario.id", ondelete="CASCADE")
    library_id: int = _fk("library.id", ondelete="CASCADE")
    quantity: str = Field(min_length=1, max_length=60)
    before: float | None = None
    after: float | None = None


class Comment(SQLModel, table=True):
    __tablename__ = "comment"
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = _fk("scenario.id", ondelete="CASCADE")
    school_id: int | None = _fk("school.id", nullable=True)
    author_id: int = _fk("app_user.id")
    author_role: Role = _code()
    text: str = Field(min_length=1, max_length=5000, sa_type=sa.Text)
    reply_to_id: int | None = _fk("comment.id", nullable=True)
    status: CommentStatus = _code(default=CommentStatus.OPEN)
    created_at: datetime = Field(default_factory=_utcnow, sa_type=sa.DateTime(timezone=True))
    hidden_by_id: int | None = _fk("app_user.id", nullable=True)
    hidden_reason: str | None = Field(default=None, max_length=1000)
    hidden_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    #: the version of the scenario the comment was made on
    scenario_version: int = Field(default=1, ge=1, sa_column_kwargs={"server_default": "1"})


# --------------------------------------------------------------------------- outcomes


class SchoolResult(SQLModel, table=True):
    """Skolverket's year-9 final grades of one school unit and school year.

    Values Skolverket suppresses (``..``) or marks not applicable (``.``) are stored as missing;
    ``suppressed`` says that at least one value was suppressed for confidentiality.
    """

    __tablename__ = "school_result"
    __table_args__ = (sa.UniqueConstraint("school_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    school_id: int = _fk("school.id", ondelete="CASCADE")
    year: int = _year()
    pupils: int | None = _count()
    share_all_subjects: float | None = _share()
    share_eligible_vocational: float | None = _share()
    mean_merit_value: float | None = Field(default=None, ge=0, le=340)
    suppressed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


# --------------------------------------------------------------------------- generated checks

TABLE_MODELS: tuple[type[SQLModel], ...] = (
    Municipality,
    District,
    School,
    SchoolYear,
    Library,
    LibrarySchool,
    LibraryYear,
    CollectionYear,
    CatalogueItem,
    ResourceCentreYear,
    ActionPlan,
    Survey,
    SurveyQuestion,
    SurveyAnswer,
    SurveyParticipation,
    User,
    LoginAttempt,
    AuditEntry,
    Scenario,
    ScenarioEvent,
    ScenarioResult,
    Comment,
    SchoolResult,
)

#: constraint name -> (table model, field name); used to name the field in error messages.
CHECK_FIELDS: dict[str, tuple[type[SQLModel], str]] = {}


def _enum_of(annotation: Any) -> type[enum.Enum] | None:
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


def _add_generated_checks(model: type[SQLModel]) -> None:
    """Mirror each field's numeric bounds and coded values as CHECK constraints."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    for name, info in model.model_fields.items():
        if name not in table.c:
            continue
        column = sa.column(name)
        bounds = []
        for meta in info.metadata:
            if isinstance(meta, annotated_types.Ge):
                bounds.append(column >= meta.ge)
            elif isinstance(meta, annotated_types.Le):
                bounds.append(column <= meta.le)
        if bounds:
            constraint = sa.CheckConstraint(sa.and_(*bounds), name=f"{name}_range")
            table.append_constraint(constraint)
            CHECK_FIELDS[f"ck_{table.name}_{name}_range"] = (model, name)
        coded = _enum_of(info.annotation)
        if coded is not None and issubclass(coded, enum.StrEnum):
            values = [member.value for member in coded]
            table.append_constraint(sa.CheckConstraint(column.in_(values), name=f"{name}_allowed"))
            CHECK_FIELDS[f"ck_{table.name}_{name}_allowed"] = (model, name)
    CHECK_FIELDS.setdefault(
        "ck_collection_year_recent_le_items", (CollectionYear, "items_last_10_years")
    )


for _model in TABLE_MODELS:
    _add_generated_checks(_model)
