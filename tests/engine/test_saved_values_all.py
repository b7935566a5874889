"""Every node the engine records that real PyTorch records too, built the same way in both: its
``_saved_*`` names, their values (tensors by value and dtype, Python values by type and value)
and, for tensors, whether each is the very tensor object PyTorch's is (an input, an output)."""

from __future__ import annotations

import numpy as np
import pytest

import engine


def _x(lib, shape=(3, 3), seed=0, rg=True, lo=0.5, hi=1.5):
    data = np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)
    return lib.tensor(data, requires_grad=rg)


def F(t):
    return t.nn.functional


# name: f(t, x, y) -> output (a tensor or a tuple of tensors); x, y: 3x3 leaves in [0.5, 1.5]
CASES = {
    # unary elementwise
    "acos": lambda t, x, y: (x * 0.5).acos(),
    "acosh": lambda t, x, y: (x + 1).acosh(),
    "asin": lambda t, x, y: (x * 0.5).asin(),
    "asinh": lambda t, x, y: x.asinh(),
    "atan": lambda t, x, y: x.atan(),
    "atanh": lambda t, x, y: (x * 0.5).atanh(),
    "cosh": lambda t, x, y: x.cosh(),
    "sinh": lambda t, x, y: x.sinh(),
    "tan": lambda t, x, y: x.tan(),
    "erf": lambda t, x, y: x.erf(),
    "exp2": lambda t, x, y: x.exp2(),
    "expm1": lambda t, x, y: x.expm1(),
    "log10": lambda t, x, y: x.log10(),
    "log1p": lambda t, x, y: x.log1p(),
    "log2": lambda t, x, y: x.log2(),
    "reciprocal": lambda t, x, y: x.reciprocal(),
    "ceil": lambda t, x, y: x.ceil(),
    "floor": lambda t, x, y: x.floor(),
    "round": lambda t, x, y: x.round(),
    "trunc": lambda t, x, y: x.trunc(),
    "frac": lambda t, x, y: x.frac(),
    "sign": lambda t, x, y: x.sign(),
    "sigmoid": lambda t, x, y: x.sigmoid(),
    "tanh": lambda t, x, y: x.tanh(),
    "exp": lambda t, x, y: x.exp(),
    "log": lambda t, x, y: x.log(),
    "sqrt": lambda t, x, y: x.sqrt(),
    "rsqrt": lambda t, x, y: x.rsqrt(),
    "sin": lambda t, x, y: x.sin(),
    "cos": lambda t, x, y: x.cos(),
    "abs": lambda t, x, y: x.abs(),
    "neg": lambda t, x, y: -x,
    "relu": lambda t, x, y: (x - 1).relu(),
    "clamp": lambda t, x, y: x.clamp(0.7, 1.2),
    "clamp_min": lambda t, x, y: x.clamp_min(0.9),
    "clamp_max": lambda t, x, y: x.clamp_max(0.9),
    "clamp_t": lambda t, x, y: x.clamp(y - 0.2, y + 0.2),
    "clamp_min_t": lambda t, x, y: x.clamp_min(y),
    "clamp_max_t": lambda t, x, y: x.clamp_max(y),
    # binary elementwise
    "add": lambda t, x, y: x + y,
    "add_alpha": lambda t, x, y: t.add(x, y, alpha=2),
    "sub": lambda t, x, y: x - y,
    "sub_alpha": lambda t, x, y: t.sub(x, y, alpha=0.5),
    "rsub": lambda t, x, y: 2 - x,
    "mul": lambda t, x, y: x * y,
    "mul_scalar": lambda t, x, y: x * 2,
    "div": lambda t, x, y: x / y,
    "div_scalar": lambda t, x, y: x / 2,
    "div_mode": lambda t, x, y: t.div(x, y, rounding_mode="floor"),
    "pow": lambda t, x, y: x ** 3,
    "pow_tt": lambda t, x, y: x ** y,
    "rpow": lambda t, x, y: 2.5 ** x,
    "maximum": lambda t, x, y: t.maximum(x, y),
    "minimum": lambda t, x, y: t.minimum(x, y),
    "atan2": lambda t, x, y: t.atan2(x, y),
    "copysign": lambda t, x, y: t.copysign(x, y - 1),
    "copysign_s": lambda t, x, y: t.copysign(x, -1.0),
    "fmod": lambda t, x, y: t.fmod(x, 0.7),
    "fmod_tt": lambda t, x, y: t.fmod(x, y),
    "remainder": lambda t, x, y: t.remainder(x, 0.7),
    "remainder_tt": lambda t, x, y: t.remainder(x, y),
    "logaddexp": lambda t, x, y: t.logaddexp(x, y),
    "lerp": lambda t, x, y: t.lerp(x, y, 0.3),
    "lerp_t": lambda t, x, y: t.lerp(x, y, y * 0.5),
    "where": lambda t, x, y: t.where(x > 1, x, y),
    "masked_fill": lambda t, x, y: x.masked_fill(x > 1, 0.5),
    # activations
    "silu": lambda t, x, y: F(t).silu(x),
    "mish": lambda t, x, y: F(t).mish(x),
    "gelu": lambda t, x, y: F(t).gelu(x),
    "gelu_tanh": lambda t, x, y: F(t).gelu(x, approximate="tanh"),
    "elu": lambda t, x, y: F(t).elu(x - 1, 0.5),
    "selu": lambda t, x, y: F(t).selu(x - 1),
    "celu": lambda t, x, y: F(t).celu(x - 1, 0.5),
    "elu_": lambda t, x, y: F(t).elu(x - 1, 0.5, inplace=True),
    "leaky_relu": lambda t, x, y: F(t).leaky_relu(x - 1, 0.2),
    "leaky_relu_": lambda t, x, y: F(t).leaky_relu(x - 1, 0.2, inplace=True),
    "hardtanh": lambda t, x, y: F(t).hardtanh(x, 0.7, 1.2),
    "relu6": lambda t, x, y: F(t).relu6(x * 4),
    "hardsigmoid": lambda t, x, y: F(t).hardsigmoid(x),
    "hardswish": lambda t, x, y: F(t).hardswish(x),
    "softplus": lambda t, x, y: F(t).softplus(x, beta=2, threshold=10),
    "logsigmoid": lambda t, x, y: F(t).logsigmoid(x),
    "threshold": lambda t, x, y: F(t).threshold(x, 1.0, 0.5),
    "threshold_": lambda t, x, y: F(t).threshold_(x * 1, 1.0, 0.5),
    "softmax": lambda t, x, y: x.softmax(1),
    "log_softmax": lambda t, x, y: x.log_softmax(0),
    # reductions
    "sum": lambda t, x, y: x.sum(),
    "sum_dim": lambda t, x, y: x.sum(1, keepdim=True),
    "mean": lambda t, x, y: x.mean(),
    "mean_dim": lambda t, x, y: x.mean(0),
    "prod": lambda t, x, y: x.prod(),
    "prod_dim": lambda t, x, y: x.prod(1),
    "max_all": lambda t, x, y: x.max(),
    "min_all": lambda t, x, y: x.min(),
    "max_dim": lambda t, x, y: tuple(x.max(1)),
    "min_dim": lambda t, x, y: tuple(x.min(0, keepdim=True)),
    "amax": lambda t, x, y: x.amax(1),
    "amin": lambda t, x, y: x.amin((0, 1)),
    "median": lambda t, x, y: x.median(),
    "median_dim": lambda t, x, y: tuple(x.median(1)),
    "mode": lambda t, x, y: tuple(x.mode(1)),
    "var": lambda t, x, y: x.var(1),
    "std": lambda t, x, y: x.std(),
    "var_mean": lambda t, x, y: t.var_mean(x, 1),
    "std_mean": lambda t, x, y: t.std_mean(x, 0),
    "logsumexp": lambda t, x, y: x.logsumexp(1),
    "norm": lambda t, x, y: x.norm(),
    "norm_p": lambda t, x, y: x.norm(p=3, dim=1),
    "cumsum": lambda t, x, y: x.cumsum(1),
    "cumprod": lambda t, x, y: x.cumprod(0),
    "cummax": lambda t, x, y: tuple(x.cummax(1)),
    "cummin": lambda t, x, y: tuple(x.cummin(0)),
    "logcumsumexp": lambda t, x, y: x.logcumsumexp(1),
    "sort": lambda t, x, y: tuple(x.sort(1)),
    "sort_stable": lambda t, x, y: tuple(x.sort(dim=0, stable=True)),
    "topk": lambda t, x, y: tuple(x.topk(2, 1)),
    "trace": lambda t, x, y: x.trace(),
    # matrix ops
    "mm": lambda t, x, y: x @ y,
    "mv": lambda t, x, y: x @ y[0],
    "dot": lambda t, x, y: x[0].dot(y[1]),
    "bmm": lambda t, x, y: t.bmm(x[None], y[None]),
    "linear": lambda t, x, y: F(t).linear(x, y, x[0]),
    # shape and view ops
    "view": lambda t, x, y: x.view(9),
    "reshape": lambda t, x, y: x.reshape(1, 9),
    "expand": lambda t, x, y: x[None].expand(2, 3, 3),
    "t": lambda t, x, y: x.t(),
    "transpose": lambda t, x, y: x[None].transpose(0, 2),
    "permute": lambda t, x, y: x[None].permute(2, 0, 1),
    "squeeze": lambda t, x, y: x[None].squeeze(),
    "squeeze_dim": lambda t, x, y: x[None].squeeze(0),
    "unsqueeze": lambda t, x, y: x.unsqueeze(1),
    "select": lambda t, x, y: x[1],
    "slice": lambda t, x, y: x[:, 1:],
    "index": lambda t, x, y: x[[2, 0]],
    "diagonal": lambda t, x, y: x.diagonal(),
    "diag_embed": lambda t, x, y: t.diag_embed(x, 1, 0, 2),
    "flip": lambda t, x, y: x.flip(0),
    "roll": lambda t, x, y: x.roll(1, 0),
    "repeat": lambda t, x, y: x.repeat(2, 1),
    "tril": lambda t, x, y: x.tril(),
    "triu": lambda t, x, y: x.triu(1),
    "cat": lambda t, x, y: t.cat([x, y]),
    "stack": lambda t, x, y: t.stack([x, y], 1),
    "split": lambda t, x, y: x.split(2),
    "unbind": lambda t, x, y: x.unbind(1),
    "clone": lambda t, x, y: x.clone(),
    "alias": lambda t, x, y: x[...],
    "split_sizes": lambda t, x, y: x.split([1, 2]),
    "unsafe_split": lambda t, x, y: tuple(t.unsafe_split(x, 2)),
    "masked_fill_t": lambda t, x, y: x.masked_fill(x > 1, t.tensor(0.5)),
    "index_fill": lambda t, x, y: x.index_fill(1, t.tensor([1]), 0.5),
    "fill": lambda t, x, y: (x * 1).fill_(2.0),
    "zero": lambda t, x, y: (x * 1).zero_(),
    "sigmoid_backward": lambda t, x, y: t.autograd.grad((x.sigmoid() * y).sum(), x,
                                                        create_graph=True)[0],
    "tanh_backward": lambda t, x, y: t.autograd.grad((x.tanh() * y).sum(), x,
                                                     create_graph=True)[0],
    "to": lambda t, x, y: x.double(),
    "unfold": lambda t, x, y: x.unfold(1, 2, 1),
    "gather": lambda t, x, y: x.gather(1, t.tensor([[0], [2], [1]])),
    "gather0": lambda t, x, y: x.gather(0, t.tensor([[2, 0, 1], [0, 0, 0]])),
    "scatter": lambda t, x, y: x.scatter(1, t.tensor([[0], [2], [1]]), y[:, :1]),
    "scatter_value": lambda t, x, y: x.scatter(0, t.tensor([[0, 2, 1]]), 0.5),
    "index_fill_t": lambda t, x, y: x.index_fill(1, t.tensor([1]), t.tensor(0.5)),
    "index_select": lambda t, x, y: x.index_select(0, t.tensor([2, 0])),
    "masked_select": lambda t, x, y: x.masked_select(x > 1),
    "scatter_add": lambda t, x, y: x.scatter_add(1, t.tensor([[0], [2], [1]]), y[:, :1]),
    "index_add": lambda t, x, y: x.index_add(0, t.tensor([2, 0]), y[:2]),
    "embedding": lambda t, x, y: F(t).embedding(t.tensor([2, 0]), x),
    # nn
    "mse_loss": lambda t, x, y: F(t).mse_loss(x, y),
    "huber_loss": lambda t, x, y: F(t).huber_loss(x, y, delta=0.3),
    "smooth_l1_loss": lambda t, x, y: F(t).smooth_l1_loss(x, y, beta=0.3),
    "bce": lambda t, x, y: F(t).binary_cross_entropy(x * 0.5, y * 0.5),
    "bce_logits": lambda t, x, y: F(t).binary_cross_entropy_with_logits(x, y * 0.5),
    "nll_loss": lambda t, x, y: F(t).nll_loss(x, t.tensor([0, 2, 1])),
    "layer_norm": lambda t, x, y: F(t).layer_norm(x, (3,)),
    "pad": lambda t, x, y: F(t).pad(x, (1, 1)),
    "conv2d": lambda t, x, y: F(t).conv2d(x[None, None], y[None, None, :2, :2]),
    "conv2d_bias": lambda t, x, y: F(t).conv2d(x[None, None], y[None, None, :2, :2], y[0, :1],
                                               stride=2, padding=1),
    "conv1d": lambda t, x, y: F(t).conv1d(x[None], y[None, :, :2], padding=1),
    "conv3d": lambda t, x, y: F(t).conv3d(x[None, None, None], y[None, None, None, :2, :2]),
    "conv_transpose2d": lambda t, x, y: F(t).conv_transpose2d(
        x[None, None], y[None, None, :2, :2], stride=2, output_padding=1),
}


