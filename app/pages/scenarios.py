"""Scenarier / Scenarios: run a planning model, see before/after, save, copy and compare.

Layout and calls only: the models and the summary are in :mod:`planning.scenario`, saving and
comparing in :mod:`planning.scenario_store` (through :mod:`app.state_scenarios`), chart data in
:mod:`app.services.scenarios`. Saving and copying need ``scenario.create``; the other roles see
the saved scenarios read-only. Scenarios cover every library of the chosen municipality and
year, so only the year and municipality filters are shown.
"""

import math

import altair as alt
import pandas as pd
import streamlit as st

from app import state, state_comments, state_scenarios
from app.components import scenario_collection as collection_ui
from app.components.accessible_chart import chart_with_table
from app.components.filters import render_filters
from app.components.kpi import Kpi, metric_row, signed_delta
from app.components.map import (
    DISTRICT_FILL,
    DISTRICT_STROKE,
    MAP_HEIGHT,
    PROJECTION,
    district_features,
    to_lonlat,
)
from app.i18n import current_language, fmt_int, fmt_number, t
from app.services import lifecycle as lifecycle_svc
from app.services.scenarios import (
    CHANGE_KINDS,
    change_counts,
    change_kinds,
    lowest_per_100,
    manual_hours,
    params_from_inputs,
    ranking_frame,
)
from app.session import current_user
from inventory.permissions import PermissionDeniedError, can
from inventory.writes import InventoryValidationError
from planning.optimise import OBJECTIVES, STANDARDS
from planning.scenario import MODELS, PLAN_MODELS, build_input, run_scenario, summarise

lang = current_language()
number = st.column_config.NumberColumn
text = st.column_config.TextColumn
#: Okabe-Ito: gain blue, loss vermillion, unchanged grey-black
CHANGE_COLOURS = ["#0072B2", "#D55E00", "#999999"]
RUN_KEY = "scenarios_last_run"


def _kpis(run) -> list[Kpi]:
    n = run.numbers
    cards = []
    for key, before, after, decimals, colour in (
        ("min", n["min_per_100_before"], n["min_per_100_after"], 2, "normal"),
        ("gini", n["gini_before"], n["gini_after"], 3, "inverse"),
        ("mcloone", n["mcloone_before"], n["mcloone_after"], 3, "normal"),
    ):
        difference = after - before if math.isfinite(after) and math.isfinite(before) else None
        cards.append(
            Kpi(
                label=t(f"scenarios.kpi.{key}"),
                value=fmt_number(after, decimals),
                delta=signed_delta(difference, decimals),
                delta_color=colour,
                caption=f"{fmt_number(before, decimals)} → {fmt_number(after, decimals)}",
            )
        )
    cards.append(
        Kpi(
            label=t("scenarios.kpi.cost"),
            value=fmt_number(run.cost_change_sek, 0),
            delta_color="off",
        )
    )
    return cards


def ranking_chart(libraries: pd.DataFrame) -> alt.LayerChart:
    frame = ranking_frame(libraries)
    frame["change_label"] = [t(f"scenarios.change.{c}") for c in frame["change"]]
    order = frame["library_name"].tolist()
    y = alt.Y("library_name:N", sort=order, title=t("scenarios.chart_y"))
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("per_100_after:Q", title=t("scenarios.chart_x")),
            y=y,
            color=alt.Color(
                "change_label:N",
                title=t("scenarios.chart_legend"),
                scale=alt.Scale(
                    domain=[t(f"scenarios.change.{c}") for c in CHANGE_KINDS],
                    range=CHANGE_COLOURS,
                ),
            ),
            tooltip=[
                alt.Tooltip("library_name:N", title=t("scenarios.col.library")),
                alt.Tooltip(
                    "per_100_before:Q", title=t("scenarios.col.per_100_before"), format=".2f"
                ),
                alt.Tooltip(
                    "per_100_after:Q", title=t("scenarios.col.per_100_after"), format=".2f"
                ),
                alt.Tooltip("change_hours:Q", title=t("scenarios.col.change"), format="+.1f"),
            ],
        )
    )
    ticks = (
        alt.Chart(frame)
        .mark_tick(color="#000000", thickness=2)
        .encode(x="per_100_before:Q", y=y, tooltip=[alt.Tooltip("per_100_before:Q", format=".2f")])
    )
    return (bars + ticks).properties(
        title=t("scenarios.chart_title"), height=max(160, 18 * len(frame))
    )


