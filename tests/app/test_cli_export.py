"""``skolbib export summary`` on a small database after ``skolbib init`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import openpyxl
import pyogrio
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from app.cli import main
from inventory import db, writes
from inventory.models import User
from planning.scenario import run_scenario
from planning.scenario_store import save_scenario
from tests.inventory.factories import small_inventory
from tests.planning.test_summary import scenario_frame


@pytest.fixture
def small_db(database_url):
    assert main(["init", "--database-url", database_url]) == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        ids = small_inventory(session)
        users = [
            ("chef", "chef", True),
            ("ref", "referensgrupp", True),
            ("gammal", "chef", False),
            ("pl", "projektledare", True),
        ]
        for username, role, active in users:
            writes.add(
                session,
                User,
                {"username": username, "display_name": username, "role": role, "active": active},
            )
        session.commit()
        leader = session.exec(select(User).where(User.username == "pl")).one()
        run = run_scenario(scenario_frame(ids), "manual", {"hours": {str(ids["bokrum"]): 5}})
        save_scenario(session, leader, "Plan Å", run, 2024, "9911")
        session.commit()
    engine.dispose()
    return database_url


def _export(url, out, *extra: str) -> int:
    return main(
        ["export", "summary", "--database-url", url, "--out", str(out), "--municipality", "9911",
         *extra]
    )  # fmt: skip


def test_pdf_with_a_scenario(small_db, tmp_path, capsys):
    out = tmp_path / "underlag.pdf"
    capsys.readouterr()
    assert _export(small_db, out, "--format", "pdf", "--user", "chef", "--scenario", "Plan Å") == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"Skrev {out} (") and "Exempelby (9911), 2024." in printed
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Kommun: Exempelby" in text and "Plan Å" in text
    # 20 staffed hours for 600 pupils: 3,3 hours per 100 pupils, the Swedish way
    assert "3,3" in text


def test_workbook_in_english_for_the_county(small_db, tmp_path):
    out = tmp_path / "summary.xlsx"
    assert (
        _export(
            small_db,
            out,
            "--format",
            "xlsx",
            "--user",
            "chef",
            "--lang",
            "en",
            "--scope",
            "county",
            "--year",
            "2024",
        )  # fmt: skip
        == 0
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["Summary", "Per school"]
    assert "Municipalities" in book.sheetnames
    assert book["Summary"]["A2"].value == "Testlän, inventory year 2024"


@pytest.mark.parametrize(("dialect", "start"), [("excel", b"\xef\xbb\xbf"), ("plain", b"School")])
def test_csv_dialects(small_db, tmp_path, dialect, start):
    out = tmp_path / "skolor.csv"
    assert (
        _export(
            small_db, out, "--format", "csv", "--user", "chef", "--dialect", dialect, "--lang", "en"
        )  # fmt: skip
        == 0
    )
    data = out.read_bytes()
    assert data.startswith(start)
    # three school units and the header
    assert data.decode("utf-8-sig").count("\n") == 4


def test_gis_formats(small_db, tmp_path):
    gpkg, geojson = tmp_path / "skolor.gpkg", tmp_path / "skolor.geojson"
    assert _export(small_db, gpkg, "--format", "gpkg", "--user", "chef") == 0
    assert sorted(pyogrio.list_layers(gpkg)[:, 0]) == ["libraries", "schools"]
    assert pyogrio.read_info(gpkg, layer="schools")["crs"] == "EPSG:3006"
    assert _export(small_db, geojson, "--format", "geojson", "--user", "chef") == 0
    document = json.loads(geojson.read_text(encoding="utf-8"))
    # Ekskolan and Granskolan have coordinates, Almskolan has none
    schools = [f for f in document["features"] if f["properties"]["layer"] == "schools"]
    assert sorted(f["properties"]["school_name"] for f in schools) == ["Ekskolan", "Granskolan"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "ingen"), "kontot 'ingen' finns inte"),
        (("--user", "ref"), "kontot 'ref' (referensgrupp) får inte export.summary"),
        (("--user", "gammal"), "kontot 'gammal' är inaktiverat"),
        ((), "ange --user NAMN (eller SKOLBIB_USER)"),
        (("--user", "chef", "--scenario", "Plan Z"), "no saved scenario 'Plan Z'"),
        (("--user", "chef", "--year", "1999"), "no school facts for 1999"),
        (("--user", "chef", "--municipality", "0000"), "unknown municipality code '0000'"),
        (
            ("--user", "chef", *[a for n in "ABCDE" for a in ("--scenario", n)]),
            "högst 4 scenarier",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    small_db, tmp_path, capsys, monkeypatch, args, message
):
    monkeypatch.delenv("SKOLBIB_USER", raising=False)
    out = tmp_path / "underlag.pdf"
    capsys.readouterr()
    assert _export(small_db, out, "--format", "pdf", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("skolbib: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_missing_folder_exits_2(small_db, tmp_path, capsys):
    out = tmp_path / "finns-inte" / "underlag.pdf"
    assert _export(small_db, out, "--format", "pdf", "--user", "chef") == 2
    assert "finns inte" in capsys.readouterr().err
    assert not out.parent.exists()


def test_format_is_required(small_db, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _export(small_db, tmp_path / "x.pdf", "--user", "chef")
    assert exit_info.value.code == 2
    assert "--format" in capsys.readouterr().err


def test_user_from_the_environment(small_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SKOLBIB_USER", "chef")
    out = tmp_path / "underlag.geojson"
    assert _export(small_db, out, "--format", "geojson") == 0
    assert out.read_bytes().startswith(b'{"type": "FeatureCollection"')


def test_default_municipality_and_year(small_db, tmp_path, capsys):
    out = tmp_path / "underlag.xlsx"
    # no --municipality: the first code (no demo municipality 9901 here); no --year: the latest
    code = main(
        ["export", "summary", "--database-url", small_db, "--out", str(out), "--format", "xlsx",
         "--user", "chef"]
    )  # fmt: skip
    assert code == 0
    assert "Exempelby (9911), 2024." in capsys.readouterr().out
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    generated = [r for r in book["Sammanfattning"].iter_rows(values_only=True) if r[0] == "Skapad"]
    assert isinstance(generated[0][1], datetime)
    assert generated[0][1].year >= datetime.now(UTC).year - 1


def test_the_command_offers_exactly_the_formats_the_page_offers():
    from app import cli_export
    from app.services import reports

    assert list(cli_export.FORMATS) == list(reports.FORMATS)
