"""``skolbib gdpr register|export|erase`` and ``skolbib maintenance`` on a migrated database."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import cli_gdpr
from app.cli import main
from inventory import audit, db, gdpr, writes
from inventory.models import LoginAttempt, Survey, SurveyAnswer, SurveyQuestion, User
from tests.inventory.test_gdpr import ANNA_STRINGS, World, build_world, fingerprint, traces


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def world_db(database_url, capsys, monkeypatch) -> tuple[str, World]:
    """A database migrated by ``skolbib init`` holding the world of the domain tests."""
    for name in (gdpr.ENV_AUDIT_DAYS, gdpr.ENV_SURVEY_DAYS, gdpr.ENV_LOGIN_DAYS, "SKOLBIB_USER"):
        monkeypatch.delenv(name, raising=False)
    assert run(capsys, "--database-url", database_url, "init")[0] == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        world = build_world(session)
    engine.dispose()
    return database_url, world


def engine_of(url: str) -> sa.Engine:
    return db.make_engine(url)


# --------------------------------------------------------------------------- register


def test_register_json_is_the_register_with_the_settings_in_force(capsys, monkeypatch):
    monkeypatch.setenv(gdpr.ENV_AUDIT_DAYS, "400")
    monkeypatch.setenv(gdpr.ENV_LOGIN_DAYS, "0")
    code, out, err = run(capsys, "gdpr", "register", "--lang", "en", "--json")
    assert code == 0, err
    data = json.loads(out)
    expected = gdpr.personal_data_register(
        "en", gdpr.RetentionSettings(audit_days=400, login_attempt_days=None)
    )
    assert data["register"] == expected
    assert data["notes"] == list(gdpr.REGISTER_NOTES["en"])
    retention = " ".join(row["retention"] for row in data["register"])
    assert "400 days" in retention and "kept until further notice" in retention


def test_register_text_lists_every_category(capsys):
    code, out, _ = run(capsys, "gdpr", "register")
    assert code == 0
    for row in gdpr.personal_data_register("sv"):
        assert row["category"] in out and row["stored_in"] in out
    assert "Rättslig grund" in out


def test_register_with_a_bad_setting_exits_2(capsys, monkeypatch):
    monkeypatch.setenv(gdpr.ENV_SURVEY_DAYS, "tre år")
    code, out, err = run(capsys, "gdpr", "register")
    assert code == 2 and out == ""
    assert gdpr.ENV_SURVEY_DAYS in err and "'tre år'" in err


# --------------------------------------------------------------------------- export


def test_export_writes_the_persons_data_readable_by_the_owner_only(world_db, capsys, tmp_path):
    url, w = world_db
    out_file = tmp_path / "anna.json"
    code, out, err = run(
        capsys,
        "gdpr",
        "export",
        "aberg",
        "--out",
        str(out_file),
        "--user",
        "bo",
        "--database-url",
        url,
    )
    assert code == 0, err
    assert str(out_file) in out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["account"]["id"] == w.anna and data["account"]["email"] == "anna.berg@exempel.se"
    assert data["account"]["has_password_hash"] is True
    assert w.password_hash not in out_file.read_text(encoding="utf-8")
    assert {c["id"] for c in data["comments_written"]} == w.anna_comments
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    engine = engine_of(url)
    with engine.connect() as connection:
        logged = (
            connection.execute(
                sa.text("SELECT username FROM audit_entry WHERE action = 'gdpr_export'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert logged == ["bo"]


def test_export_to_standard_output(world_db, capsys, monkeypatch):
    url, w = world_db
    monkeypatch.setenv("SKOLBIB_USER", "bo")
    code, out, err = run(capsys, "--database-url", url, "gdpr", "export", "aberg", "--out", "-")
    assert code == 0, err
    assert json.loads(out)["account"]["username"] == "aberg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("aberg", "--user", "cecilia"), "users.manage"),
        (("aberg", "--user", "nobody"), "'nobody' finns inte"),
        (("aberg",), "ange --user"),
        (("nobody", "--user", "bo"), "'nobody' finns inte"),
    ],
)
def test_export_refusals_exit_2_and_write_nothing(world_db, capsys, tmp_path, args, message):
    url, _ = world_db
    engine = engine_of(url)
    before = fingerprint(engine)
    out_file = tmp_path / "x.json"
    code, out, err = run(
        capsys, "--database-url", url, "gdpr", "export", *args, "--out", str(out_file)
    )
    assert code == 2 and message in err and err.count("\n") == 1
    assert not out_file.exists()
    assert fingerprint(engine) == before
    engine.dispose()


def test_export_to_a_missing_folder_exits_2(world_db, capsys, tmp_path):
    url, _ = world_db
    target = tmp_path / "missing" / "x.json"
    code, _, err = run(
        capsys,
        "--database-url",
        url,
        "gdpr",
        "export",
        "aberg",
        "--out",
        str(target),
        "--user",
        "bo",
    )
    assert code == 2 and "finns inte" in err
    engine = engine_of(url)
    with engine.connect() as connection:
        exports = connection.execute(
            sa.text("SELECT count(*) FROM audit_entry WHERE action = 'gdpr_export'")
        ).scalar()
    engine.dispose()
    assert exports == 0  # refused before the database was read


# --------------------------------------------------------------------------- erase


def test_erase_with_yes(world_db, capsys):
    url, w = world_db
    code, out, err = run(
        capsys, "--database-url", url, "gdpr", "erase", "aberg", "--user", "bo", "--yes"
    )
    assert code == 0, err
    assert f"borttagen-{w.anna}" in out
    assert "2  inloggningsförsök raderas" in out
    engine = engine_of(url)
    assert traces(engine, ANNA_STRINGS) == []
    engine.dispose()


def test_erase_without_yes_outside_a_terminal_shows_and_refuses(world_db, capsys, monkeypatch):
    url, w = world_db
    monkeypatch.setattr(cli_gdpr, "_interactive", lambda: False)
    engine = engine_of(url)
    before = fingerprint(engine)
    code, out, err = run(capsys, "--database-url", url, "gdpr", "erase", "aberg", "--user", "bo")
    assert code == 2 and "--yes" in err
    assert f"borttagen-{w.anna}" in out and "2  enkätsvar" in out  # what would change
    assert fingerprint(engine) == before
    engine.dispose()


@pytest.mark.parametrize(("typed", "code"), [("ABERG", 0), ("aberg2", 2)])
def test_erase_asks_on_a_terminal(world_db, capsys, monkeypatch, typed, code):
    url, w = world_db
    monkeypatch.setattr(cli_gdpr, "_interactive", lambda: True)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or typed)
    engine = engine_of(url)
    before = fingerprint(engine)
    found, _, err = run(capsys, "--database-url", url, "gdpr", "erase", "aberg", "--user", "bo")
    assert found == code, err
    assert len(prompts) == 1 and "aberg" in prompts[0]
    with engine.connect() as connection:
        name = connection.execute(
            sa.text("SELECT username FROM app_user WHERE id = :id"), {"id": w.anna}
        ).scalar()
    if code == 0:
        assert name == f"borttagen-{w.anna}"
    else:
        assert name == "aberg" and "stämde inte" in err
        assert fingerprint(engine) == before
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("aberg", "--user", "cecilia", "--yes"), "users.manage"),
        (("bo", "--user", "bo", "--yes"), "ditt eget konto"),
        (("nobody", "--user", "bo", "--yes"), "'nobody' finns inte"),
    ],
)
def test_erase_refusals_exit_2_and_change_nothing(world_db, capsys, args, message):
    url, _ = world_db
    engine = engine_of(url)
    before = fingerprint(engine)
    code, _, err = run(capsys, "--database-url", url, "gdpr", "erase", *args)
    assert code == 2 and message in err
    assert fingerprint(engine) == before
    engine.dispose()


# --------------------------------------------------------------------------- maintenance


def _aged_rows(url: str) -> dict[str, int]:
    """Rows on both sides of the default limits, relative to the real clock."""
    now = datetime.now(UTC)
    engine = engine_of(url)
    with Session(engine) as session:
        user = writes.add(session, User, {"username": "u", "display_name": "U", "role": "chef"})
        for days in (2000, 1900, 10):  # audit: two older than 1825 days
            audit.record(session, user, "edit", "library_year", 1, at=now - timedelta(days=days))
        for days in (45, 31, 1):  # sign-in: two older than 30 days
            writes.add(
                session,
                LoginAttempt,
                {"username": "u", "client": "c", "at": now - timedelta(days=days)},
            )
        old = writes.add(
            session, Survey, {"title": "Gammal", "year": now.year - 5, "audience": "alla"}
        )
        new = writes.add(
            session,
            Survey,
            {"title": "Ny", "year": now.year, "audience": "alla", "closes_on": date.today()},
        )
        for survey in (old, new):
            question = writes.add(
                session,
                SurveyQuestion,
                {"survey_id": survey.id, "code": "q1", "text_sv": "Nöjd?", "kind": "likert"},
            )
            writes.add(
                session,
                SurveyAnswer,
                {
                    "survey_id": survey.id,
                    "question_id": question.id,
                    "respondent_key": "r1",
                    "respondent_role": "teacher",
                    "likert_value": 4,
                },
            )
        session.commit()
    engine.dispose()
    return {"audit_entries": 2, "login_attempts": 2, "survey_answers": 1}


@pytest.fixture
def aged_db(database_url, capsys, monkeypatch) -> str:
    for name in (gdpr.ENV_AUDIT_DAYS, gdpr.ENV_SURVEY_DAYS, gdpr.ENV_LOGIN_DAYS):
        monkeypatch.delenv(name, raising=False)
    assert run(capsys, "--database-url", database_url, "init")[0] == 0
    return database_url


def test_maintenance_dry_run_then_run(aged_db, capsys):
    expected = _aged_rows(aged_db)
    engine = engine_of(aged_db)
    before = fingerprint(engine)
    code, out, err = run(capsys, "--database-url", aged_db, "maintenance", "--dry-run", "--json")
    assert code == 0, err
    preview = json.loads(out)
    assert preview["dry_run"] is True
    assert {k: preview[k] for k in expected} == expected
    assert preview["settings"] == {
        "audit_days": 1825,
        "survey_answer_days": 1095,
        "login_attempt_days": 30,
    }
    assert fingerprint(engine) == before

    code, out, err = run(capsys, "--database-url", aged_db, "maintenance")
    assert code == 0, err
    assert "poster i ändringsloggen: 2 gallrade" in out
    assert "inloggningsförsök: 2 gallrade" in out
    with engine.connect() as connection:

        def count(sql: str) -> int:
            return connection.execute(sa.text(sql)).scalar()

        assert count("SELECT count(*) FROM audit_entry WHERE action <> 'retention'") == 1
        assert count("SELECT count(*) FROM login_attempt") == 1
        assert count("SELECT count(*) FROM survey_answer") == 1
        assert count("SELECT count(*) FROM audit_entry WHERE action = 'retention'") == 3
    engine.dispose()


def test_maintenance_keeps_what_is_switched_off(aged_db, capsys, monkeypatch):
    _aged_rows(aged_db)
    monkeypatch.setenv(gdpr.ENV_AUDIT_DAYS, "0")
    monkeypatch.setenv(gdpr.ENV_SURVEY_DAYS, "")
    code, out, err = run(capsys, "--database-url", aged_db, "maintenance", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["audit_entries"], result["survey_answers"], result["login_attempts"]) == (
        0,
        0,
        2,
    )
    assert result["cutoffs"]["audit"] is None and result["cutoffs"]["survey"] is None


def test_maintenance_with_a_bad_setting_exits_2_and_deletes_nothing(aged_db, capsys, monkeypatch):
    _aged_rows(aged_db)
    engine = engine_of(aged_db)
    before = fingerprint(engine)
    monkeypatch.setenv(gdpr.ENV_LOGIN_DAYS, "30d")
    code, out, err = run(capsys, "--database-url", aged_db, "maintenance")
    assert code == 2 and out == ""
    assert gdpr.ENV_LOGIN_DAYS in err and "'30d'" in err
    assert fingerprint(engine) == before
    engine.dispose()


def test_maintenance_on_a_database_without_schema_exits_2(database_url, capsys):
    code, _, err = run(capsys, "--database-url", database_url, "maintenance")
    assert code == 2 and "skolbib init" in err


def test_export_to_a_folder_exits_2(world_db, capsys, tmp_path):
    url, _ = world_db
    code, _, err = run(
        capsys,
        "--database-url",
        url,
        "gdpr",
        "export",
        "aberg",
        "--out",
        str(tmp_path),
        "--user",
        "bo",
    )
    assert code == 2 and "är en mapp" in err
