"""``F.conv3d`` and ``F.conv_transpose1d/2d`` (with ``nn.Conv3d``, ``nn.ConvTranspose1d/2d``),
each one ``ConvolutionBackward0`` node over (input, weight, bias) as PyTorch records it: the
rows ``convolution_nd`` and ``convolution_transpose`` of ``engine.composite_nn``, run here after
PyTorch's checks."""

from __future__ import annotations

from .. import composite_rows
from ..composite_nn import CONV_ND, CONV_T, scatter_index, window_index
from ..tensor import Tensor
from .conv import _ConvNd, _fmt, _tname, _tuple, resolve_padding


# ---- checks shared by both ------------------------------------------------------------------
def _check_common(input, weight, bias, nd, name, groups, transposed):
    x, w = input._data, weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional "
                           f"weight {_fmt(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{_fmt(x.shape)} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_fmt(w.shape)}] instead"
                           if transposed else
                           f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {_fmt(w.shape)} instead")
    want_c = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != want_c:
        head = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
        raise RuntimeError(f"{head} of size {_fmt(w.shape)}, expected input{_fmt(x.shape)} to "
                           f"have {want_c} channels, but got {x.shape[1]} channels instead")
    oc = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and tuple(bias.shape) != (oc,):
        head = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{head} of size {_fmt(w.shape)}, expected bias to be 1-dimensional "
                           f"with {oc} elements, but got bias of size {_fmt(bias.shape)} "
                           "instead")
    if x.dtype != w.dtype:
        if transposed:
            names = {"float64": "Double", "float32": "Float"}
            raise RuntimeError(f"expected scalar type {names.get(str(x.dtype), x.dtype)} but "
                               f"found {names.get(str(w.dtype), w.dtype)}")
        raise RuntimeError(f"Input type ({_tname(x)}) and weight type ({_tname(w)}) should be "
                           "the same")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D convolution (cross-correlation) over (N, C, D, H, W) or (C, D, H, W) input."""
    if input.dim() not in (4, 5):
        raise RuntimeError("Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
                           f"input of size: {_fmt(input.shape)}")
    if input.dim() == 4:
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _check_common(input, weight, bias, 3, "conv3d", groups, False)
    x, w = input._data, weight._data
    k = tuple(w.shape[2:])
    s, d = _tuple(stride, 3), _tuple(dilation, 3)
    input, p = resolve_padding(input, padding, k, s, d, 3, stacklevel=3)
    x = input._data
    padded = [x.shape[2 + i] + 2 * p[i] for i in range(3)]
    eff = [d[i] * (k[i] - 1) + 1 for i in range(3)]
    if any(a < e for a, e in zip(padded, eff, strict=True)):
        raise RuntimeError("Calculated padded input size per channel: ("
                           + " x ".join(map(str, padded)) + "). Kernel size: ("
                           + " x ".join(map(str, eff)) + "). Kernel size can't be greater than "
                           "actual input size")
    out = tuple((padded[i] - eff[i]) // s[i] + 1 for i in range(3))
    idx = window_index(padded, k, s, d, out)
    return composite_rows.run(CONV_ND, (input, weight, bias), (s, p, d, groups, idx, out))


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    name = f"conv_transpose{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_fmt(input.shape)}")
    if input.dim() == nd + 1:
        return _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding, output_padding,
                               groups, dilation, nd).squeeze(0)
    _check_common(input, weight, bias, nd, name, groups, True)
    s, p, d = _tuple(stride, nd), _tuple(padding, nd), _tuple(dilation, nd)
    op = _tuple(output_padding, nd)
    if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
        # a 1-d convolution runs as a 2-d one of height 1 (output padding 0, stride 1)
        o2, s2, d2 = ((0, *op), (1, *s), (1, *d)) if nd == 1 else (op, s, d)
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got output_padding_height: {o2[-2]} output_padding_width: {o2[-1]} "
                           f"stride_height: {s2[-2]} stride_width: {s2[-1]} dilation_height: "
                           f"{d2[-2]} dilation_width: {d2[-1]}")
    x, w = input._data, weight._data
    k = tuple(w.shape[2:])
    spatial = tuple(x.shape[2:])
    out = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
                for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, spatial))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, out))}). "
                           "Output size is too small")
    flat, inside = scatter_index(spatial, k, s, p, d, out)
    return composite_rows.run(CONV_T, (input, weight, bias),
                   (s, p, d, groups, flat, inside, out))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 1-D convolution over (N, C, L) or (C, L) input."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 2-D convolution over (N, C, H, W) or (C, H, W) input."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)


# ---- modules ----------------------------------------------------------------------------------
class Conv3d(_ConvNd):
    """3-D convolution layer; weight (out, in/groups, kd, kh, kw) ~ kaiming_uniform(a=sqrt(5))."""

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={self.padding_mode!r}: stepgrad's engine "
                                      "convolves with zero padding only")
        return conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = _tuple(output_padding, self._nd)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.output_padding != (0,) * self._nd:
            # PyTorch's order: ..., dilation, output_padding, groups, bias
            at = next((s.find(key) for key in (", groups=", ", bias=", ", padding_mode=")
                       if key in s), len(s))
            s = s[:at] + f", output_padding={self.output_padding}" + s[at:]
        return s

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if output_size is not None:
            raise NotImplementedError("ConvTranspose forward(output_size=) is not supported by "
                                      "this engine; pass output_padding")
        fn = conv_transpose1d if self._nd == 1 else conv_transpose2d
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution layer; weight (in, out/groups, k)."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution layer; weight (in, out/groups, kh, kw)."""

    _nd = 2
