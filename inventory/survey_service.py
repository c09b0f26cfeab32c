"""Surveys answered in skolbib: create, publish, answer once, and results that protect anonymity.

A project leader (``survey.publish``) creates a survey with Likert (1–5) and free-text questions
and publishes it to one app role; the members of that role (``survey.answer``) answer it once.
"Once" is the ``UNIQUE(survey_id, user_id)`` of :class:`~inventory.models.SurveyParticipation`,
written in the same transaction as the answers: a second attempt, even a concurrent one, is
refused and changes nothing.

Anonymous surveys (the default) give every response a random ``respondent_key``; the
participation row says only *that* the user answered, and the audit trail records the same
(action ``"answer"`` on the survey), never a key or a value. Nothing stored links an anonymous
answer to its respondent. A survey that is not anonymous keys the answers ``user-<id>``.

:func:`results_by_role_and_school` summarises the answers per respondent role and school unit
and suppresses every group with fewer than :data:`MIN_GROUP` respondents, and every total from
which such a group could be worked out by subtraction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import audit, repository, writes
from inventory.models import (
    FIRST_YEAR,
    LAST_YEAR,
    Municipality,
    QuestionKind,
    RespondentRole,
    Role,
    School,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
)
from inventory.permissions import Actor, require
from inventory.writes import InventoryValidationError

PUBLISH_PERMISSION = "survey.publish"
ANSWER_PERMISSION = "survey.answer"
ENTITY = Survey.__tablename__
#: Smallest group whose answers are shown.
MIN_GROUP = 3
#: The roles a person answers as in the app (pupils do not have accounts).
ANSWER_ROLES: tuple[str, ...] = (
    RespondentRole.LIBRARIAN.value,
    RespondentRole.TEACHER.value,
    RespondentRole.PRINCIPAL.value,
)
TITLE_MAX, QUESTION_MAX, TEXT_ANSWER_MAX = 200, 1000, 5000
#: Dates (opening, closing) are Swedish calendar days.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

#: reason code -> what was expected (English; the pages translate the code).
REASONS: dict[str, str] = {
    "title_required": f"a title of 1 to {TITLE_MAX} characters",
    "title_taken": "a title not already used for a survey of that year",
    "year_range": f"a year from {FIRST_YEAR} to {LAST_YEAR}",
    "audience_role": "one of the app roles " + ", ".join(r.value for r in Role),
    "closes_on_past": "a closing date today or later, or none",
    "no_questions": "at least one question",
    "question_text": f"a Swedish question text of 1 to {QUESTION_MAX} characters",
    "question_text_en": f"an English text of at most {QUESTION_MAX} characters, or none",
    "question_kind": "likert or text",
    "not_found": "an existing survey",
    "already_published": "a survey that is not yet published",
    "not_open": "a published survey that is open",
    "closed": "a survey whose closing date has not passed",
    "not_audience": "a survey published to your role",
    "no_account": "a signed-in account (a demo role cannot answer)",
    "already_answered": "a survey you have not answered yet",
    "respondent_role": "librarian, teacher or principal",
    "school": "an existing school unit, or none",
    "unknown_question": "a question of this survey",
    "likert_value": "a whole number from 1 to 5",
    "text_too_long": f"a text of at most {TEXT_ANSWER_MAX} characters",
    "nothing_answered": "an answer to at least one question",
}


@dataclass(frozen=True)
class SurveyProblem:
    """One reason a survey action was refused: a code of :data:`REASONS`, where (``field``;
    ``row`` numbers the questions from 1) and the value found."""

    reason: str
    field: str | None = None
    row: int | None = None
    value: Any = None

    def __str__(self) -> str:
        where = self.field or "survey"
        row = f" question {self.row}" if self.row is not None else ""
        value = f": value {self.value!r}" if self.value is not None else ""
        return f"{where}{row}{value}: expected {REASONS[self.reason]}"


class SurveyError(ValueError):
    """A survey action was refused; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: Sequence[SurveyProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def reasons(self) -> list[str]:
        return [p.reason for p in self.problems]


def today() -> date:
    """Today's date in Sweden."""
    return datetime.now(LOCAL_ZONE).date()


# --------------------------------------------------------------------------- creating


@dataclass(frozen=True)
class QuestionSpec:
    """A question as the survey builder gives it."""

    text_sv: str
    kind: str = QuestionKind.LIKERT.value
    text_en: str | None = None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _question_problems(questions: Sequence[QuestionSpec]) -> list[SurveyProblem]:
    problems = []
    if not questions:
        problems.append(SurveyProblem("no_questions", "questions"))
    for number, question in enumerate(questions, start=1):
        text_sv = _text(question.text_sv)
        if not text_sv or len(text_sv) > QUESTION_MAX:
            problems.append(SurveyProblem("question_text", "text_sv", number, question.text_sv))
        if len(_text(question.text_en)) > QUESTION_MAX:
            problems.append(SurveyProblem("question_text_en", "text_en", number))
        if question.kind not in {k.value for k in QuestionKind}:
            problems.append(SurveyProblem("question_kind", "kind", number, question.kind))
    return problems


def create_survey(
    session: Session,
    user: Actor | None,
    *,
    title: str,
    year: int,
    audience_role: str,
    questions: Sequence[QuestionSpec],
    anonymous: bool = True,
    closes_on: date | None = None,
    commit: bool = True,
) -> Survey:
    """Create an unpublished survey with its questions (codes ``q1``, ``q2``, … in order).

    Raises
    ------
    PermissionDeniedError
        The user may not publish surveys (checked first).
    SurveyError
        Every problem with the title, year, audience, closing date and questions; nothing was
        written.
    """
    require(user, PUBLISH_PERMISSION)
    problems: list[SurveyProblem] = []
    clean_title = _text(title)
    if not clean_title or len(clean_title) > TITLE_MAX:
        problems.append(SurveyProblem("title_required", "title", value=title))
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(SurveyProblem("year_range", "year", value=year))
    if audience_role not in {r.value for r in Role}:
        problems.append(SurveyProblem("audience_role", "audience_role", value=audience_role))
    if closes_on is not None and closes_on < today():
        problems.append(SurveyProblem("closes_on_past", "closes_on", value=closes_on.isoformat()))
    problems.extend(_question_problems(questions))
    if not problems:
        taken = session.execute(
            sa.select(Survey.id).where(Survey.title == clean_title, Survey.year == year)
        ).first()
        if taken:
            problems.append(SurveyProblem("title_taken", "title", value=clean_title))
    if problems:
        raise SurveyError(problems)
    at = datetime.now(UTC)
    savepoint = session.begin_nested()
    try:
        survey = writes.add(
            session,
            Survey,
            {
                "title": clean_title,
                "year": year,
                "audience": audience_role,
                "audience_role": audience_role,
                "anonymous": bool(anonymous),
                "closes_on": closes_on,
                "published": False,
                "created_by_id": audit.actor_id(user),
            },
        )
        rows = writes.add_all(
            session,
            SurveyQuestion,
            [
                {
                    "survey_id": survey.id,
                    "code": f"q{number}",
                    "text_sv": _text(q.text_sv),
                    "text_en": _text(q.text_en) or None,
                    "kind": q.kind,
                }
                for number, q in enumerate(questions, start=1)
            ],
        )
        for name in ("title", "year", "audience_role", "anonymous", "closes_on"):
            value = getattr(survey, name)
            if value is not None:
                audit.record(
                    session, user, "create", ENTITY, survey.id, field=name, new=value, at=at
                )
        for row in rows:
            audit.record(
                session,
                user,
                "create",
                "survey_question",
                row.id,
                field="text_sv",
                new=row.text_sv,
                at=at,
            )
    except InventoryValidationError as exc:
        savepoint.rollback()
        if any(p.expected == "a value not already present" for p in exc.problems):
            # a survey of the same title and year was created in the meantime
            raise SurveyError([SurveyProblem("title_taken", "title", value=clean_title)]) from exc
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    if commit:
        session.commit()
    return survey


def publish(session: Session, user: Actor | None, survey_id: int, *, commit: bool = True) -> None:
    """Publish a survey to its audience role (once; from then on it can be answered).

    Raises
    ------
    PermissionDeniedError
        Checked first.
    SurveyError
        The survey does not exist, is not an app survey, is already published, has no
        questions or closed already; nothing was written.
    """
    require(user, PUBLISH_PERMISSION)
    survey = session.get(Survey, int(survey_id))
    if survey is None or survey.audience_role is None:
        raise SurveyError([SurveyProblem("not_found", "survey_id", value=survey_id)])
    if survey.published:
        raise SurveyError([SurveyProblem("already_published", "published")])
    questions = session.execute(
        sa.select(sa.func.count(SurveyQuestion.id)).where(SurveyQuestion.survey_id == survey.id)
    ).scalar_one()
    if not questions:
        raise SurveyError([SurveyProblem("no_questions", "questions")])
    if survey.closes_on is not None and survey.closes_on < today():
        raise SurveyError([SurveyProblem("closes_on_past", "closes_on")])
    at = datetime.now(UTC)
    savepoint = session.begin_nested()
    try:
        # conditional, so that two leaders publishing at once publish (and audit) it once
        table: sa.Table = Survey.__table__  # type: ignore[attr-defined]
        changed = session.execute(
            sa.update(table)
            .where(table.c.id == survey.id, table.c.published.is_(False))
            .values(published=True, published_at=at)
        ).rowcount
        if changed != 1:
            raise SurveyError([SurveyProblem("already_published", "published")])
        audit.record(
            session,
            user,
            "publish",
            ENTITY,
            survey.id,
            field="published",
            old=False,
            new=True,
            at=at,
        )
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    session.expire(survey)
    if commit:
        session.commit()


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class QuestionView:
    """A question as the answer form shows it."""

    id: int
    code: str
    text_sv: str
    text_en: str | None
    kind: str

    def text(self, lang: str) -> str:
        return (self.text_en or self.text_sv) if lang == "en" else self.text_sv


@dataclass(frozen=True)
class OpenSurvey:
    """A published survey the user may answer; ``answered`` when the user already has."""

    id: int
    title: str
    year: int
    anonymous: bool
    closes_on: date | None
    questions: tuple[QuestionView, ...]
    answered: bool


def _questions(session: Session, survey_ids: Iterable[int]) -> dict[int, list[QuestionView]]:
    ids = list(survey_ids)
    found: dict[int, list[QuestionView]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(SurveyQuestion)
        .where(SurveyQuestion.survey_id.in_(ids))
        .order_by(SurveyQuestion.survey_id, SurveyQuestion.id)
    ).scalars()
    for q in rows:
        found[q.survey_id].append(QuestionView(q.id, q.code, q.text_sv, q.text_en, str(q.kind)))
    return found


def open_surveys_for(session: Session, user: Actor | None) -> list[OpenSurvey]:
    """The published, open surveys of the user's role, soonest closing first.

    A survey stays open through its closing date. Surveys the user has answered are included
    with ``answered`` True, so a page can say so.

    Raises
    ------
    PermissionDeniedError
        The user may not answer surveys.
    """
    require(user, ANSWER_PERMISSION)
    role = str(getattr(user.role, "value", user.role))  # type: ignore[union-attr]
    surveys = (
        session.execute(
            sa.select(Survey)
            .where(
                Survey.published.is_(True),
                Survey.audience_role == role,
                sa.or_(Survey.closes_on.is_(None), Survey.closes_on >= today()),
            )
            .order_by(Survey.closes_on.is_(None), Survey.closes_on, Survey.id.desc())
        )
        .scalars()
        .all()
    )
    user_id = audit.actor_id(user)
    answered: set[int] = set()
    if user_id is not None and surveys:
        answered = set(
            session.execute(
                sa.select(SurveyParticipation.survey_id).where(
                    SurveyParticipation.user_id == user_id,
                    SurveyParticipation.survey_id.in_([s.id for s in surveys]),
                )
            ).scalars()
        )
    questions = _questions(session, [s.id for s in surveys])
    return [
        OpenSurvey(
            id=s.id,
            title=s.title,
            year=s.year,
            anonymous=bool(s.anonymous),
            closes_on=s.closes_on,
            questions=tuple(questions[s.id]),
            answered=s.id in answered,
        )
        for s in surveys
    ]


@dataclass(frozen=True)
class AnswerReceipt:
    """What an answer wrote (never the respondent key of an anonymous survey)."""

    survey_id: int
    answers: int


def _open_survey(session: Session, user: Actor, survey_id: int) -> Survey:
    survey = session.get(Survey, int(survey_id))
    if survey is None or survey.audience_role is None:
        raise SurveyError([SurveyProblem("not_found", "survey_id", value=survey_id)])
    if not survey.published:
        raise SurveyError([SurveyProblem("not_open", "published")])
    if str(survey.audience_role) != str(getattr(user.role, "value", user.role)):
        raise SurveyError([SurveyProblem("not_audience", "audience_role")])
    if survey.closes_on is not None and survey.closes_on < today():
        raise SurveyError(
            [SurveyProblem("closed", "closes_on", value=survey.closes_on.isoformat())]
        )
    return survey


def _answer_rows(
    questions: Sequence[QuestionView], values: Mapping[int, Any]
) -> tuple[list[dict[str, Any]], list[SurveyProblem]]:
    """Answer rows (without survey, key, role, school) and the problems with the values."""
    by_id = {q.id: (number, q) for number, q in enumerate(questions, start=1)}
    rows, problems = [], []
    for question_id, value in values.items():
        if question_id not in by_id:
            problems.append(SurveyProblem("unknown_question", "question_id", value=question_id))
            continue
        number, question = by_id[question_id]
        if question.kind == QuestionKind.LIKERT.value:
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                problems.append(SurveyProblem("likert_value", "likert_value", number, value))
                continue
            rows.append({"question_id": question_id, "likert_value": value})
        else:
            text = _text(value)
            if not text:
                continue
            if len(text) > TEXT_ANSWER_MAX:
                problems.append(SurveyProblem("text_too_long", "text_value", number, len(text)))
                continue
            rows.append({"question_id": question_id, "text_value": text})
    return rows, problems


def answer(
    session: Session,
    user: Actor | None,
    survey_id: int,
    *,
    respondent_role: str,
    answers: Mapping[int, Any],
    school_id: int | None = None,
    commit: bool = True,
) -> AnswerReceipt:
    """Answer a survey once: the participation row and the answers in one transaction.

    Parameters
    ----------
    user
        The signed-in account (needs ``survey.answer``, an account id, and the survey's role).
    respondent_role
        The role the person answers as: one of :data:`ANSWER_ROLES`.
    answers
        Question id -> a whole number 1..5 (Likert) or a text; ``None`` and blank texts are
        skipped questions. At least one question must be answered.
    school_id
        The school unit the answer is about, or ``None``.

    Raises
    ------
    PermissionDeniedError
        Checked first.
    SurveyError
        The survey is not open to the user, the user already answered it (also when two
        attempts race), or a value is invalid; nothing was written.
    """
    require(user, ANSWER_PERMISSION)
    user_id = audit.actor_id(user)
    if user_id is None:
        raise SurveyError([SurveyProblem("no_account", "user")])
    participation: sa.Table = SurveyParticipation.__table__  # type: ignore[attr-defined]
    savepoint = session.begin_nested()
    try:
        # the participation row first: UNIQUE(survey_id, user_id) is the "once"; being the first
        # write it also takes SQLite's write lock before anything is read, so a concurrent
        # attempt waits here and then meets the unique key instead of a stale snapshot
        try:
            session.execute(
                sa.insert(participation).values(
                    survey_id=int(survey_id), user_id=user_id, answered_at=datetime.now(UTC)
                )
            )
        except sa.exc.IntegrityError:
            savepoint.rollback()
            answered = session.execute(
                sa.select(participation.c.id).where(
                    participation.c.survey_id == int(survey_id),
                    participation.c.user_id == user_id,
                )
            ).first()
            reason = "already_answered" if answered else "not_found"
            raise SurveyError([SurveyProblem(reason, "survey_id", value=survey_id)]) from None
        survey = _open_survey(session, user, survey_id)  # type: ignore[arg-type]
        rows = _checked_answers(session, survey, respondent_role, school_id, answers)
        key = secrets.token_hex(16) if survey.anonymous else f"user-{user_id}"
        common = {
            "survey_id": survey.id,
            "respondent_key": key,
            "respondent_role": respondent_role,
            "school_id": None if school_id is None else int(school_id),
        }
        writes.add_all(session, SurveyAnswer, [{**common, **row} for row in rows])
        # that the user answered, never what or under which key
        audit.record(session, user, "answer", ENTITY, survey.id)
    except SurveyError:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    if commit:
        session.commit()
    return AnswerReceipt(survey.id, len(rows))


def _checked_answers(
    session: Session,
    survey: Survey,
    respondent_role: str,
    school_id: int | None,
    answers: Mapping[int, Any],
) -> list[dict[str, Any]]:
    """The answer rows to write; :class:`SurveyError` with every problem otherwise."""
    problems = []
    if respondent_role not in ANSWER_ROLES:
        problems.append(SurveyProblem("respondent_role", "respondent_role", value=respondent_role))
    if school_id is not None and session.get(School, int(school_id)) is None:
        problems.append(SurveyProblem("school", "school_id", value=school_id))
    rows, value_problems = _answer_rows(_questions(session, [survey.id])[survey.id], answers)
    problems.extend(value_problems)
    if not problems and not rows:
        problems.append(SurveyProblem("nothing_answered", "answers"))
    if problems:
        raise SurveyError(problems)
    return rows


# --------------------------------------------------------------------------- reading


def app_surveys(session: Session) -> pd.DataFrame:
    """Surveys made in skolbib (imported surveys have no audience role).

    Columns
    -------
    survey_id, title, year, audience_role, anonymous, published, published_at, closes_on,
    questions, participants (accounts that answered); newest first.
    """
    questions = (
        sa.select(SurveyQuestion.survey_id, sa.func.count(SurveyQuestion.id).label("questions"))
        .group_by(SurveyQuestion.survey_id)
        .subquery()
    )
    participants = (
        sa.select(
            SurveyParticipation.survey_id,
            sa.func.count(SurveyParticipation.id).label("participants"),
        )
        .group_by(SurveyParticipation.survey_id)
        .subquery()
    )
    statement = (
        sa.select(
            Survey.id.label("survey_id"),
            Survey.title,
            Survey.year,
            Survey.audience_role,
            Survey.anonymous,
            Survey.published,
            Survey.published_at,
            Survey.closes_on,
            sa.func.coalesce(questions.c.questions, 0).label("questions"),
            sa.func.coalesce(participants.c.participants, 0).label("participants"),
        )
        .outerjoin(questions, questions.c.survey_id == Survey.id)
        .outerjoin(participants, participants.c.survey_id == Survey.id)
        .where(Survey.audience_role.is_not(None))
        .order_by(Survey.year.desc(), Survey.id.desc())
    )
    rows = session.execute(statement).mappings().all()
    columns = [
        "survey_id",
        "title",
        "year",
        "audience_role",
        "anonymous",
        "published",
        "published_at",
        "closes_on",
        "questions",
        "participants",
    ]
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    for name in ("anonymous", "published"):
        frame[name] = frame[name].astype(bool)
    frame["audience_role"] = frame["audience_role"].map(
        lambda v: None if v is None else str(getattr(v, "value", v))
    )
    for name in ("survey_id", "year", "questions", "participants"):
        frame[name] = frame[name].astype("int64")
    return frame


def school_options(session: Session) -> pd.DataFrame:
    """School units a respondent can name: ``school_id``, ``name``, ``school_unit_code``,
    ``municipality``; by municipality, then name."""
    rows = session.execute(
        sa.select(
            School.id.label("school_id"),
            School.name,
            School.school_unit_code,
            Municipality.name.label("municipality"),
        )
        .join(Municipality, Municipality.id == School.municipality_id)
        .order_by(Municipality.name, School.name, School.school_unit_code)
    ).mappings()
    return pd.DataFrame(
        [dict(r) for r in rows], columns=["school_id", "name", "school_unit_code", "municipality"]
    )


# --------------------------------------------------------------------------- results

ALL = "all"
LEVEL_SCHOOL, LEVEL_ROLE, LEVEL_ALL = "school", "role", "all"
LEVELS: tuple[str, ...] = (LEVEL_SCHOOL, LEVEL_ROLE, LEVEL_ALL)
LIKERT_COLUMNS = [
    "question_id",
    "question_code",
    "question_sv",
    "question_en",
    "level",
    "respondent_role",
    "school_id",
    "school_name",
    "respondents",
    "mean",
    "suppressed",
]
TEXT_COLUMNS = [
    "question_id",
    "question_code",
    "question_sv",
    "question_en",
    "respondent_role",
    "school_id",
    "school_name",
    "text_value",
]


@dataclass
class SurveyResults:
    """Results of one survey.

    ``likert``: one row per question and group (:data:`LIKERT_COLUMNS`): ``level`` ``"school"``
    (a role at one school unit; ``school_id`` missing = no school unit stated), ``"role"`` (a
    role, all school units) or ``"all"``; ``respondents`` answered the question in the group;
    ``mean`` is missing when ``suppressed``. ``texts``: free-text answers of the groups with at
    least ``min_group`` respondents (:data:`TEXT_COLUMNS`), sorted by question, group and text
    (never in the order given). ``hidden_texts``: text answers withheld; ``respondents``:
    people who answered.
    """

    likert: pd.DataFrame
    texts: pd.DataFrame
    respondents: int = 0
    hidden_texts: int = 0
    min_group: int = MIN_GROUP


_ROLE_ORDER = {r: i for i, r in enumerate([*ANSWER_ROLES, RespondentRole.PUPIL.value])}


def _suppress(groups: pd.DataFrame, k: int) -> pd.DataFrame:
    """Primary and secondary suppression for the three levels of one question.

    A school-level group is suppressed below ``k`` respondents. A role total is suppressed
    below ``k``, or when its suppressed school groups hold 1..k-1 respondents (the total minus
    the shown groups would reveal them). The overall total likewise, counting the suppressed
    school groups of the roles whose own total is suppressed.
    """
    groups = groups.copy()
    school = groups["level"] == LEVEL_SCHOOL
    groups.loc[school, "suppressed"] = groups.loc[school, "respondents"] < k
    hidden = groups[school & groups["suppressed"]].groupby("respondent_role")["respondents"].sum()
    role = groups["level"] == LEVEL_ROLE
    residual = groups.loc[role, "respondent_role"].map(hidden).fillna(0)
    groups.loc[role, "suppressed"] = (groups.loc[role, "respondents"] < k) | (
        (residual > 0) & (residual < k)
    )
    hidden_roles = groups.loc[role & groups["suppressed"], "respondent_role"]
    residual_all = hidden.reindex(hidden_roles).fillna(0).sum()
    overall = groups["level"] == LEVEL_ALL
    groups.loc[overall, "suppressed"] = (groups.loc[overall, "respondents"] < k) | (
        (residual_all > 0) & (residual_all < k)
    )
    groups["suppressed"] = groups["suppressed"].astype(bool)
    return groups


def summarise_results(answers: pd.DataFrame, min_group: int = MIN_GROUP) -> SurveyResults:
    """Likert means and text answers of one survey by respondent role and school unit.

    Parameters
    ----------
    answers
        :func:`inventory.repository.survey_answers` rows of one survey.
    min_group
        Smallest number of respondents whose mean or texts are shown.
    """
    respondents = int(answers["respondent_key"].nunique()) if len(answers) else 0
    frame = answers.assign(
        school_key=answers["school_id"].astype("Int64").fillna(-1).astype("int64")
    )
    likert = frame[(frame["question_kind"] == "likert") & frame["likert_value"].notna()]
    parts = []
    for question_id, rows in likert.groupby("question_id", sort=True):
        values = rows["likert_value"].astype("float64")
        rows = rows.assign(likert_value=values)
        leaves = (
            rows.groupby(["respondent_role", "school_key"])["likert_value"]
            .agg(respondents="size", mean="mean")
            .reset_index()
            .assign(level=LEVEL_SCHOOL)
        )
        roles = (
            rows.groupby("respondent_role")["likert_value"]
            .agg(respondents="size", mean="mean")
            .reset_index()
            .assign(level=LEVEL_ROLE, school_key=-2)
        )
        overall = pd.DataFrame(
            {
                "respondent_role": [ALL],
                "school_key": [-2],
                "respondents": [len(values)],
                "mean": [values.mean()],
                "level": [LEVEL_ALL],
            }
        )
        groups = _suppress(pd.concat([leaves, roles, overall], ignore_index=True), min_group)
        first = rows.iloc[0]
        groups = groups.assign(
            question_id=question_id,
            question_code=first["question_code"],
            question_sv=first["question_sv"],
            question_en=first["question_en"],
        )
        parts.append(groups)
    names = (
        frame.dropna(subset=["school_id"])
        .drop_duplicates("school_key")
        .set_index("school_key")["school_name"]
    )
    if parts:
        table = pd.concat(parts, ignore_index=True)
        table["mean"] = table["mean"].where(~table["suppressed"])
        table["school_id"] = table["school_key"].where(table["school_key"] >= 0).astype("Int64")
        school_name = table["school_key"].map(names).astype(object)
        table["school_name"] = school_name.where(school_name.notna(), None)
        table["_role"] = table["respondent_role"].map(_ROLE_ORDER).fillna(len(_ROLE_ORDER))
        table["_level"] = table["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
        table["_name"] = table["school_name"].fillna("\uffff")  # no school unit last
        table = table.sort_values(["question_id", "_role", "_level", "_name"], kind="stable")
        table["respondents"] = table["respondents"].astype("int64")
        likert_table = table[LIKERT_COLUMNS].reset_index(drop=True)
    else:
        likert_table = pd.DataFrame(columns=LIKERT_COLUMNS)

    text = frame[frame["question_kind"] == "text"]
    text = text.assign(text_value=text["text_value"].astype("string").str.strip())
    text = text[text["text_value"].notna() & (text["text_value"] != "")]
    group_size = frame.groupby(["respondent_role", "school_key"])["respondent_key"].nunique()
    sizes = pd.Series(
        [
            group_size.get((r, s), 0)
            for r, s in zip(text["respondent_role"], text["school_key"], strict=True)
        ],
        index=text.index,
        dtype="int64",
    )
    shown = text[sizes >= min_group]
    shown = shown.assign(
        _role=shown["respondent_role"].map(_ROLE_ORDER).fillna(len(_ROLE_ORDER)),
        _name=shown["school_name"].fillna("\uffff"),
    ).sort_values(["question_id", "_role", "_name", "text_value"], kind="stable")
    texts = shown.reindex(columns=TEXT_COLUMNS).reset_index(drop=True)
    texts["school_id"] = texts["school_id"].astype("Int64")
    return SurveyResults(
        likert=likert_table,
        texts=texts,
        respondents=respondents,
        hidden_texts=int(len(text) - len(shown)),
        min_group=min_group,
    )


def results_by_role_and_school(
    session: Session, survey_id: int, *, min_group: int = MIN_GROUP
) -> SurveyResults:
    """:func:`summarise_results` of the answers of the survey ``survey_id``."""
    answers = repository.survey_answers(session, survey_id=int(survey_id))
    return summarise_results(answers, min_group)
