"""The backward pass of a recorded call written as a textbook writes it: one equation per named
tensor on the path from L to each target, in the script's own variable names
(``∂L/∂H = ∂L/∂Y_hat·W2``, ``∂L/∂Z = ∂L/∂H ⊙ (1 − H²)``, ``∂L/∂W1 = (∂L/∂Z)ᵀ·X``).

Names: leaves and intermediates are called what the script's variables call them (recorded at
the backward call); a layer output no variable holds gets a generated name (``Z1``, ``A1``)
with its definition; other unnamed intermediates are written inline. Every expression carries
its float64 value (``matrix_expr``), so each target's form is compared with the engine's grad at
every element.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import matrix_expr as mx
from .matrix_rules import NoMatrixForm, forward
from .matrix_table import rule_for

MAX_ELEMENTS = 10_000_000  # per tensor: beyond this the matrix values are not computed
MAX_NODES = 3_000  # beyond this the chain would not be read anyway
INLINE = 48  # characters: a longer unnamed intermediate gets a name (u1, u2, ...) instead
# outputs no variable names get a generated name (else they are written inline)
_LAYER = {"addmm": "Z", "log_softmax": "logp", "softmax": "P", "convolution": "Z",
          "max_pool2d": "pool", "avg_pool2d": "pool", "adaptive_avg_pool2d": "pool",
          "native_batch_norm": "BN", "native_layer_norm": "LN", "embedding": "E"}
_ACTIVATION = {"relu", "tanh", "sigmoid", "gelu", "silu", "elu", "leaky_relu", "softplus",
               "elu_", "leaky_relu_", "threshold", "threshold_"}


@dataclass
class TargetForm:
    equation: tuple[str, str] | None  # (text, latex) of ∂L/∂target
    value: np.ndarray | None
    chain: tuple[tuple[str, str], ...] = ()  # equations from L down to the target, in order
    reason: str = ""  # why there is no form


@dataclass
class Chain:
    forms: dict[int, TargetForm]
    definitions: list[tuple[str, str]] = field(default_factory=list)  # generated names
    header: tuple[str, str] | None = None  # "L = loss"


class _Unknown:
    def __init__(self, reason):
        self.reason = reason


def build(call, seed_name: str = "v") -> Chain | None:
    """The chain of a call (custom Functions are handled per target). A derivative of a
    derivative differentiates the recorded graph as it is, the first backward's ops included
    (``PowBackward0``'s ``3·x²·g`` is a product like any other)."""
    g = call.graph
    sizes = [lf.value.size for lf in g.leaves] + [o.size for n in g.nodes for o in n.out_values
                                                   if o is not None]
    if len(g.nodes) > MAX_NODES:
        return Chain({ti: TargetForm(None, None, reason=f"over {MAX_NODES} nodes")
                      for ti in range(len(call.targets))})
    if sizes and max(sizes) > MAX_ELEMENTS:
        return Chain({ti: TargetForm(None, None, reason=f"tensors over {MAX_ELEMENTS} elements")
                      for ti in range(len(call.targets))})
    target_of_leaf = {t.leaf: ti for ti, t in enumerate(call.targets) if t.leaf is not None}
    cut_of = {t.cut: ti for ti, t in enumerate(call.targets) if t.cut is not None}

    # ---- forward expressions and dependence on the targets -----------------------------------
    fwd: dict = {}
    deps: dict = {}
    definitions = []
    counters: dict[str, int] = {}
    used = {lf.name for lf in g.leaves} | set(call.names.values())

    def fresh(base):
        k = counters.get(base, 0) + 1
        while f"{base}{k}" in used:
            k += 1
        counters[base] = k
        used.add(f"{base}{k}")
        return f"{base}{k}"

    for i, lf in enumerate(g.leaves):
        v = np.asarray(lf.value)
        if (i not in target_of_leaf and lf.name.startswith("leaf") and v.size
                and v.dtype.kind in "fiub" and np.all(v == v.reshape(-1)[0])):
            # an unnamed constant such as torch.zeros(3, 4): its value says more than "leaf"
            fwd[("leaf", i)] = mx.Number(float(v.reshape(-1)[0]))
            fwd[("leaf", i)].value = np.asarray(v, np.float64)
        else:
            fwd[("leaf", i)] = mx.Sym(lf.name, lf.value)
        deps[("leaf", i)] = {target_of_leaf[i]} if i in target_of_leaf else set()

    def ref_key(r):
        return ("leaf", r.index) if r.kind == "leaf" else ("node", r.index, r.out_nr)

    def fwd_of(r):
        if r.kind == "scalar":
            if r.value is None:  # an absent optional input (a convolution without bias)
                return None
            return mx.Number(float(r.value)) if np.ndim(r.value) == 0 else mx.Sym(
                "c", np.asarray(r.value, np.float64))
        return fwd[ref_key(r)]

    names: dict = {}
    for i, node in enumerate(g.nodes):
        d = set()
        for r in node.inputs:
            if r.kind != "scalar":
                d |= deps[ref_key(r)]
        for nr, v in enumerate(node.out_values):
            key = ("node", i, nr)
            deps[key] = ({cut_of[(i, nr)]} if (i, nr) in cut_of else set()) | d
            if v is None:
                continue
            name = call.names.get((i, nr))
            ins = [fwd_of(r) for r in node.inputs]
            if name is None and len(node.out_values) == 1 and (
                    node.key in _LAYER or node.key in _ACTIVATION) and d:
                name = fresh(_LAYER.get(node.key, "A"))
                try:
                    e = forward(node, ins, v)
                    definitions.append((f"{name} = {e.text()}", f"{mx.tex_name(name)} = {e.tex()}"))
                except Exception:  # noqa: BLE001 - a definition is only shown
                    pass
            if name is None:
                try:
                    e = forward(node, ins, v) if len(node.out_values) == 1 else None
                except Exception:  # noqa: BLE001 - fall back to a name
                    e = None
                if e is not None and len(e.text()) <= INLINE:
                    fwd[key] = e
                    continue
                name = fresh("u")  # too long to repeat inline: named, defined once
                if e is not None:
                    definitions.append((f"{name} = {e.text()}",
                                        f"{mx.tex_name(name)} = {e.tex()}"))
            fwd[key] = mx.Sym(name, v)
            names[key] = name

    # ---- adjoints, from the roots down ----------------------------------------------------------
    contrib: dict = {}
    header = None
    for r, seed in zip(call.roots, call.seeds, strict=False):
        s = np.asarray(seed, np.float64)
        if s.ndim == 0 or s.size == 1:
            gs = mx.Number(float(s.reshape(-1)[0])) if s.size else mx.Number(0.0)
            if s.ndim and s.shape != fwd_of(r).shape:
                gs = mx.Sym(seed_name, np.broadcast_to(s, fwd_of(r).shape))
        else:
            gs = mx.Sym(seed_name, s)
        contrib.setdefault(ref_key(r), []).append(gs)
        if len(call.roots) == 1:
            root = fwd_of(r)
            if isinstance(gs, mx.Number) and gs.c == 1 and root.text() == "L":
                header = None
            elif isinstance(gs, mx.Number) and gs.c == 1:
                header = (f"L = {root.text()}", f"L = {root.tex()}")
            else:
                header = (f"L = Σ {seed_name} ⊙ {root.text()}" if not isinstance(gs, mx.Number)
                      else f"L = {gs.text()}·{root.text()}",
                          rf"L = \sum {mx.tex_name(seed_name)} \odot {root.tex()}"
                          if not isinstance(gs, mx.Number)
                          else f"L = {gs.tex()} {root.tex()}")

    equations: list[tuple[object, tuple[str, str]]] = []  # (tensor key, (text, latex))

    def total(key):
        parts = contrib.get(key, [])
        for p in parts:
            if isinstance(p, _Unknown):
                return p
        if not parts:
            return None
        e = parts[0]
        for p in parts[1:]:
            e = mx.add(e, p)
        return e

    for i in range(len(g.nodes) - 1, -1, -1):
        node = g.nodes[i]
        outs = []
        for nr, v in enumerate(node.out_values):
            key = ("node", i, nr)
            t = total(key)
            if t is not None and not isinstance(t, _Unknown) and key in names and not (
                    isinstance(t, mx.Sym | mx.Number)):
                name = names[key]
                equations.append((key, (f"∂L/∂{name} = {t.text()}",
                                        rf"\frac{{\partial L}}{{\partial {mx.tex_name(name)}}}"
                                        f" = {t.tex()}")))
                t = mx.adjoint(name, t.value)
            elif t is not None and not isinstance(t, _Unknown) and key in names:
                t = mx.adjoint(names[key], t.value) if isinstance(t, mx.Number) and \
                    t.shape != v.shape else t
            outs.append(t)
        if all(o is None for o in outs):
            continue
        need = [r.kind != "scalar" and bool(deps[ref_key(r)]) for r in node.inputs]
        if not any(need):
            continue
        unknown = next((o for o in outs if isinstance(o, _Unknown)), None)
        rule = rule_for(node.key) if node.custom is None else _custom_rule(call, i, node)
        multi = getattr(rule, "multi_output", False)  # split, var_mean: all outputs at once
        if unknown is None and (rule is None or (len(node.out_values) != 1 and not multi)):
            what = f"custom Function {node.custom.name}" if node.custom is not None else node.name
            unknown = _Unknown(f"no matrix form for {what}")
        grads = None
        if unknown is None:
            gouts = [o if o is None or o.shape == v.shape else mx.hadamard(o, mx.Ones(v.shape))
                     for o, v in zip(outs, node.out_values, strict=True)]
            try:
                ins = [fwd_of(r) for r in node.inputs]
                if multi:
                    grads = rule(node, ins, [fwd.get(("node", i, nr)) for nr in
                                             range(len(outs))], gouts)
                else:
                    grads = rule(node, ins, fwd[("node", i, 0)], gouts[0])
            except NoMatrixForm as exc:
                unknown = _Unknown(f"no matrix form for {node.name} ({exc})")
            except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the check
                unknown = _Unknown(f"no matrix form for {node.name} ({type(exc).__name__}: "
                                   f"{exc})")
        for k, r in enumerate(node.inputs):
            if not need[k]:
                continue
            gk = unknown if unknown is not None else (grads[k] if k < len(grads) else None)
            if gk is None:
                continue
            if not isinstance(gk, _Unknown) and gk.shape != tuple(fwd_of(r).shape):
                gk = _Unknown(f"no matrix form for {node.name} (shape)")
            contrib.setdefault(ref_key(r), []).append(gk)

    # ---- per target ---------------------------------------------------------------------------
    forms = {}
    for ti, tg in enumerate(call.targets):
        key = ("leaf", tg.leaf) if tg.leaf is not None else ("node", *tg.cut)
        t = total(key)
        if isinstance(t, _Unknown):
            forms[ti] = TargetForm(None, None, reason=t.reason)
            continue
        if t is None:
            t = mx.Number(0.0)
        value = np.broadcast_to(t.value, tg.shape) if t.shape != tuple(tg.shape) else t.value
        eq = (f"∂L/∂{tg.name} = {t.text()}",
              rf"\frac{{\partial L}}{{\partial {mx.tex_name(tg.name)}}} = {t.tex()}")
        chain = tuple(e for k, e in equations if ti in deps[k] and k != key)
        forms[ti] = TargetForm(eq, np.asarray(value, np.float64), chain)
    return Chain(forms, definitions, header)


def _custom_rule(call, i, node):
    """A custom Function's step: what its ``backward`` returned (checked on its own against
    the derivative of its forward), written as ``MyReLU.backward(∂L/∂out)``."""
    step = getattr(call, "custom_steps", {}).get(i)
    if step is None:
        return None
    _, gout = step
    c = node.custom

    def rule(node, ins, out, g):
        grads = [None] * len(node.inputs)
        for k, p in enumerate(c.positions):
            slot = c.grad_slots[k] if k < len(c.grad_slots) else k
            v = gout[slot] if slot < len(gout) else None
            if v is None or p >= len(grads):
                continue
            grads[p] = mx.Apply(f"{c.name}.backward", rf"\mathrm{{{c.name}.backward}}", [g],
                                np.asarray(v, np.float64))
        return grads

    return rule


@dataclass
class _SubCall:
    """A custom Function's replayed forward, shaped like a CallTrace for ``build``."""

    graph: object
    roots: tuple
    seeds: tuple
    targets: list
    names: dict = field(default_factory=dict)
    order: int = 1
    engine: dict = field(default_factory=dict)


def custom_forms(c, seeds) -> dict[int, TargetForm] | None:
    """The derivative of a custom Function's replayed forward in matrix notation, per tensor
    argument k (named as in ``forward``'s signature), seeded with ``grad_output`` — what its
    ``backward`` should return. None when the forward was not replayed."""
    import dataclasses

    from .graph import Graph, Leaf, Ref
    from .record import Target

    if c.replay is None or c.outputs is None:
        return None
    g = c.replay
    base = len(g.leaves)
    leaves = [Leaf(lf.name, lf.value, False) for lf in g.leaves]
    leaves += [Leaf(name, np.asarray(v), True) for name, v in zip(c.arg_names, c.in_values,
                                                                  strict=False)]

    def conv(r):
        return Ref("leaf", base + r.index) if r.kind == "arg" else r

    nodes = [dataclasses.replace(n, inputs=tuple(conv(r) for r in n.inputs)) for n in g.nodes]
    targets = [Target(name, tuple(np.shape(v)), np.asarray(v).dtype, leaf=base + k)
               for k, (name, v) in enumerate(zip(c.arg_names, c.in_values, strict=False))]
    sub = _SubCall(Graph(leaves, nodes), tuple(conv(r) for r in c.outputs), tuple(seeds),
                   targets)
    chain = build(sub, seed_name="grad_output")
    return None if chain is None else chain.forms
