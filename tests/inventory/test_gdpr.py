"""Personal data: the register, export and erasure of one person, retention.

A small world is written through ``writes.add``: Anna (the person exported and erased), Bo (the
administrator acting) and Cecilia (a project leader whose data must stay as it is). Every check
compares with the rows inserted here or reads the database back with plain SQL.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from inventory import audit, gdpr, writes
from inventory.accounts import hash_password
from inventory.models import (
    AuditEntry,
    Comment,
    LoginAttempt,
    Scenario,
    ScenarioEvent,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    User,
)
from inventory.permissions import PermissionDeniedError

ANNA = {
    "username": "aberg",
    "display_name": "Anna Berg-Lind",
    "email": "anna.berg@exempel.se",
    "role": "chef",
}
#: every string that identifies Anna, lower case (the old display name "Anna Berg" included)
ANNA_STRINGS = ("aberg", "anna berg", "anna.berg@exempel.se")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    anna: int
    bo: int
    cecilia: int
    audit_by_anna: set[int] = field(default_factory=set)
    audit_about_anna: set[int] = field(default_factory=set)
    anna_comments: set[int] = field(default_factory=set)
    anna_events: set[int] = field(default_factory=set)
    named_survey: int = 0
    anonymous_survey: int = 0
    anna_named_answers: set[int] = field(default_factory=set)
    anna_anonymous_answers: set[int] = field(default_factory=set)
    cecilia_answers: set[int] = field(default_factory=set)
    anna_attempts: set[int] = field(default_factory=set)
    other_attempts: set[int] = field(default_factory=set)
    password_hash: str = ""


class Actor:
    """An actor for audit.record with an explicit id and name (as a session user has)."""

    def __init__(self, user: User):
        self.id, self.username, self.role, self.active = user.id, user.username, user.role, True


def build_world(session: Session) -> World:
    """Write the world; commit. Comments say what each row is for."""
    password_hash = hash_password("anna-har-ett-langt-losenord")
    anna = writes.add(session, User, {**ANNA, "password_hash": password_hash})
    bo = writes.add(session, User, {"username": "bo", "display_name": "Bo Admin", "role": "admin"})
    cecilia = writes.add(
        session,
        User,
        {"username": "cecilia", "display_name": "Cecilia Ek", "role": "projektledare"},
    )
    w = World(anna=anna.id, bo=bo.id, cecilia=cecilia.id, password_hash=password_hash)
    as_bo, as_anna, as_cecilia = Actor(bo), Actor(anna), Actor(cecilia)

    # about Anna: Bo created her account, then renamed her "Anna Berg" -> "Anna Berg-Lind"
    for name, value in (("username", "aberg"), ("display_name", "Anna Berg"), ("role", "chef")):
        entry = audit.record(session, as_bo, "create", "app_user", anna.id, field=name, new=value)
        w.audit_about_anna.add(entry.id)
    entry = audit.record(
        session, as_bo, "create", "app_user", anna.id, field="email", new=ANNA["email"]
    )
    w.audit_about_anna.add(entry.id)
    entry = audit.record(
        session,
        as_bo,
        "edit",
        "app_user",
        anna.id,
        field="display_name",
        old="Anna Berg",
        new="Anna Berg-Lind",
    )
    w.audit_about_anna.add(entry.id)
    entry = audit.record(
        session, as_bo, "edit", "app_user", anna.id, field="password", old=None, new="***"
    )
    w.audit_about_anna.add(entry.id)
    # Cecilia's account, created by Bo (not about Anna)
    audit.record(session, as_bo, "create", "app_user", cecilia.id, field="username", new="cecilia")

    plan = writes.add(
        session,
        Scenario,
        {
            "name": "Plan 2025",
            "model": "manual",
            "base_year": 2024,
            "author_id": cecilia.id,
            "status": "open_for_comment",
        },
    )
    adopted = writes.add(
        session,
        Scenario,
        {
            "name": "Plan 2024",
            "model": "manual",
            "base_year": 2023,
            "author_id": cecilia.id,
            "status": "adopted",
            "adopted_by_id": anna.id,
            "adopted_at": T0,
        },
    )
    event = writes.add(
        session,
        ScenarioEvent,
        {
            "scenario_id": adopted.id,
            "user_id": anna.id,
            "username": "aberg",
            "from_status": "open_for_comment",
            "to_status": "adopted",
            "note": "Fastställd i nämnden",
        },
    )
    w.anna_events.add(event.id)
    writes.add(
        session,
        ScenarioEvent,
        {
            "scenario_id": plan.id,
            "user_id": cecilia.id,
            "username": "cecilia",
            "to_status": "open_for_comment",
        },
    )

    first = writes.add(
        session,
        Comment,
        {
            "scenario_id": plan.id,
            "author_id": anna.id,
            "author_role": "chef",
            "text": "Ekskolan behöver fler timmar.",
        },
    )
    second = writes.add(
        session,
        Comment,
        {
            "scenario_id": plan.id,
            "author_id": anna.id,
            "author_role": "chef",
            "text": "Kan öppettiderna flyttas till eftermiddagen?",
            "hidden_by_id": cecilia.id,
            "hidden_reason": "dubblett",
            "hidden_at": T0,
        },
    )
    reply = writes.add(
        session,
        Comment,
        {
            "scenario_id": plan.id,
            "author_id": cecilia.id,
            "author_role": "projektledare",
            "text": "Tack, vi tittar på det.",
            "reply_to_id": first.id,
        },
    )
    w.anna_comments = {first.id, second.id}
    for comment, actor in ((first, as_anna), (second, as_anna), (reply, as_cecilia)):
        entry = audit.record(
            session, actor, "create", "comment", comment.id, field="text", new=comment.text
        )
        if actor is as_anna:
            w.audit_by_anna.add(entry.id)
    # an older entry by Anna recorded by name only (no account id)
    legacy = writes.add(
        session,
        AuditEntry,
        {
            "user_id": None,
            "username": "aberg",
            "action": "edit",
            "entity": "library_year",
            "entity_id": "7",
            "field": "loans",
            "old_value": "10",
            "new_value": "12",
        },
    )
    w.audit_by_anna.add(legacy.id)

    named = writes.add(
        session,
        Survey,
        {
            "title": "Chefsenkät",
            "year": 2024,
            "audience": "chef",
            "audience_role": "chef",
            "anonymous": False,
            "published": True,
            "created_by_id": cecilia.id,
        },
    )
    anonymous = writes.add(
        session,
        Survey,
        {
            "title": "Anonym enkät",
            "year": 2024,
            "audience": "chef",
            "audience_role": "chef",
            "anonymous": True,
            "published": True,
            "created_by_id": cecilia.id,
        },
    )
    w.named_survey, w.anonymous_survey = named.id, anonymous.id
    questions = {}
    for survey in (named, anonymous):
        questions[survey.id] = writes.add_all(
            session,
            SurveyQuestion,
            [
                {"survey_id": survey.id, "code": "q1", "text_sv": "Hur nöjd?", "kind": "likert"},
                {"survey_id": survey.id, "code": "q2", "text_sv": "Övrigt?", "kind": "text"},
            ],
        )

    def answers(survey: Survey, key: str, likert: int, text: str) -> set[int]:
        q1, q2 = questions[survey.id]
        common = {"survey_id": survey.id, "respondent_key": key, "respondent_role": "principal"}
        rows = writes.add_all(
            session,
            SurveyAnswer,
            [
                {**common, "question_id": q1.id, "likert_value": likert},
                {**common, "question_id": q2.id, "text_value": text},
            ],
        )
        return {r.id for r in rows}

    w.anna_named_answers = answers(named, f"user-{anna.id}", 4, "Mer personal behövs")
    w.cecilia_answers = answers(named, f"user-{cecilia.id}", 2, "Bra samarbete")
    w.anna_anonymous_answers = answers(anonymous, "9f3c2a7e", 5, "Anonym åsikt")
    for survey_id, user_id in (
        (named.id, anna.id),
        (anonymous.id, anna.id),
        (named.id, cecilia.id),
    ):
        writes.add(
            session,
            SurveyParticipation,
            {"survey_id": survey_id, "user_id": user_id, "answered_at": T0},
        )
        actor = as_anna if user_id == anna.id else as_cecilia
        entry = audit.record(session, actor, "answer", "survey", survey_id)
        if user_id == anna.id:
            w.audit_by_anna.add(entry.id)

    for username, client, success in (
        ("aberg", "10.0.0.7", False),
        ("aberg", "10.0.0.7", True),
        ("bo", "10.0.0.9", True),
    ):
        row = writes.add(
            session,
            LoginAttempt,
            {"username": username, "client": client, "success": success, "at": T0},
        )
        (w.anna_attempts if username == "aberg" else w.other_attempts).add(row.id)
    session.commit()
    return w


# --------------------------------------------------------------------------- plain SQL helpers


def fingerprint(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    found = {}
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            keys = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [
                tuple(row) for row in connection.execute(sa.select(table).order_by(*keys))
            ]
    return found


def traces(engine: Engine, needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, needle) wherever a needle occurs in any column, cast to text."""
    found = []
    inspector = sa.inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                name = quote(column["name"])
                for needle in needles:
                    sql = (
                        f"SELECT count(*) FROM {quote(table)} "
                        f"WHERE lower(CAST({name} AS TEXT)) LIKE :pattern"
                    )
                    hits = connection.execute(sa.text(sql), {"pattern": f"%{needle}%"}).scalar()
                    if hits:
                        found.append((table, column["name"], needle))
    return found


