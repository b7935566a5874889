"""grad_fn._saved_<name>: what each node keeps for its backward, under PyTorch's names."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.saved_values import SAVED


def _x(lib, shape=(3, 3), seed=0, rg=True):
    data = np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(np.float32)
    return lib.tensor(data, requires_grad=rg)


def test_a_product_keeps_exactly_the_factors_the_other_grad_needs():
    x, y = _x(engine), _x(engine, seed=1)
    node = (x * y).grad_fn
    assert node._saved_self is x and node._saved_other is y
    const = (x * 2).grad_fn  # d/dx needs only the constant; x itself is not kept
    assert const._saved_self is None
    assert const._saved_other.item() == 2 and const._saved_other.dtype == engine.int64
    assert (x * 2.5).grad_fn._saved_other.dtype == engine.float64
    assert (_x(engine, rg=False) * x).grad_fn._saved_other is None


def test_an_output_is_saved_as_the_output_and_freed_by_backward():
    x = _x(engine)
    y = x.exp()
    node = y.grad_fn
    assert node._saved_result.equal(y) and node._saved_result.grad_fn is node
    assert dir(node).count("_saved_result") == 1
    y.sum().backward()
    with pytest.raises(RuntimeError, match="directly access saved tensors after they have"):
        node._saved_result  # noqa: B018


def test_metadata_stays_readable_after_backward():
    x = _x(engine, (2, 3, 4))
    s = x.sum((0, 2), keepdim=True)
    s.sum().backward()
    assert s.grad_fn._saved_dim == (0, 2) and s.grad_fn._saved_keepdim is True
    assert s.grad_fn._saved_self_sym_sizes == (2, 3, 4)
    m = x.mean()
    assert m.grad_fn._saved_self_sym_numel == 24


def test_an_in_place_change_is_reported_when_the_saved_tensor_is_read():
    x = _x(engine)
    a = x * 1
    node = (a * a).grad_fn
    with engine.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        node._saved_self  # noqa: B018


def test_unknown_names_and_unlisted_nodes_raise_attribute_errors():
    x = _x(engine)
    with pytest.raises(AttributeError, match="'MulBackward0' object has no attribute '_saved_x'"):
        (x * x).grad_fn._saved_x  # noqa: B018
    node = x.unsqueeze(0).grad_fn
    assert node.name() not in SAVED
    with pytest.raises(AttributeError, match="_saved_dim"):
        node._saved_dim  # noqa: B018
    assert not hasattr((x * x).grad_fn, "saved_tensors")  # only custom Functions have it


CASES = {
    "mul": lambda t, x, y: x * y,
    "mul_scalar": lambda t, x, y: x * 2,
    "mul_float": lambda t, x, y: 2.5 * x,
    "mul_const": lambda t, x, y: x * t.ones(3, 3),
    "div": lambda t, x, y: x / y,
    "div_scalar": lambda t, x, y: x / 2,
    "div_const_num": lambda t, x, y: t.ones(3, 3) / y,
    "add": lambda t, x, y: x + y,
    "sub": lambda t, x, y: x - y,
    "pow": lambda t, x, y: x ** 3,
    "pow_float": lambda t, x, y: x.pow(2.5),
    "pow_tensor": lambda t, x, y: x ** y,
    "exp": lambda t, x, y: x.exp(),
    "tanh": lambda t, x, y: x.tanh(),
    "sigmoid": lambda t, x, y: x.sigmoid(),
    "relu": lambda t, x, y: (x - 1).relu(),
    "sqrt": lambda t, x, y: x.sqrt(),
    "rsqrt": lambda t, x, y: x.rsqrt(),
    "log": lambda t, x, y: x.log(),
    "sin": lambda t, x, y: x.sin(),
    "cos": lambda t, x, y: x.cos(),
    "abs": lambda t, x, y: x.abs(),
    "neg": lambda t, x, y: -x,
    "sum": lambda t, x, y: x.sum(),
    "sum_dim": lambda t, x, y: x.sum(1),
    "sum_dims_keep": lambda t, x, y: x.sum((0, 1), keepdim=True),
    "mean": lambda t, x, y: x.mean(),
    "mean_dim": lambda t, x, y: x.mean(0, keepdim=True),
    "view": lambda t, x, y: x.view(9),
    "reshape": lambda t, x, y: x.reshape(1, 9),
    "expand": lambda t, x, y: x[None].expand(2, 3, 3),
    "softmax": lambda t, x, y: x.softmax(1),
    "log_softmax": lambda t, x, y: x.log_softmax(0),
    "clamp": lambda t, x, y: x.clamp(0.7, 1.2),
    "clamp_max": lambda t, x, y: x.clamp(max=1.1),
    "max": lambda t, x, y: x.max(),
    "min": lambda t, x, y: x.min(),
    "cumsum": lambda t, x, y: x.cumsum(1),
    "leaky_relu": lambda t, x, y: t.nn.functional.leaky_relu(x - 1, 0.2),
    "gelu": lambda t, x, y: t.nn.functional.gelu(x, approximate="tanh"),
    "mm": lambda t, x, y: x @ y,
    "mm_transposed": lambda t, x, y: x.t() @ y,
    "mm_const_mat2": lambda t, x, y: x @ t.ones(3, 3),
    "mm_const_self": lambda t, x, y: t.ones(3, 3) @ y,
    "div_const_den": lambda t, x, y: x / t.ones(3, 3),
    "t": lambda t, x, y: x.t(),
    "clone": lambda t, x, y: x.clone(),
}


def _same(a, b, torch):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, engine.Tensor), (a, b)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    else:
        assert type(a) is type(b) and a == b, (a, b)


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_saved_values_match_pytorch(case):
    torch = pytest.importorskip("torch")
    f = CASES[case]
    ours = f(engine, _x(engine), _x(engine, seed=1)).grad_fn
    xt, yt = _x(torch), _x(torch, seed=1)
    theirs = f(torch, xt, yt).grad_fn
    assert ours.name() == theirs.name()
    names = sorted(a for a in dir(theirs) if a.startswith("_saved_"))
    assert sorted(a for a in dir(ours) if a.startswith("_saved_")) == names
    for name in names:
        _same(getattr(ours, name), getattr(theirs, name), torch)
    # identity: a saved leaf input is the leaf itself in both
    for name in names:
        if getattr(theirs, name) is xt:
            assert getattr(ours, name) is not None and getattr(ours, name).grad_fn is None


def test_every_listed_node_name_is_a_node_the_engine_records():
    from engine.ops.table import OPS

    recorded = {op.name for op in OPS.values()}
    assert set(SAVED) - recorded == set()


def _hooked(lib):
    """A saved input and a saved output with their own pack/unpack hooks: the call log and
    the grads."""
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape)))
        return t * 2  # unpack halves it again: backward must see the original value

    def unpack(p):
        log.append(("unpack", tuple(p.shape)))
        return p / 2

    x = _x(lib, (4,))
    y = x.pow(3)
    y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    e = x.exp()
    e.grad_fn._raw_saved_result.register_hooks(pack, unpack)
    log.append(("read", bool(y.grad_fn._saved_self.equal(x))))
    (y + e).sum().backward()
    return log, x.grad.detach().numpy(), x.detach().numpy()


def test_a_raw_saved_tensor_takes_its_own_pack_and_unpack_hooks():
    log, grad, x = _hooked(engine)
    assert log == [("pack", (4,)), ("pack", (4,)), ("unpack", (4,)), ("read", True),
                   ("unpack", (4,)), ("unpack", (4,))]
    np.testing.assert_allclose(grad, 3 * x ** 2 + np.exp(x), rtol=1e-5)


@pytest.mark.torch
def test_raw_saved_tensor_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _hooked(engine), _hooked(torch)
    assert sorted(ours[0]) == sorted(theirs[0])  # the two unpacks' order is the graph's
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)


def test_raw_saved_tensor_errors_are_pytorchs():
    x = _x(engine, (2,))
    ident = (lambda t: t, lambda t: t)
    with pytest.raises(RuntimeError, match="saved tensor with value None is forbidden"):
        (x * 2).grad_fn._raw_saved_self.register_hooks(*ident)
    with pytest.raises(TypeError, match="incompatible function arguments"):
        x.exp().grad_fn._raw_saved_result.register_hooks(ident[0], 3)
    e = x.exp()
    e.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: 3)
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of "
                                        "type int"):
        e.grad_fn._saved_result  # noqa: B018
    y = x.pow(2)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="register_hooks on a saved tensor after it has been "
                                           "freed"):
        y.grad_fn._raw_saved_self.register_hooks(*ident)
    assert not hasattr(x.sum(0).grad_fn, "_raw_saved_dim")  # only tensors have a raw slot
