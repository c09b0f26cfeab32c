"""Figures for the collections page (Samlingar): pure pandas over the repository frames.

Size and age per library and category come from the recorded collection figures
(``collection_years``) with the per-pupil denominator of ``library_year_frame`` and the formulas
of :func:`metrics.indicators.library_indicators`. The currency check (share of items older than
the reference ages ``median_age_good`` and ``median_age_acceptable`` of
``data/reference_values.csv``) uses the item-level catalogue where a library has one, because
only item years give the share beyond an age; elsewhere it falls back to the recorded figures,
which only know the share *not* published in the last 10 years.

Conventions
-----------
* **Age** of an item is the inventory year minus its publication year. The catalogue is one
  export (the library's current holdings), so when an earlier inventory year is chosen, items
  published after that year are left out of the age figures and counted in ``later_items``.
* **Median** publication year of catalogue items is the lower median (the smallest year with at
  least half of the dated items at or before it), as the catalogue importer computes it, so a
  library's catalogue median equals its recorded median for the export year.
* **Physical** holdings are every category but e-books (licences), as in ``library_year_frame``;
  catalogue items whose media type the catalogue importer reads as an e-book
  (:func:`inventory.importers.catalogue.media_kind`) are left out of the catalogue figures too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from app.i18n import fmt_int, fmt_number, fmt_percent, t
from inventory.importers.catalogue import media_kind
from inventory.importers.textfile import FORMULA_PREFIXES
from inventory.models import CollectionCategory
from inventory.repository import PHYSICAL_CATEGORIES
from metrics.equity import weighted_percentile
from metrics.indicators import library_indicators
from metrics.standards import load_reference_values, reference_value

#: Categories in display order; ``TOTAL`` is the library's physical holdings.
CATEGORIES: tuple[str, ...] = tuple(c.value for c in CollectionCategory)
TOTAL = "total"
#: Okabe-Ito colours (colour-blind safe), one per category; e-books get black.
CATEGORY_COLOURS: Mapping[str, str] = dict(
    zip(
        CATEGORIES,
        ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#000000"],
        strict=True,
    )
)
#: Rows of the incomplete-records list shown on the page (the download holds all).
MAX_ROWS_SHOWN = 1000

CATEGORY_TABLE_COLUMNS = [
    "library_id",
    "library_name",
    "category",
    "pupils_served",
    "items",
    "items_per_pupil",
    "share_items_last_10_years",
    "median_publication_year",
    "median_collection_age",
]
CURRENCY_COLUMNS = [
    "library_id",
    "library_name",
    "source",
    "dated_items",
    "undated_items",
    "later_items",
    "median_publication_year",
    "median_age",
    "share_older_than_good",
    "share_older_than_acceptable",
    "share_not_last_10_years",
]
INCOMPLETE_COLUMNS = [
    "library_name",
    "item_key",
    "title",
    "classification_system",
    "classification",
    "publication_year",
    "language",
    "media_type",
    "missing",
]


def currency_thresholds(reference: pd.DataFrame | None = None) -> tuple[float, float]:
    """``(good, acceptable)`` median collection ages from the reference table (10, 15)."""
    table = load_reference_values() if reference is None else reference
    return (
        reference_value(table, "median_age_good"),
        reference_value(table, "median_age_acceptable"),
    )


def _indicators(frame: pd.DataFrame) -> pd.DataFrame:
    figures = library_indicators(frame)
    return frame.assign(
        items_per_pupil=figures["items_per_pupil"],
        share_items_last_10_years=figures["share_items_last_10_years"],
        median_collection_age=figures["median_collection_age"],
    )


def category_table(collections: pd.DataFrame, libraries: pd.DataFrame) -> pd.DataFrame:
    """Collection size and age per library and category, with a total row per library.

    Parameters
    ----------
    collections
        ``collection_years`` rows of one year (any libraries; rows of libraries not in
        ``libraries`` are dropped).
    libraries
        ``library_year_frame`` rows of the same year for the libraries to show
        (``library_id``, ``library_name``, ``year``, ``pupils_served``, ``items``,
        ``items_last_10_years``, ``median_publication_year``).

    Returns
    -------
    pandas.DataFrame
        :data:`CATEGORY_TABLE_COLUMNS`: one row per library and recorded category, then a
        ``category == "total"`` row with the library's physical holdings. ``items_per_pupil``
        is items over the pupils the library serves, ``share_items_last_10_years`` items
        published in the last 10 years over items, ``median_collection_age`` the year minus
        the median publication year (``library_indicators``; missing with a missing or zero
        denominator). Sorted by library name, then category order, total last.
    """
    keys = libraries[["library_id", "library_name", "year", "pupils_served"]]
    ids = set(libraries["library_id"].dropna().astype(int))
    rows = collections[collections["library_id"].astype("Int64").isin(ids)]
    per_category = rows[
        ["library_id", "year", "category", "items", "items_last_10_years"]
        + ["median_publication_year"]
    ].merge(keys, on=["library_id", "year"], how="inner")
    totals = libraries[
        ["library_id", "library_name", "year", "pupils_served", "items", "items_last_10_years"]
        + ["median_publication_year"]
    ].assign(category=TOTAL)
    frame = pd.concat([per_category, totals], ignore_index=True)
    if frame.empty:
        return pd.DataFrame(columns=CATEGORY_TABLE_COLUMNS)
    frame = _indicators(frame)
    order = {c: i for i, c in enumerate((*CATEGORIES, TOTAL))}
    frame["_order"] = frame["category"].map(order).fillna(len(order))
    frame = frame.sort_values(["library_name", "library_id", "_order"], kind="stable")
    for column in ("pupils_served", "items", "median_publication_year"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame.reindex(columns=CATEGORY_TABLE_COLUMNS).reset_index(drop=True)


def chart_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Physical categories of :func:`category_table`, for the stacked bars (no totals, no
    e-books, rows without a value dropped): ``library_name``, ``category``, ``items``,
    ``items_per_pupil``, ``order`` (category position, for a stable stack order)."""
    rows = table[table["category"].isin(PHYSICAL_CATEGORIES) & table["items_per_pupil"].notna()]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return rows.assign(order=rows["category"].map(order))[
        ["library_name", "category", "items", "items_per_pupil", "order"]
    ].reset_index(drop=True)


