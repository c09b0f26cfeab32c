"""Översikt / Overview: one municipality (or its county) and inventory year at a glance.

Layout and calls only: data comes from :mod:`app.state` and :mod:`app.state_overview`, figures
from :mod:`app.services.overview` (which calls :mod:`metrics`), the map from
:mod:`app.components.map`.
"""

import math

import altair as alt
import pandas as pd
import streamlit as st

from app import state, state_overview
from app.components.accessible_chart import chart_with_table
from app.components.filters import Filters, render_filters
from app.components.kpi import Kpi, metric_row, signed_delta
from app.components.map import kind_label, overview_map
from app.components.synced import synced_widget
from app.i18n import MISSING, current_language, fmt_int, fmt_number, fmt_percent, is_missing, t
from app.services.overview import (
    ALL_LAW,
    EQUITY_STATISTICS,
    KEY_FIGURE_SPECS,
    KEY_FIGURES,
    KeyFigure,
    checklist_coverage,
    county_finding,
    county_municipalities,
    county_table,
    key_figures,
    library_table,
    map_finding,
    map_table,
    overview_kpis,
    school_table,
    staffed_threshold,
    staffing_equity,
)
from metrics.standards import CHECKS

SCOPES = ("municipality", "county")
#: Decimals of the equity statistics.
EQUITY_DECIMALS = {"gini": 2, "mcloone": 2, "federal_range_ratio": 1}
#: Bar colours of the county chart (Okabe-Ito blue / sky blue) and the reference line.
SELECTED_COLOUR, OTHER_COLOUR, REFERENCE_COLOUR = "#0072B2", "#56B4E9", "#D55E00"

#: Swedish number format for Vega (decimal comma, non-breaking space between thousands).
SWEDISH_NUMBERS = alt.Locale(
    number=alt.NumberLocale(decimal=",", thousands="\u00a0", grouping=[3], currency=["", " kr"])
)

lang = current_language()
number = st.column_config.NumberColumn
text = st.column_config.TextColumn


def figure_label(name: str, hours: str) -> str:
    """Display label of a key figure or county column (also a widget's format_func, which
    may run outside the script run, so the language is explicit)."""
    if name == "share_pupils_staffed":
        return t("overview.figure.share_pupils_staffed", lang=lang, hours=hours)
    return t(f"overview.figure.{name}", lang=lang)


def reference_help(name: str, rows: pd.DataFrame | None) -> str:
    """Markdown: the reference rows (indexed by key) behind a key figure, with sources."""
    spec = KEY_FIGURE_SPECS[name]
    if rows is None or not spec.source_keys:
        return ""
    description = "description_sv" if lang == "sv" else "description_en"
    lines = [
        t(
            "overview.reference_source",
            description=rows.loc[key, description],
            source=rows.loc[key, "source"],
            url=rows.loc[key, "source_url"],
        )
        for key in spec.source_keys
        if key in rows.index
    ]
    heading = t(
        "overview.figure.items_per_pupil_reference"
        if name == "items_per_pupil"
        else "overview.reference_heading"
    )
    return "\n\n".join([f"**{heading}**", *[f"- {line}" for line in lines]])


def key_figure_kpi(figure: KeyFigure, rows: pd.DataFrame | None) -> Kpi:
    if figure.name == "staffed_hours_per_100_pupils":
        label, definition = t("kpi.hours_per_100"), t("kpi.hours_per_100_help")
    else:
        label = t(f"overview.figure.{figure.name}")
        definition = t(f"overview.figure.{figure.name}_help")
    more = reference_help(figure.name, rows)
    return Kpi(
        label,
        fmt_number(figure.value, figure.decimals),
        f"{definition}\n\n{more}" if more else definition,
        delta=signed_delta(figure.difference, figure.decimals),
        delta_color="normal" if figure.higher_is_better else "inverse",
        delta_description=t(
            "overview.vs_reference", reference=fmt_number(figure.reference, figure.decimals)
        ),
    )


def equity_value(name: str, value: float) -> str:
    if name == "federal_range_ratio" and value == math.inf:
        return "∞"
    return fmt_number(value, EQUITY_DECIMALS[name])


