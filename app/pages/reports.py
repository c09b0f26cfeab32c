"""Rapporter / Reports: the planning summary for managers as PDF, Excel, CSV or GIS files.

Layout and calls only: the summary is built by :mod:`app.services.reports` (which calls
:mod:`planning.summary` and the renderers) when a download button is clicked, in a session of
its own; nothing is built on a rerun. The page needs ``export.summary``; the summary builder
checks it again.
"""

from functools import partial

import streamlit as st

from app import state, state_scenarios
from app.components.page import start_page
from app.i18n import LANGUAGE_NAMES, LANGUAGES, t
from app.services import reports as services
from app.session import current_user
from inventory.db import database_url
from inventory.permissions import can
from planning.export_csv import DIALECTS
from planning.summary import SCOPES, SummaryRequest

#: download button icons per format
ICONS = {
    "pdf": ":material/picture_as_pdf:",
    "xlsx": ":material/table_view:",
    "csv": ":material/csv:",
    "gpkg": ":material/map:",
    "geojson": ":material/public:",
}

page = start_page("reports", detail=False)
user = current_user()
if not can(user, "export.summary"):
    st.error(t("reports.denied"), icon=":material/lock:")
    st.stop()

try:
    municipalities = state.municipalities()
    saved = state_scenarios.saved_scenarios()
    has_schools = not state.school_frame(years=[page.year], municipality=page.code).empty
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()

with st.container(key="reports_options", border=True):
    scope = st.radio(
        t("reports.scope"),
        list(SCOPES),
        format_func=lambda s: t(f"reports.scope.{s}", lang=page.lang),
        horizontal=True,
        key="reports_scope",
        help=t("reports.scope_help"),
    )
    codes = services.scope_codes(municipalities, page.code, scope)
    if scope == "county":
        names = municipalities.set_index("code").loc[codes, "name"]
        # names as plain text, never Markdown
        st.text(t("reports.county_members", municipalities=", ".join(names)))
    choices = services.scenario_choices(saved, codes)
    scenarios = st.multiselect(
        t("reports.scenarios"),
        choices,
        max_selections=services.SCENARIO_LIMIT,
        key="reports_scenarios",
        help=t("reports.scenarios_help", limit=services.SCENARIO_LIMIT),
        placeholder=t("reports.scenarios_placeholder"),
    )
    if not choices:
        st.caption(t("reports.scenarios_none"))
    language = st.radio(
        t("reports.language"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(page.lang),
        format_func=LANGUAGE_NAMES.get,
        horizontal=True,
        key="reports_language",
    )
    dialect = st.radio(
        t("reports.dialect"),
        list(DIALECTS),
        format_func=lambda d: t(f"reports.dialect.{d}", lang=page.lang),
        horizontal=True,
        key="reports_dialect",
        help=t("reports.dialect_help"),
    )

request = SummaryRequest(
    municipality=page.code,
    year=page.year,
    scope=scope,
    scenarios=tuple(scenarios),
    lang=language,
)
row = municipalities.set_index("code").loc[page.code]
area = row["name"] if scope == "municipality" else row["county"]
url = database_url()

with st.container(key="reports_downloads"):
    st.header(t("reports.downloads"))
    if not has_schools:
        st.info(t("reports.no_schools", municipality=row["name"], year=page.year))
    st.caption(t("reports.downloads_caption"))
    columns = st.columns(len(services.FORMATS))
    for column, (fmt, spec) in zip(columns, services.FORMATS.items(), strict=True):
        column.download_button(
            t(f"reports.format.{fmt}"),
            data=partial(services.export, url, user, request, fmt, dialect),
            file_name=services.file_name(request, str(area), page.year, fmt),
            mime=spec.mime,
            key=f"reports_download_{fmt}",
            help=t(f"reports.format.{fmt}_help"),
            icon=ICONS[fmt],
            on_click="ignore",
            disabled=not has_schools,
            width="stretch",
        )

with st.expander(t("reports.contents_heading")):
    st.markdown(t("reports.contents"))
