"""Inventering / Inventory: edit the library-year facts, import files, download the template,
see which school unit lacks which figure.

Layout and calls only. Data comes from :mod:`app.state`; the tables, the editor delta, the
completeness report and the imports from :mod:`app.services.inventory_page`; saving from
:func:`inventory.editing.save_library_year_edits`, which checks the permission itself, so the
hidden controls are never the only guard. Users without ``inventory.edit`` (referensgrupp,
chef) see read-only tables and no save or import controls.
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app import state
from app.components.filters import Filters, render_filters
from app.components.kpi import Kpi, metric_row
from app.components.map import kind_label
from app.i18n import MISSING, current_language, fmt_int, fmt_percent, t
from app.services import inventory_page as svc
from app.session import current_user
from inventory.editing import EditValidationError, StaleEditError, save_library_year_edits
from inventory.importers.problems import ImportRejectedError, problems_frame
from inventory.importers.workbook_schema import SHEETS_BY_KEY
from inventory.models import FIRST_YEAR, HOURS_PER_WEEK, LAST_YEAR
from inventory.permissions import PermissionDeniedError, can
from inventory.repository import library_year_versions
from inventory.writes import InventoryValidationError

VERSION_KEY = "inventory_editor_version"
ROWS_KEY = "inventory_editor_rows"
#: editor key -> {library_id: row_version as loaded}, for optimistic locking on save
LOADED_VERSIONS_KEY = "inventory_editor_loaded_versions"
FLASH_KEY = "inventory_flash"
RESULT_KEY = "inventory_import_result"
UPLOAD_VERSION_KEY = "inventory_upload_version"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_ICONS = {svc.OK: "✓", svc.NOT_APPLICABLE: MISSING}

lang = current_language()
user = current_user()
may_edit = can(user, "inventory.edit")
number = st.column_config.NumberColumn
text = st.column_config.TextColumn
LIBRARY_YEAR_SHEET = SHEETS_BY_KEY["library_years"]


def forget_cached_data() -> None:
    """After a write: every cached frame of every page is out of date."""
    state.clear_data_caches()


def field_label(name: str) -> str:
    """The workbook template's header of a library-year field, capitalised."""
    header = LIBRARY_YEAR_SHEET.column(name).header(lang)
    return header[:1].upper() + header[1:]


def field_help(name: str) -> str:
    column = LIBRARY_YEAR_SHEET.column(name)
    description = column.help_sv if lang == "sv" else column.help_en
    unit = column.unit(lang)
    return f"{description} ({unit})" if unit else description


def expected_text(name: str) -> str:
    if name in svc.HOUR_COLUMNS:
        return t("inventory.expected.hours", max=HOURS_PER_WEEK)
    if name in svc.WHOLE_COLUMNS:
        return t("inventory.expected.whole")
    if name == svc.PLAN_COLUMN:
        return t("inventory.expected.yes_no")
    return t("inventory.expected.number")


def editor_columns() -> dict[str, Any]:
    config: dict[str, Any] = {
        "library_name": text(t("col.library"), pinned=True, disabled=True),
        "library_kind": text(t("col.library_kind"), disabled=True),
        "school_unit_codes": text(
            t("inventory.col.school_units"),
            help=t("inventory.col.school_units_help"),
            disabled=True,
        ),
        "recorded": st.column_config.CheckboxColumn(
            t("inventory.col.recorded"), help=t("inventory.col.recorded_help"), disabled=True
        ),
        svc.PLAN_COLUMN: st.column_config.SelectboxColumn(
            field_label(svc.PLAN_COLUMN),
            help=field_help(svc.PLAN_COLUMN),
            options=[svc.YES, svc.NO],
            format_func=lambda code: t(f"inventory.plan.{code}"),
        ),
    }
    for name in svc.HOUR_COLUMNS:
        config[name] = number(
            field_label(name),
            help=field_help(name),
            min_value=0,
            max_value=HOURS_PER_WEEK,
            step=0.5,
            format="localized",
        )
    config["area_m2"] = number(
        field_label("area_m2"),
        help=field_help("area_m2"),
        min_value=0,
        step=0.1,
        format="localized",
    )
    for name in svc.WHOLE_COLUMNS:
        config[name] = number(
            field_label(name), help=field_help(name), min_value=0, step=1, format="localized"
        )
    return config


# --------------------------------------------------------------------------- library years


