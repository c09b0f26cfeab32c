"""Every chart's "show as table" gives the chart's numbers, and its caption states the finding.

Pages draw their charts through :func:`app.components.accessible_chart.chart_with_table`. Each
test opens a page on the demo database (AppTest through the real entrypoint), switches a
chart's table on and checks the table against the data the chart was drawn from (Streamlit
sends it beside the spec) and against figures computed here from plain SQL; the caption must
carry the key number, formatted as the page formats it in Swedish.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from app.i18n import fmt_int, fmt_number, fmt_percent, t
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 90
CODE = "9901"  # Exempelkommun, the demo's default municipality
#: Pupils of a school unit in a year, as the inventory counts them (missing parts as 0).
PUPILS = (
    "COALESCE(y.pupils_preschool_class, 0) + COALESCE(y.pupils_grades_1_9, 0)"
    " + COALESCE(y.pupils_upper_secondary, 0)"
)
STAFF_HOURS = (
    "ly.hours_lis_librarian + ly.hours_teacher_librarian + ly.hours_assistant + ly.hours_other"
)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"app/pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def show_table(at: AppTest, key: str) -> pd.DataFrame:
    """Switch the chart's "show as table" on; the table it shows."""
    switch = at.toggle(key=f"{key}_as_table")
    assert switch.label == "Visa som tabell" and not switch.value  # off until asked for
    switch.set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    [table] = at.container(key=f"{key}_table").dataframe
    return table.value


def chart_data(
    at: AppTest, container: str, column: str | None = None
) -> tuple[dict, list[pd.DataFrame]]:
    """The spec and the data sets of the chart in ``container`` (the one whose data has
    ``column`` when the container holds several)."""
    found = []
    for element in at.container(key=container).get("vega_lite_chart"):
        data = [
            dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
            for d in element.proto.datasets
        ]
        if column is None or any(column in d.columns for d in data):
            found.append((json.loads(element.proto.spec), data))
    [chart] = found
    return chart


def captions(at: AppTest, container: str) -> str:
    return "\n".join(c.value for c in at.container(key=container).caption)


def query(url: str, sql: str, **params) -> pd.DataFrame:
    engine = make_engine(url)
    with engine.connect() as connection:
        frame = pd.read_sql(sa.text(sql), connection, params=params)
    engine.dispose()
    return frame


def served(url: str, year: int) -> pd.DataFrame:
    """Pupils each library serves in ``year``: the pupils of every school unit it serves."""
    return query(
        url,
        f"SELECT ls.library_id, SUM({PUPILS}) AS served FROM library_school ls"
        " JOIN school_year y ON y.school_id = ls.school_id AND y.year = :year"
        " GROUP BY ls.library_id",
        year=year,
    )


def staffed_per_100(url: str, years: list[int]) -> pd.DataFrame:
    """Staffed hours per week per 100 pupils served, per library of 9901 and year."""
    rows = []
    for year in years:
        hours = query(
            url,
            f"SELECT l.id AS library_id, l.name, ly.year, {STAFF_HOURS} AS hours"
            " FROM library_year ly JOIN library l ON l.id = ly.library_id"
            " JOIN municipality m ON m.id = l.municipality_id"
            " WHERE m.code = :code AND ly.year = :year",
            code=CODE,
            year=year,
        )
        rows.append(hours.merge(served(url, year), on="library_id", how="left"))
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[frame["hours"].notna() & (frame["served"] > 0)].copy()
    frame["value"] = frame["hours"] / frame["served"] * 100
    return frame


# --------------------------------------------------------------------------- action plans


