"""app.services.access on a small hand-made layout, against brute-force computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from app.services import access as svc

# Libraries (EPSG:3006 metres): L1 at the origin staffed 30 h, L2 3 km east staffed 10 h,
# L3 far east staffed 40 h, L4 a "none" placeholder, L5 without coordinates, L6 without a
# figure for the year.
LIBRARIES = pd.DataFrame(
    {
        "library_id": [1, 2, 3, 4, 5, 6],
        "name": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "kind": ["own", "own", "public_special_reasons", "none", "own", "book_room"],
        "x": [0.0, 3000.0, 100000.0, 500.0, None, 0.0],
        "y": [0.0, 0.0, 0.0, 0.0, None, 9000.0],
        "municipality_code": ["9901"] * 5 + ["9902"],
    }
)
LIBRARY_YEARS = pd.DataFrame(
    {"library_id": [1, 2, 3, 4, 5], "staffed_hours": [30.0, 10.0, 40.0, 50.0, 25.0]}
)
# Schools: (id, x, y, pupils, library, kind)
SCHOOL_ROWS = [
    (1, 0.0, 0.0, 100, 1, "own"),
    (2, 3000.0, 0.0, 200, 2, "own"),
    (3, 0.0, 4000.0, 300, 1, "own"),  # 5 km from L2 exactly: inside a 5 km catchment
    (4, 20000.0, 0.0, 400, 3, "public_special_reasons"),
    (5, None, None, 500, 1, "own"),  # no coordinates
    (6, 0.0, 1000.0, 50, None, None),  # no library
    (7, 0.0, 8000.0, 60, 5, "own"),  # its library has no coordinates
    (8, 0.0, 9000.0, 70, 6, "book_room"),  # its library has no figures this year
    (9, 500.0, 500.0, 30, 4, "none"),  # served by a placeholder "none": no library
]


def schools() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "school_id": [r[0] for r in SCHOOL_ROWS],
            "school_unit_code": [f"S{r[0]}" for r in SCHOOL_ROWS],
            "school_name": [f"Skola {r[0]}" for r in SCHOOL_ROWS],
            "district": ["Norr"] * len(SCHOOL_ROWS),
            "organiser_type": ["municipal"] * len(SCHOOL_ROWS),
            "x": [r[1] for r in SCHOOL_ROWS],
            "y": [r[2] for r in SCHOOL_ROWS],
            "pupils_total": pd.array([r[3] for r in SCHOOL_ROWS], dtype="Int64"),
            "library_id": pd.array([r[4] for r in SCHOOL_ROWS], dtype="Int64"),
            "library_kind": [r[5] for r in SCHOOL_ROWS],
        }
    )
    return frame


@pytest.fixture
def sites() -> pd.DataFrame:
    return svc.library_sites(LIBRARIES, LIBRARY_YEARS)


def brute_force_2sfca(
    demand: list[tuple[float, float, float]],
    supply: list[tuple[float, float, float]],
    cutoff: float,
) -> list[float]:
    """Independent 2SFCA with explicit loops: (x, y, pupils) and (x, y, hours)."""
    ratios = []
    for lx, ly, hours in supply:
        pupils = sum(p for sx, sy, p in demand if math.hypot(sx - lx, sy - ly) <= cutoff)
        ratios.append(hours / pupils if pupils > 0 else 0.0)
    return [
        sum(
            r
            for (lx, ly, _), r in zip(supply, ratios, strict=True)
            if math.hypot(sx - lx, sy - ly) <= cutoff
        )
        for sx, sy, _ in demand
    ]


def test_library_sites(sites: pd.DataFrame) -> None:
    by_id = sites.set_index("library_id")
    assert by_id.loc[1, "library_name"] == "L1"
    assert by_id.loc[1, "staffed_hours"] == 30.0
    assert math.isnan(by_id.loc[6, "staffed_hours"])  # no row this year: unknown, not 0


def test_distance_to_the_serving_library(sites: pd.DataFrame) -> None:
    table = svc.access_table(schools(), sites, 5.0).set_index("school_id")
    assert table.loc[1, "distance_serving_km"] == 0.0
    assert table.loc[3, "distance_serving_km"] == pytest.approx(4.0)
    assert table.loc[4, "distance_serving_km"] == pytest.approx(80.0)
    assert table.loc[8, "distance_serving_km"] == pytest.approx(0.0)  # located, no figures
    assert table.loc[5, "serving_reason"] == svc.REASON_NO_COORDINATES
    assert table.loc[6, "serving_reason"] == svc.REASON_NO_LIBRARY
    assert table.loc[7, "serving_reason"] == svc.REASON_LIBRARY_NOT_LOCATED
    assert table.loc[9, "serving_reason"] == svc.REASON_NO_LIBRARY
    assert math.isnan(table.loc[9, "library_x"])  # no line to a "none" placeholder
    assert pd.isna(table.loc[1, "serving_reason"])
    assert table.loc[2, "library_name"] == "L2"


def test_nearest_staffed_library(sites: pd.DataFrame) -> None:
    table = svc.access_table(schools(), sites, 5.0).set_index("school_id")
    # staffed >= 20 h and located, kind "none" excluded: L1 (0, 0) and L3 (100 km east)
    assert table.loc[2, "staffed_library_name"] == "L1"
    assert table.loc[2, "distance_staffed_km"] == pytest.approx(3.0)
    assert table.loc[4, "staffed_library_name"] == "L1"
    assert table.loc[4, "distance_staffed_km"] == pytest.approx(20.0)
    assert table.loc[7, "distance_staffed_km"] == pytest.approx(8.0)
    assert table.loc[7, "staffed_library_hours"] == 30.0
    assert bool(table.loc[3, "staffed_within_catchment"])
    assert not bool(table.loc[4, "staffed_within_catchment"])
    assert pd.isna(table.loc[5, "staffed_within_catchment"])
    assert table.loc[5, "staffed_reason"] == svc.REASON_NO_COORDINATES


def located_demand() -> list[tuple[float, float, float]]:
    return [(r[1], r[2], float(r[3])) for r in SCHOOL_ROWS if r[1] is not None]


# supply of the 2SFCA: located, not "none", with a figure this year
SUPPLY = [(0.0, 0.0, 30.0), (3000.0, 0.0, 10.0), (100000.0, 0.0, 40.0)]


@pytest.mark.parametrize("km", [2.0, 5.0, 12.0])
def test_two_step_fca_matches_brute_force(sites: pd.DataFrame, km: float) -> None:
    table = svc.access_table(schools(), sites, km).set_index("school_id")
    expected = brute_force_2sfca(located_demand(), SUPPLY, km * 1000)
    located = [r[0] for r in SCHOOL_ROWS if r[1] is not None]
    for school_id, value in zip(located, expected, strict=True):
        assert table.loc[school_id, "access_per_100_pupils"] == pytest.approx(value * 100), (
            km,
            school_id,
        )
    assert math.isnan(table.loc[5, "access_per_100_pupils"])
    assert table.loc[5, "access_reason"] == svc.REASON_NO_COORDINATES


def test_catchment_changes_access(sites: pd.DataFrame) -> None:
    narrow = svc.access_table(schools(), sites, 2.0).set_index("school_id")
    wide = svc.access_table(schools(), sites, 5.0).set_index("school_id")
    # at 2 km school 3 reaches nothing; at 5 km it reaches L1 and (exactly) L2
    assert narrow.loc[3, "access_per_100_pupils"] == 0.0
    assert wide.loc[3, "access_per_100_pupils"] > 0
    assert wide.loc[3, "libraries_in_reach"] == 2


def test_demand_outside_the_report_competes(sites: pd.DataFrame) -> None:
    everyone = schools()
    shown = everyone[everyone["school_id"].isin([1, 2])]
    alone = svc.access_table(shown, sites, 5.0).set_index("school_id")
    shared = svc.access_table(shown, sites, 5.0, demand=everyone).set_index("school_id")
    assert list(shared.index) == [1, 2]
    assert shared.loc[1, "access_per_100_pupils"] < alone.loc[1, "access_per_100_pupils"]
    full = svc.access_table(everyone, sites, 5.0).set_index("school_id")
    assert shared.loc[1, "access_per_100_pupils"] == pytest.approx(
        full.loc[1, "access_per_100_pupils"]
    )


def test_summary_is_pupil_weighted(sites: pd.DataFrame) -> None:
    table = svc.access_table(schools(), sites, 5.0)
    summary = svc.access_summary(table, 5.0)
    located = table[table["access_reason"].isna()]
    pupils = located["pupils"].to_numpy()
    assert summary.pupils == sum(r[3] for r in SCHOOL_ROWS)
    assert summary.pupils_located == pupils.sum()
    within = located["distance_staffed_km"].le(5.0).to_numpy()
    assert summary.share_staffed_within == pytest.approx(pupils[within].sum() / pupils.sum())
    serving = located["distance_serving_km"].to_numpy()
    known = ~np.isnan(serving)
    assert summary.serving_mean_km == pytest.approx(
        np.average(serving[known], weights=pupils[known])
    )
    # missing distances count as not within
    assert summary.share_serving_within == pytest.approx(
        pupils[known & (serving <= 5.0)].sum() / pupils.sum()
    )
    access = located["access_per_100_pupils"].to_numpy()
    assert summary.access_mean == pytest.approx(np.average(access, weights=pupils))
    assert summary.share_no_access == pytest.approx(pupils[access == 0].sum() / pupils.sum())


def test_summary_without_located_schools(sites: pd.DataFrame) -> None:
    nowhere = schools().assign(x=None, y=None)
    summary = svc.access_summary(svc.access_table(nowhere, sites, 5.0), 5.0)
    assert summary.pupils_located == 0
    assert summary.share_staffed_within is None and summary.access_mean is None


def test_gaps_flags_and_order(sites: pd.DataFrame) -> None:
    table = svc.access_table(schools(), sites, 5.0)
    rows = svc.gaps(table, 5.0)
    flagged = rows.set_index("school_id")
    assert 5 not in flagged.index  # no coordinates: not judged
    assert bool(flagged.loc[6, "gap_no_library"])
    assert bool(flagged.loc[4, "gap_serving_far"]) and bool(flagged.loc[4, "gap_no_staffed"])
    assert not bool(flagged.loc[4, "gap_no_library"])
    # low access: below half the pupil-weighted median of the located school units
    located = table[table["access_reason"].isna()]
    per_pupil = sorted(
        a
        for a, p in zip(located["access_per_100_pupils"], located["pupils"], strict=True)
        for _ in range(int(p))
    )
    median = per_pupil[math.ceil(len(per_pupil) / 2) - 1]
    expected_low = set(located.loc[located["access_per_100_pupils"] < median / 2, "school_id"])
    assert set(flagged.index[flagged["gap_low_access"]]) == expected_low
    # every row has a gap; most gaps first, then lowest access
    assert (rows["gap_count"] > 0).all()
    assert rows["gap_count"].is_monotonic_decreasing
    for _, group in rows.groupby("gap_count"):
        assert group["access_per_100_pupils"].is_monotonic_increasing
    pupils = svc.gap_pupils(rows)
    assert pupils["any"] == rows["pupils"].sum()
    assert pupils["gap_no_library"] == 50 + 30
    assert bool(flagged.loc[9, "gap_no_library"])


def test_bad_catchment(sites: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        svc.access_table(schools(), sites, 0.0)
