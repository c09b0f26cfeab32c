"""Personuppgifter / Personal data: the register, retention in force, a person's export and
erasure.

Layout and calls only: :mod:`app.services.privacy` opens the sessions, :mod:`inventory.gdpr`
checks ``users.manage``, audits and erases.
"""

import streamlit as st

from app import state
from app.i18n import current_language, fmt_int, t
from app.services import privacy as svc
from app.services.users import plain
from app.session import current_user
from inventory.gdpr import REGISTER_NOTES, GdprError, retention_settings
from inventory.permissions import PermissionDeniedError, can

FLASH_KEY = "privacy_flash"
EXPORT_KEY = "privacy_export"
ERASE_KEY = "privacy_erase"
ERRORS = (GdprError, PermissionDeniedError, *state.DATABASE_ERRORS)

lang = current_language()
user = current_user()
st.title(t("privacy.title"))
if not can(user, "users.manage"):
    st.error(t("privacy.no_permission"))
    st.stop()
st.caption(t("privacy.caption"))


def error_text(exc: Exception) -> str:
    if isinstance(exc, GdprError):
        return plain(exc.message(lang))  # the message quotes what was chosen
    if isinstance(exc, PermissionDeniedError):
        return t("privacy.no_permission")
    return t("privacy.database_error", reason=state.error_reason(exc))


flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

try:
    settings = retention_settings()
except GdprError as exc:
    st.error(t("privacy.setting_error", reason=plain(exc.message(lang))))
    st.stop()

with st.container(key="privacy_register"):
    st.header(t("privacy.register_heading"))
    register = svc.register_frame(lang, settings)
    # a data frame, not st.table: the wide register in a static table scrolls sideways in a
    # region the keyboard cannot reach (axe "scrollable-region-focusable", WCAG 2.1.1)
    st.dataframe(
        register.rename(columns={c: t(f"privacy.col.{c}") for c in register.columns}),
        hide_index=True,
        row_height=120,
    )
    for note in REGISTER_NOTES[lang]:
        st.caption(note)

with st.container(key="privacy_retention"):
    st.header(t("privacy.retention_heading"))
    try:
        rows = svc.retention_overview(settings)
    except state.DATABASE_ERRORS as exc:
        st.error(error_text(exc))
        st.stop()
    st.table(
        {
            t("privacy.col.what"): [t(f"privacy.retention.{r.key}") for r in rows],
            t("privacy.col.variable"): [r.variable for r in rows],
            t("privacy.col.days"): [
                t("privacy.forever") if r.days is None else fmt_int(r.days) for r in rows
            ],
            t("privacy.col.cutoff"): [(r.cutoff or "–")[:10] for r in rows],
            t("privacy.col.due"): [fmt_int(r.due) for r in rows],
        }
    )
    st.caption(t("privacy.retention_caption"))

try:
    people = svc.people()
except state.DATABASE_ERRORS as exc:
    st.error(error_text(exc))
    st.stop()
if people.empty:
    st.info(t("privacy.no_people"))
    st.stop()
names = dict(zip(people["username"], people["display_name"], strict=True))


def person_label(name: str) -> str:
    return f"{name} – {names[name]}"


with st.container(key="privacy_export_section", border=True):
    st.header(t("privacy.export_heading"))
    st.caption(t("privacy.export_caption"))
    chosen = st.selectbox(
        t("privacy.select_person"),
        list(people["username"]),
        key="privacy_export_person",
        format_func=person_label,
    )
    if st.button(t("privacy.export_prepare"), key="privacy_export_prepare"):
        try:
            data = svc.export_json(user, chosen)
        except ERRORS as exc:
            st.error(error_text(exc))
        else:
            st.session_state[EXPORT_KEY] = {"username": chosen, "data": data}
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared and prepared["username"] == chosen:
        st.success(t("privacy.export_ready", username=plain(chosen)))
        st.download_button(
            t("privacy.export_download"),
            data=prepared["data"],
            file_name=svc.export_file_name(chosen),
            mime="application/json",
            key="privacy_download",
            icon=":material/download:",
            on_click="ignore",
        )

erasable = [
    name
    for name, erased in zip(people["username"], people["erased"], strict=True)
    if not erased and name != getattr(user, "username", None)
]
with st.container(key="privacy_erase_section", border=True):
    st.header(t("privacy.erase_heading"))
    st.caption(t("privacy.erase_caption"))
    if not erasable:
        st.info(t("privacy.no_people"))
        st.stop()
    target = st.selectbox(
        t("privacy.select_person"), erasable, key="privacy_erase_person", format_func=person_label
    )
    if st.button(t("privacy.erase_preview"), key="privacy_erase_preview"):
        try:
            preview = svc.erase(user, target, dry_run=True)
        except ERRORS as exc:
            st.error(error_text(exc))
        else:
            st.session_state[ERASE_KEY] = {"username": target, "summary": preview}
    planned = st.session_state.get(ERASE_KEY)
    if planned and planned["username"] == target:
        summary = planned["summary"]
        st.markdown(t("privacy.erase_pseudonym", pseudonym=plain(summary.pseudonym)))
        st.table(
            {
                t("privacy.erase_what"): [t(f"privacy.erase.{f}") for f in svc.ERASE_COUNTS],
                t("privacy.erase_count"): [fmt_int(getattr(summary, f)) for f in svc.ERASE_COUNTS],
            }
        )
        if summary.mentions:
            st.warning(t("privacy.erase_mentions"))
            for place, keys in summary.mentions.items():
                st.text(t("privacy.erase_mention_row", place=place, rows=", ".join(keys)))
        typed = st.text_input(
            t("privacy.erase_confirm_label", username=plain(target)), key="privacy_erase_confirm"
        )
        if st.button(
            t("privacy.erase_submit"),
            key="privacy_erase_submit",
            type="primary",
            icon=":material/person_remove:",
        ):
            if typed.strip().lower() != target.lower():
                st.error(t("privacy.erase_mismatch"))
            else:
                try:
                    done = svc.erase(user, target, dry_run=False)
                except ERRORS as exc:
                    st.error(error_text(exc))
                else:
                    st.session_state.pop(ERASE_KEY, None)
                    st.session_state.pop(EXPORT_KEY, None)
                    for key in (
                        "privacy_erase_confirm",
                        "privacy_erase_person",
                        "privacy_export_person",
                    ):
                        st.session_state.pop(key, None)  # the account's name has changed
                    st.session_state[FLASH_KEY] = t(
                        "privacy.erased", username=plain(target), pseudonym=plain(done.pseudonym)
                    )
                    st.rerun()