def scalar(engine: Engine, sql: str, **params) -> object:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def column(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql), params).scalars())


def admin(session: Session, world: World) -> User:
    return session.get(User, world.bo)


# --------------------------------------------------------------------------- register


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_register_names_real_columns_and_the_settings_in_force(lang):
    settings = gdpr.RetentionSettings(audit_days=400, survey_answer_days=None, login_attempt_days=7)
    rows = gdpr.personal_data_register(lang, settings)
    assert len(rows) == len(gdpr.REGISTER) == 7
    tables = SQLModel.metadata.tables
    stored = set()
    for row in rows:
        assert set(row) == set(gdpr.REGISTER_COLUMNS)
        assert all(isinstance(v, str) and v.strip() for v in row.values())
        for place in row["stored_in"].split(", "):
            table, name = place.split(".")
            assert name in tables[table].columns, place
            stored.add(place)
    # every column that holds a name, an address or a link to an account is in the register
    for place in (
        "app_user.username",
        "app_user.display_name",
        "app_user.email",
        "login_attempt.client",
        "audit_entry.username",
        "comment.author_id",
        "scenario_event.username",
        "survey_participation.user_id",
        "survey_answer.respondent_key",
        "survey_answer.text_value",
    ):
        assert place in stored
    text = " ".join(r["retention"] for r in rows)
    days = "dagar" if lang == "sv" else "days"
    assert f"400 {days}" in text and f"7 {days}" in text
    assert "1095" not in text  # the survey limit is off
    assert "6.1 e" in rows[0]["legal_basis"] or "6(1)(e)" in rows[0]["legal_basis"]


