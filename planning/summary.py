"""The planning summary for managers: one model that every export renderer uses.

:func:`build_summary` reads one municipality (or its county) and inventory year from the
database and returns a :class:`Summary`: headline counts, key figures against their reference
values, equity statistics with their meaning, the skollag checklist coverage, the chosen
scenarios before and after with their costs, a digest of the comments on them, per-school and
per-library tables (with each scenario's results), the districts for the map, and the
definitions and sources of the method appendix. The renderers (:mod:`planning.export_pdf`,
:mod:`planning.export_xlsx`, :mod:`planning.export_csv`, :mod:`planning.export_geo`) only lay
the model out; all texts are already in the report's language.

The overview figures (key figures, equity, checklist, the school and library tables, the county
table) are computed by the same functions as the Översikt page. They live in the application
layer, which planning must not import, so the caller passes them in as ``figures``: a function
from the scope's frames (:class:`ScopeData`) to :class:`OverviewFigures`
(``app.services.reports.overview_figures``).

Reading needs the permission ``export.summary`` (:func:`inventory.permissions.require`).
Comments are read straight from the ``comment`` table: a hidden comment is counted, its text
is never copied; authors appear by role only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from inventory import repository
from inventory.models import (
    Comment,
    Library,
    LibrarySchool,
    Municipality,
    Scenario,
    School,
    SchoolYear,
)
from inventory.permissions import require
from metrics.indicators import INDICATORS, library_indicators
from metrics.outcomes import association_summary
from metrics.standards import CHECKS, DEFAULT_REFERENCE_PATH, load_reference_values
from planning.scenario_store import compare_scenarios, load_scenario
from planning.summary_text import LANGUAGES, MISSING, format_number, text

__all__ = [
    "ALL_LAW",
    "EQUITY_STATISTICS",
    "LATEST_COMMENTS",
    "LIBRARY_COLUMNS",
    "MAX_SCENARIOS",
    "SCENARIO_FIELDS",
    "SCHOOL_COLUMNS",
    "SCOPES",
    "ChecklistItem",
    "CommentDigest",
    "CommentItem",
    "Counts",
    "Definition",
    "EquityItem",
    "EquitySection",
    "FigureValue",
    "KeyFigureItem",
    "OutcomesSection",
    "OverviewFigures",
    "ScenarioItem",
    "ScopeData",
    "SourceItem",
    "Summary",
    "SummaryError",
    "SummaryRequest",
    "build_summary",
    "column_decimals",
    "column_label",
    "scenario_column",
]

SCOPES = ("municipality", "county")
#: At most this many scenarios side by side (as on the Scenarier page's comparison).
MAX_SCENARIOS = 4
#: Comments listed in the digest (the newest first).
LATEST_COMMENTS = 5
#: Pseudo check of the overview: a school unit passing all four legal checks.
ALL_LAW = "all_law"
#: Equity statistics shown, with their decimals.
EQUITY_STATISTICS: dict[str, int] = {
    "gini": 3,
    "mcloone": 3,
    "federal_range_ratio": 2,
    "coefficient_of_variation": 3,
    "p5": 2,
    "median": 2,
    "p95": 2,
}
#: Per-scenario columns of the school and library tables (``s1_hours_after`` ...).
SCENARIO_FIELDS = ("hours_before", "hours_after", "change_hours", "per_100_before", "per_100_after")
#: Columns of :attr:`Summary.schools` before the scenario columns.
SCHOOL_COLUMNS = (
    "school_unit_code",
    "school_name",
    "municipality_code",
    "municipality_name",
    "district",
    "stages",
    "organiser_type",
    "pupils",
    "library_name",
    "library_kind",
    "staffed_hours",
    "staffed_hours_per_100_pupils",
    "items_per_pupil",
    "law_status",
    "x",
    "y",
)
#: Columns of :attr:`Summary.libraries` before the scenario columns.
LIBRARY_COLUMNS = (
    "library_id",
    "library_name",
    "library_kind",
    "municipality_code",
    "district",
    "schools_served",
    "pupils_served",
    "staffed_hours",
    "hours_lis_librarian",
    "staffed_hours_per_100_pupils",
    "items_per_pupil",
    "x",
    "y",
)
_DECIMALS = {
    "pupils": 0,
    "pupils_served": 0,
    "schools_served": 0,
    "library_id": 0,
    "staffed_hours": 1,
    "hours_lis_librarian": 1,
    "staffed_hours_per_100_pupils": 2,
    "items_per_pupil": 1,
    "x": 0,
    "y": 0,
    "hours_before": 1,
    "hours_after": 1,
    "change_hours": 1,
    "per_100_before": 2,
    "per_100_after": 2,
}
_REFERENCE_KEYS_ALWAYS = ("kb_statistics_staffed_hours",)


class SummaryError(ValueError):
    """A request the database cannot answer (unknown municipality, year or scenario)."""


# --------------------------------------------------------------------------- request and input


@dataclass(frozen=True)
class SummaryRequest:
    """What to summarise.

    Attributes
    ----------
    municipality : str
        Municipality code (kommunkod); with ``scope="county"`` its county is summarised.
    year : int or None
        Inventory year; ``None``: the latest year with facts.
    scope : {"municipality", "county"}
    scenarios : tuple of str
        Names of saved scenarios (latest version of each), at most :data:`MAX_SCENARIOS`.
    lang : {"sv", "en"}
    """

    municipality: str
    year: int | None = None
    scope: str = "municipality"
    scenarios: tuple[str, ...] = ()
    lang: str = "sv"


@dataclass(frozen=True)
class ScopeData:
    """The frames the overview figures are computed from (one year, one scope).

    ``schools``: ``school_frame`` rows of the scope's municipalities; ``library_years`` and
    ``indicators``: every library of the year (a school may be served across a border);
    ``links``: library-school links with special reasons, host school and kind;
    ``municipalities``: the scope's municipalities (``code``, ``name``, ...), in order.
    """

    scope: str
    year: int
    municipalities: pd.DataFrame
    schools: pd.DataFrame
    library_years: pd.DataFrame
    indicators: pd.DataFrame
    links: pd.DataFrame
    reference: pd.DataFrame


@dataclass(frozen=True)
class FigureValue:
    """A key figure as the overview computes it (``None`` when not computable)."""

    name: str
    value: float | None
    reference: float | None
    higher_is_better: bool
    decimals: int
    pupils: int
    source_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class OverviewFigures:
    """The overview's figures of a scope, computed by the caller's ``figures`` function.

    ``checklist``: coverage per check (``check``, ``schools``, ``schools_pass``,
    ``schools_fail``, ``schools_unknown``, ``share_schools_pass``, ``share_pupils_pass``);
    ``school_status``: ``school_unit_code`` and ``status`` of :data:`ALL_LAW` per school unit;
    ``school_table`` / ``library_table``: the overview's tables; ``county_table``: one row per
    municipality (county scope only).
    """

    schools: int
    pupils: int | None
    libraries: int
    share_pupils_staffed: float | None
    staffed_threshold: float
    key_figures: tuple[FigureValue, ...]
    equity: Mapping[str, float] | None
    checklist: pd.DataFrame
    school_status: pd.DataFrame
    school_table: pd.DataFrame
    library_table: pd.DataFrame
    county_table: pd.DataFrame | None = None


FigureFunction = Callable[[ScopeData], OverviewFigures]


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Counts:
    """Headline counts of the scope."""

    schools: int
    pupils: int | None
    libraries: int
    share_pupils_staffed: float | None
    staffed_threshold: float


@dataclass(frozen=True)
class KeyFigureItem:
    """One key figure with its reference value, labelled in the report's language."""

    name: str
    label: str
    value: float | None
    reference: float | None
    decimals: int
    higher_is_better: bool
    pupils: int
    definition: str
    reference_note: str

    @property
    def difference(self) -> float | None:
        """``value - reference``; ``None`` when either is missing."""
        if self.value is None or self.reference is None:
            return None
        return self.value - self.reference

    @property
    def meets_reference(self) -> bool | None:
        """Whether the value is on the good side of the reference (``None``: no comparison)."""
        difference = self.difference
        if difference is None:
            return None
        return difference >= 0 if self.higher_is_better else difference <= 0


