"""Catalog completeness and Swedish/English number formatting."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.i18n import (
    LANGUAGES,
    MISSING,
    catalog,
    current_language,
    fmt_int,
    fmt_number,
    fmt_percent,
    language_from_query,
    t,
)
from inventory.models import LibraryKind, LocationClass, OrganiserType

PROJECT = Path(__file__).resolve().parents[2]
CATALOG_DIR = PROJECT / "app" / "i18n"
NBSP = "\xa0"


def _raw(lang: str) -> dict:
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / lang).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        assert not set(part) & set(merged), f"{path}: key defined in two files"
        merged.update(part)
    return merged


def test_catalogs_have_the_same_keys() -> None:
    sv, en = _raw("sv"), _raw("en")
    assert sorted(set(sv) - set(en)) == [], "keys in sv.json missing from en.json"
    assert sorted(set(en) - set(sv)) == [], "keys in en.json missing from sv.json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_values_are_non_empty_strings(lang: str) -> None:
    for key, value in _raw(lang).items():
        assert isinstance(value, str) and value.strip(), f"{lang}.json: {key} is empty"


def test_placeholders_agree_between_languages() -> None:
    field = re.compile(r"{(\w+)}")
    sv, en = _raw("sv"), _raw("en")
    for key in sv:
        assert set(field.findall(sv[key])) == set(field.findall(en[key])), key


def test_every_literal_key_used_in_the_code_exists() -> None:
    sources = [*(PROJECT / "app").rglob("*.py"), PROJECT / "streamlit_app.py"]
    used = set()
    for source in sources:
        used |= set(re.findall(r"\bt\(\s*\"([a-z0-9_.]+)\"", source.read_text(encoding="utf-8")))
    assert used, "no t(...) calls found"
    missing = sorted(key for key in used if key not in catalog("sv"))
    assert missing == []


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("library_kind", [k.value for k in LibraryKind]),
        ("organiser_type", [o.value for o in OrganiserType]),
        ("location_class", [str(int(c)) for c in LocationClass]),
    ],
)
def test_every_coded_value_has_a_label(prefix: str, values: list[str]) -> None:
    for lang in LANGUAGES:
        for value in values:
            assert f"{prefix}.{value}" in catalog(lang), (lang, prefix, value)


def test_t_formats_and_falls_back() -> None:
    assert t("overview.title", lang="sv") == "Översikt"
    assert t("overview.title", lang="en") == "Overview"
    assert (
        t("kpi.share_staffed", lang="sv", hours="20")
        == "Elever med bibliotek bemannat ≥ 20 h/vecka"
    )
    assert t("no.such.key", lang="en") == "no.such.key"
    with pytest.raises(ValueError):
        t("overview.title", lang="de")


def test_current_language_outside_streamlit_is_swedish() -> None:
    assert current_language() == "sv"
    assert t("overview.title") == "Översikt"


@pytest.mark.parametrize(
    ("value", "lang"),
    [
        ("en", "en"),
        ("EN ", "en"),
        ("sv", "sv"),
        ("en-GB", "sv"),
        ("de", "sv"),
        (None, "sv"),
        ("", "sv"),
    ],
)
def test_language_from_query(value: str | None, lang: str) -> None:
    assert language_from_query(value) == lang


def test_swedish_number_format() -> None:
    assert fmt_number(1234.5, 1, lang="sv") == f"1{NBSP}234,5"
    assert fmt_number(1234567.891, 2, lang="sv") == f"1{NBSP}234{NBSP}567,89"
    assert fmt_int(1234, lang="sv") == f"1{NBSP}234"
    assert fmt_int(999, lang="sv") == "999"
    assert fmt_number(0.25, 1, lang="sv") == "0,3"  # half up, not half even
    assert fmt_number(-0.01, 1, lang="sv") == "0,0"  # no negative zero


def test_english_number_format() -> None:
    assert fmt_number(1234.5, 1, lang="en") == "1,234.5"
    assert fmt_int(1234567, lang="en") == "1,234,567"


def test_numpy_and_pandas_values() -> None:
    assert fmt_int(np.int64(2500), lang="sv") == f"2{NBSP}500"
    assert fmt_number(np.float64(7.3333), 1, lang="sv") == "7,3"
    assert fmt_int(pd.array([12], dtype="Int64")[0], lang="sv") == "12"


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, pd.NA, pd.NaT, float("inf")])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_missing_values_become_a_dash(missing: object, lang: str) -> None:
    assert fmt_number(missing, 1, lang=lang) == MISSING == "–"
    assert fmt_int(missing, lang=lang) == "–"
    assert fmt_percent(missing, lang=lang) == "–"


def test_percent() -> None:
    assert fmt_percent(0.8, lang="sv") == f"80{NBSP}%"
    assert fmt_percent(0.8, lang="en") == "80%"
    assert fmt_percent(0.12345, 1, lang="sv") == f"12,3{NBSP}%"


def test_negative_decimals_rejected() -> None:
    with pytest.raises(ValueError):
        fmt_number(1.0, -1, lang="sv")
