"""Vector p-norms, ||x||_p = (sum |x|^p)^(1/p) over ``axes``, as one op: its
backward is PyTorch's (a zero vector's 2-norm has gradient 0, not NaN), which
a composition of abs, pow and sum would not give. And the matrix norms of
singular values ('nuc', 2 and -2), composed from svdvals."""
import math

import numpy as np

from ..autograd.function import Function
from .decompositions import singular_values
from .dual import reshape, value, where
from .matrix_checks import check_dtype
from .reduce import keepdim_shape, normalize_dims


def vector_norm(a, ord, axes, keepdims):   # noqa: A002 - PyTorch's name
    """The norm of a numpy array (the forward)."""
    mag = np.abs(a)
    if ord == math.inf:
        out = mag.max(axis=axes, keepdims=True) if a.size else np.zeros(
            keepdim_shape(a.shape, axes), a.dtype)
    elif ord == -math.inf:
        out = mag.min(axis=axes, keepdims=True)
    elif ord == 0:
        out = (mag != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
    elif ord == 1:
        out = mag.sum(axis=axes, keepdims=True)
    elif ord == 2:
        out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
    else:
        with np.errstate(divide="ignore"):   # 0 ** negative p is inf, as in PyTorch
            out = (mag ** ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
    return out if keepdims else out.reshape(
        [n for i, n in enumerate(a.shape) if i not in axes])


class VectorNorm(Function):
    """||a||_ord over ``axes``. Backward (PyTorch's rules): for p = 2,
    g a / ||a|| (0 where the norm is 0); p = 1, g sign(a); p = +-inf, g sign(a)
    shared evenly among the elements of largest (smallest) magnitude (with
    ``share_ties`` False each of them gets it whole: PyTorch's cdist); p = 0,
    0; otherwise g sign(a) |a|^(p-1) / ||a||^(p-1)."""

    ord = 2.0
    axes = ()
    keepdims = False
    share_ties = True
    save_output = True

    def forward(self, a):
        return vector_norm(a, self.ord, self.axes, self.keepdims)

    def backward(self, g, out, a):
        p = self.ord
        kd = keepdim_shape(a.shape, self.axes)
        g, out = reshape(g, kd), reshape(out, kd)
        av, nv = value(a), value(out)
        sign = np.sign(av)   # piecewise constant: read from values in both modes
        if p == 0:
            return (g * np.zeros(av.shape, dtype=av.dtype),)
        if p == 1:
            return (g * sign,)
        if p == 2:
            return (g * (a / where(nv == 0, 1, out)),)
        if math.isinf(p):
            hits = (np.abs(av) == nv) | np.isnan(av)
            share = sign * hits
            if self.share_ties:
                share = share / np.maximum(hits.sum(axis=self.axes, keepdims=True), 1)
            return (g * share.astype(av.dtype),)
        mag = a * sign   # |a|, differentiable (sign is constant)
        if p < 1:
            # |a|^(p-1) is inf at 0; PyTorch takes that element's gradient as 0
            zero = av == 0
            scaled = where(zero, 0, sign * where(zero, 1, mag) ** (p - 1))
            return (scaled * g * out ** (1 - p),)
        scale = g / where(nv == 0, 1, out) ** (p - 1)
        scale = where(nv == 0, 0, scale)
        return (sign * mag ** (p - 1) * scale,)


def norm(x, ord, dim, keepdim, dtype, name):   # noqa: A002 - PyTorch's name
    """The Tensor ``x``'s vector ``ord``-norm over ``dim`` (all for None), as
    linalg.vector_norm: float dtypes only; ``dtype`` casts before the norm."""
    if dtype is not None:
        x = x.to(dtype)
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point tensor as input. Got "
                           f"{x.data.dtype}")
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.number)):
        raise RuntimeError(f"{name}: ord must be a number (or inf), got {ord!r}")
    return VectorNorm.apply(x, ord=float(ord), axes=normalize_dims(dim, x.data.ndim),
                            keepdims=keepdim)


def singular_value_norm(x, ord, dim, keepdim, dtype):   # noqa: A002 - PyTorch's name
    """The Tensor ``x``'s matrix norm over the two dims ``dim`` through its
    singular values: 'nuc' their sum, 2 and -2 the largest and the smallest
    (linalg.matrix_norm's; the gradients are svdvals', U Vh for 'nuc')."""
    check_dtype("linalg.matrix_norm", x.data.dtype)
    rows, cols = (normalize_dims(d, x.data.ndim)[0] for d in dim)   # IndexError past the dims
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got {tuple(dim)}")
    if dtype is not None:
        x = x.to(dtype)
    others = [d for d in range(x.data.ndim) if d not in (rows, cols)]
    s = singular_values(x.permute(*others, rows, cols))
    out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    if keepdim:
        for d in sorted((rows, cols)):
            out = out.unsqueeze(d)
    return out
