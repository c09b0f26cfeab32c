"""The common top of an analysis page: title, database checks, filters, fictional-data banner.

Every analysis page starts with :func:`start_page`; it stops the page with a clear message when
the database cannot be read or holds nothing yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from app import state
from app.components.filters import Filters, render_filters
from app.i18n import current_language, t


@dataclass(frozen=True)
class PageContext:
    """What a page needs after its header: language, filters and the municipality's row."""

    lang: str
    filters: Filters
    municipality: pd.Series

    @property
    def code(self) -> str:
        return self.filters.municipality  # type: ignore[return-value]

    @property
    def year(self) -> int:
        return self.filters.year  # type: ignore[return-value]


def start_page(prefix: str, *, detail: bool = True) -> PageContext:
    """Draw the title ``<prefix>.title``, the filters and the caption ``<prefix>.caption``.

    The caption gets ``municipality`` and ``year`` to fill in. Stops the script run (with an
    error or info message) when the database cannot be read or has no municipality or year.
    """
    lang = current_language()
    st.title(t(f"{prefix}.title"))
    try:
        municipalities = state.municipalities()
        years = state.inventory_years()
    except state.DATABASE_ERRORS as exc:
        st.error(t("overview.database_error", reason=state.error_reason(exc)))
        st.stop()
    if municipalities.empty:
        st.info(t("overview.no_municipalities"), icon=":material/info:")
        st.stop()
    if not years:
        st.info(t("overview.no_years"), icon=":material/info:")
        st.stop()
    filters = render_filters(detail=detail)
    municipality = municipalities.set_index("code").loc[filters.municipality]
    if bool(municipality["fictional"]):
        st.info(
            t("overview.fictional_banner", municipality=municipality["name"]),
            icon=":material/science:",
        )
    st.caption(t(f"{prefix}.caption", municipality=municipality["name"], year=filters.year))
    return PageContext(lang=lang, filters=filters, municipality=municipality)
