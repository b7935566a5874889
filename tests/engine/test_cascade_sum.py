"""A whole float32/float64 sum rounds as PyTorch's CPU sum (ATen's cascade sum), bit for bit, in
the forward (``sum``, ``mean``) and in the backward's reduction of a broadcast grad; ``mean`` is
the sum divided by the count, as PyTorch computes it."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.cascade_sum import full_sum


def _reference(values, lanes):
    """ATen's order of additions written as plain loops over float32/float64 scalars."""
    t = type(values[0])
    zero = t(0)

    def multi_row_sum(rows):  # rows: list of lists (nrows values each)
        size, nrows = len(rows), len(rows[0]) if rows else 0
        power = max(4, ((size - 1).bit_length() if size > 2 else 1) // 4)
        step, mask = 1 << power, (1 << power) - 1
        acc = [[zero] * nrows for _ in range(4)]
        i = 0
        while i + step <= size:
            for _ in range(step):
                acc[0] = [a + r for a, r in zip(acc[0], rows[i])]
                i += 1
            for j in range(1, 4):
                acc[j] = [a + b for a, b in zip(acc[j], acc[j - 1])]
                acc[j - 1] = [zero] * nrows
                if i & (mask << (j * power)):
                    break
        for k in range(i, size):
            acc[0] = [a + r for a, r in zip(acc[0], rows[k])]
        for j in range(1, 4):
            acc[0] = [a + b for a, b in zip(acc[0], acc[j])]
        return acc[0]

    def row_sum(items):  # items: list of lists (the lanes of each)
        k = len(items) // 4
        parts = multi_row_sum([sum((items[4 * r + c] for c in range(4)), []) for r in range(k)])
        width = len(items[0])
        parts = [parts[c * width:(c + 1) * width] for c in range(4)] if k else \
            [[zero] * width for _ in range(4)]
        first = parts[0]
        for extra in items[4 * k:]:
            first = [a + b for a, b in zip(first, extra)]
        for c in range(1, 4):
            first = [a + b for a, b in zip(first, parts[c])]
        return first

    n = len(values)
    if n < lanes:
        return row_sum([[v] for v in values])[0]
    nvec = n // lanes
    vec = row_sum([values[i * lanes:(i + 1) * lanes] for i in range(nvec)])
    acc = zero
    for v in values[nvec * lanes:] + vec:
        acc = acc + v
    return acc


@pytest.mark.parametrize("dtype,lanes", [(np.float32, 8), (np.float64, 4)])
def test_full_sum_replays_atens_order(dtype, lanes):
    rng = np.random.default_rng(3)
    for n in [*range(1, 70), 127, 128, 129, 511, 512, 600, 2047, 2048, 2049, 4100, 9000]:
        x = (rng.standard_normal(n) * 10 ** rng.uniform(-4, 4)).astype(dtype)
        want = _reference(list(x), lanes)
        got = full_sum(x)
        assert got.dtype == dtype and got.shape == ()
        assert got == want, n
    # a case where pairwise summation rounds differently
    x = np.array([1e8, 1.0, -1e8, 1.0] * 3 + [0.5] * 9, dtype)
    assert full_sum(x) == _reference(list(x), lanes)


def test_what_is_not_replayed_is_left_to_numpy():
    assert full_sum(np.ones(40000, np.float32)) is None  # PyTorch splits it between threads
    assert full_sum(np.ones((4, 6), np.float32)[:, ::2]) is None  # strided
    assert full_sum(np.ones(5, np.int64)) is None
    assert full_sum(np.ones((3, 5), np.float32).T) == 15.0  # memory order


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sum_mean_and_the_broadcast_grad_bit_for_bit_with_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for shape in [(5,), (9,), (100,), (2000,), (128, 10), (7, 300), (64, 8, 3), (32768,)]:
        data = (rng.standard_normal(shape) * 3).astype(dtype)
        res = []
        for m in (engine, torch):
            x = m.tensor(data)
            a = m.tensor(0.5, dtype=getattr(m, dtype), requires_grad=True)
            (a * x * x).sum().backward()  # a's grad: the whole sum of x * x
            res.append((x.sum(), x.mean(), x.t().sum() if x.ndim == 2 else x.sum(),
                        x.sum(dim=tuple(range(x.ndim)), keepdim=True), a.grad))
        for e, t in zip(*res):
            assert e.dtype.__repr__().split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(e.numpy(), t.numpy(), err_msg=str(shape))


def test_mean_divides_the_sum_by_the_count():
    x = np.float32([0.1, 0.2, 0.7, 1.3, 2.9, 0.3])
    s = full_sum(x)
    assert engine.tensor(x).mean().item() == float(s / np.float32(6))
    rows = np.float32([[0.1, 0.2, 0.7], [1.3, 2.9, 0.3]])
    np.testing.assert_array_equal(engine.tensor(rows).mean(1).numpy(),
                                  np.add.reduce(rows, axis=1) / np.float32(3))