@dataclass(frozen=True)
class EquityItem:
    """One equity statistic with what it means (``value`` may be ``inf``)."""

    name: str
    label: str
    value: float
    decimals: int
    meaning: str


@dataclass(frozen=True)
class EquitySection:
    """Pupil-weighted equity statistics of staffed hours per week per 100 pupils."""

    indicator: str
    schools: int
    pupils: float
    items: tuple[EquityItem, ...]


@dataclass(frozen=True)
class ChecklistItem:
    """Coverage of one check of the skollag checklist (shares in 0..1)."""

    check: str
    label: str
    source: str
    schools: int
    schools_pass: int
    schools_fail: int
    schools_unknown: int
    share_schools_pass: float | None
    share_pupils_pass: float | None


@dataclass(frozen=True)
class ScenarioItem:
    """A chosen scenario (its latest version) with its before/after figures.

    ``key`` is the short label (``S1``...) used in narrow tables and in the ``s1_...`` columns
    of :attr:`Summary.schools` and :attr:`Summary.libraries`; ``libraries`` has
    ``library_id``, ``library_name``, ``pupils`` and :data:`SCENARIO_FIELDS`.
    """

    key: str
    name: str
    version: int
    model: str
    status: str
    solver_status: str | None
    base_year: int
    municipality_code: str | None
    summary_text: str
    min_per_100_before: float
    min_per_100_after: float
    gini_before: float
    gini_after: float
    mcloone_before: float
    mcloone_after: float
    hours_moved: float
    cost_change_sek: float
    libraries: pd.DataFrame


