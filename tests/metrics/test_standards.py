"""Tests for metrics.standards: reference values, per-school checks and the score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics.standards import (
    CHECKS,
    DEFAULT_REFERENCE_PATH,
    STATUSES,
    load_reference_values,
    reference_value,
    school_checks,
    stage_items_per_pupil_bound,
    standards_score,
)

REFERENCE = load_reference_values()

# ------------------------------------------------------------------ reference values


def test_default_reference_file():
    assert DEFAULT_REFERENCE_PATH.name == "reference_values.csv"
    assert DEFAULT_REFERENCE_PATH.parent.name == "data"
    assert REFERENCE["value"].dtype == "float64"
    assert REFERENCE["key"].is_unique
    assert REFERENCE["source"].notna().all()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("kb2012_min_staffed_hours", 20),
        ("kb2012_min_items", 1000),
        ("items_per_pupil_primary_min", 10),
        ("items_per_pupil_11_16_min", 13),
        ("items_per_pupil_upper_secondary_min", 17),
        ("min_items_small_school", 1300),
        ("median_age_good", 10),
        ("median_age_acceptable", 15),
        ("fte_hours_per_week", 40),
    ],
)
def test_reference_values_used_by_the_checks(key, expected):
    assert reference_value(REFERENCE, key) == expected


def test_unknown_reference_key():
    with pytest.raises(KeyError, match="no_such_key"):
        reference_value(REFERENCE, "no_such_key")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("key,value\na,1\n", "columns"),
        ("key,value,source\na,1,KB\na,2,KB\n", "duplicated"),
        ("key,value,source\na,many,KB\n", "not numbers"),
        ("key,value,source\na,1,\n", "without a source"),
        ("key,value,source\n,1,KB\n", "needs a key"),
    ],
)
def test_invalid_reference_files(tmp_path, content, message):
    path = tmp_path / "ref.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_reference_values(path)


def test_edited_reference_values_change_the_check(tmp_path):
    edited = REFERENCE.copy()
    edited.loc[edited["key"] == "kb2012_min_items", "value"] = 500.0
    path = tmp_path / "edited.csv"
    edited.to_csv(path, index=False)
    reference = load_reference_values(path)
    result = run_checks(library={"items": 600}, reference=reference)
    assert result["kb2012_functioning"][0] == "pass"


# ------------------------------------------------------------------ check fixtures

SCHOOL = {
    "school_id": 1,
    "school_unit_code": "12345678",
    "year": 2024,
    "library_id": 10,
    "has_preschool_class": True,
    "has_grades_1_3": True,
    "has_grades_4_6": True,
    "has_grades_7_9": False,
    "has_upper_secondary": False,
    "pupils_preschool_class": 20,
    "pupils_grades_1_9": 180,
    "pupils_upper_secondary": None,
}
LIBRARY = {
    "library_id": 10,
    "year": 2024,
    "library_kind": "own",
    "location_class": 1,
    "pupils_served": 200,
    "staffed_hours_per_week": 25.0,
    "hours_lis_librarian": 20.0,
    "items": 3000,
    "median_collection_age": 8.0,
    "catalogue_kind": "digital_pupils",
    "library_plan_adopted": True,
}
LINK = {"school_id": 1, "library_id": 10, "host_school_id": 1, "special_reasons": None}


def run_checks(
    school: dict | None = None,
    library: dict | None = None,
    link: dict | None = None,
    links: bool = True,
    reference: pd.DataFrame = REFERENCE,
) -> dict[str, tuple[str, str, str]]:
    """check -> (status, reason_en, reason_sv) for one school built from the fixtures."""
    schools = pd.DataFrame([{**SCHOOL, **(school or {})}])
    libraries = pd.DataFrame([{**LIBRARY, **(library or {})}])
    link_frame = pd.DataFrame([{**LINK, **(link or {})}]) if links else None
    out = school_checks(schools, libraries, reference, link_frame)
    return {
        row.check: (row.status, row.reason_en, row.reason_sv) for row in out.itertuples(index=False)
    }


def test_complete_school_passes_everything():
    result = run_checks()
    assert list(result) == list(CHECKS)
    assert {status for status, _, _ in result.values()} == {"pass"}


def test_output_shape_and_reasons():
    schools = pd.DataFrame([SCHOOL, {**SCHOOL, "school_id": 2, "school_unit_code": "87654321"}])
    out = school_checks(schools, pd.DataFrame([LIBRARY]), REFERENCE, pd.DataFrame([LINK]))
    assert list(out.columns) == [
        "school_unit_code",
        "year",
        "check",
        "status",
        "reason_sv",
        "reason_en",
    ]
    assert len(out) == 2 * len(CHECKS)
    assert set(out["status"]) <= set(STATUSES)
    assert out["reason_sv"].str.len().gt(0).all() and out["reason_en"].str.len().gt(0).all()
    assert list(out["school_unit_code"].unique()) == ["12345678", "87654321"]


def test_duplicate_library_year_raises():
    libraries = pd.DataFrame([LIBRARY, LIBRARY])
    with pytest.raises(ValueError, match="several rows"):
        school_checks(pd.DataFrame([SCHOOL]), libraries, REFERENCE, pd.DataFrame([LINK]))


# ------------------------------------------------------------------ law_own_unit

OWN_UNIT_CASES = [
    # (school changes, library changes, link changes, links given, status, reason fragment)
    ({}, {}, {}, True, "pass", "own unit"),
    ({}, {}, {"host_school_id": 2}, True, "fail", "no special reasons"),
    ({}, {}, {"host_school_id": 2, "special_reasons": "   "}, True, "fail", "no special reasons"),
    (
        {},
        {"library_kind": "shared"},
        {"host_school_id": 2, "special_reasons": "Skolorna delar byggnad"},
        True,
        "pass",
        "special reasons documented: Skolorna delar byggnad",
    ),
    (
        {},
        {"library_kind": "public_special_reasons"},
        {"host_school_id": None, "special_reasons": "Folkbiblioteket ligger vägg i vägg"},
        True,
        "pass",
        "special reasons documented",
    ),
    # The kind alone is not documentation of the special reasons.
    (
        {},
        {"library_kind": "public_special_reasons"},
        {"host_school_id": None},
        True,
        "fail",
        "no special reasons",
    ),
    ({"library_id": None}, {}, {}, True, "fail", "no library serves"),
    ({}, {"library_kind": "none"}, {}, True, "fail", "no library serves"),
    ({}, {"library_kind": "book_room"}, {}, True, "unknown", "book room"),
    ({}, {}, {}, False, "unknown", "links were given"),
    ({}, {}, {"library_id": 99}, True, "unknown", "no link"),
]


@pytest.mark.parametrize(
    ("school", "library", "link", "links", "status", "fragment"), OWN_UNIT_CASES
)
def test_law_own_unit(school, library, link, links, status, fragment):
    got, reason_en, reason_sv = run_checks(school, library, link, links)["law_own_unit"]
    assert got == status
    assert fragment in reason_en
    assert reason_sv


def test_law_own_unit_host_from_library_frame_without_links():
    got, _, _ = run_checks(library={"host_school_id": 1}, links=False)["law_own_unit"]
    assert got == "pass"


def test_special_reasons_text_in_swedish_reason():
    _, _, reason_sv = run_checks(link={"host_school_id": 5, "special_reasons": "Liten skola"})[
        "law_own_unit"
    ]
    assert reason_sv.endswith("särskilda skäl dokumenterade: Liten skola")


# ------------------------------------------------------------------ staffed, LIS, plan


@pytest.mark.parametrize(
    ("hours", "status"), [(0.0, "fail"), (0.5, "pass"), (40.0, "pass"), (None, "unknown")]
)
def test_law_staffed(hours, status):
    assert run_checks(library={"staffed_hours_per_week": hours})["law_staffed"][0] == status


@pytest.mark.parametrize(
    ("hours", "status", "fragment"),
    [
        (0.0, "fail", "no hours of LIS-qualified staff"),
        (2.5, "pass", "2.5 h/week"),
        (None, "unknown", "not recorded"),
    ],
)
def test_law_lis_staff(hours, status, fragment):
    got, reason_en, _ = run_checks(library={"hours_lis_librarian": hours})["law_lis_staff"]
    assert (got, fragment in reason_en) == (status, True)


@pytest.mark.parametrize(
    ("adopted", "status"), [(True, "pass"), (False, "fail"), (None, "unknown")]
)
def test_law_library_plan(adopted, status):
    assert run_checks(library={"library_plan_adopted": adopted})["law_library_plan"][0] == status


def test_school_without_library():
    result = run_checks(school={"library_id": None})
    statuses = {check: status for check, (status, _, _) in result.items()}
    assert statuses.pop("law_library_plan") == "unknown"
    assert set(statuses.values()) == {"fail"}


def test_library_without_record_this_year():
    result = run_checks(library={"year": 2023})
    statuses = {check: status for check, (status, _, _) in result.items()}
    # The location on the own unit does not need the year's record.
    assert statuses.pop("law_own_unit") == "pass"
    assert set(statuses.values()) == {"unknown"}
    assert "no inventory record" in result["law_staffed"][1]


# ------------------------------------------------------------------ KB 2012

KB_CASES = [
    # (library changes, status, reason fragment)
    ({"staffed_hours_per_week": 20.0, "items": 1000}, "pass", "staffed 20 h/week, 1000 items"),
    ({"staffed_hours_per_week": 19.99}, "fail", "below 20"),
    ({"items": 999}, "fail", "999 items, below 1000"),
    ({"catalogue_kind": "none"}, "fail", "no catalogue"),
    ({"catalogue_kind": "manual"}, "pass", "catalogue"),
    ({"location_class": 2}, "fail", "location class 2"),
    ({"catalogue_kind": None}, "unknown", "catalogue kind not recorded"),
    ({"items": None, "location_class": None}, "unknown", "location class not recorded"),
    # A failing criterion decides even when another one is unknown.
    ({"catalogue_kind": None, "items": 999}, "fail", "below 1000"),
    (
        {"catalogue_kind": "none", "location_class": 3, "staffed_hours_per_week": 0, "items": 10},
        "fail",
        "no catalogue; not in the school's premises (location class 3); staffed 0 h/week, "
        "below 20; 10 items, below 1000",
    ),
]


@pytest.mark.parametrize(("library", "status", "fragment"), KB_CASES)
def test_kb2012_functioning(library, status, fragment):
    got, reason_en, reason_sv = run_checks(library=library)["kb2012_functioning"]
    assert got == status
    assert fragment in reason_en
    assert reason_sv


def test_kb2012_swedish_reason_uses_decimal_comma():
    _, _, reason_sv = run_checks(library={"staffed_hours_per_week": 12.5})["kb2012_functioning"]
    assert "bemannat 12,5 tim/vecka, under 20" in reason_sv


# ------------------------------------------------------------------ collection size

SIZE_CASES = [
    # (school changes, library changes, status, reason fragment)
    # F-6, 200 pupils: 10 per pupil -> at least 2,000 items.
    ({}, {"items": 2000}, "pass", "10 items per pupil"),
    ({}, {"items": 1999}, "fail", "10 items per pupil"),  # 9.995 rounds to 10.0 in the text
    # 100 pupils exactly: not "fewer than 100", so 10 per pupil = 1,000 is enough.
    ({}, {"pupils_served": 100, "items": 1000}, "pass", "standard at least 10"),
    # 99 pupils: at least 1,300 items.
    ({}, {"pupils_served": 99, "items": 1300}, "pass", "at least 1300 items"),
    ({}, {"pupils_served": 99, "items": 1299}, "fail", "1299 items for fewer than 100"),
    ({}, {"pupils_served": 0, "items": 1300}, "pass", "fewer than 100"),
    # Years 7-9 only, 200 pupils: 13 per pupil -> 2,600 items.
    (
        {"has_preschool_class": False, "has_grades_1_3": False, "has_grades_4_6": False}
        | {"has_grades_7_9": True, "pupils_preschool_class": None},
        {"items": 2600},
        "pass",
        "at least 13",
    ),
    (
        {"has_preschool_class": False, "has_grades_1_3": False, "has_grades_4_6": False}
        | {"has_grades_7_9": True, "pupils_preschool_class": None},
        {"items": 2599},
        "fail",
        "at least 13",
    ),
    # Upper secondary only: 17 per pupil -> 3,400 items for 200 pupils.
    (
        {"has_preschool_class": False, "has_grades_1_3": False, "has_grades_4_6": False}
        | {"has_upper_secondary": True, "pupils_preschool_class": None}
        | {"pupils_grades_1_9": None, "pupils_upper_secondary": 200},
        {"items": 3400},
        "pass",
        "at least 17",
    ),
    ({}, {"items": None}, "unknown", "items not recorded"),
    ({}, {"pupils_served": None}, "unknown", "pupils served not recorded"),
    (
        {"has_preschool_class": False, "has_grades_1_3": False, "has_grades_4_6": False}
        | {"pupils_preschool_class": None, "pupils_grades_1_9": None},
        {},
        "unknown",
        "stages",
    ),
]


@pytest.mark.parametrize(("school", "library", "status", "fragment"), SIZE_CASES)
def test_collection_size(school, library, status, fragment):
    got, reason_en, _ = run_checks(school=school, library=library)["collection_size"]
    assert got == status
    assert fragment in reason_en


# Stage bound: pupil-weighted mean of 10 (F-6), 13 (7-9) and 17 (upper secondary).
BOUND_CASES = [
    # F-6 only
    ({"has_preschool_class": True, "has_grades_1_3": True, "has_grades_4_6": True}, 10.0),
    # F-9 with grade counts: 120 pupils in years 1-6 and 60 in 7-9:
    # (10 * 120 + 13 * 60) / 180 = 1980 / 180 = 11
    (
        {"has_grades_1_3": True, "has_grades_4_6": True, "has_grades_7_9": True}
        | {f"pupils_grade_{g}": 20 for g in range(1, 7)}
        | {f"pupils_grade_{g}": 20 for g in range(7, 10)},
        11.0,
    ),
    # F-9 without grade counts: 300 pupils in years 1-9 split evenly over 1-3, 4-6, 7-9,
    # plus 60 in förskoleklass: primary 200 + 60 = 260, middle 100:
    # (10 * 260 + 13 * 100) / 360 = 3900 / 360
    (
        {"has_preschool_class": True, "has_grades_1_3": True, "has_grades_4_6": True}
        | {"has_grades_7_9": True, "pupils_preschool_class": 60, "pupils_grades_1_9": 300},
        3900 / 360,
    ),
    # 7-9 and upper secondary, 90 + 30 pupils: (13 * 90 + 17 * 30) / 120 = 1680 / 120 = 14
    (
        {"has_grades_7_9": True, "has_upper_secondary": True}
        | {"pupils_grades_1_9": 90, "pupils_upper_secondary": 30},
        14.0,
    ),
    # No pupil counts: unweighted mean of the flagged stages (10 + 17) / 2
    ({"has_grades_4_6": True, "has_upper_secondary": True}, 13.5),
    # Nothing known
    ({}, np.nan),
]


@pytest.mark.parametrize(("school", "expected"), BOUND_CASES)
def test_stage_bound(school, expected):
    bound = stage_items_per_pupil_bound(pd.DataFrame([school]), REFERENCE).iloc[0]
    if np.isnan(expected):
        assert np.isnan(bound)
    else:
        assert bound == pytest.approx(expected, rel=1e-12)


def test_one_library_serving_several_schools():
    # Library 10 serves school A (F-6, 100 pupils) and school B (7-9, 200 pupils):
    # 300 pupils served, 3,500 items = 11.67 per pupil: enough for A (10), not for B (13).
    schools = pd.DataFrame(
        [
            {**SCHOOL, "pupils_preschool_class": None, "pupils_grades_1_9": 100},
            {
                **SCHOOL,
                "school_id": 2,
                "school_unit_code": "22222222",
                "has_preschool_class": False,
                "has_grades_1_3": False,
                "has_grades_4_6": False,
                "has_grades_7_9": True,
                "pupils_preschool_class": None,
                "pupils_grades_1_9": 200,
            },
        ]
    )
    library = pd.DataFrame([{**LIBRARY, "pupils_served": 300, "items": 3500}])
    links = pd.DataFrame(
        [LINK, {"school_id": 2, "library_id": 10, "host_school_id": 1, "special_reasons": None}]
    )
    out = school_checks(schools, library, REFERENCE, links)
    status = out.set_index(["school_unit_code", "check"])["status"]
    assert status[("12345678", "collection_size")] == "pass"
    assert status[("22222222", "collection_size")] == "fail"
    assert status[("12345678", "law_own_unit")] == "pass"
    assert status[("22222222", "law_own_unit")] == "fail"  # shared, no special reasons
    reason = out.set_index(["school_unit_code", "check"])["reason_en"]
    assert "11.7 items per pupil" in reason[("22222222", "collection_size")]


# ------------------------------------------------------------------ currency


@pytest.mark.parametrize(
    ("age", "status", "fragment"),
    [
        (3.0, "pass", "good"),
        (10.0, "pass", "good"),
        (10.5, "pass", "acceptable"),
        (15.0, "pass", "acceptable"),
        (15.5, "fail", "over 15"),
        (None, "unknown", "not recorded"),
    ],
)
def test_collection_currency(age, status, fragment):
    got, reason_en, _ = run_checks(library={"median_collection_age": age})["collection_currency"]
    assert got == status
    assert fragment in reason_en


# ------------------------------------------------------------------ score


def test_standards_score():
    checks = pd.DataFrame(
        {
            "school_unit_code": ["A"] * 4 + ["B"] * 3,
            "year": [2024] * 7,
            "check": ["c1", "c2", "c3", "c4", "c1", "c2", "c3"],
            "status": ["pass", "pass", "fail", "unknown", "unknown", "unknown", "unknown"],
        }
    )
    score = standards_score(checks).set_index("school_unit_code")
    # A: 2 met, 1 failed, 1 unknown: share met 2/4, of known 2/3
    assert score.loc["A", ["met", "failed", "unknown", "known", "total"]].tolist() == [
        2,
        1,
        1,
        3,
        4,
    ]
    assert score.loc["A", "share_met"] == pytest.approx(0.5)
    assert score.loc["A", "share_met_of_known"] == pytest.approx(2 / 3)
    # B: nothing known
    assert score.loc["B", "share_met"] == 0.0
    assert np.isnan(score.loc["B", "share_met_of_known"])


def test_score_of_real_checks():
    score = standards_score(
        school_checks(
            pd.DataFrame([SCHOOL]),
            pd.DataFrame([{**LIBRARY, "hours_lis_librarian": 0, "library_plan_adopted": None}]),
            REFERENCE,
            pd.DataFrame([LINK]),
        )
    )
    # 7 checks: LIS fails, plan unknown, 5 pass.
    assert score.loc[0, ["met", "failed", "unknown", "total"]].tolist() == [5, 1, 1, 7]
