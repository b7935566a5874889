"""Lessons and the model builder: code the app puts in the editor for the user.

The Lessons menu and panel (the start page over an empty editor) open a lesson's code; the
model builder writes a model's training code from a form and picks the landscape shown for it.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from desktop.ui.feature_host import show_bottom


class LessonFeature:
    """Owned by the ``Controller`` (``ctl``)."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.window = ctl.window
        self.panel = None
        self._generated: str | None = None  # the code of the builder's last Insert
        self._menu_items: list = []

    def install(self) -> None:
        """The Lessons panel and menu; the start page when the editor is empty."""
        from desktop import lessons
        from desktop.ui.lessons_panel import GROUPS, LessonsPanel

        w = self.window
        panel = LessonsPanel()
        panel.open_requested.connect(self.open_lesson)
        self.panel = panel
        dock = w.add_panel("lessons", "Lessons", panel)
        items: list = [dock.toggleViewAction()]
        topic = None
        for n, lesson in enumerate(lessons.all_lessons(), 1):
            if lesson.topic != topic:  # one section per group, titled as in the panel
                topic = lesson.topic
                items.append(("section", GROUPS.get(topic, topic.title())))
            act = QAction(f"{n}. {lesson.title}", w)
            tip = lesson.explanation.split("\n\n", 1)[0][:200]
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(lambda _c=False, lid=lesson.id: self.open_lesson(
                lessons.get(lid).code, lid))
            items.append(act)
        self._menu_items = items
        w.action_set.fill_slot("lessons", lambda: list(self._menu_items))
        if not w.source().strip():  # the start page when nothing is open
            dock.raise_()
            QTimer.singleShot(0, self.ctl, self._show_start_page)  # once the window has its size
        elif "output" in w.docks:  # a file or session: its output tab in front
            w.docks["output"].raise_()

    def _show_start_page(self) -> None:
        if not self.window.source().strip():  # an empty editor needs no room: the lessons do
            show_bottom(self.window, "lessons", 0.5)

    def open_lesson(self, code: str, lesson_id: str) -> bool:
        from desktop import lessons

        w = self.window
        if not w.maybe_save():
            return False
        w.new_file(ask=False)
        w.editor.setPlainText(code)
        w.editor.document().setModified(False)
        self.ctl.clear_results()
        state = self.ctl.state
        state.lesson = lesson_id
        state.session_path = None
        state.spec = None  # the builder's model is not the lesson's
        lesson = lessons.find(lesson_id)
        title = lesson.title if lesson else lesson_id
        w.setWindowTitle(f"Lesson: {title}[*] — stepgrad")
        if self.panel is not None:
            self.panel.select(lesson_id)
            show_bottom(w, "lessons", 0.33)  # the lesson's text beside, not over, its code
        w.statusBar().showMessage(f"Lesson “{title}” is in the editor: press F5 to run it", 6000)
        return True

    # ---- model builder -----------------------------------------------------------------------
    def open_builder(self, exec_dialog: bool = True):
        from desktop.ui.builder_dialog import BuilderDialog

        dialog = BuilderDialog(self.window, spec=self.ctl.state.spec)
        dialog.code_generated.connect(self.insert_generated_code)
        dialog.spec_chosen.connect(self.set_spec)
        if exec_dialog:
            dialog.exec()
        return dialog

    def insert_generated_code(self, code: str) -> bool:
        w = self.window
        untouched = w.source() == self._generated  # the last Insert's code, unchanged
        if not untouched and not w.maybe_save():
            return False
        self._generated = code
        w.new_file(ask=False)
        w.editor.setPlainText(code)
        w.editor.document().setModified(True)  # generated code is the user's new, unsaved work
        self.ctl.clear_results()
        self.ctl.state.lesson = None
        w.statusBar().showMessage("The model's code is in the editor: press F5 to train it",
                                  6000)
        return True

    def set_spec(self, spec) -> None:
        self.ctl.state.spec = spec
        self.ctl.analysis.show_spec(spec)
