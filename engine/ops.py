"""The op table: one row per differentiable primitive — its PyTorch node name, its numpy forward
and its VJP. This is the only place derivative formulas live.

Each VJP is written once against a math namespace ``m``: ``ns.NP`` (numpy arrays, the plain
backward) or ``ns.T`` (engine Tensors, ``create_graph=True``, so a backward is itself recorded
and can be differentiated again). Signature: ``vjp(m, g, out, s, a, need)`` where ``g`` is the
incoming grad, ``out`` the saved output (or None), ``s`` the saved inputs (arrays/Tensors/Python
scalars), ``a`` the op's attributes and ``need[i]`` tells whether input i wants a grad.

An elementwise row (``kind`` "unary" or "binary") is the op's whole home: ``sym`` is its forward
written against the symbolic namespace protocol (``sym(ns, x)`` / ``sym(ns, x, y)`` calling
``ns.log``, ``ns.exp``, ... and arithmetic; ``symbolic`` runs it on sympy and float64 arrays and
derives the matrix form from it), and ``names`` are the public names the engine binds from the
row through the dispatcher: ``torch.<name>``, ``Tensor.<name>`` and the in-place
``Tensor.<name>_``. Another row's ``sym``, if any, takes symbolic's full rule arguments
``(ns, args, attrs, out_shape)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .node import node_class


@dataclass(frozen=True, slots=True)
class Op:
    name: str  # PyTorch's node name, e.g. "MulBackward0"
    fwd: Callable | None  # numpy forward (None where the forward is written in tensor.py)
    vjp: Callable
    save_inputs: bool = False
    save_out: bool = False
    doc: str = ""
    cls: type | None = field(default=None, compare=False)  # the generated grad_fn class
    sym: Callable | None = field(default=None, compare=False)  # the forward on ns.SYM / ns.NUM
    kind: str = ""  # "unary" / "binary" for an elementwise row
    names: tuple[str, ...] = ()  # torch.<name>, Tensor.<name>, Tensor.<name>_ bound from the row


OPS: dict[str, Op] = {}
_ELEMENTWISE = ("unary", "binary")
_watchers: list[Callable] = []


def register(key: str, name: str, fwd, vjp, *, save_inputs=False, save_out=False, doc="",
             sym=None, kind="", names=()) -> Op:
    """Add a row (also used by engine.nn.functional for fused ops such as cross-entropy)."""
    if kind not in ("", *_ELEMENTWISE):
        raise ValueError(f"op row {key!r}: kind must be 'unary' or 'binary', not {kind!r}")
    if names and (not kind or fwd is None):
        raise ValueError(f"op row {key!r}: only an elementwise row with a forward can be bound "
                         "to public names")
    op = Op(name, fwd, vjp, save_inputs, save_out, doc, sym=sym, kind=kind, names=tuple(names))
    object.__setattr__(op, "cls", node_class(name, op))
    old = OPS.get(key)
    OPS[key] = op
    for fn in _watchers:
        fn(key, op, old)
    return op


def unregister(key: str) -> Op:
    """Remove row ``key`` (and, through the watchers, the names bound from it)."""
    op = OPS.pop(key)
    for fn in _watchers:
        fn(key, None, op)
    return op


def watch(fn) -> None:
    """Call ``fn(key, new_row, old_row)`` for every row registered or removed from now on
    (``new_row`` None: removed), and now for every row already registered."""
    _watchers.append(fn)
    for key, op in list(OPS.items()):
        fn(key, op, None)


def is_elementwise(op: Op) -> bool:
    return op.kind in _ELEMENTWISE


def _two(need, f0, f1):
    return (f0() if need[0] else None, f1() if need[1] else None)


# ---- elementwise binary (inputs may be Python scalars: then their grad is never needed) -------
def _cast_back(m, grads, a):
    """Grads of inputs whose dtype the op promoted, in the inputs' own dtypes (attrs carry the
    dtypes only when they differ from the result's)."""
    if len(a) < 4:
        return grads
    return tuple(None if g is None or d.kind != "f" else m.cast(g, d)
                 for g, d in zip(grads, a[2:]))


def _add_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g, a[0]) if need[0] else None,
                          m.sum_to(g, a[1]) if need[1] else None), a)


def _sub_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g, a[0]) if need[0] else None,
                          m.sum_to(-g, a[1]) if need[1] else None), a)


