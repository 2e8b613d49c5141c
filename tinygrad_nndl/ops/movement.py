"""Ops that move elements without changing them: reshape, permute, expand,
indexing and concatenation. Their gradients move the elements back."""
import numpy as np

from ..autograd.function import Function
from .dual import SliceGrad, permute, reshape, slice_grad, sum_to


class Reshape(Function):
    shape = ()

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, g, out, a):
        return (reshape(g, a.shape),)


class Permute(Function):
    axes = ()

    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, g, out, a):
        return (permute(g, tuple(np.argsort(self.axes))),)


class Expand(Function):
    """Broadcast to a larger shape without copying; backward sums back."""

    shape = ()

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, g, out, a):
        return (sum_to(g, a.shape),)


def _has_int_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) and np.asarray(p).dtype.kind in "iu"
               for p in parts)


class GetItem(Function):
    """a[index] for basic and advanced numpy indices; backward scatters the
    gradient back, accumulating where an index repeats."""

    index = None

    def forward(self, a):
        return a[self.index]

    def backward(self, g, out, a):
        return (slice_grad(g, a.shape, self.index, _has_int_array(self.index)),)


class IndexAdd(Function):
    """zeros(shape) with ``a`` added at ``index``: the backward of GetItem,
    itself differentiable (its backward is GetItem again)."""

    shape = ()
    index = None
    accumulate = True

    def forward(self, a):
        return SliceGrad(self.shape, self.index, a, self.accumulate).dense()

    def backward(self, g, out, a):
        return (g[self.index],)


class Cat(Function):
    """Concatenation along ``axis``; backward hands each input its slice."""

    axis = 0

    def forward(self, *arrays):
        self.axis = self.axis % arrays[0].ndim if arrays[0].ndim else 0
        self.bounds = np.cumsum([0] + [x.shape[self.axis] for x in arrays])
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, g, out, *inputs):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(start, stop),)] if need else None
                     for need, start, stop in zip(self.needs, self.bounds[:-1], self.bounds[1:]))
