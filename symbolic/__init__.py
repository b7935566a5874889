"""Three-way gradient check: the engine's grads beside sympy closed forms and float64 finite
differences. Imports go desktop -> symbolic -> engine; the engine never imports sympy.

Typical use (the GUI calls ``check`` from a worker thread with a ``CancelToken``)::

    rec = Recorder()
    with engine.observe.observing(rec):
        ...  # the user's code, including loss.backward()
    reports = check_all(rec.calls)      # one CheckReport per backward()/autograd.grad()
"""

from .check import Options, check, check_all, tolerance
from .limits import CancelToken
from .record import CallTrace, Recorder, Tee
from .report import CheckReport, CustomCheck, ElementCheck, MatrixForm, TargetReport
from .rules import RULES

__all__ = [
    "RULES", "CallTrace", "CancelToken", "CheckReport", "CustomCheck", "ElementCheck",
    "MatrixForm", "Options", "Recorder", "TargetReport", "Tee", "check", "check_all", "tolerance",
]
