"""``x ** e`` of a float32 tensor rounds as PyTorch 2.13's CPU kernel: ATen's special exponents
(2 and 3 as products, -1 and -2 as reciprocals, -0.5 as the reciprocal of sqrt), every other
exponent through SLEEF's ``powf_u10`` on the vectorised blocks and the double ``pow`` on the rest
(``engine.aten_pow``). The exponent 0.5 is ATen's sqrt kernel, MKL's, which numpy cannot
replay: that one residual is held to one ulp."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import aten_pow

RANGES = [(-1e-3, 1e-3), (-1, 1), (-10, 10), (-1e3, 1e3), (0, 100), (1e-30, 1e-20), (1e10, 1e20)]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, -2.0, 1e-45, -1e-45, 3.4e38,
           -3.4e38, 1e-40, -1e-40]
EXPONENTS = [2, 3, 3.5, 4, -1, -2, -3, -0.5, 1.5, 2.5, 0.25, 1 / 3, -1.5, 10, 7, -7, 100, 0.1,
             2.0, 4.0, -3.0, 1, 0, float("inf"), float("-inf"), float("nan")]


def _values(n_per_range=15000):
    rng = np.random.default_rng(0)
    parts = [rng.uniform(a, b, n_per_range).astype(np.float32) for a, b in RANGES]
    parts.append((rng.standard_normal(2000) * 1e-40).astype(np.float32))  # subnormals
    parts.append(np.array(SPECIAL * 2, np.float32))
    return np.concatenate(parts)


def _differing(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    return int((~same).sum())


def _ulps(a, b):
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)  # signed magnitudes on one integer line
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return np.abs(ia - ib)


@pytest.mark.torch
@pytest.mark.parametrize("e", EXPONENTS, ids=repr)
def test_every_bit_is_pytorchs(e):
    torch = pytest.importorskip("torch")
    x = _values()  # 107,032 values: more than 32,768, so split between threads as PyTorch does
    want = (torch.from_numpy(x) ** e).numpy()
    assert _differing(want, (engine.tensor(x) ** e).numpy()) == 0
    small = x[:1000]  # one thread: SIMD blocks, then the scalar tail
    assert _differing((torch.from_numpy(small) ** e).numpy(),
                      (engine.tensor(small) ** e).numpy()) == 0


@pytest.mark.torch
@pytest.mark.parametrize("n", [1, 31, 32, 33, 63, 65, 32767, 32768, 32769, 65537])
def test_the_blocks_and_the_tail_fall_where_pytorchs_do(n):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(n).uniform(0, 3, n).astype(np.float32)
    for e in (3.5, 1 / 3, -3):
        assert _differing((torch.from_numpy(x) ** e).numpy(), (engine.tensor(x) ** e).numpy()) == 0


LAYOUTS = {
    "transposed": lambda t: t.t(), "every other column": lambda t: t[:, ::2],
    "every other row": lambda t: t[::2], "a column block": lambda t: t[:, 1:40],
    "a column": lambda t: t[:, 3], "expanded row": lambda t: t[:1].expand(37, 53),
    "permuted": lambda t: t.reshape(37, 53, 1).permute(2, 1, 0),
}


@pytest.mark.torch
@pytest.mark.parametrize("layout", LAYOUTS)
def test_non_contiguous_inputs_are_walked_as_aten_walks_them(layout):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).uniform(0, 3, (37, 53)).astype(np.float32)
    view = LAYOUTS[layout]
    for e in (3.5, -3, 1 / 3):
        want = (view(torch.from_numpy(x)) ** e).numpy()
        assert _differing(want, (view(engine.tensor(x)) ** e).numpy()) == 0


@pytest.mark.torch
def test_the_backward_and_the_in_place_and_function_forms_round_alike():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).uniform(0.1, 3, 100).astype(np.float32)
    a = torch.tensor(x, requires_grad=True)
    (a ** 3.5).sum().backward()  # 3.5 * x ** 2.5: the same kernel
    b = engine.tensor(x, requires_grad=True)
    (b ** 3.5).sum().backward()
    assert _differing(a.grad.numpy(), b.grad.numpy()) == 0
    assert _differing(torch.pow(torch.from_numpy(x), 2.5).numpy(),
                      engine.pow(engine.tensor(x), 2.5).numpy()) == 0
    c, d = torch.from_numpy(x.copy()), engine.tensor(x.copy())
    c.pow_(1.5)
    d.pow_(1.5)
    assert _differing(c.numpy(), d.numpy()) == 0


@pytest.mark.torch
def test_the_square_root_exponent_is_within_one_ulp():
    # x ** 0.5 is ATen's sqrt kernel, which calls MKL's vsSqrt (high-accuracy mode): about one
    # float32 in five comes back one ulp from the correctly rounded root, by an algorithm numpy
    # has no copy of. The engine keeps numpy's correctly rounded sqrt (torch.sqrt differs alike).
    torch = pytest.importorskip("torch")
    x = np.abs(_values())
    want = (torch.from_numpy(x) ** 0.5).numpy()
    got = (engine.tensor(x) ** 0.5).numpy()
    finite = np.isfinite(want)
    assert np.array_equal(np.isnan(want), np.isnan(got))
    assert _ulps(want[finite], got[finite]).max() <= 1
    exact = np.sqrt(x.astype(np.float64)).astype(np.float32)
    assert _differing(got, exact) == 0


def test_exact_powers_and_special_cases_by_hand():
    x = engine.tensor([3.0, 2.0, 4.0, 16.0, 0.0, -0.0, -2.0, float("inf"), 1.0, -1.0] * 4)
    assert (x ** 4).tolist()[:4] == [81.0, 16.0, 256.0, 65536.0]
    assert (x ** -3).tolist()[1:7] == [0.125, 1 / 64, 1 / 4096, float("inf"), float("-inf"),
                                       -0.125]
    assert (x ** 1.5).tolist()[2:4] == [8.0, 64.0]
    assert (x ** 0.25).tolist()[2:4] == [float(np.float32(2 ** 0.5)), 2.0]
    r = (x ** 3.5).tolist()
    assert r[4] == 0.0 and r[7] == float("inf") and r[8] == 1.0
    assert np.isnan(r[6]) and np.isnan(r[9])  # a negative base to a non-integer power
    assert (x ** -7).tolist()[5] == float("-inf")  # -0 to an odd negative power


def test_the_sleef_replay_is_within_one_ulp_of_the_true_power():
    # independent of PyTorch: SLEEF's powf_u10 promises an error below 1 ulp
    rng = np.random.default_rng(3)
    x = rng.uniform(1e-3, 1e3, 20000).astype(np.float32)
    for e in (3.5, -1.5, 1 / 3, 10):
        got = aten_pow.sleef_powf(x, e)
        true = np.power(x.astype(np.float64), float(np.float32(e))).astype(np.float32)
        assert _ulps(got, true).max() <= 1
        assert 0 < _differing(got, true) < 0.05 * x.size  # it is not the correctly rounded power
