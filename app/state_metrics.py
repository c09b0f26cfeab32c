"""Cached metrics for the analysis pages: per-library indicators, peer groups, reference values.

Thin ``st.cache_data`` wrappers around pure :mod:`metrics` functions, in the manner of
:mod:`app.state`. The frames come from :mod:`app.state`'s cached loaders; the computations are
cached on the database URL *and* the content of the frame they start from (Streamlit hashes the
DataFrame argument), so a cached result can never outlive an edit of the inventory:
:func:`app.state.clear_data_caches` clears the frames, new frames hash differently, and the
metric is recomputed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import state
from inventory.db import database_url
from metrics import indicators, peers, standards

DATA_TTL_SECONDS = state.DATA_TTL_SECONDS
_MAX_ENTRIES = 32
#: School-frame columns the peer search reads (the rest is not hashed).
_PEER_INPUT_COLUMNS = [
    "school_unit_code",
    "year",
    "pupils_total",
    "has_preschool_class",
    "has_grades_1_3",
    "has_grades_4_6",
    "has_grades_7_9",
    "has_upper_secondary",
    "share_foreign_background",
    "share_parents_post_secondary",
]


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _library_indicators(url: str, frame: pd.DataFrame) -> pd.DataFrame:  # noqa: ARG001
    return indicators.library_indicators(frame)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=_MAX_ENTRIES, show_spinner=False)
def _peer_groups(url: str, schools: pd.DataFrame, k: int) -> pd.DataFrame:  # noqa: ARG001
    return peers.peer_groups(schools, k=k)


@st.cache_data(ttl=DATA_TTL_SECONDS, max_entries=4, show_spinner=False)
def _reference_values(path: str, modified: float) -> pd.DataFrame:  # noqa: ARG001
    return standards.load_reference_values(path)


def library_indicators(year: int, municipality: str | None = None) -> pd.DataFrame:
    """:func:`metrics.indicators.library_indicators` of one year's ``library_year_frame``.

    ``municipality=None`` gives the libraries of every municipality (a school unit may be
    served by a library across a border).
    """
    frame = state.library_year_frame(years=[year], municipality=municipality)
    return _library_indicators(database_url(), frame)


def peer_groups(year: int, k: int = 5) -> pd.DataFrame:
    """:func:`metrics.peers.peer_groups` over every school unit of ``year`` (all municipalities)."""
    schools = state.school_frame(years=[year]).reindex(columns=_PEER_INPUT_COLUMNS)
    return _peer_groups(database_url(), schools, int(k))


def reference_values(
    path: str | Path = standards.DEFAULT_REFERENCE_PATH,
) -> pd.DataFrame:
    """:func:`metrics.standards.load_reference_values`, re-read when the file changes."""
    file = Path(path)
    return _reference_values(str(file), file.stat().st_mtime)


_CACHED = (_library_indicators, _peer_groups, _reference_values)


def clear_metric_caches() -> None:
    """Forget every cached metric (not needed after an edit; see the module docstring)."""
    for function in _CACHED:
        function.clear()
