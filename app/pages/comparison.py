"""Jämförelse / Comparison: one indicator across libraries or school units, and a school profile.

Layout and calls only: frames come from :mod:`app.state` and :mod:`app.state_metrics`, figures
from :mod:`app.services.comparison`, charts from :mod:`app.components.charts`.
"""

import pandas as pd
import streamlit as st

from app import state, state_metrics, state_outcomes
from app.components.accessible_chart import chart_with_table
from app.components.charts import (
    axis_title,
    distribution_chart,
    format_value,
    indicator_label,
    indicator_unit,
    is_share,
    line_frame,
    ranking_chart,
    scatter_chart,
)
from app.components.page import start_page
from app.components.synced import synced_widget
from app.i18n import MISSING, fmt_int, fmt_number, is_missing, t
from app.services import comparison as svc
from app.services import outcomes as outcomes_svc
from metrics.indicators import INDICATORS

DEFAULT_INDICATOR = "staffed_hours_per_100_pupils"
PEER_K = 5

page = start_page("comparison")
lang, filters, municipality = page.lang, page.filters, page.municipality
code, year = filters.municipality, filters.year

try:
    indicators = state_metrics.library_indicators(year)
    all_schools = state.school_frame(years=[year])
    peers = state_metrics.peer_groups(year, k=PEER_K)
    reference = state_metrics.reference_values()
except state.DATABASE_ERRORS as exc:
    st.error(t("comparison.database_error", reason=state.error_reason(exc)))
    st.stop()

all_values = svc.school_values(all_schools, indicators)
municipal_values = all_values[all_values["municipality_code"] == code]
if municipal_values.empty:
    st.info(t("comparison.no_schools", municipality=municipality["name"], year=year))
    st.stop()
medians = svc.municipal_medians(municipal_values)
shown_values = municipal_values[filters.school_mask(municipal_values)]
library_rows = svc.library_values(indicators)
library_rows = library_rows[library_rows["municipality_code"] == code]
if filters.narrowed():
    served = filters.library_ids(all_schools[all_schools["municipality_code"] == code])
    library_rows = library_rows[library_rows["library_id"].isin(served)]
if shown_values.empty:
    st.info(t("comparison.no_match"), icon=":material/filter_alt_off:")
    st.stop()


def reason_text(reason_code: object, reason_en: object, reason_sv: object) -> str:
    """Why a value is missing, in the current language ("" when it is not missing)."""
    if is_missing(reason_code):
        return ""
    if reason_code == svc.REASON_INDICATOR:
        text = reason_sv if lang == "sv" else reason_en
        return "" if is_missing(text) else str(text)
    return t(f"comparison.reason.{reason_code}")


school_names = dict(zip(shown_values["school_unit_code"], shown_values["school_name"], strict=True))
school_codes = sorted(school_names, key=lambda c: (str(school_names[c]), c))

with st.container(key="comparison_controls", horizontal=True):
    indicator = synced_widget(
        st.selectbox,
        "comparison_indicator",
        t("comparison.indicator"),
        list(INDICATORS),
        DEFAULT_INDICATOR,
        format_func=lambda name: indicator_label(name, lang),
        help=t("comparison.indicator_help"),
    )
    unit = synced_widget(
        st.radio,
        "comparison_unit",
        t("comparison.unit"),
        list(svc.UNITS),
        "library",
        format_func=lambda u: t(f"comparison.unit.{u}", lang=lang),
        horizontal=True,
    )
    school = synced_widget(
        st.selectbox,
        "comparison_school",
        t("comparison.school"),
        school_codes,
        school_codes[0],
        format_func=lambda c: f"{school_names[c]} ({c})",
        help=t("comparison.school_help"),
    )

meta = INDICATORS[indicator]
label = indicator_label(indicator, lang)
#: column header of the indicator in the charts' tables (shares in per cent, as on the axes)
value_title = axis_title(indicator, lang)
number = st.column_config.NumberColumn
text = st.column_config.TextColumn
unit_title = t(f"comparison.unit.{unit}.axis")
st.caption(
    t(
        "comparison.indicator_caption",
        definition=t(f"indicator_help.{indicator}"),
        direction=t(
            "comparison.higher_better" if meta.higher_is_better else "comparison.lower_better"
        ),
    )
)

