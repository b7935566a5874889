"""The three-way check of one recorded call: engine grad vs closed form (sympy) vs central
finite difference, per (sampled) target element, plus each user Function's backward against the
derivative of its forward."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.core.parameters import distribute

from . import derive, matrix, mixed
from .finite import NumericCall, replay_mismatches
from .grad import gradient
from .graph import Evaluator, NotReplayable
from .limits import Budget, CancelToken, run_limited
from .report import CheckReport, CustomCheck, ElementCheck, MatrixForm, TargetReport
from .mixed import MIX
from .rules import NUM, SYM
from .trace import SymbolicCall, symbol_name, symbols

TEXT_LIMIT = 2.0  # seconds to print one expression (pretty-printing a huge one is slow too)
MATRIX_LIMIT = 5.0  # seconds to write a call's backward in matrix notation (numpy: ms usually)


@dataclass(frozen=True)
class Options:
    max_elements: int = 64  # per tensor; larger tensors are checked on a random sample
    time_limit: float | None = 30.0  # total sympy time per call
    simplify_limit: float = 2.0  # per expression
    simplify_budget: float = 3.0  # all simplification in one call; later forms shown as derived
    constants_as_symbols: bool = False
    seed: int = 0
    # on a large graph, elements per tensor derived as scalar closed forms when the tensor's
    # matrix form (which covers every element) exists
    derive_elements: int = 4
    # the same behind a convolution or attention, where each one's closed form sums over every
    # output position (derived after the others, on the time they left)
    behind_conv_elements: int = 2
    # unicode pretty and LaTeX forms per element (the app shows them; a terminal prints the
    # plain text, and sympy's pretty printer imports sympy.physics: 0.3 s)
    display_forms: bool = True
    # the unicode pretty form (a tooltip at most; LaTeX is what the app renders): printing it
    # is ~40% of a small network's check
    pretty: bool = True

    def __post_init__(self):
        if self.max_elements < 1:
            raise ValueError(f"max_elements must be at least 1, not {self.max_elements}")


def tolerance(dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing the engine's grads in ``dtype`` with exact values."""
    dt = np.dtype(dtype)
    if dt == np.float16:
        return 1e-2, 1e-3
    if dt == np.float32:
        return 1e-4, 1e-5
    return 1e-7, 1e-9


def _close(a, b, rtol, atol) -> bool:
    if a is None or b is None:
        return False
    if np.isnan(a) and np.isnan(b):
        return True
    if np.isinf(a) or np.isinf(b):  # inf - x <= inf would call any pair close
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _graph_dtype(call):
    kinds = [v.dtype for n in call.graph.nodes for v in n.out_values
             if v is not None and v.dtype.kind == "f"]
    kinds += [lf.value.dtype for lf in call.graph.leaves if lf.value.dtype.kind == "f"]
    return min(kinds, key=lambda d: d.itemsize) if kinds else np.dtype(np.float64)


def _texts(expr, display: bool = True, pretty: bool = True
           ) -> tuple[tuple[str, str, str], str]:
    o = run_limited(lambda: derive.texts(expr, display, pretty), TEXT_LIMIT)
    if o.ok:
        return o.value, ""
    return ("(too large to print)",) * 3, "too large to print"


