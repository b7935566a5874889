"""LaTeX to QPixmap through ziamath -> SVG -> QSvgRenderer, cached, with a text fallback.

ziamath must write SVG 1.1 (``config.svg2 = False``): its default SVG-2 ``<symbol>`` glyphs draw
nothing but the fraction bars in QtSvg. ziamath and sympy are imported on first use only, to keep
start-up fast.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from desktop.ui.fonts import code_font


@functools.lru_cache(maxsize=512)
def latex_svg(latex: str, color: str, size: float) -> bytes | None:
    """ziamath's SVG of the formula, or None. Pure Python, safe in any thread (the colour is
    passed, not set in ziamath's global config): a worker can render ahead of the GUI."""
    try:
        import ziamath as zm

        zm.config.svg2 = False  # the same value from every thread
        return zm.Latex(latex, size=size, color=color).svg().encode()
    except Exception:  # ziamath raises a variety of errors on LaTeX it does not know
        return None


def prerender(formulas) -> None:
    """Lay out ``[(latex, color, size), ...]`` ahead, in a worker thread: ziamath takes 10-40 ms
    a formula, and ``render_latex`` on the GUI thread then only draws the cached SVG (a few ms)."""
    for latex, color, size in formulas:
        if latex:
            latex_svg(latex, color, size)


def render_latex(latex: str, color: str = "#000000", size: float = 20.0,
                 dpr: float = 2.0) -> QPixmap | None:
    """A pixmap of the formula, or None when it cannot be rendered (use ``plain_text``)."""
    from PySide6.QtSvg import QSvgRenderer

    svg = latex_svg(latex, color, size)
    if svg is None:
        return None
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid() or renderer.defaultSize().isEmpty():
        return None
    img = QImage(renderer.defaultSize() * dpr, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    renderer.render(p)
    p.end()
    pm = QPixmap.fromImage(img)
    pm.setDevicePixelRatio(dpr)
    return pm


def plain_text(latex: str, expr=None) -> str:
    """Fallback text: sympy's unicode pretty print of ``expr`` when given, else the LaTeX."""
    if expr is not None:
        try:
            import sympy

            return sympy.pretty(expr, use_unicode=True)
        except Exception:
            return str(expr)
    return latex


class MathLabel(QLabel):
    """Shows a formula as rendered math, or as monospace text when rendering fails."""

    def __init__(self, parent: QWidget | None = None, color: str = "#000000", size: float = 20.0):
        super().__init__(parent)
        self.color = color
        self.size = size
        self.rendered = False
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_math(self, latex: str, expr=None, plain: str | None = None) -> None:
        pm = render_latex(latex, self.color, self.size) if latex else None
        self.rendered = pm is not None
        self.setToolTip(plain or latex)
        if pm is not None:
            self.setPixmap(pm)
            return
        self.setFont(code_font())
        self.setText(plain or plain_text(latex, expr))

    def set_color(self, color: str) -> None:
        self.color = color
