"""Översikt / Overview: one municipality and inventory year at a glance.

Layout and calls only: data comes from :mod:`app.state`, figures from
:mod:`app.services.overview`, the map from :mod:`app.components.map`.
"""

import streamlit as st

from app import state
from app.components.filters import render_filters
from app.components.kpi import Kpi, metric_row
from app.components.map import kind_label, overview_map
from app.i18n import current_language, fmt_int, fmt_number, fmt_percent, is_missing, t
from app.services.overview import (
    STAFFED_THRESHOLD_HOURS,
    library_table,
    overview_kpis,
    school_table,
)

lang = current_language()
st.title(t("overview.title"))

try:
    municipalities = state.municipalities()
    years = state.inventory_years()
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()
if municipalities.empty:
    st.info(t("overview.no_municipalities"), icon=":material/info:")
    st.stop()
if not years:
    st.info(t("overview.no_years"), icon=":material/info:")
    st.stop()

filters = render_filters()
code, year = filters.municipality, filters.year
municipality = municipalities.set_index("code").loc[code]
if bool(municipality["fictional"]):
    st.info(
        t("overview.fictional_banner", municipality=municipality["name"]),
        icon=":material/science:",
    )
st.caption(t("overview.caption", municipality=municipality["name"], year=year))

# Libraries of every municipality for the year: a school may be served across a border.
library_years = state.library_year_frame(years=[year])
libraries = library_table(library_years[library_years["municipality_code"] == code])
school_rows = state.school_frame(years=[year], municipality=code)
if filters.narrowed():
    served = filters.library_ids(school_rows)
    libraries = libraries[libraries["library_id"].isin(served)]
    school_rows = school_rows[filters.school_mask(school_rows)]
schools = school_table(school_rows, library_years)
if schools.empty:
    st.info(t("overview.no_schools", municipality=municipality["name"], year=year))

kpis = overview_kpis(schools, libraries)
threshold = fmt_int(STAFFED_THRESHOLD_HOURS)
metric_row(
    [
        Kpi(t("kpi.schools"), fmt_int(kpis.schools)),
        Kpi(t("kpi.pupils"), fmt_int(kpis.pupils)),
        Kpi(t("kpi.libraries"), fmt_int(kpis.libraries), t("kpi.libraries_help")),
        Kpi(
            t("kpi.share_staffed", hours=threshold),
            fmt_percent(kpis.share_pupils_staffed),
            t("kpi.share_staffed_help", hours=threshold),
        ),
        Kpi(
            t("kpi.hours_per_100"),
            fmt_number(kpis.staffed_hours_per_100_pupils, 1),
            t("kpi.hours_per_100_help"),
        ),
    ],
    key="overview_kpis",
)

number = st.column_config.NumberColumn
with st.container(key="overview_schools"):
    st.subheader(t("overview.schools_heading"))
    st.dataframe(
        schools.assign(
            library_kind=[kind_label(k, lang) for k in schools["library_kind"]],
            organiser_type=[
                "–" if is_missing(o) else t(f"organiser_type.{o}")
                for o in schools["organiser_type"]
            ],
        ).drop(columns=["school_id", "library_id", "organiser", "x", "y"]),
        hide_index=True,
        column_config={
            "school_name": st.column_config.TextColumn(t("col.school"), pinned=True),
            "school_unit_code": st.column_config.TextColumn(t("col.school_unit_code")),
            "district": st.column_config.TextColumn(t("col.district")),
            "stages": st.column_config.TextColumn(t("col.stages")),
            "organiser_type": st.column_config.TextColumn(t("col.organiser")),
            "pupils": number(t("col.pupils"), format="localized"),
            "library_name": st.column_config.TextColumn(t("col.library")),
            "library_kind": st.column_config.TextColumn(t("col.library_kind")),
            "staffed_hours": number(
                t("col.staffed_hours"),
                help=t("col.staffed_hours_help"),
                format="localized",
                step=0.1,
            ),
            "staffed_hours_per_100_pupils": number(
                t("col.staffed_hours_per_100"),
                help=t("col.staffed_hours_per_100_help"),
                format="localized",
                step=0.01,
            ),
            "items_per_pupil": number(
                t("col.items_per_pupil"),
                help=t("col.items_per_pupil_help"),
                format="localized",
                step=0.1,
            ),
        },
        alt=t("overview.schools_alt"),
    )
    st.caption(t("overview.schools_note"))

with st.container(key="overview_libraries"):
    st.subheader(t("overview.libraries_heading"))
    if libraries.empty:
        st.info(t("overview.no_libraries", year=year))
    else:
        st.dataframe(
            libraries.assign(
                library_kind=[kind_label(k, lang) for k in libraries["library_kind"]],
                location_class=[
                    "–" if is_missing(c) else t(f"location_class.{int(c)}")
                    for c in libraries["location_class"]
                ],
            ).drop(columns=["library_id", "x", "y"]),
            hide_index=True,
            column_config={
                "library_name": st.column_config.TextColumn(t("col.library"), pinned=True),
                "library_kind": st.column_config.TextColumn(t("col.library_kind")),
                "location_class": st.column_config.TextColumn(t("col.location_class")),
                "district": st.column_config.TextColumn(t("col.district")),
                "schools_served": number(t("col.schools_served"), format="localized"),
                "school_unit_codes": st.column_config.TextColumn(t("col.school_unit_code")),
                "pupils_served": number(t("col.pupils_served"), format="localized"),
                "staffed_hours": number(t("col.staffed_hours"), format="localized", step=0.1),
                "hours_lis_librarian": number(t("col.lis_hours"), format="localized", step=0.1),
                "staffed_hours_per_100_pupils": number(
                    t("col.staffed_hours_per_100"), format="localized", step=0.01
                ),
                "items": number(t("col.items"), format="localized"),
                "items_per_pupil": number(t("col.items_per_pupil"), format="localized", step=0.1),
            },
            alt=t("overview.libraries_alt"),
        )

with st.container(key="overview_map"):
    st.subheader(t("overview.map_heading"))
    chart = overview_map(state.districts(code), schools, libraries, lang)
    if chart is None:
        st.info(t("overview.map_empty"))
    else:
        st.altair_chart(chart, width="stretch", alt=t("overview.map_alt"))