def test_action_plan_status_table(demo_app: str) -> None:
    at = open_page("action_plans")
    year = at.selectbox(key="year_sv").value
    _, [drawn] = chart_data(at, "action_plans_status")
    table = show_table(at, "action_plans_status_chart")
    # the chart's rows and numbers
    assert list(table["status_label"]) == list(drawn["status_label"])
    assert list(table["schools"]) == list(drawn["schools"])
    assert table["share"].tolist() == pytest.approx((drawn["share"] * 100).tolist())

    schools = int(
        query(
            demo_app,
            "SELECT COUNT(*) AS n FROM school_year y JOIN school s ON s.id = y.school_id"
            " JOIN municipality m ON m.id = s.municipality_id WHERE m.code = :code"
            " AND y.year = :year",
            code=CODE,
            year=year,
        )["n"].iloc[0]
    )
    plans = query(
        demo_app,
        "SELECT p.kind, p.status, COUNT(*) AS n FROM action_plan p"
        " JOIN school s ON s.id = p.school_id JOIN municipality m ON m.id = s.municipality_id"
        " WHERE m.code = :code AND p.year = :year GROUP BY p.kind, p.status",
        code=CODE,
        year=year,
    )
    library = plans[plans["kind"] == "library_plan"].set_index("status")["n"]
    expected = {f"✅ {t('action_plans.status.adopted', lang='sv')}": library.get("adopted", 0)}
    expected[f"➖ {t('action_plans.status.not_recorded', lang='sv')}"] = schools - library.sum()
    rows = table[table["kind_label"] == "Biblioteksplan"].set_index("status_label")
    for label, n in expected.items():
        assert rows["schools"].get(label, 0) == n, label
    assert rows["schools"].sum() == schools
    assert (table["schools"] > 0).all()  # the bars drawn: no empty segments
    adopted = int(library.get("adopted", 0))
    assert f"biblioteksplan vid {adopted} av {schools} skolenheter" in captions(
        at, "action_plans_status"
    )


# --------------------------------------------------------------------------- collections


def test_collection_size_table(demo_app: str) -> None:
    at = open_page("collections")
    year = at.selectbox(key="year_sv").value
    _, data = chart_data(at, "collections_size", "category_label")
    [drawn] = [d for d in data if "category_label" in d.columns]
    table = show_table(at, "collections_size_chart")
    assert len(table) == len(drawn)
    assert table["items"].tolist() == drawn["items"].tolist()
    assert table["items_per_pupil"].tolist() == pytest.approx(drawn["items_per_pupil"].tolist())

    items = query(
        demo_app,
        "SELECT l.name AS library_name, c.category, c.library_id, c.items"
        " FROM collection_year c JOIN library l ON l.id = c.library_id"
        " JOIN municipality m ON m.id = l.municipality_id"
        " WHERE m.code = :code AND c.year = :year AND c.category <> 'e_books'"
        " AND c.items IS NOT NULL",
        code=CODE,
        year=year,
    ).merge(served(demo_app, year), on="library_id")
    items = items[items["served"] > 0]
    items["per_pupil"] = items["items"] / items["served"]
    labels = {c: t(f"collections.category.{c}", lang="sv") for c in items["category"].unique()}
    expected = {
        (row.library_name, labels[row.category]): row.per_pupil for row in items.itertuples()
    }
    shown = {
        (row.library_name, row.category_label): row.items_per_pupil for row in table.itertuples()
    }
    assert shown == pytest.approx(expected)
    totals = items.groupby("library_name")["per_pupil"].sum()
    caption = captions(at, "collections_size")
    assert f"till {fmt_number(totals.max(), 1, lang='sv')} ({totals.idxmax()})" in caption
    assert f"mellan de {len(totals)} biblioteken" in caption


