"""The surveys page (Enkäter) through the entrypoint, on a private copy of the demo database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from inventory import db
from inventory.survey_service import QuestionSpec, create_survey, publish
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/surveys.py"
TIMEOUT = 60


def open_page(url: str, role: str, username: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(url, username or f"konto-{role}", role)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def fetch(url: str, sql: str, **params) -> list[tuple]:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(sa.text(sql), params)]
    engine.dispose()
    return rows


def published_survey(url: str, audience: str = "referensgrupp", anonymous: bool = True) -> int:
    leader = account(url, "pl", "projektledare")
    engine = db.make_engine(url)
    with Session(engine) as session:
        survey = create_survey(
            session,
            leader,
            title="Skolbiblioteket *i dag*",
            year=2025,
            audience_role=audience,
            questions=[
                QuestionSpec("Biblioteket har böcker som eleverna vill läsa.", "likert"),
                QuestionSpec("Vad vill du ändra?", "text", "What would you change?"),
            ],
            anonymous=anonymous,
        )
        survey_id = survey.id
        publish(session, leader, survey_id)
    engine.dispose()
    return survey_id


def questions(url: str, survey_id: int) -> list[int]:
    return [
        r[0]
        for r in fetch(
            url, "SELECT id FROM survey_question WHERE survey_id = :s ORDER BY id", s=survey_id
        )
    ]


def first_school(url: str) -> tuple[int, str]:
    [(school_id, name)] = fetch(url, "SELECT id, name FROM school ORDER BY id LIMIT 1")
    return school_id, name


def fill_answer(at: AppTest, survey_id: int, q1: int, q2: int, school_id: int | None) -> None:
    prefix = f"survey_{survey_id}"
    at.selectbox(key=f"{prefix}_role").set_value("teacher")
    at.selectbox(key=f"{prefix}_school").set_value(school_id)
    at.radio(key=f"{prefix}_q{q1}").set_value(4)
    at.text_area(key=f"{prefix}_q{q2}").set_value("Fler lättlästa böcker")
    at.button(key=f"{prefix}_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_reference_group_answers_once(writable_demo_app):
    url = writable_demo_app
    survey_id = published_survey(url)
    q1, q2 = questions(url, survey_id)
    school_id, _ = first_school(url)
    at = open_page(url, "referensgrupp", "ref1")
    second_tab = open_page(url, "referensgrupp", "ref1")  # the same person, another tab
    box = at.container(key=f"survey_{survey_id}")
    # the title is user text, shown escaped (no emphasis from its asterisks)
    assert box.markdown[0].value == "**Skolbiblioteket \\*i dag\\*** (2025)"
    assert "Anonym enkät" in box.caption[0].value

    fill_answer(at, survey_id, q1, q2, school_id)
    assert at.success[0].value == "Tack! Ditt svar på ”Skolbiblioteket \\*i dag\\*” är sparat."
    ref1 = account(url, "ref1", "referensgrupp")
    assert fetch(
        url, "SELECT user_id FROM survey_participation WHERE survey_id = :s", s=survey_id
    ) == [(ref1.id,)]
    answers = fetch(
        url,
        "SELECT question_id, respondent_role, school_id, likert_value, text_value, respondent_key"
        " FROM survey_answer WHERE survey_id = :s ORDER BY question_id",
        s=survey_id,
    )
    assert [a[:5] for a in answers] == [
        (q1, "teacher", school_id, 4, None),
        (q2, "teacher", school_id, None, "Fler lättlästa böcker"),
    ]
    assert answers[0][5] == answers[1][5] and answers[0][5] != f"user-{ref1.id}"
    assert fetch(
        url,
        "SELECT username, action, entity, entity_id, field, new_value FROM audit_entry"
        " WHERE action = 'answer'",
    ) == [("ref1", "answer", "survey", str(survey_id), None, None)]
    # the form is gone: the page says the survey is answered
    box = at.container(key=f"survey_{survey_id}")
    assert [s.value for s in box.success] == ["Du har svarat på enkäten. Tack!"]
    assert not box.radio

    # the other tab still shows the form; sending it changes nothing, and the page says the
    # survey is answered (a truly simultaneous second answer is refused by the unique key, see
    # tests/inventory/test_survey_service.py)
    before = fetch(url, "SELECT * FROM survey_answer ORDER BY id")
    assert second_tab.radio(key=f"survey_{survey_id}_q{q1}") is not None
    fill_answer(second_tab, survey_id, q1, q2, None)
    box = second_tab.container(key=f"survey_{survey_id}")
    assert [s.value for s in box.success] == ["Du har svarat på enkäten. Tack!"]
    assert fetch(url, "SELECT * FROM survey_answer ORDER BY id") == before
    assert fetch(url, "SELECT count(*) FROM survey_participation") == [(1,)]


def test_a_missing_role_is_refused_with_a_clear_message(writable_demo_app):
    url = writable_demo_app
    survey_id = published_survey(url)
    q1, _ = questions(url, survey_id)
    at = open_page(url, "referensgrupp", "ref2")
    at.radio(key=f"survey_{survey_id}_q{q1}").set_value(2)
    at.button(key=f"survey_{survey_id}_submit").click().run()
    refused = at.container(key=f"survey_{survey_id}_refused")
    assert refused.error[0].value == (
        "Svaret sparades inte:\n"
        "- Välj vilken roll du svarar som: bibliotekarie, lärare eller rektor."
    )
    assert fetch(url, "SELECT count(*) FROM survey_answer WHERE survey_id = :s", s=survey_id) == [
        (0,)
    ]
    assert fetch(url, "SELECT count(*) FROM survey_participation") == [(0,)]


def test_only_the_audience_sees_the_survey_and_only_leaders_publish(writable_demo_app):
    url = writable_demo_app
    survey_id = published_survey(url)
    manager = open_page(url, "chef")
    assert [i.value for i in manager.container(key="surveys_open").info] == [
        "Det finns inga öppna enkäter för din roll just nu."
    ]
    for at in (manager, open_page(url, "referensgrupp")):
        with pytest.raises(KeyError):
            at.get_by_key("surveys_publish_section")
        assert "surveys_create" not in {b.key for b in at.button}
    reference = open_page(url, "referensgrupp")
    assert reference.get_by_key(f"survey_{survey_id}") is not None


def test_project_leader_builds_and_publishes_a_survey(writable_demo_app):
    url = writable_demo_app
    at = open_page(url, "projektledare", "pl")
    at.text_input(key="surveys_new_title").set_value("Läsfrämjande HT")
    at.selectbox(key="surveys_new_audience").set_value("chef")
    at.checkbox(key="surveys_new_anonymous").uncheck()
    at.session_state["surveys_new_questions"] = {
        "edited_rows": {0: {"text_sv": "Vi har en läsfrämjande plan."}},
        "added_rows": [
            {"kind": "text", "text_sv": "Vad behöver ni?", "text_en": "What do you need?"},
            {"kind": "likert", "text_sv": "", "text_en": ""},  # blank: not a question
        ],
        "deleted_rows": [],
    }
    at.button(key="surveys_create").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.success[0].value.startswith("Utkastet ”Läsfrämjande HT” skapades")
    [(survey_id, published, role, anonymous)] = fetch(
        url,
        "SELECT id, published, audience_role, anonymous FROM survey WHERE title = :t",
        t="Läsfrämjande HT",
    )
    assert (bool(published), role, bool(anonymous)) == (False, "chef", False)
    assert fetch(
        url,
        "SELECT code, kind, text_sv, text_en FROM survey_question WHERE survey_id = :s ORDER BY id",
        s=survey_id,
    ) == [
        ("q1", "likert", "Vi har en läsfrämjande plan.", None),
        ("q2", "text", "Vad behöver ni?", "What do you need?"),
    ]
    listing = at.container(key="surveys_list").dataframe[0].value
    row = listing[listing["title"] == "Läsfrämjande HT"].iloc[0]
    assert (row["state"], row["audience"], row["questions"]) == ("Utkast", "Chef", 2)

    at.selectbox(key="surveys_draft").set_value(survey_id)
    at.button(key="surveys_publish").click().run()
    assert not at.exception
    assert at.success[0].value == "”Läsfrämjande HT” är publicerad till Chef."
    [(published,)] = fetch(url, "SELECT published FROM survey WHERE id = :s", s=survey_id)
    assert bool(published)
    assert fetch(
        url,
        "SELECT username, action FROM audit_entry WHERE entity = 'survey' AND entity_id = :s"
        " AND action = 'publish'",
        s=str(survey_id),
    ) == [("pl", "publish")]
    listing = at.container(key="surveys_list").dataframe[0].value
    assert listing[listing["title"] == "Läsfrämjande HT"]["state"].tolist() == ["Öppen"]
    # a manager now finds it among the open surveys
    manager = open_page(url, "chef")
    assert manager.get_by_key(f"survey_{survey_id}") is not None


def test_a_survey_without_questions_is_not_created(writable_demo_app):
    url = writable_demo_app
    at = open_page(url, "projektledare", "pl")
    at.text_input(key="surveys_new_title").set_value("Tom")
    at.button(key="surveys_create").click().run()
    refused = at.container(key="surveys_new_refused")
    assert refused.error[0].value == "Enkäten skapades inte:\n- Lägg till minst en fråga."
    assert fetch(url, "SELECT count(*) FROM survey WHERE title = 'Tom'") == [(0,)]
