"""Central finite differences in float64, shared by the engine's gradient tests."""

from __future__ import annotations

import numpy as np

import engine


def numeric_grads(fn, arrays, eps=1e-6):
    """d(sum(fn(*arrays) * probe))/d(arrays) by central differences; ``probe`` fixed random."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out0 = np.asarray(fn(*[engine.tensor(a) for a in arrays])._data, dtype=np.float64)
    probe = np.random.default_rng(1).standard_normal(out0.shape)

    def scalar(vals):
        return float(np.sum(np.asarray(fn(*[engine.tensor(v) for v in vals])._data) * probe))

    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (scalar(plus) - scalar(minus)) / (2 * eps)
        grads.append(g)
    return grads, probe


def engine_grads(fn, arrays, probe, create_graph=False):
    ts = [engine.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*ts)
    loss = (out * engine.tensor(probe)).sum()
    grads = engine.autograd.grad(loss, ts, create_graph=create_graph, allow_unused=True)
    return ts, grads
