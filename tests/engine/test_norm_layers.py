"""Batch norm and layer norm: hand-derived values and running statistics, finite differences
(first and second derivatives, train and eval), module printing, buffers and errors, and
differential checks against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from layers_util import close, same_output

import engine
from engine.autograd import gradcheck, gradgradcheck

nn = engine.nn
F = engine.nn.functional
rng = np.random.default_rng(5)


def t64(*shape):
    return engine.tensor(rng.standard_normal(shape), dtype=engine.float64, requires_grad=True)


def test_batch_norm_by_hand_and_running_stats():
    bn = nn.BatchNorm1d(2)
    x = engine.tensor([[1.0, 2.0], [3.0, 6.0]])
    y = bn(x)
    # per column: mean (2, 4), biased var (1, 4): normalised values -1, +1 (eps aside)
    np.testing.assert_allclose(y.detach().numpy(), [[-1, -1], [1, 1]], atol=1e-4)
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"
    # running stats move 0.1 toward the batch's mean and unbiased variance (2, 8)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4])
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.2, 0.9 + 0.8])
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    y = bn(x)  # eval: (x - running_mean) / sqrt(running_var + eps)
    np.testing.assert_allclose(y.detach().numpy(), (x.numpy() - [0.2, 0.4])
                               / np.sqrt(np.array([1.1, 1.7]) + 1e-5), rtol=1e-6)
    cum = nn.BatchNorm1d(1, momentum=None)  # momentum=None: the plain average of all batches
    cum(engine.tensor([[1.0], [3.0]]))
    cum(engine.tensor([[5.0], [9.0]]))
    assert cum.running_mean.tolist() == [4.5] and cum.running_var.tolist() == [5.0]


def test_layer_norm_by_hand():
    x = engine.tensor([[1.0, 2.0, 3.0], [2.0, 2.0, 8.0]], requires_grad=True)
    y = F.layer_norm(x, (3,))
    s = np.sqrt(2 / 3 + 1e-5)
    np.testing.assert_allclose(y[0].detach().numpy(), [-1 / s, 0, 1 / s], rtol=1e-6)
    assert type(y.grad_fn).__name__ == "NativeLayerNormBackward0"
    y.sum().backward()  # the normalised row always sums to 0: no grad through a plain sum
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-6)


def test_gradients_against_finite_differences():
    x, w, b = t64(4, 3, 2), t64(3), t64(3)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    rm, rv = engine.tensor([0.1, -0.2, 0.3], dtype=engine.float64), engine.tensor(
        [1.5, 0.5, 2.0], dtype=engine.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    assert gradgradcheck(lambda x, w: F.batch_norm(x, rm, rv, w, None, False) ** 2, (x, w))
    x2, w2, b2 = t64(2, 3, 4), t64(3, 4), t64(3, 4)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x2, w2, b2))
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w[0], b[0]), (x2, w2, b2))
    x4 = t64(2, 2, 3, 3)
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x4,))


def test_modules_print_and_hold_their_buffers():
    bn = nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False)
    assert repr(bn) == ("BatchNorm2d(4, eps=0.001, momentum=None, affine=False, bias=False, "
                        "track_running_stats=False)")
    assert repr(nn.LayerNorm(3)) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(nn.BatchNorm1d(3).state_dict()) == ["weight", "bias", "running_mean",
                                                    "running_var", "num_batches_tracked"]
    assert nn.BatchNorm1d(3, bias=False).bias is None


def test_errors():
    cases = [
        (lambda: nn.BatchNorm1d(3)(engine.ones(1, 3)), ValueError,
         "Expected more than 1 value per channel when training, got input size "
         "torch.Size([1, 3])"),
        (lambda: nn.BatchNorm1d(3)(engine.ones(2, 4)), RuntimeError,
         "running_mean should contain 4 elements not 3"),
        (lambda: nn.BatchNorm2d(3)(engine.ones(2, 3)), ValueError, "expected 4D input (got 2D"),
        (lambda: nn.BatchNorm1d(3)(engine.ones(2, 3, 4, 5)), ValueError,
         "expected 2D or 3D input (got 4D input)"),
        (lambda: nn.LayerNorm(3)(engine.ones(2, 4)), RuntimeError,
         "Given normalized_shape=[3], expected input with shape [*, 3], but got input of "
         "size[2, 4]"),
    ]
    for fn, cls, msg in cases:
        with pytest.raises(cls) as info:
            fn()
        assert msg in str(info.value)


@pytest.mark.torch
def test_values_grads_and_running_stats_match_pytorch():
    real = pytest.importorskip("torch")
    for make, shape in [(lambda lib: lib.nn.BatchNorm1d(3), (8, 3)),
                        (lambda lib: lib.nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
                        (lambda lib: lib.nn.BatchNorm2d(2, momentum=0.3), (4, 2, 3, 3)),
                        (lambda lib: lib.nn.LayerNorm((3, 4)), (2, 3, 4))]:
        ours, theirs = make(engine), make(real)
        for step in range(3):
            a = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
            probe = rng.standard_normal(shape).astype(np.float32)
            xe, xt = engine.tensor(a, requires_grad=True), real.tensor(a, requires_grad=True)
            ye, yt = ours(xe), theirs(xt)
            close(ye, yt, rtol=1e-5, atol=1e-5)
            (ye * engine.tensor(probe)).sum().backward()
            (yt * real.tensor(probe)).sum().backward()
            close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
        for (name, pe), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
            close(pe.grad, pt.grad, rtol=1e-4, atol=1e-4)
        for (name, be), (_, bt) in zip(ours.named_buffers(), theirs.named_buffers()):
            close(be, bt, rtol=1e-5, atol=1e-6)
        ours.eval()
        theirs.eval()
        close(ours(engine.tensor(a)), theirs(real.tensor(a)), rtol=1e-5, atol=1e-5)


PROGRAMS = {
    "batch_norm": """
        bn = nn.BatchNorm1d(3)
        print(bn, bn.weight, bn.running_mean, bn.running_var, bn.num_batches_tracked)
        print(nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
              nn.BatchNorm1d(3, bias=False))
        x = torch.tensor([[1., 2., 0.], [3., 6., 1.], [2., 2., 5.], [0., 4., 2.]],
                         requires_grad=True)
        y = bn(x)
        print(y, y.grad_fn.next_functions)
        (y * torch.arange(12.).reshape(4, 3)).sum().backward()
        print(bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var, bn.num_batches_tracked)
        bn.eval()
        print(bn(x))
        b2 = nn.BatchNorm2d(2, affine=False)
        print(b2(torch.arange(16.).reshape(2, 2, 2, 2)), b2.running_var)
    """,
    "layer_norm": """
        ln = nn.LayerNorm(3)
        print(ln, nn.LayerNorm([2, 3], elementwise_affine=False), nn.LayerNorm(3, bias=False))
        x = torch.tensor([[1., 2., 4.], [3., 6., 1.]], requires_grad=True)
        y = ln(x)
        print(y, y.grad_fn.next_functions)
        (y * torch.tensor([1., 0., 2.])).sum().backward()
        print(ln.weight.grad, ln.bias.grad)
        print(F.layer_norm(x, (3,)).grad_fn.next_functions)
    """,
    "bn_batch_error": "nn.BatchNorm1d(3)(torch.ones(1, 3))",
    "bn_dim_error": "nn.BatchNorm2d(3)(torch.ones(2, 3))",
    "ln_shape_error": "nn.LayerNorm(3)(torch.ones(2, 4))",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_output_as_pytorch(name):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(PROGRAMS[name], real)
    assert ours == theirs
