"""planning.collection: stock cohorts and the media budget plan against hand computations,
brute force over whole purchases and a separately written LP."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from planning.collection import media_budget_plan, stock_cohorts


def _stock(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["library_id", "category", "publication_year", "items"])


def _pupils(mapping) -> pd.DataFrame:
    return pd.DataFrame({"library_id": list(mapping), "pupils": list(mapping.values())})


# --------------------------------------------------------------------------- cohorts


def test_cohorts_spread_evenly_without_a_catalogue():
    collection = pd.DataFrame(
        {
            "library_id": [1, 1, 2],
            "year": [2025, 2025, 2024],  # the 2024 row is another year: ignored
            "category": ["fiction", "non_fiction", "fiction"],
            "items": [100, 50, 10],
            "items_last_10_years": [60, None, 5],
        }
    )
    cohorts = stock_cohorts(collection, 2025)
    fiction = cohorts[cohorts["category"] == "fiction"].set_index("publication_year")["items"]
    # 60 recent over 2016..2025, 40 older over 2006..2015
    assert fiction.loc[2016:2025].tolist() == pytest.approx([6.0] * 10)
    assert fiction.loc[2006:2015].tolist() == pytest.approx([4.0] * 10)
    # an unknown recent count makes every item older
    non_fiction = cohorts[cohorts["category"] == "non_fiction"]
    assert non_fiction["publication_year"].max() == 2015
    assert non_fiction["items"].sum() == pytest.approx(50)
    assert set(cohorts["library_id"]) == {1}


def test_cohorts_take_the_catalogue_shape():
    collection = pd.DataFrame(
        {
            "library_id": [1],
            "year": [2025],
            "category": ["fiction"],
            "items": [100],
            "items_last_10_years": [40],
        }
    )
    catalogue = pd.DataFrame(
        {
            "library_id": [1, 1, 1, 1, 1],
            "publication_year": [2020, 2024, 1990, 2012, None],
            "media_type": ["bok"] * 5,
            "items": [3, 1, 5, 5, 7],
        }
    )
    cohorts = stock_cohorts(collection, 2025, catalogue).set_index("publication_year")["items"]
    # recent 40 in the catalogue's recent shape 3:1; older 60 as 5:5 with 1990 counted as 2006
    assert cohorts.to_dict() == pytest.approx({2006: 30.0, 2012: 30.0, 2020: 30.0, 2024: 10.0})


# --------------------------------------------------------------------------- media plan


def test_equalises_two_libraries_by_hand():
    # one year, SEK 500 at SEK 100 an item = 5 items; target 1 item per pupil x 10 pupils.
    # A holds 5, B holds 8: the highest minimum is 5 + b_A = 8 + b_B with b_A + b_B = 5,
    # i.e. 4 items to A and 1 to B, both at 9 / 10 = 90 %.
    stock = _stock([(1, "fiction", 2020, 5), (2, "fiction", 2020, 8)])
    plan = media_budget_plan(
        stock,
        _pupils({1: 10, 2: 10}),
        base_year=2024,
        budget_sek=500,
        years=1,
        unit_price_sek=100,
        target_items_per_pupil={"fiction": 1},
        target_recent_share=0,
    )
    assert plan.status == "optimal"
    bought = plan.purchases.set_index("library_id")["items"].to_dict()
    assert bought == {1: 4, 2: 1}
    assert plan.numbers["min_attainment_after"] == pytest.approx(0.9)
    assert plan.numbers["min_attainment_before"] == pytest.approx(0.5)
    assert plan.libraries["attainment_after"].tolist() == pytest.approx([0.9, 0.9])
    assert plan.budget["spent_sek"].tolist() == [500]
    # one item each is still missing: SEK 200
    assert plan.numbers["extra_items_needed"] == 2
    assert plan.numbers["extra_sek_needed"] == pytest.approx(200)
    assert plan.numbers["n_below_after"] == 2
    assert plan.numbers["year_all_reached"] is None


def test_target_number_is_split_by_the_library_mix():
    # 10 items per pupil x 10 pupils = 100 items, split 3:1 as the holdings (30 fiction,
    # 10 non-fiction): targets 75 and 25; with no budget 45 and 15 items are missing.
    stock = _stock([(1, "fiction", 2020, 30), (1, "non_fiction", 2020, 10)])
    plan = media_budget_plan(
        stock,
        _pupils({1: 10}),
        base_year=2024,
        budget_sek=0,
        years=2,
        unit_price_sek={"fiction": 100, "non_fiction": 200},
        target_items_per_pupil=10,
        target_recent_share=0,
    )
    short = plan.shortfall.set_index("category")
    assert short["items_needed"].to_dict() == {"fiction": 45, "non_fiction": 15}
    assert short["extra_sek"].to_dict() == pytest.approx({"fiction": 4500, "non_fiction": 3000})
    assert plan.numbers["min_attainment_after"] == pytest.approx(0.4)
    assert plan.purchases.empty


def test_weeding_by_age_and_the_recent_share():
    # fiction published 2009 is 16 years old in 2025 and withdrawn at the default 15 years;
    # 2014 items stay (11 years) but are not recent; 2020 items are recent.
    stock = _stock([(1, "fiction", 2009, 40), (1, "fiction", 2014, 30), (1, "fiction", 2020, 30)])
    plan = media_budget_plan(
        stock,
        _pupils({1: 10}),
        base_year=2024,
        budget_sek=0,
        years=1,
        unit_price_sek=100,
        target_items_per_pupil={"fiction": 10},
        target_recent_share=0.5,
    )
    timeline = plan.timeline.set_index("year")
    assert timeline.loc[2024, "items"] == 100 and timeline.loc[2025, "items"] == 60
    # recent (2016..2025): 30 of a recent target of 50; size 60 of 100 -> attainment 0.6 vs 0.6
    assert timeline.loc[2025, "recent_items"] == 30
    assert timeline.loc[2025, "attainment"] == pytest.approx(0.6)
    assert plan.numbers["weeded_items"] == pytest.approx(40)
    # missing: max(100 - 60, 50 - 30) = 40 new items
    assert plan.numbers["extra_items_needed"] == 40
    # without weeding the 2009 items stay
    kept = media_budget_plan(
        stock,
        _pupils({1: 10}),
        base_year=2024,
        budget_sek=0,
        years=1,
        unit_price_sek=100,
        target_items_per_pupil={"fiction": 10},
        weeding_age={"fiction": None},
    )
    assert kept.timeline.set_index("year").loc[2025, "items"] == 100


def _brute_force(stock_items, stock_years, pupils, budget_items, years, base, share, age, tau_pp):
    """Lexicographic best over every whole-item plan: final-year minimum, then the sum of the
    yearly minima, then the sum of attainments (the plan's three stages)."""
    n_lib = len(pupils)
    tau = np.array(pupils, float) * tau_pp
    best = None

    def attainment(held, recent, tau_i):
        return min(1.0, held / tau_i, recent / (share * tau_i)) if share else min(1.0, held / tau_i)

    per_year = [
        [
            c
            for c in itertools.product(range(budget_items + 1), repeat=n_lib)
            if sum(c) <= budget_items
        ]
        for _ in range(years)
    ]
    for choice in itertools.product(*per_year):
        minima, total = [], 0.0
        for t in range(1, years + 1):
            year = base + t
            values = []
            for i in range(n_lib):
                tau_i = tau[i]
                held = sum(
                    n
                    for n, p in zip(stock_items[i], stock_years[i], strict=True)
                    if year - p <= age
                )
                recent = sum(
                    n
                    for n, p in zip(stock_items[i], stock_years[i], strict=True)
                    if year - p <= min(age, 9)
                )
                for y in range(1, t + 1):
                    if t - y <= age:
                        held += choice[y - 1][i]
                    if t - y <= min(age, 9):
                        recent += choice[y - 1][i]
                values.append(attainment(held, recent, tau_i))
            minima.append(min(values))
            total += sum(values)
        key = (round(minima[-1], 9), round(sum(minima), 9), round(total, 9))
        if best is None or key > best[0]:
            best = (key, choice)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_over_whole_purchases(seed):
    rng = np.random.default_rng(seed)
    n_lib, years, base, age = 2, 2, 2024, 12
    pupils = rng.integers(2, 5, n_lib).tolist()
    stock_items = [rng.integers(0, 6, 2).tolist() for _ in range(n_lib)]
    stock_years = [[2011, 2019] for _ in range(n_lib)]  # 2011 is weeded in 2025 or 2026
    budget_items = int(rng.integers(1, 4))
    rows = [
        (i + 1, "non_fiction", y, n)
        for i in range(n_lib)
        for n, y in zip(stock_items[i], stock_years[i], strict=True)
        if n > 0
    ]
    plan = media_budget_plan(
        _stock(rows),
        _pupils({i + 1: p for i, p in enumerate(pupils)}),
        base_year=base,
        budget_sek=budget_items * 50,
        years=years,
        unit_price_sek=50,
        target_items_per_pupil={"non_fiction": 3},
        target_recent_share=0.5,
        weeding_age={"non_fiction": age},
    )
    best_key, _ = _brute_force(
        stock_items, stock_years, pupils, budget_items, years, base, 0.5, age, 3
    )
    # the LP relaxation can only be better than the best whole-item plan
    assert plan.numbers["lp_min_attainment"] >= best_key[0] - 1e-7
    # and the whole-item plan is as good as the best one in all three stages
    timeline = plan.timeline[plan.timeline["year"] > base]
    key = (
        timeline.loc[timeline["year"] == base + years, "attainment"].min(),
        timeline.groupby("year")["attainment"].min().sum(),
        timeline["attainment"].sum(),
    )
    assert key == pytest.approx(best_key, abs=1e-8)
    assert plan.numbers["min_attainment_after"] == pytest.approx(best_key[0], abs=1e-9)
    assert (plan.budget["spent_sek"] <= plan.budget["budget_sek"] + 1e-9).all()


def test_stage_one_matches_a_separately_written_lp():
    """max z s.t. z <= final holdings / target and z <= final recent / (share target) per pair,
    z <= 1, yearly budgets: dense, written from the model's definition, not the code."""
    rng = np.random.default_rng(3)
    base, years, share = 2024, 3, 0.4
    ages = {"fiction": 15, "non_fiction": 8, "easy_read": None}
    prices = {"fiction": 200.0, "non_fiction": 300.0, "easy_read": 150.0}
    targets = {"fiction": 5.0, "non_fiction": 3.0, "easy_read": 1.0}
    libs = list(range(1, 9))
    pupils = {lib: float(rng.integers(50, 400)) for lib in libs}
    rows = []
    for lib in libs:
        for category in targets:
            for year in rng.choice(np.arange(2000, 2025), 4, replace=False):
                rows.append((lib, category, int(year), float(rng.integers(0, 300))))
    stock = _stock(rows)
    budgets = [60_000.0, 40_000.0, 80_000.0]
    plan = media_budget_plan(
        stock,
        _pupils(pupils),
        base_year=base,
        budget_sek=budgets,
        unit_price_sek=prices,
        target_items_per_pupil=targets,
        target_recent_share=share,
        weeding_age=ages,
    )
    pairs = [(lib, c) for lib in libs for c in targets]
    n_k = len(pairs)
    final = base + years
    # variables: b[k, t] for t = 1..3, then z
    n_var = n_k * years + 1
    a_ub, b_ub = [], []
    for k, (lib, c) in enumerate(pairs):
        tau = targets[c] * pupils[lib]
        life = np.inf if ages[c] is None else ages[c]
        mine = stock[(stock["library_id"] == lib) & (stock["category"] == c)]
        for recent in (False, True):
            limit = min(life, 9) if recent else life
            left = mine.loc[final - mine["publication_year"] <= limit, "items"].sum()
            row = np.zeros(n_var)
            for t in range(1, years + 1):
                if final - (base + t) <= limit:
                    row[k * years + t - 1] = -1.0
            scale = share * tau if recent else tau
            row[-1] = scale
            a_ub.append(row)
            b_ub.append(left)
    for t in range(years):
        row = np.zeros(n_var)
        for k, (_, c) in enumerate(pairs):
            row[k * years + t] = prices[c]
        a_ub.append(row)
        b_ub.append(budgets[t])
    c = np.zeros(n_var)
    c[-1] = -1.0
    bounds = [(0, None)] * (n_var - 1) + [(0, 1)]
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    assert plan.numbers["lp_min_attainment"] == pytest.approx(-res.fun, abs=1e-6)
    # whole items within every year's budget; rounding costs little
    spent = (
        plan.purchases.groupby("year")["cost_sek"].sum().reindex(range(2025, 2028), fill_value=0)
    )
    assert (spent.to_numpy() <= np.array(budgets) + 1e-9).all()
    assert (plan.purchases["items"] == plan.purchases["items"].round()).all()
    assert plan.numbers["min_attainment_after"] <= -res.fun + 1e-9
    assert plan.numbers["min_attainment_after"] >= -res.fun - 0.02
    # the timeline's final attainment is recomputed from the whole items
    recomputed = _final_attainment(stock, plan.purchases, pupils, targets, ages, share, final)
    got = plan.timeline[plan.timeline["year"] == final].set_index("library_id")["attainment"]
    assert got.to_dict() == pytest.approx(recomputed)


def _final_attainment(stock, purchases, pupils, targets, ages, share, final):
    out = {}
    for lib in pupils:
        values = []
        for c, per_pupil in targets.items():
            tau = per_pupil * pupils[lib]
            life = np.inf if ages[c] is None else ages[c]
            items = pd.concat(
                [
                    stock[(stock["library_id"] == lib) & (stock["category"] == c)][
                        ["publication_year", "items"]
                    ],
                    purchases[
                        (purchases["library_id"] == lib) & (purchases["category"] == c)
                    ].rename(columns={"year": "publication_year"})[["publication_year", "items"]],
                ]
            )
            age = final - items["publication_year"]
            held = items.loc[age <= life, "items"].sum()
            recent = items.loc[age <= min(life, 9), "items"].sum()
            values += [held / tau, recent / (share * tau)]
        out[lib] = min(1.0, min(values))
    return out


def test_libraries_without_pupils_are_left_out():
    stock = _stock([(1, "fiction", 2020, 5), (2, "fiction", 2020, 8), (3, "fiction", 2020, 1)])
    plan = media_budget_plan(
        stock,
        _pupils({1: 10, 2: 0}),
        base_year=2024,
        budget_sek=100,
        years=1,
        unit_price_sek=100,
    )
    assert plan.libraries["library_id"].tolist() == [1]
    assert sorted(plan.excluded) == [2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget_sek": [100, 100], "years": 3}, "2 yearly values but years is 3"),
        ({"budget_sek": -5}, "budget_sek must be finite numbers >= 0"),
        ({"years": 0}, "years must be a whole number"),
        ({"target_recent_share": 1.5}, "target_recent_share"),
        ({"weeding_age": {"novels": 3}}, "unknown category novels"),
        ({"weeding_age": {"fiction": -1}}, "weeding_age for fiction"),
        (
            {"unit_price_sek": {"non_fiction": 100}},
            "unit_price_sek has no value for category fiction",
        ),
        ({"unit_price_sek": 0}, "must be > 0"),
        ({"target_items_per_pupil": 0}, "target_items_per_pupil"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    stock = _stock([(1, "fiction", 2020, 5)])
    options = {"base_year": 2024, "budget_sek": 100, "unit_price_sek": 100, **kwargs}
    with pytest.raises(ValueError, match=message):
        media_budget_plan(stock, _pupils({1: 10}), **options)


def test_bad_stock_is_named():
    with pytest.raises(ValueError, match="stock lacks the column"):
        media_budget_plan(
            _stock([]).drop(columns="items"),
            _pupils({1: 10}),
            base_year=2024,
            budget_sek=1,
            unit_price_sek=1,
        )
    with pytest.raises(ValueError, match="items is missing or not a number for library 1"):
        media_budget_plan(
            _stock([(1, "fiction", 2020, None)]),
            _pupils({1: 10}),
            base_year=2024,
            budget_sek=1,
            unit_price_sek=1,
        )
    with pytest.raises(ValueError, match="no library with pupils"):
        media_budget_plan(
            _stock([(1, "fiction", 2020, 3)]),
            _pupils({1: 0}),
            base_year=2024,
            budget_sek=1,
            unit_price_sek=1,
        )


def _scenario_frame():
    frame = pd.DataFrame(
        {
            "library_id": [1, 2],
            "library_name": ["A", "B"],
            "pupils": [10.0, 10.0],
            "staffed_hours_week": [10.0, 20.0],
            "media_cost_physical_sek": [300.0, 200.0],
            "acquisitions": [3.0, 2.0],
        }
    )
    frame.attrs["year"] = 2024
    collection = pd.DataFrame(
        {
            "library_id": [1, 2, 1],
            "year": [2024, 2024, 2023],
            "category": ["fiction", "fiction", "fiction"],
            "items": [50, 80, 999],
            "items_last_10_years": [50, 80, 999],
        }
    )
    return frame, collection


def test_media_plan_as_a_scenario_says_plainly_what_it_cannot_reach():
    from planning.scenario import collection_defaults, run_details, run_scenario, summarise

    frame, collection = _scenario_frame()
    defaults = collection_defaults(frame)
    # today's media cost SEK 500 for 5 items: SEK 100 an item, budget 500 a year
    assert (defaults["budget_sek"], defaults["unit_price_sek"]) == (500, 100)
    run = run_scenario(
        frame,
        "media-plan",
        {"years": 1, "target_items_per_pupil": 10, "weeding_age": {"fiction": None}},
        collection=collection,
    )
    # 5 items a year; targets 100 each; A has 50, B 80: all 5 go to A -> 55 % and 80 %
    assert run.ok and run.model == "media-plan"
    lib = run.libraries.set_index("library_id")
    assert lib["purchased_items"].to_dict() == {1: 5, 2: 0}
    assert lib["attainment_after"].to_dict() == pytest.approx({1: 0.55, 2: 0.8})
    assert lib["hours_after"].tolist() == lib["hours_before"].tolist()  # staffing unchanged
    assert run.cost_change_sek == pytest.approx(0)  # the budget is today's cost
    n = run.numbers
    assert (n["extra_items_needed"], n["extra_sek_needed"]) == (65, 6500)
    text = summarise(run, "sv")
    assert "går den lägsta måluppfyllelsen från 50\u00a0% (2024) till 55\u00a0% (2025)" in text
    assert "Budgeten räcker inte: 2 av 2 bibliotek når inte målen till 2025" in text
    assert "saknas då 65 medier, ungefär 6\u00a0500 kr utöver planen" in text
    assert "They would still lack 65 items, about SEK 6,500" in summarise(run, "en")
    assert set(run_details(run)) == {"purchases", "timeline", "shortfall", "budget"}
    rich = run_scenario(
        frame,
        "media-plan",
        {"years": 2, "budget_sek": 20_000, "weeding_age": {"fiction": None}},
        collection=collection,
    )
    assert rich.numbers["year_all_reached"] == 2025
    assert "når alla 2 bibliotek båda målen" in summarise(rich, "sv")
    with pytest.raises(ValueError, match="needs the collection rows"):
        run_scenario(frame, "media-plan", {})
    with pytest.raises(ValueError, match="unknown parameter"):
        run_scenario(frame, "media-plan", {"radius_km": 3}, collection=collection)
