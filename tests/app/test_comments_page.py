"""The Synpunkter page and the lifecycle part of Scenarier through AppTest, on a private copy
of the demo database, for the reference group, a project leader and a manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.services import comments as svc
from app.services.lifecycle import history_table, status_label
from inventory import db, writes
from inventory.demo import DEMO_MUNICIPALITY_CODE
from inventory.models import Municipality, Scenario, School
from planning import comments, lifecycle
from tests.app.conftest import ENTRYPOINT, account

TIMEOUT = 60
PAGE = "app/pages/comments.py"
SCENARIOS_PAGE = "app/pages/scenarios.py"
PAYLOAD = "\n".join(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[klicka](javascript:alert(1))",
        "**fet**",
        '=HYPERLINK("http://evil.example";"klicka")',
    ]
)
#: pieces of the payloads that must never reach a Markdown element as they are
LIVE = ("javascript:", "onerror=", "**fet**", "alert(1)")


def _escaped(value: str, index: int) -> bool:
    """Whether ``value[index]`` follows an odd number of backslashes (a Markdown escape)."""
    backslashes = len(value[:index]) - len(value[:index].rstrip("\\"))
    return backslashes % 2 == 1


def live_markup(value: str) -> list[str]:
    """HTML tags, links and payload pieces that Markdown would act on in ``value``."""
    found = [piece for piece in LIVE if piece in value]
    for index, char in enumerate(value):
        if char == "<" and not _escaped(value, index):
            found.append(value[index : index + 12])
        if value.startswith("](", index) and not _escaped(value, index):
            found.append(value[max(0, index - 10) : index + 12])
    return found


def open_page(user, lang: str | None = None, page: str = PAGE) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = user
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def markdown_values(at: AppTest) -> list[str]:
    """Every element whose text Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "title", "subheader", "header", "info", "warning", "error")
    values = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    return values + [str(e.value) for e in at.success]


def find(at: AppTest, key: str):
    """The element or container with ``key``, or ``None``."""
    try:
        return at.get_by_key(key)
    except KeyError:
        return None


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def submit(at: AppTest, key: str) -> AppTest:
    button = next(b for b in at.form_submit_button if b.key == key)
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def button_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button} | {b.key for b in at.form_submit_button}


def scenario(url: str, name: str = "Plan Syd", *, open_days: int | None = 10) -> int:
    """A version in the demo municipality; opened for comment unless ``open_days`` is None."""
    leader = account(url, "pl", "projektledare")
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            municipality = session.execute(
                sa.select(Municipality.id).where(Municipality.code == DEMO_MUNICIPALITY_CODE)
            ).scalar_one()
            row = writes.add(
                session,
                Scenario,
                {
                    "name": name,
                    "model": "manual",
                    "base_year": 2024,
                    "municipality_id": municipality,
                },
            )
            lifecycle.record_created(session, leader, row)
            session.commit()
            if open_days is not None:
                deadline = lifecycle.local_today() + timedelta(days=open_days)
                lifecycle.open_for_comment(session, leader, row.id, deadline)
                session.commit()
            return row.id
    finally:
        engine.dispose()
        st.cache_data.clear()  # written behind the app's back: forget what it read


def seed_comment(url: str, user, scenario_id: int, text: str, school: bool = False) -> int:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            school_id = None
            if school:
                school_id = comments.scenario_schools(session, scenario_id)[0][0]
            row = comments.add_comment(session, user, scenario_id, text, school_id=school_id)
            session.commit()
            return row.id
    finally:
        engine.dispose()
        st.cache_data.clear()


def execute(url: str, statement) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()
        st.cache_data.clear()


