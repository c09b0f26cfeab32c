"""Cached reads for the follow-up page (Uppföljning), in the pattern of :mod:`app.state`.

The database URL is part of every cache key and the engine is looked up inside the wrappers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.state import DATA_TTL_SECONDS, engine_for
from inventory import repository
from inventory.db import database_url

_MAX_ENTRIES = 32


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _resource_centre_years(url: str, municipality: str | None) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.resource_centre_years(session, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _surveys(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.surveys(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _survey_answers(url: str, survey_id: int | None, municipality: str | None) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.survey_answers(session, survey_id=survey_id, municipality=municipality)


def resource_centre_years(municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.resource_centre_years` (all years), cached."""
    return _resource_centre_years(database_url(), municipality)


def surveys() -> pd.DataFrame:
    """:func:`inventory.repository.surveys`, cached."""
    return _surveys(database_url())


def survey_answers(survey_id: int | None = None, municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.survey_answers`, cached."""
    return _survey_answers(
        database_url(), None if survey_id is None else int(survey_id), municipality
    )


_CACHED = (_resource_centre_years, _surveys, _survey_answers)


def clear_caches() -> None:
    """Forget this module's cached frames (``app.state.clear_data_caches`` does not know them)."""
    for function in _CACHED:
        function.clear()
