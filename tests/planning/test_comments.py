"""planning.comments on SQLite and PostgreSQL: threads, statuses, moderation, deadline,
permissions, version links, the stored text and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.session import SessionUser
from inventory import writes
from inventory.models import AuditEntry, Scenario, User
from inventory.permissions import PermissionDeniedError
from planning import comments, lifecycle
from planning.comments import CommentError
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

TODAY = date(2025, 3, 10)
DEADLINE = TODAY + timedelta(days=7)
ROLES = ["admin", "projektledare", "referensgrupp", "chef"]
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[klicka](javascript:alert(1))",
    "**fet**",
    '=HYPERLINK("http://evil.example","klicka")',
    'rad ett\nrad två; med semikolon och "citat"',
]


@pytest.fixture
def world(session):
    """Exempelby's inventory, one account per role (+ a second reference-group member) and
    "Plan" version 1 open for comment until DEADLINE."""
    ids = small_inventory(session)
    users = {
        role: writes.add(session, User, {"username": role, "display_name": role, "role": role})
        for role in ROLES
    }
    users["ref2"] = writes.add(
        session,
        User,
        {"username": "ref2", "display_name": "Greta <b>Gran</b>", "role": "referensgrupp"},
    )
    municipality = session.execute(sa.text("SELECT id FROM municipality WHERE code = '9911'"))
    scenario = writes.add(
        session,
        Scenario,
        {
            "name": "Plan",
            "model": "manual",
            "base_year": 2024,
            "municipality_id": municipality.scalar_one(),
        },
    )
    session.commit()
    lifecycle.open_for_comment(session, users["projektledare"], scenario.id, DEADLINE, today=TODAY)
    session.commit()
    return {"ids": ids, "users": users, "scenario": scenario}


def _add(session, user, scenario_id, text, **kwargs):
    comment = comments.add_comment(session, user, scenario_id, text, today=TODAY, **kwargs)
    session.commit()
    return comment


def _stored(session, comment_id: int) -> dict:
    row = session.execute(
        sa.text(
            "SELECT text, status, scenario_version, hidden_reason, hidden_by_id, hidden_at "
            "FROM comment WHERE id = :id"
        ),
        {"id": comment_id},
    ).one()
    return row._asdict()


def test_threads_replies_and_statuses(session, world):
    users, scenario, ids = world["users"], world["scenario"], world["ids"]
    ref, leader = users["referensgrupp"], users["projektledare"]
    whole = _add(session, ref, scenario.id, "Bra förslag")
    about_school = _add(
        session, users["ref2"], scenario.id, "Granskolan behöver mer", school_id=ids["gran"]
    )
    # a reference-group reply leaves the thread open
    follow_up = _add(session, users["chef"], scenario.id, "Håller med", reply_to_id=about_school.id)
    assert _stored(session, about_school.id)["status"] == "open"
    # a leader's reply answers it; the reply inherits the school
    answer = comments.reply(session, leader, about_school.id, "Vi ser över det", today=TODAY)
    session.commit()
    assert answer.school_id == ids["gran"] and answer.reply_to_id == about_school.id
    assert _stored(session, about_school.id)["status"] == "answered"
    # a leader's reply to a reply answers that reply and the thread's first comment
    comments.set_status(session, leader, about_school.id, "open")
    session.commit()
    comments.reply(session, leader, follow_up.id, "Tack", today=TODAY)
    session.commit()
    assert _stored(session, about_school.id)["status"] == "answered"
    assert _stored(session, follow_up.id)["status"] == "answered"

    threads = comments.list_comments(session, users["chef"], scenario.id)
    assert [t.root.id for t in threads] == [whole.id, about_school.id]
    first, second = threads
    assert first.replies == () and first.status == "open"
    assert [r.text for r in second.replies] == ["Håller med", "Vi ser över det", "Tack"]
    assert {r.thread_id for r in second.replies} == {about_school.id}
    assert second.root.school_name == "Granskolan" and second.root.school_unit_code == "99110002"
    assert second.root.author == "Greta <b>Gran</b>" and second.root.author_role == "referensgrupp"
    assert first.root.school_id is None and first.root.scenario_version == 1

    comments.set_status(session, leader, about_school.id, "resolved")
    session.commit()
    assert comments.list_comments(session, ref, scenario.id)[1].status == "resolved"
    # setting the same status again changes nothing (no audit entry)
    entries = _audit_count(session)
    comments.set_status(session, leader, about_school.id, "resolved")
    assert _audit_count(session) == entries
    with pytest.raises(CommentError) as raised:
        comments.set_status(session, leader, answer.id, "resolved")
    assert raised.value.code == "status_on_reply"
    with pytest.raises(CommentError) as raised:
        comments.set_status(session, leader, whole.id, "done")
    assert raised.value.code == "unknown_status"


def _audit_count(session, **where) -> int:
    statement = (
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.entity == "comment")
    )
    for field, value in where.items():
        statement = statement.where(getattr(AuditEntry, field) == value)
    return session.execute(statement).scalar_one()


def test_every_write_is_audited(session, world):
    users, scenario = world["users"], world["scenario"]
    leader = users["projektledare"]
    root = _add(session, users["referensgrupp"], scenario.id, "=1+1")
    _add(session, leader, scenario.id, "Svar", reply_to_id=root.id)
    comments.set_status(session, leader, root.id, "resolved")
    comments.hide(session, leader, root.id, "Off topic")
    session.commit()
    rows = session.execute(
        sa.select(
            AuditEntry.action,
            AuditEntry.entity_id,
            AuditEntry.field,
            AuditEntry.old_value,
            AuditEntry.new_value,
            AuditEntry.username,
        )
        .where(AuditEntry.entity == "comment")
        .order_by(AuditEntry.id)
    ).all()
    rid = str(root.id)
    assert [tuple(r) for r in rows] == [
        ("create", rid, "text", None, "=1+1", "referensgrupp"),
        ("create", str(root.id + 1), "text", None, "Svar", "projektledare"),
        ("status", rid, "status", "open", "answered", "projektledare"),
        ("status", rid, "status", "answered", "resolved", "projektledare"),
        ("hide", rid, "hidden_reason", None, "Off topic", "projektledare"),
    ]


def test_hiding_keeps_the_text_and_shows_the_reason(session, world):
    users, scenario = world["users"], world["scenario"]
    leader, ref = users["projektledare"], users["referensgrupp"]
    bad = _add(session, ref, scenario.id, "Olämpligt inlägg")
    with pytest.raises(CommentError) as raised:
        comments.hide(session, leader, bad.id, "   ")
    assert raised.value.code == "reason_empty"
    with pytest.raises(CommentError) as raised:
        comments.hide(session, leader, bad.id, "x" * 1001)
    assert raised.value.code == "reason_too_long"
    comments.hide(session, leader, bad.id, "Personuppgifter")
    session.commit()
    stored = _stored(session, bad.id)
    assert stored["text"] == "Olämpligt inlägg"  # kept, never deleted
    assert stored["hidden_reason"] == "Personuppgifter" and stored["hidden_by_id"] == leader.id
    assert stored["hidden_at"] is not None

    seen_by_moderator = comments.list_comments(session, users["admin"], scenario.id)[0].root
    assert seen_by_moderator.text == "Olämpligt inlägg" and seen_by_moderator.hidden
    assert seen_by_moderator.hidden_by == "projektledare"
    for role in ("referensgrupp", "chef"):
        seen = comments.list_comments(session, users[role], scenario.id)[0].root
        assert seen.text is None and seen.hidden_reason == "Personuppgifter", role

    with pytest.raises(CommentError) as raised:
        comments.hide(session, leader, bad.id, "igen")
    assert raised.value.code == "already_hidden"
    with pytest.raises(CommentError) as raised:
        comments.reply(session, leader, bad.id, "svar", today=TODAY)
    assert raised.value.code == "reply_hidden"


def test_permissions(session, world):
    users, scenario = world["users"], world["scenario"]
    root = _add(session, users["referensgrupp"], scenario.id, "Synpunkt")
    before = database_fingerprint(session)
    for role in ("referensgrupp", "chef"):  # may comment, may not moderate
        with pytest.raises(PermissionDeniedError):
            comments.set_status(session, users[role], root.id, "resolved")
        with pytest.raises(PermissionDeniedError):
            comments.hide(session, users[role], root.id, "nej")
    inactive = SessionUser(
        "old", "Old", "referensgrupp", id=users["referensgrupp"].id, active=False
    )
    with pytest.raises(PermissionDeniedError):
        comments.add_comment(session, inactive, scenario.id, "hej", today=TODAY)
    with pytest.raises(PermissionDeniedError):
        comments.add_comment(session, None, scenario.id, "hej", today=TODAY)
    with pytest.raises(PermissionDeniedError):
        comments.list_comments(session, None, scenario.id)
    # a role without an account row (demo sign-in) cannot author a comment
    nobody = SessionUser("demo-chef", "Demo", "chef")
    with pytest.raises(CommentError) as raised:
        comments.add_comment(session, nobody, scenario.id, "hej", today=TODAY)
    assert raised.value.code == "account_required"
    session.rollback()
    assert database_fingerprint(session) == before


@pytest.mark.parametrize("status", ["draft", "revised", "adopted", "archived"])
def test_nobody_comments_unless_open_for_comment(session, world, status):
    users, scenario = world["users"], world["scenario"]
    root = _add(session, users["referensgrupp"], scenario.id, "Före")
    session.execute(sa.update(Scenario).where(Scenario.id == scenario.id).values(status=status))
    session.commit()
    before = database_fingerprint(session)
    for role in ROLES:
        with pytest.raises(PermissionDeniedError, match="not open for comment"):
            comments.add_comment(session, users[role], scenario.id, "Hej", today=TODAY)
        with pytest.raises(PermissionDeniedError):
            comments.reply(session, users[role], root.id, "Hej", today=TODAY)
    session.rollback()
    assert database_fingerprint(session) == before
    # moderation does not depend on the status
    comments.set_status(session, users["projektledare"], root.id, "resolved")


def test_deadline(session, world):
    users, scenario = world["users"], world["scenario"]
    ref, leader = users["referensgrupp"], users["projektledare"]
    root = comments.add_comment(session, ref, scenario.id, "sista dagen", today=DEADLINE)
    session.commit()
    after = DEADLINE + timedelta(days=1)
    before = database_fingerprint(session)
    for user, kwargs in (
        (ref, {}),
        (ref, {"reply_to_id": root.id}),
        (leader, {}),  # a new thread, even by a leader
        (users["chef"], {"reply_to_id": root.id}),
    ):
        with pytest.raises(CommentError) as raised:
            comments.add_comment(session, user, scenario.id, "för sent", today=after, **kwargs)
        assert raised.value.code == "deadline_passed"
        assert raised.value.details["deadline"] == DEADLINE
        assert DEADLINE.isoformat() in str(raised.value)
    session.rollback()
    assert database_fingerprint(session) == before
    # project leaders still answer after the deadline
    comments.reply(session, leader, root.id, "Svar efter sista dagen", today=after)
    session.commit()
    assert _stored(session, root.id)["status"] == "answered"
    window = comments.comment_window(session.get(Scenario, scenario.id), after)
    assert window.open and window.passed and not window.accepting


def test_text_and_target_validation(session, world):
    users, scenario, ids = world["users"], world["scenario"], world["ids"]
    ref = users["referensgrupp"]
    other_scenario = writes.add(
        session,
        Scenario,
        {"name": "Annan", "model": "manual", "base_year": 2024, "status": "open_for_comment"},
    )
    elsewhere = _add(session, ref, other_scenario.id, "annan plan")
    before = database_fingerprint(session)
    cases = [
        ({"text": ""}, "text_empty"),
        ({"text": " \n\t "}, "text_empty"),
        ({"text": "x" * 5001}, "text_too_long"),
        ({"text": "a\x00b"}, "nul"),
        ({"text": "ok", "school_id": ids["other"]}, "school_elsewhere"),
        ({"text": "ok", "reply_to_id": elsewhere.id}, "reply_elsewhere"),
    ]
    for kwargs, code in cases:
        text = kwargs.pop("text")
        with pytest.raises(CommentError) as raised:
            comments.add_comment(session, ref, scenario.id, text, today=TODAY, **kwargs)
        assert raised.value.code == code
    with pytest.raises(CommentError) as raised:
        comments.add_comment(session, ref, scenario.id, "x" * 5001, today=TODAY)
    assert raised.value.details == {"length": 5001, "limit": 5000}
    for kwargs in ({"school_id": 999_999}, {"reply_to_id": 999_999}):
        with pytest.raises(LookupError):
            comments.add_comment(session, ref, scenario.id, "ok", today=TODAY, **kwargs)
    with pytest.raises(LookupError):
        comments.add_comment(session, ref, 999_999, "ok", today=TODAY)
    session.rollback()
    assert database_fingerprint(session) == before
    # the limits themselves are fine; a scenario for every municipality takes any school
    longest = _add(session, ref, scenario.id, "y" * 5000)
    assert len(_stored(session, longest.id)["text"]) == 5000
    anywhere = _add(session, ref, other_scenario.id, "Björken", school_id=ids["other"])
    assert anywhere.school_id == ids["other"]


def test_text_is_stored_as_typed(session, world):
    users, scenario = world["users"], world["scenario"]
    for payload in PAYLOADS:
        comment = _add(session, users["referensgrupp"], scenario.id, payload)
        assert _stored(session, comment.id)["text"] == payload
    texts = [t.root.text for t in comments.list_comments(session, users["chef"], scenario.id)]
    assert texts == PAYLOADS


def test_comments_stay_linked_to_their_version_after_a_revise(session, world):
    users, scenario = world["users"], world["scenario"]
    ref, leader = users["referensgrupp"], users["projektledare"]
    on_v1 = _add(session, ref, scenario.id, "om version 1")
    v2 = lifecycle.revise(session, leader, scenario.id, note="efter synpunkter")
    session.commit()
    assert _stored(session, on_v1.id)["scenario_version"] == 1
    # v1 is archived and v2 revised: neither takes comments until v2 goes out again
    with pytest.raises(PermissionDeniedError):
        comments.add_comment(session, ref, v2.id, "nu?", today=TODAY)
    lifecycle.open_for_comment(session, leader, v2.id, DEADLINE, today=TODAY)
    session.commit()
    on_v2 = _add(session, ref, v2.id, "om version 2")
    # answering the version-1 comment on version 2
    reply = comments.reply(session, leader, on_v1.id, "ändrat i v2", scenario_id=v2.id, today=TODAY)
    session.commit()
    assert (reply.scenario_id, reply.scenario_version) == (v2.id, 2)
    assert _stored(session, on_v2.id)["scenario_version"] == 2
    # both versions list every comment of the name, each with its version
    for scenario_id in (scenario.id, v2.id):
        threads = comments.list_comments(session, ref, scenario_id)
        assert [(t.root.text, t.root.scenario_version) for t in threads] == [
            ("om version 1", 1),
            ("om version 2", 2),
        ]
        assert [(r.text, r.scenario_version) for r in threads[0].replies] == [("ändrat i v2", 2)]
        assert threads[0].status == "answered"


def _parse(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_export_for_swedish_excel(session, world):
    users, scenario, ids = world["users"], world["scenario"], world["ids"]
    leader, ref = users["projektledare"], users["ref2"]
    made = [_add(session, ref, scenario.id, p) for p in PAYLOADS]
    school = _add(session, ref, scenario.id, "+SUM(A1)", school_id=ids["ek"])
    answer = _add(session, leader, scenario.id, "-svar", reply_to_id=school.id)
    comments.hide(session, leader, made[0].id, "@skäl")
    session.commit()

    rows = _parse(comments.comments_csv(session, ref, scenario.id))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Nr", "Tråd", "Svar på", "Scenario", "Version"]
    assert len(body) == len(PAYLOADS) + 2 and all(len(r) == len(header) for r in body)
    column = {name: i for i, name in enumerate(header)}
    by_id = {int(r[column["Nr"]]): r for r in body}
    text = column["Synpunkt"]
    # formulas neutralised with a leading apostrophe; the rest verbatim
    assert by_id[made[4].id][text] == "'" + PAYLOADS[4]
    assert by_id[school.id][text] == "'+SUM(A1)"
    assert by_id[answer.id][text] == "'-svar"
    for i in (1, 2, 3, 5):
        assert by_id[made[i].id][text] == PAYLOADS[i]
    # hidden: no text for a reference-group reader, the reason (defused) for everybody
    hidden = by_id[made[0].id]
    assert hidden[text] == "" and hidden[column["Dold"]] == "ja"
    assert hidden[column["Skäl"]] == "'@skäl" and hidden[column["Dold av"]] == "projektledare"
    # the thread, the school and Swedish labels
    reply_row = by_id[answer.id]
    assert reply_row[column["Tråd"]] == reply_row[column["Svar på"]] == str(school.id)
    assert reply_row[column["Trådens status"]] == "besvarad"
    assert by_id[school.id][column["Skolenhet"]] == "Ekskolan"
    assert by_id[made[1].id][column["Skolenhet"]] == "hela scenariot"
    assert by_id[school.id][column["Roll"]] == "referensgrupp"
    assert by_id[school.id][column["Författare"]] == "Greta <b>Gran</b>"

    moderator_rows = _parse(comments.comments_csv(session, leader, scenario.id, lang="en"))
    english = {name: i for i, name in enumerate(moderator_rows[0])}
    hidden_for_leader = next(r for r in moderator_rows[1:] if r[0] == str(made[0].id))
    assert hidden_for_leader[english["Comment"]] == PAYLOADS[0]
    assert hidden_for_leader[english["Hidden"]] == "yes"
    assert {r[english["Role"]] for r in moderator_rows[1:]} == {"reference group", "project leader"}


def test_run_write_commits_and_passes_other_errors_through(engine, world_engine):
    scenario_id, ref = world_engine
    new_id = comments.run_write(
        engine, lambda s: comments.add_comment(s, ref, scenario_id, "via run_write", today=TODAY).id
    )
    with Session(engine) as session:
        assert _stored(session, new_id)["text"] == "via run_write"
    with pytest.raises(CommentError):
        comments.run_write(
            engine, lambda s: comments.add_comment(s, ref, scenario_id, "", today=TODAY)
        )


@pytest.fixture
def world_engine(engine):
    with Session(engine) as session:
        ref = writes.add(
            session, User, {"username": "r", "display_name": "r", "role": "referensgrupp"}
        )
        scenario = writes.add(
            session,
            Scenario,
            {"name": "P", "model": "manual", "base_year": 2024, "status": "open_for_comment"},
        )
        session.commit()
        return scenario.id, SessionUser("r", "r", "referensgrupp", id=ref.id)
