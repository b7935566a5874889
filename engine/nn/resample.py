"""``F.interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear; area through the
adaptive average pools) and ``F.normalize``.

Upsampling is a gather map (``engine.gather_maps``): nearest picks one input element per output
element, the linear modes blend the ``2**d`` neighbours with PyTorch's source-index and weight
rules, recorded as ``UpsampleNearest{1,2,3}DBackward0`` / ``UpsampleLinear1DBackward0`` / ...
``normalize`` is PyTorch's composition ``x / norm(x).clamp_min(eps).expand_as(x)``."""

from __future__ import annotations

import math

import numpy as np

from .. import gather_maps
from ..tensor import Tensor

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_DIMS = ("W", "H", "D")


def _nearest(n_in, n_out, scale, exact):
    """Source index per output index (PyTorch computes the ratio in float32)."""
    if n_in == n_out:
        return np.arange(n_out)
    ratio = np.float32(1.0 / scale if scale is not None else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    return np.minimum(np.floor(dst * ratio).astype(np.int64), n_in - 1)


def _linear(n_in, n_out, scale, align_corners, dtype):
    """(index0, index1, weight0, weight1) per output index."""
    dst = np.arange(n_out)
    if n_in == n_out:
        return dst, dst, np.ones(n_out), np.zeros(n_out)
    ft = np.float32 if dtype == np.float32 else np.float64
    if align_corners:
        ratio = ft((n_in - 1) / (n_out - 1)) if n_out > 1 else ft(0)
        src = ratio * dst.astype(ft)
    else:
        ratio = ft(1.0 / scale if scale is not None else n_in / n_out)
        src = np.maximum(ratio * (dst.astype(ft) + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(np.float64)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, 1.0 - lam, lam


def _sizes(x, size, scale_factor, recompute):
    d = x.ndim - 2
    spatial = list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, list | tuple):
            if len(size) != d:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")
            return [int(s) for s in size], [None] * d
        return [int(size)] * d, [None] * d
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, list | tuple):
        if len(scale_factor) != d:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * d
    out = [math.floor(float(n) * s) for n, s in zip(spatial, scales, strict=True)]
    return out, ([None] * d if recompute else scales)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False
                ) -> Tensor:
    """Resample the spatial dims of an (N, C, ...) tensor to ``size`` or by ``scale_factor``."""
    x = input._data
    d = x.ndim - 2
    linear = mode in ("linear", "bilinear", "trilinear", "bicubic")
    if align_corners is not None and not linear:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and not (mode in ("bilinear", "bicubic") and x.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if not 1 <= d <= 3 or mode not in ("nearest", "nearest-exact", "linear", "bilinear",
                                       "trilinear", "area", "bicubic"):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{x.ndim}D) for the modes: {_MODES} (got {mode})")
    out_size, scales = _sizes(x, size, scale_factor, recompute_scale_factor)
    if mode in ("linear", "bilinear", "trilinear") and _LINEAR[d] != mode:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs "
                                  f"{ {'linear': 3, 'bilinear': 4, 'trilinear': 5}[mode]}D input")
    if mode == "bicubic" or antialias:
        raise NotImplementedError(f"F.interpolate(mode={mode!r}"
                                  + (", antialias=True" if antialias else "")
                                  + ") is not supported by this engine")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        if d == 3:
            raise NotImplementedError("F.interpolate(mode='area') on 5-D input is not supported "
                                      "by this engine")
        pool = adaptive_avg_pool1d if d == 1 else adaptive_avg_pool2d
        return pool(input, out_size[0] if d == 1 else tuple(out_size))
    if any(n <= 0 for n in out_size) or any(n <= 0 for n in x.shape[2:]):
        dims = ", ".join(f"{_DIMS[d - 1 - i]}: {n}" for i, n in enumerate(x.shape[2:]))
        outs = ", ".join(f"{_DIMS[d - 1 - i]}: {n}" for i, n in enumerate(out_size))
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({dims}) and output ({outs})")
    if x.dtype.kind != "f":
        fn = "nearest" if mode.startswith("nearest") else "linear"
        name = {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte",
                "int16": "Short", "int8": "Char"}.get(str(x.dtype), str(x.dtype))
        raise NotImplementedError(f'"compute_indices_weights_{fn}" not implemented for '
                                  f"'{name}'")
    grid = gather_maps.grid_index(x.shape)
    if mode.startswith("nearest"):
        idx = grid
        for i in range(d):
            src = _nearest(x.shape[2 + i], out_size[i], scales[i], mode == "nearest-exact")
            idx = np.take(idx, src, axis=2 + i)
        key = f"upsample_nearest{'_exact' if mode == 'nearest-exact' else ''}{d}d"
        return gather_maps.run(key, input, idx[None])
    idx, w = grid[None], np.ones((1,) + (1,) * x.ndim)
    for i in range(d):
        i0, i1, w0, w1 = _linear(x.shape[2 + i], out_size[i], scales[i], bool(align_corners),
                                 x.dtype)
        ax = 3 + i
        shape = [1] * (x.ndim + 1)
        shape[ax] = -1
        idx = np.concatenate([np.take(idx, i0, axis=ax), np.take(idx, i1, axis=ax)], 0)
        w = np.concatenate([w * w0.reshape(shape), w * w1.reshape(shape)], 0)
    w = np.broadcast_to(w, idx.shape)
    key = {1: "upsample_linear1d", 2: "upsample_bilinear2d", 3: "upsample_trilinear3d"}[d]
    return gather_maps.run(key, input, idx, w)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """``input / max(norm_p(input, dim), eps)``, PyTorch's composition (``DivBackward0``)."""
    if out is not None:
        raise NotImplementedError("F.normalize(out=) is not supported by this engine")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom
