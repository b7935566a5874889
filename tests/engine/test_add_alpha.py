"""``add``/``sub`` with ``alpha``: one AddBackward0/SubBackward0 that keeps alpha and scales the
second input's grad, ATen's rounding of ``a + alpha * b`` (a fused multiply-add), alpha checked
against the result's dtype, the in-place forms, and the default alpha on the operators' rows."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_finite_differences, same_error

import engine
from engine.ops import OPS

CALLS = {
    "torch.add": lambda m, x, y, a: m.add(x, y, alpha=a),
    "torch.sub": lambda m, x, y, a: m.sub(x, y, alpha=a),
    "Tensor.add": lambda m, x, y, a: x.add(y, alpha=a),
    "Tensor.sub": lambda m, x, y, a: x.sub(y, alpha=a),
    "Tensor.subtract": lambda m, x, y, a: x.subtract(y, alpha=a),
    "add_ on a clone": lambda m, x, y, a: x.clone().add_(y, alpha=a),
    "sub_ on a clone": lambda m, x, y, a: x.clone().sub_(y, alpha=a),
}
SIGN = {k: -1.0 if "sub" in k else 1.0 for k in CALLS}


@pytest.mark.parametrize("name", CALLS)
def test_one_node_keeps_alpha_and_scales_the_second_grad(name):
    x = engine.tensor([[4.0, 5.0, 6.0], [0.5, 0.25, -1.0]], requires_grad=True)
    y = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = CALLS[name](engine, x, y, 2.5)
    node = out.grad_fn
    assert node.name() == ("SubBackward0" if "sub" in name else "AddBackward0")
    assert node._saved_alpha == 2.5
    edges = [type(f).__name__ for f, _ in node.next_functions if f is not None]
    if "clone" in name:
        assert edges == ["CloneBackward0", "AccumulateGrad"]
    else:
        assert edges == ["AccumulateGrad", "AccumulateGrad"]  # no MulBackward0 in between
    s = SIGN[name]
    np.testing.assert_array_equal(out.detach().numpy(),
                                  x.detach().numpy() + s * 2.5 * np.float32([1, 2, 3]))
    out.backward(engine.ones(2, 3))
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(y.grad.numpy(), [s * 5.0] * 3)  # summed over the broadcast


@pytest.mark.parametrize("alpha", [0.5, -3, 1.0, 0])
@pytest.mark.parametrize("key", ["add", "sub"])
def test_grads_agree_with_finite_differences(key, alpha):
    x = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25]])
    y = np.array([1.0, 0.25, -3.0])
    check_finite_differences(lambda m, a, b: getattr(m, key)(a, b, alpha=alpha).tanh(),
                             (x, y), f"{key} alpha={alpha}")


def test_the_default_alpha_records_the_operators_row():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    for out, key in ((x.add(x), "add"), (engine.sub(x, x, alpha=1), "sub"), (x.add(2), "add")):
        assert type(out.grad_fn).op is OPS[key]
        assert out.grad_fn._saved_alpha == 1
    # a float 1.0 is PyTorch's alpha 1.0: the node keeps it as given
    assert engine.add(x, x, alpha=1.0).grad_fn._saved_alpha == 1.0


def test_the_forward_rounds_once_as_a_fused_multiply_add():
    # -1 + 3 * (1/3 in float32) is 2**-25 exactly; rounding the product first gives 0
    third = np.float32(1 / 3)
    assert np.float32(-1.0) + third * np.float32(3) == 0.0
    out = engine.add(engine.tensor([-1.0]), engine.tensor([third]), alpha=3)
    assert out.item() == 2.0 ** -25
    out = engine.sub(engine.tensor([-1.0], dtype=engine.float64),
                     engine.tensor([-1 / 3], dtype=engine.float64), alpha=3)
    assert -1.0 + 3 * (1 / 3) == 0.0  # float64's 1/3 is 2**-54 / 3 short of a third
    assert out.item() == -(2.0 ** -54)


def test_integer_and_bool_results():
    i = engine.tensor([1, 2, 3])
    assert engine.add(i, engine.tensor([1, 1, 1]), alpha=-2).tolist() == [-1, 0, 1]
    u = engine.tensor([1, 2], dtype=engine.uint8)
    assert engine.add(u, u, alpha=-1).tolist() == [0, 0]  # -1 wraps to 255, as in C
    b = engine.tensor([True, False])
    assert engine.add(b, b, alpha=0).tolist() == [True, False]
    assert engine.add(b, b, alpha=2).dtype == engine.bool


# ---- against PyTorch ----------------------------------------------------------------------------
def _pair(m, dtype, seed, n=203):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    return m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("alpha", [0.1, 3, -2.7, 1e-3, 1.0])
@pytest.mark.parametrize("name", CALLS)
def test_values_and_grads_bit_for_bit_with_torch(name, alpha, dtype):
    torch = pytest.importorskip("torch")
    res = []
    for m in (engine, torch):
        x, y = _pair(m, dtype, 7)
        out = CALLS[name](m, x, y, alpha)
        w = m.tensor(np.linspace(-1.5, 2.0, 203).astype(dtype))
        out.backward(w)
        res.append((out, x.grad, y.grad))
    (eo, ex, ey), (to, tx, ty) = res
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__
    assert eo.grad_fn._saved_alpha == to.grad_fn._saved_alpha
    assert type(eo.grad_fn._saved_alpha) is type(to.grad_fn._saved_alpha)
    for e, t in ((eo, to), (ex, tx), (ey, ty)):
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


MIXED = [
    ("int tensor + float tensor", lambda m: m.add(m.tensor([1, 2, 3]), m.tensor([0.1, 0.2, 0.3]),
                                                  alpha=2.5)),
    ("float - int tensor", lambda m: m.sub(m.tensor([0.1, 0.2, 0.3]), m.tensor([7, 8, 9]),
                                           alpha=-1.5)),
    ("float tensor + number", lambda m: m.add(m.tensor([0.1, 0.2, 0.3]), 0.1, alpha=3.3)),
    ("float tensor - number", lambda m: m.sub(m.tensor([0.1, 0.2, 0.3]), 0.7, alpha=-2.1)),
    ("int tensor + float number", lambda m: m.add(m.tensor([1, 2]), 1.5, alpha=2)),
    ("float64 + float32", lambda m: m.add(m.tensor([1.1, 2.2], dtype=m.float64),
                                          m.tensor([0.3, 0.7]), alpha=0.3)),
    ("float16", lambda m: m.add(m.tensor([1.0, 2.0, 3.0], dtype=m.float16),
                                m.tensor([4.0, 5.0, 6.0], dtype=m.float16), alpha=0.1)),
    ("int8 wraps", lambda m: m.add(m.tensor([1, 2], dtype=m.int8), m.tensor([1, 1], dtype=m.int8),
                                   alpha=127)),
    ("int64", lambda m: m.sub(m.tensor([5, 6]), m.tensor([2, 3]), alpha=4)),
    ("bool, alpha 2", lambda m: m.add(m.tensor([True, False]), m.tensor([False, False]),
                                      alpha=2)),
    ("numpy alpha", lambda m: m.add(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]),
                                    alpha=np.float32(2.5))),
    ("numpy bool alpha", lambda m: m.add(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]),
                                         alpha=np.bool_(True))),
    ("0-d tensor alpha", lambda m: m.add(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]),
                                         alpha=m.tensor(2))),
    ("inf alpha", lambda m: m.add(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]),
                                  alpha=float("inf"))),
    ("add_ float into int's place", lambda m: m.tensor([1.0, 2.0]).add_(m.tensor([3, 4]),
                                                                       alpha=2.5)),
    ("broadcast", lambda m: m.sub(m.ones(2, 1), m.tensor([0.5, 0.25, 2.0]), alpha=3)),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", [f for _, f in MIXED], ids=[n for n, _ in MIXED])
def test_dtypes_and_values_with_torch(fn):
    torch = pytest.importorskip("torch")
    e, t = fn(engine), fn(torch)
    assert str(e.dtype) == str(t.dtype)
    assert repr(e) == repr(t)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


ERRORS = [
    ("float alpha, int tensors", lambda m: m.add(m.tensor([1, 2]), m.tensor([1, 1]), alpha=2.0)),
    ("float 1.0, int tensors", lambda m: m.add(m.tensor([1, 2]), m.tensor([1, 1]), alpha=1.0)),
    ("float alpha, int sub", lambda m: m.sub(m.tensor([1, 2]), 1, alpha=0.5)),
    ("float alpha, bool tensors", lambda m: m.add(m.tensor([True]), m.tensor([True]), alpha=2.0)),
    ("bool alpha, float result", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha=True)),
    ("bool alpha, int result", lambda m: m.add(m.tensor([1]), m.tensor([1]), alpha=True)),
    ("complex alpha", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha=1j)),
    ("str alpha", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha="a")),
    ("None alpha, method", lambda m: m.tensor([1.0]).sub(m.tensor([1.0]), alpha=None)),
    ("list alpha, in place", lambda m: m.tensor([1.0]).add_(m.tensor([1.0]), alpha=[2])),
    ("1-d tensor alpha", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]),
                                         alpha=m.tensor([2.0]))),
    ("huge int alpha", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha=2 ** 70)),
    ("alpha over float32", lambda m: m.add(m.tensor([1.0]), m.tensor([1.0]), alpha=1e300)),
    ("alpha over int8", lambda m: m.add(m.tensor([1], dtype=m.int8), m.tensor([1], dtype=m.int8),
                                        alpha=-129)),
    ("sub -alpha over int8", lambda m: m.sub(m.tensor([1], dtype=m.int8),
                                             m.tensor([1], dtype=m.int8), alpha=-128)),
    ("alpha over float16", lambda m: m.add(m.ones(1, dtype=m.float16), m.ones(1, dtype=m.float16),
                                           alpha=70000)),
    ("bool sub first", lambda m: m.sub(m.tensor([True]), m.tensor([True]), alpha=2.0)),
    ("in place on an int tensor", lambda m: m.tensor([1, 2]).add_(m.tensor([1, 1]), alpha=2.0)),
    ("in place float result into int", lambda m: m.tensor([1, 2]).add_(m.tensor([1.0, 1.0]),
                                                                      alpha=2)),
    ("in place on a leaf", lambda m: m.ones(2, requires_grad=True).add_(m.ones(2), alpha=2)),
    ("broadcast", lambda m: m.add(m.ones(3), m.ones(2), alpha=2)),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", [f for _, f in ERRORS], ids=[n for n, _ in ERRORS])
def test_errors_are_torchs(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)


def _double_backward(m, key):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = m.tensor([3.0, -4.0], requires_grad=True)
    z = getattr(m, key)(x * x, y * y, alpha=3)
    gx, gy = m.autograd.grad(z.sum(), (x, y), create_graph=True)
    names = [type(gy.grad_fn).__name__,
             sorted(type(f).__name__ for f, _ in gy.grad_fn.next_functions if f is not None)]
    (gx.sum() + gy.sum()).backward()
    return gx, gy, names, x.grad, y.grad


@pytest.mark.torch
@pytest.mark.parametrize("key", ["add", "sub"])
def test_create_graph_records_the_scaling_as_torch_does(key):
    torch = pytest.importorskip("torch")
    e, t = _double_backward(engine, key), _double_backward(torch, key)
    assert e[2] == t[2]
    for a, b in zip(e[:2] + e[3:], t[:2] + t[3:]):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _through_a_view(m, name):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = m.tensor([0.5, -0.5], requires_grad=True)
    a = x.clone()
    getattr(a[1:], name)(y, alpha=-2)
    a.pow(2).sum().backward()
    return repr(a), type(a.grad_fn).__name__, x.grad, y.grad


@pytest.mark.torch
@pytest.mark.parametrize("name", ["add_", "sub_"])
def test_in_place_through_a_view_with_torch(name):
    torch = pytest.importorskip("torch")
    e, t = _through_a_view(engine, name), _through_a_view(torch, name)
    assert e[:2] == t[:2]
    np.testing.assert_array_equal(e[2].numpy(), t[2].numpy())
    np.testing.assert_array_equal(e[3].numpy(), t[3].numpy())


def test_in_place_without_grad_still_writes_in_place():
    p = engine.tensor([1.0, 2.0])
    data = p._data
    with engine.no_grad():
        p.sub_(engine.tensor([0.5, 0.5]), alpha=0.1)
    assert p._data is data and p._version == 1
    np.testing.assert_array_equal(p.numpy(), np.float32([1 - np.float32(0.05), 2 - 0.05]))