def test_register_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unknown language"):
        gdpr.personal_data_register("de")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (1825, 1095, 30)),
        (
            {
                gdpr.ENV_AUDIT_DAYS: "3650",
                gdpr.ENV_SURVEY_DAYS: " 0 ",
                gdpr.ENV_LOGIN_DAYS: "",
            },
            (3650, None, None),
        ),
        ({gdpr.ENV_LOGIN_DAYS: "14"}, (1825, 1095, 14)),
    ],
)
def test_retention_settings_from_the_environment(environ, expected):
    settings = gdpr.retention_settings(environ)
    found = (settings.audit_days, settings.survey_answer_days, settings.login_attempt_days)
    assert found == expected


@pytest.mark.parametrize("value", ["fem år", "-1", "1.5"])
def test_a_bad_retention_setting_names_the_variable(value):
    with pytest.raises(gdpr.GdprError) as caught:
        gdpr.retention_settings({gdpr.ENV_AUDIT_DAYS: value})
    assert caught.value.code == "bad_setting"
    assert gdpr.ENV_AUDIT_DAYS in str(caught.value) and repr(value) in str(caught.value)
    assert gdpr.ENV_AUDIT_DAYS in caught.value.message("en")


# --------------------------------------------------------------------------- export


def test_export_contains_exactly_the_persons_data(engine, session):
    w = build_world(session)
    data = gdpr.export_person(session, admin(session, w), "ABERG")  # case-insensitive
    dumped = json.dumps(data, ensure_ascii=False)
    json.loads(dumped)  # plain JSON values only

    account = data["account"]
    assert account["id"] == w.anna and account["username"] == "aberg"
    assert account["display_name"] == ANNA["display_name"] and account["email"] == ANNA["email"]
    assert account["role"] == "chef" and account["active"] is True
    assert account["has_password_hash"] is True
    assert "password_hash" not in account and w.password_hash not in dumped
    assert "$argon2" not in dumped

    assert {(a["client"], a["success"]) for a in data["login_attempts"]} == {
        ("10.0.0.7", False),
        ("10.0.0.7", True),
    }
    assert {e["id"] for e in data["audit_entries_by_person"]} == w.audit_by_anna
    assert {e["id"] for e in data["audit_entries_about_account"]} == w.audit_about_anna
    assert {c["id"] for c in data["comments_written"]} == w.anna_comments
    texts = {c["text"] for c in data["comments_written"]}
    assert texts == {
        "Ekskolan behöver fler timmar.",
        "Kan öppettiderna flyttas till eftermiddagen?",
    }
    assert [c["hidden"] for c in sorted(data["comments_written"], key=lambda c: c["id"])] == [
        False,
        True,
    ]
    assert data["comments_hidden_as_moderator"] == []  # Cecilia hid it, not Anna
    assert {e["id"] for e in data["scenario_events"]} == w.anna_events
    assert [s["name"] for s in data["scenarios_adopted"]] == ["Plan 2024"]
    assert data["scenarios_authored"] == [] and data["surveys_created"] == []
    assert {p["survey_id"] for p in data["survey_participations"]} == {
        w.named_survey,
        w.anonymous_survey,
    }
    # answers of the survey that is not anonymous only, and only Anna's
    assert {
        (a["survey_id"], a["likert_value"], a["text_value"]) for a in data["survey_answers"]
    } == {
        (w.named_survey, 4, None),
        (w.named_survey, None, "Mer personal behövs"),
    }
    for foreign in ("Anonym åsikt", "Bra samarbete", "Tack, vi tittar", "10.0.0.9", "Cecilia Ek"):
        assert foreign not in dumped, foreign

    entries = column(
        engine,
        "SELECT user_id FROM audit_entry WHERE action = 'gdpr_export' AND entity = 'app_user' "
        "AND entity_id = :id",
        id=str(w.anna),
    )
    assert entries == [w.bo]


