"""Ops that move elements without changing them: reshape, permute, expand,
indexing, assignment into a slice and concatenation. Their gradients move
the elements back; none of them needs the values, only shapes and indices."""
import numpy as np

from ..autograd.function import Function
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from .dual import permute, reshape, sum_to


class Reshape(Function):
    """a in another shape: a view where the memory allows, else a copy; with
    ``must_view`` (Tensor.view) a copy is refused, as PyTorch's view refuses."""

    shape = ()
    must_view = False
    save_inputs = False
    is_view = True

    def forward(self, a):
        self.in_shape = a.shape
        out = a.reshape(self.shape)
        if self.must_view and a.size and not np.may_share_memory(out, a):
            raise OpError(f"view size is not compatible with the input's strides (shape "
                          f"{a.shape}, strides {a.strides}): use .reshape(...) instead")
        return out

    def backward(self, g, out, a):
        return (reshape(g, self.in_shape),)


class Permute(Function):
    axes = ()
    save_inputs = False
    is_view = True

    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, g, out, a):
        return (permute(g, tuple(np.argsort(self.axes))),)


class Expand(Function):
    """Broadcast to a larger shape without copying; backward sums back."""

    shape = ()
    save_inputs = False
    is_view = True

    def forward(self, a):
        self.in_shape = a.shape
        return np.broadcast_to(a, self.shape)

    def backward(self, g, out, a):
        return (sum_to(g, self.in_shape),)


def _has_int_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) and np.asarray(p).dtype.kind in "iu"
               for p in parts)


def scatter(values, shape, index, accumulate):
    """zeros(shape) with ``values`` added at ``index``; ``accumulate``: the
    index may repeat (an integer array), and repeats add up."""
    out = np.zeros(shape, dtype=values.dtype)
    if accumulate:
        np.add.at(out, index, values)
    else:
        out[index] += values
    return out


def slice_grad(g, shape, index, accumulate):
    """The gradient that a[index] sends back to a: zeros(shape) plus g at index
    (recorded as an op on Tensors, so that it is differentiable)."""
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, shape=shape, index=index, accumulate=accumulate)
    return scatter(g, shape, index, accumulate)


class GetItem(Function):
    """a[index] for basic and advanced numpy indices; backward scatters the
    gradient back, accumulating where an index repeats."""

    index = None
    save_inputs = False
    is_view = True

    def forward(self, a):
        self.in_shape = a.shape
        out = a[self.index]
        if type(out) is not np.ndarray:   # an int for every dimension: numpy gives a scalar
            index = self.index if type(self.index) is tuple else (self.index,)
            out = a[index + (Ellipsis,)]   # copy; PyTorch a 0-d view, which this is
        return out

    def backward(self, g, out, a):
        return (slice_grad(g, self.in_shape, self.index, _has_int_array(self.index)),)


class IndexAdd(Function):
    """zeros(shape) with ``a`` added at ``index``: the backward of GetItem,
    itself differentiable (its backward is GetItem again)."""

    shape = ()
    index = None
    accumulate = True
    save_inputs = False

    def forward(self, a):
        return scatter(a, self.shape, self.index, self.accumulate)

    def backward(self, g, out, a):
        return (g[self.index],)


def _diagonal(a, offset, dims):
    """numpy's diagonal view of a (read-only as numpy hands it), writeable
    where a is: PyTorch's diagonal is a view that in-place ops write through."""
    d = np.diagonal(a, offset, *dims)
    if a.flags.writeable:
        d.setflags(write=True)
    return d


class Diagonal(Function):
    """The diagonal of axes ``dims`` (offset ``offset``) as a new last axis: a
    view of a. Backward puts the gradient on that diagonal of zeros."""

    offset = 0
    dims = (0, 1)
    save_inputs = False
    is_view = True

    def forward(self, a):
        self.in_shape = a.shape
        return _diagonal(a, self.offset, self.dims)

    def backward(self, g, out, a):
        if isinstance(g, Tensor):
            return (DiagonalScatter.apply(g, shape=self.in_shape, offset=self.offset,
                                          dims=self.dims),)
        return (DiagonalScatter.scatter(g, self.in_shape, self.offset, self.dims),)


class DiagonalScatter(Function):
    """zeros(shape) with ``a`` on the diagonal: Diagonal's backward, itself
    differentiable (its backward is Diagonal again)."""

    shape = ()
    offset = 0
    dims = (0, 1)
    save_inputs = False

    @staticmethod
    def scatter(a, shape, offset, dims):
        out = np.zeros(shape, dtype=a.dtype)
        _diagonal(out, offset, dims)[...] = a
        return out

    def forward(self, a):
        return self.scatter(a, self.shape, self.offset, self.dims)

    def backward(self, g, out, a):
        if isinstance(g, Tensor):
            return (Diagonal.apply(g, offset=self.offset, dims=self.dims),)
        return (np.diagonal(g, self.offset, *self.dims),)


class SetItem(Function):
    """a with ``a[index] = v``: the op behind ``t[index] = v``, ``fill_`` and
    ``copy_``. The overwritten elements' gradient goes to v (summed where v
    was broadcast), the rest to a."""

    index = None
    save_inputs = False

    def forward(self, a, v):
        out = a.copy()
        out[self.index] = v
        self.shapes = a.shape, np.shape(v)
        return out

    def backward(self, g, out, a, v):
        shape_a, shape_v = self.shapes
        ga = gv = None
        if self.needs[0]:
            kept = np.ones(shape_a, dtype=bool)
            kept[self.index] = False
            ga = g * kept
        if self.needs[1]:
            gv = sum_to(g[self.index], shape_v)
        return ga, gv


class Cat(Function):
    """Concatenation along ``axis``; backward hands each input its slice."""

    axis = 0
    save_inputs = False

    def forward(self, *arrays):
        self.axis = self.axis % arrays[0].ndim if arrays[0].ndim else 0
        self.bounds = np.cumsum([0] + [x.shape[self.axis] for x in arrays])
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, g, out, *inputs):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(start, stop),)] if need else None
                     for need, start, stop in zip(self.needs, self.bounds[:-1], self.bounds[1:]))
