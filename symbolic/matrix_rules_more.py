"""Matrix rules for the ops ``matrix_rules`` has no row for: selections and scatters (gather,
index_select, sort/topk, max over a dim, pad, roll, repeat, split, embedding, max pooling, ...),
the elementwise functions of several tensors (atan2, lerp, pow with a tensor exponent, ...), the
reductions (max/min, logsumexp, prod, norms, var/std, cumprod, trace) and the losses. Layer ops
(convolution, pooling, normalisation) are in ``matrix_rules_layers``.

Each rule writes its result as a textbook does (``∂L/∂x = scatter_d(0, indices, ∂L/∂y)``,
``∂L/∂x = ∂L/∂m ⊙ 1[x = m] ⊘ #ties``) and computes its value in numpy from the forward values,
never from the engine's backward:

- a selection (every output element is one input element or a constant) is run forward once
  more through its numpy rule on element ids (``rules.NUM``, the replay's own rule); each
  output's id names its source, and ∂L/∂x adds ∂L/∂y back at those sources (an element read
  twice gets both). Two id bases tell copied elements from constants (a pad's 0, a fill value).
- an elementwise function of several tensors is differentiated by sympy from its scalar rule
  and summed over its broadcast axes.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import matrix_expr as mx
from .matrix_rules import NoMatrixForm, _Given, _spread, sum_to

_BASE_A, _BASE_B = float(2**30), float(2**31)  # exact in float64 for any id below 2**30


def _num_forward(node, ins, values):
    from .rules import NUM, apply

    args = [float(v) if r.kind == "scalar" else np.asarray(v, np.float64)
            for r, v in zip(node.inputs, values, strict=True)]
    return apply(NUM, node.key, args, node.attrs, [np.shape(o) for o in node.out_values])


def selection_adjoint(node, ins, gs):
    """∂L/∂input for each input of a selection op, from ∂L/∂output ``gs`` (arrays or None)."""
    sizes = [0 if r.kind == "scalar" else int(np.prod(x.shape, dtype=np.int64))
             for r, x in zip(node.inputs, ins, strict=True)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def ids(base):
        return [float(x.value) if r.kind == "scalar" else
                (base + starts[k] + np.arange(sizes[k], dtype=np.float64)).reshape(x.shape)
                for k, (r, x) in enumerate(zip(node.inputs, ins, strict=True))]

    with np.errstate(all="ignore"):
        out_a, out_b = _num_forward(node, ins, ids(_BASE_A)), _num_forward(node, ins, ids(_BASE_B))
    total = np.zeros(int(starts[-1]))
    for oa, ob, g in zip(out_a, out_b, gs, strict=True):
        if g is None:
            continue
        oa, ob = np.asarray(oa, np.float64), np.asarray(ob, np.float64)
        moved = (ob - oa) == (_BASE_B - _BASE_A)
        src = (oa[moved] - _BASE_A).astype(np.int64)
        np.add.at(total, src, np.broadcast_to(g, oa.shape)[moved])
    return [None if r.kind == "scalar" else total[starts[k]:starts[k + 1]].reshape(x.shape)
            for k, (r, x) in enumerate(zip(node.inputs, ins, strict=True))]


def _call(name, tex, parts, value):
    """``name(p1, p2, ...)``: parts are expressions or plain strings."""
    texts = [p if isinstance(p, str) else p.text() for p in parts]
    texs = [p if isinstance(p, str) else p.tex() for p in parts]
    return _Given(f"{name}({', '.join(texts)})", rf"{tex}\left({', '.join(texs)}\right)", value)


def _op(name):
    return r"\operatorname{" + name.replace("_", r"\_") + "}"


def _selection(*writers):
    """A rule for a selection op: ``writers[k](node, g) -> (name, parts)`` for input k (None:
    that input gets no form, e.g. an index)."""

    def rule(node, ins, out, g):
        values = selection_adjoint(node, ins, [g.value])
        grads = []
        for k, v in enumerate(values):
            w = writers[k] if k < len(writers) else None
            if w is None or v is None:
                grads.append(None)
                continue
            name, parts = w(node, g)
            grads.append(_call(name, _op(name), parts, v))
        return grads

    return rule


def _split_rule(node, ins, outs, gs):
    d = node.attrs[0]
    vals = [np.zeros(o.shape) if g is None else g.value for o, g in zip(node.out_values, gs,
                                                                          strict=True)]
    parts = [g if g is not None else mx.Number(0.0) for g in gs]
    return [_call(f"cat_{d}", rf"\operatorname{{cat}}_{{{d}}}", parts,
                  np.concatenate(vals, axis=d))]


_split_rule.multi_output = True


def _unbind_rule(node, ins, outs, gs):
    d = node.attrs[0]
    vals = [np.zeros(o.shape) if g is None else g.value for o, g in zip(node.out_values, gs,
                                                                          strict=True)]
    parts = [g if g is not None else mx.Number(0.0) for g in gs]
    return [_call(f"stack_{d}", rf"\operatorname{{stack}}_{{{d}}}", parts,
                  np.stack(vals, axis=d))]


_unbind_rule.multi_output = True


def _indexed(node, ins, out, g):
    """max/min/median/mode over a dim: ∂L/∂y goes to the recorded index of each output."""
    shape, dim, keepdim, idx = node.attrs
    gv = g.value if keepdim else np.expand_dims(g.value, dim)
    value = np.zeros(shape)
    np.put_along_axis(value, idx, gv, axis=dim)
    return [_call(f"scatter_{dim}", rf"\operatorname{{scatter}}_{{{dim}}}", ["0", "indices", g],
                  value)]


def _ties(node, ins, out, g):
    """max/min/amax/amin/median of all elements or over dims: ties share ∂L/∂y evenly."""
    x = ins[0]
    if node.key == "median":
        mask = np.asarray(node.attrs[0]) != 0
        dims, keep = None, False
    elif node.key in ("max_all", "min_all"):
        dims, keep = None, False
        mask = x.value == out.value
    else:
        dims, keep = node.attrs[0], node.attrs[1]
        m = out.value if keep or dims is None else np.expand_dims(
            out.value, tuple(d % x.value.ndim for d in dims))
        mask = x.value == m
    axes = None if dims is None else tuple(d % max(x.value.ndim, 1) for d in dims)
    count = np.sum(mask, axis=axes, keepdims=True)
    spread = _spread(g, x.shape, dims, keep) if x.value.ndim else g
    ind = _Given(f"1[{x.wrap(mx.ATOM)[0]} = {out.wrap(mx.ATOM)[0]}]",
                 rf"\mathbb{{1}}\left[{x.wrap(mx.ATOM)[1]} = {out.wrap(mx.ATOM)[1]}\right]",
                 mask.astype(np.float64))
    ties = _Given("#ties", r"\#\mathrm{ties}", np.broadcast_to(count, x.shape))
    ties.prec = mx.ATOM
    return [mx.Binary("⊘", mx.hadamard(spread, ind), ties)]


def _keep(x, out, dims, keep):
    if keep or dims is None or x.ndim == 0:
        return out
    return np.expand_dims(out, tuple(d % x.ndim for d in dims))


def _logsumexp(node, ins, out, g):
    dims, keep = node.attrs
    x = ins[0]
    lse = _keep(x.value, out.value, dims, keep)
    spread = _spread(g, x.shape, dims, keep)
    soft = _Given(f"exp({x.text()} − {out.wrap(mx.ATOM)[0]})",
                  rf"\exp\left({x.tex()} - {out.wrap(mx.ATOM)[1]}\right)",
                  np.exp(x.value - lse))
    return [mx.hadamard(spread, soft)]


def _prod(node, ins, out, g):
    shape, dims, keep = node.attrs
    x = ins[0].value
    axes = tuple(range(x.ndim)) if dims is None else tuple(d % max(x.ndim, 1) for d in dims)
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, rest + list(axes)).reshape([x.shape[d] for d in rest] + [-1])
    left = np.cumprod(np.concatenate([np.ones(moved.shape[:-1] + (1,)), moved[..., :-1]], -1),
                      -1)
    right = np.flip(np.cumprod(np.concatenate([np.ones(moved.shape[:-1] + (1,)),
                                               np.flip(moved, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape([x.shape[d] for d in rest] + [x.shape[d] for d in axes])
    others = np.transpose(others, np.argsort(rest + list(axes))) if x.ndim else others.reshape(())
    spread = _spread(g, x.shape, dims, keep) if x.ndim else g
    xt = ins[0].wrap(mx.ATOM)
    rest_prod = _Given(f"Π_(j≠i) {xt[0]}_j", rf"\prod_{{j \neq i}} {xt[1]}_{{j}}", others)
    return [mx.hadamard(spread, rest_prod)]


def _norm(node, ins, out, g):
    dims, keep = node.attrs[0], node.attrs[1]
    p = node.attrs[2] if len(node.attrs) > 2 else 2
    x = ins[0]
    n = _keep(x.value, out.value, dims, keep)
    spread = _spread(g, x.shape, dims, keep) if x.value.ndim else g
    xt, nt = x.wrap(mx.ATOM), out.wrap(mx.ATOM)
    with np.errstate(all="ignore"):
        if p == 2:
            value = np.where(n == 0, 0.0, x.value / n)
            d = _Given(f"{xt[0]} ⊘ {nt[0]}", rf"\frac{{{x.tex()}}}{{{out.tex()}}}", value)
        elif p == 1:
            d = mx.Func("sign", x, np.sign, r"\operatorname{sign}")
        elif np.isfinite(p) and p > 0:
            value = np.where(n == 0, 0.0, np.sign(x.value) * np.abs(x.value) ** (p - 1)
                             / n ** (p - 1))
            k = mx._num(p - 1)
            d = _Given(f"sign({x.text()}) ⊙ |{x.text()}|^{k} ⊘ {nt[0]}^{k}",
                       rf"\frac{{\operatorname{{sign}}({x.tex()}) \odot |{x.tex()}|^{{{k}}}}}"
                       rf"{{{nt[1]}^{{{k}}}}}", value)
        else:
            raise NoMatrixForm(f"the {p}-norm")
    return [mx.hadamard(spread, d)]


def _centered(x, shape, dims):
    axes = tuple(range(len(shape))) if dims is None else tuple(d % max(len(shape), 1)
                                                               for d in dims)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    return x.value - np.mean(x.value, axis=axes, keepdims=True), n, axes


def _moment_terms(node, x, out, g, root, shape, dims, corr, keep):
    dev, n, _ = _centered(x, shape, dims)
    spread = _spread(g, x.shape, dims, keep)
    xt = x.wrap(mx.ATOM)
    bar = f"mean({x.text()})"
    if root:
        s = _keep(x.value, out.value, dims, keep)
        with np.errstate(all="ignore"):
            value = dev / ((n - corr) * s)
        d = _Given(f"({xt[0]} − {bar}) ⊘ ({n - corr}·{out.wrap(mx.ATOM)[0]})",
                   rf"\frac{{{xt[1]} - \bar{{{xt[1]}}}}}{{{n - corr}\,{out.tex()}}}", value)
    else:
        d = _Given(f"2/{n - corr}·({xt[0]} − {bar})",
                   rf"\frac{{2}}{{{n - corr}}}\left({xt[1]} - \bar{{{xt[1]}}}\right)",
                   2 * dev / (n - corr))
    return mx.hadamard(spread, d)


def _moment(root):
    def rule(node, ins, out, g):
        shape, dims, corr, keep = node.attrs
        return [_moment_terms(node, ins[0], out, g, root, shape, dims, corr, keep)]
    return rule


def _moments(node, ins, outs, gs):
    key, shape, dims, corr, keep = node.attrs
    x = ins[0]
    terms = []
    if gs[0] is not None:
        terms.append(_moment_terms(node, x, outs[0], gs[0], key == "std_mean", shape, dims,
                                   corr, keep))
    if gs[1] is not None:
        _, n, _ = _centered(x, shape, dims)
        terms.append(mx.scale(mx.Coef((), n), _spread(gs[1], x.shape, dims, keep)))
    e = terms[0]
    for t in terms[1:]:
        e = mx.add(e, t)
    return [e]


_moments.multi_output = True


def _cumprod(node, ins, out, g):
    d = node.attrs[0]
    x = ins[0].value
    if x.ndim == 0:
        return [g]
    xm, gm = np.moveaxis(x, d, -1), np.moveaxis(np.broadcast_to(g.value, x.shape), d, -1)
    n = xm.shape[-1]
    value = np.zeros_like(xm)
    for i in range(n):  # Σ_(j≥i) g_j Π_(k≤j, k≠i) x_k, exact where some x_k is 0 too
        others = xm.copy()
        others[..., i] = 1.0
        p = np.cumprod(others, -1)
        value[..., i] = np.sum((gm * p)[..., i:], -1)
    xt = ins[0].wrap(mx.ATOM)
    return [_Given(f"Σ_(j≥i) {g.wrap(mx.ATOM)[0]}_j·Π_(k≤j, k≠i) {xt[0]}_k",
                   rf"\sum_{{j \geq i}} {g.wrap(mx.ATOM)[1]}_{{j}} \prod_{{k \leq j, k \neq i}}"
                   rf" {xt[1]}_{{k}}", np.moveaxis(value, -1, d))]


def _trace(node, ins, out, g):
    shape = node.attrs[0]
    eye = np.eye(shape[0], shape[1])
    ident = mx.Sym("I", eye, "I")
    return [mx.hadamard(g, ident)]


def _index_add(node, ins, out, g):
    idx, alpha = node.attrs
    d = next(k for k, ix in enumerate(idx) if not isinstance(ix, slice)) if isinstance(
        idx, tuple) else 0
    value = np.asarray(g.value[idx], np.float64) * alpha
    src = mx.scale(mx.const(alpha), _call(f"index_select_{d}", rf"\operatorname{{index\_select}}"
                                          rf"_{{{d}}}", [g, "index"], value / alpha)) \
        if alpha != 1 else _call(f"index_select_{d}", rf"\operatorname{{index\_select}}_{{{d}}}",
                                 [g, "index"], value)
    return [g, src if len(ins) > 1 else None]


def _scatter_add(node, ins, out, g):
    idx, region, _ = node.attrs
    value = np.zeros(ins[1].shape)
    value[region] = g.value[idx]
    return [g, _call("gather", _op("gather"), [g, "index"], value)]


def _index_scatter(node, ins, out, g):
    """index's backward recorded by create_graph=True, y = 0 with a added at the indexed
    positions (an index repeated adds twice): ∂L/∂a is ∂L/∂y read back at those positions."""
    _, idx = node.attrs
    value = np.asarray(np.broadcast_to(g.value, out.shape)[idx], np.float64)
    shape = ins[0].shape
    while value.ndim > len(shape):
        value = value.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and value.shape[i] != 1)
    value = value.sum(axis=axes, keepdims=True) if axes else value
    return [_call("index", _op("index"), [g, "indices"], value.reshape(shape))]


_DERIVED: dict = {}  # (op key, scalar arguments, attrs) -> its partial derivatives


def _partials(key, node, ins):
    """[(∂f/∂x_k as sympy in ARG0, ARG1..., its numpy function)] per tensor input, derived once
    per op key and constant arguments (a loop records the same op many times)."""
    from .derive import rounded
    from .matrix_rules import _indicators
    from .rules import NUMPY_FUNCS, RULES as SCALAR, SYM

    scalars = tuple(float(ins[k].value) if r.kind == "scalar" else None
                    for k, r in enumerate(node.inputs))
    cache_key = (key, scalars, repr(node.attrs))
    hit = _DERIVED.get(cache_key)
    if hit is not None:
        return hit
    tensor = [k for k, r in enumerate(node.inputs) if r.kind != "scalar"]
    zs = [sp.Symbol(f"ARG{j}", real=True) for j in range(len(tensor))]
    args = []
    for k, c in enumerate(scalars):
        if c is None:
            a = np.empty((), dtype=object)
            a[()] = zs[tensor.index(k)]
            args.append(a)
        else:
            args.append(c)
    f = SCALAR[key](SYM, tuple(args), node.attrs, ())
    f = np.asarray(f).reshape(()).item() if isinstance(f, np.ndarray) else f
    out = []
    for z in zs:
        d = sp.diff(f, z)
        out.append((d, sp.lambdify(zs, d, modules=[NUMPY_FUNCS, "numpy"]),
                    _indicators(rounded(d))))
    if len(_DERIVED) > 256:
        _DERIVED.clear()
    _DERIVED[cache_key] = out
    return out


def _elementwise_n(key):
    """∂L/∂input_k of an elementwise function of several tensors: ∂L/∂y ⊙ ∂f/∂x_k from the
    scalar rule, summed over the axes broadcasting stretched."""

    def rule(node, ins, out, g):
        tensor = [k for k, r in enumerate(node.inputs) if r.kind != "scalar"]
        names = [ins[k].wrap(mx.POW + 1) for k in tensor]
        zs = [sp.Symbol(f"ARG{j}", real=True) for j in range(len(tensor))]
        values = [np.broadcast_to(ins[k].value, out.shape) for k in tensor]
        grads = [None] * len(node.inputs)
        for (d, fn, shown), k in zip(_partials(key, node, ins), tensor, strict=True):
            if d == 0 or d == 1:  # fmod's 1, copysign's 0 in its sign argument
                grads[k] = sum_to(g, ins[k].shape) if d == 1 else _Given(
                    "0", "0", np.zeros(ins[k].shape))
                continue
            with np.errstate(all="ignore"):
                v = np.broadcast_to(np.asarray(fn(*values), np.float64), out.shape)
            text = str(shown)
            for j, (t, _) in enumerate(names):
                text = text.replace(f"ARG{j}", t)
            tex = sp.latex(shown, symbol_names={z: t for z, (_, t) in zip(zs, names,
                                                                         strict=True)})
            if len(text) > 70:
                text, tex = f"∂{key}/∂{ins[k].wrap(mx.ATOM)[0]}", \
                    rf"\partial\,\operatorname{{{key.replace('_', '')}}}/\partial {ins[k].tex()}"
            grads[k] = sum_to(mx.hadamard(g, _Given(f"({text})", rf"\left({tex}\right)", v)),
                              ins[k].shape)
        return grads

    return rule


def _piecewise_loss(node, ins, out, g):
    reduction, n, k, huber = node.attrs
    a, b = ins
    diff = mx.sub(a, b)
    dv = diff.value
    if huber:
        value = np.clip(dv, -k, k)
        d = _Given(f"clip({diff.text()}, −{mx._num(k)}, {mx._num(k)})",
                   rf"\operatorname{{clip}}\left({diff.tex()}, -{mx._num(k)}, {mx._num(k)}\right)",
                   value)
    else:
        value = np.clip(dv / k, -1.0, 1.0)
        d = _Given(f"clip(({diff.text()})/{mx._num(k)}, −1, 1)",
                   rf"\operatorname{{clip}}\left(\frac{{{diff.tex()}}}{{{mx._num(k)}}}, -1, 1"
                   r"\right)", value)
    if reduction == "mean":
        d = mx.scale(mx.Coef((), n), d)
    gd = mx.hadamard(g, d) if reduction == "none" else mx.hadamard(d, g)
    return [sum_to(gd, a.shape), sum_to(mx.neg(gd), b.shape)]


def _bce(node, ins, out, g):
    reduction, n, w = node.attrs
    p, y = ins
    pv, yv = p.value, y.value
    with np.errstate(all="ignore"):
        dp_v = (pv - yv) / np.maximum(pv * (1 - pv), 1e-12)
        dy_v = np.maximum(np.log(1 - pv), -100.0) - np.maximum(np.log(pv), -100.0)
    pt, yt = p.wrap(mx.MUL + 1), y.wrap(mx.ADD + 1)
    dp = _Given(f"({p.text()} − {yt[0]}) ⊘ ({pt[0]} ⊙ (1 − {p.text()}))",
                rf"\frac{{{p.tex()} - {yt[1]}}}{{{pt[1]} \odot (1 - {p.tex()})}}", dp_v)
    dy = _Given(f"log(1 − {p.text()}) − log({p.text()})",
                rf"\log\left(1 - {p.tex()}\right) - \log {pt[1]}", dy_v)
    res = []
    for d in (dp, dy):
        if w is not None:
            d = mx.hadamard(d, mx.Sym("weight", np.asarray(w, np.float64)))
        if reduction == "mean":
            d = mx.scale(mx.Coef((), n), d)
        res.append(mx.hadamard(g, d) if reduction == "none" else mx.hadamard(d, g))
    return [sum_to(res[0], p.shape), sum_to(res[1], y.shape)]


def _pad_rule(node, ins, out, g):
    """∂L/∂x of a constant pad: ∂L/∂y with the padding cropped off."""
    (v,) = selection_adjoint(node, ins, [g.value])
    part = ", ".join(f"{s.start}:{s.stop}" for s in node.attrs[1])
    gt = g.wrap(mx.ATOM)
    return [_Given(f"{gt[0]}[{part}]", rf"{gt[1]}_{{[{part.replace(':', '{:}')}]}}", v)]


def gather_map(node, ins, out, g):
    """A gather map (``engine.ops.nn_maps``: pads, upsampling, unfold, ...) is the linear map
    y = M·x with M's rows picking and weighting input elements: ∂L/∂x = Mᵀ·∂L/∂y, i.e. each
    output's grad, times its weight, added back onto the elements it read."""
    in_shape, idx, w = node.attrs
    value = np.zeros(int(np.prod(in_shape, dtype=np.int64)))
    gv = np.broadcast_to(g.value, idx.shape[1:])
    for k in range(idx.shape[0]):
        valid = idx[k] >= 0
        part = gv if w is None else gv * np.asarray(w[k], np.float64)
        np.add.at(value, idx[k][valid], part[valid])
    name = node.key
    return [_call(f"{name}ᵀ", _op(name) + "^{T}", [g], value.reshape(in_shape))]


