"""The follow-up page (Uppföljning) through the entrypoint, on the demo database."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from app.services import follow_up as svc
from app.session import ROLES
from inventory import repository, survey_service
from inventory.db import make_engine
from metrics.indicators import library_indicators
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/follow_up.py"
TIMEOUT = 60
CONTAINERS = (
    "follow_up_trend",
    "follow_up_equity",
    "follow_up_resource_centre",
    "follow_up_surveys",
)


def open_page(role: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart(at: AppTest, title_start: str) -> tuple[dict, dict[str, pd.DataFrame]]:
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if str(spec.get("title", "")).startswith(title_start):
            data = {
                d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
                for d in element.proto.datasets
            }
            return spec, data
    raise AssertionError(f"no chart titled {title_start!r}")


def trend_fields(spec: dict) -> set[str]:
    layers = spec.get("layer", [spec])
    return {layer["encoding"]["y"]["field"] for layer in layers}


def _demo(url: str):
    engine = make_engine(url)
    with Session(engine) as session:
        library_years = repository.library_year_frame(session, municipality="9901")
        centre = repository.resource_centre_years(session)
        answers = repository.survey_answers(session, municipality="9901")
    engine.dispose()
    return library_years, centre, answers


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Uppföljning"
    assert any(info.value.startswith("Fiktiva exempeldata") for info in at.info)
    for key in CONTAINERS:
        assert at.get_by_key(key) is not None
    assert len(at.tabs) == 3
    assert len(at.get("vega_lite_chart")) == 4


def test_indicator_choice_changes_the_trend_chart(demo_app):
    at = open_page()
    spec, _ = chart(at, "Bemannade timmar per vecka per 100 elever per inventeringsår")
    assert trend_fields(spec) == {"staffed_hours_per_100_pupils"}
    at.selectbox(key="follow_up_indicator_sv").select("loans_per_pupil").run()
    assert not at.exception
    spec, data = chart(at, "Utlån per elev per inventeringsår")
    assert trend_fields(spec) == {"loans_per_pupil"}
    # the mean line is the pupil-weighted mean of the libraries' values
    library_years, _, _ = _demo(demo_app)
    expected = svc.municipal_mean(library_indicators(library_years), "loans_per_pupil")
    mean = next(d for d in data.values() if "libraries" in d.columns)
    assert mean["loans_per_pupil"].tolist() == pytest.approx(expected["loans_per_pupil"].tolist())
    # the equity section follows the indicator
    heading = at.container(key="follow_up_equity").header[0].value
    assert heading == "Likvärdighet över åren: utlån per elev"


def test_view_switch_shows_only_the_mean(demo_app):
    at = open_page()
    spec, _ = chart(at, "Bemannade timmar")
    assert len(spec["layer"]) == 2  # libraries and the mean
    at.radio(key="follow_up_view_sv").set_value("mean").run()
    assert not at.exception
    spec, _ = chart(at, "Bemannade timmar")
    assert "layer" not in spec and spec["encoding"]["y"]["field"] == (
        "staffed_hours_per_100_pupils"
    )


def test_equity_statements_per_statistic(demo_app):
    at = open_page()
    year = at.selectbox(key="year_sv").value
    library_years, _, _ = _demo(demo_app)
    equity = svc.equity_by_year(library_indicators(library_years), svc.DEFAULT_INDICATOR)
    verdicts = svc.disparity_verdicts(svc.equity_changes(equity), year)
    text = at.container(key="follow_up_verdicts").markdown[0].value
    words = {
        "grew": "skillnaderna ökade",
        "shrank": "skillnaderna minskade",
        "unchanged": "oförändrade",
        "unknown": "kan inte jämföras",
    }
    lines = text.splitlines()
    assert len(lines) == len(svc.EQUITY_STATISTICS)
    for line, row in zip(lines, verdicts.itertuples(), strict=True):
        assert words[row.verdict] in line
    assert "**Gini-koefficient**" in lines[0] and "**McLoone-index**" in lines[1]
    spec, _ = chart(at, "Spridningsmått")
    assert spec["resolve"]["scale"]["y"] == "independent"
    at.toggle(key="follow_up_need").set_value(True).run()
    assert not at.exception
    spec, _ = chart(at, "Spridningsmått för behovsjusterat")


def test_resource_centre_region_and_schools(demo_app):
    at = open_page()
    _, centre, _ = _demo(demo_app)
    spec, data = chart(at, "Utlån av AV-medier per kommun och år")
    rows = next(iter(data.values()))
    assert set(rows["municipality_code"]) == set(centre["municipality_code"])
    assert spec["encoding"]["y"]["field"] == "av_media_loans"
    section = at.container(key="follow_up_resource_centre")
    schools = section.dataframe[1].value
    here = centre[(centre["municipality_code"] == "9901") & (centre["level"] == "school")]
    assert len(schools) == here["school_unit_code"].nunique()
    at.toggle(key="follow_up_per_pupil").set_value(True).run()
    at.selectbox(key="follow_up_measure_sv").select("training_hours").run()
    assert not at.exception
    spec, _ = chart(at, "Fortbildningstimmar per 100 elever per kommun och år")
    assert spec["encoding"]["y"]["field"] == "training_hours_per_100_pupils"


def test_survey_results_by_role_and_plain_text_answers(demo_app):
    at = open_page()
    _, _, answers = _demo(demo_app)
    section = at.container(key="follow_up_surveys")
    survey_id = at.selectbox(key="follow_up_survey_sv").value
    mine = answers[answers["survey_id"] == survey_id]
    summary = section.dataframe[0].value
    expected = svc.likert_summary(mine)
    assert summary["mean"].tolist() == pytest.approx(expected["mean"].tolist(), nan_ok=True)
    assert set(summary["role"]) <= {"Elever", "Lärare", "Rektorer", "Bibliotekspersonal"} | {
        "Alla svarande"
    }
    spec, _ = chart(at, "Svarsfördelning")
    assert spec["encoding"]["x"]["stack"] == "zero"
    texts = section.dataframe[1].value
    assert len(texts) == len(svc.text_answers(mine))
    # free text is only ever shown in the data grid, never as Markdown
    markdown = " ".join(m.value for m in at.markdown)
    for answer in texts["answer"].unique():
        assert answer not in markdown
    # another survey changes the figures
    box = at.selectbox(key="follow_up_survey_sv")
    if len(box.options) > 1:
        box.select_index(1).run()
        assert not at.exception
        chosen = at.selectbox(key="follow_up_survey_sv").value
        assert chosen != survey_id
        assert len(at.container(key="follow_up_surveys").dataframe[1].value) == len(
            svc.text_answers(answers[answers["survey_id"] == chosen])
        )


def test_english_switch(demo_app):
    at = open_page(lang="en")
    assert at.title[0].value == "Follow-up"
    assert at.container(key="follow_up_trend").header[0].value == "Indicator over the years"
    spec, _ = chart(at, "Staffed hours per week per 100 pupils per inventory year")
    assert trend_fields(spec) == {"staffed_hours_per_100_pupils"}
    text = at.container(key="follow_up_verdicts").markdown[0].value
    assert "disparity" in text or "cannot be compared" in text


# --------------------------------------------------------------------------- surveys in skolbib


def _answered_in_app(url: str) -> tuple[int, str, str]:
    """A survey answered in skolbib by seven accounts; returns its id and two school names.

    q1 (scale): librarians at school A 4, 4, 5; teachers at A 2, 3, 5; one teacher at B 1.
    q2 (text): a teacher at A and the teacher at B.
    """
    engine = make_engine(url)
    leader = account(url, "pl", "projektledare")
    with Session(engine) as session:
        (a, name_a), (b, name_b) = session.execute(
            sa.text("SELECT id, name FROM school ORDER BY id LIMIT 2")
        ).all()
        survey = survey_service.create_survey(
            session,
            leader,
            title="Biblioteket i vardagen",
            year=2025,
            audience_role="referensgrupp",
            questions=[
                survey_service.QuestionSpec("Eleverna hittar det de söker.", "likert"),
                survey_service.QuestionSpec("Vad saknas?", "text"),
            ],
        )
        survey_id = survey.id
        survey_service.publish(session, leader, survey_id)
        q1, q2 = session.execute(
            sa.text("SELECT id FROM survey_question WHERE survey_id = :s ORDER BY id"),
            {"s": survey_id},
        ).scalars()
    plan = [
        ("librarian", a, {q1: 4}),
        ("librarian", a, {q1: 4}),
        ("librarian", a, {q1: 5}),
        ("teacher", a, {q1: 2, q2: "Mer tid för läsning"}),
        ("teacher", a, {q1: 3}),
        ("teacher", a, {q1: 5}),
        ("teacher", b, {q1: 1, q2: "Bara jag svarade härifrån"}),
    ]
    for number, (role, school, values) in enumerate(plan, start=1):
        person = account(url, f"svarande{number}", "referensgrupp")
        with Session(engine) as session:
            survey_service.answer(
                session, person, survey_id, respondent_role=role, school_id=school, answers=values
            )
    engine.dispose()
    return survey_id, name_a, name_b


def test_in_app_survey_results_by_role_and_school(writable_demo_app):
    survey_id, school_a, school_b = _answered_in_app(writable_demo_app)
    at = open_page()
    section = at.container(key="follow_up_app_surveys")
    assert at.selectbox(key="follow_up_app_survey").value == survey_id
    assert "7 har svarat" in section.caption[0].value
    table = section.dataframe[0].value
    hidden = "För få svarande för att visas"
    rows = [
        (r.role, r.school, r.respondents, None if pd.isna(r.mean) else round(r.mean, 4), r.note)
        for r in table.itertuples()
    ]
    # hand computation (see _answered_in_app): the lone teacher at B is hidden, and so are the
    # teachers' total (4 − 3 would reveal B) and the overall total (it would too)
    assert rows == [
        ("Bibliotekspersonal", school_a, 3, round(13 / 3, 4), ""),
        ("Bibliotekspersonal", "Alla skolenheter", 3, round(13 / 3, 4), ""),
        ("Lärare", school_a, 3, round(10 / 3, 4), ""),
        ("Lärare", school_b, 1, None, hidden),
        ("Lärare", "Alla skolenheter", 4, None, hidden),
        ("Alla svarande", "Alla skolenheter", 7, None, hidden),
    ]
    assert set(table["question"]) == {"Eleverna hittar det de söker."}
    texts = section.dataframe[1].value
    assert texts[["role", "school", "answer"]].values.tolist() == [
        ["Lärare", school_a, "Mer tid för läsning"]
    ]
    assert section.caption[-1].value == (
        "1 fritextsvar visas inte: de kommer från grupper med färre än 3 svarande."
    )
    # answers are plain text in the grid, never Markdown; the survey is not among the imported
    assert all("Mer tid" not in m.value for m in at.markdown)
    assert survey_id not in at.selectbox(key="follow_up_survey_sv").options


def test_no_in_app_answers_says_so(demo_app):
    at = open_page()
    section = at.container(key="follow_up_app_surveys")
    assert [i.value for i in section.info] == [
        "Ingen enkät som besvaras i skolbib har fått svar ännu."
    ]