@dataclass(frozen=True)
class CommentItem:
    """A visible comment in the digest (author by role only)."""

    created_at: datetime
    scenario: str
    school: str | None
    role: str
    status: str
    text: str
    is_reply: bool


@dataclass(frozen=True)
class CommentDigest:
    """Visible comments by status, hidden ones counted, the newest listed."""

    total: int
    open: int
    answered: int
    resolved: int
    hidden: int
    latest: tuple[CommentItem, ...]


@dataclass(frozen=True)
class SourceItem:
    """A data source or reference behind the figures."""

    title: str
    description: str
    url: str | None = None


@dataclass(frozen=True)
class Definition:
    """A term of the method appendix."""

    term: str
    text: str


@dataclass(frozen=True)
class OutcomesSection:
    """Hook for year-9 results beside the library figures (filled by a later feature).

    Renderers show ``title``, ``note`` and ``table`` (plain columns, already labelled) when the
    summary has one, and skip the section when :attr:`Summary.outcomes` is ``None``.
    """

    title: str
    note: str
    table: pd.DataFrame


@dataclass(frozen=True)
class Summary:
    """Everything a planning summary shows, in one language (see the module docstring)."""

    lang: str
    scope: str
    title: str
    area_code: str
    area_name: str
    county_name: str | None
    municipality_names: tuple[str, ...]
    year: int
    fictional: bool
    generated_at: datetime
    generated_by: str
    counts: Counts
    key_figures: tuple[KeyFigureItem, ...]
    equity: EquitySection | None
    checklist: tuple[ChecklistItem, ...]
    scenarios: tuple[ScenarioItem, ...]
    comments: CommentDigest
    schools: pd.DataFrame
    libraries: pd.DataFrame
    districts: pd.DataFrame
    county: pd.DataFrame | None
    definitions: tuple[Definition, ...]
    sources: tuple[SourceItem, ...]
    outcomes: OutcomesSection | None = None
    #: caveats shown with the scenarios (e.g. a scenario built on another year)
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- labels


def scenario_column(index: int, name: str) -> str:
    """Column of scenario number ``index`` (1-based) and field ``name``: ``s1_hours_after``."""
    return f"s{index}_{name}"


def _split_scenario_column(column: str) -> tuple[int, str] | None:
    head, _, rest = column.partition("_")
    if head.startswith("s") and head[1:].isdigit() and rest in SCENARIO_FIELDS:
        return int(head[1:]), rest
    return None


def column_decimals(column: str) -> int | None:
    """Decimals a numeric column of the school or library table is shown with (else ``None``)."""
    split = _split_scenario_column(column)
    return _DECIMALS.get(split[1] if split else column)


def column_label(column: str, lang: str, scenarios: Sequence[ScenarioItem] = ()) -> str:
    """Header of a school/library table column; scenario columns name their scenario."""
    split = _split_scenario_column(column)
    if split is None:
        return text(f"col.{column}", lang)
    index, name = split
    scenario = scenarios[index - 1].name if index <= len(scenarios) else f"S{index}"
    return text(f"col.scenario.{name}", lang, scenario=scenario)