def size_finding(bars: pd.DataFrame, lang: str) -> str:
    """The size chart's finding: the range of physical items per pupil over the libraries.

    ``bars`` is :func:`chart_frame`; a library's value is the sum of its stacked categories
    (the length of its bar), e.g. "Fysiska medier per elev varierar från 4,2 (Ekbiblioteket)
    till 14,8 (Bokhuset) mellan de 5 biblioteken."
    """
    totals = bars.groupby("library_name", sort=True)["items_per_pupil"].sum()
    if totals.empty:
        return ""
    if len(totals) == 1:
        return t(
            "collections.size_finding_one",
            lang=lang,
            library=totals.index[0],
            value=fmt_number(totals.iloc[0], 1, lang=lang),
        )
    return t(
        "collections.size_finding",
        lang=lang,
        low=fmt_number(totals.min(), 1, lang=lang),
        low_library=totals.idxmin(),
        high=fmt_number(totals.max(), 1, lang=lang),
        high_library=totals.idxmax(),
        n=fmt_int(len(totals), lang=lang),
    )


def age_finding(totals: pd.DataFrame, good: float, acceptable: float, lang: str) -> str:
    """The age chart's finding: the range of median collection ages and how many libraries
    are within the reference ages.

    ``totals`` are the :func:`category_table` total rows with a median age (the bars).
    """
    ages = pd.Series(
        pd.to_numeric(totals["median_collection_age"], errors="coerce").to_numpy(dtype=float),
        index=totals["library_name"].to_numpy(),
    ).dropna()
    if ages.empty:
        return ""
    counts = {
        "good_n": fmt_int(int((ages <= good).sum()), lang=lang),
        "old_n": fmt_int(int((ages > acceptable).sum()), lang=lang),
        "n": fmt_int(len(ages), lang=lang),
        "good": fmt_int(good, lang=lang),
        "acceptable": fmt_int(acceptable, lang=lang),
    }
    if len(ages) == 1:
        return t(
            "collections.age_finding_one",
            lang=lang,
            library=ages.index[0],
            value=fmt_number(ages.iloc[0], 0, lang=lang),
            **counts,
        )
    return t(
        "collections.age_finding",
        lang=lang,
        low=fmt_number(ages.min(), 0, lang=lang),
        low_library=ages.idxmin(),
        high=fmt_number(ages.max(), 0, lang=lang),
        high_library=ages.idxmax(),
        **counts,
    )


