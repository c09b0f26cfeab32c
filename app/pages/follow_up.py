"""Uppföljning / Follow-up: trends over the years, the regional resource centre and surveys.

Layout and calls only: data comes from :mod:`app.state` and :mod:`app.state_follow_up`,
figures from :mod:`app.services.follow_up`.
"""

import altair as alt
import pandas as pd
import streamlit as st

from app import state, state_follow_up, state_surveys
from app.components.accessible_chart import chart_with_table
from app.components.page import start_page
from app.components.synced import synced_widget
from app.i18n import fmt_int, fmt_number, t
from app.services import follow_up as svc
from app.services import surveys as survey_svc
from metrics.indicators import INDICATORS

page = start_page("follow_up")
lang, filters, municipality = page.lang, page.filters, page.municipality
code, year = filters.municipality, filters.year

try:
    library_years = state.library_year_frame(municipality=code)
    schools = state.school_frame()
    centre = state_follow_up.resource_centre_years()
    surveys = state_follow_up.surveys()
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()

local_schools = schools[schools["municipality_code"] == code]
if filters.narrowed():
    served = filters.library_ids(local_schools)
    library_years = library_years[library_years["library_id"].isin(served)]
    local_schools = local_schools[filters.school_mask(local_schools)]
locale = svc.vega_locale(lang)
number = st.column_config.NumberColumn
text = st.column_config.TextColumn


