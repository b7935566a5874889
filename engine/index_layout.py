"""The memory layout of an advanced-indexing result (``x[:, [1, 0]]``), as PyTorch lays it out.

numpy puts the indexed dims' block first in memory (``v[:, [1, 0]]`` of a 3x2 ``v`` has strides
(1, 3)); PyTorch's ``index`` allocates its output through its elementwise iterator instead, over
``x`` restrided (the indexed dims replaced by zero-stride dims of the index shape) and the index
tensors: the output's dims are ordered innermost-first by those operands' strides (the first
operand whose strides tell two dims apart decides; a zero stride tells nothing; equal strides put
the smaller dim inside), then given contiguous strides in that order. For a contiguous ``x`` and
list indices this is a contiguous result, which ``view`` then accepts as PyTorch does.

``strides`` reproduces that choice from the shapes and strides alone; ``lay_out`` copies numpy's
result into it (only when they differ). Only advanced indexing calls these: basic indexing
(slices, ints, None) keeps its views untouched. One known difference: integer indices are taken
before the rest (as PyTorch takes them), so a ``None`` written before an integer index gets the
stride of the dim after the selected one; only that size-1 dim's stride can differ.
"""

from __future__ import annotations

import numpy as np


def _unsqueeze_stride(shape, strides, d):
    return shape[d] * strides[d] if d < len(shape) else 1


