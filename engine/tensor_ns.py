"""``T``: the math namespace of the VJPs (their ``m``) on engine Tensors, the twin of
``engine.ns.NP``. A backward run with ``create_graph=True`` calls these, so each step is itself a
recorded op and the grads can be differentiated again. It sits above the forward families it
calls; the autograd engine picks ``T`` or ``NP`` per backward run."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype
from .dispatch import _result, _unary, call, record
from .functions import cat, matmul, stack, where
from .grad_mode import mode as _mode
from .ops import OPS
from .tensor_data import Tensor, _arr, _wrap


def _recorded(key, g, x, *params):
    """A backward formula, op row ``key``'s numpy forward of (g, x), recorded as that row."""
    op = OPS[key]
    out, attrs = op.fwd(g._data, x._data, *params)
    t = _wrap(out)
    if _mode.enabled and (g._rg or x._rg):
        record(op, t, (g, x), attrs)
    return t


def _div_scalar(g, c):
    """``g / c`` as a backward formula divides by a number: DivBackward1."""
    return call(OPS["div_scalar"], (g,), c)


def _mul_scalar(x, c):
    """``x * c`` as a backward formula multiplies by a number: MulBackward1."""
    return call(OPS["mul_scalar"], (x,), c)


def _pow_scalar_grad(g, x, e):
    """``g * (e * x ** (e - 1))``: PowBackward0, MulBackward1 and MulBackward0, as PyTorch
    records pow's backward."""
    return g * _mul_scalar(x ** (e - 1), e)


def _index_scatter(g, shape, idx):
    op = OPS["index_scatter"]
    out, attrs = op.fwd(g._data, shape, idx)
    return _result(op, out, (g,), attrs)


def _sum_to(g, shape):
    shape = tuple(shape)
    if tuple(g._data.shape) == shape:
        return g
    lead = g._data.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and g._data.shape[i + lead] != 1)
    r = g.sum(dims, keepdim=True) if dims else g
    return r.reshape(shape) if tuple(r._data.shape) != shape else r


def _where(c, a, b):
    c = _arr(c)
    ref = a if isinstance(a, Tensor) else b
    return where(_wrap(np.asarray(c)), a if isinstance(a, Tensor) else
                 _wrap(np.asarray(a, ref._data.dtype)),
                 b if isinstance(b, Tensor) else _wrap(np.asarray(b, ref._data.dtype)))


def _split(g, dim, sizes):
    out, start = [], 0
    for s in sizes:
        out.append(g[(slice(None),) * dim + (slice(start, start + s),)])
        start += s
    return out


def _index_fill_zero(g, idx):
    mask = np.ones(g._data.shape, dtype=g._data.dtype)
    mask[idx] = 0
    return g * _wrap(mask)


def _prod_others(x, dims):
    """For each element, the product of the others along ``dims``, as recorded ops (so prod's
    grad at a zero stays differentiable): the reduced dims flattened to one of size n, each
    element's row copied n times with its own place set to 1, multiplied out."""
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


def _join_grads(grads, dim, sizes, shape, dtype):
    parts = []
    for g, n in zip(grads, sizes):
        part_shape = (*shape[:dim], n, *shape[dim + 1:])
        parts.append(_wrap(np.zeros(part_shape, dtype)) if g is None else g)
    return cat(parts, dim)


def _stack_grads(grads, dim, shape, dtype):
    part_shape = shape[:dim] + shape[dim + 1:]
    return stack([_wrap(np.zeros(part_shape, dtype)) if g is None else g for g in grads], dim)



def _unsqueeze_each(g, dims):
    """``g`` with a new axis at each of ``dims`` (of the result's rank), one UnsqueezeBackward0
    per axis in increasing order, as PyTorch's sum and mean backward record them."""
    n = g._data.ndim + len(dims)
    for d in sorted(d % n for d in dims):
        g = g.unsqueeze(d)
    return g


def _squeeze_to(g, shape):
    """``g`` (``shape`` with size-1 axes added) squeezed axis by axis back to ``shape``: the
    backward of unsqueeze (SqueezeBackward1 per axis)."""
    gs = g._data.shape
    j = 0
    for i, size in enumerate(gs):
        if j < len(shape) and shape[j] == size:
            j += 1
        else:  # an axis added by the unsqueeze: squeezed at its place in what is left
            return _squeeze_to(g.squeeze(i), shape)
    return g


