"""A matrix-level rule for every op of the engine's op table: each op's textbook form evaluated
numerically and compared with the engine's grad at every element, the rules' hand-derivable
cases checked against numpy, and whole models built from these ops (a small CNN, a BatchNorm
MLP, an LSTM step, embedding + cross-entropy) checked end to end."""

import importlib
import pkgutil

import numpy as np
import pytest
from test_symbolic_rules import CASES

import engine
import engine as torch
from engine import nn
from engine.ops import OPS
from symbolic import check, check_all
from symbolic.matrix_table import rule_for
from symbolic.matrix_rules_more import NO_MATRIX_FORM

for _mod in pkgutil.walk_packages(engine.__path__, "engine."):
    importlib.import_module(_mod.name)


def test_every_op_in_the_table_has_a_matrix_rule_or_a_stated_reason():
    missing = sorted(k for k in OPS if rule_for(k) is None and k not in NO_MATRIX_FORM)
    assert not missing, (f"ops without a matrix rule or a reason: {missing} (add a rule to "
                         "symbolic/matrix_rules_more.py, or say why there is none in its "
                         "NO_MATRIX_FORM)")
    # a reason is for an op that has no rule, never beside one
    assert not [k for k in NO_MATRIX_FORM if rule_for(k) is not None]


def _forms(report):
    return {t.name: t.matrix_form for t in report.targets}


@pytest.mark.parametrize("key", sorted(k for k in OPS if k in CASES and CASES[k] is not None
                                       and k not in NO_MATRIX_FORM))
def test_the_matrix_form_of_each_op_equals_the_engines_grad_at_every_element(record, key):
    with record() as rec:
        CASES[key]().backward()
    (report,) = check_all(rec.calls)
    assert any(n.key == key for n in rec.calls[0].graph.nodes)
    assert report.ok, report.notes
    for t in report.targets:
        mf = t.matrix_form
        assert mf is not None, (key, t.name, report.notes)
        assert mf.ok and mf.compared == t.total and mf.mismatched == 0, (key, t.name, mf)
        assert "Heaviside" not in mf.text and "np." not in mf.text, mf.text


def test_a_wrong_value_in_a_rule_is_reported_as_a_mismatch(record, monkeypatch):
    # the comparison is real: a rule that puts the grad one place off is caught
    from symbolic import matrix_rules_more as more

    real = more.RULES_MORE["roll"]

    def shifted(node, ins, out, g):
        (r,) = real(node, ins, out, g)
        r.value = np.roll(r.value, 1)
        return [r]

    monkeypatch.setitem(more.RULES_MORE, "roll", shifted)
    with record() as rec:
        x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        w = torch.tensor([1.0, 10.0, 100.0, 1000.0])
        (x.roll(1) * w).sum().backward()
    (report,) = check_all(rec.calls)
    mf = report.targets[0].matrix_form
    assert mf is not None and not mf.ok and mf.mismatched == 4
    assert not report.ok


def test_textbook_forms_of_selections_and_reductions(record):
    torch.manual_seed(1)
    with record() as rec:
        X = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        idx = torch.tensor([[0, 3], [1, 1], [2, 0]])
        G = X.gather(1, idx)
        M = X.amax(1)
        S = torch.logsumexp(X, 1)
        V = X.var(0)
        L = (G ** 2).sum() + M.sum() + S.sum() + V.sum()
        L.backward()
    (report,) = check_all(rec.calls)
    assert report.ok and _forms(report)["X"].ok
    lines = " ".join(c[0] for c in report.chain)
    assert "scatter_add(0, index, " in lines
    assert "1[X = M] ⊘ #ties" in lines
    assert "exp(X − S)" in lines
    assert "2/2·(X − mean(X))" in lines
    x = X.detach().numpy()
    want = np.zeros_like(x)
    np.add.at(want, (np.arange(3)[:, None], idx.numpy()), 2 * np.take_along_axis(x, idx.numpy(),
                                                                                1))
    want += x == x.max(1, keepdims=True)
    e = np.exp(x - x.max(1, keepdims=True))
    want += e / e.sum(1, keepdims=True)
    want += 2 * (x - x.mean(0)) / 2
    np.testing.assert_allclose(X.grad.numpy(), want, rtol=1e-12)


