"""The manager summary's year-9 results section: present with results, absent without, rendered."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from app.services.reports import build_summary
from inventory import repository, writes
from inventory.demo import load_demo
from inventory.models import User
from metrics.indicators import library_indicators
from metrics.outcomes import association_summary
from planning.export_pdf import render_pdf
from planning.summary import SummaryRequest
from planning.summary_text import format_number
from tests.inventory.factories import small_inventory


def manager(session) -> User:
    user = writes.add(session, User, {"username": "chef1", "display_name": "Chef", "role": "chef"})
    session.commit()
    return user


@pytest.fixture
def demo(session):
    load_demo(session)
    return session


def test_with_results_the_summary_has_the_association_table(demo):
    session = demo
    year = max(repository.inventory_years(session))
    summary = build_summary(
        session, manager(session), SummaryRequest("9901", year, "municipality", (), "sv")
    )
    assert summary.outcomes is not None
    table = summary.outcomes.table
    # four library measures x three results
    assert len(table) == 12
    assert list(table.columns) == [
        "Biblioteksmått",
        "Resultat",
        "Skolenheter",
        "r (95 % intervall)",
        "r efter behovsjustering",
        "Utelämnade",
    ]
    # the same numbers as the analysis the Jämförelse page shows, formatted the Swedish way
    expected = association_summary(
        repository.school_results(session, years=[year], municipalities=["9901"]),
        repository.school_frame(session, years=[year], municipality=["9901"]),
        library_indicators(repository.library_year_frame(session, years=[year])),
    )
    first = expected.iloc[0]
    assert table.iloc[0, 2] == first["n_schools"]
    assert table.iloc[0, 3].startswith(format_number(first["r"], 2, "sv") + " (")
    assert "Skolverket" in summary.outcomes.note and "inte" in summary.outcomes.note

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(summary))).pages)
    assert "Elevresultat i årskurs 9 och skolbiblioteken" in text


def test_without_results_there_is_no_section(session):
    small_inventory(session)
    summary = build_summary(
        session, manager(session), SummaryRequest("9911", 2024, "municipality", (), "en")
    )
    assert summary.outcomes is None
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(summary))).pages)
    assert "Year-9 results" not in text