def change_map(libraries: pd.DataFrame, districts: pd.DataFrame) -> alt.LayerChart | None:
    """Libraries as points coloured by gain or loss, sized by the change in hours."""
    points = to_lonlat(libraries)
    if points.empty:
        return None
    points = points.assign(
        change_label=[t(f"scenarios.change.{c}") for c in change_kinds(points["change_hours"])],
        size_hours=points["change_hours"].abs(),
    )
    layers = []
    features = district_features(districts)
    if features:
        layers.append(
            alt.Chart(alt.Data(values=features)).mark_geoshape(
                fill=DISTRICT_FILL, stroke=DISTRICT_STROKE, strokeWidth=1
            )
        )
    layers.append(
        alt.Chart(points)
        .mark_circle(opacity=0.85, stroke="white", strokeWidth=1)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            color=alt.Color(
                "change_label:N",
                title=t("scenarios.chart_legend"),
                scale=alt.Scale(
                    domain=[t(f"scenarios.change.{c}") for c in CHANGE_KINDS],
                    range=CHANGE_COLOURS,
                ),
            ),
            size=alt.Size(
                "size_hours:Q",
                title=t("scenarios.map_size"),
                scale=alt.Scale(range=[40, 600]),
            ),
            tooltip=[
                alt.Tooltip("library_name:N", title=t("scenarios.col.library")),
                alt.Tooltip("hours_before:Q", title=t("scenarios.col.hours_before"), format=".1f"),
                alt.Tooltip("hours_after:Q", title=t("scenarios.col.hours_after"), format=".1f"),
                alt.Tooltip("change_hours:Q", title=t("scenarios.col.change"), format="+.1f"),
            ],
        )
    )
    return (
        alt.layer(*layers)
        .project(**PROJECTION)
        .properties(title=t("scenarios.map_title"), height=MAP_HEIGHT)
        .configure_view(stroke=None)
    )


def compare_chart(table: pd.DataFrame) -> alt.Chart:
    before, after = t("scenarios.col.gini_before"), t("scenarios.col.gini_after")
    long = pd.concat(
        [
            pd.DataFrame({"name": table["name"], "when": before, "gini": table["gini_before"]}),
            pd.DataFrame({"name": table["name"], "when": after, "gini": table["gini_after"]}),
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("name:N", title=t("scenarios.compare_chart_x")),
            xOffset=alt.XOffset("when:N", sort=[before, after]),
            y=alt.Y("gini:Q", title=t("scenarios.compare_chart_y")),
            color=alt.Color(
                "when:N",
                title=t("scenarios.compare_chart_when"),
                sort=[before, after],
                scale=alt.Scale(domain=[before, after], range=["#E69F00", "#56B4E9"]),
            ),
            tooltip=["name:N", "when:N", alt.Tooltip("gini:Q", format=".3f")],
        )
        .properties(title=t("scenarios.compare_chart_title"))
    )


def render_setup(data: pd.DataFrame) -> tuple[str, dict]:
    """The model and parameter widgets; returns the model and its parameters."""
    values: dict = {}
    model = st.radio(
        t("scenarios.model"),
        list(MODELS),
        format_func=lambda m: t(f"scenarios.model.{m}", lang=lang),
        horizontal=True,
        help=t("scenarios.model_help"),
        key="scenarios_model",
    )
    if model in PLAN_MODELS:
        extra = collection_ui.model_data(model, data, filters.year, filters.municipality)
        key = f"scenarios_{model}_{filters.year}_{filters.municipality}"
        return model, collection_ui.render_inputs(model, data, extra, lang, key)
    if model == "reallocate":
        left, right = st.columns(2)
        values["objective"] = left.selectbox(
            t("scenarios.objective"),
            list(OBJECTIVES),
            format_func=lambda o: t(f"scenarios.objective.{o}", lang=lang),
            key="scenarios_objective",
        )
        values["need_weighted"] = right.checkbox(
            t("scenarios.need_weighted"), value=True, key="scenarios_need_weighted"
        )
        values["block_hours"] = left.number_input(
            t("scenarios.block_hours"), 0.0, 40.0, 0.0, 1.0, key="scenarios_block_hours"
        )
        values["max_change_hours"] = right.number_input(
            t("scenarios.max_change_hours"), 0.0, 100.0, 0.0, 1.0, key="scenarios_max_change"
        )
    elif model == "min-cost":
        values["standard"] = st.selectbox(
            t("scenarios.standard"),
            list(STANDARDS),
            format_func=lambda s: t(f"scenarios.standard.{s}", lang=lang),
            key="scenarios_standard",
        )
        if values["standard"] == "user":
            values["value"] = st.number_input(
                t("scenarios.value"), 0.1, 100.0, 3.0, 0.5, key="scenarios_value"
            )
    else:
        st.caption(t("scenarios.manual_caption"))
        table = data[["library_id", "library_name", "pupils", "staffed_hours_week"]].rename(
            columns={"staffed_hours_week": "hours_before"}
        )
        table["hours_after"] = table["hours_before"]
        edited = st.data_editor(
            table,
            key=f"scenarios_manual_{filters.year}_{filters.municipality}",
            hide_index=True,
            width="stretch",
            disabled=["library_id", "library_name", "pupils", "hours_before"],
            column_config={
                "library_id": None,
                "library_name": text(t("scenarios.col.library")),
                "pupils": number(t("scenarios.col.pupils"), format="localized"),
                "hours_before": number(t("scenarios.col.hours_before"), format="localized"),
                "hours_after": number(
                    t("scenarios.col.new_hours"), min_value=0.0, step=0.5, format="localized"
                ),
            },
        )
        values["hours"] = manual_hours(edited)
    values["hourly_cost_sek"] = st.number_input(
        t("scenarios.hourly_cost"),
        1.0,
        10_000.0,
        350.0,
        10.0,
        help=t("scenarios.hourly_cost_help"),
        key="scenarios_hourly_cost",
    )
    return model, params_from_inputs(model, values)


