"""The Predict panel: the question, an answer box, Check and Show me, and what was revealed.
It only renders and forwards: ``submitted(text)`` and ``show_me()`` go to the predict wiring."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

PLACEHOLDER = "a number, a tensor such as [[4.5, 4.5]], or an expression such as 2*(Y_hat - Y)/4"
OFF = ("Predict mode is off. Turn it on (Debug → Predict Mode) and step into a backward() "
       "call: before each node's result is shown, you are asked what it will be.")
WAITING = "Step into a backward() call (F11 on its line): each node asks you first."


class PredictPanel(QScrollArea):
    submitted = Signal(str)
    show_me = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)  # the content scrolls: it never widens the window
        body = QWidget()
        layout = QVBoxLayout(body)
        self.prompt = QLabel(OFF)
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.hide()
        self.hint_button = QPushButton("Hint")
        self.hint_button.clicked.connect(self.hint.show)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText(PLACEHOLDER)
        self.entry.returnPressed.connect(self._submit)
        self.check_button = QPushButton("Check (Enter)")
        self.check_button.clicked.connect(self._submit)
        self.show_button = QPushButton("Show me")
        self.show_button.setToolTip("Reveal the answer without answering (counts as not right)")
        self.show_button.clicked.connect(self.show_me.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.hint_button)
        buttons.addStretch(1)
        self.result = QTextBrowser()
        self.result.setMinimumHeight(60)
        self.score = QLabel()
        layout.addWidget(self.prompt)
        layout.addWidget(self.hint)
        layout.addWidget(self.entry)
        layout.addLayout(buttons)
        layout.addWidget(self.result, 1)
        layout.addWidget(self.score)
        self.setWidget(body)
        self.set_asking(False)

    # --- rendering ---
    def set_asking(self, asking: bool, can_show: bool = True) -> None:
        for w in (self.entry, self.check_button):
            w.setEnabled(asking)
        self.show_button.setEnabled(asking and can_show)
        self.hint_button.setEnabled(asking and bool(self.hint.text()))

    def ask(self, prompt: str, hint: str = "", can_show: bool = True) -> None:
        self.prompt.setText(prompt)
        self.hint.setText(f"Hint: {hint}" if hint else "")
        self.hint.hide()
        self.entry.clear()
        self.result.clear()
        self.set_asking(True, can_show)
        self.entry.setFocus()

    def idle(self, text: str) -> None:
        self.prompt.setText(text)
        self.hint.setText("")
        self.hint.hide()
        self.set_asking(False)

    def complain(self, text: str) -> None:
        """The answer could not be read: say why, keep the question open."""
        self.result.setHtml(f"<p style='color:#c0392b'>{html.escape(text)}</p>")

    def reveal(self, text: str, correct: bool | None) -> None:
        colour = {True: "#1e8449", False: "#c0392b", None: ""}[correct]
        head, _, rest = text.partition("\n")
        style = f" style='color:{colour}'" if colour else ""
        self.result.setHtml(f"<p{style}><b>{html.escape(head)}</b></p>"
                            f"<pre style='white-space:pre-wrap'>{html.escape(rest)}</pre>")
        self.set_asking(False)

    def set_score(self, text: str) -> None:
        self.score.setText(f"Score: {text}" if text else "")

    def _submit(self) -> None:
        if self.entry.isEnabled():
            self.submitted.emit(self.entry.text())
