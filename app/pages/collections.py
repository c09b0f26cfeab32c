"""Samlingar / Collections: size, age and currency of the collections, and catalogue quality.

Layout and calls only: data comes from :mod:`app.state` and :mod:`app.state_collections`,
figures from :mod:`app.services.collections`.
"""

import altair as alt
import pandas as pd
import streamlit as st

from app import state, state_collections
from app.components.accessible_chart import chart_with_table
from app.components.page import start_page
from app.i18n import fmt_int, t
from app.services import collections as svc

page = start_page("collections")
lang, filters, municipality = page.lang, page.filters, page.municipality
code, year = filters.municipality, filters.year

try:
    library_years = state.library_year_frame(years=[year])
    libraries = library_years[library_years["municipality_code"] == code]
    if filters.narrowed():
        served = filters.library_ids(state.school_frame(years=[year], municipality=code))
        libraries = libraries[libraries["library_id"].isin(served)]
    collections = state_collections.collection_years(years=[year], municipality=code)
    catalogue_ids = svc.libraries_with_catalogue(
        state_collections.catalogue_item_counts(), set(libraries["library_id"].astype(int))
    )
    year_counts = state_collections.catalogue_year_counts(catalogue_ids)
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()

good, acceptable = svc.currency_thresholds()
names = dict(zip(libraries["library_id"].astype(int), libraries["library_name"], strict=True))
category_label = {c: t(f"collections.category.{c}") for c in (*svc.CATEGORIES, svc.TOTAL)}
number = st.column_config.NumberColumn
text = st.column_config.TextColumn

# --------------------------------------------------------------------------- size and age
with st.container(key="collections_size"):
    st.header(t("collections.size_heading"))
    table = svc.category_table(collections, libraries)
    if table.empty:
        st.info(t("collections.no_figures", year=year), icon=":material/info:")
    else:
        bars = svc.chart_frame(table)
        bars["category_label"] = bars["category"].map(category_label)
        physical = [c for c in svc.CATEGORIES if c in svc.PHYSICAL_CATEGORIES]
        colour = alt.Color(
            "category_label:N",
            title=t("collections.col.category"),
            legend=alt.Legend(orient="bottom", columns=3, labelLimit=240),
            scale=alt.Scale(
                domain=[category_label[c] for c in physical],
                range=[svc.CATEGORY_COLOURS[c] for c in physical],
            ),
            sort=[category_label[c] for c in physical],
        )
        stacked = (
            alt.Chart(bars)
            .mark_bar(stroke="white", strokeWidth=0.5)
            .encode(
                x=alt.X(
                    "items_per_pupil:Q",
                    stack="zero",
                    title=t("collections.axis.items_per_pupil"),
                ),
                y=alt.Y("library_name:N", sort="ascending", title=t("collections.axis.library")),
                color=colour,
                order=alt.Order("order:Q"),
                tooltip=[
                    alt.Tooltip("library_name:N", title=t("collections.col.library")),
                    alt.Tooltip("category_label:N", title=t("collections.col.category")),
                    alt.Tooltip("items:Q", title=t("collections.col.items"), format=",d"),
                    alt.Tooltip(
                        "items_per_pupil:Q",
                        title=t("collections.col.items_per_pupil"),
                        format=".1f",
                    ),
                ],
            )
            .properties(title=t("collections.size_chart_title", year=year))
        )
        chart_with_table(
            stacked,
            bars[["library_name", "category_label", "items", "items_per_pupil"]],
            key="collections_size_chart",
            alt_text=t("collections.size_chart_alt"),
            caption=f"{svc.size_finding(bars, lang)} {t('collections.size_chart_caption')}",
            column_config={
                "library_name": text(t("collections.col.library"), pinned=True),
                "category_label": text(t("collections.col.category")),
                "items": number(t("collections.col.items"), format="localized"),
                "items_per_pupil": number(
                    t("collections.col.items_per_pupil"), format="localized", step=0.01
                ),
            },
        )

        totals = table[table["category"] == svc.TOTAL].dropna(subset=["median_collection_age"])
        if not totals.empty:
            ages = (
                alt.Chart(totals)
                .mark_bar(color="#0072B2")
                .encode(
                    x=alt.X("median_collection_age:Q", title=t("collections.axis.median_age")),
                    y=alt.Y(
                        "library_name:N", sort="ascending", title=t("collections.axis.library")
                    ),
                    tooltip=[
                        alt.Tooltip("library_name:N", title=t("collections.col.library")),
                        alt.Tooltip(
                            "median_collection_age:Q",
                            title=t("collections.col.median_age"),
                            format=".0f",
                        ),
                        alt.Tooltip(
                            "median_publication_year:Q",
                            title=t("collections.col.median_year"),
                            format="d",
                        ),
                    ],
                )
            )
            limits = pd.DataFrame(
                {
                    "age": [good, acceptable],
                    "label": [
                        t("collections.limit_good", years=fmt_int(good)),
                        t("collections.limit_acceptable", years=fmt_int(acceptable)),
                    ],
                    "dash": ["solid", "dashed"],
                }
            )
            rules = (
                alt.Chart(limits)
                .mark_rule(color="#D55E00", strokeWidth=2)
                .encode(
                    x="age:Q",
                    strokeDash=alt.StrokeDash(
                        "label:N",
                        title=t("collections.legend.reference"),
                        scale=alt.Scale(range=[[1, 0], [6, 4]]),
                    ),
                )
            )
            age_chart = (ages + rules).properties(title=t("collections.age_chart_title", year=year))
            finding = svc.age_finding(totals, good, acceptable, lang)
            explained = t(
                "collections.age_chart_caption", good=fmt_int(good), acceptable=fmt_int(acceptable)
            )
            chart_with_table(
                age_chart,
                totals[["library_name", "median_collection_age", "median_publication_year"]],
                key="collections_age_chart",
                alt_text=t("collections.age_chart_alt"),
                caption=f"{finding} {explained}",
                column_config={
                    "library_name": text(t("collections.col.library"), pinned=True),
                    "median_collection_age": number(
                        t("collections.col.median_age"), format="localized"
                    ),
                    "median_publication_year": number(
                        t("collections.col.median_year"), format="plain"
                    ),
                },
            )

        shown = table.assign(
            category=table["category"].map(category_label),
            share_items_last_10_years=table["share_items_last_10_years"] * 100,
        ).drop(columns=["library_id"])
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "library_name": text(t("collections.col.library"), pinned=True),
                "category": text(t("collections.col.category")),
                "pupils_served": number(t("collections.col.pupils_served"), format="localized"),
                "items": number(t("collections.col.items"), format="localized"),
                "items_per_pupil": number(
                    t("collections.col.items_per_pupil"), format="localized", step=0.1
                ),
                "share_items_last_10_years": number(
                    t("collections.col.share_recent"),
                    help=t("collections.col.share_recent_help"),
                    format="localized",
                    step=0.1,
                ),
                "median_publication_year": number(t("collections.col.median_year"), format="plain"),
                "median_collection_age": number(
                    t("collections.col.median_age"),
                    help=t("collections.col.median_age_help"),
                    format="localized",
                ),
            },
            alt=t("collections.size_table_alt"),
        )
        st.caption(t("collections.size_table_caption"))

