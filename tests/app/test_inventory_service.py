"""Pure helpers of the Inventering page: editable frame, editor delta, completeness, imports.

Expected values are written out by hand from the small frames below; the import is checked by
reading the database back with plain SQL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from app.cli import IMPORTERS
from app.services import inventory_page as svc
from inventory.editing import EditValidationError
from inventory.importers.problems import ImportRejectedError
from inventory.permissions import PermissionDeniedError
from inventory.writes import Problem
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    active: bool = True
    id: int | None = None


LEADER = Person("pl", "projektledare")
READER = Person("rg", "referensgrupp")

# --------------------------------------------------------------------------- editable frame

LIBRARIES = pd.DataFrame(
    {
        "library_id": [7, 3, 5],
        "name": ["Östra biblioteket", "Ekbiblioteket", "almskolans bokrum"],
        "kind": ["own", "shared", "book_room"],
    }
)
LIBRARY_YEARS = pd.DataFrame(
    {
        "library_id": [3, 7],
        "school_unit_codes": ["99110001, 99110002", "99110009"],
        "hours_lis_librarian": [10.0, np.nan],
        "hours_teacher_librarian": [5.0, 0.0],
        "hours_assistant": [4.0, 2.5],
        "hours_other": [1.0, np.nan],
        "open_hours_staffed_all": [20.0, 8.0],
        "open_hours_staffed_classes": [np.nan, np.nan],
        "open_hours_unstaffed": [10.0, 0.0],
        "area_m2": [120.5, np.nan],
        "seats": [30.0, np.nan],
        "media_cost_physical_sek": [40000.0, 1200.0],
        "media_cost_emedia_sek": [5000.0, np.nan],
        "loans": [6000.0, np.nan],
        "library_plan_adopted": [True, None],
    }
)
SCHOOLS = pd.DataFrame(
    {"school_unit_code": ["99110003", "99110001"], "library_id": pd.array([5, 3], dtype="Int64")}
)


def shown() -> pd.DataFrame:
    return svc.editor_frame(LIBRARIES, LIBRARY_YEARS, SCHOOLS)


def test_editor_frame_lists_every_library_by_name_indexed_by_id():
    frame = shown()
    # case-insensitive name order: almskolans, Ekbiblioteket, Östra
    assert frame.index.tolist() == [5, 3, 7]
    assert frame.index.name == "library_id"
    assert list(frame.columns) == [*svc.INFO_COLUMNS, *svc.EDITABLE_COLUMNS]
    assert frame["recorded"].tolist() == [False, True, True]
    assert frame["school_unit_codes"].tolist() == ["99110003", "99110001, 99110002", "99110009"]
    assert frame.loc[3, "hours_assistant"] == 4.0
    assert np.isnan(frame.loc[5, "hours_assistant"])  # nothing on record for the book room
    assert frame.loc[3, "library_plan_adopted"] == "yes"
    assert frame.loc[7, "library_plan_adopted"] is None
    assert str(frame["loans"].dtype) == "Int64" and frame.loc[3, "loans"] == 6000
    assert frame["loans"].isna().tolist() == [True, False, True]
    assert frame["area_m2"].dtype == float


def test_editor_frame_without_any_facts():
    empty = LIBRARY_YEARS.iloc[0:0]
    frame = svc.editor_frame(LIBRARIES, empty)
    assert not frame["recorded"].any()
    assert frame["hours_assistant"].isna().all()
    assert frame["library_plan_adopted"].isna().all()


def delta(edited, added=(), deleted=()):
    return {"edited_rows": edited, "added_rows": list(added), "deleted_rows": list(deleted)}


def test_delta_positions_become_library_ids_and_only_real_changes_count():
    frame = shown()
    changes = svc.delta_to_changes(
        frame,
        delta(
            {
                0: {"hours_assistant": 3, "library_plan_adopted": "no"},
                "1": {"loans": 6000, "seats": None, "library_name": "renamed"},  # loans unchanged
                2: {"hours_lis_librarian": None, "library_plan_adopted": "yes"},  # NaN stays NaN
            }
        ),
    )
    assert changes == {
        5: {"hours_assistant": 3, "library_plan_adopted": False},
        3: {"seats": None},
        7: {"library_plan_adopted": True},
    }
    assert svc.library_year_edits(changes, 2024) == {
        (5, 2024): {"hours_assistant": 3, "library_plan_adopted": False},
        (3, 2024): {"seats": None},
        (7, 2024): {"library_plan_adopted": True},
    }


def test_delta_follows_the_rows_the_editor_showed_not_the_current_order():
    frame = shown()
    # the editor showed Ekbiblioteket first; the current table starts with the book room
    changes = svc.delta_to_changes(frame, delta({0: {"loans": 1}}), row_ids=[3, 5, 7])
    assert changes == {3: {"loans": 1}}
    with pytest.raises(svc.StaleEditError):
        svc.delta_to_changes(frame, delta({0: {"loans": 1}}), row_ids=[99, 3, 5])
    with pytest.raises(svc.StaleEditError):
        svc.delta_to_changes(frame, delta({3: {"loans": 1}}))


def test_delta_without_edits_and_with_added_rows():
    frame = shown()
    assert svc.delta_to_changes(frame, None) == {}
    assert svc.delta_to_changes(frame, delta({})) == {}
    with pytest.raises(ValueError):
        svc.delta_to_changes(frame, delta({}, added=[{"loans": 1}]))
    with pytest.raises(ValueError):
        svc.delta_to_changes(frame, delta({}, deleted=[0]))


def test_editor_key_changes_with_the_version():
    assert svc.editor_key("9901", 2024, 0) != svc.editor_key("9901", 2024, 1)
    assert svc.editor_key("9901", 2024, 0) != svc.editor_key("9902", 2024, 0)


def test_problems_table_names_library_and_field():
    error = EditValidationError(
        [
            Problem("library_year", "hours_assistant", -5, "Input should be >= 0", 2),
            Problem("library_year", "library_id", 99, "an existing library.id", 1),
        ],
        [(99, 2024), (3, 2024)],
    )
    table = svc.problems_table(
        error,
        {3: "Ekbiblioteket"},
        {"hours_assistant": "Timmar biblioteksassistent"},
        {"hours_assistant": "0–168"},
    )
    assert table.to_dict("records") == [
        {
            "library": "Ekbiblioteket",
            "field": "Timmar biblioteksassistent",
            "value": "-5",
            "expected": "0–168",
        },
        {
            "library": "99",
            "field": "library_id",
            "value": "99",
            "expected": "an existing library.id",
        },
    ]


# --------------------------------------------------------------------------- completeness

OK, MISSING, NA = svc.OK, svc.MISSING, svc.NOT_APPLICABLE


def completeness_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four school units: A complete but two figures, B unrecorded library and no pupils,
    C no library, D library recorded as none."""
    schools = pd.DataFrame(
        {
            "school_id": [1, 2, 3, 4],
            "school_unit_code": ["4", "2", "1", "3"],  # order by code: C, B, D, A
            "school_name": ["A", "B", "C", "D"],
            "pupils_total": pd.array([100, None, 50, 20], dtype="Int64"),
            "library_id": pd.array([10, 11, None, 12], dtype="Int64"),
            "library_name": ["Lib10", "Lib11", None, "Lib12"],
            "library_kind": ["own", "shared", None, "none"],
        }
    )
    full = dict.fromkeys(svc.LIBRARY_FIGURES, 1.0)
    library_years = pd.DataFrame(
        [
            {"library_id": 10, **full, "hours_other": np.nan, "loans": np.nan},
            {"library_id": 12, **dict.fromkeys(svc.LIBRARY_FIGURES, np.nan)},
            {"library_id": 99, **full},  # another municipality's library
        ]
    )
    return schools, library_years