def check(call, options: Options | None = None, cancel: CancelToken | None = None,
          cache: dict | None = None) -> CheckReport:
    """Check one ``CallTrace`` (from ``CallTraceRecorder.calls``). Never blocks longer than about
    ``options.time_limit`` plus the numeric work; ``cancel`` stops it early."""
    opts = options or Options()
    t0 = time.monotonic()
    cache = {} if cache is None else cache
    base = dict(title=call.title, kind=call.kind, order=call.order, where=call.where)
    if call.error is not None:
        return CheckReport(**base, output="", targets=(), notes=tuple(call.notes),
                           error=call.error, seconds=time.monotonic() - t0)
    notes = list(call.notes)
    if not call.done:
        notes.append("the backward pass had not finished: engine values may be missing")
    budget = Budget(opts.time_limit, cancel)
    sbudget = Budget(opts.simplify_budget, cancel)
    dtype = _graph_dtype(call)
    rtol, atol = tolerance(dtype)
    fmax = float(np.finfo(dtype).max)

    built = run_limited(lambda: matrix.build(call), MATRIX_LIMIT, cancel)
    chain = built.value
    if built.error is not None:  # a bug of ours: the elementwise check goes on
        notes.append(f"matrix forms failed: {type(built.error).__name__}: {built.error}")
    elif built.timed_out:
        notes.append(f"matrix forms: time limit ({MATRIX_LIMIT:g} s)")
    large = mixed.worth_it(call)
    rng = np.random.default_rng(opts.seed + call.index)
    sample: dict[int, list[int]] = {}
    # behind a convolution, a scalar closed form is a sum over every output position (tens of
    # thousands of terms): those targets are derived in a second pass, on the time the others
    # left, on fewer elements (their matrix form covers every element)
    behind = {ti for ti in (mixed.behind(call) if large else ())
              if chain is not None and chain.forms.get(ti) is not None
              and chain.forms[ti].equation is not None}
    bias_of = _conv_bias_weights(call, behind)
    for ti, t in enumerate(call.targets):
        n = int(np.prod(t.shape, dtype=np.int64))
        form = chain.forms.get(ti) if chain is not None else None
        k = opts.max_elements
        if large and form is not None and form.equation is not None:
            k = min(k, opts.behind_conv_elements if ti in behind else opts.derive_elements)
        wi = bias_of.get(ti)
        if n > k and wi is not None and sample.get(wi):
            # the bias of the output channel whose weights were sampled: both symbols then
            # reach the same entries (half the closed form's size of an unrelated channel)
            w_shape = call.targets[wi].shape
            sample[ti] = [sample[wi][0] // int(np.prod(w_shape[1:], dtype=np.int64))]
            notes.append(f"{t.name} has {n} elements: the one of the output channel of "
                         f"{call.targets[wi].name}'s sampled row is derived element by element "
                         "(its matrix form covers every element)")
        elif n > k and k < opts.max_elements and len(t.shape) >= 2:
            sample[ti] = _one_row(rng, t.shape, k)
        elif n > k:
            sample[ti] = sorted(int(i) for i in rng.choice(n, k, replace=False))
            notes.append(f"{t.name} has {n} elements: a random sample of {k} is derived "
                         "element by element" + (" (its matrix form covers every element)"
                                                 if k < opts.max_elements else ""))
        else:
            sample[ti] = list(range(n))
    notes += replay_mismatches(call, rtol, atol)

    num = NumericCall(call)
    fd: dict[tuple[int, int], tuple[float, bool]] = {}
    try:
        for ti, flats in sample.items():
            for flat in flats:
                if budget.cancelled or budget.remaining() == 0.0:
                    notes.append("finite differences stopped: " + (
                        "cancelled" if budget.cancelled else "time limit"))
                    break
                fd[(ti, flat)] = num.stable(ti, flat)
    except NotReplayable as exc:
        notes.append(f"{exc}; finite differences are not available")

    sym: dict[tuple[int, int], tuple] = {}
    state: dict = {}

    def sym_stage(group):
        with distribute(False):  # 4x faster diff; numbers are not spread over sums
            try:
                _sym_stage(large, group)
            except RecursionError:
                if large:
                    raise
                # sympy's automatic rewriting can recurse without end on towers of powers
                # (an assumption query inside Pow's construction); sums and products kept as
                # built never ask it
                for k in [k for k in sym if k[0] in group]:
                    del sym[k]
                _sym_stage(True, group)

    def _sym_stage(large, group):
        # a target left out is all constants (an absent one would be all symbols)
        derived = {ti: set(v) if ti in group else set() for ti, v in sample.items()}
        if not any(derived.values()):
            return
        sc = SymbolicCall(call, derived, opts.constants_as_symbols, cache=cache,
                          m=MIX if large else SYM)
        if large:  # sums and products as built: no flattening, no assumption queries
            with sp.evaluate(False), mixed.local_pieces():
                expr = sc.output()
        else:
            expr = sc.output()
        state.setdefault("L", expr)
        wanted = []
        for ti, flats in derived.items():
            syms = sc.target_symbols[ti]
            shape = call.targets[ti].shape
            wanted += [(ti, flat, syms[np.unravel_index(flat, shape)] if shape else syms[()])
                       for flat in flats]
        if large:
            with sp.evaluate(False):
                derivs = gradient(expr, [s for _, _, s in wanted])
        else:
            derivs = gradient(expr, [s for _, _, s in wanted])
        memo: dict = {}
        for (ti, flat, s), d in zip(wanted, derivs, strict=True):
            sym[(ti, flat)] = (s, d, derive.value(d, sc.point, memo))

    timed_out = cancelled = False
    first = set(sample) - behind
    for group in (first, behind):
        if not group or cancelled or (timed_out and group is behind):
            continue
        out = budget.run(lambda g=group: sym_stage(g))
        timed_out, cancelled = timed_out or out.timed_out, cancelled or out.cancelled
        total = sum(len(sample[ti]) for ti in group)
        done = sum(1 for k in sym if k[0] in group)
        if isinstance(out.error, NotReplayable):
            notes.append(f"{out.error}; checked against finite differences only")
        elif out.error is not None:
            notes.append(f"symbolic derivation failed: {type(out.error).__name__}: {out.error}")
        if out.timed_out:
            where = " behind a convolution (a sum over every output position)" \
                if group is behind else ""
            notes.append(f"symbolic time limit reached after {done} of {total} "
                         f"derivatives{where}; the rest are checked against finite "
                         "differences only, not counted as derived")
    if cancelled:
        notes.append("cancelled")

    targets = []
    for ti, t in enumerate(call.targets):
        eng = call.engine.get(ti)
        rows = []
        refs = [sym[k][2] for k in sym if k[0] == ti and sym[k][2] is not None]
        refs += [fd[k][0] for k in fd if k[0] == ti]
        scale = max([1.0] + [abs(v) for v in refs if np.isfinite(v)])
        for flat in sample[ti]:
            idx = tuple(int(i) for i in np.unravel_index(flat, t.shape)) if t.shape else ()
            e = None if eng is None else float(np.asarray(eng).reshape(-1)[flat])
            s_entry = sym.get((ti, flat))
            f_entry = fd.get((ti, flat))
            rows.append(_row(t.name, idx, s_entry, e, f_entry, sbudget, opts, rtol, atol, scale,
                             eng is None, fmax))
        mf = None
        form = chain.forms.get(ti) if chain is not None else None
        if form is not None and form.equation is not None:
            mf = _matrix_form(t.name, form, eng, t.shape, rtol, atol, scale)
        elif form is not None and form.reason:
            notes.append(f"∂L/∂{t.name}: {form.reason}; checked element by element")
        targets.append(TargetReport(t.name, t.shape, str(t.dtype), len(sample[ti]),
                                    int(np.prod(t.shape, dtype=np.int64)), tuple(rows), mf))
        if eng is None:
            notes.append(f"the engine produced no gradient for {t.name}")

    customs = tuple(_custom_checks(call, opts, budget, sbudget, rtol, atol, notes, fmax))
    output = ""
    if "L" in state:
        o = run_limited(lambda: derive.abbreviate(derive.plain(state["L"]), 300), TEXT_LIMIT)
        output = o.value if o.ok else "(too large to print)"
    return CheckReport(**base, output=output, targets=tuple(targets), custom=customs,
                       notes=tuple(dict.fromkeys(notes)), timed_out=timed_out,
                       cancelled=cancelled or budget.cancelled,
                       seconds=time.monotonic() - t0, chain=_chain_lines(chain))


def _conv_bias_weights(call, targets) -> dict[int, int]:
    """{bias target: weight target} of the convolutions (weight's first dim = output channel)
    whose weight and bias are both among ``targets``."""
    of_leaf = {t.leaf: ti for ti, t in enumerate(call.targets) if t.leaf is not None}
    pairs = {}
    for node in call.graph.nodes:
        if node.key not in ("convolution", "convolution_nd") or len(node.inputs) < 3:
            continue
        w, b = node.inputs[1], node.inputs[2]
        if w.kind == "leaf" and b.kind == "leaf":
            wi, bi = of_leaf.get(w.index), of_leaf.get(b.index)
            if wi in targets and bi in targets and wi < bi:
                pairs[bi] = wi
    return pairs


def _one_row(rng, shape, k):
    """``k`` random elements of one random row of a weight (one unit of its layer): their
    closed forms then share one path through the network, not ``k`` paths."""
    row = int(rng.integers(int(np.prod(shape[:-1], dtype=np.int64))))
    cols = rng.choice(shape[-1], min(k, shape[-1]), replace=False)
    return sorted(row * shape[-1] + int(c) for c in cols)


def _chain_lines(chain):
    if chain is None:
        return ()
    lines = [chain.header] if chain.header else []
    lines += chain.definitions
    seen = set()
    for form in chain.forms.values():
        for eq in (*form.chain, form.equation):
            if eq is not None and eq not in seen:
                seen.add(eq)
                lines.append(eq)
    return tuple(lines)


def _matrix_form(name, form, eng, shape, rtol, atol, scale):
    """The form's value against the engine's grad at every element."""
    got = np.asarray(form.value, np.float64)
    want = np.zeros(shape) if eng is None else np.asarray(eng, np.float64)
    scale = max(scale, float(np.max(np.abs(got))) if got.size else 0.0)
    with np.errstate(all="ignore"):
        diff = np.abs(got - want)
        bad = ~((diff <= atol * scale + rtol * np.maximum(np.abs(got), np.abs(want)))
                | (np.isnan(got) & np.isnan(want)) | (got == want))
    n_bad = int(np.count_nonzero(bad))
    finite = diff[np.isfinite(diff)]
    return MatrixForm(name, form.equation[0], form.equation[1], n_bad == 0, form.chain,
                      int(got.size), n_bad, float(finite.max()) if finite.size else 0.0)


def _row(name, idx, s_entry, e, f_entry, sbudget, opts, rtol, atol, scale, no_engine,
         fmax=math.inf):
    notes = []
    s_val = None
    text = pretty = latex = ""
    if s_entry is not None:
        s, d, s_val = s_entry
        o = sbudget.run(lambda: (derive.too_large_to_simplify(d), derive.simplify(d)),
                        cap=opts.simplify_limit)
        if o.ok:
            large, d = o.value
            if large:
                notes.append(f"shown unsimplified (over {derive.SIMPLIFY_OPS} operations: too "
                             "large to simplify)")
        elif not o.cancelled:
            notes.append("shown unsimplified (time limit)")
        (text, pretty, latex), why = _texts(d, opts.display_forms, opts.pretty)
        if why:
            notes.append(why)
        elif not latex and opts.display_forms:
            notes.append("closed form too large to lay out; plain text abbreviated")
        symbol = str(s)
    else:
        symbol = symbol_name(name, idx)
    f_val, stable, f_err = f_entry if f_entry is not None else (None, False, 0.0)
    if no_engine:
        e_cmp = 0.0  # no grad reached this leaf: that is a zero gradient
        notes.append("no engine grad (zero)")
    else:
        e_cmp = e
    ok, checked = True, True
    s_cmp = s_val
    if s_val is not None and abs(s_val) > fmax:  # the exact value, rounded to the dtype: inf
        s_cmp = math.copysign(math.inf, s_val)
        notes.append("the closed form's value overflows the dtype")
    if s_val is not None:
        ok = _close(e_cmp, s_cmp, rtol, atol * scale)
        # f_err: how far the estimate moved between steps, its own error bar (steep functions)
        if f_val is not None and not _close(f_val, s_val, 1e-5, 1e-6 * scale + 3 * f_err):
            if stable:
                ok = False
                notes.append("finite difference disagrees with the closed form")
            else:
                notes.append("finite difference unreliable here (kink or rounding)")
    elif f_val is not None:
        if stable:
            ok = _close(e_cmp, f_val, max(rtol, 1e-5), max(atol, 1e-6) * scale + 3 * f_err)
        else:
            checked = False
            notes.append("finite difference unreliable here; not checked")
    else:
        checked = False
        notes.append("not checked (no closed form and no finite difference)")
    if not ok and s_val is not None:
        if not _close(e_cmp, s_cmp, rtol, atol * scale):
            notes.append("engine disagrees with the closed form")
    elif not ok:
        notes.append("engine disagrees with the finite difference")
    return ElementCheck(name, idx, symbol, text, pretty, latex, s_val, e, f_val, ok,
                        "; ".join(notes), checked)


def _custom_checks(call, opts, budget, sbudget, rtol, atol, notes, fmax):
    g = call.graph
    for node_idx, (gin, gout) in sorted(call.custom_steps.items()):
        node = g.nodes[node_idx]
        c = node.custom
        seeds = [np.zeros(o.shape) if gi is None else np.asarray(gi, np.float64)
                 for gi, o in zip(gin, node.out_values, strict=False) if o is not None]
        rows, forms = [], []
        try:
            derived = matrix.custom_forms(c, seeds)
        except Exception as exc:  # a bug of ours: the elementwise check goes on
            derived = None
            notes.append(f"{c.name}: matrix form failed: {type(exc).__name__}: {exc}")
        for k, (argname, x0) in enumerate(zip(c.arg_names, c.in_values, strict=False)):
            slot = c.grad_slots[k] if k < len(c.grad_slots) else k
            user = gout[slot] if slot < len(gout) else None
            if user is None:
                continue
            form = derived.get(k) if derived else None
            if form is not None and form.equation is not None:
                scale = max([1.0] + [float(np.max(np.abs(form.value)))] if form.value.size
                            else [1.0])
                forms.append(_matrix_form(argname, form, np.asarray(user, np.float64),
                                          x0.shape, rtol, atol, scale))
            if x0.size > opts.max_elements:
                notes.append(f"{c.name}.backward: {argname} has {x0.size} elements: a random "
                             f"sample of {opts.max_elements} is checked")
            rows.extend(_custom_arg_rows(c, k, argname, x0, seeds, np.asarray(user, np.float64),
                                         opts, budget, sbudget, rtol, atol, fmax))
        yield CustomCheck(c.name, node.where, c.replay is not None, c.reason or "", tuple(rows),
                          tuple(forms), getattr(c, "backward_source", ""))


def _custom_vjp_numeric(c, seeds, values):
    ev = Evaluator(c.replay, NUM, lambda k: None, tuple(values))
    return sum(float(np.sum(np.asarray(ev.value(r), np.float64) * s))
               for r, s in zip(c.outputs, seeds, strict=False))


def _custom_arg_rows(c, k, argname, x0, seeds, user, opts, budget, sbudget, rtol, atol, fmax):
    n = x0.size
    flats = list(range(n)) if n <= opts.max_elements else sorted(
        int(i) for i in np.random.default_rng(opts.seed).choice(n, opts.max_elements, False))
    base = [v.astype(np.float64) for v in c.in_values]
    fd = {}
    for flat in flats:
        if c.replay is not None:
            h = 1e-6 * max(1.0, abs(float(x0.reshape(-1)[flat])))
            vals = []
            for sgn in (1, -1):
                p = [v.copy() for v in base]
                p[k].reshape(-1)[flat] += sgn * h
                with np.errstate(all="ignore"):
                    vals.append(_custom_vjp_numeric(c, seeds, p))
            fd[flat] = (vals[0] - vals[1]) / (2 * h)
        elif c.jacobian is not None:
            col = sum(v.size for v in base[:k]) + flat
            gflat = np.concatenate([s.reshape(-1) for s in seeds])
            fd[flat] = float(gflat @ c.jacobian[:, col])
    sym = {}
    if c.replay is not None:
        def stage():
            with distribute(False):
                _stage()

        def _stage():
            args, point = [], {}
            for j, (name, v) in enumerate(zip(c.arg_names, c.in_values, strict=False)):
                syms = symbols(name, v.shape) if j == k else None
                if syms is None:
                    args.append(SYM.arr(v))
                    continue
                for idx in np.ndindex(*v.shape):
                    point[syms[idx]] = sp.Float(float(v[idx]))
                args.append(syms)
            ev = Evaluator(c.replay, SYM, lambda i: None, tuple(args))
            total = sp.Add(*[a * b for r, s in zip(c.outputs, seeds, strict=False)
                             for a, b in zip(SYM.arr(ev.value(r)).reshape(-1),
                                             SYM.arr(s).reshape(-1), strict=False)])
            xs = args[k]
            picked = [xs[np.unravel_index(f, x0.shape)] if x0.shape else xs[()] for f in flats]
            memo: dict = {}
            for flat, s, d in zip(flats, picked, gradient(total, picked), strict=True):
                sym[flat] = (s, d, derive.value(d, point, memo))

        budget.run(stage)
    scale = max([1.0] + [abs(v[2]) for v in sym.values() if v[2] is not None]
                + [abs(v) for v in fd.values()])
    label = f"{c.name}.backward: {argname}"
    for flat in flats:
        idx = tuple(int(i) for i in np.unravel_index(flat, x0.shape)) if x0.shape else ()
        e = float(user.reshape(-1)[flat]) if user.size > flat else None
        f = fd.get(flat)
        yield _row(label, idx, sym.get(flat), e, None if f is None else (f, True, 0.0), sbudget,
                   opts, rtol, atol, scale, False, fmax)


def check_all(calls, options: Options | None = None, cancel: CancelToken | None = None):
    """Reports for several calls (sharing the derivatives that higher-order calls reuse)."""
    cache: dict = {}
    return [check(c, options, cancel, cache) for c in calls]