# --------------------------------------------------------------------------- currency
with st.container(key="collections_currency"):
    st.header(t("collections.currency_heading"))
    if libraries.empty:
        st.info(t("collections.no_libraries", year=year), icon=":material/info:")
    else:
        currency = svc.currency_table(libraries, year_counts, year, good, acceptable)
        shown = currency.assign(
            source=[t(f"collections.source.{s}") for s in currency["source"]],
            share_older_than_good=currency["share_older_than_good"] * 100,
            share_older_than_acceptable=currency["share_older_than_acceptable"] * 100,
            share_not_last_10_years=currency["share_not_last_10_years"] * 100,
        ).drop(columns=["library_id"])
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "library_name": text(t("collections.col.library"), pinned=True),
                "source": text(t("collections.col.source"), help=t("collections.col.source_help")),
                "dated_items": number(t("collections.col.dated_items"), format="localized"),
                "undated_items": number(t("collections.col.undated_items"), format="localized"),
                "later_items": number(
                    t("collections.col.later_items"),
                    help=t("collections.col.later_items_help", year=year),
                    format="localized",
                ),
                "median_publication_year": number(t("collections.col.median_year"), format="plain"),
                "median_age": number(t("collections.col.median_age"), format="localized"),
                "share_older_than_good": number(
                    t("collections.col.share_older", years=fmt_int(good)),
                    format="localized",
                    step=0.1,
                ),
                "share_older_than_acceptable": number(
                    t("collections.col.share_older", years=fmt_int(acceptable)),
                    format="localized",
                    step=0.1,
                ),
                "share_not_last_10_years": number(
                    t("collections.col.share_not_recent"),
                    help=t("collections.col.share_not_recent_help"),
                    format="localized",
                    step=0.1,
                ),
            },
            alt=t("collections.currency_table_alt"),
        )
        st.caption(
            t(
                "collections.currency_caption",
                good=fmt_int(good),
                acceptable=fmt_int(acceptable),
                year=year,
            )
        )

