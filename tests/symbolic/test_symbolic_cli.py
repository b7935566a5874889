"""`stepgrad check FILE.py`: a table per backward/grad call, exit 1 on any disagreement."""

import textwrap

import pytest

from symbolic.cli import main

SEED = """
import torch
w = torch.tensor([[3.0, 1.0]], requires_grad=True)
b = torch.tensor([[3.0]], requires_grad=True)
X = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
Y = torch.tensor([[2.0, 3.0]])

class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        print("forward called")
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        {mask}
        return grad_input

loss = torch.mean(torch.pow(MyReLU.apply(X @ w.t() + b) - Y, 2))
loss.backward()
print(w.grad)
"""


def script(tmp_path, text, name="model.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


@pytest.mark.parametrize("argv0", [["check"], []])
def test_all_agree_exits_zero_and_prints_a_table(tmp_path, capsys, argv0):
    path = script(tmp_path, SEED.format(mask="grad_input[input < 0] = 0"))
    assert main([*argv0, path]) == 0
    out = capsys.readouterr().out
    assert out.count("forward called") == 1  # the check's replays of forward print nothing
    assert "tensor([[4.5000, 4.5000]])" in out
    assert "call 1: backward() at model.py:" in out
    assert "w[0, 0]" in out and "b[0, 0]" in out and "MISMATCH" not in out
    assert "custom Function MyReLU" in out
    assert "all agree" in out


def test_wrong_backward_exits_one_and_shows_where(tmp_path, capsys):
    path = script(tmp_path, SEED.format(mask="pass"))
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH w[0, 0]: engine 7, closed form 4.5, finite difference 4.5" in out
    assert "custom Function MyReLU at model.py:22: backward vs derivative of forward" in out
    assert "MISMATCH MyReLU.backward: input[0, 0]: backward returned -2.5, closed form 0" in out
    assert "∂/∂input_0_0 = -2.5*Heaviside(input_0_0, 1)" in out


def test_higher_order_and_script_errors(tmp_path, capsys):
    path = script(tmp_path, """
        import torch
        x = torch.tensor(0.0, requires_grad=True)
        y = torch.pow(x, 2) - 2 * x + 1
        g = torch.autograd.grad(y, x, create_graph=True)[0]
        torch.autograd.grad(g, x)
        raise ValueError("boom")
    """)
    assert main(["check", path]) == 2
    captured = capsys.readouterr()
    assert "ValueError: boom" in captured.err
    assert "call 2: autograd.grad() at model.py:6, 2nd order  [ok" in captured.out


def test_no_gradients_and_missing_file(tmp_path, capsys):
    assert main(["check", script(tmp_path, "x = 1\n")]) == 0
    assert "computed no gradients" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "nope.py")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_real_torch_is_left_alone(tmp_path, capsys):
    import sys

    before = sys.modules.get("torch")
    path = script(tmp_path, "import torch\nimport torch.nn as nn\n"
                            "assert torch.__name__ == 'engine'\n"
                            "assert nn.__name__ == 'engine.nn'\n")
    assert main(["check", path]) == 0
    assert sys.modules.get("torch") is before


def test_max_calls(tmp_path, capsys):
    path = script(tmp_path, """
        import torch
        w = torch.tensor([1.0], requires_grad=True)
        for i in range(5):
            (w * w).sum().backward()
    """)
    assert main(["check", "--max-calls", "3", "--per-line", "0", path]) == 0
    out = capsys.readouterr().out
    assert "call 3:" in out and "call 4:" not in out
    assert "2 later calls not checked" in out
    assert main(["check", path]) == 0  # default: two calls per line
    out = capsys.readouterr().out
    assert "call 2:" in out and "call 3:" not in out and "3 later calls" in out


