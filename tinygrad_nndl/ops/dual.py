"""The few functions that backward rules use besides Python's operators.

Each takes either numpy arrays (the fast backward) or Tensors (the recorded
backward of ``create_graph=True``) and does the same math on both, so every
vector-Jacobian product is written once and is itself differentiable.
"""
import numpy as np

from ..tensor.tensor import Tensor

BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))   # what BLAS computes in
_KEPT = {}            # (kind, length, dtype or width) -> a read-only vector, see _keep
_KEPT_MOST = 64       # vectors kept at most (one per batch size, kind and dtype seen)
_KEPT_LONGEST = 1 << 16   # longer ones are made each time: then the work on them dominates
_INTP = np.dtype(np.intp)


def reduce_sum(x, axis, keepdims=False):
    if isinstance(x, Tensor):
        return x.sum(dim=axis, keepdim=keepdims)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)   # ndarray.sum's own path, direct


def _keep(key, vector):
    """Keep a newly made ``vector`` for reuse under ``key`` (read-only, so
    that no caller changes what the others get), unless it is too long."""
    if key[1] <= _KEPT_LONGEST:
        if len(_KEPT) >= _KEPT_MOST:
            _KEPT.clear()
        vector.flags.writeable = False
        _KEPT[key] = vector
    return vector


def ones_vector(n, dtype):
    """n ones of ``dtype``, read-only and kept for reuse: a sum taken as a
    product with ones (BLAS's fastest sum of short rows) would otherwise pay
    as much for making the ones as for the product, at a mini-batch of 10."""
    key = ("ones", n, dtype)
    vector = _KEPT.get(key)
    return _keep(key, np.ones(n, dtype)) if vector is None else vector


def flat_indices(target, width):
    """Where x[n, target[n]] lies in the flat (C-order) index of an
    (N, width) array x, for each n: ``x.take(flat_indices(target, C))``
    picks each example's target class, and ``x.reshape(-1)[...] -= g`` (x
    C-ordered) changes them, 2-3 times faster than indexing with (rows,
    target). The rows' starts 0, width, 2 width, ... are kept, read-only."""
    key = ("rows", target.shape[0], width)
    starts = _KEPT.get(key)
    if starts is None:
        starts = _keep(key, np.arange(key[1], dtype=_INTP) * width)   # (width 0: zeros)
    return starts + target.astype(_INTP, copy=False)


def accumulated(reduce, a, dtype=None, **kwargs):
    """``reduce(a, dtype=dtype, **kwargs)`` (np.sum, np.cumsum, np.cumprod),
    with float16 added up in float32 and handed back in float16, as PyTorch
    does: a float16 running sum stalls (5,000 times 1.1 stops at 4,096)."""
    if (a.dtype if dtype is None else np.dtype(dtype)) == np.float16:
        return reduce(a, dtype=np.float32, **kwargs).astype(np.float16)
    return reduce(a, dtype=dtype, **kwargs)


def sum_rows(x):
    """The rows of a 2-D x summed (BP3: delta summed over the mini-batch). On
    numpy floats one vector-matrix product with ones, which BLAS does 1.3-3x
    faster than numpy's pairwise reduction of a layer's short rows."""
    if isinstance(x, Tensor) or x.ndim != 2 or x.dtype not in BLAS_DTYPES:
        return reduce_sum(x, 0)
    return ones_vector(x.shape[0], x.dtype) @ x


def sum_to(x, shape):
    """Sum a broadcast gradient back to ``shape``: the reverse of broadcasting.

    With a bias b of shape (n,) added to z of shape (m, n), this is BP3 summed
    over the mini-batch: dC/db = sum over examples of delta.
    """
    xshape = x.shape
    if xshape == shape:
        return x
    lead = len(xshape) - len(shape)
    inner = tuple(i + lead for i, n in enumerate(shape) if n == 1 and xshape[i + lead] != 1)
    if not inner:   # only leading axes were added: a plain sum has the shape already
        return reduce_sum(x, tuple(range(lead)))
    return reshape(reduce_sum(x, tuple(range(lead)) + inner, keepdims=True), shape)


def reshape(x, shape):
    return x.reshape(shape)


def broadcast_to(x, shape):
    if isinstance(x, Tensor):
        return x.expand(shape)
    return np.broadcast_to(x, shape)


def permute(x, axes):
    if isinstance(x, Tensor):
        return x.permute(axes)
    return x.transpose(axes)


def swap_last(x):
    """Matrix transpose over the last two axes (a batch of matrices stays a batch)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return permute(x, tuple(axes))


def exp(x):
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x):
    return x.log() if isinstance(x, Tensor) else np.log(x)


def sqrt(x):
    return x.sqrt() if isinstance(x, Tensor) else np.sqrt(x)


def run_op(op, *xs, **attrs):
    """The op ``op`` (a Function class) of xs, with the attributes ``attrs``:
    recorded when one of them is a Tensor, its forward alone on arrays (for a
    derivative that is another op: sin's cos, the inverse's inverse)."""
    if any(isinstance(x, Tensor) for x in xs):
        return op.apply(*xs, **attrs)
    fn = object.__new__(op)
    fn.__dict__.update(attrs)
    return fn.forward(*xs)


def value(x):
    """The numpy value of x: masks and signs are piecewise constant, so their
    derivative is zero and they may be taken from values in either mode."""
    return x.data if isinstance(x, Tensor) else x


def where(cond, a, b):
    if isinstance(a, Tensor):
        return a.where(cond, b)
    if isinstance(b, Tensor):
        return b.where(np.logical_not(cond), a)
    return np.where(cond, a, b)


def astype(x, dtype):
    if isinstance(x, Tensor):
        return x.to(dtype)
    return x.astype(dtype, copy=False)


def tril(x, diagonal=0):
    """The lower triangle of the last two axes (from ``diagonal`` down), zeros above."""
    return x.tril(diagonal) if isinstance(x, Tensor) else np.tril(x, diagonal)


def triu(x, diagonal=0):
    return x.triu(diagonal) if isinstance(x, Tensor) else np.triu(x, diagonal)


def diag_embed(v):
    """Vectors (..., n) as diagonal matrices (..., n, n)."""
    n = v.shape[-1]
    return reshape(v, v.shape[:-1] + (1, n)) * np.eye(n, dtype=value(v).dtype)
