"""The ops of test_more_ops.py and arange/linspace against PyTorch: node names and
``next_functions`` exactly, values and grads to float32 rounding (numpy's and PyTorch's
transcendental functions may differ in the last bit), range values exactly."""

import math
import random

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def walk(fn):
    if fn is None:
        return None
    return fn.name(), [walk(f) for f, _ in fn.next_functions]


def close(a, b):
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-6 * max(1.0, abs(b))
    return a == b


CASES = {
    "log1p": lambda m, x: x.abs().log1p(),
    "expm1": lambda m, x: m.expm1(x),
    "rsqrt": lambda m, x: (x + 1.5).rsqrt(),
    "logsumexp0": lambda m, x: m.logsumexp(x, 0),
    "logsumexp1k": lambda m, x: x.logsumexp(1, keepdim=True),
    "logsumexp01": lambda m, x: m.logsumexp(x, (0, 1)),
    "gather": lambda m, x: x.gather(1, m.tensor([[0, 2], [1, 1]])),
    "gather0": lambda m, x: m.gather(x, 0, m.tensor([[1, 0, 1]])),
    "index_select": lambda m, x: x.index_select(1, m.tensor([2, 0, 2])),
    "index_select0d": lambda m, x: m.index_select(x, 0, m.tensor(1)),
    "repeat": lambda m, x: x.repeat(2, 1, 2),
    "clamp_max": lambda m, x: x.clamp_max(0.3),
    "clamp_max_fn": lambda m, x: m.clamp_max(x, 0.3),
    "clamp_min": lambda m, x: x.clamp_min(0.3),
    "squeeze_dims": lambda m, x: x.unsqueeze(0).squeeze((0,)),
    "linear_vec": lambda m, x: m.nn.functional.linear(x[0], x),
    "linear_vec_bias": lambda m, x: m.nn.functional.linear(x[0], x, x[1, :2]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_node_value_and_grad(name):
    def run(m):
        x = m.tensor([[0.2, -0.4, 1.3], [2.0, 0.7, -1.1]], requires_grad=True)
        y = CASES[name](m, x)
        (y * y).sum().backward()
        return walk(y.grad_fn), y.tolist(), x.grad.tolist()

    e, t = run(engine), run(torch)
    assert e[0] == t[0]
    assert close(e[1], t[1]) and close(e[2], t[2]), (e, t)


def test_integer_clamp():
    def run(m):
        i = m.tensor([0, 1, 2, -3])
        return [i.clamp(max=0.5).tolist(), i.clamp(min=0.5).tolist(), i.clamp(0.5, 1.5).tolist(),
                i.clamp_max(1).tolist(), str(i.clamp(max=0.5).dtype), str(i.clamp(max=1).dtype)]

    assert run(engine) == run(torch)


def _range_cases():
    rng = random.Random(3)
    out = [(-8, 8, 0.1), (0, 1, 0.1), (1, -1, -0.1), (0, 1, 1 / 3), (-1.1, 2.2, 0.01)]
    for _ in range(40):
        a = rng.uniform(-50, 50)
        st = rng.choice([0.1, 0.01, 0.3, 0.07, -0.1, -0.3, 0.123])
        out.append((a, a + st * rng.randint(1, 600) + rng.uniform(-0.5, 0.5) * st, st))
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_arange_values_exactly(dtype):
    for a, b, st in _range_cases():
        e = engine.arange(a, b, st, dtype=getattr(engine, dtype)).numpy()
        t = torch.arange(a, b, st, dtype=getattr(torch, dtype)).numpy()
        np.testing.assert_array_equal(e, t, err_msg=str((a, b, st)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_linspace_values_exactly(dtype):
    rng = random.Random(4)
    cases = [(-1, 1, 21), (0, 1, 11), (-5, 3, 7), (3, 3, 5), (-10, 10, 1001), (0, 1, 1)]
    cases += [(rng.uniform(-100, 100), rng.uniform(-100, 100), rng.randint(2, 200))
              for _ in range(60)]
    for a, b, n in cases:
        if dtype == "int64":
            a, b = int(a), int(b)
        e = engine.linspace(a, b, n, dtype=getattr(engine, dtype)).numpy()
        t = torch.linspace(a, b, n, dtype=getattr(torch, dtype)).numpy()
        np.testing.assert_array_equal(e, t, err_msg=str((a, b, n)))