def localized(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with Swedish number formatting on the axes when the page is in Swedish."""
    return chart.configure(locale=locale) if locale else chart


def indicator_label(name: str) -> str:
    meta = INDICATORS[name]
    return meta.label_sv if lang == "sv" else meta.label_en


def inline(label: str) -> str:
    """A label inside a sentence: "Medier per elev" -> "medier per elev" (not "LIS-...")."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def indicator_axis(name: str) -> str:
    """Axis title: the unit (the chart title names the indicator)."""
    unit = t(f"follow_up.unit.{name}")
    return t("follow_up.axis.share") if unit == "%" else unit[:1].upper() + unit[1:]


def statistic_label(name: str) -> str:
    return t(f"follow_up.statistic.{name}")


def role_label(role: str) -> str:
    return t(f"follow_up.role.{role}")


tab_trends, tab_centre, tab_surveys = st.tabs(
    [t("follow_up.tab.trends"), t("follow_up.tab.resource_centre"), t("follow_up.tab.surveys")]
)

# --------------------------------------------------------------------------- indicator trends
with tab_trends, st.container(key="follow_up_trend"):
    st.header(t("follow_up.trend_heading"))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        indicator = synced_widget(
            st.selectbox,
            "follow_up_indicator",
            t("follow_up.indicator"),
            list(INDICATORS),
            svc.DEFAULT_INDICATOR,
            url=False,
            format_func=indicator_label,
        )
        view = synced_widget(
            st.radio,
            "follow_up_view",
            t("follow_up.view"),
            ["libraries", "mean"],
            "libraries",
            url=False,
            horizontal=True,
            format_func=lambda v: t(f"follow_up.view.{v}", lang=lang),
        )
    indicators = svc.indicator_frame(library_years)
    series = svc.indicator_series(indicators, indicator)
    mean = svc.municipal_mean(indicators, indicator)
    share = svc.is_share(indicator)
    y_axis = alt.Axis(format=".0%") if share else alt.Axis()
    if series.empty:
        st.info(t("follow_up.no_values", indicator=inline(indicator_label(indicator))))
    else:
        x = alt.X("year:O", title=t("follow_up.axis.year"), axis=alt.Axis(labelAngle=0))
        y = alt.Y(f"{indicator}:Q", title=indicator_axis(indicator), axis=y_axis)
        value_format = ".1%" if share else ",.2f"
        mean_line = (
            alt.Chart(mean.assign(series=t("follow_up.mean_series")))
            .mark_line(point=True, color="#000000", strokeWidth=3)
            .encode(
                x=x,
                y=y,
                strokeDash=alt.StrokeDash(
                    "series:N",
                    title=None,
                    legend=alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=3),
                ),
                tooltip=[
                    alt.Tooltip("year:O", title=t("follow_up.axis.year")),
                    alt.Tooltip(
                        f"{indicator}:Q", title=t("follow_up.mean_series"), format=value_format
                    ),
                    alt.Tooltip("libraries:Q", title=t("follow_up.col.libraries")),
                ],
            )
        )
        if view == "libraries":
            names = sorted(series["library_name"].unique())
            few = len(names) <= len(svc.LINE_COLOURS)
            colour = (
                alt.Color(
                    "library_name:N",
                    title=t("follow_up.col.library"),
                    scale=alt.Scale(domain=names, range=list(svc.LINE_COLOURS[: len(names)])),
                    legend=alt.Legend(orient="bottom", columns=3, labelLimit=240),
                )
                if few
                else alt.value("#56B4E9")
            )
            # a few lines each get a colour and a dash pattern: colour is never the only cue
            dash = (
                alt.StrokeDash(
                    "library_name:N",
                    title=t("follow_up.col.library"),
                    scale=alt.Scale(domain=names, range=list(svc.LINE_DASHES[: len(names)])),
                    legend=alt.Legend(orient="bottom", columns=3, labelLimit=240),
                )
                if few
                else alt.value([1, 0])
            )
            lines = (
                alt.Chart(series)
                .mark_line(point=few, strokeWidth=1.5, opacity=1 if few else 0.6)
                .encode(
                    x=x,
                    y=y,
                    detail="library_id:N",
                    color=colour,
                    strokeDash=dash,
                    tooltip=[
                        alt.Tooltip("library_name:N", title=t("follow_up.col.library")),
                        alt.Tooltip("year:O", title=t("follow_up.axis.year")),
                        alt.Tooltip(
                            f"{indicator}:Q", title=indicator_label(indicator), format=value_format
                        ),
                    ],
                )
            )
            chart = (lines + mean_line).resolve_scale(color="independent", strokeDash="independent")
            caption = t("follow_up.trend_caption_libraries", libraries=fmt_int(len(names)))
            drawn = series
        else:
            chart = mean_line
            caption = t("follow_up.trend_caption_mean")
            drawn = series.iloc[0:0]
        chart = chart.properties(
            title=t("follow_up.trend_title", indicator=indicator_label(indicator))
        )
        chart_with_table(
            localized(chart),
            svc.trend_table(drawn, mean, indicator, t("follow_up.mean_series")),
            key="follow_up_trend_chart",
            alt_text=t("follow_up.trend_alt"),
            caption=f"{svc.trend_finding(mean, indicator, lang)} {caption}".strip(),
            column_config={
                "series": text(t("follow_up.col.series"), pinned=True),
                "year": number(t("follow_up.axis.year"), format="plain"),
                "value": number(
                    t("follow_up.col.value_percent" if share else "follow_up.col.value_plain"),
                    format="localized",
                    step=0.01,
                ),
            },
        )

        changes = svc.indicator_changes(indicators, indicator, year)
        st.markdown(f"**{t('follow_up.changes_heading', year=year)}**")
        if changes.empty:
            st.info(t("follow_up.no_previous_year", year=year))
        else:
            scale = 100 if share else 1
            unit = " (%)" if share else ""
            shown = changes.assign(
                previous_value=changes["previous_value"] * scale,
                value=changes["value"] * scale,
                change=changes["change"] * scale,
                relative_change=changes["relative_change"] * 100,
                improved=[
                    t("follow_up.improved.unknown")
                    if pd.isna(flag)
                    else t("follow_up.improved.yes" if flag else "follow_up.improved.no")
                    for flag in changes["improved"]
                ],
            ).drop(columns=["library_id"])
            st.dataframe(
                shown,
                hide_index=True,
                column_config={
                    "library_name": text(t("follow_up.col.library"), pinned=True),
                    "previous_year": number(t("follow_up.col.previous_year"), format="plain"),
                    "previous_value": number(
                        t("follow_up.col.previous_value") + unit, format="localized"
                    ),
                    "value": number(t("follow_up.col.value", year=year) + unit, format="localized"),
                    "change": number(t("follow_up.col.change") + unit, format="localized"),
                    "relative_change": number(
                        t("follow_up.col.relative_change"), format="localized"
                    ),
                    "improved": text(
                        t("follow_up.col.improved"), help=t("follow_up.col.improved_help")
                    ),
                },
                alt=t("follow_up.changes_alt"),
            )

