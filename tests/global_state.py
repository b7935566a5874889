"""The process-wide state a test may change and must give back: grad and inference mode, the
default dtype, print options (the engine's, numpy's, PyTorch's), numpy's error handling, the
engine's observers and saved-tensor hooks, the collector's settings and the GC policy, the op
table, the loaded engine/symbolic/desktop modules, the working directory and the oracle
PyTorch's modes.

``snapshot()`` before a test and ``leaks(before)`` after it: what differs is restored and named.
Both run around every test, so each read is a few microseconds (the op table is watched rather
than copied; the module list is rebuilt only when ``sys.modules`` changed size)."""

from __future__ import annotations

import gc
import os
import sys

import numpy as np

import engine
from engine import dispatch, grad_mode, inference, observe, printing, tensor_data, warn_once
from engine.autograd import graph
from engine.ops import OPS, table

_OWN = ("engine", "symbolic", "desktop")


def _differs(was, now):
    return was != now


# ---- reading and restoring each state ----------------------------------------------------------

def _set_attrs(obj, **values):
    for name, value in values.items():
        setattr(obj, name, value)


def _observers():
    hub = observe._hub
    return hub.everywhere, hub.routes, hub.ends


def _restore_observers(state):
    with observe._lock:
        observe._hub.everywhere, observe._hub.routes, observe._hub.ends = state
        observe._install()


def _inference():
    # inference_mode also swaps Tensor construction while any of its contexts is open
    return (grad_mode.mode.inference, inference._active, engine.Tensor.__init__,
            tensor_data._alloc)


def _restore_inference(state):
    grad_mode.mode.inference, inference._active, engine.Tensor.__init__, \
        tensor_data._alloc = state


def _saved_hooks():
    return graph._hook_stack.stack, graph._active, dispatch._pack_saved


def _restore_saved_hooks(state):
    graph._hook_stack.stack, graph._active, dispatch._pack_saved = state


def _ours(callback):
    # hypothesis installs a timing callback of its own once per process
    return not getattr(callback, "__module__", "").startswith("hypothesis")


def _automatic_expected():
    """Automatic collection is on, unless the app's GUI-thread collector (installed once per
    process, with the first main window) switched it off for good."""
    gui_gc = sys.modules.get("desktop.ui.gui_gc")
    return not (gui_gc is not None and gui_gc._installed)


def _collector():
    return (gc.isenabled() == _automatic_expected(), gc.get_threshold(),
            tuple(c for c in gc.callbacks if _ours(c)))


def _restore_collector(state):
    _, threshold, callbacks = state
    (gc.enable if _automatic_expected() else gc.disable)()
    gc.set_threshold(*threshold)
    gc.callbacks[:] = [*callbacks, *(c for c in gc.callbacks if not _ours(c))]


_names = [-1, ()]  # sys.modules' size when the own modules' names were listed, and the names


def _modules():
    mods = sys.modules
    if len(mods) != _names[0]:
        # list() copies the keys without running Python code, so a thread importing meanwhile
        # (the app's start-up warm-up) cannot change the dict under the loop
        names = list(mods)
        _names[:] = [len(names), tuple(k for k in names if k.partition(".")[0] in _OWN)]
    return {k: mods.get(k) for k in _names[1]}


def _modules_changed(was, now):
    """A module loaded before the test is gone or replaced (loading more is no leak)."""
    mods = sys.modules
    return any(mods.get(k) is not m for k, m in was.items())


def _restore_modules(state):
    sys.modules.update(state)


_row_changes: list = []  # (key, new row or None, old row or None) since the last snapshot


def _on_row(key, new, old):
    # a new row from an engine module is a lazily loaded family (engine.nn's fused losses)
    if old is not None or new is None or \
            not (getattr(new.vjp, "__module__", None) or "").startswith("engine."):
        _row_changes.append((key, new, old))


def _rows():
    return len(_row_changes)


def _net_row_changes(count):
    """key -> the row before the test, for the rows not as they were before it."""
    first = {}
    for key, _, old in _row_changes[count:]:
        first.setdefault(key, old)
    return {k: old for k, old in first.items() if OPS.get(k) is not old}