def _hours_result(run) -> None:
    """Key figures, table, ranking chart and map of the staffed-hours models."""
    metric_row(_kpis(run))
    with st.container(key="scenarios_table"):
        st.markdown(f"**{t('scenarios.table_heading')}**")
        columns = [
            "library_name",
            "pupils",
            "hours_before",
            "hours_after",
            "change_hours",
            "per_100_before",
            "per_100_after",
        ]
        st.dataframe(
            run.libraries[columns],
            hide_index=True,
            width="stretch",
            column_config={
                "library_name": text(t("scenarios.col.library")),
                "pupils": number(t("scenarios.col.pupils"), format="localized"),
                "hours_before": number(t("scenarios.col.hours_before"), format="localized"),
                "hours_after": number(t("scenarios.col.hours_after"), format="localized"),
                "change_hours": number(t("scenarios.col.change"), format="localized"),
                "per_100_before": number(t("scenarios.col.per_100_before"), format="localized"),
                "per_100_after": number(t("scenarios.col.per_100_after"), format="localized"),
            },
        )
    counts = change_counts(run.libraries)
    low_before, low_after = lowest_per_100(run.libraries)
    finding = t(
        "scenarios.chart_finding",
        gain=fmt_int(counts["gain"]),
        loss=fmt_int(counts["loss"]),
        same=fmt_int(counts["same"]),
        before=fmt_number(low_before, 2),
        after=fmt_number(low_after, 2),
    )
    ranked = ranking_frame(run.libraries)
    ranked["change_label"] = [t(f"scenarios.change.{c}") for c in ranked["change"]]
    ranking_columns = {
        "rank": number(t("scenarios.col.rank"), format="localized"),
        "library_name": text(t("scenarios.col.library")),
        "per_100_before": number(t("scenarios.col.per_100_before"), format="localized"),
        "per_100_after": number(t("scenarios.col.per_100_after"), format="localized"),
        "change_hours": number(t("scenarios.col.change"), format="localized"),
        "change_label": text(t("scenarios.col.change_kind")),
    }
    with st.container(key="scenarios_chart"):
        chart_with_table(
            ranking_chart(run.libraries),
            ranked[list(ranking_columns)],
            key="scenarios_ranking",
            alt_text=t("scenarios.chart_alt"),
            caption=f"{finding} {t('scenarios.chart_caption')}",
            column_config=ranking_columns,
        )
    with st.container(key="scenarios_map"):
        chart = change_map(run.libraries, state.districts(filters.municipality))
        if chart is None:
            st.info(t("scenarios.map_empty"))
        else:
            chart_with_table(
                chart,
                ranked[list(ranking_columns)],
                key="scenarios_change_map",
                alt_text=t("scenarios.map_alt"),
                caption=f"{finding} {t('scenarios.map_caption')}",
                column_config=ranking_columns,
            )