def _attention(node, ins, out, g):
    """Scaled dot-product attention O = P·V, P = softmax(s·Q·Kᵀ + mask): ∂L/∂V = Pᵀ·∂L/∂O,
    ∂L/∂S = P ⊙ (∂L/∂O·Vᵀ − Σ_cols(P ⊙ ∂L/∂O·Vᵀ)), ∂L/∂Q = s·∂L/∂S·K, ∂L/∂K = s·∂L/∂Sᵀ·Q
    (heads shared by several query heads sum their grads)."""
    bias, scale, dropout, groups = node.attrs
    if dropout:
        raise NoMatrixForm("dropout inside attention")
    q, k, v = (x.value for x in ins)
    kr = np.repeat(k, groups, axis=-3) if groups > 1 else k
    vr = np.repeat(v, groups, axis=-3) if groups > 1 else v
    scores = q @ np.swapaxes(kr, -1, -2) * scale
    dead = None
    if bias is not None:
        b = np.asarray(bias._data, np.float64)
        dead = np.all(np.isneginf(b), -1, keepdims=True)
        scores = scores + np.where(dead, 0.0, b)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    if dead is not None:
        p = np.where(np.broadcast_to(dead, p.shape), 0.0, p)
    gv = np.broadcast_to(g.value, out.shape)
    dv = np.swapaxes(p, -1, -2) @ gv
    dp = gv @ np.swapaxes(vr, -1, -2)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    dq = scale * ds @ kr
    dk = scale * np.swapaxes(ds, -1, -2) @ q

    def fold(x):  # a key/value head used by `groups` query heads gets all their grads
        if groups == 1:
            return x
        return x.reshape(x.shape[:-3] + (-1, groups) + x.shape[-2:]).sum(-3)

    qt, kt, vt = (x.wrap(mx.MUL) for x in ins)
    gt = g.wrap(mx.MUL)
    s_ = mx._num(scale)
    p_def = f"P = softmax({s_}·{qt[0]}·{kt[0]}ᵀ{' + mask' if bias is not None else ''})"
    ds_def = f"∂L/∂S = P ⊙ ({gt[0]}·{vt[0]}ᵀ − Σ_cols(P ⊙ {gt[0]}·{vt[0]}ᵀ))"
    return [
        _Given(f"{s_}·∂L/∂S·{kt[0]}, {ds_def}, {p_def}",
               rf"{s_}\,\frac{{\partial L}}{{\partial S}} {kt[1]}", dq),
        _Given(f"{s_}·(∂L/∂S)ᵀ·{qt[0]}, {ds_def}, {p_def}",
               rf"{s_}\left(\frac{{\partial L}}{{\partial S}}\right)^{{T}} {qt[1]}",
               fold(dk)),
        _Given(f"Pᵀ·{gt[0]}, {p_def}", rf"P^{{T}} {gt[1]}", fold(dv)),
    ]


