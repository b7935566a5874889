"""The loss over any two scalar elements of a builder model's parameters (no Qt).

``desktop.builder.loss_landscape`` draws (w, b) of a one-weight, one-bias model. Here the user
picks two elements, e.g. ``W1[0, 1]`` and ``b2[0]``, of any template's parameters; the loss is
evaluated on a grid around their current values with every other element held fixed, in
float64 numpy with the formulas ``generate_code`` writes.

    elements = scalar_elements(params_of(namespace, spec))   # what the chooser lists
    land = pair_landscape(namespace, spec, elements[1], elements[-1], path=trail)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop.builder import P_CLAMP, ModelSpec

PARAMS = {"linear": ("w", "b"), "logistic": ("w", "b"), "poly": ("w", "b"),
          "mlp": ("W1", "b1", "W2", "b2"), "classifier": ("W1", "b1", "W2", "b2")}
SPAN_MIN = 1.0  # half-width of the grid around a value near zero
SPAN_REL = 1.5  # ... and around a larger value, relative to it


@dataclass(frozen=True)
class Element:
    """One scalar of a parameter tensor: ``name[index]`` (``name`` alone for a 0-d tensor)."""

    name: str
    index: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.name}[{', '.join(map(str, self.index))}]" if self.index else self.name

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class PairLandscape:
    """``loss[i, j]`` is the loss with ``a`` at ``xs[j]`` and ``b`` at ``ys[i]`` (rows follow
    ``b``, as an image with ``b`` upwards); ``path`` is the (a, b) values given as the
    training path, ending at ``point``."""

    a: Element
    b: Element
    xs: np.ndarray
    ys: np.ndarray
    loss: np.ndarray
    point: tuple[float, float]
    point_loss: float
    path: tuple[tuple[float, float], ...]


def _array(v) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "numpy"):
        v = v.numpy()
    return np.array(v, dtype=np.float64)


def params_of(namespace: dict, spec: ModelSpec) -> dict[str, np.ndarray] | None:
    """The template's parameters as float64 copies, or None when the namespace lacks one."""
    try:
        return {k: _array(namespace[k]) for k in PARAMS[spec.template]}
    except (KeyError, TypeError, ValueError):
        return None


def scalar_elements(params: dict[str, np.ndarray]) -> list[Element]:
    """Every scalar element of ``params``, parameter by parameter, in row-major order."""
    return [Element(name, tuple(int(i) for i in idx))
            for name, value in params.items() for idx in np.ndindex(*np.shape(value))]


def parse_element(label: str, params: dict[str, np.ndarray]) -> Element:
    """``"W1[0, 1]"`` -> Element("W1", (0, 1)); a clear ValueError for a name or index that
    ``params`` does not have."""
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(?:\[([\d,\s]*)\])?\s*", label)
    if m is None:
        raise ValueError(f"{label!r} is not an element such as W1[0, 1] or b2[0]")
    name, inside = m.group(1), m.group(2)
    if name not in params:
        raise ValueError(f"no parameter named {name!r}; the model has {', '.join(params)}")
    index = tuple(int(p) for p in inside.split(",") if p.strip()) if inside else ()
    shape = np.shape(params[name])
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=True)):
        raise ValueError(f"{name} has shape {list(shape)}: {label.strip()!r} is not one of its "
                         f"elements")
    return Element(name, index)


def loss_function(namespace: dict, spec: ModelSpec) -> Callable[[dict], float] | None:
    """loss(params) for the template's data (``X``, ``y``, and ``features`` for poly), the
    formulas of ``generate_code``; None when the data are missing."""
    try:
        x = _array(namespace["features" if spec.template == "poly" else "X"])
        y = _array(namespace["y"])
    except (KeyError, TypeError, ValueError):
        return None
    template, kind = spec.template, spec.loss

    def loss(p: dict) -> float:
        if template in ("mlp", "classifier"):
            out = np.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        else:
            out = x @ p["w"] + p["b"]
        if template in ("logistic", "classifier"):
            out = 1.0 / (1.0 + np.exp(-out))
            if template == "classifier" or kind == "bce":
                out = np.clip(out, P_CLAMP, 1 - P_CLAMP)
        if kind == "bce":
            return float(-(y * np.log(out) + (1 - y) * np.log(1 - out)).mean())
        if kind == "l1":
            return float(np.abs(out - y).mean())
        return float(((out - y) ** 2).mean())

    return loss


def _span(values: Sequence[float]) -> tuple[float, float]:
    centre = float(values[-1])
    half = max(SPAN_MIN, SPAN_REL * abs(centre))
    half = max([half] + [1.08 * abs(v - centre) for v in values])  # the whole path in view
    return centre - half, centre + half


def pair_landscape(namespace: dict, spec: ModelSpec, a: Element | str, b: Element | str, *,
                   path: Sequence[tuple[float, float]] = (), resolution: int = 41,
                   a_range: tuple[float, float] | None = None,
                   b_range: tuple[float, float] | None = None) -> PairLandscape | None:
    """The loss over elements ``a`` and ``b`` around their current values, every other element
    fixed. ``path``: earlier (a, b) values (e.g. one per training step); the grid is framed to
    hold them. None when the namespace lacks the model's data or parameters."""
    params = params_of(namespace, spec)
    loss = loss_function(namespace, spec)
    if params is None or loss is None:
        return None
    a = a if isinstance(a, Element) else parse_element(a, params)
    b = b if isinstance(b, Element) else parse_element(b, params)
    for e in (a, b):
        parse_element(e.label, params)  # raises for an element the model does not have
    if a == b:
        raise ValueError(f"choose two different elements, not {a.label} twice")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, not {resolution}")
    point = (float(params[a.name][a.index]), float(params[b.name][b.index]))
    trail = [(float(pa), float(pb)) for pa, pb in path]
    if not trail or trail[-1] != point:
        trail.append(point)
    xs = np.linspace(*(a_range or _span([p[0] for p in trail])), resolution)
    ys = np.linspace(*(b_range or _span([p[1] for p in trail])), resolution)
    grid = np.empty((len(ys), len(xs)))
    trial = {k: v.copy() for k, v in params.items()}
    for i, vb in enumerate(ys):
        trial[b.name][b.index] = vb
        for j, va in enumerate(xs):
            trial[a.name][a.index] = va
            grid[i, j] = loss(trial)
    return PairLandscape(a, b, xs, ys, grid, point, loss(params), tuple(trail))
