"""planning.scenario_store on SQLite and PostgreSQL: versions, load, copy, compare, permissions."""

from __future__ import annotations

import pandas as pd
import pytest

from inventory import writes
from inventory.models import Scenario, ScenarioResult, User
from inventory.permissions import PermissionDeniedError
from planning.scenario import run_scenario
from planning.scenario_store import (
    compare_scenarios,
    copy_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)
from tests.helpers import database_fingerprint, table_counts
from tests.inventory.factories import small_inventory


def _user(session, role: str) -> User:
    user = writes.add(session, User, {"username": f"u-{role}", "display_name": role, "role": role})
    session.commit()
    return user


def _frame(ids: dict[str, int]) -> pd.DataFrame:
    # hand-made hours: Ekbiblioteket 20 h for 600 pupils, the book room 0 h for 50 pupils
    return pd.DataFrame(
        {
            "library_id": [ids["ekbib"], ids["bokrum"]],
            "pupils": [600.0, 50.0],
            "staffed_hours_week": [20.0, 0.0],
            "need_weight": [1.0, 1.0],
        }
    )


def test_save_version_load_copy_compare(session):
    ids = small_inventory(session)
    leader = _user(session, "projektledare")
    frame = _frame(ids)
    manual = run_scenario(frame, "manual", {"hours": {str(ids["bokrum"]): 5}})
    first = save_scenario(session, leader, "Plan A", manual, 2024, "9911")
    session.commit()
    assert first.version == 1 and first.author_id == leader.id
    assert first.summary_sv.startswith("1 av 2 bibliotek") and first.summary_en
    assert first.parameters["hours"] == {str(ids["bokrum"]): 5}
    assert first.parameters["hourly_cost_sek"] == 350
    assert table_counts(session)["scenario_result"] == 2 * 3

    realloc = run_scenario(frame, "reallocate", {"need_weighted": False})
    second = save_scenario(session, leader, "Plan A", realloc, 2024, "9911")
    session.commit()
    assert second.version == 2 and second.solver_status == "optimal"

    latest = load_scenario(session, "Plan A")
    assert latest.scenario.version == 2
    lib = latest.libraries.set_index("library_id")
    # 20 h for 650 pupils: both at 100 * 20 / 650 hours per 100 pupils
    assert lib.loc[ids["bokrum"], "hours_after"] == pytest.approx(20 * 50 / 650, abs=1e-6)
    assert lib.loc[ids["ekbib"], "per_100_before"] == pytest.approx(20 / 6)
    assert lib.loc[ids["bokrum"], "pupils"] == 50
    assert lib.loc[ids["ekbib"], "library_name"] == "Ekbiblioteket"
    old = load_scenario(session, "Plan A", version=1)
    assert old.libraries.set_index("library_id").loc[ids["bokrum"], "hours_after"] == 5
    with pytest.raises(LookupError):
        load_scenario(session, "Plan Z")

    copy = copy_scenario(session, leader, "Plan A", "Plan B")
    session.commit()
    assert (copy.name, copy.version, copy.parent_id) == ("Plan B", 1, second.id)
    assert load_scenario(session, "Plan B").libraries.equals(latest.libraries)

    listed = list_scenarios(session)
    assert listed[["name", "version"]].values.tolist() == [
        ["Plan A", 1],
        ["Plan A", 2],
        ["Plan B", 1],
    ]
    assert set(listed["municipality_code"]) == {"9911"}

    save_scenario(session, leader, "Manual", manual, 2024)
    session.commit()
    table = compare_scenarios(session, ["Plan A", "Manual"]).set_index("name")
    assert table.loc["Plan A", "model"] == "reallocate"
    assert table.loc["Plan A", "min_per_100_after"] == pytest.approx(100 * 20 / 650, abs=1e-6)
    assert table.loc["Plan A", "min_per_100_before"] == 0
    assert table.loc["Plan A", "hours_moved"] == pytest.approx(2 * 20 * 50 / 650, abs=1e-6)
    assert table.loc["Plan A", "cost_change_sek"] == pytest.approx(0, abs=1e-3)
    assert table.loc["Plan A", "gini_after"] == pytest.approx(0, abs=1e-6)
    # manual: +5 h a week x 350 SEK x 40 weeks; after 20/6 and 10 h per 100 pupils
    assert table.loc["Manual", "cost_change_sek"] == pytest.approx(5 * 350 * 40)
    assert table.loc["Manual", "min_per_100_after"] == pytest.approx(20 / 6)
    assert table.loc["Manual", "gini_before"] == pytest.approx(manual.equity_before["gini"])
    with pytest.raises(LookupError):
        compare_scenarios(session, ["Plan A", "nope"])


@pytest.mark.parametrize("role", ["referensgrupp", "chef"])
def test_refused_roles_write_nothing(session, role):
    ids = small_inventory(session)
    leader = _user(session, "projektledare")
    run = run_scenario(_frame(ids), "manual", {"hours": {}})
    save_scenario(session, leader, "Plan A", run, 2024)
    session.commit()
    viewer = _user(session, role)
    before = database_fingerprint(session)
    with pytest.raises(PermissionDeniedError):
        save_scenario(session, viewer, "Plan A", run, 2024)
    with pytest.raises(PermissionDeniedError):
        copy_scenario(session, viewer, "Plan A", "Plan C")
    session.commit()
    assert database_fingerprint(session) == before
    assert table_counts(session)["scenario"] == 1


def test_unknown_municipality_and_bad_library_write_nothing(session):
    ids = small_inventory(session)
    leader = _user(session, "admin")
    run = run_scenario(_frame(ids), "manual", {"hours": {}})
    before = database_fingerprint(session)
    with pytest.raises(ValueError):
        save_scenario(session, leader, "Plan A", run, 2024, "0000")
    bad = run_scenario(
        _frame(ids).assign(library_id=[ids["ekbib"], 999_999]), "manual", {"hours": {}}
    )
    with pytest.raises(writes.InventoryValidationError):
        save_scenario(session, leader, "Plan A", bad, 2024)
    session.commit()
    assert database_fingerprint(session) == before
    counts = table_counts(session)
    assert counts[Scenario.__tablename__] == counts[ScenarioResult.__tablename__] == 0