references = svc.reference_lines(indicator, reference, shown_values)
description = "description_sv" if lang == "sv" else "description_en"
lines = line_frame(
    [t("comparison.median_line", municipality=municipality["name"]), *references[description]],
    [medians[indicator], *references["value"]],
    indicator,
    lang,
)
rows = svc.ranking(shown_values if unit == "school" else library_rows, indicator, unit)
known = rows[rows[indicator].notna()]
missing = rows[rows[indicator].isna()]
highlight = school if unit == "school" else None

median_text = format_value(indicator, medians[indicator], lang)
if not is_share(indicator) and not is_missing(medians[indicator]):
    median_text = f"{median_text} {indicator_unit(indicator, lang)}"

with st.container(key="comparison_ranking"):
    st.header(t("comparison.ranking_heading", indicator=label))
    explained = t(f"comparison.ranking_caption.{unit}", median=median_text)
    if known.empty:
        st.info(t("comparison.ranking_empty"))
        st.caption(explained)
    else:
        finding = svc.ranking_finding(known, indicator, lines, unit, lang, highlight)
        shown_columns = ["rank", "label", indicator, "pupils"]
        if unit == "school":
            shown_columns += ["library_name", "pupils_served"]
        chart_with_table(
            ranking_chart(
                known,
                indicator,
                lines,
                lang=lang,
                title=t("comparison.ranking_title", indicator=label, year=year),
                unit_title=unit_title,
                highlight=highlight,
            ),
            svc.chart_table(known, indicator, shown_columns),
            key="comparison_ranking_chart",
            alt_text=t("comparison.ranking_alt", indicator=label),
            caption=f"{finding} {explained}",
            column_config={
                "rank": number(t("comparison.col.rank"), format="localized"),
                "label": text(unit_title, pinned=True),
                "value": number(value_title, format="localized", step=0.01),
                "pupils": number(t("comparison.col.pupils"), format="localized"),
                "library_name": text(t("comparison.col.library")),
                "pupils_served": number(t("comparison.col.pupils_served"), format="localized"),
            },
        )
    if not missing.empty:
        st.markdown(f"**{t('comparison.missing_heading', n=len(missing))}**")
        st.dataframe(
            pd.DataFrame(
                {
                    "label": missing["label"],
                    "value": MISSING,
                    "reason": [
                        reason_text(c, en, sv)
                        for c, en, sv in zip(
                            missing["reason_code"],
                            missing["reason_en"],
                            missing["reason_sv"],
                            strict=True,
                        )
                    ],
                }
            ),
            hide_index=True,
            column_config={
                "label": st.column_config.TextColumn(unit_title, pinned=True),
                "value": st.column_config.TextColumn(label),
                "reason": st.column_config.TextColumn(t("comparison.col.reason")),
            },
            alt=t("comparison.missing_alt"),
        )

left, right = st.columns(2)
with left, st.container(key="comparison_distribution"):
    st.header(t("comparison.distribution_heading"))
    spread = svc.distribution(shown_values, indicator)
    explained = t(
        "comparison.distribution_caption",
        pupils=fmt_int(spread["pupils"].sum()),
        schools=fmt_int(len(spread)),
    )
    if spread.empty:
        st.info(t("comparison.ranking_empty"))
        st.caption(explained)
    else:
        finding = svc.distribution_finding(spread, indicator, lang)
        chart_with_table(
            distribution_chart(
                spread,
                indicator,
                lines,
                lang=lang,
                title=t("comparison.distribution_title", indicator=label),
            ),
            svc.chart_table(
                spread.sort_values([indicator, "label"], kind="stable"),
                indicator,
                ["label", indicator, "pupils"],
            ),
            key="comparison_distribution_chart",
            alt_text=t("comparison.distribution_alt", indicator=label),
            caption=f"{finding} {explained}".strip(),
            column_config={
                "label": text(t("comparison.unit.school.axis"), pinned=True),
                "value": number(value_title, format="localized", step=0.01),
                "pupils": number(t("comparison.col.pupils"), format="localized"),
            },
        )

