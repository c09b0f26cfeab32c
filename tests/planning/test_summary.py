"""planning.summary on SQLite and PostgreSQL: the model of a small hand-checked inventory.

The inventory (tests/inventory/factories.py, 2024, Exempelby 9911): Ekskolan (300 pupils) and
Granskolan (300) share Ekbiblioteket (hosted by Ekskolan, 10+5+4+1 = 20 staffed hours a week,
45,000 SEK media, 6,000 loans, 4,000 physical items); Almskolan (50) has a book room with no
staff hours recorded and 400 items. Övrigby (9912, same county) has one school and no library.

Helpers here (``payload_inventory``, ``payload_summary``) also feed the export tests.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.i18n import fmt_number, fmt_percent
from app.services.reports import build_summary, overview_figures
from inventory import db, writes
from inventory.demo import load_demo
from inventory.models import Comment, Library, School, User
from inventory.permissions import PermissionDeniedError
from inventory.repository import library_year_frame
from planning.scenario import build_input, run_scenario
from planning.scenario_store import save_scenario
from planning.summary import (
    MAX_SCENARIOS,
    Summary,
    SummaryError,
    SummaryRequest,
    column_label,
)
from planning.summary import build_summary as planning_build_summary
from planning.summary_text import TEXT, format_number, format_percent
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

#: Text a spreadsheet would run as a formula; each lands in a name or comment below.
PAYLOADS = {
    "school": '=HYPERLINK("http://x")',
    "school2": "+cmd",
    "library": "-2+3",
    "scenario": "@SUM(1)",
    "comment": "=1+1 mer timmar",
    "tab": "\tcmd",
}


def _user(session, username: str, role: str, active: bool = True) -> User:
    user = writes.add(
        session,
        User,
        {"username": username, "display_name": f"{username} Ö", "role": role, "active": active},
    )
    session.commit()
    return user


def scenario_frame(ids: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_id": [ids["ekbib"], ids["bokrum"]],
            "pupils": [600.0, 50.0],
            "staffed_hours_week": [20.0, 0.0],
            "need_weight": [1.0, 1.0],
        }
    )


def plan(session, user, ids, name: str = "Plan A", code: str = "9911"):
    """Save a manual scenario: Ekbiblioteket 20 → 18.5 h, the book room 0 → 5 h."""
    run = run_scenario(
        scenario_frame(ids),
        "manual",
        {"hours": {str(ids["ekbib"]): 18.5, str(ids["bokrum"]): 5}},
    )
    row = save_scenario(session, user, name, run, 2024, code)
    session.commit()
    return row


def _comment(session, scenario, author, text, when, **extra):
    return writes.add(
        session,
        Comment,
        {
            "scenario_id": scenario.id,
            "author_id": author.id,
            "author_role": author.role,
            "text": text,
            "created_at": when,
            **extra,
        },
    )


def payload_inventory(session) -> tuple[dict[str, int], User]:
    """small_inventory with formula-like names, a scenario named like one, and comments."""
    ids = small_inventory(session)
    session.get(School, ids["ek"]).name = PAYLOADS["school"]
    session.get(School, ids["gran"]).name = PAYLOADS["school2"]
    session.get(Library, ids["ekbib"]).name = PAYLOADS["library"]
    session.commit()
    leader = _user(session, "pl", "projektledare")
    scenario = plan(session, leader, ids, name=PAYLOADS["scenario"])
    _comment(
        session,
        scenario,
        leader,
        PAYLOADS["comment"],
        datetime(2025, 3, 1, tzinfo=UTC),
        school_id=ids["alm"],
    )
    _comment(session, scenario, leader, PAYLOADS["tab"], datetime(2025, 3, 2, tzinfo=UTC))
    session.commit()
    return ids, leader


def payload_summary(session, lang: str = "sv") -> Summary:
    """The summary of :func:`payload_inventory` for Exempelby 2024 with its scenario."""
    _, leader = payload_inventory(session)
    request = SummaryRequest("9911", 2024, "municipality", (PAYLOADS["scenario"],), lang)
    return build_summary(session, leader, request)


def brute_gini(values: list[float], weights: list[float]) -> float:
    """sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mean), by brute force."""
    total = sum(weights)
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total
    pairs = sum(
        wi * wj * abs(vi - vj)
        for vi, wi in zip(values, weights, strict=True)
        for vj, wj in zip(values, weights, strict=True)
    )
    return pairs / (2 * total**2 * mean)


# --------------------------------------------------------------------------- the model


def test_summary_of_a_municipality_matches_hand_computed_figures(session):
    ids = small_inventory(session)
    leader = _user(session, "pl", "projektledare")
    plan(session, leader, ids)
    summary = build_summary(
        session, leader, SummaryRequest("9911", None, "municipality", ("Plan A",), "sv")
    )
    assert (summary.area_name, summary.area_code, summary.year) == ("Exempelby", "9911", 2024)
    assert summary.scope == "municipality" and summary.county_name == "Testlän"
    assert summary.fictional and summary.generated_by == "pl Ö"
    # 3 school units, 300 + 300 + 50 pupils, Ekbiblioteket and the book room
    counts = summary.counts
    assert (counts.schools, counts.pupils, counts.libraries) == (3, 650, 2)
    # Ekskolan and Granskolan are served by 20 h ≥ 20 h; the book room's staffing is unknown,
    # so Almskolan's 50 pupils are left out of the share
    assert counts.share_pupils_staffed == pytest.approx(1.0)
    assert counts.staffed_threshold == 20

    figures = {f.name: f for f in summary.key_figures}
    assert figures["staffed_hours_per_100_pupils"].value == pytest.approx(100 * 20 / 600)
    assert figures["staff_fte_per_1000_pupils"].value == pytest.approx(20 / 40 / 600 * 1000)
    assert figures["staff_fte_per_1000_pupils"].reference == pytest.approx(0.17)
    assert figures["media_cost_sek_per_pupil"].value == pytest.approx(45000 / 600)
    assert figures["media_cost_sek_per_pupil"].reference == 98
    assert figures["media_cost_sek_per_pupil"].difference == pytest.approx(75 - 98)
    assert figures["media_cost_sek_per_pupil"].meets_reference is False
    assert figures["loans_per_pupil"].value == pytest.approx(10.0)
    # 4,000 items for 600 pupils and 400 for 50: (4000 + 400) / 650 per pupil
    assert figures["items_per_pupil"].value == pytest.approx(4400 / 650)
    assert figures["media_cost_sek_per_pupil"].label == "Mediekostnad per elev"
    assert "KB 2023" in figures["media_cost_sek_per_pupil"].reference_note

    # equity over Ekskolan and Granskolan (Almskolan's library has no hours): all equal
    equity = {item.name: item for item in summary.equity.items}
    assert (summary.equity.schools, summary.equity.pupils) == (2, 600)
    assert equity["gini"].value == pytest.approx(0.0)
    assert equity["mcloone"].value == pytest.approx(1.0)
    assert "likvärdigt" in equity["gini"].meaning

    checks = {item.check: item for item in summary.checklist}
    assert checks["law_staffed"].schools == 3
    # Granskolan's library is on Ekskolan's unit and no special reasons are recorded
    own_unit = checks["law_own_unit"]
    assert (
        own_unit.schools_fail >= 1
        and own_unit.schools_pass + own_unit.schools_fail + (own_unit.schools_unknown) == 3
    )
    assert checks["all_law"].label == "Alla fyra lagkrav uppfyllda"

    schools = summary.schools.set_index("school_name")
    assert list(schools.index) == ["Almskolan", "Ekskolan", "Granskolan"]
    assert schools.loc["Ekskolan", "library_name"] == "Ekbiblioteket"
    assert schools.loc["Ekskolan", "library_kind"] == "Delat skolbibliotek"
    assert schools.loc["Almskolan", "organiser_type"] == "Enskild"
    assert schools.loc["Granskolan", "law_status"] == "Uppfyller inte"
    assert schools.loc["Granskolan", "staffed_hours_per_100_pupils"] == pytest.approx(20 / 6)
    # the scenario on each school unit's library: Ekbiblioteket 20 → 18.5, book room 0 → 5
    assert schools.loc["Granskolan", "s1_change_hours"] == pytest.approx(-1.5)
    assert schools.loc["Almskolan", "s1_hours_after"] == pytest.approx(5.0)
    assert schools.loc["Almskolan", "s1_per_100_after"] == pytest.approx(100 * 5 / 50)
    assert schools.loc["Ekskolan", "s1_per_100_after"] == pytest.approx(100 * 18.5 / 600)
    libraries = summary.libraries.set_index("library_name")
    assert libraries.loc["Ekbiblioteket", "pupils_served"] == 600
    assert libraries.loc["Ekbiblioteket", "municipality_code"] == "9911"
    assert libraries.loc["Almskolans bokrum", "s1_hours_after"] == pytest.approx(5.0)

    (item,) = summary.scenarios
    assert (item.key, item.name, item.version, item.model) == ("S1", "Plan A", 1, "manual")
    assert item.status == "Utkast" and item.municipality_code == "9911"
    # 3.5 more hours a week in all x 350 SEK x 40 weeks
    assert item.cost_change_sek == pytest.approx(3.5 * 350 * 40)
    assert item.hours_moved == pytest.approx(1.5 + 5)
    assert item.gini_before == pytest.approx(brute_gini([20 / 6, 0.0], [600, 50]))
    assert item.gini_after == pytest.approx(brute_gini([18.5 / 6, 10.0], [600, 50]))
    assert item.min_per_100_before == 0 and item.min_per_100_after == pytest.approx(18.5 / 6)
    assert item.summary_text.startswith("1 av 2 bibliotek får fler timmar")
    assert summary.notes == ()
    assert summary.outcomes is None
    assert summary.county is None
    assert set(summary.districts["name"]) == {"Norr", "Söder"}
    assert any(s.title.startswith("KB 2023") for s in summary.sources)
    assert any(d.term == "Elevviktat medelvärde" for d in summary.definitions)


def test_english_summary_and_scenario_column_labels(session):
    ids = small_inventory(session)
    leader = _user(session, "pl", "projektledare")
    plan(session, leader, ids)
    summary = build_summary(
        session, leader, SummaryRequest("9911", 2024, scenarios=("Plan A",), lang="en")
    )
    assert summary.title == "School libraries – planning summary"
    figures = {f.name: f for f in summary.key_figures}
    assert figures["loans_per_pupil"].label == "Loans per pupil"
    assert summary.scenarios[0].status == "Draft"
    assert summary.scenarios[0].summary_text.startswith("1 of 2 libraries gain hours")
    assert set(summary.schools["library_kind"]) == {"Shared school library", "Book room"}
    assert column_label("s1_per_100_after", "en", summary.scenarios) == (
        "Plan A: per 100 pupils after"
    )
    assert column_label("pupils", "sv") == "Elever"


def test_county_scope_covers_every_municipality_of_the_county(session):
    small_inventory(session)
    chief = _user(session, "chef", "chef")
    summary = build_summary(session, chief, SummaryRequest("9911", 2024, "county"))
    assert (summary.area_name, summary.area_code) == ("Testlän", "99")
    assert summary.municipality_names == ("Exempelby", "Övrigby")
    # Björken (77 pupils, no library) joins the three school units of Exempelby
    assert (summary.counts.schools, summary.counts.pupils) == (4, 650 + 77)
    county = summary.county.set_index("municipality_code")
    assert list(county.index) == ["9911", "9912"]
    assert county.loc["9912", "pupils"] == 77
    # Björken has no library: it counts with 0 staffed hours
    assert county.loc["9912", "staffed_hours_per_100_pupils"] == 0
    assert set(summary.schools["municipality_name"]) == {"Exempelby", "Övrigby"}


def test_comment_digest_counts_hides_and_orders(session):
    ids = small_inventory(session)
    leader = _user(session, "pl", "projektledare")
    member = _user(session, "ref", "referensgrupp")
    chosen = plan(session, leader, ids)
    other = plan(session, leader, ids, name="Plan B")
    first = _comment(
        session,
        chosen,
        member,
        "Almskolan behöver mer",
        datetime(2025, 1, 1, tzinfo=UTC),
        school_id=ids["alm"],
    )
    _comment(
        session,
        chosen,
        leader,
        "Svar: vi ser över det",
        datetime(2025, 1, 2, tzinfo=UTC),
        reply_to_id=first.id,
        status="answered",
    )
    _comment(session, chosen, member, "Klart", datetime(2025, 1, 3, tzinfo=UTC), status="resolved")
    _comment(
        session,
        chosen,
        member,
        "HEMLIG TEXT",
        datetime(2025, 1, 4, tzinfo=UTC),
        hidden_by_id=leader.id,
        hidden_reason="personuppgifter",
        hidden_at=datetime(2025, 1, 5, tzinfo=UTC),
    )
    _comment(session, other, member, "Om plan B", datetime(2025, 1, 6, tzinfo=UTC))
    session.commit()
    request = SummaryRequest("9911", 2024, scenarios=("Plan A",))
    digest = build_summary(session, leader, request).comments
    assert (digest.total, digest.open, digest.answered, digest.resolved, digest.hidden) == (
        3,
        1,
        1,
        1,
        1,
    )
    texts = [item.text for item in digest.latest]
    assert texts == ["Klart", "Svar: vi ser över det", "Almskolan behöver mer"]
    assert "HEMLIG TEXT" not in repr(digest)
    assert [item.role for item in digest.latest] == [
        "Referensgrupp",
        "Projektledare",
        "Referensgrupp",
    ]
    assert digest.latest[1].is_reply and not digest.latest[0].is_reply
    assert digest.latest[2].school == "Almskolan" and digest.latest[0].school is None
    assert digest.latest[1].status == "Besvarad"
    assert digest.latest[0].created_at == datetime(2025, 1, 3, tzinfo=UTC)
    # without a chosen scenario: the comments on every scenario of the municipality
    everything = build_summary(session, leader, SummaryRequest("9911", 2024)).comments
    assert (everything.total, everything.hidden) == (4, 1)


@pytest.mark.parametrize(
    ("username", "role", "active"),
    [("ref", "referensgrupp", True), ("chef", "chef", False)],
)
def test_permission_is_checked_before_reading(session, username, role, active):
    small_inventory(session)
    user = _user(session, username, role, active)
    before = database_fingerprint(session)
    with pytest.raises(PermissionDeniedError):
        build_summary(session, user, SummaryRequest("9911", 2024))
    with pytest.raises(PermissionDeniedError):
        build_summary(session, None, SummaryRequest("9911", 2024))
    assert database_fingerprint(session) == before


def test_the_figures_function_sees_the_scope(session):
    small_inventory(session)
    admin = _user(session, "admin", "admin")
    seen = []

    def spy(data):
        seen.append(data)
        return overview_figures(data)

    planning_build_summary(session, admin, SummaryRequest("9912", 2024, "county"), spy)
    (data,) = seen
    assert (data.scope, data.year) == ("county", 2024)
    assert list(data.municipalities["code"]) == ["9911", "9912"]
    assert sorted(data.schools["school_name"]) == ["Almskolan", "Björken", "Ekskolan", "Granskolan"]
    # every library of the year, for schools served across a border
    assert set(data.library_years["library_name"]) == {"Ekbiblioteket", "Almskolans bokrum"}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SummaryRequest("0000", 2024), "unknown municipality code '0000'"),
        (SummaryRequest("9911", 1999), "no school facts for 1999 (years with facts: 2023, 2024)"),
        (SummaryRequest("9911", 2024, scenarios=("Nope",)), "no saved scenario 'Nope'"),
        (SummaryRequest("9911", 2024, scope="region"), "scope must be one of"),
        (SummaryRequest("9911", 2024, lang="de"), "lang must be one of"),
        (
            SummaryRequest("9911", 2024, scenarios=("Plan A",) * 2),
            "a scenario is named twice",
        ),
        (
            SummaryRequest("9911", 2024, scenarios=tuple("ABCDE")),
            f"at most {MAX_SCENARIOS} scenarios",
        ),
        (
            SummaryRequest("9911", 2024, scenarios=("Övrig plan",)),
            "scenario 'Övrig plan' is for municipality 9912, outside the report's scope",
        ),
    ],
)
def test_bad_requests_are_refused_with_a_clear_message(session, request_, message):
    ids = small_inventory(session)
    leader = _user(session, "pl", "projektledare")
    plan(session, leader, ids)
    plan(session, leader, ids, name="Övrig plan", code="9912")
    before = database_fingerprint(session)
    with pytest.raises(SummaryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_summary(session, leader, request_)
    assert database_fingerprint(session) == before


def test_a_scenario_for_all_municipalities_fits_a_county_summary(session):
    ids = small_inventory(session)
    leader = _user(session, "pl", "projektledare")
    run = run_scenario(scenario_frame(ids), "manual", {"hours": {str(ids["bokrum"]): 2}})
    save_scenario(session, leader, "Hela landet", run, 2023, None)
    session.commit()
    summary = build_summary(
        session, leader, SummaryRequest("9912", 2024, "county", ("Hela landet",))
    )
    assert summary.scenarios[0].municipality_code is None
    # built on 2023, reported for 2024: the summary says so
    assert summary.notes == (
        "Scenariot Hela landet bygger på inventeringsår 2023; rapporten gäller 2024.",
    )


def test_payload_names_reach_the_model_unchanged(session):
    summary = payload_summary(session)
    assert PAYLOADS["school"] in set(summary.schools["school_name"])
    assert summary.scenarios[0].name == PAYLOADS["scenario"]
    assert {c.text for c in summary.comments.latest} == {PAYLOADS["comment"], PAYLOADS["tab"]}
    count = session.execute(sa.select(sa.func.count()).select_from(Comment)).scalar_one()
    assert count == 2


# --------------------------------------------------------------------------- the demo, for exports

DEMO_SCENARIOS = ("Åtgärd omfördelning", "Minsta kostnad 20 h")


def demo_database(folder: Path) -> str:
    """An SQLite demo database (migrated, demo loaded) with two scenarios for Exempelkommun
    (9901, 2025) and comments on them; its URL."""
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
        leader = _user(session, "pl", "projektledare")
        member = _user(session, "ref", "referensgrupp")
        frame = build_input(library_year_frame(session, [2025], "9901"), 2025, "9901")
        first = save_scenario(
            session, leader, DEMO_SCENARIOS[0], run_scenario(frame, "reallocate"), 2025, "9901"
        )
        save_scenario(
            session, leader, DEMO_SCENARIOS[1], run_scenario(frame, "min-cost"), 2025, "9901"
        )
        _comment(session, first, member, "Bra för Åkerby", datetime(2025, 5, 1, tzinfo=UTC))
        _comment(
            session,
            first,
            member,
            "DOLD TEXT",
            datetime(2025, 5, 2, tzinfo=UTC),
            hidden_by_id=leader.id,
            hidden_at=datetime(2025, 5, 3, tzinfo=UTC),
        )
        session.commit()
    engine.dispose()
    return url


def demo_summary(url: str, request: SummaryRequest) -> Summary:
    """The summary of ``request`` on the demo database ``url``, as the leader."""
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            leader = session.execute(sa.select(User).where(User.username == "pl")).scalar_one()
            return build_summary(session, leader, request)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- texts and numbers


def test_texts_agree_between_languages():
    assert set(TEXT["sv"]) == set(TEXT["en"])
    field = re.compile(r"{(\w+)}")
    for key, value in TEXT["sv"].items():
        assert set(field.findall(value)) == set(field.findall(TEXT["en"][key])), key
        assert value.strip() and TEXT["en"][key].strip(), key


@pytest.mark.parametrize("lang", ["sv", "en"])
@given(
    value=st.one_of(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
        st.integers(min_value=-(10**9), max_value=10**9),
        st.sampled_from([None, math.nan, math.inf, 0.05, 2.675, -0.004]),
    ),
    decimals=st.integers(min_value=0, max_value=3),
)
@settings(max_examples=150, deadline=None)
def test_numbers_are_formatted_as_the_app_formats_them(lang, value, decimals):
    assert format_number(value, decimals, lang) == fmt_number(value, decimals, lang=lang)
    assert format_percent(value, decimals, lang) == fmt_percent(value, decimals, lang=lang)
