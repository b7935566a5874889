"""Three-way gradient check: the engine's grads beside sympy closed forms and float64 finite
differences. Imports go desktop -> symbolic -> engine; the engine never imports sympy.

Typical use (the GUI calls ``check`` from a worker thread with a ``CancelToken``)::

    rec = CallTraceRecorder()
    with engine.observe.attached(rec):
        ...  # the user's code, including loss.backward()
    reports = check_all(rec.calls)      # one CheckReport per backward()/autograd.grad()
"""

import importlib

# Loaded on first use (PEP 562): `symbolic.limits` alone must not pull in sympy (0.5 s), since
# the app's start-up uses it for watch expressions.
_WHERE = {
    "Options": "checker", "check": "checker", "check_all": "checker", "tolerance": "checker",
    "CancelToken": "limits",
    "CallTrace": "record", "CallTraceRecorder": "record",
    "CheckReport": "report", "CustomCheck": "report", "ElementCheck": "report",
    "MatrixForm": "report", "TargetReport": "report",
    "RULES": "rules",
    "FirstLastRecorder": "window",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        hint = " (the check's recorder is CallTraceRecorder)" if name == "Recorder" else ""
        raise AttributeError(f"module 'symbolic' has no attribute {name!r}{hint}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
