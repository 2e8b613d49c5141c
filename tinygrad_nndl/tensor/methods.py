"""The Tensor's differentiable methods and operators, attached to ``Tensor``
(early tinygrad's registration): ``tensor.tensor`` is the data type alone and
imports no op, so the layers stay one-way (tensor <- autograd <- ops <- this).
Each method is a thin call of a primitive op; names, arguments and semantics
are PyTorch's.
"""
import numpy as np

from ..autograd import api
from ..autograd.function import accumulator
from ..autograd.grad_mode import GRAD, mode
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import movement as M
from ..ops import reduce as R
from .device import as_device, device
from .dtypes import is_floating
from .random import generator
from .tensor import MaxResult, Tensor, _numpy_index, _operand, _shape_arg, _value
from .version import mark_modified


# The commonest calls, bound once: every arithmetic operator pays for the lookups.
_add, _sub, _mul, _div = E.Add.apply, E.Sub.apply, E.Mul.apply, E.Div.apply
_PLAIN = {Tensor, float, int}   # operands that need no conversion


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._key = hooks, object()
        hooks[self._key] = hook

    def remove(self):
        self._hooks.pop(self._key, None)


class _Methods:
    """Written as a class so that the methods read as Tensor's own; ``attach``
    copies them onto Tensor."""

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is
        computed; a returned Tensor replaces the gradient. Returns a handle with
        ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self._ctx is not None:   # on the node, as PyTorch: it runs on the node's gradient
            self._ctx.dtype = self.data.dtype
            return _HookHandle(self._ctx.pre_hooks_dict(), hook)
        acc = accumulator(self)   # a leaf's hooks run where its gradient lands
        if acc.hooks is None:
            acc.hooks = {}
        return _HookHandle(acc.hooks, hook)


    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse mode)."""
        api.backward(self, gradient, retain_graph, create_graph, inputs)

    # ----- dtype ----------------------------------------------------------
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``
        (its dtype), as PyTorch's; the device is always the CPU."""
        dtype = kwargs.pop("dtype", None)
        for a in args + tuple(kwargs.values()):
            if isinstance(a, Tensor):
                dtype = a.data.dtype
            elif isinstance(a, (str, device)) or a is None:
                as_device(a)   # checked: only the CPU exists here
            else:
                dtype = a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if is_floating(dtype) and is_floating(self.data.dtype):
            return E.Cast.apply(self, dtype=dtype)
        return Tensor._make(self.data.astype(dtype), None)

    def type(self, dtype=None):
        if dtype is None:
            return f"tinygrad_nndl.{self.data.dtype}"
        return self.to(dtype)

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
        return _add(self, other if type(other) in _PLAIN else _operand(other))

    def __radd__(self, other):
        return _add(other if type(other) in _PLAIN else _operand(other), self)

    def __sub__(self, other):
        return _sub(self, other if type(other) in _PLAIN else _operand(other))

    def __rsub__(self, other):
        return _sub(other if type(other) in _PLAIN else _operand(other), self)

    def __mul__(self, other):
        return _mul(self, other if type(other) in _PLAIN else _operand(other))

    def __rmul__(self, other):
        return _mul(other if type(other) in _PLAIN else _operand(other), self)

    def __truediv__(self, other):
        return _div(self, other if type(other) in _PLAIN else _operand(other))

    def __rtruediv__(self, other):
        return _div(other if type(other) in _PLAIN else _operand(other), self)

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
        """Piecewise constant: its gradient is zero (PyTorch's), not a cut graph."""
        return E.Sign.apply(self)

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
        # an empty mean is NaN, as PyTorch's (0/0), without numpy's warning
        return R.Sum.apply(self, axes=axes, keepdims=keepdim) * (1.0 / count if count
                                                                  else float("nan"))

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

    # ----- in-place updates ---------------------------------------------
    def _inplace(self, name, op, *operands, **attrs):
        """self <- op(self, *operands), written into self's memory.

        Recorded as PyTorch records it when self or an operand requires grad:
        self's ``grad_fn`` becomes the op's node, whose input is self's old
        node (an op whose backward reads its input gets a copy of the old
        values). A leaf that requires grad refuses, outside no_grad. Every
        check comes before the write: a failed call changes nothing."""
        recorded = mode.state & GRAD and (self._requires_grad or any(
            isinstance(o, Tensor) and o._requires_grad for o in operands))
        if recorded:
            if self._ctx is None and self._requires_grad:
                raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape "
                                   f"{self.shape}) cannot be changed in place while grad is "
                                   f"recorded; wrap the change in no_grad()")
            _refuse_shared_views(self, name)
        src = Tensor._make(self.data.copy(), self._ctx) if recorded and op.save_inputs else self
        try:
            result = op.apply(src, *operands, **attrs)
        except (ValueError, IndexError, TypeError) as e:
            raise type(e)(f"{name}: {e} (tensor shape {self.shape}, dtype {self.dtype})") \
                from None
        if result.data.shape != self.data.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the "
                               f"broadcast shape {result.shape}")
        if not np.can_cast(result.data.dtype, self.data.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if not self.data.flags.writeable:
            raise RuntimeError(f"{name}: the tensor's memory is read-only (an expanded "
                               f"view?); change a .clone()")
        retained = self._ctx.retained if self._ctx is not None else None
        np.copyto(self.data, result.data, casting="unsafe")
        mark_modified(self.data)
        if recorded:
            self._ctx = result._ctx
            self._requires_grad = True
            if retained is not None:
                self._ctx.retained = retained
        return self

    def add_(self, other, alpha=1):
        return self._inplace("add_", E.Add, _operand(other) if alpha == 1 else alpha * _operand(other))

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", E.Sub, _operand(other) if alpha == 1 else alpha * _operand(other))

    def mul_(self, other):
        return self._inplace("mul_", E.Mul, _operand(other))

    def div_(self, other):
        return self._inplace("div_", E.Div, _operand(other))

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        return self._inplace("clamp_", E.Clamp, min=_value(min), max=_value(max))

    clip_ = clamp_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        """``self[index] = value``; recorded as PyTorch does: the gradient of
        the overwritten elements goes to ``value``, not to the old ones."""
        self._inplace("__setitem__", M.SetItem, _operand(value), index=_numpy_index(index))

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        return self._inplace("fill_", M.SetItem, _operand(value), index=Ellipsis)

    def copy_(self, src):
        return self._inplace("copy_", M.SetItem, _operand(src), index=Ellipsis)

    def normal_(self, mean=0.0, std=1.0):
        return self.copy_(generator().normal(mean, std, self.data.shape))

    def uniform_(self, a=0.0, b=1.0):
        return self.copy_(generator().uniform(a, b, self.data.shape))


def _refuse_shared_views(t, name):
    """An in-place change recorded on a tensor that shares memory with another
    live tensor of the graph (a view of it, or its base) would leave the
    other's graph describing old values: refused, where PyTorch rewrites the
    other's graph."""
    base = getattr(t, "_base", None)
    live = [v for v in (r() for r in getattr(t, "_views", ())) if v is not None]
    if base is not None or live:
        what = "is a view of another tensor" if base is not None else "has live views"
        raise RuntimeError(f"{name}: the tensor (shape {t.shape}) {what} in the graph; an "
                           f"in-place change of it is not supported here: change a "
                           f".clone() instead")


_SKIP = {"__module__", "__dict__", "__weakref__", "__doc__", "__qualname__", "__hash__"}


def attach():
    for name, value in vars(_Methods).items():
        if name not in _SKIP:
            setattr(Tensor, name, value)


attach()
