"""skolbib web app: page setup, language switch and navigation; the pages live in app/pages/."""

import streamlit as st

from app.i18n import LANGUAGE_NAMES, LANGUAGES, STATE_KEY, current_language, t

st.set_page_config(page_title="skolbib", page_icon="📚", layout="wide")

current_language()  # sets st.session_state["lang"] from the browser locale on a new session
with st.sidebar:
    st.segmented_control(
        t("app.language"),
        LANGUAGES,
        format_func=LANGUAGE_NAMES.get,
        key=STATE_KEY,
        required=True,
    )

page = st.navigation(
    [
        st.Page(
            "app/pages/overview.py",
            title=t("nav.overview"),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
            help=t("nav.overview_help"),
        ),
    ]
)
page.run()
