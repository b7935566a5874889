"""Integer and bool tensors clamped to scalar bounds, fill_/zero_ on a non-leaf under
create_graph and gather on a 0-d tensor, as PyTorch 2.13 does them (values from PyTorch)."""

import numpy as np
import pytest

import engine as torch


def test_a_float_bound_promotes_an_int_or_bool_tensor_out_of_place():
    r = torch.tensor([True, False]).clamp(min=0.5)
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 0.5]
    r = torch.tensor([1, 0, 3], dtype=torch.int32).clamp(max=2.5)
    assert r.dtype == torch.float32 and r.tolist() == [1.0, 0.0, 2.5]


def test_an_int_bound_makes_a_bool_tensor_long():
    r = torch.tensor([True, False]).clamp(min=0)
    assert r.dtype == torch.int64 and r.tolist() == [1, 0]


@pytest.mark.parametrize("call, kernel", [("clamp(min=True)", "clamp_min"),
                                          ("clamp(max=False)", "clamp_max"),
                                          ("clamp(True, True)", "clamp"),
                                          ("clamp_min(True)", "clamp_min"),
                                          ("clamp_(min=True)", "clamp_min")])
def test_bool_bounds_on_a_bool_tensor_have_no_kernel(call, kernel):
    x = torch.tensor([True, False])
    with pytest.raises(NotImplementedError,
                       match=f'^"{kernel}_scalar_cpu" not implemented for \'Bool\'$'):
        eval("x." + call)


@pytest.mark.parametrize("dtype, bound, name, cpp", [
    (torch.bool, 0.5, "Float", "bool"), (torch.bool, 0, "Long", "bool"),
    (torch.int8, 0.5, "Float", "signed char"), (torch.int16, 0.5, "Float", "short int"),
    (torch.int32, 0.5, "Float", "int"), (torch.int64, 0.5, "Float", "long int"),
    (torch.uint8, 0.5, "Float", "unsigned char")])
def test_in_place_clamp_refuses_a_bound_that_would_promote(dtype, bound, name, cpp):
    x = torch.zeros(2, dtype=dtype)
    with pytest.raises(RuntimeError, match=f"^result type {name} can't be cast to the desired "
                                           f"output type {cpp}$"):
        x.clamp_(min=bound)
    assert x.tolist() == [0, 0]  # untouched


def test_in_place_clamp_keeps_an_int_tensor_for_int_or_bool_bounds():
    x = torch.tensor([1, 0, 3], dtype=torch.uint8)
    assert x.clamp_(max=True) is x and x.dtype == torch.uint8 and x.tolist() == [1, 0, 1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # exp(100) overflows float32, as in torch
def test_a_filled_non_leaf_sends_a_constant_zero_under_create_graph():
    x = torch.tensor([0.0, 100.0], requires_grad=True)
    z = x * 1
    z.fill_(2.0)
    # d/dx of z * exp(x): z's own path is a constant zero (never g * 0 = inf * 0 = nan)
    (g,) = torch.autograd.grad((z * x.exp()).sum(), x, create_graph=True)
    assert g.tolist() == [2.0, float("inf")]
    (gg,) = torch.autograd.grad(g[0], x)  # g[0]'s select sends 0 * exp(100): nan, as in torch
    assert gg[0].item() == 2.0 and np.isnan(gg[1].item())


def test_gather_on_a_0d_tensor_is_a_gather_node_summing_its_grad():
    x = torch.tensor(3.0, requires_grad=True)
    y = x.gather(0, torch.tensor([0, 0, 0]))
    assert y.grad_fn.name() == "GatherBackward0" and y.tolist() == [3.0, 3.0, 3.0]
    (y * torch.tensor([1.0, 2.0, 4.0])).sum().backward()
    assert x.grad.shape == () and x.grad.item() == 7.0


@pytest.mark.torch
def test_the_same_calls_on_pytorch():
    real = pytest.importorskip("torch")
    calls = ["clamp(min=0.5)", "clamp(min=0)", "clamp(max=2)", "clamp(min=True)",
             "clamp_min(True)", "clamp_(min=0.5)", "clamp_(max=2)", "clamp_(min=-1, max=1.5)"]
    for dt in ("bool", "int8", "int32", "int64", "uint8"):
        for call in calls:
            seen = []
            for mod in (torch, real):
                x = mod.tensor([1, 0, 3], dtype=getattr(mod, dt))
                try:
                    r = eval("x." + call)
                    seen.append((str(r.dtype), r.tolist()))
                except Exception as e:  # noqa: BLE001 - the class and message are compared
                    seen.append((type(e).__name__, str(e)))
            assert seen[0] == seen[1], (dt, call)
    x = real.tensor(3.0, requires_grad=True)
    assert x.gather(0, real.tensor([0, 0])).grad_fn.name() == "GatherBackward0"


@pytest.mark.parametrize("expr, message", [
    ("torch.zeros(0).argmax(0)", "argmax(): Expected reduction dim 0 to have non-zero size."),
    ("torch.zeros(2, 0).argmin(1)", "argmin(): Expected reduction dim 1 to have non-zero size."),
    ("torch.zeros(0, 3).argmax()",
     "argmax(): Expected reduction dim to be specified for input.numel() == 0.")])
def test_argmax_of_nothing_is_an_index_error(expr, message):
    with pytest.raises(IndexError) as err:
        eval(expr)
    assert str(err.value) == message
    assert torch.zeros(2, 0).argmax(0).shape == (0,)  # an empty dim that is not reduced is fine


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_sends_grads_as_pytorch_through_maximum_amin_and_pow():
    # maximum: only the loser gets 0; a nan makes neither side lose, so both get the grad
    x = torch.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    y = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    torch.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.5] and y.grad.tolist() == [0.0, 1.0, 0.5]
    # amin: (g / count) * mask, and a nan minimum matches nothing: 1 / 0 * 0 is nan
    x = torch.tensor([float("nan"), 1.0], requires_grad=True)
    x.amin(0).backward()
    assert np.isnan(x.grad.numpy()).all()
    # the exponent's grad is g * where(base == 0 and e >= 0, 0, out * log(base)): a nan g stays
    b = torch.tensor([0.0], requires_grad=True)
    e = torch.tensor([0.0], requires_grad=True)
    (b ** e).backward(torch.tensor([float("nan")]))
    assert b.grad.tolist() == [0.0] and np.isnan(e.grad.item())


