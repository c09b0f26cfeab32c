"""The planning summary as an Excel workbook (xlsxwriter) with native Excel charts.

Sheets (named in the summary's language): summary (counts, key figures against reference
values, scenarios side by side), per school before/after, per library, equity statistics with
their meaning, the skollag checklist, comments, the county's municipalities (county view),
outcomes (when the summary has them) and definitions with sources.

Numbers are written as numbers with number formats such as ``#,##0.0`` and ``0%``: the file
stores format codes in Excel's neutral (US) notation and Excel shows them with the reader's
separators, so a Swedish Excel shows ``1 234,5``. Text goes through
:func:`planning.cells.safe_cell` and is written as a string cell, never as a formula or a link.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planning.cells import safe_cell
from planning.summary import Summary, column_decimals, column_label
from planning.summary_text import format_number, text

__all__ = ["NUMBER_FORMATS", "PERCENT_FORMAT", "render_xlsx"]

#: Number format per number of decimals (Excel's neutral notation).
NUMBER_FORMATS = {0: "#,##0", 1: "#,##0.0", 2: "#,##0.00", 3: "#,##0.000"}
PERCENT_FORMAT = "0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: Okabe-Ito colours of the chart series: now, then one per scenario
SERIES_COLOURS = ["#999999", "#0072B2", "#D55E00", "#009E73", "#CC79A7"]
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Book:
    """The workbook and its formats."""

    def __init__(self, buffer: io.BytesIO, summary: Summary):
        self.summary = summary
        self.lang = summary.lang
        self.workbook = xlsxwriter.Workbook(
            buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
            },
        )
        add = self.workbook.add_format
        self.title = add({"bold": True, "font_size": 16})
        self.subtitle = add({"bold": True, "font_size": 12})
        self.heading = add(
            {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#E1E8F0"}
        )
        self.section = add({"bold": True, "font_size": 12})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.plain = add({"valign": "top"})
        self.note = add(
            {"italic": True, "font_color": "#5A5A5A", "text_wrap": True, "valign": "top"}
        )
        self.banner = add({"bold": True, "bg_color": "#FFF3CD"})
        self.numbers = {
            d: add({"num_format": f, "valign": "top"}) for d, f in NUMBER_FORMATS.items()
        }
        self.percent = add({"num_format": PERCENT_FORMAT, "valign": "top"})
        self.date = add({"num_format": DATE_FORMAT, "valign": "top"})
        self.datetime = add({"num_format": DATETIME_FORMAT, "valign": "top"})

    def sheet(self, key: str) -> Worksheet:
        name = _SHEET_NAME_FORBIDDEN.sub("-", text(f"sheet.{key}", self.lang))[:31]
        return self.workbook.add_worksheet(name)

    def number_format(self, decimals: int | None) -> Format | None:
        if decimals is None:
            return self.plain
        return self.numbers[min(decimals, 3)]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)


def _write(
    book: _Book, sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None
) -> None:
    """One cell: numbers as numbers, dates as dates, text as neutralised string cells."""
    if _missing(value):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool | np.bool_):
        sheet.write_string(row, col, str(bool(value)), fmt)
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number, fmt)
        else:
            sheet.write_string(row, col, text("infinite", book.lang), book.plain)
    elif isinstance(value, datetime):
        local = value.astimezone() if value.tzinfo is not None else value
        sheet.write_datetime(row, col, local.replace(tzinfo=None), book.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), book.date)
    else:
        sheet.write_string(row, col, safe_cell(str(value)), fmt if fmt is not None else book.plain)


@dataclass(frozen=True)
class _Cell:
    """A value with its own format, overriding the column's."""

    value: Any
    fmt: Format | None


def _table(
    book: _Book,
    sheet: Worksheet,
    top: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[Format | None],
    widths: Sequence[float] | None = None,
    filter_: bool = False,
) -> int:
    """Write a table with a header row at ``top``; the next free row.

    ``formats`` holds one format per column; a :class:`_Cell` value brings its own.
    """
    for col, header in enumerate(headers):
        sheet.write_string(top, col, safe_cell(str(header)), book.heading)
    for offset, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if isinstance(value, _Cell):
                _write(book, sheet, top + offset, col, value.value, value.fmt)
            else:
                _write(book, sheet, top + offset, col, value, formats[col])
    if widths:
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
    if filter_ and rows:
        sheet.autofilter(top, 0, top + len(rows), len(headers) - 1)
    return top + len(rows) + 2


