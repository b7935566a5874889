"""torch.nn.utils: clip_grad_norm_ (and its parts get_total_norm / clip_grads_with_norm_),
clip_grad_value_, parameters_to_vector / vector_to_parameters."""

import math

import numpy as np
import pytest

import engine as torch
from engine.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def params_with(*grads):
    ps = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(len(g)))
        p.grad = torch.tensor(g)
        ps.append(p)
    return ps


def test_the_total_norm_is_the_norm_of_every_grad_together_and_clipping_scales_them():
    ps = params_with([3.0, 0.0], [0.0, 4.0])  # together: (3, 0, 0, 4), norm 5
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(ps[0].grad.numpy(), [3 * coef, 0.0], rtol=1e-6)
    np.testing.assert_allclose(ps[1].grad.numpy(), [0.0, 4 * coef], rtol=1e-6)
    assert math.hypot(*ps[0].grad.tolist(), *ps[1].grad.tolist()) == pytest.approx(1.0, 1e-5)


def test_grads_under_the_limit_are_left_as_they_are_and_other_norms_work():
    ps = params_with([0.3, -0.4])
    assert clip_grad_norm_(ps, 10.0).item() == pytest.approx(0.5)
    assert ps[0].grad.tolist() == pytest.approx([0.3, -0.4])
    assert get_total_norm([p.grad for p in params_with([1.0, -7.0], [2.0])],
                          float("inf")).item() == 7.0
    assert get_total_norm([p.grad for p in params_with([1.0, -2.0], [3.0])], 1).item() == 6.0


def test_no_grads_a_single_tensor_and_a_non_finite_norm():
    assert clip_grad_norm_([], 1.0).item() == 0.0
    p = torch.nn.Parameter(torch.ones(2))
    assert clip_grad_norm_(p, 1.0).item() == 0.0  # a tensor without grad: nothing to clip
    bad = params_with([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match=r"total norm of order 2\.0 .* is non-finite"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_(bad, 1.0).item())  # scaled by the nan norm anyway


def test_clipping_records_nothing():
    x = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    (x * x).sum().backward(create_graph=True)
    clip_grad_norm_([x], 1.0)
    assert x.grad.grad_fn.name().endswith("CopyBackwards")  # no MulBackward0 on top


def test_clip_grad_value_clamps_each_element():
    ps = params_with([-3.0, 0.5, 2.0])
    assert clip_grad_value_(ps, 1.0) is None
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_a_vector_and_back():
    a = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    b = torch.nn.Parameter(torch.tensor([5.0]))
    vec = parameters_to_vector([a, b])
    assert vec.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and vec.grad_fn is not None
    vector_to_parameters(torch.tensor([9.0, 8.0, 7.0, 6.0, 5.5]), [a, b])
    assert a.tolist() == [[9.0, 8.0], [7.0, 6.0]] and b.tolist() == [5.5]
    assert a.is_leaf and a.requires_grad
    with pytest.raises(TypeError, match=r"expected torch\.Tensor, but got: list"):
        vector_to_parameters([1.0], [a])


def test_import_torch_nn_utils_in_a_script():
    from engine.script_namespace import new_namespace

    ns = new_namespace()
    exec("import torch\nfrom torch.nn.utils import clip_grad_norm_\n"
         "f = torch.nn.utils.clip_grad_value_", ns)
    assert ns["clip_grad_norm_"] is clip_grad_norm_ and ns["f"] is clip_grad_value_


@pytest.mark.torch
def test_clipping_a_trained_models_grads_as_pytorch_does():
    real = pytest.importorskip("torch")

    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.Tanh(), lib.nn.Linear(7, 2))
        x = lib.randn(16, 5)
        (m(x) ** 2).sum().backward()
        out = []
        for norm_type in (2.0, 1.0, float("inf")):
            out.append(lib.nn.utils.get_total_norm(
                [p.grad for p in m.parameters()], norm_type).item())
        out.append(lib.nn.utils.clip_grad_norm_(m.parameters(), 0.5).item())
        grads = [p.grad.numpy().copy() for p in m.parameters()]
        lib.nn.utils.clip_grad_value_(m.parameters(), 0.01)
        return out, grads, [p.grad.numpy().copy() for p in m.parameters()], \
            lib.nn.utils.parameters_to_vector(m.parameters()).detach().numpy()

    ours, theirs = run(torch), run(real)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=2e-6)
    for k in (1, 2):
        for a, b in zip(ours[k], theirs[k], strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7)  # tanh, BLAS: last bits
    np.testing.assert_array_equal(ours[3], theirs[3])