# --------------------------------------------------------------------------- histogram
with st.container(key="collections_histogram"):
    st.header(t("collections.histogram_heading"))
    if not catalogue_ids:
        st.info(t("collections.no_catalogue"), icon=":material/info:")
    else:
        chosen = st.selectbox(
            t("collections.library_choice"),
            catalogue_ids,
            format_func=lambda i: names.get(i, str(i)),
            key="collections_library",
        )
        histogram = svc.publication_histogram(year_counts, chosen)
        currency_row = svc.currency_table(
            libraries[libraries["library_id"] == chosen], year_counts, year, good, acceptable
        ).iloc[0]
        bars = (
            alt.Chart(histogram.assign(year_end=histogram["publication_year"] + 1))
            .mark_rect(color="#0072B2", stroke="white", strokeWidth=0.5)
            .encode(
                # one bar per year: from the year to the next, so the axis stays continuous
                x=alt.X(
                    "publication_year:Q",
                    title=t("collections.axis.publication_year"),
                    scale=alt.Scale(zero=False, nice=False),
                    axis=alt.Axis(format="d", tickMinStep=1),
                ),
                x2="year_end:Q",
                y=alt.Y("items:Q", title=t("collections.axis.items")),
                y2=alt.datum(0),
                tooltip=[
                    alt.Tooltip("publication_year:Q", title=t("collections.col.year"), format="d"),
                    alt.Tooltip("items:Q", title=t("collections.col.items"), format=",d"),
                ],
            )
        )
        limits = pd.DataFrame(
            {
                "year": [year - good, year - acceptable],
                "label": [
                    t("collections.limit_older", years=fmt_int(good)),
                    t("collections.limit_older", years=fmt_int(acceptable)),
                ],
            }
        )
        rules = (
            alt.Chart(limits)
            .mark_rule(color="#D55E00", strokeWidth=2)
            .encode(
                x="year:Q",
                strokeDash=alt.StrokeDash(
                    "label:N",
                    title=t("collections.legend.reference"),
                    scale=alt.Scale(range=[[1, 0], [6, 4]]),
                ),
            )
        )
        chart = (bars + rules).properties(
            title=t("collections.histogram_title", library=names.get(chosen, str(chosen)))
        )
        chart_with_table(
            chart,
            histogram,
            key="collections_histogram_chart",
            alt_text=t("collections.histogram_alt"),
            caption=svc.histogram_finding(histogram, currency_row, year, good, acceptable, lang),
            column_config={
                "publication_year": number(t("collections.col.year"), format="plain", pinned=True),
                "items": number(t("collections.col.items"), format="localized"),
            },
        )

# --------------------------------------------------------------------------- incomplete records
with st.container(key="collections_incomplete"):
    st.header(t("collections.incomplete_heading"))
    if not catalogue_ids:
        st.info(t("collections.no_catalogue"), icon=":material/info:")
    else:
        try:
            items = state_collections.incomplete_catalogue_items(catalogue_ids)
        except state.DATABASE_ERRORS as exc:
            st.error(t("overview.database_error", reason=state.error_reason(exc)))
            st.stop()
        incomplete = svc.incomplete_records(items)
        if incomplete.empty:
            st.success(t("collections.incomplete_none"), icon=":material/check_circle:")
        else:
            missing_label = {
                "publication_year": t("collections.missing.publication_year"),
                "classification": t("collections.missing.classification"),
                "publication_year,classification": t("collections.missing.both"),
            }
            listed = incomplete.assign(missing=incomplete["missing"].map(missing_label))
            headers = {
                "library_name": t("collections.col.library"),
                "item_key": t("collections.col.item_key"),
                "title": t("collections.col.title"),
                "classification_system": t("collections.col.classification_system"),
                "classification": t("collections.col.classification"),
                "publication_year": t("collections.col.publication_year"),
                "language": t("collections.col.language"),
                "media_type": t("collections.col.media_type"),
                "missing": t("collections.col.missing"),
            }
            st.dataframe(
                listed.head(svc.MAX_ROWS_SHOWN),
                hide_index=True,
                column_config={
                    **{c: text(label) for c, label in headers.items()},
                    "publication_year": number(headers["publication_year"], format="plain"),
                },
                alt=t("collections.incomplete_alt"),
            )
            st.caption(
                t(
                    "collections.incomplete_caption",
                    count=fmt_int(len(listed)),
                    shown=fmt_int(min(len(listed), svc.MAX_ROWS_SHOWN)),
                )
            )
            st.download_button(
                t("collections.download"),
                data=lambda: svc.csv_bytes(listed, headers),
                file_name=f"ofullstandiga_poster_{code}_{year}.csv",
                mime="text/csv",
                on_click="ignore",
                icon=":material/download:",
                key="collections_download",
            )
