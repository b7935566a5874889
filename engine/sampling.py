"""Sampling users call directly: ``multinomial``, ``bernoulli``, ``normal``'s overloads and the
in-place ``exponential_``/``random_``/``bernoulli_``, each drawing PyTorch's numbers from the
generator passed as ``generator=`` (or the global one).

The algorithms are ATen's CPU ones, so the draws line up with PyTorch's:
``multinomial`` without replacement, or for one sample, is Gumbel-max in its exponential form
(``argmax(p / q)``, ``q ~ Exp(1)``; ``topk`` for several samples); with replacement and several
samples it binary-searches a cumulative distribution, summed in the input's dtype (float for
half), with one double uniform per sample. Exponentials are ``-log1p(-u)`` of a double uniform
with the C library's ``log1p`` (``math.log1p``; numpy's differs in the last bit for doubles).
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype
from .random import Generator, _rng
from .tensor import Tensor, _shape_arg, _wrap, as_array

_default = _dtype._default


def _scalar_type(arr) -> str:
    return _dtype.from_numpy_dtype(arr.dtype).tensor_type.removesuffix("Tensor")


def _check_generator(fn, generator):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{fn}(): argument 'generator' must be torch.Generator, not "
                        f"{type(generator).__name__}")


def _exponentials(gen: Generator, n: int, lambd: float = 1.0) -> np.ndarray:
    """n draws of ATen's ``exponential_distribution<double>``, as float64."""
    log1p = math.log1p
    return np.array([-1.0 / lambd * log1p(-u) for u in gen._unit(n, np.float64).tolist()],
                    dtype=np.float64)


