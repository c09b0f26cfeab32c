"""The collections page (Samlingar) through the entrypoint: demo data and a small inventory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlmodel import Session, SQLModel
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from app.session import ROLES, SessionUser
from inventory import repository
from inventory.db import ENV_DATABASE_URL, make_engine
from inventory.models import CatalogueItem
from inventory.writes import add_all
from tests.app.conftest import ENTRYPOINT
from tests.inventory.factories import small_inventory

PAGE = "app/pages/collections.py"
TIMEOUT = 60
CONTAINERS = (
    "collections_size",
    "collections_currency",
    "collections_histogram",
    "collections_incomplete",
)


def open_page(
    role: str | None = None, lang: str | None = None, user: SessionUser | None = None
) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    if user is not None:
        at.session_state["user"] = user
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def charts(at: AppTest) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every chart's spec with its data sets (Streamlit sends the data beside the spec)."""
    result = []
    for chart in at.get("vega_lite_chart"):
        data = {
            d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
            for d in chart.proto.datasets
        }
        result.append((json.loads(chart.proto.spec), data))
    return result


def histogram(at: AppTest) -> tuple[str, pd.DataFrame]:
    """Title and bar data of the publication-year histogram."""
    for spec, data in charts(at):
        title = spec.get("title", "")
        if title.startswith(("Medier per utgivningsår", "Items per publication year")):
            bars = next(d for d in data.values() if "publication_year" in d.columns)
            return title, bars
    raise AssertionError("no histogram")


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Samlingar"
    assert any(info.value.startswith("Fiktiva exempeldata") for info in at.info)
    for key in CONTAINERS:
        assert at.get_by_key(key) is not None
    titles = [spec["title"] for spec, _ in charts(at)]
    assert len(titles) == 3
    assert titles[0].startswith("Medier per elev efter kategori")


def test_size_table_and_stacked_bars(demo_app):
    at = open_page()
    table = at.container(key="collections_size").dataframe[0].value
    year = at.selectbox(key="year_sv").value
    engine = make_engine(demo_app)
    with Session(engine) as session:
        libraries = repository.library_year_frame(session, years=[year], municipality="9901")
    engine.dispose()
    totals = table[table["category"] == "Alla fysiska medier"].set_index("library_name")
    assert len(totals) == len(libraries)
    for row in libraries.itertuples():
        expected = row.items / row.pupils_served
        assert totals.loc[row.library_name, "items_per_pupil"] == pytest.approx(expected)
    spec, data = charts(at)[0]
    assert spec["encoding"]["x"]["field"] == "items_per_pupil"
    assert spec["encoding"]["x"]["stack"] == "zero"
    bars = next(iter(data.values()))
    assert "E-böcker" not in set(bars["category_label"])  # licences are not stacked
    assert spec["encoding"]["color"]["scale"]["range"][0] == "#E69F00"  # Okabe-Ito


def test_library_choice_changes_the_histogram(demo_app):
    at = open_page()
    box = at.selectbox(key="collections_library")
    assert len(box.options) >= 2
    first_title, first = histogram(at)
    engine = make_engine(demo_app)
    with Session(engine) as session:
        items = repository.catalogue_items(session, library_ids=[box.value])
    engine.dispose()
    known = items[items["media_type"] != "e-book"]["publication_year"].dropna()
    assert int(first["items"].sum()) == len(known)
    first_library = box.value
    box.select_index(1).run()
    assert not at.exception
    assert at.selectbox(key="collections_library").value != first_library
    second_title, second = histogram(at)
    assert second_title != first_title
    assert box.options[1] in second_title  # the option label is the library name
    assert not first[["publication_year", "items"]].equals(second[["publication_year", "items"]])
    # the currency table lists the libraries with a catalogue as such
    currency = at.container(key="collections_currency").dataframe[0].value
    assert (currency["source"] == "Katalogexport").sum() == len(box.options)


def test_incomplete_section_agrees_with_the_catalogue(demo_app):
    at = open_page()
    engine = make_engine(demo_app)
    with Session(engine) as session:
        libraries = repository.libraries(session, municipality="9901")["library_id"]
        incomplete = repository.catalogue_items(session, libraries, incomplete_only=True)
    engine.dispose()
    section = at.container(key="collections_incomplete")
    if incomplete.empty:
        assert section.success
        assert "har utgivningsår och klassifikation" in section.success[0].value
        assert not at.get("download_button")
    else:
        assert len(section.dataframe[0].value) == min(len(incomplete), 1000)
        assert len(at.get("download_button")) == 1


def test_english_switch(demo_app):
    at = open_page(lang="en")
    assert at.title[0].value == "Collections"
    assert at.container(key="collections_size").header[0].value == (
        "Size and age by library and category"
    )
    title, _ = histogram(at)
    assert title.startswith("Items per publication year")


# --------------------------------------------------------------------------- small inventory


@pytest.fixture
def small_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """The hand-made inventory of tests/inventory/factories.py with an item catalogue for
    Ekbiblioteket: three complete items and three lacking a year or a classification."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        ids = small_inventory(session)
        add_all(
            session,
            CatalogueItem,
            [
                {"library_id": ids["ekbib"], "item_key": k, "title": title, "classification": c}
                | ({"publication_year": y} if y else {})
                for k, title, c, y in [
                    ("1", "Ett", "Hc", 2020),
                    ("2", "Två", "Hc", 2010),
                    ("3", "Tre", "Dk", 2001),
                    ("4", '=HYPERLINK("http://x")', None, 2015),
                    ("5", "Fem", "Hc", None),
                    ("6", "Sex", None, None),
                ]
            ],
        )
        session.commit()
    engine.dispose()
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield ids
    st.cache_data.clear()
    st.cache_resource.clear()


def test_incomplete_records_are_listed_with_a_download(small_app):
    at = open_page(user=SessionUser(username="reader", display_name="Reader", role="chef"))
    assert at.selectbox(key="municipality_sv").value == "9911"
    incomplete = at.container(key="collections_incomplete")
    rows = incomplete.dataframe[0].value
    assert rows["item_key"].tolist() == ["4", "5", "6"]
    assert rows["missing"].tolist() == [
        "Klassifikation",
        "Utgivningsår",
        "Utgivningsår och klassifikation",
    ]
    # shown as data, as written (the download defuses formulas; see the service tests)
    assert rows["title"].iloc[0] == '=HYPERLINK("http://x")'
    buttons = at.get("download_button")
    assert len(buttons) == 1 and buttons[0].proto.label == "Ladda ner listan (CSV)"
    # ages from the catalogue: 2024 − 2020/2010/2001/2015 = 4, 14, 23, 9 years
    currency = at.container(key="collections_currency").dataframe[0].value
    ek = currency.set_index("library_name").loc["Ekbiblioteket"]
    assert ek["dated_items"] == 4 and ek["undated_items"] == 2
    assert ek["share_older_than_good"] == pytest.approx(2 / 4 * 100)
    assert ek["share_older_than_acceptable"] == pytest.approx(1 / 4 * 100)
    title, bars = histogram(at)
    assert "Ekbiblioteket" in title
    assert sorted(bars["publication_year"]) == [2001, 2010, 2015, 2020]
