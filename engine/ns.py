"""``NP``, the numpy math namespace the VJPs of the op rows are written against (their ``m``),
and the numpy kernels of the backward formulas it offers.

``NP`` works on numpy arrays (plain backward: fast, no graph). Its twin ``engine.tensor_ns.T``
offers the same functions on engine Tensors, so a backward run with ``create_graph=True``
records its own graph; it sits above the forward families it calls, this module below them all.
"""

from __future__ import annotations

import numpy as np

from .cascade_sum import full_sum
from .erf_numpy import erf_np


def sigmoid_np(x):
    # ATen's 1 / (1 + exp(-x)); exp overflowing to inf gives the right 0
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _sum_to_np(g, shape):
    gs = g.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gs[i + lead] != 1
    )
    if len(axes) == len(gs):  # every axis: PyTorch's rounding of a whole sum (cascade_sum)
        r = full_sum(g)
        if r is not None:
            return r.reshape(shape)
    r = np.add.reduce(g, axis=axes, keepdims=True) if axes else g
    return r.reshape(shape) if lead or r.shape != shape else r


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _unsqueeze_shape(shape, dims):
    out = list(shape)
    n = len(shape) + len(dims)
    for d in sorted(d % n for d in dims):
        out.insert(d, 1)
    return tuple(out)


def sign_np(x):
    out = np.sign(x)
    if x.dtype.kind == "f":  # PyTorch's sign(nan) is 0 (sgn in abs's backward)
        out = np.where(np.isnan(out), 0, out).astype(out.dtype, copy=False)
    return out


_SAME_WIDTH_INT = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32,
                   np.dtype(np.float64): np.int64}


# relu's forward takes the maximum against a cached zeros array of the input's dtype: numpy runs
# its SIMD loop for two contiguous operands, but a slower one against the scalar 0 (a 128x256
# float32 batch: 13.7 -> 5.5 us). Inputs larger than the cache go through it in chunks. The
# operands' order is the one that keeps -0.0, probed once per dtype at import.
_RELU_ZEROS: dict = {}
_RELU_CHUNK = 1 << 18


def _maximum_keeps_negative_zero(dt, zeros_first) -> bool:
    """Whether ``np.maximum`` of zeros and -0.0 gives -0.0 with the zeros as its first (or second)
    operand, in every loop numpy may run: its SIMD body, its tail and its one-element path."""
    for n in (*range(1, 40), 64, 67, 130, 1000):
        z, nz = np.zeros(n, dt), np.full(n, -0.0, dt)
        if not np.signbit(np.maximum(z, nz) if zeros_first else np.maximum(nz, z)).all():
            return False
    return True


def _relu_order(dt):
    """How ``relu_np`` gets PyTorch's -0.0 for -0.0 (relu is ``x < 0 ? 0 : x``) in dtype ``dt``:
    the operand order of ``np.maximum`` that keeps the tie's -0.0 in this numpy, or "where" (an
    exact but slower path) when neither does."""
    if _maximum_keeps_negative_zero(dt, True):
        return "zeros first"
    if _maximum_keeps_negative_zero(dt, False):
        return "x first"
    return "where"


_RELU_ORDER = {np.dtype(d): _relu_order(d) for d in (np.float16, np.float32, np.float64)}


def _relu_zeros(dt, n):
    """The cached ``(zeros, zeros first)`` for ``relu_np`` in dtype ``dt``, at least ``n`` long
    (up to the chunk size); zeros None where only the exact path keeps -0.0."""
    order = _RELU_ORDER.get(dt, "where")
    if order == "where":
        entry = (None, False)
    else:
        z = np.zeros(min(max(n, 4096), _RELU_CHUNK), dt)
        z.flags.writeable = False
        entry = (z, order == "zeros first")
    _RELU_ZEROS[dt] = entry
    return entry


