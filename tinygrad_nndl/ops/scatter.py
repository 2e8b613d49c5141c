"""Writes through an index: scatter (plain, or with reduce 'add' or
'multiply'), scatter_add, index_add and index_copy as one op, ``Scatter``;
scatter_reduce's sums, products, means and extremes, ``ScatterReduce``; and
the checks that turn PyTorch's (dim, index) arguments into the numpy index
they write through (or, for index_fill, into a mask).

Every index is checked against the tensor before anything is written: a
negative or too large entry raises (numpy would wrap a negative one around).
"""
import numpy as np

from ..autograd.function import Function
from ..tensor.errors import OpError
from ..tensor.tensor import Tensor
from .dual import reshape, run_op, value, where as choose
from .movement import slice_grad
from .reduce import normalize_dims

REDUCES = (None, "add", "multiply")
SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}
_SCATTER_INDEX = (np.dtype(np.int32), np.dtype(np.int64))


class Scatter(Function):
    """``a`` with ``src[crop]`` written (``reduce`` None: where an index
    repeats, the last along the dim wins, as PyTorch's CPU loop), added or
    multiplied at ``a[where]``. A 0-d ``a`` is written as its one-element
    view. The gradient goes to ``a`` where nothing was written over (all of
    it when adding), to ``src`` gathered at ``where`` (zero outside ``crop``)."""

    where = ()
    crop = Ellipsis
    reduce = None
    save_inputs = False
    float32_default = False   # the result is a's dtype, whatever numpy would make of src

    def forward(self, a, src):
        self.shapes = a.shape, src.shape
        out = a.copy()
        dest = out.reshape(1) if out.ndim == 0 else out   # a view: the copy is contiguous
        values = src[self.crop]
        if self.reduce is None:
            dest[self.where] = values
        elif self.reduce == "add":
            np.add.at(dest, self.where, values)
        else:
            np.multiply.at(dest, self.where, values)
        return out

    def backward(self, g, out, a, src):
        if self.reduce == "multiply":   # PyTorch has none either: its backward raises too
            raise RuntimeError("scatter: the derivative of reduce='multiply' is not "
                               "implemented")
        shape_a, shape_src = self.shapes
        flat = reshape(g, (1,)) if not shape_a else g
        ga = gsrc = None
        if self.needs[0]:
            ga = g
            if self.reduce is None:
                kept = np.ones(flat.shape, dtype=bool)
                kept[self.where] = False
                ga = g * kept.reshape(shape_a)
        if self.needs[1]:
            gsrc = flat[self.where]
            if gsrc.shape != shape_src:
                gsrc = slice_grad(gsrc, shape_src, self.crop, False)
        return ga, gsrc


