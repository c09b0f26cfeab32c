"""Handlingsplaner / Action plans: library, reading-promotion and MIL plans per school unit.

Layout and calls only: data comes from :mod:`app.state` and :mod:`app.state_action_plans`,
figures from :mod:`app.services.action_plans`. Project leaders and administrators edit one plan
at a time through :func:`inventory.action_plan_service.save_plan`, which checks the permission
itself and refuses a save when somebody else saved the plan after the editor loaded it.
"""

import altair as alt
import streamlit as st
from sqlmodel import Session

from app import state, state_action_plans
from app.components.accessible_chart import chart_with_table
from app.components.kpi import Kpi, metric_row
from app.components.page import start_page
from app.components.text import escape_markdown
from app.i18n import fmt_int, fmt_percent, t
from app.services import action_plans as svc
from app.services.follow_up import vega_locale
from app.session import current_user
from inventory.action_plan_service import (
    PlanSnapshot,
    StalePlanError,
    load_plan,
    plan_changes,
    save_plan,
)
from inventory.permissions import PermissionDeniedError, can
from inventory.writes import InventoryValidationError

LOADED_KEY = "action_plans_edit_loaded"
FLASH_KEY = "action_plans_edit_flash"
STATUS_KEY = "action_plans_edit_status"
DATE_KEY = "action_plans_edit_adopted"
LINK_KEY = "action_plans_edit_link"

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
    st.header(t("action_plans.matrix_heading", year=year))
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

# --------------------------------------------------------------------------- editing


def plan_name(snapshot: PlanSnapshot) -> str:
    """The plan named for a Markdown element (the school's name escaped)."""
    return t(
        "action_plans.edit.plan_name",
        school=escape_markdown(snapshot.school_name),
        kind=kind_label(snapshot.kind),
        year=snapshot.year,
    )


def load_into_editor(school_id: int, kind: str) -> PlanSnapshot:
    """Read the plan now and put its values into the form; the snapshot keeps the version the
    save will be checked against."""
    with Session(state.get_engine()) as session:
        snapshot = load_plan(session, school_id, year, kind)
    st.session_state[LOADED_KEY] = snapshot
    st.session_state[STATUS_KEY] = snapshot.status
    st.session_state[DATE_KEY] = snapshot.adopted_date
    st.session_state[LINK_KEY] = snapshot.document_link or ""
    return snapshot


def forget_loaded() -> None:
    st.session_state.pop(LOADED_KEY, None)


def problem_text(field: str | None) -> str:
    if field in ("document_link", "status", "adopted_date"):
        return t(f"action_plans.edit.problem.{field}")
    return t("action_plans.edit.problem.other", field=field or "–")


