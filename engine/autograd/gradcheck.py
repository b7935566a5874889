"""``torch.autograd.gradcheck`` / ``gradgradcheck``: the backward pass against central finite
differences (in float64, perturbing the inputs in place), one Jacobian entry at a time — or, with
``fast_mode=True``, along one random direction per input and output (v^T J u)."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd_engine import grad as _grad
from ..tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when a check fails (a RuntimeError, as in PyTorch)."""


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _diff_outputs(out):
    outs = _as_tuple(out) if isinstance(out, Tensor | tuple | list) else (out,)
    return tuple(o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f")


def _numerical_jacobian(fn, inputs, diff_idx, n_out_shapes, eps):
    """J[k][j] as an (n_in_k, n_out_j) array, perturbing each element of each input in place."""
    jac = []
    for k in diff_idx:
        x = inputs[k]._data
        cols = [np.zeros((x.size, int(np.prod(s, dtype=np.int64))), np.float64)
                for s in n_out_shapes]
        for i in range(x.size):
            pos = np.unravel_index(i, x.shape) if x.ndim else ()
            orig = x[pos].copy()
            # grad mode stays on: gradgradcheck's function itself calls autograd.grad
            x[pos] = orig + eps
            plus = [o._data.astype(np.float64).ravel() for o in _diff_outputs(fn(*inputs))]
            x[pos] = orig - eps
            minus = [o._data.astype(np.float64).ravel() for o in _diff_outputs(fn(*inputs))]
            x[pos] = orig
            for j, (p, m) in enumerate(zip(plus, minus, strict=False)):
                cols[j][i] = (p - m) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical_jacobian(outputs, inputs, diff_idx):
    """J[k][j] from one backward per output element, (n_in_k, n_out_j) like the numerical one."""
    diff_inputs = [inputs[k] for k in diff_idx]
    jac = [[np.zeros((inputs[k]._data.size, o._data.size), np.float64) for o in outputs]
           for k in diff_idx]
    for j, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for e in range(out._data.size):
            seed = np.zeros(out._data.shape, out._data.dtype)
            seed.flat[e] = 1
            grads = _grad(out, diff_inputs, _wrap(seed), retain_graph=True, allow_unused=True)
            for kk, g in enumerate(grads):
                if g is not None:
                    jac[kk][j][:, e] = g._data.astype(np.float64).ravel()
    return jac


def _fmt(arr, shape_in, shape_out):
    return repr(_wrap(arr.reshape(-1, max(1, int(np.prod(shape_out, dtype=np.int64))))
                      if shape_in or shape_out else arr))


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _prepare(inputs):
    inputs = _as_tuple(inputs)
    diff_idx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for k in diff_idx:
        if inputs[k]._data.dtype != np.float64:
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", UserWarning,
                          stacklevel=3)
    return inputs, diff_idx


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """True when every analytical Jacobian entry is within ``atol + rtol * |numerical|`` of the
    central difference; otherwise raise ``GradcheckError`` (or return False)."""
    inputs, diff_idx = _prepare(inputs)
    outputs = _diff_outputs(func(*inputs))
    if fast_mode:
        return _fast_check(func, inputs, diff_idx, outputs, eps, atol, rtol, raise_exception)
    numerical = _numerical_jacobian(func, inputs, diff_idx, [o.shape for o in outputs], eps)
    analytical = _analytical_jacobian(outputs, inputs, diff_idx)
    for kk, k in enumerate(diff_idx):
        for j, out in enumerate(outputs):
            a, n = analytical[kk][j], numerical[kk][j]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                shape_in = inputs[k].shape
                return _fail(f"Jacobian mismatch for output {j} with respect to input {k},\n"
                             f"numerical:{_fmt(n, shape_in, out.shape)}\n"
                             f"analytical:{_fmt(a, shape_in, out.shape)}\n", raise_exception)
    again = _analytical_jacobian(_diff_outputs(func(*inputs)), inputs, diff_idx)
    for kk in range(len(diff_idx)):
        for j in range(len(outputs)):
            if np.max(np.abs(again[kk][j] - analytical[kk][j]), initial=0.0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input "
                             "and grad_output multiple times gives different values, although "
                             "analytical gradient matches numerical gradient.The tolerance for "
                             f"nondeterminism was {nondet_tol}.", raise_exception)
    return True


def _fast_check(func, inputs, diff_idx, outputs, eps, atol, rtol, raise_exception):
    rng = np.random.default_rng(0)  # fixed directions: a failing check reproduces
    us = {k: rng.standard_normal(inputs[k]._data.shape) for k in diff_idx}
    for u in us.values():
        u /= max(np.linalg.norm(u), 1e-12)
    for j, out in enumerate(outputs):
        v = rng.standard_normal(out._data.shape)
        for k in diff_idx:
            x = inputs[k]._data
            orig = x.copy()
            x[...] = orig + eps * us[k]
            plus = _diff_outputs(func(*inputs))[j]._data.astype(np.float64)
            x[...] = orig - eps * us[k]
            minus = _diff_outputs(func(*inputs))[j]._data.astype(np.float64)
            x[...] = orig
            numerical = float(np.sum(v * (plus - minus) / (2 * eps)))
            analytical = 0.0
            if out.requires_grad:
                (g,) = _grad(out, (inputs[k],), _wrap(v.astype(out._data.dtype)),
                             retain_graph=True, allow_unused=True)
                if g is not None:
                    analytical = float(np.sum(g._data.astype(np.float64) * us[k]))
            if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {j} with respect to input {k},\n"
                             f"numerical:{_wrap(np.asarray(numerical))!r}\n"
                             f"analytical:{_wrap(np.asarray(analytical))!r}\n\n"
                             "The above quantities relating the numerical and analytical "
                             "jacobians are computed in fast mode. See: "
                             "https://github.com/pytorch/pytorch/issues/53876 for more "
                             "background about fast mode.", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the map (inputs, grad_outputs) -> grad(func(inputs), inputs, grad_outputs,
    create_graph=True): second derivatives against finite differences of the first."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(rng.uniform(-1, 1, o._data.shape).astype(o._data.dtype), True)
            for o in _diff_outputs(func(*inputs)))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def new_func(*args):
        inp, gos = args[:n_in], args[n_in:]
        outs = _diff_outputs(func(*inp))
        pairs = [(o, g) for o, g in zip(outs, gos, strict=False) if o.requires_grad]
        if not pairs:
            return ()
        grads = _grad([o for o, _ in pairs], [inp[k] for k in diff_idx], [g for _, g in pairs],
                      create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, fast_mode=fast_mode)


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
