"""Reference values and per-school checks against the law, KB's 2012 test and standards.

Reference values are data, not code: ``data/reference_values.csv`` holds one row
per value with its unit, what it applies to, a Swedish and an English
description and its source (text and URL); the user can edit the table later in
the UI. :func:`load_reference_values` reads it with pandas only, and every check
takes the reference table as an argument.

:func:`school_checks` evaluates, per school unit and year, the library that
serves the school (``school_frame``'s ``library_id``: the one on its own unit
first) and returns one row per check with status ``"pass"``, ``"fail"`` or
``"unknown"`` and the reason in Swedish and English; :func:`standards_score`
counts the checks met. The checks (:data:`CHECKS`):

* ``law_own_unit``, ``law_staffed``, ``law_lis_staff``, ``law_library_plan``:
  the checklist of skollagen (2010:800) 2 kap. 36 § as amended from 1 July 2025
  ("Stärkta skolbibliotek"): a school library on the pupil's own school unit, or
  another school library or a public library when special reasons ("särskilda
  skäl") exist; staffed; the organiser strives to employ staff with a degree in
  library and information science (LIS); a library plan. The law sets no
  number of hours, so "staffed" means more than 0 staffed hours a week and
  "LIS-qualified staff" more than 0 LIS hours a week.
* ``kb2012_functioning``: KB's four-part minimum for a functioning school
  library (Skolbibliotek 2012): a catalogue (manual or digital), in the school's
  premises (location class 1), staffed at least 20 h/week, at least 1,000
  physical items.
* ``collection_size``: items per pupil served against the CILIP/SLA lower
  bound for the school's stages (10 primary, 13 ages 11–16, 17 upper
  secondary), at least 1,300 items when the library serves fewer than 100 pupils
  (CILIP).
* ``collection_currency``: median collection age <= 10 years good (Minnesota
  MEMO), <= 15 acceptable (Texas 2005; counted as met, with the reason), older fails.

Sources
-------
* Skollagen 2 kap. 36 §; Lagrådsremiss "Stärkta skolbibliotek" (2024),
  https://www.regeringen.se/rattsliga-dokument/lagradsremiss/2024/06/starkta-skolbibliotek/
* KB, Skolbibliotek 2012 (four-part minimum),
  http://www.scoop.it/t/skolebibliotek?tag=Skolbiblioteksrapport ; location
  classes and catalogue kinds of the survey (``VAR01``, ``VAR03``), ``libris/bibstat``
  ``data/variables/skol_termer.xlsx``.
* CILIP primary school library guidelines,
  https://primaryschoollibraryguidelines.org.uk/policy-and-planning/budgets/ ;
  School Library Association via https://www.literacyhive.org/keeping-your-school-library-up-to-date/
* Minnesota MEMO standards (1999), Texas school library standards (2005): collection age.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CHECKS",
    "DEFAULT_REFERENCE_PATH",
    "STATUSES",
    "Check",
    "load_reference_values",
    "reference_value",
    "school_checks",
    "stage_items_per_pupil_bound",
    "standards_score",
]

#: The project's reference table.
DEFAULT_REFERENCE_PATH = Path(__file__).parents[1] / "data" / "reference_values.csv"

#: Possible values of ``status``.
STATUSES = ("pass", "fail", "unknown")

_REQUIRED_REFERENCE_COLUMNS = ("key", "value", "source")


@dataclass(frozen=True)
class Check:
    """Description of one check (for UI and CLI listings).

    Attributes
    ----------
    name : str
        Value of the ``check`` column.
    label_sv, label_en : str
        Human-readable labels.
    group : str
        ``"law"``, ``"kb"`` or ``"standard"``.
    source : str
        Where the requirement comes from.
    """

    name: str
    label_sv: str
    label_en: str
    group: str
    source: str


_LAW = "Skollagen 2 kap. 36 § (from 1 July 2025)"

#: Registry of the checks, in output order.
CHECKS: Mapping[str, Check] = {
    c.name: c
    for c in (
        Check(
            "law_own_unit",
            "Skolbibliotek på den egna skolenheten (eller särskilda skäl)",
            "School library on the school's own unit (or special reasons)",
            "law",
            _LAW,
        ),
        Check("law_staffed", "Bemannat skolbibliotek", "Staffed school library", "law", _LAW),
        Check(
            "law_lis_staff",
            "Personal med biblioteks- och informationsvetenskaplig examen",
            "Staff with a degree in library and information science",
            "law",
            _LAW,
        ),
        Check(
            "law_library_plan",
            "Biblioteksplan antagen",
            "Library plan adopted",
            "law",
            _LAW,
        ),
        Check(
            "kb2012_functioning",
            "Fungerande skolbibliotek enligt KB 2012",
            "Functioning school library (KB 2012)",
            "kb",
            "KB, Skolbibliotek 2012",
        ),
        Check(
            "collection_size",
            "Beståndets storlek per elev",
            "Collection size per pupil",
            "standard",
            "CILIP / School Library Association",
        ),
        Check(
            "collection_currency",
            "Beståndets aktualitet (medianålder)",
            "Collection currency (median age)",
            "standard",
            "Minnesota MEMO (1999), Texas (2005)",
        ),
    )
}


# --------------------------------------------------------------------------- reference values


def load_reference_values(path: str | Path = DEFAULT_REFERENCE_PATH) -> pd.DataFrame:
    """Read the reference table (one row per value, with its source).

    Parameters
    ----------
    path : str or pathlib.Path, default :data:`DEFAULT_REFERENCE_PATH`
        CSV file with at least the columns ``key`` (unique), ``value`` (numeric)
        and ``source``; the project's file also has ``unit``, ``applies_to``,
        ``description_sv``, ``description_en`` and ``source_url``.

    Returns
    -------
    pandas.DataFrame
        The table with ``value`` as float64, in file order.

    Raises
    ------
    ValueError
        If a required column is missing, a key is duplicated or empty, a value
        is not a number, or a row has no source.
    """
    table = pd.read_csv(path, dtype={"key": "str", "source": "str"})
    missing = [c for c in _REQUIRED_REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: reference table lacks the columns {missing}")
    if table["key"].isna().any() or (table["key"].str.strip() == "").any():
        raise ValueError(f"{path}: every reference row needs a key")
    duplicated = table.loc[table["key"].duplicated(), "key"].tolist()
    if duplicated:
        raise ValueError(f"{path}: duplicated reference keys {duplicated}")
    values = pd.to_numeric(table["value"], errors="coerce")
    bad = table.loc[values.isna(), "key"].tolist()
    if bad:
        raise ValueError(f"{path}: reference values that are not numbers: {bad}")
    no_source = table.loc[table["source"].isna(), "key"].tolist()
    if no_source:
        raise ValueError(f"{path}: reference values without a source: {no_source}")
    table["value"] = values.astype("float64")
    return table


def reference_value(reference: pd.DataFrame, key: str) -> float:
    """One reference value by key.

    Parameters
    ----------
    reference : pandas.DataFrame
        Table with ``key`` and ``value`` (see :func:`load_reference_values`).
    key : str
        For example ``"kb2012_min_items"``.

    Returns
    -------
    float
        The value.

    Raises
    ------
    KeyError
        If the key is not in the table.
    """
    match = reference.loc[reference["key"] == key, "value"]
    if match.empty:
        raise KeyError(f"reference value {key!r} is not in the reference table")
    return float(match.iloc[0])


# --------------------------------------------------------------------------- helpers


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    series = frame[column]
    if not pd.api.types.is_numeric_dtype(series):
        series = pd.to_numeric(series, errors="coerce")
    return pd.Series(series.to_numpy(dtype="float64", na_value=np.nan), index=frame.index)


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """Boolean stage flag (False when the column is absent or missing)."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").fillna(False).astype(bool)


