"""The skolbib command line: init, info, demo and bad database URLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import db
from tests.inventory.factories import small_inventory


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_schema_at_head(database_url, capsys):
    code, out, _ = run(capsys, "--database-url", database_url, "init")
    assert code == 0
    engine = db.make_engine(database_url)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"school", "library_year", "alembic_version"} <= tables
    engine.dispose()
    # a second init is harmless
    assert run(capsys, "--database-url", database_url, "init")[0] == 0


def test_info_json_counts_match_database(database_url, capsys):
    assert run(capsys, "--database-url", database_url, "init")[0] == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        small_inventory(session)
    code, out, _ = run(capsys, "--database-url", database_url, "info", "--json")
    assert code == 0
    info = json.loads(out)
    with engine.connect() as connection:

        def scalar(sql: str) -> int:
            return connection.execute(sa.text(sql)).scalar_one()

        assert info["municipalities"] == scalar("SELECT count(*) FROM municipality")
        assert info["schools"] == scalar("SELECT count(*) FROM school")
        assert info["libraries"] == scalar("SELECT count(*) FROM library")
        assert info["catalogue_items"] == scalar("SELECT count(*) FROM catalogue_item")
        rows = connection.execute(
            sa.text(
                "SELECT year, pupils_preschool_class, pupils_grades_1_9, pupils_upper_secondary"
                " FROM school_year"
            )
        ).all()
    engine.dispose()
    expected: dict[str, int] = {}
    for year, *parts in rows:
        expected[str(year)] = expected.get(str(year), 0) + sum(p or 0 for p in parts)
    assert info["pupils_by_year"] == expected
    assert info["years"] == sorted(int(y) for y in expected)
    assert info["years"] == [2023, 2024]


def test_info_plain_text(database_url, capsys):
    run(capsys, "init", "--database-url", database_url)  # the option after the subcommand
    code, out, _ = run(capsys, "info", "--database-url", database_url)
    assert code == 0
    assert "Skolenheter" in out and "0" in out


def test_info_on_empty_database_asks_for_init(tmp_path, capsys):
    code, _, err = run(capsys, "--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "info")
    assert code == 2
    assert "skolbib init" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("not a url", "ogiltig databas-URL"),
        ("nosuchdb+driver://user:hemligt@host/db", "ogiltig databas-URL"),
        ("postgresql+psycopg://anna:hemligt@127.0.0.1:1/skolbib", "kan inte ansluta"),
    ],
)
def test_bad_database_url_exits_2_with_one_masked_line(url, shown):
    env = {**os.environ, "SKOLBIB_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "init"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert shown in lines[0]
    assert "hemligt" not in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_is_installed():
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "skolbib"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "init" in result.stdout and "info" in result.stdout


def test_init_demo_then_demo_is_idempotent(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, _ = run(capsys, "init", "--demo", "--database-url", url)
    assert code == 0 and "Exempeldata inlästa" in out
    first = json.loads(run(capsys, "info", "--json", "--database-url", url)[1])
    code, out, _ = run(capsys, "demo", "--database-url", url)
    assert code == 0 and "finns redan" in out
    again = json.loads(run(capsys, "info", "--json", "--database-url", url)[1])
    assert again == first
    assert first["years"] == list(range(2019, 2026))
    assert first["schools"] >= 30 and first["catalogue_items"] >= 20_000
    assert set(first["pupils_by_year"]) == {str(y) for y in range(2019, 2026)}