with right, st.container(key="comparison_scatter"):
    st.header(t("comparison.scatter_heading"))
    axis = synced_widget(
        st.radio,
        "comparison_axis",
        t("comparison.axis"),
        list(svc.SCATTER_AXES),
        "pupils",
        format_func=lambda a: t(f"comparison.axis.{a}", lang=lang),
        horizontal=True,
        help=t("comparison.axis_help"),
    )
    points = svc.scatter(rows, indicator, axis)
    left_out = len(rows) - len(points)
    note = t("comparison.scatter_left_out", n=fmt_int(left_out)) if left_out else ""
    explained = f"{t(f'comparison.scatter_caption.{axis}')} {note}".strip()
    if points.empty:
        st.info(t("comparison.ranking_empty"))
        st.caption(explained)
    else:
        finding = svc.scatter_finding(points, indicator, axis, unit, lang, highlight)
        chart_with_table(
            scatter_chart(
                points,
                indicator,
                axis,
                lines,
                lang=lang,
                title=t("comparison.scatter_title", indicator=label),
                x_title=t(f"comparison.axis.{axis}.title"),
                unit_title=unit_title,
                highlight=highlight,
            ),
            svc.chart_table(points, indicator, ["label", indicator, axis]),
            key="comparison_scatter_chart",
            alt_text=t("comparison.scatter_alt", indicator=label),
            caption=f"{finding} {explained}",
            column_config={
                "label": text(unit_title, pinned=True),
                "value": number(value_title, format="localized", step=0.01),
                axis: number(t(f"comparison.axis.{axis}.title"), format="localized", step=0.01),
            },
        )

with st.container(key="comparison_profile"):
    own = shown_values[shown_values["school_unit_code"] == school].iloc[0]
    st.header(t("comparison.profile_heading", school=own["school_name"]))
    st.caption(
        t(
            "comparison.profile_caption",
            code=school,
            pupils=fmt_int(own["pupils"]),
            library="–" if is_missing(own["library_name"]) else own["library_name"],
            need=fmt_number(own["need_weight"], 2),
            k=PEER_K,
        )
    )
    profile = svc.school_profile(school, all_values, medians, peers, reference)
    reference_column = "reference_sv" if lang == "sv" else "reference_en"
    table = pd.DataFrame(
        {
            "indicator": [indicator_label(n, lang) for n in profile["indicator"]],
            "unit": [indicator_unit(n, lang) for n in profile["indicator"]],
            "value": [
                format_value(n, v, lang)
                for n, v in zip(profile["indicator"], profile["value"], strict=True)
            ],
            "reason": [
                reason_text(c, en, sv)
                for c, en, sv in zip(
                    profile["reason_code"],
                    profile["reason_en"],
                    profile["reason_sv"],
                    strict=True,
                )
            ],
            "municipal_median": [
                format_value(n, v, lang)
                for n, v in zip(profile["indicator"], profile["municipal_median"], strict=True)
            ],
            "reference_value": [
                format_value(n, v, lang)
                for n, v in zip(profile["indicator"], profile["reference_value"], strict=True)
            ],
            "reference": [
                t("comparison.profile.stage_bound")
                if key == svc.STAGE_BOUND_KEY
                else ("" if is_missing(text) else str(text))
                for key, text in zip(
                    profile["reference_key"], profile[reference_column], strict=True
                )
            ],
            "peer_median": [
                format_value(n, v, lang)
                for n, v in zip(profile["indicator"], profile["peer_median"], strict=True)
            ],
            "peer_rank": [
                MISSING
                if is_missing(r)
                else t("comparison.profile.rank", rank=int(r), size=int(size))
                for r, size in zip(profile["peer_rank"], profile["peer_group_size"], strict=True)
            ],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "indicator": st.column_config.TextColumn(t("comparison.col.indicator"), pinned=True),
            "unit": st.column_config.TextColumn(t("comparison.col.unit")),
            "value": st.column_config.TextColumn(t("comparison.col.value")),
            "reason": st.column_config.TextColumn(t("comparison.col.reason")),
            "municipal_median": st.column_config.TextColumn(
                t("comparison.col.municipal_median"), help=t("comparison.col.municipal_median_help")
            ),
            "reference_value": st.column_config.TextColumn(t("comparison.col.reference_value")),
            "reference": st.column_config.TextColumn(t("comparison.col.reference")),
            "peer_median": st.column_config.TextColumn(
                t("comparison.col.peer_median"), help=t("comparison.col.peer_median_help")
            ),
            "peer_rank": st.column_config.TextColumn(
                t("comparison.col.peer_rank"), help=t("comparison.col.peer_rank_help")
            ),
        },
        alt=t("comparison.profile_alt", school=own["school_name"]),
    )
    peer_rows = svc.peer_list(school, peers, all_values)
    if peer_rows.empty:
        st.caption(t("comparison.profile.no_peers"))
    else:
        names = state.municipalities().set_index("code")["name"]
        with st.expander(t("comparison.peers_heading", n=len(peer_rows))):
            st.dataframe(
                peer_rows.assign(municipality=peer_rows["municipality_code"].map(names)).drop(
                    columns=["municipality_code"]
                ),
                hide_index=True,
                column_config={
                    "rank": st.column_config.NumberColumn(t("comparison.col.similarity_rank")),
                    "peer_code": st.column_config.TextColumn(t("col.school_unit_code")),
                    "school_name": st.column_config.TextColumn(t("col.school")),
                    "municipality": st.column_config.TextColumn(t("filters.municipality")),
                    "pupils": st.column_config.NumberColumn(t("col.pupils"), format="localized"),
                    "distance": st.column_config.NumberColumn(
                        t("comparison.col.peer_distance"),
                        help=t("comparison.col.peer_distance_help"),
                        format="localized",
                        step=0.01,
                    ),
                },
                column_order=[
                    "rank",
                    "school_name",
                    "peer_code",
                    "municipality",
                    "pupils",
                    "distance",
                ],
                alt=t("comparison.peers_alt"),
            )
        st.caption(t("comparison.peers_caption"))


