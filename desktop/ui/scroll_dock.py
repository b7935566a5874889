"""Docks whose content can never make the window bigger.

A ``QDockWidget``'s minimum size is its content's minimum size, and a ``QMainWindow``'s minimum
size is the sum of its docks'. One wide table or formula in one panel therefore used to push
the whole window past the screen, where no resize or Reset Layout could bring it back. A
``ScrollDock`` puts whatever it is given into a ``QScrollArea``: the content keeps its own
minimum size and scrolls inside the dock, and the dock's minimum is only the scroll area's.

``fit_to_screen`` repairs a remembered geometry that no longer fits (a smaller monitor, a
layout saved while a panel was too wide).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

MAX_WINDOW_MINIMUM = QSize(800, 600)  # the window's minimum size may never exceed this
DOCK_MINIMUM = QSize(120, 60)  # what a dock may ask for at most, title bar aside


class _Scroller(QScrollArea):
    """A scroll area that resizes its content to the viewport (down to the content's own
    minimum) and asks its dock for no more than ``DOCK_MINIMUM``."""

    def __init__(self, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)

    def minimumSizeHint(self) -> QSize:
        inner = self.widget()
        need = inner.minimumSizeHint() if inner is not None else QSize(0, 0)
        if not need.isValid():
            need = QSize(0, 0)
        return need.boundedTo(DOCK_MINIMUM)

    def sizeHint(self) -> QSize:
        inner = self.widget()
        return inner.sizeHint() if inner is not None else super().sizeHint()


class ScrollDock(QDockWidget):
    """A dock whose ``setWidget`` content scrolls inside it; ``widget()`` returns that content
    (not the scroll area), so callers never see the wrapper."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self._content: QWidget | None = None

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 (Qt's name)
        self._content = widget
        old = super().widget()
        super().setWidget(_Scroller(widget, self))
        if isinstance(old, _Scroller):
            old.takeWidget()
            old.deleteLater()

    def widget(self) -> QWidget | None:
        return self._content

    def scroller(self) -> QScrollArea | None:
        area = super().widget()
        return area if isinstance(area, QScrollArea) else None


def fit_to_screen(window: QMainWindow) -> bool:
    """Move and shrink ``window`` (and its floating docks) onto the screen it is on; returns
    True when anything had to change. The window's own minimum size stays the limit."""
    screen = window.screen()
    if screen is None:
        return False
    avail: QRect = screen.availableGeometry()
    changed = False
    frame = window.frameGeometry()
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    w = min(window.width(), max(avail.width() - extra_w, window.minimumWidth()))
    h = min(window.height(), max(avail.height() - extra_h, window.minimumHeight()))
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)
        changed = True
    frame = window.frameGeometry()
    x = min(max(frame.x(), avail.x()), max(avail.x(), avail.right() + 1 - frame.width()))
    y = min(max(frame.y(), avail.y()), max(avail.y(), avail.bottom() + 1 - frame.height()))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
        changed = True
    for dock in window.findChildren(QDockWidget):
        if dock.isFloating() and not avail.intersects(dock.frameGeometry()):
            dock.setFloating(False)  # back into the window, where it can be seen
            changed = True
    return changed


def oversized(window: QMainWindow) -> bool:
    """Whether the window's layout asks for more than ``MAX_WINDOW_MINIMUM``."""
    hint = window.minimumSizeHint()
    return hint.width() > MAX_WINDOW_MINIMUM.width() or \
        hint.height() > MAX_WINDOW_MINIMUM.height()


__all__ = ["DOCK_MINIMUM", "MAX_WINDOW_MINIMUM", "ScrollDock", "fit_to_screen", "oversized"]
