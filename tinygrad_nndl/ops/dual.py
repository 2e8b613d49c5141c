"""The few functions that backward rules use besides Python's operators.

Each takes either numpy arrays (the fast backward) or Tensors (the recorded
backward of ``create_graph=True``) and does the same math on both, so every
vector-Jacobian product is written once and is itself differentiable.
"""
import numpy as np

from ..tensor.tensor import Tensor


def reduce_sum(x, axis, keepdims=False):
    if isinstance(x, Tensor):
        return x.sum(dim=axis, keepdim=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)


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


def value(x):
    """The numpy value of x: masks and signs are piecewise constant, so their
    derivative is zero and they may be taken from values in either mode."""
    return x.data if isinstance(x, Tensor) else x


def where(cond, a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return _elementwise.Where.apply(value(cond), a, b)
    return np.where(cond, a, b)


def astype(x, dtype):
    if isinstance(x, Tensor):
        return x.to(dtype)
    return x.astype(dtype, copy=False)


class SliceGrad:
    """The gradient of a slice a[index]: zeros(shape) with ``values`` added at
    ``index``, not yet written out. The engine adds it in place into a buffer
    it owns, so the gradients of T slices of one tensor (the steps of a
    sequence) cost the size of the slices, not T times the whole tensor."""

    __slots__ = ("shape", "index", "values", "accumulate")

    def __init__(self, shape, index, values, accumulate):
        self.shape, self.index, self.values, self.accumulate = shape, index, values, accumulate

    @property
    def dtype(self):
        return self.values.dtype

    def astype(self, dtype):
        return SliceGrad(self.shape, self.index, self.values.astype(dtype), self.accumulate)

    def add_to(self, out):
        """out += this gradient, in place. ``accumulate``: the index may repeat
        (it holds an integer array), so repeats must add up (np.add.at)."""
        if self.accumulate:
            np.add.at(out, self.index, self.values)
        else:
            out[self.index] += self.values
        return out

    def dense(self):
        return self.add_to(np.zeros(self.shape, dtype=self.values.dtype))


class ProductSum:
    """The gradient sum_k a_k^T b_k of a weight that many nodes share (the steps
    of a recurrent layer: BP4 summed over time), not yet computed. The engine
    merges the factors of the nodes and computes their sum in one matmul,
    [a_1; a_2; ...]^T [b_1; b_2; ...], instead of one small matmul and one
    addition per node (W_hh's gradient over the 50 steps of benchmarks/lstm.py:
    2.4 ms instead of 5.3 ms). The factors
    held are capped (``BUDGET`` elements): beyond it they are summed into
    ``partial``, so that a long sequence does not keep them all alive. Dense
    gradients of the same weight are absorbed into ``partial`` too."""

    __slots__ = ("left", "right", "size", "partial", "dtype")
    BUDGET = 1 << 20

    def __init__(self, a, b):
        self.left, self.right, self.size, self.partial = [a], [b], a.size + b.size, None
        self.dtype = np.result_type(a, b)

    def astype(self, dtype):
        """Cast when computed: the sum, not each factor."""
        self.dtype = np.dtype(dtype)
        return self

    def merge(self, other):
        """self + other, in place (both are the engine's own)."""
        self.left += other.left
        self.right += other.right
        self.size += other.size
        if other.partial is not None:
            self.absorb(other.partial, True)
        if self.size > self.BUDGET:
            self.absorb(self._product(), True)
            self.left, self.right, self.size = [], [], 0
        return self

    def absorb(self, dense, owned):
        """self + dense, in place; ``owned``: dense is the engine's to change."""
        if self.partial is None:
            self.partial = dense if owned else dense.copy()
        else:
            self.partial += dense
        return self

    def _product(self):
        if len(self.left) == 1:
            return self.left[0].T @ self.right[0]
        return np.concatenate(self.left).T @ np.concatenate(self.right)

    def add_to(self, out):
        out += self.dense()
        return out

    def dense(self):
        out = self.partial
        if self.left:
            product = self._product()
            if out is None:
                out = product
            else:
                out += product
        return out.astype(self.dtype, copy=False)


# Gradients that the engine keeps unevaluated until it needs their values.
DEFERRED = (SliceGrad, ProductSum)


def summed_outer(a, b):
    """a^T b for a (N, M) and b (N, K): BP4's delta^T x summed over a batch, as a
    ``ProductSum`` on numpy arrays (so a weight's uses across steps are summed
    in one matmul) or recorded on Tensors."""
    if isinstance(a, Tensor):
        return swap_last(a) @ b
    return ProductSum(a, b)


def slice_grad(g, shape, index, accumulate):
    """The gradient that a[index] sends back to a: zeros(shape) plus g at index."""
    if isinstance(g, Tensor):
        return _movement.IndexAdd.apply(g, shape=shape, index=index, accumulate=accumulate)
    return SliceGrad(shape, index, g, accumulate)


# Imported last: those modules import this one.
from . import elementwise as _elementwise  # noqa: E402
from . import movement as _movement  # noqa: E402
