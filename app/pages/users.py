"""Användare / Users: list accounts, add one, change role, details, active flag and password.

Layout and calls only: every write goes through :mod:`app.services.users` to
:mod:`inventory.accounts`, which checks ``users.manage`` and writes the audit trail.
"""

import streamlit as st

from app import state
from app.i18n import current_language, t
from app.services import users as svc
from app.session import ROLES, current_user
from inventory.accounts import MIN_PASSWORD_LENGTH, AccountError
from inventory.permissions import PermissionDeniedError, can

FLASH_KEY = "users_flash"
WRITE_ERRORS = (AccountError, PermissionDeniedError, *state.DATABASE_ERRORS)

lang = current_language()
user = current_user()
st.title(t("users.title"))
if not can(user, "users.manage"):
    st.error(t("users.no_permission"))
    st.stop()
st.caption(t("users.caption"))


def role_label(role: str) -> str:
    return t(f"role.{role}")


def error_text(exc: Exception) -> str:
    if isinstance(exc, AccountError):
        return svc.plain(exc.message(lang))  # the message quotes what was typed
    if isinstance(exc, PermissionDeniedError):
        return t("users.no_permission")
    return t("users.database_error", reason=state.error_reason(exc))


def write(action, *args, done: str, **kwargs) -> None:
    """Run a service write; on success remember ``done`` and rerun (the table re-reads)."""
    try:
        action(user, *args, **kwargs)
    except WRITE_ERRORS as exc:
        st.error(error_text(exc))
        return
    st.session_state[FLASH_KEY] = done
    st.rerun()


flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

try:
    table = svc.users_frame()
except state.DATABASE_ERRORS as exc:
    st.error(t("users.database_error", reason=state.error_reason(exc)))
    st.stop()

with st.container(key="users_table"):
    st.header(t("users.table_heading"))
    shown = table.assign(role=table["role"].map(role_label))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "username": st.column_config.TextColumn(t("users.col.username")),
            "display_name": st.column_config.TextColumn(t("users.col.display_name")),
            "email": st.column_config.TextColumn(t("users.col.email")),
            "role": st.column_config.TextColumn(t("users.col.role")),
            "active": st.column_config.CheckboxColumn(t("users.col.active")),
            "has_password": st.column_config.CheckboxColumn(
                t("users.col.has_password"), help=t("users.col.has_password_help")
            ),
            "last_login_at": st.column_config.DatetimeColumn(
                t("users.col.last_login_at"), format="YYYY-MM-DD HH:mm"
            ),
            "created_at": st.column_config.DatetimeColumn(
                t("users.col.created_at"), format="YYYY-MM-DD HH:mm"
            ),
        },
    )

with st.container(key="users_add", border=True):
    st.header(t("users.add_heading"))
    with st.form("users_add_form", clear_on_submit=True):
        left, right = st.columns(2)
        username = left.text_input(t("users.field.username"), key="users_add_username")
        display_name = right.text_input(t("users.field.display_name"), key="users_add_display_name")
        email = left.text_input(
            t("users.field.email"), key="users_add_email", help=t("users.field.email_help")
        )
        role = right.selectbox(
            t("users.field.role"), ROLES, format_func=role_label, key="users_add_role"
        )
        password = left.text_input(
            t("users.field.password"),
            type="password",
            key="users_add_password",
            help=t("users.field.password_help", minimum=MIN_PASSWORD_LENGTH),
        )
        repeated = right.text_input(
            t("users.field.repeat"), type="password", key="users_add_repeat"
        )
        if st.form_submit_button(t("users.add_submit"), type="primary", key="users_add_submit"):
            write(
                svc.add_user,
                username,
                role,
                display_name=display_name,
                email=email,
                password=password,
                repeated=repeated,
                done=t("users.added", username=svc.plain(username.strip().lower())),
            )

if table.empty:
    st.stop()

with st.container(key="users_edit", border=True):
    st.header(t("users.edit_heading"))
    records = table.set_index("username")
    chosen = st.selectbox(
        t("users.select"),
        list(records.index),
        key="users_selected",
        format_func=lambda name: f"{name} – {records.loc[name, 'display_name']}",
    )
    row = records.loc[chosen]
    shown_name = svc.plain(chosen)

    with st.form("users_role_form"):
        new_role = st.selectbox(
            t("users.field.role"),
            ROLES,
            index=ROLES.index(row["role"]),
            format_func=role_label,
            key=f"users_role_{chosen}",
        )
        if st.form_submit_button(t("users.role_submit"), key="users_role_submit"):
            write(
                svc.set_role,
                chosen,
                new_role,
                done=t("users.role_changed", username=shown_name, role=role_label(new_role)),
            )

    with st.form("users_details_form"):
        new_name = st.text_input(
            t("users.field.display_name"), value=row["display_name"], key=f"users_name_{chosen}"
        )
        new_email = st.text_input(
            t("users.field.email"),
            value=row["email"] or "",
            key=f"users_email_{chosen}",
            help=t("users.field.email_help"),
        )
        if st.form_submit_button(t("users.details_submit"), key="users_details_submit"):
            write(
                svc.set_details,
                chosen,
                new_name,
                new_email,
                done=t("users.details_changed", username=shown_name),
            )

    if bool(row["active"]):
        if st.button(t("users.deactivate"), key="users_deactivate", icon=":material/block:"):
            write(svc.set_active, chosen, False, done=t("users.deactivated", username=shown_name))
    elif st.button(t("users.reactivate"), key="users_reactivate", icon=":material/undo:"):
        write(svc.set_active, chosen, True, done=t("users.reactivated", username=shown_name))

    with st.form("users_password_form", clear_on_submit=True):
        st.markdown(t("users.password_heading"))
        new_password = st.text_input(
            t("users.field.password"),
            type="password",
            key="users_new_password",
            help=t("users.field.password_help", minimum=MIN_PASSWORD_LENGTH),
        )
        new_repeated = st.text_input(
            t("users.field.repeat"), type="password", key="users_new_repeat"
        )
        if st.form_submit_button(t("users.password_submit"), key="users_password_submit"):
            write(
                svc.reset_password,
                chosen,
                new_password,
                new_repeated,
                done=t("users.password_reset", username=shown_name),
            )