def _identity(reduce, dtype):
    """What a place holds before the values reduced into it, when self's
    own value is left out (include_self=False)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    largest = reduce == "amin"
    if dtype.kind == "b":
        return largest
    if dtype.kind == "f":
        return np.inf if largest else -np.inf
    info = np.iinfo(dtype)
    return info.max if largest else info.min


class ScatterReduce(Function):
    """``a`` with ``src[crop]`` reduced into ``a[where]`` by ``reduce``
    (sum, prod, mean, amax or amin), a's own value counted unless
    ``include_self`` is False; a mean of integers is rounded down. The
    gradients are PyTorch's (its scatter_reduce_backward):

    - sum: g to a, g at the destination to each src entry; mean: both over
      the count of values at the place;
    - prod: g times the product of the others: for a the srcs' product
      there, for a src entry out / src, or where it is the place's one
      zero the product with that zero read as 1 (two zeros: the others'
      product is 0);
    - amax, amin: g shared evenly among the values equal to the result,
      a's own counted even when left out (then a gets none of it: PyTorch's
      count, so that such a src gets a share only).

    Where include_self is False, a's gradient is 0 at the places written."""

    where = ()
    crop = Ellipsis
    reduce = "sum"
    include_self = True
    save_output = True
    saved_attrs = ("written", "count")
    float32_default = False   # the result is a's dtype

    def forward(self, a, src):
        self.shapes = a.shape, src.shape
        out = a.copy()
        dest = out.reshape(1) if out.ndim == 0 else out   # a view: the copy is contiguous
        self.written = np.zeros(dest.shape, dtype=bool)
        self.written[self.where] = True
        if not self.include_self:
            dest[self.where] = _identity(self.reduce, a.dtype)
        _UFUNCS[self.reduce].at(dest, self.where, src[self.crop])
        if self.reduce == "mean":
            count = np.zeros(dest.shape, dtype=np.int64)
            np.add.at(count, self.where, 1)
            count = np.maximum(count + self.include_self, 1)
            self.count = count.astype(a.dtype)
            dest[...] = dest // count if a.dtype.kind in "iu" else dest / self.count
        return out

    def attrs(self, **changes):
        attrs = dict(where=self.where, crop=self.crop, reduce=self.reduce,
                     include_self=self.include_self)
        attrs.update(changes)
        return attrs

    def backward(self, g, out, a, src):
        shape_a, shape_src = self.shapes
        if self.reduce in ("sum", "mean"):
            if self.reduce == "mean":
                g = g / self.count.reshape(shape_a)
            ga, gsrc = g, _flat(g, shape_a)[self.where]
        elif self.reduce == "prod":
            ga, gsrc = self._prod_grads(g, out, a, src)
        else:
            av, ov = value(a), value(out)
            self_is = av == ov
            src_is = value(src)[self.crop] == _flat(ov, shape_a)[self.where]
            count = self_is.astype(av.dtype)
            np.add.at(_flat(count, shape_a), self.where, src_is)
            shared = g / count   # 0 / 0 is NaN where no value equals a NaN result, as PyTorch's
            ga, gsrc = shared * self_is, _flat(shared, shape_a)[self.where] * src_is
        if not self.include_self:
            ga = choose(self.written.reshape(shape_a), 0, ga)
        if gsrc.shape != shape_src:
            gsrc = slice_grad(gsrc, shape_src, self.crop, False)
        return ga, gsrc

    def _prod_grads(self, g, out, a, src):
        shape_a = self.shapes[0]
        part = src[self.crop]
        ga = g * run_op(ScatterReduce, np.ones(shape_a, value(a).dtype), src,
                        **self.attrs(include_self=True))
        zero = value(part) == 0
        per_place = np.zeros(self.written.shape, dtype=np.int64)
        np.add.at(per_place, self.where, zero)
        zeros_there = per_place[self.where]
        through_out = _flat(g * out, shape_a)[self.where]
        if not zero.any():
            return ga, through_out / part
        if isinstance(g, Tensor) and (zeros_there > 1).any():
            raise RuntimeError("scatter_reduce(): double backward is unsupported for src when "
                               ">1 zeros in src are scattered to the same position in self "
                               "(PyTorch's limit too)")
        single = zero & (zeros_there == 1)
        without = run_op(ScatterReduce, a, choose(single, 1, part), **self.attrs(crop=Ellipsis))
        gsrc = choose(single, _flat(g * without, shape_a)[self.where],
                      through_out / choose(zero, 1, part))
        return ga, gsrc


def _flat(x, shape):
    """x as the one-element vector a 0-d tensor is written through."""
    return reshape(x, (1,)) if not shape else x



def axis_of(name, shape, dim):
    """The axis ``dim`` names, a 0-d tensor counting as 1-d (as PyTorch's)."""
    try:
        axes = normalize_dims(dim, len(shape))
    except IndexError as e:
        raise IndexError(f"{name}: {e} (shape {shape})") from None
    return axes[0] if axes else 0


def _array(index):
    return np.asarray(index.data if isinstance(index, Tensor) else index)


def _index(name, index, dtypes, kind=OpError):
    index = _array(index)
    if index.dtype not in dtypes:
        wanted = "/".join(d.name for d in dtypes)
        raise kind(f"{name}: expected dtype {wanted} for index, got {index.dtype}")
    return index


def _in_range(name, index, size, axis, low, kind):
    """Raise unless every entry of ``index`` is in [low, size)."""
    if index.size:
        bad = index[(index < low) | (index >= size)]
        if bad.size:
            raise kind(f"{name}: index {bad.flat[0]} is out of bounds for dimension {axis} "
                       f"with size {size}")


def _same_dtype(name, a, src, label):
    if src.dtype != a.dtype:
        raise OpError(f"{name}: expected self and {label} of the same dtype, got "
                      f"{a.dtype} and {src.dtype}")


