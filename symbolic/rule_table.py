"""The symbolic rule registry: one forward rule per engine op key, written once against a math
namespace: ``NUM`` (float64 numpy, used for finite differences and for replaying the recorded
graph) or ``SYM`` (numpy object arrays of sympy expressions, used for closed forms).

A rule is ``rule(ns, args, attrs, out_shape)``: ``ns`` is the namespace, ``args`` the op's
inputs as its arrays (Python scalars stay scalars), ``attrs`` the node's ``_attrs`` as the engine
stored them, ``out_shape`` the recorded output's shape.
Kinks follow the engine's subgradient conventions (``relu'(0) = 0``, ``clamp'(lo) = 1``, ties of
``maximum`` split in half) so that the closed form agrees with the engine even at a kink.

This module holds the table (``RULES``, ``register``), the numpy twins of the sympy functions
the rules introduce (``NUMPY_FUNCS``, filled by ``numpy_twin``: lambdify's module dict), the two
namespaces and the helpers the rule families share. It imports no family: each ``rules_*``
module imports it and registers its rows; ``symbolic.rules`` imports every family, so code
that applies rules imports ``symbolic.rules``. An engine op row that carries its forward on this
protocol (``Op.sym``: an elementwise row's ``sym(ns, x)`` calling ``ns.log``, ``ns.tan``, ...,
any other row's ``sym(ns, args, attrs, out_shape)``) needs no entry here: ``RULES`` reads it
from the row. The entries here are the rules of rows that do not carry theirs (not moved yet,
or needing a sympy-only construct), keyed by the row's key.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping

import numpy as np
import sympy as sp
from sympy.core.parameters import distribute

from engine.ops import OPS


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


# numpy versions of the sympy functions the rules introduce, by printed name, for
# ``sp.lambdify(..., modules=[NUMPY_FUNCS, "numpy"])``; filled only by ``numpy_twin``
NUMPY_FUNCS: dict = {
    "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0),
    "DiracDelta": lambda v, *_k: np.zeros_like(np.asarray(v, dtype=float)),
}


def numpy_twin(array_fn):
    """Class decorator: ``array_fn`` is the numpy twin of the sympy function class, carried as
    ``cls.numpy`` and found by lambdify under the name sympy prints for the class."""

    def attach(fn):
        fn.numpy = staticmethod(array_fn)
        NUMPY_FUNCS[fn.__name__] = array_fn
        return fn

    return attach


def as_objects(x):
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


def elementwise(f):
    vf = np.frompyfunc(f, 1, 1)
    return canonical(lambda x: as_objects(vf(as_objects(x))))


def elementwise2(f):
    vf = np.frompyfunc(f, 2, 1)
    return canonical(lambda a, b: as_objects(vf(as_objects(a), as_objects(b))))


def reduce_axes(x, dims):
    return tuple(range(x.ndim)) if dims is None else tuple(d % max(x.ndim, 1) for d in dims)


def sym_reduce(x, dims, keepdim, combine):
    x = as_objects(x)
    if x.ndim == 0:
        return x
    axes = reduce_axes(x, dims)
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape([x.shape[d] for d in rest] + [-1])
    out = np.empty(flat.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = combine(*flat[idx])
    if keepdim:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return out


@numpy_twin(lambda v: np.maximum(v, 0.0))
class relu(sp.Function):  # reads as relu(x) in closed forms
    """max(x, 0) with the engine's convention relu'(0) = 0 (``Heaviside(x, 0)``)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)


def flat_function(name: str, f):
    """A sympy function that is piecewise constant (sign, floor, ...): derivative 0, as the
    engine's (and PyTorch's) backward says, and a float value through numpy."""

    def eval_(cls, x):
        return nice_number(f(float(x))) if x.is_Number else None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    return numpy_twin(f)(type(name, (sp.Function,), {"eval": classmethod(eval_), "fdiff": fdiff,
                                                     "numeric": staticmethod(f)}))