def histogram_finding(
    histogram: pd.DataFrame,
    currency: pd.Series,
    year: int,
    good: float,
    acceptable: float,
    lang: str,
) -> str:
    """The publication-year histogram's finding: the year with most items, and how much of the
    dated catalogue is older than the reference ages (``currency``: the library's
    :func:`currency_table` row)."""
    text = t(
        "collections.histogram_caption",
        lang=lang,
        items=fmt_int(currency["dated_items"], lang=lang),
        good=fmt_int(good, lang=lang),
        share_good=fmt_percent(currency["share_older_than_good"], lang=lang),
        acceptable=fmt_int(acceptable, lang=lang),
        share_acceptable=fmt_percent(currency["share_older_than_acceptable"], lang=lang),
        median=fmt_number(currency["median_age"], 0, lang=lang),
        year=year,
    )
    if histogram.empty:
        return text
    peak = histogram.loc[histogram["items"].idxmax()]
    most = t(
        "collections.histogram_peak",
        lang=lang,
        year=int(peak["publication_year"]),
        items=fmt_int(peak["items"], lang=lang),
    )
    return f"{most} {text}"


def libraries_with_catalogue(counts: pd.DataFrame, library_ids: set[int]) -> list[int]:
    """Ids among ``library_ids`` that have items in the catalogue (``catalogue_item_counts``)."""
    with_items = counts[pd.to_numeric(counts["items"], errors="coerce") > 0]
    return sorted(int(i) for i in with_items["library_id"] if int(i) in library_ids)


def physical_counts(year_counts: pd.DataFrame) -> pd.DataFrame:
    """``catalogue_year_counts`` rows without e-books (media types read as ``e_book``)."""
    kinds = {v: media_kind(str(v)) for v in year_counts["media_type"].dropna().unique()}
    e_book = year_counts["media_type"].map(kinds).eq("e_book").fillna(False).astype(bool)
    return year_counts[~e_book]


def publication_histogram(year_counts: pd.DataFrame, library_id: int) -> pd.DataFrame:
    """Physical items per publication year of one library (``catalogue_year_counts``).

    Returns ``publication_year`` (int) and ``items`` (int), one row per year with a known
    year, ascending; e-books and items without a year are left out.
    """
    counts = physical_counts(year_counts)
    rows = counts[(counts["library_id"] == library_id) & counts["publication_year"].notna()]
    per_year = rows.groupby(rows["publication_year"].astype(int))["items"].sum()
    return pd.DataFrame(
        {"publication_year": per_year.index.to_numpy(), "items": per_year.astype(int).to_numpy()}
    )


def _catalogue_currency(
    year_counts: pd.DataFrame, year: int, good: float, acceptable: float
) -> pd.DataFrame:
    counts = year_counts.assign(
        items=pd.to_numeric(year_counts["items"]).astype(float),
        publication_year=pd.to_numeric(year_counts["publication_year"]).astype(float),
    )
    rows = []
    for library_id, group in counts.groupby("library_id", sort=True):
        known = group[group["publication_year"].notna()]
        dated = known[known["publication_year"] <= year]
        age = year - dated["publication_year"]
        n = float(dated["items"].sum())
        median = (
            weighted_percentile(dated["publication_year"], 50, dated["items"]) if n > 0 else np.nan
        )
        rows.append(
            {
                "library_id": int(library_id),
                "source": "catalogue",
                "dated_items": int(n),
                "undated_items": int(group.loc[group["publication_year"].isna(), "items"].sum()),
                "later_items": int(known.loc[known["publication_year"] > year, "items"].sum()),
                "catalogue_median": median,
                "share_older_than_good": (
                    float(dated.loc[age > good, "items"].sum()) / n if n > 0 else np.nan
                ),
                "share_older_than_acceptable": (
                    float(dated.loc[age > acceptable, "items"].sum()) / n if n > 0 else np.nan
                ),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "library_id",
            "source",
            "dated_items",
            "undated_items",
            "later_items",
            "catalogue_median",
            "share_older_than_good",
            "share_older_than_acceptable",
        ],
    )


