"""``nn.Module`` hooks as PyTorch's: forward pre-hooks and forward hooks (``with_kwargs``,
``prepend``, ``always_call``) and full backward (pre-)hooks.

Full backward hooks work as PyTorch's do: the module's tensor inputs and outputs pass through an
identity Function (``BackwardHookFunctionBackward`` in the graph); a node pre-hook on the outputs'
identity node sees ``grad_output`` (and runs the backward pre-hooks, which may replace it), and a
node hook on the inputs' identity node sees ``grad_input`` and calls the full backward hooks,
which may replace it.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from ..autograd.function import Function
from ..node import RemovableHandle
from ..tensor import Tensor


class _ModuleHandle(RemovableHandle):
    """A hook handle that also forgets the hook's flags (with_kwargs, always_call)."""

    __slots__ = ("_extra",)

    def __init__(self, hooks, extra=()):
        super().__init__(hooks)
        self._extra = tuple(weakref.ref(d) for d in extra)

    def remove(self) -> None:
        super().remove()
        for ref in self._extra:
            d = ref()
            if d is not None:
                d.pop(self.id, None)


def _register(module, name, hook, prepend, flags=()):
    """Add ``hook`` to the module's ``name`` table (first with ``prepend``); ``flags`` are
    (table name, on) pairs recording per-hook options such as with_kwargs."""
    d = module.__dict__
    hooks = d.get(name)
    if hooks is None:
        hooks = d[name] = OrderedDict()
    flag_tables = [d.setdefault(flag_name, OrderedDict()) for flag_name, _ in flags]
    handle = _ModuleHandle(hooks, flag_tables)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for table, (_, on) in zip(flag_tables, flags, strict=True):
        if on:
            table[handle.id] = True
    return handle


def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
    """``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``) before
    ``forward``; a non-None return replaces args (or is an ``(args, kwargs)`` pair)."""
    return _register(self, "_forward_pre_hooks", hook, prepend,
                     (("_forward_pre_hooks_with_kwargs", with_kwargs),))


def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                          always_call: bool = False):
    """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
    ``with_kwargs``) after ``forward``; a non-None return replaces the output. With
    ``always_call`` it also runs when ``forward`` raised."""
    return _register(self, "_forward_hooks", hook, prepend,
                     (("_forward_hooks_with_kwargs", with_kwargs),
                      ("_forward_hooks_always_called", always_call)))


def register_full_backward_hook(self, hook, prepend: bool = False):
    """``hook(module, grad_input, grad_output)`` once the grads of the module's tensor inputs are
    computed; a non-None return replaces ``grad_input``."""
    return _register(self, "_backward_hooks", hook, prepend)


def register_full_backward_pre_hook(self, hook, prepend: bool = False):
    """``hook(module, grad_output)`` when the grads of the module's outputs are computed; a
    non-None return replaces ``grad_output``."""
    return _register(self, "_backward_pre_hooks", hook, prepend)


class BackwardHookFunction(Function):
    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args
                                      if isinstance(a, Tensor) and not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _through_identity(values):
    """(values with their tensors passed through BackwardHookFunction, the identity node or None,
    positions of the tensors)."""
    index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    if not index:
        return values, None, index
    new = BackwardHookFunction.apply(*[values[i] for i in index])
    node = None
    for t in new:
        if t.grad_fn is not None:
            node = t.grad_fn
            break
    if node is None:
        return values, None, index
    values = list(values)
    for i, t in zip(index, new, strict=True):
        values[i] = t
    return values, node, index


