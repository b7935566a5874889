"""``torch.autograd.gradcheck`` / ``gradgradcheck``: the backward pass against central finite
differences, one Jacobian entry at a time — or, with ``fast_mode=True``, along one random
direction per input and output (v^T J u).

The checks run in PyTorch's order with PyTorch's messages: the numerical Jacobian (each input
element perturbed in place, minus first, outputs compared for shape and dtype), the analytical
one computed twice (reentrancy, ``nondet_tol``), batched grads, that backward scales with
grad_output, and that undefined output grads give undefined or zero input grads.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd_engine import grad as _grad
from ..dispatch import new_node
from ..node import Node, accumulate_node
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when a check fails (a RuntimeError, as in PyTorch)."""


_NONDET_NOTE = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""
_UNDEFINED_NOTE = 'Please look at "Notes about undefined output gradients" in ' \
                  '"tools/autograd/derivatives.yaml"'


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(out):
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor) and o.requires_grad)


def _tensor_outputs(out):
    return [o for o in _as_tuple(out) if isinstance(o, Tensor)]


def _diff_inputs(inputs):
    return [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]


def _check_inputs(inputs):
    any_rg = False
    for k, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t._data.dtype != np.float64:
                warnings.warn(f"Input #{k} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all the "
                              "inputs are not of double precision floating point or complex. ",
                              UserWarning, stacklevel=4)
            any_rg = True
    if not any_rg:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def _same_shape_and_dtype(a, b, eps, idx):
    on_index = f"on index {idx} " if idx is not None else ""
    if a.shape != b.shape:
        raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs "
                             f"are perturbed {on_index}by {eps}, but got: shapes {a.shape} and "
                             f"{b.shape}.")
    if a.dtype != b.dtype:
        raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs "
                             f"are perturbed {on_index}by {eps}, but got: dtypes {a.dtype} and "
                             f"{b.dtype}.")


def _numerical_jacobian(fn, inputs, n_outputs, eps):
    """J[k][j], (numel of input k, numel of output j) in output j's dtype, for every tensor input
    that requires grad and every tensor output — perturbing each element in place (x - eps
    first, then x + eps)."""
    jac = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        x = t._data
        cols = None
        for i in range(x.size):
            pos = np.unravel_index(i, x.shape) if x.ndim else ()
            orig = x[pos].copy()
            # copies: an output that is a view of the input would follow the next perturbation
            x[pos] = orig - eps
            minus = [o.detach().clone() for o in _tensor_outputs(fn(*inputs))]
            x[pos] = orig + eps
            plus = [o.detach().clone() for o in _tensor_outputs(fn(*inputs))]
            x[pos] = orig
            if cols is None:
                cols = [np.zeros((x.size, o._data.size), o._data.dtype if o._data.dtype.kind
                                 in "fc" else np.float64) for o in minus[:n_outputs]]
            for j, (a, b) in enumerate(zip(minus[:n_outputs], plus, strict=False)):
                _same_shape_and_dtype(a, b, eps, tuple(int(p) for p in pos))
                if b._data.dtype.kind in "fc":
                    d = (b._data - a._data) / b._data.dtype.type(2 * eps)
                else:
                    d = (b._data.astype(np.float64) - a._data) / (2 * eps)
                cols[j][i] = d.reshape(-1)
        jac.append(cols or [])
    return jac


def _analytical_rows(output, diff_inputs):
    """J[k], (numel of input k, numel of output) in input k's dtype, one backward per output
    element."""
    jac = [np.zeros((t._data.size, output._data.size), t._data.dtype) for t in diff_inputs]
    for e in range(output._data.size):
        seed = np.zeros(output._data.shape, output._data.dtype)
        seed.flat[e] = 1
        grads = _grad(output, diff_inputs, _wrap(seed), retain_graph=True, allow_unused=True)
        for k, g in enumerate(grads):
            if g is not None:
                jac[k][:, e] = g._data.reshape(-1)
    return jac


