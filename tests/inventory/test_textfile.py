"""The shared delimited-text reader: what Swedish statistics files look like."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory.importers.problems import ImportRejectedError
from inventory.importers.textfile import formula_cells, parse_numbers, read_table

HEADER = "Skola;Kod;Elever;"
FILE = "\ufeffStatistik\n\nValt läsår: 2023/24\n\n" + HEADER + "\n"


def table(body: str, **kwargs):
    return read_table(FILE + body, file="t.csv", required=["Skola", "Kod"], **kwargs)


def codes(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(p.row, p.column, p.code) for p in exc.value.problems]


def test_preamble_trailing_separator_and_notes():
    result = table("A;1;10;\nB;2;1 018;\n\nNotering om data\nMer text\n", stop_at_short_rows=True)
    assert list(result.frame.columns) == ["Skola", "Kod", "Elever"]
    assert result.frame["Skola"].tolist() == ["A", "B"]
    assert result.line_numbers.tolist() == [6, 7]  # as a text editor numbers them
    assert result.header_line == 5 and result.separator == ";"
    assert result.preamble[2] == "Valt läsår: 2023/24"


def test_blank_line_inside_the_data_does_not_end_it():
    result = table("A;1;10;\n\nB;2;20;\nNotering\n", stop_at_short_rows=True)
    assert result.frame["Skola"].tolist() == ["A", "B"]
    assert result.line_numbers.tolist() == [6, 8]


def test_file_cut_inside_a_quoted_field_is_reported():
    with pytest.raises(ImportRejectedError) as caught:
        table('A;1;10;\n"Björk skolan;2;2', stop_at_short_rows=True)
    assert codes(caught) == [(7, None, "truncated")]


def test_wrong_field_count_names_the_line():
    with pytest.raises(ImportRejectedError) as caught:
        table("A;1;10;\nB;2\n")
    assert codes(caught) == [(7, None, "field_count")]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"   \n", "empty_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not_text"),
        (b"PK\x03\x04zipfile", "not_text"),
        (b"Skola;Kod\n", "no_rows"),
        (b"Namn;Annat\nx;y\n", "no_header"),
    ],
)
def test_whole_file_problems(data, code):
    with pytest.raises(ImportRejectedError) as caught:
        read_table(data, file="t.csv", required=["Skola", "Kod"])
    assert [p.code for p in caught.value.problems] == [code]


def test_windows_1252_is_decoded():
    data = "Skola;Kod\nÅsa skola;1\n".encode("cp1252")
    result = read_table(data, file="t.csv", required=["Skola", "Kod"])
    assert result.encoding == "cp1252" and result.frame["Skola"][0] == "Åsa skola"


def test_swedish_numbers_and_markers():
    values = pd.Series(["1 018", "2\u00a0500,5", "12,25", ".", "..", "", "tio", "-3", "7,5"])
    lines = np.arange(10, 19)
    numbers, suppressed, problems = parse_numbers(
        values, file="f", column="c", line_numbers=lines, minimum=0, markers=True
    )
    expected = [1018, 2500.5, 12.25, None, None, None, None, None, 7.5]
    assert [None if pd.isna(v) else v for v in numbers] == expected
    assert suppressed.tolist() == [False, False, False, False, True] + [False] * 4
    assert [(p.row, p.code) for p in problems] == [(16, "number"), (17, "non_negative")]


def test_integers_reject_fractions_and_ranges_name_bounds():
    values = pd.Series(["3", "3,5", "200"])
    _, _, problems = parse_numbers(
        values,
        file="f",
        column="h",
        line_numbers=np.array([2, 3, 4]),
        integer=True,
        minimum=0,
        maximum=168,
    )
    assert [(p.row, p.code, p.params) for p in problems] == [
        (3, "integer", {}),
        (4, "range", {"min": "0", "max": "168"}),
    ]


def test_formula_cells_but_not_negative_numbers():
    frame = pd.DataFrame({"a": ['=HYPERLINK("x")', "-3", "+SUM(A1)", "@SUM(A1)", "ok"]})
    problems = formula_cells(frame, file="f", line_numbers=np.arange(2, 7))
    assert [(p.row, p.value) for p in problems] == [
        (2, '=HYPERLINK("x")'),
        (4, "+SUM(A1)"),
        (5, "@SUM(A1)"),
    ]