def render_municipality(
    filters: Filters,
    municipality: pd.Series,
    reference: pd.DataFrame | None,
    library_years: pd.DataFrame,
    indicators: pd.DataFrame,
) -> None:
    code, year = filters.municipality, filters.year
    st.caption(t("overview.caption", municipality=municipality["name"], year=year))
    libraries = library_table(library_years[library_years["municipality_code"] == code], indicators)
    school_rows = state.school_frame(years=[year], municipality=code)
    if filters.narrowed():
        served = filters.library_ids(school_rows)
        libraries = libraries[libraries["library_id"].isin(served)]
        school_rows = school_rows[filters.school_mask(school_rows)]
    schools = school_table(school_rows, library_years, indicators)
    if schools.empty:
        st.info(t("overview.no_schools", municipality=municipality["name"], year=year))

    threshold = staffed_threshold(reference)
    hours = fmt_int(threshold)
    kpis = overview_kpis(schools, libraries, threshold)
    metric_row(
        [
            Kpi(t("kpi.schools"), fmt_int(kpis.schools)),
            Kpi(t("kpi.pupils"), fmt_int(kpis.pupils)),
            Kpi(t("kpi.libraries"), fmt_int(kpis.libraries), t("kpi.libraries_help")),
            Kpi(
                t("kpi.share_staffed", hours=hours),
                fmt_percent(kpis.share_pupils_staffed),
                t("kpi.share_staffed_help", hours=hours),
            ),
        ],
        key="overview_kpis",
    )

    with st.container(key="overview_key_figures"):
        st.header(t("overview.key_figures_heading"))
        st.caption(t("overview.key_figures_caption"))
        figures = key_figures(school_rows, indicators, reference)
        rows = None if reference is None else reference.set_index("key")
        metric_row([key_figure_kpi(figure, rows) for figure in figures])

    with st.container(key="overview_checklist"):
        st.header(t("overview.checklist_heading"))
        if reference is None:
            st.info(t("overview.reference_error", reason=MISSING))
        elif school_rows.empty:
            st.info(t("overview.checklist_empty"))
        else:
            checklist = state_overview.school_checklist(year, code)
            coverage = checklist_coverage(checklist, school_rows)
            st.dataframe(
                coverage.assign(
                    label=[
                        t("overview.checklist_all_law")
                        if check == ALL_LAW
                        else getattr(CHECKS[check], f"label_{lang}")
                        for check in coverage["check"]
                    ],
                    source=[
                        CHECKS["law_own_unit" if check == ALL_LAW else check].source
                        for check in coverage["check"]
                    ],
                    share_schools_pass=coverage["share_schools_pass"] * 100,
                    share_pupils_pass=coverage["share_pupils_pass"] * 100,
                )[
                    [
                        "label",
                        "schools_pass",
                        "schools",
                        "share_schools_pass",
                        "share_pupils_pass",
                        "schools_unknown",
                        "source",
                    ]
                ],
                hide_index=True,
                column_config={
                    "label": text(t("overview.col.check"), pinned=True),
                    "schools_pass": number(t("overview.col.schools_pass"), format="localized"),
                    "schools": number(t("overview.col.schools"), format="localized"),
                    "share_schools_pass": st.column_config.ProgressColumn(
                        t("overview.col.share_schools_pass"),
                        format="%.0f %%",
                        min_value=0,
                        max_value=100,
                    ),
                    "share_pupils_pass": st.column_config.ProgressColumn(
                        t("overview.col.share_pupils_pass"),
                        format="%.0f %%",
                        min_value=0,
                        max_value=100,
                    ),
                    "schools_unknown": number(
                        t("overview.col.schools_unknown"), format="localized"
                    ),
                    "source": text(t("overview.col.source")),
                },
                alt=t("overview.checklist_alt"),
            )
            st.caption(t("overview.checklist_caption"))

    with st.container(key="overview_equity", border=True):
        st.header(t("overview.equity_heading"))
        equity = staffing_equity(school_rows, indicators)
        if equity is None:
            st.info(t("overview.equity_empty"))
        else:
            st.caption(
                t(
                    "overview.equity_caption",
                    schools=fmt_int(equity["schools"]),
                    pupils=fmt_int(equity["pupils"]),
                )
            )
            metric_row(
                [
                    Kpi(
                        t(f"overview.equity.{name}"),
                        equity_value(name, equity[name]),
                        caption=t(f"overview.equity.{name}_explain"),
                    )
                    for name in EQUITY_STATISTICS
                ],
                key="overview_equity_metrics",
            )
            if equity["federal_range_ratio"] == math.inf:
                st.caption(t("overview.equity.p5_zero"))

    with st.container(key="overview_schools"):
        st.header(t("overview.schools_heading"))
        st.dataframe(
            schools.assign(
                library_kind=[kind_label(k, lang) for k in schools["library_kind"]],
                organiser_type=[
                    MISSING if is_missing(o) else t(f"organiser_type.{o}")
                    for o in schools["organiser_type"]
                ],
            ).drop(columns=["school_id", "library_id", "organiser", "x", "y"]),
            hide_index=True,
            column_config={
                "school_name": text(t("col.school"), pinned=True),
                "school_unit_code": text(t("col.school_unit_code")),
                "district": text(t("col.district")),
                "stages": text(t("col.stages")),
                "organiser_type": text(t("col.organiser")),
                "pupils": number(t("col.pupils"), format="localized"),
                "library_name": text(t("col.library")),
                "library_kind": text(t("col.library_kind")),
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
        st.header(t("overview.libraries_heading"))
        if libraries.empty:
            st.info(t("overview.no_libraries", year=year))
        else:
            st.dataframe(
                libraries.assign(
                    library_kind=[kind_label(k, lang) for k in libraries["library_kind"]],
                    location_class=[
                        MISSING if is_missing(c) else t(f"location_class.{int(c)}")
                        for c in libraries["location_class"]
                    ],
                ).drop(columns=["library_id", "x", "y"]),
                hide_index=True,
                column_config={
                    "library_name": text(t("col.library"), pinned=True),
                    "library_kind": text(t("col.library_kind")),
                    "location_class": text(t("col.location_class")),
                    "district": text(t("col.district")),
                    "schools_served": number(t("col.schools_served"), format="localized"),
                    "school_unit_codes": text(t("col.school_unit_code")),
                    "pupils_served": number(t("col.pupils_served"), format="localized"),
                    "staffed_hours": number(t("col.staffed_hours"), format="localized", step=0.1),
                    "hours_lis_librarian": number(t("col.lis_hours"), format="localized", step=0.1),
                    "staffed_hours_per_100_pupils": number(
                        t("col.staffed_hours_per_100"), format="localized", step=0.01
                    ),
                    "items": number(t("col.items"), format="localized"),
                    "items_per_pupil": number(
                        t("col.items_per_pupil"), format="localized", step=0.1
                    ),
                },
                alt=t("overview.libraries_alt"),
            )

    with st.container(key="overview_map"):
        st.header(t("overview.map_heading"))
        chart = overview_map(state.districts(code), schools, libraries, lang)
        if chart is None:
            st.info(t("overview.map_empty"))
        else:
            chart_with_table(
                chart,
                map_table(schools, libraries, lang),
                key="overview_map_chart",
                alt_text=t("overview.map_alt"),
                caption=map_finding(schools, libraries, lang),
                column_config={
                    "feature": text(t("overview.col.feature")),
                    "name": text(t("overview.col.name"), pinned=True),
                    "school_unit_code": text(t("col.school_unit_code")),
                    "pupils": number(t("col.pupils"), format="localized"),
                    "library_name": text(t("overview.col.serving_library")),
                    "library_kind": text(t("overview.col.library_kind_map")),
                    "staffed_hours": number(t("col.staffed_hours"), format="localized", step=0.1),
                    "pupils_served": number(t("col.pupils_served"), format="localized"),
                },
            )


def county_chart(
    table: pd.DataFrame, figure: str, label: str, code: str, reference: float | None, year: int
) -> alt.LayerChart:
    """Horizontal bars of one figure per municipality, the selected one darker, with the
    reference value as a dashed rule."""
    scale = 100.0 if figure == "share_pupils_staffed" else 1.0
    decimals = KEY_FIGURE_SPECS[figure].decimals if figure in KEY_FIGURE_SPECS else 2
    selected = table["municipality_code"] == code
    data = pd.DataFrame(
        {
            # the selected municipality is named as such, not only darker
            "municipality_name": [
                t("overview.chart.selected_name", municipality=name) if chosen else name
                for name, chosen in zip(table["municipality_name"], selected, strict=True)
            ],
            figure: table[figure] * scale,
            "value_text": [fmt_number(v * scale, decimals) for v in table[figure]],
            "group": [
                t("overview.chart.selected" if c == code else "overview.chart.other")
                for c in table["municipality_code"]
            ],
        }
    )
    groups = [t("overview.chart.selected"), t("overview.chart.other")]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("municipality_name:N", sort="-x", title=t("overview.col.municipality")),
            x=alt.X(f"{figure}:Q", title=label),
            color=alt.Color(
                "group:N",
                scale=alt.Scale(domain=groups, range=[SELECTED_COLOUR, OTHER_COLOUR]),
                legend=alt.Legend(title=t("overview.chart.legend"), orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("municipality_name:N", title=t("overview.col.municipality")),
                alt.Tooltip("value_text:N", title=label),
            ],
        )
    )
    layers: list[alt.Chart] = [bars]
    if reference is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"reference": [reference * scale]}))
            .mark_rule(color=REFERENCE_COLOUR, strokeDash=[6, 4], strokeWidth=2)
            .encode(x="reference:Q")
        )
    chart = alt.layer(*layers).properties(
        title=t("overview.county_chart_title", figure=label, year=year),
        height=alt.Step(36),
    )
    return chart.configure(locale=SWEDISH_NUMBERS) if lang == "sv" else chart


