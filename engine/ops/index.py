"""Index op rows: reading by an index tensor (``gather``, ``index_select``, ``masked_select``),
``roll``, and writing at indices out of place (``index_add``/``index_copy``/``index_fill``,
``scatter``/``scatter_add``). The public functions (``engine.more_ops``, ``engine.index_more``,
``engine.scatter_index``) check the arguments and turn the index tensors into numpy index tuples
(``idx`` along one dim, ``grid`` for a scatter, ``part`` the slice of ``src`` it reads); the
rows' forwards take them from there.

Every backward is a selection of the incoming grad (``m.getitem``), a scatter of it
(``m.index_scatter``) or the grad with the overwritten positions zeroed (``m.index_fill_zero``),
so ``create_graph`` works unchanged. Where one index repeats, ``index_copy`` and ``scatter`` keep
the last write (PyTorch's CPU order). The symbolic forwards (``sym``) replay the recorded
positions on symbolic's arrays."""

from __future__ import annotations

import numpy as np

from ..ns import roll_np
from .table import register


def _value(ns, v):
    return ns.scalar(float(v))


# ---- reading -----------------------------------------------------------------------------------
def _scatter_vjp(m, g, out, s, a, need):
    shape, idx = a
    return (m.index_scatter(g, shape, idx),)


def _gather_fwd(x, dim, index):
    if not x.ndim:  # every element gathers the one value: GatherBackward0 sums the grad
        return np.full(index.shape, x), ((), index.shape)
    shape = index.shape if index.ndim else (1,)
    idx = list(np.indices(shape, sparse=True))
    idx[dim] = index.reshape(shape) % x.shape[dim]
    idx = tuple(idx)
    return np.array(x[idx]), (x.shape, idx)


def _gather_vjp(m, g, out, s, a, need):
    if not a[0]:  # a 0-d input (a[1]: the index's shape)
        return (m.reshape(m.sum(g, None, False), ()),)
    return _scatter_vjp(m, g, out, s, a, need)


def _gather_sym(ns, args, attrs, out_shape):
    x = np.asarray(args[0])
    if not attrs[0]:  # a 0-d input: every element is its value
        return np.broadcast_to(x, attrs[1]).copy()
    return x[attrs[1]]


# self is kept (unread by the VJP) as PyTorch's node keeps it (grad_fn._saved_self)
register("gather", "GatherBackward0", _gather_fwd, _gather_vjp, save_inputs=True,
         doc="a[..., index, ...]", sym=_gather_sym)


def _index_select_fwd(x, dim, index):
    if not x.ndim:
        return x.copy(), (x.shape, ())
    idx = (slice(None),) * dim + (index.reshape(-1) % x.shape[dim],)
    return np.array(x[idx]), (x.shape, idx)


register("index_select", "IndexSelectBackward0", _index_select_fwd, _scatter_vjp,
         doc="a.index_select(dim, index)",
         sym=lambda ns, args, attrs, out_shape: np.asarray(args[0])[attrs[1]])


def _masked_select_fwd(x, mask):
    full = np.broadcast_shapes(x.shape, mask.shape) or (1,)  # 0-d with 0-d: a 1-vector
    idx = np.nonzero(np.broadcast_to(mask, full))
    return np.array(np.broadcast_to(x, full)[idx]), (x.shape, full, idx)


def _masked_select_vjp(m, g, out, s, a, need):
    shape, full, idx = a
    return (m.sum_to(m.index_scatter(g, full, idx), shape),)


register("masked_select", "MaskedSelectBackward0", _masked_select_fwd, _masked_select_vjp,
         doc="a[mask] (broadcast)",
         sym=lambda ns, args, attrs, out_shape:
             np.broadcast_to(np.asarray(args[0]), attrs[1])[attrs[2]])


def _neg(shifts):
    return tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts


def _roll_sym(ns, args, attrs, out_shape):
    x = np.asarray(args[0])
    shifts, dims = attrs
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


register("roll", "RollBackward0",
         lambda x, shifts, dims: (roll_np(x, shifts, dims), (shifts, dims)),
         lambda m, g, out, s, a, need: (m.roll(g, _neg(a[0]), a[1]),),
         doc="roll(a, shifts, dims)", sym=_roll_sym)


# ---- writing along one dim ---------------------------------------------------------------------
def _written(a0, idx, values, add=False):
    """``a0`` with ``values`` written (or added) at ``idx``: numpy arrays of numbers or of sympy
    expressions alike."""
    out = np.array(a0, copy=True)
    if out.dtype != object:
        out = out.astype(np.result_type(out, np.asarray(values)), copy=False)
    if add:
        np.add.at(out, idx, values)
    else:
        out[idx] = values
    return out