def _fmt(values: pd.Series, decimals: int = 1) -> tuple[pd.Series, pd.Series]:
    """Numbers as text (English, Swedish decimal comma), trailing zeros dropped."""
    arr = np.round(values.to_numpy(dtype="float64", na_value=np.nan), decimals)
    text = pd.Series(np.char.mod(f"%.{decimals}f", arr), index=values.index, dtype="str")
    if decimals > 0:
        text = text.str.replace(r"(\.\d*?)0+$", r"\1", regex=True).str.removesuffix(".")
    return text, text.str.replace(".", ",", regex=False)


def _select(
    index: pd.Index, rules: list[tuple[pd.Series | np.ndarray, str, object, object]]
) -> pd.DataFrame:
    """First matching rule wins: (condition, status, reason_en, reason_sv)."""
    conditions = [np.asarray(rule[0], dtype=bool) for rule in rules]
    n = len(index)

    def column(values: object) -> np.ndarray:
        if isinstance(values, pd.Series):
            return values.astype(object).to_numpy()
        return np.full(n, values, dtype=object)

    status = np.select(conditions, [np.full(n, r[1], dtype=object) for r in rules], "unknown")
    reason_en = np.select(conditions, [column(r[2]) for r in rules], "not evaluated")
    reason_sv = np.select(conditions, [column(r[3]) for r in rules], "inte bedömt")
    return pd.DataFrame(
        {"status": status, "reason_sv": reason_sv, "reason_en": reason_en}, index=index
    )