def _tag(v, objs):
    """Which known tensor ``v`` is (by identity), or its kind."""
    for name, o in objs.items():
        if v is o:
            return name
    return "new tensor" if hasattr(v, "grad_fn") else type(v).__name__


def _objects(x, y, out):
    objs = {"x": x, "y": y}
    for i, o in enumerate(out if isinstance(out, tuple) else (out,)):
        objs[f"out{i}"] = o
    return objs


def _node(out):
    return (out[0] if isinstance(out, tuple) else out).grad_fn


def _same(a, b, torch, name):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, engine.Tensor), (name, a, b)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype), (name, a, b)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    elif isinstance(b, tuple | list):
        assert type(a) is type(b) and len(a) == len(b), (name, a, b)
        for p, q in zip(a, b):
            _same(p, q, torch, name)
    else:
        assert type(a) is type(b) and (a == b or (a != a and b != b)), (name, a, b)


# cases whose node the engine builds without what PyTorch's keeps (self not saved, a dim or an
# argument its attrs do not hold): strict, so each starts failing once it is fixed
KNOWN_OPEN = {
    "embedding": "padding_idx is kept only as a mask of the rows",
    "index_add": "source, dim and alpha are not kept",
    "masked_select": "self is not saved",
    "nll_loss": "self is not saved",
    "pad": "the pad list is kept as numpy pad widths",
    "squeeze_dim": "dim is not kept",
    "unfold": "dimension, size and step are not kept",
    "unsqueeze": "dim is not kept",
}

