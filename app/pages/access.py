"""Karta och tillgång / Map and access: distances to libraries, 2SFCA access and the gaps.

Layout and calls only: frames come from :mod:`app.state` and :mod:`app.state_metrics`, figures
from :mod:`app.services.access`, the map from :mod:`app.components.access_map`.
"""

import pandas as pd
import streamlit as st

from app import state, state_metrics
from app.components.access_map import access_map
from app.components.accessible_chart import chart_with_table
from app.components.charts import (
    axis_format,
    format_value,
    indicator_label,
    indicator_unit,
    is_share,
)
from app.components.kpi import Kpi, metric_row
from app.components.page import start_page
from app.components.synced import synced_widget
from app.components.text import inline
from app.i18n import fmt_int, fmt_number, fmt_percent, is_missing, t
from app.services import access as svc
from app.services.comparison import REASON_INDICATOR, school_values
from app.services.overview import STAFFED_THRESHOLD_HOURS
from metrics.indicators import INDICATORS

#: Access measures the map can colour by (the rest are the per-library indicators).
ACCESS_VALUES = ("access_per_100_pupils", "distance_staffed_km", "distance_serving_km")
#: Decimals of the access measures.
ACCESS_DECIMALS = {"access_per_100_pupils": 2, "distance_staffed_km": 1, "distance_serving_km": 1}
KM_STORE = "access_catchment_km"
KM_MIN, KM_MAX, KM_STEP = 0.5, 30.0, 0.5

page = start_page("access")
lang, filters, municipality = page.lang, page.filters, page.municipality
code, year = filters.municipality, filters.year

try:
    all_schools = state.school_frame(years=[year])
    sites = svc.library_sites(state.libraries(), state.library_year_frame(years=[year]))
    districts = state.districts(code)
    indicators = state_metrics.library_indicators(year)
except state.DATABASE_ERRORS as exc:
    st.error(t("access.database_error", reason=state.error_reason(exc)))
    st.stop()

municipal_schools = all_schools[all_schools["municipality_code"] == code]
if municipal_schools.empty:
    st.info(t("access.no_schools", municipality=municipality["name"], year=year))
    st.stop()
shown = municipal_schools[filters.school_mask(municipal_schools)]
if shown.empty:
    st.info(t("access.no_match"), icon=":material/filter_alt_off:")
    st.stop()


def value_label(name: str) -> str:
    if name in ACCESS_VALUES:
        return t(f"access.value.{name}", lang=lang)
    return indicator_label(name, lang)


def value_unit(name: str) -> str:
    if name in ACCESS_VALUES:
        return t(f"access.unit.{name}", lang=lang)
    return indicator_unit(name, lang)


def value_text(name: str, value: object) -> str:
    if name in ACCESS_VALUES:
        return fmt_number(value, ACCESS_DECIMALS[name], lang=lang)
    return format_value(name, value, lang)


def access_reason(reason_code: object) -> str:
    if is_missing(reason_code):
        return ""
    return t(f"access.reason.{reason_code}", hours=fmt_int(STAFFED_THRESHOLD_HOURS))


with st.container(key="access_controls", horizontal=True):
    current_km = float(st.session_state.get(KM_STORE, svc.DEFAULT_CATCHMENT_KM))
    catchment_km = st.slider(
        t("access.catchment"),
        min_value=KM_MIN,
        max_value=KM_MAX,
        value=min(max(current_km, KM_MIN), KM_MAX),
        step=KM_STEP,
        key=f"access_catchment_{lang}",
        help=t("access.catchment_help"),
    )
    st.session_state[KM_STORE] = catchment_km
    colour_by = synced_widget(
        st.selectbox,
        "access_colour",
        t("access.colour_by"),
        [*ACCESS_VALUES, *INDICATORS],
        ACCESS_VALUES[0],
        format_func=value_label,
        help=t("access.colour_by_help"),
    )

km_text = fmt_number(catchment_km, 0 if float(catchment_km).is_integer() else 1)
table = svc.access_table(shown, sites, catchment_km, demand=all_schools)
summary = svc.access_summary(table, catchment_km)
hours = fmt_int(STAFFED_THRESHOLD_HOURS)