def _mul_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g * s[1], a[0]) if need[0] else None,
                          m.sum_to(g * s[0], a[1]) if need[1] else None), a)


def _div_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g / s[1], a[0]) if need[0] else None,
                          # PyTorch's order, -g * ((a / b) / b): its rounding, its inf and nan
                          m.sum_to(-g * (s[0] / s[1] / s[1]), a[1]) if need[1] else None), a)


register("add", "AddBackward0", np.add, _add_vjp, doc="a + b")
register("sub", "SubBackward0", np.subtract, _sub_vjp, doc="a - b")
register("rsub", "RsubBackward1", None, lambda m, g, out, s, a, need: (-g,), doc="c - a")
register("mul", "MulBackward0", np.multiply, _mul_vjp, save_inputs=True, doc="a * b")
register("div", "DivBackward0", np.true_divide, _div_vjp, save_inputs=True, doc="a / b")
register("reciprocal", "ReciprocalBackward0", np.reciprocal,
         lambda m, g, out, s, a, need: (-g * out * out,), save_out=True, doc="1 / a",
         kind="unary", sym=lambda ns, x: ns.scalar(1) / x)


def _pow_scalar_vjp(m, g, out, s, a, need):
    e = a
    if e == 0:
        return (m.zeros_like(g),)
    if e == 2:
        return (m.scaled_mul(g, s[0], 2.0),)
    return (g * e * s[0] ** (e - 1),)


register("pow", "PowBackward0", np.power, _pow_scalar_vjp, save_inputs=True,
         doc="a ** e (e a number)")


def _pow_tensor_vjp(m, g, out, s, a, need):
    base, e = s

    def d_base():
        if m.dtype_kind(e) == "b":  # PyTorch's formula subtracts 1 from the bool exponent
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        # PyTorch's: 0 where the exponent is 0 (0 * 0**-1 would be nan at a zero base)
        return m.sum_to(m.where(e == 0, 0.0, g * (e * base ** (e - 1.0))), a[0])

    def d_exp():
        # d/de base**e = base**e * log(base); 0 where base == 0 and e >= 0 (the limit), PyTorch's
        # -inf/inf where base == 0 and e < 0
        return m.sum_to(_pow_exponent_grad(m, g, out, base, e), a[1])

    return _cast_back(m, _two(need, d_base, d_exp), a)


def _pow_exponent_grad(m, g, out, base, e):
    # PyTorch's g * where(...): a nan or inf g stays nan where the limit is 0
    return g * m.where((base == 0) * (e >= 0), 0.0, out * m.log(base))


def _rpow_vjp(m, g, out, s, a, need):
    if a == 0:  # 0 ** x: 0 for x >= 0, -inf (times g) for x < 0
        return (g * m.where(s[0] >= 0, 0.0, out * -math.inf),)
    return (g * (out * float(np.log(a))) if a > 0 else g * (out * math.nan),)


def _power(a, b):
    """``np.power``, with C's integer powers for negative integer exponents (PyTorch gives 0,
    or +-1 for a base of +-1, where numpy raises)."""
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if a.dtype.kind in "iub" and b.dtype.kind in "iub" and np.any(b < 0):
        neg = b < 0
        out = np.power(a, np.where(neg, 0, b))
        small = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 1, -1, 1), 0))
        return np.where(neg, small, out).astype(out.dtype, copy=False)
    return np.power(a, b)


register("pow_tt", "PowBackward1", _power, _pow_tensor_vjp, save_inputs=True, save_out=True,
         doc="a ** b")
register("rpow", "PowBackward2", None, _rpow_vjp, save_inputs=True, save_out=True,
         doc="c ** a")

# ---- elementwise unary -------------------------------------------------------------------------
# the core functions' forwards are Tensor methods in tensor.py (integer and bool rules of their
# own); their rows carry the node, the VJP and the symbolic forward
register("neg", "NegBackward0", np.negative, lambda m, g, out, s, a, need: (-g,), doc="-a",
         kind="unary", sym=lambda ns, x: -x)
register("exp", "ExpBackward0", np.exp, lambda m, g, out, s, a, need: (g * out,), save_out=True,
         doc="exp(a)", kind="unary", sym=lambda ns, x: ns.exp(x))
register("log", "LogBackward0", np.log, lambda m, g, out, s, a, need: (g / s[0],),
         save_inputs=True, doc="log(a)", kind="unary", sym=lambda ns, x: ns.log(x))
