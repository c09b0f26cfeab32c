"""``skolbib comments``: list and export the comments on a scenario.

comments list --scenario NAME [--version N] --user NAME [--json]
    the threads on every version of the scenario, as the user's role sees them (hidden text
    only for roles that may moderate)
comments export --scenario NAME [--version N] --user NAME --out FILE [--lang sv|en]
    the same as CSV for Swedish Excel (UTF-8 with BOM, ``;``)

``--user`` (or ``SKOLBIB_USER``) names an existing, active account; reading needs
``scenario.view`` (:mod:`app.cli_auth`). Comment text is
printed with control characters shown as escapes (``\\x1b``), so a comment cannot steer the
terminal.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.cli import EXIT_OK, CliError, _engine, _json_out
from app.cli_auth import CliUserError, add_user_argument, resolve_user
from inventory.models import User
from planning import comments
from planning.comments import local_time
from planning.scenario_store import load_scenario


def _account(session: Session, username: str | None) -> User:
    """The active account running the command; it must be allowed ``scenario.view``."""
    try:
        return resolve_user(session, username, "scenario.view")
    except CliUserError as exc:
        raise CliError(str(exc)) from None


def _scenario_id(session: Session, name: str, version: int | None) -> int:
    try:
        return int(load_scenario(session, name, version).scenario.id)
    except LookupError as exc:
        raise CliError(str(exc)) from None


def _out(text: str) -> None:
    """One line of output (``app.cli`` prints; this module writes to stdout likewise)."""
    sys.stdout.write(f"{text}\n")


def printable(text: Any) -> str:
    """``text`` with control characters (other than line breaks and tabs) as ``\\xNN``."""
    return "".join(
        ch
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in str(text)
    )


def _view(view: comments.CommentView) -> dict[str, Any]:
    return {
        "id": view.id,
        "thread_id": view.thread_id,
        "reply_to_id": view.reply_to_id,
        "scenario_version": view.scenario_version,
        "school_id": view.school_id,
        "school_name": view.school_name,
        "school_unit_code": view.school_unit_code,
        "author": view.author,
        "author_role": view.author_role,
        "status": view.status,
        "created_at": view.created_at.isoformat(),
        "text": view.text,
        "hidden": view.hidden,
        "hidden_reason": view.hidden_reason,
        "hidden_by": view.hidden_by,
        "hidden_at": view.hidden_at.isoformat() if view.hidden_at else None,
    }


def cmd_comments_list(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    with Session(engine) as session:
        user = _account(session, args.user)
        scenario_id = _scenario_id(session, args.scenario, args.version)
        threads = comments.list_comments(session, user, scenario_id)
    if args.json:
        _json_out(
            [
                {
                    "status": th.status,
                    "root": _view(th.root),
                    "replies": [_view(r) for r in th.replies],
                }
                for th in threads
            ]
        )
        return EXIT_OK
    if not threads:
        _out("Inga synpunkter.")
        return EXIT_OK
    for thread in threads:
        for view in (thread.root, *thread.replies):
            indent = "" if view is thread.root else "    "
            about = view.school_name or "hela scenariot"
            status = f" [{thread.status}]" if view is thread.root else ""
            _out(
                printable(
                    f"{indent}#{view.id}{status} v{view.scenario_version} "
                    f"{local_time(view.created_at)} {view.author} ({view.author_role}), {about}:"
                )
            )
            if view.hidden:
                _out(printable(f"{indent}  (dold av moderator: {view.hidden_reason})"))
            if view.text is not None:
                for line in printable(view.text).splitlines() or [""]:
                    _out(f"{indent}  {line}")
    return EXIT_OK


def cmd_comments_export(args: argparse.Namespace) -> int:
    engine = _engine(args.database_url)
    with Session(engine) as session:
        user = _account(session, args.user)
        scenario_id = _scenario_id(session, args.scenario, args.version)
        data = comments.comments_csv(session, user, scenario_id, args.lang)
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CliError(f"kunde inte skriva {out}: {exc.strerror or exc}") from None
    rows = data.decode("utf-8-sig").count("\r\n") - 1
    _out(f"Skrev {out} ({rows} rader)." if args.lang == "sv" else f"Wrote {out} ({rows} rows).")
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``skolbib comments list|export``."""
    scenario = argparse.ArgumentParser(add_help=False)
    scenario.add_argument("--scenario", required=True, metavar="NAMN", help="scenariots namn")
    scenario.add_argument("--version", type=int, help="version (standard: senaste)")
    add_user_argument(scenario)
    parser = sub.add_parser("comments", help="synpunkter på scenarier: lista, exportera")
    actions = parser.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", parents=[common, scenario], help="lista synpunkterna")
    listing.add_argument("--json", action="store_true", help="maskinläsbar utdata")
    listing.set_defaults(handler=cmd_comments_list)

    export = actions.add_parser(
        "export", parents=[common, scenario], help="exportera synpunkterna som CSV (Excel)"
    )
    export.add_argument("--out", required=True, metavar="FIL.csv")
    export.add_argument("--lang", choices=["sv", "en"], default="sv", help="rubrikernas språk")
    export.set_defaults(handler=cmd_comments_export)
