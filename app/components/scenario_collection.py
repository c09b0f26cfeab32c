"""Inputs and results of the collection and coordination scenarios on the Scenarier page.

:func:`render_inputs` lays out one model's parameters and returns them; :func:`render_result`
shows a run's key figures, tables, the media plan's timeline chart, the transfer flow map and
the cluster map (every chart with a text alternative and a caption), and CSV downloads in the
Swedish Excel dialect. The logic is in :mod:`app.services.scenario_collection`.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import state_collections
from app.components.accessible_chart import chart_with_table
from app.components.kpi import Kpi, metric_row, signed_delta
from app.components.map import (
    DISTRICT_FILL,
    DISTRICT_STROKE,
    MAP_HEIGHT,
    PROJECTION,
    district_features,
    to_lonlat,
)
from app.i18n import fmt_int, fmt_number, fmt_percent, t
from app.services import scenario_collection as svc
from planning.scenario import COLLECTION_MODELS, ScenarioRun, collection_defaults, run_details

__all__ = ["model_data", "render_inputs", "render_result"]

number = st.column_config.NumberColumn
text = st.column_config.TextColumn
#: Okabe-Ito: sending (blue) and receiving (vermillion) libraries
SEND_COLOUR, RECEIVE_COLOUR = "#0072B2", "#D55E00"
HUB_COLOUR = "#000000"


# --------------------------------------------------------------------------- inputs


def model_data(
    model: str, data: pd.DataFrame, year: int, municipality: str | None
) -> dict[str, pd.DataFrame]:
    """The frames :func:`planning.scenario.run_scenario` needs besides ``data`` (cached reads):
    the year's collection rows, and for the media plan the catalogue's publication years."""
    if model not in COLLECTION_MODELS:
        return {}
    extra = {"collection": state_collections.collection_years([year], municipality)}
    if model == "media-plan":
        extra["catalogue_years"] = state_collections.catalogue_year_counts(data["library_id"])
    return extra


def render_inputs(
    model: str, data: pd.DataFrame, extra: dict[str, pd.DataFrame], lang: str, key: str
) -> dict[str, Any]:
    """Widgets for ``model``'s parameters; returns the model parameters.

    ``data`` is the scenario frame (:func:`planning.scenario.build_input`), ``extra`` what
    :func:`model_data` read; ``key`` makes the widget keys unique per year and municipality.
    """
    defaults = collection_defaults(data)
    collection = extra.get("collection")
    if model in COLLECTION_MODELS and (collection is None or collection.empty):
        st.info(t("collection_models.no_collection", year=data.attrs.get("year", "")))
    values: dict[str, Any] = {}
    if model == "media-plan":
        st.caption(t("collection_models.media.intro"))
        left, right = st.columns(2)
        values["years"] = left.number_input(
            t("collection_models.media.years"), 1, 15, 5, 1, key=f"{key}_years"
        )
        values["budget_sek"] = right.number_input(
            t("collection_models.media.budget"),
            0.0,
            1e10,
            float(defaults["budget_sek"]),
            10_000.0,
            help=t("collection_models.media.budget_help"),
            key=f"{key}_budget",
        )
        values["unit_price_sek"] = left.number_input(
            t("collection_models.unit_price"),
            1.0,
            100_000.0,
            float(defaults["unit_price_sek"]),
            10.0,
            help=t("collection_models.unit_price_help"),
            key=f"{key}_price",
        )
        values["target_items_per_pupil"] = right.number_input(
            t("collection_models.media.target"),
            0.5,
            100.0,
            float(defaults["target_items_per_pupil"]),
            0.5,
            help=t("collection_models.media.target_help"),
            key=f"{key}_target",
        )
        values["recent_percent"] = left.number_input(
            t("collection_models.media.recent"), 0.0, 100.0, 50.0, 5.0, key=f"{key}_recent"
        )
        st.markdown(f"**{t('collection_models.media.weeding')}**")
        st.caption(t("collection_models.media.weeding_caption"))
        values["weeding"] = st.data_editor(
            svc.weeding_table(lang),
            key=f"{key}_weeding_{lang}",
            hide_index=True,
            width="stretch",
            disabled=["category", "label"],
            column_config={
                "category": None,
                "label": text(t("collection_models.col.category")),
                "age": number(
                    t("collection_models.col.weeding_age"), min_value=0, max_value=100, step=1
                ),
            },
        )
    elif model == "transfers":
        st.caption(t("collection_models.transfers.intro"))
        targets = svc.category_targets(
            collection, data, float(defaults["target_items_per_pupil"]), lang
        )
        st.caption(t("collection_models.transfers.targets_caption"))
        values["targets"] = st.data_editor(
            targets,
            key=f"{key}_targets_{lang}",
            hide_index=True,
            width="stretch",
            disabled=["category", "label", "current"],
            column_config={
                "category": None,
                "label": text(t("collection_models.col.category")),
                "current": number(t("collection_models.col.current_per_pupil"), format="%.2f"),
                "target": number(
                    t("collection_models.col.target_per_pupil"), min_value=0.0, format="%.2f"
                ),
            },
        )
        left, right = st.columns(2)
        values["radius_km"] = left.number_input(
            t("collection_models.transfers.radius"),
            0.0,
            2000.0,
            0.0,
            5.0,
            help=t("collection_models.transfers.radius_help"),
            key=f"{key}_radius",
        )
        values["unit_price_sek"] = right.number_input(
            t("collection_models.unit_price"),
            1.0,
            100_000.0,
            float(defaults["unit_price_sek"]),
            10.0,
            help=t("collection_models.unit_price_help"),
            key=f"{key}_price",
        )
    else:
        st.caption(t("collection_models.clusters.intro"))
        left, right = st.columns(2)
        values["pupils_per_librarian"] = left.number_input(
            t("collection_models.clusters.pupils_per_librarian"),
            50.0,
            2000.0,
            300.0,
            10.0,
            help=t("collection_models.clusters.pupils_per_librarian_help"),
            key=f"{key}_ppl",
        )
        values["min_hours"] = right.number_input(
            t("collection_models.clusters.min_hours"), 0.0, 39.0, 4.0, 1.0, key=f"{key}_min"
        )
        values["speed_kmh"] = left.number_input(
            t("collection_models.clusters.speed"), 5.0, 120.0, 40.0, 5.0, key=f"{key}_speed"
        )
        values["detour_factor"] = right.number_input(
            t("collection_models.clusters.detour"),
            1.0,
            3.0,
            1.3,
            0.1,
            help=t("collection_models.clusters.detour_help"),
            key=f"{key}_detour",
        )
        values["visits_per_week"] = left.number_input(
            t("collection_models.clusters.visits"), 0.5, 5.0, 1.0, 0.5, key=f"{key}_visits"
        )
        values["max_schools"] = right.number_input(
            t("collection_models.clusters.max_schools"),
            0,
            20,
            0,
            1,
            help=t("collection_models.clusters.max_schools_help"),
            key=f"{key}_max",
        )
        values["librarians"] = left.number_input(
            t("collection_models.clusters.librarians"),
            0,
            500,
            0,
            1,
            help=t("collection_models.clusters.librarians_help"),
            key=f"{key}_librarians",
        )
        values["time_limit"] = right.number_input(
            t("collection_models.clusters.time_limit"),
            1.0,
            300.0,
            20.0,
            5.0,
            help=t("collection_models.clusters.time_limit_help"),
            key=f"{key}_time",
        )
        values["hourly_cost_sek"] = left.number_input(
            t("scenarios.hourly_cost"), 1.0, 10_000.0, 350.0, 10.0, key=f"{key}_hourly"
        )
    return svc.params_from_inputs(model, values)


# --------------------------------------------------------------------------- charts


def timeline_chart(run: ScenarioRun) -> alt.LayerChart:
    """Target attainment per library and year (lines), the target as a rule at 100 %."""
    frame = svc.timeline_frame(run)
    x = alt.X("year:O", title=t("collection_models.timeline.x"))
    lines = (
        alt.Chart(frame)
        .mark_line(point=True, opacity=0.75)
        .encode(
            x=x,
            y=alt.Y(
                "attainment_pct:Q",
                title=t("collection_models.timeline.y"),
                scale=alt.Scale(domain=[0, 100]),
            ),
            color=alt.Color(
                "library_name:N",
                title=t("collection_models.col.library"),
                legend=alt.Legend(orient="bottom", columns=3) if len(frame) <= 600 else None,
            ),
            tooltip=[
                alt.Tooltip("library_name:N", title=t("collection_models.col.library")),
                alt.Tooltip("year:O", title=t("collection_models.timeline.x")),
                alt.Tooltip(
                    "attainment_pct:Q", title=t("collection_models.timeline.y"), format=".1f"
                ),
            ],
        )
    )
    target = (
        alt.Chart(pd.DataFrame({"attainment_pct": [100.0]}))
        .mark_rule(color="#000000", strokeDash=[4, 4])
        .encode(y="attainment_pct:Q")
    )
    return (lines + target).properties(title=t("collection_models.timeline.title"), height=380)


def _district_layer(districts: pd.DataFrame) -> list[alt.Chart]:
    features = district_features(districts)
    if not features:
        return []
    return [
        alt.Chart(alt.Data(values=features)).mark_geoshape(
            fill=DISTRICT_FILL, stroke=DISTRICT_STROKE, strokeWidth=1
        )
    ]


def _segments(frame: pd.DataFrame, start: tuple[str, str], end: tuple[str, str]) -> pd.DataFrame:
    """Rows with both ends located: ``lon``/``lat`` at ``start``, ``lon2``/``lat2`` at ``end``."""
    first = to_lonlat(frame, *start)
    second = to_lonlat(frame, *end)[["lon", "lat"]].rename(columns={"lon": "lon2", "lat": "lat2"})
    return first.join(second, how="inner")


def flow_map(run: ScenarioRun, districts: pd.DataFrame, lang: str) -> alt.LayerChart | None:
    """Transfers as lines from sender to receiver (width by items), libraries as points."""
    flows = svc.flow_lines(run, lang)
    if flows.empty:
        return None
    lines = _segments(flows, ("from_x", "from_y"), ("to_x", "to_y"))
    senders = lines.groupby("from_name")[["lon", "lat"]].first().reset_index()
    receivers = lines.groupby("to_name")[["lon2", "lat2"]].first().reset_index()
    points = pd.concat(
        [
            senders.rename(columns={"from_name": "name"}).assign(
                role=t("collection_models.map.sender")
            ),
            receivers.rename(columns={"to_name": "name", "lon2": "lon", "lat2": "lat"}).assign(
                role=t("collection_models.map.receiver")
            ),
        ],
        ignore_index=True,
    )
    roles = [t("collection_models.map.sender"), t("collection_models.map.receiver")]
    layers = _district_layer(districts)
    layers.append(
        alt.Chart(lines)
        .mark_rule(color="#555555", opacity=0.6)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            longitude2="lon2:Q",
            latitude2="lat2:Q",
            strokeWidth=alt.StrokeWidth(
                "items:Q",
                title=t("collection_models.map.items"),
                scale=alt.Scale(range=[1, 8]),
            ),
            tooltip=[
                alt.Tooltip("from_name:N", title=t("collection_models.col.from")),
                alt.Tooltip("to_name:N", title=t("collection_models.col.to")),
                alt.Tooltip("category_label:N", title=t("collection_models.col.category")),
                alt.Tooltip("items:Q", title=t("collection_models.col.items"), format=",d"),
                alt.Tooltip("km:Q", title=t("collection_models.col.km"), format=".1f"),
            ],
        )
    )
    layers.append(
        alt.Chart(points)
        .mark_circle(size=90, opacity=0.9, stroke="white", strokeWidth=1)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            color=alt.Color(
                "role:N",
                title=t("collection_models.map.role"),
                scale=alt.Scale(domain=roles, range=[SEND_COLOUR, RECEIVE_COLOUR]),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=t("collection_models.col.library")),
                alt.Tooltip("role:N", title=t("collection_models.map.role")),
            ],
        )
    )
    return (
        alt.layer(*layers)
        .project(**PROJECTION)
        .properties(title=t("collection_models.map.flows_title"), height=MAP_HEIGHT)
        .configure_view(stroke=None)
    )


def cluster_map(run: ScenarioRun, districts: pd.DataFrame) -> alt.LayerChart | None:
    """Schools coloured by cluster, hubs as black squares, a line from each school to its hub."""
    schools = svc.cluster_lines(run)
    if schools.empty:
        return None
    points = _segments(schools, ("x", "y"), ("hub_x", "hub_y"))
    tooltip = [
        alt.Tooltip("library_name:N", title=t("collection_models.col.library")),
        alt.Tooltip("hub_name:N", title=t("collection_models.col.hub")),
        alt.Tooltip("pupils:Q", title=t("collection_models.col.pupils"), format=",.0f"),
        alt.Tooltip("required_hours:Q", title=t("collection_models.col.required"), format=".1f"),
        alt.Tooltip("travel_hours:Q", title=t("collection_models.col.travel"), format=".2f"),
    ]
    colour = alt.Color("hub_name:N", title=t("collection_models.col.hub"), legend=None)
    layers = _district_layer(districts)
    layers.append(
        alt.Chart(points[~points["is_hub"]])
        .mark_rule(opacity=0.7, strokeWidth=2)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            longitude2="lon2:Q",
            latitude2="lat2:Q",
            color=colour,
            tooltip=tooltip,
        )
    )
    layers.append(
        alt.Chart(points)
        .mark_circle(size=110, opacity=0.9, stroke="white", strokeWidth=1)
        .encode(longitude="lon:Q", latitude="lat:Q", color=colour, tooltip=tooltip)
    )
    layers.append(
        alt.Chart(points[points["is_hub"]])
        .mark_square(size=160, color=HUB_COLOUR, opacity=0.9)
        .encode(longitude="lon:Q", latitude="lat:Q", tooltip=tooltip)
    )
    return (
        alt.layer(*layers)
        .project(**PROJECTION)
        .properties(title=t("collection_models.map.clusters_title"), height=MAP_HEIGHT)
        .configure_view(stroke=None)
    )


# --------------------------------------------------------------------------- results


def _change(before: float, after: float, decimals: int, colour: str, label: str) -> Kpi:
    difference = after - before if math.isfinite(after) and math.isfinite(before) else None
    return Kpi(
        label=label,
        value=fmt_number(after, decimals),
        delta=signed_delta(difference, decimals),
        delta_color=colour,
        caption=f"{fmt_number(before, decimals)} → {fmt_number(after, decimals)}",
    )


def _downloads(run: ScenarioRun, lang: str, key: str) -> None:
    for kind, table in svc.export_tables(run, lang).items():
        st.download_button(
            t(f"collection_models.download.{kind}"),
            data=svc.csv_bytes(table),
            file_name=f"{svc.file_stem(kind, lang)}.csv",
            mime="text/csv",
            key=f"{key}_{kind}",
            icon=":material/download:",
        )
    st.caption(t("collection_models.download_caption"))


def _names(run: ScenarioRun, ids: pd.Series) -> list[str]:
    names = run.libraries.set_index("library_id")["library_name"]
    return [str(names.get(i, i)) for i in ids]


def _floored(share: float) -> float:
    """Rounded down to a tenth of a per cent, so 99.96 % never shows as a reached 100 %."""
    return math.floor(share * 1000 + 1e-9) / 1000


def _media_result(run: ScenarioRun) -> None:
    n = run.numbers
    before, after = _floored(n["min_attainment_before"]), _floored(n["min_attainment_after"])
    cards = [
        Kpi(
            label=t("collection_models.kpi.min_attainment"),
            value=fmt_percent(after, 1),
            caption=f"{fmt_percent(before, 1)} → {fmt_percent(after, 1)}",
        ),
        _change(
            n["n_below_before"], n["n_below_after"], 0, "inverse", t("collection_models.kpi.below")
        ),
        Kpi(
            label=t("collection_models.kpi.spent"),
            value=fmt_int(n["spent_sek"]),
            caption=t("collection_models.kpi.of_budget", budget=fmt_int(n["budget_sek"])),
        ),
        Kpi(label=t("collection_models.kpi.extra"), value=fmt_int(n["extra_sek_needed"])),
    ]
    metric_row(cards, key="collection_models_kpis")
    with st.container(key="collection_models_timeline"):
        chart_with_table(
            timeline_chart(run),
            svc.timeline_frame(run),
            key="collection_models_timeline_chart",
            alt_text=t("collection_models.timeline.alt"),
            caption=t(
                "collection_models.timeline.caption",
                before=fmt_percent(before, 1),
                base=n["base_year"],
                after=fmt_percent(after, 1),
                final=n["final_year"],
            ),
            column_config={
                "library_name": text(t("collection_models.col.library")),
                "year": number(t("collection_models.timeline.x"), format="plain"),
                "attainment_pct": number(t("collection_models.timeline.y"), format="%.1f"),
            },
        )
    plan = run.detail
    libraries = plan.libraries.assign(library_name=_names(run, plan.libraries["library_id"]))
    for column in ("attainment_before", "attainment_after"):
        libraries[column] = 100 * libraries[column]
    with st.container(key="collection_models_table"):
        st.markdown(f"**{t('collection_models.media.table')}**")
        st.dataframe(
            libraries[
                [
                    "library_name",
                    "pupils",
                    "target_items",
                    "items_before",
                    "items_after",
                    "attainment_before",
                    "attainment_after",
                    "purchased_items",
                    "purchased_sek",
                    "items_needed",
                ]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "library_name": text(t("collection_models.col.library")),
                "pupils": number(t("collection_models.col.pupils"), format="localized"),
                "target_items": number(t("collection_models.col.target_items"), format="%.0f"),
                "items_before": number(t("collection_models.col.items_before"), format="%.0f"),
                "items_after": number(t("collection_models.col.items_after"), format="%.0f"),
                "attainment_before": number(
                    t("collection_models.col.attainment_before"), format="%.1f %%"
                ),
                "attainment_after": number(
                    t("collection_models.col.attainment_after"), format="%.1f %%"
                ),
                "purchased_items": number(t("collection_models.col.purchased"), format="%d"),
                "purchased_sek": number(t("collection_models.col.cost"), format="localized"),
                "items_needed": number(t("collection_models.col.still_needed"), format="%d"),
            },
        )
        st.caption(t("collection_models.media.table_caption"))
    with st.container(key="collection_models_budget"):
        st.markdown(f"**{t('collection_models.media.budget_table')}**")
        st.dataframe(
            plan.budget,
            hide_index=True,
            width="stretch",
            column_config={
                "year": number(t("collection_models.col.year"), format="plain"),
                "budget_sek": number(t("collection_models.col.budget"), format="localized"),
                "spent_sek": number(t("collection_models.col.spent"), format="localized"),
                "unspent_sek": number(t("collection_models.col.unspent"), format="localized"),
            },
        )


def _transfer_result(run: ScenarioRun, districts: pd.DataFrame, lang: str) -> None:
    n = run.numbers
    metric_row(
        [
            Kpi(label=t("collection_models.kpi.moved"), value=fmt_int(n["moved"])),
            Kpi(label=t("collection_models.kpi.item_km"), value=fmt_int(n["item_km"])),
            Kpi(label=t("collection_models.kpi.shipments"), value=fmt_int(n["n_transfers"])),
            Kpi(
                label=t("collection_models.kpi.to_buy"),
                value=fmt_int(n["purchase_items"]),
                caption=t("collection_models.kpi.of_deficit", deficit=fmt_int(n["deficit"])),
            ),
        ],
        key="collection_models_kpis",
    )
    details = run_details(run)
    moves = details["transfers"]
    with st.container(key="collection_models_transfers"):
        st.markdown(f"**{t('collection_models.transfers.list')}**")
        if moves.empty:
            st.info(t("collection_models.transfers.none"))
        else:
            shown = pd.DataFrame(
                {
                    "from": _names(run, moves["from_library_id"]),
                    "to": _names(run, moves["to_library_id"]),
                    "category": [svc.category_label(c, lang) for c in moves["category"]],
                    "items": moves["items"],
                    "km": moves["km"],
                }
            )
            st.dataframe(
                shown,
                hide_index=True,
                width="stretch",
                column_config={
                    "from": text(t("collection_models.col.from")),
                    "to": text(t("collection_models.col.to")),
                    "category": text(t("collection_models.col.category")),
                    "items": number(t("collection_models.col.items"), format="localized"),
                    "km": number(t("collection_models.col.km"), format="%.1f"),
                },
            )
    buy = details["purchases"]
    with st.container(key="collection_models_purchases"):
        st.markdown(f"**{t('collection_models.transfers.purchases')}**")
        if buy.empty:
            st.success(t("collection_models.transfers.nothing_to_buy"))
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "library": _names(run, buy["library_id"]),
                        "category": [svc.category_label(c, lang) for c in buy["category"]],
                        "items": buy["items"],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "library": text(t("collection_models.col.library")),
                    "category": text(t("collection_models.col.category")),
                    "items": number(t("collection_models.col.items"), format="localized"),
                },
            )
    with st.container(key="collection_models_map"):
        chart = flow_map(run, districts, lang)
        if chart is None:
            st.info(t("collection_models.map.empty"))
        else:
            chart_with_table(
                chart,
                svc.flow_lines(run, lang)[
                    ["from_name", "to_name", "category_label", "items", "km"]
                ],
                key="collection_models_flow_map",
                alt_text=t("collection_models.map.flows_alt"),
                caption=t(
                    "collection_models.map.flows_caption",
                    moved=fmt_int(n["moved"]),
                    shipments=fmt_int(n["n_transfers"]),
                    item_km=fmt_int(n["item_km"]),
                ),
                column_config={
                    "from_name": text(t("collection_models.col.from")),
                    "to_name": text(t("collection_models.col.to")),
                    "category_label": text(t("collection_models.col.category")),
                    "items": number(t("collection_models.col.items"), format="localized"),
                    "km": number(t("collection_models.col.km"), format="%.1f"),
                },
            )


def _cluster_result(run: ScenarioRun, districts: pd.DataFrame) -> None:
    n = run.numbers
    cards = [
        _change(n["fte_before"], n["fte_after"], 1, "off", t("collection_models.kpi.fte")),
        Kpi(
            label=t("collection_models.kpi.travel"),
            value=fmt_number(n["travel_hours"], 1),
            caption=None
            if n.get("mip_gap") is None
            else t("collection_models.kpi.gap", gap=fmt_percent(n["mip_gap"], 1)),
        ),
        _change(
            n["pupils_at_standard_before"],
            n["pupils_at_standard_after"],
            0,
            "normal",
            t("collection_models.kpi.at_standard"),
        ),
        Kpi(label=t("scenarios.kpi.cost"), value=fmt_number(run.cost_change_sek, 0)),
    ]
    metric_row(cards, key="collection_models_kpis")
    if run.status == "feasible":
        st.warning(t("collection_models.clusters.time_limit_hit", gap=fmt_percent(n["mip_gap"], 1)))
    if n.get("n_staffed_alone"):
        st.caption(t("collection_models.clusters.alone", count=n["n_staffed_alone"]))
    with st.container(key="collection_models_map"):
        chart = cluster_map(run, districts)
        if chart is None:
            st.info(t("collection_models.map.empty"))
        else:
            schools = svc.cluster_lines(run)
            chart_with_table(
                chart,
                schools[["library_name", "hub_name", "pupils", "required_hours", "travel_hours"]],
                key="collection_models_cluster_map",
                alt_text=t("collection_models.map.clusters_alt"),
                caption=t(
                    "collection_models.map.clusters_caption",
                    schools=fmt_int(len(schools)),
                    librarians=fmt_int(n["librarians"]),
                    travel=fmt_number(n["travel_hours"], 1),
                ),
                column_config={
                    "library_name": text(t("collection_models.col.library")),
                    "hub_name": text(t("collection_models.col.hub")),
                    "pupils": number(t("collection_models.col.pupils"), format="localized"),
                    "required_hours": number(t("collection_models.col.required"), format="%.1f"),
                    "travel_hours": number(t("collection_models.col.travel"), format="%.2f"),
                },
            )
    clusters = run.detail.clusters
    with st.container(key="collection_models_clusters"):
        st.markdown(f"**{t('collection_models.clusters.table')}**")
        st.dataframe(
            clusters.assign(hub=_names(run, clusters["hub_id"]))[
                [
                    "hub",
                    "n_schools",
                    "pupils",
                    "required_hours",
                    "travel_hours",
                    "load_hours",
                    "idle_hours",
                ]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "hub": text(t("collection_models.col.hub")),
                "n_schools": number(t("collection_models.col.schools"), format="%d"),
                "pupils": number(t("collection_models.col.pupils"), format="localized"),
                "required_hours": number(t("collection_models.col.required"), format="%.1f"),
                "travel_hours": number(t("collection_models.col.travel"), format="%.2f"),
                "load_hours": number(t("collection_models.col.load"), format="%.1f"),
                "idle_hours": number(t("collection_models.col.idle"), format="%.1f"),
            },
        )
        st.caption(t("collection_models.clusters.table_caption"))


def render_result(run: ScenarioRun, districts: pd.DataFrame, lang: str) -> None:
    """Key figures, tables, chart or map and downloads of a collection or coordination run."""
    if run.model == "media-plan":
        _media_result(run)
    elif run.model == "transfers":
        _transfer_result(run, districts, lang)
    else:
        _cluster_result(run, districts)
    with st.container(key="collection_models_downloads"):
        _downloads(run, lang, "collection_models_csv")
