"""Reading what the app put on screen, as plain text (for assertions)."""

from __future__ import annotations

import html
import re

from textual.app import App

# Rich's SVG export: one <text> per run of styled text, placed by cell (x = column *
# cell width) on its line (the clip path names the line).
_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)"[^>]*?textLength="([\d.]+)"[^>]*?'
                   r'clip-path="url\(#[^)]*-line-(\d+)\)"[^>]*>(.*?)</text>')


def screen_text(app: App) -> str:
    """The current screen (with any screens behind it) as plain text, one line per row,
    read from the app's own screenshot (`App.export_screenshot`)."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, length, line, content in _TEXT.findall(app.export_screenshot()):
        text = html.unescape(content).replace("\xa0", " ")
        if not text or int(line) >= height:
            continue
        cell = float(length) / len(text)
        column = round(float(x) / cell)
        for offset, char in enumerate(text):
            if 0 <= column + offset < width:
                rows[int(line)][column + offset] = char
    return "\n".join("".join(row).rstrip() for row in rows) + "\n"