def test_export_refuses_non_admins_and_unknown_people(engine, session):
    w = build_world(session)
    before = fingerprint(engine)
    with pytest.raises(PermissionDeniedError):
        gdpr.export_person(session, session.get(User, w.cecilia), "aberg")
    with pytest.raises(PermissionDeniedError):
        gdpr.export_person(session, None, "aberg")
    with pytest.raises(gdpr.GdprError) as caught:
        gdpr.export_person(session, admin(session, w), "nobody")
    assert caught.value.code == "unknown_user" and "'nobody'" in str(caught.value)
    session.rollback()
    assert fingerprint(engine) == before


# --------------------------------------------------------------------------- erasure


def test_erase_leaves_no_trace_of_the_identity(engine, session):
    w = build_world(session)
    assert traces(engine, ANNA_STRINGS)  # the scan finds Anna before
    comments_before = column(engine, "SELECT text FROM comment ORDER BY id")
    with engine.connect() as connection:
        audit_before = {
            r.id: (r.action, r.entity, r.entity_id, r.field, r.user_id)
            for r in connection.execute(sa.text("SELECT * FROM audit_entry"))
        }
        cecilia_before = connection.execute(
            sa.text("SELECT * FROM app_user WHERE id = :id"), {"id": w.cecilia}
        ).one()

    summary = gdpr.erase_person(session, admin(session, w), "aberg")

    assert traces(engine, ANNA_STRINGS) == []
    # counted by hand from build_world
    assert summary.applied and summary.user_id == w.anna
    assert summary.pseudonym == f"borttagen-{w.anna}"
    assert summary.login_attempts_deleted == 2
    assert summary.audit_entries_pseudonymised == len(w.audit_by_anna) == 5
    # created: username, display_name, email (new values: 3); renamed: old + new (2) = 5
    assert summary.audit_values_replaced == 5
    assert summary.scenario_events_pseudonymised == 1
    assert summary.comments_kept == 2 and summary.scenarios_kept == 1
    assert summary.survey_answers_rekeyed == 2
    assert summary.survey_participations_deleted == 2
    assert summary.mentions == {}

    with engine.connect() as connection:
        user = connection.execute(
            sa.text("SELECT * FROM app_user WHERE id = :id"), {"id": w.anna}
        ).one()
        assert user.username == f"borttagen-{w.anna}"
        assert user.display_name == "borttagen användare"
        assert user.email is None and user.password_hash is None
        assert not user.active and user.last_login_at is None
        assert (
            connection.execute(
                sa.text("SELECT * FROM app_user WHERE id = :id"), {"id": w.cecilia}
            ).one()
            == cecilia_before
        )
        # comments: same texts, same count, still Anna's (pseudonymised) account
        assert column(engine, "SELECT text FROM comment ORDER BY id") == comments_before
        authors = column(engine, "SELECT author_id FROM comment WHERE author_id = :id", id=w.anna)
        assert len(authors) == 2
        # every audit action is kept; one more entry records the erasure
        after = {
            r.id: (r.action, r.entity, r.entity_id, r.field, r.user_id)
            for r in connection.execute(sa.text("SELECT * FROM audit_entry"))
        }
        assert {k: after[k] for k in audit_before} == audit_before
        (new_id,) = set(after) - set(audit_before)
        assert after[new_id] == ("gdpr_erase", "app_user", str(w.anna), "username", w.bo)
        names = column(
            engine,
            "SELECT DISTINCT username FROM audit_entry WHERE id IN "
            f"({', '.join(str(i) for i in w.audit_by_anna)})",
        )
        assert names == [f"borttagen-{w.anna}"]
        assert column(
            engine,
            "SELECT old_value FROM audit_entry WHERE entity = 'app_user' AND entity_id = :id "
            "AND field = 'display_name' AND action = 'edit'",
            id=str(w.anna),
        ) == ["borttagen användare"]
        assert column(
            engine,
            "SELECT new_value FROM audit_entry WHERE entity_id = :id AND field = 'email'",
            id=str(w.anna),
        ) == ["(borttagen)"]
    assert column(engine, "SELECT username FROM scenario_event ORDER BY id") == [
        f"borttagen-{w.anna}",
        "cecilia",
    ]
    assert column(engine, "SELECT id FROM login_attempt") == sorted(w.other_attempts)
    assert column(engine, "SELECT user_id FROM survey_participation") == [w.cecilia]