# --------------------------------------------------------------------------- reading


def _links(session: Session) -> pd.DataFrame:
    """Library-school links with special reasons, host school and kind (``school_checks``)."""
    statement = sa.select(
        LibrarySchool.school_id,
        LibrarySchool.library_id,
        LibrarySchool.special_reasons,
        Library.host_school_id,
        Library.kind.label("library_kind"),
    ).join(Library, Library.id == LibrarySchool.library_id)
    return pd.read_sql(statement, session.connection())


def _members(municipalities: pd.DataFrame, code: str, scope: str) -> pd.DataFrame:
    frame = municipalities.set_index("code", drop=False)
    if code not in frame.index:
        raise SummaryError(f"unknown municipality code {code!r}")
    if scope == "municipality":
        return frame.loc[[code]].reset_index(drop=True)
    county = frame.loc[code, "county_code"]
    return frame[frame["county_code"] == county].reset_index(drop=True)


def _year(session: Session, requested: int | None, codes: list[str]) -> int:
    statement = (
        sa.select(SchoolYear.year)
        .join(School, School.id == SchoolYear.school_id)
        .join(Municipality, Municipality.id == School.municipality_id)
        .where(Municipality.code.in_(codes))
        .distinct()
    )
    years = sorted(int(y) for y in session.execute(statement).scalars())
    if requested is None:
        if not years:
            raise SummaryError(f"no school facts for municipality {', '.join(codes)}")
        return years[-1]
    if int(requested) not in years:
        shown = ", ".join(str(y) for y in years) or "none"
        raise SummaryError(f"no school facts for {requested} (years with facts: {shown})")
    return int(requested)