def _join(index: pd.Index, parts: list[tuple[pd.Series, pd.Series | str]]) -> pd.Series:
    """Join the texts whose mask holds with '; ' (empty string when none)."""
    text = pd.Series("", index=index, dtype="str")
    for mask, piece in parts:
        piece_text = piece if isinstance(piece, pd.Series) else pd.Series(piece, index=index)
        text = (
            text
            + piece_text.where(mask.to_numpy(dtype=bool), "").fillna("")
            + np.where(mask.to_numpy(dtype=bool), "; ", "")
        )
    return text.str.removesuffix("; ")


def stage_items_per_pupil_bound(schools: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Lower bound of items per pupil for each school's stages (CILIP/SLA).

    Pupils are put in three bands: primary (förskoleklass and years 1–6;
    ``items_per_pupil_primary_min``), ages 11–16 (years 7–9;
    ``items_per_pupil_11_16_min``) and upper secondary
    (``items_per_pupil_upper_secondary_min``). The bound is the pupil-weighted
    mean of the band bounds. Band pupils come from ``pupils_grade_1`` …
    ``pupils_grade_9`` when any of them is known (unknown grades count 0), else
    ``pupils_grades_1_9`` is split evenly over the flagged compulsory bands
    (years 1–3 and 4–6 primary, 7–9 the middle band); ``pupils_preschool_class``
    and ``pupils_upper_secondary`` go to their bands. When no band has pupils,
    the bound is the unweighted mean of the bounds of the flagged stages
    (``has_preschool_class``, ``has_grades_1_3``, ``has_grades_4_6`` → primary,
    ``has_grades_7_9``, ``has_upper_secondary``), and ``NaN`` when no stage is flagged.

    Parameters
    ----------
    schools : pandas.DataFrame
        School rows with any of the columns named above.
    reference : pandas.DataFrame
        Reference table (keys named above).

    Returns
    -------
    pandas.Series
        Items per pupil, float64, aligned with ``schools``.
    """
    bounds = np.array(
        [
            reference_value(reference, "items_per_pupil_primary_min"),
            reference_value(reference, "items_per_pupil_11_16_min"),
            reference_value(reference, "items_per_pupil_upper_secondary_min"),
        ]
    )
    index = schools.index
    grade = pd.DataFrame({g: _num(schools, f"pupils_grade_{g}") for g in range(1, 10)}, index=index)
    has_grades = grade.notna().any(axis=1)
    g16 = grade[[1, 2, 3, 4, 5, 6]].sum(axis=1)
    g79 = grade[[7, 8, 9]].sum(axis=1)
    f13, f46, f79 = (
        _flag(schools, "has_grades_1_3"),
        _flag(schools, "has_grades_4_6"),
        _flag(schools, "has_grades_7_9"),
    )
    n_bands = f13.astype(int) + f46.astype(int) + f79.astype(int)
    compulsory = _num(schools, "pupils_grades_1_9").fillna(0.0)
    share_primary = ((f13.astype(int) + f46.astype(int)) / n_bands.where(n_bands > 0)).fillna(0.0)
    share_middle = (f79.astype(int) / n_bands.where(n_bands > 0)).fillna(0.0)
    g16 = g16.where(has_grades, compulsory * share_primary)
    g79 = g79.where(has_grades, compulsory * share_middle)
    primary = _num(schools, "pupils_preschool_class").fillna(0.0) + g16
    upper = _num(schools, "pupils_upper_secondary").fillna(0.0)
    band_pupils = np.column_stack([primary, g79, upper])
    total = band_pupils.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(total > 0, band_pupils @ bounds / total, np.nan)
    flags = np.column_stack(
        [
            _flag(schools, "has_preschool_class") | f13 | f46,
            f79,
            _flag(schools, "has_upper_secondary"),
        ]
    ).astype(float)
    n_flags = flags.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_flags = np.where(n_flags > 0, flags @ bounds / n_flags, np.nan)
    return pd.Series(np.where(total > 0, weighted, by_flags), index=index, dtype="float64")


# --------------------------------------------------------------------------- checks


def school_checks(
    schools: pd.DataFrame,
    library_indicators: pd.DataFrame,
    reference: pd.DataFrame,
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-school checks against the law, KB's 2012 test and collection standards.

    Each school unit and year is judged by the library that serves it (the
    ``library_id`` of ``schools``) in the same year.

    Parameters
    ----------
    schools : pandas.DataFrame
        One row per school unit and year (``inventory.repository.school_frame``):
        ``school_id``, ``school_unit_code``, ``year``, ``library_id`` (serving
        library; missing when none), optionally ``library_kind``,
        ``location_class`` (fallbacks for the library's own), and for
        ``collection_size`` the stage columns of
        :func:`stage_items_per_pupil_bound` (``has_*`` flags, ``pupils_*`` counts).
    library_indicators : pandas.DataFrame
        One row per library and year, the output of
        :func:`metrics.indicators.library_indicators` (its id and context
        columns): ``library_id``, ``year``, ``library_kind``, ``location_class``,
        ``pupils_served``, ``staffed_hours_per_week``, ``hours_lis_librarian``,
        ``items``, ``median_collection_age``, ``catalogue_kind`` (``"none"``,
        ``"manual"``, ``"digital_*"``), ``library_plan_adopted`` (True / False /
        missing) and optionally ``host_school_id``.
    reference : pandas.DataFrame
        Reference table (:func:`load_reference_values`); keys used:
        ``kb2012_min_staffed_hours``, ``kb2012_min_items``,
        ``items_per_pupil_primary_min``, ``items_per_pupil_11_16_min``,
        ``items_per_pupil_upper_secondary_min``, ``min_items_small_school``,
        ``median_age_good``, ``median_age_acceptable``.
    links : pandas.DataFrame, optional
        Library-school links: ``school_id``, ``library_id``, ``host_school_id``
        (the school unit the library is on; missing for a public library),
        ``special_reasons`` (documented special reasons; empty/missing when none)
        and optionally ``library_kind``. Without links ``law_own_unit`` is
        ``"unknown"`` unless the library frame has ``host_school_id`` and the
        library is on the school's own unit.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per school unit, year and check (order of
        :data:`CHECKS`): ``school_unit_code``, ``year``, ``check``, ``status``
        (``"pass"``, ``"fail"`` or ``"unknown"``), ``reason_sv``, ``reason_en``.

    Raises
    ------
    KeyError
        If ``links`` lacks ``special_reasons`` or a reference key is missing.
    ValueError
        If ``library_indicators`` has two rows for one library and year.

    Notes
    -----
    Decisions (see the module docstring for the sources):

    * A school without a serving library, or whose library has kind ``"none"``,
      fails every check except ``law_library_plan``, which is ``"unknown"`` (the
      plan is recorded per library-year and is the organiser's duty).
    * A serving library with no record for the year gives ``"unknown"`` for the
      checks that need that record.
    * ``law_own_unit``: pass when the library's host school is the school itself,
      or when the link school–library has documented special reasons (the kind
      ``public_special_reasons`` alone is not documentation); a ``book_room`` is
      ``"unknown"`` (whether a book room meets the legal definition of a school
      library is a local judgement).
    * ``kb2012_functioning`` uses the library's location class (1 = in the
      school) as "in the school's premises"; bounds are inclusive (exactly 20 h
      and exactly 1,000 items pass). Any failing criterion fails the check; all
      four met passes; otherwise unknown.
    * ``collection_size`` compares the library's items with
      ``max(bound × pupils_served, 1,300 if pupils_served < 100)``, where the
      bound is the school's own stage bound, so a shared library is judged per
      school against the pupils of all the schools it serves.
    """
    index = schools.index
    if links is not None and "special_reasons" not in links.columns:
        raise KeyError("links needs the columns school_id, library_id, special_reasons")
    base = schools.copy()
    base["_row"] = np.arange(len(base))
    base["library_id"] = _num(base, "library_id")
    libs = library_indicators.copy()
    libs["library_id"] = _num(libs, "library_id")
    if libs.duplicated(["library_id", "year"]).any():
        raise ValueError("library_indicators has several rows for one library and year")
    libs["_found"] = True
    lib_columns = [
        "library_id",
        "year",
        "_found",
        *[
            c
            for c in (
                "library_kind",
                "location_class",
                "pupils_served",
                "staffed_hours_per_week",
                "hours_lis_librarian",
                "items",
                "median_collection_age",
                "catalogue_kind",
                "library_plan_adopted",
                "host_school_id",
            )
            if c in libs.columns
        ],
    ]
    merged = base.merge(
        libs[lib_columns], on=["library_id", "year"], how="left", suffixes=("_school", "")
    )
    if links is not None:
        link_cols = ["school_id", "library_id", "special_reasons"]
        link_cols += [c for c in ("host_school_id", "library_kind") if c in links.columns]
        link_frame = links[link_cols].copy()
        link_frame["library_id"] = _num(link_frame, "library_id")
        link_frame["_linked"] = True
        link_frame = link_frame.rename(
            columns={"host_school_id": "_link_host", "library_kind": "_link_kind"}
        ).drop_duplicates(["school_id", "library_id"])
        merged = merged.merge(link_frame, on=["school_id", "library_id"], how="left")
    merged = merged.sort_values("_row").set_index(index)

    def pick(*columns: str) -> pd.Series:
        out = pd.Series(pd.NA, index=index, dtype="object")
        for column in columns:
            if column in merged.columns:
                out = out.where(out.notna(), merged[column].astype(object))
        return out

    kind = pick("library_kind", "library_kind_school", "_link_kind").astype("str")
    found = merged["_found"].astype("boolean").fillna(False).astype(bool)
    no_library = merged["library_id"].isna() | (kind == "none")
    no_record = ~no_library & ~found

    rules_common = [
        (
            no_library,
            "fail",
            "no library serves the school",
            "inget bibliotek betjänar skolenheten",
        ),
        (
            no_record,
            "unknown",
            "no inventory record for the library this year",
            "ingen inventering av biblioteket detta år",
        ),
    ]
    results: dict[str, pd.DataFrame] = {}

    # law_own_unit -------------------------------------------------------
    school_id = _num(merged, "school_id")
    host = pd.to_numeric(pick("_link_host", "host_school_id"), errors="coerce").astype("float64")
    if "special_reasons" in merged.columns:
        reasons_text = merged["special_reasons"].astype("str").str.strip()
        has_reasons = reasons_text.notna() & (reasons_text != "") & (reasons_text != "nan")
    else:
        reasons_text = pd.Series("", index=index, dtype="str")
        has_reasons = pd.Series(False, index=index)
    linked = (
        merged["_linked"].astype("boolean").fillna(False).astype(bool)
        if "_linked" in merged.columns
        else pd.Series(False, index=index)
    )
    on_own_unit = host.notna() & (host == school_id)
    results["law_own_unit"] = _select(
        index,
        [
            rules_common[0],
            (
                kind == "book_room",
                "unknown",
                "book room only: whether it meets the legal definition of a school library "
                "must be judged locally",
                "endast bokrum: om det uppfyller lagens definition av skolbibliotek måste "
                "bedömas lokalt",
            ),
            (
                on_own_unit,
                "pass",
                "library on the school's own unit",
                "biblioteket finns på den egna skolenheten",
            ),
            (
                has_reasons,
                "pass",
                "library on another unit; special reasons documented: " + reasons_text,
                "biblioteket finns på annan enhet; särskilda skäl dokumenterade: " + reasons_text,
            ),
            (
                pd.Series(links is None, index=index),
                "unknown",
                "library is not known to be on the school's own unit and no library-school "
                "links were given (special reasons unknown)",
                "biblioteket är inte känt att finnas på den egna skolenheten och kopplingarna "
                "bibliotek–skola saknas (särskilda skäl okända)",
            ),
            (
                ~linked,
                "unknown",
                "no link between the school and its library on record (special reasons unknown)",
                "ingen koppling mellan skolenheten och biblioteket registrerad "
                "(särskilda skäl okända)",
            ),
            (
                pd.Series(True, index=index),
                "fail",
                "library is not on the school's own unit and no special reasons are documented",
                "biblioteket finns inte på den egna skolenheten och inga särskilda skäl är "
                "dokumenterade",
            ),
        ],
    )

    # law_staffed ----------------------------------------------------------
    staffed = _num(merged, "staffed_hours_per_week")
    staffed_en, staffed_sv = _fmt(staffed, 1)
    results["law_staffed"] = _select(
        index,
        [
            *rules_common,
            (
                staffed.isna(),
                "unknown",
                "no staff hours recorded",
                "inga personaltimmar registrerade",
            ),
            (
                staffed > 0,
                "pass",
                "staffed " + staffed_en + " h/week",
                "bemannat " + staffed_sv + " tim/vecka",
            ),
            (
                pd.Series(True, index=index),
                "fail",
                "not staffed (0 h/week)",
                "inte bemannat (0 tim/vecka)",
            ),
        ],
    )

    # law_lis_staff --------------------------------------------------------
    lis = _num(merged, "hours_lis_librarian")
    lis_en, lis_sv = _fmt(lis, 1)
    results["law_lis_staff"] = _select(
        index,
        [
            *rules_common,
            (
                lis.isna(),
                "unknown",
                "hours of LIS-qualified staff not recorded",
                "timmar för utbildad bibliotekarie ej registrerade",
            ),
            (
                lis > 0,
                "pass",
                lis_en + " h/week of LIS-qualified staff",
                lis_sv + " tim/vecka med utbildad bibliotekarie",
            ),
            (
                pd.Series(True, index=index),
                "fail",
                "no hours of LIS-qualified staff (the organiser must strive to employ them)",
                "inga timmar med utbildad bibliotekarie (huvudmannen ska sträva efter det)",
            ),
        ],
    )

    # law_library_plan -----------------------------------------------------
    plan = pick("library_plan_adopted").astype("boolean")
    results["law_library_plan"] = _select(
        index,
        [
            (
                no_library,
                "unknown",
                "no library serves the school; no library plan on record",
                "inget bibliotek betjänar skolenheten; ingen biblioteksplan registrerad",
            ),
            rules_common[1],
            (plan.isna(), "unknown", "library plan not recorded", "biblioteksplan ej registrerad"),
            (plan.fillna(False), "pass", "library plan adopted", "biblioteksplan antagen"),
            (
                pd.Series(True, index=index),
                "fail",
                "no library plan adopted",
                "ingen biblioteksplan antagen",
            ),
        ],
    )

    # kb2012_functioning ----------------------------------------------------
    min_hours = reference_value(reference, "kb2012_min_staffed_hours")
    min_items = reference_value(reference, "kb2012_min_items")
    items = _num(merged, "items")
    catalogue = pick("catalogue_kind").astype("str")
    location = pd.to_numeric(pick("location_class", "location_class_school"), errors="coerce")
    location = location.astype("float64")
    items_en, items_sv = _fmt(items, 0)
    loc_en, loc_sv = _fmt(location, 0)
    hours_text = f"{min_hours:g}"
    items_min_text = f"{min_items:g}"
    criteria = {
        # name: (known, met, fail text en, fail text sv, unknown en, unknown sv)
        "catalogue": (
            catalogue.notna(),
            catalogue != "none",
            "no catalogue",
            "ingen katalog",
            "catalogue kind not recorded",
            "katalog ej registrerad",
        ),
        "location": (
            location.notna(),
            location == 1,
            "not in the school's premises (location class " + loc_en + ")",
            "inte i skolans lokaler (lägesklass " + loc_sv + ")",
            "location class not recorded",
            "lägesklass ej registrerad",
        ),
        "staffed": (
            staffed.notna(),
            staffed >= min_hours,
            "staffed " + staffed_en + f" h/week, below {hours_text}",
            "bemannat " + staffed_sv + f" tim/vecka, under {hours_text}",
            "staff hours not recorded",
            "personaltimmar ej registrerade",
        ),
        "items": (
            items.notna(),
            items >= min_items,
            items_en + f" items, below {items_min_text}",
            items_sv + f" medier, under {items_min_text}",
            "items not recorded",
            "antal medier ej registrerat",
        ),
    }
    any_fail = pd.Series(False, index=index)
    all_met = pd.Series(True, index=index)
    fail_parts_en, fail_parts_sv, unknown_parts_en, unknown_parts_sv = [], [], [], []
    for known, met, f_en, f_sv, u_en, u_sv in criteria.values():
        known = known.astype(bool)
        met = met.fillna(False).astype(bool) & known
        failed = known & ~met
        any_fail |= failed
        all_met &= met
        fail_parts_en.append((failed, f_en))
        fail_parts_sv.append((failed, f_sv))
        unknown_parts_en.append((~known, u_en))
        unknown_parts_sv.append((~known, u_sv))
    results["kb2012_functioning"] = _select(
        index,
        [
            *rules_common,
            (any_fail, "fail", _join(index, fail_parts_en), _join(index, fail_parts_sv)),
            (
                all_met,
                "pass",
                "catalogue, in the school, staffed "
                + staffed_en
                + " h/week, "
                + items_en
                + " items",
                "katalog, i skolan, bemannat " + staffed_sv + " tim/vecka, " + items_sv + " medier",
            ),
            (
                pd.Series(True, index=index),
                "unknown",
                _join(index, unknown_parts_en),
                _join(index, unknown_parts_sv),
            ),
        ],
    )

    # collection_size --------------------------------------------------------
    min_small = reference_value(reference, "min_items_small_school")
    bound = stage_items_per_pupil_bound(merged, reference)
    pupils = _num(merged, "pupils_served")
    small = pupils < 100
    required = np.maximum(bound * pupils, np.where(small, min_small, 0.0))
    required = pd.Series(required, index=index)
    tolerance = 1e-9 * required.abs()
    meets = items >= required - tolerance
    per_pupil = items / pupils.where(pupils > 0)
    pp_en, pp_sv = _fmt(per_pupil, 1)
    bound_en, bound_sv = _fmt(bound, 1)
    small_text = f"{min_small:g}"
    size_en = pd.Series(
        np.where(
            small,
            items_en + f" items for fewer than 100 pupils; standard at least {small_text} items",
            pp_en + " items per pupil; standard at least " + bound_en + " for the school's stages",
        ),
        index=index,
    )
    size_sv = pd.Series(
        np.where(
            small,
            items_sv + f" medier för färre än 100 elever; standard minst {small_text} medier",
            pp_sv + " medier per elev; standard minst " + bound_sv + " för skolans stadier",
        ),
        index=index,
    )
    results["collection_size"] = _select(
        index,
        [
            rules_common[0],
            rules_common[1],
            (items.isna(), "unknown", "items not recorded", "antal medier ej registrerat"),
            (
                pupils.isna(),
                "unknown",
                "pupils served not recorded",
                "antal elever som biblioteket betjänar saknas",
            ),
            (
                bound.isna() & ~small,
                "unknown",
                "the school's stages are not recorded",
                "skolans stadier är inte registrerade",
            ),
            (meets, "pass", size_en, size_sv),
            (pd.Series(True, index=index), "fail", size_en, size_sv),
        ],
    )

    # collection_currency ---------------------------------------------------
    good = reference_value(reference, "median_age_good")
    acceptable = reference_value(reference, "median_age_acceptable")
    age = _num(merged, "median_collection_age")
    age_en, age_sv = _fmt(age, 1)
    results["collection_currency"] = _select(
        index,
        [
            *rules_common,
            (
                age.isna(),
                "unknown",
                "median publication year not recorded",
                "medianutgivningsår ej registrerat",
            ),
            (
                age <= good,
                "pass",
                "median age " + age_en + f" years (at most {good:g}: good)",
                "medianålder " + age_sv + f" år (högst {good:g}: bra)",
            ),
            (
                age <= acceptable,
                "pass",
                "median age " + age_en + f" years (at most {acceptable:g}: acceptable)",
                "medianålder " + age_sv + f" år (högst {acceptable:g}: godtagbart)",
            ),
            (
                pd.Series(True, index=index),
                "fail",
                "median age " + age_en + f" years (over {acceptable:g})",
                "medianålder " + age_sv + f" år (över {acceptable:g})",
            ),
        ],
    )

    frames = []
    for order, (check, result) in enumerate(results.items()):
        part = result.copy()
        part.insert(0, "check", check)
        part.insert(0, "year", merged["year"].to_numpy())
        part.insert(0, "school_unit_code", merged["school_unit_code"].to_numpy())
        part["_order"] = order
        part["_row"] = np.arange(len(part))
        frames.append(part)
    if not frames or not len(index):
        return pd.DataFrame(
            columns=["school_unit_code", "year", "check", "status", "reason_sv", "reason_en"]
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["_row", "_order"], kind="stable").drop(columns=["_row", "_order"])
    for column in ("check", "status", "reason_sv", "reason_en"):
        out[column] = out[column].astype("str")
    return out.reset_index(drop=True)


def standards_score(checks: pd.DataFrame) -> pd.DataFrame:
    """Number and share of checks met per school unit and year.

    Parameters
    ----------
    checks : pandas.DataFrame
        Output of :func:`school_checks` (``school_unit_code``, ``year``,
        ``check``, ``status``).

    Returns
    -------
    pandas.DataFrame
        One row per school unit and year: ``school_unit_code``, ``year``, ``met``
        (checks passed), ``failed``, ``unknown``, ``known`` (met + failed),
        ``total`` (checks evaluated), ``share_met`` (met / total: unknown counts
        as not met) and ``share_met_of_known`` (met / known; ``NaN`` when nothing
        is known).
    """
    status = checks["status"]
    frame = pd.DataFrame(
        {
            "school_unit_code": checks["school_unit_code"],
            "year": checks["year"],
            "met": (status == "pass").astype(int),
            "failed": (status == "fail").astype(int),
            "unknown": (status == "unknown").astype(int),
        }
    )
    score = frame.groupby(["school_unit_code", "year"], sort=True).agg(
        met=("met", "sum"),
        failed=("failed", "sum"),
        unknown=("unknown", "sum"),
        total=("met", "size"),
    )
    score["known"] = score["met"] + score["failed"]
    score["share_met"] = score["met"] / score["total"]
    score["share_met_of_known"] = score["met"] / score["known"].where(score["known"] > 0)
    columns = ["met", "failed", "unknown", "known", "total", "share_met", "share_met_of_known"]
    return score[columns].reset_index()