# --------------------------------------------------------------------------- sheets


def _summary_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    sheet = book.sheet("summary")
    sheet.set_column(0, 0, 46)
    sheet.set_column(1, 13, 16)
    sheet.write_string(0, 0, s.title, book.title)
    sheet.write_string(
        1, 0, safe_cell(text("subtitle", lang, area=s.area_name, year=s.year)), book.subtitle
    )
    if s.fictional:
        sheet.write_string(2, 0, text("fictional_banner", lang), book.banner)
    hours = format_number(s.counts.staffed_threshold, 0, lang)
    items: list[tuple[str, Any, Format | None]] = [
        (text("summary.scope", lang), text(f"scope.{s.scope}", lang), book.plain),
        (text("summary.area", lang), f"{s.area_name} ({s.area_code})", book.plain),
        (text("summary.municipalities", lang), ", ".join(s.municipality_names), book.wrap),
        (text("summary.year", lang), s.year, book.plain),
        (text("summary.generated", lang), s.generated_at, book.datetime),
        (text("summary.by", lang), s.generated_by, book.plain),
        (text("count.schools", lang), s.counts.schools, book.numbers[0]),
        (text("count.pupils", lang), s.counts.pupils, book.numbers[0]),
        (text("count.libraries", lang), s.counts.libraries, book.numbers[0]),
        (
            text("count.share_staffed", lang, hours=hours),
            s.counts.share_pupils_staffed,
            book.percent,
        ),
    ]
    row = _table(
        book,
        sheet,
        3,
        [text("summary.item", lang), text("summary.value", lang)],
        [(label, _Cell(value, fmt)) for label, value, fmt in items],
        [book.plain, book.plain],
    )

    sheet.write_string(row, 0, text("section.key_figures", lang), book.section)
    headers = [
        text("kf.figure", lang),
        text("kf.value", lang),
        text("kf.reference", lang),
        text("kf.difference", lang),
        text("kf.pupils", lang),
        text("kf.assessment", lang),
        text("kf.reference", lang) + " – " + text("source.title", lang).lower(),
    ]
    rows = []
    for figure in s.key_figures:
        fmt = book.numbers[min(figure.decimals, 3)]
        if figure.meets_reference is None:
            assessment = text("kf.no_reference", lang)
        elif figure.meets_reference:
            assessment = text("kf.better", lang)
        else:
            assessment = text("kf.worse" if figure.higher_is_better else "kf.worse_lower", lang)
        rows.append(
            [
                figure.label,
                _Cell(figure.value, fmt),
                _Cell(figure.reference, fmt),
                _Cell(figure.difference, fmt),
                figure.pupils,
                assessment,
                figure.reference_note,
            ]
        )
    formats = [book.plain, None, None, None, book.numbers[0], book.plain, book.plain]
    row = _table(book, sheet, row + 1, headers, rows, formats)
    sheet.write_string(row - 1, 0, text("kf.caption", lang), book.note)
    row += 1

    sheet.write_string(row, 0, text("section.scenarios", lang), book.section)
    row += 1
    if not s.scenarios:
        sheet.write_string(row, 0, text("scenario.none", lang), book.plain)
        return
    before, after = text("scenario.before", lang), text("scenario.after", lang)
    headers = [
        text("scenario.name", lang),
        text("scenario.key", lang),
        text("scenario.version", lang),
        text("scenario.status", lang),
        text("scenario.model", lang),
        text("scenario.base_year", lang),
        f"{text('scenario.min', lang)} {before}",
        f"{text('scenario.min', lang)} {after}",
        f"{text('scenario.gini', lang)} {before}",
        f"{text('scenario.gini', lang)} {after}",
        f"{text('scenario.mcloone', lang)} {before}",
        f"{text('scenario.mcloone', lang)} {after}",
        text("scenario.hours_moved", lang),
        text("scenario.cost", lang),
    ]
    rows = [
        [
            item.name,
            item.key,
            item.version,
            item.status,
            _model(item.model, lang),
            item.base_year,
            item.min_per_100_before,
            item.min_per_100_after,
            item.gini_before,
            item.gini_after,
            item.mcloone_before,
            item.mcloone_after,
            item.hours_moved,
            item.cost_change_sek,
        ]
        for item in s.scenarios
    ]
    two, three = book.numbers[2], book.numbers[3]
    formats = [
        book.plain,
        book.plain,
        book.numbers[0],
        book.plain,
        book.plain,
        book.plain,
        two,
        two,
        three,
        three,
        three,
        three,
        book.numbers[1],
        book.numbers[0],
    ]
    row = _table(book, sheet, row, headers, rows, formats)
    headers = [text("scenario.name", lang), text("scenario.summary", lang)]
    rows = [[item.name, item.summary_text] for item in s.scenarios]
    row = _table(book, sheet, row, headers, rows, [book.plain, book.wrap])
    for note in s.notes:
        sheet.write_string(row, 0, note, book.note)
        row += 1


