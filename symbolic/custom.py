"""Replay a user ``autograd.Function``'s forward so its backward can be checked.

How: when the Function's node is recorded, its ``forward`` is run once more on fresh float64
copies of the tensor arguments that require grad, with grad mode on and a capturing observer
attached, so the engine records the forward's own ops (``input.clamp(min=0)`` becomes a clamp node,
whose rule is ``Piecewise((0, x < 0), (x, True))`` -- the engine's ``Max(x, 0)``). That subgraph
is then plain data like the rest of the graph. The replay is verified by re-running the forward
on perturbed arguments and comparing with the replayed subgraph; when the forward can't be
replayed (it calls ``.numpy()``, ``.item()``, ``detach()``, is random, or raises), the reason is
kept and a central finite-difference Jacobian of the forward is stored instead.

The replay runs on the script's thread, inside the observer callback, with the engine's RNG state
saved and restored. ``replaying()`` tells output capture to drop prints made by the replay.
"""

from __future__ import annotations

import inspect
import threading

import numpy as np

import engine
from engine import observe
from engine.autograd.function import FunctionCtx
from engine.tensor import Tensor

from .graph import Custom, Evaluator, Graph, Leaf, Ref
from .node_rec import make_rec

MAX_JACOBIAN = 200_000  # entries of a finite-difference Jacobian we are willing to compute
_tls = threading.local()


class ReplayError(Exception):
    pass


def replaying() -> bool:
    """True on a thread while it re-runs a user forward (its prints are not the script's)."""
    return getattr(_tls, "depth", 0) > 0


class _ReplayCtx(FunctionCtx):
    def __init__(self, needs):
        self._saved = ()
        self._versions = None
        self._out = None
        self._non_diff = set()
        self._dirty = set()
        self._materialize = True
        self.needs_input_grad = needs


class _Capture(observe.Observer):
    """Collects the nodes a replay creates; routed for the replaying thread only, so neither the
    run's observers nor other threads see them."""

    def __init__(self):
        self.recs: list = []

    def on_node(self, node, inputs, output, where):
        self.recs.append((node, output, make_rec(node, inputs, output, None, capture)))


def _positions(inputs) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(inputs)
                 if isinstance(a, Tensor) and a._data.dtype.kind == "f")


