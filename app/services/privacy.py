"""Personuppgifter / Personal data page: sessions opened here, rules in :mod:`inventory.gdpr`
(permission checks, audit, erasure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

import pandas as pd
from sqlmodel import Session

from app import state
from app.session import SessionUser, forget_cached_accounts
from inventory import accounts, gdpr

#: retention row key -> (environment variable, result field(s) counted for it)
RETENTION_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "audit": (gdpr.ENV_AUDIT_DAYS, ("audit_entries",)),
    "survey": (gdpr.ENV_SURVEY_DAYS, ("survey_answers", "survey_participations")),
    "login": (gdpr.ENV_LOGIN_DAYS, ("login_attempts",)),
}
#: erasure summary fields shown in the confirmation step, in order
ERASE_COUNTS: tuple[str, ...] = (
    "login_attempts_deleted",
    "audit_entries_pseudonymised",
    "audit_values_replaced",
    "scenario_events_pseudonymised",
    "comments_kept",
    "scenarios_kept",
    "survey_answers_rekeyed",
    "survey_participations_deleted",
)


def register_frame(lang: str, settings: gdpr.RetentionSettings) -> pd.DataFrame:
    """The register of personal data as a table (columns :data:`gdpr.REGISTER_COLUMNS`)."""
    rows = gdpr.personal_data_register(lang, settings)
    return pd.DataFrame(rows, columns=list(gdpr.REGISTER_COLUMNS))


@dataclass(frozen=True)
class RetentionRow:
    """One retention setting in force and what the next maintenance run would delete."""

    key: str
    variable: str
    days: int | None
    cutoff: str | None
    due: int


def retention_overview(settings: gdpr.RetentionSettings) -> list[RetentionRow]:
    """The settings in force and the rows they would delete now (a dry run)."""
    with Session(state.get_engine()) as session:
        result = gdpr.apply_retention(
            session,
            datetime.now(UTC),
            settings.audit_days,
            settings.survey_answer_days,
            settings.login_attempt_days,
            dry_run=True,
        )
    days = {
        "audit": settings.audit_days,
        "survey": settings.survey_answer_days,
        "login": settings.login_attempt_days,
    }
    return [
        RetentionRow(
            key=key,
            variable=variable,
            days=days[key],
            cutoff=result.cutoffs[key],
            due=sum(getattr(result, name) for name in fields),
        )
        for key, (variable, fields) in RETENTION_ROWS.items()
    ]


def people() -> pd.DataFrame:
    """Accounts one may export or erase: ``username``, ``display_name``, ``erased``."""
    with Session(state.get_engine()) as session:
        rows = accounts.list_users(session)
    frame = pd.DataFrame(rows, columns=["username", "display_name", "email", "has_password"])
    erased = [
        gdpr.is_erased(
            SimpleNamespace(
                username=row["username"],
                display_name=row["display_name"],
                email=row["email"],
                password_hash="set" if row["has_password"] else None,
            )
        )
        for row in rows
    ]
    return frame.assign(erased=pd.Series(erased, index=frame.index, dtype=bool))[
        ["username", "display_name", "erased"]
    ]


def export_json(actor: SessionUser, username: str) -> bytes:
    """The export of ``username`` as UTF-8 JSON (audited)."""
    with Session(state.get_engine()) as session:
        try:
            data = gdpr.export_person(session, actor, username)
        except Exception:
            session.rollback()
            raise
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")


def export_file_name(username: str) -> str:
    """The download's file name."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in username)
    return f"skolbib-personuppgifter-{safe}.json"


def erase(actor: SessionUser, username: str, *, dry_run: bool) -> gdpr.ErasureSummary:
    """Erase ``username`` (or only work out what would change)."""
    with Session(state.get_engine()) as session:
        try:
            summary = gdpr.erase_person(session, actor, username, dry_run=dry_run)
        except Exception:
            session.rollback()
            raise
    if not dry_run:
        forget_cached_accounts()
        state.clear_data_caches()
    return summary
