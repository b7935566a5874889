"""Grad modes as PyTorch's: inference mode and inference tensors, the mode context managers as
decorators (generators, coroutines, without parentheses), warn-always."""

from __future__ import annotations

import asyncio
import sys
import threading
import warnings

import pytest

import engine
from engine.warn_once import warn_once, warned
from differential import compare, run

INFERENCE = """
with torch.inference_mode():
    x = torch.ones(2)
    print(x.is_inference(), torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    y = x * 2
    print(y.is_inference(), y.requires_grad)
    tryit(lambda: x._version)
    x.add_(1)
    x[0] = 5.0
    z = torch.ones(2, requires_grad=True)
    print(z.requires_grad, z.is_inference(), (z * 2).requires_grad)
print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
w = torch.ones(2, requires_grad=True)
print(torch.ones(2).is_inference(), w.is_inference())
tryit(lambda: (w + x).grad_fn.name())
tryit(lambda: (w * x).grad_fn)
tryit(lambda: w.exp().mul(x).sum())
tryit(lambda: (z * w))
tryit(lambda: x.add_(1))
tryit(lambda: x.mul_(2))
print(x)
tryit(lambda: x.zero_())
def setitem(): x[1] = 0.0
tryit(setitem)
tryit(lambda: x._version)
tryit(lambda: x.requires_grad_())
tryit(lambda: setattr(x, 'requires_grad', True))
tryit(lambda: x.requires_grad_(False))
print(x, x.clone().is_inference(), (x * 2).is_inference(), x.detach().is_inference())
print(x.view(2).is_inference(), x[0].is_inference(), torch.exp(x).is_inference())
c = x.clone().requires_grad_()
print((c * w).sum())
with torch.inference_mode(False):
    print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), torch.ones(1).is_inference())
with torch.no_grad():
    with torch.inference_mode(False):
        print("nested", torch.is_grad_enabled())
    print(torch.is_grad_enabled())
    tryit(lambda: x.add_(1))
with torch.inference_mode():
    with torch.inference_mode(False):
        print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), torch.ones(1).is_inference())
        n = torch.ones(2)
    print(n.is_inference(), torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    print(n.add_(1), (w * n).requires_grad)
print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
"""

DECORATORS = """
@torch.inference_mode
def f1(): return torch.is_inference_mode_enabled(), torch.ones(1).is_inference()
@torch.inference_mode()
def f2(): return torch.is_inference_mode_enabled()
@torch.inference_mode(False)
def f3(): return torch.is_inference_mode_enabled(), torch.is_grad_enabled()
@torch.no_grad
def f4(): return torch.is_grad_enabled()
@torch.no_grad()
def f5(): return torch.is_grad_enabled()
@torch.enable_grad
def f6(): return torch.is_grad_enabled()
@torch.set_grad_enabled(False)
def f7(): return torch.is_grad_enabled()
print(torch.is_grad_enabled())
print(f1(), f2(), f3(), f4(), f5(), f7(), f1.__name__, f4.__name__)
with torch.no_grad():
    print(f6(), torch.is_grad_enabled())
with torch.inference_mode():
    print(f3())
print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
with torch.no_grad() as c: print(c)
with torch.enable_grad() as c: print(c)
with torch.set_grad_enabled(False) as c: print(c)
with torch.inference_mode() as c: print(c)
print(torch.set_grad_enabled(False), torch.is_grad_enabled())
torch.set_grad_enabled(True)
tryit(lambda: torch.set_grad_enabled())
tryit(lambda: torch.set_grad_enabled(f1))
tryit(lambda: torch.set_grad_enabled(1))
print(torch.is_grad_enabled())
def cls():
    @torch.no_grad()
    class A:
        def __init__(self): self.g = torch.is_grad_enabled()
    return A().g
print(warns(cls))
"""

