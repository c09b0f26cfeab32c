"""User or operator text shown inside Markdown elements (captions, alerts, headings) as text.

Streamlit renders most text elements as Markdown with its own extensions: emoji and icon short
codes (``:x:``, ``:material/home:``), colour directives (``:red[...]``), formulas (``$...$``)
and, in some elements, HTML. A school name, a user name or an organisation name read from the
database or the settings must not turn into any of these.
"""

from __future__ import annotations

import re

#: Every ASCII punctuation character: CommonMark lets each be escaped with a backslash, and the
#: set holds all that Markdown, Streamlit's extensions and HTML give a meaning (``\ ` * _ { }
#: [ ] ( ) # + - . ! | ~ $ : < > " ' & = ? @ / ; , %`` and ``^``).
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_WHITE_SPACE = re.compile(r"\s+")


def escape_markdown(text: str) -> str:
    r"""``text`` on one line with every Markdown-significant character backslash-escaped.

    Every ASCII punctuation character is escaped, among them the emphasis, link, code, heading,
    list, table and HTML characters (``* _ [ ] ( ) ` # - + . ! | < >``), Streamlit's short-code
    and directive colon, the formula ``$`` and the backslash itself, so no link, emphasis,
    HTML tag, emoji or icon short code, colour directive or formula can come out of the text.
    Runs of white space, line breaks included, become one space (a line break could start a
    new block), and the ends are trimmed.

    >>> print(escape_markdown("**Fet** <b>\n[a](b) :red[x]"))
    \*\*Fet\*\* \<b\> \[a\]\(b\) \:red\[x\]
    """
    line = _WHITE_SPACE.sub(" ", str(text)).strip()
    return _ASCII_PUNCTUATION.sub(r"\\\1", line)


def inline(label: str) -> str:
    """A label inside a sentence: "Medier per elev" → "medier per elev"; a label whose second
    letter is a capital (an abbreviation such as "LIS-timmar", "MIK-plan") is kept."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
