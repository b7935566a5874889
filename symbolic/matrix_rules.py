"""One matrix-level backward rule per op key, beside the scalar sympy rules of ``rules.py``:
``rule(node, ins, out, g) -> [∂L/∂input or None per input]`` in the notation of
``matrix_expr`` (``ins``: the inputs' forward expressions, ``out``: the output's, ``g``: ∂L/∂out).
``FORWARD`` writes an unnamed intermediate inline (``X·W1ᵀ + b1``). An op with no row here gets
"no matrix form" and is still checked element by element.

Elementwise functions without a hand-written row (GELU, ELU, softplus, ...) get their derivative
from their scalar sympy rule, printed with indicators instead of ``Heaviside``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import matrix_expr as mx
from .matrix_expr import Apply, Func, Indicator, Number, Ones

sum_to = mx.sum_to


def _swap(x):
    return np.swapaxes(x, -1, -2) if np.ndim(x) >= 2 else x


def _elementwise(fn):
    """A rule for ``out = f(x)`` given ``f'`` as a function of (x, out) expressions."""
    def rule(node, ins, out, g):
        return [mx.hadamard(g, fn(ins[0], out, node.attrs))]
    return rule


def _one_minus(x):
    return mx.sub(Number(1), x)


def _clamp_ind(x, lo, hi):
    parts = [Indicator(x, "≥", lo)] if lo is not None else []
    parts += [Indicator(x, "≤", hi)] if hi is not None else []
    if not parts:
        return Ones(x.shape)
    return parts[0] if len(parts) == 1 else mx.hadamard(parts[0], parts[1])


def _reduce_dims(node):
    """(input shape, reduced dims or None, keepdim) of sum/mean rows."""
    shape, dims, keep = node.attrs[0], node.attrs[1], node.attrs[2]
    return tuple(shape), dims, keep


def _spread(g, shape, dims, keep):
    """∂L/∂x of a sum over ``dims``: g stretched back over the summed axes."""
    shape = tuple(shape)
    if dims is None or len(shape) == 0:
        return mx.hadamard(g, Ones(shape)) if g.shape != shape else g
    dims = tuple(d % len(shape) for d in dims)
    gv = g.value if keep else np.expand_dims(g.value, dims)
    value = np.broadcast_to(gv, shape)
    if len(shape) == 2 and dims == (1,):
        return _outer_ones(g, value, "ᵀ")
    if len(shape) == 2 and dims == (0,):
        return _outer_ones(g, value, "")
    lab = ",".join(map(str, dims))
    return Apply(f"expand_{lab}", rf"\operatorname{{expand}}_{{{lab}}}", [g], value)


def _outer_ones(g, value, side):
    """``g·𝟙ᵀ`` (a column spread along the rows' length) or ``𝟙·gᵀ``."""
    if side:
        return _Given(f"{g.wrap(mx.MUL)[0]}·𝟙ᵀ", rf"{g.wrap(mx.MUL)[1]} \mathbf{{1}}^{{T}}",
                      value)
    return _Given(f"𝟙·{g.wrap(mx.MUL + 1)[0]}", rf"\mathbf{{1}} {g.wrap(mx.MUL + 1)[1]}", value)


class _Given(mx.Expr):
    prec = mx.MUL

    def __init__(self, text, tex, value):
        super().__init__(value)
        self._given_text, self._texv = text, tex

    def _text(self):
        return self._given_text

    def _tex(self):
        return self._texv


def _sum_rule(node, ins, out, g):
    shape, dims, keep = _reduce_dims(node)
    return [_spread(g, shape, dims, keep)]


def _mean_rule(node, ins, out, g):
    shape, dims, keep = _reduce_dims(node)
    n = int(np.prod(shape if dims is None else [shape[d] for d in dims], dtype=np.int64))
    return [mx.scale(mx.Coef((), n), _spread(g, shape, dims, keep))]