class _BackwardHook:
    """One forward call's full backward hooks (PyTorch's ``BackwardHook``)."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = None

    def _pack(self, index, grads, size):
        out = [None] * size
        for i, g in zip(index, grads, strict=False):
            out[i] = g
        return tuple(out)

    def setup_inputs(self, args):
        self.n_inputs = len(args)
        if not self.hooks and not self.pre_hooks:
            return args
        new, node, index = _through_identity(args)
        if node is None:
            return args
        self.input_index = index

        def hook(grad_inputs, _grad_outputs):
            if not self.hooks:
                return None
            grads = self._pack(index, grad_inputs, self.n_inputs)
            for user_hook in list(self.hooks.values()):
                res = user_hook(self.module, grads, self.grad_outputs)
                if res is None:
                    continue
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grads):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(res)}, but expected {len(grads)}")
                grads = res
            self.grad_outputs = None
            return tuple(grads[i] for i in index)

        node.register_hook(hook)
        return tuple(new)

    def setup_outputs(self, result):
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        new, node, index = _through_identity(values)
        if node is None:
            return result
        n_out = len(values)

        def pre_hook(grad_outputs):
            grads = self._pack(index, grad_outputs, n_out)
            for user_hook in list(self.pre_hooks.values()):
                res = user_hook(self.module, grads)
                if res is None:
                    continue
                res = res if isinstance(res, tuple) else (res,)
                if len(res) != len(grads):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(res)}, but expected "
                                       f"{len(grads)}")
                grads = res
            self.grad_outputs = grads
            if self.input_index is None:  # no input requires grad: the hooks run here
                none = (None,) * self.n_inputs
                for user_hook in list(self.hooks.values()):
                    res = user_hook(self.module, none, self.grad_outputs)
                    if res is not None and not all(r is None for r in (
                            res if isinstance(res, tuple) else (res,))):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for all "
                                           "gradients.")
                self.grad_outputs = None
            return tuple(grads[i] for i in index)

        node.register_prehook(pre_hook)
        return new[0] if single else tuple(new)


# Hooks for every module (``torch.nn.modules.module.register_module_forward_pre_hook`` and
# ``register_module_forward_hook``): run before each module's own, as PyTorch's.
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook):
    """``hook(module, args)`` before every module's ``forward``; a non-None return replaces
    args. Returns a handle whose ``remove()`` unregisters it."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, always_call: bool = False):
    """``hook(module, args, output)`` after every module's ``forward``; a non-None return
    replaces the output. ``always_call``: also called (with output None) when forward
    raised."""
    handle = _ModuleHandle(_global_forward_hooks, (_global_forward_hooks_always_called,))
    _global_forward_hooks[handle.id] = hook
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def call_with_hooks(self, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks, in PyTorch's order."""
    d = self.__dict__
    for hook in list(_global_forward_pre_hooks.values()):
        r = hook(self, args)
        if r is not None:
            args = r if isinstance(r, tuple) else (r,)
    pre_kw = d.get("_forward_pre_hooks_with_kwargs") or {}
    for hid, hook in list(self._forward_pre_hooks.items()):
        if hid in pre_kw:
            r = hook(self, args, kwargs)
            if r is not None:
                if not (isinstance(r, tuple) and len(r) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {r}.")
                args, kwargs = r
        else:
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
    bw_hooks, bw_pre = d.get("_backward_hooks"), d.get("_backward_pre_hooks")
    bw = _BackwardHook(self, bw_hooks or {}, bw_pre or {}) if (bw_hooks or bw_pre) else None
    if bw is not None:
        args = bw.setup_inputs(tuple(args))
    fwd_kw = d.get("_forward_hooks_with_kwargs") or {}
    always = d.get("_forward_hooks_always_called") or {}
    called = set()
    try:
        result = self.forward(*args, **kwargs)
        for hid, hook in list(_global_forward_hooks.items()):
            called.add(hid)
            r = hook(self, args, result)
            if r is not None:
                result = r
        for hid, hook in list(self._forward_hooks.items()):
            called.add(hid)
            r = hook(self, args, kwargs, result) if hid in fwd_kw else hook(self, args, result)
            if r is not None:
                result = r
    except Exception:
        for hid, hook in list(_global_forward_hooks.items()):
            if hid in _global_forward_hooks_always_called and hid not in called:
                try:
                    hook(self, args, None)
                except Exception:  # noqa: BLE001 -- the forward's own error is the one to raise
                    pass
        for hid, hook in list(self._forward_hooks.items()):
            if hid in always and hid not in called:
                try:
                    if hid in fwd_kw:
                        hook(self, args, kwargs, None)
                    else:
                        hook(self, args, None)
                except Exception:  # noqa: BLE001 -- the forward's own error is the one to raise
                    pass
        raise
    if bw is not None:
        result = bw.setup_outputs(result)
    return result


def call(self, *args, **kwargs):
    """``Module.__call__``: ``forward``, straight, unless the module has hooks."""
    d = self.__dict__
    if (d.get("_forward_pre_hooks") or d.get("_forward_hooks") or d.get("_backward_hooks")
            or d.get("_backward_pre_hooks") or _global_forward_pre_hooks
            or _global_forward_hooks):
        return call_with_hooks(self, args, kwargs)
    return self.forward(*args, **kwargs)