# --------------------------------------------------------------------------- equity trends
with tab_trends, st.container(key="follow_up_equity"):
    st.header(t("follow_up.equity_heading", indicator=inline(indicator_label(indicator))))
    need = st.toggle(
        t("follow_up.need_adjusted"), key="follow_up_need", help=t("follow_up.need_adjusted_help")
    )
    equity = svc.equity_by_year(indicators, indicator, need_adjusted=need)
    long = svc.equity_long(equity)
    if long.empty:
        st.info(t("follow_up.no_equity", indicator=inline(indicator_label(indicator))))
    else:
        long["statistic_label"] = long["statistic"].map(statistic_label)
        equity_columns = {
            "year": number(t("follow_up.axis.year"), format="plain", pinned=True),
            **{
                s: number(statistic_label(s), format="localized", step=0.001)
                for s in svc.EQUITY_STATISTICS
            },
            "n": number(t("follow_up.col.libraries"), format="localized"),
        }
        order = [statistic_label(s) for s in svc.EQUITY_STATISTICS]
        equity_chart = (
            alt.Chart(long)
            .mark_line(point=True, color="#0072B2")
            .encode(
                x=alt.X("year:O", title=t("follow_up.axis.year"), axis=alt.Axis(labelAngle=0)),
                y=alt.Y(
                    "value:Q", title=t("follow_up.axis.statistic"), scale=alt.Scale(zero=False)
                ),
                tooltip=[
                    alt.Tooltip("statistic_label:N", title=t("follow_up.col.statistic")),
                    alt.Tooltip("year:O", title=t("follow_up.axis.year")),
                    alt.Tooltip("value:Q", title=t("follow_up.col.statistic_value"), format=".3f"),
                ],
            )
            .properties(width=280, height=180)
            .facet(
                facet=alt.Facet("statistic_label:N", title=None, sort=order),
                columns=2,
            )
            .resolve_scale(y="independent")
            .properties(
                title=t(
                    "follow_up.equity_title_need" if need else "follow_up.equity_title",
                    indicator=inline(indicator_label(indicator)),
                )
            )
        )
        chart_with_table(
            localized(equity_chart),
            svc.equity_chart_table(equity),
            key="follow_up_equity_chart",
            alt_text=t("follow_up.equity_alt"),
            caption=f"{svc.equity_finding(equity, lang)} {t('follow_up.equity_caption')}".strip(),
            column_config=equity_columns,
            width="content",
        )

        verdicts = svc.disparity_verdicts(svc.equity_changes(equity), year)
        if verdicts.empty:
            st.info(t("follow_up.no_previous_year", year=year))
        else:
            icons = {
                "grew": ":material/trending_up:",
                "shrank": ":material/trending_down:",
                "unchanged": ":material/trending_flat:",
                "unknown": ":material/help:",
            }
            lines = [
                "- "
                + t(
                    f"follow_up.verdict.{row.verdict}",
                    icon=icons[row.verdict],
                    statistic=statistic_label(row.statistic),
                    previous_year=int(row.previous_year),
                    year=year,
                    previous=fmt_number(row.previous_value, 3),
                    value=fmt_number(row.value, 3),
                )
                for row in verdicts.itertuples()
            ]
            with st.container(key="follow_up_verdicts"):
                st.markdown("\n".join(lines))
        st.dataframe(
            equity.drop(columns=["indicator", "reason"]),
            hide_index=True,
            column_config=equity_columns,
            alt=t("follow_up.equity_table_alt"),
        )

