"""The scenarios page (Scenarier) through AppTest on the demo data, and its pure helpers."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.services.scenarios import change_kinds, manual_hours, params_from_inputs, ranking_frame
from app.session import ROLES
from inventory import db
from tests.app.conftest import ENTRYPOINT

TIMEOUT = 60
PAGE = "app/pages/scenarios.py"


def open_page(role: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button} | {b.key for b in at.get("form_submit_button")}


@pytest.fixture
def writable_demo(demo_database, tmp_path, monkeypatch):
    """A private copy of the demo database (the shared one is read-only)."""
    import streamlit as st

    source = demo_database.removeprefix("sqlite:///")
    target = tmp_path / "demo.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv(db.ENV_DATABASE_URL, url)
    monkeypatch.setenv("SKOLBIB_DEMO_USER", "projektledare")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Scenarier"
    assert at.container(key="scenarios_setup")
    assert at.button(key="scenarios_run")
    assert at.container(key="scenarios_saved")
    may_save = role in ("admin", "projektledare")
    texts = " ".join(i.value for i in at.info)
    assert ("kan se sparade scenarier" in texts) != may_save


def test_leader_runs_the_reallocation_and_saves(writable_demo):
    at = open_page("projektledare")
    assert at.radio(key="scenarios_model").value == "reallocate"
    at.button(key="scenarios_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    summary = at.container(key="scenarios_summary")
    text = summary.info[0].value
    assert "bibliotek får fler timmar" in text and "Gini-koefficienten går från" in text
    assert "Kostnaden är oförändrad" in text  # cost-neutral
    table = at.container(key="scenarios_table").dataframe[0].value
    assert table["hours_after"].sum() == pytest.approx(table["hours_before"].sum(), abs=1e-6)
    spec = at.container(key="scenarios_chart").get("vega_lite_chart")[0].proto.spec
    assert "per_100_after" in spec and "Bemannade timmar per vecka per 100 elever" in spec
    map_spec = at.container(key="scenarios_map").get("vega_lite_chart")[0].proto.spec
    assert '"longitude"' in map_spec and "change_label" in map_spec
    assert json.loads(map_spec)["title"] == "Ändrade timmar per bibliotek"
    assert "scenarios_save_button" in _buttons(at)

    at.text_input(key="scenarios_save_name").input("Plan A")
    at.get("form_submit_button")[0].click().run()  # the save form comes first
    assert not at.exception, [e.message for e in at.exception]
    assert any("Sparat: Plan A, version 1" in s.value for s in at.success)
    saved = at.container(key="scenarios_saved").dataframe[0].value
    assert saved["name"].tolist() == ["Plan A"]


def test_compare_two_saved_scenarios(writable_demo):
    at = open_page("projektledare")
    for name, model in (("Omfördelning", "reallocate"), ("Standard", "min-cost")):
        at.radio(key="scenarios_model").set_value(model).run()
        at.button(key="scenarios_run").click().run()
        at.text_input(key="scenarios_save_name").input(name)
        at.get("form_submit_button")[0].click().run()
        assert not at.exception, [e.message for e in at.exception]
    at.multiselect(key="scenarios_compare").select("Omfördelning").select("Standard").run()
    assert not at.exception, [e.message for e in at.exception]
    compared = at.container(key="scenarios_compare_result").dataframe[0].value
    assert compared["name"].tolist() == ["Omfördelning", "Standard"]
    assert compared.set_index("name").loc["Omfördelning", "cost_change_sek"] == pytest.approx(
        0, abs=1
    )
    assert compared.set_index("name").loc["Standard", "cost_change_sek"] > 0
    # a reference-group member sees the saved scenarios read-only
    ref = open_page("referensgrupp")
    assert ref.container(key="scenarios_saved").dataframe[0].value["name"].tolist() == [
        "Omfördelning",
        "Standard",
    ]
    assert not any(b.startswith("scenarios_copy") for b in _buttons(ref))


def test_reference_group_has_no_save_button(demo_app):
    at = open_page("referensgrupp")
    at.button(key="scenarios_run").click().run()
    assert not at.exception
    assert at.container(key="scenarios_summary")  # may run, may not save
    assert "scenarios_save_button" not in _buttons(at)


def test_manual_model_and_english(demo_app):
    at = open_page("projektledare", lang="en")
    assert at.title[0].value == "Scenarios"
    at.radio(key="scenarios_model").set_value("manual").run()
    assert not at.exception
    editor = at.container(key="scenarios_setup").dataframe
    assert len(editor) == 1 and "hours_after" in editor[0].value
    at.button(key="scenarios_run").click().run()
    assert "No library's hours change" in at.container(key="scenarios_summary").info[0].value


def test_params_from_inputs():
    values = {
        "objective": "target",
        "need_weighted": False,
        "block_hours": 0,
        "max_change_hours": 5,
        "hourly_cost_sek": 400,
        "standard": "user",
        "value": 4,
    }
    assert params_from_inputs("reallocate", values) == {
        "hourly_cost_sek": 400.0,
        "objective": "target",
        "need_weighted": False,
        "max_change_hours": 5.0,
    }
    assert params_from_inputs("min-cost", values) == {
        "hourly_cost_sek": 400.0,
        "standard": "user",
        "value": 4.0,
    }
    assert params_from_inputs("manual", {"hours": {"1": 3}})["hours"] == {"1": 3}
    with pytest.raises(ValueError):
        params_from_inputs("magic", {})


def test_manual_hours_keeps_only_changes():
    edited = pd.DataFrame(
        {"library_id": [1, 2, 3], "hours_before": [10.0, 5.0, 0.0], "hours_after": [10, 7, None]}
    )
    assert manual_hours(edited) == {"2": 7.0}


def test_ranking_frame():
    libraries = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4],
            "library_name": ["A", "B", "C", "D"],
            "pupils": [100, 100, 100, 0],
            "change_hours": [-1.0, 2.0, 0.0, 1.0],
            "per_100_before": [5.0, 1.0, 3.0, None],
            "per_100_after": [4.0, 3.0, 3.0, None],
        }
    )
    frame = ranking_frame(libraries)
    assert frame["library_name"].tolist() == ["A", "B", "C"]  # no pupils: left out
    assert frame["change"].tolist() == ["loss", "gain", "same"]
    assert frame["rank"].tolist() == [1, 2, 3]
    assert change_kinds(pd.Series([1e-7, -0.5, 3.0])) == ["same", "loss", "gain"]


def test_the_ranking_chart_has_its_finding_and_the_same_numbers_as_a_table(demo_app):
    at = open_page("projektledare")
    at.button(key="scenarios_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    result = at.container(key="scenarios_table").dataframe[0].value
    with_pupils = result[result["pupils"] > 0]
    gain = int((with_pupils["change_hours"] > 1e-6).sum())
    loss = int((with_pupils["change_hours"] < -1e-6).sum())
    caption = at.container(key="scenarios_chart").caption[0].value
    assert f"{gain} bibliotek får fler timmar, {loss} färre" in caption

    at.toggle(key="scenarios_ranking_as_table").set_value(True).run()
    table = at.container(key="scenarios_ranking_table").dataframe[0].value
    # the same libraries and values as the result table, highest hours per 100 after first
    assert sorted(table["library_name"]) == sorted(with_pupils["library_name"])
    assert list(table["per_100_after"]) == sorted(with_pupils["per_100_after"], reverse=True)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
