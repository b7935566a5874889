"""A recorded call as sympy: one real Symbol per (sampled) element of each target, named after
the variable (``w_0_1``; a 0-d ``x`` is just ``x``); other leaves are constants (or symbols with
``constants_as_symbols``). The differentiated output is ``L = sum(seed * root)`` over the roots,
which is what backward computes the gradient of.

A node that is the grad an earlier ``create_graph=True`` call produced is replaced by that call's
exact derivative, so a second ``autograd.grad`` is checked against d²y/dx² of the original
expression, not against the engine's own backward graph.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .grad import gradient
from .graph import Evaluator
from .rules import SYM, nice_number


def symbol_name(name: str, index: tuple[int, ...]) -> str:
    return "_".join([name, *map(str, index)])


def symbols(name: str, shape, only=None) -> np.ndarray:
    """Object array of real Symbols; with ``only`` (flat indices) other entries are None."""
    out = np.empty(shape, dtype=object)
    for flat, idx in enumerate(np.ndindex(*shape)):
        if only is None or flat in only:
            out[idx] = sp.Symbol(symbol_name(name, idx), real=True)
    return out


class SymbolicCall:
    """Builds ``L`` for a ``CallTrace``. ``sample``: {target index: set of flat indices} to make
    symbols of (None: every element). ``point``: symbol -> value at the recorded point."""

    def __init__(self, call, sample=None, constants_as_symbols=False, check=None, cache=None,
                 m=SYM, symbol_leaves=()):
        self.call = call
        self.m = m
        self.check = check
        self.cache = {} if cache is None else cache  # shared across calls (origin derivatives)
        self.point: dict = {}
        self.target_symbols: dict[int, np.ndarray] = {}
        g = call.graph
        leaf_arrays = {}
        for ti, t in enumerate(call.targets):
            only = None if sample is None else sample.get(ti)
            syms = symbols(t.name, t.shape, only)
            self.target_symbols[ti] = syms
            value = (g.leaves[t.leaf].value if t.leaf is not None else
                     g.nodes[t.cut[0]].out_values[t.cut[1]])
            arr = np.empty(t.shape, dtype=object)
            for idx in np.ndindex(*t.shape):
                s = syms[idx]
                v = value[idx]
                if s is None:
                    arr[idx] = nice_number(v) if m is SYM else float(v)
                else:
                    arr[idx] = s
                    self.point[s] = sp.Float(float(v))
            if t.leaf is not None:
                leaf_arrays[t.leaf] = arr
            else:
                self.cut = getattr(self, "cut", {})
                self.cut[t.cut] = arr
        for i, leaf in enumerate(g.leaves):
            if i in leaf_arrays:
                continue
            if (constants_as_symbols or _same_leaf(leaf, symbol_leaves)) and leaf.value.size:
                syms = symbols(leaf.name, leaf.value.shape)
                for idx in np.ndindex(*leaf.value.shape):
                    self.point[syms[idx]] = sp.Float(float(leaf.value[idx]))
                leaf_arrays[i] = syms
            else:
                leaf_arrays[i] = m.arr(leaf.value)
        self.ev = Evaluator(g, m, leaf_arrays.__getitem__, override=getattr(self, "cut", {}),
                            origin_value=self._origin, check=check)

    def output(self):
        """``L`` as a sympy expression."""
        terms = []
        for r, seed in zip(self.call.roots, self.call.seeds, strict=False):
            v = SYM.arr(self.ev.value(r))
            s = SYM.arr(seed)
            terms.extend(a * b for a, b in zip(v.reshape(-1), s.reshape(-1), strict=False))
        return sp.Add(*terms)

    def _origin(self, node, out_nr):
        call, ti = node.origin[out_nr]
        # a tensor that was a constant of the earlier call may be a target of this one (a
        # gradient penalty's weights): such leaves are symbols there too (same names)
        g = self.call.graph
        names = tuple((t.name, g.leaves[t.leaf].value) for t in self.call.targets
                      if t.leaf is not None)
        key = (id(call), ti, tuple(n for n, _ in names))
        if key not in self.cache:
            sub = SymbolicCall(call, None, check=self.check, cache=self.cache,
                               symbol_leaves=names)
            expr = sub.output()
            syms = sub.target_symbols[ti]
            out = np.empty(syms.shape, dtype=object)
            out.reshape(-1)[:] = gradient(expr, list(syms.reshape(-1)))
            self.cache[key] = (out, sub.point)
        out, point = self.cache[key]
        for s, v in point.items():
            self.point.setdefault(s, v)
        return out


def _same_leaf(leaf, targets) -> bool:
    """``leaf`` (of an earlier call) is one of ``targets`` ((name, value) of this call's target
    leaves): same variable name and the same values (a generated name such as ``leaf1`` may
    stand for another tensor in another call)."""
    return any(name == leaf.name and np.shape(v) == np.shape(leaf.value)
               and np.array_equal(v, leaf.value, equal_nan=True) for name, v in targets)
