"""The local derivative of one backward node, for the debugger's "Backward step" panel (no Qt).

The closed form comes from ``symbolic.rules`` (the same forward rules the gradient check uses),
differentiated by sympy on symbols ``a``, ``b``; reductions use one symbol per element of the
input. Ops without a usable rule fall back to the engine's one-line description of the op.
sympy is slow to import and may be slow on big expressions: callers run this off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ELEMENTS = 64  # reductions over more elements are shown generically (1/N), not expanded
INPUT_NAMES = "abcd"
# Ops that move or combine whole arrays: their per-element derivative is 0/1 everywhere, so the
# useful statement is the vector-Jacobian product with the incoming grad g.
MATRIX_RULES = {
    "mm": (("grad a", "g @ bᵀ"), ("grad b", "aᵀ @ g")),
    "matmul": (("grad a", "g @ bᵀ"), ("grad b", "aᵀ @ g")),
    "bmm": (("grad a", "g @ bᵀ"), ("grad b", "aᵀ @ g")),
    "mv": (("grad a", "outer(g, b)"), ("grad b", "aᵀ @ g")),
    "dot": (("grad a", "g * b"), ("grad b", "g * a")),
    "t": (("grad a", "gᵀ"),),
    "transpose": (("grad a", "g transposed back"),),
    "permute": (("grad a", "g permuted back"),),
    "view": (("grad a", "g reshaped to a's shape"),),
    "unsafe_view": (("grad a", "g reshaped to a's shape"),),
    "squeeze": (("grad a", "g reshaped to a's shape"),),
    "squeeze_dim": (("grad a", "g reshaped to a's shape"),),
    "unsqueeze": (("grad a", "g reshaped to a's shape"),),
    "expand": (("grad a", "g summed over the expanded dimensions"),),
}


@dataclass(frozen=True)
class LocalDerivative:
    op: str  # "MulBackward0"
    forward: str  # "a*b"
    partials: tuple[tuple[str, str], ...]  # ("∂out/∂a", "b")
    source: str  # "sympy": closed form from symbolic.rules; "rule": the op's VJP; "doc": its doc
    note: str = ""

    def text(self) -> str:
        lines = [f"out = {self.forward}"]
        lines += [f"{lhs} = {rhs}" for lhs, rhs in self.partials]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def op_keys(op: str) -> list[str]:
    """The op rows of the node ``op`` names as the panels do (``CopyBackwards`` for the row
    named ``torch::autograd::CopyBackwards``)."""
    from engine.ops import OPS

    return [k for k, o in OPS.items() if o.name.rpartition("::")[2] == op]


_ROWS: dict[int, str] = {}  # id(Op) -> its key in engine.ops.OPS


def row_key(fn) -> str:
    """The ``engine.ops.OPS`` key of the row that made node ``fn`` ("" for a leaf's
    AccumulateGrad, a custom Function, or a node not from the engine). Several rows may share
    a node name (CopySlices, AddBackward0): the row says which op it was."""
    op = getattr(type(fn), "op", None)
    if op is None:
        return ""
    key = _ROWS.get(id(op))
    if key is None:
        from engine.ops import OPS

        _ROWS.clear()  # rows registered later (engine.nn.functional) join on a miss
        _ROWS.update({id(o): k for k, o in OPS.items()})
        key = _ROWS.get(id(op), "")
    return key


def _keys(op: str, row: str) -> list[str]:
    return [row] if row else op_keys(op)


def doc_of(op: str, row: str = "") -> str:
    from engine.ops import OPS

    docs = [OPS[k].doc for k in _keys(op, row) if k in OPS and OPS[k].doc]
    return docs[0] if docs else ""


def fallback(op: str, note: str = "", row: str = "") -> LocalDerivative:
    doc = doc_of(op, row)
    if op == "AccumulateGrad":
        return LocalDerivative(op, "leaf.grad", (), "doc",
                               "adds the incoming grad to the leaf's .grad (None counts as 0)")
    return LocalDerivative(op, doc or op, (), "doc", note or (
        "no per-element closed form here; the grads below are the vector-Jacobian products"))


def _tidy(sp, expr):
    """The shortest of a few cheap rewritings (a**p*p/a -> p*a**(p - 1)). Not sp.simplify: it
    turns sigmoid' into 1/(4 cosh(a/2)**2), true but unfamiliar, and can be slow."""
    cands = [expr, sp.powsimp(expr, force=True), sp.factor(expr)]
    if not expr.has(sp.exp, sp.tanh):
        cands.append(sp.simplify(expr))
    # fewest divisions first: p*a**(p - 1) reads better than the as-derived a**p*p/a
    return min(cands, key=lambda e: (str(e).count("/"), sp.count_ops(e), len(str(e))))


