"""``torch.*`` free functions: creation, math, joining, matmul, softmax."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype
from . import ranges as _ranges
from .arith_functions import add, mul, multiply, sub, subtract  # noqa: F401  (re-exported)
from .device import check_device
from .dropout import dropout as _dropout
from .division import div, floor_divide, remainder
from .grad_mode import mode as _mode
from .ops import OPS
from .random import _rng
from .return_types import _return_type_repr, return_type  # noqa: F401  (re-exported)
from .sort_args import argsort, sort  # noqa: F401  (PyTorch's two overloads of each)
from .tensor import (
    Size,
    Tensor,
    _arr,
    _broadcast_error,
    _dims,
    _promote,
    _result,
    _shape_arg,
    _wrap,
    as_array,
    record,
)

_default = _dtype._default


# ---- creation ---------------------------------------------------------------------------------
def _finish(arr, requires_grad):
    t = _wrap(arr)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


def _np_dtype(dtype, fallback=None):
    if dtype is None:
        return fallback if fallback is not None else _default[0].np
    return _dtype.to_numpy_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    check_device(device)
    arr = as_array(data, dtype)
    if arr is _arr(data) or (isinstance(data, np.ndarray) and np.shares_memory(arr, data)):
        arr = arr.copy()
    return _finish(np.array(arr), requires_grad)


def as_tensor(data, dtype=None, device=None):
    check_device(device)
    if isinstance(data, Tensor) and dtype is None:
        return data
    return _wrap(as_array(data, dtype))


def from_numpy(arr):
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    _dtype.from_numpy_dtype(arr.dtype)
    return _wrap(arr)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    check_device(device)
    return _finish(np.zeros(_shape_arg(size), _np_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    check_device(device)
    return _finish(np.ones(_shape_arg(size), _np_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    check_device(device)
    if dtype is None:
        kind = type(fill_value)
        fallback = (np.dtype(np.bool_) if kind is builtins.bool else
                    np.dtype(np.int64) if kind is builtins.int else _default[0].np)
    else:
        fallback = None
    return _finish(np.full(_shape_arg((size,)), fill_value, _np_dtype(dtype, fallback)),
                   requires_grad)


def _like(t, dtype):
    return _np_dtype(dtype, t._data.dtype)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return _finish(np.zeros(t._data.shape, _like(t, dtype)), requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return _finish(np.ones(t._data.shape, _like(t, dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return _finish(np.full(t._data.shape, fill_value, _like(t, dtype)), requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return zeros_like(t, dtype, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    check_device(device)
    if end is None:
        start, end = 0, start
    is_float = builtins.any(isinstance(v, builtins.float) for v in (start, end, step))
    fallback = _default[0].np if is_float else np.dtype(np.int64)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    return _finish(_ranges.arange_values(start, end, step, np.dtype(_np_dtype(dtype, fallback))),
                   requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    check_device(device)
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    return _finish(_ranges.linspace_values(start, end, int(steps), np.dtype(_np_dtype(dtype))),
                   requires_grad)


_CREATE_KW = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
              "torch.device device = None, bool pin_memory = False, bool requires_grad = False")


def _size_kw(fn, size, kws):
    """``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``: never both."""
    kw = kws.pop("size", None)
    if kws:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kws))}'")
    if kw is None:
        return _shape_arg(size)
    if size:
        got = ", ".join(type(s).__name__ for s in size)
        raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                        f"({got}, size=tuple), but expected one of:\n"
                        f" * (tuple of ints size, *, torch.Generator generator, {_CREATE_KW})\n"
                        f" * (tuple of ints size, *, {_CREATE_KW})\n")
    return _shape_arg((kw,))


def _float_dtype(fn, dtype):
    dt = _np_dtype(dtype)
    if dt.kind != "f":
        kernel = "normal_kernel_cpu" if fn == "randn" else "check_uniform_bounds"
        name = _dtype.from_numpy_dtype(dt).tensor_type.removesuffix("Tensor")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    return dt


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw):
    check_device(device)
    shape = _size_kw("randn", size, kw)
    dt = _float_dtype("randn", dtype)
    return _finish(_rng(generator).normal(0.0, 1.0, shape, dt), requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    check_device(device)
    shape = _size_kw("rand", size, kw)
    dt = _float_dtype("rand", dtype)
    return _finish(_rng(generator).uniform(0.0, 1.0, shape, dt), requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    check_device(device)
    if size is None and isinstance(high, (tuple, list, Size)):
        low, high, size = 0, low, high  # randint(high, size)
    elif high is None:
        low, high = 0, low
    if size is None:
        forms = [f" * ({lead}, *, {gen}{_CREATE_KW})\n"
                 for lead in ("int high, tuple of ints size", "int low, int high, tuple of ints size")
                 for gen in ("torch.Generator generator, ", "")]
        raise TypeError("randint() received an invalid combination of arguments - got "
                        f"({type(high).__name__}), but expected one of:\n" + "".join(forms))
    arr = _rng(generator).integers(low, high, _shape_arg((size,)))
    return _finish(arr.astype(_np_dtype(dtype, np.dtype(np.int64)), copy=False), requires_grad)


def randperm(n, generator=None, dtype=None, device=None):
    check_device(device)
    return _wrap(_rng(generator).permutation(n).astype(_np_dtype(dtype, np.dtype(np.int64))))


def randn_like(t, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    check_device(device)
    return randn(*t._data.shape, generator=generator, dtype=dtype or t.dtype,
                 requires_grad=requires_grad)


def rand_like(t, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    check_device(device)
    return rand(*t._data.shape, generator=generator, dtype=dtype or t.dtype,
                requires_grad=requires_grad)


# ---- math -------------------------------------------------------------------------------------
def _t(x):
    return x if isinstance(x, Tensor) else _wrap(as_array(x))


def pow(a, b):
    if not isinstance(a, Tensor):
        return _t(b).__rpow__(a)
    return a ** b


divide, true_divide = div, div


def _unary_fn(name):
    def fn(x, *args, **kwargs):
        return getattr(_t(x), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``torch.{name}``"
    return fn


for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg",
              "negative", "reciprocal", "sign", "square", "clamp",
              "clip", "clamp_min", "clamp_max", "sum", "mean", "prod", "var", "std", "argmax",
              "argmin", "amax", "amin", "all", "any", "norm", "reshape", "flatten", "squeeze",
              "unsqueeze", "t",
              "transpose", "swapaxes", "permute", "clone", "detach", "isnan", "isinf", "isfinite",
              "floor", "ceil", "round", "numel", "select", "narrow", "index_select", "gather",
              "chunk", "split", "unbind", "split", "erf", "topk", "cumsum",
              "flip", "masked_fill", "tril", "triu", "diagonal", "unflatten",
              "relu_", "sigmoid_", "tanh_", "exp_", "sqrt_"):
    globals()[_name] = _unary_fn(_name)

_return_types = return_type  # the name the engine's modules used


def max(x, dim=None, keepdim=False):
    return _t(x).max(dim, keepdim)


def min(x, dim=None, keepdim=False):
    return _t(x).min(dim, keepdim)


def dropout(input, p, train):
    """``torch.dropout(input, p, train)``: ``nn.functional.dropout`` without its keywords."""
    return _dropout(input, p, train)


def _tensor_binary(key, a, b):
    a, b = _t(a), _t(b)
    dt = _promote(a, b)
    ad, bd = a._data.astype(dt, copy=False), b._data.astype(dt, copy=False)
    try:
        out = np.asarray(OPS[key].fwd(ad, bd))
    except ValueError:
        raise _broadcast_error(ad.shape, bd.shape) from None
    return _result(OPS[key], out, (a, b), None)


def maximum(a, b):
    return _tensor_binary("maximum", a, b)


def minimum(a, b):
    return _tensor_binary("minimum", a, b)


def where(condition, input=None, other=None):
    c = _arr(condition)
    if input is None:
        return tuple(_wrap(i) for i in np.nonzero(c))
    if not isinstance(input, Tensor):
        input = _wrap(np.asarray(input, dtype=_scalar_dtype(input, other)))
    a = input
    if not isinstance(other, Tensor):
        other = _wrap(np.asarray(other, dtype=_scalar_dtype(other, a)))
    b = other
    dt = _promote(a, b)
    out, attrs = _where_fwd(a._data.astype(dt, copy=False), b._data.astype(dt, copy=False), c)
    return _result(_WHERE, out, (a, b), attrs)


_WHERE = OPS["where"]
_where_fwd = _WHERE.fwd


def _scalar_dtype(x, partner):
    if isinstance(partner, Tensor):
        return partner._data.dtype if isinstance(x, builtins.int | builtins.float) else None
    return _default[0].np if isinstance(x, builtins.float) else None


def matmul(a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        x, y = a._data, b._data
        # the common case first: two matrices of one float dtype that fit
        if (x.ndim == 2 and y.ndim == 2 and x.dtype is y.dtype and x.shape[1] == y.shape[0]
                and x.dtype.kind == "f"):
            out, attrs = _MM_FWD(x, y)
            out = _wrap(out)
            if (a._rg or b._rg) and _mode.enabled:
                record(_MM, out, (a, b), attrs)
            return out
    a, b = _t(a), _t(b)
    x, y = a._data, b._data
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype._BY_NP[x.dtype].name.replace('float32', 'float')} != "
                           f"{_dtype._BY_NP[y.dtype].name.replace('float32', 'float')}")
    if x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
        if x.ndim == 2 and y.ndim == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x"
                               f"{x.shape[1]} and {y.shape[0]}x{y.shape[1]})")
        if x.ndim == 1 and y.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                               f"[{y.shape[0]}] to have the same number of elements, but got "
                               f"{x.shape[0]} and {y.shape[0]} elements respectively")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{x.shape[-1]}] but got: [{y.shape[0 if y.ndim == 1 else -2]}].")
    if x.ndim >= 3 and y.ndim <= 2 or x.ndim == 1 and y.ndim == 2:
        return _matmul_reshaped(a, b)
    key = ("dot" if x.ndim == 1 and y.ndim == 1 else "mv" if x.ndim == 2 and y.ndim == 1 else
           "mm" if x.ndim <= 2 and y.ndim <= 2 else "bmm")
    row = OPS[key]
    out, attrs = row.fwd(x, y)
    return _result(row, out, (a, b), attrs)


def _matmul_reshaped(a, b):
    """PyTorch's matmul of a batch by a matrix or vector: the batch folded into one mm/mv
    (``a.reshape(-1, k)``) and the result's shape restored by ``_unsafe_view``
    (UnsafeViewBackward0); a vector by a matrix: ``a.unsqueeze(0).mm(b).squeeze_(0)``."""
    x, y = a._data, b._data
    if x.ndim == 1:
        out = matmul(a.unsqueeze(0), b)
        op, shape = OPS["squeeze_dims_"], out._data.shape[1:]
    else:
        out = matmul(a.reshape(-1, x.shape[-1]), b)
        op, shape = OPS["unsafe_view"], x.shape[:-1] + y.shape[1:]
    arr, attrs = op.fwd(out._data, shape)
    return _result(op, arr, (out,), attrs, out._rg)


_MM = OPS["mm"]
_MM_FWD = _MM.fwd


# the fixed-rank products check ranks as ATen does (matmul itself broadcasts and would accept)
def mm(a, b):
    a, b = _t(a), _t(b)
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(a, b)


def mv(a, b):
    a, b = _t(a), _t(b)
    if a._data.ndim != 2 or b._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a._data.ndim}, "
                           f"{b._data.ndim}")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a._data.shape[0]}), mat "
                           f"({a._data.shape[0]}x{a._data.shape[1]}), vec ({b._data.shape[0]})")
    return matmul(a, b)


def dot(a, b):
    a, b = _t(a), _t(b)
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and "
                           f"{b._data.ndim}D tensors")
    return matmul(a, b)


def bmm(a, b):
    a, b = _t(a), _t(b)
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (n, _, k), (n2, k2, _) = a._data.shape, b._data.shape
    if (n2, k2) != (n, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {k}] but got: [{n2}, {k2}].")
    return matmul(a, b)


def outer(a, b):
    return _t(a).unsqueeze(1) * _t(b).unsqueeze(0)


def cat(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    nd = tensors[0]._data.ndim
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    d = _dims(dim, nd)[0]
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        s = t._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{len(s)}")
        for k in range(nd):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref[k]} but got size {s[k]} for tensor number "
                                   f"{i} in the list.")
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        dt = _promote(_wrap(np.zeros((1,), dt)), t)
    op = OPS["cat"]
    out, attrs = op.fwd(*[t._data.astype(dt, copy=False) for t in tensors], dim=d)
    return _result(op, out, tuple(tensors), attrs)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    shapes = {t._data.shape for t in tensors}
    if len(shapes) > 1:
        s = [t._data.shape for t in tensors]
        bad = next(i for i, x in enumerate(s) if x != s[0])
        raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s[0])} at "
                           f"entry 0 and {list(s[bad])} at entry {bad}")
    d = dim % (tensors[0]._data.ndim + 1)
    op = OPS["stack"]
    out, attrs = op.fwd(*[t._data for t in tensors], dim=d)
    return _result(op, out, tuple(tensors), attrs)


def _softmax_input(x, dim, dtype, name):
    """The (cast) input and the reduced dim; PyTorch's error for integer and bool inputs."""
    x = _t(x)
    if dtype is not None:
        x = x.to(dtype)
    d = _dims(dim, x._data.ndim)[0]  # 0 for a 0-d tensor (dim 0 or -1)
    if x._data.dtype.kind != "f":
        last = "lastdim_" if d == builtins.max(x._data.ndim - 1, 0) else ""
        kind = _dtype._BY_NP[x._data.dtype].tensor_type[:-len("Tensor")]
        raise NotImplementedError(f'"{name}_{last}kernel_impl" not implemented for \'{kind}\'')
    return x, d


def softmax(x, dim, dtype=None):
    x, d = _softmax_input(x, dim, dtype, "softmax")
    out, attrs = _SOFTMAX.fwd(x._data, d)
    return _result(_SOFTMAX, out, (x,), attrs)


def log_softmax(x, dim, dtype=None):
    x, d = _softmax_input(x, dim, dtype, "log_softmax")
    out, attrs = _LOG_SOFTMAX.fwd(x._data, d)
    return _result(_LOG_SOFTMAX, out, (x,), attrs)


_SOFTMAX, _LOG_SOFTMAX = OPS["softmax"], OPS["log_softmax"]


def logsumexp(x, dim, keepdim=False):
    return _t(x).logsumexp(dim, keepdim)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(np.allclose(_arr(a), _arr(b), rtol, atol, equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(_arr(a), _arr(b), rtol, atol, equal_nan))


def equal(a, b):
    return builtins.bool(np.array_equal(_arr(a), _arr(b)))


def is_tensor(x):
    return isinstance(x, Tensor)


def numel(x):
    return _t(x).numel()


def broadcast_shapes(*shapes):
    return Size(np.broadcast_shapes(*shapes))


__all__ = [n for n in dir() if not n.startswith("_")]
_ = (Size, _mode, record)
