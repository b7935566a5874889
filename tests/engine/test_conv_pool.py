"""Convolutions, padding and pooling: hand-derived values, finite differences (first and second
derivatives), node names, module printing, PyTorch's initial weights and errors, and differential
checks against PyTorch (values and grads of random cases, printed output of exact ones)."""

from __future__ import annotations

import numpy as np
import pytest
from layers_util import close, same_output

import engine
from engine.autograd import gradcheck, gradgradcheck

nn = engine.nn
F = engine.nn.functional
rng = np.random.default_rng(3)


def t64(*shape):
    return engine.tensor(rng.standard_normal(shape), dtype=engine.float64, requires_grad=True)


# ---- hand-derived ------------------------------------------------------------------------------
def test_conv2d_by_hand():
    x = engine.arange(9.0).reshape(1, 1, 3, 3).requires_grad_()
    w = engine.tensor([[[[1.0, 0.0], [0.0, -1.0]]]], requires_grad=True)
    y = F.conv2d(x, w, engine.tensor([0.5]))
    # each output: x[i, j] - x[i + 1, j + 1] + 0.5 = -4 + 0.5
    assert y.tolist() == [[[[-3.5, -3.5], [-3.5, -3.5]]]]
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    y.sum().backward()
    # x[i, j] appears with +1 for each window whose top-left it is, -1 for each bottom-right
    assert x.grad.tolist() == [[[[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]]]]
    # dw[a, b] = sum of the x values under that tap over the 4 windows
    assert w.grad.tolist() == [[[[8.0, 12.0], [20.0, 24.0]]]]


def test_conv_same_padding_and_strides_by_hand():
    x = engine.arange(16.0).reshape(1, 1, 4, 4)
    with pytest.warns(UserWarning, match="even kernel lengths"):
        y = F.conv2d(x, engine.ones(1, 1, 2, 2), padding="same")
    # the extra row/column of zeros goes on the bottom/right, as PyTorch pads
    assert y[0, 0, 0].tolist() == [10.0, 14.0, 18.0, 10.0]
    assert y[0, 0, 3].tolist() == [25.0, 27.0, 29.0, 15.0]
    y = F.conv2d(x, engine.ones(1, 1, 1, 1), stride=(2, 3))
    assert y[0, 0].tolist() == [[0.0, 3.0], [8.0, 11.0]]
    y = F.conv1d(engine.arange(6.0).reshape(1, 1, 6), engine.ones(1, 1, 2), dilation=3)
    assert y.tolist() == [[[3.0, 5.0, 7.0]]]


def test_pools_by_hand():
    x = engine.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    m = F.max_pool2d(x, 2)
    assert m.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert type(m.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    m.sum().backward()
    assert x.grad[0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [0, 1, 0, 1]]
    _, idx = F.max_pool2d(x, 3, stride=2, ceil_mode=True, return_indices=True)
    assert idx.tolist() == [[[[10, 11], [14, 15]]]]
    a = F.avg_pool2d(x, 2)
    assert a.tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    assert type(a.grad_fn).__name__ == "AvgPool2DBackward0"
    # padding counted (9 elements) or not (4 real ones in the corner window)
    assert F.avg_pool2d(x, 3, 2, 1)[0, 0, 0, 0].item() == pytest.approx(10 / 9)
    assert F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)[0, 0, 0, 0].item() == 2.5
    ad = F.adaptive_avg_pool2d(x, (3, 2))  # rows [0,2), [1,3), [2,4)
    assert ad[0, 0, :, 0].tolist() == [2.5, 6.5, 10.5]
    assert type(ad.grad_fn).__name__ == "AdaptiveAvgPool2DBackward0"
    assert type(F.adaptive_avg_pool2d(x, 1).grad_fn).__name__ == "MeanBackward1"


# ---- finite differences --------------------------------------------------------------------------
CONV_CASES = {
    "plain": dict(),
    "stride_pad": dict(stride=2, padding=1),
    "dilation_groups": dict(dilation=(2, 1), groups=2, padding=(0, 1)),
    "same": dict(padding="same"),
}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kw", CONV_CASES.values(), ids=CONV_CASES.keys())
def test_conv2d_gradients_against_finite_differences(kw):
    x, w, b = t64(2, 2, 5, 4), t64(4, 2 // kw.get("groups", 1), 3, 2), t64(4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv_second_derivatives_and_conv1d():
    x, w = t64(1, 2, 4, 4), t64(2, 1, 2, 2)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2), (x, w))
    x1, w1, b1 = t64(2, 3, 7), t64(2, 3, 3), t64(2)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2),
                     (x1, w1, b1))
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding=1), (x1, w1))


def test_pool_gradients_against_finite_differences():
    x = engine.tensor(rng.permutation(50).reshape(1, 2, 5, 5) / 7.0, dtype=engine.float64,
                      requires_grad=True)  # distinct values: a unique max per window
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.max_pool2d(x, 2, dilation=2), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                            count_include_pad=False), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 2, divisor_override=3), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2) ** 2, (x,))
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 3)) ** 2, (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2) ** 2, (x,))
    assert gradcheck(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), (x,))


def test_unbatched_inputs_and_1d_pools():
    x = engine.arange(8.0).reshape(1, 8)
    assert F.max_pool1d(x, 2).tolist() == [[1.0, 3.0, 5.0, 7.0]]
    assert F.avg_pool1d(x, 4).tolist() == [[1.5, 5.5]]
    assert F.conv2d(engine.ones(1, 4, 4), engine.ones(2, 1, 3, 3)).shape == (2, 2, 2)