# node names the engine records that no case above builds: made only inside other ops, by a
# backward of a backward, or by ops whose saved values are not listed yet
NO_CASE = {
    "AdaptiveAvgPool2DBackward0", "AsStridedBackward0", "AvgPool2DBackward0",
    "AvgPool3DBackward0", "Col2ImBackward0", "DivBackward1",
    "EluBackwardBackward0", "FillBackward3", "HardtanhBackwardBackward0", "Im2ColBackward0",
    "IndexCopyBackward0", "IndexPutBackward0", "LeakyReluBackwardBackward0",
    "MaxPool2DWithIndicesBackward0", "MaxUnpool2DBackward0", "MulBackward1",
    "NativeBatchNormBackward0", "NllLoss2DBackward0", "NotImplemented",
    "ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0",
    "ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0",
    "ScaledDotProductFlashAttentionForCpuBackward0", "ScatterReduceBackward0",
    "SqueezeBackward2", "SqueezeBackward4",
    "ThresholdBackwardBackward0", "TransposeBackward1", "UnsafeViewBackward0",
    "UpsampleBilinear2DBackward0", "UpsampleLinear1DBackward0", "UpsampleNearest1DBackward0",
    "UpsampleNearest2DBackward0", "UpsampleNearest3DBackward0",
    "UpsampleNearestExact1DBackward0", "UpsampleNearestExact2DBackward0",
    "UpsampleNearestExact3DBackward0", "UpsampleTrilinear3DBackward0",
    "torch::autograd::CopyBackwards", "torch::autograd::CopySlices", "torch::autograd::Error",
}


