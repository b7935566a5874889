"""The padding and upsampling modules: reprs, outputs, grads and node names as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import engine

BUILDS = [
    (lambda nn: nn.ReflectionPad1d((1, 2)), (2, 2, 4)),
    (lambda nn: nn.ReflectionPad2d(1), (1, 2, 3, 3)),
    (lambda nn: nn.ReflectionPad3d((1, 0, 0, 1, 1, 1)), (1, 1, 2, 3, 3)),
    (lambda nn: nn.ReplicationPad1d(2), (2, 3)),
    (lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), (1, 2, 3, 3)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 1, 2, 2, 2)),
    (lambda nn: nn.CircularPad1d(1), (1, 2, 3)),
    (lambda nn: nn.CircularPad2d((1, 0, 2, 1)), (1, 1, 3, 3)),
    (lambda nn: nn.ConstantPad1d(2, 3.5), (1, 2, 3)),
    (lambda nn: nn.ConstantPad2d((1, 0, 0, 1), 0), (1, 2, 2)),
    (lambda nn: nn.ZeroPad2d(1), (1, 1, 2, 2)),
    (lambda nn: nn.ZeroPad1d((1, 2)), (1, 3)),
    (lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3)),
    (lambda nn: nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True), (1, 1, 2, 2)),
    (lambda nn: nn.Upsample(scale_factor=(2, 3)), (1, 1, 2, 2)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (1, 1, 2, 3)),
    (lambda nn: nn.UpsamplingBilinear2d(size=4), (1, 2, 2, 2)),
]


def test_upsampling_bilinear_aligns_corners_by_hand():
    x = engine.tensor([[[[0.0, 3.0]]]])
    out = engine.nn.UpsamplingBilinear2d(size=(1, 4))(x)
    assert out.tolist() == [[[[0.0, 1.0, 2.0, 3.0]]]]


@pytest.mark.torch
@pytest.mark.parametrize("build,shape", BUILDS)
def test_modules_match_pytorch(build, shape):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape)
    res = []
    for lib in (engine, torch):
        m = build(lib.nn)
        x = lib.tensor(a, requires_grad=True)
        out = m(x)
        w = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
        (out * lib.tensor(w)).sum().backward()
        res.append((repr(m), tuple(out.shape), type(out.grad_fn).__name__,
                    out.detach().numpy(), x.grad.numpy()))
    (r1, s1, n1, v1, g1), (r2, s2, n2, v2, g2) = res
    assert (r1, s1, n1) == (r2, s2, n2)
    np.testing.assert_allclose(v1, v2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-14)
