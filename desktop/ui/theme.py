"""Light and dark themes: the Qt palette plus the colours our own painters use.

Widgets that paint themselves (graph nodes, editor gutter, syntax highlighter, plots) read a
``Theme`` instead of the QPalette, because the palette has no roles for "freed node" or "keyword".
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    highlight: str
    accent: str  # highlight outline in the graph, current-line arrow
    # editor
    current_line: str
    error_line: str
    breakpoint: str
    gutter: str
    keyword: str
    builtin: str
    string: str
    comment: str
    number: str
    decorator: str
    # output
    stdout: str
    stderr: str
    # graph
    scene: str
    edge: str
    grad_label: str
    node_leaf_grad: str
    node_leaf_const: str
    node_op: str
    node_custom: str
    node_freed: str
    node_border: str
    # plots: f, f', f''
    plot_pens: tuple[str, str, str] = ("#1f77b4", "#d62728", "#2ca02c")
    link: str = "#1a5fb4"  # links in rich text (the error's line, lessons)


LIGHT = Theme(
    name="light",
    window="#efefef",
    base="#ffffff",
    alt_base="#f5f5f5",
    text="#1e1e1e",
    muted="#777777",
    button="#e6e6e6",
    highlight="#3574f0",
    accent="#ff8c00",
    current_line="#fff3b0",
    error_line="#ffd6d6",
    breakpoint="#d32f2f",
    gutter="#f0f0f0",
    keyword="#0033b3",
    builtin="#871094",
    string="#067d17",
    comment="#8c8c8c",
    number="#1750eb",
    decorator="#9e880d",
    stdout="#1e1e1e",
    stderr="#c62828",
    scene="#fafafa",
    edge="#606060",
    grad_label="#b23c00",
    node_leaf_grad="#cfe8ff",
    node_leaf_const="#e8e8e8",
    node_op="#fff1c9",
    node_custom="#e8d7ff",
    node_freed="#f4f4f4",
    node_border="#404040",
)

DARK = Theme(
    name="dark",
    window="#2b2b2b",
    base="#1e1f22",
    alt_base="#26282b",
    text="#dcdcdc",
    muted="#8a8a8a",
    button="#3c3f41",
    highlight="#2f65ca",
    accent="#ffa726",
    current_line="#4a4520",
    error_line="#5a2a2a",
    breakpoint="#ef5350",
    gutter="#2b2d30",
    keyword="#cf8e6d",
    builtin="#c77dbb",
    string="#6aab73",
    comment="#7a7e85",
    number="#2aacb8",
    decorator="#b3ae60",
    stdout="#dcdcdc",
    stderr="#ff6b68",
    scene="#1e1f22",
    edge="#a0a0a0",
    grad_label="#ffb570",
    node_leaf_grad="#1f4e79",
    node_leaf_const="#3a3d41",
    node_op="#5c4a1a",
    node_custom="#4b2e6e",
    node_freed="#2a2a2a",
    node_border="#c8c8c8",
    plot_pens=("#4fc3f7", "#ff7043", "#9ccc65"),
    link="#7cb4ff",  # the highlight blue is too dark to read as text on the dark window
)

THEMES: dict[str, Theme] = {LIGHT.name: LIGHT, DARK.name: DARK}


def theme_named(name: str | None) -> Theme:
    return THEMES.get(name or "", LIGHT)


def make_palette(theme: Theme) -> QPalette:
    p = QPalette()
    c = QColor
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, c(theme.window))
        p.setColor(group, QPalette.ColorRole.WindowText, c(theme.text))
        p.setColor(group, QPalette.ColorRole.Base, c(theme.base))
        p.setColor(group, QPalette.ColorRole.AlternateBase, c(theme.alt_base))
        p.setColor(group, QPalette.ColorRole.Text, c(theme.text))
        p.setColor(group, QPalette.ColorRole.Button, c(theme.button))
        p.setColor(group, QPalette.ColorRole.ButtonText, c(theme.text))
        p.setColor(group, QPalette.ColorRole.ToolTipBase, c(theme.base))
        p.setColor(group, QPalette.ColorRole.ToolTipText, c(theme.text))
        p.setColor(group, QPalette.ColorRole.Highlight, c(theme.highlight))
        p.setColor(group, QPalette.ColorRole.HighlightedText, c("#ffffff"))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, c(theme.muted))
        p.setColor(group, QPalette.ColorRole.Link, c(theme.link))
        p.setColor(group, QPalette.ColorRole.LinkVisited, c(theme.link))
    dis = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(dis, role, c(theme.muted))
    p.setColor(dis, QPalette.ColorRole.Window, c(theme.window))
    p.setColor(dis, QPalette.ColorRole.Base, c(theme.window))
    p.setColor(dis, QPalette.ColorRole.Button, c(theme.button))
    return p


def apply_palette(theme: Theme) -> None:
    """Fusion is the one style that honours a custom palette on every platform."""
    app = QApplication.instance()
    if app is None:
        return
    # setStyle replaces (and deletes) the style object every call, and widgets of an earlier
    # window still being torn down can touch the deleted one: a segfault seen in the suite.
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(make_palette(theme))
