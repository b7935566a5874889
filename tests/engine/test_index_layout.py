"""The layout of an advanced-indexing result: PyTorch's (contiguous for a contiguous source and
list indices), so ``view`` accepts what PyTorch's accepts; basic indexing keeps its views."""

from __future__ import annotations

import numpy as np
import pytest

import engine


def test_a_column_permutation_is_contiguous_and_views():
    v = engine.arange(6.0).reshape(3, 2)
    w = v[:, [1, 0]]
    assert w.is_contiguous() and w.stride() == (2, 1)
    assert w.view(-1).tolist() == [1.0, 0.0, 3.0, 2.0, 5.0, 4.0]


def test_the_source_layout_orders_the_result():
    u = engine.arange(24.0).reshape(2, 3, 4)
    # the source's innermost dim stays innermost; the index dims take the removed dim's place
    assert u.transpose(0, 2)[:, [1, 0]].stride() == (1, 4, 8)
    assert u.permute(1, 2, 0)[:, :, [1, 0]].stride() == (8, 2, 1)
    # non-adjacent indexed dims go first, then the rest in order
    assert u[[0, 1], :, [1, 0]].stride() == (3, 1)
    assert u[None, :, [1, 0]].stride() == (16, 8, 4, 1)


def test_values_and_grads_are_unchanged():
    x = engine.arange(6.0, requires_grad=True)
    w = x.reshape(3, 2)[:, [1, 0]]
    (w.view(-1) * engine.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0, 2.0, 5.0, 4.0]


def test_basic_indexing_still_gives_views():
    u = engine.arange(24.0).reshape(2, 3, 4)
    s = u[:, ::2]
    assert s._base is u._base and s.stride() == (12, 8, 1)


def _layouts(lib, rng):
    shape = ((2, 3, 4, 5), (2, 1, 4, 3), (1, 3, 1, 2))[int(rng.integers(0, 3))]
    base = lib.arange(float(np.prod(shape))).reshape(*shape)  # size-1 dims: their strides too
    perm = tuple(int(p) for p in rng.permutation(4))
    t = base.permute(*perm)
    if rng.random() < 0.3:
        t = t[:, ::2] if t.shape[1] > 1 else t
    return t


def _items(lib, t, rng):
    items = []
    for d in range(t.dim()):
        r = rng.random()
        n = t.shape[d]
        if r < 0.35:
            items.append([int(i) for i in rng.integers(0, n, rng.integers(1, 4))])
        elif r < 0.45:
            items.append(lib.tensor(rng.integers(0, n, (2, 3))).t())
        elif r < 0.55:
            items.append(slice(1, None) if n > 1 else slice(None))
        elif r < 0.6:
            items.append(int(rng.integers(0, n)))
        else:
            items.append(slice(None))
    if rng.random() < 0.2 and not any(type(i) is int for i in items):
        # (a None beside an integer index: the size-1 dim's stride is the one known difference)
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    return items


def _lists_and_tensors(items, lib):
    """The same lists of index tensors broadcastable: every list (and tensor) given one length."""
    n = None
    out = []
    for it in items:
        if isinstance(it, list):
            n = n or len(it)
            it = (it * n)[:n]
        out.append(it)
    return tuple(out)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(100))
def test_layouts_match_pytorch(seed):
    torch = pytest.importorskip("torch")
    got = []
    for lib in (engine, torch):
        rng = np.random.default_rng(seed)
        t = _layouts(lib, rng)
        items = _lists_and_tensors(_items(lib, t, rng), lib)
        if not any(isinstance(i, list) or hasattr(i, "dim") for i in items):
            items = (*items[:1], [0, 0], *items[2:]) if t.dim() > 1 else ([0, 0],)
        try:
            r = t[items]
        except (IndexError, RuntimeError) as e:
            got.append(type(e).__name__)
            continue
        got.append((tuple(r.shape), r.stride(), r.is_contiguous(), r.flatten().tolist()))
    assert got[0] == got[1], items
