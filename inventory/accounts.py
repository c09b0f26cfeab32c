"""Local accounts: argon2 password hashes, sign-in with throttling, user administration.

Passwords are hashed with argon2id (``argon2-cffi``) and never stored, logged or audited in
clear; the audit trail records a password change as the field ``password`` with ``***``.

Sign-in throttling uses the ``login_attempt`` table, so it holds across app processes:
:data:`MAX_FAILURES` failed attempts within :data:`WINDOW` lock the account name, and
separately the client address, for :data:`LOCKOUT`. A successful sign-in clears the failures
of its account (not of its address, or one valid account could unlock guessing at others).
Attempts made while locked are refused without checking the password and are not recorded,
so the lock ends :data:`LOCKOUT` after the failure that set it.

Every change to an account goes through a function here that checks
``inventory.permissions.require(actor, "users.manage")`` and writes an audit entry in the same
transaction. The command line acts as :data:`COMMAND_LINE` (someone with access to the database
is an administrator of it); the demo loader as :data:`DEMO_SETUP`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session

from inventory import audit, writes
from inventory.models import LoginAttempt, Municipality, Role, User
from inventory.permissions import require

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work per attempt
MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)
LOCKOUT = timedelta(minutes=5)
#: the one documented password of the demo accounts; refused for any other account
DEMO_PASSWORD = "skolbib-demo"
#: demo account name (= its role) -> display name
DEMO_ACCOUNTS: dict[str, str] = {
    Role.ADMIN.value: "Demo – administratör",
    Role.PROJECT_LEADER.value: "Demo – projektledare",
    Role.REFERENCE_GROUP.value: "Demo – referensgrupp",
    Role.MANAGER.value: "Demo – chef",
}
ROLES = tuple(role.value for role in Role)
USERNAME_PATTERN = re.compile(r"^[\w.@-]{1,254}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MASK = "***"
ENTITY = "app_user"

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 default parameters


@dataclass(frozen=True)
class SystemActor:
    """An actor without an account row (the command line, the demo loader)."""

    username: str
    role: Role = Role.ADMIN
    active: bool = True
    id: None = None


#: parentheses cannot occur in a username, so these never collide with an account
COMMAND_LINE = SystemActor("(kommandoraden)")
DEMO_SETUP = SystemActor("(exempeldata)")


# --------------------------------------------------------------------------- errors

MESSAGES: dict[str, dict[str, str]] = {
    "sv": {
        "username_invalid": (
            "ogiltigt användarnamn {value!r}: använd 1–254 bokstäver, siffror och . _ - @"
        ),
        "username_taken": "användaren {value!r} finns redan",
        "unknown_user": "användaren {value!r} finns inte",
        "unknown_role": "okänd roll {value!r}: välj en av {roles}",
        "display_name_invalid": "visningsnamnet måste ha 1–200 tecken",
        "email_invalid": "ogiltig e-postadress {value!r}",
        "email_taken": "e-postadressen {value!r} används redan av ett annat konto",
        "password_too_short": "lösenordet måste ha minst {minimum} tecken",
        "password_too_long": "lösenordet får ha högst {maximum} tecken",
        "password_is_demo": "exempeldatans demolösenord får inte användas för ett riktigt konto",
        "passwords_differ": "lösenorden stämmer inte överens",
        "no_sign_in": "ett konto utan lösenord behöver en e-postadress för enkel inloggning",
        "own_account": "du kan inte ändra roll på eller inaktivera ditt eget konto",
        "last_admin": "det måste finnas minst en aktiv administratör",
    },
    "en": {
        "username_invalid": ("invalid username {value!r}: use 1–254 letters, digits and . _ - @"),
        "username_taken": "the user {value!r} already exists",
        "unknown_user": "the user {value!r} does not exist",
        "unknown_role": "unknown role {value!r}: choose one of {roles}",
        "display_name_invalid": "the display name must have 1–200 characters",
        "email_invalid": "invalid e-mail address {value!r}",
        "email_taken": "the e-mail address {value!r} is already used by another account",
        "password_too_short": "the password must have at least {minimum} characters",
        "password_too_long": "the password may have at most {maximum} characters",
        "password_is_demo": "the demo data's password may not be used for a real account",
        "passwords_differ": "the passwords do not match",
        "no_sign_in": "an account without a password needs an e-mail address for single sign-on",
        "own_account": "you cannot change the role of, or deactivate, your own account",
        "last_admin": "there must be at least one active administrator",
    },
}


class AccountError(ValueError):
    """Bad input for an account change; nothing was written.

    ``code`` names the rule (a key of :data:`MESSAGES`), ``params`` fill its message.
    """

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(self.message("sv"))

    def message(self, lang: str = "sv") -> str:
        """The message in ``lang`` (``"sv"`` or ``"en"``)."""
        return MESSAGES[lang][self.code].format(**self.params)


# --------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (a string starting ``$argon2id$``)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (``False`` for no or a broken hash)."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("skolbib: no such account")


def check_password(password: str) -> None:
    """Raise :class:`AccountError` unless ``password`` may be used for an account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long", maximum=MAX_PASSWORD_LENGTH)
    if password == DEMO_PASSWORD:
        raise AccountError("password_is_demo")