def test_reference_group_comments_and_user_text_stays_text(writable_demo_app):
    url = writable_demo_app
    scenario_id = scenario(url)
    ref = account(url, "ref", "referensgrupp")
    # the author's display name is user text too
    execute(
        url,
        sa.text(
            "UPDATE app_user SET display_name = '<img src=x onerror=alert(1)> [a](javascript:x)'"
            " WHERE username = 'ref'"
        ),
    )
    at = open_page(ref)
    assert at.title[0].value == "Synpunkter"
    assert at.selectbox(key="comments_scenario").value == scenario_id
    info = at.get_by_key("comments_scenario_info")
    assert info is not None
    assert "Synpunkter tas emot till och med" in " ".join(c.value for c in at.caption)
    assert "comments_new_submit" in button_keys(at)
    # a reference-group member cannot moderate
    assert not any(k.startswith(("comments_resolve", "comments_hide")) for k in button_keys(at))

    at.text_area(key="comments_new_text").input(PAYLOAD)
    submit(at, "comments_new_submit")
    assert any("Synpunkten är sparad" in s.value for s in at.success)
    engine = db.make_engine(url)
    with Session(engine) as session:
        first_school = comments.scenario_schools(session, scenario_id)[0][0]
    engine.dispose()
    at.selectbox(key="comments_new_school").set_value(first_school)
    at.text_area(key="comments_new_text").input("**fet** om en skola")
    submit(at, "comments_new_submit")

    # the payload is shown verbatim as plain text, line breaks and all
    assert PAYLOAD in texts(at)
    assert "**fet** om en skola" in texts(at)
    for value in markdown_values(at):
        assert live_markup(value) == [], value
    assert not at.html
    # the stored text is exactly what was typed
    engine = db.make_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT text, school_id FROM comment ORDER BY id")
        ).all()
    engine.dispose()
    assert [r[0] for r in stored] == [PAYLOAD, "**fet** om en skola"]
    assert stored[0][1] is None and stored[1][1] == first_school
    # the school comment names its school in the thread's caption
    engine = db.make_engine(url)
    with Session(engine) as session:
        school = session.get(School, stored[1][1])
    engine.dispose()
    captions = " ".join(c.value for c in at.caption)
    assert svc.escape_markdown(school.name) in captions and "Hela scenariot" in captions
    # each thread has a badge that says its status in words
    badges = [m for m in markdown_values(at) if "-badge[" in m]
    assert len(badges) == 2 and all("Öppen" in b for b in badges)


def test_empty_comment_is_refused_with_a_message(writable_demo_app):
    url = writable_demo_app
    scenario(url)
    at = open_page(account(url, "ref", "referensgrupp"))
    at.text_area(key="comments_new_text").input("   ")
    submit(at, "comments_new_submit")
    assert any("Skriv en synpunkt först" in e.value for e in at.error)
    assert not at.get_by_key("comments_threads").get("text")
    engine = db.make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM comment")).scalar_one() == 0
    engine.dispose()


def test_project_leader_replies_resolves_and_hides(writable_demo_app):
    url = writable_demo_app
    scenario_id = scenario(url)
    ref = account(url, "ref", "referensgrupp")
    first = seed_comment(url, ref, scenario_id, "Mer tid till Norrskolan")
    second = seed_comment(url, ref, scenario_id, "Namn och personnummer här", school=True)
    leader = account(url, "pl", "projektledare")
    at = open_page(leader)
    assert {f"comments_resolve_{first}", f"comments_resolve_{second}"} <= button_keys(at)

    at.text_area(key=f"comments_reply_text_{first}").input("Vi tittar på det")
    submit(at, f"comments_reply_{first}")
    thread = at.get_by_key(f"comments_thread_{first}")
    assert "Vi tittar på det" in [t.value for t in thread.get("text")]
    assert any("Besvarad" in m.value for m in thread.get("markdown"))

    at.button(key=f"comments_resolve_{first}").click().run()
    assert not at.exception
    thread = at.get_by_key(f"comments_thread_{first}")
    assert any("Löst" in m.value for m in thread.get("markdown"))
    assert f"comments_reopen_{first}" in button_keys(at)

    # hiding needs a reason
    submit(at, f"comments_hide_{second}")
    assert any("Ange ett skäl" in e.value for e in at.error)
    at.text_input(key=f"comments_hide_reason_{second}").input("Personuppgifter <b>x</b>")
    submit(at, f"comments_hide_{second}")
    assert any(f"Synpunkt nr {second} är dold" in s.value for s in at.success)
    # the moderator still reads it, with the reason
    shown = texts(at)
    assert "Namn och personnummer här" in shown
    assert "Dold av moderator: Personuppgifter <b>x</b>" in shown

    # the reference group sees the reason, not the text
    as_ref = open_page(ref)
    assert "Dold av moderator: Personuppgifter <b>x</b>" in texts(as_ref)
    everything = texts(as_ref) + markdown_values(as_ref)
    assert not any("personnummer" in value for value in everything)
    for value in markdown_values(as_ref):
        assert live_markup(value) == [], value

    # the status filter shows only resolved threads
    at.segmented_control(key="comments_filter_status").set_value("resolved").run()
    assert find(at, f"comments_thread_{first}") is not None
    assert find(at, f"comments_thread_{second}") is None


