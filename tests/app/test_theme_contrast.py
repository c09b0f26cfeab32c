"""Contrast of the theme's colours (WCAG 2.1 1.4.3: at least 4.5:1 for normal text).

The colours come from ``.streamlit/config.toml``. Captions and other secondary text are drawn by
Streamlit in the text colour at 60 % opacity, so that blend is checked as well. The relative
luminance and contrast formulas are WCAG's own (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
MINIMUM = 4.5
#: Streamlit's "fadedText60": captions, help texts, widget hints
CAPTION_OPACITY = 0.6


def rgb(hex_colour: str) -> tuple[float, float, float]:
    text = hex_colour.lstrip("#")
    return tuple(int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(colour: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def blend(front: tuple[float, ...], back: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(front, back, strict=True))


def test_the_formulas_match_known_values():
    assert contrast(rgb("#000000"), rgb("#ffffff")) == pytest.approx(21.0)
    assert contrast(rgb("#767676"), rgb("#ffffff")) == pytest.approx(4.54, abs=0.01)
    assert contrast(rgb("#777d85"), rgb("#ffffff")) == pytest.approx(4.15, abs=0.01)  # axe's


THEME = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["theme"]
BACKGROUNDS = ("backgroundColor", "secondaryBackgroundColor")


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize("foreground", ["textColor", "primaryColor", "linkColor"])
def test_theme_text_colours_have_enough_contrast(foreground, background):
    ratio = contrast(rgb(THEME[foreground]), rgb(THEME[background]))
    assert ratio >= MINIMUM, f"{foreground} on {background}: {ratio:.2f}:1"


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_captions_in_faded_text_colour_have_enough_contrast(background):
    back = rgb(THEME[background])
    faded = blend(rgb(THEME["textColor"]), back, CAPTION_OPACITY)
    ratio = contrast(faded, back)
    assert ratio >= MINIMUM, f"captions on {background}: {ratio:.2f}:1"
