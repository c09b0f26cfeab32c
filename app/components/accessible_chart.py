"""A chart with its text alternatives: an alt text, a caption with the finding, the numbers.

WCAG 1.1.1 asks for a text alternative to every chart. A chart's ``alt`` names what it shows (for
screen readers, on the chart itself), its caption states the main finding in words, and the
"show as table" switch puts the same numbers in a table under it. Pages draw every Altair chart
through :func:`chart_with_table` (a test checks that no page calls ``st.altair_chart`` itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.i18n import t


def chart_with_table(
    chart: alt.TopLevelMixin,
    data: pd.DataFrame,
    *,
    key: str,
    alt_text: str,
    caption: str | None = None,
    column_config: Mapping[str, Any] | None = None,
    width: str = "stretch",
) -> bool:
    """Draw ``chart``, its caption and a switch that shows ``data`` as a table.

    Parameters
    ----------
    chart
        The Altair chart.
    data
        The numbers the chart shows, with readable column names or a ``column_config``.
    key
        Unique widget key prefix of this chart on its page.
    alt_text
        What the chart shows, for screen readers.
    caption
        The main finding in one or two sentences (shown under the chart).

    Returns
    -------
    bool
        Whether the table is shown.
    """
    st.altair_chart(chart, width=width, alt=alt_text)
    if caption:
        st.caption(caption)
    shown = st.toggle(t("chart.show_table"), key=f"{key}_as_table", help=t("chart.show_table_help"))
    if shown:
        with st.container(key=f"{key}_table"):
            st.dataframe(
                data,
                hide_index=True,
                column_config=dict(column_config) if column_config else None,
                alt=alt_text,
            )
    return shown