def test_collection_age_table(demo_app: str) -> None:
    at = open_page("collections")
    year = at.selectbox(key="year_sv").value
    table = show_table(at, "collections_age_chart")
    _, data = chart_data(at, "collections_size", "median_collection_age")
    [bars] = [d for d in data if "median_collection_age" in d.columns]
    assert table["library_name"].tolist() == bars["library_name"].tolist()
    assert table["median_collection_age"].tolist() == bars["median_collection_age"].tolist()
    # the year minus the item-weighted lower median of the physical categories' median years
    rows = query(
        demo_app,
        "SELECT l.name AS library_name, c.items, c.median_publication_year AS median"
        " FROM collection_year c JOIN library l ON l.id = c.library_id"
        " JOIN municipality m ON m.id = l.municipality_id WHERE m.code = :code"
        " AND c.year = :year AND c.category <> 'e_books' AND c.items > 0"
        " AND c.median_publication_year IS NOT NULL",
        code=CODE,
        year=year,
    ).sort_values(["library_name", "median"])
    expected = {}
    for name, group in rows.groupby("library_name"):
        reached = group["items"].cumsum() >= group["items"].sum() / 2
        expected[name] = year - group.loc[reached, "median"].iloc[0]
    assert dict(zip(table["library_name"], table["median_collection_age"], strict=True)) == (
        pytest.approx(expected)
    )
    ages = table["median_collection_age"]
    caption = captions(at, "collections_size")
    assert f"{int((ages <= 10).sum())} av {len(ages)} bibliotek" in caption
    assert f"till {fmt_number(ages.max(), 0, lang='sv')} år" in caption


def test_publication_year_histogram_table(demo_app: str) -> None:
    at = open_page("collections")
    chosen = at.selectbox(key="collections_library").value
    table = show_table(at, "collections_histogram_chart")
    counts = query(
        demo_app,
        "SELECT publication_year, COUNT(*) AS items FROM catalogue_item"
        " WHERE library_id = :id AND publication_year IS NOT NULL AND media_type <> 'e-book'"
        " GROUP BY publication_year ORDER BY publication_year",
        id=int(chosen),
    )
    assert table["publication_year"].tolist() == counts["publication_year"].tolist()
    assert table["items"].tolist() == counts["items"].tolist()
    peak = counts.loc[counts["items"].idxmax()]
    assert (
        f"Flest medier är utgivna {int(peak['publication_year'])} "
        f"({fmt_int(peak['items'], lang='sv')} st)."
    ) in captions(at, "collections_histogram")


# --------------------------------------------------------------------------- comparison


def test_ranking_distribution_and_scatter_tables(demo_app: str) -> None:
    at = open_page("comparison")
    year = at.selectbox(key="year_sv").value
    values = staffed_per_100(demo_app, [year])
    by_name = values.set_index("name")["value"]

    ranking = show_table(at, "comparison_ranking_chart")
    spec, data = chart_data(at, "comparison_ranking")
    [bars] = [d for d in data if "staffed_hours_per_100_pupils" in d.columns]
    assert ranking["label"].tolist() == bars["label"].tolist()
    assert ranking["value"].tolist() == pytest.approx(bars["staffed_hours_per_100_pupils"].tolist())
    assert dict(zip(ranking["label"], ranking["value"], strict=True)) == pytest.approx(
        by_name.to_dict()
    )
    # place 1 is the most hours; tied libraries share the better place
    places = [int((by_name > by_name[name] + 1e-9).sum()) + 1 for name in ranking["label"]]
    assert ranking["rank"].tolist() == places
    assert ranking["pupils"].tolist() == pytest.approx(
        [values.set_index("name").loc[n, "served"] for n in ranking["label"]]
    )
    best = by_name.idxmax()
    caption = captions(at, "comparison_ranking")
    assert f"Bäst: {best} ({fmt_number(by_name.max(), 2, lang='sv')})" in caption
    assert f"{len(by_name)} bibliotek har ett värde" in caption

    scatter = show_table(at, "comparison_scatter_chart")
    assert dict(zip(scatter["label"], scatter["pupils"], strict=True)) == pytest.approx(
        values.set_index("name")["served"].to_dict()
    )
    r = np.corrcoef(values["served"], values["value"])[0, 1]
    assert f"r = {fmt_number(r, 2, lang='sv')} över {len(values)} bibliotek" in captions(
        at, "comparison_scatter"
    )

    distribution = show_table(at, "comparison_distribution_chart")
    schools = query(
        demo_app,
        f"SELECT s.name AS label, ls.library_id, {PUPILS} AS pupils FROM school s"
        " JOIN municipality m ON m.id = s.municipality_id"
        " JOIN school_year y ON y.school_id = s.id AND y.year = :year"
        " JOIN library_school ls ON ls.school_id = s.id WHERE m.code = :code",
        code=CODE,
        year=year,
    ).merge(values[["library_id", "value"]], on="library_id")
    schools = schools[schools["pupils"] > 0].sort_values("value", kind="stable")
    assert sorted(distribution["label"]) == sorted(schools["label"])
    assert distribution["value"].tolist() == pytest.approx(schools["value"].tolist())
    shown = dict(zip(distribution["label"], distribution["pupils"], strict=True))
    assert shown == dict(zip(schools["label"], schools["pupils"].astype(float), strict=True))
    # the pupil-weighted lower median: the smallest value with half of the pupils at or below
    share = schools["pupils"].cumsum() / schools["pupils"].sum()
    median = schools["value"][share >= 0.5].iloc[0]
    assert f"hälften av eleverna ett bibliotek med högst {fmt_number(median, 2, lang='sv')}" in (
        captions(at, "comparison_distribution")
    )
    assert spec["title"].startswith("Bemannade timmar per vecka per 100 elever")


