"""Short text for arrays and shapes, shared by graph labels, tooltips and the inspector (no Qt)."""

from __future__ import annotations

import numpy as np


def shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]" if shape else "scalar"


def number_text(x: float) -> str:
    return f"{float(x):.4g}"


def short_array(arr: np.ndarray | None, max_chars: int = 40) -> str:
    """One line fit for an edge label: a scalar as a number, a small array inline, else a range."""
    if arr is None:
        return "None"
    a = np.asarray(arr)
    if a.size == 1:
        return number_text(a.reshape(()))
    if a.size <= 8:
        # joined by hand: array2string pads numbers to a common width ("[5.296, 3.03 ]")
        text = "[" + ", ".join(number_text(v) for v in a.ravel()) + "]"
        if len(text) <= max_chars:
            return text
    return f"{shape_text(a.shape)} {summary_range(a)}"


def summary_range(a: np.ndarray) -> str:
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a
    if finite.size == 0:
        return "(no finite values)"
    return f"{number_text(finite.min())}..{number_text(finite.max())}"


def long_array(arr: np.ndarray | None, max_chars: int = 600) -> str:
    """Multi-line text for a detail panel, cut short (with a note) when huge."""
    if arr is None:
        return "None"
    a = np.asarray(arr)
    text = np.array2string(a, precision=4, suppress_small=True, threshold=60, edgeitems=3)
    if len(text) > max_chars:
        text = text[:max_chars] + " …"
    return text


def nonfinite_counts(arr: np.ndarray | None) -> tuple[int, int]:
    """(nan count, inf count); (0, 0) for None and integer arrays."""
    if arr is None:
        return 0, 0
    a = np.asarray(arr)
    if a.dtype.kind not in "fc":
        return 0, 0
    return int(np.isnan(a).sum()), int(np.isinf(a).sum())


def summary_text(arr: np.ndarray) -> str:
    """Statistics instead of values, for tensors too large to show element by element."""
    a = np.asarray(arr)
    nan, inf = nonfinite_counts(a)
    lines = [f"shape {shape_text(a.shape)}  ({a.size:,} elements, {a.dtype})"]
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a.ravel()
    if finite.size:
        lines += [
            f"min  {number_text(finite.min())}",
            f"max  {number_text(finite.max())}",
            f"mean {number_text(finite.mean())}",
        ]
    lines.append(f"NaN  {nan}")
    lines.append(f"Inf  {inf}")
    return "\n".join(lines)