def test_erase_unlinks_answers_to_the_survey_that_was_not_anonymous(engine, session):
    w = build_world(session)

    def answers() -> dict[int, tuple]:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT id, respondent_key, likert_value, text_value, question_id "
                    "FROM survey_answer"
                )
            )
            return {r.id: tuple(r[1:]) for r in rows}

    before = answers()
    gdpr.erase_person(session, admin(session, w), "aberg")
    after = answers()
    assert set(after) == set(before)  # no answer deleted
    keys = {after[i][0] for i in w.anna_named_answers}
    assert len(keys) == 1  # still one respondent ...
    (key,) = keys
    assert not key.startswith("user-") and len(key) == 32  # ... under a random key
    for i in w.anna_named_answers:
        assert after[i][1:] == before[i][1:]  # same values
    for i in w.cecilia_answers | w.anna_anonymous_answers:
        assert after[i] == before[i]
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM survey_answer WHERE respondent_key = :k",
            k=f"user-{w.anna}",
        )
        == 0
    )


def test_erase_lists_free_text_that_still_names_the_person(engine, session):
    w = build_world(session)
    mention = writes.add(
        session,
        Comment,
        {
            "scenario_id": column(engine, "SELECT id FROM scenario ORDER BY id")[0],
            "author_id": w.cecilia,
            "author_role": "projektledare",
            "text": "Fråga Anna Berg om öppettiderna.",
        },
    )
    session.commit()
    summary = gdpr.erase_person(session, admin(session, w), "aberg")
    assert summary.mentions == {"comment.text": [str(mention.id)]}
    # the text is kept as written: free text is reviewed by hand
    assert scalar(engine, "SELECT text FROM comment WHERE id = :id", id=mention.id) == (
        "Fråga Anna Berg om öppettiderna."
    )


