"""planning.collection.stock_transfers against hand computations, brute force and a separately
written transportation LP."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from planning.collection import stock_transfers


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["library_id", "category", "items", "pupils", "x", "y"])


def test_line_of_three_libraries_by_hand():
    # target 10 items per pupil. A: 1000 items, 50 pupils -> surplus 500, at x = 0 km.
    # B: 100 items, 30 pupils -> deficit 200, at 2 km.  C: 0 items, 40 pupils -> deficit 400,
    # at 10 km. Everything A can give (500) moves; B is nearer, so B gets its 200 and C 300.
    # item-km = 200 x 2 + 300 x 10 = 3400; C still has to buy 100.
    frame = _frame(
        [
            (1, "fiction", 1000, 50, 0, 0),
            (2, "fiction", 100, 30, 2000, 0),
            (3, "fiction", 0, 40, 10000, 0),
        ]
    )
    plan = stock_transfers(frame, target_items_per_pupil=10)
    assert plan.status == "optimal"
    moves = plan.transfers.set_index("to_library_id")
    assert moves.loc[2, "items"] == 200 and moves.loc[2, "km"] == pytest.approx(2)
    assert moves.loc[3, "items"] == 300 and moves.loc[3, "km"] == pytest.approx(10)
    assert set(plan.transfers["from_library_id"]) == {1}
    assert plan.item_km == pytest.approx(3400)
    assert plan.purchases.to_dict(orient="records") == [
        {"library_id": 3, "category": "fiction", "items": 100}
    ]
    # within 5 km only B can be reached: 200 items, 400 item-km; C buys all 400
    near = stock_transfers(frame, target_items_per_pupil=10, radius_km=5)
    assert near.transfers[["to_library_id", "items"]].values.tolist() == [[2, 200]]
    assert near.item_km == pytest.approx(400)
    assert near.purchases.set_index("library_id")["items"].to_dict() == {3: 400}


def test_surplus_is_floored_and_deficit_ceiled():
    # 3 items per pupil: 10 items / 3 pupils -> surplus floor(1) = 1;
    # 9 items / 3.5 pupils -> need 10.5 -> deficit ceil(1.5) = 2, no surplus;
    # exactly at target (12 items / 4 pupils): neither.
    frame = _frame(
        [
            (1, "fiction", 10, 3, 0, 0),
            (2, "fiction", 9, 3.5, 1000, 0),
            (3, "fiction", 12, 4, 500, 0),
        ]
    )
    plan = stock_transfers(frame, target_items_per_pupil=3)
    balance = plan.balance.set_index("library_id")
    assert balance[["surplus", "deficit"]].values.tolist() == [[1, 0], [0, 2], [0, 0]]
    assert plan.transfers[["from_library_id", "to_library_id", "items"]].values.tolist() == [
        [1, 2, 1]
    ]
    assert plan.purchases["items"].tolist() == [1]


def test_target_per_category_and_no_exchange_between_categories():
    frame = _frame(
        [
            (1, "fiction", 100, 10, 0, 0),  # fiction target 5/pupil: surplus 50
            (2, "fiction", 0, 10, 1000, 0),  # deficit 50
            (1, "non_fiction", 0, 10, 0, 0),  # non-fiction target 2/pupil: deficit 20
            (2, "non_fiction", 25, 10, 1000, 0),  # surplus 5
        ]
    )
    plan = stock_transfers(frame, target_items_per_pupil={"fiction": 5, "non_fiction": 2})
    got = {
        (r.category, r.from_library_id, r.to_library_id): r.items
        for r in plan.transfers.itertuples()
    }
    assert got == {("fiction", 1, 2): 50, ("non_fiction", 2, 1): 5}
    assert plan.purchases.to_dict(orient="records") == [
        {"library_id": 1, "category": "non_fiction", "items": 15}
    ]
    with pytest.raises(ValueError, match="no value for category non_fiction"):
        stock_transfers(frame, target_items_per_pupil={"fiction": 5})


def _brute_force(supply, demand, km, reach):
    """Best (most moved, then fewest item-km) over every whole-item plan on reachable pairs."""
    n_s, n_d = len(supply), len(demand)
    best = (-1, np.inf)
    ranges = [
        range(min(supply[i], demand[j]) + 1) if reach[i, j] else range(1)
        for i in range(n_s)
        for j in range(n_d)
    ]
    for flat in itertools.product(*ranges):
        x = np.array(flat).reshape(n_s, n_d)
        if (x.sum(1) > supply).any() or (x.sum(0) > demand).any():
            continue
        moved, cost = int(x.sum()), float((x * km).sum())
        if moved > best[0] or (moved == best[0] and cost < best[1] - 1e-9):
            best = (moved, cost)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_on_small_cases(seed):
    rng = np.random.default_rng(seed)
    n = 5
    pupils = rng.integers(1, 4, n)
    items = rng.integers(0, 12, n)
    xy = rng.uniform(0, 20_000, (n, 2))
    frame = _frame([(i + 1, "fiction", items[i], pupils[i], xy[i, 0], xy[i, 1]) for i in range(n)])
    target = 2.0
    radius = None if seed % 2 else 12.0
    plan = stock_transfers(frame, target_items_per_pupil=target, radius_km=radius)
    diff = items - target * pupils
    givers = np.flatnonzero(diff > 0)
    takers = np.flatnonzero(diff < 0)
    km = np.hypot(*(xy[givers][:, None, :] - xy[takers][None, :, :]).transpose(2, 0, 1)) / 1000
    supply, demand = diff[givers].astype(int), (-diff[takers]).astype(int)
    # a pair beyond the radius cannot move anything
    reach = np.ones_like(km, bool) if radius is None else km <= radius
    best = _brute_force(supply, demand, km, reach)
    assert plan.moved == best[0]
    assert plan.item_km == pytest.approx(best[1], abs=1e-6)


def _balanced_lp(supply, demand, km):
    """A separately written transportation LP: balanced with a dummy source and sink.

    Dummy arcs cost M each, larger than any real plan's item-km, so the LP first moves as many
    real items as possible (a big-M formulation, unlike the code's two stages), then minimises
    item-km. Dense matrices, equality constraints.
    """
    n_s, n_d = len(supply), len(demand)
    big = km.max() * (supply.sum() + 1) + 1.0
    cost = np.zeros((n_s + 1, n_d + 1))
    cost[:n_s, :n_d] = km
    cost[n_s, :] = big
    cost[:, n_d] = big
    cost[n_s, n_d] = 0.0
    s = np.append(supply, demand.sum())
    d = np.append(demand, supply.sum())
    a_eq = []
    for i in range(n_s + 1):
        row = np.zeros((n_s + 1, n_d + 1))
        row[i, :] = 1
        a_eq.append(row.ravel())
    for j in range(n_d + 1):
        row = np.zeros((n_s + 1, n_d + 1))
        row[:, j] = 1
        a_eq.append(row.ravel())
    res = linprog(cost.ravel(), A_eq=np.array(a_eq), b_eq=np.concatenate([s, d]), method="highs")
    x = res.x.reshape(n_s + 1, n_d + 1)[:n_s, :n_d]
    return x.sum(), float((x * km).sum())


def test_matches_a_separate_transportation_lp_at_county_size():
    rng = np.random.default_rng(42)
    n = 120
    pupils = rng.integers(20, 600, n)
    per_pupil = rng.lognormal(np.log(8), 0.5, n)
    items = np.round(per_pupil * pupils)
    xy = rng.uniform(0, 150_000, (n, 2))
    frame = _frame([(i, "non_fiction", items[i], pupils[i], *xy[i]) for i in range(n)])
    plan = stock_transfers(frame, target_items_per_pupil=8)
    diff = items - 8 * pupils
    givers, takers = np.flatnonzero(diff >= 1), np.flatnonzero(diff <= -1)
    supply = np.floor(diff[givers])
    demand = np.ceil(-diff[takers])
    km = np.hypot(*(xy[givers][:, None, :] - xy[takers][None, :, :]).transpose(2, 0, 1)) / 1000
    moved, item_km = _balanced_lp(supply, demand, km)
    assert plan.moved == pytest.approx(moved)
    assert plan.item_km == pytest.approx(item_km, rel=1e-7)


def test_constraints_hold_on_a_random_instance():
    rng = np.random.default_rng(7)
    n = 200
    rows = []
    for library in range(n):
        x, y = rng.uniform(0, 200_000, 2)
        pupils = float(rng.integers(0, 500))
        for category in ("fiction", "non_fiction", "easy_read"):
            rows.append((library, category, float(rng.integers(0, 4000)), pupils, x, y))
    frame = _frame(rows)
    plan = stock_transfers(
        frame, target_items_per_pupil={"fiction": 5, "non_fiction": 4, "easy_read": 1},
        radius_km=25,
    )  # fmt: skip
    b = plan.balance.set_index(["library_id", "category"])
    sent = plan.transfers.groupby(["from_library_id", "category"])["items"].sum()
    got = plan.transfers.groupby(["to_library_id", "category"])["items"].sum()
    sent.index.names = got.index.names = ["library_id", "category"]
    # no library sends more than its surplus or receives more than its deficit
    assert (sent <= b.loc[sent.index, "surplus"]).all()
    assert (got <= b.loc[got.index, "deficit"]).all()
    # a library is never on both sides of one category
    assert not set(sent.index) & set(got.index)
    assert (plan.transfers["km"] <= 25 + 1e-9).all()
    assert (plan.transfers["items"] > 0).all()
    # distances are the straight line between the coordinates
    xy = frame.drop_duplicates("library_id").set_index("library_id")[["x", "y"]]
    t = plan.transfers
    expected = np.hypot(
        xy.loc[t["from_library_id"], "x"].to_numpy() - xy.loc[t["to_library_id"], "x"].to_numpy(),
        xy.loc[t["from_library_id"], "y"].to_numpy() - xy.loc[t["to_library_id"], "y"].to_numpy(),
    )
    assert t["km"].to_numpy() == pytest.approx(expected / 1000)
    # purchases are the deficit not covered
    buy = plan.purchases.set_index(["library_id", "category"])["items"]
    uncovered = (b["deficit"] - got.reindex(b.index, fill_value=0)).loc[lambda s: s > 0]
    assert buy.sort_index().to_dict() == uncovered.sort_index().to_dict()
    assert plan.item_km == pytest.approx(float((t["items"] * t["km"]).sum()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="x"), "lacks the column"),
        (lambda f: f.assign(items=[-1, 2]), "items must be >= 0"),
        (lambda f: f.assign(pupils=[np.nan, 2]), "pupils is missing"),
        (lambda f: f.assign(y=[1.0, np.nan]), "y is missing or not a number for library 2"),
        (lambda f: f.assign(category=["fiction", "novels"]), "unknown category novels"),
        (lambda f: f.assign(library_id=[1, 1]), "library 1 has category fiction twice"),
    ],
)
def test_bad_input_is_named(change, message):
    frame = _frame([(1, "fiction", 5, 1, 0, 0), (2, "fiction", 0, 1, 10, 0)])
    with pytest.raises(ValueError, match=message):
        stock_transfers(change(frame), target_items_per_pupil=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_items_per_pupil": -1}, "must be >= 0"),
        ({"target_items_per_pupil": "ten"}, "finite number"),
        ({"target_items_per_pupil": 1, "radius_km": 0}, "radius_km"),
    ],
)
def test_bad_parameters(kwargs, message):
    frame = _frame([(1, "fiction", 5, 1, 0, 0), (2, "fiction", 0, 1, 10, 0)])
    with pytest.raises(ValueError, match=message):
        stock_transfers(frame, **kwargs)


def test_nothing_to_move():
    frame = _frame([(1, "fiction", 5, 1, 0, 0), (2, "fiction", 6, 1, 10, 0)])
    plan = stock_transfers(frame, target_items_per_pupil=8)
    assert plan.transfers.empty and plan.item_km == 0
    assert plan.purchases["items"].tolist() == [3, 2]


def test_transfers_as_a_scenario():
    from planning.scenario import run_details, run_scenario, summarise

    frame = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4],
            "library_name": ["A", "B", "C", "D"],
            "pupils": [10.0, 10.0, 0.0, 10.0],
            "staffed_hours_week": [10.0, 20.0, 5.0, 1.0],
            "x": [0.0, 3000.0, 0.0, np.nan],
            "y": [0.0, 4000.0, 0.0, 0.0],
            "media_cost_physical_sek": [100.0, 100.0, 0.0, 0.0],
            "acquisitions": [1.0, 1.0, 0.0, 0.0],
        }
    )
    frame.attrs["year"] = 2024
    collection = pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4, 1, 2],
            "year": [2024] * 6,
            "category": ["fiction"] * 4 + ["non_fiction"] * 2,
            "items": [150, 30, 500, 0, 0, 20],
            "items_last_10_years": [0] * 6,
        }
    )
    # C has no pupils and D no coordinates: neither gives nor receives. A and B hold 150 + 30
    # fiction and 0 + 20 non-fiction. The default target is the standard 10 per pupil split
    # by that mix: fiction 9, non-fiction 1 per pupil -> fiction: A +60, B -60; non-fiction:
    # A -10, B +10. A and B are 5 km apart.
    run = run_scenario(frame, "transfers", {}, collection=collection)
    assert run.ok
    assert run.numbers["target_items_per_pupil"] == pytest.approx(
        {"fiction": 9.0, "non_fiction": 1.0}
    )
    moves = run_details(run)["transfers"]
    got = {(r.category, r.from_library_id, r.to_library_id): r.items for r in moves.itertuples()}
    assert got == {("fiction", 1, 2): 60, ("non_fiction", 2, 1): 10}
    assert run.numbers["item_km"] == pytest.approx(70 * 5)
    assert run.numbers["n_excluded"] == 2
    lib = run.libraries.set_index("library_id")
    assert lib.loc[[1, 2], "items_after"].tolist() == [100, 100]
    assert np.isnan(lib.loc[3, "items_after"])
    assert run.cost_change_sek == 0
    text = summarise(run, "sv")
    assert "70 medier kan flyttas mellan 2 bibliotek med överskott och 2 under målet" in text
    assert "350 mediekilometer" in text and "Inget behöver köpas" in text
    near = run_scenario(frame, "transfers", {"radius_km": 2}, collection=collection)
    assert "Inga medier kan flyttas inom 2 km" in summarise(near, "sv")
    assert "70 items remain to be bought by 2 libraries (about SEK 7,000" in summarise(near, "en")
