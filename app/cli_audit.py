"""``skolbib audit export``: the audit trail to a CSV or JSON file.

::

    skolbib audit export --out FILE [--format csv|json] [--since DATE] [--until DATE]
                         [--entity E] [--username U] --user NAME

``--user`` names the account doing the export: it must exist, be active and be allowed
``audit.view`` (administrators), else the command stops with exit status 2 and writes nothing.
Dates are ``YYYY-MM-DD`` Swedish calendar days, both inclusive. The file is written whole or
not at all (a temporary file beside it, renamed at the end).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from app.cli import EXIT_OK, CliError, _engine
from app.services.audit import FORMATS, write_csv, write_json
from inventory.audit_query import AuditFilter, iter_entries
from inventory.models import User
from inventory.permissions import can

VIEW_PERMISSION = "audit.view"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "csv"


def _viewer(session: Session, username: str) -> User:
    user = session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise CliError(f"--user {username!r}: inget konto med det användarnamnet")
    if not user.active:
        raise CliError(f"--user {username!r}: kontot är inaktiverat")
    if not can(user, VIEW_PERMISSION):
        raise CliError(
            f"--user {username!r}: rollen {user.role} får inte läsa ändringsloggen "
            f"({VIEW_PERMISSION}, bara administratörer)"
        )
    return user


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Write the matching audit entries to ``--out``; print how many."""
    if args.since and args.until and args.since > args.until:
        raise CliError(f"--since {args.since} ligger efter --until {args.until}")
    filters = AuditFilter(
        since=args.since, until=args.until, username=args.username, entity=args.entity
    )
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: mappen {out.parent} finns inte")
    fmt = _format(args)
    engine = _engine(args.database_url)
    try:
        with Session(engine) as session:
            _viewer(session, args.user)
            handle, temporary = tempfile.mkstemp(prefix=".skolbib-audit-", dir=out.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    writer = write_csv if fmt == "csv" else write_json
                    count = writer(iter_entries(session, filters), stream)
                os.replace(temporary, out)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        raise CliError(
            f"kunde inte läsa ändringsloggen: {str(getattr(exc, 'orig', exc)).splitlines()[0]}"
        ) from None
    except OSError as exc:
        raise CliError(f"--out {out}: kunde inte skriva filen ({exc.strerror or exc})") from None
    sys.stdout.write(f"Skrev {count} poster ur ändringsloggen till {out} ({fmt}).\n")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``audit export`` to the ``skolbib`` command line."""
    audit = sub.add_parser("audit", help="ändringsloggen (vem ändrade vad och när)")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    export = actions.add_parser(
        "export",
        parents=[common],
        help="skriv ändringsloggen till en CSV- eller JSON-fil",
        description="Skriv ändringsloggen till en fil. CSV: UTF-8 med BOM och semikolon "
        "(öppnas direkt i svenska Excel); JSON: en lista av objekt.",
    )
    export.add_argument("--out", required=True, metavar="FIL", help="filen som skrivs")
    export.add_argument(
        "--format", choices=FORMATS, help="csv eller json (standard: filändelsen, annars csv)"
    )
    export.add_argument("--since", type=_date, metavar="ÅÅÅÅ-MM-DD", help="från och med dag")
    export.add_argument("--until", type=_date, metavar="ÅÅÅÅ-MM-DD", help="till och med dag")
    export.add_argument("--entity", help="bara en tabell, t.ex. library_year eller action_plan")
    export.add_argument("--username", help="bara ändringar gjorda av den här användaren")
    export.add_argument(
        "--user",
        required=True,
        metavar="NAMN",
        help="kontot som exporterar (aktivt, med behörigheten audit.view)",
    )
    export.set_defaults(handler=cmd_audit_export)
