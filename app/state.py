"""Cached access to the inventory database for the Streamlit pages.

The only place where Streamlit caching meets the domain code: one engine per database URL
(``st.cache_resource``) and thin ``st.cache_data`` wrappers that open a ``sqlmodel.Session`` and
call :mod:`inventory.repository`. The configured URL (``SKOLBIB_DATABASE_URL``) is part of every
cache key, so two databases never share cached frames; the engine itself is looked up inside the
wrappers and never hashed. Call :func:`clear_data_caches` after a write.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventory import repository
from inventory.db import database_url, make_engine

DATA_TTL_SECONDS = 300
_MAX_ENTRIES = 64
#: What reading the database may raise (pandas wraps driver errors of ``read_sql``).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, pd.errors.DatabaseError)


def error_reason(exc: BaseException) -> str:
    """The first line of the driver's own message (e.g. ``no such table: municipality``)."""
    root: BaseException = exc
    while root.__cause__ is not None:
        root = root.__cause__
    root = getattr(root, "orig", None) or root
    lines = str(root).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _dispose(engine: Engine) -> None:
    engine.dispose()


@st.cache_resource(show_spinner=False, max_entries=4, on_release=_dispose)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The shared engine for the configured database URL (created once per URL)."""
    return engine_for(database_url())


def years_key(years: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if years is None else tuple(sorted({int(y) for y in years}))


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _school_frame(
    url: str, years: tuple[int, ...] | None, municipality: str | None
) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.school_frame(session, years=years, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _library_year_frame(
    url: str, years: tuple[int, ...] | None, municipality: str | None
) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.library_year_frame(session, years=years, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _municipalities(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.municipalities(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _districts(url: str, municipality: str | None) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.districts(session, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _libraries(url: str, municipality: str | None) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.libraries(session, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _inventory_years(url: str) -> list[int]:
    with Session(engine_for(url)) as session:
        return repository.inventory_years(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _summary_counts(url: str) -> dict:
    with Session(engine_for(url)) as session:
        return repository.summary_counts(session)


def school_frame(
    years: Iterable[int] | None = None, municipality: str | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.school_frame`, cached."""
    return _school_frame(database_url(), years_key(years), municipality)


def library_year_frame(
    years: Iterable[int] | None = None, municipality: str | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.library_year_frame`, cached."""
    return _library_year_frame(database_url(), years_key(years), municipality)


def municipalities() -> pd.DataFrame:
    """:func:`inventory.repository.municipalities`, cached."""
    return _municipalities(database_url())


def districts(municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.districts`, cached."""
    return _districts(database_url(), municipality)


def libraries(municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.libraries`, cached."""
    return _libraries(database_url(), municipality)


def inventory_years() -> list[int]:
    """:func:`inventory.repository.inventory_years`, cached."""
    return _inventory_years(database_url())


def summary_counts() -> dict:
    """:func:`inventory.repository.summary_counts`, cached."""
    return _summary_counts(database_url())


def clear_data_caches() -> None:
    """Forget every cached frame, of every page module (call after writing to the inventory).

    ``st.cache_data.clear()`` empties all data caches at once, so a page module that adds its
    own cached loaders never serves stale data after a write.
    """
    st.cache_data.clear()