def currency_table(
    libraries: pd.DataFrame,
    year_counts: pd.DataFrame,
    year: int,
    good: float,
    acceptable: float,
) -> pd.DataFrame:
    """Collection currency per library against the reference ages.

    Parameters
    ----------
    libraries
        ``library_year_frame`` rows of ``year`` for the libraries to show.
    year_counts
        ``catalogue_year_counts`` of (at least) those libraries; e-books are left out.
    year
        Inventory year the ages count from.
    good, acceptable
        Reference ages (``median_age_good`` = 10, ``median_age_acceptable`` = 15).

    Returns
    -------
    pandas.DataFrame
        :data:`CURRENCY_COLUMNS`, one row per library, sorted by name. ``source`` is
        ``"catalogue"`` (item years) or ``"collection"`` (recorded figures only).
        From the catalogue: ``dated_items`` (items with a publication year up to ``year``),
        ``undated_items``, ``later_items`` (published after ``year``, left out),
        ``share_older_than_good`` / ``share_older_than_acceptable`` (share of the dated items
        whose age is more than ``good`` / ``acceptable`` years) and ``median_publication_year``
        (lower median of the dated items). From the recorded figures: the same median where
        there is no catalogue, and ``share_not_last_10_years`` (1 − items published in the
        last 10 years ÷ items) for every library. ``median_age`` is ``year`` − median year.
    """
    base = libraries[
        ["library_id", "library_name", "items", "items_last_10_years", "median_publication_year"]
    ].copy()
    base["library_id"] = base["library_id"].astype(int)
    ids = set(base["library_id"])
    counts = physical_counts(year_counts[year_counts["library_id"].astype(int).isin(ids)])
    catalogue = _catalogue_currency(counts, year, good, acceptable)
    frame = base.merge(catalogue, on="library_id", how="left")
    frame["source"] = frame["source"].fillna("collection")
    recorded = pd.to_numeric(frame["median_publication_year"], errors="coerce").astype(float)
    median = frame["catalogue_median"].astype(float).where(frame["source"] == "catalogue", recorded)
    frame["median_publication_year"] = median.round().astype("Int64")
    frame["median_age"] = year - median
    items = pd.to_numeric(frame["items"], errors="coerce").astype(float)
    recent = pd.to_numeric(frame["items_last_10_years"], errors="coerce").astype(float)
    frame["share_not_last_10_years"] = 1.0 - recent / items.where(items > 0)
    for column in ("dated_items", "undated_items", "later_items"):
        frame[column] = frame[column].astype("Int64")
    return (
        frame.sort_values(["library_name", "library_id"], kind="stable")
        .reindex(columns=CURRENCY_COLUMNS)
        .reset_index(drop=True)
    )


def incomplete_records(items: pd.DataFrame) -> pd.DataFrame:
    """Catalogue items lacking a publication year or a classification (missing or blank).

    Returns :data:`INCOMPLETE_COLUMNS`; ``missing`` is ``"publication_year"``,
    ``"classification"`` or ``"publication_year,classification"``. Sorted by library and key.
    """
    no_year = items["publication_year"].isna()
    classification = items["classification"].astype("string").str.strip()
    no_class = classification.isna() | (classification == "")
    rows = items[no_year | no_class].copy()
    parts = np.where(
        no_year[rows.index] & no_class[rows.index],
        "publication_year,classification",
        np.where(no_year[rows.index], "publication_year", "classification"),
    )
    rows["missing"] = parts
    return (
        rows.sort_values(["library_name", "item_key"], kind="stable")
        .reindex(columns=INCOMPLETE_COLUMNS)
        .reset_index(drop=True)
    )


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell a spreadsheet could run as a formula is defused.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (the project's
    ``FORMULA_PREFIXES``, after OWASP's CSV-injection advice) gets a leading single quote.
    Numbers are left alone.
    """
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        if risky.any():
            safe[column] = series.astype(object).where(~risky, "'" + text.astype(object))
    return safe


def csv_bytes(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> bytes:
    """``frame`` as formula-safe CSV for spreadsheets: UTF-8 with BOM, ``;``-separated.

    ``headers`` renames columns (e.g. to the page language); the BOM and the semicolon make
    Excel with Swedish settings open the file directly.
    """
    out = formula_safe(frame)
    if headers:
        out = out.rename(columns=dict(headers))
    return out.to_csv(index=False, sep=";").encode("utf-8-sig")
