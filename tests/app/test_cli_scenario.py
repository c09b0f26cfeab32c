"""``skolbib scenario run|list|show|compare`` on a small database built after ``skolbib init``."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from app.cli import main
from inventory import db, writes
from inventory.models import Scenario, User
from tests.helpers import database_fingerprint, table_counts
from tests.inventory.factories import small_inventory


@pytest.fixture
def small_db(database_url):
    assert main(["init", "--database-url", database_url]) == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        ids = small_inventory(session)
        writes.add(session, User, {"username": "cli", "display_name": "CLI",
                                   "role": "projektledare"})  # fmt: skip
        session.commit()
    engine.dispose()
    return database_url, ids


def _json(capsys, *args: str):
    code = main([*args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_run_json_manual(small_db, capsys):
    url, ids = small_db
    capsys.readouterr()
    hours = json.dumps({str(ids["ekbib"]): 30})
    report = _json(
        capsys,
        "scenario", "run", "--model", "manual", "--param", f"hours={hours}",
        "--year", "2024", "--municipality", "9911", "--json", "--database-url", url,
    )  # fmt: skip
    assert report["year"] == 2024 and report["status"] == "ok"
    # the book room has no staff hours recorded: left out, not counted as 0
    assert report["excluded_library_ids"] == [ids["bokrum"]]
    (ek,) = report["libraries"]
    assert ek["library_id"] == ids["ekbib"]
    assert ek["per_100_before"] == pytest.approx(20 / 6)
    assert ek["per_100_after"] == pytest.approx(30 / 6)
    # +10 h a week x 350 SEK x 40 weeks
    assert report["cost_change_sek"] == pytest.approx(140_000)
    assert report["objective"] is None  # NaN becomes null
    assert "1 av 1 bibliotek får fler timmar" in report["summary_sv"]
    assert report["saved"] is None


def test_run_json_reallocate_and_min_cost(small_db, capsys):
    url, ids = small_db
    capsys.readouterr()
    report = _json(
        capsys,
        "scenario", "run", "--model", "reallocate", "--param", "need_weighted=false",
        "--json", "--database-url", url,
    )  # fmt: skip
    assert report["year"] == 2024 and report["status"] == "optimal"
    assert report["params"] == {"need_weighted": False}
    assert report["numbers"]["hours_moved"] == pytest.approx(0, abs=1e-6)
    report = _json(
        capsys,
        "scenario", "run", "--model", "min-cost", "--param", "standard=user",
        "--param", "value=5", "--json", "--database-url", url,
    )  # fmt: skip
    # 5 h per 100 pupils for 600 pupils = 30 h: 10 more than the 20 recorded
    assert report["libraries"][0]["hours_after"] == pytest.approx(30)
    assert report["cost_change_sek"] == pytest.approx(10 * 350 * 40)


def test_save_list_show_compare(small_db, capsys):
    url, ids = small_db
    base = ["--database-url", url, "--user", "cli"]
    hours = json.dumps({str(ids["ekbib"]): 25})
    assert main(["scenario", "run", "--model", "manual", "--param", f"hours={hours}",
                 "--save", "Plan A", *base]) == 0  # fmt: skip
    assert "Sparat: Plan A version 1" in capsys.readouterr().out
    report = _json(capsys, "scenario", "run", "--model", "min-cost", "--save", "Plan A",
                   "--json", *base)  # fmt: skip
    assert report["saved"]["version"] == 2
    assert main(["scenario", "run", "--model", "reallocate", "--save", "Plan B", *base]) == 0
    capsys.readouterr()

    base = base[:2]  # reading needs no account
    listed = _json(capsys, "scenario", "list", "--json", *base)
    assert [(r["name"], r["version"]) for r in listed] == [
        ("Plan A", 1),
        ("Plan A", 2),
        ("Plan B", 1),
    ]
    engine = db.make_engine(url)
    with Session(engine) as session:
        (cli_user,) = session.exec(select(User).where(User.username == "cli")).all()
        assert cli_user.role == "projektledare"
    engine.dispose()
    assert {r["author_id"] for r in listed} == {cli_user.id}

    shown = _json(capsys, "scenario", "show", "Plan A", "--version", "1", "--json", *base)
    assert shown["model"] == "manual" and shown["version"] == 1
    assert shown["libraries"][0]["hours_after"] == 25
    assert shown["summary_en"].startswith("1 of 1 libraries gain hours")
    assert main(["scenario", "show", "Plan A", *base]) == 0
    assert "Plan A version 2 (min-cost" in capsys.readouterr().out

    table = _json(capsys, "scenario", "compare", "Plan A", "Plan B", "--json", *base)
    assert [r["name"] for r in table] == ["Plan A", "Plan B"]
    assert table[0]["cost_change_sek"] == 0  # Ekbiblioteket already has 20 h
    assert table[1]["hours_moved"] == pytest.approx(0, abs=1e-6)
    assert main(["scenario", "compare", "Plan A", "Plan B", *base]) == 0
    assert "Gini" in capsys.readouterr().out


def test_errors_exit_2_and_refused_user_writes_nothing(small_db, capsys):
    url, _ = small_db
    base = ["--database-url", url]
    assert main(["scenario", "run", "--model", "manual", "--param", "oops", *base]) == 2
    assert main(["scenario", "run", "--model", "reallocate", "--param", "bogus=1", *base]) == 2
    assert main(["scenario", "show", "nothing", *base]) == 2
    assert main(["scenario", "compare", "only-one", *base]) == 2
    engine = db.make_engine(url)
    with Session(engine) as session:
        writes.add(session, User, {"username": "ref", "display_name": "Ref",
                                   "role": "referensgrupp"})  # fmt: skip
        session.commit()
        before = database_fingerprint(session)
    capsys.readouterr()
    code = main(["scenario", "run", "--model", "reallocate", "--save", "X", "--user", "ref", *base])
    assert code == 2
    assert "scenario.create" in capsys.readouterr().err
    with Session(engine) as session:
        assert database_fingerprint(session) == before
        assert table_counts(session)["scenario"] == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("user", "message"),
    [
        (None, "ange --user"),
        ("nobody", "finns inte"),
        ("former", "inaktiverat"),
        ("manager", "får inte scenario.create"),
    ],
)
def test_saving_needs_an_active_account_allowed_to_create(small_db, capsys, user, message):
    url, _ = small_db
    engine = db.make_engine(url)
    with Session(engine) as session:
        writes.add(session, User, {"username": "former", "display_name": "F",
                                   "role": "projektledare", "active": False})  # fmt: skip
        writes.add(session, User, {"username": "manager", "display_name": "M", "role": "chef"})
        session.commit()
        before = database_fingerprint(session)
    capsys.readouterr()
    argv = ["scenario", "run", "--model", "reallocate", "--save", "X", "--database-url", url]
    assert main([*argv, *(["--user", user] if user else [])]) == 2
    assert message in capsys.readouterr().err
    with Session(engine) as session:
        assert database_fingerprint(session) == before
    engine.dispose()


def test_the_account_can_come_from_the_environment(small_db, capsys, monkeypatch):
    url, _ = small_db
    monkeypatch.setenv("SKOLBIB_USER", "cli")
    argv = ["scenario", "run", "--model", "reallocate", "--save", "Env", "--database-url", url]
    assert main(argv) == 0
    engine = db.make_engine(url)
    with Session(engine) as session:
        (author,) = session.exec(
            select(User.username).join(Scenario, Scenario.author_id == User.id)
        ).all()
    engine.dispose()
    assert author == "cli"
