"""The collection and coordination models on the Scenarier page (AppTest on the demo data),
checked against figures computed here from the demo database, and the page's pure helpers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.services.scenario_collection import (
    category_targets,
    csv_bytes,
    export_tables,
    params_from_inputs,
    weeding_table,
)
from inventory import db, repository
from planning.scenario import build_input, run_scenario
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/scenarios.py"
MUNICIPALITY = "9901"  # the demo's default municipality


def _open(url: str, model: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.session_state["user"] = account(url, "planerare", "projektledare")
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    at.radio(key="scenarios_model").set_value(model).run()
    assert not at.exception, [e.message for e in at.exception]
    at.button(key="scenarios_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _demo(url: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The scenario frame and the physical collection rows of the latest year."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        frame = repository.library_year_frame(session, municipality=MUNICIPALITY)
        year = int(frame["year"].max())
        collection = repository.collection_years(session, [year], MUNICIPALITY)
    engine.dispose()
    data = build_input(frame, year, MUNICIPALITY)
    physical = collection[
        collection["library_id"].isin(data["library_id"]) & (collection["category"] != "e_books")
    ]
    return data, physical, year


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.container(key="collection_models_kpis").metric}


def _number(text: str) -> float:
    return float(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))


def test_media_plan_on_the_demo(writable_demo_app):
    at = _open(writable_demo_app, "media-plan")
    summary = at.container(key="scenarios_summary").info[0].value
    assert summary.startswith("Med en mediebudget på sammanlagt")
    spec = json.loads(
        at.container(key="collection_models_timeline").get("vega_lite_chart")[0].proto.spec
    )
    assert "attainment_pct" in json.dumps(spec)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Måluppfyllelse (%)"
    table = at.container(key="collection_models_table").dataframe[0].value
    # today's attainment, from the demo's rows: the target (10 per pupil) is split like the
    # library's own holdings, so every category is at total / (10 pupils) for size; recent
    # items must be half of each category's target.
    data, physical, _ = _demo(writable_demo_app)
    pupils = data.set_index("library_name")["pupils"]
    expected = {}
    for name, rows in physical.merge(data[["library_id", "library_name"]]).groupby("library_name"):
        rows = rows[rows["items"] > 0]
        total = float(rows["items"].sum())
        target = 10 * pupils[name] * rows["items"] / total
        ratios = [total / (10 * pupils[name]), *(rows["items_last_10_years"] / (0.5 * target))]
        expected[name] = 100 * min(1.0, min(ratios))
    got = table.set_index("library_name")["attainment_before"].to_dict()
    assert got == pytest.approx(expected)
    # the plan's purchases fit the budget it shows
    budget = at.container(key="collection_models_budget").dataframe[0].value
    assert (budget["spent_sek"] <= budget["budget_sek"] + 1e-6).all()
    assert table["purchased_sek"].sum() == pytest.approx(budget["spent_sek"].sum())
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Ladda ned inköpsplanen (CSV)", "Ladda ned det som saknas efter planen (CSV)"]
    assert at.get("form_submit_button")  # the save form is there for a project leader


def test_transfers_on_the_demo(writable_demo_app):
    at = _open(writable_demo_app, "transfers")
    data, physical, _ = _demo(writable_demo_app)
    # without a radius every surplus can reach every deficit: per category the items moved
    # are min(total surplus, total deficit), the target 10 per pupil split like the holdings
    located = data[(data["pupils"] > 0) & data["x"].notna() & data["y"].notna()]
    rows = physical.merge(located[["library_id", "pupils"]], on="library_id")
    mix = rows.groupby("category")["items"].sum()
    moved = 0
    for category, part in rows.groupby("category"):
        if mix[category] <= 0:
            continue
        per_pupil = round(10 * mix[category] / mix.sum(), 2)
        diff = part["items"].astype(float) - per_pupil * part["pupils"]
        surplus = np.floor(diff[diff > 0] + 1e-9).sum()
        deficit = np.ceil(-diff[diff < 0] - 1e-9).sum()
        moved += min(surplus, deficit)
    assert _number(_metrics(at)["Medier som flyttas"]) == moved
    listed = at.container(key="collection_models_transfers").dataframe[0].value
    assert listed["items"].sum() == moved
    assert (listed["from"] != listed["to"]).all()
    spec = json.loads(
        at.container(key="collection_models_map").get("vega_lite_chart")[0].proto.spec
    )
    assert spec["title"] == "Överföringar mellan bibliotek"
    lines = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert {"longitude2", "latitude2", "strokeWidth"} <= set(lines["encoding"])
    item_km = (listed["items"] * listed["km"]).sum()
    assert _number(_metrics(at)["Mediekilometer"]) == pytest.approx(item_km, abs=0.5)


def test_clusters_on_the_demo_in_english(writable_demo_app):
    at = _open(writable_demo_app, "clusters", lang="en")
    summary = at.container(key="scenarios_summary").info[0].value
    data, _, _ = _demo(writable_demo_app)
    small = data[(data["pupils"] > 0) & (data["pupils"] < 300) & data["x"].notna()]
    assert summary.startswith(f"{len(small)} schools have too few pupils")
    table = at.container(key="collection_models_clusters").dataframe[0].value
    assert table["n_schools"].sum() == len(small)
    assert table["pupils"].sum() == small["pupils"].sum()
    assert (table["load_hours"] <= 40 + 1e-9).all()
    # the required hours: 40 x pupils / 300, at least 4 a week
    assert table["required_hours"].sum() == pytest.approx(
        np.maximum(4, 40 * small["pupils"] / 300).sum()
    )
    metrics = _metrics(at)
    assert _number(metrics["Librarian FTE"]) == len(table)
    spec = json.loads(
        at.container(key="collection_models_map").get("vega_lite_chart")[0].proto.spec
    )
    assert spec["title"] == "Groups of schools sharing a librarian"
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["geoshape", "rule", "circle", "square"]  # districts, links, schools, hubs
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the schools and their librarian (CSV)"
    ]


def test_a_transfer_plan_is_saved_like_any_scenario(writable_demo_app):
    at = _open(writable_demo_app, "transfers")
    at.text_input(key="scenarios_save_name").input("Flytta först")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Flytta först" in s.value for s in at.success)
    saved = at.container(key="scenarios_saved").dataframe[0].value
    row = saved[saved["name"] == "Flytta först"].iloc[0]
    assert row["model"] == "transfers" and row["solver_status"] == "optimal"


# --------------------------------------------------------------------------- pure helpers


def test_params_from_inputs():
    weeding = weeding_table("sv")
    weeding.loc[weeding["category"] == "fiction", "age"] = np.nan  # emptied: never weeded
    params = params_from_inputs(
        "media-plan",
        {
            "years": 3,
            "budget_sek": 1000,
            "unit_price_sek": 50,
            "target_items_per_pupil": 12,
            "recent_percent": 40,
            "weeding": weeding,
        },
    )
    assert params["target_recent_share"] == pytest.approx(0.4)
    assert params["weeding_age"]["fiction"] is None
    assert params["weeding_age"]["non_fiction"] == 10
    transfers = params_from_inputs(
        "transfers",
        {
            "targets": pd.DataFrame({"category": ["fiction"], "target": [4.5]}),
            "radius_km": 0,
            "unit_price_sek": 80,
        },
    )
    assert transfers == {"unit_price_sek": 80.0, "target_items_per_pupil": {"fiction": 4.5}}
    clusters = params_from_inputs(
        "clusters", {"pupils_per_librarian": 300, "max_schools": 0, "librarians": 3}
    )
    assert clusters == {"pupils_per_librarian": 300.0, "librarians": 3}
    with pytest.raises(ValueError):
        params_from_inputs("nonsense", {})


def test_category_targets_split_the_standard_like_the_holdings():
    # e-books and a library without pupils (or without coordinates) do not count
    collection = pd.DataFrame(
        {
            "library_id": [1, 1, 1, 2, 3],
            "category": ["fiction", "non_fiction", "e_books", "fiction", "fiction"],
            "items": [300, 100, 500, 900, 900],
        }
    )
    data = pd.DataFrame(
        {"library_id": [1, 2, 3], "pupils": [40.0, 0.0, 5.0], "x": [1.0, 1.0, None], "y": 1.0}
    )
    table = category_targets(collection, data, per_pupil=10, lang="en")
    assert table["category"].tolist() == ["fiction", "non_fiction"]
    assert table["label"].tolist() == ["Fiction", "Non-fiction"]
    assert table["current"].tolist() == [7.5, 2.5]
    assert table["target"].tolist() == [7.5, 2.5]


def test_csv_is_excel_swedish_and_formula_safe():
    frame = pd.DataFrame({"Bibliotek": ['=HYPERLINK("x")', "Ån"], "Km": [1.5, 10.0]})
    raw = csv_bytes(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    # ; between cells, decimal comma, CRLF; the formula gets an apostrophe (and CSV quoting)
    assert text.split("\r\n") == ["Bibliotek;Km", '"\'=HYPERLINK(""x"")";1,5', "Ån;10,0", ""]


def test_export_tables_name_libraries_and_categories():
    frame = pd.DataFrame(
        {
            "library_id": [1, 2],
            "library_name": ["-Norr", "Söder"],  # a name that looks like a formula
            "pupils": [10.0, 10.0],
            "staffed_hours_week": [1.0, 1.0],
            "x": [0.0, 1000.0],
            "y": [0.0, 0.0],
        }
    )
    collection = pd.DataFrame(
        {
            "library_id": [1, 2],
            "year": [2024, 2024],
            "category": ["fiction", "fiction"],
            "items": [30, 0],
            "items_last_10_years": [0, 0],
        }
    )
    run = run_scenario(frame, "transfers", {"target_items_per_pupil": 1}, collection=collection)
    tables = export_tables(run, "sv")
    transfers = tables["transfers"]
    assert transfers.to_dict(orient="records") == [
        {
            "Från id": 1,
            "Från bibliotek": "-Norr",
            "Till id": 2,
            "Till bibliotek": "Söder",
            "Kategori": "Skönlitteratur",
            "Antal medier": 10,
            "Avstånd (km fågelvägen)": 1.0,
        }
    ]
    text = csv_bytes(transfers).decode("utf-8-sig")
    assert "'-Norr" in text and "1;'-Norr;2;Söder;Skönlitteratur;10;1,0" in text
    assert math.isclose(run.numbers["item_km"], 10.0)


def test_the_timeline_table_has_the_charts_numbers(writable_demo_app):
    at = _open(writable_demo_app, "media-plan")
    box = at.container(key="collection_models_timeline")
    caption = box.caption[0].value
    table = at.container(key="collection_models_table").dataframe[0].value
    lowest_today = math.floor(table["attainment_before"].min() * 10 + 1e-9) / 10
    assert caption.startswith("Det bibliotek som ligger längst från målen går från ")
    assert f"{lowest_today:.1f}".replace(".", ",") in caption
    at.toggle(key="collection_models_timeline_chart_as_table").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = at.container(key="collection_models_timeline_chart_table").dataframe[0].value
    base = shown[shown["year"] == shown["year"].min()].set_index("library_name")
    assert base["attainment_pct"].to_dict() == pytest.approx(
        table.set_index("library_name")["attainment_before"].to_dict()
    )
    final = shown[shown["year"] == shown["year"].max()].set_index("library_name")
    assert final["attainment_pct"].to_dict() == pytest.approx(
        table.set_index("library_name")["attainment_after"].to_dict()
    )
