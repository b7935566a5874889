"""PyTorch's CPU sum of a whole float32 or float64 tensor, bit for bit.

ATen sums floating tensors with its "cascade sum" (``SumKernel.cpp``): the elements, taken as
32-byte vectors (8 float32 or 4 float64 lanes), go into 4 interleaved accumulators; every 16
(or more, for long rows) of those rows form a chunk summed in order, chunk sums are summed in
groups of 16 on a second level, and so on up to 4 levels; the levels, the accumulators, the
elements left over and finally the lanes are added in a fixed order, starting from zero (so a
zero sum is +0.0 even when every element is -0.0). numpy's pairwise sum rounds differently, so a
loss printed in full (``loss.item()``) differed in its last digits. Here the same order is
replayed with a few numpy calls (reducing a non-innermost axis adds the rows in order); a numpy
reduction costs several times a binary add, so the short sequences are plain adds. Up to 32768
elements only: above that PyTorch splits the sum between its threads.

The sign of a zero only ever decides the sign of a zero result (x + ±0 is x for any other x, and
x + -x is +0), so where ATen adds a zero accumulator or starts a sum from zero this replay may
skip it: the final sum, which ATen starts from +0.0, restores the sign."""

from __future__ import annotations

import numpy as np

_GRAIN = 32768  # at::internal::GRAIN_SIZE: longer sums are split between threads
_ILP = 4  # accumulators per row
_STEP = 16  # rows per chunk, chunks per group (ATen's 2**4 for every size up to the grain)

_add = np.add
_reduce = np.add.reduce
_accumulate = np.add.accumulate


def _seq(rows):
    """Rows summed in order along axis 0 (a row of zeros for none)."""
    if rows.shape[0] == 0:
        return np.zeros(rows.shape[1:], rows.dtype)
    return _reduce(rows, axis=0)


def _chunked(rows):
    """ATen's ``multi_row_sum`` of ``rows`` (size, width) with 16 <= size: chunk sums, their
    level sums and the rows after the last chunk, as (width,)."""
    size, width = rows.shape
    full = size // _STEP
    if full == 1:  # one chunk: no level above it
        chunk = _reduce(rows[:_STEP], axis=0)
        return _add(chunk, _reduce(rows[_STEP:], axis=0)) if size > _STEP else chunk
    chunks = _reduce(rows[:full * _STEP].reshape(full, _STEP, width), axis=1)
    groups = full // _STEP
    if groups:  # levels 2 and 3 in use (the tail is added to level 1 first)
        level1 = _seq(chunks[groups * _STEP:])
        sums1 = _reduce(chunks[:groups * _STEP].reshape(groups, _STEP, width), axis=1)
        tops = groups // _STEP
        level2 = _seq(sums1[tops * _STEP:])
        level3 = _seq(_reduce(sums1[:tops * _STEP].reshape(tops, _STEP, width), axis=1))
        return ((_seq(rows[full * _STEP:]) + level1) + level2) + level3
    level1 = _reduce(chunks, axis=0)
    if size % _STEP:
        return _add(level1, _reduce(rows[full * _STEP:], axis=0))
    return level1


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
    if n < lanes:  # no whole vector: 4 scalar accumulators, the 5th to 7th elements join the 1st
        acc = flat[:_ILP].tolist() + [0.0] * (_ILP - min(n, _ILP))
        t = x.dtype.type
        first = t(acc[0])
        for v in flat[_ILP:]:
            first = first + v
        return np.asarray((((first + t(acc[1])) + t(acc[2])) + t(acc[3])) + t(0), x.dtype)
    nvec = n // lanes
    k = nvec // _ILP  # rows of 4 vectors, one per accumulator
    width = _ILP * lanes
    m = k * width
    if k >= _STEP:
        parts = _chunked(flat[:m].reshape(k, width))
    elif k > 1:
        parts = _reduce(flat[:m].reshape(k, width), axis=0)
    elif k:
        parts = flat[:m]
    else:  # the accumulators hold zeros: adding them changes no sum but a zero's sign
        parts = None
    # the vectors after the last whole row join accumulator 0, then accumulators 1 to 3 follow
    done = nvec * lanes
    if parts is None:
        vec = flat[:lanes]
        for i in range(lanes, done, lanes):
            vec = vec + flat[i:i + lanes]
    else:
        acc = parts.reshape(_ILP, lanes)
        vec = acc[0]
        for i in range(m, done, lanes):
            vec = vec + flat[i:i + lanes]
        vec = ((vec + acc[1]) + acc[2]) + acc[3]
    # the elements left over, then the lanes, added in order (to a zero: see the module's doc)
    s = _accumulate(np.concatenate((flat[done:], vec)) if done < n else vec)[-1]
    return np.asarray(s if s else 0, x.dtype)