def test_every_recorded_node_has_a_case_or_is_listed():
    from engine.ops.table import OPS

    built = set()
    for f in CASES.values():
        built.add(_node(f(engine, _x(engine), _x(engine, seed=1))).name())
    rows = {op.name for op in OPS.values()}
    assert sorted(rows - built - NO_CASE) == []
    assert sorted(NO_CASE & built) == []  # a listed name that a case now builds


def _params():
    return [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_OPEN[c]))
            if c in KNOWN_OPEN else c for c in sorted(CASES)]


@pytest.mark.torch
@pytest.mark.parametrize("case", _params())
def test_saved_names_values_and_identity_match_pytorch(case):
    torch = pytest.importorskip("torch")
    f = CASES[case]
    x, y = _x(engine), _x(engine, seed=1)
    out = f(engine, x, y)
    xt, yt = _x(torch), _x(torch, seed=1)
    out_t = f(torch, xt, yt)
    ours, theirs = _node(out), _node(out_t)
    assert ours.name() == theirs.name()
    names = sorted(a for a in dir(theirs) if a.startswith("_saved_"))
    assert sorted(a for a in dir(ours) if a.startswith("_saved_")) == names
    objs, objs_t = _objects(x, y, out), _objects(xt, yt, out_t)
    for name in names:
        a, b = getattr(ours, name), getattr(theirs, name)
        _same(a, b, torch, name)
        if isinstance(b, torch.Tensor):
            assert _tag(a, objs) == _tag(b, objs_t), name