def _arg_names(fn_cls, positions) -> tuple[str, ...]:
    try:
        params = [p for p in inspect.signature(fn_cls.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
    except (TypeError, ValueError):
        params = []
    return tuple(params[i].name if i < len(params) else f"arg{i}" for i in positions)


def _with(inputs, positions, values):
    """``inputs`` with the float tensors at ``positions`` replaced by plain float64 tensors."""
    args = list(inputs)
    for p, v in zip(positions, values, strict=False):
        args[p] = engine.tensor(np.asarray(v, dtype=np.float64))
    return args


def _call_forward(fn_cls, args, grad: bool):
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    state = engine.get_rng_state()
    _tls.depth = getattr(_tls, "depth", 0) + 1
    try:
        with engine.set_grad_enabled(grad):
            out = fn_cls.forward(_ReplayCtx(needs), *args)
    finally:
        _tls.depth -= 1
        engine.set_rng_state(state)
    return out if isinstance(out, tuple) else (out,)


def capture(fn_cls, inputs, outs, replay: bool = True) -> Custom:
    """The ``Custom`` record for one application of ``fn_cls`` to ``inputs``."""
    pos = _positions(inputs)
    values = tuple(np.array(inputs[p]._data, copy=True) for p in pos)
    slots = tuple(sum(isinstance(a, Tensor) for a in inputs[:p]) for p in pos)
    c = Custom(fn_cls.__name__, _arg_names(fn_cls, pos), values, pos, slots)
    c.backward_source = _source(fn_cls)
    if not replay:
        c.reason = "replay is turned off"
    else:
        try:
            c.replay, c.outputs = _replay(fn_cls, inputs, outs)
            _reproduces(c, outs)
            _verify(fn_cls, inputs, c)
        except ReplayError as exc:
            c.replay, c.outputs, c.reason = None, None, str(exc)
    if c.replay is None:
        c.jacobian = _jacobian(fn_cls, inputs, c)
    return c


def _source(fn_cls) -> str:
    import textwrap

    try:
        return textwrap.dedent(inspect.getsource(fn_cls.backward)).strip()
    except (OSError, TypeError):  # defined in a string or the REPL: no source to show
        return ""


def _replay(fn_cls, inputs, outs):
    args, bases = [], {}
    for a in inputs:
        if isinstance(a, Tensor) and a._data.dtype.kind == "f":
            base = engine.tensor(a._data.astype(np.float64), requires_grad=True)
            p = base.clone()  # non-leaf, so a forward may modify it in place as PyTorch allows
            bases[p.grad_fn] = len(bases)
            args.append(p)
        elif isinstance(a, Tensor):
            args.append(engine.tensor(a._data))
        else:
            args.append(a)
    cap = _Capture()
    try:
        with observe.routed(cap):
            result = _call_forward(fn_cls, args, grad=True)
    except Exception as exc:
        raise ReplayError(f"forward raised {type(exc).__name__}: {exc}") from None
    return _subgraph(cap.recs, bases, result, outs)


def _subgraph(recs, bases, result, outs):
    node_idx = {n: i for i, (n, _, _) in enumerate(recs)}
    leaves: list[Leaf] = []
    leaf_idx: dict[int, int] = {}

    def ref(raw):
        if raw[0] == "node":
            if raw[1] in bases:
                return Ref("arg", bases[raw[1]])
            if raw[1] not in node_idx:
                raise ReplayError("forward used a tensor computed outside it")
            return Ref("node", node_idx[raw[1]], raw[2])
        if raw[0] == "leaf":
            i = leaf_idx.get(id(raw[1]))
            if i is None:
                i = leaf_idx[id(raw[1])] = len(leaves)
                leaves.append(Leaf(f"c{i}", raw[2], False))
            return Ref("leaf", i)
        return Ref("scalar", value=raw[1])

    from .graph import Node

    nodes = [Node(rec.key, rec.name, rec.attrs, tuple(ref(x) for x in rec.inputs), rec.outs,
                  None, rec.custom) for _, _, rec in recs]
    # constants made inside the forward (leaves) are folded into the nodes as scalars-with-shape
    for node in nodes:
        node.inputs = tuple(Ref("scalar", value=leaves[r.index].value) if r.kind == "leaf" else r
                            for r in node.inputs)
    out_refs = []
    for o, expected in zip(result, outs, strict=False):
        if expected is None:
            continue
        if not isinstance(o, Tensor):
            raise ReplayError("forward returned a non-tensor output")
        if o.grad_fn in bases:
            out_refs.append(Ref("arg", bases[o.grad_fn]))
        elif o.grad_fn is not None and o.grad_fn in node_idx:
            out_refs.append(Ref("node", node_idx[o.grad_fn], o._out_nr))
        else:
            raise ReplayError("its result does not depend on the inputs through engine ops "
                              "(computed with numpy, .item(), .detach() or .data?)")
    return Graph([], nodes), tuple(out_refs)


def _reproduces(c: Custom, outs):
    """At the recorded point the replay must give what the forward gave when the script ran."""
    from .rules import NUM  # sympy's import waits for a check

    ev = Evaluator(c.replay, NUM, lambda k: None, tuple(v.astype(np.float64) for v in c.in_values))
    with np.errstate(all="ignore"):
        for r, o in zip(c.outputs, [o for o in outs if o is not None], strict=False):
            got, want = np.asarray(ev.value(r), np.float64), np.asarray(o, np.float64)
            tol = 1e-5 if o.dtype == np.float32 else 1e-9
            if got.shape != want.shape or not np.allclose(got, want, rtol=tol, atol=tol,
                                                          equal_nan=True):
                raise ReplayError("the replay doesn't reproduce the forward's output "
                                  "(is it random or stateful?)")


def _verify(fn_cls, inputs, c: Custom, trials: int = 2):
    """The replayed subgraph must match the real forward away from the recorded point too."""
    from .rules import NUM

    rng = np.random.default_rng(12345)
    for _ in range(trials):
        pert = [v.astype(np.float64) + 1e-2 * (1 + np.abs(v)) * rng.standard_normal(v.shape)
                for v in c.in_values]
        args = _with(inputs, c.positions, pert)
        try:
            real = _call_forward(fn_cls, args, grad=False)
        except Exception as exc:
            raise ReplayError(f"forward raised {type(exc).__name__} on float64 inputs: "
                              f"{exc}") from None
        ev = Evaluator(c.replay, NUM, lambda k: None, tuple(
            np.asarray(p, np.float64) for p in pert))
        with np.errstate(all="ignore"):
            for r, o in zip(c.outputs, [o for o in real if isinstance(o, Tensor)], strict=False):
                got = np.asarray(ev.value(r), np.float64)
                want = np.asarray(o._data, np.float64)
                if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=1e-9,
                                                              equal_nan=True):
                    raise ReplayError("the replayed ops don't match the forward at other points "
                                      "(it uses values outside engine ops, or is random)")


def _jacobian(fn_cls, inputs, c: Custom):
    """Central differences of the real forward in float64, or None when too big or failing."""
    vals = [v.astype(np.float64) for v in c.in_values]
    n = sum(v.size for v in vals)
    try:
        base = _call_forward(fn_cls, _with(inputs, c.positions, vals), grad=False)
    except Exception:
        return None
    m = sum(o._data.size for o in base if isinstance(o, Tensor))
    if n == 0 or n * m > MAX_JACOBIAN:
        return None
    jac = np.zeros((m, n))
    col = 0
    try:
        for k, v in enumerate(vals):
            for j in range(v.size):
                h = 1e-6 * max(1.0, abs(v.flat[j]))
                cols = []
                for sign in (1, -1):
                    pert = [w.copy() for w in vals]
                    pert[k].flat[j] += sign * h
                    res = _call_forward(fn_cls, _with(inputs, c.positions, pert), grad=False)
                    cols.append(np.concatenate([np.asarray(o._data, np.float64).reshape(-1)
                                                for o in res if isinstance(o, Tensor)]))
                jac[:, col] = (cols[0] - cols[1]) / (2 * h)
                col += 1
    except Exception:
        return None
    return jac
