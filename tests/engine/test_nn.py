"""engine.nn: Module registration and traversal, Parameter, Linear (init, graph, maths), Sequential,
state_dict round trips and errors, reprs as PyTorch prints them, nn.init, and torch differentials.

Expected strings were produced by PyTorch 2.13 (CPU) from the same calls.
"""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import engine
from engine import nn
from engine.nn import init

F = nn.functional


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.act = nn.Tanh()
        self.seq = nn.Sequential(nn.Linear(2, 1, bias=False), nn.Sigmoid())
        self.loss = nn.CrossEntropyLoss()

    def forward(self, x):
        return self.seq(self.act(self.fc(x)))


NET_REPR = """Net(
  (fc): Linear(in_features=2, out_features=2, bias=True)
  (act): Tanh()
  (seq): Sequential(
    (0): Linear(in_features=2, out_features=1, bias=False)
    (1): Sigmoid()
  )
  (loss): CrossEntropyLoss()
)"""


# ---- Parameter -----------------------------------------------------------------------------------
def test_parameter_shares_data_is_leaf_and_prints_like_pytorch():
    t = engine.ones(2, dtype=engine.float64)
    p = nn.Parameter(t)
    assert isinstance(p, engine.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    t[0] = 5.0
    assert p[0].item() == 5.0  # no copy
    assert repr(p) == ("Parameter containing:\n"
                       "tensor([5., 1.], dtype=torch.float64, requires_grad=True)")
    assert repr(nn.Parameter(engine.ones(2), requires_grad=False)) == (
        "Parameter containing:\ntensor([1., 1.])")


def test_parameter_from_non_leaf_is_a_detached_leaf_and_ops_return_tensors():
    a = engine.ones(2, requires_grad=True)
    p = nn.Parameter(a * 3)
    assert p.is_leaf and p.grad_fn is None
    y = p * 2
    assert type(y) is engine.Tensor and y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert p.grad.tolist() == [2.0, 2.0] and a.grad is None


def test_parameter_requires_float():
    with pytest.raises(RuntimeError, match=r"^Only Tensors of floating point and complex dtype "
                                           r"can require gradients$"):
        nn.Parameter(engine.tensor([1, 2]))
    assert not nn.Parameter(engine.tensor([1, 2]), requires_grad=False).requires_grad


def test_parameter_survives_deepcopy_and_pickle():
    p = nn.Parameter(engine.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad and q.tolist() == [1.0, 2.0]
        q.data.mul_(0)
        assert p.tolist() == [1.0, 2.0]


# ---- Module registration -------------------------------------------------------------------------
def test_module_registers_parameters_submodules_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias", "seq.0.weight"]
    assert [type(m).__name__ for m in net.children()] == ["Linear", "Tanh", "Sequential",
                                                          "CrossEntropyLoss"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "act", "seq", "seq.0", "seq.1",
                                                   "loss"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert list(net.state_dict()) == ["fc.weight", "fc.bias", "seq.0.weight"]
    assert repr(net) == NET_REPR


def test_shared_parameter_is_listed_once():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3


def test_module_attribute_errors_match_pytorch():
    m = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        m.weight = engine.zeros(2, 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        _ = m.foo
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        nn.Module()(1)


def test_plain_attributes_and_buffers():
    m = nn.Module()
    m.scale = 3
    m.register_buffer("running", engine.zeros(2))
    m.register_buffer("scratch", engine.ones(1), persistent=False)
    assert m.scale == 3 and "scale" not in m._parameters
    assert list(m.state_dict()) == ["running"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    m.running = engine.ones(2)
    assert m.running.tolist() == [1.0, 1.0]


def test_zero_grad_sets_none_or_zeros():
    m = nn.Linear(3, 2)
    m(engine.randn(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.abs().sum().item() == 0
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_train_eval_and_requires_grad_propagate():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_run_and_can_replace_output():
    m = nn.Linear(2, 2)
    seen = []
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out * 0)
    assert m(engine.ones(1, 2)).abs().sum().item() == 0 and seen == [engine.Size([1, 2])]
    h.remove()
    assert m(engine.ones(1, 2)).abs().sum().item() != 0


# ---- state_dict ----------------------------------------------------------------------------------
def test_state_dict_round_trip_copies_values_and_keeps_parameters():
    a, b = Net(), Net()
    w_before = b.fc.weight
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert b.fc.weight is w_before  # copied in place
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())
    sd = a.state_dict()
    assert not sd["fc.weight"].requires_grad  # detached, as PyTorch
    assert a.state_dict(keep_vars=True)["fc.weight"] is a.fc.weight


def test_load_state_dict_errors_match_pytorch():
    m = nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": engine.zeros(2, 3)})
    assert str(e.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in '
                            'state_dict: "bias". ')
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": engine.zeros(3, 3), "bias": engine.zeros(2),
                           "x": engine.ones(1)})
    assert str(e.value) == (
        'Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: "x". \n'
        "\tsize mismatch for weight: copying a param with shape torch.Size([3, 3]) from "
        "checkpoint, the shape in current model is torch.Size([2, 3]).")
    r = m.load_state_dict({"weight": engine.zeros(2, 3)}, strict=False)
    assert repr(r) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    assert m.weight.abs().sum().item() == 0


# ---- Linear --------------------------------------------------------------------------------------
def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has variance a^2 / 3; 120000 samples pin it to ~1%
    assert np.var(w) == pytest.approx(bound**2 / 3, rel=0.03)
    assert np.abs(w).max() > 0.99 * bound


def test_linear_forward_backward_closed_form():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    m = nn.Linear(3, 2).double()
    m.load_state_dict({"weight": engine.tensor(w), "bias": engine.tensor(b)})
    xt = engine.tensor(x, requires_grad=True)
    out = m(xt)
    np.testing.assert_allclose(out.detach().numpy(), x @ w.T + b, rtol=1e-12)
    g = rng.standard_normal((5, 2))
    out.backward(engine.tensor(g))
    np.testing.assert_allclose(m.weight.grad.numpy(), g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(m.bias.grad.numpy(), g.sum(0), rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), g @ w, rtol=1e-12)
    assert m.weight.grad.numpy().flags.c_contiguous


def test_linear_graph_matches_pytorch():
    m = nn.Linear(3, 2)
    out = m(engine.randn(4, 3))
    assert out.grad_fn.name() == "AddmmBackward0"
    (b_fn, _), (x_fn, _), (t_fn, _) = out.grad_fn.next_functions
    assert b_fn.variable is m.bias and x_fn is None and t_fn.name() == "TBackward0"
    assert t_fn.next_functions[0][0].variable is m.weight
    assert F.linear(engine.randn(4, 3), m.weight).grad_fn.name() == "MmBackward0"
    one = m(engine.randn(3))
    assert one.shape == engine.Size([2]) and one.grad_fn.name() == "ViewBackward0"
    batch = m(engine.randn(5, 4, 3))
    assert batch.shape == engine.Size([5, 4, 2]) and batch.grad_fn.name() == "ViewBackward0"


def test_linear_shape_and_dtype_errors_match_pytorch():
    m = nn.Linear(3, 3)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(4x2 and 3x3\)"):
        m(engine.randn(4, 2))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "double != float"):
        m(engine.randn(4, 3, dtype=engine.float64))


def test_linear_weight_modified_in_place_before_backward_raises():
    m = nn.Linear(2, 2)
    out = m(engine.randn(3, 2, requires_grad=True)).sum()
    with engine.no_grad():
        m.weight.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# ---- Sequential and friends ----------------------------------------------------------------------
def test_sequential_indexing_len_iteration_and_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    assert [type(m).__name__ for m in seq[:2]] == ["Linear", "ReLU"]
    seq.append(nn.Sigmoid())
    out = seq(engine.randn(4, 2))
    assert out.grad_fn.name() == "SigmoidBackward0" and out.shape == engine.Size([4, 1])
    with pytest.raises(IndexError):
        seq[4]
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(list(ml.parameters())) == 6 and len(ml) == 3


def test_module_reprs_match_pytorch():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Identity()) == "Identity()"
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.BCEWithLogitsLoss()) == "BCEWithLogitsLoss()"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_activation_and_loss_modules_compute_their_functions():
    x = engine.tensor([[-1.0, 0.5], [2.0, -3.0]])
    assert nn.ReLU()(x).tolist() == [[0.0, 0.5], [2.0, 0.0]]
    assert nn.Identity()(x) is x
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    y = engine.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert nn.MSELoss(reduction="sum")(x, y).item() == pytest.approx(1 + 0.25 + 1 + 9)
    assert nn.L1Loss()(x, y).item() == pytest.approx((1 + 0.5 + 1 + 3) / 4)
    t = engine.tensor([1, 0])
    assert nn.CrossEntropyLoss()(x, t).item() == pytest.approx(F.cross_entropy(x, t).item())
    r = nn.ReLU(inplace=True)
    z = x.clone()
    assert r(z) is z and z.min().item() == 0


