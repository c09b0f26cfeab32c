"""Cached reads for the collections page (Samlingar), in the pattern of :mod:`app.state`.

The database URL is part of every cache key and the engine is looked up inside the wrappers.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.state import DATA_TTL_SECONDS, engine_for, years_key
from inventory import repository
from inventory.db import database_url

_MAX_ENTRIES = 32


def _ids(library_ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(i) for i in library_ids}))


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _collection_years(
    url: str, years: tuple[int, ...] | None, municipality: str | None
) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.collection_years(session, years=years, municipality=municipality)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _catalogue_item_counts(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.catalogue_item_counts(session)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _catalogue_year_counts(url: str, library_ids: tuple[int, ...]) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.catalogue_year_counts(session, library_ids=library_ids)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _incomplete_catalogue_items(url: str, library_ids: tuple[int, ...]) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.catalogue_items(session, library_ids=library_ids, incomplete_only=True)


def collection_years(
    years: Iterable[int] | None = None, municipality: str | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.collection_years`, cached."""
    return _collection_years(database_url(), years_key(years), municipality)


def catalogue_item_counts() -> pd.DataFrame:
    """:func:`inventory.repository.catalogue_item_counts`, cached."""
    return _catalogue_item_counts(database_url())


def catalogue_year_counts(library_ids: Iterable[int]) -> pd.DataFrame:
    """:func:`inventory.repository.catalogue_year_counts` for ``library_ids``, cached."""
    return _catalogue_year_counts(database_url(), _ids(library_ids))


def incomplete_catalogue_items(library_ids: Iterable[int]) -> pd.DataFrame:
    """:func:`inventory.repository.catalogue_items` (incomplete items only), cached."""
    return _incomplete_catalogue_items(database_url(), _ids(library_ids))


_CACHED = (
    _collection_years,
    _catalogue_item_counts,
    _catalogue_year_counts,
    _incomplete_catalogue_items,
)


def clear_caches() -> None:
    """Forget this module's cached frames (``app.state.clear_data_caches`` does not know them)."""
    for function in _CACHED:
        function.clear()
