"""Personal data in skolbib: the register, a person's export, erasure and retention.

- :func:`personal_data_register` lists what personal data skolbib stores, where, why, on what
  legal basis, for how long and who sees it (Swedish and English).
- :func:`export_person` gathers everything stored about one account holder (GDPR art. 15).
- :func:`erase_person` removes or pseudonymises one person in one transaction (art. 17): the
  account becomes ``borttagen-<id>`` / "borttagen användare" without e-mail or password, the
  person's sign-in attempts are deleted, the audit trail and scenario history keep every action
  under the pseudonym, comments keep their text under "borttagen användare", answers to surveys
  that were not anonymous lose their link to the person, survey participations are deleted.
- :func:`apply_retention` deletes audit entries, survey answers and sign-in attempts older
  than the configured number of days (``skolbib maintenance``).

Export and erasure need ``users.manage`` and are themselves audited, without the erased
identity. Retention runs as the operator (no account: a timer runs it) and audits what it
deleted as :data:`MAINTENANCE`.
"""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from inventory import audit
from inventory.accounts import SystemActor, find_user
from inventory.models import (
    AuditEntry,
    Comment,
    LibrarySchool,
    LoginAttempt,
    Role,
    Scenario,
    ScenarioEvent,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    User,
)
from inventory.permissions import require

PERMISSION = "users.manage"
ENTITY = User.__tablename__
EXPORT_FORMAT = "skolbib-personal-data-export/1"
#: what an erased account is called, and shown as beside its comments
ERASED_DISPLAY_NAME = "borttagen användare"
ERASED_PREFIX = "borttagen-"
#: an erased e-mail address (or other identity value) in the audit trail
ERASED_VALUE = "(borttagen)"
#: the fields of an account whose values identify its holder
IDENTITY_FIELDS = ("username", "display_name", "email")
#: the retention run acts as this (parentheses never occur in a username)
MAINTENANCE = SystemActor("(underhåll)")
#: audit actions written here
ACTION_EXPORT, ACTION_ERASE, ACTION_RETENTION = "gdpr_export", "gdpr_erase", "retention"
#: search strings shorter than this are not looked for in free text (too many false hits)
MIN_MENTION_LENGTH = 3

ENV_AUDIT_DAYS = "SKOLBIB_RETENTION_AUDIT_DAYS"
ENV_SURVEY_DAYS = "SKOLBIB_RETENTION_SURVEY_DAYS"
ENV_LOGIN_DAYS = "SKOLBIB_RETENTION_LOGIN_DAYS"
DEFAULT_AUDIT_DAYS = 1825  # 5 years; the municipality's gallringsbeslut decides
DEFAULT_SURVEY_DAYS = 1095  # 3 years
DEFAULT_LOGIN_DAYS = 30


# --------------------------------------------------------------------------- errors

MESSAGES: dict[str, dict[str, str]] = {
    "sv": {
        "unknown_user": "kontot {value!r} finns inte",
        "own_account": "du kan inte radera personuppgifterna för ditt eget konto",
        "last_admin": "kontot är den sista aktiva administratören och kan inte raderas",
        "already_erased": "kontot {value!r} är redan raderat",
        "bad_setting": (
            "{name}={value!r}: ange ett helt antal dagar, 0 eller tomt för att spara tills vidare"
        ),
    },
    "en": {
        "unknown_user": "the account {value!r} does not exist",
        "own_account": "you cannot erase the personal data of your own account",
        "last_admin": "the account is the last active administrator and cannot be erased",
        "already_erased": "the account {value!r} is already erased",
        "bad_setting": "{name}={value!r}: give a whole number of days, 0 or empty to keep forever",
    },
}


class GdprError(ValueError):
    """A refused export, erasure or setting; nothing was written.

    ``code`` is a key of :data:`MESSAGES`; ``params`` fill the message.
    """

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(self.message("sv"))

    def message(self, lang: str = "sv") -> str:
        """The message in ``lang`` (``"sv"`` or ``"en"``)."""
        return MESSAGES[lang][self.code].format(**self.params)


# --------------------------------------------------------------------------- retention settings


@dataclass(frozen=True)
class RetentionSettings:
    """Days after which rows are deleted; ``None`` keeps them forever."""

    audit_days: int | None = DEFAULT_AUDIT_DAYS
    survey_answer_days: int | None = DEFAULT_SURVEY_DAYS
    login_attempt_days: int | None = DEFAULT_LOGIN_DAYS


def _days_setting(environ: Mapping[str, str], name: str, default: int) -> int | None:
    raw = environ.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if text in ("", "0"):
        return None
    try:
        days = int(text)
    except ValueError:
        raise GdprError("bad_setting", name=name, value=raw) from None
    if days < 0:
        raise GdprError("bad_setting", name=name, value=raw)
    return days or None