register("sqrt", "SqrtBackward0", np.sqrt, lambda m, g, out, s, a, need: (g / (2.0 * out),),
         save_out=True, doc="sqrt(a)", kind="unary", sym=lambda ns, x: ns.sqrt(x))
register("sin", "SinBackward0", np.sin, lambda m, g, out, s, a, need: (g * m.cos(s[0]),),
         save_inputs=True, doc="sin(a)", kind="unary", sym=lambda ns, x: ns.sin(x))
register("cos", "CosBackward0", np.cos, lambda m, g, out, s, a, need: (-g * m.sin(s[0]),),
         save_inputs=True, doc="cos(a)", kind="unary", sym=lambda ns, x: ns.cos(x))
# tanh_grad/sigmoid_grad: under create_graph one recorded node each (engine.double_backward).
# tanh's symbolic rule stays in symbolic.rules_core: the matrix-form tests take it as the op
# whose matrix rule they remove, which a row's rule would derive again
register("tanh", "TanhBackward0", np.tanh,
         lambda m, g, out, s, a, need: (m.tanh_grad(g, out),), save_out=True, doc="tanh(a)",
         kind="unary")
register("sigmoid", "SigmoidBackward0", None,
         lambda m, g, out, s, a, need: (m.sigmoid_grad(g, out),), save_out=True,
         doc="1/(1+exp(-a))", kind="unary", sym=lambda ns, x: ns.sigmoid(x))
# relu_grad/elu_grad: under create_graph a recorded node of its own (engine.elementwise_extra)
register("relu", "ReluBackward0", None, lambda m, g, out, s, a, need: (m.relu_grad(g, out),),
         save_out=True, doc="max(a, 0)", kind="unary", sym=lambda ns, x: ns.relu(x))
# piecewise constant: zeros, not g * 0 (PyTorch's grad is 0 even where g is inf or nan)
_zero_vjp = lambda m, g, out, s, a, need: (m.zeros_like(g),)  # noqa: E731
def _sign(x):
    out = np.sign(x)
    if x.dtype.kind == "f":  # PyTorch's sign(nan) is 0
        out = np.where(np.isnan(out), 0, out).astype(out.dtype, copy=False)
    return out


register("sign", "SignBackward0", _sign, _zero_vjp, doc="sign(a)", kind="unary",
         sym=lambda ns, x: ns.sign(x))
register("floor", "FloorBackward0", np.floor, _zero_vjp, doc="floor(a)", kind="unary",
         sym=lambda ns, x: ns.floor(x))
register("ceil", "CeilBackward0", np.ceil, _zero_vjp, doc="ceil(a)", kind="unary",
         sym=lambda ns, x: ns.ceil(x))
register("round", "RoundBackward0", np.round, _zero_vjp, doc="round(a)", kind="unary",
         sym=lambda ns, x: ns.round(x))
register("abs", "AbsBackward0", np.abs, lambda m, g, out, s, a, need: (g * m.sign(s[0]),),
         save_inputs=True, doc="|a|", kind="unary", sym=lambda ns, x: ns.abs(x))


def _clamp_mask(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) * (x <= hi)


register("clamp", "ClampBackward1", None,
         lambda m, g, out, s, a, need: (m.where(_clamp_mask(s[0], *a), g, 0.0),),
         save_inputs=True,
         doc="min(max(a, lo), hi)")
register("clamp_min", "ClampMinBackward0", None,
         lambda m, g, out, s, a, need: (m.where(s[0] >= a, g, 0.0),), save_inputs=True,
         doc="max(a, lo)")


def _extremum_vjp(wins):
    def vjp(m, g, out, s, a, need):
        x, y = s
        # ties split the gradient in half, as PyTorch does; the masks pick from g (a float64
        # 0.5-mask would turn float32 grads into float64). Only the loser gets 0: where a nan
        # makes neither side win, both get g, as in PyTorch
        tie = x == y
        half = g * 0.5
        return _two(need, lambda: m.sum_to(m.where(wins(y, x), 0.0, m.where(tie, half, g)),
                                           m.shape(x)),
                    lambda: m.sum_to(m.where(wins(x, y), 0.0, m.where(tie, half, g)),
                                     m.shape(y)))

    return vjp


register("maximum", "MaximumBackward0", np.maximum, _extremum_vjp(lambda x, y: x > y),
         save_inputs=True, doc="max(a, b)")
