"""The three-way check on graphs using log10/log2/exp2/atan2, trace, diag_embed, median, mode,
var_mean and std_mean: engine, sympy closed form and finite differences agree."""

import numpy as np
import pytest

import engine as torch
from symbolic import Options, check_all


def _agrees(report, leaves):
    assert report.ok, report.failures
    for e in report.elements:
        assert e.symbolic is not None and e.checked
        assert e.finite == pytest.approx(e.symbolic, rel=1e-4, abs=1e-6), e
    grads = np.concatenate([p.grad.numpy().reshape(-1) for p in leaves])
    assert [e.engine for e in report.elements] == pytest.approx(grads.tolist(), rel=1e-5)


def test_log_bases_exp2_and_atan2(record):
    torch.manual_seed(1)
    x = (torch.rand(2, 3) + 0.5).requires_grad_()
    y = torch.randn(3, requires_grad=True)
    with record() as rec:
        loss = (x.log10() * x.log2() + torch.exp2(y) + torch.atan2(x, y + 2.0)).sum()
        loss.backward()
    keys = {n.key for n in rec.calls[0].graph.nodes}
    assert {"log10", "log2", "exp2", "atan2"} <= keys
    (report,) = check_all(rec.calls, Options(time_limit=60))
    _agrees(report, [x, y])


def test_trace_diag_embed_median_mode_and_moments(record):
    torch.manual_seed(2)
    w = torch.randn(3, 3, requires_grad=True)
    with record() as rec:
        v, m = torch.var_mean(w, dim=1)
        s, m2 = torch.std_mean(w, dim=0, keepdim=True)
        loss = (w.trace() + torch.diag_embed(v).sum() * m.sum() + s.sum() * m2.sum()
                + w.median() + w.median(dim=0).values.sum() + w.mode(1).values.sum())
        loss.backward()
    keys = {n.key for n in rec.calls[0].graph.nodes}
    assert {"trace", "diag_embed", "var_mean", "std_mean", "median", "median_dim",
            "mode"} <= keys
    (report,) = check_all(rec.calls, Options(time_limit=120))
    _agrees(report, [w])
