"""Closed forms for display: simplification (run under a time limit by the caller), plain /
unicode / LaTeX text with constants rounded for reading, and a matrix form for the linear model
``L = mean((X wᵀ + b − Y)²)`` (dL/dw = 2/N (X wᵀ + b − Y)ᵀ X, dL/db = 2/N Σ (X wᵀ + b − Y))."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

DIGITS = 4  # significant digits of constants in displayed closed forms
SIMPLIFY_OPS = 80  # sp.simplify only below this size: above it, it is slow and rarely shorter
DISPLAY_OPS = 400  # above this, no pretty/LaTeX form (unreadable, and slow to lay out)


def size(expr, limit: int = 10_000) -> int:
    """Number of nodes of ``expr`` as a tree, counting at most ``limit`` (cheap on huge ones)."""
    n, stack = 0, [expr]
    while stack and n < limit:  # sympy's preorder_traversal nests generators: slow when deep
        e = stack.pop()
        n += 1
        stack.extend(e.args)
    return n


def too_large_to_simplify(expr) -> bool:
    """True when ``simplify`` leaves ``expr`` as derived (the report then says so)."""
    if expr.is_Number or expr.is_Symbol:
        return False
    if size(expr, 8 * SIMPLIFY_OPS) >= 8 * SIMPLIFY_OPS:
        return True
    if expr.is_polynomial(*expr.free_symbols):
        return False  # expanded: canonical already, and cheap
    return sp.count_ops(expr) > SIMPLIFY_OPS


def simplify(expr):
    """The shortest of: as derived, expanded, ``sp.simplify``-ed (may be slow: time-limit it)."""
    if expr.is_Number or expr.is_Symbol:
        return expr
    if size(expr, 8 * SIMPLIFY_OPS) >= 8 * SIMPLIFY_OPS:
        return expr
    if expr.is_polynomial(*expr.free_symbols):
        return sp.expand(expr)  # canonical already; sp.simplify would only cost time
    if sp.count_ops(expr) > SIMPLIFY_OPS:
        return expr
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


def plain(expr) -> str:
    """Plain text with constants rounded; a sketch of the top for a huge expression."""
    if size(expr, 3 * DISPLAY_OPS) >= 3 * DISPLAY_OPS:
        # printing a huge tree in full takes sympy ~0.5 s and nobody reads it
        return sketch(expr)
    return str(rounded(expr))


def texts(expr, display: bool = True, pretty: bool = True) -> tuple[str, str, str]:
    """(plain, unicode pretty, LaTeX) of ``expr`` with constants rounded; large expressions get
    only a plain sketch, ``display`` False only the plain text, ``pretty`` False no pretty."""
    if size(expr, 3 * DISPLAY_OPS) >= 3 * DISPLAY_OPS:
        return sketch(expr), "", ""
    e = rounded(expr)
    if not display:
        return str(e), "", ""
    return str(e), sp.pretty(e, use_unicode=True) if pretty else "", sp.latex(e)


def value(expr, point, memo=None) -> float | None:
    """``expr`` at ``point`` ({symbol: number}) as a float; ``memo`` may be shared between
    expressions that share subexpressions (derivatives of one output do)."""
    memo = {} if memo is None else memo
    try:
        return float(_evaluate(expr, point, memo)) + 0.0  # + 0.0: no "-0" in reports
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        try:
            v = expr.xreplace(point)
            return float(v.evalf() if not v.is_Number else v)
        except (TypeError, ValueError):
            return None


def _heaviside(x, h0=None):
    return 1.0 if x > 0 else 0.0 if x < 0 else (0.5 if h0 is None else float(h0))


_NUMERIC = {
    sp.exp: math.exp, sp.log: math.log, sp.sin: math.sin, sp.cos: math.cos, sp.tanh: math.tanh,
    sp.Abs: abs, sp.sign: lambda x: float(np.sign(x)), sp.Heaviside: _heaviside,
    sp.DiracDelta: lambda x, *k: 0.0 if x != 0 else math.inf,
    sp.Max: max, sp.Min: min, sp.erf: math.erf,
}


def _evaluate(expr, point, memo):
    """Bottom-up float evaluation, memoised per distinct subexpression (iterative)."""
    stack = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        if not done:
            stack.append((node, True))
            if isinstance(node, sp.Piecewise):
                kids = [a for pair in node.args for a in pair]
            else:
                kids = list(node.args)
            stack.extend((a, False) for a in kids if a not in memo)
            continue
        memo[node] = _node_value(node, point, memo)
    return memo[expr]


def _node_value(node, point, memo):
    if node.is_Symbol:
        return float(point[node])
    if node.is_Number:
        return float(node)
    if node is sp.true or node is sp.false:
        return bool(node)
    vals = [memo[a] for a in node.args] if not isinstance(node, sp.Piecewise) else None
    if node.is_Add:
        return math.fsum(vals)
    if node.is_Mul:
        return math.prod(vals)
    if node.is_Pow:
        return vals[0] ** vals[1]
    if isinstance(node, sp.Piecewise):
        for e, c in node.args:
            if memo[c]:
                return memo[e]
        return math.nan
    if node.is_Relational:
        return {"<": vals[0] < vals[1], "<=": vals[0] <= vals[1], ">": vals[0] > vals[1],
                ">=": vals[0] >= vals[1], "==": vals[0] == vals[1],
                "!=": vals[0] != vals[1]}[node.rel_op]
    if isinstance(node, sp.And):
        return all(vals)
    if isinstance(node, sp.Or):
        return any(vals)
    if isinstance(node, sp.Not):
        return not vals[0]
    if node.func.__name__ == "relu":
        return max(vals[0], 0.0)
    if hasattr(node.func, "numeric"):
        return float(node.func.numeric(*vals))
    fn = _NUMERIC.get(node.func)
    if fn is None:
        raise TypeError(f"no float evaluation for {node.func}")
    return fn(*vals)


def abbreviate(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sketch(expr, budget: int = 400) -> str:
    """The top of a huge expression as text, deeper parts elided with "…" (cost ~ budget)."""
    out: list[str] = []
    left = [budget]

    def emit(text):
        out.append(text)
        left[0] -= len(text)

    def walk(e, depth):
        if left[0] <= 0:
            emit("…")
            return
        if e.is_Atom:
            emit(str(rounded(e)) if e.is_Float else str(e))
            return
        if depth > 6:
            emit("…")
            return
        if e.is_Add or e.is_Mul:
            sep = " + " if e.is_Add else "*"
            emit("(")
            for i, a in enumerate(e.args):
                if i:
                    emit(sep)
                if left[0] <= 0:
                    emit(f"… {len(e.args) - i} more")
                    break
                walk(a, depth + 1)
            emit(")")
        elif e.is_Pow:
            walk(e.args[0], depth + 1)
            emit("**")
            walk(e.args[1], depth + 1)
        else:
            emit(f"{type(e).__name__}(")
            for i, a in enumerate(e.args):
                if i:
                    emit(", ")
                walk(a, depth + 1)
            emit(")")

    walk(expr, 0)
    return "".join(out)


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
