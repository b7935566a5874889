"""Type promotion (one table for every op), %, //, div(rounding_mode=), integer powers and pow's
gradients at a zero base: hand-derived values, and the same expressions on real PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import promotion

# expressions run on both libraries: value, dtype and grad_fn name must agree
EXPRESSIONS = [
    "torch.tensor([1., 2.]) % torch.tensor([3, 4], dtype=torch.int32)",
    "torch.tensor([1, 2], dtype=torch.int32) % 3.5",
    "torch.tensor([5, -7], dtype=torch.int32) % -3",
    "torch.tensor([-0.0, 1.0, -1e-9]) % 1.0",
    "torch.tensor([5., -5.]) % float('inf')",
    "torch.tensor([5, -7], dtype=torch.int8) % torch.tensor(3)",
    "torch.tensor([5, -7], dtype=torch.uint8) % torch.tensor([3])",
    "5 % torch.tensor([2, -3])",
    "5.5 % torch.tensor([2, -3])",
    "torch.tensor([True, False]) % 2",
    "torch.tensor([5, -7]) // 2.5",
    "5 // torch.tensor([2, -3])",
    "torch.tensor([5., -7.]) // 0",
    "torch.div(torch.tensor([5, -7], dtype=torch.int32), 2, rounding_mode='trunc')",
    "torch.div(torch.tensor([5, -7], dtype=torch.int32), 2, rounding_mode='floor')",
    "torch.div(torch.tensor([5, -7], dtype=torch.int32), 2.5, rounding_mode='floor')",
    "torch.div(torch.tensor([5, -7], dtype=torch.int8), torch.tensor(2), rounding_mode='trunc')",
    "torch.div(torch.tensor([5, -7]), torch.tensor([2., 2.]), rounding_mode='trunc')",
    "torch.div(torch.tensor([5, -7], dtype=torch.int32), 2, rounding_mode=None)",
    "torch.tensor([-2.5, 2.5]).div(2, rounding_mode='trunc')",
    "x % 1.0", "x % y", "1.0 % x", "x // y", "3 // x", "torch.floor_divide(x, 2)",
    "torch.div(x, y, rounding_mode='floor')", "torch.div(x, 2, rounding_mode='trunc')",
    "torch.div(x, 2.0, rounding_mode=None)", "torch.div(x, 2.0)", "torch.div(3, x)",
    "torch.tensor([2, 3]) ** torch.tensor([-1, 2])",
    "torch.tensor(2) ** torch.tensor([1, -2])",
    "torch.tensor([-1, 1, 0, 2]) ** torch.tensor(-3)",
    "2 ** torch.tensor([1, -2])",
    "2.5 ** torch.tensor([1, 2])",
    "torch.tensor([1, 2]) ** 2.5",
    "torch.tensor([1, 2], dtype=torch.int32) ** 2",
    "torch.tensor([True, False]) ** 2",
    "torch.tensor([True]) ** True",
    "torch.result_type(torch.tensor([1], dtype=torch.int32), torch.tensor(1., dtype=torch.float64))",
    "torch.result_type(torch.tensor([1], dtype=torch.float16), torch.tensor(1., dtype=torch.float64))",
    "torch.result_type(torch.tensor([1], dtype=torch.uint8), torch.tensor(1, dtype=torch.int8))",
    "torch.result_type(torch.tensor(1, dtype=torch.uint8), torch.tensor(1, dtype=torch.int8))",
    "torch.result_type(torch.tensor(True), torch.tensor(1, dtype=torch.int8))",
    "torch.result_type(torch.tensor([1], dtype=torch.uint8), -1)",
    "torch.result_type(torch.tensor(1, dtype=torch.uint8), 2.5)",
    "torch.result_type(torch.tensor([1], dtype=torch.float16), 2.5)",
    "torch.promote_types(torch.uint8, torch.int8)",
]

ERRORS = [
    "torch.tensor([5, -7]) // 0",
    "torch.tensor([5, -7]) % torch.tensor([0, 1])",
    "torch.div(torch.tensor([5, -7]), 0, rounding_mode='trunc')",
    "torch.tensor([True, False]) // torch.tensor([True, True])",
    "torch.tensor([True]) % True",
    "torch.div(torch.tensor([True]), True, rounding_mode='trunc')",
    "torch.div(x, y, rounding_mode='xx')",
    "torch.tensor([2, 3]) ** -1",
    "(x // y).sum().backward()",
    "(1.0 % x).sum().backward()",
]


def _run(lib, expr):
    x = lib.tensor([1.5, -2.5], requires_grad=True)
    y = lib.tensor([0.7, 2.0], requires_grad=True)
    return eval(expr, {"torch": lib, "x": x, "y": y})


def _describe(r):
    if isinstance(r, engine.Tensor) or type(r).__name__ == "Tensor":
        fn = r.grad_fn
        return (repr(r.detach()), str(r.dtype), None if fn is None else type(fn).__name__)
    return repr(r)


@pytest.mark.torch
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_expression_matches_pytorch(expr):
    torch = pytest.importorskip("torch")
    assert _describe(_run(engine, expr)) == _describe(_run(torch, expr))


@pytest.mark.torch
@pytest.mark.parametrize("expr", ERRORS)
def test_error_matches_pytorch(expr):
    torch = pytest.importorskip("torch")
    caught = []
    for lib in (engine, torch):
        with pytest.raises(Exception) as info:
            _run(lib, expr)
        caught.append((type(info.value).__name__, str(info.value).split("\n")[0]))
    assert caught[0] == caught[1]


def test_remainder_records_its_graph():
    x = engine.tensor([1.5, 2.5], requires_grad=True)
    y = x % 1.0
    assert type(y.grad_fn).__name__ == "RemainderBackward0"
    (y * x).sum().backward()  # d/dx (x mod 1) * x = x + (x mod 1)
    assert x.grad.tolist() == [2.0, 3.0]


def test_remainder_of_two_tensors_grads():
    x = engine.tensor([1.5, -2.5], requires_grad=True)
    y = engine.tensor([0.7, 2.0], requires_grad=True)
    (x % y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert y.grad.tolist() == [-2.0, 2.0]  # -floor(x / y)


def test_floor_divide_backward_raises_as_pytorch():
    x = engine.tensor([1.5, 2.5], requires_grad=True)
    y = x // 1.0
    assert y.requires_grad and type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        y.sum().backward()


def test_division_dtypes():
    i32 = engine.tensor([5, -7], dtype=engine.int32)
    assert (engine.tensor([1.0]) % i32).dtype == engine.float32
    assert (i32 % 3.5).dtype == engine.float32
    assert (i32 % 3).tolist() == [2, 2] and (i32 % 3).dtype == engine.int32
    assert engine.div(i32, 2, rounding_mode="trunc").tolist() == [2, -3]
    assert engine.div(i32, 2, rounding_mode="floor").tolist() == [2, -4]
    assert engine.div(i32, 2, rounding_mode="floor").dtype == engine.int32
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        i32 // 0


def test_promotion_table():
    f16, f32, f64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
    i8, u8, i32 = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int32)
    b = np.dtype(np.bool_)
    assert promotion.tensors(i32, True, f64, False) == f64  # higher category wins
    assert promotion.tensors(f16, True, f64, False) == f16  # same category: dims win
    assert promotion.tensors(u8, True, i8, False) == u8
    assert promotion.tensors(u8, False, i8, False) == np.dtype(np.int16)
    assert promotion.tensors(b, True, i8, False) == i8
    assert promotion.with_scalar(u8, int) == u8
    assert promotion.with_scalar(u8, float) == f32
    assert promotion.with_scalar(b, int) == np.dtype(np.int64)
    assert promotion.with_scalar(f16, float) == f16


def test_integer_powers():
    assert (engine.tensor([2, 3]) ** engine.tensor([-1, 2])).tolist() == [0, 9]
    assert (engine.tensor([-1, 1, 0, 2]) ** engine.tensor(-3)).tolist() == [-1, 1, 0, 0]
    r = 2 ** engine.tensor([1, 3])
    assert r.tolist() == [2, 8] and r.dtype == engine.int64
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        engine.tensor([2, 3]) ** -1


def test_pow_gradients_at_a_zero_base():
    x = engine.tensor([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0], requires_grad=True)
    (0 ** x).sum().backward()
    assert x.grad.tolist() == [-math.inf, -math.inf, 0.0, 0.0, 0.0, 0.0]
    x.grad = None
    (engine.zeros(6) ** x).sum().backward()
    assert x.grad.tolist() == [-math.inf, -math.inf, 0.0, 0.0, 0.0, 0.0]
    b = engine.tensor([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    e = engine.tensor([0.0, -0.3, 2.0, 0.5], requires_grad=True)
    (b ** e).sum().backward()
    assert b.grad.tolist() == [0.0, -math.inf, 0.0, math.inf]
    assert e.grad.tolist() == [0.0, -math.inf, 0.0, 0.0]
