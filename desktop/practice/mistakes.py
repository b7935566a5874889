"""Judge an answer against the engine's value and name the classic backprop mistakes.

Order matters: the right answer first, then mistakes of shape (transposed, a sum over a
broadcast axis forgotten or added), then of value (ReLU's mask left out, the sign, a constant
factor such as a mean's 1/N)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RTOL = 1e-4  # float32 arithmetic: four significant digits are what the engine guarantees
RELU_LIKE = ("ReluBackward0", "ClampMinBackward0", "ClampBackward1", "ThresholdBackward0",
             "HardtanhBackward0", "LeakyReluBackward0")


@dataclass(frozen=True)
class Context:
    """What the question was about: the node's op, the grad arriving at the node (the
    learner's starting point) and the name of the tensor receiving the answer's grad."""

    op: str = ""
    incoming: np.ndarray | None = None
    target: str = ""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    mistake: str  # "" when correct; else one of MISTAKES
    message: str
    expected: np.ndarray
    answer: np.ndarray


MISTAKES = ("transposed", "missing_sum", "extra_sum", "shape", "missing_mask", "sign",
            "factor", "wrong")


def close(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    scale = float(np.max(np.abs(b), initial=0.0)) if b.size else 0.0
    return bool(np.allclose(a, b, rtol=RTOL, atol=RTOL * max(scale, 1e-3), equal_nan=True))


def fmt_shape(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _the(target: str) -> str:
    return f"`{target}`" if target else "the input"


def _sum_axes(big: tuple, small: tuple) -> tuple[int, ...] | None:
    """Axes of ``big`` that broadcasting ``small`` up to ``big`` added or stretched; None when
    ``small`` does not broadcast to ``big``."""
    if len(small) > len(big):
        return None
    lead = len(big) - len(small)
    axes = list(range(lead))
    for i, (b, s) in enumerate(zip(big[lead:], small)):
        if s == b:
            continue
        if s != 1:
            return None
        axes.append(lead + i)
    return tuple(axes)


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    lead = a.ndim - len(shape)
    out = a.sum(axis=tuple(range(lead))) if lead else a
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and out.shape[i] != 1)
    return out.sum(axis=stretched, keepdims=True) if stretched else out


def _axes_words(axes: tuple[int, ...]) -> str:
    if axes == (0,):
        return "the batch axis (dim 0)"
    names = ", ".join(str(a) for a in axes)
    return f"dim {names}" if len(axes) == 1 else f"dims {names}"


def _factor(answer: np.ndarray, expected: np.ndarray) -> float | None:
    nz = np.abs(expected) > 1e-12
    if not nz.any() or not np.allclose(answer[~nz], 0, atol=1e-9):
        return None
    ratios = answer[nz] / expected[nz]
    k = float(np.median(ratios))
    if not np.allclose(ratios, k, rtol=RTOL) or np.isclose(abs(k), 1.0, rtol=RTOL) or k == 0:
        return None
    return k


def _factor_words(k: float) -> str:
    for n in range(2, 1025):
        if np.isclose(k, n, rtol=RTOL):
            return (f"your answer is {n} times too large: did you forget to divide by {n} "
                    "(a mean's 1/N)?")
        if np.isclose(k, 1 / n, rtol=RTOL):
            return f"your answer is {n} times too small: is a factor {n} missing (a square's 2, or a sum instead of a mean)?"
    return f"your answer is the right one times {k:.4g}: a constant factor is off"


def judge(answer, expected, context: Context | None = None) -> Verdict:
    """``answer`` and ``expected`` are arrays (a learner's and the engine's)."""
    ctx = context or Context()
    a = np.asarray(answer, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape and a.size == e.size == 1:
        a = a.reshape(e.shape)  # 4.5 for a [1, 1] gradient is the same number

    def verdict(mistake: str, message: str) -> Verdict:
        return Verdict(not mistake, mistake, message, e, a)

    if close(a, e):
        return verdict("", "right")
    target = _the(ctx.target)
    if a.ndim == e.ndim == 2 and a.shape == e.shape[::-1] and close(a.T, e):
        return verdict("transposed", f"transposed: the gradient of {target} has its shape "
                       f"{fmt_shape(e.shape)}; yours is {fmt_shape(a.shape)}, its transpose")
    if a.shape != e.shape:
        axes = _sum_axes(a.shape, e.shape)
        if axes is not None and close(_sum_to(a, e.shape), e):
            return verdict("missing_sum", f"you forgot to sum over {_axes_words(axes)} that "
                           f"{target} was broadcast along: its gradient has {target}'s shape "
                           f"{fmt_shape(e.shape)}")
        axes = _sum_axes(e.shape, a.shape)
        if axes is not None and close(a, _sum_to(e, a.shape)):
            return verdict("extra_sum", f"you summed over {_axes_words(axes)}, but {target} "
                           f"was not broadcast there: its gradient keeps the shape "
                           f"{fmt_shape(e.shape)}")
        return verdict("shape", f"the gradient of {target} has {target}'s shape "
                       f"{fmt_shape(e.shape)}; your answer has shape {fmt_shape(a.shape)}")
    if a.ndim == 2 and a.shape[0] == a.shape[1] and close(a.T, e):
        return verdict("transposed", "transposed: the right numbers, rows and columns swapped")
    relu = ctx.op in RELU_LIKE or "relu" in ctx.op.lower()
    if relu and ctx.incoming is not None and ctx.incoming.shape == a.shape and close(
            a, np.asarray(ctx.incoming, dtype=np.float64)):
        return verdict("missing_mask", "you passed the incoming gradient through unchanged: "
                       "ReLU blocks it where its input was ≤ 0 (multiply by the mask 1[x > 0])")
    if relu and close(np.where(e == 0, 0.0, a), e) and np.any((e == 0) & (a != 0)):
        return verdict("missing_mask", "right where the ReLU was active, but its gradient is 0 "
                       "where the input was ≤ 0: the mask 1[x > 0] is missing")
    if close(-a, e):
        return verdict("sign", "the sign is wrong: right size, opposite direction")
    k = _factor(a, e)
    if k is not None:
        return verdict("factor", _factor_words(k))
    return verdict("wrong", "not the gradient the engine computed")
