"""The app's independent check of a symbolic report: the run's code executed again in a fresh
namespace (the engine reset as for any run, prints dropped), up to the checked ``backward()``,
with the targets moved along a random direction (``symbolic.rerun``). A finite difference that
does not trust the recorded graph: an op the engine records wrongly is caught, as in
``stepgrad check``.

Runs on the check's worker thread: the engine's events of that thread go to the probe
(``engine.observe.routed``), and ``sys.settrace`` traces that thread only. Cancel stops it
at the next traced line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import time

RERUN_SECONDS = 10.0  # all re-runs of one check
AUTO_RERUN_SECONDS = 2.0  # for a check the app started by itself
# held while a re-run executes: the engine's generator and default dtype are process-wide, so a
# new run waits (after cancelling the check) until the re-run has stopped
_BUSY = threading.Lock()


def wait_idle() -> None:
    """Return once no re-run is executing (short waits: a Stop still reaches the caller)."""
    while not _BUSY.acquire(timeout=0.05):
        pass
    _BUSY.release()


@contextlib.contextmanager
def _engine_state_kept():
    """The engine's generator and default dtype as they were, after the re-runs (watches
    evaluate in the finished run's state)."""
    import engine

    rng, dtype = engine.get_rng_state(), engine.get_default_dtype()
    try:
        yield
    finally:
        engine.set_rng_state(rng)
        engine.set_default_dtype(dtype)


def _execute(code):
    from engine.observe import routed
    from engine.script_namespace import new_namespace, no_input

    def execute(probe, tracer):
        namespace = new_namespace(print=lambda *a, **k: None, input=no_input)
        old = sys.gettrace()
        with routed(probe):  # this thread's engine events go to the probe only
            sys.settrace(tracer)
            try:
                exec(code, namespace)  # the user's own script, as the run executed it
            except Exception:  # noqa: BLE001 - the re-run stops where the script fails: the
                pass  # probe then says the call was not reached
            finally:
                sys.settrace(old)

    return execute


def with_independent_checks(reports, calls, code, seconds: float = RERUN_SECONDS,
                            cancel=None, run_seconds: float = 0.0) -> list:
    """``reports`` (one per recorded call in ``calls``) with ``independent`` filled in from
    re-running ``code`` (the run's compiled script), within ``seconds`` overall. A script
    whose run took ``run_seconds`` is not started when five runs of it (the fewest a check
    needs) would not fit in the time left."""
    from symbolic.report import IndependentCheck

    if code is None:
        why = IndependentCheck("unavailable", "the script was not re-run: its code is not known")
        return [dataclasses.replace(r, independent=why) for r in reports]
    with _BUSY, _engine_state_kept():
        return _rerun_all(reports, calls, _execute(code), code.co_filename, seconds, cancel,
                          run_seconds)


def _rerun_all(reports, calls, execute, path, seconds, cancel, run_seconds) -> list:
    from symbolic.report import IndependentCheck
    from symbolic.rerun import independent_check

    left = seconds
    out = []
    for report, call in zip(reports, calls, strict=True):
        if call.error is not None or report.error is not None:
            out.append(report)
            continue
        if cancel is not None and cancel.cancelled:
            ind = IndependentCheck("unavailable", "the script was not re-run: cancelled")
        elif left <= max(0.2, 5 * run_seconds):
            ind = IndependentCheck("unavailable", "the script was not re-run: time limit "
                                   f"({seconds:g} s for its re-runs)")
        else:
            t0 = time.monotonic()
            ind = independent_check(call, execute, path, left,
                                    cancelled=(lambda: cancel.cancelled) if cancel else None)
            left -= time.monotonic() - t0
        out.append(dataclasses.replace(report, independent=ind))
    return out