def _float(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _scenarios(
    session: Session, names: Sequence[str], codes: list[str], lang: str
) -> tuple[ScenarioItem, ...]:
    if len(names) > MAX_SCENARIOS:
        raise SummaryError(f"at most {MAX_SCENARIOS} scenarios, got {len(names)}")
    if len(set(names)) != len(names):
        raise SummaryError("a scenario is named twice")
    items = []
    for index, name in enumerate(names, start=1):
        try:
            saved = load_scenario(session, name)
        except LookupError:
            raise SummaryError(f"no saved scenario {name!r}") from None
        row = saved.scenario
        code = None
        if row.municipality_id is not None:
            code = session.execute(
                sa.select(Municipality.code).where(Municipality.id == row.municipality_id)
            ).scalar_one()
            if code not in codes:
                raise SummaryError(
                    f"scenario {name!r} is for municipality {code}, outside the report's scope"
                )
        compared = compare_scenarios(session, [name]).iloc[0]
        libraries = saved.libraries.reindex(
            columns=["library_id", "library_name", "pupils", *SCENARIO_FIELDS]
        )
        items.append(
            ScenarioItem(
                key=f"S{index}",
                name=row.name,
                version=int(row.version),
                model=row.model,
                status=text(f"scenario_status.{row.status}", lang),
                solver_status=row.solver_status,
                base_year=int(row.base_year),
                municipality_code=code,
                summary_text=(row.summary_sv if lang == "sv" else row.summary_en) or "",
                min_per_100_before=_float(compared.get("min_per_100_before")),
                min_per_100_after=_float(compared.get("min_per_100_after")),
                gini_before=_float(compared.get("gini_before")),
                gini_after=_float(compared.get("gini_after")),
                mcloone_before=_float(compared.get("mcloone_before")),
                mcloone_after=_float(compared.get("mcloone_after")),
                hours_moved=_float(compared.get("hours_moved")),
                cost_change_sek=_float(compared.get("cost_change_sek")),
                libraries=libraries.reset_index(drop=True),
            )
        )
    return tuple(items)


def _comment_digest(
    session: Session, names: Sequence[str], municipality_ids: list[int], lang: str
) -> CommentDigest:
    """Comments on every version of the chosen scenarios (without a choice: on the scope's)."""
    statement = (
        sa.select(
            Comment.id,
            Comment.created_at,
            Comment.status,
            Comment.text,
            Comment.author_role,
            Comment.reply_to_id,
            Comment.hidden_at,
            Comment.hidden_by_id,
            Scenario.name.label("scenario"),
            School.name.label("school"),
        )
        .join(Scenario, Scenario.id == Comment.scenario_id)
        .outerjoin(School, School.id == Comment.school_id)
    )
    if names:
        statement = statement.where(Scenario.name.in_(list(names)))
    else:
        statement = statement.where(
            sa.or_(
                Scenario.municipality_id.in_(municipality_ids), Scenario.municipality_id.is_(None)
            )
        )
    rows = session.execute(statement).all()
    visible = [r for r in rows if r.hidden_at is None and r.hidden_by_id is None]
    counts = dict.fromkeys(("open", "answered", "resolved"), 0)
    for row in visible:
        counts[str(row.status)] = counts.get(str(row.status), 0) + 1
    newest = sorted(visible, key=lambda r: (_aware(r.created_at), r.id), reverse=True)
    latest = tuple(
        CommentItem(
            created_at=_aware(row.created_at),
            scenario=row.scenario,
            school=row.school,
            role=text(f"role.{row.author_role}", lang),
            status=text(f"comment_status.{row.status}", lang),
            text=row.text,
            is_reply=row.reply_to_id is not None,
        )
        for row in newest[:LATEST_COMMENTS]
    )
    return CommentDigest(
        total=len(visible),
        open=counts["open"],
        answered=counts["answered"],
        resolved=counts["resolved"],
        hidden=len(rows) - len(visible),
        latest=latest,
    )


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; skolbib writes them in UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- tables


def _with_scenarios(
    frame: pd.DataFrame, library_ids: pd.Series, scenarios: Sequence[ScenarioItem]
) -> pd.DataFrame:
    """``frame`` plus each scenario's columns, looked up by the row's library id."""
    ids = pd.to_numeric(library_ids, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = frame.copy()
    for index, item in enumerate(scenarios, start=1):
        table = item.libraries.drop_duplicates("library_id")
        positions = pd.Index(table["library_id"].astype("float64")).get_indexer(ids)
        found = positions >= 0
        for name in SCENARIO_FIELDS:
            source = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype="float64")
            values = np.full(len(ids), np.nan)
            values[found] = source[positions[found]]
            out[scenario_column(index, name)] = values
    return out


def _label(prefix: str, value: Any, lang: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return text(f"{prefix}.{value}", lang)


def _school_rows(
    figures: OverviewFigures,
    schools: pd.DataFrame,
    scenarios: Sequence[ScenarioItem],
    lang: str,
) -> pd.DataFrame:
    table = figures.school_table
    municipality = schools.drop_duplicates("school_id").set_index("school_id")
    status = figures.school_status.drop_duplicates("school_unit_code").set_index(
        "school_unit_code"
    )["status"]
    frame = pd.DataFrame(
        {
            "school_unit_code": table["school_unit_code"].astype(str),
            "school_name": table["school_name"].astype(str),
            "municipality_code": table["school_id"].map(municipality["municipality_code"]),
            "municipality_name": table["school_id"].map(municipality["municipality_name"]),
            "district": table["district"].astype(object).where(table["district"].notna(), None),
            "stages": table["stages"].astype(object).where(table["stages"].notna(), None),
            "organiser_type": [_label("organiser_type", v, lang) for v in table["organiser_type"]],
            "pupils": pd.to_numeric(table["pupils"], errors="coerce").astype("Int64"),
            "library_name": table["library_name"]
            .astype(object)
            .where(table["library_name"].notna(), None),
            "library_kind": [_label("library_kind", v, lang) for v in table["library_kind"]],
            "staffed_hours": table["staffed_hours"].astype("float64"),
            "staffed_hours_per_100_pupils": table["staffed_hours_per_100_pupils"].astype("float64"),
            "items_per_pupil": table["items_per_pupil"].astype("float64"),
            "law_status": [
                _label("check_status", status.get(code), lang)
                for code in table["school_unit_code"].astype(str)
            ],
            "x": pd.to_numeric(table["x"], errors="coerce").astype("float64"),
            "y": pd.to_numeric(table["y"], errors="coerce").astype("float64"),
        }
    )
    frame = frame.sort_values(
        ["municipality_name", "school_name", "school_unit_code"], kind="stable", ignore_index=True
    )
    library_ids = figures.school_table.set_index(
        figures.school_table["school_unit_code"].astype(str)
    )["library_id"]
    return _with_scenarios(frame, frame["school_unit_code"].map(library_ids), scenarios)


def _library_rows(
    figures: OverviewFigures,
    library_years: pd.DataFrame,
    scenarios: Sequence[ScenarioItem],
    lang: str,
) -> pd.DataFrame:
    table = figures.library_table
    municipality = library_years.drop_duplicates("library_id").set_index("library_id")[
        "municipality_code"
    ]
    frame = pd.DataFrame(
        {
            "library_id": pd.to_numeric(table["library_id"], errors="coerce").astype("Int64"),
            "library_name": table["library_name"].astype(str),
            "library_kind": [_label("library_kind", v, lang) for v in table["library_kind"]],
            "municipality_code": pd.to_numeric(table["library_id"], errors="coerce").map(
                municipality
            ),
            "district": table["district"].astype(object).where(table["district"].notna(), None),
            "schools_served": pd.to_numeric(table["schools_served"], errors="coerce").astype(
                "Int64"
            ),
            "pupils_served": pd.to_numeric(table["pupils_served"], errors="coerce").astype("Int64"),
            "staffed_hours": pd.to_numeric(table["staffed_hours"], errors="coerce").astype(
                "float64"
            ),
            "hours_lis_librarian": pd.to_numeric(
                table["hours_lis_librarian"], errors="coerce"
            ).astype("float64"),
            "staffed_hours_per_100_pupils": table["staffed_hours_per_100_pupils"].astype("float64"),
            "items_per_pupil": table["items_per_pupil"].astype("float64"),
            "x": pd.to_numeric(table["x"], errors="coerce").astype("float64"),
            "y": pd.to_numeric(table["y"], errors="coerce").astype("float64"),
        }
    )
    return _with_scenarios(frame, frame["library_id"], scenarios)


# --------------------------------------------------------------------------- sections


def _reference_note(rows: pd.DataFrame, keys: Sequence[str], lang: str) -> str:
    column = "description_sv" if lang == "sv" else "description_en"
    parts = []
    for key in keys:
        if key not in rows.index:
            continue
        description = rows.loc[key, column] if column in rows.columns else key
        parts.append(f"{description} ({rows.loc[key, 'source']})")
    return "; ".join(parts)


def _key_figures(
    figures: OverviewFigures, reference: pd.DataFrame, lang: str
) -> tuple[KeyFigureItem, ...]:
    rows = reference.set_index("key")
    items = []
    for figure in figures.key_figures:
        indicator = INDICATORS[figure.name]
        items.append(
            KeyFigureItem(
                name=figure.name,
                label=indicator.label_sv if lang == "sv" else indicator.label_en,
                value=figure.value,
                reference=figure.reference,
                decimals=figure.decimals,
                higher_is_better=figure.higher_is_better,
                pupils=int(figure.pupils),
                definition=text(f"definition.{figure.name}", lang),
                reference_note=_reference_note(rows, figure.source_keys, lang),
            )
        )
    return tuple(items)


def _equity(figures: OverviewFigures, lang: str) -> EquitySection | None:
    equity = figures.equity
    if equity is None:
        return None
    items = tuple(
        EquityItem(
            name=name,
            label=text(f"equity.{name}", lang),
            value=float(equity[name]),
            decimals=decimals,
            meaning=text(f"equity.{name}.meaning", lang),
        )
        for name, decimals in EQUITY_STATISTICS.items()
        if name in equity
    )
    return EquitySection(
        indicator=text("equity.indicator", lang),
        schools=int(equity.get("schools", 0)),
        pupils=float(equity.get("pupils", math.nan)),
        items=items,
    )


def _share(value: Any) -> float | None:
    number = _float(value)
    return None if math.isnan(number) else number


def _checklist(figures: OverviewFigures, lang: str) -> tuple[ChecklistItem, ...]:
    items = []
    for row in figures.checklist.to_dict(orient="records"):
        check = row["check"]
        if check == ALL_LAW:
            label, source = text("check.all_law", lang), CHECKS["law_own_unit"].source
        else:
            spec = CHECKS[check]
            label, source = (spec.label_sv if lang == "sv" else spec.label_en), spec.source
        items.append(
            ChecklistItem(
                check=check,
                label=label,
                source=source,
                schools=int(row["schools"]),
                schools_pass=int(row["schools_pass"]),
                schools_fail=int(row["schools_fail"]),
                schools_unknown=int(row["schools_unknown"]),
                share_schools_pass=_share(row["share_schools_pass"]),
                share_pupils_pass=_share(row["share_pupils_pass"]),
            )
        )
    return tuple(items)


def _definitions(
    key_figures: Sequence[KeyFigureItem], threshold: float, lang: str
) -> tuple[Definition, ...]:
    hours = format_number(threshold, 0, lang)
    items = [
        Definition(
            text("definition.pupil_weighted.term", lang), text("definition.pupil_weighted", lang)
        ),
        Definition(
            text("definition.share_staffed.term", lang, hours=hours),
            text("definition.share_staffed", lang, hours=hours),
        ),
    ]
    items += [Definition(figure.label, figure.definition) for figure in key_figures]
    items += [
        Definition(text(f"equity.{name}", lang), text(f"equity.{name}.meaning", lang))
        for name in EQUITY_STATISTICS
    ]
    items += [
        Definition(text(f"definition.{name}.term", lang), text(f"definition.{name}", lang))
        for name in ("checklist", "scenario", "cost", "comments")
    ]
    return tuple(items)


def _sources(reference: pd.DataFrame, key_figures: OverviewFigures, year: int, lang: str) -> tuple:
    rows = reference.set_index("key")
    keys: list[str] = list(_REFERENCE_KEYS_ALWAYS)
    for figure in key_figures.key_figures:
        keys += [k for k in figure.source_keys if k not in keys]
    keys += [k for k in rows.index if str(k).startswith("kb2012_") and k not in keys]
    column = "description_sv" if lang == "sv" else "description_en"
    items = [
        SourceItem(text("source.inventory", lang), text("source.inventory.text", lang, year=year)),
        SourceItem(text("source.pupils", lang), text("source.pupils.text", lang)),
        SourceItem(
            text("source.law", lang),
            text("source.law.text", lang),
            "https://www.riksdagen.se/sv/dokument-och-lagar/dokument/svensk-forfattningssamling/skollag-2010800_sfs-2010-800/",
        ),
    ]
    for key in keys:
        if key not in rows.index:
            continue
        url = rows.loc[key, "source_url"] if "source_url" in rows.columns else None
        items.append(
            SourceItem(
                str(rows.loc[key, "source"]),
                str(rows.loc[key, column]) if column in rows.columns else str(key),
                None if pd.isna(url) else str(url),
            )
        )
    return tuple(items)


def _districts(session: Session, codes: list[str]) -> pd.DataFrame:
    frames = [repository.districts(session, municipality=code) for code in codes]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["district_id", "municipality_code", "name", "geometry_wkt"])
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- builder


def build_summary(
    session: Session,
    user: Any,
    request: SummaryRequest,
    figures: FigureFunction,
    *,
    reference_path: str | Path = DEFAULT_REFERENCE_PATH,
    now: datetime | None = None,
) -> Summary:
    """Read the database and build the :class:`Summary` of ``request``.

    Parameters
    ----------
    session
        An open session; nothing is written.
    user
        The user asking (a ``User`` row or a session user); must be allowed
        ``export.summary``.
    request
        Scope, year, scenarios and language.
    figures
        Computes the overview figures from the scope's frames (see the module docstring).
    reference_path
        The reference table (:func:`metrics.standards.load_reference_values`).
    now
        Time stamp of the summary (default: now, local time).

    Raises
    ------
    inventory.permissions.PermissionDeniedError
        Unless the user may ``export.summary`` (checked before anything is read).
    SummaryError
        Unknown language, scope, municipality, year or scenario; a scenario of another
        municipality; more than :data:`MAX_SCENARIOS` scenarios.
    """
    require(user, "export.summary")
    lang = request.lang
    if lang not in LANGUAGES:
        raise SummaryError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    if request.scope not in SCOPES:
        raise SummaryError(f"scope must be one of {SCOPES}, got {request.scope!r}")
    municipalities = repository.municipalities(session)
    members = _members(municipalities, str(request.municipality), request.scope)
    codes = [str(c) for c in members["code"]]
    year = _year(session, request.year, codes)
    scenarios = _scenarios(session, list(request.scenarios), codes, lang)

    schools = repository.school_frame(session, years=[year], municipality=codes)
    # every library of the year: a school may be served across a municipal border
    library_years = repository.library_year_frame(session, years=[year])
    reference = load_reference_values(reference_path)
    data = ScopeData(
        scope=request.scope,
        year=year,
        municipalities=members,
        schools=schools,
        library_years=library_years,
        indicators=library_indicators(library_years),
        links=_links(session),
        reference=reference,
    )
    overview = figures(data)
    key_figures = _key_figures(overview, reference, lang)
    own = members.set_index("code").loc[str(request.municipality)]
    county_name = None if pd.isna(own["county"]) else str(own["county"])
    area_name = str(own["name"]) if request.scope == "municipality" else (county_name or "")
    area_code = (
        str(request.municipality) if request.scope == "municipality" else str(own["county_code"])
    )
    return Summary(
        lang=lang,
        scope=request.scope,
        title=text("title", lang),
        area_code=area_code,
        area_name=area_name,
        county_name=county_name,
        municipality_names=tuple(str(n) for n in members["name"]),
        year=year,
        fictional=bool(members["fictional"].any()),
        generated_at=now or datetime.now().astimezone(),
        generated_by=str(getattr(user, "display_name", None) or getattr(user, "username", "")),
        counts=Counts(
            schools=overview.schools,
            pupils=overview.pupils,
            libraries=overview.libraries,
            share_pupils_staffed=overview.share_pupils_staffed,
            staffed_threshold=overview.staffed_threshold,
        ),
        key_figures=key_figures,
        equity=_equity(overview, lang),
        checklist=_checklist(overview, lang),
        scenarios=scenarios,
        comments=_comment_digest(
            session,
            list(request.scenarios),
            [int(i) for i in members["municipality_id"]],
            lang,
        ),
        schools=_school_rows(overview, schools, scenarios, lang),
        libraries=_library_rows(overview, library_years, scenarios, lang),
        districts=_districts(session, codes),
        county=overview.county_table,
        definitions=_definitions(key_figures, overview.staffed_threshold, lang),
        sources=_sources(reference, overview, year, lang),
        notes=tuple(
            text("scenario.base_year_note", lang, scenario=s.name, base_year=s.base_year, year=year)
            for s in scenarios
            if s.base_year != year
        ),
        outcomes=_outcomes(session, codes, year, schools, data.indicators, lang),
    )


def _outcomes(
    session: Session,
    codes: list[str],
    year: int,
    schools: pd.DataFrame,
    indicators: pd.DataFrame,
    lang: str,
) -> OutcomesSection | None:
    """Year-9 results beside library provision, when the scope has results for the year."""
    results = repository.school_results(session, years=[year], municipalities=codes)
    if results.empty:
        return None
    table = association_summary(results, schools, indicators)

    def interval(r: float, low: float, high: float) -> str:
        if pd.isna(r):
            return MISSING
        return text(
            "outcomes.interval",
            lang,
            r=format_number(r, 2, lang),
            low=format_number(low, 2, lang),
            high=format_number(high, 2, lang),
        )

    rows = pd.DataFrame(
        {
            text("outcomes.col.indicator", lang): [
                text(f"outcomes.indicator.{name}", lang) for name in table["indicator"]
            ],
            text("outcomes.col.outcome", lang): [
                text(f"outcomes.outcome.{name}", lang) for name in table["outcome"]
            ],
            text("outcomes.col.schools", lang): table["n_schools"].astype(int),
            text("outcomes.col.r", lang): [
                interval(*v) for v in zip(table["r"], table["r_low"], table["r_high"], strict=True)
            ],
            text("outcomes.col.r_adjusted", lang): [
                interval(*v)
                for v in zip(
                    table["r_adjusted"],
                    table["r_adjusted_low"],
                    table["r_adjusted_high"],
                    strict=True,
                )
            ],
            text("outcomes.col.excluded", lang): table["excluded"].astype(int),
        }
    )
    return OutcomesSection(
        title=text("outcomes.title", lang), note=text("outcomes.note", lang), table=rows
    )