def relu_np(x):
    """max(x, 0) for a float array as PyTorch computes it: nan stays nan and -0.0 stays -0.0, in
    ``x``'s dtype."""
    n = x.size
    entry = _RELU_ZEROS.get(x.dtype)
    if entry is None or entry[0] is not None and entry[0].size < min(n, _RELU_CHUNK):
        entry = _relu_zeros(x.dtype, n)
    z, first = entry
    if z is None or not x.ndim or not x.flags.c_contiguous:
        return np.where(x < 0, x.dtype.type(0), x)
    flat = x.reshape(-1)
    if n <= _RELU_CHUNK:
        return (np.maximum(z[:n], flat) if first else np.maximum(flat, z[:n])).reshape(x.shape)
    out = np.empty_like(flat)
    for i in range(0, n, _RELU_CHUNK):
        j = min(i + _RELU_CHUNK, n)
        a, b = (z[:j - i], flat[i:j]) if first else (flat[i:j], z[:j - i])
        np.maximum(a, b, out=out[i:j])
    return out.reshape(x.shape)


def reduce_rows(ufunc, x, axis, keepdims=True):
    """``ufunc.reduce(x, axis, keepdims)``. Over the short last axis of a C-ordered batch (128
    rows of 10 logits) numpy runs its inner loop once per row: there it reduces the first axis of
    the transposed copy instead, one vectorised pass per column (max: 6.8 -> 2.2 us, sum: 3.5 ->
    2.1 us, the copy included; a float32 or float64 sum then adds each row's elements in order)."""
    if (x.ndim == 2 and x.shape[1] <= 16 and x.shape[0] >= 32 and axis in _LAST_OF_2D
            and x.dtype.char in "fd" and x.flags.c_contiguous):
        r = ufunc.reduce(np.ascontiguousarray(x.T), axis=0)
        return r[:, None] if keepdims else r
    return ufunc.reduce(x, axis=axis, keepdims=keepdims)


_LAST_OF_2D = (1, -1, (1,), (-1,))


def relu_grad_np(g, y):
    """PyTorch's threshold_backward: 0 where ``y <= 0``, else ``g`` (a nan output passes its grad
    on). For float arrays of one shape and at least one dim, the grad's bits ANDed with an
    all-ones or all-zeros mask per element: exact, and a third of ``np.where``'s time (a 0-d
    comparison gives a numpy scalar, which cannot take the result in place)."""
    it = _SAME_WIDTH_INT.get(g.dtype)
    if (it is None or type(g) is not np.ndarray or type(y) is not np.ndarray
            or g.shape != y.shape or not g.ndim):
        return np.where(y <= 0, 0.0, g).astype(g.dtype, copy=False)
    mask = np.less_equal(y, 0).astype(it)
    mask -= 1  # 0 where the grad is zeroed, -1 (all bits set) where it passes
    np.bitwise_and(g.view(it), mask, out=mask)
    return mask.view(g.dtype)


def threshold_grad_np(g, x, threshold=None):
    """PyTorch's threshold_backward at any threshold: 0 where ``x <= threshold``, else ``g``
    (None: relu's threshold 0 on its output)."""
    if threshold is None:
        return relu_grad_np(g, x)
    return np.where(x <= threshold, 0.0, g).astype(g.dtype, copy=False)


def leaky_grad_np(g, x, slope):
    """leaky_relu's backward: g where x > 0, else g * slope."""
    return np.where(x > 0, g, g * slope if slope else 0.0).astype(g.dtype, copy=False)


def hardtanh_grad_np(g, x, bounds):
    """hardtanh's backward: g strictly between the bounds, else 0."""
    return np.where((x > bounds[0]) * (x < bounds[1]), g, 0.0).astype(g.dtype, copy=False)


def elu_grad_np(g, x, alpha):
    pos = x > 0
    return np.where(pos, g, g * alpha * np.exp(np.where(pos, 0.0, x)).astype(g.dtype, copy=False))


# 1.0 as a 0-d float32 array: numpy converts a Python number to float32 for a float32 array
# (the same value) but takes ~250 ns longer to do it
_F32 = np.dtype(np.float32)
_ONE32 = np.array(1.0, _F32)
_ONE32.flags.writeable = False


