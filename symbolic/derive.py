"""Closed forms for display: simplification (run under a time limit by the caller), plain /
unicode / LaTeX text with constants rounded for reading, and a matrix form for the linear model
``L = mean((X wᵀ + b − Y)²)`` (dL/dw = 2/N (X wᵀ + b − Y)ᵀ X, dL/db = 2/N Σ (X wᵀ + b − Y))."""

from __future__ import annotations

import numpy as np
import sympy as sp

DIGITS = 4  # significant digits of constants in displayed closed forms


def simplify(expr):
    """The shortest of: as derived, expanded, ``sp.simplify``-ed (may be slow: time-limit it)."""
    if expr.is_Number or expr.is_Symbol:
        return expr
    if expr.is_polynomial(*expr.free_symbols):
        return sp.expand(expr)  # canonical already; sp.simplify would only cost time
    cands = [expr]
    if not expr.has(sp.Piecewise):
        cands.append(sp.expand(expr))
    else:
        cands.append(sp.piecewise_fold(expr))
    cands.append(sp.simplify(cands[-1]))
    return min(cands, key=sp.count_ops)


def rounded(expr, digits: int = DIGITS):
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.Float(f, digits) for f in floats})


def texts(expr) -> tuple[str, str, str]:
    """(plain, unicode pretty, LaTeX) of ``expr`` with constants rounded."""
    e = rounded(expr)
    return str(e), sp.pretty(e, use_unicode=True), sp.latex(e)


def value(expr, point) -> float | None:
    try:
        v = expr.xreplace(point)
        v = v.evalf() if not v.is_Number else v
        return float(v)
    except (TypeError, ValueError):
        return None


def abbreviate(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- matrix form of the linear model -----------------------------------------------------------
def _node(g, ref):
    return g.nodes[ref.index] if ref.kind == "node" else None


def _const_leaf(g, ref):
    if ref.kind == "leaf" and not g.leaves[ref.index].requires_grad:
        return g.leaves[ref.index]
    return None


def linear_model(call):
    """{target index: (text, latex, dL/d target as float64 array)} for the linear model's
    targets, or None when the graph isn't ``mean|sum((X @ W (+ b) - Y) ** 2)``."""
    g = call.graph
    if len(call.roots) != 1 or call.roots[0].kind != "node":
        return None
    top = _node(g, call.roots[0])
    if top.key not in ("mean", "sum") or top.attrs[1] is not None:
        return None
    n = int(np.prod(top.attrs[0])) if top.key == "mean" else 1
    sq = _node(g, top.inputs[0])
    if sq is None or not ((sq.key == "pow" and sq.attrs == 2) or
                          (sq.key == "mul" and sq.inputs[0] == sq.inputs[1])):
        return None
    diff = _node(g, sq.inputs[0])
    if diff is None or diff.key != "sub":
        return None
    # (Y - pred)² = (pred - Y)²: either order gives the same form
    pred_ref, y = diff.inputs[0], _const_leaf(g, diff.inputs[1])
    if y is None:
        pred_ref, y = diff.inputs[1], _const_leaf(g, diff.inputs[0])
    pred = _node(g, pred_ref)
    if y is None or pred is None:
        return None
    b_ref = None
    if pred.key == "add":
        mm = _node(g, pred.inputs[0])
        b_ref = pred.inputs[1]
        if mm is None or mm.key != "mm":
            mm, b_ref = _node(g, pred.inputs[1]), pred.inputs[0]
        if mm is None or mm.key != "mm" or b_ref.kind != "leaf":
            return None
    elif pred.key == "mm":
        mm = pred
    else:
        return None
    x = _const_leaf(g, mm.inputs[0])
    wt = _node(g, mm.inputs[1])
    if x is None:
        return None
    if wt is not None and wt.key in ("t", "transpose", "permute") and wt.inputs[0].kind == "leaf":
        w_ref, transposed = wt.inputs[0], True
    elif mm.inputs[1].kind == "leaf":
        w_ref, transposed = mm.inputs[1], False
    else:
        return None
    X = np.asarray(x.value, np.float64)
    W = np.asarray(g.leaves[w_ref.index].value, np.float64)
    Y = np.asarray(y.value, np.float64)
    B = 0.0 if b_ref is None else np.asarray(g.leaves[b_ref.index].value, np.float64)
    r = X @ (W.T if transposed else W) + B - Y
    seed = float(np.asarray(call.seeds[0], np.float64).reshape(-1)[0])
    d_pred = seed * 2.0 / n * r
    wn, xn, yn = g.leaves[w_ref.index].name, x.name, y.name
    bn = "" if b_ref is None else " + " + g.leaves[b_ref.index].name
    res = f"{xn}·{wn}ᵀ{bn} − {yn}" if transposed else f"{xn}·{wn}{bn} − {yn}"
    res_tex = (f"{xn} {wn}^{{T}}{bn} - {yn}" if transposed else f"{xn} {wn}{bn} - {yn}")
    coef = "2" if n == 1 else f"2/{n}"
    coef_tex = "2" if n == 1 else rf"\frac{{2}}{{{n}}}"
    if seed != 1.0:
        coef, coef_tex = f"{seed:g}·{coef}", f"{seed:g} {coef_tex}"
    out = {}
    for ti, t in enumerate(call.targets):
        if t.leaf == w_ref.index:
            grad = d_pred.T @ X if transposed else X.T @ d_pred
            text = (f"∂L/∂{wn} = {coef}·({res})ᵀ·{xn}" if transposed else
                    f"∂L/∂{wn} = {coef}·{xn}ᵀ·({res})")
            tex = (rf"\frac{{\partial L}}{{\partial {wn}}} = {coef_tex} ({res_tex})^{{T}} {xn}"
                   if transposed else
                   rf"\frac{{\partial L}}{{\partial {wn}}} = {coef_tex} {xn}^{{T}} ({res_tex})")
        elif b_ref is not None and t.leaf == b_ref.index:
            bshape = t.shape
            grad = _sum_to(d_pred, bshape)
            bname = g.leaves[b_ref.index].name
            text = f"∂L/∂{bname} = {coef}·Σ_rows({res})"
            tex = rf"\frac{{\partial L}}{{\partial {bname}}} = {coef_tex} \sum_i ({res_tex})_i"
        else:
            continue
        out[ti] = (text, tex, grad)
    return out or None


def _sum_to(g, shape):
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and g.shape[i + lead] != 1)
    return np.sum(g, axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)
