"""Cached data for the overview page: library indicators, library-school links, reference values.

Same pattern as :mod:`app.state`: the database URL (or the reference file's path) is part of
every cache key and the engine is looked up inside the wrapper, never hashed. Call
:func:`clear_overview_caches` after a write (``app.state.clear_data_caches`` does not know these).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session

from app.services import overview as services
from app.state import DATA_TTL_SECONDS, _library_year_frame, _school_frame, engine_for
from inventory.db import database_url
from inventory.models import Library, LibrarySchool
from metrics.indicators import library_indicators as compute_library_indicators
from metrics.standards import DEFAULT_REFERENCE_PATH, load_reference_values

_MAX_ENTRIES = 32

#: What reading the reference table may raise (missing file, unreadable or invalid rows).
REFERENCE_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, pd.errors.ParserError)


def library_school_links_query() -> sa.Select:
    """Library-school links with the library's host school and kind (``school_checks`` input).

    Columns: ``school_id``, ``library_id``, ``special_reasons``, ``host_school_id``,
    ``library_kind``. (A candidate for :mod:`inventory.repository`; kept here until it has one.)
    """
    return sa.select(
        LibrarySchool.school_id,
        LibrarySchool.library_id,
        LibrarySchool.special_reasons,
        Library.host_school_id,
        Library.kind.label("library_kind"),
    ).join(Library, Library.id == LibrarySchool.library_id)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _library_school_links(url: str) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return pd.read_sql(library_school_links_query(), session.connection())


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _library_indicators(url: str, year: int) -> pd.DataFrame:
    # the cached library-year frame of app.state: one database read for both
    return compute_library_indicators(_library_year_frame(url, (int(year),), None))


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=4, show_spinner=False)
def _reference_values(path: str) -> pd.DataFrame:
    return load_reference_values(path)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _school_checklist(url: str, year: int, municipality: str, reference_path: str) -> pd.DataFrame:
    # every school unit of the municipality, unfiltered: filters only choose rows of the result
    return services.school_checklist(
        _school_frame(url, (int(year),), municipality),
        _library_indicators(url, int(year)),
        _reference_values(reference_path),
        _library_school_links(url),
    )


def library_school_links() -> pd.DataFrame:
    """Every library-school link with its special reasons, cached."""
    return _library_school_links(database_url())


def library_indicators(year: int) -> pd.DataFrame:
    """:func:`metrics.indicators.library_indicators` of every library in ``year``, cached."""
    return _library_indicators(database_url(), int(year))


def reference_values(path: str | Path = DEFAULT_REFERENCE_PATH) -> pd.DataFrame:
    """:func:`metrics.standards.load_reference_values`, cached (may raise REFERENCE_ERRORS)."""
    return _reference_values(str(path))


def school_checklist(
    year: int, municipality: str, reference_path: str | Path = DEFAULT_REFERENCE_PATH
) -> pd.DataFrame:
    """:func:`app.services.overview.school_checklist` of every school unit of ``municipality``
    in ``year``, cached (may raise REFERENCE_ERRORS)."""
    return _school_checklist(database_url(), int(year), municipality, str(reference_path))


def clear_overview_caches() -> None:
    """Forget the cached links, indicators, reference values and checklists."""
    for function in (
        _library_school_links,
        _library_indicators,
        _reference_values,
        _school_checklist,
    ):
        function.clear()