def _unsqueeze_to(g, shape):
    """``g`` with the size-1 axes of ``shape`` it lacks put back, one unsqueeze per axis in
    increasing order: the backward of squeeze (UnsqueezeBackward0 per axis)."""
    gs = g._data.shape
    j = 0
    for i, size in enumerate(shape):
        if j < len(gs) and gs[j] == size:
            j += 1
        else:
            g = g.unsqueeze(i)
            gs = g._data.shape
            j = i + 1
    return g

class T:
    """The functions of ``NP`` on engine Tensors, each a recorded op."""

    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    sin = staticmethod(lambda x: x.sin())
    cos = staticmethod(lambda x: x.cos())
    sign = staticmethod(lambda x: x.sign())
    tanh = staticmethod(lambda x: x.tanh())
    erf = staticmethod(lambda x: x.erf())
    sigmoid = staticmethod(lambda x: x.sigmoid())
    cosh = staticmethod(lambda x: _unary("cosh", x))
    sinh = staticmethod(lambda x: _unary("sinh", x))
    trunc = staticmethod(lambda x: _unary("trunc", x))
    matmul = staticmethod(matmul)
    mm_like = staticmethod(lambda a, b, like: matmul(a, b))
    scaled_mul = staticmethod(lambda g, x, k: g * k * x)
    pow_scalar_grad = staticmethod(_pow_scalar_grad)
    mul_scalar = staticmethod(_mul_scalar)
    where = staticmethod(_where)
    shape = staticmethod(lambda x: tuple(x._data.shape) if isinstance(x, Tensor) else np.shape(x))
    ndim = staticmethod(lambda x: x._data.ndim if isinstance(x, Tensor) else np.ndim(x))
    dtype_kind = staticmethod(lambda x: x._data.dtype.kind if isinstance(x, Tensor) else
                              np.asarray(x).dtype.kind)
    zeros_like = staticmethod(lambda g: _wrap(np.zeros_like(g._data)))
    sum_to = staticmethod(_sum_to)
    expand = staticmethod(lambda g, shape: g.expand(shape) if g._data.shape != tuple(shape)
                          else g)
    expand_div = staticmethod(lambda g, n, shape: _div_scalar(T.expand(g, shape), n))
    t2 = staticmethod(lambda g: g.t())
    minus_exp_times = staticmethod(lambda g, x, k: g - x.exp() * k)
    reshape = staticmethod(lambda g, shape: g if g._data.shape == tuple(shape)
                           else g.reshape(shape))
    unsqueeze_dims = staticmethod(lambda g, dims: _unsqueeze_each(g, dims))
    squeeze_to = staticmethod(lambda g, shape: _squeeze_to(g, tuple(shape)))
    unsqueeze_to = staticmethod(lambda g, shape: _unsqueeze_to(g, tuple(shape)))
    permute = staticmethod(lambda g, axes: g.permute(axes))
    swap_last = staticmethod(lambda g: g.transpose(-1, -2))
    sum = staticmethod(lambda g, dims, keepdim: g.sum(dims, keepdim))
    mean = staticmethod(lambda g, dims, keepdim: g.mean(dims, keepdim))
    count_true = staticmethod(lambda mask: builtins.int(np.count_nonzero(_arr(mask))))
    any_zero = staticmethod(lambda x: not np.all(x._data))
    prod_others = staticmethod(_prod_others)
    cast = staticmethod(lambda g, dtype: g.to(_dtype._BY_NP[np.dtype(dtype)]))
    getitem = staticmethod(lambda g, idx: g[idx])
    index_scatter = staticmethod(_index_scatter)
    index_fill_zero = staticmethod(_index_fill_zero)
    split = staticmethod(_split)
    select = staticmethod(lambda g, dim, i: g.select(dim, i))
    join_grads = staticmethod(_join_grads)
    stack_grads = staticmethod(_stack_grads)
    cumsum = staticmethod(lambda g, dim: g.cumsum(dim))
    flip = staticmethod(lambda g, dims: g.flip(dims))
    roll = staticmethod(lambda g, shifts, dims: g.roll(shifts, dims))
    relu_grad = staticmethod(lambda g, y: _recorded("threshold_backward", g, y))
    threshold_grad = staticmethod(lambda g, x, t: _recorded("threshold_backward", g, x, t))
    leaky_grad = staticmethod(lambda g, x, a: _recorded("leaky_relu_backward", g, x, a))
    hardtanh_grad = staticmethod(lambda g, x, a: _recorded("hardtanh_backward", g, x, a))
    elu_grad = staticmethod(lambda g, x, alpha: _recorded("elu_backward", g, x, alpha))
    tanh_grad = staticmethod(lambda g, y: _recorded("tanh_backward", g, y))
    sigmoid_grad = staticmethod(lambda g, y: _recorded("sigmoid_backward", g, y))
