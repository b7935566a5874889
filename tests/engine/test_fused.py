"""engine.fused: a * b + c rounded once, checked against exact rational arithmetic."""

from fractions import Fraction

import numpy as np

from engine.fused import fma32, fma64


def _exact(a, b, c):
    return Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))


def test_fma64_is_correctly_rounded_where_separate_ops_are_not():
    rng = np.random.default_rng(7)
    a = rng.standard_normal(3000) * rng.choice([1e-8, 1.0, 1e6], 3000)
    b, c = rng.standard_normal(3000), rng.standard_normal(3000)
    want = np.array([float(_exact(x, y, z)) for x, y, z in zip(a, b, c)])
    np.testing.assert_array_equal(fma64(a, b, c), want)
    assert (a * b + c != want).sum() > 100  # the case is not vacuous


def test_fma32_rounds_once_to_float32():
    rng = np.random.default_rng(8)
    a, b, c = (rng.standard_normal(3000).astype(np.float32) for _ in range(3))
    want = np.array([float(_exact(x, y, z)) for x, y, z in zip(a, b, c)]).astype(np.float32)
    np.testing.assert_array_equal(fma32(a, b, c), want)
    assert (a * b + c != want).sum() > 10
