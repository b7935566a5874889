"""Elementwise ops beyond the core table: ``F.hardtanh``, the ``sinh``/``cosh`` twins of the
VJP namespaces (the rows are in ``engine.ops.elementwise``), and the differentiable backward
nodes of ``relu`` and ``elu`` (``ThresholdBackwardBackward0``, ``EluBackwardBackward0``) that
``create_graph=True`` records, so their grads can be differentiated again as PyTorch's can;
likewise leaky_relu's and hardtanh's (``LeakyReluBackwardBackward0``,
``HardtanhBackwardBackward0``)."""

from __future__ import annotations

import numpy as np

from .grad_mode import mode as _mode
from .ns import NP, T
from .ops import OPS, _sign, register
from .tensor import Tensor, _result, _unary, _wrap, record


def _hardtanh_vjp(m, g, out, s, a, need):
    return (m.hardtanh_grad(g, s[0], a),)  # 0 at the bounds, as PyTorch


register("hardtanh", "HardtanhBackward0", None, _hardtanh_vjp, save_inputs=True,
         doc="min(max(a, lo), hi)")


# ---- relu's and elu's backward as recorded ops (create_graph=True) ------------------------------
def _threshold_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    return (m.where(y > 0, gg, 0.0) if need[0] else None,
            m.zeros_like(gg) if need[1] else None)  # piecewise constant in the relu output


register("threshold_backward", "ThresholdBackwardBackward0", None, _threshold_backward_vjp,
         save_inputs=True, doc="g * (y > 0)")


def _masked_backward_vjp(mask_of):
    """VJP of a recorded backward ``where(mask(x), g * k_in, g * k_out)``: linear in g, flat
    in x."""

    def vjp(m, gg, out, s, a, need):
        g, x = s
        k_in, k_out = _slopes(a)
        return (m.where(mask_of(x, a), gg * k_in, gg * k_out) if need[0] else None,
                m.zeros_like(gg) if need[1] else None)

    return vjp


def _slopes(a):
    return (1.0, a) if not isinstance(a, tuple) else (1.0, 0.0)


def _leaky_mask(x, a):
    return x > 0


def _hardtanh_mask(x, a):
    return (x > a[0]) * (x < a[1])


register("leaky_relu_backward", "LeakyReluBackwardBackward0", None,
         _masked_backward_vjp(_leaky_mask), save_inputs=True, doc="x > 0 ? g : g * slope")
register("hardtanh_backward", "HardtanhBackwardBackward0", None,
         _masked_backward_vjp(_hardtanh_mask), save_inputs=True, doc="lo < x < hi ? g : 0")


def _masked_np(mask_of):
    def grad(g, x, a):
        k_in, k_out = _slopes(a)
        mask = mask_of(x, a)
        return np.where(mask, g, g * k_out if k_out else 0.0).astype(g.dtype, copy=False)

    return grad


def _elu_grad_np(g, x, alpha):
    pos = x > 0
    return np.where(pos, g, g * alpha * np.exp(np.where(pos, 0.0, x)).astype(g.dtype, copy=False))


def _elu_backward_vjp(m, gg, out, s, a, need):
    g, x = s
    neg = m.exp(m.where(x > 0, 0.0, x)) * a  # alpha * exp(x) on the x <= 0 side

    def d_x():
        # PyTorch's second derivative: alpha * exp(x) * g strictly left of 0, 0 from 0 on
        return m.where(x < 0, gg * g * neg, 0.0)

    return (m.where(x > 0, gg, gg * neg) if need[0] else None, d_x() if need[1] else None)


register("elu_backward", "EluBackwardBackward0", None, _elu_backward_vjp, save_inputs=True,
         doc="x > 0 ? g : g * alpha * exp(x)")


def _recorded(key, arr, g, x, attrs=None):
    t = _wrap(np.asarray(arr))
    if _mode.enabled and (g._rg or x._rg):
        record(OPS[key], t, (g, x), attrs)
    return t


NP.dtype_kind = staticmethod(lambda x: np.asarray(x).dtype.kind)
T.dtype_kind = staticmethod(lambda x: x._data.dtype.kind if isinstance(x, Tensor) else
                            np.asarray(x).dtype.kind)
