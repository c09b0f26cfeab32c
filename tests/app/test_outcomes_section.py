"""The pupil-outcomes section of the comparison page (Jämförelse), through the real entrypoint.

The figures on the page are checked against the demo database read with plain SQL and the
statistics computed here independently: the pupil-weighted correlation as ``np.corrcoef`` on
``np.repeat``-expanded data, the need adjustment through the normal equations.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from app.services import outcomes as svc
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT, account

TIMEOUT = 90
PAGE = "app/pages/comparison.py"
YEAR = 2025  # the latest demo year, the page's default


def open_page(url: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(url, "pl", "projektledare")
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def section(at: AppTest):
    return at.container(key="comparison_outcomes")


def chart(at: AppTest, part: str) -> dict:
    charts = at.container(key=f"comparison_outcomes_{part}").get("vega_lite_chart")
    assert len(charts) == 1, part
    return json.loads(charts[0].proto.spec)


def point_data(at: AppTest, part: str) -> pd.DataFrame:
    """The school units drawn (Streamlit sends each layer's data beside the spec)."""
    [element] = at.container(key=f"comparison_outcomes_{part}").get("vega_lite_chart")
    name = point_layer(json.loads(element.proto.spec))["data"]["name"]
    [data] = [
        dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
        for d in element.proto.datasets
        if d.name == name
    ]
    return data


def point_layer(spec: dict) -> dict:
    return next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")


def captions(at: AppTest, part: str) -> list[str]:
    return [c.value for c in at.container(key=f"comparison_outcomes_{part}").caption]


def r_in(text: str) -> float:
    """The r printed in a finding ("r = 0,14 (95 % ...")."""
    return float(re.search(r"r = (-?\d+,\d+)", text).group(1).replace(",", "."))


def independent_points(url: str, code: str | None = "9901", year: int = YEAR) -> pd.DataFrame:
    """Per school unit with results: pupils, merit value, need inputs and the staffed hours per
    100 pupils of its library, read with plain SQL (the library's staff hours over the pupils
    of every school unit it serves)."""
    engine = make_engine(url)
    where = "AND m.code = :code" if code else ""
    with engine.connect() as connection:
        results = pd.read_sql(
            sa.text(
                "SELECT s.id AS school_id, s.school_unit_code, r.pupils, r.mean_merit_value,"
                " y.share_foreign_background AS fb, y.share_parents_post_secondary AS ps"
                " FROM school_result r JOIN school s ON s.id = r.school_id"
                " JOIN municipality m ON m.id = s.municipality_id"
                " JOIN school_year y ON y.school_id = s.id AND y.year = r.year"
                f" WHERE r.year = :year {where}"
            ),
            connection,
            params={"year": year, "code": code},
        )
        links = pd.read_sql(sa.text("SELECT school_id, library_id FROM library_school"), connection)
        served = pd.read_sql(
            sa.text(
                "SELECT ls.library_id, SUM(COALESCE(y.pupils_preschool_class, 0)"
                " + COALESCE(y.pupils_grades_1_9, 0) + COALESCE(y.pupils_upper_secondary, 0))"
                " AS served FROM library_school ls JOIN school_year y"
                " ON y.school_id = ls.school_id AND y.year = :year GROUP BY ls.library_id"
            ),
            connection,
            params={"year": year},
        )
        hours = pd.read_sql(
            sa.text(
                "SELECT library_id, hours_lis_librarian + hours_teacher_librarian"
                " + hours_assistant + hours_other AS hours FROM library_year WHERE year = :year"
            ),
            connection,
            params={"year": year},
        )
    engine.dispose()
    mine = links[links["school_id"].isin(results["school_id"])]
    assert not mine["school_id"].duplicated().any()  # one library each: no choice to make
    library = mine.merge(served, on="library_id").merge(hours, on="library_id")
    library["x"] = library["hours"] / library["served"] * 100
    return results.merge(library[["school_id", "x"]], on="school_id")


def expanded_r(x, y, w) -> float:
    w = np.asarray(w, dtype=int)
    return float(np.corrcoef(np.repeat(x, w), np.repeat(y, w))[0, 1])


def need_residual(frame: pd.DataFrame) -> np.ndarray:
    design = np.column_stack([np.ones(len(frame)), frame["fb"], frame["ps"]])
    w = frame["pupils"].to_numpy(float)
    y = frame["mean_merit_value"].to_numpy(float)
    beta = np.linalg.solve((design.T * w) @ design, (design.T * w) @ y)
    return y - design @ beta


# --------------------------------------------------------------------------- the section


def test_section_shows_both_charts_with_findings_that_match_the_data(demo_app):
    at = open_page(demo_app)
    part = section(at)
    assert part.header[0].value == "Elevresultat i årskurs 9 och skolbiblioteken"
    raw, adjusted = chart(at, "raw"), chart(at, "adjusted")
    for spec in (raw, adjusted):
        dots = point_layer(spec)
        assert dots["encoding"]["x"]["field"] == "staffed_hours_per_100_pupils"
        assert dots["encoding"]["y"]["field"] == "mean_merit_value"
        # the position relative to need is shape as well as colour
        assert dots["encoding"]["shape"]["field"] == dots["encoding"]["color"]["field"]
        marks = {layer["mark"]["type"] for layer in spec["layer"]}
        assert {"area", "line", "point"} <= marks  # band, fitted line, school units
    data = independent_points(demo_app)
    assert len(data) == 9  # Exempelkommun's school units with year 9
    # the chart's points are the school units, with their values
    values = point_data(at, "raw")
    assert sorted(values["mean_merit_value"].round(1)) == sorted(data["mean_merit_value"].round(1))
    assert sorted(values["staffed_hours_per_100_pupils"].round(6)) == sorted(data["x"].round(6))
    assert sorted(values["pupils"]) == sorted(data["pupils"])

    w = data["pupils"].to_numpy(float)
    expected = expanded_r(data["x"], data["mean_merit_value"], w)
    [finding] = captions(at, "raw")
    assert r_in(finding) == pytest.approx(expected, abs=0.005)
    assert "9 skolenheter med" in finding and "95 % intervall" in finding
    adjusted_expected = expanded_r(data["x"], need_residual(data), w)
    [adjusted_finding] = captions(at, "adjusted")
    assert adjusted_finding.startswith("Efter justering för behov: ")
    assert r_in(adjusted_finding) == pytest.approx(adjusted_expected, abs=0.005)

    # the coefficient table: every indicator, the same r for the chosen one
    table = part.dataframe[0].value
    assert len(table) == 18
    row = table[table["indicator"] == "Bemannade timmar per vecka per 100 elever"].iloc[0]
    assert float(row["r"].replace(",", ".")) == pytest.approx(expected, abs=0.005)
    assert row["n_schools"] == 9

    # the fixed text on what an association can and cannot show, and the source
    assert any("Det visar inte att biblioteket orsakar" in i.value for i in part.info)
    notes = [c.value for c in part.caption]
    assert any("påhittade exempeldata i Skolverkets format" in c for c in notes)
    assert not any(c.startswith("Källa: Skolverket") for c in notes)  # fictional data only


def test_show_as_table_gives_the_same_numbers(demo_app):
    at = open_page(demo_app)
    values = point_data(at, "raw")
    at.toggle(key="comparison_outcomes_raw_as_table").set_value(True).run()
    assert not at.exception
    table = at.container(key="comparison_outcomes_raw_table").dataframe[0].value
    assert len(table) == len(values)
    # the chart's numbers, point by point
    by_school = table.set_index("school")
    for label, merit, x in zip(
        values["label"],
        values["mean_merit_value"],
        values["staffed_hours_per_100_pupils"],
        strict=True,
    ):
        assert by_school.loc[label, "outcome"] == pytest.approx(merit)
        assert by_school.loc[label, "indicator"] == pytest.approx(x)
    # and plain SQL's
    data = independent_points(demo_app)
    assert sorted(table["outcome"].round(6)) == sorted(data["mean_merit_value"].round(6))
    assert sorted(table["indicator"].round(6)) == sorted(data["x"].round(6))
    assert sorted(table["pupils"]) == sorted(data["pupils"])
    assert set(table["position"]) <= {"över förväntan", "nära förväntan", "under förväntan"}
    assert captions(at, "raw")  # the finding stays under the chart
    # the chart stays above its table, and the adjusted chart is still drawn
    assert chart(at, "raw") and chart(at, "adjusted")


def test_outcome_indicator_and_scope_choices(demo_app):
    at = open_page(demo_app)
    at.selectbox(key="comparison_outcome_sv").select("share_all_subjects").run()
    assert not at.exception
    dots = point_layer(chart(at, "raw"))
    assert dots["encoding"]["y"]["field"] == "share_all_subjects"
    assert dots["encoding"]["y"]["axis"]["format"] == ".0%"
    # the page's indicator drives the x axis
    at.selectbox(key="comparison_indicator_sv").select("items_per_pupil").run()
    assert not at.exception
    assert point_layer(chart(at, "adjusted"))["encoding"]["x"]["field"] == "items_per_pupil"
    # every municipality: all 17 demo school units with year 9
    at.radio(key="comparison_outcomes_scope_sv").set_value("all").run()
    assert not at.exception
    [finding] = captions(at, "raw")
    assert "17 skolenheter" in finding
    table = section(at).dataframe[0].value
    assert (table["n_schools"] <= 17).all() and (table["n_schools"] == 17).any()


def test_above_and_below_need_beside_the_library(demo_app):
    at = open_page(demo_app)
    tables = section(at).dataframe
    assert len(tables) == 2  # coefficients, and the school units above / below need
    positions = tables[1].value
    data = independent_points(demo_app)
    residual = pd.Series(need_residual(data), index=data["school_unit_code"])
    w = data.set_index("school_unit_code")["pupils"].astype(float)
    z = residual / np.sqrt((w * residual**2).sum() / w.sum())
    engine = make_engine(demo_app)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT school_unit_code, name FROM school")).all()
    engine.dispose()
    names = dict(rows)
    above = {names[c] for c in z.index[z >= 1]}
    below = {names[c] for c in z.index[z <= -1]}
    shown = dict(zip(positions["school"], positions["position"], strict=True))
    assert {s for s, p in shown.items() if p == "över förväntan"} == above
    assert {s for s, p in shown.items() if p == "under förväntan"} == below
    assert above or below
    assert positions["library"].ne("–").all()


def test_small_and_suppressed_groups_are_left_out_and_counted(writable_demo_app):
    engine = make_engine(writable_demo_app)
    data = independent_points(writable_demo_app)
    first, second = data["school_id"].iloc[0], data["school_id"].iloc[1]
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE school_result SET pupils = NULL, mean_merit_value = NULL,"
                " share_all_subjects = NULL, share_eligible_vocational = NULL, suppressed = 1"
                " WHERE school_id = :id AND year = :year"
            ),
            {"id": int(first), "year": YEAR},
        )
        connection.execute(
            sa.text("UPDATE school_result SET pupils = 8 WHERE school_id = :id AND year = :year"),
            {"id": int(second), "year": YEAR},
        )
    engine.dispose()
    at = open_page(writable_demo_app)
    [finding] = captions(at, "raw")
    assert "7 skolenheter" in finding
    notes = [c.value for c in section(at).caption]
    assert (
        "2 skolenheter är inte med: 1 med sekretessmarkerade värden (..); "
        "1 med färre än 10 elever." in notes
    )
    kept = data.iloc[2:]
    expected = expanded_r(kept["x"], kept["mean_merit_value"], kept["pupils"])
    assert r_in(finding) == pytest.approx(expected, abs=0.005)


