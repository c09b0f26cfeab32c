"""app.services.action_plans on small hand-made frames; expected values counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from app.services import action_plans as svc


def _schools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": [1, 2, 3],
            "school_name": ["Ekskolan", "Almskolan", "Björkskolan"],
            "school_unit_code": ["99110001", "99110003", "99110002"],
            "district": ["Norr", "Söder", None],
            "pupils_total": pd.array([100, 300, None], dtype="Int64"),
            "year": [2024, 2024, 2024],
        }
    )


def _plans() -> pd.DataFrame:
    rows = [
        (1, "library_plan", "adopted", "2024-03-01", "https://example.org/ek.pdf"),
        (1, "reading_promotion", "draft", None, None),
        (2, "library_plan", "missing", None, None),
        (2, "media_information_literacy", "adopted", "2023-09-15", None),
        (3, "library_plan", "under_revision", None, "https://example.org/bj.pdf"),
        (9, "library_plan", "adopted", "2024-01-01", None),  # not a listed school unit
    ]
    frame = pd.DataFrame(
        rows, columns=["school_id", "kind", "status", "adopted_date", "document_link"]
    )
    frame["adopted_date"] = pd.to_datetime(frame["adopted_date"])
    frame["year"] = 2024
    return frame


def test_plan_matrix_one_row_per_school_unit():
    matrix = svc.plan_matrix(_schools(), _plans())
    assert matrix["school_name"].tolist() == ["Almskolan", "Björkskolan", "Ekskolan"]
    rows = matrix.set_index("school_name")
    assert rows.loc["Ekskolan", "library_plan_status"] == "adopted"
    assert rows.loc["Ekskolan", "library_plan_adopted_date"] == pd.Timestamp("2024-03-01")
    assert rows.loc["Ekskolan", "library_plan_document_link"] == "https://example.org/ek.pdf"
    assert rows.loc["Ekskolan", "reading_promotion_status"] == "draft"
    # nothing on record is not the same as a recorded "missing"
    assert rows.loc["Ekskolan", "media_information_literacy_status"] == "not_recorded"
    assert rows.loc["Almskolan", "library_plan_status"] == "missing"
    assert pd.isna(rows.loc["Almskolan", "library_plan_adopted_date"])
    assert pd.isna(rows.loc["Almskolan", "library_plan_document_link"])
    assert rows.loc["Björkskolan", "library_plan_status"] == "under_revision"
    assert rows.loc["Ekskolan", "pupils"] == 100 and pd.isna(rows.loc["Björkskolan", "pupils"])
    expected = svc.SCHOOL_COLUMNS + [
        f"{kind}_{part}"
        for kind in svc.PLAN_KINDS
        for part in ("status", "adopted_date", "document_link")
    ]
    assert list(matrix.columns) == expected


def test_plan_matrix_without_plans():
    matrix = svc.plan_matrix(_schools(), _plans().iloc[0:0])
    for kind in svc.PLAN_KINDS:
        assert (matrix[f"{kind}_status"] == "not_recorded").all()


def test_coverage_counts_adopted_plans_only():
    matrix = svc.plan_matrix(_schools(), _plans())
    library_plan = svc.coverage(matrix, "library_plan")
    assert library_plan.schools == 3
    assert library_plan.schools_adopted == 1  # Ekskolan; Björkskolan is under revision
    assert library_plan.schools_under_revision == 1
    assert library_plan.share_schools == pytest.approx(1 / 3)
    # pupils known at Ekskolan (100, adopted) and Almskolan (300)
    assert library_plan.pupils == 400 and library_plan.pupils_adopted == 100
    assert library_plan.share_pupils == pytest.approx(0.25)
    mil = svc.coverage(matrix, "media_information_literacy")
    assert mil.schools_adopted == 1 and mil.share_pupils == pytest.approx(300 / 400)


def test_coverage_without_rows_or_pupils():
    empty = svc.coverage(svc.plan_matrix(_schools().iloc[0:0], _plans()))
    assert empty.schools == 0 and empty.share_schools is None and empty.share_pupils is None
    unknown = svc.coverage(
        svc.plan_matrix(_schools().assign(pupils_total=pd.NA), _plans()), "library_plan"
    )
    assert unknown.pupils is None and unknown.share_pupils is None


def test_status_counts_every_kind_and_status():
    counts = svc.status_counts(svc.plan_matrix(_schools(), _plans()))
    assert len(counts) == len(svc.PLAN_KINDS) * len(svc.STATUSES)
    table = counts.set_index(["kind", "status"])["schools"]
    assert table[("library_plan", "adopted")] == 1
    assert table[("library_plan", "missing")] == 1
    assert table[("library_plan", "under_revision")] == 1
    assert table[("library_plan", "not_recorded")] == 0
    assert table[("reading_promotion", "not_recorded")] == 2
    assert counts.groupby("kind")["schools"].sum().eq(3).all()
    assert counts.groupby("kind")["share"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert counts["order"].tolist()[:5] == [0, 1, 2, 3, 4]


def test_every_status_has_a_symbol_and_a_colour():
    assert set(svc.STATUS_ICONS) == set(svc.STATUSES) == set(svc.STATUS_COLOURS)
    assert len(set(svc.STATUS_ICONS.values())) == len(svc.STATUSES)
