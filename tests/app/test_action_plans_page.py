"""The action-plans page (Handlingsplaner) through the entrypoint, on the demo database."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from app.session import ROLES
from inventory import repository
from inventory.action_plan_service import load_plan, save_plan
from inventory.db import make_engine
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/action_plans.py"
TIMEOUT = 60
KINDS = ("library_plan", "reading_promotion", "media_information_literacy")


def open_page(role: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["filter_demo_role"] = role
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def matrix(at: AppTest):
    return at.container(key="action_plans_matrix").dataframe[0]


def _expected(url: str, year: int) -> tuple[int, dict[str, int]]:
    """School units of 9901 that year and how many have each status of the library plan."""
    engine = make_engine(url)
    with Session(engine) as session:
        schools = repository.school_frame(session, years=[year], municipality="9901")
        plans = repository.action_plans(session, years=[year], municipality="9901")
    engine.dispose()
    library = plans[plans["kind"] == "library_plan"]
    counts = library["status"].value_counts().to_dict()
    counts["not_recorded"] = len(schools) - len(library)
    return len(schools), counts


@pytest.mark.parametrize("role", ROLES)
def test_renders_for_every_role(demo_app, role):
    at = open_page(role)
    assert at.title[0].value == "Handlingsplaner"
    assert any(info.value.startswith("Fiktiva exempeldata") for info in at.info)
    for key in ("action_plans_coverage", "action_plans_matrix", "action_plans_status"):
        assert at.get_by_key(key) is not None
    assert len(at.get("vega_lite_chart")) == 1


def test_matrix_statuses_links_and_coverage(demo_app):
    at = open_page()
    year = at.selectbox(key="year_sv").value
    schools, counts = _expected(demo_app, year)
    table = matrix(at).value
    assert len(table) == schools
    shown = table["library_plan_status"].value_counts().to_dict()
    labels = {
        "adopted": "✅ Antagen",
        "under_revision": "🔄 Under revidering",
        "draft": "📝 Utkast",
        "missing": "❌ Saknas",
        "not_recorded": "➖ Ingen uppgift",
    }
    assert shown == {labels[s]: n for s, n in counts.items() if n}
    config = json.loads(matrix(at).proto.columns)
    for kind in KINDS:
        assert config[f"{kind}_document_link"]["type_config"]["type"] == "link"
    assert config["library_plan_status"]["label"] == "Biblioteksplan"
    # a document link only where a plan has one
    links = table["library_plan_document_link"].notna()
    assert links.any() and not links.all()
    metrics = {m.label: m.value for m in at.metric}
    adopted = counts.get("adopted", 0)
    assert metrics["Skolenheter"] == str(schools)
    assert metrics["Skolenheter med antagen biblioteksplan"] == (
        f"{round(adopted / schools * 100)}\xa0%"
    )
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["x"]["field"] == "schools"
    assert spec["title"].startswith("Skolenheter efter planernas status")


def test_year_filter_changes_the_table(demo_app):
    at = open_page()
    before = matrix(at).value
    at.selectbox(key="year_sv").select(2024).run()
    assert not at.exception
    after = matrix(at).value
    assert at.get_by_key("action_plans_matrix") is not None
    assert not before["library_plan_status"].equals(after["library_plan_status"])
    _, counts = _expected(demo_app, 2024)
    assert (after["library_plan_status"] == "📝 Utkast").sum() == counts.get("draft", 0)
    # no plans recorded before 2023: a message, and every unit "no information"
    at.selectbox(key="year_sv").select(2019).run()
    assert not at.exception
    assert any("Inga handlingsplaner är registrerade för 2019" in i.value for i in at.info)
    oldest = matrix(at).value
    for kind in KINDS:
        assert (oldest[f"{kind}_status"] == "➖ Ingen uppgift").all()


def test_district_filter_narrows_the_table(demo_app):
    at = open_page()
    everything = matrix(at).value
    district = everything["district"].dropna().iloc[0]
    at.multiselect(key="district_sv").select(district).run()
    assert not at.exception
    narrowed = matrix(at).value
    assert 0 < len(narrowed) < len(everything)
    assert (narrowed["district"] == district).all()


def test_english_switch(demo_app):
    at = open_page(lang="en")
    assert at.title[0].value == "Action plans"
    assert (
        at.container(key="action_plans_matrix").header[0].value.startswith("Plans per school unit")
    )
    config = json.loads(matrix(at).proto.columns)
    assert config["library_plan_status"]["label"] == "Library plan"
    assert (
        matrix(at)
        .value["library_plan_status"]
        .str.contains("Adopted|Missing|Draft|revision|No information")
    ).all()


# --------------------------------------------------------------------------- editing


def open_as(url: str, role: str, username: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = account(url, username or f"konto-{role}", role)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def fetch(url: str, sql: str, **params) -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(sa.text(sql), params)]
    engine.dispose()
    return rows


def plan(url: str, school_id: int, year: int, kind: str) -> tuple | None:
    rows = fetch(
        url,
        "SELECT id, status, adopted_date, document_link, row_version FROM action_plan"
        " WHERE school_id = :s AND year = :y AND kind = :k",
        s=school_id,
        y=year,
        k=kind,
    )
    return rows[0] if rows else None


def editor_target(at: AppTest) -> tuple[int, int, str]:
    return (
        at.selectbox(key="action_plans_edit_school").value,
        at.selectbox(key="year_sv").value,
        at.selectbox(key="action_plans_edit_kind").value,
    )


def fill(at: AppTest, status: str, adopted: date | None, link: str) -> None:
    at.selectbox(key="action_plans_edit_status").set_value(status)
    at.date_input(key="action_plans_edit_adopted").set_value(adopted)
    at.text_input(key="action_plans_edit_link").set_value(link)
    at.button(key="action_plans_edit_save").click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_project_leader_edits_a_plan_and_every_change_is_audited(writable_demo_app):
    url = writable_demo_app
    at = open_as(url, "projektledare", "pl")
    school_id, year, kind = editor_target(at)
    before = plan(url, school_id, year, kind)
    status = "under_revision" if before and before[1] == "adopted" else "adopted"
    fill(at, status, date(2024, 2, 1), "https://kommun.example/plan.pdf")

    after = plan(url, school_id, year, kind)
    assert (after[1], str(after[2]), after[3]) == (
        status,
        "2024-02-01",
        "https://kommun.example/plan.pdf",
    )
    assert after[4] == (before[4] + 1 if before else 1)
    audit = fetch(
        url,
        "SELECT username, action, entity, entity_id, field, new_value FROM audit_entry"
        " WHERE entity = 'action_plan' ORDER BY id",
    )
    new = {
        "status": status,
        "adopted_date": "2024-02-01",
        "document_link": "https://kommun.example/plan.pdf",
    }
    old = dict(zip(new, before[1:4], strict=True)) if before else dict.fromkeys(new)
    changed = [f for f in new if (None if old[f] is None else str(old[f])) != new[f]]
    action = "edit" if before else "create"
    assert audit == [("pl", action, "action_plan", str(after[0]), f, new[f]) for f in changed]
    assert at.success[0].value.startswith(("Sparat", "Skapat"))
    # the matrix, read again after the save, shows the new status
    [(unit_code,)] = fetch(url, "SELECT school_unit_code FROM school WHERE id = :i", i=school_id)
    row = matrix(at).value.set_index("school_unit_code").loc[unit_code]
    expected = "✅ Antagen" if status == "adopted" else "🔄 Under revidering"
    assert row[f"{kind}_status"] == expected
    # the form now holds the saved version: saving unchanged values writes nothing
    at.button(key="action_plans_edit_save").click().run()
    assert [i.value for i in at.info if "Inget att spara" in i.value]
    assert plan(url, school_id, year, kind)[4] == after[4]


def test_a_stale_save_is_refused_and_reload_shows_the_other_save(writable_demo_app):
    url = writable_demo_app
    at = open_as(url, "projektledare", "pl")
    school_id, year, kind = editor_target(at)
    other = account(url, "bertil", "projektledare")
    # somebody else saves the plan after the page loaded it
    engine = make_engine(url)
    with Session(engine) as session:
        loaded = load_plan(session, school_id, year, kind)
    with Session(engine) as session:
        save_plan(
            session,
            other,
            school_id=school_id,
            year=year,
            kind=kind,
            status="draft",
            document_link="https://kommun.example/bertil.pdf",
            expected_version=loaded.row_version,
        )
    engine.dispose()
    theirs = plan(url, school_id, year, kind)

    fill(at, "adopted", date(2024, 3, 3), "https://kommun.example/pl.pdf")
    stale = at.container(key="action_plans_edit_stale")
    [message] = [e.value for e in stale.error]
    assert message.startswith("Handlingsplanen för ")
    assert " ändrades av bertil kl. " in message
    assert message.endswith("efter att du öppnade den – ladda om.")
    assert plan(url, school_id, year, kind) == theirs  # nothing of pl's save was written
    assert not fetch(url, "SELECT id FROM audit_entry WHERE username = 'pl'")

    at.button(key="action_plans_edit_reload").click().run()
    assert not at.exception
    assert at.selectbox(key="action_plans_edit_status").value == "draft"
    assert at.text_input(key="action_plans_edit_link").value == "https://kommun.example/bertil.pdf"
    fill(at, "adopted", date(2024, 3, 3), "https://kommun.example/pl.pdf")
    saved = plan(url, school_id, year, kind)
    assert (saved[1], str(saved[2]), saved[3], saved[4]) == (
        "adopted",
        "2024-03-03",
        "https://kommun.example/pl.pdf",
        theirs[4] + 1,
    )


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://kommun.example/plan.pdf"])
def test_a_bad_link_is_refused_and_nothing_changes(writable_demo_app, link):
    url = writable_demo_app
    at = open_as(url, "admin")
    school_id, year, kind = editor_target(at)
    before = fetch(url, "SELECT * FROM action_plan ORDER BY id")
    fill(at, "adopted", None, link)
    errors = at.container(key="action_plans_edit_errors")
    assert "https://" in errors.error[0].value and "Länken" in errors.error[0].value
    assert fetch(url, "SELECT * FROM action_plan ORDER BY id") == before
    assert not fetch(url, "SELECT id FROM audit_entry WHERE entity = 'action_plan'")


def test_a_stored_javascript_link_is_never_rendered(writable_demo_app):
    url = writable_demo_app
    at = open_as(url, "referensgrupp")
    year = at.selectbox(key="year_sv").value
    unit_code = matrix(at).value["school_unit_code"].iloc[0]
    [(school_id,)] = fetch(url, "SELECT id FROM school WHERE school_unit_code = :c", c=unit_code)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "DELETE FROM action_plan"
                " WHERE school_id = :s AND year = :y AND kind = 'library_plan'"
            ),
            {"s": school_id, "y": year},
        )
        connection.execute(
            sa.text(
                "INSERT INTO action_plan"
                " (school_id, year, kind, status, document_link, row_version)"
                " VALUES (:s, :y, 'library_plan', 'adopted', 'javascript:alert(1)', 1)"
            ),
            {"s": school_id, "y": year},
        )
    engine.dispose()
    at = open_as(url, "referensgrupp")
    links = matrix(at).value.set_index("school_unit_code")["library_plan_document_link"]
    assert pd.isna(links.loc[unit_code])
    assert not links.dropna().str.lower().str.startswith("javascript").any()


@pytest.mark.parametrize("role", ["referensgrupp", "chef"])
def test_no_edit_controls_without_the_edit_permission(writable_demo_app, role):
    at = open_as(writable_demo_app, role)
    with pytest.raises(KeyError):
        at.get_by_key("action_plans_edit")
    assert not at.form_submit_button
    assert "action_plans_edit_save" not in {b.key for b in at.button}
