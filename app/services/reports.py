"""Planning summaries for the Rapporter page and ``skolbib export summary`` (no Streamlit).

:func:`overview_figures` computes the Översikt page's figures for a scope with
:mod:`app.services.overview`, so a summary shows exactly what the page shows;
:func:`build_summary` hands it to :func:`planning.summary.build_summary`. :func:`render` turns a
summary into the bytes of one export format and :func:`export` does both in a session of its
own (what a download button calls when it is clicked).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from app.services.overview import (
    ALL_LAW,
    KEY_FIGURE_SPECS,
    checklist_coverage,
    county_table,
    key_figures,
    library_table,
    overview_kpis,
    school_checklist,
    school_table,
    staffed_threshold,
    staffing_equity,
)
from inventory.db import make_engine
from planning import export_csv, export_geo, export_pdf, export_xlsx
from planning.summary import (
    MAX_SCENARIOS,
    FigureValue,
    OverviewFigures,
    ScopeData,
    Summary,
    SummaryRequest,
)
from planning.summary import build_summary as build_planning_summary

__all__ = [
    "FORMATS",
    "ExportFormat",
    "build_summary",
    "export",
    "file_name",
    "overview_figures",
    "render",
    "scenario_choices",
    "scope_codes",
]


def overview_figures(data: ScopeData) -> OverviewFigures:
    """The Översikt page's figures for the scope's school units and year (see the page)."""
    codes = list(data.municipalities["code"])
    own = data.library_years[data.library_years["municipality_code"].isin(codes)]
    libraries = library_table(own, data.indicators)
    schools = school_table(data.schools, data.library_years, data.indicators)
    threshold = staffed_threshold(data.reference)
    kpis = overview_kpis(schools, libraries, threshold)
    checklist = school_checklist(data.schools, data.indicators, data.reference, data.links)
    coverage = checklist_coverage(checklist, data.schools)
    status = checklist[checklist["check"] == ALL_LAW][["school_unit_code", "status"]]
    county = None
    if data.scope == "county":
        county = county_table(
            data.schools, data.library_years, data.indicators, data.municipalities, data.reference
        )
    return OverviewFigures(
        schools=kpis.schools,
        pupils=kpis.pupils,
        libraries=kpis.libraries,
        share_pupils_staffed=kpis.share_pupils_staffed,
        staffed_threshold=threshold,
        key_figures=tuple(
            FigureValue(
                name=figure.name,
                value=figure.value,
                reference=figure.reference,
                higher_is_better=figure.higher_is_better,
                decimals=figure.decimals,
                pupils=figure.pupils,
                source_keys=KEY_FIGURE_SPECS[figure.name].source_keys,
            )
            for figure in key_figures(data.schools, data.indicators, data.reference)
        ),
        equity=staffing_equity(data.schools, data.indicators),
        checklist=coverage,
        school_status=status.reset_index(drop=True),
        school_table=schools,
        library_table=libraries,
        county_table=county,
    )


def build_summary(session: Session, user: Any, request: SummaryRequest) -> Summary:
    """:func:`planning.summary.build_summary` with the overview's figures.

    Raises what it raises (``PermissionDeniedError`` unless the user may ``export.summary``,
    ``SummaryError`` for a request the database cannot answer).
    """
    return build_planning_summary(session, user, request, overview_figures)


# --------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class ExportFormat:
    """An export format: file extension, MIME type and renderer."""

    extension: str
    mime: str
    render: Callable[[Summary, str], bytes]


FORMATS: dict[str, ExportFormat] = {
    "pdf": ExportFormat("pdf", "application/pdf", lambda s, _d: export_pdf.render_pdf(s)),
    "xlsx": ExportFormat(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda s, _d: export_xlsx.render_xlsx(s),
    ),
    "csv": ExportFormat("csv", "text/csv", lambda s, d: export_csv.render_csv(s, d)),
    "gpkg": ExportFormat(
        "gpkg", "application/geopackage+sqlite3", lambda s, _d: export_geo.render_gpkg(s)
    ),
    "geojson": ExportFormat(
        "geojson", "application/geo+json", lambda s, _d: export_geo.render_geojson(s)
    ),
}


def render(summary: Summary, fmt: str, dialect: str = "excel") -> bytes:
    """The bytes of ``summary`` in ``fmt`` (:data:`FORMATS`); ``dialect`` applies to CSV."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {tuple(FORMATS)}, got {fmt!r}")
    return FORMATS[fmt].render(summary, dialect)


def export(url: str, user: Any, request: SummaryRequest, fmt: str, dialect: str = "excel") -> bytes:
    """Build and render a summary in a session of its own on the database ``url``."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            summary = build_summary(session, user, request)
    finally:
        engine.dispose()
    return render(summary, fmt, dialect)


def file_name(request: SummaryRequest, area_name: str, year: int | None, fmt: str) -> str:
    """A download name such as ``planeringsunderlag_exempelkommun_2025.pdf`` (ASCII only)."""
    stem = "planeringsunderlag" if request.lang == "sv" else "planning-summary"
    # "Åkerstad" -> "akerstad": letters without their accents, anything else a hyphen
    folded = unicodedata.normalize("NFKD", area_name.lower()).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "omrade"
    year_part = f"_{year}" if year is not None else ""
    return f"{stem}_{slug}{year_part}.{FORMATS[fmt].extension}"


def scenario_choices(table: pd.DataFrame, codes: list[str]) -> list[str]:
    """Names of saved scenarios a summary of ``codes`` can include, sorted.

    ``table`` is :func:`planning.scenario_store.list_scenarios`; a scenario counts when its
    latest version is for one of the municipalities or for none (all municipalities).
    """
    if table.empty:
        return []
    latest = table.sort_values(["name", "version"]).drop_duplicates("name", keep="last")
    keep = latest["municipality_code"].isna() | latest["municipality_code"].isin(codes)
    return sorted(latest.loc[keep, "name"].astype(str))


def scope_codes(municipalities: pd.DataFrame, code: str, scope: str) -> list[str]:
    """The municipality codes of a scope: ``code`` itself or every municipality of its county."""
    if scope == "municipality":
        return [code]
    county = municipalities.set_index("code").loc[code, "county_code"]
    return list(municipalities.loc[municipalities["county_code"] == county, "code"])


#: For the page: the most scenarios a summary shows.
SCENARIO_LIMIT = MAX_SCENARIOS