def retention_settings(environ: Mapping[str, str] | None = None) -> RetentionSettings:
    """The retention in force, from :data:`ENV_AUDIT_DAYS`, :data:`ENV_SURVEY_DAYS` and
    :data:`ENV_LOGIN_DAYS` (unset: the default; ``0`` or empty: keep forever).

    Raises
    ------
    GdprError
        ``bad_setting`` naming the variable and its value when it is not a whole number >= 0.
    """
    env = os.environ if environ is None else environ
    return RetentionSettings(
        audit_days=_days_setting(env, ENV_AUDIT_DAYS, DEFAULT_AUDIT_DAYS),
        survey_answer_days=_days_setting(env, ENV_SURVEY_DAYS, DEFAULT_SURVEY_DAYS),
        login_attempt_days=_days_setting(env, ENV_LOGIN_DAYS, DEFAULT_LOGIN_DAYS),
    )


def days_text(days: int | None, lang: str = "sv") -> str:
    """``"1825 dagar"`` / ``"1825 days"``, or that the rows are kept forever."""
    if days is None:
        return "sparas tills vidare" if lang == "sv" else "kept until further notice"
    return f"{days} dagar" if lang == "sv" else f"{days} days"


# --------------------------------------------------------------------------- the register

_LEGAL_BASIS = {
    "sv": (
        "Uppgift av allmänt intresse (GDPR art. 6.1 e, dataskyddslagen 2 kap. 2 §): kommunens "
        "ansvar för att eleverna har tillgång till skolbibliotek (skollagen 2 kap. 36 §)"
    ),
    "en": (
        "Task carried out in the public interest (GDPR art. 6(1)(e), Swedish Data Protection "
        "Act ch. 2 s. 2): the municipality's duty to give pupils access to a school library "
        "(Education Act ch. 2 s. 36)"
    ),
}


@dataclass(frozen=True)
class RegisterEntry:
    """One category of personal data. Texts are ``{"sv": ..., "en": ...}``; ``retention``
    may name ``{audit}``, ``{survey}`` or ``{login}`` (the days in force)."""

    key: str
    category: dict[str, str]
    stored_in: tuple[str, ...]
    purpose: dict[str, str]
    legal_basis: dict[str, str]
    retention: dict[str, str]
    visible_to: dict[str, str]


def _columns(table: str, names: str) -> tuple[str, ...]:
    return tuple(f"{table}.{name}" for name in names.split())