def test_manager_comments_without_moderation_and_downloads(writable_demo_app):
    url = writable_demo_app
    scenario_id = scenario(url)
    seed_comment(url, account(url, "ref", "referensgrupp"), scenario_id, "=1+1")
    chef = account(url, "boss", "chef")
    at = open_page(chef, lang="en")
    assert at.title[0].value == "Comments"
    assert "comments_new_submit" in button_keys(at)
    assert not any(k.startswith(("comments_resolve", "comments_hide")) for k in button_keys(at))
    (download,) = at.download_button
    assert download.key == "comments_download"
    at.text_area(key="comments_new_text").input("Ser bra ut")
    submit(at, "comments_new_submit")
    assert any("The comment is saved" in s.value for s in at.success)
    assert "Ser bra ut" in texts(at) and "=1+1" in texts(at)


def test_closed_and_expired_scenarios(writable_demo_app):
    url = writable_demo_app
    leader = account(url, "pl", "projektledare")
    ref = account(url, "ref", "referensgrupp")
    # a draft is not listed at all
    scenario(url, "Utkastet", open_days=None)
    at = open_page(ref)
    assert any("Inget scenario har öppnats" in i.value for i in at.info)

    scenario_id = scenario(url, "Planen")
    seed_comment(url, ref, scenario_id, "I tid")
    yesterday = lifecycle.local_today() - timedelta(days=1)
    execute(
        url,
        sa.update(Scenario).where(Scenario.id == scenario_id).values(comment_deadline=yesterday),
    )
    at = open_page(ref)
    assert any(yesterday.isoformat() in w.value for w in at.warning)
    assert "comments_new_submit" not in button_keys(at)
    assert not any(k.startswith("comments_reply_") for k in button_keys(at))
    # the leader may still answer, not start new threads
    at = open_page(leader)
    assert "comments_new_submit" not in button_keys(at)
    assert any(k.startswith("comments_reply_") for k in button_keys(at))

    execute(url, sa.update(Scenario).where(Scenario.id == scenario_id).values(status="adopted"))
    at = open_page(ref)
    assert any("tar inte emot synpunkter" in i.value for i in at.info)
    assert "I tid" in texts(at)  # still readable
    assert "comments_new_submit" not in button_keys(at)


# --------------------------------------------------------------------------- Scenarier


def test_lifecycle_on_the_scenarios_page(writable_demo_app):
    url = writable_demo_app
    scenario_id = scenario(url, "Plan Väst", open_days=None)
    leader = account(url, "pl", "projektledare")
    at = open_page(leader, page=SCENARIOS_PAGE)
    saved = at.get_by_key("scenarios_saved").get("dataframe")[0].value
    assert saved.set_index("name").loc["Plan Väst", "status"] == status_label("draft")
    box = at.get_by_key("scenarios_lifecycle")
    assert at.selectbox(key="scenarios_lifecycle_pick").value == scenario_id
    assert {"scenarios_lifecycle_open_for_comment", "scenarios_lifecycle_archive"} <= button_keys(
        at
    )
    assert "scenarios_lifecycle_adopt" not in button_keys(at)
    history = box.get("dataframe")[0].value
    assert history["step"].tolist() == [status_label("draft")]

    deadline = lifecycle.local_today() + timedelta(days=5)
    at.date_input(key="scenarios_lifecycle_deadline").set_value(deadline)
    at.text_input(key="scenarios_lifecycle_note").input("Remiss till referensgruppen")
    at.button(key="scenarios_lifecycle_open_for_comment").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(status_label("open_for_comment") in s.value for s in at.success)
    history = at.get_by_key("scenarios_lifecycle").get("dataframe")[0].value
    assert (
        history["step"].tolist()[0]
        == f"{status_label('draft')} → {status_label('open_for_comment')}"
    )
    assert history["note"].tolist()[0] == "Remiss till referensgruppen"
    assert deadline.isoformat() in " ".join(c.value for c in at.caption)

    # the reference group reads the history and may take no step
    ref_view = open_page(account(url, "ref", "referensgrupp"), page=SCENARIOS_PAGE)
    assert not any(k.startswith("scenarios_lifecycle_") for k in button_keys(ref_view))
    assert any("kan inte ändra statusen" in c.value for c in ref_view.caption)

    # the project leader revises: version 2 appears, version 1 is archived
    at.button(key="scenarios_lifecycle_revise").click().run()
    assert not at.exception
    assert any("Plan Väst version 2" in s.value for s in at.success)

    # the manager adopts version 2
    chef_view = open_page(account(url, "boss", "chef"), page=SCENARIOS_PAGE)
    assert button_keys(chef_view) & {
        k for k in button_keys(chef_view) if k.startswith("scenarios_lifecycle_")
    } == {"scenarios_lifecycle_adopt"}
    chef_view.button(key="scenarios_lifecycle_adopt").click().run()
    assert not chef_view.exception
    assert any(status_label("adopted") in s.value for s in chef_view.success)
    assert "Antaget av boss" in " ".join(c.value for c in chef_view.caption)
    engine = db.make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT version, status FROM scenario WHERE name = 'Plan Väst' ORDER BY version"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "archived"), (2, "adopted")]


