"""Local accounts on SQLite and PostgreSQL: hashing, sign-in, throttling, administration,
single sign-on lookup and the demo accounts. Results are read back with plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from inventory import accounts, writes
from inventory.accounts import (
    COMMAND_LINE,
    DEMO_PASSWORD,
    AccountError,
    SignInStatus,
    authenticate,
    create_user,
    ensure_demo_accounts,
    hash_password,
    locked_until,
    verify_password,
)
from inventory.models import Municipality
from inventory.permissions import PermissionDeniedError
from tests.inventory.factories import small_inventory

PASSWORD = "korrekt-häst-batteri"  # 20 characters
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def sql(session: Session, text: str, **params) -> list[tuple]:
    return [tuple(row) for row in session.execute(sa.text(text), params)]


def fictional(session: Session, code: str = "9901", real: bool = False) -> None:
    writes.add(
        session,
        Municipality,
        {
            "code": code,
            "name": f"K{code}",
            "county_code": "99",
            "county": "L",
            "fictional": not real,
        },
    )
    session.commit()


@pytest.fixture
def anna(session: Session):
    """One admin with a known password."""
    return create_user(session, COMMAND_LINE, "Anna", "admin", password=PASSWORD)


def sign_in(session, username="anna", password=PASSWORD, client="10.0.0.1", at=T0):
    return authenticate(session, username, password, client, now=at)


# --------------------------------------------------------------------------- hashing


def test_hash_is_argon2id_salted_and_verifies_only_the_right_password():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "x")
    assert not verify_password(first, "")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)


def test_password_rules():
    accounts.check_password("x" * 12)  # exactly the minimum is fine
    with pytest.raises(AccountError) as short:
        accounts.check_password("x" * 11)
    assert short.value.code == "password_too_short"
    assert "12" in str(short.value) and "12" in short.value.message("en")
    with pytest.raises(AccountError) as demo:
        accounts.check_password(DEMO_PASSWORD)
    assert demo.value.code == "password_is_demo"


# --------------------------------------------------------------------------- sign-in


def test_right_password_signs_in_and_is_recorded(session, anna):
    result = sign_in(session, username="  ANNA ")  # usernames are case-insensitive
    assert result.status is SignInStatus.OK and result.user.id == anna.id
    rows = sql(session, "SELECT username, client, success FROM login_attempt")
    assert rows == [("anna", "10.0.0.1", True)]
    (last_login,) = sql(session, "SELECT last_login_at FROM app_user")[0]
    assert last_login is not None


def test_wrong_password_and_unknown_user_are_the_same_failure(session, anna):
    wrong = sign_in(session, password="fel-lösenord-123")
    unknown = sign_in(session, username="bertil")
    assert wrong.status is unknown.status is SignInStatus.INVALID
    assert wrong.user is None and unknown.user is None
    rows = sql(session, "SELECT username, success FROM login_attempt ORDER BY id")
    assert rows == [("anna", False), ("bertil", False)]


def test_empty_input_is_invalid_without_a_record(session, anna):
    assert sign_in(session, password="").status is SignInStatus.INVALID
    assert sign_in(session, username=" ").status is SignInStatus.INVALID
    assert sql(session, "SELECT count(*) FROM login_attempt") == [(0,)]


def test_five_failures_lock_the_account_for_five_minutes(session, anna):
    # failures at 0, 1, 2, 3, 4 minutes, each from another address: the 5th (at 4) locks
    # the account until 4 + 5 = 9 minutes
    for i in range(5):
        assert sign_in(session, password="fel", client=f"10.0.1.{i}", at=minutes(i)).status is (
            SignInStatus.INVALID
        )
    locked = sign_in(session, client="10.0.2.1", at=minutes(4.5))  # the right password
    assert locked.status is SignInStatus.LOCKED
    assert locked.locked_until == minutes(9)
    assert locked.minutes_left(minutes(4.5)) == 5  # 4.5 minutes left, rounded up
    assert sign_in(session, client="10.0.2.1", at=minutes(8.99)).status is SignInStatus.LOCKED
    # refused attempts are not recorded, so they do not prolong the lock
    assert sql(session, "SELECT count(*) FROM login_attempt") == [(5,)]
    assert sign_in(session, client="10.0.2.1", at=minutes(9)).status is SignInStatus.OK


def test_failures_spread_over_more_than_five_minutes_do_not_lock(session, anna):
    # at 0, 2, 4, 6, 8 minutes: any five failures span 8 minutes > 5
    for i in range(5):
        sign_in(session, password="fel", client=f"10.0.1.{i}", at=minutes(2 * i))
    assert sign_in(session, at=minutes(8.5)).status is SignInStatus.OK


def test_a_success_clears_the_accounts_failures(session, anna):
    for i in range(4):
        sign_in(session, password="fel", client=f"10.0.1.{i}", at=minutes(i))
    assert sign_in(session, client="10.0.9.9", at=minutes(4)).status is SignInStatus.OK
    sign_in(session, password="fel", client="10.0.1.7", at=minutes(4.5))
    # five failures within five minutes, but only one since the success
    assert sign_in(session, client="10.0.9.9", at=minutes(4.6)).status is SignInStatus.OK


def test_five_failures_lock_the_address_for_every_account(session, anna):
    create_user(session, COMMAND_LINE, "bertil", "chef", password=PASSWORD)
    # a successful sign-in from the address does not clear its failures
    assert sign_in(session, username="bertil", client="192.0.2.7", at=minutes(0)).status is (
        SignInStatus.OK
    )
    for i, name in enumerate(["c1", "c2", "c3", "c4", "c5"]):
        sign_in(session, username=name, password="fel", client="192.0.2.7", at=minutes(1 + i / 2))
    # the 5th failure at 3 minutes locks the address until 8
    from_there = sign_in(session, client="192.0.2.7", at=minutes(3.5))
    assert from_there.status is SignInStatus.LOCKED and from_there.locked_until == minutes(8)
    assert sign_in(session, username="bertil", client="192.0.2.7", at=minutes(7)).status is (
        SignInStatus.LOCKED
    )
    assert sign_in(session, client="198.51.100.1", at=minutes(3.5)).status is SignInStatus.OK
    assert sign_in(session, client="192.0.2.7", at=minutes(8)).status is SignInStatus.OK


def test_locked_until_counts_any_five_within_the_window():
    assert locked_until([]) is None
    assert locked_until([minutes(i) for i in range(4)]) is None  # four are not enough
    # five failures spanning exactly five minutes lock (the window is inclusive)
    assert locked_until([minutes(0), minutes(1), minutes(2), minutes(3), minutes(5)]) == minutes(10)
    # 0..5 minutes apart by 1.25: the first five span 5 minutes → until 10; the last five
    # (1.25..6.25) span 5 → until 11.25, the later lock wins
    times = [minutes(1.25 * i) for i in range(6)]
    assert locked_until(times) == minutes(6.25 + 5)
    # naive datetimes (as SQLite returns them) are UTC
    naive = [minutes(i).replace(tzinfo=None) for i in range(5)]
    assert locked_until(naive) == minutes(9)


def test_inactive_account_cannot_sign_in(session, anna):
    create_user(session, COMMAND_LINE, "bertil", "chef", password=PASSWORD)
    accounts.set_active(session, COMMAND_LINE, "bertil", False)
    result = sign_in(session, username="bertil")
    assert result.status is SignInStatus.INACTIVE and result.user is None
    assert sql(session, "SELECT success FROM login_attempt") == [(False,)]
    accounts.set_active(session, COMMAND_LINE, "bertil", True)
    assert sign_in(session, username="bertil", at=minutes(1)).status is SignInStatus.OK


def test_demo_password_works_only_on_a_demo_database(session):
    fictional(session)
    assert ensure_demo_accounts(session) == ["admin", "projektledare", "referensgrupp", "chef"]
    assert sign_in(session, "chef", DEMO_PASSWORD).status is SignInStatus.OK
    fictional(session, "0180", real=True)  # real data arrives: no longer a demo database
    refused = sign_in(session, "chef", DEMO_PASSWORD, at=minutes(1))
    assert refused.status is SignInStatus.DEMO_PASSWORD and refused.user is None


# --------------------------------------------------------------------------- single sign-on


def test_sso_email_maps_to_the_active_account(session):
    user = create_user(
        session, COMMAND_LINE, "cecilia", "referensgrupp", password=None, email="Cecilia@Kommun.SE"
    )
    assert accounts.user_for_email(session, "cecilia@kommun.se").id == user.id
    assert accounts.user_for_email(session, " CECILIA@kommun.se ").id == user.id
    assert accounts.user_for_email(session, "okand@kommun.se") is None
    assert accounts.user_for_email(session, None) is None
    assert accounts.user_for_email(session, "") is None
    accounts.set_active(session, COMMAND_LINE, "cecilia", False)
    assert accounts.user_for_email(session, "cecilia@kommun.se") is None
    # an SSO-only account has no password to sign in with
    assert sign_in(session, "cecilia", PASSWORD).status is SignInStatus.INVALID


# --------------------------------------------------------------------------- administration


def test_create_user_rejects_bad_input_and_writes_nothing(session, anna):
    cases = [
        (("anna", "chef"), {"password": PASSWORD}, "username_taken"),
        (("ANNA", "chef"), {"password": PASSWORD}, "username_taken"),
        (("bo", "boss"), {"password": PASSWORD}, "unknown_role"),
        (("bo", "chef"), {"password": "elva-tecken"}, "password_too_short"),
        (("bo ss", "chef"), {"password": PASSWORD}, "username_invalid"),
        (("bo", "chef"), {"password": PASSWORD, "email": "inte-en-adress"}, "email_invalid"),
        (("bo", "chef"), {"password": None}, "no_sign_in"),
    ]
    create_user(session, COMMAND_LINE, "dora", "chef", password=PASSWORD, email="d@k.se")
    cases.append((("bo", "chef"), {"password": PASSWORD, "email": "D@K.se"}, "email_taken"))
    before = (
        sql(session, "SELECT count(*) FROM app_user"),
        sql(session, "SELECT count(*) FROM audit_entry"),
    )
    for args, kwargs, code in cases:
        with pytest.raises(AccountError) as error:
            create_user(session, COMMAND_LINE, *args, **kwargs)
        assert error.value.code == code, args
        session.rollback()
    after = (
        sql(session, "SELECT count(*) FROM app_user"),
        sql(session, "SELECT count(*) FROM audit_entry"),
    )
    assert after == before


def test_only_admins_manage_users(session, anna):
    chef = create_user(session, COMMAND_LINE, "bertil", "chef", password=PASSWORD)
    with pytest.raises(PermissionDeniedError):
        create_user(session, chef, "cilla", "chef", password=PASSWORD)
    with pytest.raises(PermissionDeniedError):
        accounts.set_role(session, chef, "bertil", "admin")
    with pytest.raises(PermissionDeniedError):
        accounts.reset_password(session, chef, "anna", "nytt-lösenord-1234")
    session.rollback()
    assert sql(session, "SELECT username, role FROM app_user ORDER BY username") == [
        ("anna", "admin"),
        ("bertil", "chef"),
    ]
    assert verify_password(
        sql(session, "SELECT password_hash FROM app_user WHERE username = 'anna'")[0][0], PASSWORD
    )


def test_role_and_active_changes_are_audited(session, anna):
    create_user(session, COMMAND_LINE, "bertil", "chef", password=PASSWORD)
    accounts.set_role(session, anna, "bertil", "projektledare")
    accounts.set_active(session, anna, "bertil", False)
    rows = sql(
        session,
        "SELECT username, action, field, old_value, new_value FROM audit_entry "
        "WHERE entity_id = :id AND action = 'edit' ORDER BY id",
        id=str(sql(session, "SELECT id FROM app_user WHERE username = 'bertil'")[0][0]),
    )
    assert rows == [
        ("anna", "edit", "role", "chef", "projektledare"),
        ("anna", "edit", "active", "true", "false"),
    ]
    assert sql(session, "SELECT role, active FROM app_user WHERE username = 'bertil'") == [
        ("projektledare", False)
    ]


def test_the_last_active_admin_and_ones_own_account_are_protected(session, anna):
    with pytest.raises(AccountError) as error:
        accounts.set_role(session, COMMAND_LINE, "anna", "chef")
    assert error.value.code == "last_admin"
    with pytest.raises(AccountError) as error:
        accounts.set_active(session, COMMAND_LINE, "anna", False)
    assert error.value.code == "last_admin"
    create_user(session, COMMAND_LINE, "bertil", "admin", password=PASSWORD)
    with pytest.raises(AccountError) as error:
        accounts.set_active(session, anna, "anna", False)
    assert error.value.code == "own_account"
    accounts.set_role(session, anna, "bertil", "chef")  # another admin: allowed
    with pytest.raises(AccountError) as error:
        accounts.set_role(session, COMMAND_LINE, "anna", "chef")
    assert error.value.code == "last_admin"
    session.rollback()
    assert sql(session, "SELECT username, role, active FROM app_user ORDER BY username") == [
        ("anna", "admin", True),
        ("bertil", "chef", True),
    ]


def test_password_reset_replaces_the_hash(session, anna):
    new = "ett-helt-nytt-lösenord"
    accounts.reset_password(session, COMMAND_LINE, "anna", new)
    assert sign_in(session).status is SignInStatus.INVALID
    assert sign_in(session, password=new, at=minutes(1)).status is SignInStatus.OK
    with pytest.raises(AccountError):
        accounts.reset_password(session, COMMAND_LINE, "anna", "kort")
    with pytest.raises(AccountError) as error:
        accounts.reset_password(session, COMMAND_LINE, "ingen", new)
    assert error.value.code == "unknown_user"


def test_passwords_appear_nowhere_in_the_database(session, anna):
    second = "andra-lösenordet-9876"
    accounts.reset_password(session, COMMAND_LINE, "anna", second)
    sign_in(session, password=PASSWORD)  # a failed attempt with the old password
    sign_in(session, password=second, at=minutes(1))
    (stored,) = sql(session, "SELECT password_hash FROM app_user")[0]
    assert stored.startswith("$argon2id$")
    dump = "\n".join(
        repr(row)
        for table in ("app_user", "audit_entry", "login_attempt")
        for row in sql(session, f"SELECT * FROM {table}")
    )
    assert PASSWORD not in dump and second not in dump
    # the audit never holds a hash either: only *** for the password field
    passwords = sql(
        session, "SELECT old_value, new_value FROM audit_entry WHERE field = 'password' ORDER BY id"
    )
    assert passwords == [(None, "***"), ("***", "***")]
    assert "$argon2" not in "".join(
        str(v) for row in sql(session, "SELECT * FROM audit_entry") for v in row
    )


def test_list_users_never_shows_a_hash(session, anna):
    rows = accounts.list_users(session)
    assert [r["username"] for r in rows] == ["anna"]
    assert "password_hash" not in rows[0] and rows[0]["has_password"] is True
    assert "$argon2" not in repr(rows)


def test_set_details_changes_name_and_sso_email(session, anna):
    create_user(session, COMMAND_LINE, "bertil", "chef", password=PASSWORD)
    accounts.set_details(session, anna, "bertil", display_name="Bertil B", email="B@K.se")
    assert sql(session, "SELECT display_name, email FROM app_user WHERE username = 'bertil'") == [
        ("Bertil B", "b@k.se")
    ]
    assert accounts.user_for_email(session, "b@k.se").username == "bertil"


# --------------------------------------------------------------------------- demo accounts


def test_demo_accounts_are_created_once_on_a_demo_database(session):
    fictional(session)
    fictional(session, "9902")
    assert ensure_demo_accounts(session) == ["admin", "projektledare", "referensgrupp", "chef"]
    assert ensure_demo_accounts(session) == []
    rows = sql(session, "SELECT username, role, active, password_hash FROM app_user ORDER BY id")
    assert [(u, r, a) for u, r, a, _ in rows] == [
        ("admin", "admin", True),
        ("projektledare", "projektledare", True),
        ("referensgrupp", "referensgrupp", True),
        ("chef", "chef", True),
    ]
    assert all(verify_password(h, DEMO_PASSWORD) for *_, h in rows)
    # an account the administrator changed is left alone by a later call
    accounts.set_role(session, COMMAND_LINE, "chef", "referensgrupp")
    assert ensure_demo_accounts(session) == []
    assert sql(session, "SELECT role FROM app_user WHERE username = 'chef'") == [("referensgrupp",)]


def test_no_demo_accounts_on_real_or_empty_databases(session):
    assert not accounts.is_demo_database(session)
    assert ensure_demo_accounts(session) == []  # empty database
    small_inventory(session)  # one fictional and one real municipality
    session.commit()
    assert not accounts.is_demo_database(session)
    assert ensure_demo_accounts(session) == []
    assert accounts.demo_sign_in_accounts(session) == []
    assert sql(session, "SELECT count(*) FROM app_user") == [(0,)]


def test_load_demo_adds_the_accounts_also_when_the_data_are_there(session):
    from inventory.demo import DEMO_MUNICIPALITY_CODE, load_demo

    fictional(session, DEMO_MUNICIPALITY_CODE)  # looks as if the demo were loaded already
    assert load_demo(session) == {"loaded": False, "counts": {}}
    assert [u.username for u in accounts.demo_sign_in_accounts(session)] == list(
        accounts.DEMO_ACCOUNTS
    )