def _mm(node, ins, out, g):
    a, b = ins[0], ins[1]
    return [mx.matmul(g, mx.transpose(b)), mx.matmul(mx.transpose(a), g)]


def _addmm(node, ins, out, g):
    bias, a, b = ins
    return [sum_to(g, bias.shape), mx.matmul(g, mx.transpose(b)),
            mx.matmul(mx.transpose(a), g)]


def _mv(node, ins, out, g):
    a, v = ins
    outer = _Given(f"{g.wrap(mx.MUL)[0]}·{v.wrap(mx.ATOM)[0]}ᵀ",
                   rf"{g.wrap(mx.MUL)[1]} {v.wrap(mx.ATOM)[1]}^{{T}}", np.outer(g.value, v.value))
    return [outer, mx.matmul(mx.transpose(a), g)]


def _dot(node, ins, out, g):
    a, b = ins
    return [mx.hadamard(g, b), mx.hadamard(g, a)]


def _transpose(node, ins, out, g):
    perm = tuple(node.attrs)
    if len(perm) == 2 or perm == tuple(range(len(perm) - 2)) + (len(perm) - 1, len(perm) - 2):
        return [mx.transpose(g)]
    inv = tuple(int(k) for k in np.argsort(perm))
    return [Apply(f"permute{inv}", r"\operatorname{permute}", [g], np.transpose(g.value, inv))]


def _reshape(node, ins, out, g):
    shape = ins[0].shape
    if g.shape == shape:
        return [g]
    return [Apply("reshape", r"\operatorname{reshape}", [g], g.value.reshape(shape))]


def _scatter(node, ins, out, g):
    value = np.zeros(ins[0].shape)
    np.add.at(value, node.attrs[1], g.value)
    return [Apply("scatter", r"\operatorname{scatter}", [g], value)]


def _log_softmax(node, ins, out, g):
    d = node.attrs
    if d is None or out.value.ndim == 0:
        return [mx.sub(g, g)]  # softmax over one element: constant
    total = _keep_sum(g, d)
    return [mx.sub(g, mx.hadamard(Func("exp", out, np.exp), total))]


def _softmax(node, ins, out, g):
    d = node.attrs
    if d is None or out.value.ndim == 0:
        return [mx.sub(g, g)]
    return [mx.hadamard(out, mx.sub(g, _keep_sum(mx.hadamard(g, out), d)))]


def _keep_sum(x, d):
    d = d % x.value.ndim
    value = np.sum(x.value, axis=d, keepdims=True)
    name = {0: "Σ_rows", 1: "Σ_cols"}.get(d, f"Σ_axis{d}") if x.value.ndim == 2 else \
        f"Σ_axis{d}"
    tex = {"Σ_rows": r"\sum_{\mathrm{rows}}", "Σ_cols": r"\sum_{\mathrm{cols}}"}.get(
        name, rf"\sum_{{\mathrm{{axis}}\ {d}}}")
    return Apply(name, tex, [x], value, prefix=True)


def _nll(node, ins, out, g):
    shape, pick, coef, _ = node.attrs
    coef = np.asarray(coef, np.float64)
    value = np.zeros(shape)
    np.add.at(value, pick, 1.0)
    onehot = mx.Sym("onehot(y)", value, r"\mathrm{onehot}(y)")
    flat = np.unique(coef[coef != 0]) if coef.size else np.array([])
    gv = np.broadcast_to(g.value, coef.shape) if coef.shape else g.value
    if flat.size == 1 and g.value.ndim == 0:
        c = float(flat[0])
        return [mx.neg(mx.hadamard(g, mx.scale(mx.const(c), onehot)))]
    full = np.zeros(shape)
    np.add.at(full, pick, -np.asarray(gv * coef, np.float64))
    return [Apply("−weighted onehot(y)", r"-\operatorname{weighted}\ \mathrm{onehot}(y)", [g],
                  full)]