def render_county(
    filters: Filters,
    municipalities: pd.DataFrame,
    reference: pd.DataFrame | None,
    library_years: pd.DataFrame,
    indicators: pd.DataFrame,
) -> None:
    code, year = filters.municipality, filters.year
    members = county_municipalities(municipalities, code)
    county = members["county"].dropna()
    county_name = county.iloc[0] if len(county) else members["name"].iloc[0]
    if members["fictional"].any():
        st.info(
            t("overview.county_fictional_banner", county=county_name), icon=":material/science:"
        )
    schools = state.school_frame(years=[year])
    in_county = schools[schools["municipality_code"].isin(members["code"])]
    detail = Filters(
        year=year, municipality=code, stages=filters.stages, organisers=filters.organisers
    )
    narrowed = detail.narrowed()
    if narrowed:
        in_county = in_county[detail.school_mask(in_county)]
    table = county_table(in_county, library_years, indicators, members, reference, narrowed)
    hours = fmt_int(staffed_threshold(reference))
    with st.container(key="overview_county"):
        st.header(t("overview.county_heading", county=county_name))
        st.caption(t("overview.county_caption", year=year))
        decimals = {spec.name: spec.decimals for spec in KEY_FIGURES}
        st.dataframe(
            table.assign(share_pupils_staffed=table["share_pupils_staffed"] * 100),
            hide_index=True,
            column_config={
                "municipality_name": text(t("overview.col.municipality"), pinned=True),
                "municipality_code": text(t("overview.col.municipality_code")),
                "schools": number(t("kpi.schools"), format="localized"),
                "pupils": number(t("kpi.pupils"), format="localized"),
                "libraries": number(t("kpi.libraries"), format="localized"),
                "share_pupils_staffed": number(
                    figure_label("share_pupils_staffed", hours), format="localized", step=1
                ),
                **{
                    name: number(figure_label(name, hours), format="localized", step=10.0**-places)
                    for name, places in decimals.items()
                },
                "gini": number(figure_label("gini", hours), format="localized", step=0.01),
            },
            alt=t("overview.county_alt"),
        )
        choices = ["share_pupils_staffed", *decimals, "gini"]
        figure = synced_widget(
            st.selectbox,
            "overview_county_figure",
            t("overview.county_figure"),
            choices,
            "share_pupils_staffed",
            url=False,
            format_func=lambda name: figure_label(name, hours),
        )
        label = figure_label(figure, hours)
        reference_value = None
        if figure in KEY_FIGURE_SPECS:
            whole = key_figures(in_county, indicators, reference, (KEY_FIGURE_SPECS[figure],))
            reference_value = whole[0].reference
        if reference_value is None:
            explained = t("overview.county_chart_caption_no_reference", figure=label)
        else:
            explained = t(
                "overview.county_chart_caption",
                figure=label,
                reference=fmt_number(reference_value, decimals.get(figure, 2)),
            )
        finding = county_finding(table, figure, label, code, reference_value, lang)
        scale = 100.0 if figure == "share_pupils_staffed" else 1.0
        chart_with_table(
            county_chart(table, figure, label, code, reference_value, year),
            pd.DataFrame(
                {
                    "municipality_name": table["municipality_name"],
                    figure: table[figure] * scale,
                    "group": [
                        t("overview.chart.selected" if c == code else "overview.chart.other")
                        for c in table["municipality_code"]
                    ],
                }
            ),
            key="overview_county_chart",
            alt_text=t("overview.county_chart_alt", figure=label),
            caption=f"{finding} {explained}".strip(),
            column_config={
                "municipality_name": text(t("overview.col.municipality"), pinned=True),
                figure: number(label, format="localized", step=0.01),
                "group": text(t("overview.col.group")),
            },
        )


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
municipality = municipalities.set_index("code").loc[filters.municipality]
scope = synced_widget(
    st.radio,
    "overview_scope",
    t("overview.scope"),
    list(SCOPES),
    SCOPES[0],
    format_func=lambda s: t(f"overview.scope.{s}", lang=lang),
    horizontal=True,
    help=t("overview.scope_help"),
)
if scope == "municipality" and bool(municipality["fictional"]):
    st.info(
        t("overview.fictional_banner", municipality=municipality["name"]),
        icon=":material/science:",
    )

try:
    reference_table = state_overview.reference_values()
except state_overview.REFERENCE_ERRORS as exc:
    reference_table = None
    st.warning(t("overview.reference_error", reason=str(exc)), icon=":material/warning:")

try:
    # Libraries of every municipality for the year: a school may be served across a border.
    year_libraries = state.library_year_frame(years=[filters.year])
    year_indicators = state_overview.library_indicators(filters.year)
    if scope == "county":
        render_county(filters, municipalities, reference_table, year_libraries, year_indicators)
    else:
        render_municipality(filters, municipality, reference_table, year_libraries, year_indicators)
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