# --------------------------------------------------------------------------- resource centre
with tab_centre, st.container(key="follow_up_resource_centre"):
    st.header(t("follow_up.centre_heading"))
    if centre.empty:
        st.info(t("follow_up.no_centre"), icon=":material/info:")
    else:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            measure = synced_widget(
                st.selectbox,
                "follow_up_measure",
                t("follow_up.measure"),
                list(svc.RESOURCE_MEASURES),
                svc.RESOURCE_MEASURES[0],
                url=False,
                format_func=lambda m: t(f"follow_up.measure.{m}", lang=lang),
            )
            per_pupil = st.toggle(t("follow_up.per_100_pupils"), key="follow_up_per_pupil")
        column = f"{measure}_per_100_pupils" if per_pupil else measure
        measure_title = t(f"follow_up.measure.{measure}") + (
            t("follow_up.per_100_suffix") if per_pupil else ""
        )
        measure_axis = f"{measure_title} ({t(f'follow_up.measure_unit.{measure}')})"
        regional = svc.municipality_activity(
            centre, svc.pupils_by(schools, ["municipality_code", "year"])
        )
        regional["selected"] = [
            t("follow_up.selected_municipality")
            if c == code
            else t("follow_up.other_municipalities")
            for c in regional["municipality_code"]
        ]
        selected_label = t("follow_up.selected_municipality")
        others_label = t("follow_up.other_municipalities")
        region_chart = (
            alt.Chart(regional.dropna(subset=[column]))
            .mark_line(point=True)
            .encode(
                x=alt.X("year:O", title=t("follow_up.axis.year"), axis=alt.Axis(labelAngle=0)),
                y=alt.Y(f"{column}:Q", title=measure_axis),
                detail="municipality_code:N",
                color=alt.Color(
                    "selected:N",
                    title=None,
                    scale=alt.Scale(
                        domain=[selected_label, others_label], range=["#0072B2", "#999999"]
                    ),
                    legend=alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=3),
                ),
                strokeDash=alt.StrokeDash(
                    "selected:N",
                    title=None,
                    scale=alt.Scale(domain=[selected_label, others_label], range=[[1, 0], [4, 3]]),
                ),
                strokeWidth=alt.condition(
                    alt.datum.municipality_code == code, alt.value(3), alt.value(1.5)
                ),
                tooltip=[
                    alt.Tooltip("municipality_name:N", title=t("follow_up.col.municipality")),
                    alt.Tooltip("year:O", title=t("follow_up.axis.year")),
                    alt.Tooltip(f"{column}:Q", title=measure_title, format=",.1f"),
                ],
            )
            .properties(title=t("follow_up.centre_region_title", measure=measure_title))
        )
        drawn = regional.dropna(subset=[column])
        finding = svc.centre_finding(regional, column, code, year, measure_title, lang)
        explained = t("follow_up.centre_region_caption", municipality=municipality["name"])
        chart_with_table(
            localized(region_chart),
            drawn[["municipality_name", "year", column, "selected"]].sort_values(
                ["municipality_name", "year"], kind="stable"
            ),
            key="follow_up_centre_chart",
            alt_text=t("follow_up.centre_alt"),
            caption=f"{finding} {explained}",
            column_config={
                "municipality_name": text(t("follow_up.col.municipality"), pinned=True),
                "year": number(t("follow_up.axis.year"), format="plain"),
                column: number(measure_axis, format="localized", step=0.1),
                "selected": text(t("follow_up.col.group")),
            },
        )
        this_year = regional[regional["year"] == year].drop(columns=["fictional", "selected"])
        st.dataframe(
            this_year.drop(columns=["year", "municipality_code"]),
            hide_index=True,
            column_config={
                "municipality_name": text(t("follow_up.col.municipality"), pinned=True),
                "source": None,
                "pupils": number(t("follow_up.col.pupils"), format="localized"),
                **{
                    m: number(t(f"follow_up.measure.{m}"), format="localized")
                    for m in svc.RESOURCE_MEASURES
                },
                **{
                    f"{m}_per_100_pupils": number(
                        t(f"follow_up.measure.{m}") + t("follow_up.per_100_suffix"),
                        format="localized",
                        step=0.01,
                    )
                    for m in svc.RESOURCE_MEASURES
                },
            },
            alt=t("follow_up.centre_table_alt", year=year),
        )
        st.caption(t("follow_up.centre_table_caption", year=year))

        st.markdown(
            f"**{t('follow_up.centre_schools_heading', municipality=municipality['name'])}**"
        )
        activity = svc.school_activity(
            centre, code, svc.pupils_by(schools, ["school_unit_code", "year"])
        )
        if filters.narrowed():
            activity = activity[activity["school_id"].isin(local_schools["school_id"])]
        if activity.empty:
            st.info(t("follow_up.no_centre_schools", municipality=municipality["name"]))
        else:
            pivot = svc.school_pivot(activity, column)
            year_columns = [
                c for c in pivot.columns if c not in ("school_name", "school_unit_code")
            ]
            st.dataframe(
                pivot,
                hide_index=True,
                column_config={
                    "school_name": text(t("follow_up.col.school"), pinned=True),
                    "school_unit_code": text(t("follow_up.col.school_unit_code")),
                    **{
                        c: number(c, format="localized", step=0.01 if per_pupil else 1)
                        for c in year_columns
                    },
                },
                alt=t("follow_up.centre_schools_alt"),
            )
            st.caption(t("follow_up.centre_schools_caption", measure=measure_title))

