"""Logic of the Enkäter page and of the in-app survey results on Uppföljning: pure pandas.

The writes themselves are :mod:`inventory.survey_service`'s; this module turns what the page's
widgets hold into its arguments, and its results into tables to show.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from inventory.models import QuestionKind
from inventory.survey_service import LEVEL_ALL, LEVEL_ROLE, LEVEL_SCHOOL, QuestionSpec

#: Columns of the question builder (a data editor), in order.
QUESTION_COLUMNS: list[str] = ["kind", "text_sv", "text_en"]
QUESTION_KINDS: tuple[str, ...] = tuple(k.value for k in QuestionKind)
LIKERT_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Survey states shown to the publisher.
DRAFT, OPEN, CLOSED = "draft", "open", "closed"


def empty_questions(rows: int = 1) -> pd.DataFrame:
    """The builder's starting table: ``rows`` Likert questions without text."""
    return pd.DataFrame(
        {
            "kind": pd.Series([QuestionKind.LIKERT.value] * rows, dtype="object"),
            "text_sv": pd.Series([""] * rows, dtype="object"),
            "text_en": pd.Series([""] * rows, dtype="object"),
        },
        columns=QUESTION_COLUMNS,
    )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def questions_from_editor(frame: pd.DataFrame) -> list[QuestionSpec]:
    """The questions of the builder's table, in order; rows without any text are left out.

    A row with an English text but no Swedish one is kept, so that the service can say that
    the Swedish text is missing. A row without a kind is a Likert question.
    """
    questions = []
    for row in frame.reindex(columns=QUESTION_COLUMNS).itertuples(index=False):
        text_sv, text_en = _text(row.text_sv), _text(row.text_en)
        if not text_sv and not text_en:
            continue
        kind = _text(row.kind) or QuestionKind.LIKERT.value
        questions.append(QuestionSpec(text_sv=text_sv, kind=kind, text_en=text_en or None))
    return questions


def survey_state(published: bool, closes_on: object, today: date) -> str:
    """:data:`DRAFT` until published, then :data:`OPEN` through the closing date, then
    :data:`CLOSED`."""
    if not published:
        return DRAFT
    if closes_on is not None and not pd.isna(closes_on) and pd.Timestamp(closes_on).date() < today:
        return CLOSED
    return OPEN


def question_text(frame: pd.DataFrame, lang: str) -> pd.Series:
    """The question in ``lang`` (English falls back to Swedish where there is no translation)."""
    if lang == "en":
        return frame["question_en"].where(frame["question_en"].notna(), frame["question_sv"])
    return frame["question_sv"]


def results_table(
    likert: pd.DataFrame,
    lang: str,
    *,
    role_labels: dict[str, str],
    all_schools: str,
    no_school: str,
    suppressed: str,
) -> pd.DataFrame:
    """The Likert results as shown: ``question``, ``role``, ``school``, ``respondents``,
    ``mean`` (missing when suppressed) and ``note`` (``suppressed`` for a hidden group).

    ``role_labels`` names every respondent role and ``"all"``; a role total gets
    ``all_schools`` as its school, a group without a school unit ``no_school``.
    """
    columns = ["question", "role", "school", "respondents", "mean", "note"]
    if likert.empty:
        return pd.DataFrame(columns=columns)
    school = [
        (name if isinstance(name, str) else no_school) if level == LEVEL_SCHOOL else all_schools
        for level, name in zip(likert["level"], likert["school_name"], strict=True)
    ]
    return pd.DataFrame(
        {
            "question": question_text(likert, lang).to_numpy(),
            "role": likert["respondent_role"].map(lambda r: role_labels.get(r, r)).to_numpy(),
            "school": school,
            "respondents": likert["respondents"].astype("int64").to_numpy(),
            "mean": likert["mean"].astype("float64").to_numpy(),
            "note": [suppressed if s else "" for s in likert["suppressed"]],
        },
        columns=columns,
    )


__all__ = [
    "CLOSED",
    "DRAFT",
    "LEVEL_ALL",
    "LEVEL_ROLE",
    "LEVEL_SCHOOL",
    "LIKERT_VALUES",
    "OPEN",
    "QUESTION_COLUMNS",
    "QUESTION_KINDS",
    "empty_questions",
    "question_text",
    "questions_from_editor",
    "results_table",
    "survey_state",
]
