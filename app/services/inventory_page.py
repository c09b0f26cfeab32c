"""Pure helpers of the Inventering page: the editable library-year table, the editor's change
delta, the completeness report and the imports.

No Streamlit here. The page gives translated labels where a table is shown; everything else
works on codes and ids.

Editable table
    :func:`editor_frame` builds one row per library of the municipality for the chosen year,
    indexed by ``library_id`` (a meaningful index: the editor's row positions are turned into
    library ids through it, never used as ids themselves). A library without facts for that
    year is listed too (``recorded`` is false) so its figures can be filled in.
    :func:`delta_to_changes` turns ``st.data_editor``'s delta into ``{library_id: {field:
    value}}`` with only the values that really change; :func:`library_year_edits` keys them by
    ``(library_id, year)`` for :func:`inventory.editing.save_library_year_edits`.

Completeness
    :func:`completeness_matrix` marks, for every school unit with a row for the year, each
    required figure as ``ok``, ``missing`` (the value is NULL, or the serving library has no
    facts for the year) or ``not_applicable`` (no library serves the unit, or its library is
    recorded as "no library", so library figures cannot exist); :func:`completeness_summary`
    counts them per figure.

Imports
    :func:`run_import` runs one importer of :data:`app.cli.IMPORTERS` (the one registry of
    import kinds) on a file, as a dry run that is rolled back or for real (committed, with an
    audit entry); :func:`run_import_bytes` does the same for an uploaded file.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from app.cli import IMPORTERS
from inventory import writes
from inventory.editing import EDIT_PERMISSION, NOT_LOADED, EditValidationError
from inventory.importers.problems import ImportReport
from inventory.models import AuditEntry
from inventory.permissions import Actor, require

# --------------------------------------------------------------------------- editable table

STAFF_HOURS = ("hours_lis_librarian", "hours_teacher_librarian", "hours_assistant", "hours_other")
OPEN_HOURS = ("open_hours_staffed_all", "open_hours_staffed_classes", "open_hours_unstaffed")
HOUR_COLUMNS = STAFF_HOURS + OPEN_HOURS
WHOLE_COLUMNS = ("seats", "media_cost_physical_sek", "media_cost_emedia_sek", "loans")
PLAN_COLUMN = "library_plan_adopted"
#: The library-year facts the editor shows, in order (all of them editable).
EDITABLE_COLUMNS: tuple[str, ...] = (
    *HOUR_COLUMNS,
    "area_m2",
    "seats",
    "media_cost_physical_sek",
    "media_cost_emedia_sek",
    "loans",
    PLAN_COLUMN,
)
#: Read-only columns shown before the facts.
INFO_COLUMNS = ("library_name", "library_kind", "school_unit_codes", "recorded")
YES, NO = "yes", "no"
EDITOR_PREFIX = "inventory_editor"


class StaleEditError(ValueError):
    """The table changed under the editor: a library it showed is gone."""


def editor_key(municipality: str, year: int, version: int) -> str:
    """Session-state key of the editor for one municipality and year; a new ``version`` after
    every save gives a fresh editor without the saved delta."""
    return f"{EDITOR_PREFIX}_{municipality}_{int(year)}_{int(version)}"


def _plan_code(value: Any) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    return YES if bool(value) else NO


def editor_frame(
    libraries: pd.DataFrame, library_years: pd.DataFrame, schools: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The editable library-year table: one row per library, indexed by ``library_id``.

    Parameters
    ----------
    libraries
        :func:`inventory.repository.libraries` of the municipality (``library_id``, ``name``,
        ``kind``).
    library_years
        :func:`inventory.repository.library_year_frame` for the municipality and the year.
    schools
        Optional :func:`inventory.repository.school_frame` rows for the year; gives the
        school units of libraries without facts for the year (their ``library_id`` is the
        serving library).

    Returns
    -------
    DataFrame
        Index ``library_id``; columns :data:`INFO_COLUMNS` then :data:`EDITABLE_COLUMNS`.
        Hours and area are floats, whole numbers nullable ``Int64``, the library plan
        ``"yes"`` / ``"no"`` / ``None``. Ordered by library name.
    """
    facts = library_years.set_index("library_id") if len(library_years) else None
    frame = pd.DataFrame(
        {
            "library_name": libraries["name"].to_numpy(),
            "library_kind": libraries["kind"].to_numpy(),
        },
        index=pd.Index(libraries["library_id"].astype(int).to_numpy(), name="library_id"),
    )
    recorded = frame.index.isin(facts.index) if facts is not None else np.zeros(len(frame), bool)
    frame["recorded"] = recorded
    codes = pd.Series(None, index=frame.index, dtype="object")
    if schools is not None and len(schools) and "library_id" in schools:
        served = schools.dropna(subset=["library_id"])
        by_library = served.groupby(served["library_id"].astype(int))["school_unit_code"].agg(
            lambda s: ", ".join(sorted(s))
        )
        codes = codes.fillna(by_library.reindex(frame.index))
    if facts is not None and "school_unit_codes" in facts:
        known = facts["school_unit_codes"].reindex(frame.index)
        codes = known.where(known.notna() & (known != ""), codes)
    frame["school_unit_codes"] = codes
    for column in EDITABLE_COLUMNS:
        values = (
            facts[column].reindex(frame.index)
            if facts is not None and column in facts
            else pd.Series(np.nan, index=frame.index)
        )
        if column == PLAN_COLUMN:
            frame[column] = pd.Series(
                [_plan_code(v) for v in values], index=frame.index, dtype="object"
            )
        elif column in WHOLE_COLUMNS:
            frame[column] = pd.to_numeric(values).round().astype("Int64")
        else:
            frame[column] = pd.to_numeric(values).astype(float)
    order = frame["library_name"].str.casefold().argsort(kind="stable")
    return frame.iloc[order][[*INFO_COLUMNS, *EDITABLE_COLUMNS]]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _from_editor(column: str, value: Any) -> Any:
    """An editor cell as the domain expects it (``None`` for an empty cell)."""
    if isinstance(value, str) and not value.strip():
        return None
    if _missing(value):
        return None
    if column == PLAN_COLUMN:
        if value in (YES, True):
            return True
        if value in (NO, False):
            return False
        return value  # left for the write boundary to reject, naming the field
    if isinstance(value, np.generic):
        return value.item()
    return value


