"""Embedding, smooth L1, Huber and KL-divergence: hand-derived values, finite differences (first
and second derivatives), node names, errors, and differential checks against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from layers_util import same_output

import engine
from engine.autograd import gradcheck, gradgradcheck

nn = engine.nn
F = engine.nn.functional


def t64(a, rg=True):
    return engine.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


# ---- embedding ---------------------------------------------------------------------------------
def test_embedding_picks_rows_and_scatters_grads_by_hand():
    w = t64([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    idx = engine.tensor([[2, 0], [2, 2]])
    out = F.embedding(idx, w)
    assert out.tolist() == [[[5.0, 6.0], [1.0, 2.0]], [[5.0, 6.0], [5.0, 6.0]]]
    assert type(out.grad_fn).__name__ == "EmbeddingBackward0"
    out.sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]]  # row 2 used three times


def test_embedding_padding_row_gets_no_grad_and_frequency_scaling():
    w = t64(np.arange(8.0).reshape(4, 2))
    F.embedding(engine.tensor([1, 1, 3, 0]), w, padding_idx=1).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    w.grad = None
    F.embedding(engine.tensor([1, 1, 3]), w, scale_grad_by_freq=True).sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]


def test_embedding_max_norm_renormalises_looked_up_rows_in_place():
    w = engine.tensor([[3.0, 4.0], [0.3, 0.4]])
    F.embedding(engine.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)


def test_embedding_gradients_against_finite_differences():
    idx = engine.tensor([[0, 3], [3, 1]])
    w = t64(np.random.default_rng(0).standard_normal((4, 3)))
    assert gradcheck(lambda w: F.embedding(idx, w, scale_grad_by_freq=False), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


def test_embedding_errors():
    e = nn.Embedding(5, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        e(engine.tensor([5]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types"):
        e(engine.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 3, padding_idx=5)


# ---- smooth L1 / Huber -------------------------------------------------------------------------
X = np.array([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0])
Y = np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.5])


def test_smooth_l1_and_huber_values_by_hand():
    d = np.abs(X - Y)  # 2, 0.5, 1, 0.25, 1, 2.5
    beta, delta = 0.8, 1.5
    sl1 = np.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta)
    hub = np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta))
    got = F.smooth_l1_loss(t64(X), t64(Y, False), reduction="none", beta=beta)
    np.testing.assert_allclose(got.detach().numpy(), sl1)
    assert type(got.grad_fn).__name__ == "SmoothL1LossBackward0"
    got = F.huber_loss(t64(X), t64(Y, False), reduction="sum", delta=delta)
    assert got.item() == pytest.approx(hub.sum())
    assert type(got.grad_fn).__name__ == "HuberLossBackward0"
    # beta = 0 is L1, recorded as PyTorch does
    assert type(F.smooth_l1_loss(t64(X), t64(Y), beta=0.0).grad_fn).__name__ == "MeanBackward0"
    # Huber = beta * smooth L1 with beta = delta
    a = F.huber_loss(t64(X), t64(Y), delta=delta).item()
    b = F.smooth_l1_loss(t64(X), t64(Y), beta=delta).item()
    assert a == pytest.approx(delta * b)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_piecewise_losses_gradients_against_finite_differences(reduction):
    x, y = t64(X + 0.01), t64(Y)  # off the kinks
    assert gradcheck(lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=0.8), (x, y))
    assert gradcheck(lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=1.5), (x, y))
    assert gradgradcheck(lambda x, y: F.huber_loss(x, y, reduction=reduction), (x, y))
    w = t64(np.linspace(0.0, 1.0, 6), False)
    assert gradcheck(lambda x: F.huber_loss(x, y, reduction=reduction, weight=w), (x,))


def test_piecewise_loss_errors():
    x = engine.ones(3)
    with pytest.raises(RuntimeError, match="does not support negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="does not support non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.huber_loss(x, x, reduction="bad")


# ---- KL divergence -----------------------------------------------------------------------------
def test_kl_div_values_and_gradients():
    logp = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]))
    q = np.array([[0.1, 0.0, 0.9], [0.5, 0.25, 0.25]])
    per = np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0) - q * logp
    x = t64(logp)
    got = F.kl_div(x, t64(q, False), reduction="batchmean")
    assert got.item() == pytest.approx(per.sum() / 2)
    assert type(got.grad_fn).__name__ == "DivBackward0"
    got.backward()
    np.testing.assert_allclose(x.grad.numpy(), -q / 2)
    logq = t64(np.log([[0.1, 0.2, 0.7]]), False)
    assert gradcheck(lambda x: F.kl_div(x, logq, reduction="sum", log_target=True), (t64(logp),))


# ---- differential ------------------------------------------------------------------------------
PROGRAMS = {
    "embedding": """
        torch.manual_seed(0)
        e = nn.Embedding(5, 3, padding_idx=0)
        print(e, e.weight)
        idx = torch.tensor([[0, 2], [4, 0], [2, 2]])
        out = e(idx)
        print(out)
        (out * torch.arange(18.).reshape(3, 2, 3)).sum().backward()
        print(e.weight.grad)
        print(nn.Embedding(5, 3, max_norm=1.0), nn.Embedding(5, 3, padding_idx=-1, sparse=True))
        print(F.embedding(torch.tensor([1, 2]), torch.randn(4, 2, requires_grad=True)))
        print(nn.Embedding.from_pretrained(torch.ones(3, 2)).weight.requires_grad)
    """,
    "embedding_index_error": "nn.Embedding(3, 2)(torch.tensor([3]))",
    "embedding_dtype_error": "nn.Embedding(3, 2)(torch.tensor([1.0]))",
    "piecewise_losses": """
        x = (torch.arange(12.) / 4 - 1.5).reshape(3, 4).requires_grad_()
        y = torch.arange(12.).flip(0).reshape(3, 4) / 8
        for r in ['none', 'mean', 'sum']:
            for loss in (F.smooth_l1_loss(x, y, reduction=r, beta=0.75),
                         F.huber_loss(x, y, reduction=r, delta=1.5),
                         F.huber_loss(x, y, reduction=r, weight=torch.arange(12.).reshape(3, 4))):
                x.grad = None
                print(loss)
                loss.sum().backward()
                print(x.grad)
        print(nn.SmoothL1Loss(beta=0.5)(x, y), nn.HuberLoss(delta=2.0)(x, y), nn.L1Loss()(x, y))
        print(nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(delta=2.0), nn.KLDivLoss(reduction='sum'))
    """,
    "kl_div": """
        x = (torch.arange(12.) / 6).reshape(3, 4).requires_grad_()
        lp = F.log_softmax(x, 1)
        y = (torch.arange(12.).flip(0) / 5).reshape(3, 4)
        for r in ['none', 'mean', 'sum', 'batchmean']:
            a = F.kl_div(lp, F.softmax(y, 1), reduction=r)
            b = nn.KLDivLoss(reduction=r, log_target=True)(lp, F.log_softmax(y, 1))
            print(a, b, a.grad_fn.next_functions)
    """,
    "beta_error": "F.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=-0.5)",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_output_as_pytorch(name):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(PROGRAMS[name], real)
    assert ours == theirs
