"""Run a user script on the engine, off the calling thread, and stop it on demand (no Qt).

    run = ScriptRun(source, on_output=chunk_cb, on_done=result_cb)
    run.start()        # returns at once; callbacks fire on the worker thread
    run.stop()         # ends even `while True: pass` within about a second
    result = run.wait()

``run_script(source)`` does the same synchronously (tests, ``stepgrad run``). The building blocks
(``compile_script``, ``make_namespace``, ``error_info``, the ``ScriptThread`` base) are public so
the debugger can run the same namespace under bdb in its own thread, stopped the same way.
"""

from __future__ import annotations

import builtins
import linecache
import sys
import threading
import time
import traceback
from collections.abc import Callable

from desktop import capture
from engine import script_namespace
from desktop.async_stop import async_raise, checkpoint, clear_async_flag, reap
from desktop.model import ErrorInfo, GraphSnapshot, OutputChunk, RunResult, TensorInfo
from desktop.process_exit import note_abandoned
from desktop.source_text import source_lines

SCRIPT_FILENAME = "<stepgrad>"


def quiet_engine_warnings() -> None:
    """Re-installed at every start, as a test harness may reset the warning filters."""
    from engine.warn_once import quiet_numpy_warnings

    quiet_numpy_warnings()


STOP_GRACE = 0.9  # seconds Stop keeps retrying before giving the thread up (see _stopper)


class StopScript(BaseException):
    """Raised inside the script's thread to end it. A BaseException so that the user's
    ``except Exception:`` does not swallow it."""


# `import torch` runs on the engine: the mapping and the fresh engine state are the engine's own
# (engine.script_namespace), shared with `stepgrad check` and the lesson checks.
engine_modules = script_namespace.engine_modules
torch_import = script_namespace.torch_import


def compile_script(source: str, filename: str = SCRIPT_FILENAME):
    """Compile ``source`` and register it in linecache so tracebacks and bdb see its lines."""
    # numbered as the compiler numbers them (str.splitlines also breaks at U+2028, form feed...)
    linecache.cache[filename] = (len(source), None, source_lines(source), filename)
    return compile(source, filename, "exec", dont_inherit=True)


def make_namespace(sink: capture.OutputSink | None = None, reset_engine: bool = True) -> dict:
    """A fresh module namespace whose builtins map ``import torch`` to the engine and ``print``
    to ``sink`` (or the calling thread's registered sink). ``reset_engine``: also reset the
    engine's process-wide state (``engine.script_namespace.fresh_engine_state``)."""

    def script_print(*args, sep=" ", end="\n", file=None, flush=False):
        out = sink or capture.current_sink()
        stream = "stdout" if file is None or file is sys.stdout else None
        stream = "stderr" if file is sys.stderr else stream
        if out is None or stream is None:
            builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
            return
        sep = " " if sep is None else sep
        out.write(sep.join(map(str, args)) + ("\n" if end is None else end), stream)

    return script_namespace.new_namespace(reset_engine=reset_engine, print=script_print,
                                          input=script_namespace.no_input)


def error_info(exc: BaseException, filename: str = SCRIPT_FILENAME) -> ErrorInfo:
    """The exception's own message (PyTorch's wording comes from the engine), the line of the
    script where it surfaced, and the script's frames only (engine internals are noise here)."""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        text = (exc.text or "").strip()
        return ErrorInfo(type(exc).__name__, exc.msg, exc.lineno, ((filename, exc.lineno, text),))
    frames = tuple(
        (fs.filename, fs.lineno, (fs.line or "").strip())
        for fs in traceback.extract_tb(exc.__traceback__)
        if fs.filename == filename
    )
    line = frames[-1][1] if frames else None
    message = str(exc) if not isinstance(exc, KeyError) else repr(exc.args[0]) if exc.args else ""
    return ErrorInfo(type(exc).__name__, message, line, frames)


def format_error(err: ErrorInfo) -> str:
    """Traceback text as Python prints it, user frames only."""
    lines = ["Traceback (most recent call last):"] if err.traceback else []
    for filename, lineno, text in err.traceback:
        lines.append(f'  File "{filename}", line {lineno}')
        if text:
            lines.append(f"    {text}")
    lines.append(f"{err.kind}: {err.message}" if err.message else err.kind)
    return "\n".join(lines) + "\n"


