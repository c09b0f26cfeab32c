"""Cached reads and statistics for the outcomes section of the comparison page (Jämförelse).

In the pattern of :mod:`app.state` and :mod:`app.state_metrics`: the database URL is part of
every cache key and the engine is looked up inside the wrappers. The bootstrap statistics are
cached on the content of the frame they start from (Streamlit hashes the DataFrame argument),
so they are recomputed whenever the results or the inventory change.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.services import outcomes as svc
from app.state import DATA_TTL_SECONDS, engine_for, years_key
from inventory import repository
from inventory.db import database_url

_MAX_ENTRIES = 32


def _codes_key(municipalities: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if municipalities is None:
        return None
    codes = [municipalities] if isinstance(municipalities, str) else list(municipalities)
    return tuple(sorted({str(code) for code in codes}))


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _school_results(
    url: str, years: tuple[int, ...] | None, municipalities: tuple[str, ...] | None
) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.school_results(session, years=years, municipalities=municipalities)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _result_years(url: str) -> list[int]:
    with Session(engine_for(url)) as session:
        frame = repository.school_results(session)
    return svc.no_results_years(frame["year"])


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _associations(url: str, frame: pd.DataFrame, outcome: str) -> pd.DataFrame:  # noqa: ARG001
    return svc.associations(frame, outcome)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _line(
    url: str,  # noqa: ARG001
    frame: pd.DataFrame,
    indicator: str,
    outcome: str,
    adjusted: bool,
    shift: float,
) -> pd.DataFrame:
    return svc.line(frame, indicator, outcome, adjusted=adjusted, shift=shift)


def school_results(
    years: Iterable[int] | None = None, municipalities: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.school_results`, cached."""
    return _school_results(database_url(), years_key(years), _codes_key(municipalities))


def result_years() -> list[int]:
    """School years that have year-9 results, sorted."""
    return _result_years(database_url())


def associations(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """:func:`app.services.outcomes.associations` (every indicator, bootstrap), cached."""
    return _associations(database_url(), frame, outcome)


def line(
    frame: pd.DataFrame, indicator: str, outcome: str, *, adjusted: bool, shift: float = 0.0
) -> pd.DataFrame:
    """:func:`app.services.outcomes.line` (fitted line and bootstrap band), cached."""
    return _line(database_url(), frame, indicator, outcome, bool(adjusted), float(shift))


_CACHED = (_school_results, _result_years, _associations, _line)


def clear_caches() -> None:
    """Forget this module's cached frames and statistics."""
    for function in _CACHED:
        function.clear()
