"""``skolbib metrics``: indicators and equity statistics checked against raw SQL."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import db
from inventory.demo import load_demo
from tests.inventory.factories import small_inventory


def _metrics(capsys, url: str, *args: str) -> dict:
    assert main(["metrics", "--json", "--database-url", url, *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_json_on_small_inventory(database_url, capsys):
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as session:
        ids = small_inventory(session)
    report = _metrics(capsys, database_url, "--year", "2024")
    assert report["year"] == 2024
    libraries = {lib["library_id"]: lib for lib in report["libraries"]}
    ek = libraries[ids["ekbib"]]
    # 20 staffed hours for 600 pupils; 10 LIS hours; 4000 physical items; 45000 SEK
    assert ek["staffed_hours_per_100_pupils"] == pytest.approx(20 / 6)
    assert ek["lis_share_of_staff_hours"] == pytest.approx(0.5)
    assert ek["items_per_pupil"] == pytest.approx(4000 / 600)
    assert ek["media_cost_sek_per_pupil"] == pytest.approx(75.0)
    assert ek["loans_per_pupil"] == pytest.approx(10.0)
    room = libraries[ids["bokrum"]]
    assert room["staffed_hours_per_100_pupils"] is None  # no hours recorded: missing, not 0
    staffed = report["equity"]["staffed_hours_per_100_pupils"]
    assert staffed["n"] == 1 and staffed["mean"] == pytest.approx(20 / 6)
    engine.dispose()


def test_metrics_json_on_demo_matches_sql(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    report = _metrics(capsys, url, "--municipality", "9901")
    assert report["year"] == 2025
    # independent: pupils served per library from the link table, hours from library_year
    with engine.connect() as connection:
        pupils = defaultdict(int)
        for library_id, fk, g19, gy in connection.execute(
            sa.text(
                "SELECT ls.library_id, sy.pupils_preschool_class, sy.pupils_grades_1_9,"
                " sy.pupils_upper_secondary FROM library_school ls"
                " JOIN school_year sy ON sy.school_id = ls.school_id AND sy.year = 2025"
                " JOIN library l ON l.id = ls.library_id"
                " JOIN municipality m ON m.id = l.municipality_id AND m.code = '9901'"
            )
        ):
            pupils[library_id] += (fk or 0) + (g19 or 0) + (gy or 0)
        hours = {}
        for library_id, *parts in connection.execute(
            sa.text(
                "SELECT library_id, hours_lis_librarian, hours_teacher_librarian, hours_assistant,"
                " hours_other FROM library_year WHERE year = 2025"
            )
        ):
            known = [p for p in parts if p is not None]
            if known:
                hours[library_id] = sum(known)
    engine.dispose()
    usable = [lib for lib in hours if lib in pupils and pupils[lib] > 0]
    assert {lib["library_id"] for lib in report["libraries"]} >= set(usable)
    # pupil-weighted mean of hours per 100 pupils = 100 * total hours / total pupils
    expected_mean = 100 * sum(hours[lib] for lib in usable) / sum(pupils[lib] for lib in usable)
    summary = report["equity"]["staffed_hours_per_100_pupils"]
    assert summary["mean"] == pytest.approx(expected_mean)
    assert summary["n"] == len([lib for lib in usable if hours[lib] >= 0])
    values = sorted(100 * hours[lib] / pupils[lib] for lib in usable)
    assert summary["min"] == pytest.approx(values[0])
    assert summary["max"] == pytest.approx(values[-1])


def test_metrics_plain_and_empty(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["init", "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["metrics", "--database-url", url]) == 0
    assert "Inga biblioteksuppgifter" in capsys.readouterr().out
    assert _metrics(capsys, url) == {"year": None, "libraries": [], "equity": {}}
