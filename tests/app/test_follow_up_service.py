"""app.services.follow_up on small hand-made frames, against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.services import follow_up as svc

INDICATOR = "staffed_hours_per_week"  # higher is better


def _indicators(rows: list[tuple[int, str, int, float | None, float | None]]) -> pd.DataFrame:
    """(library_id, name, year, value, pupils) → an indicator frame with one indicator."""
    return pd.DataFrame(
        rows, columns=["library_id", "library_name", "year", INDICATOR, "pupils_served"]
    )


def test_indicator_frame_computes_from_library_years():
    library_years = pd.DataFrame(
        {
            "library_id": [1, 1],
            "library_name": ["A", "A"],
            "year": [2023, 2024],
            "pupils_served": [200, 400],
            "hours_lis_librarian": [10.0, 12.0],
            "hours_assistant": [10.0, None],
        }
    )
    frame = svc.indicator_frame(library_years)
    assert frame["staffed_hours_per_100_pupils"].tolist() == pytest.approx([10.0, 3.0])
    empty = svc.indicator_frame(library_years.iloc[0:0])
    assert empty.empty and "staffed_hours_per_100_pupils" in empty


def test_indicator_series_drops_missing_values():
    frame = _indicators([(1, "B", 2024, 5.0, 10), (2, "A", 2024, None, 10), (1, "B", 2023, 4, 9)])
    series = svc.indicator_series(frame, INDICATOR)
    assert series["year"].tolist() == [2023, 2024]
    assert series[INDICATOR].tolist() == [4, 5.0]


def test_municipal_mean_is_pupil_weighted():
    frame = _indicators(
        [
            (1, "A", 2023, 2.0, 100),
            (2, "B", 2023, 4.0, 300),
            (3, "C", 2023, None, 500),  # no value: left out
            (4, "D", 2023, 99.0, 0),  # no pupils: left out
            (1, "A", 2024, 5.0, 100),
            (2, "B", 2024, None, None),
            (3, "C", 2025, None, 10),  # nothing to count: year left out
        ]
    )
    mean = svc.municipal_mean(frame, INDICATOR)
    assert mean["year"].tolist() == [2023, 2024]
    assert mean[INDICATOR].tolist() == pytest.approx([(2 * 100 + 4 * 300) / 400, 5.0])
    assert mean["libraries"].tolist() == [2, 1]
    assert mean["pupils"].tolist() == [400, 100]


def test_indicator_changes_from_the_previous_year_on_record():
    frame = _indicators(
        [
            (1, "Ek", 2023, 10.0, 1),
            (1, "Ek", 2024, 12.0, 1),
            (2, "Al", 2024, 3.0, 1),  # first year: nothing to compare
            (3, "Björk", 2022, 8.0, 1),
            (3, "Björk", 2024, 6.0, 1),  # a gap: compared with 2022
        ]
    )
    changes = svc.indicator_changes(frame, INDICATOR, 2024)
    assert changes["library_name"].tolist() == ["Björk", "Ek"]
    bjork, ek = changes.iloc[0], changes.iloc[1]
    assert bjork["previous_year"] == 2022 and bjork["change"] == -2.0
    assert bool(bjork["improved"]) is False
    assert ek["previous_value"] == 10.0 and ek["value"] == 12.0
    assert ek["relative_change"] == pytest.approx(0.2) and bool(ek["improved"]) is True
    assert svc.indicator_changes(frame, INDICATOR, 2022).empty


# --------------------------------------------------------------------------- equity


def _expanded_statistics(values: list[float], pupils: list[int]) -> dict[str, float]:
    """Gini, McLoone, CV and federal range ratio over one observation per pupil."""
    x = np.sort(np.repeat(np.asarray(values, dtype=float), pupils))
    n, mean = len(x), x.mean()
    gini = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * mean)
    median = x[int(np.ceil(n / 2)) - 1]  # lower median
    mcloone = x[: n // 2].sum() / (median * n / 2)
    p5 = x[int(np.ceil(0.05 * n)) - 1]
    p95 = x[int(np.ceil(0.95 * n)) - 1]
    frr = (p95 - p5) / p5 if p5 > 0 else np.inf
    return {
        "gini": gini,
        "mcloone": mcloone,
        "coefficient_of_variation": x.std() / mean,
        "federal_range_ratio": frr,
    }


YEARS = {
    2023: ([1.0, 2.0, 4.0], [1, 2, 1]),
    2024: ([2.0, 2.0, 2.0], [1, 2, 1]),  # all equal
    2025: ([0.0, 2.0, 2.0], [1, 2, 1]),  # P5 = 0: infinite federal range ratio
    2026: ([0.0, 2.0, 2.0], [1, 2, 1]),  # the same again
}


def _equity_frame() -> pd.DataFrame:
    return _indicators(
        [
            (i + 1, name, year, value, pupils)
            for year, (values, weights) in YEARS.items()
            for i, (name, value, pupils) in enumerate(zip("ABC", values, weights, strict=True))
        ]
    )


def test_equity_by_year_matches_the_pupil_level_statistics():
    equity = svc.equity_by_year(_equity_frame(), INDICATOR).set_index("year")
    for year, (values, pupils) in YEARS.items():
        expected = _expanded_statistics(values, pupils)
        for statistic in svc.EQUITY_STATISTICS:
            got = equity.loc[year, statistic]
            if np.isinf(expected[statistic]):
                assert np.isinf(got), (year, statistic)
            else:
                assert got == pytest.approx(expected[statistic], abs=1e-12), (year, statistic)
    # hand check of 2023: pupils carry 1, 2, 2, 4
    assert equity.loc[2023, "mcloone"] == pytest.approx(3 / 4)
    assert equity.loc[2023, "federal_range_ratio"] == pytest.approx(3.0)
    assert equity.loc[2023, "n"] == 3


def test_disparity_verdicts_follow_each_statistic_direction():
    changes = svc.equity_changes(svc.equity_by_year(_equity_frame(), INDICATOR))
    # 2023 → 2024: every value becomes equal, so disparity shrank for all four statistics
    # (McLoone rises to 1, which is less unequal)
    shrank = svc.disparity_verdicts(changes, 2024).set_index("statistic")
    assert shrank["verdict"].to_dict() == dict.fromkeys(svc.EQUITY_STATISTICS, "shrank")
    assert shrank.loc["mcloone", "change"] == pytest.approx(1 - 3 / 4)
    # 2024 → 2025: one library drops to 0; Gini and CV grow, McLoone falls (grew),
    # the federal range ratio becomes infinite (cannot be compared)
    grew = svc.disparity_verdicts(changes, 2025).set_index("statistic")["verdict"].to_dict()
    assert grew == {
        "gini": "grew",
        "mcloone": "grew",
        "coefficient_of_variation": "grew",
        "federal_range_ratio": "unknown",
    }
    same = svc.disparity_verdicts(changes, 2026).set_index("statistic")["verdict"].to_dict()
    assert same["gini"] == "unchanged" and same["federal_range_ratio"] == "unknown"
    assert svc.disparity_verdicts(changes, 2023).empty  # nothing earlier
    assert svc.disparity_verdicts(changes, 2025)["statistic"].tolist() == list(
        svc.EQUITY_STATISTICS
    )


def test_need_adjusted_equity_divides_by_the_need_weight():
    frame = _equity_frame()
    frame = frame[frame["year"] == 2023].assign(
        share_foreign_background=[0.2, 0.0, 0.6],
        share_parents_post_secondary=[0.6, 1.0, 0.2],
    )
    # need weight = 1 + 0.5 * foreign + 0.5 * (1 - post-secondary)
    weights = [1 + 0.1 + 0.2, 1.0, 1 + 0.3 + 0.4]
    adjusted = [v / w for v, w in zip(YEARS[2023][0], weights, strict=True)]
    expected = _expanded_statistics(adjusted, YEARS[2023][1])
    got = svc.equity_by_year(frame, INDICATOR, need_adjusted=True).iloc[0]
    for statistic in svc.EQUITY_STATISTICS:
        assert got[statistic] == pytest.approx(expected[statistic]), statistic


def test_equity_long_drops_infinite_values():
    long = svc.equity_long(svc.equity_by_year(_equity_frame(), INDICATOR))
    assert len(long) == 4 * 4 - 2  # federal range ratio is infinite in 2025 and 2026
    assert np.isfinite(long["value"]).all()


# --------------------------------------------------------------------------- resource centre


def _centre() -> pd.DataFrame:
    rows = [
        # code, name, level, school_id, unit code, school, year, av, tech, people, hours
        ("9911", "Ek", "municipality", None, None, None, 2024, 100, 10, 5, 7.5),
        ("9911", "Ek", "school", 1, "99110001", "Ekskolan", 2024, 40, None, 2, 3.0),
        ("9911", "Ek", "school", 2, "99110002", "Almskolan", 2024, 20, 1, None, None),
        ("9911", "Ek", "school", 1, "99110001", "Ekskolan", 2023, 30, 2, 1, 1.0),
        ("9911", "Ek", "municipality", None, None, None, 2023, 80, 5, 4, 2.0),
        ("9912", "Gran", "school", 3, "99120001", "Granskolan", 2024, 7, None, 3, None),
        ("9912", "Gran", "school", 4, "99120002", "Tallskolan", 2024, 5, None, None, None),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "municipality_name",
            "level",
            "school_id",
            "school_unit_code",
            "school_name",
            "year",
            *svc.RESOURCE_MEASURES,
        ],
    )
    frame["fictional"] = True
    return frame


def test_municipality_activity_uses_own_rows_else_school_sums():
    pupils = pd.DataFrame(
        {"municipality_code": ["9911", "9912"], "year": [2024, 2024], "pupils": [500.0, 0.0]}
    )
    frame = svc.municipality_activity(_centre(), pupils)
    assert list(zip(frame["municipality_code"], frame["year"], strict=True)) == [
        ("9911", 2023),
        ("9911", 2024),
        ("9912", 2024),
    ]
    ek = frame.iloc[1]
    assert ek["source"] == "municipality" and ek["av_media_loans"] == 100
    assert ek["av_media_loans_per_100_pupils"] == pytest.approx(100 / 500 * 100)
    assert pd.isna(frame.iloc[0]["pupils"])  # no pupils for 2023
    gran = frame.iloc[2]
    assert gran["source"] == "schools"
    assert gran["av_media_loans"] == 12 and gran["training_participants"] == 3
    assert pd.isna(gran["technology_loans"])  # missing in every school row
    assert pd.isna(gran["av_media_loans_per_100_pupils"])  # 0 pupils


def test_school_activity_and_pivot():
    pupils = pd.DataFrame({"school_unit_code": ["99110001"], "year": [2024], "pupils": [200.0]})
    activity = svc.school_activity(_centre(), "9911", pupils)
    assert activity["school_name"].tolist() == ["Almskolan", "Ekskolan", "Ekskolan"]
    ek_2024 = activity[(activity["school_name"] == "Ekskolan") & (activity["year"] == 2024)]
    assert ek_2024["av_media_loans_per_100_pupils"].iloc[0] == pytest.approx(20.0)
    pivot = svc.school_pivot(activity, "av_media_loans")
    assert list(pivot.columns) == ["school_name", "school_unit_code", "2023", "2024"]
    assert pivot.set_index("school_name").loc["Ekskolan", "2023"] == 30
    assert pd.isna(pivot.set_index("school_name").loc["Almskolan", "2023"])
    assert svc.school_pivot(activity.iloc[0:0], "av_media_loans").empty


def test_pupils_by_sums_known_counts():
    schools = pd.DataFrame(
        {
            "municipality_code": ["1", "1", "2"],
            "year": [2024, 2024, 2024],
            "pupils_total": pd.array([10, None, None], dtype="Int64"),
        }
    )
    sums = svc.pupils_by(schools, ["municipality_code", "year"])
    assert sums["pupils"].iloc[0] == 10 and pd.isna(sums["pupils"].iloc[1])


# --------------------------------------------------------------------------- surveys


def _answers() -> pd.DataFrame:
    rows = [
        # question id, code, kind, respondent, role, likert, text
        (1, "q1", "likert", "r1", "pupil", 1, None),
        (1, "q1", "likert", "r2", "pupil", 2, None),
        (1, "q1", "likert", "r3", "pupil", 4, None),
        (1, "q1", "likert", "r4", "pupil", 5, None),
        (1, "q1", "likert", "r5", "teacher", 5, None),
        (1, "q1", "likert", "r6", "teacher", 5, None),
        (1, "q1", "likert", "r7", "teacher", None, None),  # skipped
        (2, "q2", "text", "r1", "pupil", None, '  =HYPERLINK("x") <b>hej</b>  '),
        (2, "q2", "text", "r2", "pupil", None, "   "),
        (2, "q2", "text", "r5", "teacher", None, "Fler böcker"),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "question_id",
            "question_code",
            "question_kind",
            "respondent_key",
            "respondent_role",
            "likert_value",
            "text_value",
        ],
    )
    frame["likert_value"] = frame["likert_value"].astype("Int64")
    frame["question_sv"] = frame["question_code"].map({"q1": "Fråga ett", "q2": "Fråga två"})
    frame["question_en"] = None
    return frame


def test_likert_summary_by_role_with_small_groups_suppressed():
    summary = svc.likert_summary(_answers(), min_respondents=3)
    assert summary["respondent_role"].tolist() == ["pupil", "teacher", "all"]
    rows = summary.set_index("respondent_role")
    assert rows.loc["pupil", "mean"] == pytest.approx((1 + 2 + 4 + 5) / 4)
    assert rows.loc["pupil", "respondents"] == 4
    assert bool(rows.loc["teacher", "suppressed"]) is True and pd.isna(rows.loc["teacher", "mean"])
    assert rows.loc["teacher", "respondents"] == 2
    assert rows.loc["all", "mean"] == pytest.approx((1 + 2 + 4 + 5 + 5 + 5) / 6)
    shown = svc.likert_summary(_answers(), min_respondents=2).set_index("respondent_role")
    assert shown.loc["teacher", "mean"] == 5.0


def test_likert_distribution_shares_per_role():
    dist = svc.likert_distribution(_answers(), 1, min_respondents=3)
    assert set(dist["respondent_role"]) == {"pupil", "all"}  # two teachers are too few
    pupils = dist[dist["respondent_role"] == "pupil"].set_index("likert_value")
    assert pupils["count"].tolist() == [1, 1, 0, 1, 1]
    assert pupils["share"].tolist() == pytest.approx([0.25, 0.25, 0.0, 0.25, 0.25])
    everyone = dist[dist["respondent_role"] == "all"].set_index("likert_value")
    assert everyone.loc[5, "share"] == pytest.approx(3 / 6)
    assert everyone["share"].sum() == pytest.approx(1.0)
    assert svc.likert_distribution(_answers(), 2).empty  # a text question


def test_text_answers_are_kept_verbatim_but_stripped():
    texts = svc.text_answers(_answers())
    assert texts["respondent_role"].tolist() == ["pupil", "teacher"]
    # nothing is interpreted or escaped here: the page shows it as plain text
    assert texts["text_value"].tolist() == ['=HYPERLINK("x") <b>hej</b>', "Fler böcker"]


def test_vega_locale_and_share_indicators():
    assert svc.vega_locale("sv")["number"]["decimal"] == ","
    assert svc.vega_locale("en") is None
    assert svc.is_share("share_items_last_10_years") and not svc.is_share(INDICATOR)
