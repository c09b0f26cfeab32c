"""``skolbib export summary``: the planning summary as PDF, Excel, CSV, GeoPackage or GeoJSON.

::

    skolbib export summary --format pdf|xlsx|csv|gpkg|geojson --out FILE --user NAME
        [--scenario NAME ...] [--municipality CODE] [--scope municipality|county]
        [--year Y] [--lang sv|en] [--dialect excel|plain]

``--user`` (or ``SKOLBIB_USER``) names an existing, active account whose role may
``export.summary`` (:func:`app.cli_auth.resolve_user`; the summary builder checks the permission
again). Without ``--municipality`` the demo municipality 9901 is
used when present, else the first; without ``--year`` the latest year with facts. Exit status 2
with one line on stderr for bad input (unknown user, municipality, year or scenario, a folder
that does not exist); nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.cli import EXIT_OK, CliError, _engine
from app.cli_auth import CliUserError, add_user_argument, resolve_user
from inventory.permissions import PermissionDeniedError
from inventory.repository import municipalities
from planning.export_csv import DIALECTS
from planning.summary import MAX_SCENARIOS, SCOPES, SummaryError, SummaryRequest
from planning.summary_text import format_number

#: the formats of app.services.reports.FORMATS (named here so that building the parser does not
#: import the page services; a test keeps the two equal)
FORMATS = ("pdf", "xlsx", "csv", "gpkg", "geojson")

__all__ = ["add_parsers", "cmd_export_summary"]


def cmd_export_summary(args: argparse.Namespace) -> int:
    # imported here, not at start-up: they bring Streamlit, which every other command can skip
    from app.services import reports
    from app.services.overview import default_municipality

    out = Path(args.out)
    if not out.parent.is_dir():
        raise CliError(f"mappen {out.parent} finns inte")
    if args.scenario and len(args.scenario) > MAX_SCENARIOS:
        raise CliError(f"högst {MAX_SCENARIOS} scenarier (--scenario)")
    engine = _engine(args.database_url)
    try:
        with Session(engine) as session:
            try:
                user = resolve_user(session, args.user, "export.summary")
            except CliUserError as exc:
                raise CliError(str(exc)) from None
            code = args.municipality
            if code is None:
                code = default_municipality(list(municipalities(session)["code"]))
                if code is None:
                    raise CliError("databasen har inga kommuner")
            request = SummaryRequest(
                municipality=code,
                year=args.year,
                scope=args.scope,
                scenarios=tuple(args.scenario or ()),
                lang=args.lang,
            )
            try:
                summary = reports.build_summary(session, user, request)
            except (SummaryError, PermissionDeniedError) as exc:
                raise CliError(str(exc)) from None
    except sa.exc.OperationalError as exc:
        raise CliError(f"databasen kunde inte läsas: {str(exc.orig).splitlines()[0]}") from None
    finally:
        engine.dispose()
    data = reports.render(summary, args.format, args.dialect)
    out.write_bytes(data)
    area = f"{summary.area_name} ({summary.area_code})"
    size = format_number(len(data), 0, args.lang)
    if args.lang == "sv":
        sys.stdout.write(f"Skrev {out} ({size} byte): {area}, {summary.year}.\n")
    else:
        sys.stdout.write(f"Wrote {out} ({size} bytes): {area}, {summary.year}.\n")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``export summary`` to the ``skolbib`` parser."""
    export = sub.add_parser("export", help="exportera planeringsunderlag")
    kinds = export.add_subparsers(dest="export_kind", required=True)
    summary = kinds.add_parser(
        "summary",
        parents=[common],
        help="planeringsunderlag för chefer (PDF, Excel, CSV, GeoPackage, GeoJSON)",
    )
    summary.add_argument("--format", required=True, choices=list(FORMATS))
    summary.add_argument("--out", required=True, metavar="FIL", help="filen som skrivs")
    add_user_argument(summary)
    summary.add_argument(
        "--scenario",
        action="append",
        metavar="NAMN",
        help=f"sparat scenario (senaste versionen); upprepa för fler, högst {MAX_SCENARIOS}",
    )
    summary.add_argument("--municipality", metavar="KOD", help="kommunkod (standard: 9901)")
    summary.add_argument("--scope", choices=list(SCOPES), default="municipality")
    summary.add_argument("--year", type=int, help="inventeringsår (standard: senaste)")
    summary.add_argument("--lang", choices=["sv", "en"], default="sv", help="underlagets språk")
    summary.add_argument(
        "--dialect",
        choices=list(DIALECTS),
        default="excel",
        help="CSV: excel = svenskt Excel (;, decimalkomma, BOM), plain = (,, punkt)",
    )
    summary.set_defaults(handler=cmd_export_summary)
