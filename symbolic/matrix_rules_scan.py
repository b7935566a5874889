"""Matrix rules for ``logcumsumexp`` and ``scatter_reduce``, written from their definitions and
computed in numpy from the forward values (never from the engine's backward):

- ``y_j = log Σ_(i≤j) exp(x_i)``: ``∂L/∂x_i = Σ_(j≥i) ∂L/∂y_j ⊙ exp(x_i − y_j)``;
- ``scatter_reduce``: each output position combines its own value (with ``include_self``) and
  the ``src`` values scattered onto it. sum: ∂L/∂y reaches each of them, ``gather``ed for src;
  mean: divided by the position's count; prod: times the product of the position's other
  factors; amax/amin: shared evenly by the values equal to the result (as ATen counts them, the
  tensor's own value is a tie even when it is not included).
"""

from __future__ import annotations

import numpy as np

from . import matrix_expr as mx
from .matrix_rules import _Given


def _logcumsumexp(node, ins, out, g):
    d = node.attrs
    if d is None:  # a 0-d input: the identity
        return [g]
    x, y = ins[0].value, out.value
    xm = np.moveaxis(x, d, -1)
    ym = np.moveaxis(y, d, -1)
    gm = np.moveaxis(np.broadcast_to(g.value, y.shape), d, -1)
    value = np.zeros(xm.shape)
    with np.errstate(all="ignore"):
        for i in range(xm.shape[-1]):  # every exponent is ≤ 0: no overflow
            terms = gm[..., i:] * np.exp(xm[..., i:i + 1] - ym[..., i:])
            value[..., i] = np.sum(np.where(gm[..., i:] == 0, 0.0, terms), -1)
    gt, xt, yt = g.wrap(mx.ATOM), ins[0].wrap(mx.ATOM), out.wrap(mx.ATOM)
    return [_Given(f"Σ_(j≥i) {gt[0]}_j·exp({xt[0]}_i − {yt[0]}_j)",
                   rf"\sum_{{j \geq i}} {gt[1]}_{{j}} \exp\left({xt[1]}_{{i}} - {yt[1]}_{{j}}"
                   r"\right)", np.moveaxis(value, -1, d))]


def _others_product(factors_self, src, grid, shape):
    """Per position, for its own factor and each scattered one, the product of the position's
    other factors (exact with zeros: a zero factor's 'others' is the rest's product when it is
    the only zero, else 0)."""
    zeros = np.zeros(shape, np.int64)
    nonzero = np.ones(shape)
    if factors_self is not None:
        zeros += factors_self == 0
        nonzero *= np.where(factors_self == 0, 1.0, factors_self)
    np.add.at(zeros, grid, (src == 0).astype(np.int64))
    np.multiply.at(nonzero, grid, np.where(src == 0, 1.0, src))

    def others(f, z, p):
        with np.errstate(all="ignore"):
            return np.where(f == 0, np.where(z == 1, p, 0.0),
                            np.where(z == 0, p / np.where(f == 0, 1.0, f), 0.0))

    own = None if factors_self is None else others(factors_self, zeros, nonzero)
    return own, others(src, zeros[grid], nonzero[grid])


def _scatter_reduce(node, ins, out, g):
    grid, part, src_shape, d, include_self, extra = node.attrs
    reduce = extra[0] if isinstance(extra, tuple) else "prod"
    x, y = ins[0].value, out.value
    src = np.asarray(ins[1].value, np.float64)[part]
    gv = np.broadcast_to(g.value, y.shape)
    count = np.zeros(y.shape, np.int64)
    np.add.at(count, grid, 1)
    written = count > 0
    if include_self:
        count = count + 1
    gt, xt = g.wrap(mx.ATOM), ins[0].wrap(mx.ATOM)
    src_t = ins[1].wrap(mx.ATOM)
    keep = "" if include_self else " ⊙ 1[not written]"
    keep_tex = "" if include_self else r" \odot \mathbb{1}\left[\text{not written}\right]"
    if reduce == "sum":
        own, per_src = np.ones(y.shape), np.ones(src.shape)
        s_text, s_tex = f"{gt[0]}{keep}", f"{gt[1]}{keep_tex}"
        r_text, r_tex = f"gather_{d}({g.text()}, index)", rf"\operatorname{{gather}}_{{{d}}}" \
            rf"\left({g.tex()}, \mathrm{{index}}\right)"
    elif reduce == "mean":
        n = np.maximum(count, 1).astype(np.float64)
        own, per_src = 1.0 / n, (1.0 / n)[grid]
        if not include_self:
            own = np.ones(y.shape)
        s_text, s_tex = (f"{gt[0]} ⊘ count", rf"{gt[1]} \oslash \mathrm{{count}}") \
            if include_self else (f"{gt[0]}{keep}", f"{gt[1]}{keep_tex}")
        r_text = f"gather_{d}({gt[0]} ⊘ count, index)"
        r_tex = rf"\operatorname{{gather}}_{{{d}}}\left({gt[1]} \oslash \mathrm{{count}}, " \
            r"\mathrm{index}\right)"
    elif reduce == "prod":
        own, per_src = _others_product(x if include_self else None, src, grid, y.shape)
        if own is None:
            own = np.ones(y.shape)
        s_text = f"{gt[0]} ⊙ Π_(other factors)" if include_self else f"{gt[0]}{keep}"
        s_tex = rf"{gt[1]} \odot \prod_{{\text{{other factors}}}}" if include_self \
            else f"{gt[1]}{keep_tex}"
        r_text = f"gather_{d}({gt[0]}, index) ⊙ Π_(other factors)"
        r_tex = rf"\operatorname{{gather}}_{{{d}}}\left({gt[1]}, \mathrm{{index}}\right)" \
            r" \odot \prod_{\text{other factors}}"
    else:  # amax / amin
        with np.errstate(invalid="ignore"):
            self_hit = x == y
            src_hit = src == y[grid]
        ties = self_hit.astype(np.int64)
        np.add.at(ties, grid, src_hit.astype(np.int64))
        share = 1.0 / np.maximum(ties, 1)
        own = self_hit * share if include_self else np.where(written, 0.0, self_hit * share)
        per_src = src_hit * share[grid]
        s_text = f"{gt[0]} ⊙ 1[{xt[0]} = y] ⊘ #ties{keep}"
        s_tex = rf"{gt[1]} \odot \mathbb{{1}}\left[{xt[1]} = y\right] \oslash \#\mathrm{{ties}}" \
            + keep_tex
        r_text = f"gather_{d}({gt[0]} ⊘ #ties, index) ⊙ 1[{src_t[0]} = gather_{d}(y, index)]"
        r_tex = rf"\operatorname{{gather}}_{{{d}}}\left({gt[1]} \oslash \#\mathrm{{ties}}, " \
            rf"\mathrm{{index}}\right) \odot \mathbb{{1}}\left[{src_t[1]} = y\right]"
    own_v = gv * own
    if not include_self and reduce != "amax" and reduce != "amin":
        own_v = np.where(written, 0.0, gv)  # a written position no longer holds x
    src_v = np.zeros(tuple(src_shape))
    src_v[part] = gv[grid] * per_src
    return [_Given(s_text, s_tex, own_v), _Given(r_text, r_tex, src_v)]


RULES_SCAN = {"logcumsumexp": _logcumsumexp, "scatter_reduce": _scatter_reduce}