def render_library_years(filters: Filters, municipality_name: str) -> None:
    code, year = filters.municipality, filters.year
    st.caption(t("inventory.years_caption", municipality=municipality_name, year=year))
    libraries = state.libraries(code)
    library_years = state.library_year_frame(years=[year], municipality=code)
    schools = state.school_frame(years=[year], municipality=code)
    shown = svc.editor_frame(libraries, library_years, schools)
    if filters.narrowed():
        shown = shown[shown.index.isin(filters.library_ids(schools))]
    if shown.empty:
        st.info(t("inventory.no_libraries", municipality=municipality_name), icon=":material/info:")
        return
    display = shown.assign(library_kind=[kind_label(k, lang) for k in shown["library_kind"]])
    unrecorded = int((~shown["recorded"]).sum())
    if unrecorded:
        st.caption(t("inventory.unrecorded", count=fmt_int(unrecorded), year=year))

    if not may_edit:
        st.dataframe(
            display,
            hide_index=True,
            column_config=editor_columns(),
            alt=t("inventory.years_alt"),
        )
        st.caption(t("inventory.read_only"))
        return

    version = st.session_state.setdefault(VERSION_KEY, 0)
    key = svc.editor_key(code, year, version)
    rows = st.session_state.setdefault(ROWS_KEY, {})
    row_ids = rows.setdefault(key, [int(i) for i in shown.index])
    loaded = st.session_state.setdefault(LOADED_VERSIONS_KEY, {})
    if key not in loaded:
        with Session(state.get_engine()) as session:
            loaded[key] = library_year_versions(session, row_ids, year)
    st.data_editor(
        display,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=list(svc.INFO_COLUMNS),
        column_config=editor_columns(),
        alt=t("inventory.editor_alt"),
    )
    try:
        changes = svc.delta_to_changes(shown, st.session_state.get(key), row_ids)
    except (svc.StaleEditError, ValueError):
        st.warning(t("inventory.stale"), icon=":material/sync_problem:")
        changes = {}
    pending = sum(len(fields) for fields in changes.values())
    st.caption(
        t("inventory.pending", count=fmt_int(pending)) if pending else t("inventory.editor_help")
    )
    with st.container(horizontal=True):
        save = st.button(
            t("inventory.save"), key="inventory_save", type="primary", icon=":material/save:"
        )
        discard = st.button(t("inventory.discard"), key="inventory_discard", disabled=not pending)
    if discard:
        st.session_state[VERSION_KEY] = version + 1
        st.rerun()
    if not save:
        return
    if not changes:
        st.info(t("inventory.nothing_to_save"), icon=":material/info:")
        return
    names = dict(zip(shown.index, shown["library_name"], strict=True))
    try:
        with Session(state.get_engine()) as session:
            summary = save_library_year_edits(
                session,
                user,
                svc.library_year_edits(changes, year),
                expected_versions=svc.expected_versions(changes, year, loaded[key]),
            )
    except StaleEditError as exc:
        stale = sorted({names.get(svc.library_of(exc.key_of(p)), "") for p in exc.problems})
        with st.container(key="inventory_stale"):
            st.error(
                t("inventory.stale_save", libraries=", ".join(stale)),
                icon=":material/sync_problem:",
            )
        return
    except EditValidationError as exc:
        with st.container(key="inventory_errors"):
            st.error(t("inventory.rejected"), icon=":material/error:")
            table = svc.problems_table(
                exc,
                names,
                {name: field_label(name) for name in svc.EDITABLE_COLUMNS},
                {name: expected_text(name) for name in svc.EDITABLE_COLUMNS},
            )
            st.dataframe(
                table,
                hide_index=True,
                column_config={
                    "library": text(t("col.library")),
                    "field": text(t("inventory.col.field")),
                    "value": text(t("inventory.col.value")),
                    "expected": text(t("inventory.col.expected")),
                },
                alt=t("inventory.errors_alt"),
            )
        return
    except PermissionDeniedError:
        st.error(t("inventory.not_allowed"), icon=":material/block:")
        return
    except state.DATABASE_ERRORS as exc:
        st.error(t("inventory.write_error", reason=state.error_reason(exc)))
        return
    forget_cached_data()
    rows.pop(key, None)
    loaded.pop(key, None)
    st.session_state[VERSION_KEY] = version + 1
    st.session_state[FLASH_KEY] = t(
        "inventory.saved",
        values=fmt_int(summary.fields_changed),
        libraries=fmt_int(summary.rows_changed + summary.rows_created),
    )
    st.rerun()


