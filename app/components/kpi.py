"""A row of KPI cards (``st.metric``) that wraps on narrow screens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from app.i18n import fmt_number


@dataclass(frozen=True)
class Kpi:
    """One card: a label, an already formatted value and optional extras.

    ``delta`` is already formatted (a leading ``-`` points the arrow down, see
    :func:`signed_delta`); ``delta_description`` says what it is measured against;
    ``caption`` is a one-line explanation shown under the metric.
    """

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: Literal["normal", "inverse", "off"] = "normal"
    delta_description: str | None = None
    caption: str | None = None


def signed_delta(difference: float | None, decimals: int, lang: str | None = None) -> str | None:
    """A difference as a metric delta: ``+1,5`` / ``-0,3`` / ``0`` (no arrow); ``None`` if missing.

    The sign is ASCII so that Streamlit points the arrow; a difference that rounds to zero
    is ``"0"``, which Streamlit shows grey without an arrow.
    """
    if difference is None:
        return None
    text = fmt_number(abs(difference), decimals, lang=lang)
    if fmt_number(0, decimals, lang=lang) == text:
        return "0"
    return ("-" if difference < 0 else "+") + text


def _metric(kpi: Kpi, border: bool) -> None:
    st.metric(
        kpi.label,
        kpi.value,
        delta=kpi.delta,
        delta_color=kpi.delta_color,
        delta_description=kpi.delta_description if kpi.delta is not None else None,
        help=kpi.help,
        border=border,
        height="stretch",
    )


def metric_row(kpis: Sequence[Kpi], key: str | None = None) -> None:
    """Show ``kpis`` side by side as bordered metrics of equal height."""
    with st.container(horizontal=True, key=key):
        for kpi in kpis:
            if kpi.caption is None:
                _metric(kpi, border=True)
                continue
            with st.container(border=True, height="stretch"):
                _metric(kpi, border=False)
                st.caption(kpi.caption)
