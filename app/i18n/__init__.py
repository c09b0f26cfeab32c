"""Translations and number formatting for the user interface (Swedish default, English switch).

Texts live in JSON catalogs beside this module, one folder per language (``sv/*.json``,
``en/*.json``, one file per page or topic, merged), under language-neutral keys such as
``"overview.title"``. :func:`t` looks a key up in the current language and fills
``str.format`` placeholders. The current language is ``st.session_state["lang"]``; a new
session starts in Swedish, or in English with ``?lang=en`` in the URL.

Number helpers format with babel: Swedish uses a decimal comma and a non-breaking space as the
thousands separator (``1 234,5``); missing values become an en dash (``–``). They are pure when
given ``lang``.
"""

from __future__ import annotations

import contextlib
import json
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from babel import Locale
from babel.numbers import format_decimal
from streamlit.errors import StreamlitAPIException

LANGUAGES: tuple[str, ...] = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
#: Names shown in the language switch, each in its own language.
LANGUAGE_NAMES: dict[str, str] = {"sv": "Svenska", "en": "English"}
#: Session-state key holding the current language (also the key of the switch widget).
STATE_KEY = "lang"
MISSING = "–"

_CATALOG_DIR = Path(__file__).resolve().parent
_BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang``: every ``<lang>/*.json`` file merged (a key defined twice fails)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    merged: dict[str, str] = {}
    for path in sorted((_CATALOG_DIR / lang).glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            part = json.load(handle)
        duplicated = sorted(set(part) & set(merged))
        if duplicated:
            raise ValueError(f"{path.name}: keys already defined elsewhere: {duplicated}")
        merged.update(part)
    return merged


def language_from_query(value: str | None) -> str:
    """The language asked for in the ``?lang=`` query parameter; Swedish unless it is ``en``.

    The browser locale is deliberately not used: skolbib is Swedish by default, also for
    Swedish staff whose browser happens to be set to English; the switch changes it.
    """
    if value and value.strip().lower() in LANGUAGES:
        return value.strip().lower()
    return DEFAULT_LANGUAGE


def _query_language() -> str | None:
    try:
        return st.query_params.get("lang")
    except Exception:  # no script run context (plain Python, unit tests)
        return None


def current_language() -> str:
    """The language of this session; initialises ``st.session_state["lang"]`` on first use.

    Outside a Streamlit run (plain Python) this returns the default language.
    """
    try:
        lang = st.session_state.get(STATE_KEY)
    except Exception:  # no session state outside a script run
        return DEFAULT_LANGUAGE
    if lang in LANGUAGES:
        return lang
    lang = language_from_query(_query_language())
    # Once the switch widget exists in this run it owns the key; it then has a valid value.
    with contextlib.suppress(StreamlitAPIException):
        st.session_state[STATE_KEY] = lang
    return lang


def _resolve(lang: str | None) -> str:
    if lang is None:
        return current_language()
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    return lang


def t(key: str, /, lang: str | None = None, **fmt: Any) -> str:
    """The text of ``key`` in ``lang`` (default: the session's language), formatted with ``fmt``.

    A key missing from that language falls back to Swedish, then to the key itself, so a
    forgotten translation shows up on screen instead of crashing a page; the catalog test
    keeps both languages complete.
    """
    language = _resolve(lang)
    text = catalog(language).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**fmt) if fmt else text


def has_key(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    """Whether ``key`` is in the catalog of ``lang``."""
    return key in catalog(lang)


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``NaT``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # sequences and other non-scalars
        return False


def _quantize(value: Any, decimals: int) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt_number(value: Any, decimals: int = 0, lang: str | None = None) -> str:
    """``value`` with ``decimals`` decimals (half up) in the language's style; ``–`` if missing.

    >>> fmt_number(1234.5, 1, lang="sv")
    '1\\xa0234,5'
    >>> fmt_number(1234.5, 1, lang="en")
    '1,234.5'
    >>> fmt_number(None, lang="sv")
    '–'
    """
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    if is_missing(value):
        return MISSING
    number = _quantize(value, decimals)
    if number is None:
        return MISSING
    if number == 0:
        number = abs(number)  # no "-0,0"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(
        number, format=pattern, locale=_babel_locale(_resolve(lang)), decimal_quantization=False
    )


@cache
def _babel_locale(lang: str) -> Locale:
    """Parsed once: babel otherwise re-reads the locale data on every number formatted."""
    return Locale.parse(_BABEL_LOCALES[lang])


def fmt_int(value: Any, lang: str | None = None) -> str:
    """``value`` rounded to a whole number with thousands separators; ``–`` if missing."""
    return fmt_number(value, 0, lang=lang)


def fmt_percent(value: Any, decimals: int = 0, lang: str | None = None) -> str:
    """A fraction as a percentage: 0.8 → ``80 %`` (Swedish, non-breaking space), ``80%``."""
    if is_missing(value):
        return MISSING
    try:
        share = float(value)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(share):
        return MISSING
    language = _resolve(lang)
    sign = "\xa0%" if language == "sv" else "%"
    return fmt_number(share * 100, decimals, lang=language) + sign


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MISSING",
    "STATE_KEY",
    "catalog",
    "current_language",
    "fmt_int",
    "fmt_number",
    "fmt_percent",
    "has_key",
    "is_missing",
    "language_from_query",
    "t",
]