def test_completeness_matrix_against_a_hand_made_expectation():
    schools, library_years = completeness_inputs()
    matrix = svc.completeness_matrix(schools, library_years)
    assert matrix["school_name"].tolist() == ["C", "B", "D", "A"]

    def row(pupils, library, default, **exceptions):
        values = {"pupils": pupils, "library": library}
        values.update({figure: exceptions.get(figure, default) for figure in svc.LIBRARY_FIGURES})
        return values

    expected = {
        "C": row(OK, MISSING, NA),
        "B": row(MISSING, OK, MISSING),  # library 11 has no facts for the year
        "D": row(OK, OK, NA),  # library recorded as "none"
        "A": row(OK, OK, OK, hours_other=MISSING, loans=MISSING),
    }
    for _, line in matrix.iterrows():
        assert {f: line[f] for f in svc.FIGURES} == expected[line["school_name"]], line
    missing = {
        name: sum(v == MISSING for v in figures.values()) for name, figures in expected.items()
    }
    assert dict(zip(matrix["school_name"], matrix["missing_count"], strict=True)) == missing
    assert missing == {"C": 1, "B": 13, "D": 0, "A": 2}

    counts = svc.completeness_counts(matrix)
    assert (counts.schools, counts.complete_schools, counts.missing_values) == (4, 1, 16)

    summary = svc.completeness_summary(matrix).set_index("figure")
    assert summary.loc["pupils", ["ok", "missing", "not_applicable"]].tolist() == [3, 1, 0]
    assert summary.loc["library", ["ok", "missing", "not_applicable"]].tolist() == [3, 1, 0]
    assert summary.loc["loans", ["ok", "missing", "not_applicable"]].tolist() == [0, 2, 2]
    assert summary.loc["hours_lis_librarian", "share_complete"] == pytest.approx(0.5)
    assert summary.loc["loans", "share_complete"] == 0
    assert list(summary.index) == list(svc.FIGURES)