def _rows_changed(count, _now):
    if _net_row_changes(count):
        return True
    del _row_changes[count:]  # registered and removed again: forget it
    return False


def _restore_rows(count):
    for key, old in _net_row_changes(count).items():
        if old is None:
            OPS.pop(key, None)
        else:
            OPS[key] = old  # the row itself; names bound from it are not rebound
    del _row_changes[count:]


def _torch_state():
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "_tensor_str"):
        return None
    return (torch.is_grad_enabled(), torch.get_default_dtype(), torch.is_anomaly_enabled(),
            torch.is_anomaly_check_nan_enabled(), torch.are_deterministic_algorithms_enabled(),
            dict(vars(torch._tensor_str.PRINT_OPTS)))


def _torch_changed(was, now):
    return was is not None and was != now  # (None: PyTorch was not imported yet)


def _restore_torch(state):
    torch = sys.modules["torch"]
    grad, dtype, anomaly, check_nan, deterministic, printopts = state
    torch.set_grad_enabled(grad)
    torch.set_default_dtype(dtype)
    torch.set_anomaly_enabled(anomaly, check_nan)
    torch.use_deterministic_algorithms(deterministic)
    torch.set_printoptions(**printopts)


# name -> (read, restore, changed)
STATE = {
    "grad mode (no_grad / enable_grad / set_grad_enabled)": (
        lambda: grad_mode.mode.enabled, lambda v: _set_attrs(grad_mode.mode, enabled=v),
        _differs),
    "inference mode (inference_mode)": (_inference, _restore_inference, _differs),
    "default dtype (set_default_dtype)": (
        engine.get_default_dtype, engine.set_default_dtype, _differs),
    "engine print options (set_printoptions)": (
        lambda: dict(vars(printing.PRINT_OPTS)), lambda v: _set_attrs(printing.PRINT_OPTS, **v),
        _differs),
    "warn-always (set_warn_always)": (
        warn_once.is_warn_always_enabled, warn_once.set_warn_always, _differs),
    "numpy error state (np.seterr)": (np.geterr, lambda v: np.seterr(**v), _differs),
    "numpy print options (np.set_printoptions)": (
        np.get_printoptions, lambda v: np.set_printoptions(**v), _differs),
    "observers (engine.observe)": (_observers, _restore_observers, _differs),
    "saved-tensor hooks (saved_tensors_hooks)": (_saved_hooks, _restore_saved_hooks, _differs),
    "collector settings and GC policy (automatic as expected, thresholds, callbacks)": (
        _collector, _restore_collector, _differs),
    "op table rows removed, replaced or added (engine.ops.OPS)": (
        _rows, _restore_rows, _rows_changed),
    "loaded engine/symbolic/desktop modules (sys.modules)": (
        _modules, _restore_modules, _modules_changed),
    "working directory": (os.getcwd, os.chdir, _differs),
    "PyTorch's grad mode, default dtype, anomaly mode, print options (the oracle)": (
        _torch_state, _restore_torch, _torch_changed),
}

table.watch(_on_row)
_row_changes.clear()  # (watch calls back at once for every row registered before)


def snapshot() -> dict:
    return {name: read() for name, (read, _, _) in STATE.items()}


def leaks(before: dict) -> list[str]:
    """What differs from ``before``, each restored; one line per leaked state."""
    found = []
    for name, (read, restore, changed) in STATE.items():
        was = before[name]
        now = read()
        if changed(was, now):
            if isinstance(was, dict) and isinstance(now, dict):
                keys = sorted(k for k in {*was, *now} if was.get(k) is not now.get(k))
                was = {k: was.get(k) for k in keys}
                now = {k: now.get(k) for k in keys}
            elif name.startswith("op table"):
                was, now = (_net_row_changes(was),
                            {k: OPS.get(k) for k in _net_row_changes(was)})
            restore(before[name])
            found.append(f"{name}: {_short(was)} -> {_short(now)}")
    return found


def _short(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
