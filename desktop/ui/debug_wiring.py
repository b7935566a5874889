"""Wire the step-through debugger into the main window:

    wiring = attach_debugger(window)

adds the Debug toolbar and menu, the Timeline and Backward step panels, and renders every stop
(current line, graph with the step's nodes highlighted, inspector, watches, the backward step).

Shortcuts, one owner each (two enabled actions on one key make Qt fire neither):
F5 Continue while debugging; otherwise it starts the debugger when breakpoints are set and runs
the script plainly when none are (Ctrl+F5 always runs without the debugger). Shift+F5 stops the
debugged script or the plain run. F10/F11/Shift+F11 step, Ctrl+F10 runs to the cursor, F9 (the
window's) toggles a breakpoint, Ctrl+Shift+F9 gives it a condition, Alt+Left/Right move through
recorded stops.
"""

from __future__ import annotations

from PySide6.QtCore import SIGNAL, QObject, Qt
from PySide6.QtGui import QTextBlockUserData
from PySide6.QtWidgets import QInputDialog, QMessageBox

from desktop.debugger.history import DebugState
from desktop.model import RunResult
from desktop.ui.backward_step_panel import BackwardStepPanel
from desktop.ui.debug_bridge import DebugBridge
from desktop.ui.debug_controls import DebugControls
from desktop.ui.graph_patch import patch_graph, structure
from desktop.ui.program_scope import is_user_stop
from desktop.ui.run_buttons import install_run_buttons
from desktop.ui.stop_watches import LiveWatches, snapshot_value
from desktop.ui.timeline import Timeline

NOT_YET = "(evaluated at the next stop)"
ENDED = "(the debugged run ended; watches are evaluated at its stops)"


