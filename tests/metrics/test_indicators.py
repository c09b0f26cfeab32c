"""Tests for metrics.indicators: per-library indicators with reasons for missing values.

Expected numbers are worked out by hand in the comments next to them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics.indicators import (
    CONTEXT_COLUMNS,
    ID_COLUMNS,
    INDICATORS,
    indicator_columns,
    library_indicators,
    missing_reasons,
    served_pupils,
)

# One complete library-year, the numbers chosen for easy hand arithmetic.
BASE = {
    "library_id": 1,
    "library_name": "Ekbackens skolbibliotek",
    "year": 2024,
    "municipality_code": "0880",
    "district": "Norra",
    "library_kind": "own",
    "location_class": 1,
    "pupils_served": 250,
    "hours_lis_librarian": 10.0,
    "hours_teacher_librarian": 6.0,
    "hours_assistant": 4.0,
    "hours_other": 0.0,
    "open_hours_staffed_all": 25.0,
    "open_hours_staffed_classes": 5.0,
    "open_hours_unstaffed": 10.0,
    "items": 3000,
    "items_last_10_years": 1200,
    "median_publication_year": 2014,
    "media_cost_physical_sek": 20000,
    "media_cost_emedia_sek": 5000,
    "acquisitions": 240,
    "loans": 4500,
    "area_m2": 120.0,
    "seats": 30,
    "catalogue_kind": "digital_pupils",
    "library_plan_adopted": True,
}

# staffed hours = 10 + 6 + 4 + 0 = 20; open hours = 25 + 5 + 10 = 40; media = 25,000 SEK.
EXPECTED = {
    "staffed_hours_per_week": 20.0,
    "staffed_hours_per_100_pupils": 20 / 250 * 100,  # 8.0
    "lis_hours_per_100_pupils": 10 / 250 * 100,  # 4.0
    "staff_fte_per_1000_pupils": (20 / 40) / 250 * 1000,  # 0.5 FTE / 250 pupils = 2.0
    "lis_share_of_staff_hours": 10 / 20,  # 0.5
    "open_hours_per_week": 40.0,
    "staffed_share_of_open_hours": 30 / 40,  # 0.75
    "items_per_pupil": 3000 / 250,  # 12
    "share_items_last_10_years": 1200 / 3000,  # 0.4
    "median_publication_year": 2014.0,
    "median_collection_age": 2024 - 2014,  # 10
    "media_cost_sek_per_pupil": 25000 / 250,  # 100
    "acquisitions_per_pupil": 240 / 250,  # 0.96
    "renewal_rate": 240 / 3000,  # 0.08
    "loans_per_pupil": 4500 / 250,  # 18
    "turnover": 4500 / 3000,  # 1.5
    "area_m2_per_100_pupils": 120 / 250 * 100,  # 48
    "seats_per_100_pupils": 30 / 250 * 100,  # 12
}


def frame(**changes: object) -> pd.DataFrame:
    row = {**BASE, **changes}
    return pd.DataFrame([row])


def test_registry_matches_output_columns():
    out = library_indicators(frame())
    assert indicator_columns() == list(INDICATORS)
    assert set(EXPECTED) == set(INDICATORS)
    for name, ind in INDICATORS.items():
        assert ind.name == name
        assert ind.label_sv and ind.label_en and ind.unit and ind.numerator and ind.denominator
        assert isinstance(ind.higher_is_better, bool)
        assert name in out.columns and f"{name}_reason" in out.columns
    assert INDICATORS["median_collection_age"].higher_is_better is False
    assert list(out.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)


@pytest.mark.parametrize(("indicator", "expected"), sorted(EXPECTED.items()))
def test_complete_row(indicator, expected):
    out = library_indicators(frame())
    assert out.loc[0, indicator] == pytest.approx(expected, rel=1e-12)
    assert pd.isna(out.loc[0, f"{indicator}_reason"])


def test_id_and_context_columns_kept():
    out = library_indicators(frame())
    for column in ID_COLUMNS:
        assert out.loc[0, column] == BASE[column]
    for column in ("hours_lis_librarian", "items", "catalogue_kind", "library_plan_adopted"):
        assert column in CONTEXT_COLUMNS
        assert out.loc[0, column] == BASE[column]


def test_absent_id_columns_are_added_as_missing():
    out = library_indicators(pd.DataFrame({"library_id": [7], "year": [2024]}))
    assert list(out.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    assert pd.isna(out.loc[0, "district"])


def test_requires_library_id_and_year():
    with pytest.raises(KeyError, match="year"):
        library_indicators(pd.DataFrame({"library_id": [1]}))


# (input set to missing, indicator, expected reason)
MISSING_CASES = [
    ("pupils_served", "items_per_pupil", "pupils_served missing"),
    ("pupils_served", "staff_fte_per_1000_pupils", "pupils_served missing"),
    ("pupils_served", "seats_per_100_pupils", "pupils_served missing"),
    ("hours_lis_librarian", "lis_hours_per_100_pupils", "hours_lis_librarian missing"),
    ("hours_lis_librarian", "lis_share_of_staff_hours", "hours_lis_librarian missing"),
    ("items", "items_per_pupil", "items missing"),
    ("items", "renewal_rate", "items missing"),
    ("items", "turnover", "items missing"),
    ("items_last_10_years", "share_items_last_10_years", "items_last_10_years missing"),
    ("median_publication_year", "median_publication_year", "median_publication_year missing"),
    ("median_publication_year", "median_collection_age", "median_publication_year missing"),
    ("acquisitions", "acquisitions_per_pupil", "acquisitions missing"),
    ("acquisitions", "renewal_rate", "acquisitions missing"),
    ("loans", "loans_per_pupil", "loans missing"),
    ("loans", "turnover", "loans missing"),
    ("area_m2", "area_m2_per_100_pupils", "area_m2 missing"),
    ("seats", "seats_per_100_pupils", "seats missing"),
]


@pytest.mark.parametrize(("column", "indicator", "reason"), MISSING_CASES)
def test_missing_input_gives_missing_value_with_reason(column, indicator, reason):
    out = library_indicators(frame(**{column: None}))
    assert math.isnan(out.loc[0, indicator])
    assert reason in out.loc[0, f"{indicator}_reason"]


def test_missing_lis_hours_do_not_hide_the_other_staff_hours():
    # staffed hours = 6 + 4 + 0 = 10 (the recorded parts), LIS indicators missing.
    out = library_indicators(frame(hours_lis_librarian=None))
    assert out.loc[0, "staffed_hours_per_week"] == 10.0
    assert math.isnan(out.loc[0, "lis_hours_per_100_pupils"])


def test_no_staff_hours_recorded():
    out = library_indicators(
        frame(
            hours_lis_librarian=None,
            hours_teacher_librarian=None,
            hours_assistant=None,
            hours_other=None,
        )
    )
    for name in ("staffed_hours_per_week", "staffed_hours_per_100_pupils"):
        assert math.isnan(out.loc[0, name])
        assert out.loc[0, f"{name}_reason"] == "no staff hours recorded"
    assert out.loc[0, "lis_share_of_staff_hours_reason"] == (
        "hours_lis_librarian missing; no staff hours recorded"
    )


def test_zero_staff_hours():
    out = library_indicators(
        frame(hours_lis_librarian=0, hours_teacher_librarian=0, hours_assistant=0, hours_other=0)
    )
    assert out.loc[0, "staffed_hours_per_100_pupils"] == 0.0  # a real 0, not missing
    assert math.isnan(out.loc[0, "lis_share_of_staff_hours"])
    assert out.loc[0, "lis_share_of_staff_hours_reason"] == "staffed_hours is 0"


def test_no_open_hours_and_zero_open_hours():
    none = library_indicators(
        frame(
            open_hours_staffed_all=None, open_hours_staffed_classes=None, open_hours_unstaffed=None
        )
    )
    assert none.loc[0, "open_hours_per_week_reason"] == "no open hours recorded"
    zero = library_indicators(
        frame(open_hours_staffed_all=0, open_hours_staffed_classes=0, open_hours_unstaffed=0)
    )
    assert zero.loc[0, "open_hours_per_week"] == 0.0
    assert math.isnan(zero.loc[0, "staffed_share_of_open_hours"])
    assert zero.loc[0, "staffed_share_of_open_hours_reason"] == "open hours per week is 0"


def test_zero_pupils_gives_missing_not_inf():
    out = library_indicators(frame(pupils_served=0))
    per_pupil = [n for n, ind in INDICATORS.items() if ind.denominator == "pupils served"]
    assert len(per_pupil) == 9
    for name in per_pupil:
        assert math.isnan(out.loc[0, name])
        assert out.loc[0, f"{name}_reason"] == "pupils_served is 0"
    # Indicators not per pupil are unaffected: 30 / 40.
    assert out.loc[0, "staffed_share_of_open_hours"] == 0.75


def test_zero_items():
    out = library_indicators(frame(items=0, items_last_10_years=0))
    assert out.loc[0, "items_per_pupil"] == 0.0  # 0 items / 250 pupils is a real 0
    for name in ("share_items_last_10_years", "renewal_rate", "turnover"):
        assert math.isnan(out.loc[0, name])
        assert out.loc[0, f"{name}_reason"] == "items is 0"


def test_zero_numerator_is_zero_not_missing():
    out = library_indicators(frame(loans=0, seats=0))
    assert out.loc[0, "loans_per_pupil"] == 0.0
    assert out.loc[0, "turnover"] == 0.0
    assert out.loc[0, "seats_per_100_pupils"] == 0.0
    assert pd.isna(out.loc[0, "loans_per_pupil_reason"])


def test_several_reasons_are_joined():
    out = library_indicators(frame(loans=None, pupils_served=0))
    assert out.loc[0, "loans_per_pupil_reason"] == "loans missing; pupils_served is 0"


def test_absent_input_column_counts_as_missing():
    f = frame().drop(columns=["seats"])
    out = library_indicators(f)
    assert math.isnan(out.loc[0, "seats_per_100_pupils"])
    assert out.loc[0, "seats_per_100_pupils_reason"] == "seats missing"


def test_staffed_hours_and_media_cost_columns_win_over_parts():
    # library_year_frame already carries the sums; they are used when present.
    out = library_indicators(frame(staffed_hours=30.0, media_cost_sek=50000))
    assert out.loc[0, "staffed_hours_per_week"] == 30.0
    assert out.loc[0, "media_cost_sek_per_pupil"] == 200.0  # 50,000 / 250


def test_media_cost_from_parts_with_one_part_missing():
    # Only the physical part recorded: 20,000 / 250 = 80.
    out = library_indicators(frame(media_cost_emedia_sek=None))
    assert out.loc[0, "media_cost_sek_per_pupil"] == 80.0


@pytest.mark.parametrize(
    ("fte_hours", "expected"), [(40, 2.0), (20, 4.0), (35, 20 / 35 / 250 * 1000)]
)
def test_fte_hours(fte_hours, expected):
    out = library_indicators(frame(), fte_hours=fte_hours)
    assert out.loc[0, "staff_fte_per_1000_pupils"] == pytest.approx(expected)


def test_fte_hours_must_be_positive():
    with pytest.raises(ValueError, match="fte_hours"):
        library_indicators(frame(), fte_hours=0)


def test_nullable_integer_input():
    f = pd.concat([frame(), frame(library_id=2, pupils_served=None)], ignore_index=True)
    f["pupils_served"] = f["pupils_served"].astype("Int64")
    out = library_indicators(f)
    assert out.loc[0, "items_per_pupil"] == 12.0
    assert math.isnan(out.loc[1, "items_per_pupil"])
    assert out.loc[1, "items_per_pupil_reason"] == "pupils_served missing"


def test_no_inf_and_reason_exactly_when_missing_on_random_data():
    rng = np.random.default_rng(5)
    n = 300
    data = {
        "library_id": np.arange(n),
        "year": np.full(n, 2024),
        "pupils_served": rng.choice([0, 0, 15, 200, 640, np.nan], n),
    }
    for column in (
        "hours_lis_librarian",
        "hours_teacher_librarian",
        "hours_assistant",
        "hours_other",
        "open_hours_staffed_all",
        "open_hours_staffed_classes",
        "open_hours_unstaffed",
        "items",
        "items_last_10_years",
        "acquisitions",
        "loans",
        "area_m2",
        "seats",
        "media_cost_physical_sek",
        "media_cost_emedia_sek",
    ):
        data[column] = rng.choice([0.0, 1.0, 7.0, 40.0, np.nan], n)
    data["median_publication_year"] = rng.choice([2001.0, 2015.0, np.nan], n)
    out = library_indicators(pd.DataFrame(data))
    for name in INDICATORS:
        values = out[name].to_numpy(dtype=float)
        assert not np.isinf(values).any(), name
        np.testing.assert_array_equal(np.isnan(values), out[f"{name}_reason"].notna(), name)


def test_missing_reasons_long_table_in_both_languages():
    f = pd.concat([frame(), frame(library_id=2, pupils_served=0, seats=None)], ignore_index=True)
    long = missing_reasons(library_indicators(f))
    assert list(long.columns) == ["library_id", "year", "indicator", "reason_en", "reason_sv"]
    assert set(long["library_id"]) == {2}
    seats = long[long["indicator"] == "seats_per_100_pupils"].iloc[0]
    assert seats["reason_en"] == "seats missing; pupils_served is 0"
    assert seats["reason_sv"] == "sittplatser (seats) saknas; elevantal (pupils_served) är 0"
    assert len(long) == 9  # the 9 per-pupil indicators, nothing else


# ------------------------------------------------------------------ several schools, one library

SCHOOLS = pd.DataFrame(
    {
        "school_id": [1, 2, 3, 4],
        "school_unit_code": ["11111111", "22222222", "33333333", "44444444"],
        "year": [2024, 2024, 2024, 2024],
        "pupils_total": [120, 80, None, 300],
    }
)
LINKS = pd.DataFrame({"library_id": [10, 10, 10, 20], "school_id": [1, 2, 3, 4]})


def test_served_pupils_sums_the_schools_of_one_library():
    served = served_pupils(SCHOOLS, LINKS).set_index("library_id")
    # Library 10 serves 120 + 80 pupils (the third school's count is missing).
    assert served.loc[10, "pupils_served"] == 200
    assert served.loc[10, "schools_served"] == 3
    assert served.loc[10, "school_unit_codes"] == "11111111,22222222,33333333"
    assert served.loc[10, "schools_missing_pupils"] == 1
    assert served.loc[20, "pupils_served"] == 300
    assert served.loc[20, "schools_missing_pupils"] == 0


def test_served_pupils_all_missing_is_missing_not_zero():
    schools = SCHOOLS.assign(pupils_total=[None, None, None, 300])
    served = served_pupils(schools, LINKS).set_index("library_id")
    assert pd.isna(served.loc[10, "pupils_served"])


def test_indicators_divide_by_the_sum_of_served_pupils():
    served = served_pupils(SCHOOLS, LINKS)
    f = (
        frame(library_id=10)
        .drop(columns=["pupils_served"])
        .merge(served, on=["library_id", "year"])
    )
    out = library_indicators(f)
    # 3000 items / (120 + 80) pupils = 15; 20 staffed hours / 200 * 100 = 10.
    assert out.loc[0, "items_per_pupil"] == 15.0
    assert out.loc[0, "staffed_hours_per_100_pupils"] == 10.0
