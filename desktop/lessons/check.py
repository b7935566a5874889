"""Run a lesson's code on the engine and verify the results it promises (no Qt).

    report = check_lesson(get("leaf-nodes"))
    report.ok, [o.message for o in report.failures]

The code runs through ``desktop.runner`` (the app's own runner: ``import torch`` maps to the
engine, output is captured, a time limit applies); without it, a plain ``exec`` with the same
import mapping is used.
"""

from __future__ import annotations

import contextlib
import io
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from desktop.lessons.lesson import Expect, Expectation, ExpectError, ExpectOutput, Lesson
from engine.script_namespace import new_namespace

SCRIPT = "<lesson>"


@dataclass(frozen=True)
class Outcome:
    expectation: Expectation
    ok: bool
    actual: str  # what was found, as text
    message: str  # one line for a human


@dataclass(frozen=True)
class ScriptOutcome:
    status: str  # "finished" | "error" | "stopped"
    output: str
    error_kind: str | None
    error_message: str | None
    error_line: int | None
    namespace: dict


@dataclass(frozen=True)
class Report:
    lesson_id: str
    run: ScriptOutcome
    outcomes: tuple[Outcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    def summary(self) -> str:
        lines = [f"{'ok' if o.ok else 'FAIL'}  {o.message}" for o in self.outcomes]
        return "\n".join(lines)


# --- running ---------------------------------------------------------------------------------

def run_code(code: str, timeout: float = 60.0, backend: str = "engine") -> ScriptOutcome:
    """Run ``code`` once and keep its final namespace. ``backend="torch"`` runs it on real
    PyTorch in this thread (tests use that to confirm a lesson's promises hold there too)."""
    if backend == "torch":
        return _run_plain(code, map_torch=False)
    try:
        from desktop.runner import ScriptRun
    except ImportError:
        return _run_plain(code)
    run = ScriptRun(code, filename=SCRIPT, record=False, max_seconds=timeout)
    result = run.start().wait()
    err = result.error
    return ScriptOutcome(result.status, result.output, err and err.kind, err and err.message,
                         err and err.line, run.namespace)


def _run_plain(code: str, map_torch: bool = True) -> ScriptOutcome:
    ns = new_namespace(map_torch=map_torch)
    out = io.StringIO()
    kind = message = line = None
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, SCRIPT, "exec"), ns)
        except Exception as exc:
            kind, message = type(exc).__name__, str(exc)
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == SCRIPT]
            line = frames[-1].lineno if frames else getattr(exc, "lineno", None)
    return ScriptOutcome("error" if kind else "finished", out.getvalue(), kind, message, line, ns)


# --- comparing -------------------------------------------------------------------------------

def _as_array(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy(), dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def compare(actual, expected, tol: float = 1e-4) -> bool:
    """The equality an ``Expect`` promises (see ``Expect``)."""
    if expected is None:
        return actual is None
    if isinstance(expected, bool):
        return isinstance(actual, bool | np.bool_) and bool(actual) == expected
    if isinstance(expected, str):
        return (actual if isinstance(actual, str) else str(actual)) == expected
    if actual is None or isinstance(actual, str | bool | np.bool_):
        return False
    try:
        got, want = _as_array(actual), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=tol, atol=tol))


def _check_expect(e: Expect, ns: dict) -> Outcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns when reading a non-leaf's .grad
            actual = eval(e.expr, ns)
    except Exception as exc:
        return Outcome(e, False, f"{type(exc).__name__}: {exc}",
                       f"{e.expr}: could not evaluate ({type(exc).__name__}: {exc})")
    ok = compare(actual, e.value, e.tol)
    text = _short(actual)
    verdict = "is" if ok else "should be"
    return Outcome(e, ok, text, f"{e.expr} {verdict} {e.value!r}" + ("" if ok else f", got {text}"))


def _check_error(e: ExpectError, run: ScriptOutcome, code: str) -> Outcome:
    line = e.resolve_line(code)
    got = f"{run.error_kind}: {run.error_message} (line {run.error_line})"
    if run.error_kind is None:
        return Outcome(e, False, "no error", f"expected {e.kind} at line {line}, the code ran")
    ok = run.error_kind == e.kind and e.message in (run.error_message or "") and (
        line is None or run.error_line == line)
    where = f" at line {line}" if line is not None else ""
    return Outcome(e, ok, got, f"{e.kind} ({e.message!r}){where}" + ("" if ok else f"; got {got}"))


def check_code(code: str, expected, lesson_id: str = "", timeout: float = 60.0,
               backend: str = "engine") -> Report:
    """Run ``code`` and check each expectation; an error nobody expected is a failure too."""
    lesson = Lesson(lesson_id or "<code>", "", code, "", (), tuple(expected))
    run = run_code(code, timeout, backend)
    outcomes = []
    if run.status == "stopped" or (run.error_kind and lesson.expected_error is None):
        outcomes.append(Outcome(ExpectOutput(""), False, str(run.error_message),
                                f"the code stopped: {run.error_kind}: {run.error_message} "
                                f"(line {run.error_line})"))
    for e in lesson.expected:
        if isinstance(e, Expect):
            outcomes.append(_check_expect(e, run.namespace))
        elif isinstance(e, ExpectOutput):
            ok = e.text in run.output
            outcomes.append(Outcome(e, ok, _short(run.output),
                                    f"prints {e.text!r}" + ("" if ok else " (it did not)")))
        else:
            outcomes.append(_check_error(e, run, code))
    return Report(lesson.id, run, tuple(outcomes))


def check_lesson(lesson: Lesson, timeout: float = 60.0, backend: str = "engine") -> Report:
    """``check_code`` on a lesson's code and expectations (``desktop.lessons.check_lesson``
    also takes a lesson id)."""
    return check_code(lesson.code, lesson.expected, lesson.id, timeout, backend)