def test_ties_of_a_maximum_share_the_gradient(record):
    with record() as rec:
        x = torch.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
        x.max().backward()
    (report,) = check_all(rec.calls)
    mf = report.targets[0].matrix_form
    assert mf.ok and x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]


def _all_forms_ok(report):
    assert report.ok, report.notes
    for t in report.targets:
        assert t.matrix_form is not None, (t.name, report.notes)
        assert t.matrix_form.ok and t.matrix_form.compared == t.total, t.name


def test_a_small_cnn_is_checked_end_to_end(record):
    torch.manual_seed(0)
    with record() as rec:
        model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(3, 2, 2, stride=2), nn.Tanh(), nn.Flatten(),
                              nn.Linear(2 * 2 * 2, 3))
        X = torch.randn(2, 1, 8, 8)
        y = torch.tensor([0, 2])
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)
    lines = " ".join(c[0] for c in report.chain) + " ".join(
        t.matrix_form.text for t in report.targets)
    assert "corr(X, " in lines and "conv_transpose(" in lines and "max_unpool(" in lines
    assert "Σ_(n,h,w)" in lines


def test_a_batchnorm_mlp_is_checked_end_to_end(record):
    torch.manual_seed(0)
    with record() as rec:
        model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
        X = torch.randn(8, 3)
        Y = torch.randn(8, 1)
        loss = nn.functional.mse_loss(model(X), Y)
        loss.backward()
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)
    text = " ".join(t.matrix_form.text for t in report.targets) + " ".join(
        c[0] for c in report.chain)
    assert "mean(ĝ ⊙ x̂)" in text and "Σ" in text


def test_an_lstm_step_is_checked_end_to_end(record):
    torch.manual_seed(0)
    with record() as rec:
        cell = nn.LSTMCell(3, 4)
        x = torch.randn(2, 3)
        h0, c0 = torch.zeros(2, 4), torch.zeros(2, 4)
        h, c = cell(x, (h0, c0))
        loss = (h ** 2).sum() + c.sum()
        loss.backward()
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)


def test_embedding_and_cross_entropy_are_checked_end_to_end(record):
    torch.manual_seed(0)
    with record() as rec:
        emb = nn.Embedding(5, 3)
        head = nn.Linear(3, 5)
        tokens = torch.tensor([[1, 4, 1], [0, 2, 3]])
        targets = torch.tensor([[4, 1, 0], [2, 3, 3]])
        logits = head(emb(tokens))
        loss = nn.functional.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1))
        loss.backward()
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)
    assert any("index_add_0(0, indices, " in (t.matrix_form.text + " ".join(
        c[0] for c in t.matrix_form.chain)) for t in report.targets)


def test_split_and_moments_with_two_outputs(record):
    torch.manual_seed(2)
    with record() as rec:
        X = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        a, b = X.split([1, 3], 0)
        v, m = torch.var_mean(X, 1)
        L = (a ** 2).sum() + (b * 3).sum() + (v * m).sum()
        L.backward()
    report = check(rec.calls[0])
    assert report.ok and _forms(report)["X"].ok
    lines = " ".join(c[0] for c in report.chain) + _forms(report)["X"].text
    assert "cat_0(" in lines and "mean(X)" in lines


