"""f, f' and f'' of a scalar function of one variable (no Qt): the curves from the engine
(``autograd.grad`` with ``create_graph=True``, so f'' is the derivative of the engine's own f'
graph) and the closed forms from sympy, through ``symbolic`` (the function's recorded graph
turned into an expression), so the two can be overlaid and compared.

    curves = function_curves(lambda x: torch.sin(x) * x ** 2, -3, 3)
    curves.f, curves.df, curves.d2f            # engine, float64
    curves.forms["df"]                         # "x**2*cos(x) + 2*x*sin(x)"
    curves.closed["df"]                        # the closed form sampled at xs (or None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SAMPLES = 201


@dataclass
class FunctionCurves:
    xs: np.ndarray
    f: np.ndarray
    df: np.ndarray
    d2f: np.ndarray | None
    forms: dict[str, str] = field(default_factory=dict)  # "f"/"df"/"d2f" -> plain text
    latex: dict[str, str] = field(default_factory=dict)
    closed: dict[str, np.ndarray] = field(default_factory=dict)  # closed forms sampled at xs
    notes: list[str] = field(default_factory=list)

    def max_gap(self, key: str) -> float | None:
        """Largest |engine - closed form| over the finite samples (None without a closed form)."""
        if key not in self.closed:
            return None
        eng = {"f": self.f, "df": self.df, "d2f": self.d2f}[key]
        if eng is None:
            return None
        gap = np.abs(np.asarray(eng, float) - self.closed[key])
        gap = gap[np.isfinite(gap)]
        return float(gap.max()) if gap.size else None


def compile_function(text: str, namespace: dict | None = None) -> Callable:
    """``text`` as a function of one tensor: the name of a one-argument function in
    ``namespace`` (e.g. the script's ``f``) or an expression in ``x`` such as
    ``torch.sin(x) * x**2`` (``torch`` is the engine)."""
    import engine

    text = text.strip()
    if not text:
        raise ValueError("enter a function name or an expression in x")
    scope = dict(namespace or {})
    scope.setdefault("torch", engine)
    if text.isidentifier() and callable(scope.get(text)):
        return scope[text]
    code = compile(text, "<f(x)>", "eval")
    return lambda x: eval(code, {**scope, "x": x})  # the user's own expression


def _engine_curves(fn: Callable, xs: np.ndarray):
    import engine

    x = engine.tensor(xs, dtype=engine.float64, requires_grad=True)
    y = fn(x)
    if not isinstance(y, engine.Tensor) or tuple(y.shape) != tuple(x.shape):
        return None  # not elementwise: fall back to one point at a time
    (dy,) = engine.autograd.grad(y.sum(), x, create_graph=True)
    d2 = None
    if dy.requires_grad:
        (d2,) = engine.autograd.grad(dy.sum(), x, allow_unused=True)
    d2 = np.zeros_like(xs) if d2 is None else d2.detach().numpy()
    return y.detach().numpy(), dy.detach().numpy(), d2


def _pointwise(fn: Callable, xs: np.ndarray):
    import engine

    f, df, d2f = (np.full_like(xs, np.nan) for _ in range(3))
    for i, v in enumerate(xs):
        x = engine.tensor(float(v), dtype=engine.float64, requires_grad=True)
        y = fn(x)
        if not isinstance(y, engine.Tensor) or y.numel() != 1:
            raise ValueError("the function must return one number (a scalar tensor) for a "
                             "scalar x")
        y = y.reshape(())
        (dy,) = engine.autograd.grad(y, x, create_graph=True)
        f[i], df[i] = float(y.item()), float(dy.item())
        if dy.requires_grad:
            (d2,) = engine.autograd.grad(dy, x, allow_unused=True)
            d2f[i] = 0.0 if d2 is None else float(d2.item())
        else:
            d2f[i] = 0.0
    return f, df, d2f


def closed_forms(fn: Callable, x0: float = 0.5):
    """(f, f', f'') as sympy expressions in a real symbol ``x``, from the graph the engine
    records for ``fn`` at ``x0`` (the rules of ``symbolic``); and the symbol."""
    import sympy as sp

    import engine
    from desktop.recorder import attach, detach
    from symbolic import CallTraceRecorder
    from symbolic.trace import SymbolicCall

    rec = CallTraceRecorder(max_calls=1)
    x = engine.tensor(float(x0), dtype=engine.float64, requires_grad=True)
    attach(rec)
    try:
        y = fn(x)
        y.reshape(()).backward()
    finally:
        detach()
    if not rec.calls or rec.calls[0].error:
        raise ValueError(rec.calls[0].error if rec.calls else "nothing was recorded")
    sc = SymbolicCall(rec.calls[0])
    expr = sc.output()
    sym = sc.target_symbols[0].reshape(-1)[0]
    s = sp.Symbol("x", real=True)
    expr = expr.subs(sym, s)
    d1 = sp.diff(expr, s)
    return expr, d1, sp.diff(d1, s), s


def function_curves(fn: Callable, lo: float = -3.0, hi: float = 3.0, samples: int = SAMPLES,
                    symbolic: bool = True) -> FunctionCurves:
    """Sample f, f', f'' on [lo, hi] with the engine; with ``symbolic`` also derive the closed
    forms (failures become notes, the engine curves are still returned)."""
    if not hi > lo:
        raise ValueError(f"the range must run upwards, got [{lo}, {hi}]")
    xs = np.linspace(float(lo), float(hi), int(samples))
    import engine

    with engine.enable_grad():
        got = _engine_curves(fn, xs)
        f, df, d2f = got if got is not None else _pointwise(fn, xs)
    out = FunctionCurves(xs, np.asarray(f, float), np.asarray(df, float), np.asarray(d2f, float))
    if not symbolic:
        return out
    try:
        import sympy as sp

        # numpy versions of the functions symbolic's rules introduce (relu, Max/Min bounds,
        # leaky_relu, erf, ...), which lambdify's numpy module does not know
        from symbolic.rules import NUMPY_FUNCS

        x0 = float(xs[len(xs) // 3]) + 0.1234  # away from kinks at round numbers
        exprs = closed_forms(fn, x0)
        s = exprs[3]
        for key, e in zip(("f", "df", "d2f"), exprs[:3], strict=True):
            e = sp.simplify(e) if sp.count_ops(e) < 60 else e
            out.forms[key] = str(e)
            out.latex[key] = sp.latex(e)
            fnum = sp.lambdify(s, e, modules=[NUMPY_FUNCS, "numpy"])
            with np.errstate(all="ignore"):
                vals = np.broadcast_to(np.asarray(fnum(xs), dtype=float), xs.shape).copy()
            out.closed[key] = vals
    except Exception as exc:  # no closed form: the engine curves stand alone
        out.notes.append(f"no closed form: {type(exc).__name__}: {exc}")
    return out
