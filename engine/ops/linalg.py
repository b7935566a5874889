"""Linear algebra op rows: ``mm``, ``dot``, ``mv``, ``bmm``."""

from __future__ import annotations

import numpy as np

from .table import pair, register


# ---- linear algebra ---------------------------------------------------------------------------
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


register("mm", "MmBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (2-D)")
register("dot", "DotBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (1-D)")
register("mv", "MvBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (2-D, 1-D)")
register("bmm", "BmmBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (batched)")
