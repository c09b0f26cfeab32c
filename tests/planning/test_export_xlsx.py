"""planning.export_xlsx: the workbook read back with openpyxl and as zipped XML."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from planning.cells import FORMULA_PREFIXES
from planning.export_xlsx import NUMBER_FORMATS, PERCENT_FORMAT, render_xlsx
from planning.summary import OutcomesSection, SummaryRequest, column_decimals, column_label
from tests.planning.test_summary import (
    DEMO_SCENARIOS,
    PAYLOADS,
    demo_database,
    demo_summary,
    payload_summary,
)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("demo-xlsx"))


@pytest.fixture(scope="module")
def summary(demo_url):
    return demo_summary(demo_url, SummaryRequest("9901", 2025, "county", DEMO_SCENARIOS, "sv"))


@pytest.fixture(scope="module")
def data(summary) -> bytes:
    return render_xlsx(summary)


@pytest.fixture(scope="module")
def book(data) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _find(sheet, label: str):
    """The cells of the first row whose first cell is ``label``."""
    for row in sheet.iter_rows():
        if row[0].value == label:
            return row
    raise AssertionError(f"no row {label!r} in {sheet.title}")


def test_sheets_in_order(book):
    assert book.sheetnames == [
        "Sammanfattning",
        "Per skola",
        "Per bibliotek",
        "Likvärdighet",
        "Checklista",
        "Synpunkter",
        "Kommuner",
        "Resultat",  # the demo has year-9 results
        "Definitioner",
    ]


def test_per_school_sheet_holds_the_table_as_numbers(summary, book):
    sheet = book["Per skola"]
    rows = _rows(sheet)
    header, body = rows[0], rows[1 : 1 + len(summary.schools)]
    columns = list(summary.schools.columns)
    assert header[: len(columns)] == [column_label(c, "sv", summary.scenarios) for c in columns]
    assert "Åtgärd omfördelning: timmar/vecka efter" in header
    assert len(body) == len(summary.schools) and len(rows) == 1 + len(summary.schools)
    cells = list(sheet.iter_rows(min_row=2, max_row=1 + len(summary.schools)))
    for record, values, row_cells in zip(
        summary.schools.to_dict(orient="records"), body, cells, strict=True
    ):
        for column, value, cell in zip(columns, values, row_cells, strict=False):
            expected = record[column]
            if (
                expected is None
                or expected is pd.NA
                or (isinstance(expected, float) and math.isnan(expected))
            ):
                assert value is None, (column, value)
            elif isinstance(expected, str):
                assert value == expected
                assert cell.data_type == "s"
            else:
                assert isinstance(value, int | float) and not isinstance(value, bool), column
                assert value == pytest.approx(float(expected)), column
                assert cell.number_format == NUMBER_FORMATS[column_decimals(column)], column
    per_100 = columns.index("staffed_hours_per_100_pupils")
    assert sheet.cell(row=2, column=per_100 + 1).number_format == "#,##0.00"
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref


def test_summary_sheet_counts_and_key_figures(summary, book):
    sheet = book["Sammanfattning"]
    assert sheet["A1"].value == "Skolbibliotek – planeringsunderlag"
    pupils = _find(sheet, "Elever")[1]
    assert pupils.value == summary.counts.pupils and pupils.number_format == "#,##0"
    share = _find(sheet, "Elever med bibliotek bemannat ≥ 20 h/vecka")[1]
    assert share.value == pytest.approx(summary.counts.share_pupils_staffed)
    assert share.number_format == PERCENT_FORMAT
    for figure in summary.key_figures:
        row = _find(sheet, figure.label)
        assert row[1].value == pytest.approx(figure.value)
        assert row[1].number_format == NUMBER_FORMATS[figure.decimals]
        if figure.reference is None:
            assert row[2].value is None and row[3].value is None
        else:
            assert row[2].value == pytest.approx(figure.reference)
            assert row[3].value == pytest.approx(figure.value - figure.reference)
    for item in summary.scenarios:
        row = _find(sheet, item.name)
        values = [cell.value for cell in row]
        assert values[1:3] == [item.key, item.version]
        assert values[-1] == pytest.approx(item.cost_change_sek)
        assert row[8].value == pytest.approx(item.gini_before)
        assert row[8].number_format == "#,##0.000"


def test_equity_checklist_comments_and_definitions(summary, book):
    equity = book["Likvärdighet"]
    for item in summary.equity.items:
        cell = _find(equity, item.label)[1]
        if math.isinf(item.value):
            assert cell.value == "∞"
        else:
            assert cell.value == pytest.approx(item.value)
            assert cell.number_format == NUMBER_FORMATS[item.decimals]
    checklist = book["Checklista"]
    for item in summary.checklist:
        row = _find(checklist, item.label)
        assert [row[1].value, row[2].value, row[3].value] == [
            item.schools_pass,
            item.schools,
            item.schools_unknown,
        ]
        assert row[5].value == pytest.approx(item.share_pupils_pass)
        assert row[5].number_format == PERCENT_FORMAT
    comments = book["Synpunkter"]
    assert _find(comments, "Öppen")[1].value == summary.comments.open
    assert _find(comments, "Dold")[1].value == 1
    everything = [v for sheet in book.worksheets for row in _rows(sheet) for v in row]
    assert "Bra för Åkerby" in everything
    assert not any(isinstance(v, str) and "DOLD TEXT" in v for v in everything)
    definitions = _rows(book["Definitioner"])
    terms = {row[0]: row[1] for row in definitions}
    assert terms["Elevviktat medelvärde"].startswith("Varje elev får värdet")
    urls = [r[2] for r in definitions if isinstance(r[2], str) and r[2].startswith("http")]
    assert any("kbdev.se" in url for url in urls)
    # links are text, not hyperlinks
    assert not book["Definitioner"]._hyperlinks


def test_county_sheet(summary, book):
    rows = _rows(book["Kommuner"])
    assert [r[1] for r in rows[1 : 1 + len(summary.county)]] == list(
        summary.county["municipality_name"]
    )
    assert rows[0][0] == "Kommunkod"


def test_native_charts_point_at_the_tables(summary, data, book):
    assert [len(book[name]._charts) for name in book.sheetnames] == [0, 1, 0, 1, 1, 0, 0, 0, 0]
    archive = zipfile.ZipFile(io.BytesIO(data))
    charts = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
    assert len(charts) == 3
    staffing = archive.read(charts[0]).decode()
    references = re.findall(r"<c:f>(.*?)</c:f>", staffing)
    last = 1 + len(summary.schools)
    columns = list(summary.schools.columns)

    def letter(column: str) -> str:
        return openpyxl.utils.get_column_letter(columns.index(column) + 1)

    # one series now plus one per scenario, school names as categories
    assert f"'Per skola'!${letter('school_name')}$2:${letter('school_name')}${last}" in references
    for column in ["staffed_hours_per_100_pupils", "s1_per_100_after", "s2_per_100_after"]:
        assert f"'Per skola'!${letter(column)}$2:${letter(column)}${last}" in references
    assert staffing.count("<c:ser>") == 3
    checklist = archive.read(charts[2]).decode()
    assert "Checklista" in "".join(re.findall(r"<c:f>(.*?)</c:f>", checklist))


def test_english_sheet_names(demo_url):
    english = demo_summary(demo_url, SummaryRequest("9904", 2025, lang="en"))
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(english)))
    assert book.sheetnames == [
        "Summary",
        "Per school",
        "Per library",
        "Equity",
        "Checklist",
        "Comments",
        "Outcomes",
        "Definitions",
    ]
    assert book["Summary"]["A2"].value == "Åkerstad kommun, inventory year 2025"


def test_outcomes_sheet_only_when_present(summary):
    outcomes = OutcomesSection(
        title="Resultat i årskurs 9",
        note="Meritvärde per skolenhet.",
        table=pd.DataFrame({"Skolenhet": ["Kvarnskolan"], "Meritvärde": [231.5]}),
    )
    book = openpyxl.load_workbook(
        io.BytesIO(render_xlsx(dataclasses.replace(summary, outcomes=outcomes)))
    )
    assert "Resultat" in book.sheetnames
    rows = _rows(book["Resultat"])
    assert rows[0][0] == "Resultat i årskurs 9" and rows[4][:2] == ["Kvarnskolan", 231.5]


def test_formula_payloads_are_neutralised(session):
    summary = payload_summary(session)
    data = render_xlsx(summary)
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_PREFIXES), (sheet.title, cell.value)
    for key in ("school", "school2", "library", "scenario", "comment", "tab"):
        assert "'" + PAYLOADS[key] in texts, key
    # negative numbers stay numbers: the shared library loses 1.5 hours a week
    changes = [
        cell.value
        for row in book["Per skola"].iter_rows(min_row=2)
        for cell in row
        if book["Per skola"].cell(row=1, column=cell.column).value
        == f"{PAYLOADS['scenario']}: ändring timmar/vecka".replace("@", "'@", 1)
    ]
    assert sorted(changes) == [-1.5, -1.5, 5.0]
    # no cell of any sheet is stored as a formula
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/sheet"):
            assert "<f>" not in archive.read(name).decode()