def _model(model: str, lang: str) -> str:
    return text(f"model.{model}", lang) if model in ("reallocate", "min-cost", "manual") else model


def _frame_sheet(
    book: _Book, key: str, frame: pd.DataFrame, name_column: str, chart: bool
) -> Worksheet:
    """A sheet with one labelled table of ``frame`` (and a column chart of staffing)."""
    s, lang = book.summary, book.lang
    sheet = book.sheet(key)
    headers = [column_label(c, lang, s.scenarios) for c in frame.columns]
    formats = [book.number_format(column_decimals(c)) for c in frame.columns]
    widths = [28 if c in (name_column, "library_name") else 14 for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    _table(book, sheet, 0, headers, rows, formats, widths, filter_=True)
    sheet.freeze_panes(1, 2)
    columns = list(frame.columns)
    series = ["staffed_hours_per_100_pupils"] + [
        f"s{i}_per_100_after" for i in range(1, len(s.scenarios) + 1)
    ]
    if frame.empty or not chart:
        return sheet
    figure = book.workbook.add_chart({"type": "column"})
    last = len(frame)
    category = columns.index(name_column)
    for number, column in enumerate(series):
        col = columns.index(column)
        figure.add_series(
            {
                "name": [sheet.get_name(), 0, col],
                "categories": [sheet.get_name(), 1, category, last, category],
                "values": [sheet.get_name(), 1, col, last, col],
                "fill": {"color": SERIES_COLOURS[number % len(SERIES_COLOURS)]},
                "gap": 60,
            }
        )
    figure.set_title({"name": text("chart.staffing", lang)})
    figure.set_y_axis({"name": text("equity.indicator", lang), "num_format": NUMBER_FORMATS[1]})
    figure.set_legend({"position": "bottom"})
    figure.set_size({"width": 960, "height": 420})
    sheet.insert_chart(1, len(columns) + 1, figure)
    return sheet


def _equity_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    sheet = book.sheet("equity")
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 2, 90)
    sheet.write_string(0, 0, text("section.equity", lang), book.section)
    row = 1
    if s.equity is None:
        sheet.write_string(row, 0, text("equity.empty", lang), book.plain)
        row += 2
    else:
        caption = text(
            "equity.caption",
            lang,
            schools=format_number(s.equity.schools, 0, lang),
            pupils=format_number(s.equity.pupils, 0, lang),
        )
        sheet.write_string(row, 0, caption, book.note)
        row += 1
        headers = [
            text("equity.statistic", lang),
            text("equity.value", lang),
            text("equity.meaning", lang),
        ]
        rows = [
            [i.label, _Cell(i.value, book.numbers[min(i.decimals, 3)]), i.meaning]
            for i in s.equity.items
        ]
        row = _table(book, sheet, row, headers, rows, [book.plain, None, book.wrap])
    if not s.scenarios:
        return
    before, after = text("scenario.before", lang), text("scenario.after", lang)
    headers = [
        text("scenario.name", lang),
        f"{text('scenario.gini', lang)} {before}",
        f"{text('scenario.gini', lang)} {after}",
        f"{text('scenario.mcloone', lang)} {before}",
        f"{text('scenario.mcloone', lang)} {after}",
        f"{text('scenario.min', lang)} {before}",
        f"{text('scenario.min', lang)} {after}",
    ]
    rows = [
        [
            i.name,
            i.gini_before,
            i.gini_after,
            i.mcloone_before,
            i.mcloone_after,
            i.min_per_100_before,
            i.min_per_100_after,
        ]
        for i in s.scenarios
    ]
    three, two = book.numbers[3], book.numbers[2]
    top = row
    _table(book, sheet, row, headers, rows, [book.plain, three, three, three, three, two, two])
    chart = book.workbook.add_chart({"type": "bar"})
    name = sheet.get_name()
    for number, col in enumerate((1, 2)):
        chart.add_series(
            {
                "name": [name, top, col],
                "categories": [name, top + 1, 0, top + len(rows), 0],
                "values": [name, top + 1, col, top + len(rows), col],
                "fill": {"color": SERIES_COLOURS[number]},
            }
        )
    chart.set_title({"name": text("chart.scenarios", lang)})
    chart.set_x_axis({"name": text("equity.gini", lang), "num_format": NUMBER_FORMATS[3]})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(top + len(rows) + 2, 0, chart, {"x_scale": 1.4, "y_scale": 1.1})