def test_the_markup_check_itself():
    assert live_markup("<img src=x>") == ["<img src=x>"]
    assert live_markup(r"\<img src\=x\>") == []
    assert live_markup(r"\\<b>") == ["<b>"]  # an escaped backslash does not escape the tag
    assert live_markup("[a](b)") == ["[a](b)"]
    assert live_markup(r"\[a\]\(b\)") == []
    assert live_markup(":orange-badge[Öppen]") == []
    assert live_markup("**fet**") == ["**fet**"]


def test_escape_markdown_and_helpers():
    assert svc.escape_markdown("**fet** [a](javascript:x) <b>\n$x$ :red[y]") == (
        r"\*\*fet\*\* \[a\]\(javascript\:x\) \<b\> \$x\$ \:red\[y\]"
    )
    assert svc.export_file_name("Omfördelning / Syd!", 3) == "synpunkter-omfordelning-syd-v3.csv"
    assert svc.export_file_name("???", 1) == "synpunkter-scenario-v1.csv"


@pytest.mark.parametrize(
    "exc, expected",
    [
        (
            comments.CommentError("deadline_passed", "x", deadline=lifecycle.local_today()),
            "gick ut",
        ),
        (comments.CommentError("text_too_long", "x", length=5001, limit=5000), "5001 tecken"),
        (comments.CommentError("reply_hidden", "x", comment=7), "nr 7"),
    ],
)
def test_error_messages_are_translated(exc, expected):
    assert expected in svc.error_message(exc)


def test_history_table_is_newest_first():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2025-01-01T10:00Z", "2025-06-01T10:00Z"], utc=True),
            "scenario_id": [1, 1],
            "version": [1, 1],
            "from_status": [None, "draft"],
            "to_status": ["draft", "open_for_comment"],
            "username": ["pl", "pl"],
            "note": [None, "x"],
        }
    )
    table = history_table(frame, "sv")
    # Swedish time: UTC+1 in January, UTC+2 in June
    assert table["at"].tolist() == ["2025-06-01 12:00", "2025-01-01 11:00"]
    assert table["step"].tolist() == ["📝 Utkast → 💬 Öppet för synpunkter", "📝 Utkast"]


@pytest.mark.parametrize("role", ["admin", "projektledare", "referensgrupp", "chef"])
def test_every_role_opens_the_page_without_scenarios(demo_app, role):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["filter_demo_role"] = role
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Synpunkter"
    assert any("Inget scenario har öppnats" in i.value for i in at.info)


def test_a_demo_account_comments_under_its_own_name(writable_demo_app):
    url = writable_demo_app
    scenario(url)
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["filter_demo_role"] = "referensgrupp"  # the demo switch, no sign-in
    at.run()
    at.switch_page(PAGE).run()
    at.text_area(key="comments_new_text").input("Från demoläget")
    submit(at, "comments_new_submit")
    assert "Från demoläget" in texts(at)
    engine = db.make_engine(url)
    with engine.connect() as connection:
        author = connection.execute(
            sa.text(
                "SELECT u.username, c.author_role FROM comment c"
                " JOIN app_user u ON u.id = c.author_id"
            )
        ).one()
    engine.dispose()
    assert tuple(author) == ("referensgrupp", "referensgrupp")


def test_a_refused_comment_keeps_its_text_and_a_saved_one_clears_it(writable_demo_app):
    url = writable_demo_app
    scenario_id = scenario(url)
    at = open_page(account(url, "ref", "referensgrupp"))
    at.text_area(key="comments_new_text").input("Första")
    submit(at, "comments_new_submit")
    assert at.text_area(key="comments_new_text").value == ""
    # the period ends while the next comment is being written; the page still shows the
    # form it read before (cached), the domain refuses
    yesterday = lifecycle.local_today() - timedelta(days=1)
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.update(Scenario).where(Scenario.id == scenario_id).values(comment_deadline=yesterday)
        )
    engine.dispose()
    at.text_area(key="comments_new_text").input("En lång synpunkt")
    submit(at, "comments_new_submit")
    assert any(f"gick ut {yesterday.isoformat()}" in e.value for e in at.error)
    assert at.text_area(key="comments_new_text").value == "En lång synpunkt"
