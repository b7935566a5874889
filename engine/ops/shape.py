"""Shape and indexing op rows: views, ``transpose``/``permute``, ``expand``, ``clone``, ``to``,
indexing and ``setitem``, ``cat``/``stack``/``split``/``unbind``."""

from __future__ import annotations

import numpy as np

from .table import pair, register


# ---- shape -------------------------------------------------------------------------------------
_reshape_back = lambda m, g, out, s, a, need: (m.reshape(g, a),)  # noqa: E731
register("view", "ViewBackward0", None, _reshape_back, doc="a.view(shape)")
register("unsafe_view", "UnsafeViewBackward0", None, _reshape_back, doc="a.reshape(shape)")
register("squeeze", "SqueezeBackward0", None, _reshape_back, doc="a.squeeze()")
register("squeeze_dim", "SqueezeBackward1", None, _reshape_back, doc="a.squeeze(dim)")
register("unsqueeze", "UnsqueezeBackward0", None, _reshape_back, doc="a.unsqueeze(dim)")
register("t", "TBackward0", None, lambda m, g, out, s, a, need: (m.permute(g, a),), doc="a.t()")
register("transpose", "TransposeBackward0", None,
         lambda m, g, out, s, a, need: (m.permute(g, a),), doc="a.transpose(d0, d1)")
register("permute", "PermuteBackward0", None,
         lambda m, g, out, s, a, need: (m.permute(g, tuple(np.argsort(a))),), doc="a.permute(dims)")
register("expand", "ExpandBackward0", None, lambda m, g, out, s, a, need: (m.sum_to(g, a),),
         doc="a.expand(shape)")
register("clone", "CloneBackward0", None, lambda m, g, out, s, a, need: (g,), doc="a.clone()")
register("alias", "AliasBackward0", None, lambda m, g, out, s, a, need: (g,), doc="a")
register("to", "ToCopyBackward0", None, lambda m, g, out, s, a, need: (m.cast(g, a),),
         doc="a.to(dtype)")


def _index_vjp(m, g, out, s, a, need):
    shape, idx = a
    return (m.index_scatter(g, shape, idx),)


register("select", "SelectBackward0", None, _index_vjp, doc="a[i]")
register("slice", "SliceBackward0", None, _index_vjp, doc="a[i:j]")
register("index", "IndexBackward0", None, _index_vjp, doc="a[idx]")
register("index_scatter", "IndexPutBackward0", None,
         lambda m, g, out, s, a, need: (m.getitem(g, a[1]),), doc="zeros(shape)[idx] += a")


def _copy_slices_vjp(m, g, out, s, a, need):
    idx, vshape = a

    def d_value():
        return m.sum_to(m.getitem(g, idx), vshape)

    return pair(need, lambda: m.index_fill_zero(g, idx), d_value)


register("setitem", "torch::autograd::CopySlices", None, _copy_slices_vjp, doc="a[idx] = v")


def _cat_vjp(m, g, out, s, a, need):
    dim, sizes = a
    parts = m.split(g, dim, sizes)
    return tuple(p if n else None for p, n in zip(parts, need))


def _stack_vjp(m, g, out, s, a, need):
    dim, count = a
    return tuple(m.select(g, dim, i) if need[i] else None for i in range(count))


register("cat", "CatBackward0", None, _cat_vjp, doc="cat(tensors, dim)")


def _split_vjp(m, grads, out, s, a, need):
    # several outputs: grads arrive as a list, None where an output got no grad
    dim, sizes, shape, dtype = a
    return (m.join_grads(grads, dim, sizes, shape, dtype),)


def _unbind_vjp(m, grads, out, s, a, need):
    dim, shape, dtype = a
    return (m.stack_grads(grads, dim, shape, dtype),)


register("split", "SplitBackward0", None, _split_vjp, doc="a.split(n, dim)")
register("split_sizes", "SplitWithSizesBackward0", None, _split_vjp, doc="a.split([n, ...], dim)")
register("unbind", "UnbindBackward0", None, _unbind_vjp, doc="a.unbind(dim)")
register("stack", "StackBackward0", None, _stack_vjp, doc="stack(tensors, dim)")
