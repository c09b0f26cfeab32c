"""The Rapporter page through AppTest on a copy of the demo data.

The download buttons hand Streamlit a callable that builds the file when clicked. AppTest does
not click downloads, so the tests keep the media file manager of the run and execute the
registered callables themselves: the bytes are exactly what a browser would receive.
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader
from sqlmodel import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from app.i18n import fmt_number
from app.services import reports as services
from inventory import db
from inventory.models import User
from inventory.repository import library_year_frame
from planning.scenario import build_input, run_scenario
from planning.scenario_store import save_scenario
from planning.summary import SummaryRequest
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/reports.py"
FORMATS = ("pdf", "xlsx", "csv", "gpkg", "geojson")


class RecordingManager(MediaFileManager):
    """A media file manager that remembers itself, so a test can run deferred downloads."""

    latest: RecordingManager | None = None

    def __init__(self, storage):
        super().__init__(storage)
        RecordingManager.latest = self


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)
    return RecordingManager


def _download(at: AppTest, fmt: str) -> bytes:
    """Run the callable behind a download button and return the file's bytes."""
    button = at.download_button(key=f"reports_download_{fmt}")
    manager = RecordingManager.latest
    url = manager.execute_deferred(button.proto.deferred_file_id)
    return manager._storage.get_file(url.rsplit("/", 1)[-1]).content


def _save_plan(url: str, name: str, code: str = "9901") -> None:
    engine = db.make_engine(url)
    with Session(engine) as session:
        leader = session.get(User, account(url, "pl", "projektledare").id)
        frame = build_input(library_year_frame(session, [2025], code), 2025, code)
        save_scenario(session, leader, name, run_scenario(frame, "reallocate"), 2025, code)
        session.commit()
    engine.dispose()


def open_page(url: str, username: str, role: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.session_state["user"] = account(url, username, role)
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_page_offers_every_format_without_building(writable_demo_app, recording):
    _save_plan(writable_demo_app, "Omfördelning 2025")
    _save_plan(writable_demo_app, "Sjöby plan", code="9902")
    at = open_page(writable_demo_app, "pl", "projektledare")
    assert at.title[0].value == "Rapporter"
    buttons = [at.download_button(key=f"reports_download_{fmt}") for fmt in FORMATS]
    assert [b.label for b in buttons] == ["PDF", "Excel", "CSV", "GeoPackage", "GeoJSON"]
    # a callable is registered for each, nothing is built yet
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons)
    registered = RecordingManager.latest._deferred_callables
    assert [registered[b.proto.deferred_file_id]["filename"] for b in buttons] == [
        f"planeringsunderlag_exempelkommun_2025.{ext}" for ext in FORMATS
    ]
    # Exempelkommun's scenarios only; the county view adds Sjöby's
    assert at.multiselect(key="reports_scenarios").options == ["Omfördelning 2025"]
    at.radio(key="reports_scope").set_value("county").run()
    assert not at.exception
    assert at.multiselect(key="reports_scenarios").options == ["Omfördelning 2025", "Sjöby plan"]
    members = [c.value for c in at.text if c.value.startswith("Länets kommuner")]
    assert members == ["Länets kommuner: Exempelkommun, Sjöby kommun, Skogsvik kommun, "
                       "Åkerstad kommun"]  # fmt: skip


def test_clicked_downloads_build_the_chosen_summary(writable_demo_app, recording):
    _save_plan(writable_demo_app, "Omfördelning 2025")
    at = open_page(writable_demo_app, "chef1", "chef")
    at.multiselect(key="reports_scenarios").set_value(["Omfördelning 2025"]).run()
    assert not at.exception
    pdf = PdfReader(io.BytesIO(_download(at, "pdf")))
    text = "\n".join(page.extract_text() for page in pdf.pages).replace("\xa0", " ")
    assert "Kommun: Exempelkommun" in text and "Omfördelning 2025" in text
    assert "Skapad" in text and "chef1" in text
    book = openpyxl.load_workbook(io.BytesIO(_download(at, "xlsx")))
    assert book.sheetnames[0] == "Sammanfattning"
    names = {row[0] for row in book["Sammanfattning"].iter_rows(values_only=True)}
    assert "Omfördelning 2025" in names
    csv = _download(at, "csv")
    assert csv.startswith(b"\xef\xbb\xbf") and b";" in csv.splitlines()[0]
    # the plain dialect and English, chosen on the page
    at.radio(key="reports_dialect").set_value("plain").run()
    at.radio(key="reports_language").set_value("en").run()
    assert not at.exception
    plain = _download(at, "csv").decode("utf-8")
    assert plain.startswith("School unit code,School unit,")
    assert _download(at, "gpkg").startswith(b"SQLite format 3")
    assert b'"FeatureCollection"' in _download(at, "geojson")


def test_english_page_and_summary(writable_demo_app, recording):
    at = open_page(writable_demo_app, "admin1", "admin", lang="en")
    assert at.title[0].value == "Reports"
    assert at.radio(key="reports_language").value == "en"
    button = at.download_button(key="reports_download_pdf")
    registered = RecordingManager.latest._deferred_callables[button.proto.deferred_file_id]
    assert registered["filename"] == "planning-summary_exempelkommun_2025.pdf"
    assert registered["mimetype"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(_download(at, "pdf"))).pages)
    assert "School libraries – planning summary" in text
    assert "No scenarios chosen." in text


def test_pupils_in_the_pdf_match_the_overview_format(writable_demo_app, recording):
    at = open_page(writable_demo_app, "pl", "projektledare")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(_download(at, "pdf"))).pages)
    engine = db.make_engine(writable_demo_app)
    with Session(engine) as session:
        from inventory.repository import school_frame

        pupils = school_frame(session, [2025], "9901")["pupils_total"].sum()
    engine.dispose()
    assert f"Elever {fmt_number(pupils, lang='sv')}".replace("\xa0", " ") in text.replace(
        "\xa0", " "
    )


# --------------------------------------------------------------------------- pure helpers


def test_file_names_are_ascii():
    request = SummaryRequest("9904", 2025)
    assert services.file_name(request, "Åkerstad kommun", 2025, "pdf") == (
        "planeringsunderlag_akerstad-kommun_2025.pdf"
    )
    english = SummaryRequest("9904", 2025, lang="en")
    assert services.file_name(english, "Exempellän", None, "gpkg") == (
        "planning-summary_exempellan.gpkg"
    )
    assert services.file_name(request, "§§", 2025, "csv") == "planeringsunderlag_omrade_2025.csv"


def test_scenario_choices_follow_the_latest_version_and_the_scope():
    table = pd.DataFrame(
        {
            "name": ["A", "A", "B", "C", "D"],
            "version": [1, 2, 1, 1, 1],
            "municipality_code": ["9901", "9902", "9901", None, "9903"],
        }
    )
    # A moved to 9902 in its latest version; C is for every municipality
    assert services.scenario_choices(table, ["9901"]) == ["B", "C"]
    assert services.scenario_choices(table, ["9901", "9902"]) == ["A", "B", "C"]
    assert services.scenario_choices(table.iloc[0:0], ["9901"]) == []


def test_scope_codes():
    municipalities = pd.DataFrame(
        {"code": ["0101", "0102", "0201"], "county_code": ["01", "01", "02"]}
    )
    assert services.scope_codes(municipalities, "0102", "municipality") == ["0102"]
    assert services.scope_codes(municipalities, "0102", "county") == ["0101", "0102"]
