"""Cached access to the inventory database for the Streamlit pages.

The only place where Streamlit caching meets the domain code: one engine per database URL
(``st.cache_resource``) and thin ``st.cache_data`` wrappers that open a ``sqlmodel.Session`` and
call :mod:`inventory.repository`. The configured URL (``SKOLBIB_DATABASE_URL``) is part of every
cache key, so two databases never share cached frames; the engine itself is looked up inside the
wrappers and never hashed. Call :func:`clear_data_caches` after a write.

Several app processes may share one (PostgreSQL) database: each wrapper first asks, at most once
a second per process, for the database's data version (:func:`sync_with_database`) and drops
the process's cached frames when another process or the command line has written since.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from inventory import repository
from inventory.db import DatabaseConfigError, database_url, make_engine
from inventory.models import AuditEntry

DATA_TTL_SECONDS = 300
_MAX_ENTRIES = 64
#: What reading the database may raise (pandas wraps driver errors of ``read_sql``).
#: A malformed ``SKOLBIB_DATABASE_URL`` (:class:`DatabaseConfigError`) is reported the same way.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.SQLAlchemyError,
    pd.errors.DatabaseError,
    DatabaseConfigError,
)
#: Seconds to wait for a PostgreSQL server before a page shows the database error (a server
#: that does not answer would otherwise hold every page until the operating system gives up).
ENV_CONNECT_TIMEOUT = "SKOLBIB_DATABASE_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT_S = 10


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


def connect_timeout() -> int:
    """``SKOLBIB_DATABASE_CONNECT_TIMEOUT`` in whole seconds (at least 1; default 10)."""
    try:
        return max(1, int(os.environ.get(ENV_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_CONNECT_TIMEOUT_S


def engine_options(url: str) -> dict:
    """Extra engine arguments: a connect timeout for PostgreSQL unless the URL sets one."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return {}  # make_engine reports the malformed URL
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return {}
    return {"connect_args": {"connect_timeout": connect_timeout()}}


@st.cache_resource(show_spinner=False, max_entries=4, on_release=_dispose)
def engine_for(url: str) -> Engine:
    return make_engine(url, **engine_options(url))


#: At most this often (seconds) a process asks the database whether anything was written.
DATA_VERSION_INTERVAL_S = 1.0
_version_lock = threading.Lock()
_version_seen: dict[str, tuple[int, int]] = {}
_version_checked: dict[str, float] = {}


def data_version(engine: Engine) -> tuple[int, int]:
    """The database's data version: the highest audit entry id and the number of entries.

    Every write to the inventory, scenarios, comments, plans, surveys and accounts records an
    audit entry in its own transaction, so the pair changes with every committed write, in any
    process. The count catches a transaction that drew a lower id but committed later.
    """
    with engine.connect() as connection:
        top, count = connection.execute(
            sa.select(sa.func.max(AuditEntry.id), sa.func.count()).select_from(AuditEntry)
        ).one()
    return int(top or 0), int(count)


def sync_with_database(url: str) -> None:
    """Drop every cached frame when the database was written since this process last looked.

    Several app processes (or the command line) may write to one database; each process has
    its own caches, which :func:`clear_data_caches` empties only in the process that wrote.
    Asked at most every :data:`DATA_VERSION_INTERVAL_S` seconds per URL; a database that
    cannot be read is left to the reads that follow, which report it.
    """
    now = time.monotonic()
    with _version_lock:
        if now - _version_checked.get(url, -math.inf) < DATA_VERSION_INTERVAL_S:
            return
        _version_checked[url] = now
    try:
        version = data_version(engine_for(url))
    except DATABASE_ERRORS:
        return
    with _version_lock:
        previous = _version_seen.get(url)
        _version_seen[url] = version
    if previous is not None and previous != version:
        st.cache_data.clear()


def synced_url() -> str:
    """The configured database URL, after :func:`sync_with_database` (the cache key of every
    wrapper below)."""
    url = database_url()
    sync_with_database(url)
    return url


def get_engine() -> Engine:
    """The shared engine for the configured database URL (created once per URL)."""
    return engine_for(synced_url())


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
    return _school_frame(synced_url(), years_key(years), municipality)


def library_year_frame(
    years: Iterable[int] | None = None, municipality: str | None = None
) -> pd.DataFrame:
    """:func:`inventory.repository.library_year_frame`, cached."""
    return _library_year_frame(synced_url(), years_key(years), municipality)


def municipalities() -> pd.DataFrame:
    """:func:`inventory.repository.municipalities`, cached."""
    return _municipalities(synced_url())


def districts(municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.districts`, cached."""
    return _districts(synced_url(), municipality)


def libraries(municipality: str | None = None) -> pd.DataFrame:
    """:func:`inventory.repository.libraries`, cached."""
    return _libraries(synced_url(), municipality)


def inventory_years() -> list[int]:
    """:func:`inventory.repository.inventory_years`, cached."""
    return _inventory_years(synced_url())


def summary_counts() -> dict:
    """:func:`inventory.repository.summary_counts`, cached."""
    return _summary_counts(synced_url())


def clear_data_caches() -> None:
    """Forget every cached frame, of every page module (call after writing to the inventory).

    ``st.cache_data.clear()`` empties all data caches at once, so a page module that adds its
    own cached loaders never serves stale data after a write.
    """
    st.cache_data.clear()
