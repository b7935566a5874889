"""Predict mode in the window: a Debug menu / toolbar toggle and the Predict panel.

While it is on, a live backward stop is held back: the graph, inspector and Backward step panel
keep showing the previous stop while the Predict panel asks what the node sends on; Check or
Show me reveals the stop. Before a line that assigns a name, the panel asks for its value, and
the next stop judges the guess. Scores and the toggle are saved with the session."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from desktop import lessons
from desktop.practice.answer import AnswerError, needs_names
from desktop.practice.by_hand import closed_form_values, compare, report
from desktop.practice.coach import Coach, Reveal
from desktop.ui.actions import rows_of
from desktop.ui.backward_step_panel import derivative_key
from desktop.ui.predict_panel import OFF, WAITING, PredictPanel
from desktop.watch_eval import describe_outcome
from symbolic.limits import run_limited

ANSWER_LIMIT = 2.0  # seconds an answer's expression may run in the paused script's names


class PredictWiring(QObject):
    _evaluated = Signal(object, object)  # (request token, symbolic.limits.Outcome)

    def __init__(self, window, debug):
        super().__init__(window)
        self.window, self.debug = window, debug
        self.coach = Coach()
        self.panel = PredictPanel()
        self.dock = window.add_panel("predict", "Predict", self.panel,
                                     area=Qt.DockWidgetArea.RightDockWidgetArea, tabify_with=None)
        if not self.dock.property("restored"):
            window.tabifyDockWidget(debug.panel_dock, self.dock)
        self._held = None  # the backward stop whose values wait for an answer
        self._token = None
        self._asking_text = ""
        self._last_status = "idle"
        self._reports: list = []  # the Symbolic panel's last check of the last run
        bridge = debug.bridge
        debug.intercept_stops(self._on_paused)
        bridge.status_changed.connect(self._on_status)
        bridge.finished.connect(self._on_finished)
        self.panel.submitted.connect(self.submit)
        self.panel.show_me.connect(self.show_me)
        self._evaluated.connect(self._on_evaluated)
        controller = getattr(window, "controller", None)
        rows = [r for r in rows_of("practice")  # checking by hand needs a controller's run
                if r.id != "tools.by_hand" or controller is not None]
        acts = window.action_set.install("practice", self, rows)
        self.act = acts["debug.predict"]
        self.act_by_hand = acts.get("tools.by_hand")
        if controller is not None:
            controller.symbolic_finished.connect(self._on_symbolic)
            controller.run_finished.connect(lambda _result: self._on_symbolic(()))

    def _on_symbolic(self, reports) -> None:
        self._reports = list(reports or ())

    def check_by_hand(self) -> str:
        """Report the last run's hand-derived gradients in the Output panel, against autograd
        and, once the Symbolic panel has checked this run, against the closed forms."""
        controller = self.window.controller
        ns = controller.state.namespace
        if not ns:
            text = "Check Hand-Derived Gradients: run the script first (Ctrl+F5).\n"
        else:
            forms = closed_form_values(self._reports)
            text = "== hand-derived gradients ==\n" + report(compare(
                ns, self.window.source(), forms)) + "\n"
            if not forms:
                text += ("(closed forms: press Compute in the Symbolic panel, then check again, "
                         "to compare with sympy's too)\n")
        self.window.append_output(text, "stdout")
        self.window.docks["output"].raise_()
        return text

    # ---- mode, lesson, session ---------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        self.coach.enabled = bool(on)
        if self.act.isChecked() != bool(on):
            self.act.setChecked(bool(on))
        if not on:
            self._release()
            self.coach.new_run()
        self.panel.idle(WAITING if on else OFF)
        self._show_score()
        if on:
            self.dock.show()
            self.dock.raise_()

    def _lesson(self):
        controller = getattr(self.window, "controller", None)
        return lessons.find(controller.state.lesson) if controller is not None else None

    def _on_status(self, status: str) -> None:
        starting = status == "running" and self._last_status in ("idle", "finished")
        self._last_status = status
        if starting:  # a new debugged run: the lesson in the editor now sets the exercises
            lesson = self._lesson()
            self.coach.set_lesson(lesson.id if lesson else None,
                                  lesson.exercises if lesson else ())
        if status in ("idle", "finished"):
            self._release()
            self.coach.pending = None
            if self.coach.forward is None:
                self.panel.idle(WAITING if self.coach.enabled else OFF)
        self._show_score()

    def _on_finished(self, _result) -> None:
        """A guess about the script's last line is judged on the finished run's tensors."""
        state = self.debug.bridge.history.live
        revealed = self.coach.settle_forward(state) if state is not None else None
        self.coach.forward = None
        if revealed is not None:
            self.panel.reveal(revealed.text, revealed.verdict.correct if revealed.verdict
                              else None)
            self._show_score()

    def to_settings(self) -> dict:
        return self.coach.to_settings()

    def load_settings(self, data) -> None:
        self.coach.load_settings(data)
        self.set_enabled(self.coach.enabled)

    def _show_score(self) -> None:
        lesson = self.coach.lesson
        text = self.coach.scores.get(lesson).text()
        self.panel.set_score(f"{text} ({'this lesson' if lesson else 'your code'})"
                             if text else "")
        controller = getattr(self.window, "controller", None)
        panel = getattr(controller, "lessons_panel", None)
        if panel is not None and hasattr(panel, "set_score"):
            for lid, score in self.coach.scores.by_lesson.items():
                if lid:
                    panel.set_score(lid, score.text())

    # ---- stops -------------------------------------------------------------------------------
    def _release(self) -> None:
        held, self._held = self._held, None
        self._token = None
        if held is not None:
            self.coach.pending = None
            self.debug.show_state(held)

    def _on_paused(self, state) -> None:
        if self._held is not None:  # stepped on without answering: show what was held
            self._release()
        revealed = self.coach.settle_forward(state)
        question = self.coach.ask_backward(state) if state.kind == "backward" else None
        if question is not None:
            self._held = state
            key = derivative_key(state)
            if key is not None:
                self.debug.panel.cache.get(key)  # sympy works while the learner thinks
            self.panel.ask(question.prompt, question.hint)
            self.dock.show()
            self.dock.raise_()
            self.window.set_current_line(state.line)
            gv = self.window.graph_view
            if question.node in getattr(gv, "node_items", {}):
                gv.select_node(question.node, center=False)
            self.window.run_label.setText(f"debugger: {state.label} — predict, then reveal")
            return
        self.debug.show_state(state)
        if revealed is not None:
            self.panel.reveal(revealed.text, revealed.verdict.correct if revealed.verdict
                              else None)
            self._show_score()
        if not self.coach.enabled:
            return
        prompt = None
        if state.kind == "line" and state.line is not None:
            lines = self.window.source().splitlines()
            if 0 < state.line <= len(lines):
                prompt = self.coach.ask_forward(state, lines[state.line - 1])
        if prompt is not None:
            self.panel.ask(prompt, can_show=False)
        elif revealed is None:
            self.panel.idle(WAITING)

    # ---- answers -----------------------------------------------------------------------------
    def submit(self, text: str) -> None:
        if self.coach.pending is None and self.coach.forward is None:
            return
        if not needs_names(text):
            self._apply(text, None)
            return
        ns = self.debug.bridge.session.paused_namespace()
        if ns is None:
            self.panel.complain("names can only be used while the script is paused")
            return
        token = self._token = object()
        emit = self._evaluated.emit

        def work():
            import engine

            def value():
                with engine.no_grad():  # an answer must not add nodes to the graph
                    return eval(compile(text, "<answer>", "eval"), dict(ns))

            emit(token, run_limited(value, ANSWER_LIMIT))

        self._asking_text = text
        threading.Thread(target=work, name="predict-answer", daemon=True).start()

    def _on_evaluated(self, token, outcome) -> None:
        if token is not self._token:
            return  # stepped on, or answered again, meanwhile
        self._token = None
        if outcome.error is not None or outcome.timed_out or outcome.cancelled:
            self.panel.complain(describe_outcome(outcome, ANSWER_LIMIT))
            return
        self._apply(self._asking_text, (outcome.value,))

    def _apply(self, text: str, evaluated: tuple | None) -> None:
        evaluate = (lambda _expr: evaluated[0]) if evaluated is not None else None
        try:
            if self.coach.pending is not None:
                self._reveal(self.coach.answer(text, evaluate=evaluate, local=self._local()))
            elif self.coach.forward is not None:
                self.coach.guess_forward(text, evaluate=evaluate)
                self.panel.reveal("Noted.\nPress F10 (Step over) to run the line and compare.",
                                  None)
        except AnswerError as exc:
            self.panel.complain(str(exc))

    def show_me(self) -> None:
        reveal = self.coach.show_me(self._local())
        if reveal is not None:
            self._reveal(reveal)

    def _reveal(self, reveal: Reveal) -> None:
        self.panel.reveal(reveal.text, reveal.verdict.correct if reveal.verdict else None)
        self._show_score()
        held, self._held = self._held, None
        if held is not None:
            self.debug.show_state(held)
            self.dock.raise_()  # the verdict first; the Backward step panel is one tab away

    def _local(self) -> str:
        if self._held is None:
            return ""
        key = derivative_key(self._held)
        found = self.debug.panel.cache.done.get(key) if key is not None else None
        return found.text() if found is not None else ""


def attach_predict(window) -> PredictWiring:
    """Add predict mode to ``window`` (after ``attach_debugger``)."""
    wiring = PredictWiring(window, window.debugger)
    window.practice = wiring
    return wiring
