"""``skolbib maintenance``: delete what is older than the retention settings.

::

    skolbib maintenance [--dry-run] [--json]

Deletes audit entries older than ``SKOLBIB_RETENTION_AUDIT_DAYS`` (default 1825), the answers
and participations of surveys whose closing date (else 31 December of the survey year) is older
than ``SKOLBIB_RETENTION_SURVEY_DAYS`` (default 1095) and sign-in attempts older than
``SKOLBIB_RETENTION_LOGIN_DAYS`` (default 30); ``0`` or an empty value keeps those rows. See
:func:`inventory.gdpr.apply_retention`.

The operator runs it (a cron job or a systemd timer, e.g. daily): it needs access to the
database, not an account, and is audited as ``(underhåll)``. ``--dry-run`` counts without
deleting. Exit status 2 on a bad setting or an unreachable database; nothing is deleted then.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from sqlmodel import Session

from app.cli_gdpr import run_in_session
from inventory import gdpr

#: result field -> (Swedish label, setting that governs it)
LABELS: dict[str, tuple[str, str]] = {
    "audit_entries": ("poster i ändringsloggen", "audit"),
    "survey_answers": ("enkätsvar", "survey"),
    "survey_participations": ("enkätdeltaganden", "survey"),
    "login_attempts": ("inloggningsförsök", "login"),
}


def cmd_maintenance(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    try:
        settings = gdpr.retention_settings()
    except gdpr.GdprError as exc:
        raise CliError(exc.message("sv")) from None

    def work(session: Session) -> gdpr.RetentionResult:
        return gdpr.apply_retention(
            session,
            datetime.now(UTC),
            settings.audit_days,
            settings.survey_answer_days,
            settings.login_attempt_days,
            dry_run=args.dry_run,
        )

    result = run_in_session(args, work)
    if args.json:
        report = {**result.to_dict(), "settings": settings.__dict__}
        sys.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True) + "\n")
        return EXIT_OK
    verb = "skulle gallras" if args.dry_run else "gallrade"
    for key, (label, cutoff_key) in LABELS.items():
        cutoff = result.cutoffs[cutoff_key]
        if cutoff is None:
            sys.stdout.write(f"{label}: sparas tills vidare\n")
        else:
            sys.stdout.write(f"{label}: {getattr(result, key)} {verb} (äldre än {cutoff})\n")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``maintenance`` to the ``skolbib`` parser."""
    maintenance = sub.add_parser(
        "maintenance",
        parents=[common],
        help="gallra det som är äldre än lagringstiderna (SKOLBIB_RETENTION_*)",
    )
    maintenance.add_argument("--dry-run", action="store_true", help="räkna bara, radera inget")
    maintenance.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    maintenance.set_defaults(handler=cmd_maintenance)
