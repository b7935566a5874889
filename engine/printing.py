"""Text of ``repr(tensor)`` / ``str(tensor)``, character for character what PyTorch prints.

Tutorials paste printed tensors into their prose, so "close enough" is not enough: widths,
scientific notation, summarisation with ``...``, line wrapping and the ``dtype=``/``grad_fn=``
suffixes all follow PyTorch's ``torch/_tensor_str.py`` rules, including its quirks (kept on
purpose and marked as such below). numpy + stdlib only; the engine passes plain arrays in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["format_tensor", "get_printoptions", "printoptions", "set_printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Same options and semantics as ``torch.set_printoptions``."""
    if profile is not None:
        # An unknown profile name is silently ignored, as in PyTorch.
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    # PyTorch assigns sci_mode unconditionally: any call without it goes back to automatic.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options as a dict that can be passed back to ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (like ``torch._tensor_str.printoptions``)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------------------------
# Element formatting: one formatter per tensor, so every element gets the same width and style.


def _is_floating(dtype_name: str) -> bool:
    return dtype_name.startswith(("float", "bfloat", "half", "double"))


def _widest_candidates(values: np.ndarray) -> list:
    """The values whose text can be the widest, so the width need not format every element.

    For a fixed style the text length grows with the magnitude within one sign (more integer
    digits), except for the exponent in scientific notation, which grows at *both* ends
    (e+100, e-100). So per sign, the smallest and the largest magnitude suffice.
    """
    out = []
    for part in (values[values > 0], values[values < 0]):
        if part.size:
            out += [part.min().item(), part.max().item()]
    return out


class _Formatter:
    """Decides the style (integer-valued / fixed / scientific) and width from the shown values."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            # Ints and bools print as str(); True/False sort like 1/0 so min/max covers both.
            if flat.size:
                widths = (len(str(v)) for v in (flat.min().item(), flat.max().item()))
                self.max_width = max(1, *widths)
            return
        # Zeros, nan and inf say nothing about the scale; they are padded to whatever is chosen.
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = self._wants_sci(np.abs(shown.astype(np.float64)))
        self.max_width = max(self._width(v) for v in _widest_candidates(shown))

    @staticmethod
    def _wants_sci(magnitudes: np.ndarray) -> bool:
        if PRINT_OPTS.sci_mode is not None:
            return PRINT_OPTS.sci_mode
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        return hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4

    def _width(self, value: float) -> int:
        if self.sci_mode:
            return len(f"{value:.{PRINT_OPTS.precision}e}")
        if self.int_mode:
            return len(f"{value:.0f}") + 1  # +1 for the trailing "." marking a float tensor
        return len(f"{value:.{PRINT_OPTS.precision}f}")

    def format(self, value) -> str:
        """Right-aligned text of one Python scalar (from ``.item()`` / ``.tolist()``)."""
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."  # 2. rather than 2, but nan/inf stay bare
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


# --------------------------------------------------------------------------------------------
# Layout: nested brackets, summarisation and line wrapping.


def _summarized(a: np.ndarray) -> np.ndarray:
    """Only the elements a summarised print shows, so the formatter ignores hidden values."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # With edge == 0, a[-0:] is the whole row -- PyTorch has the same slice quirk.
        return np.concatenate((a[:edge], a[-edge:])) if len(a) > 2 * edge else a
    if not edge:
        return np.empty((0,) * a.ndim, dtype=a.dtype)
    rows = [*a[:edge], *a[-edge:]] if len(a) > 2 * edge else list(a)
    return np.stack([_summarized(row) for row in rows])


def _render_vector(v: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(v) > 2 * edge:
        items = [fmt.format(x) for x in v[:edge].tolist()]
        items += [" ..."]  # the leading space lines "..." up with the ", " separators
        items += [fmt.format(x) for x in v[-edge:].tolist()]
    else:
        items = [fmt.format(x) for x in v.tolist()]
    # Each element costs its width plus ", "; the "[" prefix plus nesting is the indent.
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _render(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _render_vector(a, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    if summarize and len(a) > 2 * edge:
        shown = [_render(a[i], indent + 1, summarize, fmt) for i in range(edge)]
        shown += ["..."]
        shown += [_render(a[i], indent + 1, summarize, fmt) for i in range(len(a) - edge, len(a))]
    else:
        shown = [_render(row, indent + 1, summarize, fmt) for row in a]
    # Blocks of higher dimensions are separated by blank lines: one fewer than the dim.
    separator = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(shown) + "]"


def _body(a: np.ndarray, indent: int, floating: bool) -> str:
    summarize = a.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a, floating)
    return _render(a, indent, summarize, fmt)


def _close(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items and the closing parenthesis, wrapping at the line width."""
    parts = [text]
    # PyTorch's arithmetic, off by two when there is no newline; kept so wrapping agrees.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _as_dtype(data, dtype_name: str) -> np.ndarray:
    """The values as an array of the named dtype when numpy knows it (rounding must match)."""
    a = np.asarray(data)
    try:
        wanted = np.dtype(dtype_name)
    except TypeError:  # e.g. bfloat16: print whatever precision we were given
        return a
    return a if a.dtype == wanted else a.astype(wanted)


def format_tensor(
    data: np.ndarray,
    *,
    dtype_name: str,
    is_default_dtype: bool,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """Return what PyTorch prints for repr(tensor)/str(tensor).

    data: the values (numpy array, any shape incl. 0-d and empty); dtype_name: e.g. 'float32',
    'float64', 'int64', 'int32', 'bool', 'float16', 'uint8'; is_default_dtype: True when the
    dtype needs no `dtype=` suffix per PyTorch's rule (the caller decides: default float dtype,
    int64, bool need no suffix); requires_grad: show `requires_grad=True` (only when no grad_fn);
    grad_fn_name: e.g. 'MulBackward0' -> `grad_fn=<MulBackward0>`.
    """
    a = _as_dtype(data, dtype_name)
    floating = _is_floating(dtype_name)
    indent = len(prefix)
    dtype_suffix = f"dtype=torch.{dtype_name}"
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:  # like NumPy, the shape is shown unless it is (0,)
            suffixes.append(f"size={tuple(a.shape)}")
        # No element hints at int64/bool here, so only the default float dtype goes unnamed.
        if not (is_default_dtype and floating):
            suffixes.append(dtype_suffix)
    else:
        body = _body(a, indent, floating)
        if not PRINT_OPTS.edgeitems:  # nothing but "..." is shown, so give the shape
            suffixes.append(f"size={tuple(a.shape)}")
        if not is_default_dtype:
            suffixes.append(dtype_suffix)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _close(prefix + body, suffixes, indent)