def scatter_target(name, a, dim, index, src):
    """(where, crop) for ``Scatter``: index's entries along ``dim``, every
    other coordinate its own, and the part of ``src`` read (all of a value,
    given as None). The shape rules are PyTorch's: index no larger than self
    except along dim, no larger than src anywhere; none apply to an empty
    index."""
    axis = axis_of(name, a.shape, dim)
    index = _index(name, index, _SCATTER_INDEX)
    if src is not None:
        _same_dtype(name, a, src, "src")
    ndim = max(a.ndim, 1)
    if not index.size:   # written nowhere, whatever its dims (PyTorch's no-op): read nothing
        return (np.zeros((0,) * ndim, np.intp),) * ndim, Ellipsis if src is None else \
            (slice(0),) * max(src.ndim, 1)
    for what, x in (("self", a), ("src", src)):
        if x is not None and max(index.ndim, 1) != max(x.ndim, 1):
            # PyTorch's IndexError for a src of fewer dims: it asks src for index's last dim
            kind = IndexError if x is src and index.ndim > max(x.ndim, 1) else OpError
            raise kind(f"{name}: index must have the same number of dimensions as {what}, "
                       f"got shapes {index.shape} and {x.shape}")
    index = index.reshape(index.shape or (1,))
    shape = a.shape or (1,)
    src_shape = index.shape if src is None else src.shape or (1,)
    if any(m > n for d, (m, n) in enumerate(zip(index.shape, shape)) if d != axis) or \
            any(m > n for m, n in zip(index.shape, src_shape)):
        raise OpError(f"{name}: expected index {index.shape} to be no larger than self "
                      f"{a.shape} apart from dimension {axis} and no larger than src "
                      f"{src_shape}")
    _in_range(name, index, shape[axis], axis, 0, OpError)
    where = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    where[axis] = index.astype(np.intp, copy=False)
    return tuple(where), Ellipsis if src is None else tuple(slice(n) for n in index.shape)


def index_add_target(name, a, dim, index, source):
    """``where`` for ``Scatter``: the slices ``index`` (a vector) picks along
    ``dim``, one per slice of ``source`` along dim."""
    axis = axis_of(name, a.shape, dim)
    index = _array(index)
    if index.ndim > 1:
        raise IndexError(f"{name}: index is supposed to be a vector, got shape {index.shape}")
    index = _index(name, index, _SCATTER_INDEX).reshape(-1)
    _same_dtype(name, a, source, "source")
    rows = source.shape[axis] if source.ndim else 1
    if index.size != rows:
        raise OpError(f"{name}: number of indices ({index.size}) should be equal to "
                      f"source.size(dim) ({rows}), for dim {axis} (source shape "
                      f"{source.shape})")
    if source.ndim != a.ndim or any(m != n for d, (m, n) in enumerate(zip(a.shape, source.shape))
                                    if d != axis):
        raise OpError(f"{name}: source tensor shape must match self tensor shape, excluding "
                      f"the specified dimension; got self.shape = {a.shape} and source.shape "
                      f"= {source.shape}")
    _in_range(name, index, (a.shape or (1,))[axis], axis, 0, OpError)
    return (slice(None),) * axis + (index.astype(np.intp, copy=False),)


def index_copy_target(name, a, dim, index, source):
    """``where`` for ``Scatter``: the slices ``index`` (int64, a vector or a
    number) picks along ``dim``, one per slice of ``source`` along dim;
    PyTorch's checks and exception types (IndexError for the index and the
    dims, RuntimeError for dtypes and slice shapes)."""
    axis = axis_of(name, a.shape, dim)
    index = _index(name, index, (np.dtype(np.int64),))
    if index.ndim > 1:
        raise IndexError(f"{name}: index should have dimension 1 or 0 (got {index.ndim})")
    index = index.reshape(-1)
    _same_dtype(name, a, source, "source")
    rows = source.shape[axis] if source.ndim else 1
    if index.size != rows:
        raise IndexError(f"{name}: number of indices ({index.size}) should be equal to "
                         f"source.size(dim) ({rows}) (source shape {source.shape})")
    if a.ndim and source.ndim and a.ndim != source.ndim:
        raise IndexError(f"{name}: when source and destination are not scalars, their "
                         f"dimensionality must match; got shapes {source.shape} and {a.shape}")
    if a.shape[:axis] + a.shape[axis + 1:] != source.shape[:axis] + source.shape[axis + 1:]:
        raise OpError(f"{name}: source/destination tensor must have same slice shapes, got "
                      f"source shape {source.shape} and self shape {a.shape} (dim {axis})")
    _in_range(name, index, (a.shape or (1,))[axis], axis, 0, IndexError)
    return (slice(None),) * axis + (index.astype(np.intp, copy=False),)


def index_fill_mask(name, shape, dim, index):
    """True on the slices ``index`` (a vector or a number, int64, negative
    entries counted from the end as PyTorch's index_fill does) picks along dim."""
    axis = axis_of(name, shape, dim)
    index = _index(name, index, (np.dtype(np.int64),), IndexError)
    if index.ndim > 1:
        raise OpError(f"{name}: index has to be a vector or a scalar, got shape {index.shape}")
    size = (shape or (1,))[axis]
    _in_range(name, index, size, axis, -size, IndexError)
    mask = np.zeros(shape or (1,), dtype=bool)
    mask[(slice(None),) * axis + (index.reshape(-1),)] = True
    return mask.reshape(shape)
