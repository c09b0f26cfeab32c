"""planning.coordination.shared_librarian_clusters against brute force, PySAL spopt's p-median
and hand computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pulp
import pytest
from spopt.locate import PMedian

from planning.coordination import shared_librarian_clusters


def _frame(pupils, xy, lis=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "library_id": np.arange(1, len(pupils) + 1),
            "pupils": pupils,
            "x": np.asarray(xy, float)[:, 0],
            "y": np.asarray(xy, float)[:, 1],
        }
    )
    if lis is not None:
        frame["lis_hours_week"] = lis
    return frame


def _travel(xy, speed=40.0, detour=1.3, visits=1.0) -> np.ndarray:
    xy = np.asarray(xy, float)
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) / 1000 * detour
    return visits * 2 * km / speed


def _brute_force(r, t, cap, k_max=None, p=None):
    """(librarians, least travel) over every choice of hubs and assignment."""
    n = len(r)
    for count in [p] if p else range(1, n + 1):
        best = math.inf
        for hubs in itertools.combinations(range(n), count):
            others = [i for i in range(n) if i not in hubs]
            for assign in itertools.product(range(count), repeat=len(others)):
                loads = [r[h] for h in hubs]
                sizes = [1] * count
                cost = 0.0
                for i, a in zip(others, assign, strict=True):
                    loads[a] += r[i] + t[i, hubs[a]]
                    sizes[a] += 1
                    cost += t[i, hubs[a]]
                if max(loads) > cap + 1e-9 or (k_max and max(sizes) > k_max):
                    continue
                best = min(best, cost)
        if best < math.inf or p:
            return count, best
    return None, math.inf


def test_required_hours_and_who_is_clustered():
    # 300 pupils per librarian, 40 h: 300 pupils need a full week (alone), 150 need 20 h,
    # 15 need max(4, 2) = 4 h, 0 pupils need nothing
    frame = _frame([0, 300, 150, 15], [(0, 0), (1000, 0), (2000, 0), (3000, 0)])
    plan = shared_librarian_clusters(frame, mip_rel_gap=0)
    assert plan.excluded.set_index("library_id")["reason"].to_dict() == {
        1: "no_pupils",
        2: "staffed_alone",
    }
    got = plan.assignments.set_index("library_id")["required_hours"].to_dict()
    assert got == pytest.approx({3: 20.0, 4: 4.0})
    # 1 km apart x 1.3 detour, there and back at 40 km/h: 0.065 h; one librarian suffices
    assert plan.librarians == 1
    assert plan.travel_hours == pytest.approx(2 * 1.3 / 40)
    # the hub is the school with the most required hours... or either: travel is symmetric
    assert plan.clusters["load_hours"].tolist() == pytest.approx([24 + 2 * 1.3 / 40])


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 7
    pupils = rng.integers(20, 200, n)
    xy = rng.uniform(0, 40_000, (n, 2))
    k_max = None if seed % 2 else 3
    plan = shared_librarian_clusters(_frame(pupils, xy), max_schools=k_max, mip_rel_gap=0)
    r = np.maximum(4.0, 40 * pupils / 300)
    t = _travel(xy)
    count, travel = _brute_force(r, t, 40.0, k_max)
    assert plan.status == "optimal"
    assert plan.librarians == count
    assert plan.travel_hours == pytest.approx(travel, abs=1e-7)
    # with one librarian more, travel can only fall
    more = shared_librarian_clusters(
        _frame(pupils, xy), max_schools=k_max, librarians=count + 1, mip_rel_gap=0
    )
    assert more.travel_hours == pytest.approx(
        _brute_force(r, t, 40.0, k_max, count + 1)[1], abs=1e-7
    )
    assert more.travel_hours <= plan.travel_hours + 1e-9


def test_matches_spopt_p_median_when_capacity_does_not_bind():
    # 1 h per school and short trips: capacity never binds, so the model is the p-median.
    # At 2 km/h with no detour, travel hours = 2 x km / 2 = km, spopt's cost.
    rng = np.random.default_rng(11)
    n, p = 12, 3
    xy = rng.uniform(0, 10_000, (n, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) / 1000
    spopt = PMedian.from_cost_matrix(km, np.ones(n), p_facilities=p)
    spopt.solve(pulp.PULP_CBC_CMD(msg=False))
    expected = pulp.value(spopt.problem.objective)
    plan = shared_librarian_clusters(
        _frame(np.full(n, 5), xy),
        pupils_per_librarian=1e6,
        min_hours=1,
        capacity_hours=1000,
        speed_kmh=2,
        detour_factor=1,
        librarians=p,
        mip_rel_gap=0,
    )
    assert plan.status == "optimal"
    assert plan.travel_hours == pytest.approx(expected, rel=1e-6)
    opened = sorted(int(j) for j in np.flatnonzero([v.value() > 0.5 for v in spopt.fac_vars]))
    hubs = sorted(int(h) - 1 for h in plan.clusters["hub_id"])
    # the same facilities unless another choice ties (then the objective above still agrees)
    if opened != hubs:
        assert pulp.value(spopt.problem.objective) == pytest.approx(plan.travel_hours)


def test_plan_respects_capacity_and_limit_on_a_larger_instance():
    rng = np.random.default_rng(5)
    n = 30
    pupils = rng.integers(10, 250, n)
    xy = rng.uniform(0, 60_000, (n, 2))
    plan = shared_librarian_clusters(_frame(pupils, xy), max_schools=4, time_limit=20)
    assert plan.ok
    a = plan.assignments
    assert sorted(a["library_id"]) == list(range(1, n + 1))  # every school once
    hubs = set(plan.clusters["hub_id"])
    assert set(a.loc[a["is_hub"], "library_id"]) == hubs
    assert (
        a.loc[a["library_id"].isin(hubs), "hub_id"]
        == a.loc[a["library_id"].isin(hubs), "library_id"]
    ).all()
    t = _travel(xy)
    r = np.maximum(4.0, 40 * pupils / 300)
    idx = a["library_id"].to_numpy() - 1
    hub = a["hub_id"].to_numpy() - 1
    assert a["travel_hours"].to_numpy() == pytest.approx(t[idx, hub])
    loads = pd.Series(r[idx] + t[idx, hub]).groupby(hub).sum()
    assert (loads <= 40 + 1e-6).all()
    assert (pd.Series(hub).value_counts() <= 4).all()
    assert plan.librarians == len(hubs) >= plan.lower_bound == math.ceil(max(r.sum() / 40, n / 4))
    assert plan.travel_hours == pytest.approx(t[idx, hub].sum())
    assert plan.travel_hours <= plan.heuristic_travel_hours + 1e-9


def test_a_short_time_limit_still_gives_a_valid_plan_and_says_how_far_from_optimal():
    rng = np.random.default_rng(8)
    n = 45
    pupils = rng.integers(10, 120, n)
    xy = rng.uniform(0, 50_000, (n, 2))
    plan = shared_librarian_clusters(
        _frame(pupils, xy), max_schools=3, librarians=16, time_limit=0.2
    )
    assert plan.status in ("optimal", "feasible")
    assert plan.travel_hours <= plan.heuristic_travel_hours + 1e-9
    stage = plan.stages[-1]
    assert stage.name == "min_travel"
    if plan.status == "feasible":
        assert plan.mip_gap is not None and plan.mip_gap >= 0
        assert "gap" in plan.message
    assert (plan.clusters["load_hours"] <= 40 + 1e-6).all()
    assert (plan.clusters["n_schools"] <= 3).all()


def test_coordination_gain_by_hand():
    # required 20, 10 and 4 h; LIS today 20, 0 and unknown (counted 0): 0.5 FTE reach the
    # standard for the 150 pupils of the first school only; the plan reaches all 255 pupils
    frame = _frame([150, 75, 30], [(0, 0), (2000, 0), (4000, 0)], lis=[20.0, 0.0, np.nan])
    plan = shared_librarian_clusters(frame)
    g = plan.gain
    assert g["fte_before"] == pytest.approx(0.5)
    assert g["pupils_at_standard_before"] == 150
    assert g["pupils_per_fte_before"] == pytest.approx(300)
    assert g["n_lis_unknown"] == 1
    assert plan.librarians == 1 and g["fte_after"] == 1
    assert g["pupils_at_standard_after"] == 255 and g["pupils_per_fte_after"] == 255


def test_infeasible_inputs_are_reported_not_raised():
    xy = [(0, 0), (200_000, 0), (0, 200_000)]
    frame = _frame([150, 150, 150], xy)  # 20 h each, far apart
    too_few = shared_librarian_clusters(frame, librarians=1)
    assert too_few.status == "infeasible" and not too_few.ok
    assert "60.0 h a week" in too_few.message and "at least 2 librarians" in too_few.message
    assert too_few.assignments.empty and too_few.librarians == 0
    # two librarians pass the hours bound, but 260 km of driving a week does not fit
    far = shared_librarian_clusters(frame, librarians=2)
    assert far.status == "infeasible"
    assert "no grouping of the 3 schools into 2 clusters" in far.message
    assert shared_librarian_clusters(frame).librarians == 3
    limited = shared_librarian_clusters(
        _frame([30] * 5, [(i * 100, 0) for i in range(5)]), max_schools=2, librarians=2
    )
    assert limited.status == "infeasible" and "at most 2 schools each" in limited.message
    assert shared_librarian_clusters(frame, librarians=4).status == "infeasible"


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda f: f.drop(columns="y"), {}, "lacks the column"),
        (lambda f: f.assign(library_id=[1, 1]), {}, "library 1 appears twice"),
        (lambda f: f.assign(x=[0.0, np.nan]), {}, "x is missing or not a number for library 2"),
        (lambda f: f, {"min_hours": 40}, "min_hours"),
        (lambda f: f, {"detour_factor": 0.5}, "detour_factor"),
        (lambda f: f, {"max_schools": 0}, "max_schools"),
        (lambda f: f, {"librarians": 1.5}, "librarians"),
        (lambda f: f, {"speed_kmh": 0}, "speed_kmh"),
        (lambda f: f.assign(pupils=[400, 0]), {}, "nothing to share"),
    ],
)
def test_bad_input_is_named(change, kwargs, message):
    frame = _frame([100, 50], [(0, 0), (1000, 0)])
    with pytest.raises(ValueError, match=message):
        shared_librarian_clusters(change(frame), **kwargs)


def test_when_highs_finds_nothing_in_time_the_heuristic_is_used_with_a_proven_gap(monkeypatch):
    import planning.coordination as coordination

    real = coordination.milp

    def no_solution(c, **kwargs):  # as HiGHS answers when the time limit comes first
        res = real(c, **kwargs)
        res.x, res.status, res.mip_gap, res.mip_dual_bound = None, 1, None, None
        return res

    monkeypatch.setattr(coordination, "milp", no_solution)
    rng = np.random.default_rng(2)
    pupils = rng.integers(20, 150, 8)
    xy = rng.uniform(0, 30_000, (8, 2))
    plan = shared_librarian_clusters(_frame(pupils, xy), librarians=4)
    assert plan.status == "feasible" and plan.ok
    assert plan.travel_hours == pytest.approx(plan.heuristic_travel_hours)
    # the bound is the LP relaxation: never above the brute-force optimum
    r = np.maximum(4.0, 40 * pupils / 300)
    _, best = _brute_force(r, _travel(xy), 40.0, None, 4)
    bound = plan.stages[-1].bound
    assert bound <= best + 1e-9
    assert plan.mip_gap == pytest.approx((plan.travel_hours - bound) / plan.travel_hours)
    assert (plan.clusters["load_hours"] <= 40 + 1e-9).all()


def test_clusters_as_a_scenario():
    from planning.scenario import run_details, run_scenario, summarise

    # three small schools 2 km apart and one large: the large one is staffed alone
    frame = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4],
            "library_name": ["A", "B", "C", "D"],
            "pupils": [150.0, 75.0, 30.0, 600.0],
            "staffed_hours_week": [25.0, 5.0, 0.0, 60.0],
            "lis_hours_week": [20.0, 0.0, np.nan, 40.0],
            "x": [0.0, 2000.0, 4000.0, 0.0],
            "y": [0.0, 0.0, 0.0, 9000.0],
        }
    )
    run = run_scenario(frame, "clusters", {"hourly_cost_sek": 300, "weeks_per_year": 40})
    assert run.ok and run.numbers["librarians"] == 1
    lib = run.libraries.set_index("library_id")
    # staffed hours after = today's - LIS today + required: 25 - 20 + 20, 5 + 10, 0 + 4; D as is
    assert lib["hours_after"].to_dict() == pytest.approx({1: 25, 2: 15, 3: 4, 4: 60})
    # the middle school is the hub: 2 km to either side
    assert lib["cluster_role"].to_dict() == {1: "member", 2: "hub", 3: "member", 4: "staffed_alone"}
    # one 40 h librarian replaces 20 h of LIS today: +20 h x 300 SEK x 40 weeks
    assert run.cost_change_sek == pytest.approx(20 * 300 * 40)
    assert set(run_details(run)) == {"assignments", "clusters", "excluded"}
    text = summarise(run, "sv")
    assert "3 skolor har för få elever" in text and "dela på en bibliotekarie à 40" in text
    assert "med planen når alla normen med 1 årsverke." in text
    assert "I dag når 150 av 255 elever" in text
    assert "Kostnaden ökar med 240\u00a0000 kr per år" in text
    assert "The cost rises by SEK 240,000 a year" in summarise(run, "en")
    infeasible = run_scenario(frame, "clusters", {"librarians": 1, "min_hours": 30})
    assert infeasible.status == "infeasible" and not infeasible.ok
    assert infeasible.libraries["hours_after"].isna().all()
    assert "ingen lösning" in summarise(infeasible, "sv")
    assert "at least 3 librarians" in summarise(infeasible, "en")