# --------------------------------------------------------------------------- surveys
with tab_surveys, st.container(key="follow_up_surveys"):
    st.header(t("follow_up.surveys_heading"))
    try:
        answers_here = state_follow_up.survey_answers(municipality=code)
    except state.DATABASE_ERRORS as exc:
        st.error(t("overview.database_error", reason=state.error_reason(exc)))
        st.stop()
    # surveys answered in skolbib have their own section below, by role and school unit
    in_app = state_surveys.app_surveys()["survey_id"]
    with_answers = surveys[
        surveys["survey_id"].isin(answers_here["survey_id"].dropna())
        & ~surveys["survey_id"].isin(in_app)
    ]
    if with_answers.empty:
        st.info(
            t("follow_up.no_surveys", municipality=municipality["name"]), icon=":material/info:"
        )
    else:
        titles = {int(r.survey_id): f"{r.title} ({r.year})" for r in with_answers.itertuples()}
        survey_id = synced_widget(
            st.selectbox,
            "follow_up_survey",
            t("follow_up.survey"),
            list(titles),
            next(iter(titles)),
            url=False,
            format_func=lambda i: titles.get(i, str(i)),
        )
        answers = answers_here[answers_here["survey_id"] == survey_id]
        if filters.narrowed():
            answers = answers[answers["school_id"].isin(local_schools["school_id"])]
        question_column = "question_en" if lang == "en" else "question_sv"

        def question_text(frame: pd.DataFrame) -> pd.Series:
            return frame[question_column].fillna(frame["question_sv"])

        summary = svc.likert_summary(answers)
        respondents = answers["respondent_key"].nunique()
        st.caption(
            t(
                "follow_up.survey_caption",
                respondents=fmt_int(respondents),
                municipality=municipality["name"],
                minimum=svc.MIN_RESPONDENTS,
            )
        )
        if summary.empty:
            st.info(t("follow_up.no_likert"))
        else:
            shown = pd.DataFrame(
                {
                    "question": question_text(summary),
                    "role": summary["respondent_role"].map(role_label),
                    "respondents": summary["respondents"],
                    "mean": summary["mean"],
                    "note": [t("follow_up.suppressed") if s else "" for s in summary["suppressed"]],
                }
            )
            st.dataframe(
                shown,
                hide_index=True,
                column_config={
                    "question": text(t("follow_up.col.question"), width="large"),
                    "role": text(t("follow_up.col.role")),
                    "respondents": number(t("follow_up.col.respondents"), format="localized"),
                    "mean": number(
                        t("follow_up.col.mean"),
                        help=t("follow_up.col.mean_help"),
                        format="localized",
                        step=0.01,
                    ),
                    "note": text(t("follow_up.col.note")),
                },
                alt=t("follow_up.likert_table_alt"),
            )

            questions = summary.drop_duplicates("question_id")
            question_names = dict(
                zip(questions["question_id"].astype(int), question_text(questions), strict=True)
            )
            question_id = synced_widget(
                st.selectbox,
                "follow_up_question",
                t("follow_up.question"),
                list(question_names),
                next(iter(question_names)),
                url=False,
                format_func=lambda i: question_names.get(i, str(i)),
            )
            distribution = svc.likert_distribution(answers, question_id)
            if distribution.empty:
                st.info(t("follow_up.distribution_suppressed", minimum=svc.MIN_RESPONDENTS))
            else:
                value_labels = [t(f"follow_up.likert.{v}") for v in svc.LIKERT_VALUES]
                distribution["value_label"] = distribution["likert_value"].map(
                    dict(zip(svc.LIKERT_VALUES, value_labels, strict=True))
                )
                distribution["role"] = distribution["respondent_role"].map(role_label)
                roles = [role_label(r) for r in svc.ROLE_ORDER]
                likert_chart = (
                    alt.Chart(distribution)
                    .mark_bar(stroke="white", strokeWidth=0.5)
                    .encode(
                        x=alt.X(
                            "share:Q",
                            stack="zero",
                            title=t("follow_up.axis.share_answers"),
                            axis=alt.Axis(format=".0%"),
                            scale=alt.Scale(domain=[0, 1]),
                        ),
                        y=alt.Y("role:N", sort=roles, title=t("follow_up.col.role")),
                        color=alt.Color(
                            "value_label:N",
                            title=t("follow_up.legend.answer"),
                            sort=value_labels,
                            scale=alt.Scale(domain=value_labels, range=list(svc.LIKERT_COLOURS)),
                            legend=alt.Legend(orient="bottom", columns=5, labelLimit=240),
                        ),
                        order=alt.Order("likert_value:Q"),
                        tooltip=[
                            alt.Tooltip("role:N", title=t("follow_up.col.role")),
                            alt.Tooltip("value_label:N", title=t("follow_up.legend.answer")),
                            alt.Tooltip("count:Q", title=t("follow_up.col.respondents")),
                            alt.Tooltip("share:Q", title=t("follow_up.col.share"), format=".0%"),
                        ],
                    )
                    .properties(
                        title=t("follow_up.likert_title", question=question_names[question_id])
                    )
                )
                finding = svc.likert_finding(distribution, lang)
                explained = t("follow_up.likert_caption", minimum=svc.MIN_RESPONDENTS)
                chart_with_table(
                    localized(likert_chart),
                    distribution[["role", "value_label", "count"]].assign(
                        share=distribution["share"] * 100
                    ),
                    key="follow_up_likert_chart",
                    alt_text=t("follow_up.likert_alt"),
                    caption=f"{finding} {explained}".strip(),
                    column_config={
                        "role": text(t("follow_up.col.role"), pinned=True),
                        "value_label": text(t("follow_up.col.answer_value")),
                        "count": number(t("follow_up.col.respondents"), format="localized"),
                        "share": number(
                            t("follow_up.col.share_percent"), format="localized", step=0.1
                        ),
                    },
                )

        texts = svc.text_answers(answers)
        st.markdown(f"**{t('follow_up.text_heading')}**")
        if texts.empty:
            st.info(t("follow_up.no_text_answers"))
        else:
            # user text goes into a data grid: shown as plain text, never Markdown or HTML
            st.dataframe(
                pd.DataFrame(
                    {
                        "question": question_text(texts),
                        "role": texts["respondent_role"].map(role_label),
                        "answer": texts["text_value"],
                    }
                ),
                hide_index=True,
                column_config={
                    "question": text(t("follow_up.col.question")),
                    "role": text(t("follow_up.col.role")),
                    "answer": text(t("follow_up.col.answer"), width="large"),
                },
                alt=t("follow_up.text_alt"),
            )
            st.caption(t("follow_up.text_caption", count=fmt_int(len(texts))))