def test_no_results_for_the_year_says_how_to_import_them(writable_demo_app):
    engine = make_engine(writable_demo_app)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM school_result WHERE year = :year"), {"year": YEAR})
    engine.dispose()
    at = open_page(writable_demo_app)
    part = section(at)
    assert not part.get("vega_lite_chart")
    assert any("skolbib import results FIL" in i.value for i in part.info)
    assert any("2019/20" in c.value and "2024/25" in c.value for c in part.caption)


def test_real_data_cite_skolverket(writable_demo_app):
    engine = make_engine(writable_demo_app)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE municipality SET fictional = 0 WHERE code = '9901'"))
    engine.dispose()
    at = open_page(writable_demo_app)
    notes = [c.value for c in section(at).caption]
    assert any(
        c.startswith("Källa: Skolverket, Grundskola – Slutbetyg årskurs 9") and "2025/26" in c
        for c in notes
    )


def test_english(demo_app):
    at = open_page(demo_app, lang="en")
    part = section(at)
    assert part.header[0].value == "Year-9 outcomes and the school libraries"
    [finding] = captions(at, "raw")
    assert "association between staffed hours per week per 100 pupils" in finding
    assert "r = 0." in finding  # decimal point in English
    spec = chart(at, "raw")
    assert "locale" not in spec.get("config", {})


# --------------------------------------------------------------------------- the words


@pytest.mark.parametrize(
    ("r", "expected"),
    [(0.05, "none"), (-0.05, "none"), (0.2, "weak"), (-0.35, "moderate"), (0.7, "strong")],
)
def test_strength_words(r, expected):
    assert svc.strength(r) == expected


def test_finding_says_when_the_interval_excludes_zero():
    row = {
        "r": -0.62,
        "r_low": -0.81,
        "r_high": -0.3,
        "n_schools": 25,
        "pupils": 2400,
    }
    text = svc.finding(row, "loans_per_pupil", "share_all_subjects", "sv", adjusted=False)
    assert text.startswith("Ett starkt negativt samband mellan utlån per elev och andel med")
    assert "r = -0,62 (95 % intervall -0,81 till -0,30), 25 skolenheter med 2\xa0400 elever" in text
    assert text.endswith("Intervallet omfattar inte noll.")
    missing = {**row, "r": float("nan"), "n_schools": 3}
    assert "minst 5 behövs" in svc.finding(
        missing, "loans_per_pupil", "share_all_subjects", "sv", adjusted=False
    )