def render_editor() -> None:
    """Choose a school unit and a plan, edit it in a form, save it."""
    schools = svc.school_choices(matrix)
    with st.container(horizontal=True):
        school_id = st.selectbox(
            t("action_plans.edit.school"),
            list(schools),
            format_func=lambda i: schools.get(i, str(i)),
            key="action_plans_edit_school",
        )
        kind = st.selectbox(
            t("action_plans.edit.kind"),
            svc.PLAN_KINDS,
            format_func=kind_label,
            key="action_plans_edit_kind",
        )
    snapshot = st.session_state.get(LOADED_KEY)
    wanted = (int(school_id), year, kind)
    if not isinstance(snapshot, PlanSnapshot) or (
        (snapshot.school_id, snapshot.year, snapshot.kind) != wanted
    ):
        try:
            snapshot = load_into_editor(int(school_id), kind)
        except state.DATABASE_ERRORS as exc:
            st.error(t("overview.database_error", reason=state.error_reason(exc)))
            return
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    if snapshot.exists:
        st.caption(
            t("action_plans.edit.version", plan=plan_name(snapshot), version=snapshot.row_version)
        )
    else:
        st.caption(t("action_plans.edit.new", plan=plan_name(snapshot)))
    with st.form("action_plans_edit_form", enter_to_submit=False):
        status = st.selectbox(
            t("action_plans.edit.status"),
            svc.EDIT_STATUSES,
            format_func=status_label,
            key=STATUS_KEY,
        )
        adopted = st.date_input(
            t("action_plans.edit.adopted"),
            key=DATE_KEY,
            min_value=svc.FIRST_DATE,
            max_value=svc.LAST_DATE,
            format="YYYY-MM-DD",
            help=t("action_plans.edit.adopted_help"),
        )
        link = st.text_input(
            t("action_plans.edit.link"),
            key=LINK_KEY,
            max_chars=1000,
            placeholder=t("action_plans.edit.link_placeholder"),
            help=t("action_plans.edit.link_help"),
        )
        submitted = st.form_submit_button(
            t("action_plans.edit.save"),
            key="action_plans_edit_save",
            type="primary",
            icon=":material/save:",
        )
    if not submitted:
        return
    edited = {"status": status, "adopted_date": adopted, "document_link": link}
    if snapshot.exists and not plan_changes(snapshot, edited):
        st.info(t("action_plans.edit.nothing"), icon=":material/info:")
        return
    try:
        with Session(state.get_engine()) as session:
            result = save_plan(
                session,
                user,
                school_id=snapshot.school_id,
                year=snapshot.year,
                kind=snapshot.kind,
                expected_version=snapshot.row_version,
                **edited,
            )
    except StalePlanError as exc:
        with st.container(key="action_plans_edit_stale"):
            if exc.changed_by and exc.changed_at:
                message = t(
                    "action_plans.edit.stale",
                    plan=plan_name(snapshot),
                    user=escape_markdown(exc.changed_by),
                    time=svc.local_time_text(exc.changed_at),
                )
            else:
                message = t("action_plans.edit.stale_unknown", plan=plan_name(snapshot))
            st.error(message, icon=":material/sync_problem:")
            st.button(
                t("action_plans.edit.reload"),
                key="action_plans_edit_reload",
                on_click=forget_loaded,
                icon=":material/refresh:",
            )
        return
    except InventoryValidationError as exc:
        with st.container(key="action_plans_edit_errors"):
            st.error(
                "\n".join(
                    [t("action_plans.edit.invalid")]
                    + [f"- {problem_text(p.field)}" for p in exc.problems]
                ),
                icon=":material/error:",
            )
        return
    except PermissionDeniedError:
        st.error(t("action_plans.edit.not_allowed"), icon=":material/block:")
        return
    except state.DATABASE_ERRORS as exc:
        st.error(t("action_plans.edit.write_error", reason=state.error_reason(exc)))
        return
    state.clear_data_caches()
    state_action_plans.clear_caches()
    forget_loaded()
    st.session_state[FLASH_KEY] = (
        t("action_plans.edit.created", plan=plan_name(result.plan))
        if result.created
        else t("action_plans.edit.saved", plan=plan_name(result.plan), count=len(result.changes))
    )
    st.rerun()


user = current_user()
if can(user, "inventory.edit"):
    with st.container(key="action_plans_edit"):
        st.header(t("action_plans.edit.heading", year=year))
        st.caption(t("action_plans.edit.caption"))
        render_editor()

# --------------------------------------------------------------------------- status chart
with st.container(key="action_plans_status"):
    st.header(t("action_plans.status_heading"))
    all_counts = svc.status_counts(matrix)
    counts = all_counts[all_counts["schools"] > 0].assign(
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
    number = st.column_config.NumberColumn
    chart_with_table(
        chart.configure(locale=locale) if locale else chart,
        counts[["kind_label", "status_label", "schools"]].assign(share=counts["share"] * 100),
        key="action_plans_status_chart",
        alt_text=t("action_plans.status_alt"),
        caption=f"{svc.status_finding(all_counts, lang)} {t('action_plans.status_caption')}",
        column_config={
            "kind_label": st.column_config.TextColumn(t("action_plans.col.kind"), pinned=True),
            "status_label": st.column_config.TextColumn(t("action_plans.col.status")),
            "schools": number(t("action_plans.col.schools"), format="localized"),
            "share": number(t("action_plans.col.share_percent"), format="localized", step=0.1),
        },
    )
