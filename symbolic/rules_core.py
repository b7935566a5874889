"""Rules for the engine's core ops (arithmetic, reductions, shape ops, matmul, softmax) and the
losses of ``engine.nn.functional``. Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .rule_table import elementwise, mean_rule, moment, nice_number, reduce_loss


def _softmax(m, x, d):
    if not m.symbolic:
        e = np.exp(x - np.max(x, axis=d, keepdims=True))
        return e / np.sum(e, axis=d, keepdims=True)
    e = m.exp(x)
    return e / m.sum(e, (d,), True)


def _log_softmax(m, x, d):
    if not m.symbolic:
        z = x - np.max(x, axis=d, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=d, keepdims=True))
    return x - m.log(m.sum(m.exp(x), (d,), True))


def _softmax_rule(fn):
    def rule(m, a, at, s):
        x = a[0]
        if at is None:  # 0-d input: softmax over a single element
            return fn(m, x.reshape(1), 0).reshape(())
        return fn(m, x, at)

    return rule


def _index_scatter(m, a, at, s):
    shape, idx = at
    out = m.zeros(shape)
    np.add.at(out, idx, a[0])
    return out


def _setitem(m, a, at, s):
    idx, _ = at
    out = a[0].copy()
    out[idx] = a[1]
    return out


def _rsub(m, a, at, s):
    return m.scalar(at) - a[0]


def _rpow(m, a, at, s):
    if not m.symbolic:
        return np.power(float(at), a[0])
    base = nice_number(at)
    return elementwise(lambda v: base**v)(a[0])


def _norm(m, a, at, s):
    dims, keepdim = at
    x = a[0]
    return m.sqrt(m.sum(x * x, dims, keepdim))


def split_rule(m, a, at, s):
    d, sizes = at[0], at[1]
    return np.split(a[0], np.cumsum(sizes)[:-1], axis=d)


def _unbind(m, a, at, s):
    d = at[0]
    return [np.take(a[0], i, axis=d) for i in range(a[0].shape[d])]


def transpose_rule(m, a, at, s):
    return np.transpose(a[0], at)


# key -> rule(m, args, attrs, out_shape); multi-output rules (split) return a list of arrays
CORE = {
    "add": lambda m, a, at, s: a[0] + a[1],
    "sub": lambda m, a, at, s: a[0] - a[1],
    "rsub": _rsub,
    "mul": lambda m, a, at, s: a[0] * a[1],
    "div": lambda m, a, at, s: a[0] / a[1],
    "reciprocal": lambda m, a, at, s: m.scalar(1) / a[0],
    "pow": lambda m, a, at, s: m.pow(a[0], at),
    "pow_tt": lambda m, a, at, s: a[0] ** a[1],
    "rpow": _rpow,
    "neg": lambda m, a, at, s: -a[0],
    "exp": lambda m, a, at, s: m.exp(a[0]),
    "log": lambda m, a, at, s: m.log(a[0]),
    "sqrt": lambda m, a, at, s: m.sqrt(a[0]),
    "sin": lambda m, a, at, s: m.sin(a[0]),
    "cos": lambda m, a, at, s: m.cos(a[0]),
    "tanh": lambda m, a, at, s: m.tanh(a[0]),
    "sigmoid": lambda m, a, at, s: m.sigmoid(a[0]),
    "relu": lambda m, a, at, s: m.relu(a[0]),
    "abs": lambda m, a, at, s: m.abs(a[0]),
    "sign": lambda m, a, at, s: m.sign(a[0]),
    "floor": lambda m, a, at, s: m.floor(a[0]),
    "ceil": lambda m, a, at, s: m.ceil(a[0]),
    "round": lambda m, a, at, s: m.round(a[0]),
    "amax": lambda m, a, at, s: m.amax(a[0], at[0], at[1]),
    "amin": lambda m, a, at, s: m.amin(a[0], at[0], at[1]),
    "norm": _norm,
    "split": split_rule,
    "split_sizes": split_rule,
    "unbind": _unbind,
    "clamp": lambda m, a, at, s: m.clamp(a[0], at[0], at[1]),
    "clamp_min": lambda m, a, at, s: m.clamp(a[0], at, None),
    "maximum": lambda m, a, at, s: m.maximum(a[0], a[1]),
    "minimum": lambda m, a, at, s: m.minimum(a[0], a[1]),
    "where": lambda m, a, at, s: m.where(at[0], a[0], a[1]),
    "sum": lambda m, a, at, s: m.sum(a[0], at[1], at[2]),
    "sum_dim": lambda m, a, at, s: m.sum(a[0], at[1], at[2]),
    "mean": mean_rule,
    "mean_dim": mean_rule,
    "max_all": lambda m, a, at, s: m.amax(a[0], None, False),
    "min_all": lambda m, a, at, s: m.amin(a[0], None, False),
    "max_dim": lambda m, a, at, s: m.amax(a[0], (at[1],), at[2]),
    "min_dim": lambda m, a, at, s: m.amin(a[0], (at[1],), at[2]),
    "prod": lambda m, a, at, s: m.prod(a[0], at[1], at[2]),
    "prod_dim": lambda m, a, at, s: m.prod(a[0], at[1], at[2]),
    "var": lambda m, a, at, s: moment(m, a, at, s, False),
    "std": lambda m, a, at, s: moment(m, a, at, s, True),
    "view": lambda m, a, at, s: a[0].reshape(s),
    "unsafe_view": lambda m, a, at, s: a[0].reshape(s),
    "squeeze": lambda m, a, at, s: a[0].reshape(s),
    "squeeze_dim": lambda m, a, at, s: a[0].reshape(s),
    "unsqueeze": lambda m, a, at, s: a[0].reshape(s),
    "t": lambda m, a, at, s: np.transpose(a[0], at),
    "transpose": transpose_rule,
    "permute": lambda m, a, at, s: np.transpose(a[0], at),
    "expand": lambda m, a, at, s: np.broadcast_to(a[0], s),
    "clone": lambda m, a, at, s: a[0],
    "alias": lambda m, a, at, s: a[0],
    "to": lambda m, a, at, s: a[0],
    "select": lambda m, a, at, s: a[0][at[1]],
    "slice": lambda m, a, at, s: a[0][at[1]],
    "index": lambda m, a, at, s: a[0][at[1]],
    "index_scatter": _index_scatter,
    "setitem": _setitem,
    "cat": lambda m, a, at, s: np.concatenate(a, axis=at[0]),
    "stack": lambda m, a, at, s: np.stack(a, axis=at[0]),
    "mm": lambda m, a, at, s: m.matmul(a[0], a[1]),
    "dot": lambda m, a, at, s: m.matmul(a[0], a[1]),
    "mv": lambda m, a, at, s: m.matmul(a[0], a[1]),
    "bmm": lambda m, a, at, s: m.matmul(a[0], a[1]),
    "softmax": _softmax_rule(_softmax),
    "log_softmax": _softmax_rule(_log_softmax),
}



def _nll(m, a, at, s):
    _, pick, coef, _ = at
    picked = -(a[0][pick] * m.arr(np.asarray(coef)))
    return m.sum(picked, None, False) if len(s) == 0 else picked


def _mse(m, a, at, s):
    reduction, n, _, _ = at
    d = a[0] - a[1]
    return reduce_loss(m, d * d, reduction, n)


def _log_clamped(m, x):
    # PyTorch clamps each log at -100; the clamp only matters at p in {0, 1}
    return np.maximum(np.log(x), -100.0) if not m.symbolic else m.log(x)


def _bce(m, a, at, s):
    reduction, n, w = at
    p, y = a
    one = m.scalar(1)
    loss = -(y * _log_clamped(m, p) + (one - y) * _log_clamped(m, one - p))
    if w is not None:
        loss = loss * m.arr(w)
    return reduce_loss(m, loss, reduction, n)


def _log_sigmoid(m, x):
    if not m.symbolic:
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return -m.log(m.scalar(1) + m.exp(-x))


def _bce_logits(m, a, at, s):
    reduction, n, w, pw = at
    x, y = a
    one = m.scalar(1)
    c = one if pw is None else one + (m.arr(pw) - one) * y
    loss = (one - y) * x - c * _log_sigmoid(m, x)
    if w is not None:
        loss = loss * m.arr(w)
    return reduce_loss(m, loss, reduction, n)


CORE.update({
    "addmm": lambda m, a, at, s: a[0] + m.matmul(a[1], a[2]),
    "nll_loss": _nll,
    "nll_loss2d": _nll,
    "mse_loss": _mse,
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
})


for _key, _rule in CORE.items():
    rt.register(_key, _rule)
