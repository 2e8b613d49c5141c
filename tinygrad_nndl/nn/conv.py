"""Convolutional layers (book chapter 6): F.conv2d, F.conv1d, nn.Conv2d, nn.Conv1d.

A feature map is a set of shared weights and one shared bias applied at every
position of the input (the book's "local receptive fields" and "shared
weights"); the whole layer is one matrix product (ops/conv.py).
"""
import math

import numpy as np

from ..ops.conv import Conv2d as _Conv2dOp
from ..ops.conv import ConvGeometry
from ..tensor.dtypes import float32
from ..tensor.errors import OpError
from . import init
from .module import Module, Parameter
from .padding import pad


def _tuple(value, n, what, who):
    """An int or a sequence of n ints, as PyTorch's _pair/_single."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{who}: {what} must be an int or a tuple of {n} ints, got {value}")
    return value


class LazyName:
    """A layer's name for error messages, built only when one is raised (a
    module's forward would otherwise format its repr on every call)."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make

    def __str__(self):
        return self.make()

    def __format__(self, spec):
        return format(self.make(), spec)


def _shape(t):
    return tuple(t.shape)


def same_pads(kernel, dilation):
    """padding='same': d*(k-1) zeros per axis; as PyTorch, an odd total puts
    the extra one after (bottom, right)."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def conv_geometry(who, x_shape, w_shape, stride, padding, dilation, groups):
    """Check a 2-D convolution's arguments against the shapes and return its
    geometry. Every error names the layer (``who``) and the shapes."""
    if len(x_shape) != 4:
        raise ValueError(f"{who}: expected a 4-D input (N, C, H, W) (or 3-D unbatched), got "
                         f"input of shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{who}: expected a 4-D weight (out_channels, in_channels/groups, kH, "
                         f"kW), got weight of shape {w_shape}")
    stride = _tuple(stride, 2, "stride", who)
    dilation = _tuple(dilation, 2, "dilation", who)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{who}: stride and dilation must be positive, got stride={stride}, "
                         f"dilation={dilation}")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive integer, got {groups!r}")
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if o % groups:
        raise ValueError(f"{who}: out_channels ({o}, weight of shape {w_shape}) must be "
                         f"divisible by groups={groups}")
    if c != cg * groups:
        raise OpError(f"{who}: expected input with {cg * groups} channels (weight of shape "
                      f"{w_shape}, groups={groups}), got input of shape {x_shape}")
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{who}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            pads = same_pads((kh, kw), dilation)
        else:
            raise ValueError(f"{who}: padding must be 'valid', 'same', an int or a tuple of "
                             f"2 ints, got {padding!r}")
    else:
        p = _tuple(padding, 2, "padding", who)
        if min(p) < 0:
            raise ValueError(f"{who}: negative padding {p} is not supported (input of shape "
                             f"{x_shape})")
        pads = ((p[0], p[0]), (p[1], p[1]))
    hp, wp = h + sum(pads[0]), w + sum(pads[1])
    if ekh > hp or ekw > wp:
        raise ValueError(f"{who}: kernel size {(kh, kw)} (dilated: {(ekh, ekw)}) can't be "
                         f"greater than the padded input size {(hp, wp)} (input of shape "
                         f"{x_shape}, padding {pads})")
    out_hw = ((hp - ekh) // stride[0] + 1, (wp - ekw) // stride[1] + 1)
    return ConvGeometry((kh, kw), stride, dilation, pads, int(groups), (h, w), out_hw)


def _conv2d(who, input, weight, bias, stride, padding, dilation, groups):
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    geo = conv_geometry(who, _shape(x), _shape(weight), stride, padding, dilation, groups)
    if bias is not None and _shape(bias) != (weight.shape[0],):
        raise ValueError(f"{who}: expected a bias of shape ({weight.shape[0]},), got "
                         f"{_shape(bias)}")
    out = _Conv2dOp.apply(x, weight, bias, geo=geo)
    return out.squeeze(0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d: input (N, C, H, W) or (C, H, W), weight
    (O, C/groups, kH, kW); padding an int, a pair, 'valid' or 'same'."""
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups)


def _conv1d(who, input, weight, bias, stride, padding, dilation, groups):
    """A 1-D convolution is a 2-D one over a height of 1."""
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError(f"{who}: expected a 3-D input (N, C, L) (or 2-D unbatched) and a 3-D "
                         f"weight, got input of shape {_shape(input)} and weight of shape "
                         f"{_shape(weight)}")
    if not isinstance(padding, str):
        padding = (0, _tuple(padding, 1, "padding", who)[0])
    out = _conv2d(who, input.unsqueeze(-2), weight.unsqueeze(-2), bias,
                  (1, _tuple(stride, 1, "stride", who)[0]), padding,
                  (1, _tuple(dilation, 1, "dilation", who)[0]), groups)
    return out.squeeze(-2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d: input (N, C, L) or (C, L), weight (O, C/groups, k)."""
    return _conv1d("conv1d", input, weight, bias, stride, padding, dilation, groups)


class _ConvNd(Module):
    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or "
                             f"'circular', got {padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'valid', 'same' or ints, got "
                                 f"{padding!r}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, n, "stride", name)):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions")
        else:
            padding = _tuple(padding, n, "padding", name)
            if min(padding) < 0:
                raise ValueError(f"{name}: negative padding {padding} is not supported")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", name)
        self.stride = _tuple(stride, n, "stride", name)
        self.padding = padding
        self.dilation = _tuple(dilation, n, "dilation", name)
        self.groups, self.padding_mode = groups, padding_mode
        dtype = np.dtype(dtype or float32)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups)
                                         + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: weight and bias U(+-1/sqrt(fan_in)), fan_in =
        in_channels/groups * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def _who(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _padded_input(self, x):
        """padding_mode other than zeros: pad explicitly, then convolve unpadded."""
        if self.padding_mode == "zeros":
            return x, self.padding
        if x.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{self._who()}: expected a {self._dims + 2}-D input (or "
                             f"{self._dims + 1}-D unbatched), got input of shape {tuple(x.shape)}")
        k = self.kernel_size
        if self.padding == "valid":
            return x, 0
        if self.padding == "same":
            pairs = same_pads(k, self.dilation)
        else:
            pairs = [(p, p) for p in self.padding]
        flat = [v for lo_hi in reversed(pairs) for v in lo_hi]   # F.pad: last axis first
        return pad(x, flat, mode=self.padding_mode), 0

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """nn.Conv2d: weight (out_channels, in_channels/groups, kH, kW), bias
    (out_channels,), initialized as PyTorch does (see ``nn.init`` and
    examples/network3.py for the book's N(0, 1/n_out))."""

    def forward(self, input):
        x, padding = self._padded_input(input)
        return _conv2d(LazyName(self._who), x, self.weight, self.bias, self.stride, padding,
                       self.dilation, self.groups)


class Conv1d(_ConvNd):
    """nn.Conv1d: weight (out_channels, in_channels/groups, k)."""

    _dims = 1

    def forward(self, input):
        x, padding = self._padded_input(input)
        return _conv1d(LazyName(self._who), x, self.weight, self.bias, self.stride, padding,
                       self.dilation, self.groups)
