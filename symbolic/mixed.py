"""``MIX``: the ``SYM`` namespace for large graphs, where only a few sampled elements are symbols.

In ``SYM`` every entry of every tensor is a sympy object, so a 784-64 layer on a batch of 8 costs
400,000 sympy multiplications before the first symbol is met. Here entries that don't depend on
a symbol stay Python floats and are computed as floats (elementwise functions, sums); a matrix
product is a float matmul plus the terms of the few symbolic entries. The closed forms are the
same expressions, with the constants as float64 numbers instead of their shortest decimals (the
display rounds them anyway).
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np
import sympy as sp

from . import rule_table, rules
from .rules import SYM, canonical


def _is_num(v) -> bool:
    return isinstance(v, float | int) and not isinstance(v, bool)


def _arr(x):
    """An object array whose numbers are Python floats (sympy expressions kept)."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return x
    if isinstance(x, np.ndarray):
        return np.asarray(x, dtype=np.float64).astype(object)
    out = np.empty((), dtype=object)
    if isinstance(x, sp.Basic):
        out[()] = float(x) if x.is_Number and x.is_finite else x
    else:
        out[()] = float(x)
    return out


def _unevaluated(fn):
    """``fn(x)`` without sympy's automatic simplification of the argument when ``fn`` is a
    function class: on a 30-term sum, tanh's sign extraction alone costs ~20 ms a call."""
    if isinstance(fn, type) and issubclass(fn, sp.Function):
        return lambda *a: fn(*a, evaluate=False)
    return fn


def _mixed(sym_fn, num_fn):
    # canonical (distribution on) once per array, not per element: switching it clears all of
    # sympy's caches, 5 ms a time
    sym_fn = _unevaluated(sym_fn)

    def one(v):
        if _is_num(v):
            try:
                return float(num_fn(v))
            except (OverflowError, ValueError, ZeroDivisionError):
                return float(np.float64(num_fn(np.float64(v))))
        return sym_fn(v)

    vf = np.frompyfunc(one, 1, 1)
    canon = canonical(lambda x: _arr(vf(x)))

    def apply(x):
        x = _arr(x)
        return _arr(vf(x)) if _all_numbers(x) else canon(x)

    return apply


def _mixed2(sym_fn, num_fn):
    def one(a, b):
        return float(num_fn(a, b)) if _is_num(a) and _is_num(b) else sym_fn(a, b)

    vf = np.frompyfunc(one, 2, 1)
    canon = canonical(lambda a, b: _arr(vf(a, b)))

    def apply(a, b):
        a, b = _arr(a), _arr(b)
        return _arr(vf(a, b)) if _all_numbers(a) and _all_numbers(b) else canon(a, b)

    return apply


def _all_numbers(x) -> bool:
    return all(_is_num(v) for v in x.reshape(-1))


def _exp(v):
    return math.exp(v) if v < 700 else math.inf


def _log(v):
    return math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)


def _combine(sym_op, num_op):
    def combine(*vals):
        if all(_is_num(v) for v in vals):
            return float(num_op(vals))
        return sym_op(*vals)

    return combine


