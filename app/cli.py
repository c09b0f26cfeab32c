"""The ``skolbib`` command line.

Subcommands
-----------
init [--demo] [--seed N]   create or upgrade the database schema (alembic head); optionally load
                           the fictional demo municipalities
demo [--seed N]            load the demo data (does nothing if it is already there)
info [--json]              counts, years and pupils per year over the whole database
import KIND FILE --user NAME
                           import a file (pupils, inventory, catalogue, resource-centre, survey,
                           results); --dry-run validates only, --lang sv|en for the problem table
template inventory --out   write the inventory workbook template
metrics [--year Y] [--municipality CODE] [--json]
                           per-library indicators and pupil-weighted equity statistics
scenario run --model reallocate|min-cost|manual|media-plan|transfers|clusters
             [--param KEY=VALUE ...] [--year Y] [--municipality CODE] [--save NAME]
             [--user NAME] [--lang sv|en] [--json] [--csv-dir DIR]
                           run a planning scenario (planning.scenario); --csv-dir writes the
                           media plan's, transfers' or clusters' lists as CSV for Excel;
                           --save stores it as the next version of NAME, authored by the
                           account --user (or SKOLBIB_USER), which must exist, be active and be
                           allowed scenario.create
scenario list|show NAME [--version N]|compare NAME NAME... [--json]
                           saved scenarios, one scenario's per-library results, 2–4 side by side
users, comments, audit, export, gdpr, maintenance, backup, restore
                           in their own modules (CLI_EXTENSIONS); see ``skolbib COMMAND --help``

Exit status 0 on success, 2 on bad input or an unreachable database (one line on stderr, the
password masked), 1 on an unexpected error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.cli_auth import CliUserError, add_user_argument, resolve_user
from inventory import db
from inventory.importers.problems import ImportRejectedError, format_problems
from inventory.repository import summary_counts
from inventory.writes import InventoryValidationError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def _engine(url: str | None) -> sa.Engine:
    try:
        engine = db.make_engine(url)
        db.check_connection(engine)
    except db.DatabaseConfigError as exc:
        raise CliError(str(exc)) from None
    return engine


def _load_demo(engine: sa.Engine, seed: int) -> str:
    """Write the demo as import files under data/demo and load them through the importers."""
    from app.cli_users import demo_accounts_note
    from inventory.accounts import ensure_demo_accounts
    from inventory.demo import DEMO_MUNICIPALITY_CODE
    from inventory.demo_files import import_demo_files, write_demo_files
    from inventory.models import Municipality

    with Session(engine) as session:
        exists = session.execute(
            sa.select(Municipality.id).where(Municipality.code == DEMO_MUNICIPALITY_CODE)
        ).first()
        if exists:
            created = ensure_demo_accounts(session)
            changed = "demokonton skapades" if created else "inget ändrades"
            return f"Exempeldata finns redan i databasen; {changed}. {demo_accounts_note(session)}"
        folder = db.PROJECT_ROOT / "data" / "demo"
        try:
            written = write_demo_files(folder, seed=seed)
        except OSError:  # a read-only installation: use a temporary folder instead
            import tempfile

            folder = Path(tempfile.mkdtemp(prefix="skolbib-demo-"))
            written = write_demo_files(folder, seed=seed)
        try:
            reports = import_demo_files(session, folder, written)
        except ImportRejectedError as exc:
            session.rollback()
            raise CliError(f"exempelfilerna kunde inte läsas in: {exc}") from None
        ensure_demo_accounts(session, commit=False)
        session.commit()
        note = demo_accounts_note(session)
    total = sum(sum(r.created.values()) for r in reports)
    return (
        f"Exempeldata inlästa: {total} rader (fiktiva kommuner, seed {seed}) "
        f"från filerna i {folder}. {note}"
    )


def cmd_init(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    try:
        db.upgrade(engine)
    except sa.exc.SQLAlchemyError as exc:
        raise CliError(
            f"kunde inte uppgradera databasen {db.masked(engine.url)}: "
            f"{str(getattr(exc, 'orig', exc)).splitlines()[0]}"
        ) from None
    print(f"Databasen {db.masked(engine.url)} har det senaste schemat.")
    if args.demo:
        print(_load_demo(engine, args.seed))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    db.upgrade(engine)
    print(_load_demo(engine, args.seed))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    try:
        with Session(engine) as session:
            counts = summary_counts(session)
    except sa.exc.OperationalError as exc:
        raise CliError(
            f"databasen {db.masked(engine.url)} saknar skolbibs schema; kör 'skolbib init' "
            f"({str(exc.orig).splitlines()[0]})"
        ) from None
    except sa.exc.ProgrammingError as exc:
        raise CliError(
            f"databasen {db.masked(engine.url)} saknar skolbibs schema; kör 'skolbib init' "
            f"({str(exc.orig).splitlines()[0]})"
        ) from None
    if args.json:
        print(json.dumps(counts, ensure_ascii=False, sort_keys=True))
        return EXIT_OK
    print(f"Databas: {db.masked(engine.url)}")
    labels = {
        "municipalities": "Kommuner",
        "districts": "Skolområden",
        "schools": "Skolenheter",
        "libraries": "Bibliotek",
        "library_years": "Biblioteksår",
        "catalogue_items": "Katalogposter",
    }
    for key, label in labels.items():
        print(f"{label:<16}{counts[key]:>10}")
    years = counts["years"]
    print(f"{'År':<16}{(f'{years[0]}–{years[-1]}' if years else '–'):>10}")
    for year, pupils in counts["pupils_by_year"].items():
        print(f"  elever {year}{pupils:>16}")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    from app.services.metrics_report import metrics_report

    engine = _engine(args.database_url)
    with Session(engine) as session:
        report = metrics_report(session, year=args.year, municipality=args.municipality)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, sort_keys=True, allow_nan=False))
        return EXIT_OK
    if report["year"] is None:
        print("Inga biblioteksuppgifter i databasen.")
        return EXIT_OK
    print(f"År {report['year']}: {len(report['libraries'])} bibliotek")
    print(f"{'indikator':<34}{'medel':>10}{'Gini':>8}{'VK':>8}{'McLoone':>9}")
    for name, summary in report["equity"].items():
        if summary is None:
            print(f"{name:<34}{'–':>10}")
            continue
        cells = [
            summary["mean"],
            summary["gini"],
            summary["coefficient_of_variation"],
            summary["mcloone"],
        ]
        shown = ["–" if v is None else f"{v:.3g}" for v in cells]
        print(f"{name:<34}{shown[0]:>10}{shown[1]:>8}{shown[2]:>8}{shown[3]:>9}")
    return EXIT_OK


#: modules that add subcommands: each has ``add_parsers(sub, common)``
CLI_EXTENSIONS = (
    "app.cli_users",
    "app.cli_audit",
    "app.cli_export",
    "app.cli_gdpr",
    "app.cli_maintenance",
    "app.cli_comments",
    "app.cli_backup",
)


def _param(text: str) -> tuple[str, object]:
    """``KEY=VALUE``; the value is read as JSON when it is (numbers, booleans, objects)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise CliError(f"--param måste vara KEY=VALUE, fick {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _json_out(data: object) -> None:
    from planning.scenario import json_safe

    print(
        json.dumps(
            json_safe(data), ensure_ascii=False, sort_keys=True, allow_nan=False, default=str
        )
    )


def _records(frame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _cell(value: object, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float):
        rounded = round(value, decimals) or 0.0  # never print "-0"
        return f"{rounded:.{decimals}f}"
    return str(value)


#: models of ``skolbib scenario run`` (planning.scenario.MODELS, not imported at start-up)
SCENARIO_MODELS = ("reallocate", "min-cost", "manual", "media-plan", "transfers", "clusters")


def _plan_inputs(session: Session, model: str, year: int, municipality, data) -> dict:
    """The collection rows (and catalogue years) the collection models need."""
    from inventory.repository import catalogue_year_counts, collection_years
    from planning.scenario import COLLECTION_MODELS

    if model not in COLLECTION_MODELS:
        return {}
    extra = {"collection": collection_years(session, [year], municipality)}
    if model == "media-plan":
        extra["catalogue_years"] = catalogue_year_counts(session, data["library_id"].tolist())
    return extra


def _plan_output(run, lang: str, csv_dir: str | None) -> dict:
    """Print a plan model's lists (and write them as CSV); their records for ``--json``."""
    from app.services.scenario_collection import csv_bytes, export_tables, file_stem

    tables = export_tables(run, lang)
    if csv_dir:
        folder = Path(csv_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for kind, table in tables.items():
                (folder / f"{file_stem(kind, lang)}.csv").write_bytes(csv_bytes(table))
        except OSError as exc:
            raise CliError(f"kunde inte skriva CSV-filerna i {folder}: {exc}") from None
    return {file_stem(kind, lang): _records(table) for kind, table in tables.items()}


def cmd_scenario_run(args: argparse.Namespace) -> int:
    from inventory.permissions import PermissionDeniedError
    from inventory.repository import library_year_frame
    from planning.scenario import PLAN_MODELS, build_input, run_details, run_scenario, summarise
    from planning.scenario_store import save_scenario

    if args.csv_dir and args.model not in PLAN_MODELS:
        raise CliError("--csv-dir gäller bara media-plan, transfers och clusters")
    params = dict(_param(p) for p in args.param or [])
    engine = _engine(args.database_url)
    with Session(engine) as session:
        frame = library_year_frame(
            session, None if args.year is None else [args.year], args.municipality
        )
        if frame.empty:
            raise CliError("inga biblioteksuppgifter för det valda året och kommunen")
        year = int(args.year if args.year is not None else frame["year"].max())
        data = build_input(frame, year, args.municipality)
        extra = _plan_inputs(session, args.model, year, args.municipality, data)
        try:
            run = run_scenario(data, args.model, params, **extra)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        # lists (and CSV files) before saving: a file that cannot be written saves nothing
        lists = _plan_output(run, args.lang, args.csv_dir) if args.model in PLAN_MODELS else {}
        saved = None
        if args.save:
            try:
                user = resolve_user(session, args.user, "scenario.create")
                row = save_scenario(session, user, args.save, run, year, args.municipality)
            except (PermissionDeniedError, ValueError) as exc:  # CliUserError is a ValueError
                session.rollback()
                raise CliError(str(exc)) from None
            session.commit()
            saved = {"name": row.name, "version": row.version, "id": row.id}
    report = {
        "model": run.model,
        "params": run.params,
        "year": year,
        "municipality": args.municipality,
        "status": run.status,
        "message": run.message,
        "objective": run.objective,
        "cost_change_sek": run.cost_change_sek,
        "numbers": run.numbers,
        "equity_before": run.equity_before,
        "equity_after": run.equity_after,
        "libraries": _records(run.libraries),
        "excluded_library_ids": data.attrs.get("excluded", []),
        "summary_sv": summarise(run, "sv"),
        "summary_en": summarise(run, "en"),
        "saved": saved,
    }
    if args.model in PLAN_MODELS:
        report["details"] = {k: _records(v) for k, v in run_details(run).items()}
        if not args.json:
            print(report[f"summary_{args.lang}"])
            for stem, rows in lists.items():
                print(f"\n[{stem}.csv] {len(rows)}")
                for row in rows[:50]:
                    print("  " + "  ".join(_cell(v, 1) for v in row.values()))
            if saved:
                print(f"Sparat: {saved['name']} version {saved['version']}")
            return EXIT_OK
    if args.json:
        _json_out(report)
        return EXIT_OK
    print(report[f"summary_{args.lang}"])
    print(f"{'bibliotek':<36}{'före':>8}{'efter':>8}{'/100 före':>11}{'/100 efter':>11}")
    for lib in report["libraries"]:
        name = str(lib.get("library_name") or lib["library_id"])[:35]
        cells = [lib["hours_before"], lib["hours_after"], lib["per_100_before"]]
        shown = [_cell(c, 1) for c in cells] + [_cell(lib["per_100_after"], 2)]
        print(f"{name:<36}{shown[0]:>8}{shown[1]:>8}{shown[2]:>11}{shown[3]:>11}")
    if saved:
        print(f"Sparat: {saved['name']} version {saved['version']}")
    return EXIT_OK


def cmd_scenario_list(args: argparse.Namespace) -> int:
    from planning.scenario_store import list_scenarios

    engine = _engine(args.database_url)
    with Session(engine) as session:
        table = list_scenarios(session)
    if args.json:
        _json_out(_records(table))
        return EXIT_OK
    if table.empty:
        print("Inga sparade scenarier.")
        return EXIT_OK
    for row in table.itertuples():
        print(
            f"{row.name:<30} v{row.version:<4}{row.model:<12}{row.base_year:<6}{row.solver_status}"
        )
    return EXIT_OK


def cmd_scenario_show(args: argparse.Namespace) -> int:
    from planning.scenario_store import load_scenario

    engine = _engine(args.database_url)
    with Session(engine) as session:
        try:
            saved = load_scenario(session, args.name, args.version)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        s = saved.scenario
        report = {
            "name": s.name,
            "version": s.version,
            "model": s.model,
            "parameters": s.parameters,
            "base_year": s.base_year,
            "status": str(s.status),
            "solver_status": s.solver_status,
            "objective": s.objective,
            "parent_id": s.parent_id,
            "summary_sv": s.summary_sv,
            "summary_en": s.summary_en,
            "libraries": _records(saved.libraries),
        }
    if args.json:
        _json_out(report)
        return EXIT_OK
    print(f"{s.name} version {s.version} ({s.model}, {s.base_year}, {s.solver_status})")
    print(report[f"summary_{args.lang}"] or "")
    for lib in report["libraries"]:
        name = str(lib.get("library_name") or lib["library_id"])[:35]
        print(f"{name:<36}{_cell(lib['hours_before'], 1):>8}{_cell(lib['hours_after'], 1):>8}")
    return EXIT_OK


def cmd_scenario_compare(args: argparse.Namespace) -> int:
    from planning.scenario_store import compare_scenarios

    if not 2 <= len(args.names) <= 4:
        raise CliError("jämför 2 till 4 scenarier")
    engine = _engine(args.database_url)
    with Session(engine) as session:
        try:
            table = compare_scenarios(session, args.names)
        except LookupError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        _json_out(_records(table))
        return EXIT_OK
    for row in _records(table):
        print(
            f"{row['name']:<24} v{row['version']:<3} {row['model']:<11} "
            f"min {_cell(row['min_per_100_before'])}→{_cell(row['min_per_100_after'])}  "
            f"Gini {_cell(row['gini_before'], 3)}→{_cell(row['gini_after'], 3)}  "
            f"McLoone {_cell(row['mcloone_before'], 3)}→{_cell(row['mcloone_after'], 3)}  "
            f"flyttat {_cell(row['hours_moved'], 1)} h  "
            f"kostnad {_cell(row['cost_change_sek'], 0)} kr"
        )
    return EXIT_OK


def _add_scenario_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    output.add_argument(
        "--lang", choices=["sv", "en"], default="sv", help="sammanfattningens språk"
    )
    scenario = sub.add_parser("scenario", help="planeringsscenarier: kör, lista, visa, jämför")
    actions = scenario.add_subparsers(dest="action", required=True)

    run = actions.add_parser("run", parents=[common, output], help="kör ett scenario")
    run.add_argument("--model", required=True, choices=SCENARIO_MODELS)
    run.add_argument(
        "--param",
        action="append",
        metavar="KEY=VALUE",
        help='parameter, värdet läses som JSON (t.ex. need_weighted=false, hours={"12": 5})',
    )
    run.add_argument("--year", type=int, help="basår (standard: senaste)")
    run.add_argument("--municipality", metavar="KOD", help="kommunkod (standard: alla)")
    run.add_argument("--save", metavar="NAMN", help="spara som nästa version av NAMN")
    run.add_argument(
        "--csv-dir",
        metavar="KATALOG",
        help="skriv mediebudgetens, överföringarnas eller klustrens listor som CSV (Excel)",
    )
    add_user_argument(run)
    run.set_defaults(handler=cmd_scenario_run)

    listing = actions.add_parser("list", parents=[common, output], help="sparade scenarier")
    listing.set_defaults(handler=cmd_scenario_list)

    show = actions.add_parser("show", parents=[common, output], help="visa ett sparat scenario")
    show.add_argument("name", metavar="NAMN")
    show.add_argument("--version", type=int, help="version (standard: senaste)")
    show.set_defaults(handler=cmd_scenario_show)

    compare = actions.add_parser(
        "compare", parents=[common, output], help="jämför 2–4 sparade scenarier"
    )
    compare.add_argument("names", nargs="+", metavar="NAMN")
    compare.set_defaults(handler=cmd_scenario_compare)


#: import kind -> (module, function, keyword options taken from the parsed arguments)
IMPORTERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pupils": ("inventory.importers.pupils", "import_pupils", ("year", "municipality", "county")),
    "inventory": ("inventory.importers.workbook", "import_inventory", ()),
    "catalogue": (
        "inventory.importers.catalogue",
        "import_catalogue",
        ("library", "year", "column", "incomplete_out"),
    ),
    "resource-centre": (
        "inventory.importers.resource_centre",
        "import_resource_centre",
        (),
    ),
    "survey": ("inventory.importers.surveys", "import_survey", ("title", "year")),
    "results": (
        "inventory.importers.results",
        "import_results",
        ("year", "municipality", "county"),
    ),
}


def _importer(kind: str) -> Callable:
    module, function, _ = IMPORTERS[kind]
    return getattr(importlib.import_module(module), function)


def cmd_import(args: argparse.Namespace) -> int:
    from app.services.inventory_page import run_import
    from inventory.permissions import PermissionDeniedError

    path = Path(args.file)
    if not path.is_file():
        raise CliError(
            f"filen {path} finns inte" if args.lang == "sv" else f"file {path} does not exist"
        )
    engine = _engine(args.database_url)
    options = {name: getattr(args, name) for name in IMPORTERS[args.kind][2]}
    with Session(engine) as session:
        try:
            user = resolve_user(session, args.user, "inventory.edit")
            session.rollback()  # run_import wants a session with nothing pending
            report = run_import(session, user, args.kind, path, options, commit=not args.dry_run)
        except (CliUserError, PermissionDeniedError) as exc:
            raise CliError(str(exc)) from None
        except ImportRejectedError as exc:
            heading = (
                f"{path.name}: filen avvisades, inget sparades."
                if args.lang == "sv"
                else f"{path.name}: file rejected, nothing saved."
            )
            print(heading, file=sys.stderr)
            print(format_problems(exc.problems, args.lang), file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True, default=str))
    else:
        print("\n".join(report.summary_lines(args.lang)))
        if report.warnings:
            print(format_problems(report.warnings, args.lang))
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from inventory.importers.workbook import write_template

    write_template(Path(args.out), lang=args.lang)
    print(f"Mall skriven: {args.out}" if args.lang == "sv" else f"Template written: {args.out}")
    return EXIT_OK


def _add_import_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("file", help="filen som ska läsas in")
    options.add_argument("--dry-run", action="store_true", help="validera bara, spara inget")
    options.add_argument("--lang", choices=["sv", "en"], default="sv", help="språk för fel")
    options.add_argument("--json", action="store_true", help="maskinläsbar sammanfattning")
    add_user_argument(options)
    imp = sub.add_parser("import", help="läs in filer (validering först, allt eller inget)")
    kinds = imp.add_subparsers(dest="kind", required=True)

    pupils = kinds.add_parser(
        "pupils", parents=[common, options], help="Skolverkets elevstatistik per skolenhet"
    )
    pupils.add_argument("--year", type=int, help="läsårets första år (standard: ur filen)")
    pupils.add_argument(
        "--municipality", action="append", metavar="KOD", help="bara dessa kommunkoder"
    )
    pupils.add_argument("--county", metavar="KOD", help="bara detta län (2 siffror)")

    kinds.add_parser(
        "inventory", parents=[common, options], help="inventeringsarbetsbok (xlsx eller csv)"
    )

    catalogue = kinds.add_parser(
        "catalogue", parents=[common, options], help="katalogexport (CSV/TSV, MARC21, MARCXML)"
    )
    catalogue.add_argument("--library", type=int, required=True, metavar="ID", help="bibliotek")
    catalogue.add_argument("--year", type=int, help="inventeringsår (standard: i år)")
    catalogue.add_argument(
        "--column",
        action="append",
        metavar="FÄLT=RUBRIK",
        help="kolumnmappning, t.ex. publication_year=Utgivningsår",
    )
    catalogue.add_argument(
        "--incomplete-out", metavar="FIL", help="lista över ofullständiga poster"
    )

    kinds.add_parser(
        "resource-centre", parents=[common, options], help="regionala resurscentrets statistik"
    )
    survey = kinds.add_parser("survey", parents=[common, options], help="enkätsvar (lång/bred)")
    survey.add_argument("--title", help="enkätens titel (bred layout)")
    survey.add_argument("--year", type=int, help="enkätens år (bred layout)")
    results = kinds.add_parser(
        "results", parents=[common, options], help="Skolverkets slutbetyg årskurs 9 per skolenhet"
    )
    results.add_argument("--year", type=int, help="läsårets första år (standard: ur filen)")
    results.add_argument(
        "--municipality", action="append", metavar="KOD", help="bara dessa kommunkoder"
    )
    results.add_argument("--county", metavar="KOD", help="bara detta län (2 siffror)")
    imp.set_defaults(handler=cmd_import)

    template = sub.add_parser("template", help="skriv importmallar")
    template_kinds = template.add_subparsers(dest="template", required=True)
    inventory = template_kinds.add_parser("inventory", help="inventeringsarbetsbok (xlsx)")
    inventory.add_argument("--out", required=True, metavar="FIL.xlsx")
    inventory.add_argument("--lang", choices=["sv", "en"], default="sv")
    template.set_defaults(handler=cmd_template)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skolbib",
        description="skolbib – inventering och planering för likvärdiga skolbibliotek",
    )
    url_help = "databas-URL (standard: SKOLBIB_DATABASE_URL eller data/skolbib.db)"
    parser.add_argument("--database-url", default=None, help=url_help)
    # also accepted after the subcommand; SUPPRESS keeps a value given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help=url_help)
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", parents=[common], help="skapa eller uppgradera databasens schema")
    init.add_argument("--demo", action="store_true", help="läs även in exempeldata")
    init.add_argument("--seed", type=int, default=2025, help="slumpfrö för exempeldata")
    init.set_defaults(handler=cmd_init)

    demo = sub.add_parser("demo", parents=[common], help="läs in fiktiva exempeldata (idempotent)")
    demo.add_argument("--seed", type=int, default=2025, help="slumpfrö för exempeldata")
    demo.set_defaults(handler=cmd_demo)

    info = sub.add_parser("info", parents=[common], help="antal rader, år och elever per år")
    info.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    info.set_defaults(handler=cmd_info)

    metrics = sub.add_parser(
        "metrics", parents=[common], help="indikatorer och likvärdighetsmått för ett år"
    )
    metrics.add_argument("--year", type=int, help="inventeringsår (standard: senaste)")
    metrics.add_argument("--municipality", action="append", metavar="KOD", help="kommunkod")
    metrics.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    metrics.set_defaults(handler=cmd_metrics)

    _add_import_parsers(sub, common)
    _add_scenario_parsers(sub, common)
    for module_name in CLI_EXTENSIONS:
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``skolbib`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (CliError, InventoryValidationError) as exc:
        print(f"skolbib: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    # `python -m app.cli` runs this file as __main__; the subcommand modules import app.cli,
    # whose CliError must be the one main() catches, so run that module's main.
    from app.cli import main as module_main

    sys.exit(module_main())
