"""Graph structure, grad modes, hooks, retain_grad, inputs=, custom Function details."""

from __future__ import annotations

import numpy as np
import pytest

import engine as torch


def test_next_functions_show_accumulate_grad_and_constants():
    x = torch.tensor([1.0], requires_grad=True)
    y = x * 2
    (fn, nr), (none, zero) = y.grad_fn.next_functions
    assert type(fn).__name__ == "AccumulateGrad" and fn.variable is x and nr == 0
    assert fn.name() == "torch::autograd::AccumulateGrad"
    assert none is None and zero == 0
    # the same leaf is one AccumulateGrad node for every use while the graph lives
    z = x * 3
    assert z.grad_fn.next_functions[0][0] is fn


def test_ops_on_tensors_without_grad_make_leaves():
    a = torch.ones(3)
    b = (a * 2 + 1).exp()
    assert b.is_leaf and b.grad_fn is None and not b.requires_grad


def test_requires_grad_flag_rules():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point dtype can require"):
        torch.tensor([1, 2]).requires_grad_()


def test_grad_modes_nest_and_decorate():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        with torch.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()


def test_grad_mode_is_per_thread():
    import threading

    x = torch.ones(2, requires_grad=True)
    seen = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        t.start()
        t.join()
    assert seen == [True]


def test_detach_shares_data_and_version():
    x = torch.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0
    assert x.tolist()[0] == 5.0 and x._version == 1


def test_hook_replaces_grad_and_handle_removes_it():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 0 + 7)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_hooks_run_before_retain_grad_stores():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 100)
    y.sum().backward()
    assert y.grad.tolist() == [100.0, 100.0]
    assert x.grad.tolist() == [200.0, 200.0]


