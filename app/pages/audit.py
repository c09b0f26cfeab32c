"""Ändringslogg / Audit trail: who changed what and when, filtered, paged and downloadable.

Only for ``audit.view`` (administrators): the navigation hides the page from everybody else
and the page checks again itself. Layout and calls only: the entries come from
:mod:`inventory.audit_query`, the files and the table from :mod:`app.services.audit`.
"""

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app import state
from app.i18n import fmt_int, has_key, t
from app.services import audit as svc
from app.session import current_user
from inventory.audit_query import (
    MAX_LIMIT,
    AuditFilter,
    audit_entries,
    count_entries,
    filter_choices,
)
from inventory.permissions import can

PAGE_SIZE = 100
PAGE_KEY = "audit_page"

user = current_user()
st.title(t("audit.title"))
if not can(user, "audit.view"):
    st.error(t("audit.not_allowed"), icon=":material/block:")
    st.stop()
st.caption(t("audit.caption"))


def label(kind: str, code: str | None) -> str:
    """The translated name of an action or table code; the code itself when there is none."""
    if code is None:
        return ""
    key = f"audit.{kind}.{code}"
    return t(key) if has_key(key) else code


try:
    with Session(state.get_engine()) as session:
        choices = filter_choices(session)
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()

with st.container(key="audit_filters"):
    st.header(t("audit.filters"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        since = st.date_input(t("audit.since"), value=None, key="audit_since", format="YYYY-MM-DD")
        until = st.date_input(t("audit.until"), value=None, key="audit_until", format="YYYY-MM-DD")
        username = st.selectbox(
            t("audit.user"),
            choices["username"],
            index=None,
            placeholder=t("audit.any"),
            key="audit_username",
        )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        action = st.selectbox(
            t("audit.action"),
            choices["action"],
            index=None,
            placeholder=t("audit.any"),
            format_func=lambda code: label("action", code),
            key="audit_action",
        )
        entity = st.selectbox(
            t("audit.entity"),
            choices["entity"],
            index=None,
            placeholder=t("audit.any"),
            format_func=lambda code: label("entity", code),
            key="audit_entity",
        )
        entity_id = st.text_input(
            t("audit.entity_id"),
            key="audit_entity_id",
            max_chars=80,
            help=t("audit.entity_id_help"),
        )

if isinstance(since, date) and isinstance(until, date) and since > until:
    st.error(t("audit.bad_range", since=since.isoformat(), until=until.isoformat()))
    st.stop()
filters = AuditFilter(
    since=since, until=until, username=username, action=action, entity=entity, entity_id=entity_id
)


def read_page(offset: int) -> pd.DataFrame:
    with Session(state.get_engine()) as session:
        return audit_entries(session, filters, limit=PAGE_SIZE, offset=offset)


with st.container(key="audit_entries"):
    try:
        with Session(state.get_engine()) as session:
            total = count_entries(session, filters)
    except state.DATABASE_ERRORS as exc:
        st.error(t("overview.database_error", reason=state.error_reason(exc)))
        st.stop()
    st.caption(t("audit.count", total=fmt_int(total)))
    if total == 0:
        st.info(t("audit.empty"), icon=":material/info:")
        st.stop()
    pages = svc.page_count(total, PAGE_SIZE)
    if st.session_state.get(PAGE_KEY, 1) > pages:
        st.session_state[PAGE_KEY] = 1  # the selection shrank
    page = st.number_input(
        t("audit.page"),
        min_value=1,
        max_value=pages,
        step=1,
        key=PAGE_KEY,
        help=t("audit.page_help", size=PAGE_SIZE),
    )
    offset = (int(page) - 1) * PAGE_SIZE
    entries = read_page(offset)
    shown = svc.display_frame(entries)
    shown["action"] = shown["action"].map(lambda code: label("action", code))
    shown["entity"] = shown["entity"].map(lambda code: label("entity", code))
    # user text (usernames, values) only ever in the data grid: shown as plain text
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "at": st.column_config.DatetimeColumn(t("audit.col.at"), format="YYYY-MM-DD HH:mm:ss"),
            "username": st.column_config.TextColumn(t("audit.col.username")),
            "action": st.column_config.TextColumn(t("audit.col.action")),
            "entity": st.column_config.TextColumn(t("audit.col.entity")),
            "entity_id": st.column_config.TextColumn(t("audit.col.entity_id")),
            "field": st.column_config.TextColumn(t("audit.col.field")),
            "old_value": st.column_config.TextColumn(t("audit.col.old_value")),
            "new_value": st.column_config.TextColumn(t("audit.col.new_value")),
            "user_id": st.column_config.NumberColumn(t("audit.col.user_id"), format="plain"),
            "id": st.column_config.NumberColumn(t("audit.col.id"), format="plain"),
        },
        alt=t("audit.table_alt"),
    )
    st.caption(
        t(
            "audit.showing",
            first=fmt_int(offset + 1),
            last=fmt_int(offset + len(entries)),
            total=fmt_int(total),
        )
    )


def download(fmt: str) -> bytes:
    """The selection (the newest :data:`MAX_LIMIT` entries) as a file, built when clicked."""
    with Session(state.get_engine()) as session:
        return svc.export_bytes(audit_entries(session, filters, limit=MAX_LIMIT), fmt)


with st.container(key="audit_downloads", horizontal=True):
    stamp = date.today().isoformat()
    for fmt in svc.FORMATS:
        st.download_button(
            t(f"audit.download_{fmt}"),
            data=lambda fmt=fmt: download(fmt),
            file_name=f"andringslogg-{stamp}.{fmt}",
            mime=svc.MIME_TYPES[fmt],
            key=f"audit_download_{fmt}",
            icon=":material/download:",
            help=t("audit.download_help", limit=fmt_int(MAX_LIMIT)),
        )
if total > MAX_LIMIT:
    st.caption(t("audit.download_limited", total=fmt_int(total), limit=fmt_int(MAX_LIMIT)))
