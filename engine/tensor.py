"""The Tensor's core methods, with PyTorch's API and semantics, bound onto
``tensor_data.Tensor`` (the class and its fields): metadata, conversion, printing, arithmetic and
the elementwise functions; ops are recorded through ``engine.dispatch``. The other method
families bind themselves from their own modules (``tensor_autograd``, ``tensor_index``,
``tensor_inplace``, ``tensor_shape``, ...). The names of both modules that the engine's families
import from here are re-exported."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype
from .device import CPU, check_device
from .dispatch import (  # noqa: F401  (re-exported: the families import them from here)
    _BOOL_ERRORS,
    _MEAN,
    _POW,
    _RELU,
    _binary,
    _broadcast_error,
    _check_bool_sub,
    _compare,
    _edge,
    _operand,
    _promote,
    _result,
    _unary,
    record,
    record_outputs,
)
from .grad_mode import mode as _mode
from .ns import erf_np, relu_np
from .ns import scalar_power as _scalar_power
from .ops import OPS
from .tensor_data import (  # noqa: F401  (re-exported, as above)
    Size,
    Tensor,
    _arr,
    _shape_arg,
    _wrap,
    as_array,
    bind_methods,
)

_default = _dtype._default
_SCALARS = (builtins.float, builtins.int, builtins.bool)
_RSUB, _RPOW, _CLAMP, _CLAMP_MIN = OPS["rsub"], OPS["rpow"], OPS["clamp"], OPS["clamp_min"]
LEAF_INPLACE_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            lo, hi = -max(ndim, 1), max(ndim, 1) - 1
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {d})")
        out.append(d % max(ndim, 1))
    return tuple(out)


def _rdims(dim, ndim):
    """``_dims`` for a reduction: on a 0-d tensor dim 0 and -1 are accepted and reduce nothing."""
    dims = _dims(dim, ndim)
    return () if ndim == 0 and dims is not None else dims


def _dim_of_dimensioned(dim, ndim):
    """A dim of an op that has no meaning on a 0-d tensor (size, unbind): PyTorch's error."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _dims(dim, ndim)[0]