def _mse(node, ins, out, g):
    reduction, n = node.attrs[0], node.attrs[1]
    a, b = ins
    d = mx.sub(a, b)
    if reduction == "mean":
        dd = mx.scale(mx.Coef((2,), n), d)
    else:
        dd = mx.scale(mx.Coef((2,)), d)
    gd = mx.hadamard(g, dd) if reduction == "none" else mx.hadamard(dd, g)
    return [sum_to(gd, a.shape), sum_to(mx.neg(gd), b.shape)]


def _bce_logits(node, ins, out, g):
    reduction, n, w, pw = node.attrs
    x, y = ins
    sig = Func("σ", x, lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)), r"\sigma")
    if pw is None:
        d = mx.sub(sig, y)
        dy = mx.neg(x)
    else:  # loss = (1 − y)x − c·log σ(x), c = 1 + (pos_weight − 1)y
        p = mx.Sym("pos_weight", np.asarray(pw, np.float64))
        c = mx.add(Number(1), mx.hadamard(mx.sub(p, Number(1)), y))
        d = mx.sub(mx.hadamard(c, sig), mx.hadamard(p, y))
        logsig = Func("log σ", x, lambda v: np.minimum(v, 0) - np.log1p(np.exp(-np.abs(v))),
                      r"\log\sigma")
        dy = mx.sub(mx.neg(x), mx.hadamard(mx.sub(p, Number(1)), logsig))
    res = []
    for e, like in ((d, x), (dy, y)):
        if w is not None:
            e = mx.hadamard(mx.Sym("weight", np.asarray(w, np.float64)), e)
        e = mx.scale(mx.Coef((), n), e) if reduction == "mean" else e
        e = mx.hadamard(e, g) if reduction != "none" else mx.hadamard(g, e)
        res.append(sum_to(e, like.shape))
    return res


def _slice_text(g, d, part):
    idx = ", ".join([":"] * d + [part])
    return (f"{g.wrap(mx.ATOM)[0]}[{idx}]",
            f"{g.wrap(mx.ATOM)[1]}_{{[{idx.replace(':', r'{:}')}]}}")


def _cat(node, ins, out, g):
    d = node.attrs[0] % g.value.ndim
    grads, lo = [], 0
    for x in ins:
        hi = lo + x.shape[d]
        sl = [slice(None)] * g.value.ndim
        sl[d] = slice(lo, hi)
        text, tex = _slice_text(g, d, f"{lo}:{hi}")
        grads.append(_Given(text, tex, g.value[tuple(sl)]))
        lo = hi
    return grads


def _stack(node, ins, out, g):
    d = node.attrs[0] % g.value.ndim
    out = []
    for k in range(len(ins)):
        text, tex = _slice_text(g, d, str(k))
        out.append(_Given(text, tex, np.take(g.value, k, axis=d)))
    return out


def _mask(name, keep):
    return mx.Sym(name, np.asarray(keep, np.float64), rf"\mathbb{{1}}_{{\mathrm{{{name}}}}}")


def _where(node, ins, out, g):
    c = np.asarray(node.attrs[0], bool)
    a, b = ins
    return [sum_to(mx.hadamard(g, _mask("1[cond]", c)), a.shape),
            sum_to(mx.hadamard(g, _mask("1[not cond]", ~c)), b.shape)]


def _kept(name):
    def rule(node, ins, out, g):
        keep = np.broadcast_to(np.asarray(node.attrs[0], bool), out.shape)
        kept = mx.hadamard(g, _mask(name, keep))
        if len(ins) == 1:
            return [kept]
        # a tensor fill value receives what the filled places receive
        return [sum_to(kept, ins[0].shape),
                sum_to(mx.hadamard(g, _mask(f"1[not {name}]", ~keep)), ins[1].shape)]
    return rule


def _flip(node, ins, out, g):
    dims = tuple(node.attrs) if isinstance(node.attrs, tuple | list) else (node.attrs,)
    return [Apply("flip", r"\operatorname{flip}", [g], np.flip(g.value, dims))]


