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


# sizes on each side of the replay's boundaries: a whole vector (8 / 4 lanes), a row of 4
# vectors, the first whole chunk of 16 rows, two chunks, and the first group of 16 chunks
_EDGES = {np.float32: [7, 8, 9, 31, 32, 33, 39, 511, 512, 513, 519, 520, 999, 1000, 1023, 1024,
                       1025, 1031, 1535, 1536, 8191, 8192, 8193, 8200, 16383, 16384, 32767, 32768],
          np.float64: [3, 4, 5, 15, 16, 17, 255, 256, 257, 259, 260, 511, 512, 513, 4095, 4096,
                       4097, 4100, 8191, 8192, 32768]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_sum_at_the_replays_boundaries(dtype):
    rng = np.random.default_rng(5)
    lanes = 8 if dtype is np.float32 else 4
    for n in _EDGES[dtype]:
        x = (rng.standard_normal(n) * 10 ** rng.uniform(-3, 3, n)).astype(dtype)
        assert full_sum(x) == _reference(list(x), lanes), n


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_full_sum_at_the_boundaries_bit_for_bit_with_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for n in _EDGES[getattr(np, dtype)]:
        # large and small magnitudes mixed, so that any other order of additions rounds apart
        data = (rng.standard_normal(n) * 10 ** rng.uniform(-4, 4, n)).astype(dtype)
        want = torch.tensor(data).sum().numpy()
        np.testing.assert_array_equal(full_sum(data), want, err_msg=str(n))
        np.testing.assert_array_equal(engine.tensor(data).sum().numpy(), want, err_msg=str(n))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_zero_sum_is_positive_zero_as_torchs(dtype):
    """ATen's sum starts from +0.0, so no sum is -0.0, even of -0.0s only."""
    torch = pytest.importorskip("torch")
    for n in [*range(1, 41), 64, 100, 513, 1000, 5000]:
        for data in (np.full(n, -0.0, dtype), np.where(np.arange(n) % 2, 2.5, -2.5).astype(dtype)
                     if n % 2 == 0 else np.full(n, -0.0, dtype)):
            for m in (engine, torch):
                s = m.tensor(data).sum()
                assert s.item() == 0.0
                assert not np.signbit(s.item()), (m.__name__, n)
            assert not np.signbit(engine.tensor(data).mean().item())
            assert not np.signbit(full_sum(data))
