"""Tensor: a numpy array plus the one link autograd needs, ``grad_fn``.

This module is the data type alone and knows nothing of ops or the engine:
its differentiable methods and operators are attached by ``tensor.methods``
(early tinygrad's registration), which imports the ops. Names and semantics
follow PyTorch (``dim``, ``keepdim``, ``requires_grad``, ``.grad``).
"""
from collections import namedtuple

import numpy as np

import weakref

from .device import CPU, device
from .errors import OpError
from .version import mark_modified, version
from .dtypes import as_dtype, is_floating, to_array

MaxResult = namedtuple("MaxResult", ["values", "indices"])

# How Tensor reprs print (numpy's array2string arguments), set with
# tinygrad_nndl.set_printoptions; PyTorch's defaults.
PRINT_OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "max_line_width": 80}


def _shape_arg(shape):
    """Shapes as varargs or one tuple/list: reshape(2, 3) == reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _operand(x):
    """An operand of a binary op: Tensors and numbers pass through; numpy
    scalars act like Python numbers; other data follows Tensor's dtype rules."""
    if isinstance(x, (Tensor, int, float, np.ndarray)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    return to_array(x)


def _value(x):
    return x.data if isinstance(x, Tensor) else x


def _numpy_index(index):
    if isinstance(index, list) and _list_is_tuple(index):
        index = tuple(index)
    if isinstance(index, tuple):
        return tuple(_index_entry(i) for i in index)
    return _index_entry(index)


def _index_entry(i):
    """An entry of an index, as PyTorch reads it: a 0-d integer Tensor picks
    like an int (PyTorch's select, a view), not as an index array (a copy);
    uint8 is a mask (PyTorch's old byte masks), as a Tensor or an array."""
    data = i.data if isinstance(i, Tensor) else i
    if not isinstance(data, np.ndarray):
        return data
    if data.dtype == np.uint8:
        return data.astype(bool)
    if isinstance(i, Tensor) and data.ndim == 0 and data.dtype.kind in "iu":
        return int(data)
    return data


def _list_is_tuple(index):
    """PyTorch's reading of a list index (numpy's old heuristic, which numpy
    itself dropped): a list of fewer than 32 entries holding a slice,
    Ellipsis, None, a Tensor or another sequence indexes several dimensions,
    as a tuple would; x[[slice(None), [2, 3]]] is x[:, [2, 3]]."""
    return len(index) < 32 and any(
        i is None or i is Ellipsis or isinstance(i, (slice, Tensor, list, tuple, np.ndarray))
        for i in index)


_NO_DATA = object()


def _legacy(data, sizes, requires_grad, dtype):
    """torch.Tensor's legacy forms: ``Tensor(2, 3)`` is a float32 tensor of
    shape (2, 3) (zeros here, where PyTorch leaves the memory uninitialized)
    and ``Tensor()`` an empty one. ``Tensor(data, True)`` still means
    requires_grad=True."""
    if data is _NO_DATA:
        return np.zeros(0, np.float32), requires_grad, dtype
    if len(sizes) == 1 and isinstance(sizes[0], (bool, np.bool_)):
        return data, sizes[0], dtype
    dims = (data,) + sizes
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in dims):
        raise TypeError(f"Tensor: expected data and keyword arguments, or sizes (ints) as in "
                        f"Tensor(2, 3); got {dims!r}")
    return np.zeros(dims, dtype=as_dtype(dtype) or np.float32), requires_grad, None


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` with the
    dtype rules of ``torch.tensor``. Only floating tensors can require grad.
    """

    # data, _grad, _ctx and _requires_grad are set on every tensor (the ops' hot
    # path); the rest only when used and read with getattr: a leaf's
    # AccumulateGrad, and the links between views and their base.
    __slots__ = ("data", "_grad", "_requires_grad", "_ctx", "_acc", "_base", "_views",
                 "__weakref__")
    # numpy defers to Tensor's reflected operators: ndarray * Tensor is a Tensor.
    __array_ufunc__ = None
    # Identity hash: == is elementwise, as in PyTorch.
    __hash__ = object.__hash__

    def __init__(self, data=_NO_DATA, *sizes, requires_grad=False, dtype=None):
        if sizes or data is _NO_DATA:
            data, requires_grad, dtype = _legacy(data, sizes, requires_grad, dtype)
        self.data = to_array(data, as_dtype(dtype))
        self._grad = None
        self._requires_grad = False
        self._ctx = None
        if requires_grad:
            self.requires_grad = True

    def __getstate__(self):
        """What deepcopy and pickle keep: a leaf's values, .grad and
        requires_grad; the graph bookkeeping (its AccumulateGrad, view links)
        belongs to this object alone. As in PyTorch, a non-leaf refuses."""
        if self._ctx is not None:
            raise RuntimeError("only tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy and pickle protocols; use .detach()")
        return {"data": self.data, "grad": self._grad, "requires_grad": self._requires_grad}

    def __setstate__(self, state):
        self.data, self._grad = state["data"], state["grad"]
        self._requires_grad, self._ctx = state["requires_grad"], None

    @staticmethod
    def _make(data, ctx):
        """Wrap an array without copying or checks (the ops' constructor)."""
        t = _new(Tensor)
        t.data = data
        t._grad = None
        t._requires_grad = ctx is not None
        t._ctx = ctx
        return t

    # ----- autograd state -------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if flag and not is_floating(self.data.dtype):
            raise RuntimeError(f"requires_grad: only floating-point tensors can require "
                               f"gradients, this one is {self.data.dtype}")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad: cannot turn it off on a non-leaf tensor; "
                               "use .detach()")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """As PyTorch, an assigned gradient must be a Tensor of this tensor's shape
        and dtype kind (or None)."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be a Tensor or None, got "
                                f"{type(value).__name__}")
            if value.data.shape != self.data.shape:
                raise RuntimeError(f"grad: assigned grad has shape {value.shape} but the "
                                   f"tensor has shape {self.shape}")
            if value.data.dtype != self.data.dtype:
                raise RuntimeError(f"grad: assigned grad has dtype {value.dtype} but the "
                                   f"tensor has dtype {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (shared by
        every view and alias of it, as PyTorch's version counter)."""
        return version(self.data)

    def detach(self):
        """The same values, cut from the graph (shares memory, as in PyTorch)."""
        return Tensor._make(self.data, None)

    @property
    def retains_grad(self):
        ref = self._ctx.retained if self._ctx is not None else None
        return ref is not None and ref() is self

    # ----- array facts ----------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def numpy(self):
        return self.data

    def item(self):
        if self.data.size != 1:
            raise OpError(f"item: only one-element tensors can be converted to a Python "
                          f"scalar, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        device("cuda")   # raises: says this library runs on numpy

    def _mark_modified(self):
        """Bump the version counter: the memory was changed in place. Code that
        writes ``.data`` in place directly (optimizers) calls this, so that a
        backward through a graph that saved the old values raises."""
        mark_modified(self.data)

    def __repr__(self):
        options = PRINT_OPTIONS
        if self.data.dtype.kind == "f":   # as PyTorch: every digit shown unless all are whole
            finite = self.data[np.isfinite(self.data)]
            if (finite != np.round(finite)).any():
                options = dict(options, floatmode="fixed")
        body = np.array2string(self.data, separator=", ", prefix="tensor(", **options)
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_) or self.data.size == 0:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec):
        """f"{loss:.4f}" formats a 0-d tensor's number, as PyTorch; any other
        tensor takes only an empty spec."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return object.__format__(self, spec)



_new = object.__new__