# ---- init ----------------------------------------------------------------------------------------
def test_init_functions_fill_in_place_under_no_grad():
    w = nn.Parameter(engine.empty(64, 32))
    assert init.zeros_(w) is w and w.abs().sum().item() == 0
    init.ones_(w)
    assert w.sum().item() == 64 * 32
    init.constant_(w, 0.25)
    assert w.mean().item() == 0.25
    init.uniform_(w, -2, 3)
    assert w.min().item() >= -2 and w.max().item() <= 3
    init.normal_(w, 1.0, 0.01)
    assert w.mean().item() == pytest.approx(1.0, abs=0.005)
    assert w.is_leaf and w.requires_grad


def test_xavier_and_kaiming_bounds_follow_their_formulas():
    w = engine.empty(200, 100)
    init.xavier_uniform_(w, gain=2.0)
    a = 2.0 * math.sqrt(6 / 300)
    assert np.abs(w.numpy()).max() <= a and np.abs(w.numpy()).max() > 0.98 * a
    init.kaiming_uniform_(w, nonlinearity="relu")
    b = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(w.numpy()).max() <= b and np.abs(w.numpy()).max() > 0.98 * b
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 200)
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        init.xavier_uniform_(engine.empty(3))


def test_init_generator_makes_it_reproducible():
    g1, g2 = engine.Generator().manual_seed(7), engine.Generator().manual_seed(7)
    a, b = init.normal_(engine.empty(5), generator=g1), init.normal_(engine.empty(5), generator=g2)
    assert a.tolist() == b.tolist()


