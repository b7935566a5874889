"""Where advanced indexing puts the indexed dims, as PyTorch does: ints and 0-d integer tensors
select first (basic indexing, unlike numpy, where an int is an index array); the remaining index
tensors keep their place when next to each other and go first when a slice separates them;
boolean masks count as the index tensors of the dims they cover. Shapes worked out by hand, and
values, grads and node names against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import engine

B6 = [True, False, True, False, False, True]


def D(m):
    return m.zeros(2, 1, 5, 1, 1, dtype=m.long)


# (id, index builder on module m, source shape, shape worked out by hand)
CASES = [
    # the int selects first; d (2,1,5,1,1) is then the only index tensor and stays in place:
    # 5, 2 (3:11:2 of 6), d's shape, 2 (0:2 of 3), 4
    ("separated", lambda m: (1, slice(None), slice(3, 11, 2), D(m), slice(0, 2)),
     (2, 5, 6, 5, 3, 4), (5, 2, 2, 1, 5, 1, 1, 2, 4)),
    ("adjacent_after_slice", lambda m: (slice(None), D(m), slice(1, 3), 1),
     (2, 5, 6, 5, 3, 4), (2, 2, 1, 5, 1, 1, 2, 3, 4)),
    ("adjacent_pair", lambda m: (slice(None), slice(None), D(m), D(m)),
     (2, 5, 6, 5, 3, 4), (2, 5, 2, 1, 5, 1, 1, 3, 4)),
    ("pair_split_by_slice", lambda m: (slice(None), D(m), slice(None), D(m)),
     (2, 5, 6, 5, 3, 4), (2, 1, 5, 1, 1, 2, 6, 3, 4)),
    ("trailing_after_ellipsis", lambda m: (Ellipsis, D(m)),
     (2, 5, 6, 5, 3, 4), (2, 5, 6, 5, 3, 2, 1, 5, 1, 1)),
    ("mask_after_slice", lambda m: (slice(None), slice(None), m.tensor(B6)),
     (2, 5, 6, 5, 3, 4), (2, 5, 3, 5, 3, 4)),
    ("mask_and_int_separated", lambda m: (0, slice(None), m.tensor(B6), slice(None), 1),
     (2, 5, 6, 5, 3, 4), (5, 3, 5, 4)),
    ("mask_and_tensor_separated",
     lambda m: (1, 0, m.tensor(B6), slice(None), m.tensor([0, 1, 2])),
     (2, 5, 6, 5, 3, 4), (3, 5, 4)),
    # one True and three Trues broadcast to 3 indices, split by a slice: first
    ("two_masks_split", lambda m: (m.tensor([True, False]), slice(None), m.tensor(B6)),
     (2, 5, 6, 5, 3, 4), (3, 5, 5, 3, 4)),
    ("none_and_ellipsis", lambda m: (None, 1, Ellipsis, m.tensor([0, 2]), None),
     (2, 5, 6, 5, 3, 4), (1, 5, 6, 5, 3, 2, 1)),
    ("column_and_row_indices",
     lambda m: (m.tensor([[0], [1]]), slice(None), m.tensor([1, 2, 3])),
     (2, 3, 4), (2, 3, 3)),
    ("zero_d_index_and_vector", lambda m: (1, m.tensor(2), slice(None), m.tensor([1, 2])),
     (2, 5, 6, 5), (6, 2)),
    ("mask_2d_after_ints", lambda m: (1, m.tensor([[True, False, True], [False, True, True]])),
     (2, 2, 3, 4), (4, 4)),
    ("scalar_true", lambda m: (m.tensor(True),), (2, 3), (1, 2, 3)),
    ("scalar_false", lambda m: (m.tensor(False),), (2, 3), (0, 2, 3)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,index,shape,want", CASES, ids=IDS)
def test_shape_worked_out_by_hand(name, index, shape, want):
    x = engine.zeros(*shape)
    assert tuple(x[index(engine)].shape) == want


def test_values_by_hand():
    x = engine.arange(24.0).reshape(2, 3, 4)
    # x[[1, 0], :, [[3], [0]]]: pairs (1,3),(0,3),(1,0),(0,0) first, then the 3 rows
    out = x[engine.tensor([1, 0]), :, engine.tensor([[3], [0]])]
    assert out.shape == (2, 2, 3)
    assert out[0, 0].tolist() == [15.0, 19.0, 23.0] and out[1, 1].tolist() == [0.0, 4.0, 8.0]
    assert x[:, engine.tensor([True, False, True]), 1:3].tolist() == \
        [[[1.0, 2.0], [9.0, 10.0]], [[13.0, 14.0], [21.0, 22.0]]]


@pytest.mark.torch
@pytest.mark.parametrize("name,index,shape,want", CASES, ids=IDS)
def test_values_grads_and_nodes_match_pytorch(name, index, shape, want):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape)
    res = []
    for m in (engine, torch):
        x = m.tensor(a, requires_grad=True)
        out = x[index(m)]
        w = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
        (out * m.tensor(w)).sum().backward()
        res.append((tuple(out.shape), out.detach().numpy(), type(out.grad_fn).__name__,
                    x.grad.numpy()))
    (s1, v1, n1, g1), (s2, v2, n2, g2) = res
    assert s1 == s2 == want and n1 == n2
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_allclose(g1, g2, rtol=1e-12)
