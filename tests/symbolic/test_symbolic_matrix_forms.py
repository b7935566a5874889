"""Backprop in matrix notation, in the script's own names: the chain of equations from L to
each parameter, each form's value compared with the engine's grad at every element."""

import textwrap

import numpy as np
import pytest

import engine as torch
from engine import nn
from symbolic import check, check_all
from symbolic.cli import main


def _mlp(record, act=torch.tanh, seed=0):
    torch.manual_seed(seed)
    with record() as rec:
        X = torch.randn(16, 4)
        Y = torch.randn(16, 1)
        W1 = torch.randn(8, 4, requires_grad=True)
        b1 = torch.zeros(8, requires_grad=True)
        W2 = torch.randn(1, 8, requires_grad=True)
        b2 = torch.zeros(1, requires_grad=True)
        Z = X @ W1.T + b1
        H = act(Z)
        Y_hat = H @ W2.T + b2
        L = ((Y_hat - Y) ** 2).mean()
        L.backward()
    return rec.calls[0], dict(X=X, Y=Y, W1=W1, b1=b1, W2=W2, b2=b2)


def test_the_two_layer_tanh_mlp_gives_the_textbook_equations(record):
    call, _ = _mlp(record)
    report = check(call)
    assert report.ok
    forms = {t.name: t.matrix_form for t in report.targets}
    assert forms["W2"].text == "∂L/∂W2 = (∂L/∂Y_hat)ᵀ·H"
    assert forms["b2"].text == "∂L/∂b2 = Σ_rows ∂L/∂Y_hat"
    assert forms["W1"].text == "∂L/∂W1 = (∂L/∂Z)ᵀ·X"
    assert forms["b1"].text == "∂L/∂b1 = Σ_rows ∂L/∂Z"
    assert [c[0] for c in forms["W1"].chain] == [
        "∂L/∂Y_hat = 2/16·(Y_hat − Y)",
        "∂L/∂H = ∂L/∂Y_hat·W2",
        "∂L/∂Z = ∂L/∂H ⊙ (1 − H²)",
    ]
    # W2's chain stops at Y_hat: H and Z lie below it
    assert [c[0] for c in forms["W2"].chain] == ["∂L/∂Y_hat = 2/16·(Y_hat − Y)"]
    assert forms["W1"].latex == r"\frac{\partial L}{\partial W_{1}} = \left(\frac{\partial L}" \
                                r"{\partial Z}\right)^{T} X"
    lines = [c[0] for c in report.chain]
    assert lines.index("∂L/∂Y_hat = 2/16·(Y_hat − Y)") < lines.index("∂L/∂Z = ∂L/∂H ⊙ (1 − H²)")


def test_every_element_of_the_matrix_forms_equals_the_engine_and_the_hand_derivation(record):
    call, v = _mlp(record)
    report = check(call)
    x, y = (v[k].numpy().astype(float) for k in "XY")
    w1, b1, w2, b2 = (v[k].detach().numpy().astype(float) for k in ("W1", "b1", "W2", "b2"))
    h = np.tanh(x @ w1.T + b1)
    d_yhat = 2 / 16 * (h @ w2.T + b2 - y)
    d_z = (d_yhat @ w2) * (1 - h**2)
    want = {"W1": d_z.T @ x, "b1": d_z.sum(0), "W2": d_yhat.T @ h, "b2": d_yhat.sum(0)}
    for t in report.targets:
        mf = t.matrix_form
        assert mf.ok and mf.compared == t.total and mf.mismatched == 0
        np.testing.assert_allclose(v[t.name].grad.numpy(), want[t.name], rtol=1e-5, atol=1e-6)


def test_relu_is_written_with_an_indicator(record):
    call, _ = _mlp(record, act=torch.relu, seed=1)
    report = check(call)
    assert report.ok
    chain = [c for t in report.targets for c in t.matrix_form.chain]
    assert ("∂L/∂Z = ∂L/∂H ⊙ 1[Z > 0]", r"\frac{\partial L}{\partial Z} = \frac{\partial L}"
            r"{\partial H} \odot \mathbb{1}\left[Z > 0\right]") in chain
    assert not any("Heaviside" in c[0] for c in chain)


def test_a_sequential_model_gets_generated_names_and_cross_entropy(record):
    torch.manual_seed(2)
    with record() as rec:
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
        X = torch.randn(6, 4)
        t = torch.randint(0, 3, (6,))
        loss = nn.functional.cross_entropy(model(X), t)
        loss.backward()
    (report,) = check_all(rec.calls)
    assert report.ok and all(tg.matrix_form.ok for tg in report.targets)
    lines = [c[0] for c in report.chain]
    assert lines[:5] == ["L = loss", "Z1 = X·model_0_weightᵀ + model_0_bias", "A1 = relu(Z1)",
                         "Z2 = A1·model_2_weightᵀ + model_2_bias", "logp1 = log_softmax(Z2)"]
    assert "∂L/∂logp1 = −1/6·onehot(y)" in lines
    assert "∂L/∂model_0_weight = (∂L/∂Z1)ᵀ·X" in lines


