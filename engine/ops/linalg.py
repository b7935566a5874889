"""Linear algebra op rows: ``mm``, ``dot``, ``mv``, ``bmm`` and ``addmm`` (``nn.Linear`` on a
batch), each with its numpy forward, its VJP and its symbolic forward.

A forward takes the validated input arrays and returns ``(out, attrs)``; the public functions
(``engine.functions.matmul`` and its fixed-rank forms, ``engine.nn.functional.linear``) check
the arguments with PyTorch's messages, call the row's forward and record the row's node.
"""

from __future__ import annotations

import numpy as np

from ..ns import NP
from .table import pair, register


# ---- forwards -----------------------------------------------------------------------------------
_F32 = np.dtype(np.float32)


def _swap_wins(x, y):
    """Whether ``x @ y`` is faster as ``(y.T @ x.T).T`` plus a copy back to C order: ``x`` a
    C-ordered float32 batch of at most 128 rows, ``y`` a transposed weight (``W.t()``) with at
    least 512 inputs and twice as many outputs as rows. OpenBLAS's sgemm (SkylakeX kernels) then
    runs 3-20% faster with the operands swapped, copy included (128x784 @ 784x256: 596 -> 557 us);
    with 256 rows or more, or fewer inputs, the plain product is faster."""
    m, k = x.shape
    n = y.shape[1]
    return (m <= 128 and n >= 2 * m and x.dtype is _F32 and y.dtype is _F32
            and y.strides == (4, 4 * k) and x.strides == (4 * k, 4))


def mm_np(x, y):
    """``x @ y`` with at most two dims each (the training hot path: one BLAS call)."""
    if x.shape[-1] >= 512 and x.ndim == 2 and y.ndim == 2 and _swap_wins(x, y):
        return (y.T @ x.T).T.copy(), (x.shape, y.shape)
    return x @ y, (x.shape, y.shape)


def _matmul_fwd(x, y):
    # 1-D @ 1-D gives a numpy scalar: the row's output is always an array
    return np.asarray(np.matmul(x, y)), (x.shape, y.shape)


def addmm_np(b, x, wt):
    """``b + x @ wt`` (``wt`` is the weight's transpose); the sum is taken in the product's own
    buffer, before the copy back to C order when the operands are swapped (see ``_swap_wins``)."""
    if x.shape[-1] >= 512 and b.ndim == 1 and _swap_wins(x, wt):
        out = wt.T @ x.T
        out += b[:, None]
        return out.T.copy(), b.shape
    out = x @ wt
    out += b
    return out, b.shape


# ---- VJPs -------------------------------------------------------------------------------------
def _matmul_vjp(m, g, out, s, a, need):
    x, y = s
    sx, sy = a
    if len(sx) == 2 and len(sy) == 2:
        # grads laid out like their inputs, so a transposed weight (x @ W.t()) gets a grad whose
        # transpose is contiguous: no strided copy when it reaches W.grad
        return pair(need, lambda: m.mm_like(g, m.t2(y), x), lambda: m.mm_like(m.t2(x), g, y))
    x2 = m.reshape(x, (1, *sx)) if len(sx) == 1 else x
    y2 = m.reshape(y, (*sy, 1)) if len(sy) == 1 else y
    if len(sx) == 1:
        g = m.unsqueeze_dims(g, (max(m.ndim(g) - 1, 0),)) if len(sy) > 1 else m.reshape(g, (1,))
    if len(sy) == 1:
        g = m.unsqueeze_dims(g, (m.ndim(g),))

    def dx():
        r = m.matmul(g, m.swap_last(y2))
        return m.reshape(m.sum_to(r, m.shape(x2)) if m.ndim(r) > 2 else r, sx)

    def dy():
        r = m.matmul(m.swap_last(x2), g)
        return m.reshape(m.sum_to(r, m.shape(y2)) if m.ndim(r) > 2 else r, sy)

    return pair(need, dx, dy)


def _addmm_vjp(m, g, out, s, a, need):
    """out = b + x @ Wt: db = sum_rows(g), dx = g @ Wt.T, dWt = x.T @ g."""
    _, x, wt = s
    if m is NP:  # the training hot path: plain array methods, no namespace indirection
        db = (g.sum(0) if a == g.shape[1:] else m.sum_to(g, a)) if need[0] else None
        dx = g @ wt.T if need[1] else None
        # (g.T @ x).T: TBackward0 then hands the weight a C-ordered (out, in) array to keep
        dwt = (g.T @ x).T if need[2] else None
        return db, dx, dwt
    db = m.sum_to(g, a) if need[0] else None
    dx = m.matmul(g, m.swap_last(wt)) if need[1] else None
    dwt = m.swap_last(m.matmul(m.swap_last(g), x)) if need[2] else None
    return db, dx, dwt


# ---- symbolic forwards (symbolic's rule protocol: ns, args, attrs, out_shape) -------------------
def _matmul_sym(ns, args, attrs, out_shape):
    return ns.matmul(args[0], args[1])


def _addmm_sym(ns, args, attrs, out_shape):
    return args[0] + ns.matmul(args[1], args[2])


# ---- rows -------------------------------------------------------------------------------------
MM = register("mm", "MmBackward0", mm_np, _matmul_vjp, save_inputs=True,
              doc="a @ b (2-D)", sym=_matmul_sym)
register("dot", "DotBackward0", _matmul_fwd, _matmul_vjp, save_inputs=True, doc="a @ b (1-D)",
         sym=_matmul_sym)
register("mv", "MvBackward0", _matmul_fwd, _matmul_vjp, save_inputs=True,
         doc="a @ b (2-D, 1-D)", sym=_matmul_sym)
register("bmm", "BmmBackward0", _matmul_fwd, _matmul_vjp, save_inputs=True,
         doc="a @ b (batched)", sym=_matmul_sym)
ADDMM = register("addmm", "AddmmBackward0", addmm_np, _addmm_vjp, save_inputs=True,
                 doc="b + x @ Wt (nn.Linear on a batch)", sym=_addmm_sym)
