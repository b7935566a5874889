"""One debugger stop drawn in the window's panels: the current line, the error, the graph
(patched in place when only values changed), the Inspector, the Backward step panel and the
status text; and the look of the window when the debugged run ends."""

from __future__ import annotations

from desktop.debugger.history import DebugState
from desktop.model import RunResult
from desktop.ui.graph_patch import patch_graph, structure
from desktop.ui.program_scope import is_user_stop

SYMBOLIC_NOTE = ("The symbolic check runs on plain runs: press Ctrl+F5 (or F5 without "
                 "breakpoints) to run the script, then Compute.")


class StopView:
    def __init__(self, window, panel, panel_dock):
        self.window = window
        self.panel = panel  # the BackwardStepPanel
        self.panel_dock = panel_dock
        self.shown_graph = None  # the graph of the stop (or run) drawn last
        self.pass_shown = None  # (call) of the backward pass whose panel was raised

    def show(self, state: DebugState, past: bool) -> None:
        """Render ``state`` (``past``: a recorded stop, not the live one)."""
        w = self.window
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
        self._show_graph(state.graph, ran)
        w.inspector.set_tensors(state.tensors)
        w.inspector.set_variables(state.variables)
        w.inspector.refresh_watches()
        self.panel.show_state(state)
        if state.kind in ("backward", "backward_end") and b is not None \
                and self.pass_shown != b.call:
            self.pass_shown = b.call
            self.panel_dock.show()
            self.panel_dock.raise_()
        w.run_label.setText(f"debugger: {state.label}" + (" (past state)" if past else "")
                            + (" — the breakpoint's condition raised an error" if state.warning
                               else ""))
        w.run_label.setToolTip(state.warning)
        if state.warning and not past:  # the panel says what went wrong with the condition
            self.panel_dock.show()
            self.panel_dock.raise_()

    def _show_graph(self, graph, ran) -> None:
        gv = self.window.graph_view
        if not patch_graph(gv, graph, select=ran):
            # the same nodes and edges as drawn before: keep the user's zoom and scroll
            shown = self.shown_graph
            keep = shown is not None and structure(shown) == structure(graph)
            gv.set_snapshot(graph, keep_view=keep)
            if gv.drawn_id(ran) in gv.node_items:  # or its group's box
                gv.select_node(ran, center=False)  # its values in the detail pane
        if ran is not None:  # the view follows the running node through a big graph
            gv.reveal(ran, zoom=True)
        self.shown_graph = graph

    def finished(self, result: RunResult, final: DebugState | None) -> None:
        """After ``window.show_result(result)``: the debugger's notes on the ended run
        (``final``: its recorded end state, if any)."""
        w = self.window
        # the symbolic check reads the recorder of the last plain Run, not of this debugged one
        w.symbolic.set_not_computed(SYMBOLIC_NOTE)
        self.shown_graph = result.graph
        w.set_current_line(None)
        self.panel.show_state(final)
        stopped = is_user_stop(result)
        w.run_label.setText(f"debugger: {result.status}" + (
            f" — {result.error.kind}" if result.error is not None and not stopped else ""))
