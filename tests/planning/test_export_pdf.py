"""planning.export_pdf: the summary as A4 PDF, read back with pypdf.

The summaries come from the demo database with two saved scenarios (built once per module on
SQLite: the renderer reads only the summary, never the database); the formula-like names come
from the payload inventory on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from app.i18n import fmt_int, fmt_number, fmt_percent
from planning.export_pdf import render_pdf
from planning.summary import OutcomesSection, SummaryRequest
from tests.planning.test_summary import (
    DEMO_SCENARIOS,
    PAYLOADS,
    demo_database,
    demo_summary,
    payload_summary,
)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(tmp_path_factory.mktemp("demo-pdf"))


@pytest.fixture(scope="module")
def county_sv(demo_url):
    # the county of Exempelkommun: Sjöby, Skogsvik and Åkerstad too
    return demo_summary(demo_url, SummaryRequest("9901", 2025, "county", DEMO_SCENARIOS, "sv"))


@pytest.fixture(scope="module")
def county_pdf(county_sv) -> PdfReader:
    return PdfReader(io.BytesIO(render_pdf(county_sv)))


def _text(reader: PdfReader) -> str:
    # pypdf gives the non-breaking space of "10 332" back as a plain space
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def _sv(value, decimals: int) -> str:
    return fmt_number(value, decimals, lang="sv").replace("\xa0", " ")


def test_pdf_is_a4_with_the_embedded_unicode_font(county_pdf):
    assert len(county_pdf.pages) >= 6
    for page in county_pdf.pages:
        box = page.mediabox
        # A4 is 210 x 297 mm = 595.28 x 841.89 pt
        assert float(box.width) == pytest.approx(595.28, abs=0.5)
        assert float(box.height) == pytest.approx(841.89, abs=0.5)
    fonts = {
        str(font["/BaseFont"])
        for page in county_pdf.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert fonts and all("DejaVuSans" in name for name in fonts)
    assert county_pdf.metadata.title.startswith("Skolbibliotek – planeringsunderlag")


def test_swedish_text_names_and_numbers(county_sv, county_pdf):
    text = _text(county_pdf)
    assert "Skolbibliotek – planeringsunderlag" in text
    assert "Län: Exempellän" in text
    for name in ("Exempelkommun", "Sjöby kommun", "Skogsvik kommun", "Åkerstad kommun"):
        assert name in text
    for character in ("Å", "ä", "ö", "≥", "–", "→"):
        assert character in text
    # counts with the Swedish thousands separator, as app.i18n formats them
    assert county_sv.counts.pupils >= 1000
    assert f"Elever {_sv(county_sv.counts.pupils, 0)}" in text
    assert fmt_percent(county_sv.counts.share_pupils_staffed, lang="sv") in text.replace(
        " %", "\xa0%"
    )
    # every key figure and its reference in Swedish format (decimal comma)
    for figure in county_sv.key_figures:
        assert _sv(figure.value, figure.decimals) in text, figure.name
        if figure.reference is not None:
            assert _sv(figure.reference, figure.decimals) in text, figure.name
    decimals = [f for f in county_sv.key_figures if f.decimals > 0 and f.value is not None]
    assert decimals and all("," in _sv(f.value, f.decimals) for f in decimals)
    # the scenarios with their cost change and summary in words
    for item in county_sv.scenarios:
        assert item.name in text
        assert _sv(item.hours_moved, 1) in text
    assert "Kostnaden ökar med" in text
    # the comments digest: counted by status, the hidden text never printed
    assert "Bra för Åkerby" in text and "DOLD TEXT" not in text
    assert "Dolda av moderator: 1" in text


def test_sections_come_in_order(county_pdf):
    lines = _text(county_pdf).splitlines()
    body = lines[lines.index("Översikt") :]  # after the title page's contents list
    headings = [
        "Nyckeltal mot referensvärden",
        "Likvärdighet i bemanning",
        "Skollagens krav och KB:s fungerande skolbibliotek",
        "Diagram",
        "Karta",
        "Skolenheter",
        "Scenarier före och efter",
        "Synpunkter",
        "Kommunerna i länet",
        "Metod, definitioner och källor",
        "Källor",
    ]
    # each heading is a line of its own, first met in this order
    positions = [body.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_every_school_unit_is_listed(county_sv, county_pdf):
    text = _text(county_pdf)
    names = county_sv.schools["school_name"]
    assert len(names) >= 50
    # long names may be cut with an ellipsis in the one-line table; the rest appear whole
    whole = [n for n in names if len(n) <= 18]
    assert whole and all(n in text for n in whole)


def test_charts_and_map_are_embedded_images(county_pdf):
    images = [image for page in county_pdf.pages for image in page.images]
    # staffing, checklist, scenarios, map
    assert len(images) >= 4
    assert all(image.image.size[0] > 300 for image in images)


def test_english_summary(demo_url):
    summary = demo_summary(demo_url, SummaryRequest("9904", 2025, "municipality", (), "en"))
    text = _text(PdfReader(io.BytesIO(render_pdf(summary))))
    assert "School libraries – planning summary" in text
    assert "Municipality: Åkerstad kommun" in text
    assert "No scenarios chosen." in text
    for figure in summary.key_figures:
        assert fmt_number(figure.value, figure.decimals, lang="en") in text
    assert f"Pupils {fmt_int(summary.counts.pupils, lang='en')}" in text
    assert "Nyckeltal" not in text


def test_outcomes_hook_is_rendered_only_when_present(county_sv):
    without = _text(PdfReader(io.BytesIO(render_pdf(county_sv))))
    outcomes = OutcomesSection(
        title="Resultat i årskurs 9",
        note="Andel elever med godkänt i alla ämnen.",
        table=pd.DataFrame({"Skolenhet": ["Kvarnskolan"], "Andel": [0.8125]}),
    )
    text = _text(
        PdfReader(io.BytesIO(render_pdf(dataclasses.replace(county_sv, outcomes=outcomes))))
    )
    assert "Resultat i årskurs 9" in text and "0,81" in text
    assert "Resultat i årskurs 9" not in without


def test_user_text_is_plain_text_never_a_link(session):
    summary = payload_summary(session)
    reader = PdfReader(io.BytesIO(render_pdf(summary)))
    text = _text(reader)
    for key in ("school", "school2", "scenario", "comment"):
        assert PAYLOADS[key] in text, key
    # the library name "-2+3" shows as written, not computed
    assert re.search(r"-2\+3", text)
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            assert "/URI" not in str(annotation.get_object().get("/A", {}))