def _checklist_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    sheet = book.sheet("checklist")
    sheet.write_string(0, 0, text("section.checklist", lang), book.section)
    headers = [
        text("check.requirement", lang),
        text("check.schools_pass", lang),
        text("check.schools", lang),
        text("check.unknown", lang),
        text("check.share_schools", lang),
        text("check.share_pupils", lang),
        text("check.source", lang),
    ]
    rows = [
        [
            i.label,
            i.schools_pass,
            i.schools,
            i.schools_unknown,
            i.share_schools_pass,
            i.share_pupils_pass,
            i.source,
        ]
        for i in s.checklist
    ]
    n0 = book.numbers[0]
    row = _table(
        book,
        sheet,
        1,
        headers,
        rows,
        [book.plain, n0, n0, n0, book.percent, book.percent, book.plain],
        [56, 12, 12, 10, 16, 16, 40],
    )
    sheet.write_string(row - 1, 0, text("check.caption", lang), book.note)
    if not rows:
        return
    chart = book.workbook.add_chart({"type": "bar"})
    name = sheet.get_name()
    chart.add_series(
        {
            "name": [name, 1, 5],
            "categories": [name, 2, 0, 1 + len(rows), 0],
            "values": [name, 2, 5, 1 + len(rows), 5],
            "fill": {"color": SERIES_COLOURS[1]},
        }
    )
    chart.set_title({"name": text("chart.checklist", lang)})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": PERCENT_FORMAT})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    sheet.insert_chart(row + 1, 0, chart, {"x_scale": 1.6, "y_scale": 1.1})


def _comments_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    c = s.comments
    sheet = book.sheet("comments")
    sheet.write_string(0, 0, text("section.comments", lang), book.section)
    counts = [
        [text("comment_status.open", lang), c.open],
        [text("comment_status.answered", lang), c.answered],
        [text("comment_status.resolved", lang), c.resolved],
        [text("comment_status.hidden", lang), c.hidden],
    ]
    n0 = book.numbers[0]
    row = _table(
        book,
        sheet,
        1,
        [text("comments.status", lang), text("comments.count", lang)],
        counts,
        [book.plain, n0],
    )
    sheet.write_string(
        row - 1,
        0,
        text(
            "comments.counts",
            lang,
            total=c.total,
            open=c.open,
            answered=c.answered,
            resolved=c.resolved,
            hidden=c.hidden,
        ),
        book.note,
    )
    row += 1
    sheet.write_string(row, 0, text("comments.latest", lang), book.section)
    headers = [
        text("comments.date", lang),
        text("comments.scenario", lang),
        text("comments.school", lang),
        text("comments.role", lang),
        text("comments.status", lang),
        text("comments.reply", lang),
        text("comments.text", lang),
    ]
    rows = [
        [
            i.created_at,
            i.scenario,
            i.school,
            i.role,
            i.status,
            text("comments.reply", lang) if i.is_reply else None,
            i.text,
        ]
        for i in c.latest
    ]
    _table(
        book,
        sheet,
        row + 1,
        headers,
        rows,
        [book.datetime, book.plain, book.plain, book.plain, book.plain, book.plain, book.wrap],
        [18, 26, 24, 16, 12, 8, 90],
    )


