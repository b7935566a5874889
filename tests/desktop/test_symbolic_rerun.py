"""The app's independent check: the run's compiled script executed again with the targets
moved, bounded in time, cancellable, leaving the engine's process-wide state as it found it."""

import engine
from desktop.runner import compile_script
from desktop.symbolic_rerun import with_independent_checks
from engine import observe
from engine.script_namespace import new_namespace
from symbolic import CallTraceRecorder, CancelToken, check_all

SCRIPT = """\
import torch
w = torch.randn(3, requires_grad=True)
x = torch.randn(4, 3)
loss = torch.tanh(x @ w).pow(2).mean()
loss.backward()
"""


def _run(source=SCRIPT):
    code = compile_script(source)
    rec = CallTraceRecorder()
    with observe.observing(rec):
        exec(code, new_namespace(print=lambda *a, **k: None))
    return code, rec.calls, check_all(rec.calls)


def test_a_correct_recording_agrees_with_the_re_run_script():
    code, calls, reports = _run()
    (r,) = with_independent_checks(reports, calls, code)
    assert r.independent.status == "agree" and r.independent.checked, r.independent
    assert abs(r.independent.finite - r.independent.engine) <= 1e-3 * abs(r.independent.engine)


def test_a_script_too_slow_for_the_time_left_is_not_re_run():
    code, calls, reports = _run()
    (r,) = with_independent_checks(reports, calls, code, seconds=2.0, run_seconds=1.0)
    assert r.independent.status == "unavailable" and "time limit" in r.independent.text
    assert not r.independent.checked


def test_a_cancelled_check_does_not_re_run_the_script():
    code, calls, reports = _run()
    token = CancelToken()
    token.cancel()
    (r,) = with_independent_checks(reports, calls, code, cancel=token)
    assert r.independent.status == "unavailable" and "cancelled" in r.independent.text


def test_unknown_code_is_said_and_the_engine_state_is_kept():
    code, calls, reports = _run()
    (r,) = with_independent_checks(reports, calls, None)
    assert "code is not known" in r.independent.text
    engine.manual_seed(7)
    engine.set_default_dtype(engine.float64)
    try:
        state = engine.get_rng_state()
        with_independent_checks(reports, calls, code)  # re-runs reseed and reset the dtype
        assert engine.get_default_dtype() == engine.float64
        assert (engine.get_rng_state() == state).all()
    finally:
        engine.set_default_dtype(engine.float32)