# ---- hand-derived -------------------------------------------------------------------------------
def test_an_activation_keeps_its_input_and_its_arguments():
    x = _x(engine)
    node = engine.nn.functional.hardtanh(x, 0.7, 1.2).grad_fn
    assert node._saved_self is x and (node._saved_min_val, node._saved_max_val) == (0.7, 1.2)
    relu6 = engine.nn.functional.relu6(x).grad_fn
    assert (relu6._saved_min_val, relu6._saved_max_val) == (0, 6)
    assert type(relu6._saved_max_val) is int
    selu = engine.nn.functional.selu(x).grad_fn
    assert selu.name() == "EluBackward0" and selu._saved_input_scale == 1
    assert (selu._saved_alpha, selu._saved_scale) == (1.6732632423543772, 1.0507009873554805)
    assert engine.nn.functional.silu(x).grad_fn._saved_self is x
    assert x.clamp_min(0.9).grad_fn._saved_min == 0.9


def test_the_returned_indices_are_the_saved_ones():
    x = _x(engine)
    values, indices = x.max(1)
    assert values.grad_fn._saved_indices is indices
    v, i = x.sort(0)
    assert v.grad_fn._saved_indices is i and v.grad_fn._saved_dim == 0
    assert x.cummax(1).values.grad_fn._saved_self is x


def test_negative_ints_read_back_wrapped_as_pytorch_shows_them():
    x = _x(engine)
    assert x.triu(-1).grad_fn._saved_diagonal == 2**64 - 1
    node = x[-2:].grad_fn
    assert node._saved_start == 2**64 - 2 and node._saved_end == 2**63 - 1
    assert node._saved_step == 1 and node._saved_dim == 0
    assert x[:, 1].grad_fn._saved_index == 1 and x[:, 1].grad_fn._saved_dim == 1


def test_a_freed_input_is_reported_when_read():
    x = _x(engine)
    y = x.log1p()
    assert y.grad_fn._saved_self is x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        y.grad_fn._saved_self  # noqa: B018
