"""Handlingsplaner / Action plans: library, reading-promotion and MIL plans per school unit.

Layout and calls only: data comes from :mod:`app.state` and :mod:`app.state_action_plans`,
figures from :mod:`app.services.action_plans`.
"""

import altair as alt
import streamlit as st

from app import state, state_action_plans
from app.components.kpi import Kpi, metric_row
from app.components.page import start_page
from app.i18n import fmt_int, fmt_percent, t
from app.services import action_plans as svc
from app.services.follow_up import vega_locale

page = start_page("action_plans")
lang, filters, municipality = page.lang, page.filters, page.municipality
code, year = filters.municipality, filters.year

try:
    schools = state.school_frame(years=[year], municipality=code)
    plans = state_action_plans.action_plans(years=[year], municipality=code)
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()
if filters.narrowed():
    schools = schools[filters.school_mask(schools)]
if schools.empty:
    st.info(t("action_plans.no_schools", municipality=municipality["name"], year=year))
    st.stop()
if plans.empty:
    st.info(t("action_plans.no_plans", year=year), icon=":material/info:")

matrix = svc.plan_matrix(schools, plans)


def status_label(status: str) -> str:
    """Symbol and text, so that the status never depends on colour alone."""
    return f"{svc.STATUS_ICONS[status]} {t(f'action_plans.status.{status}')}"


def kind_label(kind: str) -> str:
    return t(f"action_plans.kind.{kind}")


# --------------------------------------------------------------------------- coverage
library_plan = svc.coverage(matrix, "library_plan")
reading = svc.coverage(matrix, "reading_promotion")
mil = svc.coverage(matrix, "media_information_literacy")
metric_row(
    [
        Kpi(t("action_plans.kpi.schools"), fmt_int(library_plan.schools)),
        Kpi(
            t("action_plans.kpi.library_plan_schools"),
            fmt_percent(library_plan.share_schools),
            t(
                "action_plans.kpi.library_plan_schools_help",
                adopted=fmt_int(library_plan.schools_adopted),
                schools=fmt_int(library_plan.schools),
                revision=fmt_int(library_plan.schools_under_revision),
            ),
        ),
        Kpi(
            t("action_plans.kpi.library_plan_pupils"),
            fmt_percent(library_plan.share_pupils),
            t(
                "action_plans.kpi.library_plan_pupils_help",
                adopted=fmt_int(library_plan.pupils_adopted),
                pupils=fmt_int(library_plan.pupils),
            ),
        ),
        Kpi(t("action_plans.kpi.reading_schools"), fmt_percent(reading.share_schools)),
        Kpi(t("action_plans.kpi.mil_schools"), fmt_percent(mil.share_schools)),
    ],
    key="action_plans_coverage",
)
st.caption(t("action_plans.coverage_caption"))

# --------------------------------------------------------------------------- matrix
with st.container(key="action_plans_matrix"):
    st.subheader(t("action_plans.matrix_heading", year=year))
    shown = matrix.drop(columns=["school_id"]).copy()
    column_config = {
        "school_name": st.column_config.TextColumn(t("action_plans.col.school"), pinned=True),
        "school_unit_code": st.column_config.TextColumn(t("action_plans.col.school_unit_code")),
        "district": st.column_config.TextColumn(t("action_plans.col.district")),
        "pupils": st.column_config.NumberColumn(t("action_plans.col.pupils"), format="localized"),
    }
    for kind in svc.PLAN_KINDS:
        shown[f"{kind}_status"] = [status_label(s) for s in matrix[f"{kind}_status"]]
        column_config[f"{kind}_status"] = st.column_config.TextColumn(
            kind_label(kind), help=t(f"action_plans.kind_help.{kind}")
        )
        column_config[f"{kind}_adopted_date"] = st.column_config.DateColumn(
            t("action_plans.col.adopted", kind=kind_label(kind)), format="localized"
        )
        column_config[f"{kind}_document_link"] = st.column_config.LinkColumn(
            t("action_plans.col.document", kind=kind_label(kind)),
            display_text=t("action_plans.open_document"),
        )
    order = ["school_name", "school_unit_code", "district", "pupils"] + [
        f"{kind}_{part}"
        for kind in svc.PLAN_KINDS
        for part in ("status", "adopted_date", "document_link")
    ]
    st.dataframe(
        shown[order],
        hide_index=True,
        column_config=column_config,
        alt=t("action_plans.matrix_alt"),
    )
    st.caption(t("action_plans.matrix_caption"))

# --------------------------------------------------------------------------- status chart
with st.container(key="action_plans_status"):
    st.subheader(t("action_plans.status_heading"))
    counts = svc.status_counts(matrix)
    counts = counts[counts["schools"] > 0].assign(
        kind_label=lambda f: f["kind"].map(kind_label),
        status_label=lambda f: f["status"].map(status_label),
    )
    labels = [status_label(s) for s in svc.STATUSES]
    chart = (
        alt.Chart(counts)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("schools:Q", stack="zero", title=t("action_plans.axis.schools")),
            y=alt.Y(
                "kind_label:N",
                sort=[kind_label(k) for k in svc.PLAN_KINDS],
                title=t("action_plans.axis.kind"),
            ),
            color=alt.Color(
                "status_label:N",
                title=t("action_plans.legend.status"),
                sort=labels,
                scale=alt.Scale(domain=labels, range=[svc.STATUS_COLOURS[s] for s in svc.STATUSES]),
                legend=alt.Legend(orient="bottom", columns=3, labelLimit=260),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("kind_label:N", title=t("action_plans.axis.kind")),
                alt.Tooltip("status_label:N", title=t("action_plans.legend.status")),
                alt.Tooltip("schools:Q", title=t("action_plans.axis.schools")),
                alt.Tooltip("share:Q", title=t("action_plans.col.share"), format=".0%"),
            ],
        )
        .properties(title=t("action_plans.status_title", year=year))
    )
    locale = vega_locale(lang)
    st.altair_chart(
        chart.configure(locale=locale) if locale else chart,
        width="stretch",
        alt=t("action_plans.status_alt"),
    )
    st.caption(t("action_plans.status_caption"))
