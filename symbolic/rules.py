"""One forward rule per engine op key, written once against a math namespace: ``NUM`` (float64
numpy, used for finite differences and for replaying the recorded graph) or ``SYM`` (numpy object
arrays of sympy expressions, used for closed forms).

A rule is ``rule(m, args, attrs, out_shape)``: ``args`` are the op's inputs as the namespace's
arrays (Python scalars stay scalars), ``attrs`` the node's ``_attrs`` as the engine stored them.
Kinks follow the engine's subgradient conventions (``relu'(0) = 0``, ``clamp'(lo) = 1``, ties of
``maximum`` split in half) so that the closed form agrees with the engine even at a kink.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from sympy.core.parameters import distribute


def nice_number(v):
    """A sympy number for a recorded constant: integers stay exact (``x**2``, not ``x**2.0``),
    other values keep their shortest decimal in their own dtype (float32 ``0.1`` -> ``0.1``)."""
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, bool | np.bool_):
        return sp.Integer(int(v))
    if isinstance(v, int | np.integer):
        return sp.Integer(int(v))
    f = float(v)
    if math.isfinite(f) and f == int(f) and abs(f) < 2**53:
        return sp.Integer(int(f))
    if math.isnan(f):
        return sp.nan
    if math.isinf(f):
        return sp.oo if f > 0 else -sp.oo
    if isinstance(v, np.floating):
        return sp.Float(str(v), 15)
    return sp.Float(repr(f), 15)


def _obj(x):
    """``x`` as an object ndarray (numpy returns bare objects for 0-d object results)."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return x
    if isinstance(x, np.ndarray):
        out = np.empty(x.shape, dtype=object)
        flat = out.reshape(-1)
        for i, v in enumerate(x.reshape(-1)):
            flat[i] = nice_number(v)
        return out
    out = np.empty((), dtype=object)
    out[()] = x if isinstance(x, sp.Basic) else nice_number(x)
    return out


def canonical(build):
    """``build`` run with sympy's distribution on. The check derives under distribute(False),
    where -(a + b) stays Mul(-1, a + b) and both u and -u "could extract a minus sign": even and
    odd functions (sin, cos, cosh, tanh, Abs, ...), which rewrite f(-u) as ±f(u), then recurse
    until RecursionError -- directly, or when Piecewise/Max rebuild their arguments. With
    distribution on, -u is a plain sum again and the rewrite happens once."""

    def run(*args):
        with distribute(True):
            return build(*args)

    return run


def _elementwise(f):
    vf = np.frompyfunc(f, 1, 1)
    return canonical(lambda x: _obj(vf(_obj(x))))


def _elementwise2(f):
    vf = np.frompyfunc(f, 2, 1)
    return canonical(lambda a, b: _obj(vf(_obj(a), _obj(b))))


def _reduce_axes(x, dims):
    return tuple(range(x.ndim)) if dims is None else tuple(d % max(x.ndim, 1) for d in dims)


def _sym_reduce(x, dims, keepdim, combine):
    x = _obj(x)
    if x.ndim == 0:
        return x
    axes = _reduce_axes(x, dims)
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape([x.shape[d] for d in rest] + [-1])
    out = np.empty(flat.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = combine(*flat[idx])
    if keepdim:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return out


class relu(sp.Function):  # reads as relu(x) in closed forms
    """max(x, 0) with the engine's convention relu'(0) = 0 (``Heaviside(x, 0)``)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)


def _flat_function(name: str, f):
    """A sympy function that is piecewise constant (sign, floor, ...): derivative 0, as the
    engine's (and PyTorch's) backward says, and a float value through numpy."""

    def eval_(cls, x):
        return nice_number(f(float(x))) if x.is_Number else None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    return type(name, (sp.Function,), {"eval": classmethod(eval_), "fdiff": fdiff,
                                       "numeric": staticmethod(f)})


sign_fn = _flat_function("sign", np.sign)
floor_fn = _flat_function("floor", np.floor)
ceil_fn = _flat_function("ceil", np.ceil)
round_fn = _flat_function("round", np.round)


def _bound(name: str, pick, step_x, step_bound, tex: str):
    """``Max(x, lo)`` / ``Min(x, hi)`` as the engine's clamp differentiates them: the grad
    passes through at the bound itself (``Heaviside(x - lo, 1)``), unlike sympy's ``Max``."""

    def eval_(cls, x, b):
        return pick(x, b) if x.is_Number and b.is_Number else None

    def fdiff(self, argindex=1):
        x, b = self.args
        return step_x(x, b) if argindex == 1 else step_bound(x, b)

    def printed(fmt):
        def show(self, p, exp=None):  # LaTeX passes exp= for a power of the function
            text = fmt.format(p._print(self.args[0]), p._print(self.args[1]))
            return text if exp is None else rf"\left({text}\right)^{{{exp}}}"
        return show

    return type(name, (sp.Function,), {
        "eval": classmethod(eval_), "fdiff": fdiff,
        "numeric": staticmethod(lambda x, b: float(pick(x, b))),
        "_sympystr": printed(name.split("_")[0].capitalize() + "({}, {})"),
        "_latex": printed(tex),
        "_pretty": lambda self, p: p._print(sp.Function(name.split("_")[0].capitalize())(
            *self.args)),
    })


