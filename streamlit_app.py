"""skolbib web app: page setup, language and role switches, and the role-gated navigation."""

import streamlit as st

from app.components.synced import synced_widget
from app.i18n import LANGUAGE_NAMES, LANGUAGES, STATE_KEY, current_language, t
from app.navigation import visible_pages
from app.session import DEFAULT_DEMO_ROLE, ROLES, auth_mode, current_user

st.set_page_config(page_title="skolbib", page_icon="📚", layout="wide")

lang = current_language()  # Swedish unless the session or ?lang= says otherwise
with st.sidebar:
    st.segmented_control(
        t("app.language"),
        LANGUAGES,
        format_func=LANGUAGE_NAMES.get,
        key=STATE_KEY,
        required=True,
    )
    if auth_mode() == "demo":
        synced_widget(
            st.selectbox,
            "demo_role",
            t("session.demo_role"),
            ROLES,
            DEFAULT_DEMO_ROLE,
            url=False,
            format_func=lambda r: t(f"role.{r}", lang=lang),
            help=t("session.demo_role_help"),
        )

sections: dict[str, list] = {}
for spec in visible_pages(current_user()):
    sections.setdefault(t(spec.section_key), []).append(
        st.Page(
            spec.path,
            title=t(spec.title_key),
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.default,
        )
    )
st.navigation(sections).run()
