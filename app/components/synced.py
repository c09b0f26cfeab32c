"""Widgets whose value is kept in session state and the URL, independent of the language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from app.i18n import current_language


def _from_url(name: str, options: Sequence[Any], multiple: bool) -> Any:
    raw = st.query_params.get_all(name)
    by_text = {str(option): option for option in options}
    values = [by_text[v] for v in raw if v in by_text]
    if multiple:
        return values
    return values[0] if values else None


def synced_widget(
    widget: Callable[..., Any],
    name: str,
    label: str,
    options: Sequence[Any],
    default: Any,
    *,
    multiple: bool = False,
    url: bool = True,
    **kwargs: Any,
) -> Any:
    """A filter widget whose value survives language switches, page switches and links.

    The value lives in ``st.session_state[f"filter_{name}"]`` and in the URL as plain codes
    (``?stage=7-9``); the widget itself is keyed per language, so its option labels are always
    in the current language (a widget keyed once would keep showing the old labels).
    """
    store = f"filter_{name}"
    if store not in st.session_state:
        from_url = _from_url(name, options, multiple) if url else None
        st.session_state[store] = from_url if from_url not in (None, []) else default
    current = st.session_state[store]
    if multiple:
        current = [v for v in current if v in options]
        value = widget(
            label, options, default=current, key=f"{name}_{current_language()}", **kwargs
        )
    else:
        index = options.index(current) if current in options else options.index(default)
        value = widget(label, options, index=index, key=f"{name}_{current_language()}", **kwargs)
    st.session_state[store] = value
    if not url:
        return value
    if multiple:
        st.query_params[name] = [str(v) for v in value]
    elif value is not None:
        st.query_params[name] = str(value)
    return value
