"""A 2-D classifier's decision boundary: p(class 1) over a grid around the data, computed in
numpy from the trained parameters the builder's classifier names (``W1, b1, W2, b2``) (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Boundary:
    xs: np.ndarray  # grid along the first input
    ys: np.ndarray  # grid along the second input
    p: np.ndarray  # p[i, j] = p(class 1) at (xs[j], ys[i])
    points: np.ndarray  # (n, 2) data
    labels: np.ndarray  # (n,)
    accuracy: float


def _array(v) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "numpy"):
        v = v.numpy()
    return np.asarray(v, dtype=np.float64)


def predict(params: dict, points: np.ndarray) -> np.ndarray:
    """p(class 1) of the builder's classifier at ``points`` (n, 2)."""
    h = np.tanh(points @ params["W1"] + params["b1"])
    return (1.0 / (1.0 + np.exp(-(h @ params["W2"] + params["b2"])))).reshape(-1)


def boundary_from_namespace(ns: dict, resolution: int = 80) -> Boundary | None:
    """None unless ``ns`` holds 2-D points ``X``, labels ``y`` and the classifier's params."""
    try:
        params = {k: _array(ns[k]) for k in ("W1", "b1", "W2", "b2")}
        points, labels = _array(ns["X"]), _array(ns["y"]).reshape(-1)
    except (KeyError, TypeError, ValueError):
        return None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels) or \
            params["W1"].shape[0] != 2 or not len(points):
        return None
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * (hi - lo) + 0.1
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    p = predict(params, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    accuracy = float(((predict(params, points) > 0.5) == (labels > 0.5)).mean())
    return Boundary(xs, ys, p, points, labels, accuracy)