def test_retained_grad_accumulates_like_pytorch():
    x = torch.tensor([1.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.backward(retain_graph=True)
    y.backward()
    assert y.grad.tolist() == [2.0]
    assert x.grad.tolist() == [4.0]


def test_backward_inputs_limits_accumulation():
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    mid = a * b
    (mid * 3).backward(inputs=[a, mid])
    assert a.grad.tolist() == [6.0] and b.grad is None
    assert mid.grad.tolist() == [3.0]


def test_autograd_grad_of_non_leaf_and_allow_unused():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    u = torch.tensor([1.0], requires_grad=True)
    mid = a * a
    out = (mid * 3).sum()
    g_mid, g_u = torch.autograd.grad(out, [mid, u], allow_unused=True)
    assert g_mid.tolist() == [3.0, 3.0] and g_u is None
    assert a.grad is None


def test_autograd_grad_with_grad_outputs():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad(x * x, x, grad_outputs=torch.tensor([1.0, 0.0, 2.0]))
    assert g.tolist() == [2.0, 0.0, 12.0]


def test_ops_that_save_nothing_can_be_walked_twice():
    x = torch.tensor([1.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()  # AddBackward0 and SumBackward0 save no tensors, as in PyTorch
    assert x.grad.tolist() == [2.0]


def test_saved_tensors_are_released_during_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp() * x
    node = y.grad_fn
    y.sum().backward()
    assert node.freed
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        node._saved_self  # noqa: B018


def test_custom_function_ctx_features():
    class Split(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * scale, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (_x,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return g * ctx.scale, None

    x = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)
    y, idx = Split.apply(x, 4.0)
    assert not idx.requires_grad and idx.item() == 1
    assert y.grad_fn.name() == "SplitBackward"
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_custom_function_composes_with_create_graph():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x = torch.tensor(2.0, requires_grad=True)
    (d1,) = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1, x)
    assert d1.item() == 12.0 and d2.item() == 12.0


def test_backward_steps_runs_one_node_at_a_time():
    from engine.autograd import backward_steps

    w = torch.tensor([2.0], requires_grad=True)
    y = ((w * 3).exp()).sum()
    gen = backward_steps([y])
    names = []
    for step in gen:
        names.append(step.node.name())
        if step.node.name() == "ExpBackward0":
            assert w.grad is None  # nothing reached the leaf yet: we really are mid-backward
    assert names == ["SumBackward0", "ExpBackward0", "MulBackward0",
                     "torch::autograd::AccumulateGrad"]
    np.testing.assert_allclose(w.grad.numpy(), [3 * np.exp(6.0)], rtol=1e-6)


def test_leaf_reached_twice_accumulates_in_one_backward():
    x = torch.tensor([3.0], requires_grad=True)
    y = x * x + x
    y.backward()
    assert x.grad.tolist() == [7.0]


def test_inplace_errors_and_versions():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[0] = 3.0
    with torch.no_grad():
        x.mul_(2)
    assert x._version == 1 and x.is_leaf
    y = x.clone()
    view = y[0:1]
    view.add_(1)  # views share the version counter
    assert y._version == view._version == 1


def test_setitem_on_non_leaf_records_copyslices():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor(10.0, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]
    assert v.grad.item() == 4.0


def test_float64_default_dtype():
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.0]).dtype == torch.float64
        assert torch.randn(2).dtype == torch.float64
        assert repr(torch.tensor([1.5])) == "tensor([1.5000])"
        assert repr(torch.tensor([1.5], dtype=torch.float32)) == (
            "tensor([1.5000], dtype=torch.float32)")
    finally:
        torch.set_default_dtype(torch.float32)


def test_tensor_basics():
    t = torch.Tensor([[1, 2], [3, 4]])
    assert t.dtype == torch.float32 and t.shape == (2, 2) and repr(t.size()) == "torch.Size([2, 2])"
    assert t.dim() == 2 and t.numel() == 4 and t.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert t.double().dtype == torch.float64 and t.to(torch.int64).dtype == torch.int64
    assert torch.from_numpy(np.arange(3)).dtype == torch.int64
    a = np.zeros(2, np.float32)
    assert torch.from_numpy(a).numpy() is a  # shares memory as in PyTorch
    torch.manual_seed(1)
    r1 = torch.randn(3)
    torch.manual_seed(1)
    assert torch.equal(r1, torch.randn(3))
    assert torch.randint(0, 5, (10,)).dtype == torch.int64
    assert torch.zeros_like(t).sum().item() == 0 and torch.ones_like(t).sum().item() == 4
    assert torch.randn_like(t).shape == t.shape
    assert torch.rand(100).max().item() < 1.0


@pytest.mark.parametrize("order", ["wx", "xw"])
def test_leaves_made_ready_together_run_in_next_functions_order(order):
    from engine.autograd import backward_steps

    w = torch.tensor([1.0], requires_grad=True)
    x = torch.tensor([2.0], requires_grad=True)
    a = torch.add(w, x) if order == "wx" else torch.add(x, w)
    leaves = [s.node.variable for s in backward_steps([a.sum()]) if hasattr(s.node, "variable")]
    assert leaves == ([w, x] if order == "wx" else [x, w])


def test_inplace_on_a_view_of_a_leaf_is_refused_before_touching_it():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.t()[0] = 5.0
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_inplace_on_a_view_rewrites_the_base_history():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[0:2]
    v.mul_(10)  # y is now [10, 20, 3]
    assert y.tolist() == [10.0, 20.0, 3.0]
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [10.0, 20.0, 3.0]


def test_augmented_assignment_on_an_index_of_a_non_leaf():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    y[:, 0] += 1
    y.sum().backward()
    assert y.tolist() == [[3.0, 4.0], [7.0, 8.0]]
    assert x.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_rows_sharing_a_node_name_keep_their_own_vjp():
    from engine.ops import OPS, register
    from engine.tensor import _result

    try:
        register("test_a", "SharedNameBackward0", None, lambda m, g, out, s, a, need: (g * 1,))
        op2 = register("test_b", "SharedNameBackward0", None,
                       lambda m, g, out, s, a, need: (g * 100,))
        x = torch.ones(1, requires_grad=True)
        y = _result(op2, x._data * 100, (x,))
        assert y.grad_fn.name() == "SharedNameBackward0"
        y.sum().backward()
        assert x.grad.tolist() == [100.0]
    finally:
        OPS.pop("test_a", None)
        OPS.pop("test_b", None)


def test_rsub_keeps_its_constant_for_replay():
    x = torch.ones(2, requires_grad=True)
    assert (2.5 - x).grad_fn._attrs == 2.5


def test_backward_with_create_graph_warns_once_as_pytorch_does(recwarn):
    import warnings

    from engine import warn_once

    warn_once.warned.clear()
    warnings.simplefilter("always")
    x = torch.ones(2, requires_grad=True)
    torch.autograd.grad((x * x).sum(), x, create_graph=True)  # grad() keeps no cycle
    assert not recwarn.list
    (x * 2).sum().backward(create_graph=True)
    (x * 3).sum().backward(create_graph=True)
    cycle = [w for w in recwarn.list if "reference cycle" in str(w.message)]
    assert len(cycle) == 1 and cycle[0].category is UserWarning
    assert str(cycle[0].message).startswith("Using backward() with create_graph=True will create")
    np.testing.assert_array_equal(x.grad.detach().numpy(), [5.0, 5.0])


def test_node_hooks_run_in_pytorchs_order_and_can_replace_grads():
    calls = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    m = x * c
    y = (m * m).sum()  # dy/dm = 2m = [6, 16]
    acc = m.grad_fn.next_functions[0][0]
    x.register_hook(lambda g: calls.append(("tensor", g.tolist())) or g * 10)
    acc.register_prehook(lambda go: calls.append(("acc pre", go[0].tolist())))
    acc.register_hook(lambda gi, go: calls.append(("acc post", gi, go[0].tolist())))
    m.grad_fn.register_prehook(lambda go: (go[0] / 2,))  # [3, 8]
    handle = m.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, None))  # [3, 8] * c + 1
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [100.0, 330.0]
    assert calls == [("tensor", [10.0, 33.0]), ("acc pre", [100.0, 330.0]),
                     ("acc post", (), [100.0, 330.0])]
    calls.clear()
    (g,) = torch.autograd.grad(y, x, retain_graph=True)  # grad() does not run AccumulateGrad
    assert g.tolist() == [100.0, 330.0] and calls == [("tensor", [10.0, 33.0])]
    handle.remove()
    x.grad = None
    y.backward()
    assert x.grad.tolist() == [90.0, 320.0]


def test_a_node_hook_returning_the_wrong_number_of_grads_is_named():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()

    def double(grad_inputs, grad_outputs):
        return (grad_inputs[0], grad_inputs[0])

    y.grad_fn.register_hook(double)
    with pytest.raises(RuntimeError, match=r"hook 'double' has returned an incorrect number of "
                                           r"values \(got 2, but expected 1\)"):
        y.backward()


def test_T_on_other_than_2d_warns_once_per_kind_as_pytorch_does(recwarn):
    import warnings

    from engine import warn_once

    warn_once.warned.clear()
    warnings.simplefilter("always")
    shapes = [torch.ones(3).T.shape, torch.ones(2, 3, 4).T.shape, torch.ones(2, 3).T.shape,
              torch.tensor(1.0).T.shape, torch.ones(5).T.shape]
    assert shapes == [(3,), (4, 3, 2), (3, 2), (), (5,)]
    messages = [str(w.message) for w in recwarn.list]
    assert len(messages) == 2
    assert messages[0].startswith("The use of `x.T` on tensors of dimension other than 2")
    assert messages[1] == ("Tensor.T is deprecated on 0-D tensors. This function is the identity "
                           "in these cases.")
