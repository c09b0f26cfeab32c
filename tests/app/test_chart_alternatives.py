"""Every chart has its text alternatives (WCAG 1.1.1): pages draw charts through the component.

:func:`app.components.accessible_chart.chart_with_table` draws a chart with its alt text, a
caption stating the finding and a "show as table" switch with the same numbers. A page or
component that calls ``st.altair_chart`` itself skips all three, so the check parses every file
of ``app/pages/`` and ``app/components/`` with :mod:`ast` and fails on any such call outside the
component, naming file and line.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED_FOLDERS = ("app/pages", "app/components")
COMPONENT = "app/components/accessible_chart.py"


def altair_chart_calls(source: str) -> list[int]:
    """Lines of the calls to ``altair_chart`` in ``source`` (``st.altair_chart(...)``, also
    through another name for the module such as ``streamlit.altair_chart`` or a container's
    ``column.altair_chart``, and a bare ``altair_chart`` imported from streamlit)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "altair_chart":
            lines.append(node.lineno)
    return sorted(lines)


def checked_files() -> list[str]:
    files = []
    for folder in CHECKED_FOLDERS:
        files += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / folder).rglob("*.py"))]
    return files


def violations() -> list[str]:
    found = []
    for path in checked_files():
        if path == COMPONENT:
            continue
        source = (ROOT / path).read_text(encoding="utf-8")
        found += [f"{path}:{line}" for line in altair_chart_calls(source)]
    return found


def test_no_page_draws_a_chart_without_its_text_alternatives() -> None:
    found = violations()
    assert found == [], (
        "draw charts with app.components.accessible_chart.chart_with_table "
        "(alt text, finding, 'show as table'), not st.altair_chart: " + ", ".join(found)
    )


def test_the_component_is_among_the_checked_files() -> None:
    assert COMPONENT in set(checked_files())


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("import streamlit as st\nst.altair_chart(chart)", [2]),
        ("import streamlit\n\nstreamlit.altair_chart(chart, width='stretch')", [3]),
        ("from streamlit import altair_chart\naltair_chart(chart)", [2]),
        ("left, right = st.columns(2)\nleft.altair_chart(chart)", [2]),
        ("chart_with_table(chart, data, key='k', alt_text='a')", []),
        ("st.vega_lite_chart(spec)\nst.dataframe(frame)", []),
        ("text = 'st.altair_chart(chart)'", []),  # a string is not a call
    ],
)
def test_the_check_finds_calls(source: str, lines: list[int]) -> None:
    assert altair_chart_calls(source) == lines


def test_the_check_reports_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = tmp_path / "app" / "pages"
    components = tmp_path / "app" / "components"
    pages.mkdir(parents=True)
    components.mkdir(parents=True)
    (pages / "ok.py").write_text("chart_with_table(chart, data, key='k', alt_text='a')\n")
    (pages / "bad.py").write_text("import streamlit as st\n\n\nst.altair_chart(chart)\n")
    (pages / "reports.py").write_text("x = 1\n\nst.altair_chart(chart)\n")
    (components / "accessible_chart.py").write_text("st.altair_chart(chart)\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert sorted(violations()) == ["app/pages/bad.py:4", "app/pages/reports.py:3"]
