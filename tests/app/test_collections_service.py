"""app.services.collections on small hand-made frames; expected values computed by hand."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from app.services import collections as svc

YEAR = 2024


def _libraries() -> pd.DataFrame:
    """Library-year rows as ``library_year_frame`` gives them (physical totals, no e-books)."""
    return pd.DataFrame(
        {
            "library_id": [1, 2],
            "library_name": ["Alfa", "Beta"],
            "year": [YEAR, YEAR],
            "pupils_served": pd.array([100, None], dtype="Int64"),
            "items": pd.array([900, 100], dtype="Int64"),
            "items_last_10_years": pd.array([450, 30], dtype="Int64"),
            "median_publication_year": [2015.0, 2010.0],
        }
    )


def _collections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_id": pd.array([1, 1, 1, 2, 3], dtype="Int64"),
            "library_name": ["Alfa", "Alfa", "Alfa", "Beta", "Gamma"],
            "municipality_code": ["9911"] * 5,
            "year": pd.array([YEAR] * 5, dtype="Int64"),
            "category": ["non_fiction", "e_books", "fiction", "fiction", "fiction"],
            "items": pd.array([300, 50, 600, 100, 70], dtype="Int64"),
            "items_last_10_years": pd.array([50, None, 400, 30, 7], dtype="Int64"),
            "median_publication_year": pd.array([2005, None, 2018, 2010, 2000], dtype="Int64"),
            "acquisitions": pd.array([None] * 5, dtype="Int64"),
            "weeded": pd.array([None] * 5, dtype="Int64"),
        }
    )


def test_category_table_per_category_and_total():
    table = svc.category_table(_collections(), _libraries())
    # Gamma (library 3) is not among the libraries shown
    assert set(table["library_name"]) == {"Alfa", "Beta"}
    alfa = table[table["library_name"] == "Alfa"]
    # category order, total last
    assert alfa["category"].tolist() == ["fiction", "non_fiction", "e_books", "total"]
    rows = alfa.set_index("category")
    assert rows.loc["fiction", "items_per_pupil"] == pytest.approx(600 / 100)
    assert rows.loc["fiction", "share_items_last_10_years"] == pytest.approx(400 / 600)
    assert rows.loc["fiction", "median_collection_age"] == YEAR - 2018
    assert rows.loc["non_fiction", "items_per_pupil"] == pytest.approx(3.0)
    assert rows.loc["non_fiction", "median_collection_age"] == YEAR - 2005
    assert rows.loc["e_books", "items_per_pupil"] == pytest.approx(0.5)
    assert pd.isna(rows.loc["e_books", "share_items_last_10_years"])
    assert pd.isna(rows.loc["e_books", "median_collection_age"])
    assert rows.loc["total", "items"] == 900
    assert rows.loc["total", "items_per_pupil"] == pytest.approx(9.0)
    assert rows.loc["total", "share_items_last_10_years"] == pytest.approx(0.5)
    assert rows.loc["total", "median_collection_age"] == YEAR - 2015
    beta = table[table["library_name"] == "Beta"].set_index("category")
    # no pupil count: nothing per pupil, but the age is known
    assert pd.isna(beta.loc["fiction", "items_per_pupil"])
    assert beta.loc["total", "median_collection_age"] == YEAR - 2010
    assert list(table.columns) == svc.CATEGORY_TABLE_COLUMNS


def test_category_table_empty():
    empty = svc.category_table(_collections().iloc[0:0], _libraries().iloc[0:0])
    assert empty.empty and list(empty.columns) == svc.CATEGORY_TABLE_COLUMNS


def test_chart_frame_keeps_physical_categories_with_a_value():
    bars = svc.chart_frame(svc.category_table(_collections(), _libraries()))
    # Alfa's fiction and non-fiction; e-books and totals dropped; Beta has no per-pupil value
    assert sorted(zip(bars["library_name"], bars["category"], strict=True)) == [
        ("Alfa", "fiction"),
        ("Alfa", "non_fiction"),
    ]
    assert bars.set_index("category").loc["non_fiction", "order"] == 1


def _year_counts() -> pd.DataFrame:
    """Catalogue counts of library 1: 2020 ×3 (two media types), 2013 ×2, 2008 ×4,
    one without a year, 2026 ×2 (after the inventory year) and 5 e-books from 2000."""
    return pd.DataFrame(
        {
            "library_id": pd.array([1, 1, 1, 1, 1, 1, 1], dtype="Int64"),
            "publication_year": pd.array([2008, 2013, 2020, 2020, 2026, 2000, None], dtype="Int64"),
            "media_type": ["bok", "bok", "bok", None, "bok", "E-bok", "bok"],
            "items": pd.array([4, 2, 2, 1, 2, 5, 1], dtype="Int64"),
        }
    )


def test_currency_table_from_catalogue_and_from_figures():
    table = svc.currency_table(_libraries(), _year_counts(), YEAR, good=10, acceptable=15)
    alfa = table.set_index("library_name").loc["Alfa"]
    assert alfa["source"] == "catalogue"
    # dated items up to 2024, e-books left out: 4 (2008) + 2 (2013) + 3 (2020)
    assert alfa["dated_items"] == 9
    assert alfa["undated_items"] == 1 and alfa["later_items"] == 2
    # ages 16, 11 and 4: older than 10 → 4 + 2, older than 15 → 4
    assert alfa["share_older_than_good"] == pytest.approx(6 / 9)
    assert alfa["share_older_than_acceptable"] == pytest.approx(4 / 9)
    # lower median of 2008×4, 2013×2, 2020×3: the 5th of 9 items is from 2013
    assert alfa["median_publication_year"] == 2013
    assert alfa["median_age"] == YEAR - 2013
    assert alfa["share_not_last_10_years"] == pytest.approx(1 - 450 / 900)
    beta = table.set_index("library_name").loc["Beta"]
    assert beta["source"] == "collection"
    assert pd.isna(beta["share_older_than_good"]) and pd.isna(beta["dated_items"])
    assert beta["median_publication_year"] == 2010 and beta["median_age"] == YEAR - 2010
    assert beta["share_not_last_10_years"] == pytest.approx(0.7)
    assert list(table.columns) == svc.CURRENCY_COLUMNS


def test_currency_counts_from_an_earlier_year():
    table = svc.currency_table(_libraries(), _year_counts(), 2015, good=10, acceptable=15)
    alfa = table.set_index("library_name").loc["Alfa"]
    # 2020 and 2026 are later than 2015; ages of 2008 and 2013 are 7 and 2
    assert alfa["dated_items"] == 6 and alfa["later_items"] == 5
    assert alfa["share_older_than_good"] == 0


def test_currency_thresholds_from_the_reference_table():
    assert svc.currency_thresholds() == (10.0, 15.0)
    custom = pd.DataFrame(
        {
            "key": ["median_age_good", "median_age_acceptable"],
            "value": [8.0, 12.0],
            "source": ["x", "y"],
        }
    )
    assert svc.currency_thresholds(custom) == (8.0, 12.0)


def test_publication_histogram_sums_media_types_and_drops_e_books():
    histogram = svc.publication_histogram(_year_counts(), 1)
    assert histogram["publication_year"].tolist() == [2008, 2013, 2020, 2026]
    assert histogram["items"].tolist() == [4, 2, 3, 2]
    assert svc.publication_histogram(_year_counts(), 99).empty


def test_libraries_with_catalogue():
    counts = pd.DataFrame({"library_id": [1, 2, 5], "items": [3, 0, 7]})
    assert svc.libraries_with_catalogue(counts, {1, 2, 3}) == [1]
    assert svc.libraries_with_catalogue(counts, {5, 1}) == [1, 5]


def _items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_id": [1, 1, 1, 1, 2],
            "library_name": ["Alfa", "Alfa", "Alfa", "Alfa", "Beta"],
            "item_key": ["A4", "A1", "A2", "A3", "B1"],
            "title": ["Fyra", "Ett", '=HYPERLINK("http://x")', "Tre", "+46 Ringer"],
            "classification_system": ["SAB", "SAB", "SAB", None, "DDC"],
            "classification": ["Hc", "Hc", " ", None, "-839"],
            "publication_year": pd.array([None, 2001, 1999, None, 2010], dtype="Int64"),
            "language": ["swe"] * 5,
            "media_type": ["bok"] * 5,
        }
    )


def test_incomplete_records_names_what_is_missing():
    rows = svc.incomplete_records(_items())
    assert rows["item_key"].tolist() == ["A2", "A3", "A4"]
    assert rows["missing"].tolist() == [
        "classification",  # blank
        "publication_year,classification",
        "publication_year",
    ]
    assert list(rows.columns) == svc.INCOMPLETE_COLUMNS


def test_formula_safe_prefixes_text_that_could_run():
    frame = pd.DataFrame(
        {
            "text": ["=SUM(A1)", "+1", "-x", "@cmd", "\tTab", "\rCR", "vanlig", None],
            "number": [-5, 1, 2, 3, 4, 5, 6, 7],
        }
    )
    safe = svc.formula_safe(frame)
    assert safe["text"].tolist()[:7] == [
        "'=SUM(A1)",
        "'+1",
        "'-x",
        "'@cmd",
        "'\tTab",
        "'\rCR",
        "vanlig",
    ]
    assert pd.isna(safe["text"].iloc[7])
    assert safe["number"].tolist() == frame["number"].tolist()  # numbers untouched
    assert frame["text"].iloc[0] == "=SUM(A1)"  # the input is not changed


def test_csv_bytes_are_formula_safe_and_readable():
    rows = svc.incomplete_records(_items())
    rows.loc[len(rows)] = ["Beta", "B9", "@risk", None, "-839", None, "swe", "bok", "x"]
    data = svc.csv_bytes(rows, {"title": "Titel", "classification": "Klassifikation"})
    assert data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    text = data.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:5] == ["library_name", "item_key", "Titel", "classification_system"] + [
        "Klassifikation"
    ]
    back = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    titles = dict(zip(back["item_key"], back["Titel"], strict=True))
    assert titles["A2"] == '\'=HYPERLINK("http://x")'
    assert titles["B9"] == "'@risk"
    assert titles["A3"] == "Tre"
    assert dict(zip(back["item_key"], back["Klassifikation"], strict=True))["B9"] == "'-839"
    # no cell of the file starts with a character a spreadsheet would evaluate
    for column in back.columns:
        assert not back[column].str.startswith(("=", "+", "-", "@", "\t", "\r")).any(), column
    assert np.array_equal(back["publication_year"].iloc[:3], ["1999", "", ""])