def _analytical_jacobian(output, diff_inputs, nondet_tol):
    first = _analytical_rows(output, diff_inputs)
    second = _analytical_rows(output, diff_inputs)
    for a, b in zip(first, second, strict=True):
        if a.size and np.max(np.abs(a - b)) > nondet_tol:
            raise GradcheckError("Backward is not reentrant, i.e., running backward with same "
                                 "input and grad_output multiple times gives different values, "
                                 "although analytical gradient matches numerical gradient.The "
                                 f"tolerance for nondeterminism was {nondet_tol}." + _NONDET_NOTE)
    return first


def _mismatch(i, k, numerical, analytical):
    return (f"Jacobian mismatch for output {i:d} with respect to input {k:d},\n"
            f"numerical:{_wrap(numerical)!r}\nanalytical:{_wrap(analytical)!r}\n")


def _slow_gradcheck(func, inputs, func_out, outputs, eps, atol, rtol, nondet_tol):
    all_out = _tensor_outputs(func_out)
    numerical = _numerical_jacobian(func, inputs, len(all_out), eps)
    if not outputs:
        # nothing to backward through: the function must then be locally constant
        for per_input in numerical:
            for j in per_input:
                if np.count_nonzero(j):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    diff_inputs = _diff_inputs(inputs)
    keep = [j for j, o in enumerate(all_out) if o.requires_grad]
    for i, out in enumerate(outputs):
        analytical = _analytical_jacobian(out, diff_inputs, nondet_tol)
        for k, a in enumerate(analytical):
            n = numerical[k][keep[i]]
            dt = np.promote_types(a.dtype, n.dtype)
            if not np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch(i, k, n, a))


def _fast_gradcheck(func, inputs, outputs, eps, atol, rtol):
    rng = np.random.default_rng(0)  # fixed directions: a failing check reproduces
    diff_idx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    us = {k: rng.standard_normal(inputs[k]._data.shape) for k in diff_idx}
    for u in us.values():
        u /= max(np.linalg.norm(u), 1e-12)
    for j, out in enumerate(outputs):
        v = rng.standard_normal(out._data.shape)
        for kk, k in enumerate(diff_idx):
            x = inputs[k]._data
            orig = x.copy()
            x[...] = orig - eps * us[k]
            minus = _differentiable_outputs(func(*inputs))[j]._data.astype(np.float64)
            x[...] = orig + eps * us[k]
            plus = _differentiable_outputs(func(*inputs))[j]._data.astype(np.float64)
            x[...] = orig
            numerical = float(np.sum(v * (plus - minus) / (2 * eps)))
            (g,) = _grad(out, (inputs[k],), _wrap(v.astype(out._data.dtype)),
                         retain_graph=True, allow_unused=True)
            analytical = 0.0 if g is None else float(np.sum(g._data.astype(np.float64) * us[k]))
            if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {kk},\n"
                    f"numerical:{_wrap(np.asarray(numerical))!r}\n"
                    f"analytical:{_wrap(np.asarray(analytical))!r}\n\n"
                    "The above quantities relating the numerical and analytical jacobians are "
                    "computed in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 "
                    "for more background about fast mode.")


def _test_batched_grad(inputs, output, i):
    """grad(is_grads_batched=True) over a few random grad_outputs equals one grad per entry."""
    diff_inputs = _diff_inputs(inputs)
    rng = np.random.default_rng(1)
    batch = _wrap(rng.standard_normal((2, *output._data.shape)).astype(output._data.dtype))
    batched = _grad(output, diff_inputs, batch, retain_graph=True, allow_unused=True,
                    is_grads_batched=True)
    for b in range(2):
        one = _grad(output, diff_inputs, _wrap(batch._data[b]), retain_graph=True,
                    allow_unused=True)
        for k, (gb, g) in enumerate(zip(batched, one, strict=True)):
            if (gb is None) != (g is None) or (g is not None and not np.allclose(
                    gb._data[b], g._data)):
                raise GradcheckError(f"While computing batched gradients, got: batched grad for "
                                     f"output {i} with respect to input {k} differs from the "
                                     "per-sample grads")