def _cumsum(node, ins, out, g):
    d = node.attrs
    if d is None or g.value.ndim == 0:
        return [g]
    value = np.flip(np.cumsum(np.flip(g.value, d), d), d)
    return [Apply("reverse_cumsum", r"\operatorname{reverse\ cumsum}", [g], value)]


def _extreme(first_wins):
    def rule(node, ins, out, g):
        a, b = ins
        d = mx.sub(a, b) if first_wins else mx.sub(b, a)
        tie = mx.scale(mx.Coef((), 2), Indicator(d, "=", 0))
        pick_a = mx.add(Indicator(d, ">", 0), tie)
        pick_b = mx.add(Indicator(d, "<", 0), tie)
        return [sum_to(mx.hadamard(g, pick_a), a.shape), sum_to(mx.hadamard(g, pick_b),
                                                                b.shape)]
    return rule


class NoMatrixForm(Exception):
    """This application of the op has no matrix form (a case its row does not cover)."""


def _reciprocal(c):
    """1/c as a Coef: a count reads as the fraction 1/n."""
    return mx.Coef((), int(c)) if float(c) == int(c) and c > 0 else mx.const(1.0 / c)


RULES = {
    "add": lambda n, i, o, g: [sum_to(g, i[0].shape), sum_to(g, i[1].shape)],
    "sub": lambda n, i, o, g: [sum_to(g, i[0].shape), sum_to(mx.neg(g), i[1].shape)],
    "rsub": lambda n, i, o, g: [mx.neg(g)],
    # alpha (the last of the attrs) scales the second input's grad
    # a backward formula's division by a number (mean's count): the grad scaled by 1/c
    "div_scalar": lambda n, i, o, g: [mx.scale(_reciprocal(n.attrs), g)],
    # a backward formula's product with a number (pow's exponent): the grad scaled by it
    "mul_scalar": lambda n, i, o, g: [mx.scale(mx.const(n.attrs), g)],
    "add_alpha": lambda n, i, o, g: [sum_to(g, i[0].shape),
                                     sum_to(mx.scale(mx.const(n.attrs[-1]), g), i[1].shape)],
    "sub_alpha": lambda n, i, o, g: [sum_to(g, i[0].shape),
                                     sum_to(mx.scale(mx.const(-n.attrs[-1]), g), i[1].shape)],
    "mul": lambda n, i, o, g: [sum_to(mx.hadamard(g, i[1]), i[0].shape),
                               sum_to(mx.hadamard(g, i[0]), i[1].shape)],
    "div": lambda n, i, o, g: [sum_to(mx.divide(g, i[1]), i[0].shape),
                               sum_to(mx.neg(mx.divide(mx.hadamard(g, i[0]),
                                                       mx.power(i[1], 2))), i[1].shape)],
    "neg": lambda n, i, o, g: [mx.neg(g)],
    "reciprocal": lambda n, i, o, g: [mx.neg(mx.hadamard(g, mx.power(o, 2)))],
    "pow": _elementwise(lambda x, o, k: mx.scale(mx.const(k), mx.power(x, k - 1))),
    "exp": _elementwise(lambda x, o, a: o),
    "log": lambda n, i, o, g: [mx.divide(g, i[0])],
    "sqrt": lambda n, i, o, g: [mx.divide(g, mx.scale(mx.Coef((2,)), o))],
    "sin": _elementwise(lambda x, o, a: Func("cos", x, np.cos)),
    "cos": _elementwise(lambda x, o, a: mx.neg(Func("sin", x, np.sin))),
    "tanh": _elementwise(lambda x, o, a: _one_minus(mx.power(o, 2))),
    "sigmoid": _elementwise(lambda x, o, a: mx.hadamard(o, _one_minus(o))),
    "relu": _elementwise(lambda x, o, a: Indicator(x, ">", 0)),
    "abs": _elementwise(lambda x, o, a: Func("sign", x, np.sign, r"\operatorname{sign}")),
    "clamp": _elementwise(lambda x, o, a: _clamp_ind(x, a[0], a[1])),
    "clamp_min": _elementwise(lambda x, o, a: _clamp_ind(x, a, None)),
    "sum": _sum_rule,
    "sum_dim": _sum_rule,
    "mean": _mean_rule,
    "mean_dim": _mean_rule,
    "view": _reshape, "unsafe_view": _reshape, "squeeze": _reshape, "squeeze_dim": _reshape,
    "unsqueeze": _reshape, "squeeze_dims": _reshape, "squeeze_dims_": _reshape,
    "t": _transpose, "transpose": _transpose, "permute": _transpose,
    "expand": lambda n, i, o, g: [sum_to(g, i[0].shape)],
    "clone": lambda n, i, o, g: [g], "alias": lambda n, i, o, g: [g],
    "to": lambda n, i, o, g: [g],
    "select": _scatter, "slice": _scatter, "index": _scatter,
    "mm": _mm, "bmm": _mm, "matmul": _mm, "mv": _mv, "dot": _dot,
    "addmm": _addmm,
    "log_softmax": _log_softmax,
    "softmax": _softmax,
    "nll_loss": _nll,
    "mse_loss": _mse,
    "binary_cross_entropy_with_logits": _bce_logits,
    "cat": _cat, "stack": _stack, "where": _where,
    "masked_fill": _kept("mask"), "masked_fill_t": _kept("mask"),
    "tril": _kept("tril"), "triu": _kept("triu"),
    "flip": _flip, "cumsum": _cumsum,
    "maximum": _extreme(True), "minimum": _extreme(False),
}

