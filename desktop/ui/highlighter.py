"""Python syntax highlighting for the editor: regex rules per line plus block state for
triple-quoted strings, which are the one construct that spans lines."""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from desktop.ui.theme import LIGHT, Theme

_KEYWORDS = [k for k in keyword.kwlist if k not in ("True", "False", "None")]
_CONSTANTS = ["True", "False", "None", "self", "cls"]
_BUILTINS = [b for b in dir(builtins) if not b.startswith("_") and b[0].islower()]

_STATE_NONE, _STATE_TRIPLE_SINGLE, _STATE_TRIPLE_DOUBLE = -1, 1, 2
_TRIPLE = {_STATE_TRIPLE_SINGLE: "'''", _STATE_TRIPLE_DOUBLE: '"""'}


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class PythonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, theme: Theme = LIGHT):
        super().__init__(document)
        self.set_theme(theme, rehighlight=False)

    def set_theme(self, theme: Theme, rehighlight: bool = True) -> None:
        self.formats = {
            "keyword": _fmt(theme.keyword, bold=True),
            "constant": _fmt(theme.keyword),
            "builtin": _fmt(theme.builtin),
            "number": _fmt(theme.number),
            "string": _fmt(theme.string),
            "comment": _fmt(theme.comment, italic=True),
            "decorator": _fmt(theme.decorator),
            "defname": _fmt(theme.text, bold=True),
        }
        # Later rules overwrite earlier ones, so strings and comments come last.
        self.rules = [
            (re.compile(r"\b(" + "|".join(_KEYWORDS) + r")\b"), "keyword"),
            (re.compile(r"\b(" + "|".join(_CONSTANTS) + r")\b"), "constant"),
            (re.compile(r"\b(" + "|".join(_BUILTINS) + r")\b(?=\s*\()"), "builtin"),
            (re.compile(r"\b(0[xob][0-9a-fA-F_]+|\d[\d_]*\.?\d*(e[+-]?\d+)?j?|\.\d+)\b"),
             "number"),
            (re.compile(r"^\s*@[\w.]+"), "decorator"),
            (re.compile(r"(?<=\bdef\s)\w+|(?<=\bclass\s)\w+"), "defname"),
        ]
        # One regex for strings and comments so that '#' inside a string is not a comment.
        self.string_or_comment = re.compile(
            r"""(?P<t>'''|\"\"\")"""
            r"""|(?P<s>[rbfuRBFU]{0,2}("[^"\\]*(\\.[^"\\]*)*"|'[^'\\]*(\\.[^'\\]*)*'))"""
            r"""|(?P<c>\#.*)"""
        )
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for rx, name in self.rules:
            for m in rx.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self.formats[name])
        self.setCurrentBlockState(_STATE_NONE)
        start = 0
        prev = self.previousBlockState()
        if prev in _TRIPLE:  # inside a docstring that began on an earlier line
            end = text.find(_TRIPLE[prev])
            if end < 0:
                self.setFormat(0, len(text), self.formats["string"])
                self.setCurrentBlockState(prev)
                return
            self.setFormat(0, end + 3, self.formats["string"])
            start = end + 3
        while True:
            m = self.string_or_comment.search(text, start)
            if m is None:
                return
            if m.group("c"):
                self.setFormat(m.start(), len(text) - m.start(), self.formats["comment"])
                return
            if m.group("t"):
                quote = m.group("t")
                end = text.find(quote, m.end())
                if end < 0:
                    self.setFormat(m.start(), len(text) - m.start(), self.formats["string"])
                    state = _STATE_TRIPLE_SINGLE if quote == "'''" else _STATE_TRIPLE_DOUBLE
                    self.setCurrentBlockState(state)
                    return
                self.setFormat(m.start(), end + 3 - m.start(), self.formats["string"])
                start = end + 3
                continue
            self.setFormat(m.start(), m.end() - m.start(), self.formats["string"])
            start = m.end()