class _Condition(QTextBlockUserData):
    """A breakpoint condition stored on its line's text block, so it moves with the line when
    lines are inserted or deleted above it (as the editor's breakpoints do)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text


class CachedLayout:
    """Remembers positions per graph structure: a backward step changes grads and styles but
    not the nodes and edges, so stepping through a 200-node pass lays it out once."""

    def __init__(self, layout_fn, accepts_sizes: bool):
        self.layout_fn = layout_fn
        self.accepts_sizes = accepts_sizes
        self._key = None
        self._positions = None

    def __call__(self, snapshot, sizes=None):
        key = (structure(snapshot),
               None if sizes is None else tuple(sorted(sizes.items())))
        if key != self._key:
            if self.accepts_sizes:
                positions = self.layout_fn(snapshot, sizes=sizes)
            else:
                positions = self.layout_fn(snapshot)
            self._key, self._positions = key, positions
        return self._positions


class DebugWiring(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state: DebugState | None = None  # the stop being shown
        self._shown_graph = None  # the graph of the stop (or run) drawn last
        self._pass_shown = None  # (call) of the backward pass whose panel was raised
        self._fallback_eval = None
        self._last_status = "idle"
        self._keep: list[_Condition] = []
        self._chunks = []
        self._output_len = self._shown_len = 0  # characters printed / shown in the output pane

        self.bridge = DebugBridge(source_provider=window.source, parent=window)
        self._live_watches = LiveWatches(self.bridge.session,
                                         on_late=window.inspector.deliver_late)
        self.controls = DebugControls(self.bridge, cursor_line=self._cursor_line, parent=window)
        window.addToolBar(self.controls)
        self.timeline = Timeline(self.bridge)
        self.timeline_dock = window.add_panel(
            "timeline", "Timeline", self.timeline, area=Qt.DockWidgetArea.TopDockWidgetArea,
            tabify_with=None)
        self.panel = BackwardStepPanel()
        self.panel_dock = window.add_panel(
            "backward_step", "Backward step", self.panel,
            area=Qt.DockWidgetArea.RightDockWidgetArea, tabify_with=None)
        if not self.panel_dock.property("restored"):  # else: where the user left it
            # Re-docked before tabifying: tabified straight after add_panel's restoreDockWidget,
            # the group got a second, stale tab bar drawn over the status bar (PySide6 6.12).
            window.removeDockWidget(self.panel_dock)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel_dock)
            window.tabifyDockWidget(window.docks["inspector"], self.panel_dock)
            self.panel_dock.show()
            window.docks["inspector"].raise_()
        self._install_layout_cache()
        self._install_actions()
        # after the toolbar's own handler (which restarts): a fresh output pane for the new run
        self.controls.actions_by_key["restart"].triggered.connect(self._new_run)

        b = self.bridge
        b.paused.connect(self.show_state)
        b.viewed.connect(self.show_state)
        b.finished.connect(self._on_finished)
        b.output.connect(self._on_output)
        b.status_changed.connect(self._on_status)
        window.breakpoints_changed.connect(self._push_breakpoints)
        window.inspector.watches_changed.connect(self._push_watches)
        window.run_requested.connect(self._plain_run_started)
        self._push_breakpoints()
        self._push_watches()
        install_run_buttons(self)  # after the controls' own refresh: one start, one Stop

    # ---- construction ------------------------------------------------------------------------
    def _install_layout_cache(self) -> None:
        from desktop.ui.graph_view import accepts_sizes

        gv = self.window.graph_view
        if not isinstance(gv.layout_fn, CachedLayout):
            gv.layout_fn = CachedLayout(gv.layout_fn, accepts_sizes(gv.layout_fn))

    def _install_actions(self) -> None:
        """The debugger's rows of the action table (``desktop.ui.actions``) and the toolbar's
        buttons in the Debug menu; F5 and Shift+F5 move to the dispatchers below, plain Run to
        Ctrl+F5 (``WITH_DEBUGGER``)."""
        aset = self.window.action_set
        aset.attach_debugger()
        aset.add_toolbar("debug", self.controls)
        for key, act in self.controls.actions_by_key.items():
            aset.adopt(f"debug.{key}", act)
        self.controls.actions_by_key["continue"].setToolTip(
            "Continue (F5) — run to the next breakpoint; when not debugging, F5 starts the "
            "debugger if breakpoints are set, else runs the script (Ctrl+F5: always plain)")
        acts = aset.install("debugger", self)
        self.act_f5 = acts["debug.run_or_continue"]
        self.act_shift_f5 = acts["debug.stop_any"]
        self.act_condition = acts["debug.condition"]
        self.menu = aset.menus["debug"]

    def intercept_stops(self, handler) -> None:
        """Live stops go to ``handler(state)`` instead of ``show_state``; it shows them (or
        holds one back, as predict mode does) by calling ``show_state`` itself."""
        self.bridge.paused.disconnect(self.show_state)
        self.bridge.paused.connect(handler)

    # ---- commands ----------------------------------------------------------------------------
    def _cursor_line(self) -> int:
        return self.window.editor.textCursor().blockNumber() + 1

    @property
    def debugging(self) -> bool:
        return self.bridge.status in ("running", "paused")

    def _runner_connected(self) -> bool:
        return self.window.receivers(SIGNAL("run_requested(QString)")) > 1  # besides ours

    def run_or_continue(self) -> None:
        if self.debugging:
            if self.bridge.status == "paused":
                self.bridge.continue_()
            return
        if self.window.running:
            return
        if self.window.breakpoints or not self._runner_connected():
            self._new_run()
            self.bridge.continue_()
        else:
            self.window.act_run.trigger()

    def stop(self) -> None:
        if self.debugging:
            self.window.run_label.setText("stopping…")
            self.bridge.stop()
        elif self.window.running:
            self.window.act_stop.trigger()

    def _new_run(self) -> None:
        controller = getattr(self.window, "controller", None)
        if controller is not None:  # the script may end the process: keep unsaved text safe
            controller.autosave_now()
        self._chunks: list[tuple[str, str]] = []
        self._output_len = self._shown_len = 0
        self.window.output.clear()
        self.window.editor.clear_error()
        self._pass_shown = None

    def forget_run(self) -> None:
        """The run shown belongs to a program no longer in the editor (the bridge already
        dropped its history): every debugger panel back to its idle look."""
        self.state = None
        self._shown_graph = None
        self._pass_shown = None
        self._chunks, self._output_len, self._shown_len = [], 0, 0
        self._restore_evaluator()
        self.panel.show_state(None)
        self.timeline.sync()
        self.controls.refresh()
        if hasattr(self, "run_buttons"):
            self.run_buttons.refresh()

    def _plain_run_started(self, _source: str) -> None:
        self.state = None
        self._restore_evaluator()

    # ---- session input -----------------------------------------------------------------------
    def conditions(self) -> dict[int, str]:
        """{line: condition} of the breakpoints that have one."""
        doc, out = self.window.editor.document(), {}
        for line in self.window.breakpoints:
            data = doc.findBlockByNumber(line - 1).userData()
            if isinstance(data, _Condition) and data.text:
                out[line] = data.text
        return out

    def set_condition(self, line: int, condition: str) -> str | None:
        """Make ``line`` a breakpoint that stops only when ``condition`` (a Python expression
        evaluated in the paused frame) is true; an empty condition makes it unconditional.
        Returns what is wrong with a bad condition (nothing changes then)."""
        condition = condition.strip()
        if condition:
            try:
                compile(condition, "<condition>", "eval")
            except SyntaxError as exc:
                return (f"The condition {condition!r} is not a Python expression "
                        f"(SyntaxError: {exc.msg}); the breakpoint was not changed.")
        block = self.window.editor.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return f"there is no line {line}"
        data = _Condition(condition)
        self._keep.append(data)  # Python keeps a reference too: PySide may drop the wrapper
        block.setUserData(data)
        if line not in self.window.breakpoints:
            self.window.editor.toggle_breakpoint(line)  # pushes through breakpoints_changed
        else:
            self._push_breakpoints()
        return None

    def condition_dialog(self) -> None:
        line = self._cursor_line()
        current = self.conditions().get(line, "")
        text, ok = QInputDialog.getText(
            self.window, "Breakpoint condition",
            f"Stop at line {line} only when this is true (empty: always):", text=current)
        if ok:
            error = self.set_condition(line, text)
            if error is not None:
                QMessageBox.warning(self.window, "Breakpoint condition", error)

    def _push_breakpoints(self, *_args) -> None:
        conditions = self.conditions()
        self.bridge.set_breakpoints({n: conditions.get(n) for n in self.window.breakpoints})

    def _push_watches(self, *_args) -> None:
        self.bridge.session.set_watches(self.window.inspector.watches)

    # ---- rendering ---------------------------------------------------------------------------
    def show_state(self, state: DebugState) -> None:
        """Render one stop (live or from history) in every panel."""
        w = self.window
        self.state = state
        past = self.bridge.history.viewing_past
        if state.kind != "finished":
            self._show_output(state.output_len if past else self._output_len)
        w.set_current_line(state.line if state.kind != "finished" else None)
        if state.kind == "error" and state.error is not None:
            e = state.error
            w.editor.mark_error(state.line, f"{e.kind}: {e.message}")
            w.output.show_error(e)
            if not past:  # the message is the point of this stop: bring it to the front
                w.docks["output"].raise_()
        else:
            w.editor.clear_error()
            w.output.show_error(None)
        b = state.backward
        ran = b.node if state.kind == "backward" and b is not None else None
        if not patch_graph(w.graph_view, state.graph, select=ran):
            # the same nodes and edges as drawn before: keep the user's zoom and scroll
            shown = self._shown_graph
            keep = shown is not None and structure(shown) == structure(state.graph)
            w.graph_view.set_snapshot(state.graph, keep_view=keep)
            if w.graph_view.drawn_id(ran) in w.graph_view.node_items:  # or its group's box
                w.graph_view.select_node(ran, center=False)  # its values in the detail pane
        if ran is not None:  # the view follows the running node through a big graph
            w.graph_view.reveal(ran, zoom=True)
        self._shown_graph = state.graph
        w.inspector.set_tensors(state.tensors)
        w.inspector.set_variables(state.variables)
        self._use_state_evaluator()
        w.inspector.refresh_watches()
        self.panel.show_state(state)
        if state.kind in ("backward", "backward_end") and b is not None \
                and self._pass_shown != b.call:
            self._pass_shown = b.call
            self.panel_dock.show()
            self.panel_dock.raise_()
        w.run_label.setText(f"debugger: {state.label}" + (" (past state)" if past else "")
                            + (" — the breakpoint's condition raised an error" if state.warning
                               else ""))
        w.run_label.setToolTip(state.warning)
        if state.warning and not past:  # the panel says what went wrong with the condition
            self.panel_dock.show()
            self.panel_dock.raise_()

    def _use_state_evaluator(self) -> None:
        insp = self.window.inspector
        if insp.evaluate != self._watch_value:
            self._fallback_eval = insp.evaluate
            insp.evaluate = self._watch_value

    def _restore_evaluator(self) -> None:
        insp = self.window.inspector
        if insp.evaluate == self._watch_value:
            insp.evaluate = self._fallback_eval

    def _watch_value(self, expr: str) -> str:
        state = self.state
        if state is None:
            return NOT_YET
        if state.kind == "finished":
            return ENDED
        recorded = dict(state.watches)
        if expr in recorded:
            return recorded[expr]
        h = self.bridge.history
        if self.bridge.status == "paused" and not h.viewing_past and state is h.live:
            return self._live_watches(expr)  # added while paused: evaluated now
        return snapshot_value(expr, state.tensors)

    def _on_output(self, chunk) -> None:
        showing_all = self._shown_len == self._output_len
        self._chunks.append((chunk.text, chunk.stream))
        self._output_len += len(chunk.text)
        if showing_all:  # else a past state is shown with the output printed by then
            self.window.append_output(chunk.text, chunk.stream)
            self._shown_len = self._output_len

    def _show_output(self, length: int) -> None:
        """The debugged run's output up to ``length`` characters (a past state's output)."""
        length = min(length, self._output_len)
        if length == self._shown_len:
            return
        out = self.window.output
        out.text.clear()
        left = length
        for text, stream in self._chunks:
            if left <= 0:
                break
            out.append(text[:left], stream)
            left -= len(text)
        self._shown_len = length

    def _on_status(self, status: str) -> None:
        if status == "running" and self._last_status in ("idle", "finished"):
            self._new_run()
        self._last_status = status
        # a plain run beside a debugged one would share nothing but the panels: one at a time
        self.window.action_set.set_rule("idle", status not in ("running", "paused")
                                        and not self.window.running)
        if status == "running":
            self.window.run_label.setText("debugger: running…")

    def _on_finished(self, result: RunResult) -> None:
        w = self.window
        last = self.bridge.history.live
        w.show_result(result)  # output, error marker, graph, inspector, plots of the whole run
        self._shown_len = self._output_len = len(result.output)
        self._chunks = [(result.output, "stdout")]
        # the symbolic check reads the recorder of the last plain Run, not of this debugged one
        w.symbolic.set_not_computed("The symbolic check runs on plain runs: press Ctrl+F5 "
                                    "(or F5 without breakpoints) to run the script, then "
                                    "Compute.")
        self._shown_graph = result.graph
        if last is not None and last.kind == "finished":
            self.state = last
        w.set_current_line(None)
        self.panel.show_state(self.state if self.state is not None and
                              self.state.kind == "finished" else None)
        stopped = is_user_stop(result)
        w.run_label.setText(f"debugger: {result.status}" + (
            f" — {result.error.kind}" if result.error is not None and not stopped else ""))


def attach_debugger(window) -> DebugWiring:
    """Add the debugger to ``window`` (a ``MainWindow``); keep the returned object (it is also
    parented to the window). Call once, after the window is built."""
    wiring = DebugWiring(window)
    window.debugger = wiring
    return wiring
