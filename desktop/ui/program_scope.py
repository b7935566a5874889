"""One owner for "which program do the panels describe".

Every panel shows something about one program: its graph, tensors, watches' values, output,
debugger history, backward step, loss curve, symbolic check, landscape, the "paused at" line
and the status text. When the editor's program is replaced (New, Open, a lesson, a session,
the builder's code) all of them are reset here, together, and a run still going for the old
program is stopped and its result dropped, so nothing of the old program comes back. When a
plain Run starts, the debugger's history of an earlier debugged run is dropped too.

Panels that a window does not have (a bare window without controller or debugger) are skipped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.model import GraphSnapshot


USER_STOP = "stopped by user"  # the reason runner and debugger give a Stop the user asked for


def is_user_stop(result) -> bool:
    """A run the user stopped (Shift+F5), as opposed to one ended by a step cap or time
    limit, which is shown as the error it is."""
    err = result.error
    return result.status == "stopped" and (err is None or err.message == USER_STOP)


class ProgramScope(QObject):
    reset_done = Signal(str)  # the reason shown in the status bar

    def __init__(self, window, controller=None):
        super().__init__(window)
        self.window = window
        self.controller = controller
        window.program_replaced.connect(self.program_replaced)
        window.run_requested.connect(self.run_started)

    # ---- the two moments the bound program changes -----------------------------------------
    def program_replaced(self, reason: str = "New code in the editor: run it (F5).") -> None:
        """The editor holds another program: forget everything about the previous one."""
        self._drop_plain_run()
        self._drop_debugger()
        self._clear_panels()
        w = self.window
        w.run_label.setText("ready")
        w.run_label.setToolTip("")
        if reason:
            w.statusBar().showMessage(reason, 4000)
        self.reset_done.emit(reason)

    def run_started(self, _source: str = "") -> None:
        """A plain run starts: an earlier debugged run's stops no longer describe it."""
        debugger = getattr(self.window, "debugger", None)
        if debugger is not None and not debugger.debugging:
            self._drop_debugger()

    # ---- pieces ------------------------------------------------------------------------------
    def _drop_plain_run(self) -> None:
        if self.controller is not None:
            self.controller.forget_run()

    def _drop_debugger(self) -> None:
        d = getattr(self.window, "debugger", None)
        if d is None:
            return
        d.bridge.abandon()
        d.forget_run()

    def _clear_panels(self) -> None:
        w = self.window
        if self.controller is not None:
            self.controller.forget_results()
        w.editor.set_current_line(None)
        w.editor.clear_error()
        w.graph_view.set_snapshot(GraphSnapshot())
        w.graph_view.clear_find()
        w.inspector.set_tensors(())
        w.inspector.set_variables(())
        w.inspector.refresh_watches()
        w.plots.set_backward_values(())
        w.output.clear()
        w.output.show_error(None)
        w.symbolic.set_not_computed()
        w.symbolic.set_ready(False)


def install_scope(window, controller=None) -> ProgramScope:
    """Give ``window`` its ``ProgramScope`` (kept as ``window.scope``)."""
    scope = ProgramScope(window, controller)
    window.scope = scope
    return scope
