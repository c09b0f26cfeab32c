"""Enkäter / Surveys: answer the surveys published to your role; project leaders build and
publish them.

Layout and calls only. Every write goes through :mod:`inventory.survey_service`, which checks
the permissions itself (``survey.answer``, ``survey.publish``), keeps "once per person" with a
unique key in the same transaction as the answers and stores anonymous answers without any
link to the person. Survey titles and questions are user text: they are shown escaped.
"""

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app import state, state_surveys
from app.i18n import current_language, t
from app.services import surveys as svc
from app.services.action_plans import escape_markdown
from app.session import ROLES, current_user
from inventory.models import FIRST_YEAR, LAST_YEAR, Role
from inventory.permissions import PermissionDeniedError, can
from inventory.survey_service import (
    ANSWER_ROLES,
    MIN_GROUP,
    OpenSurvey,
    SurveyError,
    answer,
    create_survey,
    open_surveys_for,
    publish,
    today,
)

FLASH_KEY = "surveys_flash"
lang = current_language()
user = current_user()

st.title(t("surveys.title"))
st.caption(t("surveys.caption"))
if not can(user, "survey.answer"):
    st.error(t("surveys.not_allowed"), icon=":material/block:")
    st.stop()


def problems_text(heading: str, error: SurveyError) -> str:
    """The heading and one line per problem (translated; no user text in it)."""
    lines = [t(f"surveys.problem.{p.reason}", row=p.row or "") for p in error.problems]
    return "\n".join([heading, *[f"- {line}" for line in lines]])


def written() -> None:
    """After a write: cached frames of every page are out of date."""
    state.clear_data_caches()
    state_surveys.clear_caches()


flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

# --------------------------------------------------------------------------- answering
try:
    with Session(state.get_engine()) as session:
        open_surveys = open_surveys_for(session, user)
    schools = state_surveys.school_options()
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()
school_names = {
    int(r.school_id): f"{r.name} ({r.school_unit_code}), {r.municipality}"
    for r in schools.itertuples()
}
has_account = getattr(user, "id", None) is not None


def answer_form(survey: OpenSurvey) -> None:
    """One survey: the notes, then the form (or a thank-you when already answered)."""
    st.markdown(t("surveys.survey_heading", title=escape_markdown(survey.title), year=survey.year))
    notes = [t("surveys.anonymous_note" if survey.anonymous else "surveys.named_note")]
    if survey.closes_on is not None:
        notes.append(t("surveys.closes", date=survey.closes_on.isoformat()))
    st.caption(" ".join(notes))
    if survey.answered:
        st.success(t("surveys.answered"), icon=":material/task_alt:")
        return
    prefix = f"survey_{survey.id}"
    with st.form(f"{prefix}_form", enter_to_submit=False):
        role = st.selectbox(
            t("surveys.respondent_role"),
            ANSWER_ROLES,
            index=None,
            placeholder=t("surveys.respondent_role_placeholder"),
            format_func=lambda r: t(f"surveys.respondent.{r}"),
            key=f"{prefix}_role",
        )
        school = st.selectbox(
            t("surveys.school"),
            list(school_names),
            index=None,
            placeholder=t("surveys.school_placeholder"),
            format_func=lambda i: school_names.get(i, str(i)),
            help=t("surveys.school_help", minimum=MIN_GROUP),
            key=f"{prefix}_school",
        )
        values = {}
        for question in survey.questions:
            label = escape_markdown(question.text(lang))
            if question.kind == "likert":
                values[question.id] = st.radio(
                    label,
                    svc.LIKERT_VALUES,
                    index=None,
                    horizontal=True,
                    format_func=lambda v: t(f"surveys.likert.{v}"),
                    help=t("surveys.likert_help"),
                    key=f"{prefix}_q{question.id}",
                )
            else:
                values[question.id] = st.text_area(
                    label,
                    max_chars=5000,
                    help=t("surveys.text_help"),
                    key=f"{prefix}_q{question.id}",
                )
        sent = st.form_submit_button(
            t("surveys.submit"),
            type="primary",
            icon=":material/send:",
            disabled=not has_account,
            key=f"{prefix}_submit",
        )
    if not sent:
        return
    try:
        with Session(state.get_engine()) as session:
            answer(session, user, survey.id, respondent_role=role, school_id=school, answers=values)
    except SurveyError as exc:
        with st.container(key=f"{prefix}_refused"):
            st.error(problems_text(t("surveys.refused"), exc), icon=":material/error:")
        return
    except PermissionDeniedError:
        st.error(t("surveys.not_allowed"), icon=":material/block:")
        return
    except state.DATABASE_ERRORS as exc:
        st.error(t("surveys.write_error", reason=state.error_reason(exc)))
        return
    written()
    st.session_state[FLASH_KEY] = t("surveys.thanks", title=escape_markdown(survey.title))
    st.rerun()