def test_a_dry_run_reports_the_same_and_changes_nothing(engine, session):
    w = build_world(session)
    before = fingerprint(engine)
    preview = gdpr.erase_person(session, admin(session, w), "aberg", dry_run=True)
    session.commit()
    assert fingerprint(engine) == before
    assert not preview.applied
    done = gdpr.erase_person(session, admin(session, w), "aberg")
    assert {**preview.to_dict(), "applied": True} == done.to_dict()


def test_erase_refuses_and_changes_nothing(engine, session):
    w = build_world(session)
    before = fingerprint(engine)
    bo, cecilia = admin(session, w), session.get(User, w.cecilia)
    with pytest.raises(PermissionDeniedError):
        gdpr.erase_person(session, cecilia, "aberg")
    with pytest.raises(PermissionDeniedError):
        gdpr.erase_person(session, None, "aberg")
    refusals = {
        "unknown_user": (bo, "nobody"),
        "own_account": (bo, "bo"),
    }
    for code, (actor, name) in refusals.items():
        with pytest.raises(gdpr.GdprError) as caught:
            gdpr.erase_person(session, actor, name)
        assert caught.value.code == code
    session.rollback()
    assert fingerprint(engine) == before


def test_the_last_active_admin_cannot_be_erased(engine, session):
    w = build_world(session)
    dora = writes.add(session, User, {"username": "dora", "display_name": "Dora", "role": "admin"})
    session.commit()
    acting = Actor(dora)  # an administrator's session
    # Dora is another active admin: erasing Bo is allowed (tried as a dry run)
    assert gdpr.erase_person(session, acting, "bo", dry_run=True).user_id == w.bo
    # Dora's account is deactivated while her session is still open: Bo is the last admin
    session.get(User, dora.id).active = False
    session.commit()
    before = fingerprint(engine)
    with pytest.raises(gdpr.GdprError) as caught:
        gdpr.erase_person(session, acting, "bo")
    assert caught.value.code == "last_admin"
    session.rollback()
    assert fingerprint(engine) == before


def test_erasing_twice_is_refused(engine, session):
    w = build_world(session)
    bo = admin(session, w)
    summary = gdpr.erase_person(session, bo, "aberg")
    before = fingerprint(engine)
    with pytest.raises(gdpr.GdprError) as caught:
        gdpr.erase_person(session, bo, summary.pseudonym)
    assert caught.value.code == "already_erased"
    session.rollback()
    assert fingerprint(engine) == before


def test_the_pseudonym_is_unique(engine, session):
    w = build_world(session)
    taken = f"borttagen-{w.anna}"
    writes.add(session, User, {"username": taken, "display_name": "Someone", "role": "chef"})
    session.commit()
    summary = gdpr.erase_person(session, admin(session, w), "aberg")
    assert summary.pseudonym == f"{taken}-2"
    assert column(engine, "SELECT username FROM app_user WHERE id = :id", id=w.anna) == [
        f"{taken}-2"
    ]