def _index_add_fwd(x, src, idx, alpha):
    out = x.copy()
    np.add.at(out, idx, (src * alpha).astype(x.dtype, copy=False))
    return out, (idx, alpha)


def _index_add_sym(ns, args, attrs, out_shape):
    idx, alpha = attrs
    src = np.asarray(args[1])
    return _written(args[0], idx, src if alpha == 1 else src * _value(ns, alpha), add=True)


register("index_add", "IndexAddBackward0", _index_add_fwd,
         lambda m, g, out, s, a, need: (
             g if need[0] else None,
             (m.getitem(g, a[0]) * a[1] if a[1] != 1 else m.getitem(g, a[0])) if need[1]
             else None),
         doc="a.index_add(dim, index, b, alpha)", sym=_index_add_sym)


def _index_copy_fwd(x, src, idx):
    out = x.copy()
    out[idx] = src
    return out, idx


register("index_copy", "IndexCopyBackward0", _index_copy_fwd,
         lambda m, g, out, s, a, need: (m.index_fill_zero(g, a) if need[0] else None,
                                        m.getitem(g, a) if need[1] else None),
         doc="a.index_copy(dim, index, b)",
         sym=lambda ns, args, attrs, out_shape: _written(args[0], attrs, np.asarray(args[1])))


def _index_fill_fwd(x, idx, value):
    out = x.copy()
    out[idx] = np.asarray(value).astype(x.dtype)
    return out, (idx, value)


register("index_fill", "IndexFillBackward0", _index_fill_fwd,
         lambda m, g, out, s, a, need: (m.index_fill_zero(g, a[0]),),
         doc="a.index_fill(dim, index, c)",
         sym=lambda ns, args, attrs, out_shape: _written(args[0], attrs[0],
                                                         _value(ns, attrs[1])))


def _index_fill_t_fwd(x, v, idx):
    out = x.copy()
    out[idx] = v.astype(x.dtype)
    return out, idx


def _index_fill_t_sym(ns, args, attrs, out_shape):
    return _written(args[0], attrs, np.asarray(args[1]).reshape(())[()])


register("index_fill_t", "IndexFillBackward1", _index_fill_t_fwd,
         lambda m, g, out, s, a, need: (
             m.index_fill_zero(g, a) if need[0] else None,
             m.sum(m.getitem(g, a), tuple(range(m.ndim(g))), False) if need[1] else None),
         doc="a.index_fill(dim, index, v), v a 0-d tensor", sym=_index_fill_t_sym)


# ---- scatter -----------------------------------------------------------------------------------
def _scatter_fwd(add):
    def fwd(x, src, grid, part):
        out = x.copy()
        if add:
            np.add.at(out, grid, src[part])
        else:
            out[grid] = src[part]
        return out, (grid, part, src.shape)

    return fwd


def _src_grad(m, g, grid, part, src_shape):
    picked = m.getitem(g, grid)
    if tuple(src_shape) == tuple(p.stop for p in part):
        return picked
    return m.index_scatter(picked, tuple(src_shape), part)


def _scatter_sym(add):
    def rule(ns, args, attrs, out_shape):
        grid, part, _ = attrs
        return _written(args[0], grid, np.asarray(args[1])[part], add)

    return rule


def _scatter_value_fwd(x, grid, value):
    out = x.copy()
    out[grid] = np.asarray(value).astype(x.dtype)
    return out, (grid, value)


register("scatter", "ScatterBackward0", _scatter_fwd(False),
         lambda m, g, out, s, a, need: (
             m.index_fill_zero(g, a[0]) if need[0] else None,
             _src_grad(m, g, *a) if need[1] else None),
         doc="a.scatter(dim, index, b)", sym=_scatter_sym(False))
register("scatter_value", "ScatterBackward1", _scatter_value_fwd,
         lambda m, g, out, s, a, need: (m.index_fill_zero(g, a[0]),),
         doc="a.scatter(dim, index, c)",
         sym=lambda ns, args, attrs, out_shape: _written(args[0], attrs[0],
                                                         _value(ns, attrs[1])))
register("scatter_add", "ScatterAddBackward0", _scatter_fwd(True),
         lambda m, g, out, s, a, need: (g if need[0] else None,
                                        _src_grad(m, g, *a) if need[1] else None),
         doc="a.scatter_add(dim, index, b)", sym=_scatter_sym(True))
