"""Pooling (book chapter 6: max-pooling after each convolution) and padding.

A pooling window of kh x kw is a loop over its kh*kw offsets, each a strided
slice of the whole batch: max and average pooling are kh*kw elementwise
operations on (N, C, Ho, Wo) arrays, never a loop over pixels.

Both backward passes are the same linear map, ``WindowScatter``: every output
position's gradient goes back to window positions, weighted (average pooling:
1/count) or masked (max pooling: the first maximum of the window, as PyTorch
sends it). Its adjoint ``WindowGather`` reads the same positions; each is the
other's backward, so second derivatives are recorded like first ones.
"""
import functools
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from ..tensor.tensor import Tensor
from .conv import describe
from .dual import BLAS_DTYPES


class PoolGeometry(NamedTuple):
    kernel: tuple     # (kh, kw)
    stride: tuple
    dilation: tuple
    pads: tuple       # ((top, bottom), (left, right)); bottom/right cover ceil_mode's extra windows
    in_hw: tuple
    out_hw: tuple

    def __repr__(self):   # short, for draw_graph's op labels
        return describe(self)


@functools.lru_cache(maxsize=256)   # a network has a few geometries, used every step
def _offsets(geo):
    """((k, index), ...) for every kernel offset: index selects, in the padded
    input, the element at that offset of every window."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = geo.kernel, geo.stride, geo.dilation, geo.out_hw
    return tuple((i * kw + j, (Ellipsis, slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                               slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)))
                 for i in range(kh) for j in range(kw))


def _padded_shape(shape, geo):
    (t, b), (l, r) = geo.pads
    return shape[:-2] + (shape[-2] + t + b, shape[-1] + l + r)


def _pad(x, geo, fill):
    (t, b), (l, r) = geo.pads
    if not (t or b or l or r):
        return x
    out = np.full(_padded_shape(x.shape, geo), fill, dtype=x.dtype)
    out[..., t:t + x.shape[-2], l:l + x.shape[-1]] = x
    return out


def _crop(xp, geo):
    (t, _), (l, _) = geo.pads
    h, w = geo.in_hw
    return xp[..., t:t + h, l:l + w]


def zeros_in_layout(shape, like, dtype, fill=True):
    """zeros(shape) with the axis order in memory of ``like``: the (O, N, H, W)
    layout that a convolution produces stays through pooling and its gradient,
    so no layer pays for a transposing copy. ``fill=False``: uninitialized, for
    a caller that writes every element."""
    strides = like.strides
    perm = sorted(range(len(strides)), key=lambda i: -abs(strides[i]))   # stable, as numpy's
    out = (np.zeros if fill else np.empty)([shape[p] for p in perm], dtype=dtype)
    return out.transpose(sorted(range(len(perm)), key=perm.__getitem__))


@functools.lru_cache(maxsize=256)
def _disjoint(geo):
    """Whether no input element is in two windows (stride >= dilated kernel)."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(geo.kernel, geo.stride, geo.dilation))


@functools.lru_cache(maxsize=256)
def _tiles(geo):
    """Whether the windows tile the padded input exactly: every element is in
    exactly one window (stride = kernel, no dilation, nothing left over)."""
    padded = _padded_shape(geo.in_hw, geo)
    return all(s == k and d == 1 and k * o == p for k, s, d, o, p in
               zip(geo.kernel, geo.stride, geo.dilation, geo.out_hw, padded))


def _first_max(a, b, kind):
    """Merge two halves of a tournament: (value, offset, owned) of the larger,
    the left (lower offsets) on ties, so the winner is the window's first
    maximum. An offset is a Python int (a single slice) or an array of
    ``kind``; owned: the value is a buffer of ours (else a view of the input,
    not to be written)."""
    (va, ia, own), (vb, ib, _) = a, b
    right = np.greater(vb, va)
    value = np.maximum(va, vb, out=va if own else None)   # np.maximum keeps the layout
    if isinstance(ia, int) and isinstance(ib, int):
        offsets = right * kind(ib - ia)
        offsets += kind(ia)
    elif isinstance(ib, int):
        offsets = np.where(right, kind(ib), ia)
    else:
        offsets = ia + right * (ib - ia)       # ib > ia everywhere: no wrap-around
    return value, offsets, True


