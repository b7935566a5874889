"""The arguments of ``torch.sort``/``torch.argsort`` and their Tensor methods, as PyTorch 2.13
parses them: two overloads each, ``(input, dim=-1, descending=False)`` and one where ``stable``
is given and ``dim``/``descending`` are keyword-only (``torch.sort(x, 0, stable=True)`` is a
TypeError). The stable overload records SortBackward1, the other SortBackward0. ``out=`` never
reaches these functions (``engine.aliases`` wraps every ``torch.*`` function for it), so a call
that passes ``out=None`` and fails is described without it."""

from __future__ import annotations

from . import ordering
from .overloads import Overload, Param, resolve

_INPUT = Param("input", "Tensor", required=True)
_DIM, _DESC = Param("dim", "int"), Param("descending", "bool")
_DIM_KW = Param("dim", "int", positional=False)
_DESC_KW = Param("descending", "bool", positional=False)
_SORT_STABLE = Param("stable", "bool", required=True, nullable=True, positional=False)
_ARGSORT_STABLE = Param("stable", "bool", required=True, positional=False)
_STABLE_TEXT = "*, bool stable, int dim = -1, bool descending = False"
_PLAIN_TEXT = "int dim = -1, bool descending = False"


def _overloads(stable, out, out_text, with_input):
    lead = (_INPUT,) if with_input else ()
    outs = (out,) if with_input and out is not None else ()
    first = "Tensor input, " if with_input else ""
    tail = f", {out_text}" if outs else ""
    plain_tail = f", *, {out_text}" if outs and out.type != "Tensor" else ""
    return (Overload((*lead, stable, _DIM_KW, _DESC_KW, *outs), f"({first}{_STABLE_TEXT}{tail})"),
            Overload((*lead, _DIM, _DESC, *(outs if plain_tail else ())),
                     f"({first}{_PLAIN_TEXT}{plain_tail})"))


_SORT_OUT = Param("out", "tuple of Tensors", nullable=True, positional=False)
_ARGSORT_OUT = Param("out", "Tensor", nullable=True, positional=False)
SORT_FN = _overloads(_SORT_STABLE, _SORT_OUT, "tuple of Tensors out = None", True)
SORT_METHOD = _overloads(_SORT_STABLE, None, "", False)
ARGSORT_FN = _overloads(_ARGSORT_STABLE, _ARGSORT_OUT, "Tensor out = None", True)
ARGSORT_METHOD = _overloads(_ARGSORT_STABLE, None, "", False)


def _sort(t, i, v):
    # overload 0 takes stable (None included): PyTorch's sort.stable, SortBackward1
    return ordering.sort(t, int(v.get("dim", -1)), v.get("descending", False),
                         bool(v["stable"]) if i == 0 else None)


def sort(*args, **kwargs):
    """``torch.sort``."""
    i, v = resolve("sort", SORT_FN, args, kwargs)
    return _sort(v["input"], i, v)


def argsort(*args, **kwargs):
    """``torch.argsort``."""
    i, v = resolve("argsort", ARGSORT_FN, args, kwargs)
    return ordering.argsort(v["input"], int(v.get("dim", -1)), v.get("descending", False),
                            v.get("stable", False))


def tensor_sort(self, *args, **kwargs):
    """``Tensor.sort``."""
    i, v = resolve("sort", SORT_METHOD, args, kwargs)
    return _sort(self, i, v)


def tensor_argsort(self, *args, **kwargs):
    """``Tensor.argsort``."""
    _, v = resolve("argsort", ARGSORT_METHOD, args, kwargs)
    return ordering.argsort(self, int(v.get("dim", -1)), v.get("descending", False),
                            v.get("stable", False))