def test_broadcasting_is_summed_over_the_broadcast_axes(record):
    with record() as rec:
        w = torch.tensor([[3.0, 1.0]], requires_grad=True)
        b = torch.tensor([[3.0]], requires_grad=True)
        X = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
        Y = torch.tensor([[2.0, 3.0]])
        Y_hat = (X @ w.t() + b).clamp(min=0)
        loss = torch.mean(torch.pow(Y_hat - Y, 2))  # [2, 1] - [1, 2]: a 2x2 broadcast
        loss.backward()
    (report,) = check_all(rec.calls)
    assert report.ok
    lines = [c[0] for c in report.chain]
    assert "∂L/∂Y_hat = 2/4·Σ_cols (Y_hat − Y)" in lines
    w_form = report.targets[0].matrix_form
    assert w_form.text == "∂L/∂w = (∂L/∂Y_hat ⊙ 1[X·wᵀ + b ≥ 0])ᵀ·X" and w_form.ok
    assert w.grad.tolist() == [[4.5, 4.5]]


def test_an_op_without_a_matrix_rule_still_gets_the_elementwise_check(record, monkeypatch):
    from symbolic import matrix_rules

    monkeypatch.delitem(matrix_rules.RULES, "tanh")
    call, _ = _mlp(record)
    report = check(call)
    forms = {t.name: t.matrix_form for t in report.targets}
    assert forms["W1"] is None and forms["W2"].ok  # W2's path does not pass through tanh
    assert any("∂L/∂W1: no matrix form for TanhBackward0" in n for n in report.notes)
    assert report.ok and all(e.checked and e.symbolic is not None for e in report.elements)


def test_activations_without_a_hand_written_row_take_theirs_from_the_scalar_rule(record):
    torch.manual_seed(3)
    with record() as rec:
        x = torch.randn(5, requires_grad=True)
        h = nn.functional.leaky_relu(x, 0.1)
        L = (h * h).sum()
        L.backward()
    (report,) = check_all(rec.calls)
    mf = report.targets[0].matrix_form
    assert report.ok and mf.ok and mf.compared == 5
    assert "1[x > 0]" in mf.text or any("1[x > 0]" in c[0] for c in mf.chain)


def test_stepgrad_check_prints_the_chain(tmp_path, capsys):
    path = tmp_path / "mlp.py"
    path.write_text(textwrap.dedent("""
        import torch
        torch.manual_seed(0)
        X, Y = torch.randn(16, 4), torch.randn(16, 1)
        W1 = torch.randn(8, 4, requires_grad=True)
        b1 = torch.zeros(8, requires_grad=True)
        W2 = torch.randn(1, 8, requires_grad=True)
        b2 = torch.zeros(1, requires_grad=True)
        Z = X @ W1.T + b1
        H = torch.tanh(Z)
        Y_hat = H @ W2.T + b2
        L = ((Y_hat - Y)**2).mean()
        L.backward()
    """))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  backward in matrix form:\n    ∂L/∂Y_hat = 2/16·(Y_hat − Y)\n" in out
    assert "    ∂L/∂W1 = (∂L/∂Z)ᵀ·X\n" in out
    assert "∂L/∂W1: matrix form = engine grad at all 32 elements" in out
    assert "every element of 4 gradients compared with its matrix form (49 elements, all agree)" \
        in out


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_large_graphs_derive_a_few_scalar_forms_along_one_unit(record, act):
    torch.manual_seed(4)
    with record() as rec:
        model = nn.Sequential(nn.Linear(4, 32), getattr(nn, act.capitalize() if act == "tanh"
                                                       else "ReLU")(), nn.Linear(32, 1))
        X, Y = torch.randn(16, 4), torch.randn(16, 1)
        nn.functional.mse_loss(model(X), Y).backward()
    (report,) = check_all(rec.calls)
    assert report.ok and report.complete, report.notes
    w = report.targets[0]
    assert w.checked == 4 and w.matrix_form.compared == 128
    assert len({e.index[0] for e in w.elements}) == 1  # one row: one hidden unit


CUSTOM = """
import torch

class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        {mask}
        return grad_input

w = torch.tensor([[3.0, 1.0]], requires_grad=True)
b = torch.tensor([[3.0]], requires_grad=True)
X = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
Y = torch.tensor([[2.0, 3.0]])
loss = torch.mean(torch.pow(MyReLU.apply(X @ w.t() + b) - Y, 2))
loss.backward()
"""


