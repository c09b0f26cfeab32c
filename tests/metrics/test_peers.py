"""Tests for metrics.peers: KD-tree peer groups against brute force, and ranks among peers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.peers import DEFAULT_FEATURES, peer_groups, rank_among_peers, standardise

STAGES = ["has_preschool_class", "has_grades_1_3", "has_grades_4_6", "has_grades_7_9"]


def random_schools(seed: int, n: int, years: tuple[int, ...] = (2024,)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = len(years) * n
    frame = pd.DataFrame(
        {
            "school_unit_code": [f"{i:08d}" for i in range(rows)],
            "year": np.repeat(years, n),
            "pupils_total": rng.uniform(20, 900, rows),
            "need_weight": rng.uniform(1.0, 2.0, rows),
        }
    )
    for stage in [*STAGES, "has_upper_secondary"]:
        frame[stage] = rng.random(rows) < 0.5
    return frame


def brute_force(frame: pd.DataFrame, features: list[str], k: int) -> dict:
    """{(year, code): [(peer, distance), ...]} from a full distance matrix, by hand."""
    result = {}
    for year, group in frame.groupby("year"):
        x = group[features].to_numpy(dtype=float)
        mean = x.sum(axis=0) / len(x)
        sd = np.sqrt(((x - mean) ** 2).sum(axis=0) / len(x))
        sd[sd == 0] = 1.0
        z = (x - mean) / sd
        dist = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
        codes = group["school_unit_code"].to_numpy()
        for i, code in enumerate(codes):
            order = [j for j in np.argsort(dist[i], kind="stable") if j != i][:k]
            result[(year, code)] = [(codes[j], dist[i, j]) for j in order]
    return result


@pytest.mark.parametrize(
    ("seed", "n", "k", "years"),
    [
        (0, 40, 5, (2024,)),
        (1, 200, 5, (2023, 2024)),
        (2, 60, 10, (2024,)),
        (3, 7, 3, (2022, 2023, 2024)),
        (4, 150, 1, (2024,)),
    ],
)
def test_peer_groups_match_brute_force(seed, n, k, years):
    schools = random_schools(seed, n, years)
    peers = peer_groups(schools, k=k)
    expected = brute_force(schools, list(DEFAULT_FEATURES), k)
    assert len(peers) == len(schools) * k
    for (year, code), group in peers.groupby(["year", "school_unit_code"]):
        want = expected[(year, code)]
        assert group["peer_code"].tolist() == [p for p, _ in want]
        np.testing.assert_allclose(group["distance"], [d for _, d in want], rtol=1e-10)
        assert group["rank"].tolist() == list(range(1, k + 1))
    # Peers are chosen within the same year.
    years_of = schools.set_index("school_unit_code")["year"]
    assert (peers["peer_code"].map(years_of) == peers["year"]).all()


def test_small_example_by_hand():
    # Only size: pupils 100, 110, 300, 1000. mean 377.5, squared deviations
    # 77006.25 + 71556.25 + 6006.25 + 387506.25 = 542075, sd = sqrt(542075 / 4).
    schools = pd.DataFrame(
        {"school_unit_code": ["A", "B", "C", "D"], "pupils_total": [100, 110, 300, 1000]}
    )
    peers = peer_groups(schools, k=2, features=["pupils_total"], by=None)
    sd = math.sqrt(542075 / 4)
    got = {
        (r.school_unit_code, r.rank): (r.peer_code, r.distance)
        for r in peers.itertuples(index=False)
    }
    assert got[("A", 1)] == ("B", pytest.approx(10 / sd))
    assert got[("A", 2)] == ("C", pytest.approx(200 / sd))
    assert got[("C", 1)] == ("B", pytest.approx(190 / sd))
    assert got[("D", 1)] == ("C", pytest.approx(700 / sd))
    assert got[("D", 2)] == ("B", pytest.approx(890 / sd))
    assert list(peers.columns) == ["school_unit_code", "peer_code", "distance", "rank"]


def test_k_larger_than_group():
    schools = random_schools(9, 4)
    peers = peer_groups(schools, k=10)
    assert peers.groupby("school_unit_code").size().tolist() == [3, 3, 3, 3]


def test_single_school_has_no_peers():
    peers = peer_groups(random_schools(9, 1), k=3)
    assert peers.empty
    assert list(peers.columns) == ["year", "school_unit_code", "peer_code", "distance", "rank"]


def test_missing_feature_drops_school_out_of_peer_groups():
    schools = random_schools(11, 30)
    schools.loc[5, "pupils_total"] = np.nan
    dropped = schools.loc[5, "school_unit_code"]
    peers = peer_groups(schools, k=4)
    assert dropped not in set(peers["school_unit_code"]) | set(peers["peer_code"])
    expected = brute_force(schools.drop(index=5), list(DEFAULT_FEATURES), 4)
    for (year, code), group in peers.groupby(["year", "school_unit_code"]):
        assert group["peer_code"].tolist() == [p for p, _ in expected[(year, code)]]


def test_constant_feature_does_not_count():
    schools = random_schools(12, 25)
    schools["has_upper_secondary"] = False
    with_constant = peer_groups(schools, k=3)
    features = [f for f in DEFAULT_FEATURES if f != "has_upper_secondary"]
    without = peer_groups(schools, k=3, features=features)
    pd.testing.assert_frame_equal(with_constant, without)


def test_need_weight_computed_from_shares():
    schools = random_schools(13, 30).drop(columns=["need_weight"])
    rng = np.random.default_rng(13)
    schools["share_foreign_background"] = rng.random(30)
    schools["share_parents_post_secondary"] = rng.random(30)
    peers = peer_groups(schools, k=3)
    # Default need formula, by hand: 1 + 0.5 * foreign + 0.5 * (1 - post-secondary).
    schools["need_weight"] = (
        1
        + 0.5 * schools["share_foreign_background"]
        + 0.5 * (1 - schools["share_parents_post_secondary"])
    )
    expected = brute_force(schools, list(DEFAULT_FEATURES), 3)
    for (year, code), group in peers.groupby(["year", "school_unit_code"]):
        assert group["peer_code"].tolist() == [p for p, _ in expected[(year, code)]]


def test_feature_weights_scale_z_scores():
    schools = random_schools(14, 40)
    peers = peer_groups(schools, k=3, feature_weights={"pupils_total": 3.0})
    # Brute force on the z-scores with the size column multiplied by 3.
    x = schools[list(DEFAULT_FEATURES)].to_numpy(dtype=float)
    sd = x.std(axis=0)
    sd[sd == 0] = 1
    z = (x - x.mean(axis=0)) / sd
    z[:, 0] *= 3
    dist = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    codes = schools["school_unit_code"].to_numpy()
    for code, group in peers.groupby("school_unit_code"):
        i = int(np.flatnonzero(codes == code)[0])
        assert group["peer_code"].tolist() == codes[np.argsort(dist[i])[:3]].tolist()


def test_ties_are_ordered_by_code():
    schools = pd.DataFrame(
        {
            "school_unit_code": ["C", "A", "B", "D"],
            "pupils_total": [100, 100, 100, 500],
        }
    )
    peers = peer_groups(schools, k=3, features=["pupils_total"], by=None)
    first = peers[peers["school_unit_code"] == "D"]["peer_code"].tolist()
    assert first == ["A", "B", "C"]
    assert peers[peers["school_unit_code"] == "A"]["peer_code"].tolist() == ["B", "C", "D"]


def test_errors():
    schools = random_schools(0, 5)
    with pytest.raises(KeyError, match="nope"):
        peer_groups(schools, features=["nope"])
    with pytest.raises(ValueError, match="k must"):
        peer_groups(schools, k=0)


def test_standardise():
    z = standardise(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 5.0]}))
    # mean 2, population sd sqrt(2/3)
    np.testing.assert_allclose(z["a"], [-1 / math.sqrt(2 / 3), 0, 1 / math.sqrt(2 / 3)])
    assert (z["b"] == 0).all()


# ------------------------------------------------------------------ rank_among_peers

PEERS = pd.DataFrame(
    {
        "year": [2024] * 6,
        "school_unit_code": ["A", "A", "A", "B", "B", "C"],
        "peer_code": ["B", "C", "D", "A", "C", "A"],
        "distance": [0.1, 0.2, 0.3, 0.1, 0.4, 0.2],
        "rank": [1, 2, 3, 1, 2, 1],
    }
)
VALUES = pd.DataFrame(
    {
        "year": [2024] * 4,
        "school_unit_code": ["A", "B", "C", "D"],
        "loans_per_pupil": [5.0, 7.0, 9.0, np.nan],
    }
)


@pytest.mark.parametrize(
    ("higher_is_better", "code", "rank", "group_size"),
    [
        (True, "A", 3, 3),  # peers B 7, C 9 above 5; D has no value
        (False, "A", 1, 3),
        (True, "B", 2, 3),  # among A 5, C 9
        (False, "B", 2, 3),
        (True, "C", 1, 2),  # only peer A 5
        (False, "C", 2, 2),
    ],
)
def test_rank_among_peers(higher_is_better, code, rank, group_size):
    ranks = rank_among_peers(VALUES, PEERS, "loans_per_pupil", higher_is_better).set_index(
        "school_unit_code"
    )
    assert ranks.loc[code, "rank"] == rank
    assert ranks.loc[code, "group_size"] == group_size


def test_rank_among_peers_summary_columns_and_ties():
    values = VALUES.assign(loans_per_pupil=[7.0, 7.0, 9.0, 1.0])
    ranks = rank_among_peers(values, PEERS, "loans_per_pupil").set_index("school_unit_code")
    # A = 7 among B 7, C 9, D 1: only C is better -> rank 2 (ties share the best rank).
    assert ranks.loc["A", "rank"] == 2
    assert ranks.loc["B", "rank"] == 2
    assert ranks.loc["A", "peer_median"] == 7.0
    assert ranks.loc["A", "peer_mean"] == pytest.approx(17 / 3)
    assert list(rank_among_peers(values, PEERS, "loans_per_pupil").columns) == [
        "year",
        "school_unit_code",
        "value",
        "rank",
        "group_size",
        "peer_median",
        "peer_mean",
    ]


def test_rank_missing_when_own_value_missing():
    peers = pd.concat(
        [PEERS, pd.DataFrame([{"year": 2024, "school_unit_code": "D", "peer_code": "A"}])],
        ignore_index=True,
    )
    ranks = rank_among_peers(VALUES, peers, "loans_per_pupil").set_index("school_unit_code")
    assert pd.isna(ranks.loc["D", "rank"])
    assert ranks.loc["D", "group_size"] == 1