def max_pool_forward(x, geo):
    """The maximum of every window and, per window, the offset k of its first
    maximum (of its last NaN, if any: NaN propagates, as in PyTorch).

    A tournament over the kh*kw strided slices: pairs merged by elementwise
    maxima and comparisons, about 4 numpy calls per slice (masked writes,
    np.copyto with where or boolean indexing, would cost 5x more)."""
    xp = _pad(x, geo, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    views = [xp[index] for _, index in _offsets(geo)]
    kind = np.uint8 if len(views) <= 256 else np.uint16   # the offsets' type: small is fast
    entries = [(v, k, False) for k, v in enumerate(views)]
    while len(entries) > 1:
        merged = [_first_max(a, b, kind) for a, b in zip(entries[::2], entries[1::2])]
        entries = merged + ([entries[-1]] if len(entries) % 2 else [])
    best, idx, own = entries[0]
    if not own:   # a 1x1 window
        best = np.copy(best)
    idx = np.zeros(best.shape, dtype=kind) + kind(idx) if isinstance(idx, int) else idx
    if x.dtype.kind == "f" and not _all_finite(best):
        nan = np.isnan(best)
        if nan.any():   # NaN windows: the gradient goes to the last NaN, as in PyTorch
            for k, v in enumerate(views):
                idx[nan & np.isnan(v)] = k
    return best, idx


def _all_finite(a):
    """Whether a holds no NaN or inf, in one fast pass: a NaN or inf carries into
    the sum of squares (which may also overflow: then the answer is a safe False)."""
    flat = a.ravel(order="K")   # a view when a is one block of memory in any axis order
    total = flat @ flat if flat.dtype in BLAS_DTYPES else flat.sum()
    return bool(np.isfinite(total))



def scatter_forward(g, geo, idx=None, scale=None):
    """zeros like the input, plus every output's gradient at the window
    positions it came from: where idx says (max) or all, times scale (avg)."""
    if scale is not None:
        g = g * scale
    disjoint = _disjoint(geo)
    # g * mask is the fast masked write, but NaN * 0 is NaN, not 0: it is
    # taken once g is known to be finite.
    multiply = disjoint and (idx is None or g.dtype.kind != "f" or _all_finite(g))
    out = zeros_in_layout(_padded_shape(g.shape[:-2] + geo.in_hw, geo), g, g.dtype,
                          fill=not (multiply and _tiles(geo)))   # else every element is written
    for k, index in _offsets(geo):
        view = out[index]
        if idx is None:
            if disjoint:
                view[...] = g
            else:
                view += g
        elif multiply:
            np.multiply(g, idx == k, out=view)
        else:
            view += np.where(idx == k, g, 0)
    return _crop(out, geo)


def gather_forward(x, geo, idx=None, scale=None):
    """The adjoint of scatter_forward: every window's (selected) elements summed."""
    xp = _pad(x, geo, 0)
    out = None
    for k, index in _offsets(geo):
        v = xp[index] if idx is None else np.where(idx == k, xp[index], 0)
        if out is None:
            out = np.copy(v)
        else:
            out += v
    return out if scale is None else out * scale


def scatter(g, geo, idx=None, scale=None):
    if isinstance(g, Tensor):
        return WindowScatter.apply(g, geo=geo, idx=idx, scale=scale)
    return scatter_forward(g, geo, idx, scale)


def gather(x, geo, idx=None, scale=None):
    if isinstance(x, Tensor):
        return WindowGather.apply(x, geo=geo, idx=idx, scale=scale)
    return gather_forward(x, geo, idx, scale)


class MaxPool2d(Function):
    """Max over each window; the gradient goes to the window's first maximum."""

    geo = None
    idx = None
    box = None   # a list to receive idx (return_indices)
    save_inputs = False
    saved_attrs = ("idx",)   # where each window's max was: released by backward

    def forward(self, x):
        out, self.idx = max_pool_forward(x, self.geo)
        if self.box is not None:
            self.box.append(self.idx)
        return out

    def backward(self, g, out, x):
        return (scatter(g, self.geo, self.idx),)

    @classmethod
    def op_name(cls):
        return "max_pool2d"


class WindowGather(Function):
    """Sum (times ``scale``) of each window's elements, or of the one ``idx``
    selects: average pooling's forward, and max pooling's second backward."""

    geo = None
    idx = None
    scale = None
    save_inputs = False

    def forward(self, x):
        return gather_forward(x, self.geo, self.idx, self.scale)

    def backward(self, g, out, x):
        return (scatter(g, self.geo, self.idx, self.scale),)

    @classmethod
    def op_name(cls):
        return "avg_pool2d"


class WindowScatter(Function):
    """The adjoint of WindowGather: pooling's backward, itself differentiable."""

    geo = None
    idx = None
    scale = None
    save_inputs = False

    def forward(self, g):
        return scatter_forward(g, self.geo, self.idx, self.scale)

    def backward(self, gg, out, g):
        return (gather(gg, self.geo, self.idx, self.scale),)


# ----- padding ---------------------------------------------------------------
def _pad_axis_adjoint(g, axis, lo, hi, n, mode):
    """Sum the gradient of a padded axis back onto the n original positions."""
    g = np.moveaxis(g, axis, 0)
    core = g[lo:lo + n].copy()
    if mode == "reflect":
        if lo:
            core[1:lo + 1] += g[:lo][::-1]
        if hi:
            core[n - 1 - hi:n - 1] += g[lo + n:][::-1]
    elif mode == "replicate":
        if lo:
            core[0] += g[:lo].sum(axis=0)
        if hi:
            core[-1] += g[lo + n:].sum(axis=0)
    else:   # circular
        if lo:
            core[n - lo:] += g[:lo]
        if hi:
            core[:hi] += g[lo + n:]
    return np.moveaxis(core, 0, axis)


_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_forward(x, pads, mode, value):
    """``pads``: one (lo, hi) per axis of x. Constant mode crops where negative."""
    if mode == "constant":
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape))
        x = x[crop]
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
        if not any(lo or hi for lo, hi in grow):
            return x.copy()
        return np.pad(x, grow, mode="constant", constant_values=value)
    return np.pad(x, pads, mode=_NUMPY_MODES[mode])