register("minimum", "MinimumBackward0", np.minimum, _extremum_vjp(lambda x, y: x < y),
         save_inputs=True, doc="min(a, b)")
register("where", "WhereBackward0", None,
         lambda m, g, out, s, a, need: _two(need,
                                            lambda: m.sum_to(m.where(a[0], g, 0.0), a[1]),
                                            lambda: m.sum_to(m.where(a[0], 0.0, g), a[2])),
         doc="cond ? a : b")

# ---- reductions --------------------------------------------------------------------------------


def _sum_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    return (m.expand(g, shape),)


def _mean_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    return (m.expand_div(g, n, shape),)


def _count(shape, dims):
    if dims is None:
        return math.prod(shape)
    return math.prod([shape[d] for d in dims])


register("sum", "SumBackward0", None, _sum_vjp, doc="sum(a)")
register("sum_dim", "SumBackward1", None, _sum_vjp, doc="sum(a, dim)")
register("mean", "MeanBackward0", None, _mean_vjp, doc="mean(a)")
register("mean_dim", "MeanBackward1", None, _mean_vjp, doc="mean(a, dim)")


def _extreme_all_vjp(m, g, out, s, a, need):
    # evenly split between ties, as PyTorch's evenly_distribute_backward; a nan result came
    # from the nans, which share its grad
    x = s[0]
    mask = (x != x) if bool(out != out) else x == out
    return (m.where(mask, g / m.count_true(mask), 0.0),)


register("max_all", "MaxBackward1", None, _extreme_all_vjp, save_inputs=True, save_out=True,
         doc="max(a)")
register("min_all", "MinBackward1", None, _extreme_all_vjp, save_inputs=True, save_out=True,
         doc="min(a)")


def _select_dim_vjp(m, g, out, s, a, need):
    shape, dim, keepdim, idx = a  # idx: int64 array of winning positions (keepdim shape)
    if not shape:  # a 0-d input is its own maximum
        return (g,)
    if not keepdim:
        g = m.unsqueeze_dims(g, (dim,))
    positions = np.arange(shape[dim]).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    onehot = positions == idx
    return (m.where(onehot, g, 0.0),)


def _amax_vjp(m, g, out, s, a, need):
    dims, keepdim = a
    x = s[0]
    if not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    mask = x == out
    # numpy would count in float64 (and make a float32 grad float64); a bool Tensor times a
    # Python float is float32, which a float64 grad absorbs
    ones = mask.astype(g.dtype) if isinstance(g, np.ndarray | np.generic) else mask * 1.0
    # PyTorch's (g / count) * mask: a nan result matches nothing, and its grad is nan
    return ((g / m.sum(ones, dims, True)) * mask,)


def _norm_vjp(m, g, out, s, a, need):
    dims, keepdim = a
    x = s[0]
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    # d|x|/dx = x/|x|, taken as 0 where |x| = 0 (PyTorch's subgradient)
    return (m.where(out == 0, 0.0, g * x / m.where(out == 0, 1.0, out)),)


register("amax", "AmaxBackward0", None, _amax_vjp, save_inputs=True, save_out=True,
         doc="amax(a, dim)")
register("amin", "AminBackward0", None, _amax_vjp, save_inputs=True, save_out=True,
         doc="amin(a, dim)")
register("norm", "LinalgVectorNormBackward0", None, _norm_vjp, save_inputs=True, save_out=True,
         doc="sqrt(sum(a**2))")
def _norm_p_vjp(m, g, out, s, a, need):
    dims, keepdim, p = a
    x = s[0]
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    sign = m.sign(x)
    if p == 1:
        return (g * sign,)
    size = x * sign  # |x|
    if p < 1:
        return (sign * m.where(x == 0, 0.0, size ** (p - 1.0)) * g * out ** (1.0 - p),)
    # PyTorch's: 0 where the norm is 0
    return (sign * size ** (p - 1.0) * m.where(out == 0, 0.0, g / out ** (p - 1.0)),)


register("norm_p", "LinalgVectorNormBackward0", None, _norm_p_vjp, save_inputs=True,
         save_out=True, doc="sum(|a|**p) ** (1/p)")
register("max_dim", "MaxBackward0", None, _select_dim_vjp, doc="max(a, dim)")
register("min_dim", "MinBackward0", None, _select_dim_vjp, doc="min(a, dim)")


