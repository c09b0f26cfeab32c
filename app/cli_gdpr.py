"""``skolbib gdpr``: the register of personal data, a person's export, erasure.

Subcommands
-----------
gdpr register [--lang sv|en] [--json]
                           what personal data skolbib stores, where, why, for how long, who
                           sees it (no account needed)
gdpr export NAME --out FILE.json --user ADMIN
                           everything stored about the account NAME as JSON (``--out -``
                           prints it); the file is created readable by its owner only
gdpr erase NAME --user ADMIN [--yes]
                           erase or pseudonymise the account NAME. Without ``--yes`` it shows
                           what would change and, on a terminal, asks for the account name to
                           be typed again; elsewhere (a script, a pipe) it refuses, exit 2

``--user`` (or ``SKOLBIB_USER``) names an active account allowed ``users.manage``; the export
and the erasure are audited under it. Exit status 2 with one line on stderr for bad input
(unknown account, a role without the right, a folder that does not exist, an erasure that is
not confirmed); nothing is written then.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.cli_auth import CliUserError, add_user_argument, resolve_user
from inventory import gdpr
from inventory.permissions import PermissionDeniedError

NO_SCHEMA = "databasen {url} saknar skolbibs schema; kör 'skolbib init' ({reason})"

#: erasure summary field -> Swedish label
ERASE_LABELS: dict[str, str] = {
    "login_attempts_deleted": "inloggningsförsök raderas",
    "audit_entries_pseudonymised": "poster i ändringsloggen får pseudonymen",
    "audit_values_replaced": "namn och adresser i ändringsloggen ersätts",
    "scenario_events_pseudonymised": "scenariohändelser får pseudonymen",
    "comments_kept": "synpunkter står kvar som ”borttagen användare”",
    "scenarios_kept": "scenarier står kvar med pseudonymen som författare eller beslutsfattare",
    "survey_answers_rekeyed": "enkätsvar (ej anonyma) kopplas bort från personen",
    "survey_participations_deleted": "enkätdeltaganden raderas",
}


def _out(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")


def run_in_session(args: argparse.Namespace, work: Callable[[Session], Any]) -> Any:
    """Open the database of ``args``, run ``work`` and turn refusals into one-line errors."""
    from app.cli import CliError, _engine
    from inventory import db

    engine = _engine(args.database_url)
    try:
        with Session(engine) as session:
            try:
                return work(session)
            except (CliUserError, PermissionDeniedError) as exc:
                session.rollback()
                raise CliError(str(exc)) from None
            except gdpr.GdprError as exc:
                session.rollback()
                raise CliError(exc.message("sv")) from None
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise CliError(NO_SCHEMA.format(url=db.masked(engine.url), reason=reason)) from None
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- register


def cmd_register(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    try:
        settings = gdpr.retention_settings()
    except gdpr.GdprError as exc:
        raise CliError(exc.message(args.lang)) from None
    rows = gdpr.personal_data_register(args.lang, settings)
    if args.json:
        notes = list(gdpr.REGISTER_NOTES[args.lang])
        _out(json.dumps({"register": rows, "notes": notes}, ensure_ascii=False, indent=2))
        return EXIT_OK
    labels = {
        "sv": ("Lagras i", "Ändamål", "Rättslig grund", "Lagringstid", "Vem ser det"),
        "en": ("Stored in", "Purpose", "Legal basis", "Retention", "Who sees it"),
    }[args.lang]
    for row in rows:
        _out(row["category"])
        for label, key in zip(labels, gdpr.REGISTER_COLUMNS[1:], strict=True):
            _out(f"  {label}: {row[key]}")
        _out()
    for note in gdpr.REGISTER_NOTES[args.lang]:
        _out(f"* {note}")
    return EXIT_OK


# --------------------------------------------------------------------------- export


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only (personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode on O_CREAT


def cmd_export(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    to_stdout = args.out == "-"
    out = Path(args.out)
    if not to_stdout:
        if not out.parent.is_dir():
            raise CliError(f"mappen {out.parent} finns inte")
        if out.is_dir():
            raise CliError(f"{out} är en mapp; ange en fil, t.ex. {out / 'export.json'}")

    def work(session: Session) -> dict[str, Any]:
        actor = resolve_user(session, args.user, gdpr.PERMISSION)
        return gdpr.export_person(session, actor, args.name)

    data = run_in_session(args, work)
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if to_stdout:
        sys.stdout.write(text)
        return EXIT_OK
    _write_private(out, text)
    counts = ", ".join(
        f"{key} {len(value)}" for key, value in data.items() if isinstance(value, list)
    )
    _out(f"Skrev {out}: kontot {data['account']['username']} ({counts}).")
    return EXIT_OK


# --------------------------------------------------------------------------- erase


def _interactive() -> bool:
    """Whether a person at a terminal can answer a question."""
    return sys.stdin is not None and sys.stdin.isatty()


def describe_erasure(summary: gdpr.ErasureSummary) -> list[str]:
    """The erasure summary as lines of Swedish text."""
    lines = [
        f"Kontot (id {summary.user_id}) byter namn till {summary.pseudonym}, "
        "”borttagen användare”, utan e-post och lösenord, och inaktiveras."
    ]
    for key, label in ERASE_LABELS.items():
        lines.append(f"  {getattr(summary, key):>6}  {label}")
    if summary.mentions:
        lines.append("Fritext som fortfarande nämner personen (granska för hand):")
        for place, keys in summary.mentions.items():
            lines.append(f"  {place}: rad {', '.join(keys)}")
    return lines


def cmd_erase(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    def preview(session: Session) -> gdpr.ErasureSummary:
        actor = resolve_user(session, args.user, gdpr.PERMISSION)
        return gdpr.erase_person(session, actor, args.name, dry_run=True)

    def erase(session: Session) -> gdpr.ErasureSummary:
        actor = resolve_user(session, args.user, gdpr.PERMISSION)
        return gdpr.erase_person(session, actor, args.name)

    if not args.yes:
        planned = run_in_session(args, preview)
        _out(f"Radering av personuppgifter för {args.name}:")
        for line in describe_erasure(planned):
            _out(line)
        if not _interactive():
            raise CliError("inget ändrades; lägg till --yes för att radera utan fråga")
        typed = input(f"Skriv kontonamnet {args.name} igen för att radera: ").strip()
        if typed.lower() != args.name.strip().lower():
            raise CliError("kontonamnet stämde inte; inget ändrades")
    done = run_in_session(args, erase)
    if args.yes:
        for line in describe_erasure(done):
            _out(line)
    _out(f"Personuppgifterna är raderade; kontot heter nu {done.pseudonym}.")
    return EXIT_OK


# --------------------------------------------------------------------------- parsers


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``gdpr register|export|erase`` to the ``skolbib`` parser."""
    gdpr_parser = sub.add_parser("gdpr", help="personuppgifter: register, export, radering")
    actions = gdpr_parser.add_subparsers(dest="gdpr_action", required=True)

    register = actions.add_parser(
        "register", parents=[common], help="vilka personuppgifter skolbib lagrar och varför"
    )
    register.add_argument("--lang", choices=["sv", "en"], default="sv", help="språk")
    register.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    register.set_defaults(handler=cmd_register)

    export = actions.add_parser(
        "export", parents=[common], help="allt som lagras om en person, som JSON"
    )
    export.add_argument("name", metavar="KONTO", help="kontot vars uppgifter exporteras")
    export.add_argument(
        "--out", required=True, metavar="FIL.json", help="filen som skrivs (- = standard ut)"
    )
    add_user_argument(export)
    export.set_defaults(handler=cmd_export)

    erase = actions.add_parser(
        "erase", parents=[common], help="radera eller pseudonymisera en persons uppgifter"
    )
    erase.add_argument("name", metavar="KONTO", help="kontot som raderas")
    erase.add_argument("--yes", action="store_true", help="radera utan att fråga")
    add_user_argument(erase)
    erase.set_defaults(handler=cmd_erase)