class _TensorMethods:
    """The methods of ``Tensor`` (defined in ``tensor_data``), bound onto it below."""

    # ---- metadata ------------------------------------------------------------------------------
    @property
    def data(self):
        # shares the values but not the version counter: changes made through .data are
        # invisible to autograd, as in PyTorch
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else as_array(value)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim_of_dimensioned(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    @property
    def dtype(self):
        return _dtype._BY_NP[self._data.dtype]

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def output_nr(self) -> int:
        return self._out_nr

    @property
    def _version(self) -> int:
        """PyTorch's version counter: bumped by every in-place change (shared with views)."""
        return self._vc[0]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{self.dtype.tensor_type}"
        return self.to(dtype)

    def element_size(self) -> int:
        return self._data.itemsize

    # ---- conversion ----------------------------------------------------------------------------
    def numpy(self, *, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to "
                               "Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = _wrap(self._data.copy(), self._rg)
        if type(self) is not Tensor:
            t = _retype(t, type(self))
        if self._grad is not None:
            t._grad = _wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        check_device(kwargs.get("device"))
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            else:
                check_device(a)
        if dtype is None or _dtype.to_numpy_dtype(dtype) == self._data.dtype:
            return self
        target = _dtype.to_numpy_dtype(dtype)
        if target.kind != "f":
            return _wrap(self._data.astype(target))
        op = OPS["to"]
        out, attrs = op.fwd(self._data, target)
        return _result(op, out, (self,), attrs, self._rg)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def cpu(self):
        return self

    def cuda(self, *a, **k):
        raise AssertionError("Torch not compiled with CUDA enabled")

    def clone(self, *, memory_format=None):
        op = OPS["clone"]
        out, attrs = op.fwd(self._data)
        return _result(op, out, (self,), attrs, self._rg)

    # ---- printing ------------------------------------------------------------------------------
    def __repr__(self, *, tensor_contents=None):
        from .printing import format_tensor

        fn = self.grad_fn
        d = self.dtype
        return format_tensor(
            self._data, dtype_name=d.name,
            is_default_dtype=d in (_default[0], _dtype.int64, _dtype.bool),
            requires_grad=self._rg and fn is None,
            grad_fn_name=type(fn).__name__ if fn is not None and not _is_acc(fn) else None,
        )

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    # ---- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other):
        return _binary("add", self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return _binary("sub", self, other)

    def __rsub__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            return other.__sub__(self)
        if other is NotImplemented:
            return other
        _check_bool_sub(self, other)
        dt = _promote(self, other)
        out, attrs = _RSUB.fwd(self._data, other, dt)
        return _result(_RSUB, out, (self,), attrs, self._rg)

    def __mul__(self, other):
        return _binary("mul", self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _binary("div", self, other, int_to_float=True)

    def __rtruediv__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            return other.__truediv__(self)
        if other is NotImplemented:
            return other
        return self.reciprocal() * other

    def __pow__(self, exponent):
        x = self._data
        if type(exponent) is builtins.int and x.dtype.kind == "f":
            out = _scalar_power(x, exponent)
            t = _wrap(out if type(out) is np.ndarray else np.asarray(out))
            if self._rg and _mode.enabled:
                record(_POW, t, (self,), exponent)
            return t
        if isinstance(exponent, Tensor | np.ndarray | list):
            return _binary("pow_tt", self, exponent)
        if isinstance(exponent, np.generic):
            exponent = exponent.item()
        dt = _promote(self, exponent)
        if dt.kind != "f" and type(exponent) is builtins.int and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        x = self._data.astype(dt, copy=False)
        out = np.asarray(_scalar_power(x, exponent) if dt.kind == "f" else np.power(x, exponent))
        if out.dtype != dt:
            out = out.astype(dt)
        return _result(OPS["pow"], out, (self,), exponent, self._rg)

    def __rpow__(self, base):
        if isinstance(base, Tensor):
            return base.__pow__(self)
        if isinstance(base, np.generic):
            base = base.item()
        out, attrs = _RPOW.fwd(self._data, base, _promote(self, base))
        return _result(_RPOW, out, (self,), attrs, self._rg)

    def __neg__(self):
        return _unary("neg", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __invert__(self):
        return _wrap(np.asarray(~self._data))

    def __and__(self, other):
        return _wrap(np.asarray(self._data & _arr(_operand(other))))

    def __or__(self, other):
        return _wrap(np.asarray(self._data | _arr(_operand(other))))

    def __xor__(self, other):
        return _wrap(np.asarray(self._data ^ _arr(_operand(other))))

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    # add, sub (alpha=), subtract, mul and multiply: engine/alpha_ops.py
    # div (with rounding_mode), %, // and their in-place forms: engine/division.py
    def true_divide(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def reciprocal(self):
        return _unary("reciprocal", self)

    def neg(self):
        return -self

    negative = neg

    # ---- elementwise functions -----------------------------------------------------------------
    def exp(self):
        return _unary("exp", self)

    def log(self):
        return _unary("log", self)

    def sqrt(self):
        return _unary("sqrt", self)

    def sin(self):
        return _unary("sin", self)

    def cos(self):
        return _unary("cos", self)

    def tanh(self):
        return _unary("tanh", self)

    def sigmoid(self):
        return _unary("sigmoid", self)

    def relu(self):
        x = self._data
        if x.dtype.kind == "f":
            out = relu_np(x)
            t = _wrap(out if type(out) is np.ndarray else np.asarray(out))  # 0-d: a scalar
            if self._rg and _mode.enabled:
                record(_RELU, t, (self,))
            return t
        return _unary("relu", self)

    def abs(self):
        return _unary("abs", self)

    def erf(self):
        return _unary("erf", self, erf_np)

    def sign(self):
        return self._piecewise("sign")

    def _piecewise(self, key):
        if self._data.dtype.kind != "f":
            if self._data.dtype.kind == "b":
                if key != "sign":
                    raise NotImplementedError(f'"{key}_vml_cpu" not implemented for \'Bool\'')
                return _wrap(self._data.copy())
            return _wrap(np.asarray(OPS[key].fwd(self._data)))
        return _unary(key, self)

    def square(self):
        return self ** 2

    def clamp(self, min=None, max=None):
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            from . import clamp_bounds  # ClampBackward0: the bounds are the node's inputs
            return clamp_bounds.clamp(self, min, max)
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = self._data
        if x.dtype.kind != "f":
            _check_bool_clamp(x, min, max)
            x = _clamp_promoted(x, min, max)
        out, attrs = _CLAMP.fwd(x, min, max)
        return _result(_CLAMP, out, (self,), attrs, self._rg)

    clip = clamp

    def clamp_min(self, min):
        if isinstance(min, Tensor):
            from . import clamp_bounds
            return clamp_bounds.clamp_min(self, min)
        x = self._data
        if x.dtype.kind != "f":
            _check_bool_clamp(x, min, None)
            x = _clamp_promoted(x, min, None)
        out, attrs = _CLAMP_MIN.fwd(x, min)
        return _result(_CLAMP_MIN, out, (self,), attrs, self._rg)

    def isnan(self):
        return _wrap(np.isnan(self._data))

    def isinf(self):
        return _wrap(np.isinf(self._data))

    def isfinite(self):
        return _wrap(np.isfinite(self._data))

    def floor(self):
        return self._piecewise("floor")

    def ceil(self):
        return self._piecewise("ceil")

    def round(self, decimals=0):
        if decimals:
            return _wrap(np.round(self._data, decimals))
        return self._piecewise("round")

bind_methods(Tensor, _TensorMethods)
del _TensorMethods


_CPP_NAMES = {"b1": "bool", "i1": "signed char", "i2": "short int", "i4": "int", "i8": "long int",
              "u1": "unsigned char"}


def _check_bool_clamp(x, lo, hi):
    """A bool tensor clamped to bool bounds: PyTorch's CPU kernels have no bool version."""
    if x.dtype.kind == "b" and all(v is None or type(v) is builtins.bool for v in (lo, hi)):
        kernel = "clamp" if lo is not None and hi is not None else (
            "clamp_min" if lo is not None else "clamp_max")
        raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for \'Bool\'')


def _clamp_promoted(x, lo, hi):
    """An int or bool array in the dtype PyTorch clamps it in: a float bound makes it float, an
    int bound makes a bool tensor int64."""
    kinds = {type(v) for v in (lo, hi)}
    if builtins.float in kinds:
        return x.astype(_default[0].np)
    if builtins.int in kinds and x.dtype.kind == "b":
        return x.astype(np.int64)
    return x


def _is_acc(fn):
    return fn.op is None and fn._name.endswith("AccumulateGrad")


def _retype(t, cls):
    new = cls.__new__(cls)
    for slot in Tensor.__slots__:
        if slot == "__dict__":
            new.__dict__.update(t.__dict__)
        elif slot != "__weakref__":
            setattr(new, slot, getattr(t, slot))
    return new


def _rebuild(data, rg):
    t = _wrap(data)
    t._rg = rg
    return t


_C_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
                 "int8": "signed char", "uint8": "unsigned char", "int16": "short int",
                 "int32": "int", "int64": "long int", "bool": "bool"}