# --------------------------------------------------------------------------- surveys in skolbib
with tab_surveys, st.container(key="follow_up_app_surveys"):
    st.header(t("surveys.results.heading"))
    try:
        made = state_surveys.app_surveys()
    except state.DATABASE_ERRORS as exc:
        st.error(t("overview.database_error", reason=state.error_reason(exc)))
        st.stop()
    answered = made[made["published"] & (made["participants"] > 0)]
    if answered.empty:
        st.info(t("surveys.results.none"), icon=":material/info:")
    else:
        app_titles = {int(r.survey_id): f"{r.title} ({r.year})" for r in answered.itertuples()}
        app_survey = st.selectbox(
            t("surveys.results.survey"),
            list(app_titles),
            format_func=lambda i: app_titles.get(i, str(i)),
            key="follow_up_app_survey",
        )
        try:
            results = state_surveys.results(app_survey)
        except state.DATABASE_ERRORS as exc:
            st.error(t("overview.database_error", reason=state.error_reason(exc)))
            st.stop()
        st.caption(
            t(
                "surveys.results.caption",
                respondents=fmt_int(results.respondents),
                minimum=results.min_group,
            )
        )
        role_names = {
            r: t(f"surveys.results.role.{r}")
            for r in ("librarian", "teacher", "principal", "pupil", "all")
        }
        likert_table = survey_svc.results_table(
            results.likert,
            lang,
            role_labels=role_names,
            all_schools=t("surveys.results.all_schools"),
            no_school=t("surveys.results.no_school"),
            suppressed=t("surveys.results.suppressed"),
        )
        if likert_table.empty:
            st.info(t("surveys.results.no_likert"))
        else:
            # questions and school names are user text: shown in the data grid as plain text
            st.dataframe(
                likert_table,
                hide_index=True,
                column_config={
                    "question": text(t("surveys.results.col.question"), width="large"),
                    "role": text(t("surveys.results.col.role")),
                    "school": text(t("surveys.results.col.school")),
                    "respondents": number(t("surveys.results.col.respondents"), format="localized"),
                    "mean": number(
                        t("surveys.results.col.mean"),
                        help=t("surveys.results.col.mean_help"),
                        format="localized",
                        step=0.01,
                    ),
                    "note": text(t("surveys.results.col.note")),
                },
                alt=t("surveys.results.table_alt"),
            )
        st.markdown(f"**{t('surveys.results.texts_heading')}**")
        if results.texts.empty:
            st.info(t("surveys.results.no_texts"))
        else:
            texts_shown = results.texts
            st.dataframe(
                pd.DataFrame(
                    {
                        "question": survey_svc.question_text(texts_shown, lang),
                        "role": texts_shown["respondent_role"].map(role_names),
                        "school": texts_shown["school_name"].fillna(t("surveys.results.no_school")),
                        "answer": texts_shown["text_value"],
                    }
                ),
                hide_index=True,
                column_config={
                    "question": text(t("surveys.results.col.question")),
                    "role": text(t("surveys.results.col.role")),
                    "school": text(t("surveys.results.col.school")),
                    "answer": text(t("surveys.results.col.answer"), width="large"),
                },
                alt=t("surveys.results.texts_alt"),
            )
        if results.hidden_texts:
            st.caption(
                t(
                    "surveys.results.hidden_texts",
                    count=fmt_int(results.hidden_texts),
                    minimum=results.min_group,
                )
            )
