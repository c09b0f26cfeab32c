"""planning.export_csv: both dialects read back with the csv module and pandas."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from planning.cells import FORMULA_PREFIXES
from planning.export_csv import render_csv
from planning.summary import SummaryRequest, column_label
from tests.planning.test_summary import (
    DEMO_SCENARIOS,
    PAYLOADS,
    demo_database,
    demo_summary,
    payload_summary,
)

DIALECTS = {
    # dialect: (encoding, separator, decimal, line end)
    "excel": ("utf-8-sig", ";", ",", "\r\n"),
    "plain": ("utf-8", ",", ".", "\n"),
}


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("demo-csv"))


@pytest.fixture(scope="module")
def summary(demo_url):
    return demo_summary(
        demo_url, SummaryRequest("9901", 2025, "municipality", DEMO_SCENARIOS, "sv")
    )


def _number(text: str, decimal: str) -> float:
    return float(text.replace(decimal, "."))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_csv_round_trip(summary, dialect):
    encoding, separator, decimal, line_end = DIALECTS[dialect]
    data = render_csv(summary, dialect)
    assert data.startswith(b"\xef\xbb\xbf") == (dialect == "excel")
    text = data.decode(encoding)
    assert text.count(line_end) == len(summary.schools) + 1
    if dialect == "plain":
        assert "\r" not in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    columns = list(summary.schools.columns)
    assert rows[0] == [column_label(c, "sv", summary.scenarios) for c in columns]
    assert len(rows) == 1 + len(summary.schools)
    for record, row in zip(summary.schools.to_dict(orient="records"), rows[1:], strict=True):
        for column, field in zip(columns, row, strict=True):
            expected = record[column]
            if (
                expected is None
                or expected is pd.NA
                or (isinstance(expected, float) and math.isnan(expected))
            ):
                assert field == "", column
            elif isinstance(expected, str):
                assert field == expected, column
            else:
                # no thousands separator, the dialect's decimal mark, 4 decimals at most
                assert " " not in field and "\xa0" not in field
                other = "." if decimal == "," else ","
                assert other not in field, (column, field)
                assert _number(field, decimal) == pytest.approx(round(float(expected), 4)), column
    # pandas reads the same numbers back
    frame = pd.read_csv(io.BytesIO(data), sep=separator, decimal=decimal, encoding=encoding)
    label = column_label("staffed_hours_per_100_pupils", "sv")
    assert frame[label].to_numpy() == pytest.approx(
        summary.schools["staffed_hours_per_100_pupils"].round(4).to_numpy(), nan_ok=True
    )
    assert frame[column_label("pupils", "sv")].sum() == summary.schools["pupils"].sum()


def test_swedish_dialect_writes_decimal_commas(summary):
    text = render_csv(summary, "excel").decode("utf-8-sig")
    row = text.splitlines()[1].split(";")
    per_100 = list(summary.schools.columns).index("staffed_hours_per_100_pupils")
    assert "," in row[per_100] and "." not in row[per_100]
    assert "Skolenhetskod;Skolenhet;Kommunkod" in text.splitlines()[0]


def test_english_headers(demo_url):
    english = demo_summary(demo_url, SummaryRequest("9902", 2025, lang="en"))
    header = render_csv(english, "plain").decode().splitlines()[0]
    assert header.startswith("School unit code,School unit,Municipality code")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_formula_payloads_neutralised_numbers_untouched(session, dialect):
    encoding, separator, decimal, _ = DIALECTS[dialect]
    summary = payload_summary(session)
    text = render_csv(summary, dialect).decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    fields = [field for row in rows for field in row]
    for field in fields:
        if field.startswith(FORMULA_PREFIXES):
            # only numbers may start like a formula: -1,5 (or -1.5) is a number
            assert _number(field, decimal) < 0, field
    assert "'" + PAYLOADS["school"] in fields and "'" + PAYLOADS["school2"] in fields
    assert "'" + PAYLOADS["library"] in fields
    assert f"'{PAYLOADS['scenario']}: ändring timmar/vecka" in rows[0]
    # the shared library loses 1.5 hours a week: written as the number -1,5 / -1.5
    change = rows[0].index(f"'{PAYLOADS['scenario']}: ändring timmar/vecka")
    assert sorted(row[change] for row in rows[1:]) == sorted(
        [f"-1{decimal}5", f"-1{decimal}5", f"5{decimal}0"]
    )


def test_unknown_dialect_is_refused(session):
    summary = payload_summary(session)
    with pytest.raises(ValueError, match="dialect must be one of"):
        render_csv(summary, "tsv")
