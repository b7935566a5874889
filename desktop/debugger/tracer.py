"""Line stepping over the user's script with the standard library's ``bdb`` (no Qt).

Only frames of the script's own code (its compile filename) are ever traced: engine, numpy and
stdlib frames get no local trace function, so stepping never wanders into the engine and
Continue costs one cheap call per Python function call. Stops go to ``on_line(frame)``, which
runs on the worker thread and blocks until the user's next command has been applied.

There is no step cap by default: Stop ends any run, traced or not, by interrupting its thread
(see ``session``). An optional cap (``max_steps``) counts traced lines; a Continue with no
breakpoints runs untraced (like a plain run) and is never counted.
"""

from __future__ import annotations

import ast
import bdb
import math
import sys
import types

from desktop.runner import StopScript

MAX_STEPS: int | None = None  # default cap on traced script lines per run (None: no cap)


class StepLimit(StopScript):
    """The run executed more traced lines than the step cap allows."""


def code_lines(code: types.CodeType) -> set[int]:
    """Line numbers that start a statement in ``code`` or any code object nested in it."""
    lines: set[int] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        lines.update(line for _, _, line in c.co_lines() if line is not None)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return lines


def statement_starts(source: str) -> dict[int, int]:
    """{line: first line of the innermost statement that line belongs to}, for the lines of
    statements spread over several lines (continuation lines only; a line that starts its own
    statement is absent). A compound statement's header owns the lines before its body."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    owner: dict[int, int] = {}

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                end = child.end_lineno or child.lineno
                body = [b for f in ("body", "orelse", "finalbody", "handlers", "cases")
                        for b in getattr(child, f, ()) or () if hasattr(b, "lineno")]
                if body:  # a header: its own lines end where the first inner statement starts
                    end = min(end, min(b.lineno for b in body) - 1)
                for line in range(child.lineno + 1, end + 1):
                    owner[line] = child.lineno
            visit(child)

    visit(tree)
    return owner


def snap_line(lines: set[int], line: int) -> int | None:
    """The first executable line at or after ``line`` (a breakpoint on a blank line or a comment
    stops at the next statement, as in IDEs); None past the last statement."""
    after = [n for n in lines if n >= line]
    return min(after) if after else None


class Tracer(bdb.Bdb):
    """``bdb`` restricted to one filename, with a stop flag, a step cap and breakpoints that
    other threads change through ``request_breakpoints``.

    ``on_line(frame)`` is called at every stop (line stepping, breakpoints, run to cursor).
    ``evaluate(expr, frame)`` evaluates breakpoint conditions (default: plain ``eval``); one
    that raises stops at its line with ``condition_error`` saying why.
    """

    def __init__(self, filename: str, on_line, max_steps: int | None = MAX_STEPS,
                 evaluate=None):
        super().__init__()
        self.filename = filename
        self.on_line = on_line
        self.evaluate = evaluate or (lambda expr, frame: eval(expr, frame.f_globals,
                                                              frame.f_locals))
        self.conditions: dict[int, str] = {}  # line -> condition (bdb's own bps stay plain)
        self.condition_error: str | None = None  # a condition raised: why we stopped
        self.max_steps = math.inf if max_steps is None else max_steps  # compared per line
        self.steps = 0  # traced script lines executed
        self.start_running = False  # True: run to the first breakpoint instead of line 1
        self.stop_reason: str | None = None  # set from any thread: raise StopScript soon
        self._pending: dict[int, str | None] | None = None  # breakpoints to install
        self._cursor_bp = None
        self._attention = False  # one flag for the hot path: stop or breakpoints pending
        self.fast = False  # running untraced (Continue with no breakpoints)
        self._continuing = False  # a Continue with breakpoints: script lines take _fast_local
        # statement stepping: continuation line -> its statement's first line (set_source)
        self.statements: dict[int, int] = {}
        self._stopped_at: tuple[object, int] | None = None  # (frame, statement line) last stop
        self.global_trace = self._make_global_trace()
        self._fast_local = self._make_fast_local()

    # --- called from other threads ---
    def request_stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason
        self._attention = True

    def request_breakpoints(self, breaks: dict[int, str | None]) -> None:
        """Replace all breakpoints ({line: condition or None}); installed by the worker at its
        next traced event (bdb's tables are not shared across threads safely)."""
        self._pending = dict(breaks)
        self._attention = True

    @property
    def attention_pending(self) -> bool:
        """A stop request or new breakpoints wait for the worker's next trace event."""
        return self._attention

    # --- the trace functions ---
    def _make_global_trace(self):
        """The ``sys.settrace`` function: a plain closure that drops every frame not of the
        script at the least possible cost (it runs on each Python call: ~25% cheaper than
        going through the bound method), and hands script frames to ``trace_dispatch``."""
        filename = self.filename
        local = self.trace_dispatch

        def global_trace(frame, event, arg):
            if frame.f_code.co_filename != filename:
                return None
            return local(frame, event, arg)

        return global_trace

    def _make_fast_local(self):
        """The local trace function of script frames during a Continue with breakpoints set:
        a line that holds no breakpoint costs one lookup instead of bdb's dispatch, which made
        such a Continue about 3x the plain run. Everything else (a breakpoint's line, a stop
        request, returns, exceptions, the step cap) goes through ``trace_dispatch``."""
        tracer = self
        canon = self.canonic(self.filename)
        slow = self.trace_dispatch

        def fast_local(frame, event, arg):
            if (event == "line" and tracer._continuing and not tracer._attention
                    and tracer.steps < tracer.max_steps):
                lines = tracer.breaks.get(canon)  # bdb rebinds .breaks: look it up each time
                if not lines or frame.f_lineno not in lines:
                    tracer.steps += 1
                    return fast_local
            return slow(frame, event, arg)

        return fast_local

    def _set_stopinfo(self, stopframe, returnframe, stoplineno=0):
        super()._set_stopinfo(stopframe, returnframe, stoplineno)
        # bdb's Continue: stop nowhere but at breakpoints (stepping commands pass other values)
        self._continuing = stoplineno == -1 and stopframe is self.botframe

    def trace_dispatch(self, frame, event, arg):
        result = self._dispatch(frame, event, arg)
        if result is not None and self._continuing and frame.f_code.co_filename == self.filename:
            return self._fast_local  # back to the cheap path once bdb has had its say
        return result

    def _dispatch(self, frame, event, arg):
        if self._attention:
            self._attend()
        if event == "call":
            if frame.f_code.co_filename != self.filename and self.botframe is not None:
                return None  # never trace engine / library frames
        elif event == "line":
            self.steps += 1
            if self.steps > self.max_steps:
                self.stop_reason = (f"step limit reached: the debugger executed "
                                    f"{self.max_steps:,} lines of the script and stopped it")
                raise StepLimit()
        return super().trace_dispatch(frame, event, arg)

    def _attend(self) -> None:
        if self.stop_reason is not None:
            raise StopScript()
        pending, self._pending = self._pending, None
        self._attention = False
        if pending is not None:
            self.install_breakpoints(pending)

    def install_breakpoints(self, breaks: dict[int, str | None]) -> None:
        cursor = self._cursor_bp
        self.clear_all_breaks()
        self._cursor_bp = None
        self.conditions = {line: cond for line, cond in breaks.items() if cond}
        for line in sorted(breaks):
            self.set_break(self.filename, line)
        if cursor is not None:
            self.set_cursor(cursor)

    def set_cursor(self, line: int) -> None:
        """A one-shot breakpoint for Run to cursor (removed at the next stop, wherever)."""
        self.set_break(self.filename, line, temporary=True)
        self._cursor_bp = line

    def clear_cursor(self) -> None:
        line, self._cursor_bp = self._cursor_bp, None
        if line is not None:
            for bp in list(self.get_breaks(self.filename, line)):
                if bp.temporary:
                    self.clear_bpbynumber(bp.number)

    def set_source(self, source: str) -> None:
        """Step by statement, not by line, through ``source`` (the script being traced)."""
        self.statements = statement_starts(source)

    def statement_line(self, frame) -> int:
        """The first line of the statement ``frame`` is executing."""
        return self.statements.get(frame.f_lineno, frame.f_lineno)

    # --- bdb hooks ---
    def dispatch_line(self, frame):
        """bdb's, except that a step does not stop again inside the statement it stopped at
        (a statement spread over three lines is one F10, and never jumps back to its first
        line), nor on a continuation line of a statement it has not stopped in yet."""
        if (self.stop_here(frame) and not self._same_statement(frame)) or self.break_here(frame):
            self.user_line(frame)
            if self.quitting:
                raise bdb.BdbQuit
        return self.trace_dispatch

    def _same_statement(self, frame) -> bool:
        last = self._stopped_at
        return last is not None and last[0] is frame and last[1] == self.statement_line(frame)

    def stop_here(self, frame):
        if frame.f_code.co_filename != self.filename:
            return False
        return super().stop_here(frame)

    def break_here(self, frame):
        """bdb's test, with conditions evaluated here: bdb stops silently when a condition
        raises, and the user would never learn their condition is broken."""
        if not super().break_here(frame):
            return False
        line = frame.f_lineno
        cond = self.conditions.get(line)
        if cond is None or line == self._cursor_bp:
            return True
        try:
            return bool(self.evaluate(cond, frame))
        except StopScript:
            raise
        except Exception as exc:  # any error of the user's expression
            self.condition_error = (f"the condition of the breakpoint on line {line} "
                                    f"({cond}) raised {type(exc).__name__}: {exc}; stopped "
                                    "here so you can fix it")
            return True

    def dispatch_call(self, frame, arg):
        first = self.botframe is None
        result = super().dispatch_call(frame, arg)
        if first and self.start_running:
            self.set_continue()
        return result

    def user_line(self, frame):
        self.clear_cursor()
        self._stopped_at = (frame, self.statement_line(frame))
        self.on_line(frame)

    def do_clear(self, arg):
        # bdb calls this to delete a temporary breakpoint once hit
        self.clear_bpbynumber(arg)

    # --- commands (worker thread, while stopped) ---
    def set_continue(self):
        """Run to the next breakpoint. With none, stop tracing altogether, as bdb does (a
        trace call per Python call would slow engine-heavy scripts several times); unlike bdb,
        frames keep their local trace, so ``resume()`` can bring breakpoints back mid-run."""
        self._set_stopinfo(self.botframe, None, -1)
        if not self.breaks and not self._attention:
            self.fast = True
            sys.settrace(None)

    def resume(self) -> None:
        """Trace again after a Continue without breakpoints (breakpoints were added): called on
        the worker thread from an engine callback, as no trace event arrives any more."""
        self.fast = False
        sys.settrace(self.global_trace)
        self.trace_frames(sys._getframe(1))

    def set_return(self, frame):
        """Step out: stop at the next line of the nearest *script* frame that called ``frame``
        (bdb would stop in the direct caller, which may be an untraced engine frame)."""
        caller = user_caller(frame, self.filename)
        if caller is None:
            self.set_continue()
        else:
            self._set_stopinfo(caller, None)

    def run_code(self, code, globals_: dict) -> None:
        self.reset()
        sys.settrace(self.global_trace)
        try:
            exec(code, globals_)
        finally:
            self.quitting = True
            self._stopped_at = None  # holds a frame: let its locals go with the run
            sys.settrace(None)
            self.clear_all_breaks()

    def trace_frames(self, frame) -> None:
        """Give every script frame on the stack a local trace function, so stepping out into a
        frame entered while running freely still stops there."""
        while frame is not None:
            if frame.f_code.co_filename == self.filename and frame.f_trace is None:
                frame.f_trace = self.trace_dispatch
            frame = frame.f_back


def user_caller(frame, filename: str):
    caller = frame.f_back
    while caller is not None and caller.f_code.co_filename != filename:
        caller = caller.f_back
    return caller


def innermost_user_frame(filename: str, frame=None):
    """The innermost frame running the script's code (from the calling thread's stack)."""
    frame = frame or sys._getframe(1)
    while frame is not None and frame.f_code.co_filename != filename:
        frame = frame.f_back
    return frame
