"""Cached reads for the scenarios page (Scenarier), in the pattern of :mod:`app.state`.

The database URL is part of every cache key and the engine is looked up inside the wrappers.
Call :func:`clear_caches` after saving or copying a scenario.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.state import DATA_TTL_SECONDS, engine_for
from inventory.db import database_url
from planning import scenario_store

_MAX_ENTRIES = 32


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _saved(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return scenario_store.list_scenarios(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _compare(url: str, names: tuple[str, ...]) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return scenario_store.compare_scenarios(session, names)


def saved_scenarios() -> pd.DataFrame:
    """:func:`planning.scenario_store.list_scenarios`, cached."""
    return _saved(database_url())


def compare(names: list[str]) -> pd.DataFrame:
    """:func:`planning.scenario_store.compare_scenarios`, cached."""
    return _compare(database_url(), tuple(names))


_CACHED = (_saved, _compare)


def clear_caches() -> None:
    """Forget this module's cached frames."""
    for function in _CACHED:
        function.clear()


def save(user, name: str, run, base_year: int, municipality: str | None):
    """Save ``run`` (:func:`planning.scenario_store.save_scenario`), commit, clear the caches.

    Returns the saved row's ``(name, version)``. Raises what ``save_scenario`` raises.
    """
    with Session(engine_for(database_url())) as session:
        row = scenario_store.save_scenario(session, user, name, run, base_year, municipality)
        session.commit()
        saved = (row.name, row.version)
    clear_caches()
    return saved


def copy(user, name: str, new_name: str):
    """Copy the latest version of ``name`` as ``new_name``; commit; clear the caches."""
    with Session(engine_for(database_url())) as session:
        row = scenario_store.copy_scenario(session, user, name, new_name)
        session.commit()
        saved = (row.name, row.version)
    clear_caches()
    return saved
