"""Running-reduction op rows along a dim: ``cumprod`` (CumprodBackward0), ``cummax`` /
``cummin`` (values and indices) and ``logcumsumexp``. Public functions with PyTorch's
argument checks: ``engine.scan_ops`` and ``engine.index_more`` (``cumprod``). ``cumsum`` is an
ordering row (``engine.ops.ordering``).

A running maximum's grad goes back to the element each output copied (its recorded index), as a
scatter-add, so ties and NaN follow the forward's choice: an element at least as large as (or
NaN, for the maximum; at most as small as, for the minimum) the running value takes over, as in
ATen. ``logcumsumexp``'s grad is ``dx_i = sum_{j >= i} g_j exp(x_i - out_j)``: every exponent is
at most 0, so the formula cannot overflow."""

from __future__ import annotations

import numpy as np

from .table import register


# ---- cummax, cummin ----------------------------------------------------------------------------
def _running_fwd(largest):
    def fwd(x, d):
        """``((values, indices), attrs)`` along ``d`` (None: a 0-d input, its own result)."""
        if d is None:
            return (x.copy(), np.asarray(0, dtype=np.int64)), ((), ())
        xm = np.moveaxis(x, d, 0)
        vals = np.empty_like(xm)
        idx = np.zeros(xm.shape, dtype=np.int64)
        if xm.shape[0]:
            cur, at = xm[0].copy(), np.zeros(xm.shape[1:], dtype=np.int64)
            for i in range(xm.shape[0]):
                v = xm[i]
                with np.errstate(invalid="ignore"):
                    take = (v >= cur) if largest else (v <= cur)
                if x.dtype.kind == "f":
                    take = take | np.isnan(v)
                cur = np.where(take, v, cur)
                at = np.where(take, i, at)
                vals[i], idx[i] = cur, at
        vals, idx = np.moveaxis(vals, 0, d), np.moveaxis(idx, 0, d)
        grid = list(np.indices(idx.shape, sparse=True))
        grid[d] = idx
        return ((np.ascontiguousarray(vals), np.ascontiguousarray(idx)),
                (x.shape, tuple(grid)))

    return fwd


def _running_vjp(m, g, out, s, a, need):
    return (m.index_scatter(g, a[0], a[1]),)


def _sym_pick(ns, args, attrs, out_shape):
    return ns.arr(args[0])[attrs[1]]  # locally a selection of the recorded winners


# self is kept (unread by the VJP) as PyTorch's nodes keep it: grad_fn._saved_self, and the
# in-place check on it
register("cummax", "CummaxBackward0", _running_fwd(True), _running_vjp, save_inputs=True,
         doc="a.cummax(dim)", sym=_sym_pick)
register("cummin", "CumminBackward0", _running_fwd(False), _running_vjp, save_inputs=True,
         doc="a.cummin(dim)", sym=_sym_pick)


# ---- logcumsumexp ------------------------------------------------------------------------------
def logcumsumexp_fwd(x, d):
    """``x`` floating; ``d`` None for a 0-d input (its own result)."""
    if d is None:
        return x.copy(), None
    with np.errstate(invalid="ignore"):
        out = np.logaddexp.accumulate(x, axis=d) if x.size else x.copy()
    return out.astype(x.dtype, copy=False), d


def _lcse_vjp(m, g, out, s, a, need):
    d = a
    if d is None:
        return (g,)
    x = s[0]
    if not isinstance(g, np.ndarray | np.generic):  # create_graph: the same sum, recorded
        n = x.shape[d]
        upper = np.triu(np.ones((n, n), bool))
        xm, om, gm = x.movedim(d, -1), out.movedim(d, -1), g.movedim(d, -1)
        diff = m.where(upper, xm.unsqueeze(-1) - om.unsqueeze(-2), -np.inf)
        return ((diff.exp() * gm.unsqueeze(-2)).sum(-1).movedim(-1, d),)
    xm, om, gm = (np.moveaxis(np.asarray(v), d, -1) for v in (x, out, g))
    n = xm.shape[-1]
    upper = np.triu(np.ones((n, n), bool))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(upper, xm[..., :, None] - om[..., None, :], -np.inf)
        dx = (np.exp(diff) * gm[..., None, :]).sum(-1)
    return (np.moveaxis(dx.astype(xm.dtype, copy=False), -1, d),)


def _sym_logcumsumexp(ns, args, attrs, out_shape):
    x = ns.arr(args[0])
    if attrs is None:
        return x
    if not ns.symbolic:
        return np.logaddexp.accumulate(x, axis=attrs)
    return ns.log(ns.arr(np.cumsum(ns.exp(x), axis=attrs)))


register("logcumsumexp", "LogcumsumexpBackward0", logcumsumexp_fwd, _lcse_vjp,
         save_inputs=True, save_out=True, doc="a.logcumsumexp(dim)", sym=_sym_logcumsumexp)


# ---- cumprod -----------------------------------------------------------------------------------
def cumprod_fwd(x, d, dtype):
    """The running product along ``d`` (None: a 0-d input) in ``dtype`` (numpy)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.cumprod(x.astype(dtype, copy=False), axis=d)
    return out.reshape(x.shape), (d, x.dtype)


def _cumprod_grad_np(g, x, out, d):
    if not np.any(x == 0):
        rev = np.flip(np.cumsum(np.flip(g * out, d), axis=d), d)
        return rev / x
    return _cumprod_grad_exact(None, g, x, d)


def _cumprod_grad_exact(m, g, x, d):
    """d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: exact where x has zeros. Each
    row i of an n x n block is x with x_i set to 1, cumulatively multiplied (``m`` None: numpy,
    else the Tensor namespace, recorded)."""
    n = x.shape[d]
    eye = np.eye(n, dtype=bool)
    upper = np.triu(np.ones((n, n), dtype=bool))
    if m is None:
        xm, gm = np.moveaxis(x, d, -1), np.moveaxis(g, d, -1)
        rows = np.cumprod(np.where(eye, 1.0, xm[..., None, :]).astype(x.dtype), axis=-1)
        grad = np.sum(np.where(upper, rows * gm[..., None, :], 0.0), axis=-1)
        return np.moveaxis(grad.astype(x.dtype, copy=False), -1, d)
    xm, gm = x.movedim(d, -1), g.movedim(d, -1)
    prods = m.where(~eye, xm.unsqueeze(-2), 1.0).cumprod(-1)
    grad = m.where(upper, prods * gm.unsqueeze(-2), 0.0).sum(-1)
    return grad.movedim(-1, d)


def _cumprod_vjp(m, g, out, s, a, need):
    d, dtype = a
    if d is None:
        return (g,)
    if isinstance(g, np.ndarray | np.generic):
        grad = _cumprod_grad_np(g, s[0].astype(g.dtype, copy=False), out, d)
    else:
        grad = _cumprod_grad_exact(m, g, s[0].to(g.dtype), d)
    return (m.cast(grad, dtype),)


def _sym_cumprod(ns, args, attrs, out_shape):
    x = np.asarray(args[0])
    return x if attrs[0] is None else np.cumprod(x, axis=attrs[0])


register("cumprod", "CumprodBackward0", cumprod_fwd, _cumprod_vjp, save_inputs=True,
         save_out=True, doc="cumprod(a, dim)", sym=_sym_cumprod)