def infer_exponent(a, out) -> float | None:
    """The exponent p of ``out = a ** p`` from the values (a PowBackward0 node keeps neither
    its exponent nor a readable attribute in a snapshot); None unless it explains every value
    and is a simple number (an integer or a half)."""
    if a is None or out is None:
        return None
    a, out = np.asarray(a, dtype=np.float64), np.asarray(out, dtype=np.float64)
    if a.shape != out.shape or a.size == 0:
        return None
    ok = (np.abs(a) > 1e-3) & (np.abs(np.abs(a) - 1) > 1e-2) & (out != 0) & np.isfinite(out)
    if not ok.any():
        return None
    with np.errstate(all="ignore"):
        ratios = np.log(np.abs(out[ok])) / np.log(np.abs(a[ok]))
    # the middle ratio: np.median would import numpy.ma (~40 ms) inside a debugger step
    guess = np.partition(ratios, ratios.size // 2)[ratios.size // 2]
    if not np.isfinite(guess):
        return None
    p = round(float(guess) * 2) / 2
    with np.errstate(all="ignore"):
        back = np.power(a, p)
    if not np.allclose(back, out, rtol=1e-4, atol=1e-6, equal_nan=False):
        return None
    return p


def _scalar_attrs(key: str, sp, exponent=None):
    """Attributes for a rule applied to 0-d symbols (scalar parameters become symbols)."""
    if key == "pow":
        return sp.Symbol("p") if exponent is None else exponent
    if key == "clamp_min":
        return sp.Symbol("lo")
    if key == "clamp":
        return (sp.Symbol("lo"), sp.Symbol("hi"))
    return None


def _reduction_attrs(key: str, shape):
    if key in ("mean", "sum"):
        return (tuple(shape), None, False)
    return None


def local_derivative(op: str, input_shapes: tuple[tuple[int, ...], ...] = (),
                     exponent: float | None = None, row: str = "") -> LocalDerivative:
    """``op`` is the node's name; ``input_shapes`` the shapes of the grads it sends out (the
    shapes of its inputs), used for reductions; ``exponent`` p of a PowBackward0 when known
    (``infer_exponent``), else it stays a symbol; ``row`` the op row that made the node
    (``row_key``), else the first row of that name is taken."""
    import sympy as sp
    # sp.simplify (``_tidy``) imports sympy.physics.units on its first call, 0.6 s holding
    # the GIL: taken with sympy's own import in the first closed form, not in a later step's
    import sympy.physics.units  # noqa: F401

    from symbolic.rules import RULES, SYM, apply

    keys = [k for k in _keys(op, row) if k in RULES]
    if not keys:
        return fallback(op, row=row)
    key = keys[0]
    if key in MATRIX_RULES:
        return LocalDerivative(op, doc_of(op, row) or key, MATRIX_RULES[key], "rule")
    shape = tuple(input_shapes[0]) if input_shapes else ()
    try:
        reduce_attrs = _reduction_attrs(key, shape)
        if reduce_attrs is not None:
            return _reduction(op, key, shape, reduce_attrs, sp, apply, SYM)
        n_in = max(1, len(input_shapes)) if key not in ("pow", "clamp", "clamp_min") else 1
        names = INPUT_NAMES[:n_in]
        syms = [sp.Symbol(n, real=True) for n in names]
        (out,) = apply(SYM, key, tuple(np.array(s, dtype=object) for s in syms),
                       _scalar_attrs(key, sp, exponent), [()])
        expr = out[()]
        partials = tuple((f"∂out/∂{n}", str(_tidy(sp, sp.diff(expr, s))))
                         for n, s in zip(names, syms, strict=True))
        note = ""
        if key == "pow" and exponent is not None:
            note = f"p = {exponent:g}, read off the node's input and output values"
        return LocalDerivative(op, str(expr), partials, "sympy", note)
    except Exception as exc:  # a rule that needs real shapes or attributes: describe the op
        return fallback(op, f"no closed form here ({type(exc).__name__})", row)


def _reduction(op, key, shape, attrs, sp, apply, SYM) -> LocalDerivative:
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    what = "mean" if key == "mean" else "sum"
    if n > MAX_ELEMENTS:
        d = sp.Rational(1, n) if key == "mean" else sp.Integer(1)
        return LocalDerivative(op, f"{what}(a) over {n} elements",
                               (("∂out/∂a[i]", str(d)),), "sympy")
    x = np.empty(shape, dtype=object)
    flat = x.reshape(-1)
    for i in range(n):
        flat[i] = sp.Symbol(f"a{i}", real=True)
    (out,) = apply(SYM, key, (x,), attrs, [()])
    expr = out[()]
    d = sp.diff(expr, flat[0])
    forward = f"{what}(a) over {n} element{'s' if n != 1 else ''}"
    return LocalDerivative(op, forward, (("∂out/∂a[i]", str(d)),), "sympy",
                           "the same for every element i" if n > 1 else "")