def _prod_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    x = s[0]
    if not shape:  # a 0-d input is its own product: the grad passes through, a constant
        return (g,)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    if not m.any_zero(x):
        return (g * (out / x),)  # PyTorch's order of operations (its rounding)
    if dims is None and isinstance(g, np.ndarray | np.generic) and m.count_true(x == 0) > 1:
        # PyTorch's shortcut outside create_graph: every product of the others holds a zero
        # (so a nan or inf elsewhere does not reach the grad)
        return (np.zeros(shape, g.dtype),)
    # with zeros, divide-free: product of all the other elements along the reduced axes
    return (m.expand(g, shape) * m.prod_others(x, dims),)


register("prod", "ProdBackward0", None, _prod_vjp, save_inputs=True, save_out=True, doc="prod(a)")
register("prod_dim", "ProdBackward1", None, _prod_vjp, save_inputs=True, save_out=True,
         doc="prod(a, dim)")


def _inv(d, k):
    return k / d if d > 0 else float("inf")


def _var_vjp(m, g, out, s, a, need):
    shape, dims, correction, keepdim = a
    x = s[0]
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    centred = x - m.mean(x, dims, True)
    return (g * centred * _inv(n - correction, 2.0),)


def _std_vjp(m, g, out, s, a, need):
    shape, dims, correction, keepdim = a
    x = s[0]
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    centred = x - m.mean(x, dims, True)
    # 0 where the deviation is 0 (PyTorch masks the 1/std there), not 0/0
    return (m.where(out == 0, 0.0, g / out) * centred * _inv(n - correction, 1.0),)


register("var", "VarBackward0", None, _var_vjp, save_inputs=True, doc="var(a)")
register("std", "StdBackward0", None, _std_vjp, save_inputs=True, save_out=True, doc="std(a)")

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

    return _two(need, lambda: m.index_fill_zero(g, idx), d_value)


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


# ---- linear algebra ---------------------------------------------------------------------------
def _matmul_vjp(m, g, out, s, a, need):
    x, y = s
    sx, sy = a
    if len(sx) == 2 and len(sy) == 2:
        # grads laid out like their inputs, so a transposed weight (x @ W.t()) gets a grad whose
        # transpose is contiguous: no strided copy when it reaches W.grad
        return _two(need, lambda: m.mm_like(g, m.t2(y), x), lambda: m.mm_like(m.t2(x), g, y))
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

    return _two(need, dx, dy)


register("mm", "MmBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (2-D)")
register("dot", "DotBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (1-D)")
register("mv", "MvBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (2-D, 1-D)")
register("bmm", "BmmBackward0", np.matmul, _matmul_vjp, save_inputs=True, doc="a @ b (batched)")


# ---- softmax family ---------------------------------------------------------------------------
def _dim(a):
    return None if a is None else (a,)


# a is the softmax dim, None for a 0-d input (the sum over no dims is the element itself)
register("softmax", "SoftmaxBackward0", None,
         lambda m, g, out, s, a, need: (out * (g - m.sum(g * out, _dim(a), True)),),
         save_out=True, doc="exp(a) / sum(exp(a), dim)")
register("log_softmax", "LogSoftmaxBackward0", None,
         lambda m, g, out, s, a, need: (m.minus_exp_times(g, out, m.sum(g, _dim(a), True)),),
         save_out=True,
         doc="a - logsumexp(a, dim)")
# ---- activations (forwards in engine.nn.activation_functions) ---------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


def _leaky_relu_vjp(m, g, out, s, a, need):
    # PyTorch's convention: the slope applies at 0 too (x > 0 ? g : g * slope)
    return (m.leaky_grad(g, s[0], a),)


def _elu_vjp(m, g, out, s, a, need):
    # exp of the x <= 0 side only: exp(large x) would overflow (and warn) for a discarded value
    return (m.elu_grad(g, s[0], a),)


def _gelu_vjp(m, g, out, s, a, need):
    x = s[0]
    if a == "tanh":
        x_sq = x * x
        t = m.tanh((x + x_sq * x * _GELU_KAPPA) * _SQRT_2_OVER_PI)
        right = x * 0.5 * (1.0 - t * t) * _SQRT_2_OVER_PI * (x_sq * (3.0 * _GELU_KAPPA) + 1.0)
        return (g * ((t + 1.0) * 0.5 + right),)
    cdf = (m.erf(x * math.sqrt(0.5)) + 1.0) * 0.5
    pdf = m.exp(x * x * -0.5) * (1.0 / math.sqrt(2.0 * math.pi))
    return (g * (cdf + x * pdf),)


