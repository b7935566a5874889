"""What ``.grad`` holds after ``backward(create_graph=True)``: as PyTorch's AccumulateGrad and
retain_grad hook store it with grad mode on, a leaf's first grad is a new tensor filled by
``copy_`` (CopyBackwards), a retained non-leaf grad is a clone (CloneBackward0), and later
ones add (AddBackward0). Never the caller's own gradient tensor."""

import numpy as np
import pytest

import engine as torch

pytestmark = pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph=True")


def test_a_leafs_first_grad_is_a_copy_whose_node_leads_to_the_grads_graph():
    x = torch.tensor(3.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.item() == 27.0  # 3 x^2 at 3
    fn = x.grad.grad_fn
    assert fn.name() == "torch::autograd::CopyBackwards"
    assert type(fn).__name__ == "CopyBackwards"
    (dst, _), (src, _) = fn.next_functions
    assert dst is None and src.name() == "MulBackward0"  # grad * (3 * x^2)
    assert x.grad._version == 1  # copy_ wrote into it
    (second,) = torch.autograd.grad(x.grad, x)
    assert second.item() == 18.0  # 6 x at 3


def test_the_next_accumulation_adds_to_the_copy():
    x = torch.tensor(3.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    first = x.grad.grad_fn
    (x ** 2).backward(create_graph=True)
    assert x.grad.item() == 33.0  # 27 + 2 x
    assert x.grad.grad_fn.name() == "AddBackward0"
    assert x.grad.grad_fn.next_functions[0][0] is first


def test_the_callers_gradient_tensor_is_never_the_stored_grad():
    seed = torch.tensor([1.0, 2.0])
    u = torch.tensor([1.0, 1.0], requires_grad=True)
    u.backward(seed, create_graph=True)
    assert u.grad is not seed
    assert u.grad.grad_fn is None  # the seed does not require grad: a plain copy
    u.grad.zero_()
    assert seed.tolist() == [1.0, 2.0]


def test_a_gradient_that_requires_grad_is_copied_through_a_node():
    s = torch.tensor([1.0, 2.0], requires_grad=True)
    u = torch.tensor([1.0, 1.0], requires_grad=True)
    u.backward(s, create_graph=True)
    fn = u.grad.grad_fn
    assert fn.name() == "torch::autograd::CopyBackwards"
    assert fn.next_functions[1][0].variable is s
    (ds,) = torch.autograd.grad((u.grad * torch.tensor([3.0, 4.0])).sum(), s)
    assert ds.tolist() == [3.0, 4.0]


def test_a_retained_grad_is_a_clone():
    x = torch.tensor([3.0, 1.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    (y * y).sum().backward(create_graph=True)
    assert y.grad.tolist() == [18.0, 2.0]  # 2 y = 2 x^2
    assert y.grad.grad_fn.name() == "CloneBackward0"
    (dx,) = torch.autograd.grad(y.grad.sum(), x)
    assert dx.tolist() == [12.0, 4.0]  # d(2 x^2)/dx = 4 x


def test_without_create_graph_grads_have_no_node():
    x = torch.tensor([3.0, 1.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    (y * y).sum().backward()
    assert x.grad.grad_fn is None and y.grad.grad_fn is None
    np.testing.assert_array_equal(x.grad.numpy(), [108.0, 4.0])  # 4 x^3


@pytest.mark.torch
def test_the_stored_grads_graph_matches_pytorch():
    real = pytest.importorskip("torch")

    def chain(fn):
        names = []
        while fn is not None:
            names.append(type(fn).__name__)
            nxt = [f for f, _ in fn.next_functions if f is not None]
            fn = nxt[-1] if nxt else None
        return names

    def run(lib):
        x = lib.tensor([3.0, 1.0], requires_grad=True)
        y = x.sin() * x
        y.retain_grad()
        (y * y).sum().backward(create_graph=True)
        return (chain(x.grad.grad_fn), chain(y.grad.grad_fn), x.grad._version,
                x.grad.detach().numpy().copy(), y.grad.detach().numpy().copy())

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_graph's reference-cycle warning
        ours, theirs = run(torch), run(real)
    assert ours[:3] == theirs[:3]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)
