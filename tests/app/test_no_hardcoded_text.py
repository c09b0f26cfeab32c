"""No visible text hard-coded in the pages and components: every label comes from ``t(...)``.

The check parses each file of ``app/pages/`` and ``app/components/`` with :mod:`ast` and looks
at the calls listed in :data:`RULES` (Streamlit elements and widgets, column configs, Altair
titles). A string literal with letters in a text-bearing argument is a violation; so are the
literal parts of f-strings, ``+`` concatenations and ``"...".format(...)`` built around it.
Allowed: anything that is not a literal (``t("key")``, variables, calls), empty strings and
strings without letters once markup is removed (``"–"``, ``"**"``, ``"---"``, ``"<br>"``,
``":material/info:"``, ``"{}"``, ``"%d %%"``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED_FOLDERS = ("app/pages", "app/components")

#: Keyword arguments that hold visible text in Streamlit calls.
TEXT_KEYWORDS = ("body", "label", "help", "caption", "captions", "placeholder", "text")


@dataclass(frozen=True)
class Rule:
    """Where a call carries visible text.

    ``positional``: index of the positional argument with text (``None``: none);
    ``keywords``: keyword arguments with text; ``streamlit_only``: only when the receiver is
    rooted at ``st`` (for names that other objects use too, such as ``write``).
    """

    positional: int | None
    keywords: tuple[str, ...]
    streamlit_only: bool = False


_ELEMENT = Rule(0, TEXT_KEYWORDS)
_ALTAIR_TITLE = Rule(None, ("title",))
_COLUMN = Rule(0, ("label", "help"))

#: Call name (attribute or plain name) -> where its visible text is.
RULES: dict[str, Rule] = {
    **dict.fromkeys(
        (
            # text elements
            "title",
            "header",
            "subheader",
            "markdown",
            "caption",
            "info",
            "warning",
            "error",
            "success",
            "toast",
            "metric",
            # widgets
            "button",
            "download_button",
            "link_button",
            "form_submit_button",
            "selectbox",
            "multiselect",
            "radio",
            "slider",
            "select_slider",
            "checkbox",
            "toggle",
            "text_input",
            "text_area",
            "number_input",
            "date_input",
            "time_input",
            "file_uploader",
            "color_picker",
            "segmented_control",
            "pills",
            # layout with a label
            "tabs",
            "expander",
            "popover",
            "status",
            "spinner",
        ),
        _ELEMENT,
    ),
    "write": Rule(0, TEXT_KEYWORDS, streamlit_only=True),
    "text": Rule(0, TEXT_KEYWORDS, streamlit_only=True),
    "page_link": Rule(None, ("label", "help")),
    "Page": Rule(None, ("title",)),
    # st.column_config
    **dict.fromkeys(
        (
            "Column",
            "TextColumn",
            "NumberColumn",
            "CheckboxColumn",
            "SelectboxColumn",
            "MultiselectColumn",
            "ListColumn",
            "DatetimeColumn",
            "DateColumn",
            "TimeColumn",
            "LinkColumn",
            "ImageColumn",
            "JSONColumn",
            "LineChartColumn",
            "BarChartColumn",
            "AreaChartColumn",
            "ProgressColumn",
        ),
        _COLUMN,
    ),
    # Altair: chart titles, title objects, axis/legend/channel titles
    "Chart": _ALTAIR_TITLE,
    "properties": _ALTAIR_TITLE,
    "Title": Rule(0, ("text", "subtitle")),
    "TitleParams": Rule(0, ("text", "subtitle")),
    **dict.fromkeys(
        (
            "X",
            "Y",
            "X2",
            "Y2",
            "Color",
            "Fill",
            "Stroke",
            "Size",
            "Shape",
            "Opacity",
            "Theta",
            "Radius",
            "Row",
            "Column",
            "Facet",
            "Tooltip",
            "Text",
            "Longitude",
            "Latitude",
            "Axis",
            "Legend",
            "Header",
        ),
        _ALTAIR_TITLE,
    ),
}
# "Column" is both st.column_config.Column and alt.Column: check label/help and title.
RULES["Column"] = Rule(0, ("label", "help", "title"))

#: Receivers that are loggers, not Streamlit (``logger.warning("...")`` is no visible text).
LOGGER_NAMES = frozenset({"logging", "logger", "log", "LOGGER", "_logger", "_log", "warnings"})

_MARKUP = re.compile(
    r"<[^>]*>"  # HTML tags
    r"|&[a-zA-Z]+;|&#\d+;"  # HTML entities
    r"|:material/[a-z0-9_]+:"  # Material icons
    r"|:[a-z0-9_+-]+:"  # emoji short codes
    r"|\{[^{}]*\}"  # str.format fields
    r"|%[-+ #0]*\d*(?:\.\d+)?[sdifeEgGxX%]"  # printf fields
)


def has_visible_letters(text: str) -> bool:
    """Whether ``text`` still has letters once markup, icons and format fields are removed."""
    return any(ch.isalpha() for ch in _MARKUP.sub("", text))


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(...) has hard-coded text {self.text!r}"


def _literal_texts(node: ast.AST) -> list[tuple[int, str]]:
    """String literals with visible letters in an argument expression (with their lines)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and has_visible_letters(node.value):
            return [(node.lineno, node.value)]
        return []
    if isinstance(node, ast.JoinedStr):  # f-string: its literal parts
        return [t for part in node.values for t in _literal_texts(part)]
    if isinstance(node, ast.FormattedValue):
        return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        found = _literal_texts(node.left)
        return found + (_literal_texts(node.right) if isinstance(node.op, ast.Add) else [])
    if isinstance(node, ast.IfExp):
        return _literal_texts(node.body) + _literal_texts(node.orelse)
    if isinstance(node, ast.List | ast.Tuple):
        return [t for element in node.elts for t in _literal_texts(element)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):  # "Text {x}".format(...), " and ".join(...)
        return _literal_texts(node.func.value)
    return []


