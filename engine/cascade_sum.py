"""PyTorch's CPU sum of a whole float32 or float64 tensor, bit for bit.

ATen sums floating tensors with its "cascade sum" (``SumKernel.cpp``): the elements, taken as
32-byte vectors (8 float32 or 4 float64 lanes), go into 4 interleaved accumulators; every 16
(or more, for long rows) of those rows form a chunk summed in order, chunk sums are summed in
groups of 16 on a second level, and so on up to 4 levels; the levels, the accumulators, the
elements left over and finally the lanes are added in a fixed order. numpy's pairwise sum rounds
differently, so a loss printed in full (``loss.item()``) differed in its last digits. Here the
same order is replayed with a few numpy reductions (reducing a non-innermost axis adds the rows
in order). Up to 32768 elements only: above that PyTorch splits the sum between its threads."""

from __future__ import annotations

import numpy as np

_GRAIN = 32768  # at::internal::GRAIN_SIZE: longer sums are split between threads
_ILP = 4  # accumulators per row
_LEVELS = 4


def _seq(rows, like):
    """Rows summed in order along axis 0 (zeros of ``like``'s shape for none)."""
    if rows.shape[0] == 0:
        return np.zeros(like.shape[1:], like.dtype)
    return np.add.reduce(rows, axis=0)


def _cascade(rows):
    """ATen's ``multi_row_sum``: ``rows`` (size, 4, *lanes) -> (4, *lanes)."""
    size = rows.shape[0]
    power = max(4, (size - 1).bit_length() // _LEVELS if size > 2 else 0)
    step = 1 << power
    full = size // step
    tail = _seq(rows[full * step:], rows)
    if not full:
        return tail
    chunks = np.add.reduce(rows[:full * step].reshape(full, step, *rows.shape[1:]), axis=1)
    # level 1 holds the chunks since the last multiple of ``step``, level 2 the groups of
    # ``step`` chunks since the last multiple of step**2, level 3 every group of those
    groups = full // step
    if not groups:  # levels 2 and 3 are zeros, and adding zero twice is adding it once
        return (tail + (chunks[0] if full == 1 else np.add.reduce(chunks, axis=0))) + 0.0
    level1 = _seq(chunks[groups * step:], chunks)
    sums1 = np.add.reduce(chunks[:groups * step].reshape(groups, step, *chunks.shape[1:]),
                          axis=1)
    tops = groups // step
    level2 = _seq(sums1[tops * step:], sums1)
    sums2 = np.add.reduce(sums1[:tops * step].reshape(tops, step, *sums1.shape[1:]), axis=1)
    level3 = _seq(sums2, sums2)
    return ((tail + level1) + level2) + level3


def _row_sum(items):
    """ATen's ``row_sum``: ``items`` (size, *lanes) -> (*lanes)."""
    k = items.shape[0] // _ILP
    return _combine(_cascade(items[:k * _ILP].reshape(k, _ILP, *items.shape[1:])),
                    items[k * _ILP:])


def _combine(parts, extra):
    """(((parts[0] + each row of ``extra``) + parts[1]) + parts[2]) + parts[3], as one reduction
    down these rows (an outer axis is reduced row after row, in order)."""
    return np.add.reduce(np.concatenate((parts[:1], extra, parts[1:])) if len(extra) else parts,
                         axis=0)


_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # one 32-byte vector


def full_sum(x):
    """PyTorch's ``x.sum()`` for a float32/float64 array of at most 32768 elements stored
    contiguously (in any axis order), as a 0-d array; None for any other array."""
    lanes = _LANES.get(x.dtype)
    n = x.size
    if lanes is None or n > _GRAIN:
        return None
    if x.flags.c_contiguous:
        flat = x.reshape(-1)
    elif x.flags.f_contiguous:
        flat = x.T.reshape(-1)  # memory order: TensorIterator walks the strides
    else:
        return None
    if n < lanes:  # 4 scalar accumulators: the 5th to 7th elements join the first
        acc = flat[:_ILP].tolist() + [0.0] * (_ILP - min(n, _ILP))
        t = x.dtype.type
        first = t(acc[0])
        for v in flat[_ILP:]:
            first = first + v
        return np.asarray(((first + t(acc[1])) + t(acc[2])) + t(acc[3]), x.dtype)
    nvec = n // lanes
    k = nvec // _ILP
    if k < 16:  # one level, no chunk: the 4 accumulators add their vectors in order
        m = k * _ILP * lanes
        parts = np.add.reduce(flat[:m].reshape(k, _ILP, lanes), axis=0) if k \
            else np.zeros((_ILP, lanes), x.dtype)
        vec = _combine(parts, flat[m:nvec * lanes].reshape(-1, lanes))
    else:
        vec = _row_sum(flat[:nvec * lanes].reshape(nvec, lanes))
    # the leftover elements, then the lanes, added in order to a zero
    rest = flat[nvec * lanes:]
    return np.add.accumulate(np.concatenate((rest, vec)) if rest.size else vec)[-1:].reshape(())
