"""``DebugSession``: the debugger's facade for the GUI, with plain callbacks (no Qt).

    s = DebugSession(on_paused=..., on_finished=..., on_output=...)
    s.set_breakpoint(7, condition="i > 3")
    s.start(source)            # or step_into() / continue_() while idle
    s.step_over(); s.step_into(); s.step_out(); s.continue_(); s.run_to_cursor(12)
    s.stop(); s.restart()
    s.step_back(); s.go_to(pos)  # time travel over recorded states: no re-execution

Every method returns at once; the script runs in a worker thread that blocks while paused.
Callbacks run on that worker thread (or on a stopper thread for an abandoned run): a GUI must
re-emit them as queued signals (``desktop.ui.debug_bridge``). ``on_paused(DebugState)`` for each
stop, ``on_finished(RunResult)`` once per run, ``on_output(OutputChunk)`` per write,
``on_view(DebugState)`` when the user moves through history.
"""

from __future__ import annotations

import threading
import time

from desktop.debugger.history import MAX_STATES, DebugState, History
from desktop.debugger.run import DebugRun, frame_namespace
from desktop.debugger.tracer import MAX_STEPS
from desktop.model import RunResult
from desktop.runner import SCRIPT_FILENAME


class DebugSession:
    def __init__(self, source: str = "", *, filename: str = SCRIPT_FILENAME,
                 on_paused=None, on_finished=None, on_output=None, on_view=None,
                 max_steps: int | None = MAX_STEPS, max_states: int = MAX_STATES,
                 script_path: str | None = None):
        self.source = source
        self.filename = filename
        self.on_paused = on_paused
        self.on_finished = on_finished
        self.on_output = on_output
        self.on_view = on_view
        self.max_steps = max_steps
        self.script_path = script_path
        self.history = History(max_states)
        self.result: RunResult | None = None
        self._breaks: dict[int, str | None] = {}
        self._watches: tuple[str, ...] = ()
        self._run: DebugRun | None = None
        self._cond = threading.Condition()

    # --- state ---
    @property
    def status(self) -> str:
        """"idle" (never started), "running", "paused" or "finished"."""
        run = self._run
        if run is None:
            return "idle"
        return run.status

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    @property
    def running(self) -> bool:
        return self.status in ("running", "paused")

    @property
    def state(self) -> DebugState | None:
        """The live (latest) stop."""
        return self.history.live

    def paused_namespace(self) -> dict | None:
        """The paused frame's names (globals updated with its locals), or None when the script
        is not paused. Valid until the next command: evaluate in it before stepping on."""
        run = self._run
        if run is None or run.status != "paused" or run.paused_frame is None:
            return None
        return frame_namespace(run.paused_frame, run.namespace)

    # --- breakpoints and watches (any thread) ---
    @property
    def breakpoints(self) -> dict[int, str | None]:
        return dict(self._breaks)

    def set_breakpoint(self, line: int, condition: str | None = None) -> None:
        """Add or replace a breakpoint; ``condition`` is a Python expression evaluated in the
        paused frame (a SyntaxError is raised here, at once)."""
        condition = (condition or "").strip() or None
        if condition is not None:
            compile(condition, "<condition>", "eval")
        self._breaks[int(line)] = condition
        self._push_breaks()

    def clear_breakpoint(self, line: int) -> None:
        self._breaks.pop(int(line), None)
        self._push_breaks()

    def set_breakpoints(self, lines) -> None:
        """Replace all breakpoints: an iterable of lines or a {line: condition} mapping."""
        items = lines.items() if isinstance(lines, dict) else ((n, None) for n in lines)
        breaks = {}
        for line, cond in items:
            cond = (cond or "").strip() or None
            if cond is not None:
                compile(cond, "<condition>", "eval")
            breaks[int(line)] = cond
        self._breaks = breaks
        self._push_breaks()

    def _push_breaks(self) -> None:
        run = self._run
        if run is not None and not run.done.is_set():
            run.tracer.request_breakpoints(run.effective_breaks(self._breaks))

    # ---- what its DebugRun shares with the session ----
    @property
    def cond(self) -> threading.Condition:
        """The lock (and wake-up) every change of the run's state is made under."""
        return self._cond

    def is_current(self, run) -> bool:
        """``run`` is still the session's run (not replaced by a restart or a stop)."""
        return self._run is run

    @property
    def watches(self) -> tuple[str, ...]:
        """The watch expressions evaluated at every stop."""
        return self._watches

    def set_watches(self, expressions) -> None:
        """Expressions evaluated in the paused frame at every stop (into ``state.watches``)."""
        self._watches = tuple(e.strip() for e in expressions if e.strip())

    # --- run control ---
    def start(self, source: str | None = None, *, stop_at_start: bool = True,
              cursor: int | None = None) -> None:
        """Start a run of ``source`` (default: the last one). ``stop_at_start``: stop at the
        first line; otherwise run to the first breakpoint (or ``cursor``)."""
        if source is not None:
            self.source = source
        run = DebugRun(self, self.source, stop_at_start, cursor)
        with self._cond:
            old, self._run = self._run, run  # from here the old run reports nothing
        if old is not None and not old.done.is_set():
            old.request_stop("restarted")
        self.history.clear()
        self.result = None
        run.start()

    def restart(self) -> None:
        """Stop the current run (if any) and start again with the same source and mode. The
        old run ends in the background; its callbacks are no longer reported."""
        old = self._run
        self.start(stop_at_start=old.stop_at_start if old is not None else True)

    def stop(self) -> None:
        run = self._run
        if run is not None and not run.done.is_set():
            run.request_stop("stopped by user")

    def abandon(self) -> None:
        """Forget the current run and its recorded stops (the editor now holds another
        program): a run still going is stopped in the background and reports nothing more."""
        with self._cond:
            old, self._run = self._run, None
            self._cond.notify_all()
        if old is not None and not old.done.is_set():
            old.request_stop("abandoned")
        self.history.clear()
        self.result = None

    def step_into(self) -> bool:
        return self._command("into")

    def step_over(self) -> bool:
        return self._command("over")

    def step_out(self) -> bool:
        return self._command("out")

    def continue_(self) -> bool:
        return self._command("continue")

    def run_to_cursor(self, line: int) -> bool:
        return self._command("cursor", int(line))

    def _command(self, name: str, arg=None) -> bool:
        """Send a command to the paused run; when idle or finished, start a new run (Continue
        and Run to cursor run freely, the steps stop at the first line). Returns False when the
        command can't apply now (the script is running)."""
        run = self._run
        if run is None or run.done.is_set():
            if name == "stop":
                return False
            self.start(stop_at_start=name in ("into", "over", "out"),
                       cursor=arg if name == "cursor" else None)
            return True
        if run.status != "paused":
            return False
        return run.send(name, arg)

    # --- time travel (GUI thread; nothing re-executes) ---
    def step_back(self) -> DebugState | None:
        return self._view(self.history.back())

    def step_forward(self) -> DebugState | None:
        return self._view(self.history.forward())

    def go_to(self, pos: int) -> DebugState | None:
        return self._view(self.history.go(pos))

    def _view(self, state):
        if state is not None and self.on_view is not None:
            self.on_view(state)
        return state

    # --- waiting (tests, benchmarks, the headless CLI) ---
    def wait_stop(self, timeout: float = 10.0) -> DebugState | None:
        """Block until the run is paused with no command pending (returns the live state) or
        has finished (returns None). Raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                run = self._run
                if run is None:
                    return None
                if run.done.is_set():
                    return None
                if run.status == "paused" and run.pending == 0:
                    return self.history.live
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"debug run still {run.status} after {timeout} s")
                self._cond.wait(left)

    def wait(self, timeout: float | None = None) -> RunResult | None:
        run = self._run
        if run is not None and run.done.wait(timeout):
            run.join_stopper()
        return self.result