def _reduce(x, dims, keepdim, combine):
    x = _arr(x)
    if x.ndim == 0:
        return x
    axes = rule_table.reduce_axes(x, dims)
    rest = [d for d in range(x.ndim) if d not in axes]
    flat = np.transpose(x, rest + list(axes)).reshape([x.shape[d] for d in rest] + [-1])
    out = np.empty(flat.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = combine(*flat[idx])
    if keepdim:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return out


def _extreme(x, dims, keepdim, sym_op, num_op):
    x = _arr(x)
    run = lambda: _reduce(x, dims, keepdim, _combine(sym_op, num_op))  # noqa: E731
    return run() if _all_numbers(x) else canonical(run)()


def _numeric_part(a):
    """(float array with symbolic entries 0, indices of the symbolic entries)."""
    flat = a.reshape(-1)
    sym = [i for i, v in enumerate(flat) if not _is_num(v)]
    num = np.array([0.0 if not _is_num(v) else v for v in flat], dtype=np.float64)
    return num.reshape(a.shape), sym


def _matmul2(a, b):
    """2-D product: float matmul of the numeric parts, plus the symbolic entries' terms (each
    output entry's terms gathered into one sum, not a chain of binary ones)."""
    an, sa = _numeric_part(a)
    bn, sb = _numeric_part(b)
    out = (an @ bn).astype(object)
    k, n = a.shape[1], b.shape[1]
    terms: dict = {}
    for f in sa:
        i, j = divmod(f, k)
        aij = a[i, j]
        for c in range(n):
            bv = b[j, c]
            if not (_is_num(bv) and bv == 0):
                terms.setdefault((i, c), []).append(aij * bv)
    for f in sb:
        i, j = divmod(f, n)
        bij = b[i, j]
        col = an[:, i]
        for r in np.flatnonzero(col):
            terms.setdefault((int(r), j), []).append(float(col[r]) * bij)
    for (i, c), ts in terms.items():
        base = out[i, c]
        out[i, c] = sp.Add(*ts) if base == 0 else sp.Add(base, *ts)
    return out


_LOCAL = threading.local()
_KINK = 1e-6  # this close to relu's kink, the full Piecewise is kept


@contextlib.contextmanager
def local_pieces():
    """Within it, ``MIX.relu`` of a symbolic entry is the piece its recorded input lies on: the
    entry where the input was > 0, the constant 0 where it was < 0 (the full Piecewise only at
    the kink). That piece is the function itself in a neighbourhood of the recorded point, so
    its derivative there is exact; behind a convolution it drops half the symbolic entries and
    their sums over positions."""
    _LOCAL.on = True
    try:
        yield
    finally:
        _LOCAL.on = False
        _LOCAL.inputs = None


@contextlib.contextmanager
def _node_inputs(graph, node):
    """The recorded values of ``node``'s inputs, for the rule about to run on it."""
    if not getattr(_LOCAL, "on", False):
        yield
        return
    vals = []
    for r in node.inputs:
        if r.kind == "leaf":
            vals.append(graph.leaves[r.index].value)
        elif r.kind == "node":
            vals.append(graph.nodes[r.index].out_values[r.out_nr])
        else:
            vals.append(None)
    _LOCAL.inputs = vals
    try:
        yield
    finally:
        _LOCAL.inputs = None


def _recorded_input(k, shape):
    vals = getattr(_LOCAL, "inputs", None)
    if not vals or k >= len(vals) or vals[k] is None:
        return None
    v = np.asarray(vals[k])
    return v if v.shape == tuple(shape) and v.dtype.kind == "f" else None


_relu_all = None  # set below: the elementwise relu with the full Piecewise


def _relu(x):
    x = _arr(x)
    rec = _recorded_input(0, x.shape)
    if rec is None:
        return _relu_all(x)
    out = np.empty(x.shape, dtype=object)
    kinks = []
    for idx, v in np.ndenumerate(x):
        if _is_num(v):
            out[idx] = v if v > 0 else 0.0
        elif rec[idx] > _KINK:
            out[idx] = v
        elif rec[idx] < -_KINK:
            out[idx] = 0.0
        else:
            kinks.append(idx)
    if kinks:
        for idx, v in zip(kinks, canonical(lambda: [rules.relu(x[i]) for i in kinks])(),
                          strict=True):
            out[idx] = v
    return out


class MIX(SYM):
    arr = staticmethod(_arr)
    scalar = staticmethod(lambda v: _arr(float(v)) if not isinstance(v, sp.Basic) else _arr(v))
    exp = staticmethod(_mixed(sp.exp, _exp))
    log = staticmethod(_mixed(sp.log, _log))
    sqrt = staticmethod(_mixed(sp.sqrt, lambda v: math.sqrt(v) if v >= 0 else math.nan))
    sin = staticmethod(_mixed(sp.sin, math.sin))
    cos = staticmethod(_mixed(sp.cos, math.cos))
    tanh = staticmethod(_mixed(sp.tanh, math.tanh))
    abs = staticmethod(_mixed(sp.Abs, abs))
    sigmoid = staticmethod(_mixed(lambda x: 1 / (1 + sp.exp(-x)),
                                  lambda v: 0.5 * (1.0 + math.tanh(0.5 * v))))
    relu = staticmethod(_relu)
    at_node = staticmethod(_node_inputs)
    sign = staticmethod(_mixed(rules.sign_fn, lambda v: float(np.sign(v))))
    floor = staticmethod(_mixed(rules.floor_fn, math.floor))
    ceil = staticmethod(_mixed(rules.ceil_fn, math.ceil))
    round = staticmethod(_mixed(rules.round_fn, lambda v: float(np.round(v))))
    maximum = staticmethod(_mixed2(rules.max_tie, max))
    minimum = staticmethod(_mixed2(rules.min_tie, min))

    @staticmethod
    def clamp(x, lo, hi):
        def num(v):
            if lo is not None:
                v = max(v, float(lo))
            if hi is not None:
                v = min(v, float(hi))
            return v

        return _mixed(rule_table.piece_clamp(lo, hi), num)(x)

    @staticmethod
    def pow(x, e):
        e = rules.nice_number(e)
        if isinstance(e, sp.Float):
            r = sp.Rational(float(e)).limit_denominator(64)
            e = r if float(r) == float(e) else e
        fe = float(e)

        def num(v):
            try:
                return v ** fe if v >= 0 or fe == int(fe) else math.nan
            except ZeroDivisionError:
                return math.inf
        return _mixed(lambda v: v**e, num)(x)

    @staticmethod
    def sum(x, dims, keepdim):
        return _reduce(x, dims, keepdim, _combine(sp.Add, math.fsum))

    @staticmethod
    def prod(x, dims, keepdim):
        return _reduce(x, dims, keepdim, _combine(sp.Mul, math.prod))

    @staticmethod
    def amax(x, dims, keepdim):
        return _extreme(x, dims, keepdim, sp.Max, max)

    @staticmethod
    def amin(x, dims, keepdim):
        return _extreme(x, dims, keepdim, sp.Min, min)

    @staticmethod
    def matmul(a, b):
        a, b = _arr(a), _arr(b)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a2.ndim == 2 and b2.ndim == 2:
            out = _matmul2(a2, b2)
        else:
            lead = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
            a3 = np.broadcast_to(a2, lead + a2.shape[-2:])
            b3 = np.broadcast_to(b2, lead + b2.shape[-2:])
            out = np.empty(lead + (a2.shape[-2], b2.shape[-1]), dtype=object)
            for idx in np.ndindex(*lead):
                out[idx] = _matmul2(a3[idx], b3[idx])
        if b.ndim == 1:
            out = out[..., 0]
        if a.ndim == 1:
            out = out[..., 0, :] if b.ndim > 1 else out[..., 0]
        return _arr(out)

    @staticmethod
    def zeros(shape):
        return np.zeros(shape).astype(object)

    @staticmethod
    def where(c, a, b):
        return _arr(np.where(c, _arr(a), _arr(b)))


_relu_all = _mixed(rules.relu, lambda v: v if v > 0 else 0.0)


def worth_it(call, limit: int = 1_000) -> bool:
    """True when the graph is large enough that ``MIX`` pays (its constants print as floats)."""
    g = call.graph
    total = sum(lf.value.size for lf in g.leaves)
    total += sum(o.size for n in g.nodes for o in n.out_values if o is not None)
    return total > limit


# ops whose output element is a sum over many positions of a symbolic input: behind one, an
# element's scalar closed form is a sum over every output position (thousands of terms for a
# small CNN: minutes of sympy, and unreadable), while the matrix form covers it exactly
SUMS_OVER_POSITIONS = frozenset({"convolution", "sdpa_flash"})


def behind(call, keys=SUMS_OVER_POSITIONS) -> set[int]:
    """Indices of the targets whose values flow into a node with one of ``keys``."""
    g = call.graph
    target_of_leaf = {t.leaf: ti for ti, t in enumerate(call.targets) if t.leaf is not None}
    cut_of = {t.cut: ti for ti, t in enumerate(call.targets) if t.cut is not None}
    deps: dict = {}
    found: set[int] = set()
    for i, node in enumerate(g.nodes):
        d: set[int] = set()
        for r in node.inputs:
            if r.kind == "leaf" and r.index in target_of_leaf:
                d.add(target_of_leaf[r.index])
            elif r.kind == "node":
                d |= deps.get((r.index, r.out_nr), set())
        if node.key in keys:
            found |= d
        for nr in range(len(node.out_values)):
            deps[(i, nr)] = d | ({cut_of[(i, nr)]} if (i, nr) in cut_of else set())
    return found
