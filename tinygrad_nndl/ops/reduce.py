"""Reductions over ``dim`` (an int, a tuple, or None for all), with ``keepdim``."""
import numpy as np

from ..autograd.function import Function
from ..tensor.errors import OpError
from .dual import accumulated, broadcast_to, exp, reduce_sum, reshape, value, where


def normalize_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes. None and an empty tuple
    mean all axes, as in PyTorch's reductions (numpy reduces none for ())."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    size = max(ndim, 1)
    out = []
    for d in dims:
        if not -size <= d < size:
            raise IndexError(f"dimension out of range (expected to be in range of "
                             f"[{-size}, {size - 1}], but got {d})")
        out.append(int(d) % size)
    if len(set(out)) != len(out):
        raise OpError(f"dim {dims} appears more than once in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def keepdim_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """Sum over ``axes``; backward broadcasts the gradient back (each summand gets it whole)."""

    axes = ()
    keepdims = False
    as_dtype = None   # sum(dtype=...): summed in that dtype (numpy widens small integers)
    save_inputs = False

    def forward(self, a):
        self.in_shape = a.shape
        return accumulated(np.sum, a, self.as_dtype, axis=self.axes, keepdims=self.keepdims)

    def backward(self, g, out, a):
        if not self.keepdims:
            g = reshape(g, keepdim_shape(self.in_shape, self.axes))
        return (broadcast_to(g, self.in_shape),)


class Mean(Sum):
    """The mean over ``axes``: the sum times 1/n (NaN for an empty mean, as
    PyTorch's 0/0); backward hands each element g/n. One node that saves only
    shapes (PyTorch's MeanBackward), so a second backward runs through it."""

    def forward(self, a):
        n = 1
        for axis in self.axes:
            n *= a.shape[axis]
        self.in_shape = a.shape
        self.inv_count = 1.0 / n if n else float("nan")
        wide = np.float32 if a.dtype == np.float16 else None   # as PyTorch's: ten 6e4
        mean = a.sum(axis=self.axes, keepdims=self.keepdims, dtype=wide) * self.inv_count
        return mean.astype(np.float16) if wide else mean   # overflow a float16 sum

    def backward(self, g, out, a):
        return Sum.backward(self, g * self.inv_count, out, a)


class Amax(Function):
    """max over ``axes``; the gradient is shared evenly among tied maxima (as
    PyTorch's amax). ``Amin`` is the same with min. With ``nan_hits`` (max()
    and min() without a dim, as PyTorch's) a NaN result's gradient is shared
    among the NaNs, where amax's is NaN."""

    axes = ()
    keepdims = False
    nan_hits = False
    save_output = True
    reduce = staticmethod(np.max)

    def forward(self, a):
        return self.reduce(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, g, out, a):
        kd = keepdim_shape(a.shape, self.axes)
        av = value(a)
        ov = value(out).reshape(kd)
        hits = av == ov
        if self.nan_hits:   # as PyTorch's max(): the chosen entries get g / count, the rest
            hits |= np.isnan(av) & np.isnan(ov)   # exactly 0 (not 0 * g, NaN for g = inf)
            count = hits.sum(axis=self.axes, keepdims=True).astype(av.dtype)
            return (where(hits, reshape(g, kd) / count, 0),)
        share = (hits / hits.sum(axis=self.axes, keepdims=True)).astype(av.dtype)
        return (reshape(g, kd) * share,)


class Amin(Amax):
    reduce = staticmethod(np.min)


def _logsumexp(a, axes):
    """log sum exp over ``axes`` (kept), shifted by the max so that nothing overflows."""
    m = np.max(a, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m


class LogSumExp(Function):
    """log sum_j e^{a_j}, finite for any finite input; its gradient is softmax(a)."""

    save_output = True
    axes = ()
    keepdims = False

    def forward(self, a):
        out = _logsumexp(a, self.axes)
        return out if self.keepdims else out.reshape(
            [n for i, n in enumerate(a.shape) if i not in self.axes])

    def backward(self, g, out, a):
        kd = keepdim_shape(a.shape, self.axes)
        return (reshape(g, kd) * exp(a - reshape(out, kd)),)


class LogSoftmax(Function):
    """log a_j for the softmax a_j = e^{z_j} / sum_k e^{z_k}, computed as z - logsumexp(z).

    Backward: g - softmax(z) * sum(g). With the log-likelihood cost C = -ln a_y
    this gives dC/dz_j = a_j - y_j, the softmax output error of chapter 3 (eq. 81-82).
    """

    axis = -1
    save_inputs, save_output = False, True

    def forward(self, z):
        return z - _logsumexp(z, (self.axis,))

    def backward(self, g, out, z):
        return (g - exp(out) * reduce_sum(g, self.axis, keepdims=True),)


class Softmax(Function):
    """a_j = e^{z_j} / sum_k e^{z_k} along ``axis`` (the book's softmax layer, eq. 78)."""

    axis = -1
    save_inputs, save_output = False, True

    def forward(self, z):
        e = np.exp(z - np.max(z, axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, g, out, z):
        return (out * (g - reduce_sum(g * out, self.axis, keepdims=True)),)
