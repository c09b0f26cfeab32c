"""Figures for the comparison page (Jämförelse): pure pandas over the repository frames.

Conventions (ARCHITECTURE.md, "Indicators" and "Equity statistics"):

* The per-library indicators come from :func:`metrics.indicators.library_indicators`; a school
  unit carries the value of the library that serves it (``school_frame.library_id``), so school
  units sharing a library show the same value, and every pupil carries the value of the library
  serving the pupil's school unit.
* Medians are pupil-weighted lower medians (:func:`metrics.equity.weighted_percentile`).
* A missing value is never 0: each value has a reason code (:data:`REASON_CODES`) and, for
  ``"indicator"``, the English and Swedish reason of :mod:`metrics.indicators`.
* Reference lines come from the editable reference table (``data/reference_values.csv``); a key
  the table lacks is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from app.components.charts import format_value, indicator_label
from app.components.text import inline
from app.i18n import fmt_int, fmt_number, t
from app.services.outcomes import strength
from app.services.overview import NOT_A_LIBRARY
from metrics.equity import weighted_percentile
from metrics.indicators import INDICATORS, swedish_reasons
from metrics.need import need_weight
from metrics.standards import stage_items_per_pupil_bound

#: What the ranking shows one bar for.
UNITS = ("library", "school")
#: What the scatter plot puts on the x axis.
SCATTER_AXES = ("pupils", "need_weight")

#: Why a value is missing: the school unit has no library (or one of kind "none"), its library
#: has no figures for the year, or the indicator itself is missing (see ``reason_en``).
REASON_NO_LIBRARY = "no_library"
REASON_NO_FIGURES = "no_figures"
REASON_INDICATOR = "indicator"
REASON_CODES = (REASON_NO_LIBRARY, REASON_NO_FIGURES, REASON_INDICATOR)

#: Reference keys (``data/reference_values.csv``) drawn as lines, per indicator.
REFERENCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "staffed_hours_per_week": ("kb2012_min_staffed_hours",),
    "staffed_hours_per_100_pupils": (
        "pupils_per_librarian_compulsory",
        "pupils_per_librarian_upper_secondary",
    ),
    "staff_fte_per_1000_pupils": (
        "national_fte_per_1000_pupils_2023",
        "pupils_per_librarian_compulsory",
        "pupils_per_librarian_upper_secondary",
    ),
    "open_hours_per_week": ("national_open_hours_2023",),
    "items_per_pupil": (
        "items_per_pupil_primary_min",
        "items_per_pupil_11_16_min",
        "items_per_pupil_upper_secondary_min",
    ),
    "media_cost_sek_per_pupil": ("national_media_sek_per_pupil_2023",),
    "loans_per_pupil": ("national_loans_per_pupil_2023",),
    "renewal_rate": ("renewal_rate",),
    "median_collection_age": ("median_age_good", "median_age_acceptable"),
}

_PRIMARY = ("has_preschool_class", "has_grades_1_3", "has_grades_4_6")
_COMPULSORY = (*_PRIMARY, "has_grades_7_9")
#: Stage-bound reference keys: drawn only when a school shown has one of these stages.
_STAGE_KEYS: Mapping[str, tuple[str, ...]] = {
    "items_per_pupil_primary_min": _PRIMARY,
    "items_per_pupil_11_16_min": ("has_grades_7_9",),
    "items_per_pupil_upper_secondary_min": ("has_upper_secondary",),
    "pupils_per_librarian_compulsory": _COMPULSORY,
    "pupils_per_librarian_upper_secondary": ("has_upper_secondary",),
}
#: Reference key of the school's own stage-weighted items-per-pupil bound in a profile.
STAGE_BOUND_KEY = "stage_items_per_pupil_bound"
_FTE_HOURS_KEY = "fte_hours_per_week"

REFERENCE_COLUMNS = ["key", "value", "description_sv", "description_en", "source"]

_SCHOOL_COLUMNS = [
    "school_id",
    "school_unit_code",
    "school_name",
    "municipality_code",
    "district",
    "organiser_type",
    *_COMPULSORY,
    "has_upper_secondary",
    "has_adapted",
    "year",
    "share_foreign_background",
    "share_parents_post_secondary",
    "library_id",
    "library_name",
    "library_kind",
]


def _float(series: pd.Series) -> pd.Series:
    return pd.Series(
        pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
        index=series.index,
    )


def reason_translations(indicators: pd.DataFrame) -> dict[str, str]:
    """English -> Swedish texts of the missing-value reasons in ``indicators``."""
    columns = [f"{name}_reason" for name in INDICATORS if f"{name}_reason" in indicators]
    if indicators.empty or not columns:
        return {}
    return swedish_reasons(indicators[columns].to_numpy().ravel())


def _need(frame: pd.DataFrame) -> pd.DataFrame:
    """Need weight of each row from its shares; missing (not 1) where a share is missing."""
    if frame.empty or not {"share_foreign_background", "share_parents_post_secondary"} <= set(
        frame.columns
    ):
        return pd.DataFrame({"need_weight": np.nan}, index=frame.index)
    weights = need_weight(
        _float(frame["share_foreign_background"]), _float(frame["share_parents_post_secondary"])
    )
    weights.index = frame.index
    return pd.DataFrame(
        {"need_weight": weights["need_weight"].where(~weights["need_weight_imputed"])}
    )


def _reason_columns(
    frame: pd.DataFrame, translations: Mapping[str, str], codes: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """Per indicator ``x``: ``x_reason_code``, ``x_reason`` (English) and ``x_reason_sv``."""
    extra = {}
    for name in INDICATORS:
        value = frame[name]
        reason = frame.get(f"{name}_reason", pd.Series(np.nan, index=frame.index, dtype=object))
        code = codes.get(name)
        if code is None:
            code = pd.Series(np.where(value.isna(), REASON_INDICATOR, None), index=frame.index)
        own = code == REASON_INDICATOR
        reason = reason.where(own & reason.notna())
        extra[f"{name}_reason_code"] = code.astype(object)
        extra[f"{name}_reason"] = reason.astype(object)
        translated = reason.map(dict(translations))  # a dict lookup, not a Python call per row
        extra[f"{name}_reason_sv"] = translated.where(translated.notna(), reason).astype(object)
    drop = [c for c in extra if c in frame.columns]
    return pd.concat([frame.drop(columns=drop), pd.DataFrame(extra, index=frame.index)], axis=1)


def library_values(indicators: pd.DataFrame) -> pd.DataFrame:
    """One row per library (one year of ``library_indicators``) with reasons and need weight.

    Adds ``pupils`` (= ``pupils_served``), ``need_weight`` (from the library's pupil-weighted
    shares; missing when a share is missing) and, per indicator ``x``, ``x_reason_code``
    (``"indicator"`` where missing), ``x_reason`` and ``x_reason_sv``.
    """
    frame = indicators.copy()
    for name in INDICATORS:
        frame[name] = _float(frame[name])
    frame["pupils"] = _float(frame["pupils_served"])
    frame["need_weight"] = _need(frame)["need_weight"]
    return _reason_columns(frame, reason_translations(indicators), {})


def school_values(schools: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """One row per school unit with every indicator of the library that serves it.

    Parameters
    ----------
    schools
        ``inventory.repository.school_frame`` rows of one year.
    indicators
        ``metrics.indicators.library_indicators`` of the same year (libraries of every
        municipality: a school unit may be served across a border).

    Returns
    -------
    The school columns (``school_id``, ``school_unit_code``, ``school_name``, ``district``,
    ``organiser_type``, the stage flags, ``year``, the need shares, ``library_id``,
    ``library_name``, ``library_kind``), ``pupils`` (the school unit's pupils),
    ``pupils_served`` (all pupils of its library), ``need_weight`` (the school unit's; missing
    when a share is missing), every indicator and per indicator ``x`` the ``x_reason_code``,
    ``x_reason`` (English) and ``x_reason_sv`` columns. A school unit without a library, or
    with a library of kind "none", has every value missing with code ``"no_library"``; one whose
    library has no figures that year has code ``"no_figures"``.
    """
    base = schools.reindex(columns=_SCHOOL_COLUMNS).copy()
    base["pupils"] = _float(schools["pupils_total"]) if "pupils_total" in schools else np.nan
    base["library_id"] = pd.to_numeric(base["library_id"], errors="coerce").astype("Int64")
    names = list(INDICATORS)
    wanted = ["library_id", "pupils_served", *names, *[f"{n}_reason" for n in names]]
    libs = indicators.reindex(columns=wanted).drop_duplicates("library_id").copy()
    libs["library_id"] = pd.to_numeric(libs["library_id"], errors="coerce").astype("Int64")
    libs["_found"] = True
    merged = base.merge(libs, on="library_id", how="left")
    merged.index = base.index
    has_library = merged["library_id"].notna() & ~merged["library_kind"].isin(NOT_A_LIBRARY)
    found = merged["_found"].eq(True) & has_library
    merged["pupils_served"] = _float(merged["pupils_served"])
    codes = {}
    for name in names:
        value = _float(merged[name]).where(found)
        merged[name] = value
        codes[name] = pd.Series(
            np.select(
                [~has_library, ~found, value.isna()],
                [REASON_NO_LIBRARY, REASON_NO_FIGURES, REASON_INDICATOR],
                default=None,
            ),
            index=merged.index,
        ).where(value.isna())
    merged["need_weight"] = _need(merged)["need_weight"]
    merged = merged.drop(columns="_found")
    return _reason_columns(merged, reason_translations(indicators), codes)


def _unique_labels(names: pd.Series, ids: pd.Series) -> pd.Series:
    """Names, with the id appended where two rows share a name."""
    text = names.fillna("").astype(str)
    duplicated = text.duplicated(keep=False)
    return text.where(~duplicated, text + " (" + ids.astype(str) + ")")


def ranking(values: pd.DataFrame, indicator: str, unit: str) -> pd.DataFrame:
    """The rows of a ranking: best first, missing values last.

    Parameters
    ----------
    values
        :func:`school_values` (``unit="school"``) or :func:`library_values`
        (``unit="library"``) rows to rank (already filtered).
    indicator
        A key of :data:`metrics.indicators.INDICATORS`.

    Returns
    -------
    ``id`` (school unit code or library id), ``label`` (unique name), ``indicator`` (the value,
    under the indicator's own name), ``pupils`` (the school unit's pupils, or the library's
    pupils served), ``pupils_served``, ``need_weight``, ``library_name``, ``reason_code``,
    ``reason_en``,
    ``reason_sv`` and ``rank`` (1 = best given the indicator's direction; ties share the best
    rank; missing when the value is missing).
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    meta = INDICATORS[indicator]
    if unit == "school":
        ids = values["school_unit_code"].astype(str)
        names = values["school_name"]
        library = values["library_name"]
    else:
        ids = values["library_id"].astype(str)
        names = values["library_name"]
        library = values["library_name"]
    frame = pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "label": _unique_labels(names, ids).to_numpy(),
            indicator: _float(values[indicator]).to_numpy(),
            "pupils": _float(values["pupils"]).to_numpy(),
            "pupils_served": _float(values["pupils_served"]).to_numpy(),
            "need_weight": _float(values["need_weight"]).to_numpy(),
            "library_name": library.to_numpy(),
            "reason_code": values[f"{indicator}_reason_code"].to_numpy(),
            "reason_en": values[f"{indicator}_reason"].to_numpy(),
            "reason_sv": values[f"{indicator}_reason_sv"].to_numpy(),
        }
    )
    frame["rank"] = (
        frame[indicator].rank(method="min", ascending=not meta.higher_is_better).astype("Int64")
    )
    frame["_missing"] = frame[indicator].isna()
    frame = frame.sort_values(
        ["_missing", "rank", "label"], kind="stable", na_position="last", ignore_index=True
    )
    return frame.drop(columns="_missing")