def test_attention_with_shared_key_heads_and_a_causal_mask(record):
    F = nn.functional
    torch.manual_seed(4)
    with record() as rec:
        q = torch.randn(1, 4, 3, 2, dtype=torch.float64, requires_grad=True)
        k = torch.randn(1, 2, 3, 2, dtype=torch.float64, requires_grad=True)
        v = torch.randn(1, 2, 3, 2, dtype=torch.float64, requires_grad=True)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        (out * out).sum().backward()
    (report,) = check_all(rec.calls)
    assert any(n.key == "sdpa_flash" for n in rec.calls[0].graph.nodes)
    _all_forms_ok(report)
    assert _forms(report)["v"].text.startswith("∂L/∂v = Pᵀ·")


def test_bilinear_upsampling_is_the_transposed_interpolation(record):
    F = nn.functional
    with record() as rec:
        x = torch.arange(4.0, dtype=torch.float64).reshape(1, 1, 2, 2).requires_grad_()
        y = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        y.sum().backward()
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)
    assert "upsample_bilinear2dᵀ(" in _forms(report)["x"].text
    assert x.grad.tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]  # each input spreads over 4 outputs


def _small_cnn(record):
    torch.manual_seed(0)
    with record() as rec:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 14 * 14, 10))
        X = torch.randn(8, 1, 28, 28)
        t = torch.randint(0, 10, (8,))
        nn.functional.cross_entropy(model(X), t).backward()
    return rec


def test_a_cnn_is_checked_completely_scalar_forms_behind_its_convolution_included(record):
    # a conv weight's scalar closed form sums over every output position: derived after the
    # linear layer's (on the time left), for one row of the weight and its channel's bias, with
    # each relu written as the piece its recorded input lies on
    rec = _small_cnn(record)
    (report,) = check_all(rec.calls)
    _all_forms_ok(report)
    assert not report.timed_out, report.notes
    by = {t.name: t for t in report.targets}
    for name in ("model_0_weight", "model_0_bias", "model_4_weight", "model_4_bias"):
        assert by[name].elements and all(e.symbolic is not None and e.ok and e.checked
                                         for e in by[name].elements), (name, report.notes)
        assert all(e.finite is not None for e in by[name].elements)
    w_rows = {e.index[0] for e in by["model_0_weight"].elements}
    assert len(w_rows) == 1 and [e.index for e in by["model_0_bias"].elements] == [
        (w_rows.pop(),)]  # the bias of the sampled weight row's channel
    assert report.complete and report.ok


def test_a_wrong_conv_weight_grad_is_caught_by_both_forms(record):
    rec = _small_cnn(record)
    call = rec.calls[0]
    ti = next(i for i, t in enumerate(call.targets) if t.name == "model_0_weight")
    (report,) = check_all(rec.calls)
    flat = next(int(np.ravel_multi_index(e.index, call.targets[ti].shape))
                for e in report.targets[ti].elements)
    wrong = np.array(call.engine[ti], copy=True)
    wrong.reshape(-1)[flat] += 0.01 * (1 + abs(wrong.reshape(-1)[flat]))
    call.engine[ti] = wrong
    (report,) = check_all(rec.calls)
    t = report.targets[ti]
    assert not t.matrix_form.ok and t.matrix_form.mismatched == 1
    bad = [e for e in t.elements if not e.ok]
    assert len(bad) == 1 and "closed form" in bad[0].note
    assert not report.ok


def test_a_relu_at_its_kink_keeps_the_full_piecewise():
    # the recorded input exactly 0: the engine's relu passes no grad there; the local piece
    # would be either side, so the Piecewise stays
    import sympy as sp

    from symbolic import mixed, rules

    z = sp.Symbol("z", real=True)
    x = np.array([z + 1, z - 1, z], dtype=object)
    with mixed.local_pieces():
        mixed._LOCAL.inputs = [np.array([1.0, -1.0, 0.0], np.float32)]
        out = mixed.MIX.relu(x)
    assert out[0] == z + 1 and out[1] == 0.0 and out[2] == rules.relu(z)
    assert mixed.MIX.relu(x)[1] == rules.relu(z - 1)  # outside the context: the full form
