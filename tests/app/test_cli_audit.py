"""``skolbib audit export``: files read back with the csv and json modules, refusals exit 2."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import db, writes
from inventory.models import AuditEntry, User

FORMULA_USER = "=cmd|' /C calc'!A0"
HEADER = [
    "at",
    "username",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "user_id",
    "id",
]


@pytest.fixture
def audited(database_url: str, capsys) -> str:
    """A database at head with accounts and five audit entries, two carrying formula text."""
    assert main(["--database-url", database_url, "init"]) == 0
    capsys.readouterr()
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        people = writes.add_all(
            session,
            User,
            [
                {"username": "admin", "display_name": "Admin", "role": "admin"},
                {"username": "gammal", "display_name": "G", "role": "admin", "active": False},
                {"username": "pl", "display_name": "PL", "role": "projektledare"},
                {"username": FORMULA_USER, "display_name": "F", "role": "projektledare"},
            ],
        )
        by_name = {p.username: p.id for p in people}
        entries = [
            (datetime(2025, 3, 1, 9, 0, tzinfo=UTC), "pl", "edit", "library_year", "4",
             "loans", "10", "-2+3"),
            (datetime(2025, 3, 2, 9, 0, tzinfo=UTC), FORMULA_USER, "edit", "action_plan", "9",
             "document_link", None, "@SUM(A1)"),
            (datetime(2025, 3, 3, 9, 0, tzinfo=UTC), "admin", "create", "app_user", "3",
             "role", None, "chef"),
            (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), "pl", "edit", "action_plan", "9",
             "status", "draft", "adopted; \"antagen\"\nrad två"),
            (datetime(2025, 7, 1, 9, 0, tzinfo=UTC), "pl", "answer", "survey", "2",
             None, None, None),
        ]  # fmt: skip
        writes.add_all(
            session,
            AuditEntry,
            [
                {
                    "at": at,
                    "user_id": by_name[username],
                    "username": username,
                    "action": action,
                    "entity": entity,
                    "entity_id": entity_id,
                    "field": field,
                    "old_value": old,
                    "new_value": new,
                }
                for at, username, action, entity, entity_id, field, old, new in entries
            ],
        )
        session.commit()
    engine.dispose()
    return database_url


def db_rows(url: str, where: str = "1 = 1") -> list[dict]:
    """The entries as plain SQL sees them, newest first."""
    engine = db.make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(f"SELECT * FROM audit_entry WHERE {where} ORDER BY at DESC, id DESC")
        ).mappings()
        result = [dict(r) for r in rows]
    engine.dispose()
    return result


def local(at: datetime | str) -> str:
    """What the export should say for a stored UTC time: Swedish time with its offset (plain
    SQL on SQLite gives the stored text, naive UTC)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo("Europe/Stockholm")).isoformat(timespec="seconds")


def export(capsys, url: str, out: Path, *args: str) -> tuple[int, str, str]:
    code = main(["audit", "export", "--database-url", url, "--out", str(out), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


def test_csv_export_round_trips_with_formulas_neutralised(audited, tmp_path, capsys):
    out = tmp_path / "logg.csv"
    code, stdout, _ = export(capsys, audited, out, "--user", "admin")
    assert code == 0
    assert "5 poster" in stdout
    table = read_csv(out)
    assert table[0] == HEADER
    expected = db_rows(audited)
    assert len(table) == 1 + len(expected)
    for line, row in zip(table[1:], expected, strict=True):
        record = dict(zip(HEADER, line, strict=True))
        assert record["at"] == local(row["at"])
        assert record["id"] == str(row["id"])
        assert record["user_id"] == str(row["user_id"])
        for name in ("username", "action", "entity", "entity_id", "field", "old_value"):
            value = row[name] or ""
            assert record[name] == ("'" + value if value[:1] in "=+-@" and value else value)
    by_id = {int(line[-1]): dict(zip(HEADER, line, strict=True)) for line in table[1:]}
    # the formulas are text now: a leading apostrophe, as Excel and LibreOffice show text
    formula = next(r for r in by_id.values() if r["field"] == "document_link")
    assert formula["username"] == "'" + FORMULA_USER
    assert formula["new_value"] == "'@SUM(A1)"
    assert next(r for r in by_id.values() if r["field"] == "loans")["new_value"] == "'-2+3"
    # a semicolon, quotes and a line break survive the round trip inside one cell
    status = next(r for r in by_id.values() if r["field"] == "status")
    assert status["new_value"] == 'adopted; "antagen"\nrad två'
    # no cell of the file starts like a formula
    assert not [c for line in table for c in line if c[:1] in ("=", "+", "-", "@")]


def test_json_export_and_filters(audited, tmp_path, capsys):
    out = tmp_path / "logg.json"
    code, _, _ = export(capsys, audited, out, "--user", "admin")  # format from the suffix
    assert code == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    expected = db_rows(audited)
    assert [r["id"] for r in records] == [row["id"] for row in expected]
    assert records[-1]["new_value"] == "-2+3"  # JSON keeps the values as they are
    assert records[0]["field"] is None and records[0]["at"] == local(expected[0]["at"])

    code, _, _ = export(
        capsys, audited, out, "--user", "admin", "--entity", "action_plan", "--format", "json"
    )
    assert code == 0
    assert {r["id"] for r in json.loads(out.read_text(encoding="utf-8"))} == {
        row["id"] for row in db_rows(audited, "entity = 'action_plan'")
    }
    csv_out = tmp_path / "pl.txt"
    code, _, _ = export(
        capsys,
        audited,
        csv_out,
        "--user",
        "admin",
        "--username",
        "pl",
        "--since",
        "2025-03-02",
        "--until",
        "2025-06-30",
    )
    assert code == 0
    table = read_csv(csv_out)  # an unknown suffix means CSV
    # pl's entries from 2 March to 30 June (Swedish days): only the one of 4 March
    assert [line[HEADER.index("field")] for line in table[1:]] == ["status"]
    code, stdout, _ = export(capsys, audited, csv_out, "--user", "admin", "--username", "nobody")
    assert code == 0 and "0 poster" in stdout
    assert read_csv(csv_out) == [HEADER]


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("okänd", "inget konto"),
        ("gammal", "inaktiverat"),
        ("pl", "audit.view"),
    ],
)
def test_only_an_active_admin_may_export(audited, tmp_path, capsys, user, message):
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = export(capsys, audited, folder / "logg.csv", "--user", user)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []  # no file, no temporary file left behind


def test_bad_input_exits_2_and_writes_nothing(audited, tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = export(capsys, audited, folder / "saknas" / "logg.csv", "--user", "admin")
    assert code == 2 and "finns inte" in err
    code, _, err = export(
        capsys,
        audited,
        folder / "logg.csv",
        "--user",
        "admin",
        "--since",
        "2025-03-05",
        "--until",
        "2025-03-01",
    )
    assert code == 2 and "ligger efter" in err
    with pytest.raises(SystemExit) as caught:
        export(capsys, audited, folder / "logg.csv", "--user", "admin", "--since", "1/3/2025")
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["audit", "export", "--out", str(folder / "x.csv")])  # --user is required
    assert caught.value.code == 2
    assert list(folder.iterdir()) == []