with st.container(key="surveys_open"):
    st.header(t("surveys.open_heading"))
    if not has_account:
        st.info(t("surveys.needs_account"), icon=":material/person_off:")
    if not open_surveys:
        st.info(t("surveys.none_open"), icon=":material/info:")
    for open_survey in open_surveys:
        with st.container(key=f"survey_{open_survey.id}", border=True):
            answer_form(open_survey)

# --------------------------------------------------------------------------- publishing
if not can(user, "survey.publish"):
    st.stop()


def role_label(role: str) -> str:
    return t(f"role.{role}")


def build_form() -> None:
    """Title, year, audience, anonymity, closing date and the questions; creates a draft."""
    with st.form("surveys_new", enter_to_submit=False):
        title = st.text_input(t("surveys.new_title"), max_chars=200, key="surveys_new_title")
        with st.container(horizontal=True):
            year = st.number_input(
                t("surveys.new_year"),
                min_value=FIRST_YEAR,
                max_value=LAST_YEAR,
                value=today().year,
                step=1,
                key="surveys_new_year",
            )
            audience = st.selectbox(
                t("surveys.new_audience"),
                ROLES,
                index=ROLES.index(Role.REFERENCE_GROUP.value),
                format_func=role_label,
                help=t("surveys.new_audience_help"),
                key="surveys_new_audience",
            )
            closes_on = st.date_input(
                t("surveys.new_closes"),
                value=None,
                min_value=today(),
                format="YYYY-MM-DD",
                key="surveys_new_closes",
            )
        anonymous = st.checkbox(
            t("surveys.new_anonymous"),
            value=True,
            help=t("surveys.new_anonymous_help"),
            key="surveys_new_anonymous",
        )
        st.caption(t("surveys.new_questions"))
        questions = st.data_editor(
            svc.empty_questions(),
            num_rows="dynamic",
            hide_index=True,
            key="surveys_new_questions",
            alt=t("surveys.new_questions_alt"),
            column_config={
                "kind": st.column_config.SelectboxColumn(
                    t("surveys.col.kind"),
                    options=svc.QUESTION_KINDS,
                    format_func=lambda k: t(f"surveys.kind.{k}"),
                    default="likert",
                    required=True,
                ),
                "text_sv": st.column_config.TextColumn(
                    t("surveys.col.text_sv"), max_chars=1000, width="large"
                ),
                "text_en": st.column_config.TextColumn(
                    t("surveys.col.text_en"), max_chars=1000, width="large"
                ),
            },
        )
        create = st.form_submit_button(
            t("surveys.create"), icon=":material/add:", key="surveys_create"
        )
    if not create:
        return
    try:
        with Session(state.get_engine()) as session:
            survey = create_survey(
                session,
                user,
                title=title,
                year=int(year),
                audience_role=audience,
                questions=svc.questions_from_editor(questions),
                anonymous=anonymous,
                closes_on=closes_on if isinstance(closes_on, date) else None,
            )
            name = survey.title
    except SurveyError as exc:
        with st.container(key="surveys_new_refused"):
            st.error(problems_text(t("surveys.not_created"), exc), icon=":material/error:")
        return
    except PermissionDeniedError:
        st.error(t("surveys.not_allowed_publish"), icon=":material/block:")
        return
    except state.DATABASE_ERRORS as exc:
        st.error(t("surveys.write_error", reason=state.error_reason(exc)))
        return
    written()
    for key in ("surveys_new_title", "surveys_new_questions", "surveys_new_closes"):
        st.session_state.pop(key, None)  # an empty builder for the next survey
    st.session_state[FLASH_KEY] = t("surveys.created", title=escape_markdown(name))
    st.rerun()


