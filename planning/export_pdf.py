"""The planning summary as an A4 PDF (fpdf2 with the embedded DejaVu Sans font).

Sections: title page, overview and key figures against reference values, equity, the skollag
checklist, charts, a map, the per-school table, the scenarios before and after, the comments
digest, the county's municipalities (county view), outcomes (when the summary has them) and a
method appendix with definitions and sources. All text comes from the summary in its language;
user text (names, comments) is written as plain text, never as markup or links.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from planning import charts_png
from planning.summary import Summary, column_decimals
from planning.summary_text import MISSING, format_number, format_percent, text

__all__ = ["render_pdf"]

FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
HEADING_FILL = (225, 232, 240)
ROW_FILL = (244, 246, 249)
BANNER_FILL = (255, 243, 205)
MUTED = (90, 90, 90)
BODY_SIZE = 9.5
TABLE_SIZE = 7.5
#: Longest comment text shown in the digest (characters).
COMMENT_CHARS = 400


class _Document(FPDF):
    def __init__(self, summary: Summary):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.summary = summary
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(charts_png.FONT_DIR / name))
        self.set_font(FONT, size=BODY_SIZE)
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages()
        self.set_title(f"{summary.title} – {summary.area_name} {summary.year}")
        self.set_lang(summary.lang)
        self.set_creator("skolbib")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-11)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        left = f"{self.summary.title} · {self.summary.area_name} · {self.summary.year}"
        self.cell(0, 4, left, align="L")
        self.set_x(self.l_margin)
        page = text("page", self.summary.lang, page=self.page_no(), pages="{nb}")
        self.cell(0, 4, page, align="R")
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=BODY_SIZE)

    # ----------------------------------------------------------------- building blocks

    def heading(self, title: str, level: int = 1, room: float = 45.0) -> None:
        """A heading; a new page first when less than ``room`` mm are left."""
        size = {1: 14, 2: 11}[level]
        if self.get_y() > self.h - self.b_margin - room:
            self.add_page()
        self.ln(2 if level == 1 else 1)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(1)

    def paragraph(self, body: str, size: float = BODY_SIZE, muted: bool = False) -> None:
        self.set_font(FONT, size=size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, size * 0.5, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(1)

    def banner(self, body: str) -> None:
        self.set_fill_color(*BANNER_FILL)
        self.multi_cell(
            0, 6, body, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L", padding=2
        )
        self.set_fill_color(255, 255, 255)
        self.ln(2)

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str] | None = None,
        size: float = TABLE_SIZE,
    ) -> None:
        """A table; the first row is the heading, repeated on every page."""
        self.set_font(FONT, size=size)
        headings = FontFace(emphasis="BOLD", fill_color=HEADING_FILL)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align) if align else "LEFT",
            headings_style=headings,
            line_height=size * 0.5,
            borders_layout="HORIZONTAL_LINES",
            cell_fill_color=ROW_FILL,
            cell_fill_mode="ROWS",
            padding=(0.8, 1),
            width=sum(widths),
            align="LEFT",
            repeat_headings=1,
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(2)

    def listing(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        size: float = TABLE_SIZE,
    ) -> None:
        """A long table of one-line rows (text cut with "…" to fit); the heading row is
        repeated on every page. Much faster than :meth:`grid` for a thousand rows."""
        height = size * 0.55
        heading, *body = rows

        def draw_heading() -> None:
            self.set_font(FONT, "B", size)
            self.set_fill_color(*HEADING_FILL)
            lines = max(
                len(self._fit_lines(label, width, 2))
                for label, width in zip(heading, widths, strict=True)
            )
            top = self.get_y()
            for column, (label, width) in enumerate(zip(heading, widths, strict=True)):
                self.set_xy(self.l_margin + sum(widths[:column]), top)
                self.multi_cell(
                    width,
                    height,
                    "\n".join(self._fit_lines(label, width, 2)),
                    border="B",
                    align=align[column][0],
                    fill=True,
                    max_line_height=height,
                    new_x=XPos.RIGHT,
                    new_y=YPos.TOP,
                )
                # pad shorter headings so that the row has one height
                shown = len(self._fit_lines(label, width, 2))
                if shown < lines:
                    self.set_xy(self.l_margin + sum(widths[:column]), top + shown * height)
                    self.cell(width, (lines - shown) * height, "", border="B", fill=True)
            self.set_xy(self.l_margin, top + lines * height)
            self.set_font(FONT, size=size)

        draw_heading()
        total = sum(widths)
        baseline = height * 0.72  # text baseline within the row
        self.set_fill_color(*ROW_FILL)
        for index, values in enumerate(body):
            if self.get_y() + height > self.h - self.b_margin:
                self.add_page()
                draw_heading()
                self.set_fill_color(*ROW_FILL)
            top = self.get_y()
            if index % 2:
                self.rect(self.l_margin, top, total, height, style="F")
            # text() and rect() rather than cell(): a county has a thousand rows
            left = self.l_margin
            for column, (value, width) in enumerate(zip(values, widths, strict=True)):
                shown = self._fit(value, width)
                if align[column].startswith("R"):
                    x = left + width - self.c_margin - self.get_string_width(shown)
                else:
                    x = left + self.c_margin
                self.text(x, top + baseline, shown)
                left += width
            self.set_y(top + height)
        self.set_fill_color(255, 255, 255)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(2)

    def _fit(self, value: str, width: float) -> str:
        room = width - 2 * self.c_margin
        if self.get_string_width(value) <= room:
            return value
        low, high = 0, len(value)
        while low < high:  # the longest prefix that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self.get_string_width(value[:middle] + "…") <= room:
                low = middle
            else:
                high = middle - 1
        return value[:low].rstrip() + "…"

    def _fit_lines(self, value: str, width: float, most: int) -> list[str]:
        lines = self.multi_cell(width, 1, value, dry_run=True, output="LINES")
        if len(lines) > most:
            lines = [*lines[: most - 1], self._fit(" ".join(lines[most - 1 :]), width)]
        return lines

    def chart(self, chart: Any, width: float = 178.0) -> None:
        if chart is None:
            return
        png = charts_png.to_png(chart, self.summary.lang)
        with Image.open(io.BytesIO(png)) as image:
            pixel_width, pixel_height = image.size
        height = width * pixel_height / pixel_width
        room = self.h - self.b_margin - self.get_y()
        limit = self.h - self.t_margin - self.b_margin
        if height > limit:  # fit a tall chart on one page
            width, height = width * limit / height, limit
        if height > room:
            self.add_page()
        self.image(io.BytesIO(png), x=self.l_margin, w=width, h=height)
        self.ln(3)


# --------------------------------------------------------------------------- numbers


def _number(value: Any, decimals: int, lang: str) -> str:
    if isinstance(value, float) and math.isinf(value):
        return text("infinite", lang)
    return format_number(value, decimals, lang)


def _signed(value: float | None, decimals: int, lang: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    shown = format_number(value, decimals, lang)
    return (
        shown
        if shown.startswith("-") or shown == format_number(0, decimals, lang)
        else ("+" + shown)
    )


def _plain(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    return str(value)


# --------------------------------------------------------------------------- sections


def _title_page(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.add_page()
    pdf.ln(40)
    pdf.set_font(FONT, "B", 22)
    pdf.multi_cell(0, 11, s.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(4)
    pdf.set_font(FONT, "B", 16)
    scope = text(f"scope.{s.scope}", lang)
    pdf.multi_cell(0, 8, f"{scope}: {s.area_name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font(FONT, size=12)
    pdf.multi_cell(
        0,
        7,
        text("subtitle", lang, area=s.area_name, year=s.year),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        align="L",
    )
    if s.scope == "county":
        pdf.paragraph(", ".join(s.municipality_names), size=10)
    pdf.ln(4)
    if s.fictional:
        pdf.banner(text("fictional_banner", lang))
    pdf.paragraph(
        text("generated", lang, date=s.generated_at.date().isoformat(), user=s.generated_by),
        size=10,
        muted=True,
    )
    if s.scenarios:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 6, text("section.scenarios", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for item in s.scenarios:
            pdf.paragraph(f"{item.key}: {item.name} (v{item.version}, {item.status})", size=10)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 6, text("contents", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for key in _section_keys(s):
        pdf.paragraph(text(key, lang), size=10)


def _section_keys(s: Summary) -> list[str]:
    keys = [
        "section.key_figures",
        "section.equity",
        "section.checklist",
        "section.charts",
        "section.map",
        "section.schools",
        "section.scenarios",
        "section.comments",
    ]
    if s.county is not None:
        keys.append("section.county")
    keys.append("section.method")
    return keys


def _key_figures(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.add_page()
    pdf.heading(text("section.counts", lang))
    hours = format_number(s.counts.staffed_threshold, 0, lang)
    pdf.grid(
        [
            [text("summary.item", lang), text("summary.value", lang)],
            [text("count.schools", lang), format_number(s.counts.schools, 0, lang)],
            [text("count.pupils", lang), format_number(s.counts.pupils, 0, lang)],
            [text("count.libraries", lang), format_number(s.counts.libraries, 0, lang)],
            [
                text("count.share_staffed", lang, hours=hours),
                format_percent(s.counts.share_pupils_staffed, 0, lang),
            ],
        ],
        (120, 40),
        ("LEFT", "RIGHT"),
        size=BODY_SIZE - 0.5,
    )
    pdf.heading(text("section.key_figures", lang))
    rows = [
        [
            text("kf.figure", lang),
            text("kf.value", lang),
            text("kf.reference", lang),
            text("kf.difference", lang),
            text("kf.assessment", lang),
        ]
    ]
    for figure in s.key_figures:
        if figure.meets_reference is None:
            assessment = text("kf.no_reference", lang)
        elif figure.meets_reference:
            assessment = text("kf.better", lang)
        else:
            assessment = text("kf.worse" if figure.higher_is_better else "kf.worse_lower", lang)
        rows.append(
            [
                figure.label,
                format_number(figure.value, figure.decimals, lang),
                format_number(figure.reference, figure.decimals, lang),
                _signed(figure.difference, figure.decimals, lang),
                assessment,
            ]
        )
    pdf.grid(rows, (66, 20, 28, 22, 42), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"), size=8)
    pdf.paragraph(text("kf.caption", lang), size=8, muted=True)

    pdf.heading(text("section.equity", lang))
    if s.equity is None:
        pdf.paragraph(text("equity.empty", lang))
    else:
        pdf.paragraph(
            text(
                "equity.caption",
                lang,
                schools=format_number(s.equity.schools, 0, lang),
                pupils=format_number(s.equity.pupils, 0, lang),
            ),
            size=8.5,
        )
        rows = [
            [
                text("equity.statistic", lang),
                text("equity.value", lang),
                text("equity.meaning", lang),
            ]
        ]
        rows += [
            [item.label, _number(item.value, item.decimals, lang), item.meaning]
            for item in s.equity.items
        ]
        pdf.grid(rows, (42, 18, 118), ("LEFT", "RIGHT", "LEFT"))

    pdf.heading(text("section.checklist", lang))
    rows = [
        [
            text("check.requirement", lang),
            text("check.schools_pass", lang),
            text("check.schools", lang),
            text("check.unknown", lang),
            text("check.share_schools", lang),
            text("check.share_pupils", lang),
        ]
    ]
    rows += [
        [
            item.label,
            format_number(item.schools_pass, 0, lang),
            format_number(item.schools, 0, lang),
            format_number(item.schools_unknown, 0, lang),
            format_percent(item.share_schools_pass, 0, lang),
            format_percent(item.share_pupils_pass, 0, lang),
        ]
        for item in s.checklist
    ]
    pdf.grid(rows, (70, 18, 22, 14, 26, 28), ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))
    pdf.paragraph(text("check.caption", lang), size=8, muted=True)


def _charts(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.add_page()
    pdf.heading(text("section.charts", lang))
    pdf.chart(charts_png.staffing_chart(s))
    pdf.chart(charts_png.checklist_chart(s))
    pdf.chart(charts_png.scenario_chart(s))
    pdf.heading(text("section.map", lang))
    chart = charts_png.map_chart(s)
    if chart is None:
        pdf.paragraph(text("map.empty", lang))
    else:
        pdf.chart(chart, width=160)
        pdf.paragraph(text("map.caption", lang), size=8, muted=True)


def _schools(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.add_page()
    pdf.heading(text("section.schools", lang))
    county = s.scope == "county"
    heading = [text("col.school_name", lang)]
    widths = [50.0 if not county else 40.0]
    if county:
        heading.append(text("col.municipality_name", lang))
        widths.append(24)
    heading += [
        text("col.pupils", lang),
        text("col.library_name", lang),
        text("short.staffed_hours", lang),
        text("short.per_100_now", lang),
    ]
    widths += [14, 44 if not county else 34, 18, 18]
    align = ["LEFT"] * (2 if county else 1) + ["RIGHT", "LEFT", "RIGHT", "RIGHT"]
    for item in s.scenarios:
        heading.append(text("short.per_100_after", lang, key=item.key))
        widths.append(14 if len(s.scenarios) > 2 else 17)
        align.append("RIGHT")
    scale = 178 / sum(widths)
    widths = [w * scale for w in widths]
    rows = [heading]
    per_100 = column_decimals("staffed_hours_per_100_pupils")
    for record in s.schools.to_dict(orient="records"):
        row = [_plain(record["school_name"])]
        if county:
            row.append(_plain(record["municipality_name"]))
        row += [
            format_number(record["pupils"], 0, lang),
            _plain(record["library_name"]),
            format_number(record["staffed_hours"], column_decimals("staffed_hours"), lang),
            format_number(record["staffed_hours_per_100_pupils"], per_100, lang),
        ]
        row += [
            format_number(record[f"s{i}_per_100_after"], per_100, lang)
            for i in range(1, len(s.scenarios) + 1)
        ]
        rows.append(row)
    pdf.listing(rows, widths, align)
    keys = "; ".join(f"{item.key} = {item.name}" for item in s.scenarios)
    pdf.paragraph(text("schools.caption", lang, keys=keys), size=8, muted=True)


def _scenarios(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.heading(text("section.scenarios", lang), room=90)
    if not s.scenarios:
        pdf.paragraph(text("scenario.none", lang))
        return
    before, after = text("scenario.before", lang), text("scenario.after", lang)
    rows = [
        [
            text("scenario.key", lang),
            text("scenario.name", lang),
            text("scenario.status", lang),
            f"{text('scenario.min', lang)} {before} → {after}",
            f"{text('scenario.gini', lang)} {before} → {after}",
            f"{text('scenario.mcloone', lang)} {before} → {after}",
            text("scenario.hours_moved", lang),
            text("scenario.cost", lang),
        ]
    ]
    for item in s.scenarios:
        rows.append(
            [
                item.key,
                f"{item.name} (v{item.version})",
                item.status,
                f"{format_number(item.min_per_100_before, 2, lang)} → "
                f"{format_number(item.min_per_100_after, 2, lang)}",
                f"{format_number(item.gini_before, 3, lang)} → "
                f"{format_number(item.gini_after, 3, lang)}",
                f"{format_number(item.mcloone_before, 3, lang)} → "
                f"{format_number(item.mcloone_after, 3, lang)}",
                format_number(item.hours_moved, 1, lang),
                _signed(item.cost_change_sek, 0, lang),
            ]
        )
    pdf.grid(
        rows,
        (11, 33, 20, 26, 26, 26, 17, 19),
        ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
    )
    for item in s.scenarios:
        pdf.set_font(FONT, "B", BODY_SIZE)
        model = (
            text(f"model.{item.model}", lang)
            if item.model in ("reallocate", "min-cost", "manual")
            else item.model
        )
        pdf.multi_cell(
            0,
            5,
            f"{item.key}: {item.name} – {model}, {text('scenario.base_year', lang).lower()} "
            f"{item.base_year}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            align="L",
        )
        pdf.paragraph(item.summary_text or MISSING, size=9)
    for note in s.notes:
        pdf.paragraph(note, size=8.5, muted=True)


def _comments(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    c = s.comments
    pdf.heading(text("section.comments", lang))
    if c.total == 0 and c.hidden == 0:
        pdf.paragraph(text("comments.none", lang))
        return
    pdf.paragraph(
        text(
            "comments.counts",
            lang,
            total=c.total,
            open=c.open,
            answered=c.answered,
            resolved=c.resolved,
            hidden=c.hidden,
        )
    )
    if not c.latest:
        return
    pdf.heading(text("comments.latest", lang), level=2)
    rows = [
        [
            text("comments.date", lang),
            text("comments.scenario", lang),
            text("comments.school", lang),
            text("comments.role", lang),
            text("comments.status", lang),
            text("comments.text", lang),
        ]
    ]
    for item in c.latest:
        body = item.text if len(item.text) <= COMMENT_CHARS else item.text[:COMMENT_CHARS] + " …"
        if item.is_reply:
            body = f"({text('comments.reply', lang)}) {body}"
        rows.append(
            [
                item.created_at.date().isoformat(),
                item.scenario,
                _plain(item.school),
                item.role,
                item.status,
                body,
            ]
        )
    pdf.grid(rows, (18, 26, 24, 22, 16, 72))


def _county(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    if s.county is None:
        return
    pdf.add_page()
    pdf.heading(text("section.county", lang))
    figures = {f.name: f for f in s.key_figures}
    columns = ["municipality_name", "schools", "pupils", "share_pupils_staffed"]
    columns += [
        name for name in ("staffed_hours_per_100_pupils", "items_per_pupil") if name in figures
    ]
    columns.append("gini")
    heading = []
    for column in columns:
        heading.append(figures[column].label if column in figures else text(f"col.{column}", lang))
    rows = [heading]
    for record in s.county.to_dict(orient="records"):
        row = []
        for column in columns:
            value = record.get(column)
            if column == "municipality_name":
                row.append(_plain(value))
            elif column == "share_pupils_staffed":
                row.append(format_percent(value, 0, lang))
            elif column == "gini":
                row.append(format_number(value, 3, lang))
            elif column in figures:
                row.append(format_number(value, figures[column].decimals, lang))
            else:
                row.append(format_number(value, 0, lang))
        rows.append(row)
    widths = [40] + [138 / (len(columns) - 1)] * (len(columns) - 1)
    pdf.grid(rows, widths, ["LEFT"] + ["RIGHT"] * (len(columns) - 1))
    pdf.paragraph(text("county.caption", lang), size=8, muted=True)


def _outcomes(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    if s.outcomes is None:
        return
    pdf.add_page()
    pdf.heading(s.outcomes.title)
    if s.outcomes.note:
        pdf.paragraph(s.outcomes.note, size=8.5)
    table = s.outcomes.table
    if table.empty:
        return
    rows = [[str(c) for c in table.columns]]
    for record in table.itertuples(index=False):
        rows.append(
            [
                format_number(v, 2, lang)
                if isinstance(v, int | float) and not isinstance(v, bool)
                else _plain(v)
                for v in record
            ]
        )
    pdf.grid(rows, [178 / len(table.columns)] * len(table.columns))


def _appendix(pdf: _Document) -> None:
    s, lang = pdf.summary, pdf.summary.lang
    pdf.add_page()
    pdf.heading(text("section.method", lang))
    pdf.heading(text("section.definitions", lang), level=2)
    rows = [[text("definition.term", lang), text("definition.text", lang)]]
    rows += [[d.term, d.text] for d in s.definitions]
    pdf.grid(rows, (48, 130), size=8)
    pdf.heading(text("section.sources", lang), level=2)
    rows = [
        [text("source.title", lang), text("source.description", lang), text("source.url", lang)]
    ]
    rows += [[item.title, item.description, item.url or MISSING] for item in s.sources]
    pdf.grid(rows, (45, 73, 60), size=7.5)


def render_pdf(summary: Summary) -> bytes:
    """The summary as PDF bytes (A4, Swedish or English as the summary)."""
    pdf = _Document(summary)
    _title_page(pdf)
    _key_figures(pdf)
    _charts(pdf)
    _schools(pdf)
    _scenarios(pdf)
    _comments(pdf)
    _county(pdf)
    _outcomes(pdf)
    _appendix(pdf)
    return bytes(pdf.output())
