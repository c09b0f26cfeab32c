"""app.services.comparison on small hand-made frames, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from app.services import comparison as svc
from metrics.indicators import INDICATORS, library_indicators
from metrics.standards import load_reference_values

YEAR = 2024
FLAGS = (
    "has_preschool_class",
    "has_grades_1_3",
    "has_grades_4_6",
    "has_grades_7_9",
    "has_upper_secondary",
    "has_adapted",
)


def library_years() -> pd.DataFrame:
    """Three libraries: L1 serves A; L2 serves B and C; L3 has no loans recorded.
    L4 (kind "none") serves F; E's library L5 has no row this year."""
    return pd.DataFrame(
        {
            "library_id": [1, 2, 3, 4],
            "library_name": ["Ett", "Två", "Tre", "Inget"],
            "library_kind": ["own", "shared", "own", "none"],
            "municipality_code": ["9901", "9901", "9902", "9901"],
            "year": [YEAR] * 4,
            "pupils_served": [200, 500, 100, 80],
            "hours_lis_librarian": [20.0, 10.0, 0.0, 0.0],
            "hours_teacher_librarian": [10.0, 0.0, 5.0, 0.0],
            "items": [3000, 4000, 500, 0],
            "loans": [2400, 5000, None, 0],
            "share_foreign_background": [0.2, 0.4, None, 0.1],
            "share_parents_post_secondary": [0.6, 0.5, 0.5, 0.5],
        }
    )


def schools() -> pd.DataFrame:
    rows = [
        # code, name, municipality, library, kind, pupils, stages, foreign, post-sec
        ("A", "Alfa", "9901", 1, "own", 200, ("has_grades_1_3", "has_grades_4_6"), 0.2, 0.6),
        ("B", "Beta", "9901", 2, "shared", 300, ("has_grades_7_9",), 0.5, 0.4),
        ("C", "Gamma", "9901", 2, "shared", 200, ("has_grades_1_3",), 0.25, 0.65),
        ("D", "Delta", "9901", None, None, 50, ("has_grades_1_3",), 0.1, 0.5),
        ("E", "Epsilon", "9901", 5, "own", 70, ("has_upper_secondary",), None, 0.5),
        ("F", "Zeta", "9901", 4, "none", 80, ("has_grades_4_6",), 0.1, 0.5),
        ("G", "Eta", "9902", 3, "own", 100, ("has_grades_1_3",), 0.3, 0.5),
    ]
    frame = pd.DataFrame(
        [
            {
                "school_id": i + 1,
                "school_unit_code": code,
                "school_name": name,
                "municipality_code": municipality,
                "district": "Norr" if i % 2 else "Söder",
                "organiser_type": "municipal",
                "year": YEAR,
                "library_id": library,
                "library_name": None if library is None else f"lib {library}",
                "library_kind": kind,
                "pupils_total": pupils,
                "pupils_grades_1_9": pupils if "has_upper_secondary" not in stages else None,
                "pupils_upper_secondary": pupils if "has_upper_secondary" in stages else None,
                "share_foreign_background": foreign,
                "share_parents_post_secondary": post,
                **{flag: flag in stages for flag in FLAGS},
            }
            for i, (code, name, municipality, library, kind, pupils, stages, foreign, post) in (
                enumerate(rows)
            )
        ]
    )
    frame["library_id"] = frame["library_id"].astype("Int64")
    frame["pupils_total"] = frame["pupils_total"].astype("Int64")
    return frame


@pytest.fixture
def indicators() -> pd.DataFrame:
    return library_indicators(library_years())


@pytest.fixture
def values(indicators: pd.DataFrame) -> pd.DataFrame:
    return svc.school_values(schools(), indicators)


@pytest.fixture
def reference() -> pd.DataFrame:
    return load_reference_values()


