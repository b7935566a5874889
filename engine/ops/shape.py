"""Shape and indexing op rows: views and reshapes, ``transpose``/``permute``, ``expand``,
``clone``, ``to``, reading and writing by index, ``cat``/``stack``/``split``/``unbind``.

A row's ``fwd(*arrays, **params) -> (out, attrs)`` is the op on numpy arrays after the public
function checked its arguments (``out`` a tuple for split and unbind), ``attrs`` what its VJP
reads. Its ``sym(ns, args, attrs, out_shape)`` rearranges the elements of ``args`` (numpy arrays
of floats or of sympy expressions alike), so the same code is the symbolic forward."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..index_layout import lay_out
from ..ns import NP
from .table import pair, register


# ---- reshapes ----------------------------------------------------------------------------------
def _reshape_fwd(x, shape):
    return x.reshape(shape), x.shape


def _reshape_back(m, g, out, s, a, need):
    return (m.reshape(g, a),)


def _reshape_sym(ns, args, attrs, out_shape):
    return args[0].reshape(out_shape)


def _unsqueeze_back(m, g, out, s, a, need):
    return (m.unsqueeze_to(g, a),)  # squeeze's backward puts the axes back


def _squeeze_back(m, g, out, s, a, need):
    return (m.squeeze_to(g, a),)  # unsqueeze's backward squeezes the axis away


for _key, _name, _doc, _back in (
        ("view", "ViewBackward0", "a.view(shape)", _reshape_back),
        ("unsafe_view", "UnsafeViewBackward0", "a.reshape(shape)", _reshape_back),
        ("squeeze", "SqueezeBackward0", "a.squeeze()", _unsqueeze_back),
        ("squeeze_dim", "SqueezeBackward1", "a.squeeze(dim)", _unsqueeze_back),
        ("squeeze_dims", "SqueezeBackward2", "a.squeeze((d, ...))", _unsqueeze_back),
        ("squeeze_dims_", "SqueezeBackward4", "a.squeeze_((d, ...))", _unsqueeze_back),
        ("unsqueeze", "UnsqueezeBackward0", "a.unsqueeze(dim)", _squeeze_back)):
    register(_key, _name, _reshape_fwd, _back, doc=_doc, sym=_reshape_sym)


# ---- transposes --------------------------------------------------------------------------------
def _t_fwd(x):
    return x.T, ((1, 0) if x.ndim == 2 else tuple(range(x.ndim)))


def _transpose_fwd(x, dim0, dim1):
    axes = list(range(x.ndim))
    if axes:
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    axes = tuple(axes)
    return x.transpose(axes), axes


def _permute_fwd(x, dims):
    return x.transpose(dims), dims


def _transpose_back(m, g, out, s, a, need):
    return (m.permute(g, a),)


def _transpose_sym(ns, args, attrs, out_shape):
    return np.transpose(args[0], attrs)


register("t", "TBackward0", _t_fwd, _transpose_back, doc="a.t()", sym=_transpose_sym)
register("transpose", "TransposeBackward0", _transpose_fwd, _transpose_back,
         doc="a.transpose(d0, d1)", sym=_transpose_sym)
# PyTorch's RNN and GRU swap a batch_first output back in place (TransposeBackward1)
register("transpose_", "TransposeBackward1", _transpose_fwd, _transpose_back,
         doc="a.transpose_(d0, d1)", sym=_transpose_sym)
register("permute", "PermuteBackward0", _permute_fwd,
         lambda m, g, out, s, a, need: (m.permute(g, tuple(np.argsort(a))),),
         doc="a.permute(dims)", sym=_transpose_sym)


def _expand_fwd(x, shape):
    if x.size == 1 and len(shape) >= x.ndim and not x.dtype.hasobject:
        # one element everywhere (sum's and mean's backward): the zero-strided view made
        # directly, writable as x is; broadcast_to plus as_strided cost 20 times as much
        return np.ndarray(shape, x.dtype, x, 0, (0,) * len(shape)), x.shape
    out = np.broadcast_to(x, shape)
    if x.flags.writeable:  # writable, as PyTorch's (fill_ through it is allowed)
        out = as_strided(x, out.shape, out.strides)
    return out, x.shape


register("expand", "ExpandBackward0", _expand_fwd,
         lambda m, g, out, s, a, need: (m.sum_to(g, a),), doc="a.expand(shape)",
         sym=lambda ns, args, attrs, out_shape: np.broadcast_to(args[0], out_shape))


# ---- copies ------------------------------------------------------------------------------------
def _same_sym(ns, args, attrs, out_shape):
    return args[0]


register("clone", "CloneBackward0", lambda x, order="K": (np.array(x, order=order), None),
         lambda m, g, out, s, a, need: (g,), doc="a.clone()", sym=_same_sym)
register("alias", "AliasBackward0", lambda x: (x.view(), None),
         lambda m, g, out, s, a, need: (g,), doc="a", sym=_same_sym)
register("to", "ToCopyBackward0", lambda x, dtype: (x.astype(dtype), x.dtype),
         lambda m, g, out, s, a, need: (m.cast(g, a),), doc="a.to(dtype)", sym=_same_sym)


# ---- reading and writing by index ---------------------------------------------------------------
def _step_fwd(x, dim, item):
    full = (slice(None),) * dim + (item,)
    # the trailing Ellipsis keeps a numpy view even when every index is an integer
    return x[full + (Ellipsis,)], (x.shape, full)


def _index_fwd(x, idx):
    out = x[idx]  # advanced indexing makes a fresh array; a 0-d result may be a numpy scalar
    if type(out) is not np.ndarray:
        return np.array(out), (x.shape, idx)
    return lay_out(x, idx, out), (x.shape, idx)


def _index_vjp(m, g, out, s, a, need):
    shape, idx = a
    return (m.index_scatter(g, shape, idx),)


def _index_sym(ns, args, attrs, out_shape):
    return args[0][attrs[1]]


register("select", "SelectBackward0", _step_fwd, _index_vjp, doc="a[i]", sym=_index_sym)
register("slice", "SliceBackward0", _step_fwd, _index_vjp, doc="a[i:j]", sym=_index_sym)
register("index", "IndexBackward0", _index_fwd, _index_vjp, doc="a[idx]", sym=_index_sym)


def _index_scatter_fwd(g, shape, idx):
    return NP.index_scatter(g, shape, idx), (shape, idx)


def _index_scatter_sym(ns, args, attrs, out_shape):
    shape, idx = attrs
    out = ns.zeros(shape)
    np.add.at(out, idx, args[0])
    return out


register("index_scatter", "IndexPutBackward0", _index_scatter_fwd,
         lambda m, g, out, s, a, need: (m.getitem(g, a[1]),), doc="zeros(shape)[idx] += a",
         sym=_index_scatter_sym)


def _setitem_fwd(x, v, idx):
    new = x.copy()
    new[idx] = v
    return new, (idx, v.shape)


def _copy_slices_vjp(m, g, out, s, a, need):
    idx, vshape = a

    def d_value():
        return m.sum_to(m.getitem(g, idx), vshape)

    return pair(need, lambda: m.index_fill_zero(g, idx), d_value)


def _setitem_sym(ns, args, attrs, out_shape):
    out = args[0].copy()
    out[attrs[0]] = args[1]
    return out


register("setitem", "torch::autograd::CopySlices", _setitem_fwd, _copy_slices_vjp,
         doc="a[idx] = v", sym=_setitem_sym)


# ---- joining and splitting ---------------------------------------------------------------------
def _cat_fwd(*xs, dim):
    return np.concatenate(xs, axis=dim), (dim, [x.shape[dim] for x in xs])


def _cat_vjp(m, g, out, s, a, need):
    dim, sizes = a
    parts = m.split(g, dim, sizes)
    return tuple(p if n else None for p, n in zip(parts, need))


def _stack_vjp(m, g, out, s, a, need):
    dim, count = a
    return tuple(m.select(g, dim, i) if need[i] else None for i in range(count))


register("cat", "CatBackward0", _cat_fwd, _cat_vjp, doc="cat(tensors, dim)",
         sym=lambda ns, args, attrs, out_shape: np.concatenate(args, axis=attrs[0]))
register("stack", "StackBackward0",
         lambda *xs, dim: (np.stack(xs, axis=dim), (dim, len(xs))), _stack_vjp,
         doc="stack(tensors, dim)",
         sym=lambda ns, args, attrs, out_shape: np.stack(args, axis=attrs[0]))


def _split_fwd(x, dim, sizes):
    sizes = tuple(sizes)
    parts = tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))
    return parts, (dim, sizes, x.shape, x.dtype)


def _split_vjp(m, grads, out, s, a, need):
    # several outputs: grads arrive as a list, None where an output got no grad
    dim, sizes, shape, dtype = a
    return (m.join_grads(grads, dim, sizes, shape, dtype),)


def _split_sym(ns, args, attrs, out_shape):
    return np.split(args[0], np.cumsum(attrs[1])[:-1], axis=attrs[0])


def _unbind_fwd(x, dim):
    parts = tuple(x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim]))
    return parts, (dim, x.shape, x.dtype)


def _unbind_vjp(m, grads, out, s, a, need):
    dim, shape, dtype = a
    return (m.stack_grads(grads, dim, shape, dtype),)


register("split", "SplitBackward0", _split_fwd, _split_vjp, doc="a.split(n, dim)",
         sym=_split_sym)
register("split_sizes", "SplitWithSizesBackward0", _split_fwd, _split_vjp,
         doc="a.split([n, ...], dim)", sym=_split_sym)
# split as PyTorch's RNN cells record it: the outputs are not tracked as views
register("unsafe_split", "UnsafeSplitBackward0", _split_fwd, _split_vjp,
         doc="a.unsafe_split(n, dim) (a.unsafe_chunk(k, dim))", sym=_split_sym)
register("unbind", "UnbindBackward0", _unbind_fwd, _unbind_vjp, doc="a.unbind(dim)",
         sym=lambda ns, args, attrs, out_shape: [np.take(args[0], i, axis=attrs[0])
                                                 for i in range(args[0].shape[attrs[0]])])


# ---- repeat ------------------------------------------------------------------------------------
def _repeat_fwd(x, sizes):
    return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes), (x.shape, sizes)


def _repeat_vjp(m, g, out, s, a, need):
    shape, sizes = a
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    pairs = tuple(v for pair in zip(sizes, padded) for v in pair)
    summed = m.sum(m.reshape(g, pairs), tuple(range(0, 2 * len(sizes), 2)), False)
    return (m.reshape(summed, tuple(shape)),)


def _repeat_sym(ns, args, attrs, out_shape):
    shape, sizes = attrs
    return np.tile(np.asarray(args[0]).reshape((1,) * (len(sizes) - len(shape)) + tuple(shape)),
                   sizes)


register("repeat", "RepeatBackward0", _repeat_fwd, _repeat_vjp, doc="tile(a, sizes)",
         sym=_repeat_sym)
