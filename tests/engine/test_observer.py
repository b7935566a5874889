"""The observer sees every node created (with the user's line), every backward step,
accumulation, hook call, retained grad and freeing."""

from __future__ import annotations

import contextlib
import inspect

import engine as torch
from engine import observe


class Recorder(observe.Observer):
    def __init__(self):
        self.events = []

    def on_node(self, node, inputs, output, where):
        self.events.append(("node", node.name(), where[1] if where else None))

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        self.events.append(("begin", len(roots), retain_graph))

    def on_backward_step(self, node, grads_in, grads_out):
        self.events.append(("step", node.name(), [None if g is None else g.tolist()
                                                  for g in grads_in]))

    def on_accumulate(self, tensor, grad, total):
        self.events.append(("acc", grad.tolist(), total.tolist()))

    def on_hook(self, tensor, hook, grad, result):
        self.events.append(("hook", grad.tolist()))

    def on_retain_grad(self, tensor, grad):
        self.events.append(("retain", grad.tolist()))

    def on_free(self, node):
        self.events.append(("free", node.name()))

    def on_backward_end(self, error=None):
        self.events.append(("end", error is None))


def test_observer_sees_the_whole_lifecycle():
    rec = Recorder()
    before = observe.current
    line = inspect.currentframe().f_lineno
    with observe.observing(rec):
        w = torch.tensor([2.0], requires_grad=True)
        y = w * 3  # line + 3
        y.retain_grad()
        w.register_hook(lambda g: None)
        z = (y * y).sum()  # line + 6
        z.backward()
    assert observe.current is before
    nodes = [e for e in rec.events if e[0] == "node"]
    assert nodes == [("node", "MulBackward0", line + 3), ("node", "MulBackward0", line + 6),
                     ("node", "SumBackward0", line + 6)]
    after = rec.events[len(nodes):]
    assert after[0] == ("begin", 1, False)
    steps = [e for e in after if e[0] == "step"]
    assert [s[1] for s in steps] == ["SumBackward0", "MulBackward0", "MulBackward0",
                                     "torch::autograd::AccumulateGrad"]
    assert steps[2][2] == [[12.0]]  # dz/dy = y + y (both uses of y) = 12
    assert ("retain", [12.0]) in after
    assert ("hook", [36.0]) in after  # dz/dw = 12 * 3
    assert ("acc", [36.0], [36.0]) in after
    # both multiplications saved an operand (as in PyTorch, where a second backward fails)
    assert [e[1] for e in after if e[0] == "free"] == ["MulBackward0", "MulBackward0"]
    assert after[-1] == ("end", True)


def test_observer_is_told_when_backward_fails():
    rec = Recorder()
    x = torch.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with observe.observing(rec), contextlib.suppress(RuntimeError):
        y.backward()
    assert rec.events[-1] == ("end", False)


def test_custom_function_nodes_are_observed():
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    rec = Recorder()
    x = torch.tensor([1.0], requires_grad=True)
    with observe.observing(rec):
        Twice.apply(x).sum().backward()
    names = [e[1] for e in rec.events if e[0] == "node"]
    assert names == ["TwiceBackward", "SumBackward0"]  # the inner x * 2 ran under no_grad


def test_user_location_is_the_innermost_frame_outside_the_engine():
    """Also right after an answer at the same depth whose chain held no user frame inside it:
    engine code calls user code back (a Module's forward, a custom Function) and that code
    calls ops."""
    import os
    import sys

    ns = {}
    exec(compile("def call(g, *a):\n    return g(*a)\n",  # engine frames, as far as it knows
                 os.path.join(observe._ENGINE_DIR, "_fake_chain.py"), "exec"), ns)
    call, here = ns["call"], observe.user_location

    def callback():  # user code the engine calls, calling the engine again
        return call(here)

    outer = call(call, call, here)  # here -> call -> call -> call -> this frame
    assert outer[1] == sys._getframe().f_lineno - 1
    inner = call(callback)  # here -> call -> callback -> call -> this frame: same depth
    assert inner[1] == callback.__code__.co_firstlineno + 1


def test_user_location_tells_apart_codes_with_the_same_instructions():
    """Two scripts whose op sits at the same instruction offset on different lines; and a
    cached line is only ever used for the code object it was read from."""
    ns1, ns2 = {}, {}
    exec(compile("def f(here):\n    return here()\n", "<one>", "exec"), ns1)
    exec(compile("def f(here):\n\n\n    return here()\n", "<two>", "exec"), ns2)
    here = observe.user_location
    assert ns1["f"](here) == ("<one>", 2)
    assert ns2["f"](here) == ("<two>", 4)
    assert ns1["f"](here) == ("<one>", 2)  # cached answers stay per code
    assert ns2["f"](here) == ("<two>", 4)


def test_user_location_ignores_a_cached_line_of_another_code_object():
    ns = {}
    exec(compile("def f(here):\n    return here()\n", "<three>", "exec"), ns)
    f, here = ns["f"], observe.user_location
    assert f(here) == ("<three>", 2)
    stale = compile("pass", "<dead>", "exec")  # as if a dead code's id had been reused
    for key in [k for k in observe._WHERE if k[0] == id(f.__code__)]:
        observe._WHERE[key] = (stale, ("<dead>", 99))
    assert f(here) == ("<three>", 2)