def render_result(run, user) -> None:
    with st.container(key="scenarios_result", border=True):
        st.header(t("scenarios.result_heading"))
        st.caption(t("scenarios.status", status=run.status))
        with st.container(key="scenarios_summary"):
            st.markdown(f"**{t('scenarios.summary_heading')}**")
            summary = summarise(run, lang)
            (st.info if run.ok else st.warning)(summary)
        if not run.ok:
            return
        if run.model in PLAN_MODELS:
            collection_ui.render_result(run, state.districts(filters.municipality), lang)
        else:
            _hours_result(run)
    if can(user, "scenario.create"):
        with st.container(key="scenarios_save"), st.form("scenarios_save_form"):
            st.markdown(f"**{t('scenarios.save_heading')}**")
            name = st.text_input(t("scenarios.save_name"), key="scenarios_save_name")
            if st.form_submit_button(t("scenarios.save"), key="scenarios_save_button"):
                if not name.strip():
                    st.warning(t("scenarios.name_missing"))
                else:
                    try:
                        saved = state_scenarios.save(
                            user, name.strip(), run, filters.year, filters.municipality
                        )
                    except (PermissionDeniedError, InventoryValidationError, ValueError) as exc:
                        st.error(t("scenarios.save_error", reason=str(exc)))
                    except state.DATABASE_ERRORS as exc:
                        st.error(t("scenarios.save_error", reason=state.error_reason(exc)))
                    else:
                        st.success(t("scenarios.saved", name=saved[0], version=saved[1]))


LIFECYCLE_FLASH = "scenarios_lifecycle_flash"


def render_lifecycle(user, stamp: tuple) -> None:
    """Status and history of one saved version, and the lifecycle steps the user may take."""
    rows = state_comments.scenarios(stamp).set_index("id").iloc[::-1]
    with st.container(key="scenarios_lifecycle", border=True):
        st.markdown(f"**{t('lifecycle.heading')}**")
        if flash := st.session_state.pop(LIFECYCLE_FLASH, None):
            st.success(flash)
        labels = lifecycle_svc.version_labels(rows)  # in this run's language
        chosen = st.selectbox(
            t("lifecycle.choose"),
            list(labels),
            format_func=labels.get,
            key="scenarios_lifecycle_pick",
        )
        row = rows.loc[chosen]
        st.caption(lifecycle_svc.facts(row))
        history = state_comments.history(row["name"], stamp)
        st.dataframe(
            lifecycle_svc.history_table(history, lang),
            hide_index=True,
            width="stretch",
            column_config={
                "at": text(t("lifecycle.col.at")),
                "version": number(t("lifecycle.col.version"), format="plain"),
                "step": text(t("lifecycle.col.step")),
                "username": text(t("lifecycle.col.username")),
                "note": text(t("lifecycle.col.note")),
            },
        )
        operations = lifecycle_svc.allowed(user, row["status"])
        if not operations:
            st.caption(t("lifecycle.none_allowed"))
            return
        note = st.text_input(t("lifecycle.note"), max_chars=2000, key="scenarios_lifecycle_note")
        deadline = None
        if "open_for_comment" in operations:
            deadline = st.date_input(
                t("lifecycle.deadline"),
                value=lifecycle_svc.default_deadline(),
                key="scenarios_lifecycle_deadline",
            )
        clicked = None
        with st.container(horizontal=True):
            for operation in operations:
                if st.button(
                    t(f"lifecycle.do.{operation}"), key=f"scenarios_lifecycle_{operation}"
                ):
                    clicked = operation
        if clicked:
            try:
                name, version, status = lifecycle_svc.perform(
                    user, clicked, int(chosen), deadline=deadline, note=note
                )
            except lifecycle_svc.ERRORS as exc:
                st.error(lifecycle_svc.error_message(exc), icon=":material/error:")
            else:
                st.session_state[LIFECYCLE_FLASH] = t(
                    "lifecycle.done",
                    name=name,
                    version=version,
                    status=lifecycle_svc.status_label(status),
                )
                st.rerun()