def _silu_vjp(m, g, out, s, a, need):
    x = s[0]
    sig = m.sigmoid(x)
    return (g * sig * (x * (1.0 - sig) + 1.0),)


def _softplus_vjp(m, g, out, s, a, need):
    beta, threshold = a
    bx = s[0] * beta
    linear = bx > threshold
    # ATen's z / (z + 1), z = exp(beta x), on the log1p(exp(beta x)) / beta side only
    z = m.exp(m.where(linear, 0.0, bx))
    return (m.where(linear, g, g * z / (z + 1.0)),)


register("leaky_relu", "LeakyReluBackward0", None, _leaky_relu_vjp, save_inputs=True,
         doc="x > 0 ? x : slope * x")
register("elu", "EluBackward0", None, _elu_vjp, save_inputs=True,
         doc="x > 0 ? x : alpha * (exp(x) - 1)")
# in place (inplace=True) PyTorch saves the result instead: out > 0 exactly where x > 0
register("leaky_relu_", "LeakyReluBackward1", None,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * a),), save_out=True,
         doc="leaky_relu in place")
register("elu_", "EluBackward1", None,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * (out + a)),), save_out=True,
         doc="elu in place (alpha * exp(x) = out + alpha)")
register("gelu", "GeluBackward0", None, _gelu_vjp, save_inputs=True,
         doc="x * Phi(x) (or its tanh approximation)")
register("silu", "SiluBackward0", None, _silu_vjp, save_inputs=True, doc="x * sigmoid(x)")
register("softplus", "SoftplusBackward0", None, _softplus_vjp, save_inputs=True,
         doc="log(1 + exp(beta * x)) / beta (x past threshold / beta)")
register("erf", "ErfBackward0", None,
         lambda m, g, out, s, a, need: (g * m.exp(-(s[0] * s[0])) * (2.0 / math.sqrt(math.pi)),),
         save_inputs=True, doc="erf(a)")


# ---- ordering and masking (forwards in engine.ordering) ----------------------------------------
def _scatter_back_vjp(m, g, out, s, a, need):
    # a[1] is the advanced index of the picked positions: their grads go back where they came from
    shape, idx = a
    return (m.index_scatter(g, shape, idx),)


def _cumsum_vjp(m, g, out, s, a, need):
    if a is None:  # 0-d input: the identity
        return (g,)
    d = (a,)
    return (m.flip(m.cumsum(m.flip(g, d), a), d),)


def _keep_vjp(m, g, out, s, a, need):
    # a: (bool mask of the elements whose grad passes, input shape, fill value); the mask may
    # broadcast the input (masked_fill)
    keep, shape = a[0], a[1]
    return (m.sum_to(m.where(keep, g, 0.0), shape),)


register("sort", "SortBackward0", None, _scatter_back_vjp, doc="sort(a, dim).values")
register("sort_stable", "SortBackward1", None, _scatter_back_vjp,
         doc="sort(a, dim, stable=s).values")
register("topk", "TopkBackward0", None, _scatter_back_vjp, doc="topk(a, k, dim).values")
register("cumsum", "CumsumBackward0", None, _cumsum_vjp, doc="cumsum(a, dim)")
register("flip", "FlipBackward0", None, lambda m, g, out, s, a, need: (m.flip(g, a),),
         doc="a.flip(dims)")
register("masked_fill", "MaskedFillBackward0", None, _keep_vjp, doc="mask ? value : a")


def _masked_fill_tensor_vjp(m, g, out, s, a, need):
    keep, shape = a[0], a[1]
    return _two(need, lambda: m.sum_to(m.where(keep, g, 0.0), shape),
                lambda: m.reshape(m.sum(m.where(keep, 0.0, g), None, False), ()))


register("masked_fill_t", "MaskedFillBackward1", None, _masked_fill_tensor_vjp,
         doc="mask ? value : a (value a 0-d tensor)")
register("tril", "TrilBackward0", None, _keep_vjp, doc="a below diagonal k, else 0")
register("triu", "TriuBackward0", None, _keep_vjp, doc="a above diagonal k, else 0")

CORE_KEYS = frozenset(OPS)  # rows defined here; other modules may register more