REGISTER: tuple[RegisterEntry, ...] = (
    RegisterEntry(
        "accounts",
        {"sv": "Användarkonton", "en": "User accounts"},
        _columns(
            "app_user",
            "username display_name email role password_hash active created_at last_login_at "
            "password_changed_at",
        ),
        {
            "sv": "Inloggning, behörighet och att visa vem som skrivit eller ändrat något. "
            "E-postadressen är nyckeln för enkel inloggning. Lösenord sparas bara som "
            "argon2id-hash.",
            "en": "Sign-in, permissions and showing who wrote or changed something. The e-mail "
            "address is the key for single sign-on. Passwords are stored only as an argon2id "
            "hash.",
        },
        _LEGAL_BASIS,
        {
            "sv": "Så länge kontot behövs. Ett konto som inte längre används inaktiveras och "
            "raderas sedan med skolbib gdpr erase (eller på sidan Personuppgifter).",
            "en": "As long as the account is needed. An account no longer used is deactivated "
            "and then erased with skolbib gdpr erase (or on the Personal data page).",
        },
        {
            "sv": "Administratörer (allt utom lösenordshashen, som ingen ser). Namnet visas för "
            "alla inloggade vid synpunkter och i scenariohistoriken.",
            "en": "Administrators (everything except the password hash, which nobody sees). The "
            "name is shown to everyone signed in beside comments and in scenario history.",
        },
    ),
    RegisterEntry(
        "login_attempts",
        {"sv": "Inloggningsförsök", "en": "Sign-in attempts"},
        _columns("login_attempt", "username client at success"),
        {
            "sv": "Spärr mot lösenordsgissning per konto och per klientadress (IP-adress).",
            "en": "Blocking password guessing per account and per client address (IP address).",
        },
        {
            "sv": "Uppgift av allmänt intresse (GDPR art. 6.1 e) och säkerhet i behandlingen "
            "(art. 32)",
            "en": "Task carried out in the public interest (GDPR art. 6(1)(e)) and security of "
            "processing (art. 32)",
        },
        {
            "sv": "Gallras efter {login} (SKOLBIB_RETENTION_LOGIN_DAYS) av skolbib maintenance.",
            "en": "Deleted after {login} (SKOLBIB_RETENTION_LOGIN_DAYS) by skolbib maintenance.",
        },
        {
            "sv": "Ingen i appen; bara den som driftar databasen.",
            "en": "Nobody in the app; only those who operate the database.",
        },
    ),
    RegisterEntry(
        "audit",
        {"sv": "Ändringslogg", "en": "Audit trail"},
        _columns(
            "audit_entry", "user_id username at action entity entity_id field old_value new_value"
        ),
        {
            "sv": "Spårbarhet: vem ändrade vad, när och från vad till vad (inventering, "
            "scenarier, synpunkter, enkäter, konton, export och radering av personuppgifter).",
            "en": "Traceability: who changed what, when, from what to what (inventory, "
            "scenarios, comments, surveys, accounts, export and erasure of personal data).",
        },
        {
            "sv": _LEGAL_BASIS["sv"] + "; ansvarsskyldighet (GDPR art. 5.2)",
            "en": _LEGAL_BASIS["en"] + "; accountability (GDPR art. 5(2))",
        },
        {
            "sv": "Gallras efter {audit} (SKOLBIB_RETENTION_AUDIT_DAYS) av skolbib maintenance. "
            "Kommunen sätter värdet efter sitt gallringsbeslut enligt arkivlagen (1990:782).",
            "en": "Deleted after {audit} (SKOLBIB_RETENTION_AUDIT_DAYS) by skolbib maintenance. "
            "The municipality sets the value from its disposal decision (gallringsbeslut) under "
            "the Archives Act (1990:782).",
        },
        {
            "sv": "Administratörer (audit.view).",
            "en": "Administrators (audit.view).",
        },
    ),
    RegisterEntry(
        "comments",
        {"sv": "Synpunkter", "en": "Comments"},
        _columns(
            "comment", "author_id author_role text created_at hidden_by_id hidden_reason hidden_at"
        ),
        {
            "sv": "Referensgruppens synpunkter på scenarier som är öppna för synpunkter, svar "
            "och moderering.",
            "en": "The reference group's comments on scenarios open for comment, replies and "
            "moderation.",
        },
        _LEGAL_BASIS,
        {
            "sv": "Så länge scenariot finns: synpunkter är beslutsunderlag. När en person raderas "
            "står synpunkten kvar med författaren ”borttagen användare”.",
            "en": "As long as the scenario exists: comments are decision material. When a "
            "person is erased the comment stays, by 'borttagen användare' (erased user).",
        },
        {
            "sv": "Alla inloggade roller som får se scenarier: text, namn och roll; dolda "
            "synpunkters text bara moderatorer.",
            "en": "Every signed-in role that may view scenarios: text, name and role; the text "
            "of hidden comments only moderators.",
        },
    ),
    RegisterEntry(
        "scenarios",
        {"sv": "Scenarier och beslut", "en": "Scenarios and decisions"},
        (
            *_columns("scenario", "author_id adopted_by_id adopted_at"),
            *_columns("scenario_event", "user_id username at note"),
        ),
        {
            "sv": "Vem som tog fram, öppnade för synpunkter, reviderade och fastställde ett "
            "planeringsunderlag.",
            "en": "Who drafted, opened for comment, revised and adopted a planning scenario.",
        },
        _LEGAL_BASIS,
        {
            "sv": "Så länge scenariot finns (beslutsunderlag). Vid radering står händelserna "
            "kvar under pseudonymen borttagen-<id>.",
            "en": "As long as the scenario exists (decision material). On erasure the events "
            "stay under the pseudonym borttagen-<id>.",
        },
        {
            "sv": "Alla inloggade roller som får se scenarier.",
            "en": "Every signed-in role that may view scenarios.",
        },
    ),
    RegisterEntry(
        "survey_participation",
        {"sv": "Enkätdeltagande", "en": "Survey participation"},
        (
            *_columns("survey_participation", "user_id survey_id answered_at"),
            *_columns("survey", "created_by_id"),
        ),
        {
            "sv": "Att varje konto svarar en gång på en enkät (att kontot svarat, inte vad), och "
            "vem som skapade enkäten.",
            "en": "That each account answers a survey once (that the account answered, not "
            "what), and who created the survey.",
        },
        _LEGAL_BASIS,
        {
            "sv": "Gallras med enkätens svar efter {survey} (SKOLBIB_RETENTION_SURVEY_DAYS), "
            "räknat från enkätens slutdatum, annars från 31 december enkätåret.",
            "en": "Deleted with the survey's answers after {survey} "
            "(SKOLBIB_RETENTION_SURVEY_DAYS), counted from the survey's closing date, else from "
            "31 December of the survey year.",
        },
        {
            "sv": "Projektledare och administratörer ser hur många som svarat, inte vilka.",
            "en": "Project leaders and administrators see how many answered, not who.",
        },
    ),
    RegisterEntry(
        "survey_answers",
        {"sv": "Enkätsvar", "en": "Survey answers"},
        _columns(
            "survey_answer", "respondent_key respondent_role school_id likert_value text_value"
        ),
        {
            "sv": "Uppföljning av skolbibliotekens kvalitet. Anonyma enkäter (standard) sparar "
            "en slumpad nyckel per svar och ingen koppling till kontot; enkäter som inte är "
            "anonyma nycklar svaren med kontots id. Importerade svar har pseudonyma nycklar ur "
            "filen. Fritextsvar innehåller det respondenten själv skriver.",
            "en": "Following up the quality of school libraries. Anonymous surveys (the default) "
            "store a random key per response and no link to the account; surveys that are not "
            "anonymous key the answers by the account's id. Imported answers carry pseudonymous "
            "keys from the file. Free-text answers hold what the respondent wrote.",
        },
        _LEGAL_BASIS,
        {
            "sv": "Gallras efter {survey} (SKOLBIB_RETENTION_SURVEY_DAYS), räknat från "
            "enkätens slutdatum, annars från 31 december enkätåret.",
            "en": "Deleted after {survey} (SKOLBIB_RETENTION_SURVEY_DAYS), counted from the "
            "survey's closing date, else from 31 December of the survey year.",
        },
        {
            "sv": "Projektledare och administratörer: resultat per grupp med tillräckligt många "
            "svarande, aldrig vem som svarat vad i en anonym enkät.",
            "en": "Project leaders and administrators: results per group with enough "
            "respondents, never who answered what in an anonymous survey.",
        },
    ),
)