def test_module_double_converts_parameters_in_place():
    m = nn.Linear(2, 2)
    w = m.weight
    m.double()
    assert m.weight is w and w.dtype == engine.float64
    assert m(engine.randn(1, 2, dtype=engine.float64)).dtype == engine.float64


# ---- differential: real torch --------------------------------------------------------------------
@pytest.mark.torch
def test_mlp_forward_and_grads_match_torch_from_same_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    t = rng.integers(0, 3, 8)

    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.Tanh(), lib.nn.Linear(7, 3))

    tm, em = build(torch), build(engine)
    em.load_state_dict({k: engine.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    outs = []
    for lib, m in ((torch, tm), (engine, em)):
        loss = lib.nn.functional.cross_entropy(m(lib.tensor(x)), lib.tensor(t))
        loss.backward()
        outs.append((loss.item(), [p.grad.numpy().copy() for p in m.parameters()]))
    assert outs[0][0] == pytest.approx(outs[1][0], rel=1e-6)
    for gt, ge in zip(outs[0][1], outs[1][1], strict=True):
        np.testing.assert_allclose(ge, gt, rtol=1e-5, atol=1e-7)


@pytest.mark.torch
def test_module_structure_matches_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(),
                                 lib.nn.Linear(3, 2, bias=False), lib.nn.Sigmoid())

    tm, em = build(torch), build(engine)
    assert repr(tm) == repr(em)
    assert list(tm.state_dict()) == list(em.state_dict())
    assert [p.shape for p in tm.parameters()] == [tuple(p.shape) for p in em.parameters()]
