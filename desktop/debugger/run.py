"""One run of the script under the debugger (no Qt): the worker thread, its stops (line,
backward node, error), the state recorded at each, and stopping it (cooperatively through the
tracer, by an async exception in the thread, or by abandoning a thread stuck in C code).

A run's ``status`` goes "running" <-> "paused" -> "finished". While paused, the worker blocks on
its command queue with the "user code" flag down, so Stop never interrupts our own code.
"""

from __future__ import annotations

import contextlib
import queue
import sys

from desktop.async_stop import checkpoint
from desktop.debugger.backward_stepper import BackwardStepper, RawStep, graph_id
from desktop.debugger.history import DebugState, state_label
from desktop.debugger.snapshots import Sharer, after_backward_step, same_graph
from desktop.debugger.tracer import Tracer, code_lines, innermost_user_frame, snap_line
from desktop.model import GraphSnapshot
from desktop.runner import ScriptThread, StopScript, compile_script, error_info
from desktop.tensors import node_name
from desktop.variables import frame_variables
from desktop.watch_eval import describe_outcome
from symbolic.limits import run_limited

WATCH_LIMIT = 2.0  # seconds one watch expression may take at a stop
CHECK_INCREMENTAL = False  # tests: compare each incremental backward graph with a full one


class DebugRun(ScriptThread):
    """One execution of the script under the debugger, in its own worker thread (a new one
    per start/restart); ``DebugSession`` drives it."""

    thread_name = "stepgrad-debug"
    stopper_name = "stepgrad-debug-stop"

    def __init__(self, session, source: str, stop_at_start: bool,
                 cursor: int | None):
        super().__init__(source, session.filename, session.script_path, self._output)
        self.session = session
        self.stop_at_start = stop_at_start
        self.cursor = cursor
        self.status = "running"
        self.pending = 0  # commands queued but not yet taken by the worker
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.tracer = Tracer(self.filename, self._on_line, session.max_steps,
                             evaluate=self._evaluate)
        self.tracer.start_running = not stop_at_start
        self.stepper: BackwardStepper | None = None
        self.paused_frame = None
        self.lines: set[int] = set()
        self.sharer = Sharer()
        self.mismatches: list[tuple[str, int]] = []  # see CHECK_INCREMENTAL
        self.incremental = 0  # backward stops whose graph was derived from the previous one
        self._stops = 0
        self._mark = 0

    # --- controller side ---
    def send(self, name: str, arg=None) -> bool:
        with self.session.cond:
            if self.status != "paused" or self.pending:
                return False
            self.pending += 1
        self.commands.put((name, arg))
        return True

    def request_stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason is not None:
                return  # already stopping
            self._stop_reason = reason
        self.tracer.request_stop(reason)
        with self.session.cond:
            self.pending += 1
        self.commands.put(("stop", None))
        self._start_stopper()

    def effective_breaks(self, breaks: dict[int, str | None]) -> dict[int, str | None]:
        if not self.lines:
            return dict(breaks)
        out = {}
        for line, cond in breaks.items():
            snapped = snap_line(self.lines, line)
            if snapped is not None:
                out[snapped] = cond
        return out

    # --- worker thread ---
    def _after_script(self) -> None:
        self.tracer.clear_all_breaks()  # again: a late StopScript may have cut run_code's

    def _execute(self):
        from desktop.recorder import RunRecorder, attach

        try:
            code = compile_script(self.source, self.filename)
        except SyntaxError as exc:
            return exc
        self.lines = code_lines(code)
        self.tracer.set_source(self.source)
        ns = self._new_namespace()
        self.recorder = RunRecorder(self.filename)
        self.stepper = BackwardStepper(self._on_backward)
        self.stepper.tracer = self.tracer
        attach(self.recorder)  # first: the graph is current when the stepper pauses
        attach(self.stepper)
        self.tracer.install_breakpoints(self.effective_breaks(self.session.breakpoints))
        if self.cursor is not None:
            line = snap_line(self.lines, self.cursor)
            if line is not None:
                self.tracer.set_cursor(line)
        with self._lock:
            if self._stop_reason is not None:
                return StopScript()
            self._in_user = True
        try:
            self.tracer.run_code(code, ns)
        except (StopScript, SystemExit) as exc:
            return exc
        except BaseException as exc:  # the script's error: stop at its line
            self._leave_user()
            self._stop_at_error(exc)
            return exc
        return None

    # --- stops ---
    def _on_line(self, frame) -> None:
        cmd, arg = self._pause("line", frame)
        tracer, stepper = self.tracer, self.stepper
        if cmd == "into":
            stepper.armed = True
            if stepper.active is not None:
                stepper.active.stepping = True
            tracer.set_step()
        elif cmd == "over":
            stepper.armed = False
            tracer.set_next(frame)
        elif cmd == "out":
            stepper.armed = False
            tracer.set_return(frame)
        else:
            self._run_freely(cmd, arg)

    def _on_backward(self, raw: RawStep) -> None:
        frame = innermost_user_frame(self.filename)
        sys.settrace(None)  # our own code must not be traced while paused here
        cmd, arg = self._pause(raw.kind, frame, raw)  # on Stop, tracing stays off
        tracer, stepper = self.tracer, self.stepper
        tracer.fast = False
        if cmd == "into":
            stepper.armed = True
            tracer.set_step()
        elif cmd in ("over", "out") and frame is not None:
            if cmd == "out" and raw.kind == "backward":
                stepper.stop_stepping()  # finish this backward pass, stop at the next line
            if cmd == "out" and raw.kind == "backward_end":
                tracer.set_return(frame)
            else:
                tracer.set_next(frame)
        else:
            self._run_freely("continue" if cmd in ("over", "out") else cmd, arg)
        if not tracer.fast:
            sys.settrace(tracer.global_trace)

    def _run_freely(self, cmd: str, arg) -> None:
        self.stepper.stop_stepping()
        if cmd == "cursor":
            line = snap_line(self.lines, arg) if self.lines else arg
            if line is not None:
                self.tracer.set_cursor(line)
        self.tracer.set_continue()

    def _pause(self, kind: str, frame, raw: RawStep | None = None, error=None):
        """Record a state, report it, block until a command; raises StopScript on Stop."""
        with self._lock:
            self._in_user = False
        with contextlib.suppress(StopScript):  # a Stop that raced us: handled just below
            checkpoint()
            checkpoint()
        if self.tracer.stop_reason is not None:
            raise StopScript()
        if frame is not None:
            self.tracer.trace_frames(frame)
        if not self.session.is_current(self):  # restarted meanwhile: end quietly
            raise StopScript()
        state = self._capture(kind, frame, raw, error)
        self.session.history.append(state)
        with self.session.cond:
            self.status = "paused"
            self.session.cond.notify_all()
        self.paused_frame = frame  # read by DebugSession.paused_namespace while we wait
        self._emit("on_paused", state)
        cmd, arg = self.commands.get()
        self.paused_frame = None
        with self.session.cond:
            self.pending = max(0, self.pending - 1)
            self.status = "running"
        if cmd == "stop" or self.tracer.stop_reason is not None:
            raise StopScript()
        with self._lock:
            self._in_user = True
        return cmd, arg

    def _stop_at_error(self, exc: BaseException) -> None:
        frame = None
        tb = exc.__traceback__
        while tb is not None:  # the innermost frame of the script's own code
            if tb.tb_frame.f_code.co_filename == self.filename:
                frame = tb.tb_frame
            tb = tb.tb_next
        with contextlib.suppress(StopScript):  # any command ends the run
            self._pause("error", frame, error=error_info(exc, self.filename))

    def _capture(self, kind, frame, raw, error) -> DebugState:
        from desktop.tensors import namespace_tensors, tensor_infos

        ns = frame_namespace(frame, self.namespace)
        names: dict[int, str] = {}
        tensors = namespace_tensors(ns, self.recorder.ttype) if self.recorder else []
        for name, t in tensors:
            names.setdefault(id(t), name)
            fn = getattr(t, "grad_fn", None)
            if fn is not None:
                names.setdefault(id(fn), name)
        new_nodes = self._new_nodes()
        info = None
        if raw is not None:
            discarded = ()
            if raw.kind == "backward_end":
                discarded = tuple(n for n, t in tensors
                                  if t.grad_fn is not None and not t.retains_grad)
            info = raw.info(names, discarded)
        if info is not None and info.node is not None:
            highlight = frozenset({info.node})
        else:
            highlight = frozenset(k for k, _ in new_nodes)
        graph = self._graph(ns, highlight, raw, new_nodes)
        graph = self.sharer.graph(graph)
        infos = self.sharer.tensors(tensor_infos(ns))
        line = self.tracer.statement_line(frame) if frame is not None else (
            error.line if error else None)
        if error is not None and error.line is not None:
            line = error.line
        self._stops += 1
        prev = self.session.history.live
        warning, self.tracer.condition_error = self.tracer.condition_error or "", None
        return DebugState(
            index=self._stops - 1, kind=kind, line=line,
            function=frame.f_code.co_name if frame is not None else "<module>",
            depth=_depth(frame, self.filename), label=state_label(kind, line, info),
            graph=graph, tensors=infos, new_nodes=new_nodes, backward=info, error=error,
            from_line=prev.line if prev is not None else None,
            watches=self._eval_watches(frame), output_len=len(self.sink.text()),
            note=self.session.history.note, warning=warning,
            variables=frame_variables(frame, self.namespace,
                                      self.recorder.ttype if self.recorder else None))

    def _graph(self, ns, highlight, raw, new_nodes) -> GraphSnapshot:
        if self.recorder is None:
            return GraphSnapshot()
        prev = self.session.history.live
        if (raw is not None and raw.kind == "backward" and not new_nodes and prev is not None
                and prev.kind == "backward" and prev.backward.call == raw.call
                and prev.backward.step == raw.step - 1):
            try:
                graph = after_backward_step(prev.graph, self.recorder, ns, raw.node,
                                            raw.flows, raw.freed)
            except (AttributeError, ImportError, KeyError, TypeError):  # recorder changed
                graph = None
            if graph is not None:
                self.incremental += 1
                if CHECK_INCREMENTAL:
                    full = self.recorder.snapshot(ns, highlight)
                    if not same_graph(graph, full):
                        self.mismatches.append((raw.op, raw.step))
                return graph
        return self.recorder.snapshot(ns, highlight)

    def _new_nodes(self) -> tuple[tuple[int, str], ...]:
        rec = self.recorder
        if rec is None:
            return ()
        mark, self._mark = self._mark, rec.seq
        found = []
        for r in list(rec.records.values()):
            if r.seq > mark:
                node = r()
                if node is not None:
                    found.append((r.seq, graph_id(node), node_name(node)))
        found.sort()
        return tuple((gid, op) for _, gid, op in found)

    def _evaluate(self, expr: str, frame):
        """A breakpoint condition, as a watch is evaluated: it must not add to the graph."""
        import engine

        with engine.observe.routed(self.stepper), engine.no_grad():
            return eval(expr, frame.f_globals, frame.f_locals)

    def _eval_watches(self, frame) -> tuple[tuple[str, str], ...]:
        exprs = self.session.watches
        if not exprs or frame is None:
            return ()
        import engine

        def value_of(expr):
            with engine.no_grad():  # grad mode is per thread: set it where the eval runs
                return repr(eval(expr, frame.f_globals, frame.f_locals))

        out = []
        with engine.observe.routed(self.stepper):  # the graph recorder sees none of it
            for expr in exprs:
                # a runaway watch must not hang the paused session (nor Stop, which waits on it)
                outcome = run_limited(lambda e=expr: value_of(e), WATCH_LIMIT)
                out.append((expr, describe_outcome(outcome, WATCH_LIMIT)))
        return tuple(out)

    # --- result ---
    def _finish(self, outcome, abandoned: bool = False) -> None:
        if not self._claim_finish():
            return
        extras: dict = {"steps": self.tracer.steps, "stops": self._stops,
                        "history_note": self.session.history.note}
        if abandoned:
            extras["abandoned"] = True
        result = self._result(outcome, self.tracer.stop_reason or self._stop_reason, extras)
        current = self.session.is_current(self)
        if current:
            self.session.result = result
        with self.session.cond:
            self.status = "finished"
            self.done.set()
            self.session.cond.notify_all()
        if current:
            self._emit("on_finished", result)

    def _on_snapshot(self, status: str, tensors, graph: GraphSnapshot) -> None:
        if status != "finished" or not self.session.is_current(self):
            return  # an abandoned run is always "stopped"
        self._stops += 1
        prev = self.session.history.live
        self.session.history.append(DebugState(
            index=self._stops - 1, kind="finished", line=None, function="<module>",
            depth=0, label=state_label("finished", None), graph=graph,
            tensors=tensors, new_nodes=self._new_nodes(),
            from_line=prev.line if prev is not None else None,
            output_len=len(self.sink.text()), note=self.session.history.note))

    def _output(self, chunk) -> None:
        self._emit("on_output", chunk)

    def _emit(self, name: str, arg) -> None:
        cb = getattr(self.session, name)
        if cb is not None and self.session.is_current(self):
            cb(arg)


def frame_namespace(frame, fallback: dict) -> dict:
    """The names visible in ``frame``: its locals first (listed first in the inspector, and
    winning over a global of the same name), then the globals."""
    if frame is None:
        return fallback
    ns = frame.f_globals
    if frame.f_locals is not ns:
        ns = dict(frame.f_locals)
        for k, v in frame.f_globals.items():
            ns.setdefault(k, v)
    return ns


def _depth(frame, filename: str) -> int:
    n = 0
    while frame is not None:
        n += frame.f_code.co_filename == filename
        frame = frame.f_back
    return n