def test_softmax_of_nothing_is_nothing():
    x = torch.zeros(0, requires_grad=True)
    assert x.softmax(0).shape == (0,) and x.softmax(0).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(0).grad_fn.name() == "LogSoftmaxBackward0"
    assert torch.zeros(2, 0).softmax(1).shape == (2, 0)


@pytest.mark.parametrize("dtype, value, ctype", [
    (torch.int64, float("inf"), "int64_t"), (torch.int64, float("nan"), "int64_t"),
    (torch.int32, 3e10, "int"), (torch.uint8, 300, "uint8_t"), (torch.int8, -129, "int8_t")])
def test_fill_refuses_a_value_the_integer_tensor_cannot_hold(dtype, value, ctype):
    x = torch.zeros(3, dtype=dtype)
    with pytest.raises(RuntimeError) as err:
        x.fill_(value)
    assert str(err.value) == f"value cannot be converted to type {ctype} without overflow"
    assert torch.zeros(2, dtype=torch.int64).fill_(2.7).tolist() == [2, 2]


def test_a_modified_saved_output_names_its_node_as_pytorch():
    x = torch.tensor([-3.0, 2.0], requires_grad=True)
    for make, name in [(lambda: x.prod(0), "Prod1"), (lambda: x.prod(), "Prod"),
                       (lambda: x.exp(), "Exp")]:
        y = make()
        z = y.tanh()
        y.mul_(2)
        with pytest.raises(RuntimeError, match=f"which is output 0 of {name}, is at version 1"):
            z.sum().backward()


def test_narrow_checks_its_range_as_pytorch():
    x = torch.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"^start \(2\) \+ length \(2\) exceeds dimension size "
                                           r"\(3\)\.$"):
        x.narrow(0, -1, 2)
    with pytest.raises(IndexError, match=r"^start out of range \(expected to be in range of "
                                         r"\[-3, 3\], but got -4\)$"):
        x.narrow(0, -4, 1)
    with pytest.raises(RuntimeError, match="^narrow\\(\\): length must be non-negative.$"):
        x.narrow(0, 1, -1)
    assert x.narrow(0, 3, 0).shape == (0, 4)


def test_subtracting_a_bool_in_place_is_refused():
    with pytest.raises(RuntimeError, match="^Subtraction, the `-` operator, with a bool tensor"):
        torch.tensor([1.0]).sub_(True)
    with pytest.raises(RuntimeError, match="^Subtraction, the `-` operator, with a bool tensor"):
        torch.tensor([1.0]).sub_(torch.tensor(True))


def test_min_of_nans_shares_its_grad_among_them_in_the_grads_dtype():
    x = torch.tensor([float("nan"), 1.0, float("nan")], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.dtype))
    x.min().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5] and seen == [torch.float32]


def test_masked_fill_refuses_a_value_the_integer_tensor_cannot_hold():
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int64_t without "
                                           "overflow$"):
        torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), float("inf"))


def test_views_follow_their_base_in_and_out_of_inference_mode():
    x = torch.ones(3, requires_grad=True)
    base = torch.ones(3)
    with torch.inference_mode():
        y = x * 2
        d, v = x.detach(), base[:2]  # views of normal tensors stay normal, even here
        assert not d.is_inference() and not v.is_inference()
        v.add_(1)
    assert base.tolist() == [2.0, 2.0, 1.0] and base._version == 1
    w = y[:2]  # a view of an inference tensor is one, even made outside the mode
    assert w.is_inference()
    with pytest.raises(RuntimeError, match="^Inplace update to inference tensor outside "
                                           "InferenceMode is not allowed"):
        w.add_(1)


def test_prod_with_two_zeros_sends_zeros_whatever_else_the_tensor_holds():
    x = torch.tensor([0.0, float("nan"), 0.0, 2.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]  # PyTorch's: no nan from the others
    x = torch.tensor([0.0, float("inf"), 3.0, 2.0], requires_grad=True)
    x.prod().backward()  # one zero: the product of the others, inf at the zero
    g = x.grad.tolist()
    assert g[0] == float("inf") and g[1] == 0.0 and np.isnan(g[2:]).all()


@pytest.mark.parametrize("expr, message", [
    ("x.permute(0, 0)", "permute(): duplicate dims are not allowed."),
    ("x.permute(0)", "permute(sparse_coo): number of dimensions in the tensor input does not "
                     "match the length of the desired ordering of dimensions i.e. input.dim() = "
                     "2 is not equal to len(dims) = 1"),
    ("x.masked_fill(torch.ones(3, 2, dtype=torch.bool), 0)",
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
    ("x.masked_fill_(torch.ones(3, 1, dtype=torch.bool), 0)",
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0")])
def test_shape_errors_in_pytorchs_words(expr, message):
    x = torch.ones(2, 3)
    with pytest.raises(RuntimeError) as err:
        eval(expr)
    assert str(err.value) == message
