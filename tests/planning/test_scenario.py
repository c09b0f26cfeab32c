"""planning.scenario: models, equity before/after, cost and the plain-language summary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from planning.scenario import build_input, json_safe, run_scenario, summarise


def _frame() -> pd.DataFrame:
    # per 100 pupils before: A 10, B 1, C 0
    return pd.DataFrame(
        {
            "library_id": [1, 2, 3],
            "library_name": ["A", "B", "C"],
            "pupils": [100.0, 200.0, 100.0],
            "staffed_hours_week": [10.0, 2.0, 0.0],
            "need_weight": [1.0, 1.0, 1.0],
        }
    )


def _gini(values, units) -> float:
    """Population Gini of the pupil-level distribution, by brute force over all pairs."""
    x = np.repeat(np.asarray(values, float), units)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean()))


def test_reallocate_levels_up_the_lowest_and_is_cost_neutral():
    run = run_scenario(_frame(), "reallocate", {"need_weighted": False})
    assert run.status == "optimal" and run.ok
    lib = run.libraries
    # total 12 h for 400 pupils: 3 h per 100 pupils everywhere → 3, 6, 3 hours
    assert lib["hours_after"].tolist() == pytest.approx([3, 6, 3], abs=1e-6)
    assert lib["per_100_after"].tolist() == pytest.approx([3, 3, 3], abs=1e-6)
    assert lib["change_hours"].tolist() == pytest.approx([-7, 4, 3], abs=1e-6)
    n = run.numbers
    assert (n["n_gainers"], n["n_losers"]) == (2, 1)
    assert n["hours_gained"] == pytest.approx(7, abs=1e-6)
    assert n["hours_moved"] == pytest.approx(14, abs=1e-6)
    assert run.cost_change_sek == pytest.approx(0, abs=1e-3)
    # pupil-weighted: 100 pupils at 10, 200 at 1, 100 at 0 (units of 100 pupils)
    assert run.equity_before["gini"] == pytest.approx(_gini([10, 1, 0], [1, 2, 1]))
    assert run.equity_before["min"] == 0
    # McLoone: bottom half of pupils hold 0*1 + 1*1 = 1 against median 1 x 2 units
    assert run.equity_before["mcloone"] == pytest.approx(0.5)
    assert run.equity_after["gini"] == pytest.approx(0, abs=1e-6)
    assert run.equity_after["mcloone"] == pytest.approx(1)
    assert run.numbers["min_per_100_after"] == pytest.approx(3, abs=1e-6)


def test_reallocate_infeasible_is_reported_not_raised():
    run = run_scenario(_frame(), "reallocate", {"total_hours": 1000})  # caps 40 h each
    assert run.status == "infeasible" and not run.ok
    assert math.isnan(run.cost_change_sek)
    assert "ingen lösning" in summarise(run, "sv")
    assert "no solution" in summarise(run, "en")


def test_min_cost_kb_20h_adds_missing_hours_and_prices_them():
    run = run_scenario(_frame(), "min-cost", {"standard": "kb_20h"})
    assert run.libraries["hours_after"].tolist() == [20, 20, 20]
    # (10 + 18 + 20) h/week x 350 SEK x 40 weeks
    assert run.cost_change_sek == pytest.approx(48 * 350 * 40)
    assert run.objective == pytest.approx(48 * 350 * 40)
    assert run.numbers["n_gainers"] == 3 and run.numbers["n_losers"] == 0
    # after: 20, 10, 20 hours per 100 pupils for 100, 200, 100 pupils
    assert run.equity_after["gini"] == pytest.approx(_gini([20, 10, 20], [1, 2, 1]))


def test_min_cost_user_standard_with_custom_cost():
    params = {"standard": "user", "value": 5, "hourly_cost_sek": 400, "weeks_per_year": 45}
    run = run_scenario(_frame(), "min-cost", params)
    # need 5, 10, 5 hours: extra 0, 8, 5
    assert run.libraries["change_hours"].tolist() == [0, 8, 5]
    assert run.cost_change_sek == pytest.approx(13 * 400 * 45)


def test_manual_sets_hours_by_hand_with_text_keys():
    run = run_scenario(_frame(), "manual", {"hours": {"3": 4, 1: 8}})
    assert run.libraries["hours_after"].tolist() == [8, 2, 4]
    # net +2 h/week x 350 x 40
    assert run.cost_change_sek == pytest.approx(2 * 350 * 40)
    assert run.numbers["n_gainers"] == 1 and run.numbers["n_losers"] == 1
    assert math.isnan(run.objective)
    text = summarise(run, "sv")
    assert "1 av 3 bibliotek får fler timmar" in text
    assert "1 får färre" in text
    assert "ökar med 28\u00a0000 kr" in text
    english = summarise(run, "en")
    assert "1 of 3 libraries gain hours" in english
    assert "rises by SEK 28,000" in english


def test_summary_of_reallocation_names_counts_equity_and_cost():
    run = run_scenario(_frame(), "reallocate", {"need_weighted": False})
    sv = summarise(run, "sv")
    assert "2 av 3 bibliotek får fler timmar (sammanlagt 7,0 tim/vecka)" in sv
    assert "1 får färre (sammanlagt 7,0 tim/vecka)" in sv
    gini = f"{_gini([10, 1, 0], [1, 2, 1]):.3f}".replace(".", ",")
    assert f"Gini-koefficienten går från {gini} till 0,000" in sv
    assert "McLoone-index från 0,500 till 1,000" in sv
    assert "oförändrad" in sv
    en = summarise(run, "en")
    assert "2 of 3 libraries gain hours (7.0 h/week in all)" in en
    assert "unchanged" in en
    with pytest.raises(ValueError):
        summarise(run, "de")


def test_no_change_summary():
    run = run_scenario(_frame(), "manual", {"hours": {}})
    assert "Inget bibliotek" in summarise(run, "sv")
    assert run.cost_change_sek == 0


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("magic", {}),
        ("reallocate", {"standard": "kb_20h"}),
        ("manual", {}),
        ("manual", {"hours": {"99": 3}}),
        ("manual", {"hours": {"1": -3}}),
        ("min-cost", {"hourly_cost_sek": 0}),
    ],
)
def test_bad_input_raises(model, params):
    with pytest.raises(ValueError):
        run_scenario(_frame(), model, params)


def test_build_input_selects_year_and_municipality_and_skips_missing():
    lyf = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4, 1],
            "library_name": ["A", "B", "C", "D", "A"],
            "year": [2024, 2024, 2024, 2024, 2023],
            "municipality_code": ["9911", "9911", "9911", "9912", "9911"],
            "pupils_served": [100.0, np.nan, 50.0, 10.0, 90.0],
            "staffed_hours": [50.0, 5.0, np.nan, 1.0, 4.0],
            "hours_lis_librarian": [10.0, np.nan, np.nan, np.nan, 1.0],
            "share_foreign_background": [0.2, 0.1, 0.1, 0.1, 0.2],
            "share_parents_post_secondary": [0.6, 0.5, 0.5, 0.5, 0.6],
            "x": [1.0, 2.0, 3.0, 4.0, 1.0],
            "y": [1.0, 2.0, 3.0, 4.0, 1.0],
        }
    )
    frame = build_input(lyf, 2024, "9911")
    assert frame["library_id"].tolist() == [1]
    assert frame.attrs["excluded"] == [2, 3]
    row = frame.iloc[0]
    assert (row["pupils"], row["staffed_hours_week"], row["lis_hours_week"]) == (100, 50, 10)
    assert row["need_weight"] == pytest.approx(1.3)  # metrics.need docstring example
    assert row["cap_hours"] == 50  # above the default 40 h cap: kept, not forced down
    assert len(build_input(lyf, 2024)) == 2


def test_json_safe():
    assert json_safe({1: float("nan"), "b": [np.float64(2.5), np.int64(3)]}) == {
        "1": None,
        "b": [2.5, 3],
    }
