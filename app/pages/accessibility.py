"""Tillgänglighetsredogörelse / Accessibility statement, in the content DIGG asks for.

Layout only: the settings and the list of known gaps are in :mod:`app.services.accessibility`.
"""

import streamlit as st

from app.i18n import t
from app.services import accessibility as svc


def escaped(text: str) -> str:
    """Operator-supplied text shown as text, not as Markdown."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~$" else c for c in text)


settings = svc.statement_settings()
missing = t("accessibility.not_configured")
organisation = escaped(settings.organisation) if settings.organisation else missing

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
            t("accessibility.report_body", contact=f"[{escaped(settings.contact)}]({link})")
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
            assessed=escaped(settings.assessed) if settings.assessed else missing,
            updated=svc.STATEMENT_UPDATED,
        )
    )
