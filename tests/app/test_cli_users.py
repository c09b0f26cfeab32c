"""``skolbib users``: add, list, set-role, reset-password, (de)activate, on SQLite and
PostgreSQL. The database is read back with plain SQL; no password or hash is ever printed."""

from __future__ import annotations

import io
import json
import logging

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.cli import main
from inventory import db, writes
from inventory.accounts import DEMO_PASSWORD, verify_password
from inventory.models import Municipality

PASSWORD = "ett-långt-lösenord"  # 18 characters
NEW_PASSWORD = "ännu-ett-lösenord-42"


@pytest.fixture
def url(database_url: str, capsys) -> str:
    assert main(["--database-url", database_url, "init"]) == 0
    capsys.readouterr()
    return database_url


@pytest.fixture(autouse=True)
def no_prompt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answers for getpass; a test that gives none fails if the command asks."""
    answers: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        assert answers, f"unexpected password prompt {prompt!r}"
        return answers.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return answers


def run(capsys, monkeypatch, url: str, *args: str, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--database-url", url, "users", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def stored_hash(url: str, username: str) -> str:
    return rows(url, "SELECT password_hash FROM app_user WHERE username = :u", u=username)[0][0]


def test_add_with_password_stdin_stores_only_a_hash(url, capsys, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    code, out, err = run(
        capsys,
        monkeypatch,
        url,
        "add",
        "Anna",
        "--role",
        "admin",
        "--display-name",
        "Anna Andersson",
        "--email",
        "Anna@Kommun.se",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert (code, err) == (0, "")
    assert out.strip() == "Användaren anna (admin) har lagts till."
    assert rows(url, "SELECT username, display_name, email, role, active FROM app_user") == [
        ("anna", "Anna Andersson", "anna@kommun.se", "admin", True)
    ]
    hashed = stored_hash(url, "anna")
    assert hashed.startswith("$argon2id$") and verify_password(hashed, PASSWORD)
    everything = "\n".join(
        repr(r)
        for table in ("app_user", "audit_entry", "login_attempt")
        for r in rows(url, f"SELECT * FROM {table}")
    )
    assert PASSWORD not in everything
    assert PASSWORD not in out + err + caplog.text
    assert rows(
        url, "SELECT username, field, new_value FROM audit_entry WHERE field = 'password'"
    ) == [("(kommandoraden)", "password", "***")]


def test_add_asks_twice_and_refuses_a_mismatch(url, capsys, monkeypatch, no_prompt):
    no_prompt.extend([PASSWORD, PASSWORD + "x"])
    code, out, err = run(capsys, monkeypatch, url, "add", "bo", "--role", "chef")
    assert code == 2 and out == ""
    assert err.strip() == "skolbib: lösenorden stämmer inte överens"
    assert rows(url, "SELECT count(*) FROM app_user") == [(0,)]
    no_prompt.extend([PASSWORD, PASSWORD])
    assert run(capsys, monkeypatch, url, "add", "bo", "--role", "chef")[0] == 0
    assert verify_password(stored_hash(url, "bo"), PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "anna", "--role", "chef", "--password-stdin"], PASSWORD, "finns redan"),
        (["add", "ANNA", "--role", "chef", "--password-stdin"], PASSWORD, "finns redan"),
        (["add", "bo", "--role", "rektor", "--password-stdin"], PASSWORD, "okänd roll 'rektor'"),
        (["add", "bo", "--role", "chef", "--password-stdin"], "elva-tecken\n", "minst 12 tecken"),
        (["add", "bo", "--role", "chef", "--password-stdin"], DEMO_PASSWORD, "demolösenord"),
        (["add", "b o", "--role", "chef", "--password-stdin"], PASSWORD, "ogiltigt användarnamn"),
        (["add", "bo", "--role", "chef", "--sso-only"], None, "e-postadress"),
        (["set-role", "anna", "rektor"], None, "okänd roll"),
        (["set-role", "nobody", "chef"], None, "finns inte"),
        (["set-role", "anna", "chef"], None, "minst en aktiv administratör"),
        (["deactivate", "anna"], None, "minst en aktiv administratör"),
        (["reset-password", "nobody", "--password-stdin"], PASSWORD, "finns inte"),
        (["reset-password", "anna", "--password-stdin"], "kort\n", "minst 12 tecken"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    url, capsys, monkeypatch, args, stdin, message
):
    assert (
        run(
            capsys,
            monkeypatch,
            url,
            "add",
            "anna",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD,
        )[0]
        == 0
    )
    before = rows(url, "SELECT * FROM app_user"), rows(url, "SELECT count(*) FROM audit_entry")
    code, out, err = run(capsys, monkeypatch, url, *args, stdin=stdin)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skolbib: ") and message in lines[0], err
    assert PASSWORD not in err
    after = rows(url, "SELECT * FROM app_user"), rows(url, "SELECT count(*) FROM audit_entry")
    assert after == before


def test_list_shows_accounts_without_hashes(url, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, url, "list")
    assert code == 0 and "skolbib users add NAMN --role admin" in out  # no account yet
    run(
        capsys,
        monkeypatch,
        url,
        "add",
        "anna",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD,
    )
    run(
        capsys,
        monkeypatch,
        url,
        "add",
        "cilla",
        "--role",
        "referensgrupp",
        "--email",
        "cilla@kommun.se",
        "--sso-only",
    )
    code, out, err = run(capsys, monkeypatch, url, "list", "--json")
    assert code == 0 and err == ""
    listed = json.loads(out)
    expected = rows(url, "SELECT username, role, email, active FROM app_user ORDER BY username")
    assert [(r["username"], r["role"], r["email"], r["active"]) for r in listed] == expected
    assert [r["has_password"] for r in listed] == [True, False]
    assert all("password_hash" not in r for r in listed)
    assert "$argon2" not in out and stored_hash(url, "anna") not in out
    code, out, _ = run(capsys, monkeypatch, url, "list")
    assert code == 0 and "$argon2" not in out
    assert [line.split()[:3] for line in out.strip().splitlines()[1:]] == [
        ["anna", "admin", "ja"],
        ["cilla", "referensgrupp", "ja"],
    ]


def test_set_role_reset_password_and_deactivate(url, capsys, monkeypatch, no_prompt):
    for name, role in (("anna", "admin"), ("bo", "chef")):
        run(
            capsys,
            monkeypatch,
            url,
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD,
        )
    code, out, _ = run(capsys, monkeypatch, url, "set-role", "BO", "projektledare")
    assert code == 0 and out.strip() == "bo har nu rollen projektledare."
    assert rows(url, "SELECT role FROM app_user WHERE username = 'bo'") == [("projektledare",)]

    old_hash = stored_hash(url, "bo")
    no_prompt.extend([NEW_PASSWORD, NEW_PASSWORD])
    code, out, err = run(capsys, monkeypatch, url, "reset-password", "bo")
    assert code == 0 and NEW_PASSWORD not in out + err
    new_hash = stored_hash(url, "bo")
    assert new_hash != old_hash
    assert verify_password(new_hash, NEW_PASSWORD) and not verify_password(new_hash, PASSWORD)
    code, out, _ = run(
        capsys,
        monkeypatch,
        url,
        "reset-password",
        "bo",
        "--password-stdin",
        stdin=PASSWORD + "\r\n",
    )
    assert code == 0 and verify_password(stored_hash(url, "bo"), PASSWORD)

    assert run(capsys, monkeypatch, url, "deactivate", "bo")[0] == 0
    assert rows(url, "SELECT active FROM app_user WHERE username = 'bo'") == [(False,)]
    assert run(capsys, monkeypatch, url, "activate", "bo")[0] == 0
    assert rows(url, "SELECT active FROM app_user WHERE username = 'bo'") == [(True,)]
    audit = rows(
        url,
        "SELECT username, action, field, old_value, new_value FROM audit_entry "
        "WHERE action = 'edit' ORDER BY id",
    )
    assert audit == [
        ("(kommandoraden)", "edit", "role", "chef", "projektledare"),
        ("(kommandoraden)", "edit", "password", "***", "***"),
        ("(kommandoraden)", "edit", "password", "***", "***"),
        ("(kommandoraden)", "edit", "active", "true", "false"),
        ("(kommandoraden)", "edit", "active", "false", "true"),
    ]


def test_users_on_a_database_without_schema(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, out, err = run(capsys, monkeypatch, url, "list")
    assert code == 2 and out == ""
    assert "skolbib init" in err and len(err.strip().splitlines()) == 1


def test_demo_command_adds_the_demo_accounts_once(url, capsys):
    engine = db.make_engine(url)
    with Session(engine) as session:  # the demo municipality is there already
        writes.add(
            session,
            Municipality,
            {
                "code": "9901",
                "name": "Exempelkommun",
                "county_code": "99",
                "county": "Exempellän",
                "fictional": True,
            },
        )
        session.commit()
    engine.dispose()
    assert main(["--database-url", url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "demokonton skapades" in out and DEMO_PASSWORD in out
    assert rows(url, "SELECT username, role FROM app_user ORDER BY id") == [
        ("admin", "admin"),
        ("projektledare", "projektledare"),
        ("referensgrupp", "referensgrupp"),
        ("chef", "chef"),
    ]
    assert main(["--database-url", url, "demo"]) == 0
    assert "inget ändrades" in capsys.readouterr().out
    assert rows(url, "SELECT count(*) FROM app_user") == [(4,)]