# --- a script on its own thread ---------------------------------------------------------------

class ScriptThread:
    """A script's daemon worker thread and Stop, shared by ``ScriptRun`` and the debugger's
    ``DebugRun`` so both end a runaway or stuck script the same way.

    A subclass provides ``_execute()`` (on the worker: runs the script with ``_in_user`` set
    while its code may be interrupted; returns what ended it, None or the exception) and
    ``_finish(outcome, abandoned)`` (``_claim_finish`` first, then ``_result``); it may override
    ``_after_script()`` and ``_on_snapshot()``."""

    thread_name = "stepgrad-script"
    stopper_name = "stepgrad-stop"

    def __init__(self, source: str, filename: str, script_path: str | None,
                 on_output: Callable[[OutputChunk], None] | None, keep_output: bool = True):
        self.source = source
        self.filename = filename
        self.script_path = script_path
        self.sink = capture.OutputSink(on_output, keep=keep_output)
        self.outcome: BaseException | None = None  # what ended the script, once it ended
        self.namespace: dict = {}
        self.recorder = None
        self.done = threading.Event()  # set once the result is built
        self._lock = threading.Lock()  # guards _in_user against the stopper
        self._in_user = False
        self._stop_reason: str | None = None
        self._finished = False
        self._thread: threading.Thread | None = None
        self._ident: int | None = None
        self._t0 = 0.0

    def start(self):
        quiet_engine_warnings()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._main, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def _start_stopper(self) -> threading.Thread:
        stopper = threading.Thread(target=self._stopper, name=self.stopper_name, daemon=True)
        self._stopper_thread = stopper
        stopper.start()
        return stopper

    def join_stopper(self) -> None:
        """Once the result is in, the stopper has nothing left to do but return: wait for
        that, so a finished run leaves no thread of its own behind."""
        stopper = getattr(self, "_stopper_thread", None)
        if stopper is not None and stopper is not threading.current_thread():
            stopper.join(1.0)

    # --- worker thread ---
    def _main(self) -> None:
        self._ident = threading.get_ident()
        capture.register(self.sink)
        outcome: object = _UNSET
        # Loop because the async StopScript may land anywhere up to _leave_user(), even after
        # the script returned; once _leave_user() ran, no further one can arrive (see _stopper).
        while True:
            try:
                if outcome is _UNSET:
                    outcome = self._execute()
                self._leave_user()
                break
            except StopScript as exc:
                outcome = exc if outcome is _UNSET else outcome
        sys.settrace(None)
        self._after_script()
        _detach_observer(self._ident)
        capture.unregister()
        self._finish(outcome)

    def _execute(self) -> BaseException | None:
        raise NotImplementedError

    def _new_namespace(self) -> dict:
        self.namespace = ns = make_namespace(self.sink)
        if self.script_path:
            ns["__file__"] = self.script_path  # as `python path/to/script.py` sets it
        return ns

    def _after_script(self) -> None:
        """Worker-side clean-up once no StopScript can arrive any more."""

    def _leave_user(self) -> None:
        with self._lock:
            self._in_user = False  # from now on the stopper raises nothing more
        # A StopScript raised just before (e.g. while the script was in a C call) may still be
        # pending: let it land here, inside _main's retry loop, not in _finish or a callback.
        checkpoint()
        checkpoint()

    # --- stopping ---
    def _stopper(self) -> None:
        # Re-raise every 50 ms: the user may catch it with a bare `except:`, and a raise made
        # while the thread sits in a C call only lands when that call returns.
        deadline = time.monotonic() + STOP_GRACE
        while not self.done.is_set() and time.monotonic() < deadline:
            with self._lock:
                if self._in_user and self._ident is not None:
                    async_raise(self._ident, StopScript)
            self.done.wait(0.05)
        if self.done.is_set() or not self._in_user:
            self.done.wait(STOP_GRACE)  # the worker left user code and is building its result
            if self.done.is_set():
                return
        # Still stuck (e.g. in time.sleep or a huge numpy call): abandon it. It is a daemon
        # thread; its late output and engine events are dropped, and the pending StopScript
        # ends it as soon as it runs Python again.
        self.sink.closed = True
        note_abandoned(self._thread)
        if self._ident is not None:
            capture.unregister(self._ident)
            _detach_observer(self._ident)
        clear_async_flag()
        if self._thread is not None:  # None: stopped before it was started
            threading.Thread(target=reap, args=(self._thread,), name="stepgrad-reap",
                             daemon=True).start()
        self._finish(StopScript(), abandoned=True)

    # --- result ---
    def _finish(self, outcome, abandoned: bool = False) -> None:
        raise NotImplementedError

    def _claim_finish(self) -> bool:
        """True for the first caller only: the worker and an abandoning stopper may race."""
        with self._lock:
            if self._finished:
                return False
            self._finished = True
            return True

    def _result(self, outcome, stop_reason: str | None, extras: dict) -> RunResult:
        status, error = "finished", None
        if isinstance(outcome, StopScript):
            status = "stopped"
            err = error_info(outcome, self.filename)
            error = ErrorInfo("Stopped", stop_reason or "stopped", err.line, err.traceback)
        elif isinstance(outcome, SystemExit) and outcome.code in (None, 0):
            pass
        elif isinstance(outcome, BaseException):
            status, error = "error", error_info(outcome, self.filename)
        tensors, graph, values = (), GraphSnapshot(), ()
        try:
            from desktop.tensors import tensor_infos

            tensors = tensor_infos(self.namespace)
            if self.recorder is not None:
                graph = self.recorder.snapshot(self.namespace)
                values = tuple(self.recorder.backward_values)
                if self.recorder.point_trail:
                    extras["point_trail"] = tuple(self.recorder.point_trail)
            self._on_snapshot(status, tensors, graph)
        except Exception as exc:  # an engine bug must not lose the output and error
            extras["snapshot_error"] = f"{type(exc).__name__}: {exc}"
        chunks = self.sink.chunks()
        if any(c.stream != "stdout" for c in chunks):  # the pane shows stderr in red
            extras["output_chunks"] = chunks
        return RunResult(status, self.sink.text(), error, tensors, graph, values,
                         time.perf_counter() - self._t0, extras)

    def _on_snapshot(self, status: str, tensors, graph: GraphSnapshot) -> None:
        """Called with the final snapshots; what it raises is reported as a snapshot error."""


