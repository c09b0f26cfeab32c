"""The accessibility statement (Tillgänglighetsredogörelse): what DIGG requires, in sv and en."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.services.accessibility import DIGG_COMPLAINTS_URL, KNOWN_GAPS, contact_link
from tests.app.conftest import ENTRYPOINT, account

PAGE = "app/pages/accessibility.py"


def open_statement(url: str, role: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.session_state["user"] = account(url, f"a11y-{role}", role)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    statement = at.container(key="accessibility_statement")
    parts = [m.value for m in statement.markdown]
    parts += [h.value for h in statement.header] + [h.value for h in statement.subheader]
    return "\n".join(parts)


@pytest.mark.parametrize("role", ["admin", "projektledare", "referensgrupp", "chef"])
def test_every_role_reaches_the_statement_with_what_digg_requires(writable_demo_app, role):
    at = open_statement(writable_demo_app, role)
    text = text_of(at)
    assert at.title[0].value == "Tillgänglighetsredogörelse"
    assert "delvis förenlig" in text  # the compliance level in DIGG's wording
    assert DIGG_COMPLAINTS_URL in text  # the link to DIGG's complaints form
    assert "2018:1937" in text
    assert "självskattning" in text  # evaluation method
    assert "senast 2026-12-04" in text or "uppdaterades senast" in text
    # every known gap is listed with its heading
    headings = [h.value for h in at.container(key="accessibility_statement").subheader]
    assert len(headings) == len(KNOWN_GAPS)


def test_english_statement(writable_demo_app):
    text = text_of(open_statement(writable_demo_app, "chef", lang="en"))
    assert "partly compliant" in text and DIGG_COMPLAINTS_URL in text


def test_the_operators_settings_are_shown_as_text(writable_demo_app, monkeypatch):
    monkeypatch.setenv("SKOLBIB_ORGANISATION", "Exempelkommun *barn- och utbildning*")
    monkeypatch.setenv("SKOLBIB_ACCESSIBILITY_CONTACT", "tillganglighet@exempel.se")
    monkeypatch.setenv("SKOLBIB_ACCESSIBILITY_ASSESSED", "2026-11-30")
    text = text_of(open_statement(writable_demo_app, "admin"))
    assert r"Exempelkommun \*barn\- och utbildning\*" in text  # Markdown escaped, not bold
    assert "(mailto:tillganglighet@exempel.se)" in text
    assert "gjordes 2026\\-11\\-30" in text


def test_without_settings_the_statement_says_they_are_missing(writable_demo_app, monkeypatch):
    for name in ("SKOLBIB_ORGANISATION", "SKOLBIB_ACCESSIBILITY_CONTACT"):
        monkeypatch.delenv(name, raising=False)
    text = text_of(open_statement(writable_demo_app, "admin"))
    assert "inte angivet" in text


@pytest.mark.parametrize(
    ("contact", "link"),
    [
        ("a@b.se", "mailto:a@b.se"),
        ("https://kommun.se/tillganglighet", "https://kommun.se/tillganglighet"),
        ("https://x.se/a)(b", "https://x.se/a%29%28b"),  # cannot close the Markdown link
        ("javascript:alert(1)", ""),
        ("http://kommun.se", ""),  # only https is linked
        ("a b@c.se", ""),
    ],
)
def test_contact_links_are_only_mailto_or_https(contact, link):
    assert contact_link(contact) == link