# --------------------------------------------------------------------------- import


def render_options(kind: str, filters: Filters, municipalities: pd.DataFrame) -> dict[str, Any]:
    """One input per option of the importer (from the CLI's registry)."""
    values: dict[str, Any] = {}
    for name in svc.import_options(kind):
        key = f"inventory_option_{kind}_{name}"
        label, help_text = t(f"inventory.option.{name}"), t(f"inventory.option.{name}_help")
        if name == "year":
            values[name] = st.number_input(
                label,
                min_value=FIRST_YEAR,
                max_value=LAST_YEAR,
                value=filters.year if kind == "catalogue" else None,
                step=1,
                key=key,
                help=help_text,
                placeholder=t("inventory.option.year_placeholder"),
            )
        elif name == "municipality":
            names = dict(zip(municipalities["code"], municipalities["name"], strict=True))
            values[name] = st.multiselect(
                label,
                list(names),
                default=[filters.municipality] if filters.municipality else [],
                format_func=lambda c, names=names: f"{names[c]} ({c})",
                key=key,
                help=help_text,
                placeholder=t("filters.all"),
            )
        elif name == "library":
            libraries = state.libraries(filters.municipality) if filters.municipality else None
            ids = [] if libraries is None else [int(i) for i in libraries["library_id"]]
            names = {} if libraries is None else dict(zip(ids, libraries["name"], strict=True))
            values[name] = st.selectbox(
                label,
                ids,
                format_func=lambda i, names=names: names.get(i, str(i)),
                key=key,
                help=help_text,
            )
        elif name == "column":
            lines = st.text_area(
                label, key=key, help=help_text, placeholder=t("inventory.option.column_placeholder")
            )
            values[name] = [line.strip() for line in lines.splitlines() if line.strip()]
        else:
            values[name] = st.text_input(label, key=key, help=help_text).strip() or None
    return values


def run_import(kind: str, uploaded: Any, options: Mapping[str, Any], commit: bool) -> dict:
    """Run the import; a dict with the report, the problems or a message, for the page."""
    try:
        with Session(state.get_engine()) as session:
            outcome = svc.run_import_bytes(
                session, user, kind, uploaded.name, uploaded.getvalue(), options, commit=commit
            )
    except ImportRejectedError as exc:
        return {"ok": False, "problems": exc.problems}
    except InventoryValidationError as exc:
        return {"ok": False, "message": str(exc)}
    except PermissionDeniedError:
        return {"ok": False, "message": t("inventory.not_allowed")}
    except (ValueError, OSError) as exc:
        return {"ok": False, "message": str(exc)}
    except state.DATABASE_ERRORS as exc:
        return {"ok": False, "message": t("inventory.write_error", reason=state.error_reason(exc))}
    return {"ok": True, "report": outcome.report, "incomplete": outcome.incomplete}


def show_import_result(result: dict) -> None:
    with st.container(key="inventory_import_result"):
        if result["ok"]:
            report = result["report"]
            st.success(t("inventory.import.checked"), icon=":material/fact_check:")
            st.code("\n".join(report.summary_lines(lang)), language=None)
            if report.warnings:
                st.warning(
                    t("inventory.import.warnings", count=fmt_int(len(report.warnings))),
                    icon=":material/warning:",
                )
                st.dataframe(
                    problems_frame(report.warnings, lang),
                    hide_index=True,
                    alt=t("inventory.import.problems_alt"),
                )
            if result.get("incomplete"):
                st.download_button(
                    t("inventory.import.incomplete"),
                    result["incomplete"],
                    file_name=t("inventory.import.incomplete_file"),
                    mime="text/csv",
                    on_click="ignore",
                    icon=":material/download:",
                )
            return
        st.error(t("inventory.import.rejected"), icon=":material/error:")
        if result.get("problems"):
            st.dataframe(
                problems_frame(result["problems"], lang),
                hide_index=True,
                alt=t("inventory.import.problems_alt"),
            )
        if result.get("message"):
            st.code(result["message"], language=None)