metric_row(
    [
        Kpi(
            t("access.kpi.staffed_within", hours=hours, km=km_text),
            fmt_percent(summary.share_staffed_within),
            t("access.kpi.staffed_within_help", hours=hours, km=km_text),
        ),
        Kpi(
            t("access.kpi.serving_median"),
            t("access.km", value=fmt_number(summary.serving_median_km, 1)),
            t("access.kpi.serving_median_help"),
        ),
        Kpi(
            t("access.kpi.staffed_median", hours=hours),
            t("access.km", value=fmt_number(summary.staffed_median_km, 1)),
            t("access.kpi.staffed_median_help", hours=hours),
        ),
        Kpi(
            t("access.kpi.access_mean"),
            fmt_number(summary.access_mean, 2),
            t("access.kpi.access_mean_help", km=km_text),
        ),
        Kpi(
            t("access.kpi.no_access"),
            fmt_percent(summary.share_no_access),
            t("access.kpi.no_access_help", km=km_text),
        ),
    ],
    key="access_kpis",
)
st.caption(
    t(
        "access.summary_caption",
        serving_mean=fmt_number(summary.serving_mean_km, 1),
        serving_p95=fmt_number(summary.serving_p95_km, 1),
        serving_within=fmt_percent(summary.share_serving_within),
        staffed_mean=fmt_number(summary.staffed_mean_km, 1),
        access_median=fmt_number(summary.access_median, 2),
        km=km_text,
        pupils=fmt_int(summary.pupils_located),
    )
)

# The value colouring the map, with why it is missing.
if colour_by in ACCESS_VALUES:
    values = table[colour_by]
    reason_column = {
        "access_per_100_pupils": "access_reason",
        "distance_serving_km": "serving_reason",
        "distance_staffed_km": "staffed_reason",
    }[colour_by]
    reasons = table[reason_column].map(access_reason)
    higher_is_better = colour_by == "access_per_100_pupils"
else:
    per_school = school_values(shown, indicators).set_index("school_id")
    values = table["school_id"].map(per_school[colour_by])
    codes = table["school_id"].map(per_school[f"{colour_by}_reason_code"])
    english = table["school_id"].map(per_school[f"{colour_by}_reason"])
    swedish = table["school_id"].map(per_school[f"{colour_by}_reason_sv"])
    reasons = pd.Series(
        [
            ""
            if is_missing(c)
            else (
                str(sv if lang == "sv" else en)
                if c == REASON_INDICATOR
                else t(f"comparison.reason.{c}")
            )
            for c, en, sv in zip(codes, english, swedish, strict=True)
        ],
        index=table.index,
    )
    higher_is_better = INDICATORS[colour_by].higher_is_better
map_table = table.assign(**{colour_by: pd.to_numeric(values, errors="coerce")})
shown_library_ids = set(table["library_id"].dropna()) | set(table["staffed_library_id"].dropna())
map_libraries = sites[
    (sites["library_id"].isin(shown_library_ids) | (sites["municipality_code"] == code))
    & (sites["library_kind"] != "none")
]
legend_title = f"{value_label(colour_by)} ({value_unit(colour_by)})"
number = st.column_config.NumberColumn

with st.container(key="access_map"):
    st.header(t("access.map_heading"))
    chart = access_map(
        districts,
        map_table,
        map_libraries,
        colour_by,
        legend_title=legend_title,
        higher_is_better=higher_is_better,
        format_value=lambda v: value_text(colour_by, v),
        lang=lang,
        reasons=reasons,
        legend_format=None if colour_by in ACCESS_VALUES else axis_format(colour_by),
    )
    explained = t(
        "access.map_caption", value=legend_title, hours=hours, direction=t("access.darker_weaker")
    )
    if chart is None:
        st.info(t("access.map_empty"))
        st.caption(explained)
    else:
        scale = 100.0 if colour_by not in ACCESS_VALUES and is_share(colour_by) else 1.0
        drawn = svc.map_rows(map_table, values, reasons, map_libraries, lang, scale=scale)
        finding = svc.map_finding(
            drawn,
            inline(legend_title),
            higher_is_better,
            lambda v: value_text(colour_by, v),
            lang,
            scale=scale,
        )
        chart_with_table(
            chart,
            drawn,
            key="access_map_chart",
            alt_text=t("access.map_alt", value=legend_title),
            caption=f"{finding} {explained}",
            column_config={
                "feature": st.column_config.TextColumn(t("access.col.feature")),
                "name": st.column_config.TextColumn(t("access.col.name"), pinned=True),
                "school_unit_code": st.column_config.TextColumn(t("col.school_unit_code")),
                "pupils": number(t("col.pupils"), format="localized"),
                "value": number(legend_title, format="localized", step=0.01),
                "note": st.column_config.TextColumn(t("access.col.note")),
                "library_name": st.column_config.TextColumn(t("access.col.serving_library")),
                "distance_serving_km": number(
                    t("access.col.distance_serving"), format="localized", step=0.1
                ),
                "staffed_library_name": st.column_config.TextColumn(
                    t("access.col.staffed_library", hours=hours)
                ),
                "distance_staffed_km": number(
                    t("access.col.distance_staffed", hours=hours), format="localized", step=0.1
                ),
                "access_per_100_pupils": number(
                    t("access.col.access"), format="localized", step=0.01
                ),
                "staffed_hours": number(
                    t("access.col.staffed_hours"), format="localized", step=0.1
                ),
            },
        )