def _call_name(func: ast.expr) -> tuple[str | None, str | None]:
    """(name of the called attribute or function, root name of its receiver)."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        root: ast.expr = func.value
        while True:
            if isinstance(root, ast.Attribute):
                root = root.value
            elif isinstance(root, ast.Call):
                root = root.func
            elif isinstance(root, ast.Subscript):
                root = root.value
            else:
                break
        return func.attr, root.id if isinstance(root, ast.Name) else None
    return None, None


def find_hardcoded_text(source: str, path: str = "<string>") -> list[Violation]:
    """Every hard-coded visible text in ``source`` according to :data:`RULES`."""
    violations = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.Call):
            continue
        name, root = _call_name(node.func)
        rule = RULES.get(name) if name else None
        if rule is None or root in LOGGER_NAMES:
            continue
        if rule.streamlit_only and root != "st":
            continue
        arguments: list[ast.AST] = []
        if rule.positional is not None and len(node.args) > rule.positional:
            arguments.append(node.args[rule.positional])
        arguments += [kw.value for kw in node.keywords if kw.arg in rule.keywords]
        for argument in arguments:
            for line, text in _literal_texts(argument):
                violations.append(Violation(path, line, name, text))
    return sorted(violations, key=lambda v: v.line)


def checked_files() -> list[Path]:
    return sorted(path for folder in CHECKED_FOLDERS for path in (ROOT / folder).glob("*.py"))


# --------------------------------------------------------------------------- the checker itself

CASES = [
    # (source, number of violations)
    ('st.title("Översikt")', 1),
    ('st.title(t("overview.title"))', 0),
    ("st.title(title)", 0),
    ('st.sidebar.header("Urval")', 1),
    ('col.metric("Elever", value, help="Antal elever")', 2),
    ('st.metric(t("kpi.pupils"), "–")', 0),
    ('st.markdown("**")', 0),
    ('st.markdown("---")', 0),
    ('st.markdown("<br>", unsafe_allow_html=True)', 0),
    ("st.markdown(f\"**{t('filters.heading')}**\")", 0),
    ('st.markdown(f"Vald kommun: {name}")', 1),
    ('st.caption("Källa: " + source)', 1),
    ('st.caption(t("x") + " – " + source)', 0),
    ('st.caption("Källa: {}".format(source))', 1),
    ('st.info("")', 0),
    ('st.info(t("x"), icon=":material/info:")', 0),
    ('st.error(body="Fel")', 1),
    ('st.button("Spara", key="save")', 1),
    ('st.selectbox(label="Kommun", options=codes, key="municipality")', 1),
    ('st.radio(t("x"), options, captions=["Ett", "Två"])', 2),
    ('st.text_input(t("x"), placeholder="Sök")', 1),
    ('st.tabs(["Karta", t("tab.table")])', 1),
    ('st.tabs([t("a"), t("b")])', 0),
    ('st.expander("Mer")', 1),
    ('st.download_button(t("x"), data, file_name="rapport.pdf")', 0),
    ('st.write("Hej")', 1),
    ('handle.write("a,b")', 0),
    ('logger.warning("could not read %s", path)', 0),
    ('st.column_config.NumberColumn("Elever", format="localized")', 1),
    ('st.column_config.ProgressColumn(t("x"), format="%.0f %%")', 0),
    ('st.column_config.TextColumn(t("x"), help="Hjälp")', 1),
    ('alt.Chart(data, title="Bemanning")', 1),
    ("alt.Chart(data, title=t('chart.title'))", 0),
    ('chart.properties(title="Bemanning", height=300)', 1),
    ('chart.properties(title=t("x"), height=300)', 0),
    ('alt.X("hours:Q", title="Timmar per vecka")', 1),
    ('alt.Tooltip("name:N", title=t("map.school"))', 0),
    ('alt.Tooltip("name:N")', 0),
    ('alt.Title("Rubrik")', 1),
    ('st.Page("app/pages/x.py", title="Översikt")', 1),
    ('st.page_link("app/pages/x.py", label=t("nav.x"))', 0),
    ('st.caption(t("a") if ok else "Saknas")', 1),
    ('"abc".title()', 0),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_checker_finds_hardcoded_text(source: str, expected: int) -> None:
    assert len(find_hardcoded_text(source)) == expected, find_hardcoded_text(source)


def test_violations_report_file_and_line() -> None:
    source = 'import streamlit as st\n\nst.title(t("x"))\nst.header("Rubrik")\n'
    (violation,) = find_hardcoded_text(source, "app/pages/demo.py")
    assert str(violation) == "app/pages/demo.py:4: header(...) has hard-coded text 'Rubrik'"


# --------------------------------------------------------------------------- the project


def test_there_are_files_to_check() -> None:
    assert any(path.parent.name == "pages" for path in checked_files())
    assert any(path.parent.name == "components" for path in checked_files())


@pytest.mark.parametrize(
    "path", checked_files(), ids=[str(p.relative_to(ROOT)) for p in checked_files()]
)
def test_no_hardcoded_visible_text(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    violations = find_hardcoded_text(path.read_text(encoding="utf-8"), relative)
    assert not violations, "visible text must come from t(...):\n" + "\n".join(
        str(v) for v in violations
    )