# --------------------------------------------------------------------------- pupil outcomes


def show_outcomes() -> None:
    """Skolverket's year-9 results beside the chosen indicator (:mod:`app.services.outcomes`)."""
    school_year = f"{year}/{(year + 1) % 100:02d}"
    st.header(t("outcomes.heading"))
    st.caption(t("outcomes.intro", school_year=school_year))
    with st.container(key="comparison_outcomes_controls", horizontal=True):
        outcome = synced_widget(
            st.selectbox,
            "comparison_outcome",
            t("outcomes.outcome"),
            list(outcomes_svc.OUTCOMES),
            outcomes_svc.OUTCOMES[0],
            format_func=lambda name: outcomes_svc.outcome_label(name, lang),
            help=t("outcomes.outcome_help"),
        )
        scope = synced_widget(
            st.radio,
            "comparison_outcomes_scope",
            t("outcomes.scope"),
            list(outcomes_svc.SCOPES),
            outcomes_svc.SCOPES[0],
            format_func=lambda s: t(
                f"outcomes.scope.{s}", lang=lang, municipality=municipality["name"]
            ),
            horizontal=True,
            help=t("outcomes.scope_help"),
        )
    try:
        results = state_outcomes.school_results(years=[year])
        if results.empty:
            st.info(t("outcomes.no_results", school_year=school_year), icon=":material/info:")
            years = state_outcomes.result_years()
            if years:
                listed = ", ".join(f"{y}/{(y + 1) % 100:02d}" for y in years)
                st.caption(t("outcomes.no_results_years", years=listed))
            return
    except state.DATABASE_ERRORS as exc:
        st.error(t("comparison.database_error", reason=state.error_reason(exc)))
        return
    frame = outcomes_svc.in_scope(
        outcomes_svc.analysis_frame(results, all_schools, indicators),
        scope,
        code,
        shown_values["school_unit_code"],
    )
    if frame.empty:
        st.info(t("outcomes.no_schools", school_year=school_year))
        return
    table = state_outcomes.associations(frame, outcome)
    row = outcomes_svc.association_row(table, indicator)
    names = {"outcome": outcomes_svc.outcome_label(outcome, lang), "indicator": label}
    for column, adjusted in zip(st.columns(2), (False, True), strict=True):
        part = "adjusted" if adjusted else "raw"
        with column, st.container(key=f"comparison_outcomes_{part}"):
            st.markdown(f"**{t(f'outcomes.{part}_heading')}**")
            data, shift = outcomes_svc.points(frame, indicator, outcome, adjusted=adjusted)
            suffix = "_adjusted" if adjusted else ""
            y_title = t("outcomes.y_adjusted", **names) if adjusted else names["outcome"]
            finding = outcomes_svc.finding(row, indicator, outcome, lang, adjusted=adjusted)
            if data.empty:
                st.caption(finding)
                continue
            fitted = state_outcomes.line(frame, indicator, outcome, adjusted=adjusted, shift=shift)
            share = outcome.startswith("share_")
            chart_with_table(
                outcomes_svc.scatter_chart(
                    data,
                    fitted,
                    indicator,
                    outcome,
                    lang=lang,
                    title=t(f"outcomes.chart_title{suffix}", **names),
                    y_title=y_title,
                ),
                outcomes_svc.points_table(data, indicator, outcome, lang),
                key=f"comparison_outcomes_{part}",
                alt_text=t(f"outcomes.chart_alt{suffix}", **names),
                caption=finding,
                column_config={
                    "school": text(t("outcomes.col.school"), pinned=True),
                    "library": text(t("outcomes.col.library")),
                    "indicator": number(value_title, format="localized", step=0.01),
                    "outcome": number(
                        f"{y_title} (%)" if share else y_title, format="localized", step=0.1
                    ),
                    "pupils": number(t("outcomes.col.pupils"), format="localized"),
                    "position": text(t("outcomes.col.position")),
                },
            )
    left_out = outcomes_svc.left_out_text(row, lang)
    if left_out:
        st.caption(left_out)

    st.markdown(f"**{t('outcomes.coefficients_heading')}**")
    st.dataframe(
        outcomes_svc.coefficient_table(table, lang),
        hide_index=True,
        column_config={
            "indicator": text(t("outcomes.col.indicator"), pinned=True),
            "n_schools": st.column_config.NumberColumn(t("outcomes.col.n_schools")),
            "r": text(t("outcomes.col.r"), help=t("outcomes.col.r_help")),
            "r_interval": text(t("outcomes.col.r_interval")),
            "r_adjusted": text(
                t("outcomes.col.r_adjusted"), help=t("outcomes.col.r_adjusted_help")
            ),
            "r_adjusted_interval": text(t("outcomes.col.r_adjusted_interval")),
            "slope_adjusted": text(
                t("outcomes.col.slope_adjusted"), help=t("outcomes.col.slope_adjusted_help")
            ),
            "slope_adjusted_interval": text(t("outcomes.col.slope_adjusted_interval")),
        },
        alt=t("outcomes.coefficients_alt", outcome=names["outcome"]),
    )
    st.caption(t("outcomes.coefficients_caption"))

    st.markdown(f"**{t('outcomes.positions_heading')}**")
    data, _ = outcomes_svc.points(frame, indicator, outcome, adjusted=False)
    above_below = outcomes_svc.positions_table(data, indicator, outcome, lang)
    if above_below.empty:
        st.caption(t("outcomes.positions_none"))
    else:
        st.dataframe(
            above_below,
            hide_index=True,
            column_config={
                "school": text(t("outcomes.col.school"), pinned=True),
                "position": text(t("outcomes.col.position")),
                "result": text(t("outcomes.col.result")),
                "predicted": text(t("outcomes.col.predicted")),
                "difference": text(t("outcomes.col.difference")),
                "library": text(t("outcomes.col.library")),
                "indicator": text(label),
            },
            alt=t("outcomes.positions_alt"),
        )
        expected = int((data["position"] == "expected").sum())
        st.caption(t("outcomes.positions_caption", expected=fmt_int(expected)))
    st.info(t("outcomes.limits"), icon=":material/info:")
    fictional = frame["fictional"].astype(bool)
    if not fictional.all():
        st.caption(t("outcomes.source", school_year=school_year))
    if fictional.any():
        st.caption(t("outcomes.source_fictional"))


with st.container(key="comparison_outcomes"):
    show_outcomes()
