"""Speed and memory of the collection and coordination models, against a greedy baseline.

Run from the project root::

    python benchmarks/bench_collection.py              # county and national scale
    python benchmarks/bench_collection.py --quick      # county scale only

Deterministic synthetic instances (seed 20250815), in EPSG:3006 metres:

* **county**: 300 libraries around 15 town centres in a 150 x 150 km square;
* **national**: 5,000 libraries around 290 town centres in a 650 x 1,500 km box (Sweden's
  extent), denser in the south.

Pupils are 20–1,200 per library; holdings are lognormal around 10 items per pupil, split over
the seven categories with a random mix around a common one; 40–70 % published in the last ten
years. The transfer target per category is 10 items per pupil split like all holdings together.

Cases (each in a fresh process, so that its peak memory is its own):

1. ``transfers``: :func:`planning.collection.stock_transfers` (two LP stages per category on
   the candidate pairs), at county scale without a radius and within 30 km, at national scale
   within 30 km;
2. ``greedy``: the baseline in the same run: per category, candidate pairs in order of
   distance (nearest first), each moving as much as both ends still allow (the least-cost
   rule; a nearest-neighbour greedy). Same pairs (cKDTree within the radius), same surpluses
   and deficits;
3. ``media-plan``: :func:`planning.collection.media_budget_plan` at county scale, 5 years,
   a budget of SEK 98 per pupil a year (the national mean media cost) at SEK 250 an item, on
   :func:`planning.collection.stock_cohorts`;
4. ``clusters``: :func:`planning.coordination.shared_librarian_clusters` at county scale, the
   libraries under 300 pupils, with a 30 s time limit per stage (the fewest librarians, then
   the least travel), with and without a limit of 4 schools per librarian; and a harder
   county of 150 small schools (a quarter of the pupils, at least 5), at most 4 per librarian,
   where the clusters must be packed tightly and HiGHS stops at the time limit.

Time is wall-clock (``time.perf_counter``) around the call; memory is the process's peak
resident set (``ru_maxrss``) and its increase over the resident set just before the call. The
script prints a table and whether the targets hold, and exits with status 1 if one is missed.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import multiprocessing
import platform
import resource
import sys
import time
from importlib.metadata import version

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

SEED = 20_250_815
CATEGORIES = (
    "fiction",
    "non_fiction",
    "picture_books",
    "easy_read",
    "other_languages",
    "audiobooks",
    "e_books",
)
MIX = np.array([0.36, 0.3, 0.12, 0.08, 0.06, 0.05, 0.03])
SCALES = {
    "county": {"n": 300, "towns": 15, "box": (500_000, 6_300_000, 650_000, 6_450_000)},
    "national": {"n": 5_000, "towns": 290, "box": (270_000, 6_130_000, 920_000, 7_630_000)},
}
#: case -> (seconds, peak resident MB) it must stay within
TARGETS = {
    "transfers county": (10.0, 1_000.0),
    "transfers county 30 km": (10.0, 1_000.0),
    "transfers national 30 km": (120.0, 3_000.0),
    "media-plan county": (60.0, 1_500.0),
    "clusters county": (70.0, 1_000.0),
    # two stages of at most 30 s each, plus the heuristic and the model building
    "clusters 150 small schools, at most 4": (75.0, 1_500.0),
}


def synthetic(scale: str, seed: int = SEED) -> pd.DataFrame:
    """One row per library and category: library_id, category, items, recent, pupils, x, y."""
    spec = SCALES[scale]
    rng = np.random.default_rng(seed + spec["n"])
    x0, y0, x1, y1 = spec["box"]
    towns_x = rng.uniform(x0, x1, spec["towns"])
    # denser in the south: towns drawn towards low northings
    towns_y = y0 + (y1 - y0) * rng.beta(1.2, 2.5, spec["towns"])
    town = rng.integers(0, spec["towns"], spec["n"])
    x = towns_x[town] + rng.normal(0, 8_000, spec["n"])
    y = towns_y[town] + rng.normal(0, 8_000, spec["n"])
    pupils = rng.integers(20, 1_201, spec["n"]).astype(float)
    per_pupil = rng.lognormal(np.log(10), 0.45, spec["n"])
    mix = rng.dirichlet(MIX * 40, spec["n"])
    items = np.round(per_pupil[:, None] * pupils[:, None] * mix)
    recent = np.round(items * rng.uniform(0.4, 0.7, (spec["n"], 1)))
    n_cat = len(CATEGORIES)
    return pd.DataFrame(
        {
            "library_id": np.repeat(np.arange(1, spec["n"] + 1), n_cat),
            "category": np.tile(CATEGORIES, spec["n"]),
            "items": items.ravel(),
            "recent": recent.ravel(),
            "pupils": np.repeat(pupils, n_cat),
            "x": np.repeat(x, n_cat),
            "y": np.repeat(y, n_cat),
        }
    )


def targets(frame: pd.DataFrame) -> dict[str, float]:
    """10 items per pupil split like all holdings together."""
    items = frame.groupby("category")["items"].sum()
    share = items / items.sum()
    return {c: round(10 * float(share[c]), 2) for c in CATEGORIES}


def greedy_transfers(frame: pd.DataFrame, per_pupil: dict, radius_km: float | None) -> dict:
    """Least-cost greedy: nearest candidate pairs first, each moving all it can."""
    moved = 0
    item_km = 0.0
    for category in CATEGORIES:
        part = frame[frame["category"] == category]
        diff = part["items"].to_numpy() - per_pupil[category] * part["pupils"].to_numpy()
        supply = np.maximum(np.floor(diff + 1e-9), 0)
        demand = np.maximum(np.ceil(-diff - 1e-9), 0)
        givers, takers = np.flatnonzero(supply > 0), np.flatnonzero(demand > 0)
        if not givers.size or not takers.size:
            continue
        xy = part[["x", "y"]].to_numpy()
        if radius_km is None:
            gi, tj = np.meshgrid(np.arange(givers.size), np.arange(takers.size), indexing="ij")
            gi, tj = gi.ravel(), tj.ravel()
            metres = np.hypot(*(xy[givers[gi]] - xy[takers[tj]]).T)
        else:
            found = cKDTree(xy[givers]).sparse_distance_matrix(
                cKDTree(xy[takers]), radius_km * 1000, output_type="ndarray"
            )
            gi, tj, metres = found["i"], found["j"], found["v"]
        left_s, left_d = supply[givers].copy(), demand[takers].copy()
        for k in np.argsort(metres, kind="stable"):
            amount = min(left_s[gi[k]], left_d[tj[k]])
            if amount > 0:
                left_s[gi[k]] -= amount
                left_d[tj[k]] -= amount
                moved += amount
                item_km += amount * metres[k] / 1000
    return {"moved": int(moved), "item_km": item_km}


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def run_case(case: str, scale: str, option: float | None, small: bool = False) -> dict:
    """One case in this process: time, memory and what it found.

    ``option`` is the radius in km for transfers and greedy, the limit of schools per
    librarian for clusters; ``small`` makes the cluster case's schools small (see above).
    """
    radius_km = option
    frame = synthetic(scale)
    per_pupil = targets(frame)
    before = _rss_mb()
    start = time.perf_counter()
    if case == "transfers":
        from planning.collection import stock_transfers

        cols = ["library_id", "category", "items", "pupils", "x", "y"]
        target = {c: per_pupil[c] for c in CATEGORIES}
        plan = stock_transfers(frame[cols], target_items_per_pupil=target, radius_km=radius_km)
        found = {
            "moved": plan.moved,
            "item_km": plan.item_km,
            "pairs": sum(s.n_variables for s in plan.stages if s.name.startswith("max_moved")),
            "status": plan.status,
        }
    elif case == "greedy":
        found = greedy_transfers(frame, per_pupil, radius_km)
    elif case == "media-plan":
        from planning.collection import media_budget_plan, stock_cohorts

        rows = frame.assign(year=2024, items_last_10_years=frame["recent"])
        cohorts = stock_cohorts(rows, 2024)
        pupils = frame.drop_duplicates("library_id")[["library_id", "pupils"]]
        budget = 98.0 * float(pupils["pupils"].sum())
        start = time.perf_counter()  # the cohorts are input preparation
        plan = media_budget_plan(
            cohorts, pupils, base_year=2024, budget_sek=budget, years=5, unit_price_sek=250.0
        )
        n = plan.numbers
        found = {
            "min before": f"{n['min_attainment_before']:.1%}",
            "min after": f"{n['min_attainment_after']:.1%} (LP {n['lp_min_attainment']:.1%})",
            "purchases": len(plan.purchases),
            "status": plan.status,
        }
    else:  # clusters
        from planning.coordination import shared_librarian_clusters

        sites = frame.drop_duplicates("library_id")[["library_id", "pupils", "x", "y"]]
        if small:
            sites = sites.head(150).assign(pupils=(sites["pupils"] // 4).clip(lower=5))
        max_schools = None if option is None else int(option)
        plan = shared_librarian_clusters(sites, max_schools=max_schools, time_limit=30.0)
        found = {
            "schools": plan.gain["n_schools"],
            "librarians": f"{plan.librarians} (bound {plan.lower_bound})",
            "travel h": f"{plan.travel_hours:.1f} (heuristic {plan.heuristic_travel_hours:.1f})",
            "gap": "–" if plan.mip_gap is None else f"{plan.mip_gap:.2%}",
            "status": plan.status,
        }
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "added_mb": peak - before, **found}


def _in_child(case: str, scale: str, option: float | None, small: bool) -> dict:
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_case, case, scale, option, small).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="county scale only")
    args = parser.parse_args(argv)
    plan = [
        ("transfers county", "transfers", "county", None, False),
        ("greedy county", "greedy", "county", None, False),
        ("transfers county 30 km", "transfers", "county", 30.0, False),
        ("greedy county 30 km", "greedy", "county", 30.0, False),
        ("media-plan county", "media-plan", "county", None, False),
        ("clusters county", "clusters", "county", None, False),
        ("clusters county, at most 4 schools", "clusters", "county", 4, False),
        ("clusters 150 small schools, at most 4", "clusters", "county", 4, True),
    ]
    if not args.quick:
        plan += [
            ("transfers national 30 km", "transfers", "national", 30.0, False),
            ("greedy national 30 km", "greedy", "national", 30.0, False),
        ]
    print(
        f"Python {platform.python_version()}, scipy {version('scipy')}, "
        f"numpy {version('numpy')}, pandas {version('pandas')}, {multiprocessing.cpu_count()} CPUs"
    )
    missed = []
    for name, case, scale, option, small in plan:
        result = _in_child(case, scale, option, small)
        extra = {k: v for k, v in result.items() if k not in ("seconds", "peak_mb", "added_mb")}
        shown = ", ".join(
            f"{k} {v:,.0f}" if isinstance(v, float) else f"{k} {v}" for k, v in extra.items()
        )
        print(
            f"{name:<36} {result['seconds']:8.2f} s  peak {result['peak_mb']:7.0f} MB "
            f"(+{result['added_mb']:.0f})  {shown}"
        )
        if name in TARGETS:
            limit_s, limit_mb = TARGETS[name]
            if result["seconds"] > limit_s or result["peak_mb"] > limit_mb:
                missed.append(f"{name}: {result['seconds']:.1f} s, {result['peak_mb']:.0f} MB")
    if missed:
        print("targets missed: " + "; ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