# ---- multinomial --------------------------------------------------------------------------------
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    _check_generator("multinomial", generator)
    if isinstance(num_samples, builtins.bool) or not isinstance(num_samples, (builtins.int,
                                                                              np.integer)):
        raise TypeError("multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    p = input._data if isinstance(input, Tensor) else as_array(input)
    if not 1 <= p.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_scalar_type(p)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = p.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if n_cat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = p.reshape(-1, n_cat)
    shape = (num_samples,) if p.ndim == 1 else (p.shape[0], num_samples)
    if rows.shape[0] == 0:
        result = np.zeros(shape, np.int64)
    elif not replacement or num_samples == 1:
        result = _gumbel_max(rows, num_samples, _rng(generator)).reshape(shape)
    else:
        result = _inverse_cdf(rows, num_samples, _rng(generator)).reshape(shape)
    if out is not None:
        out._data = result
        return out
    return _wrap(result)


def _gumbel_max(rows, k, gen) -> np.ndarray:
    if rows.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if not (rows.max() < np.inf and rows.min() >= 0):  # NaN fails both, as in ATen
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    q = _exponentials(gen, rows.size).astype(rows.dtype).reshape(rows.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rows / q
    if k == 1:
        return np.argmax(ratio, axis=1).astype(np.int64)
    return np.argsort(-ratio, axis=1, kind="stable")[:, :k].astype(np.int64)


def _inverse_cdf(rows, k, gen) -> np.ndarray:
    acc = np.float64 if rows.dtype == np.float64 else np.float32  # half sums in float
    out = np.empty((rows.shape[0], k), np.int64)
    for i, row in enumerate(rows.astype(acc, copy=False)):
        bad = np.flatnonzero(~(row >= 0) | ~np.isfinite(row))
        if bad.size:  # ATen checks element by element: NaN fails `>= 0` first
            v = row[bad[0]]
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
                if not v >= 0 else
                "invalid multinomial distribution (encountering probability entry = infinity "
                "or NaN)")
        cum = np.cumsum(row, dtype=acc)  # sequential, in the accumulation dtype
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum /= total
        cum[-1] = 1
        u = gen._unit(k, np.float64)
        # leftmost slot whose cumulative probability reaches u: ATen's binary search
        out[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return out


# ---- bernoulli, exponential, random --------------------------------------------------------------
def _bernoulli_from_probs(probs: np.ndarray, gen: Generator) -> np.ndarray:
    if probs.dtype.kind != "f":
        raise NotImplementedError(
            f'"bernoulli_tensor_cpu_p_" not implemented for \'{_scalar_type(probs)}\'')
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    # double probabilities compare double uniforms, others float ones (bernoulli_distribution<T>)
    unit = np.float64 if probs.dtype == np.float64 else np.float32
    u = gen._unit(probs.size, unit).reshape(probs.shape)
    return u < probs


def _bernoulli_scalar(shape, p, gen: Generator) -> np.ndarray:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    return (gen._unit(math.prod(shape), np.float64) < p).reshape(shape)


def _fmt(x) -> str:
    return str(builtins.int(x)) if builtins.float(x).is_integer() else repr(builtins.float(x))


def bernoulli(input, p=None, *, generator=None, out=None):
    """``torch.bernoulli(probs)`` (each element its own p) or ``torch.bernoulli(input, p)``."""
    _check_generator("bernoulli", generator)
    x = input._data if isinstance(input, Tensor) else as_array(input)
    gen = _rng(generator)
    if p is None:
        mask = _bernoulli_from_probs(x, gen)
    else:
        mask = _bernoulli_scalar(x.shape, p, gen)
    res = mask.astype(x.dtype)
    if out is not None:
        out._data = res
        return out
    return _wrap(res)


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    return t._fill_random(values.astype(t._data.dtype, copy=False))


def _bernoulli_(self, p=0.5, *, generator=None):
    _check_generator("bernoulli_", generator)
    gen = _rng(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return _fill(self, _bernoulli_from_probs(probs, gen))
    return _fill(self, _bernoulli_scalar(self._data.shape, p, gen))


def _bernoulli(self, p=None, *, generator=None):
    if p is None:
        return bernoulli(self, generator=generator)
    return _bernoulli_(_wrap(np.empty_like(self._data)), p, generator=generator)


def _exponential_(self, lambd=1.0, *, generator=None):
    _check_generator("exponential_", generator)
    if self._data.dtype.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_scalar_type(self._data)}")
    if not (lambd > 0 and math.isfinite(lambd)):
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    draws = _exponentials(_rng(generator), self._data.size, lambd)
    return _fill(self, draws.reshape(self._data.shape))


def _random_(self, *args, generator=None, **kwargs):
    """``random_(to)``, ``random_(from, to)``, ``random_()``: ATen's modulo of a raw draw."""
    _check_generator("random_", generator)
    low = kwargs.pop("from", None)
    high = kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if low is None:
            low, high = 0, args[0]
        else:
            high = args[0]
    gen = _rng(generator)
    shape = self._data.shape
    if low is None and high is None:
        dt = self._data.dtype
        # [0, 2**digits] for floats (every integer the type holds exactly), [0, max] for ints
        top = {np.float32: 1 << 24, np.float64: 1 << 53, np.float16: 1 << 11}.get(
            dt.type, np.iinfo(dt).max if dt.kind in "iu" else 1)
        draws = gen._u64(math.prod(shape)) if top >= 1 << 32 else gen._u32(math.prod(shape))
        return _fill(self, (draws % np.uint64(top + 1)).astype(np.int64).reshape(shape))
    low = 0 if low is None else low
    return _fill(self, gen.integers(low, high, shape))


# ---- normal's overloads ---------------------------------------------------------------------------
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """``normal(mean, std)`` with tensors or floats in either place, or ``normal(m, s, size)``.

    ATen draws standard normals into the result and then scales by ``std`` and adds ``mean``
    (two roundings); with two floats it transforms inside the kernel (one fused rounding).
    """
    _check_generator("normal", generator)
    gen = _rng(generator)
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (m_t or s_t):
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments - got "
                f"({type(mean).__name__}, {type(std).__name__}), but expected one of:\n"
                " * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = "
                "None)\n"
                " * (Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out "
                "= None)\n"
                " * (float mean, Tensor std, *, torch.Generator generator = None, Tensor out = "
                "None)\n"
                " * (float mean, float std, tuple of ints size, *, torch.Generator generator = "
                "None, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                "torch.device device = None, bool pin_memory = False, bool requires_grad = "
                "False)\n")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        dt = _dtype.to_numpy_dtype(dtype) if dtype is not None else _default[0].np
        res = _wrap(gen.normal(mean, std, _shape_arg((size,)), dt))
        if requires_grad:
            res.requires_grad_(True)
        return _out(res, out)
    m = mean._data if m_t else None
    s = std._data if s_t else None
    ref = m if m_t else s
    if ref.dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for "
                                  f"'{_scalar_type(ref)}'")
    if s_t:
        if (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    if m_t and s_t:
        dt = m.dtype
        try:
            shape = np.broadcast_shapes(m.shape, s.shape)
        except ValueError:
            from .tensor import _broadcast_error

            raise _broadcast_error(m.shape, s.shape) from None
        z = gen.normal(0.0, 1.0, shape, dt)
        # in place into the result (mean's dtype): each step rounds back to it
        res = (z * s).astype(dt, copy=False) + m
    elif m_t:
        dt = m.dtype
        z = gen.normal(0.0, std, m.shape, dt)
        res = z + m
    else:
        dt = s.dtype
        z = gen.normal(0.0, 1.0, s.shape, dt)
        res = z * s + dt.type(mean)
    return _out(_wrap(np.asarray(res, dtype=dt)), out)


def _out(res: Tensor, out):
    if out is None:
        return res
    out._data = res._data
    return out


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_generator("normal_", generator)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _fill(self, _rng(generator).normal(mean, std, self._data.shape, self._data.dtype))


def _uniform_(self, a=0.0, b=1.0, *, generator=None, **kwargs):
    _check_generator("uniform_", generator)
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not a <= b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(a)} > to={_fmt(b)}")
    return _fill(self, _rng(generator).uniform(a, b, self._data.shape, self._data.dtype))


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    if high is None:
        low, high = 0, low
    dt = _dtype.to_numpy_dtype(dtype) if dtype is not None else input._data.dtype
    return _wrap(_rng(generator).integers(low, high, input._data.shape).astype(dt))


def _multinomial(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.multinomial = _multinomial
Tensor.bernoulli = _bernoulli
Tensor.bernoulli_ = _bernoulli_
Tensor.exponential_ = _exponential_
Tensor.random_ = _random_
Tensor.normal_ = _normal_
Tensor.uniform_ = _uniform_

__all__ = ["bernoulli", "multinomial", "normal", "randint_like"]