# --- a run ------------------------------------------------------------------------------------

class ScriptRun(ScriptThread):
    """One execution of a script in a daemon worker thread.

    Callbacks run on the worker thread (or, for a thread that Stop had to abandon, on the
    stopper thread); a GUI controller should re-emit them as queued Qt signals:
    ``on_output(OutputChunk)`` per write, ``on_done(RunResult)`` exactly once.

    ``keep_output=False`` forwards the output to ``on_output`` without keeping (or truncating)
    it: the result's ``output`` is then empty. ``max_seconds`` stops the run after that long;
    ``max_lines`` after that many executed lines of the script (counted with ``sys.settrace``
    on the worker thread only, so it slows the script; leave it None for plain runs).
    ``record=False`` skips the graph recorder.

    ``executor(code, namespace)`` replaces the plain ``exec`` (default): the debugger passes
    ``lambda code, ns: tracer.run(code, ns)`` to step the same run under bdb and still gets the
    torch mapping, output capture, recorder, Stop and the RunResult. Don't combine it with
    ``max_lines`` (both need ``sys.settrace``). While paused, the debugger thread may call
    ``graph_snapshot``/``tensor_snapshot`` to render the current state.
    """

    def __init__(self, source: str, *, filename: str = SCRIPT_FILENAME,
                 on_output: Callable[[OutputChunk], None] | None = None,
                 on_done: Callable[[RunResult], None] | None = None,
                 max_seconds: float | None = None, max_lines: int | None = None,
                 record: bool = True, script_path: str | None = None,
                 executor: Callable[[object, dict], object] | None = None,
                 keep_output: bool = True):
        super().__init__(source, filename, script_path, on_output, keep_output)
        self.executor = executor
        self.on_done = on_done
        self.max_seconds = max_seconds
        self.max_lines = max_lines
        self.record = record
        self.status = "idle"  # -> "running" -> "finished" | "error" | "stopped"
        self.result: RunResult | None = None
        self._lines = 0
        self._timer: threading.Timer | None = None
        self._stopper_started = False

    # --- controller API ---
    def start(self) -> ScriptRun:
        self.status = "running"
        super().start()
        if self.max_seconds is not None:
            timer = threading.Timer(self.max_seconds, self.stop,
                                    kwargs={"reason": f"time limit of {self.max_seconds:g} s"})
            timer.daemon = True
            timer.name = "stepgrad-time-limit"
            with self._lock:  # the script may already be over: then no timer at all
                if not self._finished:
                    self._timer = timer
                    timer.start()
        return self

    def stop(self, reason: str = "stopped by user", block: bool = False) -> None:
        """Ask the script to end. Returns at once unless ``block``; ``on_done`` follows within
        about a second either way (see ``_stopper``)."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self.done.is_set() or self._stopper_started:
                return  # a second Stop press changes nothing
            self._stopper_started = True
        stopper = self._start_stopper()
        if block:
            stopper.join()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        if self.done.wait(timeout):
            self.join_stopper()
        return self.result

    def graph_snapshot(self, namespace: dict | None = None,
                       highlight: frozenset[int] = frozenset()) -> GraphSnapshot:
        """The graph as it is now (e.g. at a debugger stop); ``namespace`` defaults to the
        script's globals; pass a paused frame's ``{**f_globals, **f_locals}`` for its names."""
        if self.recorder is None:
            return GraphSnapshot()
        return self.recorder.snapshot(self.namespace if namespace is None else namespace,
                                      highlight)

    def tensor_snapshot(self, namespace: dict | None = None) -> tuple[TensorInfo, ...]:
        from desktop.tensors import tensor_infos

        return tensor_infos(self.namespace if namespace is None else namespace)

    @property
    def running(self) -> bool:
        return not self.done.is_set() and self._thread is not None

    # --- worker thread ---
    def _execute(self) -> BaseException | None:
        try:
            code = compile_script(self.source, self.filename)
            ns = self._new_namespace()
            if self.record:
                from desktop.recorder import RunRecorder, attach

                self.recorder = RunRecorder(self.filename)
                attach(self.recorder)
            with self._lock:
                if self._stop_reason is not None:
                    return StopScript()
                self._in_user = True
            if self.max_lines is not None:
                sys.settrace(self._trace)
            if self.executor is not None:
                self.executor(code, ns)
            else:
                exec(code, ns)
        except BaseException as exc:  # the script's error, SystemExit or StopScript
            return exc
        return None

    def _trace(self, frame, event, arg):
        return self._trace_line if frame.f_code.co_filename == self.filename else None

    def _trace_line(self, frame, event, arg):
        if event == "line":
            self._lines += 1
            if self._lines > self.max_lines:
                with self._lock:
                    self._stop_reason = self._stop_reason or f"step limit of {self.max_lines} lines"
                raise StopScript()
        return self._trace_line

    # --- result ---
    def _finish(self, outcome, abandoned: bool = False) -> None:
        if not self._claim_finish():
            return
        self.outcome = outcome if isinstance(outcome, BaseException) else None
        timer = self._timer  # set (and started) under the lock before _claim_finish, or never
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()  # cancelled: it ends at once; leave no thread behind
        extras: dict = {"abandoned": abandoned} if abandoned else {}
        engine_names = engine_modules(self.namespace)
        if engine_names:
            extras["engine_modules"] = engine_names  # for "import torch runs on the engine"
        self.result = self._result(outcome, self._stop_reason, extras)
        self.status = self.result.status
        self.done.set()
        if self.on_done is not None:
            self.on_done(self.result)


_UNSET = object()


def _detach_observer(ident: int) -> None:
    try:
        from desktop.recorder import detach
    except ImportError:  # no engine: nothing was attached
        return
    detach(ident=ident)


def run_script(source: str, **kwargs) -> RunResult:
    """Run ``source`` to completion (keyword arguments as for ``ScriptRun``)."""
    return ScriptRun(source, **kwargs).start().wait()