# --------------------------------------------------------------------------- retention

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _survey(session: Session, title: str, year: int, closes_on: date | None) -> int:
    survey = writes.add(
        session,
        Survey,
        {"title": title, "year": year, "audience": "alla", "closes_on": closes_on},
    )
    question = writes.add(
        session,
        SurveyQuestion,
        {"survey_id": survey.id, "code": "q1", "text_sv": "Nöjd?", "kind": "likert"},
    )
    writes.add_all(
        session,
        SurveyAnswer,
        [
            {
                "survey_id": survey.id,
                "question_id": question.id,
                "respondent_key": f"r{n}",
                "respondent_role": "teacher",
                "likert_value": 3,
            }
            for n in range(3)
        ],
    )
    return survey.id


def retention_world(session: Session) -> dict[str, set[int]]:
    """Rows on both sides of each limit (audit 1825 days, surveys 1095, sign-in 30).

    NOW - 1825 days = 2020-06-02 12:00 UTC; NOW.date() - 1095 days = 2022-06-02;
    NOW - 30 days = 2025-05-02 12:00 UTC.
    """
    user = writes.add(session, User, {"username": "u", "display_name": "U", "role": "chef"})
    audit_limit = NOW - timedelta(days=1825)
    assert audit_limit == datetime(2020, 6, 2, 12, 0, tzinfo=UTC)
    old_audit, kept_audit = set(), set()
    for at, bucket in (
        (audit_limit - timedelta(seconds=1), old_audit),
        (datetime(2019, 1, 1, tzinfo=UTC), old_audit),
        (audit_limit, kept_audit),  # exactly at the limit: kept
        (NOW - timedelta(days=1), kept_audit),
    ):
        bucket.add(audit.record(session, user, "edit", "library_year", 1, at=at).id)
    surveys = {
        # closing date before 2022-06-02: answers go
        "closed_old": _survey(session, "A", 2022, date(2022, 6, 1)),
        # closing date on the limit: kept
        "closed_limit": _survey(session, "B", 2022, date(2022, 6, 2)),
        # no closing date, year 2021: 2021-12-31 < 2022-06-02, answers go
        "year_old": _survey(session, "C", 2021, None),
        # no closing date, year 2022: 2022-12-31, kept
        "year_kept": _survey(session, "D", 2022, None),
        # an old year but a late closing date: the closing date counts, kept
        "late_close": _survey(session, "E", 2020, date(2023, 1, 15)),
    }
    for survey_id in surveys.values():
        writes.add(session, SurveyParticipation, {"survey_id": survey_id, "user_id": user.id})
    login_limit = NOW - timedelta(days=30)
    old_login, kept_login = set(), set()
    for at, bucket in (
        (login_limit - timedelta(minutes=1), old_login),
        (login_limit, kept_login),
        (NOW, kept_login),
    ):
        row = writes.add(session, LoginAttempt, {"username": "u", "client": "c", "at": at})
        bucket.add(row.id)
    session.commit()
    return {
        "old_audit": old_audit,
        "kept_audit": kept_audit,
        "old_surveys": {surveys["closed_old"], surveys["year_old"]},
        "kept_surveys": {surveys["closed_limit"], surveys["year_kept"], surveys["late_close"]},
        "old_login": old_login,
        "kept_login": kept_login,
    }


