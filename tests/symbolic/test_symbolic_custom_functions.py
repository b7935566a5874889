"""User autograd.Functions: the backward is checked against the derivative of the replayed
forward, and a wrong backward is reported with the element, the numbers and the closed form."""

import numpy as np
import pytest
from seed_programs import MyReLU, relu_model

import engine as torch
from symbolic import Options, check_all
from symbolic.custom import replaying


class ForgetsMask(MyReLU):  # the article's forward, a wrong backward
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.clone()  # bug: no `grad_input[input < 0] = 0`


def test_relu_backward_without_mask_is_caught(record):
    with record() as rec:
        relu_model(ForgetsMask)
    (report,) = check_all(rec.calls)
    assert not report.ok
    # the leaves: engine 7 and 2 where the closed form (and finite differences) say 4.5
    by_label = {e.label: e for e in report.elements}
    assert by_label["w[0, 0]"].engine == 7.0 and by_label["w[0, 0]"].symbolic == 4.5
    assert by_label["w[0, 0]"].finite == pytest.approx(4.5)
    assert by_label["b[0, 0]"].engine == 2.0 and not by_label["b[0, 0]"].ok
    # the Function itself: wrong exactly where the input is negative (row 0), right elsewhere
    (custom,) = report.custom
    assert custom.replayed and not custom.ok
    bad, good = custom.elements
    assert bad.index == (0, 0) and not bad.ok and good.ok
    assert bad.engine == -2.5 and bad.symbolic == 0.0 and bad.finite == pytest.approx(0.0)
    # grad_output (-2.5) times the derivative of Max(input, 0): a step at 0
    assert bad.closed_form == "-2.5*Heaviside(input_0_0, 1)"
    assert "engine disagrees with the closed form" in bad.note


class SwappedMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * a, g * b  # bug: d(ab)/da is b, not a


def test_two_input_function_returning_the_wrong_inputs_grad(record):
    with record() as rec:
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        b = torch.tensor([3.0, 5.0], requires_grad=True)
        SwappedMul.apply(a, b).sum().backward()
    (report,) = check_all(rec.calls)
    assert not report.ok
    a_rows = [e for e in report.elements if e.target == "a"]
    assert [e.engine for e in a_rows] == [1.0, 2.0]
    assert [e.symbolic for e in a_rows] == [3.0, 5.0]
    assert [e.closed_form for e in a_rows] == ["b_0", "b_1"]
    (custom,) = report.custom
    labels = {e.label: e for e in custom.elements}
    assert set(labels) == {"SwappedMul.backward: a[0]", "SwappedMul.backward: a[1]",
                           "SwappedMul.backward: b[0]", "SwappedMul.backward: b[1]"}
    assert labels["SwappedMul.backward: a[1]"].closed_form == "5"
    assert labels["SwappedMul.backward: a[1]"].engine == 2.0
    assert not any(e.ok for e in custom.elements)


class NumpySquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.tensor(np.square(x.detach().numpy()))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class NumpySquareWrong(NumpySquare):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


@pytest.mark.parametrize(("fn", "ok"), [(NumpySquare, True), (NumpySquareWrong, False)])
def test_forward_outside_engine_ops_falls_back_to_finite_differences(record, fn, ok):
    with record() as rec:
        x = torch.tensor([1.0, -2.0], requires_grad=True, dtype=torch.float64)
        fn.apply(x).sum().backward()
    (report,) = check_all(rec.calls)
    (custom,) = report.custom
    assert not custom.replayed and "does not depend on the inputs" in custom.reason
    assert any("could not be replayed" in n for n in report.notes)
    assert report.ok is ok
    for e in report.elements:
        assert e.symbolic is None and e.closed_form == ""
        assert e.finite == pytest.approx(2 * float(x[e.index[0]]), rel=1e-6)
    assert [e.ok for e in custom.elements] == [ok, ok]


class Noisy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        print("forward ran")
        return x * torch.rand(1).item()  # random: can't be replayed faithfully

    @staticmethod
    def backward(ctx, g):
        return g


def test_random_forward_is_not_trusted_and_rng_state_is_kept(record):
    torch.manual_seed(3)
    expected_next = (torch.rand(1), torch.rand(1))[1].item()
    torch.manual_seed(3)
    with record() as rec:
        x = torch.tensor([1.0], requires_grad=True)
        Noisy.apply(x).sum().backward()
        after = torch.rand(1).item()
    assert after == expected_next  # the replay and the finite-difference runs restored the RNG
    (report,) = check_all(rec.calls)
    (custom,) = report.custom
    assert not custom.replayed
    assert not replaying()


class TwoOutputs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, n):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * scale, x.pow(n)

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * ctx.scale + g2 * 3 * x**2, None, None


def test_multi_output_function_with_non_tensor_arguments(record):
    with record() as rec:
        x = torch.tensor([1.0, -2.0], requires_grad=True)
        a, b = TwoOutputs.apply(x, 0.5, 3)
        (a.sum() + (b * torch.tensor([1.0, 2.0])).sum()).backward()
    assert x.grad.tolist() == [0.5 + 3.0, 0.5 + 24.0]
    (report,) = check_all(rec.calls)
    assert report.ok
    (custom,) = report.custom
    assert custom.replayed and [e.label for e in custom.elements] == [
        "TwoOutputs.backward: x[0]", "TwoOutputs.backward: x[1]"]
    assert [e.symbolic for e in custom.elements] == [3.5, 24.5]
    assert [e.closed_form for e in report.elements] == ["3*x_0**2 + 0.5", "6*x_1**2 + 0.5"]


class DetachedSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x.detach()  # right value, but not differentiable: d²/dx² is lost


def test_a_backward_that_is_right_but_not_differentiable_is_caught_at_second_order(record):
    with record() as rec:
        x = torch.tensor(1.5, requires_grad=True)
        y = DetachedSquare.apply(x) + x**3
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        torch.autograd.grad(g, x)
    first, second = check_all(rec.calls)
    assert first.ok and first.elements[0].closed_form == "3*x**2 + 2*x"
    assert not second.ok and second.order == 2
    (e,) = second.elements
    # d²/dx² (x² + x³) = 2 + 6x = 11 at 1.5; the engine lost the 2
    assert (e.closed_form, e.symbolic, e.engine) == ("6*x + 2", 11.0, 9.0)
    assert "engine disagrees with the closed form" in e.note


def test_a_large_function_input_is_sampled_and_the_report_says_so(record):
    torch.manual_seed(8)
    with record() as rec:
        x = torch.randn(100, requires_grad=True)
        MyReLU.apply(x * 1.0).sum().backward()
    (report,) = check_all(rec.calls, Options(max_elements=10))
    (custom,) = report.custom
    assert len(custom.elements) == 10 and len({e.index for e in custom.elements}) == 10
    assert "MyReLU.backward: input has 100 elements: a random sample of 10 is checked" in \
        report.notes
    xs = x.detach().numpy()
    for e in custom.elements:  # relu' is the step at 0: 1 where the input is positive
        assert e.ok and e.symbolic == (1.0 if xs[e.index] > 0 else 0.0)
