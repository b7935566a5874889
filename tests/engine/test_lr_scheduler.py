"""torch.optim.lr_scheduler: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR
on PyTorch's protocol (hand-derived schedules; the same floats as PyTorch where installed)."""

import math
import warnings

import pytest

import engine as torch
from engine.optim import lr_scheduler as sched


def opt(lr=0.1, groups=1):
    ps = [torch.nn.Parameter(torch.ones(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p]} for p in ps], lr=lr)


def run(o, s, n):
    lrs = [s.get_last_lr()]
    for _ in range(n):
        o.step()
        s.step()
        lrs.append(s.get_last_lr())
    return lrs


def test_step_lr_multiplies_every_step_size_epochs():
    o = opt(1.0)
    lrs = run(o, sched.StepLR(o, step_size=2, gamma=0.5), 5)
    assert [x[0] for x in lrs] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert o.param_groups[0]["lr"] == 0.25 and o.param_groups[0]["initial_lr"] == 1.0


def test_multistep_exponential_lambda_and_cosine_schedules():
    o = opt(1.0)
    assert [x[0] for x in run(o, sched.MultiStepLR(o, [1, 3, 3], 0.1), 4)] == pytest.approx(
        [1.0, 0.1, 0.1, 0.001, 0.001])
    o = opt(2.0)
    assert [x[0] for x in run(o, sched.ExponentialLR(o, 0.5), 3)] == [2.0, 1.0, 0.5, 0.25]
    o = opt(1.0)
    assert [x[0] for x in run(o, sched.LambdaLR(o, lambda e: 1 / (e + 1)), 3)] == \
        pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    o = opt(1.0)
    got = [x[0] for x in run(o, sched.CosineAnnealingLR(o, T_max=4), 4)]
    want = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert got == pytest.approx(want, abs=1e-12)


def test_stepping_the_scheduler_first_warns_and_epoch_is_deprecated():
    o = opt()
    s = sched.StepLR(o, 1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    o2 = opt()
    s2 = sched.StepLR(o2, 1)
    o2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()  # the right order: silent
    with pytest.warns(UserWarning, match="epoch parameter"):
        s2.step(4)
    assert s2.get_last_lr()[0] == pytest.approx(0.1 * 0.1 ** 4)  # the closed form


def test_bad_arguments():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], 1)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(opt(groups=2), [lambda e: 1.0])
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(opt(), 1, last_epoch=3)


@pytest.mark.torch
@pytest.mark.parametrize("make", [
    lambda m, o: m.StepLR(o, step_size=3, gamma=0.3),
    lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5),
    lambda m, o: m.ExponentialLR(o, gamma=0.9),
    lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    lambda m, o: m.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]),
], ids=["step", "multistep", "exponential", "cosine", "lambda"])
def test_the_same_learning_rates_as_pytorch(make):
    real = pytest.importorskip("torch")

    def lrs(lib):
        ps = [lib.nn.Parameter(lib.ones(1)) for _ in range(2)]
        o = lib.optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.03}])
        s = make(lib.optim.lr_scheduler, o)
        out = [list(s.get_last_lr())]
        for _ in range(14):
            o.step()
            s.step()
            out.append(list(s.get_last_lr()))
        return out, sorted(s.state_dict())

    ours, theirs = lrs(torch), lrs(real)
    assert ours[0] == theirs[0]  # the same floats, not just close
    assert ours[1] == theirs[1]  # state_dict keys: a saved scheduler loads in either