def render_import(filters: Filters, municipalities: pd.DataFrame) -> None:
    if not may_edit:
        st.info(t("inventory.import.not_allowed"), icon=":material/lock:")
        return
    st.caption(t("inventory.import.caption"))
    kinds = svc.import_kinds()
    kind = st.selectbox(
        t("inventory.import.kind"),
        kinds,
        format_func=lambda k: t(f"inventory.kind.{k}"),
        key="inventory_import_kind",
    )
    st.caption(t(f"inventory.kind_help.{kind}"))
    upload_version = st.session_state.setdefault(UPLOAD_VERSION_KEY, 0)
    uploaded = st.file_uploader(
        t("inventory.import.file"), key=f"inventory_upload_{upload_version}"
    )
    options = render_options(kind, filters, municipalities)
    fingerprint = (
        svc.import_fingerprint(kind, uploaded.file_id, options) if uploaded is not None else None
    )
    result = st.session_state.get(RESULT_KEY)
    if result is not None and result["fingerprint"] != fingerprint:
        result = None  # another file, kind or option: check again
    buttons = st.container(horizontal=True)
    if buttons.button(
        t("inventory.import.check"),
        key="inventory_import_check",
        disabled=uploaded is None,
        icon=":material/fact_check:",
    ):
        result = {"fingerprint": fingerprint, **run_import(kind, uploaded, options, False)}
        st.session_state[RESULT_KEY] = result
    confirmed = buttons.button(
        t("inventory.import.confirm"),
        key="inventory_import_confirm",
        type="primary",
        disabled=not (result and result["ok"]),
        help=t("inventory.import.confirm_help"),
        icon=":material/upload:",
    )
    if confirmed and uploaded is not None:
        outcome = run_import(kind, uploaded, options, True)
        if outcome["ok"]:
            forget_cached_data()
            st.session_state.pop(RESULT_KEY, None)
            st.session_state[UPLOAD_VERSION_KEY] = upload_version + 1
            lines = outcome["report"].summary_lines(lang)
            st.session_state[FLASH_KEY] = t("inventory.import.done", summary=" ".join(lines))
            st.rerun()
        result = {"fingerprint": fingerprint, **outcome}
        st.session_state[RESULT_KEY] = result
    if result is not None:
        show_import_result(result)


# --------------------------------------------------------------------------- templates


def render_templates() -> None:
    st.caption(t("inventory.templates.caption"))
    for code in ("sv", "en"):
        st.download_button(
            t(f"inventory.templates.download_{code}"),
            data=lambda code=code: svc.template_bytes(code),
            file_name=t(f"inventory.templates.file_{code}"),
            mime=XLSX_MIME,
            on_click="ignore",
            key=f"inventory_template_{code}",
            icon=":material/download:",
        )


# --------------------------------------------------------------------------- completeness


def status_label(status: str) -> str:
    return STATUS_ICONS.get(status) or t("inventory.status.missing")