def by_code(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("school_unit_code")


def test_school_units_carry_their_library_value(values: pd.DataFrame) -> None:
    v = by_code(values)
    # L1: 30 h for 200 pupils; L2: 10 h for the 500 pupils of B and C together
    assert v.loc["A", "staffed_hours_per_100_pupils"] == pytest.approx(30 / 200 * 100)
    assert v.loc["B", "staffed_hours_per_100_pupils"] == pytest.approx(10 / 500 * 100)
    assert v.loc["C", "staffed_hours_per_100_pupils"] == v.loc["B", "staffed_hours_per_100_pupils"]
    assert v.loc["A", "loans_per_pupil"] == pytest.approx(2400 / 200)
    assert v.loc["B", "pupils"] == 300 and v.loc["B", "pupils_served"] == 500
    assert v.loc["A", "staffed_hours_per_100_pupils_reason_code"] is None or pd.isna(
        v.loc["A", "staffed_hours_per_100_pupils_reason_code"]
    )


def test_missing_values_have_a_reason(values: pd.DataFrame) -> None:
    v = by_code(values)
    # D has no library, F's library is of kind "none": no value, whatever the library holds
    for code in ("D", "F"):
        for name in INDICATORS:
            assert math.isnan(v.loc[code, name]), (code, name)
            assert v.loc[code, f"{name}_reason_code"] == svc.REASON_NO_LIBRARY
    # E's library has no figures this year
    assert math.isnan(v.loc["E", "items_per_pupil"])
    assert v.loc["E", "items_per_pupil_reason_code"] == svc.REASON_NO_FIGURES
    # G's library has no loans recorded: the indicator's own reason, in both languages
    assert math.isnan(v.loc["G", "loans_per_pupil"])
    assert v.loc["G", "loans_per_pupil_reason_code"] == svc.REASON_INDICATOR
    assert v.loc["G", "loans_per_pupil_reason"] == "loans missing"
    assert v.loc["G", "loans_per_pupil_reason_sv"] == "utlån (loans) saknas"
    # the LIS share is a real 0 for G, not missing
    assert v.loc["G", "lis_share_of_staff_hours"] == 0.0


def test_need_weight_of_school_units(values: pd.DataFrame) -> None:
    v = by_code(values)
    # default formula: 1 + 0.5 * foreign + 0.5 * (1 - post-secondary)
    assert v.loc["B", "need_weight"] == pytest.approx(1 + 0.5 * 0.5 + 0.5 * 0.6)
    assert math.isnan(v.loc["E", "need_weight"])  # a share is missing: no weight, not 1


def test_library_values_reasons_and_need(indicators: pd.DataFrame) -> None:
    libs = svc.library_values(indicators).set_index("library_id")
    assert libs.loc[3, "loans_per_pupil_reason_code"] == svc.REASON_INDICATOR
    assert libs.loc[3, "loans_per_pupil_reason_sv"] == "utlån (loans) saknas"
    assert libs.loc[1, "pupils"] == 200
    assert libs.loc[2, "need_weight"] == pytest.approx(1 + 0.5 * 0.4 + 0.5 * 0.5)
    assert math.isnan(libs.loc[3, "need_weight"])


def test_ranking_best_first_missing_last(values: pd.DataFrame) -> None:
    rows = svc.ranking(values, "staffed_hours_per_100_pupils", "school")
    known = rows[rows["staffed_hours_per_100_pupils"].notna()]
    assert known["staffed_hours_per_100_pupils"].is_monotonic_decreasing
    assert rows["id"].tolist()[:1] == ["A"]
    # A 15, G 5 (5 h for 100 pupils), B and C share 2.0: both rank 3
    ranks = dict(zip(rows["id"], rows["rank"], strict=True))
    assert ranks["G"] == 2
    assert ranks["B"] == ranks["C"] == 3
    assert rows["staffed_hours_per_100_pupils"].tail(3).isna().all()
    assert set(rows["id"].tail(3)) == {"D", "E", "F"}
    assert pd.isna(ranks["D"])


def test_ranking_lower_is_better_and_library_unit(indicators: pd.DataFrame) -> None:
    frame = library_years().assign(median_publication_year=[2010, 2020, 2000, None])
    libs = svc.library_values(library_indicators(frame))
    rows = svc.ranking(libs, "median_collection_age", "library")
    # ages 14, 4, 24: the youngest collection first
    assert rows["id"].tolist() == ["2", "1", "3", "4"]
    assert rows["rank"].tolist()[:3] == [1, 2, 3]
    assert rows["label"].tolist()[0] == "Två"


def test_ranking_labels_are_unique(values: pd.DataFrame) -> None:
    twins = values.assign(school_name="Samma")
    labels = svc.ranking(twins, "items_per_pupil", "school")["label"]
    assert labels.is_unique
    assert labels.str.startswith("Samma (").all()


def expanded_lower_median(values: list[float], pupils: list[int]) -> float:
    """Independent: list every pupil's value and take the lower median."""
    per_pupil = sorted(v for v, p in zip(values, pupils, strict=True) for _ in range(p))
    return per_pupil[math.ceil(len(per_pupil) / 2) - 1]


def test_municipal_median_is_pupil_weighted(values: pd.DataFrame) -> None:
    municipal = values[values["municipality_code"] == "9901"]
    medians = svc.municipal_medians(municipal)
    known = municipal[municipal["loans_per_pupil"].notna()]
    expected = expanded_lower_median(
        known["loans_per_pupil"].tolist(), known["pupils"].astype(int).tolist()
    )
    assert medians["loans_per_pupil"] == pytest.approx(expected)
    assert svc.weighted_median(pd.Series([1.0, 2, 3, 4]), pd.Series([1, 1, 1, 5])) == 4.0
    assert math.isnan(svc.weighted_median(pd.Series([np.nan]), pd.Series([10])))
    assert math.isnan(svc.weighted_median(pd.Series([3.0]), pd.Series([0])))


def test_reference_lines(reference: pd.DataFrame) -> None:
    lines = svc.reference_lines("staffed_hours_per_week", reference)
    assert lines["value"].tolist() == [20.0]
    assert lines["description_sv"].iloc[0].startswith("Fungerande skolbibliotek")
    assert svc.reference_lines("turnover", reference).empty

    every = svc.reference_lines("staff_fte_per_1000_pupils", reference)
    assert every["value"].tolist() == pytest.approx([0.17, 1000 / 300, 1000 / 400])
    hours = svc.reference_lines("staffed_hours_per_100_pupils", reference)
    assert hours["value"].tolist() == pytest.approx([100 * 40 / 300, 100 * 40 / 400])

    primary_only = schools().iloc[[0, 2]]
    items = svc.reference_lines("items_per_pupil", reference, primary_only)
    assert items["key"].tolist() == ["items_per_pupil_primary_min"]
    assert items["value"].tolist() == [10.0]
    fte = svc.reference_lines("staff_fte_per_1000_pupils", reference, primary_only)
    assert fte["key"].tolist() == [
        "national_fte_per_1000_pupils_2023",
        "pupils_per_librarian_compulsory",
    ]
    ages = svc.reference_lines("median_collection_age", reference)
    assert ages["value"].tolist() == [10.0, 15.0]
    # a key the (user-edited) table lacks is skipped
    edited = reference[reference["key"] != "national_loans_per_pupil_2023"]
    assert svc.reference_lines("loans_per_pupil", edited).empty


def test_distribution_and_scatter(values: pd.DataFrame) -> None:
    spread = svc.distribution(values, "items_per_pupil")
    assert set(spread["label"]) == {"Alfa", "Beta", "Gamma", "Eta"}
    assert spread["pupils"].sum() == 200 + 300 + 200 + 100
    rows = svc.ranking(values, "items_per_pupil", "school")
    by_need = svc.scatter(rows, "items_per_pupil", "need_weight")
    assert set(by_need["id"]) == {"A", "B", "C", "G"}
    with pytest.raises(ValueError):
        svc.scatter(rows, "items_per_pupil", "area")


def test_school_profile_against_hand_computation(
    values: pd.DataFrame, reference: pd.DataFrame
) -> None:
    municipal = values[values["municipality_code"] == "9901"]
    medians = svc.municipal_medians(municipal)
    peers = pd.DataFrame(
        {
            "year": [YEAR] * 3,
            "school_unit_code": ["A"] * 3,
            "peer_code": ["B", "G", "D"],
            "distance": [0.5, 0.7, 0.9],
            "rank": [1, 2, 3],
        }
    )
    profile = svc.school_profile("A", values, medians, peers, reference).set_index("indicator")
    assert list(profile.index) == list(INDICATORS)
    v = by_code(values)
    row = profile.loc["staffed_hours_per_100_pupils"]
    assert row["value"] == pytest.approx(15.0)
    assert row["municipal_median"] == pytest.approx(medians["staffed_hours_per_100_pupils"])
    # peers with a value: B (2.0) and G (5.0); D has none
    peer_values = [
        v.loc["B", "staffed_hours_per_100_pupils"],
        v.loc["G", "staffed_hours_per_100_pupils"],
    ]
    assert row["peer_median"] == pytest.approx(np.median(peer_values))
    assert row["peer_rank"] == 1 and row["peer_group_size"] == 3
    assert row["reference_value"] == pytest.approx(100 * 40 / 300)
    # items per pupil: A teaches years 1-6 only, so its own bound is the primary one
    items = profile.loc["items_per_pupil"]
    assert items["reference_key"] == svc.STAGE_BOUND_KEY
    assert items["reference_value"] == pytest.approx(10.0)
    # loans: G has none, so A is ranked among itself and B
    loans = profile.loc["loans_per_pupil"]
    assert loans["peer_group_size"] == 2
    assert loans["peer_median"] == pytest.approx(v.loc["B", "loans_per_pupil"])
    assert loans["reference_value"] == 11.0
    # an indicator without a standard
    assert math.isnan(profile.loc["turnover", "reference_value"])


def test_school_profile_without_peers_and_missing_values(
    values: pd.DataFrame, reference: pd.DataFrame
) -> None:
    medians = svc.municipal_medians(values)
    empty = pd.DataFrame(columns=["year", "school_unit_code", "peer_code", "distance", "rank"])
    profile = svc.school_profile("D", values, medians, empty, reference)
    assert profile["value"].isna().all()
    assert (profile["reason_code"] == svc.REASON_NO_LIBRARY).all()
    assert profile["peer_rank"].isna().all() and (profile["peer_group_size"] == 0).all()
    with pytest.raises(KeyError):
        svc.school_profile("nope", values, medians, empty, reference)


def test_peer_list_names_the_peers(values: pd.DataFrame) -> None:
    peers = pd.DataFrame(
        {
            "year": [YEAR, YEAR],
            "school_unit_code": ["A", "A"],
            "peer_code": ["G", "B"],
            "distance": [0.2, 0.4],
            "rank": [1, 2],
        }
    )
    listed = svc.peer_list("A", peers, values)
    assert listed["school_name"].tolist() == ["Eta", "Beta"]
    assert listed["municipality_code"].tolist() == ["9902", "9901"]
