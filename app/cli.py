"""The ``skolbib`` command line.

Subcommands
-----------
init [--demo] [--seed N]   create or upgrade the database schema (alembic head); optionally load
                           the fictional demo municipalities
demo [--seed N]            load the demo data (does nothing if it is already there)
info [--json]              counts, years and pupils per year over the whole database

Exit status 0 on success, 2 on bad input or an unreachable database (one line on stderr, the
password masked), 1 on an unexpected error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from inventory import db
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
    from inventory.demo import load_demo

    with Session(engine) as session:
        result = load_demo(session, seed=seed)
    if not result["loaded"]:
        return "Exempeldata finns redan i databasen; inget ändrades."
    total = sum(result["counts"].values())
    return f"Exempeldata inlästa: {total} rader (fiktiva kommuner, seed {seed})."


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
    sys.exit(main())