def render_saved(user) -> None:
    with st.container(key="scenarios_saved"):
        st.header(t("scenarios.saved_heading"))
        if not can(user, "scenario.create"):
            st.info(t("scenarios.read_only"), icon=":material/visibility:")
        saved = state_scenarios.saved_scenarios()
        if saved.empty:
            st.info(t("scenarios.none_saved"))
            return
        st.dataframe(
            saved.assign(status=saved["status"].map(lifecycle_svc.status_label))[
                ["name", "version", "status", "model", "base_year", "solver_status"]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "name": text(t("scenarios.col.name")),
                "version": number(t("scenarios.col.version"), format="localized"),
                "status": text(t("lifecycle.col.status")),
                "model": text(t("scenarios.col.model")),
                "base_year": number(t("scenarios.col.base_year"), format="plain"),
                "solver_status": text(t("scenarios.col.solver_status")),
            },
        )
        names = sorted(saved["name"].unique())
        chosen = st.multiselect(
            t("scenarios.compare"), names, max_selections=4, key="scenarios_compare"
        )
        if len(chosen) >= 2:
            table = state_scenarios.compare(chosen)
            with st.container(key="scenarios_compare_result"):
                columns = {
                    "name": text(t("scenarios.col.name")),
                    "version": number(t("scenarios.col.version"), format="localized"),
                    "model": text(t("scenarios.col.model")),
                    "status": text(t("scenarios.col.solver_status")),
                }
                for key, label in (
                    ("min_per_100_before", "min_before"),
                    ("min_per_100_after", "min_after"),
                    ("gini_before", "gini_before"),
                    ("gini_after", "gini_after"),
                    ("mcloone_before", "mcloone_before"),
                    ("mcloone_after", "mcloone_after"),
                    ("hours_moved", "hours_moved"),
                    ("cost_change_sek", "cost_change"),
                ):
                    columns[key] = number(t(f"scenarios.col.{label}"), format="localized")
                st.dataframe(
                    table[list(columns)], hide_index=True, width="stretch", column_config=columns
                )
                st.caption(t("scenarios.compare_caption"))
                best = table.loc[table["gini_after"].idxmin()]
                chart_with_table(
                    compare_chart(table),
                    table[["name", "gini_before", "gini_after"]],
                    key="scenarios_compare",
                    alt_text=t("scenarios.compare_chart_alt"),
                    caption=t(
                        "scenarios.compare_finding",
                        name=best["name"],
                        gini=fmt_number(best["gini_after"], 3),
                    )
                    + " "
                    + t("scenarios.compare_chart_caption"),
                    column_config={
                        "name": text(t("scenarios.col.name")),
                        "gini_before": number(t("scenarios.col.gini_before"), format="%.3f"),
                        "gini_after": number(t("scenarios.col.gini_after"), format="%.3f"),
                    },
                )
        if can(user, "scenario.create"):
            with st.form("scenarios_copy_form"):
                source = st.selectbox(t("scenarios.copy_source"), names, key="scenarios_copy_src")
                new_name = st.text_input(t("scenarios.copy_name"), key="scenarios_copy_name")
                if st.form_submit_button(t("scenarios.copy"), key="scenarios_copy_button"):
                    if not new_name.strip():
                        st.warning(t("scenarios.name_missing"))
                    else:
                        try:
                            copied = state_scenarios.copy(user, source, new_name.strip())
                        except (PermissionDeniedError, InventoryValidationError, LookupError) as e:
                            st.error(t("scenarios.save_error", reason=str(e)))
                        else:
                            st.success(t("scenarios.copied", name=copied[0], version=copied[1]))
        render_lifecycle(user, tuple(saved["id"]))


st.title(t("scenarios.title"))
user = current_user()

try:
    municipalities = state.municipalities()
    years = state.inventory_years()
except state.DATABASE_ERRORS as exc:
    st.error(t("scenarios.database_error", reason=state.error_reason(exc)))
    st.stop()
if municipalities.empty or not years:
    st.info(t("scenarios.no_municipalities"), icon=":material/info:")
    st.stop()

filters = render_filters(detail=False)
municipality = municipalities.set_index("code").loc[filters.municipality]
st.caption(t("scenarios.caption", municipality=municipality["name"], year=filters.year))
if bool(municipality["fictional"]):
    st.info(
        t("scenarios.fictional_banner", municipality=municipality["name"]),
        icon=":material/science:",
    )

try:
    frame = state.library_year_frame(years=[filters.year], municipality=filters.municipality)
    data = build_input(frame, filters.year, filters.municipality) if not frame.empty else None
    if data is None or data.empty:
        st.info(t("scenarios.no_libraries", municipality=municipality["name"], year=filters.year))
    else:
        if data.attrs.get("excluded"):
            st.caption(t("scenarios.excluded", count=len(data.attrs["excluded"])))
        with st.container(key="scenarios_setup", border=True):
            st.header(t("scenarios.setup_heading"))
            model, params = render_setup(data)
            run_now = st.button(t("scenarios.run"), type="primary", key="scenarios_run")
        scope = (filters.year, filters.municipality)
        if run_now:
            try:
                extra = collection_ui.model_data(model, data, filters.year, filters.municipality)
                st.session_state[RUN_KEY] = (scope, run_scenario(data, model, params, **extra))
            except ValueError as exc:
                st.error(t("scenarios.run_error", reason=str(exc)))
        last = st.session_state.get(RUN_KEY)
        if last is not None and last[0] == scope:
            render_result(last[1], user)
        else:
            st.info(t("scenarios.not_run"), icon=":material/info:")
    render_saved(user)
except state.DATABASE_ERRORS as exc:
    st.error(t("scenarios.database_error", reason=state.error_reason(exc)))
