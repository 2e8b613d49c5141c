"""Tensor: a numpy array plus the one link autograd needs, ``grad_fn``.

A Tensor is a thin shell: every differentiable method calls a primitive op
(``tinygrad_nndl.ops``), which computes the value and records the graph node.
Names and semantics follow PyTorch (``dim``, ``keepdim``, ``requires_grad``,
``.grad``, ``backward``).
"""
from collections import namedtuple

import numpy as np

from .dtypes import as_dtype, is_floating, to_array

MaxResult = namedtuple("MaxResult", ["values", "indices"])


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
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


class _HookHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` with the
    dtype rules of ``torch.tensor``. Only floating tensors can require grad.
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_retains_grad", "_hooks",
                 "__weakref__")
    # numpy defers to Tensor's reflected operators: ndarray * Tensor is a Tensor.
    __array_ufunc__ = None
    # Identity hash: == is elementwise, as in PyTorch.
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = to_array(data, as_dtype(dtype))
        self.grad = None
        self._requires_grad = False
        self._ctx = None
        self._retains_grad = False
        self._hooks = None
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(data, ctx):
        """Wrap an array without copying or checks (the ops' constructor)."""
        t = _new(Tensor)
        t.data = data
        t.grad = None
        t._requires_grad = ctx is not None
        t._ctx = ctx
        t._retains_grad = False
        t._hooks = None
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
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self):
        return self._ctx is None

    def detach(self):
        """The same values, cut from the graph (shares memory, as in PyTorch)."""
        return Tensor._make(self.data, None)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self._ctx is not None:
            self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is
        computed; a returned Tensor replaces the gradient. Returns a handle with
        ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "does not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = object()
        self._hooks[key] = hook
        return _HookHandle(self._hooks, key)

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse mode)."""
        _engine.backward(self, gradient, retain_graph, create_graph)

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
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
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

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_) or self.data.size == 0:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{self._ctx.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ----- dtype ----------------------------------------------------------
    def to(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if is_floating(dtype) and is_floating(self.data.dtype):
            return E.Cast.apply(self, dtype=dtype)
        return Tensor._make(self.data.astype(dtype), None)

    type = to

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    # ----- arithmetic -----------------------------------------------------
    def __add__(self, other):
        return E.Add.apply(self, _operand(other))

    def __radd__(self, other):
        return E.Add.apply(_operand(other), self)

    def __sub__(self, other):
        return E.Sub.apply(self, _operand(other))

    def __rsub__(self, other):
        return E.Sub.apply(_operand(other), self)

    def __mul__(self, other):
        return E.Mul.apply(self, _operand(other))

    def __rmul__(self, other):
        return E.Mul.apply(_operand(other), self)

    def __truediv__(self, other):
        return E.Div.apply(self, _operand(other))

    def __rtruediv__(self, other):
        return E.Div.apply(_operand(other), self)

    def __pow__(self, exponent):
        return E.Pow.apply(self, _operand(exponent))

    def __rpow__(self, base):
        return E.Pow.apply(_operand(base), self)

    def __matmul__(self, other):
        return L.MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other):
        return L.MatMul.apply(_operand(other), self)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__
    abs = __abs__

    def exp(self):
        return E.Exp.apply(self)

    def log(self):
        return E.Log.apply(self)

    def sqrt(self):
        return E.Sqrt.apply(self)

    def tanh(self):
        return E.Tanh.apply(self)

    def sigmoid(self):
        return E.Sigmoid.apply(self)

    def relu(self):
        return E.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        # Tensor bounds act as constants (no gradient flows into them).
        return E.Clamp.apply(self, min=_value(min), max=_value(max))

    clip = clamp

    def maximum(self, other):
        return E.Maximum.apply(self, _operand(other))

    def minimum(self, other):
        return E.Minimum.apply(self, _operand(other))

    def where(self, condition, other):
        """``condition ? self : other`` (torch.Tensor.where)."""
        return E.Where.apply(_value(condition), self, _operand(other))

    def sign(self):
        return Tensor._make(np.sign(self.data), None)

    def square(self):
        return E.Mul.apply(self, self)

    # ----- comparisons and logic: bool tensors, no gradient ---------------
    def __lt__(self, other):
        return Tensor._make(np.asarray(self.data < _value(other)), None)

    def __le__(self, other):
        return Tensor._make(np.asarray(self.data <= _value(other)), None)

    def __gt__(self, other):
        return Tensor._make(np.asarray(self.data > _value(other)), None)

    def __ge__(self, other):
        return Tensor._make(np.asarray(self.data >= _value(other)), None)

    def __eq__(self, other):
        return Tensor._make(np.asarray(self.data == _value(other)), None)

    def __ne__(self, other):
        return Tensor._make(np.asarray(self.data != _value(other)), None)

    def __and__(self, other):
        return Tensor._make(np.asarray(self.data & _value(other)), None)

    def __or__(self, other):
        return Tensor._make(np.asarray(self.data | _value(other)), None)

    def __xor__(self, other):
        return Tensor._make(np.asarray(self.data ^ _value(other)), None)

    def __invert__(self):
        return Tensor._make(np.asarray(~self.data), None)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def isnan(self):
        return Tensor._make(np.isnan(self.data), None)

    def isfinite(self):
        return Tensor._make(np.isfinite(self.data), None)

    def all(self):
        return Tensor._make(np.asarray(self.data.all()), None)

    def any(self):
        return Tensor._make(np.asarray(self.data.any()), None)

    # ----- reductions -----------------------------------------------------
    def sum(self, dim=None, keepdim=False):
        return R.Sum.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False):
        axes = R.normalize_dims(dim, self.data.ndim)
        count = 1
        for a in axes:
            count *= self.data.shape[a]
        return R.Sum.apply(self, axes=axes, keepdims=keepdim) * (1.0 / max(count, 1))

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Variance over ``dim``, dividing by n - correction (torch.var): by
        default correction = 1 (Bessel's), 0 with ``unbiased=False``. NaN when
        n <= correction, as in PyTorch."""
        if correction is None:
            correction = 1 if unbiased else 0
        axes = R.normalize_dims(dim, self.data.ndim)
        count = 1
        for a in axes:
            count *= self.data.shape[a]
        centered = self - self.mean(dim, keepdim=True)
        scale = 1.0 / (count - correction) if count > correction else float("nan")
        return (centered * centered).sum(dim, keepdim) * scale

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def amax(self, dim=None, keepdim=False):
        return R.Amax.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def amin(self, dim=None, keepdim=False):
        return R.Amin.apply(self, axes=R.normalize_dims(dim, self.data.ndim), keepdims=keepdim)

    def _extreme(self, dim, keepdim, reduce, arg):
        if dim is None:
            return reduce(self)
        if isinstance(dim, Tensor):   # x.max(other) is torch's elementwise maximum
            return (E.Maximum if arg is np.argmax else E.Minimum).apply(self, dim)
        axis = R.normalize_dims(dim, self.data.ndim)[0] if self.data.ndim else 0
        if self.data.ndim == 0:
            return MaxResult(self, Tensor._make(np.asarray(0), None))
        indices = arg(self.data, axis=axis)
        grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        values = self[tuple(grid[:axis] + [indices] + grid[axis:])]
        if keepdim:
            values = values.unsqueeze(axis)
            indices = np.expand_dims(indices, axis)
        return MaxResult(values, Tensor._make(np.asarray(indices, dtype=np.int64), None))

    def max(self, dim=None, keepdim=False):
        """No dim: the largest element. With dim: ``(values, indices)``; the
        gradient goes to the returned index, as in PyTorch."""
        return self._extreme(dim, keepdim, Tensor.amax, np.argmax)

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, Tensor.amin, np.argmin)

    def argmax(self, dim=None, keepdim=False):
        """The flat index for dim=None (keepdim: shape all ones, as PyTorch)."""
        axis = None if dim is None else self._one_axis(dim)
        return Tensor._make(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdim),
                                       dtype=np.int64), None)

    def argmin(self, dim=None, keepdim=False):
        """The flat index for dim=None (keepdim: shape all ones, as PyTorch)."""
        axis = None if dim is None else self._one_axis(dim)
        return Tensor._make(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdim),
                                       dtype=np.int64), None)

    def logsumexp(self, dim, keepdim=False):
        return R.LogSumExp.apply(self, axes=R.normalize_dims(dim, self.data.ndim),
                                 keepdims=keepdim)

    def _one_axis(self, dim):
        """The axis ``dim`` names; None for a 0-d tensor (where dim 0 and -1 are allowed)."""
        axes = R.normalize_dims(dim, self.data.ndim)
        return axes[0] if axes else None

    def softmax(self, dim):
        axis = self._one_axis(dim)
        if axis is None:   # 0-d: the softmax of a single element, as PyTorch allows
            return self.reshape(1).softmax(0).reshape(())
        return R.Softmax.apply(self, axis=axis)

    def log_softmax(self, dim):
        axis = self._one_axis(dim)
        if axis is None:
            return self.reshape(1).log_softmax(0).reshape(())
        return R.LogSoftmax.apply(self, axis=axis)

    # ----- shape ----------------------------------------------------------
    def reshape(self, *shape):
        return M.Reshape.apply(self, shape=_shape_arg(shape))

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.data.ndim == 0:
            return self.reshape(1)
        s = self.data.shape
        start, end = start_dim % len(s), end_dim % len(s)
        return self.reshape(s[:start] + (-1,) + s[end + 1:])

    def squeeze(self, dim=None):
        s = self.data.shape
        if isinstance(dim, (tuple, list)) and not dim:
            return self.reshape(s)   # squeeze(()) squeezes nothing in PyTorch
        axes = R.normalize_dims(dim, len(s))
        return self.reshape(tuple(n for i, n in enumerate(s) if not (i in axes and n == 1)))

    def unsqueeze(self, dim):
        s = self.data.shape
        dim = dim % (len(s) + 1) if -len(s) - 1 <= dim <= len(s) else None
        if dim is None:
            raise IndexError(f"unsqueeze: dimension out of range for a tensor of shape {s}")
        return self.reshape(s[:dim] + (1,) + s[dim:])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        n = self.data.ndim
        if not (len(dims) == n and all(-n <= d < n for d in dims)
                and len({d % n for d in dims}) == n):
            raise ValueError(f"permute: dims {dims} are not a permutation of the "
                             f"{n} dimensions of shape {self.shape}")
        return M.Permute.apply(self, axes=tuple(d % n for d in dims))

    def transpose(self, dim0, dim1):
        n = self.data.ndim
        a, b = (R.normalize_dims(d, n) for d in (dim0, dim1))   # checked; () when 0-d
        axes = list(range(n))
        if axes:
            axes[a[0]], axes[b[0]] = axes[b[0]], axes[a[0]]
        return self.permute(tuple(axes))

    @property
    def T(self):
        return self if self.data.ndim < 2 else self.permute(tuple(range(self.data.ndim))[::-1])

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.data.ndim
        if lead < 0:
            raise ValueError(f"expand: the target shape {sizes} has fewer dimensions than "
                             f"the tensor's shape {self.shape}")
        shape = tuple(self.data.shape[i - lead] if n == -1 and i >= lead else n
                      for i, n in enumerate(sizes))
        if shape == self.data.shape:
            return self
        return M.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def __getitem__(self, index):
        return M.GetItem.apply(self, index=_numpy_index(index))

    # ----- in-place updates: only outside the graph ------------------------
    def _inplace(self, op, write, *operands):
        """Change the data in place with ``write(data, *operands)``, after the
        checks PyTorch makes; a failed write changes nothing and names the op."""
        if self._requires_grad and mode.grad_enabled:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be changed in "
                               f"place while grad is recorded; wrap it in no_grad()")
        try:
            write(self.data, *operands)
        except (ValueError, TypeError) as e:
            shapes = ", ".join(str(np.shape(v)) for v in operands)
            raise type(e)(f"{op}: {e} (tensor shape {self.shape}, dtype {self.dtype}; "
                          f"operand shapes {shapes})") from None
        self._mark_modified()
        return self

    def _mark_modified(self):
        """Record an in-place change, so that a backward through a graph that
        saved the old values raises instead of using the new ones. Code that
        writes ``.data`` in place directly (optimizers) calls this too."""
        mark_modified(self.data)

    def add_(self, other, alpha=1):
        value = _value(other) if alpha == 1 else alpha * _value(other)
        return self._inplace("add_", _iadd, value)

    def sub_(self, other, alpha=1):
        return self.add_(other, -alpha)

    def mul_(self, other):
        return self._inplace("mul_", _imul, _value(other))

    def div_(self, other):
        return self._inplace("div_", _idiv, _value(other))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def zero_(self):
        return self._inplace("zero_", _assign, 0)

    def fill_(self, value):
        return self._inplace("fill_", _assign, _value(value))

    def copy_(self, src):
        return self._inplace("copy_", _copy, np.asarray(_value(src)))

    def normal_(self, mean=0.0, std=1.0):
        from .random import generator
        return self._inplace("normal_", _assign, generator().normal(mean, std, self.data.shape))

    def uniform_(self, a=0.0, b=1.0):
        from .random import generator
        return self._inplace("uniform_", _assign, generator().uniform(a, b, self.data.shape))


def _iadd(data, value):
    data += value


def _imul(data, value):
    data *= value


def _idiv(data, value):
    data /= value


def _assign(data, value):
    data[...] = value


def _copy(data, src):
    np.copyto(data, np.broadcast_to(src, data.shape), casting="same_kind")


_new = object.__new__

# The engine and the ops import Tensor, so they come after it.
from ..autograd import engine as _engine  # noqa: E402
from ..autograd.grad_mode import mark_modified, mode  # noqa: E402
from ..ops import elementwise as E  # noqa: E402
from ..ops import linalg as L  # noqa: E402
from ..ops import movement as M  # noqa: E402
from ..ops import reduce as R  # noqa: E402
