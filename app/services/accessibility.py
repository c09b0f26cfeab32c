"""The accessibility statement (tillgänglighetsredogörelse): settings and the list of known gaps.

The statement follows the content DIGG (Myndigheten för digital förvaltning) requires under the
law on accessibility to digital public service (lag (2018:1937), "DOS-lagen"): the public body
and the service, the compliance level, the content that is not accessible and why, the dates of
assessment and update, the evaluation method, a way to report gaps and a link to DIGG's
complaints form. Source: https://www.digg.se/kunskap-och-stod/digital-tillganglighet/skapa-en-tillganglighetsredogorelse

The organisation, the contact address and the assessment date are the deploying
municipality's; they come from the environment so that the statement stays true where it runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

ENV_ORGANISATION = "SKOLBIB_ORGANISATION"
ENV_CONTACT = "SKOLBIB_ACCESSIBILITY_CONTACT"
ENV_ASSESSED = "SKOLBIB_ACCESSIBILITY_ASSESSED"
DIGG_COMPLAINTS_URL = "https://www.digg.se/tdosanmalan"
#: when skolbib's own tests last assessed the statement's claims (the automated axe-core run and
#: the keyboard test run on every CI build; this date moves when the list of gaps is reviewed)
STATEMENT_UPDATED = "2026-12-04"
#: "helt förenlig", "delvis förenlig" or "inte förenlig" (DIGG's wording): partly, see the gaps
COMPLIANCE = "partial"

#: known gaps, each a catalogue key prefix with ``.what`` and ``.why`` texts
KNOWN_GAPS: tuple[str, ...] = (
    "accessibility.gap.widget_language",
    "accessibility.gap.tables",
    "accessibility.gap.charts",
    "accessibility.gap.maps",
    "accessibility.gap.pdf",
    "accessibility.gap.navigation",
)


@dataclass(frozen=True)
class StatementSettings:
    """The deploying organisation's part of the statement (``None``: not configured yet)."""

    organisation: str | None
    contact: str | None
    assessed: str | None


def statement_settings() -> StatementSettings:
    """Read the organisation, contact and assessment date from the environment."""

    def value(name: str) -> str | None:
        text = os.environ.get(name, "").strip()
        return text or None

    return StatementSettings(value(ENV_ORGANISATION), value(ENV_CONTACT), value(ENV_ASSESSED))


def contact_link(contact: str) -> str:
    """A link target for the contact: ``mailto:`` for an e-mail address, an https URL as is.

    Anything else (for example a ``javascript:`` URL) is not linked.
    """
    text = contact.strip()
    if any(c.isspace() for c in text):
        return ""
    if text.lower().startswith("https://"):
        return quote(text, safe=":/?#&=%@.,;~+-_!*'")
    if "@" in text and ":" not in text:
        return "mailto:" + quote(text, safe="@.+-_")
    return ""
