"""What the GUI controller tracks between runs, as plain Python (no Qt), so it is testable alone.

- ``AppState``: the last run (result, namespace, the symbolic recorder's calls), the open lesson,
  the model-builder spec, the session file; evaluates watch expressions against the last run's
  namespace and turns the window's contents into a ``desktop.session.Session``.
- ``symbolic_executor``: a GUI run's script thread feeds both the graph recorder (graph view,
  inspector) and ``symbolic.CallTraceRecorder`` (the three-way check), both attached to its route in
  ``engine.observe``. The check then works on exactly the numbers the user saw, with no second
  run of the script.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from desktop.model import RunResult
from desktop.session import Breakpoint, Session

SYMBOLIC_CALLS = 5  # backward()/grad() calls recorded for the check (what one Compute checks)
WATCH_TEXT_LIMIT = 400  # characters of a watch value shown


class SymbolicLoader:
    """Imports ``symbolic`` (and sympy, ~1 s) once, in a background thread, never in a script's
    thread: a Stop landing mid-import there could leave half-initialised modules behind.
    ``start()`` is idempotent; ``wait()`` polls, so a Stop still reaches a waiting script."""

    def __init__(self):
        self.ready = threading.Event()
        self.error: str | None = None
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> SymbolicLoader:
        with self._lock:
            if self._started:
                return self
            self._started = True
        threading.Thread(target=self._load, name="stepgrad-symbolic-import", daemon=True).start()
        return self

    def _load(self) -> None:
        try:
            import symbolic.custom  # noqa: F401
            from symbolic import CallTraceRecorder  # noqa: F401  (a stale install can lack it)
        except Exception as exc:  # the check is optional; runs go on without it
            self.error = f"symbolic check unavailable: {type(exc).__name__}: {exc}"
        finally:
            self.ready.set()

    def wait(self) -> bool:
        self.start()
        while not self.ready.wait(0.05):  # short waits: an async StopScript gets delivered
            pass
        return self.error is None


LOADER = SymbolicLoader()


def symbolic_executor(run, holder: dict, max_calls: int = SYMBOLIC_CALLS,
                      loader: SymbolicLoader = LOADER):
    """An ``executor`` for ``desktop.runner.ScriptRun``: runs the code with a
    ``symbolic.CallTraceRecorder`` attached for the worker thread beside the run's graph
    recorder, and leaves that recorder in ``holder["recorder"]``.
    Prints made while ``symbolic`` replays a custom Function's forward are not the script's and
    are dropped. If symbolic can't be imported the script still runs, without the check."""

    def execute(code, namespace):
        if not loader.wait():
            holder["error"] = loader.error
            exec(code, namespace)
            return
        from desktop.recorder import attach
        from symbolic import CallTraceRecorder
        from symbolic.custom import replaying

        rec = CallTraceRecorder(max_calls=max_calls)
        holder["recorder"] = rec
        holder["code"] = code  # re-run by the check's independent finite differences
        # once full, the symbolic recorder stops listening: its per-node input copies cost as
        # much as the run itself in a long training loop (the run's graph recorder counts the
        # backward calls it missed)
        attach(rec, until=(lambda: rec.full) if run.recorder is not None else None)
        builtins = namespace["__builtins__"]
        script_print = builtins["print"]

        def print_(*args, **kwargs):
            if not replaying():
                script_print(*args, **kwargs)

        builtins["print"] = print_
        from desktop.symbolic_rerun import wait_idle

        wait_idle()  # the last check's re-run of the script (cancelled by this run) has ended
        exec(code, namespace)

    return execute


def format_value(value, limit: int = WATCH_TEXT_LIMIT) -> str:
    """A watch value as one readable string (tensors print as PyTorch prints them)."""
    text = str(value)
    text = " ".join(text.split()) if "\n" in text and len(text) < 200 else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class AppState:
    """The controller's memory. ``namespace`` is the finished script's globals (its tensors are
    no longer touched by any thread once the run is done, so the GUI thread may read them)."""

    result: RunResult | None = None
    namespace: dict = field(default_factory=dict)
    symbolic_calls: list = field(default_factory=list)
    symbolic_note: str = ""
    symbolic_code: object | None = None  # the run's compiled script (the check re-runs it)
    lesson: str | None = None
    spec: object | None = None  # desktop.builder.ModelSpec chosen in the builder
    session_path: str | None = None
    runs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def finish_run(self, result: RunResult, namespace: dict, holder: dict) -> None:
        rec = holder.get("recorder")
        with self._lock:
            self.result = result
            self.namespace = namespace
            self.symbolic_calls = list(rec.calls) if rec is not None else []
            self.symbolic_note = holder.get("error", "")
            self.symbolic_code = holder.get("code")
            # the recorder stops listening once full (symbolic_executor), so count the rest from the
            # run's own list of backward() calls
            missed = 0 if rec is None else max(rec.skipped,
                                               len(result.backward_values) - len(rec.calls))
            if missed > 0:
                self.symbolic_note = (f"only the first {rec.max_calls} backward()/grad() calls "
                                      f"were recorded for the check ({missed} more were not)")
            self.runs += 1

    @property
    def checkable(self) -> bool:
        return bool(self.symbolic_calls)

    def evaluate(self, expr: str) -> str:
        """A watch expression evaluated in the last run's namespace, without recording a graph.
        Raises what the expression raises (the inspector shows it)."""
        if self.result is None:
            return "(run to evaluate)"
        ns = self.namespace
        import engine

        with engine.no_grad():
            value = eval(compile(expr, "<watch>", "eval"), ns)  # the user's own watch expression
        return format_value(value)

    # --- sessions ---
    def session(self, code: str, breakpoints=(), watches=(), settings: dict | None = None
                ) -> Session:
        bps = tuple(Breakpoint(int(b)) for b in sorted(breakpoints))
        return Session(code=code, breakpoints=bps,
                       watches=tuple(watches), settings=dict(settings or {}), lesson=self.lesson)

    def reset_run(self) -> None:
        with self._lock:
            self.result = None
            self.namespace = {}
            self.symbolic_calls = []
            self.symbolic_note = ""
            self.symbolic_code = None
