"""Ops with their own PyTorch node (log1p, expm1, rsqrt, logsumexp, gather, index_select, repeat,
clamp_max/clamp_min, F.linear on a vector), integer clamping to float bounds,
and arange/linspace values as ATen computes them."""

import math

import numpy as np
import pytest

import engine as torch
import engine.nn.functional as F


def names(t):
    fn = getattr(t, "grad_fn", t)
    return fn.name(), [f.name() if f is not None else None for f, _ in fn.next_functions]


def test_log1p_and_expm1_keep_tiny_values():
    x = torch.tensor([1e-8, 0.5], requires_grad=True)
    y = x.log1p()
    assert y[0].item() == pytest.approx(1e-8, rel=1e-6) and names(y)[0] == "Log1PBackward0"
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([1 / (1 + 1e-8), 1 / 1.5])
    x.grad = None
    z = torch.expm1(x)
    assert z[0].item() == pytest.approx(1e-8, rel=1e-6) and names(z)[0] == "Expm1Backward0"
    z.sum().backward()
    assert x.grad.tolist() == pytest.approx([1.0, math.exp(0.5)])


def test_rsqrt_node_and_second_derivative():
    x = torch.tensor([4.0], requires_grad=True)
    y = x.rsqrt()
    assert names(y)[0] == "RsqrtBackward0" and y.item() == 0.5
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.item() == pytest.approx(-0.5 * 4.0 ** -1.5)
    (h,) = torch.autograd.grad(g, x)
    assert h.item() == pytest.approx(0.75 * 4.0 ** -2.5)


def test_logsumexp_value_grad_and_infinities():
    x = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1.0]], requires_grad=True)
    y = torch.logsumexp(x, 1)
    assert names(y)[0] == "LogsumexpBackward0"
    assert y.tolist() == pytest.approx([math.log(math.e + math.e ** 2 + math.e ** 3),
                                        1000.0 + math.log(2.0)])
    y.sum().backward()
    # float32: out = 1000.6931 carries an ulp of 6e-5, so exp(x - out) is 0.5 to about 1e-4
    assert x.grad[1].tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-4)
    assert torch.logsumexp(torch.tensor([-math.inf, -math.inf]), 0).item() == -math.inf
    assert torch.logsumexp(torch.tensor(2.0), 0).item() == 2.0


def test_gather_and_index_select_scatter_their_grads_back():
    m = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    g = m.gather(1, torch.tensor([[0, 0], [2, 1]]))
    assert g.tolist() == [[1.0, 1.0], [6.0, 5.0]] and names(g)[0] == "GatherBackward0"
    g.sum().backward()
    assert m.grad.tolist() == [[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    m.grad = None
    s = m.index_select(1, torch.tensor([2, 0, 2]))
    assert names(s)[0] == "IndexSelectBackward0"
    s.sum().backward()
    assert m.grad.tolist() == [[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        m.gather(1, torch.tensor([[5]]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        m.index_select(0, torch.tensor([[0]]))


def test_repeat_sums_the_copies():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    r = x.repeat(3, 2)
    assert r.shape == (3, 4) and names(r)[0] == "RepeatBackward0"
    (r * torch.arange(12.0).reshape(3, 4)).sum().backward()
    # x[0] meets columns 0 and 2 of every row: 0+2+4+6+8+10 = 30; x[1] columns 1, 3: 36
    assert x.grad.tolist() == [30.0, 36.0]
    with pytest.raises(RuntimeError, match="can not be smaller than number of dimensions"):
        torch.zeros(2, 2).repeat(2)


def test_clamp_nodes_and_integer_tensors_with_float_bounds():
    m = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert names(m.clamp_max(2))[0] == "ClampMaxBackward0"
    assert names(m.clamp_min(2))[0] == "ClampMinBackward0"
    assert names(m.clamp(max=2))[0] == "ClampBackward1"
    m.clamp_max(2).sum().backward()
    assert m.grad.tolist() == [1.0, 1.0, 0.0]
    i = torch.tensor([0, 1, 2])
    assert i.clamp(max=0.5).tolist() == [0.0, 0.5, 0.5] and i.clamp(max=0.5).dtype == torch.float32
    assert i.clamp(max=1).tolist() == [0, 1, 1] and i.clamp(max=1).dtype == torch.int64
    assert i.clamp_max(0.5).tolist() == [0.0, 0.5, 0.5]



def test_linear_on_a_vector_records_pytorchs_nodes():
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    v = torch.tensor([1.0, -1.0], requires_grad=True)
    y = F.linear(v, w)
    assert y.tolist() == [-1.0, -1.0, -1.0]
    assert names(y) == ("SqueezeBackward4", ["MmBackward0"])
    assert names(y.grad_fn.next_functions[0][0]) == ("MmBackward0", ["UnsqueezeBackward0",
                                                                     "TBackward0"])
    y.sum().backward()
    assert v.grad.tolist() == [9.0, 12.0]


def test_arange_is_start_plus_i_step_as_aten_computes_it():
    x = torch.arange(-8, 8, 0.1)
    assert x.dtype == torch.float32 and len(x) == 160
    assert x[80].item() == pytest.approx(4.440892098500626e-16, rel=1e-6)  # not -2.8e-14
    assert x.relu()[80].item() > 0
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype == torch.int64
    assert torch.arange(1, 0, -0.25).tolist() == [1.0, 0.75, 0.5, 0.25]


def test_linspace_fills_each_half_from_its_own_end():
    x = torch.linspace(-1, 1, 21)
    assert x[10].item() == np.float32(1.0) - np.float64(np.float32(0.1)) * 10  # -1.49e-8
    assert x[0].item() == -1.0 and x[-1].item() == 1.0
    assert torch.linspace(0, 1, 1).tolist() == [0.0] and torch.linspace(0, 1, 0).tolist() == []