def survey_list(made: pd.DataFrame) -> None:
    """Every survey made in skolbib with its state; a draft can be published."""
    if made.empty:
        st.info(t("surveys.none_made"), icon=":material/info:")
        return
    now = today()
    shown = pd.DataFrame(
        {
            "title": made["title"],
            "year": made["year"],
            "audience": made["audience_role"].map(role_label),
            "anonymous": made["anonymous"],
            "state": [
                t(f"surveys.state.{svc.survey_state(p, c, now)}")
                for p, c in zip(made["published"], made["closes_on"], strict=True)
            ],
            "closes_on": pd.to_datetime(made["closes_on"]),
            "questions": made["questions"],
            "participants": made["participants"],
        }
    )
    # titles are user text: shown in the data grid, as plain text
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "title": st.column_config.TextColumn(t("surveys.col.title"), width="large"),
            "year": st.column_config.NumberColumn(t("surveys.col.year"), format="plain"),
            "audience": st.column_config.TextColumn(t("surveys.col.audience")),
            "anonymous": st.column_config.CheckboxColumn(t("surveys.col.anonymous")),
            "state": st.column_config.TextColumn(t("surveys.col.state")),
            "closes_on": st.column_config.DateColumn(
                t("surveys.col.closes_on"), format="YYYY-MM-DD"
            ),
            "questions": st.column_config.NumberColumn(t("surveys.col.questions")),
            "participants": st.column_config.NumberColumn(t("surveys.col.participants")),
        },
        alt=t("surveys.list_alt"),
    )
    drafts = made[~made["published"]]
    if drafts.empty:
        st.caption(t("surveys.no_drafts"))
        return
    titles = {
        int(r.survey_id): f"{r.title} ({r.year}) → {role_label(r.audience_role)}"
        for r in drafts.itertuples()
    }
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            t("surveys.draft_choice"),
            list(titles),
            format_func=lambda i: titles.get(i, str(i)),
            key="surveys_draft",
        )
        go = st.button(
            t("surveys.publish"), type="primary", icon=":material/publish:", key="surveys_publish"
        )
    if not go or chosen is None:
        return
    try:
        with Session(state.get_engine()) as session:
            publish(session, user, int(chosen))
    except SurveyError as exc:
        st.error(problems_text(t("surveys.not_created"), exc), icon=":material/error:")
        return
    except PermissionDeniedError:
        st.error(t("surveys.not_allowed_publish"), icon=":material/block:")
        return
    except state.DATABASE_ERRORS as exc:
        st.error(t("surveys.write_error", reason=state.error_reason(exc)))
        return
    written()
    row = drafts[drafts["survey_id"] == chosen].iloc[0]
    st.session_state[FLASH_KEY] = t(
        "surveys.published",
        title=escape_markdown(row["title"]),
        role=role_label(row["audience_role"]),
    )
    st.rerun()


with st.container(key="surveys_publish_section"):
    st.header(t("surveys.publish_heading"))
    st.caption(t("surveys.publish_caption"))
    build_form()
with st.container(key="surveys_list"):
    st.markdown(f"**{t('surveys.list_heading')}**")
    try:
        made = state_surveys.app_surveys()
    except state.DATABASE_ERRORS as exc:
        st.error(t("overview.database_error", reason=state.error_reason(exc)))
        st.stop()
    survey_list(made)