def test_retention_deletes_exactly_the_rows_older_than_the_limits(engine, session):
    r = retention_world(session)
    result = gdpr.apply_retention(session, NOW, 1825, 1095, 30)
    assert (result.audit_entries, result.survey_answers) == (2, 2 * 3)
    assert (result.survey_participations, result.login_attempts) == (2, 1)
    assert result.cutoffs == {
        "audit": "2020-06-02T12:00:00+00:00",
        "survey": "2022-06-02",
        "login": "2025-05-02T12:00:00+00:00",
    }
    remaining = set(column(engine, "SELECT id FROM audit_entry WHERE action <> 'retention'"))
    assert remaining == r["kept_audit"]
    assert set(column(engine, "SELECT DISTINCT survey_id FROM survey_answer")) == r["kept_surveys"]
    assert scalar(engine, "SELECT count(*) FROM survey_answer") == 3 * 3
    assert set(column(engine, "SELECT survey_id FROM survey_participation")) == r["kept_surveys"]
    assert scalar(engine, "SELECT count(*) FROM survey") == 5  # surveys and questions stay
    assert set(column(engine, "SELECT id FROM login_attempt")) == r["kept_login"]
    # what was deleted is itself audited, by the maintenance run
    with engine.connect() as connection:
        logged = connection.execute(
            sa.text(
                "SELECT entity, new_value, username FROM audit_entry WHERE action = 'retention'"
            )
        ).all()
    assert sorted(logged) == [
        ("audit_entry", "2", "(underhåll)"),
        ("login_attempt", "1", "(underhåll)"),
        ("survey_answer", "6", "(underhåll)"),
        ("survey_participation", "2", "(underhåll)"),
    ]
    # a second run finds nothing more
    again = gdpr.apply_retention(session, NOW, 1825, 1095, 30)
    assert (again.audit_entries, again.survey_answers, again.login_attempts) == (0, 0, 0)


def test_retention_dry_run_counts_and_keeps_everything(engine, session):
    retention_world(session)
    before = fingerprint(engine)
    preview = gdpr.apply_retention(session, NOW, 1825, 1095, 30, dry_run=True)
    session.commit()
    assert fingerprint(engine) == before
    assert preview.dry_run
    done = gdpr.apply_retention(session, NOW, 1825, 1095, 30)
    assert {**preview.to_dict(), "dry_run": False} == done.to_dict()


def test_retention_off_keeps_everything(engine, session):
    retention_world(session)
    before = fingerprint(engine)
    result = gdpr.apply_retention(session, NOW, None, 0, None)
    assert (result.audit_entries, result.survey_answers, result.login_attempts) == (0, 0, 0)
    assert result.cutoffs == {"audit": None, "survey": None, "login": None}
    assert fingerprint(engine) == before


def test_erasure_keeps_the_number_of_entries_per_action(engine, session):
    w = build_world(session)
    actions_before = Counter(column(engine, "SELECT action FROM audit_entry"))
    gdpr.erase_person(session, admin(session, w), "aberg")
    actions_after = Counter(column(engine, "SELECT action FROM audit_entry"))
    assert actions_after - actions_before == Counter({"gdpr_erase": 1})
    assert actions_before - actions_after == Counter()


def test_answers_given_through_the_survey_service_are_exported_and_unlinked(engine, session):
    """The keys written by ``survey_service.answer`` are the ones export and erasure look for."""
    from inventory import survey_service as surveys

    w = build_world(session)
    leader, anna = session.get(User, w.cecilia), session.get(User, w.anna)
    ids = {}
    for anonymous in (False, True):
        survey = surveys.create_survey(
            session,
            leader,
            title=f"Tjänsteenkät {anonymous}",
            year=2025,
            audience_role="chef",
            questions=[surveys.QuestionSpec("Hur nöjd är du?")],
            anonymous=anonymous,
        )
        surveys.publish(session, leader, survey.id)
        (question,) = surveys.open_surveys_for(session, anna)[0].questions
        surveys.answer(
            session, anna, survey.id, respondent_role="principal", answers={question.id: 5}
        )
        ids[anonymous] = survey.id
    exported = gdpr.export_person(session, admin(session, w), "aberg")
    assert [(a["survey_id"], a["likert_value"]) for a in exported["survey_answers"]] == [
        (w.named_survey, 4),
        (w.named_survey, None),
        (ids[False], 5),
    ]
    assert {p["survey_id"] for p in exported["survey_participations"]} >= set(ids.values())
    summary = gdpr.erase_person(session, admin(session, w), "aberg")
    assert summary.survey_answers_rekeyed == 3  # two in the world's survey, one here
    keys = column(
        engine, "SELECT respondent_key FROM survey_answer WHERE survey_id = :s", s=ids[False]
    )
    assert len(keys) == 1 and not keys[0].startswith("user-")
