"""Tillgänglighetsredogörelse / Accessibility statement, in the content DIGG asks for.

Layout only: the settings and the list of known gaps are in :mod:`app.services.accessibility`.
"""

import streamlit as st

from app.components.text import escape_markdown
from app.i18n import t
from app.services import accessibility as svc

settings = svc.statement_settings()
missing = t("accessibility.not_configured")
organisation = escape_markdown(settings.organisation) if settings.organisation else missing

st.title(t("accessibility.title"))
with st.container(key="accessibility_statement"):
    st.markdown(t("accessibility.intro", organisation=organisation))

    st.header(t("accessibility.compliance_heading"), divider="gray")
    st.markdown(t(f"accessibility.compliance.{svc.COMPLIANCE}"))

    st.header(t("accessibility.gaps_heading"), divider="gray")
    for key in svc.KNOWN_GAPS:
        st.subheader(t(f"{key}.what"))
        st.markdown(t(f"{key}.why"))

    st.header(t("accessibility.report_heading"), divider="gray")
    link = svc.contact_link(settings.contact) if settings.contact else ""
    if link:
        st.markdown(
            t("accessibility.report_body", contact=f"[{escape_markdown(settings.contact)}]({link})")
        )
    else:
        st.markdown(t("accessibility.report_body", contact=missing))

    st.header(t("accessibility.supervision_heading"), divider="gray")
    st.markdown(t("accessibility.supervision_body", url=svc.DIGG_COMPLAINTS_URL))

    st.header(t("accessibility.method_heading"), divider="gray")
    st.markdown(t("accessibility.method_body"))
    st.markdown(
        t(
            "accessibility.dates",
            assessed=escape_markdown(settings.assessed) if settings.assessed else missing,
            updated=svc.STATEMENT_UPDATED,
        )
    )
