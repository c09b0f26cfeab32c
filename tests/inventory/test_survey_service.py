"""Surveys in the app: create, publish, answer once, anonymity and results with suppression.

The database is read back with plain SQL; results are checked against hand computations.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventory import writes
from inventory.models import User
from inventory.permissions import PermissionDeniedError
from inventory.survey_service import (
    QuestionSpec,
    SurveyError,
    answer,
    app_surveys,
    create_survey,
    open_surveys_for,
    publish,
    results_by_role_and_school,
    summarise_results,
    today,
)
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

QUESTIONS = [
    QuestionSpec("Biblioteket är öppet när eleverna behöver det.", "likert", "Open when needed."),
    QuestionSpec("Jag samarbetar med bibliotekarien.", "likert"),
    QuestionSpec("Vad borde förbättras?", "text", "What should improve?"),
]


@pytest.fixture
def world(engine: Engine) -> dict:
    """The small inventory, a project leader, a manager and eight reference-group members."""
    with Session(engine) as session:
        ids = small_inventory(session)
        rows = [
            {"username": "pl", "display_name": "Projektledaren", "role": "projektledare"},
            {"username": "chefen", "display_name": "Chefen", "role": "chef"},
        ] + [
            {"username": f"ref{i}", "display_name": f"Ref {i}", "role": "referensgrupp"}
            for i in range(1, 9)
        ]
        for user in writes.add_all(session, User, rows):
            session.expunge(user)
            ids[user.username] = user
        session.commit()
    return ids


def fingerprint(engine: Engine) -> str:
    with Session(engine) as session:
        return database_fingerprint(session)


def rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(sql), params)]


def new_survey(engine: Engine, world: dict, *, anonymous: bool = True, **kw) -> int:
    with Session(engine) as session:
        survey = create_survey(
            session,
            world["pl"],
            title=kw.pop("title", "Skolbiblioteket 2025"),
            year=2025,
            audience_role=kw.pop("audience_role", "referensgrupp"),
            questions=kw.pop("questions", QUESTIONS),
            anonymous=anonymous,
            **kw,
        )
        survey_id = survey.id
        publish(session, world["pl"], survey_id)
    return survey_id


def question_ids(engine: Engine, survey_id: int) -> list[int]:
    return [
        r[0]
        for r in rows(
            engine, "SELECT id FROM survey_question WHERE survey_id = :s ORDER BY id", s=survey_id
        )
    ]


def respond(engine, user, survey_id, values, role="teacher", school=None):
    with Session(engine) as session:
        return answer(
            session, user, survey_id, respondent_role=role, school_id=school, answers=values
        )


# --------------------------------------------------------------------------- create and publish


def test_create_and_publish_are_written_and_audited(engine, world):
    with Session(engine) as session:
        survey = create_survey(
            session,
            world["pl"],
            title="  Läsfrämjande 2025 ",
            year=2025,
            audience_role="referensgrupp",
            questions=QUESTIONS,
            closes_on=today() + timedelta(days=14),
        )
        survey_id = survey.id
    [(title, published, role, anonymous, creator)] = rows(
        engine,
        "SELECT title, published, audience_role, anonymous, created_by_id FROM survey",
    )
    assert (title, bool(published), role, bool(anonymous)) == (
        "Läsfrämjande 2025",
        False,
        "referensgrupp",
        True,
    )
    assert creator == world["pl"].id
    assert rows(engine, "SELECT code, kind, text_en FROM survey_question ORDER BY id") == [
        ("q1", "likert", "Open when needed."),
        ("q2", "likert", None),
        ("q3", "text", "What should improve?"),
    ]
    created = rows(
        engine, "SELECT action, entity, field FROM audit_entry WHERE username = 'pl' ORDER BY id"
    )
    assert created[:5] == [
        ("create", "survey", "title"),
        ("create", "survey", "year"),
        ("create", "survey", "audience_role"),
        ("create", "survey", "anonymous"),
        ("create", "survey", "closes_on"),
    ]
    assert created[5:] == [("create", "survey_question", "text_sv")] * 3
    # not open before it is published
    with Session(engine) as session:
        assert open_surveys_for(session, world["ref1"]) == []
        publish(session, world["pl"], survey_id)
    [(published, published_at)] = rows(engine, "SELECT published, published_at FROM survey")
    assert bool(published) and published_at is not None
    assert rows(
        engine,
        "SELECT action, field, old_value, new_value FROM audit_entry ORDER BY id DESC LIMIT 1",
    ) == [("publish", "published", "false", "true")]
    before = fingerprint(engine)
    with Session(engine) as session, pytest.raises(SurveyError) as caught:
        publish(session, world["pl"], survey_id)
    assert caught.value.reasons == ["already_published"]
    assert fingerprint(engine) == before


def test_bad_survey_input_lists_every_problem_and_writes_nothing(engine, world):
    before = fingerprint(engine)
    with Session(engine) as session, pytest.raises(SurveyError) as caught:
        create_survey(
            session,
            world["pl"],
            title="  ",
            year=1800,
            audience_role="elev",
            questions=[QuestionSpec(""), QuestionSpec("Bra?", "yes_no")],
            closes_on=today() - timedelta(days=1),
        )
    assert caught.value.reasons == [
        "title_required",
        "year_range",
        "audience_role",
        "closes_on_past",
        "question_text",
        "question_kind",
    ]
    assert [p.row for p in caught.value.problems][-2:] == [1, 2]
    with Session(engine) as session, pytest.raises(SurveyError) as caught:
        create_survey(
            session, world["pl"], title="T", year=2025, audience_role="chef", questions=[]
        )
    assert caught.value.reasons == ["no_questions"]
    assert fingerprint(engine) == before
    new_survey(engine, world, title="Samma")
    after = fingerprint(engine)
    with Session(engine) as session, pytest.raises(SurveyError) as caught:
        create_survey(
            session,
            world["pl"],
            title="Samma",
            year=2025,
            audience_role="chef",
            questions=QUESTIONS,
        )
    assert caught.value.reasons == ["title_taken"]
    assert fingerprint(engine) == after


@pytest.mark.parametrize("username", ["ref1", "chefen"])
def test_only_publishers_create_and_publish(engine, world, username):
    survey_id = new_survey(engine, world)
    before = fingerprint(engine)
    with Session(engine) as session:
        with pytest.raises(PermissionDeniedError):
            create_survey(
                session,
                world[username],
                title="X",
                year=2025,
                audience_role="chef",
                questions=QUESTIONS,
            )
        with pytest.raises(PermissionDeniedError):
            publish(session, world[username], survey_id)
    assert fingerprint(engine) == before


def test_open_surveys_follow_role_publication_and_closing_date(engine, world):
    mine = new_survey(engine, world, title="För referensgruppen")
    new_survey(engine, world, title="För cheferna", audience_role="chef")
    closing_today = new_survey(engine, world, title="Stänger i dag", closes_on=today())
    closed = new_survey(engine, world, title="Stängd")
    with engine.begin() as connection:  # closed yesterday (the service refuses past dates)
        connection.execute(
            sa.text("UPDATE survey SET closes_on = :d WHERE id = :i"),
            {"d": today() - timedelta(days=1), "i": closed},
        )
    with Session(engine) as session:
        create_survey(
            session,
            world["pl"],
            title="Utkast",
            year=2025,
            audience_role="referensgrupp",
            questions=QUESTIONS,
        )
        shown = open_surveys_for(session, world["ref1"])
        assert [s.id for s in shown] == [closing_today, mine]
        assert [q.code for q in shown[1].questions] == ["q1", "q2", "q3"]
        assert shown[1].questions[0].text("en") == "Open when needed."
        assert shown[1].questions[1].text("en") == "Jag samarbetar med bibliotekarien."
        assert [s.title for s in open_surveys_for(session, world["chefen"])] == ["För cheferna"]
        with pytest.raises(SurveyError) as caught:
            answer(session, world["ref1"], closed, respondent_role="teacher", answers={1: 3})
        assert caught.value.reasons == ["closed"]
        with pytest.raises(SurveyError) as caught:
            answer(session, world["chefen"], mine, respondent_role="teacher", answers={1: 3})
        assert caught.value.reasons == ["not_audience"]


# --------------------------------------------------------------------------- answering once


def test_answer_once_and_a_second_attempt_changes_nothing(engine, world):
    survey_id = new_survey(engine, world)
    q1, q2, q3 = question_ids(engine, survey_id)
    receipt = respond(
        engine,
        world["ref1"],
        survey_id,
        {q1: 4, q2: None, q3: "  Längre öppettider  "},
        school=world["ek"],
    )
    assert receipt.answers == 2
    answers = rows(
        engine,
        "SELECT question_id, respondent_role, school_id, likert_value, text_value"
        " FROM survey_answer ORDER BY question_id",
    )
    assert answers == [
        (q1, "teacher", world["ek"], 4, None),
        (q3, "teacher", world["ek"], None, "Längre öppettider"),
    ]
    assert rows(engine, "SELECT survey_id, user_id FROM survey_participation") == [
        (survey_id, world["ref1"].id)
    ]
    with Session(engine) as session:
        [shown] = open_surveys_for(session, world["ref1"])
        assert shown.answered
        assert not open_surveys_for(session, world["ref2"])[0].answered
    before = fingerprint(engine)
    with pytest.raises(SurveyError) as caught:
        respond(engine, world["ref1"], survey_id, {q1: 1}, role="principal")
    assert caught.value.reasons == ["already_answered"]
    assert fingerprint(engine) == before
    with Session(engine) as session:
        assert app_surveys(session)["participants"].tolist() == [1]


def test_bad_answers_are_refused_with_every_problem(engine, world):
    survey_id = new_survey(engine, world)
    q1, q2, q3 = question_ids(engine, survey_id)
    before = fingerprint(engine)
    with pytest.raises(SurveyError) as caught:
        respond(
            engine,
            world["ref1"],
            survey_id,
            {q1: 6, q2: True, q3: "x" * 5001, 999_999: 3},
            role="pupil",
            school=999_999,
        )
    assert sorted(caught.value.reasons) == sorted(
        [
            "respondent_role",
            "school",
            "likert_value",
            "likert_value",
            "text_too_long",
            "unknown_question",
        ]
    )
    with pytest.raises(SurveyError) as caught:
        respond(engine, world["ref1"], survey_id, {q1: None, q3: "   "})
    assert caught.value.reasons == ["nothing_answered"]
    with pytest.raises(SurveyError) as caught:
        respond(engine, world["ref1"], 424242, {q1: 3})
    assert caught.value.reasons == ["not_found"]
    assert fingerprint(engine) == before
    # a demo user without an account cannot answer
    from app.session import SessionUser

    demo = SessionUser(username="demo-referensgrupp", display_name="Demo", role="referensgrupp")
    with pytest.raises(SurveyError) as caught:
        respond(engine, demo, survey_id, {q1: 3})
    assert caught.value.reasons == ["no_account"]
    assert fingerprint(engine) == before


def test_two_simultaneous_attempts_give_one_answer(engine, world):
    survey_id = new_survey(engine, world)
    q1 = question_ids(engine, survey_id)[0]
    first = Session(engine)
    outcome: dict = {}

    def second() -> None:
        try:
            respond(engine, world["ref1"], survey_id, {q1: 1})
        except Exception as exc:  # recorded for the main thread
            outcome["error"] = exc

    try:
        answer(
            first,
            world["ref1"],
            survey_id,
            respondent_role="teacher",
            answers={q1: 5},
            commit=False,
        )
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second attempt should wait for the first"
        first.commit()
    finally:
        first.close()
    thread.join(timeout=60)
    assert isinstance(outcome.get("error"), SurveyError), outcome
    assert outcome["error"].reasons == ["already_answered"]
    assert rows(engine, "SELECT likert_value FROM survey_answer") == [(5,)]
    assert rows(engine, "SELECT count(*) FROM survey_participation") == [(1,)]


# --------------------------------------------------------------------------- anonymity


def _all_text(engine: Engine, table: str) -> list[str]:
    return [str(v) for row in rows(engine, f"SELECT * FROM {table}") for v in row]


def test_anonymous_answers_have_no_link_to_the_user(engine, world):
    survey_id = new_survey(engine, world)
    q1, _, q3 = question_ids(engine, survey_id)
    respond(engine, world["ref1"], survey_id, {q1: 2, q3: "Hemligt svar"})
    respond(engine, world["ref2"], survey_id, {q1: 5})
    keys = rows(engine, "SELECT DISTINCT respondent_key FROM survey_answer")
    assert len(keys) == 2
    for (key,) in keys:
        assert re.fullmatch(r"[0-9a-f]{32}", key)
    columns = [c["name"] for c in sa.inspect(engine).get_columns("survey_answer")]
    assert not {"user_id", "username", "author_id"} & set(columns)
    # nothing in an answer row names or numbers the user
    for user in (world["ref1"], world["ref2"]):
        for value in _all_text(engine, "survey_answer"):
            assert user.username not in value
            assert value != f"user-{user.id}"
    # the audit trail says who answered, never the key or a value
    entries = rows(
        engine,
        "SELECT username, action, entity, entity_id, field, old_value, new_value"
        " FROM audit_entry WHERE action = 'answer' ORDER BY id",
    )
    assert entries == [
        ("ref1", "answer", "survey", str(survey_id), None, None, None),
        ("ref2", "answer", "survey", str(survey_id), None, None, None),
    ]
    audit_text = " ".join(_all_text(engine, "audit_entry"))
    for (key,) in keys:
        assert key not in audit_text
    assert "Hemligt svar" not in audit_text
    # the participation row has no key or answer either
    participation = _all_text(engine, "survey_participation")
    for (key,) in keys:
        assert key not in participation


def test_named_surveys_key_the_answers_by_user(engine, world):
    survey_id = new_survey(engine, world, anonymous=False)
    q1 = question_ids(engine, survey_id)[0]
    respond(engine, world["ref3"], survey_id, {q1: 3})
    key = f"user-{world['ref3'].id}"
    assert rows(engine, "SELECT respondent_key FROM survey_answer") == [(key,)]


# --------------------------------------------------------------------------- results


def test_results_by_role_and_school_match_a_hand_computation(engine, world):
    """Eight answers to q1:

    teachers at Ekskolan 4, 5, 3 (n 3, mean 4) — shown;
    teachers at Granskolan 2 (n 1) — suppressed;
    teachers, all schools 4, 5, 3, 2 (n 4, mean 3.5) — suppressed: the total minus Ekskolan
      would reveal the one Granskolan teacher;
    librarians at Ekskolan 5, 4, 4 (n 3, mean 13/3) — shown; librarians all (same 3) — shown;
    principal, no school unit, 1 (n 1) — suppressed, so is the principals' total;
    all roles 4, 5, 3, 2, 5, 4, 4, 1 (n 8): the hidden groups of the hidden role totals are
      Granskolan's teacher and the principal, 2 people < 3 — suppressed.
    q2 (only Ekskolan's teachers 1, 2, 2): every level n 3, mean 5/3, nothing hidden.
    """
    survey_id = new_survey(engine, world)
    q1, q2, q3 = question_ids(engine, survey_id)
    ek, gran = world["ek"], world["gran"]
    plan = [
        ("ref1", "teacher", ek, {q1: 4, q2: 1, q3: "Fler böcker"}),
        ("ref2", "teacher", ek, {q1: 5, q2: 2, q3: '=HYPERLINK("x")'}),
        ("ref3", "teacher", ek, {q1: 3, q2: 2}),
        ("ref4", "teacher", gran, {q1: 2, q3: "Bara jag på Granskolan"}),
        ("ref5", "librarian", ek, {q1: 5}),
        ("ref6", "librarian", ek, {q1: 4}),
        ("ref7", "librarian", ek, {q1: 4}),
        ("ref8", "principal", None, {q1: 1, q3: "Rektorns åsikt"}),
    ]
    for username, role, school, values in plan:
        respond(engine, world[username], survey_id, values, role=role, school=school)
    with Session(engine) as session:
        results = results_by_role_and_school(session, survey_id)
    assert results.respondents == 8
    table = results.likert
    first = table[table["question_id"] == q1]
    got = [
        (
            r.level,
            r.respondent_role,
            None if pd.isna(r.school_id) else int(r.school_id),
            r.respondents,
            None if pd.isna(r.mean) else round(r.mean, 6),
            bool(r.suppressed),
        )
        for r in first.itertuples()
    ]
    assert got == [
        ("school", "librarian", ek, 3, round(13 / 3, 6), False),
        ("role", "librarian", None, 3, round(13 / 3, 6), False),
        ("school", "teacher", ek, 3, 4.0, False),
        ("school", "teacher", gran, 1, None, True),
        ("role", "teacher", None, 4, None, True),
        ("school", "principal", None, 1, None, True),
        ("role", "principal", None, 1, None, True),
        ("all", "all", None, 8, None, True),
    ]
    assert first["school_name"].tolist()[:4] == ["Ekskolan", None, "Ekskolan", "Granskolan"]
    second = table[table["question_id"] == q2]
    assert second["respondents"].tolist() == [3, 3, 3]
    assert second["mean"].round(6).tolist() == [round(5 / 3, 6)] * 3
    assert not second["suppressed"].any()
    # texts only from groups of three or more (Ekskolan's teachers), sorted, never by key
    assert results.texts["text_value"].tolist() == ['=HYPERLINK("x")', "Fler böcker"]
    assert "respondent_key" not in results.texts.columns
    assert results.hidden_texts == 2


@pytest.mark.parametrize(
    ("sizes", "suppressed_role", "suppressed_all"),
    [
        # teachers at two schools: 3 and 3 → nothing hidden anywhere
        ({("teacher", 1): 3, ("teacher", 2): 3}, False, False),
        # 3 and 2: the school of 2 hidden, so is the teachers' total (5 − 3 = 2)
        ({("teacher", 1): 3, ("teacher", 2): 2}, True, True),
        # 3 and 1 and 2: the hidden schools hold 3 together → the total may be shown
        ({("teacher", 1): 3, ("teacher", 2): 1, ("teacher", 3): 2}, False, False),
        # two roles each with a hidden pair (2 + 2 = 4 ≥ 3): role totals hidden, overall shown
        (
            {("teacher", 1): 3, ("teacher", 2): 2, ("librarian", 1): 3, ("librarian", 2): 2},
            True,
            False,
        ),
        # fewer than 3 respondents in all
        ({("teacher", 1): 2}, True, True),
    ],
)
def test_secondary_suppression(sizes, suppressed_role, suppressed_all):
    records = []
    n = 0
    for (role, school), count in sizes.items():
        for _ in range(count):
            n += 1
            records.append(
                {
                    "question_id": 1,
                    "question_code": "q1",
                    "question_sv": "F",
                    "question_en": None,
                    "question_kind": "likert",
                    "respondent_key": f"k{n}",
                    "respondent_role": role,
                    "school_id": school,
                    "school_name": f"Skola {school}",
                    "likert_value": 1 + n % 5,
                    "text_value": None,
                }
            )
    table = summarise_results(pd.DataFrame(records)).likert
    teacher_total = table[(table["level"] == "role") & (table["respondent_role"] == "teacher")]
    overall = table[table["level"] == "all"]
    assert teacher_total["suppressed"].item() is suppressed_role
    assert overall["suppressed"].item() is suppressed_all
    # every school group below three is suppressed, every other one shown
    schools = table[table["level"] == "school"]
    assert (schools["suppressed"] == (schools["respondents"] < 3)).all()
    assert table.loc[table["suppressed"], "mean"].isna().all()
    assert table.loc[~table["suppressed"], "mean"].notna().all()


def test_no_answers_give_empty_results(engine, world):
    survey_id = new_survey(engine, world)
    with Session(engine) as session:
        results = results_by_role_and_school(session, survey_id)
    assert results.likert.empty and results.texts.empty and results.respondents == 0