def _view_and_indices(x, items):
    """The view the basic items make and, per dim of it, the index (shape, strides) or None;
    None where an item is not one this models."""
    shape, strides = list(x.shape), [s // x.itemsize for s in x.strides]
    n_dims = sum(1 if not isinstance(i, np.ndarray) or i.dtype.kind != "b" else i.ndim
                 for i in items if i is not None and i is not Ellipsis)
    k = next((j for j, i in enumerate(items) if i is Ellipsis), None)
    if k is not None:
        items = items[:k] + (slice(None),) * (len(shape) - n_dims) + items[k + 1:]
    vshape, vstrides, indices, d = [], [], [], 0
    for it in items:
        if it is None:
            vshape.append(1)
            vstrides.append(_unsqueeze_stride(shape, strides, d))
            indices.append(None)
        elif isinstance(it, slice):
            start, stop, step = it.indices(shape[d])
            vshape.append(len(range(start, stop, step)))
            vstrides.append(strides[d] * step)
            indices.append(None)
            d += 1
        elif isinstance(it, np.ndarray) and it.ndim and it.dtype.kind == "b":
            nnz = int(np.count_nonzero(it))  # each mask dim becomes a contiguous long index
            for _ in range(it.ndim):
                vshape.append(shape[d])
                vstrides.append(strides[d])
                indices.append(((nnz,), (1,)))
                d += 1
        elif isinstance(it, np.ndarray) and it.ndim and it.dtype.kind in "iu":
            vshape.append(shape[d])
            vstrides.append(strides[d])
            indices.append((it.shape, tuple(s // it.itemsize for s in it.strides)))
            d += 1
        else:
            return None
    vshape += shape[d:]
    vstrides += strides[d:]
    indices += [None] * (len(shape) - d)
    return vshape, vstrides, indices


def _expanded(shape, strides, target):
    """(shape, strides) of an index expanded to ``target`` (expand's own stride rule)."""
    out_st = [0] * len(target)
    off = len(target) - len(shape)
    for i in range(len(target) - 1, -1, -1):
        j = i - off
        size = shape[j] if j >= 0 else 1
        st = strides[j] if j >= 0 else (target[i + 1] * out_st[i + 1] if i + 1 < len(target)
                                          else 1)
        out_st[i] = 0 if size != target[i] else st
    return tuple(target), tuple(out_st)


def _reshaped_strides(old_shape, old_strides, new_shape):
    """The strides of a view of (old_shape, old_strides) as ``new_shape`` (size-1 dims
    inserted), by the chunk rule a view's reshape follows."""
    if not old_shape:
        return [1] * len(new_shape)
    new = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = old_strides[-1]
    t_numel = v_numel = 1
    for t_d in range(len(old_shape) - 1, -1, -1):
        t_numel *= old_shape[t_d]
        if t_d == 0 or (old_shape[t_d - 1] != 1 and old_strides[t_d - 1] != t_numel * base):
            while view_d >= 0 and (v_numel < t_numel or new_shape[view_d] == 1):
                new[view_d] = v_numel * base
                v_numel *= new_shape[view_d]
                view_d -= 1
            if t_d > 0:
                base, t_numel, v_numel = old_strides[t_d - 1], 1, 1
    return new


def strides(x: np.ndarray, idx) -> tuple[int, ...] | None:
    """The element strides of PyTorch's result of ``x[idx]`` (``idx`` as the engine converts
    it: slices, None, Ellipsis, int and bool arrays), or None where this does not model it."""
    items = idx if isinstance(idx, tuple) else (idx,)
    got = _view_and_indices(x, items)
    if got is None:
        return None
    vshape, vstrides, indices = got
    pos = [i for i, ix in enumerate(indices) if ix is not None]
    if not pos:
        return None
    if pos != list(range(pos[0], pos[0] + len(pos))):  # not adjacent: indexed dims go first
        order = pos + [i for i in range(len(indices)) if indices[i] is None]
        vshape = [vshape[i] for i in order]
        vstrides = [vstrides[i] for i in order]
        indices = [indices[i] for i in order]
        pos = list(range(len(pos)))
    common = tuple(np.broadcast_shapes(*(indices[i][0] for i in pos)))
    before, after = pos[0], len(indices) - pos[-1] - 1
    out_shape = vshape[:before] + list(common) + vshape[pos[-1] + 1:]
    operands = [vstrides[:before] + [0] * len(common) + vstrides[pos[-1] + 1:]]
    for i in pos:
        shape, st = indices[i]
        if tuple(shape) != common:
            shape, st = _expanded(shape, st, common)
        new_shape = [1] * before + list(shape) + [1] * after
        st = _reshaped_strides(list(shape), list(st), new_shape)
        operands.append([0 if n == 1 and o != 1 else s
                         for n, o, s in zip(new_shape, out_shape, st)])
    return _iterator_strides(out_shape, operands)


def _iterator_strides(shape, operands):
    n = len(shape)
    if n <= 1:
        return (1,) * n

    def swap(d0, d1):
        for st in operands:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(n - 1, -1, -1))  # innermost first
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out = [0] * n
    step = 1
    for d in perm:
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _contiguous_indices(idx) -> bool:
    if isinstance(idx, np.ndarray):
        return idx.flags.c_contiguous and 1 not in idx.shape
    return all(not isinstance(i, np.ndarray) or (i.flags.c_contiguous and 1 not in i.shape)
               for i in idx)


def lay_out(x: np.ndarray, idx, out: np.ndarray) -> np.ndarray:
    """``out`` (numpy's ``x[idx]``) in PyTorch's layout: the same values, copied only when
    numpy's strides differ."""
    if out.ndim < 2 or out.size < 2:
        return out
    # numpy's contiguity flags ignore the strides of size-1 dims, which PyTorch's order reads
    if x.flags.c_contiguous and 1 not in x.shape and _contiguous_indices(idx):
        # then PyTorch's order is C order (numpy's differs where the indexed dims are not the
        # leading ones)
        if out.flags.c_contiguous and 1 not in out.shape:
            return out
        res = np.empty(out.shape, out.dtype)
        np.copyto(res, out)
        return res
    want = strides(x, idx)
    if want is None:
        return out
    item = out.itemsize
    if tuple(s // item for s in out.strides) == want:
        return out
    res = np.ndarray(out.shape, out.dtype, np.empty(out.size, out.dtype), 0,
                     tuple(w * item for w in want))
    np.copyto(res, out)
    return res