clamp_min = _bound("max_clamp", lambda x, b: x if x >= b else b,
                   lambda x, b: sp.Heaviside(x - b, 1), lambda x, b: sp.Heaviside(b - x, 0),
                   r"\max\left({}, {}\right)")
clamp_max = _bound("min_clamp", lambda x, b: x if x <= b else b,
                   lambda x, b: sp.Heaviside(b - x, 1), lambda x, b: sp.Heaviside(x - b, 0),
                   r"\min\left({}, {}\right)")


def _piece_clamp(lo, hi):
    def f(x):
        if lo is not None:
            x = clamp_min(x, nice_number(lo))
        if hi is not None:
            x = clamp_max(x, nice_number(hi))
        return x

    return f


# maximum/minimum split the grad of a tie in half (the engine's and PyTorch's convention). As
# functions rather than Piecewise((a, a > b), (b, a < b), ((a + b)/2, True)): nested maxima of
# Piecewise multiply out (piecewise_fold) into expressions sympy needs minutes to build.
_half = sp.Rational(1, 2)
max_tie = _bound("max_tie", lambda x, b: x if x >= b else b,
                 lambda x, b: sp.Heaviside(x - b, _half), lambda x, b: sp.Heaviside(b - x, _half),
                 r"\max\left({}, {}\right)")
min_tie = _bound("min_tie", lambda x, b: x if x <= b else b,
                 lambda x, b: sp.Heaviside(b - x, _half), lambda x, b: sp.Heaviside(x - b, _half),
                 r"\min\left({}, {}\right)")


class SYM:
    """sympy on object arrays."""

    symbolic = True
    arr = staticmethod(_obj)
    scalar = staticmethod(lambda v: _obj(nice_number(v)))
    exp = staticmethod(_elementwise(sp.exp))
    log = staticmethod(_elementwise(sp.log))
    sqrt = staticmethod(_elementwise(sp.sqrt))
    sin = staticmethod(_elementwise(sp.sin))
    cos = staticmethod(_elementwise(sp.cos))
    tanh = staticmethod(_elementwise(sp.tanh))
    abs = staticmethod(_elementwise(sp.Abs))
    sigmoid = staticmethod(_elementwise(lambda x: 1 / (1 + sp.exp(-x))))
    relu = staticmethod(_elementwise(relu))
    sign = staticmethod(_elementwise(sign_fn))
    floor = staticmethod(_elementwise(floor_fn))
    ceil = staticmethod(_elementwise(ceil_fn))
    round = staticmethod(_elementwise(round_fn))
    maximum = staticmethod(_elementwise2(max_tie))
    minimum = staticmethod(_elementwise2(min_tie))

    @staticmethod
    def clamp(x, lo, hi):
        return _elementwise(_piece_clamp(lo, hi))(x)

    @staticmethod
    def pow(x, e):
        e = nice_number(e)
        if isinstance(e, sp.Float):
            r = sp.Rational(float(e)).limit_denominator(64)
            e = r if float(r) == float(e) else e
        return _elementwise(lambda v: v**e)(x)

    @staticmethod
    def sum(x, dims, keepdim):
        return _sym_reduce(x, dims, keepdim, sp.Add)

    @staticmethod
    def prod(x, dims, keepdim):
        return _sym_reduce(x, dims, keepdim, sp.Mul)

    @staticmethod
    def amax(x, dims, keepdim):
        return canonical(_sym_reduce)(x, dims, keepdim, sp.Max)

    @staticmethod
    def amin(x, dims, keepdim):
        return canonical(_sym_reduce)(x, dims, keepdim, sp.Min)

    @staticmethod
    def matmul(a, b):
        a, b = _obj(a), _obj(b)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        prod = a2[..., :, :, None] * b2[..., None, :, :]
        out = SYM.sum(prod, (prod.ndim - 2,), False)
        if b.ndim == 1:
            out = out[..., 0]
        if a.ndim == 1:
            out = out[..., 0, :] if b.ndim > 1 else out[..., 0]
        return _obj(out)

    @staticmethod
    def zeros(shape):
        out = np.empty(shape, dtype=object)
        out[...] = sp.Integer(0)
        return out

    @staticmethod
    def where(c, a, b):
        return _obj(np.where(c, _obj(a), _obj(b)))