#: what the register does not list, and why
REGISTER_NOTES: dict[str, tuple[str, ...]] = {
    "sv": (
        "Om elever sparar skolbib inga personuppgifter: elevantal och skolresultat är "
        "Skolverkets sammanräknade uppgifter per skolenhet.",
        "Fritext (synpunkter, anteckningar, fritextsvar) sparas som den skrevs och kan nämna "
        "personer; vid radering visas var en persons namn fortfarande förekommer, så att det "
        "kan granskas.",
        "Personuppgiftsansvarig är kommunen (nämnden) som använder skolbib.",
    ),
    "en": (
        "skolbib stores no personal data about pupils: pupil numbers and school results are "
        "Skolverket's aggregated figures per school unit.",
        "Free text (comments, notes, free-text answers) is stored as written and may name "
        "people; erasure lists where a person's name still occurs, so it can be reviewed.",
        "The controller is the municipality (its committee) that uses skolbib.",
    ),
}

REGISTER_COLUMNS = ("category", "stored_in", "purpose", "legal_basis", "retention", "visible_to")


def personal_data_register(
    lang: str = "sv", settings: RetentionSettings | None = None
) -> list[dict[str, str]]:
    """The register of personal data, one row per category.

    Parameters
    ----------
    lang
        ``"sv"`` or ``"en"``.
    settings
        The retention in force (default: :func:`retention_settings` of the environment), named
        in the ``retention`` texts.

    Returns
    -------
    list of dict
        Keys :data:`REGISTER_COLUMNS`; ``stored_in`` lists ``table.column`` separated by ", ".
    """
    if lang not in ("sv", "en"):
        raise ValueError(f"unknown language {lang!r}; expected 'sv' or 'en'")
    chosen = retention_settings() if settings is None else settings
    days = {
        "audit": days_text(chosen.audit_days, lang),
        "survey": days_text(chosen.survey_answer_days, lang),
        "login": days_text(chosen.login_attempt_days, lang),
    }
    return [
        {
            "category": entry.category[lang],
            "stored_in": ", ".join(entry.stored_in),
            "purpose": entry.purpose[lang],
            "legal_basis": entry.legal_basis[lang],
            "retention": entry.retention[lang].format(**days),
            "visible_to": entry.visible_to[lang],
        }
        for entry in REGISTER
    ]


