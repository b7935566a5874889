"""A finite-difference check that does not trust the recorded graph: the script is run again
(fresh namespace, the same random state) up to the checked ``backward()``, once as it is and
then with the targets perturbed along a random direction, and the change of ``L`` it computes is
compared with the engine's gradient in that direction.

The replay-based finite differences of ``finite.py`` evaluate the *recorded* graph: an op the
engine records wrongly (an output that silently drops its graph) is replayed as recorded and
agrees with the engine. Here only the user's own code runs, on the engine's forward ops: the
recording plays no part.

The perturbation is applied at the first traced line of the script where the target's variable
holds a leaf with the value it had at the checked call (for a training loop's second step: after
the optimiser moved it), i.e. before the forward that the call differentiates. Targets that no
variable holds (a tensor built inline), non-leaf ``inputs=``, and scripts that do not compute
the same value again (reading the clock, files, unseeded numpy) cannot be checked this way; the
result says so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from engine import observe

from .report import IndependentCheck

MAX_ELEMENTS = 20_000_000  # perturbing more than this would double a huge model's memory
# relative steps: large enough that the dtype's rounding of L stays far below the change
_STEPS = {np.dtype(np.float16): 3e-2, np.dtype(np.float32): 1e-2, np.dtype(np.float64): 1e-5}


class _Stop(BaseException):
    """Ends a re-run at the checked call (a BaseException: the script's ``except Exception``
    must not swallow it)."""


def _as_float64(t) -> np.ndarray:
    return np.array(t.detach().numpy(), dtype=np.float64, copy=True)


class _Probe(observe.Observer):
    """The engine observer of one re-run, plus its line tracer: perturbs the targets before
    the forward of call ``seq`` and reads ``L`` when that call starts."""

    def __init__(self, path: str, seq: int, targets, deltas, deadline: float,
                 cancelled: Callable[[], bool] | None = None):
        self.path, self.seq, self.deadline = path, seq, deadline
        self.cancelled = cancelled
        self.pending = {i: t for i, t in enumerate(targets) if deltas is not None}
        self.targets, self.deltas = targets, deltas
        self.applied: dict[int, np.ndarray] = {}
        self.count = 0
        self.value: float | None = None
        self.missing: list[str] = []
        self.timed_out = False

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        if self.count != self.seq:
            self.count += 1
            return
        self.missing = [self.targets[i].name for i in self.pending]
        total = 0.0
        for r, g in zip(roots, grads, strict=False):
            seed = _as_float64(g) if hasattr(g, "detach") else np.asarray(g, np.float64)
            total += float(np.sum(_as_float64(r) * seed))
        self.value = total
        raise _Stop

    # ---- tracing ----
    def trace(self, frame, event, arg):
        if frame.f_code.co_filename != self.path:
            return None
        return self._line

    def _line(self, frame, event, arg):
        if event == "line":
            if time.monotonic() > self.deadline or (self.cancelled is not None
                                                    and self.cancelled()):
                self.timed_out = True
                raise _Stop
            if self.pending:
                self._perturb(frame)
        return self._line

    def _perturb(self, frame):
        import engine

        for i, t in list(self.pending.items()):
            obj = _resolve(frame, t.path)
            if obj is None or not isinstance(obj, engine.Tensor) or obj.grad_fn is not None:
                continue
            value = self.base_values[i]
            if tuple(obj.shape) != value.shape or not np.array_equal(
                    _as_float64(obj), value, equal_nan=True):
                continue
            with engine.no_grad():
                obj.add_(engine.tensor(self.deltas[i], dtype=obj.dtype))
            self.applied[i] = _as_float64(obj) - value
            del self.pending[i]


def _resolve(frame, path):
    var, pname = path
    if var in frame.f_locals:
        obj = frame.f_locals[var]
    elif var in frame.f_globals:
        obj = frame.f_globals[var]
    else:
        return None
    if pname is None:
        return obj
    try:
        return dict(obj.named_parameters()).get(pname)
    except Exception:  # not a module any more
        return None


def recorded_output(call) -> float:
    """``L = Σ seed · root`` at the recorded values, in float64 (as the probe computes it)."""
    g = call.graph
    total = 0.0
    for r, seed in zip(call.roots, call.seeds, strict=False):
        v = g.leaves[r.index].value if r.kind == "leaf" else g.nodes[r.index].out_values[r.out_nr]
        total += float(np.sum(np.asarray(v, np.float64) * np.asarray(seed, np.float64)))
    return total


def independent_check(call, execute: Callable, path: str, seconds: float,
                      seed: int = 0, cancelled: Callable[[], bool] | None = None
                      ) -> IndependentCheck:
    """Compare the engine's grads of ``call`` with finite differences of the script re-run by
    ``execute(observer, tracer)`` (which runs the script quietly and returns when it ends or
    ``_Stop`` is raised), within ``seconds``; ``cancelled()`` True stops it (a GUI's Cancel)."""
    def unavailable(why):
        return IndependentCheck("unavailable", f"the script was not re-run: {why}")

    if call.error is not None:
        return unavailable("the call failed")
    if not call.targets:
        return unavailable("nothing to differentiate")
    for t in call.targets:
        if t.leaf is None:
            return unavailable(f"{t.name} is not a leaf (inputs=)")
        if t.path is None:
            return unavailable(f"{t.name} is not held by a variable of the script")
    n = sum(int(np.prod(t.shape, dtype=np.int64)) for t in call.targets)
    if n > MAX_ELEMENTS:
        return unavailable(f"{n} elements are too many to perturb")
    dtype = max((np.dtype(t.dtype) for t in call.targets), key=lambda d: d.itemsize)
    if dtype.kind != "f":
        return unavailable("the targets are not floating point")
    h = _STEPS.get(dtype, 1e-3)
    eps = float(np.finfo(dtype).eps)
    deadline = time.monotonic() + seconds
    g = call.graph
    base_values = [np.asarray(g.leaves[t.leaf].value, np.float64) for t in call.targets]
    rng = np.random.default_rng(seed + call.index)
    engine_grads = [np.asarray(call.engine.get(i, np.zeros(v.shape)), np.float64)
                    for i, v in enumerate(base_values)]
    # along the engine's grad (random magnitudes, random signs where it is 0), so its terms
    # don't cancel: a wrong element then moves the sum by its whole share
    direction = []
    for v, e in zip(base_values, engine_grads, strict=True):
        sign = np.where(e != 0, np.sign(e), rng.choice([-1.0, 1.0], v.shape))
        direction.append(sign * (0.5 + rng.random(v.shape)) * np.maximum(1.0, np.abs(v)))
    # a step of unit length overall: spread over 50,000 weights, each moves ~h/220, so a layer's
    # pre-activations move by about h and rarely cross a relu's kink
    norm = np.sqrt(sum(float(np.sum((d / np.maximum(1.0, np.abs(v))) ** 2))
                       for d, v in zip(direction, base_values, strict=True)))
    direction = [d / max(norm, 1e-300) for d in direction]

    def run(deltas):
        probe = _Probe(path, call.seq, call.targets, deltas, deadline, cancelled)
        probe.base_values = base_values
        try:
            execute(probe, probe.trace)
        except _Stop:
            pass
        return probe

    base = run(None)
    if base.timed_out:
        return unavailable("cancelled" if cancelled is not None and cancelled() else
                           "time limit")
    if base.value is None:
        return unavailable("the re-run did not reach this call")
    want = recorded_output(call)
    if not abs(base.value - want) <= 1e-6 * max(1.0, abs(want)):
        return unavailable(f"run again, it computes L = {base.value:.9g}, not {want:.9g} "
                           "(it does not repeat its computation)")
    names = ", ".join(t.name for t in call.targets)
    result = None
    for shrink in (1.0, 0.1, 0.01):  # a kink met along the way: try again, closer in
        result = _attempt(run, h * shrink, direction, base, base_values, engine_grads, eps,
                          names)
        if isinstance(result, str):
            return unavailable(result)
        if result.status != "inconclusive":
            return result
    return result


def _attempt(run, h, direction, base, base_values, engine_grads, eps, names):
    """One estimate at steps h and h/2: an IndependentCheck, or why it could not be made."""
    slopes, bends = [], []
    for step in (h, h / 2):
        sides = []
        for sign in (1.0, -1.0):
            probe = run([sign * step * d for d in direction])
            if probe.timed_out:
                return "time limit"  # or cancelled: either way, not compared
            if probe.value is None:
                return "the re-run did not reach this call"
            if probe.missing:
                return (f"{', '.join(probe.missing)} not found with its value in the "
                        "script's variables before the call")
            sides.append(probe)
        plus, minus = sides
        moved = [plus.applied[i] - minus.applied[i] for i in range(len(base_values))]
        fd = (plus.value - minus.value) / (2 * step)
        predicted = sum(float(np.sum(e * m)) for e, m in zip(engine_grads, moved, strict=True))
        scale = sum(float(np.sum(np.abs(e * m))) for e, m in zip(engine_grads, moved,
                                                                  strict=True)) / (2 * step)
        noise = 4 * eps * max(abs(plus.value), abs(minus.value), 1e-30) / (2 * step)
        slopes.append((fd, predicted / (2 * step), scale, noise))
        bends.append((plus.value - 2 * base.value + minus.value) / step)
    (fd1, e1, scale, noise1), (fd2, e2, _, noise2) = slopes
    spread = abs(fd1 - fd2)  # the estimate's own error bar (a kink nearby moves it)
    # on a kink (relu at 0) the central difference is the mean of the one-sided slopes at any
    # step; the second difference then stays at the jump in slope as the step shrinks, where on
    # a smooth L it shrinks with the step
    kink = abs(bends[1]) > max(1e-5 * scale, 10 * noise2) and abs(bends[1]) > 0.3 * abs(bends[0])
    tol = 1e-3 * scale + 1e-12
    err = min(abs(fd1 - e1) - noise1, abs(fd2 - e2) - noise2)
    what = (f"script re-run with {names} moved along a random direction: L changes at "
            f"{fd2:.6g}, the engine's grads say {e2:.6g}")
    if err <= tol + 2 * spread:
        return IndependentCheck("agree", what, fd2, e2)
    if kink:
        return IndependentCheck("inconclusive", what + " (the point is on a kink, where a "
                                "central difference is the mean of the one-sided slopes)",
                                fd2, e2)
    if spread <= 0.1 * err:
        return IndependentCheck("disagree", what, fd2, e2)
    return IndependentCheck("inconclusive", what + " (the estimate moves with the step: a kink "
                            "nearby)", fd2, e2)


def quiet(fn):
    """Run ``fn()`` with stdout/stderr discarded and tracing restored afterwards."""
    import contextlib
    import io

    old_trace = sys.gettrace()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return fn()
    finally:
        sys.settrace(old_trace)
