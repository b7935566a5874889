"""The main window's side of a run: Run and Stop ask whoever owns the runner (the window never
runs code itself), and a finished, failed or stopped run is pushed into every panel. A mixin
of ``MainWindow``."""

from __future__ import annotations

import os

from PySide6.QtCore import SIGNAL

from desktop.model import OutputChunk, RunResult
from desktop.tensors import nonfinite_names
from desktop.ui.program_scope import is_user_stop


class RunDisplay:
    """Needs the panels, ``self.run_label``, ``self.action_set`` and the signals
    ``run_requested``, ``stop_requested`` and ``running_changed``."""

    def request_run(self) -> None:
        """Run: ask whoever owns the runner to run the editor's text."""
        if self.running:
            return
        if self.receivers(SIGNAL("run_requested(QString)")) == 0:
            self.statusBar().showMessage("No runner is connected to this window.", 5000)
            return
        self.output.clear()
        self.editor.clear_error()
        self.set_running(True)
        self.run_requested.emit(self.source())

    def request_stop(self) -> None:
        if self.running:
            self.run_label.setText("stopping…")
            self.stop_requested.emit()

    def set_running(self, running: bool) -> None:
        self.running = running
        self.action_set.set_rule("idle", not running)
        self.action_set.set_rule("running", running)
        self.run_label.setText("running…" if running else "ready")
        self.running_changed.emit(running)

    def append_output(self, text: str, stream: str = "stdout") -> None:
        """For a runner that streams output while the script is still running."""
        self.output.append(text, stream)

    def show_result(self, result: RunResult) -> None:
        """Push a finished (or failed, or stopped) run into every panel."""
        self.set_running(False)
        # usually streamed already while it ran: then the pane is left as it is
        self.output.show_chunks(result.extras.get("output_chunks") or (OutputChunk(result.output),))
        self.output.script_name = os.path.basename(self.path) if self.path else "untitled.py"
        err = result.error
        stopped = is_user_stop(result)  # the user's Stop: said calmly, not as an error
        if stopped:
            where = f" at line {err.line}" if err is not None and err.line else ""
            self.output.append(f"\n[stopped{where}]\n", "stdout")
            err = None
        self.output.show_error(err)
        self.editor.set_current_line(None)
        if err is not None and err.line is not None:
            self.editor.mark_error(err.line, f"{err.kind}: {err.message}")
        else:
            self.editor.clear_error()
        self.graph_view.set_snapshot(result.graph)
        self.inspector.set_tensors(result.tensors)
        self.inspector.refresh_watches()
        self.plots.set_backward_values(result.backward_values)
        self.symbolic.set_not_computed()
        self.symbolic.set_ready(result.status == "finished")
        text = f"{result.status} in {result.seconds:.2f} s"
        bad = nonfinite_names(result.tensors)
        if bad:  # said once per run, where the eye goes after Run, not only per tensor
            shown = ", ".join(bad[:4]) + (f" and {len(bad) - 4} more" if len(bad) > 4 else "")
            text += f" · ⚠ NaN/Inf in {shown}"
            self.output.append(f"\n[stepgrad] ⚠ NaN or Inf in {shown} (the Inspector counts "
                               "them; red cells mark them)\n", "stderr")
        if err is not None:
            text = f"{err.kind}" + (f" at line {err.line}" if err.line else "")
            self.docks["output"].raise_()
        elif stopped and result.error is not None and result.error.line:
            text = f"stopped at line {result.error.line} after {result.seconds:.2f} s"
        self.run_label.setText(text)

    # debugger passthroughs (the debug wiring drives these)
    def set_current_line(self, line: int | None) -> None:
        self.editor.set_current_line(line)

    @property
    def breakpoints(self) -> frozenset[int]:
        return self.editor.breakpoints