with st.container(key="access_table"):
    st.header(t("access.table_heading"))
    notes = [
        "; ".join(dict.fromkeys(access_reason(c) for c in codes if not is_missing(c)))
        for codes in zip(
            table["serving_reason"], table["staffed_reason"], table["access_reason"], strict=True
        )
    ]
    st.dataframe(
        table.assign(note=notes)[
            [
                "school_name",
                "school_unit_code",
                "district",
                "pupils",
                "library_name",
                "distance_serving_km",
                "staffed_library_name",
                "distance_staffed_km",
                "staffed_within_catchment",
                "access_per_100_pupils",
                "libraries_in_reach",
                "note",
            ]
        ],
        hide_index=True,
        column_config={
            "school_name": st.column_config.TextColumn(t("col.school"), pinned=True),
            "school_unit_code": st.column_config.TextColumn(t("col.school_unit_code")),
            "district": st.column_config.TextColumn(t("col.district")),
            "pupils": number(t("col.pupils"), format="localized"),
            "library_name": st.column_config.TextColumn(t("access.col.serving_library")),
            "distance_serving_km": number(
                t("access.col.distance_serving"), format="localized", step=0.1
            ),
            "staffed_library_name": st.column_config.TextColumn(
                t("access.col.staffed_library", hours=hours)
            ),
            "distance_staffed_km": number(
                t("access.col.distance_staffed", hours=hours), format="localized", step=0.1
            ),
            "staffed_within_catchment": st.column_config.CheckboxColumn(
                t("access.col.staffed_within", km=km_text)
            ),
            "access_per_100_pupils": number(
                t("access.col.access"),
                help=t("access.col.access_help", km=km_text),
                format="localized",
                step=0.01,
            ),
            "libraries_in_reach": number(
                t("access.col.libraries_in_reach", km=km_text), format="localized"
            ),
            "note": st.column_config.TextColumn(t("access.col.note")),
        },
        alt=t("access.table_alt"),
    )
    st.caption(t("access.table_caption", km=km_text, hours=hours))

with st.container(key="access_gaps"):
    st.header(t("access.gaps_heading"))
    gap_rows = svc.gaps(table, catchment_km)
    affected = svc.gap_pupils(gap_rows)
    metric_row(
        [
            Kpi(t("access.gap.any"), fmt_int(affected["any"]), t("access.gap.any_help")),
            *[
                Kpi(
                    t(f"access.gap.{flag}", km=km_text, hours=hours),
                    fmt_int(affected[flag]),
                    t(f"access.gap.{flag}_help", km=km_text, hours=hours),
                )
                for flag in svc.GAP_FLAGS
            ],
        ],
        key="access_gap_kpis",
    )
    if gap_rows.empty:
        st.success(t("access.no_gaps", km=km_text), icon=":material/check_circle:")
    else:
        gap_text = [
            "; ".join(
                t(f"access.gap.{flag}", km=km_text, hours=hours)
                for flag in svc.GAP_FLAGS
                if bool(row[flag])
            )
            for _, row in gap_rows.iterrows()
        ]
        st.dataframe(
            gap_rows.assign(gaps=gap_text)[
                [
                    "school_name",
                    "district",
                    "pupils",
                    "gaps",
                    "access_per_100_pupils",
                    "distance_staffed_km",
                    "staffed_library_name",
                    "distance_serving_km",
                ]
            ],
            hide_index=True,
            column_config={
                "school_name": st.column_config.TextColumn(t("col.school"), pinned=True),
                "district": st.column_config.TextColumn(t("col.district")),
                "pupils": number(t("access.col.pupils_affected"), format="localized"),
                "gaps": st.column_config.TextColumn(t("access.col.gaps")),
                "access_per_100_pupils": number(
                    t("access.col.access"), format="localized", step=0.01
                ),
                "distance_staffed_km": number(
                    t("access.col.distance_staffed", hours=hours), format="localized", step=0.1
                ),
                "staffed_library_name": st.column_config.TextColumn(
                    t("access.col.staffed_library", hours=hours)
                ),
                "distance_serving_km": number(
                    t("access.col.distance_serving"), format="localized", step=0.1
                ),
            },
            alt=t("access.gaps_alt"),
        )
    st.caption(t("access.gaps_caption", km=km_text, hours=hours))
