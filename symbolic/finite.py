"""Central finite differences in float64, by replaying the recorded graph with numpy (the same
rules as the closed forms, in the ``NUM`` namespace). Pure numpy: no engine ops run, so it is
safe on any thread.
"""

from __future__ import annotations

import numpy as np

from .graph import Evaluator, NotReplayable
from .rules import NUM


class NumericCall:
    """``L`` of a ``CallTrace`` as a float64 function of its targets' values."""

    def __init__(self, call):
        self.call = call
        self._f0 = None  # L at the recorded point
        g = call.graph
        self.base = {}
        for ti, t in enumerate(call.targets):
            v = (g.leaves[t.leaf].value if t.leaf is not None else
                 g.nodes[t.cut[0]].out_values[t.cut[1]])
            self.base[ti] = np.asarray(v, np.float64)

    def output(self, values=None) -> float:
        """``L`` with the targets at ``values`` ({target index: array}, default: recorded)."""
        call, g = self.call, self.call.graph
        values = {**self.base, **(values or {})}
        leaf = {i: np.asarray(lf.value, np.float64) for i, lf in enumerate(g.leaves)}
        cut = {}
        for ti, t in enumerate(call.targets):
            if t.leaf is not None:
                leaf[t.leaf] = values[ti]
            else:
                cut[t.cut] = values[ti]
        ev = Evaluator(g, NUM, leaf.__getitem__, override=cut)
        total = 0.0
        with np.errstate(all="ignore"):
            for r, seed in zip(call.roots, call.seeds, strict=False):
                total += float(np.sum(np.asarray(ev.value(r), np.float64) *
                                      np.asarray(seed, np.float64)))
        return total

    def _sides(self, ti: int, flat: int, rel: float) -> tuple[float, float, float]:
        """(L(x + h), L(x - h), h) for element ``flat`` of target ``ti``."""
        v = self.base[ti]
        h = rel * max(1.0, abs(float(v.reshape(-1)[flat])))
        plus, minus = v.copy(), v.copy()
        plus.reshape(-1)[flat] += h
        minus.reshape(-1)[flat] -= h
        return self.output({ti: plus}), self.output({ti: minus}), h

    def derivative(self, ti: int, flat: int, rel: float = 1e-5) -> float:
        plus, minus, h = self._sides(ti, flat, rel)
        return (plus - minus) / (2 * h)

    def stable(self, ti: int, flat: int) -> tuple[float, bool, float]:
        """The central difference, whether it is trustworthy, and its error estimate (how much it
        moved between the steps). Trustworthy: steps 1e-5 and 1e-6 agree, and
        the point is not on a kink. At a kink (relu at 0) the central difference is the mean of
        the two one-sided slopes at every step size, so agreement alone does not tell; there the
        second difference (L(x+h) - 2 L(x) + L(x-h)) / h stays at the jump in slope as h
        shrinks, where on a smooth L it shrinks with h."""
        if self._f0 is None:
            self._f0 = self.output()
        p1, m1, h1 = self._sides(ti, flat, 1e-5)
        p2, m2, h2 = self._sides(ti, flat, 1e-6)
        a, b = (p1 - m1) / (2 * h1), (p2 - m2) / (2 * h2)
        scale = max(1.0, abs(a), abs(b))
        bend1 = (p1 - 2 * self._f0 + m1) / h1
        bend2 = (p2 - 2 * self._f0 + m2) / h2
        noise = 1e-8 * abs(self._f0) / h2  # rounding in L, amplified by the step
        kink = abs(bend2) > max(1e-5 * scale, 10 * noise) and abs(bend2) > 0.3 * abs(bend1)
        return a, abs(a - b) <= 1e-4 * scale and not kink, abs(a - b)


def replay_mismatches(call, rtol: float, atol: float, limit: int = 3) -> list[str]:
    """Nodes whose float64 replay at the recorded point disagrees with the engine's value (a
    sign that the recorded graph doesn't describe what the engine computed)."""
    g = call.graph
    ev = Evaluator(g, NUM, lambda i: None)

    def recorded(r):
        if r.kind == "leaf":
            return np.asarray(g.leaves[r.index].value, np.float64)
        if r.kind == "node":
            v = g.nodes[r.index].out_values[r.out_nr]
            return None if v is None else np.asarray(v, np.float64)
        return r.value

    out = []
    with np.errstate(all="ignore"):
        for node in g.nodes:
            try:
                got = ev.run_node(node, tuple(recorded(r) for r in node.inputs))
            except (NotReplayable, KeyError) as exc:
                out.append(f"{node.label}: {exc}")
                continue
            for o, want in zip(got, node.out_values, strict=False):
                if want is None or want.dtype.kind != "f":
                    continue
                w = np.asarray(want, np.float64)
                o = np.asarray(o, np.float64)
                scale = float(np.max(np.abs(w))) if w.size else 0.0
                if o.shape != w.shape or not np.allclose(o, w, rtol=rtol,
                                                         atol=atol * max(1.0, scale),
                                                         equal_nan=True):
                    out.append(f"replaying {node.label} gives a different value than the engine")
                    break
            if len(out) >= limit:
                break
    return out
