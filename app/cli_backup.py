"""``skolbib backup`` and ``skolbib restore``: a portable archive of the whole database.

Subcommands
-----------
backup --out FILE [--overwrite]
                           write every table, the schema revision and checksums to FILE (zip)
restore FILE               restore FILE into an empty database (SQLite or PostgreSQL, whichever
                           wrote it); the archive is verified completely first

Both need nothing but access to the database (no ``--user``): whoever can reach the database
can read or fill it anyway, and a restore target is empty, so it has no accounts yet. The
archive holds personal data and password hashes: store it like the database. A damaged,
foreign or too new archive, or a database that is not empty, is refused with exit status 2 and
one line on stderr, and nothing is changed. See :mod:`inventory.backup` for the format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

from inventory import backup, db

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _out(text: str) -> None:
    sys.stdout.write(f"{text}\n")


def _fail(text: str) -> int:
    """One line on stderr, exit status 2 (like ``app.cli.CliError``; returned rather than
    raised, so it holds also under ``python -m app.cli``, where ``app.cli`` is ``__main__``)."""
    sys.stderr.write(f"skolbib: {text}\n")
    return EXIT_BAD_INPUT


def _engine(url: str | None) -> sa.Engine | str:
    """An engine that answers, or the one-line reason why there is none."""
    try:
        engine = db.make_engine(url)
        db.check_connection(engine)
    except db.DatabaseConfigError as exc:
        return str(exc)
    return engine


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def cmd_backup(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        return _fail(f"{out} finns redan; välj ett annat namn eller ange --overwrite")
    if not out.parent.is_dir():
        return _fail(f"mappen {out.parent} finns inte")
    engine = _engine(args.database_url)
    if isinstance(engine, str):
        return _fail(engine)
    try:
        manifest = backup.write_backup(engine, out)
    except backup.BackupError as exc:
        return _fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        return _fail(f"databasen kunde inte läsas: {_first_line(exc)}")
    except OSError as exc:
        return _fail(f"{out} kunde inte skrivas: {exc}")
    finally:
        engine.dispose()
    _out(
        f"Säkerhetskopia skriven: {out} ({len(manifest.tables)} tabeller, "
        f"{manifest.total_rows} rader, schemarevision {manifest.alembic_revision}). "
        "Den innehåller personuppgifter och lösenordshashar: förvara den som databasen."
    )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    if isinstance(engine, str):
        return _fail(engine)
    try:
        manifest = backup.restore_backup(engine, Path(args.file))
    except backup.BackupError as exc:
        return _fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        return _fail(
            "återställningen avbröts och rullades tillbaka, inga rader sparades: "
            f"{_first_line(exc)}"
        )
    finally:
        engine.dispose()
    _out(
        f"Återställde {manifest.total_rows} rader i {len(manifest.tables)} tabeller från "
        f"{args.file} (skapad {manifest.created_at}, schemarevision {manifest.alembic_revision}) "
        f"till {db.masked(engine.url)}."
    )
    if manifest.alembic_revision != backup.head_revision(engine):
        _out("Kör 'skolbib init' för att uppgradera databasen till det senaste schemat.")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``backup`` and ``restore`` to the ``skolbib`` parser."""
    write = sub.add_parser(
        "backup", parents=[common], help="säkerhetskopiera hela databasen till en fil (zip)"
    )
    write.add_argument("--out", required=True, metavar="FIL", help="arkivet som skrivs")
    write.add_argument("--overwrite", action="store_true", help="skriv över en befintlig fil")
    write.set_defaults(handler=cmd_backup)

    read = sub.add_parser(
        "restore", parents=[common], help="återställ en säkerhetskopia till en tom databas"
    )
    read.add_argument("file", metavar="FIL", help="arkivet från 'skolbib backup'")
    read.set_defaults(handler=cmd_restore)
