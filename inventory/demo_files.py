"""The demo data as import files, and loading them through the importers.

One path for demo and real data: :func:`write_demo_files` writes what the generator in
:mod:`inventory.demo` makes in the formats a municipality would bring — the inventory workbook
(``inventering.xlsx``), one catalogue export per library (``katalog_<n>.csv``), the resource
centre's statistics (``resurscentrum.csv``), survey answers (``enkat_<year>.csv``) and year-9
results in Skolverket's raw download layout (``slutbetyg_ak9_<year>-<yy>.csv``) — and
:func:`import_demo_files` reads them with the same importers as ``skolbib import``.

The workbook is produced by loading the generated tables into a scratch in-memory database
(through the write boundary) and exporting it, so the file is exactly what
:func:`inventory.importers.workbook.export_inventory` writes for any database.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from inventory import demo
from inventory.db import make_engine
from inventory.importers.catalogue import import_catalogue
from inventory.importers.problems import ImportReport
from inventory.importers.resource_centre import import_resource_centre
from inventory.importers.results import import_results
from inventory.importers.surveys import import_survey
from inventory.importers.workbook import export_inventory, import_inventory
from inventory.models import Library, Municipality

WORKBOOK = "inventering.xlsx"
RESOURCE_CENTRE = "resurscentrum.csv"
CATALOGUE_PATTERN = "katalog_{index}.csv"
SURVEY_PATTERN = "enkat_{year}.csv"
RESULTS_PATTERN = "slutbetyg_ak9_{year}-{next:02d}.csv"
#: Skolverket's columns of "Grundskola – Slutbetyg årskurs 9, samtliga elever"
RESULTS_HEADER = (
    "Skola",
    "Skol-enhetskod",
    "Skolkommun",
    "Kommun-kod",
    "Typ av huvudman",
    "Huvudman",
    "Huvudman orgnr",
    "Antal elever",
    "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen",
    "Andel (%) elever behöriga till yrkesprog.",
    "Genomsnittligt meritvärde (17 ämnen)",
)
CATALOGUE_HEADERS = {
    "item_key": "Streckkod",
    "title": "Titel",
    "publication_year": "Utgivningsår",
    "classification": "Klassifikation",
    "classification_system": "Klassifikationssystem",
    "language": "Språk",
    "media_type": "Medietyp",
    "last_loan_date": "Senaste lån",
}
RESOURCE_HEADERS = {
    "municipality_code": "kommunkod",
    "school_unit_code": "skolenhetskod",
    "year": "år",
    "av_media_loans": "AV-medier utlån",
    "technology_loans": "teknikutlån",
    "training_participants": "fortbildning deltagare",
    "training_hours": "fortbildning timmar",
}
SURVEY_HEADERS = {
    "survey_title": "enkät",
    "survey_year": "år",
    "question_code": "fråga",
    "text_sv": "frågetext",
    "respondent_key": "respondent",
    "respondent_role": "roll",
    "school_unit_code": "skolenhetskod",
    "answer": "svar",
}


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _write_csv(path: Path, frame: pd.DataFrame, headers: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(headers.values())
        for row in frame[list(headers)].itertuples(index=False):
            writer.writerow(_cell(value) for value in row)


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    inventory_tables = {
        name: frame
        for name, frame in tables.items()
        if name
        not in (
            "catalogue_item",
            "resource_centre_year",
            "survey",
            "survey_question",
            "survey_answer",
            "school_result",
        )
    }
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        demo.load(session, inventory_tables)
        session.flush()
        export_inventory(session, path, lang="sv")
    engine.dispose()


def _catalogue_files(tables: dict[str, pd.DataFrame], folder: Path) -> list[dict[str, Any]]:
    items = tables["catalogue_item"]
    written = []
    keys = items[["municipality_code", "library"]].drop_duplicates()
    for index, (code, library) in enumerate(keys.itertuples(index=False), start=1):
        part = items[(items["municipality_code"] == code) & (items["library"] == library)]
        name = CATALOGUE_PATTERN.format(index=index)
        _write_csv(folder / name, part, CATALOGUE_HEADERS)
        written.append({"file": name, "municipality_code": code, "library": library})
    return written


def _survey_files(tables: dict[str, pd.DataFrame], folder: Path) -> list[str]:
    answers = tables["survey_answer"].merge(
        tables["survey_question"][["survey_title", "survey_year", "code", "text_sv"]],
        left_on=["survey_title", "survey_year", "question_code"],
        right_on=["survey_title", "survey_year", "code"],
        how="left",
    )
    likert = answers["likert_value"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    answers["answer"] = likert.where(likert != "", answers["text_value"])
    names = []
    for year, part in answers.groupby("survey_year", sort=True):
        name = SURVEY_PATTERN.format(year=int(year))
        _write_csv(folder / name, part, SURVEY_HEADERS)
        names.append(name)
    return names


def _skolverket_number(value: Any, decimals: int, suppressed: bool, scale: float = 1.0) -> str:
    """A value as Skolverket writes it: decimal comma, ``..`` suppressed, ``.`` no value."""
    if value is None or pd.isna(value):
        return ".." if suppressed else "."
    text = f"{float(value) * scale:.{decimals}f}"
    if decimals and text.endswith("0" * decimals):
        text = text[: -decimals - 1]  # Skolverket writes 87, not 87,0
    return text.replace(".", ",")


def _skolverket_line(cells: list[str], width: int, quote: bool = True) -> str:
    """One line of a Skolverket download: ``;``-separated, padded to ``width`` fields; data
    cells with a comma (decimal numbers) are quoted, preamble lines are not."""
    if quote:
        cells = [f'"{cell}"' if "," in cell or ";" in cell else cell for cell in cells]
    return ";".join(cells + [""] * (width - len(cells)))


def _results_files(tables: dict[str, pd.DataFrame], folder: Path) -> list[str]:
    """One file per school year in Skolverket's raw layout (fictional data, said so on line 1).

    The generated shares are whole pupils out of the cohort; a share of exactly 100 % among
    those eligible is written ``~100`` (Skolverket's mark for 1-4 pupils not eligible), which
    the importer stores as 100 % again.
    """
    schools = tables["school"].set_index("school_unit_code")
    names = tables["municipality"].set_index("code")["name"]
    width = len(RESULTS_HEADER)
    written = []
    for year, part in tables["school_result"].groupby("year", sort=True):
        year = int(year)
        lines = [
            *(
                _skolverket_line([text] if text else [], width, quote=False)
                for text in (
                    "Fiktiva exempeldata från skolbib i Skolverkets format",
                    "",
                    "Grundskola - Slutbetyg årskurs 9, samtliga elever",
                    f"Valt läsår: {year}/{(year + 1) % 100:02d}",
                    "",
                )
            ),
            ";".join(RESULTS_HEADER),
        ]
        for row in part.itertuples(index=False):
            school = schools.loc[row.school_unit_code]
            municipal = school["organiser_type"] == "municipal"
            municipality = school["municipality_code"]
            vocational = _skolverket_number(row.share_eligible_vocational, 1, row.suppressed, 100)
            if row.share_eligible_vocational == 1.0:
                vocational = "~100"
            cells = [
                school["name"],
                row.school_unit_code,
                names[municipality],
                municipality,
                "Kommunal" if municipal else "Enskild",
                school["organiser"],
                f"212000{municipality}" if municipal else f"559900{row.school_unit_code[-4:]}",
                _skolverket_number(row.pupils, 0, row.suppressed),
                _skolverket_number(row.share_all_subjects, 1, row.suppressed, 100),
                vocational,
                _skolverket_number(row.mean_merit_value, 1, row.suppressed),
            ]
            lines.append(_skolverket_line(cells, width))
        lines += [
            _skolverket_line([], width),
            _skolverket_line(["Rapportbeskrivning och definitioner etc.  "], width, quote=False),
        ]
        name = RESULTS_PATTERN.format(year=year, next=(year + 1) % 100)
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
        written.append(name)
    return written


def write_demo_files(folder: Path, seed: int = demo.DEFAULT_SEED) -> dict[str, Any]:
    """Write the demo data as import files into ``folder``; return what was written.

    Returns
    -------
    dict
        ``workbook`` (file name), ``catalogues`` (list of ``{"file", "municipality_code",
        "library"}``), ``resource_centre`` (file name), ``surveys`` (file names) and
        ``results`` (Skolverket year-9 results, one file per school year).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables = demo.generate(seed)
    _write_workbook(tables, folder / WORKBOOK)
    _write_csv(folder / RESOURCE_CENTRE, tables["resource_centre_year"], RESOURCE_HEADERS)
    results = _results_files(tables, folder)
    return {
        "workbook": WORKBOOK,
        "catalogues": _catalogue_files(tables, folder),
        "resource_centre": RESOURCE_CENTRE,
        "surveys": _survey_files(tables, folder),
        "catalogue_year": int(tables["library_year"]["year"].max()),
        "results": results,
    }


def _library_id(session: Session, municipality_code: str, name: str) -> int:
    return session.execute(
        sa.select(Library.id)
        .join(Municipality, Municipality.id == Library.municipality_id)
        .where(Municipality.code == municipality_code, Library.name == name)
    ).scalar_one()


def import_demo_files(
    session: Session, folder: Path, written: dict[str, Any]
) -> list[ImportReport]:
    """Import the files of :func:`write_demo_files` with the regular importers (no commit)."""
    reports = [import_inventory(session, folder / written["workbook"])]
    for catalogue in written["catalogues"]:
        library = _library_id(session, catalogue["municipality_code"], catalogue["library"])
        reports.append(
            import_catalogue(
                session,
                folder / catalogue["file"],
                library=library,
                year=written["catalogue_year"],
            )
        )
    reports.append(import_resource_centre(session, folder / written["resource_centre"]))
    for name in written["surveys"]:
        reports.append(import_survey(session, folder / name))
    for name in written.get("results", []):
        reports.append(import_results(session, folder / name))
    return reports