def test_completeness_with_no_library_facts_at_all():
    schools, library_years = completeness_inputs()
    matrix = svc.completeness_matrix(schools, library_years.iloc[0:0])
    a = matrix.set_index("school_name").loc["A"]
    assert all(a[f] == MISSING for f in svc.LIBRARY_FIGURES)
    empty = svc.completeness_matrix(schools.iloc[0:0], library_years)
    assert empty.empty
    summary = svc.completeness_summary(empty)
    assert summary["share_complete"].isna().all()


# --------------------------------------------------------------------------- imports

HEADER = (
    "kommunkod;skolenhetskod;år;AV-medier utlån;teknikutlån;fortbildning deltagare;"
    "fortbildning timmar"
)
GOOD = ["9911;;2024;1 234;56;18;40,5", "9911;99110001;2024;310;4;6;12,0"]


def write_csv(tmp_path, rows, name="resurscentrum.csv"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    return path


SELECT = (
    "SELECT m.code, s.school_unit_code, r.year, r.av_media_loans, r.training_hours"
    " FROM resource_centre_year r JOIN municipality m ON m.id = r.municipality_id"
    " LEFT JOIN school s ON s.id = r.school_id"
)


def test_registry_is_the_cli_one():
    assert svc.import_kinds() == list(IMPORTERS)
    assert "incomplete_out" not in svc.import_options("catalogue")
    assert "library" in svc.import_options("catalogue")
    assert svc.import_options("resource-centre") == ()


def test_dry_run_reports_and_writes_nothing_then_the_import_commits(session, tmp_path):
    small_inventory(session)
    path = write_csv(tmp_path, GOOD)
    before = database_fingerprint(session)

    report = svc.run_import(session, LEADER, "resource-centre", path, {}, commit=False)
    assert report.dry_run
    assert report.created == {"resource_centre_year": 2}
    assert database_fingerprint(session) == before

    report = svc.run_import(session, LEADER, "resource-centre", path, commit=True)
    assert not report.dry_run
    rows = {tuple(r) for r in session.execute(sa.text(SELECT))}
    assert rows == {
        ("9911", "99110001", 2024, 310, 12.0),
        ("9911", None, 2024, 1234, 40.5),
    }
    [audit] = session.execute(
        sa.text("SELECT username, action, entity, new_value FROM audit_entry")
    ).all()
    assert audit[:3] == ("pl", "import", "resource-centre")
    assert '"resurscentrum.csv"' in audit[3]


def test_a_rejected_file_writes_nothing(session, tmp_path):
    small_inventory(session)
    before = database_fingerprint(session)
    path = write_csv(tmp_path, ["9911;12;2024;x;;;"])
    with pytest.raises(ImportRejectedError) as caught:
        svc.run_import(session, LEADER, "resource-centre", path, commit=True)
    assert {p.file for p in caught.value.errors} == {"resurscentrum.csv"}
    assert database_fingerprint(session) == before


def test_imports_are_refused_without_the_edit_right(session, tmp_path):
    small_inventory(session)
    before = database_fingerprint(session)
    path = write_csv(tmp_path, GOOD)
    for commit in (False, True):
        with pytest.raises(PermissionDeniedError):
            svc.run_import(session, READER, "resource-centre", path, commit=commit)
        with pytest.raises(PermissionDeniedError):
            svc.run_import_bytes(
                session, READER, "resource-centre", "x.csv", path.read_bytes(), commit=commit
            )
    assert database_fingerprint(session) == before


def test_unknown_kinds_and_options_are_refused(session, tmp_path):
    path = write_csv(tmp_path, GOOD)
    with pytest.raises(ValueError):
        svc.run_import(session, LEADER, "spreadsheet", path)
    with pytest.raises(ValueError):
        svc.run_import(session, LEADER, "resource-centre", path, {"year": 2024})


def test_uploaded_bytes_keep_their_name(session, tmp_path):
    small_inventory(session)
    data = write_csv(tmp_path, ["9911;99110001;2024;-1;;;"]).read_bytes()
    with pytest.raises(ImportRejectedError) as caught:
        svc.run_import_bytes(session, LEADER, "resource-centre", "../../Mars 2024.csv", data)
    assert {p.file for p in caught.value.errors} == {"Mars 2024.csv"}
    outcome = svc.run_import_bytes(
        session, LEADER, "resource-centre", "ok.csv", write_csv(tmp_path, GOOD).read_bytes()
    )
    assert outcome.report.file == "ok.csv" and outcome.incomplete is None


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("inventering.xlsx", "inventering.xlsx"),
        ("C:\\Users\\x\\elever 2024.csv", "elever 2024.csv"),
        ("../../etc/passwd", "passwd"),
        ("a;b|c.csv", "a_b_c.csv"),
        ("...", "upload"),
        ("", "upload"),
        ("å" * 200 + ".csv", "å" * 116 + ".csv"),
    ],
)
def test_safe_file_name(name, safe):
    assert svc.safe_file_name(name) == safe


def test_import_fingerprint_depends_on_file_kind_and_options():
    base = svc.import_fingerprint("pupils", "f1", {"year": 2024, "municipality": ["9901"]})
    assert base == svc.import_fingerprint("pupils", "f1", {"municipality": ["9901"], "year": 2024})
    assert base != svc.import_fingerprint("pupils", "f2", {"year": 2024, "municipality": ["9901"]})
    assert base != svc.import_fingerprint("pupils", "f1", {"year": 2023, "municipality": ["9901"]})


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_template_bytes_is_the_workbook_template(lang):
    book = openpyxl.load_workbook(io.BytesIO(svc.template_bytes(lang)))
    titles = book.sheetnames
    assert len(titles) > 5
    assert ("bibliotek" if lang == "sv" else "libraries") in [t.casefold() for t in titles]