GENERATORS = """
@torch.no_grad()
def gen():
    for i in range(2):
        x = yield torch.is_grad_enabled()
        print("inside got", x, torch.is_grad_enabled())
    return "done"
g = gen()
print(next(g), torch.is_grad_enabled())
print(g.send(5), torch.is_grad_enabled())
try:
    g.send(6)
except StopIteration as e:
    print("stop", e.value, torch.is_grad_enabled())
@torch.no_grad
def gen2():
    yield torch.is_grad_enabled()
print(list(gen2()), gen2.__name__)
@torch.enable_grad()
def gen3():
    try:
        yield torch.is_grad_enabled()
    except ValueError:
        yield ("thrown", torch.is_grad_enabled())
    finally:
        print("finally", torch.is_grad_enabled())
with torch.no_grad():
    g = gen3()
    print(next(g))
    print(g.throw(ValueError))
    g.close()
    print(torch.is_grad_enabled())
@torch.set_grad_enabled(False)
def gen4():
    yield torch.is_grad_enabled()
    yield torch.is_grad_enabled()
print(list(gen4()), torch.is_grad_enabled())
@torch.inference_mode()
def gen5():
    yield torch.is_inference_mode_enabled(), torch.ones(1).is_inference()
print(list(gen5()), torch.is_inference_mode_enabled())
def outer():
    @torch.no_grad()
    def inner():
        yield 1
        raise KeyError("boom")
    try:
        list(inner())
    except KeyError as e:
        print("KeyError", e, torch.is_grad_enabled())
outer()
"""


@pytest.mark.torch
@pytest.mark.parametrize("src", [INFERENCE, DECORATORS, GENERATORS],
                         ids=["inference", "decorators", "generators"])
def test_same_transcript_as_torch(src):
    torch = pytest.importorskip("torch")
    compare(src, torch)


def test_inference_transcript_values():
    out = run(INFERENCE, engine).splitlines()
    assert out[0] == "True True False"
    assert "RuntimeError Inference tensors do not track version counter." in out
    assert any(line.startswith("RuntimeError Inference tensors cannot be saved for backward.")
               for line in out)
    assert any(line.startswith("RuntimeError Inplace update to inference tensor outside "
                               "InferenceMode is not allowed.") for line in out)
    assert engine.is_inference_mode_enabled() is False and engine.is_grad_enabled() is True


def test_inplace_on_inference_tensor_outside_inference_mode():
    with engine.inference_mode():
        x = engine.ones(3)
    # as in PyTorch, the kernels write before the refusal
    for op, after in ((lambda: x.add_(1), [2.0, 2.0, 2.0]), (lambda: x.mul_(3), [6.0] * 3),
                      (lambda: x.__setitem__(0, 7.0), [7.0, 6.0, 6.0]),
                      (lambda: x.copy_(engine.zeros(3)), [0.0, 0.0, 0.0]),
                      (lambda: x.fill_(3), [3.0, 3.0, 3.0])):
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
            op()
        assert x.tolist() == after
    assert not engine.is_inference_mode_enabled() and engine.is_grad_enabled()


def test_ordinary_tensors_stay_plain_outside_inference_mode():
    with engine.inference_mode():
        pass
    t = engine.ones(2)
    assert type(t) is engine.Tensor and not t.is_inference()
    assert type(engine.Tensor([1.0])) is engine.Tensor and engine.Tensor(2, 3).shape == (2, 3)
    assert sys.modules["engine.tensor_data"]._alloc is object.__new__


def test_inference_mode_is_thread_local():
    seen = []

    def worker():
        seen.append((engine.is_inference_mode_enabled(), engine.ones(1).is_inference()))

    with engine.inference_mode():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert engine.ones(1).is_inference()
    assert seen == [(False, False)]


def test_coroutine_body_runs_in_the_callers_mode_as_in_torch():
    @engine.no_grad()
    async def co():
        await asyncio.sleep(0)
        return engine.is_grad_enabled()

    # the decorator wraps the call that creates the coroutine, not its body (PyTorch's too)
    assert asyncio.run(co()) is True


def test_generator_mode_restored_between_resumptions():
    @engine.no_grad()
    def gen():
        while True:
            yield engine.is_grad_enabled()

    g = gen()
    assert next(g) is False
    assert engine.is_grad_enabled() is True
    with engine.enable_grad():
        assert next(g) is False
    g.close()
    assert engine.is_grad_enabled() is True


def test_warn_always_repeats_once_warnings():
    warned.discard("test-key")
    engine.set_warn_always(False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_once("test-key", "first")
        warn_once("test-key", "first")
        assert len(caught) == 1
        engine.set_warn_always(True)
        try:
            assert engine.is_warn_always_enabled() is True
            warn_once("test-key", "first")
            warn_once("test-key", "first")
        finally:
            engine.set_warn_always(False)
        assert len(caught) == 3
    assert engine.is_warn_always_enabled() is False
