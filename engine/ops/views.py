"""View and fill op rows: ``as_strided`` (a view's region of its base, the node PyTorch gives a
view whose base changed in place), ``copy_slices`` (the base after an in-place op through one of
its views), ``stale_multi_view`` (an output of unbind/split whose base changed: its backward
raises PyTorch's error), ``diagonal``, and the out-of-place forms of ``zero_``, ``fill_`` and
``copy_`` (``ZeroBackward0``, ``FillBackward2``/``3``, ``CopyBackwards``), which
``Tensor._inplace`` writes back into the tensor. ``engine.views`` builds the view nodes: the
in-place op has already written the view's memory, so ``copy_slices``' forward is what that
write did, and its VJP applies the wrapped op's node (``Node.apply_grads``, bound by the
autograd engine)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..tensor_data import Tensor, _wrap
from .table import register


# ---- views -------------------------------------------------------------------------------------
_MULTI_TAIL = ("This view is the output of a function that returns multiple views. Such functions "
               "do not allow the output views to be modified inplace. You should replace the "
               "inplace operation by an out-of-place one.")


CUSTOM_FUNCTION = "custom_function"  # third item of a creation made by a custom Function
_CUSTOM_TAIL = ("This view was created inside a custom Function (or because an input was "
                "returned as-is) and the autograd logic to handle view+inplace would override the "
                "custom backward associated with the custom Function, leading to incorrect "
                "gradients. This behavior is forbidden. You can fix this by cloning the output of "
                "the custom Function.")


def multi_output_error(name, nr, base_changed=False, kind=None) -> RuntimeError:
    what = ("its base or another view of its base has been modified inplace" if base_changed
            else "is being modified inplace")
    tail = _CUSTOM_TAIL if kind == CUSTOM_FUNCTION else _MULTI_TAIL
    return RuntimeError(f"Output {nr} of {name} is a view and {what}. {tail}")


def view_output_error(creation, base_changed=False) -> RuntimeError:
    """The error for an in-place change of (or through the base of) a view whose ``creation`` is
    ``(name, output_nr)`` of a multi-output op or ``(name, output_nr, CUSTOM_FUNCTION)``."""
    return multi_output_error(creation[0], creation[1], base_changed,
                              creation[2] if len(creation) > 2 else None)


def _as_strided_fwd(base, flat, vshape):
    """The region ``flat`` (flat C-order positions, None: the whole base in order) of ``base``,
    shaped ``vshape``."""
    out = base.reshape(vshape) if flat is None else base.reshape(-1)[flat]
    return out, (base.shape, flat, vshape)


def _as_strided_vjp(m, g, out, s, a, need):
    shape, flat, _ = a
    if flat is None:  # the whole base in order
        return (m.reshape(g, shape),)
    n = int(np.prod(shape, dtype=np.int64))
    return (m.reshape(m.index_scatter(g, (n,), (flat,)), shape),)


def _as_strided_sym(ns, args, attrs, out_shape):
    _, flat, vshape = attrs
    x = np.asarray(args[0])
    return x.reshape(vshape) if flat is None else x.reshape(-1)[flat]


register("as_strided", "AsStridedBackward0", _as_strided_fwd, _as_strided_vjp,
         doc="a view's region of its base", sym=_as_strided_sym)


def _copy_slices_fwd(base, region, fn, flat):
    """``base`` with ``region`` (the output of the in-place op's node ``fn`` on the view) written
    at the view's flat positions ``flat`` (None: the view is the whole base in order)."""
    out = base.copy()
    if flat is None:
        out[...] = region.reshape(base.shape)
    else:
        out.reshape(-1)[flat] = region
    return out, (fn, flat, base.shape, region.shape)


def _copy_slices_vjp(m, g, out, s, a, need):
    fn, flat, shape, vshape = a
    if flat is None:  # the view is the whole base in order: the op's own grads, reshaped
        res = fn.apply_grads([m.reshape(g, vshape)], m)
        base = None
        if need[0]:
            base = m.reshape(res[0] if res[0] is not None else g * 0.0, shape)
        return (base, *res[1:])
    n = int(np.prod(shape, dtype=np.int64))
    gflat = m.reshape(g, (n,))
    res = fn.apply_grads([m.getitem(gflat, flat)], m)
    base = None
    if need[0]:
        base = m.index_fill_zero(gflat, flat)
        if res[0] is not None:
            base = base + m.index_scatter(res[0], (n,), (flat,))
        base = m.reshape(base, shape)
    return (base, *res[1:])


def _stale_vjp(m, g, out, s, a, need):
    raise view_output_error(a, base_changed=True)


# the rule of copy_slices replays the wrapped node with symbolic's own table: it stays there
register("copy_slices", "torch::autograd::CopySlices", _copy_slices_fwd, _copy_slices_vjp,
         doc="base with an in-place op applied to a view's region")
# no forward: the view it stands for already holds its values; only its backward matters
register("stale_multi_view", "torch::autograd::Error", None, _stale_vjp,
         doc="an output of unbind/split whose base changed in place")


def _diagonal_fwd(x, offset, d1, d2):
    d = np.diagonal(x, offset, d1, d2)
    # numpy's diagonal is read-only: the same strides from a writable view starting at its first
    # element make it writable, as PyTorch's is
    first = [slice(None)] * x.ndim
    first[d1], first[d2] = slice(max(-offset, 0), None), slice(max(offset, 0), None)
    return as_strided(x[tuple(first)], d.shape, d.strides), (x.shape, offset, d1, d2)


def _diagonal_vjp(m, g, out, s, a, need):
    shape, offset, d1, d2 = a
    n = int(np.prod(shape, dtype=np.int64))
    flat = np.diagonal(np.arange(n).reshape(shape), offset, d1, d2).copy()
    return (m.reshape(m.index_scatter(g, (n,), (flat,)), shape),)


register("diagonal", "DiagonalBackward0", _diagonal_fwd, _diagonal_vjp,
         doc="a.diagonal(offset, d1, d2)",
         sym=lambda ns, args, attrs, out_shape: np.diagonal(args[0], *attrs[1:4]).copy())


# ---- fills -------------------------------------------------------------------------------------
def _zeros(g):
    # a constant, as PyTorch's: not g * 0, which would keep g's history (and its nan or inf)
    return _wrap(np.zeros_like(g._data)) if isinstance(g, Tensor) else np.zeros_like(g)


def _zeros_vjp(m, g, out, s, a, need):
    return (_zeros(g),)


def _fill_t_vjp(m, g, out, s, a, need):
    return (_zeros(g) if need[0] else None,
            m.reshape(m.sum(g, None, False), ()) if need[1] else None)


def _copy_fwd(x, src):
    return np.array(np.broadcast_to(src, x.shape), dtype=x.dtype), (src.shape, src.dtype)


def _copy_vjp(m, g, out, s, a, need):
    shape, dtype = a
    return (_zeros(g) if need[0] else None,
            m.sum_to(m.cast(g, dtype), shape) if need[1] else None)


def _filled(ns, a, value):
    return ns.zeros(np.shape(a[0])) + value


register("zero", "ZeroBackward0", lambda x: (np.zeros_like(x), None), _zeros_vjp,
         doc="zeros like a", sym=lambda ns, args, attrs, out_shape: ns.zeros(np.shape(args[0])))
register("fill", "FillBackward2", lambda x, value: (np.full_like(x, value), value), _zeros_vjp,
         doc="c everywhere (c a number)",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, ns.scalar(attrs)))
register("fill_t", "FillBackward3", lambda x, v: (np.full_like(x, v), None), _fill_t_vjp,
         doc="v everywhere (v 0-d)",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]))
register("copy", "torch::autograd::CopyBackwards", _copy_fwd, _copy_vjp,
         doc="b broadcast to a's shape",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]))
