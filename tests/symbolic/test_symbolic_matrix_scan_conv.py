"""Matrix forms of logcumsumexp, scatter_reduce, conv3d and the transposed convolutions: each
form's value equals the engine's grad at every element (and the engine's, the exact scalar
closed forms and finite differences agree on the same calls), over the settings that change the
math (groups, dilation, stride, output padding, zeros in a product, ties, a partial index), and
a model built from them is checked end to end."""

import numpy as np
import pytest

import engine as torch
from engine import nn
from symbolic import Options, check_all

F = nn.functional


def _t(*shape, seed=0, lo=-2.0, hi=2.0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(lo, hi, shape), dtype=torch.float64, requires_grad=True)


def _checked(record, fn, sample=64):
    # ``sample``: elements per tensor also derived as scalar closed forms (the matrix form is
    # compared at every element regardless)
    with record() as rec:
        fn().backward()
    (report,) = check_all(rec.calls, Options(max_elements=sample))
    assert report.ok, report.notes
    for t in report.targets:
        mf = t.matrix_form
        assert mf is not None, (t.name, report.notes)
        assert mf.ok and mf.compared == t.total and mf.mismatched == 0, (t.name, mf)
    return report


def _text(report):
    return " ".join(t.matrix_form.text for t in report.targets) + " ".join(
        c[0] for c in report.chain)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp_along_each_dim(record, dim):
    x = _t(3, 4, seed=1, lo=-30, hi=30)  # large values: the form must not overflow
    w = _t(3, 4, seed=2)
    r = _checked(record, lambda: (x.logcumsumexp(dim) * w).sum())
    assert "exp(x_i − " in _text(r) and "Σ_(j≥i)" in _text(r)


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_with_zeros_and_ties(record, reduce, include_self):
    # a zero factor alone and two zeros at one position (the product's grad), equal values
    # (ties of amax/amin: the tensor's own value against a scattered one, two scattered ones)
    if include_self:
        rows = [[1.5, 0.0, 2.0], [3.0, -1.0, 0.5]]
    else:  # an excluded value equal to the result counts as a tie in ATen's grad (which is
        # then not the derivative): kept out of this test
        rows = [[1.25, -0.5, 2.0], [3.5, -1.0, 0.5]]
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    src = torch.tensor([[2.0, 0.0, 1.5], [0.0, 0.0, 3.0]], dtype=torch.float64,
                       requires_grad=True)
    idx = torch.tensor([[0, 1, 0], [1, 1, 0]])
    w = _t(2, 3, seed=3)
    r = _checked(record, lambda: (x.scatter_reduce(1, idx, src, reduce,
                                                   include_self=include_self) * w).sum())
    assert "gather_1(" in _text(r)
    assert r.complete  # every element also has an exact scalar form and a finite difference


@pytest.mark.parametrize("kw", [dict(), dict(stride=(1, 2, 1), padding=1),
                                dict(dilation=(1, 2, 1), groups=2), dict(bias=False)])
def test_conv3d(record, kw):
    bias = kw.pop("bias", True)
    groups = kw.get("groups", 1)
    x = _t(2, 4, 2, 5, 3, seed=1)
    w = _t(2, 4 // groups, 2, 2, 2, seed=2)
    b = _t(2, seed=3) if bias else None
    r = _checked(record, lambda: (F.conv3d(x, w, b, **kw) ** 2).sum(), sample=6)
    assert "corr(x, " in _text(r) and "conv_transpose(" in _text(r)
    assert ("Σ_(n,h,w)" in _text(r)) == bias


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(dilation=2, groups=2), dict(stride=3, padding=2)])
def test_conv_transpose1d(record, kw):
    groups = kw.get("groups", 1)
    x = _t(2, 4, 5, seed=1)
    w = _t(4, 3, 3, seed=2)
    b = _t(3 * groups, seed=3)
    r = _checked(record, lambda: (F.conv_transpose1d(x, w, b, **kw) ** 2).sum(), sample=6)
    assert "conv(" in _text(r) and "corr(" in _text(r)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(1, 2), dilation=(2, 1), groups=2)])
def test_conv_transpose2d(record, kw):
    x = _t(1, 2, 3, 3, seed=1)
    w = _t(2, 2, 3, 2, seed=2)
    _checked(record, lambda: (F.conv_transpose2d(x, w, None, **kw) ** 3).sum(), sample=6)


def test_an_encoder_decoder_of_3d_and_transposed_convolutions(record):
    torch.manual_seed(0)
    with record() as rec:
        enc = nn.Conv3d(1, 2, 2, stride=2)
        dec = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1)
        X = torch.randn(2, 1, 2, 6, 6)
        Z = torch.tanh(enc(X))  # (2, 2, 1, 3, 3)
        Y_hat = dec(Z.reshape(2, 2, 3, 3))  # the depth of 1 dropped
        loss = F.mse_loss(Y_hat, torch.zeros(2, 1, 6, 6))
        loss.backward()
    (report,) = check_all(rec.calls)
    assert report.ok, report.notes
    for t in report.targets:
        assert t.matrix_form is not None and t.matrix_form.ok, (t.name, report.notes)
        assert t.matrix_form.compared == t.total


def test_a_wrong_convolution_form_is_caught(record, monkeypatch):
    from symbolic import matrix_rules_layers as layers

    real = layers.RULES_LAYERS["convolution_transpose"]

    def off(node, ins, out, g):
        grads = real(node, ins, out, g)
        grads[1].value = grads[1].value * 1.001  # a weight grad off by 0.1%
        return grads

    monkeypatch.setitem(layers.RULES_LAYERS, "convolution_transpose", off)
    with record() as rec:
        x, w = _t(1, 2, 4, seed=1), _t(2, 1, 3, seed=2)
        (F.conv_transpose1d(x, w, stride=2) ** 2).sum().backward()
    (report,) = check_all(rec.calls)
    by = {t.name: t.matrix_form for t in report.targets}
    assert by["x"].ok and not by["w"].ok and by["w"].mismatched == w.numel()
    assert not report.ok
