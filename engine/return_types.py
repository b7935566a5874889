"""``torch.return_types``: the (values, indices) named tuples that max, min, sort, topk, median
and mode return, printed one field a line as PyTorch prints them."""

from __future__ import annotations

from collections import namedtuple


def _return_type_repr(self):
    fields = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def _return_type(kind):
    cls = namedtuple(kind, ["values", "indices"])
    cls.__module__ = "torch.return_types"
    cls.__repr__ = _return_type_repr
    return cls


_CLASSES = {k: _return_type(k) for k in ("max", "min", "sort", "topk", "median", "mode")}


def return_type(kind):
    """The named tuple class of ``torch.return_types.<kind>``."""
    return _CLASSES[kind]
