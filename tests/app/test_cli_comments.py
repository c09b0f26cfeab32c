"""``skolbib comments list|export`` on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from app.cli_comments import printable
from inventory import db, writes
from inventory.models import Scenario, User
from planning import comments, lifecycle
from tests.inventory.factories import small_inventory

ESCAPE = "\x1b[31mröd\x1b[0m"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(database_url, capsys):
    """Plan v1 (open for comment) with three threads: one hidden, one with a reply."""
    assert run(capsys, "--database-url", database_url, "init")[0] == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        ids = small_inventory(session)
        users = {
            name: writes.add(
                session, User, {"username": name, "display_name": name.title(), "role": role}
            )
            for name, role in (
                ("pl", "projektledare"),
                ("ref", "referensgrupp"),
                ("chef", "chef"),
                ("gone", "referensgrupp"),
            )
        }
        users["gone"].active = False
        municipality = session.execute(
            sa.text("SELECT id FROM municipality WHERE code = '9911'")
        ).scalar_one()
        plan = writes.add(
            session,
            Scenario,
            {"name": "Plan", "model": "manual", "base_year": 2024, "municipality_id": municipality},
        )
        session.commit()
        today = lifecycle.local_today()
        lifecycle.open_for_comment(session, users["pl"], plan.id, today + timedelta(days=5))
        ref, leader = users["ref"], users["pl"]
        first = comments.add_comment(session, ref, plan.id, '=HYPERLINK("x")')
        second = comments.add_comment(session, ref, plan.id, ESCAPE, school_id=ids["gran"])
        hidden = comments.add_comment(session, ref, plan.id, "hemligt")
        reply = comments.add_comment(
            session, leader, plan.id, "Svar\npå två rader", reply_to_id=first.id
        )
        comments.hide(session, leader, hidden.id, "Personuppgifter")
        session.commit()
        made = {"first": first.id, "second": second.id, "hidden": hidden.id, "reply": reply.id}
    engine.dispose()
    return database_url, made


def test_list_json_as_reference_group_and_as_leader(filled, capsys):
    url, made = filled
    code, out, err = run(
        capsys,
        "comments",
        "list",
        "--scenario",
        "Plan",
        "--user",
        "ref",
        "--json",
        "--database-url",
        url,
    )
    assert code == 0, err
    threads = json.loads(out)
    assert [t["root"]["id"] for t in threads] == [made["first"], made["second"], made["hidden"]]
    first, second, hidden = threads
    assert first["status"] == "answered"
    assert [(r["id"], r["text"], r["author_role"]) for r in first["replies"]] == [
        (made["reply"], "Svar\npå två rader", "projektledare")
    ]
    assert second["root"]["text"] == ESCAPE and second["root"]["school_name"] == "Granskolan"
    assert hidden["root"]["text"] is None and hidden["root"]["hidden"] is True
    assert hidden["root"]["hidden_reason"] == "Personuppgifter"

    code, out, _ = run(
        capsys,
        "comments",
        "list",
        "--scenario",
        "Plan",
        "--user",
        "pl",
        "--json",
        "--database-url",
        url,
    )
    assert json.loads(out)[2]["root"]["text"] == "hemligt"  # moderators read hidden text


def test_list_text_escapes_control_characters(filled, capsys, monkeypatch):
    url, made = filled
    monkeypatch.setenv("SKOLBIB_USER", "chef")  # instead of --user
    code, out, _ = run(capsys, "comments", "list", "--scenario", "Plan", "--database-url", url)
    assert code == 0
    assert "\x1b" not in out
    assert "\\x1b[31mröd\\x1b[0m" in out
    assert f"#{made['first']} [answered] v1" in out
    assert "(dold av moderator: Personuppgifter)" in out and "hemligt" not in out
    assert "      Svar\n      på två rader" in out  # a reply, indented, both lines
    assert printable("a\u202eb\tc\nd") == "a\\u202eb\tc\nd"


def test_export_writes_excel_csv(filled, capsys, tmp_path):
    url, made = filled
    out_file = tmp_path / "synpunkter.csv"
    code, out, err = run(
        capsys,
        "comments",
        "export",
        "--scenario",
        "Plan",
        "--version",
        "1",
        "--user",
        "ref",
        "--out",
        str(out_file),
        "--database-url",
        url,
    )
    assert code == 0, err
    assert "4 rader" in out
    data = out_file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    by_id = {int(r[column["Nr"]]): r for r in body}
    assert set(by_id) == set(made.values())
    assert by_id[made["first"]][column["Synpunkt"]] == '\'=HYPERLINK("x")'
    assert by_id[made["reply"]][column["Synpunkt"]] == "Svar\npå två rader"
    assert by_id[made["hidden"]][column["Synpunkt"]] == ""
    assert by_id[made["reply"]][column["Svar på"]] == str(made["first"])


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "ange --user"),
        (["--user", "nobody"], "finns inte"),
        (["--user", "gone"], "inaktiverat"),
        (["--user", "ref", "--version", "9"], "no scenario Plan version 9"),
    ],
)
def test_bad_input_exits_2(filled, capsys, monkeypatch, args, message):
    monkeypatch.delenv("SKOLBIB_USER", raising=False)
    url, _ = filled
    code, out, err = run(
        capsys, "comments", "list", "--scenario", "Plan", *args, "--database-url", url
    )
    assert code == 2 and out == ""
    assert message in err and err.startswith("skolbib: ")


def test_export_to_an_unwritable_place_exits_2(filled, capsys, tmp_path):
    url, _ = filled
    target = tmp_path / "missing-folder" / "x.csv"
    code, _, err = run(
        capsys,
        "comments",
        "export",
        "--scenario",
        "Plan",
        "--user",
        "ref",
        "--out",
        str(target),
        "--database-url",
        url,
    )
    assert code == 2 and "kunde inte skriva" in err and not target.exists()