def _test_backward_mul_by_grad_output(outputs, inputs):
    diff_inputs = _diff_inputs(inputs)
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads = _grad(outputs, diff_inputs,
                  [_wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outputs],
                  allow_unused=True)
    for gi, t in zip(grads, diff_inputs, strict=True):
        if gi is None:
            continue
        if gi._data.dtype != t._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi._data.shape != t._data.shape:
            raise GradcheckError("grad is incorrect size")
        if np.any(gi._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")


class UndefinedGrad(Node):
    """Identity in forward; sends no grad (an undefined one) back."""

    __slots__ = ()
    _name = "UndefinedGradBackward"

    def _apply_custom(self, grads_in, create_graph):
        return (None,)


def _undefined_grad(t):
    node = new_node(UndefinedGrad, ((t.grad_fn if t.grad_fn is not None else
                                     accumulate_node(t), t._out_nr),),
                    out_meta=((t._data.shape, t._data.dtype),))
    out = _wrap(t._data, True)
    out._vc = t._vc
    out.grad_fn = node
    return out


def _warn_bc_breaking():
    warnings.warn("Backwards compatibility: New undefined gradient support checking feature is "
                  "enabled by default, but it may break existing callers of this function. If "
                  "this is true for you, you can call this function with "
                  '"check_undefined_grad=False" to disable the feature', stacklevel=4)


def _test_undefined_grad(func, outputs, inputs):
    diff_inputs = _diff_inputs(inputs)

    def check(outs):
        zeros = [_wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outs]
        try:
            grads = _grad(outs, diff_inputs, zeros, allow_unused=True)
        except RuntimeError as e:
            _warn_bc_breaking()
            raise GradcheckError("Expected backward function to handle undefined output grads. "
                                 + _UNDEFINED_NOTE) from e
        for gi in grads:
            if gi is not None and np.any(gi._data != 0):
                _warn_bc_breaking()
                raise GradcheckError("Expected all input grads to be undefined or zero when all "
                                     "output grads are undefined or zero. " + _UNDEFINED_NOTE)

    check([_undefined_grad(o) for o in _differentiable_outputs(func(*inputs))])
    if len(outputs) > 1:  # each output grad undefined on its own
        for idx in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            check([_undefined_grad(o) if j == idx else o for j, o in enumerate(outs)])


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """True when every analytical Jacobian entry is within ``atol + rtol * |numerical|`` of the
    central difference and backward passes PyTorch's other checks; otherwise raise
    ``GradcheckError`` (or return False with ``raise_exception=False``)."""
    try:
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                          check_batched_grad, check_backward_ad, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_batched_grad, check_backward_ad, fast_mode):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = func(*inputs)
    outputs = _differentiable_outputs(func_out)
    if fast_mode and outputs:
        _fast_gradcheck(func, inputs, outputs, eps, atol, rtol)
    else:
        _slow_gradcheck(func, inputs, func_out, outputs, eps, atol, rtol, nondet_tol)
    if check_backward_ad and check_batched_grad:
        for i, o in enumerate(outputs):
            _test_batched_grad(inputs, o, i)
    _test_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad and check_backward_ad:
        _test_undefined_grad(func, outputs, inputs)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the map (inputs, grad_outputs) -> grad(func(inputs), inputs, grad_outputs,
    create_graph=True): second derivatives against finite differences of the first. Missing
    grad_outputs are drawn uniformly from [-1, 1) with the global generator, as PyTorch draws
    them."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev "
                             "to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to "
                             "be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be "
                             "True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        from ..functions import empty

        grad_outputs = []
        for o in _differentiable_outputs(func(*inputs)):
            dt = o.dtype if o._data.dtype.kind in "fc" else None
            g = empty(*o.shape, dtype=dt).uniform_(-1, 1)
            grad_outputs.append(g.requires_grad_())
        grad_outputs = tuple(grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_in = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def new_func(*args):
        inp = args[:n_in]
        outs = _differentiable_outputs(func(*inp))
        grads = _grad(outs, [inp[k] for k in diff_in], args[n_in:], create_graph=True,
                      allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode)


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
