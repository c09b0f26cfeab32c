"""A row of KPI cards (``st.metric``) that wraps on narrow screens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Kpi:
    """One card: a label, an already formatted value and an optional tooltip."""

    label: str
    value: str
    help: str | None = None


def metric_row(kpis: Sequence[Kpi], key: str | None = None) -> None:
    """Show ``kpis`` side by side as bordered metrics of equal height."""
    with st.container(horizontal=True, key=key):
        for kpi in kpis:
            st.metric(kpi.label, kpi.value, help=kpi.help, border=True, height="stretch")