def _equal(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    try:
        return bool(old == new)
    except (TypeError, ValueError):
        return False


def delta_to_changes(
    shown: pd.DataFrame, delta: Mapping[str, Any] | None, row_ids: Sequence[Hashable] | None = None
) -> dict[Any, dict[str, Any]]:
    """Turn ``st.data_editor``'s delta into changes keyed by library id.

    Parameters
    ----------
    shown
        The table the editor shows (:func:`editor_frame`), indexed by ``library_id``.
    delta
        ``{"edited_rows": {position: {column: value}}, "added_rows": [...],
        "deleted_rows": [...]}`` (positions may be ints or strings).
    row_ids
        The library id of each row position as the editor first showed them (default:
        ``shown``'s index). The page keeps them so that an edit lands on the library the user
        saw even if the table changed meanwhile.

    Returns
    -------
    dict
        ``{library_id: {column: value}}`` with only the editable columns whose value really
        changes (an edit back to the stored value is no change); empty cells are ``None``,
        the library plan ``True``/``False``. Edits of read-only columns are ignored (the
        editor disables them).

    Raises
    ------
    ValueError
        For added or deleted rows (the editor has a fixed set of rows).
    StaleEditError
        A position or library id that the table no longer has.
    """
    if not delta:
        return {}
    if delta.get("added_rows") or delta.get("deleted_rows"):
        raise ValueError("rows cannot be added or deleted in the library-year table")
    ids = list(shown.index) if row_ids is None else list(row_ids)
    changes: dict[Any, dict[str, Any]] = {}
    for position, cells in (delta.get("edited_rows") or {}).items():
        index = int(position)
        if not 0 <= index < len(ids):
            raise StaleEditError(f"row {index} is not in the table")
        library_id = ids[index]
        if library_id not in shown.index:
            raise StaleEditError(f"library {library_id} is not in the table any more")
        current = shown.loc[library_id]
        for column, value in cells.items():
            if column not in EDITABLE_COLUMNS:
                continue
            new = _from_editor(column, value)
            old = _from_editor(column, current[column])
            if not _equal(old, new):
                changes.setdefault(library_id, {})[column] = new
    return changes


def library_year_edits(
    changes: Mapping[Any, Mapping[str, Any]], year: int
) -> dict[tuple[int, int], dict[str, Any]]:
    """``{library_id: fields}`` as ``{(library_id, year): fields}``."""
    return {(int(library_id), int(year)): dict(fields) for library_id, fields in changes.items()}


def expected_versions(
    changes: Mapping[Any, Mapping[str, Any]], year: int, loaded: Mapping[int, int]
) -> dict[tuple[int, int], int]:
    """The row versions the editor loaded, keyed like :func:`library_year_edits`.

    A library without a loaded version had no row for the year (``NOT_LOADED``).
    """
    return {
        (int(library_id), int(year)): int(loaded.get(int(library_id), NOT_LOADED))
        for library_id in changes
    }


def library_of(key: Any) -> int | None:
    """The library id of an error's row key ``(library_id, year)``."""
    return key[0] if isinstance(key, tuple) else key


def problems_table(
    error: EditValidationError,
    names: Mapping[Any, str],
    field_labels: Mapping[str, str],
    expected: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The rejected values of a save, one row per problem.

    Columns ``library`` (name, from the problem's ``(library_id, year)`` key), ``field``
    (label), ``value`` (as text) and ``expected`` (the page's text for the field where given,
    else the write boundary's own message).
    """
    expected = expected or {}
    rows = []
    for problem in error.problems:
        key = error.key_of(problem)
        library_id = key[0] if isinstance(key, tuple) else key
        field = problem.field or ""
        rows.append(
            {
                "library": names.get(library_id, "" if library_id is None else str(library_id)),
                "field": field_labels.get(field, field),
                "value": "" if _missing(problem.value) else str(problem.value),
                "expected": expected.get(field, problem.expected),
            }
        )
    return pd.DataFrame(rows, columns=["library", "field", "value", "expected"])


# --------------------------------------------------------------------------- completeness

OK, MISSING, NOT_APPLICABLE = "ok", "missing", "not_applicable"
#: Required figures of the completeness report, in order; the first two belong to the school.
SCHOOL_FIGURES = ("pupils", "library")
LIBRARY_FIGURES = (
    *STAFF_HOURS,
    *OPEN_HOURS,
    "items",
    "media_cost_physical_sek",
    "media_cost_emedia_sek",
    "loans",
    PLAN_COLUMN,
)
FIGURES: tuple[str, ...] = (*SCHOOL_FIGURES, *LIBRARY_FIGURES)
NO_LIBRARY_KIND = "none"


def completeness_matrix(schools: pd.DataFrame, library_years: pd.DataFrame) -> pd.DataFrame:
    """Which school unit lacks which required figure.

    Parameters
    ----------
    schools
        :func:`inventory.repository.school_frame` rows of one municipality and year
        (``school_id``, ``school_unit_code``, ``school_name``, ``pupils_total``,
        ``library_id``, ``library_kind``).
    library_years
        :func:`inventory.repository.library_year_frame` rows of the same year (of every
        municipality: a school may be served across the border).

    Returns
    -------
    DataFrame
        One row per school unit (ordered by school unit code): ``school_id``,
        ``school_unit_code``, ``school_name``, ``library_name``, one column per figure of
        :data:`FIGURES` holding ``"ok"``, ``"missing"`` or ``"not_applicable"``, and
        ``missing_count``.
    """
    schools = schools.sort_values("school_unit_code").reset_index(drop=True)
    facts = (
        library_years.drop_duplicates("library_id").set_index("library_id")
        if len(library_years)
        else pd.DataFrame(columns=["library_name", *LIBRARY_FIGURES])
    )
    library = pd.to_numeric(schools["library_id"], errors="coerce")
    has_library = library.notna().to_numpy()
    kind = (
        schools["library_kind"]
        if "library_kind" in schools
        else pd.Series(None, index=schools.index)
    )
    applicable = has_library & (kind.astype("object").to_numpy() != NO_LIBRARY_KIND)
    keys = library.fillna(-1).astype(int).to_numpy()
    recorded = np.isin(keys, facts.index.to_numpy()) & has_library

    result = pd.DataFrame(
        {
            "school_id": schools["school_id"].to_numpy(),
            "school_unit_code": schools["school_unit_code"].to_numpy(),
            "school_name": schools["school_name"].to_numpy(),
            "library_name": (
                schools["library_name"].to_numpy()
                if "library_name" in schools
                else np.full(len(schools), None, dtype=object)
            ),
        }
    )
    result["pupils"] = np.where(schools["pupils_total"].notna().to_numpy(), OK, MISSING)
    result["library"] = np.where(has_library, OK, MISSING)
    for figure in LIBRARY_FIGURES:
        if figure in facts:
            values = facts[figure].reindex(keys)
            known = values.notna().to_numpy() & recorded
        else:
            known = np.zeros(len(schools), dtype=bool)
        result[figure] = np.where(~applicable, NOT_APPLICABLE, np.where(known, OK, MISSING))
    result["missing_count"] = (result[list(FIGURES)] == MISSING).sum(axis=1).astype(int)
    return result


def completeness_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per figure: ``schools`` (units counted), ``ok``, ``missing``, ``not_applicable`` and
    ``share_complete`` (ok ÷ (ok + missing); NaN when the figure applies to no unit)."""
    rows = []
    for figure in FIGURES:
        column = matrix[figure] if figure in matrix else pd.Series(dtype=object)
        ok = int((column == OK).sum())
        missing = int((column == MISSING).sum())
        rows.append(
            {
                "figure": figure,
                "schools": len(column),
                "ok": ok,
                "missing": missing,
                "not_applicable": int((column == NOT_APPLICABLE).sum()),
                "share_complete": ok / (ok + missing) if ok + missing else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CompletenessCounts:
    """Headline numbers of the completeness report."""

    schools: int
    complete_schools: int
    missing_values: int


def completeness_counts(matrix: pd.DataFrame) -> CompletenessCounts:
    """Units, units with nothing missing, and missing values in total."""
    return CompletenessCounts(
        schools=len(matrix),
        complete_schools=int((matrix["missing_count"] == 0).sum()),
        missing_values=int(matrix["missing_count"].sum()),
    )


# --------------------------------------------------------------------------- imports

IMPORT_AUDIT_ACTION = "import"
#: Importer options that name an output file: the web page fills them itself.
FILE_OPTIONS = frozenset({"incomplete_out"})
_UNSAFE = re.compile(r"[^\w.\- ]+")


def import_kinds() -> list[str]:
    """The import kinds, in the order of :data:`app.cli.IMPORTERS`."""
    return list(IMPORTERS)


def import_options(kind: str) -> tuple[str, ...]:
    """The options a user may give for ``kind`` (the registry's, less output-file options)."""
    return tuple(name for name in IMPORTERS[kind][2] if name not in FILE_OPTIONS)


def _importer(kind: str) -> Callable[..., ImportReport]:
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {list(IMPORTERS)}")
    module, function, _ = IMPORTERS[kind]
    return getattr(importlib.import_module(module), function)


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != ()


def run_import(
    session: Session,
    user: Actor | None,
    kind: str,
    path: str | Path,
    options: Mapping[str, Any] | None = None,
    *,
    commit: bool = False,
) -> ImportReport:
    """Run the importer of ``kind`` on ``path``: a dry run (rolled back) or for real.

    Parameters
    ----------
    session
        Open session, with nothing pending (it is committed or rolled back here).
    user
        Must be allowed ``inventory.edit`` (checked first, also for a dry run).
    kind
        A key of :data:`app.cli.IMPORTERS`.
    options
        Keyword options of that importer (:data:`app.cli.IMPORTERS`); empty values are left
        out so the importer's defaults apply.
    commit
        ``False``: validate and compute the report, then roll everything back. ``True``: commit
        the import and, when it created or changed rows, one audit entry (action ``"import"``,
        the kind, the file and the report's counts).

    Raises
    ------
    PermissionDeniedError
        The user may not import.
    ValueError
        Unknown kind or option.
    ImportRejectedError, InventoryValidationError
        From the importer; the session is rolled back, nothing was written.
    """
    require(user, EDIT_PERMISSION)
    importer = _importer(kind)
    allowed = set(IMPORTERS[kind][2])
    unknown = sorted(set(options or {}) - allowed)
    if unknown:
        raise ValueError(f"unknown options for {kind}: {unknown}")
    kwargs = {name: value for name, value in (options or {}).items() if _given(value)}
    try:
        report = importer(session, Path(path), dry_run=not commit, **kwargs)
        if not commit:
            session.rollback()
            return report
        if not _wrote_anything(report):  # a repeated import changes nothing, not even the log
            session.commit()
            return report
        writes.add(
            session,
            AuditEntry,
            {
                "at": datetime.now(UTC),
                "user_id": getattr(user, "id", None),
                "username": str(getattr(user, "username", None) or getattr(user, "role", "")),
                "action": IMPORT_AUDIT_ACTION,
                "entity": kind,
                "entity_id": None,
                "field": None,
                "old_value": None,
                "new_value": json.dumps(report.to_dict(), ensure_ascii=False, default=str),
            },
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def _wrote_anything(report: ImportReport) -> bool:
    return any(report.created.values()) or any(report.updated.values())


def safe_file_name(name: str) -> str:
    """An uploaded file's name, safe to create in a temporary folder (extension kept)."""
    base = Path(str(name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        return "upload"
    if len(cleaned) > 120:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = (stem[: 119 - len(suffix)] + dot + suffix) if dot else cleaned[:120]
    return cleaned


#: Largest uploaded file an import accepts, in MB (MiB); Streamlit's own limit,
#: ``server.maxUploadSize`` in ``.streamlit/config.toml``, is 50 as well and applies first.
ENV_MAX_UPLOAD_MB = "SKOLBIB_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 50


def max_upload_mb() -> int:
    """``SKOLBIB_MAX_UPLOAD_MB`` as a whole number of MB (default 50; a bad value counts as
    unset)."""
    try:
        value = int(os.environ.get(ENV_MAX_UPLOAD_MB, DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        return DEFAULT_MAX_UPLOAD_MB
    return value if value > 0 else DEFAULT_MAX_UPLOAD_MB


class UploadTooLargeError(ValueError):
    """An uploaded file is larger than :func:`max_upload_mb`; nothing was read or written."""

    def __init__(self, name: str, size: int, limit_mb: int) -> None:
        self.name, self.size, self.limit_mb = name, size, limit_mb
        super().__init__(self.message("sv"))

    def message(self, lang: str = "sv") -> str:
        size = f"{self.size / 2**20:.1f}"
        if lang == "en":
            return (
                f"{self.name}: the file is {size} MB; at most {self.limit_mb} MB can be "
                f"imported ({ENV_MAX_UPLOAD_MB}). Nothing was saved."
            )
        size = size.replace(".", ",")
        return (
            f"{self.name}: filen är {size} MB; högst {self.limit_mb} MB kan läsas in "
            f"({ENV_MAX_UPLOAD_MB}). Inget sparades."
        )


@dataclass(frozen=True)
class ImportOutcome:
    """An import's report and, for a catalogue, its list of incomplete records (CSV bytes)."""

    report: ImportReport
    incomplete: bytes | None = None


def run_import_bytes(
    session: Session,
    user: Actor | None,
    kind: str,
    name: str,
    data: bytes,
    options: Mapping[str, Any] | None = None,
    *,
    commit: bool = False,
) -> ImportOutcome:
    """:func:`run_import` on uploaded bytes: written to a temporary folder under the uploaded
    name (importers read paths and name the file in their problems), removed afterwards.

    Raises :class:`UploadTooLargeError` (a ``ValueError``) before anything is written when
    ``data`` is larger than :func:`max_upload_mb`.
    """
    require(user, EDIT_PERMISSION)
    limit = max_upload_mb()
    if len(data) > limit * 2**20:
        raise UploadTooLargeError(safe_file_name(name), len(data), limit)
    with tempfile.TemporaryDirectory(prefix="skolbib-import-") as folder:
        path = Path(folder) / safe_file_name(name)
        path.write_bytes(data)
        given = dict(options or {})
        incomplete_path = None
        if "incomplete_out" in IMPORTERS.get(kind, ("", "", ()))[2]:
            incomplete_path = Path(folder) / "incomplete.csv"
            given["incomplete_out"] = incomplete_path
        report = run_import(session, user, kind, path, given, commit=commit)
        incomplete = (
            incomplete_path.read_bytes()
            if incomplete_path is not None and incomplete_path.exists()
            else None
        )
    return ImportOutcome(report, incomplete)


def import_fingerprint(kind: str, file_id: str, options: Mapping[str, Any]) -> str:
    """Identity of one checked upload (kind, file and options): the page enables "confirm"
    only for the exact combination that passed the check."""
    return json.dumps([kind, file_id, sorted(options.items())], default=str, sort_keys=True)


def template_bytes(lang: str = "sv") -> bytes:
    """The inventory workbook template in ``lang`` as ``.xlsx`` bytes."""
    from inventory.importers.workbook import write_template

    with tempfile.TemporaryDirectory(prefix="skolbib-template-") as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path, lang=lang)
        return path.read_bytes()
