"""A derivative of a derivative (``create_graph=True``) in matrix notation: the recorded graph
of the first backward (its ``PowBackward0``'s products, ``tanh_backward``, index's scatter) is
differentiated like any other and compared with the engine's grad at every element; and the
scalar closed form of such a call keeps the dependence on tensors that were constants of the
first call (a gradient penalty's weights)."""

import numpy as np
import pytest

import engine as torch
from engine import nn
from symbolic import check_all

F = nn.functional


def _t(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(-1.5, 1.5, shape), dtype=torch.float64, requires_grad=True)


def _forms_ok(report):
    for t in report.targets:
        mf = t.matrix_form
        assert mf is not None, (t.name, report.notes)
        assert mf.ok and mf.compared == t.total, (t.name, mf)


def test_a_gradient_penalty_is_checked_in_both_notations(record):
    with record() as rec:
        x = _t(2, seed=1)
        W = _t(2, 2, seed=2)
        f = (torch.tanh(W @ x) ** 2).sum() + (x ** 3).sum()
        (df,) = torch.autograd.grad(f, x, create_graph=True)
        (df * df).sum().backward()
    first, second = check_all(rec.calls)
    assert second.order == 2
    for r in (first, second):
        _forms_ok(r)
        assert r.ok and r.complete, r.notes
    # W was a constant of the first call and is a target of the second: its closed form is
    # not 0 (the engine's grad is not), and all three agree
    by = {t.name: t for t in second.targets}
    assert all(e.symbolic is not None and abs(e.symbolic) > 1e-3 and e.ok
               for e in by["W"].elements)
    assert "∂L/∂df = 2·df" in [c[0] for c in second.chain]


@pytest.mark.parametrize("f", [lambda x: x.relu(), lambda x: F.elu(x, 0.7),
                               lambda x: F.leaky_relu(x, 0.2),
                               lambda x: F.hardtanh(x, -0.5, 0.8), lambda x: x.tanh(),
                               lambda x: x.sigmoid(), lambda x: x[torch.tensor([0, 2, 2])]],
                         ids=["relu", "elu", "leaky_relu", "hardtanh", "tanh", "sigmoid",
                              "index"])
def test_an_activations_recorded_backward_has_a_matrix_form(record, f):
    with record() as rec:
        x = _t(5, seed=3)
        (g,) = torch.autograd.grad((f(x) ** 3).sum(), x, create_graph=True)
        (g * _t(5, seed=4)).sum().backward()
    _, second = check_all(rec.calls)
    assert second.ok and second.order == 2, second.notes
    _forms_ok(second)


def test_the_second_derivative_lesson_has_forms_at_every_order(record):
    from desktop import lessons
    from engine.script_namespace import new_namespace

    lesson = next(x for x in lessons.all_lessons() if x.id == "second-derivative")
    with record() as rec:
        exec(compile(lesson.code, "<lesson>", "exec"),
             new_namespace(print=lambda *a, **k: None, file="<lesson>"))
    reports = check_all(rec.calls)
    assert [r.order for r in reports] == [1, 2, 3]
    for r in reports:
        _forms_ok(r)
        assert r.ok and r.complete
    assert [r.targets[0].elements[0].engine for r in reports] == [10.0, 12.0, 6.0]
