"""Cached reads for the action-plans page (Handlingsplaner), in the pattern of :mod:`app.state`.

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


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _action_plans(
    url: str, years: tuple[int, ...] | None, municipality: str | None
) -> pd.DataFrame:
    with Session(engine_for(url)) as session:
        return repository.action_plans(session, years=years, municipality=municipality)


def action_plans(
    years: Iterable[int] | None = None, municipality: str | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.action_plans`, cached."""
    return _action_plans(database_url(), years_key(years), municipality)


_CACHED = (_action_plans,)


def clear_caches() -> None:
    """Forget this module's cached frames (``app.state.clear_data_caches`` does not know them)."""
    for function in _CACHED:
        function.clear()