def _masked(name):
    return lambda node, g: (name, [g])


def _with_index(name):
    return lambda node, g: (name, ["0", "index", g])


def _roll_text(node, g):
    shifts, dims = node.attrs
    neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
    return "roll", [g, str(neg), str(dims)]


RULES_MORE = {
    # selections: ∂L/∂x puts ∂L/∂y back where each output element was read from
    "gather": _selection(_with_index("scatter_add")),
    "cummax": _selection(_with_index("scatter_add")),
    "cummin": _selection(_with_index("scatter_add")),
    "max_unpool2d": _selection(lambda n, g: ("gather", [g, "indices"])),
    "index_select": _selection(_with_index("index_add")),
    "embedding": _selection(lambda n, g: ("index_add_0", ["0", "indices", g])),
    "masked_select": _selection(lambda n, g: ("masked_scatter", ["0", "mask", g])),
    "sort": _selection(_with_index("scatter")),
    "sort_stable": _selection(_with_index("scatter")),
    "topk": _selection(_with_index("scatter")),
    "max_pool2d": _selection(lambda n, g: ("max_unpool", [g, "argmax"])),
    "repeat": _selection(lambda n, g: ("Σ_tiles", [g])),
    "roll": _selection(_roll_text),
    "diagonal": _selection(lambda n, g: ("diag_embed", [g])),
    "diag_embed": _selection(lambda n, g: ("diagonal", [g])),
    "transpose_": _selection(lambda n, g: ("transpose", [g])),
    "as_strided": _selection(lambda n, g: ("as_strided_scatter", ["0", g])),
    "index_copy": _selection(_masked("keep_uncopied"), _with_index("index_select")),
    "index_fill": _selection(_masked("keep_unfilled")),
    "index_fill_t": _selection(_masked("keep_unfilled"), lambda n, g: ("Σ_filled", [g])),
    "scatter": _selection(_masked("keep_unscattered"), _with_index("gather")),
    "scatter_value": _selection(_masked("keep_unscattered")),
    "setitem": _selection(_masked("keep_unset"), lambda n, g: ("Σ_broadcast", [g])),
    "copy": _selection(None, lambda n, g: ("Σ_broadcast", [g])),
    "fill_t": _selection(None, lambda n, g: ("Σ", [g])),
    "fill": lambda n, i, o, g: [None], "zero": lambda n, i, o, g: [None],  # nothing flows
    "constant_pad_nd": _pad_rule,
    "sdpa_flash": _attention,
    "max_dim": _indexed, "min_dim": _indexed, "median_dim": _indexed, "mode": _indexed,
    "split": _split_rule, "split_sizes": _split_rule, "unsafe_split": _split_rule,
    "unbind": _unbind_rule,
    # reductions
    "amax": _ties, "amin": _ties, "max_all": _ties, "min_all": _ties, "median": _ties,
    "logsumexp": _logsumexp, "prod": _prod, "prod_dim": _prod,
    "norm": _norm, "norm_p": _norm,
    "var": _moment(False), "std": _moment(True), "var_mean": _moments, "std_mean": _moments,
    "cumprod": _cumprod, "trace": _trace,
    "index_add": _index_add, "scatter_add": _scatter_add,
    # losses
    "smooth_l1_loss": _piecewise_loss, "huber_loss": _piecewise_loss,
    "binary_cross_entropy": _bce,
}

# elementwise functions of several tensors (and copysign by a number): from the scalar rule
for _key in ("copysign", "copysign_s", "fmod_tt", "remainder_tt", "lerp", "lerp_t",
             "logaddexp", "pow_tt", "div_mode", "remainder",
             # an activation's backward recorded by create_graph=True: g ⊙ f'(x or y), whose
             # derivative in g and in x (or y) a second backward needs
             "threshold_backward", "elu_backward", "leaky_relu_backward", "hardtanh_backward",
             "tanh_backward", "sigmoid_backward"):
    RULES_MORE[_key] = _elementwise_n(_key)
RULES_MORE["index_scatter"] = _index_scatter

# ops with no matrix form, and why (the completeness test reads this)
NO_MATRIX_FORM = {
    "not_implemented": "its backward raises, as PyTorch's does",
    "stale_multi_view": "its backward raises (a view of a tensor changed in place since)",
    "clamp_t": "its grads are masks on three tensors; checked element by element instead",
    "clamp_min_t": "its grads are masks on two tensors; checked element by element instead",
    "clamp_max_t": "its grads are masks on two tensors; checked element by element instead",
}