def scalar_power(x: np.ndarray, e):
    """``x ** e`` for a float array as ATen computes it: products for the exponents 2 and 3 and
    a reciprocal for -1 and -2 (also faster: np.power of a negative float32 base to 3 costs
    ~70x a product), sqrt for 0.5, the reciprocal of sqrt for -0.5, a copy for 1, the C
    library's pow otherwise (ATen's vectorised pow rounds some of those apart)."""
    if e == 2:
        return x * x
    if e == 3:
        return x * x * x
    if e == 0.5:
        return np.sqrt(x)
    if e == -1:
        return np.reciprocal(x)
    if e == -2:
        return np.reciprocal(x * x)
    if e == -0.5:
        return np.reciprocal(np.sqrt(x))
    if e == 1:
        return x.copy()
    return np.power(x, e)


def tanh_grad_np(g, y):
    """tanh's backward from its output y."""
    if y.dtype is _F32:
        return g * (_ONE32 - y * y)
    return g * (1.0 - y * y)


def sigmoid_grad_np(g, y):
    """sigmoid's backward from its output y."""
    if y.dtype is _F32:
        return g * y * (_ONE32 - y)
    return g * y * (1.0 - y)


def roll_np(x, shifts, dims):
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


class NP:
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sign = staticmethod(sign_np)
    matmul = staticmethod(np.matmul)
    tanh = staticmethod(np.tanh)
    erf = staticmethod(erf_np)
    sigmoid = staticmethod(sigmoid_np)
    cosh = staticmethod(np.cosh)
    sinh = staticmethod(np.sinh)
    trunc = staticmethod(np.trunc)
    zeros_like = staticmethod(np.zeros_like)
    relu_grad = staticmethod(relu_grad_np)
    threshold_grad = staticmethod(threshold_grad_np)
    leaky_grad = staticmethod(leaky_grad_np)
    hardtanh_grad = staticmethod(hardtanh_grad_np)
    elu_grad = staticmethod(elu_grad_np)
    tanh_grad = staticmethod(tanh_grad_np)
    sigmoid_grad = staticmethod(sigmoid_grad_np)
    roll = staticmethod(roll_np)

    @staticmethod
    def dtype_kind(x):
        return np.asarray(x).dtype.kind

    @staticmethod
    def cumsum(g, dim):
        return np.cumsum(g, axis=dim)

    @staticmethod
    def flip(g, dims):
        return np.flip(g, dims)

    @staticmethod
    def where(c, a, b):
        r = np.where(c, a, b)
        # keep float32 grads float32 when a branch is a Python number
        for x in (a, b):
            if isinstance(x, np.ndarray | np.generic) and r.dtype != x.dtype:
                return r.astype(x.dtype, copy=False)
        return r

    @staticmethod
    def mm_like(a, b, like):
        """a @ b, computed as (b.T @ a.T).T when ``like`` is a transposed (F-ordered) matrix."""
        if like.flags.f_contiguous and not like.flags.c_contiguous:
            return (b.T @ a.T).T
        return a @ b

    @staticmethod
    def shape(x):
        return np.shape(x)

    @staticmethod
    def ndim(x):
        return np.ndim(x)

    @staticmethod
    def sum_to(g, shape):
        # g is an ndarray or a numpy scalar (0-d results); both have .shape
        if g.shape == shape:
            return g
        return _sum_to_np(np.asarray(g), shape)

    @staticmethod
    def expand(g, shape):
        if g.shape == shape:
            return g
        if g.size == 1 and _numel(shape) <= 4096:
            return np.full(shape, g, dtype=g.dtype)  # cheaper than broadcast_to when small
        # large: a read-only view, no allocation (consumers never write into grads in place)
        return np.broadcast_to(g, shape)

    @staticmethod
    def expand_div(g, n, shape):
        """expand(g / n, shape): mean's backward."""
        if g.size == 1 and n and g.dtype.kind == "f" and _numel(shape) <= 4096:
            # one rounding from the exact quotient, as float32 division gives (53 >= 2*24 + 2)
            return np.full(shape, g.item() / n, dtype=g.dtype)
        return NP.expand(g / n, shape)

    @staticmethod
    def minus_exp_times(g, x, k):
        """g - exp(x) * k with one allocation (log_softmax's backward)."""
        r = np.exp(x)
        if type(r) is not np.ndarray:  # a 0-d input gives numpy scalars
            return np.asarray(g - r * k)
        r *= k
        np.subtract(g, r, out=r)
        return r

    @staticmethod
    def t2(g):
        return g.T

    @staticmethod
    def mul_scalar(x, c):
        return x * c

    @staticmethod
    def pow_scalar_grad(g, x, e):
        """PyTorch's pow backward, ``g * (e * x ** (e - 1))`` in that order (its rounding)."""
        if e == 2:  # 2 * x is exact: g * x * 2 rounds alike, in one allocation
            return NP.scaled_mul(g, x, 2.0)
        return g * (e * scalar_power(x, e - 1))

    @staticmethod
    def scaled_mul(g, x, k):
        """g * x * k in one allocation; g may be a broadcast scalar (mean/sum backward)."""
        if g.size == 1:
            return x * (g.reshape(()).item() * k)
        r = g * x
        r *= k
        return r

    @staticmethod
    def reshape(g, shape):
        g = np.asarray(g)
        return g if g.shape == tuple(shape) else g.reshape(shape)

    @staticmethod
    def unsqueeze_dims(g, dims):
        g = np.asarray(g)
        return g.reshape(_unsqueeze_shape(g.shape, dims))

    # the backward of squeeze and unsqueeze: a reshape here; a squeeze or unsqueeze per axis in
    # tensor_ns.T (the nodes PyTorch's double backward records)
    squeeze_to = reshape
    unsqueeze_to = reshape

    @staticmethod
    def permute(g, axes):
        return np.transpose(g, axes)

    @staticmethod
    def swap_last(g):
        return np.swapaxes(g, -1, -2)

    @staticmethod
    def sum(g, dims, keepdim):
        return reduce_rows(np.add, g, dims, keepdim)

    @staticmethod
    def mean(g, dims, keepdim):
        return np.mean(g, axis=dims, keepdims=keepdim)

    @staticmethod
    def count_true(mask):
        return int(np.count_nonzero(mask))  # a numpy int64 would make a float32 grad float64

    @staticmethod
    def any_zero(x):
        return not np.all(x)

    @staticmethod
    def prod_others(x, dims):
        axes = tuple(range(x.ndim)) if dims is None else tuple(dims)
        moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
        flat = moved.reshape(*moved.shape[: moved.ndim - len(axes)], -1)
        ones = np.ones_like(flat[..., :1])
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
        return np.moveaxis((before * after).reshape(moved.shape), tuple(range(-len(axes), 0)), axes)

    @staticmethod
    def cast(g, dtype):
        return g.astype(dtype, copy=False)

    @staticmethod
    def getitem(g, idx):
        return g[idx]

    @staticmethod
    def index_scatter(g, shape, idx):
        z = np.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            z[idx] = g
        else:
            np.add.at(z, idx, g)
        return z

    @staticmethod
    def index_fill_zero(g, idx):
        r = np.array(g, copy=True)
        r[idx] = 0
        return r

    @staticmethod
    def split(g, dim, sizes):
        return np.split(g, np.cumsum(sizes)[:-1], axis=dim)

    @staticmethod
    def select(g, dim, i):
        return np.take(g, i, axis=dim)

    @staticmethod
    def join_grads(grads, dim, sizes, shape, dtype):
        parts = []
        for g, n in zip(grads, sizes):
            part_shape = (*shape[:dim], n, *shape[dim + 1:])
            parts.append(np.zeros(part_shape, dtype) if g is None else g)
        return np.concatenate(parts, axis=dim)

    @staticmethod
    def stack_grads(grads, dim, shape, dtype):
        part_shape = shape[:dim] + shape[dim + 1:]
        return np.stack([np.zeros(part_shape, dtype) if g is None else g for g in grads], dim)


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(
        isinstance(i, int | slice) or i is None or i is Ellipsis
        for i in items
        if not isinstance(i, bool)
    )
