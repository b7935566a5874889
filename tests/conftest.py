import os
import threading

# Qt aborts the whole run without a display unless a platform is set; must precede QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from global_state import leaks, snapshot

try:
    from hypothesis import settings

    # derandomized: every run draws the same examples, so a red run is reproducible and a
    # green one means the same next time (STEPGRAD_FUZZ-style exploration is opt-in per test)
    settings.register_profile("stepgrad", deadline=None, max_examples=40, derandomize=True,
                              database=None)
    settings.load_profile("stepgrad")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(autouse=True)
def _no_leaked_global_state():
    """A test gives back the process-wide state it changed (``global_state.STATE``: grad mode,
    default dtype, print options, observers, hooks, the collector...), else the tests after it
    see it and pass or fail by their order. A leak is restored and fails the test that left it,
    naming the state. (Set up first, torn down last: after the test's own fixtures undid their
    changes.)"""
    before = snapshot()
    yield
    leaked = leaks(before)
    assert not leaked, "the test left global state changed (restored now):\n" + "\n".join(leaked)


@pytest.fixture(autouse=True)
def _seeded():
    np.random.seed(0)  # noqa: NPY002 -- code under test may use the legacy global RNG
    import engine

    # pytest resets the warning filters per test: restore the engine's own (numpy's
    # divide-by-zero and invalid-value warnings from engine code stay silent, as PyTorch is)
    from engine.warn_once import quiet_numpy_warnings

    quiet_numpy_warnings()

    engine.manual_seed(0)
    engine.set_default_dtype(engine.float32)
    yield


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    """A test must not leave a non-daemon thread running: it would keep the interpreter (and
    CI) from exiting and leak into the tests after it. Threads ending anyway get 2 s."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate()
            if t not in before and not t.daemon and t.is_alive()]
    for t in left:
        t.join(2.0)
    running = [t.name for t in left if t.is_alive()]
    assert not running, f"the test left non-daemon threads running: {running}"