def weighted_median(values: pd.Series, weights: pd.Series) -> float:
    """Pupil-weighted lower median of the rows with a value and a positive weight; NaN if none."""
    x = _float(pd.Series(values)).to_numpy()
    w = _float(pd.Series(weights)).to_numpy()
    keep = ~np.isnan(x) & ~np.isnan(w) & (w > 0)
    if not keep.any():
        return float("nan")
    try:
        return float(weighted_percentile(x[keep], 50, weights=w[keep]))
    except ValueError:  # e.g. a negative value
        return float("nan")


def municipal_medians(values: pd.DataFrame) -> pd.Series:
    """Pupil-weighted median of every indicator over ``values`` (school rows), by indicator."""
    return pd.Series(
        {name: weighted_median(values[name], values["pupils"]) for name in INDICATORS},
        dtype="float64",
    )


def _stage_present(schools: pd.DataFrame | None, key: str) -> bool:
    flags = _STAGE_KEYS.get(key)
    if flags is None or schools is None:
        return True
    present = [f for f in flags if f in schools.columns]
    return bool(present) and bool(schools[present].fillna(False).astype(bool).any(axis=None))


def _converted(indicator: str, key: str, value: float, reference: pd.DataFrame) -> float:
    """A "pupils per librarian" benchmark expressed in the indicator's unit."""
    if not key.startswith("pupils_per_librarian") or value <= 0:
        return value
    if indicator == "staff_fte_per_1000_pupils":
        return 1000.0 / value
    fte = reference.loc[reference["key"] == _FTE_HOURS_KEY, "value"]
    fte_hours = float(fte.iloc[0]) if not fte.empty else 40.0
    return 100.0 * fte_hours / value  # staffed hours per week per 100 pupils