class NUM:
    """float64 numpy."""

    symbolic = False
    arr = staticmethod(lambda x: np.asarray(x, dtype=np.float64))
    scalar = staticmethod(float)
    exp, log, sqrt, sin, cos, tanh, abs = np.exp, np.log, np.sqrt, np.sin, np.cos, np.tanh, np.abs
    sigmoid = staticmethod(lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)))
    relu = staticmethod(lambda x: np.where(x > 0, x, 0.0))
    sign, floor, ceil, round = np.sign, np.floor, np.ceil, np.round
    maximum, minimum = np.maximum, np.minimum
    clamp = staticmethod(lambda x, lo, hi: np.clip(x, lo, hi))
    pow = staticmethod(lambda x, e: np.power(x, float(e)))
    sum = staticmethod(lambda x, dims, keepdim: np.sum(x, axis=_axes(x, dims), keepdims=keepdim))
    prod = staticmethod(lambda x, dims, keepdim: np.prod(x, axis=_axes(x, dims), keepdims=keepdim))
    amax = staticmethod(lambda x, dims, keepdim: np.max(x, axis=_axes(x, dims), keepdims=keepdim))
    amin = staticmethod(lambda x, dims, keepdim: np.min(x, axis=_axes(x, dims), keepdims=keepdim))
    matmul = staticmethod(np.matmul)
    zeros = staticmethod(lambda shape: np.zeros(shape))
    where = staticmethod(np.where)


def _axes(x, dims):
    return None if dims is None or np.ndim(x) == 0 else tuple(dims)


def _count(shape, dims):
    if dims is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in dims], dtype=np.int64))


def _div_count(m, x, n):
    return x / (sp.Integer(n) if m.symbolic else float(n))


def _mean(m, a, at, s):
    shape, dims, keepdim = at
    return _div_count(m, m.sum(a[0], dims, keepdim), _count(shape, dims))


def _moment(m, a, at, s, root):
    shape, dims, corr, keepdim = at
    x = a[0]
    n = _count(shape, dims)
    mu = _div_count(m, m.sum(x, dims, True), n)
    d = x - mu
    v = _div_count(m, m.sum(d * d, dims, keepdim), n - corr)
    return m.sqrt(v) if root else v


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
    return _elementwise(lambda v: base**v)(a[0])


def _norm(m, a, at, s):
    dims, keepdim = at
    x = a[0]
    return m.sqrt(m.sum(x * x, dims, keepdim))


def _split(m, a, at, s):
    d, sizes = at[0], at[1]
    return np.split(a[0], np.cumsum(sizes)[:-1], axis=d)


def _unbind(m, a, at, s):
    d = at[0]
    return [np.take(a[0], i, axis=d) for i in range(a[0].shape[d])]