# --------------------------------------------------------------------------- helpers


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time skolbib stores is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: Any) -> Any:
    """A stored value as a JSON value: times in UTC ISO 8601, codes rather than enum names."""
    if isinstance(value, datetime):
        return _utc(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _plain(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _iso(getattr(row, name)) for name in names}


def _person(session: Session, username: str) -> User:
    user = find_user(session, username) if username and username.strip() else None
    if user is None:
        raise GdprError("unknown_user", value=username)
    return user


def is_erased(user: Any) -> bool:
    """Whether the account ``user`` has been erased by :func:`erase_person`."""
    return (
        str(user.username).startswith(ERASED_PREFIX)
        and user.display_name == ERASED_DISPLAY_NAME
        and user.email is None
        and not user.password_hash
    )


def _by_person(column_id: Any, column_name: Any, user_id: int, username: str) -> Any:
    """Rows recorded by the person: their account id, or (no id) their username."""
    return sa.or_(
        column_id == user_id,
        sa.and_(column_id.is_(None), sa.func.lower(column_name) == username.lower()),
    )


def _answer_key(user_id: int) -> str:
    """The respondent key of a survey that is not anonymous (``inventory.survey_service``)."""
    return f"user-{user_id}"


# --------------------------------------------------------------------------- export

_ACCOUNT_FIELDS = (
    "id",
    "username",
    "display_name",
    "email",
    "role",
    "active",
    "created_at",
    "last_login_at",
    "password_changed_at",
)
_AUDIT_FIELDS = (
    "id",
    "at",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
)


def _rows(session: Session, statement: Any) -> list[Any]:
    return list(session.execute(statement).scalars())


def export_person(
    session: Session, actor: Any, username: str, *, commit: bool = True
) -> dict[str, Any]:
    """Everything skolbib stores about the account holder ``username``, as plain JSON values.

    The password hash is never exported (``account.has_password_hash`` says whether one is
    stored). Answers are included for surveys that are not anonymous only: an anonymous answer
    has no link to the person. The export is audited (action ``gdpr_export`` on the account).

    Raises
    ------
    PermissionDeniedError
        ``actor`` may not ``users.manage`` (checked first).
    GdprError
        ``unknown_user``.
    """
    require(actor, PERMISSION)
    user = _person(session, username)
    uid, name = int(user.id), user.username  # type: ignore[arg-type]
    account = _plain(user, _ACCOUNT_FIELDS)
    account["has_password_hash"] = bool(user.password_hash)

    attempts = _rows(
        session,
        sa.select(LoginAttempt)
        .where(sa.func.lower(LoginAttempt.username) == name.lower())
        .order_by(LoginAttempt.at, LoginAttempt.id),
    )
    by = _rows(
        session,
        sa.select(AuditEntry)
        .where(_by_person(AuditEntry.user_id, AuditEntry.username, uid, name))
        .order_by(AuditEntry.at, AuditEntry.id),
    )
    about = _rows(
        session,
        sa.select(AuditEntry)
        .where(AuditEntry.entity == ENTITY, AuditEntry.entity_id == str(uid))
        .order_by(AuditEntry.at, AuditEntry.id),
    )
    comments = session.execute(
        sa.select(Comment, Scenario.name)
        .join(Scenario, Scenario.id == Comment.scenario_id)
        .where(Comment.author_id == uid)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    hidden = _rows(
        session,
        sa.select(Comment).where(Comment.hidden_by_id == uid).order_by(Comment.id),
    )
    events = session.execute(
        sa.select(ScenarioEvent, Scenario.name)
        .join(Scenario, Scenario.id == ScenarioEvent.scenario_id)
        .where(_by_person(ScenarioEvent.user_id, ScenarioEvent.username, uid, name))
        .order_by(ScenarioEvent.at, ScenarioEvent.id)
    ).all()
    authored = _rows(
        session, sa.select(Scenario).where(Scenario.author_id == uid).order_by(Scenario.id)
    )
    adopted = _rows(
        session, sa.select(Scenario).where(Scenario.adopted_by_id == uid).order_by(Scenario.id)
    )
    created_surveys = _rows(
        session, sa.select(Survey).where(Survey.created_by_id == uid).order_by(Survey.id)
    )
    participations = session.execute(
        sa.select(SurveyParticipation, Survey)
        .join(Survey, Survey.id == SurveyParticipation.survey_id)
        .where(SurveyParticipation.user_id == uid)
        .order_by(SurveyParticipation.answered_at, SurveyParticipation.id)
    ).all()
    answers = session.execute(
        sa.select(SurveyAnswer, SurveyQuestion, Survey)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(Survey.anonymous.is_(False), SurveyAnswer.respondent_key == _answer_key(uid))
        .order_by(SurveyAnswer.survey_id, SurveyAnswer.question_id, SurveyAnswer.id)
    ).all()

    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "exported_by": audit.actor_name(actor),
        "account": account,
        "login_attempts": [_plain(a, ("at", "client", "success")) for a in attempts],
        "audit_entries_by_person": [_plain(e, _AUDIT_FIELDS) for e in by],
        "audit_entries_about_account": [_plain(e, _AUDIT_FIELDS) for e in about],
        "comments_written": [
            {
                **_plain(
                    c,
                    (
                        "id",
                        "scenario_id",
                        "scenario_version",
                        "school_id",
                        "reply_to_id",
                        "author_role",
                        "status",
                        "text",
                        "created_at",
                        "hidden_reason",
                        "hidden_at",
                    ),
                ),
                "scenario_name": scenario_name,
                "hidden": c.hidden_at is not None or c.hidden_by_id is not None,
            }
            for c, scenario_name in comments
        ],
        "comments_hidden_as_moderator": [
            _plain(c, ("id", "scenario_id", "hidden_reason", "hidden_at")) for c in hidden
        ],
        "scenario_events": [
            {
                **_plain(
                    e,
                    ("id", "scenario_id", "at", "from_status", "to_status", "version", "note"),
                ),
                "scenario_name": scenario_name,
            }
            for e, scenario_name in events
        ],
        "scenarios_authored": [
            _plain(s, ("id", "name", "version", "status", "created_at")) for s in authored
        ],
        "scenarios_adopted": [_plain(s, ("id", "name", "version", "adopted_at")) for s in adopted],
        "surveys_created": [_plain(s, ("id", "title", "year")) for s in created_surveys],
        "survey_participations": [
            {
                **_plain(p, ("survey_id", "answered_at")),
                "survey_title": s.title,
                "survey_year": s.year,
                "anonymous": bool(s.anonymous),
            }
            for p, s in participations
        ],
        "survey_answers": [
            {
                **_plain(
                    a,
                    ("survey_id", "respondent_role", "school_id", "likert_value", "text_value"),
                ),
                "survey_title": s.title,
                "question_code": q.code,
                "question_text_sv": q.text_sv,
            }
            for a, q, s in answers
        ],
        "notes": {
            "password": "a password hash is stored"
            if user.password_hash
            else "no password hash is stored",
            "anonymous_surveys": "answers to anonymous surveys are not linked to the person "
            "and cannot be included",
        },
    }
    audit.record(session, actor, ACTION_EXPORT, ENTITY, uid)
    if commit:
        session.commit()
    else:
        session.flush()
    return data


# --------------------------------------------------------------------------- erasure

#: free-text columns that may still mention a person after erasure (a review list)
FREE_TEXT_COLUMNS: tuple[Any, ...] = (
    Comment.text,
    Comment.hidden_reason,
    ScenarioEvent.note,
    SurveyAnswer.text_value,
    AuditEntry.old_value,
    AuditEntry.new_value,
    LibrarySchool.special_reasons,
)


@dataclass(frozen=True)
class ErasureSummary:
    """What :func:`erase_person` changed (or, when ``applied`` is False, would change).

    ``mentions`` maps ``table.column`` of free text to the row keys that still contain the
    person's username, display name or e-mail (current or earlier, from the audit trail) after
    the erasure: to be reviewed by hand.
    """

    user_id: int
    pseudonym: str
    login_attempts_deleted: int
    audit_entries_pseudonymised: int
    audit_values_replaced: int
    scenario_events_pseudonymised: int
    comments_kept: int
    scenarios_kept: int
    survey_answers_rekeyed: int
    survey_participations_deleted: int
    mentions: dict[str, list[str]] = field(default_factory=dict)
    applied: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _free_pseudonym(session: Session, user_id: int) -> str:
    base = f"{ERASED_PREFIX}{user_id}"
    candidate, number = base, 1
    while True:
        owner = find_user(session, candidate)
        if owner is None or owner.id == user_id:
            return candidate
        number += 1
        candidate = f"{base}-{number}"


def _mentions(session: Session, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for column in FREE_TEXT_COLUMNS:
        table = column.table
        keys = list(table.primary_key.columns)
        condition = sa.or_(*(sa.func.lower(column).contains(n, autoescape=True) for n in needles))
        rows = session.execute(sa.select(*keys).where(condition).order_by(*keys)).all()
        if rows:
            found[f"{table.name}.{column.name}"] = ["/".join(str(v) for v in row) for row in rows]
    return found


def _active_admins_besides(session: Session, user_id: int) -> int:
    statement = (
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active, User.id != user_id)
    )
    return int(session.execute(statement).scalar_one())


def _replacement(field_name: str, pseudonym: str) -> str:
    return {"username": pseudonym, "display_name": ERASED_DISPLAY_NAME}.get(
        field_name, ERASED_VALUE
    )


def _erase(session: Session, actor: Any, user: User) -> ErasureSummary:
    uid, old_name = int(user.id), user.username  # type: ignore[arg-type]
    identity = [old_name, user.display_name, user.email or ""]
    pseudonym = _free_pseudonym(session, uid)
    quiet = {"synchronize_session": False}

    attempts = session.execute(
        sa.delete(LoginAttempt)
        .where(sa.func.lower(LoginAttempt.username) == old_name.lower())
        .execution_options(**quiet)
    ).rowcount
    by_person = session.execute(
        sa.update(AuditEntry)
        .where(_by_person(AuditEntry.user_id, AuditEntry.username, uid, old_name))
        .values(username=pseudonym)
        .execution_options(**quiet)
    ).rowcount
    replaced = 0
    about = session.execute(
        sa.select(AuditEntry).where(
            AuditEntry.entity == ENTITY,
            AuditEntry.entity_id == str(uid),
            AuditEntry.field.in_(IDENTITY_FIELDS),
        )
    ).scalars()
    for entry in about:
        value = _replacement(str(entry.field), pseudonym)
        for side in ("old_value", "new_value"):
            if getattr(entry, side) is not None:
                identity.append(getattr(entry, side))  # earlier names and addresses too
                setattr(entry, side, value)
                replaced += 1
        session.add(entry)
    events = session.execute(
        sa.update(ScenarioEvent)
        .where(_by_person(ScenarioEvent.user_id, ScenarioEvent.username, uid, old_name))
        .values(username=pseudonym)
        .execution_options(**quiet)
    ).rowcount

    rekeyed = 0
    surveys = session.execute(
        sa.select(SurveyAnswer.survey_id)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(Survey.anonymous.is_(False), SurveyAnswer.respondent_key == _answer_key(uid))
        .distinct()
    ).scalars()
    for survey_id in list(surveys):
        # one new key per survey: the person's answers stay one (unknown) respondent
        rekeyed += session.execute(
            sa.update(SurveyAnswer)
            .where(
                SurveyAnswer.survey_id == survey_id,
                SurveyAnswer.respondent_key == _answer_key(uid),
            )
            .values(respondent_key=secrets.token_hex(16))
            .execution_options(**quiet)
        ).rowcount
    participations = session.execute(
        sa.delete(SurveyParticipation)
        .where(SurveyParticipation.user_id == uid)
        .execution_options(**quiet)
    ).rowcount

    comments = session.execute(
        sa.select(sa.func.count(Comment.id)).where(Comment.author_id == uid)
    ).scalar_one()
    scenarios = session.execute(
        sa.select(sa.func.count(Scenario.id)).where(
            sa.or_(Scenario.author_id == uid, Scenario.adopted_by_id == uid)
        )
    ).scalar_one()

    user.username = pseudonym
    user.display_name = ERASED_DISPLAY_NAME
    user.email = None
    user.password_hash = None
    user.active = False
    user.last_login_at = None
    user.password_changed_at = None
    session.add(user)
    session.flush()
    # that an erasure happened, by whom, of which account id: never the erased identity
    audit.record(session, actor, ACTION_ERASE, ENTITY, uid, field="username", new=pseudonym)

    needles = sorted({v.lower() for v in identity if len(v) >= MIN_MENTION_LENGTH})
    return ErasureSummary(
        user_id=uid,
        pseudonym=pseudonym,
        login_attempts_deleted=max(attempts, 0),
        audit_entries_pseudonymised=max(by_person, 0),
        audit_values_replaced=replaced,
        scenario_events_pseudonymised=max(events, 0),
        comments_kept=int(comments),
        scenarios_kept=int(scenarios),
        survey_answers_rekeyed=rekeyed,
        survey_participations_deleted=max(participations, 0),
        mentions=_mentions(session, needles) if needles else {},
    )


def erase_person(
    session: Session,
    actor: Any,
    username: str,
    *,
    dry_run: bool = False,
    commit: bool = True,
) -> ErasureSummary:
    """Erase the account holder ``username`` in one transaction (see the module doc).

    Parameters
    ----------
    actor
        Who erases (needs ``users.manage``; not the account itself).
    dry_run
        Work out the summary and undo everything (``applied`` is False).
    commit
        Commit the transaction (else it is flushed and the caller commits).

    Raises
    ------
    PermissionDeniedError
        Checked first.
    GdprError
        ``unknown_user``, ``already_erased``, ``own_account`` or ``last_admin``; nothing
        was changed.
    """
    require(actor, PERMISSION)
    user = _person(session, username)
    if is_erased(user):
        raise GdprError("already_erased", value=user.username)
    if audit.actor_id(actor) == user.id:
        raise GdprError("own_account")
    uid = int(user.id)  # type: ignore[arg-type]
    if Role(user.role) == Role.ADMIN and user.active and _active_admins_besides(session, uid) == 0:
        raise GdprError("last_admin")
    savepoint = session.begin_nested()
    try:
        summary = _erase(session, actor, user)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        session.expire_all()
        return ErasureSummary(**{**summary.to_dict(), "applied": False})
    savepoint.commit()
    if commit:
        session.commit()
    return summary


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionResult:
    """Rows deleted (or, with ``dry_run``, that would be) and the cut-offs used.

    ``cutoffs`` maps ``audit``, ``survey`` and ``login`` to the ISO time (date for surveys)
    before which rows go, or ``None`` where they are kept forever.
    """

    audit_entries: int
    survey_answers: int
    survey_participations: int
    login_attempts: int
    cutoffs: dict[str, str | None]
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def survey_reference_date(closes_on: date | None, year: int) -> date:
    """The day a survey's answers start to age: its closing date, else 31 December of its
    year."""
    return closes_on if closes_on is not None else date(int(year), 12, 31)


def _expired_surveys(session: Session, cutoff: date) -> list[int]:
    rows = session.execute(sa.select(Survey.id, Survey.closes_on, Survey.year)).all()
    return sorted(sid for sid, closes, year in rows if survey_reference_date(closes, year) < cutoff)


def _count_or_delete(session: Session, model: Any, condition: Any, dry_run: bool) -> int:
    if dry_run:
        statement = sa.select(sa.func.count()).select_from(model).where(condition)
        return int(session.execute(statement).scalar_one())
    result = session.execute(
        sa.delete(model).where(condition).execution_options(synchronize_session=False)
    )
    return max(result.rowcount, 0)


def apply_retention(
    session: Session,
    now: datetime,
    audit_days: int | None,
    survey_answer_days: int | None,
    login_attempt_days: int | None,
    *,
    dry_run: bool = False,
    commit: bool = True,
    actor: Any = MAINTENANCE,
) -> RetentionResult:
    """Delete the rows older than the retention limits; ``None`` (or 0) keeps rows forever.

    - audit entries whose ``at`` is more than ``audit_days`` days before ``now``;
    - the answers and participations of surveys whose reference date
      (:func:`survey_reference_date`: closing date, else 31 December of the survey year) is
      more than ``survey_answer_days`` days before ``now``'s date; the surveys and questions
      stay;
    - sign-in attempts more than ``login_attempt_days`` days old.

    A row exactly at the limit is kept. Each kind of row deleted gets one audit entry
    (action ``retention``, the table, the number deleted) by ``actor``, written after the
    deletion so it is never deleted by the same run. One transaction.
    """
    moment = _utc(now)
    assert moment is not None
    cutoffs: dict[str, str | None] = {"audit": None, "survey": None, "login": None}
    counts = {"audit_entry": 0, "survey_answer": 0, "survey_participation": 0, "login_attempt": 0}
    if audit_days:
        limit = moment - timedelta(days=audit_days)
        cutoffs["audit"] = limit.isoformat()
        counts["audit_entry"] = _count_or_delete(
            session, AuditEntry, AuditEntry.at < limit, dry_run
        )
    if survey_answer_days:
        limit_day = moment.date() - timedelta(days=survey_answer_days)
        cutoffs["survey"] = limit_day.isoformat()
        expired = _expired_surveys(session, limit_day)
        if expired:
            counts["survey_answer"] = _count_or_delete(
                session, SurveyAnswer, SurveyAnswer.survey_id.in_(expired), dry_run
            )
            counts["survey_participation"] = _count_or_delete(
                session,
                SurveyParticipation,
                SurveyParticipation.survey_id.in_(expired),
                dry_run,
            )
    if login_attempt_days:
        limit = moment - timedelta(days=login_attempt_days)
        cutoffs["login"] = limit.isoformat()
        counts["login_attempt"] = _count_or_delete(
            session, LoginAttempt, LoginAttempt.at < limit, dry_run
        )
    if not dry_run:
        for table, deleted in counts.items():
            if deleted:
                audit.record(
                    session,
                    actor,
                    ACTION_RETENTION,
                    table,
                    None,
                    field="deleted",
                    new=deleted,
                    at=moment,
                )
        if commit:
            session.commit()
        else:
            session.flush()
    return RetentionResult(
        audit_entries=counts["audit_entry"],
        survey_answers=counts["survey_answer"],
        survey_participations=counts["survey_participation"],
        login_attempts=counts["login_attempt"],
        cutoffs=cutoffs,
        dry_run=dry_run,
    )