def test_the_chosen_school_unit_is_named_and_marked_without_colour(demo_app: str) -> None:
    at = open_page("comparison")
    at.radio(key="comparison_unit_sv").set_value("school").run()
    assert not at.exception
    chosen = at.selectbox(key="comparison_school_sv").value
    table = show_table(at, "comparison_ranking_chart")
    spec, data = chart_data(at, "comparison_ranking")
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    # an outline, not only the orange fill, marks the chosen school unit's bar
    assert bars["encoding"]["strokeWidth"]["condition"]["value"] > 0
    assert bars["encoding"]["strokeWidth"]["value"] == 0
    [drawn] = [d for d in data if "highlighted" in d.columns]
    [label] = drawn.loc[drawn["highlighted"], "label"]
    row = table[table["label"] == label].iloc[0]
    caption = captions(at, "comparison_ranking")
    assert f"Den valda skolenheten {label}" in caption
    assert f"plats {int(row['rank'])} av {len(table)}" in caption
    # and a diamond, not only the orange colour, marks its point
    scatter, _ = chart_data(at, "comparison_scatter")
    points = next(layer for layer in scatter["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["shape"]["field"] == "highlighted"
    assert points["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond"]
    assert chosen in drawn.loc[drawn["highlighted"], "id"].tolist()


# --------------------------------------------------------------------------- follow-up


def test_trend_table_and_finding(demo_app: str) -> None:
    at = open_page("follow_up")
    table = show_table(at, "follow_up_trend_chart")
    years = sorted(query(demo_app, "SELECT DISTINCT year FROM library_year")["year"])
    values = staffed_per_100(demo_app, years)
    mean_label = t("follow_up.mean_series", lang="sv")
    libraries = table[table["series"] != mean_label]
    shown = {(r.series, r.year): r.value for r in libraries.itertuples()}
    assert shown == pytest.approx({(r.name, r.year): r.value for r in values.itertuples()})
    # the pupil-weighted mean: every pupil carries the value of the library serving it
    mean = values.groupby("year").apply(
        lambda g: (g["value"] * g["served"]).sum() / g["served"].sum(), include_groups=False
    )
    means = table[table["series"] == mean_label].set_index("year")["value"]
    assert means.to_dict() == pytest.approx(mean.to_dict())
    first, last = mean.index[0], mean.index[-1]
    assert (
        f"gick från {fmt_number(mean[first], 2, lang='sv')} ({first}) "
        f"till {fmt_number(mean[last], 2, lang='sv')} ({last})"
    ) in captions(at, "follow_up_trend")
    # many libraries: one colour for all lines, so colour tells nothing apart
    spec, _ = chart_data(at, "follow_up_trend")
    assert "field" not in spec["layer"][0]["encoding"]["color"]
    # a few libraries (the independent schools'): each line has a dash pattern of its own as
    # well as a colour, both in the legend
    at.multiselect(key="organiser_sv").select("independent").run()
    assert not at.exception
    spec, _ = chart_data(at, "follow_up_trend")
    lines = spec["layer"][0]["encoding"]
    assert lines["strokeDash"]["field"] == lines["color"]["field"] == "library_name"
    assert lines["strokeDash"]["scale"]["domain"] == lines["color"]["scale"]["domain"]
    dashes = [tuple(d) for d in lines["strokeDash"]["scale"]["range"]]
    assert len(set(dashes)) == len(dashes) == len(lines["color"]["scale"]["domain"]) > 1


def test_equity_table_and_finding(demo_app: str) -> None:
    at = open_page("follow_up")
    table = show_table(at, "follow_up_equity_chart").set_index("year")
    years = sorted(query(demo_app, "SELECT DISTINCT year FROM library_year")["year"])
    values = staffed_per_100(demo_app, years)
    for year, group in values.groupby("year"):
        x, w = group["value"].to_numpy(), group["served"].to_numpy(float)
        # pupil-weighted Gini by brute force over all pairs of libraries
        gini = (w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (
            2 * w.sum() ** 2 * np.average(x, weights=w)
        )
        assert table.loc[year, "gini"] == pytest.approx(gini), year
        assert table.loc[year, "n"] == len(group)
    _, data = chart_data(at, "follow_up_equity")
    [long] = data
    drawn = long[long["statistic"] == "gini"].set_index("year")["value"]
    assert table["gini"].to_dict() == pytest.approx(drawn.to_dict())
    first, last = table.index[0], table.index[-1]
    assert (
        f"Gini-koefficient: från {fmt_number(table.loc[first, 'gini'], 3, lang='sv')} ({first})"
        f" till {fmt_number(table.loc[last, 'gini'], 3, lang='sv')} ({last})"
    ) in captions(at, "follow_up_equity")


def test_resource_centre_table_and_finding(demo_app: str) -> None:
    at = open_page("follow_up")
    year = at.selectbox(key="year_sv").value
    table = show_table(at, "follow_up_centre_chart")
    rows = query(
        demo_app,
        "SELECT m.code, m.name, r.year, r.school_id IS NULL AS own, r.av_media_loans"
        " FROM resource_centre_year r JOIN municipality m ON m.id = r.municipality_id",
    )
    own = rows[rows["own"] == 1].groupby(["name", "year"])["av_media_loans"].sum(min_count=1)
    schools = rows[rows["own"] == 0].groupby(["name", "year"])["av_media_loans"].sum(min_count=1)
    # a municipality's own figure, else the sum of its school units' figures
    expected = own.combine_first(schools).dropna()
    shown = table.set_index(["municipality_name", "year"])["av_media_loans"]
    assert shown.to_dict() == pytest.approx(expected.to_dict())
    assert set(table.loc[table["selected"] == "Vald kommun", "municipality_name"]) == {
        "Exempelkommun"
    }
    that_year = expected.xs(year, level="year")
    value = that_year["Exempelkommun"]
    rank = int((that_year > value).sum()) + 1
    assert (
        f"Exempelkommun {year}: {fmt_int(value, lang='sv')}, plats {rank} av {len(that_year)}"
    ) in captions(at, "follow_up_resource_centre")


def test_likert_table_and_finding(demo_app: str) -> None:
    at = open_page("follow_up")
    question = at.selectbox(key="follow_up_question_sv").value
    table = show_table(at, "follow_up_likert_chart")
    answers = query(
        demo_app,
        "SELECT a.respondent_role, a.likert_value FROM survey_answer a"
        " JOIN school s ON s.id = a.school_id JOIN municipality m ON m.id = s.municipality_id"
        " WHERE a.question_id = :question AND m.code = :code AND a.likert_value IS NOT NULL",
        question=int(question),
        code=CODE,
    )
    everyone = t("follow_up.role.all", lang="sv")
    counts = answers["likert_value"].value_counts()
    rows = table[table["role"] == everyone]
    labels = [t(f"follow_up.likert.{v}", lang="sv") for v in range(1, 6)]
    assert rows["value_label"].tolist() == labels
    assert rows["count"].tolist() == [int(counts.get(v, 0)) for v in range(1, 6)]
    assert rows["share"].tolist() == pytest.approx(
        [counts.get(v, 0) / len(answers) * 100 for v in range(1, 6)]
    )
    for role, group in answers.groupby("respondent_role"):
        shown = table[table["role"] == t(f"follow_up.role.{role}", lang="sv")]
        # groups under three answers are not shown, so no one's answer can be read off
        assert shown["count"].sum() == (len(group) if len(group) >= 3 else 0), role
    agree = (answers["likert_value"] >= 4).mean()
    assert (
        f"Av alla {len(answers)} svar på frågan är {fmt_percent(agree, lang='sv')} 4 eller 5"
    ) in captions(at, "follow_up_surveys")


# --------------------------------------------------------------------------- findings, by hand


def test_findings_on_hand_made_frames() -> None:
    from app.services import access, collections, comparison, follow_up

    # two bars of 1.5 + 2.0 and 4.25 items per pupil
    bars = pd.DataFrame(
        {"library_name": ["A", "A", "B"], "items_per_pupil": [1.5, 2.0, 4.25], "items": [1] * 3}
    )
    assert collections.size_finding(bars, "sv") == (
        "Fysiska medier per elev varierar från 3,5 (A) till 4,3 (B) mellan de 2 biblioteken."
    )
    assert collections.size_finding(bars.iloc[:2], "en") == "A has 3.5 physical items per pupil."
    ages = pd.DataFrame({"library_name": ["A", "B", "C"], "median_collection_age": [4, 12, 16]})
    assert collections.age_finding(ages, 10, 15, "sv").endswith(
        "1 av 3 bibliotek har en medianålder på högst 10 år; 1 är äldre än 15 år."
    )

    two = pd.DataFrame({"id": ["1", "2"], "label": ["A", "B"], "pupils": [10.0, 20.0]})
    two["loans_per_pupil"] = [3.0, 4.0]
    text = comparison.scatter_finding(two, "loans_per_pupil", "pupils", "library", "sv")
    assert text.startswith("Sambandet mellan elevantal och utlån per elev kan inte beskrivas: 2")
    three = pd.concat([two, two.assign(id="3", label="C", pupils=30.0, loans_per_pupil=5.0)])
    three = three.drop_duplicates("id")
    # a straight line: r = 1
    text = comparison.scatter_finding(three, "loans_per_pupil", "pupils", "school", "sv", "3")
    assert "Ett starkt positivt samband" in text and "r = 1,00 över 3 skolenheter" in text
    assert text.endswith("Den valda skolenheten C (orange romb) har 5,0 vid elevantal 30.")

    answers = pd.DataFrame(
        {
            "respondent_role": ["all"] * 5,
            "likert_value": [1, 2, 3, 4, 5],
            "count": [1, 0, 1, 2, 4],
            "respondents": [8] * 5,
        }
    )
    assert follow_up.likert_finding(answers, "sv").startswith(
        "Av alla 8 svar på frågan är 75\xa0% 4 eller 5 (stämmer) och 13\xa0% 1 eller 2"
    )
    equity = pd.DataFrame(
        {
            "year": [2024, 2025],
            "gini": [0.2, 0.1],
            "mcloone": [np.nan, 0.9],
            "coefficient_of_variation": [np.nan, np.nan],
            "federal_range_ratio": [np.inf, np.inf],  # cannot be drawn: left out
            "n": [3, 3],
        }
    )
    assert follow_up.equity_finding(equity, "en") == (
        "Gini coefficient: from 0.200 (2024) to 0.100 (2025); McLoone index: 0.900 (2025)."
    )

    rows = pd.DataFrame(
        {
            "school_unit_code": ["1", "2", "3", None],
            "name": ["A", "B", "C", "L"],
            "value": [2.0, np.nan, 0.5, np.nan],
        }
    )
    text = access.map_finding(rows, "km", False, lambda v: f"{v:.1f}", "en")
    # lower is better: the weakest is the farthest
    assert text == (
        "2 school units on the map have a value for km. Weakest: A (2.0); strongest: C (0.5)."
        " 1 school units have no value (hollow circles)."
    )