# key -> rule(m, args, attrs, out_shape); multi-output rules (split) return a list of arrays
RULES = {
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
    "split": _split,
    "split_sizes": _split,
    "unbind": _unbind,
    "clamp": lambda m, a, at, s: m.clamp(a[0], at[0], at[1]),
    "clamp_min": lambda m, a, at, s: m.clamp(a[0], at, None),
    "maximum": lambda m, a, at, s: m.maximum(a[0], a[1]),
    "minimum": lambda m, a, at, s: m.minimum(a[0], a[1]),
    "where": lambda m, a, at, s: m.where(at[0], a[0], a[1]),
    "sum": lambda m, a, at, s: m.sum(a[0], at[1], at[2]),
    "sum_dim": lambda m, a, at, s: m.sum(a[0], at[1], at[2]),
    "mean": _mean,
    "mean_dim": _mean,
    "max_all": lambda m, a, at, s: m.amax(a[0], None, False),
    "min_all": lambda m, a, at, s: m.amin(a[0], None, False),
    "max_dim": lambda m, a, at, s: m.amax(a[0], (at[1],), at[2]),
    "min_dim": lambda m, a, at, s: m.amin(a[0], (at[1],), at[2]),
    "prod": lambda m, a, at, s: m.prod(a[0], at[1], at[2]),
    "prod_dim": lambda m, a, at, s: m.prod(a[0], at[1], at[2]),
    "var": lambda m, a, at, s: _moment(m, a, at, s, False),
    "std": lambda m, a, at, s: _moment(m, a, at, s, True),
    "view": lambda m, a, at, s: a[0].reshape(s),
    "unsafe_view": lambda m, a, at, s: a[0].reshape(s),
    "squeeze": lambda m, a, at, s: a[0].reshape(s),
    "squeeze_dim": lambda m, a, at, s: a[0].reshape(s),
    "unsqueeze": lambda m, a, at, s: a[0].reshape(s),
    "t": lambda m, a, at, s: np.transpose(a[0], at),
    "transpose": lambda m, a, at, s: np.transpose(a[0], at),
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


# ---- ops registered by engine.nn.functional ------------------------------------------------------
def _reduce(m, loss, reduction, n):
    if reduction == "mean":
        return _div_count(m, m.sum(loss, None, False), n)
    if reduction == "sum":
        return m.sum(loss, None, False)
    return loss


def _nll(m, a, at, s):
    _, pick, coef, _ = at
    picked = -(a[0][pick] * m.arr(np.asarray(coef)))
    return m.sum(picked, None, False) if len(s) == 0 else picked


def _mse(m, a, at, s):
    reduction, n, _, _ = at
    d = a[0] - a[1]
    return _reduce(m, d * d, reduction, n)


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
    return _reduce(m, loss, reduction, n)


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
    return _reduce(m, loss, reduction, n)


RULES.update({
    "addmm": lambda m, a, at, s: a[0] + m.matmul(a[1], a[2]),
    "nll_loss": _nll,
    "nll_loss2d": _nll,
    "mse_loss": _mse,
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
})


def register(key: str, rule) -> None:
    """Add a rule for an op registered outside the engine core (e.g. engine.nn.functional)."""
    RULES[key] = rule


def apply(m, key: str, args, attrs, out_shapes) -> tuple:
    """Run ``key``'s rule in namespace ``m``: one array per output, shaped as recorded."""
    rule = RULES.get(key)
    if rule is None:
        raise KeyError(f"no symbolic rule for engine op {key!r}")
    conv = tuple(m.arr(x) if isinstance(x, np.ndarray) else
                 x if isinstance(x, tuple | list) or x is None else m.scalar(x) for x in args)
    res = rule(m, conv, attrs, tuple(out_shapes[0]) if len(out_shapes) == 1 else None)
    res = list(res) if len(out_shapes) > 1 else [res]
    outs = []
    for r, shape in zip(res, out_shapes, strict=True):
        out = m.arr(r)
        if out.shape != tuple(shape):
            out = np.broadcast_to(out, shape) if out.size == 1 else out.reshape(shape)
        outs.append(out)
    return tuple(outs)


# numpy versions of the sympy functions these rules introduce (for ``sp.lambdify(..., modules=
# [NUMPY_FUNCS, "numpy"])``): relu, the clamp bounds (printed Max/Min), the flat functions
NUMPY_FUNCS = {
    "relu": lambda v: np.maximum(v, 0.0),
    "max_clamp": np.maximum,
    "min_clamp": np.minimum,
    "max_tie": np.maximum,
    "min_tie": np.minimum,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": np.round,
    "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0),
    "DiracDelta": lambda v, *_k: np.zeros_like(np.asarray(v, dtype=float)),
}

from . import rules_nn_extra  # noqa: E402, F401  (registers its rules; imports this module)
from . import rules_layers  # noqa: E402, F401
from . import rules_arith  # noqa: E402, F401  (registers its rules; imports this module)
from . import rules_math_extra  # noqa: E402, F401
from . import rules_views  # noqa: E402, F401  (the same, for views and in-place rows)
from . import rules_more  # noqa: E402, F401  (the same, for engine.more_ops)
from . import rules_trig_act  # noqa: E402, F401  (the same, for trig, arith_more and activation_more)
from . import rules_index_more  # noqa: E402, F401  (the same, for engine.index_more)