BAD_SCRIPTS = {
    "syntax": ("import torch\ny = (1 +\n", ["model.py\", line 2", "SyntaxError:",
                                            "does not compile"]),
    "raises": ("import torch\ndef f(x):\n    return x @ torch.ones(3)\n"
               "f(torch.ones(2, requires_grad=True)).backward()\n",
               ["Traceback (most recent call last):", "model.py\", line 4, in <module>",
                "model.py\", line 3, in f", "RuntimeError: inconsistent tensor size",
                "failed before any backward()"]),
    "exits": ("import sys\nsys.exit(3)\n", ["exited with status 3"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SCRIPTS))
def test_bad_scripts_get_a_clear_message_without_our_frames(tmp_path, capsys, case):
    text, expected = BAD_SCRIPTS[case]
    assert main(["check", script(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    for piece in expected:
        assert piece in err, (piece, err)
    for ours in ("symbolic/cli.py", "engine/", "exec(code"):
        assert ours not in err, err


def test_unreadable_files(tmp_path, capsys):
    binary = tmp_path / "data.py"
    binary.write_bytes(b"\xff\xfe\x00junk")
    assert main(["check", str(binary)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["check", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    latin = tmp_path / "latin.py"  # a declared encoding is honoured, as python does
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nprint('caf\xe9')\n")
    assert main(["check", str(latin)]) == 0
    assert "café" in capsys.readouterr().out


def test_interrupt_exits_130(tmp_path, capsys):
    assert main(["check", script(tmp_path, "raise KeyboardInterrupt\n")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_an_internal_error_is_reported_and_the_other_calls_still_checked(
        tmp_path, capsys, monkeypatch):
    import symbolic.checker as checker

    real = checker.check
    calls = []

    def flaky(call, *a, **k):
        calls.append(call)
        if len(calls) == 1:
            raise ValueError("bug of ours")
        return real(call, *a, **k)

    monkeypatch.setattr(checker, "check", flaky)
    path = script(tmp_path, """
        import torch
        w = torch.tensor([1.0], requires_grad=True)
        (w * w).sum().backward()
        (w * 3).sum().backward()
    """)
    assert main(["check", path]) == 3  # not everything was checked
    captured = capsys.readouterr()
    assert "internal error checking call 1: backward() at model.py:4: ValueError: bug of ours" \
        in captured.err
    assert "call 2: backward() at model.py:5  [ok" in captured.out


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--max-elements", "0", "must be at least 1, not 0"),
    ("--time-limit", "-1", "must be at least 0, not -1"),
    ("--max-calls", "many", "not a number: 'many'"),
])
def test_bad_options_are_usage_errors(tmp_path, capsys, flag, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["check", flag, value, script(tmp_path, "x = 1\n")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_full_lists_every_element_including_the_functions(tmp_path, capsys):
    path = script(tmp_path, SEED.format(mask="pass"))
    assert main(["check", "--full", path]) == 1
    out = capsys.readouterr().out
    assert "element MyReLU.backward: input[1, 0]: backward returned 4.5, closed form 4.5" in out
    assert "MISMATCH MyReLU.backward: input[0, 0]: backward returned -2.5" in out
    assert "∂/∂input_1_0 = 4.5*Heaviside(input_1_0, 1)" in out


OPAQUE = """
import numpy as np
import torch

class NumpyCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.tensor(np.power(x.detach().numpy(), 3))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return {k} * x**2 * g

x = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
NumpyCube.apply(x).sum().backward()
"""


# a right backward: no disagreement, but compared with finite differences only (no closed
# form of a numpy forward): "not fully checked" (3), never "all agree"
@pytest.mark.parametrize(("k", "status"), [(3, 3), (2, 1)])
def test_a_forward_that_cannot_be_replayed_says_so_and_uses_finite_differences(
        tmp_path, capsys, k, status):
    assert main(["check", script(tmp_path, OPAQUE.format(k=k))]) == status
    out = capsys.readouterr().out
    assert "custom Function NumpyCube at model.py:17: backward vs derivative of forward " \
           "(forward not replayed (its result does not depend on the inputs" in out
    assert "finite differences only)" in out
    if status == 1:  # 2·(-2)² = 8 where d(x³)/dx = 12
        assert "MISMATCH NumpyCube.backward: x[1]: backward returned 8, closed form —, " \
               "finite difference 12" in out


def test_a_kink_at_the_point_is_not_a_false_alarm(tmp_path, capsys):
    # relu at exactly 0: the engine (and PyTorch) say 0, the central difference 0.5 at any step
    path = script(tmp_path, "import torch\nx = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)\n"
                            "x.relu().sum().backward()\n")
    # no disagreement; the re-run's estimate along a direction through the kink proves nothing
    # either way, which is "not fully checked" (3), not a failure
    assert main(["check", "--full", path]) == 3
    out = capsys.readouterr().out
    assert "independent check (inconclusive)" in out and "on a kink" in out
    assert "MISMATCH" not in out
    assert main(["check", "--no-rerun", path]) == 0
    assert "element x[1]: engine 0, closed form 0, finite difference 0.5" in out
    assert "(finite difference unreliable here (kink or rounding))" in out


def test_a_small_cnn_is_checked_completely_and_exits_zero(tmp_path, capsys):
    # every element of the conv layer's grads compared through its matrix form, its sampled
    # elements also as exact scalar closed forms and finite differences: nothing left underived
    path = script(tmp_path, """
        import torch
        from torch import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(2 * 8 * 8, 3))
        X = torch.randn(4, 1, 16, 16)
        t = torch.tensor([0, 2, 1, 2])
        loss = nn.functional.cross_entropy(model(X), t)
        loss.backward()
    """)
    assert main(["check", path]) == 0
    out = capsys.readouterr().out
    assert "not derived" not in out and "MISMATCH" not in out
    assert "model_0_weight" in out and "all agree" in out


def test_an_observer_routed_on_the_calling_thread_does_not_hide_the_script(tmp_path, capsys):
    # an in-process caller (a test, an embedding app) may have its own observer on this thread;
    # the check's recorder and its re-run's probe must still see the script's calls
    from engine import observe

    path = script(tmp_path, "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                            "(x * x).sum().backward()\n")
    other = observe.Observer()
    with observe.attached(other):
        assert main(["check", path]) == 0
    out = capsys.readouterr().out
    assert "call 1: backward() at model.py:3" in out and "all agree" in out
    assert "independent check (agree" in out
