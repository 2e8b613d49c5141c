"""Pooling layers (book chapter 6's max-pooling).

F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d and the modules
nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, with PyTorch's arguments,
output sizes (ceil_mode included) and gradients.
"""
import numpy as np

from ..ops import pool as P
from ..tensor.tensor import Tensor
from .conv import LazyName, _tuple
from .module import Module


def pool_geometry(who, shape, kernel_size, stride, padding, dilation, ceil_mode):
    if len(shape) not in (3, 4):
        raise ValueError(f"{who}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"input of shape {shape}")
    k = _tuple(kernel_size, 2, "kernel_size", who)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(stride, 2, "stride", who)
    p = _tuple(padding, 2, "padding", who)
    d = _tuple(dilation, 2, "dilation", who)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(f"{who}: kernel_size, stride and dilation must be positive, got "
                         f"kernel_size={k}, stride={s}, dilation={d}")
    if min(p) < 0:
        raise ValueError(f"{who}: negative padding {p} is not supported (input of shape "
                         f"{shape})")
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(f"{who}: padding should be at most half of the kernel size, got "
                         f"padding={p}, kernel_size={k}")
    out, hi = [], []
    for n, ki, si, pi, di in zip(shape[-2:], k, s, p, d):
        span = di * (ki - 1) + 1
        o = (n + 2 * pi - span + ((si - 1) if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= n + pi:   # the last window must start inside
            o -= 1
        if o < 1:
            raise ValueError(f"{who}: kernel size {k} (dilation {d}) is larger than the padded "
                             f"input (input of shape {shape}, padding {p}): output size {o}")
        out.append(o)
        hi.append(max(0, (o - 1) * si + span - n - pi))
    pads = ((p[0], hi[0]), (p[1], hi[1]))
    return P.PoolGeometry(k, s, d, pads, tuple(shape[-2:]), tuple(out))


def _flat_indices(idx, geo):
    """PyTorch's return_indices: each maximum's position in its input plane, h * W + w."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    t, l = geo.pads[0][0], geo.pads[1][0]
    k = idx.astype(np.int64)
    rows = np.arange(ho).reshape(ho, 1) * sh - t + (k // kw) * dh
    cols = np.arange(wo) * sw - l + (k % kw) * dw
    return rows * geo.in_hw[1] + cols


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of every kernel_size window (stride defaults to kernel_size).
    The gradient goes to the first maximum of each window, as in PyTorch."""
    return _max_pool2d("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _max_pool2d(who, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    geo = pool_geometry(who, tuple(input.shape), kernel_size, stride, padding, dilation,
                        ceil_mode)
    if not return_indices:
        return P.MaxPool2d.apply(input, geo=geo)
    box = []   # the op's forward leaves its argmax here
    out = P.MaxPool2d.apply(input, geo=geo, box=box)
    return out, Tensor._make(_flat_indices(box[0], geo), None)


def _avg_divisors(geo, count_include_pad, divisor_override):
    """1 / the number of elements averaged by every window, shape (Ho, Wo)."""
    if divisor_override:
        return np.asarray(1.0 / divisor_override)
    counts = []
    for n, k, s, (p, _), o in zip(geo.in_hw, geo.kernel, geo.stride, geo.pads, geo.out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)   # windows are clipped at the padded border
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return 1.0 / (counts[0].reshape(-1, 1) * counts[1])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of every window; padded zeros count unless count_include_pad=False."""
    return _avg_pool2d("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


def _avg_pool2d(who, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    geo = pool_geometry(who, tuple(input.shape), kernel_size, stride, padding, 1, ceil_mode)
    scale = _avg_divisors(geo, count_include_pad, divisor_override).astype(input.dtype)
    return P.WindowGather.apply(input, geo=geo, scale=scale)


def _adaptive_matrix(n, o, dtype):
    """(o, n) averaging matrix of PyTorch's adaptive bins [floor(i n/o), ceil((i+1) n/o))."""
    m = np.zeros((o, n), dtype=dtype)
    for i in range(o):
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        m[i, start:end] = 1.0 / (end - start)
    return m


def adaptive_avg_pool2d(input, output_size):
    """Average over bins that tile the input into output_size (None keeps a size)."""
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got input of "
                         f"shape {tuple(input.shape)}")
    h, w = input.shape[-2:]
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {size}")
    if h % oh == 0 and w % ow == 0:   # equal bins: average pooling, exact even for inf
        return avg_pool2d(input, (h // oh, w // ow))
    # unequal bins: one averaging matrix per axis, out = A_h x A_w^T
    a_h = _adaptive_matrix(h, oh, input.dtype)
    a_w = _adaptive_matrix(w, ow, input.dtype)
    return a_h @ (input @ a_w.T)


class MaxPool2d(Module):
    """nn.MaxPool2d: the book's max-pooling layer (kernel_size=2 halves each side)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        who = LazyName(lambda: f"MaxPool2d({self.extra_repr()})")
        return _max_pool2d(who, input, self.kernel_size,
                           self.stride, self.padding, self.dilation, self.ceil_mode,
                           self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        who = LazyName(lambda: f"AvgPool2d({self.extra_repr()})")
        return _avg_pool2d(who, input, self.kernel_size,
                           self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                           self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
