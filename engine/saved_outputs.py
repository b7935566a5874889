"""The ``indices`` output of the ops that return (values, indices) — ``max``/``min``/``median``/
``mode`` along a dim, ``sort``, ``topk``, ``cummax``/``cummin`` — kept for ``grad_fn``'s
``_saved_indices``, which in PyTorch is that very tensor (``v.grad_fn._saved_indices is i``).

Only recorded nodes get an entry; the map holds the node weakly, so it adds nothing to what a
graph keeps alive beyond the indices tensor PyTorch's node keeps too."""

from __future__ import annotations

import weakref

_INDICES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def values_indices(kind, values, indices):
    """``kind(values, indices)``, the returned pair, with ``indices`` noted for the values'
    node."""
    node = values.grad_fn
    if node is not None:
        _INDICES[node] = indices
    return kind(values, indices)


def indices_of(node):
    """The indices tensor ``node``'s op returned, or None (not recorded through here)."""
    return _INDICES.get(node)