def _county_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    if s.county is None:
        return
    sheet = book.sheet("county")
    figures = {f.name: f for f in s.key_figures}
    columns = list(s.county.columns)
    headers, formats = [], []
    for column in columns:
        if column in figures:
            headers.append(figures[column].label)
            formats.append(book.numbers[min(figures[column].decimals, 3)])
        else:
            headers.append(text(f"col.{column}", lang))
            formats.append(
                book.percent
                if column == "share_pupils_staffed"
                else book.numbers[3]
                if column == "gini"
                else book.numbers[0]
                if column in ("schools", "pupils", "libraries")
                else book.plain
            )
    rows = s.county.astype(object).where(s.county.notna(), None).values.tolist()
    row = _table(
        book, sheet, 0, headers, rows, formats, [14, 24] + [16] * (len(columns) - 2), filter_=True
    )
    sheet.write_string(row - 1, 0, text("county.caption", lang), book.note)
    sheet.freeze_panes(1, 2)


def _outcomes_sheet(book: _Book) -> None:
    s = book.summary
    if s.outcomes is None:
        return
    sheet = book.sheet("outcomes")
    sheet.write_string(0, 0, s.outcomes.title, book.section)
    sheet.write_string(1, 0, s.outcomes.note, book.note)
    table = s.outcomes.table
    rows = table.astype(object).where(table.notna(), None).values.tolist()
    formats = [
        book.numbers[2]
        if pd.api.types.is_float_dtype(table[c])
        else book.numbers[0]
        if pd.api.types.is_integer_dtype(table[c])
        else book.plain
        for c in table.columns
    ]
    _table(
        book,
        sheet,
        3,
        [str(c) for c in table.columns],
        rows,
        formats,
        [20] * len(table.columns),
        filter_=True,
    )


def _definitions_sheet(book: _Book) -> None:
    s, lang = book.summary, book.lang
    sheet = book.sheet("definitions")
    sheet.write_string(0, 0, text("section.definitions", lang), book.section)
    rows = [[d.term, d.text] for d in s.definitions]
    row = _table(
        book,
        sheet,
        1,
        [text("definition.term", lang), text("definition.text", lang)],
        rows,
        [book.wrap, book.wrap],
        [40, 100, 60],
    )
    sheet.write_string(row, 0, text("section.sources", lang), book.section)
    rows = [[i.title, i.description, i.url] for i in s.sources]
    _table(
        book,
        sheet,
        row + 1,
        [text("source.title", lang), text("source.description", lang), text("source.url", lang)],
        rows,
        [book.wrap, book.wrap, book.plain],
    )


def render_xlsx(summary: Summary) -> bytes:
    """The summary as the bytes of an ``.xlsx`` workbook."""
    buffer = io.BytesIO()
    book = _Book(buffer, summary)
    _summary_sheet(book)
    _frame_sheet(book, "schools", summary.schools, "school_name", chart=True)
    _frame_sheet(book, "libraries", summary.libraries, "library_name", chart=False)
    _equity_sheet(book)
    _checklist_sheet(book)
    _comments_sheet(book)
    _county_sheet(book)
    _outcomes_sheet(book)
    _definitions_sheet(book)
    book.workbook.set_properties(
        {"title": f"{summary.title} – {summary.area_name} {summary.year}", "author": "skolbib"}
    )
    book.workbook.close()
    return buffer.getvalue()