def test_errors():
    c = nn.Conv2d(1, 4, 3)
    cases = [
        (lambda: c(engine.randn(1, 2, 5, 5)), RuntimeError,
         "Given groups=1, weight of size [4, 1, 3, 3], expected input[1, 2, 5, 5] to have 1 "
         "channels, but got 2 channels instead"),
        (lambda: c(engine.randn(1, 1, 2, 2)), RuntimeError,
         "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3)."),
        (lambda: c(engine.randn(5, 5)), RuntimeError,
         "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
        (lambda: F.conv2d(engine.ones(1, 1, 4, 4), engine.ones(1, 1, 2, 2), stride=2,
                          padding="same"), RuntimeError,
         "padding='same' is not supported for strided convolutions"),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by"),
        (lambda: nn.Conv2d(2, 2, 3, padding="foo"), ValueError, "Invalid padding string 'foo'"),
        (lambda: F.max_pool2d(engine.ones(1, 1, 4, 4), 2, padding=2), RuntimeError,
         "pad should be at most half of effective kernel size"),
        (lambda: F.max_pool2d(engine.ones(1, 1, 1, 1), 2), RuntimeError,
         "Output size is too small"),
        (lambda: F.pad(engine.ones(2, 2), (1, 2, 3)), RuntimeError,
         "Padding length must be divisible by 2"),
    ]
    for fn, cls, msg in cases:
        with pytest.raises(cls) as info:
            fn()
        assert msg in str(info.value)


# ---- differential ------------------------------------------------------------------------------
def _pair(real, *shape):
    a = rng.standard_normal(shape).astype(np.float32)
    return (engine.tensor(a, requires_grad=True), real.tensor(a, requires_grad=True))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kw", CONV_CASES.values(), ids=CONV_CASES.keys())
def test_conv_values_and_grads_match_pytorch(kw):
    real = pytest.importorskip("torch")
    (xe, xt), (we, wt), (be, bt) = (_pair(real, 3, 2, 8, 7),
                                    _pair(real, 4, 2 // kw.get("groups", 1), 3, 3),
                                    _pair(real, 4))
    ye, yt = F.conv2d(xe, we, be, **kw), real.nn.functional.conv2d(xt, wt, bt, **kw)
    close(ye, yt)
    probe = rng.standard_normal(tuple(ye.shape)).astype(np.float32)
    (ye * engine.tensor(probe)).sum().backward()
    (yt * real.tensor(probe)).sum().backward()
    for a, b in ((xe, xt), (we, wt), (be, bt)):
        close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.torch
def test_pool_values_and_grads_match_pytorch():
    real = pytest.importorskip("torch")
    RF = real.nn.functional
    for fe, ft in [
        (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
         lambda x: RF.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
        (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
         lambda x: RF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
        (lambda x: F.avg_pool2d(x, (2, 3), (1, 2)), lambda x: RF.avg_pool2d(x, (2, 3), (1, 2))),
        (lambda x: F.adaptive_avg_pool2d(x, (4, 3)), lambda x: RF.adaptive_avg_pool2d(x, (4, 3))),
        (lambda x: F.max_pool1d(x.flatten(2), 4, 3), lambda x: RF.max_pool1d(x.flatten(2), 4, 3)),
    ]:
        xe, xt = _pair(real, 2, 3, 7, 6)
        ye, yt = fe(xe), ft(xt)
        close(ye, yt)
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
        probe = rng.standard_normal(tuple(ye.shape)).astype(np.float32)
        (ye * engine.tensor(probe)).sum().backward()
        (yt * real.tensor(probe)).sum().backward()
        close(xe.grad, xt.grad)


PROGRAMS = {
    "conv_modules": """
        torch.manual_seed(0)
        c = nn.Conv2d(1, 4, 3)
        print(c, c.weight, c.bias)
        print(nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False))
        print(nn.Conv1d(3, 6, 5, padding='same'), nn.Conv2d(2, 2, 3, padding='valid'))
        print(nn.Conv1d(2, 3, 2).weight)
        x = torch.arange(32.).reshape(2, 1, 4, 4).requires_grad_()
        y = F.conv2d(x, torch.ones(2, 1, 2, 2), torch.tensor([1., -1.]), padding=1)
        print(y)
        y.sum().backward()
        print(x.grad, y.grad_fn.next_functions[1:])
    """,
    "pool_modules": """
        x = torch.arange(50.).reshape(1, 2, 5, 5).requires_grad_()
        for m in (nn.MaxPool2d(2), nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                  nn.AvgPool2d(2), nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                  nn.AdaptiveAvgPool2d((3, 2)), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                  nn.Sequential(nn.Flatten(), nn.Unflatten(1, (5, 10)))):
            x.grad = None
            y = m(x)
            y.sum().backward()
            print(m, y, x.grad)
        print(F.max_pool2d(x, 2, return_indices=True))
    """,
    "conv_error": "nn.Conv2d(1, 4, 3)(torch.ones(1, 2, 5, 5))",
    "conv_small_error": "F.conv1d(torch.ones(1, 1, 2), torch.ones(1, 1, 3))",
    "unflatten_error": "nn.Unflatten(1, (4, 3))(torch.ones(2, 6))",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_output_as_pytorch(name):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(PROGRAMS[name], real)
    assert ours == theirs
