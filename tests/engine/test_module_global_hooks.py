"""Hooks for every nn.Module (PyTorch's ``torch.nn.modules.module.register_module_forward_pre_hook``
and ``register_module_forward_hook``): called before each module's own hooks, their returns
replace args / output, ``remove()`` unregisters, ``always_call`` runs on an exception too."""

from __future__ import annotations

import pytest

import engine
from engine.nn import module_hooks


def run(torch_mod, register_pre, register_fwd):
    log = []
    lin = torch_mod.nn.Linear(2, 1)
    torch_mod.nn.init.constant_(lin.weight, 1.0)
    torch_mod.nn.init.constant_(lin.bias, 0.0)
    lin.register_forward_pre_hook(lambda m, a: log.append("own pre"))
    lin.register_forward_hook(lambda m, a, o: log.append("own post"))
    h1 = register_pre(lambda m, a: log.append(("global pre", type(m).__name__)))
    h2 = register_fwd(lambda m, a, o: log.append(("global post", o.shape[-1])))
    try:
        seq = torch_mod.nn.Sequential(lin)
        out = seq(torch_mod.ones(3, 2))
    finally:
        h1.remove()
        h2.remove()
    lin(torch_mod.ones(1, 2))  # removed: only the module's own hooks now
    return log, out.sum().item()


def test_global_hooks_run_before_the_modules_own_and_are_removed():
    log, total = run(engine, module_hooks.register_module_forward_pre_hook,
                     module_hooks.register_module_forward_hook)
    assert log == [("global pre", "Sequential"), ("global pre", "Linear"), "own pre",
                   ("global post", 1), "own post", ("global post", 1), "own pre", "own post"]
    assert total == 6.0


@pytest.mark.torch
def test_global_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    from torch.nn.modules import module as tm

    expected = run(torch, tm.register_module_forward_pre_hook, tm.register_module_forward_hook)
    got = run(engine, module_hooks.register_module_forward_pre_hook,
              module_hooks.register_module_forward_hook)
    assert got == expected


def test_returns_replace_args_and_output():
    lin = engine.nn.Identity()
    h1 = module_hooks.register_module_forward_pre_hook(lambda m, a: (a[0] * 2,))
    h2 = module_hooks.register_module_forward_hook(lambda m, a, o: o + 1)
    try:
        assert lin(engine.tensor([1.0, 2.0])).tolist() == [3.0, 5.0]
    finally:
        h1.remove()
        h2.remove()
    assert lin(engine.tensor([1.0])).tolist() == [1.0]


def test_always_call_sees_a_failing_forward():
    class Boom(engine.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    plain = module_hooks.register_module_forward_hook(lambda m, a, o: seen.append("plain"))
    always = module_hooks.register_module_forward_hook(lambda m, a, o: seen.append(o),
                                                       always_call=True)
    try:
        with pytest.raises(ValueError, match="boom"):
            Boom()(engine.ones(1))
    finally:
        plain.remove()
        always.remove()
    assert seen == [None]
    assert always.id not in module_hooks._global_forward_hooks_always_called  # flag gone too
