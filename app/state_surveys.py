"""Cached reads for the surveys made in skolbib, in the pattern of :mod:`app.state`.

Used by the Enkäter page (school units to choose from, the publisher's list) and by the
Uppföljning page (results). What a respondent may answer is read fresh every time, never from
here. The database URL is part of every cache key; call ``app.state.clear_data_caches`` after
a write.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.state import DATA_TTL_SECONDS, engine_for
from inventory import survey_service
from inventory.db import database_url

_MAX_ENTRIES = 32


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _school_options(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return survey_service.school_options(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _app_surveys(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return survey_service.app_surveys(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _results(url: str, survey_id: int) -> survey_service.SurveyResults:
    with Session(engine_for(url)) as session:
        return survey_service.results_by_role_and_school(session, survey_id)


def school_options() -> pd.DataFrame:
    """:func:`inventory.survey_service.school_options`, cached."""
    return _school_options(database_url())


def app_surveys() -> pd.DataFrame:
    """:func:`inventory.survey_service.app_surveys`, cached."""
    return _app_surveys(database_url())


def results(survey_id: int) -> survey_service.SurveyResults:
    """:func:`inventory.survey_service.results_by_role_and_school`, cached."""
    return _results(database_url(), int(survey_id))


_CACHED = (_school_options, _app_surveys, _results)


def clear_caches() -> None:
    """Forget this module's cached values."""
    for function in _CACHED:
        function.clear()
