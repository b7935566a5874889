"""Bitwise/logical ops and shifts, roll, repeat_interleave, cumprod, nonzero, masked_select and
take_along_dim: hand values, finite differences (first and second derivatives), errors, and
PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads

import engine

rng = np.random.default_rng(5)
NAN, INF = float("nan"), float("inf")


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape)


# ---- bitwise and logical: (id, function of module m, input lists with dtypes) -------------------
I64 = ([5, -3, 0, 7, -1], "int64")
I32 = ([1, 2, 3, 70, 0], "int32")
U8 = ([5, 3, 255, 0, 128], "uint8")
I8 = ([-128, 3, 127, 0, -1], "int8")
B = ([True, False, True, False, True], "bool")
F = ([1.5, 0.0, NAN, -INF, -0.0], "float32")
SHIFTS = ([0, 1, 63, 64, -1], "int64")

BITWISE = [
    ("and_i64_i32", lambda m, a, b: a & b, [I64, I32]),
    ("or_u8_i8", lambda m, a, b: a | b, [U8, I8]),
    ("xor_bool", lambda m, a, b: a ^ b, [B, B]),
    ("and_bool_int", lambda m, a, b: m.bitwise_and(a, b), [B, I32]),
    ("and_scalar", lambda m, a: a & 3, [I32]),
    ("ror_scalar", lambda m, a: 6 | a, [U8]),
    ("and_u8_neg", lambda m, a: a & -1, [U8]),
    ("xor_bool_true", lambda m, a: a ^ True, [B]),
    ("not_int", lambda m, a: ~a, [I8]),
    ("not_bool", lambda m, a: m.bitwise_not(a), [B]),
    ("lshift", lambda m, a, b: a << b, [I64, SHIFTS]),
    ("rshift", lambda m, a, b: a >> b, [I64, SHIFTS]),
    ("lshift_i8", lambda m, a: a << 1, [I8]),
    ("rshift_u8", lambda m, a, b: m.bitwise_right_shift(a, b), [U8, I32]),
    ("rlshift", lambda m, a: 1 << a, [I32]),
    ("rrshift", lambda m, a: 1024 >> a, [I32]),
    ("fn_lshift_scalar", lambda m, a: m.bitwise_left_shift(a, 2), [I64]),
    ("logical_and", lambda m, a, b: m.logical_and(a, b), [F, I64]),
    ("logical_or", lambda m, a, b: m.logical_or(a, b), [F, B]),
    ("logical_xor", lambda m, a, b: a.logical_xor(b), [I8, U8]),
    ("logical_not_f", lambda m, a: m.logical_not(a), [F]),
    ("logical_not_i", lambda m, a: a.logical_not(), [I64]),
    ("and_0d", lambda m, a, b: a[0] & b, [I64, I32]),
    ("and_empty", lambda m, a, b: a[:0] & b[:0], [I64, I64]),
]


def test_bitwise_by_hand():
    a = engine.tensor([12, -8, 5])
    assert (a & 10).tolist() == [8, 8, 0]
    assert (a | 1).tolist() == [13, -7, 5]
    assert (a ^ a).tolist() == [0, 0, 0]
    assert (~a).tolist() == [-13, 7, -6]
    assert (a << 2).tolist() == [48, -32, 20]
    assert (a >> 2).tolist() == [3, -2, 1]
    # ATen: shifting by the bit width or more, or by a negative amount, is 0 (or the sign fill)
    assert (a << 64).tolist() == [0, 0, 0]
    assert (a >> 64).tolist() == [0, -1, 0]
    assert (a >> -1).tolist() == [0, -1, 0]
    assert engine.logical_xor(engine.tensor([0.0, NAN]), engine.tensor([0, 0])).tolist() == \
        [False, True]


def test_bitwise_results_never_require_grad():
    x = engine.tensor([1.0, 0.0], requires_grad=True)
    out = engine.logical_not(x)
    assert out.dtype == engine.bool and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("fn, kind, message", [
    (lambda: engine.tensor([1.0]) & engine.tensor([1]), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda: engine.tensor([1]) | 1.5, NotImplementedError,
     "\"bitwise_or_cpu\" not implemented for 'Float'"),
    (lambda: ~engine.tensor([1.0]), TypeError, "only implemented on integer and Boolean"),
    (lambda: engine.bitwise_not(engine.tensor([1.0], dtype=engine.float64)), NotImplementedError,
     "\"bitwise_not_cpu\" not implemented for 'Double'"),
    (lambda: engine.tensor([1.0]) << 1, NotImplementedError,
     "\"lshift_cpu\" not implemented for 'Float'"),
    (lambda: engine.tensor([True]) >> engine.tensor([True]), NotImplementedError,
     "\"rshift_cpu\" not implemented for 'Bool'"),
    (lambda: engine.tensor([1, 2]) & engine.tensor([1, 2, 3]), RuntimeError,
     "size of tensor a \\(2\\) must match the size of tensor b \\(3\\)"),
    (lambda: engine.logical_or(engine.tensor([1]), 0), TypeError,
     "argument 'other' \\(position 2\\) must be Tensor, not int"),
])
def test_bitwise_errors(fn, kind, message):
    with pytest.raises(kind, match=message):
        fn()


# ---- differentiable and indexing ops: (id, function of m, input arrays, node name) --------------
MASK = np.array([[True], [False]])
CASES = [
    ("roll_dim", lambda m, x: x.roll(1, 0), [r(3, 2)], "RollBackward0"),
    ("roll_dims", lambda m, x: m.roll(x, (1, -4), (0, 1)), [r(2, 3)], "RollBackward0"),
    ("roll_flat", lambda m, x: x.roll(-2), [r(2, 3)], "RollBackward0"),
    ("roll_0d", lambda m, x: x.roll(3), [r()], "RollBackward0"),
    ("roll_empty", lambda m, x: x.roll(1, 1), [r(2, 0)], "RollBackward0"),
    ("cumprod", lambda m, x: x.cumprod(1), [r(2, 4)], "CumprodBackward0"),
    ("cumprod_neg_dim", lambda m, x: m.cumprod(x, -2), [r(3, 2)], "CumprodBackward0"),
    ("cumprod_zeros", lambda m, x: x.cumprod(0),
     [np.array([2.0, 0.0, 3.0, 0.0, -1.5])], "CumprodBackward0"),
    ("cumprod_one_zero", lambda m, x: x.cumprod(1),
     [np.array([[1.5, 0.0, 2.0], [0.0, -2.0, 3.0]])], "CumprodBackward0"),
    ("cumprod_0d", lambda m, x: x.cumprod(0), [r()], "CumprodBackward0"),
    ("masked_select", lambda m, x: x.masked_select(m.tensor(MASK)), [r(2, 3)],
     "MaskedSelectBackward0"),
    ("masked_select_bcast_x", lambda m, x: m.masked_select(x, m.tensor(MASK)), [r(3)],
     "MaskedSelectBackward0"),
    ("masked_select_0d", lambda m, x: x.masked_select(m.tensor(True)), [r()],
     "MaskedSelectBackward0"),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, m.tensor([[0, 2, 2], [1, 0, 0]]), 1),
     [r(2, 3)], "GatherBackward0"),
    ("take_along_dim_bcast", lambda m, x: m.take_along_dim(x, m.tensor([[2], [0]]), 0),
     [r(3, 4)], "GatherBackward0"),
    ("take_along_dim_flat", lambda m, x: x.take_along_dim(m.tensor([5, 0, 5])), [r(2, 3)],
     "GatherBackward0"),
    ("repeat_interleave", lambda m, x: x.repeat_interleave(2, dim=0), [r(2, 3)],
     "ViewBackward0"),
    ("repeat_interleave_flat", lambda m, x: x.repeat_interleave(3), [r(2, 2)], "ViewBackward0"),
    ("repeat_interleave_t", lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), dim=1),
     [r(2, 3)], "IndexSelectBackward0"),
    ("repeat_interleave_0d", lambda m, x: x.repeat_interleave(2), [r()], "ViewBackward0"),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    f = lambda *ts: fn(engine, *ts) * engine.tensor(1.5)  # noqa: E731
    numeric, probe = numeric_grads(f, arrays)
    ts, grads = engine_grads(f, arrays, probe)
    for t, g, n in zip(ts, grads, numeric):
        assert g.shape == t.shape
        np.testing.assert_allclose(g.numpy(), n, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name,fn,arrays,node", [c for c in CASES if "cumprod" in c[0]],
                         ids=[c for c in IDS if "cumprod" in c])
def test_cumprod_second_derivative_matches_finite_differences(name, fn, arrays, node):
    """The create_graph backward of cumprod (exact at zeros) against differences of the grad."""
    x = arrays[0]
    w = np.random.default_rng(1).standard_normal(x.shape)

    def first(v):
        t = engine.tensor(v, requires_grad=True)
        (g,) = engine.autograd.grad((fn(engine, t) * engine.tensor(np.cumsum(
            np.ones(x.shape), axis=-1) if x.ndim else 1.0)).sum(), t, create_graph=True)
        return t, g

    t, g = first(x)
    if not g.requires_grad:  # a 0-d cumprod is the identity: its second derivative is 0
        assert x.ndim == 0
        return
    (second,) = engine.autograd.grad((g * engine.tensor(w)).sum(), t)
    eps = 1e-6
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        fd = (float((first(plus)[1] * engine.tensor(w)).sum())
              - float((first(minus)[1] * engine.tensor(w)).sum())) / (2 * eps)
        assert float(second.numpy()[idx]) == pytest.approx(fd, rel=1e-5, abs=1e-6), (name, idx)


def test_index_ops_by_hand():
    x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.roll(1, 1).tolist() == [[3.0, 1.0, 2.0], [6.0, 4.0, 5.0]]
    assert x.roll(1).tolist() == [[6.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert engine.tensor([2.0, 0.0, 3.0]).cumprod(0).tolist() == [2.0, 0.0, 0.0]
    assert engine.tensor([1, 2, 3]).cumprod(0).dtype == engine.int64
    assert x.masked_select(x > 2.5).tolist() == [3.0, 4.0, 5.0, 6.0]
    assert x.nonzero().shape == (6, 2)
    assert engine.tensor([[0, 1], [2, 0]]).nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = engine.tensor([[0, 1], [2, 0]]).nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert engine.tensor(3.0).nonzero().shape == (1, 0)
    assert engine.tensor(0.0).nonzero().shape == (0, 0)
    assert engine.tensor([NAN, 0.0, -INF]).nonzero().tolist() == [[0], [2]]
    assert engine.repeat_interleave(engine.tensor([1, 0, 2])).tolist() == [0, 2, 2]
    assert engine.tensor([1, 2]).repeat_interleave(2).tolist() == [1, 1, 2, 2]
    assert engine.take_along_dim(x, engine.tensor([[2], [0]]), 1).tolist() == [[3.0], [4.0]]


def test_cumprod_grad_at_zeros_by_hand():
    x = engine.tensor([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0]], requires_grad=True)
    x.cumprod(1).sum().backward()
    # d/dx_i of sum_j prod_{k<=j} x_k: 1 + x1 + x1 x2 at i=0, x0 + x0 x2 at i=1, x0 x1 at i=2
    assert x.grad.tolist() == [[1.0, 3.0, 0.0], [5.0, 3.0, 12.0]]


@pytest.mark.parametrize("fn, kind, message", [
    (lambda x: x.masked_select(engine.tensor([1, 0, 1])), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    (lambda x: x.roll(1, (0, 1)), RuntimeError,
     "shifts and dimensions must align. shifts: 1, dims:2"),
    (lambda x: x.roll(1, 5), IndexError, "Dimension out of range"),
    (lambda x: x[0, 0].roll(1, 0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda x: x.repeat_interleave(engine.tensor([1, 2, 3]), dim=0), RuntimeError,
     "repeats must have the same size as input along dim, but got repeats.size\\(0\\) = 3 and "
     "input.size\\(0\\) = 2"),
    (lambda x: x.repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda x: engine.take_along_dim(x, engine.tensor([[0.0]]), 1), RuntimeError,
     "dtype of indices should be Long but got Float"),
    (lambda x: engine.take_along_dim(x, engine.tensor([0]), 1), RuntimeError,
     "input and indices should have the same number of dimensions"),
])
def test_index_op_errors(fn, kind, message):
    with pytest.raises(kind, match=message):
        fn(engine.ones(2, 3))


# ---- differential ------------------------------------------------------------------------------
def _torch_inputs(torch, spec):
    values, dtype = spec
    return torch.tensor(values, dtype=getattr(torch, dtype))


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,specs", BITWISE, ids=[c[0] for c in BITWISE])
def test_bitwise_matches_pytorch(name, fn, specs):
    torch = pytest.importorskip("torch")
    got = fn(engine, *[_torch_inputs(engine, s) for s in specs])
    want = fn(torch, *[_torch_inputs(torch, s) for s in specs])
    assert str(got.dtype) == str(want.dtype), name
    assert tuple(got.shape) == tuple(want.shape), name
    np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_grads_and_nodes_match_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    arrays = [a.astype(dtype) for a in arrays]
    outs = []
    for m in (engine, torch):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        out = fn(m, *ts)
        w = m.tensor(np.arange(out.numel(), dtype=dtype).reshape(tuple(out.shape)) - 1.5)
        (out * w).sum().backward()
        outs.append((out, [t.grad for t in ts]))
    (eo, eg), (to, tg) = outs
    assert eo.grad_fn.name() == to.grad_fn.name() == node
    assert str(eo.dtype) == str(to.dtype) and tuple(eo.shape) == tuple(to.shape)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), **tol)
    for a, b in zip(eg, tg):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([[0, 1, 2], [3, 0, 0]]).nonzero(),
    lambda m: m.tensor([[0.0, NAN], [-0.0, INF]]).nonzero(as_tuple=True),
    lambda m: m.tensor(5).nonzero(as_tuple=True),
    lambda m: m.zeros(0, 3).nonzero(),
    lambda m: m.tensor([1, 2, 3], dtype=m.int32).cumprod(0),
    lambda m: m.tensor([1.5, 2.0]).cumprod(0, dtype=m.float64),
    lambda m: m.tensor([True, True, False]).cumprod(0),
    lambda m: m.repeat_interleave(m.tensor([2, 0, 1])),
    lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.int32).repeat_interleave(m.tensor([2]), dim=1),
    lambda m: m.tensor([[1, 2], [3, 4]]).roll((1, 1), (1, 1)),
    lambda m: m.tensor(7).masked_select(m.tensor([True, False, True])),
])
def test_nondifferentiable_results_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    got, want = fn(engine), fn(torch)
    if isinstance(want, tuple):
        assert len(got) == len(want)
    else:
        got, want = (got,), (want,)
    for g, w in zip(got, want):
        assert str(g.dtype) == str(w.dtype) and tuple(g.shape) == tuple(w.shape)
        np.testing.assert_array_equal(g.numpy(), w.numpy())