def render_completeness(filters: Filters, municipality_name: str) -> None:
    code, year = filters.municipality, filters.year
    schools = state.school_frame(years=[year], municipality=code)
    if filters.narrowed():
        schools = schools[filters.school_mask(schools)]
    # every municipality's libraries: a school may be served across the border
    matrix = svc.completeness_matrix(schools, state.library_year_frame(years=[year]))
    if matrix.empty:
        st.info(
            t("overview.no_schools", municipality=municipality_name, year=year),
            icon=":material/info:",
        )
        return
    st.caption(t("inventory.completeness_caption", municipality=municipality_name, year=year))
    counts = svc.completeness_counts(matrix)
    metric_row(
        [
            Kpi(t("kpi.schools"), fmt_int(counts.schools)),
            Kpi(t("inventory.kpi.complete_schools"), fmt_int(counts.complete_schools)),
            Kpi(
                t("inventory.kpi.missing_values"),
                fmt_int(counts.missing_values),
                t("inventory.kpi.missing_values_help"),
            ),
        ],
        key="inventory_completeness_kpis",
    )
    figure_labels = {figure: t(f"inventory.figure.{figure}") for figure in svc.FIGURES}
    summary = svc.completeness_summary(matrix)
    with st.container(key="inventory_completeness_summary"):
        st.header(t("inventory.completeness_summary_heading"))
        st.dataframe(
            summary.assign(
                figure=summary["figure"].map(figure_labels),
                share_complete=summary["share_complete"] * 100,
            )[["figure", "ok", "missing", "not_applicable", "share_complete"]],
            hide_index=True,
            column_config={
                "figure": text(t("inventory.col.figure"), pinned=True),
                "ok": number(t("inventory.col.ok"), format="localized"),
                "missing": number(t("inventory.col.missing"), format="localized"),
                "not_applicable": number(
                    t("inventory.col.not_applicable"),
                    help=t("inventory.col.not_applicable_help"),
                    format="localized",
                ),
                "share_complete": st.column_config.ProgressColumn(
                    t("inventory.col.share_complete"), format="%.0f %%", min_value=0, max_value=100
                ),
            },
            alt=t("inventory.completeness_summary_alt"),
        )
    with st.container(key="inventory_completeness_matrix"):
        st.header(t("inventory.completeness_matrix_heading"))
        gaps_only = st.toggle(t("inventory.gaps_only"), key="inventory_gaps_only")
        rows = matrix[matrix["missing_count"] > 0] if gaps_only else matrix
        display = rows.drop(columns=["school_id"]).assign(
            library_name=rows["library_name"].fillna(MISSING),
            **{figure: rows[figure].map(status_label) for figure in svc.FIGURES},
        )
        config: dict[str, Any] = {
            "school_unit_code": text(t("col.school_unit_code")),
            "school_name": text(t("col.school"), pinned=True),
            "library_name": text(t("col.library")),
            "missing_count": number(t("inventory.col.missing_count"), format="localized"),
        }
        config.update({figure: text(label) for figure, label in figure_labels.items()})
        st.dataframe(
            display,
            hide_index=True,
            column_config=config,
            column_order=[
                "school_name",
                "school_unit_code",
                "library_name",
                "missing_count",
                *svc.FIGURES,
            ],
            alt=t("inventory.completeness_matrix_alt"),
        )
        share = counts.complete_schools / counts.schools if counts.schools else None
        st.caption(
            t(
                "inventory.completeness_note",
                share=fmt_percent(share),
                missing=t("inventory.status.missing"),
                na=MISSING,
            )
        )
        renamed = display[
            ["school_name", "school_unit_code", "library_name", "missing_count", *svc.FIGURES]
        ].rename(
            columns={
                "school_name": t("col.school"),
                "school_unit_code": t("col.school_unit_code"),
                "library_name": t("col.library"),
                "missing_count": t("inventory.col.missing_count"),
                **figure_labels,
            }
        )
        st.download_button(
            t("inventory.completeness_download"),
            data=lambda: renamed.to_csv(index=False, sep=";").encode("utf-8-sig"),
            file_name=t("inventory.completeness_file", municipality=code, year=year),
            mime="text/csv",
            on_click="ignore",
            key="inventory_completeness_download",
            icon=":material/download:",
        )


# --------------------------------------------------------------------------- page

st.title(t("inventory.title"))
if flash := st.session_state.pop(FLASH_KEY, None):
    st.toast(flash, icon=":material/check_circle:")

try:
    municipalities = state.municipalities()
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
    st.stop()

filters = render_filters()
has_data = filters.municipality is not None and filters.year is not None
municipality_name = ""
if filters.municipality is not None:
    municipality = municipalities.set_index("code").loc[filters.municipality]
    municipality_name = municipality["name"]
    if bool(municipality["fictional"]):
        st.info(
            t("overview.fictional_banner", municipality=municipality_name),
            icon=":material/science:",
        )
if not may_edit:
    st.info(t("inventory.read_only_banner"), icon=":material/visibility:")

years_tab, import_tab, templates_tab, completeness_tab = st.tabs(
    [
        t("inventory.tab.years"),
        t("inventory.tab.import"),
        t("inventory.tab.templates"),
        t("inventory.tab.completeness"),
    ]
)
try:
    with years_tab, st.container(key="inventory_years"):
        if has_data:
            render_library_years(filters, municipality_name)
        else:
            st.info(t("inventory.empty_database"), icon=":material/info:")
    with import_tab, st.container(key="inventory_import"):
        render_import(filters, municipalities)
    with templates_tab, st.container(key="inventory_templates"):
        render_templates()
    with completeness_tab, st.container(key="inventory_completeness"):
        if has_data:
            render_completeness(filters, municipality_name)
        else:
            st.info(t("inventory.empty_database"), icon=":material/info:")
except state.DATABASE_ERRORS as exc:
    st.error(t("overview.database_error", reason=state.error_reason(exc)))