NP.zeros_like = staticmethod(np.zeros_like)
T.zeros_like = staticmethod(lambda g: _wrap(np.zeros_like(g._data)))
_SAME_WIDTH_INT = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32,
                   np.dtype(np.float64): np.int64}


def _relu_grad_np(g, y):
    """PyTorch's threshold_backward: 0 where ``y <= 0``, else ``g`` (a nan output passes its grad
    on). For float arrays of one shape, the grad's bits ANDed with an all-ones or all-zeros mask
    per element: exact, and a third of ``np.where``'s time."""
    it = _SAME_WIDTH_INT.get(g.dtype)
    if it is None or type(g) is not np.ndarray or type(y) is not np.ndarray or g.shape != y.shape:
        return np.where(y <= 0, 0.0, g).astype(g.dtype, copy=False)
    mask = np.less_equal(y, 0).astype(it)
    mask -= 1  # 0 where the grad is zeroed, -1 (all bits set) where it passes
    np.bitwise_and(g.view(it), mask, out=mask)
    return mask.view(g.dtype)


NP.relu_grad = staticmethod(_relu_grad_np)
T.relu_grad = staticmethod(lambda g, y: _recorded(
    "threshold_backward", NP.relu_grad(g._data, y._data), g, y))
NP.sign = staticmethod(_sign)  # sign(nan) is 0, as PyTorch's sgn in abs's backward
NP.leaky_grad = staticmethod(_masked_np(_leaky_mask))
T.leaky_grad = staticmethod(lambda g, x, a: _recorded(
    "leaky_relu_backward", _masked_np(_leaky_mask)(g._data, x._data, a), g, x, a))
NP.hardtanh_grad = staticmethod(_masked_np(_hardtanh_mask))
T.hardtanh_grad = staticmethod(lambda g, x, a: _recorded(
    "hardtanh_backward", _masked_np(_hardtanh_mask)(g._data, x._data, a), g, x, a))
NP.elu_grad = staticmethod(_elu_grad_np)
T.elu_grad = staticmethod(lambda g, x, alpha: _recorded(
    "elu_backward", _elu_grad_np(g._data, x._data, alpha), g, x, alpha))
NP.cosh = staticmethod(np.cosh)
T.cosh = staticmethod(lambda x: _unary("cosh", x))
NP.sinh = staticmethod(np.sinh)
T.sinh = staticmethod(lambda x: _unary("sinh", x))


def _prod_others(x, dims):
    """For each element, the product of the others along ``dims``, as recorded ops (so prod's
    grad at a zero stays differentiable): the reduced dims flattened to one of size n, each
    element's row copied n times with its own place set to 1, multiplied out."""
    from .functions import where

    nd = x._data.ndim
    axes = tuple(range(nd)) if dims is None else tuple(d % max(nd, 1) for d in dims)
    n = int(np.prod([x._data.shape[d] for d in axes])) if nd else 1
    if n == 1:  # no others: the empty product, a constant (as PyTorch's grad is)
        return _wrap(np.ones_like(x._data))
    rest = [d for d in range(nd) if d not in axes]
    moved = x.permute(*rest, *axes)
    kept = [x._data.shape[d] for d in rest]
    flat = moved.reshape(*kept, 1, n).expand(*kept, n, n)
    eye = _wrap(np.eye(n, dtype=bool))
    others = where(eye, _wrap(np.ones((), x._data.dtype)), flat).prod(-1)
    back = others.reshape(*kept, *[x._data.shape[d] for d in axes])
    order = rest + list(axes)
    return back.permute(*[order.index(d) for d in range(nd)])


T.prod_others = staticmethod(_prod_others)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``F.hardtanh``: ``clamp(x, min_val, max_val)`` with a zero grad at the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(lambda a: hardtanh(a, min_val, max_val))
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    out = np.clip(x, min_val, max_val).astype(x.dtype, copy=False)
    return _result(OPS["hardtanh"], out, (input,), (min_val, max_val), input._rg)

