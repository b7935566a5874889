"""Module forms of ``F.pad`` and ``F.interpolate``: ``nn.ReflectionPad{1,2,3}d``,
``ReplicationPad``, ``CircularPad``, ``ConstantPad``, ``ZeroPad`` and ``nn.Upsample`` with its
``UpsamplingNearest2d`` / ``UpsamplingBilinear2d`` spellings, printed as PyTorch prints them."""

from __future__ import annotations

from .conv import pad
from .module import Module
from .resample import interpolate


def _widths(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    _mode = "constant"
    _n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._n)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _family(base, mode, prefix):
    out = {}
    for n in (1, 2, 3):
        name = f"{prefix}{n}d"
        out[name] = type(name, (base,), {"_mode": mode, "_n": n, "__module__": __name__,
                                         "__doc__": f"``F.pad(x, padding, '{mode}')`` over the "
                                                    f"last {n} dim(s)."})
    return out


_CLASSES = {**_family(_PadNd, "reflect", "ReflectionPad"),
            **_family(_PadNd, "replicate", "ReplicationPad"),
            **_family(_PadNd, "circular", "CircularPad"),
            **_family(_ConstantPadNd, "constant", "ConstantPad"),
            **_family(_ZeroPadNd, "constant", "ZeroPad")}
globals().update(_CLASSES)


class Upsample(Module):
    """``F.interpolate`` as a module."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple | list):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` on (N, C, H, W) input."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)`` on (N, C, H, W) input."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = sorted(_CLASSES) + ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