sign_fn = flat_function("sign", np.sign)
floor_fn = flat_function("floor", np.floor)
ceil_fn = flat_function("ceil", np.ceil)
round_fn = flat_function("round", np.round)
trunc_fn = flat_function("trunc", np.trunc)


def bound_function(name: str, pick, step_x, step_bound, tex: str, array_fn):
    """``Max(x, lo)`` / ``Min(x, hi)`` as the engine's clamp differentiates them: the grad
    passes through at the bound itself (``Heaviside(x - lo, 1)``), unlike sympy's ``Max``.
    ``array_fn``: its numpy twin."""

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

    return numpy_twin(array_fn)(type(name, (sp.Function,), {
        "eval": classmethod(eval_), "fdiff": fdiff,
        "numeric": staticmethod(lambda x, b: float(pick(x, b))),
        "_sympystr": printed(name.split("_")[0].capitalize() + "({}, {})"),
        "_latex": printed(tex),
        "_pretty": lambda self, p: p._print(sp.Function(name.split("_")[0].capitalize())(
            *self.args)),
    }))


clamp_min = bound_function("max_clamp", lambda x, b: x if x >= b else b,
                   lambda x, b: sp.Heaviside(x - b, 1), lambda x, b: sp.Heaviside(b - x, 0),
                   r"\max\left({}, {}\right)", np.maximum)
clamp_max = bound_function("min_clamp", lambda x, b: x if x <= b else b,
                   lambda x, b: sp.Heaviside(b - x, 1), lambda x, b: sp.Heaviside(x - b, 0),
                   r"\min\left({}, {}\right)", np.minimum)


def piece_clamp(lo, hi):
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
max_tie = bound_function("max_tie", lambda x, b: x if x >= b else b,
                 lambda x, b: sp.Heaviside(x - b, _half), lambda x, b: sp.Heaviside(b - x, _half),
                 r"\max\left({}, {}\right)", np.maximum)
min_tie = bound_function("min_tie", lambda x, b: x if x <= b else b,
                 lambda x, b: sp.Heaviside(b - x, _half), lambda x, b: sp.Heaviside(x - b, _half),
                 r"\min\left({}, {}\right)", np.minimum)


class SYM:
    """sympy on object arrays."""

    symbolic = True
    arr = staticmethod(as_objects)
    scalar = staticmethod(lambda v: as_objects(nice_number(v)))
    exp = staticmethod(elementwise(sp.exp))
    log = staticmethod(elementwise(sp.log))
    sqrt = staticmethod(elementwise(sp.sqrt))
    sin = staticmethod(elementwise(sp.sin))
    cos = staticmethod(elementwise(sp.cos))
    tan = staticmethod(elementwise(sp.tan))
    asin = staticmethod(elementwise(sp.asin))
    acos = staticmethod(elementwise(sp.acos))
    atan = staticmethod(elementwise(sp.atan))
    sinh = staticmethod(elementwise(sp.sinh))
    cosh = staticmethod(elementwise(sp.cosh))
    tanh = staticmethod(elementwise(sp.tanh))
    asinh = staticmethod(elementwise(sp.asinh))
    acosh = staticmethod(elementwise(sp.acosh))
    atanh = staticmethod(elementwise(sp.atanh))
    atan2 = staticmethod(elementwise2(sp.atan2))
    abs = staticmethod(elementwise(sp.Abs))
    sigmoid = staticmethod(elementwise(lambda x: 1 / (1 + sp.exp(-x))))
    relu = staticmethod(elementwise(relu))
    sign = staticmethod(elementwise(sign_fn))
    floor = staticmethod(elementwise(floor_fn))
    ceil = staticmethod(elementwise(ceil_fn))
    round = staticmethod(elementwise(round_fn))
    trunc = staticmethod(elementwise(trunc_fn))
    maximum = staticmethod(elementwise2(max_tie))
    minimum = staticmethod(elementwise2(min_tie))

    @staticmethod
    def clamp(x, lo, hi):
        return elementwise(piece_clamp(lo, hi))(x)

    @staticmethod
    def pow(x, e):
        e = nice_number(e)
        if isinstance(e, sp.Float):
            r = sp.Rational(float(e)).limit_denominator(64)
            e = r if float(r) == float(e) else e
        return elementwise(lambda v: v**e)(x)

    @staticmethod
    def rpow(c, x):
        """``c ** x`` for a number ``c``."""
        base = nice_number(c)
        return elementwise(lambda v: base**v)(x)

    floor_div = staticmethod(elementwise2(lambda a, b: floor_fn(a / b)))
    trunc_div = staticmethod(elementwise2(lambda a, b: trunc_fn(a / b)))

    @staticmethod
    def sum(x, dims, keepdim):
        return sym_reduce(x, dims, keepdim, sp.Add)

    @staticmethod
    def prod(x, dims, keepdim):
        return sym_reduce(x, dims, keepdim, sp.Mul)

    @staticmethod
    def amax(x, dims, keepdim):
        return canonical(sym_reduce)(x, dims, keepdim, sp.Max)

    @staticmethod
    def amin(x, dims, keepdim):
        return canonical(sym_reduce)(x, dims, keepdim, sp.Min)

    @staticmethod
    def matmul(a, b):
        a, b = as_objects(a), as_objects(b)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        prod = a2[..., :, :, None] * b2[..., None, :, :]
        out = SYM.sum(prod, (prod.ndim - 2,), False)
        if b.ndim == 1:
            out = out[..., 0]
        if a.ndim == 1:
            out = out[..., 0, :] if b.ndim > 1 else out[..., 0]
        return as_objects(out)

    @staticmethod
    def zeros(shape):
        out = np.empty(shape, dtype=object)
        out[...] = sp.Integer(0)
        return out

    @staticmethod
    def where(c, a, b):
        return as_objects(np.where(c, as_objects(a), as_objects(b)))


class NUM:
    """float64 numpy."""

    symbolic = False
    arr = staticmethod(lambda x: np.asarray(x, dtype=np.float64))
    scalar = staticmethod(float)
    exp, log, sqrt, sin, cos, tanh, abs = np.exp, np.log, np.sqrt, np.sin, np.cos, np.tanh, np.abs
    tan, asin, acos, atan, atan2 = np.tan, np.arcsin, np.arccos, np.arctan, np.arctan2
    sinh, cosh, asinh, acosh, atanh = np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh
    sigmoid = staticmethod(lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)))
    relu = staticmethod(lambda x: np.where(x > 0, x, 0.0))
    sign, floor, ceil, round, trunc = np.sign, np.floor, np.ceil, np.round, np.trunc
    maximum, minimum = np.maximum, np.minimum
    clamp = staticmethod(lambda x, lo, hi: np.clip(x, lo, hi))
    pow = staticmethod(lambda x, e: np.power(x, float(e)))
    rpow = staticmethod(lambda c, x: np.power(float(c), x))
    floor_div = staticmethod(lambda x, y: np.floor(x / y))
    trunc_div = staticmethod(lambda x, y: np.trunc(x / y))
    sum = staticmethod(lambda x, dims, keepdim: np.sum(x, axis=np_axes(x, dims), keepdims=keepdim))
    prod = staticmethod(lambda x, dims, keepdim:
                        np.prod(x, axis=np_axes(x, dims), keepdims=keepdim))
    amax = staticmethod(lambda x, dims, keepdim: np.max(x, axis=np_axes(x, dims), keepdims=keepdim))
    amin = staticmethod(lambda x, dims, keepdim: np.min(x, axis=np_axes(x, dims), keepdims=keepdim))
    matmul = staticmethod(np.matmul)
    zeros = staticmethod(lambda shape: np.zeros(shape))
    where = staticmethod(np.where)


def np_axes(x, dims):
    return None if dims is None or np.ndim(x) == 0 else tuple(dims)


def div_count(ns, x, n):
    return x / (sp.Integer(n) if ns.symbolic else float(n))


def reduce_loss(ns, loss, reduction, n):
    if reduction == "mean":
        return div_count(ns, ns.sum(loss, None, False), n)
    if reduction == "sum":
        return ns.sum(loss, None, False)
    return loss



