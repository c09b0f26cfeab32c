"""A page that says honestly that it is not built yet."""

import streamlit as st

from app.i18n import t


def placeholder(title_key: str) -> None:
    st.title(t(title_key))
    st.info(t("placeholder.body"), icon=":material/construction:")
