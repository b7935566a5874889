"""Timeline: a slider over the debugger's recorded stops ("line 7", "backward: MulBackward0").
Moving it shows a past state; nothing is executed again."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from desktop.debugger.describe import describe


class Timeline(QWidget):
    position_changed = Signal(int)  # the user picked a recorded stop (position in history)

    def __init__(self, bridge=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("debug_timeline")
        self.labels: list[str] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setPageStep(10)
        self.slider.setToolTip("Recorded stops: drag to look at a past state (nothing re-runs)")
        self.slider.setMinimumWidth(160)
        self.label = QLabel("no recorded stops")
        self.label.setObjectName("timeline_label")
        self.note = QLabel("")
        self.note.setObjectName("timeline_note")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        # label beside the slider: one line tall, so the strip above the editor costs it
        # one line of code, not three
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.slider, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 1, 4, 1)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.slider.valueChanged.connect(self._on_slider)
        self.bridge = None
        if bridge is not None:
            self.bind(bridge)

    def bind(self, bridge) -> None:
        """Follow ``bridge``'s history and move through it when the slider moves."""
        self.bridge = bridge
        # bound methods, not lambdas: Qt drops these connections when this widget is deleted
        bridge.paused.connect(self.sync)
        bridge.viewed.connect(self.sync)
        bridge.status_changed.connect(self.sync)
        self.position_changed.connect(bridge.go_to)
        self.sync()

    def sync(self, *_args) -> None:
        h = self.bridge.history
        self.set_states(h.labels(), h.position, h.note)

    def set_states(self, labels: list[str], position: int, note: str = "") -> None:
        self.labels = list(labels)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.labels) - 1))
        self.slider.setValue(max(0, position))
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(self.labels) > 1)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._show(max(0, position))

    def _show(self, pos: int) -> None:
        if not self.labels:
            self.label.setText("no recorded stops")
            return
        live = " (now)" if pos == len(self.labels) - 1 else ""
        self.label.setText(f"{pos + 1} / {len(self.labels)} · {self.labels[pos]}{live}")
        if self.bridge is not None and pos < len(self.bridge.history):
            self.label.setToolTip(describe(self.bridge.history[pos]))

    def _on_slider(self, pos: int) -> None:
        self._show(pos)
        self.position_changed.emit(pos)
