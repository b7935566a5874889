"""The fixed-pitch font code is shown in.

``QFontDatabase.systemFont(FixedFont)`` names a family ("monospace") that fontconfig resolves
to whatever it likes: on a machine without its usual alias rules that is a proportional font,
and code set in it loses its columns. ``code_font`` keeps the system's choice when Qt confirms
it is fixed-pitch, else takes the first installed fixed-pitch family, and falls back to the
system's choice only when the machine has no fixed-pitch font at all.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo


@cache
def _code_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if not QFontInfo(font).fixedPitch():
        for family in QFontDatabase.families():
            if QFontDatabase.isPrivateFamily(family) or not QFontDatabase.isFixedPitch(family):
                continue
            candidate = QFont(font)
            candidate.setFamily(family)
            if QFontInfo(candidate).fixedPitch():
                font = candidate
                break
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setFixedPitch(True)
    return font


def code_font(point_size: int | None = None) -> QFont:
    """A fresh copy of the font for code, optionally at ``point_size`` points."""
    font = QFont(_code_font())
    if point_size is not None:
        font.setPointSize(point_size)
    return font


def widest_ascii_advance(metrics) -> int:
    """The widest printable ASCII character's advance in ``metrics`` (a QFontMetrics): with it a
    width of N columns holds any N characters of code, whatever font the machine gave us."""
    return max(metrics.horizontalAdvance(chr(c)) for c in range(32, 127))