def reference_lines(
    indicator: str, reference: pd.DataFrame, schools: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Standards and national means to draw for ``indicator`` (none for most indicators).

    Parameters
    ----------
    indicator
        A key of :data:`metrics.indicators.INDICATORS`.
    reference
        The reference table (:func:`metrics.standards.load_reference_values`).
    schools
        The school units shown (stage flags). Stage-bound values (items per pupil by stage,
        pupils per librarian) are drawn only for stages present; ``None`` draws them all.

    Returns
    -------
    One row per line: ``key``, ``value`` (in the indicator's unit: "one librarian per 300
    pupils" becomes 100 × 40 / 300 staffed hours per 100 pupils or 1,000 / 300 FTE per 1,000
    pupils), ``description_sv``, ``description_en``, ``source``.
    """
    rows = []
    table = reference.set_index("key")
    for key in REFERENCE_KEYS.get(indicator, ()):
        if key not in table.index or not _stage_present(schools, key):
            continue
        row = table.loc[key]
        rows.append(
            {
                "key": key,
                "value": _converted(indicator, key, float(row["value"]), reference),
                "description_sv": row.get("description_sv", key),
                "description_en": row.get("description_en", key),
                "source": row.get("source", ""),
            }
        )
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)


def distribution(values: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """School rows with a value and pupils: ``label``, the indicator, ``pupils``."""
    frame = pd.DataFrame(
        {
            "label": values["school_name"].astype(str).to_numpy(),
            indicator: _float(values[indicator]).to_numpy(),
            "pupils": _float(values["pupils"]).to_numpy(),
        }
    )
    return frame[frame[indicator].notna() & (frame["pupils"] > 0)].reset_index(drop=True)


def scatter(rows: pd.DataFrame, indicator: str, axis: str) -> pd.DataFrame:
    """The :func:`ranking` rows that have both the value and ``axis`` (``pupils`` or
    ``need_weight``) for a scatter plot; ``len(rows) - len(result)`` rows are left out."""
    if axis not in SCATTER_AXES:
        raise ValueError(f"axis must be one of {SCATTER_AXES}, got {axis!r}")
    return rows.dropna(subset=[axis, indicator]).reset_index(drop=True)


def school_profile(
    code: str,
    values: pd.DataFrame,
    medians: pd.Series,
    peers: pd.DataFrame,
    reference: pd.DataFrame,
) -> pd.DataFrame:
    """One school unit on every indicator against the municipality, a standard and its peers.

    Parameters
    ----------
    code
        The school unit code.
    values
        :func:`school_values` of every school unit that may be a peer (same year).
    medians
        :func:`municipal_medians` of the school unit's municipality.
    peers
        :func:`metrics.peers.peer_groups` for the year.
    reference
        The reference table.

    Returns
    -------
    One row per indicator, in registry order: ``indicator``, ``value``, ``reason_code``,
    ``reason_en``, ``reason_sv``, ``municipal_median``, ``reference_value``, ``reference_key``
    (:data:`STAGE_BOUND_KEY` for items per pupil: the school unit's own stage-weighted lower
    bound), ``reference_sv``, ``reference_en``, ``peer_median`` (of the peers with a value),
    ``peer_rank`` (1 = best among the school unit and its peers) and ``peer_group_size`` (the
    school unit and its peers with a value).
    """
    own = values[values["school_unit_code"].astype(str) == str(code)]
    if own.empty:
        raise KeyError(f"school unit {code!r} is not in values")
    school = own.iloc[[0]]
    own_peers = peers[peers["school_unit_code"].astype(str) == str(code)]
    # the school and its peers only: a few rows, ranked directly (the same rules as
    # metrics.peers.rank_among_peers, without its per-call pandas overhead on every indicator)
    peer_codes = own_peers["peer_code"].astype(str).tolist()
    by_code = values.assign(_code=values["school_unit_code"].astype(str)).drop_duplicates("_code")
    by_code = by_code.set_index("_code")
    peer_rows = by_code.reindex([c for c in peer_codes if c in by_code.index])
    rows = []
    for name, meta in INDICATORS.items():
        lines = reference_lines(name, reference, school)
        ref_value, ref_key, ref_sv, ref_en = np.nan, None, None, None
        if name == "items_per_pupil" and not lines.empty:
            ref_value = float(stage_items_per_pupil_bound(school, reference).iloc[0])
            ref_key = STAGE_BOUND_KEY
        elif not lines.empty:
            first = lines.iloc[0]
            ref_value, ref_key = float(first["value"]), first["key"]
            ref_sv, ref_en = first["description_sv"], first["description_en"]
        peer_median, peer_rank, group_size = np.nan, pd.NA, 0
        if not own_peers.empty:
            own_value = pd.to_numeric(school[name], errors="coerce").iloc[0]
            known = pd.to_numeric(peer_rows[name], errors="coerce").dropna().to_numpy(float)
            peer_median = float(np.median(known)) if known.size else np.nan
            own_known = not pd.isna(own_value)
            group_size = int(known.size) + int(own_known)
            if own_known:
                better = known > own_value if meta.higher_is_better else known < own_value
                peer_rank = int(better.sum()) + 1
        rows.append(
            {
                "indicator": name,
                "value": float(school[name].iloc[0]),
                "reason_code": school[f"{name}_reason_code"].iloc[0],
                "reason_en": school[f"{name}_reason"].iloc[0],
                "reason_sv": school[f"{name}_reason_sv"].iloc[0],
                "municipal_median": float(medians.get(name, np.nan)),
                "reference_value": ref_value,
                "reference_key": ref_key,
                "reference_sv": ref_sv,
                "reference_en": ref_en,
                "peer_median": peer_median,
                "peer_rank": peer_rank,
                "peer_group_size": group_size,
            }
        )
    frame = pd.DataFrame(rows)
    frame["peer_rank"] = frame["peer_rank"].astype("Int64")
    return frame


def peer_list(code: str, peers: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The peers of one school unit: ``rank``, ``peer_code``, ``school_name``,
    ``municipality_code``, ``pupils`` and ``distance`` (similarity distance, z-score units)."""
    own = peers[peers["school_unit_code"].astype(str) == str(code)]
    names = values.drop_duplicates("school_unit_code").assign(
        peer_code=lambda f: f["school_unit_code"].astype(str)
    )[["peer_code", "school_name", "municipality_code", "pupils"]]
    frame = own.assign(peer_code=own["peer_code"].astype(str)).merge(
        names, on="peer_code", how="left"
    )
    return frame[
        ["rank", "peer_code", "school_name", "municipality_code", "pupils", "distance"]
    ].reset_index(drop=True)


# --------------------------------------------------------------------------- chart findings


def _units(unit: str, lang: str) -> str:
    return t(f"comparison.finding_units.{unit}", lang=lang)


def _reaches(values: pd.Series, reference: float, higher_is_better: bool) -> int:
    return int((values >= reference).sum() if higher_is_better else (values <= reference).sum())


def ranking_finding(
    known: pd.DataFrame,
    indicator: str,
    lines: pd.DataFrame,
    unit: str,
    lang: str,
    highlight: str | None = None,
) -> str:
    """The ranking chart's finding: the best and the weakest bar, where the highlighted school
    unit stands, and how many bars reach each reference line but the first (the median).

    ``known`` are the :func:`ranking` rows with a value (best first); ``lines`` the reference
    lines drawn (``label``, ``value``; the municipal median first).
    """
    if known.empty:
        return ""
    meta = INDICATORS[indicator]
    values = known[indicator].astype(float)
    best, worst = known.iloc[0], known.iloc[-1]
    parts = [
        t(
            "comparison.ranking_finding",
            lang=lang,
            n=fmt_int(len(known), lang=lang),
            units=_units(unit, lang),
            best=best["label"],
            best_value=format_value(indicator, best[indicator], lang),
            worst=worst["label"],
            worst_value=format_value(indicator, worst[indicator], lang),
        )
    ]
    chosen = known[known["id"].astype(str) == str(highlight)] if highlight is not None else None
    if chosen is not None and not chosen.empty:
        row = chosen.iloc[0]
        parts.append(
            t(
                "comparison.highlight_finding",
                lang=lang,
                label=row["label"],
                value=format_value(indicator, row[indicator], lang),
                rank=fmt_int(row["rank"], lang=lang),
                n=fmt_int(len(known), lang=lang),
            )
        )
    for _, line in lines.iloc[1:].iterrows():
        parts.append(
            t(
                "comparison.reference_finding",
                lang=lang,
                meet=fmt_int(
                    _reaches(values, float(line["value"]), meta.higher_is_better), lang=lang
                ),
                n=fmt_int(len(known), lang=lang),
                reference=inline(str(line["label"])),
                value=format_value(indicator, line["value"], lang),
            )
        )
    return " ".join(parts)


def distribution_finding(spread: pd.DataFrame, indicator: str, lang: str) -> str:
    """The distribution chart's finding: pupil-weighted 10th, 50th and 90th percentiles of the
    value (``spread`` is :func:`distribution`); empty when they cannot be computed."""
    if spread.empty:
        return ""
    values, pupils = spread[indicator].to_numpy(float), spread["pupils"].to_numpy(float)
    try:
        low, median, high = (weighted_percentile(values, q, weights=pupils) for q in (10, 50, 90))
    except ValueError:  # e.g. a negative value
        return ""
    return t(
        "comparison.distribution_finding",
        lang=lang,
        median=format_value(indicator, median, lang),
        low=format_value(indicator, low, lang),
        high=format_value(indicator, high, lang),
    )


def scatter_finding(
    points: pd.DataFrame,
    indicator: str,
    axis: str,
    unit: str,
    lang: str,
    highlight: str | None = None,
) -> str:
    """The scatter plot's finding: the strength and direction of the (unweighted, one point per
    row) Pearson correlation between ``axis`` and the indicator, and the highlighted school
    unit's point. ``points`` is :func:`scatter`."""
    x = points[axis].to_numpy(float)
    y = points[indicator].to_numpy(float)
    common = {
        "axis": inline(t(f"comparison.axis.{axis}", lang=lang)),
        "indicator": inline(indicator_label(indicator, lang)),
        "n": fmt_int(len(points), lang=lang),
        "units": _units(unit, lang),
    }
    if len(points) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        text = t("comparison.scatter_finding_none", lang=lang, **common)
    else:
        r = float(np.corrcoef(x, y)[0, 1])
        size = strength(r)
        direction = "positive" if r > 0 else "negative"
        key = (
            "outcomes.strength.none" if size == "none" else f"outcomes.strength.{size}.{direction}"
        )
        text = t(
            "comparison.scatter_finding",
            lang=lang,
            strength=t(key, lang=lang),
            r=fmt_number(r, 2, lang=lang),
            **common,
        )
    chosen = points[points["id"].astype(str) == str(highlight)] if highlight is not None else None
    if chosen is not None and not chosen.empty:
        row = chosen.iloc[0]
        x_text = (
            fmt_int(row[axis], lang=lang)
            if axis == "pupils"
            else fmt_number(row[axis], 2, lang=lang)
        )
        text += " " + t(
            "comparison.scatter_highlight",
            lang=lang,
            label=row["label"],
            value=format_value(indicator, row[indicator], lang),
            x=x_text,
            axis=common["axis"],
        )
    return text


def chart_table(rows: pd.DataFrame, indicator: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of chart rows with the indicator under ``value`` (shares in per cent, as the
    axis shows them)."""
    scale = 100.0 if INDICATORS[indicator].unit.startswith("share") else 1.0
    table = rows[columns].copy()
    table.insert(columns.index(indicator), "value", rows[indicator].astype(float) * scale)
    return table.drop(columns=indicator).reset_index(drop=True)
