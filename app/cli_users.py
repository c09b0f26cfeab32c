"""``skolbib users``: local accounts from the command line.

Subcommands
-----------
users add NAME --role ROLE [--display-name TEXT] [--email ADDRESS] [--password-stdin | --sso-only]
                           create an account; the password is asked twice (getpass) or read
                           from the first line of standard input
users list [--json]        every account (never a password or hash)
users set-role NAME ROLE   give an account another role
users reset-password NAME [--password-stdin]
                           set a new password
users deactivate NAME / users activate NAME
                           stop or allow an account's sign-in

Whoever can run the command line has the database, so these commands act as an administrator
(:data:`inventory.accounts.COMMAND_LINE`) and are audited as such. Bad input (an existing
user, an unknown role, a short password) exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from inventory import accounts
from inventory.accounts import COMMAND_LINE, AccountError

NO_SCHEMA = "databasen {url} saknar skolbibs schema; kör 'skolbib init' ({reason})"


def _out(text: str) -> None:
    """One line of output (``app.cli`` prints; this module writes to stdout likewise)."""
    sys.stdout.write(f"{text}\n")


def demo_accounts_note(session: Session) -> str:
    """One line on the demo accounts of the database (how to sign in with them)."""
    names = [u.username for u in accounts.demo_sign_in_accounts(session)]
    if not names:
        return "Inga demokonton: databasen innehåller riktiga kommuner eller saknar exempeldata."
    return (
        f"Demokonton: {', '.join(names)}, alla med lösenordet {accounts.DEMO_PASSWORD}; "
        "SKOLBIB_DEMO_USER=projektledare loggar in automatiskt i appen."
    )


def _run(args: argparse.Namespace, work: Callable[[Session], Any]) -> Any:
    """Open the database, run ``work`` and turn bad input into one-line errors."""
    from app.cli import CliError, _engine
    from inventory import db

    engine = _engine(args.database_url)
    try:
        with Session(engine) as session:
            try:
                return work(session)
            except AccountError as exc:
                session.rollback()
                raise CliError(str(exc)) from None
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise CliError(NO_SCHEMA.format(url=db.masked(engine.url), reason=reason)) from None
    finally:
        engine.dispose()


def _read_password(args: argparse.Namespace) -> str:
    """The new password: the first line of standard input, or typed twice without echo."""
    from app.cli import CliError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Lösenord: ")
        if password and getpass.getpass("Upprepa lösenordet: ") != password:
            raise CliError(AccountError("passwords_differ").message("sv"))
    try:
        accounts.check_password(password)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    return password


def cmd_users_add(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    try:  # everything that can be checked before asking for the password
        name = accounts.parse_username(args.name)
        role = accounts.parse_role(args.role)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    if _run(args, lambda session: accounts.find_user(session, name)) is not None:
        raise CliError(AccountError("username_taken", value=name).message("sv"))
    password = None if args.sso_only else _read_password(args)
    _run(
        args,
        lambda session: accounts.create_user(
            session,
            COMMAND_LINE,
            name,
            role,
            password=password,
            display_name=args.display_name,
            email=args.email,
        ),
    )
    _out(f"Användaren {name} ({role.value}) har lagts till.")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK

    rows = _run(args, accounts.list_users)
    if args.json:
        _out(json.dumps(rows, ensure_ascii=False, sort_keys=True, default=_iso))
        return EXIT_OK
    if not rows:
        _out("Inga konton. Skapa den första administratören: skolbib users add NAMN --role admin")
        return EXIT_OK
    _out(f"{'användarnamn':<24}{'roll':<15}{'aktiv':<7}{'e-post':<32}namn")
    for row in rows:
        active = "ja" if row["active"] else "nej"
        email = row["email"] or "–"
        _out(f"{row['username']:<24}{row['role']:<15}{active:<7}{email:<32}{row['display_name']}")
    return EXIT_OK


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def cmd_users_set_role(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK

    user = _run(args, lambda s: accounts.set_role(s, COMMAND_LINE, args.name, args.role).username)
    _out(f"{user} har nu rollen {accounts.parse_role(args.role).value}.")
    return EXIT_OK


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, CliError

    if _run(args, lambda session: accounts.find_user(session, args.name)) is None:
        raise CliError(AccountError("unknown_user", value=args.name).message("sv"))
    password = _read_password(args)
    name = _run(
        args,
        lambda s: accounts.reset_password(s, COMMAND_LINE, args.name, password).username,
    )
    _out(f"{name} har fått ett nytt lösenord.")
    return EXIT_OK


def cmd_users_set_active(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK

    active = args.action == "activate"
    name = _run(args, lambda s: accounts.set_active(s, COMMAND_LINE, args.name, active).username)
    _out(f"{name} är {'aktiv' if active else 'inaktiverad'}.")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``skolbib users ...`` to the command line."""
    users = sub.add_parser("users", help="konton: lägg till, lista, byt roll, nytt lösenord")
    actions = users.add_subparsers(dest="action", required=True)
    roles = ", ".join(accounts.ROLES)
    stdin_help = "läs lösenordet från första raden på standard input i stället för att fråga"

    add = actions.add_parser("add", parents=[common], help="lägg till ett konto")
    add.add_argument("name", metavar="NAMN", help="användarnamn (skiftlägesokänsligt)")
    add.add_argument("--role", required=True, metavar="ROLL", help=f"en av {roles}")
    add.add_argument("--display-name", metavar="TEXT", help="visningsnamn (standard: NAMN)")
    add.add_argument("--email", metavar="ADRESS", help="e-post, nyckeln för enkel inloggning")
    how = add.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help=stdin_help)
    how.add_argument(
        "--sso-only", action="store_true", help="inget lösenord: bara enkel inloggning (--email)"
    )
    add.set_defaults(handler=cmd_users_add)

    listing = actions.add_parser("list", parents=[common], help="lista kontona")
    listing.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    listing.set_defaults(handler=cmd_users_list)

    set_role = actions.add_parser("set-role", parents=[common], help="byt roll på ett konto")
    set_role.add_argument("name", metavar="NAMN")
    set_role.add_argument("role", metavar="ROLL", help=f"en av {roles}")
    set_role.set_defaults(handler=cmd_users_set_role)

    reset = actions.add_parser("reset-password", parents=[common], help="sätt ett nytt lösenord")
    reset.add_argument("name", metavar="NAMN")
    reset.add_argument("--password-stdin", action="store_true", help=stdin_help)
    reset.set_defaults(handler=cmd_users_reset_password)

    for action, text in (("deactivate", "stäng av inloggningen"), ("activate", "öppna den igen")):
        toggle = actions.add_parser(action, parents=[common], help=text)
        toggle.add_argument("name", metavar="NAMN")
        toggle.set_defaults(handler=cmd_users_set_active)