# elementwise functions whose derivative comes from the scalar sympy rule, beside every
# elementwise engine op row that carries its rule (matrix_table.rule_for derives those)
FROM_SCALAR = {"leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "softplus", "erf",
               "hardtanh", "rpow", "celu", "selu", "mish", "logsigmoid", "hardsigmoid",
               "hardswish", "clamp_max", "fmod", "threshold", "threshold_"}


# ---- forward expressions of unnamed intermediates ----------------------------------------------
def _fwd_fn(name, tex=None):
    return lambda n, i, v: Func(name, i[0], lambda _: v, tex)


FORWARD = {
    "add": lambda n, i, v: mx.add(i[0], i[1]),
    "sub": lambda n, i, v: mx.sub(i[0], i[1]),
    "add_alpha": lambda n, i, v: mx.add(i[0], mx.scale(mx.const(n.attrs[-1]), i[1])),
    "div_scalar": lambda n, i, v: mx.scale(_reciprocal(n.attrs), i[0]),
    "mul_scalar": lambda n, i, v: mx.scale(mx.const(n.attrs), i[0]),
    "sub_alpha": lambda n, i, v: mx.sub(i[0], mx.scale(mx.const(n.attrs[-1]), i[1])),
    "mul": lambda n, i, v: mx.hadamard(i[0], i[1]),
    "div": lambda n, i, v: mx.divide(i[0], i[1]),
    "neg": lambda n, i, v: mx.neg(i[0]),
    "pow": lambda n, i, v: mx.power(i[0], n.attrs),
    "mm": lambda n, i, v: mx.matmul(i[0], i[1]),
    "matmul": lambda n, i, v: mx.matmul(i[0], i[1]),
    "mv": lambda n, i, v: mx.matmul(i[0], i[1]),
    "addmm": lambda n, i, v: mx.add(mx.matmul(i[1], i[2]), i[0]),
    "t": lambda n, i, v: mx.transpose(i[0]),
    "transpose": lambda n, i, v: mx.transpose(i[0]) if len(n.attrs) == 2 else None,
    "permute": lambda n, i, v: mx.transpose(i[0]) if len(n.attrs) == 2 else None,
    "exp": _fwd_fn("exp"), "log": _fwd_fn("log"), "tanh": _fwd_fn("tanh"),
    "sin": _fwd_fn("sin"), "cos": _fwd_fn("cos"), "sqrt": _fwd_fn("√", r"\sqrt"),
    "sigmoid": _fwd_fn("σ", r"\sigma"), "relu": _fwd_fn("relu", r"\operatorname{relu}"),
    "abs": _fwd_fn("abs", r"\operatorname{abs}"),
    "clone": lambda n, i, v: i[0], "alias": lambda n, i, v: i[0], "to": lambda n, i, v: i[0],
    "clamp": lambda n, i, v: _clamp_fwd(i[0], n.attrs[0], n.attrs[1], v),
    "clamp_min": lambda n, i, v: _Given(f"max({i[0].text()}, {mx._num(n.attrs)})",
                                        rf"\max\left({i[0].tex()}, {mx._num(n.attrs)}\right)",
                                        v),
}