@pytest.mark.parametrize(("mask", "status"), [("grad_input[input < 0] = 0", 0), ("pass", 1)])
def test_a_custom_backward_is_shown_beside_the_derivative_of_its_forward(tmp_path, capsys, mask,
                                                                        status):
    path = tmp_path / "relu.py"
    path.write_text(CUSTOM.format(mask=mask))
    assert main(["check", str(path)]) == status
    out = capsys.readouterr().out
    assert "    derivative of its forward: ∂L/∂input = grad_output ⊙ 1[input ≥ 0]\n" in out
    if status == 0:
        assert "    MyReLU.backward returned exactly that (all 2 elements)\n" in out
        # the chain goes through what the user's backward returned
        assert "∂L/∂w = MyReLU.backward(" in out
    else:  # without the mask, the negative input's grad leaks through
        assert "    MyReLU.backward DISAGREES with it at 1 of 2 elements" in out


def test_a_custom_forms_record_keeps_the_backward_source(record):
    with record() as rec:
        exec(compile(CUSTOM.format(mask="grad_input[input < 0] = 0").replace(
            "import torch", "import engine as torch"), "<custom>", "exec"), {})
    (report,) = check_all(rec.calls)
    (custom,) = report.custom
    (form,) = custom.forms
    assert form.ok and form.compared == 2 and form.text == "∂L/∂input = grad_output ⊙ " \
                                                          "1[input ≥ 0]"


def test_concatenation_selection_and_running_sums_have_matrix_forms(record):
    torch.manual_seed(5)
    with record() as rec:
        x = torch.randn(3, 4, requires_grad=True)
        y = torch.randn(3, 2, requires_grad=True)
        z = torch.cat([x, y], 1)
        w = torch.where(x > 0, x, 2 * x)
        c = x.cumsum(1)
        m = torch.maximum(x, torch.zeros(3, 4))
        L = (z * z).sum() + (w * c).sum() + m.sum()
        L.backward()
    (report,) = check_all(rec.calls)
    assert report.ok and all(t.matrix_form is not None and t.matrix_form.ok
                             for t in report.targets)
    lines = [c[0] for c in report.chain]
    assert any("(∂L/∂z)[:, 4:6]" in line for line in lines)
    assert any("reverse_cumsum(w)" in line for line in lines)  # ∂L/∂c = w, written inline
    assert any("c ⊙ 1[cond]" in line for line in lines)
    assert any("1[x − 0 > 0]" in line for line in lines)  # torch.zeros(3, 4) shown as its value


def test_every_lesson_gets_matrix_forms_at_every_order(record):
    from desktop import lessons
    from engine.script_namespace import new_namespace

    for lesson in lessons.all_lessons():
        with record(max_calls=3) as rec:
            ns = new_namespace(print=lambda *a, **k: None, file="<lesson>")
            try:
                exec(compile(lesson.code, "<lesson>", "exec"), ns)
            except RuntimeError:
                pass  # the lessons about errors end in one
        for r in check_all(rec.calls):
            assert r.ok, (lesson.id, r.title)
            if r.error is None:  # (the lessons about errors: their failing call)
                assert r.complete, (lesson.id, r.title, r.notes)
                assert all(t.matrix_form is not None and t.matrix_form.ok for t in r.targets), \
                    (lesson.id, r.title, r.notes)


ELEMENTWISE = {  # op -> inputs in its domain
    "tan": (lambda x: x.tan(), 0.5), "asin": (lambda x: x.asin(), 0.5),
    "acos": (lambda x: x.acos(), 0.5), "asinh": (lambda x: x.asinh(), 1.0),
    "acosh": (lambda x: (x + 2).acosh(), 0.5), "atanh": (lambda x: x.atanh(), 0.5),
    "expm1": (lambda x: x.expm1(), 1.0), "log1p": (lambda x: x.log1p(), 0.5),
    "sinh": (lambda x: x.sinh(), 1.0), "atan": (lambda x: x.atan(), 1.0),
    "rsqrt": (lambda x: (x + 2).rsqrt(), 0.5),
    "selu": (lambda x: nn.functional.selu(x), 1.0),
    "mish": (lambda x: nn.functional.mish(x), 1.0),
    "hardswish": (lambda x: nn.functional.hardswish(x), 1.0),
    "clamp_max": (lambda x: x.clamp(max=0.1), 1.0),
}


@pytest.mark.parametrize("op", sorted(ELEMENTWISE))
def test_elementwise_functions_take_their_matrix_form_from_the_scalar_rule(record, op):
    fn, spread = ELEMENTWISE[op]
    torch.manual_seed(6)
    with record() as rec:
        try:
            x = (torch.rand(6, dtype=torch.float64) * 2 - 1).mul(spread).requires_grad_()
            L = (fn(x) * torch.arange(1.0, 7.0, dtype=torch.float64)).sum()
        except (AttributeError, NotImplementedError) as exc:
            pytest.skip(f"this engine has no {op}: {exc}")
        L.backward()
    (report,) = check_all(rec.calls)
    mf = report.targets[0].matrix_form
    assert report.ok and mf is not None and mf.ok and mf.compared == 6, report.notes
