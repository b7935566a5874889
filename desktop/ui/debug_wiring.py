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

This module assembles the debugger's parts and dispatches its commands; beside it:
``debug_stop_view`` (drawing a stop), ``debug_output`` (the output at past stops),
``breakpoint_conditions``, ``stop_watches`` (watch values at stops), ``cached_layout``.
"""

from __future__ import annotations

from PySide6.QtCore import SIGNAL, QObject, Qt

from desktop.debugger.history import DebugState
from desktop.model import RunResult
from desktop.ui.backward_step_panel import BackwardStepPanel
from desktop.ui.breakpoint_conditions import BreakpointConditions
from desktop.ui.cached_layout import install_layout_cache
from desktop.ui.debug_bridge import DebugBridge
from desktop.ui.debug_controls import DebugControls
from desktop.ui.debug_output import DebugOutput
from desktop.ui.debug_stop_view import StopView
from desktop.ui.run_buttons import install_run_buttons
from desktop.ui.stop_watches import WatchesAtStops
from desktop.ui.timeline import Timeline


class DebugWiring(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state: DebugState | None = None  # the stop being shown
        self._last_status = "idle"

        self.bridge = DebugBridge(source_provider=window.source, parent=window)
        self.watches = WatchesAtStops(self.bridge, window.inspector, lambda: self.state)
        self.output = DebugOutput(window.output)
        self.breakpoint_conditions = BreakpointConditions(window.editor, self._push_breakpoints)
        self.controls = DebugControls(self.bridge, cursor_line=self._cursor_line, parent=window,
                                      plain_running=lambda: window.running)
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
        self.view = StopView(window, self.panel, self.panel_dock)
        install_layout_cache(window.graph_view)
        self._install_actions()
        # after the toolbar's own handler (which restarts): a fresh output pane for the new run
        self.controls.actions_by_key["restart"].triggered.connect(self._new_run)

        b = self.bridge
        b.paused.connect(self.show_state)
        b.viewed.connect(self.show_state)
        b.finished.connect(self._on_finished)
        b.output.connect(self._on_output)
        b.status_changed.connect(self._on_status)
        for signal in (b.status_changed, b.paused, b.viewed, window.running_changed):
            signal.connect(self.apply_rules)
        window.breakpoints_changed.connect(self._push_breakpoints)
        window.inspector.watches_changed.connect(self._push_watches)
        window.run_requested.connect(self._plain_run_started)
        self._push_breakpoints()
        self._push_watches()
        self.apply_rules()
        install_run_buttons(self)  # after the controls' own refresh: one start, one Stop

    # ---- construction ------------------------------------------------------------------------
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

    def apply_rules(self, *_args) -> None:
        """Enable the debugger's actions and the window's idle-only ones by the rules of the
        action table, evaluated from the session's state (``desktop.ui.debug_rules``)."""
        for rule, on in self.controls.refresh().items():
            self.window.action_set.set_rule(rule, on)

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
        self.output.reset()
        self.window.output.clear()
        self.window.editor.clear_error()
        self.view.pass_shown = None

    def forget_run(self) -> None:
        """The run shown belongs to a program no longer in the editor (the bridge already
        dropped its history): every debugger panel back to its idle look."""
        self.state = None
        self.view.shown_graph = None
        self.view.pass_shown = None
        self.output.reset()
        self.watches.restore()
        self.panel.show_state(None)
        self.timeline.sync()
        self.apply_rules()
        if hasattr(self, "run_buttons"):
            self.run_buttons.refresh()

    def _plain_run_started(self, _source: str) -> None:
        self.state = None
        self.watches.restore()

    # ---- session input -----------------------------------------------------------------------
    def conditions(self) -> dict[int, str]:
        """{line: condition} of the breakpoints that have one."""
        return self.breakpoint_conditions.conditions()

    def set_condition(self, line: int, condition: str) -> str | None:
        """See ``BreakpointConditions.set_condition``: None, or what is wrong."""
        return self.breakpoint_conditions.set_condition(line, condition)

    def condition_dialog(self) -> None:
        self.breakpoint_conditions.ask(self.window, self._cursor_line())

    def _push_breakpoints(self, *_args) -> None:
        conditions = self.conditions()
        self.bridge.set_breakpoints({n: conditions.get(n) for n in self.window.breakpoints})

    def _push_watches(self, *_args) -> None:
        self.bridge.session.set_watches(self.window.inspector.watches)

    # ---- what the bridge reports -------------------------------------------------------------
    def show_state(self, state: DebugState) -> None:
        """Render one stop (live or from history) in every panel."""
        self.state = state
        past = self.bridge.history.viewing_past
        if state.kind != "finished":
            self.output.show_upto(state.output_len if past else self.output.total)
        self.watches.use()
        self.view.show(state, past)

    def _on_output(self, chunk) -> None:
        self.output.add(chunk.text, chunk.stream)

    def _on_status(self, status: str) -> None:
        if status == "running" and self._last_status in ("idle", "finished"):
            self._new_run()
        self._last_status = status
        if status == "running":
            self.window.run_label.setText("debugger: running…")

    def _on_finished(self, result: RunResult) -> None:
        last = self.bridge.history.live
        self.window.show_result(result)  # output, error, graph, inspector, plots of the run
        self.output.finished(result.output)
        if last is not None and last.kind == "finished":
            self.state = last
        self.view.finished(result, self.state if self.state is not None
                           and self.state.kind == "finished" else None)


def attach_debugger(window) -> DebugWiring:
    """Add the debugger to ``window`` (a ``MainWindow``); keep the returned object (it is also
    parented to the window). Call once, after the window is built."""
    wiring = DebugWiring(window)
    window.debugger = wiring
    return wiring
