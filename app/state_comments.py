"""Cached reads for Synpunkter (comments) and the scenario lifecycle, in the pattern of
:mod:`app.state`.

The database URL is part of every cache key and the engine is looked up inside the wrappers.
What a reader sees of hidden comments depends only on the role, so the cache key holds the
role (and whether the account is active), never the user object. The write services clear the
caches with :func:`app.state.clear_data_caches`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.session import SessionUser
from app.state import DATA_TTL_SECONDS, engine_for
from inventory.db import database_url
from planning import comments, lifecycle

_MAX_ENTRIES = 32


def _reader(role: str, active: bool) -> SessionUser:
    return SessionUser(username="reader", display_name="reader", role=role, active=active)


def _key(user: Any) -> tuple[str, bool]:
    return str(getattr(user, "role", "")), bool(getattr(user, "active", False))


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _scenarios(url: str, stamp: tuple) -> pd.DataFrame:  # noqa: ARG001 (stamp: cache key)
    with Session(engine_for(url)) as session:
        return lifecycle.scenario_table(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _history(url: str, name: str, stamp: tuple) -> pd.DataFrame:  # noqa: ARG001 (cache key)
    with Session(engine_for(url)) as session:
        return lifecycle.history(session, name)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _threads(url: str, scenario_id: int, role: str, active: bool) -> list[comments.Thread]:
    with Session(engine_for(url)) as session:
        return comments.list_comments(session, _reader(role, active), scenario_id)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _schools(url: str, scenario_id: int) -> list[tuple[int, str, str]]:
    with Session(engine_for(url)) as session:
        return comments.scenario_schools(session, scenario_id)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _export(url: str, scenario_id: int, role: str, active: bool, lang: str) -> bytes:
    with Session(engine_for(url)) as session:
        return comments.comments_csv(session, _reader(role, active), scenario_id, lang)


def scenarios(stamp: tuple = ()) -> pd.DataFrame:
    """:func:`planning.lifecycle.scenario_table`, cached.

    ``stamp`` (e.g. the ids of the saved versions another cache knows) is part of the cache
    key, so a version saved by code that clears only its own caches is still seen here.
    """
    return _scenarios(database_url(), tuple(stamp))


def history(name: str, stamp: tuple = ()) -> pd.DataFrame:
    """:func:`planning.lifecycle.history`, cached (``stamp`` as in :func:`scenarios`)."""
    return _history(database_url(), name, tuple(stamp))


def threads(scenario_id: int, user: Any) -> list[comments.Thread]:
    """:func:`planning.comments.list_comments` as ``user``'s role sees them, cached."""
    return _threads(database_url(), int(scenario_id), *_key(user))


def schools(scenario_id: int) -> list[tuple[int, str, str]]:
    """:func:`planning.comments.scenario_schools`, cached."""
    return _schools(database_url(), int(scenario_id))


def export(scenario_id: int, user: Any, lang: str) -> bytes:
    """:func:`planning.comments.comments_csv` as ``user``'s role sees it, cached."""
    return _export(database_url(), int(scenario_id), *_key(user), lang)