# --------------------------------------------------------------------------- normalising


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stripped and lower-cased."""
    return username.strip().lower()


def parse_username(username: str) -> str:
    """The normalised ``username``; :class:`AccountError` unless it is a valid name."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError("username_invalid", value=username)
    return name


def parse_role(role: str | Role) -> Role:
    """``role`` as a :class:`Role`; :class:`AccountError` naming the roles otherwise."""
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise AccountError("unknown_role", value=str(role), roles=", ".join(ROLES)) from None


def _email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    value = email.strip().lower()
    if len(value) > 254 or not EMAIL_PATTERN.fullmatch(value):
        raise AccountError("email_invalid", value=email)
    return value


def _display_name(display_name: str | None, username: str) -> str:
    value = (display_name or "").strip() or username
    if len(value) > 200:
        raise AccountError("display_name_invalid")
    return value


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time skolbib stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else _utc(now)


# --------------------------------------------------------------------------- reading


def find_user(session: Session, username: str) -> User | None:
    """The account ``username`` (case-insensitive), active or not; ``None`` if there is none."""
    name = normalise_username(username)
    statement = sa.select(User).where(sa.func.lower(User.username) == name)
    return session.execute(statement).scalars().first()


def _existing(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccountError("unknown_user", value=username)
    return user


def user_for_email(session: Session, email: str | None) -> User | None:
    """The active account whose e-mail is ``email`` (case-insensitive): the single sign-on
    membership lookup. ``None`` when there is no such account or it is inactive."""
    if not email or not email.strip():
        return None
    value = email.strip().lower()
    statement = sa.select(User).where(sa.func.lower(User.email) == value, User.active)
    return session.execute(statement).scalars().first()


def account_count(session: Session) -> int:
    """How many accounts exist (active or not)."""
    return int(session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one())


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every account as plain values, ordered by username; never the password hash."""
    users = session.execute(sa.select(User).order_by(User.username)).scalars().all()
    return [
        {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "email": u.email,
            "role": Role(u.role).value,
            "active": bool(u.active),
            "has_password": bool(u.password_hash),
            "created_at": _utc_or_none(u.created_at),
            "last_login_at": _utc_or_none(u.last_login_at),
            "password_changed_at": _utc_or_none(u.password_changed_at),
        }
        for u in users
    ]


def is_demo_database(session: Session) -> bool:
    """Whether the database holds demo data only: at least one municipality, all fictional."""
    total, real = session.execute(
        sa.select(
            sa.func.count(Municipality.id),
            sa.func.count(Municipality.id).filter(Municipality.fictional.is_(False)),
        )
    ).one()
    return total > 0 and real == 0


# --------------------------------------------------------------------------- sign-in


class SignInStatus(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # wrong username or password: the message never says which
    LOCKED = "locked"
    INACTIVE = "inactive"  # right password, deactivated account
    DEMO_PASSWORD = "demo_password"  # the demo password on a database with real data


@dataclass(frozen=True)
class SignInResult:
    """What :func:`authenticate` decided; ``user`` only when ``status`` is ``OK``."""

    status: SignInStatus
    user: User | None = None
    locked_until: datetime | None = None

    def minutes_left(self, now: datetime | None = None) -> int:
        """Whole minutes (rounded up) until the lock ends; 0 when not locked."""
        if self.locked_until is None:
            return 0
        seconds = (self.locked_until - _now(now)).total_seconds()
        return max(0, math.ceil(seconds / 60))


def locked_until(
    failures: Iterable[datetime],
    *,
    limit: int = MAX_FAILURES,
    window: timedelta = WINDOW,
    lockout: timedelta = LOCKOUT,
) -> datetime | None:
    """When the lock set by these failed attempts ends, or ``None`` if they set none.

    Any ``limit`` failures within ``window`` (first to last) lock for ``lockout`` after the
    last of them; the latest such lock counts.
    """
    times = sorted(_utc(t) for t in failures)
    until = None
    for last in range(limit - 1, len(times)):
        if times[last] - times[last - limit + 1] <= window:
            until = times[last] + lockout
    return until


def _account_failures(session: Session, username: str, since: datetime) -> list[datetime]:
    """Failed attempts on ``username`` since ``since`` and after its last successful one."""
    last_success = session.execute(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.success
        )
    ).scalar_one()
    start = max(since, _utc(last_success)) if last_success is not None else since
    statement = sa.select(LoginAttempt.at).where(
        LoginAttempt.username == username,
        LoginAttempt.success.is_(False),
        LoginAttempt.at >= start,
    )
    return list(session.execute(statement).scalars())


def _address_failures(session: Session, client: str, since: datetime) -> list[datetime]:
    """Failed attempts from ``client`` since ``since`` (successes do not clear them)."""
    statement = sa.select(LoginAttempt.at).where(
        LoginAttempt.client == client,
        LoginAttempt.success.is_(False),
        LoginAttempt.at >= since,
    )
    return list(session.execute(statement).scalars())


def lock_status(
    session: Session, username: str, client: str, now: datetime | None = None
) -> datetime | None:
    """When the lock on ``username`` or on ``client`` ends (the later), or ``None``."""
    moment = _now(now)
    since = moment - WINDOW - LOCKOUT  # older failures can no longer hold a lock
    name, address = normalise_username(username)[:254], client[:100]
    ends = [
        locked_until(_account_failures(session, name, since)),
        locked_until(_address_failures(session, address, since)),
    ]
    active = [end for end in ends if end is not None and end > moment]
    return max(active) if active else None


def authenticate(
    session: Session,
    username: str,
    password: str,
    client: str,
    *,
    now: datetime | None = None,
) -> SignInResult:
    """Check a username and password, record the attempt, and commit.

    Parameters
    ----------
    username, password
        As typed (the username is case-insensitive).
    client
        The client's address (for per-address throttling).
    now
        The time of the attempt (default: the current time; tests pass a clock).
    """
    moment = _now(now)
    name, address = normalise_username(username)[:254], (client or "unknown")[:100]
    if not name or not password:
        return SignInResult(SignInStatus.INVALID)
    lock = lock_status(session, name, address, moment)
    if lock is not None:
        return SignInResult(SignInStatus.LOCKED, locked_until=lock)
    user = find_user(session, name)
    # the same work whether or not the account exists, so timing does not tell
    matches = verify_password(user.password_hash if user else _dummy_hash(), password)
    status = SignInStatus.INVALID
    if user is not None and matches and len(password) <= MAX_PASSWORD_LENGTH:
        if not user.active:
            status = SignInStatus.INACTIVE
        elif password == DEMO_PASSWORD and not is_demo_database(session):
            status = SignInStatus.DEMO_PASSWORD
        else:
            status = SignInStatus.OK
    session.add(
        LoginAttempt(at=moment, username=name, client=address, success=status is SignInStatus.OK)
    )
    if status is SignInStatus.OK:
        assert user is not None
        user.last_login_at = moment
        if _HASHER.check_needs_rehash(user.password_hash or ""):
            user.password_hash = hash_password(password)
        session.add(user)
    session.commit()
    if status is SignInStatus.OK:
        session.refresh(user)
        return SignInResult(status, user)
    return SignInResult(status)


def mark_signed_in(session: Session, user: User, now: datetime | None = None) -> None:
    """Note a sign-in made elsewhere (single sign-on) on the account, and commit."""
    user.last_login_at = _now(now)
    session.add(user)
    session.commit()


# --------------------------------------------------------------------------- administration


def _audit(session: Session, actor: Any, action: str, user: User, field_name: str, old, new):
    audit.record(session, actor, action, ENTITY, user.id, field=field_name, old=old, new=new)


def _active_admins(session: Session, excluding: int | None) -> int:
    statement = sa.select(sa.func.count()).where(User.role == Role.ADMIN, User.active)
    if excluding is not None:
        statement = statement.where(User.id != excluding)
    return int(session.execute(statement.select_from(User)).scalar_one())


def _not_own(actor: Any, user: User) -> None:
    if getattr(actor, "id", None) is not None and actor.id == user.id:
        raise AccountError("own_account")


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def create_user(
    session: Session,
    actor: Any,
    username: str,
    role: str | Role,
    *,
    password: str | None,
    display_name: str | None = None,
    email: str | None = None,
    commit: bool = True,
    now: datetime | None = None,
) -> User:
    """Create an account (audited). ``password=None`` makes a single sign-on account, which
    then needs an e-mail. Raises :class:`AccountError` on bad input, nothing written."""
    require(actor, "users.manage")
    name = parse_username(username)
    chosen = parse_role(role)
    address = _email(email)
    shown = _display_name(display_name, name)
    if password is None:
        if address is None:
            raise AccountError("no_sign_in")
    else:
        check_password(password)
    if find_user(session, name) is not None:
        raise AccountError("username_taken", value=name)
    if address is not None and _email_owner(session, address) is not None:
        raise AccountError("email_taken", value=address)
    moment = _now(now)
    user = writes.add(
        session,
        User,
        {
            "username": name,
            "display_name": shown,
            "email": address,
            "role": chosen,
            "password_hash": None if password is None else hash_password(password),
            "active": True,
            "created_at": moment,
            "password_changed_at": None if password is None else moment,
        },
    )
    for field_name, value in (
        ("username", name),
        ("display_name", shown),
        ("email", address),
        ("role", chosen),
        ("active", True),
        ("password", None if password is None else PASSWORD_MASK),
    ):
        _audit(session, actor, "create", user, field_name, None, value)
    _finish(session, commit)
    return user


def _email_owner(session: Session, email: str) -> User | None:
    statement = sa.select(User).where(sa.func.lower(User.email) == email)
    return session.execute(statement).scalars().first()


def set_role(
    session: Session, actor: Any, username: str, role: str | Role, *, commit: bool = True
) -> User:
    """Give ``username`` another role (audited); the last active admin keeps theirs."""
    require(actor, "users.manage")
    chosen = parse_role(role)
    user = _existing(session, username)
    if Role(user.role) == chosen:
        return user
    _not_own(actor, user)
    if Role(user.role) == Role.ADMIN and user.active and _active_admins(session, user.id) == 0:
        raise AccountError("last_admin")
    old = Role(user.role)
    user.role = chosen
    session.add(user)
    _audit(session, actor, "edit", user, "role", old, chosen)
    _finish(session, commit)
    return user


def set_active(
    session: Session, actor: Any, username: str, active: bool, *, commit: bool = True
) -> User:
    """Deactivate or reactivate ``username`` (audited). A deactivated account cannot sign in
    and its open sessions end at their next step."""
    require(actor, "users.manage")
    user = _existing(session, username)
    if bool(user.active) == active:
        return user
    _not_own(actor, user)
    if not active and Role(user.role) == Role.ADMIN and _active_admins(session, user.id) == 0:
        raise AccountError("last_admin")
    user.active = active
    session.add(user)
    _audit(session, actor, "edit", user, "active", not active, active)
    _finish(session, commit)
    return user


def reset_password(
    session: Session,
    actor: Any,
    username: str,
    password: str,
    *,
    commit: bool = True,
    now: datetime | None = None,
) -> User:
    """Set a new password for ``username`` (audited as ``***``, never the text or hash)."""
    require(actor, "users.manage")
    check_password(password)
    user = _existing(session, username)
    had = bool(user.password_hash)
    user.password_hash = hash_password(password)
    user.password_changed_at = _now(now)
    session.add(user)
    _audit(session, actor, "edit", user, "password", PASSWORD_MASK if had else None, PASSWORD_MASK)
    _finish(session, commit)
    return user


def set_details(
    session: Session,
    actor: Any,
    username: str,
    *,
    display_name: str | None,
    email: str | None,
    commit: bool = True,
) -> User:
    """Change the display name and the e-mail (the single sign-on key) of ``username``."""
    require(actor, "users.manage")
    user = _existing(session, username)
    shown = _display_name(display_name, user.username)
    address = _email(email)
    if address is not None:
        owner = _email_owner(session, address)
        if owner is not None and owner.id != user.id:
            raise AccountError("email_taken", value=address)
    if address is None and not user.password_hash:
        raise AccountError("no_sign_in")
    changes = {"display_name": shown, "email": address}
    for field_name, value in changes.items():
        old = getattr(user, field_name)
        if old != value:
            setattr(user, field_name, value)
            _audit(session, actor, "edit", user, field_name, old, value)
    session.add(user)
    _finish(session, commit)
    return user


# --------------------------------------------------------------------------- demo accounts


def ensure_demo_accounts(session: Session, *, commit: bool = True) -> list[str]:
    """Create the missing demo accounts (one per role, named after it, password
    :data:`DEMO_PASSWORD`) on a demo database; existing accounts are left as they are.

    Does nothing on a database with real data (:func:`is_demo_database`), so loading the
    demo beside real municipalities never adds accounts with a published password.

    Returns
    -------
    list of str
        The usernames created by this call.
    """
    if not is_demo_database(session):
        return []
    created = []
    for name, shown in DEMO_ACCOUNTS.items():
        if find_user(session, name) is not None:
            continue
        user = writes.add(
            session,
            User,
            {
                "username": name,
                "display_name": shown,
                "role": Role(name),
                "password_hash": hash_password(DEMO_PASSWORD),
                "active": True,
            },
        )
        for field_name, value in (("username", name), ("role", Role(name)), ("active", True)):
            _audit(session, DEMO_SETUP, "create", user, field_name, None, value)
        _audit(session, DEMO_SETUP, "create", user, "password", None, PASSWORD_MASK)
        created.append(name)
    _finish(session, commit)
    return created


def demo_sign_in_accounts(session: Session) -> Sequence[User]:
    """The active demo accounts of a demo database (empty on any other database)."""
    if not is_demo_database(session):
        return []
    statement = (
        sa.select(User)
        .where(sa.func.lower(User.username).in_(list(DEMO_ACCOUNTS)), User.active)
        .order_by(User.id)
    )
    found = {u.username: u for u in session.execute(statement).scalars()}
    return [found[name] for name in DEMO_ACCOUNTS if name in found]
