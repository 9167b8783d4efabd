"""The design system keeps WCAG AA contrast in both themes (checked on the CSS variables)."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()

# (foreground, background, minimum ratio): 4.5 for text, 3 for UI outlines (WCAG 1.4.3, 1.4.11).
PAIRS = [
    ("text", "bg", 4.5), ("text", "surface", 4.5), ("text", "surface-2", 4.5),
    ("muted", "bg", 4.5), ("muted", "surface", 4.5), ("muted", "surface-2", 4.5),
    ("link", "bg", 4.5), ("link", "surface", 4.5), ("link", "surface-2", 4.5),
    ("on-accent", "accent", 4.5), ("on-accent", "accent-hover", 4.5), ("accent", "surface", 4.5),
    ("ok", "ok-bg", 4.5), ("warn", "warn-bg", 4.5), ("bad", "bad-bg", 4.5), ("info", "info-bg", 4.5),
    ("bad", "surface", 4.5), ("text", "ok-bg", 4.5), ("text", "bad-bg", 4.5), ("text", "warn-bg", 4.5),
    ("text", "info-bg", 4.5), ("mark-text", "mark-bg", 4.5),
    ("focus", "bg", 3), ("focus", "surface", 3), ("border", "surface", 3), ("bar-fill", "bar-track", 3),
]


def theme_variables(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", CSS, re.S).group(1)
    return dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})", block))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


THEMES = {
    "light": theme_variables('[data-theme="light"]'),
    "dark": theme_variables('[data-theme="dark"]'),
    "system-dark": theme_variables('  [data-theme="system"]'),
}


@pytest.mark.parametrize("theme", THEMES)
def test_theme_colour_pairs_pass_wcag_aa(theme):
    colours = THEMES[theme]
    failures = [f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f} < {minimum}"
                for fg, bg, minimum in PAIRS if contrast(colours[fg], colours[bg]) < minimum]
    assert failures == []


def test_system_theme_in_dark_mode_matches_the_dark_theme():
    assert THEMES["system-dark"] == THEMES["dark"]
