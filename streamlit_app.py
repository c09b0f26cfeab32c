"""skolbib web app: page setup, language switch, sign-in, and the role-gated navigation."""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from app import state
from app.components.synced import synced_widget
from app.i18n import LANGUAGE_NAMES, LANGUAGES, STATE_KEY, current_language, t
from app.navigation import visible_pages
from app.services import users as users_svc
from app.session import (
    NOTICE_KEY,
    VIA_DEMO,
    client_address,
    current_user,
    demo_accounts,
    revalidate,
    sign_in,
    sign_out,
    sso_providers,
    sso_without_access,
)
from inventory.accounts import DEMO_PASSWORD, MIN_PASSWORD_LENGTH, SignInStatus

PASSWORD_KEY = "signin_password"
CLEAR_KEY = "signin_clear"  # empty the password field at the start of the next run
FAILURE_KEY = "signin_failure"  # the message of the failed attempt, shown after the rerun

st.set_page_config(page_title="skolbib", page_icon="📚", layout="wide")


def language_switch() -> None:
    st.segmented_control(
        t("app.language"),
        LANGUAGES,
        format_func=LANGUAGE_NAMES.get,
        key=STATE_KEY,
        required=True,
    )


def sso_buttons() -> None:
    """One button per configured identity provider (``[auth]`` in the secrets)."""
    for provider in sso_providers():
        label = t("accounts.sso.button") if provider is None else provider
        if st.button(label, key=f"signin_sso_{provider or 'default'}", icon=":material/key:"):
            try:
                st.login(provider)
            except StreamlitAPIException as exc:
                st.error(t("accounts.sso.unavailable", reason=str(exc)))


def sign_in_page() -> None:
    """The only page shown to someone not signed in."""
    if st.session_state.pop(CLEAR_KEY, False):
        st.session_state[PASSWORD_KEY] = ""
    st.title(t("accounts.signin.title"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(f"accounts.notice.{notice}"), icon=":material/info:")
    email = sso_without_access()
    if email:
        st.error(t("accounts.sso.no_access", email=users_svc.plain(email)))
        if st.button(t("accounts.sign_out"), key="signin_sso_sign_out"):
            st.logout()
    try:
        context = users_svc.sign_in_context()
    except state.DATABASE_ERRORS as exc:
        st.error(t("accounts.database_error", reason=state.error_reason(exc)))
        st.stop()
    if context.accounts == 0:
        st.info(
            t("accounts.signin.first_admin", minimum=MIN_PASSWORD_LENGTH), icon=":material/info:"
        )
    elif context.demo_accounts:
        st.info(
            t(
                "accounts.signin.demo_hint",
                names=", ".join(context.demo_accounts),
                password=DEMO_PASSWORD,
            ),
            icon=":material/science:",
        )
    failure = st.session_state.pop(FAILURE_KEY, None)
    if failure:
        st.error(failure)
    with st.form("signin_form", clear_on_submit=True):
        username = st.text_input(t("accounts.signin.username"), key="signin_username")
        password = st.text_input(t("accounts.signin.password"), type="password", key=PASSWORD_KEY)
        submitted = st.form_submit_button(
            t("accounts.signin.submit"), type="primary", key="signin_submit"
        )
    if submitted:
        try:
            outcome = users_svc.try_sign_in(username, password, client_address())
        except state.DATABASE_ERRORS as exc:
            st.error(t("accounts.database_error", reason=state.error_reason(exc)))
            st.stop()
        if outcome.status is SignInStatus.OK and outcome.user is not None:
            sign_in(outcome.user)
        elif outcome.status is SignInStatus.LOCKED:
            st.session_state[FAILURE_KEY] = t(
                "accounts.signin.locked", minutes=outcome.minutes_left
            )
        else:
            st.session_state[FAILURE_KEY] = t(f"accounts.signin.{outcome.status.value}")
        st.session_state[CLEAR_KEY] = True
        st.rerun()  # at once: the typed password does not stay in the session
    if sso_providers():
        st.divider()
        sso_buttons()


def account_sidebar(user) -> None:
    """Who is signed in, the demo account switch, and the sign-out button."""
    st.caption(t("accounts.signed_in_as"))
    st.text(f"{user.display_name} ({t(f'role.{user.role}')})")
    if st.button(t("accounts.sign_out"), key="sign_out", icon=":material/logout:"):
        sign_out("signed_out")
        st.rerun()


lang = current_language()  # Swedish unless the session or ?lang= says otherwise
user = revalidate()
with st.sidebar:
    language_switch()
if user is None:
    # the accessibility statement must be reachable without an account (DIGG)
    st.navigation(
        [
            st.Page(sign_in_page, title=t("accounts.signin.title"), url_path="logga-in"),
            st.Page(
                "app/pages/accessibility.py",
                title=t("nav.accessibility"),
                icon=":material/accessibility_new:",
                url_path="tillganglighet",
            ),
        ]
    ).run()
    st.stop()

with st.sidebar:
    if user.via == VIA_DEMO:
        names = list(demo_accounts())
        synced_widget(
            st.selectbox,
            "demo_role",
            t("accounts.demo_account"),
            names,
            user.username if user.username in names else names[0],
            url=False,
            format_func=lambda name: t(f"role.{name}", lang=lang),
            help=t("accounts.demo_account_help"),
        )
        user = current_user() or user  # the switch may have chosen another demo account
    account_sidebar(user)

# One flat list in section order: Streamlit's menu with section headings nests its list items
# in invalid markup (axe: "list", "listitem"; WCAG 1.3.1), see the accessibility statement.
pages = [
    st.Page(
        spec.path,
        title=t(spec.title_key),
        icon=spec.icon,
        url_path=spec.url_path,
        default=spec.default,
    )
    for spec in visible_pages(user)
]
st.navigation(pages).run()