def pad_adjoint_forward(g, pads, mode, shape):
    for axis, ((lo, hi), n) in enumerate(zip(pads, shape)):
        if lo or hi:
            g = _pad_axis_adjoint(g, axis, lo, hi, n, mode)
    return np.ascontiguousarray(g)


class Pad(Function):
    """F.pad. Backward: constant padding's adjoint is padding by the negated
    amounts (a crop); the other modes' is PadAdjoint, which adds the copied
    border elements' gradients back to the elements they copy."""

    pads = ()
    mode = "constant"
    value = 0.0
    save_inputs = False

    def forward(self, x):
        self.shape = x.shape
        return pad_forward(x, self.pads, self.mode, self.value)

    def backward(self, g, out, x):
        if self.mode == "constant":
            neg = tuple((-lo, -hi) for lo, hi in self.pads)
            if isinstance(g, Tensor):
                return (Pad.apply(g, pads=neg, mode="constant", value=0.0),)
            return (pad_forward(g, neg, "constant", 0.0),)
        if isinstance(g, Tensor):
            return (PadAdjoint.apply(g, pads=self.pads, mode=self.mode, shape=self.shape),)
        return (pad_adjoint_forward(g, self.pads, self.mode, self.shape),)


class PadAdjoint(Function):
    pads = ()
    mode = "reflect"
    shape = ()
    save_inputs = False

    def forward(self, g):
        return pad_adjoint_forward(g, self.pads, self.mode, self.shape)

    def backward(self, gg, out, g):
        return (Pad.apply(gg, pads=self.pads, mode=self.mode, value=0.0),)
