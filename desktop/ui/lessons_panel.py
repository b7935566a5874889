"""The start page / Lessons panel: the built-in lessons, each with its explanation, what to
watch while stepping, and what you should see; "Open in editor" hands the code to the editor.

The panel only renders ``desktop.lessons`` data and emits ``open_requested(code, lesson_id)``;
the main window decides what opening means (ask to save the current file, load the code, set
the session's lesson).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import lessons
from desktop.lessons.lesson import Lesson, describe
from desktop.ui import pyside_refcount

pyside_refcount.apply()  # PySide6 6.12 drops refs to None/True on calls (see module)

LIST_MIN, LIST_MAX, LIST_SHARE = 180, 330, 0.4  # the list's width, so the page gets the rest
GROUPS = {"article": "Autograd, idea by idea", "training": "Training models"}
ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1


def lesson_html(lesson: Lesson) -> str:
    """The lesson page: title, explanation, what to watch, what you should see."""
    esc = html.escape
    paras = "".join(f"<p>{_inline_code(esc(p.strip()))}</p>"
                    for p in lesson.explanation.split("\n\n") if p.strip())
    watch = "".join(f"<li>{_inline_code(esc(w))}</li>" for w in lesson.watch)
    expected = "".join(f"<li><code>{esc(describe(e, lesson.code))}</code></li>"
                       for e in lesson.expected)
    practice = ""
    if lesson.exercises:
        n = len(lesson.exercises)
        practice = (f"<h3>Practice</h3><p>{n} question{'s' if n != 1 else ''} in predict mode: "
                    "turn on Debug → Predict Mode, then step into the backward pass (F11 on "
                    "its line) and answer before each result is shown.</p>")
    return (f"<h2>{esc(lesson.title)}</h2>{paras}"
            f"<h3>What to watch while stepping</h3><ul>{watch}</ul>"
            f"<h3>What you should see</h3><ul>{expected}</ul>{practice}")


def _inline_code(text: str) -> str:
    """`backticks` in the lesson text become code spans."""
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


class LessonsPanel(QWidget):
    """Lesson list on the left, the selected lesson's page on the right."""

    open_requested = Signal(str, str)  # (code, lesson id)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.page = QTextBrowser()
        self.page.setOpenExternalLinks(False)
        self.open_button = QPushButton("Open in editor")
        self.open_button.setToolTip("Put this lesson's code into the editor (Enter)")
        self.open_button.setDefault(True)
        self.intro = QLabel(
            "Welcome to stepgrad. Pick a lesson and press <b>Open in editor</b>: each one is "
            "a short script to run (F5) and step through (set a breakpoint in the gutter).")
        self.intro.setWordWrap(True)

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.page, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        rlay.addLayout(buttons)

        self.split = split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        self.tree.setMinimumWidth(LIST_MIN)
        self._user_split = False  # once the user drags the divider, their choice stays
        split.splitterMoved.connect(self._on_split_moved)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addWidget(split, 1)

        self._items: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.itemActivated.connect(lambda item, _col: self._open(item))
        self.open_button.clicked.connect(lambda: self._open(self.tree.currentItem()))
        first = lessons.all_lessons()[0].id
        self.select(first)

    def _fill(self) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for n, lesson in enumerate(lessons.all_lessons(), 1):
            group = groups.get(lesson.topic)
            if group is None:
                group = QTreeWidgetItem([GROUPS.get(lesson.topic, lesson.topic.title())])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
                groups[lesson.topic] = group
            item = QTreeWidgetItem([f"{n}. {lesson.title}"])
            item.setData(0, ID_ROLE, lesson.id)
            item.setData(0, TITLE_ROLE, f"{n}. {lesson.title}")
            item.setToolTip(0, f"<b>{html.escape(lesson.title)}</b><p>"
                               f"{html.escape(lesson.explanation.split(chr(10) * 2, 1)[0])}</p>")
            group.addChild(item)
            self._items[lesson.id] = item
        self.tree.expandAll()

    # --- API ---
    def lesson_ids(self) -> list[str]:
        return list(self._items)

    def current_lesson(self) -> Lesson | None:
        item = self.tree.currentItem()
        return lessons.find(item.data(0, ID_ROLE)) if item is not None else None

    def set_score(self, lesson_id: str, score: str) -> None:
        """Show a predict-mode score ("3/5") after the lesson's title."""
        item = self._items.get(lesson_id)
        if item is not None:
            title = item.data(0, TITLE_ROLE)
            item.setText(0, f"{title}  ·  {score}" if score else title)

    def select(self, lesson_id: str) -> bool:
        item = self._items.get(lesson_id)
        if item is None:
            return False
        self.tree.setCurrentItem(item)
        return True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_split:
            total = sum(self.split.sizes()) or self.width()
            wanted = int(min(LIST_MAX, max(LIST_MIN, LIST_SHARE * total)))
            self.split.setSizes([wanted, max(total - wanted, 1)])

    def _on_split_moved(self, _pos: int, _index: int) -> None:
        self._user_split = True

    # --- slots ---
    def _on_current(self, item, _previous=None) -> None:
        lesson = lessons.find(item.data(0, ID_ROLE)) if item is not None else None
        self.open_button.setEnabled(lesson is not None)
        if lesson is not None:
            self.page.setHtml(lesson_html(lesson))

    def _open(self, item) -> None:
        lesson = lessons.find(item.data(0, ID_ROLE)) if item is not None else None
        if lesson is not None:
            self.open_requested.emit(lesson.code, lesson.id)
