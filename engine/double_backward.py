"""The backward of ``tanh`` and ``sigmoid`` as one recorded op each under ``create_graph=True``
(``TanhBackwardBackward0``, ``SigmoidBackwardBackward0``, as PyTorch records them) rather than
three generic nodes: a Hessian-vector product through them walks one node per activation, and
the graph reads as PyTorch's. The values are the plain backward's, computed by the same numpy
expression."""

from __future__ import annotations

import numpy as np

from .grad_mode import mode as _mode
from .ns import NP, T
from .ops import OPS, register
from .tensor import _wrap, record


# 1.0 as a 0-d float32 array: numpy converts a Python number to float32 for a float32 array
# (the same value) but takes ~250 ns longer to do it
_F32 = np.dtype(np.float32)
_ONE32 = np.array(1.0, _F32)
_ONE32.flags.writeable = False


def _tanh_grad(g, y):
    if y.dtype is _F32:
        return g * (_ONE32 - y * y)
    return g * (1.0 - y * y)


def _sigmoid_grad(g, y):
    if y.dtype is _F32:
        return g * y * (_ONE32 - y)
    return g * y * (1.0 - y)


def _tanh_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dg is tanh's own backward again; d/dy of g * (1 - y²) is -2 y g
    return (m.tanh_grad(gg, y) if need[0] else None,
            gg * (-2.0 * y * g) if need[1] else None)


def _sigmoid_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dy of g * y * (1 - y) is g * (1 - 2y)
    return (m.sigmoid_grad(gg, y) if need[0] else None,
            gg * g * (-2.0 * y + 1.0) if need[1] else None)


register("tanh_backward", "TanhBackwardBackward0", None, _tanh_backward_vjp, save_inputs=True,
         doc="g * (1 - y²), y = tanh(x)")
register("sigmoid_backward", "SigmoidBackwardBackward0", None, _sigmoid_backward_vjp,
         save_inputs=True, doc="g * y * (1 - y), y = sigmoid(x)")


def _recorded(key, arr, g, y):
    t = _wrap(arr if type(arr) is np.ndarray else np.asarray(arr))
    if _mode.enabled and (g._rg or y._rg):
        record(OPS[key], t, (g, y))
    return t


NP.tanh_grad = staticmethod(_tanh_grad)
NP.sigmoid_grad = staticmethod(_sigmoid_grad)
T.tanh_grad = staticmethod(
    lambda g, y: _recorded("tanh_backward", _tanh_grad(g._data, y._data), g, y))
T.sigmoid_grad = staticmethod(
    lambda g, y: _recorded("sigmoid_backward", _sigmoid_grad(g._data, y._data), g, y))