def each(ns, x, sym, num):
    """``sym`` per element on sympy arrays, ``num`` on the float64 array."""
    if ns.symbolic:
        return elementwise(sym)(x)
    return num(np.asarray(x, dtype=np.float64))


def sympy_function(name, numeric, derivatives, tex, array_fn):
    """A sympy function ``name(x, *params)``: ``numeric`` gives its float value (numbers fold to
    it), ``derivatives[i](*args)`` its derivative in argument i, ``array_fn`` is its numpy twin
    (elementwise on arrays, for lambdify)."""

    def eval_(cls, *args):
        if all(a.is_Number for a in args):
            return nice_number(numeric(*(float(a) for a in args)))
        return None

    def fdiff(self, argindex=1):
        return derivatives[argindex - 1](*self.args)

    def latex(self, printer, exp=None):  # exp= when the function is raised to a power
        inner = ", ".join(printer._print(a) for a in self.args)
        text = rf"\operatorname{{{tex}}}\left({inner}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    return numpy_twin(array_fn)(type(name, (sp.Function,), {
        "eval": classmethod(eval_), "fdiff": fdiff, "numeric": staticmethod(numeric),
        "_latex": latex}))


class RuleTable(MutableMapping):
    """key -> rule(ns, args, attrs, out_shape); multi-output rules (split) return a list of
    arrays. The rules registered here, and behind them the ``sym`` forward of every engine op
    row that carries one (read from the row at lookup, so a row registered later has its rule
    at once). Deleting a row's rule hides it until a rule is set for the key again."""

    def __init__(self):
        self._own: dict = {}
        self._hidden: set = set()

    def _row_rule(self, key):
        op = OPS.get(key)
        if op is None or op.sym is None or key in self._hidden:
            return None
        return row_rule(op)

    def __getitem__(self, key):
        rule = self._own.get(key)
        if rule is None:
            rule = self._row_rule(key)
            if rule is None:
                raise KeyError(key)
        return rule

    def __setitem__(self, key, rule):
        self._own[key] = rule
        self._hidden.discard(key)

    def __delitem__(self, key):
        if key in self._own:
            del self._own[key]
        elif self._row_rule(key) is not None:
            self._hidden.add(key)
        else:
            raise KeyError(key)

    def _keys(self):
        rows = [k for k, op in OPS.items() if op.sym is not None and k not in self._own
                and k not in self._hidden]
        return [*self._own, *rows]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())

    def __contains__(self, key):
        return key in self._own or self._row_rule(key) is not None


def row_rule(op):
    """The rule of an engine op row's ``sym``: elementwise rows' ``sym(ns, *inputs)`` takes the
    inputs, any other row's has the rule arguments already."""
    sym = op.sym
    if op.kind == "unary":
        return lambda ns, args, attrs, out_shape: sym(ns, args[0])
    if op.kind == "binary":
        return lambda ns, args, attrs, out_shape: sym(ns, args[0], args[1])
    return sym


RULES = RuleTable()


def register(key: str, rule) -> None:
    """Make ``rule`` the symbolic forward of the engine op ``key``."""
    RULES[key] = rule


def apply(ns, key: str, args, attrs, out_shapes) -> tuple:
    """Run ``key``'s rule in namespace ``m``: one array per output, shaped as recorded."""
    rule = RULES.get(key)
    if rule is None:
        raise KeyError(f"no symbolic rule for engine op {key!r}")
    conv = tuple(ns.arr(x) if isinstance(x, np.ndarray) else
                 x if isinstance(x, tuple | list) or x is None else ns.scalar(x) for x in args)
    res = rule(ns, conv, attrs, tuple(out_shapes[0]) if len(out_shapes) == 1 else None)
    res = list(res) if len(out_shapes) > 1 else [res]
    outs = []
    for r, shape in zip(res, out_shapes, strict=True):
        out = ns.arr(r)
        if out.shape != tuple(shape):
            out = np.broadcast_to(out, shape) if out.size == 1 else out.reshape(shape)
        outs.append(out)
    return tuple(outs)