def _clamp_fwd(x, lo, hi, v):
    text, tex = x.text(), x.tex()
    if lo is not None:
        text, tex = f"max({text}, {mx._num(lo)})", rf"\max\left({tex}, {mx._num(lo)}\right)"
    if hi is not None:
        text, tex = f"min({text}, {mx._num(hi)})", rf"\min\left({tex}, {mx._num(hi)}\right)"
    return _Given(text, tex, v)


def forward(node, ins, value):
    """The inline expression of an unnamed output (its value: the recorded one), or None."""
    f = FORWARD.get(node.key)
    e = f(node, ins, value) if f is not None else None
    if e is None:
        name = node.custom.name if node.custom is not None else node.key
        e = Apply(name, rf"\operatorname{{{name.replace('_', '-')}}}",
                  [x for x in ins if x is not None], value)
    e.value = np.asarray(value, np.float64)
    return e


def rule_for(key):
    """The matrix rule of ``key``, or None (then the op has no matrix form)."""
    r = RULES.get(key)
    if r is None and key in FROM_SCALAR:
        r = RULES[key] = _from_scalar(key)
    return r


def _from_scalar(key):
    from .rules import NUMPY_FUNCS, RULES as SCALAR, SYM

    z = sp.Symbol("z", real=True)

    def rule(node, ins, out, g):
        x = ins[0]
        arr = np.empty((), dtype=object)
        arr[()] = z
        f = SCALAR[key](SYM, (arr,), node.attrs, ())
        f = np.asarray(f).reshape(()).item() if isinstance(f, np.ndarray) else f
        d = sp.diff(f, z)
        fn = sp.lambdify(z, d, modules=[NUMPY_FUNCS, "numpy"])
        with np.errstate(all="ignore"):
            value = np.broadcast_to(np.asarray(fn(x.value), np.float64), x.shape)
        shown = _indicators(d)
        xt, xx = x.wrap(mx.ATOM)
        text = str(shown).replace("z", "\0").replace("\0", xt)
        tex = sp.latex(shown, symbol_names={z: xx})
        deriv = _Given(f"{key}′({xt})" if len(text) > 60 else f"({text})",
                       tex if len(text) <= 60 else rf"\operatorname{{{key.replace('_', '')}}}'"
                       rf"\left({xx}\right)", value)
        return [mx.hadamard(g, deriv)]

    return rule


class _Ind(sp.Function):
    """The indicator 1[u > 0], for display only (the value at 0 is the engine's)."""

    def _sympystr(self, printer):
        return f"1[{printer._print(self.args[0])} > 0]"

    def _latex(self, printer, exp=None):
        return rf"\mathbb{{1}}\left[{printer._print(self.args[0])} > 0\right]"


def _indicators(expr):
    """Heaviside(u, h) shown as the indicator 1[u > 0]."""
    return expr.replace(lambda e: isinstance(e, sp.Heaviside), lambda e: _Ind(e.args[0]))
